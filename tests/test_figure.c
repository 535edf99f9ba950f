/* test_figure.c - tests of the colormaps and the figure renderer; writes figure_*.png for a person to look at. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "colormap.h"
#include "figure.h"
#include "status.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include <stb_image_write.h>
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb_image.h>
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* CIE L* (D65) of an sRGB colour */
static double lstar(const uint8_t *c)
{
    double lin[3];
    for (int k = 0; k < 3; k++) {
        double v = c[k] / 255.0;
        lin[k] = v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
    }
    double y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
    double fy = y > 216.0 / 24389.0 ? cbrt(y) : (24389.0 / 27.0 * y + 16.0) / 116.0;
    return 116.0 * fy - 16.0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double ref_quantile(const float *sorted, size_t m, double p)
{
    double pos = p * (double)(m - 1);
    size_t k = (size_t)pos;
    double f = pos - (double)k;
    if (k + 1 >= m) return (double)sorted[k];
    return (double)sorted[k] + ((double)sorted[k + 1] - (double)sorted[k]) * f;
}

static void test_colormap(void)
{
    uint8_t c[4];
    CHECK(dyn_cmap_color(DYN_CMAP_VIRIDIS, 0.0, c) == DYN_OK && c[0] == 68 && c[1] == 1 && c[2] == 84 && c[3] == 255,
          "viridis(0) = %d %d %d", c[0], c[1], c[2]);
    CHECK(dyn_cmap_color(DYN_CMAP_VIRIDIS, 1.0, c) == DYN_OK && c[0] == 253 && c[1] == 231 && c[2] == 37,
          "viridis(1) = %d %d %d", c[0], c[1], c[2]);
    CHECK(dyn_cmap_color(DYN_CMAP_VIRIDIS, 0.5, c) == DYN_OK && c[0] == 0x21 && c[1] == 0x91 && c[2] == 0x8c,
          "viridis(0.5) = %d %d %d", c[0], c[1], c[2]);
    CHECK(dyn_cmap_color(DYN_CMAP_VIRIDIS, -3.0, c) == DYN_OK && c[0] == 68, "clamped below");
    CHECK(dyn_cmap_color(DYN_CMAP_VIRIDIS, 7.0, c) == DYN_OK && c[0] == 253, "clamped above");
    CHECK(dyn_cmap_color(DYN_CMAP_RDBU, 0.0, c) == DYN_OK && c[2] > c[0], "rdbu low is blue: %d %d %d", c[0], c[1], c[2]);
    CHECK(dyn_cmap_color(DYN_CMAP_RDBU, 1.0, c) == DYN_OK && c[0] > c[2], "rdbu high is red: %d %d %d", c[0], c[1], c[2]);
    CHECK(dyn_cmap_color(DYN_CMAP_RDBU, 0.5, c) == DYN_OK && c[0] == 247 && c[1] == 247 && c[2] == 247,
          "rdbu centre = %d %d %d", c[0], c[1], c[2]);

    /* viridis: CIE L* increases along the map (256 samples; 8-bit rounding may wobble by a hair) */
    double prev = -1.0;
    int mono = 1;
    for (int i = 0; i <= 256; i++) {
        dyn_cmap_color(DYN_CMAP_VIRIDIS, i / 256.0, c);
        double l = lstar(c);
        if (l < prev - 0.25) mono = 0;
        prev = l;
    }
    CHECK(mono, "viridis L* is not increasing");
    double l0, l1;
    dyn_cmap_color(DYN_CMAP_VIRIDIS, 0.0, c);
    l0 = lstar(c);
    dyn_cmap_color(DYN_CMAP_VIRIDIS, 1.0, c);
    l1 = lstar(c);
    CHECK(l0 < 20.0 && l1 > 85.0, "viridis L* from %.1f to %.1f", l0, l1);
    prev = -1.0;
    for (int i = 0; i <= 64; i++) {
        dyn_cmap_color(DYN_CMAP_VIRIDIS, i / 64.0, c);
        double l = lstar(c);
        CHECK(l > prev, "viridis L* at %d/64: %.2f after %.2f", i, l, prev);
        prev = l;
    }

    /* diverging: lightness symmetric about the centre, lightest at the centre */
    double lc;
    dyn_cmap_color(DYN_CMAP_RDBU, 0.5, c);
    lc = lstar(c);
    for (int i = 0; i < 32; i++) {
        double t = i / 64.0;
        uint8_t a[4], b[4];
        dyn_cmap_color(DYN_CMAP_RDBU, t, a);
        dyn_cmap_color(DYN_CMAP_RDBU, 1.0 - t, b);
        double la = lstar(a), lb = lstar(b);
        CHECK(fabs(la - lb) < 8.0, "rdbu L*(%.3f) = %.1f vs L*(%.3f) = %.1f", t, la, 1 - t, lb);
        CHECK(la < lc && lb < lc, "rdbu centre not the lightest at t = %.3f", t);
        CHECK(a[2] >= a[0] && b[0] >= b[2], "rdbu hue sides at t = %.3f", t);
    }

    /* NaN -> grey */
    CHECK(dyn_cmap_color(DYN_CMAP_VIRIDIS, (double)NAN, c) == DYN_OK && c[0] == DYN_CMAP_NAN_R && c[1] == DYN_CMAP_NAN_G &&
              c[2] == DYN_CMAP_NAN_B, "NaN colour");
    float vals[5] = {NAN, -1.0f, 0.0f, 1.0f, 100.0f};
    uint8_t out[20];
    CHECK(dyn_cmap_apply(DYN_CMAP_VIRIDIS, vals, 5, 0.0, 1.0, 0, out) == DYN_OK, "apply");
    CHECK(out[0] == DYN_CMAP_NAN_R && out[3] == 255, "apply NaN grey");
    CHECK(out[4] == 68 && out[8] == 68 && out[12] == 253 && out[16] == 253, "apply clamps");
    CHECK(dyn_cmap_apply(DYN_CMAP_VIRIDIS, vals, 5, 0.1, 100.0, 1, out) == DYN_OK, "apply log");
    CHECK(out[4] == DYN_CMAP_NAN_R && out[8] == DYN_CMAP_NAN_R, "log: values <= 0 are grey");
    CHECK(out[16] == 253, "log: top");
    dyn_cmap_color(DYN_CMAP_VIRIDIS, 1.0 / 3.0, c);
    CHECK(out[12] == c[0] && out[13] == c[1] && out[14] == c[2], "log: 1 sits at 1/3 of 0.1..100");
    CHECK(dyn_cmap_apply(DYN_CMAP_VIRIDIS, vals, 5, 1.0, 1.0, 0, out) == DYN_ERR_RANGE, "vmin == vmax");
    CHECK(dyn_cmap_apply(DYN_CMAP_VIRIDIS, vals, 5, 0.0, 1.0, 1, out) == DYN_ERR_RANGE, "log with vmin 0");
    CHECK(dyn_cmap_apply(DYN_CMAP_VIRIDIS, vals, 5, (double)NAN, 1.0, 0, out) == DYN_ERR_NAN, "NaN vmin");
    CHECK(dyn_cmap_apply(DYN_CMAP_COUNT, vals, 5, 0.0, 1.0, 0, out) == DYN_ERR_RANGE, "bad cmap");
    CHECK(dyn_cmap_apply(DYN_CMAP_VIRIDIS, NULL, 5, 0.0, 1.0, 0, out) == DYN_ERR_NULL, "NULL values");
    CHECK(dyn_cmap_color(DYN_CMAP_VIRIDIS, 0.5, NULL) == DYN_ERR_NULL, "NULL rgba");

    /* names */
    dyn_cmap m = DYN_CMAP_COUNT;
    CHECK(dyn_cmap_parse("RdBu", &m) == DYN_OK && m == DYN_CMAP_RDBU, "parse RdBu");
    CHECK(dyn_cmap_parse("viridis", &m) == DYN_OK && m == DYN_CMAP_VIRIDIS, "parse viridis");
    CHECK(dyn_cmap_parse("grays", &m) == DYN_OK && m == DYN_CMAP_GREYS, "parse grays");
    CHECK(dyn_cmap_parse("jet", &m) == DYN_ERR_UNKNOWN_NAME, "parse jet");
    CHECK(dyn_cmap_parse(NULL, &m) == DYN_ERR_NULL, "parse NULL");
    for (int i = 0; i < DYN_CMAP_COUNT; i++)
        CHECK(dyn_cmap_parse(dyn_cmap_name((dyn_cmap)i), &m) == DYN_OK && m == (dyn_cmap)i, "name round trip %d", i);
    CHECK(strcmp(dyn_cmap_name(DYN_CMAP_COUNT), "unknown") == 0, "name of a bad enum");

    /* auto range: known array, a spike, NaNs */
    enum { N = 1000 };
    static float v[N + 3], scr[N + 3];
    for (int i = 0; i < N; i++) v[i] = (float)i;
    v[N - 1] = 1e6f;
    v[N] = NAN;
    v[N + 1] = INFINITY;
    v[N + 2] = NAN;
    double lo, hi;
    CHECK(dyn_cmap_auto_range(v, N + 3, 0, &lo, &hi, scr) == DYN_OK, "auto range");
    CHECK(fabs(lo - 9.99) < 1e-4 && fabs(hi - 989.01) < 1e-3, "auto range 1..99 %%: %.6g %.6g", lo, hi);
    float few[2] = {0.0f, 5.0f};
    CHECK(dyn_cmap_auto_range(few, 2, 1, &lo, &hi, scr) == DYN_OK && lo < 5.0 && hi > 5.0 && lo > 0.0,
          "log auto range of a single positive value: %g %g", lo, hi);
    float nans[3] = {NAN, NAN, NAN};
    CHECK(dyn_cmap_auto_range(nans, 3, 0, &lo, &hi, scr) == DYN_ERR_NAN && lo == 0.0 && hi == 1.0, "all NaN");
    CHECK(dyn_cmap_auto_range(v, 0, 0, &lo, &hi, scr) == DYN_ERR_SIZE, "n = 0");
    /* random arrays against sorting */
    uint32_t st = 12345u;
    for (int rep = 0; rep < 20; rep++) {
        size_t n = 1 + (size_t)(rep * 37 % 500);
        static float ref[600];
        for (size_t i = 0; i < n; i++) {
            st = st * 1664525u + 1013904223u;
            v[i] = (float)((st >> 8) % 50u); /* many ties */
            ref[i] = v[i];
        }
        qsort(ref, n, sizeof ref[0], cmp_float);
        dyn_cmap_auto_range(v, n, 0, &lo, &hi, scr);
        double rlo = ref_quantile(ref, n, 0.01), rhi = ref_quantile(ref, n, 0.99);
        if (rlo < rhi) CHECK(fabs(lo - rlo) < 1e-9 && fabs(hi - rhi) < 1e-9, "n=%zu: %g %g vs %g %g", n, lo, hi, rlo, rhi);
    }
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return b;
}

static long count_non_white(const uint8_t *p, int w, int h)
{
    long n = 0;
    for (long i = 0; i < (long)w * h; i++)
        if (p[4 * i] != 255 || p[4 * i + 1] != 255 || p[4 * i + 2] != 255) n++;
    return n;
}

/* Nothing may touch the outermost pixels: a cheap proxy for "no clipped labels". */
static int border_white(const uint8_t *p, int w, int h)
{
    for (int x = 0; x < w; x++)
        for (int y = 0; y < h; y += h - 1)
            if (p[4 * ((long)y * w + x)] != 255 || p[4 * ((long)y * w + x) + 2] != 255) return 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x += w - 1)
            if (p[4 * ((long)y * w + x)] != 255 || p[4 * ((long)y * w + x) + 2] != 255) return 0;
    return 1;
}

