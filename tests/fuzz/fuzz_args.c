/* fuzz_args.c - libFuzzer harness for the CLI's option-value parsers (core/cli/args.c: numbers, integers, ranges, sizes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The input is one option value (the bytes up to the first NUL, as argv would give it). Every parser must
 * either succeed with a value inside its promise or fail with a one-line message. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    char err[160];
    double v, lo, hi;
    long k;
    int nx, ny;
    err[0] = 0;
    if (parse_num(s, &v, err, sizeof err)) {
        if (!isfinite(v)) abort();
    } else if (!err[0]) abort();
    err[0] = 0;
    if (parse_int(s, -1000, 1000, &k, err, sizeof err)) {
        if (k < -1000 || k > 1000) abort();
    } else if (!err[0]) abort();
    err[0] = 0;
    if (parse_range(s, &lo, &hi, err, sizeof err)) {
        if (!isfinite(lo) || !isfinite(hi) || !(lo < hi)) abort();
    } else if (!err[0]) abort();
    err[0] = 0;
    if (parse_size(s, 4096, &nx, &ny, err, sizeof err)) {
        if (nx < 1 || ny < 1 || nx > 4096 || ny > 4096) abort();
    } else if (!err[0]) abort();
    free(s);
    return 0;
}
