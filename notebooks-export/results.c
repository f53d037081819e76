/* Reading a sweep's directory (see results.h). */
#include "notebooks-export/results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic_file.h"

static const char *const PER_POINT_KEYS[] = {"train_context", "context", "train_tokens", "seed"};

json_t *ctxlab_report_model_key(const json_t *model) {
  json_t *key = json_deep_copy(model);
  if (!key) return NULL;
  for (size_t i = 0; i < sizeof PER_POINT_KEYS / sizeof PER_POINT_KEYS[0]; ++i)
    json_object_del(key, PER_POINT_KEYS[i]);
  return key;
}

long ctxlab_report_find_model(const ctxlab_report_data *d, const json_t *model) {
  json_t *key = ctxlab_report_model_key(model);
  long found = -1;
  for (size_t i = 0; key && i < d->n_models && found < 0; ++i)
    if (json_equal(key, d->models[i].config)) found = (long)i;
  json_decref(key);
  return found;
}

static int load_json(const char *dir, const char *name, json_t **out, ctxlab_error *err) {
  char *path = ctxlab_path_join(dir, name);
  if (!path) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  FILE *f = fopen(path, "rb");
  int rc = CTXLAB_OK;
  if (!f) {
    /* summary.json is written when a sweep ends: a stopped sweep has none */
    const int unfinished = errno == ENOENT && strcmp(name, "summary.json") == 0;
    rc = ctxlab_error_set(err, CTXLAB_EINVAL, "%s: cannot open: %s%s", path, strerror(errno),
                          unfinished ? " (a sweep writes it when it ends: run the same `ctxlab "
                                       "sweep` command again to finish the sweep)" : "");
  } else {
    json_error_t je;
    *out = json_loadf(f, 0, &je);
    if (!*out)
      rc = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: line %d, column %d: %s", path, je.line,
                            je.column, je.text);
    else if (!json_is_object(*out))
      rc = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: expected a JSON object", path);
    fclose(f);
  }
  free(path);
  return rc;
}

static int read_text(const char *path, char **text, size_t *len, ctxlab_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: cannot open: %s", path, strerror(errno));
  char *buf = NULL;
  size_t n = 0, cap = 0;
  int rc = CTXLAB_OK;
  for (;;) {
    if (cap - n < 65536) {
      char *bigger = realloc(buf, cap * 2 + 65536 + 1);
      if (!bigger) {
        rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
        break;
      }
      buf = bigger;
      cap = cap * 2 + 65536;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) rc = ctxlab_error_set(err, CTXLAB_EIO, "%s: read error", path);
      break;
    }
  }
  fclose(f);
  if (rc) {
    free(buf);
    return rc;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return CTXLAB_OK;
}

/* ---- one point ---------------------------------------------------------------- */

typedef struct where {
  const char *path;
  size_t line;
} where;

static int bad(const where *w, const char *key, const char *what, ctxlab_error *err) {
  return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s line %zu: %s: %s", w->path, w->line, key, what);
}

static int get_int(const json_t *o, const char *key, const char *name, const where *w,
                   int64_t *out, ctxlab_error *err) {
  json_t *v = json_object_get(o, key);
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return bad(w, name, "expected a non-negative integer", err);
  *out = json_integer_value(v);
  return CTXLAB_OK;
}

/* A number; NaN when absent or null, unless required. */
static int get_num(const json_t *o, const char *key, const char *name, int required,
                   const where *w, double *out, ctxlab_error *err) {
  json_t *v = o ? json_object_get(o, key) : NULL;
  *out = NAN;
  if (json_is_number(v)) *out = json_number_value(v);
  else if (required || (v && !json_is_null(v))) return bad(w, name, "expected a number", err);
  return CTXLAB_OK;
}

