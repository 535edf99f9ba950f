/* test_landscape.c - slices against closed forms and the straightforward evaluation, direction normalisation, PCA,
 * projection, the Hessian's spectrum on a model where it is known, and the 3-D renderer. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data.h"
#include "landscape.h"
#include "net.h"
#include "render3d.h"
#include "rng.h"

/* ---------------------------------------------------------------- a linear model with squared error
 * L(theta) = 1/(2n) |A theta - y|^2 with A = [X 1] (theta = (w, b) in the flat layout of a depth-0 net) is exactly
 * quadratic: L(c + a d1 + b d2) = L(c) + a g.d1 + b g.d2 + (a^2 d1Hd1 + 2ab d1Hd2 + b^2 d2Hd2)/2, H = A^T A / n.
 * With the columns of X orthogonal Hadamard columns scaled by s_k (and orthogonal to the ones column),
 * H = diag(s_1^2, s_2^2, s_3^2, 1): the eigenvalues are known exactly. */
enum { QN = 8 };
static const double HAD[QN][3] = {{1, 1, 1},   {-1, 1, 1},  {1, -1, 1},  {-1, -1, 1},
                                  {1, 1, -1},  {-1, 1, -1}, {1, -1, -1}, {-1, -1, -1}};
static const double SCALE[3] = {3.0, 2.0, 0.5};

static void quad_model(double *x, double *y, dyn_net *net)
{
    for (int i = 0; i < QN; i++) {
        for (int k = 0; k < 3; k++) x[i * 3 + k] = SCALE[k] * HAD[i][k];
        y[i] = 0.3 * i - 1.0;
    }
    dyn_net_desc d = {3, 1, 0, 0, NULL, DYN_ACT_TANH, 0, DYN_LOSS_MSE};
    CHECK(dyn_net_init(net, &d) == DYN_OK, "linear model");
}

static double quad_loss(const double *x, const double *y, const double *t)
{
    double s = 0.0;
    for (int i = 0; i < QN; i++) {
        double r = t[0] * x[i * 3] + t[1] * x[i * 3 + 1] + t[2] * x[i * 3 + 2] + t[3] - y[i];
        s += r * r;
    }
    return s / (2.0 * QN);
}

static void test_quadratic_slice(void)
{
    double x[QN * 3], y[QN];
    dyn_net net;
    quad_model(x, y, &net);
    dyn_data data = {QN, 3, x, y, 0};
    double c[4] = {0.2, -0.1, 0.4, 0.3}, d1[4] = {1.0, 0.5, -0.3, 0.2}, d2[4] = {-0.4, 0.8, 0.1, -0.6};
    /* closed form pieces: g = A^T (A c - y) / n, H = diag(9, 4, 0.25, 1) */
    double g[4] = {0, 0, 0, 0}, H[4] = {9.0, 4.0, 0.25, 1.0};
    for (int i = 0; i < QN; i++) {
        double r = c[0] * x[i * 3] + c[1] * x[i * 3 + 1] + c[2] * x[i * 3 + 2] + c[3] - y[i];
        for (int k = 0; k < 3; k++) g[k] += r * x[i * 3 + k] / QN;
        g[3] += r / QN;
    }
    double L0 = quad_loss(x, y, c), g1 = 0, g2 = 0, h11 = 0, h12 = 0, h22 = 0;
    for (int k = 0; k < 4; k++) {
        g1 += g[k] * d1[k];
        g2 += g[k] * d2[k];
        h11 += d1[k] * H[k] * d1[k];
        h12 += d1[k] * H[k] * d2[k];
        h22 += d2[k] * H[k] * d2[k];
    }
    enum { NX = 9, NY = 7 };
    float loss[NX * NY], acc[NX * NY];
    dyn_ls_slice_desc sd = {-2, 2, -1.5, 1.5, NX, NY, 0, 0};
    size_t ns = dyn_ls_slice_scratch_doubles(&net, QN);
    double *s = malloc(sizeof(double) * ns);
    CHECK(dyn_ls_slice(&net, c, d1, d2, &data, &sd, loss, acc, NX * NY, s, ns) == DYN_OK, "slice");
    double worst = 0.0;
    for (int r = 0; r < NY; r++)
        for (int q = 0; q < NX; q++) {
            double a = -2.0 + 4.0 * q / (NX - 1), b = 1.5 - 3.0 * r / (NY - 1);
            double want = L0 + a * g1 + b * g2 + 0.5 * (a * a * h11 + 2 * a * b * h12 + b * b * h22);
            worst = fmax(worst, fabs((double)loss[r * NX + q] - want) / want);
        }
    CHECK(worst < 3e-7, "quadratic model: slice = closed form to float rounding (worst relative %.3g)", worst);
    CHECK(isnan(acc[0]), "regression has no accuracy");
    /* 1-D: interpolation from c to c + d1 is the parabola L0 + t g1 + t^2 h11 / 2 */
    float line[11];
    dyn_ls_slice_desc ld = {0, 1, 0, 0, 11, 1, 0, 0};
    CHECK(dyn_ls_slice(&net, c, d1, NULL, &data, &ld, line, NULL, 11, s, ns) == DYN_OK, "1-D slice");
    worst = 0.0;
    for (int q = 0; q < 11; q++) {
        double t = q / 10.0, want = L0 + t * g1 + 0.5 * t * t * h11;
        worst = fmax(worst, fabs((double)line[q] - want) / want);
    }
    CHECK(worst < 3e-7, "1-D interpolation = parabola (worst %.3g)", worst);

    /* the Hessian: eigenvalues 9, 4, 1, 0.25 exactly; Lanczos on exact HVPs finds an invariant subspace in 4 steps */
    dyn_ls_hess_desc hd = {3, 10, 1};
    size_t hs = dyn_ls_hessian_scratch_doubles(&net, QN, &hd);
    double *hsc = malloc(sizeof(double) * hs), ev[12];
    dyn_ls_hess_result res;
    CHECK(dyn_ls_hessian(&net, c, &data, &hd, &res, ev, 12, hsc, hs) == DYN_OK, "hessian");
    CHECK_NEAR(res.eval[0], 9.0, 1e-12, 0, "sharpness = largest eigenvalue of X^T X / n = s_1^2");
    CHECK_NEAR(res.eval[1], 4.0, 1e-12, 0, "second eigenvalue s_2^2");
    CHECK_NEAR(res.eval[2], 1.0, 1e-12, 0, "third eigenvalue: the bias direction, 1");
    CHECK_NEAR(res.lambda_min, 0.25, 1e-12, 0, "smallest eigenvalue s_3^2");
    CHECK(res.steps == 4, "invariant subspace after P = 4 steps (took %d)", res.steps);
    CHECK_NEAR(fabs(ev[0]), 1.0, 1e-10, 0, "top eigenvector is e_w0");
    printf("hessian (linear model): eigenvalues %.15g %.15g %.15g, min %.15g (exact 9, 4, 1, 0.25)\n", res.eval[0],
           res.eval[1], res.eval[2], res.lambda_min);
    free(hsc);
    free(s);
}

