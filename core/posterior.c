/* posterior.c - the models of posterior.h: losses, gradients, Hessians, modes, exact posteriors and 2-D grids. */
#include "posterior.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "linalg.h"
#include "posterior_impl.h"
#include "quad.h"

#define DNAN ((double)NAN)

static int bad(double v) { return isnan(v) || isinf(v); }

/* ------------------------------------------------------------------ defaults and validation */

/* the only place the defaults of posterior.h are resolved (posterior_impl.h) */
post_params post_params_of(const dyn_post_model *m)
{
    post_params p;
    p.d = m->kind == DYN_POST_MIXTURE && m->d == 0 ? 2 : m->d;
    if (m->kind == DYN_POST_MIXTURE) {
        p.s2 = m->noise_var > 0.0 ? m->noise_var : 2.0;
        p.t2 = m->prior_var > 0.0 ? m->prior_var : 10.0;
        p.t2b = m->prior_var2 > 0.0 ? m->prior_var2 : 1.0;
    } else {
        p.s2 = m->noise_var > 0.0 ? m->noise_var : 1.0;
        p.t2 = m->prior_var > 0.0 ? m->prior_var : 1.0;
        p.t2b = p.t2;
    }
    return p;
}

long post_batch_of(int batch, long n) { return batch ? batch : (n < 10 ? n : 10); }

double post_momentum_of(double momentum) { return momentum != 0.0 ? momentum : 0.9; }

static dyn_status check_shape(const dyn_post_model *m)
{
    if ((int)m->kind < 0 || m->kind >= DYN_POST_KIND_COUNT) return DYN_ERR_RANGE;
    if (m->n < 1 || m->n > DYN_POST_MAX_N) return DYN_ERR_SIZE;
    if (m->kind == DYN_POST_MIXTURE) return m->d == 0 || m->d == 2 ? DYN_OK : DYN_ERR_SIZE;
    return m->d >= 1 && m->d <= DYN_POST_MAX_D ? DYN_OK : DYN_ERR_SIZE;
}

dyn_status dyn_post_model_check(const dyn_post_model *m, long *bad_index)
{
    if (bad_index) *bad_index = -1;
    if (!m) return DYN_ERR_NULL;
    dyn_status s = check_shape(m);
    if (s) return s;
    if (!m->x || (m->kind != DYN_POST_MIXTURE && !m->y)) return DYN_ERR_NULL;
    if (bad(m->noise_var) || bad(m->prior_var) || bad(m->prior_var2)) return DYN_ERR_NAN;
    if (m->noise_var < 0.0 || m->prior_var < 0.0 || m->prior_var2 < 0.0) return DYN_ERR_RANGE;
    int d = post_params_of(m).d, per = m->kind == DYN_POST_MIXTURE ? 1 : d;
    for (long i = 0; i < m->n; i++) {
        for (int j = 0; j < per; j++)
            if (bad(m->x[(size_t)i * per + j])) {
                if (bad_index) *bad_index = i;
                return DYN_ERR_NAN;
            }
        if (m->kind == DYN_POST_MIXTURE) continue;
        if (bad(m->y[i])) {
            if (bad_index) *bad_index = i;
            return DYN_ERR_NAN;
        }
        if (m->kind == DYN_POST_LOGISTIC && m->y[i] != 0.0 && m->y[i] != 1.0) {
            if (bad_index) *bad_index = i;
            return DYN_ERR_RANGE;
        }
    }
    return DYN_OK;
}

static const char *const MODEL_NAMES[DYN_POST_KIND_COUNT] = {"linreg", "logistic", "mixture"};

const char *dyn_post_model_name(dyn_post_kind k)
{
    return (int)k >= 0 && k < DYN_POST_KIND_COUNT ? MODEL_NAMES[k] : NULL;
}

dyn_status dyn_post_model_parse(const char *name, dyn_post_kind *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < DYN_POST_KIND_COUNT; i++)
        if (strcmp(name, MODEL_NAMES[i]) == 0) {
            *out = (dyn_post_kind)i;
            return DYN_OK;
        }
    return DYN_ERR_UNKNOWN_NAME;
}

/* ------------------------------------------------------------------ synthetic data */

