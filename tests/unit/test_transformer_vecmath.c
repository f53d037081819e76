/* The vectorisable exp and tanh of the float transformer
 * (sim/vecmath.h) against libm in double. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sim/vecmath.h"

/* Relative error below 1e-7 (0.84 of float's 2^-23; measured worst 8.1e-8
 * here and 8.2e-8 over every float in [-87, 88]) on 2^22 evenly spread
 * points; clamped below -87 (a normal 1.6e-38, never 0 or a subnormal). */
static void test_expf(void **state) {
  double worst = 0;
  for (uint32_t i = 0; i <= (1u << 22); ++i) {
    float x = -87.0f + 175.0f * (float)i / (float)(1u << 22);
    double ref = exp((double)x), e = fabs((double)ctxlab_vexpf(x) - ref) / ref;
    if (e > worst) worst = e;
  }
  if (worst > 1e-7) fail_msg("ctxlab_vexpf: worst relative error %.3g", worst);
  assert_true(ctxlab_vexpf(0.0f) == 1.0f);
  assert_true(ctxlab_vexpf(-1000.0f) == ctxlab_vexpf(-87.0f));
  assert_true(ctxlab_vexpf(-1000.0f) > 1e-38f && isnormal(ctxlab_vexpf(-1000.0f)));
  assert_true(isfinite(ctxlab_vexpf(1000.0f)));
}

/* Absolute error below 2.5e-7 on [-12, 12] (measured worst 1.8e-7), exactly
 * +-1 far out, odd to rounding. */
static void test_tanhf(void **state) {
  double worst = 0;
  for (int i = 0; i <= 1000000; ++i) {
    float y = -12.0f + 24.0f * (float)i / 1e6f;
    double e = fabs((double)ctxlab_vtanhf(y) - tanh((double)y));
    if (e > worst) worst = e;
  }
  if (worst > 2.5e-7) fail_msg("ctxlab_vtanhf: worst absolute error %.3g", worst);
  assert_true(ctxlab_vtanhf(100.0f) == 1.0f);
  assert_true(ctxlab_vtanhf(-100.0f) == -1.0f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expf),
      cmocka_unit_test(test_tanhf),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