/* ---------------------------------------------------------------- a trained net on spirals */

typedef struct trained {
    dyn_net net;
    double *theta, *path; /* path: T snapshots */
    int T;
    double x[2 * 300], y[300];
    dyn_data data;
} trained;

static void train_spirals(trained *tr, int skip, int depth)
{
    dyn_toy_desc td = {DYN_TOY_SPIRALS, 300, 2, 0.05, 3};
    int k;
    dyn_data_toy(&td, tr->x, 600, tr->y, 300, &k);
    tr->data = (dyn_data){300, 2, tr->x, tr->y, k};
    dyn_net_desc nd = {2, 2, depth, 16, NULL, DYN_ACT_TANH, skip, DYN_LOSS_XENT};
    dyn_net_init(&tr->net, &nd);
    size_t P = (size_t)tr->net.n_params;
    double *th0 = malloc(sizeof(double) * P);
    dyn_net_init_params(&tr->net, 1.0, 0.0, 1, th0, P);
    dyn_train_desc o = {DYN_OPT_ADAM, 0.02, 0, 0, 0, 0, 0, 30, 1};
    size_t bytes = dyn_train_bytes(&tr->net, &o, 300);
    void *mem = malloc(bytes);
    dyn_train t;
    dyn_train_init(&t, &tr->net, &o, &tr->data, th0, mem, bytes);
    tr->T = 41;
    tr->path = malloc(sizeof(double) * P * tr->T);
    memcpy(tr->path, th0, sizeof(double) * P);
    for (int i = 1; i < tr->T; i++) {
        dyn_train_run(&t, &tr->data, 20, NULL);
        memcpy(tr->path + (size_t)i * P, t.theta, sizeof(double) * P);
    }
    tr->theta = malloc(sizeof(double) * P);
    memcpy(tr->theta, t.theta, sizeof(double) * P);
    free(mem);
    free(th0);
}

