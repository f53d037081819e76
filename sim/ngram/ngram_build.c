/* The n-gram model's orders, derived from what fit counts: the top order's
 * counts n_c (a hash table, plus a plain array of windows' keys once the
 * table would grow past the caches) and the stream heads.
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
 * How.  One least-significant-digit radix sort of the counted m-grams,
 * newest token first: once the passes have sorted the last j+1 tokens (0 =
 * the newest), the array is in order j's order (its key, oldest token most
 * significant).  So the sort leaves each order in turn in runs, one per
 * n-gram g: the run's counts add up to n_j(g), and the distinct tokens just
 * before g among its m-grams number N1+(. g).  One sort and c + 1 scans,
 * instead of a sort per order.  Orders small enough for a dense array of
 * counts (keys of up to DENSE_BITS bits) are summed from the order above
 * instead of scanned (dense_order), so the sort need not stop at them: the
 * spilled keys' passes take digits across their tokens
 * (ctxlab_ngram_key_digits), the grams' passes one token at a time.
 *
 * Two arrays are sorted side by side, each the cheaper way for what it
 * holds: the table's n-grams and the heads as `gram`s (key, count, length;
 * few, each standing for many windows), and the spilled windows as bare
 * keys (as many as windows, each of count 1 and length c+1: 4 bytes when
 * (c+1) b <= 32, else 8, so that a pass moves a quarter or half the bytes).
 * At each order the scan merges the two sorted arrays.  An order's keys
 * are stored in 32 bits where they fit (or their low 32 bits), its counts in
 * a byte (ngram.h).
 * tests/unit/test_ngram_brute.c checks the result against direct counting. */
#include <stdlib.h>
#include <string.h>

#include "sim/ngram/ngram.h"
#include "sim/ngram/ngram_radix.h"
#include "sim/ngram/ngram_runs.h"

/* Orders of keys this wide or narrower are summed from the order above
 * (dense_order) rather than scanned. */
enum { DENSE_BITS = 20 };

