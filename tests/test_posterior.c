/* test_posterior.c - models, exact posteriors, samplers, Lyapunov predictions and diagnostics, each against a closed
 * form, an independent algorithm (sequential conjugate updates, a Kronecker-product solve), finite differences,
 * a finer quadrature, or long runs judged by their Monte Carlo standard errors.
 *
 * How the Monte Carlo tolerances are set: a chain's sample covariance entry is the mean of the products
 * z_t = (x_tj - m_j)(x_tk - m_k), whose standard error is sd(z) / sqrt(ESS(z)) with ESS from Geyer's initial
 * monotone sequence (dyn_post_cov_se). Runs are thinned until ESS is a sizeable fraction of the count, and a run
 * passes when |sample - prediction| <= 4 SE (two-sided p = 6e-5 per entry for a correct prediction), plus any
 * bias the theory knows about (named where it is added). Seeds are fixed, so the outcome is reproducible; the
 * 4 SE margin keeps a change of seed from failing. A prediction is "rejected" when it is more than 8 SE away. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "linalg.h"
#include "posterior.h"

#define SCR 200000
static double SC[SCR];

typedef struct data {
    dyn_post_model m;
    double *x, *y;
} data;

static data make(dyn_post_kind k, int n, int d, uint64_t seed)
{
    data t;
    memset(&t, 0, sizeof t);
    t.m.kind = k;
    t.m.n = n;
    t.m.d = d;
    t.x = malloc(sizeof(double) * (size_t)n * (d ? d : 2));
    t.y = malloc(sizeof(double) * (size_t)n);
    dyn_post_synthesize(&t.m, seed, t.x, (size_t)n * (d ? d : 2), t.y, (size_t)n, NULL);
    t.m.x = t.x;
    t.m.y = k == DYN_POST_MIXTURE ? NULL : t.y;
    return t;
}
static void drop(data *t)
{
    free(t->x);
    free(t->y);
}

/* ---------------------------------------------------------------- exact posteriors */

/* D = 1 by hand: x = (1, 2, 3), y = (1, 1, 2), s2 = 0.5, t2 = 2: precision = 14/0.5 + 1/2 = 28.5,
 * mean = (sum x y / s2) / 28.5 = 18 / 28.5 */
static void test_linreg_by_hand(void)
{
    double x[3] = {1, 2, 3}, y[3] = {1, 1, 2};
    dyn_post_model m = {DYN_POST_LINREG, 3, 1, x, y, 0.5, 2.0, 0};
    double mean, cov, mode, a, bb;
    CHECK(dyn_post_linreg_exact(&m, &mean, &cov, SC, SCR) == DYN_OK, "exact");
    CHECK_NEAR(mean, 18.0 / 28.5, 1e-15, 0, "mean by hand");
    CHECK_NEAR(cov, 1.0 / 28.5, 1e-15, 0, "variance by hand");
    CHECK(dyn_post_optimum(&m, NULL, &mode, &a, &bb, SC, SCR) == DYN_OK, "optimum");
    CHECK_NEAR(mode, mean, 1e-14, 0, "mode = mean");
    CHECK_NEAR(a, 28.5 / 3.0, 1e-14, 0, "A = precision / N");
    /* BB^T = mean of g_i^2 with g_i = x_i (x_i t - y_i)/s2 + t/(N t2) (their mean is 0 at the mode) */
    double want = 0.0;
    for (int i = 0; i < 3; i++) {
        double g = x[i] * (x[i] * mode - y[i]) / 0.5 + mode / (3.0 * 2.0);
        want += g * g / 3.0;
    }
    CHECK_NEAR(bb, want, 1e-13, 0, "BB^T by hand");
    double es;
    dyn_post_eps_star(1, 3, 2, &bb, &es);
    CHECK_NEAR(es, 2.0 * (2.0 / 3.0) * 1.0 / want, 1e-14, 0, "eps* = 2 (S/N) D / Tr BB^T");
}

/* the batch formula against sequential conjugate updating (Kalman / recursive least squares, one example at a
 * time), an independent algorithm */
static void test_linreg_sequential(void)
{
    enum { D = 6, N = 300 };
    data t = make(DYN_POST_LINREG, N, D, 11);
    t.m.noise_var = 0.7;
    t.m.prior_var = 3.0;
    double mean[D], cov[D * D], mu[D] = {0}, sig[D * D] = {0};
    CHECK(dyn_post_linreg_exact(&t.m, mean, cov, SC, SCR) == DYN_OK, "exact D=6");
    for (int j = 0; j < D; j++) sig[j * D + j] = 3.0;
    for (int i = 0; i < N; i++) {
        const double *x = t.x + i * D;
        double sx[D], q = 0.7, r = t.y[i];
        for (int j = 0; j < D; j++) {
            sx[j] = 0.0;
            for (int k = 0; k < D; k++) sx[j] += sig[j * D + k] * x[k];
            q += x[j] * sx[j];
            r -= x[j] * mu[j];
        }
        for (int j = 0; j < D; j++) mu[j] += sx[j] * r / q;
        for (int j = 0; j < D; j++)
            for (int k = 0; k < D; k++) sig[j * D + k] -= sx[j] * sx[k] / q;
    }
    CHECK(maxabs_diff(mean, mu, D) < 1e-11, "mean vs sequential: %g", maxabs_diff(mean, mu, D));
    CHECK(maxabs_diff(cov, sig, D * D) < 1e-13, "cov vs sequential: %g", maxabs_diff(cov, sig, D * D));
    /* the mode and the Laplace covariance (N A)^{-1} are exact for a Gaussian posterior */
    double mode[D], a[D * D], na[D * D], inv[D * D];
    CHECK(dyn_post_optimum(&t.m, NULL, mode, a, NULL, SC, SCR) == DYN_OK, "optimum D=6");
    for (int k = 0; k < D * D; k++) na[k] = N * a[k];
    dyn_la_spd_inverse(D, na, inv, SC, SCR);
    CHECK(maxabs_diff(mode, mean, D) < 1e-12, "mode = mean");
    CHECK(maxabs_diff(inv, cov, D * D) < 1e-15, "(N A)^{-1} = posterior covariance");
    drop(&t);
}

/* gradients and Hessians of all three models by central differences; example gradients average to the gradient */
static void test_derivatives(void)
{
    dyn_post_kind kinds[3] = {DYN_POST_LINREG, DYN_POST_LOGISTIC, DYN_POST_MIXTURE};
    for (int k = 0; k < 3; k++) {
        data t = make(kinds[k], 50, kinds[k] == DYN_POST_MIXTURE ? 0 : 3, 5);
        int d = kinds[k] == DYN_POST_MIXTURE ? 2 : 3;
        double th[3] = {0.3, -0.7, 0.4}, g[3], h[9], gi[3], gs[3] = {0}, h_ = 1e-5;
        dyn_post_grad(&t.m, th, g);
        dyn_post_hessian(&t.m, th, h);
        for (int i = 0; i < 50; i++) {
            dyn_post_example_grad(&t.m, i, th, gi);
            for (int j = 0; j < d; j++) gs[j] += gi[j] / 50.0;
        }
        CHECK(maxabs_diff(gs, g, d) < 1e-14, "%s: mean of example gradients", dyn_post_model_name(kinds[k]));
        for (int j = 0; j < d; j++) {
            double tp[3], tm[3], lp, lm, gp[3], gm[3];
            memcpy(tp, th, sizeof th);
            memcpy(tm, th, sizeof th);
            tp[j] += h_;
            tm[j] -= h_;
            dyn_post_loss(&t.m, tp, &lp);
            dyn_post_loss(&t.m, tm, &lm);
            CHECK_NEAR((lp - lm) / (2 * h_), g[j], 1e-7, 1e-9, "gradient by differences");
            dyn_post_grad(&t.m, tp, gp);
            dyn_post_grad(&t.m, tm, gm);
            for (int i = 0; i < d; i++) CHECK_NEAR((gp[i] - gm[i]) / (2 * h_), h[i * d + j], 1e-7, 1e-9, "Hessian by differences");
        }
        drop(&t);
    }
}

