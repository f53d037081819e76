/* notebooks-export/report_internal.h (internal): what the parts of
 * `ctxlab report` share: the data read from DIR, its aggregates, the truth of
 * the language, and the writers of each kind of output. */
#ifndef CTXLAB_NOTEBOOKS_REPORT_INTERNAL_H
#define CTXLAB_NOTEBOOKS_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "ctxlab/error.h"
#include "ctxlab/report.h"
#include "ctxlab/theory.h"
#include "notebooks-export/results.h"

/* One (model, train_tokens, context): the mean over its seeds. */
typedef struct ctxlab_report_cell {
  size_t model;
  int64_t train_tokens, context;
  size_t seeds;
  double loss_bits;     /* mean of measured.loss_bits */
  double loss_err_bits; /* standard error of that mean over seeds (n >= 2), else the
                           point's own stderr_bits */
  double kl_bits, kl_err_bits; /* the same for kl_bits (err NaN for one seed) */
  double bayes_bits;           /* mean of measured.bayes_bits */
  double predicted_bayes_bits, predicted_approx_bits, predicted_loss_bits; /* mean; NaN if none */
} ctxlab_report_cell;

/* c*(D) of one model: the grid context of least mean loss (ties: the smaller). */
typedef struct ctxlab_report_optimum {
  size_t model;
  int64_t train_tokens;
  int64_t measured_context;
  double measured_loss_bits;
  int64_t predicted_context; /* -1 when no cell has a predicted loss */
  double predicted_loss_bits;
} ctxlab_report_optimum;

typedef struct ctxlab_report {
  const ctxlab_report_options *opts;
  ctxlab_report_data data;
  ctxlab_report_cell *cells; /* sorted by model, train_tokens, context */
  size_t n_cells;
  ctxlab_report_optimum *optima; /* sorted by model, train_tokens */
  size_t n_optima;
  char language[160];  /* a short description: "santa-fe (latent, 2048 tokens)" */
  ctxlab_truth truth;
  int have_bipartite_fit;
  double bipartite_exponent, bipartite_prefactor_bits;
  int64_t bipartite_length_min, bipartite_length_max;
} ctxlab_report;

int ctxlab_report_aggregate(ctxlab_report *r, ctxlab_error *err);
int ctxlab_report_write_tables(ctxlab_report *r, ctxlab_error *err);
int ctxlab_report_write_figures(ctxlab_report *r, ctxlab_error *err);
int ctxlab_report_write_notebook(ctxlab_report *r, ctxlab_error *err);

/* DIR/name in a new string (NULL: out of memory). */
char *ctxlab_report_path(const ctxlab_report *r, const char *name);
/* Tell the caller that path was written. */
void ctxlab_report_announce(const ctxlab_report *r, const char *path);

/* summary.json's fits.<name> when it is an object (NULL otherwise), and the
 * number fit.<group>.<param> (fit.<param> when group is NULL; NaN when absent). */
const json_t *ctxlab_report_fit(const ctxlab_report *r, const char *name);
double ctxlab_report_fit_value(const json_t *fit, const char *group, const char *param);
/* The entries of the fit array fits.<name> (NULL when absent). */
const json_t *ctxlab_report_fit_list(const ctxlab_report *r, const char *name);

/* The entry of the fit array fits.<name> for model `model` whose integer
 * field `key` ("context" or "train_tokens") is `value`; NULL when none. */
const json_t *ctxlab_report_find_fit(const ctxlab_report *r, const char *name, size_t model,
                                     const char *key, int64_t value);

/* Models scored at every position of a sequence (transformer, rnn), whose
 * per-position losses the report plots. */
int ctxlab_report_is_sequence_model(const char *kind);

/* The fitted curves, NaN where there is no fit: summary.json's fit of the
 * exact Bayes risk, C0 + C c^-gamma (c >= 1), and the bipartite-MI power law
 * A n^beta of the truth. */
double ctxlab_report_bayes_fit_bits(const ctxlab_report *r, double c);
double ctxlab_report_bipartite_fit_bits(const ctxlab_report *r, double n);

/* A count as short text: 1000, 1e5, 3e6 (exact multiples of powers of ten
 * from 10^4 on), else digits. */
void ctxlab_report_count_text(int64_t v, char *buf, size_t size);

#endif
