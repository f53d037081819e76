/* The float transformer against PyTorch: tests/golden/transformer_fixture.json
 * holds weights, tokens, and the logits, loss, attention entropies and every
 * parameter gradient that tests/python/make_transformer_fixture.py computed
 * with an independent PyTorch implementation in float64, for five position
 * handlings (none; YaRN + EABF skipping layer 0; PI + log-n; NTK-aware;
 * NTK-by-parts + EABF).  Here: forward, ctxlab_xent with scale 1/(B T),
 * backward, ctxlab_transformer_attention_entropy, compared within float32
 * tolerances. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/loss.h"
#include "sim/model.h"
#include "sim/model_config.h"
#include "sim/transformer/transformer.h"

/* Tolerances, relative to the largest reference value of the array compared.
 * The C model runs in float32 (unit roundoff 6e-8) through about a dozen
 * layers with sums of up to 64 terms; the worst errors measured over all
 * cases are 4.7e-7 (logits), 1.4e-6 (gradients, blocks.0.ln1.bias of
 * yarn-eabf) and 2.8e-7 (entropies), so these bounds leave a margin of about
 * 10x, while a wrong formula (YaRN's multiplier not squared, a sign, a
 * transposed weight) is off by 1e-3 or more. */
#define TOL_LOGITS 5e-6
#define TOL_GRADS 1e-5
#define TOL_ENTROPY 3e-6

static json_t *fixture;

static int load_fixture(void **state) {
  json_error_t jerr;
  fixture = json_load_file(CTXLAB_TEST_DATA "/golden/transformer_fixture.json", 0, &jerr);
  if (!fixture) fail_msg("transformer_fixture.json: %s (line %d)", jerr.text, jerr.line);
  return 0;
}

static int free_fixture(void **state) {
  json_decref(fixture);
  return 0;
}

static double get_number(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  if (!json_is_number(v)) fail_msg("fixture: %s is not a number", key);
  return json_number_value(v);
}

/* max |got - ref| / max |ref| over n values of a JSON array of numbers. */
static double rel_error(const float *got, const json_t *ref, size_t n, const char *what) {
  if (!json_is_array(ref) || json_array_size(ref) != n)
    fail_msg("fixture: %s has %zu values, expected %zu", what, json_array_size(ref), n);
  double err = 0, scale = 0;
  for (size_t i = 0; i < n; ++i) {
    double r = json_number_value(json_array_get(ref, i));
    err = fmax(err, fabs((double)got[i] - r));
    scale = fmax(scale, fabs(r));
  }
  return err / (scale > 0 ? scale : 1);
}

static ctxlab_model *model_for_case(const json_t *cs) {
  const json_t *cfg = json_object_get(fixture, "config");
  ctxlab_model_config c;
  ctxlab_error err;
  assert_int_equal(ctxlab_model_config_init(&c, "transformer", &err), 0);
  const char *keys[] = {"vocab_size", "d_model", "n_layer", "n_head", "train_context",
                        "rope_base",  "yarn_alpha", "yarn_beta"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; ++i)
    if (ctxlab_model_config_set_json(&c, keys[i], json_object_get(cfg, keys[i]), keys[i], &err))
      fail_msg("%s", err.message);
  const char *case_keys[] = {"rope_scaling", "rope_factor", "logit_scaling",
                             "logit_scaling_skip_layers"};
  for (size_t i = 0; i < sizeof case_keys / sizeof case_keys[0]; ++i)
    if (ctxlab_model_config_set_json(&c, case_keys[i], json_object_get(cs, case_keys[i]),
                                     case_keys[i], &err))
      fail_msg("%s", err.message);
  ctxlab_model *m;
  if (ctxlab_model_new(&c, 1, &m, &err)) fail_msg("%s", err.message);
  /* every tensor of the model gets the fixture's weights (shapes checked) */
  const json_t *weights = json_object_get(fixture, "weights");
  assert_int_equal(json_object_size(weights), m->n_tensors);
  for (size_t i = 0; i < m->n_tensors; ++i) {
    const ctxlab_tensor *t = &m->tensors[i];
    const json_t *w = json_object_get(weights, t->name);
    if (!w) fail_msg("fixture has no tensor %s", t->name);
    const json_t *shape = json_object_get(w, "shape"), *data = json_object_get(w, "data");
    assert_int_equal(json_array_size(shape), (size_t)t->ndim);
    for (int k = 0; k < t->ndim; ++k)
      assert_int_equal((size_t)json_integer_value(json_array_get(shape, k)), t->shape[k]);
    assert_int_equal(json_array_size(data), ctxlab_tensor_size(t));
    for (size_t k = 0; k < ctxlab_tensor_size(t); ++k)
      m->params[t->offset + k] = (float)json_number_value(json_array_get(data, k));
  }
  return m;
}