/* Whether order j (of top) is summed from the order above. */
static int summed(unsigned j, unsigned top, unsigned bits) {
  return j < top && (j + 1) * bits <= DENSE_BITS;
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

static void counts_free(ctxlab_ngram_counts *c) {
  free(c->low);
  free(c->big);
  free(c->rank);
}

void ctxlab_ngram_order_free(ctxlab_ngram_order *o) {
  free(o->keys);
  free(o->keys32);
  counts_free(&o->raw);
  counts_free(&o->cont);
  free(o->bucket);
  memset(o, 0, sizeof *o);
}

/* counts' entries 0 .. n-1 into out (0 when there are none). */
static void counts_unpack(const ctxlab_ngram_counts *c, size_t n, uint64_t *out) {
  size_t big = 0;
  if (!c->low) memset(out, 0, n * sizeof *out);
  for (size_t i = 0; c->low && i < n; ++i) out[i] = ctxlab_ngram_counts_next(c, i, &big);
}

void ctxlab_ngram_order_unpack(const ctxlab_ngram_order *o, uint64_t *keys, uint64_t *raw,
                               uint64_t *cont) {
  if (raw) counts_unpack(&o->raw, o->n, raw);
  if (cont) counts_unpack(&o->cont, o->n, cont);
  if (!keys) return;
  if (!o->keys32 || o->key_bits <= 32) {
    for (size_t i = 0; i < o->n; ++i) keys[i] = ctxlab_ngram_key(o, i);
    return;
  }
  /* the low 32 bits stored, the rest that of the bucket, 2^bucket_shift keys
   * each (bucket_shift <= 32) */
  const size_t buckets = (size_t)1 << (o->key_bits - o->bucket_shift);
  for (size_t b = 0; b < buckets; ++b)
    for (size_t i = o->bucket[b]; i < o->bucket[b + 1]; ++i)
      keys[i] = (uint64_t)b << o->bucket_shift >> 32 << 32 | o->keys32[i];
}

void ctxlab_ngram_orders_free(ctxlab_ngram *g) {
  if (g->orders)
    for (unsigned k = 0; k <= g->order; ++k) ctxlab_ngram_order_free(&g->orders[k]);
  free(g->orders);
  g->orders = NULL;
  g->built = 0;
}

/* The two arrays being sorted: grams in ga[ga_from] (na of them, ga[1 -
 * ga_from] the other half of each pass) and keys in gk[gk_from] (nk of
 * key_bytes = 4 or 8 bytes each). */
typedef struct sort_state {
  gram *ga[2];
  void *gk[2];
  size_t na, nk;
  unsigned key_bytes, ga_from, gk_from;
  uint64_t total; /* the counts of the grams and keys added up */
  passes pa;
  key_digit kd[64]; /* the key passes' digits (ctxlab_ngram_key_digits) */
  unsigned nkd;
  size_t *ha, *hk; /* two histograms each: this pass's and the next's */
  const ctxlab_ngram_list *heads; /* heads[k]: the streams' first k+1 tokens, or NULL */
  void *gk_room;                  /* gk[1]'s allocation (derive) */
} sort_state;

/* The pass on key digit p, counting digit p + 1 into next (when not NULL). */
static void key_pass(sort_state *s, unsigned p, size_t *h, size_t *next, write_combined *wc) {
  const key_digit after = next ? s->kd[p + 1] : (key_digit){0, 0};
  ctxlab_ngram_key_pass(s->gk[s->gk_from], s->nk, s->gk[s->gk_from ^ 1], s->key_bytes, s->kd[p],
                        h, after, next, wc);
  if (s->nk) s->gk_from ^= 1;
}

/* Order j from the keys and grams, both sorted by their last j+1 tokens. */
static int scan_order(sort_state *s, unsigned j, unsigned top, unsigned bits, uint32_t vocab,
                      int with_cont, uint32_t *seen, void *room, ctxlab_ngram_order *o,
                      ctxlab_error *err) {
  run_writer w;
  int st =
      ctxlab_ngram_writer_open(&w, o, j, top, bits, vocab, with_cont, seen, s->na + s->nk,
                               s->total, room, err);
  if (st) return st;
  /* runs started by more than 20% of the keys: no branch on it (run_writer);
   * as many entries as runs, about, their pages mapped at once */
  const double rate = ctxlab_ngram_key_run_rate(s->gk[s->gk_from], s->key_bytes, s->nk, w.mask);
  w.every = rate > 0.2;
  if (w.every) ctxlab_ngram_writer_prefault(&w, (size_t)(rate * (double)s->nk), room == NULL);
  ctxlab_ngram_key_scan(s->gk[s->gk_from], s->key_bytes, s->nk, &w, s->ga[s->ga_from], s->na);
  return ctxlab_ngram_writer_close(&w, j, vocab, err);
}

/* Order j < top from order j+1 (up, built) and the streams' first j+1
 * tokens (heads, or NULL), by the definitions: n_j(g) = sum_a n_{j+1}(a g)
 * + [g heads a stream], N1+(. g) = #{a : n_{j+1}(a g) > 0}, summed in dense
 * arrays indexed by g (2^((j+1) b) entries, at most 2^DENSE_BITS).  For
 * orders that small this costs a read of order j+1 instead of a scan of
 * every window: measured here (V = 16, c = 6, 1e7 windows), 150 ms of scans
 * for orders 0 .. 4 become a few ms. */
static int dense_order(const ctxlab_ngram_order *up, const ctxlab_ngram_list *heads, unsigned j,
                       unsigned top, unsigned bits, uint32_t vocab, int with_cont,
                       uint32_t *seen, ctxlab_ngram_order *o, ctxlab_error *err) {
  const size_t slots = (size_t)1 << ((j + 1) * bits), nh = heads ? heads->n : 0;
  const uint64_t mask = slots - 1;
  uint64_t *raw = calloc(slots, sizeof *raw);
  uint32_t *cont = with_cont ? calloc(slots, sizeof *cont) : NULL;
  int st = raw && (cont || !with_cont)
               ? CTXLAB_OK
               : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u)", j);
  if (!st) {
    size_t big = 0;
    uint64_t total = 0;
    for (size_t e = 0; e < up->n; ++e) { /* the keys' low DENSE_BITS bits suffice */
      const uint64_t g = ctxlab_ngram_key(up, e) & mask;
      const uint64_t n = ctxlab_ngram_counts_next(&up->raw, e, &big);
      raw[g] += n;
      total += n;
      if (cont) cont[g]++;
    }
    for (size_t i = 0; i < nh; ++i) {
      raw[heads->keys[i]] += heads->counts[i];
      total += heads->counts[i];
    }
    run_writer w;
    st = ctxlab_ngram_writer_open(&w, o, j, top, bits, vocab, with_cont, seen, up->n + nh, total,
                                  NULL, err);
    for (uint64_t g = 0; !st && g < slots; ++g)
      if (raw[g]) put_run(&w, g, raw[g], cont ? cont[g] : 0);
    if (!st) st = ctxlab_ngram_writer_close(&w, j, vocab, err);
  }
  free(raw);
  free(cont);
  return st;
}

