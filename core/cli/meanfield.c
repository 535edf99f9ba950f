/* meanfield.c - "dynlens meanfield ...": signal propagation in deep random networks, over the core's meanfield module. */
#include <string.h>

#include "cli.h"
#include "colormap.h"
#include "figure.h"
#include "meanfield.h"

const char CLI_MEANFIELD_HELP[] =
    "meanfield commands (signal propagation in deep random networks, Poole et al. 2016, Schoenholz et al. 2017):\n"
    "  point       fixed points q*, c*, chi_1, chi_c and depth scales of one network (JSON)\n"
    "  critical    the critical sigma_w^2 (edge of chaos) for a sigma_b^2, or the whole line (JSON)\n"
    "  phase       an order/chaos phase diagram over (sigma_w^2, sigma_b^2): PNG, CSV, NPY\n"
    "  trajectory  q^l and c^l layer by layer from given inputs (JSON)\n"
    "  simulate    the same measured in real random networks of finite width, next to the theory\n"
    "Variances, not standard deviations: W_ij ~ N(0, sigma_w^2 / N), b_i ~ N(0, sigma_b^2).\n";

static void check_sw2(double sw2)
{
    if (!(sw2 > 0.0) || sw2 > DYN_MF_MAX_PARAM)
        die("--sw2: %g is out of range: the weight variance must be in (0, %g]", sw2, DYN_MF_MAX_PARAM);
}

static void check_sb2(double sb2)
{
    if (sb2 < 0.0 || sb2 > DYN_MF_MAX_PARAM)
        die("--sb2: %g is out of range: the bias variance must be in [0, %g]", sb2, DYN_MF_MAX_PARAM);
}

/* the two inputs' statistics, shared by trajectory and simulate */
static void get_inputs(const cmd *c, double *q0, double *c0)
{
    *q0 = get_num(c, "q0");
    *c0 = get_num(c, "c0");
    if (!(*q0 > 0.0) || *q0 > 1e6) die("--q0: %g is out of range (0, 1e6]", *q0);
    if (*c0 < -1.0 || *c0 > 1.0) die("--c0: %g is out of range [-1, 1]", *c0);
}

/* --act, --sw2 and --sb2 */
static dyn_act get_network(const cmd *c, double *sw2, double *sb2)
{
    dyn_act act = get_act(c);
    *sw2 = get_num(c, "sw2");
    *sb2 = get_num(c, "sb2");
    check_sw2(*sw2);
    check_sb2(*sb2);
    return act;
}

/* ------------------------------------------------------------------ the core, set up */

static dyn_mf *make_mf(dyn_act act, int order)
{
    dyn_mf_desc d = {.act = act, .order = order};
    size_t bytes = dyn_mf_workspace_bytes(&d);
    if (!bytes) die("--order: %d is out of range [%d, %d]", order, DYN_MF_MIN_ORDER, DYN_MF_MAX_ORDER);
    dyn_mf *mf = xmalloc(sizeof *mf + bytes, "the quadrature tables");
    check(dyn_mf_init(mf, &d, mf + 1, bytes), "setting up the quadrature");
    return mf;
}

static int get_order(const cmd *c)
{
    return (int)get_int(c, "order", 0, DYN_MF_MAX_ORDER);
}
/* ------------------------------------------------------------------ meanfield point */

static const char *const FIELD_LABEL[DYN_MF_FIELD_COUNT] = {
    "q^*", "c^*", "χ_1", "χ_c", "ξ_q (layers)", "ξ_c (layers)", "ξ_∇ = −1/ln χ_1 (layers)",
    "0 = ordered, 1 = chaotic (grey: q^l unbounded)"};

static void print_point(const char *act, const dyn_mf_point *p)
{
    printf("{\"act\": \"%s\", \"sw2\": ", act);
    jnum(stdout, p->sw2);
    printf(", \"sb2\": ");
    jnum(stdout, p->sb2);
    const char *names[] = {"q_star", "c_star", "chi1", "chi_c", "chi_q", "xi_q", "xi_c", "xi_grad", "depth_trainable"};
    double vals[] = {p->q_star, p->c_star, p->chi1, p->chi_c, p->chi_q, p->xi_q, p->xi_c, p->xi_grad, p->depth_trainable};
    for (int i = 0; i < 9; i++) {
        printf(", \"%s\": ", names[i]);
        jnum(stdout, vals[i]);
    }
    printf(", \"phase\": \"%s\"}\n", dyn_mf_phase_name(p->phase));
}

