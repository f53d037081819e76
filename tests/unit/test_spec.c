/* Specs: every bad input is an error naming the JSON path; canonical specs
 * round-trip; presets and files load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctxlab/lang.h"

/* Build must fail with `status` and a message containing `fragment`. */
static void expect_error(const char *spec, ctxlab_status status, const char *fragment) {
  ctxlab_lang *lang = (ctxlab_lang *)0x1;
  ctxlab_error err = {0};
  int st = ctxlab_lang_new(spec, &lang, &err);
  if (st != (int)status || !strstr(err.message, fragment))
    fail_msg("spec %s\n  status %d (want %d), message: %s\n  want fragment: %s", spec, st,
             (int)status, err.message, fragment);
  assert_null(lang);
}

static ctxlab_lang *build(const char *spec) {
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new(spec, &lang, &err)) fail_msg("spec %s: %s", spec, err.message);
  return lang;
}

static void test_syntax_errors_name_line_and_column(void **state) {
  expect_error("{\"family\": \"markov\",\n \"vocab\": 3,,}", CTXLAB_EINVAL, "inline spec:2:");
  expect_error("{\"family\": \"markov\", \"vocab\": 3, \"vocab\": 4}", CTXLAB_EINVAL,
               "duplicate");
}

static void test_family_errors(void **state) {
  expect_error("{\"vocab\": 3}", CTXLAB_EINVAL, "$.family: missing");
  expect_error("{\"family\": 3}", CTXLAB_EINVAL, "$.family: expected a string");
  expect_error("{\"family\": \"hmm\"}", CTXLAB_EINVAL, "unknown family \"hmm\"");
  expect_error("no-such-preset", CTXLAB_EINVAL, "neither a preset");
  expect_error("./no/such/file.json", CTXLAB_EINVAL, "cannot open");
  expect_error("/tmp", CTXLAB_EINVAL, "/tmp: is a directory, not a JSON file");
}

static void test_markov_errors_name_the_path(void **state) {
  expect_error("{\"family\": \"markov\", \"vocab\": 3, \"colour\": 1}", CTXLAB_EINVAL,
               "$: unknown key \"colour\"");
  expect_error("{\"family\": \"markov\", \"vocab\": \"three\"}", CTXLAB_EINVAL,
               "$.vocab: expected an integer, got a string");
  expect_error("{\"family\": \"markov\", \"vocab\": 1}", CTXLAB_EINVAL,
               "$.vocab: 1 is out of range [2,");
  expect_error("{\"family\": \"markov\", \"vocab\": 2.5}", CTXLAB_EINVAL,
               "$.vocab: expected a non-negative integer, got 2.5");
  expect_error("{\"family\": \"markov\", \"order\": -1}", CTXLAB_EINVAL, "$.order: -1 is out");
  expect_error("{\"family\": \"markov\", \"concentration\": 0}", CTXLAB_EINVAL,
               "$.concentration: 0 is out of range");
  expect_error("{\"family\": \"markov\", \"vocab\": 4, \"target_entropy_bits\": 2.5}",
               CTXLAB_EINVAL, "$.target_entropy_bits: 2.5 is out of range [0, 2]");
  /* tables */
  const char *pre = "{\"family\": \"markov\", \"vocab\": 2, \"order\": 1, \"transitions\": ";
  char spec[512];
  snprintf(spec, sizeof spec, "%s[[0.5, 0.5]]}", pre);
  expect_error(spec, CTXLAB_EINVAL, "$.transitions: expected 2 rows (vocab^order = 2^1), got 1");
  snprintf(spec, sizeof spec, "%s[[0.5, 0.5], [1]]}", pre);
  expect_error(spec, CTXLAB_EINVAL, "$.transitions[1]: expected 2 entries, got 1");
  snprintf(spec, sizeof spec, "%s[[0.5, 0.5], [1, \"0\"]]}", pre);
  expect_error(spec, CTXLAB_EINVAL, "$.transitions[1][1]: expected a number, got a string");
  snprintf(spec, sizeof spec, "%s[[0.5, 0.5], [1.1, -0.1]]}", pre);
  expect_error(spec, CTXLAB_EINVAL, "$.transitions[1][1]: -0.10000000000000001 is negative");
  snprintf(spec, sizeof spec, "%s[[0.5, 0.5], [0.3, 0.6]]}", pre);
  expect_error(spec, CTXLAB_EINVAL, "$.transitions[1]: row sums to 0.9");
  snprintf(spec, sizeof spec, "%s[[0.5, 0.5], [0.3, 0.7]], \"seed\": 3}", pre);
  expect_error(spec, CTXLAB_EINVAL, "$.seed: not allowed with $.transitions");
  snprintf(spec, sizeof spec, "%s{\"a\": 1}}", pre);
  expect_error(spec, CTXLAB_EINVAL, "$.transitions: expected a list of rows, got an object");
}

