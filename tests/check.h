/* check.h - a minimal test harness: CHECK macros that count failures, and a summary line for ctest logs. */
#ifndef DYN_CHECK_H
#define DYN_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_failures = 0, check_count = 0;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        check_count++;                                                          \
        if (!(cond)) {                                                          \
            check_failures++;                                                   \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);              \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
        }                                                                       \
    } while (0)

/* |got - want| <= rel |want| + abs, with the numbers in the message */
#define CHECK_NEAR(got, want, rel, abs_, what)                                                       \
    do {                                                                                             \
        double g_ = (got), w_ = (want);                                                              \
        CHECK(fabs(g_ - w_) <= (rel) * fabs(w_) + (abs_), "%s: got %.15g want %.15g (diff %.3g)", \
              what, g_, w_, g_ - w_);                                                                \
    } while (0)

/* largest |a_i - b_i| and largest |a_i| over n values (for comparing matrices and vectors) */
static inline double maxabs_diff(const double *a, const double *b, int n)
{
    double m = 0.0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static inline double maxabs(const double *a, int n)
{
    double m = 0.0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

static int check_summary(const char *name)
{
    printf("%s: %d checks, %d passed, %d failed\n", name, check_count, check_count - check_failures,
           check_failures);
    return check_failures ? 1 : 0;
}

#endif
