/* The run writer: an order of the n-gram model from its n-grams in sorted
 * order (sim/ngram/ngram_runs.h). */
#include <stdlib.h>
#include <string.h>

#include "sim/ngram/ngram_runs.h"

/* D = n1 / (n1 + 2 n2) (Ney, Essen & Kneser 1994; Chen & Goodman 1998), n_r
 * the number of counts equal to r, with n1 taken as at least 1: an order
 * without singletons (every n-gram seen twice or more, as with a small V and
 * much data) would otherwise get D = 0 and give unseen tokens probability 0. */
static double estimate_discount(uint64_t n1, uint64_t n2) {
  if (n1 == 0) n1 = 1;
  return (double)n1 / ((double)n1 + 2.0 * (double)n2);
}

/* The entries order j can have: no more than the grams fed, nor V^(j+1). */
static size_t order_bound(size_t fed, unsigned j, uint32_t vocab) {
  size_t bound = 1;
  for (unsigned i = 0; i <= j && bound < fed; ++i)
    bound = bound > fed / vocab ? fed : bound * vocab;
  return bound < fed ? bound : fed ? fed : 1;
}

static void column_free(count_column *c) {
  free(c->low);
  free(c->big);
  c->low = NULL;
  c->big = NULL;
}

int ctxlab_ngram_writer_open(run_writer *w, ctxlab_ngram_order *o, unsigned j, unsigned top,
                             unsigned bits, uint32_t vocab, int with_cont, uint32_t *seen,
                             size_t fed, uint64_t total, void *keys_room, ctxlab_error *err) {
  const int cont = with_cont && j < top;
  memset(w, 0, sizeof *w);
  memset(o, 0, sizeof *o);
  w->o = o;
  w->mask = ctxlab_ngram_low_mask((j + 1) * bits);
  w->before_shift = (j + 1) * bits;
  w->token = ctxlab_ngram_low_mask(bits);
  w->bits = bits;
  w->cont_len = cont ? j + 2 : 0;
  w->seen = seen;
  w->cap = keys_room ? fed : order_bound(fed, j, vocab);
  /* The row index (ctxlab_ngram_find_row): bucket[i] = the first entry
   * whose key's top bits (key >> bucket_shift) are >= i, for 2^r buckets,
   * 2 <= 2^r <= max(cap / 16, 2), so that a row is a binary search among
   * a few entries when the keys are spread (a quarter of a byte an entry:
   * at cap / 4, a byte, the scans of random-bigram c = 6 took 7 ms more
   * each).  As runs close, each stores the number of runs so far in
   * bucket[its top bits + 1]: the last store there is the bucket's end, and
   * ctxlab_ngram_writer_close carries each end forward over the empty
   * buckets after it (a running maximum; keys arrive ascending).  No
   * pass of its own over the keys, and a plain store rather than a count,
   * which would wait on the count before it when runs share a bucket. */
  const unsigned width = (j + 1) * bits;
  unsigned r = 1;
  while (r < width && ((size_t)1 << (r + 4)) <= w->cap) r++;
  o->bucket_shift = w->bucket_shift = width - r;
  o->bucket = calloc(((size_t)1 << r) + 1, sizeof *o->bucket);
  /* Keys above 32 bits keep their low 32 bits where the bucket holds the
   * rest (ngram.h).  Untouched pages cost nothing; writer_close returns them. */
  const int narrow = width <= 32 || (o->bucket_shift <= 32 && !keys_room);
  void *keys = keys_room ? keys_room : malloc(w->cap * (narrow ? 4 : 8));
  o->key_bits = width;
  if (narrow)
    o->keys32 = keys;
  else
    o->keys = keys;
  w->keys = o->keys;
  w->keys32 = o->keys32;
  w->bucket = o->bucket;
  /* runs of 255 or more: no more than total / 255, nor than entries */
  const size_t bigs = (total / 255 < w->cap ? (size_t)(total / 255) : w->cap) + 1;
  w->raw_col.low = malloc(w->cap);
  w->raw_col.big = malloc(bigs * sizeof *w->raw_col.big);
  if (cont) {
    w->cont_col.low = malloc(w->cap);
    w->cont_col.big = malloc(bigs * sizeof *w->cont_col.big);
  }
  if (!o->bucket || !keys || !w->raw_col.low || !w->raw_col.big ||
      (cont && (!w->cont_col.low || !w->cont_col.big))) {
    column_free(&w->raw_col);
    column_free(&w->cont_col);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u: up to %zu n-grams)", j,
                            w->cap);
  }
  return CTXLAB_OK;
}

