/* posterior.h - SGD as approximate Bayesian inference: models with exact posteriors, samplers, theory, diagnostics. */
#ifndef DYN_POSTERIOR_H
#define DYN_POSTERIOR_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"
#include "status.h"
#include "work.h"

/* Index
 * Models (posterior.c)
 *   dyn_post_model            a data set and a model: Bayesian linear regression, logistic regression, 2-D mixture
 *   dyn_post_model_check      validate a model (sizes, finite data, 0/1 labels, variances)
 *   dyn_post_synthesize       seeded synthetic data for each model
 *   dyn_post_loss             L(theta) = (1/N) sum_i l_i(theta), prior folded in; -N L is the log posterior + const
 *   dyn_post_grad             the full-batch gradient of L
 *   dyn_post_example_grad     the gradient of one l_i (the minibatch building block)
 *   dyn_post_hessian          the Hessian A of L
 *   dyn_post_grad_cov         the per-example gradient covariance BB^T
 *   dyn_post_optimum          the mode theta* (MAP), with A and BB^T there
 *   dyn_post_check_design     is X^T X non-singular? (which column is dependent)
 *   dyn_post_linreg_exact     the exact Gaussian posterior of linear regression
 * Exact posteriors on 2-D grids (posterior.c)
 *   dyn_post_box              a window theta1 in [x0, x1], theta2 in [y0, y1]
 *   dyn_post_box_auto         a window from the Laplace approximation (+- k sd; both modes of the mixture)
 *   dyn_post_moments2d        normaliser, mean and covariance of a 2-D posterior by tensor Gauss-Legendre
 *   dyn_post_density_grid     the normalised 2-D posterior density on a display grid
 *   dyn_post_gauss_grid       a Gaussian density on a display grid (e.g. a 2-D marginal when D > 2)
 *   dyn_post_hpd_levels       density levels that enclose given probabilities (for contour lines)
 *   dyn_post_grid_cover       a grid's modes and their masses, and its mass inside a Gaussian's nsd-sd ellipse
 * Samplers (posterior_sampler.c)
 *   dyn_post_sampler_desc     which sampler, step, batch, batching, momentum, SGLD schedule, start, seed
 *   dyn_post_sampler_bytes    memory a sampler needs
 *   dyn_post_sampler_init     set a sampler up in caller memory
 *   dyn_post_sampler_run      advance by a chunk of steps, writing thinned iterates to a caller buffer
 *   dyn_post_sampler_count    how many iterates a chunk will write
 *   dyn_post_sampler_set_theta  move the current point (the page's click); the run goes on from there
 *   dyn_post_sampler_name/parse, dyn_post_model_name/parse   enum <-> "sgd", "linreg", ...
 *   dyn_post_setup_work, dyn_post_run_work, dyn_post_diagnostics_work   what the theory, a sampler run and the
 *                             diagnostics of its iterates cost, before they start (work.h)
 * Theory (posterior_theory.c)
 *   dyn_post_eps_star         Mandt et al.'s optimal constant step eps* = 2 (S/N) D / Tr(BB^T)
 *   dyn_post_precond_opt      Mandt et al.'s optimal preconditioner H* = (2 S / (eps N)) (BB^T)^{-1}
 *   dyn_post_stationary       the predicted stationary covariance of a sampler: continuous and discrete time
 *   dyn_post_linreg_sgd_exact the exact stationary covariance of SGD/SGLD on linear regression (i.i.d. batches)
 *   dyn_post_kl_curve         KL(predicted Gaussian || posterior) as a function of eps
 *   dyn_post_scratch_doubles  scratch for the theory functions
 * Set-up rules that the CLI and the page share (posterior_theory.c)
 *   dyn_post_theory           a model's theory in one caller buffer: theta*, A, BB^T, lam_max(A), the exact
 *                             posterior, its quadrature window and log Z (dyn_post_theory_doubles: its size)
 *   dyn_post_theory_mode      the design check, the mode, A, BB^T and lam_max(A)
 *   dyn_post_theory_exact     the exact posterior (once), as every comparison in the CLI and the page uses it
 *   dyn_post_sampler_seed     the sampler's random stream for a user's seed (the data use the seed itself)
 *   dyn_post_steps            eps*, the reference and automatic steps, lam_max(A), the step the gradient is
 *                             scaled by, the stability number and its bound, which predictions exist
 * Diagnostics and geometry (posterior_theory.c)
 *   dyn_post_moments          sample mean and covariance of iterates
 *   dyn_post_autocorr         autocorrelation of one coordinate, lags 0..maxlag
 *   dyn_post_ess              effective sample size and integrated autocorrelation time (Geyer 1992)
 *   dyn_post_ess_lag          the same with a chosen lag cap, saying whether the cap was reached
 *   dyn_post_cov_se           Monte Carlo standard errors of a sample covariance, from the ESS of products
 *   dyn_post_ellipse          a covariance ellipse as a closed polyline (cglm, single precision)
 *
 * Conventions (Mandt, Hoffman and Blei 2017, "Stochastic Gradient Descent as Approximate Bayesian Inference";
 * Welling and Teh 2011, "Bayesian Learning via Stochastic Gradient Langevin Dynamics"):
 *   l_i(theta) = -log p(x_i | theta) - (1/N) log p(theta)   (the prior folded into every example),
 *   L(theta) = (1/N) sum_i l_i(theta),  posterior p(theta | data) = exp(-N L(theta)) / Z.
 *   A = Hessian of L at theta*;  BB^T = (1/N) sum_i (g_i - gbar)(g_i - gbar)^T with g_i = grad l_i(theta*)
 *   (the per-example gradient covariance; gbar = 0 at theta*). A minibatch of S indices drawn i.i.d. uniformly
 *   WITH replacement has mean gradient g_S with E g_S = grad L and Cov g_S = BB^T / S exactly: that is the noise
 *   model of the theory. Reshuffling once per epoch (without replacement) is what practice does; its noise is
 *   smaller by (N - S)/(N - 1) within an epoch and correlated across steps, and no formula here models it.
 *
 * Models. Linear regression: y_i = x_i . theta + N(0, s2), prior theta ~ N(0, t2 I), any D up to DYN_POST_MAX_D;
 * the posterior is Gaussian, mean = (X^T X / s2 + I / t2)^{-1} X^T y / s2, covariance the inverse of the
 * precision X^T X / s2 + I / t2 = N A. Logistic regression: P(y_i = 1) = sigmoid(x_i . theta), y in {0, 1},
 * prior N(0, t2 I); its exact posterior is computed on a grid when D = 2. Mixture (Welling and Teh 2011, 5.1):
 * theta1 ~ N(0, 10), theta2 ~ N(0, 1), x_i ~ 1/2 N(theta1, 2) + 1/2 N(theta1 + theta2, 2); 100 points drawn at
 * theta = (0, 1) give two modes, near (0, 1) and (1, -1).
 *
 * Grids are row-major, top row first: row 0 is theta2 = y1, column 0 is theta1 = x0, endpoints included.
 *
 * Determinism: the RNG streams (rng.h) are identical on every platform, but the numbers computed from them pass
 * through libm (exp, log, pow, sqrt of sums...), whose last bit may differ between glibc and Emscripten's libc. So
 * a seed gives bit-identical results on one platform (runs, chunks, threads, Web Workers), and results that
 * agree to rounding, not bit for bit, between a native build and the WebAssembly build.
 *
 * Sizes: every size query (dyn_post_sampler_bytes, dyn_post_scratch_doubles) computes in 64 bits and returns 0
 * rather than a count of 2^31 bytes or more, so it is exact in wasm32's 32-bit size_t; within the limits below
 * the counts are far smaller (the sampler's memory below 100 MB, the scratch about 1 MB).
 */

