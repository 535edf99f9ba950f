/* colormap.h - the one place that maps numbers to colours (RGBA8), shared by the web page (WASM) and the PNG writer. */
#ifndef DYN_COLORMAP_H
#define DYN_COLORMAP_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Index
 *   dyn_cmap             enum of colormaps: DYN_CMAP_VIRIDIS, DYN_CMAP_RDBU, DYN_CMAP_GREYS, DYN_CMAP_COUNT
 *   dyn_cmap_name        the lower-case name of a colormap ("viridis", "rdbu", "greys")
 *   dyn_cmap_parse       name -> enum (case-insensitive)
 *   dyn_cmap_color       one colour for t in [0, 1]
 *   dyn_cmap_apply       an array of values -> RGBA8, linear or logarithmic scale
 *   dyn_cmap_auto_range  a robust colour range: the 1st..99th percentile of the finite values
 *
 * Colours are sRGB, 8 bits per channel, alpha always 255. Values that cannot be shown (NaN, and zero or
 * negative values under a log scale) get the neutral light grey DYN_CMAP_NAN_R/G/B.
 */

typedef enum dyn_cmap {
    DYN_CMAP_VIRIDIS = 0, /* sequential, perceptually uniform (matplotlib's viridis, CC0) */
    DYN_CMAP_RDBU = 1,    /* diverging, ColorBrewer RdBu reversed: low = blue, centre = near white, high = red */
    DYN_CMAP_GREYS = 2,   /* sequential, white (low) to black (high) */
    DYN_CMAP_COUNT
} dyn_cmap;

/* The colour of values that cannot be mapped (NaN; <= 0 under a log scale). */
#define DYN_CMAP_NAN_R 208
#define DYN_CMAP_NAN_G 208
#define DYN_CMAP_NAN_B 208

/* dyn_cmap_name: the name of map c, e.g. "viridis". Returns "unknown" (never NULL) if c is out of range. */
const char *dyn_cmap_name(dyn_cmap c);

/* dyn_cmap_parse: looks up a name (case-insensitive: "viridis", "rdbu", "greys"; "grays" is also accepted).
 *   out  receives the enum value on success.
 * Returns DYN_OK, DYN_ERR_NULL (name or out NULL), DYN_ERR_UNKNOWN_NAME (out is left unchanged). */
dyn_status dyn_cmap_parse(const char *name, dyn_cmap *out);

/* dyn_cmap_color: the colour at position t of map c; t is clamped to [0, 1], NaN t gives the NaN grey.
 *   rgba  4 bytes out: r, g, b, a (a = 255).
 * Returns DYN_OK, DYN_ERR_NULL (rgba NULL), DYN_ERR_RANGE (c not a dyn_cmap). */
dyn_status dyn_cmap_color(dyn_cmap c, double t, uint8_t rgba[4]);

/* dyn_cmap_apply: maps n values to colours. Linear: t = (v - vmin) / (vmax - vmin); log_scale != 0:
 * t = (log v - log vmin) / (log vmax - log vmin). t is clamped to [0, 1], so values outside the range (and
 * +-infinity) get the end colours; NaN (and v <= 0 under a log scale) get the NaN grey.
 *   v         n values (n may be 0; v may then be NULL)
 *   vmin,vmax finite, vmin < vmax; under a log scale also vmin > 0
 *   rgba_out  4 n bytes out, pixel i at rgba_out[4 i .. 4 i + 3]
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN (vmin or vmax not finite), DYN_ERR_RANGE (vmin >= vmax, vmin <= 0
 * under a log scale, or c not a dyn_cmap). */
dyn_status dyn_cmap_apply(dyn_cmap c, const float *v, size_t n, double vmin, double vmax, int log_scale,
                          uint8_t *rgba_out);

/* dyn_cmap_auto_range: the 1st and 99th percentiles (linear interpolation between order statistics, as
 * numpy's default) of the finite values of v (under log_scale != 0: the finite values > 0), so that a few
 * extreme values do not wash out a heatmap. A degenerate range is widened: [a - 0.5, a + 0.5] (linear,
 * or [a - 0.5|a|, a + 0.5|a|] when |a| > 1), [a / 10^0.5, a * 10^0.5] (log).
 *   v        n values
 *   vmin     out: lower end
 *   vmax     out: upper end (always > *vmin)
 *   scratch  n floats of caller memory (overwritten)
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (n == 0), DYN_ERR_NAN (no usable value: *vmin, *vmax are then
 * set to 0, 1 (linear) or 1, 10 (log) so that a caller may still draw an all-grey map). */
dyn_status dyn_cmap_auto_range(const float *v, size_t n, int log_scale, double *vmin, double *vmax,
                               float *scratch);

#endif
