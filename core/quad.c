/* quad.c - Gauss-Hermite and Gauss-Legendre nodes by Newton's method on the three-term recurrences. */
#include "quad.h"

#include <math.h>

#define PI 3.14159265358979323846

/* Orthonormal Hermite polynomials for the weight exp(-x^2) (physicists' scaling, without the weight):
 * p_0 = pi^(-1/4), p_{j+1} = x sqrt(2/(j+1)) p_j - sqrt(j/(j+1)) p_{j-1}. They grow like exp(x^2/2), which
 * overflows past n ~ 700, so the pair is rescaled and the scale kept as a power of two in *e2. */
static void hermite_eval(int n, const double *ra, const double *rb, double x, double *pn, double *pn1, int *e2)
{
    double p0 = 0.0, p1 = 0.7511255444649425; /* pi^(-1/4) */
    int e = 0;
    for (int j = 0; j < n; j++) {
        double p2 = x * ra[j] * p1 - rb[j] * p0;
        p0 = p1;
        p1 = p2;
        if (fabs(p1) > 0x1p500) {
            p0 *= 0x1p-500;
            p1 *= 0x1p-500;
            e += 500;
        }
    }
    *pn = p1;  /* p_n */
    *pn1 = p0; /* p_{n-1} */
    *e2 = e;
}

dyn_status dyn_quad_hermite(int n, double *z, double *w, double *scratch)
{
    if (!z || !w || !scratch) return DYN_ERR_NULL;
    if (n < 1 || n > DYN_QUAD_MAX_ORDER) return DYN_ERR_SIZE;
    int m = (n + 1) / 2; /* roots x_0 > x_1 > ... >= 0; the rest by symmetry */
    double x = 0.0, xs[4] = {0}, *ra = scratch, *rb = scratch + n;
    for (int j = 0; j < n; j++) {
        ra[j] = sqrt(2.0 / (j + 1));
        rb[j] = sqrt((double)j / (j + 1));
    }
    for (int i = 0; i < m; i++) {
        /* First guesses from the Airy-function asymptotics of the largest zeros (a_k = 2.338, 4.088, 5.521,
         * over 2^(1/3) (2n+1)^(1/6)); later ones by quadratic extrapolation of the previous three. */
        double s = sqrt(2.0 * n + 1.0), t = pow(2.0 * n + 1.0, -1.0 / 6.0);
        if (i == 0) x = s - 1.85575708 * t;
        else if (i == 1) x = s - 3.24460762 * t;
        else if (i == 2) x = s - 4.38167124 * t;
        else x = 3.0 * xs[(i - 1) & 3] - 3.0 * xs[(i - 2) & 3] + xs[(i - 3) & 3];
        if (n % 2 == 1 && i == m - 1) x = 0.0;
        double pn = 0, pn1 = 0;
        int e2 = 0, it;
        for (it = 0; it < 100; it++) {
            hermite_eval(n, ra, rb, x, &pn, &pn1, &e2);
            double dp = sqrt(2.0 * n) * pn1;
            double dx = pn / dp;
            x -= dx;
            if (fabs(dx) <= 1e-15 * (1.0 + fabs(x))) break;
        }
        if (it == 100) return DYN_ERR_NO_CONVERGE;
        hermite_eval(n, ra, rb, x, &pn, &pn1, &e2);
        double dp = sqrt(2.0 * n) * pn1;
        /* weight for exp(-x^2) is 2 / p'_n(x)^2; for N(0,1) substitute z = sqrt(2) x and divide by sqrt(pi) */
        double wt = ldexp(2.0 / (dp * dp), -2 * e2) / sqrt(PI);
        xs[i & 3] = x;
        z[n - 1 - i] = sqrt(2.0) * x;
        w[n - 1 - i] = wt;
        z[i] = -sqrt(2.0) * x;
        w[i] = wt;
    }
    /* Successive roots must strictly decrease; a Newton step that jumped to a found root would break it. */
    for (int i = 1; i < n; i++)
        if (!(z[i] > z[i - 1])) return DYN_ERR_NO_CONVERGE;
    return DYN_OK;
}

dyn_status dyn_quad_legendre(int n, double *x, double *w)
{
    if (!x || !w) return DYN_ERR_NULL;
    if (n < 1 || n > DYN_QUAD_MAX_ORDER) return DYN_ERR_SIZE;
    int m = (n + 1) / 2;
    for (int i = 0; i < m; i++) {
        double r = cos(PI * (i + 0.75) / (n + 0.5)), dp = 1.0;
        int it;
        for (it = 0; it < 100; it++) {
            double p0 = 1.0, p1 = r;
            for (int j = 1; j < n; j++) {
                double p2 = ((2.0 * j + 1.0) * r * p1 - j * p0) / (j + 1.0);
                p0 = p1;
                p1 = p2;
            }
            dp = n * (r * p1 - p0) / (r * r - 1.0);
            double dr = p1 / dp;
            r -= dr;
            if (fabs(dr) <= 1e-16) break;
        }
        if (it == 100) return DYN_ERR_NO_CONVERGE;
        double wt = 2.0 / ((1.0 - r * r) * dp * dp);
        x[n - 1 - i] = r;
        x[i] = -r;
        w[n - 1 - i] = wt;
        w[i] = wt;
    }
    if (n % 2 == 1) x[m - 1] = 0.0;
    return DYN_OK;
}
