/* test_linalg.c - the small dense linear algebra against identities (L L^T = A, A V = V W), closed forms in 1-D
 * and 2-D, and the Lyapunov solvers against each other and against a direct Kronecker-product solve. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "linalg.h"
#include "rng.h"

static double S[6 * 64 * 64 + 4 * 64], K[16 * 16 * 16 * 16 + 16 * 16];
#define SL (sizeof S / sizeof S[0])
#define KL (sizeof K / sizeof K[0])

/* a random symmetric positive definite matrix with eigenvalues spread over [lo, hi] */
static void rand_spd(dyn_rng *r, int n, double lo, double hi, double *a)
{
    double q[64 * 64], t[64 * 64];
    for (int i = 0; i < n * n; i++) q[i] = dyn_rng_normal(r);
    /* Gram-Schmidt: an orthonormal Q */
    for (int j = 0; j < n; j++) {
        for (int k = 0; k < j; k++) {
            double d = 0.0;
            for (int i = 0; i < n; i++) d += q[i * n + j] * q[i * n + k];
            for (int i = 0; i < n; i++) q[i * n + j] -= d * q[i * n + k];
        }
        double nr = 0.0;
        for (int i = 0; i < n; i++) nr += q[i * n + j] * q[i * n + j];
        for (int i = 0; i < n; i++) q[i * n + j] /= sqrt(nr);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) t[i * n + j] = q[i * n + j] * (n == 1 ? lo : lo + (hi - lo) * j / (n - 1));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++) s += t[i * n + k] * q[j * n + k];
            a[i * n + j] = s;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) a[i * n + j] = a[j * n + i];
}

static void test_cholesky(void)
{
    dyn_rng r;
    dyn_rng_seed(&r, 1);
    double a[64 * 64], l[64 * 64], llt[64 * 64], lt[64 * 64];
    int sizes[] = {1, 2, 7, 64};
    for (int s = 0; s < 4; s++) {
        int n = sizes[s];
        rand_spd(&r, n, 0.1, 10.0, a);
        CHECK(dyn_la_cholesky(n, a, l, NULL) == DYN_OK, "cholesky n=%d", n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) lt[i * n + j] = l[j * n + i];
        dyn_la_mul(n, n, n, l, lt, llt);
        CHECK(maxabs_diff(llt, a, n * n) < 1e-13 * 10, "L L^T = A, n=%d: %g", n, maxabs_diff(llt, a, n * n));
        /* solve and inverse */
        double b[64], x[64], ax[64], inv[64 * 64], id[64 * 64];
        for (int i = 0; i < n; i++) b[i] = dyn_rng_normal(&r);
        dyn_la_chol_solve(n, l, 1, b, x);
        dyn_la_mul(n, n, 1, a, x, ax);
        CHECK(maxabs_diff(ax, b, n) < 1e-12, "A x = b, n=%d: %g", n, maxabs_diff(ax, b, n));
        CHECK(dyn_la_spd_inverse(n, a, inv, S, SL) == DYN_OK, "inverse");
        dyn_la_mul(n, n, n, a, inv, id);
        for (int i = 0; i < n; i++) id[i * n + i] -= 1.0;
        CHECK(maxabs(id, n * n) < 1e-12, "A A^{-1} = I, n=%d: %g", n, maxabs(id, n * n));
        /* log det: eigenvalues spread evenly over [0.1, 10] */
        double want = 0.0;
        for (int j = 0; j < n; j++) want += log(n == 1 ? 0.1 : 0.1 + 9.9 * j / (n - 1));
        CHECK_NEAR(dyn_la_chol_logdet(n, l), want, 1e-12, 1e-12, "log det");
    }
    /* by hand: [[4, 2], [2, 3]] = L L^T with L = [[2, 0], [1, sqrt 2]] */
    double h[4] = {4, 2, 2, 3}, lh[4];
    dyn_la_cholesky(2, h, lh, NULL);
    CHECK(lh[0] == 2.0 && lh[1] == 0.0 && lh[2] == 1.0 && fabs(lh[3] - sqrt(2.0)) < 1e-15, "2x2 by hand");
    /* not positive definite: which pivot */
    double ind[4] = {1, 2, 2, 1};
    int piv = -7;
    CHECK(dyn_la_cholesky(2, ind, lh, &piv) == DYN_ERR_NO_SOLUTION && piv == 1, "indefinite: pivot 1, got %d", piv);
    double neg[1] = {-1};
    CHECK(dyn_la_cholesky(1, neg, lh, &piv) == DYN_ERR_NO_SOLUTION && piv == 0, "negative 1x1");
    /* a Gram matrix with column 2 = column 0 + column 1: singular to round-off, pivot 2 */
    double x[5][3], g[9] = {0};
    for (int i = 0; i < 5; i++) {
        x[i][0] = dyn_rng_normal(&r);
        x[i][1] = dyn_rng_normal(&r);
        x[i][2] = x[i][0] + x[i][1];
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++) g[j * 3 + k] += x[i][j] * x[i][k];
    }
    double lg[9];
    CHECK(dyn_la_cholesky(3, g, lg, &piv) == DYN_ERR_NO_SOLUTION && piv == 2, "dependent column: pivot 2, got %d", piv);
    double nan1[1] = {NAN};
    CHECK(dyn_la_cholesky(1, nan1, lh, NULL) == DYN_ERR_NAN, "NaN");
    CHECK(dyn_la_cholesky(0, h, lh, NULL) == DYN_ERR_SIZE && dyn_la_cholesky(DYN_LA_MAX_N + 1, h, lh, NULL) == DYN_ERR_SIZE, "n range");
    CHECK(dyn_la_cholesky(2, NULL, lh, NULL) == DYN_ERR_NULL, "NULL");
    CHECK(dyn_la_spd_inverse(2, h, lh, S, 10) == DYN_ERR_BUFFER, "scratch too small");
    CHECK(dyn_la_spd_inverse(2, ind, lh, S, SL) == DYN_ERR_NO_SOLUTION, "inverse of indefinite");
}