dyn_status dyn_post_synthesize(const dyn_post_model *m, uint64_t seed, double *x_out, size_t x_len, double *y_out,
                               size_t y_len, double *theta_true)
{
    if (!m || !x_out) return DYN_ERR_NULL;
    dyn_status s = check_shape(m);
    if (s) return s;
    if (bad(m->noise_var)) return DYN_ERR_NAN;
    if (m->noise_var < 0.0) return DYN_ERR_RANGE;
    post_params p = post_params_of(m);
    long n = m->n;
    int d = p.d, mix = m->kind == DYN_POST_MIXTURE;
    if (x_len < (size_t)n * (mix ? 1 : (size_t)d)) return DYN_ERR_BUFFER;
    if (!mix && !y_out) return DYN_ERR_NULL;
    if (!mix && y_len < (size_t)n) return DYN_ERR_BUFFER;
    dyn_rng r;
    dyn_rng_seed(&r, seed);
    double sn = sqrt(p.s2);
    if (mix) {
        if (theta_true) theta_true[0] = 0.0, theta_true[1] = 1.0;
        for (long i = 0; i < n; i++) {
            double c = dyn_rng_uniform(&r) < 0.5 ? 0.0 : 1.0;
            x_out[i] = c + sn * dyn_rng_normal(&r);
        }
        return DYN_OK;
    }
    const double rho = 0.6, sr = sqrt(1.0 - rho * rho);
    int logi = m->kind == DYN_POST_LOGISTIC;
    double tt[DYN_POST_MAX_D];
    for (int j = 0; j < d; j++) {
        double sign = j % 2 ? -1.0 : 1.0;
        tt[j] = logi ? (j == 0 ? 0.5 : sign * (1.5 - j / (2.0 * d))) : sign * (1.0 - j / (2.0 * d));
    }
    if (theta_true) memcpy(theta_true, tt, sizeof(double) * (size_t)d);
    for (long i = 0; i < n; i++) {
        double *xi = x_out + (size_t)i * d, prev = 0.0, z = 0.0;
        for (int j = 0; j < d; j++) {
            if (logi && j == 0) {
                xi[0] = 1.0;
                continue;
            }
            double e = dyn_rng_normal(&r);
            prev = (j == 0 || (logi && j == 1)) ? e : rho * prev + sr * e;
            xi[j] = prev;
        }
        for (int j = 0; j < d; j++) z += xi[j] * tt[j];
        if (logi) {
            double pr = 1.0 / (1.0 + exp(-z));
            y_out[i] = dyn_rng_uniform(&r) < pr ? 1.0 : 0.0;
        } else {
            y_out[i] = z + sn * dyn_rng_normal(&r);
        }
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ per-example terms */

static double softplus(double z) { return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z)); }
static double sigmoid(double z) { return dyn_act_phi(DYN_ACT_SIGMOID, z); } /* act.c's kernel, no libm */

static double dot(const double *a, const double *b, int d)
{
    double s = 0.0;
    for (int j = 0; j < d; j++) s += a[j] * b[j];
    return s;
}

/* mixture: u_k = log-density terms without constants, responsibilities r1, r2 = 1 - r1 */
typedef struct mixterm {
    double lse, r1, r2, g1, g2; /* g1 = (x - a)/v, g2 = (x - a - b)/v */
} mixterm;

static mixterm mix_term(double x, double a, double b, double v)
{
    mixterm t;
    double e1 = x - a, e2 = x - a - b, u1 = -0.5 * e1 * e1 / v, u2 = -0.5 * e2 * e2 / v;
    double mx = fmax(u1, u2);
    t.lse = mx + log(exp(u1 - mx) + exp(u2 - mx));
    t.r1 = exp(u1 - t.lse);
    t.r2 = exp(u2 - t.lse);
    t.g1 = e1 / v;
    t.g2 = e2 / v;
    return t;
}

/* sum_i of -log p(x_i | theta) (constants dropped) */
static double neg_loglik(const dyn_post_model *m, const post_params *p, const double *th)
{
    double s = 0.0;
    long n = m->n;
    int d = p->d;
    switch (m->kind) {
    case DYN_POST_LINREG:
        for (long i = 0; i < n; i++) {
            double r = dot(m->x + (size_t)i * d, th, d) - m->y[i];
            s += r * r;
        }
        return 0.5 * s / p->s2;
    case DYN_POST_LOGISTIC:
        for (long i = 0; i < n; i++) {
            double z = dot(m->x + (size_t)i * d, th, d);
            s += softplus(z) - m->y[i] * z;
        }
        return s;
    default:
        for (long i = 0; i < n; i++) s -= mix_term(m->x[i], th[0], th[1], p->s2).lse;
        return s;
    }
}

static double neg_logprior(const dyn_post_model *m, const post_params *p, const double *th)
{
    if (m->kind == DYN_POST_MIXTURE) return 0.5 * (th[0] * th[0] / p->t2 + th[1] * th[1] / p->t2b);
    return 0.5 * dot(th, th, p->d) / p->t2;
}

/* grad of l_i into g (D), prior share included */
static void example_grad(const dyn_post_model *m, const post_params *p, long i, const double *th, double *g)
{
    int d = p->d;
    double inv_n = 1.0 / (double)m->n;
    if (m->kind == DYN_POST_MIXTURE) {
        mixterm t = mix_term(m->x[i], th[0], th[1], p->s2);
        g[0] = -(t.r1 * t.g1 + t.r2 * t.g2) + inv_n * th[0] / p->t2;
        g[1] = -t.r2 * t.g2 + inv_n * th[1] / p->t2b;
        return;
    }
    const double *xi = m->x + (size_t)i * d;
    double z = dot(xi, th, d);
    double c = m->kind == DYN_POST_LINREG ? (z - m->y[i]) / p->s2 : sigmoid(z) - m->y[i];
    for (int j = 0; j < d; j++) g[j] = c * xi[j] + inv_n * th[j] / p->t2;
}

