/* test_isometry.c - the isometry module against closed forms (Fuss-Catalan, Marchenko-Pastur, Haar moments),
 * exact identities of orthogonal nets, an independent eigen-solver, and Monte Carlo within its error. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "isometry.h"
#include "linalg.h"

#define PI 3.14159265358979323846

static dyn_mf *make_mf(dyn_act a)
{
    dyn_mf_desc d = {a, 0};
    size_t b = dyn_mf_workspace_bytes(&d);
    dyn_mf *m = malloc(sizeof *m + b);
    if (!m || dyn_mf_init(m, &d, m + 1, b)) {
        printf("FAIL: mean-field set-up\n");
        exit(1);
    }
    return m;
}

/* ---------------------------------------------------------------- Haar matrices */
static void test_haar(void)
{
    dyn_rng r;
    dyn_rng_seed(&r, 7);
    int sizes[] = {1, 2, 7, 64};
    for (int t = 0; t < 4; t++) {
        int n = sizes[t];
        double *q = malloc(sizeof(double) * n * n), *s = malloc(sizeof(double) * (n * n + 2 * n));
        CHECK(dyn_iso_haar(&r, n, q, s, n * n + 2 * n) == DYN_OK, "haar n=%d", n);
        double err = 0.0; /* Q Q^T = I */
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double d = 0.0;
                for (int k = 0; k < n; k++) d += q[i * n + k] * q[j * n + k];
                err = fmax(err, fabs(d - (i == j)));
            }
        CHECK(err < 1e-13, "Q Q^T = I at n = %d: error %g", n, err);
        free(q);
        free(s);
    }
    /* Haar moments (Diaconis and Shahshahani 1994): for Q Haar on O(n), n >= 2, E tr Q = 0 and E (tr Q)^2 = 1;
     * E Q_11^2 = 1/n. Without the sign fix Householder's Q has E tr Q far from 0 (its diagonal is biased). */
    int n = 3, m = 20000;
    double q[9], s[15], t1 = 0.0, t2 = 0.0, q11 = 0.0, t4 = 0.0;
    for (int k = 0; k < m; k++) {
        dyn_iso_haar(&r, n, q, s, 15);
        double tr = q[0] + q[4] + q[8];
        t1 += tr, t2 += tr * tr, t4 += tr * tr * tr * tr, q11 += q[0] * q[0];
    }
    t1 /= m, t2 /= m, t4 /= m, q11 /= m;
    /* sd(tr Q) = 1, sd((tr Q)^2) = sqrt(E tr^4 - 1); E (tr Q)^4 = 3 for n >= 4, and the sample's own is used */
    CHECK(fabs(t1) < 4.0 / sqrt(m), "E tr Q = 0: got %g (se %g)", t1, 1.0 / sqrt(m));
    CHECK(fabs(t2 - 1.0) < 4.0 * sqrt((t4 - 1.0) / m), "E (tr Q)^2 = 1: got %g", t2);
    CHECK(fabs(q11 - 1.0 / 3) < 4.0 * sqrt(0.2 / m), "E Q_11^2 = 1/3: got %g", q11); /* Beta(1/2, 1): var 2/15 */
    CHECK(dyn_iso_haar(&r, 3, q, s, 14) == DYN_ERR_BUFFER, "haar scratch too small");
    CHECK(dyn_iso_haar(&r, 0, q, s, 15) == DYN_ERR_SIZE, "haar n = 0");
    CHECK(dyn_iso_haar(NULL, 3, q, s, 15) == DYN_ERR_NULL, "haar NULL");
}

