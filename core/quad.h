/* quad.h - Gaussian quadrature rules computed by Newton's method (never tabulated). */
#ifndef DYN_QUAD_H
#define DYN_QUAD_H

#include "status.h"

/* Index
 *   dyn_quad_rule      n nodes x and weights w (caller-owned arrays)
 *   dyn_quad_hermite   Gauss-Hermite for the standard normal: sum w_i f(z_i) ~ E f(Z), Z ~ N(0, 1);
 *                      scratch: 2n doubles
 *   dyn_quad_legendre  Gauss-Legendre on [-1, 1]: sum w_i f(x_i) ~ integral of f
 *
 * An n-point rule integrates polynomials of degree 2n - 1 exactly. Nodes ascend; weights are positive;
 * Hermite weights far in the tails underflow to 0, which is harmless. n from 1 to DYN_QUAD_MAX_ORDER.
 * Both return DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE (n out of range) or DYN_ERR_NO_CONVERGE.
 */

#define DYN_QUAD_MAX_ORDER 4096

typedef struct dyn_quad_rule {
    int n;
    const double *x;
    const double *w;
} dyn_quad_rule;

dyn_status dyn_quad_hermite(int n, double *z, double *w, double *scratch);
dyn_status dyn_quad_legendre(int n, double *x, double *w);

#endif
