/* The n-gram model's orders, derived from what fit counts: the top order's
 * counts n_c (a hash table) and the stream heads.
 *
 * Why counting the top order suffices.  In a stream x_1 .. x_N, the order-k
 * counts n_k(g) count the (k+1)-grams g ending at positions k+1 .. N.  Cutting
 * the first token off the (k+2)-grams that end at positions k+2 .. N gives
 * exactly the (k+1)-grams ending at those positions, so
 *     n_k(g) = sum_a n_{k+1}(a g) + [g = x_1 .. x_{k+1}],
 * the last term being the stream's head (present when N >= k+1).  Unrolled:
 * n_k(g) is the total count of the counted m-grams (the (c+1)-grams, and the
 * heads, of m = 1 .. c tokens) with m >= k+1 whose last k+1 tokens are g.
 * Likewise Kneser-Ney's continuation count N1+(. g) = #{a : n_{k+1}(a g) > 0}
 * is the number of distinct last-(k+2)-token suffixes, ending in g, among the
 * counted m-grams with m >= k+2.
 *
 * How.  One least-significant-digit radix sort of the counted m-grams, one
 * token per digit, newest token first: after the pass on token j (0 = the
 * newest) the array is sorted by its last j+1 tokens, which is order j's key
 * (oldest most significant).  So each pass leaves order j in runs, one per
 * n-gram g: the run's counts add up to n_j(g), and the distinct tokens just
 * before g among its m-grams number N1+(. g).  m-grams shorter than j+1
 * tokens are dropped from pass j on.  c + 1 passes and scans in all, instead
 * of a sort per order.
 * tests/unit/test_ngram_brute.c checks the result against direct counting. */
#include <stdlib.h>
#include <string.h>

#include "sim/ngram/ngram.h"

/* A counted m-gram: its m tokens packed in key, its count in the low 57 bits
 * of count_len and m (1 .. 64) in the top 7: 16 bytes, as the radix passes
 * move these around. */
typedef struct gram {
  uint64_t key, count_len;
} gram;

#define LEN_SHIFT 57
#define COUNT_MASK ((UINT64_C(1) << LEN_SHIFT) - 1)

static gram make_gram(uint64_t key, uint64_t count, unsigned len) {
  return (gram){key, count | (uint64_t)len << LEN_SHIFT};
}

enum { MAX_DIGIT = 11 }; /* bits a radix pass sorts on, at most */

static uint64_t low_mask(unsigned nbits) {
  return nbits >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << nbits) - 1;
}

int ctxlab_ngram_list_append(ctxlab_ngram_list *l, uint64_t key, uint64_t count,
                             ctxlab_error *err) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    uint64_t *k = realloc(l->keys, cap * sizeof *k);
    if (k) l->keys = k;
    uint64_t *c = k ? realloc(l->counts, cap * sizeof *c) : NULL;
    if (c) l->counts = c;
    if (!k || !c) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (stream heads)");
    l->cap = cap;
  }
  l->keys[l->n] = key;
  l->counts[l->n] = count;
  l->n++;
  return CTXLAB_OK;
}

void ctxlab_ngram_list_free(ctxlab_ngram_list *l) {
  free(l->keys);
  free(l->counts);
  memset(l, 0, sizeof *l);
}

static void order_free(ctxlab_ngram_order *o) {
  free(o->keys);
  free(o->raw);
  free(o->cont);
  free(o->bucket);
  memset(o, 0, sizeof *o);
}

void ctxlab_ngram_orders_free(ctxlab_ngram *g) {
  if (g->orders)
    for (unsigned k = 0; k <= g->order; ++k) order_free(&g->orders[k]);
  free(g->orders);
  g->orders = NULL;
  g->built = 0;
}

/* Order j from the grams sorted by their last j+1 tokens: its keys, counts,
 * and (j < top) continuation counts: the distinct tokens at position j+1
 * from the end among a run's grams of j+2 tokens or more, marked in seen[]
 * (V entries, zero on entry) with the run's number. */
