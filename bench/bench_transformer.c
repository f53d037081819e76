/* Training speed of the transformer: one JSON line.
 *
 *   bench_transformer [--threads 2] [--steps 50] [--batch 32] [--seq 128]
 *                     [--vocab 64] [--dim 64] [--layers 2] [--heads 4]
 *   bench_transformer --gemm 1024 [--threads 2] [--steps 20]
 *
 * --gemm n times the transformer's own matrix product (the float kernels of
 * sim/transformer/tf_kernels.inc, mul + add without FMA as the library is
 * built) on n x n x n, fastest of `steps`: the peak its products can reach.
 *
 * A step is what training does: forward, ctxlab_xent (scale 1/(B T)),
 * zeroing the gradients, backward, and an AdamW update written here (PyTorch's
 * torch.optim.AdamW with its defaults: lr 1e-3, betas 0.9 / 0.999, eps 1e-8,
 * weight decay 0.01, decoupled).  Tokens are uniform random (speed does not
 * depend on them).  After 3 warm-up steps, `steps` steps are timed one by one;
 * the fastest step is reported (on a shared machine noise only ever adds
 * time), with its phases, and the median step.  Model FLOPs per step (the
 * same count as bench_transformer.py uses for PyTorch):
 *   6 B T (n_layer 12 d^2 + V d)        matrix products, forward and backward
 *   + 6 n_layer B d T (T + 1)           causal attention: q kᵀ and a v over
 *                                       T (T + 1) / 2 pairs, 2 d FLOPs each,
 *                                       forward and twice that backward. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctxlab/sim.h"
#include "sim/loss.h"
#include "sim/model.h"
#include "sim/transformer/transformer.h"
#include "sim/vecmath.h"

#define REAL float
#define TF(name) bench_##name
#define TF_EXP(x) ctxlab_vexpf(x)
#define TF_TANH(x) ctxlab_vtanhf(x)
#define TF_SQRT(x) sqrtf(x)
#include "sim/transformer/tf_kernels.inc"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct adamw {
  float *m, *v;
  long t;
} adamw;

/* torch.optim.AdamW's update (decoupled weight decay on every parameter). */
static void adamw_step(adamw *o, float *p, const float *g, size_t n, int threads) {
  const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f;
  o->t++;
  float c1 = 1.0f - powf(b1, (float)o->t), c2 = 1.0f - powf(b2, (float)o->t);
  float step = lr / c1, rc2 = 1.0f / sqrtf(c2);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (size_t i = 0; i < n; ++i) {
    p[i] *= 1.0f - lr * wd;
    o->m[i] = b1 * o->m[i] + (1 - b1) * g[i];
    o->v[i] = b2 * o->v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= step * o->m[i] / (sqrtf(o->v[i]) * rc2 + eps);
  }
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static long arg(int argc, char **argv, const char *name, long dflt) {
  for (int i = 1; i + 1 < argc; ++i)
    if (strcmp(argv[i], name) == 0) return strtol(argv[i + 1], NULL, 10);
  return dflt;
}

/* GFLOP/s of c = a b on n x n x n, fastest of `steps` products. */
static int bench_gemm(size_t n, int threads, long steps) {
  float *a = malloc(n * n * sizeof(float)), *b = malloc(n * n * sizeof(float));
  float *c = malloc(n * n * sizeof(float));
  if (!a || !b || !c) return 1;
  for (size_t i = 0; i < n * n; ++i) {
    a[i] = (float)(i % 7) * 0.25f - 0.75f;
    b[i] = (float)(i % 5) * 0.25f - 0.5f;
  }
  bench_prod p = {.M = n, .N = n, .K = n, .a = a, .ars = n, .aks = 1, .b = b, .bs = n, .c = c,
                  .cs = n};
  double best = INFINITY;
  for (long s = -1; s < steps; ++s) {
    double t0 = now();
    bench_product(threads, &p);
    double t = now() - t0;
    if (s >= 0 && t < best) best = t;
  }
  printf("{\"what\": \"gemm\", \"n\": %zu, \"threads\": %d, \"seconds\": %.6f, \"gflops\": %.2f}\n",
         n, threads, best, 2.0 * (double)n * (double)n * (double)n / best * 1e-9);
  free(a);
  free(b);
  free(c);
  return 0;
}

int main(int argc, char **argv) {
  int threads = (int)arg(argc, argv, "--threads", 2);
  if (arg(argc, argv, "--gemm", 0) > 0)
    return bench_gemm((size_t)arg(argc, argv, "--gemm", 0), threads,
                      arg(argc, argv, "--steps", 20));
  long steps = arg(argc, argv, "--steps", 50);
  size_t B = (size_t)arg(argc, argv, "--batch", 32), T = (size_t)arg(argc, argv, "--seq", 128);
  ctxlab_model_config c;
  ctxlab_error err;
  ctxlab_model_config_init(&c, "transformer", &err);
  c.vocab_size = (uint32_t)arg(argc, argv, "--vocab", 64);
  c.d_model = (uint32_t)arg(argc, argv, "--dim", 64);
  c.n_layer = (uint32_t)arg(argc, argv, "--layers", 2);
  c.n_head = (uint32_t)arg(argc, argv, "--heads", 4);
  c.context = (uint32_t)T;
  ctxlab_model *m;
  if (ctxlab_model_new(&c, 1, &m, &err)) {
    fprintf(stderr, "bench_transformer: %s\n", err.message);
    return 1;
  }
  ctxlab_model_set_threads(m, threads);
  size_t N = B * T, V = c.vocab_size, P = m->n_params;
  uint32_t *tokens = malloc((N + B) * sizeof *tokens), *in = malloc(N * sizeof *in),
           *target = malloc(N * sizeof *target);
  float *logits = malloc(N * V * sizeof *logits), *dlogits = malloc(N * V * sizeof *dlogits);
  adamw opt = {calloc(P, sizeof(float)), calloc(P, sizeof(float)), 0};
  if (!tokens || !in || !target || !logits || !dlogits || !opt.m || !opt.v) return 1;
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 1, "bench.transformer", 0);
  for (size_t i = 0; i < N + B; ++i) tokens[i] = (uint32_t)ctxlab_rng_bounded(&rng, V);
  for (size_t b = 0; b < B; ++b)
    for (size_t t = 0; t < T; ++t) {
      in[b * T + t] = tokens[b * (T + 1) + t];
      target[b * T + t] = tokens[b * (T + 1) + t + 1];
    }
  double *step_secs = malloc((size_t)steps * sizeof *step_secs), best_phase[4] = {0}, loss = 0;
  double step = INFINITY;
  if (!step_secs || steps < 1) return 1;
  for (long s = -3; s < steps; ++s) { /* s < 0: warm-up */
    double t[5];
    t[0] = now();
    if (ctxlab_model_forward(m, in, B, T, logits, &err)) {
      fprintf(stderr, "bench_transformer: %s\n", err.message);
      return 1;
    }
    t[1] = now();
    loss = ctxlab_xent(logits, target, N, (uint32_t)V, 1.0f / (float)N, dlogits, threads) / (double)N;
    t[2] = now();
    memset(m->grads, 0, P * sizeof(float));
    m->ops->backward(m, dlogits, &err);
    t[3] = now();
    adamw_step(&opt, m->params, m->grads, P, threads);
    t[4] = now();
    if (s < 0) continue;
    step_secs[s] = t[4] - t[0];
    if (step_secs[s] < step) {
      step = step_secs[s];
      for (int k = 0; k < 4; ++k) best_phase[k] = t[k + 1] - t[k];
    }
  }
  qsort(step_secs, (size_t)steps, sizeof *step_secs, by_value);
  double median = step_secs[steps / 2];
  double d = c.d_model, flops = 6.0 * (double)N * (c.n_layer * 12 * d * d + (double)V * d) +
                                6.0 * c.n_layer * (double)B * d * (double)T * (double)(T + 1);
  printf("{\"what\": \"transformer train step\", \"threads\": %d, \"batch\": %zu, \"seq\": %zu, "
         "\"vocab\": %zu, \"dim\": %u, \"layers\": %u, \"heads\": %u, \"params\": %zu, "
         "\"step_seconds\": %.6f, \"median_step_seconds\": %.6f, \"tokens_per_second\": %.1f, "
         "\"model_gflop_per_step\": %.6f, "
         "\"gflops\": %.2f, \"forward_seconds\": %.6f, \"xent_seconds\": %.6f, "
         "\"backward_seconds\": %.6f, \"adamw_seconds\": %.6f, \"last_loss\": %.6f}\n",
         threads, B, T, V, c.d_model, c.n_layer, c.n_head, P, step, median, (double)N / step,
         flops * 1e-9, flops / step * 1e-9, best_phase[0], best_phase[1], best_phase[2],
         best_phase[3], loss);
  ctxlab_model_free(m);
  free(tokens);
  free(in);
  free(target);
  free(logits);
  free(dlogits);
  free(opt.m);
  free(opt.v);
  free(step_secs);
  return 0;
}
