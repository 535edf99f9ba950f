/* util.c - the CLI's shared plumbing: one-line errors, option parsing, JSON numbers, whole-or-nothing files, PNG. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "cli.h"
#include "colormap.h"
#include "data.h"
#include "figure.h"
#include "gz.h"
#include "landscape.h"
#include "meanfield.h"
#include "net.h"
#include "posterior.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* ------------------------------------------------------------------ errors: one line on stderr, exit 2 */

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("dynlens: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

void *xmalloc(size_t n, const char *what)
{
    void *p = n ? malloc(n) : NULL;
    if (!p) die("cannot allocate %zu bytes for %s", n, what);
    return p;
}

void check(dyn_status s, const char *what)
{
    if (s != DYN_OK) die("%s: %s", what, dyn_status_str(s));
}

/* ------------------------------------------------------------------ options: --name value or --name=value */



/* The name of entry i of a core table, or NULL past its end: the one list of each kind of name is the core's. */
static const char *table_name(const char *key, int i)
{
    static const struct {
        const char *key;
        int count;
    } T[] = {{"act", DYN_ACT_COUNT},         {"opt", DYN_OPT_COUNT},       {"loss", DYN_LOSS_COUNT},
             {"toy", DYN_TOY_COUNT},         {"dirnorm", DYN_DIRNORM_COUNT}, {"cmap", DYN_CMAP_COUNT},
             {"field", DYN_MF_FIELD_COUNT}, {"model", DYN_POST_KIND_COUNT}, {"sampler", DYN_POST_SAMPLER_COUNT}};
    for (size_t k = 0; k < sizeof T / sizeof T[0]; k++) {
        if (strcmp(key, T[k].key) != 0) continue;
        if (i < 0 || i >= T[k].count) return NULL;
        switch (k) {
        case 0: return dyn_act_name((dyn_act)i);
        case 1: return dyn_opt_name((dyn_opt)i);
        case 2: return dyn_loss_name((dyn_loss)i);
        case 3: return dyn_toy_name((dyn_toy)i);
        case 4: return dyn_dirnorm_name((dyn_dirnorm)i);
        case 5: return dyn_cmap_name((dyn_cmap)i);
        case 6: return dyn_mf_field_name((dyn_mf_field)i);
        case 7: return dyn_post_model_name((dyn_post_kind)i);
        default: return dyn_post_sampler_name((dyn_post_sampler_kind)i);
        }
    }
    return NULL;
}

const char *core_names(const char *key, char *buf, size_t cap)
{
    int n = 0;
    while (table_name(key, n)) n++;
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i == 0 ? "" : (i == n - 1 ? " or " : ", "), table_name(key, i));
        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

/* help text with every {key} of a core table replaced by its names ("tanh, relu, ... or swish") */
static void put_help(const char *s)
{
    while (*s) {
        const char *open = strchr(s, '{'), *close = open ? strchr(open, '}') : NULL;
        char key[32], list[512];
        if (!open || !close || (size_t)(close - open) >= sizeof key) {
            fputs(s, stdout);
            return;
        }
        snprintf(key, sizeof key, "%.*s", (int)(close - open - 1), open + 1);
        fwrite(s, 1, (size_t)(open - s), stdout);
        if (table_name(key, 0)) fputs(core_names(key, list, sizeof list), stdout);
        else fwrite(open, 1, (size_t)(close - open + 1), stdout); /* not a table: as written */
        s = close + 1;
    }
}

void print_help(const cmd *c)
{
    printf("usage: %s\n\n", c->usage);
    put_help(c->summary);
    printf("\n\noptions:\n");
    for (opt *o = c->opts; o->name; o++) {
        printf("  --%-12s ", o->name);
        put_help(o->help);
        printf("%s%s%s\n", o->value && !o->is_flag ? " (default " : "", o->value && !o->is_flag ? o->value : "",
               o->value && !o->is_flag ? ")" : "");
    }
    printf("  --%-12s %s\n", "help", "show this help");
}

void parse_opts(const cmd *c, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(c);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0) die("unexpected argument '%s' (see --help)", a);
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        opt *o = c->opts;
        while (o->name && !(strlen(o->name) == len && strncmp(o->name, a + 2, len) == 0)) o++;
        if (!o->name) die("unknown option '%.*s' (see --help)", (int)(len + 2), a);
        o->seen = 1;
        if (o->is_flag) {
            if (eq) die("option --%s takes no value", o->name);
            o->value = "1";
        } else if (eq) {
            o->value = eq + 1;
        } else {
            if (i + 1 >= argc) die("option --%s needs a value", o->name);
            o->value = argv[++i];
        }
    }
}

const char *get(const cmd *c, const char *name)
{
    for (opt *o = c->opts; o->name; o++)
        if (strcmp(o->name, name) == 0) return o->value;
    return NULL;
}

