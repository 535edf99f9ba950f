/* test_net.c - the network against an independent per-example implementation, gradients and Hessian-vector products
 * against central finite differences, the parameter layout, and deterministic, resumable training. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data.h"
#include "net.h"
#include "rng.h"

/* ---------------------------------------------------------------- an independent reference
 * The textbook loop straight from the formulas in net.h, one example at a time, reading theta through the
 * documented layout (not through dyn_net's offsets). Also reports the smallest distance of a pre-activation to
 * a kink of relu / hard tanh, so finite differences are only taken where the loss is smooth. */
typedef struct arch {
    int n_in, n_out, depth, widths[8], skip;
    dyn_act act;
    dyn_loss loss;
} arch;

static double ref_loss(const arch *A, const double *th, const double *x, const double *y, int n, int n_class,
                       double *kink_dist)
{
    double h[64], hn[64], total = 0.0;
    int dims[10];
    dims[0] = A->n_in;
    for (int l = 1; l <= A->depth; l++) dims[l] = A->widths[l - 1];
    dims[A->depth + 1] = A->n_out;
    if (kink_dist) *kink_dist = 1e300;
    for (int e = 0; e < n; e++) {
        for (int k = 0; k < A->n_in; k++) h[k] = x[e * A->n_in + k];
        size_t off = 0;
        for (int l = 1; l <= A->depth + 1; l++) {
            int nin = dims[l - 1], nout = dims[l];
            const double *W = th + off, *b = th + off + (size_t)nout * nin;
            off += (size_t)nout * nin + nout;
            for (int i = 0; i < nout; i++) {
                double s = b[i];
                for (int j = 0; j < nin; j++) s += W[i * nin + j] * h[j];
                if (l <= A->depth) {
                    if (kink_dist && A->act == DYN_ACT_RELU) *kink_dist = fmin(*kink_dist, fabs(s));
                    if (kink_dist && A->act == DYN_ACT_HARD_TANH)
                        *kink_dist = fmin(*kink_dist, fmin(fabs(s - 1.0), fabs(s + 1.0)));
                    hn[i] = dyn_act_phi(A->act, s) + ((A->skip && l >= 2 && nin == nout) ? h[i] : 0.0);
                } else {
                    hn[i] = s;
                }
            }
            memcpy(h, hn, sizeof(double) * nout);
        }
        if (A->loss == DYN_LOSS_XENT) {
            double mx = h[0], s = 0.0;
            for (int k = 1; k < A->n_out; k++) mx = fmax(mx, h[k]);
            for (int k = 0; k < A->n_out; k++) s += exp(h[k] - mx);
            total += mx + log(s) - h[(int)y[e]];
        } else {
            for (int k = 0; k < A->n_out; k++) {
                double t = n_class ? (k == (int)y[e]) : y[e];
                total += 0.5 * (h[k] - t) * (h[k] - t);
            }
        }
    }
    return total / n;
}

static void make_net(const arch *A, dyn_net *net)
{
    dyn_net_desc d = {A->n_in, A->n_out, A->depth, 0, A->widths, A->act, A->skip, A->loss};
    CHECK(dyn_net_init(net, &d) == DYN_OK, "dyn_net_init");
}

/* ---------------------------------------------------------------- layout and forward */

