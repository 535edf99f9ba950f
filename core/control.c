/* control.c - residual nets as controlled dynamical systems: steps, costates, Hamiltonians, GD/Adam, MSA, E-MSA. */
#include "control.h"

#include <math.h>
#include <string.h>

#include "lbfgs.h"
#include "quad.h"

static int bad(double x) { return isnan(x) || isinf(x); }
static double sq(double x) { return x * x; }
static size_t bytes_or_0(uint64_t b) { return b < (uint64_t)DYN_CTL_MAX_BYTES ? (size_t)b : 0; }

/* ------------------------------------------------------------------ descriptor */

static void resolve(dyn_ctl_desc *d)
{
    if (d->width == 0) { /* the smallest width that holds the input (and, for hamiltonian, two equal halves) */
        d->width = d->n_in < 2 ? 2 : d->n_in;
        if (d->arch == DYN_CTL_HAMILTONIAN && d->width % 2) d->width++;
    }
    if (d->layers == 0) d->layers = 20;
    if (d->delta == 0.0) d->delta = 0.25;
    if (d->embed == DYN_CTL_EMBED_AUTO) d->embed = d->n_in == 1 ? DYN_CTL_EMBED_REPEAT : DYN_CTL_EMBED_PAD;
    if (d->readout == DYN_CTL_READOUT_AUTO) d->readout = d->n_class ? DYN_CTL_READOUT_TRAINED : DYN_CTL_READOUT_FIXED;
}

static const char *why_resolved(const dyn_ctl_desc *d)
{
    if (bad(d->delta) || bad(d->gamma) || bad(d->reg)) return "delta, gamma and reg must be finite numbers";
    if (d->n_in < 1 || d->n_in > DYN_DATA_MAX_D) return "the input has 1 to 4096 features";
    if (d->n_class != 0 && (d->n_class < 2 || d->n_class > DYN_DATA_MAX_CLASS))
        return "n_class is 0 (regression) or 2..256 classes";
    if (d->width < 1 || d->width > DYN_CTL_MAX_WIDTH) return "the width must be 1..256";
    if (d->width < d->n_in) return "the width must be at least the number of input features";
    if ((int)d->arch < 0 || d->arch >= DYN_CTL_ARCH_COUNT) return "unknown architecture";
    if (d->arch == DYN_CTL_HAMILTONIAN && d->width % 2)
        return "the hamiltonian architecture needs an even width (two halves y and z)";
    if (d->layers < 1 || d->layers > DYN_CTL_MAX_LAYERS) return "the number of layers must be 1..1000";
    if (!(d->delta > 0.0) || d->delta > 10.0) return "delta must be in (0, 10]";
    if ((int)d->act < 0 || d->act >= DYN_ACT_COUNT) return "unknown activation";
    if (d->gamma < 0.0 || d->gamma > 100.0) return "gamma must be in [0, 100]";
    if (d->gamma != 0.0 && d->arch != DYN_CTL_ANTISYM) return "gamma applies to the antisym architecture only";
    if ((int)d->embed < 0 || d->embed >= DYN_CTL_EMBED_COUNT) return "unknown embedding";
    if ((int)d->readout < 0 || d->readout >= DYN_CTL_READOUT_COUNT) return "unknown read-out";
    if (d->readout == DYN_CTL_READOUT_FIXED && d->n_class > d->width)
        return "a fixed classification read-out reads one unit per class: the width must be at least the classes";
    if (d->reg < 0.0 || d->reg > 100.0) return "reg must be in [0, 100]";
    uint64_t k = d->arch == DYN_CTL_HAMILTONIAN ? (uint64_t)d->width / 2 : (uint64_t)d->width;
    uint64_t P = (uint64_t)d->layers * (k * k + k) + (uint64_t)(d->n_class ? d->n_class : 1) * (d->width + 1u);
    if (P * sizeof(double) >= (uint64_t)DYN_CTL_MAX_BYTES / 8) return "too many controls (layers x width^2)";
    return NULL;
}

const char *dyn_ctl_why(const dyn_ctl_desc *d)
{
    if (!d) return "no descriptor";
    dyn_ctl_desc r = *d;
    resolve(&r);
    return why_resolved(&r);
}

dyn_status dyn_ctl_init(dyn_ctl *c, const dyn_ctl_desc *d)
{
    if (!c || !d) return DYN_ERR_NULL;
    dyn_ctl_desc r = *d;
    resolve(&r);
    if (bad(r.delta) || bad(r.gamma) || bad(r.reg)) return DYN_ERR_NAN;
    if (why_resolved(&r)) {
        if (r.n_in < 1 || r.n_in > DYN_DATA_MAX_D || r.width < 1 || r.width > DYN_CTL_MAX_WIDTH || r.layers < 1 ||
            r.layers > DYN_CTL_MAX_LAYERS)
            return DYN_ERR_SIZE;
        return DYN_ERR_RANGE;
    }
    memset(c, 0, sizeof *c);
    c->d = r;
    c->k = r.arch == DYN_CTL_HAMILTONIAN ? r.width / 2 : r.width;
    c->n_out = r.n_class ? r.n_class : 1;
    c->p_layer = (long)c->k * c->k + c->k;
    c->p_readout = r.readout == DYN_CTL_READOUT_TRAINED ? (long)c->n_out * r.width + c->n_out : 0;
    c->n_params = (long)r.layers * c->p_layer + c->p_readout;
    return DYN_OK;
}

size_t dyn_ctl_param_count(const dyn_ctl *c) { return c ? (size_t)c->n_params : 0; }
size_t dyn_ctl_layer_params(const dyn_ctl *c) { return c ? (size_t)c->p_layer : 0; }

size_t dyn_ctl_scratch_doubles(const dyn_ctl *c)
{
    if (!c) return 0;
    uint64_t d = (uint64_t)c->d.width, k = (uint64_t)c->k;
    return bytes_or_0((19 * d + 2 * k * k + (uint64_t)c->n_out * (d + 3) + 8) * sizeof(double)) / sizeof(double);
}

