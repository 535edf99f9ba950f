/* test_act.c - accuracy of the activation kernels (phi, phi', phi'') against long double, and the array API. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "check.h"

/* The reference: each function in long double (x87: 64-bit significand, 11 bits beyond double) from glibc's
 * tanhl, coshl, expl, erfl, in forms that do not cancel, so the reference is good to about 1/1000 ulp of a
 * double. *scale gets the sum of the magnitudes of the terms where the function is a sum of terms of both
 * signs with an interior zero (swish' and swish''), else |f|. */
static long double ref(dyn_act a, int order, double xd, long double *scale)
{
    long double x = xd, ax = fabsl(x), r;
    switch (a) {
    case DYN_ACT_TANH: {
        long double t = tanhl(x), ch = coshl(x), s2 = isinf(ch) ? 0.0L : 1.0L / (ch * ch);
        r = order == 0 ? t : (order == 1 ? s2 : -2.0L * t * s2);
        break;
    }
    case DYN_ACT_RELU: r = order == 0 ? (x > 0 ? x : 0.0L) : (order == 1 ? (x >= 0 ? 1.0L : 0.0L) : 0.0L); break;
    case DYN_ACT_HARD_TANH:
        r = order == 0 ? (x > 1 ? 1.0L : (x < -1 ? -1.0L : x)) : (order == 1 ? (x >= -1 && x < 1 ? 1.0L : 0.0L) : 0.0L);
        break;
    case DYN_ACT_LINEAR: r = order == 0 ? x : (order == 1 ? 1.0L : 0.0L); break;
    case DYN_ACT_ERF: {
        if (order == 0) {
            r = erfl(x);
            break;
        }
        /* exp(-x^2) with x^2 exact: x = xh + xl, xh of 26 bits, so xh^2, 2 xh xl and xl^2 are exact in 64 bits */
        long double d = 0.0L;
        if (ax < 100.0L) {
            double xh = (double)(float)xd; /* 24 bits */
            long double xl = x - xh;
            d = 1.1283791670955125738961589031215452L * expl(-(long double)xh * xh) * expl(-(2.0L * xh * xl + xl * xl));
        }
        r = order == 1 ? d : -2.0L * x * d;
        break;
    }
    case DYN_ACT_SIGMOID:
    case DYN_ACT_SWISH: {
        long double e = expl(-ax), s = x >= 0 ? 1.0L / (1.0L + e) : e / (1.0L + e);
        long double ds = e / ((1.0L + e) * (1.0L + e)), d2s = -ds * tanhl(0.5L * x);
        if (a == DYN_ACT_SIGMOID) r = order == 0 ? s : (order == 1 ? ds : d2s);
        else if (order == 0) r = x * s;
        else if (order == 1) {
            r = s + x * ds;
            *scale = fabsl(s) + fabsl(x * ds);
            return r;
        } else {
            r = 2.0L * ds + x * d2s;
            *scale = fabsl(2.0L * ds) + fabsl(x * d2s);
            return r;
        }
        break;
    }
    default: r = NAN;
    }
    if (isnan(xd)) r = NAN;
    *scale = fabsl(r);
    return r;
}

/* one unit in the last place of a double near y (2^-1074 for subnormals and zero) */
static long double ulp_of(long double y)
{
    int e = y == 0.0L ? -1022 : ilogbl(y);
    if (e < -1022) e = -1022;
    return ldexpl(1.0L, e - 52);
}

/* the points: a dense uniform grid over [-40, 40] (the whole range where the functions are not yet constant),
 * a geometric grid over every binade from the smallest subnormal to the largest double, both signs, and the
 * edges: zeros, subnormals, +-inf, NaN, the kinks, the saturation points, exp's overflow and underflow points */
