/* landscape.h - loss landscapes: random, PCA and Hessian directions; 1-D and 2-D slices; sharpness; path projection. */
#ifndef DYN_LANDSCAPE_H
#define DYN_LANDSCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "net.h"
#include "status.h"

/* Index
 *   dyn_dirnorm                   filter (per output unit, Li et al. 2018), layer, or no normalisation
 *   dyn_ls_random_dirs            ndir Gaussian directions, normalised against theta
 *   dyn_ls_normalize              normalise any direction against theta (in place)
 *   dyn_ls_pca_scratch_doubles, dyn_ls_pca   top-k principal directions of a training path and their variance
 *   dyn_ls_project                coordinates (a, b) of path points in the plane center + a d1 + b d2
 *   dyn_ls_path_window            the default slice window around a projected path (PCA slices)
 *   dyn_ls_hess_desc              Lanczos options (zero = default)
 *   dyn_ls_hessian_scratch_doubles, dyn_ls_hessian   top eigenvalues (sharpness) and eigenvectors of the
 *                                 Hessian of the loss by Lanczos on exact Hessian-vector products
 *   dyn_ls_slice_desc             the grid: ranges, size, a band of rows (zero = default)
 *   dyn_ls_slice_scratch_doubles, dyn_ls_slice   loss and accuracy on a 2-D (or 1-D) grid
 *   dyn_dirnorm_name/parse        "filter", "layer", "none"
 *   dyn_ls_slice_work, dyn_ls_hessian_work   what a slice and a Lanczos run cost, before they start (work.h)
 *   dyn_ls_roughness              local minima and mean |Laplacian of log L| of a slice grid (rugged vs smooth)
 *   dyn_verdict / dyn_train_verdict / dyn_verdict_text   THE rule for "diverged", "failed to learn", "learned"
 *
 * The slice: grid point (row i, column j) holds L(center + a_j d1 + b_i d2), the data loss of dyn_net_eval (no
 * weight decay), with a_j = a_min + (a_max - a_min) j / (nx - 1) (columns left to right) and
 * b_i = b_max - (b_max - b_min) i / (ny - 1) (row 0 on top = b_max). A 1-D slice is ny = 1 and d2 = NULL.
 * Interpolation between two solutions (Goodfellow et al. 2015) is the 1-D slice with center = theta_A,
 * d1 = theta_B - theta_A: a = 0 is theta_A, a = 1 is theta_B.
 *
 * Reproducing a value in numpy from theta (P,), dirs (2, P), X (n, d), y (n,) and the layout in net.h:
 *   t = theta + a * dirs[0] + b * dirs[1]; h = X
 *   for each hidden layer l: a_l = h @ W_l(t).T + b_l(t); h = phi(a_l) + (h if skip_l else 0)
 *   z = h @ W_out(t).T + b_out(t); xent: mean(logsumexp(z, 1) - z[arange(n), y]); mse: mean(0.5 sum((z - t)^2, 1))
 *
 * How the slice is fast: the first layer's pre-activations are affine in (a, b),
 *   X W1(a, b)^T + b1(a, b) = (X W1^T + b1) + a (X D1^T + db1) + b (X E1^T + eb1),
 * so the three n x n_1 terms are computed once per call and each grid point costs two axpys there instead of a
 * product with the n x n_0 data; deeper layers are blocked matrix products over 64 examples at a time with the
 * grid point's weights (center + a d1 + b d2) formed once per grid point, already transposed.
 *
 * Sizes: as in net.h, every size query here returns 0 for invalid arguments and when the buffer would take
 * DYN_NET_MAX_BYTES (2^31 - 1) bytes or more, and the function it sizes then returns DYN_ERR_SIZE. The large
 * one is the Hessian's (steps + 2) P doubles: at P = DYN_NET_MAX_PARAMS (2^24) only about a dozen Lanczos steps
 * fit; a net of 10^6 parameters takes all DYN_LS_MAX_LANCZOS. Small eigenproblems (PCA, Lanczos) use dyn_la_sym_eig (linalg.h).
 */

