/* posterior_theory.c - stationary covariances of SGD-type samplers, KL curves, chain diagnostics, ellipses (posterior.h). */
#include "posterior.h"

#include <math.h>
#include <string.h>

/* cglm is single precision: used only for the ellipse geometry handed to a canvas or a PNG (see posterior.h) */
#include <cglm/cglm.h>

#include "linalg.h"
#include "posterior_impl.h"

#define DNAN ((double)NAN)
#define PI 3.14159265358979323846

static int bad(double v) { return isnan(v) || isinf(v); }
static size_t sq(int d) { return (size_t)d * (size_t)d; }

/* 2^31 bytes of doubles: every size query stays exact in a 32-bit size_t (wasm32) */
#define DOUBLES_LIMIT ((uint64_t)1 << 28)

size_t dyn_post_scratch_doubles(int d)
{
    if (d < 1 || d > DYN_POST_MAX_D) return 0;
    uint64_t n = 32 * (uint64_t)d * (uint64_t)d + 32 * (uint64_t)d;
    return n < DOUBLES_LIMIT ? (size_t)n : 0;
}

/* what dyn_post_stationary really uses (six D x D blocks and the linalg scratch), so callers may nest it */
static size_t stationary_need(int d) { return 6 * sq(d) + dyn_la_scratch_doubles(d); }

static int any_bad(const double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (bad(a[i])) return 1;
    return 0;
}

/* ------------------------------------------------------------------ Mandt et al.'s optimal step and preconditioner */

dyn_status dyn_post_eps_star(int d, long n, int batch, const double *gcov, double *eps_star)
{
    if (!gcov || !eps_star) return DYN_ERR_NULL;
    if (d < 1 || d > DYN_POST_MAX_D || n < 1 || batch < 1 || batch > n) return DYN_ERR_SIZE;
    if (any_bad(gcov, sq(d))) return DYN_ERR_NAN;
    double tr = 0.0;
    for (int j = 0; j < d; j++) tr += gcov[(size_t)j * d + j];
    if (!(tr > 0.0)) return DYN_ERR_NO_SOLUTION;
    *eps_star = 2.0 * ((double)batch / (double)n) * d / tr;
    return DYN_OK;
}

uint64_t dyn_post_sampler_seed(uint64_t seed) { return seed ^ DYN_POST_SAMPLER_SALT; }

size_t dyn_post_theory_doubles(int d)
{
    if (d < 1 || d > DYN_POST_MAX_D) return 0;
    return 2 * (size_t)d + 3 * sq(d) + dyn_post_scratch_doubles(d);
}

dyn_status dyn_post_theory_mode(const dyn_post_model *m, dyn_post_theory *t, double *mem, size_t mem_len)
{
    if (!m || !t || !mem) return DYN_ERR_NULL;
    int d = m->d;
    size_t need = dyn_post_theory_doubles(d);
    if (!need) return DYN_ERR_SIZE;
    if (mem_len < need) return DYN_ERR_BUFFER;
    *t = (dyn_post_theory){.d = d, .mode = mem, .log_z = (double)NAN, .lam_max = (double)NAN, .bad_column = -1};
    t->pmean = t->mode + d;
    t->a = t->pmean + d;
    t->bb = t->a + sq(d);
    t->pcov = t->bb + sq(d);
    t->scratch = t->pcov + sq(d);
    t->scratch_len = dyn_post_scratch_doubles(d);
    dyn_status s = dyn_post_check_design(m, &t->bad_column, t->scratch, t->scratch_len);
    if (s == DYN_OK) s = dyn_post_optimum(m, NULL, t->mode, t->a, t->bb, t->scratch, t->scratch_len);
    if (s == DYN_OK) s = dyn_la_sym_eig(d, t->a, t->scratch, NULL, t->scratch + d, t->scratch_len - (size_t)d);
    if (s == DYN_OK) t->lam_max = t->scratch[d - 1];
    return s;
}

