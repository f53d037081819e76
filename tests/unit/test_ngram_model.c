/* The n-gram model's contract beyond its estimator (test_ngram_brute.c):
 * bad configs and inputs, the 64-bit key limit at its edge, thread
 * independence, history-state floats, and the checkpoint counts: a model
 * rebuilt from the per-order arrays it would save predicts identically and
 * keeps counting identically, and corrupt arrays are refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sim/ngram/ngram.h"
#include "test_ngram_util.h"

static void expect_error(int st, const ctxlab_error *err, int status, const char *needle) {
  if (st != status || !strstr(err->message, needle))
    fail_msg("status %d (expected %d), message '%s' (expected to contain '%s')", st, status,
             err->message, needle);
}

static int new_status(uint32_t V, uint32_t c, double beta, double kn_discount, int smoothing,
                      ctxlab_error *err) {
  ctxlab_model_config cfg;
  ctxlab_model_config_init(&cfg, "ngram", NULL);
  cfg.vocab_size = V;
  cfg.context = c;
  cfg.beta = beta;
  cfg.kn_discount = kn_discount;
  cfg.smoothing = (ctxlab_smoothing)smoothing;
  ctxlab_model *m = NULL;
  int st = ctxlab_model_new(&cfg, 1, &m, err);
  ctxlab_model_free(m);
  return st;
}

/* (c + 1) ceil(log2 V) <= 64 bits: V = 256 allows c = 7, V = 2^24 c = 1, V = 3 c = 31. */
static void test_key_limit(void **state) {
  (void)state;
  ctxlab_error err = {0};
  assert_int_equal(new_status(256, 7, 0.5, 0, 0, &err), CTXLAB_OK);
  expect_error(new_status(256, 8, 0.5, 0, 0, &err), &err, CTXLAB_EINVAL,
               "the largest context for this vocabulary is 7");
  assert_int_equal(new_status(1u << 24, 1, 0.5, 0, 1, &err), CTXLAB_OK);
  expect_error(new_status(1u << 24, 2, 0.5, 0, 1, &err), &err, CTXLAB_EINVAL, "72 bits");
  assert_int_equal(new_status(3, 31, 0.5, 0, 0, &err), CTXLAB_OK);
  expect_error(new_status(3, 32, 0.5, 0, 0, &err), &err, CTXLAB_EINVAL, "more than the 64");
  expect_error(new_status(257, 7, 0.5, 0, 0, &err), &err, CTXLAB_EINVAL, "is 6");
}

static void test_bad_config(void **state) {
  (void)state;
  ctxlab_error err = {0};
  expect_error(new_status(4, 2, 0, 0, 0, &err), &err, CTXLAB_EINVAL, "beta");
  expect_error(new_status(4, 2, -1, 0, 0, &err), &err, CTXLAB_EINVAL, "beta");
  expect_error(new_status(4, 2, NAN, 0, 0, &err), &err, CTXLAB_EINVAL, "beta");
  expect_error(new_status(4, 2, 0.5, 1, 1, &err), &err, CTXLAB_EINVAL, "kn_discount");
  expect_error(new_status(4, 2, 0.5, -0.1, 1, &err), &err, CTXLAB_EINVAL, "kn_discount");
  expect_error(new_status(4, 2, 0.5, 0, 7, &err), &err, CTXLAB_EINVAL, "smoothing");
  /* through the config table, as the CLI sets it */
  ctxlab_model_config cfg;
  ctxlab_model_config_init(&cfg, "ngram", NULL);
  expect_error(ctxlab_model_config_set_string(&cfg, "beta", "0", "--beta", &err), &err,
               CTXLAB_EINVAL, "--beta");
}