static void test_eig(void)
{
    dyn_rng r;
    dyn_rng_seed(&r, 2);
    double a[64 * 64], v[64 * 64], w[64], av[64 * 64], vtv[64 * 64], vt[64 * 64];
    int sizes[] = {1, 2, 5, 20, 64};
    for (int s = 0; s < 5; s++) {
        int n = sizes[s];
        for (int i = 0; i < n; i++) /* symmetric, indefinite */
            for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = dyn_rng_normal(&r);
        CHECK(dyn_la_sym_eig(n, a, w, v, S, SL) == DYN_OK, "eig n=%d", n);
        dyn_la_mul(n, n, n, a, v, av);
        double res = 0.0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) res = fmax(res, fabs(av[i * n + k] - w[k] * v[i * n + k]));
        CHECK(res < 1e-12 * n, "A V = V W, n=%d: %g", n, res);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) vt[i * n + j] = v[j * n + i];
        dyn_la_mul(n, n, n, vt, v, vtv);
        for (int i = 0; i < n; i++) vtv[i * n + i] -= 1.0;
        CHECK(maxabs(vtv, n * n) < 1e-13 * n, "V^T V = I, n=%d: %g", n, maxabs(vtv, n * n));
        int asc = 1;
        for (int k = 1; k < n; k++) asc &= w[k] >= w[k - 1];
        CHECK(asc, "ascending, n=%d", n);
    }
    /* 2x2 closed form: [[2, 1], [1, 2]] has 1 and 3 */
    double b[4] = {2, 1, 1, 2};
    dyn_la_sym_eig(2, b, w, NULL, S, SL);
    CHECK(fabs(w[0] - 1.0) < 1e-15 && fabs(w[1] - 3.0) < 1e-15, "2x2: %g %g", w[0], w[1]);
    /* repeated eigenvalues: the identity is already diagonal */
    double id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    CHECK(dyn_la_sym_eig(3, id, w, v, S, SL) == DYN_OK && w[0] == 1.0 && w[2] == 1.0 && v[0] == 1.0, "identity");
    CHECK(dyn_la_sym_eig(2, b, w, v, S, 7) == DYN_ERR_BUFFER, "eig scratch");

    /* square root */
    rand_spd(&r, 6, 0.01, 5.0, a);
    double rt[36], rr[36];
    CHECK(dyn_la_sym_sqrt(6, a, rt, S, SL) == DYN_OK, "sqrt");
    dyn_la_mul(6, 6, 6, rt, rt, rr);
    CHECK(maxabs_diff(rr, a, 36) < 1e-13, "sqrt^2 = A: %g", maxabs_diff(rr, a, 36));
    double ind[4] = {1, 2, 2, 1};
    CHECK(dyn_la_sym_sqrt(2, ind, rt, S, SL) == DYN_ERR_RANGE, "sqrt of indefinite");
    double psd[4] = {1, 1, 1, 1}; /* singular PSD: sqrt = A / sqrt 2 */
    CHECK(dyn_la_sym_sqrt(2, psd, rt, S, SL) == DYN_OK && fabs(rt[1] - 1.0 / sqrt(2.0)) < 1e-15, "sqrt of PSD");
}

