/* The "rnn" model kind as a whole: the logits equal a step-by-step
 * implementation written here from the documented equations (sim/rnn/rnn.c)
 * that carries only the n_layer x state_size floats of state from one token
 * to the next; causality and prefix stability (so evaluation may run longer
 * windows than training); 1 and 2 threads bitwise equal; parameter counts
 * (closed forms), tensor names, initial values, history-state floats and
 * config errors. */
#include <complex.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/rnn/rnn.h"
#include "test_rnn_util.h"

static ctxlab_model_config rnn_config(ctxlab_rnn_cell cell, uint32_t V, uint32_t d, uint32_t s,
                                      uint32_t L) {
  ctxlab_model_config cfg;
  assert_int_equal(ctxlab_model_config_init(&cfg, "rnn", NULL), 0);
  cfg.rnn_cell = cell;
  cfg.vocab_size = V;
  cfg.d_model = d;
  cfg.state_size = s;
  cfg.n_layer = L;
  return cfg;
}

/* ---- a step-by-step reference in double ---------------------------------- */

/* y (out) = W x (+ b), W (out, in) row-major. */
static void matvec(double *y, const float *W, const float *b, const double *x, size_t out,
                   size_t in) {
  for (size_t o = 0; o < out; ++o) {
    double acc = b ? b[o] : 0;
    for (size_t i = 0; i < in; ++i) acc += (double)W[o * in + i] * x[i];
    y[o] = acc;
  }
}

static void layernorm(double *y, const double *x, const float *w, const float *b, size_t d) {
  double mean = 0, var = 0;
  for (size_t i = 0; i < d; ++i) mean += x[i] / (double)d;
  for (size_t i = 0; i < d; ++i) var += (x[i] - mean) * (x[i] - mean) / (double)d;
  for (size_t i = 0; i < d; ++i) y[i] = (x[i] - mean) / sqrt(var + 1e-5) * w[i] + b[i];
}

static double logistic(double x) { return 1 / (1 + exp(-x)); }

/* Reads `token`, updates `state` (L * s floats, the whole memory of the past)
 * and writes the logits of the next token. */
static void reference_step(const ctxlab_model *m, uint32_t token, double *state, double *logits) {
  const ctxlab_model_config *c = &m->cfg;
  size_t V = c->vocab_size, d = c->d_model, s = c->state_size, L = c->n_layer, S2 = s / 2;
  double x[64], a[64], v[64], u[256], hnew[64];
  assert_true(d <= 64 && s <= 64 && 4 * d <= 256);
  const float *wte = test_tensor(m, V * d, "wte.weight", 0);
  for (size_t i = 0; i < d; ++i) x[i] = wte[token * d + i];
  if (c->rnn_cell == CTXLAB_RNN_LRU) {
    for (size_t l = 0; l < L; ++l) {
      double *h = state + l * s;
      layernorm(a, x, test_tensor(m, d, "blocks.%zu.norm1.weight", l),
                test_tensor(m, d, "blocks.%zu.norm1.bias", l), d);
      matvec(v, test_tensor(m, s * d, "blocks.%zu.lru.in_proj.weight", l), NULL, a, s, d);
      const float *nu = test_tensor(m, S2, "blocks.%zu.lru.nu_log", l);
      const float *theta = test_tensor(m, S2, "blocks.%zu.lru.theta_log", l);
      const float *glog = test_tensor(m, S2, "blocks.%zu.lru.gamma_log", l);
      for (size_t j = 0; j < S2; ++j) {
        double complex lambda = cexp(-exp(nu[j]) + I * exp(theta[j]));
        double complex hj = lambda * (h[j] + I * h[S2 + j]) + exp(glog[j]) * (v[j] + I * v[S2 + j]);
        h[j] = creal(hj);
        h[S2 + j] = cimag(hj);
      }
      matvec(a, test_tensor(m, d * s, "blocks.%zu.lru.out_proj.weight", l), NULL, h, d, s);
      for (size_t i = 0; i < d; ++i) x[i] += a[i];
      layernorm(a, x, test_tensor(m, d, "blocks.%zu.norm2.weight", l),
                test_tensor(m, d, "blocks.%zu.norm2.bias", l), d);
      matvec(u, test_tensor(m, 4 * d * d, "blocks.%zu.mlp.fc.weight", l),
             test_tensor(m, 4 * d, "blocks.%zu.mlp.fc.bias", l), a, 4 * d, d);
      for (size_t i = 0; i < 4 * d; ++i) /* GELU, tanh form */
        u[i] = 0.5 * u[i] * (1 + tanh(sqrt(2 / M_PI) * (u[i] + 0.044715 * pow(u[i], 3))));
      matvec(a, test_tensor(m, d * 4 * d, "blocks.%zu.mlp.proj.weight", l),
             test_tensor(m, d, "blocks.%zu.mlp.proj.bias", l), u, d, 4 * d);
      for (size_t i = 0; i < d; ++i) x[i] += a[i];
    }
    layernorm(a, x, test_tensor(m, d, "norm_f.weight", 0), test_tensor(m, d, "norm_f.bias", 0), d);
    matvec(logits, test_tensor(m, V * d, "head.weight", 0), NULL, a, V, d);
  } else { /* nn.GRU */
    const double *in = x;
    for (size_t l = 0; l < L; ++l) {
      size_t nin = l ? s : d;
      double gi[192], gh[192], *h = state + l * s;
      matvec(gi, test_tensor(m, 3 * s * nin, "gru.%zu.weight_ih", l),
             test_tensor(m, 3 * s, "gru.%zu.bias_ih", l), in, 3 * s, nin);
      matvec(gh, test_tensor(m, 3 * s * s, "gru.%zu.weight_hh", l),
             test_tensor(m, 3 * s, "gru.%zu.bias_hh", l), h, 3 * s, s);
      for (size_t i = 0; i < s; ++i) {
        double r = logistic(gi[i] + gh[i]), z = logistic(gi[s + i] + gh[s + i]);
        double n = tanh(gi[2 * s + i] + r * gh[2 * s + i]);
        hnew[i] = (1 - z) * n + z * h[i];
      }
      memcpy(h, hnew, s * sizeof(double));
      in = h;
    }
    matvec(logits, test_tensor(m, V * s, "head.weight", 0), test_tensor(m, V, "head.bias", 0), in, V, s);
  }
}

