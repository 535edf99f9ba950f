/* net.c - the fully connected network: blocked forward pass, backpropagation, Pearlmutter's R-op, optimisers. */
#include "net.h"
#include "net_internal.h"
#include "vec_internal.h"

#include <math.h>
#include <string.h>

#define DNAN ((double)NAN)

static int bad(double x) { return isnan(x) || isinf(x); }
static int imin(int a, int b) { return a < b ? a : b; }

/* a count of doubles computed in 64 bits (every operand here is far below 2^32), or 0 when its bytes would
 * reach DYN_NET_MAX_BYTES: the size queries' overflow check, the same on 32-bit WebAssembly and natively */
static size_t doubles_or_0(uint64_t n) { return n <= (uint64_t)DYN_NET_MAX_BYTES / sizeof(double) ? (size_t)n : 0; }

/* ------------------------------------------------------------------ set-up */

dyn_status dyn_net_init(dyn_net *net, const dyn_net_desc *d)
{
    if (!net || !d) return DYN_ERR_NULL;
    if ((int)d->act < 0 || d->act >= DYN_ACT_COUNT || (int)d->loss < 0 || d->loss >= DYN_LOSS_COUNT)
        return DYN_ERR_RANGE;
    if (d->n_in < 1 || d->n_in > DYN_NET_MAX_IN || d->n_out < 1 || d->n_out > DYN_NET_MAX_OUT || d->depth < 0 ||
        d->depth > DYN_NET_MAX_HIDDEN)
        return DYN_ERR_SIZE;
    if (d->loss == DYN_LOSS_XENT && d->n_out < 2) return DYN_ERR_RANGE;
    memset(net, 0, sizeof *net);
    net->depth = d->depth;
    net->act = d->act;
    net->loss = d->loss;
    net->dim[0] = d->n_in;
    for (int l = 1; l <= d->depth; l++) {
        int w = d->widths ? d->widths[l - 1] : (d->width ? d->width : 32);
        if (w < 1 || w > DYN_NET_MAX_WIDTH) return DYN_ERR_SIZE;
        net->dim[l] = w;
    }
    net->dim[d->depth + 1] = d->n_out;
    long off = 0;
    int mx = 0;
    for (int l = 1; l <= d->depth + 1; l++) {
        net->w_off[l] = off;
        off += (long)net->dim[l] * net->dim[l - 1];
        net->b_off[l] = off;
        off += net->dim[l];
        net->skip[l] = d->skip && l >= 2 && l <= d->depth && net->dim[l] == net->dim[l - 1];
        if (off > DYN_NET_MAX_PARAMS) return DYN_ERR_SIZE;
    }
    for (int l = 0; l <= d->depth + 1; l++) mx = net->dim[l] > mx ? net->dim[l] : mx;
    net->n_params = off;
    net->max_dim = mx;
    return DYN_OK;
}

size_t dyn_net_param_count(const dyn_net *net) { return net ? (size_t)net->n_params : 0; }

static uint64_t max_w(const dyn_net *net)
{
    uint64_t mw = 0;
    for (int l = 1; l <= net->depth + 1; l++) {
        uint64_t w = (uint64_t)net->dim[l] * (uint64_t)net->dim[l - 1];
        mw = w > mw ? w : mw;
    }
    return mw;
}

static uint64_t hidden_sum(const dyn_net *net)
{
    uint64_t s = 0;
    for (int l = 1; l <= net->depth + 1; l++) s += (uint64_t)net->dim[l];
    return s;
}

/* Block layout: xg (m n_in) | a^1..a^{L+1} | h^1..h^L | 4 gradient buffers (m max_dim) | WT (max W) | tmp (m) */
size_t dyn_net_scratch_doubles(const dyn_net *net, int m)
{
    if (!net || m < 1 || m > DYN_NET_MAX_BATCH) return 0;
    return doubles_or_0((uint64_t)m * ((uint64_t)net->dim[0] + 2 * hidden_sum(net) + 4 * (uint64_t)net->max_dim + 1) +
                        max_w(net));
}

size_t dyn_net_hvp_scratch_doubles(const dyn_net *net, int n)
{
    if (!net || n < 1) return 0;
    size_t one = dyn_net_scratch_doubles(net, imin(n, DYN_NET_MAX_BATCH));
    return one ? doubles_or_0(2 * (uint64_t)one + (uint64_t)net->n_params) : 0;
}

