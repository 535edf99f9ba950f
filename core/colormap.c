/* colormap.c - colormaps as piecewise-linear ramps between published anchor colours, and robust colour ranges. */
#include "colormap.h"

#include <math.h>

/* Viridis (van der Walt and Smith, matplotlib 1.5; released CC0) sampled at t = 0, 1/8, ..., 1. The full map is
 * a 256-entry table; nine anchors interpolated linearly in sRGB stay within a few units of it per channel and
 * keep its CIE L* strictly increasing, which is what matters for reading a heatmap. */
static const uint8_t viridis_anchors[][3] = {
    {0x44, 0x01, 0x54}, {0x47, 0x2d, 0x7b}, {0x3b, 0x52, 0x8b}, {0x2c, 0x72, 0x8e}, {0x21, 0x91, 0x8c},
    {0x28, 0xae, 0x80}, {0x5e, 0xc9, 0x62}, {0xad, 0xdc, 0x30}, {0xfd, 0xe7, 0x25},
};

/* ColorBrewer 2.0 RdBu, 11 classes (Cynthia A. Brewer, Pennsylvania State University, colorbrewer2.org;
 * Apache-2.0), listed reversed so that low values are blue and high values red, the physics convention. */
static const uint8_t rdbu_anchors[][3] = {
    {0x05, 0x30, 0x61}, {0x21, 0x66, 0xac}, {0x43, 0x93, 0xc3}, {0x92, 0xc5, 0xde}, {0xd1, 0xe5, 0xf0},
    {0xf7, 0xf7, 0xf7}, {0xfd, 0xdb, 0xc7}, {0xf4, 0xa5, 0x82}, {0xd6, 0x60, 0x4d}, {0xb2, 0x18, 0x2b},
    {0x67, 0x00, 0x1f},
};

/* ColorBrewer 2.0 Greys, 9 classes (same source and licence as RdBu). */
static const uint8_t greys_anchors[][3] = {
    {0xff, 0xff, 0xff}, {0xf0, 0xf0, 0xf0}, {0xd9, 0xd9, 0xd9}, {0xbd, 0xbd, 0xbd}, {0x96, 0x96, 0x96},
    {0x73, 0x73, 0x73}, {0x52, 0x52, 0x52}, {0x25, 0x25, 0x25}, {0x00, 0x00, 0x00},
};

static const char *const cmap_names[DYN_CMAP_COUNT] = {"viridis", "rdbu", "greys"};

const char *dyn_cmap_name(dyn_cmap c)
{
    if ((int)c < 0 || c >= DYN_CMAP_COUNT) return "unknown";
    return cmap_names[c];
}

static int lower(int ch) { return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch; }

static int name_eq(const char *a, const char *b)
{
    while (*a && *b) {
        if (lower((unsigned char)*a) != lower((unsigned char)*b)) return 0;
        a++;
        b++;
    }
    return *a == *b;
}

dyn_status dyn_cmap_parse(const char *name, dyn_cmap *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < DYN_CMAP_COUNT; i++) {
        if (name_eq(name, cmap_names[i])) {
            *out = (dyn_cmap)i;
            return DYN_OK;
        }
    }
    if (name_eq(name, "grays")) {
        *out = DYN_CMAP_GREYS;
        return DYN_OK;
    }
    return DYN_ERR_UNKNOWN_NAME;
}

static void set_nan_grey(uint8_t *rgba)
{
    rgba[0] = DYN_CMAP_NAN_R;
    rgba[1] = DYN_CMAP_NAN_G;
    rgba[2] = DYN_CMAP_NAN_B;
    rgba[3] = 255;
}

/* t must already be in [0, 1]. */
static void ramp(const uint8_t (*anchors)[3], int count, double t, uint8_t *rgba)
{
    double pos = t * (double)(count - 1);
    int i = (int)pos;
    if (i >= count - 1) i = count - 2;
    double f = pos - (double)i;
    for (int k = 0; k < 3; k++) {
        double a = anchors[i][k], b = anchors[i + 1][k];
        double x = a + (b - a) * f + 0.5;
        rgba[k] = (uint8_t)(x < 0.0 ? 0.0 : x > 255.0 ? 255.0 : x);
    }
    rgba[3] = 255;
}

