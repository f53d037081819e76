/* g(x) = 1 - h2((1 + x)/2) in bits (gen/latent/latent_theory.h).
 *
 * Sources of expected values:
 *   [series] sum_{n>=1} x^(2n) / (n (2n - 1)) / (2 ln 2) in long double, summed
 *            until the terms are below 1e-25 of the sum (for x < 1/2);
 *   [logs]   [(1+x) log1pl(x) + (1-x) log1pl(-x)] / (2 ln 2) in long double (for
 *            x >= 1/2, where neither term cancels: 1-x is exact and (1-x) ln(1-x)
 *            is the small one);
 *   [closed] g(0) = 0, g(1) = 1, g(1/2) = (3/4) log2 3 - 1 (h2(3/4) = 2 - (3/4) log2 3).
 * tests/python/test_latent_theory_numpy.py also checks g against python's decimal
 * module at 60+ digits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>

#include "gen/latent/latent_theory.h"

/* Measured worst case 5.5 ulps (at x ~ 0.503, where the log form's two terms
 * cancel by a factor 2.3); 8 ulps leaves room for another libm's log. */
#define MAX_ULPS 8.0

static long double g_reference(long double x) {
  const long double half_inv_ln2 = 1 / (2 * logl(2.0L));
  if (x < 0.5L) {
    long double t = x * x, power = 1, sum = 0;
    for (int n = 1; n < 400; n++) {
      power *= t;
      long double term = power / (n * (2.0L * n - 1));
      sum += term;
      if (term < 1e-25L * sum) break;
    }
    return sum * half_inv_ln2;
  }
  return ((1 + x) * log1pl(x) + (1 - x) * log1pl(-x)) * half_inv_ln2;
}

/* relative error in units of 2^-53 where the reference is a normal double,
 * else absolute error in units of the smallest normal */
static double error_ulps(double x) {
  long double want = g_reference(x);
  long double got = ctxlab_latent_g(x);
  if (want < DBL_MIN) return (double)(fabsl(got - want) / DBL_MIN);
  return (double)(fabsl(got - want) / want / 0x1p-53L);
}

static void check_range(const char *what, double (*point)(int, int), int n) {
  double worst = 0, at = 0;
  for (int i = 0; i <= n; i++) {
    double x = point(i, n), e = error_ulps(x);
    if (e > worst) worst = e, at = x;
  }
  if (!(worst <= MAX_ULPS)) {
    fprintf(stderr, "%s: %.2f ulps at x = %.17g\n", what, worst, at);
    fail();
  }
}

/* near 0: x = 10^-300 .. 10^-2, log-spaced (every branch of the series,
 * including x^2 below the smallest double) */
static double near_zero(int i, int n) { return pow(10, -300 + 298.0 * i / n); }
/* mid-range: x = 0 .. 1, uniform, plus the branch boundaries */
static double mid_range(int i, int n) { return (double)i / n; }
/* near 1: x = 1 - 10^-k, k = 0.3 .. 16 (1 - x down to one ulp of 1) */
static double near_one(int i, int n) { return 1 - pow(10, -0.3 - 15.7 * i / n); }

static void test_g_near_zero(void **state) {
  (void)state;
  check_range("near 0", near_zero, 200000);
}

static void test_g_mid_range(void **state) {
  (void)state;
  check_range("mid-range", mid_range, 1000000);
  /* the series/log switch points of the implementation and their neighbours */
  const double edges[] = {0x1p-26, 0x1p-13, 0.0625, 0.25}; /* in x^2 */
  for (int k = 0; k < 4; k++) {
    double x = sqrt(edges[k]);
    for (int s = 0; s < 5; s++) {
      assert_true(error_ulps(x) <= MAX_ULPS);
      assert_true(error_ulps(nextafter(x, 0)) <= MAX_ULPS);
      x = nextafter(x, 1);
    }
  }
}

static void test_g_near_one(void **state) {
  (void)state;
  check_range("near 1", near_one, 200000);
  assert_true(error_ulps(nextafter(1.0, 0)) <= MAX_ULPS);
}

static void test_g_closed_values(void **state) {
  (void)state;
  assert_true(ctxlab_latent_g(0) == 0);
  assert_true(ctxlab_latent_g(1) == 1);
  /* (3/4) log2 3 - 1 = 0.18872187554086717... (long double) */
  long double want = 0.75L * log2l(3.0L) - 1;
  assert_true(fabsl(ctxlab_latent_g(0.5) - want) <= 4 * 0x1p-53L * want);
  /* monotone increasing on a fine grid */
  double prev = 0;
  for (int i = 1; i <= 100000; i++) {
    double g = ctxlab_latent_g(i / 100000.0);
    assert_true(g >= prev);
    prev = g;
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_g_near_zero),
      cmocka_unit_test(test_g_mid_range),
      cmocka_unit_test(test_g_near_one),
      cmocka_unit_test(test_g_closed_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
