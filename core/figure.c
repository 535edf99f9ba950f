/* figure.c - heatmap and x-y plot figures: layout, nice ticks, antialiased lines and stb_truetype text in caller memory. */
#include "figure.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------------------
 * stb_truetype, compiled here once, privately (STBTT_STATIC), allocating from a bump arena in the caller's
 * scratch memory. The arena is reset before every glyph, so it only has to hold one glyph's outline and
 * edge lists. stb's rasteriser uses one allocation without a NULL check (the scanline buffer of glyphs wider
 * than 64 px); that request gets a dedicated buffer, so running out of arena can never crash.
 * ------------------------------------------------------------------------------------------------------- */
typedef struct arena {
    unsigned char *base;
    size_t cap, used;
    unsigned char *scan; /* dedicated buffer for the unchecked scanline allocation */
    size_t scan_cap;     /* its size */
    size_t scan_want;    /* the size stb will ask for, set before each glyph */
    int scan_given;
} arena;

static void *arena_alloc(void *user, size_t n)
{
    arena *a = (arena *)user;
    if (!a) return NULL;
    if (n == a->scan_want && !a->scan_given && n <= a->scan_cap) {
        a->scan_given = 1;
        return a->scan;
    }
    size_t need = (n + 15u) & ~(size_t)15u;
    if (need < n || need > a->cap - a->used) return NULL;
    void *p = a->base + a->used;
    a->used += need;
    return p;
}

static void arena_free(void *user, void *p)
{
    (void)user;
    (void)p; /* released all at once by the per-glyph reset */
}

#define STBTT_STATIC
#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_malloc(x, u) arena_alloc((u), (x))
#define STBTT_free(x, u) arena_free((u), (x))
#define STBTT_assert(x) ((void)sizeof(x)) /* never abort in core/ */

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wimplicit-int-float-conversion"
#pragma GCC diagnostic ignored "-Wcomma"
#endif
#include <stb_truetype.h>
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* ---------------------------------------------------------------------------------------------------------
 * Sizes, colours and scratch layout
 * ------------------------------------------------------------------------------------------------------- */
#define FS_TICK 14.0   /* px at 960 x 720 */
#define FS_LABEL 16.0
#define FS_TITLE 19.0
#define SCRIPT_SCALE 0.7
#define MAX_TICKS 64
#define LABEL_CHARS 48

static const uint8_t col_text[4] = {26, 26, 26, 255};
static const uint8_t col_frame[4] = {64, 64, 64, 255};
static const uint8_t col_legend_edge[4] = {200, 200, 200, 255};

/* matplotlib's tab10 colour cycle */
static const uint8_t tab10[10][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28}, {0x94, 0x67, 0xbd},
    {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f}, {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf},
};

typedef struct plan {
    int w, h;
    double s; /* size scale relative to 960 x 720 (>= 0.6 for fonts) */
    size_t off_font, off_arena, arena_cap, off_scan, scan_cap, off_glyph, gside, off_rot, rot_w, rot_h, off_cov,
        off_cells, total;
} plan;

/* Every double that becomes an int goes through these: a plain (int) cast of NaN, of +-inf (log10(0) for a zero
 * or subnormal-underflowed value) or of anything beyond INT_MAX (a huge data value mapped to pixels) is undefined
 * behaviour. Pixel work never needs more than +-2^28 (far outside any figure, and sums of two stay in range);
 * NaN becomes 0. */
#define PIX_LIMIT 268435456.0
static int to_int(double v) { return v > PIX_LIMIT ? (int)PIX_LIMIT : v < -PIX_LIMIT ? -(int)PIX_LIMIT : v == v ? (int)v : 0; }
static int ifloor(double v) { return to_int(floor(v)); }
static int iceil(double v) { return to_int(ceil(v)); }

static size_t align16(size_t x) { return (x + 15u) & ~(size_t)15u; }

static int make_plan(const dyn_fig_desc *d, size_t ncells, plan *p)
{
    int w = d->width ? d->width : 960;
    int h = d->height ? d->height : 720;
    if (w < DYN_FIG_MIN_SIDE || w > DYN_FIG_MAX_SIDE || h < DYN_FIG_MIN_SIDE || h > DYN_FIG_MAX_SIDE) return 0;
    if (ncells > (size_t)DYN_FIG_MAX_CELLS) return 0;
    p->w = w;
    p->h = h;
    double s = fmin((double)w / 960.0, (double)h / 720.0);
    p->s = s < 0.6 ? 0.6 : s;
    p->gside = (size_t)ceil(FS_TITLE * p->s * 2.5) + 8;
    p->scan_cap = (2 * p->gside + 8) * sizeof(float);
    p->arena_cap = 262144 + 2048 * p->gside;
    p->rot_h = (size_t)ceil(FS_LABEL * p->s * 2.5) + 8;
    p->rot_w = (size_t)(w > h ? w : h) + 16;
    size_t o = 0; /* offsets from the caller's pointer rounded up to 16 bytes */
    p->off_font = o;
    o = align16(o + sizeof(stbtt_fontinfo));
    p->off_arena = o;
    o = align16(o + p->arena_cap);
    p->off_scan = o;
    o = align16(o + p->scan_cap);
    p->off_glyph = o;
    o = align16(o + p->gside * p->gside);
    p->off_rot = o;
    o = align16(o + p->rot_w * p->rot_h);
    p->off_cov = o;
    o = align16(o + (size_t)w * (size_t)h);
    p->off_cells = o;
    o = align16(o + 4 * ncells);
    p->total = o + 15; /* room to align the caller's pointer */
    return 1;
}

size_t dyn_fig_scratch_bytes(const dyn_fig_desc *d, size_t ncells)
{
    plan p;
    if (!d || !make_plan(d, ncells, &p)) return 0;
    return p.total;
}

/* ---------------------------------------------------------------------------------------------------------
 * The figure context
 * ------------------------------------------------------------------------------------------------------- */
typedef struct rect {
    int x0, y0, x1, y1; /* half-open */
} rect;

typedef struct fig {
    uint8_t *img;
    int w, h;
    double s;
    stbtt_fontinfo *font;
    arena ar;
    uint8_t *glyph;
    int gside;
    uint8_t *rot;
    int rot_w, rot_h;
    uint8_t *cov; /* w * h coverage, kept all zero between uses */
    uint8_t *cells;
    double asc, desc; /* font ascent and descent (positive) in em */
    double fs_tick, fs_label, fs_title;
} fig;

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* stb_truetype trusts its input and does not know the length of the data: check the sfnt header and the table
 * directory against font_len before handing the bytes over. */
static int font_header_ok(const uint8_t *f, size_t len)
{
    if (len < 12) return 0;
    uint32_t tag = rd32(f);
    if (tag != 0x00010000u && tag != 0x74727565u /* true */ && tag != 0x4f54544fu /* OTTO */) return 0;
    size_t nt = (size_t)f[4] << 8 | f[5];
    if (nt == 0 || 12 + 16 * nt > len) return 0;
    for (size_t i = 0; i < nt; i++) {
        const uint8_t *e = f + 12 + 16 * i;
        uint64_t off = rd32(e + 8), n = rd32(e + 12);
        if (off + n > (uint64_t)len) return 0;
    }
    return 1;
}

static dyn_status fig_init(fig *f, const dyn_fig_desc *d, const plan *p, uint8_t *rgba, unsigned char *scr)
{
    memset(f, 0, sizeof *f);
    f->img = rgba;
    f->w = p->w;
    f->h = p->h;
    f->s = p->s;
    f->font = (stbtt_fontinfo *)(void *)(scr + p->off_font);
    f->ar.base = scr + p->off_arena;
    f->ar.cap = p->arena_cap;
    f->ar.scan = scr + p->off_scan;
    f->ar.scan_cap = p->scan_cap;
    f->glyph = scr + p->off_glyph;
    f->gside = (int)p->gside;
    f->rot = scr + p->off_rot;
    f->rot_w = (int)p->rot_w;
    f->rot_h = (int)p->rot_h;
    f->cov = scr + p->off_cov;
    f->cells = scr + p->off_cells;
    if (!font_header_ok(d->font, d->font_len)) return DYN_ERR_FONT;
    memset(f->font, 0, sizeof *f->font);
    if (!stbtt_InitFont(f->font, d->font, 0)) return DYN_ERR_FONT;
    f->font->userdata = &f->ar;
    if (f->font->numGlyphs <= 0) return DYN_ERR_FONT;
    int asc, desc, gap;
    stbtt_GetFontVMetrics(f->font, &asc, &desc, &gap);
    int upem = (int)ttUSHORT(f->font->data + f->font->head + 18);
    if (upem <= 0 || asc <= 0) return DYN_ERR_FONT;
    f->asc = (double)asc / upem;
    f->desc = (double)(desc < 0 ? -desc : desc) / upem;
    f->fs_tick = FS_TICK * f->s;
    f->fs_label = FS_LABEL * f->s;
    f->fs_title = FS_TITLE * f->s;
    memset(f->cov, 0, (size_t)f->w * (size_t)f->h);
    return DYN_OK;
}

