/* contour.h - level lines of a grid by marching squares, and evenly spaced levels: the CLI's figures and the page's draw these. */
#ifndef DYN_CONTOUR_H
#define DYN_CONTOUR_H

#include <stddef.h>

#include "status.h"

/* Index
 *   dyn_contour_levels   n levels evenly spaced strictly inside (vmin, vmax), linearly or on a log scale
 *   dyn_contour_box      where the grid sits in data coordinates (zero = column and row indices)
 *   dyn_contour          the segments of the level sets of a grid at n levels, ready to draw as a broken line
 *
 * The grid is nx x ny floats, row-major, row 0 on top (the house convention, as the heatmaps draw it): column q
 * is at x = x0 + (x1 - x0) q / (nx - 1) and row r at y = y1 - (y1 - y0) r / (ny - 1).
 *
 * Marching squares, one cell (2 x 2 corners) at a time:
 *   - a corner is "above" a level when its value is >= the level (so a plateau exactly at a level is above it);
 *   - an edge whose two corners differ is crossed at the linearly interpolated point;
 *   - a cell with any corner that is not finite (NaN: no data; +-inf: overflow) has no segments, so a hole in the
 *     data is a gap in the lines, never a line to a made-up point;
 *   - a saddle (the two diagonals on opposite sides) is resolved by the mean of the four corners: when it is above
 *     the level the above corners are joined through the centre (the segments cut off the below corners),
 *     otherwise the below corners are joined.
 * Cells are visited row by row, columns left to right, levels in the given order; the output is deterministic. */

typedef struct dyn_contour_box {
    double x0, x1; /* x of the first and last column; both 0 -> 0, nx - 1 */
    double y0, y1; /* y of the bottom and the top row; both 0 -> 0, ny - 1 (then y counts rows from the bottom) */
} dyn_contour_box;

#define DYN_CONTOUR_MAX_LEVELS 1000
#define DYN_CONTOUR_MAX_SIDE 65536 /* columns and rows */

/* levels[k] = vmin + (vmax - vmin) (k + 1) / (n + 1), k = 0..n-1; with log_scale the same in log(v) (needs
 * vmin > 0): n lines that divide the colour range into n + 1 equal bands and never sit on its ends.
 * n in 1..DYN_CONTOUR_MAX_LEVELS, vmin < vmax, both finite. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN,
 * DYN_ERR_SIZE, DYN_ERR_RANGE (vmin >= vmax; log_scale with vmin <= 0). */
dyn_status dyn_contour_levels(double vmin, double vmax, int log_scale, int n, double *levels);

/* The level lines of grid (nx x ny, see above; box NULL or zero = indices) at levels[0..nlev-1] (NaN levels are
 * skipped). Each segment is written as three points of a broken line: x[3k] = its start, x[3k + 1] = its end,
 * x[3k + 2] = NaN (the break), and the same in y; dyn_fig_line and the page's line drawer take that form as is.
 * cap: the length of x and y in points (a multiple of 3 is used); cap 0 (x and y may be NULL) only counts.
 * *n_points: always the number of points all segments need (3 per segment), even when more than cap.
 * nx, ny in 2..DYN_CONTOUR_MAX_SIDE; nlev in 0..DYN_CONTOUR_MAX_LEVELS.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE, DYN_ERR_NAN (a box coordinate not finite), DYN_ERR_RANGE (x0 == x1 or
 * y0 == y1 but not both 0), DYN_ERR_BUFFER (0 < cap < *n_points: the first cap / 3 segments are written). */
dyn_status dyn_contour(const float *grid, int nx, int ny, const dyn_contour_box *box, const double *levels, int nlev,
                       double *x, double *y, size_t cap, size_t *n_points);

#endif