/* The model's logits for a window equal the reference streaming the tokens
 * through a state of history_state_floats numbers: the past reaches
 * position t only through that state.  (Float against double: 1e-4.) */
static void check_streaming(ctxlab_rnn_cell cell) {
  enum { B = 5, T = 40 };
  ctxlab_model_config cfg = rnn_config(cell, 11, 24, 18, 2);
  ctxlab_model *m = test_model_new(&cfg);
  size_t V = 11, state_floats = 2 * 18;
  assert_true(ctxlab_model_history_state_floats(m, T) == (double)state_floats);
  uint32_t tokens[B * T];
  test_tokens(tokens, B * T, 11, 50);
  float logits[B * T * 11];
  ctxlab_error err;
  assert_int_equal(ctxlab_model_forward(m, tokens, B, T, logits, &err), 0);
  for (size_t b = 0; b < B; ++b) {
    double state[2 * 18] = {0}, ref[11];
    for (size_t t = 0; t < T; ++t) {
      reference_step(m, tokens[b * T + t], state, ref);
      for (size_t x = 0; x < V; ++x)
        if (!(fabs(logits[(b * T + t) * V + x] - ref[x]) < 1e-4 * (1 + fabs(ref[x]))))
          fail_msg("sequence %zu position %zu token %zu: model %.7g, reference %.7g", b, t, x,
                   logits[(b * T + t) * V + x], ref[x]);
    }
  }
  ctxlab_model_free(m);
}

static void test_streaming_lru(void **state) { check_streaming(CTXLAB_RNN_LRU); }
static void test_streaming_gru(void **state) { check_streaming(CTXLAB_RNN_GRU); }

/* ---- causality, prefixes, threads ------------------------------------------ */

/* Changing token k of sequence 0 leaves every logit before k (and all of
 * sequence 1) bitwise unchanged and changes the logits at k; a longer window
 * with the same first tokens gives bitwise the same logits there (so
 * evaluation may run windows longer than training's). */