/* ---------------------------------------------------------------------------------------------------------
 * Pixels
 * ------------------------------------------------------------------------------------------------------- */
static void blend(uint8_t *px, const uint8_t col[4], unsigned cov /* 0..255 */)
{
    unsigned a = (col[3] * cov + 127u) / 255u;
    if (a == 0) return;
    unsigned na = 255u - a;
    for (int k = 0; k < 3; k++) px[k] = (uint8_t)((col[k] * a + px[k] * na + 127u) / 255u);
    px[3] = 255;
}

static void fill_rect(fig *f, int x0, int y0, int x1, int y1, const uint8_t col[4])
{
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > f->w) x1 = f->w;
    if (y1 > f->h) y1 = f->h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) blend(f->img + 4 * ((size_t)y * (size_t)f->w + (size_t)x), col, 255);
}

static rect clip_to_image(const fig *f, rect r)
{
    if (r.x0 < 0) r.x0 = 0;
    if (r.y0 < 0) r.y0 = 0;
    if (r.x1 > f->w) r.x1 = f->w;
    if (r.y1 > f->h) r.y1 = f->h;
    return r;
}

/* Composites the coverage buffer inside r with colour col times alpha (0..1), and clears it there. */
static void cov_flush(fig *f, rect r, const uint8_t col[4], double alpha)
{
    r = clip_to_image(f, r);
    unsigned am = (unsigned)(alpha * 255.0 + 0.5);
    for (int y = r.y0; y < r.y1; y++) {
        uint8_t *c = f->cov + (size_t)y * (size_t)f->w;
        for (int x = r.x0; x < r.x1; x++) {
            if (!c[x]) continue;
            blend(f->img + 4 * ((size_t)y * (size_t)f->w + (size_t)x), col, (c[x] * am + 127u) / 255u);
            c[x] = 0;
        }
    }
}

static void cov_put(fig *f, int x, int y, double c)
{
    if (!(c > 0.0)) return; /* NaN too */
    unsigned v = c >= 1.0 ? 255u : (unsigned)(c * 255.0 + 0.5);
    uint8_t *p = f->cov + (size_t)y * (size_t)f->w + (size_t)x;
    if (v > *p) *p = (uint8_t)v;
}

/* A capsule (segment with round caps) of half-width hw from a to b, into the coverage buffer, inside clip. */
static void cov_capsule(fig *f, rect clip, double ax, double ay, double bx, double by, double hw)
{
    double r = hw + 1.0;
    int x0 = ifloor(fmin(ax, bx) - r), x1 = iceil(fmax(ax, bx) + r);
    int y0 = ifloor(fmin(ay, by) - r), y1 = iceil(fmax(ay, by) + r);
    if (x0 < clip.x0) x0 = clip.x0;
    if (y0 < clip.y0) y0 = clip.y0;
    if (x1 > clip.x1) x1 = clip.x1;
    if (y1 > clip.y1) y1 = clip.y1;
    double dx = bx - ax, dy = by - ay, ll = dx * dx + dy * dy;
    double thin = hw < 0.5 ? 2.0 * hw : 1.0; /* lines thinner than a pixel fade instead of shrinking */
    for (int y = y0; y < y1; y++) {
        double py = y + 0.5;
        for (int x = x0; x < x1; x++) {
            double px = x + 0.5, t = 0.0;
            if (ll > 0.0) {
                t = ((px - ax) * dx + (py - ay) * dy) / ll;
                t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
            }
            double ex = px - (ax + t * dx), ey = py - (ay + t * dy);
            double dist = sqrt(ex * ex + ey * ey);
            double c = hw + 0.5 - dist;
            if (c > 0.0) cov_put(f, x, y, (c > 1.0 ? 1.0 : c) * thin);
        }
    }
}

/* Liang-Barsky: clips the parameter range [*t0, *t1] of a + t (b - a) to the box; 0 if nothing is left. */
static int clip_segment(double ax, double ay, double bx, double by, double xmin, double ymin, double xmax,
                        double ymax, double *t0, double *t1)
{
    double p[4] = {-(bx - ax), bx - ax, -(by - ay), by - ay};
    double q[4] = {ax - xmin, xmax - ax, ay - ymin, ymax - ay};
    *t0 = 0.0;
    *t1 = 1.0;
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0) return 0;
        } else {
            double r = q[i] / p[i];
            if (p[i] < 0.0) {
                if (r > *t1) return 0;
                if (r > *t0) *t0 = r;
            } else {
                if (r < *t0) return 0;
                if (r < *t1) *t1 = r;
            }
        }
    }
    return 1;
}

/* One polyline segment, solid or dashed; *phase is the arc length already used in the dash period. */
static void cov_segment(fig *f, rect clip, double ax, double ay, double bx, double by, double hw, int dashed,
                        double *phase)
{
    double dx = bx - ax, dy = by - ay, len = sqrt(dx * dx + dy * dy);
    double m = hw + 2.0, t0, t1;
    double on = 8.0 * hw + 2.0, off = 5.0 * hw + 2.0, period = on + off;
    if (!isfinite(len)) return;
    int vis = clip_segment(ax, ay, bx, by, clip.x0 - m, clip.y0 - m, clip.x1 + m, clip.y1 + m, &t0, &t1);
    if (vis && !dashed) cov_capsule(f, clip, ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy, hw);
    if (vis && dashed && len > 0.0) {
        /* dash k covers arc [k period - phase, k period - phase + on]; round caps add hw at each end */
        double s0 = t0 * len, s1 = t1 * len;
        double k0 = floor((s0 + *phase) / period), k1 = floor((s1 + *phase) / period);
        for (double k = k0; k <= k1; k += 1.0) {
            double a = k * period - *phase + hw, b = k * period - *phase + on - hw;
            if (b < a) a = b = 0.5 * (a + b);
            if (a < s0) a = s0;
            if (b > s1) b = s1;
            if (b < a) continue;
            cov_capsule(f, clip, ax + dx * a / len, ay + dy * a / len, ax + dx * b / len, ay + dy * b / len, hw);
        }
    }
    if (dashed) *phase = fmod(*phase + len, period);
}

static void cov_disc(fig *f, rect clip, double cx, double cy, double r)
{
    if (cx < clip.x0 - r - 1 || cx > clip.x1 + r + 1 || cy < clip.y0 - r - 1 || cy > clip.y1 + r + 1) return;
    cov_capsule(f, clip, cx, cy, cx, cy, r);
}

/* ---------------------------------------------------------------------------------------------------------
 * Text: UTF-8, markup for sub- and superscripts, antialiased glyphs from stb_truetype
 * ------------------------------------------------------------------------------------------------------- */
