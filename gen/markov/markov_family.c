/* The `markov` family: its oracle, exact theory hooks and description. */
#include <string.h>

#include "gen/markov/markov.h"
#include "gen/markov/markov_theory.h"

/* P(next | window): for c >= k the row of the last k tokens; for c < k the
 * stationary block laws, P(x | b) = p_{c+1}(b x) / p_c(b).  Every block has
 * positive probability because the lifted chain is irreducible. */
static int markov_predict(const void *impl, const uint32_t *window, size_t c, double *probs,
                          ctxlab_error *err) {
  const ctxlab_markov *m = impl;
  const uint32_t V = m->V;
  size_t used = c < m->k ? c : m->k;
  uint64_t b = 0;
  for (size_t i = c - used; i < c; ++i) b = b * V + window[i];
  if (used == m->k) {
    memcpy(probs, m->P + b * V, sizeof(double) * V);
    return CTXLAB_OK;
  }
  const double *joint = m->block[used + 1] + b * V;
  double marginal = m->block[used][b];
  for (uint32_t x = 0; x < V; ++x) probs[x] = joint[x] / marginal;
  return CTXLAB_OK;
}

static json_t *markov_canonical(const void *impl) {
  return json_deep_copy(((const ctxlab_markov *)impl)->canonical);
}

static uint32_t markov_vocab_size(const void *impl) { return ((const ctxlab_markov *)impl)->V; }

static int64_t markov_intrinsic_dimension(const void *impl) { return -1; }

static unsigned markov_capabilities(const void *impl) {
  return CTXLAB_CAP_EXACT_RATE | CTXLAB_CAP_EXACT_ENTROPY | CTXLAB_CAP_EXACT_MI;
}

static int markov_exact_curves(const void *impl, size_t L, int threads, double *H, double *I,
                               double *S, ctxlab_error *err) {
  const ctxlab_markov *m = impl;
  return ctxlab_markov_exact_curves(m->V, m->k, m->P, m->pi, L, threads, H, I, err);
}

static int markov_entropy_rate(const void *impl, double *bits, ctxlab_error *err) {
  const ctxlab_markov *m = impl;
  *bits = ctxlab_markov_entropy_rate(m->V, m->k, m->P, m->pi);
  return CTXLAB_OK;
}

static const ctxlab_family_param markov_params[] = {
    {"vocab", "integer >= 2", "16", "number of tokens V"},
    {"order", "integer >= 0", "1", "k: tokens of context the chain depends on (0: i.i.d.)"},
    {"transitions", "list of V^k rows of V numbers", NULL,
     "explicit table: row = the k previous tokens read as a base-V number, oldest most "
     "significant; each row sums to 1"},
    {"concentration", "number > 0", "1", "Dirichlet alpha of random rows (without transitions)"},
    {"seed", "integer >= 0", "0", "language seed: which random table"},
    {"target_entropy_bits", "number in [0, log2 V]", NULL,
     "temper the random rows (P ~ D^beta) so the entropy rate is this, within 1e-9 bits"},
    {NULL, NULL, NULL, NULL}};

static const ctxlab_family_info markov_info = {
    "markov", "order-k Markov chain over V tokens; exact H(c), entropy rate, I(d)", markov_params};

const ctxlab_family_ops ctxlab_markov_family = {
    .info = &markov_info,
    .build = ctxlab_markov_build,
    .destroy = ctxlab_markov_destroy,
    .canonical = markov_canonical,
    .vocab_size = markov_vocab_size,
    .intrinsic_dimension = markov_intrinsic_dimension,
    .sampler_new = ctxlab_markov_sampler_new,
    .sample_sequences = ctxlab_markov_sample_sequences,
    .predict = markov_predict,
    .scratch_new = NULL,
    .scratch_free = NULL,
    .suffix_entropies = NULL,
    .capabilities = markov_capabilities,
    .exact_curves = markov_exact_curves,
    .entropy_rate = markov_entropy_rate,
};