void ctxlab_ngram_writer_prefault(run_writer *w, size_t entries, int keys_too) {
  if (entries > w->cap) entries = w->cap;
  if (keys_too && w->keys32) ctxlab_ngram_prefault(w->keys32, entries * sizeof *w->keys32);
  if (keys_too && w->keys) ctxlab_ngram_prefault(w->keys, entries * sizeof *w->keys);
  ctxlab_ngram_prefault(w->raw_col.low, entries);
  if (w->cont_col.low) ctxlab_ngram_prefault(w->cont_col.low, entries);
}

static void *shrink(void *p, size_t bytes) {
  void *q = realloc(p, bytes ? bytes : 1);
  return q ? q : p;
}

/* The column's counts for n entries into c (o owns them then), with the
 * ranks of its big counts, and their discount estimate_discount.  Fails when
 * a count is above 2^32 - 1. */
static int finish_counts(count_column *col, size_t n, unsigned j, ctxlab_ngram_counts *c,
                         double *discount, ctxlab_error *err) {
  c->low = shrink(col->low, n);
  col->low = NULL;
  c->nbig = col->nbig;
  c->big = malloc((c->nbig ? c->nbig : 1) * sizeof *c->big);
  c->rank = malloc((n / 64 + 1) * sizeof *c->rank);
  if (!c->big || !c->rank)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u: counts)", j);
  for (size_t i = 0; i < c->nbig; ++i) {
    if (col->big[i] > UINT32_MAX)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "order %u: an n-gram counted %llu times, more than the 2^32 - 1 a "
                              "count holds",
                              j, (unsigned long long)col->big[i]);
    c->big[i] = (uint32_t)col->big[i];
  }
  /* the counts of 1 and 2, and of 255 (big) before each block of 64: byte
   * tallies per block, which the compiler vectorizes */
  uint64_t n1 = 0, n2 = 0;
  uint32_t big = 0;
  for (size_t t = 0; t <= n / 64; ++t) {
    c->rank[t] = big;
    const uint8_t *p = c->low + 64 * t;
    const size_t m = n - 64 * t < 64 ? n - 64 * t : 64;
    uint8_t ones = 0, twos = 0, bigs = 0;
    for (size_t i = 0; i < m; ++i) {
      ones += p[i] == 1;
      twos += p[i] == 2;
      bigs += p[i] == 255;
    }
    n1 += ones;
    n2 += twos;
    big += bigs;
  }
  *discount = estimate_discount(n1, n2);
  return CTXLAB_OK;
}

int ctxlab_ngram_writer_close(run_writer *w, unsigned j, uint32_t vocab, ctxlab_error *err) {
  if (w->every)
    w->r += w->raw != 0; /* its entry written */
  else
    close_run(w);
  ctxlab_ngram_order *o = w->o;
  o->n = w->r;
  if (o->keys32)
    o->keys32 = shrink(o->keys32, o->n * sizeof *o->keys32);
  else
    o->keys = shrink(o->keys, o->n * sizeof *o->keys);
  int st = finish_counts(&w->raw_col, o->n, j, &o->raw, &o->discount_raw, err);
  if (!st && w->cont_col.low)
    st = finish_counts(&w->cont_col, o->n, j, &o->cont, &o->discount_cont, err);
  column_free(&w->raw_col);
  column_free(&w->cont_col);
  if (st) return st;
  for (uint32_t x = 0; o->cont.low && x < vocab; ++x) w->seen[x] = 0;
  const size_t buckets = (size_t)1 << ((j + 1) * w->bits - o->bucket_shift);
  uint32_t end = 0; /* a running maximum, without a branch per bucket */
  for (size_t b = 1; b <= buckets; ++b) {
    end = o->bucket[b] > end ? o->bucket[b] : end;
    o->bucket[b] = end;
  }
  return CTXLAB_OK;
}
