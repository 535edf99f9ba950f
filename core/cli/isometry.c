/* isometry.c - "dynlens isometry ...": Jacobian spectra, their free-probability density, and gradients over depth. */
#include <string.h>

#include "cli.h"
#include "figure.h"
#include "isometry.h"
#include "meanfield.h"

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