/* Hessian of l_i added to h (D x D) */
static void example_hess_add(const dyn_post_model *m, const post_params *p, long i, const double *th, double *h)
{
    int d = p->d;
    double inv_n = 1.0 / (double)m->n;
    if (m->kind == DYN_POST_MIXTURE) {
        mixterm t = mix_term(m->x[i], th[0], th[1], p->s2);
        double v = p->s2, dg[2] = {t.g1 - t.g2, -t.g2}, rr = t.r1 * t.r2;
        /* -grad^2 logsumexp(u) = -(sum r_k grad^2 u_k + r1 r2 (grad u1 - grad u2)(grad u1 - grad u2)^T) */
        h[0] += t.r1 / v + t.r2 / v - rr * dg[0] * dg[0] + inv_n / p->t2;
        h[1] += t.r2 / v - rr * dg[0] * dg[1];
        h[2] += t.r2 / v - rr * dg[1] * dg[0];
        h[3] += t.r2 / v - rr * dg[1] * dg[1] + inv_n / p->t2b;
        return;
    }
    const double *xi = m->x + (size_t)i * d;
    double c = 1.0 / p->s2;
    if (m->kind == DYN_POST_LOGISTIC) {
        double s = sigmoid(dot(xi, th, d));
        c = s * (1.0 - s);
    }
    for (int j = 0; j < d; j++) {
        for (int k = 0; k < d; k++) h[(size_t)j * d + k] += c * xi[j] * xi[k];
        h[(size_t)j * d + j] += inv_n / p->t2;
    }
}

/* ------------------------------------------------------------------ public model functions */

dyn_status dyn_post_loss(const dyn_post_model *m, const double *theta, double *loss)
{
    if (!m || !theta || !loss) return DYN_ERR_NULL;
    post_params p = post_params_of(m);
    *loss = (neg_loglik(m, &p, theta) + neg_logprior(m, &p, theta)) / (double)m->n;
    return DYN_OK;
}

dyn_status dyn_post_example_grad(const dyn_post_model *m, long i, const double *theta, double *grad)
{
    if (!m || !theta || !grad) return DYN_ERR_NULL;
    if (i < 0 || i >= m->n) return DYN_ERR_RANGE;
    post_params p = post_params_of(m);
    example_grad(m, &p, i, theta, grad);
    return DYN_OK;
}

dyn_status dyn_post_grad(const dyn_post_model *m, const double *theta, double *grad)
{
    if (!m || !theta || !grad) return DYN_ERR_NULL;
    post_params p = post_params_of(m);
    int d = p.d;
    double g[DYN_POST_MAX_D];
    for (int j = 0; j < d; j++) grad[j] = 0.0;
    for (long i = 0; i < m->n; i++) {
        example_grad(m, &p, i, theta, g);
        for (int j = 0; j < d; j++) grad[j] += g[j];
    }
    for (int j = 0; j < d; j++) grad[j] /= (double)m->n;
    return DYN_OK;
}

dyn_status dyn_post_hessian(const dyn_post_model *m, const double *theta, double *hess)
{
    if (!m || !theta || !hess) return DYN_ERR_NULL;
    post_params p = post_params_of(m);
    int d = p.d;
    memset(hess, 0, sizeof(double) * (size_t)d * d);
    for (long i = 0; i < m->n; i++) example_hess_add(m, &p, i, theta, hess);
    for (size_t k = 0; k < (size_t)d * d; k++) hess[k] /= (double)m->n;
    return DYN_OK;
}

dyn_status dyn_post_grad_cov(const dyn_post_model *m, const double *theta, double *gcov, double *scratch,
                             size_t scratch_len)
{
    if (!m || !theta || !gcov || !scratch) return DYN_ERR_NULL;
    post_params p = post_params_of(m);
    int d = p.d;
    if (scratch_len < 2 * (size_t)d) return DYN_ERR_BUFFER;
    double *gbar = scratch, *g = scratch + d;
    dyn_post_grad(m, theta, gbar);
    memset(gcov, 0, sizeof(double) * (size_t)d * d);
    for (long i = 0; i < m->n; i++) {
        example_grad(m, &p, i, theta, g);
        for (int j = 0; j < d; j++) g[j] -= gbar[j];
        for (int j = 0; j < d; j++)
            for (int k = 0; k <= j; k++) gcov[(size_t)j * d + k] += g[j] * g[k];
    }
    for (int j = 0; j < d; j++)
        for (int k = 0; k <= j; k++) {
            double v = gcov[(size_t)j * d + k] / (double)m->n;
            gcov[(size_t)j * d + k] = gcov[(size_t)k * d + j] = v;
        }
    return DYN_OK;
}

