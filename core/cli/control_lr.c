/* control_lr.c - "dynlens control lr": the learning rate as a control, over the core's lrcontrol module. */
#include <string.h>

#include "cli.h"
#include "data.h"
#include "figure.h"
#include "lrcontrol.h"

#define MAX_SCHED 16

/* "1,0.5,2" -> v[0..n-1]; a single value is repeated to d entries when d > 0 */
static int parse_list(const char *name, const char *s, double *v, int max)
{
    int n = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char field[64];
        if (n == max) die("--%s: more than %d values", name, max);
        if (l == 0 || l >= sizeof field) die("--%s: '%s' is not a comma-separated list of numbers", name, s);
        memcpy(field, p, l);
        field[l] = 0;
        v[n++] = num(name, field);
        if (!e) break;
        p = e + 1;
    }
    return n;
}

/* a list of d values, or one value for every coordinate */
static void get_vec(const cmd *c, const char *name, double *v, int d)
{
    int n = parse_list(name, get(c, name), v, DYN_LRC_MAX_D);
    if (n == 1)
        for (int i = 1; i < d; i++) v[i] = v[0];
    else if (n != d) die("--%s: %d values for %d coordinates (give one value, or one per coordinate of --a)", name, n, d);
}

/* the caller-given schedule: a one-column CSV of at least N multipliers in [0, 1] */
static double *read_u(const char *path, long steps)
{
    double *none, *u;
    dyn_csv_info info = read_csv_file(path, DYN_CSV_ONE_COLUMN, "--u", &none, &u);
    if (info.rows < steps)
        die("--u: %s has %d values; the run has %ld steps (T / eta), one multiplier per step", path, info.rows, steps);
    for (long k = 0; k < steps; k++)
        if (!(u[k] >= 0.0 && u[k] <= 1.0)) die("--u: %s: value %ld is %g; multipliers must be in [0, 1]", path, k + 1, u[k]);
    return u;
}

typedef struct run {
    dyn_lrc_schedule s;
    char name[DYN_LRC_LABEL_MAX];
    double *ode, *rec, *mc, *se, *u, *uode; /* N + 1 each; u, uode (N + 1) x d */
    double *djdu;                           /* N + 1: dJ/du_k summed over coordinates, 0 in row N */
    double *own;                            /* the direct optimiser's u, freed with the run */
    double direct_loss, max_z, gap, ms;
} run;

