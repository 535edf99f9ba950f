/* act_digest.c - prints a hash of the bits of phi, phi', phi'' of every activation on a fixed grid; built natively
 * and with emcc (tests/wasm/act_bits.sh), the two outputs must be identical: act.c's kernels give the same bits. The fused
 * phi' and phi'' kernel and dyn_exp_array are hashed too. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "act.h"

#define N 200000

/* FNV-1a over the 8 bytes of each value, NaNs folded to one pattern (their payloads are not part of the contract) */
static uint64_t hash(const double *y, int n)
{
    uint64_t h = 1469598103934665603u;
    for (int i = 0; i < n; i++) {
        uint64_t u;
        double v = isnan(y[i]) ? (double)NAN : y[i];
        memcpy(&u, &v, 8);
        for (int b = 0; b < 8; b++) h = (h ^ ((u >> (8 * b)) & 0xffu)) * 1099511628211u;
    }
    return h;
}

static double x[N], y[N];

int main(void)
{
    int n = 0;
    for (int i = 0; i < 150000; i++) x[n++] = -30.0 + 60.0 * i / 149999.0 + 1e-7 * (i % 5);
    for (double v = 4.9406564584124654e-324; v < 1e308 && n + 2 <= N - 8; v *= 1.03) {
        x[n++] = v;
        x[n++] = -v;
    }
    const double edge[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 709.78, -745.13, 19.06, 5.92};
    for (int i = 0; i < 9 && n < N; i++) x[n++] = edge[i];
    for (int a = 0; a < DYN_ACT_COUNT; a++)
        for (int o = 0; o < 3; o++) {
            dyn_status st = o == 0 ? dyn_act_phi_array((dyn_act)a, x, (size_t)n, y)
                                   : (o == 1 ? dyn_act_dphi_array((dyn_act)a, x, (size_t)n, y)
                                             : dyn_act_d2phi_array((dyn_act)a, x, (size_t)n, y));
            uint64_t ha = hash(y, n);
            for (int i = 0; i < n; i++)
                y[i] = o == 0 ? dyn_act_phi((dyn_act)a, x[i])
                              : (o == 1 ? dyn_act_dphi((dyn_act)a, x[i]) : dyn_act_d2phi((dyn_act)a, x[i]));
            printf("%-10s d%d n=%d status=%d array=%016" PRIx64 " scalar=%016" PRIx64 "\n", dyn_act_name((dyn_act)a), o,
                   n, (int)st, ha, hash(y, n));
        }
    static double y2[N]; /* the fused phi' and phi'' (dyn_act_derivs_array), compared the same way */
    for (int a = 0; a < DYN_ACT_COUNT; a++) {
        dyn_status st = dyn_act_derivs_array((dyn_act)a, x, (size_t)n, y, y2);
        printf("%-10s d1d2 n=%d status=%d d1=%016" PRIx64 " d2=%016" PRIx64 "\n", dyn_act_name((dyn_act)a), n, (int)st,
               hash(y, n), hash(y2, n));
    }
    /* exp over the buffer (the softmax's, interleaved in WebAssembly) and element by element, at lengths that leave
     * every remainder of its 4-vector loop */
    for (int len = n - 3; len <= n; len++) {
        dyn_exp_array(x, (size_t)len, y);
        uint64_t ha = hash(y, len);
        for (int i = 0; i < len; i++) y[i] = dyn_exp(x[i]);
        printf("exp n=%d array=%016" PRIx64 " scalar=%016" PRIx64 "\n", len, ha, hash(y, len));
    }
    return 0;
}
