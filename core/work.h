/* work.h - what a computation will cost before it starts: operations, bytes, and seconds at a stated rate. */
#ifndef DYN_WORK_H
#define DYN_WORK_H

/* Index
 *   dyn_work             an estimate: operations (multiply-add equivalents) and peak bytes
 *   DYN_WORK_RATE        operations per second one core is assumed to do (conservative, measured: see below)
 *   dyn_work_seconds     the estimate's running time at DYN_WORK_RATE
 *   dyn_work_add         two estimates of work done one after the other (operations add, peak bytes add)
 *
 * Each module declares its estimates next to its functions (dyn_train_work in net.h, dyn_ls_slice_work and
 * dyn_ls_hessian_work in landscape.h, dyn_mf_simulate_work and dyn_mf_grid_work in meanfield.h,
 * dyn_post_run_work in posterior.h), so the CLI and the page refuse the same jobs for the same reasons. An
 * estimate counts the inner loops' multiply-adds, with the costlier steps weighted in multiply-add equivalents
 * (a Gaussian draw, an exp or a tanh as DYN_WORK_TRANSCENDENTAL), and the bytes of every buffer the job holds at
 * once, its outputs included. Estimates are upper bounds in spirit: DYN_WORK_RATE is below what one core of an
 * ordinary laptop does on these loops (tests/bench/bench_work.c measures the ratio for each estimate), so a job
 * finishes before dyn_work_seconds says, not after. Everything is double: counts pass 2^53 only for jobs that
 * would take years, and comparisons against limits stay meaningful there. */

typedef struct dyn_work {
    double ops;   /* multiply-add equivalents */
    double bytes; /* peak bytes held at once */
} dyn_work;

#define DYN_WORK_RATE 2e8            /* operations per second assumed (measured 0.5e9 .. 2e9 on one 2020s core) */
#define DYN_WORK_TRANSCENDENTAL 20.0 /* operations counted for one exp, tanh, log or Gaussian draw */

static inline double dyn_work_seconds(dyn_work w) { return w.ops / DYN_WORK_RATE; }
static inline dyn_work dyn_work_add(dyn_work a, dyn_work b)
{
    return (dyn_work){.ops = a.ops + b.ops, .bytes = a.bytes + b.bytes};
}

#endif
