/* lrcontrol.h - the learning rate as a control: SGD on a noisy quadratic, its SME moment ODE, the optimal schedule. */
#ifndef DYN_LRCONTROL_H
#define DYN_LRCONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Index
 *   dyn_lrc_problem           the quadratic, its gradient noise, the start, the base learning rate eta, the batch
 *   dyn_lrc_schedule          a learning-rate multiplier u(t) in [0, 1]: optimal feedback, its discrete-time
 *                             twin, constant, 1/t-type, given per step, or the result of dyn_lrc_optimize
 *   dyn_lrc_schedule_parse    "optimal", "discrete", "const:0.5", "inv:1", "inv:1:10", "direct:40", "given" -> a
 *                             schedule
 *   dyn_lrc_schedule_label    a schedule -> the same text (CSV columns, JSON, legends)
 *   dyn_lrc_steps             the number of SGD steps N = T / eta for a horizon T (checked)
 *   dyn_lrc_control           the rule itself: u for every coordinate at step k, time t, second moments m
 *   dyn_lrc_ode               the SME moment ODE dm_i/dt = -2 a_i u m_i + eta u^2 s_i^2 on t = 0, eta, ..., N eta
 *   dyn_lrc_recursion         the exact moment recursion of SGD, m_{k+1} = (1 - eta u a)^2 m_k + eta^2 u^2 s^2
 *   dyn_lrc_simulate          Monte Carlo SGD (seeded Gaussian noise): mean and standard error of the loss
 *   dyn_lrc_costates          the discrete Pontryagin costates of the recursion and dJ/du_k per coordinate (the
 *                             switching function: 0 where an optimal u is inside (0, 1), <= 0 where it is 1)
 *   dyn_lrc_optimal_1d        the closed form of the optimal feedback trajectory of one coordinate
 *   dyn_lrc_optimize_scratch_doubles, dyn_lrc_optimize
 *                             direct numerical optimisation of a piecewise-constant shared u on the moment ODE
 *
 * The model (Li, Tai and E 2017, "Stochastic modified equations and adaptive stochastic gradient algorithms",
 * ICML, its optimal-control derivation of adaptive learning rates; the SME's weak-approximation theory is in their
 * JMLR 2019 "Stochastic modified equations and dynamics of stochastic gradient algorithms I"):
 *   f(x) = 1/2 sum_i a_i x_i^2 (a diagonal Hessian, a_i > 0), a stochastic gradient g = grad f(x) + xi with
 *   xi_i ~ N(0, s_i^2) independent, s_i^2 = sigma2_i / batch (the per-example variance over the batch size),
 *   SGD x_{k+1} = x_k - eta u_k g_k, time t = k eta. The first-order SME is
 *       dX = -u grad f(X) dt + u sqrt(eta) diag(s) dW,
 *   and for m_i(t) = E[X_i(t)^2] (X(0) = x0 deterministic, so m_i(0) = x0_i^2; the mean decays to 0 and the
 *   second moment carries the whole loss) Ito's formula gives the moment ODE
 *       dm_i/dt = -2 a_i u m_i + eta u^2 s_i^2,   E f(X_t) = 1/2 sum_i a_i m_i(t).
 *   SGD's own moments obey, exactly and for any noise law with these variances,
 *       m_{k+1} = (1 - eta u_k a)^2 m_k + eta^2 u_k^2 s^2,
 *   which is the ODE's forward step plus eta^2 u^2 a^2 m: the two agree to O(eta) over a fixed horizon.
 *
 * The optimal control (derivation). Minimise E f(X_T) = 1/2 sum a_i m_i(T) over u(t) in [0, 1].
 *   Pontryagin: H = sum_i p_i (-2 a_i u m_i + eta u^2 s_i^2), costates dp_i/dt = -dH/dm_i = 2 a_i u p_i with
 *   p_i(T) = a_i / 2 > 0, so p_i(t) > 0 for all t. With one control per coordinate (the paper's choice: its cSGD
 *   sets a learning rate per parameter from a separable local quadratic model) the problem splits into d
 *   problems, and minimising H over u_i in [0, 1] is minimising -2 a_i u m_i + eta u^2 s_i^2 whatever p_i > 0 is:
 *       u_i* = min(1, a_i m_i / (eta s_i^2))          (u_i* = 1 when s_i = 0),
 *   a feedback law independent of T. (The paper writes it with the coordinate's expected loss m = E f_i =
 *   a_i E[x_i^2] / 2 as u* = min(1, 2 m / (eta s^2)): the same law; its cSGD applies it element-wise with running
 *   estimates of a_i, m and s_i^2.) Dynamic programming says the same: the right side is increasing in m, so
 *   the value function is increasing in m and the greedy choice that makes dm/dt smallest is optimal. On its
 *   trajectory u = 1 until m_i falls to eta s_i^2 / a_i (twice the u = 1 stationary level), at
 *       t*_i = ln(2 a_i m_i(0) / (eta s_i^2) - 1) / (2 a_i)   (0 if m_i(0) <= eta s_i^2 / a_i),
 *   and then u_i(t) = 1 / (eta s_i^2 / (a_i m_i(t*)) + a_i (t - t*_i)), which is 1 / (1 + a_i (t - t*_i)) after a
 *   start above the switch level, and m_i(t) = eta s_i^2 u_i(t) / a_i: the optimum IS a 1/t schedule, entered at
 *   a time set by the noise level.
 *   The same argument on the exact recursion gives the discrete-time optimum (schedule "discrete"), the step
 *   that minimises m_{k+1}:  u_i = min(1, a_i m_i / (eta (a_i^2 m_i + s_i^2))), which differs by O(eta).
 *   With ONE u shared by all coordinates (constant, 1/t, given and direct schedules) the Hamiltonian's minimiser
 *   sum p_i a_i m_i / (eta sum p_i s_i^2) needs the costates, i.e. the future: no longer a feedback law, so
 *   dyn_lrc_optimize solves that problem directly; its optimum can only be worse than the per-coordinate one.
 *
 * Units: t in the SME's time (t = k eta), a_i in 1/time, the loss in f's units. Work is bounded: N <=
 * DYN_LRC_MAX_STEPS, d <= DYN_LRC_MAX_D, runs N d <= DYN_LRC_MAX_WORK. Nothing allocates; no globals.
 */

