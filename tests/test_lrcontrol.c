/* test_lrcontrol.c - the learning rate as a control: closed forms, optimality, Monte Carlo SGD against its moments.
 *
 * Where the expected values come from:
 *   - the moment ODE under a constant u is linear: m(t) = m_inf + (m0 - m_inf) exp(-2 a u t), m_inf = eta u s^2/(2a);
 *   - under u = c/(t + t0) (never clipped when c <= t0) it is solved by an integrating factor:
 *     m(t) = C (t + t0)^(-2ac) + eta s^2 c^2 / ((2ac - 1)(t + t0));
 *   - the recursion under a constant u is geometric: m_k = m_inf' + (m0 - m_inf') g^(2k), g = 1 - eta u a,
 *     m_inf' = eta^2 u^2 s^2 / (1 - g^2);
 *   - the optimal feedback's trajectory has the closed form derived in lrcontrol.h (u = 1 up to t*, then
 *     u = 1/(1 + a (t - t*))), computed by dyn_lrc_optimal_1d from formulas independent of the integrator;
 *   - optimality is checked against grids of alternatives, random perturbations, and a direct optimisation whose
 *     first-order conditions are verified by finite differences (and which, stopped after one sweep, fails them:
 *     checked by hand, so the check can fail);
 *   - SGD's iterates are Gaussian (linear in Gaussian noise), so the Monte Carlo mean of f must match the
 *     recursion within its standard error, and the standard deviation of f must match
 *     sqrt(sum (a_i/2)^2 (2 v_i^2 + 4 mu_i^2 v_i)) with mu_k from the mean recursion and v = m - mu^2.
 * Monte Carlo tolerance: |mean - theory| <= 4.5 SE at each checked time (two-sided p = 7e-6 per point for a
 * correct theory); seeds are fixed, so results are reproducible. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lrcontrol.h"

static dyn_lrc_problem prob1(const double *a, const double *s2, const double *x0, double eta)
{
    dyn_lrc_problem p = {1, a, s2, x0, eta, 0};
    return p;
}

static double ode_final(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long n, double *buf)
{
    dyn_status st = dyn_lrc_ode(p, s, n, 0, buf, (size_t)n + 1, NULL, 0, NULL, 0);
    CHECK(st == DYN_OK, "ode: %s", dyn_status_str(st));
    return buf[n];
}

static double rec_final(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long n, double *buf)
{
    dyn_status st = dyn_lrc_recursion(p, s, n, buf, (size_t)n + 1, NULL, 0, NULL, 0);
    CHECK(st == DYN_OK, "recursion: %s", dyn_status_str(st));
    return buf[n];
}

static void test_closed_forms(void)
{
    /* constant u: ODE and recursion, two coordinates, batch 4 */
    double a[2] = {1.5, 0.2}, s2[2] = {2.0, 0.5}, x0[2] = {1.0, -3.0};
    dyn_lrc_problem p = {2, a, s2, x0, 0.05, 4};
    dyn_lrc_schedule c = {DYN_LRC_CONST, 0.6, 0, 0, NULL, 0};
    long n = 400;
    double *loss = malloc(sizeof(double) * (n + 1)), *m = malloc(sizeof(double) * 2 * (n + 1)),
           *u = malloc(sizeof(double) * 2 * (n + 1));
    CHECK(dyn_lrc_ode(&p, &c, n, 0, loss, n + 1, m, 2 * (n + 1), u, 2 * (n + 1)) == DYN_OK, "ode const");
    double worst = 0.0;
    for (long k = 0; k <= n; k += 7) {
        double t = k * p.eta, f = 0.0;
        for (int i = 0; i < 2; i++) {
            double s = s2[i] / 4, minf = p.eta * 0.6 * s / (2 * a[i]);
            double want = minf + (x0[i] * x0[i] - minf) * exp(-2 * a[i] * 0.6 * t);
            worst = fmax(worst, fabs(m[2 * k + i] - want) / want);
            f += 0.5 * a[i] * want;
            CHECK(u[2 * k + i] == 0.6, "const u");
        }
        CHECK_NEAR(loss[k], f, 1e-10, 0, "ode const loss");
    }
    /* RK4, 8 substeps of eta/8: local error (2 a u h)^5 / 120 per substep, about 1e-10 relative over the run */
    CHECK(worst < 2e-9, "ode const: worst rel error %.3g", worst);
    CHECK(dyn_lrc_recursion(&p, &c, n, loss, n + 1, m, 2 * (n + 1), NULL, 0) == DYN_OK, "rec const");
    worst = 0.0;
    for (long k = 0; k <= n; k += 7)
        for (int i = 0; i < 2; i++) {
            double s = s2[i] / 4, g = 1 - p.eta * 0.6 * a[i], minf = p.eta * p.eta * 0.36 * s / (1 - g * g);
            double want = minf + (x0[i] * x0[i] - minf) * pow(g, 2.0 * k);
            worst = fmax(worst, fabs(m[2 * k + i] - want) / want);
        }
    CHECK(worst < 1e-12, "recursion const: worst rel error %.3g", worst);

    /* the optimal feedback against its closed form: starts above and below the switch level, and no noise */
    struct { double a, s2, eta, x0; } cs[] = {{1.0, 1.0, 0.01, 2.0}, {3.0, 0.5, 0.02, 1.0}, {0.5, 4.0, 0.05, 0.3},
                                             {2.0, 0.0, 0.01, 1.0}};
    for (int c2 = 0; c2 < 4; c2++) {
        dyn_lrc_problem q = prob1(&cs[c2].a, &cs[c2].s2, &cs[c2].x0, cs[c2].eta);
        dyn_lrc_schedule o = {DYN_LRC_OPTIMAL, 0, 0, 0, NULL, 0};
        long nn;
        CHECK(dyn_lrc_steps(cs[c2].eta, 8.0, &nn) == DYN_OK, "steps");
        CHECK(nn == (long)floor(8.0 / cs[c2].eta + 0.5), "steps %ld", nn);
        double *mm = malloc(sizeof(double) * (nn + 1)), *uu = malloc(sizeof(double) * (nn + 1));
        CHECK(dyn_lrc_ode(&q, &o, nn, 16, loss = realloc(loss, sizeof(double) * (nn + 1)), nn + 1, mm, nn + 1, uu,
                          nn + 1) == DYN_OK, "ode optimal");
        double wm = 0.0, wu = 0.0, ts;
        for (long k = 0; k <= nn; k++) {
            double mt, ut;
            dyn_lrc_optimal_1d(cs[c2].a, cs[c2].s2, cs[c2].eta, cs[c2].x0 * cs[c2].x0, k * cs[c2].eta, &mt, &ut, &ts);
            wm = fmax(wm, fabs(mm[k] - mt) / mt);
            wu = fmax(wu, fabs(uu[k] - ut));
        }
        /* RK4 meets the kink at t* inside one step: a local error of O(h^2 eta) there, nowhere else */
        CHECK(wm < 1e-6, "optimal case %d: ODE vs closed form, worst rel m error %.3g (t* = %g)", c2, wm, ts);
        CHECK(wu < 1e-6, "optimal case %d: worst u error %.3g", c2, wu);
        if (cs[c2].s2 == 0.0) CHECK(isinf(ts), "no noise: never switch");
        free(mm);
        free(uu);
    }
    /* the switch time, by hand: a = 1, s2 = 1, eta = 0.01, m0 = 4: t* = ln(2*4/0.01 - 1)/2 */
    double ts, um;
    dyn_lrc_optimal_1d(1.0, 1.0, 0.01, 4.0, 0.0, NULL, &um, &ts);
    CHECK_NEAR(ts, 0.5 * log(799.0), 1e-14, 0, "t*");
    dyn_lrc_optimal_1d(1.0, 1.0, 0.01, 4.0, ts + 9.0, NULL, &um, NULL);
    CHECK_NEAR(um, 0.1, 1e-12, 0, "u(t* + 9) = 1/(1 + 9)");

    /* u = c / (t + t0) with c <= t0: never clipped, integrating-factor solution */
    double ai = 0.8, si = 1.5, xi = 2.0, cc = 2.0, t0 = 2.5, eta = 0.01;
    dyn_lrc_problem q = prob1(&ai, &si, &xi, eta);
    dyn_lrc_schedule iv = {DYN_LRC_INV, cc, t0, 0, NULL, 0};
    long ni = 1000;
    double *mm = malloc(sizeof(double) * (ni + 1));
    loss = realloc(loss, sizeof(double) * (ni + 1));
    CHECK(dyn_lrc_ode(&q, &iv, ni, 0, loss, ni + 1, mm, ni + 1, NULL, 0) == DYN_OK, "ode inv");
    double k2 = 2 * ai * cc, part0 = eta * si * cc * cc / ((k2 - 1) * t0), C = (xi * xi - part0) * pow(t0, k2);
    worst = 0.0;
    for (long k = 0; k <= ni; k++) {
        double t = k * eta, want = C * pow(t + t0, -k2) + eta * si * cc * cc / ((k2 - 1) * (t + t0));
        worst = fmax(worst, fabs(mm[k] - want) / want);
    }
    CHECK(worst < 1e-10, "ode inv: worst rel error %.3g", worst);
    free(mm);
    free(loss);
    free(m);
    free(u);
}

