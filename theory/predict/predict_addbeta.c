/* The expected KL of an add-beta row (SCIENCE.md section 5).  With
 * n ~ Binomial(N, p), n_x ~ Binomial(N, p P_x), Q_x = (n_x + beta) / (n + V beta):
 *     E[KL] = sum_x P_x ln P_x - sum_x P_x E[ln(n_x + beta)] + E[ln(n + V beta)].
 * Writing E[ln(k + a)] = ln(mean + a) + delta (theory/predict/binomial_log.c)
 * and m = N p + V beta, m_x = N p P_x + beta, the large logarithms combine
 * into ln(P_x m / m_x) = log1p((V beta P_x - beta) / m_x), so
 *     E[KL] = sum_x P_x [log1p((V beta P_x - beta) / m_x) - delta_x] + delta,
 * with no cancellation between terms of size ln N.  At p = 0 (or N = 0)
 * every delta is 0 and E[KL] = sum_x P_x ln(V P_x), the KL to the uniform
 * prior; for large N p it tends to (V' - 1) / (2 N p) nats, V' the tokens
 * with P_x > 0. */
#include <math.h>

#include "theory/predict/binomial_log.h"
#include "theory/predict/predict_internal.h"

double ctxlab_predict_addbeta_kl(const double *next, uint32_t V, double p, uint64_t N,
                                 double beta) {
  const double vb = (double)V * beta;
  double kl = ctxlab_binomial_log_shift(N, p, vb);
  for (uint32_t x = 0; x < V; ++x) {
    const double P = next[x];
    if (!(P > 0)) continue;
    const double mx = (double)N * p * P + beta;
    kl += P * (log1p((vb * P - beta) / mx) - ctxlab_binomial_log_shift(N, p * P, beta));
  }
  return kl / M_LN2;
}

int ctxlab_predict_addbeta_eval(void *ctx, const ctxlab_predict_window *w, double *value,
                                double *variance, ctxlab_error *err) {
  const ctxlab_predict_addbeta *a = ctx;
  (void)err;
  value[0] = ctxlab_predict_addbeta_kl(w->next, a->V, w->p, a->N, a->beta);
  variance[0] = 0;
  return CTXLAB_OK;
}
