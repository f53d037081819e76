/* The truth as JSON (DESIGN.md section 4.1). */
#include "ctxlab/theory.h"

json_t *ctxlab_curve_to_json(const ctxlab_curve *curve, const char *xkey) {
  json_t *obj = json_object(), *x = json_array(), *bits = json_array(), *se = json_array();
  if (!obj || !x || !bits || !se) {
    json_decref(obj), json_decref(x), json_decref(bits), json_decref(se);
    return NULL;
  }
  for (size_t i = 0; i < curve->n; ++i) {
    json_array_append_new(x, json_integer(curve->x[i]));
    json_array_append_new(bits, json_real(curve->bits[i]));
    json_array_append_new(se, json_real(curve->stderr_bits[i]));
  }
  json_object_set_new(obj, xkey, x);
  json_object_set_new(obj, "bits", bits);
  json_object_set_new(obj, "stderr_bits", se);
  json_object_set_new(obj, "method", json_string(ctxlab_method_name(curve->method)));
  return obj;
}

static void set_curve(json_t *obj, const char *name, const ctxlab_curve *curve, const char *xkey) {
  if (curve->n > 0 && curve->method != CTXLAB_METHOD_NONE)
    json_object_set_new(obj, name, ctxlab_curve_to_json(curve, xkey));
}

static void set_entropy_rate(json_t *obj, const ctxlab_truth *t) {
  json_object_set_new(obj, "entropy_rate_bits", json_real(t->entropy_rate_bits));
  json_object_set_new(obj, "entropy_rate_method",
                      json_string(ctxlab_method_name(t->entropy_rate_method)));
  if (t->entropy_rate_method == CTXLAB_METHOD_BOUNDS) {
    json_object_set_new(obj, "entropy_rate_lower_bits", json_real(t->entropy_rate_lower_bits));
    json_object_set_new(obj, "entropy_rate_upper_bits", json_real(t->entropy_rate_upper_bits));
    json_object_set_new(obj, "entropy_rate_upper_stderr_bits",
                        json_real(t->entropy_rate_upper_stderr_bits));
  }
}

static void set_monte_carlo(json_t *obj, const ctxlab_truth *t) {
  if (t->mc_samples) {
    json_t *mc = json_object();
    json_object_set_new(mc, "samples", json_integer((json_int_t)t->mc_samples));
    json_object_set_new(mc, "seed", json_integer((json_int_t)t->mc_seed));
    json_object_set_new(obj, "monte_carlo", mc);
  }
}

json_t *ctxlab_truth_summary_to_json(const ctxlab_truth *t) {
  json_t *obj = json_object();
  if (!obj) return NULL;
  json_object_set_new(obj, "max_context", json_integer((json_int_t)t->max_context));
  set_entropy_rate(obj, t);
  set_curve(obj, "conditional_entropy", &t->conditional_entropy, "context");
  set_monte_carlo(obj, t);
  return obj;
}

json_t *ctxlab_truth_to_json(const ctxlab_lang *lang, const ctxlab_truth *t) {
  json_t *obj = json_object();
  if (!obj) return NULL;
  json_object_set_new(obj, "family", json_string(ctxlab_lang_family(lang)));
  json_object_set_new(obj, "spec", ctxlab_lang_canonical_spec(lang));
  json_object_set_new(obj, "vocab_size", json_integer(ctxlab_lang_vocab_size(lang)));
  json_object_set_new(obj, "max_context", json_integer((json_int_t)t->max_context));
  set_entropy_rate(obj, t);
  set_curve(obj, "conditional_entropy", &t->conditional_entropy, "context");
  set_curve(obj, "mutual_information", &t->mutual_information, "distance");
  set_curve(obj, "bipartite_mutual_information", &t->bipartite_mutual_information, "length");
  double beta, prefactor;
  int64_t lo, hi;
  if (ctxlab_truth_bipartite_exponent(t, &beta, &prefactor, &lo, &hi, NULL) == CTXLAB_OK) {
    json_t *fit = json_object();
    json_object_set_new(fit, "exponent", json_real(beta));
    json_object_set_new(fit, "prefactor_bits", json_real(prefactor));
    json_object_set_new(fit, "length_min", json_integer(lo));
    json_object_set_new(fit, "length_max", json_integer(hi));
    json_object_set_new(fit, "fit", json_string("least squares of log I_BP on log length, "
                                                "lengths 2^j in [length_min, length_max]"));
    json_object_set_new(obj, "bipartite_exponent", fit);
  }
  if (t->intrinsic_dimension >= 0)
    json_object_set_new(obj, "intrinsic_dimension", json_integer(t->intrinsic_dimension));
  set_curve(obj, "intrinsic_entropy", &t->intrinsic_entropy, "context");
  set_monte_carlo(obj, t);
  return obj;
}
