/* The n-gram model against a brute-force re-implementation of its documented
 * estimator (the comment at the top of sim/ngram/ngram.c).
 *
 * Expected values are computed here without the library's hashing, sorting
 * or derivation of lower orders: every count n_k(g) comes from scanning every
 * stream for the (k+1)-gram g, for every g in V^(k+1) (direct counting), every
 * continuation count N1+(. g) from trying every token a before g, every
 * discount from those counts, and Q from the definitions (Kneser-Ney as the
 * recursion over orders, written top-down).  Tiny V, tiny streams (lengths 0
 * to 60, several fit calls, some shorter than c + 1), c = 0..3, both
 * smoothings: counts are compared exactly, probabilities to 1e-13 relative,
 * forward's float logits to 2e-6 absolute.
 *
 * test_large_streams_against_sorting covers what tiny streams cannot (tables
 * that grow, many radix digits, tokens wider than one radix pass): every
 * order's n-grams and counts from qsort over all positions of long streams,
 * for V up to 70000. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/ngram/ngram.h"
#include "sim/ngram/ngram_radix.h"
#include "test_ngram_util.h"

#define MAX_STREAMS 8
#define MAX_LEN 64

typedef struct data {
  uint32_t V;
  size_t nstreams;
  size_t len[MAX_STREAMS];
  uint32_t tok[MAX_STREAMS][MAX_LEN];
} data;

/* Skewed tokens with some repetition, so that counts of 1, 2 and more occur. */
static void make_data(data *d, uint32_t V, uint64_t seed) {
  static const size_t lengths[] = {0, 1, 2, 3, 60, 5, 37, 4};
  d->V = V;
  d->nstreams = MAX_STREAMS;
  for (size_t s = 0; s < d->nstreams; ++s) {
    d->len[s] = lengths[s];
    for (size_t i = 0; i < d->len[s]; ++i) {
      uint64_t r = test_rand(&seed);
      uint32_t x = (uint32_t)(r % V), y = (uint32_t)((r >> 20) % V);
      d->tok[s][i] = (r >> 40) % 3 == 0 && i ? (d->tok[s][i - 1] + 1) % V : (x < y ? x : y);
    }
  }
}

static size_t ipow(size_t V, size_t e) {
  size_t r = 1;
  while (e--) r *= V;
  return r;
}

/* gram number g of length m, first token most significant in base V */
static void unrank(size_t g, size_t m, uint32_t V, uint32_t *out) {
  for (size_t i = m; i-- > 0;) {
    out[i] = (uint32_t)(g % V);
    g /= V;
  }
}

/* n_k(g): occurrences of the (k+1)-gram g, by scanning every stream */
static uint64_t direct_count(const data *d, const uint32_t *g, size_t k) {
  uint64_t n = 0;
  for (size_t s = 0; s < d->nstreams; ++s)
    for (size_t i = k; i < d->len[s]; ++i) {
      size_t j = 0;
      while (j <= k && d->tok[s][i - k + j] == g[j]) j++;
      n += j == k + 1;
    }
  return n;
}

/* N1+(. g) for the (k+1)-gram g: tokens a such that a g occurs */
static uint64_t direct_continuation(const data *d, const uint32_t *g, size_t k) {
  uint32_t ag[MAX_LEN];
  uint64_t n = 0;
  for (uint32_t a = 0; a < d->V; ++a) {
    ag[0] = a;
    memcpy(ag + 1, g, (k + 1) * sizeof *g);
    n += direct_count(d, ag, k + 1) > 0;
  }
  return n;
}

/* The counts of every (k+1)-gram, raw (cont = 0) or continuation (cont = 1),
 * indexed by rank. */
static uint64_t *all_counts(const data *d, size_t k, int cont) {
  const size_t n = ipow(d->V, k + 1);
  uint64_t *c = calloc(n, sizeof *c);
  uint32_t g[MAX_LEN];
  for (size_t r = 0; r < n; ++r) {
    unrank(r, k + 1, d->V, g);
    c[r] = cont ? direct_continuation(d, g, k) : direct_count(d, g, k);
  }
  return c;
}

static double discount(const uint64_t *c, size_t n) {
  double n1 = 0, n2 = 0;
  for (size_t i = 0; i < n; ++i) {
    n1 += c[i] == 1;
    n2 += c[i] == 2;
  }
  if (n1 == 0) n1 = 1;
  return n1 / (n1 + 2 * n2);
}

