/* sim/ngram/ngram_radix.h (internal): the least-significant-digit radix
 * passes that sort the counted m-grams token by token, newest first
 * (sim/ngram/ngram_build.c says why), over two kinds of array: `gram`s
 * (key, count, length) and bare keys of 4 or 8 bytes (key_bytes), each a
 * window of c + 1 tokens counted once. */
#ifndef CTXLAB_SIM_NGRAM_RADIX_H
#define CTXLAB_SIM_NGRAM_RADIX_H

#include <stddef.h>
#include <stdint.h>

#include "sim/ngram/ngram_runs.h"

/* Bits a radix pass sorts on, at most.  Grams (16 bytes) are scattered
 * straight into 2^bits streams; measured here (1e7 grams, 2 to 256 streams),
 * a pass costs about 4 ns a gram up to 64 streams and 13 to 20 ns from 128
 * on (more streams than the first-level TLB and write buffers follow), so
 * two 4-bit passes beat one 8-bit pass by 2x.  Keys go to their streams
 * through a block of cache lines per stream (write_combined) from
 * 2^(DIRECT_DIGIT+1) streams on: scattered straight, an 8-bit pass cost
 * twice as much (83 ms per 1e7 8-byte keys against 40 ms when first
 * measured), while up to 2^DIRECT_DIGIT streams straight is cheaper (then:
 * 17 ms per 1e7 4-byte keys into 16 streams, 27 ms through write_combined).
 * Up to 2^LINES4_DIGIT streams a block is 4 lines, not 1: flushed a quarter
 * as often, so a quarter as many mispredicted branches (which block fills
 * next is random): per 1e7 8-byte keys, 26 ms against 39 ms at 8 bits, 36
 * against 44 ms at 11, 43 against 46 ms at 12 (4-byte keys: 36 against 36),
 * 52 against 50 ms at 13; so up to 11 bits, where 4 lines a stream fill
 * write_combined's 2^KEY_DIGIT lines.  Beyond 13 bits a pass costs more than
 * two narrower ones (66 ms at 14 bits, 107 ms at 16).  pass_ms in
 * ngram_radix.c has the costs by width. */
enum { GRAM_DIGIT = 6, KEY_DIGIT = 13, DIRECT_DIGIT = 5, LINES4_DIGIT = 11 };

/* The radix passes of the grams: pass p sorts on digit p % sub of token p /
 * sub (token 0 the newest), a digit of `width` bits at most, never reaching
 * into the next token (a gram of j tokens leaves at the pass on token j). */
typedef struct passes {
  unsigned bits, sub, width;
} passes;

static inline passes passes_for(unsigned bits, unsigned max_digit) {
  passes r = {bits, (bits + max_digit - 1) / max_digit, 0};
  r.width = (bits + r.sub - 1) / r.sub;
  return r;
}
static inline unsigned pass_token(const passes *r, unsigned p) { return p / r->sub; }
static inline unsigned pass_shift(const passes *r, unsigned p) {
  return p / r->sub * r->bits + p % r->sub * r->width;
}
static inline uint64_t pass_mask(const passes *r, unsigned p) {
  const unsigned used = p % r->sub * r->width;
  return ctxlab_ngram_low_mask(r->bits - used < r->width ? r->bits - used : r->width);
}

/* A key pass's digit: bits shift .. shift + width - 1 of the key. */
typedef struct key_digit {
  unsigned shift, width;
} key_digit;

/* The key passes' digits, least significant first: the bits 0 .. (top+1) b
 * - 1, cut at the end of each order's key that is scanned (order j: (j+1) b
 * bits, for j >= first), each piece into digits of at most KEY_DIGIT bits,
 * as even as can be, as many as cost least for keys of key_bytes by the
 * passes' measured costs (pass_ms, ngram_radix.c): 24 bits, for one, as
 * three 8-bit digits rather than two of 12.  The sort is needed in order
 * j's order only where order j is scanned, so the tokens of orders summed
 * from the order above (ngram_build.c) share passes: 4 passes instead of 7
 * for 4-bit tokens and c = 6.  Returns the number of digits (at most 64),
 * into d[]. */
unsigned ctxlab_ngram_key_digits(unsigned bits, unsigned first, unsigned top, unsigned key_bytes,
                                 key_digit *d);

/* Histogram h of pass p's digits over the grams of a[0..n-1] that pass p
 * keeps (more than pass_token(p) tokens). */
void ctxlab_ngram_gram_histogram(const gram *a, size_t n, const passes *r, unsigned p, size_t *h);

/* One stable pass: the grams of src[0..n-1] that pass p keeps, by their
 * digit, into dst (h: pass p's histogram, turned into offsets here), while
 * counting pass p+1's digits into next (when not NULL).  Returns the number
 * kept. */
size_t ctxlab_ngram_gram_scatter(const gram *src, size_t n, gram *dst, const passes *r,
                                 unsigned p, size_t *h, size_t *next);

/* Scratch of the key passes (free() frees it). */
typedef struct write_combined write_combined;
write_combined *ctxlab_ngram_write_combined_new(void);

/* Histogram h of digit d over keys[0..n-1]. */
void ctxlab_ngram_key_histogram(const void *keys, unsigned key_bytes, size_t n, key_digit d,
                                size_t *h);

/* One stable pass over the keys src[0..n-1] (n < 2^32) by digit d into dst
 * (h: its histogram, turned into offsets here), counting the digit `after`
 * into next when next is not NULL.  src, dst: aligned to a cache line
 * (ctxlab_ngram_keys_alloc). */
void ctxlab_ngram_key_pass(const void *src, size_t n, void *dst, unsigned key_bytes, key_digit d,
                           size_t *h, key_digit after, size_t *next, write_combined *wc);

/* The fraction of the n sorted keys[] that start a run of equal key & mask,
 * estimated from a sample (0 when there are too few keys to matter). */
double ctxlab_ngram_key_run_rate(const void *keys, unsigned key_bytes, size_t n, uint64_t mask);

/* An order's scan: the keys[0..n-1], sorted by the order's key, merged with
 * the grams a[0..na-1] (sorted likewise) into the run writer w. */
void ctxlab_ngram_key_scan(const void *keys, unsigned key_bytes, size_t n, run_writer *w,
                           const gram *a, size_t na);

#endif
