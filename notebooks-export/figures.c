/* The PNG figures of `ctxlab report`: each draws from the same numbers as
 * one of the CSV tables (tables.c), and is skipped when it has no data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notebooks-export/plot.h"
#include "notebooks-export/report_internal.h"

static const ctxlab_rgb BLACK = {0, 0, 0};

/* Write p to DIR/name (nothing when it has no drawable point), free it. */
static int finish(ctxlab_report *r, ctxlab_plot *p, const char *name, ctxlab_error *err) {
  char *path = ctxlab_report_path(r, name);
  int written = 0, rc;
  if (!path) rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  else rc = ctxlab_plot_write_png(p, path, &written, err);
  if (!rc && written) ctxlab_report_announce(r, path);
  free(path);
  ctxlab_plot_free(p);
  return rc;
}

/* A series that only adds a legend entry (no points). */
static int legend_only(ctxlab_plot *p, const char *label, ctxlab_line line, ctxlab_mark mark,
                       ctxlab_error *err) {
  double none = 0;
  return ctxlab_plot_add(p, label, &none, &none, NULL, 0, BLACK, line, mark, err);
}

/* A file name for model m: "<stem>_<label with [a-z0-9.=-] kept, others '_'>.png". */
static void model_file(const ctxlab_report *r, size_t m, const char *stem, char *buf, size_t size) {
  char slug[96];
  const char *s = r->data.models[m].label;
  size_t k = 0;
  for (; *s && k + 1 < sizeof slug; ++s) {
    char c = *s;
    int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-';
    slug[k++] = keep ? c : '_';
  }
  slug[k] = '\0';
  snprintf(buf, size, "%s_%s.png", stem, slug);
}

/* Scratch arrays for series, sized for the largest (cells or theory curve). */
typedef struct scratch {
  double *x, *y, *e, *y2;
} scratch;

/* Measured loss (mean over seeds, error bars) per D, the predicted loss
 * (dashed), and the exact Bayes risk H(c) (black). */
static int loss_figure(ctxlab_report *r, size_t m, scratch *s, ctxlab_error *err) {
  char title[200], name[160];
  snprintf(title, sizeof title, "Loss vs context: %s", r->data.models[m].label);
  ctxlab_plot p;
  ctxlab_plot_init(&p, title, "context c (tokens)", "loss (bits/token)", 0, 0);
  p.xinteger = 1;
  int rc = CTXLAB_OK, any_predicted = 0;
  int64_t cmin = INT64_MAX, cmax = -1;
  size_t colour = 0;
  for (size_t i = 0; i < r->n_cells && !rc;) {
    if (r->cells[i].model != m) {
      ++i;
      continue;
    }
    size_t n = 0;
    int64_t D = r->cells[i].train_tokens;
    for (; i < r->n_cells && r->cells[i].model == m && r->cells[i].train_tokens == D; ++i, ++n) {
      const ctxlab_report_cell *c = &r->cells[i];
      s->x[n] = (double)c->context;
      s->y[n] = c->loss_bits;
      s->e[n] = c->loss_err_bits;
      s->y2[n] = c->predicted_loss_bits;
      any_predicted |= isfinite(c->predicted_loss_bits);
      if (c->context < cmin) cmin = c->context;
      if (c->context > cmax) cmax = c->context;
    }
    char label[64], count[32];
    ctxlab_report_count_text(D, count, sizeof count);
    snprintf(label, sizeof label, "D=%s", count);
    ctxlab_rgb col = ctxlab_plot_colour(colour++);
    rc = ctxlab_plot_add(&p, label, s->x, s->y, s->e, n, col, CTXLAB_LINE_SOLID, CTXLAB_MARK_DISC,
                         err);
    if (!rc) rc = ctxlab_plot_add(&p, "", s->x, s->y2, NULL, n, col, CTXLAB_LINE_DASHED,
                                  CTXLAB_MARK_NONE, err);
  }
  const ctxlab_curve *H = &r->truth.conditional_entropy;
  size_t n = 0;
  for (size_t i = 0; i < H->n; ++i)
    if (H->x[i] >= cmin && H->x[i] <= cmax) {
      s->x[n] = (double)H->x[i];
      s->y[n++] = H->bits[i];
    }
  if (!rc && n) rc = ctxlab_plot_add(&p, "Bayes H(c)", s->x, s->y, NULL, n, BLACK,
                                     CTXLAB_LINE_SOLID, CTXLAB_MARK_NONE, err);
  if (!rc && any_predicted)
    rc = legend_only(&p, "predicted", CTXLAB_LINE_DASHED, CTXLAB_MARK_NONE, err);
  if (rc) {
    ctxlab_plot_free(&p);
    return rc;
  }
  model_file(r, m, "loss_vs_context", name, sizeof name);
  return finish(r, &p, name, err);
}

