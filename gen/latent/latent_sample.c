/* Sampling the `latent` family in O(1) per token, whatever the number of chains.
 *
 * Flipping chain j with probability rho_j each step is the same as redrawing
 * its bit uniformly ("refreshing" it) with probability 2 rho_j.  So a chain
 * need not be touched until it is shown: it keeps its bit and the time R_j of
 * its next refresh.  When it is shown at a time t >= R_j, or for the first
 * time in the path (the chains start from their stationary law), its bit is a
 * fresh uniform bit and, refreshes being memoryless, the next one comes G
 * steps after t, P(G > n) = (1 - 2 rho_j)^n: G = 1 + floor(E c_j) for E
 * exponential and c_j = -1 / ln(1 - 2 rho_j), as P(E c_j >= n) = e^(-n / c_j).
 * E does not depend on the chain, so the exponentials are computed ahead, a
 * vector at a time, and an event costs little more than a token without one.
 *
 * A path draws from two generators: A, the path's generator, in 32-bit units
 * (gen/alias.h), and B, a copy of A advanced by 2^64 steps (its draws meet
 * A's only after 2^64 draws), in whole 64-bit draws.  Token t = 0, 1, ...:
 *   1. one alias draw on the units of A: chain j ~ w;
 *   2. if j was not shown before in the path, or t >= R_j (an event): the
 *      next draw x of B gives the bit, x mod 2, and E (below), and
 *      R_j = t + 1 + floor(min(E c_j, 2^62));
 *   3. if eps > 0: one unit v of A; the bit is flipped when v < round(eps 2^32);
 *   4. the token is 2j + bit.
 *
 * The constants, from the language (gen/latent/latent_spec.c), exactly:
 *   w_j    the weights divided by their largest, then by the sum of those;
 *   c_j    +inf when rho_j = 0, 0 when rho_j = 1/2, else -1 / ln(1 + y) for
 *          y = -2 rho_j, the logarithm computed as ln(s) y / (s - 1) with
 *          s = 1 + y (as y when s = 1) and ln = ctxlab_log_portable;
 *   noise  floor(eps 2^32 + 0.5), compared with a whole unit.
 * E = -ln u for u = ((x >> 12) + 1/2) 2^-52, in IEEE double operations in
 * this order: u = 2^e m with m in [1, 2); k = the 7 bits of m after the
 * point, m0 = 1 + k/128; r = (m - m0) I_k; r2 = r r;
 *   p = r + r2 ((-1/2 + r c3) + r2 ((-1/4 + r c5) + r2 ((-c6 + r c7) + r2 (-1/8))));
 *   E = -((e h + L_k) + (e l + p)),
 * where c3, c5, c6, c7 are the doubles nearest 1/3, 1/5, 1/6, 1/7; h + l is
 * ln 2 split as in core/detmath.h (h = 0x1.62e42feep-1,
 * l = 0x1.a39ef35793c76p-33); L_k = ctxlab_log_portable(m0) and I_k = 1/m0
 * are its tables for ctxlab_log_unit.
 * tests/python/test_golden_sample.py reproduces latent files from this text. */
#include <stdlib.h>
#include <string.h>

#include "core/detmath.h"
#include "gen/latent/latent.h"

/* The pool of draws of B computed ahead: a run of m tokens has at most m
 * events, so a run is as long as the pool has entries ready, and its loop
 * carries neither a test for them nor a call.  The pool is topped up when
 * fewer than LOW entries are left, to a size that starts at 2 LOW in each
 * path and doubles with each top-up up to POOL: a long path tops up rarely,
 * a short one (a Monte Carlo window) computes few entries it does not use. */
#define POOL 256
#define LOW 16

/* Tokens a path takes at a time, each pass over them in turn (see walk). */
#define BLOCK CTXLAB_LATENT_BLOCK

/* One sample path in progress.  Chain j's state: seen[j], the epoch in which
 * it was last shown (the walker's epoch: shown in this path), and
 * word[j] = 2 R_j + bit (below 2^64 for paths shorter than 2^62 tokens). */
typedef struct walker {
  ctxlab_units units; /* A */
  ctxlab_rng events;  /* B, drawn up to the end of the pool */
  uint16_t *seen;
  uint64_t *word;
  uint16_t epoch;
  int64_t t;               /* tokens produced */
  uint32_t used, ready;    /* pool entries [used, ready) are drawn, not yet consumed */
  uint32_t size;           /* the size of the next top-up */
  double exp_pool[POOL];   /* E of the draws of B */
  uint64_t bit_pool[POOL]; /* x mod 2 */
  uint64_t sink;           /* written in place of a word (see chain_bits) */
  int many_new;            /* the kernel for the next block (see chain_bits) */
  int many_new_first;      /* the kernel for the first block of the next path */
  uint32_t new_chains, due_refreshes; /* events of the last block */
} walker;

