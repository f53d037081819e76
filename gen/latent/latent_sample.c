/* Sampling the `latent` family in O(1) per token, whatever the number of chains.
 *
 * Flipping chain j with probability rho_j each step is the same as redrawing
 * its bit uniformly ("refreshing" it) with probability 2 rho_j.  So a chain
 * need not be touched until it is shown: it keeps its bit and the time of its
 * next refresh, and when it is shown at time t >= that time its bit is a fresh
 * uniform bit and the next refresh is t + G, G geometric on {1, 2, ...} with
 * P(G > n) = (1 - 2 rho_j)^n (the refresh times form a Bernoulli process, so
 * they are memoryless).  A chain shown for the first time has a uniform bit:
 * the chains start from their stationary law.
 *
 * Each token, in this order, from the units of the path's generator
 * (gen/alias.h):
 *   1. one alias draw: chain j ~ w;
 *   2. if j is new or due for a refresh: two units lo, hi form x = lo + 2^32 hi;
 *      the bit is x >> 63, and u = ((x mod 2^53) + 1) 2^-53 in (0, 1] gives
 *      G = 1 + floor(ln u / ln(1 - 2 rho_j)) (G = 1 when rho_j = 1/2, never
 *      when rho_j = 0), with ln from core/detmath.h;
 *   3. if eps > 0: one unit v; the bit is flipped when v < round(eps 2^32);
 *   4. the token is 2j + bit. */
#include <math.h>
#include <stdlib.h>

#include "core/detmath.h"
#include "gen/latent/latent.h"

typedef struct chain_state {
  int64_t next_refresh; /* time of the next refresh after the last time shown */
  uint32_t epoch;       /* walker epoch in which the chain was last set */
  uint32_t bit;
} chain_state;

/* One sample path in progress. */
typedef struct walker {
  ctxlab_units units;
  chain_state *chains; /* d entries; entries of another epoch are unseen */
  uint32_t epoch;
  int64_t t; /* tokens produced */
} walker;

static void refresh(const ctxlab_latent *L, walker *wk, chain_state *c, uint32_t j) {
  uint64_t lo = ctxlab_units_next(&wk->units);
  uint64_t x = lo | (uint64_t)ctxlab_units_next(&wk->units) << 32;
  c->bit = (uint32_t)(x >> 63);
  c->epoch = wk->epoch;
  double rho = L->rho[j];
  if (rho == 0) {
    c->next_refresh = INT64_MAX;
  } else if (rho == 0.5) {
    c->next_refresh = wk->t + 1;
  } else {
    double u = (double)((x & ((UINT64_C(1) << 53) - 1)) + 1) * 0x1p-53;
    double gap = floor(ctxlab_log_portable(u) * L->inv_log_keep[j]);
    c->next_refresh = gap >= 0x1p62 ? INT64_MAX : wk->t + 1 + (int64_t)gap;
  }
}

static inline uint32_t next_token(const ctxlab_latent *L, walker *wk) {
  uint32_t j = ctxlab_alias_draw(&wk->units, L->table, L->d, L->reject_below);
  chain_state *c = &wk->chains[j];
  if (c->epoch != wk->epoch || wk->t >= c->next_refresh) refresh(L, wk, c, j);
  uint32_t bit = c->bit;
  if (L->noise_threshold && ctxlab_units_next(&wk->units) < L->noise_threshold) bit ^= 1u;
  wk->t++;
  return 2 * j + bit;
}

/* Start a new path on generator rng, reusing the chain array. */
static void walker_start(walker *wk, const ctxlab_rng *rng, uint32_t d) {
  ctxlab_units_init(&wk->units, rng);
  wk->t = 0;
  if (++wk->epoch == 0) { /* epochs wrapped: forget every chain explicitly */
    for (uint32_t j = 0; j < d; ++j) wk->chains[j].epoch = 0;
    wk->epoch = 1;
  }
}

/* ---- streaming sampler -------------------------------------------------- */

typedef struct latent_sampler {
  ctxlab_sampler base;
  const ctxlab_latent *L;
  walker wk;
} latent_sampler;

static void latent_fill(ctxlab_sampler *self, uint32_t *out, size_t n) {
  latent_sampler *ls = (latent_sampler *)self;
  for (size_t i = 0; i < n; ++i) out[i] = next_token(ls->L, &ls->wk);
}

static void latent_sampler_destroy(ctxlab_sampler *self) {
  latent_sampler *ls = (latent_sampler *)self;
  free(ls->wk.chains);
  free(ls);
}

int ctxlab_latent_sampler_new(const void *impl, const ctxlab_rng *rng, ctxlab_sampler **out,
                              ctxlab_error *err) {
  const ctxlab_latent *L = impl;
  latent_sampler *ls = calloc(1, sizeof *ls);
  chain_state *chains = calloc(L->d, sizeof *chains);
  if (!ls || !chains) {
    free(ls);
    free(chains);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%u chains)", L->d);
  }
  ls->base.fill = latent_fill;
  ls->base.destroy = latent_sampler_destroy;
  ls->L = L;
  ls->wk.chains = chains;
  walker_start(&ls->wk, rng, L->d);
  *out = &ls->base;
  return CTXLAB_OK;
}

/* ---- independent sequences ---------------------------------------------- */

int ctxlab_latent_sample_sequences(const void *impl, uint64_t seed, uint64_t first, size_t count,
                                   size_t length, uint32_t *out, ctxlab_error *err) {
  const ctxlab_latent *L = impl;
  walker wk = {0};
  wk.chains = calloc(L->d, sizeof *wk.chains);
  if (!wk.chains) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%u chains)", L->d);
  for (size_t i = 0; i < count; ++i) {
    ctxlab_rng rng;
    ctxlab_rng_derive(&rng, seed, "gen.sequence", first + i);
    walker_start(&wk, &rng, L->d);
    uint32_t *row = out + i * length;
    for (size_t t = 0; t < length; ++t) row[t] = next_token(L, &wk);
  }
  free(wk.chains);
  return CTXLAB_OK;
}