dyn_status dyn_ctl_init_params(const dyn_ctl *c, double sw2, double sb2, uint64_t seed, double *theta, size_t theta_len)
{
    if (!c || !theta) return DYN_ERR_NULL;
    if (bad(sw2) || bad(sb2)) return DYN_ERR_NAN;
    if (sw2 < 0.0 || sw2 > 100.0 || sb2 < 0.0 || sb2 > 100.0) return DYN_ERR_RANGE;
    if (theta_len < (size_t)c->n_params) return DYN_ERR_BUFFER;
    dyn_rng r;
    dyn_rng_seed(&r, seed);
    int k = c->k, d = c->d.width;
    double sw = sqrt(sw2 / k), sb = sqrt(sb2);
    for (int t = 0; t < c->d.layers; t++) {
        double *th = theta + (size_t)t * c->p_layer;
        for (int i = 0; i < k * k; i++) th[i] = sw2 > 0.0 ? sw * dyn_rng_normal(&r) : 0.0;
        for (int i = 0; i < k; i++) th[k * k + i] = sb2 > 0.0 ? sb * dyn_rng_normal(&r) : 0.0;
    }
    if (c->p_readout) {
        double *th = theta + (size_t)c->d.layers * c->p_layer, sa = sqrt(sw2 / d);
        for (int i = 0; i < c->n_out * d; i++) th[i] = sw2 > 0.0 ? sa * dyn_rng_normal(&r) : 0.0;
        for (int i = 0; i < c->n_out; i++) th[c->n_out * d + i] = sb2 > 0.0 ? sb * dyn_rng_normal(&r) : 0.0;
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ one step: forward, VJP, and VJP of the JVP */

/* A layer's effective matrix and bias. For antisym W = K - K^T - gamma I is built in buf (k^2 doubles). */
typedef struct lay {
    const double *M, *b;
} lay;

static lay layer_of(const dyn_ctl *c, const double *th, double *buf)
{
    int k = c->k;
    lay L = {th, th + (size_t)k * k};
    if (c->d.arch == DYN_CTL_ANTISYM) {
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) buf[i * k + j] = th[i * k + j] - th[j * k + i] - (i == j ? c->d.gamma : 0.0);
        L.M = buf;
    }
    return L;
}

/* Per-example intermediate values of one step: the pre-activations a1 (k) and a2 (k, hamiltonian only) and,
 * when asked, phi' (g1, g2) and phi'' (h1, h2) at them: computed once, read by every derivative below (the
 * activation calls are most of the cost). */
typedef struct pre {
    double *a1, *a2, *g1, *g2, *h1, *h2, *f; /* f: room for phi values while a step is taken */
} pre;

static pre pre_of(double *buf, int k) /* buf: 7 k doubles */
{
    return (pre){buf, buf + k, buf + 2 * k, buf + 3 * k, buf + 4 * k, buf + 5 * k, buf + 6 * k};
}

/* der: 0 nothing more, 1 phi', 2 phi' and phi'' (the core's array kernels: the same bits as the scalar calls) */
static void derive(const dyn_ctl *c, const pre *q, int der)
{
    const size_t k = (size_t)c->k;
    const int two = c->d.arch == DYN_CTL_HAMILTONIAN;
    const dyn_act act = c->d.act;
    if (der < 1) return;
    if (der < 2) {
        dyn_act_dphi_array(act, q->a1, k, q->g1);
        if (two) dyn_act_dphi_array(act, q->a2, k, q->g2);
        return;
    }
    dyn_act_derivs_array(act, q->a1, k, q->g1, q->h1); /* one pass: phi' and phi'' share the exponential */
    if (two) dyn_act_derivs_array(act, q->a2, k, q->g2, q->h2);
}

/* the first pre-activations a1 = M x + b (hamiltonian: K z + b) into q->a1 */
static void preact_one(const dyn_ctl *c, lay L, const double *x, const pre *q)
{
    const int k = c->k;
    double *a1 = q->a1;
    const double *src = c->d.arch == DYN_CTL_HAMILTONIAN ? x + k : x; /* hamiltonian: K z first */
    for (int i = 0; i < k; i++) {
        double s = L.b[i];
        const double *row = L.M + (size_t)i * k;
        for (int j = 0; j < k; j++) s += row[j] * src[j];
        a1[i] = s;
    }
}

static void step_one(const dyn_ctl *c, lay L, const double *x, double *xn, const pre *q, int der)
{
    const int k = c->k;
    const double dl = c->d.delta;
    const dyn_act act = c->d.act;
    double *a1 = q->a1, *a2 = q->a2, *f = q->f;
    preact_one(c, L, x, q);
    dyn_act_phi_array(act, a1, (size_t)k, f);
    for (int i = 0; i < k; i++) xn[i] = x[i] + dl * f[i];
    if (c->d.arch == DYN_CTL_HAMILTONIAN) { /* then z_{t+1} = z - delta phi(K^T y_{t+1} + b) */
        const double *yn = xn;
        for (int j = 0; j < k; j++) a2[j] = L.b[j];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) a2[j] += L.M[(size_t)i * k + j] * yn[i];
        dyn_act_phi_array(act, a2, (size_t)k, f);
        for (int j = 0; j < k; j++) xn[k + j] = x[k + j] - dl * f[j];
    }
    derive(c, q, der);
}

/* gx = grad_x (w . F(x)) (may be NULL), and G += s grad_M (w . F), gb += s grad_b (w . F), given step_one's xn and
 * phi' (der >= 1). tmp: 2 k doubles. */
static void vjp_one(const dyn_ctl *c, lay L, const double *x, const double *xn, const pre *q, const double *w,
                    double *gx, double *G, double *gb, double s, double *tmp)
{
    const int k = c->k;
    const double dl = c->d.delta;
    const double *g1 = q->g1, *g2 = q->g2;
    double *u1 = tmp, *u2 = tmp + k;
    if (c->d.arch != DYN_CTL_HAMILTONIAN) {
        for (int i = 0; i < k; i++) u1[i] = dl * g1[i] * w[i];
        if (gx) {
            for (int j = 0; j < k; j++) gx[j] = w[j];
            for (int i = 0; i < k; i++) {
                const double *row = L.M + (size_t)i * k;
                for (int j = 0; j < k; j++) gx[j] += row[j] * u1[i];
            }
        }
        for (int i = 0; i < k; i++) {
            double si = s * u1[i];
            double *g = G + (size_t)i * k;
            for (int j = 0; j < k; j++) g[j] += si * x[j];
            gb[i] += si;
        }
        return;
    }
    const double *z = x + k, *yn = xn, *wy = w, *wz = w + k;
    for (int j = 0; j < k; j++) u2[j] = -dl * g2[j] * wz[j];
    for (int i = 0; i < k; i++) { /* py = wy + K u2, then u1 = delta phi'(a1) py */
        double py = wy[i];
        const double *row = L.M + (size_t)i * k;
        for (int j = 0; j < k; j++) py += row[j] * u2[j];
        if (gx) gx[i] = py;
        u1[i] = dl * g1[i] * py;
    }
    if (gx) {
        for (int j = 0; j < k; j++) gx[k + j] = wz[j];
        for (int i = 0; i < k; i++) {
            const double *row = L.M + (size_t)i * k;
            for (int j = 0; j < k; j++) gx[k + j] += row[j] * u1[i];
        }
    }
    for (int i = 0; i < k; i++) {
        double *g = G + (size_t)i * k;
        for (int j = 0; j < k; j++) g[j] += s * (yn[i] * u2[j] + u1[i] * z[j]);
    }
    for (int j = 0; j < k; j++) gb[j] += s * (u1[j] + u2[j]);
}

/* dF/dx e (out, d values): the step's Jacobian applied to e, given phi' (der >= 1). */
static void jvp_one(const dyn_ctl *c, lay L, const pre *q, const double *e, double *out)
{
    const int k = c->k;
    const double dl = c->d.delta;
    const double *g1 = q->g1, *g2 = q->g2;
    if (c->d.arch != DYN_CTL_HAMILTONIAN) {
        for (int i = 0; i < k; i++) {
            double s = 0.0;
            const double *row = L.M + (size_t)i * k;
            for (int j = 0; j < k; j++) s += row[j] * e[j];
            out[i] = e[i] + dl * g1[i] * s;
        }
        return;
    }
    const double *ey = e, *ez = e + k;
    double *dy = out, *dz = out + k;
    for (int i = 0; i < k; i++) {
        double s = 0.0;
        const double *row = L.M + (size_t)i * k;
        for (int j = 0; j < k; j++) s += row[j] * ez[j];
        dy[i] = ey[i] + dl * g1[i] * s;
    }
    for (int j = 0; j < k; j++) {
        double s = 0.0;
        for (int i = 0; i < k; i++) s += L.M[(size_t)i * k + j] * dy[i];
        dz[j] = ez[j] - dl * g2[j] * s;
    }
}

/* G += s grad_M (w . dF/dx(x) e), gb += s grad_b (the same): reverse mode over the tangent map, for E-MSA's
 * costate penalty (grad_theta of e . grad_x (w . F) = w . J e). tmp: 6 k doubles. */