static int utf8_next(const char **ps, const char *end)
{
    const unsigned char *s = (const unsigned char *)*ps;
    const unsigned char *e = (const unsigned char *)end;
    int c = s[0], n, cp;
    if (c < 0x80) { *ps += 1; return c; }
    if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
    else { *ps += 1; return 0xfffd; }
    for (int i = 1; i <= n; i++) {
        if (s + i >= e || (s[i] & 0xc0) != 0x80) { *ps += 1; return 0xfffd; }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *ps += n + 1;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0xfffd;
    return cp;
}

typedef struct pen {
    fig *f;
    double x;       /* pen position, px */
    double base;    /* baseline, px (measuring: 0) */
    int draw;       /* 0: measure only */
    const uint8_t *col;
    uint8_t *alpha; /* when drawing into an alpha buffer (rotated text) instead of the image */
    int aw, ah;
    double up, down; /* ink extents above and below the baseline, px */
    double left, right;
} pen;

static void pen_glyph(pen *p, int cp, double size, double shift, int *prev_g)
{
    fig *f = p->f;
    int g = stbtt_FindGlyphIndex(f->font, cp);
    float sc = stbtt_ScaleForMappingEmToPixels(f->font, (float)size);
    if (*prev_g) p->x += (double)sc * stbtt_GetGlyphKernAdvance(f->font, *prev_g, g);
    *prev_g = g;
    int adv, lsb, bx0, by0, bx1, by1;
    stbtt_GetGlyphHMetrics(f->font, g, &adv, &lsb);
    if (stbtt_GetGlyphBox(f->font, g, &bx0, &by0, &bx1, &by1) && bx1 > bx0) {
        double up = (double)sc * by1 - shift, down = shift - (double)sc * by0;
        if (up > p->up) p->up = up;
        if (down > p->down) p->down = down;
        double l = p->x + (double)sc * bx0, r = p->x + (double)sc * bx1;
        if (l < p->left) p->left = l;
        if (r > p->right) p->right = r;
        if (p->draw) {
            double fx = floor(p->x);
            float sx = (float)(p->x - fx);
            int ix0, iy0, ix1, iy1;
            stbtt_GetGlyphBitmapBoxSubpixel(f->font, g, sc, sc, sx, 0.0f, &ix0, &iy0, &ix1, &iy1);
            int gw = ix1 - ix0, gh = iy1 - iy0;
            if (gw > 0 && gh > 0 && gw <= f->gside && gh <= f->gside) {
                f->ar.used = 0;
                f->ar.scan_given = 0;
                f->ar.scan_want = (size_t)(gw * 2 + 1) * sizeof(float);
                memset(f->glyph, 0, (size_t)gw * (size_t)gh);
                stbtt_MakeGlyphBitmapSubpixel(f->font, f->glyph, gw, gh, gw, sc, sc, sx, 0.0f, g);
                int ox = to_int(fx) + ix0, oy = ifloor(p->base + shift + 0.5) + iy0;
                for (int y = 0; y < gh; y++) {
                    int yy = oy + y;
                    if (yy < 0 || yy >= (p->alpha ? p->ah : f->h)) continue;
                    for (int x = 0; x < gw; x++) {
                        int xx = ox + x;
                        unsigned c = f->glyph[y * gw + x];
                        if (!c || xx < 0 || xx >= (p->alpha ? p->aw : f->w)) continue;
                        if (p->alpha) {
                            uint8_t *a = p->alpha + (size_t)yy * (size_t)p->aw + (size_t)xx;
                            if (c > *a) *a = (uint8_t)c;
                        } else {
                            blend(f->img + 4 * ((size_t)yy * (size_t)f->w + (size_t)xx), p->col, c);
                        }
                    }
                }
            }
        }
    }
    p->x += (double)sc * adv;
}

/* Finds the end of a script group starting at s ("{...}" with nesting, or one possibly escaped character). */
static const char *group_end(const char *s, const char *end, const char **gs, const char **ge)
{
    if (*s == '{') {
        int depth = 1;
        const char *q = s + 1;
        while (q < end && *q) {
            if (*q == '\\' && q + 1 < end && q[1]) { q += 2; continue; }
            if (*q == '{') depth++;
            if (*q == '}' && --depth == 0) break;
            q++;
        }
        *gs = s + 1;
        *ge = q;
        return (q < end && *q == '}') ? q + 1 : q;
    }
    const char *q = s;
    if (*q == '\\' && q + 1 < end && q[1]) q++;
    utf8_next(&q, end);
    *gs = s;
    *ge = q;
    return q;
}

static void pen_run(pen *p, const char *s, const char *end, double size, double shift, int depth)
{
    int prev_g = 0, last_kind = 0;
    double last_start = 0.0, last_end = 0.0;
    while (s < end && *s) {
        char ch = *s;
        if ((ch == '_' || ch == '^') && s + 1 < end && s[1]) {
            int kind = ch == '_' ? 1 : 2;
            const char *gs, *ge;
            s = group_end(s + 1, end, &gs, &ge);
            double sz = depth < 3 ? size * SCRIPT_SCALE : size;
            double sh = kind == 1 ? shift + 0.22 * size : shift - 0.40 * size;
            int stacked = last_kind && last_kind != kind && p->x == last_end;
            if (stacked) p->x = last_start;
            double start = p->x;
            pen_run(p, gs, ge, sz, sh, depth + 1);
            if (stacked) {
                if (p->x < last_end) p->x = last_end;
                last_kind = 0;
            } else {
                last_kind = kind;
                last_start = start;
                last_end = p->x;
            }
            prev_g = 0;
            continue;
        }
        if (ch == '{' || ch == '}') { /* bare braces group nothing */
            s++;
            continue;
        }
        if (ch == '\\' && s + 1 < end && s[1]) s++;
        int cp = utf8_next(&s, end);
        if (cp == '-') cp = 0x2212; /* a true minus sign, as in print */
        pen_glyph(p, cp, size, shift, &prev_g);
        last_kind = 0;
    }
}

typedef struct extent {
    double w, up, down; /* advance width, ink above and below the baseline (px) */
} extent;

static extent text_measure(fig *f, const char *s, double size)
{
    pen p;
    memset(&p, 0, sizeof p);
    p.f = f;
    p.left = 1e9;
    p.right = -1e9;
    if (s) pen_run(&p, s, s + strlen(s), size, 0.0, 0);
    extent e = {p.x, p.up, p.down};
    return e;
}

static void text_draw(fig *f, const char *s, double size, double x, double base, const uint8_t col[4])
{
    pen p;
    memset(&p, 0, sizeof p);
    p.f = f;
    p.x = x;
    p.base = base;
    p.draw = 1;
    p.col = col;
    p.left = 1e9;
    p.right = -1e9;
    pen_run(&p, s, s + strlen(s), size, 0.0, 0);
}

/* Text rotated by 90 degrees counter-clockwise (reading upwards): its top faces left. (x_left, y_mid) is the
 * left edge of the ink (the text's top) and the vertical centre of the text. */
static void text_draw_up(fig *f, const char *s, double size, int x_left, double y_mid, const uint8_t col[4])
{
    extent e = text_measure(f, s, size);
    int tw = iceil(e.w) + 2, th = iceil(e.up + e.down) + 3;
    if (tw > f->rot_w) tw = f->rot_w;
    if (th > f->rot_h) th = f->rot_h;
    memset(f->rot, 0, (size_t)tw * (size_t)th);
    pen p;
    memset(&p, 0, sizeof p);
    p.f = f;
    p.x = 1.0;
    p.base = floor(e.up) + 1.0;
    p.draw = 1;
    p.alpha = f->rot;
    p.aw = tw;
    p.ah = th;
    p.left = 1e9;
    p.right = -1e9;
    pen_run(&p, s, s + strlen(s), size, 0.0, 0);
    int y_top = ifloor(y_mid - 0.5 * tw + 0.5);
    if (y_top + tw > f->h) y_top = f->h - tw;
    if (y_top < 0) y_top = 0;
    for (int ty = 0; ty < th; ty++) {
        int xx = x_left + ty;
        if (xx < 0 || xx >= f->w) continue;
        for (int tx = 0; tx < tw; tx++) {
            unsigned c = f->rot[(size_t)ty * (size_t)tw + (size_t)tx];
            int yy = y_top + tw - 1 - tx;
            if (!c || yy < 0 || yy >= f->h) continue;
            blend(f->img + 4 * ((size_t)yy * (size_t)f->w + (size_t)xx), col, c);
        }
    }
}

static int has_text(const char *s) { return s && *s; }

/* A font size at which s fits into max_w px (never below 60 % of size). */
static double fit_size(fig *f, const char *s, double size, double max_w)
{
    for (int i = 0; i < 8; i++) {
        if (text_measure(f, s, size).w <= max_w) break;
        size *= 0.94;
    }
    return size;
}

/* ---------------------------------------------------------------------------------------------------------
 * Numbers and ticks
 * ------------------------------------------------------------------------------------------------------- */
typedef struct ticks {
    int n;
    double v[MAX_TICKS];
    char lab[MAX_TICKS][LABEL_CHARS]; /* "" for minor ticks */
} ticks;

static void str_cat(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(dst);
    while (*src && n + 1 < cap) dst[n++] = *src++;
    dst[n] = 0;
}

static void fmt_int(char *buf, size_t cap, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v && n < 23);
    size_t k = strlen(buf);
    while (n > 0 && k + 1 < cap) buf[k++] = tmp[--n];
    buf[k] = 0;
}

/* v with dec decimals (0..9), "-" for negatives (drawn as a minus sign); no "-0". */
static void fmt_fixed(char *buf, size_t cap, double v, int dec)
{
    unsigned long long p = 1;
    for (int i = 0; i < dec; i++) p *= 10u;
    double q = floor(fabs(v) * (double)p + 0.5);
    buf[0] = 0;
    if (!(q < 9e18)) {
        str_cat(buf, cap, "?");
        return;
    }
    unsigned long long iq = (unsigned long long)q;
    if (v < 0.0 && iq > 0) str_cat(buf, cap, "-");
    fmt_int(buf, cap, iq / p);
    if (dec > 0) {
        str_cat(buf, cap, ".");
        unsigned long long fr = iq % p;
        for (unsigned long long d = p / 10u; d > 0; d /= 10u) {
            char c[2] = {(char)('0' + (int)((fr / d) % 10u)), 0};
            str_cat(buf, cap, c);
        }
    }
}

