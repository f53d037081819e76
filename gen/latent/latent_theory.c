/* Exact theory of the latent family (the mixing Santa Fe process): the
 * function g, the curves H(c), S(c), I(d) to a context L, and the entropy rate.
 * Formulas: gen/latent/latent_theory.h and SCIENCE.md section 5.
 *
 * Every curve is built from one per-chain quantity, g at the chain's
 * correlation after a steps:
 *   S_j(c) = sum_{a=1..c} w_j (1-w_j)^(a-1) g(r_j^a)        (eps = 0)
 *   S(c)   = sum_j S_j(c)
 *   H(c)   = H(w) + sum_j w_j (1 - S_j(c))                  (the header's H(c),
 *            using h2(q_j(a)) = 1 - g(r_j^a) and sum_{a<=c} w(1-w)^(a-1) = 1 - (1-w)^c)
 *   I(d)   = sum_j w_j^2 g(kappa r_j^d),  kappa = (1 - 2 eps)^2
 * so one g evaluation per (chain, age) serves all three curves.
 *
 * Accuracy: g to a few ulps; r^a as exp(a0 ln r) * r^k with k < 64, a few ulps;
 * per-age sums over blocks of 256 chains, then over blocks, of nonnegative
 * terms (relative error <= (256 + d/256) ulps in the worst case); the sums
 * over ages by compensated summation.  So H(c) is exact to better than 1e-12
 * bits for d up to ~10^6 (worst case; measured ~1e-15), S(c) and I(d) to the
 * same relative error.  The entropy rate: see its section. */
#include "gen/latent/latent_theory.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* 1 / (2 ln 2): g in bits from the natural-log forms. */
#define HALF_INV_LN2 0.72134752044448170368

/* Weights normalised in double (e.g. Zipf over 10^5 chains) sum to 1 within
 * ~10^-11; a larger gap means the caller passed unnormalised weights. */
#define WEIGHT_SUM_TOL 1e-9

/* ---- compensated sums --------------------------------------------------- */

/* Neumaier's improved Kahan summation: error ~ one rounding of the total,
 * independent of the number of terms. */
typedef struct ksum {
  double sum, comp;
} ksum;

static void ksum_add(ksum *k, double x) {
  double t = k->sum + x;
  if (fabs(k->sum) >= fabs(x))
    k->comp += (k->sum - t) + x;
  else
    k->comp += (x - t) + k->sum;
  k->sum = t;
}

static double ksum_value(const ksum *k) { return k->sum + k->comp; }

/* ---- g ------------------------------------------------------------------ */

/* ln(1 + y) for 1/2 <= y < 1 from one call to log (about twice as fast as
 * glibc's log1p): u = 1 + y is rounded, and log(u) * y / (u - 1) corrects for
 * the rounding (Goldberg, "What every computer scientist should know about
 * floating-point arithmetic", 1991, theorem 4); u - 1 is exact here
 * (Sterbenz). */
static inline double log1p_upper(double y) {
  double u = 1.0 + y;
  return log(u) * (y / (u - 1.0));
}

/* 1 / (n (2n - 1)), n = 1..23: the coefficients of the series of g */
static const double G_SERIES[23] = {
    1.0 / 1,    1.0 / 6,    1.0 / 15,   1.0 / 28,   1.0 / 45,   1.0 / 66,
    1.0 / 91,   1.0 / 120,  1.0 / 153,  1.0 / 190,  1.0 / 231,  1.0 / 276,
    1.0 / 325,  1.0 / 378,  1.0 / 435,  1.0 / 496,  1.0 / 561,  1.0 / 630,
    1.0 / 703,  1.0 / 780,  1.0 / 861,  1.0 / 946,  1.0 / 1035};

/* sum_{n=1..N} t^n / (n (2n - 1)) by Horner */
static inline double g_series(double t, int N) {
  double s = G_SERIES[N - 1];
  for (int n = N - 1; n >= 1; n--) s = G_SERIES[n - 1] + t * s;
  return t * s;
}

/* g(x) = 1 - h2((1 + x)/2) = [(1+x) ln(1+x) + (1-x) ln(1-x)] / (2 ln 2)
 *      = (1 / (2 ln 2)) sum_{n>=1} t^n / (n (2n - 1)),  t = x^2.
 * The series for x < 1/2, with as many terms as make the first omitted one
 * smaller than 2^-55 of the sum; the log form above, which has no
 * cancellation near x = 1 (there (1-x) ln(1-x) -> 0 and 1 - x is exact) and
 * loses at most a factor ~2.3 to cancellation at x = 1/2.  Measured relative
 * error <= 6 ulps over [0, 1] (tests/unit/test_latent_theory_g.c). */
