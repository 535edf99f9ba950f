/* dynw.c - the WebAssembly adapter: the dynw_* functions wasm/dynlens-<module>.js call, thin wrappers over core/. */
/*
 * One section per core module, in this order: status, act, colormap, meanfield, then the sections reserved for
 * the demos being written (landscape: net/data/landscape/render3d; posterior: linalg/posterior). A section holds
 * its own #include, an index, the prototypes (these functions are called only from JavaScript, so no header
 * declares them) and the definitions. Its JavaScript side is wasm/dynlens-<module>.js, named in the section
 * header. Conventions every section follows:
 *   - every function returns a dyn_status unless its index line says otherwise;
 *   - outputs go to caller-owned buffers that the JS side mallocs, reads and frees (withBuffers);
 *   - every output buffer whose length is not an argument of the call itself (P of a net, D of a model, the
 *     blob's steps) comes with its length in elements, checked with fits() before anything is written;
 *   - sizes are int (emcc 3.1.6 without BigInt passes no 64-bit integer to JS: split a uint64_t seed into two
 *     uint32_t halves, as dynw_simulate does); a negative size is DYN_ERR_SIZE, an enum out of range DYN_ERR_RANGE;
 *   - a core struct that must outlive one call (a workspace) lives in a malloc'd handle with _create/_destroy.
 */
#include <emscripten/emscripten.h>
#include <stdint.h>
#include <stdlib.h>

#include "status.h"

/* A buffer of len elements (len from JS: negative is never enough) holds n elements; n is computed in 64 bits by
 * the caller, because size_t is 32 bits here and n d or 2 P products can pass 2^32. */
static int fits(int64_t len, uint64_t n) { return len >= 0 && (uint64_t)len >= n; }

/* ==== status (core/status.h) -> wasm/dynlens.js ============================================================
 *   dynw_status_str                     dyn_status_str: the message every thrown DynlensError carries
 */
const char *dynw_status_str(int s);

EMSCRIPTEN_KEEPALIVE const char *dynw_status_str(int s) { return dyn_status_str((dyn_status)s); }

/* ==== act (core/act.h) -> wasm/dynlens-act.js ===============================================================
 *   dynw_act_count, dynw_act_name, dynw_act_bounded   the activations by index (so JS keeps no copy)
 */
#include "act.h"

int dynw_act_count(void);
const char *dynw_act_name(int a);
int dynw_act_bounded(int a);

