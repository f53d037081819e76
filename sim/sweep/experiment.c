/* Experiments: parsing, the canonical form, the grid's points.
 *
 *   {"language": SPEC, "models": [{"model": "ngram", "beta": 0.5}, ...],
 *    "grid": {"context": [...], "train_tokens": [...], "seed": [...]},
 *    "eval_tokens": N}
 *
 * A model entry's keys are `ctxlab train`'s option names with '-' written
 * '_', and "eval": {"rope_scaling": "yarn", ...}, the transformer's position
 * options (same names) overridden at evaluation (`ctxlab eval --rope-scaling
 * ...` on the trained model).  Every model config, and its eval config, is
 * built once per grid context while parsing, so a point can only fail at run
 * time for lack of memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_spec.h"
#include "sim/model_config.h"
#include "sim/sweep/sweep_impl.h"

static const char *const TRAINING_KEYS[] = {"steps", "batch", "lr", "weight_decay", "epochs",
                                            "patience", NULL};

/* Points beyond this are surely a mistake (and index arithmetic stays small). */
#define MAX_POINTS 100000000u

static int is_training_key(const char *key) {
  for (const char *const *k = TRAINING_KEYS; *k; ++k)
    if (strcmp(*k, key) == 0) return 1;
  return 0;
}

/* ---- model entries -------------------------------------------------------- */

static int set_training_option(sweep_model *m, const char *key, const json_t *v, const char *path,
                               ctxlab_error *err) {
  uint64_t u;
  int st;
  if (strcmp(key, "lr") == 0 || strcmp(key, "weight_decay") == 0) {
    int lr = strcmp(key, "lr") == 0;
    double x;
    if ((st = ctxlab_json_number(v, path, 0, 1e300, 0, &x, err))) return st;
    if (lr && x == 0) return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: must be positive", path);
    *(lr ? &m->lr : &m->weight_decay) = x;
    return CTXLAB_OK;
  }
  if (strcmp(key, "steps") == 0) return ctxlab_json_uint(v, path, 0, CTXLAB_JSON_UINT_MAX, &m->steps, err);
  const int batch = strcmp(key, "batch") == 0, epochs = strcmp(key, "epochs") == 0;
  if ((st = ctxlab_json_uint(v, path, batch || epochs ? 1 : 0, batch ? 1u << 20 : 1u << 30, &u, err)))
    return st;
  *(batch ? &m->batch : epochs ? &m->epochs : &m->patience) = (uint32_t)u;
  return CTXLAB_OK;
}

static int is_field(void *ctx, const char *field, const char *text, json_t *value) {
  (void)text;
  (void)value;
  return strcmp(ctx, field) == 0;
}

/* Is `field` one of the fields of cfg's kind? */
static int kind_has(const ctxlab_model_config *cfg, const char *field) {
  return ctxlab_model_config_foreach(cfg, is_field, (void *)field) != 0;
}

static int add_option(void *ctx, const char *field, const char *text, json_t *value) {
  (void)text;
  const char *option = ctxlab_model_field_option(field);
  if (!option) return CTXLAB_OK; /* vocab_size, train_context: not part of an entry */
  return json_object_set(ctx, option, value) ? CTXLAB_ENOMEM : CTXLAB_OK;
}

static int add_position(void *ctx, const char *field, const char *text, json_t *value) {
  (void)text;
  if (!ctxlab_model_field_is_positional(field)) return CTXLAB_OK;
  return json_object_set(ctx, field, value) ? CTXLAB_ENOMEM : CTXLAB_OK;
}

static int is_position(void *ctx, const char *field, const char *text, json_t *value) {
  (void)ctx;
  (void)text;
  (void)value;
  return ctxlab_model_field_is_positional(field);
}