static void test_directions(const trained *tr)
{
    const dyn_net *net = &tr->net;
    size_t P = (size_t)net->n_params;
    double *d = malloc(sizeof(double) * 2 * P);
    CHECK(dyn_ls_random_dirs(net, tr->theta, DYN_DIRNORM_FILTER, 5, 2, d, 2 * P) == DYN_OK, "filter dirs");
    double worst = 0.0, bias = 0.0;
    for (int dd = 0; dd < 2; dd++)
        for (int l = 1; l <= net->depth + 1; l++) {
            int nin = net->dim[l - 1];
            for (int i = 0; i < net->dim[l]; i++) {
                const double *u = d + dd * P + net->w_off[l] + (size_t)i * nin, *w = tr->theta + net->w_off[l] + (size_t)i * nin;
                double nu = 0, nw = 0;
                for (int k = 0; k < nin; k++) nu += u[k] * u[k], nw += w[k] * w[k];
                worst = fmax(worst, fabs(sqrt(nu) - sqrt(nw)) / sqrt(nw));
                bias = fmax(bias, fabs(d[dd * P + net->b_off[l] + i]));
            }
        }
    CHECK(worst < 1e-14, "filter normalisation: each unit's direction has that unit's norm (worst %.3g)", worst);
    CHECK(bias == 0.0, "filter normalisation zeroes the biases");
    CHECK(dyn_ls_random_dirs(net, tr->theta, DYN_DIRNORM_LAYER, 5, 1, d, P) == DYN_OK, "layer dirs");
    worst = 0.0;
    for (int l = 1; l <= net->depth + 1; l++) {
        double nu = 0, nw = 0;
        for (long i = net->w_off[l]; i < net->b_off[l]; i++) nu += d[i] * d[i], nw += tr->theta[i] * tr->theta[i];
        worst = fmax(worst, fabs(sqrt(nu) - sqrt(nw)) / sqrt(nw));
    }
    CHECK(worst < 1e-14, "layer normalisation: each W^l has theta's Frobenius norm (%.3g)", worst);
    double *e = malloc(sizeof(double) * P);
    dyn_ls_random_dirs(net, tr->theta, DYN_DIRNORM_NONE, 5, 1, e, P);
    dyn_rng r;
    dyn_rng_seed(&r, 5);
    CHECK(e[0] == dyn_rng_normal(&r) && e[P - 1] != 0.0, "none: the raw N(0, 1) draw, biases included");
    free(e);
    free(d);
}

static void test_slice_vs_straightforward(const trained *tr)
{
    const dyn_net *net = &tr->net;
    size_t P = (size_t)net->n_params;
    double *d = malloc(sizeof(double) * 2 * P), *t = malloc(sizeof(double) * P);
    dyn_ls_random_dirs(net, tr->theta, DYN_DIRNORM_FILTER, 8, 2, d, 2 * P);
    enum { NX = 11, NY = 9 };
    float loss[NX * NY], acc[NX * NY], band[NX * 3];
    dyn_ls_slice_desc sd = {-1, 1, -0.8, 0.8, NX, NY, 0, 0};
    size_t ns = dyn_ls_slice_scratch_doubles(net, 300), es = dyn_net_scratch_doubles(net, 300);
    double *s = malloc(sizeof(double) * ns), *es_ = malloc(sizeof(double) * es);
    CHECK(dyn_ls_slice(net, tr->theta, d, d + P, &tr->data, &sd, loss, acc, NX * NY, s, ns) == DYN_OK, "slice");
    double L, A;
    dyn_net_eval(net, tr->theta, &tr->data, &L, &A, es_, es);
    /* the centre (a, b) = (0, 0) is column 5, row 4 */
    CHECK_NEAR(loss[4 * NX + 5], L, 1e-6, 0, "slice centre = the trained model's loss");
    CHECK((double)acc[4 * NX + 5] == (double)(float)A, "slice centre = the trained model's accuracy");
    /* every point against the straightforward way: set the weights, run the net */
    double worst = 0.0;
    int acc_same = 1;
    for (int r = 0; r < NY; r++)
        for (int q = 0; q < NX; q++) {
            double a = -1.0 + 2.0 * q / (NX - 1), b = 0.8 - 1.6 * r / (NY - 1);
            for (size_t i = 0; i < P; i++) t[i] = tr->theta[i] + a * d[i] + b * d[P + i];
            dyn_net_eval(net, t, &tr->data, &L, &A, es_, es);
            worst = fmax(worst, fabs((double)loss[r * NX + q] - L) / L);
            acc_same &= (double)acc[r * NX + q] == (double)(float)A;
        }
    CHECK(worst < 1e-6, "every slice value = set-the-weights-and-evaluate (worst relative %.3g)", worst);
    CHECK(acc_same, "and every accuracy");
    /* a band of rows (a worker's tile) gives the same bits as those rows of the full grid */
    dyn_ls_slice_desc bd = sd;
    bd.row_begin = 3;
    bd.row_end = 6;
    CHECK(dyn_ls_slice(net, tr->theta, d, d + P, &tr->data, &bd, band, NULL, NX * 3, s, ns) == DYN_OK, "band");
    CHECK(memcmp(band, loss + 3 * NX, sizeof band) == 0, "rows 3..5 as a tile = the same rows of the whole grid");
    /* errors */
    CHECK(dyn_ls_slice(net, tr->theta, d, d + P, &tr->data, &sd, loss, acc, NX * NY - 1, s, ns) == DYN_ERR_BUFFER, "out");
    CHECK(dyn_ls_slice(net, tr->theta, d, d + P, &tr->data, &sd, loss, acc, NX * NY, s, ns - 1) == DYN_ERR_BUFFER, "scratch");
    dyn_ls_slice_desc e = sd;
    e.a_max = NAN;
    CHECK(dyn_ls_slice(net, tr->theta, d, d + P, &tr->data, &e, loss, acc, NX * NY, s, ns) == DYN_ERR_NAN, "NaN range");
    e = sd;
    e.a_max = -2;
    CHECK(dyn_ls_slice(net, tr->theta, d, d + P, &tr->data, &e, loss, acc, NX * NY, s, ns) == DYN_ERR_RANGE, "empty");
    e = sd;
    e.row_end = NY + 1;
    CHECK(dyn_ls_slice(net, tr->theta, d, d + P, &tr->data, &e, loss, acc, NX * NY, s, ns) == DYN_ERR_SIZE, "rows");
    free(s);
    free(es_);
    free(t);
    free(d);
}

