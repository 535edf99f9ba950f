/* landscape.c - "dynlens landscape ...": train small networks and map their loss landscapes, over core/net, data, landscape, render3d. */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "colormap.h"
#include "contour.h"
#include "data.h"
#include "figure.h"
#include "landscape.h"
#include "net.h"
#include "render3d.h"



const char CLI_LANDSCAPE_HELP[] =
    "landscape commands (loss landscapes of small networks, Li et al. 2018, Goodfellow et al. 2015):\n"
    "  train     train a fully connected net; write weights, path, data and figures (loss, decision boundary)\n"
    "  slice     train, then a 2-D slice of loss and accuracy along random (filter-normalised), PCA or Hessian\n"
    "            directions, with the training path: NPY, CSV, heatmap PNG and 3-D surface PNG\n"
    "  interp    train, then the 1-D loss along the line from the initialisation (or another solution)\n"
    "  hessian   train, then the top Hessian eigenvalues (sharpness) by Lanczos on exact Hessian-vector products\n"
    "Every command trains from the same options deterministically (same seed, same bits), so a slice belongs to\n"
    "the run that `train` with the same options writes. Files go to --out DIR, a new folder that replaces an older\n"
    "one as a whole when every file is ready (so give each command its own); net.json documents the layout.\n"
    "The JSON's \"verdict\" is the core's rule (dyn_train_verdict): learned, failed to learn (loss near the chance\n"
    "loss ln C) or diverged; the last two also print a warning on stderr.\n";

/* ------------------------------------------------------------------ shared options */

#define RUN_OPTS                                                                                                   \
    {"data", "spirals", "a toy set ({toy}), digits (assets/digits) or a CSV file", 0, 0},      \
    {"n", "400", "examples of a toy set", 0, 0}, {"noise", "0.1", "noise of a toy set (standard deviation)", 0, 0},\
    {"classes", "0", "classes of spirals/blobs (0: 2 / 3)", 0, 0},                                                \
    {"data-seed", "1", "seed of the toy set", 0, 0},                                                              \
    {"task", "classify", "CSV: classify (last column a label) or regress (a target)", 0, 0},                      \
    {"depth", "3", "hidden layers (0..128)", 0, 0}, {"width", "32", "units per hidden layer (1..1024)", 0, 0},       \
    {"act", "tanh", "activation: {act}", 0, 0},                                                                    \
    {"skip", NULL, "identity skip connections around hidden layers 2..depth", 1, 0},                             \
    {"loss", NULL, "{loss} (softmax cross-entropy, squared error); default xent, mse for --task regress", 0, 0},  \
    {"sw2", "1", "init weight variance sigma_w^2 (W ~ N(0, sw2/fan_in))", 0, 0},                                  \
    {"sb2", "0", "init bias variance sigma_b^2", 0, 0},                                                           \
    {"opt", "adam", "{opt}", 0, 0}, {"lr", "0", "step size (0: 0.1 sgd/momentum, 0.01 adam)", 0, 0},\
    {"momentum", "0.9", "--opt momentum: heavy-ball coefficient in [0, 1) (0: none)", 0, 0}, {"batch", "32", "minibatch size (0: full batch)", 0, 0},     \
    {"wd", "0", "weight decay (L2 on weights)", 0, 0}, {"steps", "2000", "optimiser steps", 0, 0},                  \
    {"seed", "1", "seed of the initialisation and the shuffling", 0, 0},                                          \
    {"snapshots", "100", "training-path snapshots kept (2..512; for PCA and the drawn path)", 0, 0},              \
    {"out", "landscape-out", "output folder, written anew: it replaces an older dynlens folder as a whole", 0, 0},                                      \
    {"png-size", "960x720", "PNG size in px", 0, 0}, BUDGET_OPTS

typedef struct run {
    /* data */
    double *x, *y;
    dyn_data data;
    char data_name[64];
    double class_values[DYN_DATA_MAX_CLASS];
    /* net and training */
    dyn_net net;
    dyn_train_desc td;   /* as asked (0 = default; run it again with it) */
    dyn_train_desc used; /* after training: with the defaults resolved (for the JSON, the figures and 2/lr) */
    double sw2, sb2;
    long seed;
    int steps, snaps;
    size_t P;
    double *theta0, *theta, *path, *hist; /* path: T x P; hist: steps minibatch losses */
    double *snap_loss, *snap_acc; int *snap_step;
    int T;
    double loss, acc, train_ms;
    dyn_verdict_info verdict; /* THE rule (landscape.h): learned, failed to learn or diverged */
    const char *out;
    outset *os; /* every file of the command, staged in a new folder that replaces --out as a whole (cli.h) */
    png_opts png;
    dyn_work work; /* the training run's cost (dyn_train_work); each command adds its own and checks the sum */
    uint8_t *font; /* for the figures: loaded by the commands that draw, before any work (load_figure_font) */
    size_t font_len;
} run;

/* snapshots kept along the training path: --snapshots, or every step of a shorter run (at least 2) */
static int path_points(const run *r)
{
    int T = r->steps < r->snaps - 1 ? r->steps + 1 : r->snaps;
    return T < 2 ? 2 : T;
}

/* multiply-adds of one forward pass of one example (for the gflops a slice reports) */
static double forward_madds(const dyn_net *net)
{
    double f = 0;
    for (int l = 1; l <= net->depth + 1; l++) f += (double)net->dim[l] * net->dim[l - 1];
    return f;
}

static void load_data(const cmd *c, run *r)
{
    const char *name = get(c, "data");
    dyn_toy toy;
    if (dyn_toy_parse(name, &toy) == DYN_OK) {
        int n = (int)get_int(c, "n", 2, 100000), k = (int)get_int(c, "classes", 0, 16);
        double noise = get_num(c, "noise");
        if (noise < 0.0 || noise > 10.0) die("--noise: %g is out of range [0, 10]", noise);
        dyn_toy_desc d = {.kind = toy, .n = n, .classes = k, .noise = noise,
                          .seed = (uint64_t)get_int(c, "data-seed", 0, 0x7fffffffL)};
        r->x = xmalloc(sizeof(double) * 2 * n, "the data");
        r->y = xmalloc(sizeof(double) * n, "the data");
        int nc;
        dyn_status s = dyn_data_toy(&d, r->x, 2 * (size_t)n, r->y, (size_t)n, &nc);
        if (s == DYN_ERR_RANGE) die("--classes: %s takes %s", name, toy == DYN_TOY_SPIRALS ? "2..8 classes" : toy == DYN_TOY_BLOBS ? "2..16 classes" : "only 2 classes");
        if (s == DYN_ERR_SIZE) die("--n: %d examples are too few for the classes", n);
        check(s, "generating the data");
        r->data = (dyn_data){.n = n, .d = 2, .x = r->x, .y = r->y, .n_class = nc};
        for (int i = 0; i < nc; i++) r->class_values[i] = i;
        snprintf(r->data_name, sizeof r->data_name, "%s", name);
        return;
    }
    const char *path = name;
    char buf[4096];
    int classify = 1;
    if (strcmp(name, "digits") == 0) {
        /* $DYNLENS_ASSETS, else the source tree's assets/ that CMake compiled in: an installed or out-of-tree
         * build finds its data without guessing from the executable's location */
        digits_path(buf, sizeof buf);
        path = buf;
    } else {
        size_t l = strlen(name);
        char list[256];
        if (!(l > 4 && (strcmp(name + l - 4, ".csv") == 0 || (l > 7 && strcmp(name + l - 7, ".csv.gz") == 0))))
            die("--data: unknown data set '%s'; choose a toy set (%s), digits or a .csv file", name, core_names("toy", list, sizeof list));
        const char *task = get(c, "task");
        if (strcmp(task, "classify") && strcmp(task, "regress")) die("--task: choose classify or regress, not '%s'", task);
        classify = strcmp(task, "classify") == 0;
    }
    dyn_csv_info info = read_csv_file(path, classify, NULL, &r->x, &r->y);
    /* pixel counts and user features on their own scales: standardise (X.npy holds the result) */
    check(dyn_data_standardize(r->x, info.rows, info.cols, NULL, NULL), "standardising the features");
    r->data = (dyn_data){.n = info.rows, .d = info.cols, .x = r->x, .y = r->y, .n_class = info.n_class};
    memcpy(r->class_values, info.class_values, sizeof r->class_values);
    snprintf(r->data_name, sizeof r->data_name, "%s", strcmp(name, "digits") == 0 ? "digits" : "csv");
}

