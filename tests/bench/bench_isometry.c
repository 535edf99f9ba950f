/* bench_isometry.c - native timings for `make bench`: the Jacobian spectrum at N = 1024, L = 100, its parts, the
 * free-probability density, and trainability-grid cells per second (one core here; all cores through the CLI). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isometry.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

static void row(const char *what, double ms, const char *note)
{
    printf("  %-58s %10.1f ms  %s\n", what, ms, note);
}

static dyn_mf *make_mf(dyn_act a)
{
    dyn_mf_desc d = {a, 0};
    size_t b = dyn_mf_workspace_bytes(&d);
    dyn_mf *m = malloc(sizeof *m + b);
    if (!m || dyn_mf_init(m, &d, m + 1, b)) exit(1);
    return m;
}

static void spectrum(const dyn_mf *mf, int n, int L, int orth)
{
    dyn_iso_desc d = {n, L, 1, orth, 0.0, 0.05, 1};
    size_t sl = dyn_iso_spectrum_scratch_doubles(&d);
    double *sc = malloc(sizeof(double) * (sl + n)), ls;
    double t0 = now_ms();
    if (dyn_iso_spectrum(mf, &d, sc + sl, (size_t)n, &ls, sc, sl)) printf("  spectrum failed\n");
    double ms = now_ms() - t0;
    char what[96], note[96];
    snprintf(what, sizeof what, "spectrum, tanh, %s, N = %d, L = %d (1 net)", orth ? "orthogonal" : "Gaussian", n, L);
    snprintf(note, sizeof note, "%.3g flop estimated, %.2f GFlop/s", dyn_iso_work(&d, 0), dyn_iso_work(&d, 0) / ms / 1e6);
    row(what, ms, note);
    free(sc);
}

int main(int argc, char **argv)
{
    printf("bench_isometry (one core; the machine may be shared)\n");
    dyn_mf *th = make_mf(DYN_ACT_TANH), *ht = make_mf(DYN_ACT_HARD_TANH);
    /* the parts at N = 1024: one Haar matrix, one eigen-solve */
    int n = 1024;
    double *a = malloc(sizeof(double) * ((size_t)n * n * 2 + 4 * (size_t)n));
    dyn_rng r;
    dyn_rng_seed(&r, 1);
    double t0 = now_ms();
    dyn_iso_haar(&r, n, a, a + (size_t)n * n, (size_t)n * n + 4 * (size_t)n);
    row("Haar-orthogonal 1024 x 1024 (Householder LQ, sign fixed)", now_ms() - t0, "");
    for (size_t i = 0; i < (size_t)n; i++)
        for (size_t j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = dyn_rng_normal(&r);
    t0 = now_ms();
    dyn_iso_sym_eigvals(n, a, a + (size_t)n * n, a + (size_t)n * n + n, 3 * (size_t)n);
    row("eigenvalues of a symmetric 1024 x 1024 (tridiagonal + QL)", now_ms() - t0, "");
    free(a);
    spectrum(th, 1024, 100, 0);
    spectrum(th, 1024, 100, 1);
    /* the density: two-point (closed-form M_{D^2}) and smooth (adaptive quadrature) activations, 100 points */
    double x[100], rho[100];
    for (int i = 0; i < 100; i++) x[i] = exp(log(1e-3) + (log(30.0) - log(1e-3)) * i / 99);
    dyn_iso_desc d = {.depth = 10, .sb2 = 0.05, .orthogonal = 1};
    dyn_iso_theory t;
    dyn_iso_theory_at(ht, &d, &t);
    t0 = now_ms();
    dyn_iso_density(ht, &t, x, 100, rho);
    row("density, hard tanh, orthogonal, L = 10, 100 points", now_ms() - t0, "");
    dyn_iso_theory_at(th, &d, &t);
    t0 = now_ms();
    dyn_iso_density(th, &t, x, 100, rho);
    row("density, tanh, orthogonal, L = 10, 100 points", now_ms() - t0, "");
    /* trainability cells on one core: depth 10, 55 and 100 at width 32, 300 SGD steps of 32 digits-sized examples
     * (synthetic 64-feature blobs, so the benchmark needs no data file) */
    int m = 1797;
    double *xs = malloc(sizeof(double) * (size_t)m * 64), *ys = malloc(sizeof(double) * m);
    for (int i = 0; i < m; i++) {
        ys[i] = i % 10;
        for (int j = 0; j < 64; j++) xs[(size_t)i * 64 + j] = dyn_rng_normal(&r) + (j % 10 == i % 10);
    }
    dyn_data data = {m, 64, xs, ys, 10};
    dyn_iso_train_desc td = {.sb2 = 0.05, .seed = 1};
    int depths[3] = {10, 55, 100};
    double total = 0.0;
    for (int i = 0; i < 3; i++) {
        size_t bytes = dyn_iso_cell_bytes(&td, &data, depths[i]);
        void *mem = malloc(bytes);
        double acc;
        t0 = now_ms();
        dyn_iso_cell(&td, &data, depths[i], 1.76, i, mem, bytes, &acc);
        double ms = now_ms() - t0;
        total += ms;
        char what[96], note[64];
        snprintf(what, sizeof what, "trainability cell, depth %d, width 32, 300 steps", depths[i]);
        snprintf(note, sizeof note, "%.2f GFlop/s", dyn_iso_cell_work(&td, &data, depths[i]) / ms / 1e6);
        row(what, ms, note);
        free(mem);
    }
    printf("  %-58s %10.3f cells/s (one core; depths 10..100 evenly)\n", "trainability grid", 3000.0 / total);
    /* all cores: the CLI's thread pool on a 4 x 4 grid of depths 10..100 (digits), if the CLI is beside us */
    char cmd[4096];
    char dir[2048] = "."; /* the folder of this program: the CLI is built beside it */
    (void)argc;
    const char *slash = strrchr(argv[0], '/');
    if (slash && slash - argv[0] < (long)sizeof dir) memcpy(dir, argv[0], (size_t)(slash - argv[0])), dir[slash - argv[0]] = 0;
    snprintf(cmd, sizeof cmd,
             "%s/dynlens trainability grid --depth 10:100 --ny 4 --sw2 1:4 --nx 4 --threads 0 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    char line[1024] = "";
    if (p && fgets(line, sizeof line, p)) {
        char *c = strstr(line, "\"cells_per_s\": "), *t2 = strstr(line, "\"threads\": ");
        if (c && t2)
            printf("  %-58s %10.3f cells/s (%d threads, dynlens trainability grid)\n", "trainability grid, all cores",
                   atof(c + 15), atoi(t2 + 11));
    }
    if (p) pclose(p);
    free(xs), free(ys), free(th), free(ht);
    return 0;
}
