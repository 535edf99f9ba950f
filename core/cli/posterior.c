/* posterior.c - "dynlens posterior ...": SGD as approximate Bayesian inference, over the core's posterior module. */
#include <string.h>

#include "cli.h"
#include "colormap.h"
#include "data.h"
#include "figure.h"
#include "linalg.h"
#include "posterior.h"

const char CLI_POSTERIOR_HELP[] =
    "posterior commands (SGD as approximate Bayesian inference, Mandt et al. 2017, Welling and Teh 2011):\n"
    "  run         run a sampler (sgd, sgd-precond, sgld, momentum) on a model with an exact posterior and\n"
    "              compare its iterates with the posterior and the Lyapunov predictions (JSON, CSV, PNG)\n"
    "  kl          KL(predicted stationary Gaussian || posterior) against the step eps, with eps* (JSON, PNG)\n"
    "Models: linreg (any D, exact), logistic (D = 2, exact on a grid), mixture (Welling-Teh's two modes).\n";

/* ------------------------------------------------------------------ data: CSV or synthetic */

typedef struct dataset {
    dyn_post_model m;
    double *x, *y;
    char source[160];
} dataset;

/* The CSV goes through the core's parser (data.h: '#' comments, blank lines, a header line, errors with line
 * numbers); the file through the CLI's reader (gzip too). x: rows x cols features, y: rows targets (the last field);
 * the mixture's file is one column of observations (DYN_CSV_ONE_COLUMN): they arrive in y, and x is NULL. */
static void read_csv(const char *path, int one_column, long *rows, int *cols, double **x, double **y)
{
    dyn_csv_info info = read_csv_file(path, one_column ? DYN_CSV_ONE_COLUMN : 0, "--data", x, y);
    *rows = info.rows;
    *cols = info.cols;
}

#define MODEL_OPTS                                                                                               \
    {"model", "linreg", "{model}", 0, 0},                                                                       \
        {"data", NULL, "CSV file, last column the target (logistic: 0/1; mixture: one column of observations)", 0, 0}, \
        {"synthetic", NULL, "N: synthetic data of N examples (default when no --data: 1000 linreg, 100 otherwise)", 0, 0}, \
        {"dim", "2", "D for synthetic linreg data (1..64); logistic and mixture are 2-D", 0, 0},               \
        {"intercept", NULL, "prepend a column of ones to the CSV's features", 1, 0},                           \
        {"noise-var", NULL, "linreg noise variance (default 1); mixture component variance (default 2)", 0, 0}, \
        {"prior-var", NULL, "prior variance of each coordinate (default 1; mixture: theta1's, 10)", 0, 0},      \
        {"seed", "1", "seed of the synthetic data; the sampler uses a stream derived from it", 0, 0}, BUDGET_OPTS

static dyn_post_kind get_model(const cmd *c)
{
    dyn_post_kind k;
    char list[128];
    if (dyn_post_model_parse(get(c, "model"), &k) != DYN_OK)
        die("--model: unknown model '%s'; choose %s", get(c, "model"), core_names("model", list, sizeof list));
    return k;
}

static double positive(const cmd *c, const char *name, const char *what)
{
    double v = get_num(c, name);
    if (!(v > 0.0)) die("--%s: %g is not allowed: the %s must be positive", name, v, what);
    return v;
}