dyn_status dyn_post_theory_exact(const dyn_post_model *m, dyn_post_theory *t)
{
    if (!m || !t || !t->mode) return DYN_ERR_NULL;
    if (t->exact) return DYN_OK;
    dyn_status s = DYN_OK;
    int lin = m->kind == DYN_POST_LINREG;
    if (lin) s = dyn_post_linreg_exact(m, t->pmean, t->pcov, t->scratch, t->scratch_len);
    if (s == DYN_OK && t->d == 2) {
        s = dyn_post_box_auto(m, t->mode, t->a, 10, &t->box);
        if (s == DYN_OK) s = dyn_post_moments2d(m, &t->box, 0, 0, &t->log_z, lin ? NULL : t->pmean, lin ? NULL : t->pcov);
    }
    if (s == DYN_OK) t->exact = 1;
    return s;
}

dyn_status dyn_post_steps(const dyn_post_model *m, const dyn_post_sampler_desc *sd, const double *a,
                          const double *bb, dyn_post_steps_info *out, double *scratch, size_t scratch_len)
{
    if (!m || !sd || !a || !bb || !out || !scratch) return DYN_ERR_NULL;
    int d = m->d;
    long n = m->n;
    if (d < 1 || d > DYN_POST_MAX_D || n < 1) return DYN_ERR_SIZE;
    if ((int)sd->kind < 0 || sd->kind >= DYN_POST_SAMPLER_COUNT) return DYN_ERR_RANGE;
    if (scratch_len < dyn_post_scratch_doubles(d)) return DYN_ERR_BUFFER;
    if (bad(sd->eps) || bad(sd->momentum) || bad(sd->sgld_gamma)) return DYN_ERR_NAN;
    int batch = sd->batch ? sd->batch : (n < 10 ? (int)n : 10), sgld = sd->kind == DYN_POST_SGLD;
    double mu = sd->momentum == 0.0 ? 0.9 : sd->momentum;
    dyn_post_steps_info r = {.eps_star = (double)NAN};
    dyn_status s = dyn_post_eps_star(d, n, batch, bb, &r.eps_star);
    if (s != DYN_OK && s != DYN_ERR_NO_SOLUTION) return s;
    if ((s = dyn_la_sym_eig(d, a, scratch, NULL, scratch + d, scratch_len - (size_t)d))) return s;
    r.lam_max = scratch[d - 1];
    r.eps_ref = sgld ? 2.0 * r.eps_star / (double)n : r.eps_star;
    r.eps_auto = sgld ? 0.02 / ((double)n * r.lam_max) : r.eps_star;
    double eps = sd->eps > 0.0 ? sd->eps : r.eps_auto; /* NaN when eps* does not exist: so are drift and stab */
    r.drift = sgld ? eps * (double)n / 2.0 : sd->kind == DYN_POST_MOMENTUM ? eps / (1.0 - mu) : eps;
    r.stab = (sgld ? eps * (double)n / 2.0 : eps) * r.lam_max;
    r.stab_bound = sd->kind == DYN_POST_MOMENTUM ? 2.0 * (1.0 + mu) : 2.0;
    r.eps_max = r.stab_bound / ((sgld ? (double)n / 2.0 : 1.0) * r.lam_max);
    r.has_stationary = !(sgld && sd->sgld_gamma > 0.0);
    r.has_exact = m->kind == DYN_POST_LINREG && (sd->kind == DYN_POST_SGD || (sgld && !(sd->sgld_gamma > 0.0))) &&
                  sd->batching == DYN_POST_BATCH_IID;
    *out = r;
    return DYN_OK;
}

dyn_status dyn_post_precond_opt(int d, long n, int batch, double eps, const double *gcov, double *h, double *scratch,
                                size_t scratch_len)
{
    if (!gcov || !h || !scratch) return DYN_ERR_NULL;
    if (d < 1 || d > DYN_POST_MAX_D || n < 1 || batch < 1 || batch > n) return DYN_ERR_SIZE;
    if (scratch_len < dyn_la_scratch_doubles(d)) return DYN_ERR_BUFFER;
    if (bad(eps)) return DYN_ERR_NAN;
    if (!(eps > 0.0)) return DYN_ERR_RANGE;
    dyn_status s = dyn_la_spd_inverse(d, gcov, h, scratch, scratch_len);
    if (s) return s;
    double f = 2.0 * batch / (eps * (double)n);
    for (size_t k = 0; k < sq(d); k++) h[k] *= f;
    return DYN_OK;
}

