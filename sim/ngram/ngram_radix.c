/* The radix passes of the n-gram model's build (sim/ngram/ngram_radix.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sim/ngram/ngram_radix.h"

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
void ctxlab_ngram_gram_histogram(const gram *a, size_t n, const passes *r, unsigned p, size_t *h) {
  const unsigned shift = pass_shift(r, p), token = pass_token(r, p);
  const uint64_t mask = pass_mask(r, p);
  for (size_t i = 0; i < n; ++i) h[a[i].key >> shift & mask] += a[i].count_len >> LEN_SHIFT > token;
}

/* One stable pass: the grams of src[0..n-1] that pass p keeps, by their
 * digit, into dst (h: pass p's histogram, turned into offsets here), while
 * counting pass p+1's digits into next (when not NULL).  Returns the number
 * kept. */
size_t ctxlab_ngram_gram_scatter(const gram *src, size_t n, gram *dst, const passes *r,
                                 unsigned p, size_t *h, size_t *next) {
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
 * of output (next 4 lines, up to 2^LINES4_DIGIT streams: lines 4d .. 4d+3
 * for stream d) is filled here and written whole (Intel's optimization
 * manual calls this software write-combining). */
struct write_combined {
  union {
    _Alignas(64) uint32_t k32[16 << KEY_DIGIT]; /* 1 << KEY_DIGIT lines */
    uint64_t k64[8 << KEY_DIGIT];
  } line;
  uint32_t at[1 << KEY_DIGIT];  /* index in dst of the stream's next key */
  uint32_t first[1 << KEY_DIGIT]; /* index of the stream's first key */
};
_Static_assert(4 << LINES4_DIGIT <= 1 << KEY_DIGIT, "4 lines a stream fit write_combined");

/* Orders the non-temporal stores before what follows them. */
static void wc_fence(void) {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

write_combined *ctxlab_ngram_write_combined_new(void) {
  return aligned_alloc(64, sizeof(write_combined));
}

/* What a key pass does besides its scatter (ngram_key_pass.h): count the
 * next pass's digits; whether it scatters the keys straight to their
 * streams rather than through write_combined; and whether a stream's block
 * there is 4 lines rather than 1 (LINES4_DIGIT). */
enum { PASS_NEXT = 1, PASS_DIRECT = 2, PASS_LINES4 = 4 };

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

/* A key pass's cost by the width of its digit, measured here (ms per 1e7
 * keys of 4 bytes, then of 8, counting the next digit as the passes do):
 * scattered straight up to DIRECT_DIGIT bits, through blocks of 4 lines up
 * to LINES4_DIGIT, of a line above.  A wide digit costs more per bit, a
 * narrow one is a pass more; which wins depends on both. */
static const unsigned char pass_ms[2][KEY_DIGIT + 1] = {
    {0, 16, 16, 16, 16, 18, 19, 19, 19, 22, 27, 32, 36, 38},
    {0, 23, 23, 23, 23, 26, 26, 26, 26, 29, 33, 36, 46, 50},
};

/* The cost of cutting span bits into `pieces` digits as even as can be. */
static unsigned span_cost(unsigned span, unsigned pieces, unsigned key_bytes) {
  const unsigned char *ms = pass_ms[key_bytes == 8];
  const unsigned wide = span % pieces, width = span / pieces; /* wide digits of width + 1 */
  return (pieces - wide) * ms[width] + (wide ? wide * ms[width + 1] : 0);
}

unsigned ctxlab_ngram_key_digits(unsigned bits, unsigned first, unsigned top, unsigned key_bytes,
                                 key_digit *d) {
  unsigned m = 0, from = 0;
  for (unsigned j = first; j <= top; ++j) {
    const unsigned to = (j + 1) * bits, span = to - from;
    unsigned pieces = (span + KEY_DIGIT - 1) / KEY_DIGIT; /* the fewest; more where cheaper */
    for (unsigned p = pieces + 1; p <= span; ++p)
      if (span_cost(span, p, key_bytes) < span_cost(span, pieces, key_bytes)) pieces = p;
    for (unsigned i = 0; i < pieces; ++i) { /* the first span % pieces a bit wider */
      const unsigned width = span / pieces + (i < span % pieces);
      d[m++] = (key_digit){from, width};
      from += width;
    }
  }
  return m;
}

void ctxlab_ngram_key_histogram(const void *keys, unsigned key_bytes, size_t n, key_digit d,
                                size_t *h) {
  if (key_bytes == 4)
    key_histogram_u32(keys, n, d, h);
  else
    key_histogram_u64(keys, n, d, h);
}

void ctxlab_ngram_key_pass(const void *src, size_t n, void *dst, unsigned key_bytes, key_digit d,
                           size_t *h, key_digit after, size_t *next, write_combined *wc) {
  if (key_bytes == 4)
    key_pass_u32(src, n, dst, d, h, after, next, wc);
  else
    key_pass_u64(src, n, dst, d, h, after, next, wc);
}

double ctxlab_ngram_key_run_rate(const void *keys, unsigned key_bytes, size_t n, uint64_t mask) {
  return key_bytes == 4 ? run_rate_u32(keys, n, mask) : run_rate_u64(keys, n, mask);
}

void ctxlab_ngram_key_scan(const void *keys, unsigned key_bytes, size_t n, run_writer *w,
                           const gram *a, size_t na) {
  if (key_bytes == 4)
    key_scan_u32(keys, n, w, a, na);
  else
    key_scan_u64(keys, n, w, a, na);
}

void *ctxlab_ngram_keys_alloc(size_t n, unsigned key_bytes) {
  const size_t lines = (n ? n : 1) / (64 / key_bytes) + 1;
  return lines > SIZE_MAX / 64 ? NULL : aligned_alloc(64, lines * 64);
}

/* Memory written for the first time takes a page fault per 4 KiB (about
 * 0.4 s/GB here, where a warm memset runs at 7.9 GB/s), and the build
 * writes hundreds of MB of fresh memory at high orders.  Mapping a range in
 * one call (MADV_POPULATE_WRITE, Linux 5.14) saves the traps: measured here
 * (random-bigram, V = 256, c = 6, 1e7 windows), training took 0.555 s
 * instead of 0.586 s with the spill and the sort's second array mapped so,
 * and each scan took 1 to 4 ms less with its entries mapped so
 * (ctxlab_ngram_writer_prefault).  Small ranges are left to fault (no gain worth a call); where the
 * kernel says no, the pages fault as before. */
void ctxlab_ngram_prefault(void *p, size_t bytes) {
#if defined(MADV_POPULATE_WRITE)
  enum { SMALL = 1 << 21 };
  const long page = sysconf(_SC_PAGESIZE);
  if (bytes < SMALL || page <= 0) return;
  const uintptr_t from = ((uintptr_t)p + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
  const uintptr_t to = ((uintptr_t)p + bytes) & ~(uintptr_t)(page - 1);
  if (to > from) (void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)bytes;
#endif
}

void ctxlab_ngram_pack_windows(const ctxlab_ngram *g, const uint32_t *tokens, size_t n, void *out) {
  if (g->key_bytes == 4)
    pack_windows_u32(tokens, n, g->order + 1, g->bits, out);
  else
    pack_windows_u64(tokens, n, g->order + 1, g->bits, out);
}