static void jvp_vjp_one(const dyn_ctl *c, lay L, const double *x, const double *xn, const pre *q, const double *e,
                        const double *w, double *G, double *gb, double s, double *tmp)
{
    const int k = c->k;
    const double dl = c->d.delta;
    const double *g1 = q->g1, *g2 = q->g2, *h1 = q->h1, *h2 = q->h2;
    if (c->d.arch != DYN_CTL_HAMILTONIAN) {
        /* S = w . (e + delta phi'(a) (M e)): dS/dM_ij = u_i e_j + psi_i x_j, dS/db_i = psi_i with
         * u = delta phi'(a) w and psi = delta phi''(a) (M e) w */
        for (int i = 0; i < k; i++) {
            double me = 0.0;
            const double *row = L.M + (size_t)i * k;
            for (int j = 0; j < k; j++) me += row[j] * e[j];
            double u = dl * g1[i] * w[i], psi = dl * h1[i] * me * w[i];
            double *g = G + (size_t)i * k;
            for (int j = 0; j < k; j++) g[j] += s * (u * e[j] + psi * x[j]);
            gb[i] += s * psi;
        }
        return;
    }
    const double *ez = e + k, *z = x + k, *yn = xn, *ey = e, *wy = w, *wz = w + k;
    double *da1 = tmp, *dy = tmp + k, *da2 = tmp + 2 * k, *ddy = tmp + 3 * k, *ab2 = tmp + 4 * k, *ab1 = tmp + 5 * k;
    /* tangent forward: da1 = K ez, dy = ey + delta phi'(a1) da1, da2 = K^T dy (dz is not needed) */
    for (int i = 0; i < k; i++) {
        double sum = 0.0;
        const double *row = L.M + (size_t)i * k;
        for (int j = 0; j < k; j++) sum += row[j] * ez[j];
        da1[i] = sum;
        dy[i] = ey[i] + dl * g1[i] * sum;
    }
    for (int j = 0; j < k; j++) {
        double sum = 0.0;
        for (int i = 0; i < k; i++) sum += L.M[(size_t)i * k + j] * dy[i];
        da2[j] = sum;
    }
    /* reverse: S = wy . dy + wz . (ez - delta phi'(a2) da2) */
    double *dda2 = ab1; /* reuse: d S / d da2, needed before ab1 is */
    for (int j = 0; j < k; j++) {
        dda2[j] = -dl * g2[j] * wz[j];
        ab2[j] = -dl * h2[j] * da2[j] * wz[j];
    }
    for (int i = 0; i < k; i++) { /* ddy = wy + K dda2; G += dy (x) dda2 */
        double sum = wy[i];
        const double *row = L.M + (size_t)i * k;
        double *g = G + (size_t)i * k;
        for (int j = 0; j < k; j++) {
            sum += row[j] * dda2[j];
            g[j] += s * dy[i] * dda2[j];
        }
        ddy[i] = sum;
    }
    /* a2 = K^T yn + b: ybar = K ab2, G += yn (x) ab2, gb += ab2 */
    for (int j = 0; j < k; j++) gb[j] += s * ab2[j];
    for (int i = 0; i < k; i++) {
        double ybar = 0.0;
        const double *row = L.M + (size_t)i * k;
        double *g = G + (size_t)i * k;
        for (int j = 0; j < k; j++) {
            ybar += row[j] * ab2[j];
            g[j] += s * yn[i] * ab2[j];
        }
        /* dy = ey + delta phi'(a1) da1 and yn = y + delta phi(a1): a1's adjoint, and da1's */
        double dp = g1[i];
        double abar1 = dl * h1[i] * da1[i] * ddy[i] + dl * dp * ybar;
        double dda1 = dl * dp * ddy[i];
        for (int j = 0; j < k; j++) g[j] += s * (dda1 * ez[j] + abar1 * z[j]);
        gb[i] += s * abar1;
    }
}

/* grad over the layer's own controls from G (grad wrt the effective matrix) and gb: antisym maps G to G - G^T. */
static void to_theta_grad(const dyn_ctl *c, const double *G, const double *gb, double *g)
{
    int k = c->k;
    if (c->d.arch == DYN_CTL_ANTISYM) {
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) g[i * k + j] = G[i * k + j] - G[j * k + i];
    } else {
        memcpy(g, G, sizeof(double) * (size_t)k * k);
    }
    memcpy(g + (size_t)k * k, gb, sizeof(double) * (size_t)k);
}

/* ------------------------------------------------------------------ embedding, read-out, terminal loss */

static void embed_one(const dyn_ctl *c, const double *u, double *x)
{
    int d = c->d.width, n = c->d.n_in;
    for (int j = 0; j < d; j++)
        x[j] = c->d.embed == DYN_CTL_EMBED_REPEAT ? u[j % n] : (j < n ? u[j] : 0.0);
}

/* The read-out's A (n_out x d) and c: from theta, or the fixed one built in buf (n_out (d + 1) doubles). */
static const double *readout_of(const dyn_ctl *c, const double *theta, double *buf)
{
    int d = c->d.width, no = c->n_out;
    if (c->p_readout) return theta + (size_t)c->d.layers * c->p_layer;
    memset(buf, 0, sizeof(double) * (size_t)no * (d + 1));
    if (c->d.n_class == 0)
        for (int j = 0; j < d; j++) buf[j] = 1.0;
    else
        for (int k = 0; k < no; k++) buf[k * d + k] = 1.0;
    return buf;
}

/* z = A x + c; returns Phi and writes dPhi/dz in dz (n_out, may be NULL). For classification *hit = argmax == y. */
static double terminal_one(const dyn_ctl *c, const double *Ac, const double *x, double y, double *z, double *dz,
                           int *hit)
{
    int d = c->d.width, no = c->n_out;
    for (int k = 0; k < no; k++) {
        double s = Ac[(size_t)no * d + k];
        for (int j = 0; j < d; j++) s += Ac[(size_t)k * d + j] * x[j];
        z[k] = s;
    }
    if (c->d.n_class == 0) {
        if (dz) dz[0] = z[0] - y;
        if (hit) *hit = 0;
        return 0.5 * sq(z[0] - y);
    }
    int lab = (int)y, best = 0;
    double zmax = z[0];
    for (int k = 1; k < no; k++)
        if (z[k] > zmax) zmax = z[k], best = k;
    double sum = 0.0;
    for (int k = 0; k < no; k++) sum += dyn_exp(z[k] - zmax);
    if (dz)
        for (int k = 0; k < no; k++) dz[k] = dyn_exp(z[k] - zmax) / sum - (k == lab ? 1.0 : 0.0);
    if (hit) *hit = best == lab;
    return dyn_log(sum) - (z[lab] - zmax);
}

static int label_ok(const dyn_ctl *c, double y)
{
    if (bad(y)) return 0;
    if (c->d.n_class == 0) return 1;
    return y >= 0.0 && y < c->d.n_class && y == floor(y);
}

static double norm2(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += v[i] * v[i];
    return s;
}

/* ------------------------------------------------------------------ forward, backward, eval */

/* scratch carving: Mbuf (k^2), G (k^2), gb (d), pre (7 d), xa, xb, w, gx (d each), tmp (6 d), ro (n_out (d + 1)), z, dz */
typedef struct carve {
    double *Mbuf, *G, *gb, *xa, *xb, *w, *gx, *tmp, *ro, *z, *dz;
    pre q;
} carve;

static carve carve_scratch(const dyn_ctl *c, double *s)
{
    size_t d = (size_t)c->d.width, k = (size_t)c->k, no = (size_t)c->n_out;
    carve v;
    v.Mbuf = s;
    v.G = v.Mbuf + k * k;
    v.gb = v.G + k * k;
    v.q = pre_of(v.gb + d, (int)k);
    v.xa = v.gb + 8 * d;
    v.xb = v.xa + d;
    v.w = v.xb + d;
    v.gx = v.w + d;
    v.tmp = v.gx + d; /* 6 d */
    v.ro = v.tmp + 6 * d;
    v.z = v.ro + no * (d + 1);
    v.dz = v.z + no;
    return v;
}

static size_t states_doubles(const dyn_ctl *c, int m)
{
    return bytes_or_0(((uint64_t)c->d.layers + 1u) * (uint64_t)m * (uint64_t)c->d.width * sizeof(double)) /
           sizeof(double);
}

dyn_status dyn_ctl_forward(const dyn_ctl *c, const double *theta, const double *u, int m, double *states,
                           size_t states_len, double *scratch, size_t scratch_len)
{
    if (!c || !theta || !u || !states || !scratch) return DYN_ERR_NULL;
    if (m < 1) return DYN_ERR_SIZE;
    size_t need = states_doubles(c, m);
    if (!need) return DYN_ERR_SIZE;
    if (states_len < need || scratch_len < dyn_ctl_scratch_doubles(c)) return DYN_ERR_BUFFER;
    const int d = c->d.width, T = c->d.layers;
    for (size_t i = 0; i < (size_t)m * c->d.n_in; i++)
        if (bad(u[i])) return DYN_ERR_NAN;
    carve v = carve_scratch(c, scratch);
    for (int i = 0; i < m; i++) embed_one(c, u + (size_t)i * c->d.n_in, states + (size_t)i * d);
    for (int t = 0; t < T; t++) {
        lay L = layer_of(c, theta + (size_t)t * c->p_layer, v.Mbuf);
        const double *x = states + (size_t)t * m * d;
        double *xn = states + (size_t)(t + 1) * m * d;
        for (int i = 0; i < m; i++) step_one(c, L, x + (size_t)i * d, xn + (size_t)i * d, &v.q, 0);
    }
    return DYN_OK;
}