/* Orders 0 .. top (keys, raw, and cont below top when with_cont) of the
 * grams ga[0] and keys gk[0], gk[1] being the other half of each key pass
 * (NULL when nk = 0).  gk[1] lies `lead` >= na keys into the allocation
 * gk_room, and the top order's keys go to gk_room, which the order then
 * owns (gk_room set to NULL): memory already paged in, where fresh memory
 * costs about 0.4 s/GB here.  That holds even when the last pass left the
 * keys in gk[1] that the top order's scan reads: the scan writes a run's
 * key only after reading it, and no more runs than grams and keys read, so
 * its writes stay behind its reads by the lead.  gk[0] keeps its keys,
 * permuted. */
static int derive(sort_state *s, unsigned top, unsigned bits, uint32_t vocab, int with_cont,
                  ctxlab_ngram_order *out, ctxlab_error *err) {
  if (s->na + s->nk >= UINT32_MAX)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "too many distinct n-grams (%zu)", s->na + s->nk);
  s->pa = passes_for(bits, GRAM_DIGIT);
  unsigned first = 0; /* the first order scanned */
  while (summed(first, top, bits)) first++;
  s->nkd = ctxlab_ngram_key_digits(bits, first, top, s->key_bytes, s->kd);
  const size_t ba = (size_t)1 << s->pa.width, bk = (size_t)1 << KEY_DIGIT;
  s->ha = calloc(2 * ba, sizeof *s->ha);
  s->hk = calloc(2 * bk, sizeof *s->hk);
  uint32_t *seen = calloc(vocab, sizeof *seen);
  write_combined *wc = s->nk ? ctxlab_ngram_write_combined_new() : NULL;
  int st = CTXLAB_OK;
  if (!s->ha || !s->hk || !seen || (s->nk && !wc)) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (sorting %zu n-grams)", s->na + s->nk);
    goto cleanup;
  }
  s->total = s->nk;
  for (size_t i = 0; i < s->na; ++i) s->total += s->ga[0][i].count_len & COUNT_MASK;
  const unsigned last_a = (top + 1) * s->pa.sub - 1;
  ctxlab_ngram_gram_histogram(s->ga[0], s->na, &s->pa, 0, s->ha);
  ctxlab_ngram_key_histogram(s->gk[0], s->key_bytes, s->nk, s->kd[0], s->hk);
  unsigned kp = 0; /* the next key digit */
  for (unsigned j = 0; j <= top; ++j) {
    /* keys: the passes up to order j's last bit, where order j is scanned */
    for (; j >= first && kp < s->nkd && s->kd[kp].shift < (j + 1) * bits; ++kp) {
      size_t *h = s->hk + (kp & 1) * bk, *next = kp + 1 < s->nkd ? s->hk + (~kp & 1) * bk : NULL;
      if (next) memset(next, 0, bk * sizeof *next);
      key_pass(s, kp, h, next, wc);
    }
    /* grams: the passes on token j, dropping those of j tokens */
    for (unsigned p = j * s->pa.sub; p < (j + 1) * s->pa.sub; ++p) {
      size_t *h = s->ha + (p & 1) * ba, *next = p < last_a ? s->ha + (~p & 1) * ba : NULL;
      if (next) memset(next, 0, ba * sizeof *next);
      s->na = ctxlab_ngram_gram_scatter(s->ga[s->ga_from], s->na, s->ga[s->ga_from ^ 1], &s->pa, p,
                                        h, next);
      s->ga_from ^= 1;
    }
    if (summed(j, top, bits)) continue; /* dense_order, below */
    /* both sorted by their last j+1 tokens: order j; the top order's keys
     * (as wide as the sorted ones) into gk_room (see above) */
    void *room = j == top ? s->gk_room : NULL;
    st = scan_order(s, j, top, bits, vocab, with_cont, seen, room, &out[j], err);
    if (room) s->gk_room = NULL;
    if (st) goto cleanup;
  }
  for (unsigned j = top; !st && j-- > 0;)
    if (summed(j, top, bits))
      st = dense_order(&out[j + 1], s->heads ? &s->heads[j] : NULL, j, top, bits, vocab,
                       with_cont, seen, &out[j], err);
cleanup:
  free(s->ha);
  free(s->hk);
  free(seen);
  free(wc);
  return st;
}