static void test_markov_row_sum_tolerance(void **state) {
  /* 1e-9 is the documented tolerance: 1 + 5e-10 passes, 1 + 2e-9 fails */
  ctxlab_lang *lang = build("{\"family\": \"markov\", \"vocab\": 2, \"order\": 0, \"transitions\": "
                            "[[0.5, 0.5000000005]]}");
  ctxlab_lang_free(lang);
  expect_error("{\"family\": \"markov\", \"vocab\": 2, \"order\": 0, \"transitions\": "
               "[[0.5, 0.500000002]]}",
               CTXLAB_EINVAL, "row sums to");
}

static void test_latent_errors_name_the_path(void **state) {
  expect_error("{\"family\": \"latent\", \"chains\": 0}", CTXLAB_EINVAL, "$.chains: 0 is out");
  expect_error("{\"family\": \"latent\", \"chains\": 2, \"flip\": [0.1]}", CTXLAB_EINVAL,
               "$.flip: expected 2 entries, got 1");
  expect_error("{\"family\": \"latent\", \"chains\": 2, \"flip\": [0.1, 0.6]}", CTXLAB_EINVAL,
               "$.flip[1]: 0.59999999999999998 is out of range [0, 0.5]");
  expect_error("{\"family\": \"latent\", \"chains\": 2, \"flip\": [0.1, 0.1], \"timescales\": "
               "[1, 2]}",
               CTXLAB_EINVAL, "either $.flip or $.timescales");
  expect_error("{\"family\": \"latent\", \"chains\": 2, \"timescales\": [1, 0]}", CTXLAB_EINVAL,
               "$.timescales[1]: 0 is out of range");
  expect_error("{\"family\": \"latent\", \"timescales\": {\"min\": 10}}", CTXLAB_EINVAL,
               "$.timescales.max: missing");
  expect_error("{\"family\": \"latent\", \"timescales\": {\"min\": 10, \"max\": 5}}",
               CTXLAB_EINVAL, "$.timescales.max: 5 is below min 10");
  expect_error("{\"family\": \"latent\", \"timescales\": {\"min\": 1, \"max\": 5, \"mid\": 2}}",
               CTXLAB_EINVAL, "$.timescales: unknown key \"mid\"");
  expect_error("{\"family\": \"latent\", \"weights\": \"zipf\"}", CTXLAB_EINVAL,
               "$.weights: unknown weights \"zipf\"");
  expect_error("{\"family\": \"latent\", \"weights\": {\"zipf\": -1}}", CTXLAB_EINVAL,
               "$.weights.zipf: -1 is out of range");
  expect_error("{\"family\": \"latent\", \"chains\": 2, \"weights\": [0, 0]}", CTXLAB_EINVAL,
               "$.weights: the weights sum to 0");
  expect_error("{\"family\": \"latent\", \"noise\": 0.5}", CTXLAB_EINVAL,
               "$.noise: 0.5 is out of range [0, 0.5)");
  expect_error("{\"family\": \"latent\", \"noise\": true}", CTXLAB_EINVAL,
               "$.noise: expected a number, got a boolean");
}

/* canonical -> build -> canonical is a fixed point, and both languages sample
 * the same tokens */
static void check_round_trip(const char *spec) {
  ctxlab_lang *a = build(spec);
  json_t *ca = ctxlab_lang_canonical_spec(a);
  char *text = json_dumps(ca, JSON_COMPACT | JSON_REAL_PRECISION(17));
  ctxlab_lang *b = build(text);
  json_t *cb = ctxlab_lang_canonical_spec(b);
  if (!json_equal(ca, cb)) fail_msg("canonical spec of %s does not round-trip", spec);
  uint32_t ta[500], tb[500];
  ctxlab_error err;
  assert_int_equal(ctxlab_lang_sample_sequences(a, 9, 0, 2, 250, ta, &err), 0);
  assert_int_equal(ctxlab_lang_sample_sequences(b, 9, 0, 2, 250, tb, &err), 0);
  assert_memory_equal(ta, tb, sizeof ta);
  free(text);
  json_decref(ca);
  json_decref(cb);
  ctxlab_lang_free(a);
  ctxlab_lang_free(b);
}