static const uint8_t COLORS[10][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}, {148, 103, 189},
                                      {140, 86, 75}, {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

static void draw(outset *os, const png_opts *png, const char *title, const run *r, int ns, long steps, double eta, int d,
                 const double *tsw)
{
    size_t rows = (size_t)steps + 1;
    /* equal halves: the figure code scales text with min(w / 960, h / 720), so equal panels get equal fonts */
    int w = png->width, h1 = png->height / 2, h2 = png->height - h1;
    double *t = xmalloc(sizeof(double) * (rows + 2), "the figure");
    for (size_t k = 0; k < rows; k++) t[k] = (double)k * eta;
    /* loss panel: per schedule the band (MC mean +- 2 SE), the MC mean, the SME ODE (dashed), SGD's exact moments */
    int per = 4;
    dyn_fig_series *s = xmalloc(sizeof(dyn_fig_series) * (size_t)(per * ns + 2 + ns * d + d), "the figure");
    double *lo = xmalloc(sizeof(double) * rows * 2 * (size_t)ns, "the figure"), *hi = lo + rows * (size_t)ns;
    double nanx = DNAN, nany = DNAN;
    int n = 0;
    for (int j = 0; j < ns; j++) {
        uint8_t c[4] = {COLORS[j % 10][0], COLORS[j % 10][1], COLORS[j % 10][2], 255};
        double *l = lo + rows * (size_t)j, *hh = hi + rows * (size_t)j;
        for (size_t k = 0; k < rows; k++) l[k] = r[j].mc[k] - 2 * r[j].se[k], hh[k] = r[j].mc[k] + 2 * r[j].se[k];
        s[n++] = (dyn_fig_series){.x = t, .y = r[j].mc, .y_lo = l, .y_hi = hh, .n = (int)rows,
                                  .rgba = {c[0], c[1], c[2], 90}, .width = 1.0};
        s[n++] = (dyn_fig_series){.x = t, .y = r[j].ode, .n = (int)rows,
                                  .rgba = {c[0], c[1], c[2], 255}, .width = 1.5, .dashed = 1};
        s[n++] = (dyn_fig_series){.x = t, .y = r[j].rec, .n = (int)rows,
                                  .rgba = {c[0], c[1], c[2], 255}, .width = 2.5, .label = r[j].name};
    }
    /* legend-only entries that explain the line styles */
    s[n++] = (dyn_fig_series){.x = &nanx, .y = &nany, .n = 1,
                              .rgba = {90, 90, 90, 255}, .width = 1.5, .dashed = 1, .label = "dashed: SME moment ODE"};
    s[n++] = (dyn_fig_series){.x = &nanx, .y = &nany, .n = 1,
                              .rgba = {90, 90, 90, 120}, .width = 1.0, .label = "thin + band: SGD runs, mean ± 2 SE"};
    size_t font_len;
    uint8_t *font = load_font(&font_len);
    dyn_fig_desc f1 = {.width = w, .height = h1, .font = font, .font_len = font_len, .title = title,
                       .xlabel = "t = k η", .ylabel = "E f(x_t)", .x0 = DNAN, .x1 = DNAN, .y0 = DNAN, .y1 = DNAN,
                       .log_y = 1};
    uint8_t *top = figure_draw(&f1, NULL, 0, 0, NULL, 0, s, n);
    /* u panel: coordinate 1 solid, the others of a per-coordinate law dashed */
    n = 0;
    double *uc = xmalloc(sizeof(double) * rows * (size_t)(ns * d), "the figure");
    for (int j = 0; j < ns; j++) {
        int per_coord = r[j].s.kind == DYN_LRC_OPTIMAL || r[j].s.kind == DYN_LRC_DISCRETE;
        for (int i = 0; i < (per_coord ? d : 1); i++) {
            double *col = uc + rows * (size_t)(j * d + i);
            for (size_t k = 0; k < rows; k++) col[k] = r[j].u[k * (size_t)d + (size_t)i];
            uint8_t c[4] = {COLORS[j % 10][0], COLORS[j % 10][1], COLORS[j % 10][2], 255};
            s[n++] = (dyn_fig_series){.x = t, .y = col, .n = (int)rows,
                                      .rgba = {c[0], c[1], c[2], c[3]}, .width = i ? 1.5 : 2.5, .dashed = i > 0, .label = i ? NULL : r[j].name};
        }
    }
    dyn_fig_desc f2 = {.width = w, .height = h2, .font = font, .font_len = font_len,
                       .title = d > 1 ? "the learning rate multiplier u(t) (dashed: coordinates 2 to d of optimal and "
                                        "discrete; grey: the switch times t*_i)"
                                      : "the learning rate multiplier u(t) (grey: the switch time t* of the optimal law)",
                       .xlabel = "t = k η", .ylabel = "u", .x0 = DNAN, .x1 = DNAN, .y0 = 0.0, .y1 = 1.05,
                       .no_legend = 1};
    /* the closed form's switch times, where the optimal law leaves u = 1 for its 1/t branch */
    double mx[2 * DYN_LRC_MAX_D], my[2] = {-DINF, DINF};
    for (int i = 0; i < d; i++) {
        if (!(tsw[i] > 0.0 && tsw[i] < (double)steps * eta)) continue;
        mx[2 * i] = mx[2 * i + 1] = tsw[i];
        s[n++] = (dyn_fig_series){.x = mx + 2 * i, .y = my, .n = 2,
                                  .rgba = {90, 90, 90, 255}, .width = 1.0, .dashed = 1};
    }
    uint8_t *bot = figure_draw(&f2, NULL, 0, 0, NULL, 0, s, n);
    uint8_t *all = xmalloc((size_t)4 * w * (size_t)(h1 + h2), "the figure");
    memcpy(all, top, (size_t)4 * w * h1);
    memcpy(all + (size_t)4 * w * h1, bot, (size_t)4 * w * h2);
    outs_png(os, png->path, all, w, h1 + h2);
    free(all);
    free(top);
    free(bot);
    free(uc);
    free(font);
    free(lo);
    free(s);
    free(t);
}

int cli_control_lr(int argc, char **argv)
{
    opt o[] = {{"a", "1", "curvatures a_i > 0 of f(x) = 1/2 sum a_i x_i^2, comma-separated (d = their count, <= 64)", 0, 0},
               {"sigma2", "1", "per-example gradient-noise variances >= 0 (one value, or one per coordinate)", 0, 0},
               {"x0", "1", "starting point (one value, or one per coordinate)", 0, 0},
               {"eta", "0.01", "base learning rate; eta * max a_i < 2", 0, 0},
               {"batch", "1", "batch size B: the noise variance is sigma2 / B", 0, 0},
               {"T", "10", "horizon in SME time t = k eta (N = T / eta steps)", 0, 0},
               {"schedules", "optimal,const:1,const:0.25,inv:1", "comma-separated: optimal, discrete, const:U, inv:C[:T0], "
                                                                 "direct:K, given", 0, 0},
               {"u", NULL, "the 'given' schedule: a one-column CSV of N multipliers in [0, 1], one per step", 0, 0},
               {"runs", "1000", "Monte Carlo SGD runs per schedule (2..10^7)", 0, 0},
               {"seed", "1", "seed of the Monte Carlo noise (schedule j uses seed + j)", 0, 0},
               {"csv", NULL, "write the curves as CSV (columns below)", 0, 0},
               {"npy", NULL, "write the same table as NPY, float64 (N + 1) x columns", 0, 0},
               {"png", NULL, "write the figure: E f(x_t) (log) for each schedule, then u(t)", 0, 0},
               {"png-size", "960x1000", "PNG size in px (two panels, each half the height)", 0, 0},
               {"title", NULL, "figure title", 0, 0},
               {0}};
    cmd c = {"dynlens control lr [--a A1,A2,..] [--sigma2 S] [--x0 X] [--eta E] [--batch B] [--T T]\n"
             "                     [--schedules LIST] [--u FILE] [--runs R] [--seed N] [--csv F] [--npy F] [--png F]",
             "SGD x_{k+1} = x_k - eta u_k (grad f(x_k) + noise) on f(x) = 1/2 sum a_i x_i^2 with N(0, sigma2_i / B) gradient\n"
             "noise, the learning-rate multiplier u_k in [0, 1] being the control (Li, Tai and E 2017). For each schedule:\n"
             "E f on the SME moment ODE dm/dt = -2 a u m + eta u^2 s^2, on SGD's exact moment recursion, and as the mean\n"
             "of --runs simulated SGD runs. Schedules: optimal = min(1, a m / (eta s^2)) per coordinate (the SME's optimum,\n"
             "a 1/t law after t*), discrete = the recursion's optimum, const:U, inv:C[:T0] = min(1, C / (t + T0)), direct:K =\n"
             "a shared u, constant on K pieces, optimised numerically on the ODE, given = --u FILE. A feedback law reads\n"
             "the moments of what it drives: the ODE's in the ODE, the exact recursion's in the recursion and the runs.\n"
             "Prints one JSON object: the problem, t_switch (t* per coordinate) and loss_T_optimal_closed (the closed form),\n"
             "and per schedule loss_T_ode, loss_T_sgd (exact recursion), loss_T_mc with loss_T_mc_se, z_T = (mc - sgd) / se,\n"
             "max_abs_z over all times, sme_rel_gap = max |ode - sgd| / sgd, u_T; best = the lowest loss_T_sgd.\n"
             "CSV/NPY columns: t, then per schedule NAME_ode, NAME_sgd, NAME_mc, NAME_se, NAME_u1..NAME_ud (SGD's u_k),\n"
             "NAME_dJdu: dE f(x_N)/du_k for one shared u, by the recursion's costates (the switching function; last row 0).",
             o};
    parse_opts(&c, argc, argv);
    double a[DYN_LRC_MAX_D], s2[DYN_LRC_MAX_D], x0[DYN_LRC_MAX_D];
    int d = parse_list("a", get(&c, "a"), a, DYN_LRC_MAX_D);
    get_vec(&c, "sigma2", s2, d);
    get_vec(&c, "x0", x0, d);
    double eta = get_num(&c, "eta"), T = get_num(&c, "T"), amax = 0;
    if (!(eta > 0.0)) die("--eta: %g is not allowed: the learning rate must be positive", eta);
    for (int i = 0; i < d; i++) {
        if (!(a[i] > 0.0)) die("--a: a_%d = %g; curvatures must be positive", i + 1, a[i]);
        if (!(s2[i] >= 0.0)) die("--sigma2: %g is negative; variances must be >= 0", s2[i]);
        if (s2[i] > DYN_LRC_MAX_VALUE) die("--sigma2: %g is too large (at most %g)", s2[i], DYN_LRC_MAX_VALUE);
        if (fabs(x0[i]) > DYN_LRC_MAX_VALUE) die("--x0: %g is too large (|x0| at most %g)", x0[i], DYN_LRC_MAX_VALUE);
        amax = fmax(amax, a[i]);
    }
    if (!(eta * amax < 2.0))
        die("--eta: eta * max a = %g; SGD at u = 1 diverges unless eta * a_i < 2 (take eta < %g)", eta * amax, 2.0 / amax);
    int batch = (int)get_int(&c, "batch", 1, 1000000000L);
    if (!(T > 0.0)) die("--T: %g is not allowed: the horizon must be positive", T);
    long steps;
    dyn_status st = dyn_lrc_steps(eta, T, &steps);
    if (st == DYN_ERR_SIZE)
        die("--T/--eta: T / eta = %g steps; give 1..%ld steps", T / eta, DYN_LRC_MAX_STEPS);
    check(st, "--T");
    long runs = get_int(&c, "runs", 2, DYN_LRC_MAX_RUNS);
    long seed = get_int(&c, "seed", 0, 0x7fffffffL);
    if ((double)runs * (double)steps * d > DYN_LRC_MAX_WORK)
        die("--runs: %ld runs x %ld steps x %d coordinates exceeds the limit of %.0e per schedule", runs, steps, d,
            DYN_LRC_MAX_WORK);
    png_opts png = get_png(&c);
    if (png.path) outs_check(png.path, "--png");
    if (get(&c, "csv")) outs_check(get(&c, "csv"), "--csv");
    if (get(&c, "npy")) outs_check(get(&c, "npy"), "--npy");
    if (png.path && png.height < 2 * DYN_FIG_MIN_SIDE) die("--png-size: the two panels need a height of at least %d px", 2 * DYN_FIG_MIN_SIDE);
    dyn_lrc_problem p = {d, a, s2, x0, eta, batch};

    /* the schedules */
    run r[MAX_SCHED];
    int ns = 0, want_u = 0;
    memset(r, 0, sizeof r);
    const char *list = get(&c, "schedules");
    double *given = NULL;
    for (const char *q = list;;) {
        const char *e = strchr(q, ',');
        size_t l = e ? (size_t)(e - q) : strlen(q);
        char spec[64], err[160];
        if (l == 0 || l >= sizeof spec) die("--schedules: '%s' has an empty or overlong entry", list);
        if (ns == MAX_SCHED) die("--schedules: more than %d schedules", MAX_SCHED);
        memcpy(spec, q, l);
        spec[l] = 0;
        if (dyn_lrc_schedule_parse(spec, &r[ns].s, err, sizeof err) != DYN_OK) die("--schedules: %s", err);
        if (r[ns].s.kind == DYN_LRC_DIRECT && r[ns].s.pieces > steps)
            die("--schedules: %s asks for more pieces than the %ld steps", spec, steps);
        if (r[ns].s.kind == DYN_LRC_GIVEN) want_u = 1;
        dyn_lrc_schedule_label(&r[ns].s, r[ns].name, sizeof r[ns].name);
        for (int j = 0; j < ns; j++)
            if (strcmp(r[j].name, r[ns].name) == 0) die("--schedules: %s is listed twice", r[ns].name);
        ns++;
        if (!e) break;
        q = e + 1;
    }
    if (want_u && !get(&c, "u")) die("--schedules: 'given' needs --u FILE (one multiplier per step)");
    if (!want_u && get(&c, "u")) die("--u: add 'given' to --schedules to use it");
    if (want_u) given = read_u(get(&c, "u"), steps);

    /* compute everything before writing anything */
    size_t rows = (size_t)steps + 1;
    double t_all = now_ms();
    for (int j = 0; j < ns; j++) {
        run *x = &r[j];
        double t0 = now_ms();
        x->direct_loss = DNAN;
        if (x->s.kind == DYN_LRC_GIVEN) x->s.u = given, x->s.n_u = steps;
        if (x->s.kind == DYN_LRC_DIRECT) {
            size_t nsc = dyn_lrc_optimize_scratch_doubles(d, x->s.pieces);
            double *sc = xmalloc(sizeof(double) * nsc, "the optimiser");
            x->own = xmalloc(sizeof(double) * (size_t)steps, "the optimised schedule");
            check(dyn_lrc_optimize(&p, steps, x->s.pieces, 0, x->own, (size_t)steps, &x->direct_loss, sc, nsc),
                  "the direct optimisation");
            free(sc);
            x->s.u = x->own, x->s.n_u = steps;
        }
        double *buf = xmalloc(sizeof(double) * rows * (5 + 4 * (size_t)d), "the curves");
        x->ode = buf, x->rec = buf + rows, x->mc = buf + 2 * rows, x->se = buf + 3 * rows;
        x->u = buf + 4 * rows, x->uode = x->u + rows * (size_t)d, x->djdu = x->uode + rows * (size_t)d;
        double *lam = x->djdu + rows, *grad = lam + rows * (size_t)d; /* (N + 1) d and N d: fits in 2 (N + 1) d */
        check(dyn_lrc_ode(&p, &x->s, steps, 0, x->ode, rows, NULL, 0, x->uode, rows * d), "the moment ODE");
        check(dyn_lrc_recursion(&p, &x->s, steps, x->rec, rows, NULL, 0, x->u, rows * d), "the moment recursion");
        check(dyn_lrc_costates(&p, &x->s, steps, lam, rows * d, grad, (rows - 1) * d, NULL), "the costates");
        for (size_t k = 0; k < rows; k++) {
            x->djdu[k] = 0.0;
            for (int i = 0; k + 1 < rows && i < d; i++) x->djdu[k] += grad[k * (size_t)d + (size_t)i];
        }
        check(dyn_lrc_simulate(&p, &x->s, steps, runs, (uint64_t)seed + (uint64_t)j, x->mc, rows, x->se, rows, 0, NULL, 0),
              "the Monte Carlo runs");
        x->max_z = 0, x->gap = 0;
        for (size_t k = 1; k < rows; k++) {
            if (x->se[k] > 0) x->max_z = fmax(x->max_z, fabs(x->mc[k] - x->rec[k]) / x->se[k]);
            if (x->rec[k] > 0) x->gap = fmax(x->gap, fabs(x->ode[k] - x->rec[k]) / x->rec[k]);
        }
        x->ms = now_ms() - t0;
    }
    t_all = now_ms() - t_all;
    /* the closed form of the optimum, per coordinate */
    double tsw[DYN_LRC_MAX_D], closed = 0.0;
    for (int i = 0; i < d; i++) {
        double mT;
        check(dyn_lrc_optimal_1d(a[i], s2[i] / batch, eta, x0[i] * x0[i], (double)steps * eta, &mT, NULL, &tsw[i]),
              "the closed form");
        closed += 0.5 * a[i] * mT;
    }

    /* files: staged in one set, committed together after the figure is drawn */
    outset *os = xmalloc(sizeof *os, "the output files");
    memset(os, 0, sizeof *os);
    int ncol = 1 + ns * (5 + d);
    if (get(&c, "csv") || get(&c, "npy")) {
        double *tab = xmalloc(sizeof(double) * rows * (size_t)ncol, "the table");
        for (size_t k = 0; k < rows; k++) {
            double *row = tab + k * (size_t)ncol;
            *row++ = (double)k * eta;
            for (int j = 0; j < ns; j++) {
                *row++ = r[j].ode[k], *row++ = r[j].rec[k], *row++ = r[j].mc[k], *row++ = r[j].se[k];
                for (int i = 0; i < d; i++) *row++ = r[j].u[k * (size_t)d + (size_t)i];
                *row++ = r[j].djdu[k];
            }
        }
        if (get(&c, "csv")) {
            struct {
                FILE *f;
            } f = {outs_file(os, get(&c, "csv"))};
            char b[32], b2[32];
            fprintf(f.f, "# dynlens %s control lr: d=%d eta=%s batch=%d T=%s steps=%ld runs=%ld seed=%ld\n", VERSION, d,
                    shortest(eta, b), batch, shortest((double)steps * eta, b2), steps, runs, seed);
            fputs("# a=", f.f);
            for (int i = 0; i < d; i++) fprintf(f.f, "%s%s", i ? "," : "", shortest(a[i], b));
            fputs(" sigma2=", f.f);
            for (int i = 0; i < d; i++) fprintf(f.f, "%s%s", i ? "," : "", shortest(s2[i], b));
            fputs(" x0=", f.f);
            for (int i = 0; i < d; i++) fprintf(f.f, "%s%s", i ? "," : "", shortest(x0[i], b));
            fputs("\n# NAME_ode: E f on the SME moment ODE; NAME_sgd: SGD's exact moments; NAME_mc, NAME_se: the mean "
                  "of the simulated runs and its standard error; NAME_uI: SGD's multiplier of coordinate I at step k; "
                  "NAME_dJdu: the derivative of E f(x_N) with respect to a shared u_k (costates of the recursion)\n",
                  f.f);
            fputs("t", f.f);
            for (int j = 0; j < ns; j++) {
                fprintf(f.f, ",%s_ode,%s_sgd,%s_mc,%s_se", r[j].name, r[j].name, r[j].name, r[j].name);
                for (int i = 0; i < d; i++) fprintf(f.f, ",%s_u%d", r[j].name, i + 1);
                fprintf(f.f, ",%s_dJdu", r[j].name);
            }
            fputc('\n', f.f);
            for (size_t k = 0; k < rows; k++) {
                for (int q = 0; q < ncol; q++) fprintf(f.f, "%s%s", q ? "," : "", shortest(tab[k * (size_t)ncol + q], b));
                fputc('\n', f.f);
            }
        }
        if (get(&c, "npy")) outs_npy_f64(os, get(&c, "npy"), tab, (long)rows, ncol);
        free(tab);
    }
    if (png.path) {
        char title[200];
        if (get(&c, "title")) snprintf(title, sizeof title, "%s", get(&c, "title"));
        else if (d == 1)
            snprintf(title, sizeof title, "Learning rate as a control: a = %.3g, σ² = %.3g, η = %.3g, B = %d (%ld runs)",
                     a[0], s2[0], eta, batch, runs);
        else
            snprintf(title, sizeof title, "Learning rate as a control: d = %d, η = %.3g, B = %d (%ld runs)", d, eta, batch,
                     runs);
        draw(os, &png, title, r, ns, steps, eta, d, tsw);
    }
    outs_commit(os); /* every file or none, then the JSON */
    free(os);

    /* JSON */
    printf("{\"d\": %d, \"a\": ", d);
    jarr(stdout, a, d);
    printf(", \"sigma2\": ");
    jarr(stdout, s2, d);
    printf(", \"x0\": ");
    jarr(stdout, x0, d);
    printf(", \"eta\": ");
    jnum(stdout, eta);
    printf(", \"batch\": %d, \"T\": ", batch);
    jnum(stdout, (double)steps * eta);
    printf(", \"steps\": %ld, \"runs\": %ld, \"seed\": %ld, \"loss_0\": ", steps, runs, seed);
    jnum(stdout, r[0].rec[0]);
    printf(", \"t_switch\": ");
    jarr(stdout, tsw, d);
    printf(", \"loss_T_optimal_closed\": ");
    jnum(stdout, closed);
    printf(", \"schedules\": [");
    int best = 0;
    for (int j = 0; j < ns; j++) {
        const run *x = &r[j];
        size_t N = (size_t)steps;
        if (x->rec[N] < r[best].rec[N]) best = j;
        printf("%s{\"name\": \"%s\", \"loss_T_ode\": ", j ? ", " : "", x->name);
        jnum(stdout, x->ode[N]);
        printf(", \"loss_T_sgd\": ");
        jnum(stdout, x->rec[N]);
        printf(", \"loss_T_mc\": ");
        jnum(stdout, x->mc[N]);
        printf(", \"loss_T_mc_se\": ");
        jnum(stdout, x->se[N]);
        printf(", \"z_T\": ");
        jnum(stdout, x->se[N] > 0 ? (x->mc[N] - x->rec[N]) / x->se[N] : DNAN);
        printf(", \"max_abs_z\": ");
        jnum(stdout, x->max_z);
        printf(", \"sme_rel_gap\": ");
        jnum(stdout, x->gap);
        if (x->s.kind == DYN_LRC_DIRECT) printf(", \"loss_T_direct_opt\": "), jnum(stdout, x->direct_loss);
        printf(", \"u_T\": ");
        jarr(stdout, x->u + N * (size_t)d, d);
        printf(", \"ms\": %.3f}", x->ms);
    }
    printf("], \"best\": \"%s\", \"ms\": %.3f}\n", r[best].name, t_all);
    for (int j = 0; j < ns; j++) {
        free(r[j].ode);
        free(r[j].own);
    }
    free(given);
    return 0;
}
