/* lrcontrol.c - the learning rate as a control: schedules, moment ODE and recursion, Monte Carlo SGD, optimisation. */
#include "lrcontrol.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* ------------------------------------------------------------------ validation */

static int finite(double v) { return isfinite(v); }

/* The problem's numbers, with the batch folded into s2 (the only noise the dynamics see). */
typedef struct prob {
    int d;
    double eta;
    double a[DYN_LRC_MAX_D], s2[DYN_LRC_MAX_D], x0[DYN_LRC_MAX_D];
} prob;

static dyn_status load_problem(const dyn_lrc_problem *p, prob *q)
{
    if (!p || !p->a || !p->sigma2) return DYN_ERR_NULL;
    if (p->d < 1 || p->d > DYN_LRC_MAX_D) return DYN_ERR_SIZE;
    if (!finite(p->eta)) return DYN_ERR_NAN;
    if (!(p->eta > 0.0)) return DYN_ERR_RANGE;
    if (p->batch < 0) return DYN_ERR_RANGE;
    double b = p->batch ? (double)p->batch : 1.0;
    q->d = p->d;
    q->eta = p->eta;
    for (int i = 0; i < p->d; i++) {
        double a = p->a[i], s = p->sigma2[i], x = p->x0 ? p->x0[i] : 1.0;
        if (!finite(a) || !finite(s) || !finite(x)) return DYN_ERR_NAN;
        /* eta a < 2 keeps SGD at u = 1 stable; the moments then stay bounded under every schedule */
        if (!(a > 0.0) || !(s >= 0.0) || !(p->eta * a < 2.0)) return DYN_ERR_RANGE;
        if (s > DYN_LRC_MAX_VALUE || fabs(x) > DYN_LRC_MAX_VALUE) return DYN_ERR_RANGE;
        q->a[i] = a;
        q->s2[i] = s / b;
        q->x0[i] = x;
    }
    return DYN_OK;
}

static dyn_status check_schedule(const dyn_lrc_schedule *s, long steps)
{
    if (!s) return DYN_ERR_NULL;
    switch (s->kind) {
    case DYN_LRC_OPTIMAL:
    case DYN_LRC_DISCRETE:
        return DYN_OK;
    case DYN_LRC_CONST:
        if (!finite(s->value)) return DYN_ERR_NAN;
        return s->value >= 0.0 && s->value <= 1.0 ? DYN_OK : DYN_ERR_RANGE;
    case DYN_LRC_INV:
        if (!finite(s->value) || !finite(s->t0)) return DYN_ERR_NAN;
        return s->value >= 0.0 && s->t0 >= 0.0 ? DYN_OK : DYN_ERR_RANGE;
    case DYN_LRC_GIVEN:
    case DYN_LRC_DIRECT:
        if (!s->u) return DYN_ERR_NULL;
        if (s->n_u < steps || s->n_u < 1) return DYN_ERR_SIZE;
        for (long k = 0; k < steps; k++) {
            if (!finite(s->u[k])) return DYN_ERR_NAN;
            if (!(s->u[k] >= 0.0 && s->u[k] <= 1.0)) return DYN_ERR_RANGE;
        }
        return DYN_OK;
    default:
        return DYN_ERR_RANGE;
    }
}

/* ------------------------------------------------------------------ the rule: one place */

