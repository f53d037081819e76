/* Sampling the `latent` family in O(1) per token, whatever the number of chains.
 *
 * Flipping chain j with probability rho_j each step is the same as redrawing
 * its bit uniformly ("refreshing" it) with probability 2 rho_j.  So a chain
 * need not be touched until it is shown.  Its refresh times form a Bernoulli
 * process, which is memoryless, so they can be drawn lazily, a stage of H_j
 * steps at a time (H_j = ceil(16 / w_j), about 16 showings of the chain): a
 * stage either holds no refresh, with probability q_j = (1 - 2 rho_j)^H_j
 * (one 32-bit comparison, the common case for slow chains), or has its first
 * refresh after G steps, G drawn from the geometric law truncated to [1, H_j]
 * by inversion: G = 1 + floor(ln(q_j + (1 - q_j) u) / ln(1 - 2 rho_j)).  When a
 * chain is shown at time t and a refresh is due at or before t, its bit is a
 * fresh uniform bit and its next stage starts at t.  A chain shown for the
 * first time has a uniform bit (the chains start from their stationary law).
 *
 * Each token, in this order, from the units of the path's generator
 * (gen/alias.h):
 *   1. one alias draw: chain j ~ w;
 *   2. if j is new, or an event of j is due (a refresh or the end of a stage):
 *      stages are drawn from t (after a refresh, or for a new chain) or from
 *      the end of the stage (after a stage without refresh) until one ends
 *      after t.  Each stage takes one unit v and holds no refresh when
 *      (v mod 2^31) < round(q_j 2^31); otherwise two more units lo, hi give
 *      u = ((lo + 2^32 hi) mod 2^53 + 1) 2^-53 for G (rho_j = 1/2: G = 1;
 *      rho_j = 0: never, and v is still drawn).  When the chain needs a fresh
 *      bit (new, or refreshed at or before t) it is the top bit of the first
 *      stage's v;
 *   3. if eps > 0: one unit v; the bit is flipped when v < round(eps 2^32);
 *   4. the token is 2j + bit.
 *
 * The constants, from the language (gen/latent/latent_spec.c), exactly:
 *   w_j      the weights divided by their largest, then by the sum of those;
 *   H_j      min(ceil(16 / w_j), 2^40) in double (2^40 when w_j = 0);
 *   q_j      (1 - 2 rho_j)^H_j by binary powering from the lowest bit of H_j:
 *            q = 1, b = 1 - 2 rho_j; for each bit, if set q = q b, then b = b b;
 *   threshold round(q_j 2^31) = floor(q_j 2^31 + 0.5);
 *   G        = 1 + min(floor(ln(q_j + (1 - q_j) u) * c_j), H_j - 1), with
 *            c_j = 1 / ctxlab_log_portable(1 - 2 rho_j) and ln = ctxlab_log_unit
 *            (core/detmath.h: the same bits on every machine);
 *   noise    floor(eps 2^32 + 0.5), compared with a whole unit.
 * tests/python/test_golden_sample.py reproduces latent files from this text. */
#include <math.h>
#include <stdlib.h>

#include "core/detmath.h"
#include "gen/latent/latent.h"

typedef struct chain_state {
  int64_t next;      /* end of the current stage, or the time of a refresh */
  uint32_t epoch;    /* walker epoch in which the chain was last set */
  uint16_t bit;
  uint16_t refresh;  /* 1: `next` is a refresh; 0: the end of a stage without one */
} chain_state;

/* One sample path in progress. */
typedef struct walker {
  ctxlab_units units;
  chain_state *chains; /* d entries; entries of another epoch are unseen */
  uint32_t epoch;
  int64_t t; /* tokens produced */
} walker;

/* The first refresh of a stage that has one: G in [1, H_j] by inversion of
 * the truncated geometric law (rare for slow chains, so not inlined). */