/* 2-D posteriors on grids: the quadrature against the Gaussian closed form and against a finer rule */
static void test_grids(void)
{
    /* linear regression, D = 2: moments and the normaliser have closed forms */
    data t = make(DYN_POST_LINREG, 200, 2, 3);
    double mean[2], cov[4], mode[2], a[4], qm[2], qc[4], lz;
    dyn_post_linreg_exact(&t.m, mean, cov, SC, SCR);
    dyn_post_optimum(&t.m, NULL, mode, a, NULL, SC, SCR);
    dyn_post_box box;
    CHECK(dyn_post_box_auto(&t.m, mode, a, 0, &box) == DYN_OK, "box");
    CHECK(dyn_post_moments2d(&t.m, &box, 0, 0, &lz, qm, qc) == DYN_OK, "moments2d linreg");
    CHECK(maxabs_diff(qm, mean, 2) < 1e-12, "grid mean = exact: %g", maxabs_diff(qm, mean, 2));
    CHECK(maxabs_diff(qc, cov, 4) < 1e-12 * maxabs(cov, 4) * 100, "grid cov = exact: %g", maxabs_diff(qc, cov, 4));
    double L, na[4] = {200 * a[0], 200 * a[1], 200 * a[2], 200 * a[3]};
    dyn_post_loss(&t.m, mode, &L);
    double lz_want = -200 * L + log(2 * 3.14159265358979323846) - 0.5 * log(na[0] * na[3] - na[1] * na[2]);
    CHECK_NEAR(lz, lz_want, 1e-12, 1e-11, "log Z of a Gaussian posterior");
    /* the display grid: exact density = the Gaussian formula, and its Riemann sum is 1 */
    enum { NX = 121, NY = 101 };
    static float g1[NX * NY], g2[NX * NY], tmpf[NX * NY];
    dyn_post_box show = {mean[0] - 5 * sqrt(cov[0]), mean[0] + 5 * sqrt(cov[0]), mean[1] - 5 * sqrt(cov[3]),
                         mean[1] + 5 * sqrt(cov[3])};
    CHECK(dyn_post_density_grid(&t.m, &show, lz, NX, NY, 0, 0, g1, NX * NY) == DYN_OK, "density grid");
    CHECK(dyn_post_gauss_grid(mean, cov, &show, NX, NY, 0, 0, g2, NX * NY) == DYN_OK, "gauss grid");
    double worst = 0.0, peak = 0.0, sum = 0.0;
    for (int i = 0; i < NX * NY; i++) {
        worst = fmax(worst, fabs((double)g1[i] - (double)g2[i]));
        peak = fmax(peak, (double)g2[i]);
        sum += (double)g1[i];
    }
    CHECK(worst < 1e-5 * peak, "density grid = Gaussian formula: %g of the peak", worst / peak);
    double cell = (show.x1 - show.x0) / (NX - 1) * (show.y1 - show.y0) / (NY - 1);
    CHECK_NEAR(sum * cell, 1.0, 1e-4, 0, "density integrates to 1");
    /* row bands compose the whole grid (what a pool of workers does) */
    CHECK(dyn_post_density_grid(&t.m, &show, lz, NX, NY, 40, 70, tmpf, NX * 30) == DYN_OK, "band");
    CHECK(memcmp(tmpf, g1 + 40 * NX, sizeof(float) * NX * 30) == 0, "a band equals the same rows of the full grid");
    /* HPD levels of a Gaussian: P(q <= c) = 1 - exp(-c/2), so the level enclosing p is peak (1 - p) */
    double probs[3] = {0.5, 0.9, 0.99}, lev[3];
    CHECK(dyn_post_hpd_levels(g2, NX * NY, probs, 3, lev, tmpf, NX * NY) == DYN_OK, "hpd");
    for (int k = 0; k < 3; k++) CHECK_NEAR(lev[k], peak * (1.0 - probs[k]), 0.02, peak * 1e-3, "HPD level of a Gaussian");
    drop(&t);

    /* logistic, D = 2: the default rule against a finer one and a wider box: right to far better than 1e-6 */
    data lg = make(DYN_POST_LOGISTIC, 60, 2, 4);
    CHECK(dyn_post_optimum(&lg.m, NULL, mode, a, NULL, SC, SCR) == DYN_OK, "logistic optimum");
    dyn_post_box_auto(&lg.m, mode, a, 0, &box);
    dyn_post_box wide;
    dyn_post_box_auto(&lg.m, mode, a, 14, &wide);
    double m1[2], c1[4], m2[2], c2[4], m3[2], c3[4];
    dyn_post_moments2d(&lg.m, &box, 0, 0, NULL, m1, c1);
    dyn_post_moments2d(&lg.m, &box, 32, 24, NULL, m2, c2);
    dyn_post_moments2d(&lg.m, &wide, 23, 16, NULL, m3, c3); /* the default cell size over a wider window */
    double e1 = fmax(maxabs_diff(m1, m2, 2), maxabs_diff(c1, c2, 4)), e2 = fmax(maxabs_diff(m2, m3, 2), maxabs_diff(c2, c3, 4));
    CHECK(e1 < 1e-9, "logistic moments: default vs finer rule %g", e1);
    CHECK(e2 < 1e-9, "logistic moments: 10 sd vs 14 sd box %g", e2);
    printf("  logistic grid moments: default vs finer %.2g, vs wider box %.2g\n", e1, e2);
    /* a skewed posterior: its mean is not its mode */
    CHECK(maxabs_diff(m1, mode, 2) > 1e-3, "logistic posterior mean != mode (%g)", maxabs_diff(m1, mode, 2));
    drop(&lg);

    /* the mixture: two modes, near (0, 1) and (1, -1) (Welling and Teh 2011, Fig. 1) */
    data mx = make(DYN_POST_MIXTURE, 100, 0, 1);
    CHECK(dyn_post_optimum(&mx.m, NULL, mode, a, NULL, SC, SCR) == DYN_OK, "mixture optimum");
    double other[2] = {mode[0] + mode[1], -mode[1]}, mode2[2], a2[4];
    CHECK(dyn_post_optimum(&mx.m, other, mode2, a2, NULL, SC, SCR) == DYN_OK, "second mode");
    int near1 = fabs(mode[0]) < 0.6 && fabs(mode[1] - 1) < 0.6, near2 = fabs(mode2[0] - 1) < 0.6 && fabs(mode2[1] + 1) < 0.6;
    int swap1 = fabs(mode2[0]) < 0.6 && fabs(mode2[1] - 1) < 0.6, swap2 = fabs(mode[0] - 1) < 0.6 && fabs(mode[1] + 1) < 0.6;
    CHECK((near1 && near2) || (swap1 && swap2), "mixture modes (%g, %g) and (%g, %g)", mode[0], mode[1], mode2[0], mode2[1]);
    CHECK(a[0] * a[3] - a[1] * a[2] > 0 && a2[0] * a2[3] - a2[1] * a2[2] > 0, "both modes are minima of L");
    double l1, l2;
    dyn_post_loss(&mx.m, mode, &l1);
    dyn_post_loss(&mx.m, mode2, &l2);
    CHECK(l1 <= l2 + 1e-15, "the default start finds the global mode");
    dyn_post_box_auto(&mx.m, mode, a, 0, &box);
    CHECK(box.x0 < fmin(mode[0], mode2[0]) && box.x1 > fmax(mode[0], mode2[0]) && box.y0 < fmin(mode[1], mode2[1]) &&
              box.y1 > fmax(mode[1], mode2[1]), "the mixture box holds both modes");
    dyn_post_moments2d(&mx.m, &box, 0, 0, NULL, m1, c1);
    dyn_post_moments2d(&mx.m, &box, 24, 20, NULL, m2, c2);
    CHECK(fmax(maxabs_diff(m1, m2, 2), maxabs_diff(c1, c2, 4)) < 1e-9, "mixture moments converge");
    CHECK(c1[3] > 0.3, "bimodal: theta2 spreads over both modes (var %g)", c1[3]);
    drop(&mx);
}

/* ---------------------------------------------------------------- theory */

