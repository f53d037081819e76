/* ctxlab_report_write: read DIR, compute the language's truth, aggregate the
 * points, then write the tables, the figures and the notebook. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/lang.h"
#include "ctxlab/report.h"
#include "notebooks-export/report_internal.h"
#include "sim/model.h"

void ctxlab_report_options_init(ctxlab_report_options *opts) { memset(opts, 0, sizeof *opts); }

char *ctxlab_report_path(const ctxlab_report *r, const char *name) {
  size_t n = strlen(r->data.dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", r->data.dir, name);
  return p;
}

void ctxlab_report_announce(const ctxlab_report *r, const char *path) {
  if (r->opts->on_file) r->opts->on_file(r->opts->ctx, path);
}

const json_t *ctxlab_report_fit(const ctxlab_report *r, const char *name) {
  const json_t *fit = json_object_get(json_object_get(r->data.summary, "fits"), name);
  return json_is_object(fit) ? fit : NULL;
}

const json_t *ctxlab_report_fit_list(const ctxlab_report *r, const char *name) {
  const json_t *list = json_object_get(json_object_get(r->data.summary, "fits"), name);
  return json_is_array(list) ? list : NULL;
}

double ctxlab_report_fit_value(const json_t *fit, const char *group, const char *param) {
  const json_t *v = json_object_get(group ? json_object_get(fit, group) : fit, param);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

const json_t *ctxlab_report_find_fit(const ctxlab_report *r, const char *name, size_t model,
                                     const char *key, int64_t value) {
  const json_t *list = ctxlab_report_fit_list(r, name), *fit;
  size_t i;
  json_array_foreach(list, i, fit) {
    const json_t *v = json_object_get(fit, key);
    if (json_is_object(fit) && json_is_integer(v) && json_integer_value(v) == value &&
        ctxlab_report_find_model(&r->data, json_object_get(fit, "model")) == (long)model)
      return fit;
  }
  return NULL;
}

double ctxlab_report_bayes_fit_bits(const ctxlab_report *r, double c) {
  const json_t *fit = ctxlab_report_fit(r, "bayes_exact");
  if (!fit || c < 1) return NAN;
  return ctxlab_report_fit_value(fit, "params", "C0") +
         ctxlab_report_fit_value(fit, "params", "C") *
             pow(c, -ctxlab_report_fit_value(fit, "params", "gamma"));
}

double ctxlab_report_bipartite_fit_bits(const ctxlab_report *r, double n) {
  return r->have_bipartite_fit ? r->bipartite_prefactor_bits * pow(n, r->bipartite_exponent)
                               : NAN;
}

/* A model that reads its whole prefix (sim/model.h: transformer, rnn), so
 * its eval curve is a loss by position worth plotting. */
int ctxlab_report_is_sequence_model(const char *kind) {
  const ctxlab_model_ops *ops = ctxlab_model_kind(kind);
  return ops && ops->whole_prefix;
}

void ctxlab_report_count_text(int64_t v, char *buf, size_t size) {
  int e = 0;
  int64_t m = v;
  while (m >= 10 && m % 10 == 0) m /= 10, e++;
  if (v >= 10000 && m < 10) snprintf(buf, size, "%llde%d", (long long)m, e);
  else snprintf(buf, size, "%lld", (long long)v);
}

/* The language of experiment.json's "language" (a preset name or path, or an
 * inline spec object). */
static int make_language(ctxlab_report *r, ctxlab_lang **lang, ctxlab_error *err) {
  const json_t *spec = json_object_get(r->data.experiment, "language");
  char where[256];
  snprintf(where, sizeof where, "%s/experiment.json: $.language", r->data.dir);
  int rc;
  if (json_is_string(spec)) rc = ctxlab_lang_new(json_string_value(spec), lang, err);
  else if (json_is_object(spec)) rc = ctxlab_lang_from_json(spec, where, lang, err);
  else return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: expected a preset name or a spec object", where);
  if (rc) return ctxlab_error_prefix(err, "%s: ", where);
  snprintf(r->language, sizeof r->language, "%s (%s, %u tokens)",
           json_is_string(spec) ? json_string_value(spec) : "inline spec",
           ctxlab_lang_family(*lang), ctxlab_lang_vocab_size(*lang));
  return CTXLAB_OK;
}

/* The largest context the report plots: grid contexts and sequence positions. */
static size_t needed_context(const ctxlab_report *r) {
  size_t L = 1;
  for (size_t i = 0; i < r->data.n_points; ++i) {
    const ctxlab_report_point *p = &r->data.points[i];
    if ((size_t)p->context > L) L = (size_t)p->context;
    if (p->positions > L) L = p->positions;
  }
  return L;
}

static int compute_truth(ctxlab_report *r, const ctxlab_lang *lang, ctxlab_error *err) {
  ctxlab_theory_options topt;
  ctxlab_theory_options_init(&topt);
  topt.threads = r->opts->threads;
  size_t L = r->opts->max_context;
  if (L == 0) {
    /* a one-point probe says whether the curves are exact (cheap at any L) */
    ctxlab_truth probe = {0};
    topt.max_context = 1;
    topt.curves = 0;
    int rc = ctxlab_theory_compute(lang, &topt, &probe, err);
    if (rc) return rc;
    L = probe.conditional_entropy.method == CTXLAB_METHOD_EXACT ? 1024 : 64;
    ctxlab_truth_free(&probe);
  }
  size_t need = needed_context(r);
  topt.max_context = L > need ? L : need;
  if (topt.max_context < 2) topt.max_context = 2;
  topt.curves = CTXLAB_CURVE_ALL;
  int rc = ctxlab_theory_compute(lang, &topt, &r->truth, err);
  if (rc) return rc;
  r->have_bipartite_fit =
      ctxlab_truth_bipartite_exponent(&r->truth, &r->bipartite_exponent,
                                      &r->bipartite_prefactor_bits, &r->bipartite_length_min,
                                      &r->bipartite_length_max, NULL) == CTXLAB_OK;
  return CTXLAB_OK;
}

static void warn_through(void *ctx, const char *message) {
  const ctxlab_report_options *o = ctx;
  if (o->on_warning) o->on_warning(o->ctx, message);
}

int ctxlab_report_write(const char *dir, const ctxlab_report_options *opts, ctxlab_error *err) {
  ctxlab_init();
  ctxlab_report_options defaults;
  if (!opts) {
    ctxlab_report_options_init(&defaults);
    opts = &defaults;
  }
  ctxlab_report r;
  memset(&r, 0, sizeof r);
  r.opts = opts;
  ctxlab_lang *lang = NULL;
  int rc = ctxlab_report_data_load(dir, &r.data, warn_through, (void *)opts, err);
  if (rc) return rc;
  rc = make_language(&r, &lang, err);
  if (!rc) rc = compute_truth(&r, lang, err);
  if (!rc) rc = ctxlab_report_aggregate(&r, err);
  if (!rc) rc = ctxlab_report_write_tables(&r, err);
  if (!rc) rc = ctxlab_report_write_figures(&r, err);
  if (!rc) rc = ctxlab_report_write_notebook(&r, err);
  ctxlab_lang_free(lang);
  ctxlab_truth_free(&r.truth);
  free(r.cells);
  free(r.optima);
  ctxlab_report_data_free(&r.data);
  return rc;
}
