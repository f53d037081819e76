/* The "mlp" model kind as a whole: the logits equal a direct implementation
 * written here from the documented equations (sim/mlp/mlp.c) that sees only
 * the last c tokens (the padding row before the start); tokens outside the
 * window change nothing, tokens inside do; 1 and 2 threads bitwise equal;
 * parameter counts (closed forms), initial values, history-state floats and
 * config errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/mlp/mlp.h"
#include "test_rnn_util.h"

static ctxlab_model_config mlp_config(uint32_t V, uint32_t c, uint32_t d, uint32_t H, uint32_t L) {
  ctxlab_model_config cfg;
  assert_int_equal(ctxlab_model_config_init(&cfg, "mlp", NULL), 0);
  cfg.vocab_size = V;
  cfg.context = c;
  cfg.d_model = d;
  cfg.hidden = H;
  cfg.n_layer = L;
  return cfg;
}

/* logits (V) from window[0..c-1] (oldest first; V = padding), in double. */
static void reference_logits(const ctxlab_model *m, const uint32_t *window, double *logits) {
  const ctxlab_model_config *cf = &m->cfg;
  size_t V = cf->vocab_size, c = cf->context, d = cf->d_model, H = cf->hidden, L = cf->n_layer;
  double h[256], next[256];
  assert_true(c * d <= 256 && H <= 256);
  const float *wte = test_tensor(m, (V + 1) * d, "wte.weight", 0);
  for (size_t j = 0; j < c; ++j)
    for (size_t i = 0; i < d; ++i) h[j * d + i] = wte[window[j] * d + i];
  size_t in = c * d;
  for (size_t l = 0; l < L; ++l) {
    const float *W = test_tensor(m, H * in, "hidden.%zu.weight", l),
                *b = test_tensor(m, H, "hidden.%zu.bias", l);
    for (size_t o = 0; o < H; ++o) {
      double a = b[o];
      for (size_t i = 0; i < in; ++i) a += (double)W[o * in + i] * h[i];
      next[o] = tanh(a);
    }
    memcpy(h, next, H * sizeof(double));
    in = H;
  }
  const float *W = test_tensor(m, V * in, "head.weight", 0), *b = test_tensor(m, V, "head.bias", 0);
  for (size_t o = 0; o < V; ++o) {
    logits[o] = b[o];
    for (size_t i = 0; i < in; ++i) logits[o] += (double)W[o * in + i] * h[i];
  }
}

/* Against the reference (float against double: 1e-4), and the window
 * property: changing the token c positions back leaves position t's logits
 * bitwise unchanged; changing the oldest token inside the window changes
 * them. */
static void check_window(uint32_t L) {
  enum { B = 2, T = 20, V = 7, C = 4 };
  ctxlab_model_config cfg = mlp_config(V, C, 6, 20, L);
  ctxlab_model *m = test_model_new(&cfg);
  uint32_t tokens[B * T], changed[B * T];
  float logits[B * T * V], logits2[B * T * V];
  ctxlab_error err;
  test_tokens(tokens, B * T, V, 70 + L);
  assert_int_equal(ctxlab_model_forward(m, tokens, B, T, logits, &err), 0);
  for (size_t b = 0; b < B; ++b)
    for (size_t t = 0; t < T; ++t) {
      uint32_t window[C];
      double ref[V];
      for (size_t j = 0; j < C; ++j) window[j] = t + j + 1 >= C ? tokens[b * T + t + j + 1 - C] : V;
      reference_logits(m, window, ref);
      for (size_t x = 0; x < V; ++x)
        if (!(fabs(logits[(b * T + t) * V + x] - ref[x]) < 1e-4 * (1 + fabs(ref[x]))))
          fail_msg("position %zu token %zu: model %.7g, reference %.7g", t, x,
                   logits[(b * T + t) * V + x], ref[x]);
    }
  for (size_t t = C; t < T; ++t) {
    memcpy(changed, tokens, sizeof tokens);
    changed[t - C] = (changed[t - C] + 1) % V;
    assert_int_equal(ctxlab_model_forward(m, changed, B, T, logits2, &err), 0);
    assert_memory_equal(logits2 + t * V, logits + t * V, V * sizeof(float));
    changed[t - C + 1] = (changed[t - C + 1] + 1) % V;
    assert_int_equal(ctxlab_model_forward(m, changed, B, T, logits2, &err), 0);
    assert_memory_not_equal(logits2 + t * V, logits + t * V, V * sizeof(float));
    assert_memory_equal(logits2 + T * V, logits + T * V, T * V * sizeof(float)); /* sequence 1 */
  }
  ctxlab_model_free(m);
}

static void test_window(void **state) {
  check_window(2);
  check_window(0);
}

static void test_threads(void **state) {
  ctxlab_model_config cfg = mlp_config(16, 8, 32, 128, 2);
  ctxlab_model *m = test_model_new(&cfg);
  test_thread_independence(m, 5, 19);
  ctxlab_model_free(m);
}

