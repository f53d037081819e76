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
 * How.  One least-significant-digit radix sort of the counted m-grams, one
 * token per digit, newest token first: after the pass on token j (0 = the
 * newest) the array is sorted by its last j+1 tokens, which is order j's key
 * (oldest most significant).  So each pass leaves order j in runs, one per
 * n-gram g: the run's counts add up to n_j(g), and the distinct tokens just
 * before g among its m-grams number N1+(. g).  c + 1 passes (and scans) in
 * all, instead of a sort per order.
 *
 * Two arrays are sorted side by side, each the cheaper way for what it
 * holds: the table's n-grams and the heads as `gram`s (key, count, length;
 * few, each standing for many windows), and the spilled windows as bare
 * keys (as many as windows, each of count 1 and length c+1: 4 bytes when
 * (c+1) b <= 32, else 8, so that a pass moves a quarter or half the bytes).
 * At each order the scan merges the two sorted arrays.  An order's keys
 * are stored in 32 bits where they fit, its counts always (ngram.h).
 * tests/unit/test_ngram_brute.c checks the result against direct counting. */
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sim/ngram/ngram.h"

/* A counted m-gram: its m tokens packed in key, its count in the low 57 bits
 * of count_len and m (1 .. 64) in the top 7. */
typedef struct gram {
  uint64_t key, count_len;
} gram;

#define LEN_SHIFT 57
#define COUNT_MASK ((UINT64_C(1) << LEN_SHIFT) - 1)

static gram make_gram(uint64_t key, uint64_t count, unsigned len) {
  return (gram){key, count | (uint64_t)len << LEN_SHIFT};
}

/* Bits a radix pass sorts on, at most.  Grams (16 bytes) are scattered
 * straight into 2^bits streams; measured here (1e7 grams, 2 to 256
 * streams), a pass costs about 4 ns a gram up to 64 streams and 13 to 20 ns
 * from 128 on (more streams than the first-level TLB and write buffers
 * follow), so two 4-bit passes beat one 8-bit pass by 2x.  Keys (8 bytes)
 * go through a cache line per stream first (write_combined), which makes an
 * 8-bit pass cost 40 ms per 1e7 keys against 83 ms scattered straight and
 * 48 ms for two 4-bit passes (24 ms, 62 ms and 34 ms for 4-byte keys).  Up
 * to 2^DIRECT_DIGIT streams, keys are scattered straight: 17 ms per 1e7
 * 4-byte keys into 16 streams, 27 ms through write_combined. */
enum { GRAM_DIGIT = 6, KEY_DIGIT = 8, DIRECT_DIGIT = 5 };

/* Orders of keys this wide or narrower are summed from the order above
 * (dense_order) rather than scanned. */
enum { DENSE_BITS = 20 };

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