static void test_bad_inputs(void **state) {
  (void)state;
  ctxlab_error err = {0};
  ctxlab_model *m = ngram_new(4, 2, "kneser-ney", 0.5, 0);
  const uint32_t bad[6] = {0, 1, 2, 3, 0, 4};
  expect_error(m->ops->fit(m, bad, 6, &err), &err, CTXLAB_EINVAL, "token 4 at position 5");
  float logits[6 * 4];
  expect_error(ctxlab_model_forward(m, bad, 1, 6, logits, &err), &err, CTXLAB_EINVAL,
               "outside the vocabulary");
  double q[4];
  expect_error(ctxlab_ngram_predict(m, bad, 3, q, &err), &err, CTXLAB_EINVAL, "order is 2");
  expect_error(ctxlab_ngram_predict(m, bad + 4, 2, q, &err), &err, CTXLAB_EINVAL, "token 4");
  /* the failed fit counted nothing: the model is still uniform */
  assert_int_equal(ctxlab_ngram_predict(m, bad, 2, q, &err), CTXLAB_OK);
  for (int w = 0; w < 4; ++w) assert_true(q[w] == 0.25);
  ctxlab_model_free(m);
}

/* All 64 key bits in use: V = 2, c = 63.  Counts of a few 64-grams against
 * direct counting in a stream that repeats a 70-token pattern. */
static void test_full_width_keys(void **state) {
  (void)state;
  enum { N = 1000, PERIOD = 70 };
  uint32_t x[N];
  uint64_t s = 5;
  for (size_t i = 0; i < PERIOD; ++i) x[i] = (uint32_t)(test_rand(&s) & 1);
  for (size_t i = PERIOD; i < N; ++i) x[i] = x[i - PERIOD];
  for (int kn = 0; kn <= 1; ++kn) {
    ctxlab_model *m = ngram_new(2, 63, kn ? "kneser-ney" : "add-beta", 0.5, 0);
    ngram_fit(m, x, N);
    for (size_t start = 0; start < 3 * PERIOD; start += 37) {
      uint64_t direct = 0, raw, cont;
      for (size_t i = 0; i + 64 <= N; ++i) direct += memcmp(x + i, x + start, 64 * sizeof *x) == 0;
      assert_int_equal(ctxlab_ngram_count(m, x + start, 63, &raw, &cont, NULL), CTXLAB_OK);
      assert_int_equal(raw, direct);
    }
    double q[2];
    assert_int_equal(ctxlab_ngram_predict(m, x + 100, 63, q, NULL), CTXLAB_OK);
    assert_true(fabs(q[0] + q[1] - 1) < 1e-15);
    assert_true(q[x[163]] > 0.9); /* a periodic stream is predictable */
    ctxlab_model_free(m);
  }
}

static ctxlab_model *trained(uint32_t V, uint32_t c, const char *smoothing, uint64_t seed) {
  ctxlab_model *m = ngram_new(V, c, smoothing, 0.5, 0);
  enum { N = 20000 };
  uint32_t *x = malloc(N * sizeof *x);
  for (size_t i = 0; i < N; ++i) /* a noisy order-2 rule */
    x[i] = i >= 2 && test_rand(&seed) % 4 ? (x[i - 1] * 3 + x[i - 2]) % V
                                          : (uint32_t)(test_rand(&seed) % V);
  ngram_fit(m, x, N / 2);
  ngram_fit(m, x + N / 2, N / 2);
  free(x);
  return m;
}

static void test_threads(void **state) {
  (void)state;
  enum { B = 7, T = 50, V = 16 };
  uint32_t tokens[B * T];
  uint64_t s = 9;
  for (size_t i = 0; i < B * T; ++i) tokens[i] = (uint32_t)(test_rand(&s) % V);
  float *one = malloc(sizeof(float) * B * T * V), *two = malloc(sizeof(float) * B * T * V);
  for (int kn = 0; kn <= 1; ++kn) {
    ctxlab_model *m = trained(V, 3, kn ? "kneser-ney" : "add-beta", 4);
    ctxlab_model_set_threads(m, 1);
    assert_int_equal(ctxlab_model_forward(m, tokens, B, T, one, NULL), CTXLAB_OK);
    ctxlab_model_set_threads(m, 2);
    assert_int_equal(ctxlab_model_forward(m, tokens, B, T, two, NULL), CTXLAB_OK);
    assert_memory_equal(one, two, sizeof(float) * B * T * V);
    ctxlab_model_free(m);
  }
  free(one);
  free(two);
}

