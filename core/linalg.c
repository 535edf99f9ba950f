/* linalg.c - small dense double-precision linear algebra for the posterior module (see linalg.h). */
#include "linalg.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static int bad(double v) { return isnan(v) || isinf(v); }

static int any_bad(const double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (bad(a[i])) return 1;
    return 0;
}

static int n_ok(int n) { return n >= 1 && n <= DYN_LA_MAX_N; }
static size_t sq(int n) { return (size_t)n * (size_t)n; }

/* Counts in 64 bits, and 0 rather than 2^31 bytes or more: exact in wasm32's 32-bit size_t whatever the limits. */
#define DOUBLES_LIMIT ((uint64_t)1 << 28)

static size_t doubles_or_0(uint64_t k) { return k < DOUBLES_LIMIT ? (size_t)k : 0; }

size_t dyn_la_scratch_doubles(int n)
{
    if (!n_ok(n)) return 0;
    uint64_t m = (uint64_t)n;
    return doubles_or_0(6 * m * m + 4 * m);
}

size_t dyn_la_kron_scratch_doubles(int n)
{
    if (n < 1 || n > DYN_LA_MAX_KRON_N) return 0;
    uint64_t m2 = (uint64_t)n * (uint64_t)n;
    return doubles_or_0(m2 * m2 + m2);
}

dyn_status dyn_la_mul(int r, int k, int c, const double *a, const double *b, double *out)
{
    if (!a || !b || !out) return DYN_ERR_NULL;
    for (int i = 0; i < r; i++) {
        double *o = out + (size_t)i * c;
        for (int j = 0; j < c; j++) o[j] = 0.0;
        for (int t = 0; t < k; t++) {
            double ait = a[(size_t)i * k + t];
            const double *bt = b + (size_t)t * c;
            for (int j = 0; j < c; j++) o[j] += ait * bt[j];
        }
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ Cholesky */

dyn_status dyn_la_cholesky(int n, const double *a, double *l, int *bad_pivot)
{
    if (!a || !l) return DYN_ERR_NULL;
    if (!n_ok(n)) return DYN_ERR_SIZE;
    if (any_bad(a, sq(n))) return DYN_ERR_NAN;
    for (int j = 0; j < n; j++) {
        double ajj = a[(size_t)j * n + j], d = ajj;
        for (int k = 0; k < j; k++) d -= l[(size_t)j * n + k] * l[(size_t)j * n + k];
        /* a relative test: a Gram matrix of dependent columns leaves a pivot of round-off size, not exactly 0 */
        if (!(d > 1e-12 * fabs(ajj)) || !(d > 0.0)) {
            if (bad_pivot) *bad_pivot = j;
            return DYN_ERR_NO_SOLUTION;
        }
        double ljj = sqrt(d);
        for (int i = j + 1; i < n; i++) {
            double s = a[(size_t)i * n + j];
            for (int k = 0; k < j; k++) s -= l[(size_t)i * n + k] * l[(size_t)j * n + k];
            l[(size_t)i * n + j] = s / ljj;
        }
        l[(size_t)j * n + j] = ljj;
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) l[(size_t)i * n + j] = 0.0;
    return DYN_OK;
}

dyn_status dyn_la_chol_solve(int n, const double *l, int nrhs, const double *b, double *x)
{
    if (!l || !b || !x) return DYN_ERR_NULL;
    if (!n_ok(n) || nrhs < 1) return DYN_ERR_SIZE;
    if (x != b) memcpy(x, b, sizeof(double) * (size_t)n * (size_t)nrhs);
    for (int c = 0; c < nrhs; c++) {
        for (int i = 0; i < n; i++) { /* L y = b */
            double s = x[(size_t)i * nrhs + c];
            for (int k = 0; k < i; k++) s -= l[(size_t)i * n + k] * x[(size_t)k * nrhs + c];
            x[(size_t)i * nrhs + c] = s / l[(size_t)i * n + i];
        }
        for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
            double s = x[(size_t)i * nrhs + c];
            for (int k = i + 1; k < n; k++) s -= l[(size_t)k * n + i] * x[(size_t)k * nrhs + c];
            x[(size_t)i * nrhs + c] = s / l[(size_t)i * n + i];
        }
    }
    return DYN_OK;
}

double dyn_la_chol_logdet(int n, const double *l)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += log(l[(size_t)i * n + i]);
    return 2.0 * s;
}