/* E of draw x as the top comment says, with no branch or division, so that
 * the pool is computed a vector at a time.  It is ctxlab_log_unit's table
 * method without that function's series near u = 1, where the sum cancels to
 * an absolute error near 1e-16: E c_j, a gap in steps, does not notice. */
static inline double exponential(uint64_t x) {
  static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  double u = ((double)(int64_t)(x >> 12) + 0.5) * 0x1p-52;
  uint64_t bits;
  memcpy(&bits, &u, sizeof bits);
  int64_t e = (int64_t)(bits >> 52) - 1023;
  uint64_t k = (bits >> 45) & 127u;
  uint64_t mbits = (bits & ((UINT64_C(1) << 52) - 1)) | UINT64_C(0x3ff0000000000000);
  double m;
  memcpy(&m, &mbits, sizeof m);
  double r = (m - (1.0 + (double)(int64_t)k * 0x1p-7)) * ctxlab_log_unit_inv[k];
  double r2 = r * r;
  double p = r + r2 * ((-0.5 + r * (1.0 / 3.0)) +
                       r2 * ((-0.25 + r * (1.0 / 5.0)) +
                             r2 * ((-1.0 / 6.0 + r * (1.0 / 7.0)) + r2 * -0.125)));
  return -(((double)e * ln2_hi + ctxlab_log_unit_ln[k]) + ((double)e * ln2_lo + p));
}

/* The pool entries of draws x[0..n-1].  Not inlined: its restrict
 * parameters let the compiler vectorise the loop. */
static __attribute__((noinline)) void pool_entries(const uint64_t *restrict x,
                                                   double *restrict exp_pool,
                                                   uint64_t *restrict bit_pool, uint32_t n) {
  for (uint32_t k = 0; k < n; ++k) {
    exp_pool[k] = exponential(x[k]);
    bit_pool[k] = x[k] & 1;
  }
}

/* Tokens that the pool can serve, topped up first if it runs low. */
static uint32_t ensure(walker *wk) {
  uint32_t have = wk->ready - wk->used, size = wk->size;
  if (have >= LOW) return have;
  memmove(wk->exp_pool, wk->exp_pool + wk->used, sizeof *wk->exp_pool * have);
  memmove(wk->bit_pool, wk->bit_pool + wk->used, sizeof *wk->bit_pool * have);
  uint64_t x[POOL];
  for (uint32_t k = have; k < size; ++k) x[k] = ctxlab_rng_next64(&wk->events);
  pool_entries(x + have, wk->exp_pool + have, wk->bit_pool + have, size - have);
  wk->used = 0;
  wk->ready = size;
  wk->size = size < POOL ? 2 * size : POOL;
  return size;
}

/* flag ? a : b without a branch: events come at random, and a compiler
 * left to itself turns the selection into one. */
static inline uint64_t select64(uint64_t flag, uint64_t a, uint64_t b) {
#if defined(__x86_64__) && defined(__GNUC__)
  __asm__("test %[f], %[f]\n\tcmovnz %[a], %[b]" : [b] "+r"(b) : [f] "r"(flag), [a] "r"(a) : "cc");
  return b;
#else
  return b ^ ((a ^ b) & -flag);
#endif
}

/* 2 R + bit for an event at time t drawing the pool entry (e, bit):
 * R = t + 1 + floor(min(E c, 2^62)). */
static inline uint64_t event_word(double e, uint64_t bit, double c, int64_t t) {
  double g = e * c;
  return 2 * (uint64_t)(t + 1 + (int64_t)(g < 0x1p62 ? g : 0x1p62)) + bit;
}

/* The sampler in two passes over a block of tokens: first the chains (step
 * 1, and the noise of step 3), then their bits (step 2).  Apart, the first
 * pass has no branch and the second no generator: a mispredicted branch in
 * the second waits on one load, not on the generator and the alias table as
 * well, and its registers are its own. */

/* Pass 1 for n tokens, d = 2^b, no noise: out[k] = j.  One unit per token, so
 * a 64-bit draw of A serves two tokens, low half first. */