double num(const char *name, const char *s)
{
    double v;
    char err[160];
    if (!parse_num(s, &v, err, sizeof err)) die("--%s: %s", name, err);
    return v;
}

double get_num(const cmd *c, const char *name) { return num(name, get(c, name)); }

long get_int(const cmd *c, const char *name, long lo, long hi)
{
    long v;
    char err[160];
    if (!parse_int(get(c, name), lo, hi, &v, err, sizeof err)) die("--%s: %s", name, err);
    return v;
}

void get_range(const cmd *c, const char *name, double *lo, double *hi)
{
    char err[160];
    if (!parse_range(get(c, name), lo, hi, err, sizeof err)) die("--%s: %s", name, err);
}

void get_size(const cmd *c, const char *name, int *nx, int *ny, int maxside)
{
    char err[160];
    if (!parse_size(get(c, name), maxside, nx, ny, err, sizeof err)) die("--%s: %s", name, err);
}

dyn_act get_act(const cmd *c)
{
    dyn_act a;
    const char *s = get(c, "act");
    if (dyn_act_parse(s, &a) != DYN_OK) {
        char list[256];
        die("--act: unknown activation '%s'; choose %s", s, core_names("act", list, sizeof list));
    }
    return a;
}





/* ------------------------------------------------------------------ output */

/* The shortest text that reads back as the same double: 0.05, not 0.050000000000000003. b: 32 chars. */
const char *shortest(double v, char *b)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, 32, "%.*g", prec, v);
        if (strtod(b, NULL) == v) break;
    }
    return b;
}

/* JSON numbers: NaN -> null; +-inf -> +-1e999, which JSON's grammar allows and parsers read as infinity */
void jnum(FILE *f, double v)
{
    char b[32];
    if (isnan(v)) fputs("null", f);
    else if (isinf(v)) fputs(v > 0 ? "1e999" : "-1e999", f);
    else fputs(shortest(v, b), f);
}

void jarr(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        jnum(f, v[i]);
    }
    fputc(']', f);
}

/* JSON strings: paths and titles come from the user and may hold quotes, backslashes or control bytes */
void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', f), fputc(*p, f);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* NPY version 1.0: magic, header length, a Python dict padded to 64 bytes, then little-endian data whatever
 * the host. shape: ndim (1..3) extents. */
static void npy(outset *os, const char *path, const void *v, int f64, int ndim, const long *shape)
{
    struct {
        FILE *f;
    } o = {outs_file(os, path)};
    char hdr[192], dims[96] = "";
    size_t cnt = 1;
    for (int i = 0; i < ndim; i++) {
        size_t used = strlen(dims);
        snprintf(dims + used, sizeof dims - used, "%ld,%s", shape[i], i + 1 < ndim ? " " : "");
        cnt *= (size_t)shape[i];
    }
    if (ndim > 1) dims[strlen(dims) - 1] = 0; /* (a,) for one dimension, (a, b) for more */
    const char *descr = f64 ? "<f8" : "<f4";
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, dims);
    int total = 10 + n + 1, pad = (64 - total % 64) % 64;
    unsigned short hlen = (unsigned short)(n + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, o.f);
    fputc(hlen & 0xff, o.f);
    fputc(hlen >> 8, o.f);
    fwrite(hdr, 1, (size_t)n, o.f);
    for (int i = 0; i < pad; i++) fputc(' ', o.f);
    fputc('\n', o.f);
    size_t w = f64 ? 8 : 4;
    for (size_t i = 0; i < cnt; i++) {
        unsigned char b[8];
        uint64_t bits = 0;
        if (f64) memcpy(&bits, (const double *)v + i, 8);
        else {
            uint32_t b32;
            memcpy(&b32, (const float *)v + i, 4);
            bits = b32;
        }
        for (size_t k = 0; k < w; k++) b[k] = (unsigned char)(bits >> (8 * k));
        fwrite(b, 1, w, o.f);
    }
}

void outs_npy(outset *o, const char *path, const float *v, long ny, long nx)
{
    npy(o, path, v, 0, 2, (const long[]){ny, nx});
}
void outs_npy_f64(outset *o, const char *path, const double *v, long rows, long cols)
{
    if (rows < 0) npy(o, path, v, 1, 1, &cols);
    else npy(o, path, v, 1, 2, (const long[]){rows, cols});
}
void outs_npy_f64_3d(outset *o, const char *path, const double *v, long a, long b, long c)
{
    npy(o, path, v, 1, 3, (const long[]){a, b, c});
}

static outset *one_set(void)
{
    outset *o = xmalloc(sizeof *o, "an output set");
    memset(o, 0, sizeof *o);
    return o;
}

void write_npy(const char *path, const float *v, int ny, int nx)
{
    outset *o = one_set();
    outs_npy(o, path, v, ny, nx);
    outs_commit(o);
    free(o);
}