/* ---------------------------------------------------------------- the eigen-solver against linalg's Jacobi */
static void test_eigvals(void)
{
    dyn_rng r;
    dyn_rng_seed(&r, 3);
    int sizes[] = {1, 2, 3, 17, 120};
    for (int t = 0; t < 5; t++) {
        int n = sizes[t];
        double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n);
        double *w1 = malloc(sizeof(double) * n), *w2 = malloc(sizeof(double) * n);
        size_t sl = dyn_la_scratch_doubles(n);
        double *sc = malloc(sizeof(double) * (sl > 3 * (size_t)n ? sl : 3 * (size_t)n));
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = dyn_rng_normal(&r);
        if (n == 17) a[5 * n + 5] = a[6 * n + 6] = 0.0, a[5 * n + 6] = a[6 * n + 5] = 0.0; /* a zero subdiagonal */
        memcpy(b, a, sizeof(double) * n * n);
        CHECK(dyn_la_sym_eig(n, a, w1, NULL, sc, sl) == DYN_OK, "jacobi n=%d", n);
        CHECK(dyn_iso_sym_eigvals(n, b, w2, sc, 3 * (size_t)n) == DYN_OK, "tridiagonal QL n=%d", n);
        double d = maxabs_diff(w1, w2, n), m = maxabs(w1, n);
        CHECK(d <= 1e-13 * m, "eigenvalues at n = %d: differ by %g of %g", n, d, m);
        free(a), free(b), free(w1), free(w2), free(sc);
    }
    /* strongly graded: Q diag(1e-40 .. 1) Q^T, like the Gram matrix of a deep Gaussian net's Jacobian (depth 64 at
     * the tanh critical point); the relative deflation test alone never converged on it. Expected: every eigenvalue
     * within a few eps of the largest (the accuracy of any backward-stable solver), and their sum the trace. */
    {
        int n = 128;
        double *q = malloc(sizeof(double) * n * n), *g = malloc(sizeof(double) * n * n);
        double *w = malloc(sizeof(double) * n), *sc = malloc(sizeof(double) * (n * n + 2 * n));
        CHECK(dyn_iso_haar(&r, n, q, sc, n * n + 2 * (size_t)n) == DYN_OK, "haar for the graded matrix");
        double tr = 0.0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double v = 0.0;
                for (int k = 0; k < n; k++) v += q[i * n + k] * pow(10.0, -40.0 * k / (n - 1)) * q[j * n + k];
                g[i * n + j] = v;
                if (i == j) tr += v;
            }
        CHECK(dyn_iso_sym_eigvals(n, g, w, sc, 3 * (size_t)n) == DYN_OK, "graded eigenvalues converge");
        double worst = 0.0, sum = 0.0;
        for (int k = 0; k < n; k++) {
            worst = fmax(worst, fabs(w[k] - pow(10.0, -40.0 * (n - 1 - k) / (n - 1))));
            sum += w[k];
        }
        CHECK(worst <= 1e-13 && fabs(sum - tr) <= 1e-13, "graded eigenvalues: worst error %g, sum %g vs trace %g",
              worst, sum, tr);
        free(q), free(g), free(w), free(sc);
    }
    double a[4] = {1, NAN, NAN, 1}, w[2], s[6];
    CHECK(dyn_iso_sym_eigvals(2, a, w, s, 6) == DYN_ERR_NAN, "eigvals NaN");
    CHECK(dyn_iso_sym_eigvals(2, a, w, s, 5) == DYN_ERR_BUFFER, "eigvals scratch");
}