static void test_layout(void)
{
    int widths[3] = {5, 5, 4};
    dyn_net_desc d = {3, 2, 3, 0, widths, DYN_ACT_TANH, 1, DYN_LOSS_XENT};
    dyn_net net;
    CHECK(dyn_net_init(&net, &d) == DYN_OK, "init");
    /* P = (5*3+5) + (5*5+5) + (4*5+4) + (2*4+2) by hand */
    CHECK(dyn_net_param_count(&net) == 20 + 30 + 24 + 10, "P = %zu", dyn_net_param_count(&net));
    CHECK(net.w_off[1] == 0 && net.b_off[1] == 15 && net.w_off[2] == 20 && net.b_off[2] == 45 && net.w_off[3] == 50 &&
              net.w_off[4] == 74 && net.b_off[4] == 82,
          "offsets");
    CHECK(!net.skip[1] && net.skip[2] && !net.skip[3], "skips only around equal widths past layer 1");
    dyn_net_desc e = d;
    e.widths = NULL;
    e.width = 0;
    CHECK(dyn_net_init(&net, &e) == DYN_OK && net.dim[1] == 32, "width 0 means 32");
    e.depth = DYN_NET_MAX_HIDDEN + 1;
    CHECK(dyn_net_init(&net, &e) == DYN_ERR_SIZE, "too deep");
    e = d;
    e.n_out = 1;
    CHECK(dyn_net_init(&net, &e) == DYN_ERR_RANGE, "xent needs 2 outputs");
    e = d;
    e.act = DYN_ACT_COUNT;
    CHECK(dyn_net_init(&net, &e) == DYN_ERR_RANGE, "bad activation");
    /* the sizes: 8 hidden layers of 256 */
    dyn_net_desc big = {64, 10, 8, 256, NULL, DYN_ACT_RELU, 1, DYN_LOSS_XENT};
    CHECK(dyn_net_init(&net, &big) == DYN_OK, "8 x 256");

    /* mean-field init: the sample variance of W^2 entries is sw2 / fan_in (256 x 256 = 65536 draws: 1 %) */
    double *th = malloc(sizeof(double) * net.n_params);
    CHECK(dyn_net_init_params(&net, 2.0, 0.05, 7, th, (size_t)net.n_params) == DYN_OK, "init params");
    double s = 0.0, sb = 0.0;
    for (long i = net.w_off[2]; i < net.b_off[2]; i++) s += th[i] * th[i];
    for (long i = net.b_off[2]; i < net.w_off[3]; i++) sb += th[i] * th[i];
    CHECK_NEAR(s / (256.0 * 256.0), 2.0 / 256.0, 0.02, 0, "Var W^2 = sw2 / fan_in");
    CHECK_NEAR(sb / 256.0, 0.05, 0.3, 0, "Var b^2 = sb2 (256 draws)");
    CHECK(dyn_net_init_params(&net, -1.0, 0.0, 7, th, (size_t)net.n_params) == DYN_ERR_RANGE, "negative sw2");
    CHECK(dyn_net_init_params(&net, NAN, 0.0, 7, th, (size_t)net.n_params) == DYN_ERR_NAN, "NaN sw2");
    free(th);
}

/* ---------------------------------------------------------------- gradients and HVPs against finite differences */

static void random_problem(const arch *A, uint64_t seed, double *th, int P, double *x, double *y, int n, int n_class)
{
    dyn_rng r;
    dyn_rng_seed(&r, seed);
    for (int i = 0; i < P; i++) th[i] = 0.7 * dyn_rng_normal(&r);
    for (int i = 0; i < n * A->n_in; i++) x[i] = dyn_rng_normal(&r);
    for (int i = 0; i < n; i++) y[i] = n_class ? (double)(dyn_rng_u64(&r) % (uint64_t)n_class) : dyn_rng_normal(&r);
}