static void test_lyapunov(void)
{
    dyn_rng r;
    dyn_rng_seed(&r, 3);
    /* 1-D by hand: 2 a x - eps a^2 x = r */
    double a1 = 2.0, r1 = 3.0, x1;
    dyn_la_lyap_sym(1, &a1, 0.1, &r1, &x1, S, SL);
    CHECK_NEAR(x1, 3.0 / (4.0 - 0.4), 1e-15, 0, "1-D discrete");
    /* the eigenbasis solver against the Kronecker solve, n = 2..8, continuous and discrete */
    for (int n = 2; n <= 8; n += 3) {
        double a[64], q[64], xs[64], xk[64];
        rand_spd(&r, n, 0.2, 3.0, a);
        rand_spd(&r, n, 0.5, 1.5, q);
        double epss[] = {0.0, 0.05, 0.5};
        for (int e = 0; e < 3; e++) {
            CHECK(dyn_la_lyap_sym(n, a, epss[e], q, xs, S, SL) == DYN_OK, "lyap_sym");
            CHECK(dyn_la_lyap_kron(n, a, epss[e], q, xk, K, KL) == DYN_OK, "lyap_kron");
            double d = maxabs_diff(xs, xk, n * n) / maxabs(xk, n * n);
            CHECK(d < 1e-12, "sym vs kron, n=%d eps=%g: rel %g", n, epss[e], d);
            /* and the residual of the equation itself */
            double ax[64], xa[64], axa[64];
            dyn_la_mul(n, n, n, a, xs, ax);
            dyn_la_mul(n, n, n, xs, a, xa);
            dyn_la_mul(n, n, n, ax, a, axa);
            double res = 0.0;
            for (int i = 0; i < n * n; i++) res = fmax(res, fabs(ax[i] + xa[i] - epss[e] * axa[i] - q[i]));
            CHECK(res < 1e-12, "residual n=%d eps=%g: %g", n, epss[e], res);
        }
        /* the continuous equation is the eps -> 0 limit of the discrete one, at first order:
         * X(eps) - X(0) = eps Y + O(eps^2), so halving eps halves the difference */
        double x0[64], xe[64], xh[64];
        dyn_la_lyap_sym(n, a, 0.0, q, x0, S, SL);
        dyn_la_lyap_sym(n, a, 1e-3, q, xe, S, SL);
        dyn_la_lyap_sym(n, a, 5e-4, q, xh, S, SL);
        double de = maxabs_diff(xe, x0, n * n), dh = maxabs_diff(xh, x0, n * n);
        CHECK(fabs(de / dh - 2.0) < 1e-2, "first-order approach to the continuous solution: ratio %g", de / dh);
        dyn_la_lyap_sym(n, a, 1e-12, q, xe, S, SL);
        CHECK(maxabs_diff(xe, x0, n * n) < 1e-10 * maxabs(x0, n * n), "eps = 1e-12 ~ continuous");
    }
    /* a non-symmetric A (a preconditioned H A): Kronecker solve, checked by its residual */
    double h[9], a[9], ha[9], q[9], x[9];
    rand_spd(&r, 3, 0.5, 2.0, h);
    rand_spd(&r, 3, 0.2, 1.0, a);
    rand_spd(&r, 3, 0.5, 1.5, q);
    dyn_la_mul(3, 3, 3, h, a, ha);
    CHECK(dyn_la_lyap_kron(3, ha, 0.2, q, x, K, KL) == DYN_OK, "kron, non-symmetric");
    double t[9], u[9], hat[9], res = 0.0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) hat[i * 3 + j] = ha[j * 3 + i];
    dyn_la_mul(3, 3, 3, ha, x, t);
    dyn_la_mul(3, 3, 3, x, hat, u);
    double aat[9];
    dyn_la_mul(3, 3, 3, t, hat, aat);
    for (int i = 0; i < 9; i++) res = fmax(res, fabs(t[i] + u[i] - 0.2 * aat[i] - q[i]));
    CHECK(res < 1e-12, "non-symmetric residual %g", res);
    /* no stationary solution: eps lam_max >= 2, or A not positive definite */
    double big[4] = {3, 0, 0, 1}, qq[4] = {1, 0, 0, 1}, xx[4];
    CHECK(dyn_la_lyap_sym(2, big, 0.7, qq, xx, S, SL) == DYN_ERR_NO_SOLUTION, "eps lam = 2.1: unstable");
    CHECK(dyn_la_lyap_sym(2, big, 0.6, qq, xx, S, SL) == DYN_OK, "eps lam = 1.8: stable");
    double negd[4] = {1, 0, 0, -1};
    CHECK(dyn_la_lyap_sym(2, negd, 0.0, qq, xx, S, SL) == DYN_ERR_NO_SOLUTION, "indefinite A");
    double zero[4] = {0, 0, 0, 0};
    CHECK(dyn_la_lyap_kron(2, zero, 0.0, qq, xx, K, KL) == DYN_ERR_NO_SOLUTION, "kron: singular");
    CHECK(dyn_la_lyap_sym(2, big, -0.1, qq, xx, S, SL) == DYN_ERR_RANGE, "negative eps");
    CHECK(dyn_la_lyap_kron(17, big, 0.0, qq, xx, K, KL) == DYN_ERR_SIZE, "kron n = 17");
    CHECK(dyn_la_lyap_kron(2, big, 0.0, qq, xx, K, 19) == DYN_ERR_BUFFER, "kron scratch");
}

