/* fuzz_figure.c - libFuzzer harness for core/figure.c: texts with markup, axis and colour ranges, curves and grids. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figure.h"

/* The bytes are read as a recipe: image size, ranges, scale flags, four texts and up to three curves (plot) or
 * a grid with lines (heatmap). Numbers come from a table of the values that broke figures before (0, subnormals,
 * NaN, +-inf, huge, tiny ranges) or from raw bits, so float-to-int conversions see every kind of double. */

static uint8_t *font;
static size_t font_len;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *path = getenv("DYNLENS_FONT");
    if (!path || !*path) path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_figure: cannot read the font %s (set DYNLENS_FONT)\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    font_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    font = malloc(font_len);
    if (fread(font, 1, font_len, f) != font_len) exit(1);
    fclose(f);
    return 0;
}

typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd;

static unsigned u8(rd *r)
{
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}

static double num(rd *r)
{
    static const double special[] = {0.0, -0.0, 1.0, -1.0, 1e-310, 4.9e-324, -2.5e-320, 1e-300, 1e300, DBL_MAX,
                                     -DBL_MAX, 1e18, 3e9, -3e9, 0.5, 1e-9, 1.0 + 1e-15, 100.0, 1e5, 1e-5};
    unsigned k = u8(r);
    if (k < 20) return special[k];
    if (k == 20) return (double)NAN;
    if (k == 21) return (double)INFINITY;
    if (k == 22) return -(double)INFINITY;
    if (k < 160) return (double)(int)(k - 90) * 0.25;
    uint64_t b = 0;
    for (int i = 0; i < 8; i++) b |= (uint64_t)u8(r) << (8 * i);
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static const char *text(rd *r, char *buf, size_t cap)
{
    size_t n = u8(r) % (cap - 1);
    if (n > r->n) n = r->n;
    memcpy(buf, r->p, n);
    buf[n] = 0;
    r->p += n;
    r->n -= n;
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd r = {data, size};
    unsigned flags = u8(&r);
    char t[4][80];
    dyn_fig_desc d;
    memset(&d, 0, sizeof d);
    d.width = 160 + (int)(u8(&r) % 4) * 40; /* small images: the sanitizers make every glyph slow */
    d.height = 160 + (int)(u8(&r) % 4) * 30;
    d.font = font;
    d.font_len = font_len;
    d.title = text(&r, t[0], sizeof t[0]);
    d.xlabel = text(&r, t[1], sizeof t[1]);
    d.ylabel = text(&r, t[2], sizeof t[2]);
    d.clabel = text(&r, t[3], sizeof t[3]);
    if (flags & 2) d.x0 = num(&r), d.x1 = num(&r);
    if (flags & 4) d.y0 = num(&r), d.y1 = num(&r);
    if (flags & 8) d.vmin = num(&r), d.vmax = num(&r);
    d.cmap = (dyn_cmap)(u8(&r) % 4); /* 3 is out of range on purpose */
    d.log_scale = (flags >> 4) & 1;
    d.log_y = (flags >> 5) & 1;
    d.no_legend = (flags >> 6) & 1;
    enum { MAXN = 48 };
    double xs[3][MAXN], ys[3][MAXN], lo[3][MAXN], hi[3][MAXN];
    char lab[3][24];
    dyn_fig_series s[3];
    dyn_fig_line ln[3];
    int nser = 1 + (int)(u8(&r) % 3);
    for (int k = 0; k < nser; k++) {
        int n = (int)(u8(&r) % MAXN), band = u8(&r) & 1;
        for (int i = 0; i < n; i++) {
            xs[k][i] = num(&r), ys[k][i] = num(&r);
            if (band) lo[k][i] = num(&r), hi[k][i] = num(&r);
        }
        double w = (u8(&r) & 1) ? num(&r) : 0.0;
        s[k] = (dyn_fig_series){xs[k], ys[k], band ? lo[k] : NULL, band ? hi[k] : NULL, n, {0, 0, 0, 0}, fabs(w) <= 64 ? fabs(w) : 0.0, (int)(u8(&r) & 1), (int)(u8(&r) & 1), text(&r, lab[k], sizeof lab[k])};
        ln[k] = (dyn_fig_line){xs[k], ys[k], n, {255, 255, 255, 255}, s[k].width, s[k].dashed, s[k].label};
    }
    size_t pix = (size_t)4 * (size_t)d.width * (size_t)d.height;
    uint8_t *rgba = malloc(pix);
    dyn_fig_layout lay;
    if (flags & 1) {
        int nx = 1 + (int)(u8(&r) % 12), ny = 1 + (int)(u8(&r) % 12);
        float g[144];
        for (int i = 0; i < nx * ny; i++) g[i] = (float)num(&r);
        size_t sb = dyn_fig_scratch_bytes(&d, (size_t)nx * ny);
        void *sc = malloc(sb ? sb : 1);
        dyn_fig_heatmap(&d, g, nx, ny, ln, nser, rgba, pix, sc, sb, &lay);
        free(sc);
    } else {
        size_t sb = dyn_fig_scratch_bytes(&d, 0);
        void *sc = malloc(sb ? sb : 1);
        dyn_fig_plot(&d, s, nser, rgba, pix, sc, sb, &lay);
        free(sc);
    }
    free(rgba);
    return 0;
}
