/* control.h - training as optimal control: residual nets as forward Euler, Pontryagin's costates, GD/Adam, MSA, E-MSA. */
#ifndef DYN_CONTROL_H
#define DYN_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "act.h"
#include "data.h"
#include "rng.h"
#include "status.h"
#include "work.h"

/* Index
 *   dyn_ctl_desc / dyn_ctl     the controlled system: width, layers, step delta, activation, architecture, read-out
 *   dyn_ctl_init / dyn_ctl_why validate a descriptor (dyn_ctl_why: the reason in words) and fill a dyn_ctl
 *   dyn_ctl_param_count        P, the length of theta (all layers' controls, then the read-out)
 *   dyn_ctl_layer_params       P_t, the controls of one layer
 *   dyn_ctl_init_params        seeded initialisation (sw2 = sb2 = 0: all zeros, as in Li et al. 2018)
 *   dyn_ctl_forward            states x_0..x_T of m examples (the input embedded into width d, then T steps)
 *   dyn_ctl_backward           Pontryagin's costates p_T..p_0, the per-layer Hamiltonians and dJ/dtheta
 *   dyn_ctl_eval               mean terminal loss, total objective J and accuracy over a data set
 *   dyn_ctl_grid2d             decision regions over a plane at layer l (inputs at l = 0, states at l > 0)
 *   dyn_ctl_jacdet_grid2d      det of a step's Jacobian over the state plane (d = 2): where the step folds
 *   dyn_ctl_layer_norms        |W_t|_2 per layer and the invertibility margin delta |W_t|_2 max|phi'|
 *   dyn_ctl_perturb            growth of a small input perturbation over depth (tangent propagation)
 *   dyn_ctl_perturb_theory     its wide-net mean-field prediction at random initialisation, from chi_1(q_t)
 *   dyn_ctl_train_desc / dyn_ctl_train / dyn_ctl_report   training by gd, sgd, adam, msa or emsa
 *   dyn_ctl_train_why          the reason a training descriptor is refused, or NULL
 *   dyn_ctl_train_bytes / dyn_ctl_train_init / dyn_ctl_train_step   caller-owned, resumable training
 *   dyn_ctl_train_work / dyn_ctl_forward_work   what a job will cost (work.h), to bound it before it starts
 *   dyn_ctl_*_name / _parse    enum <-> "plain", "antisym", "hamiltonian"; "gd", ..; "auto", "pad", ..
 *   dyn_ctl_sin                Li et al.'s regression toy: x ~ U[-pi, pi], y = sin x (+ noise)
 *   dyn_ctl_test_seed          the seed of a generated data set's test set (one rule for the CLI and the page)
 *
 * The system (Li, Chen, Tai and E 2018; E 2017; Haber and Ruthotto 2017). An input u (n_in values) is embedded
 * into the state x_0 of width d: "pad" puts u in the first n_in units and zeros after; "repeat" sets
 * x_0[i] = u[i mod n_in] (Li et al.'s toy problem repeats a scalar input on every unit). Then for t = 0..T-1
 *   plain        x_{t+1} = x_t + delta phi(W_t x_t + b_t)                       theta_t = (W_t: d x d, b_t: d)
 *   antisym      x_{t+1} = x_t + delta phi((K_t - K_t^T - gamma I) x_t + b_t)  theta_t = (K_t: d x d, b_t: d)
 *   hamiltonian  x = (y, z), y and z of h = d/2 units each (d even); one Verlet (leapfrog) step
 *                  y_{t+1} = y_t + delta phi(K_t z_t + b_t),  z_{t+1} = z_t - delta phi(K_t^T y_{t+1} + b_t)
 *                                                                               theta_t = (K_t: h x h, b_t: h)
 * Write F_t(x, theta_t) for the whole step map. The read-out is z = A x_T + c (n_out = n_class outputs, or 1 for
 * regression): fixed (regression: A = (1, .., 1), c = 0, the sum of the final units as in Li et al.;
 * classification: A = [I 0], logit k is unit k of x_T, d >= n_class) or trained (A, c are the last
 * n_out d + n_out entries of theta). Terminal loss per example: regression Phi = 1/2 (z - y)^2; classification
 * softmax cross-entropy -log softmax(z)[y]. Running cost L(theta_t) = reg/2 |theta_t|^2 on every layer's controls
 * and on a trained read-out's (A, c). The objective is
 *   J(theta) = (1/N) sum_i Phi(x_T^i) + sum_t L(theta_t) [+ reg/2 |(A, c)|^2].
 *
 * Pontryagin's maximum principle, discrete form for a batch of N examples (Li et al. 2018, section 4, whose
 * scaling this follows: the 1/N of the mean loss sits in the terminal costate). With per-example costates
 *   p_T^i = -(1/N) grad Phi(x_T^i),  p_t^i = grad_x [p_{t+1}^i . F_t(x_t^i, theta_t)]
 * and the layer Hamiltonian H_t(theta) = sum_i p_{t+1}^i . F_t(x_t^i, theta) - L(theta), the gradient of J is
 *   dJ/dtheta_t = -grad_theta H_t(theta_t):
 * backpropagation is the costate equation, and at an optimum every theta_t is a stationary point (the maximum
 * principle says: a maximum) of its H_t. dyn_ctl_backward computes p, H_t and dJ/dtheta this way.
 *
 * Flat control layout (theta, P doubles): layer t (t = 0..T-1) occupies theta[t P_t .. (t+1) P_t): its matrix
 * (W_t or K_t, k x k row-major, k = d or h: M[i][j] = theta[t P_t + i k + j] multiplies unit j into unit i; in
 * the hamiltonian step K_t multiplies z into y and K_t^T y into z) followed by its bias (k values). A trained
 * read-out follows at theta[T P_t]: A (n_out x d, row-major), then c (n_out). P_t = k^2 + k.
 * States and costates: (T + 1) x m x d doubles, row-major: x[(t m + i) d + j] is unit j of example i at layer t.
 *
 * Determinism: double precision in a fixed order (compile with -ffp-contract=off); randomness only from dyn_rng.
 * Results agree with the WebAssembly build to libm's last bits (tanh, exp, log).
 */

