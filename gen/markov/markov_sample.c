/* Sampling the `markov` family.
 *
 * A sample path, from a generator rng:
 *   1. the first k-block s ~ pi, drawn from rng by ctxlab_alias64_draw;
 *      its k tokens (oldest first) are the path's first k tokens;
 *   2. every later token x ~ P(.|s) by ctxlab_alias_draw on the units of rng
 *      (gen/alias.h), and s <- (s - oldest V^(k-1)) V + x.
 * The streaming sampler and the sequence kernels below follow these steps
 * exactly, so sequence i of a set equals the stream of its generator.
 *
 * When V = 2^b the alias draw needs no multiplication: for a unit u,
 * u V = u << b, so the column is u >> (32 - b), the coin is u << b (mod 2^32),
 * and no unit is ever rejected (2^32 mod V = 0).  One 64-bit draw then serves
 * exactly two tokens, low half first, as the unit stream would. */
#include <stdlib.h>

#include "gen/markov/markov.h"

/* The k tokens of lifted state s, oldest first (its base-V digits). */
static void block_tokens(uint64_t s, uint32_t V, uint32_t k, uint32_t *out) {
  for (uint32_t d = k; d-- > 0; s /= V) out[d] = (uint32_t)(s % V);
}

/* ---- streaming sampler -------------------------------------------------- */

typedef struct markov_sampler {
  ctxlab_sampler base;
  const ctxlab_markov *m;
  ctxlab_units units;
  uint64_t state;
  uint32_t head;     /* tokens of the first k-block already produced (<= k) */
  uint32_t *history; /* the last k tokens, a ring; history[ring] is the oldest */
  uint32_t ring;
} markov_sampler;

static void markov_fill(ctxlab_sampler *self, uint32_t *out, size_t n) {
  markov_sampler *ms = (markov_sampler *)self;
  const ctxlab_markov *m = ms->m;
  const uint32_t V = m->V, k = m->k, reject_below = m->reject_below;
  const uint64_t *table = m->table;
  const uint64_t top = m->top_weight;
  size_t i = 0;
  for (; i < n && ms->head < k; ++i) out[i] = ms->history[ms->head++];
  uint64_t s = ms->state;
  uint32_t ring = ms->ring;
  for (; i < n; ++i) {
    uint32_t x = ctxlab_alias_draw(&ms->units, table + s * V, V, reject_below);
    out[i] = x;
    if (k > 0) {
      s = (s - ms->history[ring] * top) * V + x;
      ms->history[ring] = x;
      ring = ring + 1 == k ? 0 : ring + 1;
    }
  }
  ms->state = s;
  ms->ring = ring;
}

static void markov_restart(ctxlab_sampler *self, const ctxlab_rng *rng) {
  markov_sampler *ms = (markov_sampler *)self;
  const ctxlab_markov *m = ms->m;
  ctxlab_rng r = *rng;
  ms->state = ctxlab_alias64_draw(&m->init, &r);
  block_tokens(ms->state, m->V, m->k, ms->history); /* emitted first, then the ring */
  ms->head = 0;
  ms->ring = 0;
  ctxlab_units_init(&ms->units, &r);
}

static void markov_sampler_destroy(ctxlab_sampler *self) {
  markov_sampler *ms = (markov_sampler *)self;
  free(ms->history);
  free(ms);
}

int ctxlab_markov_sampler_new(const void *impl, const ctxlab_rng *rng, ctxlab_sampler **out,
                              ctxlab_error *err) {
  const ctxlab_markov *m = impl;
  markov_sampler *ms = calloc(1, sizeof *ms);
  uint32_t *history = calloc(m->k ? m->k : 1, sizeof(uint32_t));
  if (!ms || !history) {
    free(ms);
    free(history);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  }
  ms->base.fill = markov_fill;
  ms->base.restart = markov_restart;
  ms->base.destroy = markov_sampler_destroy;
  ms->m = m;
  ms->history = history;
  markov_restart(&ms->base, rng);
  *out = &ms->base;
  return CTXLAB_OK;
}

/* ---- independent sequences ---------------------------------------------- */

/* Sequences advance in groups of LANES in lock step: each step of one chain is
 * a dependent table load (about 7 ns from L2 for V = 256), so interleaving
 * independent chains keeps several loads in flight. */