/* the SME's moments and SGD's exact moments differ by O(eta): halving eta halves the gap */
static void test_sme_order(void)
{
    double a[2] = {1.0, 0.25}, s2[2] = {1.0, 3.0}, x0[2] = {2.0, 2.0};
    dyn_lrc_schedule sch[3] = {{DYN_LRC_OPTIMAL, 0, 0, 0, NULL, 0}, {DYN_LRC_CONST, 0.5, 0, 0, NULL, 0},
                               {DYN_LRC_INV, 1.0, 0, 0, NULL, 0}};
    for (int s = 0; s < 3; s++) {
        double gap[3];
        for (int e = 0; e < 3; e++) {
            double eta = 0.04 / (1 << e);
            dyn_lrc_problem p = {2, a, s2, x0, eta, 0};
            long n;
            dyn_lrc_steps(eta, 6.0, &n);
            double *l1 = malloc(sizeof(double) * (n + 1)), *l2 = malloc(sizeof(double) * (n + 1));
            dyn_lrc_ode(&p, &sch[s], n, 0, l1, n + 1, NULL, 0, NULL, 0);
            dyn_lrc_recursion(&p, &sch[s], n, l2, n + 1, NULL, 0, NULL, 0);
            gap[e] = 0.0;
            for (long k = 0; k <= n; k++) gap[e] = fmax(gap[e], fabs(l1[k] - l2[k]) / l1[k]);
            free(l1);
            free(l2);
        }
        printf("SME vs recursion, schedule %d: max rel gap %.4g %.4g %.4g at eta = 0.04 0.02 0.01\n", s, gap[0], gap[1],
               gap[2]);
        CHECK(gap[0] < 0.1, "schedule %d: SME vs recursion rel gap %.3g at eta = 0.04", s, gap[0]);
        CHECK(gap[0] / gap[1] > 1.7 && gap[0] / gap[1] < 2.3 && gap[1] / gap[2] > 1.7 && gap[1] / gap[2] < 2.3,
              "schedule %d: gaps %.3g %.3g %.3g are not O(eta)", s, gap[0], gap[1], gap[2]);
    }
}

