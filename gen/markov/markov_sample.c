/* Sampling the `markov` family.
 *
 * A sample path, from a generator rng:
 *   1. the first k-block s ~ pi, drawn from rng by ctxlab_alias64_draw;
 *      its k tokens (oldest first) are the path's first k tokens;
 *   2. every later token x ~ P(.|s) by ctxlab_alias_draw on the units of rng
 *      (gen/alias.h), and s <- (s - oldest V^(k-1)) V + x.
 * The streaming sampler and the sequence kernel below follow these steps
 * exactly, so sequence i of a set equals the stream of its generator. */
#include <stdlib.h>

#include "gen/markov/markov.h"

/* ---- streaming sampler -------------------------------------------------- */

typedef struct markov_sampler {
  ctxlab_sampler base;
  const ctxlab_markov *m;
  ctxlab_units units;
  uint64_t state;
  uint64_t emitted;  /* tokens of the first k-block produced so far (<= k) */
  uint32_t *history; /* ring of the last k tokens; history[ring] is the oldest */
  uint32_t ring;
} markov_sampler;

static void markov_fill(ctxlab_sampler *self, uint32_t *out, size_t n) {
  markov_sampler *ms = (markov_sampler *)self;
  const ctxlab_markov *m = ms->m;
  const uint32_t V = m->V, k = m->k;
  size_t i = 0;
  /* the first k-block: its tokens, oldest first, are the state's base-V digits */
  for (; i < n && ms->emitted < k; ++i, ++ms->emitted) {
    uint64_t weight = m->top_weight;
    for (uint64_t d = 0; d < ms->emitted; ++d) weight /= V;
    out[i] = (uint32_t)(ms->state / weight % V);
    ms->history[ms->emitted] = out[i];
  }
  uint64_t s = ms->state;
  for (; i < n; ++i) {
    uint32_t x = ctxlab_alias_draw(&ms->units, m->table + s * V, V, m->reject_below);
    out[i] = x;
    if (k > 0) {
      s = (s - ms->history[ms->ring] * m->top_weight) * V + x;
      ms->history[ms->ring] = x;
      ms->ring = ms->ring + 1 == k ? 0 : ms->ring + 1;
    }
  }
  ms->state = s;
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
  ms->base.destroy = markov_sampler_destroy;
  ms->m = m;
  ms->history = history;
  ctxlab_rng r = *rng;
  ms->state = ctxlab_alias64_draw(&m->init, &r);
  ctxlab_units_init(&ms->units, &r);
  *out = &ms->base;
  return CTXLAB_OK;
}

/* ---- independent sequences ---------------------------------------------- */

/* Sequences advance in groups of LANES in lock step: each step of one chain is
 * a dependent table load (about 7 ns from L2 for V = 256), so interleaving
 * independent chains keeps several loads in flight. */
#define LANES 8

static void fill_group(const ctxlab_markov *m, uint64_t seed, uint64_t first, size_t lanes,
                       size_t length, uint32_t *out) {
  const uint32_t V = m->V, k = m->k;
  ctxlab_units units[LANES];
  uint64_t s[LANES];
  size_t head = k < length ? k : length;
  for (size_t l = 0; l < lanes; ++l) {
    ctxlab_rng r;
    ctxlab_rng_derive(&r, seed, "gen.sequence", first + l);
    s[l] = ctxlab_alias64_draw(&m->init, &r);
    ctxlab_units_init(&units[l], &r);
    uint32_t *row = out + l * length;
    uint64_t rest = s[l];
    for (size_t d = k; d-- > 0;) { /* base-V digits, last token least significant */
      if (d < head) row[d] = (uint32_t)(rest % V);
      rest /= V;
    }
  }
  for (size_t t = head; t < length; ++t) {
    for (size_t l = 0; l < lanes; ++l) {
      uint32_t *row = out + l * length;
      uint32_t x = ctxlab_alias_draw(&units[l], m->table + s[l] * V, V, m->reject_below);
      row[t] = x;
      if (k > 0) s[l] = (s[l] - row[t - k] * m->top_weight) * V + x;
    }
  }
}

int ctxlab_markov_sample_sequences(const void *impl, uint64_t seed, uint64_t first, size_t count,
                                   size_t length, uint32_t *out, ctxlab_error *err) {
  const ctxlab_markov *m = impl;
  for (size_t i = 0; i < count; i += LANES) {
    size_t lanes = count - i < LANES ? count - i : LANES;
    fill_group(m, seed, first + i, lanes, length, out + i * length);
  }
  return CTXLAB_OK;
}