void write_npy_f64(const char *path, const double *v, long rows, long cols)
{
    outset *o = one_set();
    outs_npy_f64(o, path, v, rows, cols);
    outs_commit(o);
    free(o);
}

/* The whole file in memory (gzip, e.g. assets/digits/digits.csv.gz, is inflated); dies on failure. The cap
 * (DYN_DATA_MAX_BYTES, 256 MiB) applies to the file and to what it inflates to: sizes stay far from 2^31, and a
 * small file that inflates to gigabytes (a gzip bomb) is refused after at most 256 MiB of output, or at once
 * when its trailer already says more. */
char *read_file(const char *path, size_t *len)
{
    const size_t cap = (size_t)DYN_DATA_MAX_BYTES;
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot read %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) die("cannot read %s: it is a folder", path);
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > cap)
        die("%s: %.0f MiB, more than the %zu MiB a data file may have", path, (double)st.st_size / 1048576.0, cap >> 20);
    size_t bufcap = 1 << 16, n = 0, k;
    char *b = xmalloc(bufcap, "the file");
    while ((k = fread(b + n, 1, bufcap - n, f)) > 0) {
        n += k;
        if (n == bufcap) {
            if (bufcap > cap) die("%s: more than the %zu MiB a data file may have", path, cap >> 20);
            bufcap *= 2;
            char *nb = realloc(b, bufcap);
            if (!nb) die("cannot allocate memory for %s", path);
            b = nb;
        }
    }
    if (ferror(f)) die("cannot read %s: %s", path, strerror(errno));
    fclose(f);
    if (!dyn_gz_is_gzip(b, n)) {
        *len = n;
        return b;
    }
    /* the last member's ISIZE (the size mod 2^32): a trailer over the cap is refused before any work */
    size_t hint = cap;
    if (n >= 18) {
        const unsigned char *t = (const unsigned char *)b + n - 4;
        uint32_t isize = t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
        if (isize > cap)
            die("%s: the gzip data says it inflates to %lu bytes, more than the %zu MiB a data file may have", path,
                (unsigned long)isize, cap >> 20);
        hint = (size_t)isize;
    }
    /* first the size the trailer gives (right for a one-member file); if the data is larger (several members,
     * or a trailer that lies) once more with the cap, which bounds the work of a bomb */
    dyn_gz_info gi;
    char *u = xmalloc(hint ? hint : 1, "the inflated file");
    dyn_status s = dyn_gz_inflate(b, n, u, hint, &gi);
    if (s == DYN_ERR_SIZE && hint < cap) {
        free(u);
        u = xmalloc(cap, "the inflated file"); /* malloc does not touch the pages: only inflated bytes take memory */
        s = dyn_gz_inflate(b, n, u, cap, &gi);
    }
    free(b);
    if (s == DYN_ERR_SIZE) die("%s: the gzip data inflates to more than the %zu MiB a data file may have", path, cap >> 20);
    if (s != DYN_OK) die("%s: %s", path, gi.err[0] ? gi.err : dyn_status_str(s));
    char *shrunk = realloc(u, gi.out_len ? gi.out_len : 1);
    *len = gi.out_len;
    return shrunk ? shrunk : u;
}

dyn_csv_info read_csv_file(const char *path, int classify, const char *what, double **x, double **y)
{
    size_t len;
    char *text = read_file(path, &len);
    dyn_csv_info info;
    dyn_status s = dyn_data_csv_scan(text, len, classify, &info);
    for (int pass = 0; pass < 2; pass++) {
        if (s) die("%s%s%s: %s", what ? what : "", what ? ": " : "", path, info.err[0] ? info.err : dyn_status_str(s));
        if (pass) break;
        size_t nx = (size_t)info.rows * (size_t)info.cols;
        *x = nx ? xmalloc(sizeof(double) * nx, "the data") : NULL;
        *y = xmalloc(sizeof(double) * (size_t)info.rows, "the data");
        s = dyn_data_csv_parse(text, len, classify, &info, *x, nx, *y, (size_t)info.rows);
    }
    free(text);
    return info;
}

#ifndef DYN_ASSETS
#error "DYN_ASSETS (the assets folder) is set by CMakeLists.txt"
#endif

const char *digits_path(char *buf, size_t cap)
{
    const char *dir = getenv("DYNLENS_ASSETS");
    if (!dir || !*dir) dir = DYN_ASSETS;
    if (snprintf(buf, cap, "%s/digits/digits.csv.gz", dir) >= (int)cap) die("--data digits: $DYNLENS_ASSETS is too long");
    return buf;
}

static void png_sink(void *ctx, void *data, int size) { fwrite(data, 1, (size_t)size, (FILE *)ctx); }

