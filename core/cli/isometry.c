/* isometry.c - "dynlens isometry ..." and "dynlens trainability ...": Jacobian spectra, their free-probability density,
 * gradients over depth, and the depth x sigma_w^2 trainability grid (threads and shards live here, not in core/). */
#define _POSIX_C_SOURCE 200809L /* sysconf, readlink */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "figure.h"
#include "isometry.h"
#include "meanfield.h"
#include "colormap.h"
#include "data.h"

const char CLI_ISOMETRY_HELP[] =
    "isometry commands (dynamical isometry, Pennington, Schoenholz and Ganguli 2017, 2018):\n"
    "  spectrum   squared singular values of the input-output Jacobian of sampled deep nets, against the theory:\n"
    "             JSON moments and quantiles, NPY of the values, PNG histogram with the predicted density\n"
    "  density    the large-width theory only: moments and the spectral density at given points (JSON)\n"
    "  gradients  |dL/dh^l|^2 layer by layer in sampled nets against chi_1^(L-l) (JSON, CSV, PNG)\n"
    "Weights W = sqrt(sigma_w^2 / N) G (gaussian) or sqrt(sigma_w^2) Q, Q Haar (orthogonal); inputs at q*.\n";

#define ACT_OPT {"act", "tanh", "activation: tanh, relu, hard_tanh, erf, linear, sigmoid, swish", 0, 0}
#define NET_OPTS                                                                                              \
    {"weights", "gaussian", "gaussian or orthogonal", 0, 0},                                                  \
    {"sw2", "critical", "weight variance sigma_w^2, or 'critical' (chi_1 = 1 at this sigma_b^2)", 0, 0},      \
    {"sb2", "0.05", "bias variance sigma_b^2", 0, 0},                                                         \
    {"depth", "16", "layers L", 0, 0}
#define ORDER_OPT {"order", "0", "Gauss-Hermite order of the mean-field solver, 16..2048 (0: 512)", 0, 0}

static dyn_mf *make_mf(dyn_act act, int order)
{
    dyn_mf_desc d = {act, order};
    size_t bytes = dyn_mf_workspace_bytes(&d);
    if (!bytes) die("--order: %d is out of range [%d, %d]", order, DYN_MF_MIN_ORDER, DYN_MF_MAX_ORDER);
    dyn_mf *mf = xmalloc(sizeof *mf + bytes, "the quadrature tables");
    check(dyn_mf_init(mf, &d, mf + 1, bytes), "setting up the quadrature");
    return mf;
}

/* the network options into a descriptor; width and nets only when the command has them */
static dyn_iso_desc get_net(const cmd *c, int has_width)
{
    dyn_iso_desc d;
    memset(&d, 0, sizeof d);
    if (dyn_iso_weights_parse(get(c, "weights"), &d.orthogonal))
        die("--weights: '%s' is not known; choose gaussian or orthogonal", get(c, "weights"));
    const char *s = get(c, "sw2");
    d.sw2 = strcmp(s, "critical") == 0 ? 0.0 : num("sw2", s);
    if (strcmp(s, "critical") != 0 && (!(d.sw2 > 0.0) || d.sw2 > DYN_MF_MAX_PARAM))
        die("--sw2: %g is out of range: the weight variance must be in (0, %g], or 'critical'", d.sw2, DYN_MF_MAX_PARAM);
    d.sb2 = get_num(c, "sb2");
    if (d.sb2 < 0.0 || d.sb2 > DYN_MF_MAX_PARAM)
        die("--sb2: %g is out of range: the bias variance must be in [0, %g]", d.sb2, DYN_MF_MAX_PARAM);
    d.depth = (int)get_int(c, "depth", 1, DYN_ISO_MAX_DEPTH);
    if (has_width) {
        d.width = (int)get_int(c, "width", 2, DYN_ISO_MAX_WIDTH);
        d.nets = (int)get_int(c, "nets", 1, DYN_ISO_MAX_NETS);
        d.seed = (uint64_t)get_int(c, "seed", 0, 0x7fffffffL);
    }
    return d;
}

static void get_theory(const dyn_mf *mf, const dyn_iso_desc *d, dyn_iso_theory *th)
{
    dyn_status s = dyn_iso_theory_at(mf, d, th);
    if (s == DYN_ERR_NO_SOLUTION && d->sw2 == 0.0)
        die("--sw2 critical: %s has no critical point at sigma_b^2 = %g (ReLU and linear nets are critical only at "
            "sigma_b^2 = 0); give --sw2 a number", dyn_act_name(mf->act), d->sb2);
    check(s, "computing the theory");
}

/* the work estimate, on stderr when it is long, and the refusal when it is over the core's bound */
static void announce(const dyn_iso_desc *d, int which)
{
    double w = dyn_iso_work(d, which);
    if (w > DYN_ISO_MAX_WORK)
        die("--width/--depth/--nets: about %.3g floating-point operations, over the limit of %.3g; use fewer nets or "
            "a smaller net", w, DYN_ISO_MAX_WORK);
    if (w > 2e10) fprintf(stderr, "dynlens: about %.3g floating-point operations (a few s per 1e10)\n", w);
}

static void json_theory(const dyn_iso_theory *th)
{
    printf("\"act\": \"%s\", \"weights\": \"%s\", \"sw2\": ", dyn_act_name(th->act), dyn_iso_weights_name(th->orthogonal));
    jnum(stdout, th->sw2);
    printf(", \"sb2\": ");
    jnum(stdout, th->sb2);
    printf(", \"depth\": %d, \"q\": ", th->depth);
    jnum(stdout, th->q);
    const char *names[] = {"mu1", "mu2", "chi1", "s1", "p_atom", "log_m1_theory", "rel_var_theory", "log_m2_theory"};
    double vals[] = {th->mu1, th->mu2, th->chi1, th->s1, th->p_atom, th->log_m1, th->rel_var, th->log_m2};
    for (int i = 0; i < 8; i++) {
        printf(", \"%s\": ", names[i]);
        jnum(stdout, vals[i]);
    }
    printf(", \"isometric\": %s", th->isometric ? "true" : "false");
}

/* ------------------------------------------------------------------ isometry spectrum */