static void load_data(const cmd *c, dataset *ds)
{
    memset(ds, 0, sizeof *ds);
    dyn_post_kind k = get_model(c);
    ds->m.kind = k;
    if (get(c, "noise-var")) ds->m.noise_var = positive(c, "noise-var", "noise variance");
    if (get(c, "prior-var")) ds->m.prior_var = positive(c, "prior-var", "prior variance");
    long seed = get_int(c, "seed", 0, 0x7fffffffL);
    if (get(c, "data") && get(c, "synthetic")) die("give either --data or --synthetic, not both");
    if (get(c, "data")) {
        long rows;
        int cols;
        const char *path = get(c, "data");
        int icpt = get(c, "intercept") != NULL;
        if (k == DYN_POST_MIXTURE && icpt) die("--intercept: the mixture model has no features");
        double *fx, *fy;
        read_csv(path, k == DYN_POST_MIXTURE, &rows, &cols, &fx, &fy);
        if (k == DYN_POST_MIXTURE) {
            free(fx);
            ds->x = fy; /* the one column */
            ds->m.d = 2;
        } else {
            int d = cols + icpt;
            if (d > DYN_POST_MAX_D) die("--data: %d features; at most %d are supported", d, DYN_POST_MAX_D);
            if (k == DYN_POST_LOGISTIC && d != 2)
                die("--data: logistic regression is computed exactly on a 2-D grid, so it needs exactly 2 features "
                    "(%s gives %d%s)", path, d, icpt ? " with the intercept" : "; --intercept adds a column of ones");
            ds->x = xmalloc(sizeof(double) * (size_t)rows * d, "the features");
            ds->y = xmalloc(sizeof(double) * (size_t)rows, "the targets");
            for (long i = 0; i < rows; i++) {
                if (icpt) ds->x[i * d] = 1.0;
                for (int j = 0; j < cols; j++) ds->x[i * d + icpt + j] = fx[i * cols + j];
                ds->y[i] = fy[i];
            }
            free(fx);
            free(fy);
            ds->m.d = d;
        }
        ds->m.n = (int)rows;
        snprintf(ds->source, sizeof ds->source, "%s", path);
    } else {
        if (get(c, "intercept")) die("--intercept applies to --data only (synthetic logistic data has one)");
        long n = get(c, "synthetic") ? get_int(c, "synthetic", 1, 1000000) : (k == DYN_POST_LINREG ? 1000 : 100);
        int d = k == DYN_POST_LINREG ? (int)get_int(c, "dim", 1, DYN_POST_MAX_D) : 2;
        if (k != DYN_POST_LINREG && get(c, "dim") && strcmp(get(c, "dim"), "2") != 0)
            die("--dim: the %s model is 2-D", dyn_post_model_name(k));
        ds->m.n = (int)n;
        ds->m.d = d;
        /* the data and the theory, before the data are made (the command checks its whole job again later) */
        budget_check(c, "posterior: the synthetic data and the exact posterior", dyn_post_setup_work(&ds->m));
        ds->x = xmalloc(sizeof(double) * (size_t)n * d, "the features");
        ds->y = xmalloc(sizeof(double) * (size_t)n, "the targets");
        check(dyn_post_synthesize(&ds->m, (uint64_t)seed, ds->x, (size_t)n * d, ds->y, (size_t)n, NULL),
              "making synthetic data");
        snprintf(ds->source, sizeof ds->source, "synthetic (seed %ld)", seed);
    }
    ds->m.x = ds->x;
    ds->m.y = k == DYN_POST_MIXTURE ? NULL : ds->y;
    long bad_i;
    dyn_status s = dyn_post_model_check(&ds->m, &bad_i);
    if (s == DYN_ERR_RANGE && k == DYN_POST_LOGISTIC && bad_i >= 0)
        die("--data: example %ld has label %g; logistic regression needs labels 0 or 1", bad_i + 1, ds->y[bad_i]);
    check(s, "the data");
}

/* theta*, A, BB^T, lam_max(A) and the exact posterior: the core's dyn_post_theory (the page computes the same), with
 * the CLI's messages for what can go wrong */
typedef dyn_post_theory theory;

static const char *post_method(const dataset *ds)
{
    if (ds->m.kind == DYN_POST_LINREG) return "closed form (conjugate Gaussian)";
    return "2-D Gauss-Legendre quadrature (16 x 16 panels of 16 x 16 nodes over mode +- 10 sd)";
}

static void compute_theory(const dataset *ds, theory *t)
{
    int d = ds->m.d;
    size_t n = dyn_post_theory_doubles(d);
    double *buf = xmalloc(sizeof(double) * n, "the theory");
    dyn_status s = dyn_post_theory_mode(&ds->m, t, buf, n);
    if (s == DYN_ERR_NO_SOLUTION && t->bad_column >= 0)
        die("the design matrix is singular: feature column %d is (to 12 digits) a linear combination of the columns "
            "before it%s, so X^T X has no Cholesky factor and the data say nothing along that direction; drop it",
            t->bad_column + 1, ds->m.n < d ? " (there are fewer examples than features)" : "");
    if (s == DYN_ERR_NO_CONVERGE)
        die("no posterior mode found: damped Newton did not converge in 200 steps (separable logistic data with a very "
            "vague prior? try a smaller --prior-var)");
    check(s, "finding the posterior mode");
    check(dyn_post_theory_exact(&ds->m, t), "the exact posterior");
}

static void jmat(FILE *f, const double *a, int d)
{
    fputc('[', f);
    for (int i = 0; i < d; i++) {
        if (i) fputs(", ", f);
        jarr(f, a + (size_t)i * d, d);
    }
    fputc(']', f);
}

static void jkey(const char *k) { printf(", \"%s\": ", k); }

static dyn_post_sampler_kind get_sampler(const cmd *c)
{
    dyn_post_sampler_kind k;
    char list[128];
    if (dyn_post_sampler_parse(get(c, "sampler"), &k) != DYN_OK)
        die("--sampler: unknown sampler '%s'; choose %s", get(c, "sampler"), core_names("sampler", list, sizeof list));
    return k;
}

/* --batch, default min(10, N) (so a small CSV runs without it) */
static int get_batch(const cmd *c, long n)
{
    if (!get(c, "batch")) return n < 10 ? (int)n : 10;
    long s = get_int(c, "batch", 1, 0x7fffffffL);
    if (s > n) die("--batch: S = %ld exceeds the number of examples N = %ld (give 1..%ld)", s, n, n);
    return (int)s;
}