static void check_causal(ctxlab_rnn_cell cell) {
  enum { B = 2, T = 12, T2 = 33, V = 9 };
  ctxlab_model_config cfg = rnn_config(cell, V, 16, 16, 2);
  ctxlab_model *m = test_model_new(&cfg);
  uint32_t tokens[B * T], changed[B * T], longer[B * T2];
  float logits[B * T * V], logits2[B * T * V], logits3[B * T2 * V];
  ctxlab_error err;
  test_tokens(tokens, B * T, V, 60);
  assert_int_equal(ctxlab_model_forward(m, tokens, B, T, logits, &err), 0);
  const size_t ks[] = {0, 5, T - 1};
  for (size_t i = 0; i < 3; ++i) {
    size_t k = ks[i];
    memcpy(changed, tokens, sizeof tokens);
    changed[k] = (changed[k] + 1) % V;
    assert_int_equal(ctxlab_model_forward(m, changed, B, T, logits2, &err), 0);
    assert_memory_equal(logits2, logits, k * V * sizeof(float));
    assert_memory_equal(logits2 + T * V, logits + T * V, T * V * sizeof(float));
    assert_memory_not_equal(logits2 + k * V, logits + k * V, V * sizeof(float));
  }
  test_tokens(longer, B * T2, V, 61);
  for (size_t b = 0; b < B; ++b) memcpy(longer + b * T2, tokens + b * T, T * sizeof(uint32_t));
  assert_int_equal(ctxlab_model_forward(m, longer, B, T2, logits3, &err), 0);
  for (size_t b = 0; b < B; ++b)
    assert_memory_equal(logits3 + b * T2 * V, logits + b * T * V, T * V * sizeof(float));
  ctxlab_model_free(m);
}

static void test_causal(void **state) {
  check_causal(CTXLAB_RNN_LRU);
  check_causal(CTXLAB_RNN_GRU);
}

static void test_threads(void **state) {
  for (int cell = 0; cell < 2; ++cell) {
    ctxlab_model_config cfg = rnn_config((ctxlab_rnn_cell)cell, 16, 32, 32, 2);
    ctxlab_model *m = test_model_new(&cfg);
    test_thread_independence(m, 5, 19);
    ctxlab_model_free(m);
  }
}

/* ---- sizes, names, initial values ------------------------------------- */

/* Closed forms from the tensor lists in sim/rnn/rnn.c. */
static void test_param_count(void **state) {
  const uint32_t V = 13, d = 10, s = 6;
  for (uint32_t L = 1; L <= 3; ++L) {
    ctxlab_model_config cfg = rnn_config(CTXLAB_RNN_LRU, V, d, s, L);
    ctxlab_model *m = test_model_new(&cfg);
    size_t block =
        2 * d + s * d + 3 * (s / 2) + d * s + 2 * d + (4 * d * d + 4 * d) + (4 * d * d + d);
    assert_int_equal(ctxlab_model_param_count(m), V * d + L * block + 2 * d + V * d);
    assert_int_equal(m->n_tensors, 1 + 13 * L + 3);
    ctxlab_model_free(m);
    cfg = rnn_config(CTXLAB_RNN_GRU, V, d, s, L);
    m = test_model_new(&cfg);
    size_t first = 3 * s * (d + s) + 6 * s, later = 3 * s * (s + s) + 6 * s;
    assert_int_equal(ctxlab_model_param_count(m), V * d + first + (L - 1) * later + V * s + V);
    assert_int_equal(m->n_tensors, 1 + 4 * L + 2);
    ctxlab_model_free(m);
  }
}

static void test_history_state(void **state) {
  ctxlab_model_config cfg = rnn_config(CTXLAB_RNN_GRU, 8, 16, 24, 3);
  ctxlab_model *m = test_model_new(&cfg);
  assert_true(ctxlab_model_history_state_floats(m, 0) == 72);
  assert_true(ctxlab_model_history_state_floats(m, 1000000) == 72);
  ctxlab_model_free(m);
}

/* The documented initial values: the same bits for the same seed;
 * |lambda| on the ring [0.9, 0.999], phases in (0, 2 pi], gamma =
 * sqrt(1 - |lambda|^2); LayerNorm 1 and 0; GRU weights within 1/sqrt(s);
 * normal tensors with the documented variance (the mean square of 4096
 * normal draws has relative standard deviation sqrt(2/4096) = 0.022: a 10%
 * band is 4.5 standard deviations). */