/* log10(0) is -inf: a zero step or magnitude (all values zero or underflowed) gets exponent 0 */
static int ifloor_log10(double x) { return x > 0.0 && isfinite(x) ? ifloor(log10(x) + 1e-9) : 0; }

/* Tick label of v for ticks spaced step apart; mag is the largest |value| on the axis. Very large or very
 * small numbers are written m×10^e with one exponent for the whole axis. */
static void fmt_tick(char *buf, size_t cap, double v, double step, double mag)
{
    int es = ifloor_log10(step);
    if (mag >= 1e5 || es < -4) {
        int e = ifloor_log10(mag);
        if (v == 0.0) {
            fmt_fixed(buf, cap, 0.0, 0);
            return;
        }
        int dec = e - es;
        if (dec < 0) dec = 0;
        if (dec > 9) dec = 9;
        fmt_fixed(buf, cap, v / pow(10.0, e), dec);
        str_cat(buf, cap, "\xc3\x97" "10^{");
        char eb[16] = {0};
        fmt_fixed(eb, sizeof eb, (double)e, 0);
        str_cat(buf, cap, eb);
        str_cat(buf, cap, "}");
        return;
    }
    int dec = es < 0 ? -es : 0;
    fmt_fixed(buf, cap, v, dec > 9 ? 9 : dec);
}

static double nice_step(double raw)
{
    double m = pow(10.0, floor(log10(raw)));
    static const double mult[4] = {1.0, 2.0, 5.0, 10.0};
    for (int i = 0; i < 4; i++)
        if (mult[i] * m >= raw * (1.0 - 1e-9)) return mult[i] * m;
    return 10.0 * m;
}

static double linear_ticks(ticks *t, double lo, double hi, int maxn)
{
    double step = nice_step((hi - lo) / (maxn > 1 ? maxn : 1));
    double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    double mag = fmax(fabs(lo), fabs(hi));
    t->n = 0;
    for (double k = k0; k <= k1 && t->n < MAX_TICKS; k += 1.0) {
        double v = k * step;
        if (fabs(v) < 1e-9 * step) v = 0.0;
        t->v[t->n] = v;
        fmt_tick(t->lab[t->n], LABEL_CHARS, v, step, mag);
        t->n++;
    }
    return step;
}

/* Logarithmic ticks: powers of ten (labelled 10^e) with unlabelled minor ticks; labelled 1-2-5 values if the
 * range holds fewer than two powers, or up to three decades and room for them (maxn); plain linear ticks if even
 * those are too few. */
static void log_ticks(ticks *t, double lo, double hi, int maxn)
{
    t->n = 0;
    if (!(lo > 0.0) || !(hi > lo) || !isfinite(hi)) return; /* no log ticks; callers keep log ranges positive */
    /* at most 632 decades (4.9e-324 .. 1.8e308), so the loops below are short */
    int e0 = iceil(log10(lo) - 1e-9), e1 = ifloor(log10(hi) + 1e-9), decades = e1 - e0 + 1;
    if (decades >= 2 && !(decades <= 3 && maxn >= 3 * (decades + 1))) {
        int nd = e1 - e0 + 1;
        int stride = (nd + maxn - 1) / (maxn > 0 ? maxn : 1);
        if (stride < 1) stride = 1;
        for (int e = e0 - 1; e <= e1 && t->n < MAX_TICKS; e++) {
            double p = pow(10.0, e);
            if (e >= e0 && ((e % stride) + stride) % stride == 0) {
                t->v[t->n] = p;
                t->lab[t->n][0] = 0;
                char eb[16] = {0};
                fmt_fixed(eb, sizeof eb, (double)e, 0);
                str_cat(t->lab[t->n], LABEL_CHARS, "10^{");
                str_cat(t->lab[t->n], LABEL_CHARS, eb);
                str_cat(t->lab[t->n], LABEL_CHARS, "}");
                t->n++;
            }
            if (stride == 1 && nd <= 6) {
                for (int m = 2; m <= 9 && t->n < MAX_TICKS; m++) {
                    double v = m * p;
                    if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
                    t->v[t->n] = v;
                    t->lab[t->n][0] = 0;
                    t->n++;
                }
            }
        }
        return;
    }
    static const double m125[3] = {1.0, 2.0, 5.0};
    for (int e = e0 - 1; e <= e1 && t->n < MAX_TICKS; e++) {
        for (int i = 0; i < 3; i++) {
            double v = m125[i] * pow(10.0, e);
            if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
            t->v[t->n] = v;
            fmt_tick(t->lab[t->n], LABEL_CHARS, v, pow(10.0, e), hi);
            t->n++;
        }
    }
    if (t->n >= 2) return;
    linear_ticks(t, lo, hi, maxn);
    int k = 0;
    for (int i = 0; i < t->n; i++) {
        if (t->v[i] > 0.0) {
            if (k != i) {
                t->v[k] = t->v[i];
                memcpy(t->lab[k], t->lab[i], LABEL_CHARS);
            }
            k++;
        }
    }
    t->n = k;
}

/* ---------------------------------------------------------------------------------------------------------
 * Axes: mapping, layout and decoration
 * ------------------------------------------------------------------------------------------------------- */
typedef struct axis {
    double lo, hi;
    int log;
    double p0, p1; /* pixel coordinate of lo and hi */
} axis;

static double ax_px(const axis *a, double v)
{
    double t;
    if (a->log) t = (log(v) - log(a->lo)) / (log(a->hi) - log(a->lo));
    else t = (v - a->lo) / (a->hi - a->lo);
    return a->p0 + t * (a->p1 - a->p0);
}

/* As ax_px for curves: +-infinity maps just beyond the plot edge (so a 2-point series with y = -inf, +inf is
 * a full-height vertical line); NaN and, on a log axis, values <= 0 give NaN (a break in the curve). */
static double ax_px_ext(const axis *a, double v)
{
    double dir = a->p1 > a->p0 ? 1.0 : -1.0;
    if (isnan(v)) return v;
    if (v == (double)INFINITY) return a->p1 + dir * 16.0;
    if (v == -(double)INFINITY) return a->p0 - dir * 16.0;
    if (a->log && !(v > 0.0)) return (double)NAN;
    return ax_px(a, v);
}

typedef struct axes {
    int L, T, R, B; /* plot rectangle [L, R) x [T, B) */
    axis xa, ya;
    ticks xt, yt;
    int has_cb, cbL, cbR;
    axis ca;
    ticks ct;
    const char *title, *xlabel, *ylabel, *clabel;
    double fs_title;
    int pad, tick_len, gap, lw; /* lw: frame and tick thickness */
} axes;

static void choose_ticks(fig *f, ticks *t, const axis *a, int horizontal, double length)
{
    double spacing = (horizontal ? 80.0 : 50.0) * f->s;
    int maxn = to_int(length / spacing);
    if (maxn > 10) maxn = 10;
    if (maxn < 2) maxn = 2;
    for (; maxn >= 1; maxn--) {
        double step;
        if (a->log) {
            log_ticks(t, a->lo, a->hi, maxn);
            step = 0.0;
        } else {
            step = linear_ticks(t, a->lo, a->hi, maxn);
        }
        /* do labelled neighbours leave room between their labels? */
        int ok = 1;
        double prev = 0.0, prev_half = 0.0;
        int have_prev = 0;
        for (int i = 0; i < t->n && ok; i++) {
            if (!t->lab[i][0]) continue;
            extent e = text_measure(f, t->lab[i], f->fs_tick);
            double pos = fabs(ax_px(a, t->v[i]) - a->p0);
            double half = horizontal ? 0.5 * e.w : 0.5 * (e.up + e.down);
            if (have_prev && pos - prev < prev_half + half + (horizontal ? 14.0 : 8.0) * f->s) ok = 0;
            prev = pos;
            prev_half = half;
            have_prev = 1;
        }
        (void)step;
        if (ok) return;
    }
}

static double ticks_max_w(fig *f, const ticks *t)
{
    double m = 0.0;
    for (int i = 0; i < t->n; i++)
        if (t->lab[i][0]) m = fmax(m, text_measure(f, t->lab[i], f->fs_tick).w);
    return m;
}

static void ticks_max_ud(fig *f, const ticks *t, double *up, double *down)
{
    *up = 0.0;
    *down = 0.0;
    for (int i = 0; i < t->n; i++) {
        if (!t->lab[i][0]) continue;
        extent e = text_measure(f, t->lab[i], f->fs_tick);
        *up = fmax(*up, e.up);
        *down = fmax(*down, e.down);
    }
}

/* Chooses the plot rectangle so that every label fits in the image; ticks and margins depend on each other,
 * so iterate a few times. Returns 0 if the image is too small for its labels. */