static void setup_net(const cmd *c, run *r)
{
    dyn_loss loss = r->data.n_class ? DYN_LOSS_XENT : DYN_LOSS_MSE;
    const char *ln = get(c, "loss");
    char list[256];
    if (ln && dyn_loss_parse(ln, &loss)) die("--loss: unknown loss '%s'; choose %s", ln, core_names("loss", list, sizeof list));
    if (!r->data.n_class && loss == DYN_LOSS_XENT)
        die("--loss xent needs class labels, but --task regress has a real-valued target: use --loss mse (the default)");
    int depth = (int)get_int(c, "depth", 0, DYN_NET_MAX_HIDDEN), width = (int)get_int(c, "width", 1, DYN_NET_MAX_WIDTH);
    int k = r->data.n_class ? r->data.n_class : 1;
    dyn_net_desc d = {.n_in = r->data.d, .n_out = k, .depth = depth, .width = width, .act = get_act(c),
                      .skip = get(c, "skip") != NULL, .loss = loss};
    dyn_status s = dyn_net_init(&r->net, &d);
    if (s == DYN_ERR_SIZE) {
        double P = 0;
        for (int l = 0, nin = r->data.d; l <= depth; l++) {
            int nout = l < depth ? width : k;
            P += (double)nout * nin + nout;
            nin = nout;
        }
        die("--depth/--width: the net would have %.0f parameters, more than the %ld allowed", P, (long)DYN_NET_MAX_PARAMS);
    }
    check(s, "setting up the network");
    r->P = dyn_net_param_count(&r->net);
    r->sw2 = get_num(c, "sw2");
    r->sb2 = get_num(c, "sb2");
    if (!(r->sw2 > 0.0) || r->sw2 > 1000.0) die("--sw2: %g is out of range (0, 1000]", r->sw2);
    if (r->sb2 < 0.0 || r->sb2 > 1000.0) die("--sb2: %g is out of range [0, 1000]", r->sb2);
    dyn_opt op;
    if (dyn_opt_parse(get(c, "opt"), &op))
        die("--opt: unknown optimiser '%s'; choose %s", get(c, "opt"), core_names("opt", list, sizeof list));
    double lr = get_num(c, "lr"), mom = get_num(c, "momentum"), wd = get_num(c, "wd");
    if (lr < 0.0 || lr > 100.0) die("--lr: %g is out of range (0, 100] (0: the optimiser's default)", lr);
    if (mom < 0.0 || mom >= 1.0) die("--momentum: %g is out of range [0, 1) (0: no momentum)", mom);
    if (wd < 0.0 || wd > 10.0) die("--wd: %g is out of range [0, 10]", wd);
    r->seed = get_int(c, "seed", 0, 0x7fffffffL);
    /* in dyn_train_desc 0 means "the default 0.9"; an explicit --momentum 0 is DYN_TRAIN_ZERO */
    r->td = (dyn_train_desc){.opt = op, .lr = lr, .momentum = mom == 0.0 ? DYN_TRAIN_ZERO : mom, .weight_decay = wd,
                             .batch = (int)get_int(c, "batch", 0, DYN_DATA_MAX_N), .seed = (uint64_t)r->seed};
    r->steps = (int)get_int(c, "steps", 0, 10000000);
    r->snaps = (int)get_int(c, "snapshots", 2, DYN_LS_MAX_PATH);
    r->work = dyn_train_work(&r->net, r->td.batch, r->data.n, r->steps, path_points(r));
    if (!dyn_train_bytes(&r->net, &r->td, r->data.n))
        die("--depth/--width/--batch: the training state of this net and batch would take 2 GB or more");
    r->out = get(c, "out");
    r->png = get_png(c);
}

/* trains with the run's options, keeping r->snaps snapshots (the initialisation and the end included) */
static void train(run *r)
{
    size_t P = r->P;
    r->theta0 = xmalloc(sizeof(double) * P, "the parameters");
    r->theta = xmalloc(sizeof(double) * P, "the parameters");
    check(dyn_net_init_params(&r->net, r->sw2, r->sb2, (uint64_t)r->seed, r->theta0, P), "initialising");
    int T = path_points(r);
    r->T = T;
    r->path = xmalloc(sizeof(double) * P * T, "the training path");
    r->hist = xmalloc(sizeof(double) * (r->steps + 1), "the loss history");
    r->snap_loss = xmalloc(sizeof(double) * T, "the history");
    r->snap_acc = xmalloc(sizeof(double) * T, "the history");
    r->snap_step = xmalloc(sizeof(int) * T, "the history");
    size_t bytes = dyn_train_bytes(&r->net, &r->td, r->data.n);
    if (!bytes) die("the optimiser's options are out of range");
    void *mem = xmalloc(bytes, "the training state");
    dyn_train t;
    check(dyn_train_init(&t, &r->net, &r->td, &r->data, r->theta0, mem, bytes), "setting up training");
    size_t es = dyn_net_scratch_doubles(&r->net, r->data.n < DYN_NET_MAX_BATCH ? r->data.n : DYN_NET_MAX_BATCH);
    double *s = xmalloc(sizeof(double) * es, "evaluation scratch");
    double t0 = now_ms();
    int done = 0;
    progress pg;
    progress_start(&pg, "training", r->steps);
    for (int i = 0; i < T; i++) {
        progress_step(&pg, done);
        int target = (int)((long)r->steps * i / (T - 1));
        if (target > done) {
            dyn_status st = dyn_train_run(&t, &r->data, target - done, r->hist + done);
            if (st == DYN_ERR_NAN)
                die("training diverged at step %ld (the loss is not finite): lower --lr (now %g)", t.step, t.d.lr);
            check(st, "training");
            done = target;
        }
        memcpy(r->path + (size_t)i * P, t.theta, sizeof(double) * P);
        check(dyn_net_eval(&r->net, t.theta, &r->data, &r->snap_loss[i], &r->snap_acc[i], s, es), "evaluating");
        r->snap_step[i] = done;
    }
    r->train_ms = now_ms() - t0;
    memcpy(r->theta, t.theta, sizeof(double) * P);
    r->loss = r->snap_loss[T - 1];
    r->acc = r->snap_acc[T - 1];
    r->used = t.d;
    free(s);
    free(mem);
    check(dyn_train_verdict(r->snap_loss[0], r->loss, r->acc, r->net.loss == DYN_LOSS_XENT ? r->data.n_class : 0, 0,
                            &r->verdict),
          "judging the run");
    if (r->verdict.verdict != DYN_VERDICT_LEARNED) {
        char msg[256];
        dyn_verdict_text(&r->verdict, msg, sizeof msg);
        fprintf(stderr, "dynlens: warning: the net %s\n", msg);
    }
}

static void free_train(run *r)
{
    free(r->theta0);
    free(r->theta);
    free(r->path);
    free(r->hist);
    free(r->snap_loss);
    free(r->snap_acc);
    free(r->snap_step);
}

static void free_run(run *r)
{
    free_train(r);
    free(r->font);
    free(r->x);
    free(r->y);
}

/* ------------------------------------------------------------------ files */

/* Every name a landscape command writes in --out: an existing folder holding anything else is not replaced. */
static const char *const OUT_NAMES[] = {
    "theta.npy", "theta0.npy", "path.npy", "X.npy", "y.npy", "net.json", "history.csv", "reproduce.py", "loss.png",
    "boundary.png", "dirs.npy", "grid_loss.npy", "grid_acc.npy", "slice.csv", "slice.json", "path_ab.csv", "slice.png",
    "surface.png", "thetaA.npy", "thetaB.npy", "interp.csv", "interp.png", "hess_dirs.npy", NULL};

/* checks --out and stages the new folder: before any work, so that a bad --out fails fast */
static void stage_out(run *r)
{
    r->os = xmalloc(sizeof *r->os, "the output files");
    memset(r->os, 0, sizeof *r->os);
    outs_dir(r->os, r->out, OUT_NAMES);
}

