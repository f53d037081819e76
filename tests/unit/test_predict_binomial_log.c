/* theory/predict/binomial_log.c: E[ln(k + a)], k ~ Binomial(N, q), against a
 * brute-force sum over the whole support in long double (probabilities from
 * lgammal), and the moment expansion against the exact sum across the
 * switch-over. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "theory/predict/binomial_log.h"

/* E[ln(k + a)] - ln(N q + a) summed over k = 0..N with every term. */
static double brute_shift(uint64_t N, double q, double a) {
  long double s = 0, m = (long double)N * q + a;
  for (uint64_t k = 0; k <= N; ++k) {
    long double lp = lgammal((long double)N + 1) - lgammal((long double)k + 1) -
                     lgammal((long double)(N - k) + 1) + (long double)k * logl(q) +
                     (long double)(N - k) * log1pl(-(long double)q);
    s += expl(lp) * logl(((long double)k + a) / m);
  }
  return (double)s;
}

static void test_sum_against_brute_force(void **state) {
  (void)state;
  const uint64_t Ns[] = {1, 2, 7, 50, 400, 3000};
  const double qs[] = {1e-4, 0.01, 0.2, 0.5, 0.93};
  const double as[] = {0.01, 0.5, 1, 8};
  for (size_t i = 0; i < sizeof Ns / sizeof *Ns; ++i)
    for (size_t j = 0; j < sizeof qs / sizeof *qs; ++j)
      for (size_t l = 0; l < sizeof as / sizeof *as; ++l) {
        const double got = ctxlab_binomial_log_shift_sum(Ns[i], qs[j], as[l]);
        const double want = brute_shift(Ns[i], qs[j], as[l]);
        if (!(fabs(got - want) <= 1e-13 + 1e-12 * fabs(want)))
          fail_msg("N %llu q %g a %g: sum %.17g, brute force %.17g", (unsigned long long)Ns[i],
                   qs[j], as[l], got, want);
      }
}

/* The expansion and the exact sum agree to 1e-11 nats from the switch on
 * (variance 100) and ever better above it; below it the expansion is not
 * used. */
static void test_series_matches_sum_across_switch(void **state) {
  (void)state;
  const double variances[] = {CTXLAB_BINOMIAL_LOG_SWITCH, 150, 400, 3000, 1e5};
  const double qs[] = {1e-6, 0.003, 0.3, 0.5, 0.9};
  const double as[] = {0.05, 0.5, 16};
  for (size_t i = 0; i < sizeof variances / sizeof *variances; ++i)
    for (size_t j = 0; j < sizeof qs / sizeof *qs; ++j)
      for (size_t l = 0; l < sizeof as / sizeof *as; ++l) {
        const uint64_t N = (uint64_t)ceil(variances[i] / (qs[j] * (1 - qs[j])));
        const double sum = ctxlab_binomial_log_shift_sum(N, qs[j], as[l]);
        const double series = ctxlab_binomial_log_shift_series(N, qs[j], as[l]);
        const double tol = variances[i] <= 150 ? 1e-11 : 1e-13;
        if (!(fabs(sum - series) <= tol))
          fail_msg("variance %g q %g a %g: sum %.17g, series %.17g (diff %.3g)", variances[i],
                   qs[j], as[l], sum, series, sum - series);
        /* the dispatcher picks the series here */
        assert_true(ctxlab_binomial_log_shift(N, qs[j], as[l]) == series);
      }
}

static void test_degenerate_cases(void **state) {
  (void)state;
  assert_true(ctxlab_binomial_log_shift(0, 0.3, 1) == 0);   /* k = 0 always */
  assert_true(ctxlab_binomial_log_shift(100, 0, 0.5) == 0); /* k = 0 always */
  assert_true(ctxlab_binomial_log_shift(100, 1, 0.5) == 0); /* k = N always */
  /* N = 1: E ln(k + a) = (1 - q) ln a + q ln(1 + a), by hand */
  const double q = 0.25, a = 0.5;
  assert_float_equal(log(q + a) + ctxlab_binomial_log_shift(1, q, a),
                     (1 - q) * log(a) + q * log(1 + a), 1e-15);
}

static void test_pmf(void **state) {
  (void)state;
  /* against the product formula with exact binomial coefficients */
  assert_float_equal(ctxlab_binomial_pmf(10, 0.3, 2), 45 * 0.09 * pow(0.7, 8), 1e-15);
  assert_float_equal(ctxlab_binomial_pmf(10, 0.3, 1), 10 * 0.3 * pow(0.7, 9), 1e-15);
  assert_float_equal(ctxlab_binomial_pmf(5, 0.3, 0), pow(0.7, 5), 1e-15);
  assert_true(ctxlab_binomial_pmf(3, 0.5, 4) == 0);
  assert_true(ctxlab_binomial_pmf(3, 0, 0) == 1);
  assert_true(ctxlab_binomial_pmf(3, 1, 3) == 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sum_against_brute_force),
      cmocka_unit_test(test_series_matches_sum_across_switch),
      cmocka_unit_test(test_degenerate_cases),
      cmocka_unit_test(test_pmf),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
