/* theory/montecarlo.h (internal): curves estimated through the oracle. */
#ifndef CTXLAB_THEORY_MONTECARLO_H
#define CTXLAB_THEORY_MONTECARLO_H

#include "ctxlab/theory.h"

/* Most Monte Carlo windows one estimate may use. */
#define CTXLAB_MC_MAX_SAMPLES (UINT64_C(1) << 40)

/* H(c) for c = 0..L and the bipartite MI for lengths 2,4,..,L by Monte Carlo:
 * `samples` windows of L tokens drawn from the stationary process (window i
 * from ctxlab_rng_derive(seed, "theory.monte-carlo", i)); for each, the
 * entropy of the oracle's distribution given its last c tokens, for every c
 * (an unbiased estimate of H(c) with lower variance than -log2 P(next)).  The
 * bipartite MI is estimated per window from the same entropies, so its
 * standard error accounts for their correlation.  Bit-identical for any
 * thread count. */
int ctxlab_mc_entropy_curves(const ctxlab_lang *lang, size_t L, uint64_t samples, uint64_t seed,
                             int threads, ctxlab_curve *H, ctxlab_curve *bipartite,
                             ctxlab_error *err);

#endif
