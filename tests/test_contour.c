/* test_contour.c - marching squares and contour levels against lines known in closed form (planes, a cone,
 * a saddle), the NaN/inf rule, exact joins between cells, and argument checks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "contour.h"

#define PI 3.14159265358979323846

/* A plane v = column index: the level 2.5 is the vertical line x = 2.5, one segment per row of cells. */
static void test_plane(void)
{
    enum { NX = 6, NY = 4 };
    float g[NX * NY];
    for (int r = 0; r < NY; r++)
        for (int q = 0; q < NX; q++) g[r * NX + q] = (float)q;
    double lev = 2.5, x[64], y[64];
    size_t n;
    CHECK(dyn_contour(g, NX, NY, NULL, &lev, 1, NULL, NULL, 0, &n) == DYN_OK && n == 3 * (NY - 1), "count: %zu", n);
    CHECK(dyn_contour(g, NX, NY, NULL, &lev, 1, x, y, 64, &n) == DYN_OK, "plane");
    int good = 1;
    for (size_t i = 0; i < n; i += 3) good &= x[i] == 2.5 && x[i + 1] == 2.5 && isnan(x[i + 2]) && isnan(y[i + 2]);
    CHECK(good, "every segment on x = 2.5, NaN-separated");
    /* the box maps columns to x and rows to y, row 0 on top: the segment of the top row of cells spans y 10..9 */
    dyn_contour_box b = {.x0 = -1, .x1 = 1, .y0 = 7, .y1 = 10};
    CHECK(dyn_contour(g, NX, NY, &b, &lev, 1, x, y, 64, &n) == DYN_OK, "plane in a box");
    CHECK(fabs(x[0] - 0.0) < 1e-15 && fabs(y[0] - 10.0) < 1e-15 && fabs(y[1] - 9.0) < 1e-15,
          "x = -1 + 2 * 2.5/5 = 0; first segment from y = 10 to 9: (%g, %g)-(%g, %g)", x[0], y[0], x[1], y[1]);
}

/* A cone v = |(x, y)| sampled on [-1, 1]^2: the level r is the circle of radius r. Linear interpolation along an
 * edge puts points within h^2 / r of it; the segments close up (every end point is another segment's start, bit
 * for bit) and their length is 2 pi r to O(h^2). */
static void test_cone(void)
{
    enum { N = 101 };
    float *g = malloc(sizeof(float) * N * N);
    double h = 2.0 / (N - 1);
    for (int r = 0; r < N; r++)
        for (int q = 0; q < N; q++) {
            double px = -1 + h * q, py = 1 - h * r;
            g[r * N + q] = (float)sqrt(px * px + py * py);
        }
    dyn_contour_box b = {.x0 = -1, .x1 = 1, .y0 = -1, .y1 = 1};
    double lev = 0.6;
    size_t n, cap;
    CHECK(dyn_contour(g, N, N, &b, &lev, 1, NULL, NULL, 0, &n) == DYN_OK, "count");
    cap = n;
    double *x = malloc(sizeof(double) * cap), *y = malloc(sizeof(double) * cap);
    CHECK(dyn_contour(g, N, N, &b, &lev, 1, x, y, cap, &n) == DYN_OK && n == cap, "fill");
    double worst = 0, len = 0;
    int unmatched = 0;
    for (size_t i = 0; i < n; i += 3) {
        for (int e = 0; e < 2; e++) worst = fmax(worst, fabs(hypot(x[i + e], y[i + e]) - lev));
        len += hypot(x[i + 1] - x[i], y[i + 1] - y[i]);
        int found = 0; /* the end point is some other segment's start or end */
        for (size_t j = 0; j < n && !found; j += 3)
            found = j != i && ((x[j] == x[i + 1] && y[j] == y[i + 1]) || (x[j + 1] == x[i + 1] && y[j + 1] == y[i + 1]));
        unmatched += !found;
    }
    printf("cone: %zu segments, worst distance from the circle %.2e, length %.6f vs 2 pi r = %.6f\n", n / 3, worst,
           len, 2 * PI * lev);
    CHECK(worst < h * h / lev, "points within h^2/r = %.2e of the circle: %.2e", h * h / lev, worst);
    CHECK(fabs(len - 2 * PI * lev) < 2 * h * h / lev * 2 * PI, "length %.8f vs %.8f", len, 2 * PI * lev);
    CHECK(unmatched == 0, "a closed curve: %d segment ends meet no other segment", unmatched);
    /* a smaller buffer: DYN_ERR_BUFFER, the count still given, the first segments written */
    size_t n2;
    CHECK(dyn_contour(g, N, N, &b, &lev, 1, x, y, 7, &n2) == DYN_ERR_BUFFER && n2 == n, "short buffer");
    free(x), free(y), free(g);
}

