/* isometry.c - Jacobian spectra of deep random nets (sampled and by free probability) and gradients over depth. */
#include "isometry.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quad.h"

#define PI 3.14159265358979323846
#define TWO_PI 6.28318530717958647693
#define DNAN ((double)NAN)

const double DYN_ISO_QUANT_LEVELS[DYN_ISO_NQUANT] = {0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99};

static int bad(double v) { return !isfinite(v); }

/* ------------------------------------------------------------------ descriptor and theory */

static dyn_status resolve(const dyn_iso_desc *d, dyn_iso_desc *r)
{
    if (!d) return DYN_ERR_NULL;
    *r = *d;
    if (!r->width) r->width = 256;
    if (!r->depth) r->depth = 16;
    if (!r->nets) r->nets = 1;
    if (bad(r->sw2) || bad(r->sb2)) return DYN_ERR_NAN;
    if (r->sw2 < 0.0 || r->sw2 > DYN_MF_MAX_PARAM || r->sb2 < 0.0 || r->sb2 > DYN_MF_MAX_PARAM) return DYN_ERR_RANGE;
    if (r->width < 2 || r->width > DYN_ISO_MAX_WIDTH || r->depth < 1 || r->depth > DYN_ISO_MAX_DEPTH ||
        r->nets < 1 || r->nets > DYN_ISO_MAX_NETS)
        return DYN_ERR_SIZE;
    return DYN_OK;
}

/* phi'^2 takes two values, a with probability p and 0 otherwise (piecewise-linear phi, or h = 0): then
 * M_{D^2}(w) = p a / (w - a) exactly; returns 0 when phi'^2 has a continuous distribution. */
static int two_point(dyn_act act, double q, double *a, double *p)
{
    if (act == DYN_ACT_LINEAR || q == 0.0) {
        double g = dyn_act_dphi(act, 0.0);
        *a = g * g;
        *p = 1.0;
        return 1;
    }
    if (act == DYN_ACT_RELU) return *a = 1.0, *p = 0.5, 1;
    if (act == DYN_ACT_HARD_TANH) return *a = 1.0, *p = erf(1.0 / sqrt(2.0 * q)), 1;
    return 0;
}

/* Adaptive Gauss-Legendre for E over z ~ N(0, 1) of two complex functions of d = phi'(sqrt(q) z)^2:
 * mode 0: d and d^2 (the moments mu_1, mu_2); mode 1: d / (w - d) and -d / (w - d)^2 (M_{D^2}(w) and its
 * derivative). Near the real axis the second kind has a near-pole, hence the adaptivity. */
typedef struct qctx {
    dyn_act act;
    double sq; /* sqrt(q) */
    int mode;
    double complex w;
    double gx[10], gw[10];
} qctx;

#define QZMAX 10.0   /* the normal density is 7.7e-23 there */
#define QPANELS 40   /* initial panels on [-10, 10] */
#define QBUDGET 40000
#define QTOL 1e-14

static void panel(const qctx *c, double a, double b, double complex v[2])
{
    double h = 0.5 * (b - a), m = 0.5 * (a + b);
    double complex s0 = 0.0, s1 = 0.0;
    double s0r = 0.0, s0i = 0.0, s1r = 0.0, s1i = 0.0, wr = creal(c->w), wi = cimag(c->w);
    for (int i = 0; i < 10; i++) {
        double z = m + h * c->gx[i], g = dyn_act_dphi(c->act, c->sq * z), dd = g * g;
        double wt = c->gw[i] * 0.3989422804014327 * exp(-0.5 * z * z);
        if (c->mode == 0) {
            s0 += wt * dd;
            s1 += wt * dd * dd;
        } else { /* r = 1 / (w - d) in real arithmetic: C's complex division is several times slower */
            double ur = wr - dd, den = 1.0 / (ur * ur + wi * wi), rr = ur * den, ri = -wi * den;
            double f = wt * dd;
            s0r += f * rr;
            s0i += f * ri;
            s1r -= f * (rr * rr - ri * ri);
            s1i -= f * (2.0 * rr * ri);
        }
    }
    if (c->mode == 1) {
        s0 = CMPLX(s0r, s0i);
        s1 = CMPLX(s1r, s1i);
    }
    v[0] = h * s0;
    v[1] = h * s1;
}

static int integrate(const qctx *c, double complex out[2])
{
    double complex coarse[QPANELS][2];
    double scale[2] = {0.0, 0.0};
    double dz = 2.0 * QZMAX / QPANELS;
    for (int p = 0; p < QPANELS; p++) {
        panel(c, -QZMAX + p * dz, -QZMAX + (p + 1) * dz, coarse[p]);
        scale[0] += cabs(coarse[p][0]);
        scale[1] += cabs(coarse[p][1]);
    }
    struct {
        double a, b;
        double complex v[2];
        int depth;
    } st[128];
    int budget = QBUDGET;
    out[0] = out[1] = 0.0;
    for (int p = 0; p < QPANELS; p++) {
        int top = 0;
        st[0].a = -QZMAX + p * dz;
        st[0].b = st[0].a + dz;
        st[0].v[0] = coarse[p][0];
        st[0].v[1] = coarse[p][1];
        st[0].depth = 0;
        top = 1;
        while (top > 0) {
            top--;
            double a = st[top].a, b = st[top].b, m = 0.5 * (a + b);
            double complex whole[2] = {st[top].v[0], st[top].v[1]}, l[2], r[2];
            int depth = st[top].depth;
            panel(c, a, m, l);
            panel(c, m, b, r);
            if (--budget < 0) return 0;
            double complex e0 = l[0] + r[0] - whole[0], e1 = l[1] + r[1] - whole[1];
            if ((cabs(e0) <= QTOL * scale[0] && cabs(e1) <= QTOL * scale[1]) || depth >= 60) {
                if (depth >= 60) return 0;
                out[0] += l[0] + r[0];
                out[1] += l[1] + r[1];
                continue;
            }
            if (top + 2 > 128) return 0;
            st[top].a = m, st[top].b = b, st[top].v[0] = r[0], st[top].v[1] = r[1], st[top].depth = depth + 1;
            top++;
            st[top].a = a, st[top].b = m, st[top].v[0] = l[0], st[top].v[1] = l[1], st[top].depth = depth + 1;
            top++;
        }
    }
    return 1;
}

