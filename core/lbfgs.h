/* lbfgs.h - limited-memory BFGS minimisation with a backtracking line search, in caller memory (runs in WASM too). */
#ifndef DYN_LBFGS_H
#define DYN_LBFGS_H

#include <stddef.h>

#include "status.h"

/* Index
 *   dyn_lbfgs_fn              the objective: returns f(x) and writes its gradient
 *   dyn_lbfgs_desc            history length, iterations, tolerance (zero = default)
 *   dyn_lbfgs_scratch_doubles scratch for n variables
 *   dyn_lbfgs_minimize        minimise from x (overwritten with the result)
 *
 * The two-loop recursion (Nocedal and Wright, Numerical Optimization, 2nd ed., Algorithm 7.4) with the initial
 * Hessian scaled by s.y / y.y (their 7.20), and a backtracking Armijo line search (sufficient decrease c1 = 1e-4;
 * each retry at the minimiser of the interpolating quadratic, within [0.1, 0.5] of the last step; at most 40) that
 * also backs off from non-finite values. A pair (s, y) with s.y <= 1e-12 |s| |y|
 * (no positive curvature along s) is not stored, so the implicit Hessian stays positive definite on non-convex
 * objectives such as the layer Hamiltonians of core/control.h. Deterministic: the same bits for the same inputs.
 */

#define DYN_LBFGS_MAX_N (1L << 22) /* variables */
#define DYN_LBFGS_MAX_M 32        /* history pairs */

/* f(x) for the n variables at x, its gradient in grad (n values, overwritten). A non-finite return value means
 * "outside the domain": the line search backs off. */
typedef double (*dyn_lbfgs_fn)(void *ctx, const double *x, double *grad);

typedef struct dyn_lbfgs_desc {
    int m;          /* history pairs, 0 -> 5; 1..DYN_LBFGS_MAX_M */
    int max_iter;   /* iterations (line searches), 0 -> 10; 1..100000 */
    double gtol;    /* stop when |grad|_inf <= gtol; 0 -> 1e-12; >= 0 */
} dyn_lbfgs_desc;

/* Doubles of scratch: (2 m + 4) n + 2 m; 0 for n or m out of range. */
size_t dyn_lbfgs_scratch_doubles(int n, int m);

/* Minimises f from x (n doubles, overwritten with the best point found; f never increases). fx (may be NULL):
 * the final value; iters (may be NULL): line searches taken. d may be NULL (all defaults).
 * Returns DYN_OK (max_iter reached, gradient below gtol, or no further decrease possible), DYN_ERR_NULL,
 * DYN_ERR_SIZE, DYN_ERR_RANGE (a descriptor field out of range), DYN_ERR_BUFFER (scratch too small),
 * DYN_ERR_NAN (f or its gradient is not finite at the starting point). */
dyn_status dyn_lbfgs_minimize(const dyn_lbfgs_desc *d, dyn_lbfgs_fn f, void *ctx, double *x, int n, double *fx,
                              int *iters, double *scratch, size_t scratch_len);

#endif