typedef struct truth {
  size_t c;
  uint64_t *raw[5], *cont[5]; /* by order, indexed by rank of the (k+1)-gram */
  double d_raw[5], d_cont[5];
} truth;

static void truth_init(truth *t, const data *d, size_t c, double fixed) {
  t->c = c;
  for (size_t k = 0; k <= c; ++k) {
    const size_t n = ipow(d->V, k + 1);
    t->raw[k] = all_counts(d, k, 0);
    t->cont[k] = k < c ? all_counts(d, k, 1) : NULL;
    t->d_raw[k] = fixed > 0 ? fixed : discount(t->raw[k], n);
    t->d_cont[k] = fixed > 0 ? fixed : k < c ? discount(t->cont[k], n) : 0;
  }
}

static void truth_free(truth *t) {
  for (size_t k = 0; k <= t->c; ++k) {
    free(t->raw[k]);
    free(t->cont[k]);
  }
}

/* rank of a gram */
static size_t rank_of(const uint32_t *g, size_t m, uint32_t V) {
  size_t r = 0;
  for (size_t i = 0; i < m; ++i) r = r * V + g[i];
  return r;
}

/* P_j(w | h_j) of the documented recursion, top level k: h = the last j
 * tokens, given as h[0..j-1]. */
static double kn(const truth *t, uint32_t V, size_t k, size_t j, const uint32_t *h, uint32_t w) {
  const double lower = j == 0 ? 1.0 / V : kn(t, V, k, j - 1, h + 1, w);
  const uint64_t *c = j == k ? t->raw[j] : t->cont[j];
  const double D = j == k ? t->d_raw[j] : t->d_cont[j];
  uint32_t g[8];
  memcpy(g, h, j * sizeof *h);
  double total = 0, types = 0, cw = 0;
  for (uint32_t x = 0; x < V; ++x) {
    g[j] = x;
    const double cx = (double)c[rank_of(g, j + 1, V)];
    total += cx;
    types += cx > 0;
    if (x == w) cw = cx;
  }
  if (total == 0) return lower;
  return fmax(cw - D, 0) / total + D * types / total * lower;
}

static double add_beta(const truth *t, uint32_t V, double beta, size_t k, const uint32_t *h,
                       uint32_t w) {
  uint32_t g[8];
  memcpy(g, h, k * sizeof *h);
  double total = 0, cw = 0;
  for (uint32_t x = 0; x < V; ++x) {
    g[k] = x;
    const double cx = (double)t->raw[k][rank_of(g, k + 1, V)];
    total += cx;
    if (x == w) cw = cx;
  }
  return (cw + beta) / (total + V * beta);
}

static double expected_q(const truth *t, uint32_t V, int kneser_ney, double beta, size_t k,
                         const uint32_t *h, uint32_t w) {
  return kneser_ney ? kn(t, V, k, k, h, w) : add_beta(t, V, beta, k, h, w);
}