static int cmd_spectrum(int argc, char **argv)
{
    opt o[] = {ACT_OPT,
               NET_OPTS,
               {"width", "256", "units per layer N", 0, 0},
               {"nets", "1", "independent networks", 0, 0},
               {"seed", "1", "random seed (a non-negative integer)", 0, 0},
               {"npy", NULL, "write the squared singular values lambda (float64, nets x N, ascending per net)", 0, 0},
               {"png", NULL, "write a histogram of log10(lambda / chi_1^L) with the theoretical density", 0, 0},
               {"png-size", "960x720", "PNG size in px", 0, 0},
               {"bins", "60", "histogram bins", 0, 0},
               {"points", "80", "points of the theoretical density in the PNG", 0, 0},
               ORDER_OPT,
               {0}};
    cmd c = {"dynlens isometry spectrum [--act A] [--weights gaussian|orthogonal] [--sw2 X|critical] [--sb2 Y]\n"
             "       [--width N] [--depth L] [--nets K] [--seed S] [--npy F] [--png F]",
             "Samples K random nets at the mean-field fixed point q* and computes every squared singular value lambda\n"
             "of the input-output Jacobian J = D_L W_L ... D_1 W_1. Prints one JSON object: the theory (mu1, mu2, chi1,\n"
             "log_m1_theory = L ln chi1, rel_var_theory = L (mu2/mu1^2 - 1 - s1), isometric) and the sample's log_m1,\n"
             "log_m2, rel_var (var/mean^2) with standard errors over nets, frac_zero, and ln lambda at the quantiles\n"
             "quantile_levels (log_quantiles). Logarithms are natural; they never overflow, lambda itself may.",
             o};
    parse_opts(&c, argc, argv);
    dyn_act act = get_act(&c);
    dyn_iso_desc d = get_net(&c, 1);
    int bins = (int)get_int(&c, "bins", 2, 1000), npts = (int)get_int(&c, "points", 2, 2000);
    png_opts png = get_png(&c);
    dyn_mf *mf = make_mf(act, (int)get_int(&c, "order", 0, DYN_MF_MAX_ORDER));
    dyn_iso_theory th;
    get_theory(mf, &d, &th);
    announce(&d, 0);
    size_t n = (size_t)d.width * d.nets, sl = dyn_iso_spectrum_scratch_doubles(&d);
    if (sl < n) sl = n;
    double *nu = xmalloc(sizeof(double) * (2 * n + d.nets + sl), "the spectrum");
    double *lam = nu + n, *ls = lam + n, *scratch = ls + d.nets;
    double t0 = now_ms();
    check(dyn_iso_spectrum(mf, &d, nu, n, ls, scratch, sl), "sampling the Jacobians");
    double ms = now_ms() - t0;
    dyn_iso_summary sm;
    check(dyn_iso_summarize(nu, ls, d.width, d.nets, scratch, sl, &sm), "summarising the spectrum");
    for (int k = 0; k < d.nets; k++)
        for (int i = 0; i < d.width; i++) lam[(size_t)k * d.width + i] = nu[(size_t)k * d.width + i] * exp(ls[k]);
    if (get(&c, "npy")) write_npy_f64(get(&c, "npy"), lam, d.nets, d.width);
    if (png.path) {
        /* histogram of u = log10(lambda / chi1^L) over the nonzero values, normalised by all values so that it
         * integrates to the continuous part's mass, against rho(x) x ln 10 */
        double *u = scratch, umin = DINF, umax = -DINF;
        size_t m = 0;
        for (int k = 0; k < d.nets; k++)
            for (int i = 0; i < d.width; i++) {
                double v = nu[(size_t)k * d.width + i];
                if (v > 0.0 && sm.frac_zero < 1.0) {
                    double top = nu[(size_t)k * d.width + d.width - 1];
                    if (v <= 1e-12 * top) continue; /* the atom at 0 */
                    u[m] = (log(v) + ls[k] - th.log_m1) / log(10.0);
                    umin = fmin(umin, u[m]);
                    umax = fmax(umax, u[m]);
                    m++;
                }
            }
        if (m == 0 || !(umax > umin)) umin = -1.0, umax = 1.0;
        double pad = 0.02 * (umax - umin), bw = (umax - umin + 2 * pad) / bins;
        umin -= pad;
        double *hx = xmalloc(sizeof(double) * (4 * (size_t)bins + 4 + 3 * (size_t)npts), "the histogram");
        double *hy = hx + 2 * bins + 2, *tx = hy + 2 * bins + 2, *xv = tx + npts, *ty = xv + npts;
        for (int b = 0; b < 2 * bins + 2; b++) hy[b] = 0.0;
        for (size_t i = 0; i < m; i++) {
            int b = (int)((u[i] - umin) / bw);
            b = b < 0 ? 0 : (b >= bins ? bins - 1 : b);
            hy[2 * b + 1] += 1.0;
        }
        for (int b = 0; b < bins; b++) { /* steps: two points per bin */
            double h = hy[2 * b + 1] / ((double)n * bw);
            hx[2 * b] = umin + b * bw;
            hx[2 * b + 1] = umin + (b + 1) * bw;
            hy[2 * b] = hy[2 * b + 1] = h;
        }
        for (int i = 0; i < npts; i++) {
            tx[i] = umin + (umax + pad - umin) * i / (npts - 1);
            xv[i] = pow(10.0, tx[i]);
        }
        check(dyn_iso_density(mf, &th, xv, npts, ty), "computing the theoretical density");
        for (int i = 0; i < npts; i++) ty[i] *= xv[i] * log(10.0);
        size_t font_len;
        uint8_t *font = load_font(&font_len);
        char title[200], lab[96];
        snprintf(title, sizeof title, "Jacobian spectrum: %s, %s, σ_w^2 = %.4g, σ_b^2 = %g, L = %d, N = %d%s",
                 dyn_act_name(act), dyn_iso_weights_name(th.orthogonal), th.sw2, th.sb2, th.depth, d.width,
                 th.isometric ? " (isometric)" : "");
        snprintf(lab, sizeof lab, "sampled, %d net%s", d.nets, d.nets > 1 ? "s" : "");
        dyn_fig_series s[2] = {
            {hx, hy, NULL, NULL, 2 * bins, {160, 160, 160, 255}, 0, 0, 0, lab},
            {tx, ty, NULL, NULL, npts, {214, 39, 40, 255}, 0, 0, 0, "free probability (N → ∞)"},
        };
        dyn_fig_desc fd = {png.width, png.height, font, font_len, title, "log10(λ / χ_1^L), λ = squared singular value",
                           "density per unit log10 λ", NULL, 0, 0, DNAN, DNAN, DYN_CMAP_VIRIDIS, 0, 0, 0, 0, 0};
        figure_png(png.path, &fd, NULL, 0, 0, NULL, 0, s, 2);
        free(font);
        free(hx);
    }
    /* the JSON last: an error writing a file leaves nothing on stdout */
    printf("{");
    json_theory(&th);
    printf(", \"width\": %d, \"nets\": %d, \"seed\": %ld, \"log_m1\": ", d.width, d.nets, (long)d.seed);
    jnum(stdout, sm.log_m1);
    printf(", \"se_log_m1\": ");
    jnum(stdout, sm.se_log_m1);
    printf(", \"log_m2\": ");
    jnum(stdout, sm.log_m2);
    printf(", \"rel_var\": ");
    jnum(stdout, sm.rel_var);
    printf(", \"se_rel_var\": ");
    jnum(stdout, sm.se_rel_var);
    printf(", \"frac_zero\": ");
    jnum(stdout, sm.frac_zero);
    printf(", \"quantile_levels\": ");
    jarr(stdout, DYN_ISO_QUANT_LEVELS, DYN_ISO_NQUANT);
    printf(", \"log_quantiles\": ");
    jarr(stdout, sm.log_q, DYN_ISO_NQUANT);
    printf(", \"ms\": ");
    jnum(stdout, ms);
    printf("}\n");
    free(nu);
    free(mf);
    return 0;
}

