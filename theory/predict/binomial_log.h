/* theory/predict/binomial_log.h (internal): E[ln(k + a)] for k ~ Binomial(N, q). */
#ifndef CTXLAB_THEORY_PREDICT_BINOMIAL_LOG_H
#define CTXLAB_THEORY_PREDICT_BINOMIAL_LOG_H

#include <stdint.h>

/* Variance N q (1 - q) from which on ctxlab_binomial_log_shift uses the
 * moment expansion instead of the exact sum. */
#define CTXLAB_BINOMIAL_LOG_SWITCH 100.0

/* delta = E[ln(k + a)] - ln(N q + a) in nats, for k ~ Binomial(N, q),
 * 0 <= q <= 1, a > 0 (so that E[ln(k + a)] = ln(N q + a) + delta; returning
 * the shift keeps the large logarithm out of differences).  Exact summation
 * below CTXLAB_BINOMIAL_LOG_SWITCH, the central-moment expansion above it
 * (binomial_log.c says how accurate each is). */
double ctxlab_binomial_log_shift(uint64_t N, double q, double a);

/* The two branches, for tests: the sum over the support and the expansion
 * (the latter meant for N q (1 - q) >= CTXLAB_BINOMIAL_LOG_SWITCH). */
double ctxlab_binomial_log_shift_sum(uint64_t N, double q, double a);
double ctxlab_binomial_log_shift_series(uint64_t N, double q, double a);

/* P(k = r) for k ~ Binomial(N, q), r small: C(N, r) as a product (a
 * difference of log-gammas would lose digits for huge N) times
 * exp(r ln q + (N - r) ln(1 - q)). */
double ctxlab_binomial_pmf(uint64_t N, double q, uint64_t r);

#endif
