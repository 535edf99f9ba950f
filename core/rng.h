/* rng.h - seeded random numbers: xoshiro256** uniforms and polar-method normals, identical on every platform. */
#ifndef DYN_RNG_H
#define DYN_RNG_H

#include <stdint.h>

/* Index
 *   dyn_rng          caller-owned generator state (copy it to fork a stream)
 *   dyn_rng_seed     seed from one 64-bit integer (splitmix64 expands it)
 *   dyn_rng_u64      next 64 uniformly random bits
 *   dyn_rng_uniform  next double in [0, 1) with 53 random bits
 *   dyn_rng_below    next integer uniform on 0..n-1 (unbiased), for minibatch indices and shuffles
 *   dyn_rng_normal   next standard normal deviate
 *
 * Only IEEE-754 +, -, *, / and sqrt (all correctly rounded) and dyn_log (act.h) built from them are used,
 * so a seed gives the same bits natively and in WebAssembly. Compile with -ffp-contract=off.
 */

typedef struct dyn_rng {
    uint64_t s[4];
    double spare;   /* second deviate of the last polar pair */
    int has_spare;
} dyn_rng;

void dyn_rng_seed(dyn_rng *r, uint64_t seed);
uint64_t dyn_rng_u64(dyn_rng *r);
double dyn_rng_uniform(dyn_rng *r);
double dyn_rng_normal(dyn_rng *r);
/* n >= 1; 0 when n == 0. Lemire's multiply-shift with rejection: no modulo bias, and the same on every platform. */
uint64_t dyn_rng_below(dyn_rng *r, uint64_t n);

#endif
