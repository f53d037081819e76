/* Hash table of n-gram counts: open addressing, linear probing. */
#include <stdlib.h>

#include "sim/ngram/ngram_table.h"

enum { MIN_SLOTS = 16 };

/* Multiplicative (Fibonacci) hashing of a key folded onto itself: the top
 * bits of the product depend on every key bit (Knuth, TAOCP vol. 3, 6.4). */
static inline size_t slot_of(const ctxlab_ngram_table *t, uint64_t key) {
  return (size_t)(((key ^ (key >> 32)) * UINT64_C(0x9E3779B97F4A7C15)) >> t->shift);
}

static int allocate(ctxlab_ngram_table *t, size_t slots, ctxlab_error *err) {
  t->slots = calloc(slots, sizeof *t->slots);
  if (!t->slots)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (n-gram table of %zu slots)", slots);
  t->mask = slots - 1;
  t->shift = 64;
  for (size_t s = slots; s > 1; s >>= 1) t->shift--;
  t->size = 0;
  return CTXLAB_OK;
}

/* Slots for `keys` keys at most 3/4 full.  Linear probing stays short at
 * that load (Knuth: about 2.5 probes to find a key and 8.5 to miss, within a
 * few cache lines), and a table twice as large would cost twice the
 * memory, which a table of millions of n-grams touches at random. */
static size_t slots_for(size_t keys) {
  size_t slots = MIN_SLOTS;
  while (slots / 4 * 3 < keys) slots *= 2;
  return slots;
}

int ctxlab_ngram_table_init(ctxlab_ngram_table *t, size_t expected, ctxlab_error *err) {
  return allocate(t, slots_for(expected), err);
}

void ctxlab_ngram_table_free(ctxlab_ngram_table *t) {
  free(t->slots);
  t->slots = NULL;
  t->mask = 0;
  t->size = 0;
}

static ctxlab_ngram_slot *probe(const ctxlab_ngram_table *t, uint64_t key, size_t s) {
  while (t->slots[s].value && t->slots[s].key != key) s = (s + 1) & t->mask;
  return &t->slots[s];
}

/* Adds a block of keys (amounts[j], or 1 when amounts is NULL) to a table
 * with room for all of them.  The keys' slots are prefetched AHEAD keys
 * before they are probed, so that the cache misses of a table larger than the
 * caches overlap instead of queueing (one miss per key otherwise). */
enum { BLOCK = 1024, AHEAD = 16 };
static void add_block(ctxlab_ngram_table *t, const uint64_t *keys, const uint64_t *amounts,
                      size_t nb) {
  size_t where[BLOCK];
  for (size_t j = 0; j < nb; ++j) {
    where[j] = slot_of(t, keys[j]);
    if (j < AHEAD) __builtin_prefetch(&t->slots[where[j]], 1);
  }
  for (size_t j = 0; j < nb; ++j) {
    if (j + AHEAD < nb) __builtin_prefetch(&t->slots[where[j + AHEAD]], 1);
    ctxlab_ngram_slot *p = probe(t, keys[j], where[j]);
    if (!p->value) {
      p->key = keys[j];
      t->size++;
    }
    p->value += amounts ? amounts[j] : 1;
  }
}

/* The keys a full table is grown to hold before `more` new ones come:
 * `expect` (a caller's estimate of the final size), but at least twice its
 * keys and the new ones. */
static size_t grown_keys(const ctxlab_ngram_table *t, size_t more, size_t expect) {
  const size_t least = 2 * t->size + more;
  return expect < least ? least : expect;
}

/* Room for `more` new keys without passing 3/4 full; a full table grows to
 * grown_keys' size, its keys re-inserted a block at a time. */
static int reserve(ctxlab_ngram_table *t, size_t more, size_t expect, ctxlab_error *err) {
  if (t->slots && t->size + more <= (t->mask + 1) / 4 * 3) return CTXLAB_OK;
  ctxlab_ngram_table old = *t;
  int st = allocate(t, slots_for(grown_keys(t, more, expect)), err);
  if (st) {
    *t = old;
    return st;
  }
  uint64_t keys[BLOCK], values[BLOCK];
  size_t nb = 0;
  for (size_t s = 0; old.slots && s <= old.mask; ++s)
    if (old.slots[s].value) {
      keys[nb] = old.slots[s].key;
      values[nb++] = old.slots[s].value;
      if (nb == BLOCK) add_block(t, keys, values, nb), nb = 0;
    }
  add_block(t, keys, values, nb);
  ctxlab_ngram_table_free(&old);
  return CTXLAB_OK;
}

int ctxlab_ngram_table_add_many(ctxlab_ngram_table *t, const uint64_t *keys,
                                const uint64_t *amounts, size_t n, ctxlab_error *err) {
  for (size_t i = 0; i < n; i += BLOCK) {
    const size_t nb = n - i < BLOCK ? n - i : BLOCK;
    int st = reserve(t, nb, 0, err);
    if (st) return st;
    add_block(t, keys + i, amounts ? amounts + i : NULL, nb);
  }
  return CTXLAB_OK;
}