/* ------------------------------------------------------------------ stationary covariances */

/* Heavy ball, linearised: v' = mu v - eps (A delta + xi), delta' = delta + v'. With z = (delta, v):
 *   z' = F z + (-eps xi, -eps xi),  F = [[I - eps A, mu I], [-eps A, mu I]],
 * so the stationary Z solves Z = F Z F^T + eps^2 [[Q, Q], [Q, Q]], Q = BB^T / S. In A's eigenbasis each pair
 * (i, j) of directions has its own 2 x 2 block z_ij = F_i z_ij F_j^T + eps^2 Q'_ij 1 1^T with
 * F_i = [[1 - eps lam_i, mu], [-eps lam_i, mu]]: a 4 x 4 system (I - F_i (x) F_j) vec z_ij = eps^2 Q'_ij 1.
 * F_i is stable iff 0 < eps lam_i < 2 (1 + mu) (trace 1 - eps lam + mu, determinant mu). */
static dyn_status momentum_disc(int d, const double *a, const double *q, double eps, double mu, double *out,
                                double *scr, size_t scr_len)
{
    double *v = scr, *w = v + sq(d), *qp = w + d, *t1 = qp + sq(d), *zp = t1 + sq(d), *es = zp + sq(d);
    dyn_status s = dyn_la_sym_eig(d, a, w, v, es, scr_len - (size_t)(es - scr));
    if (s) return s;
    for (int i = 0; i < d; i++)
        if (!(eps * w[i] > 0.0 && eps * w[i] < 2.0 * (1.0 + mu))) return DYN_ERR_NO_SOLUTION;
    dyn_la_mul(d, d, d, q, v, t1);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0.0;
            for (int k = 0; k < d; k++) acc += v[(size_t)k * d + i] * t1[(size_t)k * d + j];
            qp[(size_t)i * d + j] = acc;
        }
    /* The pair (i, j) as one 4 x 4 discrete Lyapunov equation Z = F Z F^T + R with F = diag(F_i, F_j) (blocks) and
     * R = eps^2 [[Q'_ii, Q'_ij], [Q'_ji, Q'_jj]] (x) 1 1^T; its off-diagonal 2 x 2 block is z_ij. With
     * G = I - F that is G Z + Z G^T - G Z G^T = R: linalg's Kronecker solver with eps = 1. */
    double g4[16], r4[16], z4[16], ks[4 * 4 * 4 * 4 + 4 * 4];
    size_t ks_len = dyn_la_kron_scratch_doubles(4);
    if (ks_len == 0 || ks_len > sizeof ks / sizeof ks[0]) return DYN_ERR_BUFFER;
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++) {
            const int ix[2] = {i, j};
            memset(g4, 0, sizeof g4);
            for (int b = 0; b < 2; b++) { /* G block b = I - [[1 - eps lam, mu], [-eps lam, mu]] */
                double lam = w[ix[b]];
                g4[(2 * b) * 4 + 2 * b] = eps * lam;
                g4[(2 * b) * 4 + 2 * b + 1] = -mu;
                g4[(2 * b + 1) * 4 + 2 * b] = eps * lam;
                g4[(2 * b + 1) * 4 + 2 * b + 1] = 1.0 - mu;
            }
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 4; c++) r4[r * 4 + c] = eps * eps * qp[(size_t)ix[r / 2] * d + ix[c / 2]];
            if ((s = dyn_la_lyap_kron(4, g4, 1.0, r4, z4, ks, ks_len))) return s;
            zp[(size_t)i * d + j] = zp[(size_t)j * d + i] = z4[0 * 4 + 2]; /* (delta_i, delta_j) */
        }
    dyn_la_mul(d, d, d, v, zp, t1);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0.0;
            for (int k = 0; k < d; k++) acc += t1[(size_t)i * d + k] * v[(size_t)j * d + k];
            out[(size_t)i * d + j] = acc;
        }
    return DYN_OK;
}

