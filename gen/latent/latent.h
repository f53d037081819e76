/* gen/latent/latent.h (internal): the `latent` family, the mixing Santa Fe
 * process of gen/latent/latent_theory.h. */
#ifndef CTXLAB_GEN_LATENT_H
#define CTXLAB_GEN_LATENT_H

#include <jansson.h>
#include <stdint.h>

#include "gen/alias.h"
#include "gen/family.h"

typedef struct ctxlab_latent {
  uint32_t d;             /* chains; tokens 0..2d-1 */
  double *w;              /* chain weights, sum 1 */
  double *rho;            /* flip probabilities in [0, 1/2] */
  double eps;             /* observation noise in [0, 1/2) */
  double entropy_w_bits;  /* H(w) */
  /* sampler tables (gen/latent/latent_sample.c) */
  uint64_t *table;        /* alias table over chains (gen/alias.h) */
  uint32_t reject_below;
  double *refresh_scale;  /* c_j = -1 / ln(1 - 2 rho_j): refresh gaps are 1 + floor(E c_j) */
  uint32_t noise_threshold; /* round(eps 2^32) */
  int many_new_first;     /* the sampler's kernel for a path's first block (latent_sample.c) */
  ctxlab_u128 jump_mult, jump_plus; /* 2^64 generator steps: x -> jump_mult x + jump_plus inc */
  json_t *canonical;
} ctxlab_latent;

/* The latent sampler takes CTXLAB_LATENT_BLOCK tokens at a time, with one of
 * two kernels of equal output, the faster for the block's events:
 * CTXLAB_LATENT_MANY_NEW for new_chains and due_refreshes among n tokens. */
#define CTXLAB_LATENT_BLOCK 4096
#define CTXLAB_LATENT_MANY_NEW(new_chains, due_refreshes, n) \
  (8 * (double)(new_chains) > (double)(n) && 3 * (double)(due_refreshes) < (double)(n))

int ctxlab_latent_build(const json_t *spec, void **impl, ctxlab_error *err);
void ctxlab_latent_destroy(void *impl);

int ctxlab_latent_sampler_new(const void *impl, const ctxlab_rng *rng, ctxlab_sampler **out,
                              ctxlab_error *err);
int ctxlab_latent_sample_sequences(const void *impl, uint64_t seed, uint64_t first, size_t count,
                                   size_t length, uint32_t *out, ctxlab_error *err);

int ctxlab_latent_predict(const void *impl, const uint32_t *window, size_t c, double *probs,
                          ctxlab_error *err);
int ctxlab_latent_suffix_entropies(const void *impl, void *scratch, const uint32_t *window,
                                   size_t n, double *bits, ctxlab_error *err);

#endif
