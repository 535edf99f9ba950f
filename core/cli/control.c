/* control.c - "dynlens control ...": training as optimal control (residual nets, Pontryagin, MSA/E-MSA), over core/control. */
#include <string.h>

#include "cli.h"
#include "control.h"
#include "data.h"
#include "figure.h"

const char CLI_CONTROL_HELP[] =
    "control commands (training as optimal control: Li, Chen, Tai and E 2018; E 2017; Haber and Ruthotto 2017):\n"
    "  train     train a residual net x_{t+1} = x_t + delta f(x_t, theta_t) by gd, sgd, adam, msa or emsa; write the\n"
    "            controls, states, costates, per-layer Hamiltonians, the history and figures (NPY, CSV, JSON, PNG)\n"
    "  compare   several methods from one initialisation on one problem: loss against iteration and time (PNG, CSV)\n"
    "  flow      2-D data carried through the layers: a PNG strip of the points at chosen layers over the decision\n"
    "            regions, and whether each step is invertible\n"
    "  stability the growth of an input perturbation over depth at random initialisation: plain, antisymmetric and\n"
    "            Hamiltonian layers, against the mean-field prediction from chi_1 (PNG, JSON)\n"
    "  lr        the learning rate as a control (Li, Tai and E 2017): SGD on a noisy quadratic, the SME moment ODE,\n"
    "            the optimal feedback schedule against constant and 1/t schedules, Monte Carlo SGD (control_lr.c)\n"
    "The defaults are Li et al.'s toy problem: sin(x) on [-pi, pi], 100 training and 100 test points, width 5, 20\n"
    "layers, delta 0.25, tanh, reg 1e-3, zero initialisation, E-MSA with rho 1 and 10 L-BFGS iterations per layer.\n";

/* ------------------------------------------------------------------ options shared by the commands */

#define CTL_OPTS                                                                                                    \
    {"data", "sin", "sin (regression), spirals, moons, circles, xor, blobs, or a CSV file", 0, 0},                 \
    {"n", "100", "training examples of a generated set", 0, 0},                                                    \
    {"test-n", "100", "test examples of a generated set (drawn with the next seed)", 0, 0},                        \
    {"noise", "-1", "noise of a generated set (standard deviation; -1: 0 for sin, 0.1 for the 2-D sets)", 0, 0},   \
    {"classes", "0", "classes of spirals/blobs (0: 2 / 3)", 0, 0},                                                 \
    {"data-seed", "1", "seed of a generated set", 0, 0},                                                           \
    {"task", "classify", "CSV: classify (last column a label) or regress (a target)", 0, 0},                       \
    {"test", NULL, "CSV test set (with --data FILE.csv)", 0, 0},                                                   \
    {"layers", "20", "residual layers T (1..1000)", 0, 0}, {"width", "5", "state width d (1..256)", 0, 0},          \
    {"delta", "0.25", "step size delta of x_{t+1} = x_t + delta f", 0, 0},                                        \
    {"act", "tanh", "activation phi: tanh, relu, hard_tanh, erf, linear, sigmoid, swish", 0, 0},                   \
    {"arch", "plain", "plain (phi(W x + b)), antisym (W = K - K^T - gamma I) or hamiltonian (Verlet, two halves)", 0, 0}, \
    {"gamma", "0", "antisym: damping gamma >= 0", 0, 0},                                                           \
    {"embed", "auto", "input to state: pad (zeros after the input), repeat, or auto (repeat for 1 input)", 0, 0},  \
    {"readout", "auto", "fixed (sum / one unit per class), trained (A x_T + c), or auto (fixed for regression)", 0, 0}, \
    {"reg", "1e-3", "running cost reg/2 |theta_t|^2", 0, 0},                                                       \
    {"init", "zero", "zero (Li et al.) or normal (matrices ~ N(0, sw2/k), biases ~ N(0, sb2))", 0, 0},             \
    {"sw2", "1", "--init normal: weight variance", 0, 0}, {"sb2", "0", "--init normal: bias variance", 0, 0},      \
    {"rho", "1", "emsa: the penalty rho", 0, 0},                                                                   \
    {"inner", "10", "msa/emsa: L-BFGS iterations per layer", 0, 0},                                                \
    {"lr", "0", "gd/sgd step (0: 0.1)", 0, 0}, {"adam-lr", "0.005", "adam step", 0, 0},                            \
    {"batch", "0", "examples per iteration (0: all; sgd: 10)", 0, 0},                                              \
    {"iters", "50", "iterations (msa/emsa: sweeps over the layers; gd/sgd/adam: steps)", 0, 0},                    \
    {"seed", "1", "seed of the initialisation and the minibatches", 0, 0},                                        \
    {"png-size", "960x720", "PNG size in px", 0, 0}, BUDGET_OPTS

typedef struct problem {
    double *x, *y, *tx, *ty;
    dyn_data train, test; /* test.n == 0: none */
    char name[64];
    dyn_ctl c;
    double sw2, sb2;
    int zero_init;
    uint64_t seed;
    int iters;
    png_opts png;
    uint8_t *font;
    size_t font_len;
} problem;

/* a command's own defaults for shared options: name, value pairs, NULL-terminated */
static void set_defaults(opt *o, const char *const *kv)
{
    for (; *kv; kv += 2)
        for (opt *q = o; q->name; q++)
            if (strcmp(q->name, kv[0]) == 0) q->value = kv[1];
}

static void gen(const char *name, int n, double noise, int classes, uint64_t seed, double **x, double **y, dyn_data *d)
{
    if (strcmp(name, "sin") == 0) {
        *x = xmalloc(sizeof(double) * n, "the data");
        *y = xmalloc(sizeof(double) * n, "the data");
        check(dyn_ctl_sin(n, seed, noise < 0 ? 0.0 : noise, *x, *y), "generating sin data");
        *d = (dyn_data){.n = n, .d = 1, .x = *x, .y = *y, .n_class = 0};
        return;
    }
    dyn_toy toy;
    check(dyn_toy_parse(name, &toy), "the data set");
    dyn_toy_desc td = {.kind = toy, .n = n, .classes = classes, .noise = noise < 0 ? 0.1 : noise, .seed = seed};
    *x = xmalloc(sizeof(double) * 2 * n, "the data");
    *y = xmalloc(sizeof(double) * n, "the data");
    int nc;
    dyn_status s = dyn_data_toy(&td, *x, 2 * (size_t)n, *y, (size_t)n, &nc);
    if (s == DYN_ERR_RANGE)
        die("--classes: %s takes %s", name,
            toy == DYN_TOY_SPIRALS ? "2..8 classes" : toy == DYN_TOY_BLOBS ? "2..16 classes" : "only 2 classes");
    if (s == DYN_ERR_SIZE) die("--n/--test-n: %d examples are too few for the classes", n);
    check(s, "generating the data");
    *d = (dyn_data){.n = n, .d = 2, .x = *x, .y = *y, .n_class = nc};
}

static void read_csv(const char *path, int classify, double **x, double **y, dyn_data *d)
{
    dyn_csv_info info = read_csv_file(path, classify, NULL, x, y);
    *d = (dyn_data){.n = info.rows, .d = info.cols, .x = *x, .y = *y, .n_class = info.n_class};
}