static void chains_pow2(ctxlab_units *units, const uint64_t *table, int b, uint32_t *out,
                        size_t n) {
  size_t k = 0;
  if (n > 0 && units->have) { /* the high half left by the previous fill */
    out[k++] = ctxlab_alias_pick_pow2((uint32_t)(units->buf >> 32), table, b);
    units->have = 0;
  }
  ctxlab_rng rng = units->rng;
  for (; k + 1 < n; k += 2) {
    uint64_t x = ctxlab_rng_next64(&rng);
    out[k] = ctxlab_alias_pick_pow2((uint32_t)x, table, b);
    out[k + 1] = ctxlab_alias_pick_pow2((uint32_t)(x >> 32), table, b);
  }
  if (k < n) {
    uint64_t x = ctxlab_rng_next64(&rng);
    out[k] = ctxlab_alias_pick_pow2((uint32_t)x, table, b);
    units->buf = x;
    units->have = 1;
  }
  units->rng = rng;
}

/* Pass 1 for two new paths of n tokens at once (d = 2^b, no noise): their
 * generators advance side by side, so that one's multiplications overlap the
 * other's. */
static void chains_pow2_two(const ctxlab_rng *rng0, const ctxlab_rng *rng1, const uint64_t *table,
                            int b, uint32_t *out0, uint32_t *out1, size_t n) {
  ctxlab_rng r0 = *rng0, r1 = *rng1;
  size_t k = 0;
  for (; k + 1 < n; k += 2) {
    uint64_t x0 = ctxlab_rng_next64(&r0), x1 = ctxlab_rng_next64(&r1);
    out0[k] = ctxlab_alias_pick_pow2((uint32_t)x0, table, b);
    out0[k + 1] = ctxlab_alias_pick_pow2((uint32_t)(x0 >> 32), table, b);
    out1[k] = ctxlab_alias_pick_pow2((uint32_t)x1, table, b);
    out1[k + 1] = ctxlab_alias_pick_pow2((uint32_t)(x1 >> 32), table, b);
  }
  if (k < n) {
    out0[k] = ctxlab_alias_pick_pow2((uint32_t)ctxlab_rng_next64(&r0), table, b);
    out1[k] = ctxlab_alias_pick_pow2((uint32_t)ctxlab_rng_next64(&r1), table, b);
  }
}

/* Pass 1 for n tokens, d = 2^b, with noise: out[k] = 2j + the noise flip.
 * Two units per token, so a 64-bit draw of A serves one token: the low half
 * picks the chain, the high half is the noise unit. */
static void chains_pow2_noisy(ctxlab_units *units, const uint64_t *table, int b, uint32_t noise,
                              uint32_t *out, size_t n) {
  ctxlab_rng rng = units->rng; /* units->have is 0 between tokens */
  for (size_t k = 0; k < n; ++k) {
    uint64_t x = ctxlab_rng_next64(&rng);
    out[k] = 2 * ctxlab_alias_pick_pow2((uint32_t)x, table, b) + ((uint32_t)(x >> 32) < noise);
  }
  units->rng = rng;
}

/* Pass 1 for n tokens, d not a power of two: out[k] = j, or 2j + the noise
 * flip when noisy. */
static inline __attribute__((always_inline)) void chains_any(const ctxlab_latent *L,
                                                             ctxlab_units *unitsp, int noisy,
                                                             uint32_t *out, size_t n) {
  const uint64_t *table = L->table;
  const uint32_t d = L->d, reject_below = L->reject_below, noise = L->noise_threshold;
  ctxlab_units units = *unitsp;
  for (size_t k = 0; k < n; ++k) {
    uint32_t j = ctxlab_alias_draw(&units, table, d, reject_below);
    out[k] = noisy ? 2 * j + (ctxlab_units_next(&units) < noise) : j;
  }
  *unitsp = units;
}

static void chains_any_noisy(const ctxlab_latent *L, ctxlab_units *units, uint32_t *out,
                             size_t n) {
  chains_any(L, units, 1, out, n);
}

static void chains_any_plain(const ctxlab_latent *L, ctxlab_units *units, uint32_t *out,
                             size_t n) {
  chains_any(L, units, 0, out, n);
}

/* Pass 2 for m tokens whose pool entries are ready: out[k] becomes the token.
 * Two kernels, equal in output.  The branchy one takes every event through
 * one branch: fastest when events are rare, or so common that the branch is
 * predicted.  The other (many_new) handles a chain's first showing in the
 * path without a branch, its word going to word[j] or, when the chain is not
 * new, to a sink (so that the chain's next showing does not wait on the
 * store), and only a due refresh takes a branch: fastest when many chains are
 * new, as in a short sequence over many chains.  Each kernel counts the kind
 * of event it can count in its branch: due refreshes, or new chains. */