static int by_model_context(const void *a, const void *b) {
  const ctxlab_report_cell *p = a, *q = b;
  if (p->model != q->model) return p->model < q->model ? -1 : 1;
  if (p->context != q->context) return p->context < q->context ? -1 : 1;
  return (p->train_tokens > q->train_tokens) - (p->train_tokens < q->train_tokens);
}

/* KL (approximation loss) vs D on log-log axes, per context: measured,
 * predicted (dashed), summary.json's fit A D^-alpha (dotted). */
static int approx_figure(ctxlab_report *r, size_t m, const ctxlab_report_cell *cells, scratch *s,
                         ctxlab_error *err) {
  char title[200], name[160];
  snprintf(title, sizeof title, "Approximation loss vs data: %s", r->data.models[m].label);
  ctxlab_plot p;
  ctxlab_plot_init(&p, title, "training tokens D", "KL(P_c || Q_c) (bits/token)", 1, 1);
  int rc = CTXLAB_OK, any_predicted = 0, any_fit = 0;
  size_t colour = 0;
  for (size_t i = 0; i < r->n_cells && !rc;) {
    if (cells[i].model != m) {
      ++i;
      continue;
    }
    size_t n = 0;
    int64_t c = cells[i].context;
    const json_t *fit = ctxlab_report_find_fit(r, "approx_vs_data", m, "context", c);
    double A = ctxlab_report_fit_value(fit, "params", "A"),
           alpha = ctxlab_report_fit_value(fit, "params", "alpha");
    for (; i < r->n_cells && cells[i].model == m && cells[i].context == c; ++i, ++n) {
      s->x[n] = (double)cells[i].train_tokens;
      s->y[n] = cells[i].kl_bits;
      s->e[n] = cells[i].kl_err_bits;
      s->y2[n] = cells[i].predicted_approx_bits;
      any_predicted |= isfinite(s->y2[n]);
    }
    char label[64];
    snprintf(label, sizeof label, "c=%lld", (long long)c);
    ctxlab_rgb col = ctxlab_plot_colour(colour++);
    rc = ctxlab_plot_add(&p, label, s->x, s->y, s->e, n, col, CTXLAB_LINE_NONE, CTXLAB_MARK_DISC,
                         err);
    if (!rc) rc = ctxlab_plot_add(&p, "", s->x, s->y2, NULL, n, col, CTXLAB_LINE_DASHED,
                                  CTXLAB_MARK_NONE, err);
    if (!rc && isfinite(A) && isfinite(alpha)) {
      for (size_t k = 0; k < n; ++k) s->y2[k] = A * pow(s->x[k], -alpha);
      any_fit = 1;
      rc = ctxlab_plot_add(&p, "", s->x, s->y2, NULL, n, col, CTXLAB_LINE_DOTTED,
                           CTXLAB_MARK_NONE, err);
    }
  }
  if (!rc && any_predicted)
    rc = legend_only(&p, "predicted", CTXLAB_LINE_DASHED, CTXLAB_MARK_NONE, err);
  if (!rc && any_fit) rc = legend_only(&p, "fit A*D^-alpha", CTXLAB_LINE_DOTTED, CTXLAB_MARK_NONE, err);
  if (rc) {
    ctxlab_plot_free(&p);
    return rc;
  }
  model_file(r, m, "approx_vs_data", name, sizeof name);
  return finish(r, &p, name, err);
}