dyn_status dyn_post_check_design(const dyn_post_model *m, int *bad_column, double *scratch, size_t scratch_len)
{
    if (bad_column) *bad_column = -1;
    if (!m || !scratch) return DYN_ERR_NULL;
    dyn_status s = check_shape(m);
    if (s) return s;
    if (m->kind == DYN_POST_MIXTURE) return DYN_OK;
    int d = m->d;
    if (scratch_len < dyn_post_scratch_doubles(d)) return DYN_ERR_BUFFER;
    double *g = scratch, *l = g + (size_t)d * d;
    memset(g, 0, sizeof(double) * (size_t)d * d);
    for (long i = 0; i < m->n; i++) {
        const double *xi = m->x + (size_t)i * d;
        for (int j = 0; j < d; j++)
            for (int k = 0; k <= j; k++) g[(size_t)j * d + k] += xi[j] * xi[k];
    }
    for (int j = 0; j < d; j++)
        for (int k = 0; k < j; k++) g[(size_t)k * d + j] = g[(size_t)j * d + k];
    int piv = -1;
    s = dyn_la_cholesky(d, g, l, &piv);
    if (s == DYN_ERR_NO_SOLUTION && bad_column) *bad_column = piv;
    return s;
}

dyn_status dyn_post_linreg_exact(const dyn_post_model *m, double *mean, double *cov, double *scratch,
                                 size_t scratch_len)
{
    if (!m || !mean || !cov || !scratch) return DYN_ERR_NULL;
    if (m->kind != DYN_POST_LINREG) return DYN_ERR_RANGE;
    dyn_status s = check_shape(m);
    if (s) return s;
    int d = m->d;
    if (scratch_len < dyn_post_scratch_doubles(d)) return DYN_ERR_BUFFER;
    if ((s = dyn_post_check_design(m, NULL, scratch, scratch_len))) return s;
    post_params p = post_params_of(m);
    double *prec = scratch, *l = prec + (size_t)d * d, *b = l + (size_t)d * d;
    memset(prec, 0, sizeof(double) * (size_t)d * d);
    for (int j = 0; j < d; j++) b[j] = 0.0;
    for (long i = 0; i < m->n; i++) {
        const double *xi = m->x + (size_t)i * d;
        for (int j = 0; j < d; j++) {
            for (int k = 0; k <= j; k++) prec[(size_t)j * d + k] += xi[j] * xi[k];
            b[j] += xi[j] * m->y[i];
        }
    }
    for (int j = 0; j < d; j++) {
        for (int k = 0; k <= j; k++) {
            double v = prec[(size_t)j * d + k] / p.s2 + (j == k ? 1.0 / p.t2 : 0.0);
            prec[(size_t)j * d + k] = prec[(size_t)k * d + j] = v;
        }
        b[j] /= p.s2;
    }
    if ((s = dyn_la_cholesky(d, prec, l, NULL))) return s;
    dyn_la_chol_solve(d, l, 1, b, mean);
    for (int j = 0; j < d; j++)
        for (int k = 0; k < d; k++) cov[(size_t)j * d + k] = j == k;
    dyn_la_chol_solve(d, l, d, cov, cov);
    for (int j = 0; j < d; j++)
        for (int k = 0; k < j; k++) {
            double v = 0.5 * (cov[(size_t)j * d + k] + cov[(size_t)k * d + j]);
            cov[(size_t)j * d + k] = cov[(size_t)k * d + j] = v;
        }
    return DYN_OK;
}

/* ------------------------------------------------------------------ the mode: damped Newton */

