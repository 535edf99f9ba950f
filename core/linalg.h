/* linalg.h - small dense double-precision linear algebra: Cholesky, Jacobi eigensolver, Lyapunov solvers, Gaussian KL/W2. */
#ifndef DYN_LINALG_H
#define DYN_LINALG_H

#include <stddef.h>

#include "status.h"

/* Index
 *   dyn_la_scratch_doubles  scratch every function here needs for size n (except dyn_la_lyap_kron)
 *   dyn_la_mul              C = A B (any shapes, row-major)
 *   dyn_la_cholesky         A = L L^T for symmetric positive definite A; which pivot failed otherwise
 *   dyn_la_chol_solve       X = A^{-1} B from the factor L (several right-hand sides)
 *   dyn_la_chol_logdet      log det A from the factor L
 *   dyn_la_spd_inverse      A^{-1} for symmetric positive definite A
 *   dyn_la_sym_eig          eigenvalues (ascending) and orthonormal eigenvectors, cyclic Jacobi
 *   dyn_la_sym_sqrt         the symmetric positive semi-definite square root A^{1/2}
 *   dyn_la_lyap_sym         A X + X A - eps A X A = R for symmetric A (eps = 0: continuous Lyapunov)
 *   dyn_la_lyap_kron        A X + X A^T - eps A X A^T = R for any A, by a direct solve of the Kronecker form
 *   dyn_la_kron_scratch_doubles  scratch of dyn_la_lyap_kron
 *   dyn_la_gauss_kl         KL(N(m0, S0) || N(m1, S1))
 *   dyn_la_gauss_w2         2-Wasserstein distance between N(m0, S0) and N(m1, S1)
 *
 * Matrices are n x n, row-major (a[i*n + j] is row i, column j), n in 1..DYN_LA_MAX_N, double precision
 * throughout: the stationary covariances of SGD are differences of nearly equal quantities (the discrete
 * correction eps A S A is a few per cent of A S), so single precision would lose the very effect we show.
 * Outputs may not alias inputs unless a function says so. Inputs are validated: NULL pointers (DYN_ERR_NULL),
 * NaN or infinite entries (DYN_ERR_NAN), n out of range (DYN_ERR_SIZE), a scratch too small (DYN_ERR_BUFFER).
 * Nothing here allocates; the scratch is the caller's.
 */

#define DYN_LA_MAX_N 512 /* landscape's PCA Gram (T <= 512) and Lanczos tridiagonals; scratch 6n^2+4n = 12.6 MB at 512 */
#define DYN_LA_MAX_KRON_N 16 /* the Kronecker form is n^2 x n^2: 65536 x 8 bytes = 512 KB of scratch at 16 */

/* Doubles of scratch enough for every function below at size n (6 n^2 + 4 n), except dyn_la_lyap_kron; 0 when n is
 * out of range. Both size queries compute in 64 bits and return 0 rather than a count of 2^31 bytes or more, so
 * they stay exact in wasm32's 32-bit size_t whatever DYN_LA_MAX_N is (at 64: 25 K doubles). */
size_t dyn_la_scratch_doubles(int n);
size_t dyn_la_kron_scratch_doubles(int n); /* n^4 + n^2; 0 when n is outside 1..DYN_LA_MAX_KRON_N */

/* C (r x c) = A (r x k) B (k x c). C must not alias A or B. No validation beyond NULL; always DYN_OK or NULL. */
dyn_status dyn_la_mul(int r, int k, int c, const double *a, const double *b, double *out);

/* Cholesky factor L (lower triangular, the upper triangle set to 0) of a symmetric positive definite A; only
 * A's lower triangle is read; l may alias a. A pivot that is not above 1e-12 times its diagonal entry means A is
 * singular or indefinite (to working precision): returns DYN_ERR_NO_SOLUTION and, if bad_pivot is not NULL,
 * the 0-based index of that pivot (for a Gram matrix X^T X: column bad_pivot of X is, to 12 digits, a linear
 * combination of the columns before it). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_SIZE,
 * DYN_ERR_NO_SOLUTION. */
dyn_status dyn_la_cholesky(int n, const double *a, double *l, int *bad_pivot);

/* X (n x nrhs, row-major) = A^{-1} B with A = L L^T; x may alias b. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE. */
dyn_status dyn_la_chol_solve(int n, const double *l, int nrhs, const double *b, double *x);

/* log det A = 2 sum log L_ii. */
double dyn_la_chol_logdet(int n, const double *l);

