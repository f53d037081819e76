/* Temperature tuning: the returned table is D^beta row-normalised and its
 * entropy rate, computed here from an independent dense solve for pi, is the
 * target to 1e-9 bits; beta = 0 gives exactly uniform rows; unreachable
 * targets are refused with the reachable range. */
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gen/markov/markov_theory.h"
#include "markov_theory_test_util.h"

/* Entropy rate by the dense solve of the test utilities: sum_s pi(s) H(row s). */
static double independent_rate(uint32_t V, uint32_t k, const double *P) {
  const uint64_t n = ipow(V, k);
  double *pi = malloc(n * sizeof *pi), h = 0.0;
  dense_stationary(V, n, P, pi);
  for (uint64_t s = 0; s < n; s++)
    for (uint32_t x = 0; x < V; x++)
      if (P[s * V + x] > 0.0) h -= pi[s] * P[s * V + x] * log2(P[s * V + x]);
  free(pi);
  return h;
}

static double *log_of(const double *D, uint64_t count) {
  double *logD = malloc(count * sizeof *logD);
  for (uint64_t i = 0; i < count; i++) logD[i] = log(D[i]); /* log(0) = -inf */
  return logD;
}

/* Tunes and checks the result against the target and against D^beta. */
static void check_tuned(uint32_t V, uint32_t k, const double *logD, double target) {
  const uint64_t n = ipow(V, k);
  double *P = malloc(n * V * sizeof *P), beta = -1.0;
  ctxlab_error err;
  if (ctxlab_markov_tune_temperature(V, k, logD, target, P, &beta, &err))
    fail_msg("target %g: %s", target, err.message);
  const double h = independent_rate(V, k, P);
  if (fabs(h - target) > 1e-9) fail_msg("target %.17g: rate %.17g (beta %g)", target, h, beta);
  assert_true(beta > 0.0);
  for (uint64_t s = 0; s < n; s++) { /* rows proportional to D^beta */
    double sum = 0.0, spread = 0.0;
    for (uint32_t x = 0; x < V; x++) {
      sum += exp(beta * logD[s * V + x]);
      if (isfinite(logD[s * V + x])) spread = fmax(spread, fabs(beta * logD[s * V + x]));
    }
    /* exp(beta ln D) carries a relative rounding error of ~eps |beta ln D| */
    for (uint32_t x = 0; x < V; x++) {
      const double expected = exp(beta * logD[s * V + x]) / sum;
      if (fabs(P[s * V + x] - expected) > 1e-15 * (4.0 + spread) * expected)
        fail_msg("P[%llu] = %.17g, D^beta/sum = %.17g", (unsigned long long)(s * V + x),
                 P[s * V + x], expected);
    }
  }
  free(P);
}

static void test_random_tables(void **state) {
  (void)state;
  const struct { uint32_t V, k; } cases[] = {{3, 2}, {2, 6}, {5, 1}, {4, 0}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const uint32_t V = cases[c].V, k = cases[c].k;
    const uint64_t n = ipow(V, k);
    double *D = random_table(V, n, 500 + c, 0), *logD = log_of(D, n * V);
    for (double frac = 0.1; frac < 1.0; frac += 0.2) check_tuned(V, k, logD, frac * log2(V));
    free(D);
    free(logD);
  }
}

/* At the top of the range beta = 0: every row uniform over all V tokens, and
 * the entropy rate is log2 V (to rounding of the test's own sum). */
static void test_beta_zero(void **state) {
  (void)state;
  const uint32_t V = 3, k = 2;
  double *D = random_table(V, 9, 9, 1), *logD = log_of(D, 27), P[27], beta = -1.0;
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_tune_temperature(V, k, logD, log2(3.0), P, &beta, &err),
                   CTXLAB_OK);
  assert_true(beta == 0.0);
  for (int i = 0; i < 27; i++) assert_true(P[i] == 1.0 / 3.0);
  assert_true(fabs(independent_rate(V, k, P) - log2(3.0)) <= 1e-15);
  free(D);
  free(logD);
}

/* Row s forbids token s (V = 3, order 1).  As beta -> 0+ each row is uniform
 * over two tokens, so the rate tends to exactly 1 bit; rates in (1, log2 3)
 * cannot be reached, 1 bit itself is the 0+ limit (returned as the smallest
 * positive beta, whose rows are those of the limit). */
