/* The transformer model kind through the model interface: tensor names and
 * shapes, parameter count, history state, the documented initialisation,
 * identical results for any thread count, reuse of a model across batch
 * shapes, attention entropy of uniform attention, and error paths. */
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
#include "sim/transformer/transformer.h"

static ctxlab_model_config config(uint32_t V, uint32_t d, uint32_t L, uint32_t H, uint32_t T) {
  ctxlab_model_config c;
  assert_int_equal(ctxlab_model_config_init(&c, "transformer", NULL), 0);
  c.vocab_size = V;
  c.d_model = d;
  c.n_layer = L;
  c.n_head = H;
  c.context = T;
  return c;
}

static ctxlab_model *new_model(const ctxlab_model_config *c, uint64_t seed) {
  ctxlab_model *m;
  ctxlab_error err;
  if (ctxlab_model_new(c, seed, &m, &err)) fail_msg("%s", err.message);
  return m;
}

static uint32_t *random_tokens(size_t n, uint32_t V, uint64_t seed) {
  uint32_t *t = malloc(n * sizeof *t);
  assert_non_null(t);
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, seed, "test.transformer", 0);
  for (size_t i = 0; i < n; ++i) t[i] = (uint32_t)ctxlab_rng_bounded(&rng, V);
  return t;
}

/* The names and shapes, in this order; 12 d^2 + 4 d per block. */
static void test_tensors(void **state) {
  ctxlab_model_config c = config(11, 8, 2, 2, 16);
  ctxlab_model *m = new_model(&c, 1);
  const struct {
    const char *name;
    size_t r, c;
  } want[] = {{"wte.weight", 11, 8},
              {"blocks.0.ln1.weight", 8, 0},      {"blocks.0.ln1.bias", 8, 0},
              {"blocks.0.attn.qkv.weight", 24, 8}, {"blocks.0.attn.proj.weight", 8, 8},
              {"blocks.0.ln2.weight", 8, 0},      {"blocks.0.ln2.bias", 8, 0},
              {"blocks.0.mlp.fc.weight", 32, 8},  {"blocks.0.mlp.proj.weight", 8, 32},
              {"blocks.1.ln1.weight", 8, 0},      {"blocks.1.ln1.bias", 8, 0},
              {"blocks.1.attn.qkv.weight", 24, 8}, {"blocks.1.attn.proj.weight", 8, 8},
              {"blocks.1.ln2.weight", 8, 0},      {"blocks.1.ln2.bias", 8, 0},
              {"blocks.1.mlp.fc.weight", 32, 8},  {"blocks.1.mlp.proj.weight", 8, 32},
              {"lnf.weight", 8, 0},               {"lnf.bias", 8, 0},
              {"head.weight", 11, 8}};
  assert_int_equal(m->n_tensors, sizeof want / sizeof want[0]);
  size_t offset = 0;
  for (size_t i = 0; i < m->n_tensors; ++i) {
    const ctxlab_tensor *t = &m->tensors[i];
    assert_string_equal(t->name, want[i].name);
    assert_int_equal(t->ndim, want[i].c ? 2 : 1);
    assert_int_equal(t->shape[0], want[i].r);
    if (want[i].c) assert_int_equal(t->shape[1], want[i].c);
    assert_int_equal(t->offset, offset);
    offset += ctxlab_tensor_size(t);
  }
  assert_int_equal(ctxlab_model_param_count(m), 2 * 11 * 8 + 2 * (12 * 64 + 4 * 8) + 2 * 8);
  /* the KV cache: 2 n_layer d floats per token */
  assert_true(ctxlab_model_history_state_floats(m, 1000) == 2.0 * 2 * 8 * 1000);
  ctxlab_model_free(m);
}

/* GPT-2 init as documented in transformer.c: one Box-Muller stream from
 * ctxlab_rng_derive(seed, "sim.init", 0) over the matrices in tensor order. */