/* ---------------------------------------------------------------- theory: moments of phi'^2 */
static void test_theory(void)
{
    dyn_mf *lin = make_mf(DYN_ACT_LINEAR), *erfm = make_mf(DYN_ACT_ERF), *th_ = make_mf(DYN_ACT_TANH);
    dyn_mf *ht = make_mf(DYN_ACT_HARD_TANH), *relu = make_mf(DYN_ACT_RELU);
    dyn_iso_theory th;
    /* linear Gaussian: mean sw2^L, relative variance L (the Fuss-Catalan m_2 = L + 1 at sw2 = 1) */
    dyn_iso_desc d = {.depth = 7, .sw2 = 1.3};
    CHECK(dyn_iso_theory_at(lin, &d, &th) == DYN_OK, "linear theory");
    CHECK_NEAR(th.log_m1, 7 * log(1.3), 1e-15, 0, "linear log m1");
    CHECK_NEAR(th.rel_var, 7.0, 1e-15, 0, "linear Gaussian rel var = L");
    d.orthogonal = 1;
    dyn_iso_theory_at(lin, &d, &th);
    CHECK_NEAR(th.rel_var, 0.0, 0, 1e-15, "linear orthogonal rel var = 0");
    CHECK(!th.isometric, "sw2 = 1.3 at depth 7 is not isometric (mean 6.3)");
    d.sw2 = 1.0;
    dyn_iso_theory_at(lin, &d, &th);
    CHECK(th.isometric, "orthogonal linear at sw2 = 1 is isometric");
    /* erf: E[phi'^(2k)] = (4/pi)^k / sqrt(1 + 4 k q) (a Gaussian integral of exp(-2k q z^2)) */
    dyn_iso_desc de = {.depth = 5, .sw2 = 2.0, .sb2 = 0.3};
    CHECK(dyn_iso_theory_at(erfm, &de, &th) == DYN_OK, "erf theory");
    CHECK_NEAR(th.mu1, (4 / PI) / sqrt(1 + 4 * th.q), 1e-13, 0, "erf mu1 closed form");
    CHECK_NEAR(th.mu2, (16 / (PI * PI)) / sqrt(1 + 8 * th.q), 1e-13, 0, "erf mu2 closed form");
    dyn_mf_point pt;
    dyn_mf_solve(erfm, 2.0, 0.3, &pt);
    CHECK_NEAR(th.q, pt.q_star, 0, 0, "q = q* from meanfield");
    /* tanh: chi_1 from the meanfield module's own quadrature; critical sw2 by default */
    dyn_iso_desc dt = {.depth = 10, .sb2 = 0.05};
    CHECK(dyn_iso_theory_at(th_, &dt, &th) == DYN_OK, "tanh theory");
    CHECK_NEAR(th.sw2, 1.7609546396067406, 1e-9, 0, "default sw2 is critical (tanh, 0.05; README value)");
    CHECK_NEAR(th.chi1, 1.0, 1e-10, 0, "chi1 = 1 at the critical point");
    dt.sw2 = 1.5;
    dyn_iso_theory_at(th_, &dt, &th);
    dyn_mf_solve(th_, 1.5, 0.05, &pt);
    CHECK_NEAR(th.chi1, pt.chi1, 1e-11, 0, "tanh chi1 = meanfield chi1");
    /* hard tanh: phi'^2 is Bernoulli(P(|h| < 1)) */
    dyn_iso_desc dh = {.depth = 3, .sw2 = 1.2, .sb2 = 0.1};
    dyn_iso_theory_at(ht, &dh, &th);
    CHECK_NEAR(th.mu1, erf(1 / sqrt(2 * th.q)), 1e-15, 0, "hard tanh mu1");
    CHECK_NEAR(th.p_atom, 1 - th.mu1, 1e-15, 0, "hard tanh atom");
    /* ReLU: half the units off at any q; q = 1 when q* = 0 */
    dyn_iso_desc dr = {.depth = 4, .sw2 = 2.0};
    CHECK(dyn_iso_theory_at(relu, &dr, &th) == DYN_OK && th.q == 1.0 && th.mu1 == 0.5 && th.chi1 == 1.0,
          "relu at (2, 0): q %g mu1 %g", th.q, th.mu1);
    CHECK_NEAR(th.rel_var, 4 * (2.0 - 1.0 + 1.0), 1e-15, 0, "relu Gaussian rel var L (mu2/mu1^2 - 1 + 1) = 2L");
    /* validation */
    dyn_iso_desc bad = {.sw2 = NAN};
    CHECK(dyn_iso_theory_at(th_, &bad, &th) == DYN_ERR_NAN, "NaN sw2");
    bad.sw2 = -1;
    CHECK(dyn_iso_theory_at(th_, &bad, &th) == DYN_ERR_RANGE, "negative sw2");
    bad.sw2 = 1, bad.sb2 = -0.1;
    CHECK(dyn_iso_theory_at(th_, &bad, &th) == DYN_ERR_RANGE, "negative sb2");
    bad.sb2 = 0, bad.width = 1;
    CHECK(dyn_iso_theory_at(th_, &bad, &th) == DYN_ERR_SIZE, "width 1");
    bad.width = DYN_ISO_MAX_WIDTH + 1;
    CHECK(dyn_iso_theory_at(th_, &bad, &th) == DYN_ERR_SIZE, "width too large");
    bad.width = 0, bad.depth = -1;
    CHECK(dyn_iso_theory_at(th_, &bad, &th) == DYN_ERR_SIZE, "negative depth");
    dyn_iso_desc relu_crit = {.sb2 = 0.1};
    CHECK(dyn_iso_theory_at(relu, &relu_crit, &th) == DYN_ERR_NO_SOLUTION, "relu has no critical sw2 at sb2 > 0");
    CHECK(dyn_iso_theory_at(NULL, &d, &th) == DYN_ERR_NULL, "NULL mf");
    free(lin), free(erfm), free(th_), free(ht), free(relu);
}