static dyn_status qctx_init(qctx *c, dyn_act act, double q, int mode)
{
    c->act = act;
    c->sq = sqrt(q);
    c->mode = mode;
    c->w = 0.0;
    return dyn_quad_legendre(10, c->gx, c->gw);
}

dyn_status dyn_iso_theory_at(const dyn_mf *mf, const dyn_iso_desc *d, dyn_iso_theory *out)
{
    dyn_iso_desc r;
    dyn_status s;
    if (!mf || !out) return DYN_ERR_NULL;
    if ((s = resolve(d, &r))) return s;
    memset(out, 0, sizeof *out);
    dyn_act act = mf->act;
    double sw2 = r.sw2, q;
    if (sw2 == 0.0) {
        if ((s = dyn_mf_critical(mf, r.sb2, &sw2, NULL))) return s;
    }
    dyn_mf_point pt;
    if ((s = dyn_mf_solve(mf, sw2, r.sb2, &pt))) return s;
    q = pt.q_star;
    if (act == DYN_ACT_RELU && (q == 0.0 || !isfinite(q))) q = 1.0; /* phi' depends on the sign only */
    if (act == DYN_ACT_LINEAR) q = isfinite(q) ? q : 1.0;            /* phi' = 1 whatever q is */
    if (!isfinite(q)) return DYN_ERR_NO_SOLUTION;
    double a, p;
    if (two_point(act, q, &a, &p)) {
        out->mu1 = p * a;
        out->mu2 = p * a * a;
        out->p_atom = 1.0 - p;
    } else {
        qctx c;
        double complex v[2];
        if ((s = qctx_init(&c, act, q, 0))) return s;
        if (!integrate(&c, v)) return DYN_ERR_NO_CONVERGE;
        out->mu1 = creal(v[0]);
        out->mu2 = creal(v[1]);
    }
    out->act = act;
    out->width = r.width;
    out->depth = r.depth;
    out->nets = r.nets;
    out->orthogonal = r.orthogonal ? 1 : 0;
    out->sw2 = sw2;
    out->sb2 = r.sb2;
    out->q = q;
    out->chi1 = sw2 * out->mu1;
    out->s1 = r.orthogonal ? 0.0 : -1.0;
    out->log_m1 = r.depth * log(out->chi1);
    out->rel_var = r.depth * (out->mu2 / (out->mu1 * out->mu1) - 1.0 - out->s1);
    out->log_m2 = 2.0 * out->log_m1 + log1p(out->rel_var);
    out->isometric = fabs(out->log_m1) <= log(2.0) && out->rel_var <= 0.25;
    return DYN_OK;
}

/* ------------------------------------------------------------------ the density by free probability */

typedef struct dctx {
    int L, two, orth;
    double a, p, mu1;
    qctx q;
} dctx;

/* M_{D^2}(w) and its derivative */
static int m_d2(dctx *c, double complex w, double complex *m, double complex *dm)
{
    if (c->two) {
        double complex r = 1.0 / (w - c->a);
        *m = c->p * c->a * r;
        *dm = -c->p * c->a * r * r;
        return 1;
    }
    double complex v[2];
    c->q.w = w;
    if (!integrate(&c->q, v)) return 0;
    *m = v[0];
    *dm = v[1];
    return 1;
}

static double complex wrap(double complex e)
{
    double im = remainder(cimag(e), TWO_PI);
    return CMPLX(creal(e), im);
}

/* Newton on (z, w): e1 = (L-1) ln z + L ln(w / mu1) + c ln(1 + z) - ln x = 0 (mod 2 pi i), c = 1 (Gaussian) or
 * 1 - L (orthogonal), which is M_J^{-1}(z) = x for J J^T / chi_1^L; e2 = M_{D^2}(w) - z = 0. */
static int newton(dctx *c, double complex x, double complex *zp, double complex *wp)
{
    double complex z = *zp, w = *wp, lx = clog(x);
    double cc = c->orth ? 1.0 - c->L : 1.0;
    for (int it = 0; it < 60; it++) {
        double complex m, dm;
        if (!m_d2(c, w, &m, &dm)) return 0;
        double complex e1 = wrap((c->L - 1) * clog(z) + c->L * clog(w / c->mu1) + cc * clog(1.0 + z) - lx);
        double complex e2 = m - z;
        double complex a11 = (c->L - 1) / z + cc / (1.0 + z), a12 = c->L / w, a21 = -1.0, a22 = dm;
        double complex det = a11 * a22 - a12 * a21;
        if (det == 0.0 || !isfinite(creal(det)) || !isfinite(cimag(det))) return 0;
        double complex dz = (-e1 * a22 + e2 * a12) / det, dw = (-e2 * a11 + e1 * a21) / det;
        double f = 1.0;
        if (cabs(dz) > 0.5 * cabs(z)) f = fmin(f, 0.5 * cabs(z) / cabs(dz));
        if (cabs(dw) > 0.5 * cabs(w)) f = fmin(f, 0.5 * cabs(w) / cabs(dw));
        z += f * dz;
        w += f * dw;
        if (f == 1.0 && cabs(dz) <= 1e-14 * cabs(z) && cabs(dw) <= 1e-14 * cabs(w)) {
            *zp = z;
            *wp = w;
            return 1;
        }
    }
    /* accept a solution that stalled at round-off */
    double complex m, dm;
    if (!m_d2(c, w, &m, &dm)) return 0;
    double complex e1 = wrap((c->L - 1) * clog(z) + c->L * clog(w / c->mu1) + cc * clog(1.0 + z) - lx);
    if (cabs(e1) < 1e-11 && cabs(m - z) < 1e-11 * cabs(z)) {
        *zp = z;
        *wp = w;
        return 1;
    }
    return 0;
}