#define DYN_POST_MAX_D 64        /* parameters */
#define DYN_POST_MAX_N 10000000  /* examples */
#define DYN_POST_MAX_GRID 4096   /* display grid side */
#define DYN_POST_MAX_PANELS 256  /* quadrature panels per axis */
#define DYN_POST_MAX_ORDER 64    /* Gauss-Legendre nodes per panel */
#define DYN_POST_ESS_MAX_LAG 1000 /* dyn_post_ess sums autocovariances up to this lag (see there) */

typedef enum dyn_post_kind {
    DYN_POST_LINREG = 0, /* Bayesian linear regression, known noise variance */
    DYN_POST_LOGISTIC,   /* Bayesian logistic regression */
    DYN_POST_MIXTURE,    /* Welling and Teh's two-component mixture, D = 2 */
    DYN_POST_KIND_COUNT
} dyn_post_kind;

/* The model and its data. Zero means the default for every number; the data arrays stay the caller's and must
 * outlive every call that uses the model (samplers keep a pointer). */
typedef struct dyn_post_model {
    dyn_post_kind kind;
    int n;              /* examples N, 1..DYN_POST_MAX_N */
    int d;              /* parameters D: linreg and logistic 1..DYN_POST_MAX_D (2-D grids need 2); mixture 2
                         * (0 -> 2 for the mixture) */
    const double *x;    /* linreg, logistic: n x d features, row-major; mixture: the n observations */
    const double *y;    /* linreg: n targets; logistic: n labels, each 0 or 1; mixture: unused (may be NULL) */
    double noise_var;   /* linreg: noise variance s2 (0 -> 1); mixture: variance of each component (0 -> 2) */
    double prior_var;   /* linreg, logistic: prior variance t2 of every coordinate (0 -> 1);
                         * mixture: prior variance of theta1 (0 -> 10) */
    double prior_var2;  /* mixture: prior variance of theta2 (0 -> 1); otherwise unused */
} dyn_post_model;

/* Returns DYN_OK, DYN_ERR_NULL (x, or y for linreg/logistic), DYN_ERR_SIZE (n, d), DYN_ERR_NAN (a non-finite
 * number in the data or the variances), DYN_ERR_RANGE (a negative variance, a label other than 0 or 1, an
 * unknown kind). bad_index (may be NULL) receives the 0-based example of a bad number or label, else -1. */
dyn_status dyn_post_model_check(const dyn_post_model *m, long *bad_index);

