/* Softmax cross-entropy.  The maximum is subtracted before exponentiating, so
 * no logit overflows; sums are in double. */
#include "sim/loss.h"

#include <math.h>

void ctxlab_log_softmax(const float *logits, uint32_t V, double *out) {
  double max = logits[0];
  for (uint32_t x = 1; x < V; ++x)
    if (logits[x] > max) max = logits[x];
  double sum = 0;
  for (uint32_t x = 0; x < V; ++x) sum += exp((double)logits[x] - max);
  double lse = max + log(sum);
  for (uint32_t x = 0; x < V; ++x) out[x] = (double)logits[x] - lse;
}

double ctxlab_xent(const float *logits, const uint32_t *targets, size_t n, uint32_t V, float scale,
                   float *dlogits) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    const float *z = logits + i * V;
    float max = z[0];
    for (uint32_t x = 1; x < V; ++x) max = z[x] > max ? z[x] : max;
    double sum = 0;
    for (uint32_t x = 0; x < V; ++x) sum += exp((double)(z[x] - max));
    total += log(sum) - (double)(z[targets[i]] - max);
    if (dlogits) {
      float *g = dlogits + i * V;
      double inv = 1.0 / sum;
      for (uint32_t x = 0; x < V; ++x) g[x] = scale * (float)(exp((double)(z[x] - max)) * inv);
      g[targets[i]] -= scale;
    }
  }
  return total;
}
