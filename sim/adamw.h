/* sim/adamw.h (internal): AdamW (Loshchilov & Hutter 2019, decoupled weight
 * decay) with global-norm gradient clipping, and the learning-rate schedule. */
#ifndef CTXLAB_SIM_ADAMW_H
#define CTXLAB_SIM_ADAMW_H

#include <stdint.h>

#include "sim/model.h"

typedef struct ctxlab_adamw {
  double beta1, beta2, eps, weight_decay, clip;
  uint64_t step; /* updates done */
  size_t n;
  float *m, *v; /* first and second moments, n each, zero at the start */
} ctxlab_adamw;

int ctxlab_adamw_init(ctxlab_adamw *o, size_t n, ctxlab_error *err);
void ctxlab_adamw_free(ctxlab_adamw *o);

/* One update of m->params from m->grads at learning rate lr.  Gradients whose
 * global L2 norm exceeds clip (> 0) are scaled down to it first.  Weight
 * decay applies to matrices (tensors of rank >= 2), not to gains, biases or
 * vectors.  Returns the gradient norm before clipping. */
double ctxlab_adamw_update(ctxlab_adamw *o, ctxlab_model *m, double lr);

/* Linear warmup over `warmup` steps, then cosine decay to final_fraction lr at
 * step `total`: the rate for update number step (0-based). */
double ctxlab_lr_schedule(double lr, uint64_t step, uint64_t warmup, uint64_t total,
                          double final_fraction);

#endif