/* ------------------------------------------------------------------ isometry density */

static int cmd_density(int argc, char **argv)
{
    opt o[] = {ACT_OPT,
               NET_OPTS,
               {"x", NULL, "comma-separated points x = lambda / chi_1^L (> 0)", 0, 0},
               {"range", "0.01:10", "MIN:MAX of a log-spaced grid of x (when --x is not given)", 0, 0},
               {"n", "50", "points of that grid", 0, 0},
               ORDER_OPT,
               {0}};
    cmd c = {"dynlens isometry density [--act A] [--weights W] [--sw2 X|critical] [--sb2 Y] [--depth L] [--x A,B,..]",
             "The large-width theory of the Jacobian spectrum: the moments (as in spectrum) and the density of the\n"
             "continuous part of the distribution of x = lambda / chi_1^L (mean 1), from the free multiplicative\n"
             "convolution S_JJ^T = S_D^2^L S_WW^T^L. JSON: x, density (null where the solver did not converge).",
             o};
    parse_opts(&c, argc, argv);
    dyn_act act = get_act(&c);
    dyn_iso_desc d = get_net(&c, 0);
    double *x;
    int n = 0;
    if (get(&c, "x")) {
        const char *s = get(&c, "x");
        n = 1;
        for (const char *p = s; *p; p++) n += *p == ',';
        if (n > 10000) die("--x: %d points; at most 10000", n);
        x = xmalloc(sizeof(double) * 2 * (size_t)n, "the points");
        char *copy = xmalloc(strlen(s) + 1, "the points");
        strcpy(copy, s);
        int i = 0;
        for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) x[i++] = num("x", tok);
        if (i != n) die("--x: '%s' has an empty entry", s);
        free(copy);
        for (i = 0; i < n; i++)
            if (!(x[i] > 0.0)) die("--x: %g is out of range: the points must be positive", x[i]);
    } else {
        double lo, hi;
        get_range(&c, "range", &lo, &hi);
        if (!(lo > 0.0)) die("--range: %g is out of range: the points must be positive", lo);
        n = (int)get_int(&c, "n", 2, 10000);
        x = xmalloc(sizeof(double) * 2 * (size_t)n, "the points");
        for (int i = 0; i < n; i++) x[i] = exp(log(lo) + (log(hi) - log(lo)) * i / (n - 1));
    }
    dyn_mf *mf = make_mf(act, (int)get_int(&c, "order", 0, DYN_MF_MAX_ORDER));
    dyn_iso_theory th;
    get_theory(mf, &d, &th);
    double t0 = now_ms();
    check(dyn_iso_density(mf, &th, x, n, x + n), "computing the density");
    printf("{");
    json_theory(&th);
    printf(", \"x\": ");
    jarr(stdout, x, n);
    printf(", \"density\": ");
    jarr(stdout, x + n, n);
    printf(", \"ms\": ");
    jnum(stdout, now_ms() - t0);
    printf("}\n");
    free(x);
    free(mf);
    return 0;
}

/* ------------------------------------------------------------------ isometry gradients */

