/* act.h - activation functions and their Gaussian kernels; the one place to add an activation. */
#ifndef DYN_ACT_H
#define DYN_ACT_H

#include <stddef.h>

#include "quad.h"
#include "status.h"

/* Index
 *   dyn_act            enum of activations (DYN_ACT_COUNT of them)
 *   dyn_act_name       "tanh", "relu", ... (NULL for an unknown value)
 *   dyn_act_parse      name -> enum; DYN_ERR_UNKNOWN_NAME for an unknown name
 *   dyn_act_phi        phi(x)
 *   dyn_act_dphi       phi'(x) (the right derivative at a kink)
 *   dyn_act_d2phi      phi''(x) (0 at a kink: Hessian-vector products of networks use it)
 *   dyn_act_phi_array  phi over a buffer (vectorised; the same bits as dyn_act_phi element by element)
 *   dyn_act_dphi_array phi' over a buffer
 *   dyn_act_d2phi_array phi'' over a buffer
 *   dyn_act_derivs_array phi' and phi'' over a buffer in one pass (one exponential per element, not two)
 *   dyn_act_kernels    the closed-form Gaussian kernels an activation has, or NULL (then quadrature is used)
 *   dyn_act_numpy      phi as a numpy expression of an array `a` (the CLI's generated reproduce.py uses it)
 *   dyn_exp, dyn_log   exp and log with the same bits natively and in WebAssembly (the core's softmax, normals);
 *                      dyn_exp_array the same exp over a buffer
 *   dyn_sin, dyn_cos   sin and cos likewise (the toy data sets)
 *
 * Adding an activation: one enum value here and one row in the table in act.c.
 */

typedef enum dyn_act {
    DYN_ACT_TANH = 0,
    DYN_ACT_RELU,
    DYN_ACT_HARD_TANH,
    DYN_ACT_ERF,
    DYN_ACT_LINEAR,
    DYN_ACT_SIGMOID,
    DYN_ACT_SWISH,
    DYN_ACT_COUNT
} dyn_act;

/* Gaussian kernels of phi for u ~ N(0, q), and (u1, u2) ~ N(0, q [[1, c], [c, 1]]), c = cos(theta):
 *   v(q)          = E[phi(u)^2]
 *   dv(q)         = dv/dq = E[phi'(u)^2 + phi(u) phi''(u)]
 *   d(q)          = E[phi'(u)^2]
 *   r(q, theta)   = (v(q) - E[phi(u1) phi(u2)]) / (q (1 - c)),  with r(q, 0) = d(q)
 *   cp(q, theta)  = E[phi'(u1) phi'(u2)]
 * r is the secant slope of the correlation map seen from c = 1; it has no cancellation as c -> 1.
 * Each is NULL when the activation has no closed form (then dynlens uses Gauss-Hermite quadrature); all
 * are set or none. q > 0 and 0 <= theta <= pi. r and cp may use the Gauss-Legendre rule gl for a 1-D
 * integral left in an otherwise closed form (hard tanh); pure closed forms ignore it. */
typedef struct dyn_act_kernels {
    double (*v)(double q);
    double (*dv)(double q);
    double (*d)(double q);
    double (*r)(const dyn_quad_rule *gl, double q, double theta);
    double (*cp)(const dyn_quad_rule *gl, double q, double theta);
} dyn_act_kernels;

const char *dyn_act_name(dyn_act a);
dyn_status dyn_act_parse(const char *name, dyn_act *out);
/* phi, phi' and phi'' at one point; NaN for an unknown activation. tanh, erf, sigmoid and swish use dynlens's
 * own exp/tanh/erf kernels (act.c), not libm: plain double arithmetic with no data-dependent branches, so the
 * native build and the WebAssembly build give the same bits (both compile with -ffp-contract=off).
 * Accuracy, measured against long double on a dense grid over the whole range and at the edges (0, subnormals,
 * +-inf, NaN, saturation; tests/test_act.c): within 2 ulp of the correctly rounded value, for phi and for the
 * derivatives (which keep their relative accuracy as they decay: tanh' is 4e/(1 + e)^2, not 1 - tanh^2),
 * except next to the interior zeros of swish' and swish'', where the error is within a few ulp of the terms
 * that cancel. NaN gives NaN; phi(+-inf) is the limit. */
