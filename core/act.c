/* act.c - the activation table: phi, phi', and the closed-form Gaussian kernels where they exist. */
#include "act.h"

#include <math.h>
#include <string.h>

#define PI 3.14159265358979323846

/* ---- phi and phi' ---- */
static double tanh_f(double x) { return tanh(x); }
static double tanh_d(double x) { double t = tanh(x); return 1.0 - t * t; }
static double tanh_d2(double x) { double t = tanh(x); return -2.0 * t * (1.0 - t * t); }
static double zero_d2(double x) { (void)x; return 0.0; } /* piecewise linear: phi'' is 0 off the kinks */
static double relu_f(double x) { return x > 0.0 ? x : 0.0; }
static double relu_d(double x) { return x >= 0.0 ? 1.0 : 0.0; }
static double htanh_f(double x) { return x > 1.0 ? 1.0 : (x < -1.0 ? -1.0 : x); }
static double htanh_d(double x) { return (x >= -1.0 && x < 1.0) ? 1.0 : 0.0; }
static double erf_f(double x) { return erf(x); }
static double erf_d(double x) { return 1.1283791670955126 * exp(-x * x); } /* 2/sqrt(pi) */
static double erf_d2(double x) { return -2.0 * x * erf_d(x); }
static double lin_f(double x) { return x; }
static double lin_d(double x) { (void)x; return 1.0; }
static double sigm(double x) { return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }
static double sigm_d(double x) { double s = sigm(x); return s * (1.0 - s); }
static double sigm_d2(double x) { double s = sigm(x); return s * (1.0 - s) * (1.0 - 2.0 * s); }
static double swish_f(double x) { return x * sigm(x); }
static double swish_d(double x) { double s = sigm(x); return s + x * s * (1.0 - s); }
static double swish_d2(double x) { double s = sigm(x), ds = s * (1.0 - s); return 2.0 * ds + x * ds * (1.0 - 2.0 * s); }

/* ---- Gaussian helpers ---- */
static double npdf(double x) { return 0.3989422804014327 * exp(-0.5 * x * x); }
static double ncdf(double x) { return 0.5 * erfc(-x * 0.7071067811865476); }
/* 1 - cos(theta) without cancellation */
static double one_minus_cos(double t) { double s = sin(0.5 * t); return 2.0 * s * s; }

/* ---- ReLU: the arc-cosine kernel of degree 1 (Cho and Saul 2009) ----
 * E[relu(u1) relu(u2)] = q/(2 pi) (sin t + (pi - t) cos t);  E[relu'(u1) relu'(u2)] = (pi - t)/(2 pi). */
static double relu_v(double q) { return 0.5 * q; }
static double relu_half(double q) { (void)q; return 0.5; }
static double relu_r(const dyn_quad_rule *gl, double q, double t)
{
    (void)gl;
    (void)q;
    if (t == 0.0) return 0.5;
    /* sin t - t cos t = sum_k (-1)^(k+1) 2k t^(2k+1) / (2k+1)!, summed directly for small t */
    double g;
    if (t < 0.5) {
        double term = t * t * t / 3.0, t2 = t * t;
        g = 0.0;
        for (int k = 1; k < 12; k++) {
            g += term;
            term *= -t2 * (2.0 * k + 2.0) / ((2.0 * k) * (2.0 * k + 2.0) * (2.0 * k + 3.0));
        }
    } else {
        g = sin(t) - t * cos(t);
    }
    return (PI - g / one_minus_cos(t)) / (2.0 * PI);
}
static double relu_cp(const dyn_quad_rule *gl, double q, double t) { (void)gl; (void)q; return (PI - t) / (2.0 * PI); }

/* ---- erf: the arcsine kernel (Williams 1997) ----
 * E[erf(u1) erf(u2)] = (2/pi) asin(2 q c / (1 + 2 q)). */
static double erf_v(double q) { return (2.0 / PI) * asin(2.0 * q / (1.0 + 2.0 * q)); }
static double erf_dv(double q) { return 4.0 / (PI * (1.0 + 2.0 * q) * sqrt(1.0 + 4.0 * q)); }
static double erf_dd(double q) { return (4.0 / PI) / sqrt(1.0 + 4.0 * q); }
static double erf_r(const dyn_quad_rule *gl, double q, double t)
{
    (void)gl;
    if (t == 0.0) return erf_dd(q);
    double s = 2.0 * q / (1.0 + 2.0 * q), c = cos(t), e = one_minus_cos(t);
    if (c >= 0.0) {
        /* asin x - asin y = asin((x^2 - y^2) / (x sqrt(1-y^2) + y sqrt(1-x^2))), x = s, y = s c:
         * x^2 - y^2 = s^2 (1 - c)(1 + c), so the factor (1 - c) cancels exactly. */
        double den = s * sqrt(1.0 - s * s * c * c) + s * c * sqrt(1.0 - s * s);
        double a = s * s * e * (1.0 + c) / den;
        double as = (a < 1e-4) ? a * (1.0 + a * a / 6.0 + 3.0 * a * a * a * a / 40.0) : asin(a);
        return (2.0 / PI) * as / (q * e);
    }
    return (2.0 / PI) * (asin(s) - asin(s * c)) / (q * e);
}
static double erf_cp(const dyn_quad_rule *gl, double q, double t)
{
    (void)gl;
    double c = cos(t), a = 1.0 + 2.0 * q, b = 2.0 * q * c;
    return (4.0 / PI) / sqrt((a - b) * (a + b));
}

