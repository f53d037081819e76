/* Training speed of the transformer: one JSON line.
 *
 *   bench_transformer [--threads 2] [--steps 20] [--repeat 5] [--batch 32] [--seq 128]
 *                     [--vocab 64] [--dim 64] [--layers 2] [--heads 4]
 *
 * A step is what training does: forward, ctxlab_xent (scale 1/(B T)),
 * zeroing the gradients, backward, and an AdamW update written here (PyTorch's
 * torch.optim.AdamW with its defaults: lr 1e-3, betas 0.9 / 0.999, eps 1e-8,
 * weight decay 0.01, decoupled).  Tokens are uniform random (speed does not
 * depend on them).  After 3 warm-up steps, `repeat` runs of `steps` steps are
 * timed; the best run is reported (noise only ever adds time), with the time
 * of each phase in that run.  Model FLOPs per step (the same count as
 * bench_transformer.py uses for PyTorch):
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

static long arg(int argc, char **argv, const char *name, long dflt) {
  for (int i = 1; i + 1 < argc; ++i)
    if (strcmp(argv[i], name) == 0) return strtol(argv[i + 1], NULL, 10);
  return dflt;
}

int main(int argc, char **argv) {
  int threads = (int)arg(argc, argv, "--threads", 2);
  long steps = arg(argc, argv, "--steps", 20), repeat = arg(argc, argv, "--repeat", 5);
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
  double best = INFINITY, phase[4] = {0}, best_phase[4] = {0}, loss = 0;
  for (long r = -1; r < repeat; ++r) {
    long n = r < 0 ? 3 : steps; /* r = -1: warm-up */
    memset(phase, 0, sizeof phase);
    double t0 = now();
    for (long s = 0; s < n; ++s) {
      double a = now();
      if (ctxlab_model_forward(m, in, B, T, logits, &err)) {
        fprintf(stderr, "bench_transformer: %s\n", err.message);
        return 1;
      }
      double b = now();
      loss = ctxlab_xent(logits, target, N, (uint32_t)V, 1.0f / (float)N, dlogits) / (double)N;
      double cc = now();
      memset(m->grads, 0, P * sizeof(float));
      m->ops->backward(m, dlogits, &err);
      double d = now();
      adamw_step(&opt, m->params, m->grads, P, threads);
      double e = now();
      phase[0] += b - a;
      phase[1] += cc - b;
      phase[2] += d - cc;
      phase[3] += e - d;
    }
    double secs = now() - t0;
    if (r >= 0 && secs < best) {
      best = secs;
      memcpy(best_phase, phase, sizeof phase);
    }
  }
  double d = c.d_model, flops = 6.0 * (double)N * (c.n_layer * 12 * d * d + (double)V * d) +
                                6.0 * c.n_layer * (double)B * d * (double)T * (double)(T + 1);
  double step = best / (double)steps;
  printf("{\"what\": \"transformer train step\", \"threads\": %d, \"batch\": %zu, \"seq\": %zu, "
         "\"vocab\": %zu, \"dim\": %u, \"layers\": %u, \"heads\": %u, \"params\": %zu, "
         "\"step_seconds\": %.6f, \"tokens_per_second\": %.1f, \"model_gflop_per_step\": %.6f, "
         "\"gflops\": %.2f, \"forward_seconds\": %.6f, \"xent_seconds\": %.6f, "
         "\"backward_seconds\": %.6f, \"adamw_seconds\": %.6f, \"last_loss\": %.6f}\n",
         threads, B, T, V, c.d_model, c.n_layer, c.n_head, P, step, (double)N / step, flops * 1e-9,
         flops / step * 1e-9, best_phase[0] / steps, best_phase[1] / steps, best_phase[2] / steps,
         best_phase[3] / steps, loss);
  ctxlab_model_free(m);
  free(tokens);
  free(in);
  free(target);
  free(logits);
  free(dlogits);
  free(opt.m);
  free(opt.v);
  return 0;
}
