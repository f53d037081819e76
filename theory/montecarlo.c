/* Monte Carlo estimates of the conditional-entropy curve through the oracle. */
#include "theory/montecarlo.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gen/family.h"

/* Samples per block: blocks are the unit of parallel work and are combined in
 * index order, so the estimate does not depend on the number of threads. */
#define BLOCK 64

/* Running mean and sum of squared deviations of `dim` quantities (Welford). */
typedef struct moments {
  double count;
  double *mean;
  double *m2;
} moments;

static void moments_add(moments *m, const double *x, size_t dim) {
  m->count += 1;
  for (size_t i = 0; i < dim; ++i) {
    double delta = x[i] - m->mean[i];
    m->mean[i] += delta / m->count;
    m->m2[i] += delta * (x[i] - m->mean[i]);
  }
}

/* Fold b into a (Chan, Golub & LeVeque 1979). */
static void moments_merge(moments *a, const moments *b, size_t dim) {
  if (b->count == 0) return;
  double n = a->count + b->count;
  for (size_t i = 0; i < dim; ++i) {
    double delta = b->mean[i] - a->mean[i];
    a->mean[i] += delta * b->count / n;
    a->m2[i] += b->m2[i] + delta * delta * a->count * b->count / n;
  }
  a->count = n;
}

/* Entropy (bits) of the oracle given the last c tokens of window[0..L-1], for
 * every c, through the family's fast path or one oracle call per c. */
static int suffix_entropies(const ctxlab_family_ops *ops, const void *impl, const uint32_t *window,
                            size_t L, double *probs, uint32_t V, double *bits, ctxlab_error *err) {
  if (ops->suffix_entropies) return ops->suffix_entropies(impl, window, L, bits, err);
  for (size_t c = 0; c <= L; ++c) {
    int st = ops->predict(impl, window + (L - c), c, probs, err);
    if (st) return st;
    double h = 0;
    for (uint32_t x = 0; x < V; ++x)
      if (probs[x] > 0) h -= probs[x] * log2(probs[x]);
    bits[c] = h;
  }
  return CTXLAB_OK;
}

/* Scratch of one thread. */
typedef struct scratch {
  uint32_t *window; /* L */
  double *probs;    /* V */
  double *prefix;   /* L + 1 */
  double *x;        /* per sample: H(0..L), then I_BP(2), I_BP(4), .., I_BP(2 floor(L/2)) */
} scratch;

static int run_block(const ctxlab_lang *lang, size_t L, uint64_t first, uint64_t count,
                     uint64_t seed, scratch *s, moments *m, ctxlab_error *err) {
  const ctxlab_family_ops *ops = ctxlab_lang_ops(lang);
  const void *impl = ctxlab_lang_impl(lang);
  const uint32_t V = ctxlab_lang_vocab_size(lang);
  const size_t nb = L / 2;
  double *bip = s->x + L + 1;
  for (uint64_t i = first; i < first + count; ++i) {
    ctxlab_rng rng;
    ctxlab_rng_derive(&rng, seed, "theory.monte-carlo", i);
    ctxlab_sampler *sampler;
    int st = ctxlab_sampler_new(lang, &rng, &sampler, err);
    if (st) return st;
    ctxlab_sampler_fill(sampler, s->window, L);
    ctxlab_sampler_free(sampler);
    if ((st = suffix_entropies(ops, impl, s->window, L, s->probs, V, s->x, err))) return st;
    /* I_BP(n) = sum_{i=1..n/2} [H(i-1) - H(n/2+i-1)] = 2 P(n/2) - P(n),
     * with P(m) = sum_{c<m} H(c) */
    s->prefix[0] = 0;
    for (size_t c = 0; c < L; ++c) s->prefix[c + 1] = s->prefix[c] + s->x[c];
    for (size_t j = 1; j <= nb; ++j) bip[j - 1] = 2 * s->prefix[j] - s->prefix[2 * j];
    moments_add(m, s->x, L + 1 + nb);
  }
  return CTXLAB_OK;
}

static void scratch_free(scratch *s) {
  free(s->window);
  free(s->probs);
  free(s->prefix);
  free(s->x);
}

int ctxlab_mc_entropy_curves(const ctxlab_lang *lang, size_t L, uint64_t samples, uint64_t seed,
                             int threads, ctxlab_curve *H, ctxlab_curve *bipartite,
                             ctxlab_error *err) {
  if (samples < 2)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "Monte Carlo needs at least 2 samples for a standard error (got %llu)",
                            (unsigned long long)samples);
  const size_t nb = L / 2, dim = L + 1 + nb;
  const uint32_t V = ctxlab_lang_vocab_size(lang);
  const uint64_t nblocks = (samples + BLOCK - 1) / BLOCK;
  moments *blocks = calloc(nblocks, sizeof *blocks);
  double *store = calloc(nblocks * 2 * dim, sizeof(double));
  int *status = calloc(nblocks, sizeof(int));
  ctxlab_error *errors = calloc(nblocks, sizeof(ctxlab_error));
  int st = CTXLAB_OK;
  if (!blocks || !store || !status || !errors) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (Monte Carlo over %llu samples)",
                          (unsigned long long)samples);
    goto cleanup;
  }
  for (uint64_t b = 0; b < nblocks; ++b) {
    blocks[b].mean = store + b * 2 * dim;
    blocks[b].m2 = store + b * 2 * dim + dim;
  }
  int nthreads = threads > 0 ? threads : omp_get_max_threads();
  int scratch_failed = 0;
#pragma omp parallel num_threads(nthreads)
  {
    scratch s = {malloc(sizeof(uint32_t) * (L ? L : 1)), malloc(sizeof(double) * V),
                 malloc(sizeof(double) * (L + 1)), malloc(sizeof(double) * dim)};
    int ok = s.window && s.probs && s.prefix && s.x;
    if (!ok) {
#pragma omp atomic write
      scratch_failed = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (uint64_t b = 0; b < nblocks; ++b) {
      if (!ok) continue;
      uint64_t first = b * BLOCK, count = samples - first < BLOCK ? samples - first : BLOCK;
      status[b] = run_block(lang, L, first, count, seed, &s, &blocks[b], &errors[b]);
    }
    scratch_free(&s);
  }
  if (scratch_failed) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (Monte Carlo scratch)");
    goto cleanup;
  }
  for (uint64_t b = 0; b < nblocks; ++b)
    if (status[b]) {
      if (err) *err = errors[b];
      st = status[b];
      goto cleanup;
    }
  for (uint64_t b = 1; b < nblocks; ++b) moments_merge(&blocks[0], &blocks[b], dim);

  if ((st = ctxlab_curve_alloc(H, L + 1, err))) goto cleanup;
  if ((st = ctxlab_curve_alloc(bipartite, nb, err))) {
    ctxlab_curve_free(H);
    goto cleanup;
  }
  const double n = blocks[0].count;
  for (size_t i = 0; i < dim; ++i) {
    double mean = blocks[0].mean[i], se = sqrt(blocks[0].m2[i] / (n - 1) / n);
    if (i <= L) {
      H->x[i] = (int64_t)i;
      H->bits[i] = mean;
      H->stderr_bits[i] = se;
    } else {
      size_t j = i - (L + 1);
      bipartite->x[j] = (int64_t)(2 * (j + 1));
      bipartite->bits[j] = mean;
      bipartite->stderr_bits[j] = se;
    }
  }
  H->method = CTXLAB_METHOD_MONTE_CARLO;
  bipartite->method = CTXLAB_METHOD_MONTE_CARLO;
cleanup:
  free(blocks);
  free(store);
  free(status);
  free(errors);
  return st;
}
