/* Entropy rate and block laws under the stationary law of the lifted chain. */
#include <math.h>

#include "gen/markov/markov_theory.h"
#include "gen/markov/markov_theory_internal.h"

/* h = sum_s pi(s) H(P(.|s)) (SCIENCE.md section 5). */
double ctxlab_markov_entropy_rate(uint32_t V, uint32_t k, const double *P, const double *pi) {
  const uint64_t n = ctxlab_markov_power(V, k);
  ctxlab_markov_sum h = {0.0, 0.0};
  for (uint64_t s = 0; s < n; s++)
    if (pi[s] > 0.0) ctxlab_markov_sum_add(&h, pi[s] * ctxlab_markov_row_entropy_nats(P + s * V, V));
  return ctxlab_markov_sum_value(&h) / M_LN2;
}

/* p_j(b) = sum over the k - j older tokens a of pi(a*V^j + b). */
void ctxlab_markov_block_law(uint32_t V, uint32_t k, const double *pi, uint32_t j, double *out) {
  const uint64_t nj = ctxlab_markov_power(V, j), older = ctxlab_markov_power(V, k - j);
  for (uint64_t b = 0; b < nj; b++) {
    ctxlab_markov_sum p = {0.0, 0.0};
    for (uint64_t a = 0; a < older; a++) ctxlab_markov_sum_add(&p, pi[a * nj + b]);
    out[b] = ctxlab_markov_sum_value(&p);
  }
}