static void load(const cmd *c, problem *p)
{
    const char *name = get(c, "data");
    dyn_toy toy;
    if (strcmp(name, "sin") == 0 || dyn_toy_parse(name, &toy) == DYN_OK) {
        int n = (int)get_int(c, "n", 2, 100000), tn = (int)get_int(c, "test-n", 0, 100000);
        int k = (int)get_int(c, "classes", 0, 16);
        double noise = get_num(c, "noise");
        if (noise != -1.0 && (noise < 0.0 || noise > 10.0)) die("--noise: %g is out of range [0, 10] (-1: default)", noise);
        uint64_t seed = (uint64_t)get_int(c, "data-seed", 0, 0x7fffffffL);
        gen(name, n, noise, k, seed, &p->x, &p->y, &p->train);
        if (tn > 0) gen(name, tn, noise, k, dyn_ctl_test_seed(seed), &p->tx, &p->ty, &p->test);
        snprintf(p->name, sizeof p->name, "%s", name);
        if (get(c, "test")) die("--test: a test file goes with --data FILE.csv; %s makes its own test set", name);
        return;
    }
    size_t l = strlen(name);
    if (!(l > 4 && (strcmp(name + l - 4, ".csv") == 0 || (l > 7 && strcmp(name + l - 7, ".csv.gz") == 0))))
        die("--data: unknown data set '%s'; choose sin, spirals, moons, circles, xor, blobs or a .csv file", name);
    const char *task = get(c, "task");
    if (strcmp(task, "classify") && strcmp(task, "regress")) die("--task: choose classify or regress, not '%s'", task);
    int classify = strcmp(task, "classify") == 0;
    read_csv(name, classify, &p->x, &p->y, &p->train);
    if (get(c, "test")) {
        read_csv(get(c, "test"), classify, &p->tx, &p->ty, &p->test);
        if (p->test.d != p->train.d)
            die("--test: %d features, but the training file has %d", p->test.d, p->train.d);
        if (classify && p->test.n_class > p->train.n_class)
            die("--test: %d classes, but the training file has %d", p->test.n_class, p->train.n_class);
        p->test.n_class = p->train.n_class;
    }
    snprintf(p->name, sizeof p->name, "csv");
}

static dyn_ctl_desc ctl_desc(const cmd *c, const problem *p)
{
    dyn_ctl_desc d = {.n_in = p->train.d,
                      .n_class = p->train.n_class,
                      .width = (int)get_int(c, "width", 1, DYN_CTL_MAX_WIDTH),
                      .layers = (int)get_int(c, "layers", 1, DYN_CTL_MAX_LAYERS),
                      .delta = get_num(c, "delta"),
                      .act = get_act(c),
                      .gamma = get_num(c, "gamma"),
                      .reg = get_num(c, "reg")};
    if (dyn_ctl_arch_parse(get(c, "arch"), &d.arch))
        die("--arch: unknown architecture '%s'; choose plain, antisym or hamiltonian", get(c, "arch"));
    if (dyn_ctl_embed_parse(get(c, "embed"), &d.embed))
        die("--embed: unknown embedding '%s'; choose auto, pad or repeat", get(c, "embed"));
    if (dyn_ctl_readout_parse(get(c, "readout"), &d.readout))
        die("--readout: unknown read-out '%s'; choose auto, fixed or trained", get(c, "readout"));
    const char *why = dyn_ctl_why(&d);
    if (why) die("%s", why);
    return d;
}

static void setup(const cmd *c, problem *p)
{
    load(c, p);
    dyn_ctl_desc d = ctl_desc(c, p);
    check(dyn_ctl_init(&p->c, &d), "setting up the network");
    const char *init = get(c, "init");
    if (strcmp(init, "zero") && strcmp(init, "normal")) die("--init: choose zero or normal, not '%s'", init);
    p->zero_init = strcmp(init, "zero") == 0;
    p->sw2 = get_num(c, "sw2");
    p->sb2 = get_num(c, "sb2");
    if (p->sw2 < 0.0 || p->sw2 > 100.0) die("--sw2: %g is out of range [0, 100]", p->sw2);
    if (p->sb2 < 0.0 || p->sb2 > 100.0) die("--sb2: %g is out of range [0, 100]", p->sb2);
    p->seed = (uint64_t)get_int(c, "seed", 0, 0x7fffffffL);
    p->iters = (int)get_int(c, "iters", 0, 1000000);
    p->png = get_png(c);
}

/* one method's training descriptor from the options */
static dyn_ctl_train_desc train_desc(const cmd *c, const problem *p, dyn_ctl_method m)
{
    dyn_ctl_train_desc td = {.method = m,
                             .lr = m == DYN_CTL_ADAM ? get_num(c, "adam-lr") : get_num(c, "lr"),
                             .batch = (int)get_int(c, "batch", 0, DYN_DATA_MAX_N),
                             .rho = get_num(c, "rho"),
                             .inner_iters = (int)get_int(c, "inner", 1, 1000),
                             .seed = p->seed};
    const char *why = dyn_ctl_train_why(&p->c, &td);
    if (why) die("%s (--lr, --adam-lr, --rho, --batch, --inner)", why);
    if (!dyn_ctl_train_bytes(&p->c, &td, p->train.n))
        die("--layers/--width/--batch: the training state would take 2 GB or more");
    return td;
}

/* training with its per-iteration evaluations (train and test sets) */
static dyn_work train_work(const problem *p, const dyn_ctl_train_desc *td)
{
    dyn_work w = dyn_ctl_train_work(&p->c, td, p->train.n, p->iters);
    w.ops += dyn_ctl_forward_work(&p->c, (double)(p->train.n + p->test.n) * p->iters, 0, 0).ops;
    w.bytes += 8.0 * 12.0 * (p->iters + 1.0) * (p->c.d.layers + 1.0); /* the history */
    return w;
}

static void free_problem(problem *p)
{
    free(p->x), free(p->y), free(p->tx), free(p->ty), free(p->font);
}

/* ------------------------------------------------------------------ one training run with its history */

typedef struct history {
    int rows;                 /* iterations recorded + 1 (row 0 is the initialisation) */
    double *ms, *loss, *obj, *test_loss, *acc, *test_acc, *batch_loss, *feas_x, *feas_p, *hgrad;
    int *inner;
    double *lay_hgrad, *lay_gain; /* rows x T: per layer |grad H_t| before and the H_t gain of each iteration */
    int diverged_at;          /* 0: never; else the iteration whose loss was not finite */
} history;

typedef struct result {
    dyn_ctl_method m;
    dyn_ctl_train_desc used;
    double *theta0, *theta;
    history h;
} result;

static void eval_into(const problem *p, const double *th, history *h, int r, double *sc, size_t sd)
{
    check(dyn_ctl_eval(&p->c, th, &p->train, &h->loss[r], &h->obj[r], &h->acc[r], sc, sd), "evaluating");
    h->test_loss[r] = h->test_acc[r] = DNAN;
    if (p->test.n) check(dyn_ctl_eval(&p->c, th, &p->test, &h->test_loss[r], NULL, &h->test_acc[r], sc, sd), "testing");
}

