/* meanfield.c - mean-field signal propagation: exact and tabulated Gaussian kernels, and one solver for both. */
#include "meanfield.h"

#include <math.h>
#include <string.h>

#include "rng.h"

#define PI 3.14159265358979323846
#define NTH DYN_MF_NTHETA
#define NPANEL 11      /* q panels: [0, 2^-6], then [2^(j-7), 2^(j-6)] up to [8, 16] */
#define PN 16          /* Chebyshev nodes of the first kind per panel */
#define NGL 64         /* Gauss-Legendre nodes for kernels that need a 1-D integral */
#define Q_TINY 1e-300  /* stands for q -> 0+ */
#define Q_HUGE 1e12    /* a length map still growing here has no fixed point */
#define W_NEGLIGIBLE 1e-22
#define MAX_ITER 300
#define DNAN ((double)NAN)
#define DINF ((double)INFINITY)

enum { OK = 0, UNBOUNDED = 1, OUT_OF_TABLE = 2, NO_CONVERGE = 3 };

/* ------------------------------------------------------------------ small helpers */

static int bad(double x) { return isnan(x) || isinf(x); }
static double depth_scale(double chi) { return chi == 1.0 ? DINF : -1.0 / log(chi); }

static const double INV_WIDTH[NPANEL] = {64, 64, 32, 16, 8, 4, 2, 1, 0.5, 0.25, 0.125};

/* panel j covers [EDGE[j], EDGE[j + 1]] */
static const double EDGE[NPANEL + 1] = {0.0,    1.0 / 64, 1.0 / 32, 1.0 / 16, 1.0 / 8, 0.25,
                                        0.5,    1.0,      2.0,      4.0,      8.0,     16.0};

/* ------------------------------------------------------------------ exact kernels */

/* v, dv/dq and d = E[phi'^2] at q by closed form or Gauss-Hermite; dv by Stein's lemma,
 * dv/dq = E[phi(u) phi'(u) z] / sqrt(q), which needs no phi''. */
static void exact_vd(const dyn_mf *mf, double q, double out[3])
{
    if (q < Q_TINY) q = Q_TINY;
    if (mf->k->v) {
        out[0] = mf->k->v(q);
        out[1] = mf->k->dv(q);
        out[2] = mf->k->d(q);
        return;
    }
    double s = sqrt(q), v = 0.0, dv = 0.0, d = 0.0;
    for (int i = mf->j0; i < mf->j1; i++) {
        double u = s * mf->z1[i], f = dyn_act_phi(mf->act, u), df = dyn_act_dphi(mf->act, u);
        v += mf->w1[i] * f * f;
        dv += mf->w1[i] * f * df * mf->z1[i];
        d += mf->w1[i] * df * df;
    }
    out[0] = v;
    out[1] = dv / s;
    out[2] = d;
}

/* r(q, t) and cp(q, t) by closed form or a 2-D Gauss-Hermite rule in the symmetric coordinates
 * u1 = sqrt(q) (a x + b y), u2 = sqrt(q) (a x - b y), a = cos(t/2), b = sin(t/2), where
 * v - E[phi(u1) phi(u2)] = E[(phi(u1) - phi(u2))^2] / 2 has no cancellation as t -> 0.
 * (y, -y) swaps u1 and u2, so only y >= 0 is summed. */
static void exact_rc(const dyn_mf *mf, double q, double t, double *r, double *cp)
{
    if (q < Q_TINY) q = Q_TINY;
    if (mf->k->r) {
        *r = mf->k->r(&mf->gl, q, t);
        *cp = mf->k->cp(&mf->gl, q, t);
        return;
    }
    if (t < 1e-7) { /* r = d + O(t^2) for smooth phi, and below here phi(u1) - phi(u2) loses its digits */
        double vd[3];
        exact_vd(mf, q, vd);
        *r = *cp = vd[2];
        return;
    }
    double s = sqrt(q), a = cos(0.5 * t), b = sin(0.5 * t), sr = 0.0, sc = 0.0;
    int mid = mf->order / 2; /* first node with y >= 0 */
    for (int i = mf->i0; i < mf->i1; i++) {
        double ax = s * a * mf->z[i], rr = 0.0, cc = 0.0;
        for (int j = mid; j < mf->i1; j++) {
            double by = s * b * mf->z[j], wj = mf->w[j];
            if (mf->z[j] == 0.0) wj *= 0.5; /* the y = 0 node of an odd rule is its own mirror */
            double f1 = dyn_act_phi(mf->act, ax + by), f2 = dyn_act_phi(mf->act, ax - by);
            double d1 = dyn_act_dphi(mf->act, ax + by), d2 = dyn_act_dphi(mf->act, ax - by);
            rr += wj * (f1 - f2) * (f1 - f2);
            cc += wj * d1 * d2;
        }
        sr += mf->w[i] * rr;
        sc += mf->w[i] * cc;
    }
    /* full sums are twice the half sums; r = E[(f1 - f2)^2] / (2 q (1 - c)), 1 - c = 2 b^2 */
    *r = (2.0 * sr) / (4.0 * q * b * b);
    *cp = 2.0 * sc;
}

/* ------------------------------------------------------------------ tables */

/* The panel holding q and T_0..T_{PN-1} at q's position in it; returns the panel, or -1 off the table. */
static int table_basis(const dyn_mf *mf, double q, double tk[PN])
{
    if (!(q > 0.0) || q > mf->table_qmax) return -1;
    int e = 0;
    frexp(q, &e); /* q in [2^(e-1), 2^e) */
    int p = e + 6 < 0 ? 0 : (e + 6 >= NPANEL ? NPANEL - 1 : e + 6);
    double x = (2.0 * q - EDGE[p] - EDGE[p + 1]) * INV_WIDTH[p];
    tk[0] = 1.0;
    tk[1] = x;
    for (int k = 2; k < PN; k++) tk[k] = 2.0 * x * tk[k - 1] - tk[k - 2];
    return p;
}