int ctxlab_ngram_marginal(const uint64_t *keys, const uint64_t *raw, size_t n, unsigned k,
                          unsigned bits, uint32_t vocab, ctxlab_ngram_order *out,
                          ctxlab_error *err) {
  memset(out, 0, sizeof *out);
  sort_state s = {.ga = {malloc((n ? n : 1) * sizeof(gram)), malloc((n ? n : 1) * sizeof(gram))},
                  .na = n};
  ctxlab_ngram_order *orders = calloc(k + 2, sizeof *orders);
  int st = CTXLAB_OK;
  if (!s.ga[0] || !s.ga[1] || !orders)
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (order %u: %zu n-grams)", k, n);
  for (size_t i = 0; !st && i < n; ++i) {
    if (raw[i] > COUNT_MASK)
      st = ctxlab_error_set(err, CTXLAB_EINVAL, "count %llu is too large",
                            (unsigned long long)raw[i]);
    s.ga[0][i] = make_gram(keys[i], raw[i], k + 2);
  }
  if (!st) st = derive(&s, k + 1, bits, vocab, 0, orders, err);
  if (!st) {
    *out = orders[k];
    memset(&orders[k], 0, sizeof orders[k]);
  }
  for (unsigned j = 0; orders && j <= k + 1; ++j) ctxlab_ngram_order_free(&orders[j]);
  free(orders);
  free(s.ga[0]);
  free(s.ga[1]);
  return st;
}

/* First index in o's keys [lo, hi) whose key as stored is >= x (or > x when
 * `after`). */
static size_t search(const ctxlab_ngram_order *o, size_t lo, size_t hi, uint64_t x, int after) {
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const uint64_t key = ctxlab_ngram_key(o, mid);
    if (key < x || (after && key == x))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int ctxlab_ngram_find_row(const ctxlab_ngram_order *o, uint64_t ctx, unsigned bits, size_t *begin,
                          size_t *end) {
  const uint64_t first = ctx << bits, last = first | ctxlab_ngram_low_mask(bits);
  const size_t lo = o->bucket[first >> o->bucket_shift],
               hi = o->bucket[(last >> o->bucket_shift) + 1];
  /* keys of [lo, hi) differ in their low bucket_shift <= 32 bits only when
   * stored in 32 bits (b <= 32: first and last differ there only too) */
  *begin = search(o, lo, hi, ctxlab_ngram_key_stored(o, first), 0);
  *end = search(o, *begin, hi, ctxlab_ngram_key_stored(o, last), 1);
  return *end > *begin;
}

int ctxlab_ngram_build(ctxlab_ngram *g, ctxlab_error *err) {
  if (g->built) return CTXLAB_OK;
  ctxlab_ngram_orders_free(g);
  const unsigned c = g->order, b = g->bits;
  size_t na = g->top.size;
  for (unsigned k = 0; k < c; ++k) na += g->heads[k].n;
  const size_t nk = g->spill_n;
  /* derive's lead: na keys rounded up to a cache line (the passes' lines) */
  const size_t lead = (na + 15) / 16 * 16;
  sort_state s = {.ga = {malloc((na ? na : 1) * sizeof(gram)),
                         malloc((na ? na : 1) * sizeof(gram))},
                  .gk_room = nk ? ctxlab_ngram_keys_alloc(lead + nk, g->key_bytes) : NULL,
                  .na = na,
                  .nk = nk,
                  .key_bytes = g->key_bytes,
                  .heads = g->heads};
  if (s.gk_room) ctxlab_ngram_prefault(s.gk_room, (lead + nk) * g->key_bytes);
  s.gk[0] = g->spill;
  s.gk[1] = s.gk_room ? (char *)s.gk_room + lead * g->key_bytes : NULL;
  g->orders = calloc(c + 1, sizeof *g->orders);
  int st = CTXLAB_OK;
  if (!s.ga[0] || !s.ga[1] || (nk && !s.gk_room) || !g->orders) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%zu n-grams)", na + nk);
    goto cleanup;
  }
  /* counts stay below 2^57: a stream that long (1.4e17 tokens) is not read */
  size_t m = 0;
  for (size_t i = 0; g->top.slots && i <= g->top.mask; ++i)
    if (g->top.slots[i].value)
      s.ga[0][m++] = make_gram(g->top.slots[i].key, g->top.slots[i].value, c + 1);
  for (unsigned k = 0; k < c; ++k)
    for (size_t i = 0; i < g->heads[k].n; ++i)
      s.ga[0][m++] = make_gram(g->heads[k].keys[i], g->heads[k].counts[i], k + 1);
  st = derive(&s, c, b, g->vocab, g->continuation, g->orders, err); /* leaves g->spill permuted */
  for (unsigned k = 0; !st && g->fixed_discount > 0 && k <= c; ++k)
    g->orders[k].discount_raw = g->orders[k].discount_cont = g->fixed_discount;
cleanup:
  free(s.ga[0]);
  free(s.ga[1]);
  free(s.gk_room);
  if (st)
    ctxlab_ngram_orders_free(g);
  else
    g->built = 1;
  return st;
}