static int get_curve(const json_t *o, const char *key, const where *w, size_t *n, double **out,
                     ctxlab_error *err) {
  json_t *a = json_object_get(o, key);
  if (!a || json_is_null(a)) return CTXLAB_OK;
  char name[64];
  snprintf(name, sizeof name, "$.measured.%s", key);
  if (!json_is_array(a)) return bad(w, name, "expected an array of numbers", err);
  if (*n && json_array_size(a) != *n)
    return bad(w, name, "length differs from $.measured.loss_by_context_bits", err);
  *n = json_array_size(a);
  *out = malloc((*n ? *n : 1) * sizeof **out);
  if (!*out) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  for (size_t i = 0; i < *n; ++i) {
    json_t *v = json_array_get(a, i);
    if (!json_is_number(v)) return bad(w, name, "expected an array of numbers", err);
    (*out)[i] = json_number_value(v);
  }
  return CTXLAB_OK;
}

static int model_of(ctxlab_report_data *d, const json_t *model, size_t *out, ctxlab_error *err) {
  long found = ctxlab_report_find_model(d, model);
  if (found >= 0) {
    *out = (size_t)found;
    return CTXLAB_OK;
  }
  ctxlab_report_model *grown = realloc(d->models, (d->n_models + 1) * sizeof *grown);
  if (!grown) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  d->models = grown;
  ctxlab_report_model *m = &d->models[d->n_models];
  memset(m, 0, sizeof *m);
  m->config = ctxlab_report_model_key(model);
  if (!m->config) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  snprintf(m->kind, sizeof m->kind, "%s", json_string_value(json_object_get(model, "model")));
  *out = d->n_models++;
  return CTXLAB_OK;
}

static int parse_point(ctxlab_report_data *d, const json_t *o, const where *w,
                       ctxlab_report_point *p, ctxlab_error *err) {
  int rc;
  memset(p, 0, sizeof *p);
  if (!json_is_object(o)) return bad(w, "$", "expected a JSON object", err);
  json_t *model = json_object_get(o, "model"), *m = json_object_get(o, "measured"),
         *pr = json_object_get(o, "predicted");
  if (!json_is_object(model) || !json_is_string(json_object_get(model, "model")))
    return bad(w, "$.model", "expected an object with a \"model\" name", err);
  if (!json_is_object(m)) return bad(w, "$.measured", "expected an object", err);
  if (pr && !json_is_null(pr) && !json_is_object(pr))
    return bad(w, "$.predicted", "expected an object or null", err);
  if (!json_is_object(pr)) pr = NULL;
  if ((rc = get_int(o, "index", "$.index", w, &p->index, err)) ||
      (rc = get_int(o, "context", "$.context", w, &p->context, err)) ||
      (rc = get_int(o, "train_tokens", "$.train_tokens", w, &p->train_tokens, err)) ||
      (rc = get_int(o, "seed", "$.seed", w, &p->seed, err)) ||
      (rc = get_num(m, "loss_bits", "$.measured.loss_bits", 1, w, &p->loss_bits, err)) ||
      (rc = get_num(m, "bayes_bits", "$.measured.bayes_bits", 1, w, &p->bayes_bits, err)) ||
      (rc = get_num(m, "kl_bits", "$.measured.kl_bits", 1, w, &p->kl_bits, err)) ||
      (rc = get_num(m, "stderr_bits", "$.measured.stderr_bits", 0, w, &p->stderr_bits, err)) ||
      (rc = get_num(m, "mean_loss_bits", "$.measured.mean_loss_bits", 0, w, &p->mean_loss_bits,
                    err)) ||
      (rc = get_num(o, "time_s", "$.time_s", 0, w, &p->time_s, err)) ||
      (rc = get_num(pr, "bayes_bits", "$.predicted.bayes_bits", 0, w, &p->predicted_bayes_bits,
                    err)) ||
      (rc = get_num(pr, "approx_bits", "$.predicted.approx_bits", 0, w,
                    &p->predicted_approx_bits, err)) ||
      (rc = get_num(pr, "loss_bits", "$.predicted.loss_bits", 0, w, &p->predicted_loss_bits,
                    err)) ||
      (rc = get_curve(m, "loss_by_context_bits", w, &p->positions, &p->loss_by_context, err)) ||
      (rc = get_curve(m, "bayes_by_context_bits", w, &p->positions, &p->bayes_by_context, err)))
    return rc;
  if (!p->loss_by_context != !p->bayes_by_context)
    return bad(w, "$.measured", "loss_by_context_bits and bayes_by_context_bits come together",
               err);
  return model_of(d, model, &p->model, err);
}

