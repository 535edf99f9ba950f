/* bench_landscape.c - native timings for `make bench`: the 2-D loss slice (dyn_ls_slice) against the straightforward
 * way (set the weights, run the net one example at a time, once per grid point), plus training, HVPs and rendering. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data.h"
#include "landscape.h"
#include "net.h"
#include "render3d.h"
#include "vec_internal.h"

static double now_ms(void)
{
    struct timespec t;
    /* CPU time of this (single-threaded) process: the time it spent on a core, which other processes on a
     * shared machine do not inflate the way they inflate wall-clock time */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

/* the straightforward forward pass: per example, per layer, per unit a dot product with the row-major weights */
static double naive_loss(const dyn_net *net, const double *th, const dyn_data *d, double *h, double *hn)
{
    double total = 0.0;
    int L = net->depth, K = net->dim[L + 1];
    for (int e = 0; e < d->n; e++) {
        memcpy(h, d->x + (size_t)e * d->d, sizeof(double) * d->d);
        for (int l = 1; l <= L + 1; l++) {
            int nin = net->dim[l - 1], nout = net->dim[l];
            const double *W = th + net->w_off[l], *b = th + net->b_off[l];
            for (int i = 0; i < nout; i++) {
                double s = b[i];
                for (int j = 0; j < nin; j++) s += W[(size_t)i * nin + j] * h[j];
                hn[i] = l <= L ? dyn_act_phi(net->act, s) + (net->skip[l] ? h[i] : 0.0) : s;
            }
            memcpy(h, hn, sizeof(double) * nout);
        }
        double mx = h[0], s = 0.0;
        for (int k = 1; k < K; k++) mx = fmax(mx, h[k]);
        for (int k = 0; k < K; k++) s += exp(h[k] - mx);
        total += mx + log(s) - h[(int)d->y[e]];
    }
    return total / d->n;
}

/* One core's peak for this build, measured: 48 independent multiply-add chains (a = a m + c, the multiply and
 * the add separate, as -ffp-contract=off makes every kernel), which the compiler keeps in vector registers of the
 * widest instruction set the kernels use (DYN_VEC_CLONES: AVX2 on an x86-64 that has it, else SSE2). The best of 9
 * runs of 24 M updates (best, not median: other processes on a shared machine only ever slow it down). */
DYN_VEC_CLONES static double peak_gflops(void)
{
    volatile double seed = 0.999999;
    double acc[48], m = seed, c = 1e-9 * seed, best = 0.0;
    for (int i = 0; i < 48; i++) acc[i] = i * seed;
    for (int rep = 0; rep < 9; rep++) {
        double t0 = now_ms();
        for (long it = 0; it < 500000; it++)
            for (int i = 0; i < 48; i++) acc[i] = acc[i] * m + c;
        double ms = now_ms() - t0, g = 2.0 * 48 * 500000 / (ms * 1e6);
        best = g > best ? g : best;
    }
    double sum = 0.0;
    for (int i = 0; i < 48; i++) sum += acc[i];
    if (sum == 42.0) printf("(unlikely)\n"); /* keeps the loop alive */
    return best;
}
static double PEAK;

