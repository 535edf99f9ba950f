/* dynw.c - the WebAssembly adapter: the dynw_* functions wasm/dynlens-<module>.js call, thin wrappers over core/. */
/*
 * One section per core module, in this order: status, act, colormap, meanfield, then the sections reserved for
 * the demos being written (landscape: net/data/landscape/render3d; posterior: linalg/posterior). A section holds
 * its own #include, an index, the prototypes (these functions are called only from JavaScript, so no header
 * declares them) and the definitions. Its JavaScript side is wasm/dynlens-<module>.js, named in the section
 * header. Conventions every section follows:
 *   - every function returns a dyn_status unless its index line says otherwise;
 *   - outputs go to caller-owned buffers that the JS side mallocs, reads and frees (withBuffers);
 *   - sizes are int (emcc 3.1.6 without BigInt passes no 64-bit integer to JS: split a uint64_t seed into two
 *     uint32_t halves, as dynw_simulate does); a negative size is DYN_ERR_SIZE, an enum out of range DYN_ERR_RANGE;
 *   - a core struct that must outlive one call (a workspace) lives in a malloc'd handle with _create/_destroy.
 */
#include <emscripten/emscripten.h>
#include <stdint.h>
#include <stdlib.h>

#include "status.h"

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

/* ==== colormap (core/colormap.h) -> wasm/dynlens-colormap.js ================================================
 *   dynw_cmap_count, dynw_cmap_name     the colormaps by index
 *   dynw_cmap_apply                     values -> RGBA through a core colormap (the canvas and the CLI's PNG agree)
 *   dynw_cmap_auto_range                the robust colour range (1st..99th percentile)
 */
#include "colormap.h"

int dynw_cmap_count(void);
const char *dynw_cmap_name(int c);
int dynw_cmap_apply(int cmap, const float *v, int n, double vmin, double vmax, int log_scale, uint8_t *rgba);
int dynw_cmap_auto_range(const float *v, int n, int log_scale, double *out, float *scratch);

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
 * Reserved for the loss-landscape demo (issue 4): its #includes, index, prototypes and functions go here.
 */


/* ==== posterior (core/linalg.h, posterior.h) -> wasm/dynlens-posterior.js ===================================
 * Reserved for the SGD-as-Bayesian-inference demo (issue 5): its #includes, index, prototypes and functions go here.
 */
