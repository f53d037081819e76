/* Softmax cross-entropy.  The maximum is subtracted before exponentiating, so
 * no logit overflows.
 *
 * ctxlab_xent runs over fixed blocks of rows (their boundaries depend on n
 * only) in parallel; a block adds its rows' losses in row order, and the
 * blocks' sums are added in block order, so the result has the same bits for
 * every thread count.  A row's exponentials are ctxlab_vexpf of the float
 * differences z - max (vectorised; relative error below 1e-7, the same bits on
 * every machine), summed in double in 8 interleaved partial sums (a fixed
 * order that the compiler can vectorise), so the row's log-sum-exp and the
 * loss it adds are accurate to about 1e-7 relative. */
#include "sim/loss.h"

#include <math.h>

#include "sim/vecmath.h"

void ctxlab_log_softmax(const float *logits, uint32_t V, double *out) {
  double max = logits[0];
  for (uint32_t x = 1; x < V; ++x)
    if (logits[x] > max) max = logits[x];
  double sum = 0;
  for (uint32_t x = 0; x < V; ++x) sum += exp((double)logits[x] - max);
  double lse = max + log(sum);
  for (uint32_t x = 0; x < V; ++x) out[x] = (double)logits[x] - lse;
}

enum { LANES = 8, CHUNK = 256, BLOCKS = 64 };

static float row_max(const float *z, uint32_t V) {
  float m[LANES];
  for (int j = 0; j < LANES; ++j) m[j] = z[0];
  size_t x = 0;
  for (; x + LANES <= V; x += LANES)
    for (int j = 0; j < LANES; ++j) m[j] = z[x + j] > m[j] ? z[x + j] : m[j];
  for (; x < V; ++x) m[0] = z[x] > m[0] ? z[x] : m[0];
  for (int j = 1; j < LANES; ++j) m[0] = m[j] > m[0] ? m[j] : m[0];
  return m[0];
}

/* sum_x e^(z[x] - max) in double, in LANES interleaved partial sums added in
 * order; out (may be NULL) receives the exponentials.  The exponentials are
 * computed a chunk at a time (a loop gcc vectorises), then summed. */
static double exp_sum(const float *z, float max, uint32_t V, float *out) {
  float chunk[CHUNK];
  double s[LANES] = {0};
  for (size_t x0 = 0; x0 < V; x0 += CHUNK) {
    const size_t n = V - x0 < CHUNK ? V - x0 : CHUNK;
    const float *zc = z + x0;
    float *e = out ? out + x0 : chunk;
    for (size_t x = 0; x < n; ++x) e[x] = ctxlab_vexpf(zc[x] - max);
    size_t x = 0;
    for (; x + LANES <= n; x += LANES)
      for (int j = 0; j < LANES; ++j) s[j] += (double)e[x + j];
    for (; x < n; ++x) s[x % LANES] += (double)e[x];
  }
  double sum = 0;
  for (int j = 0; j < LANES; ++j) sum += s[j];
  return sum;
}

/* -ln softmax(z)[y] in nats; g (may be NULL) gets scale * (softmax - onehot(y)). */
static double xent_row(const float *z, uint32_t y, uint32_t V, float scale, float *g) {
  const float max = row_max(z, V);
  const double sum = exp_sum(z, max, V, g);
  if (g) {
    const float f = (float)((double)scale / sum);
    for (uint32_t x = 0; x < V; ++x) g[x] *= f;
    g[y] -= scale;
  }
  return log(sum) - (double)(z[y] - max);
}

double ctxlab_xent(const float *logits, const uint32_t *targets, size_t n, uint32_t V, float scale,
                   float *dlogits, int threads) {
  const size_t blocks = n < BLOCKS ? n : BLOCKS;
  double partial[BLOCKS];
#pragma omp parallel for num_threads(threads > 0 ? threads : 1) schedule(static) \
    if (n * (size_t)V >= 16384)
  for (size_t b = 0; b < blocks; ++b) {
    double sum = 0;
    for (size_t i = b * n / blocks; i < (b + 1) * n / blocks; ++i)
      sum += xent_row(logits + i * V, targets[i], V, scale, dlogits ? dlogits + i * V : NULL);
    partial[b] = sum;
  }
  double total = 0;
  for (size_t b = 0; b < blocks; ++b) total += partial[b];
  return total;
}
