/* act.c - the activation table: phi, phi', and the closed-form Gaussian kernels where they exist. */
#include "act.h"
#include "vec_internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define PI 3.14159265358979323846

/* ---- elementary kernels ----
 * exp, tanh and erf in plain double arithmetic (+ - * / and bit moves, no libm, no branches on data), so that
 * (1) a loop over a buffer vectorises (SSE2 natively, SIMD128 in WebAssembly: the compiler turns the selects
 * below into blends), and (2) native and WebAssembly builds give the same bits: with -ffp-contract=off every
 * operation is one IEEE-754 rounding on both. The scalar API and the array API run the same inline code.
 * Accuracy (tests/test_act.c measures it against long double on a dense grid): phi within 2 ulp of the
 * correctly rounded value, derivatives too except near an interior zero (swish' and swish''), where the error
 * is within a few ulp of the larger of the terms that cancel. */

static inline uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static inline double of_bits(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}
static inline double sel(int c, double a, double b) { return c ? a : b; }

/* 1.5 * 2^52: v + MAGIC - MAGIC rounds |v| < 2^51 to the nearest integer (ties to even) with no int
 * conversion, and the low bits of v + MAGIC hold that integer in two's complement. */
#define MAGIC 6755399441055744.0
#define LOG2E 1.4426950408889634074
/* ln 2 split so that k LN2_HI is exact for |k| < 2^20 (Cody and Waite; the fdlibm constants) */
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10

/* 2^k for an integral double k in [-1022, 1023], through the exponent field */
static inline double pow2i(double k) { return of_bits((bits_of(k + MAGIC) - bits_of(MAGIC) + 1023u) << 52); }

/* An unevaluated sum h + l of two doubles, |l| <= ulp(h): intermediate results carried with about 20 more bits,
 * so that a function built from several operations is rounded about once, not once per operation. Only the
 * operations below are used; each leaves at most one rounding uncaptured. */
typedef struct dd {
    double h, l;
} dd;
/* a + b exactly when |a| >= |b| (Dekker's Fast2Sum) */
static inline dd fast2(double a, double b)
{
    double s = a + b;
    dd r = {s, (a - s) + b};
    return r;
}
/* c + e for a constant c >= |e.h| */
static inline dd c_plus(double c, dd e)
{
    dd s = fast2(c, e.h);
    s.l += e.l;
    return s;
}
/* a b, the rounding of a.h b.h not captured */
static inline dd dd_mul(dd a, dd b)
{
    dd r = {a.h * b.h, a.h * b.l + a.l * b.h};
    return r;
}
/* n / d, the rounding of n.h / d.h not captured */
static inline dd dd_div(dd n, dd d)
{
    double q = n.h / d.h;
    dd r = {q, (n.l - q * d.l) / d.h};
    return r;
}
static inline double dd_val(dd a) { return a.h + a.l; }
/* a + b exactly, any magnitudes (Knuth's TwoSum) */
static inline dd two_sum(double a, double b)
{
    double s = a + b, bb = s - a;
    dd r = {s, (a - (s - bb)) + (b - bb)};
    return r;
}
/* a b exactly (Dekker's product with Veltkamp's split; no FMA), |a|, |b| <= 1e150 */
static inline dd two_prod(double a, double b)
{
    double ca = 134217729.0 * a, ah = ca - (ca - a), al = a - ah; /* 2^27 + 1 */
    double cb = 134217729.0 * b, bh = cb - (cb - b), bl = b - bh;
    double p = a * b;
    dd r = {p, ((ah * bh - p) + ah * bl + al * bh) + al * bl};
    return r;
}

/* (exp(r) - 1 - r) / r^2 by Horner from 1/13! down to 1/2: the Taylor tail both exp kernels below share */
static inline double exp_tail(double r)
{
    double p = 1.0 / 6227020800.0; /* 1/13! */
    p = 1.0 / 479001600.0 + r * p;
    p = 1.0 / 39916800.0 + r * p;
    p = 1.0 / 3628800.0 + r * p;
    p = 1.0 / 362880.0 + r * p;
    p = 1.0 / 40320.0 + r * p;
    p = 1.0 / 5040.0 + r * p;
    p = 1.0 / 720.0 + r * p;
    p = 1.0 / 120.0 + r * p;
    p = 1.0 / 24.0 + r * p;
    p = 1.0 / 6.0 + r * p;
    return 0.5 + r * p;
}

