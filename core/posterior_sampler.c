/* posterior_sampler.c - constant-step, preconditioned, Langevin and momentum SGD as resumable chains (posterior.h). */
#include "posterior.h"

#include <math.h>
#include <string.h>

#include "linalg.h"
#include "act.h"
#include "posterior_impl.h"
#include "vec_internal.h" /* DYN_KERNEL */

static int bad(double v) { return isnan(v) || isinf(v); }

static const char *const SAMPLER_NAMES[DYN_POST_SAMPLER_COUNT] = {"sgd", "sgd-precond", "sgld", "momentum"};

const char *dyn_post_sampler_name(dyn_post_sampler_kind k)
{
    return (int)k >= 0 && k < DYN_POST_SAMPLER_COUNT ? SAMPLER_NAMES[k] : NULL;
}

dyn_status dyn_post_sampler_parse(const char *name, dyn_post_sampler_kind *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < DYN_POST_SAMPLER_COUNT; i++)
        if (strcmp(name, SAMPLER_NAMES[i]) == 0) {
            *out = (dyn_post_sampler_kind)i;
            return DYN_OK;
        }
    return DYN_ERR_UNKNOWN_NAME;
}

/* Byte counts stay below 2^31 so that they are exact in a 32-bit size_t (wasm32); computed in 64 bits first. */
#define BYTES_LIMIT ((uint64_t)1 << 31)

static uint64_t up8(uint64_t b) { return (b + 7) & ~(uint64_t)7; }

/* layout: theta, vel, grad, tmp (D each), h (D x D), idx (S ints), perm (N int32, epoch batching only) */
static uint64_t layout_bytes(int d, long batch, long n, int epoch)
{
    return sizeof(double) * (4 * (uint64_t)d + (uint64_t)d * (uint64_t)d) + up8(sizeof(int) * (uint64_t)batch) +
           (epoch ? up8(sizeof(int32_t) * (uint64_t)n) : 0);
}

/* operations of one example's gradient (work.h) */
static double example_ops(const dyn_post_model *m)
{
    if (m->kind == DYN_POST_LINREG) return 2.0 * m->d + 2.0;
    if (m->kind == DYN_POST_LOGISTIC) return 2.0 * m->d + DYN_WORK_TRANSCENDENTAL;
    return 4.0 * DYN_WORK_TRANSCENDENTAL; /* the mixture: two component densities */
}

dyn_work dyn_post_setup_work(const dyn_post_model *m)
{
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    if (!m || m->n < 1 || m->d < 1) return w;
    double n = m->n, d = m->d;
    /* linreg: the design check, A, BB^T and the exact posterior are a few passes; the others: damped Newton */
    double passes = m->kind == DYN_POST_LINREG ? 4.0 : 32.0;
    w.ops = passes * n * d * (d + example_ops(m)) + 4.0 * d * d * d;
    /* the 2-D quadrature: 65536 nodes, each a pass over the data (linreg's log posterior is a quadratic form) */
    if (m->d == 2) w.ops += 65536.0 * (m->kind == DYN_POST_LINREG ? 4.0 * DYN_WORK_TRANSCENDENTAL : n * example_ops(m));
    w.bytes = 8.0 * (n * (d + 1.0) + (double)dyn_post_scratch_doubles(m->d) + 6.0 * d * d);
    return w;
}

dyn_work dyn_post_run_work(const dyn_post_model *m, const dyn_post_sampler_desc *d, double steps, double keep)
{
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    if (!m || !d || m->n < 1 || m->d < 1 || !(steps >= 0.0) || !(keep >= 0.0)) return w;
    double D = m->d, S = d->batch > 0 ? d->batch : (m->n < 10 ? m->n : 10);
    double step = S * (example_ops(m) + D + DYN_WORK_TRANSCENDENTAL) + 4.0 * D;
    if (d->kind == DYN_POST_SGD_PRECOND) step += 2.0 * D * D;
    if (d->kind == DYN_POST_SGLD) step += D * DYN_WORK_TRANSCENDENTAL;
    w.ops = steps * step;
    w.bytes = 8.0 * (keep * D + 4.0 * D + D * D) + 4.0 * m->n;
    return w;
}