static void test_init(void **state) {
  ctxlab_model_config c = config(64, 64, 3, 4, 32);
  ctxlab_model *m = new_model(&c, 42), *same = new_model(&c, 42), *other = new_model(&c, 43);
  assert_memory_equal(m->params, same->params, m->n_params * sizeof(float));
  assert_true(memcmp(m->params, other->params, m->n_params * sizeof(float)) != 0);
  /* the first normals of the stream, reproduced from the documentation */
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 42, "sim.init", 0);
  for (int k = 0; k < 3; ++k) {
    double u1 = ctxlab_rng_uniform_pos(&rng), u2 = ctxlab_rng_uniform(&rng);
    double r = sqrt(-2 * log(u1));
    assert_true(m->params[2 * k] == (float)(0.02 * r * cos(2 * M_PI * u2)));
    assert_true(m->params[2 * k + 1] == (float)(0.02 * r * sin(2 * M_PI * u2)));
  }
  for (size_t i = 0; i < m->n_tensors; ++i) {
    const ctxlab_tensor *t = &m->tensors[i];
    const float *p = m->params + t->offset;
    size_t n = ctxlab_tensor_size(t);
    if (t->ndim == 1) { /* LayerNorm: weight 1, bias 0 */
      float want = strstr(t->name, ".bias") ? 0.0f : 1.0f;
      for (size_t k = 0; k < n; ++k) assert_true(p[k] == want);
      continue;
    }
    double sum = 0, sq = 0;
    for (size_t k = 0; k < n; ++k) {
      sum += p[k];
      sq += (double)p[k] * p[k];
    }
    double mean = sum / (double)n, sd = sqrt(sq / (double)n - mean * mean);
    double want = strstr(t->name, ".proj.") ? 0.02 / sqrt(2.0 * 3) : 0.02;
    /* n >= 4096 draws: the sample sd is within 4% of sigma (relative standard
     * error 1/sqrt(2n) = 1.1%) and the mean within 4.5 sigma / sqrt(n) */
    if (fabs(sd / want - 1) > 0.04 || fabs(mean) > 4.5 * want / sqrt((double)n))
      fail_msg("%s: mean %g, sd %g, expected 0 and %g", t->name, mean, sd, want);
  }
  ctxlab_model_free(m);
  ctxlab_model_free(same);
  ctxlab_model_free(other);
}

/* logits and gradients of one forward + xent + backward. */
static void run_step(ctxlab_model *m, const uint32_t *tokens, size_t B, size_t T, float *logits,
                     float *grads) {
  size_t N = B * T, V = m->cfg.vocab_size;
  uint32_t *in = malloc(N * sizeof *in), *target = malloc(N * sizeof *target);
  float *dlogits = malloc(N * V * sizeof *dlogits);
  assert_non_null(in && target && dlogits);
  for (size_t b = 0; b < B; ++b)
    for (size_t t = 0; t < T; ++t) {
      in[b * T + t] = tokens[b * (T + 1) + t];
      target[b * T + t] = tokens[b * (T + 1) + t + 1];
    }
  ctxlab_error err;
  if (ctxlab_model_forward(m, in, B, T, logits, &err)) fail_msg("%s", err.message);
  ctxlab_xent(logits, target, N, (uint32_t)V, 1.0f / (float)N, dlogits, m->threads);
  memset(m->grads, 0, m->n_params * sizeof(float));
  if (m->ops->backward(m, dlogits, &err)) fail_msg("%s", err.message);
  memcpy(grads, m->grads, m->n_params * sizeof(float));
  free(in);
  free(target);
  free(dlogits);
}

/* 1, 2 and 3 threads give the same bits (T = 70: edges of every tile, two
 * query blocks in the attention backward; YaRN + EABF). */
static void test_threads(void **state) {
  ctxlab_model_config c = config(64, 64, 2, 4, 32);
  c.rope_scaling = CTXLAB_ROPE_SCALING_YARN;
  c.rope_factor = 4;
  c.logit_scaling = CTXLAB_LOGIT_SCALING_EABF;
  ctxlab_model *m = new_model(&c, 5);
  size_t B = 5, T = 70, N = B * T, P = m->n_params;
  uint32_t *tokens = random_tokens(B * (T + 1), 64, 1);
  float *logits[3], *grads[3];
  double *ent[3];
  for (int th = 0; th < 3; ++th) {
    logits[th] = malloc(N * 64 * sizeof(float));
    grads[th] = malloc(P * sizeof(float));
    ent[th] = calloc(2 * 4 * T, sizeof(double));
    ctxlab_model_set_threads(m, th + 1);
    run_step(m, tokens, B, T, logits[th], grads[th]);
    assert_int_equal(ctxlab_transformer_attention_entropy(m, ent[th]), 0);
  }
  for (int th = 1; th < 3; ++th) {
    assert_memory_equal(logits[0], logits[th], N * 64 * sizeof(float));
    assert_memory_equal(grads[0], grads[th], P * sizeof(float));
    assert_memory_equal(ent[0], ent[th], 2 * 4 * T * sizeof(double));
  }
  /* threads changed between forward (1: attention in the products'
   * epilogues) and backward (3: its own loop) */
  ctxlab_model_set_threads(m, 1);
  run_step(m, tokens, B, T, logits[1], grads[1]);
  float *dlogits = malloc(N * 64 * sizeof(float));
  memset(dlogits, 0, N * 64 * sizeof(float));
  for (size_t i = 0; i < N; ++i) dlogits[i * 64 + i % 64] = 1.0f / (float)N;
  memset(m->grads, 0, P * sizeof(float));
  assert_int_equal(m->ops->backward(m, dlogits, NULL), 0);
  memcpy(grads[1], m->grads, P * sizeof(float));
  ctxlab_model_set_threads(m, 3);
  memset(m->grads, 0, P * sizeof(float));
  assert_int_equal(m->ops->backward(m, dlogits, NULL), 0);
  assert_memory_equal(grads[1], m->grads, P * sizeof(float));
  free(dlogits);
  for (int th = 0; th < 3; ++th) {
    free(logits[th]);
    free(grads[th]);
    free(ent[th]);
  }
  free(tokens);
  ctxlab_model_free(m);
}

