/* sim/ngram/ngram_key_pass.h (internal, a template): the radix passes over
 * the spilled windows' keys, for one key type.  sim/ngram/ngram_radix.c
 * includes it once per type, with
 *   KEY_T       uint32_t or uint64_t (the narrower when every key fits:
 *               half the bytes for each pass to move)
 *   KEY_FN(f)   f's name for that type
 *   KEY_LINE    the write_combined member of that type
 * defined (the GSL's templates_on.h idiom). */

/* The windows of len = c + 1 tokens of tokens[0..n-1], packed, into out. */
static void KEY_FN(pack_windows)(const uint32_t *tokens, size_t n, unsigned len, unsigned bits,
                                 KEY_T *out) {
  const uint64_t mask = ctxlab_ngram_low_mask(len * bits);
  uint64_t key = ctxlab_ngram_pack(tokens, len - 1, bits);
  for (size_t i = 0; i + len - 1 < n; ++i)
    out[i] = (KEY_T)(key = (key << bits | tokens[i + len - 1]) & mask);
}

/* Histogram h of pass p's digits over keys[0..n-1]. */
static void KEY_FN(key_histogram)(const KEY_T *keys, size_t n, const passes *r, unsigned p,
                                  size_t *h) {
  const unsigned shift = pass_shift(r, p);
  const uint64_t mask = pass_mask(r, p);
  for (size_t i = 0; i < n; ++i) h[keys[i] >> shift & mask]++;
}

/* Copies the keys of stream d's current line that are its own (not before
 * its first) into dst; a whole line with non-temporal stores: dst is not
 * read before the pass ends, and a plain store would first read each line
 * of it from memory (cold: the arrays are far larger than the caches). */
static void KEY_FN(wc_flush)(write_combined *wc, KEY_T *dst, size_t d) {
  enum { PER_LINE = 64 / sizeof(KEY_T) };
  const size_t end = wc->at[d], line = (end - 1) & ~(size_t)(PER_LINE - 1);
  const size_t from = line > wc->first[d] ? line : wc->first[d];
#if defined(__SSE2__)
  if (from == line && end == line + PER_LINE) {
    const __m128i *in = (const __m128i *)wc->KEY_LINE[d];
    __m128i *out = (__m128i *)(dst + line);
    _mm_stream_si128(out, in[0]);
    _mm_stream_si128(out + 1, in[1]);
    _mm_stream_si128(out + 2, in[2]);
    _mm_stream_si128(out + 3, in[3]);
    return;
  }
#endif
  memcpy(dst + from, &wc->KEY_LINE[d][from % PER_LINE], (end - from) * sizeof *dst);
}

/* The loop of key_pass, for flags a constant (PASS_NEXT, PASS_DIRECT). */
static inline void KEY_FN(key_pass_body)(const KEY_T *src, size_t n, KEY_T *dst, unsigned shift,
                                         uint64_t mask, write_combined *wc, size_t *next,
                                         unsigned next_shift, uint64_t next_mask,
                                         const int flags) {
  enum { PER_LINE = 64 / sizeof(KEY_T) };
  for (size_t i = 0; i < n; ++i) {
    const KEY_T key = src[i];
    const size_t d = key >> shift & mask;
    if (flags & PASS_NEXT) next[key >> next_shift & next_mask]++;
    if (flags & PASS_DIRECT) {
      dst[wc->at[d]++] = key;
    } else {
      wc->KEY_LINE[d][wc->at[d] % PER_LINE] = key;
      if (++wc->at[d] % PER_LINE == 0) KEY_FN(wc_flush)(wc, dst, d);
    }
  }
}

/* One stable pass over the keys src[0..n-1] by pass p's digit into dst (h:
 * its histogram, turned into offsets here), counting pass p+1's digits
 * into next when not NULL. */
