/* figure.h - publication-style figures (heatmap with colorbar, x-y line plot) rendered into caller-owned RGBA8 pixels. */
#ifndef DYN_FIGURE_H
#define DYN_FIGURE_H

#include <stddef.h>
#include <stdint.h>

#include "colormap.h"
#include "status.h"

/* Index
 *   dyn_fig_desc           what to draw around the data: size, font, texts, axis and colour ranges (zero = default)
 *   dyn_fig_line           a polyline over a heatmap, in data coordinates
 *   dyn_fig_series         one curve of an x-y plot, with an optional shaded band
 *   dyn_fig_layout         optional output: where the plot rectangle landed and the ranges actually used
 *   dyn_fig_scratch_bytes  how many bytes of scratch memory a figure needs
 *   dyn_fig_heatmap        grid + colorbar + optional polylines -> RGBA8
 *   dyn_fig_plot           series -> RGBA8
 *
 * Pixels: RGBA8, row-major, top row first, 4 * width * height bytes, always opaque (white background).
 * Text: UTF-8 (Greek letters etc. as far as the font has them) with a tiny math markup: "_x" or "_{...}"
 * is a subscript, "^x" or "^{...}" a superscript (x is one character; groups may nest), a subscript directly
 * followed by a superscript is stacked above it (so "σ_w^2" looks as in print), and a backslash makes the next
 * character literal ("a\_b"). Text is antialiased with stb_truetype from font bytes that the caller supplies
 * (e.g. DejaVuSans.ttf); the core never opens files. The font must be a trusted file: stb_truetype does not
 * guard against malicious fonts (the table directory is bounds-checked, DYN_ERR_FONT on failure).
 * Sizes scale with the image: at the default 960 x 720 tick labels are 14 px, axis titles 16 px, the title 19 px.
 * Nothing here allocates: everything works in the caller's scratch memory (dyn_fig_scratch_bytes).
 */

/* Limits */
#define DYN_FIG_MIN_SIDE 160    /* px */
#define DYN_FIG_MAX_SIDE 8192   /* px */
#define DYN_FIG_MAX_CELLS (1L << 26) /* heatmap nx * ny */

typedef struct dyn_fig_desc {
    int width, height;          /* image size in px, each in [DYN_FIG_MIN_SIDE, DYN_FIG_MAX_SIDE]; 0 -> 960, 720 */
    const uint8_t *font;        /* TTF/OTF bytes (required), e.g. DejaVuSans.ttf; only read, must outlive the call */
    size_t font_len;            /* bytes in font */
    const char *title;          /* UTF-8 with markup; NULL or "" -> none (same for the labels) */
    const char *xlabel, *ylabel;/* axis titles; the y title is drawn rotated by 90 degrees */
    const char *clabel;         /* heatmap: colorbar title (rotated) */
    /* x range. Heatmap: x0 and x1 are the centres of the first and last grid columns (the samples), so the axis
     * runs from x0 - dx/2 to x1 + dx/2 with dx = (x1 - x0) / (nx - 1) (nx == 1: one cell from x0 to x1).
     * Plot: the axis ends. Both 0 or either NaN -> default: heatmap column indices 0..nx-1, plot automatic
     * (data range plus 2 % padding). Otherwise finite with x0 < x1. */
    double x0, x1;
    /* y range, y0 at the bottom and y1 at the top. Heatmap: centres of the bottom row (grid row ny-1) and the
     * top row (grid row 0); default row numbers counted from the bottom, 0..ny-1. Plot: axis ends, default
     * automatic (5 % padding). */
    double y0, y1;
    dyn_cmap cmap;              /* heatmap colours; 0 = DYN_CMAP_VIRIDIS */
    double vmin, vmax;          /* heatmap colour range; NaN (each) or both 0 -> dyn_cmap_auto_range (1..99 %);
                                 * with DYN_CMAP_RDBU, a linear scale and both automatic, a range that straddles 0
                                 * is made symmetric, -m..m, so that 0 is the neutral centre */
    int log_scale;              /* heatmap: logarithmic colour scale (needs vmin > 0; log ticks on the colorbar) */
    int log_y;                  /* plot: logarithmic y axis (values <= 0 are skipped, like NaN) */
    int no_legend;              /* nonzero: no legend even if some lines/series have labels */
} dyn_fig_desc;

typedef struct dyn_fig_line {
    const double *x, *y;        /* n points in data coordinates; a NaN coordinate breaks the line, +-INFINITY
                                 * means "beyond that edge of the plot" (e.g. x = {a, a}, y = {-inf, inf}) */
    int n;                      /* >= 0 */
    uint8_t rgba[4];            /* colour; all 0 -> white; alpha is honoured */
    double width;               /* px; 0 -> 2 px at 960 x 720 (scaled with the image); else in (0, 64] */
    int dashed;                 /* nonzero: dashed */
    const char *label;          /* legend entry; NULL or "" -> not in the legend */
} dyn_fig_line;