static inline __attribute__((always_inline)) void chain_bits(const ctxlab_latent *L, walker *wk,
                                                             uint32_t *out, uint32_t m, int noisy,
                                                             int many_new) {
  const double *scale = L->refresh_scale;
  const double *exp_pool = wk->exp_pool;
  const uint64_t *bit_pool = wk->bit_pool;
  uint16_t *seen = wk->seen;
  uint64_t *word = wk->word;
  uint64_t *sinkp = &wk->sink;
  const uint16_t epoch = wk->epoch;
  uint64_t used = wk->used;
  uint32_t counted = 0;
  int64_t t = wk->t;
  for (uint32_t k = 0; k < m; ++k, ++t) {
    uint32_t x = out[k], j = noisy ? x >> 1 : x;
    uint64_t w = word[j];
    if (many_new) {
      uint64_t fresh = seen[j] != epoch;
      seen[j] = epoch;
      uint64_t drawn = event_word(exp_pool[used], bit_pool[used], scale[j], t);
      *(uint64_t *)(uintptr_t)select64(fresh, (uintptr_t)&word[j], (uintptr_t)sinkp) = drawn;
      w = select64(fresh, drawn, w);
      used += fresh;
      if (__builtin_expect(w < 2 * (uint64_t)t + 2, 0)) { /* R_j <= t */
        w = event_word(exp_pool[used], bit_pool[used], scale[j], t);
        used++;
        word[j] = w;
        counted++;
      }
    } else if (seen[j] != epoch || w < 2 * (uint64_t)t + 2) {
      counted += seen[j] != epoch;
      seen[j] = epoch;
      w = event_word(exp_pool[used], bit_pool[used], scale[j], t);
      used++;
      word[j] = w;
    }
    out[k] = noisy ? x ^ ((uint32_t)w & 1u) : 2 * j + ((uint32_t)w & 1u);
  }
  uint32_t events = (uint32_t)used - wk->used;
  wk->new_chains += many_new ? events - counted : counted;
  wk->due_refreshes += many_new ? counted : events - counted;
  wk->used = (uint32_t)used;
  wk->t = t;
}

/* Pass 2 for n tokens, in runs as long as the pool has entries ready. */
static inline __attribute__((always_inline)) void bits_kernel(const ctxlab_latent *L, walker *wk,
                                                              uint32_t *out, size_t n, int noisy,
                                                              int many_new) {
  for (size_t i = 0; i < n;) {
    uint32_t m = ensure(wk);
    if (m > n - i) m = (uint32_t)(n - i);
    chain_bits(L, wk, out + i, m, noisy, many_new);
    i += m;
  }
}

/* The pass 2 kernels, each its own function, without tests for the others. */
#define BITS_KERNEL(name, noisy, many_new)                                                    \
  static __attribute__((noinline)) void name(const ctxlab_latent *L, walker *wk,               \
                                             uint32_t *out, size_t n) {                        \
    bits_kernel(L, wk, out, n, noisy, many_new);                                                \
  }
BITS_KERNEL(bits_noisy_many_new, 1, 1)
BITS_KERNEL(bits_many_new, 0, 1)
BITS_KERNEL(bits_noisy, 1, 0)
BITS_KERNEL(bits_plain, 0, 0)

/* Pass 2 for n tokens with the kernel that suited the events of the
 * previous block (for a path's first block, those of the previous path's
 * first block, or the language's estimate). */
static void chain_bits_pass(const ctxlab_latent *L, walker *wk, uint32_t *out, size_t n) {
  int first = wk->t == 0;
  wk->new_chains = wk->due_refreshes = 0;
  if (wk->many_new)
    (L->noise_threshold ? bits_noisy_many_new : bits_many_new)(L, wk, out, n);
  else
    (L->noise_threshold ? bits_noisy : bits_plain)(L, wk, out, n);
  if (n < 256) return; /* too few events to tell */
  wk->many_new = CTXLAB_LATENT_MANY_NEW(wk->new_chains, wk->due_refreshes, n);
  if (first) wk->many_new_first = wk->many_new;
}