static void train_one(const problem *p, const dyn_ctl_train_desc *td, const double *theta0, result *res)
{
    size_t P = dyn_ctl_param_count(&p->c), sd = dyn_ctl_scratch_doubles(&p->c);
    int n = p->iters + 1;
    history *h = &res->h;
    memset(h, 0, sizeof *h);
    double *block = xmalloc(sizeof(double) * 10 * (size_t)n, "the history");
    h->ms = block, h->loss = block + n, h->obj = block + 2 * n, h->test_loss = block + 3 * n;
    h->acc = block + 4 * n, h->test_acc = block + 5 * n, h->batch_loss = block + 6 * n, h->feas_x = block + 7 * n;
    h->feas_p = block + 8 * n, h->hgrad = block + 9 * n;
    h->inner = xmalloc(sizeof(int) * n, "the history");
    const int T = p->c.d.layers;
    h->lay_hgrad = xmalloc(sizeof(double) * 2 * (size_t)n * T, "the per-layer history");
    h->lay_gain = h->lay_hgrad + (size_t)n * T;
    for (int q = 0; q < T; q++) h->lay_hgrad[q] = h->lay_gain[q] = DNAN;
    res->theta0 = xmalloc(sizeof(double) * P, "the controls");
    res->theta = xmalloc(sizeof(double) * P, "the controls");
    memcpy(res->theta0, theta0, sizeof(double) * P);
    size_t bytes = dyn_ctl_train_bytes(&p->c, td, p->train.n);
    void *mem = xmalloc(bytes, "the training state");
    double *sc = xmalloc(sizeof(double) * sd, "scratch");
    dyn_ctl_train t;
    check(dyn_ctl_train_init(&t, &p->c, td, &p->train, theta0, mem, bytes), "setting up training");
    res->m = td->method;
    res->used = t.d;
    eval_into(p, t.theta, h, 0, sc, sd);
    h->ms[0] = 0.0;
    h->batch_loss[0] = h->feas_x[0] = h->feas_p[0] = h->hgrad[0] = DNAN;
    h->inner[0] = 0;
    h->rows = 1;
    double elapsed = 0.0;
    progress pr;
    char what[64];
    snprintf(what, sizeof what, "control %s", dyn_ctl_method_name(td->method));
    progress_start(&pr, what, p->iters);
    memcpy(res->theta, t.theta, sizeof(double) * P);
    for (int k = 1; k <= p->iters; k++) {
        dyn_ctl_report rep = {.layer_hgrad = h->lay_hgrad + (size_t)k * T, .layer_gain = h->lay_gain + (size_t)k * T};
        double t0 = now_ms();
        dyn_status st = dyn_ctl_train_step(&t, &p->train, &rep);
        elapsed += now_ms() - t0; /* the evaluations below are bookkeeping, not training time */
        if (st == DYN_ERR_NAN) {
            h->diverged_at = k;
            break;
        }
        check(st, "training");
        eval_into(p, t.theta, h, k, sc, sd);
        if (!isfinite(h->loss[k])) { /* diverged: the run keeps its last controls with a finite loss (row k - 1) */
            h->diverged_at = k;
            break;
        }
        memcpy(res->theta, t.theta, sizeof(double) * P);
        h->ms[k] = elapsed;
        h->batch_loss[k] = rep.loss;
        h->feas_x[k] = rep.feas_x;
        h->feas_p[k] = rep.feas_p;
        h->hgrad[k] = rep.hgrad;
        h->inner[k] = rep.inner;
        h->rows = k + 1;
        progress_step(&pr, k);
    }
    if (h->diverged_at)
        fprintf(stderr, "dynlens: %s diverged at iteration %d (the loss is not finite); keeping iteration %d\n",
                dyn_ctl_method_name(td->method), h->diverged_at, h->diverged_at - 1);
    free(mem);
    free(sc);
}

static void free_result(result *r)
{
    free(r->h.ms), free(r->h.inner), free(r->h.lay_hgrad), free(r->theta0), free(r->theta);
}

static double *initial(const problem *p)
{
    size_t P = dyn_ctl_param_count(&p->c);
    double *th = xmalloc(sizeof(double) * P, "the controls");
    check(dyn_ctl_init_params(&p->c, p->zero_init ? 0.0 : p->sw2, p->zero_init ? 0.0 : p->sb2, p->seed, th, P),
          "initialising");
    return th;
}

/* ------------------------------------------------------------------ files */

typedef struct fpath {
    char s[4096];
} fpath;

static const char *path_in(fpath *b, const char *dir, const char *name)
{
    if (strlen(dir) + strlen(name) + 2 > sizeof b->s) die("--out: the path is too long");
    snprintf(b->s, sizeof b->s, "%s/%s", dir, name);
    return b->s;
}

static void history_csv(FILE *f, const char *method, const history *h, int with_method)
{
    char b[32];
    for (int r = 0; r < h->rows; r++) {
        if (with_method) fprintf(f, "%s,", method);
        fprintf(f, "%d,%.3f", r, h->ms[r] * 1e-3);
        const double *cols[] = {h->loss, h->obj, h->test_loss, h->acc, h->test_acc, h->batch_loss, h->feas_x, h->feas_p,
                                h->hgrad};
        for (size_t q = 0; q < sizeof cols / sizeof *cols; q++)
            fprintf(f, ",%s", isfinite(cols[q][r]) ? shortest(cols[q][r], b) : "");
        fprintf(f, ",%d\n", h->inner[r]);
    }
}

static const char HISTORY_HEADER[] =
    "iter,seconds,loss,objective,test_loss,acc,test_acc,batch_loss,feas_x,feas_p,hgrad,inner";

static void write_net_json(FILE *f, const problem *p, const result *r)
{
    struct {
        FILE *f;
    } o = {f};
    const dyn_ctl *c = &p->c;
    fprintf(o.f,
            "{\"format\": \"dynlens control 1\",\n"
            " \"doc\": \"theta (P,) float64. Layer t (0..T-1) is theta[t*P_t:(t+1)*P_t]: M = reshape(k, k), then b (k). "
            "plain: x' = x + delta*phi(M @ x + b); antisym: W = M - M.T - gamma*I, x' = x + delta*phi(W @ x + b); "
            "hamiltonian: x = (y, z) halves of k, y' = y + delta*phi(M @ z + b), z' = z - delta*phi(M.T @ y' + b). "
            "Read-out z = A @ x_T + c: trained: A = theta[T*P_t:][:n_out*d].reshape(n_out, d), c = the n_out after; "
            "fixed: A = ones((1, d)) for regression, [I 0] for classification. Loss per example: 0.5*(z - y)^2 or "
            "softmax cross-entropy; J = mean loss + reg/2*|theta|^2. states/costates (T+1, N, d): x_t and "
            "p_t = grad_x (p_{t+1} . F_t(x_t)), p_T = -grad Phi(x_T) per example; H_t = mean_i p_{t+1} . x_{t+1} - "
            "reg/2*|theta_t|^2; dJ/dtheta_t = -grad H_t.\",\n");
    fprintf(o.f, " \"arch\": \"%s\", \"act\": \"%s\", \"width\": %d, \"k\": %d, \"layers\": %d, \"delta\": ",
            dyn_ctl_arch_name(c->d.arch), dyn_act_name(c->d.act), c->d.width, c->k, c->d.layers);
    jnum(o.f, c->d.delta);
    fprintf(o.f, ", \"gamma\": ");
    jnum(o.f, c->d.gamma);
    fprintf(o.f, ", \"reg\": ");
    jnum(o.f, c->d.reg);
    fprintf(o.f, ",\n \"embed\": \"%s\", \"readout\": \"%s\", \"n_in\": %d, \"n_class\": %d, \"n_out\": %d, "
                 "\"P_t\": %ld, \"P\": %ld,\n",
            dyn_ctl_embed_name(c->d.embed), dyn_ctl_readout_name(c->d.readout), c->d.n_in, c->d.n_class, c->n_out,
            c->p_layer, c->n_params);
    fprintf(o.f, " \"data\": \"%s\", \"n\": %d, \"test_n\": %d,\n", p->name, p->train.n, p->test.n);
    fprintf(o.f, " \"train\": {\"method\": \"%s\", \"lr\": ", dyn_ctl_method_name(r->m));
    jnum(o.f, r->used.lr);
    fprintf(o.f, ", \"batch\": %d, \"rho\": ", r->used.batch);
    jnum(o.f, r->used.rho);
    fprintf(o.f, ", \"inner\": %d, \"iters\": %d, \"seed\": %llu, \"init\": \"%s\", \"sw2\": ", r->used.inner_iters,
            p->iters, (unsigned long long)p->seed, p->zero_init ? "zero" : "normal");
    jnum(o.f, p->zero_init ? 0.0 : p->sw2);
    fprintf(o.f, ", \"sb2\": ");
    jnum(o.f, p->zero_init ? 0.0 : p->sb2);
    fprintf(o.f, "}}\n");
}