/* Non-finite corners: no segment in a cell that has one (the CLI's PNG and the page both leave a gap). */
static void test_holes(void)
{
    enum { NX = 5, NY = 5 };
    float g[NX * NY];
    for (int i = 0; i < NX * NY; i++) g[i] = (float)(i % NX);
    double lev = 1.5, x[300], y[300];
    size_t full, n;
    dyn_contour(g, NX, NY, NULL, &lev, 1, x, y, 300, &full);
    g[2 * NX + 1] = NAN; /* a corner of 4 cells, 2 of them crossed by x = 1.5 */
    CHECK(dyn_contour(g, NX, NY, NULL, &lev, 1, x, y, 300, &n) == DYN_OK && n == full - 6,
          "NaN: two segments fewer (%zu of %zu points)", n, full);
    int finite = 1;
    for (size_t i = 0; i < n; i++) finite &= (i % 3 == 2) || (isfinite(x[i]) && isfinite(y[i]));
    CHECK(finite, "no NaN or infinite coordinate inside a segment");
    g[2 * NX + 1] = INFINITY;
    CHECK(dyn_contour(g, NX, NY, NULL, &lev, 1, x, y, 300, &n) == DYN_OK && n == full - 6, "inf as NaN");
    double nanlev[2] = {NAN, 1.5};
    CHECK(dyn_contour(g, NX, NY, NULL, nanlev, 2, x, y, 300, &n) == DYN_OK && n == full - 6, "a NaN level is skipped");
}

/* The saddle [1 0; 0 1] (corners top-left and bottom-right above): at level 0.5 the mean 0.5 is above, so the
 * above corners join through the centre and the segments cut off the top-right and bottom-left corners; at 0.6
 * the mean is below, so they cut off the top-left and bottom-right corners. Worked by hand. */
static void test_saddle(void)
{
    float g[4] = {1, 0, 0, 1};
    double x[6], y[6], lev = 0.5;
    size_t n;
    CHECK(dyn_contour(g, 2, 2, NULL, &lev, 1, x, y, 6, &n) == DYN_OK && n == 6, "saddle: two segments");
    /* rows count from the bottom with the default box: row 0 is y = 1 */
    CHECK(x[0] == 0.5 && y[0] == 1 && x[1] == 1 && y[1] == 0.5, "cut off top-right: (%g,%g)-(%g,%g)", x[0], y[0], x[1], y[1]);
    CHECK(x[3] == 0.5 && y[3] == 0 && x[4] == 0 && y[4] == 0.5, "cut off bottom-left: (%g,%g)-(%g,%g)", x[3], y[3], x[4], y[4]);
    lev = 0.6;
    CHECK(dyn_contour(g, 2, 2, NULL, &lev, 1, x, y, 6, &n) == DYN_OK && n == 6, "saddle at 0.6");
    CHECK(fabs(x[0] - 0) < 1e-15 && fabs(y[0] - 0.6) < 1e-15 && fabs(x[1] - 0.4) < 1e-15 && y[1] == 1,
          "cut off top-left: (%g,%g)-(%g,%g)", x[0], y[0], x[1], y[1]);
}

static void test_levels(void)
{
    double l[3];
    CHECK(dyn_contour_levels(0, 1, 0, 3, l) == DYN_OK && l[0] == 0.25 && l[1] == 0.5 && l[2] == 0.75, "linear");
    CHECK(dyn_contour_levels(1, 1000, 1, 2, l) == DYN_OK && fabs(l[0] - 10) < 1e-12 && fabs(l[1] - 100) < 1e-12,
          "log: 10, 100 (%g, %g)", l[0], l[1]);
    CHECK(dyn_contour_levels(0, 1, 1, 2, l) == DYN_ERR_RANGE, "log needs vmin > 0");
    CHECK(dyn_contour_levels(1, 1, 0, 2, l) == DYN_ERR_RANGE, "empty range");
    CHECK(dyn_contour_levels(NAN, 1, 0, 2, l) == DYN_ERR_NAN, "NaN");
    CHECK(dyn_contour_levels(0, 1, 0, 0, l) == DYN_ERR_SIZE, "n = 0");
    float g[4] = {0};
    size_t n;
    double lev = 0;
    CHECK(dyn_contour(g, 1, 2, NULL, &lev, 1, NULL, NULL, 0, &n) == DYN_ERR_SIZE, "one column");
    dyn_contour_box b = {.x0 = 1, .x1 = 1, .y0 = 0, .y1 = 1};
    CHECK(dyn_contour(g, 2, 2, &b, &lev, 1, NULL, NULL, 0, &n) == DYN_ERR_RANGE, "empty box");
    b.x1 = NAN;
    CHECK(dyn_contour(g, 2, 2, &b, &lev, 1, NULL, NULL, 0, &n) == DYN_ERR_NAN, "NaN box");
    CHECK(dyn_contour(NULL, 2, 2, NULL, &lev, 1, NULL, NULL, 0, &n) == DYN_ERR_NULL, "NULL grid");
    CHECK(dyn_contour(g, 2, 2, NULL, &lev, 1, NULL, NULL, 3, &n) == DYN_ERR_NULL, "cap without buffers");
}

int main(void)
{
    test_plane();
    test_cone();
    test_holes();
    test_saddle();
    test_levels();
    return check_summary("test_contour");
}
