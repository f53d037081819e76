/* Random initial parameters (sim/mlp/nn_init.h). */
#include "sim/mlp/nn_init.h"

#include <math.h>

#include "core/detmath.h"

void ctxlab_nn_init_normal(float *w, size_t n, double std, ctxlab_rng *rng) {
  for (size_t i = 0; i < n; i += 2) {
    double u, v, q;
    do {
      u = 2 * ctxlab_rng_uniform(rng) - 1;
      v = 2 * ctxlab_rng_uniform(rng) - 1;
      q = u * u + v * v;
    } while (q >= 1 || q == 0);
    double f = sqrt(-2 * ctxlab_log_portable(q) / q);
    w[i] = (float)(std * u * f);
    if (i + 1 < n) w[i + 1] = (float)(std * v * f);
  }
}

void ctxlab_nn_init_uniform(float *w, size_t n, double lo, double hi, ctxlab_rng *rng) {
  for (size_t i = 0; i < n; ++i) w[i] = (float)(lo + (hi - lo) * ctxlab_rng_uniform(rng));
}

void ctxlab_nn_init_constant(float *w, size_t n, float value) {
  for (size_t i = 0; i < n; ++i) w[i] = value;
}
