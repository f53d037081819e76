/* The public entry points of the n-gram loss prediction (ctxlab/predict.h):
 * checks, H(c) from the theory, and the estimator's expected KL. */
#include <math.h>

#include "theory/montecarlo.h"
#include "theory/predict/predict_internal.h"

void ctxlab_predict_options_init(ctxlab_predict_options *o) {
  o->samples = 4096;
  o->seed = 0;
  o->threads = 0;
  o->max_enumerate = 4096;
}

static int check(const ctxlab_lang *lang, const ctxlab_ngram_estimator *est,
                 const ctxlab_predict_options *o, ctxlab_error *err) {
  if (!lang || !est || !o) return ctxlab_error_set(err, CTXLAB_EINVAL, "predict: NULL argument");
  if (est->smoothing != CTXLAB_SMOOTHING_ADD_BETA && est->smoothing != CTXLAB_SMOOTHING_KNESER_NEY)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "predict: unknown smoothing %d",
                            (int)est->smoothing);
  if (est->smoothing == CTXLAB_SMOOTHING_ADD_BETA && !(est->beta > 0 && isfinite(est->beta)))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "predict: beta must be positive and finite (got %g)", est->beta);
  if (est->smoothing == CTXLAB_SMOOTHING_KNESER_NEY &&
      !(est->kn_discount >= 0 && est->kn_discount < 1))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "predict: kn_discount must be in [0, 1), 0 meaning estimated (got %g)",
                            est->kn_discount);
  if (o->samples < 2 || o->samples > CTXLAB_MC_MAX_SAMPLES)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "predict: samples %llu is out of range [2, 2^40]",
                            (unsigned long long)o->samples);
  return CTXLAB_OK;
}

static int check_order(const ctxlab_lang *lang, uint32_t order, uint64_t train_tokens,
                       ctxlab_error *err) {
  const uint32_t V = ctxlab_lang_vocab_size(lang);
  unsigned bits = 1;
  while (bits < 32 && (UINT64_C(1) << bits) < V) bits++;
  if ((uint64_t)(order + 1) * bits > 64)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "predict: order %u over %u tokens is more than an n-gram model can "
                            "pack (the largest is %u)",
                            order, V, 64 / bits - 1);
  if (train_tokens <= order)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "predict: %llu training tokens hold no window of order %u",
                            (unsigned long long)train_tokens, order);
  return CTXLAB_OK;
}

/* The prediction at one order, H(c) taken from the curve H. */
static int predict_one(const ctxlab_lang *lang, const ctxlab_curve *H, uint32_t c,
                       uint64_t train_tokens, const ctxlab_ngram_estimator *est,
                       const ctxlab_predict_options *o, ctxlab_ngram_prediction *out,
                       ctxlab_error *err) {
  const uint64_t N = train_tokens - c; /* windows of c + 1 tokens in one stream */
  const uint32_t V = ctxlab_lang_vocab_size(lang);
  out->bayes_bits = H->bits[c];
  out->bayes_stderr_bits = H->stderr_bits[c];
  out->approximate = 0;
  int st;
  if (est->smoothing == CTXLAB_SMOOTHING_ADD_BETA) {
    ctxlab_predict_addbeta a = {V, N, est->beta};
    const ctxlab_predict_term term = {1, 0, 0, &a, ctxlab_predict_addbeta_eval};
    st = ctxlab_predict_sum(lang, c, &term, o, &out->approx_bits, &out->approx_stderr_bits,
                            &out->method, err);
  } else {
    st = ctxlab_predict_kn_approx(lang, c, N, est->kn_discount, o, &out->approx_bits,
                                  &out->approx_stderr_bits, &out->method, &out->approximate, err);
  }
  if (st) return st;
  out->loss_bits = out->bayes_bits + out->approx_bits;
  return CTXLAB_OK;
}

/* H(0 .. L) of lang (exact where the family has closed forms). */
static int bayes(const ctxlab_lang *lang, uint32_t L, const ctxlab_predict_options *o,
                 ctxlab_truth *truth, ctxlab_error *err) {
  ctxlab_theory_options t;
  ctxlab_theory_options_init(&t);
  t.max_context = L ? L : 1;
  t.curves = 0;
  t.seed = o->seed;
  t.threads = o->threads;
  return ctxlab_theory_compute(lang, &t, truth, err);
}

static void unavailable(ctxlab_ngram_prediction *out) {
  out->bayes_bits = out->bayes_stderr_bits = out->approx_bits = out->approx_stderr_bits =
      out->loss_bits = NAN;
  out->method = CTXLAB_METHOD_NONE;
  out->approximate = 0;
}

int ctxlab_predict_ngram(const ctxlab_lang *lang, uint32_t order, uint64_t train_tokens,
                         const ctxlab_ngram_estimator *est, const ctxlab_predict_options *o,
                         ctxlab_ngram_prediction *out, ctxlab_error *err) {
  int st = check(lang, est, o, err);
  if (!st) st = check_order(lang, order, train_tokens, err);
  if (st) return st;
  ctxlab_truth truth = {0};
  st = bayes(lang, order, o, &truth, err);
  if (!st) st = predict_one(lang, &truth.conditional_entropy, order, train_tokens, est, o, out, err);
  ctxlab_truth_free(&truth);
  if (st) unavailable(out);
  return st;
}

int ctxlab_predict_ngram_given_bayes(const ctxlab_lang *lang, const ctxlab_curve *bayes,
                                     uint32_t order, uint64_t train_tokens,
                                     const ctxlab_ngram_estimator *est,
                                     const ctxlab_predict_options *o, ctxlab_ngram_prediction *out,
                                     ctxlab_error *err) {
  int st = check(lang, est, o, err);
  if (!st) st = check_order(lang, order, train_tokens, err);
  if (!st && (!bayes || bayes->n <= order))
    st = ctxlab_error_set(err, CTXLAB_EINVAL, "predict: the given H(c) curve stops before c = %u",
                          order);
  if (!st) st = predict_one(lang, bayes, order, train_tokens, est, o, out, err);
  if (st) unavailable(out);
  return st;
}

int ctxlab_predict_ngram_orders(const ctxlab_lang *lang, const uint32_t *orders, size_t n,
                                uint64_t train_tokens, const ctxlab_ngram_estimator *est,
                                const ctxlab_predict_options *o, ctxlab_ngram_prediction *out,
                                size_t *best, ctxlab_error *err) {
  int st = check(lang, est, o, err);
  if (st) return st;
  if (!orders || !out || !best || n == 0)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "predict: no orders given");
  uint32_t L = 0;
  for (size_t i = 0; i < n; ++i) {
    if (orders[i] >= train_tokens) continue;
    if ((st = check_order(lang, orders[i], train_tokens, err)))
      return ctxlab_error_prefix(err, "orders[%zu]: ", i);
    L = orders[i] > L ? orders[i] : L;
  }
  ctxlab_truth truth = {0};
  if ((st = bayes(lang, L, o, &truth, err))) return st;
  *best = n;
  for (size_t i = 0; i < n && !st; ++i) {
    unavailable(&out[i]);
    if (orders[i] >= train_tokens) continue;
    st = predict_one(lang, &truth.conditional_entropy, orders[i], train_tokens, est, o, &out[i],
                     err);
    if (!st && (*best == n || out[i].loss_bits < out[*best].loss_bits)) *best = i;
  }
  ctxlab_truth_free(&truth);
  if (!st && *best == n)
    st = ctxlab_error_set(err, CTXLAB_EINVAL, "predict: no order below %llu training tokens",
                          (unsigned long long)train_tokens);
  return st;
}