/* Windows counted before count_windows trusts its growth estimate. */
enum { TRUSTED = 1 << 16 };

/* Why count_windows may stop.  Once the table is larger than the caches,
 * every window costs a cache miss (25 to 50 ns a window measured here,
 * page faults of the grown table included); when most windows bring new
 * keys, the table ends up holding nearly as many entries as there are
 * windows, so it hardly shrinks what the n-gram model's build then sorts,
 * and the model does better to keep the windows' keys in a plain array (4
 * or 8 bytes a window, written in order) and sort them all (sim/ngram/
 * ngram_build.c).  The rate of new keys when the table would outgrow
 * 2^20 slots decides.  Measured with D = 1e7 (fit + build, best of 5,
 * bench/bench_ngram.py's languages, V = 16), sorting every window against
 * the table: 0.26 s against 0.26 s at rate 0.86 (markov, c = 5, 2.9e6
 * distinct), 0.21 s against 0.35 s at 0.55 (markov, c = 4, 5.9e5
 * distinct), 0.31 s against 0.38 s at 0.54 (tuned-trigram, c = 6, 1.3e6
 * distinct), and 0.30 s against 0.22 s at 0.27 (tuned-trigram, c = 5). */
enum { SPILL_RATE_PERCENT = 40 };

/* A stream whose first TRUSTED windows were nearly all new keys (this
 * share, per mille, or more) stops counting there when the rest at that
 * rate would outgrow the table, rather than at the table's next growth
 * (past 2^17 keys, three times as many windows counted at 37 ns each).
 * Measured here (random-bigram, V = 256, c = 6, best of 7), training took
 * 47 ms instead of 50 ms at D = 1e6, 0.399 s instead of 0.402 s at 1e7.
 * Of bench/bench_ngram.py's cases only random-bigram at c >= 2 (5e6 to
 * 1e7 n-grams) and markov at c = 6 (0.993 new at first; 6.6e6 n-grams)
 * get there; both spilled at the next growth before. */
enum { EARLY_SPILL_PERMILLE = 990 };

int ctxlab_ngram_table_count_windows(ctxlab_ngram_table *t, const uint32_t *tokens, size_t n,
                                     unsigned len, unsigned bits, size_t max_slots,
                                     size_t *counted, ctxlab_error *err) {
  *counted = 0;
  if (n < len) return CTXLAB_OK;
  const uint64_t mask = len * bits >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << (len * bits)) - 1;
  uint64_t key = 0;
  for (unsigned i = 0; i + 1 < len; ++i) key = key << bits | tokens[i];
  /* When the table fills, it is grown to the keys the rest of the stream
   * would bring at the rate of new keys since the last growth: new keys only
   * get rarer along a stationary stream, so this overshoots rather than
   * undershoots, and a stream of mostly new n-grams (large V, high order)
   * reaches its size in a few growths instead of doubling twenty times.
   * The rate of the first TRUSTED windows is noise, so until then a growth
   * is at most eightfold; after that the estimate is taken at its word,
   * since every growth re-inserts every key (at random places in a table
   * larger than the caches) and pages in a new table. */
  size_t done = 0, keys_then = t->size;
  const size_t keys_before = t->size;
  uint64_t keys[BLOCK];
  for (size_t i = len - 1; i < n; i += BLOCK) {
    const size_t nb = n - i < BLOCK ? n - i : BLOCK, now = i - (len - 1);
    size_t expect = 0;
    if (now >= TRUSTED && now < TRUSTED + BLOCK) { /* see EARLY_SPILL_PERMILLE */
      const double rate = (double)(t->size - keys_before) / (double)now;
      if (rate * 1000 >= EARLY_SPILL_PERMILLE &&
          slots_for(t->size + (size_t)(rate * (double)(n - i))) > max_slots) {
        *counted = now;
        return CTXLAB_OK;
      }
    }
    if (!t->slots || t->size + nb > (t->mask + 1) / 4 * 3) {
      const double rate = now > done ? (double)(t->size - keys_then) / (double)(now - done) : 1;
      expect = t->size + (size_t)(rate * (double)(n - i));
      if (now < TRUSTED && expect > 8 * t->size + nb) expect = 8 * t->size + nb;
      if (rate * 100 >= SPILL_RATE_PERCENT && slots_for(grown_keys(t, nb, expect)) > max_slots) {
        *counted = now;
        return CTXLAB_OK;
      }
      done = now;
      keys_then = t->size;
    }
    int st = reserve(t, nb, expect, err); /* no growth inside the block */
    if (st) return st;
    for (size_t j = 0; j < nb; ++j) {
      key = (key << bits | tokens[i + j]) & mask;
      keys[j] = key;
    }
    add_block(t, keys, NULL, nb);
  }
  *counted = n - (len - 1);
  return CTXLAB_OK;
}