/* u for coordinate i. `k` is the step (GIVEN), t the time (INV), m the coordinate's second moment (feedback). */
static double rule(const prob *q, const dyn_lrc_schedule *s, int i, long k, double t, double m)
{
    double a = q->a[i], s2 = q->s2[i], eta = q->eta, v;
    switch (s->kind) {
    case DYN_LRC_OPTIMAL:
        /* minimises dm/dt = -2 a u m + eta u^2 s2 over [0, 1]; noiseless -> the full step */
        if (s2 <= 0.0) return 1.0;
        v = a * m / (eta * s2);
        return v < 1.0 ? v : 1.0;
    case DYN_LRC_DISCRETE:
        /* minimises m' = (1 - eta u a)^2 m + eta^2 u^2 s2 over [0, 1] */
        if (a * a * m + s2 <= 0.0) return 1.0;
        v = a * m / (eta * (a * a * m + s2));
        return v < 1.0 ? v : 1.0;
    case DYN_LRC_CONST:
        return s->value > 0.0 ? s->value : 1.0;
    case DYN_LRC_INV: {
        double c = s->value > 0.0 ? s->value : 1.0, den = t + s->t0;
        return den <= c ? 1.0 : c / den;
    }
    default: /* GIVEN, DIRECT: the last value holds past the end (only row N of the outputs reads it) */
        return s->u[k < s->n_u ? k : s->n_u - 1];
    }
}

static double loss_of(const prob *q, const double *m)
{
    double f = 0.0;
    for (int i = 0; i < q->d; i++) f += 0.5 * q->a[i] * m[i];
    return f;
}

dyn_status dyn_lrc_control(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long k, double t, const double *m,
                           double *u)
{
    prob q;
    dyn_status st = load_problem(p, &q);
    if (st != DYN_OK) return st;
    if (!m || !u) return DYN_ERR_NULL;
    if (k < 0) return DYN_ERR_SIZE;
    st = check_schedule(s, k + 1);
    if (st != DYN_OK) return st;
    if (!finite(t)) return DYN_ERR_NAN;
    if (t < 0.0) return DYN_ERR_RANGE;
    for (int i = 0; i < q.d; i++) {
        if (!finite(m[i])) return DYN_ERR_NAN;
        if (m[i] < 0.0) return DYN_ERR_RANGE;
    }
    for (int i = 0; i < q.d; i++) u[i] = rule(&q, s, i, k, t, m[i]);
    return DYN_OK;
}

/* ------------------------------------------------------------------ labels and parsing */

static const char *const KIND_NAME[DYN_LRC_KIND_COUNT] = {"optimal", "discrete", "const", "inv", "given", "direct"};

const char *dyn_lrc_schedule_label(const dyn_lrc_schedule *s, char *buf, size_t len)
{
    if (!buf || len == 0) return "?";
    if (!s || (unsigned)s->kind >= DYN_LRC_KIND_COUNT) {
        snprintf(buf, len, "?");
        return buf;
    }
    switch (s->kind) {
    case DYN_LRC_CONST: snprintf(buf, len, "const:%.6g", s->value > 0.0 ? s->value : 1.0); break;
    case DYN_LRC_INV:
        if (s->t0 > 0.0) snprintf(buf, len, "inv:%.6g:%.6g", s->value > 0.0 ? s->value : 1.0, s->t0);
        else snprintf(buf, len, "inv:%.6g", s->value > 0.0 ? s->value : 1.0);
        break;
    case DYN_LRC_DIRECT: snprintf(buf, len, "direct:%d", s->pieces); break;
    default: snprintf(buf, len, "%s", KIND_NAME[s->kind]); break;
    }
    return buf;
}

static void set_err(char *err, size_t len, const char *msg, const char *spec)
{
    if (err && len) snprintf(err, len, msg, spec);
}

/* a whole-string number; 0 if not */
static int parse_num(const char *s, size_t n, double *v)
{
    char b[64];
    if (n == 0 || n >= sizeof b) return 0;
    memcpy(b, s, n);
    b[n] = 0;
    char *end;
    *v = strtod(b, &end);
    return *end == 0 && finite(*v);
}

