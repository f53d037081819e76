/* summary.json's "fits": the scaling laws of SCIENCE.md section 1 fitted to
 * the language's exact curves and to the measured points (theory/fit/, GSL
 * nonlinear least squares with standard errors).
 *
 *   bayes_exact      H(c) = C0 + C c^-gamma on the exact curve, c = 1..max
 *                    grid context;
 *   loss_vs_context  the same form on measured losses, per model and D:
 *                    transformer/rnn on the per-position curve (positions
 *                    1..T of the longest grid context); ngram/mlp on the grid
 *                    contexts 1..c*(D), where the loss still falls (beyond
 *                    c* the approximation loss turns it up, which the form
 *                    cannot describe);
 *   approx_vs_data   L_approx = A D^-alpha on the measured KL (mean over
 *                    seeds) per model and context, weighted by relative
 *                    errors (sigma = KL) so that every D counts: the KL spans
 *                    decades, and an unweighted fit would be decided by the
 *                    smallest D alone;
 *   entropy_linear   H(0) - H(c) = k S(c) + b where the language defines S.
 * A fit that cannot be made (too few points, no convergence) is left out of
 * its list, or is null; it never fails the summary.  Every mean adds seeds
 * in grid order, so the fits depend only on the set of results lines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/fit.h"
#include "sim/model.h"
#include "sim/sweep/sweep_impl.h"

/* transformer, rnn: the eval curve is the loss at each position 1..T */
static int is_sequence_model(const ctxlab_sweep *s, size_t mi) {
  return ctxlab_model_kind(s->models[mi].cfg.model)->whole_prefix;
}

static uint32_t max_grid_context(const ctxlab_sweep *s, size_t *index) {
  uint32_t best = 0;
  *index = 0;
  for (size_t ci = 0; ci < s->n_context; ++ci)
    if (s->context[ci] >= best) {
      best = s->context[ci];
      *index = ci;
    }
  return best;
}

/* The fit as JSON with "model" (borrowed) and key: value (stolen), or NULL. */
static json_t *fit_entry(const ctxlab_fit_result *fit, json_t *model, const char *key,
                         json_t *value) {
  json_t *o = ctxlab_fit_to_json(fit, NULL);
  if (o) {
    json_object_set(o, "model", model);
    json_object_set(o, key, value);
  }
  json_decref(value);
  return o;
}

static void append(json_t *list, json_t *entry) {
  if (entry) json_array_append_new(list, entry);
}

/* H(c), c = 1..max grid context, and S(c) where defined, from the theory. */
static void truth_fits(const ctxlab_sweep *s, json_t *fits) {
  size_t ci;
  ctxlab_theory_options o;
  ctxlab_theory_options_init(&o);
  o.max_context = max_grid_context(s, &ci);
  o.curves = CTXLAB_CURVE_INTRINSIC_ENTROPY;
  ctxlab_truth truth;
  ctxlab_fit_result fit;
  json_t *bayes = NULL, *linear = NULL;
  if (o.max_context >= 1 && ctxlab_theory_compute(s->lang, &o, &truth, NULL) == CTXLAB_OK) {
    if (ctxlab_fit_truth_bayes_risk(&truth, &fit, NULL) == CTXLAB_OK)
      bayes = ctxlab_fit_to_json(&fit, NULL);
    if (ctxlab_fit_truth_entropy_relation(&truth, &fit, NULL) == CTXLAB_OK)
      linear = ctxlab_fit_to_json(&fit, NULL);
    ctxlab_truth_free(&truth);
  }
  json_object_set_new(fits, "bayes_exact", bayes ? bayes : json_null());
  json_object_set_new(fits, "entropy_linear", linear ? linear : json_null());
}

/* Mean over finished seeds of measured.loss_by_context_bits[k], k = 0..T-1,
 * of point (mi, ci, di) into y; the number of positions every seed has. */
static size_t position_means(const ctxlab_sweep *s, const ctxlab_sweep_results *r, size_t mi,
                             size_t ci, size_t di, size_t T, double *y) {
  size_t seeds = 0;
  memset(y, 0, T * sizeof *y);
  for (size_t si = 0; si < s->n_seed; ++si) {
    const size_t index = ((mi * s->n_context + ci) * s->n_train + di) * s->n_seed + si;
    const json_t *curve = json_object_get(
        json_object_get(ctxlab_sweep_results_get(r, index), "measured"), "loss_by_context_bits");
    if (!curve) continue;
    if (json_array_size(curve) < T) return 0;
    for (size_t k = 0; k < T; ++k) y[k] += json_number_value(json_array_get(curve, k));
    ++seeds;
  }
  for (size_t k = 0; k < T && seeds; ++k) y[k] /= (double)seeds;
  return seeds ? T : 0;
}

