/* Temperature tuning: rows P_beta(x|s) proportional to D_s(x)^beta, with beta
 * chosen so that the entropy rate of the chain is a target.
 *
 * Each row's entropy falls as beta grows (in nats, dH/dbeta = -beta Var(ln D)
 * under P_beta), but the entropy rate also moves with the stationary law, so
 * it need not be monotone: beta is bracketed by doubling from 1 and then found
 * by Brent's method (gsl_root_fsolver_brent), which needs only a sign change
 * (R. P. Brent, "Algorithms for Minimization without Derivatives", 1973).
 *
 * beta = 0 is special: there every row is uniform over all V tokens, so the
 * rate is exactly log2 V.  For beta > 0 tokens with D_s(x) = 0 keep
 * probability 0, and as beta -> 0+ each row tends to the uniform law over its
 * support; that limit (written "beta = 0+") is the upper end of the bracket
 * search, and the rates between it and log2 V cannot be reached. */
#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_roots.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "gen/markov/markov_theory.h"
#include "gen/markov/markov_theory_internal.h"

#define TOLERANCE 1e-10 /* |rate - target| in bits; the contract promises 1e-9 */
#define BETA_CAP 65536.0
#define MAX_BRENT_STEPS 200
#define MAX_BISECTIONS 6 /* below the first beta where the tempered chain fails */

typedef struct tempering {
  uint32_t V, k;
  uint64_t n;
  const double *logD;
  double target;
  double *P;   /* rows at beta_P, whose entropy rate is rate_P */
  double beta_P, rate_P;
  double *pi;
  int status;  /* first failure inside the GSL callback */
  ctxlab_error *err;
} tempering;

/* P_beta in log space: w(x) = exp(beta (ln D(x) - max_x ln D(x))), zero where
 * D(x) = 0.  beta = 0 gives the uniform law over each row's support (the
 * beta -> 0+ limit). */
static void temper(tempering *t, double beta) {
  const uint32_t V = t->V;
  for (uint64_t s = 0; s < t->n; s++) {
    const double *l = t->logD + s * V;
    double *row = t->P + s * V;
    double top = -INFINITY, sum = 0.0;
    for (uint32_t x = 0; x < V; x++)
      if (l[x] > top) top = l[x];
    for (uint32_t x = 0; x < V; x++) {
      row[x] = isinf(l[x]) ? 0.0 : exp(beta * (l[x] - top));
      sum += row[x];
    }
    for (uint32_t x = 0; x < V; x++) row[x] /= sum;
  }
  t->beta_P = beta;
}

/* Entropy rate (bits) of the chain tempered at beta; fails when the tempered
 * chain is not irreducible (probabilities underflow to 0 at large beta) or
 * its stationary law cannot be found. */
static int rate_at(tempering *t, double beta, double *rate) {
  temper(t, beta);
  t->rate_P = NAN;
  int rc = ctxlab_markov_stationary(t->V, t->k, t->P, t->pi, t->err);
  if (rc) return rc;
  *rate = t->rate_P = ctxlab_markov_entropy_rate(t->V, t->k, t->P, t->pi);
  return CTXLAB_OK;
}

static double excess_rate(double beta, void *params) {
  tempering *t = params;
  double rate;
  if (t->status) return GSL_NAN;
  t->status = rate_at(t, beta, &rate);
  return t->status ? GSL_NAN : rate - t->target;
}

static int check_logD(uint32_t V, uint64_t n, const double *logD, ctxlab_error *err) {
  for (uint64_t s = 0; s < n; s++) {
    int finite = 0;
    for (uint32_t x = 0; x < V; x++) {
      const double l = logD[s * V + x];
      if (isnan(l) || l == INFINITY)
        return ctxlab_error_set(err, CTXLAB_EINVAL,
                                "temperature tuning: ln D[%" PRIu64 "][%" PRIu32 "] = %g; "
                                "entries must be finite or -inf (D = 0)",
                                s, x, l);
      finite += isfinite(l);
    }
    if (!finite)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "temperature tuning: row %" PRIu64 " of D is all zero", s);
  }
  return CTXLAB_OK;
}

static int has_zero(uint64_t entries, const double *logD) {
  for (uint64_t i = 0; i < entries; i++)
    if (isinf(logD[i])) return 1;
  return 0;
}