static __attribute__((noinline)) int64_t refresh_gap(const ctxlab_latent *L, ctxlab_units *units,
                                                     uint32_t j) {
  uint64_t lo = ctxlab_units_next(units);
  uint64_t x = lo | (uint64_t)ctxlab_units_next(units) << 32;
  double u = (double)((x & ((UINT64_C(1) << 53) - 1)) + 1) * 0x1p-53;
  double q = L->stage_keep[j];
  double gap = floor(ctxlab_log_unit(q + (1.0 - q) * u) * L->inv_log_keep[j]);
  /* gap < H_j by construction; the guard only catches rounding at the end */
  return 1 + (gap < (double)L->stage[j] ? (int64_t)gap : L->stage[j] - 1);
}

/* Draw the stage of chain j starting at `from`; returns the unit used (its
 * top bit serves as a fresh bit). */
static inline uint32_t stage(const ctxlab_latent *L, ctxlab_units *units, chain_state *c,
                             uint32_t j, int64_t from) {
  uint32_t v = ctxlab_units_next(units);
  double rho = L->rho[j];
  if (rho == 0) {
    c->next = INT64_MAX;
    c->refresh = 0;
  } else if (rho == 0.5) {
    c->next = from + 1;
    c->refresh = 1;
  } else if ((v & 0x7fffffffu) < L->stage_threshold[j]) {
    c->next = from + L->stage[j];
    c->refresh = 0;
  } else {
    c->next = from + refresh_gap(L, units, j);
    c->refresh = 1;
  }
  return v;
}

/* Chain j is shown at time t and is new (epoch differs), or an event is due. */
static inline void update_chain(const ctxlab_latent *L, ctxlab_units *units, chain_state *c,
                                uint32_t j, uint32_t epoch, int64_t t) {
  if (c->epoch != epoch) {
    c->epoch = epoch;
    c->bit = (uint16_t)(stage(L, units, c, j, t) >> 31);
    return;
  }
  while (c->next <= t) {
    if (c->refresh) {
      c->bit = (uint16_t)(stage(L, units, c, j, t) >> 31);
      return;
    }
    stage(L, units, c, j, c->next);
  }
}

/* n more tokens of the path.  The hot state (units, time) lives in locals so
 * that it stays in registers.  Inlined for each combination of noise / no
 * noise and d a power of two or not, so that the common loop carries no test
 * for either. */
static inline void walk_body(const ctxlab_latent *L, walker *wk, uint32_t *out, size_t n,
                             int noisy, int pow2, int b) {
  const uint64_t *table = L->table;
  const uint32_t d = L->d, reject_below = L->reject_below, noise = L->noise_threshold;
  const uint32_t epoch = wk->epoch;
  chain_state *chains = wk->chains;
  ctxlab_units units = wk->units;
  int64_t t = wk->t;
  for (size_t i = 0; i < n; ++i, ++t) {
    uint32_t j = pow2 ? ctxlab_alias_draw_pow2(&units, table, b)
                      : ctxlab_alias_draw(&units, table, d, reject_below);
    chain_state *c = &chains[j];
    if (__builtin_expect((c->epoch != epoch) | (c->next <= t), 0))
      update_chain(L, &units, c, j, epoch, t);
    uint32_t bit = c->bit;
    if (noisy && ctxlab_units_next(&units) < noise) bit ^= 1u;
    out[i] = 2 * j + bit;
  }
  wk->units = units;
  wk->t = t;
}

static void walk(const ctxlab_latent *L, walker *wk, uint32_t *out, size_t n) {
  int b = ctxlab_log2_exact(L->d);
  if (L->noise_threshold) {
    if (b > 0)
      walk_body(L, wk, out, n, 1, 1, b);
    else
      walk_body(L, wk, out, n, 1, 0, 0);
  } else {
    if (b > 0)
      walk_body(L, wk, out, n, 0, 1, b);
    else
      walk_body(L, wk, out, n, 0, 0, 0);
  }
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
  walk(ls->L, &ls->wk, out, n);
}

static void latent_restart(ctxlab_sampler *self, const ctxlab_rng *rng) {
  latent_sampler *ls = (latent_sampler *)self;
  walker_start(&ls->wk, rng, ls->L->d);
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
  ls->base.restart = latent_restart;
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
    walk(L, &wk, out + i * length, length);
  }
  free(wk.chains);
  return CTXLAB_OK;
}