dyn_status dyn_ctl_backward(const dyn_ctl *c, const double *theta, const double *states, const double *y, int m,
                            double *costates, size_t costates_len, double *hamil, double *grad, double *loss,
                            double *scratch, size_t scratch_len)
{
    if (!c || !theta || !states || !y || !costates || !scratch) return DYN_ERR_NULL;
    if (m < 1) return DYN_ERR_SIZE;
    size_t need = states_doubles(c, m);
    if (!need) return DYN_ERR_SIZE;
    if (costates_len < need || scratch_len < dyn_ctl_scratch_doubles(c)) return DYN_ERR_BUFFER;
    const int d = c->d.width, T = c->d.layers, k = c->k, no = c->n_out;
    const double inv = 1.0 / m, reg = c->d.reg;
    carve v = carve_scratch(c, scratch);
    for (int i = 0; i < m; i++)
        if (!label_ok(c, y[i])) return bad(y[i]) ? DYN_ERR_NAN : DYN_ERR_RANGE;
    const double *Ac = readout_of(c, theta, v.ro);
    double *gro = grad && c->p_readout ? grad + (size_t)T * c->p_layer : NULL;
    if (gro) memset(gro, 0, sizeof(double) * (size_t)c->p_readout);
    /* p_T = -A^T dPhi/dz; the read-out's gradient on the way */
    const double *xT = states + (size_t)T * m * d;
    double *pT = costates + (size_t)T * m * d, total = 0.0;
    for (int i = 0; i < m; i++) {
        const double *x = xT + (size_t)i * d;
        for (int j = 0; j < d; j++)
            if (bad(x[j])) return DYN_ERR_NAN;
        total += terminal_one(c, Ac, x, y[i], v.z, v.dz, NULL);
        double *p = pT + (size_t)i * d;
        for (int j = 0; j < d; j++) {
            double s = 0.0;
            for (int q = 0; q < no; q++) s += Ac[(size_t)q * d + j] * v.dz[q];
            p[j] = -inv * s;
        }
        if (gro)
            for (int q = 0; q < no; q++) {
                for (int j = 0; j < d; j++) gro[(size_t)q * d + j] += inv * v.dz[q] * x[j];
                gro[(size_t)no * d + q] += inv * v.dz[q];
            }
    }
    if (gro)
        for (long q = 0; q < c->p_readout; q++) gro[q] += reg * Ac[q];
    if (loss) *loss = total * inv;
    for (int t = T - 1; t >= 0; t--) {
        const double *th = theta + (size_t)t * c->p_layer;
        lay L = layer_of(c, th, v.Mbuf);
        const double *x = states + (size_t)t * m * d, *xn = states + (size_t)(t + 1) * m * d;
        const double *pn = costates + (size_t)(t + 1) * m * d;
        double *p = costates + (size_t)t * m * d, h = 0.0;
        memset(v.G, 0, sizeof(double) * ((size_t)k * k + (size_t)k));
        for (int i = 0; i < m; i++) {
            const double *xi = x + (size_t)i * d, *pi = pn + (size_t)i * d, *xni = xn + (size_t)i * d;
            /* plain and antisym: vjp_one needs only phi'(a1), so the step itself is not taken again (its phi was
             * a quarter of a GD iteration's activation work: tanh of 5 values costs 5.4 us per 100 calls natively,
             * phi' 8.4); hamiltonian: a2 depends on y_{t+1}, so take the step */
            if (c->d.arch == DYN_CTL_HAMILTONIAN) {
                step_one(c, L, xi, v.xa, &v.q, 1);
            } else {
                preact_one(c, L, xi, &v.q);
                derive(c, &v.q, 1);
            }
            vjp_one(c, L, xi, v.xa, &v.q, pi, p + (size_t)i * d, v.G, v.gb, 1.0, v.tmp);
            for (int j = 0; j < d; j++) h += pi[j] * xni[j];
        }
        double th2 = norm2(th, (size_t)c->p_layer);
        if (hamil) hamil[t] = h - 0.5 * reg * th2;
        if (grad) {
            double *g = grad + (size_t)t * c->p_layer;
            to_theta_grad(c, v.G, v.gb, g);
            for (long q = 0; q < c->p_layer; q++) g[q] = -g[q] + reg * th[q];
        }
    }
    return DYN_OK;
}

static dyn_status check_data(const dyn_ctl *c, const dyn_data *data)
{
    if (!data->x || !data->y) return DYN_ERR_NULL;
    if (data->n < 1 || data->d != c->d.n_in) return DYN_ERR_SIZE;
    if (c->d.n_class ? data->n_class != c->d.n_class : data->n_class != 0) return DYN_ERR_RANGE;
    return DYN_OK;
}

/* One example through steps from..T-1 starting at x (overwritten; xb: d doubles of room). */
static double *carry(const dyn_ctl *c, const double *theta, int from, double *x, double *xb, carve *v)
{
    for (int t = from; t < c->d.layers; t++) {
        lay L = layer_of(c, theta + (size_t)t * c->p_layer, v->Mbuf);
        step_one(c, L, x, xb, &v->q, 0);
        double *sw = x;
        x = xb;
        xb = sw;
    }
    return x;
}

static double running_cost(const dyn_ctl *c, const double *theta)
{
    return 0.5 * c->d.reg * norm2(theta, (size_t)c->n_params);
}

dyn_status dyn_ctl_eval(const dyn_ctl *c, const double *theta, const dyn_data *data, double *loss, double *obj,
                        double *acc, double *scratch, size_t scratch_len)
{
    if (!c || !theta || !data || !loss || !scratch) return DYN_ERR_NULL;
    dyn_status st = check_data(c, data);
    if (st) return st;
    if (scratch_len < dyn_ctl_scratch_doubles(c)) return DYN_ERR_BUFFER;
    carve v = carve_scratch(c, scratch);
    const double *Ac = readout_of(c, theta, v.ro);
    double total = 0.0;
    long hits = 0;
    for (int i = 0; i < data->n; i++)
        if (!label_ok(c, data->y[i])) return bad(data->y[i]) ? DYN_ERR_NAN : DYN_ERR_RANGE;
    for (int i = 0; i < data->n; i++) {
        embed_one(c, data->x + (size_t)i * data->d, v.xa);
        double *x = carry(c, theta, 0, v.xa, v.xb, &v);
        int hit;
        total += terminal_one(c, Ac, x, data->y[i], v.z, NULL, &hit);
        hits += hit;
    }
    *loss = total / data->n;
    if (obj) *obj = *loss + running_cost(c, theta);
    if (acc) *acc = c->d.n_class ? (double)hits / data->n : (double)NAN;
    return DYN_OK;
}

static int grid_ok(double x0, double x1, double y0, double y1, int nx, int ny)
{
    return !(bad(x0) || bad(x1) || bad(y0) || bad(y1)) && x0 < x1 && y0 < y1 && nx >= 1 && nx <= 4096 && ny >= 1 &&
           ny <= 4096;
}

static double grid_x(double x0, double x1, int nx, int j) { return nx == 1 ? 0.5 * (x0 + x1) : x0 + (x1 - x0) * j / (nx - 1); }
static double grid_y(double y0, double y1, int ny, int i) { return ny == 1 ? 0.5 * (y0 + y1) : y1 - (y1 - y0) * i / (ny - 1); }