/* Synthetic data, seeded (the same random draws natively and in WASM; see the note on determinism above).
 *   linreg:   x_i ~ N(0, C) with C_jk = 0.6^|j-k| (correlated features: tilted posteriors), theta_true_j =
 *             (-1)^j (1 - j / (2D)), y_i = x_i . theta_true + N(0, noise_var)
 *   logistic: x_i0 = 1 (an intercept), the other features as for linreg; theta_true_0 = 0.5 and
 *             theta_true_j = (-1)^j (1.5 - j/(2D)) for j >= 1 ((0.5, -1.25) at D = 2);
 *             y_i ~ Bernoulli(sigmoid(x_i . theta_true))
 *   mixture:  x_i ~ 1/2 N(0, noise_var) + 1/2 N(1, noise_var) (theta = (0, 1)); y unused
 * The model m supplies kind, n, d and noise_var (defaults as above); m->x and m->y are ignored. x_out: n*d
 * doubles (mixture: n); y_out: n doubles (mixture: may be NULL); theta_true (may be NULL): d doubles.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_BUFFER, DYN_ERR_RANGE. */
dyn_status dyn_post_synthesize(const dyn_post_model *m, uint64_t seed, double *x_out, size_t x_len, double *y_out,
                               size_t y_len, double *theta_true);

/* L(theta), dropping constants (log 2 pi s2 and the like): -N L is the log posterior up to a constant.
 * All of these validate only pointers (DYN_ERR_NULL); call dyn_post_model_check once first. */
dyn_status dyn_post_loss(const dyn_post_model *m, const double *theta, double *loss);
/* grad: D doubles, the gradient of L (the mean of the example gradients). */
dyn_status dyn_post_grad(const dyn_post_model *m, const double *theta, double *grad);
/* grad: D doubles, the gradient of l_i, prior share included. i in 0..n-1 (else DYN_ERR_RANGE). */
dyn_status dyn_post_example_grad(const dyn_post_model *m, long i, const double *theta, double *grad);
/* hess: D x D, the Hessian of L (exact: closed forms for all three models). */
dyn_status dyn_post_hessian(const dyn_post_model *m, const double *theta, double *hess);
/* gcov: D x D, (1/N) sum_i (g_i - gbar)(g_i - gbar)^T with g_i = grad l_i(theta). scratch: 2 D doubles. */
dyn_status dyn_post_grad_cov(const dyn_post_model *m, const double *theta, double *gcov, double *scratch,
                             size_t scratch_len);

/* The mode theta* of the posterior (the minimiser of L) by damped Newton with a backtracking line search from
 * start (D doubles; NULL -> 0 for linreg/logistic; for the mixture the best point of a 64 x 64 scan around the
 * data, so the global mode). It stops when the gradient is exactly 0, or when an undamped Newton step moves no
 * coordinate by more than 1e-13 (1 + max_j |theta_j|); then hess = A and gcov = BB^T there (either may be NULL).
 * A step that no halving (down to 2^-59) makes downhill is never taken. scratch: dyn_post_scratch_doubles(D).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN (a non-finite start), DYN_ERR_BUFFER, DYN_ERR_NO_CONVERGE (no mode
 * within 200 Newton steps, e.g. separable logistic data with a huge prior variance; or the line search found no
 * decrease away from the mode; or L stopped being finite), DYN_ERR_NO_SOLUTION (linreg with a singular design,
 * see dyn_post_check_design). */
dyn_status dyn_post_optimum(const dyn_post_model *m, const double *start, double *mode, double *hess, double *gcov,
                            double *scratch, size_t scratch_len);

/* Linear and logistic regression: DYN_ERR_NO_SOLUTION when X^T X is singular to 12 digits, with bad_column
 * (may be NULL) the first column that is a linear combination of the ones before it. The prior alone would keep
 * the posterior proper, but BB^T is then singular in the same direction (no example's gradient moves there), so
 * the optimal preconditioner does not exist and the data say nothing about that direction: we refuse.
 * The mixture always passes. scratch: dyn_post_scratch_doubles(D). */
dyn_status dyn_post_check_design(const dyn_post_model *m, int *bad_column, double *scratch, size_t scratch_len);

/* Linear regression only (else DYN_ERR_RANGE): the exact posterior mean (D) and covariance (D x D).
 * scratch: dyn_post_scratch_doubles(D). DYN_ERR_NO_SOLUTION for a singular design (dyn_post_check_design). */
dyn_status dyn_post_linreg_exact(const dyn_post_model *m, double *mean, double *cov, double *scratch,
                                 size_t scratch_len);

/* ------------------------------------------------------------------ 2-D posteriors on grids */

typedef struct dyn_post_box {
    double x0, x1; /* theta1 (columns, left to right) */
    double y0, y1; /* theta2 (rows, bottom to top) */
} dyn_post_box;

/* The window mode +- nsd sd of the Laplace approximation N(mode, (N A)^{-1}) (nsd 0 -> 10); for the mixture,
 * the union of that window and the same window around the mirrored mode (theta1 + theta2, -theta2), which is
 * where the likelihood's second mode lies. Uses coordinates 0 and 1 (D >= 2). */
dyn_status dyn_post_box_auto(const dyn_post_model *m, const double *mode, const double *hess, double nsd,
                             dyn_post_box *box);