static int layout_axes(fig *f, axes *A)
{
    double s = f->s;
    A->pad = ifloor(12.0 * s + 0.5);
    A->tick_len = ifloor(5.0 * s + 0.5);
    A->gap = ifloor(4.0 * s + 0.5);
    A->lw = s < 1.5 ? 1 : ifloor(s + 0.5);
    int label_gap = ifloor(8.0 * s + 0.5);
    int cb_gap = ifloor(20.0 * s + 0.5), cb_w = ifloor(20.0 * s + 0.5);
    extent et = {0, 0, 0}, ex = {0, 0, 0}, ey = {0, 0, 0}, ec = {0, 0, 0};
    A->fs_title = f->fs_title;
    if (has_text(A->title)) {
        A->fs_title = fit_size(f, A->title, f->fs_title, f->w - 2.0 * A->pad);
        et = text_measure(f, A->title, A->fs_title);
    }
    if (has_text(A->xlabel)) ex = text_measure(f, A->xlabel, f->fs_label);
    if (has_text(A->ylabel)) ey = text_measure(f, A->ylabel, f->fs_label);
    if (has_text(A->clabel)) ec = text_measure(f, A->clabel, f->fs_label);
    double digit_h = f->fs_tick * 0.73; /* cap height of DejaVu-like fonts, refined below */
    {
        int x0, y0, x1, y1;
        if (stbtt_GetCodepointBox(f->font, '0', &x0, &y0, &x1, &y1))
            digit_h = (double)stbtt_ScaleForMappingEmToPixels(f->font, (float)f->fs_tick) * y1;
    }
    A->L = A->pad + 60;
    A->R = f->w - A->pad - (A->has_cb ? 120 : 20);
    A->T = A->pad + 40;
    A->B = f->h - A->pad - 60;
    for (int it = 0; it < 3; it++) {
        A->xa.p0 = A->L;
        A->xa.p1 = A->R;
        A->ya.p0 = A->B;
        A->ya.p1 = A->T;
        if (A->R - A->L < 16 || A->B - A->T < 16) return 0;
        choose_ticks(f, &A->xt, &A->xa, 1, A->R - A->L);
        choose_ticks(f, &A->yt, &A->ya, 0, A->B - A->T);
        double xu, xd;
        ticks_max_ud(f, &A->xt, &xu, &xd);
        double yw = ticks_max_w(f, &A->yt);
        double half_y = digit_h; /* a y tick label sticks out by about half its height above its tick */
        double ytu, ytd;
        ticks_max_ud(f, &A->yt, &ytu, &ytd);
        half_y = fmax(half_y, ytu + ytd) * 0.5 + 1.0;
        /* left */
        double left = A->pad + (has_text(A->ylabel) ? ey.up + ey.down + label_gap : 0.0) + yw + A->gap + A->tick_len + A->lw;
        double first_half = 0.0, last_half = 0.0;
        for (int i = 0; i < A->xt.n; i++) {
            if (!A->xt.lab[i][0]) continue;
            double hw = 0.5 * text_measure(f, A->xt.lab[i], f->fs_tick).w;
            double px = ax_px(&A->xa, A->xt.v[i]);
            first_half = fmax(first_half, hw - (px - A->L));
            last_half = fmax(last_half, hw - (A->R - px));
        }
        left = fmax(left, A->pad + first_half);
        /* bottom */
        double bottom = A->lw + A->tick_len + A->gap + xu + xd + (has_text(A->xlabel) ? label_gap + ex.up + ex.down : 0.0) + A->pad;
        /* top */
        double top = has_text(A->title) ? A->pad + et.up + et.down + 2.0 * label_gap : A->pad + half_y;
        top = fmax(top, A->pad + half_y) + A->lw;
        /* right */
        double right;
        if (A->has_cb) {
            A->ca.p0 = A->B;
            A->ca.p1 = A->T;
            choose_ticks(f, &A->ct, &A->ca, 0, A->B - A->T);
            double cw = ticks_max_w(f, &A->ct);
            right = A->lw + cb_gap + cb_w + A->lw + A->tick_len + A->gap + cw +
                    (has_text(A->clabel) ? label_gap + ec.up + ec.down : 0.0) + A->pad;
        } else {
            right = fmax(A->pad + last_half, 2.0 * A->pad) + A->lw;
        }
        A->L = iceil(left);
        A->T = iceil(top);
        A->R = f->w - iceil(right);
        A->B = f->h - iceil(bottom);
        if (A->has_cb) {
            A->cbL = A->R + A->lw + cb_gap;
            A->cbR = A->cbL + cb_w;
        }
    }
    A->xa.p0 = A->L;
    A->xa.p1 = A->R;
    A->ya.p0 = A->B;
    A->ya.p1 = A->T;
    A->ca.p0 = A->B;
    A->ca.p1 = A->T;
    if (A->R - A->L < 16 || A->B - A->T < 16) return 0;
    choose_ticks(f, &A->xt, &A->xa, 1, A->R - A->L);
    choose_ticks(f, &A->yt, &A->ya, 0, A->B - A->T);
    if (A->has_cb) choose_ticks(f, &A->ct, &A->ca, 0, A->B - A->T);
    return 1;
}

static void draw_frame(fig *f, int L, int T, int R, int B, int lw)
{
    fill_rect(f, L - lw, T - lw, R + lw, T, col_frame);
    fill_rect(f, L - lw, B, R + lw, B + lw, col_frame);
    fill_rect(f, L - lw, T, L, B, col_frame);
    fill_rect(f, R, T, R + lw, B, col_frame);
}

/* Vertical ticks with labels on the outside; side -1: left of x_edge, +1: right of it. */
static void draw_vticks(fig *f, const axes *A, const ticks *t, const axis *a, int x_edge, int side)
{
    int T = to_int(a->p1), B = to_int(a->p0);
    for (int i = 0; i < t->n; i++) {
        double py = ax_px(a, t->v[i]);
        if (!(py >= T - 0.5 && py <= B + 0.5)) continue;
        int row = ifloor(py);
        if (row < T - A->lw) row = T - A->lw;
        if (row > B) row = B;
        int len = t->lab[i][0] ? A->tick_len : (A->tick_len * 3 + 2) / 5;
        int top = row - (A->lw - 1) / 2;
        if (side < 0) fill_rect(f, x_edge - A->lw - len, top, x_edge - A->lw, top + A->lw, col_frame);
        else fill_rect(f, x_edge + A->lw, top, x_edge + A->lw + len, top + A->lw, col_frame);
        if (!t->lab[i][0]) continue;
        extent e = text_measure(f, t->lab[i], f->fs_tick);
        double base = floor(row + 0.5 + 0.5 * (e.up - e.down) + 0.5);
        if (side < 0) text_draw(f, t->lab[i], f->fs_tick, x_edge - A->lw - A->tick_len - A->gap - e.w, base, col_text);
        else text_draw(f, t->lab[i], f->fs_tick, x_edge + A->lw + A->tick_len + A->gap, base, col_text);
    }
}

static void draw_decorations(fig *f, const axes *A)
{
    int label_gap = ifloor(8.0 * f->s + 0.5);
    draw_frame(f, A->L, A->T, A->R, A->B, A->lw);
    /* x ticks */
    double xu, xd;
    ticks_max_ud(f, &A->xt, &xu, &xd);
    double xbase = A->B + A->lw + A->tick_len + A->gap + xu;
    for (int i = 0; i < A->xt.n; i++) {
        double px = ax_px(&A->xa, A->xt.v[i]);
        if (!(px >= A->L - 0.5 && px <= A->R + 0.5)) continue;
        int col = ifloor(px);
        if (col < A->L - A->lw) col = A->L - A->lw;
        if (col > A->R) col = A->R;
        int len = A->xt.lab[i][0] ? A->tick_len : (A->tick_len * 3 + 2) / 5;
        int left = col - (A->lw - 1) / 2;
        fill_rect(f, left, A->B + A->lw, left + A->lw, A->B + A->lw + len, col_frame);
        if (!A->xt.lab[i][0]) continue;
        extent e = text_measure(f, A->xt.lab[i], f->fs_tick);
        text_draw(f, A->xt.lab[i], f->fs_tick, col + 0.5 - 0.5 * e.w, floor(xbase + 0.5), col_text);
    }
    draw_vticks(f, A, &A->yt, &A->ya, A->L - A->lw + A->lw, -1);
    double cx = 0.5 * (A->L + A->R);
    if (has_text(A->xlabel)) {
        extent e = text_measure(f, A->xlabel, f->fs_label);
        double x = fmin(fmax(cx - 0.5 * e.w, A->pad), f->w - A->pad - e.w);
        text_draw(f, A->xlabel, f->fs_label, x, floor(xbase + xd + label_gap + e.up + 0.5), col_text);
    }
    if (has_text(A->ylabel)) text_draw_up(f, A->ylabel, f->fs_label, A->pad, 0.5 * (A->T + A->B), col_text);
    if (has_text(A->title)) {
        extent e = text_measure(f, A->title, A->fs_title);
        double x = fmin(fmax(cx - 0.5 * e.w, A->pad), f->w - A->pad - e.w);
        text_draw(f, A->title, A->fs_title, x, floor(A->pad + e.up + 0.5), col_text);
    }
    if (A->has_cb) {
        draw_frame(f, A->cbL, A->T, A->cbR, A->B, A->lw);
        draw_vticks(f, A, &A->ct, &A->ca, A->cbR, 1);
        if (has_text(A->clabel)) {
            double cw = ticks_max_w(f, &A->ct);
            int x = A->cbR + A->lw + A->tick_len + A->gap + iceil(cw) + label_gap;
            text_draw_up(f, A->clabel, f->fs_label, x, 0.5 * (A->T + A->B), col_text);
        }
    }
}

