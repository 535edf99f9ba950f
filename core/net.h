/* net.h - a small fully connected network: flat parameters, losses, exact gradients and Hessian-vector products, training. */
#ifndef DYN_NET_H
#define DYN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "act.h"
#include "data.h"
#include "rng.h"
#include "status.h"
#include "work.h"

/* Index
 *   dyn_net_desc / dyn_net   architecture: inputs, hidden widths, activation, skips, loss (zero = default)
 *   dyn_net_init             validate a descriptor and fill a dyn_net (layer sizes and parameter offsets)
 *   dyn_net_param_count      P, the length of the flat parameter vector
 *   dyn_net_scratch_doubles  scratch that forward/eval/grad/hvp/grid2d need for a batch of m examples
 *   dyn_net_init_params      seeded mean-field initialisation W ~ N(0, sw2 / fan_in), b ~ N(0, sb2)
 *   dyn_net_forward          outputs (logits or predictions) of m examples
 *   dyn_net_eval             mean loss and accuracy over a data set (batched)
 *   dyn_net_grad             mean loss and its exact gradient (backpropagation) over all or some examples
 *   dyn_net_hvp              the exact Hessian-vector product H v of the mean loss (Pearlmutter's R-op)
 *   dyn_net_grid2d           decision-boundary grid over the plane of a 2-input net: class and confidence
 *   dyn_net_output_loss      summed loss and correct count of m rows of outputs (the loss definition, shared)
 *   dyn_train_desc / dyn_train   optimiser and its caller-owned, resumable state
 *   dyn_train_bytes          bytes of workspace a dyn_train needs
 *   dyn_train_init           set up training from initial parameters
 *   dyn_train_run            advance by a chunk of steps, writing the minibatch loss of each step
 *   dyn_train_rebase         re-point a copied training state at its copied workspace, validating both
 *   dyn_net_example_ops      operations of one example's forward (and backward) pass
 *   dyn_train_work           the cost of a training run with snapshots, before it starts (work.h)
 *   dyn_opt_name/parse, dyn_loss_name/parse   enum <-> "sgd", "momentum", "adam"; "xent", "mse" (exactly these)
 *
 * The network (L = depth hidden layers, n_0 = inputs, n_{L+1} = outputs, h^0 = x):
 *   a^l = W^l h^{l-1} + b^l,    h^l = phi(a^l) + s_l h^{l-1}     (l = 1..L)
 *   z   = W^{L+1} h^L + b^{L+1}                                  (outputs: logits, or predictions)
 * s_l = 1 (an identity skip around hidden layer l) when skips are on, l >= 2 and n_l == n_{l-1}; else 0.
 * Layer 1 never has a skip (its input is the data). phi is dyn_act_phi, shared with the mean-field module.
 *
 * Flat parameter layout (theta, P doubles): for l = 1 .. L+1 in order, W^l then b^l, where W^l is n_l x n_{l-1}
 * row-major (W^l[i][j] = theta[w_off[l] + i n_{l-1} + j] connects input j to unit i) and
 * b^l[i] = theta[b_off[l] + i]; b_off[l] = w_off[l] + n_l n_{l-1} and w_off[l + 1] = b_off[l] + n_l.
 * In numpy, with t = theta:  W = t[w:w + n*m].reshape(n, m); b = t[w + n*m : w + n*m + n];  a = h @ W.T + b.
 *
 * Losses, means over the n examples (weight decay is not part of them; it only enters training):
 *   DYN_LOSS_XENT  softmax cross-entropy, -(1/n) sum_i log softmax(z_i)[y_i]; n_out = the number of classes
 *                  (n_out = 1 is not allowed: use 2 outputs for two classes)
 *   DYN_LOSS_MSE   squared error, (1/n) sum_i 1/2 |z_i - t_i|^2 with t_i the one-hot label (classification) or
 *                  the target (regression, n_out = 1). The 1/2 makes a linear model's Hessian X^T X / n.
 * Accuracy: fraction of examples with argmax z_i = y_i (classification); NaN for regression.
 *
 * Determinism. Arithmetic is double precision in a fixed order (no FMA: build with -ffp-contract=off), and all
 * randomness comes from dyn_rng, whose streams are the same bits on every platform. On one platform (one libm)
 * a seed therefore gives the same bits every time. Across platforms (glibc natively, Emscripten's musl in
 * WebAssembly) the activations are the same bits (act.c's own kernels, not libm), but the losses go through
 * libm's exp and log, which may differ in the last bit; results then agree to rounding (and a long training run
 * amplifies that, like any chaotic map), not bit for bit. The vector width does not matter: SSE2, AVX2 (chosen at
 * load time on x86-64) and SIMD128 builds give the same bits, because no sum is split across lanes.
 *
 * Sizes. Every size query (dyn_net_param_count aside) returns 0 for invalid arguments and when the buffer
 * would take DYN_NET_MAX_BYTES bytes or more, so byte counts fit a 32-bit signed integer (WebAssembly's
 * 32-bit size_t, JS typed-array offsets); the compute functions then return DYN_ERR_SIZE. With the limits
 * below one P-vector is at most 128 MB; the largest nets leave room for few of them (e.g. Lanczos steps).
 */

