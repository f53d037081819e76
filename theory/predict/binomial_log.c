/* E[ln(k + a)] for k ~ Binomial(N, q): the expected logarithm of an add-beta
 * count, which is all the expected KL of an add-beta estimate needs
 * (SCIENCE.md section 5).
 *
 * Both branches return delta = E[ln(1 + u)], u = (k - mu) / m, mu = N q,
 * m = mu + a, so that E[ln(k + a)] = ln m + delta.
 *
 * Small variance (N q (1 - q) < CTXLAB_BINOMIAL_LOG_SWITCH): the sum over the
 * support, outward from the mode, the probabilities taken relative to the
 * mode's by the ratio P(k+1)/P(k) = (N - k)/(k + 1) q/(1 - q) and the sum
 * divided by their total (so no log-gamma of a large N enters).  Each side
 * stops once a term falls below 1e-20 of the total: the probabilities fall
 * faster than geometrically beyond that, so the mass left out is below
 * ~1e-19 and the result is exact to rounding (~1e-16 relative).
 *
 * Large variance: ln(1 + u) = sum_j (-1)^(j+1) u^j / j, so
 *     delta = sum_{j=2..J} (-1)^(j+1) mu_j / (j m^j),
 * mu_j the central moments of k, J = 16.  The moments come from the
 * cumulants, K_j = N kappa_j (kappa_j those of one Bernoulli(q) trial, from
 * its central moments b_j = (1 - q)(-q)^j + q (1 - q)^j by
 * kappa_n = b_n - sum_{k=2..n-2} C(n-1, k-1) kappa_k b_(n-k)), through
 * mu_n = sum_{k=2..n} C(n-1, k-1) K_k mu_(n-k) (Kendall & Stuart, Advanced
 * Theory of Statistics I, 3.33 and 3.38).  The series is asymptotic in
 * 1/variance (mu_j / m^j ~ variance^(-j/2) for even j); the tail k > 2m,
 * where it diverges, has probability below e^(-0.38 variance) < 1e-16 here.
 * Truncation error, measured against a 40-digit mpmath sum: below 4e-12
 * nats at variance 100 (the switch), 1e-14 at 200, falling as variance^(-9);
 * tests/unit/test_predict_binomial_log.c checks the two branches agree across
 * the switch. */
#include "theory/predict/binomial_log.h"

#include <math.h>

enum { SERIES_TERMS = 16 };

double ctxlab_binomial_log_shift_sum(uint64_t N, double q, double a) {
  if (N == 0 || q <= 0 || q >= 1) return 0;
  const double mu = (double)N * q, m = mu + a, odds = q / (1 - q);
  double mode = floor(((double)N + 1) * q);
  if (mode > (double)N) mode = (double)N;
  const uint64_t k0 = (uint64_t)mode;
  double total = 1, sum = log1p(((double)k0 - mu) / m);
  double w = 1;
  for (uint64_t k = k0; k < N; ++k) { /* upward */
    w *= (double)(N - k) / (double)(k + 1) * odds;
    total += w;
    sum += w * log1p(((double)(k + 1) - mu) / m);
    if (w < 1e-20 * total) break;
  }
  w = 1;
  for (uint64_t k = k0; k > 0; --k) { /* downward */
    w *= (double)k / (double)(N - k + 1) / odds;
    total += w;
    sum += w * log1p(((double)(k - 1) - mu) / m);
    if (w < 1e-20 * total) break;
  }
  return sum / total;
}

static double choose(unsigned n, unsigned k) {
  double c = 1;
  for (unsigned i = 1; i <= k; ++i) c = c * (double)(n - k + i) / (double)i;
  return c;
}

double ctxlab_binomial_log_shift_series(uint64_t N, double q, double a) {
  if (N == 0 || q <= 0 || q >= 1) return 0;
  const double p = 1 - q, m = (double)N * q + a;
  double b[SERIES_TERMS + 1], kappa[SERIES_TERMS + 1], mu[SERIES_TERMS + 1];
  for (unsigned j = 0; j <= SERIES_TERMS; ++j) b[j] = p * pow(-q, j) + q * pow(p, j);
  kappa[0] = kappa[1] = 0;
  for (unsigned n = 2; n <= SERIES_TERMS; ++n) {
    double x = b[n];
    for (unsigned k = 2; k + 2 <= n; ++k) x -= choose(n - 1, k - 1) * kappa[k] * b[n - k];
    kappa[n] = x;
  }
  mu[0] = 1;
  mu[1] = 0;
  double delta = 0, mpow = m;
  for (unsigned n = 2; n <= SERIES_TERMS; ++n) {
    double x = 0;
    for (unsigned k = 2; k <= n; ++k) x += choose(n - 1, k - 1) * (double)N * kappa[k] * mu[n - k];
    mu[n] = x;
    mpow *= m;
    delta += (n % 2 ? 1 : -1) * x / (n * mpow);
  }
  return delta;
}

double ctxlab_binomial_log_shift(uint64_t N, double q, double a) {
  const double variance = (double)N * q * (1 - q);
  return variance < CTXLAB_BINOMIAL_LOG_SWITCH ? ctxlab_binomial_log_shift_sum(N, q, a)
                                               : ctxlab_binomial_log_shift_series(N, q, a);
}

double ctxlab_binomial_pmf(uint64_t N, double q, uint64_t r) {
  if (r > N) return 0;
  if (q <= 0) return r == 0;
  if (q >= 1) return r == N;
  /* C(N, r) as a product for small r (exact-ish for huge N, where the
   * difference of log-gammas would lose digits) */
  double c = 1;
  for (uint64_t i = 0; i < r; ++i) c = c * (double)(N - i) / (double)(i + 1);
  return c * exp((double)r * log(q) + (double)(N - r) * log1p(-q));
}