/* ---------------------------------------------------------------------------------------------------------
 * Legend
 * ------------------------------------------------------------------------------------------------------- */
typedef struct legend_item {
    const char *label;
    uint8_t col[4];
    double hw;
    int dashed, marker, band;
} legend_item;

#define MAX_LEGEND 32

/* How many sampled points of the curves fall inside r (fewer is a better place for the legend). */
static long legend_overlap(const axes *A, rect r, const dyn_fig_series *s, int ns, const dyn_fig_line *ln,
                           int nl)
{
    long hits = 0;
    int nall = s ? ns : nl;
    for (int k = 0; k < nall; k++) {
        const double *x = s ? s[k].x : ln[k].x, *y = s ? s[k].y : ln[k].y;
        int n = s ? s[k].n : ln[k].n;
        for (int i = 0; i + 1 < n || (n == 1 && i == 0); i++) {
            int j = n == 1 ? i : i + 1;
            double ax = ax_px_ext(&A->xa, x[i]), ay = ax_px_ext(&A->ya, y[i]);
            double bx = ax_px_ext(&A->xa, x[j]), by = ax_px_ext(&A->ya, y[j]);
            if (!isfinite(ax) || !isfinite(ay) || !isfinite(bx) || !isfinite(by)) continue;
            for (int q = 0; q <= 16; q++) {
                double t = q / 16.0, px = ax + t * (bx - ax), py = ay + t * (by - ay);
                if (px >= r.x0 && px < r.x1 && py >= r.y0 && py < r.y1) hits++;
            }
        }
    }
    return hits;
}

static void draw_legend(fig *f, const axes *A, const legend_item *it, int n, const dyn_fig_series *s, int ns,
                        const dyn_fig_line *ln, int nl)
{
    if (n <= 0) return;
    double fs = f->fs_tick;
    double pad = 8.0 * f->s, sample = 30.0 * f->s, gap = 8.0 * f->s, row = 1.45 * fs, margin = 10.0 * f->s;
    double maxw = 0.0;
    for (int i = 0; i < n; i++) maxw = fmax(maxw, text_measure(f, it[i].label, fs).w);
    int bw = iceil(pad + sample + gap + maxw + pad), bh = iceil(2.0 * (pad * 0.6) + row * n);
    int m = to_int(margin);
    rect cand[4] = {
        {A->R - m - bw, A->T + m, A->R - m, A->T + m + bh}, /* upper right */
        {A->L + m, A->T + m, A->L + m + bw, A->T + m + bh}, /* upper left */
        {A->R - m - bw, A->B - m - bh, A->R - m, A->B - m}, /* lower right */
        {A->L + m, A->B - m - bh, A->L + m + bw, A->B - m}, /* lower left */
    };
    int best = 0;
    long best_hits = -1;
    int mm = to_int(8.0 * f->s);
    for (int c = 0; c < 4; c++) {
        rect grown = {cand[c].x0 - mm, cand[c].y0 - mm, cand[c].x1 + mm, cand[c].y1 + mm};
        long h = legend_overlap(A, grown, s, ns, ln, nl);
        if (best_hits < 0 || h < best_hits) {
            best_hits = h;
            best = c;
        }
    }
    rect r = cand[best];
    if (r.x0 < A->L || r.y0 < A->T) return; /* the plot is too small for a legend */
    static const uint8_t bg[4] = {255, 255, 255, 224};
    fill_rect(f, r.x0, r.y0, r.x1, r.y1, bg);
    fill_rect(f, r.x0, r.y0, r.x1, r.y0 + 1, col_legend_edge);
    fill_rect(f, r.x0, r.y1 - 1, r.x1, r.y1, col_legend_edge);
    fill_rect(f, r.x0, r.y0, r.x0 + 1, r.y1, col_legend_edge);
    fill_rect(f, r.x1 - 1, r.y0, r.x1, r.y1, col_legend_edge);
    rect inner = {r.x0 + 1, r.y0 + 1, r.x1 - 1, r.y1 - 1};
    for (int i = 0; i < n; i++) {
        double cy = r.y0 + pad * 0.6 + row * (i + 0.5);
        double x0 = r.x0 + pad, x1 = x0 + sample;
        if (it[i].band) {
            rect br = {ifloor(x0), ifloor(cy - 0.45 * row + 0.5), iceil(x1), ifloor(cy + 0.45 * row + 0.5)};
            uint8_t bc[4] = {it[i].col[0], it[i].col[1], it[i].col[2], (uint8_t)(it[i].col[3] * 0.25)};
            fill_rect(f, br.x0, br.y0, br.x1, br.y1, bc);
        }
        double phase = 0.0;
        double yy = floor(cy) + 0.5;
        cov_segment(f, inner, x0, yy, x1, yy, it[i].hw, it[i].dashed, &phase);
        if (it[i].marker) cov_disc(f, inner, 0.5 * (x0 + x1), yy, it[i].hw * 1.6 + 1.0);
        cov_flush(f, inner, it[i].col, 1.0);
        extent e = text_measure(f, it[i].label, fs);
        text_draw(f, it[i].label, fs, x1 + gap, floor(cy + 0.5 * (e.up - e.down) + 0.5), col_text);
    }
}

/* ---------------------------------------------------------------------------------------------------------
 * Validation helpers
 * ------------------------------------------------------------------------------------------------------- */
static dyn_status common_checks(const dyn_fig_desc *d, const uint8_t *rgba, size_t rgba_len, const void *scratch,
                                size_t scratch_len, size_t ncells, plan *p)
{
    if (!d || !rgba || !scratch) return DYN_ERR_NULL;
    if (!d->font) return DYN_ERR_NULL;
    if (!make_plan(d, ncells, p)) return DYN_ERR_SIZE;
    if (rgba_len / 4 < (size_t)p->w * (size_t)p->h) return DYN_ERR_BUFFER;
    if (scratch_len < p->total) return DYN_ERR_BUFFER;
    return DYN_OK;
}

/* A user range: 1 = use (lo, hi), 0 = automatic, or an error status (negative). */
static int user_range(double lo, double hi, dyn_status *err)
{
    *err = DYN_OK;
    if (isnan(lo) || isnan(hi) || (lo == 0.0 && hi == 0.0)) return 0;
    if (!isfinite(lo) || !isfinite(hi)) {
        *err = DYN_ERR_NAN;
        return -1;
    }
    if (!(lo < hi)) {
        *err = DYN_ERR_RANGE;
        return -1;
    }
    return 1;
}

static void resolve_color(const uint8_t in[4], const uint8_t def[3], uint8_t out[4])
{
    if (in[0] | in[1] | in[2] | in[3]) {
        memcpy(out, in, 4);
    } else {
        out[0] = def[0];
        out[1] = def[1];
        out[2] = def[2];
        out[3] = 255;
    }
}

static dyn_status check_width(double w)
{
    if (isnan(w) || w < 0.0 || w > 64.0) return DYN_ERR_RANGE;
    return DYN_OK;
}

static void clear_white(fig *f)
{
    size_t n = (size_t)f->w * (size_t)f->h;
    memset(f->img, 255, 4 * n);
}

static void fill_layout(dyn_fig_layout *lo, const axes *A)
{
    memset(lo, 0, sizeof *lo);
    lo->plot_x = A->L;
    lo->plot_y = A->T;
    lo->plot_w = A->R - A->L;
    lo->plot_h = A->B - A->T;
    lo->x_lo = A->xa.lo;
    lo->x_hi = A->xa.hi;
    lo->y_lo = A->ya.lo;
    lo->y_hi = A->ya.hi;
    lo->vmin = (double)NAN;
    lo->vmax = (double)NAN;
    if (A->has_cb) {
        lo->vmin = A->ca.lo;
        lo->vmax = A->ca.hi;
        lo->cbar_x = A->cbL;
        lo->cbar_y = A->T;
        lo->cbar_w = A->cbR - A->cbL;
        lo->cbar_h = A->B - A->T;
    }
}