static void check_model(uint32_t V, size_t c, int kneser_ney, double beta, double fixed,
                        uint64_t seed) {
  data d;
  make_data(&d, V, seed);
  ctxlab_model *m = ngram_new(V, (uint32_t)c, kneser_ney ? "kneser-ney" : "add-beta", beta, fixed);
  for (size_t s = 0; s < d.nstreams; ++s) ngram_fit(m, d.tok[s], d.len[s]);
  truth t;
  truth_init(&t, &d, c, fixed);
  ctxlab_error err = {0};
  uint32_t g[8];
  double q[8];

  for (size_t k = 0; k <= c; ++k) {
    for (size_t r = 0; r < ipow(V, k + 1); ++r) { /* counts, exact */
      uint64_t raw, cont;
      unrank(r, k + 1, V, g);
      assert_int_equal(ctxlab_ngram_count(m, g, k, &raw, &cont, &err), CTXLAB_OK);
      /* add-beta models derive no continuation counts: 0 */
      const uint64_t want_cont = kneser_ney && k < c ? t.cont[k][r] : 0;
      if (raw != t.raw[k][r] || cont != want_cont)
        fail_msg("V=%u c=%zu order %zu gram %zu: counts %llu/%llu, direct %llu/%llu", V, c, k, r,
                 (unsigned long long)raw, (unsigned long long)cont, (unsigned long long)t.raw[k][r],
                 (unsigned long long)want_cont);
    }
    double draw, dcont;
    assert_int_equal(ctxlab_ngram_discounts(m, k, &draw, &dcont, &err), CTXLAB_OK);
    assert_true(draw == t.d_raw[k]);
    if (k < c && kneser_ney) assert_true(dcont == t.d_cont[k]);

    for (size_t r = 0; r < ipow(V, k); ++r) { /* Q(. | h) for every context h */
      unrank(r, k, V, g);
      assert_int_equal(ctxlab_ngram_predict(m, g, k, q, &err), CTXLAB_OK);
      double sum = 0;
      for (uint32_t w = 0; w < V; ++w) {
        const double e = expected_q(&t, V, kneser_ney, beta, k, g, w);
        if (!(fabs(q[w] - e) <= 1e-13 * e))
          fail_msg("V=%u c=%zu %s order %zu context %zu token %u: Q = %.17g, expected %.17g", V, c,
                   kneser_ney ? "KN" : "add-beta", k, r, w, q[w], e);
        sum += q[w];
      }
      if (!(fabs(sum - 1) <= 1e-13))
        fail_msg("Q(. | context %zu of order %zu) sums to %.17g", r, k, sum);
    }
  }

  /* forward: windows from a fresh stream, position t sees min(t+1, c) tokens */
  enum { B = 3, T = 9 };
  uint32_t tokens[B * T];
  float logits[B * T * 8];
  uint64_t s = seed + 17;
  for (size_t i = 0; i < B * T; ++i) tokens[i] = (uint32_t)(test_rand(&s) % V);
  assert_int_equal(ctxlab_model_forward(m, tokens, B, T, logits, &err), CTXLAB_OK);
  for (size_t b = 0; b < B; ++b)
    for (size_t pos = 0; pos < T; ++pos) {
      const size_t k = pos + 1 < c ? pos + 1 : c;
      const uint32_t *h = tokens + b * T + pos + 1 - k;
      for (uint32_t w = 0; w < V; ++w) {
        const double e = log(expected_q(&t, V, kneser_ney, beta, k, h, w));
        const float got = logits[(b * T + pos) * V + w];
        if (!(fabs(got - e) <= 2e-6))
          fail_msg("logit[%zu,%zu,%u] = %.9g, expected %.9g", b, pos, w, got, e);
      }
    }
  truth_free(&t);
  ctxlab_model_free(m);
}

static void test_add_beta(void **state) {
  (void)state;
  for (uint32_t V = 2; V <= 5; V += 3)
    for (size_t c = 0; c <= 3; ++c) {
      check_model(V, c, 0, 0.5, 0, 100 + c);
      check_model(V, c, 0, 2.0, 0, 200 + c);
    }
  check_model(3, 2, 0, 1e-3, 0, 7);
}

static void test_kneser_ney_estimated_discount(void **state) {
  (void)state;
  for (uint32_t V = 2; V <= 5; ++V)
    for (size_t c = 0; c <= 3; ++c) check_model(V, c, 1, 0.5, 0, 300 + 10 * V + c);
}

static void test_kneser_ney_fixed_discount(void **state) {
  (void)state;
  for (uint32_t V = 2; V <= 5; V += 3)
    for (size_t c = 0; c <= 3; ++c) check_model(V, c, 1, 0.5, 0.75, 400 + c);
}

/* A model that saw nothing predicts the uniform distribution (add-beta:
 * beta / (V beta); Kneser-Ney: every c(h) = 0, so P = P_{-1} = 1/V). */
static void test_untrained_is_uniform(void **state) {
  (void)state;
  for (int kn = 0; kn <= 1; ++kn) {
    ctxlab_model *m = ngram_new(6, 2, kn ? "kneser-ney" : "add-beta", 0.5, 0);
    uint32_t tokens[4] = {1, 5, 0, 3};
    float logits[4 * 6];
    ngram_fit(m, tokens, 0);
    assert_int_equal(ctxlab_model_forward(m, tokens, 1, 4, logits, NULL), CTXLAB_OK);
    for (size_t i = 0; i < 4 * 6; ++i) assert_true(fabs(logits[i] - log(1.0 / 6)) <= 1e-6);
    ctxlab_model_free(m);
  }
}

