/* A fit as the JSON object of summary.json's "fits". */
#include <math.h>

#include "ctxlab/fit.h"

static json_t *number(double v) { return isfinite(v) ? json_real(v) : json_null(); }

json_t *ctxlab_fit_to_json(const ctxlab_fit_result *fit, const char *form) {
  json_t *obj = json_object(), *params = json_object(), *se = json_object();
  if (!obj || !params || !se) {
    json_decref(obj), json_decref(params), json_decref(se);
    return NULL;
  }
  int bad = 0;
  for (size_t i = 0; i < fit->n_params; ++i) {
    bad |= json_object_set_new(params, fit->names[i], number(fit->params[i]));
    bad |= json_object_set_new(se, fit->names[i], number(fit->std_error[i]));
  }
  bad |= json_object_set_new(obj, "form", json_string(form ? form : fit->form));
  bad |= json_object_set_new(obj, "params", params);
  bad |= json_object_set_new(obj, "stderr", se);
  bad |= json_object_set_new(obj, "r2", number(fit->r2));
  bad |= json_object_set_new(obj, "points", json_integer((json_int_t)fit->n));
  if (bad) {
    json_decref(obj);
    return NULL;
  }
  return obj;
}