static int table_vd(const dyn_mf *mf, double q, double out[3])
{
    double tk[PN];
    int p = table_basis(mf, q, tk);
    if (p < 0) return OUT_OF_TABLE;
    const double *cv = mf->tv + p * PN, *cdv = mf->tdv + p * PN, *cd = mf->td + p * PN;
    double v = 0.0, dv = 0.0, d = 0.0;
    for (int k = 0; k < PN; k++) {
        v += tk[k] * cv[k];
        dv += tk[k] * cdv[k];
        d += tk[k] * cd[k];
    }
    out[0] = v;
    out[1] = dv;
    out[2] = d;
    return OK;
}

/* Chebyshev series on theta in [0, pi]: value and d/dtheta */
static void cheb_eval(const double *c, double t, double *f, double *df)
{
    double x = 2.0 * t / PI - 1.0;
    double t0 = 1.0, t1 = x, u0 = 1.0, u1 = 2.0 * x; /* T_m and U_m */
    double s = c[0] + c[1] * x, ds = c[1];
    for (int m = 2; m < NTH; m++) {
        double t2 = 2.0 * x * t1 - t0;
        ds += c[m] * m * u1; /* T_m' = m U_{m-1} */
        double u2 = 2.0 * x * u1 - u0;
        s += c[m] * t2;
        t0 = t1, t1 = t2, u0 = u1, u1 = u2;
    }
    *f = s;
    *df = ds * (2.0 / PI);
}

/* ------------------------------------------------------------------ evaluators shared by both paths */

typedef struct kern {
    const dyn_mf *mf;
    int table; /* 1: interpolate the tables, 0: exact */
} kern;

/* Relative tolerance of the root finders: the tables are good to ~1e-9, so more digits there cost time only */
#define TOL(k) ((k)->table ? 1e-12 : 2e-16)

static int kern_vd(const kern *k, double q, double out[3])
{
    if (q == 0.0) { /* the limits q -> 0+, computed once by dyn_mf_init */
        memcpy(out, k->mf->vd0, sizeof k->mf->vd0);
        return OK;
    }
    if (k->table) return table_vd(k->mf, q, out);
    exact_vd(k->mf, q, out);
    return OK;
}

/* r(q, .) at one q for several theta: the table path interpolates the theta coefficients once. */
typedef struct rslice {
    const kern *k;
    double q;
    double coef[NTH];
} rslice;

static int rslice_init(rslice *sl, const kern *k, double q)
{
    sl->k = k;
    sl->q = q;
    if (!k->table) return OK;
    double tk[PN];
    int p = table_basis(k->mf, q, tk);
    if (p < 0) return OUT_OF_TABLE;
    double acc[NTH] = {0};
    for (int j = 0; j < PN; j++) { /* a local accumulator lets the compiler vectorise this, the hot loop */
        const double *restrict c = k->mf->tr + (size_t)(p * PN + j) * NTH;
        for (int m = 0; m < NTH; m++) acc[m] += tk[j] * c[m];
    }
    memcpy(sl->coef, acc, sizeof acc);
    return OK;
}

/* r, dr/dtheta and cp at theta. cp = d(eps r)/d eps = r + tan(t/2) dr/dt links them. */
static void rslice_eval(const rslice *sl, double t, double *r, double *dr, double *cp)
{
    if (sl->k->table) {
        cheb_eval(sl->coef, t, r, dr);
        *cp = *r + tan(0.5 * t) * *dr;
    } else {
        exact_rc(sl->k->mf, sl->q, t, r, cp);
        *dr = t > 0.0 ? (*cp - *r) / tan(0.5 * t) : 0.0;
    }
}

/* ------------------------------------------------------------------ the solver */

/* Safeguarded Newton on [lo, hi] with f(lo) > 0 >= f(hi) (or the reverse, given by sign_lo), starting at x. */
typedef int (*fdf_fn)(void *ctx, double x, double *f, double *df);

static int newton_bracket(fdf_fn fn, void *ctx, double lo, double hi, double x, double tol, double *root)
{
    if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
    for (int it = 0; it < MAX_ITER; it++) {
        double f, df;
        int st = fn(ctx, x, &f, &df);
        if (st) return st;
        if (f == 0.0) break;
        if (f > 0.0) lo = x;
        else hi = x;
        double xn = x - f / df;
        if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
        double step = fabs(xn - x);
        x = xn;
        if (step <= tol * fabs(x) || hi - lo <= tol * fabs(x) || hi - lo < 1e-300) break;
        if (it == MAX_ITER - 1) return NO_CONVERGE;
    }
    *root = x;
    return OK;
}

typedef struct qctx {
    const kern *k;
    double sw2, sb2;
} qctx;

/* F(q) = sw2 v(q) + sb2 - q: positive below the stable fixed point, negative above it */
static int q_fdf(void *p, double q, double *f, double *df)
{
    const qctx *c = p;
    double vd[3];
    int st = kern_vd(c->k, q, vd);
    if (st) return st;
    *f = c->sw2 * vd[0] + c->sb2 - q;
    *df = c->sw2 * vd[1] - 1.0;
    return OK;
}

