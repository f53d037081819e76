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
  if (a->count == 0) {
    memcpy(a->mean, b->mean, sizeof(double) * dim);
    memcpy(a->m2, b->m2, sizeof(double) * dim);
    a->count = b->count;
    return;
  }
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
static int suffix_entropies(const ctxlab_family_ops *ops, const void *impl, void *fast,
                            const uint32_t *window, size_t L, double *probs, uint32_t V,
                            double *bits, ctxlab_error *err) {
  if (ops->suffix_entropies) return ops->suffix_entropies(impl, fast, window, L, bits, err);
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

/* What one thread keeps for all its windows. */
typedef struct scratch {
  ctxlab_sampler *sampler; /* restarted for every window */
  void *fast;              /* the family's suffix_entropies scratch, or NULL */
  uint32_t *window;        /* L */
  double *probs;           /* V */
  double *prefix;          /* L + 1 */
  double *x;               /* per window: H(0..L), then I_BP(2), I_BP(4), .., I_BP(2 floor(L/2)) */
} scratch;

static void scratch_free(const ctxlab_family_ops *ops, scratch *s) {
  ctxlab_sampler_free(s->sampler);
  if (s->fast) ops->scratch_free(s->fast);
  free(s->window);
  free(s->probs);
  free(s->prefix);
  free(s->x);
}

static int scratch_init(const ctxlab_lang *lang, size_t L, size_t dim, scratch *s,
                        ctxlab_error *err) {
  const ctxlab_family_ops *ops = ctxlab_lang_ops(lang);
  memset(s, 0, sizeof *s);
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 0, "theory.monte-carlo", 0); /* replaced by every restart */
  int st = ctxlab_sampler_new(lang, &rng, &s->sampler, err);
  if (st) return st;
  if (ops->scratch_new && !(s->fast = ops->scratch_new(ctxlab_lang_impl(lang))))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (Monte Carlo scratch)");
  s->window = malloc(sizeof(uint32_t) * (L ? L : 1));
  s->probs = malloc(sizeof(double) * ctxlab_lang_vocab_size(lang));
  s->prefix = malloc(sizeof(double) * (L + 1));
  s->x = malloc(sizeof(double) * dim);
  if (!s->window || !s->probs || !s->prefix || !s->x)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (Monte Carlo scratch)");
  return CTXLAB_OK;
}

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
    ctxlab_sampler_restart(s->sampler, &rng);
    ctxlab_sampler_fill(s->sampler, s->window, L);
    int st = suffix_entropies(ops, impl, s->fast, s->window, L, s->probs, V, s->x, err);
    if (st) return st;
    /* I_BP(n) = sum_{i=1..n/2} [H(i-1) - H(n/2+i-1)] = 2 P(n/2) - P(n),
     * with P(m) = sum_{c<m} H(c) */
    s->prefix[0] = 0;
    for (size_t c = 0; c < L; ++c) s->prefix[c + 1] = s->prefix[c] + s->x[c];
    for (size_t j = 1; j <= nb; ++j) bip[j - 1] = 2 * s->prefix[j] - s->prefix[2 * j];
    moments_add(m, s->x, L + 1 + nb);
  }
  return CTXLAB_OK;
}

int ctxlab_mc_entropy_curves(const ctxlab_lang *lang, size_t L, uint64_t samples, uint64_t seed,
                             int threads, ctxlab_curve *H, ctxlab_curve *bipartite,
                             ctxlab_error *err) {
  if (samples < 2 || samples > CTXLAB_MC_MAX_SAMPLES)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "Monte Carlo samples: %llu is out of range [2, 2^40]",
                            (unsigned long long)samples);
  const ctxlab_family_ops *ops = ctxlab_lang_ops(lang);
  const size_t nb = L / 2, dim = L + 1 + nb;
  const uint64_t nblocks = (samples + BLOCK - 1) / BLOCK;
  const int nthreads = threads > 0 ? threads : omp_get_max_threads();
  /* Blocks are computed a wave at a time and folded into the total in index
   * order; the fold order, not the wave size, fixes the result, so waves can
   * follow the thread count while memory stays O(threads L). */
  const uint64_t wave = 4 * (uint64_t)nthreads;
  moments total = {0, calloc(dim, sizeof(double)), calloc(dim, sizeof(double))};
  moments *blocks = calloc(wave, sizeof *blocks);
  double *store = calloc(wave * 2 * dim, sizeof(double));
  int *status = calloc(wave, sizeof(int));
  ctxlab_error *errors = calloc(wave, sizeof(ctxlab_error));
  scratch *scr = calloc((size_t)nthreads, sizeof *scr);
  int st = CTXLAB_OK;
  if (!total.mean || !total.m2 || !blocks || !store || !status || !errors || !scr) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (Monte Carlo with L = %zu)", L);
    goto cleanup;
  }
  for (int t = 0; t < nthreads && !st; ++t) st = scratch_init(lang, L, dim, &scr[t], err);
  if (st) goto cleanup;
  for (uint64_t first = 0; first < nblocks; first += wave) {
    uint64_t n = nblocks - first < wave ? nblocks - first : wave;
    for (uint64_t b = 0; b < n; ++b) {
      blocks[b] = (moments){0, store + b * 2 * dim, store + b * 2 * dim + dim};
      memset(blocks[b].mean, 0, sizeof(double) * 2 * dim);
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (uint64_t b = 0; b < n; ++b) {
      uint64_t block = first + b, start = block * BLOCK;
      uint64_t count = samples - start < BLOCK ? samples - start : BLOCK;
      status[b] = run_block(lang, L, start, count, seed, &scr[omp_get_thread_num()], &blocks[b],
                            &errors[b]);
    }
    for (uint64_t b = 0; b < n; ++b) {
      if (status[b]) {
        if (err) *err = errors[b];
        st = status[b];
        goto cleanup;
      }
      moments_merge(&total, &blocks[b], dim);
    }
  }

  if ((st = ctxlab_curve_alloc(H, L + 1, err))) goto cleanup;
  if ((st = ctxlab_curve_alloc(bipartite, nb, err))) {
    ctxlab_curve_free(H);
    goto cleanup;
  }
  for (size_t i = 0; i < dim; ++i) {
    double mean = total.mean[i], se = sqrt(total.m2[i] / (total.count - 1) / total.count);
    ctxlab_curve *c = i <= L ? H : bipartite;
    size_t j = i <= L ? i : i - (L + 1);
    c->x[j] = i <= L ? (int64_t)i : (int64_t)(2 * (j + 1));
    c->bits[j] = mean;
    c->stderr_bits[j] = se;
  }
  H->method = CTXLAB_METHOD_MONTE_CARLO;
  bipartite->method = CTXLAB_METHOD_MONTE_CARLO;
cleanup:
  if (scr)
    for (int t = 0; t < nthreads; ++t) scratch_free(ops, &scr[t]);
  free(scr);
  free(total.mean);
  free(total.m2);
  free(blocks);
  free(store);
  free(status);
  free(errors);
  return st;
}