static void case_(const char *name, const dyn_net_desc *nd, const dyn_data *data, int grid)
{
    dyn_net net;
    dyn_net_init(&net, nd);
    size_t P = (size_t)net.n_params;
    double *th = malloc(sizeof(double) * P), *d = malloc(sizeof(double) * 2 * P), *t = malloc(sizeof(double) * P);
    dyn_net_init_params(&net, 1.0, 0.0, 1, th, P);
    dyn_ls_random_dirs(&net, th, DYN_DIRNORM_FILTER, 2, 2, d, 2 * P);
    double flops = 0.0; /* multiply-adds of one forward pass over the data, x 2 */
    for (int l = 1; l <= net.depth + 1; l++) flops += 2.0 * net.dim[l] * net.dim[l - 1];
    flops *= data->n;
    /* what the slice executes per point: layer 1 as C0 + a C1 + b C2 (4 flops per unit and example), the deeper
     * layers in full, and the deeper weights as T0 + a T1 + b T2 (4 flops each) */
    double exec = 4.0 * net.dim[1] * data->n;
    for (int l = 2; l <= net.depth + 1; l++) exec += 2.0 * net.dim[l] * net.dim[l - 1] * data->n;
    if (net.depth >= 1) exec += 4.0 * (double)(P - (size_t)net.w_off[2]);
    size_t npt = (size_t)grid * grid, ns = dyn_ls_slice_scratch_doubles(&net, data->n);
    float *loss = malloc(sizeof(float) * npt);
    double *s = malloc(sizeof(double) * ns);
    dyn_ls_slice_desc sd = {-1, 1, -1, 1, grid, grid, 0, 0};
    double t0 = now_ms();
    dyn_ls_slice(&net, th, d, d + P, data, &sd, loss, NULL, npt, s, ns);
    double ms = now_ms() - t0;
    /* the straightforward way on the first rows, scaled */
    double *h = malloc(sizeof(double) * (net.max_dim + 8) * 2), worst = 0.0;
    int rows = 0;
    t0 = now_ms();
    while (rows < grid && (rows == 0 || now_ms() - t0 < 1500.0)) {
        double b = 1.0 - 2.0 * rows / (grid - 1);
        for (int q = 0; q < grid; q++) {
            double a = -1.0 + 2.0 * q / (grid - 1);
            for (size_t i = 0; i < P; i++) t[i] = th[i] + a * d[i] + b * d[P + i];
            double L = naive_loss(&net, t, data, h, h + net.max_dim + 8);
            worst = fmax(worst, fabs((double)loss[(size_t)rows * grid + q] - L) / L);
        }
        rows++;
    }
    double ms_naive = (now_ms() - t0) / (rows * grid) * npt;
    double gf = flops * npt / (ms * 1e-3) * 1e-9, gx = exec * npt / (ms * 1e-3) * 1e-9;
    printf("  %-44s P=%-7zu n=%-5d %dx%d: %9.0f pts/s %6.2f GFLOP/s (executed %5.2f = %3.0f%% of peak) | straightforward %8.1f pts/s %5.2f GFLOP/s | %5.1fx (agree %.0e)\n",
           name, P, data->n, grid, grid, npt / (ms * 1e-3), gf, gx, 100.0 * gx / PEAK, npt / (ms_naive * 1e-3),
           flops * npt / (ms_naive * 1e-3) * 1e-9, ms_naive / ms, worst);
    free(h);
    free(s);
    free(loss);
    free(t);
    free(d);
    free(th);
}

