/* The CSV tables of `ctxlab report` (columns in notebooks-export/README.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notebooks-export/csv.h"
#include "notebooks-export/report_internal.h"

static int finish(ctxlab_report *r, ctxlab_csv *t, const char *name, ctxlab_error *err) {
  char *path = ctxlab_report_path(r, name);
  if (!path) {
    ctxlab_csv_discard(t);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  }
  int rc = ctxlab_csv_write(t, path, err);
  if (!rc) ctxlab_report_announce(r, path);
  free(path);
  return rc;
}

static const char *label(const ctxlab_report *r, size_t model) {
  return r->data.models[model].label;
}

/* H(c) of the truth at context c (NaN beyond the curve). */
static double theory_bits(const ctxlab_curve *curve, int64_t x) {
  for (size_t i = 0; i < curve->n; ++i)
    if (curve->x[i] == x) return curve->bits[i];
  return NAN;
}

static int points_table(ctxlab_report *r, ctxlab_error *err) {
  ctxlab_csv t;
  int rc = ctxlab_csv_open(&t,
                           "index,model,context_tokens,train_tokens,seed,loss_bits,stderr_bits,"
                           "bayes_bits,kl_bits,mean_loss_bits,predicted_bayes_bits,"
                           "predicted_approx_bits,predicted_loss_bits,time_s",
                           err);
  if (rc) return rc;
  for (size_t i = 0; i < r->data.n_points; ++i) {
    const ctxlab_report_point *p = &r->data.points[i];
    ctxlab_csv_int(&t, p->index);
    ctxlab_csv_text(&t, label(r, p->model));
    ctxlab_csv_int(&t, p->context);
    ctxlab_csv_int(&t, p->train_tokens);
    ctxlab_csv_int(&t, p->seed);
    double v[] = {p->loss_bits, p->stderr_bits, p->bayes_bits, p->kl_bits, p->mean_loss_bits,
                  p->predicted_bayes_bits, p->predicted_approx_bits, p->predicted_loss_bits,
                  p->time_s};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; ++k) ctxlab_csv_num(&t, v[k]);
    ctxlab_csv_end_row(&t);
  }
  return finish(r, &t, "points.csv", err);
}

static int loss_table(ctxlab_report *r, ctxlab_error *err) {
  ctxlab_csv t;
  int rc = ctxlab_csv_open(&t,
                           "model,train_tokens,context_tokens,seeds,loss_bits,loss_err_bits,"
                           "bayes_bits,kl_bits,kl_err_bits,predicted_bayes_bits,"
                           "predicted_approx_bits,predicted_loss_bits,theory_bayes_bits",
                           err);
  if (rc) return rc;
  for (size_t i = 0; i < r->n_cells; ++i) {
    const ctxlab_report_cell *c = &r->cells[i];
    ctxlab_csv_text(&t, label(r, c->model));
    ctxlab_csv_int(&t, c->train_tokens);
    ctxlab_csv_int(&t, c->context);
    ctxlab_csv_int(&t, (int64_t)c->seeds);
    double v[] = {c->loss_bits, c->loss_err_bits, c->bayes_bits, c->kl_bits, c->kl_err_bits,
                  c->predicted_bayes_bits, c->predicted_approx_bits, c->predicted_loss_bits,
                  theory_bits(&r->truth.conditional_entropy, c->context)};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; ++k) ctxlab_csv_num(&t, v[k]);
    ctxlab_csv_end_row(&t);
  }
  return finish(r, &t, "loss_vs_context.csv", err);
}

/* Cells ordered by model, context, train_tokens (for lines over D). */
static int by_model_context(const void *a, const void *b) {
  const ctxlab_report_cell *p = *(const ctxlab_report_cell *const *)a,
                           *q = *(const ctxlab_report_cell *const *)b;
  if (p->model != q->model) return p->model < q->model ? -1 : 1;
  if (p->context != q->context) return p->context < q->context ? -1 : 1;
  return (p->train_tokens > q->train_tokens) - (p->train_tokens < q->train_tokens);
}