static size_t make_points(double *x, size_t cap)
{
    size_t n = 0;
    for (long i = -400000; i <= 400000 && n < cap; i++) x[n++] = i * 1e-4 + 1.234567e-9 * (i % 7);
    for (double v = 4.9406564584124654e-324; v < DBL_MAX / 1.0173 && n + 2 <= cap; v *= 1.0173) {
        x[n++] = v;
        x[n++] = -v;
    }
    const double edge[] = {0.0, -0.0, 4.9406564584124654e-324, -4.9406564584124654e-324, DBL_MIN, -DBL_MIN,
                           DBL_MIN * 0.75, DBL_MAX, -DBL_MAX, INFINITY, -INFINITY, 1.0, -1.0,
                           nextafter(1.0, 0.0), nextafter(-1.0, 0.0), 0.625, nextafter(0.625, 0.0), 0.84375,
                           nextafter(0.84375, 0.0), 1.25, nextafter(1.25, 0.0), 2.857142857142857, 6.0,
                           nextafter(6.0, 0.0), 5.9215871957945, 19.061547465398498, 18.714973875118524,
                           36.7368005696771, 36.04365338911715, 354.0, 372.5, 26.55, 27.3, 709.782712893384,
                           709.7827128933841, -708.3964185322641, -745.1332191019411, -745.1332191019412,
                           -744.44007192138122, -1.2784645427610738, -2.3994, 2.3994, 0x1p-28, 0x1p-27, 1e-300,
                           -1e-300, 1e-160, 1e150, 1e200, -1e200, 0.3465735902799727, 1e-8, -1e-8};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0] && n < cap; i++) {
        x[n++] = edge[i];
        if (n < cap) x[n++] = -edge[i];
    }
    return n;
}

static void test_accuracy(const double *x, size_t n, double *y)
{
    static const char *ord[3] = {"phi", "phi'", "phi''"};
    printf("max error in ulp of the correctly rounded value (long double reference, %zu points):\n", n);
    for (int a = 0; a < DYN_ACT_COUNT; a++) {
        printf("  %-10s", dyn_act_name((dyn_act)a));
        for (int o = 0; o < 3; o++) {
            dyn_status st = o == 0 ? dyn_act_phi_array((dyn_act)a, x, n, y)
                                   : (o == 1 ? dyn_act_dphi_array((dyn_act)a, x, n, y) : dyn_act_d2phi_array((dyn_act)a, x, n, y));
            CHECK(st == DYN_OK, "%s %s array status %d", dyn_act_name((dyn_act)a), ord[o], (int)st);
            double worst = 0.0, worst_x = 0.0, worst_cond = 0.0;
            long mismatched = 0, nan_bad = 0;
            /* swish' and swish'' cross zero at interior points: there the bound is 2 ulp plus 2 ulp of the terms
             * that cancel (no double evaluation of a + b can do better than the rounding of a and b) */
            int cancels = a == DYN_ACT_SWISH && o > 0;
            for (size_t i = 0; i < n; i++) {
                double s = o == 0 ? dyn_act_phi((dyn_act)a, x[i])
                                  : (o == 1 ? dyn_act_dphi((dyn_act)a, x[i]) : dyn_act_d2phi((dyn_act)a, x[i]));
                uint64_t bs, ba;
                memcpy(&bs, &s, 8);
                memcpy(&ba, &y[i], 8);
                if (bs != ba && !(isnan(s) && isnan(y[i]))) mismatched++;
                long double sc, r = ref((dyn_act)a, o, x[i], &sc);
                if (isnan(r) || isnan(s)) {
                    if (isnan(r) != isnan(s)) nan_bad++;
                    continue;
                }
                if (isinf(r) || isinf(s)) {
                    if (r != (long double)s) nan_bad++;
                    continue;
                }
                long double err = fabsl((long double)s - r) / ulp_of(r);
                if (cancels) {
                    long double c = fabsl((long double)s - r) / ulp_of(sc);
                    if (c > worst_cond) worst_cond = (double)c;
                    if (err > 2.0L && c <= 2.0L) continue; /* within 2 ulp of the cancelling terms */
                }
                if (err > worst) {
                    worst = (double)err;
                    worst_x = x[i];
                }
            }
            CHECK(mismatched == 0, "%s %s: %ld points where the array and the scalar API differ", dyn_act_name((dyn_act)a),
                  ord[o], mismatched);
            CHECK(nan_bad == 0, "%s %s: %ld points with NaN or infinity where the reference has none (or not)",
                  dyn_act_name((dyn_act)a), ord[o], nan_bad);
            CHECK(worst <= 2.0, "%s %s: %.3f ulp at x = %.17g", dyn_act_name((dyn_act)a), ord[o], worst, worst_x);
            printf("  %s %5.2f", ord[o], worst);
            if (cancels) printf(" (vs terms %4.2f)", worst_cond);
        }
        printf("\n");
    }
}

