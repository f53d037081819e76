/* gen/markov/markov.h (internal): the `markov` family, order-k chains over V
 * tokens.  Lifted states and P follow gen/markov/markov_theory.h. */
#ifndef CTXLAB_GEN_MARKOV_H
#define CTXLAB_GEN_MARKOV_H

#include <jansson.h>
#include <stdint.h>

#include "gen/alias.h"
#include "gen/family.h"

typedef struct ctxlab_markov {
  uint32_t V, k;
  uint64_t n_states;   /* V^k */
  uint64_t top_weight; /* V^(k-1): weight of the oldest token in a lifted state (k >= 1) */
  double *P;           /* n_states x V, rows normalised */
  double *pi;          /* stationary law of k-blocks */
  double **block;      /* block[j], j = 0..k: law of j-blocks; block[k] is pi */
  uint64_t *table;     /* n_states x V alias entries (gen/alias.h) */
  uint32_t reject_below;
  ctxlab_alias64 init; /* draws the first k-block from pi */
  json_t *canonical;
} ctxlab_markov;

int ctxlab_markov_build(const json_t *spec, void **impl, ctxlab_error *err);
void ctxlab_markov_destroy(void *impl);

int ctxlab_markov_sampler_new(const void *impl, const ctxlab_rng *rng, ctxlab_sampler **out,
                              ctxlab_error *err);
int ctxlab_markov_sample_sequences(const void *impl, uint64_t seed, uint64_t first, size_t count,
                                   size_t length, uint32_t *out, ctxlab_error *err);

#endif