static void test_pca(const trained *tr)
{
    const dyn_net *net = &tr->net;
    size_t P = (size_t)net->n_params;
    int T = tr->T;
    double *d = malloc(sizeof(double) * 3 * P), var[3], *ab = malloc(sizeof(double) * 2 * T);
    size_t ns = dyn_ls_pca_scratch_doubles(T);
    double *s = malloc(sizeof(double) * ns);
    CHECK(dyn_ls_pca(tr->path, T, P, NULL, 3, d, var, s, ns) == DYN_OK, "pca");
    double worst = 0.0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double g = 0.0;
            for (size_t k = 0; k < P; k++) g += d[i * P + k] * d[j * P + k];
            worst = fmax(worst, fabs(g - (i == j)));
        }
    CHECK(worst < 1e-12, "PCA directions orthonormal (worst |d_i.d_j - delta_ij| = %.3g)", worst);
    /* the stated variance: sum_t <path_t - final, d_k>^2 / sum_t |path_t - final|^2, computed here directly */
    const double *fin = tr->path + (size_t)(T - 1) * P;
    double tot = 0.0, cap[3] = {0, 0, 0};
    for (int t = 0; t < T; t++) {
        const double *p = tr->path + (size_t)t * P;
        for (size_t k = 0; k < P; k++) tot += (p[k] - fin[k]) * (p[k] - fin[k]);
        for (int j = 0; j < 3; j++) {
            double pr = 0.0;
            for (size_t k = 0; k < P; k++) pr += (p[k] - fin[k]) * d[j * P + k];
            cap[j] += pr * pr;
        }
    }
    for (int j = 0; j < 3; j++) CHECK_NEAR(var[j], cap[j] / tot, 1e-10, 1e-14, "stated variance = captured variance");
    CHECK(var[0] >= var[1] && var[1] >= var[2], "descending");
    printf("pca: the path's top 3 directions capture %.1f %%, %.1f %%, %.1f %% of its variance\n", 100 * var[0],
           100 * var[1], 100 * var[2]);
    CHECK(dyn_ls_project(tr->path, T, P, fin, d, d + P, ab) == DYN_OK, "project");
    CHECK(fabs(ab[2 * (T - 1)]) < 1e-15 && fabs(ab[2 * T - 1]) < 1e-15, "the final point projects to (0, 0)");
    CHECK(ab[0] <= 0.0 && ab[1] <= 0.0, "the start has coordinates <= 0 (training moves toward +a, +b)");

    /* a path exactly in a plane: all variance in 2 directions, and projection recovers the coordinates */
    enum { TP = 12 };
    size_t Q = 40;
    double *u = malloc(sizeof(double) * 2 * Q), *path = malloc(sizeof(double) * TP * Q), c[40], w[2 * TP];
    dyn_rng r;
    dyn_rng_seed(&r, 2);
    for (size_t k = 0; k < 2 * Q; k++) u[k] = dyn_rng_normal(&r);
    for (size_t k = 0; k < Q; k++) c[k] = dyn_rng_normal(&r);
    for (int t = 0; t < TP; t++) {
        w[2 * t] = cos(0.4 * t) * (TP - t), w[2 * t + 1] = sin(0.4 * t) * (TP - t) * 0.3;
        for (size_t k = 0; k < Q; k++) path[t * Q + k] = c[k] + w[2 * t] * u[k] + w[2 * t + 1] * u[Q + k];
    }
    double pd[2 * 40], pv[2], got[2 * TP];
    CHECK(dyn_ls_pca(path, TP, Q, c, 2, pd, pv, s, ns) == DYN_OK, "pca plane");
    CHECK_NEAR(pv[0] + pv[1], 1.0, 1e-12, 0, "a planar path: two directions capture all variance");
    CHECK(dyn_ls_project(path, TP, Q, c, u, u + Q, got) == DYN_OK, "project plane");
    worst = 0.0;
    for (int i = 0; i < 2 * TP; i++) worst = fmax(worst, fabs(got[i] - w[i]));
    CHECK(worst < 1e-12, "projection onto non-orthogonal d1, d2 recovers the coordinates (%.3g)", worst);
    double pd3[3 * 40], pv3[3];
    CHECK(dyn_ls_pca(path, TP, Q, c, 3, pd3, pv3, s, ns) == DYN_ERR_NO_SOLUTION, "a planar path has no third direction");
    CHECK(dyn_ls_project(path, TP, Q, c, u, u, got) == DYN_ERR_NO_SOLUTION, "parallel directions");
    free(u);
    free(path);
    free(s);
    free(ab);
    free(d);
}