void outs_png(outset *o, const char *path, const uint8_t *rgba, int w, int h)
{
    FILE *f = outs_file(o, path);
    if (!stbi_write_png_to_func(png_sink, f, w, h, 4, rgba, 4 * w)) die("cannot encode %s", path);
}

void write_png(const char *path, const uint8_t *rgba, int w, int h)
{
    outset *o = one_set();
    outs_png(o, path, rgba, w, h);
    outs_commit(o);
    free(o);
}

uint8_t *load_font(size_t *len)
{
    const char *path = getenv("DYNLENS_FONT");
    if (!path || !*path) path = DYN_DEFAULT_FONT;
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot read the font %s (%s): install Debian's fonts-dejavu-core or set DYNLENS_FONT to a .ttf",
            path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n <= 0) die("cannot read the font %s", path);
    uint8_t *buf = xmalloc((size_t)n, "the font");
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) die("cannot read the font %s", path);
    fclose(f);
    *len = (size_t)n;
    return buf;
}


png_opts get_png(const cmd *c)
{
    png_opts p = {get(c, "png"), 960, 720};
    if (p.path) outs_check(p.path, "--png");
    if (get(c, "png-size")) get_size(c, "png-size", &p.width, &p.height, DYN_FIG_MAX_SIDE);
    if (p.width < DYN_FIG_MIN_SIDE || p.height < DYN_FIG_MIN_SIDE)
        die("--png-size: each side must be at least %d px", DYN_FIG_MIN_SIDE);
    return p;
}

double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

uint8_t *figure_draw(const dyn_fig_desc *d, const float *grid, int nx, int ny, const dyn_fig_line *lines, int nl,
                     const dyn_fig_series *s, int ns)
{
    size_t sb = dyn_fig_scratch_bytes(d, grid ? (size_t)nx * ny : 0), pix = (size_t)4 * d->width * d->height;
    void *sc = xmalloc(sb, "figure scratch");
    uint8_t *rgba = xmalloc(pix, "the figure");
    if (grid) check(dyn_fig_heatmap(d, grid, nx, ny, lines, nl, rgba, pix, sc, sb, NULL), "drawing the figure");
    else check(dyn_fig_plot(d, s, ns, rgba, pix, sc, sb, NULL), "drawing the figure");
    free(sc);
    return rgba;
}

void figure_png(const char *path, const dyn_fig_desc *d, const float *grid, int nx, int ny, const dyn_fig_line *lines,
                int nl, const dyn_fig_series *s, int ns)
{
    uint8_t *rgba = figure_draw(d, grid, nx, ny, lines, nl, s, ns);
    write_png(path, rgba, d->width, d->height);
    free(rgba);
}

int run_family(const char *family, const cli_cmd *cmds, int ncmds, const char *help, int argc, char **argv)
{
    char names[256] = "";
    for (int i = 0; i < ncmds; i++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", i == 0 ? "" : (i == ncmds - 1 ? " or " : ", "), cmds[i].name);
    }
    if (argc < 1) die("missing %s command: %s (try --help)", family, names);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        fputs(help, stdout);
        return 0;
    }
    for (int i = 0; i < ncmds; i++)
        if (strcmp(argv[0], cmds[i].name) == 0) return cmds[i].run(argc - 1, argv + 1);
    die("unknown %s command '%s'; choose %s", family, argv[0], names);
    return 2;
}

/* ------------------------------------------------------------------ bounded work, progress */

void budget_check(const cmd *c, const char *what, dyn_work w)
{
    double max_s = get_num(c, "max-seconds"), max_gb = get_num(c, "max-gb");
    if (!(max_s > 0.0)) die("--max-seconds: %g must be positive", max_s);
    if (!(max_gb > 0.0)) die("--max-gb: %g must be positive", max_gb);
    double s = dyn_work_seconds(w), gb = w.bytes / 1e9;
    if (!(s <= max_s))
        die("%s: about %.3g operations, an estimated %.3g s at %.0e per second, more than --max-seconds %g; ask for "
            "less, or raise --max-seconds to %.0f to run it anyway", what, w.ops, s, DYN_WORK_RATE, max_s, ceil(s));
    if (!(gb <= max_gb))
        die("%s: an estimated %.3g GB of memory, more than --max-gb %g; ask for less, or raise --max-gb to %.0f to "
            "run it anyway", what, gb, max_gb, ceil(gb));
}

void progress_start(progress *p, const char *what, double total)
{
    p->what = what;
    p->total = total;
    p->t0 = p->last = now_ms();
}

void progress_step(progress *p, double done)
{
    double t = now_ms(), el = (t - p->t0) / 1000;
    if (el < 3 || t - p->last < 5000 || !(p->total > 0) || !(done > 0)) return;
    p->last = t;
    double f = done / p->total;
    fprintf(stderr, "dynlens: %s: %.0f %% after %.0f s, about %.0f s left\n", p->what, 100 * f, el, el * (1 - f) / f);
}