#define DYN_CTL_MAX_WIDTH 256
#define DYN_CTL_MAX_LAYERS 1000
#define DYN_CTL_MAX_BYTES 0x7fffffffL /* size queries return 0 at or above this many bytes */

typedef enum dyn_ctl_arch { DYN_CTL_PLAIN = 0, DYN_CTL_ANTISYM, DYN_CTL_HAMILTONIAN, DYN_CTL_ARCH_COUNT } dyn_ctl_arch;
typedef enum dyn_ctl_embed { DYN_CTL_EMBED_AUTO = 0, DYN_CTL_EMBED_PAD, DYN_CTL_EMBED_REPEAT, DYN_CTL_EMBED_COUNT } dyn_ctl_embed;
typedef enum dyn_ctl_readout {
    DYN_CTL_READOUT_AUTO = 0, /* regression: fixed (the sum); classification: trained */
    DYN_CTL_READOUT_FIXED,
    DYN_CTL_READOUT_TRAINED,
    DYN_CTL_READOUT_COUNT
} dyn_ctl_readout;

typedef struct dyn_ctl_desc {
    int n_in;             /* input features, 1..DYN_DATA_MAX_D, <= width; required */
    int n_class;          /* 0: regression (one output); 2..DYN_DATA_MAX_CLASS: classification */
    int width;            /* d, 1..DYN_CTL_MAX_WIDTH (even for hamiltonian); 0 -> max(n_in, 2), rounded up to even */
    int layers;           /* T, 1..DYN_CTL_MAX_LAYERS; 0 -> 20 */
    double delta;         /* step, (0, 10]; 0 -> 0.25 */
    dyn_act act;          /* 0 = tanh */
    dyn_ctl_arch arch;    /* 0 = plain */
    double gamma;         /* antisym only: the damping gamma >= 0 (0 = none), <= 100 */
    dyn_ctl_embed embed;  /* 0 = auto: repeat when n_in = 1, pad otherwise */
    dyn_ctl_readout readout;
    double reg;           /* running cost reg/2 |theta_t|^2, in [0, 100]; 0 = none */
} dyn_ctl_desc;