static void color_unchecked(dyn_cmap c, double t, uint8_t *rgba)
{
    if (isnan(t)) {
        set_nan_grey(rgba);
        return;
    }
    if (t < 0.0) t = 0.0;
    if (t > 1.0) t = 1.0;
    switch (c) {
    case DYN_CMAP_RDBU: ramp(rdbu_anchors, (int)(sizeof rdbu_anchors / sizeof rdbu_anchors[0]), t, rgba); break;
    case DYN_CMAP_GREYS: ramp(greys_anchors, (int)(sizeof greys_anchors / sizeof greys_anchors[0]), t, rgba); break;
    case DYN_CMAP_VIRIDIS:
    case DYN_CMAP_COUNT:
    default: ramp(viridis_anchors, (int)(sizeof viridis_anchors / sizeof viridis_anchors[0]), t, rgba); break;
    }
}

dyn_status dyn_cmap_color(dyn_cmap c, double t, uint8_t rgba[4])
{
    if (!rgba) return DYN_ERR_NULL;
    if ((int)c < 0 || c >= DYN_CMAP_COUNT) return DYN_ERR_RANGE;
    color_unchecked(c, t, rgba);
    return DYN_OK;
}

dyn_status dyn_cmap_apply(dyn_cmap c, const float *v, size_t n, double vmin, double vmax, int log_scale,
                          uint8_t *rgba_out)
{
    if ((n > 0 && !v) || !rgba_out) return DYN_ERR_NULL;
    if ((int)c < 0 || c >= DYN_CMAP_COUNT) return DYN_ERR_RANGE;
    if (!isfinite(vmin) || !isfinite(vmax)) return DYN_ERR_NAN;
    if (!(vmin < vmax)) return DYN_ERR_RANGE;
    if (log_scale && !(vmin > 0.0)) return DYN_ERR_RANGE;
    double lo = log_scale ? log(vmin) : vmin;
    double span = (log_scale ? log(vmax) : vmax) - lo;
    if (!(span > 0.0) || !isfinite(span)) return DYN_ERR_RANGE;
    double inv = 1.0 / span;
    for (size_t i = 0; i < n; i++) {
        double x = (double)v[i];
        double t;
        if (isnan(x) || (log_scale && !(x > 0.0))) {
            set_nan_grey(rgba_out + 4 * i);
            continue;
        }
        t = ((log_scale ? log(x) : x) - lo) * inv;
        color_unchecked(c, t, rgba_out + 4 * i); /* +-inf give t = +-inf, clamped to the end colours */
    }
    return DYN_OK;
}

/* Quickselect (Hoare partition, median-of-three pivot): afterwards a[k] is the k-th smallest, everything left
 * of k is <= a[k] and everything right of it is >= a[k]. */
static void select_kth(float *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        float t;
        if (a[mid] < a[lo]) { t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
        if (a[hi] < a[lo]) { t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
        if (a[hi] < a[mid]) { t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
        float pivot = a[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                t = a[i]; a[i] = a[j]; a[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        /* now [lo, j] <= pivot <= [i, hi], and j < i */
        if (k <= j && j != (size_t)-1) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

/* The p-quantile (0..1) of a[0..m-1], reordering a. */
static double quantile(float *a, size_t m, double p)
{
    double pos = p * (double)(m - 1);
    size_t k = (size_t)pos;
    double f = pos - (double)k;
    select_kth(a, m, k);
    double lo = (double)a[k];
    if (f <= 0.0 || k + 1 >= m) return lo;
    float next = a[k + 1]; /* the (k+1)-th smallest is the minimum of the part right of k */
    for (size_t i = k + 2; i < m; i++)
        if (a[i] < next) next = a[i];
    return lo + ((double)next - lo) * f;
}

dyn_status dyn_cmap_auto_range(const float *v, size_t n, int log_scale, double *vmin, double *vmax,
                               float *scratch)
{
    if (!v || !vmin || !vmax || !scratch) return DYN_ERR_NULL;
    if (n == 0) return DYN_ERR_SIZE;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        float x = v[i];
        if (!isfinite(x) || (log_scale && !(x > 0.0f))) continue;
        scratch[m++] = x;
    }
    if (m == 0) {
        *vmin = log_scale ? 1.0 : 0.0;
        *vmax = log_scale ? 10.0 : 1.0;
        return DYN_ERR_NAN;
    }
    double hi = quantile(scratch, m, 0.99);
    double lo = quantile(scratch, m, 0.01);
    if (!(lo < hi)) {
        double a = lo;
        if (log_scale) {
            lo = a / sqrt(10.0);
            hi = a * sqrt(10.0);
        } else {
            double h = fabs(a) > 1.0 ? 0.5 * fabs(a) : 0.5;
            lo = a - h;
            hi = a + h;
        }
    }
    *vmin = lo;
    *vmax = hi;
    return DYN_OK;
}