/* q*: the smallest stable fixed point of the length map, or UNBOUNDED. */
static int solve_q(const kern *k, double sw2, double sb2, double hint, double *qs)
{
    qctx c = {k, sw2, sb2};
    double f, df, lo, hi;
    int st;
    if (sb2 == 0.0 && k->mf->vd0[0] == 0.0) {
        /* phi(0) = 0 and no bias: q = 0 is a fixed point, stable when sw2 v'(0) <= 1 */
        if (sw2 * k->mf->vd0[1] <= 1.0) {
            *qs = 0.0;
            return OK;
        }
        lo = 0.0;
    } else {
        lo = sb2;
    }
    if (dyn_act_bounded(k->mf->act)) {
        hi = sw2 + sb2; /* |phi| <= 1 gives F(sw2 + sb2) <= 0 */
        if (k->table && hi > k->mf->table_qmax) {
            hi = k->mf->table_qmax;
            if ((st = q_fdf(&c, hi, &f, &df))) return st;
            if (f > 0.0) return OUT_OF_TABLE;
        }
    } else {
        hi = lo > 0.0 ? 2.0 * lo : 1.0 / 64;
        for (;;) {
            if (k->table && hi > k->mf->table_qmax) hi = k->mf->table_qmax;
            if ((st = q_fdf(&c, hi, &f, &df))) return st;
            if (f <= 0.0) break;
            if (k->table && hi >= k->mf->table_qmax) return OUT_OF_TABLE;
            lo = hi;
            hi *= 2.0;
            if (hi > Q_HUGE) return UNBOUNDED;
        }
    }
    if (hi <= lo) {
        *qs = lo;
        return OK;
    }
    return newton_bracket(q_fdf, &c, lo, hi, hint > 0.0 ? hint : hi, TOL(k), qs);
}

typedef struct tctx {
    const rslice *sl;
    double sw2;
    double cp; /* cp at the last theta evaluated: at the root to within the tolerance once converged */
} tctx;

/* h(theta) = sw2 r(q*, theta) - 1: the correlation map's fixed point c* = cos(theta*) is h's first zero */
static int t_fdf(void *p, double t, double *f, double *df)
{
    tctx *c = p;
    double r, dr;
    rslice_eval(c->sl, t, &r, &dr, &c->cp);
    *f = c->sw2 * r - 1.0;
    *df = c->sw2 * dr;
    return OK;
}

static int solve_theta(const rslice *sl, double sw2, double hint, double *theta, double *cp)
{
    tctx c = {sl, sw2, 0.0};
    double lo = 0.0, hi = PI, f, df;
    /* h(0) = chi_1 - 1 > 0 >= h(pi), so [0, pi] always brackets; with a neighbour's theta* as the start
     * Newton needs no search. Without one, march to the first sign change (the stable fixed point). */
    int found = hint > 0.0;
    for (int j = 1; !found && j <= 32; j++) {
        double t = j * (PI / 32);
        t_fdf(&c, t, &f, &df);
        if (f <= 0.0) {
            hi = t;
            found = 1;
        } else {
            lo = t;
        }
    }
    if (!found) {
        double r, dr;
        rslice_eval(sl, PI, &r, &dr, cp);
        *theta = PI; /* sw2 r(pi) <= 1 in exact arithmetic: c* = -1 */
        return OK;
    }
    int st = newton_bracket(t_fdf, &c, lo, hi, hint, TOL(sl->k), theta);
    *cp = c.cp;
    return st;
}

/* Solutions at the previous two pixels of a row; their linear extrapolation starts Newton at the next. */
typedef struct hints {
    double q, theta, q_prev, theta_prev;
} hints;

static double extrapolate(double x1, double x0) { return x0 > 0.0 && x1 > 0.0 ? 2.0 * x1 - x0 : x1; }

static void hints_push(hints *h, double q, double theta)
{
    h->q_prev = h->q;
    h->theta_prev = h->theta;
    h->q = q;
    h->theta = theta;
}

/* Everything at one (sw2, sb2). need_c: also solve for c* (chaotic phase only). */
static int solve_point(const kern *k, double sw2, double sb2, int need_c, hints *h, dyn_mf_point *pt)
{
    double qs = 0.0, vd[3];
    memset(pt, 0, sizeof *pt);
    pt->sw2 = sw2;
    pt->sb2 = sb2;
    double qh = h ? extrapolate(h->q, h->q_prev) : 0.0, th = h ? extrapolate(h->theta, h->theta_prev) : 0.0;
    int st = solve_q(k, sw2, sb2, qh, &qs);
    if (st == UNBOUNDED) {
        pt->q_star = DINF;
        pt->c_star = pt->chi1 = pt->chi_c = pt->chi_q = DNAN;
        pt->xi_q = pt->xi_c = pt->xi_grad = pt->depth_trainable = DNAN;
        pt->phase = DYN_PHASE_UNBOUNDED;
        if (h) hints_push(h, 0.0, 0.0);
        return OK;
    }
    if (st) return st;
    if ((st = kern_vd(k, qs, vd))) return st;
    pt->q_star = qs;
    pt->chi1 = sw2 * vd[2];
    pt->chi_q = sw2 * vd[1];
    pt->c_star = 1.0;
    pt->chi_c = pt->chi1;
    pt->phase = pt->chi1 > 1.0 ? DYN_PHASE_CHAOTIC : DYN_PHASE_ORDERED;
    double t = 0.0;
    if (pt->phase == DYN_PHASE_CHAOTIC && need_c) {
        rslice sl;
        double cp = 0.0;
        if ((st = rslice_init(&sl, k, qs))) return st;
        if ((st = solve_theta(&sl, sw2, th, &t, &cp))) return st;
        pt->c_star = cos(t);
        pt->chi_c = sw2 * cp;
    }
    if (h) hints_push(h, qs, t);
    pt->xi_q = depth_scale(pt->chi_q);
    pt->xi_c = pt->chi_c >= 1.0 ? DINF : depth_scale(pt->chi_c);
    pt->xi_grad = depth_scale(pt->chi1);
    pt->depth_trainable = 6.0 * pt->xi_c;
    return OK;
}