static void check_case(const json_t *cs, int threads) {
  const char *name = json_string_value(json_object_get(cs, "name"));
  size_t B = (size_t)get_number(fixture, "B"), T = (size_t)get_number(fixture, "T");
  ctxlab_model *m = model_for_case(cs);
  ctxlab_model_set_threads(m, threads);
  const ctxlab_model_config *c = &m->cfg;
  size_t V = c->vocab_size, N = B * T;
  uint32_t *in = malloc(N * sizeof *in), *target = malloc(N * sizeof *target);
  float *logits = malloc(N * V * sizeof *logits), *dlogits = malloc(N * V * sizeof *dlogits);
  size_t ne = (size_t)c->n_layer * c->n_head * T;
  double *ent = calloc(ne, sizeof *ent);
  float *entf = malloc(ne * sizeof *entf);
  assert_non_null(in && target && logits && dlogits && ent && entf);
  const json_t *tokens = json_object_get(fixture, "tokens");
  for (size_t b = 0; b < B; ++b)
    for (size_t t = 0; t < T; ++t) {
      const json_t *row = json_array_get(tokens, b);
      in[b * T + t] = (uint32_t)json_integer_value(json_array_get(row, t));
      target[b * T + t] = (uint32_t)json_integer_value(json_array_get(row, t + 1));
    }
  ctxlab_error err;
  if (ctxlab_model_forward(m, in, B, T, logits, &err)) fail_msg("%s", err.message);
  double e = rel_error(logits, json_object_get(cs, "logits"), N * V, "logits");
  if (e > TOL_LOGITS) fail_msg("%s: logits off by %.3g (relative)", name, e);

  double loss = ctxlab_xent(logits, target, N, (uint32_t)V, 1.0f / (float)N, dlogits, 1) / (double)N;
  double ref_loss = get_number(cs, "loss");
  if (fabs(loss - ref_loss) > TOL_LOGITS * ref_loss)
    fail_msg("%s: loss %.9g, PyTorch %.9g", name, loss, ref_loss);

  assert_int_equal(ctxlab_transformer_attention_entropy(m, ent), 0);
  for (size_t i = 0; i < ne; ++i) entf[i] = (float)ent[i];
  e = rel_error(entf, json_object_get(cs, "entropy"), ne, "entropy");
  if (e > TOL_ENTROPY) fail_msg("%s: attention entropy off by %.3g (relative)", name, e);

  memset(m->grads, 0, m->n_params * sizeof(float));
  if (m->ops->backward(m, dlogits, &err)) fail_msg("%s", err.message);
  const json_t *grads = json_object_get(cs, "grads");
  for (size_t i = 0; i < m->n_tensors; ++i) {
    const ctxlab_tensor *t = &m->tensors[i];
    e = rel_error(m->grads + t->offset, json_object_get(grads, t->name), ctxlab_tensor_size(t),
                  t->name);
    if (e > TOL_GRADS) fail_msg("%s: gradient of %s off by %.3g (relative)", name, t->name, e);
  }
  free(in);
  free(target);
  free(logits);
  free(dlogits);
  free(ent);
  free(entf);
  ctxlab_model_free(m);
}

static void test_golden_cases(void **state) {
  const json_t *cases = json_object_get(fixture, "cases");
  assert_int_equal(json_array_size(cases), 5);
  for (size_t i = 0; i < json_array_size(cases); ++i) {
    check_case(json_array_get(cases, i), 1);
    check_case(json_array_get(cases, i), 2);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_cases),
  };
  return cmocka_run_group_tests(tests, load_fixture, free_fixture);
}