static void test_theory(void)
{
    /* commuting A and BB^T (diagonal): S_ii = (eps/S) b_i / (2 lam_i - eps lam_i^2), by hand */
    double a[4] = {2, 0, 0, 0.5}, bb[4] = {3, 0, 0, 1}, cc[4], cd[4];
    dyn_post_sampler_desc sd = {DYN_POST_SGD, 0.1, 4, 0, 0, 0, 0, NULL, NULL, 0};
    CHECK(dyn_post_stationary(&sd, 2, 100, a, bb, cc, cd, SC, SCR) == DYN_OK, "stationary");
    CHECK_NEAR(cd[0], 0.1 / 4 * 3 / (4 - 0.1 * 4), 1e-14, 0, "discrete, by hand");
    CHECK_NEAR(cd[3], 0.1 / 4 * 1 / (1 - 0.1 * 0.25), 1e-14, 0, "discrete, by hand");
    CHECK_NEAR(cc[0], 0.1 / 4 * 3 / 4, 1e-14, 0, "continuous, by hand");
    CHECK(fabs(cd[1]) < 1e-18, "diagonal stays diagonal");
    sd.eps = 1.01; /* eps lam_max = 2.02 */
    CHECK(dyn_post_stationary(&sd, 2, 100, a, bb, cc, cd, SC, SCR) == DYN_ERR_NO_SOLUTION && isnan(cd[0]) && !isnan(cc[0]),
          "unstable step: no discrete covariance, the continuous one still written");

    data t = make(DYN_POST_LINREG, 500, 3, 8);
    double mode[3], A[9], B[9], H[9], c3[9], d3[9], na[9], inv[9];
    dyn_post_optimum(&t.m, NULL, mode, A, B, SC, SCR);
    for (int k = 0; k < 9; k++) na[k] = 500 * A[k];
    dyn_la_spd_inverse(3, na, inv, SC, SCR);
    /* Mandt's preconditioner: the continuous covariance is (N A)^{-1} exactly, for any eps and S */
    double epss[2] = {0.05, 0.3};
    int ss[2] = {5, 50};
    for (int e = 0; e < 2; e++) {
        CHECK(dyn_post_precond_opt(3, 500, ss[e], epss[e], B, H, SC, SCR) == DYN_OK, "H*");
        dyn_post_sampler_desc p = {DYN_POST_SGD_PRECOND, epss[e], ss[e], 0, 0, 0, 0, H, NULL, 0};
        CHECK(dyn_post_stationary(&p, 3, 500, A, B, c3, d3, SC, SCR) == DYN_OK, "precond stationary");
        CHECK(maxabs_diff(c3, inv, 9) < 1e-12 * maxabs(inv, 9), "H*: continuous = (N A)^{-1}: %g", maxabs_diff(c3, inv, 9));
        /* the discrete one, via H^{1/2} A H^{1/2}, against the Kronecker solve with the non-symmetric H A */
        static double K[16 * 16 * 16 * 16 + 256];
        double ha[9], r[9], t1[9], xk[9];
        dyn_la_mul(3, 3, 3, H, A, ha);
        dyn_la_mul(3, 3, 3, H, B, t1);
        dyn_la_mul(3, 3, 3, t1, H, r);
        for (int k = 0; k < 9; k++) r[k] *= epss[e] / ss[e];
        dyn_la_lyap_kron(3, ha, epss[e], r, xk, K, sizeof K / sizeof K[0]);
        CHECK(maxabs_diff(d3, xk, 9) < 1e-11 * maxabs(xk, 9), "precond discrete vs Kronecker: %g", maxabs_diff(d3, xk, 9));
        /* the discrete correction is O(S/N): eps H* A ~ (2 S / N) (BB^T)^{-1} A */
        CHECK(maxabs_diff(d3, inv, 9) < 4.0 * ss[e] / 500 * maxabs(inv, 9), "precond discrete ~ (N A)^{-1}");
    }
    /* SGLD: with no gradient noise the continuous covariance is (N A)^{-1}; the discrete one by the Kronecker solve */
    double zero[9] = {0};
    dyn_post_sampler_desc sg = {DYN_POST_SGLD, 1e-4, 10, 0, 0, 0, 0, NULL, NULL, 0};
    dyn_post_stationary(&sg, 3, 500, A, zero, c3, d3, SC, SCR);
    CHECK(maxabs_diff(c3, inv, 9) < 1e-12 * maxabs(inv, 9), "SGLD without gradient noise: (N A)^{-1}");
    sg.sgld_gamma = 0.55;
    CHECK(dyn_post_stationary(&sg, 3, 500, A, B, c3, d3, SC, SCR) == DYN_ERR_RANGE, "decreasing steps: no stationary law");
    /* momentum: the eigenbasis 4x4 blocks against the Stein equation Z = F Z F^T + G on (delta, v), solved as
     * (I - F) Z + Z (I - F)^T - (I - F) Z (I - F)^T = G by the Kronecker solver */
    double mu = 0.8, eps = 0.1, S = 10;
    dyn_post_sampler_desc mo = {DYN_POST_MOMENTUM, eps, 10, 0, mu, 0, 0, NULL, NULL, 0};
    CHECK(dyn_post_stationary(&mo, 3, 500, A, B, c3, d3, SC, SCR) == DYN_OK, "momentum");
    double imf[36], g[36], z[36];
    static double K2[16 * 16 * 16 * 16 + 256];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double id = i == j, e = eps * A[i * 3 + j];
            double f[4] = {id - e, mu * id, -e, mu * id}; /* F = [[I - eps A, mu I], [-eps A, mu I]] */
            for (int bi = 0; bi < 2; bi++)
                for (int bj = 0; bj < 2; bj++) {
                    imf[(bi * 3 + i) * 6 + bj * 3 + j] = (bi == bj ? id : 0.0) - f[bi * 2 + bj];
                    g[(bi * 3 + i) * 6 + bj * 3 + j] = eps * eps * B[i * 3 + j] / S;
                }
        }
    CHECK(dyn_la_lyap_kron(6, imf, 1.0, g, z, K2, sizeof K2 / sizeof K2[0]) == DYN_OK, "Stein solve");
    double zt[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) zt[i * 3 + j] = z[i * 6 + j];
    CHECK(maxabs_diff(d3, zt, 9) < 1e-11 * maxabs(zt, 9), "momentum discrete vs Stein/Kronecker: %g", maxabs_diff(d3, zt, 9));
    mo.eps = 1e-4;
    dyn_post_stationary(&mo, 3, 500, A, B, c3, d3, SC, SCR);
    CHECK(maxabs_diff(c3, d3, 9) < 1e-3 * maxabs(c3, 9), "momentum: continuous = small-step limit of discrete");

    /* the exact linear-regression covariance (multiplicative noise) against a Kronecker solve of its linear
     * equation, built here term by term: A X + X A - eta A X A - (eta/S)(E_i[P_i X P_i] - P X P) = R0 */
    dyn_post_sampler_desc s2 = {DYN_POST_SGD, 0.3, 5, 0, 0, 0, 0, NULL, NULL, 0};
    double ex[9];
    CHECK(dyn_post_linreg_sgd_exact(&t.m, &s2, mode, A, B, ex, SC, SCR) == DYN_OK, "linreg exact");
    {
        static double M[81], rhs[9];
        double p[9] = {0};
        for (int i = 0; i < 500; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++) p[j * 3 + k] += t.x[i * 3 + j] * t.x[i * 3 + k] / 500.0;
        for (int c = 0; c < 9; c++) { /* column c: the operator applied to the unit matrix E_c */
            double e9[9] = {0}, ax[9], xa[9], axa[9], px[9], pxp[9], ep[9] = {0}, tt[9];
            e9[c] = 1.0;
            dyn_la_mul(3, 3, 3, A, e9, ax);
            dyn_la_mul(3, 3, 3, e9, A, xa);
            dyn_la_mul(3, 3, 3, ax, A, axa);
            dyn_la_mul(3, 3, 3, p, e9, px);
            dyn_la_mul(3, 3, 3, px, p, pxp);
            for (int i = 0; i < 500; i++) {
                const double *xi = t.x + i * 3;
                double pi[9];
                for (int j = 0; j < 3; j++)
                    for (int k = 0; k < 3; k++) pi[j * 3 + k] = xi[j] * xi[k];
                dyn_la_mul(3, 3, 3, pi, e9, tt);
                double u[9];
                dyn_la_mul(3, 3, 3, tt, pi, u);
                for (int k = 0; k < 9; k++) ep[k] += u[k] / 500.0;
            }
            for (int r = 0; r < 9; r++) M[r * 9 + c] = ax[r] + xa[r] - 0.3 * axa[r] - 0.3 / 5 * (ep[r] - pxp[r]);
        }
        for (int k = 0; k < 9; k++) rhs[k] = 0.3 / 5 * B[k];
        /* Gaussian elimination */
        for (int c = 0; c < 9; c++) {
            int pv = c;
            for (int r = c + 1; r < 9; r++)
                if (fabs(M[r * 9 + c]) > fabs(M[pv * 9 + c])) pv = r;
            for (int k = 0; k < 9; k++) {
                double tmp = M[pv * 9 + k];
                M[pv * 9 + k] = M[c * 9 + k];
                M[c * 9 + k] = tmp;
            }
            double tmp = rhs[pv];
            rhs[pv] = rhs[c];
            rhs[c] = tmp;
            for (int r = c + 1; r < 9; r++) {
                double f = M[r * 9 + c] / M[c * 9 + c];
                for (int k = c; k < 9; k++) M[r * 9 + k] -= f * M[c * 9 + k];
                rhs[r] -= f * rhs[c];
            }
        }
        for (int r = 8; r >= 0; r--) {
            double s = rhs[r];
            for (int k = r + 1; k < 9; k++) s -= M[r * 9 + k] * rhs[k];
            rhs[r] = s / M[r * 9 + r];
        }
        CHECK(maxabs_diff(ex, rhs, 9) < 1e-12 * maxabs(rhs, 9), "multiplicative-noise covariance vs direct solve: %g",
              maxabs_diff(ex, rhs, 9));
    }
    /* KL curves: the continuous SGD curve is smallest near eps* when A ~ BB^T (well-specified linear regression) */
    double es, grid[61], kc[61], kd[61];
    dyn_post_eps_star(3, 500, 10, B, &es);
    for (int k = 0; k < 61; k++) grid[k] = es * pow(10.0, -1.5 + 3.0 * k / 60);
    double pmean[3], pcov[9];
    dyn_post_linreg_exact(&t.m, pmean, pcov, SC, SCR);
    dyn_post_sampler_desc kl = {DYN_POST_SGD, 1, 10, 0, 0, 0, 0, NULL, NULL, 0};
    CHECK(dyn_post_kl_curve(&kl, 3, 500, mode, A, B, pmean, pcov, grid, 61, kc, kd, SC, SCR) == DYN_OK, "kl curve");
    int best = 0;
    for (int k = 1; k < 61; k++)
        if (kc[k] < kc[best]) best = k;
    /* eps* minimises the continuous KL for any A and BB^T (tr(A Sigma) = eps tr(BB^T)/(2S)); here the Laplace
     * posterior is exact, so the grid's minimum is eps* to within half a grid step (0.025 decades) */
    CHECK(fabs(log10(grid[best] / es)) <= 0.5 * 3.0 / 60 + 1e-12, "KL minimum at %g, eps* = %g", grid[best], es);
    CHECK(kd[best] > kc[best], "the discrete correction adds to the KL at eps*");
    /* preconditioned with H*(eps): the curve is flat */
    dyn_post_sampler_desc kp = {DYN_POST_SGD_PRECOND, 1, 10, 0, 0, 0, 0, NULL, NULL, 0};
    dyn_post_kl_curve(&kp, 3, 500, mode, A, B, pmean, pcov, grid, 61, kc, kd, SC, SCR);
    CHECK(fabs(kc[0] - kc[60]) < 1e-10 && kc[0] < 1e-10, "H*: KL(cont) = 0 at every eps (%g)", kc[0]);
    drop(&t);
}

/* ---------------------------------------------------------------- samplers */

typedef struct run {
    long count;
    double *out;
    double mean[4], cov[16], se[16], mean_se[4];
} run;

static run sample(const dyn_post_model *m, const dyn_post_sampler_desc *sd, long burn, long steps, int thin)
{
    run r;
    memset(&r, 0, sizeof r);
    size_t bytes = dyn_post_sampler_bytes(m, sd);
    void *mem = malloc(bytes);
    dyn_post_sampler s;
    dyn_status st = dyn_post_sampler_init(&s, m, sd, mem, bytes);
    CHECK(st == DYN_OK, "init: %s", dyn_status_str(st));
    dyn_post_sampler_run(&s, burn, 1, NULL, 0, NULL);
    long n = dyn_post_sampler_count(&s, steps, thin);
    int d = s.d;
    r.out = malloc(sizeof(double) * (size_t)n * d);
    st = dyn_post_sampler_run(&s, steps, thin, r.out, (size_t)n * d, &r.count);
    CHECK(st == DYN_OK && r.count == n, "run");
    dyn_post_moments(r.out, r.count, d, r.mean, r.cov);
    double *scr = malloc(sizeof(double) * (size_t)r.count);
    dyn_post_cov_se(r.out, r.count, d, r.mean, r.se, scr, (size_t)r.count);
    for (int j = 0; j < d; j++) {
        double ess;
        dyn_post_ess(r.out + j, r.count, d, &ess, NULL);
        r.mean_se[j] = sqrt(r.cov[j * d + j] / ess);
    }
    free(scr);
    free(mem);
    return r;
}

/* max over entries of |sample - want| / (SE + bias) */
static double zmax(const run *r, const double *want, int d, double bias)
{
    double z = 0.0;
    for (int k = 0; k < d * d; k++) z = fmax(z, fabs(r->cov[k] - want[k]) / (r->se[k] + bias));
    return z;
}

