/* sim/model.h (internal): what a model kind implements, and the state every
 * model shares.
 *
 * Neural models keep all parameters in one float array `params` (and their
 * gradients in `grads`, the same layout), carved into named tensors listed in
 * `tensors`; the names are the checkpoint's (README, "Checkpoints").  Layers
 * are forward/backward pairs with shape comments, as in llm.c.  A model kind
 * is an ops table; sim/model.c dispatches to it. */
#ifndef CTXLAB_SIM_MODEL_H
#define CTXLAB_SIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ctxlab/sim.h"
#include "sim/safetensors.h"

#define CTXLAB_TENSOR_NAME_SIZE 64
#define CTXLAB_TENSOR_MAX_DIMS 4

/* A named slice of `params` (and of `grads`): shape[0..ndim-1], row-major. */
typedef struct ctxlab_tensor {
  char name[CTXLAB_TENSOR_NAME_SIZE];
  size_t offset; /* in floats from the start of params */
  int ndim;
  size_t shape[CTXLAB_TENSOR_MAX_DIMS];
} ctxlab_tensor;

typedef struct ctxlab_model_ops {
  const char *name; /* the kind: "ngram", "mlp", ... */

  /* 1: the model sees every token of a window before the position it scores
   * (transformer, rnn); 0: only the last cfg.context of them (ngram order,
   * mlp window).  The eval gives the oracle exactly what the model sees. */
  int whole_prefix;

  /* Validate m->cfg (errors name the option, e.g. "--heads 3 does not
   * divide --dim 64") and lay the model out: call ctxlab_model_add_tensor for
   * every tensor (neural models), set up m->impl.  sim/model.c then
   * allocates params and grads. */
  int (*create)(ctxlab_model *m, ctxlab_error *err);

  /* Random initial parameters (neural models) from rng.  NULL: nothing. */
  void (*init_params)(ctxlab_model *m, ctxlab_rng *rng);

  /* logits (B, T, V) for tokens (B, T), position t having seen tokens 0..t.
   * Keeps what backward needs (activations sized on demand). */
  int (*forward)(ctxlab_model *m, const uint32_t *tokens, size_t B, size_t T, float *logits,
                 ctxlab_error *err);

  /* grads += d(loss)/d(params) given dlogits (B, T, V) = d(loss)/d(logits) of
   * the last forward.  NULL for counting models. */
  int (*backward)(ctxlab_model *m, const float *dlogits, ctxlab_error *err);

  /* Counting models: add the n-gram statistics of tokens[0..n-1] (one
   * stream).  NULL for neural models. */
  int (*fit)(ctxlab_model *m, const uint32_t *tokens, size_t n, ctxlab_error *err);

  /* Counting models: write their statistics into a checkpoint as extra
   * tensors, and read them back (NULL for neural models, whose checkpoint is
   * their parameter tensors). */
  int (*save_extra)(const ctxlab_model *m, ctxlab_st_writer *w, ctxlab_error *err);
  int (*load_extra)(ctxlab_model *m, const ctxlab_st_file *f, ctxlab_error *err);

  /* Adopt config c, which differs from m->cfg only in position fields
   * (ctxlab_model_field_is_positional): check it as create does and rebuild
   * what was computed from them; m unchanged on error.  NULL for kinds
   * without position fields. */
  int (*set_positions)(ctxlab_model *m, const ctxlab_model_config *c, ctxlab_error *err);

  /* History-state floats after `context` tokens (ctxlab_model_history_state_floats). */
  double (*history_state_floats)(const ctxlab_model *m, size_t context);

  /* Free m->impl (params, grads and tensors are freed by sim/model.c). */
  void (*destroy)(ctxlab_model *m);
} ctxlab_model_ops;

struct ctxlab_model {
  const ctxlab_model_ops *ops;
  ctxlab_model_config cfg;
  int threads;
  size_t n_tensors, tensors_cap;
  ctxlab_tensor *tensors;
  size_t n_params; /* floats in params (and grads) */
  float *params, *grads;
  void *impl; /* the kind's own state (activations, counts) */
};

/* Append a tensor of the given shape (ndim entries of `shape`) after the
 * previous ones; returns its offset in floats, or (size_t)-1 with err set. */
size_t ctxlab_model_add_tensor(ctxlab_model *m, const char *name, int ndim, const size_t *shape,
                               ctxlab_error *err);

/* The tensor called `name`, or NULL. */
const ctxlab_tensor *ctxlab_model_find_tensor(const ctxlab_model *m, const char *name);

/* Element count of a tensor. */
size_t ctxlab_tensor_size(const ctxlab_tensor *t);

/* How many of the last n tokens the model sees when scoring the next one:
 * n, or min(n, cfg.context) for a fixed-context model (ops->whole_prefix 0). */
size_t ctxlab_model_tokens_seen(const ctxlab_model *m, size_t n);

/* The kinds (sim/model_registry.c); NULL when there is no such kind. */
const ctxlab_model_ops *ctxlab_model_kind(const char *name);

#endif