/* exp(x + xl) 2^kadd as h + l; xl is a small correction carried below x's last bit (|xl| <= 1e-10 |x| + 1e-300),
 * kadd a small integer (0 <= kadd <= 64). Reduction x = k ln2 + r with |r| <= ln2/2, then exp(r) by its Taylor
 * polynomial of degree 13 (the remainder is below 5e-18 relative on |r| <= 0.347), summed as 1 + r + r^2 p(r) with
 * the two large terms kept exact; then the scale 2^k in two halves so that results down to the subnormals are
 * rounded once. h alone is within 0.6 ulp; h + l within about 0.15 ulp. NaN in, NaN out; +inf -> inf, -inf -> 0.
 * In two parts, so that two scales of one exponential share the reduction and the polynomial (swish' and swish''):
 * exp_reduce gives exp(r) as h + l and the k of x = k ln2 + r, exp_scale multiplies by 2^(k + kadd). */
typedef struct exp_red {
    dd e;
    double kf;
} exp_red;
DYN_KERNEL exp_red exp_reduce(double x, double xl)
{
    double xc = sel(x < -800.0, -800.0, sel(x > 712.0, 712.0, x)); /* NaN falls through both */
    double kf = (xc * LOG2E + MAGIC) - MAGIC;
    double hi = xc - kf * LN2_HI, lo = xl - kf * LN2_LO; /* hi exact (Cody and Waite) */
    double r = hi + lo, rl = (hi - r) + lo;
    double p = exp_tail(r);
    dd s = fast2(1.0, r);
    double low = s.l + ((r * r) * p + rl * (1.0 + r)); /* rl enters through exp' = exp */
    exp_red out = {fast2(s.h, low), kf};
    return out;
}
DYN_KERNEL dd exp_scale(exp_red x, double kadd)
{
    double k = x.kf + kadd, k1 = (k * 0.5 + MAGIC) - MAGIC, k2 = k - k1; /* each in [-577, 546] */
    double s1 = pow2i(k1), s2 = pow2i(k2);
    dd out = {(x.e.h * s1) * s2, (x.e.l * s1) * s2};
    return out;
}
DYN_KERNEL dd exp_dd(double x, double xl, double kadd) { return exp_scale(exp_reduce(x, xl), kadd); }
/* exp(x) for 0 <= x <= 40 (NaN passes), the same reduction and polynomial rounded once at the end without the
 * low-order parts and with one scale: about 35 operations instead of 60, within 1 ulp. Enough for tanh, whose
 * 1 - 2/(e + 1) damps e's error by e/(e + 1)^2 <= 0.18 past 0.625, and which is 1 beyond x = 19.1. */
DYN_KERNEL double exp_0_40(double x)
{
    double kf = (x * LOG2E + MAGIC) - MAGIC;
    double r = (x - kf * LN2_HI) - kf * LN2_LO;
    double p = exp_tail(r);
    return (1.0 + (r + (r * r) * p)) * pow2i(kf);
}

double dyn_exp(double x) { return dd_val(exp_dd(x, 0.0, 0.0)); }
DYN_VEC_CLONES void dyn_exp_array(const double *restrict x, size_t n, double *restrict out)
{
    DYN_INTERLEAVE(4) for (size_t i = 0; i < n; i++) out[i] = dd_val(exp_dd(x[i], 0.0, 0.0));
}

/* 1/k for k = 29, 27, ..., 1: dyn_log's series, highest order first (constants, not a division per term: the same
 * correctly rounded values) */
static const double INV_ODD[15] = {1.0 / 29, 1.0 / 27, 1.0 / 25, 1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15,
                                   1.0 / 13, 1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3,  1.0};

/* x = m 2^e with m in [1/sqrt2, sqrt2) (from the bits, subnormals scaled by 2^54 first); log m = 2 atanh(s),
 * s = (m - 1)/(m + 1), |s| < 0.1716, so the odd series to s^29 is exact to well below an ulp. */