static dyn_fig_desc fig_desc(const problem *p, const char *title, const char *xl, const char *yl)
{
    return (dyn_fig_desc){.width = p->png.width,
                          .height = p->png.height,
                          .font = p->font,
                          .font_len = p->font_len,
                          .title = title,
                          .xlabel = xl,
                          .ylabel = yl,
                          .x0 = DNAN,
                          .x1 = DNAN,
                          .y0 = DNAN,
                          .y1 = DNAN};
}

static const uint8_t METHOD_RGB[DYN_CTL_METHOD_COUNT][3] = {
    {31, 119, 180}, {148, 103, 189}, {255, 127, 14}, {214, 39, 40}, {44, 160, 44}};

/* loss (train solid, test dashed) against iteration or seconds, one colour per run, log y */
static void curves_png(outset *os, const char *path, const problem *p, const result *rs, int nr, int vs_time,
                       const char *title)
{
    dyn_fig_series *s = xmalloc(sizeof *s * 2 * (size_t)nr, "the curves");
    double **xs = xmalloc(sizeof *xs * (size_t)nr, "the curves");
    char (*labs)[64] = xmalloc(sizeof *labs * 2 * (size_t)nr, "labels");
    int ns = 0;
    for (int i = 0; i < nr; i++) {
        const history *h = &rs[i].h;
        xs[i] = xmalloc(sizeof(double) * h->rows, "the curves");
        for (int r = 0; r < h->rows; r++) xs[i][r] = vs_time ? h->ms[r] * 1e-3 : r;
        const uint8_t *c = METHOD_RGB[rs[i].m];
        snprintf(labs[2 * i], 64, "%s train%s", dyn_ctl_method_name(rs[i].m), h->diverged_at ? " (diverged)" : "");
        s[ns++] = (dyn_fig_series){.x = xs[i], .y = h->loss, .n = h->rows, .rgba = {c[0], c[1], c[2], 255},
                                   .label = labs[2 * i]};
        if (p->test.n) {
            snprintf(labs[2 * i + 1], 64, "%s test", dyn_ctl_method_name(rs[i].m));
            s[ns++] = (dyn_fig_series){.x = xs[i], .y = h->test_loss, .n = h->rows, .rgba = {c[0], c[1], c[2], 255},
                                       .dashed = 1, .label = labs[2 * i + 1]};
        }
    }
    dyn_fig_desc d = fig_desc(p, title, vs_time ? "training time (s)" : "iteration", "loss (mean over examples)");
    d.log_y = 1;
    uint8_t *rgba = figure_draw(&d, NULL, 0, 0, NULL, 0, s, ns);
    outs_png(os, path, rgba, d.width, d.height);
    free(rgba);
    for (int i = 0; i < nr; i++) free(xs[i]);
    free(xs), free(s), free(labs);
}

static void print_result_json(const problem *p, const result *r)
{
    const history *h = &r->h;
    int last = h->rows - 1;
    printf("{\"method\": \"%s\", \"train_loss\": ", dyn_ctl_method_name(r->m));
    jnum(stdout, h->loss[last]);
    printf(", \"test_loss\": ");
    jnum(stdout, p->test.n ? h->test_loss[last] : DNAN);
    printf(", \"train_acc\": ");
    jnum(stdout, h->acc[last]);
    printf(", \"test_acc\": ");
    jnum(stdout, p->test.n ? h->test_acc[last] : DNAN);
    printf(", \"objective\": ");
    jnum(stdout, h->obj[last]);
    printf(", \"initial_loss\": ");
    jnum(stdout, h->loss[0]);
    printf(", \"iters\": %d, \"seconds\": %.4f, \"feas_x\": ", last, h->ms[last] * 1e-3);
    jnum(stdout, last ? h->feas_x[last] : DNAN);
    printf(", \"feas_p\": ");
    jnum(stdout, last ? h->feas_p[last] : DNAN);
    printf(", \"hgrad\": ");
    jnum(stdout, last ? h->hgrad[last] : DNAN);
    printf(", \"diverged\": %s", h->diverged_at ? "true" : "false");
    if (h->diverged_at) printf(", \"diverged_at\": %d", h->diverged_at);
    printf("}");
}

/* ------------------------------------------------------------------ control train */