#define LANES 8

typedef struct group {
  size_t lanes, length, head; /* head: tokens of the first block (min(k, length)) */
  uint32_t *rows;             /* lanes x length */
  ctxlab_units units[LANES];
  uint64_t s[LANES];
} group;

static void group_start(const ctxlab_markov *m, uint64_t seed, uint64_t first, group *g) {
  uint32_t block[64]; /* k <= 64 (MAX_ORDER) */
  g->head = m->k < g->length ? m->k : g->length;
  for (size_t l = 0; l < g->lanes; ++l) {
    ctxlab_rng r;
    ctxlab_rng_derive(&r, seed, "gen.sequence", first + l);
    g->s[l] = ctxlab_alias64_draw(&m->init, &r);
    ctxlab_units_init(&g->units[l], &r);
    block_tokens(g->s[l], m->V, m->k, block);
    for (size_t t = 0; t < g->head; ++t) g->rows[l * g->length + t] = block[t];
  }
}

/* Any V: a Lemire draw per token from the unit stream. */
static void group_general(const ctxlab_markov *m, group *g) {
  const uint32_t V = m->V, k = m->k, reject_below = m->reject_below;
  const uint64_t *table = m->table;
  const uint64_t top = m->top_weight;
  const size_t lanes = g->lanes, length = g->length;
  for (size_t t = g->head; t < length; ++t)
    for (size_t l = 0; l < lanes; ++l) {
      uint32_t *row = g->rows + l * length;
      uint32_t x = ctxlab_alias_draw(&g->units[l], table + g->s[l] * V, V, reject_below);
      row[t] = x;
      if (k > 0) g->s[l] = (g->s[l] - row[t - k] * top) * V + x;
    }
}

/* V = 2^b: two tokens per 64-bit draw; the state is the last k tokens'
 * bits, s = ((s << b) | x) mod 2^(kb).  Inlined twice, for order 1 (s = x)
 * and for any order, so the common case folds the mask away. */
static inline void group_pow2_body(const ctxlab_markov *m, group *g, int b, int order1) {
  const uint64_t *table = m->table;
  const uint64_t mask = m->n_states - 1;
  const size_t lanes = g->lanes, length = g->length;
  uint64_t s[LANES];
  ctxlab_rng rng[LANES];
  for (size_t l = 0; l < lanes; ++l) {
    s[l] = g->s[l];
    rng[l] = g->units[l].rng;
  }
  size_t t = g->head;
  for (; t + 1 < length; t += 2)
    for (size_t l = 0; l < lanes; ++l) {
      uint32_t *row = g->rows + l * length;
      uint64_t r = ctxlab_rng_next64(&rng[l]);
      uint32_t x0 = ctxlab_alias_pick_pow2((uint32_t)r, table + (s[l] << b), b);
      s[l] = order1 ? x0 : ((s[l] << b) | x0) & mask;
      uint32_t x1 = ctxlab_alias_pick_pow2((uint32_t)(r >> 32), table + (s[l] << b), b);
      s[l] = order1 ? x1 : ((s[l] << b) | x1) & mask;
      row[t] = x0;
      row[t + 1] = x1;
    }
  if (t < length) /* an odd last token: the low half of one more draw */
    for (size_t l = 0; l < lanes; ++l)
      g->rows[l * length + t] =
          ctxlab_alias_pick_pow2((uint32_t)ctxlab_rng_next64(&rng[l]), table + (s[l] << b), b);
}

static void group_pow2(const ctxlab_markov *m, group *g, int b) {
  if (m->k == 1)
    group_pow2_body(m, g, b, 1);
  else
    group_pow2_body(m, g, b, 0);
}

int ctxlab_markov_sample_sequences(const void *impl, uint64_t seed, uint64_t first, size_t count,
                                   size_t length, uint32_t *out, ctxlab_error *err) {
  const ctxlab_markov *m = impl;
  const int b = ctxlab_log2_exact(m->V);
  for (size_t i = 0; i < count; i += LANES) {
    group g;
    g.lanes = count - i < LANES ? count - i : LANES;
    g.length = length;
    g.rows = out + i * length;
    group_start(m, seed, first + i, &g);
    if (b > 0)
      group_pow2(m, &g, b);
    else
      group_general(m, &g);
  }
  return CTXLAB_OK;
}