#define ORDER_OPT {"order", "0", "Gauss-Hermite order of the 2-D rule, 16..2048 (0: 512)", 0, 0}
#define ACT_OPT {"act", "tanh", "activation: {act}", 0, 0}
#define INPUT_OPTS {"q0", "1", "input length q^0 (both inputs)", 0, 0}, {"c0", "0.5", "input correlation c^0", 0, 0}

static int cmd_point(int argc, char **argv)
{
    opt o[] = {ACT_OPT,
               {"sw2", "1.5", "weight variance sigma_w^2 (fan-in scaled)", 0, 0},
               {"sb2", "0.05", "bias variance sigma_b^2", 0, 0},
               ORDER_OPT,
               {0}};
    cmd c = {"dynlens meanfield point [--act A] [--sw2 X] [--sb2 Y] [--order N]",
             "Fixed points, chi_1, chi_c and depth scales of one random network, as one JSON object:\n"
             "q_star, c_star, chi1, chi_c, chi_q, xi_q, xi_c, xi_grad, depth_trainable (6 xi_c), phase.\n"
             "Infinite depth scales are written 1e999 (valid JSON, read as infinity); undefined ones null.",
             o};
    parse_opts(&c, argc, argv);
    double sw2, sb2;
    dyn_act act = get_network(&c, &sw2, &sb2);
    dyn_mf *mf = make_mf(act, get_order(&c));
    dyn_mf_point p;
    check(dyn_mf_solve(mf, sw2, sb2, &p), "solving the mean-field equations");
    print_point(dyn_act_name(act), &p);
    free(mf);
    return 0;
}

/* ------------------------------------------------------------------ meanfield critical */

static int cmd_critical(int argc, char **argv)
{
    opt o[] = {ACT_OPT,
               {"sb2", "0.05", "bias variance, or a range MIN:MAX for the whole line", 0, 0},
               {"n", "31", "points on the line when --sb2 is a range", 0, 0},
               ORDER_OPT,
               {0}};
    cmd c = {"dynlens meanfield critical [--act A] [--sb2 Y | --sb2 MIN:MAX --n N] [--order N]",
             "The critical weight variance (chi_1 = 1, the edge of chaos) for a bias variance, as JSON:\n"
             "{sw2_crit, q_star}; for a range, arrays sb2 and sw2_crit (null where there is none).",
             o};
    parse_opts(&c, argc, argv);
    dyn_act act = get_act(&c);
    dyn_mf *mf = make_mf(act, get_order(&c));
    if (strchr(get(&c, "sb2"), ':')) {
        double lo, hi;
        get_range(&c, "sb2", &lo, &hi);
        check_sb2(lo);
        check_sb2(hi);
        int n = (int)get_int(&c, "n", 2, DYN_MF_MAX_GRID);
        double *sw2 = xmalloc(sizeof(double) * n, "the line"), *sb2 = xmalloc(sizeof(double) * n, "the line");
        check(dyn_mf_critical_line(mf, lo, hi, n, sw2), "the critical line");
        for (int i = 0; i < n; i++) sb2[i] = lo + (hi - lo) * i / (n - 1);
        printf("{\"act\": \"%s\", \"sb2\": ", dyn_act_name(act));
        jarr(stdout, sb2, n);
        printf(", \"sw2_crit\": ");
        jarr(stdout, sw2, n);
        printf("}\n");
        free(sw2);
        free(sb2);
    } else {
        double sb2 = get_num(&c, "sb2"), sw2 = DNAN, q = DNAN;
        check_sb2(sb2);
        dyn_status s = dyn_mf_critical(mf, sb2, &sw2, &q);
        if (s == DYN_ERR_NO_SOLUTION)
            die("%s has no critical point at sb2 = %g (ReLU and linear networks are critical only at sb2 = 0)",
                dyn_act_name(act), sb2);
        check(s, "solving for the critical point");
        printf("{\"act\": \"%s\", \"sb2\": ", dyn_act_name(act));
        jnum(stdout, sb2);
        printf(", \"sw2_crit\": ");
        jnum(stdout, sw2);
        printf(", \"q_star\": ");
        jnum(stdout, q);
        printf("}\n");
    }
    free(mf);
    return 0;
}