static int cmd_train(int argc, char **argv)
{
    opt o[] = {CTL_OPTS, {"method", "emsa", "gd, sgd, adam, msa (basic MSA) or emsa (extended MSA)", 0, 0},
               {"out", "control-out", "output folder, written anew: it replaces an older dynlens folder as a whole", 0, 0}, {0}};
    cmd c = {"dynlens control train [--data D] [--method M] [--layers T] [--width d] [--arch A] ... [--out DIR]",
             "Trains a residual net as a control problem and writes to DIR: theta.npy and theta0.npy (the controls,\n"
             "float64, layout in net.json), states.npy and costates.npy (T+1 x N x d, training set, final controls),\n"
             "hamiltonian.csv (per layer: H_t, |grad H_t|, |W_t|_2, invertibility margin), history.csv (per\n"
             "iteration: losses, E-MSA's feasibility errors, the Hamiltonians' gradient norm), layers.csv (per\n"
             "iteration and layer: |grad H_t| and the gain in H_t), X.npy, y.npy (and\n"
             "X_test.npy, y_test.npy), net.json, history.png. Prints a JSON summary. A run that diverges (the loss\n"
             "stops being finite) keeps its last finite controls and says \"diverged\": true.",
             o};
    parse_opts(&c, argc, argv);
    problem p = {0};
    setup(&c, &p);
    dyn_ctl_method m;
    if (dyn_ctl_method_parse(get(&c, "method"), &m))
        die("--method: unknown method '%s'; choose gd, sgd, adam, msa or emsa", get(&c, "method"));
    dyn_ctl_train_desc td = train_desc(&c, &p, m);
    /* training, then the states and costates of the whole training set for the files */
    budget_check(&c, "control train", dyn_work_add(train_work(&p, &td), dyn_ctl_forward_work(&p.c, 3.0 * p.train.n, 1, 1)));
    const char *out = get(&c, "out");
    p.font = load_font(&p.font_len);
    double *th0 = initial(&p);
    result r;
    train_one(&p, &td, th0, &r);

    /* states, costates, Hamiltonians at the final controls on the whole training set */
    const dyn_ctl *ct = &p.c;
    const int N = p.train.n, d = ct->d.width, T = ct->d.layers;
    size_t P = dyn_ctl_param_count(ct), sd = dyn_ctl_scratch_doubles(ct), S = ((size_t)T + 1) * N * d;
    double *xs = xmalloc(sizeof(double) * S, "the states"), *ps = xmalloc(sizeof(double) * S, "the costates");
    double *H = xmalloc(sizeof(double) * 4 * T, "the Hamiltonians"), *G = xmalloc(sizeof(double) * P, "the gradient");
    double *sc = xmalloc(sizeof(double) * sd, "scratch"), loss;
    double *hg = H + T, *nrm = H + 2 * T, *mrg = H + 3 * T;
    check(dyn_ctl_forward(ct, r.theta, p.train.x, N, xs, S, sc, sd), "the states");
    dyn_status st = dyn_ctl_backward(ct, r.theta, xs, p.train.y, N, ps, S, H, G, &loss, sc, sd);
    if (st == DYN_ERR_NAN) die("the final states are not finite (the run diverged at its first step)");
    check(st, "the costates");
    check(dyn_ctl_layer_norms(ct, r.theta, nrm, mrg, sc, sd), "the layer norms");
    size_t Pt = dyn_ctl_layer_params(ct);
    for (int t = 0; t < T; t++) {
        double s2 = 0.0;
        for (size_t q = 0; q < Pt; q++) s2 += G[t * Pt + q] * G[t * Pt + q];
        hg[t] = sqrt(s2);
    }

    static const char *const NAMES[] = {"theta.npy", "theta0.npy", "states.npy", "costates.npy", "X.npy", "y.npy",
                                        "X_test.npy", "y_test.npy", "hamiltonian.csv", "history.csv", "layers.csv",
                                        "net.json", "history.png", NULL};
    outset *os = xmalloc(sizeof *os, "the output files");
    memset(os, 0, sizeof *os);
    outs_dir(os, out, NAMES);
    fpath pb;
    outs_npy_f64(os, path_in(&pb, out, "theta.npy"), r.theta, -1, (long)P);
    outs_npy_f64(os, path_in(&pb, out, "theta0.npy"), r.theta0, -1, (long)P);
    outs_npy_f64_3d(os, path_in(&pb, out, "states.npy"), xs, T + 1, N, d);
    outs_npy_f64_3d(os, path_in(&pb, out, "costates.npy"), ps, T + 1, N, d);
    outs_npy_f64(os, path_in(&pb, out, "X.npy"), p.train.x, N, p.train.d);
    outs_npy_f64(os, path_in(&pb, out, "y.npy"), p.train.y, -1, N);
    if (p.test.n) {
        outs_npy_f64(os, path_in(&pb, out, "X_test.npy"), p.test.x, p.test.n, p.test.d);
        outs_npy_f64(os, path_in(&pb, out, "y_test.npy"), p.test.y, -1, p.test.n);
    }
    struct {
        FILE *f;
    } f = {outs_file(os, path_in(&pb, out, "hamiltonian.csv"))};
    fprintf(f.f, "# per layer t at the final controls: H_t = mean_i p_{t+1}.x_{t+1} - reg/2 |theta_t|^2, |grad_theta "
                 "H_t| (= |dJ/dtheta_t|), the spectral norm of the layer's matrix, delta |M_t| max|phi'| (< 1: invertible)\n"
                 "layer,H,grad_norm,matrix_norm,margin\n");
    char b[4][32];
    for (int t = 0; t < T; t++)
        fprintf(f.f, "%d,%s,%s,%s,%s\n", t, shortest(H[t], b[0]), shortest(hg[t], b[1]), shortest(nrm[t], b[2]),
                shortest(mrg[t], b[3]));
    f.f = outs_file(os, path_in(&pb, out, "history.csv"));
    fprintf(f.f, "# row 0: the initialisation; loss/objective/acc on the whole training set after each iteration; "
                 "batch_loss, feas_*, hgrad from the iteration's report (see core/control.h)\n%s\n",
            HISTORY_HEADER);
    history_csv(f.f, dyn_ctl_method_name(m), &r.h, 0);
    f.f = outs_file(os, path_in(&pb, out, "layers.csv"));
    fprintf(f.f, "# per iteration and layer: |grad_theta H_t| at the controls the iteration started from (how far layer t "
                 "is from a stationary point of its Hamiltonian) and the increase of H_t (msa: H_t; emsa: the augmented "
                 "H_t; gd/sgd/adam: H_t at the old states and costates) that the iteration achieved\n"
                 "iter,layer,hgrad,gain\n");
    for (int k = 1; k < r.h.rows; k++)
        for (int t = 0; t < T; t++)
            fprintf(f.f, "%d,%d,%s,%s\n", k, t, shortest(r.h.lay_hgrad[(size_t)k * T + t], b[0]),
                    shortest(r.h.lay_gain[(size_t)k * T + t], b[1]));
    write_net_json(outs_file(os, path_in(&pb, out, "net.json")), &p, &r);
    char title[256];
    snprintf(title, sizeof title, "%s on %s: %d %s layers of width %d, δ = %g", dyn_ctl_method_name(m), p.name, T,
             dyn_ctl_arch_name(ct->d.arch), d, ct->d.delta);
    curves_png(os, path_in(&pb, out, "history.png"), &p, &r, 1, 0, title);
    outs_commit(os);
    free(os);

    print_result_json(&p, &r);
    printf("\n");
    free(xs), free(ps), free(H), free(G), free(sc), free(th0);
    free_result(&r);
    free_problem(&p);
    return 0;
}

/* ------------------------------------------------------------------ control compare */

