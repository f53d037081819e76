/* Stationary law of the lifted chain: GTH for small state spaces, power
 * iteration on the lazy chain for large ones. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gen/markov/markov_theory.h"
#include "gen/markov/markov_theory_internal.h"

/* Target states per work block: blocks are fixed, so partial sums are reduced
 * in the same order for any number of threads. */
#define BLOCK 4096u

/* Power iteration runs until its iterate stops improving: the residual
 * ||x P - x||_1 is non-increasing in exact arithmetic (the lazy chain is an L1
 * contraction), so once it has not reached a new low for STALL steps the
 * iterate sits at the rounding floor (typically ~1e-16, where the entries
 * agree with GTH to ~1e-14 relative; a fixed tolerance such as 1e-14 leaves
 * relative errors up to ~1e-10 in slowly mixing chains).  The result is
 * accepted when its residual is at most ACCEPT. */
#define STALL 32
#define ACCEPT 1e-14

/* Every CHECK steps the decay of the residual over the last CHECK steps
 * predicts how many more it needs; from 4 CHECK steps on, the iteration gives
 * up early when that is more than twice what is left of its cap (the decay
 * rate of power iteration tends to |lambda_2| from above, so the prediction
 * errs on the short side). */
#define CHECK 1024

/* Iteration cap: about 2^34 multiply-adds in all, within [2000, 10^6]. */
static uint64_t max_iterations(uint32_t V, uint64_t n) {
  uint64_t cap = (UINT64_C(1) << 34) / (n * V);
  if (cap < 2000) cap = 2000;
  if (cap > 1000000) cap = 1000000;
  return cap;
}

/* y = (x + x P)/2 over all states; res[b] = sum over block b of |x P - x|. */
static void lazy_step(uint32_t V, uint64_t n, const double *P, const double *x, double *y,
                      double *res) {
  const uint64_t blocks = (n + BLOCK - 1) / BLOCK;
#pragma omp parallel for schedule(static) if (n * V >= CTXLAB_MARKOV_PARALLEL_WORK)
  for (uint64_t b = 0; b < blocks; b++) {
    const uint64_t t0 = b * BLOCK, t1 = t0 + BLOCK < n ? t0 + BLOCK : n;
    ctxlab_markov_step(V, n, P, 1, x, y + t0, t0, t1);
    ctxlab_markov_sum r = {0.0, 0.0};
    for (uint64_t t = t0; t < t1; t++) {
      ctxlab_markov_sum_add(&r, fabs(y[t] - x[t]));
      y[t] = 0.5 * (x[t] + y[t]);
    }
    res[b] = ctxlab_markov_sum_value(&r);
  }
}

static double ordered_sum(const double *v, uint64_t count) {
  ctxlab_markov_sum s = {0.0, 0.0};
  for (uint64_t i = 0; i < count; i++) ctxlab_markov_sum_add(&s, v[i]);
  return ctxlab_markov_sum_value(&s);
}

/* The lazy chain (I + P)/2 has the same stationary law and is aperiodic, so
 * the iteration converges for every irreducible chain, periodic ones too, and
 * it damps the eigenvalues near -1 of nearly periodic chains (which stall the
 * plain iteration) at the price of at most twice the steps elsewhere.  The
 * step conserves mass up to rounding, so x is normalised once at the end. */
