/* train_digest.c - prints the bits of long training runs on the digits: every cell of the isometry page's default
 * trainability grid (6 depths from 5 to 60 x 9 sigma_w^2 from 1 to 4, width 16, 150 SGD steps of lr 0.03, batch 32,
 * Gaussian and orthogonal weights) and one Adam run of a 3 x 64 tanh net for 3000 steps; then the points of every toy
 * data set and an Adam run of a 3 x 32 tanh net with skips on the spirals (the landscape page's net) for 2000 steps,
 * with a loss slice and a Hessian-vector product around its end, and a slice on the digits. Built natively and with emcc
 * (tests/wasm/train_bits.sh), the two outputs must be identical: the page's cells and the CLI's are the same bits.
 *   train_digest <digits.csv.gz> */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "gz.h"
#include "isometry.h"
#include "landscape.h"
#include "net.h"

/* FNV-1a over the 8 bytes of each value */
static uint64_t hash(const double *y, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &y[i], 8);
        for (int b = 0; b < 8; b++) h = (h ^ ((u >> (8 * b)) & 0xffu)) * 1099511628211u;
    }
    return h;
}

static void die(const char *what)
{
    fprintf(stderr, "train_digest: %s\n", what);
    exit(1);
}

/* a 13 x 5 slice of loss and accuracy around theta along two filter-normalised random directions (the landscape
 * page's figure: grid points in groups, the softmax through dyn_exp_array), and, with hvp, the Hessian-vector
 * product along the first direction */
static void slice_line(const char *what, const dyn_net *net, const double *theta, const dyn_data *data, int hvp)
{
    size_t P = dyn_net_param_count(net), ns = dyn_ls_slice_scratch_doubles(net, data->n);
    size_t hs = hvp ? dyn_net_hvp_scratch_doubles(net, data->n) : 0;
    double *dirs = malloc(sizeof(double) * 2 * P), *scr = malloc(sizeof(double) * (ns > hs ? ns : hs));
    double *hv = malloc(sizeof(double) * P), g[2 * 13 * 5];
    float loss[13 * 5], acc[13 * 5];
    dyn_ls_slice_desc sd = {.a_min = -1, .a_max = 1, .b_min = -0.5, .b_max = 0.5, .nx = 13, .ny = 5};
    if (!dirs || !scr || !hv || dyn_ls_random_dirs(net, theta, DYN_DIRNORM_FILTER, 7, 2, dirs, 2 * P) ||
        dyn_ls_slice(net, theta, dirs, dirs + P, data, &sd, loss, acc, 13 * 5, scr, ns))
        die("the slice failed");
    for (int i = 0; i < 13 * 5; i++) g[i] = loss[i], g[13 * 5 + i] = acc[i];
    printf("slice %s 13x5 loss %.6f..%.6f bits=%016" PRIx64, what, (double)loss[0], (double)loss[13 * 5 - 1],
           hash(g, 2 * 13 * 5, 1469598103934665603u));
    if (hvp) {
        if (dyn_net_hvp(net, theta, data, NULL, 0, dirs, hv, NULL, scr, hs)) die("the Hessian-vector product failed");
        printf(" hvp=%016" PRIx64, hash(hv, P, 1469598103934665603u));
    }
    printf("\n");
    free(dirs);
    free(scr);
    free(hv);
}

