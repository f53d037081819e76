/* Model configs by name: one table of fields serves the CLI options, the
 * checkpoint metadata, sweep JSON and run.json, so a field has one name
 * everywhere. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/model.h"
#include "sim/model_config.h"

enum { NGRAM = 1, MLP = 2, TRANSFORMER = 4, RNN = 8, ALL = 15 };
typedef enum { U32, F64, NAME } field_type;

typedef struct field {
  const char *key;
  field_type type;
  int kinds;
  size_t offset;
  const char *const *names; /* NAME: values by enum index, NULL-terminated */
  double min, max;          /* numeric range, inclusive */
  int positional;           /* position handling: evaluation may override it (weights unchanged) */
} field;

static const char *const ROPE[] = {"none", "pi", "ntk", "ntk-by-parts", "yarn", NULL};
static const char *const LOGIT[] = {"none", "eabf", "log-n", NULL};
static const char *const SMOOTHING[] = {"add-beta", "kneser-ney", NULL};
static const char *const CELL[] = {"lru", "gru", NULL};

#define OFF(f) offsetof(ctxlab_model_config, f)
static const field FIELDS[] = {
    {"vocab_size", U32, ALL, OFF(vocab_size), NULL, 2, 1 << 24, 0},
    {"train_context", U32, ALL, OFF(context), NULL, 0, 1 << 20, 0},
    {"smoothing", NAME, NGRAM, OFF(smoothing), SMOOTHING, 0, 0, 0},
    {"beta", F64, NGRAM, OFF(beta), NULL, 1e-12, 1e12, 0},
    {"kn_discount", F64, NGRAM, OFF(kn_discount), NULL, 0, 0.999999, 0},
    {"d_model", U32, MLP | TRANSFORMER | RNN, OFF(d_model), NULL, 1, 1 << 16, 0},
    {"n_layer", U32, MLP | TRANSFORMER | RNN, OFF(n_layer), NULL, 0, 1024, 0},
    {"n_head", U32, TRANSFORMER, OFF(n_head), NULL, 1, 1024, 0},
    {"hidden", U32, MLP, OFF(hidden), NULL, 1, 1 << 20, 0},
    {"state_size", U32, RNN, OFF(state_size), NULL, 1, 1 << 20, 0},
    {"rnn_cell", NAME, RNN, OFF(rnn_cell), CELL, 0, 0, 0},
    {"rope_base", F64, TRANSFORMER, OFF(rope_base), NULL, 1.0000001, 1e300, 1},
    {"rope_scaling", NAME, TRANSFORMER, OFF(rope_scaling), ROPE, 0, 0, 1},
    {"rope_factor", F64, TRANSFORMER, OFF(rope_factor), NULL, 1, 1e6, 1},
    {"yarn_alpha", F64, TRANSFORMER, OFF(yarn_alpha), NULL, 0, 1e6, 1},
    {"yarn_beta", F64, TRANSFORMER, OFF(yarn_beta), NULL, 0, 1e6, 1},
    {"logit_scaling", NAME, TRANSFORMER, OFF(logit_scaling), LOGIT, 0, 0, 1},
    {"logit_scaling_skip_layers", U32, TRANSFORMER, OFF(logit_scaling_skip_layers), NULL, 0, 1024,
     1},
};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

static int kind_bit(const char *model) {
  static const char *const KINDS[] = {"ngram", "mlp", "transformer", "rnn"};
  for (int i = 0; i < 4; ++i)
    if (strcmp(model, KINDS[i]) == 0) return 1 << i;
  return 0;
}

int ctxlab_model_config_init(ctxlab_model_config *c, const char *model, ctxlab_error *err) {
  memset(c, 0, sizeof *c);
  int kind = kind_bit(model);
  if (!kind)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "unknown model '%s' (expected ngram, mlp, transformer or rnn)", model);
  snprintf(c->model, sizeof c->model, "%s", model);
  c->smoothing = CTXLAB_SMOOTHING_ADD_BETA;
  c->beta = 0.5; /* Krichevsky-Trofimov */
  c->rope_base = 10000;
  c->rope_factor = 1;
  c->yarn_alpha = 1; /* the YaRN paper's alpha and beta for LLaMA */
  c->yarn_beta = 32;
  /* context (cfg.context): the smallest each kind accepts, so that every
   * default config (given a vocab_size) makes a model: ngram order 0, mlp
   * window 1, transformer and rnn 0 (no training length; only the
   * length-dependent scalings need one). */
  if (kind == MLP) {
    c->context = 1;
    c->d_model = 32;
    c->hidden = 128;
    c->n_layer = 1;
  } else if (kind == TRANSFORMER) {
    c->d_model = 64;
    c->n_layer = 2;
    c->n_head = 4;
  } else if (kind == RNN) {
    c->d_model = 64;
    c->n_layer = 2;
    c->state_size = 64;
  }
  return CTXLAB_OK;
}

