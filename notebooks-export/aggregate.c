/* Means over seeds and the optimal contexts (see report_internal.h). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notebooks-export/report_internal.h"

static int by_cell(const void *a, const void *b) {
  const ctxlab_report_point *p = *(const ctxlab_report_point *const *)a,
                            *q = *(const ctxlab_report_point *const *)b;
  if (p->model != q->model) return p->model < q->model ? -1 : 1;
  if (p->train_tokens != q->train_tokens) return p->train_tokens < q->train_tokens ? -1 : 1;
  if (p->context != q->context) return p->context < q->context ? -1 : 1;
  return (p->index > q->index) - (p->index < q->index);
}

/* Mean of the finite values (NaN when none). */
static double mean_of(const double *v, size_t n) {
  double s = 0;
  size_t k = 0;
  for (size_t i = 0; i < n; ++i)
    if (isfinite(v[i])) s += v[i], k++;
  return k ? s / (double)k : NAN;
}

/* Standard error of the mean, sample standard deviation (n - 1) / sqrt(n). */
static double sem_of(const double *v, size_t n, double mean) {
  if (n < 2) return NAN;
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += (v[i] - mean) * (v[i] - mean);
  return sqrt(ss / (double)(n - 1) / (double)n);
}

/* Copy one double field of each point into buf; return their mean. */
static double gather(ctxlab_report_point *const *p, size_t n, size_t offset, double *buf) {
  for (size_t i = 0; i < n; ++i) buf[i] = *(const double *)((const char *)p[i] + offset);
  return mean_of(buf, n);
}

static void fill_cell(ctxlab_report_cell *c, ctxlab_report_point *const *p, size_t n,
                      double *buf) {
  memset(c, 0, sizeof *c);
  c->model = p[0]->model;
  c->train_tokens = p[0]->train_tokens;
  c->context = p[0]->context;
  c->seeds = n;
  c->loss_bits = gather(p, n, offsetof(ctxlab_report_point, loss_bits), buf);
  c->loss_err_bits = n >= 2 ? sem_of(buf, n, c->loss_bits) : p[0]->stderr_bits;
  c->kl_bits = gather(p, n, offsetof(ctxlab_report_point, kl_bits), buf);
  c->kl_err_bits = sem_of(buf, n, c->kl_bits);
  c->bayes_bits = gather(p, n, offsetof(ctxlab_report_point, bayes_bits), buf);
  c->predicted_bayes_bits = gather(p, n, offsetof(ctxlab_report_point, predicted_bayes_bits), buf);
  c->predicted_approx_bits =
      gather(p, n, offsetof(ctxlab_report_point, predicted_approx_bits), buf);
  c->predicted_loss_bits = gather(p, n, offsetof(ctxlab_report_point, predicted_loss_bits), buf);
}

static void find_optima(ctxlab_report *r) {
  r->n_optima = 0;
  for (size_t i = 0; i < r->n_cells;) {
    size_t j = i;
    ctxlab_report_optimum *o = &r->optima[r->n_optima++];
    o->model = r->cells[i].model;
    o->train_tokens = r->cells[i].train_tokens;
    o->measured_context = r->cells[i].context;
    o->measured_loss_bits = r->cells[i].loss_bits;
    o->predicted_context = -1;
    o->predicted_loss_bits = NAN;
    for (; j < r->n_cells && r->cells[j].model == o->model &&
           r->cells[j].train_tokens == o->train_tokens;
         ++j) {
      const ctxlab_report_cell *c = &r->cells[j];
      /* strict <: on a tie the smaller context (cells are sorted by context) */
      if (c->loss_bits < o->measured_loss_bits) {
        o->measured_context = c->context;
        o->measured_loss_bits = c->loss_bits;
      }
      if (isfinite(c->predicted_loss_bits) &&
          (o->predicted_context < 0 || c->predicted_loss_bits < o->predicted_loss_bits)) {
        o->predicted_context = c->context;
        o->predicted_loss_bits = c->predicted_loss_bits;
      }
    }
    i = j;
  }
}

int ctxlab_report_aggregate(ctxlab_report *r, ctxlab_error *err) {
  size_t n = r->data.n_points;
  ctxlab_report_point **order = malloc((n ? n : 1) * sizeof *order);
  double *buf = malloc((n ? n : 1) * sizeof *buf);
  r->cells = malloc((n ? n : 1) * sizeof *r->cells);
  r->optima = malloc((n ? n : 1) * sizeof *r->optima);
  int rc = CTXLAB_OK;
  if (!order || !buf || !r->cells || !r->optima) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
    goto cleanup;
  }
  for (size_t i = 0; i < n; ++i) order[i] = &r->data.points[i];
  qsort(order, n, sizeof *order, by_cell);
  r->n_cells = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && order[j]->model == order[i]->model &&
           order[j]->train_tokens == order[i]->train_tokens && order[j]->context == order[i]->context)
      ++j;
    fill_cell(&r->cells[r->n_cells++], order + i, j - i, buf);
    i = j;
  }
  find_optima(r);
cleanup:
  free(order);
  free(buf);
  return rc;
}
