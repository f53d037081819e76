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
  int has_eval;            /* the entry's "eval": position handling overridden at evaluation */
  ctxlab_model_config eval_cfg; /* cfg with those overrides (context set per point) */
  int trainable;           /* mlp, transformer, rnn: the training options apply */
  uint64_t steps;
  uint32_t batch, epochs, patience;
  double lr, weight_decay;
  json_t *entry;           /* canonical entry: {"model", every option, training options,
                              "eval": every position option evaluated (with has_eval)} */
} sweep_model;

struct ctxlab_sweep {
  json_t *canonical;
  ctxlab_lang *lang;
  size_t n_models, n_context, n_train, n_seed, n_points;
  sweep_model *models;
  uint32_t *context;
  uint64_t *train_tokens, *seed;
  uint64_t eval_tokens;
  uint64_t eval_context;   /* evaluate at least this far (0: each point's context) */
  /* per (model, context) at [model * n_context + context index] */
  json_t **point_models;   /* the "model" object of a results line */
  double *param_count;
  /* the theory, filled by ctxlab_sweep_prepare: H(c) for c = 0..max context */
  int prepared;
  ctxlab_curve bayes;
  /* predictions, the same for every seed: [(model * n_context + ci) * n_train + di],
   * filled by the points this process runs */
  json_t **predicted;
  double predict_s;        /* seconds this process has spent predicting */
};

/* Index of `context` in the grid (n_context when absent). */
size_t ctxlab_sweep_context_index(const ctxlab_sweep *s, uint32_t context);

/* Check that `line` (a parsed results line) is a result of a point of s;
 * where ("results.jsonl line 3") starts messages.  *index receives its index. */
int ctxlab_sweep_check_line(const ctxlab_sweep *s, const json_t *line, const char *where,
                            size_t *index, ctxlab_error *err);

/* Mean over the finished seeds of point (model mi, context index ci, D index
 * di) of line[group][key]; NAN when no seed has a number there.  *missing
 * counts finished seeds without one. */
double ctxlab_sweep_seed_mean(const ctxlab_sweep *s, const ctxlab_sweep_results *r, size_t mi,
                              size_t ci, size_t di, const char *group, const char *key,
                              size_t *missing);

/* The grid context index with the least seed-mean group.loss_bits for model
 * mi at D index di (*best = n_context when undetermined), and that value. */
void ctxlab_sweep_argmin_context(const ctxlab_sweep *s, const ctxlab_sweep_results *r, size_t mi,
                                 size_t di, const char *group, size_t *best, double *best_value);

/* summary.json's "fits" (fits.c). */
json_t *ctxlab_sweep_fits(const ctxlab_sweep *s, const ctxlab_sweep_results *r);

#endif
