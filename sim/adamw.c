/* AdamW.  Every loop is over parameters in index order, in double for the
 * norm, so an update does not depend on the thread count. */
#include "sim/adamw.h"

#include <math.h>
#include <stdlib.h>

int ctxlab_adamw_init(ctxlab_adamw *o, size_t n, ctxlab_error *err) {
  o->step = 0;
  o->n = n;
  o->m = calloc(n ? n : 1, sizeof(float));
  o->v = calloc(n ? n : 1, sizeof(float));
  if (!o->m || !o->v) {
    ctxlab_adamw_free(o);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (optimizer state, %zu floats)", n);
  }
  return CTXLAB_OK;
}

void ctxlab_adamw_free(ctxlab_adamw *o) {
  free(o->m);
  free(o->v);
  o->m = o->v = NULL;
}

double ctxlab_adamw_update(ctxlab_adamw *o, ctxlab_model *m, double lr) {
  double sq = 0;
  for (size_t i = 0; i < m->n_params; ++i) sq += (double)m->grads[i] * m->grads[i];
  double norm = sqrt(sq);
  float gscale = o->clip > 0 && norm > o->clip ? (float)(o->clip / norm) : 1.0f;
  o->step++;
  /* bias corrections of Kingma & Ba 2015, Algorithm 1 */
  const float c1 = (float)(1.0 / (1.0 - pow(o->beta1, (double)o->step)));
  const float c2 = (float)(1.0 / (1.0 - pow(o->beta2, (double)o->step)));
  /* 1 - beta in double first: 1 - (float)0.999 is off by 1e-5 relative */
  const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps, a = (float)lr;
  const float a1 = (float)(1 - o->beta1), a2 = (float)(1 - o->beta2);
  for (size_t k = 0; k < m->n_tensors; ++k) {
    const ctxlab_tensor *t = &m->tensors[k];
    const float decay = t->ndim >= 2 ? (float)(lr * o->weight_decay) : 0.0f;
    float *p = m->params + t->offset, *mm = o->m + t->offset, *vv = o->v + t->offset;
    const float *g = m->grads + t->offset;
    size_t n = ctxlab_tensor_size(t);
#pragma omp parallel for schedule(static) num_threads(m->threads) if (n > 65536)
    for (size_t i = 0; i < n; ++i) {
      float gi = g[i] * gscale;
      mm[i] = b1 * mm[i] + a1 * gi;
      vv[i] = b2 * vv[i] + a2 * gi * gi;
      p[i] -= a * (mm[i] * c1) / (sqrtf(vv[i] * c2) + eps) + decay * p[i];
    }
  }
  return norm;
}

double ctxlab_lr_schedule(double lr, uint64_t step, uint64_t warmup, uint64_t total,
                          double final_fraction) {
  if (step < warmup) return lr * (double)(step + 1) / (double)warmup;
  if (total <= warmup) return lr;
  double progress = (double)(step - warmup) / (double)(total - warmup);
  if (progress > 1) progress = 1;
  double lo = lr * final_fraction;
  return lo + 0.5 * (lr - lo) * (1 + cos(M_PI * progress));
}