int ctxlab_markov_stationary_power(uint32_t V, uint64_t n, const double *P, uint64_t max_steps,
                                   double *pi, double *residual, ctxlab_error *err) {
  if (n == 1) {
    pi[0] = 1.0;
    if (residual) *residual = 0.0;
    return CTXLAB_OK;
  }
  int rc = CTXLAB_OK;
  const uint64_t blocks = (n + BLOCK - 1) / BLOCK;
  double *work = malloc(n * sizeof *work);
  double *res = malloc(blocks * sizeof *res);
  if (!work || !res) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM,
                          "stationary law: cannot allocate work space for %" PRIu64 " states", n);
    goto cleanup;
  }
  double *x = pi, *y = work;
  for (uint64_t s = 0; s < n; s++) x[s] = 1.0 / (double)n;
  const uint64_t cap = max_steps ? max_steps : max_iterations(V, n);
  double r = INFINITY, best = INFINITY, r_check = INFINITY, needed = 0.0;
  uint64_t steps = 0, since_best = 0;
  while (steps < cap) {
    lazy_step(V, n, P, x, y, res);
    r = ordered_sum(res, blocks); /* ||x P - x||_1 of the current x */
    steps++;
    if (r < best) {
      best = r;
      since_best = 0;
    } else {
      since_best++;
    }
    if (r == 0.0 || (best <= ACCEPT && since_best >= STALL)) break;
    if (steps % CHECK == 0) {
      needed = r < r_check ? CHECK * log(ACCEPT / r) / log(r / r_check) : INFINITY;
      if (steps >= 4 * CHECK && best > ACCEPT && needed > 2.0 * (double)(cap - steps)) break;
      r_check = r;
    }
    double *swap = x;
    x = y;
    y = swap;
  }
  if (!(r <= ACCEPT)) {
    char why[160];
    if (steps < cap)
      snprintf(why, sizeof why, "; at its rate it would need about %.2g more steps, beyond its "
               "cap of %" PRIu64, needed, cap);
    else
      snprintf(why, sizeof why, ", its cap");
    rc = ctxlab_error_set(err, CTXLAB_ENUMERIC,
                          "stationary law of the %" PRIu64 "-state lifted chain: power iteration "
                          "did not converge (residual ||pi P - pi||_1 = %.3g after %" PRIu64
                          " steps%s; goal %.0e): the chain mixes too slowly for the iterative "
                          "solver used above %u states",
                          n, r, steps, why, ACCEPT, CTXLAB_MARKOV_GTH_MAX_STATES);
    goto cleanup;
  }
  ctxlab_markov_sum mass = {0.0, 0.0};
  for (uint64_t s = 0; s < n; s++) ctxlab_markov_sum_add(&mass, x[s]);
  const double scale = 1.0 / ctxlab_markov_sum_value(&mass);
  for (uint64_t s = 0; s < n; s++) pi[s] = x[s] * scale;
  if (residual) *residual = r;

cleanup:
  free(work);
  free(res);
  return rc;
}

/* Every entry a probability and every row summing to 1 within ROW_SUM_SLACK
 * (rows normalised in double are off by a few ulps). */
#define ROW_SUM_SLACK 1e-9

static int check_table(uint32_t V, uint64_t n, const double *P, ctxlab_error *err) {
  for (uint64_t s = 0; s < n; s++) {
    double sum = 0.0;
    for (uint32_t x = 0; x < V; x++) {
      const double p = P[s * V + x];
      if (!(p >= 0.0 && p <= 1.0))
        return ctxlab_error_set(err, CTXLAB_EINVAL,
                                "transition table: P[%" PRIu64 "][%" PRIu32 "] = %g is not a "
                                "probability",
                                s, x, p);
      sum += p;
    }
    if (!(fabs(sum - 1.0) <= ROW_SUM_SLACK))
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "transition table: row %" PRIu64 " sums to %.17g, not 1", s, sum);
  }
  return CTXLAB_OK;
}

int ctxlab_markov_stationary(uint32_t V, uint32_t k, const double *P, double *pi,
                             ctxlab_error *err) {
  uint64_t n;
  int rc = ctxlab_markov_state_count(V, k, &n, err);
  if (!rc) rc = check_table(V, n, P, err);
  if (!rc) rc = ctxlab_markov_check_irreducible(V, k, P, err);
  if (rc) return rc;
  if (n <= CTXLAB_MARKOV_GTH_MAX_STATES) return ctxlab_markov_stationary_gth(V, n, P, pi, err);
  return ctxlab_markov_stationary_power(V, n, P, 0, pi, NULL, err);
}