dyn_status dyn_ctl_grid2d(const dyn_ctl *c, const double *theta, int l, double x_min, double x_max, double y_min,
                          double y_max, int nx, int ny, float *cls, float *conf, double *scratch, size_t scratch_len)
{
    if (!c || !theta || !scratch) return DYN_ERR_NULL;
    if (bad(x_min) || bad(x_max) || bad(y_min) || bad(y_max)) return DYN_ERR_NAN;
    if (nx < 1 || nx > 4096 || ny < 1 || ny > 4096) return DYN_ERR_SIZE;
    if (!grid_ok(x_min, x_max, y_min, y_max, nx, ny) || l < 0 || l > c->d.layers) return DYN_ERR_RANGE;
    if ((l == 0 && c->d.n_in != 2) || (l > 0 && c->d.width < 2)) return DYN_ERR_RANGE;
    if (scratch_len < dyn_ctl_scratch_doubles(c)) return DYN_ERR_BUFFER;
    carve v = carve_scratch(c, scratch);
    const double *Ac = readout_of(c, theta, v.ro);
    const int d = c->d.width, no = c->n_out;
    for (int i = 0; i < ny; i++)
        for (int j = 0; j < nx; j++) {
            double pt[2] = {grid_x(x_min, x_max, nx, j), grid_y(y_min, y_max, ny, i)};
            if (l == 0) {
                embed_one(c, pt, v.xa);
            } else {
                memset(v.xa, 0, sizeof(double) * (size_t)d);
                v.xa[0] = pt[0];
                v.xa[1] = pt[1];
            }
            double *x = carry(c, theta, l, v.xa, v.xb, &v);
            terminal_one(c, Ac, x, 0.0, v.z, NULL, NULL);
            size_t o = (size_t)i * nx + j;
            if (c->d.n_class == 0) {
                if (cls) cls[o] = (float)v.z[0];
                if (conf) conf[o] = NAN;
                continue;
            }
            int best = 0;
            for (int q = 1; q < no; q++)
                if (v.z[q] > v.z[best]) best = q;
            double sum = 0.0;
            for (int q = 0; q < no; q++) sum += dyn_exp(v.z[q] - v.z[best]);
            if (cls) cls[o] = (float)best;
            if (conf) conf[o] = (float)(1.0 / sum);
        }
    return DYN_OK;
}

dyn_status dyn_ctl_jacdet_grid2d(const dyn_ctl *c, const double *theta, int t, double x_min, double x_max,
                                 double y_min, double y_max, int nx, int ny, float *det)
{
    if (!c || !theta || !det) return DYN_ERR_NULL;
    if (bad(x_min) || bad(x_max) || bad(y_min) || bad(y_max)) return DYN_ERR_NAN;
    if (nx < 1 || nx > 4096 || ny < 1 || ny > 4096) return DYN_ERR_SIZE;
    if (c->d.width != 2 || t < 0 || t >= c->d.layers || !grid_ok(x_min, x_max, y_min, y_max, nx, ny))
        return DYN_ERR_RANGE;
    double Mbuf[4], qb[14], xn[2], j0[2], j1[2];
    pre q = pre_of(qb, c->k);
    const double e0[2] = {1.0, 0.0}, e1[2] = {0.0, 1.0};
    lay L = layer_of(c, theta + (size_t)t * c->p_layer, Mbuf);
    for (int i = 0; i < ny; i++)
        for (int j = 0; j < nx; j++) {
            double x[2] = {grid_x(x_min, x_max, nx, j), grid_y(y_min, y_max, ny, i)};
            step_one(c, L, x, xn, &q, 1);
            jvp_one(c, L, &q, e0, j0);
            jvp_one(c, L, &q, e1, j1);
            det[(size_t)i * nx + j] = (float)(j0[0] * j1[1] - j1[0] * j0[1]);
        }
    return DYN_OK;
}

dyn_status dyn_ctl_layer_norms(const dyn_ctl *c, const double *theta, double *norm, double *margin, double *scratch,
                               size_t scratch_len)
{
    if (!c || !theta || !scratch) return DYN_ERR_NULL;
    if (scratch_len < dyn_ctl_scratch_doubles(c)) return DYN_ERR_BUFFER;
    carve v = carve_scratch(c, scratch);
    const int k = c->k;
    /* max |phi'| over the real line: 1 for tanh, relu, hard tanh, linear; 2/sqrt(pi) for erf; 1/4 for the
     * sigmoid; about 1.0998 for swish (at x = 2.3994) */
    double dmax = 0.0;
    for (int i = -4000; i <= 4000; i++) dmax = fmax(dmax, fabs(dyn_act_dphi(c->d.act, i * 0.0025)));
    for (int t = 0; t < c->d.layers; t++) {
        lay L = layer_of(c, theta + (size_t)t * c->p_layer, v.Mbuf);
        /* power iteration on M^T M from a fixed start */
        double *x = v.xa, *y = v.xb, s = 0.0;
        for (int j = 0; j < k; j++) x[j] = 1.0 / sqrt((double)k) * (1.0 + 0.1 * (j % 7));
        for (int it = 0; it < 200; it++) {
            for (int i = 0; i < k; i++) {
                double a = 0.0;
                for (int j = 0; j < k; j++) a += L.M[(size_t)i * k + j] * x[j];
                y[i] = a;
            }
            double nrm = 0.0;
            for (int j = 0; j < k; j++) {
                double a = 0.0;
                for (int i = 0; i < k; i++) a += L.M[(size_t)i * k + j] * y[i];
                x[j] = a;
                nrm += a * a;
            }
            nrm = sqrt(nrm);
            if (nrm == 0.0) {
                s = 0.0;
                break;
            }
            for (int j = 0; j < k; j++) x[j] /= nrm;
            s = sqrt(nrm);
        }
        if (norm) norm[t] = s;
        if (margin) margin[t] = c->d.delta * s * dmax;
    }
    return DYN_OK;
}

dyn_status dyn_ctl_perturb(const dyn_ctl *c, const double *theta, const double *u, int m, uint64_t seed,
                           double *growth, double *scratch, size_t scratch_len)
{
    if (!c || !theta || !u || !growth || !scratch) return DYN_ERR_NULL;
    if (m < 1) return DYN_ERR_SIZE;
    if (scratch_len < dyn_ctl_scratch_doubles(c)) return DYN_ERR_BUFFER;
    for (size_t i = 0; i < (size_t)m * c->d.n_in; i++)
        if (bad(u[i])) return DYN_ERR_NAN;
    carve v = carve_scratch(c, scratch);
    const int d = c->d.width, T = c->d.layers;
    dyn_rng r;
    dyn_rng_seed(&r, seed);
    for (int t = 0; t <= T; t++) growth[t] = 0.0;
    for (int i = 0; i < m; i++) {
        double *x = v.xa, *xn = v.xb, *e = v.w, *en = v.gx;
        embed_one(c, u + (size_t)i * c->d.n_in, x);
        double n0 = 0.0;
        while (n0 == 0.0) {
            for (int j = 0; j < d; j++) e[j] = dyn_rng_normal(&r);
            n0 = sqrt(norm2(e, (size_t)d));
        }
        for (int j = 0; j < d; j++) e[j] /= n0;
        growth[0] += 1.0;
        for (int t = 0; t < T; t++) {
            lay L = layer_of(c, theta + (size_t)t * c->p_layer, v.Mbuf);
            step_one(c, L, x, xn, &v.q, 1);
            jvp_one(c, L, &v.q, e, en);
            double *sw = x;
            x = xn;
            xn = sw;
            sw = e;
            e = en;
            en = sw;
            growth[t + 1] += norm2(e, (size_t)d);
        }
    }
    for (int t = 0; t <= T; t++) growth[t] = sqrt(growth[t] / m);
    return DYN_OK;
}

