/* bench_work.c - for `make bench`: each core cost estimate (work.h) against the measured time of the job it
 * describes, so DYN_WORK_RATE can be seen to be conservative (measured / estimated below 1 on this machine). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data.h"
#include "landscape.h"
#include "meanfield.h"
#include "net.h"
#include "posterior.h"
#include "work.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double worst = 0.0;

static void report(const char *what, dyn_work w, double seconds)
{
    double est = dyn_work_seconds(w), r = seconds / est;
    worst = r > worst ? r : worst;
    printf("%-44s estimated %8.3f s (%9.3g ops, %8.3g MB)  measured %8.3f s  measured/estimated %.3f\n", what, est,
           w.ops, w.bytes / 1e6, seconds, r);
}

int main(void)
{
    printf("DYN_WORK_RATE = %.3g operations per second\n", DYN_WORK_RATE);
    /* training and slices: spirals, 3 x 32 tanh, Adam, batch 32 */
    enum { N = 400 };
    double *x = malloc(sizeof(double) * 2 * N), *y = malloc(sizeof(double) * N);
    int k;
    dyn_toy_desc td = {.kind = DYN_TOY_SPIRALS, .n = N, .noise = 0.1, .seed = 1};
    if (dyn_data_toy(&td, x, 2 * N, y, N, &k)) return 1;
    dyn_data data = {.n = N, .d = 2, .x = x, .y = y, .n_class = k};
    dyn_net_desc nd = {.n_in = 2, .n_out = 2, .depth = 3, .width = 32, .act = DYN_ACT_TANH};
    dyn_net net;
    dyn_net_init(&net, &nd);
    size_t P = (size_t)net.n_params;
    double *th = malloc(sizeof(double) * P);
    dyn_net_init_params(&net, 1, 0, 1, th, P);
    dyn_train_desc trd = {.opt = DYN_OPT_ADAM, .batch = 32, .seed = 1};
    size_t bytes = dyn_train_bytes(&net, &trd, N);
    void *mem = malloc(bytes);
    dyn_train t;
    dyn_train_init(&t, &net, &trd, &data, th, mem, bytes);
    int steps = 4000;
    double t0 = now_s();
    dyn_train_run(&t, &data, steps, NULL);
    report("train 3x32 tanh, Adam, batch 32, 4000 steps", dyn_train_work(&net, 32, N, steps, 0), now_s() - t0);
    memcpy(th, t.theta, sizeof(double) * P);

    double *dirs = malloc(sizeof(double) * 2 * P);
    dyn_ls_random_dirs(&net, th, DYN_DIRNORM_FILTER, 7, 2, dirs, 2 * P);
    int nx = 41, ny = 41;
    float *g = malloc(sizeof(float) * 2 * nx * ny);
    size_t ns = dyn_ls_slice_scratch_doubles(&net, N);
    double *s = malloc(sizeof(double) * ns);
    dyn_ls_slice_desc sd = {.a_min = -1, .a_max = 1, .b_min = -1, .b_max = 1, .nx = nx, .ny = ny};
    t0 = now_s();
    dyn_ls_slice(&net, th, dirs, dirs + P, &data, &sd, g, g + nx * ny, (size_t)nx * ny, s, ns);
    report("slice 41x41, 400 examples", dyn_ls_slice_work(&net, N, nx, ny), now_s() - t0);

    dyn_ls_hess_desc hd = {.k = 2, .steps = 40, .seed = 1};
    size_t hs = dyn_ls_hessian_scratch_doubles(&net, N, &hd);
    double *hsc = malloc(sizeof(double) * hs);
    dyn_ls_hess_result res;
    t0 = now_s();
    dyn_ls_hessian(&net, th, &data, &hd, &res, NULL, 0, hsc, hs);
    report("Hessian, 40 Lanczos steps", dyn_ls_hessian_work(&net, N, &hd), now_s() - t0);

    /* finite-width networks */
    dyn_mf_sim_desc md = {.act = DYN_ACT_TANH, .width = 500, .depth = 30, .seeds = 8, .seed = 1, .sw2 = 2, .sb2 = 0.05,
                          .q0 = 1, .c0 = 0.5};
    size_t ms = dyn_mf_sim_scratch_doubles(500);
    double *msc = malloc(sizeof(double) * ms), out[4][31];
    t0 = now_s();
    dyn_mf_simulate(&md, msc, ms, out[0], out[1], out[2], out[3], NULL);
    report("meanfield simulate N=500, L=30, 8 nets", dyn_mf_simulate_work(&md), now_s() - t0);

    /* the posterior: linreg, 1000 synthetic examples; set-up, a million SGD steps, diagnostics of 1e5 iterates */
    dyn_post_model pm = {.kind = DYN_POST_LINREG, .n = 1000, .d = 2};
    double *px = malloc(sizeof(double) * 2000), *py = malloc(sizeof(double) * 1000);
    dyn_post_synthesize(&pm, 1, px, 2000, py, 1000, NULL);
    pm.x = px, pm.y = py;
    size_t sl = dyn_post_scratch_doubles(2);
    double *psc = malloc(sizeof(double) * sl), mode[2], A[4], B[4], pmean[2], pcov[4], logz;
    dyn_post_box box;
    t0 = now_s();
    dyn_post_optimum(&pm, NULL, mode, A, B, psc, sl);
    dyn_post_linreg_exact(&pm, pmean, pcov, psc, sl);
    dyn_post_box_auto(&pm, mode, A, 10, &box);
    dyn_post_moments2d(&pm, &box, 0, 0, &logz, NULL, NULL);
    report("posterior set-up, linreg N=1000, D=2", dyn_post_setup_work(&pm), now_s() - t0);
    double es;
    dyn_post_eps_star(2, 1000, 10, B, &es);
    dyn_post_sampler_desc psd = {.kind = DYN_POST_SGD, .eps = es, .batch = 10, .start = mode, .seed = 3};
    size_t sb = dyn_post_sampler_bytes(&pm, &psd);
    void *smem = malloc(sb);
    dyn_post_sampler smp;
    dyn_post_sampler_init(&smp, &pm, &psd, smem, sb);
    long keep = 100000, got;
    double *it = malloc(sizeof(double) * 2 * keep);
    t0 = now_s();
    dyn_post_sampler_run(&smp, 1000000, 10, it, 2 * (size_t)keep, &got);
    report("SGD sampler, 1e6 steps, batch 10", dyn_post_run_work(&pm, &psd, 1e6, 1e5), now_s() - t0);
    double ess[2], tau, sm[2], scv[4], sse[4], *z = malloc(sizeof(double) * keep);
    t0 = now_s();
    dyn_post_moments(it, keep, 2, sm, scv);
    dyn_post_cov_se(it, keep, 2, sm, sse, z, (size_t)keep);
    for (int j = 0; j < 2; j++) dyn_post_ess(it + j, keep, 2, &ess[j], &tau);
    report("diagnostics of 1e5 iterates, D=2", dyn_post_diagnostics_work(2, 1e5), now_s() - t0);

    printf("worst measured/estimated: %.3f (below 1: every estimate is an upper bound here)\n", worst);
    free(x), free(y), free(th), free(mem), free(dirs), free(g), free(s), free(hsc), free(msc), free(px), free(py);
    free(psc), free(smem), free(it), free(z);
    return 0;
}