/* all files into place (the old folder's content goes), then the JSON may be printed */
static void commit_out(run *r)
{
    outs_commit(r->os);
    free(r->os);
    r->os = NULL;
}

/* a file's path in the output folder, held by the caller */
typedef struct fpath {
    char s[4096];
} fpath;

static const char *path_in(fpath *b, const run *r, const char *name)
{
    if (snprintf(b->s, sizeof b->s, "%s/%s", r->os->dir, name) >= (int)sizeof b->s) die("--out: the path is too long");
    return b->s;
}

static void write_net_json(const run *r)
{
    fpath pb;
    struct {
        FILE *f;
    } o = {outs_file(r->os, path_in(&pb, r, "net.json"))};
    const dyn_net *n = &r->net;
    fprintf(o.f, "{\"format\": \"dynlens net 1\",\n \"doc\": \"theta (P,) float64; layer l: W = theta[w:w+out*in].reshape(out, in), "
                 "b = theta[b:b+out]; a = h @ W.T + b; hidden: h = phi(a) + (h if skip else 0); last layer: z = a\",\n");
    fprintf(o.f, " \"act\": \"%s\", \"loss\": \"%s\", \"n_params\": %ld, \"n_in\": %d, \"n_out\": %d, \"depth\": %d,\n",
            dyn_act_name(n->act), dyn_loss_name(n->loss), n->n_params, n->dim[0], n->dim[n->depth + 1], n->depth);
    fprintf(o.f, " \"layers\": [");
    for (int l = 1; l <= n->depth + 1; l++)
        fprintf(o.f, "%s\n  {\"in\": %d, \"out\": %d, \"w\": %ld, \"b\": %ld, \"hidden\": %s, \"skip\": %s}", l > 1 ? "," : "",
                n->dim[l - 1], n->dim[l], n->w_off[l], n->b_off[l], l <= n->depth ? "true" : "false", n->skip[l] ? "true" : "false");
    fprintf(o.f, "],\n \"data\": \"%s\", \"n\": %d, \"n_class\": %d, \"class_values\": ", r->data_name, r->data.n, r->data.n_class);
    jarr(o.f, r->class_values, r->data.n_class);
    fprintf(o.f, ",\n \"train\": {\"opt\": \"%s\", \"lr\": ", dyn_opt_name(r->used.opt));
    jnum(o.f, r->used.lr);
    fprintf(o.f, ", \"batch\": %d, \"steps\": %d, \"seed\": %ld, \"sw2\": ", r->used.batch, r->steps, r->seed);
    jnum(o.f, r->sw2);
    fprintf(o.f, ", \"sb2\": ");
    jnum(o.f, r->sb2);
    fprintf(o.f, ", \"weight_decay\": ");
    jnum(o.f, r->used.weight_decay);
    fprintf(o.f, "},\n \"final_loss\": ");
    jnum(o.f, r->loss);
    fprintf(o.f, ", \"final_acc\": ");
    jnum(o.f, r->acc);
    fprintf(o.f, "}\n");
}

/* the numpy program that recomputes slice values from the files (documented in --help) */
static const char REPRODUCE_PY[] =
    "# reproduce.py - recompute dynlens landscape values from the written files with numpy alone.\n"
    "# usage: python3 DIR/reproduce.py  (it reads the files next to it)\n"
    "import json, math, os, numpy as np\n"
    "os.chdir(os.path.dirname(os.path.abspath(__file__)))  # the files sit next to this script\n"
    "net = json.load(open('net.json')); X = np.load('X.npy'); y = np.load('y.npy'); theta = np.load('theta.npy')\n"
    "erf = np.vectorize(math.erf)\n";
/* then PHI, one line per activation from the core's table (dyn_act_numpy), then the rest */
static const char REPRODUCE_PY_REST[] =
    "def loss_acc(t):\n"
    "    h = X\n"
    "    for L in net['layers']:\n"
    "        W = t[L['w']:L['w'] + L['out'] * L['in']].reshape(L['out'], L['in']); b = t[L['b']:L['b'] + L['out']]\n"
    "        a = h @ W.T + b\n"
    "        h = (PHI[net['act']](a) + (h if L['skip'] else 0)) if L['hidden'] else a\n"
    "    z = h\n"
    "    if net['n_class'] == 0: return float(np.mean(0.5 * (z[:, 0] - y) ** 2)), float('nan')\n"
    "    lab = y.astype(int); acc = float(np.mean(np.argmax(z, 1) == lab))\n"
    "    if net['loss'] == 'xent':\n"
    "        m = z.max(1); lse = m + np.log(np.exp(z - m[:, None]).sum(1)); return float(np.mean(lse - z[np.arange(len(y)), lab])), acc\n"
    "    T = np.eye(z.shape[1])[lab]; return float(np.mean(0.5 * ((z - T) ** 2).sum(1))), acc\n"
    "print('final loss %.9g (net.json: %.9g)' % (loss_acc(theta)[0], net['final_loss']))\n"
    "try:\n"
    "    D = np.load('dirs.npy'); G = np.load('grid_loss.npy'); ab = json.load(open('slice.json'))\n"
    "    ny, nx = G.shape; worst = 0\n"
    "    for (i, j) in [(0, 0), (ny // 2, nx // 2), (ny - 1, nx - 1), (ny // 3, 2 * nx // 3)]:\n"
    "        a = ab['a_min'] + (ab['a_max'] - ab['a_min']) * j / max(nx - 1, 1)\n"
    "        bb = ab['b_max'] - (ab['b_max'] - ab['b_min']) * i / max(ny - 1, 1)\n"
    "        L = loss_acc(theta + a * D[0] + bb * D[1])[0]; worst = max(worst, abs(L - G[i, j]) / abs(L))\n"
    "        print('slice (a=%.4g, b=%.4g): numpy %.9g, dynlens %.9g' % (a, bb, L, G[i, j]))\n"
    "    print('worst relative difference %.2g (float32 grid)' % worst)\n"
    "except FileNotFoundError:\n"
    "    pass\n";

static void write_common(const run *r)
{
    fpath pb;
    outs_npy_f64(r->os, path_in(&pb, r, "theta.npy"), r->theta, -1, (long)r->P);
    outs_npy_f64(r->os, path_in(&pb, r, "theta0.npy"), r->theta0, -1, (long)r->P);
    outs_npy_f64(r->os, path_in(&pb, r, "path.npy"), r->path, r->T, (long)r->P);
    outs_npy_f64(r->os, path_in(&pb, r, "X.npy"), r->data.x, r->data.n, r->data.d);
    outs_npy_f64(r->os, path_in(&pb, r, "y.npy"), r->data.y, -1, r->data.n);
    write_net_json(r);
    struct {
        FILE *f;
    } o = {outs_file(r->os, path_in(&pb, r, "history.csv"))};
    fprintf(o.f, "# minibatch loss per step; full-data loss and accuracy at the path snapshots (path.npy rows)\n");
    fprintf(o.f, "step,minibatch_loss,snapshot,loss,acc\n");
    int k = 0;
    for (int s = 0; s <= r->steps; s++) {
        char b1[32];
        fprintf(o.f, "%d,%s", s, s < r->steps ? shortest(r->hist[s], b1) : "");
        if (k < r->T && r->snap_step[k] == s) {
            char b2[32], b3[32];
            fprintf(o.f, ",%d,%s,%s\n", k, shortest(r->snap_loss[k], b2), r->data.n_class ? shortest(r->snap_acc[k], b3) : "");
            while (k < r->T && r->snap_step[k] == s) k++;
        } else {
            fprintf(o.f, ",,,\n");
        }
    }
    FILE *py = outs_file(r->os, path_in(&pb, r, "reproduce.py"));
    fputs(REPRODUCE_PY, py);
    fputs("PHI = {\n", py);
    for (int a = 0; a < DYN_ACT_COUNT; a++)
        fprintf(py, "    '%s': lambda a: %s,\n", dyn_act_name((dyn_act)a), dyn_act_numpy((dyn_act)a));
    fputs("}\n", py);
    fputs(REPRODUCE_PY_REST, py);
}

/* before any work, so that a missing font fails fast instead of after the training */
static void load_figure_font(run *r) { r->font = load_font(&r->font_len); }