dyn_status dyn_lrc_schedule_parse(const char *spec, dyn_lrc_schedule *out, char *err, size_t err_len)
{
    if (!spec || !out) return DYN_ERR_NULL;
    memset(out, 0, sizeof *out);
    const char *colon = strchr(spec, ':');
    size_t head = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *rest = colon ? colon + 1 : NULL;
#define IS(name) (head == strlen(name) && strncmp(spec, name, head) == 0)
    if (IS("optimal") || IS("discrete") || IS("given")) {
        if (rest) {
            set_err(err, err_len, "schedule '%s': optimal, discrete and given take no parameter", spec);
            return DYN_ERR_RANGE;
        }
        out->kind = IS("optimal") ? DYN_LRC_OPTIMAL : IS("discrete") ? DYN_LRC_DISCRETE : DYN_LRC_GIVEN;
        return DYN_OK;
    }
    if (IS("const")) {
        double v;
        if (!rest || !parse_num(rest, strlen(rest), &v) || !(v > 0.0 && v <= 1.0)) {
            set_err(err, err_len, "schedule '%s': write const:U with a multiplier 0 < U <= 1", spec);
            return DYN_ERR_RANGE;
        }
        out->kind = DYN_LRC_CONST;
        out->value = v;
        return DYN_OK;
    }
    if (IS("inv")) {
        double c, t0 = 0.0;
        const char *c2 = rest ? strchr(rest, ':') : NULL;
        int ok = rest && parse_num(rest, c2 ? (size_t)(c2 - rest) : strlen(rest), &c) && c > 0.0;
        if (ok && c2) ok = parse_num(c2 + 1, strlen(c2 + 1), &t0) && t0 >= 0.0;
        if (!ok) {
            set_err(err, err_len, "schedule '%s': write inv:C or inv:C:T0 (u = min(1, C/(t + T0)), C > 0, T0 >= 0)", spec);
            return DYN_ERR_RANGE;
        }
        out->kind = DYN_LRC_INV;
        out->value = c;
        out->t0 = t0;
        return DYN_OK;
    }
    if (IS("direct")) {
        double k;
        if (!rest || !parse_num(rest, strlen(rest), &k) || k != floor(k) || k < 1 || k > DYN_LRC_MAX_PIECES) {
            set_err(err, err_len, "schedule '%s': write direct:K with K pieces, 1 <= K <= 1000", spec);
            return DYN_ERR_RANGE;
        }
        out->kind = DYN_LRC_DIRECT;
        out->pieces = (int)k;
        return DYN_OK;
    }
#undef IS
    set_err(err, err_len, "unknown schedule '%s'; choose optimal, discrete, const:U, inv:C[:T0], direct:K or given", spec);
    return DYN_ERR_UNKNOWN_NAME;
}

dyn_status dyn_lrc_steps(double eta, double T, long *steps)
{
    if (!steps) return DYN_ERR_NULL;
    if (!finite(eta) || !finite(T)) return DYN_ERR_NAN;
    if (!(eta > 0.0) || !(T > 0.0)) return DYN_ERR_RANGE;
    double n = floor(T / eta + 0.5);
    if (n < 1.0 || n > (double)DYN_LRC_MAX_STEPS) return DYN_ERR_SIZE;
    *steps = (long)n;
    return DYN_OK;
}

/* ------------------------------------------------------------------ moment ODE and recursion */

static dyn_status check_outputs(long steps, int d, const double *loss, size_t loss_len, const double *m, size_t m_len,
                                const double *u, size_t u_len)
{
    if (!loss) return DYN_ERR_NULL;
    size_t rows = (size_t)steps + 1;
    if (loss_len < rows) return DYN_ERR_BUFFER;
    if (m && m_len / (size_t)d < rows) return DYN_ERR_BUFFER;
    if (u && u_len / (size_t)d < rows) return DYN_ERR_BUFFER;
    return DYN_OK;
}

static dyn_status prepare(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long steps, prob *q)
{
    dyn_status st = load_problem(p, q);
    if (st != DYN_OK) return st;
    if (steps < 1 || steps > DYN_LRC_MAX_STEPS) return DYN_ERR_SIZE;
    return check_schedule(s, steps);
}

static void store_row(const prob *q, const dyn_lrc_schedule *s, long k, double t, const double *mk, double *loss,
                      double *m, double *u)
{
    size_t d = (size_t)q->d;
    loss[k] = loss_of(q, mk);
    if (m) memcpy(m + (size_t)k * d, mk, d * sizeof *mk);
    if (u)
        for (int i = 0; i < q->d; i++) u[(size_t)k * d + (size_t)i] = rule(q, s, i, k, t, mk[i]);
}

