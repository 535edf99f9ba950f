/* fuzz_gz.c - libFuzzer harness for the core's gzip decoder (dyn_gz_inflate), differential against zlib. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gz.h"

#define CAP (256u << 10) /* the output bound: the bomb in the corpus (512 KiB of zeros) must stop here */

static uint8_t out[CAP], ref[CAP]; /* once: 2 x 256 KiB of malloc per run would dominate the run time */

/* zlib's verdict on a single-member stream: its length, or (size_t)-1 if it refuses it or leaves input over */
static size_t zlib_gunzip(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + 15) != Z_OK) return (size_t)-1;
    z.next_in = (uint8_t *)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    int r = inflate(&z, Z_FINISH);
    size_t got = cap - z.avail_out, rest = z.avail_in;
    inflateEnd(&z);
    return r == Z_STREAM_END && rest == 0 ? got : (size_t)-1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dyn_gz_info info;
    dyn_status st = dyn_gz_inflate(data, size, out, CAP, &info);
    if (st != DYN_OK && !info.err[0]) abort();
    if (info.out_len > CAP) abort();
    /* whatever zlib reads whole as one member (within the bound), the core must read the same */
    size_t zn = zlib_gunzip(data, size, ref, CAP);
    if (zn != (size_t)-1 && zn < CAP) {
        if (st != DYN_OK || info.out_len != zn || memcmp(out, ref, zn) != 0) abort();
    }
    /* and everything the core accepts must pass its own checks again from the same bytes */
    if (st == DYN_OK && info.members < 1) abort();
    return 0;
}