dyn_status dyn_post_optimum(const dyn_post_model *m, const double *start, double *mode, double *hess, double *gcov,
                            double *scratch, size_t scratch_len)
{
    if (!m || !mode || !scratch) return DYN_ERR_NULL;
    dyn_status s = check_shape(m);
    if (s) return s;
    post_params p = post_params_of(m);
    int d = p.d;
    size_t dd = (size_t)d * d;
    if (scratch_len < dyn_post_scratch_doubles(d)) return DYN_ERR_BUFFER;
    if (m->kind != DYN_POST_MIXTURE && (s = dyn_post_check_design(m, NULL, scratch, scratch_len))) return s;
    double *h = scratch, *l = h + dd, *g = l + dd, *step = g + d, *trial = step + d;
    if (start) {
        for (int j = 0; j < d; j++)
            if (bad(start[j])) return DYN_ERR_NAN;
        memcpy(mode, start, sizeof(double) * (size_t)d);
    } else if (m->kind == DYN_POST_MIXTURE) {
        /* the global mode: the best point of a scan around the data, then Newton */
        double mean = 0.0, var = 0.0;
        for (long i = 0; i < m->n; i++) mean += m->x[i];
        mean /= (double)m->n;
        for (long i = 0; i < m->n; i++) var += (m->x[i] - mean) * (m->x[i] - mean);
        double sd = sqrt(var / (double)m->n) + 1.0, best = (double)INFINITY;
        for (int a = 0; a < 64; a++)
            for (int b = 0; b < 64; b++) {
                double th[2] = {mean + 3.0 * sd * (a / 31.5 - 1.0), 3.0 * sd * (b / 31.5 - 1.0)}, L;
                dyn_post_loss(m, th, &L);
                if (L < best) best = L, mode[0] = th[0], mode[1] = th[1];
            }
    } else {
        for (int j = 0; j < d; j++) mode[j] = 0.0;
    }
    double L;
    dyn_post_loss(m, mode, &L);
    if (bad(L)) return DYN_ERR_NO_CONVERGE;
    int done = 0;
    for (int it = 0; it < 200 && !done; it++) {
        dyn_post_grad(m, mode, g);
        dyn_post_hessian(m, mode, h);
        double gmax = 0.0, hmax = 0.0;
        for (int j = 0; j < d; j++) gmax = fmax(gmax, fabs(g[j]));
        for (size_t k = 0; k < dd; k++) hmax = fmax(hmax, fabs(h[k]));
        if (gmax == 0.0) { /* exactly at a stationary point (e.g. linreg with all targets 0, started at 0) */
            done = 1;
            break;
        }
        /* Levenberg damping where the Hessian is not positive definite (between the mixture's modes) */
        double mu = 0.0;
        for (int tries = 0; tries < 60; tries++) {
            memcpy(l, h, sizeof(double) * dd);
            for (int j = 0; j < d; j++) l[(size_t)j * d + j] += mu;
            if (dyn_la_cholesky(d, l, l, NULL) == DYN_OK) break;
            mu = mu == 0.0 ? 1e-8 * (hmax + 1e-300) : 4.0 * mu;
        }
        for (int j = 0; j < d; j++) step[j] = -g[j];
        dyn_la_chol_solve(d, l, 1, step, step);
        double nmax = 0.0, tmax = 0.0;
        for (int j = 0; j < d; j++) {
            nmax = fmax(nmax, fabs(step[j]));
            tmax = fmax(tmax, fabs(mode[j]));
        }
        /* the stopping rule of posterior.h: an undamped Newton step below 1e-13 (1 + max |theta_j|) */
        int tiny = mu == 0.0 && nmax <= 1e-13 * (1.0 + tmax);
        double t = 1.0, Lt = L;
        int found = 0;
        for (int ls = 0; ls < 60; ls++, t *= 0.5) {
            for (int j = 0; j < d; j++) trial[j] = mode[j] + t * step[j];
            dyn_post_loss(m, trial, &Lt);
            if (Lt <= L + 1e-4 * t * dot(g, step, d) || Lt <= L) {
                found = 1;
                break;
            }
        }
        if (!found) {
            /* no halving lowers L: never accept an uphill point. At round-off level that is convergence. */
            if (tiny) done = 1;
            else return DYN_ERR_NO_CONVERGE;
            break;
        }
        double smax = 0.0;
        for (int j = 0; j < d; j++) smax = fmax(smax, fabs(trial[j] - mode[j]));
        memcpy(mode, trial, sizeof(double) * (size_t)d);
        L = Lt;
        if (tiny || smax == 0.0) done = 1;
        if (bad(L)) return DYN_ERR_NO_CONVERGE;
    }
    if (!done) return DYN_ERR_NO_CONVERGE;
    if (hess) dyn_post_hessian(m, mode, hess);
    if (gcov) dyn_post_grad_cov(m, mode, gcov, g, 2 * (size_t)d);
    return DYN_OK;
}

/* ------------------------------------------------------------------ 2-D grids */

static dyn_status box_ok(const dyn_post_box *b)
{
    if (bad(b->x0) || bad(b->x1) || bad(b->y0) || bad(b->y1)) return DYN_ERR_RANGE;
    return b->x1 > b->x0 && b->y1 > b->y0 ? DYN_OK : DYN_ERR_RANGE;
}

dyn_status dyn_post_box_auto(const dyn_post_model *m, const double *mode, const double *hess, double nsd,
                             dyn_post_box *box)
{
    if (!m || !mode || !hess || !box) return DYN_ERR_NULL;
    dyn_status s = check_shape(m);
    if (s) return s;
    if (post_params_of(m).d != 2) return DYN_ERR_SIZE;
    if (bad(nsd) || nsd < 0.0) return DYN_ERR_RANGE;
    if (nsd == 0.0) nsd = 10.0;
    double det = hess[0] * hess[3] - hess[1] * hess[2];
    if (!(hess[0] > 0.0) || !(det > 0.0)) return DYN_ERR_NO_SOLUTION;
    double n = (double)m->n, sx = nsd * sqrt(hess[3] / det / n), sy = nsd * sqrt(hess[0] / det / n);
    box->x0 = mode[0] - sx;
    box->x1 = mode[0] + sx;
    box->y0 = mode[1] - sy;
    box->y1 = mode[1] + sy;
    if (m->kind == DYN_POST_MIXTURE) {
        double mx = mode[0] + mode[1], my = -mode[1];
        box->x0 = fmin(box->x0, mx - sx);
        box->x1 = fmax(box->x1, mx + sx);
        box->y0 = fmin(box->y0, my - sy);
        box->y1 = fmax(box->y1, my + sy);
    }
    return box_ok(box);
}