/* the feedback law beats every constant, every c/(t + t0), random perturbations, and a direct optimisation */
static void test_optimality(void)
{
    double a[3] = {1.0, 0.3, 4.0}, s2[3] = {1.0, 2.0, 0.5}, x0[3] = {2.0, -1.0, 0.5};
    for (int d = 1; d <= 3; d += 2) {
        dyn_lrc_problem p = {d, a, s2, x0, 0.02, 0};
        long n;
        dyn_lrc_steps(p.eta, 10.0, &n);
        double *buf = malloc(sizeof(double) * (n + 1));
        dyn_lrc_schedule o = {DYN_LRC_OPTIMAL, 0, 0, 0, NULL, 0};
        double jo = ode_final(&p, &o, n, buf), best_c = INFINITY, best_i = INFINITY;
        int beaten = 0;
        for (int k = 1; k <= 100; k++) {
            dyn_lrc_schedule c = {DYN_LRC_CONST, k / 100.0, 0, 0, NULL, 0};
            double j = ode_final(&p, &c, n, buf);
            best_c = fmin(best_c, j);
            beaten += j < jo * (1 - 1e-9);
        }
        double cs[] = {0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10}, ts[] = {0, 0.2, 0.5, 1, 2, 5, 10};
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 7; j++) {
                dyn_lrc_schedule c = {DYN_LRC_INV, cs[i], ts[j], 0, NULL, 0};
                double jj = ode_final(&p, &c, n, buf);
                best_i = fmin(best_i, jj);
                beaten += jj < jo * (1 - 1e-9);
            }
        CHECK(beaten == 0, "d = %d: %d alternatives beat the optimal feedback (J = %.6g)", d, beaten, jo);
        CHECK(jo < best_c && jo < best_i, "d = %d: J* %.6g, best const %.6g, best inv %.6g", d, jo, best_c, best_i);

        /* the per-step values of the optimum, perturbed at random, never help (a shared given schedule in 1-D) */
        if (d == 1) {
            double *uo = malloc(sizeof(double) * (n + 1)), *up = malloc(sizeof(double) * n);
            dyn_lrc_ode(&p, &o, n, 0, buf, n + 1, NULL, 0, uo, n + 1);
            srand(7);
            int worse = 0;
            for (int trial = 0; trial < 20; trial++) {
                for (long k = 0; k < n; k++) {
                    double v = uo[k] * (1 + 0.2 * (rand() / (double)RAND_MAX - 0.5) * (trial ? 1 : 0));
                    up[k] = v > 1 ? 1 : v;
                }
                dyn_lrc_schedule g = {DYN_LRC_GIVEN, 0, 0, 0, up, n};
                double j = ode_final(&p, &g, n, buf);
                /* the step-wise constant copy of the law is within O(eta^2) of it, and never below */
                CHECK(j >= jo * (1 - 1e-10), "perturbed schedule %d: J %.12g below J* %.12g", trial, j, jo);
                worse += j > jo;
            }
            CHECK(worse == 20, "perturbations: only %d of 20 above J*", worse);
            free(uo);
            free(up);
        }

        /* direct optimisation of a piecewise-constant shared u */
        int pieces[2] = {25, 100};
        double gapK[2];
        for (int kk = 0; kk < 2; kk++) {
            int K = pieces[kk];
            size_t ns = dyn_lrc_optimize_scratch_doubles(d, K);
            double *sc = malloc(sizeof(double) * ns), *ud = malloc(sizeof(double) * n), jd;
            dyn_status st = dyn_lrc_optimize(&p, n, K, 0, ud, n, &jd, sc, ns);
            CHECK(st == DYN_OK, "optimize: %s", dyn_status_str(st));
            dyn_lrc_schedule g = {DYN_LRC_DIRECT, 0, 0, K, ud, n};
            double jr = ode_final(&p, &g, n, buf);
            CHECK_NEAR(jr, jd, 1e-9, 0, "the optimiser's loss = the ODE's under its schedule");
            CHECK(jd >= jo * (1 - 1e-9), "d = %d, K = %d: direct %.10g below the feedback optimum %.10g", d, K, jd, jo);
            CHECK(jd <= best_c * (1 + 1e-12), "d = %d, K = %d: direct %.10g above the best constant %.10g", d, K, jd,
                  best_c);
            if (K == 100) CHECK(jd <= best_i, "d = %d: direct %.10g above the best c/(t + t0) %.10g", d, jd, best_i);
            gapK[kk] = jd / jo - 1;
            /* first-order (KKT) conditions by central differences of the exact piecewise loss, every d */
            long len = (n + K - 1) / K;
            {
                int bad = 0;
                for (int j = 0; j < K; j++) {
                    double u0 = ud[j * len], h = 1e-4, jp, jm;
                    double *uu = malloc(sizeof(double) * n);
                    memcpy(uu, ud, sizeof(double) * n);
                    for (long k = j * len; k < (j + 1) * len && k < n; k++) uu[k] = fmin(1, u0 + h);
                    dyn_lrc_schedule gp = {DYN_LRC_GIVEN, 0, 0, 0, uu, n};
                    jp = ode_final(&p, &gp, n, buf);
                    for (long k = j * len; k < (j + 1) * len && k < n; k++) uu[k] = fmax(0, u0 - h);
                    jm = ode_final(&p, &gp, n, buf);
                    double der = u0 + h > 1 ? (jd - jm) / h : u0 - h < 0 ? (jp - jd) / h : (jp - jm) / (2 * h);
                    /* interior: dJ/du = 0; at the bound u = 1: dJ/du <= 0; at u = 0: dJ/du >= 0 */
                    if (u0 > 1 - 1e-9 ? der > 1e-9 : u0 < 1e-9 ? der < -1e-9 : fabs(der) > 1e-6 * jd) bad++;
                    free(uu);
                }
                CHECK(bad == 0, "d = %d, K = %d: %d pieces violate the first-order conditions", d, K, bad);
            }
            if (d == 1) {
                /* the pieces follow the closed-form u(t) at their midpoints */
                double wu = 0.0;
                for (int j = 0; j < K; j++) {
                    double ut;
                    dyn_lrc_optimal_1d(a[0], s2[0], p.eta, x0[0] * x0[0], (j + 0.5) * len * p.eta, NULL, &ut, NULL);
                    wu = fmax(wu, fabs(ud[j * len] - ut));
                }
                CHECK(wu < (K == 25 ? 0.15 : 0.06), "K = %d: direct u is %.3g from the closed form", K, wu);
            }
            free(sc);
            free(ud);
        }
        printf("d = %d: J* = %.8g, best const %.8g, best inv %.8g, direct K=25 +%.3g, K=100 +%.3g relative\n", d, jo,
               best_c, best_i, gapK[0], gapK[1]);
        if (d == 1) {
            CHECK(gapK[1] < 2e-3 && gapK[1] < gapK[0], "1-D: direct gaps %.3g (K=25) %.3g (K=100)", gapK[0], gapK[1]);
        } else {
            /* one shared u cannot serve curvatures 0.3..4 as well as one u per coordinate */
            CHECK(gapK[1] > 1e-3, "3-D: shared optimum only %.3g above the per-coordinate one", gapK[1]);
        }
        free(buf);
    }

    /* in SGD's own recursion the discrete law is optimal, and within O(eta) of the SME's law */
    double aa = 1.0, ss = 1.0, xx = 2.0;
    for (int e = 0; e < 2; e++) {
        double eta = e ? 0.1 : 0.01;
        dyn_lrc_problem p = prob1(&aa, &ss, &xx, eta);
        long n;
        dyn_lrc_steps(eta, 10.0, &n);
        double *buf = malloc(sizeof(double) * (n + 1));
        dyn_lrc_schedule o = {DYN_LRC_OPTIMAL, 0, 0, 0, NULL, 0}, dd = {DYN_LRC_DISCRETE, 0, 0, 0, NULL, 0};
        double jo = rec_final(&p, &o, n, buf), jd = rec_final(&p, &dd, n, buf);
        CHECK(jd <= jo, "eta %g: discrete law %.10g above the SME law %.10g in the recursion", eta, jd, jo);
        CHECK(jo / jd - 1 < 2 * eta, "eta %g: the two laws differ by %.3g", eta, jo / jd - 1);
        int beaten = 0;
        for (int k = 1; k <= 100; k++) {
            dyn_lrc_schedule c = {DYN_LRC_CONST, k / 100.0, 0, 0, NULL, 0}, iv = {DYN_LRC_INV, k / 10.0, 0, 0, NULL, 0};
            beaten += rec_final(&p, &c, n, buf) < jd;
            beaten += rec_final(&p, &iv, n, buf) < jd;
        }
        CHECK(beaten == 0, "eta %g: %d schedules beat the discrete optimum", eta, beaten);
        free(buf);
    }
}