static int cmd_compare(int argc, char **argv)
{
    opt o[] = {CTL_OPTS, {"methods", "gd,adam,msa,emsa", "comma-separated methods, each trained from the same start", 0, 0},
               {"png", "compare.png", "loss against iteration (PNG)", 0, 0},
               {"png-time", NULL, "loss against training time (PNG)", 0, 0},
               {"csv", NULL, "every run's history (CSV)", 0, 0}, {0}};
    cmd c = {"dynlens control compare [--methods gd,adam,msa,emsa] [problem options] [--png F] [--csv F]",
             "Trains each method from one initialisation on one problem and draws their training and test losses\n"
             "against iteration (--png) and time (--png-time). Prints a JSON summary with each method's result.",
             o};
    parse_opts(&c, argc, argv);
    problem p = {0};
    setup(&c, &p);
    outs_check(get(&c, "png"), "--png");
    if (get(&c, "png-time")) outs_check(get(&c, "png-time"), "--png-time");
    if (get(&c, "csv")) outs_check(get(&c, "csv"), "--csv");
    dyn_ctl_method ms[16];
    int nm = 0;
    const char *list = get(&c, "methods");
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        char name[32];
        if (l == 0 || l >= sizeof name) die("--methods: '%s' is not a list of methods, e.g. gd,adam,msa,emsa", list);
        memcpy(name, s, l);
        name[l] = 0;
        if (nm == 16) die("--methods: at most 16 runs");
        if (dyn_ctl_method_parse(name, &ms[nm]))
            die("--methods: unknown method '%s'; choose from gd, sgd, adam, msa, emsa", name);
        nm++;
        s = e ? e + 1 : s + l;
        if (e && !*s) die("--methods: '%s' ends with a comma", list);
    }
    if (!nm) die("--methods: no method given");
    dyn_ctl_train_desc td[16];
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    for (int i = 0; i < nm; i++) {
        td[i] = train_desc(&c, &p, ms[i]);
        w = dyn_work_add(w, train_work(&p, &td[i])); /* one run at a time, but every history is kept */
    }
    budget_check(&c, "control compare", w);
    p.font = load_font(&p.font_len);
    double *th0 = initial(&p);
    result *rs = xmalloc(sizeof *rs * (size_t)nm, "the runs");
    for (int i = 0; i < nm; i++) train_one(&p, &td[i], th0, &rs[i]);
    char title[256];
    snprintf(title, sizeof title, "%s: %d %s layers of width %d, δ = %g, same start", p.name, p.c.d.layers,
             dyn_ctl_arch_name(p.c.d.arch), p.c.d.width, p.c.d.delta);
    const char *csv = get(&c, "csv");
    outset *os = xmalloc(sizeof *os, "the output files");
    memset(os, 0, sizeof *os);
    if (csv) {
        FILE *f = outs_file(os, csv);
        fprintf(f, "method,%s\n", HISTORY_HEADER);
        for (int i = 0; i < nm; i++) history_csv(f, dyn_ctl_method_name(rs[i].m), &rs[i].h, 1);
    }
    curves_png(os, get(&c, "png"), &p, rs, nm, 0, title);
    if (get(&c, "png-time")) curves_png(os, get(&c, "png-time"), &p, rs, nm, 1, title);
    outs_commit(os);
    free(os);
    printf("{\"data\": \"%s\", \"n\": %d, \"test_n\": %d, \"layers\": %d, \"width\": %d, \"runs\": [", p.name, p.train.n,
           p.test.n, p.c.d.layers, p.c.d.width);
    for (int i = 0; i < nm; i++) {
        printf(i ? ",\n  " : "\n  ");
        print_result_json(&p, &rs[i]);
    }
    printf("]}\n");
    for (int i = 0; i < nm; i++) free_result(&rs[i]);
    free(rs), free(th0);
    free_problem(&p);
    return 0;
}

/* ------------------------------------------------------------------ control flow */