static int cmd_gradients(int argc, char **argv)
{
    opt o[] = {ACT_OPT,
               NET_OPTS,
               {"width", "256", "units per layer N", 0, 0},
               {"nets", "8", "independent networks", 0, 0},
               {"seed", "1", "random seed (a non-negative integer)", 0, 0},
               {"csv", NULL, "write the table as CSV", 0, 0},
               {"png", NULL, "write a figure: |dL/dh^l|^2 / |dL/dh^L|^2 against l, with chi_1^(L-l)", 0, 0},
               {"png-size", "960x720", "PNG size in px", 0, 0},
               ORDER_OPT,
               {0}};
    cmd c = {"dynlens isometry gradients [--act A] [--weights W] [--sw2 X|critical] [--sb2 Y] [--width N] [--depth L]\n"
             "       [--nets K] [--csv F] [--png F]",
             "Back-propagates a random unit vector from the output of K random nets and prints, per layer l = 1..L,\n"
             "the mean over nets of |dL/dh^l|^2 / |dL/dh^L|^2 (ratio), its standard error (ratio_se), the mean of its\n"
             "natural log (log_ratio), and the mean-field prediction chi_1^(L-l) (theory), as JSON.",
             o};
    parse_opts(&c, argc, argv);
    dyn_act act = get_act(&c);
    dyn_iso_desc d = get_net(&c, 1);
    png_opts png = get_png(&c);
    dyn_mf *mf = make_mf(act, (int)get_int(&c, "order", 0, DYN_MF_MAX_ORDER));
    dyn_iso_theory th;
    get_theory(mf, &d, &th);
    announce(&d, 1);
    int L = d.depth, K = d.nets;
    size_t sl = dyn_iso_gradients_scratch_doubles(&d), nr = (size_t)K * (L + 1);
    double *r = xmalloc(sizeof(double) * (nr + sl + 6 * (size_t)L), "the gradients");
    double *scratch = r + nr, *lay = scratch + sl, *mean = lay + L, *se = mean + L, *lmean = se + L, *theory = lmean + L,
           *lo = theory + L;
    double t0 = now_ms();
    check(dyn_iso_gradients(mf, &d, r, nr, scratch, sl), "back-propagating");
    double ms = now_ms() - t0;
    for (int l = 1; l <= L; l++) {
        double s1 = 0.0, s2 = 0.0, sl1 = 0.0;
        for (int k = 0; k < K; k++) {
            double v = r[(size_t)k * (L + 1) + l];
            s1 += v, sl1 += log(v);
        }
        lay[l - 1] = l;
        mean[l - 1] = s1 / K;
        for (int k = 0; k < K; k++) { /* two passes: equal values give exactly 0 */
            double e = r[(size_t)k * (L + 1) + l] - mean[l - 1];
            s2 += e * e;
        }
        se[l - 1] = K > 1 ? sqrt(s2 / ((double)K * (K - 1))) : DNAN;
        lmean[l - 1] = sl1 / K;
        theory[l - 1] = exp((L - l) * log(th.chi1));
    }
    if (get(&c, "csv")) {
        outfile f;
        out_open(&f, get(&c, "csv"));
        char b0[32], b1[32];
        fprintf(f.f, "# dynlens %s isometry gradients: act=%s weights=%s sw2=%s sb2=%s width=%d depth=%d nets=%d seed=%ld\n",
                VERSION, dyn_act_name(act), dyn_iso_weights_name(th.orthogonal), shortest(th.sw2, b0),
                shortest(th.sb2, b1), d.width, L, K, (long)d.seed);
        fprintf(f.f, "layer,ratio,ratio_se,log_ratio,theory\n");
        for (int l = 0; l < L; l++)
            fprintf(f.f, "%d,%.17g,%.17g,%.17g,%.17g\n", l + 1, mean[l], se[l], lmean[l], theory[l]);
        out_close(&f);
    }
    if (png.path) {
        size_t font_len;
        uint8_t *font = load_font(&font_len);
        double *hi = xmalloc(sizeof(double) * L, "the band");
        for (int l = 0; l < L; l++) {
            lo[l] = mean[l] - 2.0 * se[l];
            hi[l] = mean[l] + 2.0 * se[l];
        }
        char title[200], lab[96];
        snprintf(title, sizeof title, "Gradients over depth: %s, %s, σ_w^2 = %.4g, σ_b^2 = %g, χ_1 = %.4g",
                 dyn_act_name(act), dyn_iso_weights_name(th.orthogonal), th.sw2, th.sb2, th.chi1);
        snprintf(lab, sizeof lab, "sampled, N = %d (mean ± 2 s.e., %d nets)", d.width, K);
        dyn_fig_series s[2] = {
            {lay, mean, K > 1 ? lo : NULL, K > 1 ? hi : NULL, L, {214, 39, 40, 255}, 0, 1, 0, lab},
            {lay, theory, NULL, NULL, L, {31, 119, 180, 255}, 0, 0, 0, "mean field χ_1^{L−l}"},
        };
        dyn_fig_desc fd = {png.width, png.height, font, font_len, title, "layer l", "|∂L/∂h^l|^2 / |∂L/∂h^L|^2", NULL,
                           0, 0, DNAN, DNAN, DYN_CMAP_VIRIDIS, 0, 0, 0, 1, 0};
        figure_png(png.path, &fd, NULL, 0, 0, NULL, 0, s, 2);
        free(hi);
        free(font);
    }
    /* the JSON last: an error writing a file leaves nothing on stdout */
    printf("{");
    json_theory(&th);
    printf(", \"width\": %d, \"nets\": %d, \"seed\": %ld, \"layer\": ", d.width, K, (long)d.seed);
    jarr(stdout, lay, L);
    printf(", \"ratio\": ");
    jarr(stdout, mean, L);
    printf(", \"ratio_se\": ");
    jarr(stdout, se, L);
    printf(", \"log_ratio\": ");
    jarr(stdout, lmean, L);
    printf(", \"theory\": ");
    jarr(stdout, theory, L);
    printf(", \"ms\": ");
    jnum(stdout, ms);
    printf("}\n");
    free(r);
    free(mf);
    return 0;
}

int cli_isometry(int argc, char **argv)
{
    static const cli_cmd cmds[] = {{"spectrum", cmd_spectrum}, {"density", cmd_density}, {"gradients", cmd_gradients}};
    return run_family("isometry", cmds, 3, CLI_ISOMETRY_HELP, argc, argv);
}

/* ================================================================== dynlens trainability */

const char CLI_TRAINABILITY_HELP[] =
    "trainability commands (Schoenholz et al. 2017, Pennington et al. 2017: nets train when depth < ~6 xi_c):\n"
    "  grid   train a fixed-width net at every (depth, sigma_w^2) of a grid and record its accuracy: NPY, CSV,\n"
    "         PNG heatmap with xi_c, 2 xi_c and 6 xi_c; all cores, or one --shard K/N of the cells\n"
    "  merge  join the CSV files of the shards K/N into the files one machine would have written\n";

/* everything that defines a grid; printed as the first CSV line and read back by merge */
typedef struct tgrid {
    dyn_iso_train_desc t;
    char data[512];
    int dmin, dmax, ny, nx;
    double smin, smax;
} tgrid;

static int row_depth(const tgrid *g, int row) /* row 0 is the top of the figure: the deepest nets */
{
    int i = g->ny - 1 - row;
    return g->ny > 1 ? (int)lround(g->dmin + (double)(g->dmax - g->dmin) * i / (g->ny - 1)) : g->dmin;
}

