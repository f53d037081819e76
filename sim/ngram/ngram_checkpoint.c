/* The n-gram model in a checkpoint: its counts, as safetensors tensors.
 *
 * For every order k = 0 .. c (context length k):
 *   order.{k}.keys    U64 [n_k]  the distinct (k+1)-grams seen, packed as in
 *                                sim/ngram/ngram.h (b = ceil(log2 V) bits a
 *                                token, oldest most significant), ascending
 *   order.{k}.counts  U64 [n_k]  their counts n_k(h w) (all >= 1)
 * so in numpy: tokens of key x are (x >> (b * (k - i))) & (2^b - 1), i = 0..k.
 * The lower orders are what the model predicts with (they include each
 * stream's first tokens); continuation counts and discounts are derived from
 * these on loading.  Sorted keys make the file a function of the counts
 * alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/ngram/ngram.h"

/* Order o's whole keys (counts false) or raw counts, widened to the file's
 * U64, for the writer to free. */
static int add_u64(ctxlab_st_writer *w, const char *name, const ctxlab_ngram_order *o,
                   int counts, ctxlab_error *err) {
  uint64_t *data = malloc((o->n ? o->n : 1) * sizeof *data);
  if (!data) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%s)", name);
  ctxlab_ngram_order_unpack(o, counts ? NULL : data, counts ? data : NULL, NULL);
  const size_t shape[1] = {o->n};
  return ctxlab_st_writer_add_owned(w, name, CTXLAB_ST_U64, 1, shape, data, err);
}

int ctxlab_ngram_save_extra(const ctxlab_model *m, ctxlab_st_writer *w, ctxlab_error *err) {
  ctxlab_ngram *g = m->impl;
  int st = ctxlab_ngram_build(g, err);
  for (unsigned k = 0; !st && k <= g->order; ++k) {
    const ctxlab_ngram_order *o = &g->orders[k];
    char name[64];
    snprintf(name, sizeof name, "order.%u.keys", k);
    st = add_u64(w, name, o, 0, err);
    snprintf(name, sizeof name, "order.%u.counts", k);
    if (!st) st = add_u64(w, name, o, 1, err);
  }
  return st;
}

/* Order k's keys ascending, every packed token < V, counts >= 1. */
static int check_order(const ctxlab_ngram *g, unsigned k, const uint64_t *keys,
                       const uint64_t *counts, size_t n, ctxlab_error *err) {
  const unsigned b = g->bits;
  for (size_t i = 0; i < n; ++i) {
    if (i && keys[i] <= keys[i - 1])
      return ctxlab_error_set(err, CTXLAB_EFORMAT,
                              "order.%u.keys: entry %zu is not above the one before (keys must "
                              "be distinct and ascending)",
                              k, i);
    if ((k + 1) * b < 64 && keys[i] >> ((k + 1) * b))
      return ctxlab_error_set(err, CTXLAB_EFORMAT,
                              "order.%u.keys: entry %zu has more than %u "
                              "tokens of %u bits",
                              k, i, k + 1, b);
    for (unsigned j = 0; j <= k; ++j)
      if (((keys[i] >> (j * b)) & ((UINT64_C(1) << b) - 1)) >= g->vocab)
        return ctxlab_error_set(err, CTXLAB_EFORMAT,
                                "order.%u.keys: entry %zu holds a token outside the vocabulary "
                                "(vocab_size %u)",
                                k, i, g->vocab);
    if (counts[i] == 0 || counts[i] > UINT32_MAX)
      return ctxlab_error_set(err, CTXLAB_EFORMAT,
                              "order.%u.counts: entry %zu is %llu, outside 1 .. 2^32 - 1", k, i,
                              (unsigned long long)counts[i]);
  }
  return CTXLAB_OK;
}

/* heads = file order k minus the marginal of file order k+1, which must not
 * exceed it (n_k = marginal of n_{k+1} + stream heads, ngram_build.c). */