/* Monte Carlo SGD against the exact recursion: mean within 4.5 SE, SD against the Gaussian formula */
static void test_monte_carlo(void)
{
    double a[2] = {1.0, 0.3}, s2[2] = {0.5, 2.0}, x0[2] = {1.5, -1.0};
    double given[200];
    for (int k = 0; k < 200; k++) given[k] = 0.3 + 0.6 * (k % 17) / 16.0;
    struct { int d, batch; double eta; dyn_lrc_schedule s; } set[] = {
        {1, 0, 0.05, {DYN_LRC_OPTIMAL, 0, 0, 0, NULL, 0}},
        {2, 2, 0.05, {DYN_LRC_CONST, 0.5, 0, 0, NULL, 0}},
        {2, 0, 0.1, {DYN_LRC_INV, 1.0, 1.0, 0, NULL, 0}},
        {2, 3, 0.05, {DYN_LRC_DISCRETE, 0, 0, 0, NULL, 0}},
        {1, 0, 0.05, {DYN_LRC_GIVEN, 0, 0, 0, given, 200}},
    };
    long runs = 4000;
    for (int c = 0; c < 5; c++) {
        dyn_lrc_problem p = {set[c].d, a, s2, x0, set[c].eta, set[c].batch};
        long n = 100;
        size_t r = (size_t)n + 1;
        double *th = malloc(sizeof(double) * r), *mu = malloc(sizeof(double) * r), *se = malloc(sizeof(double) * r);
        double *m = malloc(sizeof(double) * r * 2), *u = malloc(sizeof(double) * r * 2), *paths = malloc(sizeof(double) * r * 3);
        CHECK(dyn_lrc_recursion(&p, &set[c].s, n, th, r, m, r * 2, u, r * 2) == DYN_OK, "rec");
        dyn_status st = dyn_lrc_simulate(&p, &set[c].s, n, runs, 42 + c, mu, r, se, r, 3, paths, r * 3);
        CHECK(st == DYN_OK, "simulate: %s", dyn_status_str(st));
        CHECK(mu[0] == th[0] && se[0] == 0.0, "t = 0 is deterministic");
        double worst_z = 0.0, worst_sd = 0.0, mean_k[2];
        int d = set[c].d;
        for (int i = 0; i < d; i++) mean_k[i] = x0[i];
        for (long k = 0; k <= n; k++) {
            if (k > 0) {
                double z = fabs(mu[k] - th[k]) / se[k];
                worst_z = fmax(worst_z, z);
                /* the SD of f for Gaussian iterates */
                double var = 0.0;
                for (int i = 0; i < d; i++) {
                    double v = m[k * d + i] - mean_k[i] * mean_k[i];
                    var += 0.25 * a[i] * a[i] * (2 * v * v + 4 * mean_k[i] * mean_k[i] * v);
                }
                double sd = se[k] * sqrt((double)runs);
                worst_sd = fmax(worst_sd, fabs(sd / sqrt(var) - 1));
            }
            for (int i = 0; i < d; i++) mean_k[i] *= 1 - p.eta * u[k * d + i] * a[i];
        }
        printf("MC setting %d: worst |mean - recursion| = %.2f SE, worst SD error %.3g, final %.6g +- %.2g vs %.6g\n", c,
               worst_z, worst_sd, mu[n], se[n], th[n]);
        CHECK(worst_z < 4.5, "setting %d: MC mean %.2f SE from the recursion", c, worst_z);
        /* SD of a sample SD of n = 4000 chi-square-like values: about 3-5 %; 15 % is far outside */
        CHECK(worst_sd < 0.15, "setting %d: MC SD off by %.3g relative", c, worst_sd);
        CHECK(paths[0] == th[0] && paths[r] == th[0] && paths[1] != paths[r + 1], "paths start at f(x0), differ");
        free(th);
        free(mu);
        free(se);
        free(m);
        free(u);
        free(paths);
    }

    /* the test can fail: at eta = 0.4 the SME's O(eta) error is many standard errors wide */
    double aa = 1.0, ss = 1.0, xx = 1.0;
    dyn_lrc_problem p = prob1(&aa, &ss, &xx, 0.4);
    dyn_lrc_schedule c = {DYN_LRC_CONST, 1.0, 0, 0, NULL, 0};
    long n = 25;
    double ode[26], mu[26], se[26], mu2[26], se2[26];
    dyn_lrc_ode(&p, &c, n, 0, ode, 26, NULL, 0, NULL, 0);
    dyn_lrc_simulate(&p, &c, n, 20000, 5, mu, 26, se, 26, 0, NULL, 0);
    CHECK(fabs(mu[n] - ode[n]) / se[n] > 8, "eta = 0.4: MC only %.2f SE from the SME", fabs(mu[n] - ode[n]) / se[n]);
    /* reproducible, and the seed matters */
    dyn_lrc_simulate(&p, &c, n, 20000, 5, mu2, 26, se2, 26, 0, NULL, 0);
    CHECK(memcmp(mu, mu2, sizeof mu) == 0 && memcmp(se, se2, sizeof se) == 0, "same seed, same result");
    dyn_lrc_simulate(&p, &c, n, 20000, 6, mu2, 26, se2, 26, 0, NULL, 0);
    CHECK(mu2[n] != mu[n], "another seed, another result");
}

