/* summary.json: what the finished points say together.
 *
 * optimal_context, per model and training-set size D: the grid context with
 * the least loss, measured (the mean over seeds of measured.loss_bits) and
 * predicted (the same of predicted.loss_bits, where every point has one).
 * Means add seeds in grid order and ties go to the smaller context, so
 * the summary depends only on the set of lines, not on their order.  The
 * scaling-law fits are in fits.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic_file.h"
#include "sim/sweep/sweep_impl.h"


/* Mean over the finished seeds of point (model, context ci, D di) of
 * line[group][key]; NAN when no seed has a number there. */
double ctxlab_sweep_seed_mean(const ctxlab_sweep *s, const ctxlab_sweep_results *r, size_t mi,
                              size_t ci, size_t di, const char *group, const char *key,
                              size_t *missing) {
  double sum = 0;
  size_t n = 0;
  *missing = 0;
  for (size_t si = 0; si < s->n_seed; ++si) {
    const size_t index = ((mi * s->n_context + ci) * s->n_train + di) * s->n_seed + si;
    const json_t *line = ctxlab_sweep_results_get(r, index);
    if (!line) continue;
    const json_t *v = json_object_get(json_object_get(line, group), key);
    if (!json_is_number(v)) {
      ++*missing;
      continue;
    }
    sum += json_number_value(v);
    ++n;
  }
  return n ? sum / (double)n : NAN;
}

/* Argmin over the grid's contexts; *best = n_context when none has a value.
 * A context where some finished point lacks the value disqualifies the whole
 * prediction (a partial argmin would mislead). */
void ctxlab_sweep_argmin_context(const ctxlab_sweep *s, const ctxlab_sweep_results *r, size_t mi,
                                 size_t di, const char *group, size_t *best, double *best_value) {
  *best = s->n_context;
  *best_value = NAN;
  for (size_t ci = 0; ci < s->n_context; ++ci) {
    size_t missing;
    const double x = ctxlab_sweep_seed_mean(s, r, mi, ci, di, group, "loss_bits", &missing);
    if (missing) {
      *best = s->n_context;
      return;
    }
    /* on equal losses the smaller context, whatever the grid's order (as the
     * report's tables: notebooks-export/aggregate.c) */
    if (isfinite(x) && (*best == s->n_context || x < *best_value ||
                        (x == *best_value && s->context[ci] < s->context[*best]))) {
      *best = ci;
      *best_value = x;
    }
  }
}

static json_t *context_or_null(const ctxlab_sweep *s, size_t ci) {
  return ci < s->n_context ? json_integer(s->context[ci]) : json_null();
}

static json_t *value_or_null(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static json_t *optimal_context(const ctxlab_sweep *s, const ctxlab_sweep_results *r) {
  json_t *list = json_array();
  for (size_t mi = 0; mi < s->n_models && list; ++mi)
    for (size_t di = 0; di < s->n_train && list; ++di) {
      size_t cm, cp;
      double xm, xp;
      ctxlab_sweep_argmin_context(s, r, mi, di, "measured", &cm, &xm);
      ctxlab_sweep_argmin_context(s, r, mi, di, "predicted", &cp, &xp);
      json_t *o = json_pack("{s:O, s:I, s:o, s:o, s:o, s:o}", "model", s->models[mi].entry,
                            "train_tokens", (json_int_t)s->train_tokens[di], "measured",
                            context_or_null(s, cm), "measured_loss_bits", value_or_null(xm),
                            "predicted", context_or_null(s, cp), "predicted_loss_bits",
                            value_or_null(xp));
      if (!o || json_array_append_new(list, o)) {
        json_decref(list);
        list = NULL;
      }
    }
  return list;
}

json_t *ctxlab_sweep_summary(const ctxlab_sweep *s, const ctxlab_sweep_results *r) {
  return json_pack("{s:O, s:I, s:I, s:o, s:o}", "experiment", s->canonical, "points",
                   (json_int_t)s->n_points, "finished",
                   (json_int_t)ctxlab_sweep_results_finished(r), "optimal_context",
                   optimal_context(s, r), "fits", ctxlab_sweep_fits(s, r));
}

int ctxlab_sweep_write_summary(const ctxlab_sweep *s, const ctxlab_sweep_results *r,
                               const char *path, ctxlab_error *err) {
  json_t *summary = ctxlab_sweep_summary(s, r);
  int st = summary ? ctxlab_write_json_atomic(path, summary, err)
                   : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (summary)");
  json_decref(summary);
  return st;
}