/* Normaliser, mean and covariance of a 2-D posterior (D = 2, any kind) by a tensor product of composite
 * Gauss-Legendre rules: panels x panels cells over box, order x order nodes in each (panels 0 -> 16, order 0 -> 16).
 * With box = dyn_post_box_auto(nsd = 10) the truncated mass is below 1e-20 and the defaults resolve the density
 * to better than 1e-9 in mean and covariance (tests/test_posterior.c checks convergence against a finer rule and
 * the linear-regression closed form). log_z = log of the integral of exp(-N L) (with dyn_post_loss's constants).
 * mean: 2 doubles; cov: 4 (row-major); any output may be NULL. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (D,
 * panels, order), DYN_ERR_RANGE (an empty or non-finite box), DYN_ERR_NO_CONVERGE (quadrature rule failed). */
dyn_status dyn_post_moments2d(const dyn_post_model *m, const dyn_post_box *box, int panels, int order,
                              double *log_z, double *mean, double *cov);

/* out[r * nx + c] = exp(-N L(theta) - log_z), the normalised density (per unit area of theta) at
 * theta1 = x0 + c (x1 - x0)/(nx - 1), theta2 = y1 - r (y1 - y0)/(ny - 1). D = 2. Rows [row_begin, row_end) only
 * (both 0: all rows), so a page can split the work into tiles; out then holds those rows. nx, ny in
 * 2..DYN_POST_MAX_GRID. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_RANGE, DYN_ERR_NAN, DYN_ERR_BUFFER. */
dyn_status dyn_post_density_grid(const dyn_post_model *m, const dyn_post_box *box, double log_z, int nx, int ny,
                                 int row_begin, int row_end, float *out, size_t out_len);

/* The same grid for the Gaussian N(mean, cov) (2 and 4 doubles); cov positive definite (else
 * DYN_ERR_NO_SOLUTION). For D > 2 the 2-D marginal of coordinates (0, 1) is N(mean[0..1], cov[0..1][0..1]). */
dyn_status dyn_post_gauss_grid(const double *mean, const double *cov, const dyn_post_box *box, int nx, int ny,
                               int row_begin, int row_end, float *out, size_t out_len);

/* Highest-density levels: levels[k] is the density value whose upper set {p >= levels[k]} holds probability
 * probs[k] of the grid's mass (cells of equal area). scratch: n floats. For contour lines at 50 %, 90 %, 99 %.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_RANGE (a prob outside (0, 1), no positive mass). */
dyn_status dyn_post_hpd_levels(const float *grid, size_t n, const double *probs, int nprob, double *levels,
                               float *scratch, size_t scratch_len);

/* What a Gaussian N(mean, cov) (2 and 4 doubles) can and cannot represent of a density drawn on a grid (nx x ny,
 * rows top (box->y1) first, as dyn_post_density_grid writes it; cells of equal area): the grid's modes, i.e. its
 * local maxima at least min_rel (in [0, 1)) times the highest one, the DYN_POST_MAX_MODES highest of them,
 * sorted by mass, each with the share of the grid's mass in its basin of attraction (every cell climbs to the
 * highest of its 8 neighbours until a maximum; the basins of lower maxima belong to no mode), and the share of the
 * mass within nsd Mahalanobis standard deviations of the Gaussian (a Gaussian posterior has 1 - exp(-nsd^2 / 2)
 * there: 86.5 % at 2 sd). owner: the mode whose basin holds the Gaussian's mean (-1 when none does, or the mean
 * is off the grid). scratch: nx ny ints. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_BUFFER, DYN_ERR_NAN
 * (a NaN, negative or infinite cell), DYN_ERR_RANGE (cov not positive definite, nsd <= 0, min_rel outside [0, 1),
 * an empty box, no mass). */
#define DYN_POST_MAX_MODES 8
typedef struct dyn_post_cover {
    int count;                             /* modes found */
    double theta[DYN_POST_MAX_MODES][2];   /* where each mode is (a grid node) */
    double mass[DYN_POST_MAX_MODES];       /* its basin's share of the grid mass, largest first */
    double inside;                         /* the share of the grid mass within nsd sd of the Gaussian */
    int owner;                             /* the mode whose basin holds the Gaussian's mean, or -1 */
} dyn_post_cover;
dyn_status dyn_post_grid_cover(const float *grid, int nx, int ny, const dyn_post_box *box, const double *mean,
                               const double *cov, double nsd, double min_rel, dyn_post_cover *out, int *scratch,
                               size_t scratch_len);

/* ------------------------------------------------------------------ samplers */

typedef enum dyn_post_sampler_kind {
    DYN_POST_SGD = 0,     /* theta <- theta - eps g_S */
    DYN_POST_SGD_PRECOND, /* theta <- theta - eps H g_S (H e.g. Mandt's H*) */
    DYN_POST_SGLD,        /* theta <- theta + (eps_t / 2)(grad log p(theta) + (N/S) sum_batch grad log p(x_i | theta))
                           *           + N(0, eps_t I)  =  theta - (eps_t N / 2) g_S + N(0, eps_t I) */
    DYN_POST_MOMENTUM,    /* v <- mu v - eps g_S; theta <- theta + v (heavy ball) */
    DYN_POST_SAMPLER_COUNT
} dyn_post_sampler_kind;

typedef enum dyn_post_batching {
    DYN_POST_BATCH_IID = 0, /* S indices drawn uniformly with replacement at every step (the theory's noise) */
    DYN_POST_BATCH_EPOCH    /* a fresh random permutation each epoch, cut into consecutive batches of S; the
                             * last N mod S examples of an epoch are skipped */
} dyn_post_batching;

