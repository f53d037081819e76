/* sim/ngram/ngram_runs.h (internal): an order of the n-gram model written
 * from its n-grams in sorted order (sim/ngram/ngram_build.c says where they
 * come from), and the counted m-grams it is fed. */
#ifndef CTXLAB_SIM_NGRAM_RUNS_H
#define CTXLAB_SIM_NGRAM_RUNS_H

#include <stdint.h>

#include "sim/ngram/ngram.h"

/* The low nbits bits set. */
static inline uint64_t ctxlab_ngram_low_mask(unsigned nbits) {
  return nbits >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << nbits) - 1;
}

/* A counted m-gram: its m tokens packed in key, its count in the low 57 bits
 * of count_len and m (1 .. 64) in the top 7. */
typedef struct gram {
  uint64_t key, count_len;
} gram;

#define LEN_SHIFT 57
#define COUNT_MASK ((UINT64_C(1) << LEN_SHIFT) - 1)

static inline gram make_gram(uint64_t key, uint64_t count, unsigned len) {
  return (gram){key, count | (uint64_t)len << LEN_SHIFT};
}

/* Writes order j from its (k+1)-grams fed in ascending order of their last
 * j+1 tokens: a run per distinct g, its counts summed (raw) and, below the
 * top, the distinct tokens just before g among its grams of j+2 tokens or
 * more counted (cont), each marked in seen[] (V entries, zero on entry) with
 * the run's number.  Tallies the counts equal to 1 and 2 on the way, for
 * estimate_discount, while they are in registers.
 *
 * Two ways to tell runs apart.  Where runs are long, or nearly all a gram
 * long, a run's entry is written when the next run starts: a branch per
 * gram that the processor predicts.  Where a gram starts a run about as
 * often as not (the high orders of a varied language), that branch is a
 * coin toss, and rewriting the open run's entry at every gram, without a
 * branch, costs less (`every`).  Measured here (V = 16, c = 6, 1e7 windows,
 * 0.66 of them starting a run): 71 ms to scan the top order against 103
 * ms with the branch. */
typedef struct run_writer {
  ctxlab_ngram_order *o;
  uint64_t mask;          /* the last j+1 tokens */
  unsigned before_shift;  /* (j+1) b: the token just before g */
  unsigned bits;          /* b */
  uint64_t token;         /* 2^b - 1 */
  unsigned cont_len;      /* j + 2: grams this long or longer add to cont; 0 at the top */
  unsigned bucket_shift;  /* o->bucket_shift */
  uint32_t *seen;
  int every;              /* write the open run's entry at every gram */
  size_t cap, r;          /* entries allocated, runs closed */
  uint64_t key, raw;      /* the open run (open: raw > 0) */
  uint32_t cont;
  int64_t raw_n1, raw_n2, cont_n1, cont_n2; /* tallies (with `every`, of the open run too) */
  uint64_t largest;
} run_writer;

/* The open run's entry, at index r. */
static inline void put_entry(run_writer *w) {
  ctxlab_ngram_order *o = w->o;
  if (o->keys32)
    o->keys32[w->r] = (uint32_t)w->key;
  else
    o->keys[w->r] = w->key;
  o->raw[w->r] = (uint32_t)w->raw;
  o->bucket[(w->key >> w->bucket_shift) + 1] = (uint32_t)(w->r + 1); /* see writer_open */
  if (o->cont) o->cont[w->r] = w->cont;
}

/* The open run ends (without `every`): its entry, and its counts tallied. */
static inline void close_run(run_writer *w) {
  if (!w->raw) return;
  put_entry(w);
  w->largest = w->raw > w->largest ? w->raw : w->largest;
  w->raw_n1 += w->raw == 1;
  w->raw_n2 += w->raw == 2;
  w->cont_n1 += w->cont == 1;
  w->cont_n2 += w->cont == 2;
  w->r++;
  w->raw = 0;
}

/* A whole run at once: the n-gram g with its counts. */
static inline void put_run(run_writer *w, uint64_t g, uint64_t raw, uint32_t cont) {
  w->key = g;
  w->raw = raw;
  w->cont = cont;
  close_run(w);
}

/* How feed works, from w: FEED_EVERY when w->every, FEED_CONT when
 * w->cont_len (continuation counts); a constant where the loop is hot. */
enum { FEED_EVERY = 1, FEED_CONT = 2 };

