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

/* Bits a radix pass sorts on, at most.  A pass scatters 16-byte grams into
 * 2^bits streams; measured here (1e7 grams, 2 to 256 streams), a pass costs
 * about 4 ns a gram up to 64 streams and 13 to 20 ns from 128 on (more
 * streams than the first-level TLB and write buffers follow), so two 4-bit
 * passes beat one 8-bit pass by 2x. */
enum { MAX_DIGIT = 6 };

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

/* An order's keys, raw and cont share one block (keys first): fewer, larger
 * allocations, and the top order's block can be a sorting buffer reused. */
void ctxlab_ngram_order_free(ctxlab_ngram_order *o) {
  free(o->keys);
  free(o->bucket);
  memset(o, 0, sizeof *o);
}

void ctxlab_ngram_orders_free(ctxlab_ngram *g) {
  if (g->orders)
    for (unsigned k = 0; k <= g->order; ++k) ctxlab_ngram_order_free(&g->orders[k]);
  free(g->orders);
  g->orders = NULL;
  g->built = 0;
}

/* D = n1 / (n1 + 2 n2) (Ney, Essen & Kneser 1994; Chen & Goodman 1998), n_r
 * the number of counts equal to r, with n1 taken as at least 1: an order
 * without singletons (every n-gram seen twice or more, as with a small V and
 * much data) would otherwise get D = 0 and give unseen tokens probability 0. */
static double estimate_discount(uint64_t n1, uint64_t n2) {
  if (n1 == 0) n1 = 1;
  return (double)n1 / ((double)n1 + 2.0 * (double)n2);
}

/* Tallies of the counts equal to 1 and 2, for estimate_discount. */
typedef struct tally {
  uint64_t n1, n2;
} tally;

static void tally_add(tally *t, uint64_t count) {
  t->n1 += count == 1;
  t->n2 += count == 2;
}

/* Order j from the grams sorted by their last j+1 tokens: its keys, counts,
 * and (j < top) continuation counts: the distinct tokens at position j+1
 * from the end among a run's grams of j+2 tokens or more, marked in seen[]
 * (V entries, zero on entry) with the run's number.  The arrays go into one
 * block: `room` (a free buffer of at least n grams, shrunk to fit and owned
 * by the order from then on) when not NULL, else a new allocation.  Sets
 * the order's estimated discounts too (tallied here, while the counts are in
 * cache, rather than by another pass over them). */