#define DYN_LS_MAX_PATH 512  /* training-path snapshots for PCA (the T x T eigenproblem: <= DYN_LA_MAX_N) */
#define DYN_LS_MAX_GRID 4096 /* slice columns and rows */
#define DYN_LS_MAX_DIRS 8    /* random directions per call */
#define DYN_LS_MAX_EIG 8     /* Hessian eigenpairs */
#define DYN_LS_MAX_LANCZOS 200 /* Lanczos steps (the tridiagonal eigenproblem: <= DYN_LA_MAX_N) */

typedef enum dyn_dirnorm {
    DYN_DIRNORM_FILTER = 0, /* each output unit's incoming weights (a row of W^l) rescaled to that row's norm in
                             * theta; biases zeroed (Li et al. 2018, "filter-wise normalisation") */
    DYN_DIRNORM_LAYER = 1,  /* each W^l rescaled to the Frobenius norm of theta's W^l; biases zeroed */
    DYN_DIRNORM_NONE = 2,   /* the raw N(0, 1) draw, biases included */
    DYN_DIRNORM_COUNT
} dyn_dirnorm;

/* dirs: ndir x P (row d = direction d), ndir 1..DYN_LS_MAX_DIRS, drawn from one dyn_rng stream seeded with seed, in the flat
 * order, then normalised with dyn_ls_normalize. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_RANGE (norm),
 * DYN_ERR_SIZE (ndir), DYN_ERR_BUFFER (dirs_len < ndir P). */
dyn_status dyn_ls_random_dirs(const dyn_net *net, const double *theta, dyn_dirnorm norm, uint64_t seed, int ndir,
                              double *dirs, size_t dirs_len);
/* In place. A zero row (or layer) of dir stays zero. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_RANGE. */
dyn_status dyn_ls_normalize(const dyn_net *net, const double *theta, dyn_dirnorm norm, double *dir);

/* PCA of a training path (Li et al. 2018): M = rows path_t - center (t = 0..T-1), center = the final point
 * (NULL: path row T-1). Not centred on the path's mean, so the plane through center holds the path's
 * displacements. dirs: k x P, orthonormal, the top-k right singular vectors of M, sign chosen so that the
 * start, path_0, has a coordinate <= 0 (training moves in +a, +b). var_frac: k values, the fraction of
 * sum_t |path_t - center|^2 that each captures (sigma_k^2 / sum sigma^2). T in 2..DYN_LS_MAX_PATH, k in 1..3.
 * Cost: T^2 P / 2 for the Gram matrix plus a Jacobi eigen-solve of T x T (dyn_la_sym_eig).
 * scratch: dyn_ls_pca_scratch_doubles(T) = 2 T^2 + T + dyn_la_scratch_doubles(T) (under 20 MB at T = 512).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_BUFFER, DYN_ERR_NAN, DYN_ERR_NO_SOLUTION (the path does
 * not span k dimensions: the k-th captures under 1e-12 of the variance, i.e. rounding noise),
 * DYN_ERR_NO_CONVERGE (from the eigensolver; never seen). */
size_t dyn_ls_pca_scratch_doubles(int T);
dyn_status dyn_ls_pca(const double *path, int T, size_t P, const double *center, int k, double *dirs,
                      double *var_frac, double *scratch, size_t scratch_len);

/* ab: 2 T values, (a_t, b_t) minimising |path_t - center - a d1 - b d2| (exact coordinates when the path lies
 * in the plane, e.g. orthonormal PCA directions give a = <path_t - center, d1>). d2 NULL: 1-D, b_t = 0.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_NO_SOLUTION (d1, d2 parallel or zero). */
dyn_status dyn_ls_project(const double *path, int T, size_t P, const double *center, const double *d1,
                          const double *d2, double *ab);

/* The default window of a slice that shows a path: a = b in [-r, r] with r = 1.3 max |a_t|, |b_t| + 1e-6 over
 * the finite coordinates of ab (T interleaved (a, b) pairs, dyn_ls_project's output), rounded to 3 significant
 * digits (so the window reads as it is typed into a link), and r = 1 when no coordinate is finite. The CLI's
 * `landscape slice --dirs pca` and the page use it. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (T < 1). */
dyn_status dyn_ls_path_window(const double *ab, int T, double *r);