static void test_chunks(void)
{
    data t = make(DYN_POST_LOGISTIC, 40, 2, 2), mx = make(DYN_POST_MIXTURE, 100, 0, 1);
    double h[4] = {2, 0.5, 0.5, 1}, start[2] = {0.5, -0.5};
    for (int k = 0; k < DYN_POST_SAMPLER_COUNT; k++)
        for (int b = 0; b < 2; b++)
            for (int which = 0; which < 2; which++) {
                const dyn_post_model *m = which ? &mx.m : &t.m;
                dyn_post_sampler_desc sd = {(dyn_post_sampler_kind)k, k == DYN_POST_SGLD ? 1e-3 : 0.05, 7,
                                            (dyn_post_batching)b, 0, 0, k == DYN_POST_SGLD && b ? 0.55 : 0, h, start, 99};
                size_t bytes = dyn_post_sampler_bytes(m, &sd);
                void *m1 = malloc(bytes), *m2 = malloc(bytes);
                dyn_post_sampler s1, s2;
                dyn_post_sampler_init(&s1, m, &sd, m1, bytes);
                dyn_post_sampler_init(&s2, m, &sd, m2, bytes);
                double one[2 * 100], many[2 * 100];
                long w, total = 0;
                dyn_post_sampler_run(&s1, 500, 5, one, 200, &w);
                long chunks[] = {1, 2, 3, 50, 0, 77, 167, 200};
                for (int c = 0; c < 8; c++) {
                    dyn_post_sampler_run(&s2, chunks[c], 5, many + 2 * total, 200 - 2 * (size_t)total, &w);
                    total += w;
                }
                CHECK(total == 100 && memcmp(one, many, sizeof one) == 0, "%s %s: chunks == one run",
                      dyn_post_sampler_name((dyn_post_sampler_kind)k), b ? "epoch" : "iid");
                free(m1);
                free(m2);
            }
    /* set_theta moves the chain; the same sequence of calls reproduces it */
    dyn_post_sampler_desc sd = {DYN_POST_SGD, 0.05, 5, 0, 0, 0, 0, NULL, NULL, 3};
    size_t bytes = dyn_post_sampler_bytes(&t.m, &sd);
    void *mem = malloc(bytes);
    dyn_post_sampler s;
    dyn_post_sampler_init(&s, &t.m, &sd, mem, bytes);
    double far[2] = {5, 5};
    CHECK(dyn_post_sampler_set_theta(&s, far) == DYN_OK && s.theta[0] == 5.0, "set_theta");
    dyn_post_sampler_run(&s, 1, 1, NULL, 0, NULL);
    CHECK(s.theta[0] < 5.0 && s.t == 1, "one step from the new point goes downhill");
    free(mem);
    drop(&t);
    drop(&mx);
}

static void test_sgd_discrete(void)
{
    /* (1) D = 1 with x_i = +-1: every example has the same Hessian, so the noise is purely additive and the
     * discrete Lyapunov equation is the exact stationary variance. */
    enum { N1 = 200 };
    double x1[N1], y1[N1];
    dyn_rng r;
    dyn_rng_seed(&r, 21);
    for (int i = 0; i < N1; i++) {
        x1[i] = i % 2 ? 1.0 : -1.0;
        y1[i] = 0.7 * x1[i] + dyn_rng_normal(&r);
    }
    dyn_post_model m1 = {DYN_POST_LINREG, N1, 1, x1, y1, 0, 0, 0};
    double mode, a, bb, cc, cd, ex;
    dyn_post_optimum(&m1, NULL, &mode, &a, &bb, SC, SCR);
    dyn_post_sampler_desc sd = {DYN_POST_SGD, 0.8, 5, 0, 0, 0, 0, NULL, &mode, 7};
    dyn_post_stationary(&sd, 1, N1, &a, &bb, &cc, &cd, SC, SCR);
    dyn_post_linreg_sgd_exact(&m1, &sd, &mode, &a, &bb, &ex, SC, SCR);
    CHECK(fabs(ex - cd) < 1e-14 * cd, "x = +-1: no multiplicative noise, exact = discrete");
    run rr = sample(&m1, &sd, 1000, 1000000, 4);
    double z = zmax(&rr, &cd, 1, 0);
    CHECK(z < 4, "D=1: SGD variance %g vs discrete %g: %.2f SE", rr.cov[0], cd, z);
    CHECK(zmax(&rr, &cc, 1, 0) > 8, "D=1: the continuous prediction %g is rejected (%.1f SE)", cc, zmax(&rr, &cc, 1, 0));
    CHECK(fabs(rr.mean[0] - mode) < 4 * rr.mean_se[0], "D=1: the mean is theta*");
    printf("  SGD D=1 eps=0.8 S=5: sample %.6g +- %.2g, discrete %.6g, continuous %.6g\n", rr.cov[0], rr.se[0], cd, cc);
    free(rr.out);

    /* (2) D = 2, S = 100: the multiplicative noise is (D + 2)/S of the discrete correction, below the Monte Carlo
     * error here (asserted), so the discrete prediction is what a run must match */
    data t = make(DYN_POST_LINREG, 1000, 2, 7);
    double md[2], A[4], B[4], c2[4], d2[4], e2[4];
    dyn_post_optimum(&t.m, NULL, md, A, B, SC, SCR);
    dyn_post_sampler_desc s2 = {DYN_POST_SGD, 0.3, 100, 0, 0, 0, 0, NULL, md, 8};
    dyn_post_stationary(&s2, 2, 1000, A, B, c2, d2, SC, SCR);
    dyn_post_linreg_sgd_exact(&t.m, &s2, md, A, B, e2, SC, SCR);
    run r2 = sample(&t.m, &s2, 1000, 600000, 5);
    double zd = zmax(&r2, d2, 2, 0), zc = zmax(&r2, c2, 2, 0), gap = 0.0;
    for (int k = 0; k < 4; k++) gap = fmax(gap, fabs(e2[k] - d2[k]) / r2.se[k]);
    CHECK(gap < 2, "S=100: the multiplicative term is within %.2f SE", gap);
    CHECK(zd < 4, "S=100: SGD covariance vs discrete: %.2f SE", zd);
    CHECK(zc > 8, "S=100: continuous rejected: %.1f SE", zc);
    printf("  SGD D=2 eps=0.3 S=100: var %.6g %.6g (se %.2g) discrete %.6g %.6g continuous %.6g %.6g\n", r2.cov[0],
           r2.cov[3], r2.se[0], d2[0], d2[3], c2[0], c2[3]);
    free(r2.out);

    /* (3) S = 10: now the per-example Hessians' spread matters, and only the exact equation fits */
    dyn_post_sampler_desc s3 = {DYN_POST_SGD, 0.2, 10, 0, 0, 0, 0, NULL, md, 9};
    dyn_post_stationary(&s3, 2, 1000, A, B, c2, d2, SC, SCR);
    dyn_post_linreg_sgd_exact(&t.m, &s3, md, A, B, e2, SC, SCR);
    run r3 = sample(&t.m, &s3, 1000, 1000000, 10);
    CHECK(zmax(&r3, e2, 2, 0) < 4, "S=10: SGD vs exact (multiplicative) prediction: %.2f SE", zmax(&r3, e2, 2, 0));
    CHECK(zmax(&r3, d2, 2, 0) > 4, "S=10: the discrete equation misses the multiplicative noise (%.1f SE)", zmax(&r3, d2, 2, 0));
    CHECK(fabs(r3.mean[0] - md[0]) < 4 * r3.mean_se[0] && fabs(r3.mean[1] - md[1]) < 4 * r3.mean_se[1], "S=10: mean = theta*");
    printf("  SGD D=2 eps=0.2 S=10: var %.6g (se %.2g) exact %.6g discrete %.6g continuous %.6g\n", r3.cov[0], r3.se[0],
           e2[0], d2[0], c2[0]);
    free(r3.out);

    /* (4) momentum, S = 100: the heavy-ball discrete prediction */
    dyn_post_sampler_desc s4 = {DYN_POST_MOMENTUM, 0.05, 100, 0, 0.7, 0, 0, NULL, md, 10};
    dyn_post_stationary(&s4, 2, 1000, A, B, c2, d2, SC, SCR);
    run r4 = sample(&t.m, &s4, 2000, 300000, 5);
    CHECK(zmax(&r4, d2, 2, 0) < 4, "momentum vs its discrete prediction: %.2f SE", zmax(&r4, d2, 2, 0));
    printf("  momentum mu=0.7 eps=0.05 S=100: var %.6g (se %.2g) discrete %.6g continuous %.6g\n", r4.cov[0], r4.se[0],
           d2[0], c2[0]);
    free(r4.out);

    /* (5) Mandt's preconditioner: the chain's covariance is the discrete prediction, which is the Laplace
     * posterior (N A)^{-1} up to its O(S/N) discrete correction (added to the tolerance) */
    double H[4], inv[4], na[4];
    dyn_post_precond_opt(2, 1000, 100, 0.5, B, H, SC, SCR);
    dyn_post_sampler_desc s5 = {DYN_POST_SGD_PRECOND, 0.5, 100, 0, 0, 0, 0, H, md, 11};
    dyn_post_stationary(&s5, 2, 1000, A, B, c2, d2, SC, SCR);
    for (int k = 0; k < 4; k++) na[k] = 1000 * A[k];
    dyn_la_spd_inverse(2, na, inv, SC, SCR);
    run r5 = sample(&t.m, &s5, 2000, 300000, 10);
    CHECK(zmax(&r5, d2, 2, 0) < 4, "preconditioned vs discrete: %.2f SE", zmax(&r5, d2, 2, 0));
    double bias = maxabs_diff(d2, inv, 4);
    CHECK(zmax(&r5, inv, 2, bias) < 4, "preconditioned ~ (N A)^{-1}: %.2f SE", zmax(&r5, inv, 2, bias));
    printf("  sgd-precond H*: var %.6g (se %.2g) discrete %.6g, (NA)^-1 %.6g\n", r5.cov[0], r5.se[0], d2[0], inv[0]);
    free(r5.out);
    drop(&t);
}