/* Filled by dyn_ctl_init; read-only afterwards; small (copy it freely). */
typedef struct dyn_ctl {
    dyn_ctl_desc d;       /* with defaults resolved (embed and readout never AUTO) */
    int k;                /* the layer matrix side: d, or d/2 for hamiltonian */
    int n_out;            /* read-out outputs: n_class, or 1 */
    long p_layer;         /* P_t = k^2 + k */
    long p_readout;       /* n_out d + n_out when trained, else 0 */
    long n_params;        /* P = T P_t + p_readout */
} dyn_ctl;

/* Returns NULL when d is valid, else a one-line reason naming the field and what is allowed (static text; the
 * first problem found). The single source of these rules for the CLI, the WASM adapter and the page. */
const char *dyn_ctl_why(const dyn_ctl_desc *d);
/* Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE or DYN_ERR_SIZE (then dyn_ctl_why says why). */
dyn_status dyn_ctl_init(dyn_ctl *c, const dyn_ctl_desc *d);
size_t dyn_ctl_param_count(const dyn_ctl *c);
size_t dyn_ctl_layer_params(const dyn_ctl *c);

/* Matrices ~ N(0, sw2 / k) entrywise, biases ~ N(0, sb2), trained read-out A ~ N(0, sw2 / d), c ~ N(0, sb2), in
 * the flat order from dyn_rng seeded with seed. sw2, sb2 in [0, 100] (both 0: zeros, Li et al.'s initialisation).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE, DYN_ERR_BUFFER (theta_len < P). */
dyn_status dyn_ctl_init_params(const dyn_ctl *c, double sw2, double sb2, uint64_t seed, double *theta, size_t theta_len);

/* Scratch doubles every function below needs (except training, which owns its workspace):
 * 19 d + 2 k^2 + n_out (d + 3) + 8. */
size_t dyn_ctl_scratch_doubles(const dyn_ctl *c);

/* states: (T + 1) x m x d (see the layout above) for the m x n_in inputs u. m >= 1.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_BUFFER, DYN_ERR_NAN (a non-finite input). A state that
 * overflows is stored as it is (inf/NaN): dyn_ctl_eval then reports a non-finite loss. */
dyn_status dyn_ctl_forward(const dyn_ctl *c, const double *theta, const double *u, int m, double *states,
                           size_t states_len, double *scratch, size_t scratch_len);

/* Given the states of m examples with labels/targets y (m values; classes 0..n_class-1 as doubles): costates
 * (T + 1) x m x d (p_T = -(1/m) grad Phi, then backwards; required), hamil (T values, may be NULL): H_t at
 * theta_t (a sum over the m examples, whose costates carry the 1/m), and grad (P values, may be NULL): dJ/dtheta over these m examples, where J uses the mean over
 * the m examples. loss (may be NULL): the mean terminal loss (without the running cost).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_BUFFER, DYN_ERR_RANGE (a label outside 0..n_class-1),
 * DYN_ERR_NAN (a non-finite final state or target). */
dyn_status dyn_ctl_backward(const dyn_ctl *c, const double *theta, const double *states, const double *y, int m,
                            double *costates, size_t costates_len, double *hamil, double *grad, double *loss,
                            double *scratch, size_t scratch_len);

/* Over the whole data set (in blocks; no state buffers needed): loss = mean terminal loss, obj (may be NULL) =
 * J = loss + the running cost, acc (may be NULL) = accuracy (NaN for regression). data must match n_in and
 * n_class (a classification set's n_class must equal the descriptor's).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_RANGE, DYN_ERR_BUFFER. A diverged net gives a non-finite
 * loss with DYN_OK. */
dyn_status dyn_ctl_eval(const dyn_ctl *c, const double *theta, const dyn_data *data, double *loss, double *obj,
                        double *acc, double *scratch, size_t scratch_len);

/* Decision regions over [x_min, x_max] x [y_min, y_max] (nx columns left to right, ny rows top first, endpoints
 * included) seen at layer l: at l = 0 each point is an input (n_in = 2 required) embedded and carried through all
 * T steps; at 0 < l <= T the point is a state with units 0 and 1 set to its coordinates and the others 0, carried
 * through steps l..T-1. cls (may be NULL): argmax class (regression: the output); conf (may be NULL): softmax
 * probability of that class (NaN for regression). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE (l out
 * of 0..T, n_in != 2 at l = 0, d < 2 at l > 0, an empty range), DYN_ERR_SIZE (nx, ny out of 1..4096),
 * DYN_ERR_BUFFER. */
