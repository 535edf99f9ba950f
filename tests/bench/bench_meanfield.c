/* bench_meanfield.c - native timings for `make bench`: the phase-diagram grid against a straightforward
 * implementation, the exact solver, set-up, the finite-width simulation and figure rendering. Prints only. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "act.h"
#include "meanfield.h"
#include "quad.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    return t[n / 2];
}

static void row(const char *what, double ms, const char *note)
{
    printf("  %-52s %8.1f ms  %s\n", what, ms, note);
}

/* ---------------------------------------------------------------- the straightforward way
 * What one writes first (and what published companion code does): at every pixel iterate the length map from
 * q = 1 and then the correlation map from c = 0.5 until they stop moving, every step a fresh Gauss-Hermite
 * sum (64 nodes in 1-D, 48 x 48 in 2-D), and then chi_c by one more 2-D sum. */
typedef struct naive {
    double z1[64], w1[64], z2[48], w2[48];
} naive;

static double naive_xi_c(const naive *nv, double sw2, double sb2, int *iters)
{
    double q = 1.0;
    int it = 0;
    for (; it < 5000; it++) {
        double v = 0.0;
        for (int i = 0; i < 64; i++) {
            double f = tanh(sqrt(q) * nv->z1[i]);
            v += nv->w1[i] * f * f;
        }
        double qn = sw2 * v + sb2;
        if (fabs(qn - q) <= 1e-12 * qn) {
            q = qn;
            break;
        }
        q = qn;
    }
    double c = 0.5, s = sqrt(q);
    for (; it < 10000; it++) {
        double cov = 0.0, sc = sqrt(fmax(0.0, 1.0 - c * c));
        for (int i = 0; i < 48; i++) {
            double f1 = tanh(s * nv->z2[i]);
            for (int j = 0; j < 48; j++) cov += nv->w2[i] * nv->w2[j] * f1 * tanh(s * (c * nv->z2[i] + sc * nv->z2[j]));
        }
        double cn = (sw2 * cov + sb2) / q;
        if (cn > 1.0) cn = 1.0;
        if (fabs(cn - c) <= 1e-10) {
            c = cn;
            break;
        }
        c = cn;
    }
    double chi = 0.0, sc = sqrt(fmax(0.0, 1.0 - c * c));
    for (int i = 0; i < 48; i++) {
        double t1 = tanh(s * nv->z2[i]), d1 = 1.0 - t1 * t1;
        for (int j = 0; j < 48; j++) {
            double t2 = tanh(s * (c * nv->z2[i] + sc * nv->z2[j]));
            chi += nv->w2[i] * nv->w2[j] * d1 * (1.0 - t2 * t2);
        }
    }
    *iters = it;
    return -1.0 / log(sw2 * chi);
}