static void test_sgld(void)
{
    /* small step: the posterior's moments (linear regression, exact). Tolerance: 4 SE plus the bias the discrete
     * SGLD equation predicts (|discrete - posterior|, about 1 % here) */
    data t = make(DYN_POST_LINREG, 100, 2, 7);
    double md[2], A[4], B[4], pm[2], pc[4], c2[4], d2[4];
    dyn_post_optimum(&t.m, NULL, md, A, B, SC, SCR);
    dyn_post_linreg_exact(&t.m, pm, pc, SC, SCR);
    dyn_post_sampler_desc s = {DYN_POST_SGLD, 1e-4, 50, 0, 0, 0, 0, NULL, md, 12};
    dyn_post_stationary(&s, 2, 100, A, B, c2, d2, SC, SCR);
    run r = sample(&t.m, &s, 5000, 1200000, 20);
    double bias = maxabs_diff(d2, pc, 4);
    CHECK(zmax(&r, pc, 2, bias) < 4, "SGLD small step vs exact posterior covariance: %.2f SE", zmax(&r, pc, 2, bias));
    CHECK(fabs(r.mean[0] - pm[0]) < 4 * r.mean_se[0] && fabs(r.mean[1] - pm[1]) < 4 * r.mean_se[1],
          "SGLD mean vs posterior mean: %g %g (se %g)", r.mean[0], pm[0], r.mean_se[0]);
    printf("  SGLD eps=1e-4 S=50: var %.6g %.6g (se %.2g %.2g), posterior %.6g %.6g\n", r.cov[0], r.cov[3], r.se[0],
           r.se[3], pc[0], pc[3]);
    free(r.out);
    /* a larger step with a small batch: the minibatch noise inflates the cloud exactly as predicted */
    dyn_post_sampler_desc s2 = {DYN_POST_SGLD, 4e-4, 10, 0, 0, 0, 0, NULL, md, 13};
    dyn_post_stationary(&s2, 2, 100, A, B, c2, d2, SC, SCR);
    run r2 = sample(&t.m, &s2, 5000, 1000000, 10);
    CHECK(zmax(&r2, d2, 2, 0) < 4, "SGLD eps=4e-4 S=10 vs its discrete prediction: %.2f SE", zmax(&r2, d2, 2, 0));
    CHECK(zmax(&r2, pc, 2, 0) > 4, "... which is measurably wider than the posterior (%.1f SE)", zmax(&r2, pc, 2, 0));
    free(r2.out);
    drop(&t);

    /* SGLD on the 2-D logistic posterior (not Gaussian) against the grid's moments */
    data lg = make(DYN_POST_LOGISTIC, 60, 2, 4);
    double a2[4], box_m[2], box_c[4];
    dyn_post_optimum(&lg.m, NULL, md, a2, B, SC, SCR);
    dyn_post_box box;
    dyn_post_box_auto(&lg.m, md, a2, 0, &box);
    dyn_post_moments2d(&lg.m, &box, 0, 0, NULL, box_m, box_c);
    dyn_post_sampler_desc s3 = {DYN_POST_SGLD, 2e-4, 60, 0, 0, 0, 0, NULL, md, 14};
    run r3 = sample(&lg.m, &s3, 5000, 1000000, 20);
    /* full batch: no gradient noise; the Euler bias is O(eta lam) ~ 1e-3 relative: allow 2 % */
    double b3 = 0.02 * maxabs(box_c, 4);
    CHECK(zmax(&r3, box_c, 2, b3) < 4, "SGLD on logistic vs grid covariance: %.2f", zmax(&r3, box_c, 2, b3));
    CHECK(fabs(r3.mean[0] - box_m[0]) < 4 * r3.mean_se[0] + 0.02 * sqrt(box_c[0]) &&
              fabs(r3.mean[1] - box_m[1]) < 4 * r3.mean_se[1] + 0.02 * sqrt(box_c[3]),
          "SGLD on logistic: mean %g %g vs grid %g %g", r3.mean[0], r3.mean[1], box_m[0], box_m[1]);
    free(r3.out);
    drop(&lg);
}

/* ---------------------------------------------------------------- diagnostics */

static void test_diagnostics(void)
{
    enum { N = 200000 };
    static double x[N];
    dyn_rng r;
    dyn_rng_seed(&r, 5);
    /* AR(1): acf_k = phi^k, tau = (1 + phi)/(1 - phi) */
    double phi = 0.8;
    x[0] = dyn_rng_normal(&r);
    for (int t = 1; t < N; t++) x[t] = phi * x[t - 1] + sqrt(1 - phi * phi) * dyn_rng_normal(&r);
    double acf[6], ess, tau;
    CHECK(dyn_post_autocorr(x, N, 1, 5, acf) == DYN_OK && acf[0] == 1.0, "acf");
    for (int k = 1; k <= 5; k++) CHECK_NEAR(acf[k], pow(phi, k), 0, 0.01, "AR(1) acf = phi^k");
    dyn_post_ess(x, N, 1, &ess, &tau);
    CHECK_NEAR(tau, 9.0, 0.08, 0, "AR(1) tau = (1 + phi)/(1 - phi) = 9");
    /* independent draws: tau ~ 1; the variance's standard error is sqrt(2/n) for unit normals */
    for (int t = 0; t < N; t++) x[t] = dyn_rng_normal(&r);
    dyn_post_ess(x, N, 1, &ess, &tau);
    CHECK_NEAR(tau, 1.0, 0.05, 0, "iid tau = 1");
    double mean, cov, se;
    static double scr[N];
    dyn_post_moments(x, N, 1, &mean, &cov);
    dyn_post_cov_se(x, N, 1, &mean, &se, scr, N);
    CHECK_NEAR(se, sqrt(2.0 / N), 0.05, 0, "SE of a variance = sqrt(2/n)");
    double c[1] = {3};
    double cst[8] = {3, 3, 3, 3, 3, 3, 3, 3};
    CHECK(dyn_post_ess(cst, 8, 1, &ess, &tau) == DYN_OK && ess == 8 && tau == 1, "constant series");
    (void)c;
    /* moments by hand */
    double s[6] = {1, 2, 3, 4, 5, 9}, m2[2], c2[4];
    dyn_post_moments(s, 3, 2, m2, c2);
    CHECK(m2[0] == 3 && m2[1] == 5 && c2[0] == 4 && c2[1] == 7 && c2[3] == 13, "moments by hand");
    /* ellipses */
    double mu[2] = {1, -1}, id[4] = {1, 0, 0, 1}, tilt[4] = {2, 1, 1, 2};
    float xy[2 * 65], ax[3];
    CHECK(dyn_post_ellipse(mu, id, 2.0, 65, xy, ax) == DYN_OK, "ellipse");
    float worst = 0;
    for (int k = 0; k < 65; k++) worst = fmaxf(worst, fabsf(hypotf(xy[2 * k] - 1.0f, xy[2 * k + 1] + 1.0f) - 2.0f));
    CHECK(worst < 1e-5f && xy[0] == xy[128] && xy[1] == xy[129], "a circle of radius 2, closed");
    dyn_post_ellipse(mu, tilt, 1.0, 65, xy, ax);
    CHECK(fabsf(ax[0] - sqrtf(3.0f)) < 1e-6f && fabsf(ax[1] - 1.0f) < 1e-6f && fabsf(ax[2] - 0.78539816f) < 1e-6f,
          "[[2,1],[1,2]]: axes sqrt 3 and 1 at 45 degrees (%g %g %g)", (double)ax[0], (double)ax[1], (double)ax[2]);
    double bad[4] = {1, 2, 2, 1};
    CHECK(dyn_post_ellipse(mu, bad, 1.0, 65, xy, ax) == DYN_ERR_RANGE, "indefinite ellipse");
}

/* ---------------------------------------------------------------- review fixes (issue 5) */

/* an AR(1) chain with coefficient phi: tau = (1 + phi)/(1 - phi) */
static void ar1(double *x, long n, int stride, double phi, uint64_t seed)
{
    dyn_rng r;
    dyn_rng_seed(&r, seed);
    x[0] = dyn_rng_normal(&r);
    for (long t = 1; t < n; t++) x[(size_t)t * stride] = phi * x[(size_t)(t - 1) * stride] + sqrt(1 - phi * phi) * dyn_rng_normal(&r);
}