dyn_status dyn_ctl_grid2d(const dyn_ctl *c, const double *theta, int l, double x_min, double x_max, double y_min,
                          double y_max, int nx, int ny, float *cls, float *conf, double *scratch, size_t scratch_len);

/* For d = 2 only: det dF_t/dx over the state plane of layer t (same grid convention as dyn_ctl_grid2d). Where the
 * determinant is <= 0 the step folds the plane (it is not invertible there); ODE flows never do.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE (d != 2, t out of 0..T-1, empty range), DYN_ERR_SIZE. */
dyn_status dyn_ctl_jacdet_grid2d(const dyn_ctl *c, const double *theta, int t, double x_min, double x_max,
                                 double y_min, double y_max, int nx, int ny, float *det);

/* norm (T values, may be NULL): the spectral norm of each layer's effective matrix (W_t; K_t - K_t^T - gamma I;
 * the hamiltonian step's [[0, K_t], [K_t^T, 0]] coupling, whose norm is |K_t|_2), by 200 power iterations from a
 * fixed start; margin (T values, may be NULL): delta |M_t|_2 max|phi'|, below 1 the step is invertible
 * everywhere (a contraction perturbation of the identity). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_BUFFER. */
dyn_status dyn_ctl_layer_norms(const dyn_ctl *c, const double *theta, double *norm, double *margin, double *scratch,
                               size_t scratch_len);

/* growth (T + 1 values): sqrt(mean_i |v_t^i|^2 / |v_0^i|^2) where v_0^i is a random unit perturbation of example i's
 * embedded input (dyn_rng seeded with seed) and v_{t+1} = dF_t/dx v_t (exact tangent propagation, i.e. an
 * infinitesimal perturbation). growth[0] = 1. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_SIZE,
 * DYN_ERR_BUFFER. */
dyn_status dyn_ctl_perturb(const dyn_ctl *c, const double *theta, const double *u, int m, uint64_t seed,
                           double *growth, double *scratch, size_t scratch_len);

/* The mean-field prediction of dyn_ctl_perturb's growth for a wide plain or antisym (gamma = 0) net whose controls
 * are drawn as dyn_ctl_init_params(sw2, sb2) draws them (a fresh random matrix per layer), for an odd activation
 * (tanh, erf, hard_tanh, linear). With s = sw2 (plain) or 2 sw2 (antisym: K - K^T has twice the variance) and
 * Q_t = |x_t|^2 / d, the state and a tangent v obey, as d -> infinity,
 *   Q_{t+1} = Q_t + delta^2 E[phi(u)^2],   |v_{t+1}|^2 = |v_t|^2 (1 + delta^2 chi_1(q_t)),
 *   chi_1(q) = s E[phi'(u)^2],  u ~ N(0, q_t),  q_t = s Q_t + sb2
 * (the cross terms vanish: phi is odd and the weights have mean 0, so E[v . phi'(a) W v] = 0): each residual step
 * multiplies squared perturbations by 1 + delta^2 chi_1 > 1, with the chi_1 of the signal-propagation demo taken at
 * the current variance, so a residual net has no ordered phase. q0 holds m examples' Q_0 (|x_0|^2 / d of each
 * embedded input); growth (T + 1): sqrt(mean over the examples of |v_t|^2 / |v_0|^2). Gauss-Hermite quadrature
 * with 96 nodes. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_SIZE, DYN_ERR_RANGE (hamiltonian, gamma != 0,
 * an activation that is not odd, sw2 or sb2 outside [0, 100], a negative q0). */
dyn_status dyn_ctl_perturb_theory(const dyn_ctl *c, double sw2, double sb2, const double *q0, int m, double *growth);

/* ------------------------------------------------------------------ training */

typedef enum dyn_ctl_method {
    DYN_CTL_GD = 0, /* full-batch (or minibatch) gradient descent: theta -= lr dJ/dtheta */
    DYN_CTL_SGD,    /* the same on minibatches (batch 0 -> 10) */
    DYN_CTL_ADAM,   /* Adam (Kingma and Ba 2015) on dJ/dtheta */
    DYN_CTL_MSA,    /* basic method of successive approximations: theta_t <- argmax H_t, layer by layer */
    DYN_CTL_EMSA,   /* extended MSA: argmax of the augmented Hamiltonian (rho > 0) */
    DYN_CTL_METHOD_COUNT
} dyn_ctl_method;