/* One stream counted in two ways: in one call, and cut into calls that are
 * separate streams -- the n-grams spanning a cut disappear, nothing else. */
static void test_streams_are_separate(void **state) {
  (void)state;
  const uint32_t x[6] = {0, 1, 0, 1, 1, 0};
  ctxlab_model *whole = ngram_new(2, 1, "kneser-ney", 0.5, 0);
  ctxlab_model *cut = ngram_new(2, 1, "kneser-ney", 0.5, 0);
  ngram_fit(whole, x, 6);
  ngram_fit(cut, x, 3);
  ngram_fit(cut, x + 3, 3);
  const uint32_t g01[2] = {0, 1}, g10[2] = {1, 0}, g11[2] = {1, 1};
  uint64_t raw, cont;
  /* bigrams of 010110: 01 01 10 11 10 -> 01:2, 10:2, 11:1; the cut 010|110
   * loses "01" at the seam: 01:1, 10:2, 11:1 (counted by hand) */
  assert_int_equal(ctxlab_ngram_count(whole, g01, 1, &raw, &cont, NULL), CTXLAB_OK);
  assert_int_equal(raw, 2);
  assert_int_equal(ctxlab_ngram_count(cut, g01, 1, &raw, &cont, NULL), CTXLAB_OK);
  assert_int_equal(raw, 1);
  assert_int_equal(ctxlab_ngram_count(cut, g10, 1, &raw, &cont, NULL), CTXLAB_OK);
  assert_int_equal(raw, 2);
  assert_int_equal(ctxlab_ngram_count(cut, g11, 1, &raw, &cont, NULL), CTXLAB_OK);
  assert_int_equal(raw, 1);
  /* unigrams count every token of every stream (0 and 1 three times each);
   * N1+(. w) counts the tokens seen before w in the bigrams 01 10 | 11 10:
   * before 0 only 1, before 1 both 0 and 1 */
  assert_int_equal(ctxlab_ngram_count(cut, g01, 0, &raw, &cont, NULL), CTXLAB_OK);
  assert_int_equal(raw, 3);
  assert_int_equal(cont, 1);
  assert_int_equal(ctxlab_ngram_count(cut, g10, 0, &raw, &cont, NULL), CTXLAB_OK);
  assert_int_equal(raw, 3);
  assert_int_equal(cont, 2);
  ctxlab_model_free(whole);
  ctxlab_model_free(cut);
}

/* ---- long streams: every order against counting by sorting ------------- */