/* "eval": every position option of the config evaluated. */
static int add_eval_json(json_t *o, const sweep_model *m) {
  if (!m->has_eval) return CTXLAB_OK;
  json_t *e = json_object();
  if (!e || ctxlab_model_config_foreach(&m->eval_cfg, add_position, e) ||
      json_object_set_new(o, "eval", e)) {
    json_decref(e);
    return CTXLAB_ENOMEM;
  }
  return CTXLAB_OK;
}

/* The entry's "eval" overrides applied to its (complete) training config. */
static int parse_eval(const json_t *v, const char *path, sweep_model *m, ctxlab_error *err) {
  if (!json_is_object(v))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected an object of position options "
                            "overridden at evaluation, got %s", path, ctxlab_json_type_phrase(v));
  if (!ctxlab_model_config_foreach(&m->cfg, is_position, NULL))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: model %s has no position handling to "
                            "override (RoPE and logit scalings are the transformer's)", path,
                            m->cfg.model);
  m->has_eval = 1;
  m->eval_cfg = m->cfg;
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)v, key, value) {
    char p[CTXLAB_JSON_PATH_MAX];
    ctxlab_json_path_key(p, path, key);
    const char *field = ctxlab_model_option_field(key);
    int st = ctxlab_model_config_override_json(&m->eval_cfg, field ? field : key, value, p, err);
    if (st) return st;
  }
  return CTXLAB_OK;
}

static json_t *training_json(const sweep_model *m) {
  return json_pack("{s:I, s:I, s:f, s:f, s:I, s:I}", "steps", (json_int_t)m->steps, "batch",
                   (json_int_t)m->batch, "lr", m->lr, "weight_decay", m->weight_decay, "epochs",
                   (json_int_t)m->epochs, "patience", (json_int_t)m->patience);
}

/* {"model", every option of the kind, the training options of trainable
 * kinds, "eval" when overridden}. */
static json_t *entry_json(const sweep_model *m) {
  json_t *e = json_pack("{s:s}", "model", m->cfg.model);
  json_t *t = m->trainable ? training_json(m) : json_object();
  if (!e || !t || ctxlab_model_config_foreach(&m->cfg, add_option, e) || json_object_update(e, t) ||
      add_eval_json(e, m)) {
    json_decref(e);
    e = NULL;
  }
  json_decref(t);
  return e;
}

static int parse_model(const json_t *v, const char *path, uint32_t vocab, sweep_model *m,
                       ctxlab_error *err) {
  char p[CTXLAB_JSON_PATH_MAX];
  if (!json_is_object(v))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected an object, got %s", path,
                            ctxlab_json_type_phrase(v));
  const json_t *kind = json_object_get(v, "model");
  ctxlab_json_path_key(p, path, "model");
  if (!kind)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: missing (required; ngram, mlp, transformer "
                            "or rnn)", p);
  if (!json_is_string(kind))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected a string, got %s", p,
                            ctxlab_json_type_phrase(kind));
  if (ctxlab_model_config_init(&m->cfg, json_string_value(kind), err))
    return ctxlab_error_prefix(err, "%s: ", p);
  m->cfg.vocab_size = vocab;
  m->trainable = strcmp(m->cfg.model, "ngram") != 0;
  ctxlab_train_options defaults;
  ctxlab_train_options_init(&defaults);
  m->steps = defaults.steps;
  m->batch = defaults.batch;
  m->lr = defaults.lr;
  m->weight_decay = defaults.weight_decay;
  m->epochs = defaults.max_epochs;
  m->patience = defaults.patience;
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)v, key, value) {
    if (strcmp(key, "model") == 0 || strcmp(key, "eval") == 0) continue;
    ctxlab_json_path_key(p, path, key);
    const char *field = ctxlab_model_option_field(key);
    int st;
    if (strcmp(key, "context") == 0 || strcmp(key, "train_tokens") == 0 || strcmp(key, "seed") == 0)
      return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: %s comes from the grid ($.grid.%s), not "
                              "from a model entry", p, key, key);
    if (field) {
      st = kind_has(&m->cfg, field)
               ? ctxlab_model_config_set_json(&m->cfg, field, value, p, err)
               : ctxlab_error_set(err, CTXLAB_EINVAL, "%s: option '%s' does not apply to model %s",
                                  p, key, m->cfg.model);
    } else if (is_training_key(key)) {
      st = m->trainable ? set_training_option(m, key, value, p, err)
                        : ctxlab_error_set(err, CTXLAB_EINVAL, "%s: training option '%s' does not "
                                           "apply to model %s (it counts)", p, key, m->cfg.model);
    } else {
      st = ctxlab_error_set(err, CTXLAB_EINVAL, "%s: unknown key \"%s\" (model entries take "
                            "`ctxlab train` option names with '_' for '-')", p, key);
    }
    if (st) return st;
  }
  const json_t *eval = json_object_get(v, "eval");
  if (eval) {
    ctxlab_json_path_key(p, path, "eval");
    int st = parse_eval(eval, p, m, err);
    if (st) return st;
  }
  m->entry = entry_json(m);
  return m->entry ? CTXLAB_OK : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
}