static void test_hessian_net(const trained *tr)
{
    /* the Lanczos estimate against plain power iteration on the same exact HVPs, and its Rayleigh quotient */
    const dyn_net *net = &tr->net;
    size_t P = (size_t)net->n_params;
    dyn_ls_hess_desc hd = {2, 40, 3};
    size_t hs = dyn_ls_hessian_scratch_doubles(net, 300, &hd), vs = dyn_net_hvp_scratch_doubles(net, 300);
    double *s = malloc(sizeof(double) * hs), *ev = malloc(sizeof(double) * 2 * P), *hv = malloc(sizeof(double) * P);
    double *vsc = malloc(sizeof(double) * vs), *v = malloc(sizeof(double) * P);
    dyn_ls_hess_result res;
    CHECK(dyn_ls_hessian(net, tr->theta, &tr->data, &hd, &res, ev, 2 * P, s, hs) == DYN_OK, "hessian");
    dyn_net_hvp(net, tr->theta, &tr->data, NULL, 0, ev, hv, NULL, vsc, vs);
    double rq = 0.0, rn = 0.0;
    for (size_t i = 0; i < P; i++) rq += ev[i] * hv[i];
    for (size_t i = 0; i < P; i++) rn += (hv[i] - rq * ev[i]) * (hv[i] - rq * ev[i]);
    CHECK_NEAR(rq, res.eval[0], 1e-9, 0, "Rayleigh quotient of the returned vector = the returned eigenvalue");
    CHECK_NEAR(sqrt(rn), res.resid[0], 1e-3, 1e-10, "the reported residual is |Hv - lambda v|");
    /* power iteration: the dominant eigenvalue in magnitude; top of the spectrum here since lambda_max > |lambda_min| */
    dyn_rng r;
    dyn_rng_seed(&r, 77);
    for (size_t i = 0; i < P; i++) v[i] = dyn_rng_normal(&r);
    double lam = 0.0;
    for (int it = 0; it < 1000; it++) {
        double n = 0.0;
        for (size_t i = 0; i < P; i++) n += v[i] * v[i];
        for (size_t i = 0; i < P; i++) v[i] /= sqrt(n);
        dyn_net_hvp(net, tr->theta, &tr->data, NULL, 0, v, hv, NULL, vsc, vs);
        lam = 0.0;
        for (size_t i = 0; i < P; i++) lam += v[i] * hv[i];
        memcpy(v, hv, sizeof(double) * P);
    }
    printf("hessian (spirals, 2 x 16 tanh): sharpness %.10g (resid %.2g, %d HVPs), power iteration %.10g (1000 HVPs), "
           "lambda_min %.4g\n",
           res.eval[0], res.resid[0], res.steps, lam, res.lambda_min);
    CHECK(res.eval[0] > fabs(res.lambda_min), "lambda_max dominates here, so power iteration finds it");
    CHECK_NEAR(res.eval[0], lam, 1e-6, 0, "Lanczos sharpness = power iteration's");
    free(s);
    free(ev);
    free(hv);
    free(vsc);
    free(v);
}

