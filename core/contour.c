/* contour.c - marching squares over a float grid, with finite-only cells and saddles resolved by the cell mean. */
#include "contour.h"

#include <math.h>

dyn_status dyn_contour_levels(double vmin, double vmax, int log_scale, int n, double *levels)
{
    if (!levels) return DYN_ERR_NULL;
    if (isnan(vmin) || isnan(vmax) || isinf(vmin) || isinf(vmax)) return DYN_ERR_NAN;
    if (n < 1 || n > DYN_CONTOUR_MAX_LEVELS) return DYN_ERR_SIZE;
    if (!(vmin < vmax) || (log_scale && !(vmin > 0.0))) return DYN_ERR_RANGE;
    double a = log_scale ? log(vmin) : vmin, b = log_scale ? log(vmax) : vmax;
    for (int k = 0; k < n; k++) {
        double v = a + (b - a) * (double)(k + 1) / (double)(n + 1);
        levels[k] = log_scale ? exp(v) : v;
    }
    return DYN_OK;
}

/* Where the level crosses the edge from value va (at parameter 0) to vb (at 1). Every edge is walked in one
 * canonical direction (left to right, top to bottom), so the two cells that share it compute the same bits and
 * their segments meet exactly. */
static double cross(double va, double vb, double lev) { return (lev - va) / (vb - va); }

typedef struct writer {
    double *x, *y;
    size_t cap, n;
    double ax, bx, ay, by; /* X = ax + bx * column, Y = ay + by * row */
} writer;

static void emit(writer *w, double q0, double r0, double q1, double r1)
{
    if (w->n + 3 <= w->cap) {
        w->x[w->n] = w->ax + w->bx * q0, w->y[w->n] = w->ay + w->by * r0;
        w->x[w->n + 1] = w->ax + w->bx * q1, w->y[w->n + 1] = w->ay + w->by * r1;
        w->x[w->n + 2] = w->y[w->n + 2] = (double)NAN;
    }
    w->n += 3;
}

dyn_status dyn_contour(const float *grid, int nx, int ny, const dyn_contour_box *box, const double *levels, int nlev,
                       double *x, double *y, size_t cap, size_t *n_points)
{
    if (!grid || !n_points || (nlev > 0 && !levels) || (cap > 0 && (!x || !y))) return DYN_ERR_NULL;
    *n_points = 0;
    if (nx < 2 || ny < 2 || nx > DYN_CONTOUR_MAX_SIDE || ny > DYN_CONTOUR_MAX_SIDE || nlev < 0 ||
        nlev > DYN_CONTOUR_MAX_LEVELS)
        return DYN_ERR_SIZE;
    dyn_contour_box b = {.x0 = 0, .x1 = nx - 1, .y0 = 0, .y1 = ny - 1};
    if (box && (box->x0 != 0.0 || box->x1 != 0.0 || box->y0 != 0.0 || box->y1 != 0.0)) {
        if (!isfinite(box->x0) || !isfinite(box->x1) || !isfinite(box->y0) || !isfinite(box->y1)) return DYN_ERR_NAN;
        if (box->x0 == box->x1 || box->y0 == box->y1) return DYN_ERR_RANGE;
        b = *box;
    }
    writer w = {.x = x,
                .y = y,
                .cap = cap - cap % 3,
                .ax = b.x0,
                .bx = (b.x1 - b.x0) / (nx - 1),
                .ay = b.y1,
                .by = -(b.y1 - b.y0) / (ny - 1)};
    for (int k = 0; k < nlev; k++) {
        double lev = levels[k];
        if (isnan(lev)) continue;
        for (int r = 0; r + 1 < ny; r++)
            for (int q = 0; q + 1 < nx; q++) {
                /* corners: 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left */
                double v0 = (double)grid[(size_t)r * nx + q], v1 = (double)grid[(size_t)r * nx + q + 1];
                double v2 = (double)grid[(size_t)(r + 1) * nx + q + 1], v3 = (double)grid[(size_t)(r + 1) * nx + q];
                if (!isfinite(v0) || !isfinite(v1) || !isfinite(v2) || !isfinite(v3)) continue;
                int a0 = v0 >= lev, a1 = v1 >= lev, a2 = v2 >= lev, a3 = v3 >= lev;
                int code = a0 | a1 << 1 | a2 << 2 | a3 << 3;
                if (code == 0 || code == 15) continue;
                /* crossings on the edges: 0 top, 1 right, 2 bottom, 3 left, as (column, row) */
                double eq[4] = {0}, er[4] = {0};
                if (a0 != a1) eq[0] = q + cross(v0, v1, lev), er[0] = r;
                if (a1 != a2) eq[1] = q + 1, er[1] = r + cross(v1, v2, lev);
                if (a3 != a2) eq[2] = q + cross(v3, v2, lev), er[2] = r + 1;
                if (a0 != a3) eq[3] = q, er[3] = r + cross(v0, v3, lev);
                if (code == 5 || code == 10) { /* a saddle: both diagonals on opposite sides */
                    int centre_above = 0.25 * (v0 + v1 + v2 + v3) >= lev;
                    /* cut off the corners on the other side from the centre: corners 1 and 3 or corners 0 and 2 */
                    int cut13 = (code == 5) == centre_above; /* code 5: corners 0, 2 above */
                    if (cut13) {
                        emit(&w, eq[0], er[0], eq[1], er[1]);
                        emit(&w, eq[2], er[2], eq[3], er[3]);
                    } else {
                        emit(&w, eq[3], er[3], eq[0], er[0]);
                        emit(&w, eq[1], er[1], eq[2], er[2]);
                    }
                    continue;
                }
                int e[2], m = 0;
                for (int j = 0; j < 4; j++) {
                    int crossed = j == 0 ? a0 != a1 : j == 1 ? a1 != a2 : j == 2 ? a3 != a2 : a0 != a3;
                    if (crossed) e[m++] = j;
                }
                emit(&w, eq[e[0]], er[e[0]], eq[e[1]], er[e[1]]);
            }
    }
    *n_points = w.n;
    return cap > 0 && w.n > w.cap ? DYN_ERR_BUFFER : DYN_OK;
}