/* a figure with the run's font, in memory (the caller frees it) or to a PNG */
static uint8_t *run_figure(const run *r, dyn_fig_desc *d, const float *grid, int nx, int ny, const dyn_fig_line *lines,
                           int nl, const dyn_fig_series *s, int ns)
{
    d->font = r->font;
    d->font_len = r->font_len;
    return figure_draw(d, grid, nx, ny, lines, nl, s, ns);
}

static void figure_out(const run *r, const char *path, dyn_fig_desc *d, const float *grid, int nx, int ny,
                       const dyn_fig_line *lines, int nl, const dyn_fig_series *s, int ns)
{
    uint8_t *rgba = run_figure(r, d, grid, nx, ny, lines, nl, s, ns);
    outs_png(r->os, path, rgba, d->width, d->height);
    free(rgba);
}

/* The 3-D surface with a title line (png-size, the caller frees it). render3d draws no text, so the title comes
 * from the figure module: an empty plot of the full size with only the title, whose band above the plot frame
 * is kept; the surface is rendered into the rest. rd: camera and colours, its width and height are set here. */
static uint8_t *surface_draw(const run *r, const char *title, dyn_r3d_desc *rd, const float *grid, int nx, int ny)
{
    int W = r->png.width, H = r->png.height;
    dyn_fig_series none = {.n = 0};
    /* y up to 1.3: the top tick label (1.0) sits well inside the frame, so the band above it holds only the title */
    dyn_fig_desc fd = {.width = W, .height = H, .font = r->font, .font_len = r->font_len, .title = title, .x0 = 0,
                       .x1 = 1, .y0 = 0, .y1 = 1.3, .cmap = DYN_CMAP_VIRIDIS, .no_legend = 1};
    size_t sb = dyn_fig_scratch_bytes(&fd, 0), pix = (size_t)4 * W * H;
    void *sc = xmalloc(sb, "figure scratch");
    uint8_t *out = xmalloc(pix, "the 3-D figure");
    dyn_fig_layout lay;
    check(dyn_fig_plot(&fd, &none, 1, out, pix, sc, sb, &lay), "drawing the title of the 3-D figure");
    free(sc);
    int band = lay.plot_y - (H / 240 + 3); /* above the frame line */
    if (band < 0) band = 0;
    if (H - band < DYN_R3D_MIN_SIDE) band = H - DYN_R3D_MIN_SIDE;
    rd->width = W;
    rd->height = H - band;
    size_t rb = dyn_r3d_scratch_bytes(rd, nx, ny), rpix = (size_t)4 * W * rd->height;
    if (!rb) die("--png-size: %dx%d px is too large for the 3-D surface", W, H);
    void *rs = xmalloc(rb, "3-D scratch");
    uint8_t *img = xmalloc(rpix, "the 3-D figure");
    check(dyn_r3d_surface(rd, grid, nx, ny, img, rpix, rs, rb), "rendering the surface");
    memcpy(out + (size_t)4 * W * band, img, rpix);
    free(img);
    free(rs);
    return out;
}

static const char *arch_text(const run *r, char *b, size_t cap)
{
    int sk = 0;
    for (int l = 2; l <= r->net.depth; l++) sk |= r->net.skip[l];
    snprintf(b, cap, "%d×%d %s%s, %s", r->net.depth, r->net.depth ? r->net.dim[1] : 0, dyn_act_name(r->net.act),
             sk ? " + skips" : "", dyn_opt_name(r->used.opt));
    return b;
}

static void loss_figure(const run *r)
{
    fpath pb;
    int n = r->steps;
    if (n < 1) return;
    double *x = xmalloc(sizeof(double) * (n + r->T), "the curve"), *sx = x + n;
    for (int i = 0; i < n; i++) x[i] = i;
    for (int i = 0; i < r->T; i++) sx[i] = r->snap_step[i];
    char title[320], a[96];
    snprintf(title, sizeof title, "Training loss: %s on %s", arch_text(r, a, sizeof a), r->data_name);
    dyn_fig_series s[2] = {
        {.x = x, .y = r->hist, .n = n, .rgba = {160, 190, 220, 255}, .width = 1, .label = "minibatch"},
        {.x = sx, .y = r->snap_loss, .n = r->T, .rgba = {31, 119, 180, 255}, .marker = 1, .label = "all data"}};
    dyn_fig_desc d = {.width = r->png.width, .height = r->png.height, .title = title, .xlabel = "step",
                      .ylabel = "loss", .y0 = DNAN, .y1 = DNAN, .cmap = DYN_CMAP_VIRIDIS, .log_y = 1};
    figure_out(r, path_in(&pb, r, "loss.png"), &d, NULL, 0, 0, NULL, 0, s, 2);
    free(x);
}