static void test_gauss(void)
{
    /* 1-D closed forms */
    double m0 = 0.3, s0 = 2.0, m1 = -0.5, s1 = 0.7, kl, w2;
    CHECK(dyn_la_gauss_kl(1, &m0, &s0, &m1, &s1, &kl, S, SL) == DYN_OK, "kl");
    double want = 0.5 * (s0 / s1 + (m1 - m0) * (m1 - m0) / s1 - 1.0 + log(s1 / s0));
    CHECK_NEAR(kl, want, 1e-14, 0, "1-D KL");
    CHECK(dyn_la_gauss_w2(1, &m0, &s0, &m1, &s1, &w2, S, SL) == DYN_OK, "w2");
    CHECK_NEAR(w2, sqrt((m0 - m1) * (m0 - m1) + (sqrt(s0) - sqrt(s1)) * (sqrt(s0) - sqrt(s1))), 1e-14, 0, "1-D W2");
    /* 3-D: KL of a distribution with itself is 0; diagonal covariances sum coordinate-wise */
    dyn_rng r;
    dyn_rng_seed(&r, 4);
    double a[9], m[3] = {1, 2, 3};
    rand_spd(&r, 3, 0.3, 2.0, a);
    dyn_la_gauss_kl(3, m, a, m, a, &kl, S, SL);
    dyn_la_gauss_w2(3, m, a, m, a, &w2, S, SL);
    CHECK(kl < 1e-14 && w2 < 1e-7, "KL, W2 of identical: %g %g", kl, w2);
    double da[9] = {1, 0, 0, 0, 2, 0, 0, 0, 3}, db[9] = {2, 0, 0, 0, 1, 0, 0, 0, 0.5}, z[3] = {0, 0, 0}, ksum = 0.0,
           wsum = 0.0;
    for (int i = 0; i < 3; i++) {
        double x = da[4 * i], y = db[4 * i];
        ksum += 0.5 * (x / y - 1.0 + log(y / x));
        wsum += (sqrt(x) - sqrt(y)) * (sqrt(x) - sqrt(y));
    }
    dyn_la_gauss_kl(3, z, da, z, db, &kl, S, SL);
    dyn_la_gauss_w2(3, z, da, z, db, &w2, S, SL);
    CHECK_NEAR(kl, ksum, 1e-14, 0, "diagonal KL");
    CHECK_NEAR(w2, sqrt(wsum), 1e-13, 0, "diagonal W2");
    /* 2-D non-commuting pair: W2^2 = tr S0 + tr S1 - 2 tr (S1^1/2 S0 S1^1/2)^1/2; for 2x2 the trace of the square
     * root of a PSD M is sqrt(tr M + 2 sqrt det M) */
    double p[4] = {2, 0.8, 0.8, 1}, q[4] = {1, -0.3, -0.3, 0.5}, rq[4], t[4], mm[4];
    dyn_la_sym_sqrt(2, q, rq, S, SL);
    dyn_la_mul(2, 2, 2, rq, p, t);
    dyn_la_mul(2, 2, 2, t, rq, mm);
    double trm = mm[0] + mm[3], detm = mm[0] * mm[3] - mm[1] * mm[2];
    double w2want = sqrt(3.0 + 1.5 - 2.0 * sqrt(trm + 2.0 * sqrt(detm)));
    dyn_la_gauss_w2(2, z, p, z, q, &w2, S, SL);
    CHECK_NEAR(w2, w2want, 1e-13, 0, "2-D W2 by the 2x2 square-root trace formula");
    double ind[4] = {1, 2, 2, 1};
    CHECK(dyn_la_gauss_kl(2, z, ind, z, p, &kl, S, SL) == DYN_ERR_NO_SOLUTION, "KL of indefinite");
    CHECK(dyn_la_gauss_w2(2, z, p, z, ind, &w2, S, SL) == DYN_ERR_RANGE, "W2 of indefinite");
    double nanm[2] = {NAN, 0};
    CHECK(dyn_la_gauss_kl(2, nanm, p, z, p, &kl, S, SL) == DYN_ERR_NAN, "KL NaN mean");
}