/* dm_i/dt for coordinate i in step k at time t */
static double rhs(const prob *q, const dyn_lrc_schedule *s, int i, long k, double t, double m)
{
    double u = rule(q, s, i, k, t, m);
    return -2.0 * q->a[i] * u * m + q->eta * u * u * q->s2[i];
}

dyn_status dyn_lrc_ode(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long steps, int substeps, double *loss,
                       size_t loss_len, double *m, size_t m_len, double *u, size_t u_len)
{
    prob q;
    dyn_status st = prepare(p, s, steps, &q);
    if (st != DYN_OK) return st;
    if (substeps < 0 || substeps > DYN_LRC_MAX_SUBSTEPS) return DYN_ERR_SIZE;
    st = check_outputs(steps, q.d, loss, loss_len, m, m_len, u, u_len);
    if (st != DYN_OK) return st;
    int ns = substeps ? substeps : 8;
    double h = q.eta / ns, mk[DYN_LRC_MAX_D];
    for (int i = 0; i < q.d; i++) mk[i] = q.x0[i] * q.x0[i];
    store_row(&q, s, 0, 0.0, mk, loss, m, u);
    for (long k = 0; k < steps; k++) {
        double tk = (double)k * q.eta;
        /* the coordinates are decoupled under every schedule (shared ones depend on t and k only) */
        for (int i = 0; i < q.d; i++) {
            double x = mk[i];
            for (int j = 0; j < ns; j++) {
                double t = tk + j * h;
                double k1 = rhs(&q, s, i, k, t, x);
                double k2 = rhs(&q, s, i, k, t + 0.5 * h, x + 0.5 * h * k1);
                double k3 = rhs(&q, s, i, k, t + 0.5 * h, x + 0.5 * h * k2);
                double k4 = rhs(&q, s, i, k, t + h, x + h * k3);
                x += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
                /* a second moment cannot be negative; RK4 may undershoot only by its truncation error */
                if (x < 0.0) x = 0.0;
            }
            mk[i] = x;
        }
        store_row(&q, s, k + 1, (double)(k + 1) * q.eta, mk, loss, m, u);
    }
    return DYN_OK;
}

dyn_status dyn_lrc_recursion(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long steps, double *loss,
                             size_t loss_len, double *m, size_t m_len, double *u, size_t u_len)
{
    prob q;
    dyn_status st = prepare(p, s, steps, &q);
    if (st != DYN_OK) return st;
    st = check_outputs(steps, q.d, loss, loss_len, m, m_len, u, u_len);
    if (st != DYN_OK) return st;
    double mk[DYN_LRC_MAX_D];
    for (int i = 0; i < q.d; i++) mk[i] = q.x0[i] * q.x0[i];
    store_row(&q, s, 0, 0.0, mk, loss, m, u);
    for (long k = 0; k < steps; k++) {
        double tk = (double)k * q.eta;
        for (int i = 0; i < q.d; i++) {
            double v = rule(&q, s, i, k, tk, mk[i]), g = 1.0 - q.eta * v * q.a[i];
            mk[i] = g * g * mk[i] + q.eta * q.eta * v * v * q.s2[i];
        }
        store_row(&q, s, k + 1, (double)(k + 1) * q.eta, mk, loss, m, u);
    }
    return DYN_OK;
}

