/* isometry.h - dynamical isometry: input-output Jacobian spectra of deep random nets, their free-probability theory, and gradients over depth. */
#ifndef DYN_ISOMETRY_H
#define DYN_ISOMETRY_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "meanfield.h"
#include "net.h"
#include "rng.h"
#include "status.h"

/* Index
 *   dyn_iso_desc                 the random net: width N, depth L, (sw2, sb2), Gaussian or orthogonal, nets, seed
 *   dyn_iso_theory / dyn_iso_theory_at   q*, moments of phi'^2, chi_1, mean chi_1^L, relative variance, isometry
 *   dyn_iso_density              the large-N spectral density of J J^T (free multiplicative convolution)
 *   dyn_iso_spectrum_scratch_doubles, dyn_iso_spectrum   squared singular values of sampled Jacobians
 *   dyn_iso_summary / dyn_iso_summarize                   log-moments and quantiles of a sampled spectrum
 *   dyn_iso_gradients_scratch_doubles, dyn_iso_gradients |dL/dh^l|^2 layer by layer against chi_1^(L-l)
 *   dyn_iso_work                 floating-point operations a spectrum or gradient run will take (estimate first)
 *   dyn_iso_haar                 an N x N Haar-distributed orthogonal matrix (QR of a Gaussian, sign fixed)
 *   dyn_iso_sym_eigvals          eigenvalues of a symmetric matrix of any size up to DYN_ISO_MAX_WIDTH
 *   dyn_iso_weights_name/parse   0/1 <-> "gaussian", "orthogonal" (exactly these)
 *   dyn_iso_init_params          mean-field initialisation of a core/net.h network, Gaussian or (semi-)orthogonal
 *   dyn_iso_train_desc, dyn_iso_cell_bytes, dyn_iso_cell_work, dyn_iso_cell
 *                                one cell of the trainability grid: train a depth-L net at sw2, return its accuracy
 *   dyn_iso_shard_owns           the one rule that splits the grid's cells across machines
 *
 * The net (Pennington, Schoenholz and Ganguli 2017): h^l = W^l phi(h^{l-1}) + b^l, l = 1..L, b^l_i ~ N(0, sb2),
 * W^l = sqrt(sw2 / N) G (G standard Gaussian) or W^l = sqrt(sw2) Q (Q Haar orthogonal). The input h^0 is a
 * Gaussian vector rescaled to |h^0|^2 / N = q exactly, q the fixed point q* of the length map (meanfield.h), so
 * every layer sits at the fixed point. The input-output Jacobian of x^L = phi(h^L) with respect to x^0 = phi(h^0)
 * is J = D^L W^L ... D^1 W^1, D^l = diag(phi'(h^l)); its squared singular values are the eigenvalues lambda of
 * J J^T. Where q* does not pin the spectrum down the rule is: ReLU uses q = 1 whenever q* is 0 or unbounded
 * (phi' depends only on the sign, so the spectrum is the same for every q > 0); linear ignores q; a bounded
 * activation with q* = 0 (tanh or erf at sb2 = 0, sw2 <= chi_1-critical) has h^l = 0 and D = phi'(0) I.
 *
 * Theory. With mu_k = E[phi'(sqrt(q) z)^(2k)], z ~ N(0, 1), chi_1 = sw2 mu_1 and s_1 = -1 (Gaussian) or 0
 * (orthogonal), the large-N limit of J J^T has (exactly, from the first two terms of the S-transform)
 *   mean m_1 = chi_1^L,  variance / m_1^2 = L (mu_2 / mu_1^2 - 1 - s_1),
 * and its density is the free multiplicative convolution S_{JJ^T} = S_{D^2}^L S_{W W^T}^L with
 * S_{WW^T}(z) = 1 / (sw2 (1 + z)) (Gaussian) or 1 / sw2 (orthogonal) (Pennington et al. 2017, 2018).
 *
 * Limits: width 2..DYN_ISO_MAX_WIDTH, depth 1..DYN_ISO_MAX_DEPTH, nets 1..DYN_ISO_MAX_NETS, and one run at most
 * DYN_ISO_MAX_WORK floating-point operations (dyn_iso_work; e.g. N = 1024, L = 1000, Gaussian: 2.2e12).
 */

