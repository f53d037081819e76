/* Helpers shared by the mlp and rnn unit tests (tests/unit/test_mlp_*.c,
 * test_rnn_*.c): finite-difference gradient checks, random tokens, a
 * training step and the thread-count check.
 *
 * A layer y = f(x, params) is checked through the scalar loss
 * L = sum_k w_k y_k with fixed random weights w: its backward, given
 * dy = w, must return dL/dx and dL/dparams.  Each is compared with the
 * central difference (L(x + h e_i) - L(x - h e_i)) / 2h, whose error is
 * O(h^2) from truncation plus O(eps L / h) from rounding: about 1e-10
 * relative for h = 1e-5 in double, far below the 1e-6 the checks require. */
#ifndef CTXLAB_TESTS_RNN_UTIL_H
#define CTXLAB_TESTS_RNN_UTIL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/rng.h"
#include "ctxlab/sim.h"
#include "sim/loss.h"
#include "sim/model.h"

/* The tensor called printf(fmt, i), checked to have `size` elements. */
static inline const float *test_tensor(const ctxlab_model *m, size_t size, const char *fmt,
                                       size_t i) {
  char name[CTXLAB_TENSOR_NAME_SIZE];
  snprintf(name, sizeof name, fmt, i);
  const ctxlab_tensor *t = ctxlab_model_find_tensor(m, name);
  if (!t) fail_msg("no tensor %s", name);
  assert_int_equal(ctxlab_tensor_size(t), size);
  return m->params + t->offset;
}

#define GC_STEP 1e-5
#define GC_TOLERANCE 1e-6

typedef double (*gc_loss)(void *ctx);

static inline void gc_fill(double *x, size_t n, double lo, double hi, ctxlab_rng *rng) {
  for (size_t i = 0; i < n; ++i) x[i] = lo + (hi - lo) * ctxlab_rng_uniform(rng);
}

static inline double *gc_random(size_t n, double lo, double hi, ctxlab_rng *rng) {
  double *x = malloc(n * sizeof *x);
  assert_non_null(x);
  gc_fill(x, n, lo, hi, rng);
  return x;
}

static inline double *gc_zeros(size_t n) {
  double *x = calloc(n, sizeof *x);
  assert_non_null(x);
  return x;
}

static inline double gc_dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

/* Checks analytic[0..n-1] = dL/dx against central differences of loss(ctx)
 * (x is perturbed in place and restored): the largest difference, relative
 * to the largest difference quotient, must be below GC_TOLERANCE.  A
 * gradient that is zero everywhere proves nothing and fails. */
static inline void gc_check(const char *what, double *x, size_t n, const double *analytic,
                            gc_loss loss, void *ctx) {
  double max_err = 0, max_fd = 0;
  for (size_t i = 0; i < n; ++i) {
    double x0 = x[i];
    x[i] = x0 + GC_STEP;
    double up = loss(ctx);
    x[i] = x0 - GC_STEP;
    double down = loss(ctx);
    x[i] = x0;
    double fd = (up - down) / (2 * GC_STEP);
    if (fabs(fd) > max_fd) max_fd = fabs(fd);
    if (fabs(fd - analytic[i]) > max_err) max_err = fabs(fd - analytic[i]);
  }
  if (getenv("CTXLAB_GC_VERBOSE"))
    print_message("%-32s relative error %.3g (max |fd| %.3g)\n", what, max_err / max_fd, max_fd);
  if (!(max_fd > 1e-8))
    fail_msg("%s: the gradient is zero (max |fd| %g): a vacuous check", what, max_fd);
  if (!(max_err / max_fd < GC_TOLERANCE))
    fail_msg("%s: relative error %.3g (max |analytic - fd| %.3g, max |fd| %.3g)", what,
             max_err / max_fd, max_err, max_fd);
}

/* Mean cross-entropy (nats) of n rows of logits against targets; with
 * dlogits, its gradient (softmax - onehot) / n. */
static inline double gc_xent(const double *logits, const uint32_t *targets, size_t n, size_t V,
                             double *dlogits) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    const double *z = logits + i * V;
    double max = z[0], sum = 0;
    for (size_t x = 1; x < V; ++x) max = z[x] > max ? z[x] : max;
    for (size_t x = 0; x < V; ++x) sum += exp(z[x] - max);
    total += log(sum) + max - z[targets[i]];
    if (dlogits)
      for (size_t x = 0; x < V; ++x)
        dlogits[i * V + x] = (exp(z[x] - max) / sum - (x == targets[i])) / (double)n;
  }
  return total / (double)n;
}

