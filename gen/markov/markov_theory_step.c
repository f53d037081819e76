/* One step of the lifted chain, in "pull" form so that every target entry is
 * summed by one thread in a fixed order. */
#include <math.h>

#include "gen/markov/markov_theory_internal.h"

/* Small V, one measure (the stationary solver on long binary chains): each
 * target is a short dot product, computed in place without a zeroing pass. */
static void step_dot(uint32_t V, uint64_t n, const double *P, const double *x, double *y,
                     uint64_t t_begin, uint64_t t_end) {
  const uint64_t m = n / V;
  for (uint64_t t0 = t_begin, q = t_begin / V; t0 < t_end; q++) {
    const uint64_t t1 = (q + 1) * V < t_end ? (q + 1) * V : t_end;
    for (uint64_t t = t0; t < t1; t++) {
      double sum = 0.0;
      for (uint32_t a = 0; a < V; a++) sum += P[a * n + t] * x[a * m + q];
      y[t - t_begin] = sum;
    }
    t0 = t1;
  }
}

void ctxlab_markov_step(uint32_t V, uint64_t n, const double *P, size_t width, const double *x,
                        double *y, uint64_t t_begin, uint64_t t_end) {
  if (width == 1 && V < 16) {
    step_dot(V, n, P, x, y, t_begin, t_end);
    return;
  }
  const uint64_t m = n / V; /* V^(k-1) */
  /* Segments of targets t = q*V + b sharing their context q: predecessor a of
   * the segment is a*m + q, and row a*n + t of P is read contiguously.  Each
   * entry accumulates over a in increasing order, like step_dot (whose extra
   * terms 0 * x add exact zeros). */
  for (uint64_t t0 = t_begin, q = t_begin / V; t0 < t_end; q++) {
    const uint64_t t1 = (q + 1) * V < t_end ? (q + 1) * V : t_end;
    double *ys = y + (t0 - t_begin) * width;
    for (uint64_t i = 0; i < (t1 - t0) * width; i++) ys[i] = 0.0;
    for (uint32_t a = 0; a < V; a++) {
      const double *p = P + a * n; /* p[t] = P(a*m + q -> t) */
      const double *xs = x + (a * m + q) * width;
      if (width == 1) {
        const double xa = xs[0];
        if (xa == 0.0) continue;
        for (uint64_t t = t0; t < t1; t++) ys[t - t0] += p[t] * xa;
        continue;
      }
      for (uint64_t t = t0; t < t1; t++) {
        if (p[t] == 0.0) continue;
        double *yt = ys + (t - t0) * width;
        for (size_t j = 0; j < width; j++) yt[j] += p[t] * xs[j];
      }
    }
    t0 = t1;
  }
}

double ctxlab_markov_residual(uint32_t V, uint64_t n, const double *P, const double *x) {
  ctxlab_markov_sum r = {0.0, 0.0};
  if (n == 1) return 0.0; /* order 0: the one state maps to itself */
  for (uint64_t t = 0; t < n; t++) {
    double y;
    ctxlab_markov_step(V, n, P, 1, x, &y, t, t + 1);
    ctxlab_markov_sum_add(&r, fabs(y - x[t]));
  }
  return ctxlab_markov_sum_value(&r);
}