/* Closed forms from the tensor list in sim/mlp/mlp.c. */
static void test_param_count(void **state) {
  const size_t V = 13, c = 5, d = 3, H = 11;
  for (uint32_t L = 0; L <= 3; ++L) {
    ctxlab_model_config cfg = mlp_config(V, c, d, H, L);
    ctxlab_model *m = test_model_new(&cfg);
    size_t want =
        (V + 1) * d + (L ? (H * c * d + H) + (L - 1) * (H * H + H) + V * H + V : V * c * d + V);
    assert_int_equal(ctxlab_model_param_count(m), want);
    assert_int_equal(m->n_tensors, 1 + 2 * L + 2);
    ctxlab_model_free(m);
  }
}

static void test_history_state(void **state) {
  ctxlab_model_config cfg = mlp_config(8, 6, 10, 16, 1);
  ctxlab_model *m = test_model_new(&cfg);
  assert_true(ctxlab_model_history_state_floats(m, 0) == 0);
  assert_true(ctxlab_model_history_state_floats(m, 4) == 40);
  assert_true(ctxlab_model_history_state_floats(m, 6) == 60);
  assert_true(ctxlab_model_history_state_floats(m, 1000) == 60);
  ctxlab_model_free(m);
}

/* The same bits for the same seed; wte ~ N(0, 1), W ~ N(0, 1/in), biases 0.
 * The mean square of n >= 4096 normal draws has relative standard
 * deviation sqrt(2/n) <= 0.022: a 10% band is 4.5 standard deviations. */
static void test_init(void **state) {
  ctxlab_model_config cfg = mlp_config(511, 8, 8, 128, 2);
  ctxlab_model *m = test_model_new(&cfg), *again = test_model_new(&cfg), *other;
  ctxlab_error err;
  assert_memory_equal(m->params, again->params, m->n_params * sizeof(float));
  assert_int_equal(ctxlab_model_new(&cfg, 8, &other, &err), 0);
  assert_memory_not_equal(m->params, other->params, m->n_params * sizeof(float));
  assert_true(fabs(test_mean_square(test_tensor(m, 512 * 8, "wte.weight", 0), 512 * 8) - 1) < 0.1);
  assert_true(fabs(test_mean_square(test_tensor(m, 128 * 64, "hidden.%zu.weight", 0), 128 * 64) * 64 - 1) <
              0.1);
  assert_true(fabs(test_mean_square(test_tensor(m, 128 * 128, "hidden.%zu.weight", 1), 128 * 128) * 128 - 1) <
              0.1);
  assert_true(fabs(test_mean_square(test_tensor(m, 511 * 128, "head.weight", 0), 511 * 128) * 128 - 1) < 0.1);
  assert_true(test_mean_square(test_tensor(m, 128, "hidden.%zu.bias", 1), 128) == 0);
  assert_true(test_mean_square(test_tensor(m, 511, "head.bias", 0), 511) == 0);
  ctxlab_model_free(m), ctxlab_model_free(again), ctxlab_model_free(other);
}

static void expect_error(const ctxlab_model_config *cfg, const char *message) {
  ctxlab_model *m = (ctxlab_model *)1;
  ctxlab_error err;
  assert_int_equal(ctxlab_model_new(cfg, 1, &m, &err), CTXLAB_EINVAL);
  assert_null(m);
  assert_string_equal(err.message, message);
}

static void test_errors(void **state) {
  ctxlab_model_config cfg = mlp_config(8, 0, 4, 16, 1);
  expect_error(&cfg, "mlp: context (the window of tokens) must be at least 1 (got 0)");
  cfg = mlp_config(8, 3, 4, 0, 2);
  expect_error(&cfg, "mlp: hidden must be at least 1 with n_layer 2 (got 0)");
  cfg = mlp_config(8, 3, 0, 16, 1);
  expect_error(&cfg, "mlp: d_model must be at least 1 (got 0)");
  cfg = mlp_config(8, 3, 4, 0, 0); /* no hidden layer: hidden is not used */
  ctxlab_model *m = test_model_new(&cfg);
  ctxlab_error err;
  assert_int_equal(m->ops->backward(m, NULL, &err), CTXLAB_EINVAL);
  assert_string_equal(err.message, "mlp: backward needs a forward first");
  float logits[8];
  uint32_t token = 3;
  assert_int_equal(ctxlab_model_forward(m, &token, 1, 0, logits, &err), 0);
  assert_int_equal(m->ops->backward(m, NULL, &err), 0);
  for (size_t i = 0; i < m->n_params; ++i) assert_true(m->grads[i] == 0);
  ctxlab_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_window),      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_param_count), cmocka_unit_test(test_history_state),
      cmocka_unit_test(test_init),        cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