static double col_sw2(const tgrid *g, int col)
{
    return g->nx > 1 ? g->smin + (g->smax - g->smin) * col / (g->nx - 1) : g->smin;
}

static void header_line(char *b, size_t n, const tgrid *g)
{
    char s0[32], s1[32], s2[32], s3[32];
    snprintf(b, n,
             "# dynlens trainability grid: act=%s weights=%s sb2=%s width=%d steps=%d batch=%d lr=%s seed=%llu "
             "depth=%d:%d ny=%d sw2=%s:%s nx=%d data=%s",
             dyn_act_name(g->t.act), dyn_iso_weights_name(g->t.orthogonal), shortest(g->t.sb2, s0), g->t.width,
             g->t.steps, g->t.batch, shortest(g->t.lr, s1), (unsigned long long)g->t.seed, g->dmin, g->dmax, g->ny,
             shortest(g->smin, s2), shortest(g->smax, s3), g->nx, g->data);
}

/* the standardised data set: the shipped digits (digits_path: $DYNLENS_ASSETS or the assets CMake compiled in) or a CSV */
static dyn_data load_training_data(const char *name, double **xbuf, double **ybuf)
{
    char buf[4096];
    const char *path = name;
    if (strcmp(name, "digits") == 0) {
        path = digits_path(buf, sizeof buf);
    } else {
        size_t l = strlen(name);
        if (!(l > 4 && (strcmp(name + l - 4, ".csv") == 0 || (l > 7 && strcmp(name + l - 7, ".csv.gz") == 0))))
            die("--data: '%s' is neither digits nor a .csv file", name);
    }
    dyn_csv_info info = read_csv_file(path, 1, NULL, xbuf, ybuf);
    check(dyn_data_standardize(*xbuf, info.rows, info.cols, NULL, NULL), "standardising the features");
    return (dyn_data){info.rows, info.cols, *xbuf, *ybuf, info.n_class};
}

/* NPY, CSV and PNG of a full grid: the single-machine run and merge both end here, so their files are identical */
static void write_grid(const tgrid *g, const double *acc, const char *csv, const char *npy, const png_opts *png, int order)
{
    int n = g->nx * g->ny;
    if (csv) {
        outfile f;
        char h[1024], b0[32], b1[32];
        out_open(&f, csv);
        header_line(h, sizeof h, g);
        fprintf(f.f, "%s\ncell,depth,sw2,accuracy\n", h);
        for (int c = 0; c < n; c++)
            fprintf(f.f, "%d,%d,%s,%s\n", c, row_depth(g, c / g->nx), shortest(col_sw2(g, c % g->nx), b0),
                    shortest(acc[c], b1));
        out_close(&f);
    }
    float *grid = xmalloc(sizeof(float) * n, "the grid");
    for (int c = 0; c < n; c++) grid[c] = (float)acc[c];
    if (npy) write_npy(npy, grid, g->ny, g->nx);
    if (png && png->path) {
        /* xi_c, 2 xi_c and 6 xi_c over sw2 from the mean-field module (infinite on the critical line: the top edge) */
        enum { NP = 400 };
        double *lx = xmalloc(sizeof(double) * 4 * NP, "the depth scales"), *l1 = lx + NP, *l2 = l1 + NP, *l6 = l2 + NP;
        dyn_mf *mf = make_mf(g->t.act, order);
        for (int i = 0; i < NP; i++) {
            dyn_mf_point p;
            lx[i] = g->smin + (g->smax - g->smin) * i / (NP - 1);
            double xi = dyn_mf_solve(mf, lx[i], g->t.sb2, &p) == DYN_OK ? p.xi_c : DNAN;
            double cap = 4.0 * g->dmax;
            l1[i] = xi > cap ? DINF : xi;
            l2[i] = 2 * xi > cap ? DINF : 2 * xi;
            l6[i] = 6 * xi > cap ? DINF : 6 * xi;
        }
        free(mf);
        size_t font_len;
        uint8_t *font = load_font(&font_len);
        char title[200];
        snprintf(title, sizeof title, "Trainability: %s, %s init, σ_b^2 = %g, width %d, %d SGD steps", dyn_act_name(g->t.act),
                 dyn_iso_weights_name(g->t.orthogonal), g->t.sb2, g->t.width, g->t.steps);
        dyn_fig_desc d = {png->width, png->height, font, font_len, title, "σ_w^2", "depth L", "accuracy (training set)",
                          g->smin, g->nx > 1 ? g->smax : 0, g->dmin, g->ny > 1 ? g->dmax : 0, DYN_CMAP_VIRIDIS, 0.0, 1.0,
                          0, 0, 0};
        dyn_fig_line lines[3] = {{lx, l1, NP, {255, 255, 255, 255}, 0, 0, "ξ_c"},
                                 {lx, l2, NP, {255, 255, 255, 255}, 0, 1, "2 ξ_c"},
                                 {lx, l6, NP, {255, 140, 0, 255}, 0, 1, "6 ξ_c"}};
        figure_png(png->path, &d, grid, g->nx, g->ny, lines, 3, NULL, 0);
        free(font);
        free(lx);
    }
    free(grid);
}

/* the worker pool: cells handed out in order under a mutex; results land in acc[cell] */
typedef struct pool {
    const tgrid *g;
    const dyn_data *data;
    const long *cells;
    long ncells, next, done;
    double *acc;
    size_t bytes;
    pthread_mutex_t mu;
    double t0, work_total, work_done;
    dyn_status err;
    long err_cell;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    void *mem = malloc(p->bytes);
    if (!mem) {
        pthread_mutex_lock(&p->mu);
        p->err = DYN_ERR_BUFFER;
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&p->mu);
        long i = p->err ? p->ncells : p->next++;
        pthread_mutex_unlock(&p->mu);
        if (i >= p->ncells) break;
        long c = p->cells[i];
        int depth = row_depth(p->g, (int)(c / p->g->nx));
        double a = DNAN;
        dyn_status s = dyn_iso_cell(&p->g->t, p->data, depth, col_sw2(p->g, (int)(c % p->g->nx)), c, mem, p->bytes, &a);
        pthread_mutex_lock(&p->mu);
        p->acc[c] = a;
        if (s && !p->err) p->err = s, p->err_cell = c;
        p->done++;
        p->work_done += dyn_iso_cell_work(&p->g->t, p->data, depth);
        long step = p->ncells >= 20 ? p->ncells / 20 : 1;
        if (p->done % step == 0 || p->done == p->ncells) {
            double el = (now_ms() - p->t0) / 1000.0, left = el * (p->work_total / p->work_done - 1.0);
            fprintf(stderr, "dynlens: %ld/%ld cells, %.0f s elapsed, about %.0f s left\n", p->done, p->ncells, el, left);
        }
        pthread_mutex_unlock(&p->mu);
    }
    free(mem);
    return NULL;
}