static void test_render(void)
{
    enum { N = 41 };
    float g[N * N];
    for (int r = 0; r < N; r++)
        for (int q = 0; q < N; q++) {
            double a = -1 + 2.0 * q / (N - 1), b = 1 - 2.0 * r / (N - 1);
            g[r * N + q] = (float)(a * a + 0.5 * b * b);
        }
    dyn_r3d_desc d;
    memset(&d, 0, sizeof d);
    d.width = 200;
    d.height = 150;
    size_t sb = dyn_r3d_scratch_bytes(&d, N, N);
    void *s = malloc(sb);
    uint8_t *px = malloc(4 * 200 * 150);
    CHECK(dyn_r3d_surface(&d, g, N, N, px, 4 * 200 * 150, s, sb) == DYN_OK, "render");
    long coloured = 0;
    for (int i = 0; i < 200 * 150; i++) coloured += !(px[4 * i] == 255 && px[4 * i + 1] == 255 && px[4 * i + 2] == 255);
    CHECK(coloured > 200 * 150 / 10 && coloured < 200 * 150, "the surface covers part of the picture (%ld px)", coloured);
    /* the bowl's bottom (centre of the grid, height 0) projects inside the picture, below its top corners */
    double x0, y0, x1, y1;
    CHECK(dyn_r3d_project(&d, 0.5, 0.5, 0.0, &x0, &y0, NULL) == DYN_OK, "project");
    CHECK(dyn_r3d_project(&d, 0.5, 0.5, 1.0, &x1, &y1, NULL) == DYN_OK, "project top");
    CHECK(x0 > 0 && x0 < 200 && y0 > 0 && y0 < 150 && y1 < y0, "up is up on the picture");
    d.supersample = 9;
    CHECK(dyn_r3d_surface(&d, g, N, N, px, 4 * 200 * 150, s, sb) == DYN_ERR_RANGE, "bad supersampling");
    d.supersample = 0;
    d.vmin = 2, d.vmax = 1;
    CHECK(dyn_r3d_surface(&d, g, N, N, px, 4 * 200 * 150, s, sb) == DYN_ERR_RANGE, "vmin > vmax");
    free(px);
    free(s);
}

/* A wall of full height across the grid near the viewer hides a path drawn behind it: the picture with the path
 * equals the one without it where the wall is, and a path in front of the wall does show. (The path used to be
 * depth-tested with a bias larger than the whole scene's depth range, so it floated over everything.) */
static void test_render_occlusion(void)
{
    enum { N = 41, W = 240, H = 180 };
    float g[N * N];
    /* default camera: azimuth -60, so the viewer is on the side of the bottom rows (b = -1) */
    for (int r = 0; r < N; r++)
        for (int q = 0; q < N; q++) g[r * N + q] = (r >= 26 && r <= 29) ? 1.0f : 0.0f; /* wall at b ~ -0.35 */
    dyn_r3d_desc d;
    memset(&d, 0, sizeof d);
    d.width = W, d.height = H, d.elevation = 20, d.azimuth = -80, d.vmin = 0, d.vmax = 1, d.contours = -1;
    d.a_min = -1, d.a_max = 1, d.b_min = -1, d.b_max = 1;
    d.path_rgba[0] = 255, d.path_rgba[3] = 255; /* pure red: no outline */
    size_t sb = dyn_r3d_scratch_bytes(&d, N, N);
    void *s = malloc(sb);
    uint8_t *p0 = malloc(4 * W * H), *p1 = malloc(4 * W * H), *p2 = malloc(4 * W * H);
    CHECK(dyn_r3d_surface(&d, g, N, N, p0, 4 * W * H, s, sb) == DYN_OK, "render without a path");
    double behind[4] = {-0.6, 0.0, 0.6, 0.0}, front[4] = {-0.6, -0.8, 0.6, -0.8};
    d.path = behind, d.npath = 2;
    CHECK(dyn_r3d_surface(&d, g, N, N, p1, 4 * W * H, s, sb) == DYN_OK, "render, path behind the wall");
    d.path = front;
    CHECK(dyn_r3d_surface(&d, g, N, N, p2, 4 * W * H, s, sb) == DYN_OK, "render, path in front of the wall");
    /* where is the path behind the wall on the picture, and is the wall in front of it there? */
    double px, py, wy;
    CHECK(dyn_r3d_project(&d, 0.5, 0.5, 0.0, &px, &py, NULL) == DYN_OK, "project the path's middle");
    CHECK(dyn_r3d_project(&d, 0.5, 27.5 / 40.0, 1.0, &px, &wy, NULL) == DYN_OK, "project the wall's top");
    CHECK(wy < py, "the wall's top (y = %.1f px) is above the hidden path (y = %.1f px) on the picture", wy, py);
    long changed_behind = 0, changed_front = 0;
    for (int i = 0; i < 4 * W * H; i++) changed_behind += p0[i] != p1[i], changed_front += p0[i] != p2[i];
    CHECK(changed_behind == 0, "a path behind the wall is hidden (%ld bytes differ)", changed_behind);
    CHECK(changed_front > 100, "a path in front of the wall shows (%ld bytes differ)", changed_front);
    free(p0);
    free(p1);
    free(p2);
    free(s);
}

