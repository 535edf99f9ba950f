/* posterior_impl.h - private to posterior*.c: the model and sampler defaults, resolved in one place (not public API). */
#ifndef DYN_POSTERIOR_IMPL_H
#define DYN_POSTERIOR_IMPL_H

#include "posterior.h"

/* A model's numbers with every zero replaced by its default (posterior.h, dyn_post_model): D (mixture 0 -> 2),
 * noise variance s2 (mixture: component variance), prior variances t2 and t2b (t2b = t2 except the mixture). */
typedef struct post_params {
    int d;
    double s2, t2, t2b;
} post_params;

post_params post_params_of(const dyn_post_model *m);

/* The batch size S of a descriptor's batch field for n examples: 0 -> min(10, n). Not range-checked. */
long post_batch_of(int batch, long n);

/* The momentum mu of a descriptor's momentum field: 0 -> 0.9. Not range-checked. */
double post_momentum_of(double momentum);

#endif