/* n tokens uniform in [0, V). */
static inline void test_tokens(uint32_t *x, size_t n, uint32_t V, uint64_t seed) {
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, seed, "test.tokens", 0);
  for (size_t i = 0; i < n; ++i) x[i] = (uint32_t)ctxlab_rng_bounded(&rng, V);
}

/* Mean of x_i^2 (the initialisation checks compare it with a variance). */
static inline double test_mean_square(const float *x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += (double)x[i] * x[i];
  return s / (double)n;
}

/* The model of config c (init seed 7); fails the test on error. */
static inline ctxlab_model *test_model_new(const ctxlab_model_config *c) {
  ctxlab_model *m;
  ctxlab_error err;
  if (ctxlab_model_new(c, 7, &m, &err)) fail_msg("%s", err.message);
  return m;
}

/* What training does for one batch (sim/train.c): grads = 0, forward,
 * cross-entropy with scale 1/(B T), backward.  logits: (B*T, V). */
static inline void test_train_step(ctxlab_model *m, const uint32_t *tokens, const uint32_t *targets,
                                   size_t B, size_t T, int threads, float *logits) {
  ctxlab_error err;
  uint32_t V = m->cfg.vocab_size;
  float *dlogits = malloc(B * T * V * sizeof(float));
  assert_non_null(dlogits);
  memset(m->grads, 0, m->n_params * sizeof(float));
  ctxlab_model_set_threads(m, threads);
  if (ctxlab_model_forward(m, tokens, B, T, logits, &err)) fail_msg("%s", err.message);
  ctxlab_xent(logits, targets, B * T, V, 1.0f / (float)(B * T), dlogits, threads);
  if (m->ops->backward(m, dlogits, &err)) fail_msg("%s", err.message);
  free(dlogits);
}

/* Logits and gradients of a training step are bitwise the same with 1 and 2
 * threads (B sequences of T tokens; B odd, so the threads get unequal
 * shares). */
static inline void test_thread_independence(ctxlab_model *m, size_t B, size_t T) {
  uint32_t V = m->cfg.vocab_size;
  uint32_t *tokens = malloc(B * T * sizeof(uint32_t)), *targets = malloc(B * T * sizeof(uint32_t));
  float *logits = malloc(B * T * V * sizeof(float)), *logits1 = malloc(B * T * V * sizeof(float));
  float *grads1 = malloc(m->n_params * sizeof(float));
  assert_true(tokens && targets && logits && logits1 && grads1);
  test_tokens(tokens, B * T, V, 40);
  test_tokens(targets, B * T, V, 41);
  test_train_step(m, tokens, targets, B, T, 1, logits1);
  memcpy(grads1, m->grads, m->n_params * sizeof(float));
  test_train_step(m, tokens, targets, B, T, 2, logits);
  assert_memory_equal(logits, logits1, B * T * V * sizeof(float));
  assert_memory_equal(m->grads, grads1, m->n_params * sizeof(float));
  free(tokens), free(targets), free(logits), free(logits1), free(grads1);
}

/* ---- whole-model checks through the double twin ------------------------ */

/* A model's code compiled for double (sim/mlp/mlp_compute.inc,
 * sim/rnn/rnn_compute.inc): forward (B, T) tokens to logits, and backward
 * accumulating dL/dP into G, with activations `acts` reserved for B T rows. */
typedef struct gc_twin {
  const void *layout;
  void *acts;
  void (*forward)(const void *layout, const double *P, void *acts, const uint32_t *tokens,
                  size_t B, size_t T, double *logits);
  void (*backward)(const void *layout, const double *P, double *G, void *acts,
                   const double *dlogits);
} gc_twin;

typedef struct gc_model_ctx {
  const gc_twin *tw;
  double *P, *logits;
  const uint32_t *tokens, *targets;
  size_t B, T, V;
} gc_model_ctx;

static inline double gc_model_loss(void *p) {
  gc_model_ctx *c = p;
  c->tw->forward(c->tw->layout, c->P, c->tw->acts, c->tokens, c->B, c->T, c->logits);
  return gc_xent(c->logits, c->targets, c->B * c->T, c->V, NULL);
}