dyn_status dyn_lrc_costates(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long steps, double *lambda,
                            size_t lambda_len, double *grad, size_t grad_len, double *loss_T)
{
    prob q;
    dyn_status st = prepare(p, s, steps, &q);
    if (st != DYN_OK) return st;
    if (!lambda || !grad) return DYN_ERR_NULL;
    size_t d = (size_t)q.d, rows = (size_t)steps + 1;
    if (lambda_len / d < rows || grad_len / d < (size_t)steps) return DYN_ERR_BUFFER;
    /* forward: the moments go into lambda's rows (row k is read once more, then overwritten by lambda(k)) */
    double *m = lambda;
    for (size_t i = 0; i < d; i++) m[i] = q.x0[i] * q.x0[i];
    for (long k = 0; k < steps; k++) {
        const double *mk = m + (size_t)k * d;
        double *mn = m + (size_t)(k + 1) * d;
        for (int i = 0; i < q.d; i++) {
            double v = rule(&q, s, i, k, (double)k * q.eta, mk[i]), g = 1.0 - q.eta * v * q.a[i];
            mn[i] = g * g * mk[i] + q.eta * q.eta * v * v * q.s2[i];
        }
    }
    if (loss_T) *loss_T = loss_of(&q, m + (size_t)steps * d);
    /* backward */
    for (int i = 0; i < q.d; i++) lambda[(size_t)steps * d + (size_t)i] = 0.5 * q.a[i];
    for (long k = steps - 1; k >= 0; k--) {
        double *row = lambda + (size_t)k * d;
        const double *next = lambda + (size_t)(k + 1) * d;
        for (int i = 0; i < q.d; i++) {
            double mk = row[i], v = rule(&q, s, i, k, (double)k * q.eta, mk), g = 1.0 - q.eta * v * q.a[i];
            grad[(size_t)k * d + (size_t)i] =
                next[i] * (-2.0 * q.eta * q.a[i] * g * mk + 2.0 * q.eta * q.eta * v * q.s2[i]);
            row[i] = next[i] * g * g;
        }
    }
    return DYN_OK;
}

/* ------------------------------------------------------------------ Monte Carlo SGD */

dyn_status dyn_lrc_simulate(const dyn_lrc_problem *p, const dyn_lrc_schedule *s, long steps, long runs, uint64_t seed,
                            double *mean, size_t mean_len, double *se, size_t se_len, int npaths, double *paths,
                            size_t paths_len)
{
    prob q;
    dyn_status st = prepare(p, s, steps, &q);
    if (st != DYN_OK) return st;
    if (!mean || !se) return DYN_ERR_NULL;
    if (runs < 2 || runs > DYN_LRC_MAX_RUNS) return DYN_ERR_SIZE;
    if ((double)runs * (double)steps * q.d > DYN_LRC_MAX_WORK) return DYN_ERR_SIZE;
    if (npaths < 0 || npaths > runs) return DYN_ERR_SIZE;
    size_t rows = (size_t)steps + 1;
    if (mean_len < rows || se_len < rows) return DYN_ERR_BUFFER;
    if (npaths > 0) {
        if (!paths) return DYN_ERR_NULL;
        if (paths_len / (size_t)npaths < rows) return DYN_ERR_BUFFER;
    }
    double sd[DYN_LRC_MAX_D], x[DYN_LRC_MAX_D], mk[DYN_LRC_MAX_D], v[DYN_LRC_MAX_D];
    for (int i = 0; i < q.d; i++) sd[i] = sqrt(q.s2[i]);
    /* Welford per time point, mean[] holding the running mean and se[] the running sum of squared deviations */
    for (size_t k = 0; k < rows; k++) mean[k] = se[k] = 0.0;
    dyn_rng rng;
    dyn_rng_seed(&rng, seed);
    for (long r = 0; r < runs; r++) {
        for (int i = 0; i < q.d; i++) {
            x[i] = q.x0[i];
            mk[i] = q.x0[i] * q.x0[i];
        }
        double inv_n = 1.0 / (double)(r + 1);
        for (long k = 0;; k++) {
            double f = 0.0;
            for (int i = 0; i < q.d; i++) f += 0.5 * q.a[i] * x[i] * x[i];
            double dev = f - mean[k];
            mean[k] += dev * inv_n;
            se[k] += dev * (f - mean[k]);
            if (r < npaths) paths[(size_t)r * rows + (size_t)k] = f;
            if (k == steps) break;
            /* the open-loop multipliers of this step: the same recursion as dyn_lrc_recursion, recomputed per
             * run (d numbers a step) so that no buffer of N x d values is needed */
            double tk = (double)k * q.eta;
            for (int i = 0; i < q.d; i++) {
                v[i] = rule(&q, s, i, k, tk, mk[i]);
                double g = 1.0 - q.eta * v[i] * q.a[i];
                mk[i] = g * g * mk[i] + q.eta * q.eta * v[i] * v[i] * q.s2[i];
            }
            for (int i = 0; i < q.d; i++) {
                double xi = sd[i] > 0.0 ? sd[i] * dyn_rng_normal(&rng) : 0.0;
                x[i] -= q.eta * v[i] * (q.a[i] * x[i] + xi);
            }
        }
    }
    double norm = 1.0 / ((double)(runs - 1) * (double)runs);
    for (size_t k = 0; k < rows; k++) se[k] = sqrt(se[k] * norm);
    return DYN_OK;
}