static void KEY_FN(key_pass)(const KEY_T *src, size_t n, KEY_T *dst, const passes *r, unsigned p,
                             size_t *h, size_t *next, write_combined *wc) {
  if (!n) return;
  const size_t buckets = (size_t)1 << r->width;
  offsets(h, buckets);
  for (size_t d = 0; d < buckets; ++d) wc->at[d] = wc->first[d] = h[d];
  const unsigned shift = pass_shift(r, p), next_shift = next ? pass_shift(r, p + 1) : 0;
  const uint64_t mask = pass_mask(r, p), next_mask = next ? pass_mask(r, p + 1) : 0;
  const int direct = r->width <= DIRECT_DIGIT;
  /* a copy of the loop for each case, none testing per key what it does */
#define BODY(flags) \
  KEY_FN(key_pass_body)(src, n, dst, shift, mask, wc, next, next_shift, next_mask, flags)
  switch ((next ? PASS_NEXT : 0) | (direct ? PASS_DIRECT : 0)) {
  case 0: BODY(0); break;
  case PASS_NEXT: BODY(PASS_NEXT); break;
  case PASS_DIRECT: BODY(PASS_DIRECT); break;
  default: BODY(PASS_NEXT | PASS_DIRECT); break;
  }
#undef BODY
  for (size_t d = 0; !direct && d < buckets; ++d)
    if (wc->at[d] % (64 / sizeof(KEY_T))) KEY_FN(wc_flush)(wc, dst, d);
  wc_fence();
}

/* An order's scan: the keys[0..n-1], sorted by the order's key, merged with
 * the grams a[0..na-1] (sorted likewise) into the run writer w.  A loop of
 * its own rather than part of the next pass's (which reads the same keys):
 * measured here, the fused loop kept too much in flight for the registers
 * and took 130 ms more over the 6 orders of V = 16, c = 5. */
static inline void KEY_FN(key_scan_body)(const KEY_T *keys, size_t n, run_writer *w,
                                         const gram *a, size_t na, const int flags) {
  run_writer lw = *w; /* a copy the compiler can keep in registers */
  size_t ia = 0;
  for (size_t i = 0; i < n;) {
    /* SINGLES keys in a row, each a run of its own (its neighbours differ,
     * no gram joins it): put at once (put_singles).  Where runs are long
     * this fails at once, and is not tried with `every`. */
    if (!(flags & FEED_EVERY) && i + SINGLES < n) {
      uint64_t g[SINGLES + 1];
      int single = 1;
      for (size_t t = 0; t <= SINGLES; ++t) g[t] = keys[i + t] & lw.mask;
      for (size_t t = 0; t < SINGLES; ++t) single &= g[t] != g[t + 1];
      single &= (lw.raw == 0) | (g[0] != lw.key);
      single &= (ia == na) || (a[ia].key & lw.mask) > g[SINGLES - 1];
      if (single) {
        put_singles(&lw, g, SINGLES, flags);
        i += SINGLES;
        continue;
      }
      for (const size_t end = i + SINGLES; i < end; ++i) {
        feed_grams_upto(&lw, a, na, &ia, keys[i] & lw.mask, 0);
        feed(&lw, keys[i], 1, KEY_LEN, flags);
      }
      continue;
    }
    feed_grams_upto(&lw, a, na, &ia, keys[i] & lw.mask, 0);
    feed(&lw, keys[i], 1, KEY_LEN, flags);
    ++i;
  }
  feed_grams_upto(&lw, a, na, &ia, 0, 1);
  *w = lw;
}

static void KEY_FN(key_scan)(const KEY_T *keys, size_t n, run_writer *w, const gram *a, size_t na) {
  switch (feed_flags(w)) { /* a copy of the loop for each */
  case 0: KEY_FN(key_scan_body)(keys, n, w, a, na, 0); break;
  case FEED_EVERY: KEY_FN(key_scan_body)(keys, n, w, a, na, FEED_EVERY); break;
  case FEED_CONT: KEY_FN(key_scan_body)(keys, n, w, a, na, FEED_CONT); break;
  default: KEY_FN(key_scan_body)(keys, n, w, a, na, FEED_EVERY | FEED_CONT); break;
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