static void test_gradients(void)
{
    static const arch shapes[3] = {
        {3, 3, 2, {4, 4}, 0, 0, 0},       /* plain */
        {3, 3, 3, {4, 4, 4}, 1, 0, 0},    /* skips around layers 2 and 3 */
        {3, 3, 3, {4, 5, 5}, 1, 0, 0},    /* a skip around layer 3 only (layer 2 changes width) */
    };
    enum { N = 7 };
    double worst_g = 0.0, worst_h = 0.0, worst_f = 0.0;
    int cases = 0;
    for (int a = 0; a < DYN_ACT_COUNT; a++)
        for (int lo = 0; lo < 3; lo++) /* xent, mse classification, mse regression */
            for (int sh = 0; sh < 3; sh++) {
                arch A = shapes[sh];
                A.act = (dyn_act)a;
                A.loss = lo == 0 ? DYN_LOSS_XENT : DYN_LOSS_MSE;
                int n_class = lo == 2 ? 0 : 3;
                if (lo == 2) A.n_out = 1;
                dyn_net net;
                make_net(&A, &net);
                int P = (int)net.n_params;
                double th[256], x[N * 3], y[N], g[256], hv[256], v[256], gp[256], gm[256], kink = 0.0;
                /* a problem whose pre-activations all stay 1e-3 away from kinks (relu, hard tanh) */
                uint64_t seed = 100 + 10 * a + lo;
                do random_problem(&A, seed++, th, P, x, y, N, n_class), ref_loss(&A, th, x, y, N, n_class, &kink);
                while (kink < 1e-3);
                dyn_data data = {N, 3, x, y, n_class};
                size_t ns = dyn_net_hvp_scratch_doubles(&net, N);
                double *s = malloc(sizeof(double) * ns), loss, loss_e;
                CHECK(dyn_net_grad(&net, th, &data, NULL, 0, &loss, g, s, ns) == DYN_OK, "grad");
                CHECK(dyn_net_eval(&net, th, &data, &loss_e, NULL, s, ns) == DYN_OK, "eval");
                double want = ref_loss(&A, th, x, y, N, n_class, NULL);
                worst_f = fmax(worst_f, fabs(loss - want) / fabs(want));
                CHECK(loss == loss_e, "grad's loss and eval's loss are the same bits");
                /* gradient vs central differences, step 1e-5 (error ~1e-10 h^2-term + 1e-11 rounding) */
                for (int i = 0; i < P; i++) {
                    double t = th[i], e = 1e-5;
                    th[i] = t + e;
                    double fp = ref_loss(&A, th, x, y, N, n_class, NULL);
                    th[i] = t - e;
                    double fm = ref_loss(&A, th, x, y, N, n_class, NULL);
                    th[i] = t;
                    double fd = (fp - fm) / (2 * e), err = fabs(g[i] - fd) / (1e-3 + fabs(fd));
                    worst_g = fmax(worst_g, err);
                    if (err > 1e-6)
                        CHECK(0, "%s loss %d shape %d: dL/dtheta[%d] = %.12g, finite difference %.12g",
                              dyn_act_name(A.act), lo, sh, i, g[i], fd);
                }
                /* H v vs central differences of exact gradients */
                dyn_rng r;
                dyn_rng_seed(&r, 9);
                for (int i = 0; i < P; i++) v[i] = dyn_rng_normal(&r);
                double g2[256];
                CHECK(dyn_net_hvp(&net, th, &data, NULL, 0, v, hv, g2, s, ns) == DYN_OK, "hvp");
                int same = 1;
                for (int i = 0; i < P; i++) same &= g2[i] == g[i];
                CHECK(same, "hvp's by-product gradient equals dyn_net_grad's bit for bit");
                double e = 1e-5, hn = 0.0, dn = 0.0;
                double tp[256], tm[256];
                for (int i = 0; i < P; i++) tp[i] = th[i] + e * v[i], tm[i] = th[i] - e * v[i];
                dyn_net_grad(&net, tp, &data, NULL, 0, NULL, gp, s, ns);
                dyn_net_grad(&net, tm, &data, NULL, 0, NULL, gm, s, ns);
                for (int i = 0; i < P; i++) {
                    double fd = (gp[i] - gm[i]) / (2 * e);
                    dn += (hv[i] - fd) * (hv[i] - fd);
                    hn += fd * fd;
                }
                double rel = sqrt(dn / (hn + 1e-30));
                worst_h = fmax(worst_h, rel);
                CHECK(rel < 1e-6, "%s loss %d shape %d: |Hv - FD| / |FD| = %.3g", dyn_act_name(A.act), lo, sh, rel);
                free(s);
                cases++;
            }
    printf("gradients: %d cases (7 activations x 3 losses x 3 skip settings); worst loss error vs reference %.2g, "
           "worst gradient error %.2g, worst Hv error %.2g\n",
           cases, worst_f, worst_g, worst_h);
    CHECK(worst_f < 1e-13, "forward vs the reference implementation: %.3g", worst_f);
}