static int parse_models(ctxlab_sweep *s, const json_t *v, ctxlab_error *err) {
  if (!json_is_array(v))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "$.models: expected a list, got %s",
                            ctxlab_json_type_phrase(v));
  s->n_models = json_array_size(v);
  if (s->n_models == 0)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "$.models: empty list: the grid has no points");
  s->models = calloc(s->n_models, sizeof *s->models);
  if (!s->models) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  for (size_t i = 0; i < s->n_models; ++i) {
    char p[CTXLAB_JSON_PATH_MAX];
    ctxlab_json_path_index(p, "$.models", i);
    int st = parse_model(json_array_get(v, i), p, ctxlab_lang_vocab_size(s->lang), &s->models[i], err);
    if (st) return st;
    for (size_t j = 0; j < i; ++j)
      if (json_equal(s->models[j].entry, s->models[i].entry))
        return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: the same model as $.models[%zu]", p, j);
  }
  return CTXLAB_OK;
}

/* ---- the grid ------------------------------------------------------------- */

/* A non-empty list of distinct integers in [lo, hi] (absent: {def}). */
static int parse_list(const json_t *grid, const char *key, uint64_t lo, uint64_t hi, int required,
                      uint64_t def, uint64_t **out, size_t *n, ctxlab_error *err) {
  char path[CTXLAB_JSON_PATH_MAX], p[CTXLAB_JSON_PATH_MAX];
  ctxlab_json_path_key(path, "$.grid", key);
  const json_t *v = json_object_get(grid, key);
  if (!v && required) return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: missing (required)", path);
  if (v && !json_is_array(v))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected a list, got %s", path,
                            ctxlab_json_type_phrase(v));
  *n = v ? json_array_size(v) : 1;
  if (*n == 0) return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: empty list: the grid has no points", path);
  *out = calloc(*n, sizeof **out);
  if (!*out) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  if (!v) {
    (*out)[0] = def;
    return CTXLAB_OK;
  }
  for (size_t i = 0; i < *n; ++i) {
    ctxlab_json_path_index(p, path, i);
    int st = ctxlab_json_uint(json_array_get(v, i), p, lo, hi, &(*out)[i], err);
    if (st) return st;
    for (size_t j = 0; j < i; ++j)
      if ((*out)[j] == (*out)[i])
        return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: %llu is already %s[%zu]", p,
                                (unsigned long long)(*out)[i], path, j);
  }
  return CTXLAB_OK;
}

