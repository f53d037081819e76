/* Reading JSON specs with errors that name the JSON path. */
#include "core/json_spec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int syntax_error(const json_error_t *jerr, const char *where, ctxlab_error *err) {
  return ctxlab_error_set(err, CTXLAB_EINVAL, "%s:%d:%d: JSON syntax error: %s", where, jerr->line,
                          jerr->column, jerr->text);
}

int ctxlab_json_parse(const char *text, const char *where, json_t **out, ctxlab_error *err) {
  json_error_t jerr;
  *out = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
  return *out ? CTXLAB_OK : syntax_error(&jerr, where ? where : "<json>", err);
}

int ctxlab_json_load_file(const char *path, json_t **out, ctxlab_error *err) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: is a directory, not a JSON file", path);
  FILE *f = fopen(path, "rb");
  if (!f) return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: cannot open: %s", path, strerror(errno));
  json_error_t jerr;
  *out = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
  fclose(f);
  return *out ? CTXLAB_OK : syntax_error(&jerr, path, err);
}

void ctxlab_json_path_key(char *buf, const char *parent, const char *key) {
  snprintf(buf, CTXLAB_JSON_PATH_MAX, "%s.%s", parent, key);
}

void ctxlab_json_path_index(char *buf, const char *parent, size_t index) {
  snprintf(buf, CTXLAB_JSON_PATH_MAX, "%s[%zu]", parent, index);
}

const char *ctxlab_json_type_phrase(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
  }
  return "an unknown value";
}

int ctxlab_json_check_object(const json_t *v, const char *path, const char *const *allowed,
                             ctxlab_error *err) {
  if (!json_is_object(v))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected an object, got %s", path,
                            ctxlab_json_type_phrase(v));
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)v, key, value) {
    int known = 0;
    for (const char *const *a = allowed; *a; ++a)
      if (strcmp(*a, key) == 0) known = 1;
    if (!known) {
      char list[512] = "";
      for (const char *const *a = allowed; *a; ++a) {
        if (a != allowed) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, *a, sizeof list - strlen(list) - 1);
      }
      return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: unknown key \"%s\" (allowed: %s)", path, key,
                              list);
    }
  }
  return CTXLAB_OK;
}

int ctxlab_json_number(const json_t *v, const char *path, double lo, double hi, int hi_open,
                       double *out, ctxlab_error *err) {
  if (!json_is_number(v))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected a number, got %s", path,
                            ctxlab_json_type_phrase(v));
  double x = json_number_value(v);
  if (!isfinite(x)) return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: not a finite number", path);
  if (x < lo || x > hi || (hi_open && x == hi))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: %.17g is out of range [%.17g, %.17g%c", path,
                            x, lo, hi, hi_open ? ')' : ']');
  *out = x;
  return CTXLAB_OK;
}

int ctxlab_json_uint(const json_t *v, const char *path, uint64_t lo, uint64_t hi, uint64_t *out,
                     ctxlab_error *err) {
  uint64_t x;
  if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    if (i < 0)
      return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: %lld is out of range [%llu, %llu]", path,
                              (long long)i, (unsigned long long)lo, (unsigned long long)hi);
    x = (uint64_t)i;
  } else if (json_is_real(v)) {
    double r = json_real_value(v);
    /* 2^63 is the first double beyond a jansson integer */
    if (!(r >= 0 && r < 0x1p63) || r != floor(r))
      return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected a non-negative integer, got %.17g",
                              path, r);
    x = (uint64_t)r;
  } else {
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected an integer, got %s", path,
                            ctxlab_json_type_phrase(v));
  }
  if (x < lo || x > hi)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: %llu is out of range [%llu, %llu]", path,
                            (unsigned long long)x, (unsigned long long)lo, (unsigned long long)hi);
  *out = x;
  return CTXLAB_OK;
}

/* Member `key` of obj with its path written to p; NULL when absent, with
 * *st set to an error when it is required. */
static const json_t *member(const json_t *obj, const char *path, const char *key, int required,
                            char *p, int *st, ctxlab_error *err) {
  ctxlab_json_path_key(p, path, key);
  const json_t *v = json_object_get(obj, key);
  *st = !v && required ? ctxlab_error_set(err, CTXLAB_EINVAL, "%s: missing (required)", p)
                       : CTXLAB_OK;
  return v;
}

int ctxlab_json_member_number(const json_t *obj, const char *path, const char *key, int required,
                              double def, double lo, double hi, int hi_open, double *out,
                              ctxlab_error *err) {
  char p[CTXLAB_JSON_PATH_MAX];
  int st;
  const json_t *v = member(obj, path, key, required, p, &st, err);
  if (!v) return st ? st : (*out = def, CTXLAB_OK);
  return ctxlab_json_number(v, p, lo, hi, hi_open, out, err);
}

int ctxlab_json_member_uint(const json_t *obj, const char *path, const char *key, int required,
                            uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out,
                            ctxlab_error *err) {
  char p[CTXLAB_JSON_PATH_MAX];
  int st;
  const json_t *v = member(obj, path, key, required, p, &st, err);
  if (!v) return st ? st : (*out = def, CTXLAB_OK);
  return ctxlab_json_uint(v, p, lo, hi, out, err);
}

int ctxlab_json_number_list(const json_t *v, const char *path, size_t n, double lo, double hi,
                            int hi_open, double *out, ctxlab_error *err) {
  if (!json_is_array(v))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected a list, got %s", path,
                            ctxlab_json_type_phrase(v));
  if (json_array_size(v) != n)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected %zu entries, got %zu", path, n,
                            json_array_size(v));
  char p[CTXLAB_JSON_PATH_MAX];
  for (size_t i = 0; i < n; ++i) {
    ctxlab_json_path_index(p, path, i);
    int st = ctxlab_json_number(json_array_get(v, i), p, lo, hi, hi_open, &out[i], err);
    if (st) return st;
  }
  return CTXLAB_OK;
}