/* ------------------------------------------------------------------ meanfield phase */


static int cmd_phase(int argc, char **argv)
{
    opt o[] = {ACT_OPT,
               {"field", "xi_c", "{field}", 0, 0},
               {"sw2", "0.5:4", "weight variance range MIN:MAX (columns)", 0, 0},
               {"sb2", "0:0.3", "bias variance range MIN:MAX (rows, top row = MAX)", 0, 0},
               {"size", "256x256", "grid size COLUMNSxROWS", 0, 0},
               {"png", NULL, "write the figure (heatmap, critical line, colorbar) to this PNG", 0, 0},
               {"png-size", "960x720", "PNG size in px", 0, 0},
               {"csv", NULL, "write the grid as CSV: columns sw2,sb2,<field>", 0, 0},
               {"npy", NULL, "write the grid as NPY: float32, shape (rows, columns), row 0 = top (sb2 MAX)", 0, 0},
               {"cmap", "viridis", "colormap: {cmap}", 0, 0},
               {"vmin", NULL, "lower end of the colour scale (default: 1st percentile)", 0, 0},
               {"vmax", NULL, "upper end of the colour scale (default: 99th percentile)", 0, 0},
               {"scale", "auto", "colour scale: linear, log, or auto (log for the depth scales xi_c, xi_q)", 0, 0},
               {"title", NULL, "figure title (default: the field and activation)", 0, 0},
               ORDER_OPT,
               {0}};
    cmd c = {"dynlens meanfield phase [--act A] [--field F] [--sw2 MIN:MAX] [--sb2 MIN:MAX] [--size WxH]\n"
             "                        [--png FILE] [--csv FILE] [--npy FILE] [...]",
             "An order/chaos phase diagram: one field over a (sigma_w^2, sigma_b^2) grid, with the critical line.\n"
             "Prints a JSON summary (ranges, size, min, max, time); writes the grid and the figure on request.",
             o};
    parse_opts(&c, argc, argv);
    dyn_act act = get_act(&c);
    dyn_mf_field field;
    char list[256];
    if (dyn_mf_field_parse(get(&c, "field"), &field) != DYN_OK)
        die("--field: unknown field '%s'; choose %s", get(&c, "field"), core_names("field", list, sizeof list));
    dyn_mf_grid_desc g = {.field = field};
    get_range(&c, "sw2", &g.sw2_min, &g.sw2_max);
    get_range(&c, "sb2", &g.sb2_min, &g.sb2_max);
    check_sw2(g.sw2_min);
    check_sw2(g.sw2_max);
    check_sb2(g.sb2_min);
    check_sb2(g.sb2_max);
    get_size(&c, "size", &g.nx, &g.ny, DYN_MF_MAX_GRID);
    dyn_cmap cmap;
    if (dyn_cmap_parse(get(&c, "cmap"), &cmap) != DYN_OK)
        die("--cmap: unknown colormap '%s'; choose %s", get(&c, "cmap"), core_names("cmap", list, sizeof list));
    png_opts png = get_png(&c);
    if (get(&c, "csv")) outs_check(get(&c, "csv"), "--csv");
    if (get(&c, "npy")) outs_check(get(&c, "npy"), "--npy");
    double vmin = get(&c, "vmin") ? get_num(&c, "vmin") : DNAN, vmax = get(&c, "vmax") ? get_num(&c, "vmax") : DNAN;
    if (!isnan(vmin) && !isnan(vmax) && !(vmax > vmin)) die("--vmin must be below --vmax");
    const char *scale = get(&c, "scale");
    if (strcmp(scale, "linear") && strcmp(scale, "log") && strcmp(scale, "auto"))
        die("--scale: unknown scale '%s'; choose linear, log or auto", scale);
    int log_scale = strcmp(scale, "log") == 0 ||
                    (strcmp(scale, "auto") == 0 && (field == DYN_MF_XI_C || field == DYN_MF_XI_Q));
    if (log_scale && !isnan(vmin) && !(vmin > 0.0)) die("--vmin must be positive with a log scale");

    dyn_mf *mf = make_mf(act, get_order(&c));
    size_t n = (size_t)g.nx * g.ny;
    float *grid = xmalloc(n * sizeof *grid, "the grid");
    double t0 = now_ms();
    check(dyn_mf_grid(mf, &g, grid, n), "computing the grid");
    double ms = now_ms() - t0;
    double lo = DINF, hi = -DINF;
    for (size_t i = 0; i < n; i++)
        if (isfinite(grid[i])) lo = fmin(lo, grid[i]), hi = fmax(hi, grid[i]);

    const char *fname = dyn_mf_field_name(field);
    outset *os = xmalloc(sizeof *os, "the output files");
    memset(os, 0, sizeof *os);
    if (get(&c, "csv")) {
        struct {
            FILE *f;
        } f = {outs_file(os, get(&c, "csv"))};
        char r0[32], r1[32], r2[32], r3[32];
        fprintf(f.f, "# dynlens %s meanfield phase: act=%s field=%s sw2=%s:%s sb2=%s:%s size=%dx%d order=%d\n", VERSION,
                dyn_act_name(act), fname, shortest(g.sw2_min, r0), shortest(g.sw2_max, r1), shortest(g.sb2_min, r2),
                shortest(g.sb2_max, r3), g.nx, g.ny, mf->order);
        fprintf(f.f, "# rows top first (sb2 from max to min), columns sw2 from min to max; empty = undefined\n");
        fprintf(f.f, "sw2,sb2,%s\n", fname);
        for (int r = 0; r < g.ny; r++) {
            double sb2 = g.ny == 1 ? g.sb2_min : g.sb2_max - (g.sb2_max - g.sb2_min) * r / (g.ny - 1);
            for (int col = 0; col < g.nx; col++) {
                double sw2 = g.nx == 1 ? g.sw2_min : g.sw2_min + (g.sw2_max - g.sw2_min) * col / (g.nx - 1);
                float v = grid[(size_t)r * g.nx + col];
                char b1[32], b2[32];
                fprintf(f.f, "%s,%s,", shortest(sw2, b1), shortest(sb2, b2));
                if (isnan(v)) fputc('\n', f.f);
                else if (isinf(v)) fprintf(f.f, "%s\n", v > 0 ? "inf" : "-inf");
                else fprintf(f.f, "%.9g\n", (double)v);
            }
        }
    }
    if (get(&c, "npy")) outs_npy(os, get(&c, "npy"), grid, g.ny, g.nx);
    if (png.path) {
        size_t font_len;
        uint8_t *font = load_font(&font_len);
        int nl = g.ny < 2 ? 2 : g.ny;
        double *lx = xmalloc(sizeof(double) * nl, "the critical line"), *ly = xmalloc(sizeof(double) * nl, "the critical line");
        int have_line = g.sb2_max > g.sb2_min && dyn_mf_critical_line(mf, g.sb2_min, g.sb2_max, nl, lx) == DYN_OK;
        for (int i = 0; i < nl; i++) ly[i] = g.sb2_min + (g.sb2_max - g.sb2_min) * i / (nl - 1);
        if (field == DYN_MF_PHASE) /* unbounded networks in grey; ordered blue, chaotic red */
            for (size_t i = 0; i < n; i++)
                if (grid[i] == (float)DYN_PHASE_UNBOUNDED) grid[i] = DNAN;
        char title[160];
        if (get(&c, "title")) snprintf(title, sizeof title, "%s", get(&c, "title"));
        else if (field == DYN_MF_PHASE) snprintf(title, sizeof title, "Order and chaos in %s networks", dyn_act_name(act));
        else snprintf(title, sizeof title, "%s for %s networks", FIELD_LABEL[field], dyn_act_name(act));
        if (!get(&c, "title") && strchr(title, '(')) { /* drop the unit from the title */
            char *p = strstr(title, " (");
            char *q = p ? strchr(p, ')') : NULL;
            if (p && q) memmove(p, q + 1, strlen(q + 1) + 1);
        }
        dyn_fig_desc d = {.width = png.width, .height = png.height, .font = font, .font_len = font_len,
                          .title = title, .xlabel = "σ_w^2", .ylabel = "σ_b^2", .clabel = FIELD_LABEL[field],
                          .x0 = g.sw2_min, .x1 = g.nx > 1 ? g.sw2_max : 0, .y0 = g.sb2_min,
                          .y1 = g.ny > 1 ? g.sb2_max : 0, .cmap = field == DYN_MF_PHASE ? DYN_CMAP_RDBU : cmap,
                          .vmin = field == DYN_MF_PHASE ? 0.0 : vmin, .vmax = field == DYN_MF_PHASE ? 1.0 : vmax,
                          .log_scale = log_scale};
        dyn_fig_line line = {.x = lx, .y = ly, .n = nl, .rgba = {255, 255, 255, 255}, .dashed = 1,
                             .label = "χ_1 = 1 (edge of chaos)"};
        uint8_t *rgba = figure_draw(&d, grid, g.nx, g.ny, &line, have_line ? 1 : 0, NULL, 0);
        outs_png(os, png.path, rgba, d.width, d.height);
        free(rgba);
        free(lx);
        free(ly);
        free(font);
    }
    outs_commit(os);
    free(os);
    double ranges[4] = {g.sw2_min, g.sw2_max, g.sb2_min, g.sb2_max};
    printf("{\"act\": \"%s\", \"field\": \"%s\", \"sw2\": ", dyn_act_name(act), fname);
    jarr(stdout, ranges, 2);
    printf(", \"sb2\": ");
    jarr(stdout, ranges + 2, 2);
    printf(", \"nx\": %d, \"ny\": %d, \"order\": %d, \"min\": ", g.nx, g.ny, mf->order);
    jnum(stdout, isfinite(lo) ? lo : DNAN);
    printf(", \"max\": ");
    jnum(stdout, isfinite(hi) ? hi : DNAN);
    printf(", \"ms\": %.3f}\n", ms);
    free(grid);
    free(mf);
    return 0;
}