static inline double g_bits(double x) {
  double t = x * x;
  if (t < 0x1p-52) return HALF_INV_LN2 * t;                 /* t/6 < 2^-54.5; underflows to 0 */
  if (t < 0x1p-13) return HALF_INV_LN2 * g_series(t, 4);    /* t^4/45 < 2^-57 */
  if (t < 0.0625) return HALF_INV_LN2 * g_series(t, 12);    /* (1/16)^12/325 < 2^-56 */
  if (t < 0.25) return HALF_INV_LN2 * g_series(t, 23);      /* (1/4)^23/1128 < 2^-56 */
  if (x >= 1.0) return 1.0;
  return HALF_INV_LN2 * ((1.0 + x) * log1p_upper(x) + (1.0 - x) * log(1.0 - x)); /* 1-x exact */
}

double ctxlab_latent_g(double x) { return g_bits(fabs(x)); } /* g is even */

/* ---- parameters --------------------------------------------------------- */

static int check_chains(uint32_t d, const double *w, const double *rho, ctxlab_error *err) {
  if (d == 0) return ctxlab_error_set(err, CTXLAB_EINVAL, "latent theory: d = 0 chains");
  if (!w || !rho)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "latent theory: %s is NULL", w ? "rho" : "w");
  ksum total = {0, 0};
  for (uint32_t j = 0; j < d; j++) {
    if (!(w[j] >= 0 && w[j] <= 1))
      return ctxlab_error_set(err, CTXLAB_EINVAL, "latent theory: w[%u] = %g is not in [0, 1]",
                              j, w[j]);
    if (!(rho[j] >= 0 && rho[j] <= 0.5))
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "latent theory: rho[%u] = %g is not in [0, 1/2]", j, rho[j]);
    ksum_add(&total, w[j]);
  }
  if (!(fabs(ksum_value(&total) - 1) <= WEIGHT_SUM_TOL))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "latent theory: weights w sum to %.17g, not 1 (tolerance %g)",
                            ksum_value(&total), WEIGHT_SUM_TOL);
  return CTXLAB_OK;
}

/* H(w) = -sum_j w_j log2 w_j, bits. */
static double weight_entropy(uint32_t d, const double *w) {
  ksum h = {0, 0};
  for (uint32_t j = 0; j < d; j++)
    if (w[j] > 0) ksum_add(&h, -w[j] * log2(w[j]));
  return ksum_value(&h);
}

/* e^(n l) for n >= 0, with the empty power e^(0 * l) = 1 also for l = -inf
 * (r = 0 or w = 1). */
static double exp_mul(double n, double l) { return n == 0 ? 1.0 : exp(n * l); }

/* ---- curves ------------------------------------------------------------- */

enum {
  CHAINS_PER_BLOCK = 256, /* unit of parallel work; fixed so sums do not depend on threads */
  TILE = 64               /* ages per exp() anchor: r^a = r^a0 * r^(a - a0) */
};

/* Per-age sums over a set of chains, a = 1..L at index a - 1 (NULL: not wanted). */
typedef struct age_sums {
  double *t;  /* sum_j w_j (1-w_j)^(a-1) g(r_j^a)      -> S */
  double *wt; /* sum_j w_j^2 (1-w_j)^(a-1) g(r_j^a)    -> H */
  double *i;  /* sum_j w_j^2 g(kappa r_j^a)            -> I */
} age_sums;

typedef struct curve_plan {
  const double *w, *rho;
  uint32_t d;
  size_t L;
  double log_kappa; /* ln (1 - 2 eps)^2 */
  int want_t, want_wt, want_i;
} curve_plan;

/* Terms below 2^-1000 (~1e-301) are dropped.  That keeps every product in the
 * normal range, where arithmetic is fast (subnormal operands cost ~100 cycles
 * each), and moves no curve point by more than L d 2^-1000. */
#define LOG_NEGLIGIBLE (-1000 * M_LN2)

/* The last age a <= L at which a term bounded by e^(log_c + a slope) is kept
 * (slope <= 0); 0 when none is. */
static size_t last_kept(double log_c, double slope, size_t L) {
  if (slope == 0) return log_c >= LOG_NEGLIGIBLE ? L : 0;
  double a = (log_c - LOG_NEGLIGIBLE) / -slope;
  if (!(a >= 1)) return 0; /* also slope = -inf (r = 0): g(0) = 0 at every age */
  return a >= (double)L ? L : (size_t)a;
}

