/* landscape.c - directions (random, PCA, Hessian by Lanczos), the batched 2-D slice, and path projection. */
#include "landscape.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linalg.h"
#include "net_internal.h"
#include "rng.h"
#include "vec_internal.h"

#define DNAN ((double)NAN)
#define SLICE_BLOCK 64 /* examples per block of the slice: activations and the layer's weights stay in cache */

static int bad(double x) { return isnan(x) || isinf(x); }
static int imin(int a, int b) { return a < b ? a : b; }

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* a count of doubles in 64 bits, or 0 when its bytes would reach DYN_NET_MAX_BYTES (the size queries' check) */
static size_t doubles_or_0(uint64_t n) { return n <= (uint64_t)DYN_NET_MAX_BYTES / sizeof(double) ? (size_t)n : 0; }

/* Eigenpairs of the symmetric n x n matrix A by linalg's Jacobi solver, which sorts them ascending: the j-th
 * largest is w[n - 1 - j] with eigenvector column n - 1 - j of V. scratch: dyn_la_scratch_doubles(n). */
static dyn_status sym_eig(const double *A, int n, double *w, double *V, double *scratch)
{
    return dyn_la_sym_eig(n, A, w, V, scratch, dyn_la_scratch_doubles(n));
}

/* ------------------------------------------------------------------ directions */

static const char *const NORM_NAMES[DYN_DIRNORM_COUNT] = {"filter", "layer", "none"};
const char *dyn_dirnorm_name(dyn_dirnorm n) { return ((int)n >= 0 && n < DYN_DIRNORM_COUNT) ? NORM_NAMES[n] : NULL; }
dyn_status dyn_dirnorm_parse(const char *name, dyn_dirnorm *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < DYN_DIRNORM_COUNT; i++)
        if (strcmp(name, NORM_NAMES[i]) == 0) return *out = (dyn_dirnorm)i, DYN_OK;
    return DYN_ERR_UNKNOWN_NAME;
}

dyn_status dyn_ls_normalize(const dyn_net *net, const double *theta, dyn_dirnorm norm, double *dir)
{
    if (!net || !theta || !dir) return DYN_ERR_NULL;
    if ((int)norm < 0 || norm >= DYN_DIRNORM_COUNT) return DYN_ERR_RANGE;
    if (norm == DYN_DIRNORM_NONE) return DYN_OK;
    for (int l = 1; l <= net->depth + 1; l++) {
        int nout = net->dim[l], nin = net->dim[l - 1];
        double *D = dir + net->w_off[l];
        const double *W = theta + net->w_off[l];
        if (norm == DYN_DIRNORM_FILTER) {
            for (int i = 0; i < nout; i++) {
                double *d = D + (size_t)i * nin;
                double nd = sqrt(dot(d, d, (size_t)nin)), nw = sqrt(dot(W + (size_t)i * nin, W + (size_t)i * nin, (size_t)nin));
                double f = nd > 0.0 ? nw / nd : 0.0;
                for (int k = 0; k < nin; k++) d[k] *= f;
            }
        } else {
            size_t cnt = (size_t)nout * nin;
            double nd = sqrt(dot(D, D, cnt)), nw = sqrt(dot(W, W, cnt)), f = nd > 0.0 ? nw / nd : 0.0;
            for (size_t k = 0; k < cnt; k++) D[k] *= f;
        }
        memset(dir + net->b_off[l], 0, sizeof(double) * nout);
    }
    return DYN_OK;
}