/* ---- linear ---- */
static double lin_v(double q) { return q; }
static double lin_one(double q) { (void)q; return 1.0; }
static double lin_one2(const dyn_quad_rule *gl, double q, double t) { (void)gl; (void)q; (void)t; return 1.0; }

/* ---- hard tanh: closed forms in Phi and phi, with a = 1/sqrt(q) the kink in units of sqrt(q) ---- */
static double ht_v(double q)
{
    double a = 1.0 / sqrt(q), tail = erfc(a * 0.7071067811865476); /* P(|z| > a) */
    return q * (1.0 - tail - 2.0 * a * npdf(a)) + tail;
}
static double ht_d(double q) { return erf(0.7071067811865476 / sqrt(q)); } /* P(|z| < a) */
/* d/dq E[ht(u)^2] = E[ht'^2] + E[ht ht''] and ht'' = delta(u + 1) - delta(u - 1) (Price's theorem). */
static double ht_dv(double q) { double a = 1.0 / sqrt(q); return ht_d(q) - 2.0 * a * npdf(a); }

/* E over z2 of ht(m + sg z2), m = sqrt(q) c z1, sg = sqrt(q) sin t: piecewise-linear against a Gaussian. */
static double ht_inner(double m, double sg)
{
    double al = (-1.0 - m) / sg, be = (1.0 - m) / sg;
    double pa = ncdf(al), pb = ncdf(be);
    return -pa + (1.0 - pb) + m * (pb - pa) + sg * (npdf(al) - npdf(be));
}

/* The integrands below are smooth except in layers of width w = sin(t)/|cos(t)| around known points, which
 * become steep as t -> 0; each integral is split there into panels of one Gauss-Legendre rule each. */
typedef struct ht_ctx {
    double sq, a, c, s;
} ht_ctx;

static double ht_cov_in(const ht_ctx *h, double z) { return h->sq * z * ht_inner(h->sq * h->c * z, h->sq * h->s) * npdf(z); }
static double ht_cov_out(const ht_ctx *h, double z) { return ht_inner(h->sq * h->c * z, h->sq * h->s) * npdf(z); }
static double ht_cp_in(const ht_ctx *h, double z)
{
    return npdf(z) * (ncdf((h->a - h->c * z) / h->s) - ncdf((-h->a - h->c * z) / h->s));
}

static double gl_split(const dyn_quad_rule *gl, double (*f)(const ht_ctx *, double), const ht_ctx *h, double lo,
                       double hi, double center, double w)
{
    double cut[6] = {lo, center - 8.0 * w, center - w, center + w, center + 8.0 * w, hi}, acc = 0.0;
    double prev = lo;
    for (int k = 1; k < 6; k++) {
        double b = cut[k] < lo ? lo : (cut[k] > hi ? hi : cut[k]);
        if (k == 5) b = hi;
        if (b <= prev) continue;
        double mid = 0.5 * (b + prev), half = 0.5 * (b - prev);
        for (int i = 0; i < gl->n; i++) acc += half * gl->w[i] * f(h, mid + half * gl->x[i]);
        prev = b;
    }
    return acc;
}

static double ht_cp(const dyn_quad_rule *gl, double q, double t);