/* The ages whose terms chain j keeps, from g(x) <= x^2 (equality at x = 1):
 *   I:  w^2 g(kappa r^a)             <= w^2 kappa^2 r^(2a)
 *   S:  w (1-w)^(a-1) g(r^a)         <= w (1-w)^(a-1) r^(2a)
 *   H:  w^2 (1-w)^(a-1) g(r^a)       <= w^2 (1-w)^(a-1) r^(2a)
 * Since also g(x) >= x^2 / (2 ln 2), every kept term and every factor of it
 * is a normal double. */
typedef struct chain_ages {
  size_t i, t, wt; /* last kept age for I, S, H (0: none, or not wanted); wt <= t */
} chain_ages;

static chain_ages kept_ages(const curve_plan *p, double w, double log_r, double log_q) {
  chain_ages ages = {0, 0, 0};
  if (w == 0) return ages;
  double log_w = log(w);
  if (p->want_i) ages.i = last_kept(2 * log_w + 2 * p->log_kappa, 2 * log_r, p->L);
  /* (1-w)^(a-1) = e^((a-1) ln(1-w)); with w = 1 only age 1 has a term */
  double log_c = w < 1 ? log_w - log_q : log_w, slope = w < 1 ? 2 * log_r + log_q : 2 * log_r;
  size_t L = w < 1 || p->L < 1 ? p->L : 1;
  if (p->want_t) ages.t = last_kept(log_c, slope, L);
  if (p->want_wt) ages.wt = last_kept(log_c + log_w, slope, L);
  return ages;
}

/* How many of the n ages a0, a0 + 1, .. are <= last. */
static size_t ages_upto(size_t last, size_t a0, size_t n) {
  return last < a0 ? 0 : last - a0 + 1 < n ? last - a0 + 1 : n;
}

static size_t max3(size_t a, size_t b, size_t c) {
  size_t m = a > b ? a : b;
  return m > c ? m : c;
}

/* sum[k] += scale * x[k], k < n */
static void add_scaled(double *sum, const double *x, double scale, size_t n) {
  for (size_t k = 0; k < n; k++) sum[k] += scale * x[k];
}

/* Adds chain j's terms to the sums. */
static void chain_terms(const curve_plan *p, uint32_t j, const age_sums *out) {
  double w = p->w[j], log_r = log1p(-2 * p->rho[j]), log_q = log1p(-w);
  chain_ages ages = kept_ages(p, w, log_r, log_q);
  size_t last = max3(ages.i, ages.t, ages.wt);
  double r_pow[TILE], q_pow[TILE]; /* r^k and (1-w)^k, k < TILE */
  for (int k = 0; k < TILE; k++) {
    r_pow[k] = exp_mul(k, log_r);
    q_pow[k] = exp_mul(k, log_q);
  }
  double w2 = w * w;
  for (size_t a0 = 1; a0 <= last; a0 += TILE) {
    double g[TILE], term[TILE]; /* at ages a0 + k */
    size_t n = ages_upto(last, a0, TILE);
    double x0 = exp((double)a0 * log_r + p->log_kappa); /* kappa r^a0 */
    for (size_t k = 0; k < n; k++) g[k] = g_bits(x0 * r_pow[k]);
    size_t n_i = ages_upto(ages.i, a0, n), n_t = ages_upto(ages.t, a0, n);
    size_t n_wt = ages_upto(ages.wt, a0, n), n_terms = n_t > n_wt ? n_t : n_wt;
    double p0 = w * exp_mul((double)(a0 - 1), log_q); /* P(latest sight of j at age a0) */
    for (size_t k = 0; k < n_terms; k++) term[k] = p0 * q_pow[k] * g[k];
    if (n_i) add_scaled(out->i + a0 - 1, g, w2, n_i);
    if (n_t) add_scaled(out->t + a0 - 1, term, 1, n_t);
    if (n_wt) add_scaled(out->wt + a0 - 1, term, w, n_wt);
  }
}

/* The sums of block b's chains into out (zeroed here); returns the number of
 * ages they cover. */
