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
  /* sampler tables */
  uint64_t *table;        /* alias table over chains (gen/alias.h) */
  uint32_t reject_below;
  double *inv_log_keep;   /* 1 / ln(1 - 2 rho_j): refresh gaps are geometric */
  int64_t *stage;         /* H_j: refresh times are drawn a stage of H_j steps at a time */
  double *stage_keep;     /* q_j = (1 - 2 rho_j)^H_j: probability of no refresh in a stage */
  uint32_t *stage_threshold; /* round(q_j 2^31), compared with 31 random bits */
  uint32_t noise_threshold; /* round(eps 2^32) */
  json_t *canonical;
} ctxlab_latent;

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