/* minibatch gradients: idx selects examples; the mean over a partition's parts equals the full gradient */
static void test_minibatch(void)
{
    arch A = {3, 3, 2, {6, 6}, 1, DYN_ACT_TANH, DYN_LOSS_XENT};
    dyn_net net;
    make_net(&A, &net);
    int P = (int)net.n_params;
    enum { N = 12 };
    double th[256], x[N * 3], y[N], g[256], g1[256], g2[256];
    random_problem(&A, 5, th, P, x, y, N, 3);
    dyn_data data = {N, 3, x, y, 3};
    size_t ns = dyn_net_scratch_doubles(&net, N);
    double *s = malloc(sizeof(double) * ns);
    int i1[6] = {0, 2, 4, 6, 8, 10}, i2[6] = {1, 3, 5, 7, 9, 11};
    dyn_net_grad(&net, th, &data, NULL, 0, NULL, g, s, ns);
    dyn_net_grad(&net, th, &data, i1, 6, NULL, g1, s, ns);
    dyn_net_grad(&net, th, &data, i2, 6, NULL, g2, s, ns);
    double worst = 0.0;
    for (int i = 0; i < P; i++) worst = fmax(worst, fabs(0.5 * (g1[i] + g2[i]) - g[i]));
    CHECK(worst < 1e-15, "mean of two half-batch gradients = full gradient (%.3g)", worst);
    int badidx[2] = {0, N};
    CHECK(dyn_net_grad(&net, th, &data, badidx, 2, NULL, g, s, ns) == DYN_ERR_RANGE, "index out of range");
    y[3] = 3.0;
    CHECK(dyn_net_eval(&net, th, &data, g, NULL, s, ns) == DYN_ERR_RANGE, "label outside 0..n_out-1");
    CHECK(dyn_net_eval(&net, th, &data, g, NULL, s, ns - 1) == DYN_ERR_BUFFER, "small scratch");
    free(s);
}

/* ---------------------------------------------------------------- training */

typedef struct run {
    double *theta, last_loss, first_loss;
} run;

static double train(const dyn_net *net, const dyn_data *data, dyn_opt opt, int batch, uint64_t seed, int chunks,
                    int steps, double *theta_out, double *losses)
{
    size_t P = (size_t)net->n_params;
    double *th0 = malloc(sizeof(double) * P);
    dyn_net_init_params(net, 1.0, 0.0, 3, th0, P);
    dyn_train_desc td = {opt, 0, 0, 0, 0, 0, 1e-4, batch, seed};
    size_t bytes = dyn_train_bytes(net, &td, data->n);
    void *mem = malloc(bytes);
    dyn_train t;
    CHECK(dyn_train_init(&t, net, &td, data, th0, mem, bytes) == DYN_OK, "train init");
    int per = steps / chunks;
    for (int c = 0; c < chunks; c++) CHECK(dyn_train_run(&t, data, per, losses + c * per) == DYN_OK, "train run");
    CHECK(t.step == steps, "steps counted");
    memcpy(theta_out, t.theta, sizeof(double) * P);
    double sc = 0.0;
    size_t ns = dyn_net_scratch_doubles(net, data->n);
    double *s = malloc(sizeof(double) * ns), loss;
    dyn_net_eval(net, t.theta, data, &loss, &sc, s, ns);
    free(s);
    free(mem);
    free(th0);
    return loss;
}