static dyn_status to_status(int st)
{
    return st == OK || st == UNBOUNDED ? DYN_OK : DYN_ERR_NO_CONVERGE;
}

static dyn_status check_params(double sw2, double sb2)
{
    if (bad(sw2) || bad(sb2)) return DYN_ERR_NAN;
    if (!(sw2 > 0.0) || sw2 > DYN_MF_MAX_PARAM || sb2 < 0.0 || sb2 > DYN_MF_MAX_PARAM) return DYN_ERR_RANGE;
    return DYN_OK;
}

/* ------------------------------------------------------------------ public API */

static int order_of(const dyn_mf_desc *d) { return d->order ? d->order : 512; }

static int desc_ok(const dyn_mf_desc *d)
{
    int n = order_of(d);
    return (int)d->act >= 0 && d->act < DYN_ACT_COUNT && n >= DYN_MF_MIN_ORDER && n <= DYN_MF_MAX_ORDER;
}

/* The 1-D rule is finer than the 2-D one: it costs little, and d(q) = E[phi'^2] needs it at large q
 * (at q* ~ 16, 2n nodes give chi_1 to ~1e-7, the 2-D rule's accuracy there). */
static int order_1d(int n) { return 2 * n < DYN_QUAD_MAX_ORDER ? 2 * n : DYN_QUAD_MAX_ORDER; }

/* doubles: z, w (order each), z1, w1 (order_1d each), gl x, w, tq, tv, tdv, td, tr, and the build scratch
 * (Mehler: a_k and three rows, then the theta cosine table; Gauss-Hermite: two rows of order_1d) */
static size_t workspace_doubles(int n)
{
    size_t nq = (size_t)NPANEL * PN, n1 = (size_t)order_1d(n), build = ((size_t)n / 2 + 1) + 3 * (size_t)n + NTH * NTH;
    if (build < 2 * n1) build = 2 * n1;
    return 2 * (size_t)n + 2 * n1 + 2 * NGL + 4 * nq + nq * NTH + build;
}

size_t dyn_mf_workspace_bytes(const dyn_mf_desc *d)
{
    if (!d || !desc_ok(d)) return 0;
    return workspace_doubles(order_of(d)) * sizeof(double);
}

/* Chebyshev coefficients c[m * cs] of the n values f[j * fs] at the first-kind nodes cos((2j+1) pi / (2n)),
 * with cosm[m * n + j] = cos(pi m (2j+1) / (2n)) precomputed by cheb_cosines */
static void cheb_fit(const double *f, int n, int fs, double *c, int cs, const double *cosm)
{
    for (int m = 0; m < n; m++) {
        double s = 0.0;
        for (int j = 0; j < n; j++) s += f[j * fs] * cosm[m * n + j];
        c[m * cs] = (m == 0 ? 1.0 : 2.0) * s / n;
    }
}

static void cheb_cosines(int n, double *cosm)
{
    for (int m = 0; m < n; m++)
        for (int j = 0; j < n; j++) cosm[m * n + j] = cos(PI * m * (2 * j + 1) / (2.0 * n));
}

/* r(q, theta_j) for activations without closed forms, from Mehler's formula:
 * E[phi(u1) phi(u2)] = sum_k a_k^2 c^k with a_k = E[phi(sqrt(q) z) He_k(z)] / sqrt(k!), so
 * r = (1/q) sum_{k>=1} a_k^2 (1 + c + ... + c^(k-1)). The tail past K is known at c = 1 (it must add up to
 * d(q)) and is spread as if it sat at k = K + 1. */
static void mehler_r(const dyn_mf *mf, double q, double d, double *scratch, const double *theta, double *rv)
{
    int n = mf->order, K = n / 2;
    double *a = scratch, *g0 = a + K + 1, *g1 = g0 + n, *f = g1 + n, s = sqrt(q);
    for (int i = mf->i0; i < mf->i1; i++) {
        double sw = sqrt(mf->w[i]);
        f[i] = sw * dyn_act_phi(mf->act, s * mf->z[i]);
        g0[i] = 0.0;
        g1[i] = sw; /* sqrt(w) He_0 */
    }
    for (int kk = 0; kk <= K; kk++) {
        double acc = 0.0;
        for (int i = mf->i0; i < mf->i1; i++) acc += f[i] * g1[i];
        a[kk] = acc;
        double c1 = 1.0 / sqrt(kk + 1.0), c0 = sqrt((double)kk) * c1;
        for (int i = mf->i0; i < mf->i1; i++) {
            double g2 = mf->z[i] * c1 * g1[i] - c0 * g0[i];
            g0[i] = g1[i];
            g1[i] = g2;
        }
    }
    double head = 0.0;
    for (int kk = 1; kk <= K; kk++) head += kk * a[kk] * a[kk];
    double tail = d - head / q;
    if (tail < 0.0) tail = 0.0;
    for (int j = 0; j < NTH; j++) {
        double c = cos(theta[j]), br = 0.0, sum = 0.0; /* br = [k]_c = 1 + c + ... + c^(k-1) */
        for (int kk = 1; kk <= K; kk++) {
            br = 1.0 + c * br;
            sum += a[kk] * a[kk] * br;
        }
        br = 1.0 + c * br;
        rv[j] = sum / q + tail * br / (K + 1);
    }
}

