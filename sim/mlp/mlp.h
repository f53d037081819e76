/* sim/mlp/mlp.h (internal): the window model kind "mlp": where each tensor
 * lies in the parameter array.  The architecture is described in
 * sim/mlp/mlp.c. */
#ifndef CTXLAB_SIM_MLP_MLP_H
#define CTXLAB_SIM_MLP_MLP_H

#include <stddef.h>

#include "sim/model.h"

typedef struct ctxlab_mlp_layout {
  size_t V, c, d, H, L;        /* vocabulary, window, d_model, hidden, n_layer */
  size_t wte;                  /* (V + 1, d): row V is the padding embedding */
  size_t *hidden_w, *hidden_b; /* L offsets each */
  size_t head_w, head_b;
} ctxlab_mlp_layout;

/* Input width of hidden layer i (i = L: of the head). */
static inline size_t ctxlab_mlp_in(const ctxlab_mlp_layout *ly, size_t i) {
  return i ? ly->H : ly->c * ly->d;
}

extern const ctxlab_model_ops ctxlab_mlp_ops;

/* The layout of an "mlp" model (for the gradient tests). */
const ctxlab_mlp_layout *ctxlab_mlp_layout_of(const ctxlab_model *m);

#endif
