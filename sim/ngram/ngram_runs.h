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

/* A column of counts being written (ctxlab_ngram_counts): the low bytes,
 * and the counts of 255 or more in big[0 .. nbig - 1], the last the open
 * run's when it has 255 or more (ctxlab_ngram_writer_open makes room for as
 * many as the counts fed can make). */
typedef struct count_column {
  uint8_t *low;
  uint64_t *big;
  size_t nbig;
} count_column;

/* A count's byte: v, or 255 for 255 or more (ctxlab_ngram_counts). */
static inline uint8_t count_low(uint64_t v) { return (uint8_t)(v < 255 ? v : 255); }

/* The open run's count v (255 or more), which was `was` when last put: the
 * last of c's big counts, a new one unless `was` was one already. */
static inline void count_big(count_column *c, uint64_t v, uint64_t was) {
  c->nbig += was < 255;
  c->big[c->nbig - 1] = v;
}

/* Run r's count v, which was `was` when last put (written again as the run
 * grows, with `every`; was = 0 the first time).  The branch is rarely taken
 * where runs are many: their counts are small. */
static inline void count_put(count_column *c, size_t r, uint64_t v, uint64_t was) {
  c->low[r] = count_low(v);
  if (v >= 255) count_big(c, v, was);
}

/* Writes order j from its (k+1)-grams fed in ascending order of their last
 * j+1 tokens: a run per distinct g, its counts summed (raw) and, below the
 * top, the distinct tokens just before g among its grams of j+2 tokens or
 * more counted (cont), each marked in seen[] (V entries, zero on entry) with
 * the run's number.
 *
 * Two ways to tell runs apart.  Where runs are long, a run's entry is
 * written when the next run starts: a branch per gram that the processor
 * predicts.  Where a gram starts a run about as often as not, or more (the
 * high orders of a varied language), that branch is a coin toss or the
 * bookkeeping of a run per gram, and rewriting the open run's entry at
 * every gram, without a branch, costs less (`every`; the scan in
 * sim/ngram/ngram_key_pass.h).  Measured here (santa-fe, V = 2048, c = 4,
 * 1e7 windows), the scans of orders 1 .. 4 took 30 / 49 / 63 / 57 ms this
 * way against 46 / 85 / 91 / 78 ms with a branch per key and the tallies
 * kept per key.  The counts of 1 and 2 that estimate_discount needs are
 * tallied once the order is written (ctxlab_ngram_writer_close), not per
 * gram. */
typedef struct run_writer {
  ctxlab_ngram_order *o;
  /* o's arrays, copied: a scan keeps its copy of the writer in registers,
   * and reads through o would be redone after each byte stored (a byte
   * store may alias anything) */
  uint64_t *keys;
  uint32_t *keys32, *bucket;
  uint64_t mask;          /* the last j+1 tokens */
  unsigned before_shift;  /* (j+1) b: the token just before g */
  unsigned bits;          /* b */
  uint64_t token;         /* 2^b - 1 */
  unsigned cont_len;      /* j + 2: grams this long or longer add to cont; 0 at the top */
  unsigned bucket_shift;  /* o->bucket_shift */
  uint32_t *seen;
  int every;              /* write the open run's entry at every gram */
  size_t cap, r;          /* entries allocated, runs closed */
  uint64_t key, raw;      /* the open run (open: raw > 0, or, with every, from open_first on) */
  uint32_t cont;
  count_column raw_col, cont_col; /* cont_col.low NULL without continuation counts */
} run_writer;

/* The open run's key, at index r, and its row index entry. */
static inline void put_key(run_writer *w) {
  if (w->keys32)
    w->keys32[w->r] = (uint32_t)w->key; /* the low 32 bits (ngram.h) */
  else
    w->keys[w->r] = w->key;
  w->bucket[(w->key >> w->bucket_shift) + 1] = (uint32_t)(w->r + 1); /* see writer_open */
}

/* The open run's entry, at index r, its counts having been was_raw and
 * was_cont when last put (0, 0 the first time); cont: whether w keeps
 * continuation counts (cont_col.low not NULL). */
static inline void put_entry(run_writer *w, uint64_t was_raw, uint32_t was_cont, const int cont) {
  put_key(w);
  count_put(&w->raw_col, w->r, w->raw, was_raw);
  if (cont) count_put(&w->cont_col, w->r, w->cont, was_cont);
}

/* put_entry with continuation counts, for a scan in `every` mode: a
 * single test for a big count of either kind, as cont <= raw (both restart
 * together in open_run, and a gram adds at most 1 to cont and at least 1
 * to raw: see ctxlab_ngram_writer_open); ngram_key_pass.h's scan says what
 * it gained. */
