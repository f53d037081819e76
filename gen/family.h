/* gen/family.h (internal): what a language family implements.
 *
 * A family parses and validates its spec, samples, answers the oracle, and may
 * provide exact theory.  Exact theory is given as plain arrays so that gen/
 * knows nothing of theory/'s types; theory/ assembles curves from them. */
#ifndef CTXLAB_GEN_FAMILY_H
#define CTXLAB_GEN_FAMILY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"
#include "ctxlab/lang.h"
#include "ctxlab/rng.h"

/* What a family's exact_* functions can deliver for a given language. */
enum {
  CTXLAB_CAP_EXACT_RATE = 1 << 0,        /* entropy_rate exact */
  CTXLAB_CAP_RATE_BOUNDS = 1 << 1,       /* entropy_rate lower bound only (upper: H(L)) */
  CTXLAB_CAP_EXACT_ENTROPY = 1 << 2,     /* H(c) exact for every c */
  CTXLAB_CAP_EXACT_MI = 1 << 3,          /* I(d) exact for every d */
  CTXLAB_CAP_EXACT_INTRINSIC = 1 << 4    /* S(c) exact for every c */
};

/* The streaming sampler every family returns: fill continues one path;
 * restart begins a new path on another generator, keeping the allocations
 * (the result equals a new sampler on that generator). */
struct ctxlab_sampler {
  void (*fill)(ctxlab_sampler *self, uint32_t *tokens, size_t n);
  void (*restart)(ctxlab_sampler *self, const ctxlab_rng *rng);
  void (*destroy)(ctxlab_sampler *self);
};

typedef struct ctxlab_family_ops {
  const ctxlab_family_info *info;

  /* Parse and validate spec (an object whose "family" is this family; the key
   * "family" itself is already checked), build the language.  Errors name the
   * JSON path. */
  int (*build)(const json_t *spec, void **impl, ctxlab_error *err);
  void (*destroy)(void *impl);
  json_t *(*canonical)(const void *impl); /* new reference, includes "family" */
  uint32_t (*vocab_size)(const void *impl);
  int64_t (*intrinsic_dimension)(const void *impl); /* -1: none */

  int (*sampler_new)(const void *impl, const ctxlab_rng *rng, ctxlab_sampler **out,
                     ctxlab_error *err);
  /* Optional fast path for independent sequences (see
   * ctxlab_lang_sample_sequences); must equal the streaming sampler's output.
   * NULL: the generic path runs one streaming sampler per sequence. */
  int (*sample_sequences)(const void *impl, uint64_t seed, uint64_t first, size_t count,
                          size_t length, uint32_t *out, ctxlab_error *err);

  /* The oracle; tokens already range-checked by the caller. */
  int (*predict)(const void *impl, const uint32_t *window, size_t c, double *probs,
                 ctxlab_error *err);

  /* Optional Monte Carlo fast path: bits[c] = entropy (bits) of the oracle's
   * distribution given the last c tokens of window[0..n-1], for c = 0..n.
   * Must equal what predict gives, to rounding.  NULL: theory calls predict.
   * scratch comes from scratch_new (one per thread, reused for every window,
   * so a call costs O(n), not O(vocabulary)); NULL when out of memory. */
  void *(*scratch_new)(const void *impl);
  void (*scratch_free)(void *scratch);
  int (*suffix_entropies)(const void *impl, void *scratch, const uint32_t *window, size_t n,
                          double *bits, ctxlab_error *err);

  /* Bitmask of CTXLAB_CAP_* for this language (may depend on its parameters). */
  unsigned (*capabilities)(const void *impl);

  /* Exact curves up to L, each array optional (NULL: not wanted):
   *   H[c] for c = 0..L (needs CAP_EXACT_ENTROPY)
   *   I[d-1] for d = 1..L (needs CAP_EXACT_MI)
   *   S[c] for c = 0..L (needs CAP_EXACT_INTRINSIC)
   * threads <= 0 means all available; the result must not depend on it. */
  int (*exact_curves)(const void *impl, size_t L, int threads, double *H, double *I, double *S,
                      ctxlab_error *err);

  /* Entropy rate: exact (CAP_EXACT_RATE) or a lower bound (CAP_RATE_BOUNDS). */
  int (*entropy_rate)(const void *impl, double *bits, ctxlab_error *err);
} ctxlab_family_ops;

extern const ctxlab_family_ops ctxlab_markov_family;
extern const ctxlab_family_ops ctxlab_latent_family;

/* The families in the order `ctxlab list` shows them, NULL-terminated. */
const ctxlab_family_ops *const *ctxlab_family_ops_list(void);

/* The implementation behind a language (for theory/ and tests). */
const ctxlab_family_ops *ctxlab_lang_ops(const ctxlab_lang *lang);
const void *ctxlab_lang_impl(const ctxlab_lang *lang);

#endif