/* ---------------------------------------------------------------- theory: densities */

/* Fuss-Catalan density of order s (the linear Gaussian net of depth s), parametrised by phi in (0, pi/(s+1))
 * (Haagerup and Moller 2012; Neuschel 2014): x = sin^(s+1)((s+1) phi) / (sin phi sin^s(s phi)),
 * rho = sin^2 phi sin^(s-1)(s phi) / (pi sin^s((s+1) phi)). At s = 1 it is Marchenko-Pastur. */
static void fuss_catalan(int s, double phi, double *x, double *rho)
{
    *x = pow(sin((s + 1) * phi), s + 1) / (sin(phi) * pow(sin(s * phi), s));
    *rho = sin(phi) * sin(phi) * pow(sin(s * phi), s - 1) / (PI * pow(sin((s + 1) * phi), s));
}

static double rho_at(const dyn_mf *mf, const dyn_iso_theory *th, double x)
{
    double r;
    dyn_iso_density(mf, th, &x, 1, &r);
    return r;
}

/* integral of x^k rho(x) dx over (xlo, edge): the upper edge of the support is found by bisection, then
 * Gauss-Legendre panels in u = ln x up to edge/2 and in t with x = edge - t^2 above it, where the square-root
 * edge becomes smooth */
static double density_moment(const dyn_mf *mf, const dyn_iso_theory *th, int k, double xlo, double xhi, int panels)
{
    double lo = xlo, hi = xhi;
    for (int i = 1; i <= 40; i++) { /* the last point of a log grid with mass */
        double x = exp(log(xlo) + i * (log(xhi) - log(xlo)) / 40);
        if (rho_at(mf, th, x) > 1e-9) lo = x;
    }
    hi = fmin(xhi, lo * exp((log(xhi) - log(xlo)) / 40));
    for (int i = 0; i < 30; i++) {
        double m = 0.5 * (lo + hi);
        if (rho_at(mf, th, m) > 1e-9) lo = m; else hi = m;
    }
    double edge = hi, gx[8], gw[8], acc = 0.0, a = log(xlo), h = (log(0.5 * edge) - a) / panels;
    dyn_quad_legendre(8, gx, gw);
    for (int p = 0; p < panels; p++)
        for (int i = 0; i < 8; i++) {
            double x = exp(a + h * (p + 0.5 + 0.5 * gx[i]));
            acc += 0.5 * h * gw[i] * pow(x, k + 1) * rho_at(mf, th, x);
        }
    double tmax = sqrt(0.5 * edge), ht = tmax / panels;
    for (int p = 0; p < panels; p++)
        for (int i = 0; i < 8; i++) {
            double t = ht * (p + 0.5 + 0.5 * gx[i]), x = edge - t * t;
            acc += 0.5 * ht * gw[i] * 2.0 * t * pow(x, k) * rho_at(mf, th, x);
        }
    return acc;
}