static void fill_nan(double *x, size_t n)
{
    if (x)
        for (size_t i = 0; i < n; i++) x[i] = DNAN;
}

static void symmetrise(int d, double *x)
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++) {
            double m = 0.5 * (x[(size_t)i * d + j] + x[(size_t)j * d + i]);
            x[(size_t)i * d + j] = x[(size_t)j * d + i] = m;
        }
}

/* A Lyapunov solution x back in theta's coordinates: H^(1/2) x H^(1/2) for the preconditioned sampler (hh =
 * H^(1/2); t1 is d x d scratch), x itself otherwise; symmetrised against rounding. */
static void to_theta(int precond, int d, const double *hh, const double *x, double *t1, double *out)
{
    if (precond) {
        dyn_la_mul(d, d, d, hh, x, t1);
        dyn_la_mul(d, d, d, t1, hh, out);
    } else {
        memcpy(out, x, sizeof(double) * (size_t)d * d);
    }
    symmetrise(d, out);
}

dyn_status dyn_post_stationary(const dyn_post_sampler_desc *sd, int d, long n, const double *hess,
                               const double *gcov, double *cov_cont, double *cov_disc, double *scratch,
                               size_t scratch_len)
{
    if (!sd || !hess || !gcov || !scratch) return DYN_ERR_NULL;
    if (d < 1 || d > DYN_POST_MAX_D || n < 1) return DYN_ERR_SIZE;
    if (scratch_len < stationary_need(d)) return DYN_ERR_BUFFER;
    if ((int)sd->kind < 0 || sd->kind >= DYN_POST_SAMPLER_COUNT) return DYN_ERR_RANGE;
    if (bad(sd->eps) || bad(sd->momentum) || any_bad(hess, sq(d)) || any_bad(gcov, sq(d))) return DYN_ERR_NAN;
    if (!(sd->eps > 0.0)) return DYN_ERR_RANGE;
    /* as dyn_post_sampler_init: a momentum outside [0, 1) is an error, never silently the default */
    if (sd->kind == DYN_POST_MOMENTUM && (sd->momentum < 0.0 || sd->momentum >= 1.0)) return DYN_ERR_RANGE;
    long S = post_batch_of(sd->batch, n);
    if (S < 1 || S > n) return DYN_ERR_SIZE;
    fill_nan(cov_cont, sq(d));
    fill_nan(cov_disc, sq(d));
    size_t dd = sq(d);
    double *r = scratch, *hh = r + dd, *m = hh + dd, *t1 = m + dd, *t2 = t1 + dd, *x = t2 + dd, *la = x + dd;
    size_t la_len = scratch_len - 6 * dd;
    double eps = sd->eps, step = eps, mu = post_momentum_of(sd->momentum);
    const double *amat = hess;
    dyn_status sc = DYN_OK, sdd = DYN_OK;
    switch (sd->kind) {
    case DYN_POST_SGD:
        for (size_t k = 0; k < dd; k++) r[k] = eps / S * gcov[k];
        break;
    case DYN_POST_SGLD:
        if (sd->sgld_gamma != 0.0) return DYN_ERR_RANGE;
        step = eps * (double)n / 2.0;
        for (size_t k = 0; k < dd; k++) r[k] = step / S * gcov[k];
        for (int j = 0; j < d; j++) r[(size_t)j * d + j] += 2.0 / (double)n;
        break;
    case DYN_POST_MOMENTUM:
        for (size_t k = 0; k < dd; k++) r[k] = eps / ((1.0 - mu) * S) * gcov[k];
        break;
    default: { /* SGD_PRECOND: M = H^{1/2} A H^{1/2}, R' = (eps/S) H^{1/2} BB^T H^{1/2} */
        if (!sd->precond) return DYN_ERR_NULL;
        if (any_bad(sd->precond, dd)) return DYN_ERR_NAN;
        dyn_status s = dyn_la_sym_sqrt(d, sd->precond, hh, la, la_len);
        if (s) return s;
        dyn_la_mul(d, d, d, hh, hess, t1);
        dyn_la_mul(d, d, d, t1, hh, m);
        symmetrise(d, m);
        dyn_la_mul(d, d, d, hh, gcov, t1);
        dyn_la_mul(d, d, d, t1, hh, r);
        for (size_t k = 0; k < dd; k++) r[k] *= eps / S;
        amat = m;
        break;
    }
    }
    if (cov_cont) {
        sc = dyn_la_lyap_sym(d, amat, 0.0, r, x, la, la_len);
        if (!sc) to_theta(sd->kind == DYN_POST_SGD_PRECOND, d, hh, x, t1, cov_cont);
    }
    if (cov_disc) {
        if (sd->kind == DYN_POST_MOMENTUM) {
            for (size_t k = 0; k < dd; k++) r[k] = gcov[k] / S;
            sdd = momentum_disc(d, hess, r, eps, mu, x, la, la_len);
        } else {
            sdd = dyn_la_lyap_sym(d, amat, step, r, x, la, la_len);
        }
        if (!sdd) to_theta(sd->kind == DYN_POST_SGD_PRECOND, d, hh, x, t1, cov_disc);
    }
    (void)t2;
    return sc ? sc : sdd;
}