/* -N L(theta) for D = 2, with the linear-regression quadratic from sufficient statistics */
typedef struct logpost {
    const dyn_post_model *m;
    post_params p;
    int quad;               /* linreg: use the sufficient statistics */
    double xx[3], xy[2], yy;
} logpost;

static void logpost_init(logpost *lp, const dyn_post_model *m)
{
    lp->m = m;
    lp->p = post_params_of(m);
    lp->quad = m->kind == DYN_POST_LINREG;
    if (!lp->quad) return;
    double a = 0, b = 0, c = 0, u = 0, v = 0, w = 0;
    for (long i = 0; i < m->n; i++) {
        const double *xi = m->x + 2 * (size_t)i;
        a += xi[0] * xi[0], b += xi[0] * xi[1], c += xi[1] * xi[1];
        u += xi[0] * m->y[i], v += xi[1] * m->y[i], w += m->y[i] * m->y[i];
    }
    lp->xx[0] = a, lp->xx[1] = b, lp->xx[2] = c, lp->xy[0] = u, lp->xy[1] = v, lp->yy = w;
}

static double logpost_eval(const logpost *lp, double t0, double t1)
{
    double th[2] = {t0, t1};
    if (lp->quad) {
        double rss = lp->yy - 2.0 * (t0 * lp->xy[0] + t1 * lp->xy[1]) +
                     t0 * t0 * lp->xx[0] + 2.0 * t0 * t1 * lp->xx[1] + t1 * t1 * lp->xx[2];
        return -0.5 * rss / lp->p.s2 - neg_logprior(lp->m, &lp->p, th);
    }
    return -neg_loglik(lp->m, &lp->p, th) - neg_logprior(lp->m, &lp->p, th);
}

dyn_status dyn_post_moments2d(const dyn_post_model *m, const dyn_post_box *box, int panels, int order,
                              double *log_z, double *mean, double *cov)
{
    if (!m || !box) return DYN_ERR_NULL;
    dyn_status s = check_shape(m);
    if (s) return s;
    if (post_params_of(m).d != 2) return DYN_ERR_SIZE;
    if (panels == 0) panels = 16;
    if (order == 0) order = 16;
    if (panels < 1 || panels > DYN_POST_MAX_PANELS || order < 2 || order > DYN_POST_MAX_ORDER) return DYN_ERR_SIZE;
    if ((s = box_ok(box))) return s;
    double gx[DYN_POST_MAX_ORDER], gw[DYN_POST_MAX_ORDER];
    if ((s = dyn_quad_legendre(order, gx, gw))) return s;
    logpost lp;
    logpost_init(&lp, m);
    double cx = 0.5 * (box->x0 + box->x1), cy = 0.5 * (box->y0 + box->y1);
    double hx = (box->x1 - box->x0) / panels, hy = (box->y1 - box->y0) / panels;
    /* streaming log-sum-exp: sums are scaled by exp(-ref); a new maximum rescales them */
    double ref = -(double)INFINITY, s0 = 0, s1x = 0, s1y = 0, sxx = 0, sxy = 0, syy = 0;
    for (int pi = 0; pi < panels; pi++)
        for (int a = 0; a < order; a++) {
            double x = box->x0 + hx * (pi + 0.5 + 0.5 * gx[a]), wx = 0.5 * hx * gw[a], dx = x - cx;
            for (int pj = 0; pj < panels; pj++)
                for (int b = 0; b < order; b++) {
                    double y = box->y0 + hy * (pj + 0.5 + 0.5 * gx[b]), w = wx * 0.5 * hy * gw[b], dy = y - cy;
                    double lv = logpost_eval(&lp, x, y);
                    if (bad(lv)) continue;
                    if (lv > ref) {
                        double f = isinf(ref) ? 0.0 : exp(ref - lv);
                        s0 *= f, s1x *= f, s1y *= f, sxx *= f, sxy *= f, syy *= f;
                        ref = lv;
                    }
                    double pw = w * exp(lv - ref);
                    s0 += pw;
                    s1x += pw * dx, s1y += pw * dy;
                    sxx += pw * dx * dx, sxy += pw * dx * dy, syy += pw * dy * dy;
                }
        }
    if (!(s0 > 0.0)) return DYN_ERR_RANGE;
    double mx = s1x / s0, my = s1y / s0;
    if (log_z) *log_z = ref + log(s0);
    if (mean) mean[0] = cx + mx, mean[1] = cy + my;
    if (cov) {
        cov[0] = sxx / s0 - mx * mx;
        cov[1] = cov[2] = sxy / s0 - mx * my;
        cov[3] = syy / s0 - my * my;
    }
    return DYN_OK;
}