/* the costates: backpropagation through SGD's moment recursion, checked by finite differences; the KKT signs */
static void test_costates(void)
{
    double a[2] = {1.2, 0.3}, s2[2] = {0.7, 2.0}, x0[2] = {1.5, -2.0};
    dyn_lrc_problem p = {2, a, s2, x0, 0.05, 2};
    long n = 80;
    double u[80], lam[2 * 81], grad[2 * 80], J, loss[81];
    for (int k = 0; k < n; k++) u[k] = 0.3 + 0.6 * ((k * 5) % 11) / 10.0;
    dyn_lrc_schedule g = {DYN_LRC_GIVEN, 0, 0, 0, u, n};
    CHECK(dyn_lrc_costates(&p, &g, n, lam, 2 * 81, grad, 2 * 80, &J) == DYN_OK, "costates");
    CHECK(J == rec_final(&p, &g, n, loss), "J = the recursion's final loss");
    CHECK(lam[2 * n] == 0.6 && lam[2 * n + 1] == 0.15, "lambda(N) = a / 2");
    /* dJ/du_k (shared) = row sum, by central differences */
    double worst = 0.0;
    for (int k = 0; k < n; k += 3) {
        double h = 1e-6, keep = u[k];
        u[k] = keep + h;
        double jp = rec_final(&p, &g, n, loss);
        u[k] = keep - h;
        double jm = rec_final(&p, &g, n, loss);
        u[k] = keep;
        double fd = (jp - jm) / (2 * h), an = grad[2 * k] + grad[2 * k + 1];
        worst = fmax(worst, fabs(fd - an) / (fabs(an) + 1e-3 * J));
    }
    CHECK(worst < 1e-6, "dJ/du_k against central differences: worst rel error %.3g", worst);
    /* lambda(0) = dJ/dm(0), and m_i(0) = x0_i^2: dJ/dx0_i = 2 x0_i lambda_i(0) */
    for (int i = 0; i < 2; i++) {
        double h = 1e-6, keep = x0[i];
        x0[i] = keep + h;
        double jp = rec_final(&p, &g, n, loss);
        x0[i] = keep - h;
        double jm = rec_final(&p, &g, n, loss);
        x0[i] = keep;
        CHECK_NEAR((jp - jm) / (2 * h), 2 * keep * lam[i], 1e-6, 0, "dJ/dx0 = 2 x0 lambda(0)");
    }
    /* KKT: the discrete law zeroes every interior derivative; at u = 1 the derivative is <= 0 */
    dyn_lrc_schedule dd = {DYN_LRC_DISCRETE, 0, 0, 0, NULL, 0}, o = {DYN_LRC_OPTIMAL, 0, 0, 0, NULL, 0};
    double uu[2 * 81];
    CHECK(dyn_lrc_costates(&p, &dd, n, lam, 2 * 81, grad, 2 * 80, NULL) == DYN_OK, "costates discrete");
    dyn_lrc_recursion(&p, &dd, n, loss, 81, NULL, 0, uu, 2 * 81);
    int bad = 0, interior = 0, bang = 0;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < 2; i++) {
            double scale = lam[2 * (k + 1) + i] * 2 * p.eta * a[i] * x0[i] * x0[i] + 1e-300;
            if (uu[2 * k + i] < 1) interior++, bad += fabs(grad[2 * k + i]) > 1e-12 * scale;
            else bang++, bad += grad[2 * k + i] > 0;
        }
    CHECK(bad == 0 && interior > 10 && bang > 10, "discrete law KKT: %d violations (%d interior, %d at u = 1)", bad,
          interior, bang);
    /* the SME's law in SGD's recursion: interior derivatives O(eta) relative to one term */
    CHECK(dyn_lrc_costates(&p, &o, n, lam, 2 * 81, grad, 2 * 80, NULL) == DYN_OK, "costates optimal");
    double mm[2 * 81];
    dyn_lrc_recursion(&p, &o, n, loss, 81, mm, 2 * 81, uu, 2 * 81);
    /* interior, u = a m / (eta s^2) turns the bracket into 2 eta^2 u a^2 m: eta u a times the term 2 eta a m */
    double rel = 0.0, bound = 0.0;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < 2; i++) {
            if (uu[2 * k + i] >= 1) continue;
            double term = lam[2 * (k + 1) + i] * 2 * p.eta * a[i] * mm[2 * k + i];
            rel = fmax(rel, fabs(grad[2 * k + i]) / term);
            bound = fmax(bound, p.eta * uu[2 * k + i] * a[i]);
        }
    printf("SME law in SGD's recursion: interior |dJ/du| at most %.3g of one term (eta u a at most %.3g)\n", rel, bound);
    CHECK(rel > 0 && rel <= bound * (1 + 1e-9), "SME law in the recursion: dJ/du is %.3g of one term, eta u a %.3g", rel,
          bound);
    /* bad buffers */
    CHECK(dyn_lrc_costates(&p, &g, n, lam, 2 * 81 - 1, grad, 2 * 80, NULL) == DYN_ERR_BUFFER, "lambda too short");
    CHECK(dyn_lrc_costates(&p, &g, n, lam, 2 * 81, grad, 2 * 80 - 1, NULL) == DYN_ERR_BUFFER, "grad too short");
    CHECK(dyn_lrc_costates(&p, &g, n, NULL, 2 * 81, grad, 2 * 80, NULL) == DYN_ERR_NULL, "lambda NULL");
}