/* Writes the PNG for people to look at, then decodes it with stb_image: the file must hold exactly our pixels. */
static void save_png(const char *dir, const char *name, const uint8_t *p, int w, int h)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(stbi_write_png(path, w, h, 4, p, w * 4), "could not write %s", path);
    int rw = 0, rh = 0, rc = 0;
    uint8_t *back = stbi_load(path, &rw, &rh, &rc, 4);
    CHECK(back && rw == w && rh == h, "%s does not decode as a %dx%d PNG", path, w, h);
    if (back) CHECK(memcmp(back, p, (size_t)4 * w * h) == 0, "%s decodes to different pixels", path);
    stbi_image_free(back);
}

static int same_px(const uint8_t *a, const uint8_t *b) { return a[0] == b[0] && a[1] == b[1] && a[2] == b[2]; }

static void test_heatmap(const unsigned char *font, size_t font_len, const char *outdir, int w, int h,
                         const char *png, int rdbu)
{
    enum { NX = 120, NY = 80 };
    static float grid[NX * NY];
    double x0 = 0.5, x1 = 4.0, y0 = 0.0, y1 = 0.3;
    for (int j = 0; j < NY; j++) {
        double y = y1 - (y1 - y0) * j / (NY - 1); /* row 0 is the top */
        for (int i = 0; i < NX; i++) {
            double x = x0 + (x1 - x0) * i / (NX - 1);
            grid[j * NX + i] = (float)(rdbu ? sin(2.0 * x) * cos(12.0 * y) : 3.0 + sin(2.0 * x) + 10.0 * y * x);
        }
    }
    grid[NX * NY / 2 + 7] = NAN;
    grid[NX * 10 + 30] = 1e9f; /* one spike must not wash out the map */
    double lx[64], ly[64];
    for (int k = 0; k < 64; k++) {
        lx[k] = 0.8 + 3.0 * k / 63.0;
        ly[k] = 0.3 * (lx[k] - 0.8) / 3.0 * (lx[k] - 0.8) / 3.0 * 0.9 + 0.01;
    }
    lx[40] = (double)NAN; /* a gap */
    dyn_fig_line line;
    memset(&line, 0, sizeof line);
    line.x = lx;
    line.y = ly;
    line.n = 64;
    line.dashed = 1;
    line.label = "χ_1 = 1";
    dyn_fig_desc d;
    memset(&d, 0, sizeof d);
    d.width = w;
    d.height = h;
    d.font = font;
    d.font_len = font_len;
    d.title = rdbu ? "ln χ_1 for tanh (diverging)" : "ξ_c for tanh";
    d.xlabel = "σ_w^2";
    d.ylabel = "σ_b^2";
    d.clabel = rdbu ? "ln χ_1" : "ξ_c (layers)";
    d.x0 = x0;
    d.x1 = x1;
    d.y0 = y0;
    d.y1 = y1;
    d.vmin = (double)NAN;
    d.vmax = (double)NAN;
    d.cmap = rdbu ? DYN_CMAP_RDBU : DYN_CMAP_VIRIDIS;
    int W = w ? w : 960, H = h ? h : 720;
    size_t sb = dyn_fig_scratch_bytes(&d, NX * NY);
    CHECK(sb > 0, "scratch size");
    void *scratch = malloc(sb);
    uint8_t *img = malloc((size_t)W * H * 4);
    dyn_fig_layout lay;
    clock_t t0 = clock();
    int reps = (w == 0) ? 10 : 1;
    dyn_status s = DYN_OK;
    for (int r = 0; r < reps; r++)
        s = dyn_fig_heatmap(&d, grid, NX, NY, &line, 1, img, (size_t)W * H * 4, scratch, sb, &lay);
    double ms = 1000.0 * (double)(clock() - t0) / CLOCKS_PER_SEC / reps;
    if (w == 0) printf("heatmap %dx%d: %.1f ms per render\n", W, H, ms);
    CHECK(s == DYN_OK, "heatmap: %s", dyn_status_str(s));
    if (s == DYN_OK) {
        long nw = count_non_white(img, W, H);
        CHECK(nw > (long)lay.plot_w * lay.plot_h, "heatmap mostly blank: %ld non-white", nw);
        CHECK(border_white(img, W, H), "something touches the image border (%s)", png);
        /* corner pixels show the colormap colours of the corner cells */
        uint8_t cc[4][4];
        float corner[4] = {grid[0], grid[NX - 1], grid[(NY - 1) * NX], grid[NY * NX - 1]};
        dyn_cmap_apply(d.cmap, corner, 4, lay.vmin, lay.vmax, 0, &cc[0][0]);
        int X0 = lay.plot_x, Y0 = lay.plot_y, X1 = lay.plot_x + lay.plot_w - 1, Y1 = lay.plot_y + lay.plot_h - 1;
        CHECK(same_px(img + 4 * ((long)Y0 * W + X0), cc[0]), "top-left corner");
        CHECK(same_px(img + 4 * ((long)Y0 * W + X1), cc[1]), "top-right corner");
        CHECK(same_px(img + 4 * ((long)Y1 * W + X0), cc[2]), "bottom-left corner");
        CHECK(same_px(img + 4 * ((long)Y1 * W + X1), cc[3]), "bottom-right corner");
        CHECK(lay.vmax < 1e6 && lay.vmin < lay.vmax, "auto range ignores the spike: %g..%g", lay.vmin, lay.vmax);
        double dx = (x1 - x0) / (NX - 1);
        CHECK(fabs(lay.x_lo - (x0 - 0.5 * dx)) < 1e-12 && fabs(lay.x_hi - (x1 + 0.5 * dx)) < 1e-12, "x edges");
        CHECK(lay.plot_x > 40 && lay.plot_y > 20 && lay.plot_x + lay.plot_w < W - 60, "layout %d %d %d %d",
              lay.plot_x, lay.plot_y, lay.plot_w, lay.plot_h);
        save_png(outdir, png, img, W, H);
    }

    /* error paths */
    size_t len = (size_t)W * H * 4;
    {
        /* any alignment of the scratch memory works (the core aligns inside it) */
        unsigned char *raw = malloc(sb + 16);
        for (int off = 1; off < 16; off += 7) {
            memset(raw, 0xAB, sb + 16);
            s = dyn_fig_heatmap(&d, grid, NX, NY, &line, 1, img, len, raw + off, sb, NULL);
            CHECK(s == DYN_OK, "unaligned scratch (+%d): %s", off, dyn_status_str(s));
            int clean = 1;
            for (size_t k = (size_t)off + sb; k < sb + 16; k++) clean &= raw[k] == 0xAB;
            CHECK(clean, "scratch overrun at +%d", off);
        }
        free(raw);
    }
    CHECK(dyn_fig_heatmap(NULL, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_NULL, "NULL desc");
    CHECK(dyn_fig_heatmap(&d, NULL, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_NULL, "NULL grid");
    CHECK(dyn_fig_heatmap(&d, grid, NX, NY, NULL, 0, NULL, len, scratch, sb, NULL) == DYN_ERR_NULL, "NULL rgba");
    CHECK(dyn_fig_heatmap(&d, grid, NX, NY, NULL, 1, img, len, scratch, sb, NULL) == DYN_ERR_NULL, "NULL lines");
    CHECK(dyn_fig_heatmap(&d, grid, 0, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_SIZE, "nx = 0");
    CHECK(dyn_fig_heatmap(&d, grid, NX, -1, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_SIZE, "ny < 0");
    CHECK(dyn_fig_heatmap(&d, grid, NX, NY, NULL, 0, img, len - 1, scratch, sb, NULL) == DYN_ERR_BUFFER, "small rgba");
    CHECK(dyn_fig_heatmap(&d, grid, NX, NY, NULL, 0, img, len, scratch, sb - 1, NULL) == DYN_ERR_BUFFER, "small scratch");
    dyn_fig_desc bad = d;
    static const unsigned char junk[64] = "this is not a font at all, just some bytes that say so.";
    bad.font = junk;
    bad.font_len = sizeof junk;
    CHECK(dyn_fig_heatmap(&bad, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_FONT, "junk font");
    bad.font = font;
    bad.font_len = 4096; /* truncated: the table directory points past the end */
    CHECK(dyn_fig_heatmap(&bad, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_FONT, "truncated font");
    bad.font = NULL;
    CHECK(dyn_fig_heatmap(&bad, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_NULL, "NULL font");
    bad = d;
    bad.vmin = 2.0;
    bad.vmax = 1.0;
    CHECK(dyn_fig_heatmap(&bad, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_RANGE, "vmin > vmax");
    bad = d;
    bad.x0 = 3.0;
    bad.x1 = 1.0;
    CHECK(dyn_fig_heatmap(&bad, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_RANGE, "x0 > x1");
    bad = d;
    bad.y1 = (double)INFINITY;
    CHECK(dyn_fig_heatmap(&bad, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_NAN, "infinite y1");
    bad = d;
    bad.cmap = DYN_CMAP_COUNT;
    CHECK(dyn_fig_heatmap(&bad, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_RANGE, "bad cmap");
    bad = d;
    bad.log_scale = 1;
    bad.vmin = -1.0;
    bad.vmax = 5.0;
    CHECK(dyn_fig_heatmap(&bad, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_RANGE, "log, vmin < 0");
    bad = d;
    bad.width = 50;
    CHECK(dyn_fig_heatmap(&bad, grid, NX, NY, NULL, 0, img, len, scratch, sb, NULL) == DYN_ERR_SIZE, "width 50");
    dyn_fig_line badline = line;
    badline.width = -1.0;
    CHECK(dyn_fig_heatmap(&d, grid, NX, NY, &badline, 1, img, len, scratch, sb, NULL) == DYN_ERR_RANGE, "line width");
    badline = line;
    badline.n = -2;
    CHECK(dyn_fig_heatmap(&d, grid, NX, NY, &badline, 1, img, len, scratch, sb, NULL) == DYN_ERR_SIZE, "line n");
    free(scratch);
    free(img);
}

static void test_heatmap_small_cases(const unsigned char *font, size_t font_len, const char *outdir)
{
    /* a 1 x 1 grid, default ranges, log colour scale over several decades, zero desc except the font */
    dyn_fig_desc d;
    memset(&d, 0, sizeof d);
    d.font = font;
    d.font_len = font_len;
    float one = 3.0f;
    size_t sb = dyn_fig_scratch_bytes(&d, 1);
    void *scratch = malloc(sb);
    uint8_t *img = malloc(960 * 720 * 4);
    dyn_fig_layout lay;
    CHECK(dyn_fig_heatmap(&d, &one, 1, 1, NULL, 0, img, 960 * 720 * 4, scratch, sb, &lay) == DYN_OK, "1x1 grid");
    free(scratch);

    enum { NX = 64, NY = 48 };
    static float g[NX * NY];
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) g[j * NX + i] = (float)pow(10.0, -3.0 + 5.0 * i / (NX - 1.0) + 0.3 * sin(j * 0.2));
    g[5] = -1.0f; /* not drawable under a log scale: grey */
    d.log_scale = 1;
    d.title = "log colour scale: E[‖∂h^L/∂h^0‖^2]";
    d.xlabel = "depth L";
    d.ylabel = "q^*";
    d.clabel = "gradient norm^2";
    d.cmap = DYN_CMAP_VIRIDIS;
    d.vmin = (double)NAN;
    d.vmax = (double)NAN;
    sb = dyn_fig_scratch_bytes(&d, NX * NY);
    scratch = malloc(sb);
    dyn_status s = dyn_fig_heatmap(&d, g, NX, NY, NULL, 0, img, 960 * 720 * 4, scratch, sb, &lay);
    CHECK(s == DYN_OK, "log heatmap: %s", dyn_status_str(s));
    if (s == DYN_OK) {
        CHECK(border_white(img, 960, 720), "log heatmap touches the border");
        save_png(outdir, "figure_heatmap_log.png", img, 960, 720);
    }
    free(scratch);
    free(img);
}

static void test_plot(const unsigned char *font, size_t font_len, const char *outdir, int logy, const char *png)
{
    enum { L = 60 };
    static double x[L], y1[L], lo1[L], hi1[L], y2[L], lo2[L], hi2[L];
    for (int l = 0; l < L; l++) {
        x[l] = l;
        if (logy) {
            y1[l] = pow(1.08, l);
            y2[l] = pow(0.93, l);
            lo1[l] = y1[l] * 0.85;
            hi1[l] = y1[l] * 1.15;
            lo2[l] = y2[l] * 0.8;
            hi2[l] = y2[l] * 1.2;
        } else {
            y1[l] = 0.35 + 0.6 * exp(-l / 6.0);
            y2[l] = 0.05 + 0.9 * exp(-l / 15.0);
            double se1 = 0.02 + 0.01 * sin(l), se2 = 0.03;
            lo1[l] = y1[l] - 2 * se1;
            hi1[l] = y1[l] + 2 * se1;
            lo2[l] = y2[l] - 2 * se2;
            hi2[l] = y2[l] + 2 * se2;
        }
    }
    y2[30] = (double)NAN;
    double vx[2] = {6.0 * 6.0, 6.0 * 6.0}, vy[2] = {-(double)INFINITY, (double)INFINITY}; /* a full-height marker line */
    dyn_fig_series s[3];
    memset(s, 0, sizeof s);
    s[0].x = x;
    s[0].y = y1;
    s[0].y_lo = lo1;
    s[0].y_hi = hi1;
    s[0].n = L;
    s[0].label = logy ? "χ_1 = 1.08 (chaotic)" : "σ_w^2 = 1.5, ordered";
    s[1].x = x;
    s[1].y = y2;
    s[1].y_lo = lo2;
    s[1].y_hi = hi2;
    s[1].n = L;
    s[1].marker = 1;
    s[1].width = 1.5;
    s[1].label = logy ? "χ_1 = 0.93 (ordered)" : "σ_w^2 = 2.5, near critical";
    s[2].x = vx;
    s[2].y = vy;
    s[2].n = 2;
    s[2].dashed = 1;
    s[2].width = 1.5;
    s[2].rgba[0] = s[2].rgba[1] = s[2].rgba[2] = 90;
    s[2].rgba[3] = 255;
    s[2].label = "6 ξ_c";
    dyn_fig_desc d;
    memset(&d, 0, sizeof d);
    d.font = font;
    d.font_len = font_len;
    d.title = logy ? "Gradient norm versus depth" : "Correlation c^l versus depth (± 2 s.e.)";
    d.xlabel = "layer l";
    d.ylabel = logy ? "‖∂h^l/∂h^0‖^2" : "c^l";
    d.x0 = (double)NAN;
    d.x1 = (double)NAN;
    d.y0 = logy ? 0.0 : 0.0;
    d.y1 = logy ? 0.0 : 1.0;
    d.log_y = logy;
    size_t sb = dyn_fig_scratch_bytes(&d, 0);
    void *scratch = malloc(sb);
    uint8_t *img = malloc(960 * 720 * 4);
    dyn_fig_layout lay;
    dyn_status st = dyn_fig_plot(&d, s, 3, img, 960 * 720 * 4, scratch, sb, &lay);
    CHECK(st == DYN_OK, "plot: %s", dyn_status_str(st));
    if (st == DYN_OK) {
        long nw = count_non_white(img, 960, 720);
        CHECK(nw > 20000, "plot nearly blank: %ld", nw);
        CHECK(border_white(img, 960, 720), "plot touches the border");
        CHECK(lay.x_lo < 0.0 && lay.x_hi > 59.0, "auto x range %g..%g", lay.x_lo, lay.x_hi);
        if (!logy) CHECK(lay.y_lo == 0.0 && lay.y_hi == 1.0, "user y range %g..%g", lay.y_lo, lay.y_hi);
        save_png(outdir, png, img, 960, 720);
    }
    CHECK(dyn_fig_plot(&d, NULL, 3, img, 960 * 720 * 4, scratch, sb, NULL) == DYN_ERR_NULL, "plot NULL series");
    CHECK(dyn_fig_plot(&d, s, 0, img, 960 * 720 * 4, scratch, sb, NULL) == DYN_ERR_SIZE, "plot ns = 0");
    CHECK(dyn_fig_plot(&d, s, 3, img, 100, scratch, sb, NULL) == DYN_ERR_BUFFER, "plot small rgba");
    dyn_fig_series b = s[0];
    b.y_hi = NULL;
    CHECK(dyn_fig_plot(&d, &b, 1, img, 960 * 720 * 4, scratch, sb, NULL) == DYN_ERR_NULL, "band half given");
    dyn_fig_desc bd = d;
    bd.x0 = 5.0;
    bd.x1 = 5.0;
    CHECK(dyn_fig_plot(&bd, s, 3, img, 960 * 720 * 4, scratch, sb, NULL) == DYN_ERR_RANGE, "x0 == x1");
    free(scratch);
    free(img);
}

/* Odd markup, invalid UTF-8, absurd coordinates and an all-NaN grid must render (or fail cleanly), never crash. */
static void test_nasty(const unsigned char *font, size_t font_len)
{
    static const char *texts[] = {"x^", "_{unclosed", "a}b{c", "\\", "\xff\xfe\xc3", "a^{b^{c^{d^{e_{f}}}}}",
                                  "σ_w^2_b^3", "^_^_", "", "\xe2\x82"};
    enum { NT = sizeof texts / sizeof texts[0] };
    float grid[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    double hx[3] = {-1e300, 1e300, 0.5}, hy[3] = {1e300, -1e300, (double)NAN};
    dyn_fig_line ln;
    memset(&ln, 0, sizeof ln);
    ln.x = hx;
    ln.y = hy;
    ln.n = 3;
    ln.width = 64.0;
    ln.label = texts[5];
    dyn_fig_desc d;
    memset(&d, 0, sizeof d);
    d.font = font;
    d.font_len = font_len;
    d.width = 400;
    d.height = 300;
    size_t sb = dyn_fig_scratch_bytes(&d, 6);
    void *scratch = malloc(sb);
    uint8_t *img = malloc(400 * 300 * 4);
    for (int i = 0; i < NT; i++) {
        d.title = texts[i];
        d.xlabel = texts[(i + 1) % NT];
        d.ylabel = texts[(i + 2) % NT];
        d.clabel = texts[(i + 3) % NT];
        dyn_status st = dyn_fig_heatmap(&d, grid, 3, 2, &ln, 1, img, 400 * 300 * 4, scratch, sb, NULL);
        CHECK(st == DYN_OK, "nasty heatmap %d: %s", i, dyn_status_str(st));
        dyn_fig_series se;
        memset(&se, 0, sizeof se);
        se.x = hx;
        se.y = hy;
        se.n = 3;
        se.marker = 1;
        se.dashed = 1;
        se.label = texts[i];
        st = dyn_fig_plot(&d, &se, 1, img, 400 * 300 * 4, scratch, sb, NULL);
        CHECK(st == DYN_OK, "nasty plot %d: %s", i, dyn_status_str(st));
    }
    free(scratch);
    free(img);
}

/* Issue 11: subnormal training losses on a log axis made figure.c convert log10(0) to int (undefined behaviour,
 * an abort under the sanitizers: the sanitizer build of this test includes float-cast-overflow), and a log
 * range down to 0 made the tick loop run for 2^31 decades. Both must draw, with the axis kept positive. */
static void test_subnormal_log(const unsigned char *font, size_t font_len)
{
    double x[4] = {0, 1, 2, 3}, y[4] = {0.7, 1e-310, 4.9e-324, 2.5e-320};
    double big[4] = {1e-300, 1e300, 1.7e308, 1e-5};
    dyn_fig_series se;
    memset(&se, 0, sizeof se);
    se.x = x;
    se.y = y;
    se.n = 4;
    dyn_fig_desc d;
    memset(&d, 0, sizeof d);
    d.font = font;
    d.font_len = font_len;
    d.width = 320;
    d.height = 240;
    d.log_y = 1;
    size_t sb = dyn_fig_scratch_bytes(&d, 16);
    void *scratch = malloc(sb);
    uint8_t *img = malloc(320 * 240 * 4);
    dyn_fig_layout lay;
    dyn_status st = dyn_fig_plot(&d, &se, 1, img, 320 * 240 * 4, scratch, sb, &lay);
    CHECK(st == DYN_OK && lay.y_lo > 0.0 && lay.y_lo <= 4.9e-324 * 1.0001 && lay.y_hi >= 0.7,
          "subnormal losses on a log axis: %s, y %g..%g", dyn_status_str(st), lay.y_lo, lay.y_hi);
    se.y = big; /* 1e-300 .. 1.7e308: the padding must not overflow to inf */
    st = dyn_fig_plot(&d, &se, 1, img, 320 * 240 * 4, scratch, sb, &lay);
    CHECK(st == DYN_OK && isfinite(lay.y_hi), "a log axis up to 1.7e308: %s", dyn_status_str(st));
    float g[16];
    for (int i = 0; i < 16; i++) g[i] = i < 8 ? 1e-42f : 1.0f; /* float subnormals on a log colour bar */
    d.log_y = 0;
    d.log_scale = 1;
    st = dyn_fig_heatmap(&d, g, 4, 4, NULL, 0, img, 320 * 240 * 4, scratch, sb, &lay);
    CHECK(st == DYN_OK, "subnormal cells on a log colour scale: %s", dyn_status_str(st));
    free(scratch);
    free(img);
}

int main(int argc, char **argv)
{
    const char *font_path = argc > 1 ? argv[1] : "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    const char *outdir = argc > 2 ? argv[2] : ".";
    test_colormap();
    size_t font_len = 0;
    unsigned char *font = read_file(font_path, &font_len);
    CHECK(font != NULL, "cannot read font %s", font_path);
    if (font) {
        test_heatmap(font, font_len, outdir, 0, 0, "figure_heatmap.png", 0);
        test_heatmap(font, font_len, outdir, 960, 720, "figure_heatmap_rdbu.png", 1);
        test_heatmap(font, font_len, outdir, 480, 360, "figure_heatmap_small.png", 0);
        test_heatmap(font, font_len, outdir, 1920, 1440, "figure_heatmap_large.png", 0);
        test_heatmap_small_cases(font, font_len, outdir);
        test_plot(font, font_len, outdir, 0, "figure_plot.png");
        test_plot(font, font_len, outdir, 1, "figure_plot_log.png");
        test_nasty(font, font_len);
        test_subnormal_log(font, font_len);
        free(font);
    }
    return check_summary("test_figure");
}