static int cmp_u64(const void *a, const void *b) {
  const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The distinct (k+1)-grams (packed with b bits a token) of the streams and
 * their counts, by sorting the packed gram at every position. */
static size_t sorted_counts(const uint32_t *x, const size_t *len, size_t nstreams, size_t k,
                            unsigned b, uint64_t **keys, uint64_t **counts) {
  size_t total = 0, m = 0;
  for (size_t s = 0; s < nstreams; ++s) total += len[s];
  uint64_t *all = malloc((total + 1) * sizeof *all);
  const uint32_t *p = x;
  for (size_t s = 0; s < nstreams; p += len[s], ++s)
    for (size_t i = k; i < len[s]; ++i) {
      uint64_t key = 0;
      for (size_t j = 0; j <= k; ++j) key = key << b | p[i - k + j];
      all[m++] = key;
    }
  qsort(all, m, sizeof *all, cmp_u64);
  *keys = malloc((m + 1) * sizeof **keys);
  *counts = malloc((m + 1) * sizeof **counts);
  size_t d = 0;
  for (size_t i = 0; i < m; ++i) {
    if (d && (*keys)[d - 1] == all[i]) {
      (*counts)[d - 1]++;
    } else {
      (*keys)[d] = all[i];
      (*counts)[d++] = 1;
    }
  }
  free(all);
  return d;
}

/* Every order of a Kneser-Ney model m (built here) that counted the
 * streams x (len[s] tokens each), against sorting: keys, counts and
 * continuation counts. */
static void check_against_sorting(ctxlab_model *m, const uint32_t *x, const size_t *len,
                                  size_t streams, uint32_t V, size_t c) {
  ctxlab_ngram *g = m->impl;
  assert_int_equal(ctxlab_ngram_build(g, NULL), CTXLAB_OK);
  for (size_t k = 0; k <= c; ++k) {
    uint64_t *keys, *counts;
    const size_t d = sorted_counts(x, len, streams, k, g->bits, &keys, &counts);
    const ctxlab_ngram_order *o = &g->orders[k];
    if (o->n != d)
      fail_msg("V=%u c=%zu order %zu: %zu n-grams, sorting finds %zu", V, c, k, o->n, d);
    uint64_t *got_keys = malloc((d + 1) * sizeof *got_keys), *got = malloc((d + 1) * sizeof *got),
             *got_cont = malloc((d + 1) * sizeof *got_cont);
    ctxlab_ngram_order_unpack(o, got_keys, got, got_cont);
    for (size_t i = 0; i < d; ++i) assert_int_equal(got_keys[i], keys[i]);
    for (size_t i = 0; i < d; ++i) assert_int_equal(got[i], counts[i]);
    if (k < c) { /* N1+(. g): distinct order-(k+1) n-grams ending in g */
      uint64_t *up, *upc;
      const size_t du = sorted_counts(x, len, streams, k + 1, g->bits, &up, &upc);
      uint64_t *cont = calloc(d + 1, sizeof *cont);
      const uint64_t mask = (UINT64_C(1) << ((k + 1) * g->bits)) - 1;
      for (size_t i = 0; i < du; ++i) {
        const uint64_t *at = bsearch(&(uint64_t){up[i] & mask}, keys, d, sizeof *keys, cmp_u64);
        assert_non_null(at);
        cont[at - keys]++;
      }
      for (size_t i = 0; i < d; ++i) assert_int_equal(got_cont[i], cont[i]);
      free(up);
      free(upc);
      free(cont);
    }
    free(keys);
    free(counts);
    free(got_keys);
    free(got);
    free(got_cont);
  }
}

/* table_slots: the model's table limit (sim/ngram/ngram.h): SIZE_MAX counts
 * every window in the hash table, 0 keeps every window's key for sorting,
 * a small limit does the one and then the other (these windows being
 * mostly single, the table's windows then join the spilled ones). */
enum { SMALL = 4096 }; /* slots: a table that fills within the first stream */

static void check_long_streams(uint32_t V, size_t c, size_t N, uint64_t seed, size_t table_slots) {
  enum { STREAMS = 3 };
  const size_t len[STREAMS] = {N, N / 3, 2}; /* the last shorter than most orders */
  uint32_t *x = malloc((N + N / 3 + 2) * sizeof *x);
  /* a sparse random chain: each token picks among 8 successors of the one
   * before, so that counts repeat at every order */
  for (size_t i = 0; i < N + N / 3 + 2; ++i)
    x[i] = i ? (uint32_t)((x[i - 1] * 2654435761u + (test_rand(&seed) % 8) * 40503u) % V)
             : (uint32_t)(test_rand(&seed) % V);
  ctxlab_model *m = ngram_new(V, (uint32_t)c, "kneser-ney", 0.5, 0);
  ctxlab_ngram *g = m->impl;
  g->table_slots = table_slots;
  for (size_t s = 0, off = 0; s < STREAMS; off += len[s], ++s) ngram_fit(m, x + off, len[s]);
  if (table_slots == 0 || table_slots == SMALL) assert_int_equal(g->top.size, 0);
  if (table_slots == SIZE_MAX) assert_int_equal(g->spill_n, 0);
  if (table_slots == SMALL) assert_true(g->spill_n > 0);
  check_against_sorting(m, x, len, STREAMS, V, c);
  ctxlab_model_free(m);
  free(x);
}

/* A table of repeated windows (a periodic stream) that then outgrows its
 * limit on fresh ones: its counts stay in the table, the rest is spilled,
 * and the build merges the two.  Tokens below 32 of V = 256, so that the
 * spilled windows' n-grams meet the table's often at orders 1 and 2 and now
 * and then at order 3; more than 65536 spilled windows, so that the build
 * samples how often a key starts a run and takes its branch-free loop at
 * the orders where runs are short, merging the table's n-grams before,
 * between and after its stretches of keys (keys_after). */
static void check_repeated_table_then_spill(size_t c) {
  enum { STREAMS = 2, PERIOD = 1000, N = 100000, TOKENS = 32 };
  const uint32_t V = 256;
  const size_t len[STREAMS] = {N, N};
  uint32_t *x = malloc(2 * N * sizeof *x);
  uint64_t seed = 9;
  for (size_t i = 0; i < N; ++i)
    x[i] = i < PERIOD ? (uint32_t)(test_rand(&seed) % TOKENS) : x[i - PERIOD];
  /* no 0 in the fresh stream: the table's n-grams led by 0 come before every key */
  for (size_t i = N; i < 2 * N; ++i) x[i] = 1 + (uint32_t)(test_rand(&seed) % (TOKENS - 1));
  ctxlab_model *m = ngram_new(V, (uint32_t)c, "kneser-ney", 0.5, 0);
  ctxlab_ngram *g = m->impl;
  g->table_slots = 1 << 14; /* room for the period's windows, not the fresh ones */
  ngram_fit(m, x, N);
  ngram_fit(m, x + N, N);
  assert_true(g->top.size >= PERIOD && g->spill_n > 65536);
  check_against_sorting(m, x, len, STREAMS, V, c);
  ctxlab_model_free(m);
  free(x);
}

static void test_repeated_table_then_spill(void **state) {
  (void)state;
  check_repeated_table_then_spill(3); /* 32-bit keys */
  check_repeated_table_then_spill(4); /* 40-bit keys, sorted as 8 bytes */
}

/* Add-beta's Q_k(. | h) for contexts h of the stream x (one stream of n
 * tokens), against the formula on counts found by sorting (sorted_counts):
 * the model's rows found through its index, its counts read in order. */
static void check_add_beta_rows(ctxlab_model *m, const uint32_t *x, size_t n, uint32_t V,
                                size_t k, double beta) {
  ctxlab_ngram *g = m->impl;
  uint64_t *keys, *counts;
  const size_t d = sorted_counts(x, &n, 1, k, g->bits, &keys, &counts);
  double *q = malloc(V * sizeof *q);
  ctxlab_error err = {0};
  for (size_t at = k; at < n; at += n / 97) { /* contexts x[at-k .. at-1] */
    const uint64_t h = ctxlab_ngram_pack(x + at - k, k, g->bits);
    /* the row of h: keys h w, w = 0 .. 2^b - 1, ascending */
    uint64_t *lo = keys, *end = keys + d;
    while (lo < end && *lo < h << g->bits) lo++;
    uint64_t total = 0;
    for (uint64_t *e = lo; e < end && *e >> g->bits == h; ++e) total += counts[e - keys];
    assert_int_equal(ctxlab_ngram_predict(m, x + at - k, k, q, &err), CTXLAB_OK);
    for (uint32_t w = 0; w < V; ++w) {
      uint64_t nw = 0;
      for (uint64_t *e = lo; e < end && *e >> g->bits == h; ++e)
        if ((*e & (((uint64_t)1 << g->bits) - 1)) == w) nw = counts[e - keys];
      const double want = ((double)nw + beta) / ((double)total + V * beta);
      if (fabs(q[w] - want) > 1e-12 * want)
        fail_msg("k=%zu at %zu w=%u: Q %.17g, the formula %.17g", k, at, w, q[w], want);
    }
  }
  free(q);
  free(keys);
  free(counts);
}

/* Counts of 255 and more, which an order keeps apart from its byte per
 * entry (ngram.h), written both ways the build writes runs: V = 256, c = 5
 * over random tokens, where runs are mostly single (orders 2 .. 5: `every`),
 * with three 5-token patterns repeated 300, 255 and 254 times in a row; and
 * V = 16, c = 6 over the tokens 0 and 1 only, where runs are long and every
 * count of orders 5 and 6 is in the thousands.  In the first, a trigram
 * seen after every token also takes a continuation count past 255 in
 * `every` mode, after its raw count; and the keys of order 4 (40 bits,
 * over 2^12 of them: below the top order) are kept as their low 32 bits.
 * Against sorting, and (order 4) against add-beta's formula. */
static void test_big_counts_and_narrow_keys(void **state) {
  (void)state;
  enum { N = 150000, PAT = 5 };
  uint32_t *x = malloc(N * sizeof *x);
  uint64_t seed = 11;
  for (size_t i = 0; i < N; ++i) x[i] = (uint32_t)(test_rand(&seed) % 256);
  const size_t reps[3] = {300, 255, 254};
  for (size_t p = 0, at = 1000; p < 3; at += PAT * reps[p] + 1000, ++p)
    for (size_t i = 0; i < PAT * reps[p]; ++i) x[at + i] = (uint32_t)(7 + 5 * p + i % PAT);
  /* the trigram 200 201 202 after token 0, 300 times, then after each of
   * the 256 tokens: in order 2, whose runs are single otherwise (written in
   * `every` mode), its raw count passes 255 before its continuation count
   * (256) does */
  for (size_t i = 0; i < 300 + 256; ++i) {
    const uint32_t after_a[4] = {(uint32_t)(i < 300 ? 0 : i - 300), 200, 201, 202};
    memcpy(x + 20000 + 4 * i, after_a, sizeof after_a);
  }
  for (int kn = 0; kn < 2; ++kn) {
    ctxlab_model *m = ngram_new(256, 5, kn ? "kneser-ney" : "add-beta", 0.5, 0);
    ctxlab_ngram *g = m->impl;
    g->table_slots = 0; /* every window spilled: sorted as keys */
    ngram_fit(m, x, N);
    if (kn) {
      check_against_sorting(m, x, (size_t[]){N}, 1, 256, 5);
      assert_true(g->orders[2].cont.nbig >= 1 && g->orders[2].raw.nbig >= 1);
    } else {
      assert_int_equal(ctxlab_ngram_build(g, NULL), CTXLAB_OK);
      assert_true(g->orders[4].keys32 && g->orders[4].key_bits == 40 && g->orders[4].n > 4096);
      assert_true(g->orders[4].raw.nbig >= 3); /* the patterns' windows */
      check_add_beta_rows(m, x, N, 256, 4, 0.5);
    }
    ctxlab_model_free(m);
  }
  for (size_t i = 0; i < N; ++i) x[i] = (uint32_t)(test_rand(&seed) % 2);
  ctxlab_model *m = ngram_new(16, 6, "kneser-ney", 0.5, 0);
  ((ctxlab_ngram *)m->impl)->table_slots = 0;
  ngram_fit(m, x, N);
  check_against_sorting(m, x, (size_t[]){N}, 1, 16, 6);
  ctxlab_model_free(m);
  free(x);
}

/* Where ctxlab_ngram_table_count_windows stops, by its rules (ngram_table.h):
 * uniform V = 256 tokens, c = 3, 1e6 windows: the first 2^16 windows are
 * new keys but for a repeat or so (birthday: 65536^2 / 2 / 256^4 = 0.5
 * expected), over 99.9%, and 65536 + 934461 more at that rate outgrow the
 * 3/4 of 2^20 slots: it stops at 2^16.  V = 16, c = 3: 2^16
 * possible windows, about 63% of the first 2^16 new (1 - 1/e), never more
 * keys than 2^16 < 3/4 of 2^20: it counts every window.  Then the model
 * counts the V = 256 stream, table then spill, against sorting. */
static void test_table_stops_early(void **state) {
  (void)state;
  enum { N = 1000000 };
  uint32_t *x = malloc(N * sizeof *x);
  uint64_t seed = 5;
  for (size_t i = 0; i < N; ++i) x[i] = (uint32_t)(test_rand(&seed) % 256);
  ctxlab_ngram_table t = {0};
  size_t counted = 0;
  assert_int_equal(ctxlab_ngram_table_count_windows(&t, x, N, 4, 8, CTXLAB_NGRAM_TABLE_SLOTS,
                                                    &counted, NULL),
                   CTXLAB_OK);
  assert_int_equal(counted, 65536);
  ctxlab_ngram_table_free(&t);
  ctxlab_model *m = ngram_new(256, 3, "kneser-ney", 0.5, 0);
  ngram_fit(m, x, N);
  check_against_sorting(m, x, (size_t[]){N}, 1, 256, 3);
  ctxlab_model_free(m);
  for (size_t i = 0; i < N; ++i) x[i] %= 16;
  assert_int_equal(ctxlab_ngram_table_count_windows(&t, x, N, 4, 4, CTXLAB_NGRAM_TABLE_SLOTS,
                                                    &counted, NULL),
                   CTXLAB_OK);
  assert_int_equal(counted, N - 3);
  ctxlab_ngram_table_free(&t);
  free(x);
}

/* The key passes' digits (ctxlab_ngram_key_digits), worked out by hand from
 * the rule: cut at the end of every scanned order's key, each piece split
 * into the digits of at most KEY_DIGIT = 13 bits, as even as can be (the
 * wider first), whose costs by ngram_radix.c's pass_ms (4-byte keys: 16 ms
 * for 1 to 4 bits, 18 for 5, 19 for 6 to 8, 22, 27, 32, 36, 38 for 9 to 13;
 * 8-byte keys: 23 for 1 to 4, 26 for 5 to 8, 29, 33, 36, 46, 50 for 9 to
 * 13) add up to the least, the fewest digits on a tie. */
static void test_key_digits(void **state) {
  (void)state;
  static const struct {
    unsigned bits, first, top, key_bytes, n;
    key_digit want[8];
  } cases[] = {
      /* V = 16, c = 6, 4-byte keys: orders 0..4 summed, cuts at 24 and 28
       * bits; 24 as 8 + 8 + 8 (57) rather than 12 + 12 (72) or 4 x 6 (76) */
      {4, 5, 6, 4, 4, {{0, 8}, {8, 8}, {16, 8}, {24, 4}}},
      /* V = 16, c = 4: one order scanned, 20 bits as 10 + 10 (54) rather
       * than 7 + 7 + 6 (57) */
      {4, 4, 4, 4, 2, {{0, 10}, {10, 10}}},
      /* V = 256, c = 6, 8-byte keys: orders 0, 1 summed; 24 bits as 8 + 8 +
       * 8 (78) rather than 12 + 12 (92), then a token each (26, not 4 + 4: 46) */
      {8, 2, 6, 8, 7, {{0, 8}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 8}, {48, 8}}},
      /* V = 2048, c = 4: 22 bits as 11 + 11 (72) rather than 8 + 7 + 7 (78),
       * then a token each */
      {11, 1, 4, 8, 5, {{0, 11}, {11, 11}, {22, 11}, {33, 11}, {44, 11}}},
      /* V = 70000, c = 2: 34 bits to order 1 as 9 + 9 + 8 + 8 (110) rather
       * than 12 + 11 + 11 (118) or 5 digits (130), then 17 as 9 + 8 (55) */
      {17, 1, 2, 8, 6, {{0, 9}, {9, 9}, {18, 8}, {26, 8}, {34, 9}, {43, 8}}},
      /* V = 8192, c = 1, 4-byte keys: 26 bits as 9 + 9 + 8 (63) rather than
       * 13 + 13 (76, every digit the widest) or 7 + 7 + 6 + 6 (76) */
      {13, 1, 1, 4, 3, {{0, 9}, {9, 9}, {18, 8}}},
      /* c = 0: the one order, scanned */
      {3, 0, 0, 4, 1, {{0, 3}}},
  };
  for (size_t t = 0; t < sizeof cases / sizeof *cases; ++t) {
    key_digit d[64];
    const unsigned n = ctxlab_ngram_key_digits(cases[t].bits, cases[t].first, cases[t].top,
                                               cases[t].key_bytes, d);
    assert_int_equal(n, cases[t].n);
    for (unsigned i = 0; i < n; ++i) {
      assert_int_equal(d[i].shift, cases[t].want[i].shift);
      assert_int_equal(d[i].width, cases[t].want[i].width);
    }
  }
}

static void test_large_streams_against_sorting(void **state) {
  (void)state;
  const size_t limits[] = {SIZE_MAX, SMALL, 0};
  for (size_t i = 0; i < sizeof limits / sizeof *limits; ++i) {
    check_long_streams(256, 4, 200000, 1, limits[i]); /* 8-bit tokens, 40-bit keys */
    check_long_streams(16, 6, 100000, 2, limits[i]);
    check_long_streams(5000, 3, 50000, 3, limits[i]);  /* 13-bit tokens: two radix passes each */
    check_long_streams(70000, 2, 50000, 4, limits[i]); /* 17 bits */
    check_long_streams(2, 40, 20000, 5, limits[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_beta),
      cmocka_unit_test(test_kneser_ney_estimated_discount),
      cmocka_unit_test(test_kneser_ney_fixed_discount),
      cmocka_unit_test(test_untrained_is_uniform),
      cmocka_unit_test(test_streams_are_separate),
      cmocka_unit_test(test_large_streams_against_sorting),
      cmocka_unit_test(test_repeated_table_then_spill),
      cmocka_unit_test(test_key_digits),
      cmocka_unit_test(test_table_stops_early),
      cmocka_unit_test(test_big_counts_and_narrow_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