static inline void put_entry_cont(run_writer *w, uint64_t was_raw, uint32_t was_cont) {
  put_key(w);
  w->raw_col.low[w->r] = count_low(w->raw);
  w->cont_col.low[w->r] = count_low(w->cont);
  if (w->raw >= 255) {
    count_big(&w->raw_col, w->raw, was_raw);
    if (w->cont >= 255) count_big(&w->cont_col, w->cont, was_cont);
  }
}

/* The open run ends (without `every`): its entry. */
static inline void close_run(run_writer *w) {
  if (!w->raw) return;
  put_entry(w, 0, 0, w->cont_col.low != NULL);
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

/* With `every`, before the first gram: that gram's n-gram g0, whose run
 * is then open at entry 0 from the start (with no counts yet), so that
 * open_run need not test for a run being open.  Measured here, with the
 * continuation test of put_entry a constant too: the scans of random-bigram
 * (V = 256, c = 6, 1e7 windows) took 29 to 37 ms instead of 40 to 47 ms,
 * their loop no longer short of registers. */
static inline void open_first(run_writer *w, uint64_t g0) { w->key = g0; }

/* With `every`: g's run opens unless it is the open one: the open run
 * closes (r moves past it) and the counts restart from 0, without a
 * branch. */
static inline void open_run(run_writer *w, uint64_t g) {
  const uint64_t fresh = g != w->key, goes_on = fresh - 1;
  w->r += fresh;
  w->raw &= goes_on;
  w->cont &= (uint32_t)goes_on;
}

/* Counts in cont the token of key just before the run's g, when `counts`
 * (the gram has one: cont_len tokens or more), unless that token was
 * counted in the run (seen[] holds the run's number r + 1).  Without a
 * branch either way: whether a token was seen before in a run is as
 * unpredictable as a coin. */
static inline uint32_t count_before(uint32_t *seen, uint64_t key, int counts,
                                    unsigned before_shift, uint64_t token, size_t r) {
  const uint64_t before = key >> before_shift & token;
  const uint32_t mark = (uint32_t)(r + 1), was = seen[before];
  seen[before] = counts ? mark : was;
  return (uint32_t)(counts && was != mark);
}

/* A gram of `count` windows, adding to cont when to_cont (it is cont_len
 * tokens long or longer: a spilled window always is, at c + 1 tokens). */
static inline void feed(run_writer *w, uint64_t key, uint64_t count, int to_cont,
                        const int flags) {
  const uint64_t g = key & w->mask;
  if (!(flags & FEED_EVERY)) {
    if (g != w->key || !w->raw) {
      close_run(w);
      w->key = g;
      w->cont = 0;
    }
  } else {
    open_run(w, g);
    w->key = g;
  }
  w->raw += count;
  uint32_t more = 0; /* to cont */
  if (flags & FEED_CONT) {
    more = count_before(w->seen, key, to_cont, w->before_shift, w->token, w->r);
    w->cont += more;
  }
  if ((flags & FEED_EVERY) && (flags & FEED_CONT))
    put_entry_cont(w, w->raw - count, w->cont - more);
  else if (flags & FEED_EVERY)
    put_entry(w, w->raw - count, 0, 0);
}

/* Feeds the grams a[*ia ..] whose order-j key is at most `upto` (all of them
 * when `all`), as feed does with flags (feed_flags(w)). */
static inline void feed_grams_upto(run_writer *w, const gram *a, size_t na, size_t *ia,
                                   uint64_t upto, int all, const int flags) {
  while (*ia < na && (all || (a[*ia].key & w->mask) <= upto)) {
    feed(w, a[*ia].key, a[*ia].count_len & COUNT_MASK,
         (unsigned)(a[*ia].count_len >> LEN_SHIFT) >= w->cont_len, flags);
    ++*ia;
  }
}

/* A writer for order j (of top) of at most `fed` grams, their counts adding
 * up to at most `total`, into o: keys, raw counts, and continuation counts
 * when with_cont and j < top; keys into keys_room (room for `fed` keys of
 * the order's width) when not NULL, which o then owns.  seen: V entries,
 * zero.  Sets w->every 0: the caller may set it before the first gram, and
 * then calls open_first.  Every gram fed counts at least 1. */
int ctxlab_ngram_writer_open(run_writer *w, ctxlab_ngram_order *o, unsigned j, unsigned top,
                             unsigned bits, uint32_t vocab, int with_cont, uint32_t *seen,
                             size_t fed, uint64_t total, void *keys_room, ctxlab_error *err);
/* Maps the first `entries` entries of w's counts, and of its keys when
 * keys_too, ahead of writing them (ctxlab_ngram_prefault). */
void ctxlab_ngram_writer_prefault(run_writer *w, size_t entries, int keys_too);
/* The order complete: sizes, discounts, row index; seen zero again. */
int ctxlab_ngram_writer_close(run_writer *w, unsigned j, uint32_t vocab, ctxlab_error *err);

#endif