static void test_density(void)
{
    dyn_mf *lin = make_mf(DYN_ACT_LINEAR);
    dyn_iso_theory th;
    int depths[] = {1, 2, 5, 20};
    for (int t = 0; t < 4; t++) {
        int s = depths[t];
        dyn_iso_desc d = {.depth = s, .sw2 = 1.0};
        dyn_iso_theory_at(lin, &d, &th);
        double worst = 0.0;
        for (int i = 1; i < 20; i++) {
            double x, want, got;
            fuss_catalan(s, i * PI / (s + 1) / 20.0, &x, &want);
            CHECK(dyn_iso_density(lin, &th, &x, 1, &got) == DYN_OK, "density call");
            worst = fmax(worst, fabs(got - want) / want);
        }
        CHECK(worst < 1e-9, "Fuss-Catalan density at L = %d: worst relative error %g", s, worst);
    }
    /* the density's own moments against the S-transform's: m1 = 1, m2 = 1 + rel_var (integrated over (1e-9, 1e3);
     * the continuous part only: an atom at 0 adds nothing to x and x^2) */
    struct { dyn_act act; int orth, L; double sw2, sb2, xmax; } cases[] = {
        {DYN_ACT_HARD_TANH, 0, 4, 0, 0.1, 200}, {DYN_ACT_HARD_TANH, 1, 8, 0, 0.1, 200}, {DYN_ACT_RELU, 1, 3, 2, 0, 200},
        {DYN_ACT_TANH, 1, 4, 0, 0.05, 200}};
    for (int c = 0; c < 4; c++) {
        dyn_mf *mf = make_mf(cases[c].act);
        dyn_iso_desc d = {.depth = cases[c].L, .orthogonal = cases[c].orth, .sw2 = cases[c].sw2, .sb2 = cases[c].sb2};
        dyn_iso_theory_at(mf, &d, &th);
        int panels = cases[c].act == DYN_ACT_TANH ? 12 : 60;
        double xlo = cases[c].act == DYN_ACT_TANH ? 1e-5 : 1e-9; /* tanh: x^2 rho below 1e-5 is below 1e-8 */
        double m1 = density_moment(mf, &th, 1, xlo, cases[c].xmax, panels);
        double m2 = density_moment(mf, &th, 2, xlo, cases[c].xmax, panels);
        double tol = cases[c].act == DYN_ACT_TANH ? 1e-4 : 1e-5; /* tanh: 12 panels (each point costs ms) */
        CHECK_NEAR(m1, 1.0, tol, 0, "density mean (S-transform: 1)");
        CHECK_NEAR(m2, 1.0 + th.rel_var, tol, 0, "density second moment (S-transform: 1 + L(mu2/mu1^2 - 1 - s1))");
        free(mf);
    }
    /* orthogonal linear: a delta at 1, no continuous part */
    dyn_iso_desc d = {.depth = 6, .orthogonal = 1, .sw2 = 1.0};
    dyn_iso_theory_at(lin, &d, &th);
    double xs[3] = {0.5, 0.99, 2.0}, rho[3];
    dyn_iso_density(lin, &th, xs, 3, rho);
    CHECK(maxabs(rho, 3) < 1e-8, "orthogonal linear density is 0 off x = 1: %g", maxabs(rho, 3));
    double xb = 0.0;
    CHECK(dyn_iso_density(lin, &th, &xb, 1, rho) == DYN_ERR_RANGE, "density at x = 0");
    xb = NAN;
    CHECK(dyn_iso_density(lin, &th, &xb, 1, rho) == DYN_ERR_NAN, "density at NaN");
    free(lin);
}

/* ---------------------------------------------------------------- sampled spectra */
static void spectrum(const dyn_mf *mf, dyn_iso_desc *d, double **nu, double *ls, dyn_iso_summary *sm)
{
    size_t sl = dyn_iso_spectrum_scratch_doubles(d), n = (size_t)d->width * d->nets;
    double *sc = malloc(sizeof(double) * sl);
    *nu = malloc(sizeof(double) * n);
    CHECK(dyn_iso_spectrum(mf, d, *nu, n, ls, sc, sl) == DYN_OK, "spectrum");
    double *s2 = malloc(sizeof(double) * n);
    CHECK(dyn_iso_summarize(*nu, ls, d->width, d->nets, s2, n, sm) == DYN_OK, "summarize");
    free(sc), free(s2);
}