dyn_status dyn_ls_random_dirs(const dyn_net *net, const double *theta, dyn_dirnorm norm, uint64_t seed, int ndir,
                              double *dirs, size_t dirs_len)
{
    if (!net || !theta || !dirs) return DYN_ERR_NULL;
    if ((int)norm < 0 || norm >= DYN_DIRNORM_COUNT) return DYN_ERR_RANGE;
    if (ndir < 1 || ndir > DYN_LS_MAX_DIRS) return DYN_ERR_SIZE;
    size_t P = (size_t)net->n_params;
    if (dirs_len < (size_t)ndir * P) return DYN_ERR_BUFFER;
    dyn_rng r;
    dyn_rng_seed(&r, seed);
    for (int d = 0; d < ndir; d++) {
        for (size_t i = 0; i < P; i++) dirs[d * P + i] = dyn_rng_normal(&r);
        dyn_ls_normalize(net, theta, norm, dirs + d * P);
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ PCA of the path */

size_t dyn_ls_pca_scratch_doubles(int T)
{
    if (T < 2 || T > DYN_LS_MAX_PATH) return 0;
    return doubles_or_0(2 * (uint64_t)T * (uint64_t)T + (uint64_t)T + dyn_la_scratch_doubles(T));
}

dyn_status dyn_ls_pca(const double *path, int T, size_t P, const double *center, int k, double *dirs,
                      double *var_frac, double *scratch, size_t scratch_len)
{
    if (!path || !dirs || !scratch) return DYN_ERR_NULL;
    if (T < 2 || T > DYN_LS_MAX_PATH || k < 1 || k > 3 || P < (size_t)k || P > (size_t)DYN_NET_MAX_PARAMS)
        return DYN_ERR_SIZE;
    if (scratch_len < dyn_ls_pca_scratch_doubles(T)) return DYN_ERR_BUFFER;
    const double *c = center ? center : path + (size_t)(T - 1) * P;
    double *G = scratch, *V = G + (size_t)T * T, *w = V + (size_t)T * T, *es = w + T;
    /* G = M M^T with M_t = path_t - c, accumulated without forming M */
    for (int s = 0; s < T; s++)
        for (int t = s; t < T; t++) {
            const double *ps = path + (size_t)s * P, *pt = path + (size_t)t * P;
            double acc = 0.0;
            for (size_t i = 0; i < P; i++) acc += (ps[i] - c[i]) * (pt[i] - c[i]);
            if (bad(acc)) return DYN_ERR_NAN;
            G[s * T + t] = G[t * T + s] = acc;
        }
    double trace = 0.0;
    for (int t = 0; t < T; t++) trace += G[t * T + t];
    dyn_status st = sym_eig(G, T, w, V, es);
    if (st) return st;
    if (!(trace > 0.0) || !(w[T - k] > 1e-12 * trace)) return DYN_ERR_NO_SOLUTION; /* below: rounding noise */
    for (int j = 0; j < k; j++) {
        int col = T - 1 - j; /* the j-th largest */
        double *d = dirs + (size_t)j * P, f = 1.0 / sqrt(w[col]);
        memset(d, 0, sizeof(double) * P);
        for (int t = 0; t < T; t++) {
            double u = V[t * T + col] * f;
            const double *pt = path + (size_t)t * P;
            for (size_t i = 0; i < P; i++) d[i] += u * (pt[i] - c[i]);
        }
        /* one Gram-Schmidt pass against the earlier directions and unit length: clean to rounding */
        for (int q = 0; q < j; q++) {
            double pr = dot(d, dirs + (size_t)q * P, P);
            for (size_t i = 0; i < P; i++) d[i] -= pr * dirs[(size_t)q * P + i];
        }
        double nd = sqrt(dot(d, d, P));
        for (size_t i = 0; i < P; i++) d[i] /= nd;
        double a0 = 0.0;
        for (size_t i = 0; i < P; i++) a0 += d[i] * (path[i] - c[i]);
        if (a0 > 0.0)
            for (size_t i = 0; i < P; i++) d[i] = -d[i];
        if (var_frac) var_frac[j] = w[col] / trace;
    }
    return DYN_OK;
}

dyn_status dyn_ls_project(const double *path, int T, size_t P, const double *center, const double *d1,
                          const double *d2, double *ab)
{
    if (!path || !center || !d1 || !ab) return DYN_ERR_NULL;
    if (T < 1 || P < 1) return DYN_ERR_SIZE;
    double g11 = dot(d1, d1, P), g12 = d2 ? dot(d1, d2, P) : 0.0, g22 = d2 ? dot(d2, d2, P) : 1.0;
    double det = g11 * g22 - g12 * g12;
    if (!(g11 > 0.0) || !(det > 1e-12 * g11 * g22)) return DYN_ERR_NO_SOLUTION;
    for (int t = 0; t < T; t++) {
        const double *p = path + (size_t)t * P;
        double r1 = 0.0, r2 = 0.0;
        for (size_t i = 0; i < P; i++) {
            double e = p[i] - center[i];
            r1 += e * d1[i];
            if (d2) r2 += e * d2[i];
        }
        ab[2 * t] = (g22 * r1 - g12 * r2) / det;
        ab[2 * t + 1] = d2 ? (g11 * r2 - g12 * r1) / det : 0.0;
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ Hessian: Lanczos on exact HVPs */

static int hess_steps(const dyn_net *net, const dyn_ls_hess_desc *d)
{
    int k = d->k ? d->k : 2, m = d->steps ? d->steps : 40;
    if (m > net->n_params) m = (int)net->n_params;
    return m < k ? k : m;
}

size_t dyn_ls_hessian_scratch_doubles(const dyn_net *net, int n, const dyn_ls_hess_desc *d)
{
    if (!net || !d || n < 1 || d->k < 0 || d->k > DYN_LS_MAX_EIG || d->steps < 0 || d->steps > DYN_LS_MAX_LANCZOS)
        return 0;
    int m = hess_steps(net, d);
    size_t hs = dyn_net_hvp_scratch_doubles(net, n);
    if (!hs) return 0;
    uint64_t M = (uint64_t)m;
    return doubles_or_0((M + 2) * (uint64_t)net->n_params + 2 * M * M + M + dyn_la_scratch_doubles(m) + hs);
}

dyn_status dyn_ls_hessian(const dyn_net *net, const double *theta, const dyn_data *data, const dyn_ls_hess_desc *d,
                          dyn_ls_hess_result *res, double *evecs, size_t evecs_len, double *scratch,
                          size_t scratch_len)
{
    if (!net || !theta || !data || !d || !res || !scratch) return DYN_ERR_NULL;
    int k = d->k ? d->k : 2;
    if (k < 1 || k > DYN_LS_MAX_EIG || d->steps < 0 || d->steps > DYN_LS_MAX_LANCZOS) return DYN_ERR_SIZE;
    if (k > net->n_params) return DYN_ERR_SIZE;
    int m = hess_steps(net, d);
    size_t P = (size_t)net->n_params;
    size_t need = dyn_ls_hessian_scratch_doubles(net, data->n, d);
    if (!need) return DYN_ERR_SIZE;
    if (scratch_len < need) return DYN_ERR_BUFFER;
    if (evecs && evecs_len < (size_t)k * P) return DYN_ERR_BUFFER;
    double *Q = scratch, *w = Q + (size_t)(m + 1) * P, *Tm = w + P, *S = Tm + (size_t)m * m, *ev = S + (size_t)m * m;
    double *es = ev + m, *hs = es + dyn_la_scratch_doubles(m);
    size_t hs_len = dyn_net_hvp_scratch_doubles(net, data->n);
    double alpha[DYN_LS_MAX_LANCZOS], beta[DYN_LS_MAX_LANCZOS];
    dyn_rng r;
    dyn_rng_seed(&r, d->seed);
    for (size_t i = 0; i < P; i++) Q[i] = dyn_rng_normal(&r);
    double nq = sqrt(dot(Q, Q, P));
    for (size_t i = 0; i < P; i++) Q[i] /= nq;
    int steps = 0;
    double scale = 0.0;
    for (int j = 0; j < m; j++) {
        double *q = Q + (size_t)j * P;
        dyn_status st = dyn_net_hvp(net, theta, data, NULL, 0, q, w, NULL, hs, hs_len);
        if (st) return st;
        alpha[j] = dot(q, w, P);
        if (bad(alpha[j])) return DYN_ERR_NAN;
        scale = fmax(scale, fabs(alpha[j]));
        /* full reorthogonalisation, twice ("twice is enough", Parlett) */
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i <= j; i++) {
                double *qi = Q + (size_t)i * P, pr = dot(qi, w, P);
                for (size_t t = 0; t < P; t++) w[t] -= pr * qi[t];
            }
        steps = j + 1;
        beta[j] = sqrt(dot(w, w, P));
        if (j + 1 == m || !(beta[j] > 1e-10 * scale)) break; /* done, or an invariant subspace: exact */
        double *qn = Q + (size_t)(j + 1) * P;
        for (size_t t = 0; t < P; t++) qn[t] = w[t] / beta[j];
        scale = fmax(scale, beta[j]);
    }
    int n = steps;
    for (int i = 0; i < n * n; i++) Tm[i] = 0.0;
    for (int i = 0; i < n; i++) {
        Tm[i * n + i] = alpha[i];
        if (i + 1 < n) Tm[i * n + i + 1] = Tm[(i + 1) * n + i] = beta[i];
    }
    dyn_status st = sym_eig(Tm, n, ev, S, es);
    if (st) return st;
    memset(res, 0, sizeof *res);
    res->steps = n;
    res->lambda_min = ev[0]; /* ascending */
    double bl = beta[n - 1];
    for (int i = 0; i < DYN_LS_MAX_EIG; i++) res->eval[i] = res->resid[i] = DNAN;
    for (int i = 0; i < k && i < n; i++) {
        int col = n - 1 - i; /* the i-th largest Ritz value */
        res->eval[i] = ev[col];
        res->resid[i] = fabs(bl * S[(n - 1) * n + col]);
        if (evecs) {
            double *e = evecs + (size_t)i * P;
            memset(e, 0, sizeof(double) * P);
            for (int j = 0; j < n; j++) {
                double s = S[j * n + col];
                const double *q = Q + (size_t)j * P;
                for (size_t t = 0; t < P; t++) e[t] += s * q[t];
            }
            double ne = sqrt(dot(e, e, P));
            for (size_t t = 0; t < P; t++) e[t] /= ne;
        }
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ the slice */

/* Grid points of one row go through the examples in groups: each block of examples (its first-layer terms C0, C1,
 * C2 in cache) serves every point of the group before the next block is read, so the 3 n n_1 first-layer terms
 * stream from memory once per group instead of once per point (6 MB per point for 1000 examples and 256 units).
 * The group's deeper weights (D = P - w_off[2] per point: the layers past the first) must stay in cache too:
 * G = min(8, 32768 / D) points, at least 1. Every point still sums its blocks in example order: the same bits as one
 * point at a time. */
#define SLICE_MAX_GROUP 8
#define SLICE_GROUP_DOUBLES 32768
static size_t slice_deep(const dyn_net *net)
{
    return net->depth >= 1 ? (size_t)(net->n_params - net->w_off[2]) : 0;
}
static int slice_group(const dyn_net *net)
{
    size_t deep = slice_deep(net), g = deep ? SLICE_GROUP_DOUBLES / deep : SLICE_MAX_GROUP;
    return g < 1 ? 1 : g > SLICE_MAX_GROUP ? SLICE_MAX_GROUP : (int)g;
}
/* the doubles of WT: the first point's full P (layer 1's transposes use it too), then D more per point of a group */
static uint64_t slice_wt(const dyn_net *net)
{
    return (uint64_t)net->n_params + (uint64_t)(slice_group(net) - 1) * slice_deep(net);
}

/* layout: C0, C1, C2 (n n_1 each) | T0, T1, T2 (transposed W^l of center, d1, d2 for l >= 2, and all biases
 * in P-sized arrays) | WT (P + (G - 1) D: point q of a group has its weights at [w_off[2] + q D, P + q D)) | two
 * activation buffers (64 max_dim) */
dyn_work dyn_ls_slice_work(const dyn_net *net, int n, int nx, int ny)
{
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    if (!net || n < 1 || nx < 1 || ny < 1) return w;
    double pts = (double)nx * (double)ny;
    w.ops = pts * (double)n * dyn_net_example_ops(net, 0);
    w.bytes = 8.0 * (3.0 * n * net->dim[1] + 3.0 * (double)net->n_params + (double)slice_wt(net) +
                     2.0 * SLICE_BLOCK * net->max_dim) + 8.0 * pts;
    return w;
}

dyn_work dyn_ls_hessian_work(const dyn_net *net, int n, const dyn_ls_hess_desc *d)
{
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    if (!net || !d || n < 1) return w;
    double m = hess_steps(net, d), P = (double)net->n_params;
    double blk = n < DYN_NET_MAX_BATCH ? n : DYN_NET_MAX_BATCH;
    w.ops = m * (2.0 * n * dyn_net_example_ops(net, 1) + m * P);
    w.bytes = 8.0 * ((m + 3.0) * P + 2.0 * m * m + 2.0 * blk * (net->dim[0] + 6.0 * net->max_dim * (net->depth + 2)));
    return w;
}

dyn_status dyn_ls_path_window(const double *ab, int T, double *r)
{
    if (!ab || !r) return DYN_ERR_NULL;
    if (T < 1) return DYN_ERR_SIZE;
    double m = -1.0;
    for (size_t i = 0; i < 2 * (size_t)T; i++)
        if (isfinite(ab[i])) m = fmax(m, fabs(ab[i]));
    if (m < 0.0) return *r = 1.0, DYN_OK;
    double w = 1.3 * m + 1e-6, unit = pow(10.0, floor(log10(w)) - 2.0); /* 3 significant digits */
    *r = round(w / unit) * unit;
    return DYN_OK;
}

size_t dyn_ls_slice_scratch_doubles(const dyn_net *net, int n)
{
    if (!net || n < 1 || n > DYN_DATA_MAX_N) return 0;
    return doubles_or_0(3 * (uint64_t)n * (uint64_t)net->dim[1] + 3 * (uint64_t)net->n_params + slice_wt(net) +
                        2 * (uint64_t)SLICE_BLOCK * (uint64_t)net->max_dim);
}

/* the three first-layer terms: C = X W^T + b for W, b taken from vector v */
static void layer1(const dyn_net *net, const double *v, const double *x, int n, double *wt, double *C)
{
    int nin = net->dim[0], nout = net->dim[1];
    const double *W = v + net->w_off[1];
    for (int j = 0; j < nout; j++)
        for (int k = 0; k < nin; k++) wt[(size_t)k * nout + j] = W[(size_t)j * nin + k];
    dyn_net_dense(x, n, nin, wt, v + net->b_off[1], nout, C, 0);
}

/* v's layers 2..L+1 into T, weights transposed at their usual offsets; biases copied */
static void transposed(const dyn_net *net, const double *v, double *T)
{
    for (int l = 2; l <= net->depth + 1; l++) {
        int nin = net->dim[l - 1], nout = net->dim[l];
        const double *W = v + net->w_off[l];
        double *o = T + net->w_off[l];
        for (int j = 0; j < nout; j++)
            for (int k = 0; k < nin; k++) o[(size_t)k * nout + j] = W[(size_t)j * nin + k];
        memcpy(T + net->b_off[l], v + net->b_off[l], sizeof(double) * nout);
    }
}

DYN_VEC_CLONES dyn_status dyn_ls_slice(const dyn_net *net, const double *center, const double *d1, const double *d2,
                        const dyn_data *data, const dyn_ls_slice_desc *g, float *loss, float *acc, size_t out_len,
                        double *scratch, size_t scratch_len)
{
    if (!net || !center || !d1 || !data || !g || !scratch || !data->x || !data->y) return DYN_ERR_NULL;
    double a0 = g->a_min, a1 = g->a_max, b0 = g->b_min, b1 = g->b_max;
    if (bad(a0) || bad(a1) || bad(b0) || bad(b1)) return DYN_ERR_NAN;
    if (a0 == 0.0 && a1 == 0.0) a0 = -1.0, a1 = 1.0;
    if (b0 == 0.0 && b1 == 0.0) b0 = -1.0, b1 = 1.0;
    int nx = g->nx ? g->nx : 51, ny = g->ny ? g->ny : 51;
    if (!d2) ny = g->ny ? g->ny : 1;
    if (!(a1 > a0) || (d2 && !(b1 > b0))) return DYN_ERR_RANGE;
    if (nx < 1 || ny < 1 || nx > DYN_LS_MAX_GRID || ny > DYN_LS_MAX_GRID || (!d2 && ny != 1)) return DYN_ERR_SIZE;
    int r0 = g->row_begin, r1 = g->row_end;
    if (r0 == 0 && r1 == 0) r1 = ny;
    if (r0 < 0 || r1 > ny || r0 >= r1) return DYN_ERR_SIZE;
    if (data->n < 1 || data->n > DYN_DATA_MAX_N || data->d != net->dim[0]) return DYN_ERR_SIZE;
    int L = net->depth, K = net->dim[L + 1], n = data->n, n1 = net->dim[1];
    if (data->n_class == 0 ? !(net->loss == DYN_LOSS_MSE && K == 1) : (data->n_class < 2 || data->n_class > K))
        return DYN_ERR_RANGE;
    for (int i = 0; i < n; i++) {
        double y = data->y[i];
        if (data->n_class ? !(y >= 0.0 && y < K && y == floor(y)) : bad(y)) return DYN_ERR_RANGE;
    }
    if ((loss || acc) && out_len < (size_t)nx * (r1 - r0)) return DYN_ERR_BUFFER;
    size_t need = dyn_ls_slice_scratch_doubles(net, n);
    if (!need) return DYN_ERR_SIZE;
    if (scratch_len < need) return DYN_ERR_BUFFER;
    size_t P = (size_t)net->n_params, cn = (size_t)n * n1;
    int G = slice_group(net);
    size_t D = slice_deep(net);
    double *C0 = scratch, *C1 = C0 + cn, *C2 = C1 + cn, *T0 = C2 + cn, *T1 = T0 + P, *T2 = T1 + P, *WT = T2 + P;
    double *HA = WT + (size_t)slice_wt(net), *HB = HA + (size_t)SLICE_BLOCK * net->max_dim;
    layer1(net, center, data->x, n, WT, C0);
    layer1(net, d1, data->x, n, WT, C1);
    if (d2) layer1(net, d2, data->x, n, WT, C2);
    else memset(C2, 0, sizeof(double) * cn);
    transposed(net, center, T0);
    transposed(net, d1, T1);
    if (d2) transposed(net, d2, T2);
    else memset(T2, 0, sizeof(double) * P);
    size_t from = P - D; /* everything past layer 1 */
    for (int row = r0; row < r1; row++) {
        double b = ny == 1 ? (d2 ? b0 : 0.0) : b1 - (b1 - b0) * row / (ny - 1);
        for (int col0 = 0; col0 < nx; col0 += G) {
            int ng = imin(G, nx - col0);
            double as[SLICE_MAX_GROUP], sum[SLICE_MAX_GROUP];
            long right[SLICE_MAX_GROUP];
            for (int q = 0; q < ng; q++) {
                int col = col0 + q;
                double a = as[q] = nx == 1 ? a0 : a0 + (a1 - a0) * col / (nx - 1);
                double *W = WT + (size_t)q * D;
                for (size_t i = from; i < P; i++) W[i] = T0[i] + a * T1[i] + b * T2[i];
                sum[q] = 0.0;
                right[q] = 0;
            }
            for (int e0 = 0; e0 < n; e0 += SLICE_BLOCK) {
                int m = imin(SLICE_BLOCK, n - e0);
                size_t o = (size_t)e0 * n1, cnt = (size_t)m * n1;
                for (int q = 0; q < ng; q++) {
                    const double *W = WT + (size_t)q * D;
                    double a = as[q], *h = HA, *z = HB;
                    for (size_t i = 0; i < cnt; i++) h[i] = C0[o + i] + a * C1[o + i] + b * C2[o + i];
                    if (L >= 1) {
                        dyn_act_phi_array(net->act, h, cnt, h);
                        for (int l = 2; l <= L + 1; l++) {
                            int nin = net->dim[l - 1], nout = net->dim[l];
                            dyn_net_dense(h, m, nin, W + net->w_off[l], W + net->b_off[l], nout, z, 0);
                            if (l <= L) {
                                size_t c2 = (size_t)m * nout;
                                dyn_act_phi_array(net->act, z, c2, z);
                                if (net->skip[l])
                                    for (size_t i = 0; i < c2; i++) z[i] += h[i];
                            }
                            double *t = h;
                            h = z;
                            z = t;
                        }
                    }
                    long c;
                    sum[q] += dyn_net_output_loss(net, h, m, data->y + e0, data->n_class, &c);
                    right[q] += c;
                }
            }
            for (int q = 0; q < ng; q++) {
                size_t at = (size_t)(row - r0) * nx + col0 + q;
                if (loss) loss[at] = (float)(sum[q] / n);
                if (acc) acc[at] = data->n_class ? (float)((double)right[q] / n) : (float)DNAN;
            }
        }
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ roughness of a slice */

static int pos_finite(float v) { return v > 0.0f && isfinite(v); }

dyn_status dyn_ls_roughness(const float *grid, int nx, int ny, int *minima, double *roughness)
{
    if (!grid || !minima || !roughness) return DYN_ERR_NULL;
    if (nx < 3 || ny < 3 || nx > DYN_LS_MAX_GRID || ny > DYN_LS_MAX_GRID) return DYN_ERR_SIZE;
    int mins = 0;
    long counted = 0;
    double sum = 0.0;
    for (int i = 1; i < ny - 1; i++)
        for (int j = 1; j < nx - 1; j++) {
            const float *c = grid + (size_t)i * nx + j;
            int ok = 1, lowest = 1;
            for (int di = -1; di <= 1; di++)
                for (int dj = -1; dj <= 1; dj++) {
                    float v = c[di * nx + dj];
                    ok &= pos_finite(v);
                    if ((di || dj) && !(c[0] < v)) lowest = 0;
                }
            if (!ok) continue;
            mins += lowest;
            double lap = dyn_log((double)c[-nx]) + dyn_log((double)c[nx]) + dyn_log((double)c[-1]) + dyn_log((double)c[1]) -
                         4.0 * dyn_log((double)c[0]);
            sum += fabs(lap);
            counted++;
        }
    if (!counted) return DYN_ERR_NAN;
    *minima = mins;
    *roughness = sum / (double)counted;
    return DYN_OK;
}

/* ------------------------------------------------------------------ training verdicts */

dyn_status dyn_train_verdict(double loss0, double loss, double acc, int n_class, int diverged, dyn_verdict_info *out)
{
    if (!out) return DYN_ERR_NULL;
    if (n_class == 1 || n_class < 0 || n_class > DYN_NET_MAX_OUT) return DYN_ERR_RANGE;
    if (n_class && !isnan(acc) && !(acc >= 0.0 && acc <= 1.0)) return DYN_ERR_RANGE;
    dyn_verdict_info v = {.loss0 = loss0, .loss = loss, .acc = n_class ? acc : DNAN};
    v.reference = n_class ? dyn_log((double)n_class) : loss0;
    v.chance_acc = n_class ? 1.0 / n_class : DNAN;
    int gone = diverged || !isfinite(loss);
    /* regression needs a positive initial loss to measure against */
    if (!gone && !(isfinite(v.reference) && v.reference > 0.0)) return DYN_ERR_RANGE;
    double top = isfinite(loss0) ? fmax(loss0, v.reference) : v.reference;
    if (gone || loss > DYN_VERDICT_DIVERGE * top) v.verdict = DYN_VERDICT_DIVERGED;
    else if (loss >= DYN_VERDICT_FAIL_LOSS * v.reference ||
             (n_class && !isnan(acc) && acc <= v.chance_acc + DYN_VERDICT_FAIL_ACC * (1.0 - v.chance_acc)))
        v.verdict = DYN_VERDICT_FAILED;
    else v.verdict = DYN_VERDICT_LEARNED;
    *out = v;
    return DYN_OK;
}

const char *dyn_verdict_name(dyn_verdict v)
{
    static const char *const names[DYN_VERDICT_COUNT] = {"learned", "failed to learn", "diverged"};
    return v >= 0 && v < DYN_VERDICT_COUNT ? names[v] : "?";
}

dyn_status dyn_verdict_text(const dyn_verdict_info *v, char *buf, size_t len)
{
    if (!v || !buf) return DYN_ERR_NULL;
    if (!len) return DYN_ERR_SIZE;
    if (v->verdict < 0 || v->verdict >= DYN_VERDICT_COUNT) return DYN_ERR_RANGE;
    char ref[64], acc[64] = "";
    if (isfinite(v->chance_acc)) {
        snprintf(ref, sizeof ref, "the chance loss ln %.0f = %.3g", 1.0 / v->chance_acc, v->reference);
        if (!isnan(v->acc))
            snprintf(acc, sizeof acc, ", accuracy %.3g %% (chance %.3g %%)", 100.0 * v->acc, 100.0 * v->chance_acc);
    } else {
        snprintf(ref, sizeof ref, "the initial loss %.3g", v->reference);
    }
    if (v->verdict == DYN_VERDICT_DIVERGED && !isfinite(v->loss))
        snprintf(buf, len, "diverged: the loss became infinite or NaN during training (%s); lower the step size", ref);
    else if (v->verdict == DYN_VERDICT_DIVERGED)
    {
        char start[40] = "";
        if (isfinite(v->loss0)) snprintf(start, sizeof start, "its start %.3g and ", v->loss0);
        snprintf(buf, len, "diverged: the loss rose to %.3g, more than %g times the larger of %s%s%s; lower the step size",
                 v->loss, DYN_VERDICT_DIVERGE, start, ref, acc);
    }
    else if (v->verdict == DYN_VERDICT_FAILED)
        snprintf(buf, len, "did not learn: the loss %.3g is %.0f %% of %s%s", v->loss, 100.0 * v->loss / v->reference,
                 ref, acc);
    else
        snprintf(buf, len, "learned: the loss %.3g is %.2g %% of %s%s", v->loss, 100.0 * v->loss / v->reference, ref,
                 acc);
    return DYN_OK;
}
