/* bench_lrcontrol.c - native timings for `make bench`: the moment ODE and recursion (the recursion against a numpy
 * loop), Monte Carlo SGD steps per second (against the same simulation vectorised over runs in numpy), when Debian's
 * python3-numpy is there (/usr/bin/python3), and the direct optimisation of a piecewise-constant schedule. Prints only. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lrcontrol.h"
#include "rng.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

/* a spread of curvatures 0.1..2 and noise levels, so that every coordinate switches at its own time */
static void make_problem(int d, double *a, double *s2, double *x0)
{
    for (int i = 0; i < d; i++) {
        a[i] = d == 1 ? 1.0 : 0.1 + 1.9 * i / (d - 1);
        s2[i] = 0.5 + (i % 3);
        x0[i] = 1.0 + 0.1 * (i % 5);
    }
}

/* The numpy way: every run a row, one vectorised update per step with a fresh (runs x d) normal draw, and the
 * loss's mean and standard deviation per step. The multipliers are the recursion's (the same for every run), as in
 * dyn_lrc_simulate. Returns coordinate-steps per second, or -1 if Debian's python3 with numpy is not available. */
static double numpy_rate(int d, long steps, long runs, const double *u)
{
    const char *py = "/usr/bin/python3";
    FILE *t = fopen(py, "r");
    if (!t) return -1;
    fclose(t);
    char path[] = "/tmp/dynlens-bench-lrc-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    for (long k = 0; k < steps * d; k++) fprintf(f, "%.17g\n", u[k]);
    fclose(f);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s - <<'EOF' 2>/dev/null\n"
             "import time\n"
             "try:\n import numpy as np\nexcept ImportError:\n print(-1); raise SystemExit\n"
             "d, steps, runs, eta = %d, %ld, %ld, 0.01\n"
             "u = np.loadtxt('%s').reshape(steps, d)\n"
             "a = np.array([1.0] if d == 1 else [0.1 + 1.9 * i / (d - 1) for i in range(d)])\n"
             "s2 = np.array([0.5 + (i %% 3) for i in range(d)]); sd = np.sqrt(s2)\n"
             "x0 = np.array([1.0 + 0.1 * (i %% 5) for i in range(d)])\n"
             "rng = np.random.default_rng(1)\n"
             "best = 1e99\n"
             "for rep in range(3):\n"
             "  t0 = time.perf_counter()\n"
             "  x = np.tile(x0, (runs, 1)); mean = np.empty(steps + 1); se = np.empty(steps + 1)\n"
             "  for k in range(steps + 1):\n"
             "    f = 0.5 * (a * x * x).sum(axis=1); mean[k] = f.mean(); se[k] = f.std(ddof=1) / np.sqrt(runs)\n"
             "    if k == steps: break\n"
             "    x -= eta * u[k] * (a * x + sd * rng.standard_normal((runs, d)))\n"
             "  best = min(best, time.perf_counter() - t0)\n"
             "print(runs * steps * d / best)\n"
             "EOF",
             py, d, steps, runs, path);
    FILE *p = popen(cmd, "r");
    double rate = -1;
    if (p) {
        if (fscanf(p, "%lf", &rate) != 1) rate = -1;
        pclose(p);
    }
    remove(path);
    return rate;
}

/* The numpy way for the moment recursion under the optimal law: a Python loop over steps, numpy over coordinates.
 * Returns steps per second, or -1 without Debian's python3-numpy. */
static double numpy_recursion_rate(int d, long steps)
{
    FILE *t = fopen("/usr/bin/python3", "r");
    if (!t) return -1;
    fclose(t);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 - <<'EOF' 2>/dev/null\n"
             "import time\n"
             "try:\n import numpy as np\nexcept ImportError:\n print(-1); raise SystemExit\n"
             "d, steps, eta = %d, %ld, 0.01\n"
             "a = np.array([1.0] if d == 1 else [0.1 + 1.9 * i / (d - 1) for i in range(d)])\n"
             "s2 = np.array([0.5 + (i %% 3) for i in range(d)]); x0 = np.array([1.0 + 0.1 * (i %% 5) for i in range(d)])\n"
             "best = 1e99\n"
             "for rep in range(3):\n"
             "  t0 = time.perf_counter(); m = x0 * x0; loss = np.empty(steps + 1); loss[0] = 0.5 * (a * m).sum()\n"
             "  for k in range(steps):\n"
             "    u = np.minimum(1.0, a * m / (eta * s2)); g = 1 - eta * u * a\n"
             "    m = g * g * m + eta * eta * u * u * s2; loss[k + 1] = 0.5 * (a * m).sum()\n"
             "  best = min(best, time.perf_counter() - t0)\n"
             "print(steps / best)\n"
             "EOF",
             d, steps);
    FILE *p = popen(cmd, "r");
    double rate = -1;
    if (p) {
        if (fscanf(p, "%lf", &rate) != 1) rate = -1;
        pclose(p);
    }
    return rate;
}