static void parse_shard(const char *s, int *k, int *n)
{
    char *e1, *e2;
    long a = strtol(s, &e1, 10);
    if (e1 == s || *e1 != '/') die("--shard: '%s' is not K/N (e.g. 3/8)", s);
    long b = strtol(e1 + 1, &e2, 10);
    if (e2 == e1 + 1 || *e2) die("--shard: '%s' is not K/N (e.g. 3/8)", s);
    if (b < 1 || b > 100000 || a < 1 || a > b) die("--shard: %s must have 1 <= K <= N <= 100000", s);
    *k = (int)a, *n = (int)b;
}

static int cmd_grid(int argc, char **argv)
{
    opt o[] = {{"act", "tanh", "activation: tanh, relu, hard_tanh, erf, linear, sigmoid, swish", 0, 0},
               {"weights", "gaussian", "initialisation: gaussian or orthogonal", 0, 0},
               {"data", "digits", "digits (assets/digits, 1797 8x8 images) or a CSV file (last column the label)", 0, 0},
               {"depth", "10:100", "MIN:MAX hidden layers (rows), 1..128", 0, 0},
               {"ny", "10", "depths in the grid", 0, 0},
               {"sw2", "1:4", "MIN:MAX weight variance (columns)", 0, 0},
               {"nx", "13", "sigma_w^2 values in the grid", 0, 0},
               {"sb2", "0.05", "bias variance of the initialisation", 0, 0},
               {"width", "32", "units per hidden layer", 0, 0},
               {"steps", "300", "SGD steps per cell", 0, 0},
               {"batch", "32", "minibatch size", 0, 0},
               {"lr", "0.01", "SGD step size", 0, 0},
               {"seed", "1", "random seed (a non-negative integer)", 0, 0},
               {"threads", "0", "worker threads (0: every core of this machine)", 0, 0},
               {"shard", "1/1", "compute share K of N of the cells (cell c when c mod N = K - 1); join with merge", 0, 0},
               {"csv", NULL, "write cell,depth,sw2,accuracy (a shard writes its own cells)", 0, 0},
               {"npy", NULL, "write the accuracy grid (float32, rows = depths, top row deepest)", 0, 0},
               {"png", NULL, "write the heatmap with xi_c, 2 xi_c and 6 xi_c", 0, 0},
               {"png-size", "960x720", "PNG size in px", 0, 0},
               ORDER_OPT,
               {0}};
    cmd c = {"dynlens trainability grid [--act A] [--weights W] [--depth MIN:MAX --ny N] [--sw2 MIN:MAX --nx M] [--sb2 Y]\n"
             "       [--width N] [--steps S] [--threads T] [--shard K/N] [--csv F] [--npy F] [--png F]",
             "Trains a net of each depth (rows) at each sigma_w^2 (columns) with SGD from the mean-field initialisation\n"
             "and records its accuracy on the training data (a diverged run scores chance, 1/classes). Each cell's random\n"
             "streams derive from (seed, cell), so threads and shards give the same bits as one process. Progress and\n"
             "the work estimate go to stderr; the summary (cells, cells_per_s, ms) is JSON on stdout.",
             o};
    parse_opts(&c, argc, argv);
    tgrid g;
    memset(&g, 0, sizeof g);
    g.t.act = get_act(&c);
    if (dyn_iso_weights_parse(get(&c, "weights"), &g.t.orthogonal))
        die("--weights: '%s' is not known; choose gaussian or orthogonal", get(&c, "weights"));
    double d0, d1;
    get_range(&c, "depth", &d0, &d1);
    if (d0 != floor(d0) || d1 != floor(d1) || d0 < 1 || d1 > DYN_NET_MAX_HIDDEN)
        die("--depth: %g:%g must be whole numbers in 1..%d", d0, d1, DYN_NET_MAX_HIDDEN);
    g.dmin = (int)d0, g.dmax = (int)d1;
    g.ny = (int)get_int(&c, "ny", 1, 1000);
    get_range(&c, "sw2", &g.smin, &g.smax);
    if (!(g.smin > 0.0) || g.smax > DYN_MF_MAX_PARAM) die("--sw2: %g:%g must lie in (0, %g]", g.smin, g.smax, DYN_MF_MAX_PARAM);
    g.nx = (int)get_int(&c, "nx", 1, 1000);
    g.t.sb2 = get_num(&c, "sb2");
    if (g.t.sb2 < 0.0 || g.t.sb2 > DYN_MF_MAX_PARAM) die("--sb2: %g is out of range [0, %g]", g.t.sb2, DYN_MF_MAX_PARAM);
    g.t.width = (int)get_int(&c, "width", 1, DYN_NET_MAX_WIDTH);
    g.t.steps = (int)get_int(&c, "steps", 1, 1000000);
    g.t.batch = (int)get_int(&c, "batch", 1, DYN_NET_MAX_BATCH);
    g.t.lr = get_num(&c, "lr");
    if (!(g.t.lr > 0.0) || g.t.lr > 100.0) die("--lr: %g is out of range (0, 100]", g.t.lr);
    g.t.seed = (uint64_t)get_int(&c, "seed", 0, 0x7fffffffL);
    int threads = (int)get_int(&c, "threads", 0, 1024), k, nsh;
    parse_shard(get(&c, "shard"), &k, &nsh);
    if (nsh > 1 && (get(&c, "npy") || get(&c, "png")))
        die("--shard %s: a shard writes only --csv; join the shards with 'dynlens trainability merge'", get(&c, "shard"));
    png_opts png = get_png(&c);
    int order = (int)get_int(&c, "order", 0, DYN_MF_MAX_ORDER);
    snprintf(g.data, sizeof g.data, "%s", get(&c, "data"));
    if (strpbrk(g.data, " \n\r")) die("--data: '%s': the path may not contain spaces or line breaks", g.data);
    double *xb, *yb;
    dyn_data data = load_training_data(g.data, &xb, &yb);
    long n = (long)g.nx * g.ny, m = 0;
    long *cells = xmalloc(sizeof(long) * n, "the cells");
    double *acc = xmalloc(sizeof(double) * n, "the grid"), work = 0.0;
    size_t bytes = 0;
    for (long cc = 0; cc < n; cc++) {
        acc[cc] = DNAN;
        if (!dyn_iso_shard_owns(cc, k, nsh)) continue;
        cells[m++] = cc;
        int depth = row_depth(&g, (int)(cc / g.nx));
        size_t b = dyn_iso_cell_bytes(&g.t, &data, depth);
        if (!b) die("--width/--depth: a net of depth %d and width %d does not fit (at most %ld parameters)", depth,
                    g.t.width, (long)DYN_NET_MAX_PARAMS);
        if (b > bytes) bytes = b;
        work += dyn_iso_cell_work(&g.t, &data, depth);
    }
    if (threads == 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > 0 ? (int)nc : 1;
    }
    if (threads > m) threads = m > 0 ? (int)m : 1;
    fprintf(stderr, "dynlens: %ld cells (shard %d/%d of %ld), about %.3g floating-point operations, %d thread%s\n", m, k,
            nsh, n, work, threads, threads > 1 ? "s" : "");
    pool p = {&g, &data, cells, m, 0, 0, acc, bytes, PTHREAD_MUTEX_INITIALIZER, now_ms(), work, 0.0, DYN_OK, -1};
    pthread_t *th = xmalloc(sizeof(pthread_t) * threads, "the threads");
    int started = 0;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&th[i], NULL, worker, &p) == 0) started++;
        else break;
    if (!started) die("could not start a thread");
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    double ms = now_ms() - p.t0;
    if (p.err) die("cell %ld: %s", p.err_cell, dyn_status_str(p.err));
    if (nsh > 1) {
        if (get(&c, "csv")) {
            outfile f;
            char h[1024], b0[32], b1[32];
            out_open(&f, get(&c, "csv"));
            header_line(h, sizeof h, &g);
            fprintf(f.f, "%s\n# shard=%d/%d\ncell,depth,sw2,accuracy\n", h, k, nsh);
            for (long i = 0; i < m; i++)
                fprintf(f.f, "%ld,%d,%s,%s\n", cells[i], row_depth(&g, (int)(cells[i] / g.nx)),
                        shortest(col_sw2(&g, (int)(cells[i] % g.nx)), b0), shortest(acc[cells[i]], b1));
            out_close(&f);
        }
    } else {
        write_grid(&g, acc, get(&c, "csv"), get(&c, "npy"), &png, order);
    }
    double lo = DINF, hi = -DINF;
    for (long i = 0; i < m; i++) lo = fmin(lo, acc[cells[i]]), hi = fmax(hi, acc[cells[i]]);
    printf("{\"cells\": %ld, \"grid_cells\": %ld, \"shard\": \"%d/%d\", \"threads\": %d, \"min\": ", m, n, k, nsh, started);
    jnum(stdout, lo);
    printf(", \"max\": ");
    jnum(stdout, hi);
    printf(", \"ms\": ");
    jnum(stdout, ms);
    printf(", \"cells_per_s\": ");
    jnum(stdout, m / (ms / 1000.0));
    printf("}\n");
    free(th), free(cells), free(acc), free(xb), free(yb);
    return 0;
}

