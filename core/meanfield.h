/* meanfield.h - signal propagation in deep random networks: q/c maps, fixed points, chi_1, depth scales. */
#ifndef DYN_MEANFIELD_H
#define DYN_MEANFIELD_H

#include <stddef.h>
#include <stdint.h>

#include "act.h"
#include "quad.h"
#include "status.h"
#include "work.h"

/* Index
 *   dyn_mf_workspace_bytes  bytes of workspace a dyn_mf needs for a descriptor
 *   dyn_mf_init             set up a dyn_mf in caller memory: quadrature nodes and interpolation tables
 *   dyn_mf_solve            q*, c*, chi_1, chi_c, chi_q, xi_q, xi_c, xi_grad and the phase at (sw2, sb2)
 *   dyn_mf_critical         the critical sw2 (chi_1 = 1) for a given sb2, and q* there
 *   dyn_mf_critical_line    the critical sw2 at n evenly spaced sb2 values
 *   dyn_mf_grid             a phase-diagram grid of one field over (sw2, sb2), or a band of its rows
 *   dyn_mf_trajectory       q^l and c^l for l = 0..depth from given q^0, c^0 (cobweb and depth plots)
 *   dyn_mf_simulate         the same q^l, c^l measured in real random networks of finite width
 *   dyn_mf_field_name/parse field enum <-> "q_star", "c_star", "chi1", "chi_c", "xi_q", "xi_c", "xi_grad", "phase"
 *   dyn_mf_phase_name       "ordered", "chaotic", "unbounded"
 *   dyn_mf_simulate_work    what dyn_mf_simulate costs, before it starts (work.h)
 *
 * The network: h^l = W^l phi(h^{l-1}) + b^l, W_ij ~ N(0, sw2/N), b_i ~ N(0, sb2) (variances, fan-in).
 * Length map:       q^l = sw2 E[phi(sqrt(q^{l-1}) z)^2] + sb2,               fixed point q*
 * Correlation map:  c^l = (sw2 E[phi(u1) phi(u2)] + sb2) / q^l, (u1, u2) with variance q^{l-1} and
 *                   correlation c^{l-1};  stable fixed point c* (= 1 in the ordered phase)
 * chi_1 = sw2 E[phi'(sqrt(q*) z)^2]   (< 1 ordered, > 1 chaotic);  chi_c = sw2 E[phi'(u1) phi'(u2)] at c*
 * chi_q = d q^l / d q^{l-1} at q*;  xi_q = -1/ln chi_q;  xi_c = -1/ln chi_c;  xi_grad = -1/ln chi_1
 * (xi_grad < 0 means gradients grow with depth; an infinite depth scale is reported as +inf).
 *
 * Two evaluation paths share one solver: dyn_mf_solve uses Gauss-Hermite quadrature (or an activation's
 * closed forms) at every step and is accurate to about 1e-10 relative for q* up to ~16 at the default order;
 * dyn_mf_grid interpolates tables built once by dyn_mf_init (Chebyshev in q and in theta = acos c), agrees
 * with dyn_mf_solve to about 1e-7, and falls back to the exact path for q* beyond the tables.
 *
 * Limits: 0 < sw2 <= 1000, 0 <= sb2 <= 1000, grids up to 4096 x 4096, quadrature order 16..2048.
 */

#define DYN_MF_MAX_PARAM 1000.0
#define DYN_MF_MAX_GRID 4096
#define DYN_MF_MIN_ORDER 16
#define DYN_MF_MAX_ORDER 2048
#define DYN_MF_MAX_DEPTH 10000
#define DYN_MF_MAX_WIDTH 8192
#define DYN_MF_MAX_SEEDS 1000
#define DYN_MF_NTHETA 64 /* Chebyshev terms in theta of the r table */

typedef enum dyn_mf_field {
    DYN_MF_Q_STAR = 0,
    DYN_MF_C_STAR,
    DYN_MF_CHI1,
    DYN_MF_CHI_C,
    DYN_MF_XI_Q,
    DYN_MF_XI_C,
    DYN_MF_XI_GRAD,
    DYN_MF_PHASE,
    DYN_MF_FIELD_COUNT
} dyn_mf_field;

typedef enum dyn_phase {
    DYN_PHASE_ORDERED = 0,  /* chi_1 <= 1: nearby inputs converge, c* = 1 */
    DYN_PHASE_CHAOTIC = 1,  /* chi_1 > 1: nearby inputs decorrelate, c* < 1 */
    DYN_PHASE_UNBOUNDED = 2 /* the length map has no fixed point: q^l grows without bound */
} dyn_phase;

typedef struct dyn_mf_desc {
    dyn_act act;
    int order; /* Gauss-Hermite order of the exact path's 2-D rule; 0 means 512. The 1-D rule has 2x. */
} dyn_mf_desc;

/* Opaque in spirit: fill it with dyn_mf_init and treat it as read-only; it points into the caller's memory,
 * and may be shared by any number of threads or calls. */
typedef struct dyn_mf {
    dyn_act act;
    const dyn_act_kernels *k; /* closed forms, or all NULL for quadrature */
    int order;                /* Gauss-Hermite nodes of the 2-D rule (per dimension) */
    int i0, i1;               /* nodes [i0, i1) carry non-negligible weight */
    const double *z, *w;      /* nodes and weights of E over N(0, 1), ascending */
    int order_1d, j0, j1;     /* the 1-D rule: 2 x order nodes (at most 4096), the same way */
    const double *z1, *w1;
    dyn_quad_rule gl;         /* Gauss-Legendre rule on [-1, 1] for kernels that need one */
    int nq;                   /* q nodes of the tables: Chebyshev nodes on panels in q */
    const double *tq;         /* the q nodes, panel by panel */
    const double *tv, *tdv, *td; /* per panel, Chebyshev coefficients in q of v, dv/dq and d */
    const double *tr;         /* per panel, coefficients of r(q, theta): Chebyshev in q times in theta */
    double table_qmax;        /* the tables cover 0 < q <= table_qmax */
    double vd0[3];            /* v, dv/dq and d in the limit q -> 0+ */
} dyn_mf;

