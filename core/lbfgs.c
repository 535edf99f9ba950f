/* lbfgs.c - limited-memory BFGS (two-loop recursion) with a backtracking Armijo line search. */
#include "lbfgs.h"

#include <math.h>

static int finite_all(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

size_t dyn_lbfgs_scratch_doubles(int n, int m)
{
    if (n < 1 || n > DYN_LBFGS_MAX_N || m < 1 || m > DYN_LBFGS_MAX_M) return 0;
    return (size_t)(2 * m + 4) * (size_t)n + 2u * (size_t)m;
}

dyn_status dyn_lbfgs_minimize(const dyn_lbfgs_desc *d, dyn_lbfgs_fn f, void *ctx, double *x, int n, double *fx,
                              int *iters, double *scratch, size_t scratch_len)
{
    dyn_lbfgs_desc r = {0};
    if (d) r = *d;
    if (!f || !x || !scratch) return DYN_ERR_NULL;
    if (r.m == 0) r.m = 5;
    if (r.max_iter == 0) r.max_iter = 10;
    if (r.gtol == 0.0) r.gtol = 1e-12;
    if (r.m < 1 || r.m > DYN_LBFGS_MAX_M || r.max_iter < 1 || r.max_iter > 100000 || !(r.gtol >= 0.0) ||
        isinf(r.gtol))
        return DYN_ERR_RANGE;
    size_t need = dyn_lbfgs_scratch_doubles(n, r.m);
    if (!need) return DYN_ERR_SIZE;
    if (scratch_len < need) return DYN_ERR_BUFFER;

    const int m = r.m;
    double *S = scratch, *Y = S + (size_t)m * n, *g = Y + (size_t)m * n, *dir = g + n, *xn = dir + n, *gn = xn + n;
    double *rho = gn + n, *alpha = rho + m;
    if (iters) *iters = 0;

    double f0 = f(ctx, x, g);
    if (!isfinite(f0) || !finite_all(g, n)) return DYN_ERR_NAN;
    int stored = 0, head = 0; /* ring buffer of the last `stored` pairs; head = the next slot */
    int it = 0;
    for (; it < r.max_iter; it++) {
        double gmax = 0.0;
        for (int i = 0; i < n; i++) gmax = fmax(gmax, fabs(g[i]));
        if (gmax <= r.gtol) break;
        /* two-loop recursion: dir = -H g */
        for (int i = 0; i < n; i++) dir[i] = -g[i];
        for (int k = 0; k < stored; k++) {
            int j = (head - 1 - k + 2 * m) % m;
            alpha[j] = rho[j] * dot(S + (size_t)j * n, dir, n);
            double *yj = Y + (size_t)j * n;
            for (int i = 0; i < n; i++) dir[i] -= alpha[j] * yj[i];
        }
        double gamma;
        if (stored > 0) {
            int j = (head - 1 + m) % m;
            const double *yj = Y + (size_t)j * n;
            gamma = dot(S + (size_t)j * n, yj, n) / dot(yj, yj, n);
        } else {
            gamma = 1.0 / fmax(1.0, sqrt(dot(g, g, n))); /* first step: at most unit length */
        }
        for (int i = 0; i < n; i++) dir[i] *= gamma;
        for (int k = stored - 1; k >= 0; k--) {
            int j = (head - 1 - k + 2 * m) % m;
            double beta = rho[j] * dot(Y + (size_t)j * n, dir, n);
            const double *sj = S + (size_t)j * n;
            for (int i = 0; i < n; i++) dir[i] += (alpha[j] - beta) * sj[i];
        }
        double slope = dot(g, dir, n);
        if (!(slope < 0.0)) { /* not a descent direction (round-off): restart from steepest descent */
            stored = 0;
            double s1 = 1.0 / fmax(1.0, sqrt(dot(g, g, n)));
            for (int i = 0; i < n; i++) dir[i] = -s1 * g[i];
            slope = dot(g, dir, n);
            if (!(slope < 0.0)) break;
        }
        double step = 1.0, f1 = 0.0;
        int ok = 0;
        for (int ls = 0; ls < 40; ls++) {
            for (int i = 0; i < n; i++) xn[i] = x[i] + step * dir[i];
            f1 = f(ctx, xn, gn);
            if (isfinite(f1) && finite_all(gn, n) && f1 <= f0 + 1e-4 * step * slope) {
                ok = 1;
                break;
            }
            /* the minimiser of the quadratic through f0, slope and f1 (Nocedal and Wright 3.57), kept within
             * [0.1, 0.5] of the step; a non-finite value shrinks by 10 */
            double next = 0.1 * step;
            if (isfinite(f1)) {
                double den = 2.0 * (f1 - f0 - slope * step);
                if (den > 0.0) next = fmin(0.5 * step, fmax(0.1 * step, -slope * step * step / den));
            }
            step = next;
        }
        if (!ok) break; /* no decrease to working precision: x is as good as this method gets */
        double *sj = S + (size_t)head * n, *yj = Y + (size_t)head * n;
        for (int i = 0; i < n; i++) {
            sj[i] = xn[i] - x[i];
            yj[i] = gn[i] - g[i];
            x[i] = xn[i];
            g[i] = gn[i];
        }
        f0 = f1;
        double sy = dot(sj, yj, n);
        if (sy > 1e-12 * sqrt(dot(sj, sj, n) * dot(yj, yj, n))) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % m;
            if (stored < m) stored++;
        }
    }
    if (fx) *fx = f0;
    if (iters) *iters = it;
    return DYN_OK;
}
