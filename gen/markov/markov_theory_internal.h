/* gen/markov/markov_theory_internal.h (internal to gen/markov/markov_theory*.c
 * and their tests): the pieces the exact theory of the markov family shares
 * between its files.  Indexing as in markov_theory.h: n = V^k lifted states,
 * P[s*V + x], successor (s*V + x) mod n. */
#ifndef CTXLAB_GEN_MARKOV_THEORY_INTERNAL_H
#define CTXLAB_GEN_MARKOV_THEORY_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

/* Lifted chains of at most this many states are solved by GTH (dense, O(n^3)
 * but exact to rounding for any irreducible chain); larger ones by power
 * iteration on the sparse lifted structure. */
#define CTXLAB_MARKOV_GTH_MAX_STATES 2048u

/* Parallel regions are opened only for at least this many multiply-adds: a
 * region costs a fork and a barrier, which on a machine with more busy threads
 * than cores can take a scheduler time slice. */
#define CTXLAB_MARKOV_PARALLEL_WORK (UINT64_C(1) << 17)

/* Stationary law by Grassmann-Taksar-Heyman state reduction (any n; dense
 * n x n work space). */
int ctxlab_markov_stationary_gth(uint32_t V, uint64_t n, const double *P, double *pi,
                                 ctxlab_error *err);

/* Stationary law by power iteration on the lazy chain (I + P)/2 (any n), at
 * most max_steps steps (0: the default cap, about 2^34 multiply-adds).  On
 * success *residual (may be NULL) is the final ||pi P - pi||_1. */
int ctxlab_markov_stationary_power(uint32_t V, uint64_t n, const double *P, uint64_t max_steps,
                                   double *pi, double *residual, ctxlab_error *err);

/* The I(d) curve of ctxlab_markov_exact_curves, propagating at most
 * max_width of the V measures together (0: as many as fit in the work-space
 * budget); measures beyond that take further passes over the table. */
int ctxlab_markov_mi_curve(uint32_t V, uint32_t k, const double *P, const double *pi, size_t L,
                           int threads, uint64_t max_width, double *I, ctxlab_error *err);

/* One step of the lifted chain for `width` measures stored state-major
 * (x[s*width + j] is measure j at state s): y = x P for the target states t in
 * [t_begin, t_end), written to y[(t - t_begin)*width + j].  The predecessors
 * of t = q*V + b are s_a = a*(n/V) + q, a = 0..V-1, with P(s_a -> t) =
 * P[a*n + t]; each y entry is summed over a in increasing order, so the result
 * does not depend on how targets are split among threads.  Needs n >= V
 * (order k >= 1). */
void ctxlab_markov_step(uint32_t V, uint64_t n, const double *P, size_t width, const double *x,
                        double *y, uint64_t t_begin, uint64_t t_end);

/* ||x P - x||_1 for one measure (sequential, fixed order). */
double ctxlab_markov_residual(uint32_t V, uint64_t n, const double *P, const double *x);

/* V^e for sizes already checked by ctxlab_markov_state_count. */
static inline uint64_t ctxlab_markov_power(uint32_t V, uint32_t e) {
  uint64_t p = 1;
  for (uint32_t i = 0; i < e; i++) p *= V;
  return p;
}

/* Entropy of one row of V probabilities, in nats (0 log 0 = 0). */
double ctxlab_markov_row_entropy_nats(const double *row, uint32_t V);

/* Neumaier's compensated sum (Neumaier 1974): long sums of many terms stay
 * accurate to a few ulps whatever their number. */
typedef struct ctxlab_markov_sum {
  double sum;
  double comp;
} ctxlab_markov_sum;

static inline void ctxlab_markov_sum_add(ctxlab_markov_sum *acc, double term) {
  double t = acc->sum + term;
  if (fabs(acc->sum) >= fabs(term))
    acc->comp += (acc->sum - t) + term;
  else
    acc->comp += (term - t) + acc->sum;
  acc->sum = t;
}

static inline double ctxlab_markov_sum_value(const ctxlab_markov_sum *acc) {
  return acc->sum + acc->comp;
}

#endif