static void test_spectrum(void)
{
    dyn_mf *lin = make_mf(DYN_ACT_LINEAR), *tanh_ = make_mf(DYN_ACT_TANH);
    double *nu, ls[16];
    dyn_iso_summary sm;
    /* orthogonal linear: J = sw2^(L/2) Q_L..Q_1, every squared singular value exactly sw2^L */
    dyn_iso_desc d = {.width = 40, .depth = 12, .nets = 2, .orthogonal = 1, .sw2 = 2.0, .seed = 5};
    spectrum(lin, &d, &nu, ls, &sm);
    double worst = 0.0;
    for (int i = 0; i < 80; i++) worst = fmax(worst, fabs(nu[i] * exp(ls[i / 40]) / pow(2.0, 12) - 1.0));
    CHECK(worst < 1e-12, "orthogonal linear: lambda = sw2^L to %g", worst);
    CHECK_NEAR(sm.log_m1, 12 * log(2.0), 1e-13, 0, "orthogonal linear log m1");
    CHECK(fabs(sm.rel_var) < 1e-12 && fabs(sm.log_q[0] - sm.log_q[8]) < 1e-12, "orthogonal linear: no spread");
    free(nu);
    /* linear Gaussian: E m1 = 1 exactly, E m2 = (L + 1) + O(L^2 / N) (Fuss-Catalan at N = infinity) */
    dyn_iso_desc g = {.width = 200, .depth = 3, .nets = 6, .sw2 = 1.0, .seed = 11};
    spectrum(lin, &g, &nu, ls, &sm);
    CHECK(fabs(sm.log_m1) < 4 * sm.se_log_m1 + 1e-3, "Gaussian linear log m1 = 0: %g (se %g)", sm.log_m1,
          sm.se_log_m1);
    CHECK(fabs(sm.rel_var - 3.0) < 4 * sm.se_rel_var + 6.0 / 200, "Gaussian linear rel var = L: %g (se %g)",
          sm.rel_var, sm.se_rel_var);
    free(nu);
    /* tanh at the critical point, Gaussian and orthogonal, against the S-transform's moments */
    for (int o = 0; o < 2; o++) {
        dyn_iso_desc t = {.width = 200, .depth = 6, .nets = 6, .orthogonal = o, .sb2 = 0.05, .seed = 13};
        dyn_iso_theory th;
        dyn_iso_theory_at(tanh_, &t, &th);
        spectrum(tanh_, &t, &nu, ls, &sm);
        CHECK(fabs(sm.log_m1 - th.log_m1) < 4 * sm.se_log_m1 + 0.02, "tanh log m1 (%s): %g vs %g (se %g)",
              o ? "orth" : "gauss", sm.log_m1, th.log_m1, sm.se_log_m1);
        CHECK(fabs(sm.rel_var - th.rel_var) < 4 * sm.se_rel_var + 0.05 * th.rel_var, "tanh rel var (%s): %g vs %g",
              o ? "orth" : "gauss", sm.rel_var, th.rel_var);
        free(nu);
    }
    /* depth 3000 at sw2 = 4: lambda ~ 4^3000 overflows a double; the log scale does not. Per layer ln |J|^2/N grows
     * by ln 4 + psi(N/2) + ln(2/N) on average (Lyapunov exponent of Gaussian products: 1.2561 at N = 8). */
    dyn_iso_desc deep = {.width = 8, .depth = 3000, .nets = 1, .sw2 = 4.0, .seed = 1};
    spectrum(lin, &deep, &nu, ls, &sm);
    CHECK(isfinite(sm.log_m1) && sm.log_m1 > 3000 * 1.1 && sm.log_m1 < 3000 * 1.4,
          "deep net log m1 = %g (about 3000 x 1.256)", sm.log_m1);
    free(nu);
    /* work bound and buffers */
    dyn_iso_desc huge = {.width = 2048, .depth = 10000, .sw2 = 1};
    size_t sl = dyn_iso_spectrum_scratch_doubles(&huge);
    CHECK(dyn_iso_work(&huge, 0) > DYN_ISO_MAX_WORK, "the work estimate exceeds the bound");
    double one[4];
    CHECK(dyn_iso_spectrum(lin, &huge, one, 4, one, one, sl) == DYN_ERR_SIZE, "too much work is refused");
    dyn_iso_desc small = {.width = 4, .depth = 2, .sw2 = 1};
    double s4[4 * 16 + 32], n4[4], l4[1];
    CHECK(dyn_iso_spectrum(lin, &small, n4, 3, l4, s4, 96) == DYN_ERR_BUFFER, "nu too small");
    CHECK(dyn_iso_spectrum(lin, &small, n4, 4, l4, s4, 95) == DYN_ERR_BUFFER, "scratch too small");
    CHECK(dyn_iso_spectrum(lin, &small, n4, 4, l4, s4, 96) == DYN_OK, "small spectrum");
    free(lin), free(tanh_);
}