/* eps* with a message that says why it may not exist */
static double eps_star_or_die(const dataset *ds, const theory *t, int S, const char *what, const char *hint)
{
    double es;
    dyn_status s = dyn_post_eps_star(t->d, ds->m.n, S, t->bb, &es);
    if (s == DYN_ERR_NO_SOLUTION)
        die("%s: eps* = 2 (S/N) D / tr(BB^T) does not exist: the gradient noise BB^T is 0 at the mode (every "
            "example's gradient vanishes there, e.g. all targets 0); give %s", what, hint);
    check(s, "eps*");
    return es;
}

/* the core's step rules for this sampler (posterior.h, dyn_post_steps: the page shows the same numbers) */
static dyn_post_steps_info steps_info(const dataset *ds, const theory *t, const dyn_post_sampler_desc *sd)
{
    dyn_post_steps_info si;
    check(dyn_post_steps(&ds->m, sd, t->a, t->bb, &si, t->scratch, t->scratch_len), "the step rules");
    return si;
}

/* ------------------------------------------------------------------ figure */

static void draw_figure(outset *os, const png_opts *png, const dataset *ds, const theory *t, const double *samples, long count,
                        const double *smean, const double *scov, const double *pred, const char *title)
{
    int d = t->d;
    double pm[2] = {t->pmean[0], t->pmean[1]}, pc[4] = {t->pcov[0], t->pcov[1], t->pcov[d], t->pcov[d + 1]};
    double sc2[4] = {scov[0], scov[1], scov[d], scov[d + 1]}, sm[2] = {smean[0], smean[1]};
    double pr2[4] = {0}, md[2] = {t->mode[0], t->mode[1]};
    int have_pred = pred && !isnan(pred[0]);
    if (have_pred) pr2[0] = pred[0], pr2[1] = pred[1], pr2[2] = pred[d], pr2[3] = pred[d + 1];
    /* the window: the posterior (+-4 sd, both mixture modes), the predicted 3-sd ellipse and the bulk of the samples */
    dyn_post_box b;
    if (ds->m.kind == DYN_POST_MIXTURE) {
        check(dyn_post_box_auto(&ds->m, t->mode, t->a, 4, &b), "the figure window");
    } else {
        b.x0 = pm[0] - 4 * sqrt(pc[0]), b.x1 = pm[0] + 4 * sqrt(pc[0]);
        b.y0 = pm[1] - 4 * sqrt(pc[3]), b.y1 = pm[1] + 4 * sqrt(pc[3]);
    }
    if (have_pred) {
        b.x0 = fmin(b.x0, md[0] - 3 * sqrt(pr2[0])), b.x1 = fmax(b.x1, md[0] + 3 * sqrt(pr2[0]));
        b.y0 = fmin(b.y0, md[1] - 3 * sqrt(pr2[3])), b.y1 = fmax(b.y1, md[1] + 3 * sqrt(pr2[3]));
    }
    b.x0 = fmin(b.x0, sm[0] - 3 * sqrt(sc2[0])), b.x1 = fmax(b.x1, sm[0] + 3 * sqrt(sc2[0]));
    b.y0 = fmin(b.y0, sm[1] - 3 * sqrt(sc2[3])), b.y1 = fmax(b.y1, sm[1] + 3 * sqrt(sc2[3]));
    enum { G = 240 };
    float *grid = xmalloc(sizeof(float) * G * G, "the density grid");
    if (d == 2) check(dyn_post_density_grid(&ds->m, &b, t->log_z, G, G, 0, 0, grid, G * G), "the density grid");
    else check(dyn_post_gauss_grid(pm, pc, &b, G, G, 0, 0, grid, G * G), "the density grid");
    /* the samples as dots (zero-length segments with round caps), at most 3000 of them */
    long shown = count < 3000 ? count : 3000;
    double *px = xmalloc(sizeof(double) * 3 * (size_t)shown, "the dots"), *py = xmalloc(sizeof(double) * 3 * (size_t)shown, "the dots");
    for (long i = 0; i < shown; i++) {
        long s = shown == count ? i : (long)((double)i * count / shown);
        px[3 * i] = px[3 * i + 1] = samples[(size_t)s * d];
        py[3 * i] = py[3 * i + 1] = samples[(size_t)s * d + 1];
        px[3 * i + 2] = py[3 * i + 2] = DNAN;
    }
    enum { NE = 181 };
    float e1[2 * NE], e2[2 * NE], e3[2 * NE];
    double ex[3][NE], ey[3][NE];
    check(dyn_post_ellipse(sm, sc2, 2.0, NE, e1, NULL), "the sample ellipse");
    check(dyn_post_ellipse(pm, pc, 2.0, NE, e3, NULL), "the posterior ellipse");
    if (have_pred) check(dyn_post_ellipse(md, pr2, 2.0, NE, e2, NULL), "the predicted ellipse");
    for (int k = 0; k < NE; k++) {
        ex[0][k] = (double)e1[2 * k], ey[0][k] = (double)e1[2 * k + 1];
        ex[1][k] = have_pred ? (double)e2[2 * k] : DNAN, ey[1][k] = have_pred ? (double)e2[2 * k + 1] : DNAN;
        ex[2][k] = (double)e3[2 * k], ey[2][k] = (double)e3[2 * k + 1];
    }
    double dot = 0.0045 * (png->width < png->height ? png->width : png->height);
    dyn_fig_line lines[4] = {
        {.x = px, .y = py, .n = (int)(3 * shown), .rgba = {255, 255, 255, 150}, .width = dot, .label = "iterates"},
        {.x = ex[2], .y = ey[2], .n = NE, .rgba = {255, 255, 255, 255}, .dashed = 1, .label = "posterior, 2 sd"},
        {.x = ex[1], .y = ey[1], .n = have_pred ? NE : 0, .rgba = {255, 127, 14, 255},
         .label = have_pred ? "predicted (discrete Lyapunov), 2 sd" : NULL},
        {.x = ex[0], .y = ey[0], .n = NE, .rgba = {214, 39, 40, 255}, .dashed = 1, .label = "iterates' covariance, 2 sd"},
    };
    size_t font_len;
    uint8_t *font = load_font(&font_len);
    dyn_fig_desc fd = {.width = png->width, .height = png->height, .font = font, .font_len = font_len,
                       .title = title, .xlabel = "θ_1", .ylabel = "θ_2",
                       .clabel = d == 2 ? "posterior density p(θ | data)" : "marginal posterior density of (θ_1, θ_2)",
                       .x0 = b.x0, .x1 = b.x1, .y0 = b.y0, .y1 = b.y1, .cmap = DYN_CMAP_VIRIDIS};
    uint8_t *rgba = figure_draw(&fd, grid, G, G, lines, 4, NULL, 0);
    outs_png(os, png->path, rgba, fd.width, fd.height);
    free(rgba);
    free(font);
    free(px);
    free(py);
    free(grid);
}