/* ------------------------------------------------------------------ closed form of the optimum */

dyn_status dyn_lrc_optimal_1d(double a, double s2, double eta, double m0, double t, double *m, double *u,
                              double *tstar)
{
    if (!finite(a) || !finite(s2) || !finite(eta) || !finite(m0) || !finite(t)) return DYN_ERR_NAN;
    if (!(a > 0.0) || !(s2 >= 0.0) || !(eta > 0.0) || !(m0 >= 0.0) || !(t >= 0.0)) return DYN_ERR_RANGE;
    double ts, mt, ut;
    if (s2 == 0.0) { /* no noise: full steps, pure decay */
        ts = (double)INFINITY;
        mt = m0 * exp(-2.0 * a * t);
        ut = 1.0;
    } else {
        double minf = eta * s2 / (2.0 * a), msw = 2.0 * minf; /* u = 1 stationary level; the switch level */
        double u0;
        if (m0 > msw) {
            ts = log(m0 / minf - 1.0) / (2.0 * a);
            u0 = 1.0;
        } else {
            ts = 0.0;
            u0 = a * m0 / (eta * s2);
        }
        if (t < ts) {
            mt = minf + (m0 - minf) * exp(-2.0 * a * t);
            ut = 1.0;
        } else if (u0 == 0.0) { /* m0 = 0: nothing to learn, never move */
            mt = 0.0;
            ut = 0.0;
        } else {
            ut = 1.0 / (1.0 / u0 + a * (t - ts));
            mt = eta * s2 * ut / a;
        }
    }
    if (m) *m = mt;
    if (u) *u = ut;
    if (tstar) *tstar = ts;
    return DYN_OK;
}

/* ------------------------------------------------------------------ direct optimisation */

size_t dyn_lrc_optimize_scratch_doubles(int d, int pieces)
{
    if (d < 1 || d > DYN_LRC_MAX_D || pieces < 1 || pieces > DYN_LRC_MAX_PIECES) return 0;
    return ((size_t)pieces + 1) * (size_t)d + (size_t)pieces;
}

/* one piece's exact map m -> e m + c for u held over time h */
static void piece_map(double a, double s2, double eta, double u, double h, double *e, double *c)
{
    double ee = exp(-2.0 * a * u * h);
    *e = ee;
    *c = u > 0.0 ? (1.0 - ee) * eta * u * s2 / (2.0 * a) : 0.0;
}

/* the terminal loss as a function of piece j's u, given m before it and the affine suffix maps (al, be) */
static double piece_loss(const prob *q, const double *mj, const double *al, const double *be, double u, double h)
{
    double f = 0.0;
    for (int i = 0; i < q->d; i++) {
        double e, c;
        piece_map(q->a[i], q->s2[i], q->eta, u, h, &e, &c);
        f += 0.5 * q->a[i] * (al[i] * (e * mj[i] + c) + be[i]);
    }
    return f;
}