int main(void)
{
    double a[DYN_LRC_MAX_D], s2[DYN_LRC_MAX_D], x0[DYN_LRC_MAX_D];
    dyn_lrc_schedule opt = {DYN_LRC_OPTIMAL, 0, 0, 0, NULL, 0};
    printf("lrcontrol: SGD on f = 1/2 sum a_i x_i^2 with Gaussian gradient noise, eta = 0.01, optimal feedback u\n");

    /* moment ODE (RK4, 8 substeps per step) and the exact recursion */
    printf("  %-44s %6s %8s %12s %14s\n", "moments", "d", "steps", "ms/solve", "steps/s");
    for (int di = 0; di < 2; di++) {
        int d = di ? 64 : 1;
        long n = 10000;
        make_problem(d, a, s2, x0);
        dyn_lrc_problem p = {d, a, s2, x0, 0.01, 1};
        double *loss = malloc(sizeof(double) * (size_t)(n + 1));
        for (int model = 0; model < 2; model++) {
            double t[7];
            for (int r = 0; r < 7; r++) {
                double t0 = now_s();
                if (model == 0) dyn_lrc_ode(&p, &opt, n, 0, loss, (size_t)n + 1, NULL, 0, NULL, 0);
                else dyn_lrc_recursion(&p, &opt, n, loss, (size_t)n + 1, NULL, 0, NULL, 0);
                t[r] = now_s() - t0;
            }
            double m = median(t, 7);
            char note[96] = "";
            if (model) {
                double np = numpy_recursion_rate(d, n);
                if (np > 0) snprintf(note, sizeof note, "numpy loop %.3g/s; C/numpy = %.0f", np, (double)n / m / np);
                else snprintf(note, sizeof note, "numpy not available (Debian's python3-numpy)");
            }
            printf("  %-44s %6d %8ld %12.3f %14.3g %s\n", model ? "exact recursion of SGD's moments" : "SME moment ODE (RK4, 8 substeps)",
                   d, n, 1e3 * m, (double)n / m, note);
        }
        free(loss);
    }

    /* Monte Carlo SGD */
    printf("  %-44s %6s %8s %8s %12s %14s %s\n", "Monte Carlo SGD", "d", "steps", "runs", "ms", "coord-steps/s",
           "numpy (same runs; ratio)");
    for (int di = 0; di < 3; di++) {
        int d = di == 0 ? 1 : di == 1 ? 16 : 64;
        long n = 1000, runs = d == 1 ? 10000 : d == 16 ? 1000 : 300;
        make_problem(d, a, s2, x0);
        dyn_lrc_problem p = {d, a, s2, x0, 0.01, 1};
        size_t rows = (size_t)n + 1;
        double *mean = malloc(sizeof(double) * rows), *se = malloc(sizeof(double) * rows);
        double *loss = malloc(sizeof(double) * rows), *u = malloc(sizeof(double) * rows * (size_t)d);
        dyn_lrc_recursion(&p, &opt, n, loss, rows, NULL, 0, u, rows * (size_t)d);
        double t[3];
        for (int r = 0; r < 3; r++) {
            double t0 = now_s();
            dyn_lrc_simulate(&p, &opt, n, runs, 1, mean, rows, se, rows, 0, NULL, 0);
            t[r] = now_s() - t0;
        }
        double m = median(t, 3), rate = (double)runs * (double)n * d / m, np = numpy_rate(d, n, runs, u);
        char note[96] = "numpy not available (Debian's python3-numpy)";
        if (np > 0) snprintf(note, sizeof note, "%.3g/s; C/numpy = %.2f", np, rate / np);
        printf("  %-44s %6d %8ld %8ld %12.1f %14.3g %s\n", "dyn_lrc_simulate", d, n, runs, 1e3 * m, rate, note);
        free(mean);
        free(se);
        free(loss);
        free(u);
    }

    /* the bound on the above: one normal deviate per coordinate-step */
    {
        dyn_rng r;
        dyn_rng_seed(&r, 1);
        double acc = 0, t0 = now_s();
        for (long k = 0; k < 20000000L; k++) acc += dyn_rng_normal(&r);
        double m = now_s() - t0;
        printf("  %-44s %36s %14.3g (sum %.3g)\n", "dyn_rng_normal alone (the bound)", "", 2e7 / m, acc);
    }

    /* direct optimisation */
    printf("  %-44s %6s %8s %8s %12s %14s\n", "direct optimisation (shared u)", "d", "steps", "pieces", "ms", "loss/J*-1");
    for (int di = 0; di < 2; di++) {
        int d = di ? 16 : 1;
        long n = 1000;
        make_problem(d, a, s2, x0);
        dyn_lrc_problem p = {d, a, s2, x0, 0.01, 1};
        double *loss = malloc(sizeof(double) * (size_t)(n + 1)), *u = malloc(sizeof(double) * (size_t)n);
        dyn_lrc_ode(&p, &opt, n, 0, loss, (size_t)n + 1, NULL, 0, NULL, 0);
        for (int K = 40; K <= 200; K *= 5) {
            size_t ns = dyn_lrc_optimize_scratch_doubles(d, K);
            double *sc = malloc(sizeof(double) * ns), j = 0, t0 = now_s();
            dyn_lrc_optimize(&p, n, K, 0, u, (size_t)n, &j, sc, ns);
            double ms = 1e3 * (now_s() - t0);
            printf("  %-44s %6d %8ld %8d %12.1f %14.3g\n", "dyn_lrc_optimize", d, n, K, ms, j / loss[n] - 1);
            free(sc);
        }
        free(loss);
        free(u);
    }
    return 0;
}