#define DYN_LRC_MAX_D 64
#define DYN_LRC_MAX_STEPS 10000000L
#define DYN_LRC_MAX_RUNS 10000000L
#define DYN_LRC_MAX_WORK 4e9          /* runs * steps * d of one dyn_lrc_simulate call */
#define DYN_LRC_MAX_PIECES 1000       /* dyn_lrc_optimize */
#define DYN_LRC_MAX_SUBSTEPS 1000     /* dyn_lrc_ode */
#define DYN_LRC_LABEL_MAX 48          /* bytes for dyn_lrc_schedule_label */
#define DYN_LRC_MAX_VALUE 1e100       /* bound on sigma2_i and |x0_i|, so that every moment stays finite */

typedef struct dyn_lrc_problem {
    int d;                  /* dimensions, 1..DYN_LRC_MAX_D */
    const double *a;        /* d curvatures a_i > 0 (the Hessian's diagonal) */
    const double *sigma2;   /* d per-example gradient-noise variances in [0, DYN_LRC_MAX_VALUE] */
    const double *x0;       /* d starting coordinates, |x0_i| <= DYN_LRC_MAX_VALUE; NULL -> all 1 */
    double eta;             /* base learning rate > 0 with eta * max a_i < 2 (SGD at u = 1 is stable) */
    int batch;              /* batch size >= 1 (noise variance sigma2 / batch); 0 -> 1 */
} dyn_lrc_problem;

typedef enum dyn_lrc_kind {
    DYN_LRC_OPTIMAL = 0,    /* u_i = min(1, a_i m_i / (eta s_i^2)), per coordinate: the SME's optimum */
    DYN_LRC_DISCRETE,       /* u_i = min(1, a_i m_i / (eta (a_i^2 m_i + s_i^2))): the exact recursion's optimum */
    DYN_LRC_CONST,          /* u = value, shared */
    DYN_LRC_INV,            /* u = min(1, value / (t + t0)), shared */
    DYN_LRC_GIVEN,          /* u = u[k] during step k (the ODE: on [k eta, (k+1) eta)), shared */
    DYN_LRC_DIRECT,         /* as GIVEN, with u from dyn_lrc_optimize (the label says "direct:<pieces>") */
    DYN_LRC_KIND_COUNT
} dyn_lrc_kind;

