/* sim/ngram/ngram_key_pass.h (internal, a template): the radix passes over
 * the spilled windows' keys, for one key type.  sim/ngram/ngram_radix.c
 * includes it once per type, with
 *   KEY_T       uint32_t or uint64_t (the narrower when every key fits:
 *               half the bytes for each pass to move)
 *   KEY_FN(f)   f's name for that type
 *   KEY_LINE    the write_combined buffer of that type
 * defined (the GSL's templates_on.h idiom). */

/* The windows of len = c + 1 tokens of tokens[0..n-1], packed, into out. */
static void KEY_FN(pack_windows)(const uint32_t *tokens, size_t n, unsigned len, unsigned bits,
                                 KEY_T *out) {
  const uint64_t mask = ctxlab_ngram_low_mask(len * bits);
  uint64_t key = ctxlab_ngram_pack(tokens, len - 1, bits);
  for (size_t i = 0; i + len - 1 < n; ++i)
    out[i] = (KEY_T)(key = (key << bits | tokens[i + len - 1]) & mask);
}

/* Histogram h of digit d over keys[0..n-1]. */
static void KEY_FN(key_histogram)(const KEY_T *keys, size_t n, key_digit d, size_t *h) {
  const uint64_t mask = ctxlab_ngram_low_mask(d.width);
  for (size_t i = 0; i < n; ++i) h[keys[i] >> d.shift & mask]++;
}

/* Copies the keys of stream d's current block (`lines` lines, its lines of
 * write_combined) that are its own (not before its first) into dst; a whole
 * block with non-temporal stores: dst is not read before the pass ends, and
 * a plain store would first read each line of it from memory (cold: the
 * arrays are far larger than the caches). */
static inline void KEY_FN(wc_flush)(write_combined *wc, KEY_T *dst, size_t d, const size_t lines) {
  const size_t per_block = 64 / sizeof(KEY_T) * lines;
  const KEY_T *block = wc->KEY_LINE + d * per_block;
  const size_t end = wc->at[d], at = (end - 1) & ~(per_block - 1);
  const size_t from = at > wc->first[d] ? at : wc->first[d];
#if defined(__SSE2__)
  if (from == at && end == at + per_block) {
    const __m128i *in = (const __m128i *)block;
    __m128i *out = (__m128i *)(dst + at);
    for (size_t i = 0; i < 4 * lines; ++i) _mm_stream_si128(out + i, in[i]);
    return;
  }
#endif
  memcpy(dst + from, block + from % per_block, (end - from) * sizeof *dst);
}

/* The loop of key_pass, for flags a constant (PASS_NEXT, PASS_DIRECT,
 * PASS_LINES4). */
static inline void KEY_FN(key_pass_body)(const KEY_T *src, size_t n, KEY_T *dst, unsigned shift,
                                         uint64_t mask, write_combined *wc, size_t *next,
                                         unsigned next_shift, uint64_t next_mask,
                                         const int flags) {
  const size_t lines = flags & PASS_LINES4 ? 4 : 1, per_block = 64 / sizeof(KEY_T) * lines;
  KEY_T *const blocks = wc->KEY_LINE;
  for (size_t i = 0; i < n; ++i) {
    const KEY_T key = src[i];
    const size_t d = key >> shift & mask;
    if (flags & PASS_NEXT) next[key >> next_shift & next_mask]++;
    if (flags & PASS_DIRECT) {
      dst[wc->at[d]++] = key;
    } else {
      blocks[d * per_block + wc->at[d] % per_block] = key;
      if (++wc->at[d] % per_block == 0) KEY_FN(wc_flush)(wc, dst, d, lines);
    }
  }
}

/* One stable pass over the keys src[0..n-1] by digit `digit` into dst (h:
 * its histogram, turned into offsets here), counting the digit `after`
 * into next when not NULL. */
static void KEY_FN(key_pass)(const KEY_T *src, size_t n, KEY_T *dst, key_digit digit, size_t *h,
                             key_digit after, size_t *next, write_combined *wc) {
  if (!n) return;
  const size_t buckets = (size_t)1 << digit.width;
  offsets(h, buckets);
  for (size_t d = 0; d < buckets; ++d) wc->at[d] = wc->first[d] = (uint32_t)h[d]; /* n < 2^32 */
  const unsigned shift = digit.shift, next_shift = after.shift;
  const uint64_t mask = ctxlab_ngram_low_mask(digit.width);
  const uint64_t next_mask = ctxlab_ngram_low_mask(after.width);
  const int direct = digit.width <= DIRECT_DIGIT, four = !direct && digit.width <= LINES4_DIGIT;
  /* a copy of the loop for each case, none testing per key what it does */
#define BODY(flags) \
  case flags: \
    KEY_FN(key_pass_body)(src, n, dst, shift, mask, wc, next, next_shift, next_mask, flags); \
    break
  switch ((next ? PASS_NEXT : 0) | (direct ? PASS_DIRECT : 0) | (four ? PASS_LINES4 : 0)) {
    BODY(0);
    BODY(PASS_NEXT);
    BODY(PASS_DIRECT);
    BODY(PASS_NEXT | PASS_DIRECT);
    BODY(PASS_LINES4);
    BODY(PASS_NEXT | PASS_LINES4);
  }
#undef BODY
  const size_t lines = four ? 4 : 1;
  for (size_t d = 0; !direct && d < buckets; ++d)
    if (wc->at[d] % (64 / sizeof(KEY_T) * lines)) KEY_FN(wc_flush)(wc, dst, d, lines);
  wc_fence();
}