double dyn_log(double x)
{
    if (!(x > 0.0) || x == (double)INFINITY) return x == 0.0 ? -(double)INFINITY : (x > 0.0 ? x : (double)NAN);
    int e = 0;
    if (x < 0x1p-1022) {
        x *= 0x1p54;
        e = -54;
    }
    uint64_t u = bits_of(x);
    e += (int)(u >> 52) - 1022;
    double m = of_bits((u & 0x000fffffffffffffu) | 0x3fe0000000000000u); /* in [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e -= 1;
    }
    double s = (m - 1.0) / (m + 1.0), s2 = s * s, sum = 0.0;
    for (int k = 0; k < 15; k++) sum = sum * s2 + INV_ODD[k];
    return 2.0 * s * sum + e * 0.69314718055994530942;
}

/* sin and cos: x = n pi/2 + (y0 + y1) by Cody and Waite's reduction with pi/2 in three parts of 33, 33 and 53 bits
 * (fdlibm's e_rem_pio2.c constants: n pio2_1 and n pio2_2 are exact for |n| < 2^20, and the second part is taken
 * always, not only after a cancellation), then fdlibm's kernels on [-pi/4, pi/4] (FreeBSD's k_sin.c and k_cos.c,
 * Sun Microsystems 1993, errors below 1 ulp with the tail y1). */
static void rem_pio2(double x, double *y0, double *y1, int *n)
{
    double fn = (x * 6.36619772367581382433e-01 + MAGIC) - MAGIC; /* round(x 2/pi) */
    double t = x - fn * 1.57079632673412561417e+00, w = fn * 6.07710050630396597660e-11, r;
    r = t - w;
    w = fn * 2.02226624879595063154e-21 - ((t - r) - w);
    *y0 = r - w;
    *y1 = (r - *y0) - w;
    *n = (int)(bits_of(fn + MAGIC) & 3u); /* n mod 4 from the integer's low bits (two's complement) */
}
static double k_sin(double x, double y)
{
    double z = x * x, w = z * z, v = z * x;
    double r = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 + z * 2.75573137070700676789e-06) +
               z * w * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10);
    return x - ((z * (0.5 * y - v * r) - y) - v * -1.66666666666666324348e-01);
}
static double k_cos(double x, double y)
{
    double z = x * x, w = z * z;
    double r = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * 2.48015872894767294178e-05)) +
               w * w * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11));
    double hz = 0.5 * z;
    w = 1.0 - hz;
    return w + (((1.0 - w) - hz) + (z * r - x * y));
}
/* quadrant q of sin (cos is sin's quadrant q + 1) */
static double sin_quadrant(double x, int q)
{
    if (!(fabs(x) <= DBL_MAX)) return x - x; /* NaN for +-inf and NaN */
    double y0 = x, y1 = 0.0;
    int n = 0;
    if (fabs(x) > 0.785398163397448279) rem_pio2(x, &y0, &y1, &n); /* beyond pi/4 */
    switch ((n + q) & 3) {
    case 0: return k_sin(y0, y1);
    case 1: return k_cos(y0, y1);
    case 2: return -k_sin(y0, y1);
    default: return -k_cos(y0, y1);
    }
}
double dyn_sin(double x) { return sin_quadrant(x, 0); }
double dyn_cos(double x) { return sin_quadrant(x, 1); }

/* x^2 = hi + lo exactly up to a rounding of lo (Dekker's split, no FMA); |x| <= 1e150 */
static inline void square2(double x, double *hi, double *lo)
{
    double c = 134217729.0 * x, xh = c - (c - x), xl = x - xh; /* 2^27 + 1 */
    *hi = xh * xh;
    *lo = (2.0 * xh) * xl + xl * xl;
}

/* a b with the rounding of a.h b.h captured too */
static inline dd dd_mul_exact(dd a, dd b)
{
    dd p = two_prod(a.h, b.h);
    p.l += a.h * b.l + a.l * b.h;
    return p;
}
/* (1 + e)^2 = 1 + e(2 + e) and (1 + e)^3 = 1 + e(3 + e(3 + e)) for 0 <= e <= 1, and 1 - e */
static inline dd one_plus_e_sq(dd e) { return c_plus(1.0, dd_mul_exact(e, c_plus(2.0, e))); }
static inline dd one_plus_e_cube(dd e)
{
    return c_plus(1.0, dd_mul_exact(e, c_plus(3.0, dd_mul_exact(e, c_plus(3.0, e)))));
}
static inline dd one_minus(dd e)
{
    dd m = fast2(1.0, -e.h);
    m.l -= e.l;
    return m;
}

