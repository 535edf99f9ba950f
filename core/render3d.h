/* render3d.h - a 2-D grid drawn as a shaded, colormapped 3-D surface with contour lines into RGBA8 (cglm camera). */
#ifndef DYN_RENDER3D_H
#define DYN_RENDER3D_H

#include <stddef.h>
#include <stdint.h>

#include "colormap.h"
#include "status.h"

/* Index
 *   dyn_r3d_desc           camera, colours, contours, an optional path on the surface (zero = default)
 *   dyn_r3d_scratch_bytes  scratch a render needs
 *   dyn_r3d_surface        grid -> RGBA8 picture of its surface
 *   dyn_r3d_project        where a point of the surface box lands on the picture (for labels, hover, picking)
 *
 * Geometry: the grid (nx columns, ny rows, row 0 on top as everywhere in dynlens) spans the box
 * x in [-1, 1] (column 0 at x = -1), y in [-1, 1] (row 0 at y = +1),
 * z in [0, 2 z_scale]: height = (clamp(v, vmin, vmax) - vmin) / (vmax - vmin) (on log10 under log_scale), so
 * values above vmax are flattened at the top (a loss that explodes away from the minimum does not squash the
 * basin). The camera orbits the box centre (0, 0, z_scale) at the given azimuth (degrees, counter-clockwise
 * from +x seen from above) and elevation (degrees above the base plane), perspective projection, z up.
 * Colours: dyn_cmap_color of the same normalised height, Lambert-shaded with a light over the viewer's shoulder,
 * contour lines at `contours` evenly spaced levels strictly inside (vmin, vmax), the base frame in grey.
 * NaN cells leave holes. Pixels: RGBA8, row-major, top row first, opaque. Float arithmetic (cglm); the
 * picture is for eyes, not for numbers.
 */

#define DYN_R3D_MIN_SIDE 32
#define DYN_R3D_MAX_SIDE 4096
#define DYN_R3D_MAX_GRID 2048
#define DYN_R3D_MAX_BYTES 0x7fffffffL /* scratch at or above this (2^31 - 1 bytes) is refused: 32-bit size_t */

typedef struct dyn_r3d_desc {
    int width, height;       /* picture size in px, 0 -> 800 x 600; else DYN_R3D_MIN_SIDE..DYN_R3D_MAX_SIDE */
    double azimuth;          /* degrees; azimuth and elevation both 0 -> -60 and 30 */
    double elevation;        /* degrees, in [-89, 89] */
    double fov;              /* vertical field of view in degrees, 0 -> 30; (5, 120) */
    double distance;         /* camera distance from the box centre, 0 -> 6 (box half-width 1); (1.5, 100] */
    double z_scale;          /* half the box height relative to its half-width, 0 -> 0.55; (0, 4] */
    dyn_cmap cmap;           /* 0 = viridis */
    double vmin, vmax;       /* height and colour range; both 0 (or either NaN) -> the finite data's min, max */
    int log_scale;           /* heights and colours on a log10 scale (values <= 0 become holes) */
    int contours;            /* contour levels, 0 -> 12; negative -> none; at most 100 */
    int supersample;         /* antialiasing factor per side, 0 -> 2; 1..4 */
    const double *path;      /* optional: npath points (a, b) interleaved, drawn on the surface as a line */
    int npath;
    double a_min, a_max;     /* the grid's coordinates, needed only for the path: columns a_min..a_max, */
    double b_min, b_max;     /* rows b_max (top row)..b_min */
    uint8_t path_rgba[4];    /* all 0 -> white with a dark outline */
} dyn_r3d_desc;

/* Bytes of scratch for this descriptor and grid: 8 ss^2 width height + 32 nx ny + 64 (ss = supersample); 0 if
 * invalid or DYN_R3D_MAX_BYTES or more (e.g. 4096 x 4096 px at supersample 4), computed without overflow on
 * 32-bit size_t. */
size_t dyn_r3d_scratch_bytes(const dyn_r3d_desc *d, int nx, int ny);

/* grid: nx x ny floats, row-major, top row first; nx, ny in 2..DYN_R3D_MAX_GRID. rgba: 4 width height bytes.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN (infinite vmin/vmax, angle), DYN_ERR_RANGE (an option out of its
 * range, vmin >= vmax, vmin <= 0 under log_scale), DYN_ERR_SIZE (also: dyn_r3d_scratch_bytes gives 0),
 * DYN_ERR_BUFFER. The path is cut into pieces of at most a quarter cell placed on the drawn surface, and
 * depth-tested: nearer parts of the surface hide it. An all-NaN grid gives the
 * empty box. */
dyn_status dyn_r3d_surface(const dyn_r3d_desc *d, const float *grid, int nx, int ny, uint8_t *rgba, size_t rgba_len,
                           void *scratch, size_t scratch_len);

/* The picture position (px, py in pixels from the top-left) of the box point (u, v, h): u, v in [0, 1] from the
 * left column / top row of the grid, h in [0, 1] the normalised height. *depth: distance along the view (for
 * sorting labels). Uses the same camera as dyn_r3d_surface. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN,
 * DYN_ERR_RANGE (as dyn_r3d_surface), DYN_ERR_NO_SOLUTION (the point is behind the camera). */
dyn_status dyn_r3d_project(const dyn_r3d_desc *d, double u, double v, double h, double *px, double *py, double *depth);

#endif