#define DYN_ISO_MAX_WIDTH 2048
#define DYN_ISO_MAX_DEPTH 10000
#define DYN_ISO_MAX_NETS 10000
#define DYN_ISO_MAX_WORK 5e12

typedef struct dyn_iso_desc {
    int width;       /* N; 0 -> 256 */
    int depth;       /* L; 0 -> 16 */
    int nets;        /* independent networks sampled; 0 -> 1 */
    int orthogonal;  /* 0: Gaussian weights; nonzero: Haar-orthogonal weights */
    double sw2;      /* weight variance in (0, 1000]; 0 -> the critical sw2 at sb2 (chi_1 = 1) */
    double sb2;      /* bias variance in [0, 1000] */
    uint64_t seed;
} dyn_iso_desc;

typedef struct dyn_iso_theory {
    dyn_act act;
    int width, depth, nets, orthogonal; /* the descriptor with defaults resolved */
    double sw2, sb2;
    double q;          /* the pre-activation variance used (q*, or the rule above) */
    double mu1, mu2;   /* E[phi'^2], E[phi'^4] at q */
    double p_atom;     /* mass of the atom at lambda = 0 (the fraction of phi' = 0: 1/2 for ReLU), else 0 */
    double chi1;       /* sw2 mu1 */
    double s1;         /* -1 Gaussian, 0 orthogonal */
    double log_m1;     /* ln of the mean of lambda: L ln chi1 (never overflows) */
    double rel_var;    /* variance of lambda / mean^2 = L (mu2/mu1^2 - 1 - s1) */
    double log_m2;     /* ln E[lambda^2] = 2 log_m1 + ln(1 + rel_var) */
    int isometric;     /* 1: mean within a factor 2 of 1 (|log_m1| <= ln 2) and rel_var <= 0.25; the one rule of
                          "dynamically isometric" that the CLI and the page print */
} dyn_iso_theory;

/* Resolves the descriptor and computes the theory. mf: an initialised mean-field object (its activation is the
 * net's). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE (sw2, sb2), DYN_ERR_SIZE (width, depth, nets),
 * DYN_ERR_NO_SOLUTION (sw2 = 0 and no critical point at this sb2; or a bounded activation with no q*),
 * DYN_ERR_NO_CONVERGE. */
dyn_status dyn_iso_theory_at(const dyn_mf *mf, const dyn_iso_desc *d, dyn_iso_theory *out);

/* rho[i] = the density of the continuous part of the spectrum of J J^T / chi_1^L (so the mean is 1) at
 * x[i] > 0, in the large-N limit. Solves M_J(x) = z on the real axis approached from above (x + i eta, eta from
 * far above down to 1e-13 x, Newton on z and w = M_{D^2}^{-1}(z) at each step), so the physical branch is never
 * lost; rho = -Im G / pi, G = (1 + z) / x. M_{D^2}(w) = E[d / (w - d)], d = phi'^2, is exact for the two-point
 * distributions (linear, ReLU, hard tanh, and q = 0) and by adaptive Gauss-Legendre quadrature otherwise.
 * Accurate to about 1e-9 relative away from the spectrum's edges and from x = 0. Points where the solve did not
 * converge get NaN (at L = 1 with a smooth phi', the density of sw2 phi'^2 itself, which this does not resolve);
 * a delta spectrum (orthogonal linear nets) has density 0 everywhere but at x = 1.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE (an x <= 0), DYN_ERR_SIZE (n < 1). */
dyn_status dyn_iso_density(const dyn_mf *mf, const dyn_iso_theory *th, const double *x, int n, double *rho);

/* Floating-point operations of dyn_iso_spectrum (which = 0) or dyn_iso_gradients (which = 1) for the descriptor
 * (defaults resolved; sw2 does not matter); 0 for an invalid descriptor. */
double dyn_iso_work(const dyn_iso_desc *d, int which);