int main(int argc, char **argv)
{
    /* "slices": only the slice cases (tests/bench/peers.py runs them beside PyTorch in the same run) */
    int slices_only = argc > 1 && strcmp(argv[1], "slices") == 0;
    PEAK = peak_gflops();
    printf("dynlens landscape benchmarks (one core, CPU time). Slice throughput: grid points per second, and GFLOP/s counted as\n"
           "2 x multiply-adds of a plain forward pass over the data per point (so the first-layer reuse shows as a gain);\n"
           "executed: the flops the slice actually does per point, against one core's peak\n"
           "One core's peak for this build (multiply + add, no FMA, widest vectors the kernels use; measured): %.1f GFLOP/s\n", PEAK);
    enum { N = 400 };
    static double x[2 * N], y[N];
    int k;
    dyn_toy_desc td = {DYN_TOY_SPIRALS, N, 2, 0.1, 1};
    dyn_data_toy(&td, x, 2 * N, y, N, &k);
    dyn_data spir = {N, 2, x, y, k};
    dyn_net_desc a = {2, 2, 3, 32, NULL, DYN_ACT_TANH, 1, DYN_LOSS_XENT};
    case_("spirals, 3 x 32 tanh + skips", &a, &spir, 41);
    dyn_net_desc b = {2, 2, 8, 64, NULL, DYN_ACT_RELU, 1, DYN_LOSS_XENT};
    case_("spirals, 8 x 64 relu + skips", &b, &spir, 21);
    /* a digits-shaped problem: 64 inputs, 10 classes, 1000 examples (Gaussian inputs: the timing is the same) */
    enum { M = 1000, D = 64 };
    double *gx = malloc(sizeof(double) * M * D), gy[M];
    dyn_rng r;
    dyn_rng_seed(&r, 3);
    for (int i = 0; i < M * D; i++) gx[i] = dyn_rng_normal(&r);
    for (int i = 0; i < M; i++) gy[i] = i % 10;
    dyn_data dig = {M, D, gx, gy, 10};
    dyn_net_desc c = {D, 10, 2, 128, NULL, DYN_ACT_TANH, 1, DYN_LOSS_XENT};
    case_("64 inputs, 2 x 128 tanh + skips, 10 classes", &c, &dig, 15);
    dyn_net_desc e = {D, 10, 1, 256, NULL, DYN_ACT_RELU, 0, DYN_LOSS_XENT};
    case_("64 inputs, 1 x 256 relu, 10 classes", &e, &dig, 15);
    if (slices_only) {
        free(gx);
        return 0;
    }

    /* training steps and Hessian-vector products */
    dyn_net net;
    dyn_net_init(&net, &a);
    size_t P = (size_t)net.n_params;
    double *th = malloc(sizeof(double) * P), *v = malloc(sizeof(double) * P), *hv = malloc(sizeof(double) * P);
    dyn_net_init_params(&net, 1.0, 0.0, 1, th, P);
    dyn_train_desc o = {DYN_OPT_ADAM, 0, 0, 0, 0, 0, 0, 32, 1};
    size_t bytes = dyn_train_bytes(&net, &o, N);
    void *mem = malloc(bytes);
    dyn_train t;
    dyn_train_init(&t, &net, &o, &spir, th, mem, bytes);
    double t0 = now_ms();
    dyn_train_run(&t, &spir, 2000, NULL);
    printf("  %-44s %8.1f ms  (%.0f steps/s)\n", "2000 Adam steps, batch 32, 3 x 32 tanh", now_ms() - t0,
           2000 / ((now_ms() - t0) * 1e-3));
    {
        /* a mid-size net: 8 x 256 tanh on 2000 points, Adam, batch 32 (issue 12's 20000-step run) and 128; flops of a
         * step: the forward pass and the two products of the backward pass (dW and dh), 3 x 2 multiply-adds per
         * weight and example */
        enum { NB = 2000 };
        double *bx = malloc(sizeof(double) * 2 * NB), *by = malloc(sizeof(double) * NB);
        int kb;
        dyn_toy_desc tb = {DYN_TOY_SPIRALS, NB, 2, 0.1, 1};
        dyn_data_toy(&tb, bx, 2 * NB, by, NB, &kb);
        dyn_data big = {NB, 2, bx, by, kb};
        dyn_net_desc bd = {2, 2, 8, 256, NULL, DYN_ACT_TANH, 1, DYN_LOSS_XENT};
        dyn_net bn;
        dyn_net_init(&bn, &bd);
        size_t bp = (size_t)bn.n_params;
        double *bth = malloc(sizeof(double) * bp), wflops = 0.0;
        dyn_net_init_params(&bn, 1.0, 0.0, 1, bth, bp);
        for (int l = 1; l <= bn.depth + 1; l++) wflops += (double)bn.dim[l] * bn.dim[l - 1];
        void *bmem = NULL;
        for (int bs = 32; bs <= 128; bs *= 4) {
            int nsteps = bs == 32 ? 300 : 100;
            dyn_train_desc bo = {DYN_OPT_ADAM, 0, 0, 0, 0, 0, 0, bs, 1};
            size_t bbytes = dyn_train_bytes(&bn, &bo, NB);
            free(bmem);
            bmem = malloc(bbytes);
            dyn_train bt;
            dyn_train_init(&bt, &bn, &bo, &big, bth, bmem, bbytes);
            double tb0 = now_ms();
            dyn_train_run(&bt, &big, nsteps, NULL);
            double bms = now_ms() - tb0, gfl = 6.0 * wflops * bs * nsteps / (bms * 1e6);
            char what[64];
            snprintf(what, sizeof what, "%d Adam steps, batch %d, 8 x 256 tanh", nsteps, bs);
            printf("  %-44s %8.1f ms  (%.0f steps/s, %.2f GFLOP/s = %.0f%% of peak; 20000 steps: %.0f s)\n", what, bms,
                   nsteps / (bms * 1e-3), gfl, 100.0 * gfl / PEAK, 20000 * bms / nsteps * 1e-3);
        }
        free(bmem);
        free(bth);
        free(bx);
        free(by);
    }
    size_t hs = dyn_net_hvp_scratch_doubles(&net, N);
    double *s = malloc(sizeof(double) * hs);
    for (size_t i = 0; i < P; i++) v[i] = 1.0;
    t0 = now_ms();
    for (int i = 0; i < 20; i++) dyn_net_hvp(&net, t.theta, &spir, NULL, 0, v, hv, NULL, s, hs);
    printf("  %-44s %8.2f ms each (exact R-op, 400 examples)\n", "Hessian-vector product", (now_ms() - t0) / 20);
    /* 3-D render */
    enum { G = 51 };
    float g[G * G];
    for (int i = 0; i < G * G; i++) g[i] = (float)(0.1 + hypot(i % G - 25, i / G - 25));
    dyn_r3d_desc rd;
    memset(&rd, 0, sizeof rd);
    size_t sb = dyn_r3d_scratch_bytes(&rd, G, G);
    void *sc = malloc(sb);
    uint8_t *px = malloc(4 * 800 * 600);
    t0 = now_ms();
    dyn_r3d_surface(&rd, g, G, G, px, 4 * 800 * 600, sc, sb);
    printf("  %-44s %8.1f ms\n", "3-D surface 51x51 -> 800x600, 2x supersampled", now_ms() - t0);
    free(px);
    free(sc);
    free(s);
    free(mem);
    free(th);
    free(v);
    free(hv);
    free(gx);
    return 0;
}