/* "key=value" from the header line into v (at most vn bytes); 0 when absent */
static int hdr_get(const char *line, const char *key, char *v, size_t vn)
{
    char pat[64];
    snprintf(pat, sizeof pat, " %s=", key);
    const char *p = strstr(line, pat);
    if (!p) return 0;
    p += strlen(pat);
    size_t i = 0;
    while (p[i] && p[i] != ' ' && p[i] != '\n' && p[i] != '\r' && i + 1 < vn) v[i] = p[i], i++;
    v[i] = 0;
    return 1;
}

static void parse_header(const char *path, const char *line, tgrid *g)
{
    char v[512];
    const char *keys[] = {"act", "weights", "sb2", "width", "steps", "batch", "lr", "seed", "depth", "ny", "sw2", "nx", "data"};
    for (int i = 0; i < 13; i++)
        if (!hdr_get(line, keys[i], v, sizeof v)) die("%s: line 1 has no %s=; is it a trainability grid CSV?", path, keys[i]);
    memset(g, 0, sizeof *g);
    hdr_get(line, "act", v, sizeof v);
    if (dyn_act_parse(v, &g->t.act)) die("%s: line 1: unknown act=%s", path, v);
    hdr_get(line, "weights", v, sizeof v);
    if (dyn_iso_weights_parse(v, &g->t.orthogonal)) die("%s: line 1: unknown weights=%s", path, v);
    hdr_get(line, "sb2", v, sizeof v), g->t.sb2 = num("sb2", v);
    hdr_get(line, "width", v, sizeof v), g->t.width = atoi(v);
    hdr_get(line, "steps", v, sizeof v), g->t.steps = atoi(v);
    hdr_get(line, "batch", v, sizeof v), g->t.batch = atoi(v);
    hdr_get(line, "lr", v, sizeof v), g->t.lr = num("lr", v);
    hdr_get(line, "seed", v, sizeof v), g->t.seed = strtoull(v, NULL, 10);
    hdr_get(line, "depth", v, sizeof v);
    if (sscanf(v, "%d:%d", &g->dmin, &g->dmax) != 2 || g->dmin < 1 || g->dmax < g->dmin) die("%s: line 1: bad depth=%s", path, v);
    hdr_get(line, "ny", v, sizeof v), g->ny = atoi(v);
    hdr_get(line, "nx", v, sizeof v), g->nx = atoi(v);
    hdr_get(line, "sw2", v, sizeof v);
    char *colon = strchr(v, ':');
    if (!colon) die("%s: line 1: bad sw2=%s", path, v);
    *colon = 0;
    g->smin = num("sw2", v), g->smax = num("sw2", colon + 1);
    hdr_get(line, "data", g->data, sizeof g->data);
    if (g->nx < 1 || g->ny < 1 || g->nx > 1000 || g->ny > 1000) die("%s: line 1: bad grid size %dx%d", path, g->nx, g->ny);
}