/* Zero means the default, except eps, which is required. */
typedef struct dyn_post_sampler_desc {
    dyn_post_sampler_kind kind;
    double eps;                /* step eps > 0 (SGLD: eps_t = eps (b + t)^-gamma, the "a" of Welling and Teh) */
    int batch;                 /* S in 1..N; 0 -> min(10, N) */
    dyn_post_batching batching;
    double momentum;           /* MOMENTUM: mu in (0, 1); 0 -> 0.9 */
    double sgld_b;             /* SGLD schedule offset b >= 0 (0 -> 1, so eps_0 = eps) */
    double sgld_gamma;         /* SGLD schedule decay gamma in [0, 1]; 0 -> constant step */
    const double *precond;     /* SGD_PRECOND: D x D symmetric positive definite H (copied at init); required */
    const double *start;       /* theta_0 (D doubles, copied); NULL -> 0 */
    uint64_t seed;
} dyn_post_sampler_desc;

/* Fill with dyn_post_sampler_init; then only dyn_post_sampler_* functions should change it. It points into the
 * caller's memory and at the model. A sampler is one chain: use one per thread or Web Worker. */
typedef struct dyn_post_sampler {
    const dyn_post_model *m;
    dyn_post_sampler_kind kind;
    dyn_post_batching batching;
    int d, batch;
    long n;
    double eps, momentum, sgld_b, sgld_gamma;
    double noise_var, prior_var, prior_var2; /* the model's, defaults resolved */
    long long t;         /* steps taken so far */
    long pos;            /* epoch batching: next index into perm */
    double *theta;       /* the current point, D doubles (read it freely) */
    double *vel;         /* momentum velocity, D */
    double *grad, *tmp;  /* the minibatch gradient, scratch: D each */
    double *h;           /* D x D preconditioner (SGD_PRECOND) */
    int32_t *perm;       /* epoch batching: N indices */
    int *idx;            /* this step's batch: S indices */
    dyn_rng rng;
} dyn_post_sampler;

/* Bytes of memory dyn_post_sampler_init needs, or 0 if the model or descriptor is invalid (or the count would reach
 * 2^31: it never does within DYN_POST_MAX_N and DYN_POST_MAX_D, where it is below 100 MB). */
size_t dyn_post_sampler_bytes(const dyn_post_model *m, const dyn_post_sampler_desc *d);
/* mem: dyn_post_sampler_bytes bytes, 8-byte aligned, the caller's for as long as s is used. Copies start and
 * precond. Returns DYN_OK, DYN_ERR_NULL (also: SGD_PRECOND without precond), DYN_ERR_NAN, DYN_ERR_RANGE (eps <= 0,
 * mu outside (0, 1), b < 0, gamma outside [0, 1], H not symmetric positive definite), DYN_ERR_SIZE (S outside 1..N),
 * DYN_ERR_BUFFER, and dyn_post_model_check's codes. */
dyn_status dyn_post_sampler_init(dyn_post_sampler *s, const dyn_post_model *m, const dyn_post_sampler_desc *d,
                                 void *mem, size_t bytes);
/* Number of iterates the next `steps` steps write with thinning `thin`: the iterate after step t (t = 1, 2, ...,
 * counted over the sampler's life) is written when t is a multiple of thin. */
long dyn_post_sampler_count(const dyn_post_sampler *s, long steps, int thin);
/* Takes `steps` steps. out (may be NULL: burn-in) receives the kept iterates, D doubles each, row after row:
 * out_len >= D * dyn_post_sampler_count(s, steps, thin). written (may be NULL) = the number of iterates kept in
 * this call, counted the same way whether out is NULL or not: dyn_post_sampler_count(s, steps, thin) on success,
 * fewer when the run stopped early. Because the step counter, the RNG and the epoch's permutation live in s, the
 * same seed gives the same iterates whether the run is one chunk or many (on one platform: see the note on
 * determinism at the top). If an iterate stops being finite or exceeds 1e150 in size the run stops there:
 * DYN_ERR_NO_CONVERGE ("diverged": a step too large for the curvature), written says how many were kept before.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (steps < 0, thin < 1), DYN_ERR_BUFFER, DYN_ERR_NO_CONVERGE. */
dyn_status dyn_post_sampler_run(dyn_post_sampler *s, long steps, int thin, double *out, size_t out_len,
                                long *written);
/* Moves the current point to theta (D doubles) and zeroes the momentum; the step counter and RNG go on. */
dyn_status dyn_post_sampler_set_theta(dyn_post_sampler *s, const double *theta);

const char *dyn_post_sampler_name(dyn_post_sampler_kind k); /* "sgd", "sgd-precond", "sgld", "momentum" */
dyn_status dyn_post_sampler_parse(const char *name, dyn_post_sampler_kind *out);
const char *dyn_post_model_name(dyn_post_kind k);           /* "linreg", "logistic", "mixture" */
dyn_status dyn_post_model_parse(const char *name, dyn_post_kind *out);

/* ------------------------------------------------------------------ theory: stationary covariances */

/* Doubles of scratch for every theory and model function at dimension d (32 d^2 + 32 d), 0 if d is out of range. */
size_t dyn_post_scratch_doubles(int d);