static inline int feed_flags(const run_writer *w) {
  return (w->every ? FEED_EVERY : 0) | (w->cont_len ? FEED_CONT : 0);
}

/* A gram of `count` windows and `len` tokens. */
static inline void feed(run_writer *w, uint64_t key, uint64_t count, unsigned len,
                        const int flags) {
  const int every = flags & FEED_EVERY;
  const uint64_t g = key & w->mask;
  uint64_t raw_was = w->raw;
  uint32_t cont_was = w->cont;
  if (!every) {
    if (g != w->key || !w->raw) {
      close_run(w);
      w->key = g;
      w->cont = 0;
    }
  } else { /* the same without a branch */
    const uint64_t fresh = (g != w->key) | (w->raw == 0), goes_on = fresh - 1;
    w->r += fresh & (w->raw != 0);
    w->key = g;
    raw_was &= goes_on;
    cont_was &= (uint32_t)goes_on;
    w->cont = cont_was;
  }
  w->raw = (every ? raw_was : w->raw) + count;
  if (flags & FEED_CONT) {
    /* without a branch either way: whether a token was seen before in a
     * run is as unpredictable as a coin */
    const uint64_t before = key >> w->before_shift & w->token;
    const uint32_t mark = (uint32_t)(w->r + 1), seen = w->seen[before];
    const int counts = len >= w->cont_len;
    w->seen[before] = counts ? mark : seen;
    w->cont += (uint32_t)(counts && seen != mark);
  }
  if (every) { /* the tallies follow the open run's counts */
    put_entry(w);
    w->largest = w->raw > w->largest ? w->raw : w->largest;
    w->raw_n1 += (w->raw == 1) - (raw_was == 1);
    w->raw_n2 += (w->raw == 2) - (raw_was == 2);
    w->cont_n1 += (w->cont == 1) - (cont_was == 1);
    w->cont_n2 += (w->cont == 2) - (cont_was == 2);
  }
}

/* Keys in a row, each a run of one spilled window (feed without `every`):
 * g[0..m-1], ascending, distinct, none the open run's.  The open run
 * closes; theirs are written whole, without feed's branch per key: at the
 * high orders of a language whose windows are nearly all new, that branch
 * and its bookkeeping were most of a scan. */
enum { SINGLES = 8 };

static inline void put_singles(run_writer *w, const uint64_t *g, size_t m, const int flags) {
  close_run(w);
  ctxlab_ngram_order *o = w->o;
  for (size_t t = 0; t < m; ++t) {
    if (o->keys32)
      o->keys32[w->r + t] = (uint32_t)g[t];
    else
      o->keys[w->r + t] = g[t];
    o->raw[w->r + t] = 1;
    if (flags & FEED_CONT) o->cont[w->r + t] = 1; /* a window has a token before g */
    o->bucket[(g[t] >> w->bucket_shift) + 1] = (uint32_t)(w->r + t + 1);
  }
  w->r += m;
  w->raw_n1 += (int64_t)m;
  if (flags & FEED_CONT) w->cont_n1 += (int64_t)m;
  w->largest = w->largest > 1 ? w->largest : 1;
}

/* Feeds the grams a[*ia ..] whose order-j key is at most `upto` (all of them
 * when `all`). */
static inline void feed_grams_upto(run_writer *w, const gram *a, size_t na, size_t *ia,
                                   uint64_t upto, int all) {
  while (*ia < na && (all || (a[*ia].key & w->mask) <= upto)) {
    feed(w, a[*ia].key, a[*ia].count_len & COUNT_MASK, (unsigned)(a[*ia].count_len >> LEN_SHIFT),
         feed_flags(w));
    ++*ia;
  }
}

/* A writer for order j (of top) of at most `fed` grams into o: keys, raw
 * counts, and continuation counts when with_cont and j < top; keys into
 * keys_room (room for `fed` keys of the order's width) when not NULL, which
 * o then owns.  seen: V entries, zero.  Sets w->every 0: the caller may
 * set it before the first gram. */
int ctxlab_ngram_writer_open(run_writer *w, ctxlab_ngram_order *o, unsigned j, unsigned top,
                             unsigned bits, uint32_t vocab, int with_cont, uint32_t *seen,
                             size_t fed, void *keys_room, ctxlab_error *err);
/* The order complete: sizes, discounts, row index; seen zero again. */
int ctxlab_ngram_writer_close(run_writer *w, unsigned j, uint32_t vocab, ctxlab_error *err);

#endif
