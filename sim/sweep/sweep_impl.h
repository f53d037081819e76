/* sim/sweep/sweep_impl.h (internal): the parsed experiment that the sweep
 * files share. */
#ifndef CTXLAB_SIM_SWEEP_IMPL_H
#define CTXLAB_SIM_SWEEP_IMPL_H

#include <jansson.h>

#include "ctxlab/lang.h"
#include "ctxlab/sim.h"
#include "ctxlab/sweep.h"
#include "ctxlab/theory.h"

/* One model entry of the experiment. */
typedef struct sweep_model {
  ctxlab_model_config cfg; /* context is set per point */
  int trainable;           /* mlp, transformer, rnn: the training options apply */
  uint64_t steps;
  uint32_t batch, epochs, patience;
  double lr, weight_decay;
  json_t *entry;           /* canonical entry: {"model", every option, training options} */
} sweep_model;

struct ctxlab_sweep {
  json_t *canonical;
  ctxlab_lang *lang;
  size_t n_models, n_context, n_train, n_seed, n_points;
  sweep_model *models;
  uint32_t *context;
  uint64_t *train_tokens, *seed;
  uint64_t eval_tokens;
  /* per (model, context) at [model * n_context + context index] */
  json_t **point_models;   /* the "model" object of a results line */
  double *param_count;
  /* the theory, filled by ctxlab_sweep_prepare: H(c) for c = 0..max context */
  int prepared;
  ctxlab_curve bayes;
};

/* Index of `context` in the grid (n_context when absent). */
size_t ctxlab_sweep_context_index(const ctxlab_sweep *s, uint32_t context);

/* Check that `line` (a parsed results line) is a result of a point of s;
 * where ("results.jsonl line 3") starts messages.  *index receives its index. */
int ctxlab_sweep_check_line(const ctxlab_sweep *s, const json_t *line, const char *where,
                            size_t *index, ctxlab_error *err);

#endif