dyn_status dyn_mf_init(dyn_mf *mf, const dyn_mf_desc *d, void *mem, size_t bytes)
{
    if (!mf || !d || !mem) return DYN_ERR_NULL;
    if (!desc_ok(d)) return DYN_ERR_RANGE;
    int n = order_of(d);
    size_t nq = (size_t)NPANEL * PN;
    if (bytes < workspace_doubles(n) * sizeof(double)) return DYN_ERR_BUFFER;
    int n1 = order_1d(n);
    double *p = mem, *z = p, *w = z + n, *z1 = w + n, *w1 = z1 + n1, *glx = w1 + n1, *glw = glx + NGL, *tq = glw + NGL;
    double *tv = tq + nq, *tdv = tv + nq, *td = tdv + nq, *tr = td + nq, *scratch = tr + nq * NTH;
    memset(mf, 0, sizeof *mf);
    mf->act = d->act;
    mf->k = dyn_act_kernels_of(d->act);
    mf->order = n;
    if (dyn_quad_hermite(n, z, w, scratch) != DYN_OK || dyn_quad_hermite(n1, z1, w1, scratch) != DYN_OK ||
        dyn_quad_legendre(NGL, glx, glw) != DYN_OK)
        return DYN_ERR_NO_CONVERGE;
    mf->z = z;
    mf->w = w;
    mf->z1 = z1;
    mf->w1 = w1;
    mf->order_1d = n1;
    for (mf->i0 = 0; mf->i0 < n / 2 && w[mf->i0] < W_NEGLIGIBLE;) mf->i0++;
    mf->i1 = n - mf->i0;
    for (mf->j0 = 0; mf->j0 < n1 / 2 && w1[mf->j0] < W_NEGLIGIBLE;) mf->j0++;
    mf->j1 = n1 - mf->j0;
    mf->gl.n = NGL;
    mf->gl.x = glx;
    mf->gl.w = glw;
    exact_vd(mf, Q_TINY, mf->vd0);
    if (fabs(dyn_act_phi(d->act, 0.0)) == 0.0) mf->vd0[0] = 0.0; /* v(0+) is exactly phi(0)^2 */

    double theta[NTH], rv[NTH], cos_q[PN * PN];
    double *cos_t = scratch + ((size_t)n / 2 + 1) + 3 * (size_t)n; /* after the Mehler rows */
    cheb_cosines(NTH, cos_t);
    cheb_cosines(PN, cos_q);
    for (int j = 0; j < NTH; j++) theta[j] = 0.5 * PI * (1.0 + cos(PI * (2 * j + 1) / (2.0 * NTH)));
    for (int pnl = 0; pnl < NPANEL; pnl++) {
        double lo = EDGE[pnl], hi = EDGE[pnl + 1];
        double *cv = tv + pnl * PN, *cdv = tdv + pnl * PN, *cd = td + pnl * PN, *cr = tr + (size_t)pnl * PN * NTH;
        for (int k = 0; k < PN; k++) {
            double q = 0.5 * (lo + hi) + 0.5 * (hi - lo) * cos(PI * (2 * k + 1) / (2.0 * PN)), vd[3];
            tq[pnl * PN + k] = q;
            exact_vd(mf, q, vd);
            cv[k] = vd[0]; /* values for now; turned into coefficients below */
            cdv[k] = vd[1];
            cd[k] = vd[2];
            if (mf->k->r)
                for (int j = 0; j < NTH; j++) rv[j] = mf->k->r(&mf->gl, q, theta[j]);
            else
                mehler_r(mf, q, vd[2], scratch, theta, rv);
            cheb_fit(rv, NTH, 1, cr + k * NTH, 1, cos_t);
        }
        /* along q: the theta coefficients, and v, dv, d, become Chebyshev series in the panel's variable */
        for (int m = 0; m < NTH; m++) {
            double col[PN];
            for (int k = 0; k < PN; k++) col[k] = cr[k * NTH + m];
            cheb_fit(col, PN, 1, cr + m, NTH, cos_q);
        }
        double tmp[PN];
        memcpy(tmp, cv, sizeof tmp), cheb_fit(tmp, PN, 1, cv, 1, cos_q);
        memcpy(tmp, cdv, sizeof tmp), cheb_fit(tmp, PN, 1, cdv, 1, cos_q);
        memcpy(tmp, cd, sizeof tmp), cheb_fit(tmp, PN, 1, cd, 1, cos_q);
    }
    mf->nq = (int)nq;
    mf->tq = tq;
    mf->tv = tv;
    mf->tdv = tdv;
    mf->td = td;
    mf->tr = tr;
    mf->table_qmax = EDGE[NPANEL];
    return DYN_OK;
}

dyn_status dyn_mf_solve(const dyn_mf *mf, double sw2, double sb2, dyn_mf_point *out)
{
    if (!mf || !out) return DYN_ERR_NULL;
    dyn_status s = check_params(sw2, sb2);
    if (s) return s;
    /* the tables give a close start; the exact kernels then polish it */
    kern kt = {mf, 1}, ke = {mf, 0};
    hints h = {0};
    dyn_mf_point tmp;
    if (solve_point(&kt, sw2, sb2, 1, &h, &tmp) != OK) h = (hints){0};
    return to_status(solve_point(&ke, sw2, sb2, 1, &h, out));
}