static dyn_status grid_checks(const dyn_post_box *box, int nx, int ny, int *r0, int *r1, size_t out_len)
{
    if (nx < 2 || ny < 2 || nx > DYN_POST_MAX_GRID || ny > DYN_POST_MAX_GRID) return DYN_ERR_SIZE;
    dyn_status s = box_ok(box);
    if (s) return s;
    if (*r0 == 0 && *r1 == 0) *r1 = ny;
    if (*r0 < 0 || *r1 > ny || *r1 <= *r0) return DYN_ERR_RANGE;
    if (out_len < (size_t)nx * (size_t)(*r1 - *r0)) return DYN_ERR_BUFFER;
    return DYN_OK;
}

dyn_status dyn_post_density_grid(const dyn_post_model *m, const dyn_post_box *box, double log_z, int nx, int ny,
                                 int row_begin, int row_end, float *out, size_t out_len)
{
    if (!m || !box || !out) return DYN_ERR_NULL;
    dyn_status s = check_shape(m);
    if (s) return s;
    if (post_params_of(m).d != 2) return DYN_ERR_SIZE;
    if (bad(log_z)) return DYN_ERR_NAN;
    if ((s = grid_checks(box, nx, ny, &row_begin, &row_end, out_len))) return s;
    logpost lp;
    logpost_init(&lp, m);
    for (int r = row_begin; r < row_end; r++) {
        double y = box->y1 - (box->y1 - box->y0) * r / (ny - 1);
        for (int c = 0; c < nx; c++) {
            double x = box->x0 + (box->x1 - box->x0) * c / (nx - 1);
            out[(size_t)(r - row_begin) * nx + c] = (float)exp(logpost_eval(&lp, x, y) - log_z);
        }
    }
    return DYN_OK;
}

dyn_status dyn_post_gauss_grid(const double *mean, const double *cov, const dyn_post_box *box, int nx, int ny,
                               int row_begin, int row_end, float *out, size_t out_len)
{
    if (!mean || !cov || !box || !out) return DYN_ERR_NULL;
    if (bad(mean[0]) || bad(mean[1]) || bad(cov[0]) || bad(cov[1]) || bad(cov[2]) || bad(cov[3])) return DYN_ERR_NAN;
    dyn_status s = grid_checks(box, nx, ny, &row_begin, &row_end, out_len);
    if (s) return s;
    double c01 = 0.5 * (cov[1] + cov[2]), det = cov[0] * cov[3] - c01 * c01;
    if (!(cov[0] > 0.0) || !(det > 0.0)) return DYN_ERR_NO_SOLUTION;
    const double TWO_PI = 6.28318530717958647692;
    double norm = 1.0 / (TWO_PI * sqrt(det));
    for (int r = row_begin; r < row_end; r++) {
        double dy = box->y1 - (box->y1 - box->y0) * r / (ny - 1) - mean[1];
        for (int c = 0; c < nx; c++) {
            double dx = box->x0 + (box->x1 - box->x0) * c / (nx - 1) - mean[0];
            double q = (cov[3] * dx * dx - 2.0 * c01 * dx * dy + cov[0] * dy * dy) / det;
            out[(size_t)(r - row_begin) * nx + c] = (float)(norm * exp(-0.5 * q));
        }
    }
    return DYN_OK;
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

dyn_status dyn_post_hpd_levels(const float *grid, size_t n, const double *probs, int nprob, double *levels,
                               float *scratch, size_t scratch_len)
{
    if (!grid || !probs || !levels || !scratch) return DYN_ERR_NULL;
    if (n < 1 || nprob < 1) return DYN_ERR_SIZE;
    if (scratch_len < n) return DYN_ERR_BUFFER;
    for (int k = 0; k < nprob; k++)
        if (!(probs[k] > 0.0 && probs[k] < 1.0)) return DYN_ERR_RANGE;
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        float v = grid[i] > 0.0f && !isinf(grid[i]) ? grid[i] : 0.0f; /* NaN and negatives carry no mass */
        scratch[i] = v;
        total += (double)v;
    }
    if (!(total > 0.0)) return DYN_ERR_RANGE;
    qsort(scratch, n, sizeof *scratch, cmp_desc);
    for (int k = 0; k < nprob; k++) {
        double target = probs[k] * total, acc = 0.0;
        size_t i = 0;
        for (; i < n; i++) {
            acc += (double)scratch[i];
            if (acc >= target) break;
        }
        levels[k] = (double)scratch[i < n ? i : n - 1];
    }
    return DYN_OK;
}

/* The basin of each cell: follow the highest of the 8 neighbours uphill to a local maximum (path halving keeps
 * the walk short on long slopes). up[i] ends as the maximum's cell. */