/* ------------------------------------------------------------------ meanfield trajectory and simulate */

static int cmd_trajectory(int argc, char **argv)
{
    opt o[] = {ACT_OPT,
               {"sw2", "1.5", "weight variance", 0, 0},
               {"sb2", "0.05", "bias variance", 0, 0},
               INPUT_OPTS,
               {"depth", "30", "layers", 0, 0},
               ORDER_OPT,
               {0}};
    cmd c = {"dynlens meanfield trajectory [--act A] [--sw2 X] [--sb2 Y] [--q0 Q] [--c0 C] [--depth L]",
             "Iterates the length and correlation maps from (q0, c0): JSON arrays q, c and one_minus_c per layer.",
             o};
    parse_opts(&c, argc, argv);
    double sw2, sb2, q0, c0;
    dyn_act act = get_network(&c, &sw2, &sb2);
    get_inputs(&c, &q0, &c0);
    int L = (int)get_int(&c, "depth", 0, DYN_MF_MAX_DEPTH);
    dyn_mf *mf = make_mf(act, get_order(&c));
    double *q = xmalloc(sizeof(double) * (L + 1), "q"), *cc = xmalloc(sizeof(double) * (L + 1), "c"),
           *e = xmalloc(sizeof(double) * (L + 1), "1 - c");
    check(dyn_mf_trajectory(mf, sw2, sb2, q0, c0, L, q, cc, e), "iterating the maps");
    printf("{\"act\": \"%s\", \"sw2\": ", dyn_act_name(act));
    jnum(stdout, sw2);
    printf(", \"sb2\": ");
    jnum(stdout, sb2);
    printf(", \"q\": ");
    jarr(stdout, q, L + 1);
    printf(", \"c\": ");
    jarr(stdout, cc, L + 1);
    printf(", \"one_minus_c\": ");
    jarr(stdout, e, L + 1);
    printf("}\n");
    free(q);
    free(cc);
    free(e);
    free(mf);
    return 0;
}