void ctxlab_ngram_order_free(ctxlab_ngram_order *o) {
  free(o->keys);
  free(o->keys32);
  free(o->raw);
  free(o->cont);
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

/* ---- the scan: one order's runs, fed a key at a time in sorted order ---- */

/* Writes order j from its (k+1)-grams fed in ascending order of their last
 * j+1 tokens: a run per distinct g, its counts summed (raw) and, below the
 * top, the distinct tokens just before g among its grams of j+2 tokens or
 * more counted (cont), each marked in seen[] (V entries, zero on entry) with
 * the run's number.  Tallies the counts equal to 1 and 2 on the way, for
 * estimate_discount, while they are in registers. */
typedef struct run_writer {
  ctxlab_ngram_order *o;
  uint64_t mask;          /* the last j+1 tokens */
  unsigned before_shift;  /* (j+1) b: the token just before g */
  unsigned bits;          /* b */
  uint64_t token;         /* 2^b - 1 */
  unsigned cont_len;      /* j + 2: grams this long or longer add to cont; 0 at the top */
  unsigned bucket_shift;  /* o->bucket_shift */
  uint32_t *seen;
  size_t cap, r;          /* entries allocated, runs closed */
  uint64_t key, raw;      /* the open run (open: raw > 0) */
  uint32_t cont;
  uint64_t raw_n1, raw_n2, cont_n1, cont_n2, largest;
} run_writer;

static inline void close_run(run_writer *w) {
  if (!w->raw) return;
  ctxlab_ngram_order *o = w->o;
  if (o->keys32)
    o->keys32[w->r] = (uint32_t)w->key;
  else
    o->keys[w->r] = w->key;
  o->raw[w->r] = (uint32_t)w->raw;
  o->bucket[(w->key >> w->bucket_shift) + 1] = (uint32_t)(w->r + 1); /* see writer_open */
  w->largest = w->raw > w->largest ? w->raw : w->largest;
  w->raw_n1 += w->raw == 1;
  w->raw_n2 += w->raw == 2;
  if (o->cont) {
    o->cont[w->r] = w->cont;
    w->cont_n1 += w->cont == 1;
    w->cont_n2 += w->cont == 2;
  }
  w->r++;
  w->raw = 0;
}

/* A whole run at once: the n-gram g with its counts. */
static void put_run(run_writer *w, uint64_t g, uint64_t raw, uint32_t cont) {
  w->key = g;
  w->raw = raw;
  w->cont = cont;
  close_run(w);
}

static inline void feed(run_writer *w, uint64_t key, uint64_t count, unsigned len) {
  const uint64_t g = key & w->mask;
  if (g != w->key || !w->raw) {
    close_run(w);
    w->key = g;
    w->cont = 0;
  }
  w->raw += count;
  if (w->cont_len && len >= w->cont_len) {
    /* without a branch: whether a token was seen before in a run is as
     * unpredictable as a coin */
    const uint64_t before = key >> w->before_shift & w->token;
    const uint32_t mark = (uint32_t)(w->r + 1);
    w->cont += w->seen[before] != mark;
    w->seen[before] = mark;
  }
}

/* Feeds the grams a[*ia ..] whose order-j key is at most `upto` (all of them
 * when `all`). */
static inline void feed_grams_upto(run_writer *w, const gram *a, size_t na, size_t *ia,
                                   uint64_t upto, int all) {
  while (*ia < na && (all || (a[*ia].key & w->mask) <= upto)) {
    feed(w, a[*ia].key, a[*ia].count_len & COUNT_MASK, (unsigned)(a[*ia].count_len >> LEN_SHIFT));
    ++*ia;
  }
}

/* The entries order j can have: no more than the grams fed, nor V^(j+1). */
static size_t order_bound(size_t fed, unsigned j, uint32_t vocab) {
  size_t bound = 1;
  for (unsigned i = 0; i <= j && bound < fed; ++i)
    bound = bound > fed / vocab ? fed : bound * vocab;
  return bound < fed ? bound : fed ? fed : 1;
}

/* A writer for order j of at most `fed` grams; keys into keys_room (room for
 * `fed` keys of the order's type) when not NULL. */
static int writer_open(run_writer *w, ctxlab_ngram_order *o, unsigned j, unsigned top, unsigned bits,
                       uint32_t vocab, int with_cont, uint32_t *seen, size_t fed, void *keys_room,
                       ctxlab_error *err) {
  const int cont = with_cont && j < top;
  memset(w, 0, sizeof *w);
  memset(o, 0, sizeof *o);
  w->o = o;
  w->mask = low_mask((j + 1) * bits);
  w->before_shift = (j + 1) * bits;
  w->token = low_mask(bits);
  w->bits = bits;
  w->cont_len = cont ? j + 2 : 0;
  w->seen = seen;
  w->cap = keys_room ? fed : order_bound(fed, j, vocab);
  /* The row index (ctxlab_ngram_find_row): bucket[i] = the first entry
   * whose key's top bits (key >> bucket_shift) are >= i, for 2^r buckets,
   * 2 <= 2^r <= max(cap / 4, 2), so that a row is a binary search among a
   * few entries when the keys are spread.  As runs close, each stores the
   * number of runs so far in bucket[its top bits + 1]: the last store there
   * is the bucket's end, and writer_close carries each end forward over the
   * empty buckets after it (a running maximum; keys arrive ascending).  No
   * pass of its own over the keys, and a plain store rather than a count,
   * which would wait on the count before it when runs share a bucket. */
  const unsigned width = (j + 1) * bits;
  unsigned r = 1;
  while (r < width && ((size_t)1 << (r + 2)) <= w->cap) r++;
  o->bucket_shift = w->bucket_shift = width - r;
  o->bucket = calloc(((size_t)1 << r) + 1, sizeof *o->bucket);
  /* untouched pages of these cost nothing; close_writer returns the rest */
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

static int writer_close(run_writer *w, unsigned j, uint32_t vocab, ctxlab_error *err) {
  close_run(w);
  ctxlab_ngram_order *o = w->o;
  o->n = w->r;
  if (o->keys32)
    o->keys32 = shrink(o->keys32, o->n * sizeof *o->keys32);
  else
    o->keys = shrink(o->keys, o->n * sizeof *o->keys);
  o->raw = shrink(o->raw, o->n * sizeof *o->raw);
  if (o->cont) o->cont = shrink(o->cont, o->n * sizeof *o->cont);
  o->discount_raw = estimate_discount(w->raw_n1, w->raw_n2);
  o->discount_cont = o->cont ? estimate_discount(w->cont_n1, w->cont_n2) : 0;
  for (uint32_t x = 0; o->cont && x < vocab; ++x) w->seen[x] = 0;
  const size_t buckets = (size_t)1 << ((j + 1) * w->bits - o->bucket_shift);
  for (size_t b = 1; b <= buckets; ++b)
    if (o->bucket[b] < o->bucket[b - 1]) o->bucket[b] = o->bucket[b - 1];
  if (w->largest > UINT32_MAX)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "order %u: an n-gram counted %llu times, more than the 2^32 - 1 a "
                            "count holds",
                            j, (unsigned long long)w->largest);
  return CTXLAB_OK;
}

/* ---- radix passes ---- */

/* The radix passes of one array: pass p sorts on digit p % sub of token
 * p / sub (token 0 the newest), a digit of `width` bits at most, never
 * reaching into the next token. */
typedef struct passes {
  unsigned bits, sub, width;
} passes;

static passes passes_for(unsigned bits, unsigned max_digit) {
  passes r = {bits, (bits + max_digit - 1) / max_digit, 0};
  r.width = (bits + r.sub - 1) / r.sub;
  return r;
}
static unsigned pass_token(const passes *r, unsigned p) { return p / r->sub; }
static unsigned pass_shift(const passes *r, unsigned p) {
  return p / r->sub * r->bits + p % r->sub * r->width;
}
static uint64_t pass_mask(const passes *r, unsigned p) {
  const unsigned used = p % r->sub * r->width;
  return low_mask(r->bits - used < r->width ? r->bits - used : r->width);
}

/* h[d] := the number of items before digit d (h: the digits' histogram);
 * returns the total. */
static size_t offsets(size_t *h, size_t buckets) {
  size_t sum = 0;
  for (size_t d = 0; d < buckets; ++d) {
    const size_t count = h[d];
    h[d] = sum;
    sum += count;
  }
  return sum;
}

/* Histogram h of pass p's digits over the grams of a[0..n-1] that pass p
 * keeps (more than pass_token(p) tokens). */
static void gram_histogram(const gram *a, size_t n, const passes *r, unsigned p, size_t *h) {
  const unsigned shift = pass_shift(r, p), token = pass_token(r, p);
  const uint64_t mask = pass_mask(r, p);
  for (size_t i = 0; i < n; ++i) h[a[i].key >> shift & mask] += a[i].count_len >> LEN_SHIFT > token;
}

/* One stable pass: the grams of src[0..n-1] that pass p keeps, by their
 * digit, into dst (h: pass p's histogram, turned into offsets here), while
 * counting pass p+1's digits into next (when not NULL).  Returns the number
 * kept. */
static size_t gram_scatter(const gram *src, size_t n, gram *dst, const passes *r, unsigned p,
                           size_t *h, size_t *next) {
  const size_t kept = offsets(h, (size_t)1 << r->width);
  const unsigned shift = pass_shift(r, p), token = pass_token(r, p);
  const uint64_t mask = pass_mask(r, p);
  const unsigned next_shift = next ? pass_shift(r, p + 1) : 0, next_token = pass_token(r, p + 1);
  const uint64_t next_mask = next ? pass_mask(r, p + 1) : 0;
  size_t dummy[1];
  if (!next) next = dummy;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t len = src[i].count_len >> LEN_SHIFT;
    if (len > token) {
      dst[h[src[i].key >> shift & mask]++] = src[i];
      next[src[i].key >> next_shift & next_mask] += len > next_token;
    }
  }
  return kept;
}