static int approx_table(ctxlab_report *r, ctxlab_error *err) {
  const ctxlab_report_cell **order = malloc((r->n_cells ? r->n_cells : 1) * sizeof *order);
  if (!order) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  for (size_t i = 0; i < r->n_cells; ++i) order[i] = &r->cells[i];
  qsort(order, r->n_cells, sizeof *order, by_model_context);
  ctxlab_csv t;
  int rc = ctxlab_csv_open(&t,
                           "model,context_tokens,train_tokens,seeds,kl_bits,kl_err_bits,"
                           "predicted_approx_bits,fitted_approx_bits",
                           err);
  for (size_t i = 0; !rc && i < r->n_cells; ++i) {
    const ctxlab_report_cell *c = order[i];
    const json_t *fit = ctxlab_report_find_fit(r, "approx_vs_data", c->model, "context", c->context);
    double A = ctxlab_report_fit_value(fit, "params", "A"),
           alpha = ctxlab_report_fit_value(fit, "params", "alpha");
    ctxlab_csv_text(&t, label(r, c->model));
    ctxlab_csv_int(&t, c->context);
    ctxlab_csv_int(&t, c->train_tokens);
    ctxlab_csv_int(&t, (int64_t)c->seeds);
    ctxlab_csv_num(&t, c->kl_bits);
    ctxlab_csv_num(&t, c->kl_err_bits);
    ctxlab_csv_num(&t, c->predicted_approx_bits);
    ctxlab_csv_num(&t, A * pow((double)c->train_tokens, -alpha)); /* L = A D^-alpha */
    ctxlab_csv_end_row(&t);
  }
  free(order);
  return rc ? rc : finish(r, &t, "approx_vs_data.csv", err);
}

static int optimal_table(ctxlab_report *r, ctxlab_error *err) {
  ctxlab_csv t;
  int rc = ctxlab_csv_open(&t,
                           "model,train_tokens,measured_context_tokens,measured_loss_bits,"
                           "predicted_context_tokens,predicted_loss_bits",
                           err);
  if (rc) return rc;
  for (size_t i = 0; i < r->n_optima; ++i) {
    const ctxlab_report_optimum *o = &r->optima[i];
    ctxlab_csv_text(&t, label(r, o->model));
    ctxlab_csv_int(&t, o->train_tokens);
    ctxlab_csv_int(&t, o->measured_context);
    ctxlab_csv_num(&t, o->measured_loss_bits);
    if (o->predicted_context >= 0) ctxlab_csv_int(&t, o->predicted_context);
    else ctxlab_csv_text(&t, "");
    ctxlab_csv_num(&t, o->predicted_loss_bits);
    ctxlab_csv_end_row(&t);
  }
  return finish(r, &t, "optimal_context.csv", err);
}

static int excess_table(ctxlab_report *r, ctxlab_error *err) {
  ctxlab_csv t;
  int rc = ctxlab_csv_open(&t,
                           "index,model,context_tokens,train_tokens,seed,position_tokens,"
                           "loss_bits,bayes_bits,excess_bits",
                           err);
  if (rc) return rc;
  for (size_t i = 0; i < r->data.n_points; ++i) {
    const ctxlab_report_point *p = &r->data.points[i];
    if (!ctxlab_report_is_sequence_model(r->data.models[p->model].kind)) continue;
    for (size_t k = 0; k < p->positions; ++k) {
      ctxlab_csv_int(&t, p->index);
      ctxlab_csv_text(&t, label(r, p->model));
      ctxlab_csv_int(&t, p->context);
      ctxlab_csv_int(&t, p->train_tokens);
      ctxlab_csv_int(&t, p->seed);
      ctxlab_csv_int(&t, (int64_t)k + 1);
      ctxlab_csv_num(&t, p->loss_by_context[k]);
      ctxlab_csv_num(&t, p->bayes_by_context[k]);
      ctxlab_csv_num(&t, p->loss_by_context[k] - p->bayes_by_context[k]);
      ctxlab_csv_end_row(&t);
    }
  }
  return finish(r, &t, "excess_by_position.csv", err);
}

/* One theory curve: x, bits, stderr_bits, method [, fitted_bits]. */
static int curve_table(ctxlab_report *r, const ctxlab_curve *c, const char *xname,
                       const char *name, double (*fitted)(const ctxlab_report *, double),
                       ctxlab_error *err) {
  char header[160];
  snprintf(header, sizeof header, "%s,bits,stderr_bits,method%s", xname,
           fitted ? ",fitted_bits" : "");
  ctxlab_csv t;
  int rc = ctxlab_csv_open(&t, header, err);
  if (rc) return rc;
  for (size_t i = 0; i < c->n; ++i) {
    ctxlab_csv_int(&t, c->x[i]);
    ctxlab_csv_num(&t, c->bits[i]);
    ctxlab_csv_num(&t, c->stderr_bits[i]);
    ctxlab_csv_text(&t, ctxlab_method_name(c->method));
    if (fitted) ctxlab_csv_num(&t, fitted(r, (double)c->x[i]));
    ctxlab_csv_end_row(&t);
  }
  return finish(r, &t, name, err);
}