typedef struct dyn_lrc_schedule {
    dyn_lrc_kind kind;
    double value;           /* CONST: u in (0, 1], 0 -> 1.  INV: c > 0, 0 -> 1 */
    double t0;              /* INV: t0 >= 0 (0: u = 1 until t = c) */
    int pieces;             /* DIRECT: the number of pieces asked of dyn_lrc_optimize (for the label) */
    const double *u;        /* GIVEN, DIRECT: n_u values in [0, 1], one per step; n_u >= the steps run */
    long n_u;
} dyn_lrc_schedule;

/* dyn_lrc_schedule_parse: spec -> *out (u = NULL: a GIVEN or DIRECT schedule still needs its values).
 *   "optimal" | "discrete" | "const:U" (0 < U <= 1) | "inv:C" or "inv:C:T0" (C > 0, T0 >= 0) | "direct:K"
 *   (1 <= K <= DYN_LRC_MAX_PIECES) | "given" (the caller supplies u and n_u). err (optional, err_len bytes) gets a one-line reason on failure.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_UNKNOWN_NAME (not one of the forms), DYN_ERR_RANGE (a number out of range
 * or not a number). */
dyn_status dyn_lrc_schedule_parse(const char *spec, dyn_lrc_schedule *out, char *err, size_t err_len);

/* dyn_lrc_schedule_label: the spec text of s ("const:0.5"; GIVEN -> "given") into buf (len >= 1; truncated,
 * always terminated; DYN_LRC_LABEL_MAX always suffices). Returns buf ("?" for a NULL or bad s). */
const char *dyn_lrc_schedule_label(const dyn_lrc_schedule *s, char *buf, size_t len);

/* dyn_lrc_steps: N = round(T / eta) SGD steps for the horizon T > 0 (time units). Returns DYN_OK, DYN_ERR_NULL,
 * DYN_ERR_NAN, DYN_ERR_RANGE (eta <= 0, T <= 0), DYN_ERR_SIZE (N < 1 or N > DYN_LRC_MAX_STEPS). */
dyn_status dyn_lrc_steps(double eta, double T, long *steps);

/* dyn_lrc_control: the multipliers u[0..d-1] in [0, 1] that schedule s uses at step k (time t = k eta for the
 * recursion; any t >= 0 inside the ODE's step k) when the second moments are m[0..d-1] (>= 0). Shared schedules
 * give d equal values. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE (bad problem or schedule, t < 0,
 * m < 0), DYN_ERR_SIZE (k < 0, or k >= n_u for GIVEN/DIRECT). */
dyn_status dyn_lrc_control(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long k, double t, const double *m,
                           double *u);

/* dyn_lrc_ode: integrates the moment ODE from m_i(0) = x0_i^2 over N steps of time eta, with `substeps` classical
 * RK4 steps per eta (0 -> 8; at most DYN_LRC_MAX_SUBSTEPS; the control is re-evaluated at every RK4 stage, and
 * GIVEN/DIRECT values switch exactly at step boundaries).
 *   loss  out: N + 1 values E f(t_k), t_k = k eta; loss_len >= N + 1
 *   m     optional out (NULL): (N + 1) x d second moments, row k at t_k; m_len >= (N + 1) d
 *   u     optional out (NULL): (N + 1) x d multipliers u(t_k) (row N: the law's value at T; GIVEN: u[N-1])
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE (problem, schedule), DYN_ERR_SIZE (N, substeps, n_u < N),
 * DYN_ERR_BUFFER. */
dyn_status dyn_lrc_ode(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long steps, int substeps, double *loss,
                       size_t loss_len, double *m, size_t m_len, double *u, size_t u_len);

/* dyn_lrc_recursion: the exact second moments of SGD under s (feedback laws read the recursion's own m_k).
 * Outputs and returns as dyn_lrc_ode (u row k: the multipliers of step k; row N: the law's value at step N). */
dyn_status dyn_lrc_recursion(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long steps, double *loss,
                             size_t loss_len, double *m, size_t m_len, double *u, size_t u_len);

