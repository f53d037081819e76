/* Size limits of the lifted chain and the irreducibility check: each failing
 * chain is built so that the block pair named in the message is known by
 * hand (the check reports the first block, in index order, that block 0
 * cannot reach, else the first block that cannot reach block 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gen/markov/markov_theory.h"
#include "markov_theory_test_util.h"

static void expect_message(const ctxlab_error *err, const char *part) {
  if (!strstr(err->message, part)) fail_msg("message \"%s\" lacks \"%s\"", err->message, part);
}

static void test_state_count(void **state) {
  (void)state;
  ctxlab_error err;
  uint64_t n = 0;
  assert_int_equal(ctxlab_markov_state_count(2, 20, &n, &err), CTXLAB_OK);
  assert_true(n == 1048576);
  assert_int_equal(ctxlab_markov_state_count(256, 1, &n, &err), CTXLAB_OK);
  assert_true(n == 256);
  assert_int_equal(ctxlab_markov_state_count(7, 0, &n, &err), CTXLAB_OK);
  assert_true(n == 1);
  assert_int_equal(ctxlab_markov_state_count(1, 1000, &n, &err), CTXLAB_OK);
  assert_true(n == 1);
  /* 2^24 states, 2^25 entries: the largest binary order */
  assert_int_equal(ctxlab_markov_state_count(2, 24, &n, &err), CTXLAB_OK);
  assert_true(n == 16777216);
  /* 2^26 entries, 2^13 states: allowed; 2^28 entries (V = 2^14): not */
  assert_int_equal(ctxlab_markov_state_count(8192, 1, &n, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_markov_state_count(16384, 1, &n, &err), CTXLAB_EINVAL);
  expect_message(&err, "V^(k+1) = 268435456 transition-table entries");
  /* too many states */
  assert_int_equal(ctxlab_markov_state_count(2, 25, &n, &err), CTXLAB_EINVAL);
  expect_message(&err, "V^k = 33554432 lifted states");
  expect_message(&err, "2^24 = 16777216 states");
  expect_message(&err, "2^27 = 134217728 entries");
  /* V^k beyond 64 bits: 10^30 */
  assert_int_equal(ctxlab_markov_state_count(10, 30, &n, &err), CTXLAB_EINVAL);
  expect_message(&err, "V^k = about 1e+30 lifted states");
  assert_int_equal(ctxlab_markov_state_count(0, 1, &n, &err), CTXLAB_EINVAL);
  expect_message(&err, "at least 1");
  assert_int_equal(ctxlab_markov_state_count(0, 1, &n, NULL), CTXLAB_EINVAL);
}

static void expect_reducible(uint32_t V, uint32_t k, const double *P, const char *pair) {
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_check_irreducible(V, k, P, &err), CTXLAB_EINVAL);
  expect_message(&err, pair);
  expect_message(&err, "no unique stationary law");
  /* the solver refuses the chain too */
  double *pi = malloc(ipow(V, k) * sizeof *pi);
  assert_int_equal(ctxlab_markov_stationary(V, k, P, pi, &err), CTXLAB_EINVAL);
  expect_message(&err, pair);
  free(pi);
}

/* State 1 is transient: 1 -> 0 with probability 1/2, 0 never leaves. */
static void test_transient_block(void **state) {
  (void)state;
  const double P[4] = {1.0, 0.0, 0.5, 0.5};
  expect_reducible(2, 1, P, "block [0] cannot reach block [1]");
}

/* Forward search succeeds, backward fails: 0 -> 1 always, 1 absorbing. */
static void test_absorbing_block(void **state) {
  (void)state;
  const double P[4] = {0.0, 1.0, 0.0, 1.0};
  expect_reducible(2, 1, P, "block [1] cannot reach block [0]");
}

/* Order 2 over {0, 1}: [0 0] emits 0 forever and [1 1] emits 1 forever: two
 * closed classes {[0 0]} and {[1 1]}; [0 0] reaches nothing else, and the
 * first block it misses is [0 1]. */
static void test_two_closed_classes(void **state) {
  (void)state;
  const double P[8] = {1.0, 0.0, /* [0 0] */ 0.5, 0.5, /* [0 1] */
                       0.5, 0.5, /* [1 0] */ 0.0, 1.0 /* [1 1] */};
  expect_reducible(2, 2, P, "block [0 0] cannot reach block [0 1]");
}

/* Order 2 over {0, 1, 2} where token 2 is never emitted: block [0 2] (index
 * 2) is the first block [0 0] cannot reach. */
static void test_unreachable_token(void **state) {
  (void)state;
  double P[27];
  for (int s = 0; s < 9; s++) {
    P[s * 3 + 0] = 0.5;
    P[s * 3 + 1] = 0.5;
    P[s * 3 + 2] = 0.0;
  }
  expect_reducible(3, 2, P, "block [0 0] cannot reach block [0 2]");
}

/* The order-1 cycle 0 -> 1 -> 2 -> 0 written as an order-2 table (block
 * [x y] has index 3x + y and emits y + 1 mod 3): from [0 0] the chain visits
 * [0 1], [1 2], [2 0] and cycles there, so the first block it misses is
 * [0 2] (index 2).  A deterministic order-1 chain is not irreducible on its
 * 2-blocks: most blocks are unreachable. */
static void test_cycle_as_order_two(void **state) {
  (void)state;
  double P[27];
  for (int s = 0; s < 9; s++)
    for (int x = 0; x < 3; x++) P[s * 3 + x] = x == (s % 3 + 1) % 3 ? 1.0 : 0.0;
  expect_reducible(3, 2, P, "block [0 0] cannot reach block [0 2]");
}

static void test_irreducible_accepted(void **state) {
  (void)state;
  ctxlab_error err;
  const double cycle[9] = {0, 1, 0, 0, 0, 1, 1, 0, 0}; /* periodic: accepted */
  assert_int_equal(ctxlab_markov_check_irreducible(3, 1, cycle, &err), CTXLAB_OK);
  const double iid[3] = {1.0, 0.0, 0.0}; /* one state: irreducible */
  assert_int_equal(ctxlab_markov_check_irreducible(3, 0, iid, &err), CTXLAB_OK);
  double *P = random_table(3, 81, 5, 1); /* with zeros, order 4 */
  assert_int_equal(ctxlab_markov_check_irreducible(3, 4, P, &err), CTXLAB_OK);
  free(P);
  assert_int_equal(ctxlab_markov_check_irreducible(2, 40, iid, &err), CTXLAB_EINVAL);
  expect_message(&err, "lifted states");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_state_count),
      cmocka_unit_test(test_transient_block),
      cmocka_unit_test(test_absorbing_block),
      cmocka_unit_test(test_two_closed_classes),
      cmocka_unit_test(test_unreachable_token),
      cmocka_unit_test(test_cycle_as_order_two),
      cmocka_unit_test(test_irreducible_accepted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