dyn_status dyn_post_linreg_sgd_exact(const dyn_post_model *m, const dyn_post_sampler_desc *sd, const double *mode,
                                     const double *hess, const double *gcov, double *cov, double *scratch,
                                     size_t scratch_len)
{
    if (!m || !sd || !mode || !hess || !gcov || !cov || !scratch) return DYN_ERR_NULL;
    if (m->kind != DYN_POST_LINREG) return DYN_ERR_RANGE;
    if (sd->kind != DYN_POST_SGD && sd->kind != DYN_POST_SGLD) return DYN_ERR_RANGE;
    if (sd->batching != DYN_POST_BATCH_IID || (sd->kind == DYN_POST_SGLD && sd->sgld_gamma != 0.0)) return DYN_ERR_RANGE;
    dyn_status s = dyn_post_model_check(m, NULL);
    if (s) return s;
    int d = m->d;
    long n = m->n;
    if (scratch_len < dyn_post_scratch_doubles(d)) return DYN_ERR_BUFFER;
    if (bad(sd->eps)) return DYN_ERR_NAN;
    if (!(sd->eps > 0.0)) return DYN_ERR_RANGE;
    long S = post_batch_of(sd->batch, n);
    if (S < 1 || S > n) return DYN_ERR_SIZE;
    double s2 = post_params_of(m).s2;
    double eta = sd->kind == DYN_POST_SGD ? sd->eps : sd->eps * (double)n / 2.0;
    double inj = sd->kind == DYN_POST_SGD ? 0.0 : 2.0 / (double)n;
    size_t dd = sq(d);
    double *r0 = scratch, *r = r0 + dd, *sig = r + dd, *nxt = sig + dd, *pb = nxt + dd, *t1 = pb + dd, *t2 = t1 + dd,
           *la = t2 + dd;
    size_t la_len = scratch_len - 7 * dd;
    /* P = X^T X / (N s2), the data part of A */
    memset(pb, 0, sizeof(double) * dd);
    for (long i = 0; i < n; i++) {
        const double *xi = m->x + (size_t)i * d;
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++) pb[(size_t)j * d + k] += xi[j] * xi[k];
    }
    for (size_t k = 0; k < dd; k++) pb[k] /= (double)n * s2;
    for (size_t k = 0; k < dd; k++) r0[k] = eta / S * gcov[k];
    for (int j = 0; j < d; j++) r0[(size_t)j * d + j] += inj;
    /* the discrete Lyapunov solution first; NO_SOLUTION when eta lam_max >= 2 (no stationary law at all) */
    if ((s = dyn_la_lyap_sym(d, hess, eta, r0, sig, la, la_len))) return s;
    double first = 0.0;
    for (size_t k = 0; k < dd; k++) first = fmax(first, fabs(sig[k]));
    (void)mode;
    for (int it = 0; it < 2000; it++) {
        /* E_i[P_i S P_i] - P S P with P_i = x_i x_i^T / s2 (the prior's share of H_i is the same for all i) */
        memset(r, 0, sizeof(double) * dd);
        for (long i = 0; i < n; i++) {
            const double *xi = m->x + (size_t)i * d;
            double q = 0.0;
            for (int j = 0; j < d; j++) {
                double a = 0.0;
                for (int k = 0; k < d; k++) a += sig[(size_t)j * d + k] * xi[k];
                q += xi[j] * a;
            }
            for (int j = 0; j < d; j++)
                for (int k = 0; k < d; k++) r[(size_t)j * d + k] += q * xi[j] * xi[k];
        }
        dyn_la_mul(d, d, d, pb, sig, t1);
        dyn_la_mul(d, d, d, t1, pb, t2);
        for (size_t k = 0; k < dd; k++) r[k] = r0[k] + eta / S * (r[k] / ((double)n * s2 * s2) - t2[k]);
        if ((s = dyn_la_lyap_sym(d, hess, eta, r, nxt, la, la_len))) return s;
        symmetrise(d, nxt);
        double diff = 0.0, big = 0.0;
        for (size_t k = 0; k < dd; k++) {
            diff = fmax(diff, fabs(nxt[k] - sig[k]));
            big = fmax(big, fabs(nxt[k]));
        }
        memcpy(sig, nxt, sizeof(double) * dd);
        if (!(big <= 1e6 * first)) return DYN_ERR_NO_CONVERGE; /* no finite second moment: mean-square unstable */
        if (diff <= 1e-15 * big) {
            memcpy(cov, sig, sizeof(double) * dd);
            return DYN_OK;
        }
    }
    return DYN_ERR_NO_CONVERGE;
}