/* B(q) = q - v(q)/d(q) is the sb2 at which q is the fixed point of a critical network (sw2 = 1/d(q)) */
static int crit_parametric(const kern *k, double sb2, double *sw2c, double *qs)
{
    double vd[3];
    int st;
    if (sb2 == 0.0 && k->mf->vd0[0] == 0.0) { /* phi(0) = 0: the critical network at sb2 = 0 has q* = 0 */
        *qs = 0.0;
        *sw2c = 1.0 / k->mf->vd0[2];
        return OK;
    }
    double lo = sb2 > 0.0 ? sb2 : Q_TINY, hi = 2.0 * lo, blo, bhi;
    if ((st = kern_vd(k, lo, vd))) return st;
    blo = lo - vd[0] / vd[2] - sb2;
    if (blo >= 0.0) return UNBOUNDED; /* cannot happen for v >= 0; guards against bad tables */
    for (;;) {
        if (k->table && hi > k->mf->table_qmax) hi = k->mf->table_qmax;
        if ((st = kern_vd(k, hi, vd))) return st;
        bhi = hi - vd[0] / vd[2] - sb2;
        if (bhi >= 0.0) break;
        if (k->table && hi >= k->mf->table_qmax) return OUT_OF_TABLE;
        lo = hi;
        hi *= 2.0;
        if (hi > Q_HUGE) return UNBOUNDED;
    }
    for (int it = 0; it < 200 && hi - lo > 1e-16 * hi; it++) { /* bisection: B needs no derivative */
        double mid = 0.5 * (lo + hi), b;
        if ((st = kern_vd(k, mid, vd))) return st;
        b = mid - vd[0] / vd[2] - sb2;
        if (b < 0.0) lo = mid;
        else hi = mid;
    }
    *qs = 0.5 * (lo + hi);
    if ((st = kern_vd(k, *qs, vd))) return st;
    *sw2c = 1.0 / vd[2];
    return OK;
}

/* Where the smallest stable fixed point changes phase, by bisection in sw2 (slow, always right). */
static int crit_bisect(const kern *k, double sb2, double *sw2c, double *qs)
{
    double lo = 0.0, hi = 0.0;
    dyn_mf_point p;
    int st;
    for (double sw2 = 1.0 / 64; sw2 <= DYN_MF_MAX_PARAM; sw2 *= 1.25) {
        if ((st = solve_point(k, sw2, sb2, 0, NULL, &p))) return st;
        if (p.phase != DYN_PHASE_ORDERED) {
            hi = sw2;
            break;
        }
        lo = sw2;
    }
    if (hi == 0.0 || p.phase == DYN_PHASE_UNBOUNDED) return UNBOUNDED;
    for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        if ((st = solve_point(k, mid, sb2, 0, NULL, &p))) return st;
        if (p.phase == DYN_PHASE_ORDERED) lo = mid;
        else hi = mid;
    }
    if ((st = solve_point(k, lo, sb2, 0, NULL, &p))) return st;
    *sw2c = lo;
    *qs = p.q_star;
    return OK;
}

/* The critical sw2 at sb2: the parametric solution when the network there really has that q* (true for
 * tanh, erf, hard tanh...); otherwise (swish: its stable fixed point can jump) the phase boundary. */
static int crit_solve(const kern *k, double sb2, double *sw2c, double *qs)
{
    int st = crit_parametric(k, sb2, sw2c, qs);
    if (st != OK) return st;
    double q = 0.0;
    if ((st = solve_q(k, *sw2c, sb2, *qs, &q)) == OUT_OF_TABLE) return st;
    if (st == OK && fabs(q - *qs) <= 1e-9 * *qs) return OK;
    return crit_bisect(k, sb2, sw2c, qs);
}

dyn_status dyn_mf_critical(const dyn_mf *mf, double sb2, double *sw2_crit, double *q_star)
{
    if (!mf || !sw2_crit) return DYN_ERR_NULL;
    if (bad(sb2)) return DYN_ERR_NAN;
    if (sb2 < 0.0 || sb2 > DYN_MF_MAX_PARAM) return DYN_ERR_RANGE;
    kern ke = {mf, 0};
    double sw2 = DNAN, qs = DNAN;
    int st = crit_solve(&ke, sb2, &sw2, &qs);
    if (st == UNBOUNDED || (st == OK && sw2 > DYN_MF_MAX_PARAM)) return DYN_ERR_NO_SOLUTION;
    if (st) return DYN_ERR_NO_CONVERGE;
    *sw2_crit = sw2;
    if (q_star) *q_star = qs;
    return DYN_OK;
}

dyn_status dyn_mf_critical_line(const dyn_mf *mf, double sb2_min, double sb2_max, int n, double *sw2_out)
{
    if (!mf || !sw2_out) return DYN_ERR_NULL;
    if (bad(sb2_min) || bad(sb2_max)) return DYN_ERR_NAN;
    if (sb2_min < 0.0 || sb2_max > DYN_MF_MAX_PARAM || !(sb2_max > sb2_min)) return DYN_ERR_RANGE;
    if (n < 2 || n > DYN_MF_MAX_GRID) return DYN_ERR_SIZE;
    kern kt = {mf, 1}, ke = {mf, 0};
    for (int i = 0; i < n; i++) {
        double sb2 = sb2_min + (sb2_max - sb2_min) * i / (n - 1), sw2 = DNAN, qs;
        int st = crit_solve(&kt, sb2, &sw2, &qs);
        if (st == OUT_OF_TABLE) st = crit_solve(&ke, sb2, &sw2, &qs);
        sw2_out[i] = (st == OK && sw2 <= DYN_MF_MAX_PARAM) ? sw2 : DNAN;
    }
    return DYN_OK;
}

