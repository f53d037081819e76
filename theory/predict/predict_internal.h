/* theory/predict/predict_internal.h (internal): the sum over windows and the
 * per-window expected KL of each estimator. */
#ifndef CTXLAB_THEORY_PREDICT_INTERNAL_H
#define CTXLAB_THEORY_PREDICT_INTERNAL_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "ctxlab/predict.h"

/* One window s of c tokens, as the per-window functions see it. */
typedef struct ctxlab_predict_window {
  const uint32_t *tokens; /* s, oldest first (c tokens) */
  double p;               /* p(s), stationary */
  const double *next;     /* P(.|s): V values */
  const double *lower;    /* P(.|last c - 1 tokens of s) (c >= 1), or NULL when not asked for */
  gsl_rng *rng;           /* for Monte Carlo over counts: seeded from (seed, window index) */
  uint64_t draws;         /* count draws to average: 1 for sampled windows, more when exact */
} ctxlab_predict_window;

/* What is summed: f(s) (dim values per window, dim <= 2) and, when f is itself
 * a Monte Carlo mean, the variance of that mean (else 0).  The sum is
 * sum_s p(s) f(s) over all windows (exact) or the mean of f over sampled
 * windows. */
typedef struct ctxlab_predict_term {
  unsigned dim;
  int wants_lower; /* fill window.lower */
  int wants_rng;   /* fill window.rng */
  void *ctx;
  int (*eval)(void *ctx, const ctxlab_predict_window *w, double *value, double *variance,
              ctxlab_error *err);
} ctxlab_predict_term;

/* The sum over windows of order c (V tokens, N counted windows): exact when
 * the windows of positive probability number at most o->max_enumerate, else
 * o->samples Monte Carlo windows.  sum[i] and stderr_sum[i] for i < dim;
 * *method says which. */
int ctxlab_predict_sum(const ctxlab_lang *lang, uint32_t c, const ctxlab_predict_term *term,
                       const ctxlab_predict_options *o, double *sum, double *stderr_sum,
                       ctxlab_method *method, ctxlab_error *err);

/* Per-window expected KL (bits) of the add-beta estimate (beta, V tokens, N
 * counted windows, window probability p, next-token law next[0..V-1]). */
double ctxlab_predict_addbeta_kl(const double *next, uint32_t V, double p, uint64_t N, double beta);

/* The add-beta term: ctx is a ctxlab_predict_addbeta. */
typedef struct ctxlab_predict_addbeta {
  uint32_t V;
  uint64_t N;
  double beta;
} ctxlab_predict_addbeta;
int ctxlab_predict_addbeta_eval(void *ctx, const ctxlab_predict_window *w, double *value,
                                double *variance, ctxlab_error *err);

/* Kneser-Ney (theory/predict/predict_kn.c): the expected KL at order c with N
 * counted windows, its standard error, method, and whether it is an
 * approximation. */
int ctxlab_predict_kn_approx(const ctxlab_lang *lang, uint32_t c, uint64_t N, double kn_discount,
                             const ctxlab_predict_options *o, double *approx, double *stderr_bits,
                             ctxlab_method *method, int *approximate, ctxlab_error *err);

#endif