dyn_work dyn_post_diagnostics_work(int d, double keep)
{
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    if (d < 1 || !(keep >= 0.0)) return w;
    double series = d + 0.5 * d * (d + 1.0), lags = keep < DYN_POST_ESS_MAX_LAG ? keep : DYN_POST_ESS_MAX_LAG;
    w.ops = series * keep * (lags + 4.0);
    w.bytes = 8.0 * keep;
    return w;
}

size_t dyn_post_sampler_bytes(const dyn_post_model *m, const dyn_post_sampler_desc *d)
{
    if (!m || !d) return 0;
    if (m->n < 1 || m->n > DYN_POST_MAX_N) return 0;
    int dim = post_params_of(m).d;
    long b = post_batch_of(d->batch, m->n);
    if (dim < 1 || dim > DYN_POST_MAX_D || b < 1 || b > m->n) return 0;
    uint64_t need = layout_bytes(dim, b, m->n, d->batching == DYN_POST_BATCH_EPOCH);
    return need < BYTES_LIMIT ? (size_t)need : 0;
}

dyn_status dyn_post_sampler_init(dyn_post_sampler *s, const dyn_post_model *m, const dyn_post_sampler_desc *d,
                                 void *mem, size_t bytes)
{
    if (!s || !m || !d || !mem) return DYN_ERR_NULL;
    dyn_status st = dyn_post_model_check(m, NULL);
    if (st) return st;
    if ((int)d->kind < 0 || d->kind >= DYN_POST_SAMPLER_COUNT) return DYN_ERR_RANGE;
    if ((int)d->batching < 0 || d->batching > DYN_POST_BATCH_EPOCH) return DYN_ERR_RANGE;
    if (bad(d->eps) || bad(d->momentum) || bad(d->sgld_b) || bad(d->sgld_gamma)) return DYN_ERR_NAN;
    if (!(d->eps > 0.0)) return DYN_ERR_RANGE;
    if (d->kind == DYN_POST_MOMENTUM && (d->momentum < 0.0 || d->momentum >= 1.0)) return DYN_ERR_RANGE;
    if (d->kind == DYN_POST_SGLD && (d->sgld_b < 0.0 || d->sgld_gamma < 0.0 || d->sgld_gamma > 1.0))
        return DYN_ERR_RANGE;
    post_params pp = post_params_of(m);
    int dim = pp.d;
    long b = post_batch_of(d->batch, m->n);
    if (b < 1 || b > m->n) return DYN_ERR_SIZE;
    if (d->kind == DYN_POST_SGD_PRECOND && !d->precond) return DYN_ERR_NULL;
    uint64_t need = layout_bytes(dim, b, m->n, d->batching == DYN_POST_BATCH_EPOCH);
    if (need >= BYTES_LIMIT) return DYN_ERR_SIZE;
    if ((uint64_t)bytes < need) return DYN_ERR_BUFFER;
    size_t dd = (size_t)dim * dim;
    if (d->start)
        for (int j = 0; j < dim; j++)
            if (bad(d->start[j])) return DYN_ERR_NAN;
    if (d->kind == DYN_POST_SGD_PRECOND) {
        for (size_t k = 0; k < dd; k++)
            if (bad(d->precond[k])) return DYN_ERR_NAN;
        for (int i = 0; i < dim; i++)
            for (int j = 0; j < i; j++) {
                double a = d->precond[(size_t)i * dim + j], c = d->precond[(size_t)j * dim + i];
                if (fabs(a - c) > 1e-12 * (fabs(a) + fabs(c))) return DYN_ERR_RANGE;
            }
    }
    memset(s, 0, sizeof *s);
    s->m = m;
    s->kind = d->kind;
    s->batching = d->batching;
    s->d = dim;
    s->n = m->n;
    s->batch = (int)b;
    s->eps = d->eps;
    s->momentum = post_momentum_of(d->momentum);
    s->sgld_b = d->sgld_b > 0.0 ? d->sgld_b : 1.0;
    s->sgld_gamma = d->sgld_gamma;
    s->noise_var = pp.s2;
    s->prior_var = pp.t2;
    s->prior_var2 = pp.t2b;
    double *p = mem;
    s->theta = p;
    s->vel = p + dim;
    s->grad = p + 2 * dim;
    s->tmp = p + 3 * dim;
    s->h = p + 4 * dim;
    s->idx = (int *)(void *)(p + 4 * dim + dd);
    s->perm = d->batching == DYN_POST_BATCH_EPOCH
                  ? (int32_t *)(void *)((char *)s->idx + (size_t)up8(sizeof(int) * (uint64_t)b))
                  : NULL;
    for (int j = 0; j < dim; j++) {
        s->theta[j] = d->start ? d->start[j] : 0.0;
        s->vel[j] = 0.0;
    }
    if (d->kind == DYN_POST_SGD_PRECOND) {
        memcpy(s->h, d->precond, sizeof(double) * dd);
        /* H must be positive definite, or "preconditioned" SGD climbs: factor it in place, then restore it */
        if (dyn_la_cholesky(dim, s->h, s->h, NULL) != DYN_OK) return DYN_ERR_RANGE;
        memcpy(s->h, d->precond, sizeof(double) * dd);
    } else {
        memset(s->h, 0, sizeof(double) * dd);
    }
    if (s->perm) {
        for (long i = 0; i < m->n; i++) s->perm[i] = (int32_t)i;
        s->pos = m->n; /* the first step shuffles */
    }
    dyn_rng_seed(&s->rng, d->seed);
    s->t = 0;
    return DYN_OK;
}