/* eps* = 2 (S/N) D / Tr(BB^T): the constant SGD step that minimises KL(N(theta*, Sigma(eps)) || N(theta*, (N A)^{-1}))
 * over scalar steps, Sigma(eps) the continuous-time stationary covariance (Mandt et al. 2017, Thm. 1 and eq. 13).
 * It holds for any A and BB^T (no proportionality needed): the trace of A Sigma + Sigma A^T = (eps/S) BB^T gives
 * tr(A Sigma) = eps tr(BB^T) / (2 S), and det Sigma = eps^D det Sigma(1), so 2 KL = eps N tr(BB^T) / (2 S)
 * - D log eps + const, smallest at eps*. The discrete-time covariance and the exact posterior (non-Gaussian
 * models) move the minimum a little. DYN_ERR_NO_SOLUTION when Tr(BB^T) = 0 (no gradient noise at theta*). */
dyn_status dyn_post_eps_star(int d, long n, int batch, const double *gcov, double *eps_star);

/* What a run on a model is compared with, computed in one order by one function for the CLI and the page. Every
 * array points into the caller's buffer given to dyn_post_theory_mode. */
typedef struct dyn_post_theory {
    int d;
    double *mode, *a, *bb;  /* theta* (d), A and BB^T there (d x d each) */
    double *pmean, *pcov;   /* the exact posterior's mean (d) and covariance (d x d), after dyn_post_theory_exact */
    double *scratch;        /* dyn_post_scratch_doubles(d), for the theory functions of this header */
    size_t scratch_len;
    double lam_max;         /* the largest eigenvalue of A */
    dyn_post_box box;       /* D = 2: the quadrature window, mode +- 10 sd of the Laplace approximation */
    double log_z;           /* D = 2: log of the posterior's normaliser by quadrature; NaN otherwise */
    int bad_column;         /* after DYN_ERR_NO_SOLUTION from the design check: the first dependent column */
    int exact;              /* nonzero once pmean, pcov (and box, log_z) are computed */
} dyn_post_theory;

/* Doubles of the buffer dyn_post_theory_mode takes: 2 d + 3 d^2 + dyn_post_scratch_doubles(d); 0 for d out of
 * range. */
size_t dyn_post_theory_doubles(int d);
/* Checks the design (X^T X non-singular: DYN_ERR_NO_SOLUTION with t->bad_column), finds the mode with A and BB^T
 * (dyn_post_optimum: DYN_ERR_NO_CONVERGE), and lam_max(A). m must have passed dyn_post_model_check. mem:
 * dyn_post_theory_doubles(m->d) doubles, the caller's while t is used. Returns those codes, DYN_OK,
 * DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_BUFFER and the linear-algebra codes. */
dyn_status dyn_post_theory_mode(const dyn_post_model *m, dyn_post_theory *t, double *mem, size_t mem_len);
/* The exact posterior after dyn_post_theory_mode (a second call returns at once): linreg in closed form, and for
 * D = 2 the window box and log Z by 2-D Gauss-Legendre quadrature (dyn_post_moments2d with its default rule);
 * the other 2-D models' mean and covariance by the same quadrature. Returns DYN_OK, DYN_ERR_NULL and the codes of
 * dyn_post_linreg_exact, dyn_post_box_auto and dyn_post_moments2d. */
dyn_status dyn_post_theory_exact(const dyn_post_model *m, dyn_post_theory *t);

/* The sampler's seed for a user's seed S: S ^ DYN_POST_SAMPLER_SALT, so the sampler's stream differs from the
 * synthetic data's (dyn_post_synthesize uses S itself) while one number reproduces both. */
#define DYN_POST_SAMPLER_SALT 0x9E3779B97F4A7C15ULL
uint64_t dyn_post_sampler_seed(uint64_t seed);

/* What a sampler at a step does on a model, as the CLI reports it and the page shows it. */
typedef struct dyn_post_steps_info {
    double eps_star;  /* Mandt's eps* for the batch (NaN when BB^T = 0 at the mode: no gradient noise) */
    double eps_ref;   /* the step the page's relative step multiplies: eps* for SGD, preconditioned SGD and
                       * momentum; 2 eps* / N for SGLD, whose drift (eps N / 2) g then equals SGD's at eps* */
    double eps_auto;  /* the CLI's --eps auto: eps* (SGLD: 0.02 / (N lam_max), a drift of 1 % of the stability
                       * bound, where SGLD is close to exact) */
    double lam_max;   /* the largest eigenvalue of A */
    double drift;     /* the step the gradient is effectively scaled by: eps; SGLD eps N / 2; momentum
                       * eps / (1 - mu) (the heavy ball's long-run step) */
    double stab;      /* the stability number: eps lam_max (SGLD: (eps N / 2) lam_max) */
    double stab_bound;/* gradient descent on the quadratic is stable while stab < stab_bound: 2 (momentum 2 (1 + mu)) */
    double eps_max;   /* the largest stable step: the eps at which stab = stab_bound */
    int has_stationary; /* a stationary Gaussian is predicted (not for SGLD with a decreasing step, gamma > 0) */
    int has_exact;    /* the exact stationary covariance exists (dyn_post_linreg_sgd_exact): linreg, SGD or
                       * constant-step SGLD, i.i.d. batches */
} dyn_post_steps_info;

