/* render3d.c - a z-buffered triangle rasteriser for height fields: perspective camera from cglm, supersampled. */
#include "render3d.h"

#include <math.h>
#include <string.h>

#include <cglm/cglm.h>

#define PI_F 3.14159265f

static int bad(double x) { return isnan(x) || isinf(x); }

typedef struct cam {
    mat4 mvp;
    vec3 eye, light;
    int w, h;     /* render size (supersampled) */
    float zs;     /* half box height */
} cam;

typedef struct opts {
    int w, h, ss, nc;
    double az, el, fov, dist, zs, vmin, vmax;
} opts;

static dyn_status resolve(const dyn_r3d_desc *d, opts *o)
{
    if (!d) return DYN_ERR_NULL;
    if (bad(d->azimuth) || bad(d->elevation) || bad(d->fov) || bad(d->distance) || bad(d->z_scale)) return DYN_ERR_NAN;
    o->w = d->width ? d->width : 800;
    o->h = d->height ? d->height : 600;
    if (o->w < DYN_R3D_MIN_SIDE || o->h < DYN_R3D_MIN_SIDE || o->w > DYN_R3D_MAX_SIDE || o->h > DYN_R3D_MAX_SIDE)
        return DYN_ERR_SIZE;
    o->az = d->azimuth;
    o->el = d->elevation;
    if (o->az == 0.0 && o->el == 0.0) o->az = -60.0, o->el = 30.0;
    o->fov = d->fov ? d->fov : 30.0;
    o->dist = d->distance ? d->distance : 6.0;
    o->zs = d->z_scale ? d->z_scale : 0.55;
    o->ss = d->supersample ? d->supersample : 2;
    o->nc = d->contours ? d->contours : 12;
    if (o->el < -89.0 || o->el > 89.0 || !(o->fov > 5.0 && o->fov < 120.0) || !(o->dist > 1.5 && o->dist <= 100.0) ||
        !(o->zs > 0.0 && o->zs <= 4.0) || o->ss < 1 || o->ss > 4 || o->nc > 100 || (int)d->cmap < 0 ||
        d->cmap >= DYN_CMAP_COUNT || d->npath < 0)
        return DYN_ERR_RANGE;
    if (d->npath > 0 && !d->path) return DYN_ERR_NULL;
    return DYN_OK;
}

static void make_cam(const opts *o, int w, int h, cam *c)
{
    float az = (float)o->az * PI_F / 180.0f, el = (float)o->el * PI_F / 180.0f, dist = (float)o->dist;
    c->zs = (float)o->zs;
    vec3 center = {0.0f, 0.0f, c->zs}, up = {0.0f, 0.0f, 1.0f};
    c->eye[0] = dist * cosf(el) * cosf(az);
    c->eye[1] = dist * cosf(el) * sinf(az);
    c->eye[2] = c->zs + dist * sinf(el);
    mat4 view, proj;
    glm_lookat(c->eye, center, up, view);
    glm_perspective((float)o->fov * PI_F / 180.0f, (float)w / (float)h, 0.05f, 100.0f, proj);
    glm_mat4_mul(proj, view, c->mvp);
    /* light: from the viewer's side, raised and turned left, so slopes facing the viewer read clearly */
    vec3 l = {c->eye[0] - c->eye[1] * 0.6f, c->eye[1] + c->eye[0] * 0.6f, c->eye[2] + 2.5f};
    glm_vec3_normalize(l);
    glm_vec3_copy(l, c->light);
    c->w = w;
    c->h = h;
}

/* box point -> screen (x, y in px), ndc depth, 1/w; returns 0 behind the camera */
static int project(const cam *c, float x, float y, float z, float out[4])
{
    vec4 p = {x, y, z, 1.0f}, q;
    glm_mat4_mulv((vec4 *)c->mvp, p, q);
    if (!(q[3] > 1e-6f)) return 0;
    float iw = 1.0f / q[3];
    out[0] = (q[0] * iw + 1.0f) * 0.5f * (float)c->w;
    out[1] = (1.0f - q[1] * iw) * 0.5f * (float)c->h;
    out[2] = q[2] * iw;
    out[3] = iw;
    return 1;
}

/* One grid vertex after projection. 8 floats (32 bytes): dyn_r3d_scratch_bytes counts on that. */
typedef struct vert {
    float sx, sy, iw, pad; /* screen position, 1/w (w = the view depth) */
    float t;               /* normalised height in [0, 1], NaN for a hole */
    float n[3];            /* surface normal */
} vert;