dyn_status dyn_net_init_params(const dyn_net *net, double sw2, double sb2, uint64_t seed, double *theta,
                               size_t theta_len)
{
    if (!net || !theta) return DYN_ERR_NULL;
    if (bad(sw2) || bad(sb2)) return DYN_ERR_NAN;
    if (!(sw2 > 0.0) || sw2 > 1000.0 || sb2 < 0.0 || sb2 > 1000.0) return DYN_ERR_RANGE;
    if (theta_len < (size_t)net->n_params) return DYN_ERR_BUFFER;
    dyn_rng r;
    dyn_rng_seed(&r, seed);
    for (int l = 1; l <= net->depth + 1; l++) {
        double sw = sqrt(sw2 / net->dim[l - 1]), sb = sqrt(sb2);
        long nw = (long)net->dim[l] * net->dim[l - 1];
        for (long i = 0; i < nw; i++) theta[net->w_off[l] + i] = sw * dyn_rng_normal(&r);
        for (int i = 0; i < net->dim[l]; i++) theta[net->b_off[l] + i] = sb * dyn_rng_normal(&r);
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ kernels */

/* WT (nin x nout) = W^T for W (nout x nin) row-major: the forward kernel then runs along contiguous outputs. In 8 x 8
 * tiles, so that the strided writes of a tile share their cache lines instead of touching one line per element. */
static void transpose(const double *W, int nout, int nin, double *WT)
{
    for (int j0 = 0; j0 < nout; j0 += 8)
        for (int k0 = 0; k0 < nin; k0 += 8) {
            int j1 = imin(j0 + 8, nout), k1 = imin(k0 + 8, nin);
            for (int j = j0; j < j1; j++)
                for (int k = k0; k < k1; k++) WT[(size_t)k * nout + j] = W[(size_t)j * nin + k];
        }
}

/* out[i][j] = init + sum_k H[i][k] WT[k][j], the sum taken in k order from init = b[j] (b non-NULL), out[i][j]
 * (accumulate) or 0: the same order as the textbook per-example loop, so both give the same bits. Register
 * blocks of 4 examples x 8 outputs keep 32 running sums in registers and reuse each loaded weight 4 times. */
#define RB 4
#define CB 8 /* block4x8's width */

/* the full 4 x 8 block: 4 x 2 dyn_v4 running sums (8 AVX2 registers, 16 SSE2 or SIMD128 ones), each loaded weight
 * vector used by 4 examples */
DYN_VEC_CLONES static void block4x8(const double *h0, int nin, const double *WT, int nout, int j0, const double *init,
                                    size_t init_stride, double *out)
{
    const double *h1 = h0 + nin, *h2 = h1 + nin, *h3 = h2 + nin;
    dyn_v4 a00 = v4_load(init), a01 = v4_load(init + 4);
    dyn_v4 a10 = v4_load(init + init_stride), a11 = v4_load(init + init_stride + 4);
    dyn_v4 a20 = v4_load(init + 2 * init_stride), a21 = v4_load(init + 2 * init_stride + 4);
    dyn_v4 a30 = v4_load(init + 3 * init_stride), a31 = v4_load(init + 3 * init_stride + 4);
    for (int k = 0; k < nin; k++) {
        const double *w = WT + (size_t)k * nout + j0;
        dyn_v4 w0 = v4_load(w), w1 = v4_load(w + 4);
        dyn_v4 x0 = v4_splat(h0[k]), x1 = v4_splat(h1[k]), x2 = v4_splat(h2[k]), x3 = v4_splat(h3[k]);
        a00 = v4_add_mul(a00, x0, w0);
        a01 = v4_add_mul(a01, x0, w1);
        a10 = v4_add_mul(a10, x1, w0);
        a11 = v4_add_mul(a11, x1, w1);
        a20 = v4_add_mul(a20, x2, w0);
        a21 = v4_add_mul(a21, x2, w1);
        a30 = v4_add_mul(a30, x3, w0);
        a31 = v4_add_mul(a31, x3, w1);
    }
    size_t s = (size_t)nout;
    v4_store(out, a00);
    v4_store(out + 4, a01);
    v4_store(out + s, a10);
    v4_store(out + s + 4, a11);
    v4_store(out + 2 * s, a20);
    v4_store(out + 2 * s + 4, a21);
    v4_store(out + 3 * s, a30);
    v4_store(out + 3 * s + 4, a31);
}

/* the narrow edge of a row block: 4 examples x 4, 2 or 1 outputs (nout mod 8), vectorised like the full block
 * (without them an output layer of 10 spent twice as long on its last 2 outputs as on the first 8) */
DYN_VEC_CLONES static void block4x4(const double *h0, int nin, const double *WT, int nout, int j0, const double *init,
                                    size_t init_stride, double *out)
{
    const double *h1 = h0 + nin, *h2 = h1 + nin, *h3 = h2 + nin;
    dyn_v4 a0 = v4_load(init), a1 = v4_load(init + init_stride);
    dyn_v4 a2 = v4_load(init + 2 * init_stride), a3 = v4_load(init + 3 * init_stride);
    for (int k = 0; k < nin; k++) {
        dyn_v4 w = v4_load(WT + (size_t)k * nout + j0);
        a0 = v4_add_mul(a0, v4_splat(h0[k]), w);
        a1 = v4_add_mul(a1, v4_splat(h1[k]), w);
        a2 = v4_add_mul(a2, v4_splat(h2[k]), w);
        a3 = v4_add_mul(a3, v4_splat(h3[k]), w);
    }
    size_t s = (size_t)nout;
    v4_store(out, a0);
    v4_store(out + s, a1);
    v4_store(out + 2 * s, a2);
    v4_store(out + 3 * s, a3);
}
DYN_VEC_CLONES static void block4x2(const double *h0, int nin, const double *WT, int nout, int j0, const double *init,
                                    size_t init_stride, double *out)
{
    const double *h1 = h0 + nin, *h2 = h1 + nin, *h3 = h2 + nin;
    dyn_v2 a0 = v2_load(init), a1 = v2_load(init + init_stride);
    dyn_v2 a2 = v2_load(init + 2 * init_stride), a3 = v2_load(init + 3 * init_stride);
    for (int k = 0; k < nin; k++) {
        dyn_v2 w = v2_load(WT + (size_t)k * nout + j0);
        a0 = v2_add_mul(a0, v2_splat(h0[k]), w);
        a1 = v2_add_mul(a1, v2_splat(h1[k]), w);
        a2 = v2_add_mul(a2, v2_splat(h2[k]), w);
        a3 = v2_add_mul(a3, v2_splat(h3[k]), w);
    }
    size_t s = (size_t)nout;
    v2_store(out, a0);
    v2_store(out + s, a1);
    v2_store(out + 2 * s, a2);
    v2_store(out + 3 * s, a3);
}
static void block4x1(const double *h0, int nin, const double *WT, int nout, int j0, const double *init,
                     size_t init_stride, double *out)
{
    const double *h1 = h0 + nin, *h2 = h1 + nin, *h3 = h2 + nin;
    double a0 = init[0], a1 = init[init_stride], a2 = init[2 * init_stride], a3 = init[3 * init_stride];
    for (int k = 0; k < nin; k++) {
        double w = WT[(size_t)k * nout + j0];
        a0 += h0[k] * w;
        a1 += h1[k] * w;
        a2 += h2[k] * w;
        a3 += h3[k] * w;
    }
    size_t s = (size_t)nout;
    out[0] = a0;
    out[s] = a1;
    out[2 * s] = a2;
    out[3 * s] = a3;
}

DYN_VEC_CLONES void dyn_net_dense(const double *H, int m, int nin, const double *WT, const double *b, int nout,
                                  double *out, int accumulate)
{
    double zero[CB] = {0};
    int i0 = 0;
    for (; i0 + RB <= m; i0 += RB) /* full row blocks: CB = 8 outputs at a time, then 4, 2 and 1 */
        for (int j0 = 0; j0 < nout;) {
            int left = nout - j0, jb = left >= CB ? CB : left >= 4 ? 4 : left >= 2 ? 2 : 1;
            /* the starting sums: the block's own outputs, or one row (bias or zeros) for all 4 examples */
            const double *init = accumulate ? out + (size_t)i0 * nout + j0 : b ? b + j0 : zero;
            size_t stride = accumulate ? (size_t)nout : 0;
            const double *h = H + (size_t)i0 * nin;
            double *o = out + (size_t)i0 * nout + j0;
            if (jb == CB) block4x8(h, nin, WT, nout, j0, init, stride, o);
            else if (jb == 4) block4x4(h, nin, WT, nout, j0, init, stride, o);
            else if (jb == 2) block4x2(h, nin, WT, nout, j0, init, stride, o);
            else block4x1(h, nin, WT, nout, j0, init, stride, o);
            j0 += jb;
        }
    if (i0 == m) return;
    /* the last m mod 4 examples */
    int ib = m - i0;
    for (int j0 = 0; j0 < nout; j0 += CB) {
        int jb = imin(CB, nout - j0);
        double acc[RB][CB];
        for (int r = 0; r < ib; r++)
            for (int c = 0; c < jb; c++)
                acc[r][c] = accumulate ? out[(size_t)(i0 + r) * nout + j0 + c] : (b ? b[j0 + c] : 0.0);
        for (int k = 0; k < nin; k++) {
            const double *w = WT + (size_t)k * nout + j0;
            for (int r = 0; r < ib; r++) {
                double x = H[(size_t)(i0 + r) * nin + k];
                for (int c = 0; c < jb; c++) acc[r][c] += x * w[c];
            }
        }
        for (int r = 0; r < ib; r++)
            for (int c = 0; c < jb; c++) out[(size_t)(i0 + r) * nout + j0 + c] = acc[r][c];
    }
}

/* Buffers of one block of m examples, carved from scratch in the order of dyn_net_scratch_doubles. */
typedef struct block {
    double *xg;
    const double *in;                                              /* the inputs (h^0) */
    double *a[DYN_NET_MAX_HIDDEN + 2], *h[DYN_NET_MAX_HIDDEN + 2]; /* h[0] and h[L+1] unused */
    double *g[4];
    double *wt;
    double *tmp;
} block;

static void carve(const dyn_net *net, int m, double *s, block *b)
{
    int L = net->depth;
    b->xg = s;
    s += (size_t)m * net->dim[0];
    for (int l = 1; l <= L + 1; l++) {
        b->a[l] = s;
        s += (size_t)m * net->dim[l];
    }
    for (int l = 1; l <= L + 1; l++) {
        b->h[l] = s;
        s += (size_t)m * net->dim[l];
    }
    for (int k = 0; k < 4; k++) {
        b->g[k] = s;
        s += (size_t)m * net->max_dim;
    }
    b->wt = s;
    s += max_w(net);
    b->tmp = s;
}

/* h^{l-1}: the inputs for l = 1 */
static const double *hin(const block *b, int l) { return l == 1 ? b->in : b->h[l - 1]; }

/* forward through all layers: a[l], h[l] for l = 1..L, outputs in a[L+1]; b->in must point at the inputs. */
static void forward_block(const dyn_net *net, const double *theta, int m, block *b)
{
    int L = net->depth;
    for (int l = 1; l <= L + 1; l++) {
        int nin = net->dim[l - 1], nout = net->dim[l];
        transpose(theta + net->w_off[l], nout, nin, b->wt);
        dyn_net_dense(hin(b, l), m, nin, b->wt, theta + net->b_off[l], nout, b->a[l], 0);
        if (l == L + 1) break;
        size_t cnt = (size_t)m * nout;
        dyn_act_phi_array(net->act, b->a[l], cnt, b->h[l]);
        if (net->skip[l]) /* l >= 2 */
            for (size_t i = 0; i < cnt; i++) b->h[l][i] += b->h[l - 1][i];
    }
}

static int argmax(const double *z, int k)
{
    int am = 0;
    for (int j = 1; j < k; j++)
        if (z[j] > z[am]) am = j;
    return am;
}

/* The loss of m examples' outputs z (k values each, row-major) with labels/targets y, added to sum one example at a
 * time in order; g (may be NULL): dloss/dz * scale per example; *right (right may be NULL) += the examples whose
 * argmax is their label (classification). The softmax's exponentials go through dyn_exp_array a chunk of examples
 * at a time (vectorised, and the same bits as dyn_exp one by one: act.h's exp and log make the page's runs and the
 * CLI's the same bits). */
#define XENT_CHUNK 512
_Static_assert(XENT_CHUNK >= 2 * DYN_NET_MAX_OUT, "at least two examples per softmax chunk");
static double loss_rows(const dyn_net *net, const double *z, int m, int k, const double *y, int n_class, double scale,
                        double *g, long *right, double sum)
{
    if (net->loss != DYN_LOSS_XENT) {
        for (int i = 0; i < m; i++) {
            const double *zi = z + (size_t)i * k;
            int lab = n_class ? (int)y[i] : -1; /* a regression target may be any finite double */
            if (n_class && right) *right += argmax(zi, k) == lab;
            double e = 0.0;
            for (int j = 0; j < k; j++) {
                double t = n_class ? (j == lab ? 1.0 : 0.0) : y[i], r = zi[j] - t;
                e += r * r;
                if (g) g[(size_t)i * k + j] = scale * r;
            }
            sum += 0.5 * e;
        }
        return sum;
    }
    double t[XENT_CHUNK], ex[XENT_CHUNK], lse[XENT_CHUNK / 2]; /* k >= 2 for xent (dyn_net_init) */
    int per = XENT_CHUNK / k;
    for (int i0 = 0; i0 < m; i0 += per) {
        int c = imin(per, m - i0);
        const double *zc = z + (size_t)i0 * k;
        for (int i = 0; i < c; i++) { /* lse[i] holds the max first */
            int am = argmax(zc + i * k, k);
            if (n_class && right) *right += am == (int)y[i0 + i];
            lse[i] = zc[i * k + am];
            for (int j = 0; j < k; j++) t[i * k + j] = zc[i * k + j] - lse[i];
        }
        dyn_exp_array(t, (size_t)c * k, ex);
        for (int i = 0; i < c; i++) {
            double s = 0.0;
            for (int j = 0; j < k; j++) s += ex[i * k + j];
            lse[i] = lse[i] + dyn_log(s);
            sum += lse[i] - zc[i * k + (int)y[i0 + i]];
        }
        if (!g) continue;
        for (int i = 0; i < c; i++)
            for (int j = 0; j < k; j++) t[i * k + j] = zc[i * k + j] - lse[i];
        dyn_exp_array(t, (size_t)c * k, ex);
        double *gc = g + (size_t)i0 * k;
        for (int i = 0; i < c; i++) {
            int lab = (int)y[i0 + i];
            for (int j = 0; j < k; j++) gc[i * k + j] = scale * (ex[i * k + j] - (j == lab ? 1.0 : 0.0));
        }
    }
    return sum;
}

double dyn_net_output_loss(const dyn_net *net, const double *z, int m, const double *y, int n_class, long *correct)
{
    long right = 0;
    double sum = loss_rows(net, z, m, net->dim[net->depth + 1], y, n_class, 0.0, NULL, &right, 0.0);
    if (correct) *correct = right;
    return sum;
}

static dyn_status check_data(const dyn_net *net, const dyn_data *data)
{
    if (!data->x || !data->y) return DYN_ERR_NULL;
    if (data->n < 1 || data->n > DYN_DATA_MAX_N || data->d != net->dim[0]) return DYN_ERR_SIZE;
    int k = net->dim[net->depth + 1];
    if (data->n_class == 0) return (net->loss == DYN_LOSS_MSE && k == 1) ? DYN_OK : DYN_ERR_RANGE;
    if (data->n_class < 2 || data->n_class > k) return DYN_ERR_RANGE;
    return DYN_OK;
}

static int label_ok(const dyn_data *data, double y, int k)
{
    if (data->n_class == 0) return !bad(y);
    return y >= 0.0 && y < k && y == floor(y);
}

/* gather the examples idx[i0 .. i0+m) (or i0.. when idx is NULL) into the block's input buffer */
static dyn_status gather(const dyn_net *net, const dyn_data *data, const int *idx, int i0, int m, block *b,
                         double *ys)
{
    int d = data->d, k = net->dim[net->depth + 1];
    for (int i = 0; i < m; i++) {
        int e = idx ? idx[i0 + i] : i0 + i;
        if (e < 0 || e >= data->n) return DYN_ERR_RANGE;
        memcpy(b->xg + (size_t)i * d, data->x + (size_t)e * d, sizeof(double) * d);
        ys[i] = data->y[e];
        if (!label_ok(data, ys[i], k)) return DYN_ERR_RANGE;
    }
    b->in = b->xg;
    return DYN_OK;
}

/* ------------------------------------------------------------------ evaluation */

dyn_status dyn_net_forward(const dyn_net *net, const double *theta, const double *x, int m, double *out,
                           double *scratch, size_t scratch_len)
{
    if (!net || !theta || !x || !out || !scratch) return DYN_ERR_NULL;
    if (m < 1 || m > DYN_NET_MAX_BATCH) return DYN_ERR_SIZE;
    size_t need = dyn_net_scratch_doubles(net, m);
    if (!need) return DYN_ERR_SIZE;
    if (scratch_len < need) return DYN_ERR_BUFFER;
    block b;
    carve(net, m, scratch, &b);
    b.in = x;
    forward_block(net, theta, m, &b);
    memcpy(out, b.a[net->depth + 1], sizeof(double) * (size_t)m * net->dim[net->depth + 1]);
    return DYN_OK;
}

dyn_status dyn_net_eval(const dyn_net *net, const double *theta, const dyn_data *data, double *loss, double *acc,
                        double *scratch, size_t scratch_len)
{
    if (!net || !theta || !data || !loss || !scratch) return DYN_ERR_NULL;
    dyn_status st = check_data(net, data);
    if (st) return st;
    int bm = imin(data->n, DYN_NET_MAX_BATCH), k = net->dim[net->depth + 1];
    size_t need = dyn_net_scratch_doubles(net, bm);
    if (!need) return DYN_ERR_SIZE;
    if (scratch_len < need) return DYN_ERR_BUFFER;
    block b;
    carve(net, bm, scratch, &b);
    double sum = 0.0;
    long right = 0;
    for (int i0 = 0; i0 < data->n; i0 += bm) {
        int m = imin(bm, data->n - i0);
        if ((st = gather(net, data, NULL, i0, m, &b, b.tmp))) return st;
        forward_block(net, theta, m, &b);
        sum += loss_rows(net, b.a[net->depth + 1], m, k, b.tmp, data->n_class, 0.0, NULL, &right, 0.0);
    }
    *loss = sum / data->n;
    if (acc) *acc = data->n_class ? (double)right / data->n : DNAN;
    return DYN_OK;
}

/* grad of W^l and b^l: gW[j][k] += sum_i gA[i][j] h[i][k], gb[j] += sum_i gA[i][j], the sums over examples i in
 * order. gW += gA^T H is the dense kernel's product once gA is transposed (into tmp, m nout doubles), with its
 * register blocks and the same order of each sum; gb from the transposed rows. */
static void grad_w(const double *gA, const double *hp, int m, int nin, int nout, double *gW, double *gb, double *tmp)
{
    transpose(gA, m, nout, tmp);
    dyn_net_dense(tmp, nout, m, hp, NULL, nin, gW, 1);
    for (int j = 0; j < nout; j++) {
        double s = 0.0;
        for (int i = 0; i < m; i++) s += tmp[(size_t)j * m + i];
        gb[j] += s;
    }
}

/* dL/dh^{l-1} = W^T dL/da^l, added to o (which holds the skip's dL/dh^l or 0): o[i][k] += sum_j gA[i][j] W[j][k],
 * the sum over j in order: the dense kernel's o += gA W, W (nout x nin) in the role of its WT. */
static void grad_h(const double *gA, const double *W, int m, int nin, int nout, double *o)
{
    dyn_net_dense(gA, m, nout, W, NULL, nin, o, 1);
}

/* The R-images of grad_w and grad_h for the Hessian-vector product, four rows / examples at a time with each
 * element's sum in the original order: hW[j][k] += sum_i (rA[i][j] h[i][k] + gA[i][j] Rh[i][k]) (the second term
 * only when rhp, i.e. past layer 1), hb[j] += sum_i rA[i][j]; and Ro[i][k] += sum_j (rA[i][j] W[j][k] +
 * gA[i][j] V[j][k]). */
DYN_VEC_CLONES static void hvp_w(const double *gA, const double *rA, const double *hp, const double *rhp, int m,
                                 int nin, int nout, double *hW, double *hb)
{
    int j = 0;
    for (; j + 4 <= nout; j += 4) {
        double *r0 = hW + (size_t)j * nin, *r1 = r0 + nin, *r2 = r1 + nin, *r3 = r2 + nin;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (int i = 0; i < m; i++) {
            const double *g = gA + (size_t)i * nout + j, *rg = rA + (size_t)i * nout + j, *h = hp + (size_t)i * nin;
            double g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], q0 = rg[0], q1 = rg[1], q2 = rg[2], q3 = rg[3];
            if (rhp) {
                const double *rh = rhp + (size_t)i * nin;
                for (int k = 0; k < nin; k++) {
                    double x = h[k], y = rh[k];
                    r0[k] = r0[k] + q0 * x + g0 * y;
                    r1[k] = r1[k] + q1 * x + g1 * y;
                    r2[k] = r2[k] + q2 * x + g2 * y;
                    r3[k] = r3[k] + q3 * x + g3 * y;
                }
            } else {
                for (int k = 0; k < nin; k++) {
                    double x = h[k];
                    r0[k] += q0 * x;
                    r1[k] += q1 * x;
                    r2[k] += q2 * x;
                    r3[k] += q3 * x;
                }
            }
            s0 += q0;
            s1 += q1;
            s2 += q2;
            s3 += q3;
        }
        hb[j] += s0;
        hb[j + 1] += s1;
        hb[j + 2] += s2;
        hb[j + 3] += s3;
    }
    for (; j < nout; j++) {
        double *hrow = hW + (size_t)j * nin, sr = 0.0;
        for (int i = 0; i < m; i++) {
            double g = gA[(size_t)i * nout + j], rg = rA[(size_t)i * nout + j];
            const double *h = hp + (size_t)i * nin;
            if (rhp) {
                const double *rh = rhp + (size_t)i * nin;
                for (int k = 0; k < nin; k++) hrow[k] = hrow[k] + rg * h[k] + g * rh[k];
            } else {
                for (int k = 0; k < nin; k++) hrow[k] += rg * h[k];
            }
            sr += rg;
        }
        hb[j] += sr;
    }
}

DYN_VEC_CLONES static void hvp_h(const double *gA, const double *rA, const double *W, const double *V, int m, int nin,
                                 int nout, double *ro)
{
    int i = 0;
    for (; i + 4 <= m; i += 4) {
        double *o0 = ro + (size_t)i * nin, *o1 = o0 + nin, *o2 = o1 + nin, *o3 = o2 + nin;
        const double *g = gA + (size_t)i * nout, *rg = rA + (size_t)i * nout;
        size_t s = (size_t)nout;
        for (int j = 0; j < nout; j++) {
            double g0 = g[j], g1 = g[s + j], g2 = g[2 * s + j], g3 = g[3 * s + j];
            double q0 = rg[j], q1 = rg[s + j], q2 = rg[2 * s + j], q3 = rg[3 * s + j];
            const double *w = W + (size_t)j * nin, *v = V + (size_t)j * nin;
            for (int k = 0; k < nin; k++) {
                double x = w[k], y = v[k];
                o0[k] += q0 * x + g0 * y;
                o1[k] += q1 * x + g1 * y;
                o2[k] += q2 * x + g2 * y;
                o3[k] += q3 * x + g3 * y;
            }
        }
    }
    for (; i < m; i++) {
        double *o = ro + (size_t)i * nin;
        for (int j = 0; j < nout; j++) {
            double g = gA[(size_t)i * nout + j], rg = rA[(size_t)i * nout + j];
            const double *w = W + (size_t)j * nin, *v = V + (size_t)j * nin;
            for (int k = 0; k < nin; k++) o[k] += rg * w[k] + g * v[k];
        }
    }
}

/* backward through the block from the output gradient in g[0] (m x n_out), accumulating into grad */
static void backward_block(const dyn_net *net, const double *theta, int m, block *b, double *grad)
{
    int L = net->depth;
    double *gA = b->g[0], *gH = b->g[1], *gA2 = b->g[2], *gH2 = b->g[3];
    for (int l = L + 1; l >= 1; l--) {
        int nin = net->dim[l - 1], nout = net->dim[l];
        grad_w(gA, hin(b, l), m, nin, nout, grad + net->w_off[l], grad + net->b_off[l], gA2); /* gA2 free till phi' */
        if (l == 1) break;
        size_t cnt = (size_t)m * nin;
        if (net->skip[l]) memcpy(gH2, gH, sizeof(double) * cnt); /* + dL/dh^l through the skip */
        else memset(gH2, 0, sizeof(double) * cnt);
        grad_h(gA, theta + net->w_off[l], m, nin, nout, gH2);
        dyn_act_dphi_array(net->act, b->a[l - 1], cnt, gA2);
        for (size_t i = 0; i < cnt; i++) gA2[i] *= gH2[i];
        double *t = gA; gA = gA2; gA2 = t;
        t = gH; gH = gH2; gH2 = t;
    }
}

dyn_status dyn_net_grad(const dyn_net *net, const double *theta, const dyn_data *data, const int *idx, int m,
                        double *loss, double *grad, double *scratch, size_t scratch_len)
{
    if (!net || !theta || !data || !grad || !scratch) return DYN_ERR_NULL;
    dyn_status st = check_data(net, data);
    if (st) return st;
    int total = idx ? m : data->n;
    if (total < 1) return DYN_ERR_SIZE;
    int bm = imin(total, DYN_NET_MAX_BATCH), k = net->dim[net->depth + 1];
    size_t need = dyn_net_scratch_doubles(net, bm);
    if (!need) return DYN_ERR_SIZE;
    if (scratch_len < need) return DYN_ERR_BUFFER;
    block b;
    carve(net, bm, scratch, &b);
    memset(grad, 0, sizeof(double) * (size_t)net->n_params);
    double sum = 0.0, scale = 1.0 / total;
    for (int i0 = 0; i0 < total; i0 += bm) {
        int mb = imin(bm, total - i0);
        if ((st = gather(net, data, idx, i0, mb, &b, b.tmp))) return st;
        forward_block(net, theta, mb, &b);
        sum = loss_rows(net, b.a[net->depth + 1], mb, k, b.tmp, data->n_class, scale, b.g[0], NULL, sum);
        backward_block(net, theta, mb, &b, grad);
    }
    if (loss) *loss = sum / total;
    return DYN_OK;
}

/* ------------------------------------------------------------------ Hessian-vector products (R-op) */

dyn_status dyn_net_hvp(const dyn_net *net, const double *theta, const dyn_data *data, const int *idx, int m,
                       const double *v, double *hv, double *grad, double *scratch, size_t scratch_len)
{
    if (!net || !theta || !data || !v || !hv || !scratch) return DYN_ERR_NULL;
    dyn_status st = check_data(net, data);
    if (st) return st;
    int total = idx ? m : data->n;
    if (total < 1) return DYN_ERR_SIZE;
    int bm = imin(total, DYN_NET_MAX_BATCH), L = net->depth, k = net->dim[L + 1];
    size_t one = dyn_net_scratch_doubles(net, bm), P = (size_t)net->n_params;
    size_t need = dyn_net_hvp_scratch_doubles(net, total);
    if (!need) return DYN_ERR_SIZE;
    if (scratch_len < need) return DYN_ERR_BUFFER;
    block b, r; /* b: the values, r: their R-images (r.a = R a, r.h = R h, r.g = R of the gradients) */
    carve(net, bm, scratch, &b);
    carve(net, bm, scratch + one, &r);
    double *gacc = scratch + 2 * one;
    memset(hv, 0, sizeof(double) * P);
    memset(gacc, 0, sizeof(double) * P);
    double scale = 1.0 / total;
    for (int i0 = 0; i0 < total; i0 += bm) {
        int mb = imin(bm, total - i0);
        if ((st = gather(net, data, idx, i0, mb, &b, b.tmp))) return st;
        forward_block(net, theta, mb, &b);
        /* R forward: Ra^l = V^l h^{l-1} + W^l Rh^{l-1} + vb^l,  Rh^l = phi'(a^l) Ra^l + s_l Rh^{l-1} */
        for (int l = 1; l <= L + 1; l++) {
            int nin = net->dim[l - 1], nout = net->dim[l];
            transpose(v + net->w_off[l], nout, nin, r.wt);
            dyn_net_dense(hin(&b, l), mb, nin, r.wt, v + net->b_off[l], nout, r.a[l], 0);
            if (l > 1) {
                transpose(theta + net->w_off[l], nout, nin, b.wt);
                dyn_net_dense(r.h[l - 1], mb, nin, b.wt, NULL, nout, r.a[l], 1);
            }
            if (l == L + 1) break;
            size_t cnt = (size_t)mb * nout;
            dyn_act_dphi_array(net->act, b.a[l], cnt, r.h[l]);
            for (size_t i = 0; i < cnt; i++) r.h[l][i] *= r.a[l][i];
            if (net->skip[l])
                for (size_t i = 0; i < cnt; i++) r.h[l][i] += r.h[l - 1][i];
        }
        /* output: g = dloss/dz / n and its R-image */
        loss_rows(net, b.a[L + 1], mb, k, b.tmp, data->n_class, scale, b.g[0], NULL, 0.0);
        for (int i = 0; i < mb; i++) {
            const double *rz = r.a[L + 1] + (size_t)i * k;
            double *g = b.g[0] + (size_t)i * k, *rg = r.g[0] + (size_t)i * k;
            if (net->loss == DYN_LOSS_XENT) { /* R(p) = p (Rz - <p, Rz>) */
                int lab = (int)b.tmp[i];
                double pr = 0.0;
                for (int j = 0; j < k; j++) {
                    double p = g[j] / scale + (j == lab ? 1.0 : 0.0);
                    rg[j] = p;
                    pr += p * rz[j];
                }
                for (int j = 0; j < k; j++) rg[j] = scale * rg[j] * (rz[j] - pr);
            } else {
                for (int j = 0; j < k; j++) rg[j] = scale * rz[j];
            }
        }
        /* R backward, alongside the ordinary backward pass */
        double *gA = b.g[0], *gH = b.g[1], *gA2 = b.g[2], *gH2 = b.g[3];
        double *rA = r.g[0], *rH = r.g[1], *rA2 = r.g[2], *rH2 = r.g[3];
        for (int l = L + 1; l >= 1; l--) {
            int nin = net->dim[l - 1], nout = net->dim[l];
            const double *hp = hin(&b, l), *rhp = l > 1 ? r.h[l - 1] : NULL;
            grad_w(gA, hp, mb, nin, nout, gacc + net->w_off[l], gacc + net->b_off[l], gA2);
            hvp_w(gA, rA, hp, rhp, mb, nin, nout, hv + net->w_off[l], hv + net->b_off[l]);
            if (l == 1) break;
            const double *W = theta + net->w_off[l], *V = v + net->w_off[l];
            size_t cnt = (size_t)mb * nin;
            if (net->skip[l]) {
                memcpy(gH2, gH, sizeof(double) * cnt);
                memcpy(rH2, rH, sizeof(double) * cnt);
            } else {
                memset(gH2, 0, sizeof(double) * cnt);
                memset(rH2, 0, sizeof(double) * cnt);
            }
            grad_h(gA, W, mb, nin, nout, gH2);
            hvp_h(gA, rA, W, V, mb, nin, nout, rH2);
            /* phi' into gA2 and phi'' into rA2 first (the fused array kernel: one pass), then the products */
            dyn_act_derivs_array(net->act, b.a[l - 1], cnt, gA2, rA2);
            for (size_t i = 0; i < cnt; i++) {
                double d1 = gA2[i];
                gA2[i] = d1 * gH2[i];
                rA2[i] = rA2[i] * r.a[l - 1][i] * gH2[i] + d1 * rH2[i];
            }
            double *t = gA; gA = gA2; gA2 = t;
            t = gH; gH = gH2; gH2 = t;
            t = rA; rA = rA2; rA2 = t;
            t = rH; rH = rH2; rH2 = t;
        }
    }
    if (grad) memcpy(grad, gacc, sizeof(double) * P);
    return DYN_OK;
}

/* ------------------------------------------------------------------ decision-boundary grid */

size_t dyn_net_grid2d_scratch_doubles(const dyn_net *net, int nx, int ny)
{
    if (!net || nx < 1 || ny < 1 || nx > DYN_NET_MAX_GRID2D || ny > DYN_NET_MAX_GRID2D) return 0;
    int m = (int)((long)nx * ny < DYN_NET_MAX_BATCH ? (long)nx * ny : DYN_NET_MAX_BATCH);
    size_t one = dyn_net_scratch_doubles(net, m);
    return one ? doubles_or_0((uint64_t)one + 2 * (uint64_t)m) : 0;
}

dyn_status dyn_net_grid2d(const dyn_net *net, const double *theta, double x_min, double x_max, double y_min,
                          double y_max, int nx, int ny, float *cls, float *conf, double *scratch,
                          size_t scratch_len)
{
    if (!net || !theta || !scratch) return DYN_ERR_NULL;
    if (bad(x_min) || bad(x_max) || bad(y_min) || bad(y_max)) return DYN_ERR_NAN;
    if (net->dim[0] != 2 || !(x_max > x_min) || !(y_max > y_min)) return DYN_ERR_RANGE;
    if (nx < 1 || ny < 1 || nx > DYN_NET_MAX_GRID2D || ny > DYN_NET_MAX_GRID2D) return DYN_ERR_SIZE;
    size_t need = dyn_net_grid2d_scratch_doubles(net, nx, ny);
    if (!need) return DYN_ERR_SIZE;
    if (scratch_len < need) return DYN_ERR_BUFFER;
    long total = (long)nx * ny;
    int bm = (int)(total < DYN_NET_MAX_BATCH ? total : DYN_NET_MAX_BATCH), k = net->dim[net->depth + 1];
    double *xs = scratch, *ns = scratch + 2 * (size_t)bm;
    block b;
    carve(net, bm, ns, &b);
    for (long p0 = 0; p0 < total; p0 += bm) {
        int m = (int)(total - p0 < bm ? total - p0 : bm);
        for (int i = 0; i < m; i++) {
            long p = p0 + i;
            int row = (int)(p / nx), col = (int)(p % nx);
            xs[2 * i] = nx == 1 ? x_min : x_min + (x_max - x_min) * col / (nx - 1);
            xs[2 * i + 1] = ny == 1 ? y_min : y_max - (y_max - y_min) * row / (ny - 1);
        }
        b.in = xs;
        forward_block(net, theta, m, &b);
        for (int i = 0; i < m; i++) {
            const double *o = b.a[net->depth + 1] + (size_t)i * k;
            int am = 0;
            for (int j = 1; j < k; j++)
                if (o[j] > o[am]) am = j;
            double cf;
            if (k == 1) cf = DNAN;
            else if (net->loss == DYN_LOSS_XENT) {
                double e = 0.0;
                for (int j = 0; j < k; j++) e += dyn_exp(o[j] - o[am]);
                cf = 1.0 / e;
            } else cf = fmin(1.0, fmax(0.0, o[am]));
            if (cls) cls[p0 + i] = k == 1 ? (float)o[0] : (float)am;
            if (conf) conf[p0 + i] = (float)cf;
        }
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ training */

/* 0 -> the default; DYN_TRAIN_ZERO -> an explicit 0 (a legal value that 0 cannot express) */
static double dflt(double v, double def) { return v == 0.0 ? def : (v == DYN_TRAIN_ZERO ? 0.0 : v); }

static void resolve(dyn_train_desc *d)
{
    if (d->lr == 0.0) d->lr = d->opt == DYN_OPT_ADAM ? 0.01 : 0.1;
    d->momentum = dflt(d->momentum, 0.9);
    d->beta1 = dflt(d->beta1, 0.9);
    d->beta2 = dflt(d->beta2, 0.999);
    if (d->eps == 0.0) d->eps = 1e-8;
}

static dyn_status check_train(const dyn_train_desc *d)
{
    if (bad(d->lr) || bad(d->momentum) || bad(d->beta1) || bad(d->beta2) || bad(d->eps) || bad(d->weight_decay))
        return DYN_ERR_NAN;
    if ((int)d->opt < 0 || d->opt >= DYN_OPT_COUNT) return DYN_ERR_RANGE;
    if (!(d->lr > 0.0) || d->lr > 100.0 || d->momentum < 0.0 || d->momentum >= 1.0 || d->beta1 < 0.0 ||
        d->beta1 >= 1.0 || d->beta2 < 0.0 || d->beta2 >= 1.0 || !(d->eps > 0.0) || d->weight_decay < 0.0 ||
        d->weight_decay > 10.0)
        return DYN_ERR_RANGE;
    if (d->batch < 0) return DYN_ERR_SIZE;
    return DYN_OK;
}

static size_t a8(size_t x) { return (x + 7u) & ~(size_t)7u; }

size_t dyn_train_bytes(const dyn_net *net, const dyn_train_desc *d, int n)
{
    if (!net || !d || n < 1 || n > DYN_DATA_MAX_N) return 0;
    dyn_train_desc r = *d;
    resolve(&r);
    if (check_train(&r)) return 0;
    int batch = (r.batch == 0 || r.batch >= n) ? n : r.batch;
    size_t sd = dyn_net_scratch_doubles(net, imin(batch, DYN_NET_MAX_BATCH));
    if (!sd) return 0;
    uint64_t bytes = (4 * (uint64_t)net->n_params + sd) * sizeof(double) + ((uint64_t)n * sizeof(int) + 7u) / 8u * 8u;
    return bytes < (uint64_t)DYN_NET_MAX_BYTES ? (size_t)bytes : 0;
}

/* The workspace layout, the one place it is written: theta | m1 | m2 | grad (P doubles each) | perm (n ints, padded
 * to 8 bytes) | scratch. Needs t->net, t->n and t->batch set. */
static void carve_train(dyn_train *t, void *mem)
{
    size_t P = (size_t)t->net.n_params;
    double *p = mem;
    t->theta = p;
    t->m1 = p + P;
    t->m2 = p + 2 * P;
    t->grad = p + 3 * P;
    t->perm = (int *)(p + 4 * P);
    t->scratch = (double *)((char *)mem + 4 * P * sizeof(double) + a8((size_t)t->n * sizeof(int)));
    t->scratch_len = dyn_net_scratch_doubles(&t->net, imin(t->batch, DYN_NET_MAX_BATCH));
}

dyn_status dyn_train_init(dyn_train *t, const dyn_net *net, const dyn_train_desc *d, const dyn_data *data,
                          const double *theta0, void *mem, size_t bytes)
{
    if (!t || !net || !d || !data || !theta0 || !mem) return DYN_ERR_NULL;
    dyn_train_desc r = *d;
    resolve(&r);
    dyn_status st = check_train(&r);
    if (st) return st;
    if ((st = check_data(net, data))) return st;
    size_t need = dyn_train_bytes(net, d, data->n), P = (size_t)net->n_params;
    if (!need) return DYN_ERR_SIZE;
    if (bytes < need) return DYN_ERR_BUFFER;
    for (size_t i = 0; i < P; i++)
        if (bad(theta0[i])) return DYN_ERR_NAN;
    memset(t, 0, sizeof *t);
    t->net = *net;
    t->d = r;
    t->n = data->n;
    t->batch = (r.batch == 0 || r.batch >= data->n) ? data->n : r.batch;
    carve_train(t, mem);
    memcpy(t->theta, theta0, sizeof(double) * P);
    memset(t->m1, 0, sizeof(double) * 3 * P);
    for (int i = 0; i < data->n; i++) t->perm[i] = i;
    t->pos = data->n; /* the first step shuffles */
    dyn_rng_seed(&t->rng, r.seed);
    t->b1t = 1.0;
    t->b2t = 1.0;
    return DYN_OK;
}

/* A dyn_net is trusted only when dyn_net_init gives exactly it back for its own dimensions (field by field: the
 * struct's padding is not data). */
static dyn_status net_rebuilt(const dyn_net *net)
{
    if (net->depth < 0 || net->depth > DYN_NET_MAX_HIDDEN) return DYN_ERR_SIZE;
    int any_skip = 0;
    for (int l = 1; l <= net->depth; l++) any_skip |= net->skip[l] != 0;
    dyn_net_desc d = {.n_in = net->dim[0],
                      .n_out = net->dim[net->depth + 1],
                      .depth = net->depth,
                      .widths = net->dim + 1,
                      .act = net->act,
                      .skip = any_skip,
                      .loss = net->loss};
    dyn_net r;
    dyn_status s = dyn_net_init(&r, &d);
    if (s) return s;
    if (r.n_params != net->n_params || r.max_dim != net->max_dim) return DYN_ERR_SIZE;
    for (int l = 0; l < DYN_NET_MAX_HIDDEN + 2; l++)
        if (r.dim[l] != net->dim[l] || r.w_off[l] != net->w_off[l] || r.b_off[l] != net->b_off[l] ||
            r.skip[l] != net->skip[l])
            return DYN_ERR_SIZE;
    return DYN_OK;
}

dyn_status dyn_train_rebase(dyn_train *t, void *mem, size_t bytes)
{
    if (!t || !mem) return DYN_ERR_NULL;
    if ((uintptr_t)mem % sizeof(double)) return DYN_ERR_BUFFER;
    dyn_status s = net_rebuilt(&t->net);
    if (s) return s;
    if ((s = check_train(&t->d))) return s;
    if (t->n < 1 || t->n > DYN_DATA_MAX_N) return DYN_ERR_SIZE;
    if (t->batch != ((t->d.batch == 0 || t->d.batch >= t->n) ? t->n : t->d.batch)) return DYN_ERR_SIZE;
    /* b1t, b2t are beta^step: in [0, 1] (NaN fails both comparisons) */
    if (t->step < 0 || t->pos < 0 || t->pos > t->n || !(t->b1t >= 0.0 && t->b1t <= 1.0) ||
        !(t->b2t >= 0.0 && t->b2t <= 1.0))
        return DYN_ERR_RANGE;
    size_t need = dyn_train_bytes(&t->net, &t->d, t->n);
    if (!need) return DYN_ERR_SIZE;
    if (bytes < need) return DYN_ERR_BUFFER;
    carve_train(t, mem);
    /* the permutation indexes the data: an entry out of range would read outside it */
    for (int i = 0; i < t->n; i++)
        if (t->perm[i] < 0 || t->perm[i] >= t->n) return DYN_ERR_RANGE;
    return DYN_OK;
}

/* One optimiser step over the P parameters, element by element (the loops vectorise: every element sees the same
 * operations at any vector width); b1t, b2t are beta1^t, beta2^t for Adam. Returns 1 when every parameter is still
 * finite (x * 0 is 0 exactly for finite x, NaN for inf and NaN). */
DYN_VEC_CLONES static int opt_step(const dyn_train_desc *d, double b1t, double b2t, size_t P, double *restrict th,
                                   const double *restrict g, double *restrict m1, double *restrict m2)
{
    double lr = d->lr, mu = d->momentum, be1 = d->beta1, be2 = d->beta2, eps = d->eps;
    int finite = 1;
    if (d->opt == DYN_OPT_SGD) {
        for (size_t i = 0; i < P; i++) {
            th[i] -= lr * g[i];
            finite &= th[i] * 0.0 == 0.0;
        }
    } else if (d->opt == DYN_OPT_MOMENTUM) {
        for (size_t i = 0; i < P; i++) {
            m1[i] = mu * m1[i] - lr * g[i];
            th[i] += m1[i];
            finite &= th[i] * 0.0 == 0.0;
        }
    } else { /* Adam (Kingma and Ba 2015) */
        double c1 = 1.0 - b1t, c2 = 1.0 - b2t;
        for (size_t i = 0; i < P; i++) {
            m1[i] = be1 * m1[i] + (1.0 - be1) * g[i];
            m2[i] = be2 * m2[i] + (1.0 - be2) * g[i] * g[i];
            th[i] -= lr * (m1[i] / c1) / (sqrt(m2[i] / c2) + eps);
            finite &= th[i] * 0.0 == 0.0;
        }
    }
    return finite;
}

dyn_status dyn_train_run(dyn_train *t, const dyn_data *data, int steps, double *loss_out)
{
    if (!t || !data) return DYN_ERR_NULL;
    if (steps < 0 || data->n != t->n) return DYN_ERR_SIZE;
    const dyn_net *net = &t->net;
    size_t P = (size_t)net->n_params;
    const dyn_train_desc *d = &t->d;
    for (int s = 0; s < steps; s++) {
        const int *idx = NULL;
        if (t->batch < t->n) {
            if (t->pos + t->batch > t->n) { /* a fresh epoch: Fisher-Yates with the run's own stream */
                for (int i = t->n - 1; i > 0; i--) {
                    int j = (int)dyn_rng_below(&t->rng, (uint64_t)(i + 1)), x = t->perm[i];
                    t->perm[i] = t->perm[j];
                    t->perm[j] = x;
                }
                t->pos = 0;
            }
            idx = t->perm + t->pos;
            t->pos += t->batch;
        }
        double loss;
        dyn_status st = dyn_net_grad(net, t->theta, data, idx, t->batch, &loss, t->grad, t->scratch, t->scratch_len);
        if (st) return st;
        if (loss_out) loss_out[s] = loss;
        if (bad(loss)) return DYN_ERR_NAN;
        if (d->weight_decay > 0.0)
            for (int l = 1; l <= net->depth + 1; l++)
                for (long i = net->w_off[l]; i < net->b_off[l]; i++) t->grad[i] += d->weight_decay * t->theta[i];
        if (d->opt == DYN_OPT_ADAM) { /* beta^t kept as running products, so no pow() */
            t->b1t *= d->beta1;
            t->b2t *= d->beta2;
        }
        int finite = opt_step(d, t->b1t, t->b2t, P, t->theta, t->grad, t->m1, t->m2);
        t->step++;
        if (!finite) return DYN_ERR_NAN;
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ cost estimates */

double dyn_net_example_ops(const dyn_net *net, int with_backward)
{
    if (!net) return 0.0;
    double f = 0.0, h = 0.0;
    for (int l = 1; l <= net->depth + 1; l++) f += (double)net->dim[l] * (double)net->dim[l - 1] + net->dim[l];
    for (int l = 1; l <= net->depth; l++) h += net->dim[l];
    double fwd = f + (h + net->dim[net->depth + 1]) * DYN_WORK_TRANSCENDENTAL;
    return with_backward ? fwd + 2.0 * f + h * DYN_WORK_TRANSCENDENTAL : fwd;
}

dyn_work dyn_train_work(const dyn_net *net, int batch, int n, double steps, int snapshots)
{
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    if (!net || n < 1 || !(steps >= 0.0) || snapshots < 0) return w;
    double P = (double)net->n_params, b = (batch <= 0 || batch >= n) ? n : batch;
    double blk = b < DYN_NET_MAX_BATCH ? b : DYN_NET_MAX_BATCH, ev = n < DYN_NET_MAX_BATCH ? n : DYN_NET_MAX_BATCH;
    double hs = 0.0; /* the scratch rows of a block: inputs, pre-activations, activations, gradients */
    for (int l = 0; l <= net->depth + 1; l++) hs += 2.0 * net->dim[l];
    hs += 4.0 * net->max_dim + 1.0;
    w.ops = steps * (b * dyn_net_example_ops(net, 1) + 12.0 * P) + (double)snapshots * n * dyn_net_example_ops(net, 0);
    w.bytes = 8.0 * (4.0 * P + (blk + ev) * hs + (double)snapshots * P + steps) + 4.0 * n;
    return w;
}

/* ------------------------------------------------------------------ names */

static const char *const OPT_NAMES[DYN_OPT_COUNT] = {"sgd", "momentum", "adam"};
static const char *const LOSS_NAMES[DYN_LOSS_COUNT] = {"xent", "mse"};

const char *dyn_opt_name(dyn_opt o) { return ((int)o >= 0 && o < DYN_OPT_COUNT) ? OPT_NAMES[o] : NULL; }
const char *dyn_loss_name(dyn_loss l) { return ((int)l >= 0 && l < DYN_LOSS_COUNT) ? LOSS_NAMES[l] : NULL; }

dyn_status dyn_opt_parse(const char *name, dyn_opt *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < DYN_OPT_COUNT; i++)
        if (strcmp(name, OPT_NAMES[i]) == 0) return *out = (dyn_opt)i, DYN_OK;
    return DYN_ERR_UNKNOWN_NAME;
}

dyn_status dyn_loss_parse(const char *name, dyn_loss *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < DYN_LOSS_COUNT; i++)
        if (strcmp(name, LOSS_NAMES[i]) == 0) return *out = (dyn_loss)i, DYN_OK;
    return DYN_ERR_UNKNOWN_NAME;
}
