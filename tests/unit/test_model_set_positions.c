/* ctxlab_model_set_positions: a transformer's position handling changed after
 * it was built (and had run a forward) computes exactly what a transformer
 * built with that config and the same weights computes (the expected logits
 * come from that independent route, ctxlab_model_new, compared bit for bit);
 * refused changes (another field, a config the transformer rejects) leave the
 * model as it was; the last forward's activations are dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/model.h"
#include "sim/model_config.h"
#include "sim/transformer/transformer.h"

enum { V = 7, B = 3, T = 12 };

static ctxlab_model_config plain(void) {
  ctxlab_model_config c;
  assert_int_equal(ctxlab_model_config_init(&c, "transformer", NULL), 0);
  c.vocab_size = V;
  c.d_model = 16;
  c.n_layer = 2;
  c.n_head = 2;
  c.context = 4; /* L_train: positions up to 11 are past it */
  return c;
}

static ctxlab_model *new_model(const ctxlab_model_config *c) {
  ctxlab_model *m;
  ctxlab_error err;
  if (ctxlab_model_new(c, 5, &m, &err)) fail_msg("%s", err.message);
  ctxlab_model_set_threads(m, 1);
  return m;
}

static void forward(ctxlab_model *m, float *logits) {
  uint32_t tokens[B * T];
  for (size_t i = 0; i < B * T; ++i) tokens[i] = (uint32_t)((i * 5 + i / 7) % V);
  ctxlab_error err;
  if (ctxlab_model_forward(m, tokens, B, T, logits, &err)) fail_msg("%s", err.message);
}

/* Changes of the position fields, set by name through the config table. */
static const struct {
  const char *field, *value, *field2, *value2;
} CHANGES[] = {
    {"rope_scaling", "pi", "rope_factor", "4"},
    {"rope_scaling", "ntk", "rope_factor", "2"},
    {"rope_scaling", "ntk-by-parts", "rope_factor", "4"},
    {"rope_scaling", "yarn", "rope_factor", "4"},
    {"rope_base", "500000", "logit_scaling", "eabf"},
    {"logit_scaling", "eabf", "logit_scaling_skip_layers", "1"},
    {"logit_scaling", "log-n", "yarn_alpha", "2"},
};

static void test_same_as_built_with_it(void **state) {
  (void)state;
  const ctxlab_model_config base = plain();
  float before[B * T * V], got[B * T * V], want[B * T * V];
  for (size_t i = 0; i < sizeof CHANGES / sizeof CHANGES[0]; ++i) {
    ctxlab_model_config c = base;
    ctxlab_error err;
    assert_int_equal(ctxlab_model_config_override_string(&c, CHANGES[i].field, CHANGES[i].value,
                                                         "test", &err), 0);
    assert_int_equal(ctxlab_model_config_override_string(&c, CHANGES[i].field2, CHANGES[i].value2,
                                                         "test", &err), 0);
    ctxlab_model *m = new_model(&base), *ref = new_model(&c);
    assert_int_equal(m->n_params, ref->n_params);
    memcpy(ref->params, m->params, m->n_params * sizeof(float));
    forward(m, before); /* cached state of the old config */
    if (ctxlab_model_set_positions(m, &c, &err)) fail_msg("%s: %s", CHANGES[i].value, err.message);
    forward(m, got);
    forward(ref, want);
    assert_memory_equal(got, want, sizeof got);
    assert_memory_not_equal(got, before, sizeof got); /* the change does change the logits */
    ctxlab_model_free(m);
    ctxlab_model_free(ref);
  }
}

static void test_refused_changes_leave_the_model(void **state) {
  (void)state;
  const ctxlab_model_config base = plain();
  ctxlab_model *m = new_model(&base);
  float before[B * T * V], after[B * T * V];
  forward(m, before);
  ctxlab_error err;
  ctxlab_model_config c = base;
  c.d_model = 32;
  assert_int_equal(ctxlab_model_set_positions(m, &c, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "'d_model' cannot change"));
  c = base;
  c.rope_scaling = CTXLAB_ROPE_SCALING_YARN;
  c.rope_factor = 4;
  c.yarn_alpha = 40; /* above yarn_beta 32 */
  assert_int_equal(ctxlab_model_set_positions(m, &c, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "yarn_alpha < yarn_beta"));
  c = base;
  c.logit_scaling = CTXLAB_LOGIT_SCALING_EABF;
  c.logit_scaling_skip_layers = 3; /* n_layer 2 */
  assert_int_equal(ctxlab_model_set_positions(m, &c, &err), CTXLAB_EINVAL);
  json_t *now = ctxlab_model_config_to_json(ctxlab_model_get_config(m)),
         *was = ctxlab_model_config_to_json(&base);
  assert_true(json_equal(now, was)); /* every field, by value */
  json_decref(now);
  json_decref(was);
  forward(m, after);
  assert_memory_equal(after, before, sizeof after);
  /* the table refuses overrides of other fields by name */
  c = base;
  assert_int_equal(ctxlab_model_config_override_string(&c, "n_head", "4", "--heads", &err),
                   CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "--heads: 'n_head' cannot change after training"));
  assert_int_equal(ctxlab_model_config_override_string(&c, "temperature", "2", "x", &err),
                   CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "unknown evaluation override 'temperature'"));
  ctxlab_model_free(m);
}

static void test_drops_the_last_forward(void **state) {
  (void)state;
  ctxlab_model_config c = plain();
  ctxlab_model *m = new_model(&c);
  float logits[B * T * V];
  forward(m, logits);
  double sums[2 * 2 * T] = {0};
  assert_int_equal(ctxlab_transformer_attention_entropy(m, sums), 0);
  c.rope_scaling = CTXLAB_ROPE_SCALING_PI;
  c.rope_factor = 2;
  assert_int_equal(ctxlab_model_set_positions(m, &c, NULL), 0);
  /* activations made under the old config: no entropy, no backward from them */
  assert_int_equal(ctxlab_transformer_attention_entropy(m, sums), CTXLAB_EINVAL);
  ctxlab_error err;
  assert_int_equal(m->ops->backward(m, logits, &err), CTXLAB_EINVAL);
  ctxlab_model_free(m);
}

static void test_other_kinds(void **state) {
  (void)state;
  ctxlab_model_config c;
  assert_int_equal(ctxlab_model_config_init(&c, "rnn", NULL), 0);
  c.vocab_size = V;
  c.d_model = 8;
  c.state_size = 4;
  ctxlab_model *m = new_model(&c);
  ctxlab_error err;
  assert_int_equal(ctxlab_model_set_positions(m, &c, &err), 0); /* nothing changes */
  ctxlab_model_config other = c;
  other.state_size = 8;
  assert_int_equal(ctxlab_model_set_positions(m, &other, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "'state_size' cannot change"));
  assert_int_equal(
      ctxlab_model_config_override_string(&other, "rope_scaling", "pi", "--rope-scaling", &err),
      CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "--rope-scaling: model rnn has no position handling"));
  ctxlab_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_as_built_with_it),
      cmocka_unit_test(test_refused_changes_leave_the_model),
      cmocka_unit_test(test_drops_the_last_forward),
      cmocka_unit_test(test_other_kinds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