static int cmd_merge(int argc, char **argv)
{
    opt o[] = {{"csv", NULL, "write the joined CSV (the same bytes as one machine's --csv)", 0, 0},
               {"npy", NULL, "write the accuracy grid (float32)", 0, 0},
               {"png", NULL, "write the heatmap with xi_c, 2 xi_c and 6 xi_c", 0, 0},
               {"png-size", "960x720", "PNG size in px", 0, 0},
               ORDER_OPT,
               {0}};
    cmd c = {"dynlens trainability merge SHARD.csv ... [--csv F] [--npy F] [--png F]",
             "Joins the CSV files written by 'trainability grid --shard K/N --csv' (one per K, all with the same\n"
             "parameters) and writes the files a single machine would have written. Checks that every cell is there\n"
             "exactly once.",
             o};
    /* the positional arguments are the shard files; the rest are options */
    char **files = xmalloc(sizeof(char *) * (size_t)(argc + 1), "the arguments"), **rest = xmalloc(sizeof(char *) * (size_t)(argc + 1), "the arguments");
    int nf = 0, nr = 0;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            rest[nr++] = argv[i];
            if (!strchr(argv[i], '=') && strcmp(argv[i], "--help") && i + 1 < argc) rest[nr++] = argv[++i];
        } else {
            files[nf++] = argv[i];
        }
    }
    parse_opts(&c, nr, rest);
    if (nf == 0) die("merge: no shard files given; usage: dynlens trainability merge SHARD.csv ... --csv F");
    png_opts png = get_png(&c);
    tgrid g;
    char first[1024] = "";
    double *acc = NULL;
    int *seen = NULL, nsh = 0, *got_shard = NULL;
    long n = 0;
    for (int f = 0; f < nf; f++) {
        size_t len;
        char *raw = read_file(files[f], &len), *text = xmalloc(len + 1, "the shard file");
        memcpy(text, raw, len); /* read_file's buffer has no terminating NUL, and strtok_r needs one */
        text[len] = 0;
        free(raw);
        char *save = NULL, *line = strtok_r(text, "\n", &save);
        if (!line || strncmp(line, "# dynlens trainability grid:", 28) != 0)
            die("%s: line 1 is not '# dynlens trainability grid: ...'", files[f]);
        if (f == 0) {
            snprintf(first, sizeof first, "%s", line);
            parse_header(files[f], line, &g);
            n = (long)g.nx * g.ny;
            acc = xmalloc(sizeof(double) * n, "the grid");
            seen = xmalloc(sizeof(int) * n, "the grid");
            for (long i = 0; i < n; i++) seen[i] = 0, acc[i] = DNAN;
        } else if (strcmp(first, line) != 0) {
            die("%s: its parameters (line 1) differ from those of %s", files[f], files[0]);
        }
        int k = 1, nn = 1, lineno = 1;
        while ((line = strtok_r(NULL, "\n", &save))) {
            lineno++;
            if (line[0] == '#') {
                if (sscanf(line, "# shard=%d/%d", &k, &nn) != 2 || k < 1 || k > nn) die("%s: line %d: bad shard line", files[f], lineno);
                continue;
            }
            if (strncmp(line, "cell,", 5) == 0) continue;
            long cell;
            int depth;
            char *p = line, *e;
            cell = strtol(p, &e, 10);
            if (e == p || *e != ',' || cell < 0 || cell >= n) die("%s: line %d: bad cell number", files[f], lineno);
            depth = (int)strtol(e + 1, &e, 10);
            if (*e != ',') die("%s: line %d: bad depth", files[f], lineno);
            strtod(e + 1, &e);
            if (*e != ',') die("%s: line %d: bad sw2", files[f], lineno);
            char *e2;
            double a = strtod(e + 1, &e2);
            if (e2 == e + 1 || (*e2 && *e2 != '\r')) die("%s: line %d: bad accuracy", files[f], lineno);
            if (depth != row_depth(&g, (int)(cell / g.nx))) die("%s: line %d: cell %ld has the wrong depth", files[f], lineno, cell);
            if (!dyn_iso_shard_owns(cell, k, nn)) die("%s: line %d: cell %ld does not belong to shard %d/%d", files[f], lineno, cell, k, nn);
            if (seen[cell]) die("%s: line %d: cell %ld appears twice (is a shard given twice?)", files[f], lineno, cell);
            seen[cell] = 1;
            acc[cell] = a;
        }
        if (f == 0) {
            nsh = nn;
            got_shard = xmalloc(sizeof(int) * (size_t)(nn + 1), "the shards");
            for (int i = 0; i <= nn; i++) got_shard[i] = 0;
        } else if (nn != nsh) {
            die("%s: shard %d/%d, but %s is one of %d shards", files[f], k, nn, files[0], nsh);
        }
        got_shard[k] = 1;
        free(text);
    }
    for (int i = 1; i <= nsh; i++)
        if (!got_shard[i]) die("merge: shard %d/%d is missing", i, nsh);
    for (long i = 0; i < n; i++)
        if (!seen[i]) die("merge: cell %ld is missing (an incomplete shard file?)", i);
    write_grid(&g, acc, get(&c, "csv"), get(&c, "npy"), &png, (int)get_int(&c, "order", 0, DYN_MF_MAX_ORDER));
    printf("{\"cells\": %ld, \"shards\": %d, \"files\": %d}\n", n, nsh, nf);
    free(files), free(rest), free(acc), free(seen), free(got_shard);
    return 0;
}

int cli_trainability(int argc, char **argv)
{
    static const cli_cmd cmds[] = {{"grid", cmd_grid}, {"merge", cmd_merge}};
    return run_family("trainability", cmds, 2, CLI_TRAINABILITY_HELP, argc, argv);
}