static size_t block_terms(const curve_plan *p, size_t b, const age_sums *out) {
  uint32_t j0 = (uint32_t)(b * CHAINS_PER_BLOCK);
  uint32_t j1 = p->d - j0 < CHAINS_PER_BLOCK ? p->d : j0 + CHAINS_PER_BLOCK;
  size_t used = 0;
  for (uint32_t j = j0; j < j1; j++) {
    chain_ages ages = kept_ages(p, p->w[j], log1p(-2 * p->rho[j]), log1p(-p->w[j]));
    size_t last = max3(ages.i, ages.t, ages.wt);
    if (last > used) used = last;
  }
  double *arrays[3] = {out->t, out->wt, out->i};
  for (int k = 0; k < 3; k++)
    if (arrays[k]) memset(arrays[k], 0, used * sizeof(double));
  for (uint32_t j = j0; j < j1; j++) chain_terms(p, j, out);
  return used;
}

int ctxlab_latent_exact_curves(uint32_t d, const double *w, const double *rho, double eps,
                               size_t L, int threads, double *H, double *I, double *S,
                               ctxlab_error *err) {
  int status = check_chains(d, w, rho, err);
  if (status) return status;
  if (!(eps >= 0 && eps < 0.5))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "latent theory: eps = %g is not in [0, 1/2)",
                            eps);
  if (eps > 0 && (H || S))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "latent theory: H(c) and S(c) have closed forms only for eps = 0 "
                            "(eps = %g); only I(d) is exact for eps > 0",
                            eps);

  curve_plan plan = {.w = w, .rho = rho, .d = d, .L = L,
                     .log_kappa = 2 * log1p(-2 * eps),
                     .want_t = S != NULL, .want_wt = H != NULL, .want_i = I != NULL};
  size_t nblocks = (d + CHAINS_PER_BLOCK - 1) / CHAINS_PER_BLOCK;
  int nthreads = threads > 0 ? threads : omp_get_max_threads();
  if ((size_t)nthreads > nblocks) nthreads = (int)nblocks;
  /* sets[0..nthreads-1]: each thread's current block; sets[nthreads]: the total */
  size_t nsets = (size_t)nthreads + 1;
  size_t per_set = (size_t)(plan.want_t + plan.want_wt + plan.want_i) * L;
  age_sums *sets = calloc(nsets, sizeof *sets);
  double *mem = NULL;
  if (!sets) {
    status = ctxlab_error_set(err, CTXLAB_ENOMEM, "latent theory: no memory");
    goto cleanup;
  }
  if (per_set > SIZE_MAX / sizeof(double) / nsets ||
      (per_set > 0 && !(mem = calloc(per_set * nsets, sizeof(double))))) {
    status = ctxlab_error_set(err, CTXLAB_ENOMEM,
                              "latent theory: no memory for %zu x %zu age sums (L = %zu)", nsets,
                              per_set, L);
    goto cleanup;
  }
  for (size_t s = 0; s < nsets && per_set > 0; s++) {
    double *next = mem + s * per_set;
    if (plan.want_t) sets[s].t = next, next += L;
    if (plan.want_wt) sets[s].wt = next, next += L;
    if (plan.want_i) sets[s].i = next;
  }
  const age_sums *total = &sets[nthreads];

  /* Blocks are handed out dynamically, but each is computed alone and added to
   * the total in block order, so the result is the same for any thread count. */
  if (per_set > 0) {
#pragma omp parallel num_threads(nthreads)
    {
      const age_sums *mine = &sets[omp_get_thread_num()];
#pragma omp for ordered schedule(dynamic, 1)
      for (size_t b = 0; b < nblocks; b++) {
        size_t used = block_terms(&plan, b, mine);
#pragma omp ordered
        {
          if (mine->t) add_scaled(total->t, mine->t, 1, used);
          if (mine->wt) add_scaled(total->wt, mine->wt, 1, used);
          if (mine->i) add_scaled(total->i, mine->i, 1, used);
        }
      }
    }
  }

  if (S) {
    ksum s = {0, 0};
    S[0] = 0;
    for (size_t c = 1; c <= L; c++) {
      ksum_add(&s, total->t[c - 1]);
      S[c] = ksum_value(&s);
    }
  }
  if (H) {
    ksum base = {0, 0}, seen = {0, 0};
    ksum_add(&base, weight_entropy(d, w));
    for (uint32_t j = 0; j < d; j++) ksum_add(&base, w[j]);
    H[0] = ksum_value(&base);
    for (size_t c = 1; c <= L; c++) {
      ksum_add(&seen, total->wt[c - 1]);
      H[c] = H[0] - ksum_value(&seen);
    }
  }
  if (I && L > 0) memcpy(I, total->i, L * sizeof(double));