/* tanh: for |x| < 0.625 Cody and Waite's form x + x^3 P(x^2)/Q(x^2) with Cephes's coefficients (relative error
 * 2.5e-16 before rounding; the last addition kept exact as h + l), else 1 - 2/(exp(2|x|) + 1), which has no
 * cancellation there (tanh >= 0.55) and is exactly 1 once exp overflows. */
DYN_KERNEL dd tanh_small(double x)
{
    double z = x * x;
    double p = ((-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3) * z;
    double q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3;
    return fast2(x, x * (p / q));
}
/* both branches end in one division, so numerator and denominator are selected first and divided once */
DYN_KERNEL double tanh_k(double x)
{
    double ax = fabs(x), z = x * x;
    int small = ax < 0.625;
    double p = ((-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3) * z;
    double q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3;
    double e = exp_0_40(sel(small, 0.0, sel(ax > 20.0, 40.0, 2.0 * ax))); /* tanh is 1 from 19.1 on */
    double t = sel(small, x * p, 2.0) / sel(small, q, e + 1.0);
    double big = 1.0 - t;
    /* x + t is tanh_small's h; x + x (p/q) would turn -0 into +0 */
    return sel(small, sel(x == 0.0, x, x + t), sel(x < 0.0, -big, big));
}
/* sech^2 x = 1 - tanh^2 x where tanh^2 <= 0.31; beyond, 4e/(1 + e)^2 with e = exp(-2|x|), which keeps its
 * relative accuracy as it decays (1 - t^2 would lose it all). */
static inline dd one_minus_sq(dd t) { return one_minus(dd_mul(t, t)); }
/* What tanh' and tanh'' share (both branches are computed, then one selected): x, the small-x tanh t and its
 * 1 - t^2, and e = exp(-2|x|) as 4e and e. The fused kernels below compute these once for both derivatives. */
typedef struct tanh_parts {
    double x, ax;
    dd t, sech2_small, e4, e;
} tanh_parts;
DYN_KERNEL tanh_parts tanh_parts_of(double x)
{
    tanh_parts p = {x, fabs(x), tanh_small(x), {0.0, 0.0}, exp_dd(-2.0 * fabs(x), 0.0, 2.0), {0.0, 0.0}};
    p.sech2_small = one_minus_sq(p.t);
    p.e = (dd){0.25 * p.e4.h, 0.25 * p.e4.l};
    return p;
}
DYN_KERNEL double sech2_of(tanh_parts p)
{
    return sel(p.ax < 0.625, dd_val(p.sech2_small), dd_val(dd_div(p.e4, one_plus_e_sq(p.e))));
}
/* tanh'' = -2 tanh sech^2; beyond 0.625, -sign(x) 8e(1 - e)/(1 + e)^3 with e = exp(-2|x|) */
DYN_KERNEL double tanh_d2_of(tanh_parts p)
{
    dd e8 = {2.0 * p.e4.h, 2.0 * p.e4.l};
    double big = dd_val(dd_div(dd_mul(e8, one_minus(p.e)), one_plus_e_cube(p.e)));
    return sel(p.ax < 0.625, -2.0 * dd_val(dd_mul(p.t, p.sech2_small)), sel(p.x < 0.0, big, -big));
}
DYN_KERNEL double sech2_k(double x) { return sech2_of(tanh_parts_of(x)); }
DYN_KERNEL double tanh_d2_k(double x) { return tanh_d2_of(tanh_parts_of(x)); }

/* The logistic sigmoid from e = exp(-|x|) in (0, 1]: s = 1/(1 + e) for x >= 0, e/(1 + e) below, so neither
 * side cancels; s' = e/(1 + e)^2; s'' = -sign(x) e(1 - e)/(1 + e)^3 where 1 - e does not cancel (|x| >= 1.25),
 * else -s' tanh(x/2). */
static inline dd sigm_dd(double x, dd e)
{
    dd one = {1.0, 0.0};
    return dd_div(x >= 0.0 ? one : e, c_plus(1.0, e));
}
DYN_KERNEL double sigm_k(double x) { return dd_val(sigm_dd(x, exp_dd(-fabs(x), 0.0, 0.0))); }
/* s' and s'' share e and s' = e/(1 + e)^2 */
DYN_KERNEL dd sigm_d_dd(dd e) { return dd_div(e, one_plus_e_sq(e)); }
DYN_KERNEL double sigm_d2_of(double x, dd e, dd ds)
{
    double ax = fabs(x);
    double v = sel(ax < 1.25, dd_val(dd_mul(ds, tanh_small(0.5 * ax))),
                   dd_val(dd_div(dd_mul(e, one_minus(e)), one_plus_e_cube(e))));
    return sel(x < 0.0, v, -v);
}
DYN_KERNEL double sigm_d_k(double x) { return dd_val(sigm_d_dd(exp_dd(-fabs(x), 0.0, 0.0))); }
DYN_KERNEL double sigm_d2_k(double x)
{
    dd e = exp_dd(-fabs(x), 0.0, 0.0);
    return sigm_d2_of(x, e, sigm_d_dd(e));
}
/* swish = x s(x); swish' = s + x s'; swish'' = 2 s' + x s'' = e (2(1 + e) - |x|(1 - e))/(1 + e)^3. Where a
 * factor x multiplies a subnormal e, e is computed 2^64 times larger and the result scaled back at the end, so
 * that it is rounded once, not rounded and then magnified. Beyond -800 the result is the limit (0), which
 * x * 0 would turn into NaN at -inf. */
#define TWO64 18446744073709551616.0
#define TWOM64 (1.0 / TWO64)
DYN_KERNEL double swish_k(double x)
{
    int neg = x < 0.0;
    dd es = exp_dd(-fabs(x), 0.0, sel(neg, 64.0, 0.0)), e = es;
    e.h *= sel(neg, TWOM64, 1.0);
    e.l *= sel(neg, TWOM64, 1.0);
    dd one = {1.0, 0.0}, s = dd_div(neg ? es : one, c_plus(1.0, e));
    return sel(x < -800.0, -0.0, sel(x > 800.0, x, (x * s.h + x * s.l) * sel(neg, TWOM64, 1.0)));
}
/* swish' and swish'' from exp_reduce(-|x|, 0), which they share */
DYN_KERNEL double swish_d_of(double x, exp_red red)
{
    int neg = x < 0.0;
    dd es = exp_scale(red, sel(neg, 64.0, 0.0)), e = es;
    e.h *= sel(neg, TWOM64, 1.0);
    e.l *= sel(neg, TWOM64, 1.0);
    dd one = {1.0, 0.0}, s = dd_div(neg ? es : one, c_plus(1.0, e)), ds = dd_div(es, one_plus_e_sq(e));
    dd sum = two_sum(s.h, x * ds.h);
    return sel(x < -800.0, 0.0, sel(x > 800.0, 1.0, (sum.h + (sum.l + (s.l + x * ds.l))) * sel(neg, TWOM64, 1.0)));
}
DYN_KERNEL double swish_d2_of(double x, exp_red red)
{
    double ax = fabs(x);
    dd es = exp_scale(red, 64.0), e = {TWOM64 * es.h, TWOM64 * es.l};
    dd two = c_plus(2.0, (dd){2.0 * e.h, 2.0 * e.l}), m = one_minus(e);
    dd am = two_prod(sel(ax > 800.0, 0.0, ax), m.h); /* the bracket cancels near |x| = 2.4: keep it exact */
    dd br = two_sum(two.h, -am.h);
    br.l += (two.l - am.l) - ax * m.l;
    return sel(ax > 800.0, 0.0, dd_val(dd_div(dd_mul_exact(es, br), one_plus_e_cube(e))) * TWOM64);
}
DYN_KERNEL double swish_d_k(double x) { return swish_d_of(x, exp_reduce(-fabs(x), 0.0)); }
DYN_KERNEL double swish_d2_k(double x) { return swish_d2_of(x, exp_reduce(-fabs(x), 0.0)); }

/* erf by the fdlibm method (Sun Microsystems 1993, the coefficients of FreeBSD's s_erf.c), evaluated on all
 * intervals and then selected, so that a buffer vectorises: |x| < 0.84375: x + x R(x^2); < 1.25: erf(1) nearby
 * plus a rational in |x| - 1; < 6: 1 - exp(-x^2 - 0.5625 + R/S(1/x^2))/|x|, with x^2 carried exactly (the
 * fdlibm error bounds of the rationals are 2^-57.9 .. 2^-61.5); beyond, 1. */
DYN_KERNEL double erf_k(double x)
{
    double ax = fabs(x);
    /* [0, 0.84375) */
    double z = x * x;
    double r = 1.28379167095512558561e-01 + z * (-3.25042107247001499370e-01 + z * (-2.84817495755985104766e-02 +
               z * (-5.77027029648944159157e-03 + z * -2.37630166566501626084e-05)));
    double s = 1.0 + z * (3.97917223959155352819e-01 + z * (6.50222499887672944485e-02 + z * (5.08130628187576562776e-03 +
               z * (1.32494738004321644526e-04 + z * -3.96022827877536812320e-06))));
    double y0 = sel(ax < 0x1p-28, 0.125 * (8.0 * x + 1.02703333676410069053e+00 * x), x + x * (r / s));
    /* [0.84375, 1.25) */
    double t = ax - 1.0;
    double pa = -2.36211856075265944077e-03 + t * (4.14856118683748331666e-01 + t * (-3.72207876035701323847e-01 +
                t * (3.18346619901161753674e-01 + t * (-1.10894694282396677476e-01 + t * (3.54783043256182359371e-02 +
                t * -2.16637559486879084300e-03)))));
    double qa = 1.0 + t * (1.06420880400844228286e-01 + t * (5.40397917702171048937e-01 + t * (7.18286544141962662868e-02 +
                t * (1.26171219808761642112e-01 + t * (1.36370839120290507362e-02 + t * 1.19844998467991074170e-02)))));
    double y1 = 8.45062911510467529297e-01 + pa / qa;
    /* [1.25, 6): the two fdlibm rationals in 1/x^2, the one below 1/0.35 padded to the same degree */
    double xc = sel(ax < 6.0, ax, 6.0), u = 1.0 / (xc * xc); /* also keeps NaN and huge x out of the split */
    int lo = xc < 2.85714285714285;
    double R = sel(lo, -9.81432934416914548592e+00, 0.0);
    R = sel(lo, -8.12874355063065934246e+01, -4.83519191608651397019e+02) + u * R;
    R = sel(lo, -1.84605092906711035994e+02, -1.02509513161107724954e+03) + u * R;
    R = sel(lo, -1.62396669462573470355e+02, -6.37566443368389627722e+02) + u * R;
    R = sel(lo, -6.23753324503260060396e+01, -1.60636384855821916062e+02) + u * R;
    R = sel(lo, -1.05586262253232909814e+01, -1.77579549177547519889e+01) + u * R;
    R = sel(lo, -6.93858572707181764372e-01, -7.99283237680523006574e-01) + u * R;
    R = sel(lo, -9.86494403484714822705e-03, -9.86494292470009928597e-03) + u * R;
    double S = sel(lo, -6.04244152148580987438e-02, 0.0);
    S = sel(lo, 6.57024977031928170135e+00, -2.24409524465858183362e+01) + u * S;
    S = sel(lo, 1.08635005541779435134e+02, 4.74528541206955367215e+02) + u * S;
    S = sel(lo, 4.29008140027567833386e+02, 2.55305040643316442583e+03) + u * S;
    S = sel(lo, 6.45387271733267880336e+02, 3.19985821950859553908e+03) + u * S;
    S = sel(lo, 4.34565877475229228821e+02, 1.53672958608443695994e+03) + u * S;
    S = sel(lo, 1.37657754143519042600e+02, 3.25792512996573918826e+02) + u * S;
    S = sel(lo, 1.96512716674392571292e+01, 3.03380607434824582924e+01) + u * S;
    S = 1.0 + u * S;
    double hh, hl;
    square2(xc, &hh, &hl);
    double y2 = 1.0 - exp_dd((-hh - 0.5625) + R / S, -hl, 0.0).h / xc;
    double y = sel(ax < 1.25, y1, sel(ax < 6.0, y2, 1.0));
    y = sel(x < 0.0, -y, y);
    return sel(ax < 0.84375, y0, sel(x != x, x, y));
}
/* erf' = (2/sqrt(pi)) exp(-x^2), with x^2 exact (exp(-x^2) would lose x^2's rounding times x^2 in it); the
 * exponential is taken 2^64 times larger and scaled at the end so that a subnormal result is rounded once. */
static inline dd erf_d_scaled(double x)
{
    double ax = fabs(x), xc = sel(ax > 40.0, 40.0, ax), hh, hl; /* exp(-1600) is 0 already; NaN stays */
    square2(xc, &hh, &hl);
    dd e = exp_dd(-hh, -hl, 64.0);
    e.h *= 1.1283791670955126; /* 2/sqrt(pi), 0.06 ulp off */
    e.l *= 1.1283791670955126;
    return e;
}
DYN_KERNEL double erf_d_of(dd e) { return dd_val(e) * TWOM64; }
DYN_KERNEL double erf_d2_of(double x, dd e)
{
    double m = -2.0 * x;
    return sel(fabs(x) > 40.0, 0.0, (m * e.h + m * e.l) * TWOM64);
}
DYN_KERNEL double erf_d_k(double x) { return erf_d_of(erf_d_scaled(x)); }
DYN_KERNEL double erf_d2_k(double x) { return erf_d2_of(x, erf_d_scaled(x)); }

/* ---- phi, phi', phi'' of the table (the scalar API) ---- */
static double tanh_f(double x) { return tanh_k(x); }
static double tanh_d(double x) { return sech2_k(x); }
static double tanh_d2(double x) { return tanh_d2_k(x); }
static double zero_d2(double x) { (void)x; return 0.0; } /* piecewise linear: phi'' is 0 off the kinks */
static inline double relu_k(double x) { return x > 0.0 ? x : 0.0; }
static inline double relu_d_k(double x) { return x >= 0.0 ? 1.0 : 0.0; }
static inline double htanh_k(double x) { return x > 1.0 ? 1.0 : (x < -1.0 ? -1.0 : x); }
static inline double htanh_d_k(double x) { return (x >= -1.0 && x < 1.0) ? 1.0 : 0.0; }
static double relu_f(double x) { return relu_k(x); }
static double relu_d(double x) { return relu_d_k(x); }
static double htanh_f(double x) { return htanh_k(x); }
static double htanh_d(double x) { return htanh_d_k(x); }
static double erf_f(double x) { return erf_k(x); }
static double erf_d(double x) { return erf_d_k(x); }
static double erf_d2(double x) { return erf_d2_k(x); }
static double lin_f(double x) { return x; }
static double lin_d(double x) { (void)x; return 1.0; }
static double sigm(double x) { return sigm_k(x); }
static double sigm_d(double x) { return sigm_d_k(x); }
static double sigm_d2(double x) { return sigm_d2_k(x); }
static double swish_f(double x) { return swish_k(x); }
static double swish_d(double x) { return swish_d_k(x); }
static double swish_d2(double x) { return swish_d2_k(x); }

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

/* ---- the array API ----
 * One loop per (activation, derivative) around the same inline kernels as the scalar API, so each element gets
 * the same bits either way. restrict tells the compiler the buffers do not overlap, which it needs to vectorise;
 * an in-place call (out == x) goes through a small copy on the stack in chunks. */
#define LOOP(kern, il)                                                                                            \
    do {                                                                                                          \
        DYN_INTERLEAVE(il) for (size_t i = 0; i < n; i++) out[i] = kern(x[i]);                                   \
    } while (0)

DYN_VEC_CLONES static void phi_run(dyn_act a, int order, const double *restrict x, size_t n, double *restrict out)
{
    switch (a * 3 + order) {
    case DYN_ACT_TANH * 3 + 0: LOOP(tanh_k, 4); break;
    case DYN_ACT_TANH * 3 + 1: LOOP(sech2_k, 4); break;
    case DYN_ACT_TANH * 3 + 2: LOOP(tanh_d2_k, 2); break;
    case DYN_ACT_RELU * 3 + 0: LOOP(relu_k, 2); break;
    case DYN_ACT_RELU * 3 + 1: LOOP(relu_d_k, 2); break;
    case DYN_ACT_HARD_TANH * 3 + 0: LOOP(htanh_k, 2); break;
    case DYN_ACT_HARD_TANH * 3 + 1: LOOP(htanh_d_k, 2); break;
    case DYN_ACT_ERF * 3 + 0: LOOP(erf_k, 2); break;
    case DYN_ACT_ERF * 3 + 1: LOOP(erf_d_k, 4); break;
    case DYN_ACT_ERF * 3 + 2: LOOP(erf_d2_k, 4); break;
    case DYN_ACT_LINEAR * 3 + 0: memcpy(out, x, sizeof(double) * n); break;
    case DYN_ACT_LINEAR * 3 + 1:
        for (size_t i = 0; i < n; i++) out[i] = 1.0;
        break;
    case DYN_ACT_SIGMOID * 3 + 0: LOOP(sigm_k, 4); break;
    case DYN_ACT_SIGMOID * 3 + 1: LOOP(sigm_d_k, 4); break;
    case DYN_ACT_SIGMOID * 3 + 2: LOOP(sigm_d2_k, 4); break;
    case DYN_ACT_SWISH * 3 + 0: LOOP(swish_k, 4); break;
    case DYN_ACT_SWISH * 3 + 1: LOOP(swish_d_k, 4); break;
    case DYN_ACT_SWISH * 3 + 2: LOOP(swish_d2_k, 4); break;
    default: /* phi'' of the piecewise-linear ones (relu, hard_tanh, linear) */
        memset(out, 0, sizeof(double) * n);
        break;
    }
}
#undef LOOP

/* phi' and phi'' in one loop: each kernel's shared parts (the exponential above all) once per element, then the two
 * derivatives from them exactly as the kernels of phi_run compute them */
#define LOOP2(il, T, parts, d1_of, d2_of)                                                                         \
    do {                                                                                                          \
        DYN_INTERLEAVE(il) for (size_t i = 0; i < n; i++) {                                                       \
            double xi = x[i];                                                                                     \
            T p = parts;                                                                                          \
            d1[i] = d1_of;                                                                                        \
            d2[i] = d2_of;                                                                                        \
        }                                                                                                         \
    } while (0)
typedef struct sigm_parts {
    dd e, ds;
} sigm_parts;
DYN_KERNEL sigm_parts sigm_parts_of(double x)
{
    sigm_parts p = {exp_dd(-fabs(x), 0.0, 0.0), {0.0, 0.0}};
    p.ds = sigm_d_dd(p.e);
    return p;
}

DYN_VEC_CLONES static void derivs_run(dyn_act a, const double *restrict x, size_t n, double *restrict d1,
                                      double *restrict d2)
{
    switch (a) {
    case DYN_ACT_TANH: LOOP2(2, tanh_parts, tanh_parts_of(xi), sech2_of(p), tanh_d2_of(p)); break;
    case DYN_ACT_ERF: LOOP2(4, dd, erf_d_scaled(xi), erf_d_of(p), erf_d2_of(xi, p)); break;
    case DYN_ACT_SIGMOID: LOOP2(4, sigm_parts, sigm_parts_of(xi), dd_val(p.ds), sigm_d2_of(xi, p.e, p.ds)); break;
    case DYN_ACT_SWISH: LOOP2(2, exp_red, exp_reduce(-fabs(xi), 0.0), swish_d_of(xi, p), swish_d2_of(xi, p)); break;
    default: /* piecewise linear: phi'' is 0 */
        phi_run(a, 1, x, n, d1);
        memset(d2, 0, sizeof(double) * n);
        break;
    }
}
#undef LOOP2

#define CHUNK 256
/* order 0, 1, 2: phi, phi' or phi'' into out; FUSED: phi' into out and phi'' into out2 */
#define FUSED 3
static void run(dyn_act a, int order, const double *x, size_t n, double *out, double *out2)
{
    if (order == FUSED) derivs_run(a, x, n, out, out2);
    else phi_run(a, order, x, n, out);
}
static dyn_status phi_array(dyn_act a, int order, const double *x, size_t n, double *out, double *out2)
{
    if (!valid(a)) return DYN_ERR_RANGE;
    if (n == 0) return DYN_OK;
    if (!x || !out || (order == FUSED && !out2)) return DYN_ERR_NULL;
    if (out == out2) return DYN_ERR_RANGE;
    if (x != out && x != out2) {
        run(a, order, x, n, out, out2);
        return DYN_OK;
    }
    double tmp[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        memcpy(tmp, x + i0, sizeof(double) * m);
        run(a, order, tmp, m, out + i0, out2 ? out2 + i0 : NULL);
    }
    return DYN_OK;
}

dyn_status dyn_act_phi_array(dyn_act a, const double *x, size_t n, double *out) { return phi_array(a, 0, x, n, out, NULL); }
dyn_status dyn_act_dphi_array(dyn_act a, const double *x, size_t n, double *out) { return phi_array(a, 1, x, n, out, NULL); }
dyn_status dyn_act_d2phi_array(dyn_act a, const double *x, size_t n, double *out) { return phi_array(a, 2, x, n, out, NULL); }
dyn_status dyn_act_derivs_array(dyn_act a, const double *x, size_t n, double *d1, double *d2)
{
    return phi_array(a, FUSED, x, n, d1, d2);
}