static void test_zero_entries(void **state) {
  (void)state;
  const double D[9] = {0.0, 0.7, 0.3, 0.2, 0.0, 0.8, 0.5, 0.5, 0.0};
  double *logD = log_of(D, 9), P[9], beta;
  ctxlab_error err;
  check_tuned(3, 1, logD, 0.6);
  assert_int_equal(ctxlab_markov_tune_temperature(3, 1, logD, 1.2, P, &beta, &err), CTXLAB_EINVAL);
  if (!strstr(err.message, "cannot be reached") || !strstr(err.message, "at most 1"))
    fail_msg("unexpected message: %s", err.message);
  assert_int_equal(ctxlab_markov_tune_temperature(3, 1, logD, 1.0, P, &beta, &err), CTXLAB_OK);
  assert_true(beta == DBL_MIN);
  for (int s = 0; s < 3; s++)
    for (int x = 0; x < 3; x++) assert_true(P[s * 3 + x] == (x == s ? 0.0 : 0.5));
  assert_int_equal(ctxlab_markov_tune_temperature(3, 1, logD, log2(3.0), P, &beta, &err),
                   CTXLAB_OK);
  assert_true(beta == 0.0 && P[0] == 1.0 / 3.0); /* beta = 0 ignores the zeros */
  free(logD);
}

/* Ties: every row is (1, 1, e^-0.01) before tempering, so P_beta tends to
 * (1/2, 1/2, 0) and the rate stays above 1 bit for every beta: 0.5 bits is
 * out of reach up to the cap (65536, where e^(-0.01 beta) ~ 1e-285 has not
 * yet underflowed). */
static void test_rate_floor(void **state) {
  (void)state;
  double logD[9], P[9], beta;
  for (int s = 0; s < 3; s++) {
    logD[s * 3 + 0] = logD[s * 3 + 1] = 0.0;
    logD[s * 3 + 2] = -0.01;
  }
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_tune_temperature(3, 1, logD, 0.5, P, &beta, &err), CTXLAB_EINVAL);
  if (!strstr(err.message, "cannot be reached") || !strstr(err.message, "(the cap)"))
    fail_msg("unexpected message: %s", err.message);
  check_tuned(3, 1, logD, 1.2); /* within the range */
}

/* Token 2 has weight e^-1000 relative to the others: from beta ~ 0.745 on it
 * underflows to probability 0, block [2] becomes unreachable and the tempered
 * chain is no longer irreducible, while the rate stays above 1 bit (tokens 0
 * and 1 tie).  The search bisects below the failure and then gives up with
 * the reachable range and the failure. */
static void test_underflow(void **state) {
  (void)state;
  double logD[9], P[9], beta;
  for (int s = 0; s < 3; s++) {
    logD[s * 3 + 0] = logD[s * 3 + 1] = 0.0;
    logD[s * 3 + 2] = -1000.0;
  }
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_tune_temperature(3, 1, logD, 0.5, P, &beta, &err), CTXLAB_EINVAL);
  if (!strstr(err.message, "cannot be reached") || !strstr(err.message, "larger beta fails") ||
      !strstr(err.message, "not irreducible"))
    fail_msg("unexpected message: %s", err.message);
  /* a flip probability of e^-1000 beta: 0.5 bits at beta ~ 0.0021, reached by
   * bisecting below the failure at beta = 1 */
  const double flips[4] = {0.0, -1000.0, -1000.0, 0.0};
  check_tuned(2, 1, flips, 0.5);
}

static void test_bad_input(void **state) {
  (void)state;
  double logD[4] = {0.0, -1.0, -2.0, 0.0}, P[4], beta;
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_tune_temperature(2, 1, logD, -0.1, P, &beta, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "outside [0, log2 V]"));
  assert_int_equal(ctxlab_markov_tune_temperature(2, 1, logD, 1.5, P, &beta, &err), CTXLAB_EINVAL);
  assert_int_equal(ctxlab_markov_tune_temperature(2, 1, logD, NAN, P, &beta, &err), CTXLAB_EINVAL);
  logD[1] = NAN;
  assert_int_equal(ctxlab_markov_tune_temperature(2, 1, logD, 0.5, P, &beta, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "ln D[0][1]"));
  logD[1] = INFINITY;
  assert_int_equal(ctxlab_markov_tune_temperature(2, 1, logD, 0.5, P, &beta, &err), CTXLAB_EINVAL);
  logD[0] = logD[1] = -INFINITY;
  assert_int_equal(ctxlab_markov_tune_temperature(2, 1, logD, 0.5, P, &beta, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "row 0 of D is all zero"));
  assert_int_equal(ctxlab_markov_tune_temperature(2, 30, logD, 0.5, P, &beta, NULL), CTXLAB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_tables),
      cmocka_unit_test(test_beta_zero),
      cmocka_unit_test(test_zero_entries),
      cmocka_unit_test(test_rate_floor),
      cmocka_unit_test(test_underflow),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