/* the density at one x: follow x + i eta from eta = big down to 1e-9 x, then one Newton solve on the axis itself
 * (eta = 0), kept when it converges to the physical side; near an edge, where it does not, the eta = 1e-9 x value
 * stands (a Poisson smoothing of width 1e-9 x). A path that needs more than DENSITY_STEPS steps in eta (far outside
 * a narrow spectrum the step ratio can creep towards 1 and the path would take minutes) gives NaN: not resolved. */
#define DENSITY_STEPS 400
static double density_at(dctx *c, double x, double big)
{
    double eta = big, eta_min = 1e-9 * x, ratio = 0.25;
    double complex z = 1.0 / CMPLX(x, eta), w = c->mu1 * CMPLX(x, eta);
    if (!newton(c, CMPLX(x, eta), &z, &w)) return DNAN;
    for (int steps = 0; eta > eta_min; steps++) {
        if (steps == DENSITY_STEPS) return DNAN;
        double next = fmax(eta * ratio, eta_min);
        double complex z1 = z, w1 = w;
        /* G(x + i eta) = (1 + z) / (x + i eta) has Im G < 0 for every eta > 0 (the Stieltjes transform of a
         * positive measure): a step that lands elsewhere jumped branches and is retried with a smaller one */
        int ok = newton(c, CMPLX(x, next), &z1, &w1) && cabs(z1 - z) <= 0.25 * cabs(z) && cabs(w1 - w) <= 0.25 * cabs(w);
        if (ok && cimag((1.0 + z1) / CMPLX(x, next)) <= 1e-12 * cabs(1.0 + z1) / x) {
            z = z1;
            w = w1;
            eta = next;
            ratio = fmax(ratio * ratio, 0.25);
        } else {
            ratio = sqrt(ratio);
            if (ratio > 0.999) return DNAN;
        }
    }
    double complex z0 = z, w0 = w;
    if (newton(c, CMPLX(x, 0.0), &z0, &w0) && cimag(z0) <= 0.0 && cabs(z0 - z) < 1e-3 * cabs(z)) {
        z = z0;
        eta = 0.0;
    }
    double complex g = (1.0 + z) / CMPLX(x, eta);
    double rho = -cimag(g) / PI;
    if (rho < -1e-9 * cabs(g)) return DNAN; /* the unphysical branch: never seen */
    return rho > 0.0 ? rho : 0.0;
}