int main(int argc, char **argv)
{
    if (argc != 2) die("usage: train_digest <digits.csv.gz>");
    FILE *f = fopen(argv[1], "rb");
    if (!f) die("cannot open the digits file");
    static unsigned char gz[1 << 22];
    size_t gl = fread(gz, 1, sizeof gz, f);
    fclose(f);
    size_t cap = 1 << 24;
    char *csv = malloc(cap);
    dyn_gz_info gi;
    if (!csv || dyn_gz_inflate(gz, gl, csv, cap, &gi)) die("cannot inflate the digits file");
    dyn_csv_info ci;
    if (dyn_data_csv_scan(csv, gi.out_len, 1, &ci)) die(ci.err);
    double *x = malloc(sizeof(double) * (size_t)ci.rows * ci.cols), *y = malloc(sizeof(double) * (size_t)ci.rows);
    if (!x || !y || dyn_data_csv_parse(csv, gi.out_len, 1, &ci, x, (size_t)ci.rows * ci.cols, y, (size_t)ci.rows))
        die("cannot parse the digits");
    dyn_data_standardize(x, ci.rows, ci.cols, NULL, NULL);
    dyn_data data = {.n = ci.rows, .d = ci.cols, .x = x, .y = y, .n_class = ci.n_class};

    /* the trainability grid at the page's defaults */
    for (int orth = 0; orth < 2; orth++) {
        dyn_iso_train_desc t = {.act = DYN_ACT_TANH, .orthogonal = orth, .width = 16, .steps = 150, .batch = 32,
                                .lr = 0.03, .sb2 = 0.05, .seed = 1};
        size_t bytes = dyn_iso_cell_bytes(&t, &data, 60);
        double *mem = malloc(bytes);
        if (!mem) die("out of memory");
        uint64_t h = 1469598103934665603u;
        double lo = 1.0, hi = 0.0;
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 9; j++) {
                int depth = 5 + (55 * i + 2) / 5;
                double acc, sw2 = 1.0 + 3.0 * j / 8.0;
                if (dyn_iso_cell(&t, &data, depth, sw2, (long)(i * 9 + j), mem, bytes, &acc)) die("a cell failed");
                h = hash(&acc, 1, h);
                lo = acc < lo ? acc : lo;
                hi = acc > hi ? acc : hi;
            }
        printf("trainability %s cells=54 accuracy %.4f..%.4f bits=%016" PRIx64 "\n", dyn_iso_weights_name(orth), lo, hi,
               h);
        free(mem);
    }

    /* a long Adam run */
    dyn_net net;
    int widths[3] = {64, 64, 64};
    dyn_net_desc nd = {.n_in = data.d, .n_out = data.n_class, .depth = 3, .widths = widths, .act = DYN_ACT_TANH,
                       .loss = DYN_LOSS_XENT};
    if (dyn_net_init(&net, &nd)) die("net");
    size_t P = dyn_net_param_count(&net);
    double *theta = malloc(sizeof(double) * P);
    dyn_train_desc td = {.opt = DYN_OPT_ADAM, .lr = 0.003, .batch = 32, .seed = 7};
    size_t tb = dyn_train_bytes(&net, &td, data.n);
    void *tm = malloc(tb);
    static double losses[3000];
    dyn_train tr;
    if (!theta || !tm || dyn_net_init_params(&net, 1.0, 0.05, 3, theta, P) ||
        dyn_train_init(&tr, &net, &td, &data, theta, tm, tb) || dyn_train_run(&tr, &data, 3000, losses))
        die("training failed");
    printf("adam 3x64 tanh steps=3000 loss %.6f -> %.6f theta=%016" PRIx64 " losses=%016" PRIx64 "\n", losses[0],
           losses[2999], hash(tr.theta, P, 1469598103934665603u), hash(losses, 3000, 1469598103934665603u));
    free(theta);
    free(tm);

    /* the toy sets (their sin and cos) and a landscape-page run on the spirals */
    enum { NT = 400 };
    static double tx[2 * NT], ty[NT];
    for (int kind = 0; kind < DYN_TOY_COUNT; kind++) {
        int k;
        dyn_toy_desc toy = {.kind = (dyn_toy)kind, .n = NT, .noise = 0.1, .seed = 1};
        if (dyn_data_toy(&toy, tx, 2 * NT, ty, NT, &k)) die("toy data");
        printf("toy %s points=%016" PRIx64 "\n", dyn_toy_name((dyn_toy)kind), hash(tx, 2 * NT, 1469598103934665603u));
    }
    int k;
    dyn_toy_desc sp = {.kind = DYN_TOY_SPIRALS, .n = NT, .noise = 0.1, .seed = 1};
    dyn_data_toy(&sp, tx, 2 * NT, ty, NT, &k);
    dyn_data spir = {.n = NT, .d = 2, .x = tx, .y = ty, .n_class = k};
    dyn_net_desc ld = {.n_in = 2, .n_out = k, .depth = 3, .width = 32, .act = DYN_ACT_TANH, .skip = 1,
                       .loss = DYN_LOSS_XENT};
    if (dyn_net_init(&net, &ld)) die("net");
    P = dyn_net_param_count(&net);
    dyn_train_desc ad = {.opt = DYN_OPT_ADAM, .batch = 32, .seed = 1};
    theta = malloc(sizeof(double) * P);
    tm = malloc(tb = dyn_train_bytes(&net, &ad, NT));
    if (!theta || !tm || dyn_net_init_params(&net, 1.0, 0.0, 1, theta, P) ||
        dyn_train_init(&tr, &net, &ad, &spir, theta, tm, tb) || dyn_train_run(&tr, &spir, 2000, losses))
        die("training on the spirals failed");
    printf("adam 3x32 tanh + skips, spirals, steps=2000 loss %.6f -> %.6f theta=%016" PRIx64 "\n", losses[0],
           losses[1999], hash(tr.theta, P, 1469598103934665603u));
    slice_line("spirals 3x32 tanh + skips, trained", &net, tr.theta, &spir, 1);
    free(theta);

    /* a slice of a random 2 x 40 tanh net with skips on the digits: 10 classes, n not a multiple of the slice's
     * 64-example blocks */
    dyn_net_desc dd = {.n_in = data.d, .n_out = data.n_class, .depth = 2, .width = 40, .act = DYN_ACT_TANH, .skip = 1,
                       .loss = DYN_LOSS_XENT};
    if (dyn_net_init(&net, &dd)) die("net");
    P = dyn_net_param_count(&net);
    theta = malloc(sizeof(double) * P);
    if (!theta || dyn_net_init_params(&net, 1.0, 0.05, 5, theta, P)) die("digits net");
    slice_line("digits 2x40 tanh + skips, random", &net, theta, &data, 1);
    free(theta);
    free(tm);
    free(x);
    free(y);
    free(csv);
    return 0;
}