static void test_canonical_round_trip(void **state) {
  for (const ctxlab_preset *p = ctxlab_preset_list(); p->name; ++p) check_round_trip(p->name);
  check_round_trip("{\"family\": \"markov\"}");
  check_round_trip("{\"family\": \"latent\"}");
  check_round_trip("{\"family\": \"latent\", \"chains\": 3, \"flip\": [0, 0.25, 0.5], "
                   "\"weights\": [1, 2, 3], \"noise\": 0.2}");
}

/* Weights so large that their sum overflows still describe a distribution:
 * [1e308, 1e308] is uniform. */
static void test_huge_weights(void **state) {
  ctxlab_lang *lang = build("{\"family\": \"latent\", \"chains\": 2, \"weights\": [1e308, 1e308]}");
  double p[4];
  assert_int_equal(ctxlab_lang_predict(lang, NULL, 0, p, NULL), 0);
  for (int x = 0; x < 4; ++x) assert_true(p[x] == 0.25);
  ctxlab_lang_free(lang);
}

static void test_defaults_are_filled(void **state) {
  ctxlab_lang *lang = build("{\"family\": \"markov\"}");
  json_t *c = ctxlab_lang_canonical_spec(lang);
  /* defaults documented in `ctxlab list` */
  assert_int_equal(json_integer_value(json_object_get(c, "vocab")), 16);
  assert_int_equal(json_integer_value(json_object_get(c, "order")), 1);
  assert_true(json_real_value(json_object_get(c, "concentration")) == 1.0);
  assert_int_equal(json_integer_value(json_object_get(c, "seed")), 0);
  json_decref(c);
  ctxlab_lang_free(lang);
  lang = build("{\"family\": \"latent\"}");
  c = ctxlab_lang_canonical_spec(lang);
  assert_int_equal(json_integer_value(json_object_get(c, "chains")), 16);
  assert_true(json_real_value(json_object_get(json_object_get(c, "timescales"), "max")) == 1e4);
  assert_true(json_real_value(json_object_get(json_object_get(c, "weights"), "zipf")) == 1.0);
  assert_true(json_real_value(json_object_get(c, "noise")) == 0.0);
  assert_int_equal(ctxlab_lang_vocab_size(lang), 32);
  json_decref(c);
  ctxlab_lang_free(lang);
}

static void test_spec_from_file(void **state) {
  char path[] = "/tmp/ctxlab-spec-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char *text = "{\"family\": \"latent\",\n  \"chains\": 2,\n  \"noise\": 7\n}\n";
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  /* errors name the file */
  char want[600];
  snprintf(want, sizeof want, "%s: $.noise: 7 is out of range", path);
  expect_error(path, CTXLAB_EINVAL, want);
  unlink(path);
}

static void test_random_markov_depends_on_language_seed(void **state) {
  ctxlab_lang *a = build("{\"family\": \"markov\", \"vocab\": 5, \"seed\": 1}");
  ctxlab_lang *b = build("{\"family\": \"markov\", \"vocab\": 5, \"seed\": 2}");
  double pa[5], pb[5];
  uint32_t w = 0;
  assert_int_equal(ctxlab_lang_predict(a, &w, 1, pa, NULL), 0);
  assert_int_equal(ctxlab_lang_predict(b, &w, 1, pb, NULL), 0);
  assert_true(memcmp(pa, pb, sizeof pa) != 0);
  ctxlab_lang_free(a);
  ctxlab_lang_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_syntax_errors_name_line_and_column),
      cmocka_unit_test(test_family_errors),
      cmocka_unit_test(test_markov_errors_name_the_path),
      cmocka_unit_test(test_markov_row_sum_tolerance),
      cmocka_unit_test(test_latent_errors_name_the_path),
      cmocka_unit_test(test_canonical_round_trip),
      cmocka_unit_test(test_huge_weights),
      cmocka_unit_test(test_defaults_are_filled),
      cmocka_unit_test(test_spec_from_file),
      cmocka_unit_test(test_random_markov_depends_on_language_seed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