/* ---------------------------------------------------------------------------------------------------------
 * Heatmap
 * ------------------------------------------------------------------------------------------------------- */
dyn_status dyn_fig_heatmap(const dyn_fig_desc *d, const float *grid, int nx, int ny, const dyn_fig_line *lines,
                           int nlines, uint8_t *rgba, size_t rgba_len, void *scratch, size_t scratch_len,
                           dyn_fig_layout *layout)
{
    if (!grid) return DYN_ERR_NULL;
    if (nx <= 0 || ny <= 0 || (long long)nx * ny > (long long)DYN_FIG_MAX_CELLS || nlines < 0) return DYN_ERR_SIZE;
    if (nlines > 0 && !lines) return DYN_ERR_NULL;
    size_t ncells = (size_t)nx * (size_t)ny;
    plan p;
    dyn_status st = common_checks(d, rgba, rgba_len, scratch, scratch_len, ncells, &p);
    if (st != DYN_OK) return st;
    for (int i = 0; i < nlines; i++) {
        if (lines[i].n < 0) return DYN_ERR_SIZE;
        if (lines[i].n > 0 && (!lines[i].x || !lines[i].y)) return DYN_ERR_NULL;
        if ((st = check_width(lines[i].width)) != DYN_OK) return st;
    }
    if ((int)d->cmap < 0 || d->cmap >= DYN_CMAP_COUNT) return DYN_ERR_RANGE;

    /* data ranges: x0, x1 are the centres of the first and last columns */
    double x0 = 0.0, x1 = nx - 1.0, y0 = 0.0, y1 = ny - 1.0;
    int u = user_range(d->x0, d->x1, &st);
    if (u < 0 && !(st == DYN_ERR_RANGE && nx == 1 && d->x0 == d->x1 && isfinite(d->x0))) return st;
    if (u != 0) {
        x0 = d->x0;
        x1 = d->x1;
    }
    u = user_range(d->y0, d->y1, &st);
    if (u < 0 && !(st == DYN_ERR_RANGE && ny == 1 && d->y0 == d->y1 && isfinite(d->y0))) return st;
    if (u != 0) {
        y0 = d->y0;
        y1 = d->y1;
    }
    double dx = nx > 1 ? (x1 - x0) / (nx - 1) : 0.0, dy = ny > 1 ? (y1 - y0) / (ny - 1) : 0.0;
    double xl = x0 - 0.5 * dx, xr = x1 + 0.5 * dx, yb = y0 - 0.5 * dy, yt = y1 + 0.5 * dy;
    if (nx == 1) {
        if (x1 > x0) { xl = x0; xr = x1; }
        else { xl = x0 - 0.5; xr = x0 + 0.5; }
    }
    if (ny == 1) {
        if (y1 > y0) { yb = y0; yt = y1; }
        else { yb = y0 - 0.5; yt = y0 + 0.5; }
    }
    if (!(xl < xr) || !(yb < yt) || !isfinite(xr - xl) || !isfinite(yt - yb)) return DYN_ERR_RANGE;

    fig f;
    unsigned char *scr = (unsigned char *)scratch;
    scr += (16u - ((uintptr_t)scr & 15u)) & 15u;
    if ((st = fig_init(&f, d, &p, rgba, scr)) != DYN_OK) return st;

    /* colour range: the user's where given, the 1..99 % percentiles elsewhere */
    double vmin = d->vmin, vmax = d->vmax;
    int auto_lo = isnan(vmin) || (vmin == 0.0 && vmax == 0.0), auto_hi = isnan(vmax) || (vmin == 0.0 && vmax == 0.0);
    if ((!auto_lo && !isfinite(vmin)) || (!auto_hi && !isfinite(vmax))) return DYN_ERR_NAN;
    if (auto_lo || auto_hi) {
        double a, b;
        (void)dyn_cmap_auto_range(grid, ncells, d->log_scale, &a, &b, (float *)(void *)f.cells);
        if (auto_lo) vmin = a;
        if (auto_hi) vmax = b;
        if (auto_lo && !auto_hi && !(vmin < vmax)) vmin = d->log_scale ? vmax / 10.0 : vmax - 1.0;
        if (auto_hi && !auto_lo && !(vmin < vmax)) vmax = d->log_scale ? vmin * 10.0 : vmin + 1.0;
        /* a diverging map should put its neutral centre at 0 when the data straddle it */
        if (auto_lo && auto_hi && d->cmap == DYN_CMAP_RDBU && !d->log_scale && vmin < 0.0 && vmax > 0.0) {
            vmax = fmax(-vmin, vmax);
            vmin = -vmax;
        }
    }
    if (!(vmin < vmax) || (d->log_scale && !(vmin > 0.0))) return DYN_ERR_RANGE;
    if ((st = dyn_cmap_apply(d->cmap, grid, ncells, vmin, vmax, d->log_scale, f.cells)) != DYN_OK) return st;

    axes A;
    memset(&A, 0, sizeof A);
    A.xa.lo = xl;
    A.xa.hi = xr;
    A.ya.lo = yb;
    A.ya.hi = yt;
    A.has_cb = 1;
    A.ca.lo = vmin;
    A.ca.hi = vmax;
    A.ca.log = d->log_scale != 0;
    A.title = d->title;
    A.xlabel = d->xlabel;
    A.ylabel = d->ylabel;
    A.clabel = d->clabel;
    if (!layout_axes(&f, &A)) return DYN_ERR_SIZE;

    clear_white(&f);
    /* the map: nearest neighbour, exact cells */
    int pw = A.R - A.L, ph = A.B - A.T;
    for (int r = 0; r < ph; r++) {
        int gy = (int)(((long long)2 * r + 1) * ny / (2LL * ph));
        uint8_t *dst = f.img + 4 * ((size_t)(A.T + r) * (size_t)f.w + (size_t)A.L);
        const uint8_t *src = f.cells + 4 * (size_t)gy * (size_t)nx;
        for (int c = 0; c < pw; c++) {
            int gx = (int)(((long long)2 * c + 1) * nx / (2LL * pw));
            memcpy(dst + 4 * c, src + 4 * gx, 4);
        }
    }
    /* the colorbar, linear in the (log) colour coordinate */
    for (int r = 0; r < ph; r++) {
        uint8_t c[4];
        dyn_cmap_color(d->cmap, 1.0 - (r + 0.5) / ph, c);
        fill_rect(&f, A.cbL, A.T + r, A.cbR, A.T + r + 1, c);
    }
    /* polylines */
    rect clip = {A.L, A.T, A.R, A.B};
    legend_item items[MAX_LEGEND];
    int nitems = 0;
    static const uint8_t white3[3] = {255, 255, 255};
    for (int i = 0; i < nlines; i++) {
        const dyn_fig_line *l = &lines[i];
        uint8_t col[4];
        resolve_color(l->rgba, white3, col);
        double hw = 0.5 * (l->width > 0.0 ? l->width : 2.0 * f.s);
        double phase = 0.0;
        for (int k = 0; k + 1 < l->n; k++) {
            double ax = ax_px_ext(&A.xa, l->x[k]), ay = ax_px_ext(&A.ya, l->y[k]);
            double bx = ax_px_ext(&A.xa, l->x[k + 1]), by = ax_px_ext(&A.ya, l->y[k + 1]);
            if (!isfinite(ax) || !isfinite(ay) || !isfinite(bx) || !isfinite(by)) {
                phase = 0.0;
                continue;
            }
            cov_segment(&f, clip, ax, ay, bx, by, hw, l->dashed, &phase);
        }
        cov_flush(&f, clip, col, 1.0);
        if (has_text(l->label) && nitems < MAX_LEGEND) {
            legend_item *it = &items[nitems++];
            memset(it, 0, sizeof *it);
            it->label = l->label;
            memcpy(it->col, col, 4);
            /* white lines would vanish on the legend's white box */
            if (col[0] > 200 && col[1] > 200 && col[2] > 200) {
                it->col[0] = it->col[1] = it->col[2] = 40;
            }
            it->hw = hw;
            it->dashed = l->dashed;
        }
    }
    draw_decorations(&f, &A);
    if (!d->no_legend) draw_legend(&f, &A, items, nitems, NULL, 0, lines, nlines);
    if (layout) fill_layout(layout, &A);
    return DYN_OK;
}

/* ---------------------------------------------------------------------------------------------------------
 * x-y plot
 * ------------------------------------------------------------------------------------------------------- */
static void grow(double *lo, double *hi, double v)
{
    if (!isfinite(v)) return;
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
}