/* ---------------------------------------------------------------- gradients over depth */
static void test_gradients(void)
{
    dyn_mf *lin = make_mf(DYN_ACT_LINEAR), *tanh_ = make_mf(DYN_ACT_TANH);
    /* orthogonal linear: |W^T g|^2 = sw2 |g|^2 exactly, so the ratio is sw2^(L - l) to round-off */
    dyn_iso_desc d = {.width = 30, .depth = 10, .nets = 2, .orthogonal = 1, .sw2 = 1.7, .seed = 2};
    size_t sl = dyn_iso_gradients_scratch_doubles(&d);
    double *sc = malloc(sizeof(double) * sl), ratio[2 * 11];
    CHECK(dyn_iso_gradients(lin, &d, ratio, 22, sc, sl) == DYN_OK, "gradients");
    double worst = 0.0;
    for (int k = 0; k < 2; k++)
        for (int l = 1; l <= 10; l++) worst = fmax(worst, fabs(ratio[k * 11 + l] / pow(1.7, 10 - l) - 1.0));
    CHECK(worst < 1e-12, "orthogonal linear gradient ratio = sw2^(L-l): worst %g", worst);
    CHECK(isnan(ratio[0]), "index 0 unused");
    CHECK(dyn_iso_gradients(lin, &d, ratio, 21, sc, sl) == DYN_ERR_BUFFER, "ratio too small");
    free(sc);
    /* tanh off criticality, Gaussian: E |g^l|^2 / |g^L|^2 ~ chi_1^(L-l) (mean field); 24 nets of width 150 */
    dyn_iso_desc t = {.width = 150, .depth = 12, .nets = 24, .sw2 = 1.2, .sb2 = 0.05, .seed = 9};
    dyn_iso_theory th;
    dyn_iso_theory_at(tanh_, &t, &th);
    sl = dyn_iso_gradients_scratch_doubles(&t);
    sc = malloc(sizeof(double) * sl);
    double *r = malloc(sizeof(double) * 24 * 13);
    dyn_iso_gradients(tanh_, &t, r, 24 * 13, sc, sl);
    for (int l = 1; l <= 11; l += 5) {
        double m = 0.0, m2 = 0.0;
        for (int k = 0; k < 24; k++) m += r[k * 13 + l], m2 += r[k * 13 + l] * r[k * 13 + l];
        m /= 24;
        double se = sqrt((m2 / 24 - m * m) / 23), want = pow(th.chi1, 12 - l);
        CHECK(fabs(m - want) < 4 * se + 0.03 * want, "tanh gradient ratio at l = %d: %g vs chi1^(L-l) = %g (se %g)",
              l, m, want, se);
    }
    free(sc), free(r), free(lin), free(tanh_);
}