/* Zero means the default, except that an explicit 0 is allowed where noted. */
typedef struct dyn_ctl_train_desc {
    dyn_ctl_method method;
    double lr;        /* gd, sgd: 0 -> 0.1; adam: 0 -> 0.005; in (0, 100] */
    double beta1, beta2, eps; /* adam: 0 -> 0.9, 0.999, 1e-8 */
    int batch;        /* examples per iteration; 0 -> all (sgd: 10); >= n -> all */
    double rho;       /* emsa: the penalty rho, 0 -> 1; in (0, 1e6] */
    int inner_iters;  /* msa, emsa: L-BFGS iterations per layer and for the read-out; 0 -> 10; 1..1000 */
    int lbfgs_m;      /* msa, emsa: L-BFGS history; 0 -> 5; 1..32 */
    uint64_t seed;    /* minibatch order (each epoch a fresh permutation) */
} dyn_ctl_train_desc;

/* What one iteration did. The arrays are the caller's (may be NULL), T values each. */
typedef struct dyn_ctl_report {
    double loss;      /* mean terminal loss over the iteration's examples at the controls before the update */
    double obj;       /* J at those controls (loss + running cost) */
    double feas_x;    /* sqrt(mean_{t,i} |x_{t+1}^i - F_t(x_t^i, theta_t^new)|^2): the states of the old
                         controls against the new steps (0 before any change; E-MSA's first penalty) */
    double feas_p;    /* the same for the costates, sqrt(mean |p_t^i - grad_x [p_{t+1}^i . F_t(x_t^i, theta_t^new)]|^2) */
    double hgrad;     /* sqrt(sum_t |grad_theta H_t(theta_t)|^2) before the update: how far the controls are from
                         stationary points of their Hamiltonians (0 at a PMP solution); = |dJ/dtheta| over layers */
    double *layer_hgrad; /* T: |grad_theta H_t(theta_t)| before the update */
    double *layer_gain;  /* T: msa/emsa: the increase of the (augmented) H_t achieved by the layer's L-BFGS; gd/adam:
                            H_t(new) - H_t(old) with the old states and costates */
    int inner;        /* msa/emsa: total L-BFGS line searches this iteration; else 0 */
} dyn_ctl_report;

/* Caller-owned state; everything it points to lives in the workspace given to dyn_ctl_train_init. */
typedef struct dyn_ctl_train {
    dyn_ctl c;
    dyn_ctl_train_desc d;  /* defaults resolved */
    double *theta;         /* P: the current controls (read them, or write them between iterations) */
    double *m1, *m2;       /* P each: Adam's moments */
    double *grad;          /* P: dJ/dtheta at the last iteration's starting controls */
    double *u, *y;         /* batch x n_in inputs and batch targets of the current iteration */
    double *xs, *ps;       /* (T + 1) x batch x d: the current iteration's states and costates */
    double *hamil;         /* T */
    double *work;          /* L-BFGS and layer scratch */
    size_t work_len;
    int *perm;             /* n */
    long iter;             /* iterations taken */
    double b1t, b2t;       /* Adam: beta1^iter, beta2^iter */
    int pos, n, batch;
    dyn_rng rng;
} dyn_ctl_train;

/* NULL when td is valid for c (and n examples), else a one-line reason. */
const char *dyn_ctl_train_why(const dyn_ctl *c, const dyn_ctl_train_desc *td);
/* Bytes of workspace for n training examples; 0 for invalid arguments or DYN_CTL_MAX_BYTES or more. */
size_t dyn_ctl_train_bytes(const dyn_ctl *c, const dyn_ctl_train_desc *td, int n);
/* The cost of `iters` training iterations on n examples (work.h): operations in multiply-add equivalents, per
 * example and layer about k^2 (10 + [msa, emsa] 32 (inner_iters + 1)) plus k (6 + [msa, emsa] 12 (inner_iters + 1))
 * activation calls at DYN_WORK_TRANSCENDENTAL each (forward, backward, the report's passes, and for msa/emsa up to
 * four evaluations of the augmented Hamiltonian per L-BFGS iteration: the line search's retries), and the bytes of
 * the training workspace.
 * Zero work for invalid arguments. The CLI and the page refuse the same runs by it. */
