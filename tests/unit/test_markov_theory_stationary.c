/* Stationary law: GTH, power iteration and an independent dense solve
 * (markov_theory_test_util.h) agree; the dispatcher switches between GTH and
 * power iteration at CTXLAB_MARKOV_GTH_MAX_STATES; periodic chains work;
 * non-convergence is reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gen/markov/markov_theory.h"
#include "gen/markov/markov_theory_internal.h"
#include "markov_theory_test_util.h"

static double max_relative_difference(const double *a, const double *b, uint64_t n) {
  double worst = 0.0;
  for (uint64_t s = 0; s < n; s++) {
    const double d = fabs(a[s] - b[s]) / b[s];
    if (d > worst) worst = d;
  }
  return worst;
}

/* GTH against the dense long-double solve. */
static void test_gth_against_dense_solve(void **state) {
  (void)state;
  const uint32_t V = 3, k = 5;
  const uint64_t n = ipow(V, k);
  double *P = random_table(V, n, 11, 1), *pi = malloc(n * sizeof *pi), *ref = malloc(n * sizeof *ref);
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_stationary_gth(V, n, P, pi, &err), CTXLAB_OK);
  dense_stationary(V, n, P, ref);
  const double worst = max_relative_difference(pi, ref, n);
  if (worst > 1e-13) fail_msg("GTH vs dense solve: relative difference %.3g", worst);
  free(P);
  free(pi);
  free(ref);
}

/* Both solvers on chains just below, at and above the switch size, and the
 * dispatcher's choice (bit-identical to the solver it should have used). */
static void compare_solvers(uint32_t V, uint32_t k, uint64_t seed) {
  const uint64_t n = ipow(V, k);
  double *P = random_table(V, n, seed, 1);
  double *gth = malloc(n * sizeof *gth), *power = malloc(n * sizeof *power);
  double *pi = malloc(n * sizeof *pi), residual;
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_stationary_gth(V, n, P, gth, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_markov_stationary_power(V, n, P, 0, power, &residual, &err), CTXLAB_OK);
  assert_true(residual <= 1e-14);
  const double worst = max_relative_difference(power, gth, n);
  if (worst > 1e-12)
    fail_msg("V=%u k=%u: GTH vs power iteration: relative difference %.3g", V, k, worst);
  assert_int_equal(ctxlab_markov_stationary(V, k, P, pi, &err), CTXLAB_OK);
  const double *expected = n <= CTXLAB_MARKOV_GTH_MAX_STATES ? gth : power;
  assert_memory_equal(pi, expected, n * sizeof *pi);
  free(P);
  free(gth);
  free(power);
  free(pi);
}

static void test_solvers_around_switch(void **state) {
  (void)state;
  assert_int_equal(CTXLAB_MARKOV_GTH_MAX_STATES, 2048);
  compare_solvers(2, 11, 21); /* 2048 states: GTH */
  compare_solvers(3, 7, 23);  /* 2187 states: power iteration */
  compare_solvers(20, 2, 22); /* V >= 16: the row-wise step kernel */
}

/* Rows 0, 1 go to {2, 3} and rows 2, 3 to {0, 1}: period 2, so the plain
 * iteration x P would oscillate from most starts; the lazy one converges. */
static void test_periodic_power_iteration(void **state) {
  (void)state;
  const double P[16] = {0, 0, 0.3, 0.7, 0, 0, 0.9, 0.1, 0.6, 0.4, 0, 0, 0.2, 0.8, 0, 0};
  double gth[4], power[4], residual;
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_stationary_gth(4, 4, P, gth, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_markov_stationary_power(4, 4, P, 0, power, &residual, &err), CTXLAB_OK);
  assert_true(max_relative_difference(power, gth, 4) <= 1e-14);
  /* period 2: each half carries mass 1/2 */
  assert_true(fabs(gth[0] + gth[1] - 0.5) <= 1e-15);
}

/* Martin's prefer-one de Bruijn sequence (Martin 1934): start with k zeros,
 * append 1 when the k-block it closes is new, else 0.  Its table emits the
 * next symbol of the sequence: a single deterministic cycle through all 2^k
 * blocks, irreducible with period 2^k and uniform stationary law. */