/* limits, signs and special values that the grid contains too, spelled out */
static void test_edges(void)
{
    /* the smooth ones propagate NaN; relu and hard tanh keep their comparisons (NaN -> 0, as before) */
    const dyn_act smooth[4] = {DYN_ACT_TANH, DYN_ACT_ERF, DYN_ACT_SIGMOID, DYN_ACT_SWISH};
    for (int i = 0; i < 4; i++)
        CHECK(isnan(dyn_act_phi(smooth[i], NAN)) && isnan(dyn_act_dphi(smooth[i], NAN)) &&
                  isnan(dyn_act_d2phi(smooth[i], NAN)),
              "%s: NaN in, NaN out", dyn_act_name(smooth[i]));
    for (int a = 0; a < DYN_ACT_COUNT; a++)
        CHECK(dyn_act_phi((dyn_act)a, 0.0) == 0.0 || a == DYN_ACT_SIGMOID, "%s(0) = 0", dyn_act_name((dyn_act)a));
    CHECK(dyn_act_phi(DYN_ACT_TANH, INFINITY) == 1.0 && dyn_act_phi(DYN_ACT_TANH, -INFINITY) == -1.0, "tanh(+-inf)");
    CHECK(dyn_act_phi(DYN_ACT_TANH, 19.1) == 1.0 && dyn_act_phi(DYN_ACT_TANH, 19.0) < 1.0, "tanh saturates at 19.06");
    CHECK(signbit(dyn_act_phi(DYN_ACT_TANH, -0.0)), "tanh(-0) = -0");
    CHECK(signbit(dyn_act_phi(DYN_ACT_ERF, -0.0)), "erf(-0) = -0");
    CHECK(dyn_act_phi(DYN_ACT_ERF, 6.0) == 1.0 && dyn_act_phi(DYN_ACT_ERF, 5.8) < 1.0, "erf saturates at 5.92");
    CHECK(dyn_act_phi(DYN_ACT_ERF, -INFINITY) == -1.0, "erf(-inf)");
    CHECK(dyn_act_phi(DYN_ACT_SIGMOID, INFINITY) == 1.0 && dyn_act_phi(DYN_ACT_SIGMOID, -INFINITY) == 0.0, "sigmoid(+-inf)");
    CHECK(dyn_act_phi(DYN_ACT_SIGMOID, -745.0) > 0.0 && dyn_act_phi(DYN_ACT_SIGMOID, -746.0) == 0.0,
          "sigmoid underflows through the subnormals");
    CHECK(dyn_act_phi(DYN_ACT_SWISH, INFINITY) == (double)INFINITY && dyn_act_phi(DYN_ACT_SWISH, -INFINITY) == 0.0, "swish(+-inf)");
    CHECK(dyn_act_dphi(DYN_ACT_SWISH, INFINITY) == 1.0 && dyn_act_dphi(DYN_ACT_SWISH, -INFINITY) == 0.0 &&
              dyn_act_d2phi(DYN_ACT_SWISH, INFINITY) == 0.0, "swish' and swish'' at +-inf");
    double tiny = 4.9406564584124654e-324;
    CHECK(dyn_act_phi(DYN_ACT_TANH, tiny) == tiny && dyn_act_dphi(DYN_ACT_TANH, tiny) == 1.0, "tanh at the smallest subnormal");
    for (int a = 0; a < DYN_ACT_COUNT; a++)
        if (a != DYN_ACT_LINEAR && a != DYN_ACT_SWISH && a != DYN_ACT_RELU)
            CHECK(dyn_act_dphi((dyn_act)a, INFINITY) == 0.0 && dyn_act_d2phi((dyn_act)a, -INFINITY) == 0.0,
                  "%s: phi'(inf) = phi''(-inf) = 0", dyn_act_name((dyn_act)a));
    /* decaying derivatives keep their relative accuracy (1 - tanh^2 would give 0 or 1e-16 noise here):
     * sech^2(20) = 4 e^-40 / (1 + e^-40)^2, sigmoid'(40) = e^-40 / (1 + e^-40)^2, exact to double precision */
    double e40 = 4.2483542552915889e-18; /* e^-40 (mpmath) */
    CHECK_NEAR(dyn_act_dphi(DYN_ACT_TANH, 20.0), 4.0 * e40, 3e-16, 0.0, "tanh'(20)");
    CHECK_NEAR(dyn_act_dphi(DYN_ACT_SIGMOID, -40.0), e40, 3e-16, 0.0, "sigmoid'(-40)");
}