cleanup:
  free(mem);
  free(sets);
  return status;
}

/* ---- entropy rate -------------------------------------------------------- */

/* The rate is lim H(c) = H(w) + sum_j w_j (1 - E_A g(r_j^A)), A ~ Geometric(w_j)
 * on {1, 2, ...}: the age of chain j's latest sighting.  With u = r^2 and the
 * series of g,
 *   2 ln 2 E_A g(r^A) = sum_{n>=1} f(n),  f(x) = w u^x / (x (2x - 1) (1 - (1-w) u^x)),
 * since E_A u^(nA) = sum_a w (1-w)^(a-1) u^(na) = w u^n / (1 - (1-w) u^n).
 * f is completely monotone on x > 1/2 (all (-1)^k f^(k) >= 0):
 * u^x / (1 - (1-w) u^x) = sum_a (1-w)^(a-1) e^(a x ln u) mixes decaying
 * exponentials, 1/(x (2x - 1)) = int_0^inf e^(-xs) (e^(s/2) - 1) ds, and
 * products of completely monotone functions are completely monotone. */
typedef struct rate_chain {
  double w, rho, log_u, log_q; /* ln u = 2 ln r, ln (1 - w) */
} rate_chain;

/* Error allowed per chain on sum_n f(n): a quarter for the terms left out of
 * the direct sum or the Euler-Maclaurin remainder, half for the quadrature's
 * error estimate.  The rate's error is then at most
 * max_j (error_j) / (2 ln 2) ~ 7e-16 bits, plus rounding. */
#define RATE_CHAIN_TOL 1e-15

enum {
  EM_START = 64,    /* first Euler-Maclaurin cut: remainder ~2e-18 where f ~ 1/(2x^2) */
  EM_MAX = 1 << 20, /* give up beyond this many direct terms */
  QUAD_LIMIT = 1000 /* subintervals for the tail integral */
};

/* The tail integral runs over x = M e^s, s in [0, QUAD_S_MAX]: f x decays
 * smoothly in s (like e^-s / 2M, then faster) at every scale of the chain,
 * where in x the decay of u^x may sit at x ~ 10^7.  What is left out,
 * int_X^inf f <= int_X^inf dx / (x (2x - 1)) < 1/(2X - 1) with X = M e^40,
 * is below 10^-19. */
#define QUAD_S_MAX 40.0

static double rate_term(double x, const rate_chain *c) {
  /* 1 - (1-w) u^x by expm1: accurate also when w and 1 - u^x are both tiny */
  return c->w * exp(x * c->log_u) / (x * (2 * x - 1) * -expm1(x * c->log_u + c->log_q));
}

typedef struct tail_integrand {
  const rate_chain *chain;
  double M;
} tail_integrand;

/* f(x) dx in s, x = M e^s */
static double tail_term(double s, void *params) {
  const tail_integrand *t = params;
  double x = t->M * exp(s);
  return rate_term(x, t->chain) * x;
}

/* Taylor coefficients f^(k)(M)/k!, k = 0..7, by power-series arithmetic on
 * f(M + t) = w u^M e^(t ln u) / (P(t) D(t)), with P(t) = (M + t)(2M - 1 + 2t)
 * and D(t) = 1 - (1-w) u^M e^(t ln u). */
static void rate_taylor(const rate_chain *c, double M, double coef[8]) {
  double e[8], D[8], den[8] = {0};
  double P[3] = {M * (2 * M - 1), 4 * M - 1, 2};
  double top = c->w * exp(M * c->log_u), q_top = exp(M * c->log_u + c->log_q);
  e[0] = 1;
  D[0] = -expm1(M * c->log_u + c->log_q);
  for (int k = 1; k < 8; k++) {
    e[k] = e[k - 1] * c->log_u / k;
    D[k] = -q_top * e[k];
  }
  for (int i = 0; i < 8; i++)
    for (int k = 0; k < 3 && i + k < 8; k++) den[i + k] += D[i] * P[k];
  for (int k = 0; k < 8; k++) {
    double s = top * e[k];
    for (int i = 1; i <= k; i++) s -= den[i] * coef[k - i];
    coef[k] = s / den[0];
  }
}

