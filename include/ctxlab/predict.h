/* ctxlab/predict.h: the loss of an n-gram model predicted before training
 * (SCIENCE.md section 5).
 *
 * An n-gram of order c trained on one stream of D tokens of a known language
 * (as `ctxlab train --model ngram` does: sim/ngram/ngram.c defines the
 * estimator) counts N = D - c windows of c + 1 tokens.  Its expected loss on
 * fresh text, at c tokens of context, is
 *     L(c, D) = H(c) + sum_s p(s) E[KL(P(.|s) || Q(.|s))],
 * s the windows of c tokens with stationary probability p(s), P(.|s) the
 * language's next-token law given exactly s, Q the trained estimate.  Counts
 * are modelled as n(s) ~ Binomial(N, p(s)) and n(s x) ~ Binomial(N, p(s)
 * P(x|s)) (exact for independent windows; an approximation for the
 * overlapping windows of one stream: where the language mixes slowly, counts
 * of short contexts are overdispersed and their KL is underpredicted, e.g.
 * two-facts at order 1, D = 1000: 0.008 bits predicted, 0.068 measured; at
 * orders near c*(D) the agreement is within a few standard errors).
 *
 * add-beta: E[KL] needs only these binomial marginals,
 *     E[KL_s] = -H(P(.|s)) - sum_x P(x|s) E[log2(n(s x) + beta)]
 *               + E[log2(n(s) + V beta)],
 * computed exactly (theory/predict/binomial_log.c), so the result is exact up
 * to the binomial model and, where windows are sampled, Monte Carlo error.
 *
 * Kneser-Ney: theory/predict/predict_kn.c says what is computed and where it
 * is approximate (`approximate` = 1 except at order 0).
 *
 * The sum over s is exact (every window of positive probability, found by a
 * depth-first search through the oracle) when there are at most
 * max_enumerate of them, and otherwise a Monte Carlo mean over `samples`
 * windows of the stationary process, with its standard error. */
#ifndef CTXLAB_PREDICT_H
#define CTXLAB_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"
#include "ctxlab/lang.h"
#include "ctxlab/sim.h"    /* ctxlab_smoothing */
#include "ctxlab/theory.h" /* ctxlab_method */

#ifdef __cplusplus
extern "C" {
#endif

/* The estimator, as in ctxlab_model_config: beta for add-beta; kn_discount
 * for Kneser-Ney (0 = estimated as the model does, n1 / (n1 + 2 n2)). */
typedef struct ctxlab_ngram_estimator {
  ctxlab_smoothing smoothing;
  double beta;
  double kn_discount;
} ctxlab_ngram_estimator;

typedef struct ctxlab_predict_options {
  uint64_t samples;       /* Monte Carlo windows (and Kneser-Ney count draws); default 4096 */
  uint64_t seed;          /* Monte Carlo seed; default 0 */
  int threads;            /* <= 0: all available; results do not depend on it */
  uint64_t max_enumerate; /* enumerate the windows when there are at most this many; default 4096 */
} ctxlab_predict_options;

void ctxlab_predict_options_init(ctxlab_predict_options *o);

typedef struct ctxlab_ngram_prediction {
  double bayes_bits;         /* H(c) */
  double bayes_stderr_bits;  /* 0 where H(c) is exact */
  double approx_bits;        /* sum_s p(s) E[KL(P(.|s) || Q(.|s))] */
  double approx_stderr_bits; /* Monte Carlo standard error of approx_bits; 0 when exact */
  double loss_bits;          /* bayes_bits + approx_bits */
  ctxlab_method method;      /* of approx_bits: exact or monte-carlo */
  int approximate;           /* 1 where the formula itself is an approximation (Kneser-Ney) */
} ctxlab_ngram_prediction;

/* The predicted loss of an n-gram of `order` trained on train_tokens tokens of
 * lang (train_tokens > order).  The order must fit the model's packed keys
 * ((order + 1) ceil(log2 V) <= 64), as ctxlab_model_new requires. */
int ctxlab_predict_ngram(const ctxlab_lang *lang, uint32_t order, uint64_t train_tokens,
                         const ctxlab_ngram_estimator *est, const ctxlab_predict_options *o,
                         ctxlab_ngram_prediction *out, ctxlab_error *err);

/* The same with H(c) taken from `bayes`, the language's conditional-entropy
 * curve (x = context 0..L, L >= order, as ctxlab_theory_compute gives it), for
 * callers that hold it already (a sweep computes it once for all its points). */
int ctxlab_predict_ngram_given_bayes(const ctxlab_lang *lang, const ctxlab_curve *bayes,
                                     uint32_t order, uint64_t train_tokens,
                                     const ctxlab_ngram_estimator *est,
                                     const ctxlab_predict_options *o, ctxlab_ngram_prediction *out,
                                     ctxlab_error *err);

/* Predictions for each of orders[0..n-1] (out[i] for orders[i]; orders with
 * order >= train_tokens are skipped and get method NONE and NaN losses), and
 * in *best the index of the order with the least loss_bits (the predicted
 * optimal order c*(D); the first on ties).  H(c) is computed once for all. */
int ctxlab_predict_ngram_orders(const ctxlab_lang *lang, const uint32_t *orders, size_t n,
                                uint64_t train_tokens, const ctxlab_ngram_estimator *est,
                                const ctxlab_predict_options *o, ctxlab_ngram_prediction *out,
                                size_t *best, ctxlab_error *err);

#ifdef __cplusplus
}
#endif

#endif