typedef struct dyn_fig_series {
    const double *x, *y;        /* n points; NaN (and y <= 0 under log_y) breaks the curve; +-INFINITY means
                                 * "beyond that edge" and is ignored by the automatic ranges, so a vertical
                                 * marker line at x = a is x = {a, a}, y = {-INFINITY, INFINITY}, dashed */
    const double *y_lo, *y_hi;  /* optional (both or neither): a band, shaded where both are finite, e.g. +-2 s.e. */
    int n;                      /* >= 0 */
    uint8_t rgba[4];            /* colour; all 0 -> the next colour of matplotlib's tab10 cycle; alpha is honoured */
    double width;               /* px; 0 -> 2 px at 960 x 720 (scaled); else in (0, 64] */
    int marker;                 /* nonzero: a filled dot at each point */
    int dashed;                 /* nonzero: dashed (e.g. a vertical reference line given as 2 points) */
    const char *label;          /* legend entry; NULL or "" -> not in the legend */
} dyn_fig_series;

typedef struct dyn_fig_layout {
    int plot_x, plot_y, plot_w, plot_h; /* the data rectangle in px (top-left corner, size), frame outside it */
    double x_lo, x_hi, y_lo, y_hi;      /* data values at the left, right, bottom and top edges of that rectangle */
    double vmin, vmax;                  /* heatmap: the colour range used (plot: NaN) */
    int cbar_x, cbar_y, cbar_w, cbar_h; /* heatmap: the colorbar rectangle (plot: zeros) */
} dyn_fig_layout;

/* dyn_fig_scratch_bytes: scratch bytes for dyn_fig_heatmap (ncells = nx * ny) or dyn_fig_plot (ncells = 0)
 * with this desc (only width and height matter). Returns 0 if d is NULL or its size is invalid. About 1.1 MB
 * + 4 ncells at 960 x 720. */
size_t dyn_fig_scratch_bytes(const dyn_fig_desc *d, size_t ncells);

/* dyn_fig_heatmap: a heatmap of grid with frame, ticks, axis titles, title, colorbar and polylines.
 *   d        the descriptor (see dyn_fig_desc)
 *   grid     nx * ny values, row-major, top row first (row 0 is y = y1); NaN cells are light grey
 *   nx, ny   columns and rows, each >= 1, nx * ny <= DYN_FIG_MAX_CELLS
 *   lines    nlines polylines drawn over the map, clipped to it (may be NULL if nlines == 0)
 *   rgba     out: the image, rgba_len >= 4 * width * height bytes
 *   scratch  scratch_len >= dyn_fig_scratch_bytes(d, nx * ny) bytes, any alignment
 *   layout   optional out (may be NULL)
 * Cells are scaled by nearest neighbour, so every pixel shows exactly one grid value: plot column c
 * (0-based) shows grid column floor((2c + 1) nx / (2 plot_w)), likewise for rows.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (width/height, nx, ny, nlines or a line's n, or labels that leave
 * no room for the plot), DYN_ERR_BUFFER
 * (rgba_len or scratch_len too small), DYN_ERR_FONT, DYN_ERR_NAN (an infinite range), DYN_ERR_RANGE (x0 >= x1,
 * y0 >= y1, vmin >= vmax, vmin <= 0 under log_scale, a bad cmap or line width). */
dyn_status dyn_fig_heatmap(const dyn_fig_desc *d, const float *grid, int nx, int ny, const dyn_fig_line *lines,
                           int nlines, uint8_t *rgba, size_t rgba_len, void *scratch, size_t scratch_len,
                           dyn_fig_layout *layout);

/* dyn_fig_plot: an x-y plot of ns series (drawn in order: all bands first, then the curves), frame, ticks,
 * axis titles, title and a legend in the corner where it hides the fewest points.
 *   s        ns series (ns >= 1)
 *   rgba     out: the image, rgba_len >= 4 * width * height bytes
 *   scratch  scratch_len >= dyn_fig_scratch_bytes(d, 0) bytes
 *   layout   optional out (may be NULL)
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_BUFFER, DYN_ERR_FONT, DYN_ERR_NAN, DYN_ERR_RANGE
 * (x0 >= x1, y0 >= y1, y0 <= 0 under log_y, a bad line width), as dyn_fig_heatmap. */
dyn_status dyn_fig_plot(const dyn_fig_desc *d, const dyn_fig_series *s, int ns, uint8_t *rgba, size_t rgba_len,
                        void *scratch, size_t scratch_len, dyn_fig_layout *layout);

#endif