static double field_value(const dyn_mf_point *p, dyn_mf_field f)
{
    switch (f) {
    case DYN_MF_Q_STAR: return p->phase == DYN_PHASE_UNBOUNDED ? DNAN : p->q_star;
    case DYN_MF_C_STAR: return p->c_star;
    case DYN_MF_CHI1: return p->chi1;
    case DYN_MF_CHI_C: return p->chi_c;
    case DYN_MF_XI_Q: return p->xi_q;
    case DYN_MF_XI_C: return p->xi_c;
    case DYN_MF_XI_GRAD: return p->xi_grad;
    case DYN_MF_PHASE: return (double)p->phase;
    case DYN_MF_FIELD_COUNT: break;
    }
    return DNAN;
}

dyn_status dyn_mf_grid(const dyn_mf *mf, const dyn_mf_grid_desc *g, float *out, size_t out_len)
{
    if (!mf || !g || !out) return DYN_ERR_NULL;
    if ((int)g->field < 0 || g->field >= DYN_MF_FIELD_COUNT) return DYN_ERR_RANGE;
    if (g->nx < 1 || g->ny < 1 || g->nx > DYN_MF_MAX_GRID || g->ny > DYN_MF_MAX_GRID) return DYN_ERR_SIZE;
    dyn_status s = check_params(g->sw2_min, g->sb2_min);
    if (!s) s = check_params(g->sw2_max, g->sb2_max);
    if (s) return s;
    if (g->sw2_max < g->sw2_min || g->sb2_max < g->sb2_min) return DYN_ERR_RANGE;
    int r0 = g->row_begin, r1 = g->row_end;
    if (r0 == 0 && r1 == 0) r1 = g->ny;
    if (r0 < 0 || r1 > g->ny || r1 <= r0) return DYN_ERR_RANGE;
    if (out_len < (size_t)g->nx * (size_t)(r1 - r0)) return DYN_ERR_BUFFER;
    int need_c = g->field == DYN_MF_C_STAR || g->field == DYN_MF_CHI_C || g->field == DYN_MF_XI_C;
    kern kt = {mf, 1}, ke = {mf, 0};
    for (int row = r0; row < r1; row++) {
        double sb2 = g->ny == 1 ? g->sb2_min : g->sb2_max - (g->sb2_max - g->sb2_min) * row / (g->ny - 1);
        hints h = {0}; /* each pixel starts from its left neighbours' solutions */
        for (int col = 0; col < g->nx; col++) {
            double sw2 = g->nx == 1 ? g->sw2_min : g->sw2_min + (g->sw2_max - g->sw2_min) * col / (g->nx - 1);
            dyn_mf_point pt;
            int st = solve_point(&kt, sw2, sb2, need_c, &h, &pt);
            if (st == OUT_OF_TABLE) {
                hints he = {0};
                st = solve_point(&ke, sw2, sb2, need_c, &he, &pt);
                h = (hints){0};
            }
            out[(size_t)(row - r0) * g->nx + col] = (float)(st == OK ? field_value(&pt, g->field) : DNAN);
        }
    }
    return DYN_OK;
}

dyn_status dyn_mf_trajectory(const dyn_mf *mf, double sw2, double sb2, double q0, double c0, int depth,
                             double *q_out, double *c_out, double *e_out)
{
    if (!mf || !q_out || !c_out) return DYN_ERR_NULL;
    dyn_status s = check_params(sw2, sb2);
    if (s) return s;
    if (bad(q0) || bad(c0)) return DYN_ERR_NAN;
    if (!(q0 > 0.0) || q0 > 1e6 || c0 < -1.0 || c0 > 1.0) return DYN_ERR_RANGE;
    if (depth < 0 || depth > DYN_MF_MAX_DEPTH) return DYN_ERR_SIZE;
    /* iterate eps = 1 - c, not c: eps^l = sw2 (q^{l-1} / q^l) r(q^{l-1}, theta^{l-1}) eps^{l-1} keeps every
     * digit of a correlation close to 1 */
    double q = q0, eps = 1.0 - c0;
    q_out[0] = q0;
    c_out[0] = c0;
    if (e_out) e_out[0] = eps;
    for (int l = 1; l <= depth; l++) {
        double vd[3], r = 0.0, cp, t = 2.0 * asin(fmin(1.0, sqrt(0.5 * eps)));
        exact_vd(mf, q, vd);
        double qn = sw2 * vd[0] + sb2;
        if (eps > 0.0) exact_rc(mf, q, t, &r, &cp);
        eps = qn > 0.0 ? sw2 * (q / qn) * r * eps : 0.0;
        q = qn;
        q_out[l] = q;
        c_out[l] = 1.0 - eps;
        if (e_out) e_out[l] = eps;
    }
    return DYN_OK;
}

dyn_work dyn_mf_simulate_work(const dyn_mf_sim_desc *d)
{
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    if (!d || d->width < 1 || d->depth < 0 || d->seeds < 1) return w;
    double n = d->width, layers = (double)d->seeds * d->depth;
    w.ops = layers * (n * n * (DYN_WORK_TRANSCENDENTAL + 2.0) + 2.0 * n * DYN_WORK_TRANSCENDENTAL);
    w.bytes = 8.0 * (4.0 * n + ((double)d->seeds + 4.0) * (d->depth + 1.0));
    return w;
}

size_t dyn_mf_sim_scratch_doubles(int width) { return width > 0 ? 4 * (size_t)width : 0; }