static int parse_grid(ctxlab_sweep *s, const json_t *grid, ctxlab_error *err) {
  static const char *const keys[] = {"context", "train_tokens", "seed", NULL};
  uint64_t *context = NULL;
  int st;
  if ((st = ctxlab_json_check_object(grid, "$.grid", keys, err)) ||
      (st = parse_list(grid, "context", 0, 1u << 20, 1, 0, &context, &s->n_context, err)) ||
      (st = parse_list(grid, "train_tokens", 1, CTXLAB_JSON_UINT_MAX, 1, 0, &s->train_tokens,
                       &s->n_train, err)) ||
      (st = parse_list(grid, "seed", 0, CTXLAB_JSON_UINT_MAX, 0, 1, &s->seed, &s->n_seed, err))) {
    free(context);
    return st;
  }
  s->context = malloc(s->n_context * sizeof *s->context);
  if (s->context)
    for (size_t i = 0; i < s->n_context; ++i) s->context[i] = (uint32_t)context[i];
  free(context);
  return s->context ? CTXLAB_OK : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
}

/* Build every model at every grid context (so config errors surface now) and
 * the "model" object of its results lines: the model's config as run.json
 * writes it, plus the training options. */
static int build_point_models(ctxlab_sweep *s, ctxlab_error *err) {
  const size_t n = s->n_models * s->n_context;
  s->point_models = calloc(n, sizeof *s->point_models);
  s->param_count = calloc(n, sizeof *s->param_count);
  if (!s->point_models || !s->param_count) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  for (size_t mi = 0; mi < s->n_models; ++mi)
    for (size_t di = 0; di < s->n_train && !s->models[mi].trainable; ++di)
      if (s->train_tokens[di] > CTXLAB_NGRAM_MAX_TRAIN_TOKENS)
        return ctxlab_error_set(err, CTXLAB_EINVAL, "$.grid.train_tokens[%zu]: %llu tokens, but "
                                "$.models[%zu] (%s) is fitted to at most 2^32", di,
                                (unsigned long long)s->train_tokens[di], mi, s->models[mi].cfg.model);
  for (size_t mi = 0; mi < s->n_models; ++mi)
    for (size_t ci = 0; ci < s->n_context; ++ci) {
      const sweep_model *sm = &s->models[mi];
      ctxlab_model_config cfg = sm->cfg;
      cfg.context = s->context[ci];
      ctxlab_model *m;
      if (ctxlab_model_new(&cfg, 0, &m, err))
        return ctxlab_error_prefix(err, "$.models[%zu] at context %u: ", mi, cfg.context);
      const size_t k = mi * s->n_context + ci;
      s->param_count[k] = (double)ctxlab_model_param_count(m);
      if (sm->has_eval) { /* as the point will apply them to the trained model */
        ctxlab_model_config eval_cfg = sm->eval_cfg;
        eval_cfg.context = cfg.context;
        if (ctxlab_model_set_positions(m, &eval_cfg, err)) {
          ctxlab_model_free(m);
          return ctxlab_error_prefix(err, "$.models[%zu].eval at context %u: ", mi, cfg.context);
        }
      }
      ctxlab_model_free(m);
      json_t *j = ctxlab_model_config_to_json(&cfg), *t = sm->trainable ? training_json(sm) : NULL;
      if (!j || (sm->trainable && (!t || json_object_update(j, t))) || add_eval_json(j, sm)) {
        json_decref(j);
        json_decref(t);
        return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
      }
      json_decref(t);
      s->point_models[k] = j;
    }
  return CTXLAB_OK;
}

static json_t *u64_array(const uint64_t *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n && a; ++i)
    if (json_array_append_new(a, json_integer((json_int_t)v[i]))) {
      json_decref(a);
      a = NULL;
    }
  return a;
}

static json_t *canonical_json(const ctxlab_sweep *s) {
  json_t *models = json_array(), *context = json_array();
  for (size_t i = 0; i < s->n_models && models; ++i) json_array_append(models, s->models[i].entry);
  for (size_t i = 0; i < s->n_context && context; ++i)
    json_array_append_new(context, json_integer(s->context[i]));
  return json_pack("{s:o, s:o, s:{s:o, s:o, s:o}, s:I, s:I}", "language",
                   ctxlab_lang_canonical_spec(s->lang), "models", models, "grid", "context", context,
                   "train_tokens", u64_array(s->train_tokens, s->n_train), "seed",
                   u64_array(s->seed, s->n_seed), "eval_tokens", (json_int_t)s->eval_tokens,
                   "eval_context", (json_int_t)s->eval_context);
}