/* small crosses at the data points, one polyline per class with NaN breaks */
static void boundary_figure(const run *r)
{
    fpath pb;
    if (r->data.d != 2 || !r->data.n_class) return;
    double lo[2] = {DINF, DINF}, hi[2] = {-DINF, -DINF};
    for (int i = 0; i < r->data.n; i++)
        for (int k = 0; k < 2; k++) lo[k] = fmin(lo[k], r->data.x[2 * i + k]), hi[k] = fmax(hi[k], r->data.x[2 * i + k]);
    for (int k = 0; k < 2; k++) {
        double m = 0.08 * (hi[k] - lo[k]) + 1e-9;
        lo[k] -= m, hi[k] += m;
    }
    enum { G = 200 };
    float *cls = xmalloc(sizeof(float) * 2 * G * G, "the grid"), *conf = cls + G * G;
    size_t ns = dyn_net_grid2d_scratch_doubles(&r->net, G, G);
    double *s = xmalloc(sizeof(double) * ns, "grid scratch");
    check(dyn_net_grid2d(&r->net, r->theta, lo[0], hi[0], lo[1], hi[1], G, G, cls, conf, s, ns), "the decision grid");
    int k = r->data.n_class;
    for (int i = 0; i < G * G; i++) /* two classes: P(class 1); more: the class */
        cls[i] = k == 2 ? (cls[i] == 1.0f ? conf[i] : 1.0f - conf[i]) : cls[i];
    static const uint8_t pal[10][3] = {{31, 119, 180}, {214, 39, 40}, {44, 160, 44}, {255, 127, 14}, {148, 103, 189},
                                       {140, 86, 75}, {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    dyn_fig_line *ln = xmalloc(sizeof(dyn_fig_line) * k, "lines");
    double *pts = xmalloc(sizeof(double) * 12 * r->data.n, "points");
    double hx = 0.006 * (hi[0] - lo[0]), hy = 0.008 * (hi[1] - lo[1]);
    int used = 0;
    char labs[16][32];
    for (int c = 0; c < k && c < 16; c++) {
        double *xs = pts + 6 * (size_t)used, *ys = pts + 6 * (size_t)r->data.n + 6 * (size_t)used;
        int m = 0;
        for (int i = 0; i < r->data.n; i++) {
            if ((int)r->data.y[i] != c) continue;
            double x0 = r->data.x[2 * i], y0 = r->data.x[2 * i + 1];
            double X6[6] = {x0 - hx, x0 + hx, DNAN, x0 - hx, x0 + hx, DNAN}, Y6[6] = {y0 - hy, y0 + hy, DNAN, y0 + hy, y0 - hy, DNAN};
            memcpy(xs + m, X6, sizeof X6);
            memcpy(ys + m, Y6, sizeof Y6);
            m += 6;
        }
        used += m / 6;
        snprintf(labs[c], sizeof labs[c], "class %g", r->class_values[c]);
        const uint8_t *p = k == 2 ? (c == 0 ? (const uint8_t[]){20, 40, 120} : (const uint8_t[]){120, 10, 10}) : pal[c % 10];
        ln[c] = (dyn_fig_line){.x = xs, .y = ys, .n = m, .rgba = {p[0], p[1], p[2], 255}, .width = 1.6, .label = labs[c]};
    }
    char title[320], a[96];
    snprintf(title, sizeof title, "Decision boundary: %s on %s (accuracy %.1f %%)", arch_text(r, a, sizeof a), r->data_name, 100 * r->acc);
    dyn_fig_desc d = {.width = r->png.width, .height = r->png.height, .title = title, .xlabel = "x_1", .ylabel = "x_2",
                      .clabel = k == 2 ? "P(class 1)" : "predicted class", .x0 = lo[0], .x1 = hi[0], .y0 = lo[1],
                      .y1 = hi[1], .cmap = k == 2 ? DYN_CMAP_RDBU : DYN_CMAP_VIRIDIS, .vmin = 0,
                      .vmax = k == 2 ? 1 : k - 1};
    figure_out(r, path_in(&pb, r, "boundary.png"), &d, cls, G, G, ln, k < 16 ? k : 16, NULL, 0);
    free(ln);
    free(pts);
    free(s);
    free(cls);
}

static void print_train_json(const run *r)
{
    printf("{\"data\": \"%s\", \"n\": %d, \"features\": %d, \"classes\": %d, \"depth\": %d, \"width\": %d, \"act\": \"%s\", "
           "\"skip\": %s, \"loss_fn\": \"%s\", \"opt\": \"%s\", \"lr\": ",
           r->data_name, r->data.n, r->data.d, r->data.n_class, r->net.depth, r->net.depth ? r->net.dim[1] : 0,
           dyn_act_name(r->net.act), r->net.depth >= 2 && r->net.skip[2] ? "true" : "false", dyn_loss_name(r->net.loss),
           dyn_opt_name(r->used.opt));
    jnum(stdout, r->used.lr);
    printf(", \"batch\": %d, \"steps\": %d, \"seed\": %ld, \"params\": %zu, \"loss\": ", r->used.batch, r->steps, r->seed, r->P);
    jnum(stdout, r->loss);
    printf(", \"acc\": ");
    jnum(stdout, r->acc);
    printf(", \"initial_loss\": ");
    jnum(stdout, r->snap_loss[0]);
    printf(", \"verdict\": \"%s\", \"snapshots\": %d, \"train_ms\": %.1f, \"out\": ", dyn_verdict_name(r->verdict.verdict),
           r->T, r->train_ms);
    jstr(stdout, r->out);
}

static void prepare(cmd *c, int argc, char **argv, run *r)
{
    parse_opts(c, argc, argv);
    memset(r, 0, sizeof *r);
    load_data(c, r);
    setup_net(c, r);
}

/* ------------------------------------------------------------------ landscape train */

static int cmd_train(int argc, char **argv)
{
    opt o[] = {RUN_OPTS, {0}};
    cmd c = {"dynlens landscape train [--data D] [--depth L] [--width N] [--act A] [--skip] [--opt O] [--steps S] ... [--out DIR]",
             "Trains a fully connected net and writes to DIR: theta.npy (final parameters, float64, layout in net.json and\n"
             "core/net.h), theta0.npy (initialisation), path.npy (snapshots x P), X.npy, y.npy (the data as used, CSV/digits\n"
             "standardised), net.json, history.csv, reproduce.py (numpy check), loss.png and, for 2-D data, boundary.png.\n"
             "Prints a JSON summary.",
             o};
    run r;
    prepare(&c, argc, argv, &r);
    budget_check(&c, "landscape train", r.work);
    load_figure_font(&r);
    stage_out(&r);
    train(&r);
    loss_figure(&r); /* the figures first: a drawing error stops before any data file is staged */
    boundary_figure(&r);
    write_common(&r);
    commit_out(&r);
    print_train_json(&r);
    printf("}\n");
    free_run(&r);
    return 0;
}

/* ------------------------------------------------------------------ landscape slice */

static void get_dirs(const cmd *c, run *r, double *dirs, char *what, size_t cap, double *var)
{
    const char *kind = get(c, "dirs");
    size_t P = r->P;
    var[0] = var[1] = DNAN;
    if (strcmp(kind, "random") == 0) {
        dyn_dirnorm nm;
        if (dyn_dirnorm_parse(get(c, "norm"), &nm)) die("--norm: unknown normalisation '%s'", get(c, "norm")); /* checked in cmd_slice */
        long ds = get_int(c, "dir-seed", 0, 0x7fffffffL);
        check(dyn_ls_random_dirs(&r->net, r->theta, nm, (uint64_t)ds, 2, dirs, 2 * P), "random directions");
        snprintf(what, cap, "random directions (%s-normalised)", dyn_dirnorm_name(nm));
    } else if (strcmp(kind, "pca") == 0) {
        size_t ns = dyn_ls_pca_scratch_doubles(r->T);
        double *s = xmalloc(sizeof(double) * ns, "PCA scratch");
        dyn_status st = dyn_ls_pca(r->path, r->T, P, r->theta, 2, dirs, var, s, ns);
        if (st == DYN_ERR_NO_SOLUTION) die("--dirs pca: the training path does not span two directions (train longer)");
        check(st, "PCA of the path");
        free(s);
        snprintf(what, cap, "PCA directions of the path (%.1f %% + %.1f %% of its variance)", 100 * var[0], 100 * var[1]);
    } else if (strcmp(kind, "hessian") == 0) {
        dyn_ls_hess_desc hd = {.k = 2, .steps = (int)get_int(c, "lanczos", 2, DYN_LS_MAX_LANCZOS), .seed = 1};
        size_t ns = dyn_ls_hessian_scratch_doubles(&r->net, r->data.n, &hd);
        double *s = xmalloc(sizeof(double) * ns, "Lanczos scratch");
        dyn_ls_hess_result res;
        check(dyn_ls_hessian(&r->net, r->theta, &r->data, &hd, &res, dirs, 2 * P, s, ns), "Hessian eigenvectors");
        free(s);
        var[0] = res.eval[0], var[1] = res.eval[1];
        snprintf(what, cap, "top Hessian eigenvectors (λ_1 = %.4g, λ_2 = %.4g)", res.eval[0], res.eval[1]);
    } else {
        die("--dirs: unknown directions '%s'; choose random, pca or hessian", kind);
    }
}

static int cmd_slice(int argc, char **argv)
{
    opt o[] = {RUN_OPTS,
               {"dirs", "random", "random, pca (of the training path) or hessian (top-2 eigenvectors)", 0, 0},
               {"norm", "filter", "random directions: {dirnorm}", 0, 0},
               {"dir-seed", "7", "seed of the random directions", 0, 0},
               {"lanczos", "40", "Lanczos steps for --dirs hessian", 0, 0},
               {"range", "-1:1", "a range MIN:MAX (columns; default for pca: the path's extent + 30 %)", 0, 0},
               {"range-b", NULL, "b range MIN:MAX (rows; default: as --range)", 0, 0},
               {"size", "51x51", "grid COLUMNSxROWS", 0, 0},
               {"scale", "log", "colour scale of the loss: log or linear", 0, 0},
               {"azimuth", "-60", "3-D view: azimuth in degrees", 0, 0},
               {"elevation", "35", "3-D view: elevation in degrees", 0, 0},
               {"vmax", NULL, "clip the loss at this value in the figures (default: the 99th percentile)", 0, 0},
               {0}};
    cmd c = {"dynlens landscape slice [training options] [--dirs random|pca|hessian] [--norm filter|layer|none]\n"
             "                        [--range MIN:MAX] [--size WxH] [--out DIR]",
             "Trains as `train` does, then evaluates L(theta + a d1 + b d2) and the accuracy on a grid, and writes to DIR\n"
             "everything `train` writes plus: dirs.npy (2 x P float64: d1, d2), grid_loss.npy and grid_acc.npy (float32,\n"
             "rows x columns, row 0 = b max), slice.csv (a, b, loss, acc), slice.json (ranges), path_ab.csv (the path\n"
             "projected on the plane), slice.png (heatmap, contours, path) and surface.png (3-D).\n"
             "Reproduce a value in numpy: t = theta + a*dirs[0] + b*dirs[1], then the forward pass of net.json on X.npy\n"
             "(python3 DIR/reproduce.py does exactly that for a few grid points).",
             o};
    run r;
    prepare(&c, argc, argv, &r);
    /* everything that can be wrong with the options is checked here, before the training: a failure after it
     * would leave a mix of new and stale files in --out */
    int nx, ny;
    get_size(&c, "size", &nx, &ny, DYN_LS_MAX_GRID);
    if (nx < 2 || ny < 2) die("--size: a slice needs at least 2x2 points");
    if (nx > DYN_R3D_MAX_GRID || ny > DYN_R3D_MAX_GRID)
        die("--size: %dx%d is too large for the 3-D surface (surface.png): each side at most %d", nx, ny, DYN_R3D_MAX_GRID);
    const char *scale = get(&c, "scale"), *kind = get(&c, "dirs");
    if (strcmp(scale, "log") && strcmp(scale, "linear")) die("--scale: choose log or linear, not '%s'", scale);
    if (strcmp(kind, "random") && strcmp(kind, "pca") && strcmp(kind, "hessian"))
        die("--dirs: unknown directions '%s'; choose random, pca or hessian", kind);
    dyn_dirnorm nm;
    char list[128];
    if (dyn_dirnorm_parse(get(&c, "norm"), &nm))
        die("--norm: unknown normalisation '%s'; choose %s", get(&c, "norm"), core_names("dirnorm", list, sizeof list));
    double az = get_num(&c, "azimuth"), el = get_num(&c, "elevation");
    if (el < -89 || el > 89) die("--elevation: %g is out of range [-89, 89]", el);
    double vclip = get(&c, "vmax") ? get_num(&c, "vmax") : DNAN;
    if (!isnan(vclip) && !(vclip > 0)) die("--vmax must be positive");
    double a0, a1, b0, b1;
    get_range(&c, "range", &a0, &a1);
    if (get(&c, "range-b")) get_range(&c, "range-b", &b0, &b1);
    else b0 = a0, b1 = a1;
    int range_given = 0;
    for (opt *p = o; p->name; p++) range_given |= strcmp(p->name, "range") == 0 && p->seen;
    size_t n = (size_t)nx * ny;
    char what[160];
    dyn_work work = dyn_work_add(r.work, dyn_ls_slice_work(&r.net, r.data.n, nx, ny));
    if (!dyn_ls_slice_scratch_doubles(&r.net, r.data.n)) die("--data: %d examples take 2 GB or more of slice scratch with this net", r.data.n);
    if (strcmp(kind, "pca") == 0 && r.steps < 2) die("--dirs pca: the path of %d training steps cannot span two directions (--steps 2 or more)", r.steps);
    if (strcmp(kind, "hessian") == 0) {
        if (r.P < 2) die("--dirs hessian: the net has P = %zu parameter, fewer than the 2 eigenvectors", r.P);
        dyn_ls_hess_desc hd = {.k = 2, .steps = (int)get_int(&c, "lanczos", 2, DYN_LS_MAX_LANCZOS), .seed = 1};
        if (!dyn_ls_hessian_scratch_doubles(&r.net, r.data.n, &hd))
            die("--lanczos: %d steps with P = %zu parameters take 2 GB or more of scratch; use fewer", hd.steps, r.P);
        work = dyn_work_add(work, dyn_ls_hessian_work(&r.net, r.data.n, &hd));
    }
    budget_check(&c, "landscape slice", work);
    dyn_r3d_desc rd;
    memset(&rd, 0, sizeof rd);
    rd.width = r.png.width;
    rd.height = r.png.height;
    rd.azimuth = az;
    rd.elevation = el;
    if (!dyn_r3d_scratch_bytes(&rd, nx, ny))
        die("--png-size: %dx%d px is too large for the 3-D surface: each side at most %d px", r.png.width, r.png.height,
            DYN_R3D_MAX_SIDE);
    load_figure_font(&r);
    stage_out(&r);
    train(&r);
    size_t P = r.P;
    double *dirs = xmalloc(sizeof(double) * 2 * P, "the directions"), var[2];
    get_dirs(&c, &r, dirs, what, sizeof what, var);
    double *ab = xmalloc(sizeof(double) * 2 * r.T, "the projected path");
    dyn_status ps = dyn_ls_project(r.path, r.T, P, r.theta, dirs, dirs + P, ab);
    if (ps) for (int i = 0; i < 2 * r.T; i++) ab[i] = DNAN;
    if (strcmp(kind, "pca") == 0 && !range_given) { /* frame the path: the core's window, the page's too */
        double m;
        check(dyn_ls_path_window(ab, r.T, &m), "the path's window");
        a0 = b0 = -m, a1 = b1 = m;
    }
    float *loss = xmalloc(sizeof(float) * 2 * n, "the grid"), *acc = loss + n;
    size_t ns = dyn_ls_slice_scratch_doubles(&r.net, r.data.n);
    double *s = xmalloc(sizeof(double) * ns, "slice scratch");
    dyn_ls_slice_desc sd = {.a_min = a0, .a_max = a1, .b_min = b0, .b_max = b1, .nx = nx, .ny = ny};
    double t0 = now_ms();
    progress pg;
    progress_start(&pg, "the slice", ny);
    for (int rb = 0, band = ny / 20 > 1 ? ny / 20 : 1; rb < ny; rb += band) { /* bands of rows, for the progress */
        sd.row_begin = rb;
        sd.row_end = rb + band < ny ? rb + band : ny;
        size_t off = (size_t)rb * nx;
        check(dyn_ls_slice(&r.net, r.theta, dirs, dirs + P, &r.data, &sd, loss + off, acc + off, n - off, s, ns),
              "the slice");
        progress_step(&pg, sd.row_end);
    }
    double ms = now_ms() - t0;

    /* the figures, drawn in memory before any file is written */
    int lg = strcmp(scale, "log") == 0;
    double lo = DINF, hi = -DINF;
    for (size_t i = 0; i < n; i++)
        if (isfinite(loss[i]) && loss[i] > 0) lo = fmin(lo, loss[i]), hi = fmax(hi, loss[i]);
    float *tmp = xmalloc(sizeof(float) * n, "scratch");
    double p1, p99;
    if (dyn_cmap_auto_range(loss, n, lg, &p1, &p99, tmp) != DYN_OK) p1 = lo, p99 = hi;
    free(tmp);
    double vmax = isnan(vclip) ? p99 : vclip, vmin = lo;
    if (!(vmax > vmin)) vmax = vmin * 2 + 1e-9;
    /* 14 level lines, the core's (the page draws the same ones) */
    double levels[14];
    size_t ncs = 0;
    double *csx = NULL, *csy = NULL;
    dyn_contour_box cbox = {.x0 = a0, .x1 = a1, .y0 = b0, .y1 = b1};
    if (dyn_contour_levels(vmin, vmax, lg, 14, levels) == DYN_OK) {
        check(dyn_contour(loss, nx, ny, &cbox, levels, 14, NULL, NULL, 0, &ncs), "contour lines");
        csx = xmalloc(sizeof(double) * (ncs + 1), "contour lines");
        csy = xmalloc(sizeof(double) * (ncs + 1), "contour lines");
        check(dyn_contour(loss, nx, ny, &cbox, levels, 14, csx, csy, ncs, &ncs), "contour lines");
    }
    double *px = xmalloc(sizeof(double) * 2 * r.T, "the path"), *py = px + r.T;
    for (int i = 0; i < r.T; i++) px[i] = ab[2 * i], py[i] = ab[2 * i + 1];
    double ex[2] = {0, 0}, ey[2] = {0, 0}; /* the end point: a dot as a zero-length thick line */
    dyn_fig_line lines[3] = {{.x = csx, .y = csy, .n = (int)ncs, .rgba = {255, 255, 255, 150}, .width = 1.0},
                             {.x = px, .y = py, .n = r.T, .rgba = {255, 80, 60, 255}, .width = 2.5, .label = "training path"},
                             {.x = ex, .y = ey, .n = 2, .rgba = {255, 80, 60, 255}, .width = 9}};
    char title[320], a[96], xl[64], yl[64];
    snprintf(title, sizeof title, "Loss landscape: %s on %s", arch_text(&r, a, sizeof a), r.data_name);
    int pca = strcmp(kind, "pca") == 0, hes = strcmp(kind, "hessian") == 0;
    if (pca) snprintf(xl, sizeof xl, "PC 1 (%.1f %%)", 100 * var[0]), snprintf(yl, sizeof yl, "PC 2 (%.1f %%)", 100 * var[1]);
    else if (hes) snprintf(xl, sizeof xl, "eigenvector 1 (λ = %.3g)", var[0]), snprintf(yl, sizeof yl, "eigenvector 2 (λ = %.3g)", var[1]);
    else snprintf(xl, sizeof xl, "direction 1 (α)"), snprintf(yl, sizeof yl, "direction 2 (β)");
    dyn_fig_desc d = {.width = r.png.width, .height = r.png.height, .title = title, .xlabel = xl, .ylabel = yl,
                      .clabel = "loss", .x0 = a0, .x1 = a1, .y0 = b0, .y1 = b1, .cmap = DYN_CMAP_VIRIDIS, .vmin = vmin,
                      .vmax = vmax, .log_scale = lg};
    uint8_t *heat = run_figure(&r, &d, loss, nx, ny, lines, ps ? 1 : 3, NULL, 0);
    rd.vmin = vmin;
    rd.vmax = vmax;
    rd.log_scale = lg;
    rd.path = ps ? NULL : ab;
    rd.npath = ps ? 0 : r.T;
    rd.a_min = a0, rd.a_max = a1, rd.b_min = b0, rd.b_max = b1;
    rd.path_rgba[0] = 255, rd.path_rgba[1] = 80, rd.path_rgba[2] = 60, rd.path_rgba[3] = 255;
    char title3[400];
    snprintf(title3, sizeof title3, "Loss surface: %s on %s, %s%s", a, r.data_name,
             pca ? "PCA directions" : hes ? "Hessian eigenvectors" : "random directions", lg ? " (log scale)" : "");
    uint8_t *surf = surface_draw(&r, title3, &rd, loss, nx, ny);

    fpath pb;
    write_common(&r);
    outs_npy_f64(r.os, path_in(&pb, &r, "dirs.npy"), dirs, 2, (long)P);
    outs_npy(r.os, path_in(&pb, &r, "grid_loss.npy"), loss, ny, nx);
    outs_npy(r.os, path_in(&pb, &r, "grid_acc.npy"), acc, ny, nx);
    struct {
        FILE *f;
    } f = {outs_file(r.os, path_in(&pb, &r, "slice.csv"))};
    fprintf(f.f, "# dynlens %s landscape slice: %s; loss = L(theta + a d1 + b d2), rows top first (b from max to min)\n", VERSION, what);
    fprintf(f.f, "a,b,loss,acc\n");
    for (int i = 0; i < ny; i++)
        for (int j = 0; j < nx; j++) {
            char x1[32], x2[32];
            double av = a0 + (a1 - a0) * j / (nx - 1), bv = b1 - (b1 - b0) * i / (ny - 1);
            fprintf(f.f, "%s,%s,%.9g,%.9g\n", shortest(av, x1), shortest(bv, x2), (double)loss[i * nx + j], (double)acc[i * nx + j]);
        }
    f.f = outs_file(r.os, path_in(&pb, &r, "slice.json"));
    fprintf(f.f, "{\"a_min\": ");
    jnum(f.f, a0);
    fprintf(f.f, ", \"a_max\": ");
    jnum(f.f, a1);
    fprintf(f.f, ", \"b_min\": ");
    jnum(f.f, b0);
    fprintf(f.f, ", \"b_max\": ");
    jnum(f.f, b1);
    fprintf(f.f, ", \"nx\": %d, \"ny\": %d, \"dirs\": \"%s\"}\n", nx, ny, kind);
    f.f = outs_file(r.os, path_in(&pb, &r, "path_ab.csv"));
    fprintf(f.f, "snapshot,step,a,b,loss\n");
    for (int i = 0; i < r.T; i++) {
        char x1[32], x2[32], x3[32];
        fprintf(f.f, "%d,%d,%s,%s,%s\n", i, r.snap_step[i], shortest(ab[2 * i], x1), shortest(ab[2 * i + 1], x2),
                shortest(r.snap_loss[i], x3));
    }
    outs_png(r.os, path_in(&pb, &r, "slice.png"), heat, d.width, d.height);
    outs_png(r.os, path_in(&pb, &r, "surface.png"), surf, r.png.width, r.png.height);
    commit_out(&r);
    free(heat);
    free(surf);

    double flops = 2.0 * forward_madds(&r.net) * (double)r.data.n * (double)n;
    print_train_json(&r);
    printf(", \"dirs\": \"%s\", \"what\": ", kind);
    jstr(stdout, what);
    printf(", \"nx\": %d, \"ny\": %d, \"a\": [", nx, ny);
    jnum(stdout, a0);
    printf(", ");
    jnum(stdout, a1);
    printf("], \"b\": [");
    jnum(stdout, b0);
    printf(", ");
    jnum(stdout, b1);
    printf("], \"center_loss\": ");
    jnum(stdout, r.loss);
    printf(", \"min\": ");
    jnum(stdout, lo);
    printf(", \"max\": ");
    jnum(stdout, hi);
    int minima = 0;
    double rough = 0.0;
    if (nx >= 3 && ny >= 3 && dyn_ls_roughness(loss, nx, ny, &minima, &rough) == DYN_OK) {
        printf(", \"minima\": %d, \"roughness\": ", minima); /* landscape.h: local minima, mean |Laplacian of log L| */
        jnum(stdout, rough);
    }
    printf(", \"slice_ms\": %.1f, \"points_per_s\": %.1f, \"gflops\": %.3f}\n", ms, n / (ms * 1e-3), flops / (ms * 1e-3) * 1e-9);
    free(px);
    free(csx);
    free(csy);
    free(s);
    free(loss);
    free(ab);
    free(dirs);
    free_run(&r);
    return 0;
}

/* ------------------------------------------------------------------ landscape interp */

static int cmd_interp(int argc, char **argv)
{
    opt o[] = {RUN_OPTS,
               {"b-batch", NULL, "solution B: the same run with this batch size (small- vs large-batch)", 0, 0},
               {"b-seed", NULL, "solution B: the same run with this seed", 0, 0},
               {"b-lr", NULL, "solution B: the same run with this step size", 0, 0},
               {"range", "-0.5:1.5", "t range MIN:MAX (0 = A, 1 = B)", 0, 0},
               {"points", "101", "points on the line", 0, 0},
               {0}};
    cmd c = {"dynlens landscape interp [training options] [--b-batch N | --b-seed S | --b-lr X] [--range MIN:MAX]",
             "The loss along theta(t) = (1 - t) theta_A + t theta_B (Goodfellow et al. 2015). Without --b-* options\n"
             "A is the initialisation and B the trained net; with them A is the trained net and B the same run with the\n"
             "option changed. Writes DIR/interp.csv (t, loss, acc), interp.png and thetaA.npy, thetaB.npy; prints JSON.",
             o};
    run r;
    prepare(&c, argc, argv, &r);
    double t0, t1;
    get_range(&c, "range", &t0, &t1);
    int np = (int)get_int(&c, "points", 2, DYN_LS_MAX_GRID);
    int two = get(&c, "b-batch") || get(&c, "b-seed") || get(&c, "b-lr");
    /* solution B is a second training run of the same cost */
    budget_check(&c, "landscape interp", dyn_work_add(two ? dyn_work_add(r.work, r.work) : r.work,
                                                      dyn_ls_slice_work(&r.net, r.data.n, np, 1)));
    if (!dyn_ls_slice_scratch_doubles(&r.net, r.data.n)) die("--data: %d examples take 2 GB or more of scratch with this net", r.data.n);
    load_figure_font(&r);
    stage_out(&r);
    train(&r);
    size_t P = r.P;
    double *A = xmalloc(sizeof(double) * 3 * P, "the endpoints"), *B = A + P, *D = B + P;
    char la[96] = "initialisation", lb[96] = "trained";
    if (two) {
        run r2 = r;
        if (get(&c, "b-batch")) r2.td.batch = (int)get_int(&c, "b-batch", 0, DYN_DATA_MAX_N);
        if (get(&c, "b-seed")) r2.seed = get_int(&c, "b-seed", 0, 0x7fffffffL), r2.td.seed = (uint64_t)r2.seed;
        if (get(&c, "b-lr")) {
            r2.td.lr = get_num(&c, "b-lr");
            if (!(r2.td.lr > 0) || r2.td.lr > 100) die("--b-lr: %g is out of range (0, 100]", r2.td.lr);
        }
        train(&r2);
        memcpy(A, r.theta, sizeof(double) * P);
        memcpy(B, r2.theta, sizeof(double) * P);
        free_train(&r2);
        snprintf(la, sizeof la, "A: batch %d, seed %ld, lr %g", r.used.batch ? r.used.batch : r.data.n, r.seed, r.used.lr);
        snprintf(lb, sizeof lb, "B: batch %d, seed %ld, lr %g", r2.used.batch ? r2.used.batch : r.data.n, r2.seed, r2.used.lr);
    } else {
        memcpy(A, r.theta0, sizeof(double) * P);
        memcpy(B, r.theta, sizeof(double) * P);
    }
    for (size_t i = 0; i < P; i++) D[i] = B[i] - A[i];
    float *loss = xmalloc(sizeof(float) * 2 * np, "the line"), *acc = loss + np;
    size_t ns = dyn_ls_slice_scratch_doubles(&r.net, r.data.n);
    double *s = xmalloc(sizeof(double) * ns, "slice scratch");
    dyn_ls_slice_desc sd = {.a_min = t0, .a_max = t1, .nx = np, .ny = 1};
    check(dyn_ls_slice(&r.net, A, D, NULL, &r.data, &sd, loss, acc, (size_t)np, s, ns), "the interpolation");
    fpath pb;
    write_common(&r);
    outs_npy_f64(r.os, path_in(&pb, &r, "thetaA.npy"), A, -1, (long)P);
    outs_npy_f64(r.os, path_in(&pb, &r, "thetaB.npy"), B, -1, (long)P);
    struct {
        FILE *f;
    } f = {outs_file(r.os, path_in(&pb, &r, "interp.csv"))};
    fprintf(f.f, "# loss and accuracy at (1 - t) thetaA + t thetaB; A = %s, B = %s\nt,loss,acc\n", la, lb);
    double *tx = xmalloc(sizeof(double) * 2 * np, "the curve"), *ty = tx + np;
    for (int i = 0; i < np; i++) {
        char b1[32];
        tx[i] = t0 + (t1 - t0) * i / (np - 1);
        ty[i] = loss[i];
        fprintf(f.f, "%s,%.9g,%.9g\n", shortest(tx[i], b1), (double)loss[i], (double)acc[i]);
    }
    double mx[2] = {0, 0}, my[2] = {-DINF, DINF}, nx1[2] = {1, 1};
    dyn_fig_series sr[3] = {{.x = tx, .y = ty, .n = np, .rgba = {31, 119, 180, 255}, .label = "loss on the line"},
                            {.x = mx, .y = my, .n = 2, .rgba = {120, 120, 120, 255}, .width = 1.2, .dashed = 1, .label = la},
                            {.x = nx1, .y = my, .n = 2, .rgba = {214, 39, 40, 255}, .width = 1.2, .dashed = 1, .label = lb}};
    char title[320], a[96];
    snprintf(title, sizeof title, "Linear interpolation: %s on %s", arch_text(&r, a, sizeof a), r.data_name);
    dyn_fig_desc d = {.width = r.png.width, .height = r.png.height, .title = title,
                      .xlabel = "t  (θ = (1 − t) θ_A + t θ_B)", .ylabel = "loss", .x0 = t0, .x1 = t1, .y0 = DNAN,
                      .y1 = DNAN, .cmap = DYN_CMAP_VIRIDIS, .log_y = 1};
    figure_out(&r, path_in(&pb, &r, "interp.png"), &d, NULL, 0, 0, NULL, 0, sr, 3);
    commit_out(&r);
    /* the barrier: the largest rise above the straight line between the endpoints' losses, for t in [0, 1] */
    double la0 = DNAN, lb1 = DNAN, barrier = 0;
    for (int i = 0; i < np; i++) {
        if (fabs(tx[i]) < 1e-12) la0 = loss[i];
        if (fabs(tx[i] - 1) < 1e-12) lb1 = loss[i];
    }
    for (int i = 0; i < np; i++)
        if (tx[i] >= 0 && tx[i] <= 1 && !isnan(la0) && !isnan(lb1))
            barrier = fmax(barrier, (double)loss[i] - ((1 - tx[i]) * la0 + tx[i] * lb1));
    print_train_json(&r);
    printf(", \"A\": ");
    jstr(stdout, la);
    printf(", \"B\": ");
    jstr(stdout, lb);
    printf(", \"points\": %d, \"loss_A\": ", np);
    jnum(stdout, la0);
    printf(", \"loss_B\": ");
    jnum(stdout, lb1);
    printf(", \"barrier\": ");
    jnum(stdout, isnan(la0) || isnan(lb1) ? DNAN : barrier);
    printf("}\n");
    free(tx);
    free(s);
    free(loss);
    free(A);
    free_run(&r);
    return 0;
}

/* ------------------------------------------------------------------ landscape hessian */

static int cmd_hessian(int argc, char **argv)
{
    opt o[] = {RUN_OPTS,
               {"k", "2", "eigenpairs (1..8)", 0, 0},
               {"lanczos", "40", "Lanczos steps (Hessian-vector products)", 0, 0},
               {0}};
    cmd c = {"dynlens landscape hessian [training options] [--k K] [--lanczos M]",
             "Trains as `train` does, then the top eigenvalues of the Hessian of the data loss at the solution (the\n"
             "sharpness is the first) and the smallest one, by Lanczos with full reorthogonalisation on exact Hessian-\n"
             "vector products (Pearlmutter's R-operator). Prints JSON (eigenvalues, residual bounds |Hv - lambda v|,\n"
             "lambda_min, 2/lr: plain gradient descent is stable only while the sharpness stays below it); writes\n"
             "DIR/hess_dirs.npy (k x P float64, unit eigenvectors) besides what `train` writes.",
             o};
    run r;
    prepare(&c, argc, argv, &r);
    int k = (int)get_int(&c, "k", 1, DYN_LS_MAX_EIG), m = (int)get_int(&c, "lanczos", 1, DYN_LS_MAX_LANCZOS);
    if ((size_t)k > r.P)
        die("--k: %d eigenpairs, but this net has only P = %zu parameters (the Hessian is P x P): --k at most %zu", k,
            r.P, r.P);
    if (m < k) die("--lanczos: %d steps cannot give %d eigenpairs (at least --k steps)", m, k);
    dyn_ls_hess_desc hd = {.k = k, .steps = m, .seed = 1};
    if (!dyn_ls_hessian_scratch_doubles(&r.net, r.data.n, &hd))
        die("--lanczos: %d steps with P = %zu parameters take 2 GB or more of scratch; use fewer", m, r.P);
    budget_check(&c, "landscape hessian", dyn_work_add(r.work, dyn_ls_hessian_work(&r.net, r.data.n, &hd)));
    stage_out(&r);
    train(&r);
    size_t ns = dyn_ls_hessian_scratch_doubles(&r.net, r.data.n, &hd);
    double *s = xmalloc(sizeof(double) * ns, "Lanczos scratch"), *ev = xmalloc(sizeof(double) * k * r.P, "eigenvectors");
    dyn_ls_hess_result res;
    double t0 = now_ms();
    check(dyn_ls_hessian(&r.net, r.theta, &r.data, &hd, &res, ev, (size_t)k * r.P, s, ns), "the Hessian");
    double ms = now_ms() - t0;
    fpath pb;
    write_common(&r);
    outs_npy_f64(r.os, path_in(&pb, &r, "hess_dirs.npy"), ev, k, (long)r.P);
    commit_out(&r);
    print_train_json(&r);
    printf(", \"sharpness\": ");
    jnum(stdout, res.eval[0]);
    printf(", \"eigenvalues\": ");
    jarr(stdout, res.eval, k);
    printf(", \"residuals\": ");
    jarr(stdout, res.resid, k);
    printf(", \"lambda_min\": ");
    jnum(stdout, res.lambda_min);
    printf(", \"two_over_lr\": ");
    jnum(stdout, 2.0 / r.used.lr);
    printf(", \"lanczos_steps\": %d, \"hessian_ms\": %.1f}\n", res.steps, ms);
    free(s);
    free(ev);
    free_run(&r);
    return 0;
}

int cli_landscape(int argc, char **argv)
{
    static const cli_cmd cmds[] = {{"train", cmd_train}, {"slice", cmd_slice}, {"interp", cmd_interp}, {"hessian", cmd_hessian}};
    return run_family("landscape", cmds, 4, CLI_LANDSCAPE_HELP, argc, argv);
}