typedef struct dyn_mf_point {
    double sw2, sb2;
    double q_star;  /* +inf when unbounded */
    double c_star;  /* 1 in the ordered phase */
    double chi1, chi_c, chi_q;
    double xi_q, xi_c, xi_grad;
    double depth_trainable; /* 6 xi_c (Schoenholz et al. 2017) */
    dyn_phase phase;
} dyn_mf_point;

typedef struct dyn_mf_grid_desc {
    dyn_mf_field field;
    double sw2_min, sw2_max; /* columns, left to right, endpoints included */
    double sb2_min, sb2_max; /* rows, top row = sb2_max, bottom row = sb2_min */
    int nx, ny;
    int row_begin, row_end;  /* compute rows [row_begin, row_end); both 0 means all rows */
} dyn_mf_grid_desc;

typedef struct dyn_mf_sim_desc {
    dyn_act act;
    int width, depth, seeds; /* N, L, number of independent networks */
    uint64_t seed;
    double sw2, sb2;
    double q0, c0; /* statistics of the two inputs h^0: |h|^2/N = q0 for both, correlation c0 */
} dyn_mf_sim_desc;

/* Returns the bytes dyn_mf_init needs, or 0 if the descriptor is invalid. */
size_t dyn_mf_workspace_bytes(const dyn_mf_desc *d);
/* Computes Gauss-Hermite nodes of the requested order and the interpolation tables (a few ms).
 * mem: at least dyn_mf_workspace_bytes(d) bytes, 8-byte aligned, owned by the caller while mf is used.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_RANGE (unknown activation or order), DYN_ERR_BUFFER. */
dyn_status dyn_mf_init(dyn_mf *mf, const dyn_mf_desc *d, void *mem, size_t bytes);

/* Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE, DYN_ERR_NO_CONVERGE. An unbounded network is not
 * an error: out->phase = DYN_PHASE_UNBOUNDED and the quantities that need q* are NaN. */
dyn_status dyn_mf_solve(const dyn_mf *mf, double sw2, double sb2, dyn_mf_point *out);

/* The sw2 with chi_1 = 1 at bias variance sb2, and q* there. DYN_ERR_NO_SOLUTION when the activation has no
 * critical point at this sb2 (ReLU and linear are critical only at sb2 = 0). q_star may be NULL. */
dyn_status dyn_mf_critical(const dyn_mf *mf, double sb2, double *sw2_crit, double *q_star);
/* sw2_out[i] = critical sw2 at sb2 = sb2_min + i (sb2_max - sb2_min)/(n - 1), NaN where there is none.
 * Uses the tables. n in 2..DYN_MF_MAX_GRID. */
dyn_status dyn_mf_critical_line(const dyn_mf *mf, double sb2_min, double sb2_max, int n, double *sw2_out);

/* out: nx * (row_end - row_begin) floats, row-major, first row = row_begin (the top row is row 0).
 * For the phase field the values are the dyn_phase codes. Unbounded points give NaN except for phase.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN, DYN_ERR_RANGE, DYN_ERR_SIZE, DYN_ERR_BUFFER. */
dyn_status dyn_mf_grid(const dyn_mf *mf, const dyn_mf_grid_desc *g, float *out, size_t out_len);

/* q_out[l], c_out[l] for l = 0..depth (depth + 1 values each; index 0 holds q0, c0). q0 > 0, -1 <= c0 <= 1.
 * e_out may be NULL or receive 1 - c^l with full relative precision (it reaches 1e-300 where c^l rounds to 1),
 * for log-scale plots of the approach to c* = 1. Uses the exact path. */
dyn_status dyn_mf_trajectory(const dyn_mf *mf, double sw2, double sb2, double q0, double c0, int depth,
                             double *q_out, double *c_out, double *e_out);

/* Pushes two inputs through d->seeds independent random networks and records, per layer l = 0..depth,
 * the mean over networks and its standard error of q^l (averaged over the two inputs) and of c^l.
 * c_each may be NULL or receive seeds * (depth + 1) values (network-major) for bands and spaghetti plots.
 * scratch: dyn_mf_sim_scratch_doubles(width) doubles. Weights are drawn row by row and never stored. */
size_t dyn_mf_sim_scratch_doubles(int width);
dyn_status dyn_mf_simulate(const dyn_mf_sim_desc *d, double *scratch, size_t scratch_len, double *q_mean,
                           double *q_se, double *c_mean, double *c_se, double *c_each);

/* The cost of dyn_mf_simulate: per network and layer N^2 Gaussian weight draws and two N^2 matrix-vector
 * products, and 2 N activations; bytes: the scratch and the outputs (c_each included). Zeros for NULL. */
dyn_work dyn_mf_simulate_work(const dyn_mf_sim_desc *d);

const char *dyn_mf_field_name(dyn_mf_field f);
dyn_status dyn_mf_field_parse(const char *name, dyn_mf_field *out);
const char *dyn_mf_phase_name(dyn_phase p);

#endif