long dyn_post_sampler_count(const dyn_post_sampler *s, long steps, int thin)
{
    if (!s || steps < 0 || thin < 1) return 0;
    return (long)((s->t + steps) / thin - s->t / thin);
}

dyn_status dyn_post_sampler_set_theta(dyn_post_sampler *s, const double *theta)
{
    if (!s || !theta) return DYN_ERR_NULL;
    for (int j = 0; j < s->d; j++)
        if (bad(theta[j])) return DYN_ERR_NAN;
    for (int j = 0; j < s->d; j++) {
        s->theta[j] = theta[j];
        s->vel[j] = 0.0;
    }
    return DYN_OK;
}

static void draw_batch(dyn_post_sampler *s)
{
    int b = s->batch;
    if (!s->perm) {
        for (int k = 0; k < b; k++) s->idx[k] = (int)dyn_rng_below(&s->rng, (uint64_t)s->n);
        return;
    }
    if (s->pos + b > s->n) { /* a new epoch: Fisher-Yates */
        for (long i = s->n - 1; i > 0; i--) {
            long j = (long)dyn_rng_below(&s->rng, (uint64_t)i + 1);
            int32_t t = s->perm[i];
            s->perm[i] = s->perm[j];
            s->perm[j] = t;
        }
        s->pos = 0;
    }
    for (int k = 0; k < b; k++) s->idx[k] = s->perm[s->pos + k];
    s->pos += b;
}