#define DYN_NET_MAX_HIDDEN 128  /* hidden layers (the trainability grid of isometry.h goes to depth 100 and more) */
#define DYN_NET_MAX_WIDTH 1024  /* units in a hidden layer */
#define DYN_NET_MAX_IN 4096     /* inputs */
#define DYN_NET_MAX_OUT 256     /* outputs (classes) */
#define DYN_NET_MAX_PARAMS (1L << 24) /* P: one P-vector of doubles is at most 128 MB */
#define DYN_NET_MAX_BATCH 4096  /* examples per forward/backward block (larger sets are processed in blocks) */
#define DYN_NET_MAX_GRID2D 4096 /* columns and rows of dyn_net_grid2d */
#define DYN_NET_MAX_BYTES 0x7fffffffL /* size queries return 0 at or above this many bytes (2^31 - 1) */

typedef enum dyn_loss { DYN_LOSS_XENT = 0, DYN_LOSS_MSE = 1, DYN_LOSS_COUNT } dyn_loss;
typedef enum dyn_opt { DYN_OPT_SGD = 0, DYN_OPT_MOMENTUM = 1, DYN_OPT_ADAM = 2, DYN_OPT_COUNT } dyn_opt;

typedef struct dyn_net_desc {
    int n_in;        /* inputs (features), 1..DYN_NET_MAX_IN; required */
    int n_out;       /* outputs, 1..DYN_NET_MAX_OUT; required (classes for xent, 2..) */
    int depth;       /* hidden layers L, 0..DYN_NET_MAX_HIDDEN (0: a linear / logistic model) */
    int width;       /* width of every hidden layer, 1..DYN_NET_MAX_WIDTH; 0 -> 32 */
    const int *widths; /* optional: depth widths, one per hidden layer (overrides width); only read by init */
    dyn_act act;     /* hidden activation; 0 = DYN_ACT_TANH */
    int skip;        /* nonzero: identity skips around hidden layers of equal width (see above) */
    dyn_loss loss;   /* 0 = DYN_LOSS_XENT */
} dyn_net_desc;

/* Filled by dyn_net_init; read-only afterwards; small (copy it freely). */
typedef struct dyn_net {
    int depth;                             /* L */
    int dim[DYN_NET_MAX_HIDDEN + 2];       /* n_0 .. n_{L+1} */
    long w_off[DYN_NET_MAX_HIDDEN + 2];    /* offset of W^l in theta, l = 1..L+1 (index 0 unused) */
    long b_off[DYN_NET_MAX_HIDDEN + 2];    /* offset of b^l */
    int skip[DYN_NET_MAX_HIDDEN + 2];      /* s_l, l = 1..L */
    long n_params;                         /* P */
    int max_dim;                           /* max_l n_l */
    dyn_act act;
    dyn_loss loss;
} dyn_net;

/* Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (a size out of its range, or P > DYN_NET_MAX_PARAMS),
 * DYN_ERR_RANGE (unknown activation or loss; xent with n_out < 2). */
dyn_status dyn_net_init(dyn_net *net, const dyn_net_desc *d);
size_t dyn_net_param_count(const dyn_net *net);
/* Doubles of scratch for a block of m examples (1..DYN_NET_MAX_BATCH); dyn_net_eval/grad/hvp process larger
 * sets in blocks of min(n, DYN_NET_MAX_BATCH) and need dyn_net_scratch_doubles(net, min(n, DYN_NET_MAX_BATCH)). */
size_t dyn_net_scratch_doubles(const dyn_net *net, int m);

/* Mean-field initialisation (the same (sw2, sb2) as meanfield.h): W^l_ij ~ N(0, sw2 / n_{l-1}), b^l_i ~ N(0, sb2),
 * drawn layer by layer in the flat order from dyn_rng seeded with seed. sw2 in (0, 1000], sb2 in [0, 1000].
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE, DYN_ERR_BUFFER (theta_len < P). */
dyn_status dyn_net_init_params(const dyn_net *net, double sw2, double sb2, uint64_t seed, double *theta,
                               size_t theta_len);