/* the size queries: the header's formulas, 0 out of range, and enough for every function at exactly that size */
static void test_sizes(void)
{
    for (int n = 1; n <= 64; n *= 2)
        CHECK(dyn_la_scratch_doubles(n) == 6 * (size_t)n * n + 4 * (size_t)n, "scratch at n = %d: 6 n^2 + 4 n", n);
    CHECK(dyn_la_scratch_doubles(0) == 0 && dyn_la_scratch_doubles(DYN_LA_MAX_N + 1) == 0, "scratch: n out of range");
    size_t top = dyn_la_scratch_doubles(DYN_LA_MAX_N);
    CHECK(top > 0 && (uint64_t)top * sizeof(double) < ((uint64_t)1 << 31), "scratch at DYN_LA_MAX_N below 2^31 bytes");
    CHECK(dyn_la_kron_scratch_doubles(16) == 65536 + 256 && dyn_la_kron_scratch_doubles(DYN_LA_MAX_KRON_N + 1) == 0,
          "Kronecker scratch n^4 + n^2");
    /* every function with exactly dyn_la_scratch_doubles(n), in a buffer guarded on both sides */
    enum { N = 7 };
    size_t need = dyn_la_scratch_doubles(N);
    double *buf = malloc(sizeof(double) * (need + 2)), a[N * N], b[N * N], x[N * N], m[N] = {0}, v;
    buf[0] = buf[need + 1] = 12345.0;
    double *scr = buf + 1;
    dyn_rng r;
    dyn_rng_seed(&r, 3);
    rand_spd(&r, N, 0.5, 2.0, a);
    rand_spd(&r, N, 0.1, 1.0, b);
    CHECK(dyn_la_spd_inverse(N, a, x, scr, need) == DYN_OK, "inverse with the exact scratch");
    CHECK(dyn_la_sym_eig(N, a, m, x, scr, need) == DYN_OK, "eig with the exact scratch");
    CHECK(dyn_la_sym_sqrt(N, a, x, scr, need) == DYN_OK, "sqrt with the exact scratch");
    CHECK(dyn_la_lyap_sym(N, a, 0.3, b, x, scr, need) == DYN_OK, "Lyapunov with the exact scratch");
    double z[N] = {0};
    CHECK(dyn_la_gauss_kl(N, z, a, m, b, &v, scr, need) == DYN_OK, "KL with the exact scratch");
    CHECK(dyn_la_gauss_w2(N, z, a, m, b, &v, scr, need) == DYN_OK, "W2 with the exact scratch");
    CHECK(buf[0] == 12345.0 && buf[need + 1] == 12345.0, "nothing written outside the scratch");
    CHECK(dyn_la_lyap_sym(N, a, 0.3, b, x, scr, need - 1) == DYN_ERR_BUFFER, "one double short: DYN_ERR_BUFFER");
    free(buf);
}

int main(void)
{
    test_cholesky();
    test_eig();
    test_lyapunov();
    test_gauss();
    test_sizes();
    return check_summary("test_linalg");
}
