/* sim/rnn/rnn.h (internal): the recurrent model kind "rnn" (cells lru and
 * gru): where each tensor lies in the parameter array.  The architecture is
 * described in sim/rnn/rnn.c. */
#ifndef CTXLAB_SIM_RNN_RNN_H
#define CTXLAB_SIM_RNN_RNN_H

#include <stddef.h>

#include "sim/model.h"

/* Offsets (in floats, into params / grads) of one LRU block's tensors. */
typedef struct ctxlab_lru_block {
  size_t norm1_w, norm1_b, in_proj, nu_log, theta_log, gamma_log, out_proj;
  size_t norm2_w, norm2_b, fc_w, fc_b, proj_w, proj_b;
} ctxlab_lru_block;

/* Offsets of one GRU layer's tensors. */
typedef struct ctxlab_gru_layer {
  size_t w_ih, w_hh, b_ih, b_hh;
} ctxlab_gru_layer;

typedef struct ctxlab_rnn_layout {
  ctxlab_rnn_cell cell;
  size_t V, d, s, L;         /* vocabulary, d_model, state_size, n_layer */
  size_t wte, head_w;        /* both cells */
  size_t norm_f_w, norm_f_b; /* lru */
  size_t head_b;             /* gru */
  ctxlab_lru_block *lru;     /* L blocks (lru), or NULL */
  ctxlab_gru_layer *gru;     /* L layers (gru), or NULL */
} ctxlab_rnn_layout;

extern const ctxlab_model_ops ctxlab_rnn_ops;

/* The layout of an "rnn" model (for the gradient tests, which run the same
 * code in double). */
const ctxlab_rnn_layout *ctxlab_rnn_layout_of(const ctxlab_model *m);

#endif