static void test_sizes(void **state) {
  (void)state;
  ctxlab_model *m = ngram_new(8, 3, "add-beta", 0.5, 0);
  assert_int_equal(ctxlab_model_param_count(m), 0);
  assert_true(ctxlab_model_history_state_floats(m, 0) == 0);
  assert_true(ctxlab_model_history_state_floats(m, 2) == 2);
  assert_true(ctxlab_model_history_state_floats(m, 3) == 3);
  assert_true(ctxlab_model_history_state_floats(m, 1000) == 3);
  ctxlab_model_free(m);
}

/* ---- checkpoint counts ----------------------------------------------------- */

typedef struct saved {
  size_t orders;
  uint64_t *keys[8], *counts[8];
  size_t n[8];
} saved;

/* What save_extra writes: order.{k}.keys / order.{k}.counts */
static void save(ctxlab_model *m, saved *s) {
  ctxlab_ngram *g = m->impl;
  assert_int_equal(ctxlab_ngram_build(g, NULL), CTXLAB_OK);
  s->orders = g->order + 1;
  for (size_t k = 0; k < s->orders; ++k) {
    s->n[k] = g->orders[k].n;
    s->keys[k] = malloc(s->n[k] * sizeof(uint64_t) + 8);
    s->counts[k] = malloc(s->n[k] * sizeof(uint64_t) + 8);
    ctxlab_ngram_order_unpack(&g->orders[k], s->keys[k], s->counts[k], NULL);
  }
}

static void saved_free(saved *s) {
  for (size_t k = 0; k < s->orders; ++k) {
    free(s->keys[k]);
    free(s->counts[k]);
  }
}

static int load(ctxlab_model *m, const saved *s, ctxlab_error *err) {
  return ctxlab_ngram_set_counts(m->impl, (const uint64_t *const *)s->keys,
                                 (const uint64_t *const *)s->counts, s->n, err);
}

/* Every order's arrays (keys, raw, continuation counts) and discounts equal. */
static void assert_same_counts(ctxlab_model *a, ctxlab_model *b) {
  ctxlab_ngram *ga = a->impl, *gb = b->impl;
  assert_int_equal(ctxlab_ngram_build(ga, NULL), CTXLAB_OK);
  assert_int_equal(ctxlab_ngram_build(gb, NULL), CTXLAB_OK);
  for (unsigned k = 0; k <= ga->order; ++k) {
    const ctxlab_ngram_order *x = &ga->orders[k], *y = &gb->orders[k];
    assert_int_equal(x->n, y->n);
    assert_true(!x->cont.low == !y->cont.low); /* Kneser-Ney's below the top order only */
    uint64_t *u = malloc(6 * (x->n + 1) * sizeof *u);
    ctxlab_ngram_order_unpack(x, u, u + x->n, u + 2 * x->n);
    ctxlab_ngram_order_unpack(y, u + 3 * x->n, u + 4 * x->n, u + 5 * x->n);
    assert_memory_equal(u, u + 3 * x->n, 3 * x->n * sizeof *u);
    free(u);
    assert_true(x->discount_raw == y->discount_raw && x->discount_cont == y->discount_cont);
  }
}

static void assert_same_logits(ctxlab_model *a, ctxlab_model *b, uint32_t V) {
  enum { B = 4, T = 30 };
  uint32_t tokens[B * T];
  uint64_t s = 77;
  for (size_t i = 0; i < B * T; ++i) tokens[i] = (uint32_t)(test_rand(&s) % V);
  float *la = malloc(sizeof(float) * B * T * V), *lb = malloc(sizeof(float) * B * T * V);
  assert_int_equal(ctxlab_model_forward(a, tokens, B, T, la, NULL), CTXLAB_OK);
  assert_int_equal(ctxlab_model_forward(b, tokens, B, T, lb, NULL), CTXLAB_OK);
  assert_memory_equal(la, lb, sizeof(float) * B * T * V);
  free(la);
  free(lb);
}