/* dyn_lrc_simulate: `runs` independent SGD runs of N steps from x0, noise xi ~ N(0, s^2) from dyn_rng seeded with
 * seed (run r continues the one stream: the result depends on seed and runs only, the same natively and in
 * WASM up to libm's last bit). The multipliers are the recursion's (a feedback law is a function of the
 * moments, which are deterministic, so every run uses the same open-loop u_k; the runs then sample exactly the
 * process whose moments dyn_lrc_recursion computes).
 *   runs      2..DYN_LRC_MAX_RUNS, runs * N * d <= DYN_LRC_MAX_WORK
 *   mean, se  out: N + 1 values each, the sample mean of f(x_k) over runs and its standard error
 *             (sample standard deviation / sqrt(runs)); lengths >= N + 1
 *   paths     optional out (NULL, npaths = 0): f(x_k) of the first npaths runs, npaths x (N + 1), row-major;
 *             0 <= npaths <= runs, paths_len >= npaths (N + 1)
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE, DYN_ERR_SIZE (runs, N, npaths, the work bound),
 * DYN_ERR_BUFFER. */
dyn_status dyn_lrc_simulate(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long steps, long runs, uint64_t seed,
                            double *mean, size_t mean_len, double *se, size_t se_len, int npaths, double *paths,
                            size_t paths_len);

/* dyn_lrc_costates: the adjoint of SGD's exact moment recursion under the multipliers u_k that s produces along it
 * (frozen as open-loop values): with J = E f(x_N) = 1/2 sum a_i m_i(N) and g = 1 - eta u_k a_i,
 *     lambda_i(N) = a_i / 2,   lambda_i(k) = dJ/dm_i(k) = lambda_i(k+1) g^2,
 *     dJ/du_{k,i} = lambda_i(k+1) (-2 eta a_i g m_i(k) + 2 eta^2 u_k s_i^2)
 * (backpropagation through the recursion is the costate equation). For a shared u the derivative with respect to
 * u_k is the sum of row k. The discrete law makes every interior entry 0 (it minimises m_i(k+1) over u), the SME's
 * law makes it O(eta) small; where a law sits at u = 1 the entry is <= 0.
 *   lambda  out: (N + 1) x d costates, row k at step k; lambda_len >= (N + 1) d
 *   grad    out: N x d derivatives dJ/du_{k,i}; grad_len >= N d
 *   loss_T  optional out (NULL): J
 * Returns as dyn_lrc_recursion. */
dyn_status dyn_lrc_costates(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long steps, double *lambda,
                            size_t lambda_len, double *grad, size_t grad_len, double *loss_T);

/* dyn_lrc_optimal_1d: the closed-form optimal feedback trajectory of one coordinate (see the derivation above):
 * a > 0, s2 = s^2 >= 0 (the batch-scaled noise variance), eta > 0, m0 >= 0, t >= 0. Outputs (each optional):
 * m(t), u(t) and the switching time t* (+inf when s2 = 0: u = 1 forever; 0 when u < 1 from the start).
 * Returns DYN_OK, DYN_ERR_NAN, DYN_ERR_RANGE. */
dyn_status dyn_lrc_optimal_1d(double a, double s2, double eta, double m0, double t, double *m, double *u,
                              double *tstar);

/* dyn_lrc_optimize: minimises E f(T), T = N eta, on the moment ODE over shared multipliers u that are constant on
 * consecutive blocks of L = ceil(N / pieces) steps (ceil(N / L) <= pieces blocks, the last one possibly shorter),
 * each u in [0, 1].
 * Each piece's exact solution m -> e m + (1 - e) eta u s^2 / (2 a), e = exp(-2 a u h), makes the loss an exact
 * function of the piece values; cyclic coordinate descent (golden-section search per piece, exact suffix
 * maps so each evaluation costs O(d)) runs `sweeps` sweeps (0 -> 60) or until a sweep gains less than 1e-15
 * relative. Not a feedback law: for d = 1 it approaches DYN_LRC_OPTIMAL's loss from above as pieces grow.
 *   u        out: N values, the per-step multipliers (use as a DYN_LRC_DIRECT schedule); u_len >= N
 *   loss_T   out: the optimised E f(T) on the ODE (exact for the piecewise-constant u)
 *   scratch  scratch_len >= dyn_lrc_optimize_scratch_doubles(d, pieces) doubles
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE, DYN_ERR_SIZE (N, pieces < 1 or > min(N, MAX_PIECES),
 * sweeps < 0 or > 10000), DYN_ERR_BUFFER. */
size_t dyn_lrc_optimize_scratch_doubles(int d, int pieces);
dyn_status dyn_lrc_optimize(const dyn_lrc_problem *p, long steps, int pieces, int sweeps, double *u, size_t u_len,
                            double *loss_T, double *scratch, size_t scratch_len);

#endif
