/* The portable logarithms samplers use (core/detmath.h), against long-double
 * libm (logl, log1pl: 64-bit mantissas, an independent implementation). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/detmath.h"

static uint64_t xorshift(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static double ulp_error(double got, long double ref) {
  double r = (double)ref;
  double ulp = nextafter(fabs(r), INFINITY) - fabs(r);
  return (double)(fabsl((long double)got - ref) / ulp);
}

/* Documented: within 2 ulp for every finite x > 0. */
static void test_log_portable(void **state) {
  uint64_t s = 0x9e3779b97f4a7c15ULL;
  double worst = 0;
  for (int i = 0; i < 2000000; ++i) {
    uint64_t bits = xorshift(&s) & 0x7fefffffffffffffULL; /* finite, positive */
    double x;
    memcpy(&x, &bits, sizeof x);
    if (x == 0 || x == 1) continue;
    double e = ulp_error(ctxlab_log_portable(x), logl((long double)x));
    if (e > worst) worst = e;
  }
  if (worst > 2) fail_msg("ctxlab_log_portable: worst error %.2f ulp (documented 2)", worst);
  assert_true(ctxlab_log_portable(1.0) == 0.0);
  assert_true(isinf(ctxlab_log_portable(0.0)) && ctxlab_log_portable(0.0) < 0);
  assert_true(isnan(ctxlab_log_portable(-1.0)));
  assert_true(isinf(ctxlab_log_portable(INFINITY)));
  assert_true(ctxlab_log_portable(DBL_MIN * 0.5) < -708); /* subnormal input */
}

/* Documented: relative error below 1e-14 on [2^-1022, 1].  The reference for
 * u > 1/2 is log1pl(u - 1), where u - 1 is exact (Sterbenz). */
static void test_log_unit(void **state) {
  ctxlab_log_unit_init();
  uint64_t s = 0x2545f4914f6cdd1dULL;
  double worst = 0;
  for (int i = 0; i < 3000000; ++i) {
    uint64_t r = xorshift(&s);
    double u;
    if (i % 3 == 0)
      u = 1.0 - (double)(r >> (11 + i % 53)) * 0x1p-53; /* near 1 */
    else
      u = ldexp((double)((r >> 11) | 1) * 0x1p-53, -(int)(i % 1000));
    if (!(u >= 0x1p-1022 && u <= 1.0)) continue;
    long double ref = u > 0.5 ? log1pl((long double)u - 1.0L) : logl((long double)u);
    if (ref == 0) {
      assert_true(ctxlab_log_unit(u) == 0.0);
      continue;
    }
    double rel = (double)fabsl(((long double)ctxlab_log_unit(u) - ref) / ref);
    if (rel > worst) worst = rel;
  }
  if (worst > 1e-14) fail_msg("ctxlab_log_unit: worst relative error %.3g (documented 1e-14)", worst);
  assert_true(ctxlab_log_unit(1.0) == 0.0);
  assert_true(fabs(ctxlab_log_unit(0.5) + 0.69314718055994530942) < 1e-16);
  assert_true(fabs(ctxlab_log_unit(0x1p-53) + 53 * 0.69314718055994530942) < 1e-13);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_log_portable),
      cmocka_unit_test(test_log_unit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
