/* The `latent` family: its oracle, exact theory hooks and description.
 *
 * The oracle factorises over chains: the chain shown next is drawn afresh, and
 * chains are independent, so P(next = 2j + b | window) = w_j P(shown bit b |
 * chain j's observations in the window), a two-state filter per chain. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen/latent/latent.h"
#include "gen/latent/latent_theory.h"

static double h2(double p) {
  double h = 0;
  if (p > 0) h -= p * log2(p);
  if (p < 1) h -= (1 - p) * log2(1 - p);
  return h;
}

/* P(z = 1) after `steps` steps of a symmetric chain with r = 1 - 2 rho. */
static double propagate(double p1, double r, double steps) {
  return 0.5 + (p1 - 0.5) * pow(r, steps);
}

/* P(token bit = 1) given P(chain bit = 1) and the noise eps. */
static double shown_one(double p1, double eps) { return p1 * (1 - eps) + (1 - p1) * eps; }

/* The posterior of each chain's bit at the time of the next token.  eps = 0:
 * the latest observation of a chain, seen a tokens ago, says its bit equals b
 * with probability (1 + r^a)/2, and older observations add nothing.  (For a
 * window of probability zero, e.g. a flip of a chain with rho = 0, the
 * latest observation is what counts.)  eps > 0: forward filter over the
 * chain's observations, oldest first. */
int ctxlab_latent_predict(const void *impl, const uint32_t *window, size_t c, double *probs,
                          ctxlab_error *err) {
  const ctxlab_latent *L = impl;
  const uint32_t d = L->d;
  const double eps = L->eps;
  double *p1 = malloc(sizeof(double) * d);
  int64_t *last = malloc(sizeof(int64_t) * d);
  if (!p1 || !last) {
    free(p1);
    free(last);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%u chains)", d);
  }
  for (uint32_t j = 0; j < d; ++j) {
    p1[j] = 0.5;
    last[j] = -1;
  }
  if (eps == 0) {
    for (size_t i = c; i-- > 0;) {
      uint32_t j = window[i] >> 1, b = window[i] & 1u;
      if (last[j] >= 0) continue;
      last[j] = (int64_t)i;
      double agree = propagate(1.0, 1 - 2 * L->rho[j], (double)(c - i));
      p1[j] = b ? agree : 1 - agree;
    }
  } else {
    for (size_t i = 0; i < c; ++i) {
      uint32_t j = window[i] >> 1, b = window[i] & 1u;
      double r = 1 - 2 * L->rho[j];
      double prior = last[j] >= 0 ? propagate(p1[j], r, (double)((int64_t)i - last[j])) : 0.5;
      double like1 = b ? 1 - eps : eps, like0 = b ? eps : 1 - eps;
      p1[j] = prior * like1 / (prior * like1 + (1 - prior) * like0);
      last[j] = (int64_t)i;
    }
    for (uint32_t j = 0; j < d; ++j)
      if (last[j] >= 0) p1[j] = propagate(p1[j], 1 - 2 * L->rho[j], (double)((int64_t)c - last[j]));
  }
  for (uint32_t j = 0; j < d; ++j) {
    double one = shown_one(p1[j], eps);
    probs[2 * j + 1] = L->w[j] * one;
    probs[2 * j] = L->w[j] * (1 - one);
  }
  free(p1);
  free(last);
  return CTXLAB_OK;
}

/* Per-thread scratch of suffix_entropies: per-chain slots, valid only when
 * their stamp is the current epoch, so a window costs O(its length). */
typedef struct suffix_scratch {
  uint32_t d, epoch;
  uint32_t *stamp;
  double *term;    /* h2 of the chain's shown bit in the current window */
  int64_t *oldest; /* position of its oldest observation so far */
  double *K;       /* eps > 0: 2 x 2 likelihood matrix, see below */
} suffix_scratch;

static void suffix_scratch_free(void *p) {
  suffix_scratch *s = p;
  if (!s) return;
  free(s->stamp);
  free(s->term);
  free(s->oldest);
  free(s->K);
  free(s);
}

