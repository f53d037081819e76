/* Exact curves of tiny order-k chains against brute-force enumeration.
 *
 * Expected values come from enumerating every window of tokens: with pi from
 * an independent dense linear solve (markov_theory_test_util.h), a window
 * w_1..w_m emitted after a stationary start has probability
 *     p(w) = sum_s pi(s) prod_i P(w_i | state before w_i),
 * so that
 *     H(c) = H(X_1..X_{c+1}) - H(X_1..X_c)       (difference of block entropies)
 *     I(d) = sum_ab p(a, b) log2(p(a, b) / (p(a) p(b))),
 *            p(a, b) = sum of p(w) over w in V^(d+1) with w_1 = a, w_{d+1} = b.
 * Neither formula is the one the library uses (conditional entropies from
 * block laws, propagated measures), and neither uses its code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "gen/markov/markov_theory.h"
#include "markov_theory_test_util.h"

#define L_MAX 7 /* windows of up to L_MAX + 1 tokens */

/* Law of windows of m tokens (V^m entries, first token most significant). */
static double *window_law(uint32_t V, uint32_t k, const double *P, const double *pi, uint32_t m) {
  const uint64_t n = ipow(V, k), nw = ipow(V, m);
  double *p = calloc(nw, sizeof *p);
  for (uint64_t s0 = 0; s0 < n; s0++)
    for (uint64_t w = 0; w < nw; w++) {
      double prob = pi[s0];
      uint64_t s = s0;
      for (uint32_t i = 0; i < m; i++) {
        const uint32_t x = (uint32_t)(w / ipow(V, m - 1 - i) % V);
        prob *= P[s * V + x];
        s = (s * V + x) % n;
      }
      p[w] += prob;
    }
  return p;
}

static double entropy_bits(const double *p, uint64_t count) {
  double h = 0.0;
  for (uint64_t i = 0; i < count; i++)
    if (p[i] > 0.0) h -= p[i] * log2(p[i]);
  return h;
}

static void compare_to_enumeration(uint32_t V, uint32_t k, const double *P, size_t L) {
  const uint64_t n = ipow(V, k);
  double *pi_dense = malloc(n * sizeof *pi_dense), *pi = malloc(n * sizeof *pi);
  double H[L_MAX + 1], I[L_MAX];
  dense_stationary(V, n, P, pi_dense);
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_stationary(V, k, P, pi, &err), CTXLAB_OK);
  for (uint64_t s = 0; s < n; s++) assert_true(fabs(pi[s] - pi_dense[s]) <= 1e-14);
  assert_int_equal(ctxlab_markov_exact_curves(V, k, P, pi, L, 1, H, I, &err), CTXLAB_OK);

  double block_entropy[L_MAX + 2] = {0.0}; /* H(X_1..X_m), m = 0..L+1 */
  for (uint32_t m = 1; m <= L + 1; m++) {
    double *p = window_law(V, k, P, pi_dense, m);
    block_entropy[m] = entropy_bits(p, ipow(V, m));
    if (m >= 2) { /* I(d), d = m - 1 */
      const uint64_t mid = ipow(V, m - 1);
      double *joint = calloc((size_t)V * V, sizeof *joint), *marg = calloc(V, sizeof *marg);
      for (uint64_t w = 0; w < ipow(V, m); w++) joint[(w / mid) * V + w % V] += p[w];
      for (uint32_t a = 0; a < V; a++)
        for (uint32_t b = 0; b < V; b++) marg[a] += joint[a * V + b];
      double mi = 0.0;
      for (uint32_t a = 0; a < V; a++)
        for (uint32_t b = 0; b < V; b++)
          if (joint[a * V + b] > 0.0)
            mi += joint[a * V + b] * log2(joint[a * V + b] / (marg[a] * marg[b]));
      if (fabs(I[m - 2] - mi) > 1e-12)
        fail_msg("V=%u k=%u: I(%u) = %.17g, enumeration %.17g", V, k, m - 1, I[m - 2], mi);
      free(joint);
      free(marg);
    }
    free(p);
  }
  for (size_t c = 0; c <= L; c++) {
    const double expected = block_entropy[c + 1] - block_entropy[c];
    if (fabs(H[c] - expected) > 1e-12)
      fail_msg("V=%u k=%u: H(%zu) = %.17g, enumeration %.17g", V, k, c, H[c], expected);
  }
  /* entropy rate: H(c) for c >= k (SCIENCE.md section 5) */
  assert_true(fabs(ctxlab_markov_entropy_rate(V, k, P, pi) - H[L]) <= 1e-14);
  free(pi_dense);
  free(pi);
}

static void test_random_tiny_chains(void **state) {
  (void)state;
  for (uint32_t V = 2; V <= 3; V++)
    for (uint32_t k = 0; k <= 3; k++)
      for (int zeros = 0; zeros <= 1; zeros++) {
        double *P = random_table(V, ipow(V, k), 100 * V + 10 * k + zeros, zeros);
        compare_to_enumeration(V, k, P, V == 2 ? 7 : 6);
        free(P);
      }
}

/* A chain far from uniform: rows with one dominant token, so that H(c) drops
 * well below H(0) and I(d) spans several orders of magnitude. */
static void test_skewed_chain(void **state) {
  (void)state;
  const uint32_t V = 3, k = 2;
  const uint64_t n = ipow(V, k);
  double *P = random_table(V, n, 99, 0);
  for (uint64_t s = 0; s < n; s++) {
    double sum = 0.0;
    for (uint32_t x = 0; x < V; x++) sum += P[s * V + x] += x == (s * 7 + 1) % V ? 20.0 : 0.0;
    for (uint32_t x = 0; x < V; x++) P[s * V + x] /= sum;
  }
  compare_to_enumeration(V, k, P, 6);
  free(P);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_tiny_chains),
      cmocka_unit_test(test_skewed_chain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