/* ------------------------------------------------------------------ posterior run */

static const char *const SAMPLER_TITLE[DYN_POST_SAMPLER_COUNT] = {"Constant-step SGD", "Preconditioned SGD (H*)",
                                                                  "SGLD", "Momentum SGD"};
static const char *const MODEL_TITLE[DYN_POST_KIND_COUNT] = {"linear-regression", "logistic-regression",
                                                             "two-mode mixture"};

static int cmd_run(int argc, char **argv)
{
    opt o[] = {MODEL_OPTS,
               {"sampler", "sgd", "{sampler} (sgd-precond: Mandt's optimal H*)", 0, 0},
               {"eps", "auto", "step; auto: eps* for sgd/momentum/sgd-precond, 0.02/(N lam_max(A)) for sgld", 0, 0},
               {"batch", NULL, "minibatch size S (1..N; default min(10, N))", 0, 0},
               {"batching", "iid", "iid (fresh, with replacement: the theory's noise) or epoch (reshuffled)", 0, 0},
               {"steps", "100000", "steps after the burn-in", 0, 0},
               {"burn-in", "1000", "steps discarded first", 0, 0},
               {"thin", "10", "keep the iterate after every step t that is a multiple of k (t counts the burn-in)", 0, 0},
               {"momentum", "0.9", "mu for --sampler momentum, in (0, 1)", 0, 0},
               {"sgld-b", "1", "SGLD schedule eps_t = eps (b + t)^-gamma: b", 0, 0},
               {"sgld-gamma", "0", "SGLD schedule decay gamma in [0, 1] (0: constant step)", 0, 0},
               {"start", NULL, "starting point theta_0 as x1,x2,... (default: the posterior mode)", 0, 0},
               {"csv", NULL, "write the kept iterates as CSV: step,theta_1,...,theta_D", 0, 0},
               {"png", NULL, "write a figure: posterior density, iterates, ellipses (coordinates 1 and 2)", 0, 0},
               {"png-size", "960x720", "PNG size in px", 0, 0},
               {"title", NULL, "figure title", 0, 0},
               {0}};
    cmd c = {"dynlens posterior run [--model M] [--data FILE | --synthetic N] [--sampler S] [--eps E] [--batch S]\n"
             "                      [--steps T] [--burn-in B] [--thin K] [--seed N] [--csv FILE] [--png FILE] [...]",
             "Runs a stochastic-gradient sampler on a model whose posterior is known exactly and prints one JSON object:\n"
             "the posterior (post_mean, post_cov), theta* with A (hessian) and BB^T (grad_cov), the Lyapunov predictions\n"
             "(pred_cov_continuous: A S + S A = (eps/S) BB^T; pred_cov_discrete: A S + S A - eps A S A = (eps/S) BB^T;\n"
             "pred_cov_exact: linreg with i.i.d. batches, multiplicative noise included), eps_star, the iterates'\n"
             "sample_mean, sample_cov and its Monte Carlo standard errors, kl = KL(N(sample) || N(posterior)), w2, ess,\n"
             "tau (theta_1's integrated autocorrelation time). The autocorrelations are summed to lag 1000 at most:\n"
             "tau_lower_bound true means a chain still correlated there, so tau is a lower bound and ess and\n"
             "sample_cov_se are optimistic (run longer or thin more).\n"
             "Matrices are arrays of rows. Conventions: L = (1/N) sum_i l_i with the prior folded in, posterior exp(-N L).",
             o};
    parse_opts(&c, argc, argv);
    dataset ds;
    load_data(&c, &ds);
    dyn_post_sampler_kind sk = get_sampler(&c);
    int S = get_batch(&c, ds.m.n);
    const char *bt = get(&c, "batching");
    dyn_post_batching batching = DYN_POST_BATCH_IID;
    if (strcmp(bt, "epoch") == 0) batching = DYN_POST_BATCH_EPOCH;
    else if (strcmp(bt, "iid") != 0) die("--batching: unknown batching '%s'; choose iid or epoch", bt);
    long steps = get_int(&c, "steps", 1, 100000000L), burn = get_int(&c, "burn-in", 0, 100000000L);
    int thin = (int)get_int(&c, "thin", 1, 100000000L);
    double mu = get_num(&c, "momentum");
    if (sk == DYN_POST_MOMENTUM && !(mu > 0.0 && mu < 1.0)) die("--momentum: %g is out of range (0, 1)", mu);
    double sgb = get_num(&c, "sgld-b"), sgg = get_num(&c, "sgld-gamma");
    if (sgb < 0.0) die("--sgld-b: %g must be >= 0", sgb);
    if (sgg < 0.0 || sgg > 1.0) die("--sgld-gamma: %g is out of range [0, 1]", sgg);
    png_opts png = get_png(&c);
    if (get(&c, "csv")) outs_check(get(&c, "csv"), "--csv");
    int d = ds.m.d;
    double *start = NULL;
    if (get(&c, "start")) {
        const char *s = get(&c, "start");
        int f = 1;
        for (const char *p = s; *p; p++) f += *p == ',';
        if (f != d) die("--start: '%s' has %d field%s; the model has D = %d parameters (give x1,...,x%d)", s, f,
                        f == 1 ? "" : "s", d, d);
        start = xmalloc(sizeof(double) * d, "the start");
        char field[64];
        for (int j = 0; j < d; j++) {
            const char *e = strchr(s, ',');
            size_t l = e ? (size_t)(e - s) : strlen(s);
            if (l >= sizeof field) die("--start: field %d is too long", j + 1);
            snprintf(field, sizeof field, "%.*s", (int)l, s);
            start[j] = num("start", field);
            s = e ? e + 1 : s + l;
        }
    }

    {
        /* the whole job before any of it: the theory, burn + steps sampler steps, the kept iterates (the iterate
         * after step t is kept when thin divides t) and their diagnostics */
        dyn_post_sampler_desc wd = {.kind = sk, .batch = S};
        double keep = floor((double)(burn + steps) / thin) - floor((double)burn / thin);
        dyn_work w = dyn_work_add(dyn_post_setup_work(&ds.m), dyn_post_run_work(&ds.m, &wd, (double)(burn + steps), keep));
        budget_check(&c, "posterior run", dyn_work_add(w, dyn_post_diagnostics_work(ds.m.d, keep)));
    }
    theory t;
    compute_theory(&ds, &t);
    dyn_post_sampler_desc rule = {.kind = sk, .batch = S, .batching = batching, .momentum = mu, .sgld_gamma = sgg};
    dyn_post_steps_info si = steps_info(&ds, &t, &rule);
    double eps;
    if (strcmp(get(&c, "eps"), "auto") == 0) {
        if (sk != DYN_POST_SGLD) eps_star_or_die(&ds, &t, S, "--eps auto", "--eps"); /* says why eps* is missing */
        eps = si.eps_auto;
    } else {
        eps = get_num(&c, "eps");
        if (!(eps > 0.0)) die("--eps: %g is not allowed: the step must be positive", eps);
    }
    rule.eps = eps;
    si = steps_info(&ds, &t, &rule);
    double eps_star = si.eps_star;
    size_t dd = (size_t)d * d;
    double *h = NULL;
    if (sk == DYN_POST_SGD_PRECOND) {
        h = xmalloc(sizeof(double) * dd, "H*");
        dyn_status s = dyn_post_precond_opt(d, ds.m.n, S, eps, t.bb, h, t.scratch, t.scratch_len);
        if (s == DYN_ERR_NO_SOLUTION) die("the gradient covariance BB^T is singular: Mandt's preconditioner does not exist");
        check(s, "the preconditioner");
    }
    uint64_t seed = dyn_post_sampler_seed((uint64_t)get_int(&c, "seed", 0, 0x7fffffffL));
    dyn_post_sampler_desc sd = {.kind = sk, .eps = eps, .batch = S, .batching = batching, .momentum = mu,
                                .sgld_b = sgb, .sgld_gamma = sgg, .precond = h, .start = start ? start : t.mode,
                                .seed = seed};
    /* predictions */
    double *pc = xmalloc(sizeof(double) * 3 * dd, "predictions"), *pd = pc + dd, *pe = pd + dd;
    for (size_t k = 0; k < 3 * dd; k++) pc[k] = DNAN;
    if (si.has_stationary) dyn_post_stationary(&sd, d, ds.m.n, t.a, t.bb, pc, pd, t.scratch, t.scratch_len);
    int have_exact = si.has_exact && dyn_post_linreg_sgd_exact(&ds.m, &sd, t.mode, t.a, t.bb, pe, t.scratch, t.scratch_len) == DYN_OK;
    if (!have_exact)
        for (size_t k = 0; k < dd; k++) pe[k] = DNAN;
    /* run */
    size_t bytes = dyn_post_sampler_bytes(&ds.m, &sd);
    void *mem = xmalloc(bytes, "the sampler");
    dyn_post_sampler smp;
    check(dyn_post_sampler_init(&smp, &ds.m, &sd, mem, bytes), "setting up the sampler");
    /* the iterate after step t is kept when t (counted from the start, burn-in included) is a multiple of thin */
    long keep = dyn_post_sampler_count(&smp, burn + steps, thin) - dyn_post_sampler_count(&smp, burn, thin);
    if (keep < 4)
        die("--steps/--thin: only %ld iterates would be kept (the multiples of --thin %d among steps %ld..%ld); at "
            "least 4 are needed", keep, thin, burn + 1, burn + steps);
    if ((double)keep * d > 2e8) die("--steps/--thin: %ld iterates of %d numbers is too many (limit 2e8 numbers)", keep, d);
    double t0 = now_ms();
    dyn_status s = dyn_post_sampler_run(&smp, burn, 1, NULL, 0, NULL);
    long count = 0;
    double *samples = xmalloc(sizeof(double) * (size_t)keep * d, "the iterates");
    /* in chunks, for the progress line: a run in chunks is the same run (the sampler counts its own steps) */
    progress pg;
    progress_start(&pg, "sampling", (double)steps);
    for (long done = 0; done < steps && s == DYN_OK;) {
        long chunk = steps - done < (1L << 20) ? steps - done : (1L << 20), got = 0;
        s = dyn_post_sampler_run(&smp, chunk, thin, samples + (size_t)count * d, (size_t)(keep - count) * d, &got);
        count += got;
        done += chunk;
        progress_step(&pg, (double)done);
    }
    double ms = now_ms() - t0;
    if (s == DYN_ERR_NO_CONVERGE) {
        die("the iterates diverged after %lld steps: the step is too large for the curvature (%s lam_max(A) = %.3g; "
            "SGD is stable only below 2%s)", smp.t, sk == DYN_POST_SGLD ? "eps N/2 x" : "eps x", si.stab,
            sk == DYN_POST_MOMENTUM ? " (1 + mu)" : "");
    }
    check(s, "running the sampler");
    /* diagnostics */
    double *smean = xmalloc(sizeof(double) * (2 * d + 2 * dd + (size_t)count), "diagnostics");
    double *scov = smean + d, *sse = scov + dd, *ess = sse + dd, *zs = ess + d;
    check(dyn_post_moments(samples, count, d, smean, scov), "the sample moments");
    check(dyn_post_cov_se(samples, count, d, smean, sse, zs, (size_t)count), "standard errors");
    double tau0 = DNAN;
    int capped = 0;
    for (int j = 0; j < d; j++) {
        int cj;
        dyn_post_ess_lag(samples + j, count, d, 0, &ess[j], j == 0 ? &tau0 : NULL, &cj);
        capped |= cj;
    }
    double kl = DNAN, w2 = DNAN, klp = DNAN;
    if (dyn_la_gauss_kl(d, smean, scov, t.pmean, t.pcov, &kl, t.scratch, t.scratch_len) != DYN_OK) kl = DNAN;
    if (dyn_la_gauss_w2(d, smean, scov, t.pmean, t.pcov, &w2, t.scratch, t.scratch_len) != DYN_OK) w2 = DNAN;
    if (!isnan(pd[0]) && dyn_la_gauss_kl(d, t.mode, pd, t.pmean, t.pcov, &klp, t.scratch, t.scratch_len) != DYN_OK) klp = DNAN;
    int nl = count - 1 < 50 ? (int)count - 1 : 50;
    double acf[51];
    dyn_post_autocorr(samples, count, d, nl, acf);

    outset *os = xmalloc(sizeof *os, "the output files");
    memset(os, 0, sizeof *os);
    if (get(&c, "csv")) {
        struct {
            FILE *f;
        } f = {outs_file(os, get(&c, "csv"))};
        char b1[32];
        fprintf(f.f, "# dynlens %s posterior run: model=%s data=", VERSION, dyn_post_model_name(ds.m.kind));
        jstr(f.f, ds.source); /* a path with a newline must not end the comment line */
        fprintf(f.f, " sampler=%s eps=%s batch=%d batching=%s thin=%d\n", dyn_post_sampler_name(sk), shortest(eps, b1),
                S, bt, thin);
        fprintf(f.f, "step");
        for (int j = 0; j < d; j++) fprintf(f.f, ",theta_%d", j + 1);
        fputc('\n', f.f);
        for (long i = 0; i < count; i++) {
            fprintf(f.f, "%lld", ((long long)burn / thin + i + 1) * thin);
            for (int j = 0; j < d; j++) fprintf(f.f, ",%s", shortest(samples[(size_t)i * d + j], b1));
            fputc('\n', f.f);
        }
    }
    if (png.path) {
        if (d < 2) die("--png: the figure shows two coordinates; this model has D = 1");
        char title[200];
        if (get(&c, "title")) snprintf(title, sizeof title, "%s", get(&c, "title"));
        else
            snprintf(title, sizeof title, "%s (ε = %.3g, S = %d) on the %s posterior%s", SAMPLER_TITLE[sk], eps, S,
                     MODEL_TITLE[ds.m.kind], d > 2 ? " (θ_1, θ_2 of D = " : "");
        if (!get(&c, "title") && d > 2) {
            size_t l = strlen(title);
            snprintf(title + l, sizeof title - l, "%d)", d);
        }
        draw_figure(os, &png, &ds, &t, samples, count, smean, scov, isnan(pd[0]) ? NULL : pd, title);
    }

    outs_commit(os);
    free(os);
    printf("{\"model\": \"%s\", \"data\": ", dyn_post_model_name(ds.m.kind));
    jstr(stdout, ds.source);
    printf(", \"n\": %d, \"d\": %d, \"sampler\": \"%s\", \"eps\": ", ds.m.n, d, dyn_post_sampler_name(sk));
    jnum(stdout, eps);
    printf(", \"batch\": %d, \"batching\": \"%s\", \"steps\": %ld, \"burn_in\": %ld, \"thin\": %d, \"samples\": %ld",
           S, bt, steps, burn, thin, count);
    if (sk == DYN_POST_MOMENTUM) jkey("momentum"), jnum(stdout, mu);
    if (sk == DYN_POST_SGLD) jkey("sgld_b"), jnum(stdout, sgb), jkey("sgld_gamma"), jnum(stdout, sgg);
    printf(", \"posterior_method\": \"%s\"", post_method(&ds));
    jkey("post_mean"), jarr(stdout, t.pmean, d);
    jkey("post_cov"), jmat(stdout, t.pcov, d);
    jkey("mode"), jarr(stdout, t.mode, d);
    jkey("hessian"), jmat(stdout, t.a, d);
    jkey("grad_cov"), jmat(stdout, t.bb, d);
    jkey("eps_star"), jnum(stdout, eps_star);
    jkey("eps_lam_max"), jnum(stdout, si.stab);
    if (h) jkey("precond"), jmat(stdout, h, d);
    jkey("pred_cov_continuous"), jmat(stdout, pc, d);
    jkey("pred_cov_discrete"), jmat(stdout, pd, d);
    jkey("pred_cov_exact"), jmat(stdout, pe, d);
    jkey("sample_mean"), jarr(stdout, smean, d);
    jkey("sample_cov"), jmat(stdout, scov, d);
    jkey("sample_cov_se"), jmat(stdout, sse, d);
    jkey("kl"), jnum(stdout, kl);
    jkey("kl_pred_discrete"), jnum(stdout, klp);
    jkey("w2"), jnum(stdout, w2);
    jkey("ess"), jarr(stdout, ess, d);
    jkey("tau"), jnum(stdout, tau0);
    printf(", \"tau_lower_bound\": %s", capped ? "true" : "false");
    jkey("acf"), jarr(stdout, acf, nl + 1);
    printf(", \"ms\": %.3f}\n", ms);
    free(smean);
    free(samples);
    free(mem);
    free(pc);
    free(h);
    free(start);
    free(t.mode);
    free(ds.x);
    free(ds.y);
    return 0;
}