static void test_array_api(void)
{
    double x[1000], y[1000], z[1000];
    for (int i = 0; i < 1000; i++) x[i] = z[i] = -8.0 + 0.016 * i;
    CHECK(dyn_act_phi_array(DYN_ACT_COUNT, x, 10, y) == DYN_ERR_RANGE, "unknown activation");
    CHECK(dyn_act_phi_array((dyn_act)-1, x, 10, y) == DYN_ERR_RANGE, "negative activation");
    CHECK(dyn_act_dphi_array(DYN_ACT_TANH, NULL, 10, y) == DYN_ERR_NULL, "NULL input");
    CHECK(dyn_act_d2phi_array(DYN_ACT_TANH, x, 10, NULL) == DYN_ERR_NULL, "NULL output");
    CHECK(dyn_act_phi_array(DYN_ACT_TANH, NULL, 0, NULL) == DYN_OK, "n = 0 needs no buffers");
    for (int a = 0; a < DYN_ACT_COUNT; a++) { /* in place (through the chunked copy) gives the same bits */
        memcpy(z, x, sizeof x);
        dyn_act_dphi_array((dyn_act)a, x, 1000, y);
        dyn_act_dphi_array((dyn_act)a, z, 1000, z);
        CHECK(memcmp(y, z, sizeof y) == 0, "%s: in place differs", dyn_act_name((dyn_act)a));
    }
    for (int i = 0; i < 1000; i++) x[i] = z[i] = -8.0 + 0.016 * i;
    /* relu's derivative is the right derivative at the kink, hard tanh's the one-sided ones (as the scalar API) */
    double k[4] = {0.0, -1.0, 1.0, 0.5}, o[4];
    dyn_act_dphi_array(DYN_ACT_HARD_TANH, k, 4, o);
    CHECK(o[0] == 1.0 && o[1] == 1.0 && o[2] == 0.0 && o[3] == 1.0, "hard_tanh' at the kinks");
    dyn_act_dphi_array(DYN_ACT_RELU, k, 4, o);
    CHECK(o[0] == 1.0 && o[1] == 0.0, "relu' at 0");
}

/* dyn_act_derivs_array (phi' and phi'' in one pass) gives the bits of the two separate kernels at every point of the
 * dense grid and the edges (which the separate kernels match to the scalar API and to long double above), also in
 * place; and it rejects what the others reject */
static void test_derivs_fused(const double *x, size_t n)
{
    double *d1 = malloc(sizeof(double) * n), *d2 = malloc(sizeof(double) * n);
    double *s1 = malloc(sizeof(double) * n), *s2 = malloc(sizeof(double) * n), *z = malloc(sizeof(double) * n);
    if (!d1 || !d2 || !s1 || !s2 || !z) {
        CHECK(0, "out of memory");
        goto done;
    }
    for (int a = 0; a < DYN_ACT_COUNT; a++) {
        const char *name = dyn_act_name((dyn_act)a);
        CHECK(dyn_act_derivs_array((dyn_act)a, x, n, d1, d2) == DYN_OK, "%s: fused status", name);
        dyn_act_dphi_array((dyn_act)a, x, n, s1);
        dyn_act_d2phi_array((dyn_act)a, x, n, s2);
        size_t bad1 = 0, bad2 = 0, first = n;
        for (size_t i = 0; i < n; i++) {
            int b1 = memcmp(&d1[i], &s1[i], 8) != 0, b2 = memcmp(&d2[i], &s2[i], 8) != 0;
            bad1 += (size_t)b1;
            bad2 += (size_t)b2;
            if ((b1 || b2) && first == n) first = i;
        }
        CHECK(bad1 == 0 && bad2 == 0, "%s: fused phi' differs at %zu points, phi'' at %zu (first x = %.17g)", name,
              bad1, bad2, first < n ? x[first] : 0.0);
        memcpy(z, x, sizeof(double) * n); /* in place: x is d1, then x is d2 (the chunked copy) */
        dyn_act_derivs_array((dyn_act)a, z, n, z, d2);
        CHECK(memcmp(z, s1, sizeof(double) * n) == 0 && memcmp(d2, s2, sizeof(double) * n) == 0,
              "%s: fused in place (x = d1) differs", name);
        memcpy(z, x, sizeof(double) * n);
        dyn_act_derivs_array((dyn_act)a, z, n, d1, z);
        CHECK(memcmp(d1, s1, sizeof(double) * n) == 0 && memcmp(z, s2, sizeof(double) * n) == 0,
              "%s: fused in place (x = d2) differs", name);
    }
    CHECK(dyn_act_derivs_array(DYN_ACT_COUNT, x, 10, d1, d2) == DYN_ERR_RANGE, "fused: unknown activation");
    CHECK(dyn_act_derivs_array(DYN_ACT_TANH, NULL, 10, d1, d2) == DYN_ERR_NULL, "fused: NULL input");
    CHECK(dyn_act_derivs_array(DYN_ACT_TANH, x, 10, d1, NULL) == DYN_ERR_NULL, "fused: NULL phi''");
    CHECK(dyn_act_derivs_array(DYN_ACT_TANH, x, 10, d1, d1) == DYN_ERR_RANGE, "fused: one buffer for both");
    CHECK(dyn_act_derivs_array(DYN_ACT_TANH, NULL, 0, NULL, NULL) == DYN_OK, "fused: n = 0 needs no buffers");
done:
    free(d1);
    free(d2);
    free(s1);
    free(s2);
    free(z);
}