dyn_status dyn_la_spd_inverse(int n, const double *a, double *out, double *scratch, size_t scratch_len)
{
    if (!a || !out || !scratch) return DYN_ERR_NULL;
    if (!n_ok(n)) return DYN_ERR_SIZE;
    if (scratch_len < dyn_la_scratch_doubles(n)) return DYN_ERR_BUFFER;
    double *l = scratch;
    dyn_status s = dyn_la_cholesky(n, a, l, NULL);
    if (s) return s;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) out[(size_t)i * n + j] = i == j;
    dyn_la_chol_solve(n, l, n, out, out);
    for (int i = 0; i < n; i++) /* exactly symmetric */
        for (int j = 0; j < i; j++) {
            double m = 0.5 * (out[(size_t)i * n + j] + out[(size_t)j * n + i]);
            out[(size_t)i * n + j] = out[(size_t)j * n + i] = m;
        }
    return DYN_OK;
}

/* ------------------------------------------------------------------ symmetric eigenproblem: cyclic Jacobi */

dyn_status dyn_la_sym_eig(int n, const double *a, double *w, double *v, double *scratch, size_t scratch_len)
{
    if (!a || !w || !scratch) return DYN_ERR_NULL;
    if (!n_ok(n)) return DYN_ERR_SIZE;
    if (scratch_len < 2 * sq(n)) return DYN_ERR_BUFFER;
    if (any_bad(a, sq(n))) return DYN_ERR_NAN;
    double *m = scratch, *vv = v ? v : scratch + sq(n);
    double total = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            m[(size_t)i * n + j] = 0.5 * (a[(size_t)i * n + j] + a[(size_t)j * n + i]);
            vv[(size_t)i * n + j] = i == j;
            total += m[(size_t)i * n + j] * m[(size_t)i * n + j];
        }
    int sweep = 0;
    for (;; sweep++) {
        double off = 0.0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) off += m[(size_t)p * n + q] * m[(size_t)p * n + q];
        if (off <= 1e-30 * total || off == 0.0) break;
        if (sweep >= 64) return DYN_ERR_NO_CONVERGE;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = m[(size_t)p * n + q];
                if (apq == 0.0) continue;
                double app = m[(size_t)p * n + p], aqq = m[(size_t)q * n + q];
                if (fabs(apq) < 1e-18 * (fabs(app) + fabs(aqq))) { /* below round-off of the diagonal */
                    m[(size_t)p * n + q] = m[(size_t)q * n + p] = 0.0;
                    continue;
                }
                double th = (aqq - app) / (2.0 * apq);
                double t = (th >= 0.0 ? 1.0 : -1.0) / (fabs(th) + sqrt(th * th + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < n; k++) { /* M J */
                    double mkp = m[(size_t)k * n + p], mkq = m[(size_t)k * n + q];
                    m[(size_t)k * n + p] = c * mkp - s * mkq;
                    m[(size_t)k * n + q] = s * mkp + c * mkq;
                }
                for (int k = 0; k < n; k++) { /* J^T (M J) */
                    double mpk = m[(size_t)p * n + k], mqk = m[(size_t)q * n + k];
                    m[(size_t)p * n + k] = c * mpk - s * mqk;
                    m[(size_t)q * n + k] = s * mpk + c * mqk;
                }
                m[(size_t)p * n + q] = m[(size_t)q * n + p] = 0.0;
                for (int k = 0; k < n; k++) {
                    double vkp = vv[(size_t)k * n + p], vkq = vv[(size_t)k * n + q];
                    vv[(size_t)k * n + p] = c * vkp - s * vkq;
                    vv[(size_t)k * n + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < n; i++) w[i] = m[(size_t)i * n + i];
    for (int i = 1; i < n; i++) /* insertion sort, ascending, vectors along */
        for (int j = i; j > 0 && w[j] < w[j - 1]; j--) {
            double t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
            if (v)
                for (int k = 0; k < n; k++) {
                    double u = v[(size_t)k * n + j];
                    v[(size_t)k * n + j] = v[(size_t)k * n + j - 1];
                    v[(size_t)k * n + j - 1] = u;
                }
        }
    return DYN_OK;
}

/* out = V diag(f) V^T */
static void recompose(int n, const double *v, const double *f, double *out)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++) s += v[(size_t)i * n + k] * f[k] * v[(size_t)j * n + k];
            out[(size_t)i * n + j] = out[(size_t)j * n + i] = s;
        }
}