dyn_status dyn_iso_density(const dyn_mf *mf, const dyn_iso_theory *th, const double *x, int n, double *rho)
{
    if (!mf || !th || !x || !rho) return DYN_ERR_NULL;
    if (n < 1) return DYN_ERR_SIZE;
    if (th->depth < 1 || th->depth > DYN_ISO_MAX_DEPTH || !(th->mu1 > 0.0) || bad(th->q) || th->q < 0.0 ||
        bad(th->rel_var))
        return DYN_ERR_RANGE;
    for (int i = 0; i < n; i++) {
        if (isnan(x[i])) return DYN_ERR_NAN;
        if (!(x[i] > 0.0) || bad(x[i])) return DYN_ERR_RANGE;
    }
    dctx c;
    c.L = th->depth;
    c.orth = th->orthogonal;
    c.mu1 = th->mu1;
    c.two = two_point(mf->act, th->q, &c.a, &c.p);
    dyn_status s = qctx_init(&c.q, mf->act, th->q, 1);
    if (s) return s;
    for (int i = 0; i < n; i++) {
        double big = 10.0 * (1.0 + x[i] + th->rel_var + th->depth);
        rho[i] = density_at(&c, x[i], big);
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ dense kernels */

/* c = a b for n x n row-major matrices, blocked so that a 128 x 256 block of b stays in cache while four rows of
 * c are updated; for each c_ij the sum runs over k in increasing order (the same bits however it is blocked). */
static void gemm(int n, const double *a, const double *b, double *c)
{
    enum { KB = 128, JB = 256 };
    memset(c, 0, (size_t)n * n * sizeof *c);
    for (int k0 = 0; k0 < n; k0 += KB) {
        int k1 = k0 + KB < n ? k0 + KB : n;
        for (int j0 = 0; j0 < n; j0 += JB) {
            int j1 = j0 + JB < n ? j0 + JB : n;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                double *c0 = c + (size_t)i * n, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
                const double *a0 = a + (size_t)i * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
                for (int k = k0; k < k1; k++) {
                    const double *bk = b + (size_t)k * n;
                    double w0 = a0[k], w1 = a1[k], w2 = a2[k], w3 = a3[k];
                    for (int j = j0; j < j1; j++) {
                        double v = bk[j];
                        c0[j] += w0 * v;
                        c1[j] += w1 * v;
                        c2[j] += w2 * v;
                        c3[j] += w3 * v;
                    }
                }
            }
            for (; i < n; i++) {
                double *ci = c + (size_t)i * n;
                const double *ai = a + (size_t)i * n;
                for (int k = k0; k < k1; k++) {
                    const double *bk = b + (size_t)k * n;
                    double wk = ai[k];
                    for (int j = j0; j < j1; j++) ci[j] += wk * bk[j];
                }
            }
        }
    }
}

/* s = a a^T (n x n), both triangles */
static void gram(int n, const double *a, double *s)
{
    for (int i = 0; i < n; i++) {
        const double *ai = a + (size_t)i * n;
        for (int j = 0; j <= i; j++) {
            const double *aj = a + (size_t)j * n;
            double t = 0.0;
            for (int k = 0; k < n; k++) t += ai[k] * aj[k];
            s[(size_t)i * n + j] = s[(size_t)j * n + i] = t;
        }
    }
}

dyn_status dyn_iso_haar(dyn_rng *r, int n, double *q, double *scratch, size_t scratch_len)
{
    if (!r || !q || !scratch) return DYN_ERR_NULL;
    if (n < 1 || n > DYN_ISO_MAX_WIDTH) return DYN_ERR_SIZE;
    if (scratch_len < (size_t)n * n + 2 * (size_t)n) return DYN_ERR_BUFFER;
    double *g = scratch, *beta = g + (size_t)n * n, *sgn = beta + n;
    for (size_t i = 0; i < (size_t)n * n; i++) g[i] = dyn_rng_normal(r);
    /* G H_0 H_1 ... H_{n-1} = L: reflector k zeroes row k right of the diagonal; v_k is kept in row k */
    for (int k = 0; k < n; k++) {
        double *x = g + (size_t)k * n + k;
        int m = n - k;
        double nrm = 0.0;
        for (int j = 0; j < m; j++) nrm += x[j] * x[j];
        nrm = sqrt(nrm);
        if (nrm == 0.0) {
            beta[k] = 0.0;
            sgn[k] = 1.0;
            continue;
        }
        double alpha = x[0] >= 0.0 ? -nrm : nrm;
        x[0] -= alpha;
        double vv = 0.0;
        for (int j = 0; j < m; j++) vv += x[j] * x[j];
        beta[k] = 2.0 / vv;
        sgn[k] = alpha > 0.0 ? 1.0 : -1.0; /* L_kk = alpha */
        for (int i = k + 1; i < n; i++) {
            double *y = g + (size_t)i * n + k, dot = 0.0;
            for (int j = 0; j < m; j++) dot += y[j] * x[j];
            double f = beta[k] * dot;
            for (int j = 0; j < m; j++) y[j] -= f * x[j];
        }
    }
    /* Q = H_{n-1} ... H_0, built as I H_{n-1} ... H_0; before H_k is applied only rows >= k are nonzero in
     * columns >= k */
    memset(q, 0, (size_t)n * n * sizeof *q);
    for (int i = 0; i < n; i++) q[(size_t)i * n + i] = 1.0;
    for (int k = n - 1; k >= 0; k--) {
        if (beta[k] == 0.0) continue;
        const double *v = g + (size_t)k * n + k;
        int m = n - k;
        for (int i = k; i < n; i++) {
            double *y = q + (size_t)i * n + k, dot = 0.0;
            for (int j = 0; j < m; j++) dot += y[j] * v[j];
            double f = beta[k] * dot;
            for (int j = 0; j < m; j++) y[j] -= f * v[j];
        }
    }
    /* G = (L S)(S Q) with S = diag(sign L_ii): the factor with a positive diagonal is unique, so S Q is Haar */
    for (int i = 0; i < n; i++)
        if (sgn[i] < 0.0)
            for (int j = 0; j < n; j++) q[(size_t)i * n + j] = -q[(size_t)i * n + j];
    return DYN_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

dyn_status dyn_iso_sym_eigvals(int n, double *a, double *w, double *scratch, size_t scratch_len)
{
    if (!a || !w || !scratch) return DYN_ERR_NULL;
    if (n < 1 || n > DYN_ISO_MAX_WIDTH) return DYN_ERR_SIZE;
    if (scratch_len < 3 * (size_t)n) return DYN_ERR_BUFFER;
    for (size_t i = 0; i < (size_t)n * n; i++)
        if (bad(a[i])) return DYN_ERR_NAN;
    double *d = w, *e = scratch, *v = e + n, *p = v + n;
    /* Householder tridiagonalisation: A22 <- H A22 H with H = I - beta v v^T zeroing row/column k below the
     * subdiagonal, as A22 - v u^T - u v^T, u = p - (beta p.v / 2) v, p = beta A22 v */
    for (int k = 0; k + 2 < n; k++) {
        const double *x = a + (size_t)k * n + k + 1;
        int m = n - k - 1;
        double nrm = 0.0;
        for (int j = 0; j < m; j++) nrm += x[j] * x[j];
        nrm = sqrt(nrm);
        d[k] = a[(size_t)k * n + k];
        if (nrm == 0.0) {
            e[k] = 0.0;
            continue;
        }
        double alpha = x[0] >= 0.0 ? -nrm : nrm;
        memcpy(v, x, (size_t)m * sizeof *v);
        v[0] -= alpha;
        double vv = 0.0;
        for (int j = 0; j < m; j++) vv += v[j] * v[j];
        double beta = 2.0 / vv, pv = 0.0;
        double *a22 = a + (size_t)(k + 1) * n + k + 1;
        for (int i = 0; i < m; i++) {
            const double *row = a22 + (size_t)i * n;
            double t = 0.0;
            for (int j = 0; j < m; j++) t += row[j] * v[j];
            p[i] = beta * t;
            pv += p[i] * v[i];
        }
        double kk = 0.5 * beta * pv;
        for (int i = 0; i < m; i++) p[i] -= kk * v[i];
        for (int i = 0; i < m; i++) {
            double *row = a22 + (size_t)i * n, vi = v[i], ui = p[i];
            for (int j = 0; j < m; j++) row[j] -= vi * p[j] + ui * v[j];
        }
        e[k] = alpha;
    }
    if (n >= 2) {
        d[n - 2] = a[(size_t)(n - 2) * n + n - 2];
        e[n - 2] = a[(size_t)(n - 2) * n + n - 1];
    }
    d[n - 1] = a[(size_t)(n - 1) * n + n - 1];
    e[n - 1] = 0.0;
    /* implicit QL with shifts on (d, e), e[i] coupling d[i] and d[i+1] (the tqli of Numerical Recipes, 11.3).
     * An off-diagonal element is negligible when it is below the rounding of its neighbours or of the whole
     * matrix: a deep net's Gram matrix has eigenvalues 1e-30 of its largest, which the relative test alone never
     * lets converge, and which are known only to about eps |A| anyway (the Gram product already rounds there). */
    double anorm = 0.0;
    for (int i = 0; i < n; i++) anorm = fmax(anorm, fabs(d[i]) + fabs(e[i]) + (i ? fabs(e[i - 1]) : 0.0));
    for (int l = 0; l < n; l++) {
        int iter = 0, m;
        do {
            for (m = l; m < n - 1; m++) {
                double dd = fabs(d[m]) + fabs(d[m + 1]);
                if (fabs(e[m]) <= 0x1p-53 * dd || fabs(e[m]) <= 0x1p-53 * anorm) break;
            }
            if (m != l) {
                if (iter++ == 100) return DYN_ERR_NO_CONVERGE;
                double g = (d[l + 1] - d[l]) / (2.0 * e[l]);
                double r = hypot(g, 1.0);
                g = d[m] - d[l] + e[l] / (g + copysign(r, g));
                double s = 1.0, c = 1.0, pp = 0.0;
                int i;
                for (i = m - 1; i >= l; i--) {
                    double f = s * e[i], b = c * e[i];
                    e[i + 1] = (r = hypot(f, g));
                    if (r == 0.0) {
                        d[i + 1] -= pp;
                        e[m] = 0.0;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - pp;
                    r = (d[i] - g) * s + 2.0 * c * b;
                    pp = s * r;
                    d[i + 1] = g + pp;
                    g = c * r - b;
                }
                if (r == 0.0 && i >= l) continue;
                d[l] -= pp;
                e[l] = g;
                e[m] = 0.0;
            }
        } while (m != l);
    }
    qsort(w, (size_t)n, sizeof *w, cmp_double);
    return DYN_OK;
}

/* ------------------------------------------------------------------ sampled networks */

static uint64_t net_seed(uint64_t seed, int k) { return seed + 0x9E3779B97F4A7C15ull * (uint64_t)(k + 1); }

/* the weights of one layer into w (n x n): sqrt(sw2 / n) G or sqrt(sw2) Q; then the biases into b */
static dyn_status layer_weights(dyn_rng *r, int n, int orth, double sw2, double sb2, double *w, double *b,
                                double *hs, size_t hs_len)
{
    if (orth) {
        dyn_status s = dyn_iso_haar(r, n, w, hs, hs_len);
        if (s) return s;
        double f = sqrt(sw2);
        for (size_t i = 0; i < (size_t)n * n; i++) w[i] *= f;
    } else {
        double f = sqrt(sw2 / n);
        for (size_t i = 0; i < (size_t)n * n; i++) w[i] = f * dyn_rng_normal(r);
    }
    double f = sqrt(sb2);
    for (int i = 0; i < n; i++) b[i] = f * dyn_rng_normal(r);
    return DYN_OK;
}

/* h^0: Gaussian, rescaled to |h|^2 / n = q exactly */
static void input_vector(dyn_rng *r, int n, double q, double *h)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        h[i] = dyn_rng_normal(r);
        s += h[i] * h[i];
    }
    double f = q > 0.0 && s > 0.0 ? sqrt(q * n / s) : 0.0;
    for (int i = 0; i < n; i++) h[i] *= f;
}

/* h_out = w phi(h_in) + b */
static void forward(dyn_act act, int n, const double *w, const double *b, const double *h_in, double *x,
                    double *h_out)
{
    for (int j = 0; j < n; j++) x[j] = dyn_act_phi(act, h_in[j]);
    for (int i = 0; i < n; i++) {
        const double *wi = w + (size_t)i * n;
        double t = b[i];
        for (int j = 0; j < n; j++) t += wi[j] * x[j];
        h_out[i] = t;
    }
}

double dyn_iso_work(const dyn_iso_desc *d, int which)
{
    dyn_iso_desc r;
    if (resolve(d, &r)) return 0.0;
    double n = r.width, n3 = n * n * n, gen = r.orthogonal ? 4.0 * n3 : 10.0 * n * n;
    if (which == 0) return r.nets * (r.depth * (2.0 * n3 + gen + 4.0 * n * n) + n3 + 2.0 * n3);
    return r.nets * r.depth * (2.0 * gen + 6.0 * n * n);
}

size_t dyn_iso_spectrum_scratch_doubles(const dyn_iso_desc *d)
{
    dyn_iso_desc r;
    if (resolve(d, &r)) return 0;
    size_t n = (size_t)r.width;
    return 4 * n * n + 8 * n;
}

dyn_status dyn_iso_spectrum(const dyn_mf *mf, const dyn_iso_desc *d, double *nu, size_t nu_len, double *log_scale,
                            double *scratch, size_t scratch_len)
{
    dyn_iso_theory th;
    dyn_status s;
    if (!nu || !log_scale || !scratch) return DYN_ERR_NULL;
    if ((s = dyn_iso_theory_at(mf, d, &th))) return s;
    if (dyn_iso_work(d, 0) > DYN_ISO_MAX_WORK) return DYN_ERR_SIZE;
    int n = th.width;
    size_t nn = (size_t)n * n;
    if (nu_len < (size_t)th.nets * n) return DYN_ERR_BUFFER;
    if (scratch_len < dyn_iso_spectrum_scratch_doubles(d)) return DYN_ERR_BUFFER;
    double *w = scratch, *a = w + nn, *t = a + nn, *hs = t + nn; /* hs: n^2 + 2n for the Haar factorisation */
    double *h = hs + nn + 2 * (size_t)n, *h1 = h + n, *x = h1 + n, *b = x + n;
    for (int k = 0; k < th.nets; k++) {
        dyn_rng r;
        dyn_rng_seed(&r, net_seed(d->seed, k));
        input_vector(&r, n, th.q, h);
        double ls = 0.0;
        int zero = 0;
        for (int l = 1; l <= th.depth && !zero; l++) {
            if ((s = layer_weights(&r, n, th.orthogonal, th.sw2, th.sb2, w, b, hs, nn + 2 * (size_t)n))) return s;
            forward(th.act, n, w, b, h, x, h1);
            if (l == 1)
                memcpy(t, w, nn * sizeof *t);
            else
                gemm(n, w, a, t);
            /* a = D t, renormalised so that |a|_F^2 = n: the scale goes to ls */
            double f2 = 0.0;
            for (int i = 0; i < n; i++) {
                double g = dyn_act_dphi(th.act, h1[i]);
                double *ti = t + (size_t)i * n, *ai = a + (size_t)i * n;
                for (int j = 0; j < n; j++) {
                    ai[j] = g * ti[j];
                    f2 += ai[j] * ai[j];
                }
            }
            if (!(f2 > 0.0) || !isfinite(f2)) {
                zero = 1;
                break;
            }
            double sc = sqrt(f2 / n), inv = 1.0 / sc;
            for (size_t i = 0; i < nn; i++) a[i] *= inv;
            ls += log(sc);
            memcpy(h, h1, (size_t)n * sizeof *h);
        }
        if (zero) { /* every unit dead in some layer: J = 0 */
            for (int i = 0; i < n; i++) nu[(size_t)k * n + i] = 0.0;
            log_scale[k] = 0.0;
            continue;
        }
        gram(n, a, t);
        if ((s = dyn_iso_sym_eigvals(n, t, nu + (size_t)k * n, w, nn))) return s;
        for (int i = 0; i < n; i++) /* round-off can make a zero eigenvalue slightly negative */
            if (nu[(size_t)k * n + i] < 0.0) nu[(size_t)k * n + i] = 0.0;
        log_scale[k] = 2.0 * ls;
    }
    return DYN_OK;
}

dyn_status dyn_iso_summarize(const double *nu, const double *log_scale, int n, int nets, double *scratch,
                             size_t scratch_len, dyn_iso_summary *out)
{
    if (!nu || !log_scale || !scratch || !out) return DYN_ERR_NULL;
    if (n < 2 || nets < 1 || (long)n * nets > (long)DYN_ISO_MAX_WIDTH * DYN_ISO_MAX_NETS) return DYN_ERR_SIZE;
    size_t total = (size_t)n * nets;
    if (scratch_len < total) return DYN_ERR_BUFFER;
    for (size_t i = 0; i < total; i++)
        if (isnan(nu[i]) || nu[i] < 0.0 || !isfinite(nu[i])) return DYN_ERR_NAN;
    for (int k = 0; k < nets; k++)
        if (bad(log_scale[k])) return DYN_ERR_NAN;
    memset(out, 0, sizeof *out);
    out->count = (long)total;
    /* per net: ln mean(lambda), ln mean(lambda^2); pooled by log-sum-exp */
    double max1 = -(double)INFINITY, max2 = -(double)INFINITY;
    long zeros = 0;
    for (int k = 0; k < nets; k++) {
        const double *v = nu + (size_t)k * n;
        double s1 = 0.0, s2 = 0.0, top = 0.0;
        for (int i = 0; i < n; i++) s1 += v[i], s2 += v[i] * v[i], top = fmax(top, v[i]);
        for (int i = 0; i < n; i++) zeros += v[i] <= 1e-12 * top;
        double l1 = log(s1 / n) + log_scale[k], l2 = log(s2 / n) + 2.0 * log_scale[k];
        scratch[2 * k] = l1; /* scratch is free until the quantiles, and 2 nets <= n nets */
        scratch[2 * k + 1] = l2;
        max1 = fmax(max1, l1);
        max2 = fmax(max2, l2);
    }
    double e1 = 0.0, e2 = 0.0;
    for (int k = 0; k < nets; k++) {
        double l1 = scratch[2 * k], l2 = scratch[2 * k + 1];
        e1 += exp(l1 - max1);
        e2 += exp(l2 - max2);
    }
    out->log_m1 = max1 + log(e1 / nets);
    out->log_m2 = max2 + log(e2 / nets);
    out->rel_var = isfinite(out->log_m1) ? expm1(out->log_m2 - 2.0 * out->log_m1) : DNAN;
    out->se_log_m1 = out->se_rel_var = DNAN;
    if (nets >= 2) {
        double a1 = 0.0, a2 = 0.0, b1 = 0.0, b2 = 0.0;
        for (int k = 0; k < nets; k++) {
            double r1 = exp(scratch[2 * k] - out->log_m1);
            double rv = expm1(scratch[2 * k + 1] - 2.0 * scratch[2 * k]);
            a1 += r1, a2 += r1 * r1, b1 += rv, b2 += rv * rv;
        }
        double v1 = (a2 - a1 * a1 / nets) / (nets - 1), v2 = (b2 - b1 * b1 / nets) / (nets - 1);
        out->se_log_m1 = sqrt(fmax(v1, 0.0) / nets);
        out->se_rel_var = sqrt(fmax(v2, 0.0) / nets);
    }
    out->frac_zero = (double)zeros / (double)total;
    for (int k = 0; k < nets; k++)
        for (int i = 0; i < n; i++) {
            double v = nu[(size_t)k * n + i];
            scratch[(size_t)k * n + i] = v > 0.0 ? log(v) + log_scale[k] : -(double)INFINITY;
        }
    qsort(scratch, total, sizeof *scratch, cmp_double);
    for (int j = 0; j < DYN_ISO_NQUANT; j++) {
        double t = DYN_ISO_QUANT_LEVELS[j] * (double)(total - 1);
        size_t i = (size_t)t;
        double f = t - (double)i, lo = scratch[i], hi = scratch[i + 1 < total ? i + 1 : i];
        out->log_q[j] = (f == 0.0 || !isfinite(lo)) ? lo : lo + f * (hi - lo);
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ gradients over depth */

#define RNG_DOUBLES ((sizeof(dyn_rng) + sizeof(double) - 1) / sizeof(double))

size_t dyn_iso_gradients_scratch_doubles(const dyn_iso_desc *d)
{
    dyn_iso_desc r;
    if (resolve(d, &r)) return 0;
    size_t n = (size_t)r.width, L = (size_t)r.depth;
    return 2 * n * n + 2 * n + (L + 1) * n + 4 * n + (L + 1) * RNG_DOUBLES;
}

dyn_status dyn_iso_gradients(const dyn_mf *mf, const dyn_iso_desc *d, double *ratio, size_t ratio_len,
                             double *scratch, size_t scratch_len)
{
    dyn_iso_theory th;
    dyn_status s;
    if (!ratio || !scratch) return DYN_ERR_NULL;
    if ((s = dyn_iso_theory_at(mf, d, &th))) return s;
    if (dyn_iso_work(d, 1) > DYN_ISO_MAX_WORK) return DYN_ERR_SIZE;
    int n = th.width, L = th.depth;
    size_t nn = (size_t)n * n;
    if (ratio_len < (size_t)th.nets * (L + 1)) return DYN_ERR_BUFFER;
    if (scratch_len < dyn_iso_gradients_scratch_doubles(d)) return DYN_ERR_BUFFER;
    double *w = scratch, *hs = w + nn, *hl = hs + nn + 2 * (size_t)n; /* hl: h^0 .. h^L */
    double *x = hl + (size_t)(L + 1) * n, *b = x + n, *g = b + n, *t = g + n;
    double *states = t + n;
    for (int k = 0; k < th.nets; k++) {
        dyn_rng r;
        double *rk = ratio + (size_t)k * (L + 1);
        dyn_rng_seed(&r, net_seed(d->seed, k));
        input_vector(&r, n, th.q, hl);
        for (int l = 1; l <= L; l++) {
            memcpy(states + (size_t)l * RNG_DOUBLES, &r, sizeof r);
            if ((s = layer_weights(&r, n, th.orthogonal, th.sw2, th.sb2, w, b, hs, nn + 2 * (size_t)n))) return s;
            forward(th.act, n, w, b, hl + (size_t)(l - 1) * n, x, hl + (size_t)l * n);
        }
        /* a random unit direction at the output */
        double e2 = 0.0;
        for (int i = 0; i < n; i++) {
            g[i] = dyn_rng_normal(&r);
            e2 += g[i] * g[i];
        }
        double top = 0.0;
        for (int i = 0; i < n; i++) {
            g[i] *= dyn_act_dphi(th.act, hl[(size_t)L * n + i]) / sqrt(e2);
            top += g[i] * g[i];
        }
        rk[0] = DNAN;
        rk[L] = top > 0.0 ? 1.0 : DNAN;
        for (int l = L - 1; l >= 1; l--) {
            dyn_rng rr;
            memcpy(&rr, states + (size_t)(l + 1) * RNG_DOUBLES, sizeof rr);
            if ((s = layer_weights(&rr, n, th.orthogonal, th.sw2, th.sb2, w, b, hs, nn + 2 * (size_t)n)))
                return s;
            memset(t, 0, (size_t)n * sizeof *t);
            for (int i = 0; i < n; i++) { /* t = W^T g, row by row */
                const double *wi = w + (size_t)i * n;
                double gi = g[i];
                for (int j = 0; j < n; j++) t[j] += wi[j] * gi;
            }
            double nrm = 0.0;
            for (int i = 0; i < n; i++) {
                g[i] = t[i] * dyn_act_dphi(th.act, hl[(size_t)l * n + i]);
                nrm += g[i] * g[i];
            }
            rk[l] = top > 0.0 ? nrm / top : DNAN;
        }
    }
    return DYN_OK;
}

const char *dyn_iso_weights_name(int orthogonal) { return orthogonal ? "orthogonal" : "gaussian"; }

dyn_status dyn_iso_weights_parse(const char *name, int *orthogonal)
{
    if (!name || !orthogonal) return DYN_ERR_NULL;
    if (strcmp(name, "gaussian") == 0) return *orthogonal = 0, DYN_OK;
    if (strcmp(name, "orthogonal") == 0) return *orthogonal = 1, DYN_OK;
    return DYN_ERR_UNKNOWN_NAME;
}

/* ------------------------------------------------------------------ trainability */

dyn_status dyn_iso_init_params(const dyn_net *net, double sw2, double sb2, int orthogonal, uint64_t seed,
                               double *theta, size_t theta_len, double *scratch, size_t scratch_len)
{
    if (!net || !theta) return DYN_ERR_NULL;
    if (!orthogonal) return dyn_net_init_params(net, sw2, sb2, seed, theta, theta_len);
    if (!scratch) return DYN_ERR_NULL;
    if (bad(sw2) || bad(sb2)) return DYN_ERR_NAN;
    if (!(sw2 > 0.0) || sw2 > 1000.0 || sb2 < 0.0 || sb2 > 1000.0) return DYN_ERR_RANGE;
    if (theta_len < (size_t)net->n_params) return DYN_ERR_BUFFER;
    size_t m = (size_t)net->max_dim;
    if (net->max_dim > DYN_ISO_MAX_WIDTH) return DYN_ERR_SIZE;
    if (scratch_len < 2 * m * m + 2 * m) return DYN_ERR_BUFFER;
    dyn_rng r;
    dyn_rng_seed(&r, seed);
    for (int l = 1; l <= net->depth + 1; l++) {
        int no = net->dim[l], ni = net->dim[l - 1], k = no > ni ? no : ni;
        double *q = scratch;
        dyn_status s = dyn_iso_haar(&r, k, q, scratch + m * m, m * m + 2 * m);
        if (s) return s;
        double f = sqrt(sw2 * (no > ni ? (double)no / ni : 1.0)), sb = sqrt(sb2);
        for (int i = 0; i < no; i++)
            for (int j = 0; j < ni; j++) theta[net->w_off[l] + (long)i * ni + j] = f * q[(size_t)i * k + j];
        for (int i = 0; i < no; i++) theta[net->b_off[l] + i] = sb * dyn_rng_normal(&r);
    }
    return DYN_OK;
}

static dyn_status cell_setup(const dyn_iso_train_desc *t, const dyn_data *data, int depth, dyn_iso_train_desc *r,
                             dyn_net *net, dyn_train_desc *td)
{
    if (!t || !data) return DYN_ERR_NULL;
    *r = *t;
    if (!r->width) r->width = 32;
    if (!r->steps) r->steps = 300;
    if (!r->batch) r->batch = 32;
    if (r->lr == 0.0) r->lr = 0.01;
    if (bad(r->lr) || bad(r->sb2)) return DYN_ERR_NAN;
    if (!(r->lr > 0.0) || r->lr > 100.0 || r->sb2 < 0.0 || r->sb2 > 1000.0 || r->act < 0 || r->act >= DYN_ACT_COUNT)
        return DYN_ERR_RANGE;
    if (r->steps < 1 || r->steps > 1000000 || r->batch < 1 || depth < 1 || depth > DYN_NET_MAX_HIDDEN ||
        r->width > DYN_ISO_MAX_WIDTH || data->n_class < 2)
        return DYN_ERR_SIZE;
    dyn_net_desc nd = {data->d, data->n_class, depth, r->width, NULL, r->act, 0, DYN_LOSS_XENT};
    dyn_status s = dyn_net_init(net, &nd);
    if (s) return s;
    dyn_train_desc z = {DYN_OPT_SGD, r->lr, 0, 0, 0, 0, 0, r->batch, 0};
    *td = z;
    return DYN_OK;
}

/* doubles of scratch next to the training state: theta0, the evaluation, the orthogonal initialisation */
static size_t cell_doubles(const dyn_net *net, int n)
{
    size_t m = (size_t)net->max_dim, ev = dyn_net_scratch_doubles(net, n < DYN_NET_MAX_BATCH ? n : DYN_NET_MAX_BATCH);
    size_t init = 2 * m * m + 2 * m;
    return (size_t)net->n_params + (ev > init ? ev : init);
}

size_t dyn_iso_cell_bytes(const dyn_iso_train_desc *t, const dyn_data *data, int depth)
{
    dyn_iso_train_desc r;
    dyn_net net;
    dyn_train_desc td;
    if (cell_setup(t, data, depth, &r, &net, &td)) return 0;
    size_t tb = dyn_train_bytes(&net, &td, data->n);
    if (!tb) return 0;
    return ((tb + 7) & ~(size_t)7) + sizeof(double) * cell_doubles(&net, data->n);
}

double dyn_iso_cell_work(const dyn_iso_train_desc *t, const dyn_data *data, int depth)
{
    dyn_iso_train_desc r;
    dyn_net net;
    dyn_train_desc td;
    if (cell_setup(t, data, depth, &r, &net, &td)) return 0.0;
    int b = r.batch < data->n ? r.batch : data->n;
    return 6.0 * (double)net.n_params * ((double)r.steps * b + data->n);
}

dyn_status dyn_iso_cell(const dyn_iso_train_desc *t, const dyn_data *data, int depth, double sw2, long cell, void *mem,
                        size_t bytes, double *acc)
{
    dyn_iso_train_desc r;
    dyn_net net;
    dyn_train_desc td;
    dyn_status s;
    if (!mem || !acc) return DYN_ERR_NULL;
    if ((s = cell_setup(t, data, depth, &r, &net, &td))) return s;
    if (bad(sw2)) return DYN_ERR_NAN;
    if (cell < 0) return DYN_ERR_RANGE;
    size_t tb = (dyn_train_bytes(&net, &td, data->n) + 7) & ~(size_t)7;
    if (bytes < dyn_iso_cell_bytes(t, data, depth)) return DYN_ERR_BUFFER;
    double *theta0 = (double *)((char *)mem + tb), *sc = theta0 + net.n_params;
    size_t sl = cell_doubles(&net, data->n) - (size_t)net.n_params;
    uint64_t seed = net_seed(r.seed, (int)(cell & 0x7fffffff)) ^ ((uint64_t)cell << 32);
    if ((s = dyn_iso_init_params(&net, sw2, r.sb2, r.orthogonal, seed, theta0, (size_t)net.n_params, sc, sl))) return s;
    td.seed = seed + 1;
    dyn_train tr;
    if ((s = dyn_train_init(&tr, &net, &td, data, theta0, mem, tb))) return s;
    s = dyn_train_run(&tr, data, r.steps, NULL);
    if (s == DYN_ERR_NAN) return *acc = 1.0 / data->n_class, DYN_OK;
    if (s) return s;
    double loss, a;
    if ((s = dyn_net_eval(&net, tr.theta, data, &loss, &a, sc, sl))) return s;
    *acc = isfinite(loss) ? a : 1.0 / data->n_class;
    return DYN_OK;
}

int dyn_iso_shard_owns(long cell, int k, int n)
{
    if (cell < 0 || n < 1 || k < 1 || k > n) return 0;
    return cell % n == k - 1;
}