static void test_review(void)
{
    /* (1) starting exactly at the mode: linreg with every target 0 has theta* = 0 and gradient exactly 0 there */
    {
        double x[6] = {1, 0.5, -1, 2, 0.3, -0.7}, y[3] = {0, 0, 0}, mode[2] = {9, 9}, A[4], B[4];
        dyn_post_model m = {DYN_POST_LINREG, 3, 2, x, y, 0, 0, 0};
        CHECK(dyn_post_optimum(&m, NULL, mode, A, B, SC, SCR) == DYN_OK && mode[0] == 0 && mode[1] == 0,
              "optimum started at the mode: DYN_OK, theta* = 0 (got %g %g)", mode[0], mode[1]);
        CHECK(B[0] == 0 && B[3] == 0, "no gradient noise at that mode");
        double es;
        CHECK(dyn_post_eps_star(2, 3, 3, B, &es) == DYN_ERR_NO_SOLUTION, "eps* undefined without gradient noise");
        /* started elsewhere it still converges, to the same point */
        double st[2] = {3, -2};
        CHECK(dyn_post_optimum(&m, st, mode, NULL, NULL, SC, SCR) == DYN_OK && fabs(mode[0]) < 1e-15 &&
                  fabs(mode[1]) < 1e-15, "optimum from (3, -2): %g %g", mode[0], mode[1]);
    }
    /* (2) ESS on a chain that barely moves: lags capped (so the cost is O(count * cap), not O(count^2);
     * `make bench` shows the time), tau a lower bound */
    {
        enum { N = 200000 };
        static double z[2 * N], scr[N];
        ar1(z, N, 2, 0.99999, 11);
        ar1(z + 1, N, 2, 0.5, 12);
        double ess, tau, mean[2], se[4];
        int capped = -1;
        CHECK(dyn_post_ess_lag(z, N, 2, 0, &ess, &tau, &capped) == DYN_OK && capped == 1,
              "slow chain: the lag cap is reached");
        CHECK(tau > 100 && tau < 4.0 * DYN_POST_ESS_MAX_LAG && ess == N / tau, "capped tau %g (a lower bound)", tau);
        dyn_post_moments(z, N, 2, mean, NULL);
        CHECK(dyn_post_cov_se(z, N, 2, mean, se, scr, N) == DYN_OK && se[1] == se[2], "cov_se on the slow chain");
        CHECK(dyn_post_ess_lag(z + 1, N, 2, 0, &ess, &tau, &capped) == DYN_OK && capped == 0, "fast chain: no cap");
        CHECK_NEAR(tau, 3.0, 0.05, 0, "AR(1) phi = 0.5: tau = 3");
        double t1, t2;
        dyn_post_ess(z + 1, N, 2, NULL, &t1);
        CHECK(t1 == tau, "dyn_post_ess = dyn_post_ess_lag with the default cap");
        dyn_post_ess_lag(z + 1, N, 2, 3, NULL, &t2, &capped);
        CHECK(capped == 1 && t2 < tau, "a cap of 3 lags cuts the sum (tau %g < %g)", t2, tau);
        CHECK(dyn_post_ess_lag(z, N, 2, -1, &ess, &tau, &capped) == DYN_ERR_SIZE, "negative cap");
    }
    /* (5) a negative momentum is an error, as at sampler init */
    {
        double a[4] = {2, 0, 0, 1}, bb[4] = {1, 0, 0, 1}, c[4], d[4];
        dyn_post_sampler_desc sd = {DYN_POST_MOMENTUM, 0.1, 4, 0, -0.5, 0, 0, NULL, NULL, 0};
        CHECK(dyn_post_stationary(&sd, 2, 100, a, bb, c, d, SC, SCR) == DYN_ERR_RANGE, "stationary: momentum -0.5");
        sd.momentum = 1.0;
        CHECK(dyn_post_stationary(&sd, 2, 100, a, bb, c, d, SC, SCR) == DYN_ERR_RANGE, "stationary: momentum 1");
        sd.momentum = 0.0; /* the default 0.9 */
        double c9[4], d9[4];
        CHECK(dyn_post_stationary(&sd, 2, 100, a, bb, c, d, SC, SCR) == DYN_OK, "stationary: momentum 0 -> 0.9");
        sd.momentum = 0.9;
        dyn_post_stationary(&sd, 2, 100, a, bb, c9, d9, SC, SCR);
        CHECK(memcmp(d, d9, sizeof d) == 0 && memcmp(c, c9, sizeof c) == 0, "0 means 0.9");
    }
    /* (6, 11) kept iterates sit at the multiples of thin; written counts them with or without out */
    {
        data t = make(DYN_POST_LINREG, 50, 2, 4);
        dyn_post_sampler_desc sd = {DYN_POST_SGD, 0.05, 5, 0, 0, 0, 0, NULL, NULL, 1};
        size_t bytes = dyn_post_sampler_bytes(&t.m, &sd);
        void *mem = malloc(bytes);
        dyn_post_sampler s;
        dyn_post_sampler_init(&s, &t.m, &sd, mem, bytes);
        long w = -1;
        CHECK(dyn_post_sampler_run(&s, 5, 1, NULL, 0, &w) == DYN_OK && w == 5, "burn-in without out: written %ld", w);
        long want = dyn_post_sampler_count(&s, 45, 10);
        CHECK(want == 5, "steps 6..50 hold 5 multiples of 10 (not 45 / 10 = 4): %ld", want);
        double out[10];
        CHECK(dyn_post_sampler_run(&s, 45, 10, out, 10, &w) == DYN_OK && w == 5, "written %ld", w);
        CHECK(dyn_post_sampler_run(&s, 25, 10, NULL, 0, &w) == DYN_OK && w == 2, "without out: %ld kept", w);
        /* minibatch indices come from dyn_rng_below on the sampler's stream (SGD draws nothing else) */
        dyn_post_sampler_desc one = {DYN_POST_SGD, 0.05, 1, 0, 0, 0, 0, NULL, NULL, 77};
        dyn_post_sampler_init(&s, &t.m, &one, mem, bytes);
        dyn_rng r;
        dyn_rng_seed(&r, 77);
        int same = 1;
        for (int k = 0; k < 200; k++) {
            dyn_post_sampler_run(&s, 1, 1, NULL, 0, NULL);
            same &= s.idx[0] == (int)dyn_rng_below(&r, 50);
        }
        CHECK(same, "minibatch indices = dyn_rng_below(rng, N)");
        free(mem);
        drop(&t);
    }
    /* (12) size queries: exact, below 2^31 bytes at the limits, 0 out of range */
    {
        CHECK(dyn_post_scratch_doubles(DYN_POST_MAX_D) == 32 * (size_t)DYN_POST_MAX_D * DYN_POST_MAX_D + 32 * (size_t)DYN_POST_MAX_D &&
                  dyn_post_scratch_doubles(0) == 0 && dyn_post_scratch_doubles(DYN_POST_MAX_D + 1) == 0,
              "dyn_post_scratch_doubles");
        static const double dummy[1] = {0};
        dyn_post_model big = {DYN_POST_LINREG, DYN_POST_MAX_N, DYN_POST_MAX_D, dummy, dummy, 0, 0, 0};
        dyn_post_sampler_desc sd = {DYN_POST_SGD, 0.1, DYN_POST_MAX_N, DYN_POST_BATCH_EPOCH, 0, 0, 0, NULL, NULL, 0};
        size_t b = dyn_post_sampler_bytes(&big, &sd);
        CHECK(b > 0 && (uint64_t)b < ((uint64_t)1 << 31), "sampler bytes at the limits: %zu", b);
        sd.batch = -3;
        CHECK(dyn_post_sampler_bytes(&big, &sd) == 0, "negative batch: 0 bytes");
    }
}

/* ---------------------------------------------------------------- error paths */