static void test_training(void)
{
    enum { N = 200, STEPS = 1200 };
    double x[2 * N], y[N];
    int k;
    dyn_toy_desc td = {DYN_TOY_SPIRALS, N, 2, 0.05, 11};
    CHECK(dyn_data_toy(&td, x, 2 * N, y, N, &k) == DYN_OK, "spirals");
    dyn_data data = {N, 2, x, y, k};
    dyn_net_desc nd = {2, 2, 3, 24, NULL, DYN_ACT_TANH, 1, DYN_LOSS_XENT};
    dyn_net net;
    dyn_net_init(&net, &nd);
    size_t P = (size_t)net.n_params;
    double *a = malloc(sizeof(double) * P), *b = malloc(sizeof(double) * P), *c = malloc(sizeof(double) * P);
    double la[STEPS], lb[STEPS], lc[STEPS];
    double fa = train(&net, &data, DYN_OPT_ADAM, 20, 42, 1, STEPS, a, la);
    double fb = train(&net, &data, DYN_OPT_ADAM, 20, 42, 6, STEPS, b, lb); /* in 6 chunks of 200 */
    double fc = train(&net, &data, DYN_OPT_ADAM, 20, 43, 1, STEPS, c, lc);
    CHECK(memcmp(a, b, sizeof(double) * P) == 0 && memcmp(la, lb, sizeof la) == 0,
          "one run of 1200 steps = six chunks of 200, bit for bit");
    CHECK(memcmp(a, c, sizeof(double) * P) != 0, "another shuffling seed gives another path");
    double first = 0.0;
    for (int i = 0; i < 10; i++) first += la[i] / 10;
    printf("training: spirals, 3 x 24 tanh + skips, Adam, batch 20: loss %.4f -> %.4f (%.4f with another seed)\n",
           first, fa, fc);
    CHECK(fa < 0.5 * first && fc < 0.5 * first, "Adam halves the loss on spirals in 1200 steps: %.4f -> %.4f, %.4f",
          first, fa, fc);
    (void)fb;
    /* DYN_TRAIN_ZERO: an explicit momentum of 0 (0 itself means the default 0.9): the heavy-ball update with
     * mu = 0 is plain SGD, bit for bit */
    {
        dyn_train_desc t0 = {DYN_OPT_MOMENTUM, 0.05, DYN_TRAIN_ZERO, 0, 0, 0, 0, 20, 9}, t1 = t0;
        t1.opt = DYN_OPT_SGD;
        t1.momentum = 0;
        size_t bytes = dyn_train_bytes(&net, &t0, N);
        void *m0 = malloc(bytes), *m1 = malloc(bytes);
        dyn_train s0, s1;
        dyn_net_init_params(&net, 1.0, 0.0, 3, a, P);
        CHECK(dyn_train_init(&s0, &net, &t0, &data, a, m0, bytes) == DYN_OK && s0.d.momentum == 0.0, "momentum 0");
        CHECK(dyn_train_init(&s1, &net, &t1, &data, a, m1, bytes) == DYN_OK, "sgd");
        dyn_train_run(&s0, &data, 50, NULL);
        dyn_train_run(&s1, &data, 50, NULL);
        CHECK(memcmp(s0.theta, s1.theta, sizeof(double) * P) == 0, "momentum DYN_TRAIN_ZERO = sgd, bit for bit");
        t0.momentum = 0;
        CHECK(dyn_train_init(&s0, &net, &t0, &data, a, m0, bytes) == DYN_OK && s0.d.momentum == 0.9, "0: the default 0.9");
        t0.momentum = -0.5;
        CHECK(dyn_train_bytes(&net, &t0, N) == 0, "other negative momenta are out of range");
        free(m0);
        free(m1);
    }
    dyn_loss ls;
    CHECK(dyn_loss_parse("squared", &ls) == DYN_ERR_UNKNOWN_NAME && dyn_loss_parse("mse", &ls) == DYN_OK &&
              ls == DYN_LOSS_MSE, "loss names: exactly xent and mse");
    /* SGD, momentum, full batch: all descend on blobs */
    dyn_toy_desc bd = {DYN_TOY_BLOBS, N, 3, 0.0, 5};
    dyn_data_toy(&bd, x, 2 * N, y, N, &k);
    dyn_data blobs = {N, 2, x, y, k};
    dyn_net_desc nb = {2, 3, 1, 8, NULL, DYN_ACT_RELU, 0, DYN_LOSS_XENT};
    dyn_net_init(&net, &nb);
    for (int o = 0; o < DYN_OPT_COUNT; o++) {
        double l[200];
        double th[256];
        double f = train(&net, &blobs, (dyn_opt)o, 0, 1, 1, 200, th, l);
        CHECK(f < 0.3 * l[0], "%s full batch on blobs: %.4f -> %.4f", dyn_opt_name((dyn_opt)o), l[0], f);
    }
    /* errors */
    dyn_train_desc bad = {DYN_OPT_SGD, -1, 0, 0, 0, 0, 0, 0, 0};
    CHECK(dyn_train_bytes(&net, &bad, N) == 0, "negative learning rate");
    bad.lr = NAN;
    CHECK(dyn_train_bytes(&net, &bad, N) == 0, "NaN learning rate");
    dyn_net_desc lin = {2, 3, 1, 8, NULL, DYN_ACT_LINEAR, 0, DYN_LOSS_MSE}; /* GD on a quadratic with lr >> 2/lambda */
    dyn_net_init(&net, &lin);
    dyn_train_desc huge = {DYN_OPT_SGD, 90, 0, 0, 0, 0, 0, 0, 0};
    size_t bytes = dyn_train_bytes(&net, &huge, N);
    void *mem = malloc(bytes);
    double th[256], l[100];
    dyn_net_init_params(&net, 1.0, 0.0, 3, th, 256);
    dyn_train t;
    dyn_train_init(&t, &net, &huge, &blobs, th, mem, bytes);
    dyn_status st = dyn_train_run(&t, &blobs, 100, l);
    CHECK(st == DYN_ERR_NAN, "lr 90 diverges and says so (got %d after %ld steps)", st, t.step);
    free(mem);
    free(a);
    free(b);
    free(c);
}