dyn_status dyn_mf_simulate(const dyn_mf_sim_desc *d, double *scratch, size_t scratch_len, double *q_mean,
                           double *q_se, double *c_mean, double *c_se, double *c_each)
{
    if (!d || !scratch || !q_mean || !q_se || !c_mean || !c_se) return DYN_ERR_NULL;
    dyn_status s = check_params(d->sw2, d->sb2);
    if (s) return s;
    if (bad(d->q0) || bad(d->c0)) return DYN_ERR_NAN;
    if ((int)d->act < 0 || d->act >= DYN_ACT_COUNT) return DYN_ERR_RANGE;
    if (!(d->q0 > 0.0) || d->q0 > 1e6 || d->c0 < -1.0 || d->c0 > 1.0) return DYN_ERR_RANGE;
    if (d->width < 2 || d->width > DYN_MF_MAX_WIDTH || d->depth < 0 || d->depth > DYN_MF_MAX_DEPTH ||
        d->seeds < 1 || d->seeds > DYN_MF_MAX_SEEDS)
        return DYN_ERR_SIZE;
    int n = d->width, L = d->depth;
    if (scratch_len < dyn_mf_sim_scratch_doubles(n)) return DYN_ERR_BUFFER;
    double *ha = scratch, *hb = ha + n, *pa = hb + n, *pb = pa + n;
    double sdw = sqrt(d->sw2 / n), sdb = sqrt(d->sb2);
    dyn_rng rng;
    dyn_rng_seed(&rng, d->seed);
    for (int l = 0; l <= L; l++) q_mean[l] = q_se[l] = c_mean[l] = c_se[l] = 0.0;
    for (int net = 0; net < d->seeds; net++) {
        /* two inputs with |h|^2 / N = q0 exactly and correlation c0 exactly (Gram-Schmidt) */
        double naa = 0.0, nab = 0.0, nbb = 0.0;
        for (int i = 0; i < n; i++) {
            ha[i] = dyn_rng_normal(&rng);
            hb[i] = dyn_rng_normal(&rng);
            naa += ha[i] * ha[i];
        }
        for (int i = 0; i < n; i++) nab += ha[i] * hb[i];
        for (int i = 0; i < n; i++) {
            hb[i] -= nab / naa * ha[i];
            nbb += hb[i] * hb[i];
        }
        double sa = sqrt(d->q0 * n / naa), sb = sqrt(d->q0 * n / nbb), s1 = sqrt(fmax(0.0, 1.0 - d->c0 * d->c0));
        for (int i = 0; i < n; i++) {
            double ea = ha[i] * sa, eb = hb[i] * sb;
            ha[i] = ea;
            hb[i] = d->c0 * ea + s1 * eb;
        }
        for (int l = 0; l <= L; l++) {
            if (l > 0) {
                dyn_act_phi_array(d->act, ha, (size_t)n, pa);
                dyn_act_phi_array(d->act, hb, (size_t)n, pb);
                for (int i = 0; i < n; i++) { /* row i of W^l, drawn and used once */
                    double xa = 0.0, xb = 0.0;
                    for (int j = 0; j < n; j++) {
                        double wij = sdw * dyn_rng_normal(&rng);
                        xa += wij * pa[j];
                        xb += wij * pb[j];
                    }
                    double bi = sdb * dyn_rng_normal(&rng);
                    ha[i] = xa + bi;
                    hb[i] = xb + bi;
                }
            }
            double aa = 0.0, ab = 0.0, bb = 0.0;
            for (int i = 0; i < n; i++) {
                aa += ha[i] * ha[i];
                ab += ha[i] * hb[i];
                bb += hb[i] * hb[i];
            }
            double q = 0.5 * (aa + bb) / n, c = (aa > 0.0 && bb > 0.0) ? ab / sqrt(aa * bb) : 1.0;
            q_mean[l] += q;
            q_se[l] += q * q;
            c_mean[l] += c;
            c_se[l] += c * c;
            if (c_each) c_each[(size_t)net * (L + 1) + l] = c;
        }
    }
    for (int l = 0; l <= L; l++) { /* sums -> mean and standard error of the mean */
        int m = d->seeds;
        double qm = q_mean[l] / m, cm = c_mean[l] / m;
        double qv = m > 1 ? fmax(0.0, (q_se[l] - m * qm * qm) / (m - 1)) : 0.0;
        double cv = m > 1 ? fmax(0.0, (c_se[l] - m * cm * cm) / (m - 1)) : 0.0;
        q_mean[l] = qm;
        c_mean[l] = cm;
        q_se[l] = sqrt(qv / m);
        c_se[l] = sqrt(cv / m);
    }
    return DYN_OK;
}

static const char *const FIELD_NAMES[DYN_MF_FIELD_COUNT] = {"q_star", "c_star", "chi1",    "chi_c",
                                                            "xi_q",   "xi_c",   "xi_grad", "phase"};

const char *dyn_mf_field_name(dyn_mf_field f)
{
    return (int)f >= 0 && f < DYN_MF_FIELD_COUNT ? FIELD_NAMES[f] : NULL;
}

dyn_status dyn_mf_field_parse(const char *name, dyn_mf_field *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < DYN_MF_FIELD_COUNT; i++)
        if (strcmp(name, FIELD_NAMES[i]) == 0) {
            *out = (dyn_mf_field)i;
            return DYN_OK;
        }
    return DYN_ERR_UNKNOWN_NAME;
}

const char *dyn_mf_phase_name(dyn_phase p)
{
    switch (p) {
    case DYN_PHASE_ORDERED: return "ordered";
    case DYN_PHASE_CHAOTIC: return "chaotic";
    case DYN_PHASE_UNBOUNDED: return "unbounded";
    }
    return "unknown";
}