EMSCRIPTEN_KEEPALIVE int dynw_act_count(void) { return DYN_ACT_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_act_name(int a) { return dyn_act_name((dyn_act)a); }
EMSCRIPTEN_KEEPALIVE int dynw_act_bounded(int a) { return dyn_act_bounded((dyn_act)a); }

/* ==== colormap (core/colormap.h, contour.h) -> wasm/dynlens-colormap.js ======================================
 *   dynw_cmap_count, dynw_cmap_name     the colormaps by index
 *   dynw_cmap_apply                     values -> RGBA through a core colormap (the canvas and the CLI's PNG agree)
 *   dynw_cmap_auto_range                the robust colour range (1st..99th percentile)
 *   dynw_contour_levels, dynw_contour   contour levels and lines over a grid (the CLI's figures draw the same)
 */
#include "colormap.h"
#include "contour.h"

int dynw_cmap_count(void);
const char *dynw_cmap_name(int c);
int dynw_cmap_apply(int cmap, const float *v, int n, double vmin, double vmax, int log_scale, uint8_t *rgba);
int dynw_cmap_auto_range(const float *v, int n, int log_scale, double *out, float *scratch);
int dynw_contour_levels(double vmin, double vmax, int log_scale, int n, double *levels, int levels_len);
int dynw_contour(const float *grid, int grid_len, int nx, int ny, double x0, double x1, double y0, double y1,
                 const double *levels, int nlev, double *x, double *y, int cap, int *n_points);

EMSCRIPTEN_KEEPALIVE int dynw_cmap_count(void) { return DYN_CMAP_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_cmap_name(int c) { return dyn_cmap_name((dyn_cmap)c); }

/* rgba: 4 n bytes. NaN values get the colormap's "no data" colour. */
EMSCRIPTEN_KEEPALIVE int dynw_cmap_apply(int cmap, const float *v, int n, double vmin, double vmax, int log_scale,
                                         uint8_t *rgba)
{
    if (cmap < 0 || cmap >= DYN_CMAP_COUNT) return DYN_ERR_RANGE;
    if (n < 0) return DYN_ERR_SIZE;
    return dyn_cmap_apply((dyn_cmap)cmap, v, (size_t)n, vmin, vmax, log_scale, rgba);
}

/* out: vmin, vmax; scratch: n floats. */
EMSCRIPTEN_KEEPALIVE int dynw_cmap_auto_range(const float *v, int n, int log_scale, double *out, float *scratch)
{
    if (n < 0) return DYN_ERR_SIZE;
    if (!out) return DYN_ERR_NULL;
    return dyn_cmap_auto_range(v, (size_t)n, log_scale, &out[0], &out[1], scratch);
}

/* levels: n doubles (levels_len). */
EMSCRIPTEN_KEEPALIVE int dynw_contour_levels(double vmin, double vmax, int log_scale, int n, double *levels,
                                             int levels_len)
{
    if (n < 1 || !fits(levels_len, (uint64_t)n)) return DYN_ERR_SIZE;
    return dyn_contour_levels(vmin, vmax, log_scale, n, levels);
}

/* grid: nx ny floats (grid_len); x, y: cap doubles each (cap 0: count only); *n_points: the points all segments
 * need (3 per segment; capped at 2^31 - 1, which no buffer of the page's reaches). */
EMSCRIPTEN_KEEPALIVE int dynw_contour(const float *grid, int grid_len, int nx, int ny, double x0, double x1,
                                      double y0, double y1, const double *levels, int nlev, double *x, double *y,
                                      int cap, int *n_points)
{
    if (!n_points) return DYN_ERR_NULL;
    if (cap < 0 || nx < 0 || ny < 0) return DYN_ERR_SIZE;
    if (!fits(grid_len, (uint64_t)nx * (uint64_t)ny)) return DYN_ERR_BUFFER;
    size_t n = 0;
    dyn_contour_box b = {.x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1};
    dyn_status s = dyn_contour(grid, nx, ny, &b, levels, nlev, x, y, (size_t)cap, &n);
    *n_points = n > 0x7fffffff ? 0x7fffffff : (int)n;
    return s;
}

/* ==== meanfield (core/meanfield.h) -> wasm/dynlens-meanfield.js =============================================
 *   dynw_field_count, dynw_field_name, dynw_phase_name, dynw_point_doubles   names and sizes (JS keeps no copy)
 *   dynw_mf_create / dynw_mf_destroy    a dyn_mf and its workspace, malloc'd once per activation and instance
 *   dynw_point                          dyn_mf_solve into DYNW_POINT_DOUBLES doubles
 *   dynw_critical, dynw_critical_line   the critical sw2 (chi_1 = 1) at one or at n sb2 values
 *   dynw_grid                           a band of rows of a phase-diagram grid (one worker's tile)
 *   dynw_trajectory                     q^l, c^l and 1 - c^l for l = 0..depth
 *   dynw_maps                           one step of the length map at n q values and of the correlation map at
 *                                       n c values (the curves the cobweb panels draw)
 *   dynw_sim_scratch_doubles, dynw_simulate   finite-width random networks (seed split into two 32-bit halves)
 */
#include "meanfield.h"

#define DYNW_POINT_DOUBLES 12

typedef struct dynw_mf {
    dyn_mf mf;
    void *mem; /* the workspace dyn_mf points into */
} dynw_mf;

int dynw_field_count(void);
const char *dynw_field_name(int f);
const char *dynw_phase_name(int p);
int dynw_point_doubles(void);
int dynw_mf_create(int act, int order, dynw_mf **out);
void dynw_mf_destroy(dynw_mf *h);
int dynw_point(const dynw_mf *h, double sw2, double sb2, double *out);
int dynw_critical(const dynw_mf *h, double sb2, double *out);
int dynw_critical_line(const dynw_mf *h, double sb2_min, double sb2_max, int n, double *out);
int dynw_grid(const dynw_mf *h, int field, double sw2_min, double sw2_max, double sb2_min, double sb2_max, int nx,
              int ny, int row_begin, int row_end, float *out, int out_len);
int dynw_trajectory(const dynw_mf *h, double sw2, double sb2, double q0, double c0, int depth, double *q_out,
                    double *c_out, double *e_out);
int dynw_maps(const dynw_mf *h, double sw2, double sb2, const double *q_in, int nq, double *q_next, double q_c,
              const double *c_in, int nc, double *c_next);
int dynw_sim_scratch_doubles(int width);
int dynw_simulate(int act, int width, int depth, int seeds, uint32_t seed_lo, uint32_t seed_hi, double sw2,
                  double sb2, double q0, double c0, double *scratch, int scratch_len, double *q_mean, double *q_se,
                  double *c_mean, double *c_se, double *c_each);

EMSCRIPTEN_KEEPALIVE int dynw_field_count(void) { return DYN_MF_FIELD_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_field_name(int f) { return dyn_mf_field_name((dyn_mf_field)f); }
EMSCRIPTEN_KEEPALIVE const char *dynw_phase_name(int p) { return dyn_mf_phase_name((dyn_phase)p); }
EMSCRIPTEN_KEEPALIVE int dynw_point_doubles(void) { return DYNW_POINT_DOUBLES; }

/* *out receives the handle (NULL on failure). */
EMSCRIPTEN_KEEPALIVE int dynw_mf_create(int act, int order, dynw_mf **out)
{
    if (!out) return DYN_ERR_NULL;
    *out = NULL;
    if (act < 0 || act >= DYN_ACT_COUNT) return DYN_ERR_RANGE;
    dyn_mf_desc d = {.act = (dyn_act)act, .order = order};
    size_t bytes = dyn_mf_workspace_bytes(&d);
    if (bytes == 0) return DYN_ERR_RANGE;
    dynw_mf *h = malloc(sizeof *h);
    if (!h) return DYN_ERR_BUFFER;
    h->mem = malloc(bytes); /* malloc aligns to 8 bytes in emscripten's dlmalloc */
    if (!h->mem) {
        free(h);
        return DYN_ERR_BUFFER;
    }
    dyn_status s = dyn_mf_init(&h->mf, &d, h->mem, bytes);
    if (s != DYN_OK) {
        free(h->mem);
        free(h);
        return s;
    }
    *out = h;
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE void dynw_mf_destroy(dynw_mf *h)
{
    if (!h) return;
    free(h->mem);
    free(h);
}

/* out: sw2, sb2, q_star, c_star, chi1, chi_c, chi_q, xi_q, xi_c, xi_grad, depth_trainable, phase. */
EMSCRIPTEN_KEEPALIVE int dynw_point(const dynw_mf *h, double sw2, double sb2, double *out)
{
    if (!h || !out) return DYN_ERR_NULL;
    dyn_mf_point p;
    dyn_status s = dyn_mf_solve(&h->mf, sw2, sb2, &p);
    if (s != DYN_OK) return s;
    out[0] = p.sw2;
    out[1] = p.sb2;
    out[2] = p.q_star;
    out[3] = p.c_star;
    out[4] = p.chi1;
    out[5] = p.chi_c;
    out[6] = p.chi_q;
    out[7] = p.xi_q;
    out[8] = p.xi_c;
    out[9] = p.xi_grad;
    out[10] = p.depth_trainable;
    out[11] = (double)p.phase;
    return DYN_OK;
}

/* out: sw2_crit, q_star. */
EMSCRIPTEN_KEEPALIVE int dynw_critical(const dynw_mf *h, double sb2, double *out)
{
    if (!h || !out) return DYN_ERR_NULL;
    return dyn_mf_critical(&h->mf, sb2, &out[0], &out[1]);
}

EMSCRIPTEN_KEEPALIVE int dynw_critical_line(const dynw_mf *h, double sb2_min, double sb2_max, int n, double *out)
{
    if (!h) return DYN_ERR_NULL;
    return dyn_mf_critical_line(&h->mf, sb2_min, sb2_max, n, out);
}

EMSCRIPTEN_KEEPALIVE int dynw_grid(const dynw_mf *h, int field, double sw2_min, double sw2_max, double sb2_min,
                                   double sb2_max, int nx, int ny, int row_begin, int row_end, float *out,
                                   int out_len)
{
    if (!h) return DYN_ERR_NULL;
    if (field < 0 || field >= DYN_MF_FIELD_COUNT) return DYN_ERR_RANGE;
    if (out_len < 0) return DYN_ERR_SIZE;
    dyn_mf_grid_desc g = {.field = (dyn_mf_field)field,
                          .sw2_min = sw2_min,
                          .sw2_max = sw2_max,
                          .sb2_min = sb2_min,
                          .sb2_max = sb2_max,
                          .nx = nx,
                          .ny = ny,
                          .row_begin = row_begin,
                          .row_end = row_end};
    return dyn_mf_grid(&h->mf, &g, out, (size_t)out_len);
}

/* e_out (may be NULL): 1 - c^l at full relative precision. */
EMSCRIPTEN_KEEPALIVE int dynw_trajectory(const dynw_mf *h, double sw2, double sb2, double q0, double c0, int depth,
                                         double *q_out, double *c_out, double *e_out)
{
    if (!h) return DYN_ERR_NULL;
    return dyn_mf_trajectory(&h->mf, sw2, sb2, q0, c0, depth, q_out, c_out, e_out);
}

/* q_next[i] = the length map applied once to q_in[i]; c_next[i] = the correlation map applied once to c_in[i]
 * with both inputs of squared length q_c (the cobweb panels use q_c = q*). Either count may be 0. */
EMSCRIPTEN_KEEPALIVE int dynw_maps(const dynw_mf *h, double sw2, double sb2, const double *q_in, int nq,
                                   double *q_next, double q_c, const double *c_in, int nc, double *c_next)
{
    if (!h) return DYN_ERR_NULL;
    if (nq < 0 || nc < 0) return DYN_ERR_SIZE;
    if ((nq > 0 && (!q_in || !q_next)) || (nc > 0 && (!c_in || !c_next))) return DYN_ERR_NULL;
    double q2[2], c2[2];
    for (int i = 0; i < nq; i++) {
        dyn_status s = dyn_mf_trajectory(&h->mf, sw2, sb2, q_in[i], 1.0, 1, q2, c2, NULL);
        if (s != DYN_OK) return s;
        q_next[i] = q2[1];
    }
    for (int i = 0; i < nc; i++) {
        dyn_status s = dyn_mf_trajectory(&h->mf, sw2, sb2, q_c, c_in[i], 1, q2, c2, NULL);
        if (s != DYN_OK) return s;
        c_next[i] = c2[1];
    }
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE int dynw_sim_scratch_doubles(int width) { return (int)dyn_mf_sim_scratch_doubles(width); }

EMSCRIPTEN_KEEPALIVE int dynw_simulate(int act, int width, int depth, int seeds, uint32_t seed_lo, uint32_t seed_hi,
                                       double sw2, double sb2, double q0, double c0, double *scratch,
                                       int scratch_len, double *q_mean, double *q_se, double *c_mean, double *c_se,
                                       double *c_each)
{
    if (act < 0 || act >= DYN_ACT_COUNT) return DYN_ERR_RANGE;
    if (scratch_len < 0) return DYN_ERR_SIZE;
    dyn_mf_sim_desc d = {.act = (dyn_act)act,
                         .width = width,
                         .depth = depth,
                         .seeds = seeds,
                         .seed = ((uint64_t)seed_hi << 32) | seed_lo,
                         .sw2 = sw2,
                         .sb2 = sb2,
                         .q0 = q0,
                         .c0 = c0};
    return dyn_mf_simulate(&d, scratch, (size_t)scratch_len, q_mean, q_se, c_mean, c_se, c_each);
}

/* ==== landscape (core/net.h, data.h, landscape.h, render3d.h) -> wasm/dynlens-landscape.js ==================
 *   dynw_toy_count, dynw_toy_name, dynw_opt_name, dynw_dirnorm_name   names by index (JS keeps no copy)
 *   dynw_toy                      a seeded toy set into x (2 n), y (n); out_nclass: its classes
 *   dynw_csv_scan, dynw_csv_parse CSV bytes -> counts (info: rows, cols, n_class, err_line) and the error text,
 *                                 then features (standardised) and labels
 *   dynw_net_params               P of an architecture (net descriptor as ints, see NETARGS), or a status
 *   dynw_train_blob_bytes         bytes of a resumable training state: a dyn_train and its workspace in one blob
 *   dynw_train_work               the cost of a training run (dyn_train_work: the CLI refuses by the same numbers)
 *   dynw_view_work                the cost of a slice (nx x ny) and a Lanczos run after it (dyn_ls_slice_work,
 *                                 dyn_ls_hessian_work): the page's estimate of a whole view before it starts
 *   dynw_train_start              initialise the parameters (mean field) and a training state blob
 *   dynw_train_run                resume a blob: run to each of the target steps, snapshot theta, eval loss/acc
 *   dynw_eval                     mean loss and accuracy of theta on the data
 *   dynw_random_dirs, dynw_pca, dynw_project   slice directions and the path's coordinates in their plane
 *   dynw_path_window              the default slice window around a projected path (as the CLI's)
 *   dynw_slice                    rows [row_begin, row_end) of a 2-D slice (or a 1-D one with d2 = NULL)
 *   dynw_hessian                  top-k eigenvalues, residuals, lambda_min, steps (Lanczos on exact HVPs)
 *   dynw_boundary                 decision grid of a 2-input net: class and confidence
 *   dynw_surface_bytes, dynw_surface, dynw_surface_project   the 3-D surface picture and its camera
 *   dynw_verdict_count/name, dynw_train_verdict   the core's one rule: learned, failed to learn, diverged
 *   dynw_roughness                local minima and mean |Laplacian of log L| of a slice grid
 *
 * A training state blob holds a tag, the dyn_train struct and its workspace; a worker that resumes it copies it
 * into its own memory and dyn_train_rebase checks every field and points the struct at the copied workspace, so
 * any worker of the pool can take the next chunk (dyn_train is plain data: net.h). The blob comes back from JS,
 * so nothing in it is trusted. The net descriptor travels as NETARGS: n_in, n_out, depth, width, act, skip, loss.
 * Every output buffer comes with its length in elements, checked against what the call writes (in 64 bits).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "data.h"
#include "landscape.h"
#include "net.h"
#include "render3d.h"

#define NETARGS int n_in, int n_out, int depth, int width, int act, int skip, int loss
#define DYNW_BLOB_HDR 4096 /* bytes before the workspace: the tag and the dyn_train struct (about 2.3 KB with 128 hidden layers) */
#define DYNW_BLOB_TAG 0x64796e74u /* "dynt": a blob of this layout (another layout would be a new tag) */

typedef struct dynw_blob_head {
    uint32_t tag;
    uint32_t size; /* sizeof(dynw_blob_head) of the build that wrote it */
    dyn_train t;
} dynw_blob_head;
_Static_assert(sizeof(dynw_blob_head) <= DYNW_BLOB_HDR, "the blob header must fit its reserved bytes");


int dynw_toy_count(void);
const char *dynw_toy_name(int t);
int dynw_opt_count(void);
const char *dynw_opt_name(int o);
int dynw_dirnorm_count(void);
const char *dynw_dirnorm_name(int n);
int dynw_toy(int kind, int n, int classes, double noise, uint32_t seed_lo, uint32_t seed_hi, double *x, double *y,
             int *out_nclass);
int dynw_csv_scan(const char *buf, int len, int classify, int *info, char *err, int err_len);
int dynw_csv_parse(const char *buf, int len, int classify, double *x, int x_len, double *y, int y_len,
                   double *class_values);
int dynw_net_params(NETARGS, int *out);
int dynw_train_blob_bytes(NETARGS, int n, int opt, int batch);
int dynw_train_work(NETARGS, int n, int batch, double steps, int snapshots, double *out, int out_len);
int dynw_view_work(NETARGS, int n, int nx, int ny, int lanczos, double *out, int out_len);
int dynw_train_start(NETARGS, const double *x, const double *y, int n, int n_class, double sw2, double sb2,
                     uint32_t seed, int opt, double lr, double momentum, double wd, int batch, double *theta0,
                     int theta0_len, uint8_t *blob, int blob_len, double *lr_out);
int dynw_train_run(const double *x, const double *y, int n, int d, int n_class, uint8_t *blob, int blob_len,
                   const int *targets, int ntargets, int nsnap, double *losses, int losses_len, double *snaps, int snaps_len,
                   double *snap_loss, double *snap_acc, int *steps_done);
int dynw_eval(NETARGS, const double *x, const double *y, int n, int n_class, const double *theta, double *out);
int dynw_random_dirs(NETARGS, const double *theta, int norm, uint32_t seed, double *dirs, int dirs_len);
int dynw_pca(const double *path, int T, int P, const double *center, double *dirs, double *var_frac);
int dynw_project(const double *path, int T, int P, const double *center, const double *d1, const double *d2,
                 double *ab);
int dynw_path_window(const double *ab, int T, double *out);
int dynw_slice(NETARGS, const double *x, const double *y, int n, int n_class, const double *center,
               const double *d1, const double *d2, double a_min, double a_max, double b_min, double b_max, int nx,
               int ny, int row_begin, int row_end, float *out_loss, float *out_acc, int out_len);
int dynw_hessian(NETARGS, const double *x, const double *y, int n, int n_class, const double *theta, int k,
                 int steps, uint32_t seed, double *out, int out_len);
int dynw_boundary(NETARGS, const double *theta, double x_min, double x_max, double y_min, double y_max, int nx,
                  int ny, float *cls, float *conf, int out_len);
int dynw_surface_bytes(int width, int height, int supersample, int nx, int ny);
int dynw_surface(const float *grid, int nx, int ny, const double *opts, const double *path, int npath,
                 uint8_t *rgba, int rgba_len, void *scratch, int scratch_len);
int dynw_surface_project(const double *opts, double u, double v, double h, double *out);
int dynw_verdict_count(void);
const char *dynw_verdict_name(int v);
int dynw_train_verdict(double loss0, double loss, double acc, int n_class, int diverged, double *out, int out_len,
                       char *text, int text_len);
int dynw_roughness(const float *grid, int nx, int ny, double *out, int out_len);

EMSCRIPTEN_KEEPALIVE int dynw_toy_count(void) { return DYN_TOY_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_toy_name(int t) { return dyn_toy_name((dyn_toy)t); }
EMSCRIPTEN_KEEPALIVE int dynw_opt_count(void) { return DYN_OPT_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_opt_name(int o) { return dyn_opt_name((dyn_opt)o); }
EMSCRIPTEN_KEEPALIVE int dynw_dirnorm_count(void) { return DYN_DIRNORM_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_dirnorm_name(int n) { return dyn_dirnorm_name((dyn_dirnorm)n); }

static dyn_status net_of(dyn_net *net, NETARGS)
{
    if (act < 0 || act >= DYN_ACT_COUNT || loss < 0 || loss >= DYN_LOSS_COUNT) return DYN_ERR_RANGE;
    dyn_net_desc d = {.n_in = n_in,
                      .n_out = n_out,
                      .depth = depth,
                      .width = width,
                      .act = (dyn_act)act,
                      .skip = skip,
                      .loss = (dyn_loss)loss};
    return dyn_net_init(net, &d);
}
#define NETPASS n_in, n_out, depth, width, act, skip, loss

static dyn_status data_of(dyn_data *dd, const double *x, const double *y, int n, int d, int n_class)
{
    if (!x || !y) return DYN_ERR_NULL;
    if (n < 1 || d < 1 || n_class < 0) return DYN_ERR_SIZE;
    *dd = (dyn_data){.n = n, .d = d, .x = x, .y = y, .n_class = n_class};
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE int dynw_toy(int kind, int n, int classes, double noise, uint32_t seed_lo, uint32_t seed_hi,
                                  double *x, double *y, int *out_nclass)
{
    if (kind < 0 || kind >= DYN_TOY_COUNT) return DYN_ERR_RANGE;
    if (n < 0) return DYN_ERR_SIZE;
    dyn_toy_desc d = {.kind = (dyn_toy)kind,
                      .n = n,
                      .classes = classes,
                      .noise = noise,
                      .seed = ((uint64_t)seed_hi << 32) | seed_lo};
    return dyn_data_toy(&d, x, 2 * (size_t)n, y, (size_t)n, out_nclass);
}

/* info: rows, cols, n_class, err_line; err: the core's message (err_len bytes, NUL-terminated). */
EMSCRIPTEN_KEEPALIVE int dynw_csv_scan(const char *buf, int len, int classify, int *info, char *err, int err_len)
{
    if (!buf || !info || !err) return DYN_ERR_NULL;
    if (len < 0 || err_len < 1) return DYN_ERR_SIZE;
    dyn_csv_info ci;
    memset(&ci, 0, sizeof ci);
    dyn_status s = dyn_data_csv_scan(buf, (size_t)len, classify, &ci);
    info[0] = ci.rows, info[1] = ci.cols, info[2] = ci.n_class, info[3] = ci.err_line;
    strncpy(err, ci.err, (size_t)err_len - 1);
    err[err_len - 1] = 0;
    return s;
}

/* x is standardised per column (as the CLI does); class_values: the original label of each class (256 doubles). */
EMSCRIPTEN_KEEPALIVE int dynw_csv_parse(const char *buf, int len, int classify, double *x, int x_len, double *y,
                                        int y_len, double *class_values)
{
    if (!buf || !class_values) return DYN_ERR_NULL;
    if (len < 0 || x_len < 0 || y_len < 0) return DYN_ERR_SIZE;
    dyn_csv_info ci;
    dyn_status s = dyn_data_csv_parse(buf, (size_t)len, classify, &ci, x, (size_t)x_len, y, (size_t)y_len);
    if (s) return s;
    memcpy(class_values, ci.class_values, sizeof ci.class_values);
    return dyn_data_standardize(x, ci.rows, ci.cols, NULL, NULL);
}

EMSCRIPTEN_KEEPALIVE int dynw_net_params(NETARGS, int *out)
{
    if (!out) return DYN_ERR_NULL;
    dyn_net net;
    dyn_status s = net_of(&net, NETPASS);
    if (s) return s;
    *out = (int)net.n_params;
    return DYN_OK;
}

static size_t blob_ws(const dyn_net *net, const dyn_train_desc *td, int n)
{
    return dyn_train_bytes(net, td, n);
}

/* Bytes of the blob (0: invalid options). Only opt and batch change the size. */
EMSCRIPTEN_KEEPALIVE int dynw_train_blob_bytes(NETARGS, int n, int opt, int batch)
{
    dyn_net net;
    if (net_of(&net, NETPASS) || opt < 0 || opt >= DYN_OPT_COUNT) return 0;
    dyn_train_desc td = {.opt = (dyn_opt)opt, .batch = batch};
    size_t ws = blob_ws(&net, &td, n);
    if (!ws || ws > 0x7fffffff - DYNW_BLOB_HDR) return 0;
    return (int)(ws + DYNW_BLOB_HDR);
}

/* out (3 doubles, out_len): operations, peak bytes, and seconds at DYN_WORK_RATE (core/work.h). */
EMSCRIPTEN_KEEPALIVE int dynw_train_work(NETARGS, int n, int batch, double steps, int snapshots, double *out,
                                         int out_len)
{
    if (!out) return DYN_ERR_NULL;
    if (!fits(out_len, 3) || n < 1 || batch < 0 || snapshots < 0 || !(steps >= 0.0)) return DYN_ERR_SIZE;
    dyn_net net;
    dyn_status s = net_of(&net, NETPASS);
    if (s) return s;
    dyn_work w = dyn_train_work(&net, batch, n, steps, snapshots);
    out[0] = w.ops, out[1] = w.bytes, out[2] = dyn_work_seconds(w);
    return DYN_OK;
}

/* out (6 doubles): operations, peak bytes and seconds of the slice, then of the Hessian (lanczos steps, top 2). */
EMSCRIPTEN_KEEPALIVE int dynw_view_work(NETARGS, int n, int nx, int ny, int lanczos, double *out, int out_len)
{
    if (!out) return DYN_ERR_NULL;
    if (!fits(out_len, 6) || n < 1 || nx < 1 || ny < 1 || lanczos < 0) return DYN_ERR_SIZE;
    dyn_net net;
    dyn_status s = net_of(&net, NETPASS);
    if (s) return s;
    dyn_ls_hess_desc hd = {.k = 2, .steps = lanczos};
    dyn_work w[2] = {dyn_ls_slice_work(&net, n, nx, ny), dyn_ls_hessian_work(&net, n, &hd)};
    for (int k = 0; k < 2; k++) out[3 * k] = w[k].ops, out[3 * k + 1] = w[k].bytes, out[3 * k + 2] = dyn_work_seconds(w[k]);
    return DYN_OK;
}

/* theta0: P doubles (the initialisation, W ~ N(0, sw2/fan_in), b ~ N(0, sb2)); blob: dynw_train_blob_bytes;
 * lr_out: the step size with the optimiser's default resolved. The one seed initialises and shuffles (as the CLI). */
EMSCRIPTEN_KEEPALIVE int dynw_train_start(NETARGS, const double *x, const double *y, int n, int n_class, double sw2,
                                          double sb2, uint32_t seed, int opt, double lr, double momentum, double wd,
                                          int batch, double *theta0, int theta0_len, uint8_t *blob, int blob_len,
                                          double *lr_out)
{
    if (!theta0 || !blob || !lr_out) return DYN_ERR_NULL;
    if (opt < 0 || opt >= DYN_OPT_COUNT) return DYN_ERR_RANGE;
    dyn_net net;
    dyn_data dd;
    dyn_status s = net_of(&net, NETPASS);
    if (s || (s = data_of(&dd, x, y, n, n_in, n_class))) return s;
    dyn_train_desc td = {.opt = (dyn_opt)opt,
                         .lr = lr,
                         .momentum = momentum,
                         .weight_decay = wd,
                         .batch = batch,
                         .seed = seed};
    size_t ws = blob_ws(&net, &td, n);
    if (!ws) return DYN_ERR_RANGE;
    if (!fits(blob_len, (uint64_t)ws + DYNW_BLOB_HDR) || !fits(theta0_len, (uint64_t)net.n_params)) return DYN_ERR_BUFFER;
    if ((s = dyn_net_init_params(&net, sw2, sb2, seed, theta0, (size_t)net.n_params))) return s;
    dynw_blob_head *h = (dynw_blob_head *)blob;
    if ((s = dyn_train_init(&h->t, &net, &td, &dd, theta0, blob + DYNW_BLOB_HDR, ws))) return s;
    h->tag = DYNW_BLOB_TAG;
    h->size = (uint32_t)sizeof *h;
    *lr_out = h->t.d.lr;
    return DYN_OK;
}

/* Runs to each target step (ascending, >= the steps done), and at each: the theta snapshot (snaps: ntargets x P),
 * its full-data loss and accuracy (snap_loss, snap_acc: ntargets each). losses: the minibatch loss of every step
 * taken (target_last - steps before; losses_len, snaps_len: the buffers' lengths in doubles, checked). steps_done:
 * the steps taken when it returned (also after a divergence, DYN_ERR_NAN). Only the first nsnap targets take a
 * snapshot and an evaluation (a full pass over the data); the others are places to stop and hand the state back
 * (a chunk of a long run between two snapshots). The blob is updated in place; a blob
 * whose tag, size or training state does not check out is DYN_ERR_RANGE/DYN_ERR_SIZE/DYN_ERR_BUFFER. */
EMSCRIPTEN_KEEPALIVE int dynw_train_run(const double *x, const double *y, int n, int d, int n_class, uint8_t *blob,
                                        int blob_len, const int *targets, int ntargets, int nsnap, double *losses,
                                        int losses_len, double *snaps, int snaps_len, double *snap_loss,
                                        double *snap_acc, int *steps_done)
{
    if (!blob || !targets || !losses || !snaps || !snap_loss || !snap_acc || !steps_done) return DYN_ERR_NULL;
    if (blob_len < DYNW_BLOB_HDR || ntargets < 1 || nsnap < 0 || nsnap > ntargets) return DYN_ERR_SIZE;
    dynw_blob_head *h = (dynw_blob_head *)blob;
    if (h->tag != DYNW_BLOB_TAG || h->size != sizeof *h) return DYN_ERR_RANGE;
    dyn_train *t = &h->t;
    dyn_status s = dyn_train_rebase(t, blob + DYNW_BLOB_HDR, (size_t)blob_len - DYNW_BLOB_HDR);
    if (s) return s;
    *steps_done = (int)t->step;
    dyn_data dd;
    if ((s = data_of(&dd, x, y, n, d, n_class))) return s;
    if (n != t->n || d != t->net.dim[0]) return DYN_ERR_SIZE;
    /* every target in order and reachable, and every output long enough, before the first step */
    long start = t->step;
    for (int i = 0; i < ntargets; i++)
        if (targets[i] < (i ? targets[i - 1] : start)) return DYN_ERR_RANGE;
    uint64_t P = (uint64_t)t->net.n_params;
    if (!fits(losses_len, (uint64_t)(targets[ntargets - 1] - start)) || !fits(snaps_len, (uint64_t)ntargets * P))
        return DYN_ERR_BUFFER;
    size_t es = dyn_net_scratch_doubles(&t->net, n < DYN_NET_MAX_BATCH ? n : DYN_NET_MAX_BATCH);
    double *sc = es ? malloc(sizeof(double) * es) : NULL;
    if (!sc) return DYN_ERR_BUFFER;
    for (int i = 0; i < ntargets && s == DYN_OK; i++) {
        if (targets[i] > t->step) s = dyn_train_run(t, &dd, (int)(targets[i] - t->step), losses + (t->step - start));
        if (s == DYN_OK && i < nsnap) {
            memcpy(snaps + (size_t)i * P, t->theta, sizeof(double) * (size_t)P);
            s = dyn_net_eval(&t->net, t->theta, &dd, &snap_loss[i], &snap_acc[i], sc, es);
        }
    }
    free(sc);
    *steps_done = (int)t->step;
    return s;
}

/* out: loss, acc. */
EMSCRIPTEN_KEEPALIVE int dynw_eval(NETARGS, const double *x, const double *y, int n, int n_class, const double *theta,
                                   double *out)
{
    if (!theta || !out) return DYN_ERR_NULL;
    dyn_net net;
    dyn_data dd;
    dyn_status s = net_of(&net, NETPASS);
    if (s || (s = data_of(&dd, x, y, n, n_in, n_class))) return s;
    size_t es = dyn_net_scratch_doubles(&net, n < DYN_NET_MAX_BATCH ? n : DYN_NET_MAX_BATCH);
    double *sc = malloc(sizeof(double) * es);
    if (!sc) return DYN_ERR_BUFFER;
    s = dyn_net_eval(&net, theta, &dd, &out[0], &out[1], sc, es);
    free(sc);
    return s;
}

/* dirs: 2 P doubles (dirs_len). */
EMSCRIPTEN_KEEPALIVE int dynw_random_dirs(NETARGS, const double *theta, int norm, uint32_t seed, double *dirs,
                                          int dirs_len)
{
    if (norm < 0 || norm >= DYN_DIRNORM_COUNT) return DYN_ERR_RANGE;
    dyn_net net;
    dyn_status s = net_of(&net, NETPASS);
    if (s) return s;
    if (dirs_len < 0) return DYN_ERR_SIZE;
    return dyn_ls_random_dirs(&net, theta, (dyn_dirnorm)norm, seed, 2, dirs, (size_t)dirs_len);
}

/* dirs: 2 P, var_frac: 2. */
EMSCRIPTEN_KEEPALIVE int dynw_pca(const double *path, int T, int P, const double *center, double *dirs, double *var_frac)
{
    if (T < 0 || P < 1) return DYN_ERR_SIZE;
    size_t ns = dyn_ls_pca_scratch_doubles(T);
    if (!ns) return DYN_ERR_SIZE;
    double *sc = malloc(sizeof(double) * ns);
    if (!sc) return DYN_ERR_BUFFER;
    dyn_status s = dyn_ls_pca(path, T, (size_t)P, center, 2, dirs, var_frac, sc, ns);
    free(sc);
    return s;
}

EMSCRIPTEN_KEEPALIVE int dynw_project(const double *path, int T, int P, const double *center, const double *d1,
                                      const double *d2, double *ab)
{
    if (T < 0 || P < 1) return DYN_ERR_SIZE;
    return dyn_ls_project(path, T, (size_t)P, center, d1, d2, ab);
}

/* out: r, one double (the window is [-r, r] in a and b). */
EMSCRIPTEN_KEEPALIVE int dynw_path_window(const double *ab, int T, double *out)
{
    return dyn_ls_path_window(ab, T, out);
}

/* out_loss, out_acc (either may be NULL): nx (row_end - row_begin) floats; out_len their length. */
EMSCRIPTEN_KEEPALIVE int dynw_slice(NETARGS, const double *x, const double *y, int n, int n_class, const double *center,
                                    const double *d1, const double *d2, double a_min, double a_max, double b_min,
                                    double b_max, int nx, int ny, int row_begin, int row_end, float *out_loss,
                                    float *out_acc, int out_len)
{
    if (out_len < 0) return DYN_ERR_SIZE;
    dyn_net net;
    dyn_data dd;
    dyn_status s = net_of(&net, NETPASS);
    if (s || (s = data_of(&dd, x, y, n, n_in, n_class))) return s;
    size_t ns = dyn_ls_slice_scratch_doubles(&net, n);
    if (!ns) return DYN_ERR_SIZE;
    double *sc = malloc(sizeof(double) * ns);
    if (!sc) return DYN_ERR_BUFFER;
    dyn_ls_slice_desc g = {.a_min = a_min, .a_max = a_max, .b_min = b_min, .b_max = b_max,
                           .nx = nx, .ny = ny, .row_begin = row_begin, .row_end = row_end};
    s = dyn_ls_slice(&net, center, d1, d2, &dd, &g, out_loss, out_acc, (size_t)out_len, sc, ns);
    free(sc);
    return s;
}

/* out: 3 k + 2 doubles (out_len): eval[k], resid[k], lambda_min, steps taken. */
EMSCRIPTEN_KEEPALIVE int dynw_hessian(NETARGS, const double *x, const double *y, int n, int n_class, const double *theta,
                                      int k, int steps, uint32_t seed, double *out, int out_len)
{
    if (!out) return DYN_ERR_NULL;
    dyn_net net;
    dyn_data dd;
    dyn_status s = net_of(&net, NETPASS);
    if (s || (s = data_of(&dd, x, y, n, n_in, n_class))) return s;
    if (k < 1 || k > DYN_LS_MAX_EIG) return DYN_ERR_SIZE;
    if (!fits(out_len, 3 * (uint64_t)k + 2)) return DYN_ERR_BUFFER;
    dyn_ls_hess_desc hd = {.k = k, .steps = steps, .seed = seed};
    size_t ns = dyn_ls_hessian_scratch_doubles(&net, n, &hd);
    if (!ns) return DYN_ERR_SIZE;
    double *sc = malloc(sizeof(double) * ns);
    if (!sc) return DYN_ERR_BUFFER;
    dyn_ls_hess_result r;
    s = dyn_ls_hessian(&net, theta, &dd, &hd, &r, NULL, 0, sc, ns);
    free(sc);
    if (s) return s;
    for (int i = 0; i < k; i++) out[i] = r.eval[i], out[k + i] = r.resid[i];
    out[2 * k] = r.lambda_min;
    out[2 * k + 1] = r.steps;
    return DYN_OK;
}

/* cls, conf (either may be NULL): nx ny floats each (out_len). */
EMSCRIPTEN_KEEPALIVE int dynw_boundary(NETARGS, const double *theta, double x_min, double x_max, double y_min,
                                       double y_max, int nx, int ny, float *cls, float *conf, int out_len)
{
    dyn_net net;
    dyn_status s = net_of(&net, NETPASS);
    if (s) return s;
    if (nx < 1 || ny < 1) return DYN_ERR_SIZE;
    if (!fits(out_len, (uint64_t)nx * (uint64_t)ny)) return DYN_ERR_BUFFER;
    size_t ns = dyn_net_grid2d_scratch_doubles(&net, nx, ny);
    if (!ns) return DYN_ERR_SIZE;
    double *sc = malloc(sizeof(double) * ns);
    if (!sc) return DYN_ERR_BUFFER;
    s = dyn_net_grid2d(&net, theta, x_min, x_max, y_min, y_max, nx, ny, cls, conf, sc, ns);
    free(sc);
    return s;
}

/* opts (16 doubles): width, height, azimuth, elevation, vmin, vmax, log_scale, contours, supersample, cmap,
 * a_min, a_max, b_min, b_max, z_scale, distance (0 = the core's default where it has one). The integer options
 * must be whole numbers within +-2^30 (the core then checks its own ranges) and cmap a colormap's index: a double
 * is never cast to int unchecked (NaN or 1e300 would be undefined behaviour). The real options go to the core,
 * which checks them. */
static dyn_status int_opt(double v, int *out)
{
    if (!(v >= -1073741824.0 && v <= 1073741824.0) || v != floor(v)) return DYN_ERR_RANGE;
    *out = (int)v;
    return DYN_OK;
}

static dyn_status r3d_of(dyn_r3d_desc *d, const double *o)
{
    if (!o) return DYN_ERR_NULL;
    int w, h, contours, ss, cmap;
    if (int_opt(o[0], &w) || int_opt(o[1], &h) || int_opt(o[7], &contours) || int_opt(o[8], &ss) ||
        int_opt(o[9], &cmap) || cmap < 0 || cmap >= DYN_CMAP_COUNT)
        return DYN_ERR_RANGE;
    *d = (dyn_r3d_desc){.width = w,
                        .height = h,
                        .azimuth = o[2],
                        .elevation = o[3],
                        .vmin = o[4],
                        .vmax = o[5],
                        .log_scale = o[6] != 0.0,
                        .contours = contours,
                        .supersample = ss,
                        .cmap = (dyn_cmap)cmap,
                        .a_min = o[10],
                        .a_max = o[11],
                        .b_min = o[12],
                        .b_max = o[13],
                        .z_scale = o[14],
                        .distance = o[15],
                        .path_rgba = {255, 80, 60, 255}};
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE int dynw_surface_bytes(int width, int height, int supersample, int nx, int ny)
{
    dyn_r3d_desc d = {.width = width, .height = height, .supersample = supersample};
    size_t b = dyn_r3d_scratch_bytes(&d, nx, ny);
    return b > 0x7fffffff ? 0 : (int)b;
}

/* path: npath (a, b) pairs or NULL. rgba: 4 width height bytes; scratch: dynw_surface_bytes. */
EMSCRIPTEN_KEEPALIVE int dynw_surface(const float *grid, int nx, int ny, const double *opts, const double *path,
                                      int npath, uint8_t *rgba, int rgba_len, void *scratch, int scratch_len)
{
    dyn_r3d_desc d;
    dyn_status s = r3d_of(&d, opts);
    if (s) return s;
    if (rgba_len < 0 || scratch_len < 0 || npath < 0) return DYN_ERR_SIZE;
    d.path = npath ? path : NULL;
    d.npath = npath;
    return dyn_r3d_surface(&d, grid, nx, ny, rgba, (size_t)rgba_len, scratch, (size_t)scratch_len);
}

/* out: px, py, depth. */
EMSCRIPTEN_KEEPALIVE int dynw_surface_project(const double *opts, double u, double v, double h, double *out)
{
    if (!out) return DYN_ERR_NULL;
    dyn_r3d_desc d;
    dyn_status s = r3d_of(&d, opts);
    if (s) return s;
    return dyn_r3d_project(&d, u, v, h, &out[0], &out[1], &out[2]);
}

EMSCRIPTEN_KEEPALIVE int dynw_verdict_count(void) { return DYN_VERDICT_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_verdict_name(int v) { return dyn_verdict_name((dyn_verdict)v); }

/* out (3 doubles): the verdict's index, the reference loss (ln C), the chance accuracy; text: its sentence. */
EMSCRIPTEN_KEEPALIVE int dynw_train_verdict(double loss0, double loss, double acc, int n_class, int diverged,
                                            double *out, int out_len, char *text, int text_len)
{
    if (!out || !text) return DYN_ERR_NULL;
    if (!fits(out_len, 3) || text_len < 1) return DYN_ERR_SIZE;
    dyn_verdict_info v;
    dyn_status s = dyn_train_verdict(loss0, loss, acc, n_class, diverged, &v);
    if (s || (s = dyn_verdict_text(&v, text, (size_t)text_len))) return s;
    out[0] = v.verdict, out[1] = v.reference, out[2] = v.chance_acc;
    return DYN_OK;
}

/* out (2 doubles): the number of local minima and the roughness (landscape.h, dyn_ls_roughness). */
EMSCRIPTEN_KEEPALIVE int dynw_roughness(const float *grid, int nx, int ny, double *out, int out_len)
{
    if (!grid || !out) return DYN_ERR_NULL;
    if (!fits(out_len, 2)) return DYN_ERR_SIZE;
    int m = 0;
    double r = 0.0;
    dyn_status s = dyn_ls_roughness(grid, nx, ny, &m, &r);
    if (s) return s;
    out[0] = m, out[1] = r;
    return DYN_OK;
}

/* ==== posterior (core/linalg.h, posterior.h) -> wasm/dynlens-posterior.js ===================================
 * Reserved for the SGD-as-Bayesian-inference demo (issue 5): its #includes, index, prototypes and functions go here.
 */
/*
 *   dynw_post_model_count/_name, dynw_post_sampler_count/_name   the models and samplers by index (no JS copy)
 *   dynw_post_create / dynw_post_destroy   a model on seeded synthetic data (as `dynlens posterior --synthetic N
 *                                          --seed S`): data, theta*, A and BB^T; the exact posterior on demand
 *   dynw_post_info_doubles, dynw_post_info  theta*, A, BB^T, lam_max(A), exact posterior mean and covariance, the
 *                                          quadrature window and log Z (computing the exact posterior once)
 *   dynw_post_box                          the display window mode +- nsd sd (dyn_post_box_auto)
 *   dynw_post_eps_star                     eps* for batch S
 *   dynw_post_steps                        the core's step rules (dyn_post_steps): reference and auto steps,
 *                                          lam_max, drift, stability number and bound, which predictions exist
 *   dynw_post_precond                      H = H*(eps*) (Mandt's optimal preconditioner at eps*) or its diagonal
 *   dynw_post_density                      rows of the normalised posterior density on a display grid
 *   dynw_post_hpd                          density levels enclosing given probabilities (contour lines)
 *   dynw_post_stationary                   predicted stationary covariances: continuous, discrete, linreg exact
 *   dynw_post_kl_curve                     KL(predicted || posterior) at n steps
 *   dynw_post_cover                        a density grid's modes and masses, and its mass in a Gaussian's ellipse
 *   dynw_post_run_work                     what `steps` sampler steps cost (dyn_post_run_work): ops, bytes, seconds
 *   dynw_sampler_create / _destroy / _run / _set_theta / _state   one chain, advanced in chunks
 *   dynw_post_moments, dynw_post_autocorr, dynw_post_ess, dynw_post_gauss_kl, dynw_post_ellipse   diagnostics
 */
#include <math.h>
#include <string.h>

#include "linalg.h"
#include "posterior.h"

typedef struct dynw_post {
    dyn_post_model m;
    double *x, *y;
    double *mem;       /* the theory's buffer */
    dyn_post_theory t; /* theta*, A, BB^T, lam_max; the exact posterior once asked for (core/posterior.h) */
} dynw_post;

typedef struct dynw_sampler {
    dyn_post_sampler s;
    void *mem;
} dynw_sampler;

int dynw_post_model_count(void);
const char *dynw_post_model_name(int k);
int dynw_post_sampler_count(void);
const char *dynw_post_sampler_name(int k);
int dynw_post_create(int kind, int n, int d, double noise_var, double prior_var, uint32_t seed_lo, uint32_t seed_hi,
                     dynw_post **out);
void dynw_post_destroy(dynw_post *h);
int dynw_post_info_doubles(int d);
int dynw_post_info(dynw_post *h, double *out, int out_len);
int dynw_post_box(const dynw_post *h, double nsd, double *out);
int dynw_post_eps_star(const dynw_post *h, int batch, double *out);
int dynw_post_precond(dynw_post *h, int batch, int diag, double *out, int out_len);
int dynw_post_density(dynw_post *h, double x0, double x1, double y0, double y1, int nx, int ny, int row_begin,
                      int row_end, float *out, int out_len);
int dynw_post_steps(dynw_post *h, int kind, int batch, int batching, double eps, double momentum, double sgld_gamma,
                    double *out, int out_len);
int dynw_post_hpd(const float *grid, int n, const double *probs, int nprob, double *levels, float *scratch);
int dynw_post_stationary(dynw_post *h, int kind, double eps, int batch, double momentum, double sgld_gamma,
                         const double *precond, double *cont, double *disc, double *exact, int out_len);
int dynw_post_kl_curve(dynw_post *h, int kind, int batch, double momentum, const double *precond, const double *eps,
                       int n, double *kl_cont, double *kl_disc);
int dynw_post_cover(const float *grid, int nx, int ny, const double *box, const double *mean, const double *cov,
                    double nsd, double min_rel, double *out, int out_len, int *scratch);
int dynw_post_run_work(const dynw_post *h, int kind, int batch, double steps, double keep, double *out,
                       int out_len);
int dynw_sampler_create(const dynw_post *h, int kind, double eps, int batch, int batching, double momentum,
                        double sgld_b, double sgld_gamma, const double *precond, const double *start, uint32_t seed_lo,
                        uint32_t seed_hi, dynw_sampler **out);
void dynw_sampler_destroy(dynw_sampler *s);
int dynw_sampler_run(dynw_sampler *s, int steps, int thin, double *out, int out_len, int *written);
int dynw_sampler_set_theta(dynw_sampler *s, const double *theta);
int dynw_sampler_state(const dynw_sampler *s, double *out, int out_len);
int dynw_post_moments(const double *samples, int count, int d, double *mean, double *cov);
int dynw_post_autocorr(const double *x, int count, int stride, int maxlag, double *acf);
int dynw_post_ess(const double *x, int count, int stride, double *out);
int dynw_post_gauss_kl(int d, const double *m0, const double *s0, const double *m1, const double *s1, double *out);
int dynw_post_ellipse(const double *mean, const double *cov, double nsd, int npts, float *xy);

EMSCRIPTEN_KEEPALIVE int dynw_post_model_count(void) { return DYN_POST_KIND_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_post_model_name(int k) { return dyn_post_model_name((dyn_post_kind)k); }
EMSCRIPTEN_KEEPALIVE int dynw_post_sampler_count(void) { return DYN_POST_SAMPLER_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_post_sampler_name(int k) { return dyn_post_sampler_name((dyn_post_sampler_kind)k); }

EMSCRIPTEN_KEEPALIVE void dynw_post_destroy(dynw_post *h)
{
    if (!h) return;
    free(h->x);
    free(h->y);
    free(h->mem);
    free(h);
}

/* kind: dyn_post_kind; n, d as dyn_post_model (d ignored for the 2-D models); variances 0 -> the defaults. The
 * data are dyn_post_synthesize's for the seed, exactly the CLI's --synthetic n --seed seed. Returns the model
 * check's codes, DYN_ERR_NO_SOLUTION (singular design), DYN_ERR_NO_CONVERGE (no mode). */
EMSCRIPTEN_KEEPALIVE int dynw_post_create(int kind, int n, int d, double noise_var, double prior_var,
                                          uint32_t seed_lo, uint32_t seed_hi, dynw_post **out)
{
    if (!out) return DYN_ERR_NULL;
    *out = NULL;
    if (kind < 0 || kind >= DYN_POST_KIND_COUNT) return DYN_ERR_RANGE;
    if (kind != DYN_POST_LINREG) d = 2;
    if (n < 1 || n > DYN_POST_MAX_N || d < 1 || d > DYN_POST_MAX_D) return DYN_ERR_SIZE;
    dynw_post *h = calloc(1, sizeof *h);
    if (!h) return DYN_ERR_BUFFER;
    h->m.kind = (dyn_post_kind)kind;
    h->m.n = n;
    h->m.d = d;
    h->m.noise_var = noise_var;
    h->m.prior_var = prior_var;
    /* n d doubles in 64 bits: size_t is 32 bits in WebAssembly, and 8 n d reaches 2^32 within the limits */
    uint64_t xbytes = (uint64_t)sizeof(double) * (uint64_t)n * (uint64_t)d;
    if (xbytes > (uint64_t)INT32_MAX) {
        dynw_post_destroy(h);
        return DYN_ERR_SIZE;
    }
    size_t tn = dyn_post_theory_doubles(d);
    h->x = malloc((size_t)xbytes);
    h->y = malloc(sizeof(double) * (size_t)n);
    h->mem = malloc(sizeof(double) * tn);
    if (!h->x || !h->y || !h->mem) {
        dynw_post_destroy(h);
        return DYN_ERR_BUFFER;
    }
    uint64_t seed = ((uint64_t)seed_hi << 32) | seed_lo;
    dyn_status s = dyn_post_synthesize(&h->m, seed, h->x, (size_t)n * (size_t)d, h->y, (size_t)n, NULL);
    h->m.x = h->x;
    h->m.y = kind == DYN_POST_MIXTURE ? NULL : h->y;
    if (s == DYN_OK) s = dyn_post_model_check(&h->m, NULL);
    if (s == DYN_OK) s = dyn_post_theory_mode(&h->m, &h->t, h->mem, tn); /* as the CLI's (one core function) */
    if (s != DYN_OK) {
        dynw_post_destroy(h);
        return s;
    }
    *out = h;
    return DYN_OK;
}

/* 8 + 2 d + 3 d^2: n, d, lam_max, log_z, box (x0, x1, y0, y1) then mode (d), A (d x d), BB^T (d x d),
 * post_mean (d), post_cov (d x d). */
EMSCRIPTEN_KEEPALIVE int dynw_post_info_doubles(int d) { return 8 + 2 * d + 3 * d * d; }

EMSCRIPTEN_KEEPALIVE int dynw_post_info(dynw_post *h, double *out, int out_len)
{
    if (!h || !out) return DYN_ERR_NULL;
    int d = h->m.d;
    if (out_len < dynw_post_info_doubles(d)) return DYN_ERR_BUFFER;
    dyn_status s = dyn_post_theory_exact(&h->m, &h->t);
    if (s != DYN_OK) return s;
    size_t dd = (size_t)d * d;
    out[0] = h->m.n;
    out[1] = d;
    out[2] = h->t.lam_max;
    out[3] = h->t.log_z;
    out[4] = h->t.box.x0, out[5] = h->t.box.x1, out[6] = h->t.box.y0, out[7] = h->t.box.y1;
    double *p = out + 8;
    memcpy(p, h->t.mode, sizeof(double) * d), p += d;
    memcpy(p, h->t.a, sizeof(double) * dd), p += dd;
    memcpy(p, h->t.bb, sizeof(double) * dd), p += dd;
    memcpy(p, h->t.pmean, sizeof(double) * d), p += d;
    memcpy(p, h->t.pcov, sizeof(double) * dd);
    return DYN_OK;
}

/* out: x0, x1, y0, y1 of mode +- nsd sd of the Laplace approximation (both modes of the mixture). */
EMSCRIPTEN_KEEPALIVE int dynw_post_box(const dynw_post *h, double nsd, double *out)
{
    if (!h || !out) return DYN_ERR_NULL;
    dyn_post_box b;
    dyn_status s = dyn_post_box_auto(&h->m, h->t.mode, h->t.a, nsd, &b);
    if (s != DYN_OK) return s;
    out[0] = b.x0, out[1] = b.x1, out[2] = b.y0, out[3] = b.y1;
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE int dynw_post_eps_star(const dynw_post *h, int batch, double *out)
{
    if (!h) return DYN_ERR_NULL;
    return dyn_post_eps_star(h->m.d, h->m.n, batch, h->t.bb, out);
}

/* out (d x d, out_len doubles): H*(eps*) = (2 S / (eps* N)) (BB^T)^{-1}, with which eps* H* is Mandt's optimal preconditioned
 * step; diag != 0: its diagonal only (a diagonal preconditioner, as practice uses). */
EMSCRIPTEN_KEEPALIVE int dynw_post_precond(dynw_post *h, int batch, int diag, double *out, int out_len)
{
    if (!h || !out) return DYN_ERR_NULL;
    int d = h->m.d;
    if (!fits(out_len, (uint64_t)d * (uint64_t)d)) return DYN_ERR_BUFFER;
    double es;
    dyn_status s = dyn_post_eps_star(d, h->m.n, batch, h->t.bb, &es);
    if (s == DYN_OK) s = dyn_post_precond_opt(d, h->m.n, batch, es, h->t.bb, out, h->t.scratch, h->t.scratch_len);
    if (s == DYN_OK && diag)
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                if (i != j) out[i * d + j] = 0.0;
    return s;
}

/* out (10 doubles, out_len): eps_star, eps_ref, eps_auto, lam_max, drift, stab, stab_bound, eps_max,
 * has_stationary, has_exact (dyn_post_steps_info in that order; eps 0: at eps_auto). */
EMSCRIPTEN_KEEPALIVE int dynw_post_steps(dynw_post *h, int kind, int batch, int batching, double eps, double momentum,
                                         double sgld_gamma, double *out, int out_len)
{
    if (!h || !out) return DYN_ERR_NULL;
    if (kind < 0 || kind >= DYN_POST_SAMPLER_COUNT || batching < 0 || batching > 1) return DYN_ERR_RANGE;
    if (!fits(out_len, 10)) return DYN_ERR_BUFFER;
    dyn_post_sampler_desc sd = {.kind = (dyn_post_sampler_kind)kind, .eps = eps, .batch = batch,
                                .batching = (dyn_post_batching)batching, .momentum = momentum,
                                .sgld_gamma = sgld_gamma};
    dyn_post_steps_info si;
    dyn_status s = dyn_post_steps(&h->m, &sd, h->t.a, h->t.bb, &si, h->t.scratch, h->t.scratch_len);
    if (s != DYN_OK) return s;
    double v[10] = {si.eps_star, si.eps_ref, si.eps_auto, si.lam_max, si.drift, si.stab, si.stab_bound, si.eps_max,
                    si.has_stationary, si.has_exact};
    memcpy(out, v, sizeof v);
    return DYN_OK;
}

/* Rows [row_begin, row_end) of the nx x ny normalised density over the window [x0, x1] x [y0, y1] (D = 2). */
EMSCRIPTEN_KEEPALIVE int dynw_post_density(dynw_post *h, double x0, double x1, double y0, double y1, int nx,
                                           int ny, int row_begin, int row_end, float *out, int out_len)
{
    if (!h) return DYN_ERR_NULL;
    if (out_len < 0) return DYN_ERR_SIZE;
    dyn_status s = dyn_post_theory_exact(&h->m, &h->t);
    if (s != DYN_OK) return s;
    dyn_post_box b = {.x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1};
    return dyn_post_density_grid(&h->m, &b, h->t.log_z, nx, ny, row_begin, row_end, out, (size_t)out_len);
}

/* scratch: n floats. */
EMSCRIPTEN_KEEPALIVE int dynw_post_hpd(const float *grid, int n, const double *probs, int nprob, double *levels,
                                       float *scratch)
{
    if (n < 0) return DYN_ERR_SIZE;
    return dyn_post_hpd_levels(grid, (size_t)n, probs, nprob, levels, scratch, (size_t)n);
}

/* cont, disc, exact: d x d each (out_len doubles each), NaN where no prediction exists (disc: a step too large for stability; all:
 * an SGLD schedule with gamma > 0; exact: other than linreg with SGD or constant-step SGLD; the exact one assumes
 * i.i.d. batches). precond: d x d, used by SGD_PRECOND. */
EMSCRIPTEN_KEEPALIVE int dynw_post_stationary(dynw_post *h, int kind, double eps, int batch, double momentum,
                                              double sgld_gamma, const double *precond, double *cont, double *disc,
                                              double *exact, int out_len)
{
    if (!h || !cont || !disc || !exact) return DYN_ERR_NULL;
    if (kind < 0 || kind >= DYN_POST_SAMPLER_COUNT) return DYN_ERR_RANGE;
    int d = h->m.d;
    if (!fits(out_len, (uint64_t)d * (uint64_t)d)) return DYN_ERR_BUFFER;
    for (int k = 0; k < d * d; k++) cont[k] = disc[k] = exact[k] = (double)NAN;
    dyn_post_sampler_desc sd = {.kind = (dyn_post_sampler_kind)kind,
                                .eps = eps,
                                .batch = batch,
                                .batching = DYN_POST_BATCH_IID,
                                .momentum = momentum,
                                .sgld_gamma = sgld_gamma,
                                .precond = precond};
    dyn_post_steps_info si; /* which predictions exist: the core's rule, as the CLI's */
    dyn_status s = dyn_post_steps(&h->m, &sd, h->t.a, h->t.bb, &si, h->t.scratch, h->t.scratch_len);
    if (s != DYN_OK) return s;
    if (!si.has_stationary) return DYN_OK;
    s = dyn_post_stationary(&sd, d, h->m.n, h->t.a, h->t.bb, cont, disc, h->t.scratch, h->t.scratch_len);
    if (s == DYN_ERR_NO_SOLUTION) {
        for (int k = 0; k < d * d; k++) disc[k] = (double)NAN;
        return DYN_OK;
    }
    if (s != DYN_OK) return s;
    if (si.has_exact &&
        dyn_post_linreg_sgd_exact(&h->m, &sd, h->t.mode, h->t.a, h->t.bb, exact, h->t.scratch, h->t.scratch_len) != DYN_OK)
        for (int k = 0; k < d * d; k++) exact[k] = (double)NAN;
    return DYN_OK;
}

/* precond may be 0 (NULL): SGD_PRECOND then uses H*(eps) at each eps (a flat curve), as `dynlens posterior kl`. */
EMSCRIPTEN_KEEPALIVE int dynw_post_kl_curve(dynw_post *h, int kind, int batch, double momentum,
                                            const double *precond, const double *eps, int n, double *kl_cont,
                                            double *kl_disc)
{
    if (!h) return DYN_ERR_NULL;
    if (kind < 0 || kind >= DYN_POST_SAMPLER_COUNT) return DYN_ERR_RANGE;
    dyn_status s = dyn_post_theory_exact(&h->m, &h->t);
    if (s != DYN_OK) return s;
    dyn_post_sampler_desc sd = {.kind = (dyn_post_sampler_kind)kind,
                                .eps = 1.0,
                                .batch = batch,
                                .batching = DYN_POST_BATCH_IID,
                                .momentum = momentum,
                                .precond = precond};
    return dyn_post_kl_curve(&sd, h->m.d, h->m.n, h->t.mode, h->t.a, h->t.bb, h->t.pmean, h->t.pcov, eps, n, kl_cont, kl_disc,
                             h->t.scratch, h->t.scratch_len);
}

/* start: d doubles or 0 (NULL: theta*, as the CLI's default). seed: the user's seed (the CLI's --seed), salted
 * by the core's dyn_post_sampler_seed as the CLI salts it. The sampler points at h's data: destroy it before h. */
EMSCRIPTEN_KEEPALIVE int dynw_sampler_create(const dynw_post *h, int kind, double eps, int batch, int batching,
                                             double momentum, double sgld_b, double sgld_gamma, const double *precond,
                                             const double *start, uint32_t seed_lo, uint32_t seed_hi,
                                             dynw_sampler **out)
{
    if (!h || !out) return DYN_ERR_NULL;
    *out = NULL;
    if (kind < 0 || kind >= DYN_POST_SAMPLER_COUNT || batching < 0 || batching > 1) return DYN_ERR_RANGE;
    dyn_post_sampler_desc sd = {.kind = (dyn_post_sampler_kind)kind,
                                .eps = eps,
                                .batch = batch,
                                .batching = (dyn_post_batching)batching,
                                .momentum = momentum,
                                .sgld_b = sgld_b,
                                .sgld_gamma = sgld_gamma,
                                .precond = precond,
                                .start = start ? start : h->t.mode,
                                .seed = dyn_post_sampler_seed(((uint64_t)seed_hi << 32) | seed_lo)};
    if (batch < 1 || batch > h->m.n) return DYN_ERR_SIZE;
    size_t bytes = dyn_post_sampler_bytes(&h->m, &sd);
    if (bytes == 0) return DYN_ERR_RANGE;
    dynw_sampler *s = malloc(sizeof *s);
    if (!s) return DYN_ERR_BUFFER;
    s->mem = malloc(bytes);
    if (!s->mem) {
        free(s);
        return DYN_ERR_BUFFER;
    }
    dyn_status st = dyn_post_sampler_init(&s->s, &h->m, &sd, s->mem, bytes);
    if (st != DYN_OK) {
        free(s->mem);
        free(s);
        return st;
    }
    *out = s;
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE void dynw_sampler_destroy(dynw_sampler *s)
{
    if (!s) return;
    free(s->mem);
    free(s);
}

/* As dyn_post_sampler_run; written receives the iterates written even when the run diverged. */
EMSCRIPTEN_KEEPALIVE int dynw_sampler_run(dynw_sampler *s, int steps, int thin, double *out, int out_len,
                                          int *written)
{
    if (!s || !written) return DYN_ERR_NULL;
    if (out_len < 0) return DYN_ERR_SIZE;
    long w = 0;
    dyn_status st = dyn_post_sampler_run(&s->s, steps, thin, out, (size_t)out_len, &w);
    *written = (int)w;
    return st;
}

EMSCRIPTEN_KEEPALIVE int dynw_sampler_set_theta(dynw_sampler *s, const double *theta)
{
    if (!s) return DYN_ERR_NULL;
    return dyn_post_sampler_set_theta(&s->s, theta);
}

/* out: the step count t, then theta (d doubles): 1 + d doubles (out_len). */
EMSCRIPTEN_KEEPALIVE int dynw_sampler_state(const dynw_sampler *s, double *out, int out_len)
{
    if (!s || !out) return DYN_ERR_NULL;
    if (!fits(out_len, 1 + (uint64_t)s->s.d)) return DYN_ERR_BUFFER;
    out[0] = (double)s->s.t;
    memcpy(out + 1, s->s.theta, sizeof(double) * (size_t)s->s.d);
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE int dynw_post_moments(const double *samples, int count, int d, double *mean, double *cov)
{
    return dyn_post_moments(samples, count, d, mean, cov);
}

EMSCRIPTEN_KEEPALIVE int dynw_post_autocorr(const double *x, int count, int stride, int maxlag, double *acf)
{
    return dyn_post_autocorr(x, count, stride, maxlag, acf);
}

/* out: ess, tau. */
EMSCRIPTEN_KEEPALIVE int dynw_post_ess(const double *x, int count, int stride, double *out)
{
    if (!out) return DYN_ERR_NULL;
    return dyn_post_ess(x, count, stride, &out[0], &out[1]);
}

/* out: KL(N(m0, s0) || N(m1, s1)) and the 2-Wasserstein distance W2 between them. */
EMSCRIPTEN_KEEPALIVE int dynw_post_gauss_kl(int d, const double *m0, const double *s0, const double *m1,
                                            const double *s1, double *out)
{
    if (!out) return DYN_ERR_NULL;
    if (d < 1 || d > DYN_LA_MAX_N) return DYN_ERR_SIZE;
    size_t n = dyn_la_scratch_doubles(d);
    double *scr = malloc(sizeof(double) * n);
    if (!scr) return DYN_ERR_BUFFER;
    dyn_status s = dyn_la_gauss_kl(d, m0, s0, m1, s1, &out[0], scr, n);
    if (s == DYN_OK) s = dyn_la_gauss_w2(d, m0, s0, m1, s1, &out[1], scr, n);
    free(scr);
    return s;
}

EMSCRIPTEN_KEEPALIVE int dynw_post_ellipse(const double *mean, const double *cov, double nsd, int npts, float *xy)
{
    return dyn_post_ellipse(mean, cov, nsd, npts, xy, NULL);
}

/* box: x0, x1, y0, y1. out (3 + 3 DYN_POST_MAX_MODES doubles): count, inside, owner, then per mode theta1, theta2,
 * mass. scratch: nx ny ints. */
EMSCRIPTEN_KEEPALIVE int dynw_post_cover(const float *grid, int nx, int ny, const double *box, const double *mean,
                                         const double *cov, double nsd, double min_rel, double *out, int out_len,
                                         int *scratch)
{
    if (!box || !out) return DYN_ERR_NULL;
    if (!fits(out_len, 3 + 3 * DYN_POST_MAX_MODES) || nx < 2 || ny < 2) return DYN_ERR_BUFFER;
    dyn_post_box b = {box[0], box[1], box[2], box[3]};
    dyn_post_cover cv;
    dyn_status s = dyn_post_grid_cover(grid, nx, ny, &b, mean, cov, nsd, min_rel, &cv, scratch,
                                       (size_t)nx * (size_t)ny);
    if (s != DYN_OK) return s;
    out[0] = cv.count, out[1] = cv.inside, out[2] = cv.owner;
    for (int k = 0; k < cv.count; k++)
        out[3 + 3 * k] = cv.theta[k][0], out[4 + 3 * k] = cv.theta[k][1], out[5 + 3 * k] = cv.mass[k];
    return DYN_OK;
}

/* out: operations, peak bytes and seconds (dyn_work_seconds) of `steps` steps keeping `keep` iterates. */
EMSCRIPTEN_KEEPALIVE int dynw_post_run_work(const dynw_post *h, int kind, int batch, double steps, double keep,
                                            double *out, int out_len)
{
    if (!h || !out) return DYN_ERR_NULL;
    if (!fits(out_len, 3)) return DYN_ERR_SIZE;
    if (kind < 0 || kind >= DYN_POST_SAMPLER_COUNT || batch < 0 || !(steps >= 0.0) || !(keep >= 0.0)) return DYN_ERR_RANGE;
    dyn_post_sampler_desc sd = {.kind = (dyn_post_sampler_kind)kind, .batch = batch};
    dyn_work w = dyn_post_run_work(&h->m, &sd, steps, keep);
    out[0] = w.ops, out[1] = w.bytes, out[2] = dyn_work_seconds(w);
    return DYN_OK;
}

/* ==== control (core/control.h) -> wasm/dynlens-control.js ====================================================
 *   dynw_ctl_arch_count/_name, dynw_ctl_method_count/_name, dynw_ctl_embed_count/_name,
 *   dynw_ctl_readout_count/_name          the enums by index (JS keeps no copy)
 *   dynw_ctl_why                          dyn_ctl_why's reason for a descriptor (or "") and dyn_ctl_init's status
 *   dynw_ctl_train_why                    dyn_ctl_train_why's reason for a training descriptor (or "")
 *   dynw_ctl_shape                        P, P_t, k, n_out and the resolved width, embed, readout, delta
 *   dynw_ctl_init_params                  the seeded initialisation (seed in two 32-bit halves)
 *   dynw_ctl_sin, dynw_ctl_test_seed      Li et al.'s sin toy; the test set's seed of a generated training set
 *   dynw_ctl_eval                         mean terminal loss, objective J and accuracy of theta on a data set
 *   dynw_ctl_fwdbwd                       states, costates, H_t, dJ/dtheta of m examples, and the check that
 *                                         dJ/dtheta_t = -grad H_t (and finite differences of J agree)
 *   dynw_ctl_grid2d, dynw_ctl_jacdet      decision regions seen at layer l; det of step t's Jacobian (d = 2)
 *   dynw_ctl_layer_norms                  |M_t|_2 and the invertibility margin delta |M_t|_2 max|phi'| per layer
 *   dynw_ctl_perturb                      growth of an infinitesimal input perturbation over depth
 *   dynw_ctl_train_work                   what a training run will cost (dyn_ctl_train_work; the CLI refuses by it)
 *   dynw_ctl_session_create / _step / _eval / _get / _free   one training run: a dyn_ctl_train, its workspace and copies
 *                                         of the training and test sets in one malloc'd session owned by C; JS
 *                                         holds the pointer as an opaque handle (valid in the instance that made it)
 *   dynw_ctl_session_optimizer            read or restore Adam's moments and the iteration count, so that a run
 *                                         goes on in a later session (the page trains in chunks)
 *
 * The system descriptor travels as CTLARGS (n_in, n_class, width, layers, delta, act, arch, gamma, embed, readout,
 * reg), the training descriptor as TRAINARGS (method, lr, beta1, beta2, eps, batch, rho, inner_iters, lbfgs_m and
 * the seed's halves); zero means the core's default, exactly as in the structs. Every output buffer comes with its
 * length in elements, checked against what the call writes; byte counts are computed in uint64_t and refused at
 * 2^31 or more (the WASM heap is 32-bit).
 */
#include <math.h>
#include <string.h>

#include "control.h"

#define CTLARGS int n_in, int n_class, int width, int layers, double delta, int act, int arch, double gamma, \
                int embed, int readout, double reg
#define CTLPASS n_in, n_class, width, layers, delta, act, arch, gamma, embed, readout, reg
#define TRAINARGS int method, double lr, double beta1, double beta2, double eps, int batch, double rho, \
                  int inner_iters, int lbfgs_m, uint32_t tseed_lo, uint32_t tseed_hi
#define TRAINPASS method, lr, beta1, beta2, eps, batch, rho, inner_iters, lbfgs_m, tseed_lo, tseed_hi
#define DYNW_MAX_BYTES ((uint64_t)1 << 31)
#define DYNW_CTL_SHAPE_DOUBLES 8
#define DYNW_CTL_CHECK_DOUBLES 6
#define DYNW_CTL_INFO_DOUBLES 12
#define DYNW_CTL_REPORT_DOUBLES 6

typedef struct dynw_ctl_session {
    dyn_ctl_train t;   /* points into mem */
    dyn_data train;    /* x, y point into data */
    dyn_data test;     /* n = 0 when there is no test set */
    void *mem;         /* dyn_ctl_train_bytes */
    double *data;      /* train x, y, then test x, y */
    double *scratch;   /* dyn_ctl_scratch_doubles, for evaluating the test set */
    size_t scratch_len;
} dynw_ctl_session;

int dynw_ctl_arch_count(void);
const char *dynw_ctl_arch_name(int i);
int dynw_ctl_method_count(void);
const char *dynw_ctl_method_name(int i);
int dynw_ctl_embed_count(void);
const char *dynw_ctl_embed_name(int i);
int dynw_ctl_readout_count(void);
const char *dynw_ctl_readout_name(int i);
int dynw_ctl_why(CTLARGS, char *why, int why_len);
int dynw_ctl_train_why(CTLARGS, TRAINARGS, char *why, int why_len);
int dynw_ctl_shape(CTLARGS, double *out, int out_len);
int dynw_ctl_init_params(CTLARGS, double sw2, double sb2, uint32_t seed_lo, uint32_t seed_hi, double *theta,
                         int theta_len);
int dynw_ctl_sin(int n, uint32_t seed_lo, uint32_t seed_hi, double noise, double *x, int x_len, double *y, int y_len);
int dynw_ctl_test_seed(uint32_t seed_lo, uint32_t seed_hi, uint32_t *out, int out_len);
int dynw_ctl_eval(CTLARGS, const double *theta, int theta_len, const double *x, const double *y, int n, double *out,
                  int out_len);
int dynw_ctl_fwdbwd(CTLARGS, const double *theta, int theta_len, const double *u, const double *y, int m,
                    double *states, int states_len, double *costates, int costates_len, double *hamil, int hamil_len,
                    double *grad, int grad_len, double *check, int check_len);
int dynw_ctl_grid2d(CTLARGS, const double *theta, int theta_len, int l, double x_min, double x_max, double y_min,
                    double y_max, int nx, int ny, float *cls, float *conf, int out_len);
int dynw_ctl_jacdet(CTLARGS, const double *theta, int theta_len, int t, double x_min, double x_max, double y_min,
                    double y_max, int nx, int ny, float *det, int out_len);
int dynw_ctl_layer_norms(CTLARGS, const double *theta, int theta_len, double *norm, double *margin, int out_len);
int dynw_ctl_perturb(CTLARGS, const double *theta, int theta_len, const double *u, int m, uint32_t seed_lo,
                     uint32_t seed_hi, double *growth, int growth_len);
int dynw_ctl_perturb_theory(CTLARGS, double sw2, double sb2, const double *u, int m, double *growth, int growth_len);
int dynw_ctl_train_work(CTLARGS, TRAINARGS, int n, double iters, double *out, int out_len);
int dynw_ctl_session_create(CTLARGS, TRAINARGS, const double *theta0, int theta_len, const double *x,
                            const double *y, int n, const double *xt, const double *yt, int nt,
                            dynw_ctl_session **out);
int dynw_ctl_session_step(dynw_ctl_session *h, double *rep, int rep_len, double *layer_hgrad, double *layer_gain,
                          int layer_len);
int dynw_ctl_session_eval(dynw_ctl_session *h, double *out, int out_len);
int dynw_ctl_session_get(const dynw_ctl_session *h, double *theta, int theta_len, double *info, int info_len);
int dynw_ctl_session_optimizer(dynw_ctl_session *h, int set, double *m1, double *m2, int len, double *scal, int scal_len);
void dynw_ctl_session_free(dynw_ctl_session *h);

EMSCRIPTEN_KEEPALIVE int dynw_ctl_arch_count(void) { return DYN_CTL_ARCH_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_ctl_arch_name(int i) { return dyn_ctl_arch_name((dyn_ctl_arch)i); }
EMSCRIPTEN_KEEPALIVE int dynw_ctl_method_count(void) { return DYN_CTL_METHOD_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_ctl_method_name(int i) { return dyn_ctl_method_name((dyn_ctl_method)i); }
EMSCRIPTEN_KEEPALIVE int dynw_ctl_embed_count(void) { return DYN_CTL_EMBED_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_ctl_embed_name(int i) { return dyn_ctl_embed_name((dyn_ctl_embed)i); }
EMSCRIPTEN_KEEPALIVE int dynw_ctl_readout_count(void) { return DYN_CTL_READOUT_COUNT; }
EMSCRIPTEN_KEEPALIVE const char *dynw_ctl_readout_name(int i) { return dyn_ctl_readout_name((dyn_ctl_readout)i); }

/* A descriptor from CTLARGS, by field name. Enums out of range are left for dyn_ctl_why to name. */
static int bad_number(double v) { return isnan(v) || isinf(v); }

static dyn_ctl_desc ctl_desc_of(CTLARGS)
{
    dyn_ctl_desc d = {.n_in = n_in,
                      .n_class = n_class,
                      .width = width,
                      .layers = layers,
                      .delta = delta,
                      .act = (dyn_act)act,
                      .arch = (dyn_ctl_arch)arch,
                      .gamma = gamma,
                      .embed = (dyn_ctl_embed)embed,
                      .readout = (dyn_ctl_readout)readout,
                      .reg = reg};
    return d;
}

static dyn_ctl_train_desc ctl_train_desc_of(TRAINARGS)
{
    dyn_ctl_train_desc d = {.method = (dyn_ctl_method)method,
                            .lr = lr,
                            .beta1 = beta1,
                            .beta2 = beta2,
                            .eps = eps,
                            .batch = batch,
                            .rho = rho,
                            .inner_iters = inner_iters,
                            .lbfgs_m = lbfgs_m,
                            .seed = ((uint64_t)tseed_hi << 32) | tseed_lo};
    return d;
}

static dyn_status ctl_of(dyn_ctl *c, CTLARGS)
{
    if (act < 0 || act >= DYN_ACT_COUNT) return DYN_ERR_RANGE;
    dyn_ctl_desc d = ctl_desc_of(CTLPASS);
    return dyn_ctl_init(c, &d);
}

static void copy_text(char *dst, int len, const char *src)
{
    if (!dst || len < 1) return;
    size_t i = 0;
    for (; src && src[i] && i + 1 < (size_t)len; i++) dst[i] = src[i];
    dst[i] = 0;
}

/* Scratch for the functions that take it, malloc'd; NULL for an invalid system or when it is too big. */
static double *ctl_scratch(const dyn_ctl *c, size_t *len)
{
    *len = dyn_ctl_scratch_doubles(c);
    if (!*len || (uint64_t)*len * sizeof(double) >= DYNW_MAX_BYTES) return NULL;
    return malloc(*len * sizeof(double));
}

/* P (theta_len) must be at least the system's parameter count. */
static dyn_status theta_ok(const dyn_ctl *c, const double *theta, int theta_len)
{
    if (!theta) return DYN_ERR_NULL;
    if (theta_len < 0 || (size_t)theta_len < dyn_ctl_param_count(c)) return DYN_ERR_BUFFER;
    return DYN_OK;
}

/* why: dyn_ctl_why's text, "" when valid (why_len bytes, NUL-terminated). Returns dyn_ctl_init's status. */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_why(CTLARGS, char *why, int why_len)
{
    if (!why) return DYN_ERR_NULL;
    if (why_len < 1) return DYN_ERR_SIZE;
    if (act < 0 || act >= DYN_ACT_COUNT) {
        copy_text(why, why_len, "unknown activation");
        return DYN_ERR_RANGE;
    }
    dyn_ctl_desc d = ctl_desc_of(CTLPASS);
    copy_text(why, why_len, dyn_ctl_why(&d));
    dyn_ctl c;
    return dyn_ctl_init(&c, &d);
}

/* why: dyn_ctl_train_why's text for the training descriptor on this system, "" when valid. */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_train_why(CTLARGS, TRAINARGS, char *why, int why_len)
{
    if (!why) return DYN_ERR_NULL;
    if (why_len < 1) return DYN_ERR_SIZE;
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s) {
        copy_text(why, why_len, "the network's descriptor is invalid");
        return s;
    }
    dyn_ctl_train_desc td = ctl_train_desc_of(TRAINPASS);
    const char *w = dyn_ctl_train_why(&c, &td);
    copy_text(why, why_len, w);
    return w ? DYN_ERR_RANGE : DYN_OK;
}

/* out (DYNW_CTL_SHAPE_DOUBLES): P, P_t, k, n_out, width, embed, readout, delta (defaults resolved). */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_shape(CTLARGS, double *out, int out_len)
{
    if (!out) return DYN_ERR_NULL;
    if (out_len < DYNW_CTL_SHAPE_DOUBLES) return DYN_ERR_BUFFER;
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s) return s;
    if ((uint64_t)c.n_params * sizeof(double) >= DYNW_MAX_BYTES) return DYN_ERR_SIZE;
    out[0] = (double)c.n_params;
    out[1] = (double)c.p_layer;
    out[2] = c.k;
    out[3] = c.n_out;
    out[4] = c.d.width;
    out[5] = (double)c.d.embed;
    out[6] = (double)c.d.readout;
    out[7] = c.d.delta;
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE int dynw_ctl_init_params(CTLARGS, double sw2, double sb2, uint32_t seed_lo, uint32_t seed_hi,
                                              double *theta, int theta_len)
{
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s) return s;
    if (!theta) return DYN_ERR_NULL;
    if (theta_len < 0) return DYN_ERR_SIZE;
    return dyn_ctl_init_params(&c, sw2, sb2, ((uint64_t)seed_hi << 32) | seed_lo, theta, (size_t)theta_len);
}

EMSCRIPTEN_KEEPALIVE int dynw_ctl_sin(int n, uint32_t seed_lo, uint32_t seed_hi, double noise, double *x, int x_len,
                                      double *y, int y_len)
{
    if (!x || !y) return DYN_ERR_NULL;
    if (n < 1 || n > DYN_DATA_MAX_N) return DYN_ERR_SIZE;
    if (x_len < n || y_len < n) return DYN_ERR_BUFFER;
    return dyn_ctl_sin(n, ((uint64_t)seed_hi << 32) | seed_lo, noise, x, y);
}

/* out (2, out_len): the test set's seed, low and high halves. */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_test_seed(uint32_t seed_lo, uint32_t seed_hi, uint32_t *out, int out_len)
{
    if (!out) return DYN_ERR_NULL;
    if (out_len < 2) return DYN_ERR_BUFFER;
    uint64_t s = dyn_ctl_test_seed(((uint64_t)seed_hi << 32) | seed_lo);
    out[0] = (uint32_t)(s & 0xffffffffu);
    out[1] = (uint32_t)(s >> 32);
    return DYN_OK;
}

static dyn_status ctl_data_of(const dyn_ctl *c, dyn_data *dd, const double *x, const double *y, int n)
{
    if (!x || !y) return DYN_ERR_NULL;
    if (n < 1 || n > DYN_DATA_MAX_N) return DYN_ERR_SIZE;
    *dd = (dyn_data){.n = n, .d = c->d.n_in, .x = x, .y = y, .n_class = c->d.n_class};
    return DYN_OK;
}

/* out (3): mean terminal loss, J (with the running cost), accuracy (NaN for regression). A diverged net: DYN_OK
 * with non-finite values, as dyn_ctl_eval. */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_eval(CTLARGS, const double *theta, int theta_len, const double *x, const double *y,
                                       int n, double *out, int out_len)
{
    if (!out) return DYN_ERR_NULL;
    if (out_len < 3) return DYN_ERR_BUFFER;
    dyn_ctl c;
    dyn_data dd;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s || (s = theta_ok(&c, theta, theta_len)) || (s = ctl_data_of(&c, &dd, x, y, n))) return s;
    size_t sl;
    double *sc = ctl_scratch(&c, &sl);
    if (!sc) return DYN_ERR_BUFFER;
    s = dyn_ctl_eval(&c, theta, &dd, &out[0], &out[1], &out[2], sc, sl);
    free(sc);
    return s;
}

/* m examples u (m n_in), y (m): states and costates ((T + 1) m d each), hamil (T), grad (P) as dyn_ctl_forward and
 * dyn_ctl_backward compute them, and check (DYNW_CTL_CHECK_DOUBLES):
 *   [0] the mean terminal loss, [1] J,
 *   [2] max_t,i |dJ/dtheta_t[i] + grad H_t[i]| with grad H_t from dyn_ctl_layer_hamiltonian (rho = 0) at the
 *       states and costates: the gradient is minus the Hamiltonian's,
 *   [3] max |dJ/dtheta| (the scale of [2]),
 *   [4] the largest relative difference between dJ/dtheta and a central finite difference of J (dyn_ctl_eval, step
 *       1e-6 max(1, |theta_i|)) over the coordinate of largest |dJ/dtheta| in each layer (and in the read-out),
 *   [5] how many coordinates [4] checked. */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_fwdbwd(CTLARGS, const double *theta, int theta_len, const double *u, const double *y,
                                         int m, double *states, int states_len, double *costates, int costates_len,
                                         double *hamil, int hamil_len, double *grad, int grad_len, double *check,
                                         int check_len)
{
    if (!states || !costates || !hamil || !grad || !check) return DYN_ERR_NULL;
    dyn_ctl c;
    dyn_data dd;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s || (s = theta_ok(&c, theta, theta_len)) || (s = ctl_data_of(&c, &dd, u, y, m))) return s;
    const int T = c.d.layers, d = c.d.width;
    const size_t P = dyn_ctl_param_count(&c), Pt = dyn_ctl_layer_params(&c);
    uint64_t sd = ((uint64_t)T + 1) * (uint64_t)m * (uint64_t)d;
    if (sd * sizeof(double) >= DYNW_MAX_BYTES) return DYN_ERR_SIZE;
    if (states_len < 0 || costates_len < 0 || (uint64_t)states_len < sd || (uint64_t)costates_len < sd ||
        hamil_len < T || grad_len < 0 || (size_t)grad_len < P || check_len < DYNW_CTL_CHECK_DOUBLES)
        return DYN_ERR_BUFFER;
    size_t sl;
    double *sc = ctl_scratch(&c, &sl);
    double *gh = malloc(sizeof(double) * (Pt + 1)), *th = malloc(sizeof(double) * (P + 1));
    if (!sc || !gh || !th) {
        free(sc), free(gh), free(th);
        return DYN_ERR_BUFFER;
    }
    s = dyn_ctl_forward(&c, theta, u, m, states, (size_t)sd, sc, sl);
    if (!s) s = dyn_ctl_backward(&c, theta, states, y, m, costates, (size_t)sd, hamil, grad, &check[0], sc, sl);
    if (!s) s = dyn_ctl_eval(&c, theta, &dd, &check[0], &check[1], NULL, sc, sl);
    double worst = 0.0, gmax = 0.0, fd = 0.0;
    int nfd = 0;
    for (size_t i = 0; !s && i < P; i++) gmax = fmax(gmax, fabs(grad[i]));
    for (int t = 0; !s && t < T; t++) {
        dyn_ctl_layer_hamiltonian(&c, theta + (size_t)t * Pt, states + (size_t)t * m * d,
                                  costates + (size_t)(t + 1) * m * d, NULL, NULL, m, 0.0, gh, sc, sl);
        for (size_t i = 0; i < Pt; i++) worst = fmax(worst, fabs(grad[(size_t)t * Pt + i] + gh[i]));
    }
    /* finite differences of J at the largest-gradient coordinate of each layer and of the read-out */
    memcpy(th, theta, sizeof(double) * P);
    for (int t = 0; !s && t <= T; t++) {
        size_t lo = (size_t)t * Pt, hi = t < T ? lo + Pt : P, best = lo;
        if (lo >= hi) continue;
        for (size_t i = lo; i < hi; i++)
            if (fabs(grad[i]) > fabs(grad[best])) best = i;
        double h = 1e-6 * fmax(1.0, fabs(theta[best])), jp = 0.0, jm = 0.0;
        th[best] = theta[best] + h;
        s = dyn_ctl_eval(&c, th, &dd, &check[0], &jp, NULL, sc, sl);
        th[best] = theta[best] - h;
        if (!s) s = dyn_ctl_eval(&c, th, &dd, &check[0], &jm, NULL, sc, sl);
        th[best] = theta[best];
        double g = (jp - jm) / (2.0 * h);
        fd = fmax(fd, fabs(g - grad[best]) / fmax(fabs(grad[best]), 1e-8 * fmax(gmax, 1e-300)));
        nfd++;
    }
    if (!s) s = dyn_ctl_eval(&c, theta, &dd, &check[0], &check[1], NULL, sc, sl);
    check[2] = worst;
    check[3] = gmax;
    check[4] = fd;
    check[5] = nfd;
    free(sc), free(gh), free(th);
    return s;
}

/* cls, conf (either may be NULL): nx ny floats each (out_len), as dyn_ctl_grid2d. */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_grid2d(CTLARGS, const double *theta, int theta_len, int l, double x_min,
                                         double x_max, double y_min, double y_max, int nx, int ny, float *cls,
                                         float *conf, int out_len)
{
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s || (s = theta_ok(&c, theta, theta_len))) return s;
    if (nx < 1 || ny < 1 || nx > 4096 || ny > 4096) return DYN_ERR_SIZE;
    if (out_len < 0 || (uint64_t)out_len < (uint64_t)nx * (uint64_t)ny) return DYN_ERR_BUFFER;
    size_t sl;
    double *sc = ctl_scratch(&c, &sl);
    if (!sc) return DYN_ERR_BUFFER;
    s = dyn_ctl_grid2d(&c, theta, l, x_min, x_max, y_min, y_max, nx, ny, cls, conf, sc, sl);
    free(sc);
    return s;
}

/* det: nx ny floats (out_len), as dyn_ctl_jacdet_grid2d (width 2 only). */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_jacdet(CTLARGS, const double *theta, int theta_len, int t, double x_min,
                                         double x_max, double y_min, double y_max, int nx, int ny, float *det,
                                         int out_len)
{
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s || (s = theta_ok(&c, theta, theta_len))) return s;
    if (!det) return DYN_ERR_NULL;
    if (nx < 1 || ny < 1 || nx > 4096 || ny > 4096) return DYN_ERR_SIZE;
    if (out_len < 0 || (uint64_t)out_len < (uint64_t)nx * (uint64_t)ny) return DYN_ERR_BUFFER;
    return dyn_ctl_jacdet_grid2d(&c, theta, t, x_min, x_max, y_min, y_max, nx, ny, det);
}

/* norm, margin: T values each (out_len). */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_layer_norms(CTLARGS, const double *theta, int theta_len, double *norm,
                                              double *margin, int out_len)
{
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s || (s = theta_ok(&c, theta, theta_len))) return s;
    if (out_len < c.d.layers) return DYN_ERR_BUFFER;
    size_t sl;
    double *sc = ctl_scratch(&c, &sl);
    if (!sc) return DYN_ERR_BUFFER;
    s = dyn_ctl_layer_norms(&c, theta, norm, margin, sc, sl);
    free(sc);
    return s;
}

/* growth: T + 1 values (growth_len). */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_perturb(CTLARGS, const double *theta, int theta_len, const double *u, int m,
                                          uint32_t seed_lo, uint32_t seed_hi, double *growth, int growth_len)
{
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s || (s = theta_ok(&c, theta, theta_len))) return s;
    if (!u || !growth) return DYN_ERR_NULL;
    if (m < 1 || m > DYN_DATA_MAX_N) return DYN_ERR_SIZE;
    if (growth_len < c.d.layers + 1) return DYN_ERR_BUFFER;
    size_t sl;
    double *sc = ctl_scratch(&c, &sl);
    if (!sc) return DYN_ERR_BUFFER;
    s = dyn_ctl_perturb(&c, theta, u, m, ((uint64_t)seed_hi << 32) | seed_lo, growth, sc, sl);
    free(sc);
    return s;
}

/* growth: T + 1 values (growth_len): dyn_ctl_perturb_theory for the m inputs u (m n_in), whose embedded states give
 * Q_0 = |x_0|^2 / d (the embedding by dyn_ctl_forward itself, so the rule lives in one place). DYN_ERR_RANGE where
 * the theory does not apply (hamiltonian, gamma != 0, an activation that is not odd). */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_perturb_theory(CTLARGS, double sw2, double sb2, const double *u, int m, double *growth,
                                                 int growth_len)
{
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s) return s;
    if (!u || !growth) return DYN_ERR_NULL;
    if (m < 1 || m > DYN_DATA_MAX_N) return DYN_ERR_SIZE;
    if (growth_len < c.d.layers + 1) return DYN_ERR_BUFFER;
    /* the embedded inputs: the states at layer 0 of a one-layer copy of the system (any controls: zeros) */
    dyn_ctl_desc d1 = c.d;
    d1.layers = 1;
    dyn_ctl c1;
    if ((s = dyn_ctl_init(&c1, &d1))) return s;
    const int d = c.d.width;
    const uint64_t sd = 2u * (uint64_t)m * (uint64_t)d, P1 = dyn_ctl_param_count(&c1);
    if ((sd + P1 + (uint64_t)m) * sizeof(double) >= DYNW_MAX_BYTES) return DYN_ERR_SIZE;
    size_t sl;
    double *sc = ctl_scratch(&c1, &sl), *xs = malloc(sizeof(double) * (size_t)sd), *th = calloc((size_t)P1, sizeof(double));
    double *q0 = malloc(sizeof(double) * (size_t)m);
    if (!sc || !xs || !th || !q0) {
        free(sc), free(xs), free(th), free(q0);
        return DYN_ERR_BUFFER;
    }
    s = dyn_ctl_forward(&c1, th, u, m, xs, (size_t)sd, sc, sl);
    for (int i = 0; !s && i < m; i++) {
        double s2 = 0.0;
        for (int j = 0; j < d; j++) s2 += xs[(size_t)i * d + j] * xs[(size_t)i * d + j];
        q0[i] = s2 / d;
    }
    if (!s) s = dyn_ctl_perturb_theory(&c, sw2, sb2, q0, m, growth);
    free(sc), free(xs), free(th), free(q0);
    return s;
}

/* out (3 doubles, out_len): operations, peak bytes and seconds at DYN_WORK_RATE of iters iterations on n examples
 * (core/work.h), as the CLI's budget check computes them. */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_train_work(CTLARGS, TRAINARGS, int n, double iters, double *out, int out_len)
{
    if (!out) return DYN_ERR_NULL;
    if (out_len < 3) return DYN_ERR_BUFFER;
    if (n < 1 || n > DYN_DATA_MAX_N || !(iters >= 0.0)) return DYN_ERR_SIZE;
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s) return s;
    dyn_ctl_train_desc td = ctl_train_desc_of(TRAINPASS);
    if (dyn_ctl_train_why(&c, &td)) return DYN_ERR_RANGE;
    dyn_work w = dyn_ctl_train_work(&c, &td, n, iters);
    out[0] = w.ops, out[1] = w.bytes, out[2] = dyn_work_seconds(w);
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE void dynw_ctl_session_free(dynw_ctl_session *h)
{
    if (!h) return;
    free(h->mem), free(h->data), free(h->scratch), free(h);
}

/* A training run on the n examples x (n n_in), y (n) from the P controls theta0, with an optional test set xt, yt
 * (nt examples; nt = 0 and NULL pointers for none). The data are copied into the session. *out receives the handle
 * (NULL on failure); a refused descriptor gives the status of dyn_ctl_init / dyn_ctl_train_init (dynw_ctl_why and
 * dynw_ctl_train_why say why). */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_session_create(CTLARGS, TRAINARGS, const double *theta0, int theta_len,
                                                 const double *x, const double *y, int n, const double *xt,
                                                 const double *yt, int nt, dynw_ctl_session **out)
{
    if (!out) return DYN_ERR_NULL;
    *out = NULL;
    dyn_ctl c;
    dyn_status s = ctl_of(&c, CTLPASS);
    if (s || (s = theta_ok(&c, theta0, theta_len))) return s;
    if (!x || !y) return DYN_ERR_NULL;
    if (n < 1 || n > DYN_DATA_MAX_N || nt < 0 || nt > DYN_DATA_MAX_N) return DYN_ERR_SIZE;
    if (nt > 0 && (!xt || !yt)) return DYN_ERR_NULL;
    dyn_ctl_train_desc td = ctl_train_desc_of(TRAINPASS);
    if (dyn_ctl_train_why(&c, &td)) return bad_number(lr) || bad_number(rho) || bad_number(beta1) || bad_number(beta2) || bad_number(eps)
                                                  ? DYN_ERR_NAN
                                                  : DYN_ERR_RANGE;
    size_t bytes = dyn_ctl_train_bytes(&c, &td, n);
    const uint64_t nin = (uint64_t)c.d.n_in, data_doubles = ((uint64_t)n + (uint64_t)nt) * (nin + 1);
    if (!bytes || data_doubles * sizeof(double) >= DYNW_MAX_BYTES ||
        (uint64_t)bytes + data_doubles * sizeof(double) >= DYNW_MAX_BYTES)
        return DYN_ERR_SIZE;
    dynw_ctl_session *h = calloc(1, sizeof *h);
    if (!h) return DYN_ERR_BUFFER;
    h->mem = malloc(bytes); /* 8-byte aligned (dlmalloc) */
    h->data = malloc((size_t)data_doubles * sizeof(double));
    h->scratch = ctl_scratch(&c, &h->scratch_len);
    if (!h->mem || !h->data || !h->scratch) {
        dynw_ctl_session_free(h);
        return DYN_ERR_BUFFER;
    }
    double *p = h->data;
    memcpy(p, x, sizeof(double) * (size_t)(n * nin));
    memcpy(p + n * nin, y, sizeof(double) * (size_t)n);
    h->train = (dyn_data){.n = n, .d = c.d.n_in, .x = p, .y = p + n * nin, .n_class = c.d.n_class};
    p += (size_t)n * (nin + 1);
    if (nt > 0) {
        memcpy(p, xt, sizeof(double) * (size_t)(nt * nin));
        memcpy(p + nt * nin, yt, sizeof(double) * (size_t)nt);
    }
    h->test = (dyn_data){.n = nt, .d = c.d.n_in, .x = p, .y = p + nt * nin, .n_class = c.d.n_class};
    s = dyn_ctl_train_init(&h->t, &c, &td, &h->train, theta0, h->mem, bytes);
    if (s) {
        dynw_ctl_session_free(h);
        return s;
    }
    *out = h;
    return DYN_OK;
}

/* One iteration (dyn_ctl_train_step, nothing else, so that timing it times the method). rep
 * (DYNW_CTL_REPORT_DOUBLES): loss, obj, feas_x, feas_p, hgrad, inner of its report. layer_hgrad, layer_gain: T values
 * each (layer_len; both may be NULL). DYN_ERR_NAN: diverged (rep[0] is NaN, the controls are those of the last
 * finite loss). */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_session_step(dynw_ctl_session *h, double *rep, int rep_len, double *layer_hgrad,
                                               double *layer_gain, int layer_len)
{
    if (!h || !rep) return DYN_ERR_NULL;
    if (rep_len < DYNW_CTL_REPORT_DOUBLES) return DYN_ERR_BUFFER;
    const int T = h->t.c.d.layers;
    if ((layer_hgrad || layer_gain) && layer_len < T) return DYN_ERR_BUFFER;
    dyn_ctl_report r = {.layer_hgrad = layer_hgrad, .layer_gain = layer_gain};
    dyn_status s = dyn_ctl_train_step(&h->t, &h->train, &r);
    rep[0] = s == DYN_ERR_NAN ? (double)NAN : r.loss;
    rep[1] = s == DYN_ERR_NAN ? (double)NAN : r.obj;
    rep[2] = r.feas_x;
    rep[3] = r.feas_p;
    rep[4] = r.hgrad;
    rep[5] = r.inner;
    return s;
}

/* out (4): loss and accuracy of the current controls on the training set, then on the test set (NaN without one);
 * accuracy is NaN for regression, and a diverged net gives non-finite losses with DYN_OK (as dyn_ctl_eval). */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_session_eval(dynw_ctl_session *h, double *out, int out_len)
{
    if (!h || !out) return DYN_ERR_NULL;
    if (out_len < 4) return DYN_ERR_BUFFER;
    out[2] = out[3] = (double)NAN;
    dyn_status s = dyn_ctl_eval(&h->t.c, h->t.theta, &h->train, &out[0], NULL, &out[1], h->scratch, h->scratch_len);
    if (!s && h->test.n > 0)
        s = dyn_ctl_eval(&h->t.c, h->t.theta, &h->test, &out[2], NULL, &out[3], h->scratch, h->scratch_len);
    return s;
}

/* theta (theta_len >= P, may be NULL): the current controls. info (DYNW_CTL_INFO_DOUBLES, may be NULL): iterations
 * taken, method, lr, beta1, beta2, eps, batch, rho, inner_iters, lbfgs_m (resolved), P, T. */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_session_get(const dynw_ctl_session *h, double *theta, int theta_len, double *info,
                                              int info_len)
{
    if (!h) return DYN_ERR_NULL;
    const size_t P = dyn_ctl_param_count(&h->t.c);
    if (theta) {
        if (theta_len < 0 || (size_t)theta_len < P) return DYN_ERR_BUFFER;
        memcpy(theta, h->t.theta, sizeof(double) * P);
    }
    if (info) {
        if (info_len < DYNW_CTL_INFO_DOUBLES) return DYN_ERR_BUFFER;
        const dyn_ctl_train_desc *d = &h->t.d;
        info[0] = (double)h->t.iter;
        info[1] = (double)d->method;
        info[2] = d->lr;
        info[3] = d->beta1;
        info[4] = d->beta2;
        info[5] = d->eps;
        info[6] = h->t.batch;
        info[7] = d->rho;
        info[8] = d->inner_iters;
        info[9] = d->lbfgs_m;
        info[10] = (double)P;
        info[11] = h->t.c.d.layers;
    }
    return DYN_OK;
}

/* The optimiser's state besides the controls, read (set = 0) or written (set = 1), so that a run can go on in a later
 * session (the page trains in chunks, in whichever worker is free): m1, m2 (len >= P each): Adam's moments; scal
 * (3): beta1^iter, beta2^iter, iter. Full-batch runs keep nothing else between iterations (the minibatch order is
 * used only when batch < n, which a resumed run refuses: DYN_ERR_RANGE). */
EMSCRIPTEN_KEEPALIVE int dynw_ctl_session_optimizer(dynw_ctl_session *h, int set, double *m1, double *m2, int len,
                                                    double *scal, int scal_len)
{
    if (!h || !m1 || !m2 || !scal) return DYN_ERR_NULL;
    const size_t P = dyn_ctl_param_count(&h->t.c);
    if (len < 0 || (size_t)len < P || scal_len < 3) return DYN_ERR_BUFFER;
    if (!set) {
        memcpy(m1, h->t.m1, sizeof(double) * P);
        memcpy(m2, h->t.m2, sizeof(double) * P);
        scal[0] = h->t.b1t, scal[1] = h->t.b2t, scal[2] = (double)h->t.iter;
        return DYN_OK;
    }
    if (h->t.batch < h->t.n) return DYN_ERR_RANGE;
    if (!(scal[2] >= 0.0 && scal[2] <= 1e15)) return DYN_ERR_RANGE;
    for (size_t i = 0; i < P; i++)
        if (!isfinite(m1[i]) || !isfinite(m2[i])) return DYN_ERR_NAN;
    memcpy(h->t.m1, m1, sizeof(double) * P);
    memcpy(h->t.m2, m2, sizeof(double) * P);
    h->t.b1t = scal[0], h->t.b2t = scal[1], h->t.iter = (long)scal[2];
    return DYN_OK;
}

/* ==== lrcontrol (core/lrcontrol.h) -> wasm/dynlens-lrcontrol.js =====================================
 *   dynw_lrc_parse                      a schedule spec ("optimal", "const:0.5", "inv:1:10", "direct:40", "given")
 *                                       -> kind, value, t0, pieces, label (the core's parser: one place for the rule)
 *   dynw_lrc_steps                      N = round(T / eta), checked
 *   dynw_lrc_curves                     E f, second moments and multipliers on the SME moment ODE (model 0) or on
 *                                       SGD's exact moment recursion (model 1)
 *   dynw_lrc_simulate                   Monte Carlo SGD: mean and standard error of f, optional sample paths
 *   dynw_lrc_costates                   the recursion's costates and dJ/du_k per coordinate (the switching function)
 *   dynw_lrc_optimize                   the direct optimisation of a piecewise-constant shared u (scratch inside)
 *   dynw_lrc_optimal_1d                 the closed-form optimal trajectory of one coordinate
 * A problem travels as (d, a, sigma2, x0 (0: all 1), eta, batch), a schedule as (kind, value, t0, pieces, u, n_u),
 * as the fields of dyn_lrc_problem and dyn_lrc_schedule. Every output comes with its length in doubles, checked by
 * the core against (steps + 1) x d in size_t arithmetic; negative lengths are DYN_ERR_SIZE.
 */
#include "lrcontrol.h"

int dynw_lrc_parse(const char *spec, int *kind, double *value_t0, int *pieces, char *label, int label_len, char *err,
                   int err_len);
int dynw_lrc_steps(double eta, double T, int *steps);
int dynw_lrc_curves(int d, const double *a, const double *sigma2, const double *x0, double eta, int batch, int kind,
                    double value, double t0, int pieces, const double *u, int n_u, int steps, int model, int substeps,
                    double *loss, int loss_len, double *m, int m_len, double *uo, int uo_len);
int dynw_lrc_simulate(int d, const double *a, const double *sigma2, const double *x0, double eta, int batch, int kind,
                      double value, double t0, int pieces, const double *u, int n_u, int steps, int runs,
                      uint32_t seed_lo, uint32_t seed_hi, double *mean, int mean_len, double *se, int se_len,
                      int npaths, double *paths, int paths_len);
int dynw_lrc_costates(int d, const double *a, const double *sigma2, const double *x0, double eta, int batch, int kind,
                      double value, double t0, int pieces, const double *u, int n_u, int steps, double *lambda,
                      int lambda_len, double *grad, int grad_len, double *loss_T);
int dynw_lrc_optimize(int d, const double *a, const double *sigma2, const double *x0, double eta, int batch, int steps,
                      int pieces, int sweeps, double *u, int u_len, double *loss_T);
int dynw_lrc_optimal_1d(double a, double s2, double eta, double m0, double t, double *out);

static dyn_lrc_problem lrc_problem(int d, const double *a, const double *sigma2, const double *x0, double eta, int batch)
{
    dyn_lrc_problem p = {d, a, sigma2, x0, eta, batch};
    return p;
}

static int lrc_schedule(int kind, double value, double t0, int pieces, const double *u, int n_u, dyn_lrc_schedule *s)
{
    if (kind < 0 || kind >= DYN_LRC_KIND_COUNT) return DYN_ERR_RANGE;
    if (n_u < 0) return DYN_ERR_SIZE;
    dyn_lrc_schedule t = {(dyn_lrc_kind)kind, value, t0, pieces, u, n_u};
    *s = t;
    return DYN_OK;
}

/* value_t0: 2 doubles; label: label_len bytes (DYN_LRC_LABEL_MAX suffices); err: err_len bytes, "" on success. */
EMSCRIPTEN_KEEPALIVE int dynw_lrc_parse(const char *spec, int *kind, double *value_t0, int *pieces, char *label,
                                        int label_len, char *err, int err_len)
{
    if (!kind || !value_t0 || !pieces || !label || !err) return DYN_ERR_NULL;
    if (label_len < 1 || err_len < 1) return DYN_ERR_SIZE;
    err[0] = 0;
    dyn_lrc_schedule s;
    dyn_status st = dyn_lrc_schedule_parse(spec, &s, err, (size_t)err_len);
    if (st != DYN_OK) return st;
    *kind = (int)s.kind;
    value_t0[0] = s.value;
    value_t0[1] = s.t0;
    *pieces = s.pieces;
    dyn_lrc_schedule_label(&s, label, (size_t)label_len);
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE int dynw_lrc_steps(double eta, double T, int *steps)
{
    if (!steps) return DYN_ERR_NULL;
    long n;
    dyn_status s = dyn_lrc_steps(eta, T, &n);
    if (s == DYN_OK) *steps = (int)n; /* n <= DYN_LRC_MAX_STEPS fits an int */
    return s;
}

/* model 0: dyn_lrc_ode with `substeps`; model 1: dyn_lrc_recursion. m and uo may be 0 (NULL) with length 0. */
EMSCRIPTEN_KEEPALIVE int dynw_lrc_curves(int d, const double *a, const double *sigma2, const double *x0, double eta,
                                         int batch, int kind, double value, double t0, int pieces, const double *u,
                                         int n_u, int steps, int model, int substeps, double *loss, int loss_len,
                                         double *m, int m_len, double *uo, int uo_len)
{
    if (loss_len < 0 || m_len < 0 || uo_len < 0 || steps < 0) return DYN_ERR_SIZE;
    if (model < 0 || model > 1) return DYN_ERR_RANGE;
    dyn_lrc_problem p = lrc_problem(d, a, sigma2, x0, eta, batch);
    dyn_lrc_schedule s;
    int st = lrc_schedule(kind, value, t0, pieces, u, n_u, &s);
    if (st != DYN_OK) return st;
    if (model == 0)
        return dyn_lrc_ode(&p, &s, steps, substeps, loss, (size_t)loss_len, m, (size_t)m_len, uo, (size_t)uo_len);
    return dyn_lrc_recursion(&p, &s, steps, loss, (size_t)loss_len, m, (size_t)m_len, uo, (size_t)uo_len);
}

/* The seed as two 32-bit halves (no BigInt here). paths may be 0 with npaths = 0. */
EMSCRIPTEN_KEEPALIVE int dynw_lrc_simulate(int d, const double *a, const double *sigma2, const double *x0, double eta,
                                           int batch, int kind, double value, double t0, int pieces, const double *u,
                                           int n_u, int steps, int runs, uint32_t seed_lo, uint32_t seed_hi,
                                           double *mean, int mean_len, double *se, int se_len, int npaths,
                                           double *paths, int paths_len)
{
    if (mean_len < 0 || se_len < 0 || paths_len < 0 || steps < 0 || runs < 0) return DYN_ERR_SIZE;
    dyn_lrc_problem p = lrc_problem(d, a, sigma2, x0, eta, batch);
    dyn_lrc_schedule s;
    int st = lrc_schedule(kind, value, t0, pieces, u, n_u, &s);
    if (st != DYN_OK) return st;
    return dyn_lrc_simulate(&p, &s, steps, runs, ((uint64_t)seed_hi << 32) | seed_lo, mean, (size_t)mean_len, se,
                            (size_t)se_len, npaths, paths, (size_t)paths_len);
}

/* lambda: (steps + 1) x d, grad: steps x d doubles; loss_T: 1 double or 0 (NULL). */
EMSCRIPTEN_KEEPALIVE int dynw_lrc_costates(int d, const double *a, const double *sigma2, const double *x0, double eta,
                                           int batch, int kind, double value, double t0, int pieces, const double *u,
                                           int n_u, int steps, double *lambda, int lambda_len, double *grad,
                                           int grad_len, double *loss_T)
{
    if (lambda_len < 0 || grad_len < 0 || steps < 0) return DYN_ERR_SIZE;
    dyn_lrc_problem p = lrc_problem(d, a, sigma2, x0, eta, batch);
    dyn_lrc_schedule s;
    int st = lrc_schedule(kind, value, t0, pieces, u, n_u, &s);
    if (st != DYN_OK) return st;
    return dyn_lrc_costates(&p, &s, steps, lambda, (size_t)lambda_len, grad, (size_t)grad_len, loss_T);
}

/* u: u_len >= steps doubles; loss_T: 1 double. sweeps 0: the core's default. */
EMSCRIPTEN_KEEPALIVE int dynw_lrc_optimize(int d, const double *a, const double *sigma2, const double *x0, double eta,
                                           int batch, int steps, int pieces, int sweeps, double *u, int u_len,
                                           double *loss_T)
{
    if (u_len < 0 || steps < 0) return DYN_ERR_SIZE;
    dyn_lrc_problem p = lrc_problem(d, a, sigma2, x0, eta, batch);
    size_t n = dyn_lrc_optimize_scratch_doubles(d, pieces);
    if (n == 0) return DYN_ERR_SIZE;
    double *scr = malloc(sizeof(double) * n);
    if (!scr) return DYN_ERR_BUFFER;
    dyn_status s = dyn_lrc_optimize(&p, steps, pieces, sweeps, u, (size_t)u_len, loss_T, scr, n);
    free(scr);
    return s;
}

/* out: m(t), u(t), t* (3 doubles; t* = +inf without noise). */
EMSCRIPTEN_KEEPALIVE int dynw_lrc_optimal_1d(double a, double s2, double eta, double m0, double t, double *out)
{
    if (!out) return DYN_ERR_NULL;
    return dyn_lrc_optimal_1d(a, s2, eta, m0, t, &out[0], &out[1], &out[2]);
}

/* ==== isometry (core/isometry.h) -> wasm/dynlens-isometry.js ===============================================
 *   dynw_iso_theory                     dyn_iso_theory_at into 12 doubles: sw2, sb2, q, mu1, mu2, p_atom, chi1,
 *                                       s1, log_m1, rel_var, log_m2, isometric (sw2 = 0: the critical sw2)
 *   dynw_iso_density                    dyn_iso_density at n points x = lambda / chi1^L
 *   dynw_iso_spectrum                   dyn_iso_spectrum + dyn_iso_summarize: ln(lambda / chi1^L) per value
 *                                       (-inf for 0) and 6 + DYN_ISO_NQUANT summary doubles: log_m1, se_log_m1,
 *                                       log_m2, rel_var, se_rel_var, frac_zero, log-quantiles (minus L ln chi1)
 *   dynw_iso_gradients                  dyn_iso_gradients: nets x (depth + 1) ratios
 *   dynw_iso_cell                       one trainability cell on a data set given as x (n x d), y (n labels)
 *   dynw_iso_shard_owns                 the rule that splits cells among workers (int)
 *   dynw_iso_cell_work                  dyn_iso_cell_work: floating-point operations of one cell (double; 0 when
 *                                       the arguments are invalid), the page's cost estimate before a grid
 *   dynw_gz_inflate                     core/gz.h: gzip bytes (assets/digits/digits.csv.gz) into a caller buffer,
 *                                       out_len and the core's message on error; the CLI reads the file the same way
 * Sizes and seeds as everywhere: int sizes, a 64-bit seed as two uint32_t halves. Every function that needs a
 * mean-field object takes the meanfield section's dynw_mf handle (one per activation, created by JS).
 */
#include <math.h>

#include <string.h>

#include "gz.h"
#include "isometry.h"

#define DYNW_ISO_THEORY_DOUBLES 12

int dynw_iso_theory(const dynw_mf *h, int orth, double sw2, double sb2, int depth, double *out);
int dynw_iso_density(const dynw_mf *h, int orth, double sw2, double sb2, int depth, const double *x, int n,
                     double *rho);
int dynw_iso_spectrum(const dynw_mf *h, int orth, double sw2, double sb2, int width, int depth, int nets,
                      uint32_t seed_lo, uint32_t seed_hi, double *ln_x, double *summary);
int dynw_iso_gradients(const dynw_mf *h, int orth, double sw2, double sb2, int width, int depth, int nets,
                       uint32_t seed_lo, uint32_t seed_hi, double *ratio);
int dynw_iso_cell(int act, int orth, double sb2, int width, int steps, int batch, double lr, uint32_t seed_lo,
                  uint32_t seed_hi, const double *x, const double *y, int n, int d, int n_class, int depth, double sw2,
                  int cell, double *acc);
int dynw_iso_shard_owns(int cell, int k, int n);
double dynw_iso_cell_work(int act, int orth, double sb2, int width, int steps, int batch, double lr, int n, int d,
                          int n_class, int depth);
int dynw_gz_inflate(const uint8_t *in, int in_len, uint8_t *out, int out_cap, int *out_len, char *err, int err_len);

static dyn_iso_desc iso_desc(int orth, double sw2, double sb2, int width, int depth, int nets, uint32_t lo,
                             uint32_t hi)
{
    dyn_iso_desc d = {.width = width, .depth = depth, .nets = nets, .orthogonal = orth, .sw2 = sw2, .sb2 = sb2,
                      .seed = ((uint64_t)hi << 32) | lo};
    return d;
}

EMSCRIPTEN_KEEPALIVE int dynw_iso_theory(const dynw_mf *h, int orth, double sw2, double sb2, int depth, double *out)
{
    if (!h || !out) return DYN_ERR_NULL;
    if (depth < 1) return DYN_ERR_SIZE;
    dyn_iso_desc d = iso_desc(orth, sw2, sb2, 2, depth, 1, 0, 0);
    dyn_iso_theory t;
    dyn_status s = dyn_iso_theory_at(&h->mf, &d, &t);
    if (s) return s;
    double v[DYNW_ISO_THEORY_DOUBLES] = {t.sw2,  t.sb2, t.q,      t.mu1,     t.mu2,    t.p_atom,
                                         t.chi1, t.s1,  t.log_m1, t.rel_var, t.log_m2, (double)t.isometric};
    for (int i = 0; i < DYNW_ISO_THEORY_DOUBLES; i++) out[i] = v[i];
    return DYN_OK;
}

EMSCRIPTEN_KEEPALIVE int dynw_iso_density(const dynw_mf *h, int orth, double sw2, double sb2, int depth,
                                          const double *x, int n, double *rho)
{
    if (!h) return DYN_ERR_NULL;
    if (depth < 1) return DYN_ERR_SIZE;
    dyn_iso_desc d = iso_desc(orth, sw2, sb2, 2, depth, 1, 0, 0);
    dyn_iso_theory t;
    dyn_status s = dyn_iso_theory_at(&h->mf, &d, &t);
    if (s) return s;
    return dyn_iso_density(&h->mf, &t, x, n, rho);
}

/* ln_x: width x nets doubles; summary: 6 + DYN_ISO_NQUANT doubles */
EMSCRIPTEN_KEEPALIVE int dynw_iso_spectrum(const dynw_mf *h, int orth, double sw2, double sb2, int width, int depth,
                                           int nets, uint32_t seed_lo, uint32_t seed_hi, double *ln_x,
                                           double *summary)
{
    if (!h || !ln_x || !summary) return DYN_ERR_NULL;
    if (width < 2 || depth < 1 || nets < 1) return DYN_ERR_SIZE;
    dyn_iso_desc d = iso_desc(orth, sw2, sb2, width, depth, nets, seed_lo, seed_hi);
    dyn_iso_theory t;
    dyn_status s = dyn_iso_theory_at(&h->mf, &d, &t);
    if (s) return s;
    size_t n = (size_t)width * nets, sl = dyn_iso_spectrum_scratch_doubles(&d);
    if (sl < n) sl = n;
    double *buf = malloc(sizeof(double) * (sl + n + (size_t)nets));
    if (!buf) return DYN_ERR_BUFFER;
    double *nu = buf + sl, *ls = nu + n;
    s = dyn_iso_spectrum(&h->mf, &d, nu, n, ls, buf, sl);
    dyn_iso_summary sm;
    if (!s) s = dyn_iso_summarize(nu, ls, width, nets, buf, sl, &sm);
    if (!s) {
        for (size_t i = 0; i < n; i++)
            ln_x[i] = nu[i] > 0.0 ? log(nu[i]) + ls[i / (size_t)width] - t.log_m1 : -(double)INFINITY;
        summary[0] = sm.log_m1, summary[1] = sm.se_log_m1, summary[2] = sm.log_m2, summary[3] = sm.rel_var;
        summary[4] = sm.se_rel_var, summary[5] = sm.frac_zero;
        for (int i = 0; i < DYN_ISO_NQUANT; i++) summary[6 + i] = sm.log_q[i] - t.log_m1;
    }
    free(buf);
    return s;
}

/* ratio: nets x (depth + 1) doubles */
EMSCRIPTEN_KEEPALIVE int dynw_iso_gradients(const dynw_mf *h, int orth, double sw2, double sb2, int width, int depth,
                                            int nets, uint32_t seed_lo, uint32_t seed_hi, double *ratio)
{
    if (!h || !ratio) return DYN_ERR_NULL;
    if (width < 2 || depth < 1 || nets < 1) return DYN_ERR_SIZE;
    dyn_iso_desc d = iso_desc(orth, sw2, sb2, width, depth, nets, seed_lo, seed_hi);
    size_t sl = dyn_iso_gradients_scratch_doubles(&d);
    if (!sl) return DYN_ERR_SIZE;
    double *buf = malloc(sizeof(double) * sl);
    if (!buf) return DYN_ERR_BUFFER;
    dyn_status s = dyn_iso_gradients(&h->mf, &d, ratio, (size_t)nets * (depth + 1), buf, sl);
    free(buf);
    return s;
}

EMSCRIPTEN_KEEPALIVE int dynw_iso_cell(int act, int orth, double sb2, int width, int steps, int batch, double lr,
                                       uint32_t seed_lo, uint32_t seed_hi, const double *x, const double *y, int n,
                                       int d, int n_class, int depth, double sw2, int cell, double *acc)
{
    if (!x || !y || !acc) return DYN_ERR_NULL;
    if (act < 0 || act >= DYN_ACT_COUNT) return DYN_ERR_RANGE;
    if (n < 1 || d < 1 || n_class < 2) return DYN_ERR_SIZE;
    dyn_iso_train_desc t = {(dyn_act)act, orth, width, steps, batch, lr, sb2, ((uint64_t)seed_hi << 32) | seed_lo};
    dyn_data data = {n, d, x, y, n_class};
    size_t bytes = dyn_iso_cell_bytes(&t, &data, depth);
    if (!bytes) return DYN_ERR_SIZE;
    void *mem = malloc(bytes);
    if (!mem) return DYN_ERR_BUFFER;
    dyn_status s = dyn_iso_cell(&t, &data, depth, sw2, cell, mem, bytes, acc);
    free(mem);
    return s;
}

EMSCRIPTEN_KEEPALIVE int dynw_iso_shard_owns(int cell, int k, int n) { return dyn_iso_shard_owns(cell, k, n); }

EMSCRIPTEN_KEEPALIVE double dynw_iso_cell_work(int act, int orth, double sb2, int width, int steps, int batch, double lr,
                                               int n, int d, int n_class, int depth)
{
    if (act < 0 || act >= DYN_ACT_COUNT || n < 1 || d < 1 || n_class < 2) return 0.0;
    dyn_iso_train_desc t = {(dyn_act)act, orth, width, steps, batch, lr, sb2, 0};
    dyn_data data = {n, d, NULL, NULL, n_class};
    return dyn_iso_cell_work(&t, &data, depth);
}

EMSCRIPTEN_KEEPALIVE int dynw_gz_inflate(const uint8_t *in, int in_len, uint8_t *out, int out_cap, int *out_len,
                                         char *err, int err_len)
{
    if (!in || !out || !out_len || !err) return DYN_ERR_NULL;
    if (in_len < 0 || out_cap < 0 || err_len < 1) return DYN_ERR_SIZE;
    dyn_gz_info gi;
    memset(&gi, 0, sizeof gi);
    dyn_status s = dyn_gz_inflate(in, (size_t)in_len, out, (size_t)out_cap, &gi);
    *out_len = (int)gi.out_len;
    strncpy(err, gi.err, (size_t)err_len - 1);
    err[err_len - 1] = 0;
    return s;
}