static int scan_order(const gram *a, size_t n, unsigned j, unsigned top, unsigned bits,
                      uint32_t *seen, uint32_t vocab, ctxlab_ngram_order *o, ctxlab_error *err) {
  const uint64_t mask = low_mask((j + 1) * bits), token = low_mask(bits);
  size_t runs = 0;
  for (size_t i = 0; i < n; ++i) runs += i == 0 || (a[i].key & mask) != (a[i - 1].key & mask);
  o->n = runs;
  o->keys = malloc((runs ? runs : 1) * sizeof *o->keys);
  o->raw = malloc((runs ? runs : 1) * sizeof *o->raw);
  if (j < top) o->cont = malloc((runs ? runs : 1) * sizeof *o->cont);
  if (!o->keys || !o->raw || (j < top && !o->cont))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u: %zu n-grams)", j, runs);
  size_t r = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i == 0 || (a[i].key & mask) != (a[i - 1].key & mask)) {
      if (i) r++;
      o->keys[r] = a[i].key & mask;
      o->raw[r] = 0;
      if (o->cont) o->cont[r] = 0;
    }
    o->raw[r] += a[i].count_len & COUNT_MASK;
    if (o->cont && a[i].count_len >> LEN_SHIFT >= j + 2) {
      const uint64_t before = a[i].key >> ((j + 1) * bits) & token;
      if (seen[before] != r + 1) {
        seen[before] = (uint32_t)(r + 1);
        o->cont[r]++;
      }
    }
  }
  for (uint32_t x = 0; o->cont && x < vocab; ++x) seen[x] = 0;
  return CTXLAB_OK;
}

/* Orders 0 .. top (keys, raw, and cont below top) of the n grams a[] (each of
 * 1 .. top+1 tokens), by the token-at-a-time radix sort described above.  A
 * token wider than MAX_DIGIT bits takes several passes, low bits first. */
static int derive(gram *a, size_t n, unsigned top, unsigned bits, uint32_t vocab,
                  ctxlab_ngram_order *out, ctxlab_error *err) {
  if (n >= UINT32_MAX)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "too many distinct n-grams (%zu)", n);
  const unsigned sub = (bits + MAX_DIGIT - 1) / MAX_DIGIT; /* passes per token */
  const unsigned width = (bits + sub - 1) / sub;
  const size_t buckets = (size_t)1 << width;
  size_t *hist = calloc((size_t)(top + 1) * sub * buckets, sizeof *hist);
  gram *tmp = malloc((n ? n : 1) * sizeof *tmp);
  uint32_t *seen = calloc(vocab, sizeof *seen);
  int st = CTXLAB_OK;
  if (!hist || !tmp || !seen) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (sorting %zu n-grams)", n);
    goto cleanup;
  }
  /* digit s of token j of key: bits j*bits + s*width .. of at most width
   * bits, never reaching into token j+1 */
#define DIGIT(key, j, s)               \
  (((key) >> ((j)*bits + (s)*width)) & \
   low_mask(bits - (s)*width < width ? bits - (s)*width : width))
  for (size_t i = 0; i < n; ++i)
    for (unsigned j = 0; j < a[i].count_len >> LEN_SHIFT && j <= top; ++j)
      for (unsigned s = 0; s < sub; ++s)
        hist[((size_t)j * sub + s) * buckets + DIGIT(a[i].key, j, s)]++;
  gram *src = a, *dst = tmp;
  for (unsigned j = 0; j <= top; ++j) {
    for (unsigned s = 0; s < sub; ++s) {
      size_t *h = hist + ((size_t)j * sub + s) * buckets, sum = 0;
      for (size_t d = 0; d < buckets; ++d) {
        const size_t count = h[d];
        h[d] = sum;
        sum += count;
      }
      for (size_t i = 0; i < n; ++i) /* stable; grams of j tokens or fewer are dropped */
        if (src[i].count_len >> LEN_SHIFT > j) dst[h[DIGIT(src[i].key, j, s)]++] = src[i];
      n = sum;
      gram *t = src;
      src = dst;
      dst = t;
    }
    st = scan_order(src, n, j, top, bits, seen, vocab, &out[j], err);
    if (st) goto cleanup;
  }
#undef DIGIT
cleanup:
  free(hist);
  free(tmp);
  free(seen);
  return st;
}

int ctxlab_ngram_marginal(const uint64_t *keys, const uint64_t *raw, size_t n, unsigned k,
                          unsigned bits, uint32_t vocab, ctxlab_ngram_order *out,
                          ctxlab_error *err) {
  memset(out, 0, sizeof *out);
  gram *a = malloc((n ? n : 1) * sizeof *a);
  ctxlab_ngram_order *orders = calloc(k + 2, sizeof *orders);
  int st = CTXLAB_OK;
  if (!a || !orders)
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u: %zu n-grams)", k, n);
  for (size_t i = 0; !st && i < n; ++i) {
    if (raw[i] > COUNT_MASK)
      st = ctxlab_error_set(err, CTXLAB_EINVAL, "count %llu is too large",
                            (unsigned long long)raw[i]);
    a[i] = make_gram(keys[i], raw[i], k + 2);
  }
  if (!st) st = derive(a, n, k + 1, bits, vocab, orders, err);
  if (!st) {
    *out = orders[k];
    memset(&orders[k], 0, sizeof orders[k]);
  }
  for (unsigned j = 0; orders && j <= k + 1; ++j) order_free(&orders[j]);
  free(orders);
  free(a);
  return st;
}