static void *suffix_scratch_new(const void *impl) {
  const ctxlab_latent *L = impl;
  suffix_scratch *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->d = L->d;
  s->stamp = calloc(L->d, sizeof *s->stamp);
  s->term = malloc(sizeof(double) * L->d);
  s->oldest = malloc(sizeof(int64_t) * L->d);
  s->K = L->eps > 0 ? malloc(sizeof(double) * 4 * L->d) : NULL;
  if (!s->stamp || !s->term || !s->oldest || (L->eps > 0 && !s->K)) {
    suffix_scratch_free(s);
    return NULL;
  }
  return s;
}

/* Entropies of the oracle for every suffix, in one pass from the newest token
 * to the oldest.  The entropy is H(w) + sum_j w_j h2(P(shown bit 1 | chain j));
 * adding an older token changes one chain's term (chains never seen keep
 * h2 = 1).  For eps > 0 chain j keeps K(z*, z') = P(its observations so far,
 * bit z' at its oldest one | bit z* at the next token), up to scale: the
 * chain is reversible with a uniform stationary law, so going back in time it
 * is the same symmetric chain, and an older observation b, `gap` steps
 * earlier, multiplies K on the right by M(gap) diag(P(b | z'')). */
int ctxlab_latent_suffix_entropies(const void *impl, void *scratch, const uint32_t *window,
                                   size_t n, double *bits, ctxlab_error *err) {
  const ctxlab_latent *L = impl;
  suffix_scratch *sc = scratch;
  const double eps = L->eps;
  if (++sc->epoch == 0) { /* epochs wrapped: forget every chain explicitly */
    memset(sc->stamp, 0, sizeof(uint32_t) * sc->d);
    sc->epoch = 1;
  }
  double sum = 1.0; /* sum_j w_j term_j, every chain unseen */
  bits[0] = L->entropy_w_bits + sum;
  for (size_t c = 1; c <= n; ++c) {
    size_t i = n - c;
    uint32_t j = window[i] >> 1, b = window[i] & 1u;
    double r = 1 - 2 * L->rho[j];
    int seen = sc->stamp[j] == sc->epoch;
    double h;
    if (eps == 0) {
      if (seen) {
        bits[c] = bits[c - 1];
        continue;
      }
      h = h2(propagate(1.0, r, (double)c));
    } else {
      double *k = sc->K + 4 * (size_t)j;
      if (!seen) {
        k[0] = 1, k[1] = 0, k[2] = 0, k[3] = 1;
        sc->oldest[j] = (int64_t)n;
      }
      double m = pow(r, (double)(sc->oldest[j] - (int64_t)i));
      double stay = (1 + m) / 2, move = (1 - m) / 2;
      double e0 = b ? eps : 1 - eps, e1 = b ? 1 - eps : eps;
      double k00 = (k[0] * stay + k[1] * move) * e0, k01 = (k[0] * move + k[1] * stay) * e1;
      double k10 = (k[2] * stay + k[3] * move) * e0, k11 = (k[2] * move + k[3] * stay) * e1;
      double scale = fmax(fmax(k00, k01), fmax(k10, k11));
      k[0] = k00 / scale, k[1] = k01 / scale, k[2] = k10 / scale, k[3] = k11 / scale;
      double lam0 = k[0] + k[1], lam1 = k[2] + k[3];
      h = h2(shown_one(lam1 / (lam0 + lam1), eps));
    }
    if (!seen) {
      sc->stamp[j] = sc->epoch;
      sc->term[j] = 1.0;
    }
    sc->oldest[j] = (int64_t)i;
    sum += L->w[j] * (h - sc->term[j]);
    sc->term[j] = h;
    bits[c] = L->entropy_w_bits + sum;
  }
  (void)err;
  return CTXLAB_OK;
}

static json_t *latent_canonical(const void *impl) {
  return json_deep_copy(((const ctxlab_latent *)impl)->canonical);
}

