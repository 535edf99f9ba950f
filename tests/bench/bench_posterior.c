/* bench_posterior.c - native timings for `make bench`: sampler steps per second for each sampler at D = 2 and
 * D = 20 (S = 10, N = 1000, linear regression), next to a straightforward implementation. Prints only. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "posterior.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The straightforward way: every step allocates its buffers, draws the batch, asks the model for each example's
 * gradient through the general per-example entry point into a fresh array, sums, and (preconditioned) multiplies
 * by H with a fresh vector; the noise is drawn per coordinate. What one writes first. */
static double naive_steps(const dyn_post_model *m, dyn_post_sampler_kind k, double eps, int S, const double *h,
                          long steps, double *theta)
{
    int d = m->d;
    dyn_rng r;
    dyn_rng_seed(&r, 1);
    double *v = calloc((size_t)d, sizeof(double));
    double t0 = now_s();
    for (long t = 0; t < steps; t++) {
        double *g = calloc((size_t)d, sizeof(double));
        for (int b = 0; b < S; b++) {
            double *gi = malloc(sizeof(double) * (size_t)d);
            long i = (long)dyn_rng_below(&r, (uint64_t)m->n); /* as the sampler draws them */
            dyn_post_example_grad(m, i, theta, gi);
            for (int j = 0; j < d; j++) g[j] += gi[j] / S;
            free(gi);
        }
        if (k == DYN_POST_SGD_PRECOND) {
            double *hg = calloc((size_t)d, sizeof(double));
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) hg[i] += h[i * d + j] * g[j];
            memcpy(g, hg, sizeof(double) * (size_t)d);
            free(hg);
        }
        for (int j = 0; j < d; j++) {
            if (k == DYN_POST_SGLD) theta[j] += -0.5 * eps * m->n * g[j] + sqrt(eps) * dyn_rng_normal(&r);
            else if (k == DYN_POST_MOMENTUM) v[j] = 0.9 * v[j] - eps * g[j], theta[j] += v[j];
            else theta[j] -= eps * g[j];
        }
        free(g);
    }
    double dt = now_s() - t0;
    free(v);
    return steps / dt;
}

int main(void)
{
    printf("dynlens posterior benchmarks: sampler steps per second (linear regression, N = 1000, S = 10, one core)\n");
    printf("  %-12s %3s  %14s  %14s  %7s\n", "sampler", "D", "dyn_post (/s)", "naive (/s)", "ratio");
    int dims[2] = {2, 20};
    for (int di = 0; di < 2; di++) {
        int d = dims[di], n = 1000;
        double *x = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n);
        dyn_post_model m = {DYN_POST_LINREG, n, d, NULL, NULL, 0, 0, 0};
        dyn_post_synthesize(&m, 1, x, (size_t)n * d, y, (size_t)n, NULL);
        m.x = x;
        m.y = y;
        size_t sl = dyn_post_scratch_doubles(d);
        double *scr = malloc(sizeof(double) * sl), *mode = malloc(sizeof(double) * d), *a = malloc(sizeof(double) * d * d),
               *bb = malloc(sizeof(double) * d * d), *h = malloc(sizeof(double) * d * d), *th = malloc(sizeof(double) * d);
        dyn_post_optimum(&m, NULL, mode, a, bb, scr, sl);
        double es;
        dyn_post_eps_star(d, n, 10, bb, &es);
        dyn_post_precond_opt(d, n, 10, es, bb, h, scr, sl);
        for (int k = 0; k < DYN_POST_SAMPLER_COUNT; k++) {
            double eps = k == DYN_POST_SGLD ? 1e-5 : es;
            dyn_post_sampler_desc sd = {(dyn_post_sampler_kind)k, eps, 10, 0, 0, 0, 0, h, mode, 1};
            size_t bytes = dyn_post_sampler_bytes(&m, &sd);
            void *mem = malloc(bytes);
            dyn_post_sampler s;
            dyn_post_sampler_init(&s, &m, &sd, mem, bytes);
            long steps = d == 2 ? 2000000 : 400000;
            double t0 = now_s();
            dyn_post_sampler_run(&s, steps, 1, NULL, 0, NULL);
            double ours = steps / (now_s() - t0);
            memcpy(th, mode, sizeof(double) * d);
            double naive = naive_steps(&m, (dyn_post_sampler_kind)k, eps, 10, h, steps / 4, th);
            printf("  %-12s %3d  %14.3g  %14.3g  %6.1fx\n", dyn_post_sampler_name((dyn_post_sampler_kind)k), d, ours,
                   naive, ours / naive);
            free(mem);
        }
        free(x), free(y), free(scr), free(mode), free(a), free(bb), free(h), free(th);
    }
    return 0;
}