dyn_status dyn_post_kl_curve(const dyn_post_sampler_desc *sd, int d, long n, const double *mode, const double *hess,
                             const double *gcov, const double *post_mean, const double *post_cov, const double *eps,
                             int neps, double *kl_cont, double *kl_disc, double *scratch, size_t scratch_len)
{
    if (!sd || !mode || !hess || !gcov || !post_mean || !post_cov || !eps || !scratch) return DYN_ERR_NULL;
    if (d < 1 || d > DYN_POST_MAX_D || n < 1 || neps < 1) return DYN_ERR_SIZE;
    if (scratch_len < dyn_post_scratch_doubles(d)) return DYN_ERR_BUFFER;
    if (sd->kind == DYN_POST_SGLD && sd->sgld_gamma != 0.0) return DYN_ERR_RANGE;
    for (int k = 0; k < neps; k++) {
        if (bad(eps[k])) return DYN_ERR_NAN;
        if (!(eps[k] > 0.0)) return DYN_ERR_RANGE;
    }
    size_t dd = sq(d);
    double *h = scratch, *cc = h + dd, *cd = cc + dd, *rest = cd + dd;
    size_t rest_len = scratch_len - 3 * dd;
    dyn_status s = dyn_la_cholesky(d, post_cov, cc, NULL);
    if (s) return s;
    for (int k = 0; k < neps; k++) {
        dyn_post_sampler_desc e = *sd;
        e.eps = eps[k];
        if (e.kind == DYN_POST_SGD_PRECOND && !sd->precond) {
            if ((s = dyn_post_precond_opt(d, n, (int)post_batch_of(e.batch, n), e.eps, gcov, h, rest, rest_len)))
                return s;
            e.precond = h;
        }
        dyn_post_stationary(&e, d, n, hess, gcov, cc, cd, rest, rest_len);
        double v;
        if (kl_cont)
            kl_cont[k] = !bad(cc[0]) && dyn_la_gauss_kl(d, mode, cc, post_mean, post_cov, &v, rest, rest_len) == DYN_OK
                             ? v : DNAN;
        if (kl_disc)
            kl_disc[k] = !bad(cd[0]) && dyn_la_gauss_kl(d, mode, cd, post_mean, post_cov, &v, rest, rest_len) == DYN_OK
                             ? v : DNAN;
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ diagnostics */

dyn_status dyn_post_moments(const double *samples, long count, int d, double *mean, double *cov)
{
    if (!samples) return DYN_ERR_NULL;
    if (count < 2 || d < 1 || d > DYN_POST_MAX_D) return DYN_ERR_SIZE;
    double mu[DYN_POST_MAX_D] = {0};
    for (long t = 0; t < count; t++)
        for (int j = 0; j < d; j++) mu[j] += samples[(size_t)t * d + j];
    for (int j = 0; j < d; j++) mu[j] /= (double)count;
    if (mean) memcpy(mean, mu, sizeof(double) * (size_t)d);
    if (!cov) return DYN_OK;
    memset(cov, 0, sizeof(double) * sq(d));
    for (long t = 0; t < count; t++) {
        const double *x = samples + (size_t)t * d;
        for (int j = 0; j < d; j++) {
            double a = x[j] - mu[j];
            for (int k = 0; k <= j; k++) cov[(size_t)j * d + k] += a * (x[k] - mu[k]);
        }
    }
    for (int j = 0; j < d; j++)
        for (int k = 0; k <= j; k++) cov[(size_t)j * d + k] = cov[(size_t)k * d + j] = cov[(size_t)j * d + k] / (double)(count - 1);
    return DYN_OK;
}

static double series_mean(const double *x, long n, int stride)
{
    double s = 0.0;
    for (long t = 0; t < n; t++) s += x[(size_t)t * stride];
    return s / (double)n;
}

/* biased autocovariance at lag k */
static double autocov(const double *x, long n, int stride, double mu, long k)
{
    double s = 0.0;
    for (long t = 0; t + k < n; t++) s += (x[(size_t)t * stride] - mu) * (x[(size_t)(t + k) * stride] - mu);
    return s / (double)n;
}

dyn_status dyn_post_autocorr(const double *x, long count, int stride, int maxlag, double *acf)
{
    if (!x || !acf) return DYN_ERR_NULL;
    if (count < 2 || stride < 1 || maxlag < 0 || maxlag >= count) return DYN_ERR_SIZE;
    double mu = series_mean(x, count, stride), c0 = autocov(x, count, stride, mu, 0);
    acf[0] = 1.0;
    for (int k = 1; k <= maxlag; k++) acf[k] = c0 > 0.0 ? autocov(x, count, stride, mu, k) / c0 : DNAN;
    return DYN_OK;
}

/* Geyer's initial monotone sequence estimator. Lags are summed directly, each in O(count): the sum stops at the
 * first negative pair, a few integrated autocorrelation times in, or at max_lag, so the cost is
 * O(count x min(tau, max_lag)). An FFT would give every lag in O(count log count) but needs O(count) scratch this
 * signature has no room for; a chain whose tau reaches the cap has an ESS too small to trust anyway, and it says
 * so through capped. */
dyn_status dyn_post_ess_lag(const double *x, long count, int stride, int max_lag, double *ess, double *tau,
                            int *capped)
{
    if (capped) *capped = 0;
    if (!x) return DYN_ERR_NULL;
    if (count < 4 || stride < 1 || max_lag < 0) return DYN_ERR_SIZE;
    if (max_lag == 0) max_lag = DYN_POST_ESS_MAX_LAG;
    double mu = series_mean(x, count, stride), g0 = autocov(x, count, stride, mu, 0);
    double t = 1.0;
    if (g0 > 0.0) {
        double sum = 0.0, prev = (double)INFINITY;
        long m = 0;
        for (; 2 * m + 1 < count; m++) {
            if (2 * m + 1 > max_lag) {
                if (capped) *capped = 1;
                break;
            }
            double gam = (m == 0 ? g0 : autocov(x, count, stride, mu, 2 * m)) + autocov(x, count, stride, mu, 2 * m + 1);
            if (!(gam > 0.0)) break;
            if (gam > prev) gam = prev; /* monotone */
            prev = gam;
            sum += gam;
        }
        t = -1.0 + 2.0 * sum / g0;
        if (t < 1.0 / (double)count) t = 1.0 / (double)count;
    }
    if (tau) *tau = t;
    if (ess) *ess = (double)count / t;
    return DYN_OK;
}

dyn_status dyn_post_ess(const double *x, long count, int stride, double *ess, double *tau)
{
    return dyn_post_ess_lag(x, count, stride, 0, ess, tau, NULL);
}

dyn_status dyn_post_cov_se(const double *samples, long count, int d, const double *mean, double *se, double *scratch,
                           size_t scratch_len)
{
    if (!samples || !mean || !se || !scratch) return DYN_ERR_NULL;
    if (count < 4 || d < 1 || d > DYN_POST_MAX_D) return DYN_ERR_SIZE;
    if (scratch_len < (size_t)count) return DYN_ERR_BUFFER;
    for (int j = 0; j < d; j++)
        for (int k = 0; k <= j; k++) {
            double zm = 0.0, zv = 0.0, e;
            for (long t = 0; t < count; t++) {
                const double *x = samples + (size_t)t * d;
                scratch[t] = (x[j] - mean[j]) * (x[k] - mean[k]);
                zm += scratch[t];
            }
            zm /= (double)count;
            for (long t = 0; t < count; t++) zv += (scratch[t] - zm) * (scratch[t] - zm);
            zv /= (double)(count - 1);
            dyn_post_ess(scratch, count, 1, &e, NULL);
            se[(size_t)j * d + k] = se[(size_t)k * d + j] = sqrt(zv / e);
        }
    return DYN_OK;
}

/* ------------------------------------------------------------------ ellipse geometry (single precision, cglm) */

dyn_status dyn_post_ellipse(const double *mean, const double *cov, double nsd, int npts, float *xy, float *axes)
{
    if (!mean || !cov || !xy) return DYN_ERR_NULL;
    if (npts < 3) return DYN_ERR_SIZE;
    if (bad(mean[0]) || bad(mean[1]) || any_bad(cov, 4) || bad(nsd)) return DYN_ERR_NAN;
    if (nsd < 0.0) return DYN_ERR_RANGE;
    /* eigenvalues from the trace and determinant, computed in double (they are differences) and then handed to
     * cglm's float 2-D geometry */
    double a = cov[0], b = 0.5 * (cov[1] + cov[2]), c = cov[3];
    double half = 0.5 * (a + c), disc = sqrt(0.25 * (a - c) * (a - c) + b * b);
    double l1 = half + disc, l2 = half - disc;
    if (l2 < -1e-12 * fabs(l1) || !(a >= 0.0) || !(c >= 0.0)) return DYN_ERR_RANGE;
    if (l2 < 0.0) l2 = 0.0;
    double ang = 0.5 * atan2(2.0 * b, a - c); /* in (-pi/2, pi/2] */
    if (ang <= -0.5 * PI) ang += PI;
    float ra = (float)(nsd * sqrt(l1)), rb = (float)(nsd * sqrt(l2)), fa = (float)ang;
    vec2 centre = {(float)mean[0], (float)mean[1]};
    for (int k = 0; k < npts; k++) {
        float t = (float)(2.0 * PI * (k == npts - 1 ? 0 : k) / (npts - 1));
        vec2 p = {ra * cosf(t), rb * sinf(t)}, q;
        glm_vec2_rotate(p, fa, q);
        glm_vec2_add(q, centre, q);
        xy[2 * k] = q[0];
        xy[2 * k + 1] = q[1];
    }
    if (axes) {
        axes[0] = ra;
        axes[1] = rb;
        axes[2] = fa;
    }
    return DYN_OK;
}