static double ht_r(const dyn_quad_rule *gl, double q, double t)
{
    if (t == 0.0) return ht_d(q);
    if (t < 1e-2) {
        /* v - C loses digits as t -> 0; use instead d(v - C)/dc = q cp (Price's theorem):
         * r = (1/(1 - c)) int_0^t cp(t') sin t' dt', smooth in t', with an 8-point Gauss-Legendre rule */
        double x8[8], w8[8], acc = 0.0;
        dyn_quad_legendre(8, x8, w8);
        for (int i = 0; i < 8; i++) {
            double tt = 0.5 * t * (1.0 + x8[i]);
            acc += 0.5 * t * w8[i] * ht_cp(gl, q, tt) * sin(tt);
        }
        return acc / one_minus_cos(t);
    }
    double sq = sqrt(q), a = 1.0 / sq, c = cos(t);
    ht_ctx h = {sq, a, c, sin(t)};
    double lim = a < 10.0 ? a : 10.0, zc = fabs(c) > 1e-3 ? a / fabs(c) : 1e6, w = h.s / (fabs(c) + 1e-3);
    /* C = E[ht(u1) ht(u2)] = 2 int_0^inf ht(sqrt(q) z) g(z) phi(z) dz (the integrand is even); g, the inner
     * expectation, turns over where sqrt(q) |c| z = 1, i.e. at zc, over a width w */
    double cov = gl_split(gl, ht_cov_in, &h, 0.0, lim, zc, w);
    if (a < 10.0) cov += gl_split(gl, ht_cov_out, &h, a, a + 10.0, zc, w);
    return (ht_v(q) - 2.0 * cov) / (q * one_minus_cos(t));
}
static double ht_cp(const dyn_quad_rule *gl, double q, double t)
{
    if (t == 0.0) return ht_d(q);
    double a = 1.0 / sqrt(q), c = cos(t);
    ht_ctx h = {sqrt(q), a, c, sin(t)};
    double lim = a < 10.0 ? a : 10.0, zc = fabs(c) > 1e-3 ? a / fabs(c) : 1e6, w = h.s / (fabs(c) + 1e-3);
    /* P(|u1| < 1, |u2| < 1) = 2 int_0^a phi(z) [Phi((a - c z)/s) - Phi((-a - c z)/s)] dz */
    return 2.0 * gl_split(gl, ht_cp_in, &h, 0.0, lim, zc, w);
}

/* ---- the table: one row per activation ---- */
typedef struct act_row {
    const char *name;
    double (*f)(double);
    double (*df)(double);
    double (*d2f)(double);
    int bounded;
    dyn_act_kernels k;
    const char *numpy; /* phi(a) in numpy, for generated checks */
} act_row;

static const act_row ROWS[DYN_ACT_COUNT] = {
    [DYN_ACT_TANH] = {"tanh", tanh_f, tanh_d, tanh_d2, 1, {0}, "np.tanh(a)"},
    [DYN_ACT_RELU] = {"relu", relu_f, relu_d, zero_d2, 0,
                      {relu_v, relu_half, relu_half, relu_r, relu_cp}, "np.maximum(a, 0)"},
    [DYN_ACT_HARD_TANH] = {"hard_tanh", htanh_f, htanh_d, zero_d2, 1, {ht_v, ht_dv, ht_d, ht_r, ht_cp},
                           "np.clip(a, -1, 1)"},
    [DYN_ACT_ERF] = {"erf", erf_f, erf_d, erf_d2, 1, {erf_v, erf_dv, erf_dd, erf_r, erf_cp}, "erf(a)"},
    [DYN_ACT_LINEAR] = {"linear", lin_f, lin_d, zero_d2, 0, {lin_v, lin_one, lin_one, lin_one2, lin_one2}, "a"},
    [DYN_ACT_SIGMOID] = {"sigmoid", sigm, sigm_d, sigm_d2, 1, {0}, "1 / (1 + np.exp(-a))"},
    [DYN_ACT_SWISH] = {"swish", swish_f, swish_d, swish_d2, 0, {0}, "a / (1 + np.exp(-a))"},
};

static int valid(dyn_act a) { return (int)a >= 0 && a < DYN_ACT_COUNT; }

const char *dyn_act_name(dyn_act a) { return valid(a) ? ROWS[a].name : NULL; }
const char *dyn_act_numpy(dyn_act a) { return valid(a) ? ROWS[a].numpy : NULL; }

dyn_status dyn_act_parse(const char *name, dyn_act *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < DYN_ACT_COUNT; i++)
        if (strcmp(name, ROWS[i].name) == 0) {
            *out = (dyn_act)i;
            return DYN_OK;
        }
    return DYN_ERR_UNKNOWN_NAME;
}

double dyn_act_phi(dyn_act a, double x) { return valid(a) ? ROWS[a].f(x) : (double)NAN; }
double dyn_act_dphi(dyn_act a, double x) { return valid(a) ? ROWS[a].df(x) : (double)NAN; }
double dyn_act_d2phi(dyn_act a, double x) { return valid(a) ? ROWS[a].d2f(x) : (double)NAN; }
int dyn_act_bounded(dyn_act a) { return valid(a) ? ROWS[a].bounded : 0; }
const dyn_act_kernels *dyn_act_kernels_of(dyn_act a) { return valid(a) ? &ROWS[a].k : NULL; }
