/* test_gz.c - the core gzip decoder against zlib (an independent implementation): members, damage, bounds, bombs. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "gz.h"
#include "rng.h"

/* Expected values come from zlib: every stream here is compressed by zlib's deflate (gzip wrapper, windowBits
 * 16 + 15) at several levels and strategies, and the decoder must return exactly the bytes zlib was given. */

/* gzip-compress src with zlib; returns the compressed length (dst must hold compressBound + 64) */
static size_t zgzip(const unsigned char *src, size_t n, unsigned char *dst, size_t cap, int level, int strategy)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, 16 + 15, 8, strategy) != Z_OK) return 0;
    z.next_in = (unsigned char *)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, Z_FINISH);
    size_t out = cap - z.avail_out;
    deflateEnd(&z);
    return r == Z_STREAM_END ? out : 0;
}

/* gunzip one member with zlib; (size_t)-1 if zlib refuses it */
static size_t zgunzip(const unsigned char *src, size_t n, unsigned char *dst, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + 15) != Z_OK) return (size_t)-1;
    z.next_in = (unsigned char *)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    int r = inflate(&z, Z_FINISH);
    size_t out = cap - z.avail_out;
    int rest = (int)z.avail_in;
    inflateEnd(&z);
    return r == Z_STREAM_END && rest == 0 ? out : (size_t)-1;
}

/* text-like data (a CSV), random bytes, and long runs: the three shapes of deflate's work */
static void fill(unsigned char *b, size_t n, int kind, dyn_rng *r)
{
    for (size_t i = 0; i < n; i++) {
        if (kind == 0) b[i] = (unsigned char)"0123456789.,-\n"[dyn_rng_u64(r) % 14];
        else if (kind == 1) b[i] = (unsigned char)dyn_rng_u64(r);
        else b[i] = (unsigned char)((i / 1000) % 3);
    }
}

static void test_roundtrip(void)
{
    dyn_rng r;
    dyn_rng_seed(&r, 11);
    const size_t sizes[] = {0, 1, 100, 40000, 300000};
    const int levels[] = {0, 1, 6, 9}, strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
    size_t maxn = 300000;
    unsigned char *src = malloc(maxn), *gz = malloc(2 * maxn + 1024), *out = malloc(maxn + 16);
    int cases = 0, ok = 0;
    for (int si = 0; si < 5; si++)
        for (int kind = 0; kind < 3; kind++)
            for (int li = 0; li < 4; li++)
                for (int st = 0; st < 5; st++) {
                    size_t n = sizes[si];
                    fill(src, n, kind, &r);
                    size_t gn = zgzip(src, n, gz, 2 * maxn + 1024, levels[li], strategies[st]);
                    dyn_gz_info info;
                    dyn_status s = dyn_gz_inflate(gz, gn, out, maxn + 16, &info);
                    cases++;
                    int good = gn > 0 && s == DYN_OK && info.out_len == n && info.members == 1 && memcmp(out, src, n) == 0;
                    ok += good;
                    if (!good)
                        printf("  case size %zu kind %d level %d strategy %d: %s (%s)\n", n, kind, levels[li],
                               strategies[st], dyn_status_str(s), info.err);
                }
    CHECK(ok == cases, "%d of %d zlib streams decode to their input", ok, cases);
    free(src);
    free(gz);
    free(out);
}