dyn_status dyn_la_sym_sqrt(int n, const double *a, double *out, double *scratch, size_t scratch_len)
{
    if (!a || !out || !scratch) return DYN_ERR_NULL;
    if (!n_ok(n)) return DYN_ERR_SIZE;
    if (scratch_len < 3 * sq(n) + (size_t)n) return DYN_ERR_BUFFER; /* what it uses, within dyn_la_scratch_doubles */
    double *v = scratch, *w = v + sq(n), *es = w + n;
    dyn_status s = dyn_la_sym_eig(n, a, w, v, es, 2 * sq(n));
    if (s) return s;
    double big = fmax(fabs(w[0]), fabs(w[n - 1]));
    if (w[0] < -1e-12 * big) return DYN_ERR_RANGE;
    for (int k = 0; k < n; k++) w[k] = w[k] > 0.0 ? sqrt(w[k]) : 0.0;
    recompose(n, v, w, out);
    return DYN_OK;
}

/* ------------------------------------------------------------------ Lyapunov equations */

dyn_status dyn_la_lyap_sym(int n, const double *a, double eps, const double *r, double *x, double *scratch,
                           size_t scratch_len)
{
    if (!a || !r || !x || !scratch) return DYN_ERR_NULL;
    if (!n_ok(n)) return DYN_ERR_SIZE;
    if (scratch_len < dyn_la_scratch_doubles(n)) return DYN_ERR_BUFFER;
    if (bad(eps) || any_bad(r, sq(n))) return DYN_ERR_NAN;
    if (eps < 0.0) return DYN_ERR_RANGE;
    double *v = scratch, *w = v + sq(n), *t1 = w + n, *t2 = t1 + sq(n);
    dyn_status s = dyn_la_sym_eig(n, a, w, v, t1, 2 * sq(n));
    if (s) return s;
    for (int i = 0; i < n; i++)
        if (!(2.0 * w[i] - eps * w[i] * w[i] > 0.0)) return DYN_ERR_NO_SOLUTION;
    /* R' = V^T R V */
    for (int i = 0; i < n; i++) /* t1 = R V */
        for (int j = 0; j < n; j++) {
            double acc = 0.0;
            for (int k = 0; k < n; k++) acc += r[(size_t)i * n + k] * v[(size_t)k * n + j];
            t1[(size_t)i * n + j] = acc;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double acc = 0.0;
            for (int k = 0; k < n; k++) acc += v[(size_t)k * n + i] * t1[(size_t)k * n + j];
            /* lam_i + lam_j - eps lam_i lam_j, written (1 - rho_i rho_j)/eps would lose digits as eps -> 0 */
            t2[(size_t)i * n + j] = acc / (w[i] + w[j] - eps * w[i] * w[j]);
        }
    for (int i = 0; i < n; i++) /* t1 = V X' */
        for (int j = 0; j < n; j++) {
            double acc = 0.0;
            for (int k = 0; k < n; k++) acc += v[(size_t)i * n + k] * t2[(size_t)k * n + j];
            t1[(size_t)i * n + j] = acc;
        }
    for (int i = 0; i < n; i++) /* X = t1 V^T */
        for (int j = 0; j < n; j++) {
            double acc = 0.0;
            for (int k = 0; k < n; k++) acc += t1[(size_t)i * n + k] * v[(size_t)j * n + k];
            x[(size_t)i * n + j] = acc;
        }
    return DYN_OK;
}

dyn_status dyn_la_lyap_kron(int n, const double *a, double eps, const double *r, double *x, double *scratch,
                            size_t scratch_len)
{
    if (!a || !r || !x || !scratch) return DYN_ERR_NULL;
    if (n < 1 || n > DYN_LA_MAX_KRON_N) return DYN_ERR_SIZE;
    if (scratch_len < dyn_la_kron_scratch_doubles(n)) return DYN_ERR_BUFFER;
    if (bad(eps) || any_bad(a, sq(n)) || any_bad(r, sq(n))) return DYN_ERR_NAN;
    if (eps < 0.0) return DYN_ERR_RANGE;
    int m = n * n;
    double *M = scratch, *b = M + (size_t)m * m, big = 0.0;
    /* row (i, j) of vec X (row-major): (A X)_ij + (X A^T)_ij - eps (A X A^T)_ij */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double *row = M + (size_t)(i * n + j) * m;
            for (int k = 0; k < n; k++)
                for (int l = 0; l < n; l++) {
                    double e = (j == l ? a[(size_t)i * n + k] : 0.0) + (i == k ? a[(size_t)j * n + l] : 0.0) -
                               eps * a[(size_t)i * n + k] * a[(size_t)j * n + l];
                    row[k * n + l] = e;
                    big = fmax(big, fabs(e));
                }
            b[i * n + j] = r[(size_t)i * n + j];
        }
    for (int c = 0; c < m; c++) { /* Gaussian elimination, partial pivoting */
        int p = c;
        for (int i = c + 1; i < m; i++)
            if (fabs(M[(size_t)i * m + c]) > fabs(M[(size_t)p * m + c])) p = i;
        if (!(fabs(M[(size_t)p * m + c]) > 1e-13 * big)) return DYN_ERR_NO_SOLUTION;
        if (p != c) {
            for (int k = 0; k < m; k++) {
                double t = M[(size_t)p * m + k];
                M[(size_t)p * m + k] = M[(size_t)c * m + k];
                M[(size_t)c * m + k] = t;
            }
            double t = b[p];
            b[p] = b[c];
            b[c] = t;
        }
        double piv = M[(size_t)c * m + c];
        for (int i = c + 1; i < m; i++) {
            double f = M[(size_t)i * m + c] / piv;
            if (f == 0.0) continue;
            for (int k = c; k < m; k++) M[(size_t)i * m + k] -= f * M[(size_t)c * m + k];
            b[i] -= f * b[c];
        }
    }
    for (int i = m - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < m; k++) s -= M[(size_t)i * m + k] * x[k];
        x[i] = s / M[(size_t)i * m + i];
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ distances between Gaussians */