static double *de_bruijn_table(uint32_t k) {
  const uint64_t n = ipow(2, k);
  uint8_t *seen = calloc(n, 1);
  double *P = calloc(2 * n, sizeof *P);
  uint64_t s = 0;
  seen[0] = 1;
  for (uint64_t i = 1; i < n; i++) {
    const uint64_t one = (s * 2 + 1) % n, zero = (s * 2) % n;
    const uint64_t next = seen[one] ? zero : one;
    P[s * 2 + next % 2] = 1.0;
    seen[next] = 1;
    s = next;
  }
  P[s * 2 + 0] = 1.0; /* the last block [1 0 ... 0] closes the cycle back to 0 */
  free(seen);
  return P;
}

static void test_de_bruijn_cycle(void **state) {
  (void)state;
  const uint32_t k = 10;
  const uint64_t n = ipow(2, k);
  double *P = de_bruijn_table(k), *pi = malloc(n * sizeof *pi);
  ctxlab_error err;
  /* GTH: exactly uniform, period 2^k notwithstanding */
  assert_int_equal(ctxlab_markov_stationary(2, k, P, pi, &err), CTXLAB_OK);
  for (uint64_t s = 0; s < n; s++) assert_true(fabs(pi[s] * n - 1.0) <= 1e-13);
  /* Block 0 now stays put with probability 1/2: pi is proportional to the
   * mean holding time, 2 at block 0 and 1 elsewhere, so pi(0) = 2/(n + 1) and
   * pi(s) = 1/(n + 1) otherwise. */
  P[0] = P[1] = 0.5;
  assert_int_equal(ctxlab_markov_stationary(2, k, P, pi, &err), CTXLAB_OK);
  for (uint64_t s = 0; s < n; s++)
    assert_true(fabs(pi[s] * (n + 1) - (s == 0 ? 2.0 : 1.0)) <= 1e-13);
  /* Power iteration contracts by about cos(pi/n) per lazy step on this
   * cycle, so a budget of 1000 steps ends in ENUMERIC with the residual
   * reached (from the uniform start, which is not stationary here). */
  assert_int_equal(ctxlab_markov_stationary_power(2, n, P, 1000, pi, NULL, &err),
                   CTXLAB_ENUMERIC);
  if (!strstr(err.message, "did not converge") || !strstr(err.message, "after 1000 steps") ||
      !strstr(err.message, "residual ||pi P - pi||_1 = "))
    fail_msg("unexpected message: %s", err.message);
  free(P);
  free(pi);
}

/* A large chain (65536 states; the 2^20-state timing is in the report): the
 * residual is at the rounding floor and pi is a probability vector. */
static void test_large_chain(void **state) {
  (void)state;
  const uint32_t V = 2, k = 16;
  const uint64_t n = ipow(V, k);
  double *P = random_table(V, n, 31, 0), *pi = malloc(n * sizeof *pi);
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_stationary(V, k, P, pi, &err), CTXLAB_OK);
  const double residual = ctxlab_markov_residual(V, n, P, pi);
  if (residual > 1e-14) fail_msg("residual %.3g", residual);
  double sum = 0.0;
  for (uint64_t s = 0; s < n; s++) {
    assert_true(pi[s] > 0.0);
    sum += pi[s];
  }
  assert_true(fabs(sum - 1.0) <= 1e-13);
  free(P);
  free(pi);
}

static void test_bad_arguments(void **state) {
  (void)state;
  ctxlab_error err;
  double P[1] = {1.0}, pi[2];
  assert_int_equal(ctxlab_markov_stationary(0, 1, P, pi, &err), CTXLAB_EINVAL);
  assert_int_equal(ctxlab_markov_stationary(3, 30, P, pi, &err), CTXLAB_EINVAL);
  double T[4] = {0.5, 0.5, NAN, 0.5};
  assert_int_equal(ctxlab_markov_stationary(2, 1, T, pi, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "P[1][0] = nan is not a probability"));
  T[2] = -0.5;
  assert_int_equal(ctxlab_markov_stationary(2, 1, T, pi, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "P[1][0] = -0.5"));
  T[2] = 0.4;
  assert_int_equal(ctxlab_markov_stationary(2, 1, T, pi, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "row 1 sums to 0.9"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gth_against_dense_solve),
      cmocka_unit_test(test_solvers_around_switch),
      cmocka_unit_test(test_periodic_power_iteration),
      cmocka_unit_test(test_de_bruijn_cycle),
      cmocka_unit_test(test_large_chain),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