/* sum_{n>=M} f(n) by Euler-Maclaurin with the B2, B4, B6 terms (DLMF 2.10.1):
 *   int_M^inf f + f(M)/2 - f'(M)/12 + f'''(M)/720 - f^(5)(M)/30240 + R,
 * R = int_M^inf (B8 - B~8(x))/8! f^(8)(x) dx (DLMF 2.10.2).  B8 - B~8(x) keeps
 * one sign with magnitude <= 2|B8|, and f^(8) >= 0, so
 * |R| <= 2 |B8|/8! |f^(7)(M)| = |coef7| / 120.
 * Returns nonzero when that bound exceeds its share of the tolerance, or when
 * the quadrature fails (*gsl_status). */
static int rate_tail(const rate_chain *c, double M, gsl_integration_workspace *ws,
                     double *tail, double *bound, int *gsl_status) {
  double coef[8];
  rate_taylor(c, M, coef);
  *bound = fabs(coef[7]) / 120;
  *gsl_status = GSL_SUCCESS;
  if (*bound > RATE_CHAIN_TOL / 4) return 1;
  tail_integrand t = {c, M};
  gsl_function F = {tail_term, &t};
  double integral, abserr;
  *gsl_status = gsl_integration_qag(&F, 0, QUAD_S_MAX, RATE_CHAIN_TOL / 2, 0, QUAD_LIMIT,
                                    GSL_INTEG_GAUSS61, ws, &integral, &abserr);
  if (*gsl_status) return 1;
  *tail = integral + coef[0] / 2 - coef[1] / 12 + coef[3] / 120 - coef[5] / 252;
  return 0;
}

/* E_A g(r^A) for one chain with 0 < w, 0 < rho < 1/2 (bits): direct terms
 * until the rest is provably negligible (f(m) <= u^m / (m (2m - 1)) because
 * 1 - (1-w) u^m >= w), or Euler-Maclaurin from M on, M = 64, 128, ... */
static int chain_memory(uint32_t j, const rate_chain *c, gsl_integration_workspace *ws,
                        double *bits, ctxlab_error *err) {
  ksum sum = {0, 0};
  double one_minus_u = -expm1(c->log_u);
  size_t M = EM_START;
  for (size_t n = 1;; n++) {
    if (n == M) {
      double tail, bound;
      int gsl_status;
      if (!rate_tail(c, (double)M, ws, &tail, &bound, &gsl_status)) {
        ksum_add(&sum, tail);
        break;
      }
      if (gsl_status)
        return ctxlab_error_set(err, CTXLAB_ENUMERIC,
                                "latent entropy rate: chain %u (w = %g, rho = %g): tail "
                                "integral failed: %s",
                                j, c->w, c->rho, gsl_strerror(gsl_status));
      if (M >= EM_MAX)
        return ctxlab_error_set(err, CTXLAB_ENUMERIC,
                                "latent entropy rate: chain %u (w = %g, rho = %g): "
                                "Euler-Maclaurin remainder bound %g after %zu terms",
                                j, c->w, c->rho, bound, M);
      M *= 2;
    }
    ksum_add(&sum, rate_term((double)n, c));
    double m = (double)(n + 1);
    if (exp(m * c->log_u) / (m * (2 * m - 1) * one_minus_u) <= RATE_CHAIN_TOL / 4) break;
  }
  *bits = HALF_INV_LN2 * ksum_value(&sum);
  return CTXLAB_OK;
}

int ctxlab_latent_entropy_rate(uint32_t d, const double *w, const double *rho, double *bits,
                               ctxlab_error *err) {
  int status = check_chains(d, w, rho, err);
  if (status) return status;
  if (!bits) return ctxlab_error_set(err, CTXLAB_EINVAL, "latent entropy rate: bits is NULL");
  ctxlab_init();
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(QUAD_LIMIT);
  if (!ws) return ctxlab_error_set(err, CTXLAB_ENOMEM, "latent entropy rate: no memory");
  ksum rate = {0, 0};
  ksum_add(&rate, weight_entropy(d, w));
  for (uint32_t j = 0; j < d; j++) {
    /* w = 0: never shown; rho = 0: known forever once seen (E g = 1);
     * rho = 1/2: r = 0, a sighting says nothing (E g = 0). */
    if (w[j] == 0 || rho[j] == 0) continue;
    double memory = 0;
    if (rho[j] < 0.5) {
      rate_chain c = {w[j], rho[j], 2 * log1p(-2 * rho[j]), log1p(-w[j])};
      status = chain_memory(j, &c, ws, &memory, err);
      if (status) goto cleanup;
    }
    ksum_add(&rate, w[j] * (1 - memory));
  }
  *bits = ksum_value(&rate);
cleanup:
  gsl_integration_workspace_free(ws);
  return status;
}