static int scan_order(const gram *a, size_t n, unsigned j, unsigned top, unsigned bits,
                      uint32_t *seen, uint32_t vocab, gram *room, ctxlab_ngram_order *o,
                      ctxlab_error *err) {
  const uint64_t mask = low_mask((j + 1) * bits), token = low_mask(bits);
  size_t runs = 0;
  for (size_t i = 0; i < n; ++i) runs += i == 0 || (a[i].key & mask) != (a[i - 1].key & mask);
  const size_t arrays = j < top ? 3 : 2, bytes = (runs ? runs : 1) * arrays * sizeof(uint64_t);
  uint64_t *block = room ? realloc(room, bytes) : malloc(bytes);
  if (!block)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u: %zu n-grams)", j, runs);
  o->n = runs;
  o->keys = block;
  o->raw = block + runs;
  o->cont = j < top ? block + 2 * runs : NULL;
  size_t r = 0;
  tally raw = {0, 0}, cont = {0, 0};
  for (size_t i = 0; i < n; ++i) {
    if (i == 0 || (a[i].key & mask) != (a[i - 1].key & mask)) {
      if (i) {
        tally_add(&raw, o->raw[r]);
        if (o->cont) tally_add(&cont, o->cont[r]);
        r++;
      }
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
  if (runs) {
    tally_add(&raw, o->raw[r]);
    if (o->cont) tally_add(&cont, o->cont[r]);
  }
  o->discount_raw = estimate_discount(raw.n1, raw.n2);
  o->discount_cont = o->cont ? estimate_discount(cont.n1, cont.n2) : 0;
  for (uint32_t x = 0; o->cont && x < vocab; ++x) seen[x] = 0;
  return CTXLAB_OK;
}

/* The radix passes: pass p sorts on digit p % sub of token p / sub (token 0
 * the newest), a digit of `width` bits at most, never reaching into the next
 * token. */
typedef struct passes {
  unsigned bits, sub, width;
} passes;

static unsigned pass_token(const passes *r, unsigned p) { return p / r->sub; }
static unsigned pass_shift(const passes *r, unsigned p) {
  return p / r->sub * r->bits + p % r->sub * r->width;
}
static uint64_t pass_mask(const passes *r, unsigned p) {
  const unsigned used = p % r->sub * r->width;
  return low_mask(r->bits - used < r->width ? r->bits - used : r->width);
}

/* Histogram h of pass p's digits over the grams of a[0..n-1] that pass p
 * keeps (more than pass_token(p) tokens). */
static void histogram(const gram *a, size_t n, const passes *r, unsigned p, size_t *h) {
  const unsigned shift = pass_shift(r, p), token = pass_token(r, p);
  const uint64_t mask = pass_mask(r, p);
  for (size_t i = 0; i < n; ++i) h[a[i].key >> shift & mask] += a[i].count_len >> LEN_SHIFT > token;
}

/* One stable pass: the grams of src[0..n-1] that pass p keeps, by their
 * digit, into dst (h: pass p's histogram, turned into offsets here), while
 * counting pass p+1's digits into next (when not NULL): the next histogram
 * costs no extra read of the array.  Returns the number kept. */
static size_t scatter(const gram *src, size_t n, gram *dst, const passes *r, unsigned p,
                      size_t *h, size_t *next) {
  const size_t buckets = (size_t)1 << r->width;
  size_t kept = 0;
  for (size_t d = 0; d < buckets; ++d) {
    const size_t count = h[d];
    h[d] = kept;
    kept += count;
  }
  const unsigned shift = pass_shift(r, p), token = pass_token(r, p);
  const uint64_t mask = pass_mask(r, p);
  if (!next) {
    for (size_t i = 0; i < n; ++i)
      if (src[i].count_len >> LEN_SHIFT > token) dst[h[src[i].key >> shift & mask]++] = src[i];
    return kept;
  }
  const unsigned next_shift = pass_shift(r, p + 1), next_token = pass_token(r, p + 1);
  const uint64_t next_mask = pass_mask(r, p + 1);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t len = src[i].count_len >> LEN_SHIFT;
    if (len > token) {
      dst[h[src[i].key >> shift & mask]++] = src[i];
      next[src[i].key >> next_shift & next_mask] += len > next_token;
    }
  }
  return kept;
}

/* Orders 0 .. top (keys, raw, and cont below top) of the n grams in buf[0]
 * (each of 1 .. top+1 tokens), by the token-at-a-time radix sort described
 * above, buf[1] (room for n grams) being the other half of each pass.  A
 * token wider than MAX_DIGIT bits takes several passes, low bits first.  The
 * top order's arrays are written into whichever buffer the last pass leaves
 * free, which then belongs to the order (its pointer in buf[] set to NULL):
 * that memory is already paged in, where a fresh allocation is zeroed page
 * by page by the kernel, the largest single cost of building large tables
 * (perf: clear_page).  The caller frees what is left in buf[]. */
static int derive(gram *buf[2], size_t n, unsigned top, unsigned bits, uint32_t vocab,
                  ctxlab_ngram_order *out, ctxlab_error *err) {
  if (n >= UINT32_MAX)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "too many distinct n-grams (%zu)", n);
  passes r = {bits, (bits + MAX_DIGIT - 1) / MAX_DIGIT, 0};
  r.width = (bits + r.sub - 1) / r.sub;
  const size_t buckets = (size_t)1 << r.width;
  size_t *hist = calloc(2 * buckets, sizeof *hist); /* this pass's and the next's */
  uint32_t *seen = calloc(vocab, sizeof *seen);
  int st = CTXLAB_OK;
  if (!hist || !seen) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (sorting %zu n-grams)", n);
    goto cleanup;
  }
  histogram(buf[0], n, &r, 0, hist);
  unsigned from = 0; /* buf[from] holds the grams */
  const unsigned last = (top + 1) * r.sub - 1;
  for (unsigned p = 0; p <= last; ++p, from ^= 1) {
    size_t *h = hist + (p & 1) * buckets, *next = p < last ? hist + (~p & 1) * buckets : NULL;
    if (next) memset(next, 0, buckets * sizeof *next);
    n = scatter(buf[from], n, buf[from ^ 1], &r, p, h, next);
    if (p % r.sub != r.sub - 1) continue;
    /* the grams, now in buf[from ^ 1], are sorted by their last j+1 tokens */
    const unsigned j = pass_token(&r, p);
    gram *room = j == top ? buf[from] : NULL;
    st = scan_order(buf[from ^ 1], n, j, top, bits, seen, vocab, room, &out[j], err);
    if (st) goto cleanup;
    if (room) buf[from] = NULL;
  }
