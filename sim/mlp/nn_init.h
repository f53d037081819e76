/* sim/mlp/nn_init.h (internal): random initial parameters, drawn from a
 * ctxlab_rng so that a model's initial weights are the same bits on every
 * machine and build (only IEEE arithmetic and ctxlab_log_portable, never libm's
 * log/sin/cos, whose last bit may differ between machines). */
#ifndef CTXLAB_SIM_MLP_NN_INIT_H
#define CTXLAB_SIM_MLP_NN_INIT_H

#include <stddef.h>

#include "ctxlab/rng.h"

/* w[0..n-1] ~ N(0, std^2), in order, by Marsaglia's polar method (a pair of
 * uniforms u, v in (-1, 1) with q = u^2 + v^2 in (0, 1) gives
 * u f and v f, f = sqrt(-2 ln q / q); both are used, the second of the last
 * pair is dropped when n is odd). */
void ctxlab_nn_init_normal(float *w, size_t n, double std, ctxlab_rng *rng);

/* w[0..n-1] uniform in [lo, hi): lo + (hi - lo) u, u = ctxlab_rng_uniform. */
void ctxlab_nn_init_uniform(float *w, size_t n, double lo, double hi, ctxlab_rng *rng);

/* w[0..n-1] = value. */
void ctxlab_nn_init_constant(float *w, size_t n, float value);

#endif