static uint32_t latent_vocab_size(const void *impl) { return 2 * ((const ctxlab_latent *)impl)->d; }

static int64_t latent_intrinsic_dimension(const void *impl) {
  return ((const ctxlab_latent *)impl)->d;
}

static unsigned latent_capabilities(const void *impl) {
  const ctxlab_latent *L = impl;
  if (L->eps == 0)
    return CTXLAB_CAP_EXACT_RATE | CTXLAB_CAP_EXACT_ENTROPY | CTXLAB_CAP_EXACT_MI |
           CTXLAB_CAP_EXACT_INTRINSIC;
  return CTXLAB_CAP_RATE_BOUNDS | CTXLAB_CAP_EXACT_MI;
}

static int latent_exact_curves(const void *impl, size_t Lmax, int threads, double *H, double *I,
                               double *S, ctxlab_error *err) {
  const ctxlab_latent *L = impl;
  return ctxlab_latent_exact_curves(L->d, L->w, L->rho, L->eps, Lmax, threads, H, I, S, err);
}

/* eps = 0: exact.  eps > 0: the lower bound H(X_t | Z_{t-1}) = H(w) +
 * sum_j w_j h2(rho_j (1 - eps) + (1 - rho_j) eps): given every chain's bit
 * before step t, the past tells nothing more (Cover & Thomas, section 4.5). */
static int latent_entropy_rate(const void *impl, double *bits, ctxlab_error *err) {
  const ctxlab_latent *L = impl;
  if (L->eps == 0) return ctxlab_latent_entropy_rate(L->d, L->w, L->rho, bits, err);
  double lower = L->entropy_w_bits;
  for (uint32_t j = 0; j < L->d; ++j)
    lower += L->w[j] * h2(L->rho[j] * (1 - L->eps) + (1 - L->rho[j]) * L->eps);
  *bits = lower;
  return CTXLAB_OK;
}

static const ctxlab_family_param latent_params[] = {
    {"chains", "integer >= 1", "16", "d hidden bits; tokens are 0..2d-1 (chain j shows 2j or 2j+1)"},
    {"flip", "list of d numbers in [0, 0.5]", NULL, "rho_j: probability that chain j flips per step"},
    {"timescales", "list of d numbers > 0, or {\"min\": a, \"max\": b}",
     "{\"min\": 10, \"max\": 10000}",
     "tau_j, rho_j = (1 - e^(-1/tau_j))/2; {min, max}: log-spaced from min (chain 0) to max"},
    {"weights", "\"uniform\", {\"zipf\": s} or a list of d numbers >= 0", "{\"zipf\": 1}",
     "probability that a token shows chain j (zipf: ~ (j+1)^-s); normalised"},
    {"noise", "number in [0, 0.5)", "0", "eps: probability that a shown bit is flipped"},
    {NULL, NULL, NULL, NULL}};

static const ctxlab_family_info latent_info = {
    "latent",
    "mixing Santa Fe process: d hidden flipping bits, each token shows one; exact H(c), I(d), "
    "bipartite MI, intrinsic entropy S(c)",
    latent_params};

const ctxlab_family_ops ctxlab_latent_family = {
    .info = &latent_info,
    .build = ctxlab_latent_build,
    .destroy = ctxlab_latent_destroy,
    .canonical = latent_canonical,
    .vocab_size = latent_vocab_size,
    .intrinsic_dimension = latent_intrinsic_dimension,
    .sampler_new = ctxlab_latent_sampler_new,
    .sample_sequences = ctxlab_latent_sample_sequences,
    .predict = ctxlab_latent_predict,
    .scratch_new = suffix_scratch_new,
    .scratch_free = suffix_scratch_free,
    .suffix_entropies = ctxlab_latent_suffix_entropies,
    .capabilities = latent_capabilities,
    .exact_curves = latent_exact_curves,
    .entropy_rate = latent_entropy_rate,
};
