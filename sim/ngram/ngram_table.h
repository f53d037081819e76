/* sim/ngram/ngram_table.h (internal): a hash table from packed n-grams to
 * counts.
 *
 * Open addressing with linear probing over a power-of-two number of slots,
 * grown (doubled and rehashed) before it is 3/4 full.  A slot holds a 64-bit
 * key and a nonzero 64-bit value; value 0 marks an empty slot, so every key,
 * 0 included, can be stored.  Keys are n-grams packed by
 * ctxlab_ngram_pack (sim/ngram/ngram.h); the table never depends on V^n. */
#ifndef CTXLAB_SIM_NGRAM_TABLE_H
#define CTXLAB_SIM_NGRAM_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

typedef struct ctxlab_ngram_slot {
  uint64_t key, value;
} ctxlab_ngram_slot;

typedef struct ctxlab_ngram_table {
  ctxlab_ngram_slot *slots;
  size_t mask; /* slots - 1 */
  int shift;   /* 64 - log2(slots): the hash keeps the top bits of a product */
  size_t size; /* occupied slots */
} ctxlab_ngram_table;

/* An empty table with room for `expected` keys.  A zeroed struct is a valid
 * empty table too (it allocates on the first insertion). */
int ctxlab_ngram_table_init(ctxlab_ngram_table *t, size_t expected, ctxlab_error *err);
void ctxlab_ngram_table_free(ctxlab_ngram_table *t);

/* value(keys[i]) += amounts[i] (or 1 when amounts is NULL) for i < n: many
 * insertions at once, their cache misses overlapped. */
int ctxlab_ngram_table_add_many(ctxlab_ngram_table *t, const uint64_t *keys,
                                const uint64_t *amounts, size_t n, ctxlab_error *err);

/* Count the windows of `len` consecutive tokens of tokens[0..n-1] (n - len + 1
 * windows when n >= len), each packed with `bits` bits per token: the
 * counting hot loop.  len * bits <= 64; tokens < 2^bits.  Stops early, before
 * growing the table past `max_slots` slots while at least 4/10 of the
 * recent windows brought new keys, or after the first 2^16 windows when 99%
 * of them did and the rest at that rate would need more than `max_slots`
 * slots (see the definition for why); *counted is the number of windows
 * counted (all of them unless it stopped). */
int ctxlab_ngram_table_count_windows(ctxlab_ngram_table *t, const uint32_t *tokens, size_t n,
                                     unsigned len, unsigned bits, size_t max_slots,
                                     size_t *counted, ctxlab_error *err);

#endif