/* A model used with several batch shapes (growing and shrinking, T beyond the
 * training context) gives what a fresh model gives. */
static void test_reuse(void **state) {
  ctxlab_model_config c = config(13, 16, 2, 2, 8);
  c.rope_scaling = CTXLAB_ROPE_SCALING_PI;
  c.rope_factor = 2;
  c.logit_scaling = CTXLAB_LOGIT_SCALING_LOGN;
  ctxlab_model *m = new_model(&c, 3);
  const size_t shapes[][2] = {{2, 8}, {7, 33}, {1, 5}, {3, 100}, {2, 8}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
    size_t B = shapes[s][0], T = shapes[s][1], N = B * T, P = m->n_params;
    uint32_t *tokens = random_tokens(B * (T + 1), 13, s);
    float *l1 = malloc(N * 13 * sizeof(float)), *l2 = malloc(N * 13 * sizeof(float));
    float *g1 = malloc(P * sizeof(float)), *g2 = malloc(P * sizeof(float));
    run_step(m, tokens, B, T, l1, g1);
    ctxlab_model *fresh = new_model(&c, 3);
    run_step(fresh, tokens, B, T, l2, g2);
    assert_memory_equal(l1, l2, N * 13 * sizeof(float));
    assert_memory_equal(g1, g2, P * sizeof(float));
    for (size_t i = 0; i < N * 13; ++i) assert_true(isfinite(l1[i]));
    ctxlab_model_free(fresh);
    free(tokens), free(l1), free(l2), free(g1), free(g2);
  }
  ctxlab_model_free(m);
}

/* q = k = 0 (their rows of attn.qkv zeroed): every query attends uniformly
 * to its t + 1 keys, entropy ln(t + 1) exactly; summed over a batch of B. */
static void test_entropy_uniform(void **state) {
  ctxlab_model_config c = config(9, 16, 2, 4, 8);
  c.logit_scaling = CTXLAB_LOGIT_SCALING_EABF; /* multipliers do not matter here */
  ctxlab_model *m = new_model(&c, 1);
  for (int l = 0; l < 2; ++l) {
    char name[64];
    snprintf(name, sizeof name, "blocks.%d.attn.qkv.weight", l);
    const ctxlab_tensor *t = ctxlab_model_find_tensor(m, name);
    memset(m->params + t->offset, 0, 2 * 16 * 16 * sizeof(float)); /* the q and k rows */
  }
  size_t B = 3, T = 40;
  uint32_t *tokens = random_tokens(B * T, 9, 2);
  float *logits = malloc(B * T * 9 * sizeof(float));
  double *sums = calloc(2 * 4 * T, sizeof(double));
  assert_int_equal(ctxlab_model_forward(m, tokens, B, T, logits, NULL), 0);
  assert_int_equal(ctxlab_transformer_attention_entropy(m, sums), 0);
  assert_int_equal(ctxlab_transformer_attention_entropy(m, sums), 0); /* it adds */
  for (size_t lh = 0; lh < 8; ++lh)
    for (size_t t = 0; t < T; ++t) {
      double want = 2.0 * B * log((double)(t + 1)), got = sums[lh * T + t];
      if (fabs(got - want) > 1e-6 * (1 + want))
        fail_msg("entropy [%zu][%zu] = %.9g, expected %.9g", lh, t, got, want);
    }
  free(tokens);
  free(logits);
  free(sums);
  ctxlab_model_free(m);
}

static void test_errors(void **state) {
  ctxlab_model_config c = config(9, 16, 1, 2, 8);
  ctxlab_model *m = new_model(&c, 1);
  ctxlab_error err;
  float dl[9 * 4], logits[9 * 4];
  double sums[16];
  /* nothing to go back through, or to take entropies of, before a forward */
  memset(dl, 0, sizeof dl);
  assert_int_equal(m->ops->backward(m, dl, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "no forward"));
  assert_int_equal(ctxlab_transformer_attention_entropy(m, sums), CTXLAB_EINVAL);
  assert_int_equal(ctxlab_transformer_attention_entropy(NULL, sums), CTXLAB_EINVAL);
  uint32_t tokens[4] = {1, 2, 3, 9};
  assert_int_equal(ctxlab_model_forward(m, tokens, 1, 4, logits, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "outside the vocabulary"));
  assert_int_equal(ctxlab_model_forward(m, tokens, 0, 4, logits, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "empty batch"));
  /* B T overflows size_t (to 0, so no token is read) */
  assert_int_equal(ctxlab_model_forward(m, tokens, (size_t)1 << 62, 4, logits, &err),
                   CTXLAB_ENOMEM);
  assert_non_null(strstr(err.message, "too large"));
  ctxlab_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tensors), cmocka_unit_test(test_init),
      cmocka_unit_test(test_threads), cmocka_unit_test(test_reuse),
      cmocka_unit_test(test_entropy_uniform), cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