dyn_status dyn_ctl_perturb_theory(const dyn_ctl *c, double sw2, double sb2, const double *q0, int m, double *growth)
{
    if (!c || !q0 || !growth) return DYN_ERR_NULL;
    if (bad(sw2) || bad(sb2)) return DYN_ERR_NAN;
    if (m < 1) return DYN_ERR_SIZE;
    const dyn_act act = c->d.act;
    int odd = act == DYN_ACT_TANH || act == DYN_ACT_ERF || act == DYN_ACT_HARD_TANH || act == DYN_ACT_LINEAR;
    if (c->d.arch == DYN_CTL_HAMILTONIAN || c->d.gamma != 0.0 || !odd || sw2 < 0.0 || sw2 > 100.0 || sb2 < 0.0 ||
        sb2 > 100.0)
        return DYN_ERR_RANGE;
    for (int i = 0; i < m; i++)
        if (bad(q0[i])) return DYN_ERR_NAN;
        else if (q0[i] < 0.0) return DYN_ERR_RANGE;
    enum { NQ = 96 };
    double z[NQ], w[NQ], qs[2 * NQ];
    dyn_status st = dyn_quad_hermite(NQ, z, w, qs);
    if (st) return st;
    const double s = c->d.arch == DYN_CTL_ANTISYM ? 2.0 * sw2 : sw2, dl2 = c->d.delta * c->d.delta;
    const int T = c->d.layers;
    for (int t = 0; t <= T; t++) growth[t] = 0.0;
    for (int i = 0; i < m; i++) {
        double Q = q0[i], G = 1.0;
        growth[0] += 1.0;
        for (int t = 0; t < T; t++) {
            double sd = sqrt(s * Q + sb2), v = 0.0, chi = 0.0;
            for (int j = 0; j < NQ; j++) {
                double f = dyn_act_phi(act, sd * z[j]), g = dyn_act_dphi(act, sd * z[j]);
                v += w[j] * f * f;
                chi += w[j] * g * g;
            }
            G *= 1.0 + dl2 * s * chi;
            Q += dl2 * v;
            growth[t + 1] += G;
        }
    }
    for (int t = 0; t <= T; t++) growth[t] = sqrt(growth[t] / m);
    return DYN_OK;
}

/* ------------------------------------------------------------------ the layer Hamiltonian (E-MSA's objective) */

typedef struct ham_ctx {
    const dyn_ctl *c;
    const double *x, *p, *v, *q;
    int m;
    double rho;
    double *scratch;
    size_t scratch_len;
} ham_ctx;

double dyn_ctl_layer_hamiltonian(const dyn_ctl *c, const double *theta_t, const double *x, const double *p,
                                 const double *vv, const double *q, int m, double rho, double *g, double *scratch,
                                 size_t scratch_len)
{
    if (!c || !theta_t || !x || !p || !scratch || m < 1 || bad(rho) || rho < 0.0) return (double)NAN;
    if (rho > 0.0 && (!vv || !q)) return (double)NAN;
    if (scratch_len < dyn_ctl_scratch_doubles(c)) return (double)NAN;
    const int d = c->d.width, k = c->k;
    carve s = carve_scratch(c, scratch);
    lay L = layer_of(c, theta_t, s.Mbuf);
    memset(s.G, 0, sizeof(double) * ((size_t)k * k + (size_t)k));
    double val = 0.0;
    for (int i = 0; i < m; i++) {
        const double *xi = x + (size_t)i * d, *pi = p + (size_t)i * d;
        step_one(c, L, xi, s.xa, &s.q, rho > 0.0 ? 2 : 1);
        for (int j = 0; j < d; j++) val += pi[j] * s.xa[j];
        vjp_one(c, L, xi, s.xa, &s.q, pi, s.gx, s.G, s.gb, 1.0, s.tmp);
        if (rho > 0.0) {
            const double *vi = vv + (size_t)i * d, *qi = q + (size_t)i * d;
            double r2 = 0.0, e2 = 0.0;
            for (int j = 0; j < d; j++) {
                s.w[j] = rho * (vi[j] - s.xa[j]);
                r2 += sq(vi[j] - s.xa[j]);
                s.xb[j] = qi[j] - s.gx[j]; /* e */
                e2 += sq(s.xb[j]);
            }
            val -= 0.5 * rho * (r2 + e2);
            vjp_one(c, L, xi, s.xa, &s.q, s.w, NULL, s.G, s.gb, 1.0, s.tmp);
            jvp_vjp_one(c, L, xi, s.xa, &s.q, s.xb, pi, s.G, s.gb, rho, s.tmp);
        }
    }
    const double reg = c->d.reg;
    double out = val - 0.5 * reg * norm2(theta_t, (size_t)c->p_layer);
    if (g) {
        to_theta_grad(c, s.G, s.gb, g);
        for (long j = 0; j < c->p_layer; j++) g[j] -= reg * theta_t[j];
    }
    return out;
}

static double neg_ham(void *vctx, const double *th, double *g)
{
    ham_ctx *h = vctx;
    double val = dyn_ctl_layer_hamiltonian(h->c, th, h->x, h->p, h->v, h->q, h->m, h->rho, g, h->scratch,
                                           h->scratch_len);
    for (long j = 0; j < h->c->p_layer; j++) g[j] = -g[j];
    return -val;
}

/* the read-out's objective for L-BFGS: mean Phi(A x_T + c) + reg/2 |(A, c)|^2 at fixed final states */
typedef struct ro_ctx {
    const dyn_ctl *c;
    const double *xT, *y;
    int m;
    double *scratch;
} ro_ctx;

static double readout_obj(void *vctx, const double *Ac, double *g)
{
    ro_ctx *r = vctx;
    const dyn_ctl *c = r->c;
    const int d = c->d.width, no = c->n_out;
    carve v = carve_scratch(c, r->scratch);
    memset(g, 0, sizeof(double) * (size_t)c->p_readout);
    double total = 0.0, inv = 1.0 / r->m;
    for (int i = 0; i < r->m; i++) {
        const double *x = r->xT + (size_t)i * d;
        total += terminal_one(c, Ac, x, r->y[i], v.z, v.dz, NULL);
        for (int q = 0; q < no; q++) {
            for (int j = 0; j < d; j++) g[(size_t)q * d + j] += inv * v.dz[q] * x[j];
            g[(size_t)no * d + q] += inv * v.dz[q];
        }
    }
    for (long q = 0; q < c->p_readout; q++) g[q] += c->d.reg * Ac[q];
    return total * inv + 0.5 * c->d.reg * norm2(Ac, (size_t)c->p_readout);
}

/* ------------------------------------------------------------------ training */

static void resolve_train(dyn_ctl_train_desc *d)
{
    if (d->lr == 0.0) d->lr = d->method == DYN_CTL_ADAM ? 0.005 : 0.1;
    if (d->beta1 == 0.0) d->beta1 = 0.9;
    if (d->beta2 == 0.0) d->beta2 = 0.999;
    if (d->eps == 0.0) d->eps = 1e-8;
    if (d->batch == 0 && d->method == DYN_CTL_SGD) d->batch = 10;
    if (d->rho == 0.0) d->rho = 1.0;
    if (d->inner_iters == 0) d->inner_iters = 10;
    if (d->lbfgs_m == 0) d->lbfgs_m = 5;
}

const char *dyn_ctl_train_why(const dyn_ctl *c, const dyn_ctl_train_desc *td)
{
    if (!c || !td) return "no descriptor";
    dyn_ctl_train_desc r = *td;
    resolve_train(&r);
    if ((int)r.method < 0 || r.method >= DYN_CTL_METHOD_COUNT) return "unknown method";
    if (bad(r.lr) || bad(r.beta1) || bad(r.beta2) || bad(r.eps) || bad(r.rho))
        return "lr, beta1, beta2, eps and rho must be finite numbers";
    if (!(r.lr > 0.0) || r.lr > 100.0) return "the learning rate must be in (0, 100]";
    if (r.beta1 < 0.0 || r.beta1 >= 1.0 || r.beta2 < 0.0 || r.beta2 >= 1.0) return "beta1 and beta2 must be in [0, 1)";
    if (!(r.eps > 0.0)) return "eps must be positive";
    if (r.batch < 0) return "the batch size must be positive";
    if (!(r.rho > 0.0) || r.rho > 1e6) return "rho must be in (0, 1e6]";
    if (r.inner_iters < 1 || r.inner_iters > 1000) return "inner iterations must be 1..1000";
    if (r.lbfgs_m < 1 || r.lbfgs_m > DYN_LBFGS_MAX_M) return "the L-BFGS history must be 1..32";
    return NULL;
}


