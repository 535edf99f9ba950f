/* args.c - the CLI's option-value parsers (numbers, integers, ranges, sizes) as pure functions, so they can be fuzzed. */
#include "cli.h"

#include <errno.h>
#include <float.h>
#include <string.h>

/* Each parser writes one line (without the "--name: " prefix) to err and returns 0, or returns 1. They never
 * exit, print or allocate: util.c turns a 0 into die("--name: <err>"), and tests/fuzz/fuzz_args.c calls them on
 * arbitrary bytes. */

int parse_num(const char *s, double *v, char *err, size_t cap)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end) return snprintf(err, cap, "'%s' is not a number", s), 0;
    /* strtod sets ERANGE for overflow (+-HUGE_VAL) and also for underflow; a subnormal or underflowed value
     * such as 1e-310 is a number, so only an overflow is refused */
    if (!isfinite(x) || (errno == ERANGE && fabs(x) > DBL_MAX / 2))
        return snprintf(err, cap, "'%s' is not a finite number", s), 0;
    *v = x;
    return 1;
}

int parse_int(const char *s, long lo, long hi, long *v, char *err, size_t cap)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || *end) return snprintf(err, cap, "'%s' is not an integer", s), 0;
    if (errno == ERANGE || x < lo || x > hi)
        return snprintf(err, cap, "%s is out of range [%ld, %ld]", s, lo, hi), 0;
    *v = x;
    return 1;
}

int parse_range(const char *s, double *lo, double *hi, char *err, size_t cap)
{
    const char *colon = strchr(s, ':');
    char a[64], b[64];
    size_t la = colon ? (size_t)(colon - s) : 0, lb = colon ? strlen(colon + 1) : 0;
    if (!colon || la == 0 || la >= sizeof a || lb == 0 || lb >= sizeof b)
        return snprintf(err, cap, "'%s' is not a range; write MIN:MAX, e.g. 0.5:4", s), 0;
    memcpy(a, s, la);
    a[la] = 0;
    memcpy(b, colon + 1, lb + 1);
    if (!parse_num(a, lo, err, cap) || !parse_num(b, hi, err, cap)) return 0;
    if (!(*hi > *lo)) return snprintf(err, cap, "the range %s is empty; MIN must be below MAX", s), 0;
    return 1;
}

int parse_size(const char *s, int maxside, int *nx, int *ny, char *err, size_t cap)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10), y = 0;
    const char *t = end + 1;
    if (end == s || (*end != 'x' && *end != 'X') || (y = strtol(t, &end, 10), end == t || *end))
        return snprintf(err, cap, "'%s' is not a size; write WIDTHxHEIGHT, e.g. 256x256", s), 0;
    if (errno == ERANGE || x < 1 || y < 1 || x > maxside || y > maxside)
        return snprintf(err, cap, "%s is out of range: each side must be 1..%d", s, maxside), 0;
    *nx = (int)x;
    *ny = (int)y;
    return 1;
}