int main(void)
{
    printf("dynlens native benchmarks (one core; times are medians)\n");
    dyn_mf_desc d = {DYN_ACT_TANH, 0};
    size_t bytes = dyn_mf_workspace_bytes(&d);
    dyn_mf *mf = malloc(sizeof *mf + bytes);
    double t[9];
    for (int k = 0; k < 5; k++) {
        double t0 = now_ms();
        dyn_mf_init(mf, &d, mf + 1, bytes);
        t[k] = now_ms() - t0;
    }
    row("set-up (nodes, tables) for tanh", median(t, 5), "dyn_mf_init, once per activation");

    enum { N = 256 };
    float *grid = malloc(sizeof(float) * N * N);
    dyn_mf_grid_desc g = {DYN_MF_XI_C, 0.5, 4.0, 0.0, 0.3, N, N, 0, 0};
    for (int k = 0; k < 9; k++) {
        double t0 = now_ms();
        dyn_mf_grid(mf, &g, grid, (size_t)N * N);
        t[k] = now_ms() - t0;
    }
    double ours = median(t, 9);
    row("256x256 xi_c grid, tanh (dyn_mf_grid)", ours, "sw2 0.5..4, sb2 0..0.3");
    dyn_mf_grid_desc g128 = g;
    g128.nx = g128.ny = 128;
    for (int k = 0; k < 9; k++) {
        double t0 = now_ms();
        dyn_mf_grid(mf, &g128, grid, (size_t)N * N);
        t[k] = now_ms() - t0;
    }
    row("128x128 xi_c grid, tanh", median(t, 9), "a slider redraw");
    g.field = DYN_MF_CHI1;
    for (int k = 0; k < 9; k++) {
        double t0 = now_ms();
        dyn_mf_grid(mf, &g, grid, (size_t)N * N);
        t[k] = now_ms() - t0;
    }
    row("256x256 chi1 grid, tanh", median(t, 9), "no correlation map needed");

    /* the straightforward way on a 16 x 16 subgrid of the same domain, scaled to 256 x 256 */
    naive nv;
    double scratch[2 * 64];
    dyn_quad_hermite(64, nv.z1, nv.w1, scratch);
    dyn_quad_hermite(48, nv.z2, nv.w2, scratch);
    enum { M = 16 };
    double t0 = now_ms(), worst = 0.0, errs[M * M];
    long iters = 0;
    for (int r = 0; r < M; r++)
        for (int c = 0; c < M; c++) {
            double sw2 = 0.5 + 3.5 * (c * 17 + 8) / (double)(N - 1), sb2 = 0.3 - 0.3 * (r * 17 + 8) / (double)(N - 1);
            int it;
            double xi = naive_xi_c(&nv, sw2, sb2, &it);
            iters += it;
            dyn_mf_point p;
            dyn_mf_solve(mf, sw2, sb2, &p);
            double e = fabs(xi - p.xi_c) / p.xi_c;
            errs[r * M + c] = e;
            if (e > worst) worst = e;
        }
    double per_px = (now_ms() - t0) / (M * M);
    /* the exact solves above are part of that time: take them out */
    t0 = now_ms();
    for (int r = 0; r < M; r++)
        for (int c = 0; c < M; c++) {
            dyn_mf_point p;
            dyn_mf_solve(mf, 0.5 + 3.5 * (c * 17 + 8) / (double)(N - 1), 0.3 - 0.3 * (r * 17 + 8) / (double)(N - 1), &p);
        }
    double exact_px = (now_ms() - t0) / (M * M);
    per_px -= exact_px;
    char note[160];
    snprintf(note, sizeof note, "from 16x16 pixels; %.0f iterations/pixel; error median %.0e, worst %.0e",
             (double)iters / (M * M), median(errs, M * M), worst);
    row("256x256 xi_c grid, straightforward iteration", per_px * N * N, note);
    printf("  %-52s %8.0fx\n", "speed-up of dyn_mf_grid over it", per_px * N * N / ours);
    snprintf(note, sizeof note, "dyn_mf_solve, quadrature order %d (2-D) / %d (1-D)", mf->order, mf->order_1d);
    row("one exact point (mean over the 16x16 pixels)", exact_px, note);

    /* the finite-width simulation */
    dyn_mf_sim_desc sd = {DYN_ACT_TANH, 500, 20, 4, 1, 2.0, 0.05, 1.0, 0.5};
    size_t ns = dyn_mf_sim_scratch_doubles(sd.width);
    double *ss = malloc(sizeof(double) * ns), out[4][21];
    t0 = now_ms();
    dyn_mf_simulate(&sd, ss, ns, out[0], out[1], out[2], out[3], NULL);
    double sim = now_ms() - t0;
    snprintf(note, sizeof note, "%.0f M weights drawn and used per second",
             1e-6 * 500.0 * 500 * 20 * 4 / (sim * 1e-3));
    row("simulate: N=500, L=20, 4 networks", sim, note);
    free(ss);
    free(grid);
    free(mf);
    return 0;
}
