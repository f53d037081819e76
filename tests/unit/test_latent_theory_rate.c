/* Entropy rate of the latent family (gen/latent/latent_theory.h).
 *
 * Sources of expected values:
 *   [h2]     d = 1: the process is a binary symmetric Markov chain, whose entropy
 *            rate is h2(rho) (long double here);
 *   [edges]  all rho = 0: every chain is learnt, rate = H(w); all rho = 1/2: no
 *            memory, rate = H(w) + 1;
 *   [H(c)]   ctxlab_latent_exact_curves at a context c where the gap
 *            0 <= H(c) - rate = sum_j w_j sum_{a>c} w_j (1-w_j)^(a-1) g(r_j^a)
 *            <= sum_j w_j (1-w_j)^c is provably below 3e-15;
 *   [a-sum]  rate = H(w) + sum_j w_j (1 - E g(r_j^A)), A ~ Geometric(w_j), with
 *            E g(r^A) = sum_a w (1-w)^(a-1) (1 - h2((1 + r^a)/2)) summed directly in
 *            long double over up to ~10^6 ages until the rest is below 1e-20 (a
 *            different route from the library's series in n with an
 *            Euler-Maclaurin tail, and h2 in place of g). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/latent/latent_theory.h"

static long double h2l(long double p) {
  if (p <= 0 || p >= 1) return 0;
  return -(p * log2l(p) + (1 - p) * log2l(1 - p));
}

/* [a-sum] E_A g(r^A) = 1 - E_A h2(q(A)), q(a) = (1 + r^a)/2, 1 - q by expm1l.
 * The rest after age A is at most (1-w)^A g(r^(A+1)) <= (1-w)^A g(r^A). */
static long double memory_by_ages(double w, double rho) {
  long double log_r = log1pl(-2 * (long double)rho), log_q = log1pl(-(long double)w);
  long double sum = 0;
  for (long a = 1;; a++) {
    long double g = 1 - h2l(-expm1l(a * log_r) / 2);
    sum += w * expl((a - 1) * log_q) * g;
    if (expl(a * log_q) * g < 1e-20L) break;
  }
  return sum;
}

static long double weight_entropy(uint32_t d, const double *w) {
  long double h = 0;
  for (uint32_t j = 0; j < d; j++)
    if (w[j] > 0) h -= w[j] * log2l(w[j]);
  return h;
}

static double rate_of(uint32_t d, const double *w, const double *rho) {
  double bits = -1;
  ctxlab_error err;
  int status = ctxlab_latent_entropy_rate(d, w, rho, &bits, &err);
  if (status) fprintf(stderr, "%s\n", err.message);
  assert_int_equal(status, 0);
  return bits;
}

static void assert_near(double got, long double want, double tol, const char *what) {
  if (!(fabsl(got - want) <= tol)) {
    fprintf(stderr, "%s: %.17g, expected %.17Lg (diff %.3Lg)\n", what, got, want, got - want);
    fail();
  }
}

/* [h2] one chain shown every step */
static void test_single_chain(void **state) {
  (void)state;
  const double rhos[] = {0.1, 1e-3, 1e-7, 1e-12, 0.4999, 0.5, 0};
  const double w[1] = {1};
  for (int k = 0; k < 7; k++) {
    char what[64];
    snprintf(what, sizeof what, "d = 1, rho = %g", rhos[k]);
    assert_near(rate_of(1, w, &rhos[k]), h2l(rhos[k]), 1e-14, what);
  }
}

/* [edges] */
static void test_frozen_and_memoryless(void **state) {
  (void)state;
  const double w[4] = {0.4, 0.35, 0, 0.25};
  const double frozen[4] = {0, 0, 0, 0}, memoryless[4] = {0.5, 0.5, 0.5, 0.5};
  long double Hw = weight_entropy(4, w);
  assert_near(rate_of(4, w, frozen), Hw, 1e-14, "all rho = 0");
  assert_near(rate_of(4, w, memoryless), Hw + 1, 1e-14, "all rho = 1/2");
}

/* [H(c)] c = 150, w_j >= 0.2: the gap is at most 0.8^150 < 3e-15 */
static void test_equals_long_context(void **state) {
  (void)state;
  enum { L = 150 };
  const double w[3] = {0.5, 0.3, 0.2}, rho[3] = {0.001, 0.01, 0.1};
  double H[L + 1];
  ctxlab_error err;
  assert_int_equal(ctxlab_latent_exact_curves(3, w, rho, 0, L, 1, H, NULL, NULL, &err), 0);
  assert_near(rate_of(3, w, rho), H[L], 1e-13, "rate vs H(150)");
}

/* [a-sum] mixed chains: slow, medium, fast, memoryless, frozen, never shown */
static void test_mixed_chains(void **state) {
  (void)state;
  const double w[6] = {0.3, 0.25, 0.2, 0.1, 0.1, 0.05};
  const double rho[6] = {1e-6, 1e-3, 0.05, 0.5, 0, 0.3};
  long double want = weight_entropy(6, w);
  for (int j = 0; j < 6; j++) want += w[j] * (1 - memory_by_ages(w[j], rho[j]));
  assert_near(rate_of(6, w, rho), want, 1e-13, "mixed chains");
}

/* [a-sum] d identical chains: rate = log2 d + 1 - E g(r^A), so the error of one
 * chain's memory term is not scaled down by its weight.  Rare and slow
 * (w = 5e-5, rho = 1e-7: ~10^6 ages to sum; the library needs its
 * Euler-Maclaurin tail), rare and nearly frozen, and fast (direct series). */
static void test_identical_chains(void **state) {
  (void)state;
  const struct {
    uint32_t d;
    double rho;
  } cases[] = {{20000, 1e-7}, {1000, 1e-9}, {1000, 1e-4}, {10, 0.3}, {4, 1e-5}};
  for (int k = 0; k < 5; k++) {
    uint32_t d = cases[k].d;
    double *w = malloc(d * sizeof *w), *rho = malloc(d * sizeof *rho);
    assert_non_null(w && rho);
    for (uint32_t j = 0; j < d; j++) w[j] = 1.0 / d, rho[j] = cases[k].rho;
    long double want = log2l(d) + 1 - memory_by_ages(1.0 / d, cases[k].rho);
    char what[64];
    snprintf(what, sizeof what, "%u chains, rho = %g", d, cases[k].rho);
    assert_near(rate_of(d, w, rho), want, 1e-13, what);
    free(w), free(rho);
  }
}

static void test_errors(void **state) {
  (void)state;
  const double w[2] = {0.5, 0.5}, rho[2] = {0.1, 0.2}, bad_rho[2] = {0.1, 0.7};
  double bits;
  ctxlab_error err;
  assert_int_equal(ctxlab_latent_entropy_rate(2, w, rho, NULL, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "bits"));
  assert_int_equal(ctxlab_latent_entropy_rate(0, w, rho, &bits, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "d = 0"));
  assert_int_equal(ctxlab_latent_entropy_rate(2, w, bad_rho, &bits, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "rho[1]"));
  assert_int_equal(ctxlab_latent_entropy_rate(1, w, rho, &bits, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "sum to 0.5"));
  assert_int_equal(ctxlab_latent_entropy_rate(2, w, rho, &bits, NULL), 0); /* err may be NULL */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_chain),     cmocka_unit_test(test_frozen_and_memoryless),
      cmocka_unit_test(test_equals_long_context), cmocka_unit_test(test_mixed_chains),
      cmocka_unit_test(test_identical_chains), cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