static const field *find(const char *key) {
  for (size_t i = 0; i < NFIELDS; ++i)
    if (strcmp(FIELDS[i].key, key) == 0) return &FIELDS[i];
  return NULL;
}

static int set_number(ctxlab_model_config *c, const field *f, double x, const char *where,
                      ctxlab_error *err) {
  if (!(x >= f->min && x <= f->max))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: %g is out of range [%g, %g]", where, x,
                            f->min, f->max);
  char *p = (char *)c + f->offset;
  if (f->type == U32) {
    if (x != floor(x))
      return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: %g is not a whole number", where, x);
    *(uint32_t *)p = (uint32_t)x; /* enum fields are int-sized too */
  } else {
    *(double *)p = x;
  }
  return CTXLAB_OK;
}

static int set_name(ctxlab_model_config *c, const field *f, const char *value, const char *where,
                    ctxlab_error *err) {
  for (int i = 0; f->names[i]; ++i)
    if (strcmp(f->names[i], value) == 0) {
      *(int *)((char *)c + f->offset) = i;
      return CTXLAB_OK;
    }
  char list[256] = "";
  for (int i = 0; f->names[i]; ++i)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", f->names[i]);
  return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: unknown value '%s' (expected one of: %s)", where,
                          value, list);
}

static const field *applicable(const ctxlab_model_config *c, const char *key, const char *where,
                               ctxlab_error *err) {
  const field *f = find(key);
  if (!f) {
    ctxlab_error_set(err, CTXLAB_EINVAL, "%s: unknown model option '%s'", where, key);
    return NULL;
  }
  if (!(f->kinds & kind_bit(c->model))) {
    ctxlab_error_set(err, CTXLAB_EINVAL, "%s: option '%s' does not apply to model %s", where, key,
                     c->model);
    return NULL;
  }
  return f;
}

int ctxlab_model_config_set_string(ctxlab_model_config *c, const char *key, const char *value,
                                   const char *where, ctxlab_error *err) {
  const field *f = applicable(c, key, where, err);
  if (!f) return CTXLAB_EINVAL;
  if (f->type == NAME) return set_name(c, f, value, where, err);
  char *end;
  errno = 0;
  double x = strtod(value, &end);
  if (end == value || *end || errno)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: '%s' is not a number", where, value);
  return set_number(c, f, x, where, err);
}

int ctxlab_model_config_set_json(ctxlab_model_config *c, const char *key, const json_t *value,
                                 const char *where, ctxlab_error *err) {
  const field *f = applicable(c, key, where, err);
  if (!f) return CTXLAB_EINVAL;
  if (f->type == NAME) {
    if (!json_is_string(value))
      return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected a string", where);
    return set_name(c, f, json_string_value(value), where, err);
  }
  if (!json_is_number(value))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected a number", where);
  return set_number(c, f, json_number_value(value), where, err);
}

/* "a, b, c": the position fields, for messages. */
static void positional_list(char *list, size_t size) {
  list[0] = 0;
  for (size_t i = 0; i < NFIELDS; ++i)
    if (FIELDS[i].positional)
      snprintf(list + strlen(list), size - strlen(list), "%s%s", list[0] ? ", " : "",
               FIELDS[i].key);
}

int ctxlab_model_field_is_positional(const char *key) {
  const field *f = find(key);
  return f && f->positional;
}

/* The field `key` when evaluation may override it in c's kind. */
static const field *overridable(const ctxlab_model_config *c, const char *key, const char *where,
                                ctxlab_error *err) {
  const field *f = find(key);
  char list[256];
  positional_list(list, sizeof list);
  if (!f || !f->positional) {
    ctxlab_error_set(err, CTXLAB_EINVAL,
                     f ? "%s: '%s' cannot change after training (the weights depend on it); "
                         "evaluation may override only the position handling: %s"
                       : "%s: unknown evaluation override '%s' (expected one of: %s)",
                     where, key, list);
    return NULL;
  }
  if (!(f->kinds & kind_bit(c->model))) {
    ctxlab_error_set(err, CTXLAB_EINVAL,
                     "%s: model %s has no position handling to override (RoPE and logit "
                     "scalings are the transformer's)", where, c->model);
    return NULL;
  }
  return f;
}