/* ------------------------------------------------------------------ posterior kl */

static int cmd_kl(int argc, char **argv)
{
    opt o[] = {MODEL_OPTS,
               {"sampler", "sgd", "{sampler} (sgd-precond: H*(eps) at each eps)", 0, 0},
               {"batch", NULL, "minibatch size S (1..N; default min(10, N))", 0, 0},
               {"momentum", "0.9", "mu for --sampler momentum", 0, 0},
               {"eps-range", NULL, "MIN:MAX of the step, log-spaced (default eps*/30 : 30 eps*; sgld: eps_max/1e4 : eps_max)", 0, 0},
               {"n", "61", "points on the curve (2..2000)", 0, 0},
               {"png", NULL, "write the curve as a figure", 0, 0},
               {"png-size", "960x720", "PNG size in px", 0, 0},
               {0}};
    cmd c = {"dynlens posterior kl [--model M] [--data FILE | --synthetic N] [--sampler S] [--batch S] [--eps-range A:B]",
             "KL(N(theta*, Sigma(eps)) || posterior's Gaussian (exact mean and covariance)) against the step eps, for the\n"
             "continuous- and discrete-time stationary covariances Sigma(eps); null where no stationary law exists.\n"
             "Prints JSON {eps, kl_continuous, kl_discrete, eps_star, eps_max (stability: 2 / lam_max(A))}. eps* is\n"
             "Mandt et al.'s optimal constant SGD step; SGLD's step is another quantity (its noise is injected), so for\n"
             "--sampler sgld the range ends at eps_max = 4 / (N lam_max(A)) and eps_star is left out.",
             o};
    parse_opts(&c, argc, argv);
    dataset ds;
    load_data(&c, &ds);
    dyn_post_sampler_kind sk = get_sampler(&c);
    int S = get_batch(&c, ds.m.n), d = ds.m.d, n = (int)get_int(&c, "n", 2, 2000);
    double mu = get_num(&c, "momentum");
    if (sk == DYN_POST_MOMENTUM && !(mu > 0.0 && mu < 1.0)) die("--momentum: %g is out of range (0, 1)", mu);
    png_opts png = get_png(&c);
    budget_check(&c, "posterior kl", dyn_post_setup_work(&ds.m));
    theory t;
    compute_theory(&ds, &t);
    int sgld = sk == DYN_POST_SGLD;
    double es = DNAN, lo, hi;
    dyn_post_sampler_desc rule = {.kind = sk, .eps = 1.0, .batch = S, .momentum = mu};
    double emax = steps_info(&ds, &t, &rule).eps_max;
    if (get(&c, "eps-range")) {
        get_range(&c, "eps-range", &lo, &hi);
        if (!(lo > 0.0)) die("--eps-range: %g is not allowed: steps must be positive", lo);
        if (!sgld && dyn_post_eps_star(d, ds.m.n, S, t.bb, &es) != DYN_OK) es = DNAN;
    } else if (sgld) {
        lo = emax * 1e-4, hi = emax; /* eps* is an SGD quantity: centring SGLD's range there leaves most of it unstable */
    } else {
        es = eps_star_or_die(&ds, &t, S, "--eps-range default (eps*/30 : 30 eps*)", "--eps-range");
        lo = es / 30, hi = es * 30;
    }
    double *eps = xmalloc(sizeof(double) * 3 * n, "the curve"), *kc = eps + n, *kd = kc + n;
    for (int k = 0; k < n; k++) eps[k] = lo * pow(hi / lo, (double)k / (n - 1));
    dyn_post_sampler_desc sd = {.kind = sk, .eps = 1.0, .batch = S, .batching = DYN_POST_BATCH_IID, .momentum = mu};
    check(dyn_post_kl_curve(&sd, d, ds.m.n, t.mode, t.a, t.bb, t.pmean, t.pcov, eps, n, kc, kd, t.scratch, t.scratch_len),
          "the KL curve");
    if (png.path) {
        double *lx = xmalloc(sizeof(double) * n, "the curve");
        for (int k = 0; k < n; k++) lx[k] = log10(eps[k]);
        double mx[2] = {log10(es), log10(es)}, my[2] = {-DINF, DINF};
        char title[160], lab[64];
        snprintf(title, sizeof title, "KL(stationary ‖ posterior) for %s, S = %d (%s, N = %d)", dyn_post_sampler_name(sk), S,
                 dyn_post_model_name(ds.m.kind), ds.m.n);
        snprintf(lab, sizeof lab, "ε* = %.3g (Mandt et al.)", es);
        int have_es = !isnan(es);
        dyn_fig_series ser[3] = {
            {.x = lx, .y = kc, .n = n, .rgba = {31, 119, 180, 255}, .label = "continuous Lyapunov"},
            {.x = lx, .y = kd, .n = n, .rgba = {214, 39, 40, 255}, .label = "discrete (exact for the linearised SGD)"},
            {.x = mx, .y = my, .n = 2, .rgba = {90, 90, 90, 255}, .width = 1.5, .dashed = 1, .label = lab},
        };
        size_t font_len;
        uint8_t *font = load_font(&font_len);
        dyn_fig_desc fd = {.width = png.width, .height = png.height, .font = font, .font_len = font_len,
                           .title = title, .xlabel = "log_{10} ε", .ylabel = "KL (nats)", .x0 = DNAN, .x1 = DNAN,
                           .y0 = DNAN, .y1 = DNAN, .cmap = DYN_CMAP_VIRIDIS, .log_y = 1};
        figure_png(png.path, &fd, NULL, 0, 0, NULL, 0, ser, have_es ? 3 : 2);
        free(font);
        free(lx);
    }
    printf("{\"model\": \"%s\", \"data\": ", dyn_post_model_name(ds.m.kind));
    jstr(stdout, ds.source);
    printf(", \"n\": %d, \"d\": %d, \"sampler\": \"%s\", \"batch\": %d", ds.m.n, d, dyn_post_sampler_name(sk), S);
    if (!sgld) jkey("eps_star"), jnum(stdout, es);
    jkey("eps_max"), jnum(stdout, emax);
    jkey("eps"), jarr(stdout, eps, n);
    jkey("kl_continuous"), jarr(stdout, kc, n);
    jkey("kl_discrete"), jarr(stdout, kd, n);
    printf("}\n");
    free(eps);
    free(t.mode);
    free(ds.x);
    free(ds.y);
    return 0;
}

int cli_posterior(int argc, char **argv)
{
    static const cli_cmd cmds[] = {{"run", cmd_run}, {"kl", cmd_kl}};
    return run_family("posterior", cmds, 2, CLI_POSTERIOR_HELP, argc, argv);
}