static void test_errors(void)
{
    double x[4] = {1, 2, 3, 4}, y[2] = {1, 0};
    dyn_post_model m = {DYN_POST_LINREG, 2, 2, x, y, 0, 0, 0};
    long bi;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_OK && bi == -1, "ok model");
    CHECK(dyn_post_model_check(NULL, &bi) == DYN_ERR_NULL, "NULL model");
    m.noise_var = -1;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_ERR_RANGE, "negative noise");
    m.noise_var = NAN;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_ERR_NAN, "NaN noise");
    m.noise_var = 0;
    m.prior_var = -2;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_ERR_RANGE, "negative prior");
    m.prior_var = 0;
    x[3] = INFINITY;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_ERR_NAN && bi == 1, "inf in x, example 1");
    x[3] = 4;
    m.kind = DYN_POST_LOGISTIC;
    y[1] = 0.5;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_ERR_RANGE && bi == 1, "label 0.5");
    y[1] = 0;
    m.d = 65;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_ERR_SIZE, "D = 65");
    m.d = 2;
    m.n = 0;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_ERR_SIZE, "N = 0");
    m.n = 2;
    m.kind = (dyn_post_kind)7;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_ERR_RANGE, "unknown kind");
    m.kind = DYN_POST_MIXTURE;
    m.d = 3;
    CHECK(dyn_post_model_check(&m, &bi) == DYN_ERR_SIZE, "mixture D = 3");
    /* a singular design: column 2 = 2 * column 0 */
    double xs[9] = {1, 0, 2, 0, 1, 0, 1, 1, 2}, ys[3] = {1, 2, 3}, mean[3], cov[9];
    dyn_post_model sg = {DYN_POST_LINREG, 3, 3, xs, ys, 0, 0, 0};
    int col;
    CHECK(dyn_post_check_design(&sg, &col, SC, SCR) == DYN_ERR_NO_SOLUTION && col == 2, "singular design, column 2");
    CHECK(dyn_post_linreg_exact(&sg, mean, cov, SC, SCR) == DYN_ERR_NO_SOLUTION, "exact: singular");
    CHECK(dyn_post_optimum(&sg, NULL, mean, cov, NULL, SC, SCR) == DYN_ERR_NO_SOLUTION, "optimum: singular");
    sg.n = 2; /* fewer examples than parameters */
    CHECK(dyn_post_check_design(&sg, &col, SC, SCR) == DYN_ERR_NO_SOLUTION, "N < D");
    CHECK(dyn_post_linreg_exact(&sg, mean, cov, SC, 10) == DYN_ERR_BUFFER, "scratch");
    dyn_post_model lg = {DYN_POST_LOGISTIC, 2, 2, x, y, 0, 0, 0};
    CHECK(dyn_post_linreg_exact(&lg, mean, cov, SC, SCR) == DYN_ERR_RANGE, "exact: not linreg");
    /* separable logistic data with a vague prior: Newton converges (the prior bounds it), no crash */
    double xl[4] = {1, -1, 1, 1}, yl[2] = {0, 1};
    dyn_post_model sep = {DYN_POST_LOGISTIC, 2, 2, xl, yl, 0, 1e6, 0};
    dyn_status st = dyn_post_optimum(&sep, NULL, mean, cov, NULL, SC, SCR);
    CHECK(st == DYN_OK || st == DYN_ERR_NO_CONVERGE, "separable: %s", dyn_status_str(st));

    /* samplers */
    data t = make(DYN_POST_LINREG, 20, 2, 1);
    dyn_post_sampler s;
    static char mem[1 << 16];
    dyn_post_sampler_desc sd = {DYN_POST_SGD, 0.1, 5, 0, 0, 0, 0, NULL, NULL, 0};
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_OK, "init");
    sd.eps = 0;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_RANGE, "eps = 0");
    sd.eps = -1;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_RANGE, "eps < 0");
    sd.eps = NAN;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_NAN, "eps NaN");
    sd.eps = 0.1;
    sd.batch = 21;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_SIZE, "S > N");
    CHECK(dyn_post_sampler_bytes(&t.m, &sd) == 0, "bytes: S > N");
    sd.batch = 5;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, 16) == DYN_ERR_BUFFER, "small memory");
    sd.kind = DYN_POST_SGD_PRECOND;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_NULL, "precond without H");
    double hbad[4] = {1, 2, 2, 1}, hns[4] = {1, 0.5, 0, 1};
    sd.precond = hbad;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_RANGE, "H indefinite");
    sd.precond = hns;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_RANGE, "H not symmetric");
    sd.kind = DYN_POST_MOMENTUM;
    sd.momentum = 1.0;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_RANGE, "mu = 1");
    sd.kind = DYN_POST_SGLD;
    sd.sgld_gamma = 1.5;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_RANGE, "gamma > 1");
    sd.sgld_gamma = 0;
    double nanstart[2] = {NAN, 0};
    sd.start = nanstart;
    CHECK(dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem) == DYN_ERR_NAN, "NaN start");
    /* divergence: eps lam_max well above 2 */
    dyn_post_sampler_desc dv = {DYN_POST_SGD, 50.0, 5, 0, 0, 0, 0, NULL, NULL, 0};
    dyn_post_sampler_init(&s, &t.m, &dv, mem, sizeof mem);
    double out[2 * 1000];
    long w = -1;
    CHECK(dyn_post_sampler_run(&s, 1000, 1, out, 2000, &w) == DYN_ERR_NO_CONVERGE && w > 0 && w < 1000,
          "a step too large diverges and says so after %ld iterates", w);
    dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem);
    sd.start = NULL;
    dyn_post_sampler_init(&s, &t.m, &sd, mem, sizeof mem);
    CHECK(dyn_post_sampler_run(&s, 10, 0, out, 2000, &w) == DYN_ERR_SIZE, "thin 0");
    CHECK(dyn_post_sampler_run(&s, -1, 1, out, 2000, &w) == DYN_ERR_SIZE, "negative steps");
    CHECK(dyn_post_sampler_run(&s, 10, 1, out, 19, &w) == DYN_ERR_BUFFER, "out too small");
    CHECK(dyn_post_sampler_count(&s, 10, 3) == 3, "count");
    dyn_post_sampler_kind k;
    dyn_post_kind mk;
    CHECK(dyn_post_sampler_parse("sgd-precond", &k) == DYN_OK && k == DYN_POST_SGD_PRECOND, "parse sampler");
    CHECK(dyn_post_sampler_parse("adam", &k) == DYN_ERR_UNKNOWN_NAME, "unknown sampler");
    CHECK(dyn_post_model_parse("mixture", &mk) == DYN_OK && mk == DYN_POST_MIXTURE, "parse model");
    CHECK(dyn_post_model_parse("probit", &mk) == DYN_ERR_UNKNOWN_NAME, "unknown model");
    /* grids and theory */
    dyn_post_box box = {0, 1, 0, 1}, empty = {1, 0, 0, 1};
    float g[16];
    CHECK(dyn_post_density_grid(&t.m, &empty, 0, 4, 4, 0, 0, g, 16) == DYN_ERR_RANGE, "empty box");
    CHECK(dyn_post_density_grid(&t.m, &box, 0, 4, 4, 0, 0, g, 15) == DYN_ERR_BUFFER, "grid buffer");
    CHECK(dyn_post_density_grid(&t.m, &box, 0, 1, 4, 0, 0, g, 16) == DYN_ERR_SIZE, "grid 1 wide");
    CHECK(dyn_post_density_grid(&t.m, &box, NAN, 4, 4, 0, 0, g, 16) == DYN_ERR_NAN, "log_z NaN");
    CHECK(dyn_post_density_grid(&t.m, &box, 0, 4, 4, 3, 2, g, 16) == DYN_ERR_RANGE, "bad band");
    CHECK(dyn_post_moments2d(&t.m, &box, 0, 100, NULL, NULL, NULL) == DYN_ERR_SIZE, "order 100");
    data t3 = make(DYN_POST_LINREG, 20, 3, 1);
    CHECK(dyn_post_moments2d(&t3.m, &box, 0, 0, NULL, NULL, NULL) == DYN_ERR_SIZE, "moments2d needs D = 2");
    double A[4] = {1, 0, 0, 1}, B[4] = {1, 0, 0, 1}, c[4];
    dyn_post_sampler_desc th = {DYN_POST_SGD, 0, 5, 0, 0, 0, 0, NULL, NULL, 0};
    CHECK(dyn_post_stationary(&th, 2, 20, A, B, c, c, SC, SCR) == DYN_ERR_RANGE, "stationary eps = 0");
    th.eps = 0.1;
    th.batch = 30;
    CHECK(dyn_post_stationary(&th, 2, 20, A, B, c, c, SC, SCR) == DYN_ERR_SIZE, "stationary S > N");
    th.batch = 5;
    th.kind = DYN_POST_SGD_PRECOND;
    CHECK(dyn_post_stationary(&th, 2, 20, A, B, c, c, SC, SCR) == DYN_ERR_NULL, "stationary precond without H");
    double bb0[4] = {0, 0, 0, 0}, es;
    CHECK(dyn_post_eps_star(2, 20, 5, bb0, &es) == DYN_ERR_NO_SOLUTION, "eps* with no gradient noise");
    CHECK(dyn_post_precond_opt(2, 20, 5, 0.1, bb0, c, SC, SCR) == DYN_ERR_NO_SOLUTION, "H* of singular BB^T");
    dyn_post_sampler_desc lx = {DYN_POST_MOMENTUM, 0.1, 5, 0, 0, 0, 0, NULL, NULL, 0};
    CHECK(dyn_post_linreg_sgd_exact(&t.m, &lx, A, A, B, c, SC, SCR) == DYN_ERR_RANGE, "exact: momentum");
    double epsv[1] = {-1};
    CHECK(dyn_post_kl_curve(&th, 2, 20, A, A, B, A, A, epsv, 1, c, c, SC, SCR) == DYN_ERR_RANGE, "kl: eps < 0");
    CHECK(dyn_post_autocorr(x, 4, 1, 4, c) == DYN_ERR_SIZE, "maxlag >= count");
    CHECK(dyn_post_ess(x, 3, 1, &es, NULL) == DYN_ERR_SIZE, "ess count 3");
    CHECK(dyn_post_moments(x, 1, 2, c, c) == DYN_ERR_SIZE, "moments of one sample");
    drop(&t);
    drop(&t3);
}

/* The step rules the CLI and the page share (dyn_post_steps), worked by hand for A = diag(2, 1/2), BB^T = I,
 * N = 100, S = 10: eps* = 2 (S/N) D / tr(BB^T) = 0.2, lam_max = 2; SGLD's reference (2/N) eps* = 0.004 and its auto
 * step 0.02 / (N lam_max) = 1e-4; momentum 0.5 at eps 0.1: drift 0.1 / 0.5 = 0.2, stab 0.2, bound 3, eps_max 1.5;
 * SGLD at 0.01: drift 0.01 * 50 = 0.5, stab 1, eps_max 2 / (50 * 2) = 0.02. */
static void test_step_rules(void)
{
    double a[4] = {2, 0, 0, 0.5}, bb[4] = {1, 0, 0, 1}, scr[4096];
    size_t sl = dyn_post_scratch_doubles(2);
    CHECK(sl <= 4096, "scratch fits");
    dyn_post_model m = {.kind = DYN_POST_LINREG, .n = 100, .d = 2};
    dyn_post_steps_info si;
    dyn_post_sampler_desc sd = {.kind = DYN_POST_SGD, .batch = 10};
    CHECK(dyn_post_steps(&m, &sd, a, bb, &si, scr, sl) == DYN_OK, "sgd");
    CHECK_NEAR(si.eps_star, 0.2, 1e-15, 0, "eps*");
    CHECK_NEAR(si.lam_max, 2, 1e-14, 0, "lam_max");
    CHECK(si.eps_ref == si.eps_star && si.eps_auto == si.eps_star, "SGD: reference and auto step are eps*");
    CHECK_NEAR(si.stab, 0.4, 1e-14, 0, "stab at eps 0 = auto = 0.2");
    CHECK(si.stab_bound == 2 && si.has_stationary && si.has_exact, "bound 2; linreg SGD i.i.d. has an exact prediction");
    sd.batching = DYN_POST_BATCH_EPOCH;
    CHECK(dyn_post_steps(&m, &sd, a, bb, &si, scr, sl) == DYN_OK && !si.has_exact, "epoch batches: no exact prediction");
    sd = (dyn_post_sampler_desc){.kind = DYN_POST_MOMENTUM, .eps = 0.1, .batch = 10, .momentum = 0.5};
    CHECK(dyn_post_steps(&m, &sd, a, bb, &si, scr, sl) == DYN_OK, "momentum");
    CHECK_NEAR(si.drift, 0.2, 1e-15, 0, "momentum drift eps/(1 - mu)");
    CHECK_NEAR(si.stab, 0.2, 1e-14, 0, "momentum stab");
    CHECK_NEAR(si.eps_max, 1.5, 1e-14, 0, "momentum eps_max 2 (1 + mu) / lam_max");
    CHECK(si.stab_bound == 3 && !si.has_exact, "bound 2 (1 + mu); no exact prediction for momentum");
    sd = (dyn_post_sampler_desc){.kind = DYN_POST_SGLD, .eps = 0.01, .batch = 10};
    CHECK(dyn_post_steps(&m, &sd, a, bb, &si, scr, sl) == DYN_OK, "sgld");
    CHECK_NEAR(si.eps_ref, 0.004, 1e-15, 0, "SGLD reference (2/N) eps*");
    CHECK_NEAR(si.eps_auto, 1e-4, 1e-15, 0, "SGLD auto 0.02/(N lam_max)");
    CHECK_NEAR(si.drift, 0.5, 1e-15, 0, "SGLD drift eps N/2");
    CHECK_NEAR(si.stab, 1.0, 1e-14, 0, "SGLD stab");
    CHECK_NEAR(si.eps_max, 0.02, 1e-15, 0, "SGLD eps_max");
    CHECK(si.has_stationary && si.has_exact, "constant-step SGLD on linreg: stationary and exact");
    sd.sgld_gamma = 0.55;
    CHECK(dyn_post_steps(&m, &sd, a, bb, &si, scr, sl) == DYN_OK && !si.has_stationary && !si.has_exact,
          "a decreasing SGLD step has no stationary prediction");
    m.kind = DYN_POST_LOGISTIC;
    sd = (dyn_post_sampler_desc){.kind = DYN_POST_SGD, .batch = 10};
    CHECK(dyn_post_steps(&m, &sd, a, bb, &si, scr, sl) == DYN_OK && !si.has_exact, "logistic: no exact prediction");
    double zero[4] = {0};
    CHECK(dyn_post_steps(&m, &sd, a, zero, &si, scr, sl) == DYN_OK && isnan(si.eps_star) && isnan(si.stab),
          "BB^T = 0: eps* and the auto step do not exist (NaN), not an error");
    sd.kind = DYN_POST_SAMPLER_COUNT;
    CHECK(dyn_post_steps(&m, &sd, a, bb, &si, scr, sl) == DYN_ERR_RANGE, "unknown sampler");
    sd = (dyn_post_sampler_desc){.kind = DYN_POST_SGD, .eps = (double)NAN};
    CHECK(dyn_post_steps(&m, &sd, a, bb, &si, scr, sl) == DYN_ERR_NAN, "NaN step");
    CHECK(dyn_post_steps(&m, &sd, a, bb, &si, scr, 3) == DYN_ERR_BUFFER, "short scratch");
    CHECK(dyn_post_sampler_seed(1) == (1 ^ 0x9E3779B97F4A7C15ULL) && dyn_post_sampler_seed(dyn_post_sampler_seed(7)) == 7,
          "the sampler's seed salt (an involution)");
}

