/* vec_internal.h - private to core/: DYN_VEC_CLONES, which compiles a hot loop once more for AVX2 on x86-64. */
#ifndef DYN_VEC_INTERNAL_H
#define DYN_VEC_INTERNAL_H

#include <string.h>

/* The kernels are plain C that the compiler vectorises: SSE2 (2 doubles) in a default x86-64 build, SIMD128
 * (2 doubles) in WebAssembly. On x86-64 with GCC and glibc, a function marked DYN_VEC_CLONES is also compiled for
 * AVX2 (4 doubles) and the loader picks the version the CPU runs (an ifunc). The bits do not change: each element
 * sees the same IEEE operations in the same order at any vector width, there is no FMA (the "avx2" target does not
 * enable it, and -ffp-contract=off forbids contraction anyway), and sums are never split across lanes (the loops
 * keep their running sums per output). Elsewhere (clang, emcc, sanitizers) it is empty. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(DYN_NO_VEC_CLONES)
#define DYN_VEC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DYN_VEC_CLONES
#endif

/* DYN_SUMS_ACROSS_LANES on a function whose inner loop runs across independent running sums (a register block of
 * a matrix product): GCC 12 would otherwise vectorise the loop around it, the one along each sum, as an in-order
 * reduction (one lane at a time), which is slower than scalar code; without loop vectorisation its basic-block
 * vectoriser packs the independent sums into vectors instead. Clang does not do the former. */
#if defined(__GNUC__) && !defined(__clang__)
#define DYN_SUMS_ACROSS_LANES __attribute__((optimize("no-tree-loop-vectorize"), noinline))
#else
#define DYN_SUMS_ACROSS_LANES
#endif

/* DYN_INTERLEAVE(n) before a vectorised loop over a buffer whose body is a long chain of dependent operations (the
 * activation kernels: a degree-13 Horner polynomial, then a division): clang (emcc) then runs n vectors per
 * iteration, so that their chains overlap; V8 does not overlap iterations itself (WebAssembly's tanh went from 9.3 to
 * 6.9 ns per element with n = 4). n = 2 where 4 vectors' live values no longer fit in the 16 registers (the
 * double-double kernels) and for the cheap piecewise-linear ones (clang's own choice there). Empty for GCC, whose
 * AVX2 build measured no gain from unrolling them and doubled act.c's code. Each element still sees the same
 * operations: no change in bits. */
#define DYN_PRAGMA_(x) _Pragma(#x)
#if defined(__clang__)
#define DYN_INTERLEAVE(n) DYN_PRAGMA_(clang loop interleave_count(n))
#else
#define DYN_INTERLEAVE(n)
#endif

/* DYN_KERNEL on an inline elementary kernel (act.c's tanh'', erf, ...): always inlined into the loops over buffers,
 * which vectorise only a body without calls; GCC's size limits would otherwise keep the larger kernels out of line. */
#if defined(__GNUC__)
#define DYN_KERNEL static inline __attribute__((always_inline))
#else
#define DYN_KERNEL static inline
#endif

/* dyn_v4: four doubles operated on element by element, for register blocks that the compiler would otherwise pack
 * badly (GCC's basic-block vectoriser splits an 8-wide row of sums into 1 + 4 + 2 + 1 lanes and spills). A GNU vector
 * (GCC, clang, emcc): one AVX2 register in an AVX2 clone, two SSE2 or SIMD128 registers elsewhere. dyn_v2, two
 * doubles (one SSE2 or SIMD128 register), serves a block's narrow edge. Each lane sees exactly the scalar operations
 * (no FMA: -ffp-contract=off), so the bits are those of scalar code. */
#if defined(__GNUC__)
#if !defined(__clang__)
/* static inline helpers, inlined everywhere: the ABI of passing a 32-byte vector without AVX never applies */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef double dyn_v4 __attribute__((vector_size(32)));
typedef double dyn_v2 __attribute__((vector_size(16)));
static inline dyn_v2 v2_load(const double *p)
{
    dyn_v2 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void v2_store(double *p, dyn_v2 v) { memcpy(p, &v, sizeof v); }
static inline dyn_v2 v2_splat(double x) { return (dyn_v2){x, x}; }
static inline dyn_v2 v2_add_mul(dyn_v2 a, dyn_v2 x, dyn_v2 w) { return a + x * w; }
static inline dyn_v4 v4_load(const double *p)
{
    dyn_v4 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void v4_store(double *p, dyn_v4 v) { memcpy(p, &v, sizeof v); }
static inline dyn_v4 v4_splat(double x) { return (dyn_v4){x, x, x, x}; }
static inline dyn_v4 v4_add_mul(dyn_v4 a, dyn_v4 x, dyn_v4 w) { return a + x * w; }
#else
typedef struct dyn_v4 {
    double e[4];
} dyn_v4;
static inline dyn_v4 v4_load(const double *p)
{
    dyn_v4 v;
    memcpy(v.e, p, sizeof v.e);
    return v;
}
static inline void v4_store(double *p, dyn_v4 v) { memcpy(p, v.e, sizeof v.e); }
static inline dyn_v4 v4_splat(double x) { return (dyn_v4){{x, x, x, x}}; }
static inline dyn_v4 v4_add_mul(dyn_v4 a, dyn_v4 x, dyn_v4 w)
{
    for (int i = 0; i < 4; i++) a.e[i] = a.e[i] + x.e[i] * w.e[i];
    return a;
}
typedef struct dyn_v2 {
    double e[2];
} dyn_v2;
static inline dyn_v2 v2_load(const double *p)
{
    dyn_v2 v;
    memcpy(v.e, p, sizeof v.e);
    return v;
}
static inline void v2_store(double *p, dyn_v2 v) { memcpy(p, v.e, sizeof v.e); }
static inline dyn_v2 v2_splat(double x) { return (dyn_v2){{x, x}}; }
static inline dyn_v2 v2_add_mul(dyn_v2 a, dyn_v2 x, dyn_v2 w)
{
    for (int i = 0; i < 2; i++) a.e[i] = a.e[i] + x.e[i] * w.e[i];
    return a;
}
#endif

#endif