cleanup:
  free(hist);
  free(seen);
  return st;
}

int ctxlab_ngram_marginal(const uint64_t *keys, const uint64_t *raw, size_t n, unsigned k,
                          unsigned bits, uint32_t vocab, ctxlab_ngram_order *out,
                          ctxlab_error *err) {
  memset(out, 0, sizeof *out);
  gram *buf[2] = {malloc((n ? n : 1) * sizeof(gram)), malloc((n ? n : 1) * sizeof(gram))}, *a = buf[0];
  ctxlab_ngram_order *orders = calloc(k + 2, sizeof *orders);
  int st = CTXLAB_OK;
  if (!a || !buf[1] || !orders)
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u: %zu n-grams)", k, n);
  for (size_t i = 0; !st && i < n; ++i) {
    if (raw[i] > COUNT_MASK)
      st = ctxlab_error_set(err, CTXLAB_EINVAL, "count %llu is too large",
                            (unsigned long long)raw[i]);
    a[i] = make_gram(keys[i], raw[i], k + 2);
  }
  if (!st) st = derive(buf, n, k + 1, bits, vocab, orders, err);
  if (!st) {
    *out = orders[k];
    memset(&orders[k], 0, sizeof orders[k]);
  }
  for (unsigned j = 0; orders && j <= k + 1; ++j) ctxlab_ngram_order_free(&orders[j]);
  free(orders);
  free(buf[0]);
  free(buf[1]);
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
 * spread).  Built as a prefix sum of the number of keys under each top-bits
 * value: one branch-free pass over the sorted keys. */
static int index_order(ctxlab_ngram_order *o, unsigned k, unsigned bits, ctxlab_error *err) {
  const unsigned width = (k + 1) * bits;
  unsigned r = 1;
  while (r < width && ((size_t)1 << (r + 2)) <= o->n) r++;
  o->bucket_shift = width - r;
  const size_t nb = (size_t)1 << r;
  o->bucket = calloc(nb + 1, sizeof *o->bucket);
  if (!o->bucket) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u index)", k);
  for (size_t i = 0; i < o->n; ++i) o->bucket[(o->keys[i] >> o->bucket_shift) + 1]++;
  for (size_t b = 1; b <= nb; ++b) o->bucket[b] += o->bucket[b - 1];
  return CTXLAB_OK;
}

int ctxlab_ngram_build(ctxlab_ngram *g, ctxlab_error *err) {
  if (g->built) return CTXLAB_OK;
  ctxlab_ngram_orders_free(g);
  const unsigned c = g->order, b = g->bits;
  size_t n = g->top.size + g->spill_n;
  for (unsigned k = 0; k < c; ++k) n += g->heads[k].n;
  gram *buf[2] = {malloc((n ? n : 1) * sizeof(gram)), malloc((n ? n : 1) * sizeof(gram))}, *a = buf[0];
  g->orders = calloc(c + 1, sizeof *g->orders);
  int st = CTXLAB_OK;
  if (!a || !buf[1] || !g->orders) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%zu n-grams)", n);
    goto cleanup;
  }
  /* counts stay below 2^57: a stream that long (1.4e17 tokens) is not read */
  size_t m = 0;
  for (size_t s = 0; g->top.slots && s <= g->top.mask; ++s)
    if (g->top.slots[s].value)
      a[m++] = make_gram(g->top.slots[s].key, g->top.slots[s].value, c + 1);
  for (size_t i = 0; i < g->spill_n; ++i) a[m++] = make_gram(g->spill[i], 1, c + 1);
  for (unsigned k = 0; k < c; ++k)
    for (size_t i = 0; i < g->heads[k].n; ++i)
      a[m++] = make_gram(g->heads[k].keys[i], g->heads[k].counts[i], k + 1);
  st = derive(buf, n, c, b, g->vocab, g->orders, err);
  for (unsigned k = 0; !st && k <= c; ++k) {
    ctxlab_ngram_order *o = &g->orders[k];
    st = index_order(o, k, b, err);
    if (g->fixed_discount > 0) o->discount_raw = o->discount_cont = g->fixed_discount;
  }
cleanup:
  free(buf[0]);
  free(buf[1]);
  if (st)
    ctxlab_ngram_orders_free(g);
  else
    g->built = 1;
  return st;
}
