/* Helpers shared by the n-gram model tests. */
#ifndef TEST_NGRAM_UTIL_H
#define TEST_NGRAM_UTIL_H

#include <stdint.h>
#include <string.h>

#include "sim/model.h"
#include "sim/model_config.h"

/* An ngram model with context c over V tokens; smoothing "add-beta" or
 * "kneser-ney". */
static inline ctxlab_model *ngram_new(uint32_t V, uint32_t c, const char *smoothing, double beta,
                                      double kn_discount) {
  ctxlab_model_config cfg;
  ctxlab_error err = {0};
  ctxlab_model *m = NULL;
  if (ctxlab_model_config_init(&cfg, "ngram", &err) ||
      ctxlab_model_config_set_string(&cfg, "smoothing", smoothing, "test", &err))
    fail_msg("config: %s", err.message);
  cfg.vocab_size = V;
  cfg.context = c;
  cfg.beta = beta;
  cfg.kn_discount = kn_discount;
  if (ctxlab_model_new(&cfg, 1, &m, &err)) fail_msg("ngram V=%u c=%u: %s", V, c, err.message);
  return m;
}

static inline void ngram_fit(ctxlab_model *m, const uint32_t *tokens, size_t n) {
  ctxlab_error err = {0};
  if (m->ops->fit(m, tokens, n, &err)) fail_msg("fit: %s", err.message);
}

/* splitmix64 (Steele, Lea & Flood 2014): test data only. */
static inline uint64_t test_rand(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

#endif