/* Fills *out for model m (n, d, kind read), sampler sd (kind, eps (> 0, or 0: eps_auto is used), batch,
 * batching, momentum (0 -> 0.9), sgld_gamma read), A and BB^T at the mode (d x d). Quantities that do not exist
 * are NaN (eps* when BB^T = 0, and then eps_ref, eps_auto, and drift and stab at eps 0). scratch:
 * dyn_post_scratch_doubles(d). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_RANGE (kind), DYN_ERR_NAN,
 * DYN_ERR_BUFFER. */
dyn_status dyn_post_steps(const dyn_post_model *m, const dyn_post_sampler_desc *sd, const double *a,
                          const double *bb, dyn_post_steps_info *out, double *scratch, size_t scratch_len);

/* H* = (2 S / (eps N)) (BB^T)^{-1} (Mandt et al. 2017, Thm. 2): with it the continuous-time stationary
 * covariance is exactly the Laplace posterior (N A)^{-1}. DYN_ERR_NO_SOLUTION if BB^T is singular.
 * scratch: dyn_post_scratch_doubles(d). */
dyn_status dyn_post_precond_opt(int d, long n, int batch, double eps, const double *gcov, double *h,
                                double *scratch, size_t scratch_len);

/* The predicted stationary covariance of the sampler described by sd (kind, eps, batch, momentum, precond),
 * near theta* with Hessian A = hess and noise BB^T = gcov, for a model with n examples, from the linearised
 * dynamics delta <- (I - eps A) delta - eps xi, Cov xi = BB^T / S:
 *   SGD          continuous  A S + S A = (eps/S) BB^T
 *                discrete    A S + S A - eps A S A = (eps/S) BB^T                      (exact for the linear map)
 *   SGD_PRECOND  continuous  H A S + S A H = (eps/S) H BB^T H
 *                discrete    H A S + S A H - eps H A S A H = (eps/S) H BB^T H
 *                (solved as M S' + S' M - eps M S' M = (eps/S) H^{1/2} BB^T H^{1/2} with M = H^{1/2} A H^{1/2},
 *                 S = H^{1/2} S' H^{1/2}); with H = H*, continuous S = (N A)^{-1} exactly
 *   SGLD         eta = eps N / 2:  continuous  A S + S A = (eta/S) BB^T + (2/N) I
 *                                  discrete    A S + S A - eta A S A = (eta/S) BB^T + (2/N) I
 *                (as eta -> 0 with the gradient noise negligible, S -> (N A)^{-1}, the posterior)
 *   MOMENTUM     continuous  A S + S A = (eps / ((1 - mu) S)) BB^T      (the effective step eps / (1 - mu))
 *                discrete    the exact stationary covariance of the heavy-ball pair (delta, v): per pair of
 *                eigen-directions of A a 4 x 4 linear system (posterior_theory.c derives it)
 * cov_cont, cov_disc: D x D each, either may be NULL. An SGLD schedule with gamma > 0 has no stationary
 * distribution: DYN_ERR_RANGE; so does a MOMENTUM mu outside [0, 1) (0 -> 0.9, as for the sampler). A step too large for stability (eps lam_max >= 2 for SGD): DYN_ERR_NO_SOLUTION
 * for the discrete prediction (the continuous one is still written when cov_cont is given: check both).
 * scratch: dyn_post_scratch_doubles(d). */
dyn_status dyn_post_stationary(const dyn_post_sampler_desc *sd, int d, long n, const double *hess,
                               const double *gcov, double *cov_cont, double *cov_disc, double *scratch,
                               size_t scratch_len);

/* Linear regression, SGD or constant-step SGLD with i.i.d. batches: the EXACT stationary covariance of the
 * iterates. There the gradient is linear in theta, but each example has its own Hessian H_i = x_i x_i^T / s2 +
 * I / (N t2), so the noise grows with the distance from theta* (multiplicative noise) and the covariance solves
 *   A S + S A - eta A S A - (eta/S) (E_i[H_i S H_i] - A S A) = (eta/S) BB^T + (injected / eta) I
 * (eta = eps for SGD, eps N/2 for SGLD with injected = eps), which the discrete Lyapunov equation drops. Solved by
 * fixed-point iteration on the extra term (a contraction when it is small; DYN_ERR_NO_CONVERGE if not). It
 * differs from the discrete prediction by O((D + 2)/S) of the discrete correction; mean: theta* exactly.
 * scratch: dyn_post_scratch_doubles(d). DYN_ERR_RANGE for other models or samplers. */
dyn_status dyn_post_linreg_sgd_exact(const dyn_post_model *m, const dyn_post_sampler_desc *sd, const double *mode,
                                     const double *hess, const double *gcov, double *cov, double *scratch,
                                     size_t scratch_len);

/* KL(N(mode, S(eps_k)) || N(post_mean, post_cov)) for neps steps eps[k], from the continuous (kl_cont) and
 * discrete (kl_disc) predictions of dyn_post_stationary with sd's other fields (either output may be NULL).
 * SGD_PRECOND with sd->precond NULL uses H*(eps_k) at each step (then eps H* does not depend on eps, and
 * neither does the curve). NaN where there is no stationary covariance. scratch: dyn_post_scratch_doubles(d).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (neps < 1), DYN_ERR_RANGE (an eps <= 0, or an SGLD schedule),
 * DYN_ERR_NO_SOLUTION (post_cov not positive definite). */