dyn_status dyn_la_gauss_kl(int n, const double *m0, const double *s0, const double *m1, const double *s1,
                           double *kl, double *scratch, size_t scratch_len)
{
    if (!m0 || !s0 || !m1 || !s1 || !kl || !scratch) return DYN_ERR_NULL;
    if (!n_ok(n)) return DYN_ERR_SIZE;
    if (scratch_len < dyn_la_scratch_doubles(n)) return DYN_ERR_BUFFER;
    if (any_bad(m0, (size_t)n) || any_bad(m1, (size_t)n)) return DYN_ERR_NAN;
    double *l1 = scratch, *l0 = l1 + sq(n), *t = l0 + sq(n), *dm = t + sq(n);
    dyn_status s = dyn_la_cholesky(n, s1, l1, NULL);
    if (s) return s;
    if ((s = dyn_la_cholesky(n, s0, l0, NULL))) return s;
    dyn_la_chol_solve(n, l1, n, s0, t); /* S1^{-1} S0 */
    double tr = 0.0, q = 0.0;
    for (int i = 0; i < n; i++) tr += t[(size_t)i * n + i];
    for (int i = 0; i < n; i++) dm[i] = m1[i] - m0[i];
    dyn_la_chol_solve(n, l1, 1, dm, dm + n);
    for (int i = 0; i < n; i++) q += (m1[i] - m0[i]) * dm[n + i];
    double v = 0.5 * (tr + q - n + dyn_la_chol_logdet(n, l1) - dyn_la_chol_logdet(n, l0));
    *kl = v > 0.0 ? v : 0.0; /* round-off can make an exact 0 slightly negative */
    return DYN_OK;
}

dyn_status dyn_la_gauss_w2(int n, const double *m0, const double *s0, const double *m1, const double *s1,
                           double *w2, double *scratch, size_t scratch_len)
{
    if (!m0 || !s0 || !m1 || !s1 || !w2 || !scratch) return DYN_ERR_NULL;
    if (!n_ok(n)) return DYN_ERR_SIZE;
    if (scratch_len < dyn_la_scratch_doubles(n)) return DYN_ERR_BUFFER;
    if (any_bad(m0, (size_t)n) || any_bad(m1, (size_t)n) || any_bad(s0, sq(n))) return DYN_ERR_NAN;
    /* layout: rt | t | mm (n^2 each), then 3 n^2 + n for dyn_la_sym_sqrt, reused by the eigenvalues */
    double *rt = scratch, *t = rt + sq(n), *mm = t + sq(n), *rest = mm + sq(n);
    dyn_status s = dyn_la_sym_sqrt(n, s1, rt, rest, 3 * sq(n) + (size_t)n);
    if (s) return s;
    dyn_la_mul(n, n, n, rt, s0, t);
    dyn_la_mul(n, n, n, t, rt, mm);
    double *w = rest;
    if ((s = dyn_la_sym_eig(n, mm, w, NULL, rest + n, 2 * sq(n)))) return s;
    double big = fmax(fabs(w[0]), fabs(w[n - 1]));
    if (w[0] < -1e-12 * big) return DYN_ERR_RANGE;
    double tr = 0.0, d2 = 0.0;
    for (int i = 0; i < n; i++) {
        tr += s0[(size_t)i * n + i] + s1[(size_t)i * n + i] - 2.0 * (w[i] > 0.0 ? sqrt(w[i]) : 0.0);
        d2 += (m0[i] - m1[i]) * (m0[i] - m1[i]);
    }
    *w2 = sqrt(fmax(0.0, d2 + tr));
    return DYN_OK;
}
