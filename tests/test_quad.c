/* test_quad.c - the computed Gauss-Hermite and Gauss-Legendre rules: exactness, symmetry, known nodes. */
#include <stdlib.h>

#include "check.h"
#include "quad.h"

/* E[Z^(2k)] = (2k - 1)!! for Z ~ N(0, 1) */
static double gauss_moment(int k)
{
    double m = 1.0;
    for (int j = 2 * k - 1; j > 1; j -= 2) m *= j;
    return m;
}

int main(void)
{
    int orders[] = {1, 2, 3, 4, 7, 16, 33, 64, 128, 256, 511, 512, 1024, 2048, 4096};
    for (size_t t = 0; t < sizeof orders / sizeof orders[0]; t++) {
        int n = orders[t];
        double *z = malloc(sizeof(double) * n), *w = malloc(sizeof(double) * n), *s = malloc(sizeof(double) * 2 * n);
        CHECK(dyn_quad_hermite(n, z, w, s) == DYN_OK, "hermite %d", n);
        double sum = 0.0;
        for (int i = 0; i < n; i++) sum += w[i];
        CHECK_NEAR(sum, 1.0, 1e-14, 0, "hermite weights sum to 1");
        for (int i = 0; i < n; i++) {
            CHECK(w[i] >= 0.0, "hermite weight %d of %d is %g", i, n, w[i]);
            CHECK(z[i] == -z[n - 1 - i], "hermite nodes symmetric (%d, %d)", i, n);
            if (i) CHECK(z[i] > z[i - 1], "hermite nodes ascend");
        }
        /* exact for polynomials of degree <= 2n - 1: even moments up to min(2n - 2, 12) */
        for (int k = 1; 2 * k <= 2 * n - 1 && k <= 6; k++) {
            double m = 0.0;
            for (int i = 0; i < n; i++) m += w[i] * pow(z[i], 2 * k);
            char what[64];
            snprintf(what, sizeof what, "E Z^%d with %d nodes", 2 * k, n);
            CHECK_NEAR(m, gauss_moment(k), 1e-12, 0, what);
        }
        /* a smooth function converges fast: E cos(Z) = exp(-1/2) */
        if (n >= 16) {
            double m = 0.0;
            for (int i = 0; i < n; i++) m += w[i] * cos(z[i]);
            CHECK_NEAR(m, exp(-0.5), 1e-14, 0, "E cos Z");
        }
        double *x = malloc(sizeof(double) * n), *v = malloc(sizeof(double) * n);
        CHECK(dyn_quad_legendre(n, x, v) == DYN_OK, "legendre %d", n);
        double ls = 0.0, l2 = 0.0, e = 0.0;
        for (int i = 0; i < n; i++) ls += v[i], l2 += v[i] * x[i] * x[i], e += v[i] * exp(x[i]);
        CHECK_NEAR(ls, 2.0, 1e-13, 0, "legendre weights sum to 2");
        if (n >= 2) CHECK_NEAR(l2, 2.0 / 3.0, 1e-13, 0, "legendre integral of x^2");
        if (n >= 8) CHECK_NEAR(e, exp(1.0) - exp(-1.0), 1e-14, 0, "legendre integral of e^x");
        free(z), free(w), free(s), free(x), free(v);
    }
    /* known nodes: He_2 has roots +-1, He_3 has 0 and +-sqrt(3); P_2 has +-1/sqrt(3) */
    double z[3], w[3], s[6];
    dyn_quad_hermite(2, z, w, s);
    CHECK_NEAR(z[1], 1.0, 1e-15, 0, "He_2 root");
    CHECK_NEAR(w[1], 0.5, 1e-15, 0, "He_2 weight");
    dyn_quad_hermite(3, z, w, s);
    CHECK_NEAR(z[2], sqrt(3.0), 1e-15, 0, "He_3 root");
    CHECK_NEAR(w[1], 2.0 / 3.0, 1e-15, 0, "He_3 middle weight");
    dyn_quad_legendre(2, z, w);
    CHECK_NEAR(z[1], 1.0 / sqrt(3.0), 1e-15, 0, "P_2 root");
    CHECK(dyn_quad_hermite(0, z, w, s) == DYN_ERR_SIZE, "order 0");
    CHECK(dyn_quad_hermite(DYN_QUAD_MAX_ORDER + 1, z, w, s) == DYN_ERR_SIZE, "order too large");
    CHECK(dyn_quad_hermite(3, NULL, w, s) == DYN_ERR_NULL, "NULL");
    CHECK(dyn_quad_legendre(-1, z, w) == DYN_ERR_SIZE, "legendre order -1");
    return check_summary("test_quad");
}