/* Measured loss vs context for model mi at D index di (see the file comment);
 * the number of points in x, y. */
static size_t loss_points(const ctxlab_sweep *s, const ctxlab_sweep_results *r, size_t mi,
                          size_t di, double *x, double *y) {
  size_t n = 0, missing;
  if (is_sequence_model(s, mi)) {
    size_t ci;
    const uint32_t T = max_grid_context(s, &ci);
    n = position_means(s, r, mi, ci, di, T, y);
    for (size_t k = 0; k < n; ++k) x[k] = (double)(k + 1);
    return n;
  }
  size_t best;
  double best_value;
  ctxlab_sweep_argmin_context(s, r, mi, di, "measured", &best, &best_value);
  if (best == s->n_context) return 0;
  for (size_t ci = 0; ci < s->n_context; ++ci) {
    if (s->context[ci] < 1 || s->context[ci] > s->context[best]) continue;
    x[n] = s->context[ci];
    y[n++] = ctxlab_sweep_seed_mean(s, r, mi, ci, di, "measured", "loss_bits", &missing);
  }
  return n;
}

static json_t *loss_vs_context(const ctxlab_sweep *s, const ctxlab_sweep_results *r, double *x,
                               double *y) {
  json_t *list = json_array();
  for (size_t mi = 0; mi < s->n_models && list; ++mi)
    for (size_t di = 0; di < s->n_train; ++di) {
      const size_t n = loss_points(s, r, mi, di, x, y);
      ctxlab_fit_result fit;
      if (n < 4 || ctxlab_fit_offset_power(x, y, NULL, n, &fit, NULL) != CTXLAB_OK) continue;
      append(list, fit_entry(&fit, s->models[mi].entry, "train_tokens",
                             json_integer((json_int_t)s->train_tokens[di])));
    }
  return list;
}

/* KL = A D^-alpha by GSL nonlinear least squares on relative residuals
 * (sigma_i = KL_i), with the covariance scaled by chi2 / dof because those
 * weights are relative, not absolute errors (scipy's curve_fit with
 * absolute_sigma=False does the same). */
static int relative_power_fit(const double *D, const double *kl, size_t n, ctxlab_fit_result *out) {
  if (ctxlab_fit_power(D, kl, kl, n, 0, out, NULL) != CTXLAB_OK) return CTXLAB_ENUMERIC;
  const double scale = out->chi2 / (double)out->dof;
  for (size_t i = 0; i < out->n_params; ++i) {
    out->std_error[i] *= sqrt(scale);
    for (size_t j = 0; j < out->n_params; ++j) out->covariance[i][j] *= scale;
  }
  return CTXLAB_OK;
}

static json_t *approx_vs_data(const ctxlab_sweep *s, const ctxlab_sweep_results *r, double *x,
                              double *y) {
  json_t *list = json_array();
  for (size_t mi = 0; mi < s->n_models; ++mi)
    for (size_t ci = 0; ci < s->n_context; ++ci) {
      size_t n = 0, missing;
      for (size_t di = 0; di < s->n_train; ++di) {
        const double kl = ctxlab_sweep_seed_mean(s, r, mi, ci, di, "measured", "kl_bits", &missing);
        if (isfinite(kl) && kl > 0) {
          x[n] = (double)s->train_tokens[di];
          y[n++] = kl;
        }
      }
      ctxlab_fit_result fit;
      if (n < 3 || relative_power_fit(x, y, n, &fit) != CTXLAB_OK) continue;
      append(list, fit_entry(&fit, s->models[mi].entry, "context", json_integer(s->context[ci])));
    }
  return list;
}

json_t *ctxlab_sweep_fits(const ctxlab_sweep *s, const ctxlab_sweep_results *r) {
  size_t ci;
  const size_t n = s->n_train + max_grid_context(s, &ci) + 1;
  double *x = malloc(2 * n * sizeof *x);
  json_t *fits = json_object();
  if (!x || !fits) {
    free(x);
    json_decref(fits);
    return NULL;
  }
  double *y = x + n;
  truth_fits(s, fits);
  json_object_set_new(fits, "loss_vs_context", loss_vs_context(s, r, x, y));
  json_object_set_new(fits, "approx_vs_data", approx_vs_data(s, r, x, y));
  free(x);
  return fits;
}