static void chains_pass(const ctxlab_latent *L, walker *wk, uint32_t *out, size_t n) {
  int b = ctxlab_log2_exact(L->d);
  if (b > 0 && L->noise_threshold)
    chains_pow2_noisy(&wk->units, L->table, b, L->noise_threshold, out, n);
  else if (b > 0)
    chains_pow2(&wk->units, L->table, b, out, n);
  else if (L->noise_threshold)
    chains_any_noisy(L, &wk->units, out, n);
  else
    chains_any_plain(L, &wk->units, out, n);
}

/* n more tokens of the path, a block at a time, so that pass 2 finds pass
 * 1's output in the cache. */
static void walk(const ctxlab_latent *L, walker *wk, uint32_t *out, size_t n) {
  for (size_t i = 0; i < n; i += BLOCK) {
    size_t m = n - i < BLOCK ? n - i : BLOCK;
    chains_pass(L, wk, out + i, m);
    chain_bits_pass(L, wk, out + i, m);
  }
}

/* Start a new path on generator rng, reusing the chain arrays. */
static void walker_start(walker *wk, const ctxlab_rng *rng, const ctxlab_latent *L) {
  ctxlab_units_init(&wk->units, rng);
  wk->events = *rng;
  wk->events.state = L->jump_mult * rng->state + L->jump_plus * rng->inc;
  wk->used = wk->ready = 0;
  wk->size = 2 * LOW;
  wk->t = 0;
  wk->many_new = wk->many_new_first;
  if (++wk->epoch == 0) { /* epochs wrapped: forget every chain explicitly */
    memset(wk->seen, 0, sizeof *wk->seen * L->d);
    wk->epoch = 1;
  }
}

/* The chain arrays of a walker for language L (seen all 0: no chain shown);
 * 0 when out of memory. */
static int walker_alloc(walker *wk, const ctxlab_latent *L) {
  const uint32_t d = L->d;
  wk->many_new_first = L->many_new_first;
  wk->seen = calloc(d, sizeof *wk->seen);
  wk->word = malloc(sizeof *wk->word * d);
  return wk->seen && wk->word;
}

static void walker_free(walker *wk) {
  free(wk->seen);
  free(wk->word);
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
  walker_start(&ls->wk, rng, ls->L);
}

static void latent_sampler_destroy(ctxlab_sampler *self) {
  latent_sampler *ls = (latent_sampler *)self;
  walker_free(&ls->wk);
  free(ls);
}

int ctxlab_latent_sampler_new(const void *impl, const ctxlab_rng *rng, ctxlab_sampler **out,
                              ctxlab_error *err) {
  const ctxlab_latent *L = impl;
  latent_sampler *ls = calloc(1, sizeof *ls);
  if (!ls || !walker_alloc(&ls->wk, L)) {
    if (ls) walker_free(&ls->wk);
    free(ls);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%u chains)", L->d);
  }
  ls->base.fill = latent_fill;
  ls->base.restart = latent_restart;
  ls->base.destroy = latent_sampler_destroy;
  ls->L = L;
  walker_start(&ls->wk, rng, L);
  *out = &ls->base;
  return CTXLAB_OK;
}

/* ---- independent sequences ---------------------------------------------- */

int ctxlab_latent_sample_sequences(const void *impl, uint64_t seed, uint64_t first, size_t count,
                                   size_t length, uint32_t *out, ctxlab_error *err) {
  const ctxlab_latent *L = impl;
  walker wk = {0};
  if (!walker_alloc(&wk, L)) {
    walker_free(&wk);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%u chains)", L->d);
  }
  const int b = ctxlab_log2_exact(L->d);
  size_t i = 0;
  if (b > 0 && !L->noise_threshold && length <= BLOCK) /* two at a time: see chains_pow2_two */
    for (; i + 1 < count; i += 2) {
      ctxlab_rng rng[2];
      ctxlab_rng_derive(&rng[0], seed, "gen.sequence", first + i);
      ctxlab_rng_derive(&rng[1], seed, "gen.sequence", first + i + 1);
      uint32_t *row = out + i * length;
      chains_pow2_two(&rng[0], &rng[1], L->table, b, row, row + length, length);
      for (int k = 0; k < 2; ++k) {
        walker_start(&wk, &rng[k], L);
        chain_bits_pass(L, &wk, row + k * length, length);
      }
    }
  for (; i < count; ++i) {
    ctxlab_rng rng;
    ctxlab_rng_derive(&rng, seed, "gen.sequence", first + i);
    walker_start(&wk, &rng, L);
    walk(L, &wk, out + i * length, length);
  }
  walker_free(&wk);
  return CTXLAB_OK;
}