static long maxl(long a, long b) { return a > b ? a : b; }

/* doubles of the workspace after the fixed arrays: layer scratch, L-BFGS scratch, one layer's controls and gradient */
static uint64_t work_doubles(const dyn_ctl *c, const dyn_ctl_train_desc *r)
{
    long pmax = maxl(c->p_layer, c->p_readout);
    size_t lb = dyn_lbfgs_scratch_doubles((int)pmax, r->lbfgs_m);
    size_t sd = dyn_ctl_scratch_doubles(c);
    if (!lb || !sd) return 0;
    return (uint64_t)lb + sd + 2u * (uint64_t)pmax;
}

static int batch_of(const dyn_ctl_train_desc *r, int n) { return (r->batch == 0 || r->batch >= n) ? n : r->batch; }

size_t dyn_ctl_train_bytes(const dyn_ctl *c, const dyn_ctl_train_desc *td, int n)
{
    if (!c || !td || n < 1 || n > DYN_DATA_MAX_N || dyn_ctl_train_why(c, td)) return 0;
    dyn_ctl_train_desc r = *td;
    resolve_train(&r);
    uint64_t B = (uint64_t)batch_of(&r, n), P = (uint64_t)c->n_params, d = (uint64_t)c->d.width;
    uint64_t w = work_doubles(c, &r);
    if (!w) return 0;
    uint64_t doubles = 4 * P + B * (uint64_t)c->d.n_in + B + 2 * ((uint64_t)c->d.layers + 1) * B * d +
                       (uint64_t)c->d.layers + w;
    return bytes_or_0(doubles * sizeof(double) + ((uint64_t)n * sizeof(int) + 7u) / 8u * 8u);
}

dyn_work dyn_ctl_train_work(const dyn_ctl *c, const dyn_ctl_train_desc *td, int n, double iters)
{
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    if (!c || !td || n < 1 || !(iters >= 0.0) || dyn_ctl_train_why(c, td)) return w;
    dyn_ctl_train_desc r = *td;
    resolve_train(&r);
    double B = batch_of(&r, n), k = c->k, sa = r.method == DYN_CTL_MSA || r.method == DYN_CTL_EMSA;
    double per = k * k * (10.0 + sa * 32.0 * (r.inner_iters + 1)) +
                 k * DYN_WORK_TRANSCENDENTAL * (6.0 + sa * 12.0 * (r.inner_iters + 1));
    w.ops = iters * (B * c->d.layers * per + 4.0 * B * c->n_out * c->d.width * (sa ? r.inner_iters + 2 : 1));
    w.bytes = (double)dyn_ctl_train_bytes(c, td, n);
    return w;
}

dyn_work dyn_ctl_forward_work(const dyn_ctl *c, double m, int tangent, int keep_states)
{
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    if (!c || !(m >= 0.0)) return w;
    double k = c->k;
    w.ops = m * c->d.layers * (k * k * (tangent ? 2.0 : 1.0) + k * DYN_WORK_TRANSCENDENTAL * (tangent ? 2.0 : 1.0));
    w.bytes = 8.0 * (double)dyn_ctl_scratch_doubles(c) +
              (keep_states ? 8.0 * (c->d.layers + 1.0) * m * c->d.width : 0.0);
    return w;
}

dyn_status dyn_ctl_train_init(dyn_ctl_train *t, const dyn_ctl *c, const dyn_ctl_train_desc *td, const dyn_data *data,
                              const double *theta0, void *mem, size_t bytes)
{
    if (!t || !c || !td || !data || !theta0 || !mem) return DYN_ERR_NULL;
    if (dyn_ctl_train_why(c, td)) {
        dyn_ctl_train_desc r = *td;
        resolve_train(&r);
        return (bad(r.lr) || bad(r.rho) || bad(r.beta1) || bad(r.beta2) || bad(r.eps)) ? DYN_ERR_NAN : DYN_ERR_RANGE;
    }
    dyn_status st = check_data(c, data);
    if (st) return st;
    for (long i = 0; i < (long)data->n * data->d; i++)
        if (bad(data->x[i])) return DYN_ERR_NAN;
    for (int i = 0; i < data->n; i++)
        if (!label_ok(c, data->y[i])) return bad(data->y[i]) ? DYN_ERR_NAN : DYN_ERR_RANGE;
    size_t need = dyn_ctl_train_bytes(c, td, data->n);
    if (!need) return DYN_ERR_SIZE;
    if (bytes < need) return DYN_ERR_BUFFER;
    const size_t P = (size_t)c->n_params;
    for (size_t i = 0; i < P; i++)
        if (bad(theta0[i])) return DYN_ERR_NAN;
    memset(t, 0, sizeof *t);
    t->c = *c;
    t->d = *td;
    resolve_train(&t->d);
    t->n = data->n;
    t->batch = batch_of(&t->d, data->n);
    const size_t B = (size_t)t->batch, S = ((size_t)c->d.layers + 1) * B * (size_t)c->d.width;
    double *p = mem;
    t->theta = p;
    t->m1 = p + P;
    t->m2 = t->m1 + P;
    t->grad = t->m2 + P;
    t->u = t->grad + P;
    t->y = t->u + B * (size_t)c->d.n_in;
    t->xs = t->y + B;
    t->ps = t->xs + S;
    t->hamil = t->ps + S;
    t->work = t->hamil + c->d.layers;
    t->work_len = (size_t)work_doubles(c, &t->d);
    t->perm = (int *)(t->work + t->work_len);
    memcpy(t->theta, theta0, sizeof(double) * P);
    memset(t->m1, 0, sizeof(double) * 3 * P);
    for (int i = 0; i < data->n; i++) t->perm[i] = i;
    t->pos = data->n; /* the first minibatch shuffles */
    dyn_rng_seed(&t->rng, t->d.seed);
    t->b1t = t->b2t = 1.0;
    return DYN_OK;
}

static void next_batch(dyn_ctl_train *t, const dyn_data *data)
{
    const int B = t->batch, nin = data->d;
    if (B < t->n && t->pos + B > t->n) { /* a fresh epoch: Fisher-Yates with the run's own stream */
        for (int i = t->n - 1; i > 0; i--) {
            int j = (int)dyn_rng_below(&t->rng, (uint64_t)(i + 1)), x = t->perm[i];
            t->perm[i] = t->perm[j];
            t->perm[j] = x;
        }
        t->pos = 0;
    }
    const int *idx = B < t->n ? t->perm + t->pos : t->perm;
    if (B < t->n) t->pos += B;
    for (int i = 0; i < B; i++) {
        int e = B < t->n ? idx[i] : i;
        memcpy(t->u + (size_t)i * nin, data->x + (size_t)e * nin, sizeof(double) * (size_t)nin);
        t->y[i] = data->y[e];
    }
}

/* The old states/costates against the new controls: E-MSA's two penalties, as root-mean-squares. */
static void feasibility(const dyn_ctl_train *t, double *fx, double *fp)
{
    const dyn_ctl *c = &t->c;
    const int d = c->d.width, T = c->d.layers, m = t->batch;
    carve v = carve_scratch(c, t->work);
    double sx = 0.0, sp = 0.0;
    for (int s = 0; s < T; s++) {
        lay L = layer_of(c, t->theta + (size_t)s * c->p_layer, v.Mbuf);
        memset(v.G, 0, sizeof(double) * ((size_t)c->k * c->k + (size_t)c->k)); /* vjp_one needs somewhere to add */
        for (int i = 0; i < m; i++) {
            const double *x = t->xs + ((size_t)s * m + i) * d, *xn = t->xs + ((size_t)(s + 1) * m + i) * d;
            const double *p = t->ps + ((size_t)s * m + i) * d, *pn = t->ps + ((size_t)(s + 1) * m + i) * d;
            step_one(c, L, x, v.xa, &v.q, 1);
            vjp_one(c, L, x, v.xa, &v.q, pn, v.gx, v.G, v.gb, 0.0, v.tmp);
            for (int j = 0; j < d; j++) {
                sx += sq(xn[j] - v.xa[j]);
                sp += sq(p[j] - v.gx[j]);
            }
        }
    }
    *fx = sqrt(sx / ((double)T * m));
    *fp = sqrt(sp / ((double)T * m));
}