/* d(mean cross-entropy)/d(every tensor of m) of the twin against central
 * differences, at m's initial parameters moved by U(-0.3, 0.3) (stream
 * (4, purpose, index)) so that unit weights and zero biases hide no terms;
 * tokens and targets over V_tokens from seeds tok_seed and tok_seed + 10. */
static inline void gc_check_model(const ctxlab_model *m, const gc_twin *tw, size_t B, size_t T,
                                  uint32_t V_tokens, uint64_t tok_seed, const char *purpose,
                                  uint64_t index) {
  const size_t np = ctxlab_model_param_count(m), V = m->cfg.vocab_size;
  uint32_t *tokens = malloc(2 * B * T * sizeof *tokens);
  test_tokens(tokens, B * T, V_tokens, tok_seed);
  test_tokens(tokens + B * T, B * T, V_tokens, tok_seed + 10);
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 4, purpose, index);
  gc_model_ctx c = {tw, gc_random(np, -0.3, 0.3, &rng), gc_zeros(B * T * V), tokens,
                    tokens + B * T, B, T, V};
  for (size_t i = 0; i < np; ++i) c.P[i] += m->params[i];
  double *dlogits = gc_zeros(B * T * V), *G = gc_zeros(np);
  gc_model_loss(&c);
  gc_xent(c.logits, c.targets, B * T, V, dlogits);
  tw->backward(tw->layout, c.P, G, tw->acts, dlogits);
  for (size_t k = 0; k < m->n_tensors; ++k) {
    const ctxlab_tensor *t = &m->tensors[k];
    gc_check(t->name, c.P + t->offset, ctxlab_tensor_size(t), G + t->offset, gc_model_loss, &c);
  }
  free(c.P), free(c.logits), free(dlogits), free(G), free(tokens);
}

/* The float library (ctxlab_model_forward, ops->backward) computes what the
 * twin computes in double, to float accuracy: logits within 1e-5 (relative
 * to 1 + |logit|), each gradient within 1e-4 of its tensor's largest. */
static inline void gc_check_float_matches_double(ctxlab_model *m, const gc_twin *tw, size_t B,
                                                 size_t T) {
  const size_t np = m->n_params, V = m->cfg.vocab_size;
  uint32_t *tokens = malloc(2 * B * T * sizeof *tokens), *targets = tokens + B * T;
  test_tokens(tokens, B * T, (uint32_t)V, 30);
  test_tokens(targets, B * T, (uint32_t)V, 31);
  float *logits = malloc(B * T * V * sizeof(float)), *dlogits = malloc(B * T * V * sizeof(float));
  ctxlab_error err;
  if (ctxlab_model_forward(m, tokens, B, T, logits, &err)) fail_msg("%s", err.message);
  ctxlab_xent(logits, targets, B * T, (uint32_t)V, 1.0f / (float)(B * T), dlogits, m->threads);
  if (m->ops->backward(m, dlogits, &err)) fail_msg("%s", err.message);

  double *P = gc_zeros(np), *G = gc_zeros(np), *dl = gc_zeros(B * T * V);
  double *lg = gc_zeros(B * T * V);
  for (size_t i = 0; i < np; ++i) P[i] = m->params[i];
  tw->forward(tw->layout, P, tw->acts, tokens, B, T, lg);
  gc_xent(lg, targets, B * T, V, dl);
  tw->backward(tw->layout, P, G, tw->acts, dl);
  for (size_t i = 0; i < B * T * V; ++i)
    if (!(fabs(logits[i] - lg[i]) < 1e-5 * (1 + fabs(lg[i]))))
      fail_msg("logit %zu: float %g, double %g", i, logits[i], lg[i]);
  for (size_t k = 0; k < m->n_tensors; ++k) {
    const ctxlab_tensor *t = &m->tensors[k];
    double scale = 0;
    for (size_t i = 0; i < ctxlab_tensor_size(t); ++i) scale = fmax(scale, fabs(G[t->offset + i]));
    if (!(scale > 0)) fail_msg("%s: the double gradient is zero", t->name);
    for (size_t i = 0; i < ctxlab_tensor_size(t); ++i)
      if (!(fabs(m->grads[t->offset + i] - G[t->offset + i]) < 1e-4 * scale))
        fail_msg("%s[%zu]: float %g, double %g", t->name, i, m->grads[t->offset + i],
                 G[t->offset + i]);
  }
  free(P), free(G), free(dl), free(lg), free(logits), free(dlogits), free(tokens);
}

#endif