/* size queries are overflow-checked: 0 (and DYN_ERR_SIZE from the function) instead of a wrapped 32-bit size */
static void test_size_limits(void)
{
    dyn_net_desc nd = {DYN_NET_MAX_IN, 10, 11, DYN_NET_MAX_WIDTH, NULL, DYN_ACT_TANH, 0, DYN_LOSS_XENT};
    dyn_net net;
    CHECK(dyn_net_init(&net, &nd) == DYN_OK, "a net of %ld parameters", net.n_params);
    CHECK(net.n_params > (1L << 23), "P = %ld is large", net.n_params);
    dyn_ls_hess_desc hd = {2, DYN_LS_MAX_LANCZOS, 1};
    CHECK(dyn_ls_hessian_scratch_doubles(&net, 100, &hd) == 0, "200 Lanczos vectors of 2^23+ doubles: 0, not a wrapped size");
    hd.steps = 8;
    size_t ok = dyn_ls_hessian_scratch_doubles(&net, 100, &hd);
    CHECK(ok > 0 && ok < (size_t)(DYN_NET_MAX_BYTES / 8), "8 Lanczos steps fit (%zu doubles)", ok);
    hd.steps = DYN_LS_MAX_LANCZOS;
    double dummy[4] = {0}, x[2] = {0}, y[1] = {0};
    dyn_data data = {1, DYN_NET_MAX_IN, x, y, 2};
    dyn_ls_hess_result res;
    CHECK(dyn_ls_hessian(&net, dummy, &data, &hd, &res, NULL, 0, dummy, (size_t)-1) == DYN_ERR_SIZE,
          "dyn_ls_hessian: DYN_ERR_SIZE when its scratch cannot be sized");
    CHECK(dyn_ls_slice_scratch_doubles(&net, DYN_DATA_MAX_N) == 0, "slice scratch of 10^6 examples x 1024: 0");
    CHECK(dyn_ls_slice_scratch_doubles(&net, 100) > 0, "slice scratch of 100 examples");
    CHECK(dyn_ls_pca_scratch_doubles(DYN_LS_MAX_PATH) > 0, "PCA of the longest path");
    dyn_r3d_desc rd;
    memset(&rd, 0, sizeof rd);
    rd.width = rd.height = DYN_R3D_MAX_SIDE;
    rd.supersample = 4;
    CHECK(dyn_r3d_scratch_bytes(&rd, 100, 100) == 0, "4096^2 px at supersample 4 is 2^31 bytes: 0");
    rd.supersample = 1;
    CHECK(dyn_r3d_scratch_bytes(&rd, 100, 100) > 0, "4096^2 px at supersample 1");
}

/* The default window around a path (dyn_ls_path_window), worked by hand: 1.3 max|.| + 1e-6 to 3 digits. */
static void test_path_window(void)
{
    double ab[4] = {0.5, -2, (double)NAN, 1}, r;
    CHECK(dyn_ls_path_window(ab, 2, &r) == DYN_OK && fabs(r - 2.6) < 1e-15, "1.3 * 2 + 1e-6 -> 2.60: %.17g", r);
    double small[2] = {0.012345, 0.001};
    CHECK(dyn_ls_path_window(small, 1, &r) == DYN_OK && fabs(r - 0.0160) < 1e-17, "0.0160495 -> 0.0160: %.17g", r);
    double none[2] = {(double)NAN, (double)INFINITY};
    CHECK(dyn_ls_path_window(none, 1, &r) == DYN_OK && r == 1.0, "no finite point: [-1, 1]");
    CHECK(dyn_ls_path_window(ab, 0, &r) == DYN_ERR_SIZE && dyn_ls_path_window(NULL, 1, &r) == DYN_ERR_NULL, "errors");
}

/* The verdict rule (dyn_train_verdict) at its thresholds, worked by hand from the documented constants: chance
 * loss ln C, fail at 85 % of it or at accuracy <= chance + 25 % of the way to 1, diverged above 2 max(L0, ln C).
 * The cases are the issue's: spirals without skips (0.62, 62 %), a step size of 5 (loss 42, 50 %), the default. */