dyn_work dyn_ctl_train_work(const dyn_ctl *c, const dyn_ctl_train_desc *td, int n, double iters);
/* The cost of forward passes of m examples with tangents (dyn_ctl_perturb), or without (tangent = 0: states,
 * grids, evaluation), including (T + 1) m d doubles of states when keep_states is nonzero. */
dyn_work dyn_ctl_forward_work(const dyn_ctl *c, double m, int tangent, int keep_states);
/* theta0: P initial controls (copied). mem: dyn_ctl_train_bytes bytes, 8-byte aligned. data: the training set
 * (kept by the caller; pass the same one to every step). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE,
 * DYN_ERR_SIZE, DYN_ERR_BUFFER. */
dyn_status dyn_ctl_train_init(dyn_ctl_train *t, const dyn_ctl *c, const dyn_ctl_train_desc *td, const dyn_data *data,
                              const double *theta0, void *mem, size_t bytes);
/* One iteration: a gradient step (gd, sgd, adam) or one sweep of successive approximations (msa, emsa: states
 * forward and costates backward with the current controls, then every layer's controls replaced by L-BFGS's
 * maximiser of its (augmented) Hamiltonian, all layers from the same states and costates, as in Li et al.'s
 * Algorithm 2, and a trained read-out by L-BFGS's minimiser of the terminal loss at the old final states).
 * rep may be NULL (then the feasibility errors, one forward and backward pass over the old states, and the layer
 * gains, are not computed). A non-finite loss before the update returns DYN_ERR_NAN and leaves theta unchanged
 * (diverged). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_NAN. */
dyn_status dyn_ctl_train_step(dyn_ctl_train *t, const dyn_data *data, dyn_ctl_report *rep);

/* The augmented Hamiltonian of one layer for the given states and costates of m examples (x = x_t, p = p_{t+1},
 * v = x_{t+1}, q = p_t, each m x d):
 *   Ht(theta) = sum_i [p_i . F_t(x_i, theta) - rho/2 |v_i - F_t(x_i, theta)|^2
 *                      - rho/2 |q_i - grad_x (p_i . F_t(x_i, theta))|^2] - reg/2 |theta|^2
 * (rho = 0: the plain H_t), Li et al.'s sum over the batch with costates that carry the 1/m (so the state
 * penalty weighs each example fully against its 1/m share of the loss: rho = 1 is their setting), and its gradient in g (P_t values, may be NULL). The objective E-MSA maximises;
 * exported for tests and teaching. scratch: dyn_ctl_scratch_doubles. Returns the value, NaN for bad arguments. */
double dyn_ctl_layer_hamiltonian(const dyn_ctl *c, const double *theta_t, const double *x, const double *p,
                                 const double *v, const double *q, int m, double rho, double *g, double *scratch,
                                 size_t scratch_len);

/* n examples, x uniform on [-pi, pi] from dyn_rng seeded with seed, y = sin x + noise N(0, noise^2). n in
 * 1..DYN_DATA_MAX_N, noise in [0, 10]. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE, DYN_ERR_SIZE. */
dyn_status dyn_ctl_sin(int n, uint64_t seed, double noise, double *x, double *y);
/* A generated training set (sin or a dyn_toy) with seed s has its test set drawn by the same generator with
 * dyn_ctl_test_seed(s) = s + 1 (so the two never share a stream). */
uint64_t dyn_ctl_test_seed(uint64_t seed);

const char *dyn_ctl_arch_name(dyn_ctl_arch a);
dyn_status dyn_ctl_arch_parse(const char *name, dyn_ctl_arch *out);
const char *dyn_ctl_method_name(dyn_ctl_method m);
dyn_status dyn_ctl_method_parse(const char *name, dyn_ctl_method *out);
const char *dyn_ctl_embed_name(dyn_ctl_embed e);
dyn_status dyn_ctl_embed_parse(const char *name, dyn_ctl_embed *out);
const char *dyn_ctl_readout_name(dyn_ctl_readout r);
dyn_status dyn_ctl_readout_parse(const char *name, dyn_ctl_readout *out);

#endif