double dyn_act_phi(dyn_act a, double x);
double dyn_act_dphi(dyn_act a, double x);
double dyn_act_d2phi(dyn_act a, double x);

/* out[i] = phi(x[i]) (phi'(x[i]), phi''(x[i])) for i < n: element for element the same bits as the scalar
 * functions. For tanh about 3x faster than a libm call per element (AVX2; `make bench` prints every ratio); the
 * accurate phi'' of tanh, sigmoid and swish, and erf itself, are slower than the less accurate libm forms they
 * replace. out == x (in place) is allowed; other overlaps are not. x and out may be NULL when n == 0.
 * Returns DYN_OK, DYN_ERR_RANGE (unknown activation), DYN_ERR_NULL (x or out NULL with n > 0). */
dyn_status dyn_act_phi_array(dyn_act a, const double *x, size_t n, double *out);
dyn_status dyn_act_dphi_array(dyn_act a, const double *x, size_t n, double *out);
dyn_status dyn_act_d2phi_array(dyn_act a, const double *x, size_t n, double *out);
/* d1[i] = phi'(x[i]) and d2[i] = phi''(x[i]) for i < n in one pass: the same bits as dyn_act_dphi_array and
 * dyn_act_d2phi_array, at about the cost of one of them for tanh, erf, sigmoid and swish (the exponential and the
 * other parts the two derivatives share are computed once). x may be d1 or d2 (in place); d1 and d2 must differ
 * (DYN_ERR_RANGE), and other overlaps are not allowed. Otherwise returns as dyn_act_dphi_array. */
dyn_status dyn_act_derivs_array(dyn_act a, const double *x, size_t n, double *d1, double *d2);
const dyn_act_kernels *dyn_act_kernels_of(dyn_act a);
/* phi(a) as a numpy expression of the array a, e.g. "np.tanh(a)"; it may call erf = np.vectorize(math.erf).
 * NULL for an unknown value. Lives in the table beside phi, so a new activation cannot miss reproduce.py. */
const char *dyn_act_numpy(dyn_act a);
/* exp and log from IEEE +, -, *, / and bit moves only, so a result is the same bits natively and in WebAssembly:
 * libm's differ in the last bit between glibc and Emscripten's musl, and a long training run magnifies such a
 * difference until the page's accuracies and the CLI's disagree. Every result the core computes from a softmax or a
 * normal deviate goes through these. Accuracy (tests/test_act.c, against long double): dyn_exp within 1 ulp of the
 * correctly rounded value (0.5 ulp and a little over away from the subnormals), 0 below -745.2, inf above 709.8;
 * dyn_log within 3 ulp for every positive double (subnormals too; the most, 2.7 ulp, just above 1, where s = (x - 1)/(x + 1) carries two roundings), -inf at 0, NaN below 0 and for NaN, inf at inf. */
double dyn_exp(double x);
double dyn_log(double x);
/* dyn_exp over a buffer (vectorised; each element the same bits as dyn_exp); x and out must not overlap */
void dyn_exp_array(const double *restrict x, size_t n, double *restrict out);
/* sin and cos the same way (Cody and Waite's reduction by pi/2 in three parts, fdlibm's kernels): within 1 ulp for
 * |x| <= 2^19 pi/2 (tests/test_act.c measures it against long double on [-1e5, 1e5]); beyond that the reduction's
 * pi/2 has too few bits and the error grows, but the bits stay portable. NaN for +-inf and NaN. */
double dyn_sin(double x);
double dyn_cos(double x);
/* 1 when |phi(x)| is bounded (tanh, hard_tanh, erf, sigmoid), so the length map always has a fixed point. */
int dyn_act_bounded(dyn_act a);

#endif