static int cmd_simulate(int argc, char **argv)
{
    opt o[] = {ACT_OPT,
               {"sw2", "2", "weight variance", 0, 0},
               {"sb2", "0.05", "bias variance", 0, 0},
               {"width", "500", "units per layer N", 0, 0},
               {"depth", "30", "layers L", 0, 0},
               {"seeds", "8", "independent networks", 0, 0},
               {"seed", "1", "random seed (a non-negative integer)", 0, 0},
               INPUT_OPTS,
               {"csv", NULL, "write the table as CSV", 0, 0},
               {"png", NULL, "write a figure of c^l and q^l: theory and simulation (mean +- 2 s.e.)", 0, 0},
               {"png-size", "960x720", "PNG size in px", 0, 0},
               {"json", NULL, "print JSON instead of a table", 1, 0},
               ORDER_OPT,
               BUDGET_OPTS,
               {0}};
    cmd c = {"dynlens meanfield simulate [--act A] [--sw2 X] [--sb2 Y] [--width N] [--depth L] [--seeds S] ...",
             "Pushes two inputs through real random networks (Gaussian weights, seeded) and prints, per layer,\n"
             "the mean-field theory next to the simulation (mean and standard error over the networks).",
             o};
    parse_opts(&c, argc, argv);
    double sw2, sb2, q0, c0;
    dyn_act act = get_network(&c, &sw2, &sb2);
    get_inputs(&c, &q0, &c0);
    int N = (int)get_int(&c, "width", 2, DYN_MF_MAX_WIDTH), L = (int)get_int(&c, "depth", 0, DYN_MF_MAX_DEPTH);
    int S = (int)get_int(&c, "seeds", 1, DYN_MF_MAX_SEEDS);
    long seed = get_int(&c, "seed", 0, 0x7fffffffL);
    png_opts png = get_png(&c);
    if (get(&c, "csv")) outs_check(get(&c, "csv"), "--csv");
    dyn_mf_sim_desc d = {.act = act, .width = N, .depth = L, .seeds = S, .seed = (uint64_t)seed, .sw2 = sw2,
                         .sb2 = sb2, .q0 = q0, .c0 = c0};
    budget_check(&c, "meanfield simulate", dyn_mf_simulate_work(&d));
    dyn_mf *mf = make_mf(act, get_order(&c));
    size_t k = (size_t)L + 1, ns = dyn_mf_sim_scratch_doubles(N);
    double *buf = xmalloc(sizeof(double) * (7 * k + ns), "the simulation");
    double *qt = buf, *ct = qt + k, *qm = ct + k, *qse = qm + k, *cm = qse + k, *cse = cm + k, *lay = cse + k, *scratch = lay + k;
    check(dyn_mf_trajectory(mf, sw2, sb2, q0, c0, L, qt, ct, NULL), "iterating the maps");
    check(dyn_mf_simulate(&d, scratch, ns, qm, qse, cm, cse, NULL), "simulating the networks");
    dyn_mf_point p;
    check(dyn_mf_solve(mf, sw2, sb2, &p), "solving the mean-field equations");
    outset *os = xmalloc(sizeof *os, "the output files");
    memset(os, 0, sizeof *os);
    if (get(&c, "csv")) {
        struct {
            FILE *f;
        } f = {outs_file(os, get(&c, "csv"))};
        char r0[32], r1[32], r2[32], r3[32];
        fprintf(f.f, "# dynlens %s meanfield simulate: act=%s sw2=%s sb2=%s width=%d depth=%d seeds=%d seed=%ld q0=%s c0=%s\n",
                VERSION, dyn_act_name(act), shortest(sw2, r0), shortest(sb2, r1), N, L, S, seed, shortest(q0, r2),
                shortest(c0, r3));
        fprintf(f.f, "layer,q_theory,q_sim,q_se,c_theory,c_sim,c_se\n");
        for (int l = 0; l <= L; l++)
            fprintf(f.f, "%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", l, qt[l], qm[l], qse[l], ct[l], cm[l], cse[l]);
    }
    if (png.path) {
        size_t font_len;
        uint8_t *font = load_font(&font_len);
        double *lo = xmalloc(sizeof(double) * 2 * k, "the band"), *hi = lo + k;
        for (size_t l = 0; l < k; l++) {
            lay[l] = (double)l;
            lo[l] = cm[l] - 2.0 * cse[l];
            hi[l] = cm[l] + 2.0 * cse[l];
        }
        double mx[2] = {p.depth_trainable, p.depth_trainable}, my[2] = {-DINF, DINF};
        char title[160], lab_sim[96];
        snprintf(title, sizeof title, "Correlation vs depth: %s, σ_w^2 = %g, σ_b^2 = %g", dyn_act_name(act), sw2, sb2);
        snprintf(lab_sim, sizeof lab_sim, "simulation, N = %d (mean ± 2 s.e., %d nets)", N, S);
        dyn_fig_series s[3] = {
            {.x = lay, .y = ct, .n = (int)k, .rgba = {31, 119, 180, 255}, .label = "mean-field theory"},
            {.x = lay, .y = cm, .y_lo = lo, .y_hi = hi, .n = (int)k, .rgba = {214, 39, 40, 255}, .marker = 1,
             .label = lab_sim},
            {.x = mx, .y = my, .n = 2, .rgba = {90, 90, 90, 255}, .width = 1.5, .dashed = 1,
             .label = "trainable depth 6 ξ_c"},
        };
        int nser = isfinite(p.depth_trainable) && p.depth_trainable <= L ? 3 : 2;
        dyn_fig_desc fd = {.width = png.width, .height = png.height, .font = font, .font_len = font_len,
                           .title = title, .xlabel = "layer l", .ylabel = "correlation c^l", .x0 = 0, .x1 = (double)L,
                           .y0 = DNAN, .y1 = DNAN, .cmap = DYN_CMAP_VIRIDIS};
        uint8_t *rgba = figure_draw(&fd, NULL, 0, 0, NULL, 0, s, nser);
        outs_png(os, png.path, rgba, fd.width, fd.height);
        free(rgba);
        free(lo);
        free(font);
    }
    outs_commit(os);
    free(os);
    if (get(&c, "json")) {
        printf("{\"act\": \"%s\", \"sw2\": ", dyn_act_name(act));
        jnum(stdout, sw2);
        printf(", \"sb2\": ");
        jnum(stdout, sb2);
        printf(", \"width\": %d, \"seeds\": %d, \"seed\": %ld, \"xi_c\": ", N, S, seed);
        jnum(stdout, p.xi_c);
        const char *names[] = {"q_theory", "q_sim", "q_se", "c_theory", "c_sim", "c_se"};
        double *arrs[] = {qt, qm, qse, ct, cm, cse};
        for (int i = 0; i < 6; i++) {
            printf(", \"%s\": ", names[i]);
            jarr(stdout, arrs[i], L + 1);
        }
        printf("}\n");
    } else {
        printf("# %s, sw2 = %g, sb2 = %g, width %d, %d networks (seed %ld); xi_c = %.4g, 6 xi_c = %.4g layers\n",
               dyn_act_name(act), sw2, sb2, N, S, seed, p.xi_c, p.depth_trainable);
        printf("%5s  %12s %12s %10s  %12s %12s %10s\n", "layer", "q_theory", "q_sim", "q_se", "c_theory", "c_sim", "c_se");
        for (int l = 0; l <= L; l++)
            printf("%5d  %12.6f %12.6f %10.2e  %12.6f %12.6f %10.2e\n", l, qt[l], qm[l], qse[l], ct[l], cm[l], cse[l]);
    }
    free(buf);
    free(mf);
    return 0;
}

int cli_meanfield(int argc, char **argv)
{
    static const cli_cmd cmds[] = {{"point", cmd_point}, {"critical", cmd_critical}, {"phase", cmd_phase},
                                   {"trajectory", cmd_trajectory}, {"simulate", cmd_simulate}};
    return run_family("meanfield", cmds, 5, CLI_MEANFIELD_HELP, argc, argv);
}