/* the minibatch mean gradient g_S at theta, prior share included (d == s->d) */
DYN_KERNEL void batch_grad(dyn_post_sampler *s, const int d)
{
    const dyn_post_model *m = s->m;
    int b = s->batch;
    double *g = s->grad, *th = s->theta;
    for (int j = 0; j < d; j++) g[j] = 0.0;
    if (m->kind == DYN_POST_MIXTURE) {
        for (int k = 0; k < b; k++) {
            dyn_post_example_grad(m, s->idx[k], th, s->tmp);
            for (int j = 0; j < d; j++) g[j] += s->tmp[j];
        }
        for (int j = 0; j < d; j++) g[j] /= b;
        return;
    }
    int lin = m->kind == DYN_POST_LINREG;
    for (int k = 0; k < b; k++) {
        const double *xi = m->x + (size_t)s->idx[k] * d;
        double z = 0.0;
        for (int j = 0; j < d; j++) z += xi[j] * th[j];
        double yi = m->y[s->idx[k]], c;
        if (lin) c = z - yi;
        else c = dyn_act_phi(DYN_ACT_SIGMOID, z) - yi; /* act.c's kernel: the same bits natively and in WASM */
        for (int j = 0; j < d; j++) g[j] += c * xi[j];
    }
    double sc = lin ? 1.0 / (b * s->noise_var) : 1.0 / b, pr = 1.0 / ((double)s->n * s->prior_var);
    for (int j = 0; j < d; j++) g[j] = sc * g[j] + pr * th[j];
}

/* One step of the chain in dimension d (== s->d); 0 when theta left the finite range. Inlined into the run loop
 * twice: once with d = 2, the page's contour plots, where every loop over d then unrolls into straight code. Emcc's
 * loops over a runtime d of 2 (vectorised with alias checks and a remainder loop, then compiled by the browser) ran
 * WASM at 0.6 of native; with the constant, 0.8 to 1.0 (GCC's code gains about 10 %). The same operations in the
 * same order either way: the bits do not change. */
DYN_KERNEL int one_step(dyn_post_sampler *s, const int d)
{
    double *th = s->theta, *g = s->grad, *v = s->vel;
    draw_batch(s);
    batch_grad(s, d);
    switch (s->kind) {
    case DYN_POST_SGD:
        for (int j = 0; j < d; j++) th[j] -= s->eps * g[j];
        break;
    case DYN_POST_SGD_PRECOND:
        for (int i = 0; i < d; i++) {
            const double *hi = s->h + (size_t)i * d;
            double a = 0.0;
            for (int j = 0; j < d; j++) a += hi[j] * g[j];
            s->tmp[i] = a;
        }
        for (int j = 0; j < d; j++) th[j] -= s->eps * s->tmp[j];
        break;
    case DYN_POST_SGLD: {
        double e = s->sgld_gamma > 0.0 ? s->eps * pow(s->sgld_b + (double)s->t, -s->sgld_gamma) : s->eps;
        double drift = 0.5 * e * (double)s->n, sd = sqrt(e);
        for (int j = 0; j < d; j++) th[j] += -drift * g[j] + sd * dyn_rng_normal(&s->rng);
        break;
    }
    default: /* DYN_POST_MOMENTUM */
        for (int j = 0; j < d; j++) {
            v[j] = s->momentum * v[j] - s->eps * g[j];
            th[j] += v[j];
        }
        break;
    }
    s->t++;
    for (int j = 0; j < d; j++)
        if (!(fabs(th[j]) <= 1e150)) return 0;
    return 1;
}

dyn_status dyn_post_sampler_run(dyn_post_sampler *s, long steps, int thin, double *out, size_t out_len,
                                long *written)
{
    if (written) *written = 0;
    if (!s) return DYN_ERR_NULL;
    if (steps < 0 || thin < 1) return DYN_ERR_SIZE;
    int d = s->d;
    if (out && out_len < (size_t)d * (size_t)dyn_post_sampler_count(s, steps, thin)) return DYN_ERR_BUFFER;
    long w = 0;
    for (long k = 0; k < steps; k++) {
        if (!(d == 2 ? one_step(s, 2) : one_step(s, d))) {
            if (written) *written = w;
            return DYN_ERR_NO_CONVERGE;
        }
        /* kept iterates are counted whether or not out is NULL, so written means the same on every path */
        if (s->t % thin == 0) {
            if (out) memcpy(out + (size_t)w * d, s->theta, sizeof(double) * (size_t)d);
            w++;
        }
    }
    if (written) *written = w;
    return DYN_OK;
}