/* Samples th->nets networks and writes, for net k, the N eigenvalues of J J^T in ascending order as
 * lam[k N + i] = nu[k N + i] exp(log_scale[k]) (nu: nets x N doubles; log_scale: nets doubles). J is accumulated
 * layer by layer and renormalised to unit Frobenius norm per row after each layer, its logarithm kept in
 * log_scale, so depth 10000 neither overflows nor underflows. The eigenvalues of the normalised J J^T come from
 * Householder tridiagonalisation and implicit QL: each is accurate to about 1e-15 of the largest, so values far
 * below that (the smallest singular values of very deep Gaussian nets) are round-off; the moments and upper
 * quantiles are unaffected. scratch: dyn_iso_spectrum_scratch_doubles(d) (4 N^2 + 8 N). Work: dyn_iso_work(d, 0).
 * Returns the codes of dyn_iso_theory_at, DYN_ERR_BUFFER, DYN_ERR_SIZE (work over DYN_ISO_MAX_WORK),
 * DYN_ERR_NO_CONVERGE. */
size_t dyn_iso_spectrum_scratch_doubles(const dyn_iso_desc *d);
dyn_status dyn_iso_spectrum(const dyn_mf *mf, const dyn_iso_desc *d, double *nu, size_t nu_len, double *log_scale,
                            double *scratch, size_t scratch_len);

#define DYN_ISO_NQUANT 9
/* the quantile levels of dyn_iso_summary.log_q */
extern const double DYN_ISO_QUANT_LEVELS[DYN_ISO_NQUANT]; /* 0.01 0.05 0.1 0.25 0.5 0.75 0.9 0.95 0.99 */

typedef struct dyn_iso_summary {
    long count;        /* eigenvalues pooled (nets x N) */
    double log_m1;     /* ln mean(lambda) */
    double log_m2;     /* ln mean(lambda^2) */
    double rel_var;    /* mean(lambda^2) / mean(lambda)^2 - 1 */
    double se_log_m1;  /* standard error of log_m1 from the spread over networks (NaN for one net) */
    double se_rel_var; /* the same for rel_var */
    double log_q[DYN_ISO_NQUANT]; /* ln lambda at the quantile levels (-inf where the quantile falls on an eigenvalue
                                     that is 0 to working precision) */
    double frac_zero;  /* fraction of eigenvalues below 1e-12 of their net's largest: the atom at 0 (ReLU, hard
                          tanh) plus, in deep Gaussian nets, values lost to round-off (see dyn_iso_spectrum) */
} dyn_iso_summary;

/* Pools the output of dyn_iso_spectrum (nets nets of n >= 2 eigenvalues each, ascending per net) with log-sum-exp.
 * scratch: n nets doubles (the pooled ln lambda, sorted for the quantiles).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_NAN (a NaN or negative nu), DYN_ERR_BUFFER. */
dyn_status dyn_iso_summarize(const double *nu, const double *log_scale, int n, int nets, double *scratch,
                             size_t scratch_len, dyn_iso_summary *out);

/* Gradients over depth: a random unit vector e is back-propagated from the top, g^L = D^L e,
 * g^l = D^l (W^{l+1})^T g^{l+1}, and ratio[k (L+1) + l] = |g^l|^2 / |g^L|^2 for l = 1..L (index 0 unused: NaN)
 * for net k; mean-field theory predicts chi_1^(L-l) in expectation. ratio: nets x (L + 1) doubles. The forward
 * pass stores h^l (L N doubles) and the backward pass regenerates each W^l from its saved random stream, so memory
 * is O(L N + N^2). scratch: dyn_iso_gradients_scratch_doubles(d). Same codes as dyn_iso_spectrum. */
size_t dyn_iso_gradients_scratch_doubles(const dyn_iso_desc *d);
dyn_status dyn_iso_gradients(const dyn_mf *mf, const dyn_iso_desc *d, double *ratio, size_t ratio_len,
                             double *scratch, size_t scratch_len);

/* q (n x n, row-major) = a Haar-orthogonal matrix: the LQ factorisation of an n x n standard Gaussian G = L Q by
 * Householder reflections on rows, then Q <- diag(sign L_ii) Q (Mezzadri 2007: without the sign fix Q is not
 * Haar). scratch: n^2 + 2 n doubles. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_BUFFER. */
dyn_status dyn_iso_haar(dyn_rng *r, int n, double *q, double *scratch, size_t scratch_len);

