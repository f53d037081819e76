/* The expected KL of the interpolated Kneser-Ney estimate of
 * sim/ngram/ngram.c, as far as it can be predicted cheaply.
 *
 * What is exact.  For a window s, the model's top order sees the raw counts
 * n(s x); under the binomial model n(s) ~ Binomial(N, p(s)) and, given n(s),
 * the row is Multinomial(n(s), P(.|s)).  These count vectors are drawn (GSL's
 * binomial and multinomial samplers on ctxlab's PCG) and the estimate
 *     Q(x) = max(n(s x) - D, 0) / n(s) + D N1+(s .) / n(s) * L(x)   (n(s) > 0),
 *     Q(x) = L(x)                                                   (n(s) = 0),
 * is formed exactly as the model forms it, then KL(P(.|s) || Q) averaged.
 * At order 0 the lower-order law L is uniform, as in the model, and an
 * estimated discount D = max(n1, 1) / (max(n1, 1) + 2 n2) is computed from
 * each drawn count vector (order 0 has one row), so the order-0 prediction is
 * exact up to Monte Carlo error.
 *
 * Where it is approximate (order c >= 1):
 *   - L is the language's true P(. | last c - 1 tokens of s), not the model's
 *     recursive Kneser-Ney estimate from continuation counts.  The model's
 *     lower orders are themselves noisy (making the prediction optimistic)
 *     and built from continuation counts, whose limit is not P (for large D a
 *     continuation count tends to the number of distinct predecessors).
 *   - An estimated discount (kn_discount = 0) is the plug-in
 *     max(E n1, 1) / (max(E n1, 1) + 2 E n2), E n_r = sum_(s, x)
 *     P(Binomial(N, p(s) P(x|s)) = r) over all (c + 1)-grams, where the model
 *     uses the realised n1, n2 of its one training stream.
 *   - Rows of different windows are drawn independently.
 * How far it goes, measured (tests/python/test_predict_ngram.py, 6 seeds):
 * on two-facts at orders <= 4 and D = 3e4 the predicted loss is within a few
 * standard errors; at high orders with sparse data the true lower-order law
 * makes Q nearly the Bayes predictor and the KL comes out far too small
 * (order 6, D = 3000: 0.19 bits predicted, 0.37 measured), so a predicted
 * Kneser-Ney c*(D) is too large where the data are sparse. */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>

#include "theory/predict/binomial_log.h"
#include "theory/predict/predict_internal.h"

typedef struct kn {
  uint32_t V, c;
  uint64_t N;
  double discount; /* fixed or plug-in; 0 at order 0 when estimated per draw */
} kn;

static double discount_from(uint64_t n1, uint64_t n2) {
  if (n1 == 0) n1 = 1;
  return (double)n1 / ((double)n1 + 2.0 * (double)n2);
}

/* E[n1], E[n2] contributions of window s, divided by p(s) (the sum weights
 * by p(s)). */
static int singletons(void *ctx, const ctxlab_predict_window *w, double *value, double *variance,
                      ctxlab_error *err) {
  const kn *k = ctx;
  (void)variance;
  (void)err;
  for (uint32_t x = 0; x < k->V; ++x) {
    const double q = w->p * w->next[x];
    value[0] += ctxlab_binomial_pmf(k->N, q, 1) / w->p;
    value[1] += ctxlab_binomial_pmf(k->N, q, 2) / w->p;
  }
  return CTXLAB_OK;
}

static int expected_kl(void *ctx, const ctxlab_predict_window *w, double *value, double *variance,
                       ctxlab_error *err) {
  const kn *k = ctx;
  const uint32_t V = k->V;
  unsigned *counts = malloc(V * sizeof *counts);
  double *lower = malloc(V * sizeof *lower);
  if (!counts || !lower) {
    free(counts);
    free(lower);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (Kneser-Ney row)");
  }
  for (uint32_t x = 0; x < V; ++x) lower[x] = w->lower ? w->lower[x] : 1.0 / V;
  double mean = 0, m2 = 0;
  for (uint64_t r = 0; r < w->draws; ++r) {
    const unsigned n = gsl_ran_binomial(w->rng, w->p, (unsigned)k->N);
    gsl_ran_multinomial(w->rng, V, n, w->next, counts);
    uint64_t types = 0, n1 = 0, n2 = 0;
    for (uint32_t x = 0; x < V; ++x) {
      types += counts[x] > 0;
      n1 += counts[x] == 1;
      n2 += counts[x] == 2;
    }
    const double D = k->discount > 0 ? k->discount : discount_from(n1, n2);
    const double lambda = n ? D * (double)types / n : 1;
    double kl = 0;
    for (uint32_t x = 0; x < V; ++x) {
      if (!(w->next[x] > 0)) continue;
      double q = lambda * lower[x];
      if (n && counts[x] > D) q += ((double)counts[x] - D) / n;
      kl += w->next[x] * log2(w->next[x] / q);
    }
    const double delta = kl - mean;
    mean += delta / (double)(r + 1);
    m2 += delta * (kl - mean);
  }
  value[0] = mean;
  variance[0] = w->draws > 1 ? m2 / (double)(w->draws - 1) / (double)w->draws : 0;
  free(counts);
  free(lower);
  return CTXLAB_OK;
}

int ctxlab_predict_kn_approx(const ctxlab_lang *lang, uint32_t c, uint64_t N, double kn_discount,
                             const ctxlab_predict_options *o, double *approx, double *stderr_bits,
                             ctxlab_method *method, int *approximate, ctxlab_error *err) {
  if (N > UINT32_MAX)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "Kneser-Ney prediction: %llu counted windows, at most 2^32 - 1",
                            (unsigned long long)N);
  kn k = {ctxlab_lang_vocab_size(lang), c, N, kn_discount};
  int st = CTXLAB_OK;
  if (kn_discount == 0 && c > 0) {
    double e[2], se[2];
    ctxlab_method m;
    const ctxlab_predict_term pass = {2, 0, 0, &k, singletons};
    if ((st = ctxlab_predict_sum(lang, c, &pass, o, e, se, &m, err))) return st;
    const double n1 = e[0] > 1 ? e[0] : 1;
    k.discount = n1 / (n1 + 2 * e[1]);
  }
  const ctxlab_predict_term term = {1, 1, 1, &k, expected_kl};
  if ((st = ctxlab_predict_sum(lang, c, &term, o, approx, stderr_bits, method, err))) return st;
  *method = CTXLAB_METHOD_MONTE_CARLO; /* the count draws, even over enumerated windows */
  *approximate = c > 0;
  return CTXLAB_OK;
}