/* The first index in keys[i..n-1] (sorted by key & mask) whose key & mask is
 * above g, or n: a galloping search from i, as the grams between two keys
 * are usually few or none. */
static size_t KEY_FN(keys_after)(const KEY_T *keys, size_t i, size_t n, uint64_t g,
                                 uint64_t mask) {
  size_t lo = i, step = 1; /* keys[i..lo-1] are at most g */
  while (lo + step <= n && (keys[lo + step - 1] & mask) <= g) {
    lo += step;
    step *= 2;
  }
  size_t hi = lo + step - 1 < n ? lo + step - 1 : n; /* keys[hi] above g, or hi = n */
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if ((keys[mid] & mask) <= g)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* An order's scan: the keys[0..n-1], sorted by the order's key, merged with
 * the grams a[0..na-1] (sorted likewise) into the run writer w.  A loop of
 * its own rather than part of the next pass's (which reads the same keys):
 * measured here, the fused loop kept too much in flight for the registers
 * and took 130 ms more over the 6 orders of V = 16, c = 5.  With `every`,
 * the keys between two grams go through a loop of their own, without a
 * test per key for a gram to merge: measured here (santa-fe, V = 2048, c =
 * 4, 1e7 windows), 0.50 s to train against 0.60 s with that test. */
static inline __attribute__((always_inline)) void KEY_FN(key_scan_body)(const KEY_T *keys,
                                                                        size_t n, run_writer *w,
                                                                        const gram *a, size_t na,
                                                                        const int flags) {
  run_writer lw = *w; /* a copy the compiler can keep in registers */
  size_t ia = 0;
  if ((flags & FEED_EVERY) && n + na) {
    const uint64_t gk = n ? keys[0] & lw.mask : 0, ga = na ? a[0].key & lw.mask : 0;
    open_first(&lw, n && (!na || gk <= ga) ? gk : ga);
  }
  if (flags & FEED_EVERY)
    for (size_t i = 0; i < n;) {
      /* the keys up to the next gram's n-gram, then the grams up to the next key's */
      const size_t e = ia < na ? KEY_FN(keys_after)(keys, i, n, a[ia].key & lw.mask, lw.mask) : n;
      for (; i < e; ++i) feed(&lw, keys[i], 1, 1, flags);
      if (i < n) feed_grams_upto(&lw, a, na, &ia, keys[i] & lw.mask, 0, flags);
    }
  else
    for (size_t i = 0; i < n; ++i) {
      feed_grams_upto(&lw, a, na, &ia, keys[i] & lw.mask, 0, flags);
      feed(&lw, keys[i], 1, 1, flags);
    }
  feed_grams_upto(&lw, a, na, &ia, 0, 1, flags);
  *w = lw;
}

/* A copy of the loop for each way of feeding, each a function of its own:
 * compiled apart, a change to one leaves the others' registers as they
 * were.  Measured here (random-bigram, V = 256, c = 6, 1e7 windows, best
 * of 9 interleaved): with put_entry_cont, Kneser-Ney trained in 0.475 s
 * instead of 0.503 s, add-beta unchanged; with put_entry_cont but the four
 * loops in one function, add-beta took 10 to 20 ms more.  Against the
 * four in one function before either change, tuned-trigram (V = 16, c =
 * 6) took up to 10 ms more.  key_scan_body is always inlined, so that each
 * function is a copy for its flags (clang would otherwise call one copy). */
#define KEY_SCAN_AS(name, flags)                                                          \
  static __attribute__((noinline)) void KEY_FN(name)(const KEY_T *keys, size_t n,         \
                                                     run_writer *w, const gram *a,        \
                                                     size_t na) {                         \
    KEY_FN(key_scan_body)(keys, n, w, a, na, flags);                                      \
  }
KEY_SCAN_AS(key_scan_runs, 0)
KEY_SCAN_AS(key_scan_every, FEED_EVERY)
KEY_SCAN_AS(key_scan_runs_cont, FEED_CONT)
KEY_SCAN_AS(key_scan_every_cont, FEED_EVERY | FEED_CONT)
#undef KEY_SCAN_AS

static void KEY_FN(key_scan)(const KEY_T *keys, size_t n, run_writer *w, const gram *a, size_t na) {
  switch (feed_flags(w)) {
  case 0: KEY_FN(key_scan_runs)(keys, n, w, a, na); break;
  case FEED_EVERY: KEY_FN(key_scan_every)(keys, n, w, a, na); break;
  case FEED_CONT: KEY_FN(key_scan_runs_cont)(keys, n, w, a, na); break;
  default: KEY_FN(key_scan_every_cont)(keys, n, w, a, na); break;
  }
}

/* The fraction of the n sorted keys that start a run of equal key & mask,
 * estimated from 4096 evenly spread neighbours (0 for fewer keys). */
static double KEY_FN(run_rate)(const KEY_T *keys, size_t n, uint64_t mask) {
  enum { SAMPLES = 4096 };
  if (n < 16 * SAMPLES) return 0;
  size_t starts = 0;
  for (size_t t = 0; t < SAMPLES; ++t) {
    const size_t i = t * (n - 1) / SAMPLES;
    starts += (keys[i] & mask) != (keys[i + 1] & mask);
  }
  return (double)starts / SAMPLES;
}