size_t dyn_r3d_scratch_bytes(const dyn_r3d_desc *d, int nx, int ny)
{
    opts o;
    if (resolve(d, &o) || nx < 2 || ny < 2 || nx > DYN_R3D_MAX_GRID || ny > DYN_R3D_MAX_GRID) return 0;
    uint64_t W = (uint64_t)o.w * (uint64_t)o.ss, H = (uint64_t)o.h * (uint64_t)o.ss;
    uint64_t bytes = W * H * 8 + (uint64_t)nx * (uint64_t)ny * sizeof(vert) + 64;
    return bytes < (uint64_t)DYN_R3D_MAX_BYTES ? (size_t)bytes : 0;
}

static void put(uint8_t *px, const uint8_t c[4], float a)
{
    for (int k = 0; k < 3; k++) px[k] = (uint8_t)((float)px[k] * (1.0f - a) + (float)c[k] * a + 0.5f);
}

/* A thick line segment with a depth test against the view depths in zb. 1/w is affine in screen space, so the
 * depth of the point at screen fraction u is 1 / ((1 - u) / w_a + u / w_b), exact for the 3-D segment; bias (in
 * box units, along the view) lets a line lying on the surface win against the surface it lies on, and nothing
 * nearer than that. */
static void line3(const cam *c, float *zb, uint8_t *img, const float p0[3], const float p1[3], float width,
                  const uint8_t col[4], float bias)
{
    float a[4], b[4];
    if (!project(c, p0[0], p0[1], p0[2], a) || !project(c, p1[0], p1[1], p1[2], b)) return;
    float dx = b[0] - a[0], dy = b[1] - a[1], len = sqrtf(dx * dx + dy * dy);
    int steps = (int)(len * 2.0f) + 1;
    int r = (int)ceilf(width * 0.5f);
    for (int s = 0; s <= steps; s++) {
        float u = (float)s / (float)steps, x = a[0] + u * dx, y = a[1] + u * dy;
        float z = 1.0f / (a[3] + u * (b[3] - a[3])) - bias;
        int x0 = (int)floorf(x - (float)r), x1 = (int)ceilf(x + (float)r), y0 = (int)floorf(y - (float)r),
            y1 = (int)ceilf(y + (float)r);
        for (int yy = y0; yy <= y1; yy++) {
            if (yy < 0 || yy >= c->h) continue;
            for (int xx = x0; xx <= x1; xx++) {
                if (xx < 0 || xx >= c->w) continue;
                float ex = (float)xx + 0.5f - x, ey = (float)yy + 0.5f - y, dd = sqrtf(ex * ex + ey * ey);
                float cov = width * 0.5f + 0.5f - dd;
                if (cov <= 0.0f) continue;
                size_t i = (size_t)yy * c->w + xx;
                if (z > zb[i]) continue;
                put(img + 4 * i, col, cov > 1.0f ? 1.0f : cov);
            }
        }
    }
}

/* The normalised height of the rendered surface at grid position (fq, fr) (column, row; fractional): the
 * surface is two planar triangles per cell, {00, 01, 11} and {00, 11, 10}, so this is exactly what was drawn. */
static double surface_t(const vert *vs, int nx, int ny, double fq, double fr)
{
    int q0 = (int)fq, r0 = (int)fr;
    if (q0 > nx - 2) q0 = nx - 2;
    if (r0 > ny - 2) r0 = ny - 2;
    double ex = fq - q0, ey = fr - r0;
    double t00 = (double)vs[(size_t)r0 * nx + q0].t, t01 = (double)vs[(size_t)r0 * nx + q0 + 1].t;
    double t10 = (double)vs[(size_t)(r0 + 1) * nx + q0].t, t11 = (double)vs[(size_t)(r0 + 1) * nx + q0 + 1].t;
    return ex >= ey ? t00 + ex * (t01 - t00) + ey * (t11 - t01) : t00 + ey * (t10 - t00) + ex * (t11 - t10);
}

static float norm_height(double v, double lo, double hi, int lg)
{
    if (isnan(v)) return NAN;
    if (lg) {
        if (!(v > 0.0)) return NAN;
        v = log10(v);
    }
    double t = (v - lo) / (hi - lo);
    return (float)(t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t));
}