dyn_status dyn_lrc_optimize(const dyn_lrc_problem *p, long steps, int pieces, int sweeps, double *u, size_t u_len,
                            double *loss_T, double *scratch, size_t scratch_len)
{
    prob q;
    dyn_status st = load_problem(p, &q);
    if (st != DYN_OK) return st;
    if (!u || !loss_T || !scratch) return DYN_ERR_NULL;
    if (steps < 1 || steps > DYN_LRC_MAX_STEPS) return DYN_ERR_SIZE;
    if (pieces < 1 || pieces > DYN_LRC_MAX_PIECES || pieces > steps) return DYN_ERR_SIZE;
    if (sweeps < 0 || sweeps > 10000) return DYN_ERR_SIZE;
    if (u_len < (size_t)steps) return DYN_ERR_BUFFER;
    if (scratch_len < dyn_lrc_optimize_scratch_doubles(q.d, pieces)) return DYN_ERR_BUFFER;
    long len = (steps + pieces - 1) / pieces;
    int np = (int)((steps + len - 1) / len); /* pieces actually used (<= pieces) */
    int d = q.d;
    double *pu = scratch, *pm = scratch + pieces; /* piece values; m before each piece, (np + 1) x d */
    for (int j = 0; j < np; j++) pu[j] = 1.0;
    double best = (double)INFINITY;
    int ns = sweeps ? sweeps : 60;
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    for (int sw = 0; sw < ns; sw++) {
        /* forward: m before every piece under the current values */
        for (int i = 0; i < d; i++) pm[i] = q.x0[i] * q.x0[i];
        for (int j = 0; j < np; j++) {
            double h = (double)((j + 1 < np ? len : steps - (long)j * len)) * q.eta;
            for (int i = 0; i < d; i++) {
                double e, c;
                piece_map(q.a[i], q.s2[i], q.eta, pu[j], h, &e, &c);
                pm[(size_t)(j + 1) * d + i] = e * pm[(size_t)j * d + i] + c;
            }
        }
        double before = loss_of(&q, pm + (size_t)np * d);
        /* backward: optimise piece j with the pieces after it (already updated) folded into (al, be) */
        double al[DYN_LRC_MAX_D], be[DYN_LRC_MAX_D];
        for (int i = 0; i < d; i++) al[i] = 1.0, be[i] = 0.0;
        double f = before;
        for (int j = np - 1; j >= 0; j--) {
            double h = (double)((j + 1 < np ? len : steps - (long)j * len)) * q.eta;
            const double *mj = pm + (size_t)j * d;
            double lo = 0.0, hi = 1.0, x1 = hi - gr * (hi - lo), x2 = lo + gr * (hi - lo);
            double f1 = piece_loss(&q, mj, al, be, x1, h), f2 = piece_loss(&q, mj, al, be, x2, h);
            while (hi - lo > 1e-12) {
                if (f1 <= f2) {
                    hi = x2, x2 = x1, f2 = f1;
                    x1 = hi - gr * (hi - lo);
                    f1 = piece_loss(&q, mj, al, be, x1, h);
                } else {
                    lo = x1, x1 = x2, f1 = f2;
                    x2 = lo + gr * (hi - lo);
                    f2 = piece_loss(&q, mj, al, be, x2, h);
                }
            }
            /* the search assumes one minimum; keep the best of its result, the bounds and the old value */
            double cand[4] = {0.5 * (lo + hi), 0.0, 1.0, pu[j]}, bu = pu[j], bf = (double)INFINITY;
            for (int c = 0; c < 4; c++) {
                double fc = piece_loss(&q, mj, al, be, cand[c], h);
                if (fc < bf) bf = fc, bu = cand[c];
            }
            pu[j] = bu;
            f = bf;
            for (int i = 0; i < d; i++) {
                double e, c;
                piece_map(q.a[i], q.s2[i], q.eta, bu, h, &e, &c);
                be[i] += al[i] * c;
                al[i] *= e;
            }
        }
        best = f;
        if (before - f <= 1e-15 * fabs(before)) break;
    }
    for (long k = 0; k < steps; k++) u[k] = pu[k / len];
    *loss_T = best;
    return DYN_OK;
}
