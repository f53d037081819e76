/* The truth of a language: exact curves where the family has closed forms,
 * Monte Carlo through the oracle otherwise, and the entropy rate. */
#include <string.h>

#include "ctxlab/theory.h"
#include "gen/family.h"
#include "theory/montecarlo.h"

/* Longest context a truth may ask for (the curves hold L + 1 points each). */
#define MAX_CONTEXT (1u << 24)

void ctxlab_theory_options_init(ctxlab_theory_options *opts) {
  opts->max_context = 64;
  opts->curves = CTXLAB_CURVE_ALL;
  opts->mode = CTXLAB_THEORY_AUTO;
  opts->samples = 20000;
  opts->seed = 0;
  opts->threads = 0;
}

void ctxlab_truth_free(ctxlab_truth *truth) {
  ctxlab_curve_free(&truth->conditional_entropy);
  ctxlab_curve_free(&truth->mutual_information);
  ctxlab_curve_free(&truth->bipartite_mutual_information);
  ctxlab_curve_free(&truth->intrinsic_entropy);
}

/* Allocate an exact curve with x = first, first + 1, ... */
static int exact_curve(ctxlab_curve *curve, size_t n, int64_t first, ctxlab_error *err) {
  int st = ctxlab_curve_alloc(curve, n, err);
  if (st) return st;
  for (size_t i = 0; i < n; ++i) curve->x[i] = first + (int64_t)i;
  curve->method = CTXLAB_METHOD_EXACT;
  return CTXLAB_OK;
}

static int compute(const ctxlab_lang *lang, const ctxlab_theory_options *opts, ctxlab_truth *t,
                   ctxlab_error *err) {
  const ctxlab_family_ops *ops = ctxlab_lang_ops(lang);
  const void *impl = ctxlab_lang_impl(lang);
  const size_t L = opts->max_context;
  const unsigned caps = ops->capabilities(impl);
  const int exact_entropy = opts->mode == CTXLAB_THEORY_AUTO && (caps & CTXLAB_CAP_EXACT_ENTROPY);
  int st;

  /* every closed form the family has, in one pass (they share work) */
  double *H = NULL, *I = NULL, *S = NULL;
  if (exact_entropy) {
    if ((st = exact_curve(&t->conditional_entropy, L + 1, 0, err))) return st;
    H = t->conditional_entropy.bits;
  }
  if ((caps & CTXLAB_CAP_EXACT_MI) && (opts->curves & CTXLAB_CURVE_MUTUAL_INFORMATION)) {
    if ((st = exact_curve(&t->mutual_information, L, 1, err))) return st;
    I = t->mutual_information.bits;
  }
  if ((caps & CTXLAB_CAP_EXACT_INTRINSIC) && (opts->curves & CTXLAB_CURVE_INTRINSIC_ENTROPY)) {
    if ((st = exact_curve(&t->intrinsic_entropy, L + 1, 0, err))) return st;
    S = t->intrinsic_entropy.bits;
  }
  if ((H || I || S) && (st = ops->exact_curves(impl, L, opts->threads, H, I, S, err))) return st;

  if (exact_entropy) {
    if ((opts->curves & CTXLAB_CURVE_BIPARTITE) &&
        (st = ctxlab_theory_bipartite_from_entropy(&t->conditional_entropy,
                                                   &t->bipartite_mutual_information, err)))
      return st;
  } else if ((st = ctxlab_mc_entropy_curves(lang, L, opts->samples, opts->seed, opts->threads,
                                            &t->conditional_entropy,
                                            &t->bipartite_mutual_information, err))) {
    return st;
  } else {
    t->mc_samples = opts->samples;
    t->mc_seed = opts->seed;
  }

  /* the entropy rate: exact, or bounded below by the family and above by
   * H(L), since H(c) does not increase with c */
  double rate;
  if ((st = ops->entropy_rate(impl, &rate, err))) return st;
  if (caps & CTXLAB_CAP_EXACT_RATE) {
    t->entropy_rate_bits = rate;
    t->entropy_rate_method = CTXLAB_METHOD_EXACT;
  } else {
    t->entropy_rate_lower_bits = rate;
    t->entropy_rate_upper_bits = t->conditional_entropy.bits[L];
    t->entropy_rate_upper_stderr_bits = t->conditional_entropy.stderr_bits[L];
    t->entropy_rate_bits = t->entropy_rate_upper_bits;
    t->entropy_rate_method = CTXLAB_METHOD_BOUNDS;
  }
  t->intrinsic_dimension = ops->intrinsic_dimension(impl);
  return CTXLAB_OK;
}

int ctxlab_theory_compute(const ctxlab_lang *lang, const ctxlab_theory_options *opts,
                          ctxlab_truth *out, ctxlab_error *err) {
  ctxlab_init();
  memset(out, 0, sizeof *out);
  out->intrinsic_dimension = -1;
  if (opts->max_context < 1 || opts->max_context > MAX_CONTEXT)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "max context %zu is out of range [1, %u]",
                            opts->max_context, MAX_CONTEXT);
  out->max_context = opts->max_context;
  int st = compute(lang, opts, out, err);
  if (st) ctxlab_truth_free(out);
  return st;
}
