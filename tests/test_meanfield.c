/* test_meanfield.c - the mean-field module against closed forms, published values, an independent
 * integrator, finite differences, and its own two evaluation paths. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "meanfield.h"
#include "quad.h"

#define PI 3.14159265358979323846

/* ---------------------------------------------------------------- an independent reference integrator
 * Composite Gauss-Legendre (20 nodes a panel) over z in [-12, 12], panels no wider than 0.5/sqrt(q) and split
 * at the activation's kinks, nested for 2-D expectations. Slow, simple, and shares no code with the module
 * except the Legendre nodes (which test_quad checks on their own). */
static double GLX[20], GLW[20];

static int kinks(dyn_act a, double *k)
{
    if (a == DYN_ACT_RELU) return k[0] = 0.0, 1;
    if (a == DYN_ACT_HARD_TANH) return k[0] = -1.0, k[1] = 1.0, 2;
    return 0;
}

typedef double (*integrand)(const void *ctx, double z);

/* integral over [-12, 12] of f(z) phi(z), with breakpoints bp (in z) */
static double gauss_integral(integrand f, const void *ctx, const double *bp, int nbp, double hmax)
{
    double cuts[8], acc = 0.0;
    int nc = 0;
    cuts[nc++] = -12.0;
    for (int i = 0; i < nbp; i++)
        if (bp[i] > -12.0 && bp[i] < 12.0) cuts[nc++] = bp[i];
    cuts[nc++] = 12.0;
    for (int i = 1; i < nc; i++) /* insertion sort: at most 4 cuts */
        for (int j = i; j > 0 && cuts[j] < cuts[j - 1]; j--) {
            double t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
    for (int s = 0; s + 1 < nc; s++) {
        int np = (int)ceil((cuts[s + 1] - cuts[s]) / hmax);
        double h = (cuts[s + 1] - cuts[s]) / np;
        for (int p = 0; p < np; p++) {
            double mid = cuts[s] + (p + 0.5) * h;
            for (int i = 0; i < 20; i++) {
                double z = mid + 0.5 * h * GLX[i];
                acc += 0.5 * h * GLW[i] * f(ctx, z) * exp(-0.5 * z * z) / sqrt(2.0 * PI);
            }
        }
    }
    return acc;
}

typedef struct ref2 {
    dyn_act a;
    double q, c, s, z1;
    int deriv; /* 0: phi(u1) phi(u2), 1: phi'(u1) phi'(u2) */
} ref2;

static double ref_inner(const void *p, double z2)
{
    const ref2 *r = p;
    double u2 = sqrt(r->q) * (r->c * r->z1 + r->s * z2);
    return r->deriv ? dyn_act_dphi(r->a, u2) : dyn_act_phi(r->a, u2);
}

static double ref_outer(const void *p, double z1)
{
    ref2 r = *(const ref2 *)p;
    r.z1 = z1;
    double k[2], bp[2];
    int nk = kinks(r.a, k);
    for (int i = 0; i < nk; i++) bp[i] = (k[i] / sqrt(r.q) - r.c * z1) / r.s;
    double inner = gauss_integral(ref_inner, &r, bp, nk, 0.5 / fmax(1.0, sqrt(r.q) * r.s));
    double u1 = sqrt(r.q) * z1;
    return (r.deriv ? dyn_act_dphi(r.a, u1) : dyn_act_phi(r.a, u1)) * inner;
}

/* E[phi(u1) phi(u2)] (deriv 0) or E[phi'(u1) phi'(u2)] (deriv 1), u ~ N(0, q), correlation c, |c| < 1 */
static double ref_e2(dyn_act a, double q, double c, int deriv)
{
    ref2 r = {a, q, c, sqrt(1.0 - c * c), 0.0, deriv};
    double k[2], bp[2];
    int nk = kinks(a, k);
    for (int i = 0; i < nk; i++) bp[i] = k[i] / sqrt(q);
    /* the inner integral turns over within ~s of the outer kinks: resolve that */
    return gauss_integral(ref_outer, &r, bp, nk, 0.5 * fmin(1.0, 4.0 * r.s) / fmax(1.0, sqrt(q)));
}

typedef struct ref1 {
    dyn_act a;
    double q;
    int kind; /* 0: phi^2, 1: phi'^2 */
} ref1;

static double ref_f1(const void *p, double z)
{
    const ref1 *r = p;
    double u = sqrt(r->q) * z, f = r->kind ? dyn_act_dphi(r->a, u) : dyn_act_phi(r->a, u);
    return f * f;
}

static double ref_e1(dyn_act a, double q, int kind)
{
    ref1 r = {a, q, kind};
    double k[2], bp[2];
    int nk = kinks(a, k);
    for (int i = 0; i < nk; i++) bp[i] = k[i] / sqrt(q);
    return gauss_integral(ref_f1, &r, bp, nk, 0.5 / fmax(1.0, sqrt(q)));
}

/* ---------------------------------------------------------------- helpers */

static dyn_mf *make_mf(dyn_act a, int order)
{
    dyn_mf_desc d = {a, order};
    size_t bytes = dyn_mf_workspace_bytes(&d);
    dyn_mf *mf = malloc(sizeof *mf + bytes);
    if (!mf || dyn_mf_init(mf, &d, mf + 1, bytes) != DYN_OK) {
        printf("FAIL: dyn_mf_init(%s, %d)\n", dyn_act_name(a), order);
        exit(1);
    }
    return mf;
}

/* one layer of the maps through the public trajectory API: (q1, c1) from (q0, c0) */
static void one_layer(const dyn_mf *mf, double sw2, double sb2, double q0, double c0, double *q1, double *c1)
{
    double q[2], c[2];
    dyn_mf_trajectory(mf, sw2, sb2, q0, c0, 1, q, c, NULL);
    *q1 = q[1];
    *c1 = c[1];
}

/* ---------------------------------------------------------------- tests */

/* Schoenholz et al. 2017 (Fig. 1 and the companion code of the review): tanh at sb2 = 0.05 */
static void test_published_tanh(void)
{
    dyn_mf *mf = make_mf(DYN_ACT_TANH, 0);
    dyn_mf_point p;
    CHECK(dyn_mf_solve(mf, 1.0, 0.05, &p) == DYN_OK, "solve");
    CHECK_NEAR(p.q_star, 0.193593, 3e-6, 0, "tanh sw2=1 q*");
    CHECK_NEAR(p.chi1, 0.759032, 2e-6, 0, "tanh sw2=1 chi1");
    CHECK_NEAR(p.xi_c, 3.6270, 3e-5, 0, "tanh sw2=1 xi_c");
    CHECK(p.phase == DYN_PHASE_ORDERED && p.c_star == 1.0, "sw2=1 is ordered with c* = 1");
    dyn_mf_solve(mf, 2.0, 0.05, &p);
    CHECK_NEAR(p.q_star, 0.721762, 2e-6, 0, "tanh sw2=2 q*");
    CHECK_NEAR(p.c_star, 0.744082, 2e-6, 0, "tanh sw2=2 c*");
    CHECK_NEAR(p.chi1, 1.047666, 1e-6, 0, "tanh sw2=2 chi1");
    CHECK_NEAR(p.xi_c, 25.213, 3e-5, 0, "tanh sw2=2 xi_c");
    CHECK(p.phase == DYN_PHASE_CHAOTIC, "sw2=2 is chaotic");
    dyn_mf_solve(mf, 4.0, 0.05, &p);
    CHECK_NEAR(p.q_star, 2.195494, 1e-6, 0, "tanh sw2=4 q*");
    CHECK_NEAR(p.c_star, 0.165065, 5e-6, 0, "tanh sw2=4 c*");
    CHECK_NEAR(p.chi1, 1.342402, 1e-6, 0, "tanh sw2=4 chi1");
    CHECK_NEAR(p.xi_c, 6.9803, 2e-5, 0, "tanh sw2=4 xi_c");
    double sw2c, qc;
    CHECK(dyn_mf_critical(mf, 0.05, &sw2c, &qc) == DYN_OK, "critical");
    CHECK_NEAR(sw2c, 1.760955, 1e-6, 0, "tanh critical sw2 at sb2=0.05");
    dyn_mf_solve(mf, sw2c, 0.05, &p);
    CHECK_NEAR(p.chi1, 1.0, 1e-12, 0, "chi1 at the critical point");
    CHECK_NEAR(p.q_star, qc, 1e-12, 0, "q* at the critical point");
    /* sb2 = 0: the critical point of any odd activation with phi'(0) = 1 is sw2 = 1 */
    CHECK(dyn_mf_critical(mf, 0.0, &sw2c, &qc) == DYN_OK && qc == 0.0, "tanh critical at sb2=0");
    CHECK_NEAR(sw2c, 1.0, 1e-14, 0, "tanh critical sw2 at sb2=0");
    free(mf);
}

/* ReLU: q* = sb2 / (1 - sw2/2), chi1 = sw2/2 (arc-cosine kernel, Cho and Saul 2009); critical only at (2, 0) */
static void test_relu_closed_forms(void)
{
    dyn_mf *mf = make_mf(DYN_ACT_RELU, 0);
    double pts[][2] = {{0.5, 0.1}, {1.0, 0.05}, {1.7, 0.3}, {1.99, 2.0}};
    for (int i = 0; i < 4; i++) {
        double sw2 = pts[i][0], sb2 = pts[i][1];
        dyn_mf_point p;
        CHECK(dyn_mf_solve(mf, sw2, sb2, &p) == DYN_OK, "relu solve");
        CHECK_NEAR(p.q_star, sb2 / (1.0 - sw2 / 2.0), 1e-12, 0, "relu q*");
        CHECK_NEAR(p.chi1, sw2 / 2.0, 1e-14, 0, "relu chi1");
        CHECK_NEAR(p.xi_c, -1.0 / log(sw2 / 2.0), 1e-12, 0, "relu xi_c = -1/ln(sw2/2)");
        CHECK(p.phase == DYN_PHASE_ORDERED, "relu below sw2 = 2 is ordered");
    }
    dyn_mf_point p;
    dyn_mf_solve(mf, 2.5, 0.1, &p);
    CHECK(p.phase == DYN_PHASE_UNBOUNDED && isinf(p.q_star) && isnan(p.chi_c), "relu sw2 > 2 is unbounded");
    dyn_mf_solve(mf, 1.5, 0.0, &p);
    CHECK(p.q_star == 0.0 && p.chi1 == 0.75, "relu sb2 = 0 below critical: q* = 0, chi1 = sw2/2");
    double sw2c, qc;
    CHECK(dyn_mf_critical(mf, 0.0, &sw2c, &qc) == DYN_OK && sw2c == 2.0, "relu critical point (2, 0)");
    CHECK(dyn_mf_critical(mf, 0.1, &sw2c, &qc) == DYN_ERR_NO_SOLUTION, "relu has no critical point at sb2 > 0");
    free(mf);
}

/* Linear nets: q* = sb2 / (1 - sw2), chi1 = chi_c = sw2, c* = 1, critical at (1, 0) */
static void test_linear(void)
{
    dyn_mf *mf = make_mf(DYN_ACT_LINEAR, 0);
    dyn_mf_point p;
    dyn_mf_solve(mf, 0.6, 0.2, &p);
    CHECK_NEAR(p.q_star, 0.2 / 0.4, 1e-13, 0, "linear q*");
    CHECK_NEAR(p.chi1, 0.6, 1e-14, 0, "linear chi1");
    CHECK_NEAR(p.chi_q, 0.6, 1e-14, 0, "linear chi_q");
    dyn_mf_solve(mf, 1.2, 0.2, &p);
    CHECK(p.phase == DYN_PHASE_UNBOUNDED, "linear sw2 > 1 is unbounded");
    double sw2c;
    CHECK(dyn_mf_critical(mf, 0.0, &sw2c, NULL) == DYN_OK && sw2c == 1.0, "linear critical point (1, 0)");
    /* c^l of a linear net: c' = (sw2 q c + sb2) / (sw2 q + sb2), exactly */
    double q[4], c[4];
    dyn_mf_trajectory(mf, 0.8, 0.1, 2.0, 0.3, 3, q, c, NULL);
    double qq = 2.0, cc = 0.3;
    for (int l = 1; l <= 3; l++) {
        double qn = 0.8 * qq + 0.1;
        cc = (0.8 * qq * cc + 0.1) / qn;
        qq = qn;
        CHECK_NEAR(q[l], qq, 1e-14, 0, "linear q^l");
        CHECK_NEAR(c[l], cc, 1e-14, 0, "linear c^l");
    }
    free(mf);
}

/* The activations' closed forms against the independent integrator (ReLU's arc-cosine kernel, erf's
 * arcsine kernel (Williams 1997), hard tanh's piecewise forms, linear). */
static void test_kernels_vs_reference(void)
{
    dyn_act acts[] = {DYN_ACT_RELU, DYN_ACT_ERF, DYN_ACT_HARD_TANH, DYN_ACT_LINEAR};
    double qs[] = {0.05, 0.7, 3.0, 12.0}, ts[] = {0.02, 0.6, 1.7, 3.0};
    double gx[64], gw[64];
    dyn_quad_legendre(64, gx, gw);
    dyn_quad_rule gl = {64, gx, gw};
    for (int ia = 0; ia < 4; ia++) {
        const dyn_act_kernels *k = dyn_act_kernels_of(acts[ia]);
        CHECK(k && k->v && k->dv && k->d && k->r && k->cp, "%s has closed forms", dyn_act_name(acts[ia]));
        if (!k || !k->v) continue;
        for (int iq = 0; iq < 4; iq++) {
            double q = qs[iq], v = ref_e1(acts[ia], q, 0), d = ref_e1(acts[ia], q, 1), h = 1e-4 * q;
            char what[96];
            snprintf(what, sizeof what, "%s v(q=%g)", dyn_act_name(acts[ia]), q);
            CHECK_NEAR(k->v(q), v, 1e-11, 1e-14, what);
            snprintf(what, sizeof what, "%s d(q=%g)", dyn_act_name(acts[ia]), q);
            CHECK_NEAR(k->d(q), d, 1e-11, 1e-14, what);
            /* dv/dq against a central difference of the reference (error ~ h^2 v''') */
            double fd = (ref_e1(acts[ia], q + h, 0) - ref_e1(acts[ia], q - h, 0)) / (2.0 * h);
            snprintf(what, sizeof what, "%s dv/dq(q=%g)", dyn_act_name(acts[ia]), q);
            CHECK_NEAR(k->dv(q), fd, 1e-6, 1e-10, what);
            for (int it = 0; it < 4; it++) {
                double t = ts[it], c = cos(t);
                double cov = ref_e2(acts[ia], q, c, 0), cp = ref_e2(acts[ia], q, c, 1);
                double r = (v - cov) / (q * (1.0 - c));
                snprintf(what, sizeof what, "%s r(q=%g, theta=%g)", dyn_act_name(acts[ia]), q, t);
                /* r divides by 1 - c: the reference loses digits at small theta */
                CHECK_NEAR(k->r(&gl, q, t), r, t < 0.1 ? 1e-7 : 1e-10, 1e-12, what);
                snprintf(what, sizeof what, "%s cp(q=%g, theta=%g)", dyn_act_name(acts[ia]), q, t);
                CHECK_NEAR(k->cp(&gl, q, t), cp, 1e-10, 1e-12, what);
            }
        }
    }
}

/* One layer of the maps through the public API against the reference, for every activation (the quadrature
 * path for tanh, sigmoid and swish; the closed forms for the rest). */
static void test_maps_vs_reference(void)
{
    double cases[][4] = {{1.5, 0.05, 0.8, 0.3}, {3.0, 0.2, 2.5, 0.9}, {0.7, 0.0, 0.1, -0.6}, {2.0, 0.5, 5.0, 0.99}};
    for (int a = 0; a < DYN_ACT_COUNT; a++) {
        dyn_mf *mf = make_mf((dyn_act)a, 0);
        for (int i = 0; i < 4; i++) {
            double sw2 = cases[i][0], sb2 = cases[i][1], q0 = cases[i][2], c0 = cases[i][3], q1, c1;
            one_layer(mf, sw2, sb2, q0, c0, &q1, &c1);
            double q1r = sw2 * ref_e1((dyn_act)a, q0, 0) + sb2;
            double c1r = (sw2 * ref_e2((dyn_act)a, q0, c0, 0) + sb2) / q1r;
            char what[96];
            snprintf(what, sizeof what, "%s q map at q=%g", dyn_act_name((dyn_act)a), q0);
            CHECK_NEAR(q1, q1r, 1e-11, 0, what);
            snprintf(what, sizeof what, "%s c map at q=%g c=%g", dyn_act_name((dyn_act)a), q0, c0);
            CHECK_NEAR(c1, c1r, 1e-10, 1e-12, what);
        }
        free(mf);
    }
}

/* chi_1, chi_c and chi_q are derivatives of the maps: check each against central finite differences of the
 * maps themselves (Stein's lemma turns d/dq E[phi^2] into E[phi phi' z]/sqrt(q); Price's theorem turns
 * d/dc E[phi phi] into q E[phi' phi']). Also the fixed points are fixed. */
static void test_derivatives_and_fixed_points(void)
{
    double pts[][2] = {{1.3, 0.05}, {2.5, 0.1}, {4.0, 0.3}};
    for (int a = 0; a < DYN_ACT_COUNT; a++) {
        dyn_mf *mf = make_mf((dyn_act)a, 0);
        for (int i = 0; i < 3; i++) {
            double sw2 = pts[i][0], sb2 = pts[i][1];
            dyn_mf_point p;
            CHECK(dyn_mf_solve(mf, sw2, sb2, &p) == DYN_OK, "solve");
            if (p.phase == DYN_PHASE_UNBOUNDED) continue;
            char what[96];
            double q1, c1, qa, qb, ca, cb, h = 1e-5 * p.q_star;
            one_layer(mf, sw2, sb2, p.q_star, p.c_star, &q1, &c1);
            snprintf(what, sizeof what, "%s q* is fixed (sw2=%g)", dyn_act_name((dyn_act)a), sw2);
            CHECK_NEAR(q1, p.q_star, 1e-13, 1e-300, what);
            snprintf(what, sizeof what, "%s c* is fixed (sw2=%g)", dyn_act_name((dyn_act)a), sw2);
            CHECK_NEAR(c1, p.c_star, 1e-12, 1e-14, what);
            one_layer(mf, sw2, sb2, p.q_star + h, 0.5, &qa, &ca);
            one_layer(mf, sw2, sb2, p.q_star - h, 0.5, &qb, &cb);
            snprintf(what, sizeof what, "%s chi_q = dq'/dq (sw2=%g)", dyn_act_name((dyn_act)a), sw2);
            CHECK_NEAR(p.chi_q, (qa - qb) / (2.0 * h), 1e-7, 1e-9, what);
            /* chi_1 is the slope of the correlation map at c = 1 (one-sided: c cannot exceed 1) */
            double e = 1e-6;
            one_layer(mf, sw2, sb2, p.q_star, 1.0 - e, &qa, &ca);
            one_layer(mf, sw2, sb2, p.q_star, 1.0 - 2.0 * e, &qb, &cb);
            double slope = (4.0 * (1.0 - ca) - (1.0 - cb)) / (2.0 * e); /* second-order one-sided */
            snprintf(what, sizeof what, "%s chi1 = dc'/dc at c=1 (sw2=%g)", dyn_act_name((dyn_act)a), sw2);
            /* ReLU's and hard tanh's maps are not smooth at c = 1 (sqrt(1-c) terms): only first order there */
            CHECK_NEAR(p.chi1, slope, (a == DYN_ACT_RELU || a == DYN_ACT_HARD_TANH) ? 3e-3 : 1e-6, 0, what);
            if (p.phase == DYN_PHASE_CHAOTIC) {
                double hc = 1e-5;
                one_layer(mf, sw2, sb2, p.q_star, p.c_star + hc, &qa, &ca);
                one_layer(mf, sw2, sb2, p.q_star, p.c_star - hc, &qb, &cb);
                snprintf(what, sizeof what, "%s chi_c = dc'/dc at c* (sw2=%g)", dyn_act_name((dyn_act)a), sw2);
                CHECK_NEAR(p.chi_c, (ca - cb) / (2.0 * hc), 1e-7, 1e-9, what);
                CHECK(p.chi_c < 1.0, "%s chaotic c* is stable (chi_c = %g)", dyn_act_name((dyn_act)a), p.chi_c);
            }
            CHECK_NEAR(p.xi_c, -1.0 / log(p.chi_c), 1e-14, 0, "xi_c = -1/ln chi_c");
            CHECK_NEAR(p.xi_grad, -1.0 / log(p.chi1), 1e-14, 0, "xi_grad = -1/ln chi1");
            CHECK_NEAR(p.depth_trainable, 6.0 * p.xi_c, 1e-15, 0, "trainable depth = 6 xi_c");
        }
        free(mf);
    }
}

/* The trajectory converges to the fixed point at the rate the depth scales predict. */
static void test_trajectory_convergence(void)
{
    dyn_mf *mf = make_mf(DYN_ACT_TANH, 0);
    dyn_mf_point p;
    dyn_mf_solve(mf, 4.0, 0.05, &p); /* xi_c ~ 7: 400 layers are ~57 depth scales */
    enum { L = 400 };
    double q[L + 1], c[L + 1], e[L + 1];
    CHECK(dyn_mf_trajectory(mf, 4.0, 0.05, 1.0, 0.9, L, q, c, NULL) == DYN_OK, "trajectory");
    CHECK_NEAR(q[L], p.q_star, 1e-12, 0, "q^L -> q*");
    CHECK_NEAR(c[L], p.c_star, 1e-10, 0, "c^L -> c*");
    /* |c^l - c*| shrinks by chi_c per layer once close: ratio over 20 layers near the end */
    double r = (c[60] - p.c_star) / (c[50] - p.c_star);
    CHECK_NEAR(r, pow(p.chi_c, 10), 1e-3, 0, "c^l - c* ~ chi_c^l");
    /* ordered phase: 1 - c^l ~ chi_1^l, kept to full relative precision near c = 1 */
    dyn_mf_solve(mf, 1.0, 0.05, &p);
    dyn_mf_trajectory(mf, 1.0, 0.05, p.q_star, 0.5, L, q, c, e);
    CHECK_NEAR(e[L] / e[L - 50], pow(p.chi1, 50), 1e-8, 0, "1 - c^l ~ chi1^l");
    CHECK(e[L] > 0.0 && e[L] < 1e-40, "1 - c^L keeps its digits (%g)", e[L]);
    CHECK(c[L] == 1.0 && e[L] == e[L], "c^L rounds to 1 while e^L does not");
    free(mf);
}

/* The tabulated grid agrees with the exact solver; bands of rows equal the whole grid. */
static void test_grid(void)
{
    for (int a = 0; a < DYN_ACT_COUNT; a++) {
        dyn_mf *mf = make_mf((dyn_act)a, 0);
        enum { NX = 23, NY = 17 };
        dyn_mf_grid_desc g = {DYN_MF_XI_C, 0.3, 6.0, 0.0, 1.5, NX, NY, 0, 0};
        float xi[NX * NY], cs[NX * NY], qs[NX * NY], ph[NX * NY];
        CHECK(dyn_mf_grid(mf, &g, xi, NX * NY) == DYN_OK, "grid");
        g.field = DYN_MF_C_STAR;
        dyn_mf_grid(mf, &g, cs, NX * NY);
        g.field = DYN_MF_Q_STAR;
        dyn_mf_grid(mf, &g, qs, NX * NY);
        g.field = DYN_MF_PHASE;
        dyn_mf_grid(mf, &g, ph, NX * NY);
        double worst = 0.0;
        for (int row = 0; row < NY; row++)
            for (int col = 0; col < NX; col++) {
                int i = row * NX + col;
                double sw2 = 0.3 + 5.7 * col / (NX - 1), sb2 = 1.5 - 1.5 * row / (NY - 1);
                dyn_mf_point p;
                dyn_mf_solve(mf, sw2, sb2, &p);
                CHECK(ph[i] == (float)p.phase || fabs(p.chi1 - 1.0) < 1e-7, "%s phase at (%g, %g)",
                      dyn_act_name((dyn_act)a), sw2, sb2);
                if (p.phase == DYN_PHASE_UNBOUNDED) {
                    CHECK(isnan(xi[i]) && isnan(qs[i]), "unbounded -> NaN");
                    continue;
                }
                double e = fabs((double)xi[i] - p.xi_c) / p.xi_c;
                if (p.xi_c < 1e4 && e > worst) worst = e;
                CHECK_NEAR(cs[i], p.c_star, 0, 2e-7, "grid c*");
                CHECK_NEAR(qs[i], p.q_star, 2e-7, 1e-30, "grid q*");
            }
        char what[64];
        snprintf(what, sizeof what, "%s grid xi_c vs exact (worst relative error)", dyn_act_name((dyn_act)a));
        CHECK(worst < 1e-6, "%s: %.3g", what, worst);
        /* rows [5, 9) computed alone equal the same rows of the whole grid */
        float band[NX * 4];
        dyn_mf_grid_desc gb = g;
        gb.field = DYN_MF_XI_C;
        gb.row_begin = 5;
        gb.row_end = 9;
        CHECK(dyn_mf_grid(mf, &gb, band, NX * 4) == DYN_OK, "band");
        CHECK(memcmp(band, xi + 5 * NX, sizeof band) == 0, "a band of rows equals the whole grid's rows");
        free(mf);
    }
}

/* The whole critical line: chi1 = 1 along it, for every activation that has one. */
static void test_critical_line(void)
{
    dyn_act acts[] = {DYN_ACT_TANH, DYN_ACT_ERF, DYN_ACT_HARD_TANH, DYN_ACT_SWISH};
    for (int i = 0; i < 4; i++) {
        dyn_mf *mf = make_mf(acts[i], 0);
        double line[11];
        CHECK(dyn_mf_critical_line(mf, 0.0, 1.0, 11, line) == DYN_OK, "critical line");
        for (int j = 0; j < 11; j++) {
            if (isnan(line[j])) continue;
            dyn_mf_point p, below, above;
            dyn_mf_solve(mf, line[j], 0.1 * j, &p);
            dyn_mf_solve(mf, line[j] * (1.0 - 1e-6), 0.1 * j, &below);
            dyn_mf_solve(mf, line[j] * (1.0 + 1e-6), 0.1 * j, &above);
            CHECK(below.phase == DYN_PHASE_ORDERED && above.phase != DYN_PHASE_ORDERED,
                  "%s: the phase changes across the line at sb2 = %g", dyn_act_name(acts[i]), 0.1 * j);
            /* swish's stable fixed point jumps (a saddle-node), so chi1 jumps across 1 there */
            if (acts[i] != DYN_ACT_SWISH || fabs(above.q_star - below.q_star) <= 1e-3 * p.q_star) {
                char what[80];
                snprintf(what, sizeof what, "%s chi1 on the critical line at sb2 = %g", dyn_act_name(acts[i]), 0.1 * j);
                CHECK_NEAR(p.chi1, 1.0, 1e-7, 0, what);
            }
        }
        CHECK(!isnan(line[0]) && !isnan(line[10]), "%s: the line spans sb2 in [0, 1]", dyn_act_name(acts[i]));
        free(mf);
    }
}

/* Quadrature order: the exact path converges as the order grows (tanh at a large q*, where it is hardest). */
static void test_order_convergence(void)
{
    int orders[] = {16, 32, 64, 128, 512, 2048};
    double chi[6], xi[6];
    for (int i = 0; i < 6; i++) {
        dyn_mf *mf = make_mf(DYN_ACT_TANH, orders[i]);
        dyn_mf_point p;
        dyn_mf_solve(mf, 6.0, 1.0, &p);
        chi[i] = p.chi1;
        xi[i] = p.xi_c;
        free(mf);
    }
    for (int i = 1; i < 5; i++)
        CHECK(fabs(xi[i] - xi[5]) <= fabs(xi[i - 1] - xi[5]) + 1e-13, "xi_c error shrinks with order %d", orders[i]);
    CHECK_NEAR(xi[4], xi[5], 1e-8, 0, "order 512 agrees with 2048 (xi_c, q* ~ 5)");
    CHECK_NEAR(chi[4], chi[5], 1e-12, 0, "order 512 agrees with 2048 (chi1)");
}

/* Finite networks approach the mean-field theory as the width grows: within a few standard errors at N = 1000,
 * and closer than at N = 30 (the finite-width bias is O(1/N)). */
static void test_simulation(void)
{
    dyn_mf *mf = make_mf(DYN_ACT_TANH, 0);
    enum { L = 8, S = 12 };
    double qt[L + 1], ct[L + 1], qm[L + 1], qse[L + 1], cm[L + 1], cse[L + 1];
    double sw2 = 2.0, sb2 = 0.05, q0 = 0.5, c0 = 0.6;
    dyn_mf_trajectory(mf, sw2, sb2, q0, c0, L, qt, ct, NULL);
    int widths[] = {30, 1000};
    double err[2];
    for (int k = 0; k < 2; k++) {
        dyn_mf_sim_desc d = {DYN_ACT_TANH, widths[k], L, S, 42, sw2, sb2, q0, c0};
        size_t ns = dyn_mf_sim_scratch_doubles(widths[k]);
        double *scratch = malloc(ns * sizeof *scratch);
        CHECK(dyn_mf_simulate(&d, scratch, ns, qm, qse, cm, cse, NULL) == DYN_OK, "simulate");
        CHECK(qm[0] == q0 || fabs(qm[0] - q0) < 1e-12, "layer 0 has q0 exactly");
        CHECK_NEAR(cm[0], c0, 1e-12, 0, "layer 0 has c0 exactly");
        err[k] = 0.0;
        for (int l = 1; l <= L; l++) err[k] += fabs(cm[l] - ct[l]) + fabs(qm[l] - qt[l]);
        if (k == 1)
            for (int l = 1; l <= L; l++) {
                CHECK(fabs(cm[l] - ct[l]) <= 4.0 * cse[l] + 2e-3, "c^%d: sim %g +- %g, theory %g", l, cm[l], cse[l], ct[l]);
                CHECK(fabs(qm[l] - qt[l]) <= 4.0 * qse[l] + 2e-3, "q^%d: sim %g +- %g, theory %g", l, qm[l], qse[l], qt[l]);
            }
        free(scratch);
    }
    CHECK(err[1] < err[0], "wider networks are closer to theory (%g at N=1000, %g at N=30)", err[1], err[0]);
    /* the same seed gives the same networks */
    dyn_mf_sim_desc d = {DYN_ACT_TANH, 50, 3, 2, 7, sw2, sb2, q0, c0};
    double run[2][4][4], each[2][8], s1[200];
    for (int k = 0; k < 2; k++)
        dyn_mf_simulate(&d, s1, 200, run[k][0], run[k][1], run[k][2], run[k][3], each[k]);
    CHECK(memcmp(run[0], run[1], sizeof run[0]) == 0 && memcmp(each[0], each[1], sizeof each[0]) == 0,
          "simulation is deterministic for a seed");
    free(mf);
}

static void test_errors(void)
{
    dyn_mf *mf = make_mf(DYN_ACT_TANH, 0);
    dyn_mf_point p;
    CHECK(dyn_mf_solve(mf, 0.0, 0.1, &p) == DYN_ERR_RANGE, "sw2 = 0");
    CHECK(dyn_mf_solve(mf, -1.0, 0.1, &p) == DYN_ERR_RANGE, "sw2 < 0");
    CHECK(dyn_mf_solve(mf, 1.0, -0.1, &p) == DYN_ERR_RANGE, "sb2 < 0");
    CHECK(dyn_mf_solve(mf, NAN, 0.1, &p) == DYN_ERR_NAN, "NaN");
    CHECK(dyn_mf_solve(mf, 1.0, INFINITY, &p) == DYN_ERR_NAN, "inf");
    CHECK(dyn_mf_solve(mf, 1e6, 0.1, &p) == DYN_ERR_RANGE, "sw2 over the limit");
    CHECK(dyn_mf_solve(NULL, 1.0, 0.1, &p) == DYN_ERR_NULL, "NULL mf");
    CHECK(dyn_mf_solve(mf, 1.0, 0.1, NULL) == DYN_ERR_NULL, "NULL out");
    dyn_mf_desc bad = {DYN_ACT_TANH, 8};
    CHECK(dyn_mf_workspace_bytes(&bad) == 0, "order below the minimum");
    bad.order = 100000;
    CHECK(dyn_mf_workspace_bytes(&bad) == 0, "order above the maximum");
    bad.order = 0;
    bad.act = DYN_ACT_COUNT;
    CHECK(dyn_mf_workspace_bytes(&bad) == 0, "unknown activation");
    dyn_mf tmp;
    double mem[4];
    dyn_mf_desc ok = {DYN_ACT_TANH, 0};
    CHECK(dyn_mf_init(&tmp, &ok, mem, sizeof mem) == DYN_ERR_BUFFER, "workspace too small");
    float out[4];
    dyn_mf_grid_desc g = {DYN_MF_XI_C, 0.5, 4.0, 0.0, 0.3, 2, 2, 0, 0};
    CHECK(dyn_mf_grid(mf, &g, out, 3) == DYN_ERR_BUFFER, "grid buffer too small");
    g.nx = 5000;
    CHECK(dyn_mf_grid(mf, &g, out, 4) == DYN_ERR_SIZE, "grid too wide");
    g.nx = 2;
    g.sw2_min = 5.0;
    CHECK(dyn_mf_grid(mf, &g, out, 4) == DYN_ERR_RANGE, "reversed range");
    g.sw2_min = 0.5;
    g.field = DYN_MF_FIELD_COUNT;
    CHECK(dyn_mf_grid(mf, &g, out, 4) == DYN_ERR_RANGE, "unknown field");
    g.field = DYN_MF_CHI1;
    g.row_begin = 1;
    g.row_end = 3;
    CHECK(dyn_mf_grid(mf, &g, out, 4) == DYN_ERR_RANGE, "rows past the end");
    double q[3], c[3];
    CHECK(dyn_mf_trajectory(mf, 1.0, 0.1, 1.0, 1.5, 2, q, c, NULL) == DYN_ERR_RANGE, "c0 > 1");
    CHECK(dyn_mf_trajectory(mf, 1.0, 0.1, 0.0, 0.5, 2, q, c, NULL) == DYN_ERR_RANGE, "q0 = 0");
    CHECK(dyn_mf_trajectory(mf, 1.0, 0.1, 1.0, 0.5, -1, q, c, NULL) == DYN_ERR_SIZE, "negative depth");
    double line[4];
    CHECK(dyn_mf_critical_line(mf, 0.3, 0.1, 4, line) == DYN_ERR_RANGE, "reversed sb2 range");
    CHECK(dyn_mf_critical_line(mf, 0.0, 0.1, 1, line) == DYN_ERR_SIZE, "one point");
    dyn_mf_sim_desc sd = {DYN_ACT_TANH, 1, 3, 2, 1, 1.0, 0.1, 1.0, 0.5};
    double s[8], m[4];
    CHECK(dyn_mf_simulate(&sd, s, 8, m, m, m, m, NULL) == DYN_ERR_SIZE, "width 1");
    sd.width = 10;
    CHECK(dyn_mf_simulate(&sd, s, 8, m, m, m, m, NULL) == DYN_ERR_BUFFER, "scratch too small");
    dyn_mf_field f;
    CHECK(dyn_mf_field_parse("xi_c", &f) == DYN_OK && f == DYN_MF_XI_C, "parse xi_c");
    CHECK(dyn_mf_field_parse("nope", &f) == DYN_ERR_UNKNOWN_NAME, "parse unknown field");
    dyn_act a;
    CHECK(dyn_act_parse("hard_tanh", &a) == DYN_OK && a == DYN_ACT_HARD_TANH, "parse hard_tanh");
    CHECK(dyn_act_parse("softplus", &a) == DYN_ERR_UNKNOWN_NAME, "parse unknown activation");
    free(mf);
}

int main(void)
{
    dyn_quad_legendre(20, GLX, GLW);
    test_published_tanh();
    test_relu_closed_forms();
    test_linear();
    test_kernels_vs_reference();
    test_maps_vs_reference();
    test_derivatives_and_fixed_points();
    test_trajectory_convergence();
    test_grid();
    test_critical_line();
    test_order_convergence();
    test_simulation();
    test_errors();
    return check_summary("test_meanfield");
}