/* c*(D) of every model, measured (discs, solid) and predicted (rings, dashed). */
static int optimal_figure(ctxlab_report *r, scratch *s, ctxlab_error *err) {
  ctxlab_plot p;
  ctxlab_plot_init(&p, "Optimal context c*(D)", "training tokens D", "c* (tokens)", 1, 0);
  p.yinteger = 1;
  int rc = CTXLAB_OK;
  for (size_t m = 0; m < r->data.n_models && !rc; ++m) {
    size_t n = 0;
    int any_predicted = 0;
    for (size_t i = 0; i < r->n_optima; ++i) {
      const ctxlab_report_optimum *o = &r->optima[i];
      if (o->model != m) continue;
      s->x[n] = (double)o->train_tokens;
      s->y[n] = (double)o->measured_context;
      s->y2[n++] = o->predicted_context >= 0 ? (double)o->predicted_context : NAN;
      any_predicted |= o->predicted_context >= 0;
    }
    char label[128];
    ctxlab_rgb col = ctxlab_plot_colour(m);
    snprintf(label, sizeof label, "%s measured", r->data.models[m].label);
    rc = ctxlab_plot_add(&p, label, s->x, s->y, NULL, n, col, CTXLAB_LINE_SOLID, CTXLAB_MARK_DISC,
                         err);
    snprintf(label, sizeof label, "%s predicted", r->data.models[m].label);
    if (!rc && any_predicted)
      rc = ctxlab_plot_add(&p, label, s->x, s->y2, NULL, n, col, CTXLAB_LINE_DASHED,
                           CTXLAB_MARK_RING, err);
  }
  if (rc) {
    ctxlab_plot_free(&p);
    return rc;
  }
  return finish(r, &p, "optimal_context.png", err);
}

/* Sequence models: loss - Bayes at each position, mean over seeds, one line
 * per (model, D, trained length). */
static int excess_figure(ctxlab_report *r, scratch *s, ctxlab_error *err) {
  ctxlab_plot p;
  ctxlab_plot_init(&p, "Excess loss by position (sequence models)", "position c (tokens seen)",
                   "loss - H(c) (bits/token)", 0, 0);
  p.xinteger = 1;
  int rc = CTXLAB_OK;
  size_t colour = 0;
  for (size_t k = 0; k < r->n_cells && !rc; ++k) {
    const ctxlab_report_cell *c = &r->cells[k];
    if (!ctxlab_report_is_sequence_model(r->data.models[c->model].kind)) continue;
    size_t T = 0, seeds = 0;
    for (size_t i = 0; i < r->data.n_points; ++i) {
      const ctxlab_report_point *q = &r->data.points[i];
      if (q->model != c->model || q->train_tokens != c->train_tokens ||
          q->context != c->context || q->positions == 0)
        continue;
      if (seeds == 0) {
        T = q->positions;
        memset(s->y, 0, T * sizeof *s->y);
      }
      if (q->positions != T) continue;
      for (size_t t = 0; t < T; ++t) s->y[t] += q->loss_by_context[t] - q->bayes_by_context[t];
      seeds++;
    }
    if (!seeds) continue;
    for (size_t t = 0; t < T; ++t) {
      s->x[t] = (double)(t + 1);
      s->y[t] /= (double)seeds;
    }
    char label[160], count[32];
    ctxlab_report_count_text(c->train_tokens, count, sizeof count);
    snprintf(label, sizeof label, "%s D=%s T=%lld", r->data.models[c->model].label, count,
             (long long)c->context);
    rc = ctxlab_plot_add(&p, label, s->x, s->y, NULL, T, ctxlab_plot_colour(colour++),
                         CTXLAB_LINE_SOLID, CTXLAB_MARK_NONE, err);
  }
  if (rc) {
    ctxlab_plot_free(&p);
    return rc;
  }
  return finish(r, &p, "excess_by_position.png", err);
}

/* A theory curve with its Monte Carlo error bars and, where given, a fitted
 * curve (dotted). */
static int theory_figure(ctxlab_report *r, const ctxlab_curve *c, const char *name,
                         const char *title, const char *xlabel, const char *ylabel, int xlog,
                         int ylog, const char *curve_label, double (*fitted)(const ctxlab_report *, double),
                         const char *fit_label, scratch *s, ctxlab_error *err) {
  ctxlab_plot p;
  ctxlab_plot_init(&p, title, xlabel, ylabel, xlog, ylog);
  for (size_t i = 0; i < c->n; ++i) {
    s->x[i] = (double)c->x[i];
    s->y[i] = c->bits[i];
    s->e[i] = c->stderr_bits[i];
    s->y2[i] = fitted ? fitted(r, s->x[i]) : NAN;
  }
  int rc = ctxlab_plot_add(&p, curve_label, s->x, s->y,
                           c->method == CTXLAB_METHOD_MONTE_CARLO ? s->e : NULL, c->n,
                           ctxlab_plot_colour(0), CTXLAB_LINE_SOLID, CTXLAB_MARK_NONE, err);
  if (!rc && fitted && fit_label)
    rc = ctxlab_plot_add(&p, fit_label, s->x, s->y2, NULL, c->n, ctxlab_plot_colour(3),
                         CTXLAB_LINE_DASHED, CTXLAB_MARK_NONE, err);
  if (rc) {
    ctxlab_plot_free(&p);
    return rc;
  }
  return finish(r, &p, name, err);
}