/* ---- labels ------------------------------------------------------------------- */

static void value_text(const json_t *v, char *buf, size_t size) {
  if (json_is_string(v)) {
    snprintf(buf, size, "%s", json_string_value(v));
    return;
  }
  char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
  snprintf(buf, size, "%s", s ? s : "?");
  free(s);
}

/* config[key], or config[key][sub]; a model without an "eval" object is
 * evaluated with its own position options, so eval.X is then its X. */
static const json_t *config_value(const json_t *config, const char *key, const char *sub) {
  const json_t *v = json_object_get(config, key);
  if (!sub) return v;
  if (!v && strcmp(key, "eval") == 0) return json_object_get(config, sub);
  return json_object_get(v, sub);
}

/* Whether model i's value at key (.sub) differs from another model's of its kind. */
static int differs(const ctxlab_report_data *d, size_t i, const char *key, const char *sub) {
  const json_t *v = config_value(d->models[i].config, key, sub);
  for (size_t j = 0; j < d->n_models; ++j)
    if (j != i && strcmp(d->models[j].kind, d->models[i].kind) == 0 &&
        !json_equal((json_t *)v, (json_t *)config_value(d->models[j].config, key, sub)))
      return 1;
  return 0;
}

static size_t add_to_label(ctxlab_report_model *m, size_t len, const char *key, const char *sub,
                           const json_t *value) {
  if (len >= sizeof m->label) return len;
  char text[48];
  value_text(value, text, sizeof text);
  return len + (size_t)snprintf(m->label + len, sizeof m->label - len, " %s%s%s=%s", key,
                                sub ? "." : "", sub ? sub : "", text);
}

/* kind, then key=value for each key whose value differs between models of
 * the same kind; for an object (a sweep's "eval" overrides), key.sub=value
 * for each of its keys that differs. */
static void make_labels(ctxlab_report_data *d) {
  for (size_t i = 0; i < d->n_models; ++i) {
    ctxlab_report_model *m = &d->models[i];
    size_t len = (size_t)snprintf(m->label, sizeof m->label, "%s", m->kind);
    const char *key, *sub;
    json_t *value, *subvalue;
    json_object_foreach(m->config, key, value) {
      if (!json_is_object(value)) {
        if (differs(d, i, key, NULL)) len = add_to_label(m, len, key, NULL, value);
        continue;
      }
      json_object_foreach(value, sub, subvalue)
        if (differs(d, i, key, sub)) len = add_to_label(m, len, key, sub, subvalue);
    }
    for (char *c = m->label; *c; ++c)
      if (*c == ',' || *c == '"') *c = ';';
  }
}

/* ---- results.jsonl ------------------------------------------------------------ */

static int by_index(const void *a, const void *b) {
  const ctxlab_report_point *p = a, *q = b;
  return (p->index > q->index) - (p->index < q->index);
}