/* out: m x n_out outputs z (row-major) for the m x n_in inputs x (row-major). m in 1..DYN_NET_MAX_BATCH.
 * scratch: dyn_net_scratch_doubles(net, m). Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_BUFFER. */
dyn_status dyn_net_forward(const dyn_net *net, const double *theta, const double *x, int m, double *out,
                           double *scratch, size_t scratch_len);

/* Mean loss and accuracy over all examples of data (acc may be NULL; NaN for regression).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (data does not fit the net), DYN_ERR_RANGE (a label outside
 * 0..n_out-1), DYN_ERR_BUFFER. */
dyn_status dyn_net_eval(const dyn_net *net, const double *theta, const dyn_data *data, double *loss, double *acc,
                        double *scratch, size_t scratch_len);

/* The mean loss over the examples idx[0..m-1] (idx NULL: all n examples, m ignored) and its gradient
 * grad (P doubles, overwritten) by backpropagation. loss may be NULL. Same status codes as dyn_net_eval. */
dyn_status dyn_net_grad(const dyn_net *net, const double *theta, const dyn_data *data, const int *idx, int m,
                        double *loss, double *grad, double *scratch, size_t scratch_len);

/* hv = H v, H the Hessian of the mean loss over all examples (idx NULL) or idx[0..m-1], exactly, by one forward
 * and one backward pass of the R-operator (Pearlmutter 1994): about 2x the cost of a gradient. grad may be NULL
 * or receives the gradient as a by-product. At a kink of relu/hard_tanh phi'' is taken as 0.
 * scratch: dyn_net_hvp_scratch_doubles(net, m or n) = 2 dyn_net_scratch_doubles(net, block) + P doubles. Same status codes as dyn_net_eval. */
size_t dyn_net_hvp_scratch_doubles(const dyn_net *net, int n);
dyn_status dyn_net_hvp(const dyn_net *net, const double *theta, const dyn_data *data, const int *idx, int m,
                       const double *v, double *hv, double *grad, double *scratch, size_t scratch_len);

/* For a net with 2 inputs: evaluates it on an nx x ny grid over [x_min, x_max] x [y_min, y_max] (columns left to
 * right from x_min, rows top first from y_max, endpoints included). cls (may be NULL): argmax class as a float
 * (regression: the prediction). conf (may be NULL): the softmax probability of that class (xent), or the largest
 * output clamped to [0, 1] (mse classification); NaN for regression. nx, ny in 1..DYN_NET_MAX_GRID2D.
 * scratch: dyn_net_scratch_doubles(net, min(nx ny, DYN_NET_MAX_BATCH)) + 2 min(nx ny, DYN_NET_MAX_BATCH).
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE (n_in != 2, empty range), DYN_ERR_SIZE, DYN_ERR_BUFFER. */
size_t dyn_net_grid2d_scratch_doubles(const dyn_net *net, int nx, int ny);
dyn_status dyn_net_grid2d(const dyn_net *net, const double *theta, double x_min, double x_max, double y_min,
                          double y_max, int nx, int ny, float *cls, float *conf, double *scratch,
                          size_t scratch_len);

/* Sum over the m rows of z (m x n_out) of the per-example loss against y (m labels or targets; n_class as in
 * dyn_data), and the number of rows whose argmax equals the label (0 for regression). Labels must be valid
 * (dyn_net_eval checks them; this does not). */
double dyn_net_output_loss(const dyn_net *net, const double *z, int m, const double *y, int n_class, long *correct);

/* ------------------------------------------------------------------ training */

/* In dyn_train_desc 0 means "the default" (house style), but 0 is also a legal momentum, beta1 or beta2: pass
 * DYN_TRAIN_ZERO for an explicit 0 there (e.g. momentum = DYN_TRAIN_ZERO: the heavy-ball update with mu = 0,
 * which is plain SGD). Any other negative value is out of range. */
#define DYN_TRAIN_ZERO (-1.0)

typedef struct dyn_train_desc {
    dyn_opt opt;         /* 0 = DYN_OPT_SGD */
    double lr;           /* step size; 0 -> 0.1 (sgd, momentum) or 0.01 (adam); else in (0, 100] */
    double momentum;     /* heavy ball (theta += v, v = mu v - lr g); 0 -> 0.9; DYN_TRAIN_ZERO -> 0; in [0, 1) */
    double beta1, beta2; /* Adam; 0 -> 0.9, 0.999; DYN_TRAIN_ZERO -> 0; each in [0, 1) */
    double eps;          /* Adam; 0 -> 1e-8 */
    double weight_decay; /* L2 on weights (not biases): g += wd W; 0 = none; in [0, 10] */
    int batch;           /* minibatch size; 0 or >= n -> full batch */
    uint64_t seed;       /* shuffling (each epoch is a fresh permutation; the last partial batch is dropped) */
} dyn_train_desc;