static void grid_basins(const float *g, int nx, int ny, int *up)
{
    for (int r = 0; r < ny; r++)
        for (int c = 0; c < nx; c++) {
            int best = r * nx + c;
            float hi = g[best];
            for (int dr = -1; dr <= 1; dr++)
                for (int dc = -1; dc <= 1; dc++) {
                    int rr = r + dr, cc = c + dc;
                    if (rr < 0 || rr >= ny || cc < 0 || cc >= nx) continue;
                    /* ties go to the lower index, so a plateau (equal floats at a peak) is one mode */
                    int k = rr * nx + cc;
                    if (g[k] > hi || (g[k] == hi && k < best)) hi = g[k], best = k;
                }
            up[r * nx + c] = best;
        }
    for (int i = 0; i < nx * ny; i++) {
        int k = i;
        while (up[k] != k) {
            up[k] = up[up[k]];
            k = up[k];
        }
        up[i] = k;
    }
}

dyn_status dyn_post_grid_cover(const float *grid, int nx, int ny, const dyn_post_box *box, const double *mean,
                               const double *cov, double nsd, double min_rel, dyn_post_cover *out, int *scratch,
                               size_t scratch_len)
{
    if (!grid || !box || !mean || !cov || !out || !scratch) return DYN_ERR_NULL;
    if (nx < 2 || ny < 2 || nx > DYN_POST_MAX_GRID || ny > DYN_POST_MAX_GRID) return DYN_ERR_SIZE;
    if (scratch_len < (size_t)nx * (size_t)ny) return DYN_ERR_BUFFER;
    double det = cov[0] * cov[3] - cov[1] * cov[2];
    if (!(det > 0.0 && cov[0] > 0.0 && nsd > 0.0 && min_rel >= 0.0 && min_rel < 1.0) || !isfinite(det) ||
        !isfinite(mean[0] + mean[1]) || !(box->x1 > box->x0 && box->y1 > box->y0))
        return DYN_ERR_RANGE;
    memset(out, 0, sizeof *out);
    int n = nx * ny;
    double total = 0.0;
    float top = 0.0f;
    for (int i = 0; i < n; i++) {
        if (!(grid[i] >= 0.0f) || isinf(grid[i])) return DYN_ERR_NAN;
        total += (double)grid[i];
        top = grid[i] > top ? grid[i] : top;
    }
    if (!(total > 0.0)) return DYN_ERR_RANGE;
    grid_basins(grid, nx, ny, scratch);
    /* the modes: maxima at least min_rel of the highest, each with its basin's mass */
    int root[DYN_POST_MAX_MODES];
    double hx = (box->x1 - box->x0) / (nx - 1), hy = (box->y1 - box->y0) / (ny - 1);
    double i00 = cov[3] / det, i01 = -cov[1] / det, i11 = cov[0] / det, r2 = nsd * nsd, inside = 0.0;
    for (int i = 0; i < n; i++) {
        if (scratch[i] == i && grid[i] >= (float)min_rel * top) {
            /* the DYN_POST_MAX_MODES highest maxima: a new one takes a free slot, or replaces the lowest if higher */
            int k = out->count;
            if (k == DYN_POST_MAX_MODES) {
                k = 0;
                for (int j = 1; j < DYN_POST_MAX_MODES; j++)
                    if (grid[root[j]] < grid[root[k]]) k = j;
                if (!(grid[i] > grid[root[k]])) k = -1;
            }
            else
                out->count++;
            if (k >= 0) {
                root[k] = i;
                out->theta[k][0] = box->x0 + (i % nx) * hx;
                out->theta[k][1] = box->y1 - (i / nx) * hy;
            }
        }
        double dx = box->x0 + (i % nx) * hx - mean[0], dy = box->y1 - (i / nx) * hy - mean[1];
        if (dx * (i00 * dx + i01 * dy) + dy * (i01 * dx + i11 * dy) <= r2) inside += (double)grid[i];
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < out->count; k++)
            if (scratch[i] == root[k]) out->mass[k] += (double)grid[i] / total;
    out->inside = inside / total;
    /* the basin the Gaussian's centre lies in (the nearest cell), -1 outside the grid or in no mode's basin */
    out->owner = -1;
    double fc = (mean[0] - box->x0) / hx, fr = (box->y1 - mean[1]) / hy;
    if (fc > -0.5 && fc < nx - 0.5 && fr > -0.5 && fr < ny - 0.5) {
        int cell = (int)lround(fr) * nx + (int)lround(fc);
        for (int k = 0; k < out->count; k++)
            if (scratch[cell] == root[k]) out->owner = k;
    }
    /* most massive first (insertion sort of at most DYN_POST_MAX_MODES), the owner following its mode */
    for (int k = 1; k < out->count; k++)
        for (int j = k; j > 0 && out->mass[j] > out->mass[j - 1]; j--) {
            double m = out->mass[j], t0 = out->theta[j][0], t1 = out->theta[j][1];
            out->mass[j] = out->mass[j - 1], out->theta[j][0] = out->theta[j - 1][0], out->theta[j][1] = out->theta[j - 1][1];
            out->mass[j - 1] = m, out->theta[j - 1][0] = t0, out->theta[j - 1][1] = t1;
            out->owner = out->owner == j ? j - 1 : out->owner == j - 1 ? j : out->owner;
        }
    return DYN_OK;
}