/* out = A^{-1}; scratch: dyn_la_scratch_doubles(n). As dyn_la_cholesky (DYN_ERR_NO_SOLUTION if not SPD). */
dyn_status dyn_la_spd_inverse(int n, const double *a, double *out, double *scratch, size_t scratch_len);

/* Eigenvalues w (n, ascending) and eigenvectors v (n x n, column k is the unit eigenvector of w[k]) of the
 * symmetric part (A + A^T)/2 of A, by cyclic Jacobi rotations (Golub and Van Loan, Matrix Computations, 8.5)
 * until the off-diagonal mass is below 1e-30 of the total; v may be NULL. Accurate to a few ulps of |A|.
 * scratch: dyn_la_scratch_doubles(n). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_SIZE, DYN_ERR_BUFFER,
 * DYN_ERR_NO_CONVERGE (more than 64 sweeps; never seen). */
dyn_status dyn_la_sym_eig(int n, const double *a, double *w, double *v, double *scratch, size_t scratch_len);

/* out = A^{1/2} = V diag(sqrt w) V^T for symmetric positive semi-definite A. Eigenvalues down to -1e-12 |A|
 * count as 0 (round-off); below that A is indefinite: DYN_ERR_RANGE. scratch: dyn_la_scratch_doubles(n). */
dyn_status dyn_la_sym_sqrt(int n, const double *a, double *out, double *scratch, size_t scratch_len);

/* Solves A X + X A - eps A X A = R for symmetric A (its symmetric part is used) and any R: in A's eigenbasis
 * A = V diag(lam) V^T the equation decouples, X'_ij = R'_ij / (lam_i + lam_j - eps lam_i lam_j) with
 * R' = V^T R V, X = V X' V^T. eps = 0 is the continuous Lyapunov equation A X + X A = R; eps > 0 the exact
 * stationary covariance of the linear recursion x <- (I - eps A) x + noise (then R is the noise covariance
 * divided by eps). A stationary solution needs every lam_i + lam_i - eps lam_i^2 > 0, i.e. A positive definite
 * and eps lam_max < 2 (then every denominator is (1 - rho_i rho_j)/eps > 0 with rho = 1 - eps lam, |rho| < 1);
 * otherwise DYN_ERR_NO_SOLUTION (the iteration has no stationary distribution). eps >= 0.
 * scratch: dyn_la_scratch_doubles(n). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE (eps < 0),
 * DYN_ERR_SIZE, DYN_ERR_BUFFER, DYN_ERR_NO_SOLUTION, DYN_ERR_NO_CONVERGE. */
dyn_status dyn_la_lyap_sym(int n, const double *a, double eps, const double *r, double *x, double *scratch,
                           size_t scratch_len);

/* Solves A X + X A^T - eps A X A^T = R for a general square A by Gaussian elimination with partial pivoting on
 * (I (x) A + A (x) I - eps A (x) A) vec X = vec R, an n^2 x n^2 system: O(n^6), for n <= DYN_LA_MAX_KRON_N. The
 * reference the other solvers are tested against, and the solver for non-symmetric A (e.g. a preconditioned
 * H A). A singular system (a pivot below 1e-13 of the largest entry) gives DYN_ERR_NO_SOLUTION. It does not
 * check stability: for a stationary covariance, I - eps A must have spectral radius < 1 (eps = 0: A stable).
 * scratch: dyn_la_kron_scratch_doubles(n). */
dyn_status dyn_la_lyap_kron(int n, const double *a, double eps, const double *r, double *x, double *scratch,
                            size_t scratch_len);

/* KL(N(m0, S0) || N(m1, S1)) = (tr(S1^{-1} S0) + (m1 - m0)^T S1^{-1} (m1 - m0) - n + ln det S1 - ln det S0) / 2,
 * in nats, >= 0. Either covariance not positive definite: DYN_ERR_NO_SOLUTION. scratch: dyn_la_scratch_doubles(n). */
dyn_status dyn_la_gauss_kl(int n, const double *m0, const double *s0, const double *m1, const double *s1,
                           double *kl, double *scratch, size_t scratch_len);

/* W2 = sqrt(|m0 - m1|^2 + tr(S0 + S1 - 2 (S1^{1/2} S0 S1^{1/2})^{1/2})) (Givens and Shortt 1984), in the units of
 * the parameters; S0, S1 positive semi-definite (else DYN_ERR_RANGE). scratch: dyn_la_scratch_doubles(n). */
dyn_status dyn_la_gauss_w2(int n, const double *m0, const double *s0, const double *m1, const double *s1,
                           double *w2, double *scratch, size_t scratch_len);

#endif