static int theory_figures(ctxlab_report *r, scratch *s, ctxlab_error *err) {
  const ctxlab_truth *t = &r->truth;
  char title[200], label[160], fit_label[160];
  snprintf(title, sizeof title, "Bayes risk H(c): %s", r->language);
  snprintf(label, sizeof label, "H(c) (%s; H(0)=%.4g bits)",
           ctxlab_method_name(t->conditional_entropy.method),
           t->conditional_entropy.n ? t->conditional_entropy.bits[0] : NAN);
  const json_t *bf = ctxlab_report_fit(r, "bayes_exact");
  snprintf(fit_label, sizeof fit_label, "fit C0+C*c^-gamma, gamma=%.3g",
           ctxlab_report_fit_value(bf, "params", "gamma"));
  int rc = theory_figure(r, &t->conditional_entropy, "theory_conditional_entropy.png", title,
                         "context c (tokens)", "H(c) (bits/token)", 1, 0, label,
                         bf ? ctxlab_report_bayes_fit_bits : NULL, fit_label, s, err);
  if (rc) return rc;
  snprintf(title, sizeof title, "Two-point mutual information: %s", r->language);
  if ((rc = theory_figure(r, &t->mutual_information, "theory_mutual_information.png", title,
                          "distance d (tokens)", "I(X_t; X_t+d) (bits)", 1, 1, "I(d)", NULL,
                          NULL, s, err)))
    return rc;
  snprintf(title, sizeof title, "Bipartite mutual information: %s", r->language);
  snprintf(fit_label, sizeof fit_label, "fit %.3g*n^%.3f (n=%lld..%lld)",
           r->bipartite_prefactor_bits, r->bipartite_exponent,
           (long long)r->bipartite_length_min, (long long)r->bipartite_length_max);
  return theory_figure(r, &t->bipartite_mutual_information, "theory_bipartite.png", title,
                       "window length n (tokens)", "I(first n/2; last n/2) (bits)", 1, 1,
                       "I_BP(n)", r->have_bipartite_fit ? ctxlab_report_bipartite_fit_bits : NULL, fit_label, s,
                       err);
}

int ctxlab_report_write_figures(ctxlab_report *r, ctxlab_error *err) {
  size_t n = r->n_cells + 1;
  const ctxlab_curve *curves[] = {&r->truth.conditional_entropy, &r->truth.mutual_information,
                                  &r->truth.bipartite_mutual_information};
  for (size_t i = 0; i < 3; ++i)
    if (curves[i]->n > n) n = curves[i]->n;
  for (size_t i = 0; i < r->data.n_points; ++i)
    if (r->data.points[i].positions > n) n = r->data.points[i].positions;
  scratch s = {malloc(n * sizeof(double)), malloc(n * sizeof(double)), malloc(n * sizeof(double)),
               malloc(n * sizeof(double))};
  ctxlab_report_cell *cells = malloc(n * sizeof *cells);
  int rc = CTXLAB_OK;
  if (!s.x || !s.y || !s.e || !s.y2 || !cells) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
    goto cleanup;
  }
  if (r->n_cells) memcpy(cells, r->cells, r->n_cells * sizeof *cells);
  qsort(cells, r->n_cells, sizeof *cells, by_model_context);
  for (size_t m = 0; m < r->data.n_models && !rc; ++m) {
    rc = loss_figure(r, m, &s, err);
    if (!rc) rc = approx_figure(r, m, cells, &s, err);
  }
  if (!rc) rc = optimal_figure(r, &s, err);
  if (!rc) rc = excess_figure(r, &s, err);
  if (!rc) rc = theory_figures(r, &s, err);
cleanup:
  free(s.x);
  free(s.y);
  free(s.e);
  free(s.y2);
  free(cells);
  return rc;
}