static void test_parse_and_control(void)
{
    const char *ok[] = {"optimal", "discrete", "const:0.5", "inv:2", "inv:2:10", "direct:40", "const:1", "given"};
    const char *lab[] = {"optimal", "discrete", "const:0.5", "inv:2", "inv:2:10", "direct:40", "const:1", "given"};
    for (int i = 0; i < 8; i++) {
        dyn_lrc_schedule s;
        char b[DYN_LRC_LABEL_MAX];
        CHECK(dyn_lrc_schedule_parse(ok[i], &s, NULL, 0) == DYN_OK, "parse %s", ok[i]);
        CHECK(strcmp(dyn_lrc_schedule_label(&s, b, sizeof b), lab[i]) == 0, "label %s -> %s", ok[i], b);
    }
    const char *bad[] = {"", "optimal:1", "const", "const:0", "const:1.5", "const:x", "inv", "inv:0", "inv:1:-1",
                         "inv:1:", "direct:0", "direct:2.5", "direct:1001", "fast", "const:nan", "inv:inf", "given:3"};
    for (int i = 0; i < 17; i++) {
        dyn_lrc_schedule s;
        char err[160] = "";
        dyn_status st = dyn_lrc_schedule_parse(bad[i], &s, err, sizeof err);
        CHECK(st != DYN_OK && strlen(err) > 10 && !strchr(err, '\n'), "bad schedule '%s' accepted or no message", bad[i]);
    }
    CHECK(dyn_lrc_schedule_parse("fast", &(dyn_lrc_schedule){0}, NULL, 0) == DYN_ERR_UNKNOWN_NAME, "unknown name");

    double a[2] = {2.0, 0.5}, s2[2] = {1.0, 0.0}, m[2] = {0.001, 0.3}, u[2];
    dyn_lrc_problem p = {2, a, s2, NULL, 0.1, 2};
    dyn_lrc_schedule o = {DYN_LRC_OPTIMAL, 0, 0, 0, NULL, 0}, dd = {DYN_LRC_DISCRETE, 0, 0, 0, NULL, 0};
    CHECK(dyn_lrc_control(&p, &o, 0, 0, m, u) == DYN_OK, "control");
    CHECK_NEAR(u[0], 2.0 * 0.001 / (0.1 * 0.5), 1e-15, 0, "u* = a m / (eta s^2), s^2 = sigma2 / batch");
    CHECK(u[1] == 1.0, "no noise: u = 1");
    CHECK(dyn_lrc_control(&p, &dd, 0, 0, m, u) == DYN_OK, "control");
    CHECK_NEAR(u[0], 2.0 * 0.001 / (0.1 * (4 * 0.001 + 0.5)), 1e-15, 0, "discrete law");
    dyn_lrc_schedule iv = {DYN_LRC_INV, 2.0, 1.0, 0, NULL, 0};
    CHECK(dyn_lrc_control(&p, &iv, 0, 4.0, m, u) == DYN_OK && u[0] == 0.4 && u[1] == 0.4, "inv shared");
    CHECK(dyn_lrc_control(&p, &iv, 0, 0.5, m, u) == DYN_OK && u[0] == 1.0, "inv clipped to 1");
    dyn_lrc_schedule z = {DYN_LRC_CONST, 0, 0, 0, NULL, 0};
    CHECK(dyn_lrc_control(&p, &z, 0, 0, m, u) == DYN_OK && u[0] == 1.0, "const 0 -> default 1");
}