static void test_init(void **state) {
  ctxlab_model_config cfg = rnn_config(CTXLAB_RNN_LRU, 64, 64, 64, 2);
  ctxlab_model *m = test_model_new(&cfg), *again = test_model_new(&cfg), *other;
  assert_memory_equal(m->params, again->params, m->n_params * sizeof(float));
  ctxlab_error err;
  assert_int_equal(ctxlab_model_new(&cfg, 8, &other, &err), 0);
  assert_memory_not_equal(m->params, other->params, m->n_params * sizeof(float));
  for (size_t l = 0; l < 2; ++l) {
    const float *nu = test_tensor(m, 32, "blocks.%zu.lru.nu_log", l);
    const float *theta = test_tensor(m, 32, "blocks.%zu.lru.theta_log", l);
    const float *glog = test_tensor(m, 32, "blocks.%zu.lru.gamma_log", l);
    for (size_t j = 0; j < 32; ++j) {
      double r = exp(-exp((double)nu[j])), th = exp((double)theta[j]);
      assert_true(r >= 0.9 - 1e-6 && r <= 0.999 + 1e-6);
      assert_true(th > 0 && th <= 2 * M_PI + 1e-5);
      assert_true(fabs(exp((double)glog[j]) - sqrt(1 - r * r)) < 1e-4);
    }
    const float *w1 = test_tensor(m, 64, "blocks.%zu.norm1.weight", l);
    const float *b1 = test_tensor(m, 64, "blocks.%zu.norm1.bias", l);
    for (size_t i = 0; i < 64; ++i) assert_true(w1[i] == 1 && b1[i] == 0);
    double v = test_mean_square(test_tensor(m, 64 * 64, "blocks.%zu.lru.in_proj.weight", l), 64 * 64);
    assert_true(fabs(v * 2 * 64 - 1) < 0.1);
    v = test_mean_square(test_tensor(m, 64 * 64, "blocks.%zu.lru.out_proj.weight", l), 64 * 64);
    assert_true(fabs(v * 32 - 1) < 0.1);
  }
  assert_true(fabs(test_mean_square(test_tensor(m, 64 * 64, "wte.weight", 0), 64 * 64) - 1) < 0.1);
  ctxlab_model_free(m), ctxlab_model_free(again), ctxlab_model_free(other);

  cfg = rnn_config(CTXLAB_RNN_GRU, 64, 64, 64, 2);
  m = test_model_new(&cfg);
  const float *w = test_tensor(m, 3 * 64 * 64, "gru.%zu.weight_hh", 1);
  double max = 0;
  for (size_t i = 0; i < 3 * 64 * 64; ++i) max = fmax(max, fabs(w[i]));
  assert_true(max <= 1 / 8.0 && max > 0.99 / 8.0);
  ctxlab_model_free(m);
}

/* ---- errors ------------------------------------------------------------- */

static void expect_error(const ctxlab_model_config *cfg, const char *needle) {
  ctxlab_model *m = (ctxlab_model *)1;
  ctxlab_error err;
  assert_int_equal(ctxlab_model_new(cfg, 1, &m, &err), CTXLAB_EINVAL);
  assert_null(m);
  if (!strstr(err.message, needle)) fail_msg("message '%s' lacks '%s'", err.message, needle);
}

static void test_errors(void **state) {
  ctxlab_model_config cfg = rnn_config(CTXLAB_RNN_LRU, 8, 16, 15, 2);
  expect_error(&cfg, "state_size 15 must be even for rnn_cell lru");
  cfg.rnn_cell = CTXLAB_RNN_GRU; /* odd is fine for a GRU */
  ctxlab_model *m = test_model_new(&cfg);
  ctxlab_error err;
  assert_int_equal(m->ops->backward(m, NULL, &err), CTXLAB_EINVAL);
  assert_string_equal(err.message, "rnn: backward needs a forward first");
  uint32_t bad[2] = {1, 8};
  float logits[2 * 8];
  assert_int_equal(ctxlab_model_forward(m, bad, 1, 2, logits, &err), CTXLAB_EINVAL);
  /* an empty batch is fine and its backward adds nothing */
  assert_int_equal(ctxlab_model_forward(m, bad, 0, 2, logits, &err), 0);
  assert_int_equal(m->ops->backward(m, NULL, &err), 0);
  for (size_t i = 0; i < m->n_params; ++i) assert_true(m->grads[i] == 0);
  ctxlab_model_free(m);
  cfg = rnn_config(CTXLAB_RNN_GRU, 8, 16, 16, 0);
  expect_error(&cfg, "rnn: n_layer must be at least 1 (got 0)");
  cfg = rnn_config(CTXLAB_RNN_GRU, 8, 16, 0, 1);
  expect_error(&cfg, "rnn: state_size must be at least 1 (got 0)");
  cfg = rnn_config(CTXLAB_RNN_LRU, 8, 0, 16, 1);
  expect_error(&cfg, "rnn: d_model must be at least 1 (got 0)");
  cfg = rnn_config((ctxlab_rnn_cell)7, 8, 16, 16, 1);
  expect_error(&cfg, "rnn: unknown rnn_cell 7 (expected lru or gru)");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_streaming_lru), cmocka_unit_test(test_streaming_gru),
      cmocka_unit_test(test_causal),        cmocka_unit_test(test_threads),
      cmocka_unit_test(test_param_count),   cmocka_unit_test(test_history_state),
      cmocka_unit_test(test_init),          cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
