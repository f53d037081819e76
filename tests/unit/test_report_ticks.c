/* Axis ticks (notebooks-export/ticks.h) against cases worked by hand with
 * Heckbert's rule (step = 1, 2 or 5 x 10^k nearest span / (target - 1):
 * fraction < 1.5 -> 1, < 3 -> 2, < 7 -> 5, else 10). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "notebooks-export/ticks.h"

static void expect(const ctxlab_ticks *t, size_t n, const double *values, const char *const *labels) {
  if (t->n != n) fail_msg("%zu ticks, expected %zu", t->n, n);
  for (size_t i = 0; i < n; ++i) {
    if (fabs(t->value[i] - values[i]) > 1e-12 * fmax(1, fabs(values[i])))
      fail_msg("tick %zu: %.17g, expected %.17g", i, t->value[i], values[i]);
    assert_string_equal(t->label[i], labels[i]);
  }
}

static void test_nice_step(void **state) {
  (void)state;
  /* span/(target-1): 8/4 = 2 -> 2; 0.84/4 = 0.21 -> 0.2; 97/6 = 16.2 -> 20;
   * 0.0042/4 = 0.00105 -> 0.001; 340/4 = 85 -> 100; 4.6/4 = 1.15 -> 1 */
  assert_true(fabs(ctxlab_ticks_nice_step(8, 5) - 2) < 1e-15);
  assert_true(fabs(ctxlab_ticks_nice_step(0.84, 5) - 0.2) < 1e-15);
  assert_true(fabs(ctxlab_ticks_nice_step(97, 7) - 20) < 1e-12);
  assert_true(fabs(ctxlab_ticks_nice_step(0.0042, 5) - 0.001) < 1e-18);
  assert_true(fabs(ctxlab_ticks_nice_step(340, 5) - 100) < 1e-12);
  assert_true(fabs(ctxlab_ticks_nice_step(4.6, 5) - 1) < 1e-15);
}

static void test_linear(void **state) {
  (void)state;
  ctxlab_ticks t;
  ctxlab_ticks_linear(0, 8, 5, 0, &t); /* step 2, ends included */
  expect(&t, 5, (double[]){0, 2, 4, 6, 8}, (const char *const[]){"0", "2", "4", "6", "8"});
  ctxlab_ticks_linear(0.13, 0.97, 5, 0, &t); /* step 0.2: 0.2 .. 0.8, printed without drift */
  expect(&t, 4, (double[]){0.2, 0.4, 0.6, 0.8}, (const char *const[]){"0.2", "0.4", "0.6", "0.8"});
  ctxlab_ticks_linear(-1.3, 1.1, 5, 0, &t); /* 2.4/4 = 0.6 -> 0.5; zero prints as "0.0" */
  expect(&t, 5, (double[]){-1, -0.5, 0, 0.5, 1},
         (const char *const[]){"-1.0", "-0.5", "0.0", "0.5", "1.0"});
  ctxlab_ticks_linear(-0.2, 4.2, 8, 1, &t); /* 4.4/7 = 0.63 -> 0.5, raised to the minimum 1 */
  expect(&t, 5, (double[]){0, 1, 2, 3, 4}, (const char *const[]){"0", "1", "2", "3", "4"});
  ctxlab_ticks_linear(1.3905, 1.3963, 5, 0, &t); /* 0.0058/4 = 0.00145 -> 0.001 */
  expect(&t, 6, (double[]){1.391, 1.392, 1.393, 1.394, 1.395, 1.396},
         (const char *const[]){"1.391", "1.392", "1.393", "1.394", "1.395", "1.396"});
}

static void test_log(void **state) {
  (void)state;
  ctxlab_ticks t;
  ctxlab_ticks_log(800, 1.2e7, &t); /* decades 10^3 .. 10^7 */
  expect(&t, 5, (double[]){1e3, 1e4, 1e5, 1e6, 1e7},
         (const char *const[]){"10^3", "10^4", "10^5", "10^6", "10^7"});
  ctxlab_ticks_log(1e-15, 2, &t); /* 16 decades: every second one */
  expect(&t, 8, (double[]){1e-15, 1e-13, 1e-11, 1e-9, 1e-7, 1e-5, 1e-3, 1e-1},
         (const char *const[]){"10^-15", "10^-13", "10^-11", "10^-9", "10^-7", "10^-5",
                               "10^-3", "10^-1"});
  ctxlab_ticks_log(0.9, 64, &t); /* two powers of ten inside: 1, 2, 5 x 10^k */
  expect(&t, 6, (double[]){1, 2, 5, 10, 20, 50},
         (const char *const[]){"1", "2", "5", "10", "20", "50"});
  ctxlab_ticks_log(0.03, 0.4, &t); /* one power of ten inside */
  expect(&t, 3, (double[]){0.05, 0.1, 0.2}, (const char *const[]){"0.05", "0.1", "0.2"});
  ctxlab_ticks_log(3, 8, &t); /* only 5 inside: the linear ticks of [3, 8] (step 1) */
  expect(&t, 6, (double[]){3, 4, 5, 6, 7, 8}, (const char *const[]){"3", "4", "5", "6", "7", "8"});
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_nice_step),
                                     cmocka_unit_test(test_linear), cmocka_unit_test(test_log)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
