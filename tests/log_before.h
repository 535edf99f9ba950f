/* log_before.h - the log rng.c used for its normals before dyn_log (act.c) took its place, as it was in commit
 * ed5d332: frexp and a division per term. test_rng.c checks that dyn_log gives its bits (so every seed keeps its
 * normals); bench_act.c times the two. */
#ifndef DYN_TEST_LOG_BEFORE_H
#define DYN_TEST_LOG_BEFORE_H

#include <math.h>

static double log_before(double x)
{
    int e = 0;
    double m = frexp(x, &e);
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e -= 1;
    }
    double s = (m - 1.0) / (m + 1.0), s2 = s * s, sum = 0.0;
    for (int k = 29; k >= 1; k -= 2) sum = sum * s2 + 1.0 / k;
    return 2.0 * s * sum + e * 0.69314718055994530942;
}

#endif