dyn_status dyn_post_kl_curve(const dyn_post_sampler_desc *sd, int d, long n, const double *mode, const double *hess,
                             const double *gcov, const double *post_mean, const double *post_cov, const double *eps,
                             int neps, double *kl_cont, double *kl_disc, double *scratch, size_t scratch_len);

/* ------------------------------------------------------------------ diagnostics */

/* Sample mean (D) and covariance (D x D, divisor count - 1) of count iterates (count x D, row-major), count >= 2.
 * Either output may be NULL. Two passes, so a chain far from 0 keeps its digits. */
dyn_status dyn_post_moments(const double *samples, long count, int d, double *mean, double *cov);

/* acf[k] = autocorrelation at lag k = 0..maxlag of x[0], x[stride], ..., x[(count-1) stride] (e.g. one coordinate
 * of the iterates: x = samples + j, stride = D); biased estimator (divisor count), so acf[0] = 1. maxlag < count.
 * A constant series gives acf = 1 at lag 0 and NaN after. */
dyn_status dyn_post_autocorr(const double *x, long count, int stride, int maxlag, double *acf);

/* Effective sample size count / tau with tau = -1 + 2 sum_{k} Gamma_k / gamma_0 over Geyer's initial monotone
 * sequence: Gamma_k = gamma_{2k} + gamma_{2k+1} summed while positive and made non-increasing (Geyer 1992,
 * "Practical Markov Chain Monte Carlo", Statist. Sci. 7, 473-483, sec. 3.3). ess and tau may be NULL.
 * The sum stops at lag DYN_POST_ESS_MAX_LAG at the latest, so the cost is O(count x min(lags used, 1000)) even
 * on a chain that barely moves; a chain still correlated there gets tau as a LOWER bound (and ess an upper
 * bound): dyn_post_ess_lag says when. A constant series: ess = count, tau = 1. count >= 4. */
dyn_status dyn_post_ess(const double *x, long count, int stride, double *ess, double *tau);
/* dyn_post_ess with the lags capped at max_lag (>= 0; 0 -> DYN_POST_ESS_MAX_LAG). capped (may be NULL) is set to
 * 1 when the sum was cut at max_lag (tau is then a lower bound), else 0. */
dyn_status dyn_post_ess_lag(const double *x, long count, int stride, int max_lag, double *ess, double *tau,
                            int *capped);

/* se[j*D + k] = Monte Carlo standard error of the sample covariance entry (j, k): the standard deviation of the
 * products z_t = (x_tj - m_j)(x_tk - m_k) divided by the square root of their effective sample size (dyn_post_ess
 * of z, so a lower bound when that ESS was capped). The tests use this to set their tolerances. mean: from
 * dyn_post_moments. scratch: count doubles. Cost O(D^2 count min(tau, DYN_POST_ESS_MAX_LAG)). */
dyn_status dyn_post_cov_se(const double *samples, long count, int d, const double *mean, double *se,
                           double *scratch, size_t scratch_len);

/* The ellipse {mean + nsd C^{1/2} u : |u| = 1} of a 2 x 2 covariance C (cov: 4 doubles, row-major) as npts
 * points (x, y) in xy (2 npts floats), the last equal to the first (a closed polyline; npts >= 3).
 * axes (may be NULL): semi-major and semi-minor axis lengths of the drawn ellipse (nsd sqrt(eigenvalue)) and the angle of the major axis from the theta1 axis
 * in radians, (-pi/2, pi/2]. Single precision through cglm: these are pixels for a canvas or a PNG, where 7
 * digits are plenty; every number that is compared with theory stays double. C must be positive semi-definite
 * (else DYN_ERR_RANGE). */
dyn_status dyn_post_ellipse(const double *mean, const double *cov, double nsd, int npts, float *xy, float *axes);

/* The cost of the set-up a run needs: the design check, A, BB^T and the mode (linreg: 4 passes of n D^2; the
 * others damped Newton, counted as 32 passes), and for D = 2 the exact posterior by quadrature (65536 nodes,
 * each a pass over the n examples, or a quadratic form for linreg); bytes: the data and the theory's scratch. m: n, d and kind are read (the data need not be there yet). */
dyn_work dyn_post_setup_work(const dyn_post_model *m);
/* The cost of `steps` sampler steps (burn-in included) of which `keep` iterates are kept: per step a minibatch of
 * gradients, the update (D^2 with a preconditioner) and SGLD's Gaussian noise; bytes: the sampler's memory and the
 * kept iterates. Zeros for NULL arguments. */
dyn_work dyn_post_run_work(const dyn_post_model *m, const dyn_post_sampler_desc *d, double steps, double keep);
/* The cost of the diagnostics of `keep` iterates of D numbers at worst: the ESS of each coordinate and the
 * standard errors of the covariance (D (D + 1) / 2 products), each summing autocovariances up to
 * DYN_POST_ESS_MAX_LAG lags (a chain that decorrelates sooner stops sooner); bytes: one copy of a coordinate. */
dyn_work dyn_post_diagnostics_work(int d, double keep);

#endif