static void test_checkpoint_counts_round_trip(void **state) {
  (void)state;
  for (uint32_t c = 0; c <= 4; ++c) {
    ctxlab_model *a = trained(6, c, "kneser-ney", 10 + c);
    ctxlab_model *b = ngram_new(6, c, "kneser-ney", 0.5, 0);
    saved s;
    save(a, &s);
    ctxlab_error err = {0};
    if (load(b, &s, &err)) fail_msg("c=%u: %s", c, err.message);
    assert_same_counts(a, b);
    assert_same_logits(a, b, 6);
    /* training goes on identically from the loaded counts (stream heads included) */
    const uint32_t more[7] = {5, 4, 3, 2, 1, 0, 5};
    ngram_fit(a, more, 7);
    ngram_fit(b, more, 7);
    ngram_fit(a, more, 1);
    ngram_fit(b, more, 1);
    assert_same_counts(a, b);
    saved_free(&s);
    ctxlab_model_free(a);
    ctxlab_model_free(b);
  }
}

/* Corrupt arrays: each refused with CTXLAB_EFORMAT naming the tensor, and the
 * model keeps its counts. */
static void test_checkpoint_counts_corrupt(void **state) {
  (void)state;
  const uint32_t V = 5, c = 2; /* b = 3 bits a token */
  ctxlab_model *a = trained(V, c, "add-beta", 3);
  ctxlab_model *b = trained(V, c, "add-beta", 3);
  saved s;
  save(a, &s);
  ctxlab_error err = {0};
  uint64_t keep;
  assert_true(s.n[1] > 3 && s.n[2] > 3);

  keep = s.keys[2][1]; /* out of order */
  s.keys[2][1] = s.keys[2][2];
  expect_error(load(b, &s, &err), &err, CTXLAB_EFORMAT, "order.2.keys: entry 2 is not above");
  s.keys[2][1] = keep;

  keep = s.keys[0][s.n[0] - 1]; /* token 7 >= V in a 3-bit field */
  s.keys[0][s.n[0] - 1] = 7;
  expect_error(load(b, &s, &err), &err, CTXLAB_EFORMAT, "outside the vocabulary");
  s.keys[0][s.n[0] - 1] = keep;

  keep = s.keys[1][s.n[1] - 1]; /* a third token in an order-1 (2-token) key */
  s.keys[1][s.n[1] - 1] |= UINT64_C(1) << 6;
  expect_error(load(b, &s, &err), &err, CTXLAB_EFORMAT, "order.1.keys: entry");
  s.keys[1][s.n[1] - 1] = keep;

  keep = s.counts[2][0];
  s.counts[2][0] = 0;
  expect_error(load(b, &s, &err), &err, CTXLAB_EFORMAT, "order.2.counts: entry 0 is 0, outside");
  s.counts[2][0] = UINT64_C(1) << 32; /* more than the 32 bits a count is held in */
  expect_error(load(b, &s, &err), &err, CTXLAB_EFORMAT,
               "order.2.counts: entry 0 is 4294967296, outside 1 .. 2^32 - 1");
  s.counts[2][0] = keep;

  { /* order-2 counts that each fit in 32 bits but add up past them in order 1 */
    uint64_t *was = malloc(s.n[2] * sizeof *was);
    memcpy(was, s.counts[2], s.n[2] * sizeof *was);
    for (size_t i = 0; i < s.n[2]; ++i) s.counts[2][i] = UINT32_MAX;
    expect_error(load(b, &s, &err), &err, CTXLAB_EFORMAT, "order.2.counts: the counts of the");
    memcpy(s.counts[2], was, s.n[2] * sizeof *was);
    free(was);
  }

  keep = s.counts[1][3]; /* fewer than the order-2 n-grams ending in it */
  s.counts[1][3] = 1;
  expect_error(load(b, &s, &err), &err, CTXLAB_EFORMAT, "order.1.counts: entry 3 is 1, below");
  s.counts[1][3] = keep;

  s.n[1]--; /* drop the last order-1 n-gram: order 2 implies it */
  expect_error(load(b, &s, &err), &err, CTXLAB_EFORMAT, "order.1.keys lacks");
  s.n[1]++;

  assert_same_counts(a, b); /* b kept its own (equal) counts through it all */
  assert_int_equal(load(b, &s, &err), CTXLAB_OK);
  assert_same_counts(a, b);
  saved_free(&s);
  ctxlab_model_free(a);
  ctxlab_model_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_limit),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_full_width_keys),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_checkpoint_counts_round_trip),
      cmocka_unit_test(test_checkpoint_counts_corrupt),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