typedef struct dyn_ls_hess_desc {
    int k;        /* eigenpairs wanted, 1..DYN_LS_MAX_EIG; 0 -> 2 */
    int steps;    /* Lanczos steps (Hessian-vector products), k..DYN_LS_MAX_LANCZOS; 0 -> 40 (capped at P) */
    uint64_t seed;/* the starting vector */
} dyn_ls_hess_desc;

typedef struct dyn_ls_hess_result {
    double eval[DYN_LS_MAX_EIG];  /* the k largest Ritz values, descending: eval[0] is the sharpness */
    double resid[DYN_LS_MAX_EIG]; /* |H v - lambda v| of each Ritz pair (a bound on its eigenvalue error) */
    double lambda_min;            /* the smallest Ritz value (negative: a direction of negative curvature) */
    int steps;                    /* steps taken (fewer than asked when an invariant subspace was found) */
} dyn_ls_hess_result;

/* Lanczos with full reorthogonalisation on H v from dyn_net_hvp (exact, Pearlmutter's R-op) over all examples
 * of data. evecs (may be NULL): k x P unit eigenvector estimates. Cost: steps HVPs (each ~2 gradients) and
 * steps^2 P for the reorthogonalisation. scratch: dyn_ls_hessian_scratch_doubles(net, n, d) doubles,
 * (steps + 2) P + 2 steps^2 + steps + dyn_la_scratch_doubles(steps) + dyn_net_hvp_scratch_doubles(net, n), with
 * steps = d->steps (0 -> 40) capped at P and raised to k; 0 when that reaches DYN_NET_MAX_BYTES.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (k or steps out of range, k > P: the Hessian has only P
 * eigenvalues, or the scratch too large to size), DYN_ERR_RANGE, DYN_ERR_BUFFER, DYN_ERR_NAN (a non-finite HVP),
 * DYN_ERR_NO_CONVERGE (from the eigensolver; never seen). */
size_t dyn_ls_hessian_scratch_doubles(const dyn_net *net, int n, const dyn_ls_hess_desc *d);
dyn_status dyn_ls_hessian(const dyn_net *net, const double *theta, const dyn_data *data, const dyn_ls_hess_desc *d,
                          dyn_ls_hess_result *res, double *evecs, size_t evecs_len, double *scratch,
                          size_t scratch_len);

typedef struct dyn_ls_slice_desc {
    double a_min, a_max;      /* columns; both 0 -> -1, 1 */
    double b_min, b_max;      /* rows (top = b_max); both 0 -> -1, 1; ignored (b = 0) for a 1-D slice */
    int nx, ny;               /* 0 -> 51 each; 1-D: ny = 1 */
    int row_begin, row_end;   /* compute rows [row_begin, row_end); both 0 means all (a worker's tile) */
} dyn_ls_slice_desc;

/* loss (may be NULL), acc (may be NULL; NaN for regression): nx (row_end - row_begin) floats each, row-major,
 * first row = row_begin. d2 NULL requires ny = 1. A point where the loss overflows gives +inf.
 * scratch: dyn_ls_slice_scratch_doubles(net, data->n) = 3 n n_1 + 4 P + (G - 1) D + 128 max_dim, D = P - w_off[2]
 * the parameters past layer 1 (0 without hidden layers) and G = min(8, 32768 / D), at least 1, the grid points that
 * share each pass over the examples. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE
 * (empty range; bad labels), DYN_ERR_SIZE, DYN_ERR_BUFFER. */
size_t dyn_ls_slice_scratch_doubles(const dyn_net *net, int n);
dyn_status dyn_ls_slice(const dyn_net *net, const double *center, const double *d1, const double *d2,
                        const dyn_data *data, const dyn_ls_slice_desc *g, float *loss, float *acc, size_t out_len,
                        double *scratch, size_t scratch_len);

const char *dyn_dirnorm_name(dyn_dirnorm n);
dyn_status dyn_dirnorm_parse(const char *name, dyn_dirnorm *out);

/* The cost of an nx x ny slice (ny = 1: 1-D) on n examples: a forward pass of every example at every point, and
 * the scratch and both float grids. The first layer's shortcut above makes the real cost lower (an upper bound). */