static int parse_language(ctxlab_sweep *s, const json_t *v, ctxlab_error *err) {
  if (!v) return ctxlab_error_set(err, CTXLAB_EINVAL, "$.language: missing (required: a preset "
                                  "name, a spec file or a spec object)");
  if (json_is_object(v)) return ctxlab_lang_from_json(v, "$.language", &s->lang, err);
  if (!json_is_string(v))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "$.language: expected a preset name, a file or "
                            "an object, got %s", ctxlab_json_type_phrase(v));
  int st = ctxlab_lang_new(json_string_value(v), &s->lang, err);
  return st ? ctxlab_error_prefix(err, "$.language: ") : CTXLAB_OK;
}

static int parse(ctxlab_sweep *s, const json_t *e, ctxlab_error *err) {
  static const char *const keys[] = {"language", "models", "grid", "eval_tokens", "eval_context",
                                     NULL};
  int st;
  if ((st = ctxlab_json_check_object(e, "$", keys, err)) ||
      (st = parse_language(s, json_object_get(e, "language"), err)))
    return st;
  const json_t *models = json_object_get(e, "models"), *grid = json_object_get(e, "grid");
  if (!models) return ctxlab_error_set(err, CTXLAB_EINVAL, "$.models: missing (required)");
  if (!grid) return ctxlab_error_set(err, CTXLAB_EINVAL, "$.grid: missing (required)");
  if ((st = parse_models(s, models, err)) || (st = parse_grid(s, grid, err)) ||
      (st = ctxlab_json_member_uint(e, "$", "eval_tokens", 0, 65536, 1, 1ull << 40, &s->eval_tokens,
                                    err)) ||
      (st = ctxlab_json_member_uint(e, "$", "eval_context", 0, 0, 0, 1u << 20, &s->eval_context,
                                    err)))
    return st;
  double points = (double)s->n_models * (double)s->n_context * (double)s->n_train * (double)s->n_seed;
  if (points > MAX_POINTS)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "$.grid: %.0f points (more than %u)", points,
                            MAX_POINTS);
  s->n_points = (size_t)points;
  if ((st = build_point_models(s, err))) return st;
  s->canonical = canonical_json(s);
  return s->canonical ? CTXLAB_OK : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
}

int ctxlab_sweep_from_json(const json_t *experiment, const char *where, ctxlab_sweep **out,
                           ctxlab_error *err) {
  ctxlab_init();
  *out = NULL;
  ctxlab_sweep *s = calloc(1, sizeof *s);
  if (!s) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  int st = parse(s, experiment, err);
  if (st) {
    ctxlab_sweep_free(s);
    return where ? ctxlab_error_prefix(err, "%s: ", where) : st;
  }
  *out = s;
  return CTXLAB_OK;
}

int ctxlab_sweep_new(const char *arg, ctxlab_sweep **out, ctxlab_error *err) {
  *out = NULL;
  const char *p = arg;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  json_t *e;
  const int inline_json = *p == '{';
  int st = inline_json ? ctxlab_json_parse(arg, "inline experiment", &e, err)
                       : ctxlab_json_load_file(arg, &e, err);
  if (st) return st;
  st = ctxlab_sweep_from_json(e, inline_json ? "inline experiment" : arg, out, err);
  json_decref(e);
  return st;
}

void ctxlab_sweep_free(ctxlab_sweep *s) {
  if (!s) return;
  for (size_t i = 0; s->models && i < s->n_models; ++i) json_decref(s->models[i].entry);
  for (size_t i = 0; s->point_models && i < s->n_models * s->n_context; ++i)
    json_decref(s->point_models[i]);
  for (size_t i = 0; s->predicted && i < s->n_models * s->n_context * s->n_train; ++i)
    json_decref(s->predicted[i]);
  free(s->predicted);
  free(s->models);
  free(s->point_models);
  free(s->param_count);
  free(s->context);
  free(s->train_tokens);
  free(s->seed);
  json_decref(s->canonical);
  ctxlab_curve_free(&s->bayes);
  ctxlab_lang_free(s->lang);
  free(s);
}