int ctxlab_model_config_override_string(ctxlab_model_config *c, const char *key,
                                        const char *value, const char *where, ctxlab_error *err) {
  if (!overridable(c, key, where, err)) return CTXLAB_EINVAL;
  return ctxlab_model_config_set_string(c, key, value, where, err);
}

int ctxlab_model_config_override_json(ctxlab_model_config *c, const char *key,
                                      const json_t *value, const char *where, ctxlab_error *err) {
  if (!overridable(c, key, where, err)) return CTXLAB_EINVAL;
  return ctxlab_model_config_set_json(c, key, value, where, err);
}

const char *ctxlab_model_config_fixed_change(const ctxlab_model_config *a,
                                             const ctxlab_model_config *b) {
  if (strcmp(a->model, b->model) != 0) return "model";
  int kind = kind_bit(a->model);
  for (size_t i = 0; i < NFIELDS; ++i) {
    const field *f = &FIELDS[i];
    size_t size = f->type == F64 ? sizeof(double) : sizeof(uint32_t); /* enums are int-sized */
    if ((f->kinds & kind) && !f->positional &&
        memcmp((const char *)a + f->offset, (const char *)b + f->offset, size) != 0)
      return f->key;
  }
  return NULL;
}

/* Shortest text that reads back to the same double. */
static void format_double(char *buf, size_t size, double x) {
  for (int prec = 1; prec <= 17; ++prec) {
    snprintf(buf, size, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) return;
  }
}

int ctxlab_model_config_foreach(const ctxlab_model_config *c, ctxlab_config_visit visit,
                                void *ctx) {
  int kind = kind_bit(c->model);
  for (size_t i = 0; i < NFIELDS; ++i) {
    const field *f = &FIELDS[i];
    if (!(f->kinds & kind)) continue;
    const char *p = (const char *)c + f->offset;
    char text[64];
    json_t *value;
    if (f->type == NAME) {
      snprintf(text, sizeof text, "%s", f->names[*(const int *)p]);
      value = json_string(text);
    } else if (f->type == U32) {
      snprintf(text, sizeof text, "%u", *(const uint32_t *)p);
      value = json_integer(*(const uint32_t *)p);
    } else {
      format_double(text, sizeof text, *(const double *)p);
      value = json_real(*(const double *)p);
    }
    int st = visit(ctx, f->key, text, value);
    json_decref(value);
    if (st) return st;
  }
  return CTXLAB_OK;
}

static int add_to_object(void *ctx, const char *key, const char *text, json_t *value) {
  (void)text;
  return json_object_set(ctx, key, value) ? CTXLAB_ENOMEM : CTXLAB_OK;
}

json_t *ctxlab_model_config_to_json(const ctxlab_model_config *c) {
  json_t *o = json_object();
  if (!o || json_object_set_new(o, "model", json_string(c->model)) ||
      ctxlab_model_config_foreach(c, add_to_object, o)) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static const struct {
  const char *option, *field;
} MODEL_OPTIONS[] = {
    {"dim", "d_model"},         {"layers", "n_layer"},        {"heads", "n_head"},
    {"hidden", "hidden"},       {"state_size", "state_size"}, {"cell", "rnn_cell"},
    {"smoothing", "smoothing"}, {"beta", "beta"},             {"kn_discount", "kn_discount"},
    {"rope_base", "rope_base"}, {"rope_scaling", "rope_scaling"}, {"rope_factor", "rope_factor"},
    {"yarn_alpha", "yarn_alpha"}, {"yarn_beta", "yarn_beta"}, {"logit_scaling", "logit_scaling"},
    {"logit_scaling_skip_layers", "logit_scaling_skip_layers"},
};
#define N_MODEL_OPTIONS (sizeof MODEL_OPTIONS / sizeof MODEL_OPTIONS[0])

static int same_option(const char *a, const char *b) {
  for (; *a && *b; ++a, ++b)
    if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_'))) return 0;
  return *a == *b;
}

const char *ctxlab_model_option_field(const char *option) {
  for (size_t i = 0; i < N_MODEL_OPTIONS; ++i)
    if (same_option(MODEL_OPTIONS[i].option, option)) return MODEL_OPTIONS[i].field;
  return NULL;
}

const char *ctxlab_model_field_option(const char *name) {
  for (size_t i = 0; i < N_MODEL_OPTIONS; ++i)
    if (strcmp(MODEL_OPTIONS[i].field, name) == 0) return MODEL_OPTIONS[i].option;
  return NULL;
}