dyn_work dyn_ls_slice_work(const dyn_net *net, int n, int nx, int ny);
/* The cost of dyn_ls_hessian: steps Hessian-vector products (each about two backward passes over n examples)
 * and the reorthogonalisation (steps^2 P), with its scratch. */
dyn_work dyn_ls_hessian_work(const dyn_net *net, int n, const dyn_ls_hess_desc *d);

/* How rugged a slice is, from its grid (row-major nx x ny, any finite positive losses): minima counts the
 * interior points lower than all 8 neighbours (a smooth bowl has 1; a rugged slice many), and roughness is the
 * mean over interior points of |log L(i-1,j) + log L(i+1,j) + log L(i,j-1) + log L(i,j+1) - 4 log L(i,j)|, the
 * discrete Laplacian of log L in grid steps (0 for L = exp(linear); it grows with every bump, whatever the
 * loss's scale). Points with a neighbour that is not finite and positive are skipped. The page's skips-vs-none
 * sentence compares two slices by these two numbers (on the same grid and range, so they are comparable).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (nx or ny < 3), DYN_ERR_NAN (no interior point counted). */
dyn_status dyn_ls_roughness(const float *grid, int nx, int ny, int *minima, double *roughness);

/* Training verdicts: ONE rule, used by the CLI (a warning on stderr), the WASM adapter and the page (a warning on
 * the training figure and the numbers panel). For a softmax cross-entropy classifier of C = n_class >= 2
 * classes the reference is the chance loss ln C (the uniform prediction, what an untrained or collapsed net
 * scores on balanced classes) and the chance accuracy 1/C; for any other loss (squared error, regression) pass
 * n_class 0: the reference is then the initial loss, and acc is not used.
 *   diverged        the run stopped on a non-finite loss (diverged != 0), the final loss is not finite, or it
 *                   is above DYN_VERDICT_DIVERGE x max(reference, initial loss): training made it worse;
 *   failed to learn the final loss keeps at least DYN_VERDICT_FAIL_LOSS of the reference (still near chance),
 *                   or the accuracy is at most chance + DYN_VERDICT_FAIL_ACC (1 - chance): under a quarter of
 *                   the way from guessing to perfect;
 *   learned         otherwise.
 * Inputs: loss0 the full-data loss at the initialisation (NaN if unknown: the rule then uses the reference),
 * loss and acc at the end (acc NaN when unknown), n_class, diverged. Class balance is not known here: on
 * unbalanced data a net predicting the majority class can pass as "learned". */
#define DYN_VERDICT_DIVERGE 2.0
#define DYN_VERDICT_FAIL_LOSS 0.85
#define DYN_VERDICT_FAIL_ACC 0.25

typedef enum dyn_verdict { DYN_VERDICT_LEARNED = 0, DYN_VERDICT_FAILED = 1, DYN_VERDICT_DIVERGED = 2, DYN_VERDICT_COUNT } dyn_verdict;

typedef struct dyn_verdict_info {
    dyn_verdict verdict;
    double reference;   /* ln C, or the initial loss for regression */
    double chance_acc;  /* 1/C (NaN for regression) */
    double loss0, loss, acc;
} dyn_verdict_info;

/* Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_RANGE (n_class 1 or above DYN_NET_MAX_OUT; acc outside [0, 1] and not
 * NaN; regression without a finite loss0 and no divergence to report). */
dyn_status dyn_train_verdict(double loss0, double loss, double acc, int n_class, int diverged, dyn_verdict_info *out);
/* "learned", "failed to learn", "diverged" */
const char *dyn_verdict_name(dyn_verdict v);
/* One sentence from the numbers of v (plain text, UTF-8), e.g. "did not learn: the loss 0.62 is 89 % of the
 * chance loss ln 2 = 0.693, accuracy 62 % (chance 50 %)". buf gets at most len bytes, NUL-terminated (truncated
 * if short; 200 bytes always suffice). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (len 0), DYN_ERR_RANGE. */
dyn_status dyn_verdict_text(const dyn_verdict_info *v, char *buf, size_t len);

#endif