json_t *ctxlab_sweep_canonical(const ctxlab_sweep *s) { return json_deep_copy(s->canonical); }

size_t ctxlab_sweep_point_count(const ctxlab_sweep *s) { return s->n_points; }

double ctxlab_sweep_prediction_seconds(const ctxlab_sweep *s) { return s->predict_s; }

/* ---- points --------------------------------------------------------------- */

void ctxlab_sweep_point_at(const ctxlab_sweep *s, size_t index, ctxlab_sweep_point *p) {
  size_t i = index;
  p->index = index;
  p->seed = s->seed[i % s->n_seed];
  i /= s->n_seed;
  p->train_tokens = s->train_tokens[i % s->n_train];
  i /= s->n_train;
  p->context = s->context[i % s->n_context];
  p->model = i / s->n_context;
}

size_t ctxlab_sweep_context_index(const ctxlab_sweep *s, uint32_t context) {
  size_t i = 0;
  while (i < s->n_context && s->context[i] != context) ++i;
  return i;
}

/* Multiply-adds, roughly: training passes over its tokens (forward and
 * backward, about 6 per parameter per token, Kaplan et al. 2020) plus the
 * logits over the vocabulary, and evaluation (forward only).  A counting
 * model's work per token is its V logits.  Only the ratios matter. */
double ctxlab_sweep_point_cost(const ctxlab_sweep *s, size_t index) {
  ctxlab_sweep_point p;
  ctxlab_sweep_point_at(s, index, &p);
  const sweep_model *m = &s->models[p.model];
  const double P = s->param_count[p.model * s->n_context + ctxlab_sweep_context_index(s, p.context)];
  const double V = m->cfg.vocab_size, D = (double)p.train_tokens, E = (double)s->eval_tokens;
  double trained = D;
  if (m->trainable)
    trained = m->steps ? (double)m->steps * m->batch * (p.context ? p.context : 1) : D * m->epochs;
  return trained * (6 * P + V) + E * (2 * P + V);
}

/* ---- results lines -------------------------------------------------------- */

static int same_u64(const json_t *line, const char *key, uint64_t want) {
  const json_t *v = json_object_get(line, key);
  return json_is_integer(v) && (uint64_t)json_integer_value(v) == want;
}

int ctxlab_sweep_check_line(const ctxlab_sweep *s, const json_t *line, const char *where,
                            size_t *index, ctxlab_error *err) {
  if (!json_is_object(line))
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: expected an object, got %s", where,
                            ctxlab_json_type_phrase(line));
  const json_t *i = json_object_get(line, "index");
  if (!json_is_integer(i) || json_integer_value(i) < 0 ||
      (uint64_t)json_integer_value(i) >= s->n_points)
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: no point index of this experiment "
                            "(%zu points)", where, s->n_points);
  ctxlab_sweep_point p;
  ctxlab_sweep_point_at(s, (size_t)json_integer_value(i), &p);
  const json_t *model = s->point_models[p.model * s->n_context +
                                        ctxlab_sweep_context_index(s, p.context)];
  if (!json_equal((json_t *)model, json_object_get(line, "model")) ||
      !same_u64(line, "context", p.context) || !same_u64(line, "train_tokens", p.train_tokens) ||
      !same_u64(line, "seed", p.seed))
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: point %zu is not the point of this "
                            "experiment with that index (another experiment's results?)", where,
                            p.index);
  if (!json_is_object(json_object_get(line, "measured")) ||
      !json_is_object(json_object_get(line, "predicted")))
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: point %zu has no \"measured\" and "
                            "\"predicted\" objects", where, p.index);
  *index = p.index;
  return CTXLAB_OK;
}