dyn_status dyn_ctl_train_step(dyn_ctl_train *t, const dyn_data *data, dyn_ctl_report *rep)
{
    if (!t || !data) return DYN_ERR_NULL;
    if (data->n != t->n || data->d != t->c.d.n_in) return DYN_ERR_SIZE;
    const dyn_ctl *c = &t->c;
    const dyn_ctl_train_desc *d = &t->d;
    const int T = c->d.layers, m = t->batch, dw = c->d.width;
    const size_t P = (size_t)c->n_params, S = ((size_t)T + 1) * (size_t)m * dw, Pt = (size_t)c->p_layer;
    const size_t sd = dyn_ctl_scratch_doubles(c);
    double *scratch = t->work, *lb = t->work + sd;
    const size_t lb_len = dyn_lbfgs_scratch_doubles((int)maxl(c->p_layer, c->p_readout), d->lbfgs_m);
    double *th_old = lb + lb_len, *gtmp = th_old + maxl(c->p_layer, c->p_readout);
    next_batch(t, data);
    dyn_status st = dyn_ctl_forward(c, t->theta, t->u, m, t->xs, S, scratch, sd);
    if (st) return st;
    double loss;
    st = dyn_ctl_backward(c, t->theta, t->xs, t->y, m, t->ps, S, t->hamil, t->grad, &loss, scratch, sd);
    if (st == DYN_ERR_NAN || bad(loss)) {
        if (rep) rep->loss = rep->obj = (double)NAN;
        return DYN_ERR_NAN;
    }
    if (st) return st;
    dyn_ctl_report r = {0};
    if (rep) {
        r.layer_hgrad = rep->layer_hgrad;
        r.layer_gain = rep->layer_gain;
    }
    r.loss = loss;
    r.obj = loss + running_cost(c, t->theta);
    double hg = 0.0;
    for (int s = 0; s < T; s++) {
        double gs = norm2(t->grad + (size_t)s * Pt, Pt);
        hg += gs;
        if (r.layer_hgrad) r.layer_hgrad[s] = sqrt(gs);
    }
    r.hgrad = sqrt(hg);
    double *th = t->theta, *g = t->grad;
    if (d->method == DYN_CTL_MSA || d->method == DYN_CTL_EMSA) {
        dyn_lbfgs_desc ld = {.m = d->lbfgs_m, .max_iter = d->inner_iters};
        double rho = d->method == DYN_CTL_EMSA ? d->rho : 0.0;
        for (int s = 0; s < T; s++) {
            double *ths = th + (size_t)s * Pt;
            ham_ctx h = {c,
                         t->xs + (size_t)s * m * dw,
                         t->ps + (size_t)(s + 1) * m * dw,
                         rho > 0.0 ? t->xs + (size_t)(s + 1) * m * dw : NULL,
                         rho > 0.0 ? t->ps + (size_t)s * m * dw : NULL,
                         m,
                         rho,
                         scratch,
                         sd};
            double f0 = neg_ham(&h, ths, gtmp), f1 = f0;
            int its = 0;
            memcpy(th_old, ths, sizeof(double) * Pt);
            st = dyn_lbfgs_minimize(&ld, neg_ham, &h, ths, (int)Pt, &f1, &its, lb, lb_len);
            if (st) {
                memcpy(ths, th_old, sizeof(double) * Pt);
                return st;
            }
            if (r.layer_gain) r.layer_gain[s] = f0 - f1;
            r.inner += its;
        }
        if (c->p_readout) {
            ro_ctx ro = {c, t->xs + (size_t)T * m * dw, t->y, m, scratch};
            int its = 0;
            st = dyn_lbfgs_minimize(&ld, readout_obj, &ro, th + (size_t)T * Pt, (int)c->p_readout, NULL, &its, lb,
                                    lb_len);
            if (st) return st;
            r.inner += its;
        }
    } else {
        /* the gain of a gradient step: H_t(new) - H_t(old) at the old states and costates */
        double *hold = r.layer_gain;
        if (d->method == DYN_CTL_ADAM) {
            t->b1t *= d->beta1;
            t->b2t *= d->beta2;
            double c1 = 1.0 - t->b1t, c2 = 1.0 - t->b2t;
            for (size_t i = 0; i < P; i++) {
                t->m1[i] = d->beta1 * t->m1[i] + (1.0 - d->beta1) * g[i];
                t->m2[i] = d->beta2 * t->m2[i] + (1.0 - d->beta2) * g[i] * g[i];
                th[i] -= d->lr * (t->m1[i] / c1) / (sqrt(t->m2[i] / c2) + d->eps);
            }
        } else {
            for (size_t i = 0; i < P; i++) th[i] -= d->lr * g[i];
        }
        if (hold)
            for (int s = 0; s < T; s++) {
                double hn = dyn_ctl_layer_hamiltonian(c, th + (size_t)s * Pt, t->xs + (size_t)s * m * dw,
                                                      t->ps + (size_t)(s + 1) * m * dw, NULL, NULL, m, 0.0, gtmp,
                                                      scratch, sd);
                hold[s] = hn - t->hamil[s];
            }
    }
    t->iter++;
    if (rep) { /* bookkeeping for the report only: a run without one skips these passes */
        feasibility(t, &r.feas_x, &r.feas_p);
        *rep = r;
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ data */

dyn_status dyn_ctl_sin(int n, uint64_t seed, double noise, double *x, double *y)
{
    if (!x || !y) return DYN_ERR_NULL;
    if (bad(noise)) return DYN_ERR_NAN;
    if (n < 1 || n > DYN_DATA_MAX_N) return DYN_ERR_SIZE;
    if (noise < 0.0 || noise > 10.0) return DYN_ERR_RANGE;
    const double pi = 3.14159265358979323846;
    dyn_rng r;
    dyn_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        x[i] = -pi + 2.0 * pi * dyn_rng_uniform(&r);
        y[i] = dyn_sin(x[i]) + (noise > 0.0 ? noise * dyn_rng_normal(&r) : 0.0);
    }
    return DYN_OK;
}

uint64_t dyn_ctl_test_seed(uint64_t seed) { return seed + 1u; }

/* ------------------------------------------------------------------ names */

static const char *const ARCH_NAMES[DYN_CTL_ARCH_COUNT] = {"plain", "antisym", "hamiltonian"};
static const char *const METHOD_NAMES[DYN_CTL_METHOD_COUNT] = {"gd", "sgd", "adam", "msa", "emsa"};
static const char *const EMBED_NAMES[DYN_CTL_EMBED_COUNT] = {"auto", "pad", "repeat"};
static const char *const READOUT_NAMES[DYN_CTL_READOUT_COUNT] = {"auto", "fixed", "trained"};

static dyn_status parse_in(const char *const *names, int n, const char *name, int *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0) return *out = i, DYN_OK;
    return DYN_ERR_UNKNOWN_NAME;
}

#define NAME_FNS(type, lower, NAMES, COUNT)                                                                  \
    const char *dyn_ctl_##lower##_name(type v) { return ((int)v >= 0 && v < COUNT) ? NAMES[v] : NULL; }      \
    dyn_status dyn_ctl_##lower##_parse(const char *name, type *out)                                          \
    {                                                                                                        \
        int i = 0;                                                                                           \
        dyn_status st = parse_in(NAMES, COUNT, name, &i);                                                    \
        if (st == DYN_OK) *out = (type)i;                                                                    \
        return st;                                                                                           \
    }

NAME_FNS(dyn_ctl_arch, arch, ARCH_NAMES, DYN_CTL_ARCH_COUNT)
NAME_FNS(dyn_ctl_method, method, METHOD_NAMES, DYN_CTL_METHOD_COUNT)
NAME_FNS(dyn_ctl_embed, embed, EMBED_NAMES, DYN_CTL_EMBED_COUNT)
NAME_FNS(dyn_ctl_readout, readout, READOUT_NAMES, DYN_CTL_READOUT_COUNT)