/* First index in keys[lo, hi) whose key is >= x (or > x when `after`). */
static size_t search(const uint64_t *keys, size_t lo, size_t hi, uint64_t x, int after) {
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (keys[mid] < x || (after && keys[mid] == x))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int ctxlab_ngram_find_row(const ctxlab_ngram_order *o, uint64_t ctx, unsigned bits, size_t *begin,
                          size_t *end) {
  const uint64_t first = ctx << bits, last = first | low_mask(bits);
  const size_t lo = o->bucket[first >> o->bucket_shift],
               hi = o->bucket[(last >> o->bucket_shift) + 1];
  *begin = search(o->keys, lo, hi, first, 0);
  *end = search(o->keys, *begin, hi, last, 1);
  return *end > *begin;
}

/* bucket[i] = the first entry whose key's top bits (key >> shift) are >= i,
 * for 2^r buckets, 2 <= 2^r <= max(n/2, 2): a row is found by a binary search
 * inside the buckets its keys fall in (a few entries each, when the keys are
 * spread). */
static int index_order(ctxlab_ngram_order *o, unsigned k, unsigned bits, ctxlab_error *err) {
  const unsigned width = (k + 1) * bits;
  unsigned r = 1;
  while (r < width && ((size_t)1 << (r + 2)) <= o->n) r++;
  o->bucket_shift = width - r;
  const size_t nb = (size_t)1 << r;
  o->bucket = malloc((nb + 1) * sizeof *o->bucket);
  if (!o->bucket) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u index)", k);
  size_t i = 0;
  for (size_t b = 0; b <= nb; ++b) {
    while (i < o->n && (o->keys[i] >> o->bucket_shift) < b) i++;
    o->bucket[b] = (uint32_t)i;
  }
  return CTXLAB_OK;
}

/* D = n1 / (n1 + 2 n2) over the given counts (Ney, Essen & Kneser 1994; Chen
 * & Goodman 1998), with n1 taken as at least 1: an order without singletons
 * (every n-gram seen twice or more, as with a small V and much data) would
 * otherwise get D = 0 and give unseen tokens probability 0. */
static double estimate_discount(const uint64_t *counts, size_t n) {
  uint64_t n1 = 0, n2 = 0;
  for (size_t i = 0; i < n; ++i) {
    n1 += counts[i] == 1;
    n2 += counts[i] == 2;
  }
  if (n1 == 0) n1 = 1;
  return (double)n1 / ((double)n1 + 2.0 * (double)n2);
}

int ctxlab_ngram_build(ctxlab_ngram *g, ctxlab_error *err) {
  if (g->built) return CTXLAB_OK;
  ctxlab_ngram_orders_free(g);
  const unsigned c = g->order, b = g->bits;
  size_t n = g->top.size;
  for (unsigned k = 0; k < c; ++k) n += g->heads[k].n;
  gram *a = malloc((n ? n : 1) * sizeof *a);
  g->orders = calloc(c + 1, sizeof *g->orders);
  int st = CTXLAB_OK;
  if (!a || !g->orders) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%zu n-grams)", n);
    goto cleanup;
  }
  /* counts stay below 2^57: a stream that long (1.4e17 tokens) is not read */
  size_t m = 0;
  for (size_t s = 0; g->top.slots && s <= g->top.mask; ++s)
    if (g->top.slots[s].value)
      a[m++] = make_gram(g->top.slots[s].key, g->top.slots[s].value, c + 1);
  for (unsigned k = 0; k < c; ++k)
    for (size_t i = 0; i < g->heads[k].n; ++i)
      a[m++] = make_gram(g->heads[k].keys[i], g->heads[k].counts[i], k + 1);
  st = derive(a, n, c, b, g->vocab, g->orders, err);
  for (unsigned k = 0; !st && k <= c; ++k) {
    ctxlab_ngram_order *o = &g->orders[k];
    st = index_order(o, k, b, err);
    const double fixed = g->fixed_discount;
    o->discount_raw = fixed > 0 ? fixed : estimate_discount(o->raw, o->n);
    o->discount_cont = fixed > 0 ? fixed : o->cont ? estimate_discount(o->cont, o->n) : 0;
  }
cleanup:
  free(a);
  if (st)
    ctxlab_ngram_orders_free(g);
  else
    g->built = 1;
  return st;
}
