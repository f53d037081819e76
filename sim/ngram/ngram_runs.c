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

/* estimate_discount of the counts c[0..n-1]. */
static double discount_of(const uint32_t *c, size_t n) {
  uint64_t n1 = 0, n2 = 0;
  for (size_t i = 0; i < n; ++i) {
    n1 += c[i] == 1;
    n2 += c[i] == 2;
  }
  return estimate_discount(n1, n2);
}

/* The entries order j can have: no more than the grams fed, nor V^(j+1). */
static size_t order_bound(size_t fed, unsigned j, uint32_t vocab) {
  size_t bound = 1;
  for (unsigned i = 0; i <= j && bound < fed; ++i)
    bound = bound > fed / vocab ? fed : bound * vocab;
  return bound < fed ? bound : fed ? fed : 1;
}

int ctxlab_ngram_writer_open(run_writer *w, ctxlab_ngram_order *o, unsigned j, unsigned top,
                             unsigned bits, uint32_t vocab, int with_cont, uint32_t *seen,
                             size_t fed, void *keys_room, ctxlab_error *err) {
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
   * 2 <= 2^r <= max(cap / 4, 2), so that a row is a binary search among a
   * few entries when the keys are spread.  As runs close, each stores the
   * number of runs so far in bucket[its top bits + 1]: the last store there
   * is the bucket's end, and ctxlab_ngram_writer_close carries each end forward over the
   * empty buckets after it (a running maximum; keys arrive ascending).  No
   * pass of its own over the keys, and a plain store rather than a count,
   * which would wait on the count before it when runs share a bucket. */
  const unsigned width = (j + 1) * bits;
  unsigned r = 1;
  while (r < width && ((size_t)1 << (r + 2)) <= w->cap) r++;
  o->bucket_shift = w->bucket_shift = width - r;
  o->bucket = calloc(((size_t)1 << r) + 1, sizeof *o->bucket);
  /* untouched pages cost nothing; ctxlab_ngram_writer_close returns the rest */
  void *keys = keys_room ? keys_room : malloc(w->cap * (width <= 32 ? 4 : 8));
  if (width <= 32)
    o->keys32 = keys;
  else
    o->keys = keys;
  o->raw = malloc(w->cap * sizeof *o->raw);
  o->cont = cont ? malloc(w->cap * sizeof *o->cont) : NULL;
  if (!o->bucket || !keys || !o->raw || (cont && !o->cont))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u: up to %zu n-grams)", j,
                            w->cap);
  return CTXLAB_OK;
}

static void *shrink(void *p, size_t bytes) {
  void *q = realloc(p, bytes ? bytes : 1);
  return q ? q : p;
}

int ctxlab_ngram_writer_close(run_writer *w, unsigned j, uint32_t vocab, ctxlab_error *err) {
  if (w->every)
    w->r += w->raw != 0; /* its entry written, its counts tallied */
  else
    close_run(w);
  ctxlab_ngram_order *o = w->o;
  o->n = w->r;
  if (o->keys32)
    o->keys32 = shrink(o->keys32, o->n * sizeof *o->keys32);
  else
    o->keys = shrink(o->keys, o->n * sizeof *o->keys);
  o->raw = shrink(o->raw, o->n * sizeof *o->raw);
  if (o->cont) o->cont = shrink(o->cont, o->n * sizeof *o->cont);
  o->discount_raw = discount_of(o->raw, o->n);
  o->discount_cont = o->cont ? discount_of(o->cont, o->n) : 0;
  for (uint32_t x = 0; o->cont && x < vocab; ++x) w->seen[x] = 0;
  const size_t buckets = (size_t)1 << ((j + 1) * w->bits - o->bucket_shift);
  uint32_t end = 0; /* a running maximum, without a branch per bucket */
  for (size_t b = 1; b <= buckets; ++b) {
    end = o->bucket[b] > end ? o->bucket[b] : end;
    o->bucket[b] = end;
  }
  if (w->largest > UINT32_MAX)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "order %u: an n-gram counted %llu times, more than the 2^32 - 1 a "
                            "count holds",
                            j, (unsigned long long)w->largest);
  return CTXLAB_OK;
}