/* finite differences tie phi' and phi'' to phi (the derivatives are not each other's copies) */
static void test_derivatives(void)
{
    for (int a = 0; a < DYN_ACT_COUNT; a++) {
        if (a == DYN_ACT_RELU || a == DYN_ACT_HARD_TANH) continue;
        double worst1 = 0.0, worst2 = 0.0, h = 1e-5;
        for (double x = -6.05; x < 6.0; x += 0.0731) {
            dyn_act act = (dyn_act)a;
            double fd1 = (dyn_act_phi(act, x + h) - dyn_act_phi(act, x - h)) / (2 * h);
            double fd2 = (dyn_act_dphi(act, x + h) - dyn_act_dphi(act, x - h)) / (2 * h);
            worst1 = fmax(worst1, fabs(fd1 - dyn_act_dphi(act, x)));
            worst2 = fmax(worst2, fabs(fd2 - dyn_act_d2phi(act, x)));
        }
        CHECK(worst1 < 1e-9 && worst2 < 1e-9, "%s: finite differences %.2g %.2g", dyn_act_name((dyn_act)a), worst1, worst2);
    }
}

/* dyn_exp and dyn_log against expl and logl on the points (log on their magnitudes) and at the edges. The bounds
 * (act.h): exp 1 ulp, from exp_dd's h + l within 0.15 ulp before the final rounding; log 3 ulp: the series'
 * truncation is below 1e-24, but s = (m - 1)/(m + 1) carries the roundings of m + 1 and of the division (1 ulp),
 * 2 s sum two more, and e ln2 + 2 s sum one, which near x = 1 (e = 0) all count relative to the result. */
#define DINF ((double)INFINITY)
static void test_exp_log(const double *x, size_t n)
{
    double we = 0.0, wl = 0.0, xe = 0.0, xl = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) continue;
        long double r = expl((long double)x[i]), e = fabsl((long double)dyn_exp(x[i]) - r) / ulp_of(r);
        if (r > DBL_MAX) e = dyn_exp(x[i]) == DINF ? 0.0L : 1e9L;
        if (e > we) we = (double)e, xe = x[i];
        double a = fabs(x[i]);
        if (a == 0.0 || isinf(a)) continue;
        long double rl = logl((long double)a), el = fabsl((long double)dyn_log(a) - rl) / ulp_of(rl);
        if (el > wl) wl = (double)el, xl = a;
    }
    printf("dyn_exp: %.3f ulp at most (x = %.17g); dyn_log: %.3f ulp at most (x = %.17g)\n", we, xe, wl, xl);
    CHECK(we <= 1.0, "dyn_exp within 1 ulp: %.3f at %.17g", we, xe);
    CHECK(wl <= 3.0, "dyn_log within 3 ulp: %.3f at %.17g", wl, xl);
    CHECK(dyn_exp(0.0) == 1.0 && dyn_exp(1.0) == 2.718281828459045 && dyn_exp(-DINF) == 0.0 &&
              dyn_exp(DINF) == DINF && dyn_exp(709.8) == DINF && dyn_exp(-745.2) == 0.0 &&
              isnan(dyn_exp((double)NAN)),
          "dyn_exp at 0, 1, +-inf, the overflow and underflow points, NaN");
    CHECK(dyn_log(1.0) == 0.0 && dyn_log(0.0) == -DINF && dyn_log(-0.0) == -DINF &&
              dyn_log(DINF) == DINF && isnan(dyn_log(-1.0)) && isnan(dyn_log((double)NAN)) &&
              isnan(dyn_log(-DINF)) && dyn_log(2.0) == 0.69314718055994530942,
          "dyn_log at 1, +-0, inf, negative numbers, NaN and 2");
}