static const uint8_t CLASS_RGB[10][3] = {{31, 119, 180}, {214, 39, 40}, {44, 160, 44}, {255, 127, 14},
                                         {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
                                         {188, 189, 34}, {23, 190, 207}};

static int cmd_flow(int argc, char **argv)
{
    opt o[] = {CTL_OPTS, {"method", "adam", "training method (gd, sgd, adam, msa, emsa)", 0, 0},
               {"show", "", "layers to draw, e.g. 0,5,10,20 (default: 5 evenly spaced from 0 to T)", 0, 0},
               {"png", "flow.png", "the strip of panels (PNG)", 0, 0}, {0}};
    /* the flow's own defaults: a 2-D problem */
    set_defaults(o, (const char *const[]){"data", "circles", "width", "2", "layers", "10", "iters", "300", "n", "200",
                                          "delta", "0.5", "init", "normal", "reg", "1e-4", "adam-lr", "0.02", NULL});
    cmd c = {"dynlens control flow [--data circles] [--width 2] [--layers T] [--method M] [--show 0,5,10] [--png F]",
             "Trains a residual net on 2-D data, then draws the training points carried through the layers (the first\n"
             "two state units) over the decision regions seen at each layer (other units 0). The panel at layer 0\n"
             "is the input plane. Width 2 cannot untangle circles with an invertible flow; width 3 can. Prints a\n"
             "JSON summary with accuracy and, per layer, delta |M_t| max|phi'| (below 1 the step is invertible) and,\n"
             "at width 2, the share of the drawn plane where the step folds (det dF/dx <= 0).",
             o};
    parse_opts(&c, argc, argv);
    problem p = {0};
    setup(&c, &p);
    outs_check(get(&c, "png"), "--png");
    if (p.train.d != 2 || !p.train.n_class) die("--data: flow needs 2-D classification data (spirals, moons, circles, xor, blobs or a 2-feature CSV)");
    if (p.c.d.width < 2) die("--width: flow draws two state units: use a width of 2 or more");
    const int T = p.c.d.layers, d = p.c.d.width;
    int show[64], ns = 0;
    const char *sl = get(&c, "show");
    if (!*sl) {
        for (int i = 0; i < 5; i++) show[ns++] = (int)((long)T * i / 4);
        if (T < 4) ns = 0;
        if (T < 4)
            for (int i = 0; i <= T; i++) show[ns++] = i;
    } else {
        for (const char *s = sl; *s;) {
            char *e;
            long v = strtol(s, &e, 10);
            if (e == s || (*e && *e != ',')) die("--show: '%s' is not a list of layers, e.g. 0,5,10", sl);
            if (v < 0 || v > T) die("--show: layer %ld is outside 0..%d", v, T);
            if (ns == 64) die("--show: at most 64 panels");
            show[ns++] = (int)v;
            s = *e ? e + 1 : e;
        }
    }
    dyn_ctl_method m;
    if (dyn_ctl_method_parse(get(&c, "method"), &m))
        die("--method: unknown method '%s'; choose gd, sgd, adam, msa or emsa", get(&c, "method"));
    dyn_ctl_train_desc td = train_desc(&c, &p, m);
    budget_check(&c, "control flow", dyn_work_add(train_work(&p, &td),
                                                  dyn_ctl_forward_work(&p.c, p.train.n + 160.0 * 160.0 * ns, 1, 1)));
    int PW = p.png.height * 2 / 3, PH = PW; /* square panels, two thirds of the PNG's height */
    if (PW < DYN_FIG_MIN_SIDE) die("--png-size: panels of %d px are too small; use a height of at least 240", PW);
    if ((long)PW * ns > 8192) die("--png-size/--show: %d panels of %d px make a strip wider than 8192 px", ns, PW);
    p.font = load_font(&p.font_len);
    double *th0 = initial(&p);
    result r;
    train_one(&p, &td, th0, &r);
    const int N = p.train.n;
    size_t S = ((size_t)T + 1) * N * d, sd = dyn_ctl_scratch_doubles(&p.c);
    double *xs = xmalloc(sizeof(double) * S, "the states"), *sc = xmalloc(sizeof(double) * sd, "scratch");
    check(dyn_ctl_forward(&p.c, r.theta, p.train.x, N, xs, S, sc, sd), "the states");
    double *mrg = xmalloc(sizeof(double) * T, "margins");
    check(dyn_ctl_layer_norms(&p.c, r.theta, NULL, mrg, sc, sd), "the layer norms");
    enum { G = 160 };
    float *cls = xmalloc(sizeof(float) * 2 * G * G, "the grid"), *conf = cls + G * G;
    uint8_t *strip = xmalloc((size_t)4 * PW * ns * PH, "the strip");
    const int k = p.train.n_class;
    double *pts = xmalloc(sizeof(double) * 12 * N, "points");
    dyn_fig_line ln[34]; /* per class a white halo and the marker, and the fold legend entry */
    char labs[16][32], title[160];
    double *fold = xmalloc(sizeof(double) * (T + 1), "folds");
    for (int t = 0; t <= T; t++) fold[t] = DNAN;
    for (int q = 0; q < ns; q++) {
        int l = show[q];
        const double *X = xs + (size_t)l * N * d;
        double lo[2] = {DINF, DINF}, hi[2] = {-DINF, -DINF};
        for (int i = 0; i < N; i++)
            for (int a = 0; a < 2; a++) lo[a] = fmin(lo[a], X[(size_t)i * d + a]), hi[a] = fmax(hi[a], X[(size_t)i * d + a]);
        for (int a = 0; a < 2; a++) {
            double mg = 0.1 * (hi[a] - lo[a]) + 1e-6;
            lo[a] -= mg, hi[a] += mg;
        }
        if (!(isfinite(lo[0]) && isfinite(hi[0]) && isfinite(lo[1]) && isfinite(hi[1])))
            die("layer %d: the states are not finite (training diverged)", l);
        check(dyn_ctl_grid2d(&p.c, r.theta, l, lo[0], hi[0], lo[1], hi[1], G, G, cls, conf, sc, sd), "the regions");
        for (int i = 0; i < G * G; i++) cls[i] = k == 2 ? (cls[i] == 1.0f ? conf[i] : 1.0f - conf[i]) : cls[i];
        int folds = 0;
        if (d == 2 && l < T) { /* grey where the next step folds the plane (det dF/dx <= 0) */
            float *det = conf; /* reuse: the regions are already folded into cls */
            check(dyn_ctl_jacdet_grid2d(&p.c, r.theta, l, lo[0], hi[0], lo[1], hi[1], G, G, det), "the folds");
            for (int i = 0; i < G * G; i++)
                if (!(det[i] > 0.0f)) cls[i] = NAN, folds++;
            fold[l] = (double)folds / (G * G);
        }
        double hx = 0.008 * (hi[0] - lo[0]), hy = 0.008 * (hi[1] - lo[1]);
        int used = 0;
        for (int cl = 0; cl < k && cl < 16; cl++) {
            double *px = pts + 6 * (size_t)used, *py = pts + 6 * (size_t)N + 6 * (size_t)used;
            int mm = 0;
            for (int i = 0; i < N; i++) {
                if ((int)p.train.y[i] != cl) continue;
                double x0 = X[(size_t)i * d], y0 = X[(size_t)i * d + 1];
                double X6[6] = {x0 - hx, x0 + hx, DNAN, x0 - hx, x0 + hx, DNAN};
                double Y6[6] = {y0 - hy, y0 + hy, DNAN, y0 + hy, y0 - hy, DNAN};
                memcpy(px + mm, X6, sizeof X6);
                memcpy(py + mm, Y6, sizeof Y6);
                mm += 6;
            }
            used += mm / 6;
            snprintf(labs[cl], sizeof labs[cl], "class %d", cl);
            const uint8_t *col = k == 2 ? (cl == 0 ? (const uint8_t[]){20, 40, 120} : (const uint8_t[]){120, 10, 10})
                                        : CLASS_RGB[cl % 10];
            ln[2 * cl] = (dyn_fig_line){.x = px, .y = py, .n = mm, .rgba = {255, 255, 255, 255}, .width = 3.6};
            ln[2 * cl + 1] = (dyn_fig_line){.x = px, .y = py, .n = mm, .rgba = {col[0], col[1], col[2], 255},
                                            .width = 1.6, .label = labs[cl]};
        }
        int nl = 2 * (k < 16 ? k : 16);
        if (folds) ln[nl++] = (dyn_fig_line){.rgba = {200, 200, 200, 255}, .width = 6, .label = "grey: the step folds"};
        if (l == 0) snprintf(title, sizeof title, "input (layer 0)");
        else if (l == T) snprintf(title, sizeof title, "layer %d (output)", l);
        else snprintf(title, sizeof title, "layer %d", l);
        dyn_fig_desc fd = fig_desc(&p, title, d == 2 ? "x_1" : "x_1 (other units 0)", "x_2");
        fd.width = PW, fd.height = PH;
        fd.clabel = k == 2 ? "P(class 1)" : "class";
        fd.x0 = lo[0], fd.x1 = hi[0], fd.y0 = lo[1], fd.y1 = hi[1];
        fd.cmap = k == 2 ? DYN_CMAP_RDBU : DYN_CMAP_VIRIDIS;
        fd.vmin = 0, fd.vmax = k == 2 ? 1 : k - 1;
        uint8_t *img = figure_draw(&fd, cls, G, G, ln, nl, NULL, 0);
        for (int row = 0; row < PH; row++)
            memcpy(strip + ((size_t)row * PW * ns + (size_t)q * PW) * 4, img + (size_t)row * PW * 4, (size_t)PW * 4);
        free(img);
    }
    outset *os = xmalloc(sizeof *os, "the output files");
    memset(os, 0, sizeof *os);
    outs_png(os, get(&c, "png"), strip, PW * ns, PH);
    outs_commit(os);
    free(os);
    const history *h = &r.h;
    int last = h->rows - 1, inv = 1;
    for (int t = 0; t < T; t++) inv &= mrg[t] < 1.0;
    printf("{\"data\": \"%s\", \"width\": %d, \"layers\": %d, \"method\": \"%s\", \"train_acc\": ", p.name, d, T,
           dyn_ctl_method_name(m));
    jnum(stdout, h->acc[last]);
    printf(", \"test_acc\": ");
    jnum(stdout, p.test.n ? h->test_acc[last] : DNAN);
    printf(", \"train_loss\": ");
    jnum(stdout, h->loss[last]);
    printf(", \"diverged\": %s, \"every_step_invertible\": %s, \"margin\": ", h->diverged_at ? "true" : "false",
           inv ? "true" : "false");
    jarr(stdout, mrg, T);
    printf(", \"shown\": [");
    for (int q = 0; q < ns; q++) printf("%s%d", q ? ", " : "", show[q]);
    printf("], \"fold_fraction\": ");
    jarr(stdout, fold, T);
    printf("}\n");
    free(xs), free(sc), free(mrg), free(cls), free(strip), free(pts), free(fold), free(th0);
    free_result(&r);
    free_problem(&p);
    return 0;
}

/* ------------------------------------------------------------------ control stability */

static int cmd_stability(int argc, char **argv)
{
    opt o[] = {CTL_OPTS, {"archs", "plain,antisym,hamiltonian", "architectures to compare", 0, 0},
               {"nets", "4", "random nets averaged per architecture (1..64)", 0, 0},
               {"png", "stability.png", "growth against depth (PNG)", 0, 0}, {0}};
    /* wide random nets at initialisation */
    set_defaults(o, (const char *const[]){"data", "moons", "width", "64", "layers", "50", "init", "normal", "sw2", "1.5",
                                          "delta", "0.3", "n", "50", NULL});
    cmd c = {"dynlens control stability [--archs plain,antisym,hamiltonian] [--width d] [--layers T] [--sw2 V] [--png F]",
             "How much an infinitesimal perturbation of the input grows through randomly initialised residual nets\n"
             "(--init normal, --sw2, --sb2), by exact tangent propagation, as the root mean square over --nets nets\n"
             "and the training examples, for each architecture (--gamma damps antisym), with the mean-field prediction\n"
             "|v_{t+1}|^2 = |v_t|^2 (1 + delta^2 chi_1(q_t)) for plain and antisym nets (odd activations, gamma 0).\n"
             "Prints a JSON summary.",
             o};
    parse_opts(&c, argc, argv);
    problem p = {0};
    setup(&c, &p);
    outs_check(get(&c, "png"), "--png");
    if (p.zero_init) die("--init zero: a zero net is the identity map and nothing grows; use --init normal");
    int nets = (int)get_int(&c, "nets", 1, 64);
    dyn_ctl_arch archs[8];
    int na = 0;
    const char *list = get(&c, "archs");
    for (const char *s = list; *s;) {
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        char name[32];
        if (l == 0 || l >= sizeof name || na == 8) die("--archs: '%s' is not a list of architectures", list);
        memcpy(name, s, l);
        name[l] = 0;
        if (dyn_ctl_arch_parse(name, &archs[na]))
            die("--archs: unknown architecture '%s'; choose from plain, antisym, hamiltonian", name);
        na++;
        s = e ? e + 1 : s + l;
        if (e && !*s) die("--archs: '%s' ends with a comma", list);
    }
    if (!na) die("--archs: no architecture given");
    dyn_ctl cs[8];
    dyn_ctl_desc base = ctl_desc(&c, &p);
    for (int a = 0; a < na; a++) {
        dyn_ctl_desc d = base;
        d.arch = archs[a];
        if (d.arch != DYN_CTL_ANTISYM) d.gamma = 0.0;
        const char *why = dyn_ctl_why(&d);
        if (why) die("--archs %s: %s", dyn_ctl_arch_name(archs[a]), why);
        check(dyn_ctl_init(&cs[a], &d), "setting up the network");
    }
    const int T = base.layers, N = p.train.n, d = base.width;
    dyn_work w = {.ops = 0.0, .bytes = 0.0};
    for (int a = 0; a < na; a++) w = dyn_work_add(w, dyn_ctl_forward_work(&cs[a], (double)nets * N, 1, 0));
    budget_check(&c, "control stability", w);
    p.font = load_font(&p.font_len);
    double *g = xmalloc(sizeof(double) * 3 * (T + 1) * (size_t)na, "the growth"), *gt = g + (size_t)(T + 1) * na;
    double *xs = gt + (size_t)(T + 1) * na, *q0 = xmalloc(sizeof(double) * N, "q0"), *tmp = xmalloc(sizeof(double) * (T + 1), "tmp");
    int *has_theory = xmalloc(sizeof(int) * na, "flags");
    for (int t = 0; t <= T; t++) xs[t] = t;
    for (int a = 0; a < na; a++) {
        const dyn_ctl *ct = &cs[a];
        size_t P = dyn_ctl_param_count(ct), sd = dyn_ctl_scratch_doubles(ct);
        double *th = xmalloc(sizeof(double) * P, "the controls"), *sc = xmalloc(sizeof(double) * sd, "scratch");
        double *ga = g + (size_t)a * (T + 1);
        for (int t = 0; t <= T; t++) ga[t] = 0.0;
        for (int k = 0; k < nets; k++) {
            check(dyn_ctl_init_params(ct, p.sw2, p.sb2, p.seed + (uint64_t)k, th, P), "initialising");
            check(dyn_ctl_perturb(ct, th, p.train.x, N, p.seed + 1000u + (uint64_t)k, tmp, sc, sd), "the growth");
            for (int t = 0; t <= T; t++) ga[t] += tmp[t] * tmp[t] / nets;
        }
        for (int t = 0; t <= T; t++) ga[t] = sqrt(ga[t]);
        /* |x_0|^2 / d of each embedded input, for the theory */
        for (int i = 0; i < N; i++) {
            double s2 = 0.0;
            for (int j = 0; j < d; j++) {
                double v = ct->d.embed == DYN_CTL_EMBED_REPEAT ? p.train.x[(size_t)i * p.train.d + j % p.train.d]
                                                                : (j < p.train.d ? p.train.x[(size_t)i * p.train.d + j] : 0.0);
                s2 += v * v;
            }
            q0[i] = s2 / d;
        }
        has_theory[a] = dyn_ctl_perturb_theory(ct, p.sw2, p.sb2, q0, N, gt + (size_t)a * (T + 1)) == DYN_OK;
        free(th), free(sc);
    }
    dyn_fig_series sr[16];
    char labs[16][64];
    int ns = 0;
    static const uint8_t ARCH_RGB[3][3] = {{214, 39, 40}, {31, 119, 180}, {44, 160, 44}};
    for (int a = 0; a < na; a++) {
        const uint8_t *col = ARCH_RGB[archs[a]];
        snprintf(labs[2 * a], 64, "%s (simulated)", dyn_ctl_arch_name(archs[a]));
        sr[ns++] = (dyn_fig_series){.x = xs, .y = g + (size_t)a * (T + 1), .n = T + 1,
                                    .rgba = {col[0], col[1], col[2], 255}, .label = labs[2 * a]};
        if (has_theory[a]) {
            snprintf(labs[2 * a + 1], 64, "%s (mean-field theory)", dyn_ctl_arch_name(archs[a]));
            sr[ns++] = (dyn_fig_series){.x = xs, .y = gt + (size_t)a * (T + 1), .n = T + 1, .dashed = 1,
                                        .rgba = {col[0], col[1], col[2], 255}, .label = labs[2 * a + 1]};
        }
    }
    char title[200];
    snprintf(title, sizeof title, "Perturbation growth at random init: width %d, δ = %g, σ_w^2 = %g, %s", d,
             base.delta, p.sw2, dyn_act_name(base.act));
    dyn_fig_desc fd = fig_desc(&p, title, "layer t", "|v_t| / |v_0| (root mean square)");
    fd.log_y = 1;
    uint8_t *rgba = figure_draw(&fd, NULL, 0, 0, NULL, 0, sr, ns);
    outset *os = xmalloc(sizeof *os, "the output files");
    memset(os, 0, sizeof *os);
    outs_png(os, get(&c, "png"), rgba, fd.width, fd.height);
    outs_commit(os);
    free(os);
    free(rgba);
    printf("{\"width\": %d, \"layers\": %d, \"delta\": ", d, T);
    jnum(stdout, base.delta);
    printf(", \"sw2\": ");
    jnum(stdout, p.sw2);
    printf(", \"nets\": %d, \"archs\": [", nets);
    for (int a = 0; a < na; a++) {
        printf("%s\n  {\"arch\": \"%s\", \"growth\": ", a ? "," : "", dyn_ctl_arch_name(archs[a]));
        jnum(stdout, g[(size_t)a * (T + 1) + T]);
        printf(", \"theory\": ");
        jnum(stdout, has_theory[a] ? gt[(size_t)a * (T + 1) + T] : DNAN);
        printf(", \"per_layer\": ");
        jarr(stdout, g + (size_t)a * (T + 1), T + 1);
        printf("}");
    }
    printf("]}\n");
    free(g), free(q0), free(tmp), free(has_theory);
    free_problem(&p);
    return 0;
}

int cli_control(int argc, char **argv)
{
    static const cli_cmd cmds[] = {{"train", cmd_train},
                                   {"compare", cmd_compare},
                                   {"flow", cmd_flow},
                                   {"stability", cmd_stability},
                                   {"lr", cli_control_lr}};
    return run_family("control", cmds, (int)(sizeof cmds / sizeof cmds[0]), CLI_CONTROL_HELP, argc, argv);
}
