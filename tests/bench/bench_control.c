/* bench_control.c - native timings for `make bench`: one iteration of GD, Adam, MSA and E-MSA on Li et al.'s toy
 * problem (sin, width 5, 20 layers, 100 examples) and on a wider 2-D problem, and E-MSA's cost in GD steps.
 * Prints only. (tests/bench/control_peer.py times the same iterations written in numpy and scipy.) */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "data.h"

static double now_s(void)
{
    struct timespec t;
    /* CPU time, as control_peer.py measures the scipy way: on a shared machine other processes inflate wall-clock
     * time by a different factor in each of the two runs, which would make their ratio noise */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* seconds per iteration of method m, over at least 0.5 s (after 2 warm-up iterations) */
static double per_iter(const dyn_ctl *c, const dyn_data *data, dyn_ctl_method m, const double *th0, double *ops)
{
    dyn_ctl_train_desc td = {.method = m, .seed = 1};
    size_t bytes = dyn_ctl_train_bytes(c, &td, data->n);
    void *mem = malloc(bytes);
    dyn_ctl_train t;
    if (dyn_ctl_train_init(&t, c, &td, data, th0, mem, bytes)) return NAN;
    for (int i = 0; i < 2; i++) dyn_ctl_train_step(&t, data, NULL);
    int n = 0;
    double t0 = now_s(), el;
    do {
        dyn_ctl_train_step(&t, data, NULL);
        n++;
        el = now_s() - t0;
    } while (el < 0.5);
    *ops = dyn_ctl_train_work(c, &td, data->n, 1.0).ops;
    free(mem);
    return el / n;
}

static void run(const char *title, const dyn_ctl_desc *cd, const dyn_data *data, double sw2)
{
    dyn_ctl c;
    if (dyn_ctl_init(&c, cd)) return;
    size_t P = dyn_ctl_param_count(&c);
    double *th0 = malloc(sizeof(double) * P);
    dyn_ctl_init_params(&c, sw2, 0.0, 1, th0, P);
    printf("%s (T = %d, d = %d, N = %d, P = %zu)\n", title, c.d.layers, c.d.width, data->n, P);
    double gd = 0.0;
    for (int m = 0; m < DYN_CTL_METHOD_COUNT; m++) {
        if (m == DYN_CTL_SGD) continue;
        double fl = 0.0, s = per_iter(&c, data, (dyn_ctl_method)m, th0, &fl);
        if (m == DYN_CTL_GD) gd = s;
        printf("  %-5s %9.3f ms/iteration  %6.2f x the estimate's rate (work.h)  %6.1f GD steps\n",
               dyn_ctl_method_name((dyn_ctl_method)m), s * 1e3, fl / s / DYN_WORK_RATE, s / gd);
    }
    free(th0);
}

int main(void)
{
    enum { N = 100 };
    double x[2 * 400], y[400];
    dyn_ctl_sin(N, 1, 0.0, x, y);
    dyn_data sin_data = {.n = N, .d = 1, .x = x, .y = y, .n_class = 0};
    dyn_ctl_desc ref = {.n_in = 1, .width = 5, .layers = 20, .delta = 0.25, .act = DYN_ACT_TANH, .reg = 1e-3};
    run("Li et al.'s toy: sin, zero init", &ref, &sin_data, 0.0);
    dyn_toy_desc td = {.kind = DYN_TOY_SPIRALS, .n = 400, .noise = 0.05, .seed = 1};
    int k;
    dyn_data_toy(&td, x, 800, y, 400, &k);
    dyn_data sp = {.n = 400, .d = 2, .x = x, .y = y, .n_class = k};
    dyn_ctl_desc wide = {.n_in = 2, .n_class = 2, .width = 16, .layers = 10, .delta = 0.5, .act = DYN_ACT_TANH};
    run("spirals, width 16, normal init", &wide, &sp, 1.0);
    return 0;
}