/* Brent's method on [lo, hi], where rate - target changes sign. */
static int solve(tempering *t, double lo, double hi, double *beta, ctxlab_error *err) {
  gsl_function F = {excess_rate, t};
  gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!solver) return ctxlab_error_set(err, CTXLAB_ENOMEM, "temperature tuning: no memory");
  int rc = CTXLAB_OK, gsl_rc = gsl_root_fsolver_set(solver, &F, lo, hi);
  for (int step = 0; !gsl_rc && step < MAX_BRENT_STEPS; step++) {
    gsl_rc = gsl_root_fsolver_iterate(solver);
    if (gsl_rc) break;
    /* Brent's last evaluation is at its current root estimate: P holds its rows */
    const double root = gsl_root_fsolver_root(solver);
    double rate = t->rate_P;
    if (t->beta_P != root && (rc = rate_at(t, root, &rate))) goto cleanup;
    if (fabs(rate - t->target) <= TOLERANCE) {
      *beta = root;
      goto cleanup;
    }
    const double a = gsl_root_fsolver_x_lower(solver), b = gsl_root_fsolver_x_upper(solver);
    if (b - a <= 4 * DBL_EPSILON * b) break; /* bracket closed without meeting the target */
  }
  if (t->status) {
    rc = t->status;
    ctxlab_error_prefix(err, "temperature tuning, at a beta in [%.17g, %.17g]: ", lo, hi);
  } else {
    rc = ctxlab_error_set(err, CTXLAB_ENUMERIC,
                          "temperature tuning: Brent's method did not bring the entropy rate "
                          "within %.0e bits of %.17g bits in [%.17g, %.17g] (%s)",
                          TOLERANCE, t->target, lo, hi,
                          gsl_rc ? gsl_strerror(gsl_rc) : "bracket exhausted");
  }
cleanup:
  gsl_root_fsolver_free(solver);
  return rc;
}

int ctxlab_markov_tune_temperature(uint32_t V, uint32_t k, const double *logD, double target_bits,
                                   double *P, double *beta, ctxlab_error *err) {
  ctxlab_init();
  uint64_t n;
  int rc = ctxlab_markov_state_count(V, k, &n, err);
  if (!rc) rc = check_logD(V, n, logD, err);
  if (rc) return rc;
  const double top = log2((double)V);
  if (!(target_bits >= 0.0 && target_bits <= top))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "target entropy rate %.17g bits is outside [0, log2 V] = [0, %.17g]",
                            target_bits, top);
  if (target_bits >= top - TOLERANCE) { /* beta = 0: every row uniform over all V tokens */
    for (uint64_t i = 0; i < n * V; i++) P[i] = 1.0 / V;
    *beta = 0.0;
    return CTXLAB_OK;
  }
  tempering t = {V, k, n, logD, target_bits, P, NAN, NAN, NULL, CTXLAB_OK, err};
  if (!(t.pi = malloc(n * sizeof *t.pi)))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "temperature tuning: cannot allocate %" PRIu64
                            " stationary probabilities", n);

  /* beta = 0+: the largest rate beta > 0 gets near (log2 V unless D has zeros) */
  double upper;
  if ((rc = rate_at(&t, 0.0, &upper))) {
    ctxlab_error_prefix(err, "temperature tuning, at beta = 0+ (rows uniform over their "
                             "nonzero entries): ");
    goto cleanup;
  }
  double lowest = upper;
  const char *and_zero = has_zero(n * V, logD) ? ", and log2 V at beta = 0" : "";
  if (upper < target_bits - TOLERANCE) {
    rc = ctxlab_error_set(err, CTXLAB_EINVAL,
                          "target entropy rate %.17g bits cannot be reached: with the zero "
                          "entries of D every beta > 0 gives at most %.17g bits (beta -> 0+), "
                          "and beta = 0 gives log2 V = %.17g",
                          target_bits, upper, top);
    goto cleanup;
  }
  if (upper <= target_bits + TOLERANCE) { /* the 0+ limit itself: the smallest beta > 0 */
    *beta = DBL_MIN;
    temper(&t, DBL_MIN); /* exp(DBL_MIN * x) == 1: the same rows */
    goto cleanup;
  }
  /* Bracket: double beta from 1 until the rate falls below the target.  Where
   * the tempered chain fails (probabilities underflow to 0 so that it is no
   * longer irreducible, or its stationary law is out of reach), bisect
   * between the last good beta and the first failing one instead. */
  double lo = 0.0, hi = 1.0, fail = INFINITY, rate;
  for (int bisections = 0;;) {
    rc = rate_at(&t, hi, &rate);
    if (rc == CTXLAB_ENOMEM) goto cleanup;
    if (!rc && fabs(rate - target_bits) <= TOLERANCE) {
      *beta = hi;
      goto cleanup;
    }
    if (!rc && rate < target_bits) break;
    if (rc) {
      fail = hi;
    } else {
      lo = hi;
      if (rate < lowest) lowest = rate;
    }
    hi = isinf(fail) ? 2.0 * lo : lo + 0.5 * (fail - lo);
    if (hi > BETA_CAP) {
      rc = ctxlab_error_set(err, CTXLAB_EINVAL,
                            "target entropy rate %.17g bits cannot be reached: beta in [0+, "
                            "%.17g] (the cap) gives rates in [%.17g, %.17g]%s",
                            target_bits, lo, lowest, upper, and_zero);
      goto cleanup;
    }
    if (!isinf(fail) && ++bisections > MAX_BISECTIONS) {
      ctxlab_error_prefix(err, "target entropy rate %.17g bits cannot be reached: beta in [0+, "
                               "%.17g] gives rates in [%.17g, %.17g]%s, and larger beta fails, "
                               "at beta = %.17g: ",
                          target_bits, lo, lowest, upper, and_zero, fail);
      rc = CTXLAB_EINVAL;
      if (err) err->status = CTXLAB_EINVAL;
      goto cleanup;
    }
  }
  rc = solve(&t, lo, hi, beta, err);

cleanup:
  free(t.pi);
  return rc;
}