static void test_verdict(void)
{
    dyn_verdict_info v;
    double l2 = log(2.0);
    char t[200];
    CHECK(dyn_train_verdict(l2, 0.0014, 1.0, 2, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_LEARNED, "default net");
    CHECK(fabs(v.reference - l2) < 1e-15 && v.chance_acc == 0.5, "reference ln 2, chance 1/2");
    CHECK(dyn_train_verdict(l2, 0.62, 0.62, 2, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_FAILED, "0.62 = 0.894 ln 2");
    CHECK(dyn_train_verdict(l2, 0.58, 0.70, 2, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_LEARNED,
          "0.58 < 0.85 ln 2 = 0.589 and 70 %% > 62.5 %%");
    CHECK(dyn_train_verdict(l2, 0.40, 0.62, 2, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_FAILED,
          "62 %% <= 50 + 0.25 * 50 = 62.5 %%: failed by accuracy");
    CHECK(dyn_train_verdict(l2, 0.40, 0.60, 10, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_LEARNED,
          "10 classes: chance 10 %%, the bar at 32.5 %%");
    CHECK(dyn_train_verdict(l2, 42.0, 0.5, 2, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_DIVERGED, "step size 5");
    CHECK(dyn_train_verdict(l2, 1.38, 0.5, 2, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_FAILED,
          "1.38 < 2 ln 2 = 1.386: not (yet) diverged");
    CHECK(dyn_train_verdict(5.0, 9.0, 0.9, 2, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_FAILED,
          "a large initial loss raises the divergence bar (9 < 2 * 5): failed (9 > 0.85 ln 2), not diverged");
    CHECK(dyn_train_verdict(l2, (double)NAN, (double)NAN, 2, 1, &v) == DYN_OK && v.verdict == DYN_VERDICT_DIVERGED,
          "the run stopped on a NaN");
    CHECK(dyn_train_verdict(2.0, 1.9, (double)NAN, 0, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_FAILED &&
          v.reference == 2.0, "regression: 1.9 >= 0.85 * 2");
    CHECK(dyn_train_verdict(2.0, 0.1, (double)NAN, 0, 0, &v) == DYN_OK && v.verdict == DYN_VERDICT_LEARNED, "regression");
    CHECK(dyn_train_verdict((double)NAN, 0.1, (double)NAN, 0, 0, &v) == DYN_ERR_RANGE, "regression without L0");
    CHECK(dyn_train_verdict(0.0, 0.0, (double)NAN, 0, 0, &v) == DYN_ERR_RANGE &&
          dyn_train_verdict(-1.0, 0.1, (double)NAN, 0, 0, &v) == DYN_ERR_RANGE, "regression: L0 <= 0 has no percentage");
    CHECK(dyn_train_verdict(l2, 0.1, 1.5, 2, 0, &v) == DYN_ERR_RANGE && dyn_train_verdict(l2, 0.1, 1, 1, 0, &v) ==
          DYN_ERR_RANGE && dyn_train_verdict(l2, 0.1, 1, 2, 0, NULL) == DYN_ERR_NULL, "errors");
    CHECK(dyn_train_verdict(l2, 0.62, 0.62, 2, 0, &v) == DYN_OK && dyn_verdict_text(&v, t, sizeof t) == DYN_OK &&
          strcmp(t, "did not learn: the loss 0.62 is 89 % of the chance loss ln 2 = 0.693, accuracy 62 % (chance 50 %)") == 0,
          "the sentence: %s", t);
    CHECK(dyn_train_verdict(l2, 42.0, 0.5, 2, 0, &v) == DYN_OK && dyn_verdict_text(&v, t, sizeof t) == DYN_OK &&
          strstr(t, "diverged: the loss rose to 42,") == t, "%s", t);
    CHECK(dyn_verdict_text(&v, t, 8) == DYN_OK && strlen(t) == 7, "truncated, NUL-terminated");
    CHECK(strcmp(dyn_verdict_name(DYN_VERDICT_FAILED), "failed to learn") == 0, "names");
}

/* Roughness of a grid (dyn_ls_roughness): a bowl exp(x^2 + y^2) has one minimum and Laplacian of log L equal to
 * 4 h^2 everywhere (h the grid step); a checkerboard bump pattern has many minima. */
static void test_roughness(void)
{
    enum { N = 21 };
    float g[N * N];
    double h = 0.1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double x = (j - 10) * h, y = (i - 10) * h;
            g[i * N + j] = (float)exp(x * x + y * y);
        }
    int m;
    double r;
    CHECK(dyn_ls_roughness(g, N, N, &m, &r) == DYN_OK && m == 1, "a bowl: one minimum (%d)", m);
    CHECK_NEAR(r, 4 * h * h, 1e-5, 0, "a bowl: |Laplacian of log L| = 4 h^2 (float rounding)");
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) g[i * N + j] = (float)(2.0 + cos(3.141592653589793 * i / 2.0) * cos(3.141592653589793 * j / 2.0));
    CHECK(dyn_ls_roughness(g, N, N, &m, &r) == DYN_OK && m == 40 && r > 0.5, "egg crate: the -1s at even i, j with i/2 + j/2 odd, 40 of the 9 x 9 inside: %d, %g", m, r);
    g[0] = (float)NAN;
    CHECK(dyn_ls_roughness(g, N, N, &m, &r) == DYN_OK, "a NaN corner is skipped");
    CHECK(dyn_ls_roughness(g, 2, N, &m, &r) == DYN_ERR_SIZE && dyn_ls_roughness(NULL, N, N, &m, &r) == DYN_ERR_NULL, "errors");
}

int main(void)
{
    test_verdict();
    test_roughness();
    test_path_window();
    test_quadratic_slice();
    test_size_limits();
    test_render_occlusion();
    trained tr;
    train_spirals(&tr, 1, 2);
    test_directions(&tr);
    test_slice_vs_straightforward(&tr);
    test_pca(&tr);
    test_hessian_net(&tr);
    test_render();
    free(tr.theta);
    free(tr.path);
    return check_summary("test_landscape");
}
