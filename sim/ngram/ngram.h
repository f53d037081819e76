/* sim/ngram/ngram.h (internal): the n-gram model's state (the estimator is
 * documented in sim/ngram/ngram.c), and the hooks its tests and benchmark use.
 *
 * Packing.  An m-gram x_1 .. x_m (x_1 oldest) is the integer
 *     key = sum_i x_i 2^(b (m - i)),   b = ceil(log2 V) bits per token,
 * so the oldest token is the most significant and the key of the last j
 * tokens is key mod 2^(b j).  An order-k n-gram (k tokens of context h, then
 * the next token w) is the (k+1)-gram h w: its context is key >> b and w is
 * key mod 2^b.  Keys are 64-bit, so (c + 1) b <= 64. */
#ifndef CTXLAB_SIM_NGRAM_H
#define CTXLAB_SIM_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "sim/model.h"
#include "sim/ngram/ngram_table.h"

/* An order's counts, a byte per entry: low[i] = min(count_i, 255), and the
 * counts of 255 or more, in entry order, in big[]; rank[t] is the number of
 * those before entry 64 t.  Nearly every count of the high orders is 1 or
 * 2, and building the orders of 1e7 n-grams is mostly writing them to fresh
 * memory (about 0.45 s/GB here): a byte instead of four, with the keys
 * below and a sparser row index, took random-bigram (V = 256) c = 6 from
 * 0.75 to 0.60 s.  Read them in entry order with ctxlab_ngram_counts_at and
 * ctxlab_ngram_counts_next. */
typedef struct ctxlab_ngram_counts {
  uint8_t *low;
  uint32_t *big;
  uint32_t *rank; /* n / 64 + 1 entries */
  size_t nbig;
} ctxlab_ngram_counts;

/* The (k+1)-grams seen at order k, ascending by key.  raw = n_k(h w), cont =
 * N1+(. h w) (number of distinct tokens a with n_{k+1}(a h w) > 0; cont.low
 * NULL at the top order c, and at every order of an add-beta model, which
 * has no use for them).  Counts are below 2^32 (ctxlab_ngram_build refuses
 * larger ones).  The (k+1)-grams of a context h are a run of entries;
 * bucket[] indexes the keys by their top bits to find it
 * (ctxlab_ngram_find_row).  Keys of key_bits <= 32 bits are stored whole in
 * keys32; wider ones too, their low 32 bits only, when the bucket holds the
 * rest (bucket_shift <= 32, not at the top order), else whole in keys: 4
 * bytes an n-gram instead of 8 up to 51-bit keys for 1e7 windows.
 * ctxlab_ngram_key reads what is stored, ctxlab_ngram_order_unpack whole
 * keys. */
typedef struct ctxlab_ngram_order {
  size_t n;
  unsigned key_bits; /* (k + 1) b */
  uint64_t *keys;    /* NULL, or the keys ... */
  uint32_t *keys32;  /* ... else these, the low 32 bits of each */
  ctxlab_ngram_counts raw, cont;
  uint32_t *bucket; /* n < 2^32: ctxlab_ngram_build refuses more */
  unsigned bucket_shift;
  double discount_raw;  /* Kneser-Ney D where this order is the highest (raw counts) */
  double discount_cont; /* ... and where it is a lower order (continuation counts) */
} ctxlab_ngram_order;

/* Entry i's key as stored: whole, or its low 32 bits in keys32. */
static inline uint64_t ctxlab_ngram_key(const ctxlab_ngram_order *o, size_t i) {
  return o->keys32 ? o->keys32[i] : o->keys[i];
}

/* The key x as o stores it (compares with ctxlab_ngram_key within a row). */
static inline uint64_t ctxlab_ngram_key_stored(const ctxlab_ngram_order *o, uint64_t x) {
  return o->keys32 ? (uint32_t)x : x;
}

/* Reading counts in entry order from entry i: *big_at is the index in big[]
 * of the first count of 255 or more at or after entry i
 * (ctxlab_ngram_counts_at), moved on by ctxlab_ngram_counts_next. */
static inline size_t ctxlab_ngram_counts_at(const ctxlab_ngram_counts *c, size_t i) {
  size_t r = c->rank[i / 64];
  for (size_t e = i & ~(size_t)63; e < i; ++e) r += c->low[e] == 255;
  return r;
}

/* Entry i's count, the entries before it read already (from big_at). */
static inline uint32_t ctxlab_ngram_counts_next(const ctxlab_ngram_counts *c, size_t i,
                                                size_t *big_at) {
  return c->low[i] < 255 ? c->low[i] : c->big[(*big_at)++];
}

/* Entry i's count on its own. */
static inline uint32_t ctxlab_ngram_count_of(const ctxlab_ngram_counts *c, size_t i) {
  size_t at = ctxlab_ngram_counts_at(c, i);
  return ctxlab_ngram_counts_next(c, i, &at);
}

/* A multiset of packed n-grams: (keys[i], counts[i]) pairs, keys may repeat. */
typedef struct ctxlab_ngram_list {
  size_t n, cap;
  uint64_t *keys, *counts;
} ctxlab_ngram_list;

/* The table's default size limit: 2^20 slots, 16 MiB, about what the
 * last-level cache of the machines measured holds. */
#define CTXLAB_NGRAM_TABLE_SLOTS ((size_t)1 << 20)