/* dyn_post_theory: the one sequence the CLI and the page run (design check, mode, A, BB^T, lam_max, exact
 * posterior) gives exactly the bits of the separate core calls it is made of, and names a dependent column. */
static void test_theory_bundle(void)
{
    enum { N = 60, D = 3 };
    double x[N * D], y[N];
    dyn_post_model m = {.kind = DYN_POST_LINREG, .n = N, .d = D};
    CHECK(dyn_post_synthesize(&m, 5, x, N * D, y, N, NULL) == DYN_OK, "synthetic linreg");
    m.x = x, m.y = y;
    size_t tn = dyn_post_theory_doubles(D), sl = dyn_post_scratch_doubles(D);
    double *mem = malloc(sizeof(double) * tn), *scr = malloc(sizeof(double) * sl);
    double mode[D], a[D * D], bb[D * D], pm[D], pc[D * D];
    dyn_post_theory t;
    CHECK(dyn_post_theory_mode(&m, &t, mem, tn) == DYN_OK && dyn_post_theory_exact(&m, &t) == DYN_OK, "theory");
    CHECK(dyn_post_optimum(&m, NULL, mode, a, bb, scr, sl) == DYN_OK && dyn_post_linreg_exact(&m, pm, pc, scr, sl) == DYN_OK,
          "separately");
    CHECK(memcmp(mode, t.mode, sizeof mode) == 0 && memcmp(a, t.a, sizeof a) == 0 && memcmp(bb, t.bb, sizeof bb) == 0 &&
              memcmp(pm, t.pmean, sizeof pm) == 0 && memcmp(pc, t.pcov, sizeof pc) == 0,
          "the bundle is the separate calls, bit for bit");
    double w[D];
    dyn_la_sym_eig(D, a, w, NULL, scr, sl);
    CHECK(t.lam_max == w[D - 1] && isnan(t.log_z), "lam_max = the top eigenvalue of A; no log Z for D = 3");
    CHECK(dyn_post_theory_mode(&m, &t, mem, tn - 1) == DYN_ERR_BUFFER, "short buffer");
    for (int i = 0; i < N; i++) x[i * D + 2] = 2 * x[i * D + 1]; /* column 3 = 2 x column 2 */
    CHECK(dyn_post_theory_mode(&m, &t, mem, tn) == DYN_ERR_NO_SOLUTION && t.bad_column == 2,
          "a dependent column is named (%d)", t.bad_column);
    free(mem), free(scr);
}

/* dyn_post_grid_cover on grids whose answers are known: one Gaussian (one mode holding all the mass; within 2 sd of
 * itself 1 - exp(-2) = 86.47 % of it, the chi-square(2) law), and a 0.7 / 0.3 mixture of two well-separated
 * Gaussians (two modes, basin masses 0.7 and 0.3 to the overlap of their tails, below 1e-6 at 8 sd apart). */
static void test_grid_cover(void)
{
    enum { NX = 161, NY = 141 };
    static float g[NX * NY], h[NX * NY];
    static int scr[NX * NY];
    double m1[2] = {-2.0, 0.5}, c1[4] = {0.25, 0.1, 0.1, 0.36}, m2[2] = {2.0, -0.5}, c2[4] = {0.25, 0.0, 0.0, 0.25};
    dyn_post_box box = {-6.0, 6.0, -5.0, 5.0};
    dyn_post_cover cv;
    CHECK(dyn_post_gauss_grid(m1, c1, &box, NX, NY, 0, 0, g, NX * NY) == DYN_OK, "cover: gauss grid");
    CHECK(dyn_post_grid_cover(g, NX, NY, &box, m1, c1, 2.0, 1e-3, &cv, scr, NX * NY) == DYN_OK, "cover: one Gaussian");
    CHECK(cv.count == 1 && cv.owner == 0 && fabs(cv.mass[0] - 1.0) < 1e-9, "cover: one mode with all the mass (%d, %g)",
          cv.count, cv.mass[0]);
    CHECK(fabs(cv.theta[0][0] - m1[0]) < 0.08 && fabs(cv.theta[0][1] - m1[1]) < 0.08, "cover: the mode is at the mean");
    CHECK_NEAR(cv.inside, 1.0 - exp(-2.0), 0.01, 0, "cover: mass within 2 sd of a Gaussian is 1 - exp(-2)");
    CHECK(dyn_post_gauss_grid(m2, c2, &box, NX, NY, 0, 0, h, NX * NY) == DYN_OK, "cover: second gauss grid");
    for (int i = 0; i < NX * NY; i++) g[i] = 0.3f * g[i] + 0.7f * h[i];
    CHECK(dyn_post_grid_cover(g, NX, NY, &box, m1, c1, 2.0, 1e-3, &cv, scr, NX * NY) == DYN_OK, "cover: mixture");
    CHECK(cv.count == 2 && fabs(cv.mass[0] - 0.7) < 1e-4 && fabs(cv.mass[1] - 0.3) < 1e-4,
          "cover: two modes, masses 0.7 and 0.3 (%d: %g %g)", cv.count, cv.mass[0], cv.mass[1]);
    CHECK(cv.owner == 1 && fabs(cv.theta[0][0] - m2[0]) < 0.08, "cover: the lighter mode holds the first Gaussian's mean");
    CHECK_NEAR(cv.inside, 0.3 * (1.0 - exp(-2.0)), 0.01, 0, "cover: the first Gaussian's ellipse holds 30 % of 86.5 %");
    /* a flat top (equal floats over a block of cells, as float32 rounding makes at a broad peak) is one mode */
    int top = 0;
    for (int i = 1; i < NX * NY; i++) top = g[i] > g[top] ? i : top;
    g[top + 1] = g[top + NX] = g[top + NX + 1] = g[top];
    CHECK(dyn_post_grid_cover(g, NX, NY, &box, m1, c1, 2.0, 1e-3, &cv, scr, NX * NY) == DYN_OK && cv.count == 2,
          "cover: a plateau counts once (%d modes)", cv.count);
    /* more maxima than DYN_POST_MAX_MODES: 12 isolated spikes of heights 1..12 along the first row, the highest last
     * in grid order; the modes kept are the 8 highest (5..12), so the tallest one is never dropped */
    for (int i = 0; i < NX * NY; i++) h[i] = 0.0f;
    for (int k = 0; k < 12; k++) h[10 * k + 5] = (float)(k + 1);
    CHECK(dyn_post_grid_cover(h, NX, NY, &box, m1, c1, 2.0, 0.0, &cv, scr, NX * NY) == DYN_OK &&
          cv.count == DYN_POST_MAX_MODES, "cover: at most DYN_POST_MAX_MODES modes (%d)", cv.count);
    double kept = 0.0;
    for (int k = 0; k < cv.count; k++) kept += cv.mass[k];
    CHECK(fabs(cv.mass[0] - 12.0 / 78.0) < 1e-6 && fabs(kept - (78.0 - 10.0) / 78.0) < 1e-6,
          "cover: the 8 highest spikes kept (first %g, total %g)", cv.mass[0], kept);
    /* hostile input */
    double bad[4] = {1.0, 2.0, 2.0, 1.0};
    CHECK(dyn_post_grid_cover(g, NX, NY, &box, m1, bad, 2.0, 1e-3, &cv, scr, NX * NY) == DYN_ERR_RANGE, "cover: indefinite cov");
    CHECK(dyn_post_grid_cover(g, NX, NY, &box, m1, c1, 2.0, 1e-3, &cv, scr, NX * NY - 1) == DYN_ERR_BUFFER, "cover: scratch");
    g[5] = NAN;
    CHECK(dyn_post_grid_cover(g, NX, NY, &box, m1, c1, 2.0, 1e-3, &cv, scr, NX * NY) == DYN_ERR_NAN, "cover: NaN cell");
}

int main(void)
{
    test_theory_bundle();
    test_step_rules();
    test_linreg_by_hand();
    test_linreg_sequential();
    test_derivatives();
    test_grids();
    test_grid_cover();
    test_theory();
    test_chunks();
    test_sgd_discrete();
    test_sgld();
    test_diagnostics();
    test_errors();
    test_review();
    return check_summary("test_posterior");
}