/* fits.csv: one row per parameter of each fit. */
static void fit_rows(ctxlab_csv *t, const ctxlab_report *r, const char *name, const json_t *fit) {
  const json_t *params = json_object_get(fit, "params"), *model = json_object_get(fit, "model");
  long m = model ? ctxlab_report_find_model(&r->data, model) : -1;
  const json_t *D = json_object_get(fit, "train_tokens"), *c = json_object_get(fit, "context");
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)params, key, value) {
    ctxlab_csv_text(t, name);
    ctxlab_csv_text(t, m >= 0 ? label(r, (size_t)m) : "");
    if (json_is_integer(D)) ctxlab_csv_int(t, json_integer_value(D));
    else ctxlab_csv_text(t, "");
    if (json_is_integer(c)) ctxlab_csv_int(t, json_integer_value(c));
    else ctxlab_csv_text(t, "");
    ctxlab_csv_text(t, json_is_string(json_object_get(fit, "form"))
                           ? json_string_value(json_object_get(fit, "form"))
                           : "");
    ctxlab_csv_text(t, key);
    ctxlab_csv_num(t, json_is_number(value) ? json_number_value(value) : NAN);
    ctxlab_csv_num(t, ctxlab_report_fit_value(fit, "stderr", key));
    ctxlab_csv_num(t, ctxlab_report_fit_value(fit, NULL, "r2"));
    const json_t *n = json_object_get(fit, "points");
    if (json_is_integer(n)) ctxlab_csv_int(t, json_integer_value(n));
    else ctxlab_csv_text(t, "");
    ctxlab_csv_end_row(t);
  }
}

static int fits_table(ctxlab_report *r, ctxlab_error *err) {
  ctxlab_csv t;
  int rc = ctxlab_csv_open(
      &t, "fit,model,train_tokens,context_tokens,form,param,value,stderr,r2,points", err);
  if (rc) return rc;
  static const char *const single[] = {"bayes_exact", "entropy_linear"};
  static const char *const lists[] = {"loss_vs_context", "approx_vs_data"};
  for (size_t k = 0; k < 2; ++k) {
    const json_t *fit = ctxlab_report_fit(r, single[k]);
    if (fit) fit_rows(&t, r, single[k], fit);
  }
  for (size_t k = 0; k < 2; ++k) {
    const json_t *list = ctxlab_report_fit_list(r, lists[k]), *fit;
    size_t i;
    json_array_foreach(list, i, fit) if (json_is_object(fit)) fit_rows(&t, r, lists[k], fit);
  }
  if (r->have_bipartite_fit) {
    const char *names[] = {"beta", "A_bits", "length_min_tokens", "length_max_tokens"};
    double values[] = {r->bipartite_exponent, r->bipartite_prefactor_bits,
                       (double)r->bipartite_length_min, (double)r->bipartite_length_max};
    for (size_t k = 0; k < 4; ++k) {
      ctxlab_csv_text(&t, "bipartite_mi");
      ctxlab_csv_text(&t, "");
      ctxlab_csv_text(&t, "");
      ctxlab_csv_text(&t, "");
      ctxlab_csv_text(&t, "I_BP(n) = A*n^beta");
      ctxlab_csv_text(&t, names[k]);
      ctxlab_csv_num(&t, values[k]);
      ctxlab_csv_text(&t, "");
      ctxlab_csv_text(&t, "");
      ctxlab_csv_text(&t, "");
      ctxlab_csv_end_row(&t);
    }
  }
  return finish(r, &t, "fits.csv", err);
}

int ctxlab_report_write_tables(ctxlab_report *r, ctxlab_error *err) {
  const ctxlab_truth *th = &r->truth;
  int rc;
  if ((rc = points_table(r, err)) || (rc = loss_table(r, err)) || (rc = approx_table(r, err)) ||
      (rc = optimal_table(r, err)) || (rc = excess_table(r, err)) || (rc = fits_table(r, err)) ||
      (rc = curve_table(r, &th->conditional_entropy, "context_tokens",
                        "theory_conditional_entropy.csv", ctxlab_report_bayes_fit_bits, err)))
    return rc;
  if (th->mutual_information.n &&
      (rc = curve_table(r, &th->mutual_information, "distance_tokens",
                        "theory_mutual_information.csv", NULL, err)))
    return rc;
  if (th->bipartite_mutual_information.n &&
      (rc = curve_table(r, &th->bipartite_mutual_information, "length_tokens",
                        "theory_bipartite.csv", ctxlab_report_bipartite_fit_bits, err)))
    return rc;
  if (th->intrinsic_entropy.n &&
      (rc = curve_table(r, &th->intrinsic_entropy, "context_tokens",
                        "theory_intrinsic_entropy.csv", NULL, err)))
    return rc;
  return CTXLAB_OK;
}