dyn_status dyn_r3d_surface(const dyn_r3d_desc *d, const float *grid, int nx, int ny, uint8_t *rgba, size_t rgba_len,
                           void *scratch, size_t scratch_len)
{
    opts o;
    dyn_status st = resolve(d, &o);
    if (st) return st;
    if (!grid || !rgba || !scratch) return DYN_ERR_NULL;
    if (nx < 2 || ny < 2 || nx > DYN_R3D_MAX_GRID || ny > DYN_R3D_MAX_GRID) return DYN_ERR_SIZE;
    size_t need = dyn_r3d_scratch_bytes(d, nx, ny);
    if (!need) return DYN_ERR_SIZE; /* the supersampled picture would take 2^31 bytes or more */
    if (rgba_len < (size_t)4 * o.w * o.h || scratch_len < need) return DYN_ERR_BUFFER;
    /* the range */
    double lo = d->vmin, hi = d->vmax;
    if (isnan(lo) || isnan(hi) || (lo == 0.0 && hi == 0.0)) {
        lo = (double)INFINITY, hi = -(double)INFINITY;
        for (size_t i = 0; i < (size_t)nx * ny; i++) {
            double v = (double)grid[i];
            if (isnan(v) || isinf(v) || (d->log_scale && !(v > 0.0))) continue;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        if (!(hi >= lo)) lo = d->log_scale ? 1.0 : 0.0, hi = d->log_scale ? 10.0 : 1.0;
        if (hi == lo) hi = lo + (d->log_scale ? lo : 1.0);
    } else if (bad(lo) || bad(hi)) {
        return DYN_ERR_NAN;
    }
    if (!(hi > lo) || (d->log_scale && !(lo > 0.0))) return DYN_ERR_RANGE;
    if (d->log_scale) lo = log10(lo), hi = log10(hi);

    int W = o.w * o.ss, H = o.h * o.ss;
    cam c;
    make_cam(&o, W, H, &c);
    uintptr_t base = ((uintptr_t)scratch + 15u) & ~(uintptr_t)15u;
    float *zb = (float *)base;
    uint8_t *img = (uint8_t *)(zb + (size_t)W * H);
    vert *vs = (vert *)(img + (size_t)4 * W * H);
    for (size_t i = 0; i < (size_t)W * H; i++) {
        zb[i] = INFINITY;
        img[4 * i] = img[4 * i + 1] = img[4 * i + 2] = 255;
        img[4 * i + 3] = 255;
    }
    /* vertices: position, height, normal from central differences of the height field */
    float zs2 = 2.0f * c.zs, dxg = 2.0f / (float)(nx - 1), dyg = 2.0f / (float)(ny - 1);
    for (int r = 0; r < ny; r++)
        for (int q = 0; q < nx; q++) {
            vert *v = vs + (size_t)r * nx + q;
            v->t = norm_height((double)grid[(size_t)r * nx + q], lo, hi, d->log_scale);
            float x = -1.0f + dxg * (float)q, y = 1.0f - dyg * (float)r, z = isnan(v->t) ? 0.0f : v->t * zs2, p[4] = {0, 0, 0, 0};
            if (!project(&c, x, y, z, p)) p[3] = NAN;
            v->sx = p[0], v->sy = p[1], v->iw = p[3], v->pad = 0.0f;
        }
    for (int r = 0; r < ny; r++)
        for (int q = 0; q < nx; q++) {
            vert *v = vs + (size_t)r * nx + q;
            int ql = q > 0 ? q - 1 : q, qr = q < nx - 1 ? q + 1 : q, ru = r > 0 ? r - 1 : r, rd = r < ny - 1 ? r + 1 : r;
            float hl = vs[(size_t)r * nx + ql].t, hr = vs[(size_t)r * nx + qr].t;
            float hu = vs[(size_t)ru * nx + q].t, hd = vs[(size_t)rd * nx + q].t;
            if (isnan(hl) || isnan(hr)) hl = hr = v->t;
            if (isnan(hu) || isnan(hd)) hu = hd = v->t;
            /* dz/dx and dz/dy in box units (y grows upward = toward row 0) */
            float gx = (hr - hl) * zs2 / ((float)(qr - ql) * dxg + 1e-30f), gy = (hu - hd) * zs2 / ((float)(rd - ru) * dyg + 1e-30f);
            if (qr == ql) gx = 0.0f;
            if (rd == ru) gy = 0.0f;
            vec3 n = {-gx, -gy, 1.0f};
            glm_vec3_normalize(n);
            v->n[0] = n[0], v->n[1] = n[1], v->n[2] = n[2];
        }
    /* triangles */
    uint8_t cl[4];
    for (int r = 0; r + 1 < ny; r++)
        for (int q = 0; q + 1 < nx; q++) {
            const vert *v00 = vs + (size_t)r * nx + q, *v01 = v00 + 1, *v10 = v00 + nx, *v11 = v10 + 1;
            const vert *tri[2][3] = {{v00, v01, v11}, {v00, v11, v10}};
            for (int k = 0; k < 2; k++) {
                const vert *A = tri[k][0], *B = tri[k][1], *C = tri[k][2];
                if (isnan(A->t) || isnan(B->t) || isnan(C->t) || isnan(A->iw) || isnan(B->iw) || isnan(C->iw)) continue;
                float area = (B->sx - A->sx) * (C->sy - A->sy) - (B->sy - A->sy) * (C->sx - A->sx);
                if (fabsf(area) < 1e-9f) continue;
                /* contour parameter c = t * (nc + 1): its screen-space gradient (affine approximation) */
                float ca = A->t * (float)(o.nc + 1), cb = B->t * (float)(o.nc + 1), cc = C->t * (float)(o.nc + 1);
                float gxs = ((cb - ca) * (C->sy - A->sy) - (cc - ca) * (B->sy - A->sy)) / area;
                float gys = ((cc - ca) * (B->sx - A->sx) - (cb - ca) * (C->sx - A->sx)) / area;
                float gl = sqrtf(gxs * gxs + gys * gys);
                int x0 = (int)floorf(fminf(A->sx, fminf(B->sx, C->sx))), x1 = (int)ceilf(fmaxf(A->sx, fmaxf(B->sx, C->sx)));
                int y0 = (int)floorf(fminf(A->sy, fminf(B->sy, C->sy))), y1 = (int)ceilf(fmaxf(A->sy, fmaxf(B->sy, C->sy)));
                if (x0 < 0) x0 = 0;
                if (y0 < 0) y0 = 0;
                if (x1 > W - 1) x1 = W - 1;
                if (y1 > H - 1) y1 = H - 1;
                for (int yy = y0; yy <= y1; yy++)
                    for (int xx = x0; xx <= x1; xx++) {
                        float px = (float)xx + 0.5f, py = (float)yy + 0.5f;
                        float w0 = ((B->sx - px) * (C->sy - py) - (B->sy - py) * (C->sx - px)) / area;
                        float w1 = ((C->sx - px) * (A->sy - py) - (C->sy - py) * (A->sx - px)) / area;
                        float w2 = 1.0f - w0 - w1;
                        if (w0 < -1e-5f || w1 < -1e-5f || w2 < -1e-5f) continue;
                        /* 1/w is affine in screen space: the view depth, and perspective-correct height and normal */
                        float p0 = w0 * A->iw, p1 = w1 * B->iw, p2 = w2 * C->iw, ps = p0 + p1 + p2;
                        float z = 1.0f / ps;
                        size_t i = (size_t)yy * W + xx;
                        if (!(z < zb[i])) continue;
                        zb[i] = z;
                        float t = (p0 * A->t + p1 * B->t + p2 * C->t) / ps;
                        vec3 n = {(p0 * A->n[0] + p1 * B->n[0] + p2 * C->n[0]) / ps,
                                  (p0 * A->n[1] + p1 * B->n[1] + p2 * C->n[1]) / ps,
                                  (p0 * A->n[2] + p1 * B->n[2] + p2 * C->n[2]) / ps};
                        glm_vec3_normalize(n);
                        float lam = fabsf(glm_vec3_dot(n, c.light));
                        float shade = 0.45f + 0.55f * lam;
                        dyn_cmap_color(d->cmap, (double)t, cl);
                        uint8_t *o8 = img + 4 * i;
                        for (int ch = 0; ch < 3; ch++) {
                            float v = (float)cl[ch] * shade;
                            o8[ch] = (uint8_t)(v > 255.0f ? 255.0f : v + 0.5f);
                        }
                        if (o.nc > 0 && gl > 0.0f) {
                            float cv = t * (float)(o.nc + 1), k0 = floorf(cv + 0.5f);
                            if (k0 >= 1.0f && k0 <= (float)o.nc) {
                                float dist = fabsf(cv - k0) / gl, half = 0.6f * (float)o.ss;
                                if (dist < half + 0.5f) {
                                    static const uint8_t dark[4] = {25, 25, 25, 255};
                                    float a = half + 0.5f - dist;
                                    put(o8, dark, 0.7f * (a > 1.0f ? 1.0f : a));
                                }
                            }
                        }
                    }
            }
        }
    /* base frame */
    static const uint8_t grey[4] = {120, 120, 120, 255};
    float corner[4][3] = {{-1, -1, 0}, {1, -1, 0}, {1, 1, 0}, {-1, 1, 0}};
    for (int k = 0; k < 4; k++) line3(&c, zb, img, corner[k], corner[(k + 1) % 4], 1.0f * (float)o.ss, grey, 0.0f);
    /* The path, lifted onto the surface. Each step between path points is cut into pieces of at most a quarter
     * cell, each end placed on the drawn triangles, so the line follows the surface over ridges and valleys and
     * the depth test hides it behind nearer parts of the surface (a chord between far-apart points would cut
     * through a ridge, or float above a valley in front of what should hide it). */
    if (d->npath > 1 && d->a_max > d->a_min && d->b_max > d->b_min) {
        uint8_t pc[4] = {d->path_rgba[0], d->path_rgba[1], d->path_rgba[2], d->path_rgba[3]};
        int dflt = !pc[0] && !pc[1] && !pc[2] && !pc[3];
        if (dflt) pc[0] = pc[1] = pc[2] = pc[3] = 255;
        static const uint8_t outline[4] = {20, 20, 20, 255};
        float lift = 0.01f * zs2, bias = 0.02f;
        int maxcut = 4 * (nx > ny ? nx : ny);
        for (int pass = dflt ? 0 : 1; pass < 2; pass++) {
            float lw = (pass == 0 ? 3.2f : 1.8f) * (float)o.ss;
            const uint8_t *lc = pass == 0 ? outline : pc;
            double pu = 0.0, pv = 0.0;
            int have = 0;
            for (int i = 0; i < d->npath; i++) {
                double a = d->path[2 * i], b = d->path[2 * i + 1];
                double u = (a - d->a_min) / (d->a_max - d->a_min), v = (d->b_max - b) / (d->b_max - d->b_min);
                if (!(u >= 0.0 && u <= 1.0 && v >= 0.0 && v <= 1.0)) {
                    have = 0;
                    continue;
                }
                if (have) {
                    double span = fmax(fabs(u - pu) * (nx - 1), fabs(v - pv) * (ny - 1));
                    int cuts = (int)ceil(4.0 * span);
                    if (cuts < 1) cuts = 1;
                    if (cuts > maxcut) cuts = maxcut;
                    float prev[3];
                    int ok = 0;
                    for (int k = 0; k <= cuts; k++) {
                        double f = (double)k / cuts, uu = pu + f * (u - pu), vv = pv + f * (v - pv);
                        double th = surface_t(vs, nx, ny, uu * (nx - 1), vv * (ny - 1));
                        if (isnan(th)) {
                            ok = 0;
                            continue;
                        }
                        float p[3] = {(float)(-1.0 + 2.0 * uu), (float)(1.0 - 2.0 * vv), (float)th * zs2 + lift};
                        if (ok) line3(&c, zb, img, prev, p, lw, lc, bias);
                        memcpy(prev, p, sizeof prev);
                        ok = 1;
                    }
                }
                pu = u, pv = v;
                have = 1;
            }
        }
    }
    /* downsample: box filter */
    for (int y = 0; y < o.h; y++)
        for (int x = 0; x < o.w; x++) {
            unsigned acc[3] = {0, 0, 0};
            for (int sy = 0; sy < o.ss; sy++)
                for (int sx = 0; sx < o.ss; sx++) {
                    const uint8_t *s = img + 4 * ((size_t)(y * o.ss + sy) * W + (size_t)(x * o.ss + sx));
                    acc[0] += s[0], acc[1] += s[1], acc[2] += s[2];
                }
            unsigned n = (unsigned)(o.ss * o.ss);
            uint8_t *p = rgba + 4 * ((size_t)y * o.w + x);
            p[0] = (uint8_t)((acc[0] + n / 2) / n);
            p[1] = (uint8_t)((acc[1] + n / 2) / n);
            p[2] = (uint8_t)((acc[2] + n / 2) / n);
            p[3] = 255;
        }
    return DYN_OK;
}

dyn_status dyn_r3d_project(const dyn_r3d_desc *d, double u, double v, double h, double *px, double *py, double *depth)
{
    opts o;
    dyn_status st = resolve(d, &o);
    if (st) return st;
    if (!px || !py) return DYN_ERR_NULL;
    if (bad(u) || bad(v) || bad(h)) return DYN_ERR_NAN;
    cam c;
    make_cam(&o, o.w, o.h, &c);
    float p[4];
    if (!project(&c, (float)(-1.0 + 2.0 * u), (float)(1.0 - 2.0 * v), (float)h * 2.0f * c.zs, p))
        return DYN_ERR_NO_SOLUTION;
    *px = (double)p[0];
    *py = (double)p[1];
    if (depth) *depth = 1.0 / (double)p[3];
    return DYN_OK;
}