static void test_grid2d(void)
{
    /* a linear 2-class model z = (0, x + y): class 1 where x + y > 0, probability sigmoid(x + y) */
    dyn_net_desc d = {2, 2, 0, 0, NULL, DYN_ACT_TANH, 0, DYN_LOSS_XENT};
    dyn_net net;
    dyn_net_init(&net, &d);
    double th[6] = {0, 0, 1, 1, 0, 0};
    float cls[9], conf[9];
    size_t ns = dyn_net_grid2d_scratch_doubles(&net, 3, 3);
    double *s = malloc(sizeof(double) * ns);
    CHECK(dyn_net_grid2d(&net, th, -1, 1, -1, 1, 3, 3, cls, conf, s, ns) == DYN_OK, "grid2d");
    /* top-left (-1, 1): x + y = 0 -> tie, class 0, p = 1/2; top-right (1, 1): 2 -> class 1, sigmoid(2) */
    CHECK(cls[0] == 0.0f && fabsf(conf[0] - 0.5f) < 1e-6f, "tie on the boundary");
    CHECK(cls[2] == 1.0f && fabs((double)conf[2] - 1.0 / (1.0 + exp(-2.0))) < 1e-6, "p = sigmoid(2) at (1, 1)");
    CHECK(cls[6] == 0.0f && fabs((double)conf[6] - 1.0 / (1.0 + exp(-2.0))) < 1e-6, "(-1, -1): class 0, sigmoid(2)");
    CHECK(dyn_net_grid2d(&net, th, 1, -1, -1, 1, 3, 3, cls, conf, s, ns) == DYN_ERR_RANGE, "empty range");
    free(s);
}

/* A training state copied to other memory (as a Web Worker hands it to another) and rebased resumes bit for bit
 * like the uninterrupted run; a damaged copy is refused before any pointer is used. The expected values are the
 * uninterrupted run's own (dyn_train_run is deterministic: test_training). */