typedef struct ctxlab_ngram {
  unsigned order;         /* c */
  unsigned bits;          /* b */
  uint32_t vocab;         /* V */
  double fixed_discount;  /* cfg.kn_discount: 0 = estimate */
  int continuation;       /* derive continuation counts (Kneser-Ney) */
  /* n_c, the counts of every (c+1)-gram of every stream: those in the table
   * plus one for each key in spill[].  Windows go to the table until it
   * would grow past table_slots slots while mostly new keys come in
   * (ctxlab_ngram_table_count_windows); from then on, to spill, which the
   * table's own windows join when they are mostly single (spill_table in
   * sim/ngram/ngram.c). */
  ctxlab_ngram_table top;
  void *spill;       /* key_bytes each */
  unsigned key_bytes; /* 4 when (c + 1) b <= 32, else 8 */
  size_t spill_n, spill_cap;
  size_t table_slots; /* CTXLAB_NGRAM_TABLE_SLOTS; tests lower it to force spilling */
  /* heads[k], k < c: the (k+1)-gram that starts each stream of at least k+1
   * tokens, the one occurrence of order k that no (k+2)-gram ends in. */
  ctxlab_ngram_list *heads;
  int built;                  /* orders[] reflect top and heads */
  ctxlab_ngram_order *orders; /* orders[0..c] */
} ctxlab_ngram;

/* b = ceil(log2 V): bits per packed token. */
unsigned ctxlab_ngram_token_bits(uint32_t vocab_size);

/* x[0..m-1] packed with `bits` bits per token, x[0] most significant. */
static inline uint64_t ctxlab_ngram_pack(const uint32_t *x, size_t m, unsigned bits) {
  uint64_t key = 0;
  for (size_t i = 0; i < m; ++i) key = key << bits | x[i];
  return key;
}

/* Derive every order from the counts (done by forward, save and the hooks
 * below when the counts changed; exposed so the benchmark can time it). */
int ctxlab_ngram_build(ctxlab_ngram *g, ctxlab_error *err);

/* Q(. | context[0..k-1]) (oldest first) for k <= c, in double: what forward
 * takes the logarithm of. */
int ctxlab_ngram_predict(ctxlab_model *m, const uint32_t *context, size_t k, double *probs,
                         ctxlab_error *err);

/* n_k(gram) and N1+(. gram) (0 for the top order, and for add-beta models)
 * of the (k+1)-gram gram[0..k], k <= c. */
int ctxlab_ngram_count(ctxlab_model *m, const uint32_t *gram, size_t k, uint64_t *raw,
                       uint64_t *cont, ctxlab_error *err);

/* The discounts of order k <= c (raw: as the highest order; cont: as a lower
 * one). */
int ctxlab_ngram_discounts(ctxlab_model *m, size_t k, double *raw, double *cont, ctxlab_error *err);

/* The checkpoint tensors (sim/ngram/ngram_checkpoint.c). */
int ctxlab_ngram_save_extra(const ctxlab_model *m, ctxlab_st_writer *w, ctxlab_error *err);
int ctxlab_ngram_load_extra(ctxlab_model *m, const ctxlab_st_file *f, ctxlab_error *err);

/* Replace the model's counts by the per-order counts of a checkpoint (keys[k],
 * counts[k], n[k] for k = 0..c, as ctxlab_ngram_save_extra writes them),
 * after checking them: keys ascending, tokens < V, counts >= 1, and every
 * order's counts at least the sum of the order above's (CTXLAB_EFORMAT, the
 * message naming the tensor and entry).  On error the model is unchanged. */
int ctxlab_ngram_set_counts(ctxlab_ngram *g, const uint64_t *const *keys,
                            const uint64_t *const *counts, const size_t *n, ctxlab_error *err);

/* Internal to sim/ngram/ */
int ctxlab_ngram_list_append(ctxlab_ngram_list *l, uint64_t key, uint64_t count, ctxlab_error *err);
void ctxlab_ngram_list_free(ctxlab_ngram_list *l);
/* Room for n keys of key_bytes (4 or 8) bytes, aligned to a cache line (as
 * ctxlab_ngram_build's radix passes write whole lines); free() frees it. */
void *ctxlab_ngram_keys_alloc(size_t n, unsigned key_bytes);
/* Maps the pages of p[0 .. bytes-1] that are about to be written, in one
 * call, where the kernel can (sim/ngram/ngram_radix.c says why). */
void ctxlab_ngram_prefault(void *p, size_t bytes);
/* The n - c windows of c + 1 tokens of tokens[0..n-1] (n > c), packed, into
 * out (g->key_bytes each). */
void ctxlab_ngram_pack_windows(const ctxlab_ngram *g, const uint32_t *tokens, size_t n, void *out);
/* Order k from the n distinct (k+2)-grams keys[] of order k+1 and their
 * counts: n(g) = sum_a raw(a g), N1+(. g) = #{a : raw(a g) > 0}, into out->n,
 * keys, raw, cont (no index, no stream heads). */
int ctxlab_ngram_marginal(const uint64_t *keys, const uint64_t *raw, size_t n, unsigned k,
                          unsigned bits, uint32_t vocab, ctxlab_ngram_order *out,
                          ctxlab_error *err);
void ctxlab_ngram_order_free(ctxlab_ngram_order *o);
/* Order o's whole keys, raw counts and continuation counts (0 where it has
 * none) in entry order, into those of keys, raw, cont that are not NULL. */
void ctxlab_ngram_order_unpack(const ctxlab_ngram_order *o, uint64_t *keys, uint64_t *raw,
                               uint64_t *cont);
void ctxlab_ngram_orders_free(ctxlab_ngram *g);
/* The entries begin .. end-1 of a built order whose context is the packed
 * ctx; returns whether there are any. */
int ctxlab_ngram_find_row(const ctxlab_ngram_order *o, uint64_t ctx, unsigned bits, size_t *begin,
                          size_t *end);

#endif