static void test_bad_inputs(void)
{
    double a[2] = {1.0, 2.0}, s2[2] = {1.0, 1.0}, buf[20], m[40], nanv = NAN;
    dyn_lrc_schedule o = {DYN_LRC_OPTIMAL, 0, 0, 0, NULL, 0};
    dyn_lrc_problem p = {2, a, s2, NULL, 0.1, 0};
    CHECK(dyn_lrc_ode(&p, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_OK, "baseline");
    dyn_lrc_problem q = p;
    q.d = 0;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_SIZE, "d = 0");
    q.d = DYN_LRC_MAX_D + 1;
    CHECK(dyn_lrc_recursion(&q, &o, 10, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_SIZE, "d too big");
    q = p, q.a = NULL;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_NULL, "a NULL");
    double an[2] = {1.0, nanv}, az[2] = {1.0, 0.0}, sneg[2] = {1.0, -1.0};
    q = p, q.a = an;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_NAN, "a NaN");
    q = p, q.a = az;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "a = 0");
    q = p, q.sigma2 = sneg;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "sigma2 < 0");
    double big[2] = {1.0, 1e101};
    q = p, q.sigma2 = big;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "sigma2 too large");
    q = p, q.x0 = big;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "x0 too large");
    q = p, q.eta = 1.0;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "eta a >= 2");
    q = p, q.eta = -0.1;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "eta < 0");
    q = p, q.eta = nanv;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_NAN, "eta NaN");
    q = p, q.batch = -1;
    CHECK(dyn_lrc_ode(&q, &o, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "batch < 0");
    CHECK(dyn_lrc_ode(&p, &o, 10, 0, buf, 10, NULL, 0, NULL, 0) == DYN_ERR_BUFFER, "loss too short");
    CHECK(dyn_lrc_ode(&p, &o, 10, 0, buf, 11, m, 21, NULL, 0) == DYN_ERR_BUFFER, "m too short");
    CHECK(dyn_lrc_recursion(&p, &o, 10, buf, 11, NULL, 0, m, 21) == DYN_ERR_BUFFER, "u too short");
    CHECK(dyn_lrc_ode(&p, &o, 0, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_SIZE, "0 steps");
    CHECK(dyn_lrc_ode(&p, &o, 10, -1, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_SIZE, "substeps < 0");
    CHECK(dyn_lrc_ode(&p, NULL, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_NULL, "no schedule");
    dyn_lrc_schedule c = {DYN_LRC_CONST, 1.5, 0, 0, NULL, 0};
    CHECK(dyn_lrc_ode(&p, &c, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "const > 1");
    c.kind = (dyn_lrc_kind)99;
    CHECK(dyn_lrc_ode(&p, &c, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "bad kind");
    dyn_lrc_schedule iv = {DYN_LRC_INV, 1.0, -1.0, 0, NULL, 0};
    CHECK(dyn_lrc_ode(&p, &iv, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_RANGE, "t0 < 0");
    double g[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, nanv};
    dyn_lrc_schedule gv = {DYN_LRC_GIVEN, 0, 0, 0, g, 10};
    CHECK(dyn_lrc_ode(&p, &gv, 10, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_NAN, "given NaN");
    CHECK(dyn_lrc_ode(&p, &gv, 9, 0, buf, 11, NULL, 0, NULL, 0) == DYN_OK, "given, 9 of 10 used");
    gv.n_u = 5;
    CHECK(dyn_lrc_ode(&p, &gv, 9, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_SIZE, "given too short");
    gv.u = NULL;
    CHECK(dyn_lrc_ode(&p, &gv, 5, 0, buf, 11, NULL, 0, NULL, 0) == DYN_ERR_NULL, "given NULL");
    double se[20];
    CHECK(dyn_lrc_simulate(&p, &o, 10, 1, 1, buf, 11, se, 11, 0, NULL, 0) == DYN_ERR_SIZE, "1 run");
    CHECK(dyn_lrc_simulate(&p, &o, 10, 10, 1, buf, 11, se, 11, 11, m, 40) == DYN_ERR_SIZE, "npaths > runs");
    CHECK(dyn_lrc_simulate(&p, &o, 10, 10, 1, buf, 11, se, 11, 4, m, 40) == DYN_ERR_BUFFER, "paths too short");
    CHECK(dyn_lrc_simulate(&p, &o, 10, 10, 1, buf, 11, se, 11, 2, NULL, 40) == DYN_ERR_NULL, "paths NULL");
    CHECK(dyn_lrc_simulate(&p, &o, 10, 10, 1, buf, 11, se, 10, 0, NULL, 0) == DYN_ERR_BUFFER, "se too short");
    CHECK(dyn_lrc_simulate(&p, &o, 10000000L, 10000000L, 1, buf, 11, se, 11, 0, NULL, 0) == DYN_ERR_SIZE, "work bound");
    long n;
    CHECK(dyn_lrc_steps(0.1, 0.01, &n) == DYN_ERR_SIZE, "T < eta/2: no step");
    CHECK(dyn_lrc_steps(1e-9, 100, &n) == DYN_ERR_SIZE, "too many steps");
    CHECK(dyn_lrc_steps(0.1, nanv, &n) == DYN_ERR_NAN, "T NaN");
    CHECK(dyn_lrc_steps(0.1, -1, &n) == DYN_ERR_RANGE, "T < 0");
    double sc[100], uu[10], jj;
    CHECK(dyn_lrc_optimize(&p, 10, 11, 0, uu, 10, &jj, sc, 100) == DYN_ERR_SIZE, "more pieces than steps");
    CHECK(dyn_lrc_optimize(&p, 10, 5, 0, uu, 9, &jj, sc, 100) == DYN_ERR_BUFFER, "u too short");
    CHECK(dyn_lrc_optimize(&p, 10, 5, 0, uu, 10, &jj, sc, dyn_lrc_optimize_scratch_doubles(2, 5) - 1) == DYN_ERR_BUFFER,
          "scratch too short");
    CHECK(dyn_lrc_optimize(&p, 10, 5, -1, uu, 10, &jj, sc, 100) == DYN_ERR_SIZE, "sweeps < 0");
    CHECK(dyn_lrc_optimize_scratch_doubles(0, 5) == 0, "scratch for d = 0");
    double mm[2] = {1, -1}, u2[2];
    CHECK(dyn_lrc_control(&p, &o, 0, 0, mm, u2) == DYN_ERR_RANGE, "m < 0");
    CHECK(dyn_lrc_control(&p, &o, -1, 0, m, u2) == DYN_ERR_SIZE, "k < 0");
    CHECK(dyn_lrc_control(&p, &o, 0, nanv, m, u2) == DYN_ERR_NAN, "t NaN");
    CHECK(dyn_lrc_optimal_1d(0, 1, 0.1, 1, 0, NULL, NULL, NULL) == DYN_ERR_RANGE, "1d a = 0");
    CHECK(dyn_lrc_optimal_1d(1, 1, 0.1, nanv, 0, NULL, NULL, NULL) == DYN_ERR_NAN, "1d m0 NaN");
}

int main(void)
{
    test_closed_forms();
    test_sme_order();
    test_optimality();
    test_monte_carlo();
    test_costates();
    test_parse_and_control();
    test_bad_inputs();
    return check_summary("test_lrcontrol");
}