static int load_points(ctxlab_report_data *d, ctxlab_report_warn_fn warn, void *warn_ctx,
                       ctxlab_error *err) {
  char *path = ctxlab_path_join(d->dir, "results.jsonl"), *text = NULL;
  size_t len = 0, cap = 0;
  int rc = path ? read_text(path, &text, &len, err)
                : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  where w = {path, 0};
  for (size_t pos = 0; !rc && pos < len;) {
    char *end = memchr(text + pos, '\n', len - pos);
    size_t n = end ? (size_t)(end - (text + pos)) : len - pos;
    w.line++;
    const char *line = text + pos;
    pos += n + (end != NULL);
    size_t blank = 0;
    while (blank < n && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r')) blank++;
    if (blank == n) continue;
    json_error_t je;
    json_t *o = json_loadb(line, n, 0, &je);
    if (!o) {
      if (!end) { /* the last line, cut short */
        char msg[512];
        snprintf(msg, sizeof msg, "%s line %zu: ignoring an incomplete last line (%s)", path,
                 w.line, je.text);
        if (warn) warn(warn_ctx, msg);
        break;
      }
      rc = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s line %zu, column %d: %s", path, w.line,
                            je.column, je.text);
      break;
    }
    if (d->n_points == cap) {
      size_t bigger_cap = cap ? 2 * cap : 64;
      ctxlab_report_point *bigger = realloc(d->points, bigger_cap * sizeof *bigger);
      if (!bigger) {
        json_decref(o);
        rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
        break;
      }
      d->points = bigger;
      cap = bigger_cap;
    }
    rc = parse_point(d, o, &w, &d->points[d->n_points], err);
    d->n_points++; /* even on failure: its arrays are freed with the others */
    json_decref(o);
  }
  if (!rc && d->n_points) {
    qsort(d->points, d->n_points, sizeof *d->points, by_index);
    for (size_t i = 1; i < d->n_points && !rc; ++i)
      if (d->points[i].index == d->points[i - 1].index)
        rc = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: index %lld appears twice", path,
                              (long long)d->points[i].index);
  }
  free(text);
  free(path);
  return rc;
}

/* Models in the order of their first point by index (the grid's order). */
static int order_models(ctxlab_report_data *d, ctxlab_error *err) {
  size_t *rank = malloc((d->n_models ? d->n_models : 1) * sizeof *rank);
  ctxlab_report_model *sorted = malloc((d->n_models ? d->n_models : 1) * sizeof *sorted);
  if (!rank || !sorted) {
    free(rank);
    free(sorted);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  }
  size_t next = 0;
  for (size_t i = 0; i < d->n_models; ++i) rank[i] = (size_t)-1;
  for (size_t i = 0; i < d->n_points; ++i)
    if (rank[d->points[i].model] == (size_t)-1) rank[d->points[i].model] = next++;
  for (size_t i = 0; i < d->n_models; ++i) sorted[rank[i]] = d->models[i];
  for (size_t i = 0; i < d->n_points; ++i) d->points[i].model = rank[d->points[i].model];
  free(d->models);
  d->models = sorted;
  free(rank);
  return CTXLAB_OK;
}

int ctxlab_report_data_load(const char *dir, ctxlab_report_data *d, ctxlab_report_warn_fn warn,
                            void *warn_ctx, ctxlab_error *err) {
  memset(d, 0, sizeof *d);
  d->dir = strdup(dir);
  if (!d->dir) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  int rc;
  if ((rc = load_json(dir, "experiment.json", &d->experiment, err)) ||
      (rc = load_json(dir, "summary.json", &d->summary, err)) ||
      (rc = load_points(d, warn, warn_ctx, err)) || (rc = order_models(d, err))) {
    ctxlab_report_data_free(d);
    return rc;
  }
  make_labels(d);
  return CTXLAB_OK;
}

void ctxlab_report_data_free(ctxlab_report_data *d) {
  for (size_t i = 0; i < d->n_points; ++i) {
    free(d->points[i].loss_by_context);
    free(d->points[i].bayes_by_context);
  }
  for (size_t i = 0; i < d->n_models; ++i) json_decref(d->models[i].config);
  free(d->points);
  free(d->models);
  free(d->dir);
  json_decref(d->experiment);
  json_decref(d->summary);
  memset(d, 0, sizeof *d);
}
