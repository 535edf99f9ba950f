/* bench_act.c - `make bench`: nanoseconds per element of phi, phi', phi'' through the array API, the scalar API, and
 * libm's tanh/erf/exp the way act.c called them before (one call per element), all in one run; then dyn_exp and
 * dyn_log against libm and against the log rng.c had before dyn_log (a division per term, frexp). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "act.h"
#include "../log_before.h"

static double now_ns(void)
{
    struct timespec t;
    /* CPU time of this (single-threaded) process: the time it spent on a core, which other processes on a
     * shared machine do not inflate the way they inflate wall-clock time */
#ifdef __EMSCRIPTEN__
    clock_gettime(CLOCK_MONOTONIC, &t); /* the only clock it has (make bench-web runs this file in node too) */
#else
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
#endif
    return 1e9 * (double)t.tv_sec + (double)t.tv_nsec;
}

#define N 4096
#define REPS 400

/* the libm forms act.c used before its own kernels (the baseline of the ratios) */
static double libm_sigm(double x) { return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }
static double libm_phi(dyn_act a, int o, double x)
{
    switch (a) {
    case DYN_ACT_TANH: {
        double t = tanh(x);
        return o == 0 ? t : (o == 1 ? 1.0 - t * t : -2.0 * t * (1.0 - t * t));
    }
    case DYN_ACT_ERF: {
        double d = 1.1283791670955126 * exp(-x * x);
        return o == 0 ? erf(x) : (o == 1 ? d : -2.0 * x * d);
    }
    case DYN_ACT_SIGMOID: {
        double s = libm_sigm(x);
        return o == 0 ? s : (o == 1 ? s * (1.0 - s) : s * (1.0 - s) * (1.0 - 2.0 * s));
    }
    case DYN_ACT_SWISH: {
        double s = libm_sigm(x), ds = s * (1.0 - s);
        return o == 0 ? x * s : (o == 1 ? s + x * ds : 2.0 * ds + x * ds * (1.0 - 2.0 * s));
    }
    default: return o == 0 ? dyn_act_phi(a, x) : (o == 1 ? dyn_act_dphi(a, x) : dyn_act_d2phi(a, x));
    }
}

/* ns per call of f over x[0..n), best of 5 */
static double per_call(double (*f)(double), const double *x, int n, double *sink)
{
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_ns(), s = 0.0;
        for (int r = 0; r < REPS / 5; r++)
            for (int i = 0; i < n; i++) s += f(x[i]);
        double ns = (now_ns() - t0) / ((double)(REPS / 5) * n);
        best = ns < best ? ns : best;
        *sink += s;
    }
    return best;
}

int main(void)
{
    static double x[N], y[N];
    /* pre-activations of a trained net are mostly in [-4, 4]; a spread like that */
    for (int i = 0; i < N; i++) x[i] = 4.0 * sin(0.37 * i) * (0.25 + 0.75 * (i % 13) / 12.0);
    printf("dynlens activation kernels, ns per element over a buffer of %d (one core, CPU time; best of 5)\n", N);
    printf("  %-10s %-6s %9s %9s %9s %14s\n", "act", "order", "array", "scalar", "libm", "libm / array");
    double sink = 0.0;
    const char *ord[3] = {"phi", "phi'", "phi''"};
    for (int a = 0; a < DYN_ACT_COUNT; a++)
        for (int o = 0; o < 3; o++) {
            double best[3] = {1e30, 1e30, 1e30};
            for (int rep = 0; rep < 5; rep++)
                for (int way = 0; way < 3; way++) {
                    double t0 = now_ns();
                    for (int r = 0; r < REPS / 5; r++) {
                        if (way == 0) {
                            if (o == 0) dyn_act_phi_array((dyn_act)a, x, N, y);
                            else if (o == 1) dyn_act_dphi_array((dyn_act)a, x, N, y);
                            else dyn_act_d2phi_array((dyn_act)a, x, N, y);
                        } else if (way == 1) {
                            for (int i = 0; i < N; i++)
                                y[i] = o == 0 ? dyn_act_phi((dyn_act)a, x[i])
                                              : (o == 1 ? dyn_act_dphi((dyn_act)a, x[i]) : dyn_act_d2phi((dyn_act)a, x[i]));
                        } else {
                            for (int i = 0; i < N; i++) y[i] = libm_phi((dyn_act)a, o, x[i]);
                        }
                        sink += y[r % N];
                    }
                    double ns = (now_ns() - t0) / ((double)(REPS / 5) * N);
                    best[way] = ns < best[way] ? ns : best[way];
                }
            printf("  %-10s %-6s %9.2f %9.2f %9.2f %13.1fx\n", dyn_act_name((dyn_act)a), ord[o], best[0], best[1], best[2],
                   best[2] / best[0]);
        }
    /* the polar method's inputs (u^2 + v^2 in (0, 1)) for log; softmax arguments in [-30, 0] for exp */
    static double u[N];
    for (int i = 0; i < N; i++) u[i] = (0.5 + 0.5 * sin(0.91 * i)) * (0.999 - 0.998 * (i % 17) / 16.0) + 1e-3;
    for (int i = 0; i < N; i++) x[i] = -30.0 * (0.5 + 0.5 * sin(0.37 * i));
    double tl = per_call(dyn_log, u, N, &sink), tb = per_call(log_before, u, N, &sink), tm = per_call(log, u, N, &sink);
    double te = per_call(dyn_exp, x, N, &sink), tx = per_call(exp, x, N, &sink);
    printf("  dyn_log %.2f ns per call, rng.c's log before it %.2f ns (%.2fx as fast, the same bits), libm log %.2f ns\n",
           tl, tb, tb / tl, tm);
    printf("  dyn_exp %.2f ns per call, libm exp %.2f ns\n", te, tx);
    if (sink == 42.0) printf("(unlikely)\n"); /* keeps the loops alive */
    return 0;
}