/* dyn_exp_array gives dyn_exp's bits element by element on every point (the dense grid, the edges, subnormals,
 * +-inf and NaN), at every length so that the vector loop's remainder is covered (the softmax of net.c relies on it) */
static void test_exp_array(const double *x, size_t n, double *y)
{
    size_t bad = 0, at = 0;
    dyn_exp_array(x, n, y);
    for (size_t i = 0; i < n; i++)
        if (memcmp(&y[i], &(double){dyn_exp(x[i])}, sizeof(double)) != 0 && bad++ == 0) at = i;
    const double sp[9] = {NAN, INFINITY, -INFINITY, -0.0, 4.9406564584124654e-324, 709.8, -745.2, 1e-300, -1.0};
    for (size_t len = 1; len <= 9; len++) { /* short buffers (the remainder paths alone), with NaN and the edges */
        double out[9];
        dyn_exp_array(sp, len, out);
        for (size_t i = 0; i < len; i++)
            if (memcmp(&out[i], &(double){dyn_exp(sp[i])}, sizeof(double)) != 0) bad++;
    }
    CHECK(bad == 0, "dyn_exp_array differs from dyn_exp at %zu points (first x = %.17g)", bad, x[at]);
}

/* dyn_sin and dyn_cos against sinl and cosl: a dense grid over [-20, 20] (the toy data's angles), a geometric one out
 * to 1e5 and near every multiple of pi/2 there (the reduction's cancellations), and the edges. The bound: 1 ulp
 * (act.h), fdlibm's for its kernels with the reduced argument's tail. */
static void test_sin_cos(void)
{
    double worst = 0.0, wx = 0.0;
    for (long i = -2000000; i <= 2000000; i++) {
        double v = i < 1000000 && i > -1000000 ? i * 2e-5 : (i > 0 ? 1.0 : -1.0) * 20.0 * pow(5000.0, (labs(i) - 1e6) / 1e6);
        double xs[3] = {v, (double)(long)(v / 1.5707963267948966) * 1.5707963267948966,
                        nextafter((double)(long)(v / 1.5707963267948966) * 1.5707963267948966, 0.0)};
        for (int k = 0; k < 3; k++) {
            long double rs = sinl((long double)xs[k]), rc = cosl((long double)xs[k]);
            double es = (double)(fabsl((long double)dyn_sin(xs[k]) - rs) / ulp_of(rs));
            double ec = (double)(fabsl((long double)dyn_cos(xs[k]) - rc) / ulp_of(rc));
            if (es > worst) worst = es, wx = xs[k];
            if (ec > worst) worst = ec, wx = xs[k];
        }
    }
    printf("dyn_sin, dyn_cos: %.3f ulp at most (x = %.17g)\n", worst, wx);
    CHECK(worst <= 1.0, "dyn_sin and dyn_cos within 1 ulp on [-1e5, 1e5]: %.3f at %.17g", worst, wx);
    CHECK(dyn_sin(0.0) == 0.0 && signbit(dyn_sin(-0.0)) && dyn_cos(0.0) == 1.0 && isnan(dyn_sin(DINF)) &&
              isnan(dyn_cos(-DINF)) && isnan(dyn_sin((double)NAN)) && dyn_sin(1e-300) == 1e-300,
          "dyn_sin and dyn_cos at +-0, +-inf, NaN and a tiny argument");
}

int main(void)
{
    size_t cap = 900000;
    double *x = malloc(sizeof(double) * cap), *y = malloc(sizeof(double) * cap);
    if (!x || !y) return 1;
    size_t n = make_points(x, cap);
    if (LDBL_MANT_DIG >= 64) {
        test_accuracy(x, n, y);
        test_exp_log(x, n);
        test_sin_cos();
    } else printf("long double has %d bits here: the ulp measurement needs 64 (x86), skipped\n", LDBL_MANT_DIG);
    test_edges();
    test_array_api();
    test_derivs_fused(x, n);
    test_exp_array(x, n, y);
    test_derivatives();
    free(x);
    free(y);
    return check_summary("test_act");
}