/* Keys on their way to 2^KEY_DIGIT streams: each stream's next cache line
 * of output is filled here and written whole (Intel's optimization manual
 * calls this software write-combining). */
typedef struct write_combined {
  union {
    _Alignas(64) uint32_t k32[1 << KEY_DIGIT][16];
    uint64_t k64[1 << KEY_DIGIT][8];
  } line;
  size_t at[1 << KEY_DIGIT];    /* index in dst of the stream's next key */
  size_t first[1 << KEY_DIGIT]; /* index of the stream's first key */
} write_combined;

/* Orders the non-temporal stores before what follows them. */
static void wc_fence(void) {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

/* The length feed is told for a spilled window's key: c + 1 tokens, at least
 * as long as any order's continuation counts ask for. */
enum { KEY_LEN = 64 };

/* What a key pass does besides its scatter (ngram_key_pass.h): count the
 * next pass's digits; and whether it scatters the keys straight to their
 * streams rather than through write_combined. */
enum { PASS_NEXT = 1, PASS_DIRECT = 2 };

#define KEY_T uint32_t
#define KEY_FN(f) f##_u32
#define KEY_LINE line.k32
#include "sim/ngram/ngram_key_pass.h"
#undef KEY_T
#undef KEY_FN
#undef KEY_LINE
#define KEY_T uint64_t
#define KEY_FN(f) f##_u64
#define KEY_LINE line.k64
#include "sim/ngram/ngram_key_pass.h"
#undef KEY_T
#undef KEY_FN
#undef KEY_LINE

void *ctxlab_ngram_keys_alloc(size_t n, unsigned key_bytes) {
  const size_t lines = (n ? n : 1) / (64 / key_bytes) + 1;
  return lines > SIZE_MAX / 64 ? NULL : aligned_alloc(64, lines * 64);
}

void ctxlab_ngram_pack_windows(const ctxlab_ngram *g, const uint32_t *tokens, size_t n, void *out) {
  if (g->key_bytes == 4)
    pack_windows_u32(tokens, n, g->order + 1, g->bits, out);
  else
    pack_windows_u64(tokens, n, g->order + 1, g->bits, out);
}

/* ---- the whole derivation ---- */

/* The two arrays being sorted: grams in ga[ga_from] (na of them, ga[1 -
 * ga_from] the other half of each pass) and keys in gk[gk_from] (nk of
 * key_bytes = 4 or 8 bytes each). */
typedef struct sort_state {
  gram *ga[2];
  void *gk[2];
  size_t na, nk;
  unsigned key_bytes, ga_from, gk_from;
  passes pa, pk;
  size_t *ha, *hk; /* two histograms each: this pass's and the next's */
  const ctxlab_ngram_list *heads; /* heads[k]: the streams' first k+1 tokens, or NULL */
  void *gk_room;                  /* gk[1]'s allocation (derive) */
} sort_state;

static void key_pass(sort_state *s, unsigned p, size_t *h, size_t *next, write_combined *wc) {
  const void *src = s->gk[s->gk_from];
  void *dst = s->gk[s->gk_from ^ 1];
  if (s->key_bytes == 4)
    key_pass_u32(src, s->nk, dst, &s->pk, p, h, next, wc);
  else
    key_pass_u64(src, s->nk, dst, &s->pk, p, h, next, wc);
  if (s->nk) s->gk_from ^= 1;
}

/* Order j from the keys and grams, both sorted by their last j+1 tokens. */
static int scan_order(sort_state *s, unsigned j, unsigned top, unsigned bits, uint32_t vocab,
                      int with_cont, uint32_t *seen, void *room, ctxlab_ngram_order *o,
                      ctxlab_error *err) {
  run_writer w;
  int st = writer_open(&w, o, j, top, bits, vocab, with_cont, seen, s->na + s->nk, room, err);
  if (st) return st;
  if (s->key_bytes == 4)
    key_scan_u32(s->gk[s->gk_from], s->nk, &w, s->ga[s->ga_from], s->na);
  else
    key_scan_u64(s->gk[s->gk_from], s->nk, &w, s->ga[s->ga_from], s->na);
  return writer_close(&w, j, vocab, err);
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
    for (size_t e = 0; e < up->n; ++e) {
      const uint64_t g = ctxlab_ngram_key(up, e) & mask;
      raw[g] += up->raw[e];
      if (cont) cont[g]++;
    }
    for (size_t i = 0; i < nh; ++i) raw[heads->keys[i]] += heads->counts[i];
    run_writer w;
    st = writer_open(&w, o, j, top, bits, vocab, with_cont, seen, up->n + nh, NULL, err);
    for (uint64_t g = 0; !st && g < slots; ++g)
      if (raw[g]) put_run(&w, g, raw[g], cont ? cont[g] : 0);
    if (!st) st = writer_close(&w, j, vocab, err);
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
  s->pk = passes_for(bits, KEY_DIGIT);
  const size_t ba = (size_t)1 << s->pa.width, bk = (size_t)1 << s->pk.width;
  s->ha = calloc(2 * ba, sizeof *s->ha);
  s->hk = calloc(2 * bk, sizeof *s->hk);
  uint32_t *seen = calloc(vocab, sizeof *seen);
  write_combined *wc = s->nk ? aligned_alloc(64, sizeof *wc) : NULL;
  int st = CTXLAB_OK;
  if (!s->ha || !s->hk || !seen || (s->nk && !wc)) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (sorting %zu n-grams)", s->na + s->nk);
    goto cleanup;
  }
  const unsigned last_a = (top + 1) * s->pa.sub - 1, last_k = (top + 1) * s->pk.sub - 1;
  gram_histogram(s->ga[0], s->na, &s->pa, 0, s->ha);
  if (s->key_bytes == 4)
    key_histogram_u32(s->gk[0], s->nk, &s->pk, 0, s->hk);
  else
    key_histogram_u64(s->gk[0], s->nk, &s->pk, 0, s->hk);
  for (unsigned j = 0; j <= top; ++j) {
    /* keys: the passes on token j */
    for (unsigned p = j * s->pk.sub; p < (j + 1) * s->pk.sub; ++p) {
      size_t *h = s->hk + (p & 1) * bk, *next = p < last_k ? s->hk + (~p & 1) * bk : NULL;
      if (next) memset(next, 0, bk * sizeof *next);
      key_pass(s, p, h, next, wc);
    }
    /* grams: the passes on token j, dropping those of j tokens */
    for (unsigned p = j * s->pa.sub; p < (j + 1) * s->pa.sub; ++p) {
      size_t *h = s->ha + (p & 1) * ba, *next = p < last_a ? s->ha + (~p & 1) * ba : NULL;
      if (next) memset(next, 0, ba * sizeof *next);
      s->na = gram_scatter(s->ga[s->ga_from], s->na, s->ga[s->ga_from ^ 1], &s->pa, p, h, next);
      s->ga_from ^= 1;
    }
    if (j < top && (j + 1) * bits <= DENSE_BITS) continue; /* dense_order, below */
    /* both sorted by their last j+1 tokens: order j; the top order's keys
     * (as wide as the sorted ones) into the free key buffer, if not fit's */
    void *room = j == top ? s->gk_room : NULL;
    st = scan_order(s, j, top, bits, vocab, with_cont, seen, room, &out[j], err);
    if (room) s->gk_room = NULL;
    if (st) goto cleanup;
  }
  for (unsigned j = top; !st && j-- > 0;)
    if ((j + 1) * bits <= DENSE_BITS)
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

/* First index in o's keys [lo, hi) whose key is >= x (or > x when `after`). */
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
  const uint64_t first = ctx << bits, last = first | low_mask(bits);
  const size_t lo = o->bucket[first >> o->bucket_shift],
               hi = o->bucket[(last >> o->bucket_shift) + 1];
  *begin = search(o, lo, hi, first, 0);
  *end = search(o, *begin, hi, last, 1);
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
  sort_state s = {.ga = {malloc((na ? na : 1) * sizeof(gram)), malloc((na ? na : 1) * sizeof(gram))},
                  .gk_room = nk ? ctxlab_ngram_keys_alloc(lead + nk, g->key_bytes) : NULL,
                  .na = na,
                  .nk = nk,
                  .key_bytes = g->key_bytes,
                  .heads = g->heads};
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
