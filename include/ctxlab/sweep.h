/* ctxlab/sweep.h: experiments over a grid of models x context x data x seed.
 *
 * An experiment (JSON, see sim/sweep/README.md) names a language, a list of
 * model entries and a grid; every combination is a point, numbered in the
 * canonical order (models, then context, then train_tokens, then seed, the
 * last varying fastest).  A point is trained on a fixed training set of D
 * tokens, evaluated against the Bayes oracle, and written as one line of
 * DIR/results.jsonl next to the predictions of the theory.  The results file
 * is append-only: a sweep killed at any moment loses only the points it was
 * running, and running it again completes the rest with identical results.
 *
 * Layers: ctxlab_sweep (the parsed experiment: points, running one point),
 * ctxlab_sweep_results (the results file: resume, append) and the summary.
 * ctxlab_sweep_run drives a whole sweep in one process; the CLI uses the
 * pieces to spread points over processes or MPI ranks. */
#ifndef CTXLAB_SWEEP_H
#define CTXLAB_SWEEP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ctxlab_sweep ctxlab_sweep;

/* Parse an experiment: `arg` is inline JSON (starts with '{') or a file path.
 * Unknown keys, wrong types, values out of range and model configs that
 * cannot be built are CTXLAB_EINVAL with the JSON path in the message. */
int ctxlab_sweep_new(const char *arg, ctxlab_sweep **out, ctxlab_error *err);
/* The same from parsed JSON; `where` names its origin in messages (may be NULL). */
int ctxlab_sweep_from_json(const json_t *experiment, const char *where, ctxlab_sweep **out,
                           ctxlab_error *err);
void ctxlab_sweep_free(ctxlab_sweep *s);

/* The experiment with every default filled in (new reference; NULL when out
 * of memory).  Parsing it gives the same experiment. */
json_t *ctxlab_sweep_canonical(const ctxlab_sweep *s);

/* Number of grid points (at least 1). */
size_t ctxlab_sweep_point_count(const ctxlab_sweep *s);

typedef struct ctxlab_sweep_point {
  size_t index;          /* position in the canonical enumeration */
  size_t model;          /* index into the experiment's models */
  uint32_t context;
  uint64_t train_tokens;
  uint64_t seed;
} ctxlab_sweep_point;

void ctxlab_sweep_point_at(const ctxlab_sweep *s, size_t index, ctxlab_sweep_point *p);

/* A rough relative cost of running point `index` (arithmetic of training and
 * evaluation), for spreading points over workers. */
double ctxlab_sweep_point_cost(const ctxlab_sweep *s, size_t index);

/* Compute what the points' predictions need from the theory (the language's
 * H(c) up to the largest context of the grid), once.  ctxlab_sweep_run_point
 * calls it when it has not been called. */
int ctxlab_sweep_prepare(ctxlab_sweep *s, int threads, ctxlab_error *err);

/* Train and evaluate point `index` with `threads` threads (0: all; results do
 * not depend on it), and predict its loss from the theory (once per grid
 * cell: the seeds share it).  *line receives the results line: compact JSON
 * ending in '\n' (free() it).  *work_s (may be NULL) receives the seconds
 * spent training and evaluating (the line's time_s). */
int ctxlab_sweep_run_point(ctxlab_sweep *s, size_t index, int threads, char **line,
                           double *work_s, ctxlab_error *err);

/* Seconds this process has spent on the points' predictions so far. */
double ctxlab_sweep_prediction_seconds(const ctxlab_sweep *s);

/* ---- the results file ----------------------------------------------------- */

typedef struct ctxlab_sweep_results ctxlab_sweep_results;

/* Open (or create) the results file of experiment s and take an exclusive
 * lock on it (CTXLAB_EINVAL when another sweep holds it).  A trailing partial
 * line (a write cut short by a kill) is truncated away; every complete line
 * must be a result of a point of s (CTXLAB_EFORMAT names the line otherwise). */
int ctxlab_sweep_results_open(const ctxlab_sweep *s, const char *path, ctxlab_sweep_results **out,
                              ctxlab_error *err);
void ctxlab_sweep_results_close(ctxlab_sweep_results *r);

/* Points with a line in the file. */
size_t ctxlab_sweep_results_finished(const ctxlab_sweep_results *r);
int ctxlab_sweep_results_has(const ctxlab_sweep_results *r, size_t index);
/* The parsed line of point `index` (borrowed), or NULL. */
const json_t *ctxlab_sweep_results_get(const ctxlab_sweep_results *r, size_t index);

/* Check a line from ctxlab_sweep_run_point (any process) and append it with
 * one write(2): from then on no process kill can lose it.  A helper thread
 * fdatasync(2)s it while the caller goes on.  *index (may be NULL) receives
 * its point.  A line of another experiment, or of a point already there, is
 * CTXLAB_EFORMAT. */
int ctxlab_sweep_results_append(ctxlab_sweep_results *r, const char *line, size_t *index,
                                ctxlab_error *err);
/* Wait until every appended line is on disk (CTXLAB_EIO when a flush failed). */
int ctxlab_sweep_results_flush(ctxlab_sweep_results *r, ctxlab_error *err);

/* ---- the directory and the summary ---------------------------------------- */

/* Create dir (and its parents) and write dir/experiment.json, or check that
 * the one there is this experiment (CTXLAB_EINVAL when it differs). */
int ctxlab_sweep_prepare_dir(const ctxlab_sweep *s, const char *dir, ctxlab_error *err);

/* summary.json's object from the results (new reference; NULL when out of
 * memory): the experiment, point counts, the optimal context per model and D
 * (measured and predicted) and the fits. */
json_t *ctxlab_sweep_summary(const ctxlab_sweep *s, const ctxlab_sweep_results *r);

/* Write ctxlab_sweep_summary to path atomically. */
int ctxlab_sweep_write_summary(const ctxlab_sweep *s, const ctxlab_sweep_results *r,
                               const char *path, ctxlab_error *err);

/* ---- a whole sweep in this process ---------------------------------------- */

typedef struct ctxlab_sweep_progress_info {
  size_t done, total;       /* points finished in this run / to run in this run */
  size_t finished_before;   /* points found finished in the results file */
  double elapsed_s;
  double work_s;            /* training + evaluation seconds of the points done */
} ctxlab_sweep_progress_info;

/* Called after each point; a nonzero return stops the sweep (CTXLAB_ECANCELED). */
typedef int (*ctxlab_sweep_progress)(void *ctx, const ctxlab_sweep_progress_info *info);

/* Run every point of s not yet in dir/results.jsonl, then write
 * dir/summary.json.  progress may be NULL. */
int ctxlab_sweep_run(ctxlab_sweep *s, const char *dir, int threads, ctxlab_sweep_progress progress,
                     void *progress_ctx, ctxlab_error *err);

#ifdef __cplusplus
}
#endif

#endif