static void test_members_and_damage(void)
{
    const char *a = "x,y,label\n1,2,0\n", *b = "3,4,1\n5,6,0\n";
    unsigned char g[1024], out[256];
    size_t na = zgzip((const unsigned char *)a, strlen(a), g, 512, 6, Z_DEFAULT_STRATEGY);
    size_t nb = zgzip((const unsigned char *)b, strlen(b), g + na, 512, 9, Z_DEFAULT_STRATEGY);
    dyn_gz_info info;
    /* was: only the first member was read (half the rows, status 0) */
    CHECK(dyn_gz_inflate(g, na + nb, out, sizeof out, &info) == DYN_OK && info.members == 2 &&
              info.out_len == strlen(a) + strlen(b) && memcmp(out, a, strlen(a)) == 0 &&
              memcmp(out + strlen(a), b, strlen(b)) == 0,
          "two members read whole: %s", info.err);
    memset(g + na + nb, 0, 100); /* tar-style zero padding */
    CHECK(dyn_gz_inflate(g, na + nb + 100, out, sizeof out, &info) == DYN_OK && info.members == 2, "zero padding");
    g[na + nb + 50] = 7;
    CHECK(dyn_gz_inflate(g, na + nb + 100, out, sizeof out, &info) == DYN_ERR_RANGE && strstr(info.err, "not gzip"),
          "trailing garbage: %s", info.err);
    /* was: CRC and ISIZE never checked, a damaged file read as valid */
    unsigned char d[512];
    memcpy(d, g, na);
    d[na - 8] ^= 1; /* the CRC-32 */
    CHECK(dyn_gz_inflate(d, na, out, sizeof out, &info) == DYN_ERR_RANGE && strstr(info.err, "CRC-32"), "CRC: %s", info.err);
    memcpy(d, g, na);
    d[na - 4] ^= 1; /* ISIZE */
    CHECK(dyn_gz_inflate(d, na, out, sizeof out, &info) == DYN_ERR_RANGE && strstr(info.err, "trailer"), "ISIZE: %s", info.err);
    /* every single-bit flip anywhere in the member: accepted exactly when zlib accepts it, with zlib's bytes (a
     * flip in the padding bits after the last block, or in an unused code length, changes nothing) */
    int agree = 0, total = 0, caught = 0;
    for (size_t i = 0; i < na; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(d, g, na);
            d[i] ^= (unsigned char)(1u << bit);
            unsigned char zout[256];
            size_t zn = zgunzip(d, na, zout, sizeof zout);
            dyn_status s = dyn_gz_inflate(d, na, out, sizeof out, &info);
            total++;
            caught += s != DYN_OK;
            agree += (s == DYN_OK) == (zn != (size_t)-1) && (s != DYN_OK || (info.out_len == zn && !memcmp(out, zout, zn)));
        }
    CHECK(agree == total, "%d of %d bit flips judged as zlib judges them (%d refused)", agree, total, caught);
    for (size_t cut = 0; cut < na; cut++) /* every truncation is an error, never a short success */
        CHECK(dyn_gz_inflate(g, cut, out, sizeof out, &info) != DYN_OK, "cut at %zu read as valid", cut);
    CHECK(dyn_gz_inflate(a, strlen(a), out, sizeof out, &info) == DYN_ERR_RANGE, "plain text is not gzip");
    CHECK(dyn_gz_inflate(g, na, out, 5, &info) == DYN_ERR_SIZE && info.out_len <= 5, "output bound: %s", info.err);
    CHECK(dyn_gz_inflate(NULL, 3, out, 5, &info) == DYN_ERR_NULL && dyn_gz_inflate(g, na, out, 5, NULL) == DYN_ERR_NULL,
          "NULL");
    CHECK(dyn_gz_crc32(0, "123456789", 9) == 0xcbf43926u, "CRC-32 check value of \"123456789\" (ISO 3309)");
    CHECK(dyn_gz_crc32(dyn_gz_crc32(0, "1234", 4), "56789", 5) == 0xcbf43926u, "chained CRC-32");
}

/* was: a 1 MB gzip bomb took 1 GB and 10 s before it was refused; now the output bound stops it */
static void test_bomb(void)
{
    size_t n = 64u << 20; /* 64 MiB of zeros compress to about 64 KB */
    unsigned char *src = calloc(n, 1), *g = malloc(n / 100);
    size_t gn = zgzip(src, n, g, n / 100, 9, Z_DEFAULT_STRATEGY);
    free(src);
    unsigned char *out = malloc(1u << 20);
    dyn_gz_info info;
    CHECK(gn > 0 && dyn_gz_inflate(g, gn, out, 1u << 20, &info) == DYN_ERR_SIZE && info.out_len <= (1u << 20),
          "a %zu-byte stream of 64 MiB stops at a 1 MiB bound: %s", gn, info.err);
    free(out);
    free(g);
}

int main(void)
{
    test_roundtrip();
    test_members_and_damage();
    test_bomb();
    return check_summary("test_gz");
}