static void test_rebase(void)
{
    enum { N = 120, STEPS = 300 };
    double x[2 * N], y[N];
    int k;
    dyn_toy_desc tdd = {.kind = DYN_TOY_MOONS, .n = N, .noise = 0.1, .seed = 5};
    CHECK(dyn_data_toy(&tdd, x, 2 * N, y, N, &k) == DYN_OK, "moons");
    dyn_data data = {.n = N, .d = 2, .x = x, .y = y, .n_class = k};
    dyn_net_desc nd = {.n_in = 2, .n_out = 2, .depth = 2, .width = 16, .act = DYN_ACT_TANH, .skip = 1};
    dyn_net net;
    CHECK(dyn_net_init(&net, &nd) == DYN_OK, "net");
    size_t P = (size_t)net.n_params;
    double *th0 = malloc(sizeof(double) * P), *ref = malloc(sizeof(double) * P);
    dyn_net_init_params(&net, 1.0, 0.0, 3, th0, P);
    dyn_train_desc td = {.opt = DYN_OPT_ADAM, .batch = 16, .seed = 8};
    size_t bytes = dyn_train_bytes(&net, &td, N);
    unsigned char *m0 = malloc(bytes), *m1 = malloc(bytes + 8), *m2 = malloc(bytes);
    dyn_train t, u, bad;
    CHECK(dyn_train_init(&t, &net, &td, &data, th0, m0, bytes) == DYN_OK, "init");
    CHECK(dyn_train_run(&t, &data, STEPS, NULL) == DYN_OK, "uninterrupted run");
    memcpy(ref, t.theta, sizeof(double) * P);
    CHECK(dyn_train_init(&t, &net, &td, &data, th0, m0, bytes) == DYN_OK, "init again");
    CHECK(dyn_train_run(&t, &data, STEPS / 3, NULL) == DYN_OK, "first third");
    u = t; /* the struct and its workspace copied elsewhere; the old memory is then scribbled over */
    memcpy(m1, m0, bytes);
    memset(m0, 0xA5, bytes);
    CHECK(dyn_train_rebase(&u, m1, bytes) == DYN_OK, "rebase");
    CHECK(u.theta == (double *)m1 && (unsigned char *)u.perm > m1 && (unsigned char *)u.perm < m1 + bytes,
          "pointers into the new workspace");
    CHECK(dyn_train_run(&u, &data, STEPS - STEPS / 3, NULL) == DYN_OK, "the rest");
    CHECK(memcmp(u.theta, ref, sizeof(double) * P) == 0, "resumed after a move = uninterrupted, bit for bit");
    /* damaged copies: each is refused with its code */
    memcpy(m2, m1, bytes);
    bad = u, bad.n = N + 1;
    CHECK(dyn_train_rebase(&bad, m2, bytes) != DYN_OK, "n changed (batch no longer matches, or bytes short)");
    bad = u, bad.net.dim[1] = 17;
    CHECK(dyn_train_rebase(&bad, m2, bytes) == DYN_ERR_SIZE, "a layer width that does not match the offsets");
    bad = u, bad.net.n_params += 1;
    CHECK(dyn_train_rebase(&bad, m2, bytes) == DYN_ERR_SIZE, "P that does not match the layout");
    bad = u, bad.net.depth = 99;
    CHECK(dyn_train_rebase(&bad, m2, bytes) == DYN_ERR_SIZE, "depth out of range");
    bad = u, bad.d.lr = (double)NAN;
    CHECK(dyn_train_rebase(&bad, m2, bytes) == DYN_ERR_NAN, "NaN step size");
    bad = u, bad.step = -1;
    CHECK(dyn_train_rebase(&bad, m2, bytes) == DYN_ERR_RANGE, "negative step count");
    bad = u, bad.pos = N + 1;
    CHECK(dyn_train_rebase(&bad, m2, bytes) == DYN_ERR_RANGE, "position past the permutation");
    bad = u, bad.b1t = (double)NAN;
    CHECK(dyn_train_rebase(&bad, m2, bytes) == DYN_ERR_RANGE, "NaN Adam power");
    bad = u;
    CHECK(dyn_train_rebase(&bad, m2, bytes - 8) == DYN_ERR_BUFFER, "workspace too small");
    CHECK(dyn_train_rebase(&bad, m1 + 4, bytes) == DYN_ERR_BUFFER, "misaligned workspace");
    bad = u;
    ((int *)(m2 + 4 * P * sizeof(double)))[7] = N; /* perm[7]: one past the last example */
    CHECK(dyn_train_rebase(&bad, m2, bytes) == DYN_ERR_RANGE, "a permutation entry that would index past the data");
    CHECK(dyn_train_rebase(NULL, m2, bytes) == DYN_ERR_NULL && dyn_train_rebase(&bad, NULL, bytes) == DYN_ERR_NULL,
          "NULL");
    free(th0), free(ref), free(m0), free(m1), free(m2);
}

int main(void)
{
    test_layout();
    test_gradients();
    test_minibatch();
    test_training();
    test_rebase();
    test_grid2d();
    return check_summary("test_net");
}