/* Caller-owned state; everything it points to lives in the workspace given to dyn_train_init. Plain data:
 * copy the workspace and the struct, then call dyn_train_rebase, to fork a run or move it to another memory. */
typedef struct dyn_train {
    dyn_net net;
    dyn_train_desc d;    /* with defaults resolved (DYN_TRAIN_ZERO as 0) */
    double *theta;       /* P: the current parameters (read them, or write them between chunks) */
    double *m1, *m2;     /* P each: momentum velocity / Adam moments */
    double *grad;        /* P: the last gradient (with weight decay) */
    int *perm;           /* n: the current epoch's permutation */
    double *scratch;
    size_t scratch_len;
    long step;           /* steps taken */
    double b1t, b2t;     /* Adam: beta1^step, beta2^step */
    int pos;             /* next position in perm */
    int n;               /* examples of the data set training was set up with */
    int batch;           /* resolved batch size */
    dyn_rng rng;
} dyn_train;

/* Returns 0 for an invalid descriptor or sizes, or DYN_NET_MAX_BYTES bytes or more. */
size_t dyn_train_bytes(const dyn_net *net, const dyn_train_desc *d, int n);
/* theta0: P initial parameters (copied). mem: dyn_train_bytes(...) bytes, 8-byte aligned, owned by the caller.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE, DYN_ERR_SIZE, DYN_ERR_BUFFER. */
dyn_status dyn_train_init(dyn_train *t, const dyn_net *net, const dyn_train_desc *d, const dyn_data *data,
                          const double *theta0, void *mem, size_t bytes);
/* Takes `steps` optimiser steps on data (the same set as at init). loss_out (may be NULL): steps values, the
 * minibatch loss (without weight decay) before each step. Resume by calling again: the result is the same bits
 * as one call with the total number of steps. A non-finite loss stops the run with DYN_ERR_NAN (diverged);
 * the steps taken so far are kept. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_RANGE, DYN_ERR_NAN. */
dyn_status dyn_train_run(dyn_train *t, const dyn_data *data, int steps, double *loss_out);

/* Points t (a copy of a dyn_train, e.g. bytes stored by a Web Worker and handed to another) at mem, a copy of its
 * workspace (bytes long, 8-byte aligned). Everything in t is checked as untrusted input before it is used: the
 * net must be exactly what dyn_net_init gives for its dimensions, the options as dyn_train_init resolves them,
 * n, batch, step, pos and Adam's beta powers in range, bytes >= dyn_train_bytes, and every entry of the
 * permutation in the workspace in 0..n-1 (it indexes the data). The pointers are then set from the workspace
 * layout, never from t's old values. On an error t's pointers are not to be used.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (a size or the net's layout is not one dyn_train_init makes),
 * DYN_ERR_RANGE (an option, a counter or a permutation entry out of range), DYN_ERR_NAN (a NaN option),
 * DYN_ERR_BUFFER (bytes too small, or mem not 8-byte aligned). */
dyn_status dyn_train_rebase(dyn_train *t, void *mem, size_t bytes);

/* Operations (work.h) of one example through the net: forward = sum_l n_l n_{l-1} multiply-adds plus one
 * activation per hidden unit and one exp per output; with_backward adds backpropagation (twice the multiply-adds
 * and one derivative per hidden unit). 0 for a NULL net. */
double dyn_net_example_ops(const dyn_net *net, int with_backward);

/* The cost of training for `steps` steps at minibatch `batch` (0 or >= n: full batch) on n examples with
 * `snapshots` evaluations of the whole data set, each keeping a copy of theta (the training path that the CLI
 * and the page keep), and the minibatch loss of every step kept: ops = steps (batch backward-pass ops + 12 P) +
 * snapshots n forward-pass ops; bytes = the training workspace + snapshots P doubles + steps doubles + the
 * evaluation scratch. Computed in double without caps (a job of 12.6 GB says so, instead of 0). */
dyn_work dyn_train_work(const dyn_net *net, int batch, int n, double steps, int snapshots);

const char *dyn_opt_name(dyn_opt o);
dyn_status dyn_opt_parse(const char *name, dyn_opt *out);
const char *dyn_loss_name(dyn_loss l);
dyn_status dyn_loss_parse(const char *name, dyn_loss *out);

#endif
