/* rng.c - xoshiro256** (Blackman and Vigna 2018) with splitmix64 seeding, and Marsaglia's polar normals. */
#include "rng.h"
#include "act.h" /* dyn_log */

#include <math.h>

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void dyn_rng_seed(dyn_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
    r->spare = 0.0;
    r->has_spare = 0;
}

uint64_t dyn_rng_u64(dyn_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double dyn_rng_uniform(dyn_rng *r) { return (double)(dyn_rng_u64(r) >> 11) * 0x1.0p-53; }

/* 64 x 64 -> 128-bit product from 32-bit halves (portable C11, no __int128) */
static void mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
}

uint64_t dyn_rng_below(dyn_rng *r, uint64_t n)
{
    if (n == 0) return 0;
    uint64_t hi, lo;
    mul128(dyn_rng_u64(r), n, &hi, &lo);
    if (lo < n) { /* only then can the draw fall in the biased sliver: pay for the modulo here alone */
        uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
        while (lo < threshold) mul128(dyn_rng_u64(r), n, &hi, &lo);
    }
    return hi;
}

/* 2 U - 1, out of line on purpose. Inlined twice into the polar loop below, its two draws are isomorphic and clang's
 * SLP vectoriser packs them into i64x2 lanes for WebAssembly; SIMD128 has an i64x2.mul but x86 has no 64-bit lane
 * multiply, so V8 emulates each of the scrambler's two products with three pmuludq and shifts, and converts u64 to
 * double through a magic-number sequence: SGLD's normals ran 15 % slower in WASM than as two scalar calls. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static double signed_uniform(dyn_rng *r) { return 2.0 * dyn_rng_uniform(r) - 1.0; }

double dyn_rng_normal(dyn_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = signed_uniform(r);
        v = signed_uniform(r);
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * dyn_log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}
