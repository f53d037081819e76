/* gen/alias.h (internal): Walker/Vose alias tables drawn with 32 random bits.
 *
 * A table over n outcomes has n packed entries (alias << 32) | threshold.  A
 * draw takes one 32-bit unit u: Lemire's multiply-shift picks the column
 * col = (u n) >> 32 without bias (units whose low product l = (u n) mod 2^32 is
 * below 2^32 mod n are rejected and redrawn); the same low product l, uniform on
 * a grid of step n given col, is the coin: outcome col when l < threshold,
 * else alias.  So one token costs 32 random bits, and every outcome's
 * probability is realised to within 2^-31 per column it occupies (thresholds
 * are quantised to 2^-32, the coin grid to n 2^-32).
 *
 * Units come from a ctxlab_units: 64-bit PCG draws split low half first, then
 * high half.  This order is part of ctxlab's reproducibility contract. */
#ifndef CTXLAB_GEN_ALIAS_H
#define CTXLAB_GEN_ALIAS_H

#include <stdint.h>

#include "ctxlab/error.h"
#include "ctxlab/rng.h"

typedef struct ctxlab_units {
  ctxlab_rng rng;
  uint64_t buf; /* high half not yet used when have != 0 */
  int have;
} ctxlab_units;

static inline void ctxlab_units_init(ctxlab_units *u, const ctxlab_rng *rng) {
  u->rng = *rng;
  u->buf = 0;
  u->have = 0;
}

static inline uint32_t ctxlab_units_next(ctxlab_units *u) {
  if (u->have) {
    u->have = 0;
    return (uint32_t)(u->buf >> 32);
  }
  u->buf = ctxlab_rng_next64(&u->rng);
  u->have = 1;
  return (uint32_t)u->buf;
}

/* The outcome of column col with coin `coin` and table entry e: col when
 * coin < threshold, else the alias.  The comparison is a fair coin toss, so a
 * branch would be mispredicted half the time and serialise the samplers'
 * interleaved chains; this selects without one (cmov on x86-64, measured
 * 2.3 ns/token against 10 with a branch in the markov kernel). */
static inline uint32_t ctxlab_alias_pick(uint32_t coin, uint64_t e, uint32_t col) {
  uint32_t alias = (uint32_t)(e >> 32);
#if defined(__x86_64__) && defined(__GNUC__)
  __asm__("cmpl %[thr], %[coin]\n\tcmovb %[col], %[alias]"
          : [alias] "+r"(alias)
          : [coin] "r"(coin), [thr] "r"((uint32_t)e), [col] "r"(col)
          : "cc");
  return alias;
#else
  return alias ^ ((col ^ alias) & -(uint32_t)(coin < (uint32_t)e));
#endif
}

/* 2^32 mod n: Lemire's rejection bound for a table of n outcomes. */
static inline uint32_t ctxlab_alias_reject_below(uint32_t n) { return (uint32_t)(-n) % n; }

static inline uint32_t ctxlab_alias_draw(ctxlab_units *u, const uint64_t *table, uint32_t n,
                                         uint32_t reject_below) {
  uint64_t m = (uint64_t)ctxlab_units_next(u) * n;
  while ((uint32_t)m < reject_below) m = (uint64_t)ctxlab_units_next(u) * n;
  return ctxlab_alias_pick((uint32_t)m, table[m >> 32], (uint32_t)(m >> 32));
}

/* Scratch space for building tables of up to `cap` outcomes. */
typedef struct ctxlab_alias_work {
  uint64_t cap;
  double *prob;
  uint64_t *index; /* 3 cap: alias, small stack, large stack */
} ctxlab_alias_work;

int ctxlab_alias_work_init(ctxlab_alias_work *w, uint64_t cap, ctxlab_error *err);
void ctxlab_alias_work_free(ctxlab_alias_work *w);

/* The draw from unit u when n = 2^b (so 2^32 mod n = 0): u n = u << b, so the
 * column is u >> (32 - b) and the coin u << b, without a multiplication; the
 * result equals ctxlab_alias_draw's bit for bit. */
static inline uint32_t ctxlab_alias_pick_pow2(uint32_t u, const uint64_t *table, int b) {
  uint32_t col = u >> (32 - b);
  return ctxlab_alias_pick(u << b, table[col], col);
}

static inline uint32_t ctxlab_alias_draw_pow2(ctxlab_units *u, const uint64_t *table, int b) {
  return ctxlab_alias_pick_pow2(ctxlab_units_next(u), table, b);
}

/* b with n = 2^b, or -1 when n is not a power of two. */
static inline int ctxlab_log2_exact(uint64_t n) {
  return n && (n & (n - 1)) == 0 ? 63 - __builtin_clzll(n) : -1;
}

/* Build the table of a distribution p[0..n-1] (non-negative, sum > 0; it is
 * normalised here) into table[n] by Vose's algorithm; n <= w->cap.
 * Deterministic: only IEEE additions, multiplications and divisions, in a
 * fixed order. */
void ctxlab_alias_build(const double *p, uint32_t n, uint64_t *table, ctxlab_alias_work *w);

/* A double-precision table for rare draws over many outcomes (initial states):
 * column by ctxlab_rng_bounded (64-bit, unbiased), coin by a 53-bit uniform. */
typedef struct ctxlab_alias64 {
  uint64_t n;
  double *prob;
  uint64_t *alias;
} ctxlab_alias64;

int ctxlab_alias64_build(const double *p, uint64_t n, ctxlab_alias64 *out, ctxlab_error *err);
void ctxlab_alias64_free(ctxlab_alias64 *a);
uint64_t ctxlab_alias64_draw(const ctxlab_alias64 *a, ctxlab_rng *rng);

#endif
