/* notebooks-export/results.h (internal): a sweep's output directory read into
 * memory: DIR/experiment.json, DIR/results.jsonl (points sorted by index) and
 * DIR/summary.json (ISSUE4 contract). */
#ifndef CTXLAB_NOTEBOOKS_RESULTS_H
#define CTXLAB_NOTEBOOKS_RESULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

/* One finished grid point.  Values absent or null in the file are NaN. */
typedef struct ctxlab_report_point {
  int64_t index, context, train_tokens, seed;
  size_t model; /* index into ctxlab_report_data.models */
  double loss_bits, stderr_bits, bayes_bits, kl_bits, mean_loss_bits, time_s;
  double predicted_bayes_bits, predicted_approx_bits, predicted_loss_bits;
  size_t positions;         /* length of the per-position curves (0: none) */
  double *loss_by_context;  /* [c-1] for c = 1..positions */
  double *bayes_by_context;
} ctxlab_report_point;

/* A model of the experiment: its config without the per-point keys
 * (train_context, context, train_tokens, seed), and a short label unique
 * within the experiment ("ngram", or "ngram beta=2" when two ngram models
 * differ in beta). */
typedef struct ctxlab_report_model {
  json_t *config;
  char kind[16];
  char label[96];
} ctxlab_report_model;

typedef struct ctxlab_report_data {
  char *dir;
  json_t *experiment;
  json_t *summary;
  ctxlab_report_point *points;
  size_t n_points;
  ctxlab_report_model *models;
  size_t n_models;
} ctxlab_report_data;

typedef void (*ctxlab_report_warn_fn)(void *ctx, const char *message);

/* Read DIR.  A last line of results.jsonl that ends without a newline and does
 * not parse (a write cut short) is skipped with a warning; any other bad line,
 * a missing file or a duplicate index is an error naming the file and line. */
int ctxlab_report_data_load(const char *dir, ctxlab_report_data *d, ctxlab_report_warn_fn warn,
                            void *warn_ctx, ctxlab_error *err);
void ctxlab_report_data_free(ctxlab_report_data *d);

/* The model whose config equals `model` once stripped of the per-point keys;
 * -1 when none. */
long ctxlab_report_find_model(const ctxlab_report_data *d, const json_t *model);

/* A copy of a model config without the per-point keys (NULL: out of memory). */
json_t *ctxlab_report_model_key(const json_t *model);

#endif