/* Automatic axis range with a fraction pad of padding; log: in log space, positive values only. */
static void auto_axis(double lo, double hi, int logax, double pad, double *out_lo, double *out_hi)
{
    if (!(lo <= hi)) {
        lo = logax ? 1.0 : 0.0;
        hi = logax ? 10.0 : 1.0;
    }
    if (logax) {
        double a = log10(lo), b = log10(hi);
        if (b - a < 1e-12) {
            a -= 0.5;
            b += 0.5;
        }
        double m = (b - a) * pad;
        /* the padding must not underflow to 0 (subnormal data, e.g. a training loss of 1e-320) or overflow to
         * inf: log10 of either end is taken again for the ticks */
        *out_lo = fmax(pow(10.0, a - m), DBL_TRUE_MIN);
        *out_hi = fmin(pow(10.0, b + m), DBL_MAX);
        return;
    }
    if (hi - lo <= 1e-12 * fmax(1.0, fmax(fabs(lo), fabs(hi)))) {
        double h = fabs(lo) > 1.0 ? 0.1 * fabs(lo) : 0.5;
        lo -= h;
        hi += h;
    }
    double m = (hi - lo) * pad;
    *out_lo = lo - m;
    *out_hi = hi + m;
}

static void band_fill(fig *f, rect clip, const axes *A, const dyn_fig_series *s)
{
    for (int i = 0; i + 1 < s->n; i++) {
        double xa = s->x[i], xb = s->x[i + 1];
        double la = s->y_lo[i], ha = s->y_hi[i], lb = s->y_lo[i + 1], hb = s->y_hi[i + 1];
        if (!isfinite(xa) || !isfinite(xb) || !isfinite(la) || !isfinite(ha) || !isfinite(lb) || !isfinite(hb))
            continue;
        if (A->ya.log && !(la > 0.0 && ha > 0.0 && lb > 0.0 && hb > 0.0)) continue;
        double pa = ax_px(&A->xa, xa), pb = ax_px(&A->xa, xb);
        double qla = ax_px(&A->ya, la), qha = ax_px(&A->ya, ha), qlb = ax_px(&A->ya, lb), qhb = ax_px(&A->ya, hb);
        if (pa > pb) {
            double t;
            t = pa; pa = pb; pb = t;
            t = qla; qla = qlb; qlb = t;
            t = qha; qha = qhb; qhb = t;
        }
        if (!(pb > pa) || !isfinite(pb - pa)) continue;
        double c0 = fmax(ceil(pa - 0.5), clip.x0), c1 = fmin(ceil(pb - 0.5) - 1.0, clip.x1 - 1.0);
        for (double cc = c0; cc <= c1; cc += 1.0) {
            double t = (cc + 0.5 - pa) / (pb - pa);
            double ql = qla + t * (qlb - qla), qh = qha + t * (qhb - qha);
            double top = fmin(ql, qh), bot = fmax(ql, qh);
            if (!isfinite(top) || !isfinite(bot)) continue;
            double r0 = fmax(floor(top), clip.y0), r1 = fmin(ceil(bot), clip.y1);
            for (double r = r0; r < r1; r += 1.0) {
                double cov = fmin(bot, r + 1.0) - fmax(top, r);
                cov_put(f, to_int(cc), to_int(r), cov);
            }
        }
    }
}

dyn_status dyn_fig_plot(const dyn_fig_desc *d, const dyn_fig_series *s, int ns, uint8_t *rgba, size_t rgba_len,
                        void *scratch, size_t scratch_len, dyn_fig_layout *layout)
{
    if (!s) return DYN_ERR_NULL;
    if (ns <= 0) return DYN_ERR_SIZE;
    plan p;
    dyn_status st = common_checks(d, rgba, rgba_len, scratch, scratch_len, 0, &p);
    if (st != DYN_OK) return st;
    for (int i = 0; i < ns; i++) {
        if (s[i].n < 0) return DYN_ERR_SIZE;
        if (s[i].n > 0 && (!s[i].x || !s[i].y)) return DYN_ERR_NULL;
        if ((s[i].y_lo == NULL) != (s[i].y_hi == NULL)) return DYN_ERR_NULL;
        if ((st = check_width(s[i].width)) != DYN_OK) return st;
    }
    int logy = d->log_y != 0;
    axes A;
    memset(&A, 0, sizeof A);
    A.ya.log = logy;
    int ux = user_range(d->x0, d->x1, &st);
    if (ux < 0) return st;
    int uy = user_range(d->y0, d->y1, &st);
    if (uy < 0) return st;
    if (uy > 0 && logy && !(d->y0 > 0.0)) return DYN_ERR_RANGE;
    double xmin = (double)INFINITY, xmax = -(double)INFINITY, ymin = (double)INFINITY, ymax = -(double)INFINITY;
    for (int i = 0; i < ns; i++) {
        for (int k = 0; k < s[i].n; k++) {
            double yv[3] = {s[i].y[k], s[i].y_lo ? s[i].y_lo[k] : (double)NAN, s[i].y_hi ? s[i].y_hi[k] : (double)NAN};
            int any = 0;
            for (int j = 0; j < 3; j++) {
                if (!isfinite(yv[j]) || (logy && !(yv[j] > 0.0))) continue;
                grow(&ymin, &ymax, yv[j]);
                any = 1;
            }
            if (any) grow(&xmin, &xmax, s[i].x[k]);
        }
    }
    if (ux > 0) {
        A.xa.lo = d->x0;
        A.xa.hi = d->x1;
    } else {
        auto_axis(xmin, xmax, 0, 0.02, &A.xa.lo, &A.xa.hi);
    }
    if (uy > 0) {
        A.ya.lo = d->y0;
        A.ya.hi = d->y1;
    } else {
        auto_axis(ymin, ymax, logy, 0.05, &A.ya.lo, &A.ya.hi);
    }
    if (!isfinite(A.xa.hi - A.xa.lo) || !isfinite(A.ya.hi - A.ya.lo)) return DYN_ERR_RANGE;

    fig f;
    unsigned char *scr = (unsigned char *)scratch;
    scr += (16u - ((uintptr_t)scr & 15u)) & 15u;
    if ((st = fig_init(&f, d, &p, rgba, scr)) != DYN_OK) return st;
    A.title = d->title;
    A.xlabel = d->xlabel;
    A.ylabel = d->ylabel;
    if (!layout_axes(&f, &A)) return DYN_ERR_SIZE;

    clear_white(&f);
    rect clip = {A.L, A.T, A.R, A.B};
    legend_item items[MAX_LEGEND];
    int nitems = 0;
    /* bands first, so that no band covers a curve */
    for (int i = 0; i < ns; i++) {
        if (!s[i].y_lo) continue;
        uint8_t col[4];
        resolve_color(s[i].rgba, tab10[i % 10], col);
        band_fill(&f, clip, &A, &s[i]);
        cov_flush(&f, clip, col, 0.22);
    }
    for (int i = 0; i < ns; i++) {
        const dyn_fig_series *q = &s[i];
        uint8_t col[4];
        resolve_color(q->rgba, tab10[i % 10], col);
        double hw = 0.5 * (q->width > 0.0 ? q->width : 2.0 * f.s);
        double phase = 0.0;
        for (int k = 0; k + 1 < q->n; k++) {
            double ax = ax_px_ext(&A.xa, q->x[k]), ay = ax_px_ext(&A.ya, q->y[k]);
            double bx = ax_px_ext(&A.xa, q->x[k + 1]), by = ax_px_ext(&A.ya, q->y[k + 1]);
            if (!isfinite(ax) || !isfinite(ay) || !isfinite(bx) || !isfinite(by)) {
                phase = 0.0;
                continue;
            }
            cov_segment(&f, clip, ax, ay, bx, by, hw, q->dashed, &phase);
        }
        if (q->marker) {
            for (int k = 0; k < q->n; k++) {
                if (!isfinite(q->x[k]) || !isfinite(q->y[k])) continue;
                double px = ax_px_ext(&A.xa, q->x[k]), py = ax_px_ext(&A.ya, q->y[k]);
                if (isfinite(px) && isfinite(py)) cov_disc(&f, clip, px, py, hw * 1.6 + 1.0);
            }
        }
        cov_flush(&f, clip, col, 1.0);
        if (has_text(q->label) && nitems < MAX_LEGEND) {
            legend_item *it = &items[nitems++];
            memset(it, 0, sizeof *it);
            it->label = q->label;
            memcpy(it->col, col, 4);
            it->hw = hw;
            it->dashed = q->dashed;
            it->marker = q->marker;
            it->band = q->y_lo != NULL;
        }
    }
    draw_decorations(&f, &A);
    if (!d->no_legend) draw_legend(&f, &A, items, nitems, s, ns, NULL, 0);
    if (layout) fill_layout(layout, &A);
    return DYN_OK;
}
