/* The exact curves and the stationary law do not depend on the number of
 * threads: bit-identical results for 1, 2 and 3 threads, on chains whose
 * work is split into many blocks and chunks (and, for the measures, into
 * several passes). */
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "gen/markov/markov_theory.h"
#include "gen/markov/markov_theory_internal.h"
#include "markov_theory_test_util.h"

#define L 24

static void check_thread_independence(uint32_t V, uint32_t k) {
  const uint64_t n = ipow(V, k);
  double *P = random_table(V, n, 1000 + V + k, 1), *pi = malloc(n * sizeof *pi);
  double *pi1 = malloc(n * sizeof *pi1);
  double H1[L + 1], I1[L], H[L + 1], I[L];
  ctxlab_error err;
  const int threads[] = {1, 2, 3};
  for (size_t i = 0; i < sizeof threads / sizeof threads[0]; i++) {
    omp_set_num_threads(threads[i]); /* the stationary solver uses the default team */
    if (ctxlab_markov_stationary(V, k, P, pi, &err)) fail_msg("%s", err.message);
    if (ctxlab_markov_exact_curves(V, k, P, pi, L, threads[i], H, I, &err))
      fail_msg("%s", err.message);
    if (i == 0) {
      memcpy(pi1, pi, n * sizeof *pi);
      memcpy(H1, H, sizeof H);
      memcpy(I1, I, sizeof I);
      continue;
    }
    assert_memory_equal(pi, pi1, n * sizeof *pi);
    assert_memory_equal(H, H1, sizeof H);
    assert_memory_equal(I, I1, sizeof I);
  }
  free(P);
  free(pi);
  free(pi1);
}

static void test_binary_long_memory(void **state) {
  (void)state;
  check_thread_independence(2, 16); /* power iteration, many step blocks and chunks */
}

static void test_large_vocabulary(void **state) {
  (void)state;
  check_thread_independence(300, 1); /* GTH, 300 measures of 300 states */
}

static void test_middle(void **state) {
  (void)state;
  check_thread_independence(5, 7); /* 78125 states: power iteration */
}

/* Propagating the measures one at a time (V passes) or all together gives
 * the same I(d) up to the order of the sums of the joint (not bit-identical:
 * the chunking of those sums depends on the width). */
static void test_measure_passes(void **state) {
  (void)state;
  const uint32_t V = 4, k = 5;
  const uint64_t n = ipow(V, k);
  double *P = random_table(V, n, 77, 1), *pi = malloc(n * sizeof *pi);
  double I_all[L], I_one[L], I_three[L];
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_stationary(V, k, P, pi, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_markov_mi_curve(V, k, P, pi, L, 2, 0, I_all, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_markov_mi_curve(V, k, P, pi, L, 2, 1, I_one, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_markov_mi_curve(V, k, P, pi, L, 3, 3, I_three, &err), CTXLAB_OK);
  for (size_t d = 0; d < L; d++) {
    assert_true(fabs(I_one[d] - I_all[d]) <= 1e-15 + 1e-12 * I_all[d]);
    assert_true(fabs(I_three[d] - I_all[d]) <= 1e-15 + 1e-12 * I_all[d]);
  }
  free(P);
  free(pi);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_binary_long_memory),
      cmocka_unit_test(test_large_vocabulary),
      cmocka_unit_test(test_middle),
      cmocka_unit_test(test_measure_passes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