/* ---------------------------------------------------------------- trainability cells */
static void test_trainability(void)
{
    /* orthogonal init: a square layer's W W^T = sw2 I exactly; a narrowing layer (8 -> 3) has orthonormal rows times
     * sqrt(sw2), a widening one (2 -> 8) orthonormal columns times sqrt(sw2 * 8 / 2) */
    dyn_net net;
    dyn_net_desc nd = {2, 3, 2, 8, NULL, DYN_ACT_TANH, 0, DYN_LOSS_XENT};
    CHECK(dyn_net_init(&net, &nd) == DYN_OK, "net");
    double theta[200], sc[2 * 64 + 16];
    CHECK(net.n_params <= 200, "P = %ld", net.n_params);
    CHECK(dyn_iso_init_params(&net, 1.5, 0.1, 1, 3, theta, 200, sc, sizeof sc / sizeof sc[0]) == DYN_OK, "orth init");
    double worst = 0.0;
    for (int l = 1; l <= 3; l++) {
        int no = net.dim[l], ni = net.dim[l - 1];
        const double *w = theta + net.w_off[l];
        int rows = no <= ni; /* rows orthonormal, else columns */
        int k = rows ? no : ni;
        double scale = 1.5 * (no > ni ? (double)no / ni : 1.0);
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++) {
                double d = 0.0;
                for (int t = 0; t < (rows ? ni : no); t++)
                    d += rows ? w[a * ni + t] * w[b * ni + t] : w[t * ni + a] * w[t * ni + b];
                worst = fmax(worst, fabs(d - (a == b) * scale));
            }
    }
    CHECK(worst < 1e-13, "orthogonal layers: W W^T (or W^T W) = scale I to %g", worst);
    CHECK(dyn_iso_init_params(&net, 1.5, 0.1, 1, 3, theta, 200, sc, 20) == DYN_ERR_BUFFER, "orth init scratch");
    double g1[200], g2[200];
    dyn_iso_init_params(&net, 1.5, 0.1, 0, 3, g1, 200, NULL, 0);
    dyn_net_init_params(&net, 1.5, 0.1, 3, g2, 200);
    CHECK(memcmp(g1, g2, sizeof(double) * net.n_params) == 0, "Gaussian init is dyn_net_init_params");

    /* one cell on a separable toy set: a shallow net near the critical line learns it; the same cell twice gives
     * the same bits; a huge step diverges and scores chance */
    double x[2 * 200], y[200];
    int nc;
    dyn_toy_desc td = {DYN_TOY_BLOBS, 200, 2, 0.2, 4};
    dyn_data_toy(&td, x, 400, y, 200, &nc);
    dyn_data data = {200, 2, x, y, nc};
    dyn_iso_train_desc t = {.width = 16, .steps = 200, .batch = 20, .lr = 0.05, .sb2 = 0.05, .seed = 1};
    size_t bytes = dyn_iso_cell_bytes(&t, &data, 3);
    void *mem = malloc(bytes);
    double a1 = -1, a2 = -2;
    CHECK(dyn_iso_cell(&t, &data, 3, 1.5, 7, mem, bytes, &a1) == DYN_OK, "cell");
    CHECK(a1 > 0.95, "two separated blobs are learnt: accuracy %g", a1);
    dyn_iso_cell(&t, &data, 3, 1.5, 7, mem, bytes, &a2);
    CHECK(a1 == a2, "a cell is deterministic");
    t.lr = 90.0; /* a linear net with this step overflows within a few steps */
    t.steps = 50;
    t.act = DYN_ACT_LINEAR;
    CHECK(dyn_iso_cell(&t, &data, 3, 4.0, 7, mem, bytes, &a1) == DYN_OK, "diverging cell");
    CHECK(a1 == 0.5, "a diverged cell scores chance, 1/2: %g", a1);
    t.act = DYN_ACT_TANH;
    CHECK(dyn_iso_cell(&t, &data, 3, 1.5, 7, mem, bytes - 8, &a1) == DYN_ERR_BUFFER, "cell memory too small");
    CHECK(dyn_iso_cell(&t, &data, 0, 1.5, 7, mem, bytes, &a1) == DYN_ERR_SIZE, "depth 0");
    CHECK(dyn_iso_cell(&t, &data, 3, NAN, 7, mem, bytes, &a1) == DYN_ERR_NAN, "NaN sw2");
    CHECK(dyn_iso_cell_work(&t, &data, 3) > 0.0, "work estimate");
    free(mem);

    /* shards partition the cells: each cell belongs to exactly one of n shards */
    int ok = 1;
    for (long c = 0; c < 100; c++) {
        int owners = 0;
        for (int k = 1; k <= 7; k++) owners += dyn_iso_shard_owns(c, k, 7);
        ok &= owners == 1;
    }
    CHECK(ok, "shards partition the grid");
    CHECK(!dyn_iso_shard_owns(0, 0, 3) && !dyn_iso_shard_owns(0, 4, 3) && !dyn_iso_shard_owns(-1, 1, 1), "bad shards");
}

int main(void)
{
    test_haar();
    test_eigvals();
    test_theory();
    test_density();
    test_spectrum();
    test_gradients();
    test_trainability();
    return check_summary("test_isometry");
}