/* w (n, ascending) = eigenvalues of the symmetric n x n a (row-major; overwritten). Householder tridiagonalisation
 * (Golub and Van Loan 8.3) and implicit QL with Wilkinson-type shifts; O(n^3). scratch: 3 n doubles.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_SIZE (n outside 1..DYN_ISO_MAX_WIDTH), DYN_ERR_BUFFER,
 * DYN_ERR_NO_CONVERGE. */
dyn_status dyn_iso_sym_eigvals(int n, double *a, double *w, double *scratch, size_t scratch_len);

/* ------------------------------------------------------------------ trainability (Schoenholz et al. 2017, Fig. 5;
 * Pennington et al. 2017): a fixed-width net of depth L at (sw2, sb2) trained with SGD; it trains when L is
 * below about 6 xi_c, and orthogonal weights widen the trainable wedge around the critical line. */

/* theta (P doubles, the layout of net.h) for net: biases N(0, sb2) and, per layer l, W^l ~ N(0, sw2 / n_{l-1})
 * (orthogonal = 0: draws exactly what dyn_net_init_params draws) or W^l = sqrt(sw2 max(1, n_l / n_{l-1})) times
 * the first n_l rows and n_{l-1} columns of a Haar-orthogonal max(n_l, n_{l-1}) matrix (orthonormal rows when
 * the layer narrows or keeps its width, orthonormal columns when it widens; either way E W_ij^2 = sw2 / n_{l-1}).
 * scratch: 2 m^2 + 2 m doubles, m = net->max_dim (orthogonal only; may be NULL otherwise).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE (sw2 in (0, 1000], sb2 in [0, 1000]), DYN_ERR_BUFFER. */
dyn_status dyn_iso_init_params(const dyn_net *net, double sw2, double sb2, int orthogonal, uint64_t seed,
                               double *theta, size_t theta_len, double *scratch, size_t scratch_len);

typedef struct dyn_iso_train_desc {
    dyn_act act;     /* 0 = tanh */
    int orthogonal;  /* initialisation: 0 Gaussian, nonzero orthogonal */
    int width;       /* units per hidden layer, 0 -> 32 (1..DYN_NET_MAX_WIDTH) */
    int steps;       /* SGD steps per cell, 0 -> 300 (1..1000000) */
    int batch;       /* minibatch, 0 -> 32 */
    double lr;       /* SGD step, 0 -> 0.01; in (0, 100] */
    double sb2;      /* bias variance of the initialisation, [0, 1000] */
    uint64_t seed;   /* cell c uses streams derived from (seed, c): a cell's result does not depend on who computes it */
} dyn_iso_train_desc;

/* Bytes of workspace one cell of depth `depth` needs (0 for invalid sizes); a thread may reuse it for every cell of
 * that depth or less. */
size_t dyn_iso_cell_bytes(const dyn_iso_train_desc *t, const dyn_data *data, int depth);
/* Floating-point operations of one cell (forward and backward passes of every step, and the final evaluation). */
double dyn_iso_cell_work(const dyn_iso_train_desc *t, const dyn_data *data, int depth);
/* Initialises a net of `depth` hidden layers (softmax cross-entropy, data->n_class outputs) at (sw2, t->sb2),
 * trains it for t->steps SGD steps, and writes its accuracy on the whole of data to *acc. A run that diverges
 * (a non-finite loss) scores 1 / n_class, what a classifier that has lost its weights achieves. Reentrant: all state
 * lives in mem (8-byte aligned, dyn_iso_cell_bytes bytes). depth in 1..DYN_NET_MAX_HIDDEN.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE, DYN_ERR_SIZE, DYN_ERR_BUFFER. */
dyn_status dyn_iso_cell(const dyn_iso_train_desc *t, const dyn_data *data, int depth, double sw2, long cell, void *mem,
                        size_t bytes, double *acc);
/* 1 when shard k of n (1 <= k <= n) computes cell c: c mod n == k - 1. The CLI's --shard and the page's worker pool
 * both split by this rule, so shards always partition the grid. 0 for invalid arguments. */
int dyn_iso_shard_owns(long cell, int k, int n);

/* "gaussian" (orthogonal == 0) or "orthogonal"; parse gives DYN_ERR_UNKNOWN_NAME for anything else. */
const char *dyn_iso_weights_name(int orthogonal);
dyn_status dyn_iso_weights_parse(const char *name, int *orthogonal);

#endif