static int heads_of(const ctxlab_ngram *g, unsigned k, const uint64_t *const *keys,
                    const uint64_t *const *counts, const size_t *n, ctxlab_ngram_list *heads,
                    ctxlab_error *err) {
  ctxlab_ngram_order marg;
  int st =
      ctxlab_ngram_marginal(keys[k + 1], counts[k + 1], n[k + 1], k, g->bits, g->vocab, &marg, err);
  if (st == CTXLAB_EINVAL) /* the only way a marginal fails but memory: a sum past 32 bits */
    st = ctxlab_error_set(err, CTXLAB_EFORMAT,
                          "order.%u.counts: the counts of the n-grams ending alike add up to "
                          "more than the 2^32 - 1 a count of order %u holds",
                          k + 1, k);
  uint64_t *mk = NULL, *mc = NULL; /* marg's keys and counts */
  if (!st) {
    mk = malloc((marg.n ? marg.n : 1) * sizeof *mk);
    mc = malloc((marg.n ? marg.n : 1) * sizeof *mc);
    if (mk && mc)
      ctxlab_ngram_order_unpack(&marg, mk, mc, NULL);
    else
      st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u: %zu n-grams)", k,
                            marg.n);
  }
  size_t j = 0;
  for (size_t i = 0; !st && i < n[k]; ++i) {
    if (j < marg.n && mk[j] < keys[k][i]) break; /* a missing n-gram */
    const uint64_t implied = j < marg.n && mk[j] == keys[k][i] ? mc[j++] : 0;
    if (counts[k][i] < implied)
      st = ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "order.%u.counts: entry %zu is %llu, below the "
                            "%llu that order.%u.counts implies",
                            k, i, (unsigned long long)counts[k][i], (unsigned long long)implied,
                            k + 1);
    else if (counts[k][i] > implied)
      st = ctxlab_ngram_list_append(heads, keys[k][i], counts[k][i] - implied, err);
  }
  if (!st && j < marg.n)
    st = ctxlab_error_set(err, CTXLAB_EFORMAT,
                          "order.%u.keys lacks the n-gram %#llx that "
                          "order.%u.keys implies",
                          k, (unsigned long long)mk[j], k + 1);
  free(mk);
  free(mc);
  ctxlab_ngram_order_free(&marg);
  return st;
}

int ctxlab_ngram_set_counts(ctxlab_ngram *g, const uint64_t *const *keys,
                            const uint64_t *const *counts, const size_t *n, ctxlab_error *err) {
  const unsigned c = g->order;
  ctxlab_ngram_list *heads = calloc(c ? c : 1, sizeof *heads);
  ctxlab_ngram_table top = {0};
  int st = heads ? CTXLAB_OK : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  for (unsigned k = 0; !st && k <= c; ++k) st = check_order(g, k, keys[k], counts[k], n[k], err);
  for (unsigned k = 0; !st && k < c; ++k) st = heads_of(g, k, keys, counts, n, &heads[k], err);
  if (!st) st = ctxlab_ngram_table_init(&top, n[c], err);
  if (!st) st = ctxlab_ngram_table_add_many(&top, keys[c], counts[c], n[c], err);
  if (!st) { /* the model now holds these counts */
    ctxlab_ngram_orders_free(g);
    ctxlab_ngram_table_free(&g->top);
    g->top = top;
    free(g->spill);
    g->spill = NULL;
    g->spill_n = g->spill_cap = 0;
    for (unsigned k = 0; k < c; ++k) {
      ctxlab_ngram_list_free(&g->heads[k]);
      g->heads[k] = heads[k];
    }
  } else {
    ctxlab_ngram_table_free(&top);
    for (unsigned k = 0; heads && k < c; ++k) ctxlab_ngram_list_free(&heads[k]);
  }
  free(heads);
  return st;
}

int ctxlab_ngram_load_extra(ctxlab_model *m, const ctxlab_st_file *f, ctxlab_error *err) {
  ctxlab_ngram *g = m->impl;
  const unsigned c = g->order;
  /* copies: the file's bytes need not be 8-byte aligned */
  uint64_t **keys = calloc(c + 1, sizeof *keys), **counts = calloc(c + 1, sizeof *counts);
  size_t *n = calloc(c + 1, sizeof *n);
  int st = keys && counts && n ? CTXLAB_OK : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  for (unsigned k = 0; !st && k <= c; ++k) {
    char kname[64], cname[64];
    snprintf(kname, sizeof kname, "order.%u.keys", k);
    snprintf(cname, sizeof cname, "order.%u.counts", k);
    ctxlab_st_dtype dtype;
    int ndim;
    size_t shape[CTXLAB_ST_MAX_DIMS];
    const void *kdata, *cdata;
    st = ctxlab_st_info(f, kname, &dtype, &ndim, shape, err);
    if (!st && ndim != 1)
      st = ctxlab_error_set(err, CTXLAB_EFORMAT, "tensor %s: %d dimensions, expected 1", kname,
                            ndim);
    if (!st) st = ctxlab_st_get(f, kname, CTXLAB_ST_U64, 1, shape, &kdata, err);
    if (!st) st = ctxlab_st_get(f, cname, CTXLAB_ST_U64, 1, shape, &cdata, err);
    if (st) break;
    n[k] = shape[0];
    keys[k] = malloc((n[k] ? n[k] : 1) * sizeof **keys);
    counts[k] = malloc((n[k] ? n[k] : 1) * sizeof **counts);
    if (!keys[k] || !counts[k]) {
      st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%s: %zu n-grams)", kname, n[k]);
      break;
    }
    if (n[k]) {
      memcpy(keys[k], kdata, n[k] * sizeof **keys);
      memcpy(counts[k], cdata, n[k] * sizeof **counts);
    }
  }
  if (!st)
    st = ctxlab_ngram_set_counts(g, (const uint64_t *const *)keys, (const uint64_t *const *)counts,
                                 n, err);
  for (unsigned k = 0; k <= c; ++k) {
    if (keys) free(keys[k]);
    if (counts) free(counts[k]);
  }
  free(keys);
  free(counts);
  free(n);
  return st;
}
