/* PCG generators (include/ctxlab/rng.h): published reference outputs, jump-ahead,
 * independence of generators, stream derivation, bounded integers, uniform doubles.
 *
 * Sources of expected values:
 *   [pcg-c]  pcg-c test-high/expected/check-pcg32.out and check-pcg64.out, as quoted in
 *            /work/shared/reference/peers-anchors.md 4.1-4.2;
 *   [dxsm]   peers-anchors.md 4.3: PCG64-DXSM seeded the pcg-c way with (42, 54),
 *            reproduced there by an independent C implementation and numpy 1.24
 *            (tests/python/test_rng_numpy.py re-checks it with numpy at test time);
 *   [golden] tests/golden/rng_derive.out, confirmed against an independent Python
 *            re-implementation by tests/python/test_rng_numpy.py;
 *   otherwise properties that follow from the definitions (cited where used). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "ctxlab/rng.h"

/* ------------------------------------------------------------------------ */
/* The three generators behind one interface                                */
/* ------------------------------------------------------------------------ */

typedef union any_gen {
  ctxlab_pcg32 p32;
  ctxlab_pcg64 p64;
  ctxlab_pcg64dxsm dxsm;
} any_gen;

typedef struct gen_kind {
  const char *name;
  size_t size;   /* bytes of the generator struct: the whole state */
  unsigned bits; /* LCG state bits; the period is 2^bits */
  void (*seed)(any_gen *g, uint64_t initstate, uint64_t initseq);
  uint64_t (*next)(any_gen *g);
  void (*advance)(any_gen *g, ctxlab_u128 delta);
} gen_kind;

static void p32_seed(any_gen *g, uint64_t s, uint64_t q) { ctxlab_pcg32_seed(&g->p32, s, q); }
static uint64_t p32_next(any_gen *g) { return ctxlab_pcg32_next(&g->p32); }
/* The period is 2^64, so delta counts modulo 2^64. */
static void p32_advance(any_gen *g, ctxlab_u128 d) { ctxlab_pcg32_advance(&g->p32, (uint64_t)d); }

static void p64_seed(any_gen *g, uint64_t s, uint64_t q) { ctxlab_pcg64_seed(&g->p64, s, q); }
static uint64_t p64_next(any_gen *g) { return ctxlab_pcg64_next(&g->p64); }
static void p64_advance(any_gen *g, ctxlab_u128 d) { ctxlab_pcg64_advance(&g->p64, d); }

static void dxsm_seed(any_gen *g, uint64_t s, uint64_t q) { ctxlab_pcg64dxsm_seed(&g->dxsm, s, q); }
static uint64_t dxsm_next(any_gen *g) { return ctxlab_pcg64dxsm_next(&g->dxsm); }
static void dxsm_advance(any_gen *g, ctxlab_u128 d) { ctxlab_pcg64dxsm_advance(&g->dxsm, d); }

static const gen_kind KINDS[] = {
    {"pcg32", sizeof(ctxlab_pcg32), 64, p32_seed, p32_next, p32_advance},
    {"pcg64", sizeof(ctxlab_pcg64), 128, p64_seed, p64_next, p64_advance},
    {"pcg64dxsm", sizeof(ctxlab_pcg64dxsm), 128, dxsm_seed, dxsm_next, dxsm_advance},
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])

static any_gen seeded(const gen_kind *k, uint64_t initstate, uint64_t initseq) {
  any_gen g;
  memset(&g, 0, sizeof g);
  k->seed(&g, initstate, initseq);
  return g;
}

static int same_state(const gen_kind *k, const any_gen *a, const any_gen *b) {
  return memcmp(a, b, k->size) == 0;
}

/* Number of single steps from `from` to `to` (at most limit; limit + 1 if not
 * reached): how many draws a call consumed. */
static unsigned steps_between(const gen_kind *k, any_gen from, const any_gen *to, unsigned limit) {
  unsigned n = 0;
  while (n <= limit && !same_state(k, &from, to)) {
    k->next(&from);
    ++n;
  }
  return n;
}

/* Pearson's chi-square statistic of counts against expected counts. */
static double chisq(const unsigned long *counts, const double *expected, size_t bins) {
  double x2 = 0;
  for (size_t i = 0; i < bins; ++i) {
    double d = (double)counts[i] - expected[i];
    x2 += d * d / expected[i];
  }
  return x2;
}

/* Significance level of every chi-square test here; seeds are fixed, so each
 * test is deterministic, and a correct generator passes it with probability
 * 1 - alpha for a seed chosen at random. */
#define CHISQ_ALPHA 1e-3

/* Chi-square test of counts against the uniform distribution on bins values.
 * Critical value: GSL's gsl_cdf_chisq_Qinv(alpha, nu), the upper-tail inverse of
 * the chi-square distribution with nu = bins - 1 degrees of freedom. */
static void assert_uniform_counts(const unsigned long *counts, size_t bins, const char *what) {
  double expected[64];
  unsigned long n = 0;
  assert_true(bins <= 64);
  for (size_t i = 0; i < bins; ++i) n += counts[i];
  for (size_t i = 0; i < bins; ++i) expected[i] = (double)n / (double)bins;
  double x2 = chisq(counts, expected, bins);
  double critical = gsl_cdf_chisq_Qinv(CHISQ_ALPHA, (double)(bins - 1));
  if (!(x2 < critical))
    fail_msg("%s: chi-square %.2f >= critical %.2f (%zu bins)", what, x2, critical, bins);
}

/* ------------------------------------------------------------------------ */
/* Published reference outputs                                              */
/* ------------------------------------------------------------------------ */

/* pcg-c's check harness names card c (0..51) by rank c / 4 and suit c % 4.  The
 * naming is worked out from the 8 cards of round 1 listed in [pcg-c]: the shuffle
 * below deals cards 46 51 22 11 10 13 8 38; c / 4 over "A23456789TJQK" gives the
 * listed ranks Q K 6 3 3 4 3 T, and c % 4 = 2 3 2 3 2 1 0 2 against the listed
 * suits d s d s d c h d fixes the order h c d s.  (A rank c % 13, suit c / 13
 * layout cannot fit: cards 46 and 51 share c / 13 = 3 but are listed as Qd, Ks.)
 * So the 8 ranks are checked independently, the suits for consistency. */
static void card_name(int c, char out[3]) {
  out[0] = "A23456789TJQK"[c / 4];
  out[1] = "hcds"[c % 4];
  out[2] = '\0';
}

static void test_pcg32_demo_rounds(void **unused) {
  /* [pcg-c] check-pcg32.out, initstate 42, initseq 54: the "32bit:" lines. */
  static const uint32_t raw[3][6] = {
      {0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e},
      {0x74ab93ad, 0x1c1da000, 0x494ff896, 0x34462f2f, 0xd308a3e5, 0x0fa83bab},
      {0x39af5f9f, 0x04196b18, 0xc3c3eb28, 0xc076c60c, 0xc693e135, 0xf8f63932},
  };
  /* [pcg-c] round 1: 65 coins (H = boundedrand(2) == 1), 33 rolls (boundedrand(6) + 1),
   * and the first 8 cards, the only ones the reference lists. */
  static const char coins1[] = "HHTTTHTHHHTHTTTHHHHHTTTHHHTHTHTHTTHTTTHHHHHHTTTTHHTTTTTHTTTTTTTHT";
  static const char rolls1[] = "341122324324335231315141564662633";
  static const char cards1[] = "QdKs6d3s3d4c3hTd";

  ctxlab_pcg32 rng;
  ctxlab_pcg32_seed(&rng, 42, 54);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 6; ++i) assert_int_equal(ctxlab_pcg32_next(&rng), raw[round][i]);
    /* "Again:" the same six after advance(-6). */
    ctxlab_pcg32_advance(&rng, (uint64_t)-6);
    for (int i = 0; i < 6; ++i) assert_int_equal(ctxlab_pcg32_next(&rng), raw[round][i]);

    char coins[66], rolls[34], cards[17];
    for (int i = 0; i < 65; ++i) coins[i] = ctxlab_pcg32_bounded(&rng, 2) ? 'H' : 'T';
    coins[65] = '\0';
    for (int i = 0; i < 33; ++i) rolls[i] = (char)('1' + ctxlab_pcg32_bounded(&rng, 6));
    rolls[33] = '\0';
    /* Fisher-Yates as in pcg-c's harness: for i = 52 down to 2, swap card i-1 with
     * card boundedrand(i). */
    int deck[52];
    for (int i = 0; i < 52; ++i) deck[i] = i;
    for (uint32_t i = 52; i > 1; --i) {
      uint32_t j = ctxlab_pcg32_bounded(&rng, i);
      int t = deck[j];
      deck[j] = deck[i - 1];
      deck[i - 1] = t;
    }
    for (int i = 0; i < 8; ++i) card_name(deck[i], cards + 2 * i);
    if (round == 0) {
      assert_string_equal(coins, coins1);
      assert_string_equal(rolls, rolls1);
      assert_string_equal(cards, cards1);
    }
    /* The next round's raw values (checked at the top of the loop) also pin the
     * number of draws the coins, rolls and shuffle consumed. */
  }
}

static void test_pcg64_vectors(void **unused) {
  /* [pcg-c] check-pcg64.out, initstate 42, initseq 54. */
  static const uint64_t want[6] = {0x86b1da1d72062b68, 0x1304aa46c9853d39, 0xa3670e9e0dd50358,
                                   0xf9090e529a7dae00, 0xc85b9fd837996f2c, 0x606121f8e3919196};
  ctxlab_pcg64 rng;
  ctxlab_pcg64_seed(&rng, 42, 54);
  for (int i = 0; i < 6; ++i) assert_int_equal(ctxlab_pcg64_next(&rng), want[i]);
}

static void test_pcg64dxsm_vectors(void **unused) {
  /* [dxsm] pcg-c seeding with the cheap multiplier, (42, 54). */
  static const uint64_t want[3] = {0xf0847c9518bddb90, 0x8e7d5f5514ba8aaa, 0x86fbd36f8028f6fd};
  ctxlab_pcg64dxsm rng;
  ctxlab_pcg64dxsm_seed(&rng, 42, 54);
  for (int i = 0; i < 3; ++i) assert_int_equal(ctxlab_pcg64dxsm_next(&rng), want[i]);
  /* ctxlab_rng is this generator. */
  ctxlab_rng r;
  ctxlab_pcg64dxsm_seed(&r, 42, 54);
  assert_int_equal(ctxlab_rng_next64(&r), want[0]);
}

/* ------------------------------------------------------------------------ */
/* Jump-ahead                                                               */
/* ------------------------------------------------------------------------ */

static void test_advance_equals_stepping(void **unused) {
  static const unsigned steps[] = {0, 1, 2, 3, 64, 1000, 100003};
  for (size_t k = 0; k < NKINDS; ++k) {
    const gen_kind *kind = &KINDS[k];
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; ++s) {
      any_gen jumped = seeded(kind, 17, 99), stepped = jumped;
      kind->advance(&jumped, steps[s]);
      for (unsigned i = 0; i < steps[s]; ++i) kind->next(&stepped);
      if (!same_state(kind, &jumped, &stepped))
        fail_msg("%s: advance(%u) != %u steps", kind->name, steps[s], steps[s]);
    }
  }
}

static void test_advance_round_trip(void **unused) {
  const ctxlab_u128 big = CTXLAB_U128(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
  const ctxlab_u128 deltas[] = {0, 1, 6, 1000, ((ctxlab_u128)1 << 40) + 1, ((ctxlab_u128)1 << 63) + 3,
                                big, ~(ctxlab_u128)0};
  for (size_t k = 0; k < NKINDS; ++k) {
    const gen_kind *kind = &KINDS[k];
    for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; ++d) {
      any_gen start = seeded(kind, 5, 6), g = start;
      kind->advance(&g, deltas[d]);
      kind->advance(&g, -deltas[d]); /* -n mod 2^128 (mod 2^64 for pcg32) */
      if (!same_state(kind, &g, &start))
        fail_msg("%s: advance(n), advance(-n) moved (case %zu)", kind->name, d);
    }
  }
}

static void test_advance_composes_and_has_full_period(void **unused) {
  const ctxlab_u128 a = CTXLAB_U128(0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL);
  const ctxlab_u128 b = CTXLAB_U128(0x94d049bb133111ebULL, 0x2545f4914f6cdd1dULL);
  for (size_t k = 0; k < NKINDS; ++k) {
    const gen_kind *kind = &KINDS[k];
    /* advance(a) then advance(b) is advance(a + b): the jumps are powers of one map. */
    any_gen g1 = seeded(kind, 3, 4), g2 = g1;
    kind->advance(&g1, a);
    kind->advance(&g1, b);
    kind->advance(&g2, a + b);
    assert_true(same_state(kind, &g1, &g2));

    /* Full period 2^bits (Hull-Dobell: odd increment, multiplier = 1 mod 4): half
     * a period moves the state, two halves bring it back. */
    const ctxlab_u128 half = (ctxlab_u128)1 << (kind->bits - 1);
    any_gen start = seeded(kind, 3, 4), g = start;
    kind->advance(&g, half);
    assert_false(same_state(kind, &g, &start));
    kind->advance(&g, half);
    assert_true(same_state(kind, &g, &start));
  }
}

/* ------------------------------------------------------------------------ */
/* No hidden shared state                                                   */
/* ------------------------------------------------------------------------ */

enum { INTERLEAVE_N = 500 };

static void test_interleaved_equals_apart(void **unused) {
  for (size_t k = 0; k < NKINDS; ++k) {
    const gen_kind *kind = &KINDS[k];
    uint64_t apart_a[INTERLEAVE_N], apart_b[INTERLEAVE_N];
    any_gen a = seeded(kind, 1, 2), b = seeded(kind, 3, 4);
    for (int i = 0; i < INTERLEAVE_N; ++i) apart_a[i] = kind->next(&a);
    for (int i = 0; i < INTERLEAVE_N; ++i) apart_b[i] = kind->next(&b);

    a = seeded(kind, 1, 2);
    b = seeded(kind, 3, 4);
    for (int i = 0; i < INTERLEAVE_N; ++i) {
      assert_int_equal(kind->next(&b), apart_b[i]);
      if (i % 50 == 0) { /* seeding or jumping a third generator disturbs neither */
        any_gen c = seeded(kind, 1, 2);
        kind->advance(&c, 12345);
        kind->next(&c);
      }
      assert_int_equal(kind->next(&a), apart_a[i]);
    }
  }
}

/* ------------------------------------------------------------------------ */
/* Stream derivation                                                        */
/* ------------------------------------------------------------------------ */

static void test_derive_deterministic(void **unused) {
  ctxlab_rng a, b;
  ctxlab_rng_derive(&a, 42, "gen.sequence", 7);
  ctxlab_rng_derive(&b, 42, "gen.sequence", 7);
  assert_memory_equal(&a, &b, sizeof a);
  for (int i = 0; i < 100; ++i) assert_int_equal(ctxlab_rng_next64(&a), ctxlab_rng_next64(&b));
}

static void test_derive_distinct_streams(void **unused) {
  static const uint64_t seeds[] = {0, 1, 2, UINT64_MAX};
  static const char *const purposes[] = {"gen.sequence", "gen.stream", "lang.table",
                                         "theory.monte-carlo", "gsl", "", "a", "b", "ab", "ba"};
  static const uint64_t indices[] = {0, 1, 2, (uint64_t)1 << 32, UINT64_MAX};
  enum { NS = 4, NP = 10, NI = 5, N = NS * NP * NI, DRAWS = 4 };
  static ctxlab_rng rngs[N];
  static uint64_t first[N][DRAWS];
  size_t n = 0;
  for (size_t s = 0; s < NS; ++s)
    for (size_t p = 0; p < NP; ++p)
      for (size_t i = 0; i < NI; ++i, ++n) {
        ctxlab_rng_derive(&rngs[n], seeds[s], purposes[p], indices[i]);
        assert_true((rngs[n].inc & 1u) == 1u); /* a full-period LCG stream */
        ctxlab_rng g = rngs[n];
        for (int d = 0; d < DRAWS; ++d) first[n][d] = ctxlab_rng_next64(&g);
      }
  /* Every pair of triples differs in increment (a different LCG stream), in
   * state, and in its first outputs. */
  for (size_t x = 0; x < N; ++x)
    for (size_t y = x + 1; y < N; ++y) {
      if (rngs[x].inc == rngs[y].inc || rngs[x].state == rngs[y].state ||
          memcmp(first[x], first[y], sizeof first[x]) == 0)
        fail_msg("derived streams %zu and %zu coincide", x, y);
    }
}

/* [golden] each row: seed purpose index, then the first outputs of the stream. */
static void test_derive_golden(void **unused) {
  const char *path = CTXLAB_TEST_DATA "/golden/rng_derive.out";
  FILE *f = fopen(path, "r");
  if (!f) fail_msg("cannot open %s", path);
  char line[512];
  int rows = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    uint64_t seed, index, want[8];
    char purpose[64];
    int used, nwant = 0;
    if (sscanf(line, "%" SCNu64 " %63s %" SCNu64 "%n", &seed, purpose, &index, &used) != 3)
      fail_msg("%s: bad row '%s'", path, line);
    for (const char *p = line + used;
         nwant < 8 && sscanf(p, " %" SCNx64 "%n", &want[nwant], &used) == 1; p += used)
      ++nwant;
    assert_true(nwant >= 1);
    ctxlab_rng rng;
    ctxlab_rng_derive(&rng, seed, purpose, index);
    for (int i = 0; i < nwant; ++i) {
      uint64_t got = ctxlab_rng_next64(&rng);
      if (got != want[i])
        fail_msg("derive(%" PRIu64 ", %s, %" PRIu64 ") draw %d: 0x%016" PRIx64
                 ", golden 0x%016" PRIx64,
                 seed, purpose, index, i, got, want[i]);
    }
    ++rows;
  }
  fclose(f);
  assert_true(rows >= 5);
}

/* ------------------------------------------------------------------------ */
/* Bounded integers                                                         */
/* ------------------------------------------------------------------------ */

static uint64_t p32_bounded(any_gen *g, uint64_t b) {
  return ctxlab_pcg32_bounded(&g->p32, (uint32_t)b);
}
static uint64_t p64_bounded(any_gen *g, uint64_t b) { return ctxlab_pcg64_bounded(&g->p64, b); }
static uint64_t rng_bounded(any_gen *g, uint64_t b) { return ctxlab_rng_bounded(&g->dxsm, b); }
static uint64_t (*const BOUNDED[NKINDS])(any_gen *, uint64_t) = {p32_bounded, p64_bounded,
                                                                 rng_bounded};

static void test_bounded_edges(void **unused) {
  for (size_t k = 0; k < NKINDS; ++k) {
    const gen_kind *kind = &KINDS[k];
    any_gen g = seeded(kind, 11, 12);
    int seen[2] = {0, 0};
    for (int i = 0; i < 200; ++i) {
      /* bound 1: always 0, one draw (2^w mod 1 = 0 rejects nothing). */
      any_gen before = g;
      assert_int_equal(BOUNDED[k](&g, 1), 0);
      assert_int_equal(steps_between(kind, before, &g, 10), 1);
      /* bound 2: 0 or 1, and both occur. */
      uint64_t v = BOUNDED[k](&g, 2);
      assert_true(v < 2);
      seen[v] = 1;
    }
    assert_true(seen[0] && seen[1]);
  }
}

/* pcg-c's method for bound 2^32 - 1: the threshold 2^32 mod bound = 1 rejects the
 * draw 0 only.  Crafted states force both cases (outputs derived from the
 * XSH-RR output function in rng.h):
 *   state 0 outputs 0 (xorshift of 0, rotation 0);
 *   state 0x07fffe0000000000 (bits 41..58) outputs 0xffffffff: rotation s >> 59 = 0,
 *   and s ^ (s >> 18) has bits 23..58 set, whose bits 27..58 are the output. */
static void test_pcg32_bounded_max_bound(void **unused) {
  const uint32_t bound = UINT32_MAX;
  /* pcg-c's default increment: from state 0 it steps to a state far from 0 (a
   * small increment would step to a small state, which outputs 0 again). */
  const uint64_t inc = 1442695040888963407ULL;
  ctxlab_pcg32 zero = {0, inc}, top = {0x07fffe0000000000ULL, inc};
  ctxlab_pcg32 probe = zero;
  assert_int_equal(ctxlab_pcg32_next(&probe), 0);
  probe = top;
  assert_int_equal(ctxlab_pcg32_next(&probe), 0xffffffffu);

  /* 0 is rejected: the result is the second draw mod bound. */
  ctxlab_pcg32 g = zero, ref = zero;
  (void)ctxlab_pcg32_next(&ref);
  uint32_t second = ctxlab_pcg32_next(&ref);
  assert_true(second != 0);
  assert_int_equal(ctxlab_pcg32_bounded(&g, bound), second % bound);
  assert_true(g.state == ref.state);
  /* 0xffffffff is accepted and reduces to 0. */
  g = top;
  assert_int_equal(ctxlab_pcg32_bounded(&g, bound), 0);

  ctxlab_pcg32_seed(&g, 8, 9);
  for (int i = 0; i < 10000; ++i) assert_true(ctxlab_pcg32_bounded(&g, bound) < bound);
}

/* pcg-c's method for pcg64 with bound 2^63 + 1: the threshold 2^64 mod bound =
 * 2^63 - 1 rejects about half the draws.  Each call is replayed on a copy from the
 * rule in rng.h (reject r < 2^64 mod bound, return r mod bound), with 2^64 mod bound
 * computed in 128-bit arithmetic. */
static void test_pcg64_bounded_rejection(void **unused) {
  const uint64_t bound = ((uint64_t)1 << 63) + 1;
  const uint64_t threshold = (uint64_t)(((ctxlab_u128)1 << 64) % bound);
  ctxlab_pcg64 g;
  ctxlab_pcg64_seed(&g, 21, 22);
  unsigned rejected = 0;
  for (int call = 0; call < 2000; ++call) {
    ctxlab_pcg64 ref = g;
    uint64_t got = ctxlab_pcg64_bounded(&g, bound), r;
    while ((r = ctxlab_pcg64_next(&ref)) < threshold) ++rejected;
    assert_int_equal(got, r % bound);
    assert_true(got < bound);
    assert_true(ref.state == g.state);
  }
  assert_true(rejected > 500 && rejected < 4000); /* about one per call */
}

/* Lemire's method (ctxlab_rng_bounded): each call is replayed on a copy from the
 * plain rule (Lemire 2019, section 4): draw x, m = x * bound; accept when
 * m mod 2^64 >= 2^64 mod bound and return m / 2^64.  The implementation skips
 * computing the threshold when m mod 2^64 >= bound, so calls fall in three
 * branches: fast accept (low >= bound), slow accept (threshold <= low < bound),
 * reject (low < threshold). */
typedef struct lemire_branches {
  unsigned fast, slow, reject;
} lemire_branches;

static lemire_branches replay_lemire(ctxlab_rng *g, uint64_t bound, int calls) {
  const uint64_t threshold = (uint64_t)(((ctxlab_u128)1 << 64) % bound);
  lemire_branches n = {0, 0, 0};
  for (int call = 0; call < calls; ++call) {
    ctxlab_rng ref = *g;
    uint64_t got = ctxlab_rng_bounded(g, bound);
    ctxlab_u128 m;
    for (;;) {
      m = (ctxlab_u128)ctxlab_rng_next64(&ref) * bound;
      if ((uint64_t)m >= threshold) break;
      ++n.reject;
    }
    if ((uint64_t)m >= bound) ++n.fast;
    else ++n.slow;
    assert_int_equal(got, (uint64_t)(m >> 64));
    assert_true(got < bound);
    assert_true(ref.state == g->state);
  }
  return n;
}

static void test_rng_bounded_lemire_branches(void **unused) {
  ctxlab_rng g;
  ctxlab_pcg64dxsm_seed(&g, 31, 32);
  /* 2^63 + 1: low < bound half the time, threshold 2^63 - 1, so rejections are
   * about as common as fast accepts (slow accepts need low in [2^63 - 1, 2^63 + 1)). */
  lemire_branches n = replay_lemire(&g, ((uint64_t)1 << 63) + 1, 2000);
  assert_true(n.fast > 500 && n.reject > 500);
  /* 3 * 2^62: threshold 2^62, so fast accept 1/4, slow accept 1/2, reject 1/4 per draw. */
  n = replay_lemire(&g, (uint64_t)3 << 62, 2000);
  assert_true(n.fast > 200 && n.slow > 500 && n.reject > 200);
  /* Small bounds: a slow path is rare but the replay must still agree. */
  (void)replay_lemire(&g, 7, 2000);
  (void)replay_lemire(&g, 1, 100);
}

/* Uniformity over a small bound that is not a power of two. */
static void test_bounded_chisq_small_bound(void **unused) {
  enum { BOUND = 7, PER_BIN = 10000 };
  for (size_t k = 0; k < NKINDS; ++k) {
    any_gen g = seeded(&KINDS[k], 2024, 6);
    unsigned long counts[BOUND] = {0};
    for (int i = 0; i < BOUND * PER_BIN; ++i) {
      uint64_t v = BOUNDED[k](&g, BOUND);
      assert_true(v < BOUND);
      ++counts[v];
    }
    assert_uniform_counts(counts, BOUND, KINDS[k].name);
  }
}

/* Uniformity where skipping the rejection step would be grossly biased: bound
 * 3 * 2^(w-2) for w-bit draws.  Without rejection, pcg-c's r mod bound puts half
 * the mass on [0, 2^(w-2)) (top-two-bit bin 0), and Lemire's m / 2^64 gives
 * result mod 3 = 0 for two of every four x; either way the bins would hold
 * 1/2, 1/4, 1/4 and chi-square ~ N / 8 = 3750, far above the critical value. */
static void test_bounded_chisq_rejection_matters(void **unused) {
  enum { N = 30000 };
  for (size_t k = 0; k < NKINDS; ++k) {
    const gen_kind *kind = &KINDS[k];
    const unsigned w = kind->bits == 64 ? 32 : 64; /* output bits */
    const uint64_t bound = (uint64_t)3 << (w - 2);
    any_gen g = seeded(kind, 77, 78);
    unsigned long counts[3] = {0};
    for (int i = 0; i < N; ++i) {
      uint64_t v = BOUNDED[k](&g, bound);
      assert_true(v < bound);
      ++counts[k == 2 ? v % 3 : v >> (w - 2)];
    }
    assert_uniform_counts(counts, 3, kind->name);
  }
}

/* ------------------------------------------------------------------------ */
/* Uniform doubles                                                          */
/* ------------------------------------------------------------------------ */

/* A DXSM state whose next output is want (odd, or 0).  The output is
 * f(hi) * (lo | 1) mod 2^64 where f mixes only the high half (rng.h), so with
 * lo = 1 the generator itself reveals f(hi), and for odd f(hi),
 * lo = want * f(hi)^-1 mod 2^64 gives want.  hi = 0 gives f = 0, output 0. */
static ctxlab_rng dxsm_state_with_output(uint64_t want) {
  ctxlab_rng g = {0, 1};
  if (want == 0) return g;
  for (uint64_t hi = 1;; ++hi) {
    g.state = CTXLAB_U128(hi, 1);
    ctxlab_rng probe = g;
    uint64_t f = ctxlab_rng_next64(&probe);
    if (!(f & 1)) continue;
    uint64_t inv = f; /* Newton's iteration for 1/f mod 2^64: 3, 6, ..., 96 correct bits */
    for (int i = 0; i < 5; ++i) inv *= 2 - f * inv;
    g.state = CTXLAB_U128(hi, want * inv);
    return g;
  }
}

static void test_uniform_extremes(void **unused) {
  ctxlab_rng zero = dxsm_state_with_output(0), ones = dxsm_state_with_output(UINT64_MAX), g;
  g = zero;
  assert_int_equal(ctxlab_rng_next64(&g), 0);
  g = ones;
  assert_int_equal(ctxlab_rng_next64(&g), UINT64_MAX);

  g = zero;
  assert_true(ctxlab_rng_uniform(&g) == 0.0);
  g = zero;
  assert_true(ctxlab_rng_uniform_pos(&g) == 0x1.0p-53);
  g = ones;
  assert_true(ctxlab_rng_uniform(&g) == 1.0 - 0x1.0p-53); /* the largest value, below 1 */
  g = ones;
  assert_true(ctxlab_rng_uniform_pos(&g) == 1.0);
}

static void test_uniform_range_and_resolution(void **unused) {
  enum { N = 1 << 16 };
  ctxlab_rng g;
  ctxlab_rng_derive(&g, 5, "test.uniform", 0);
  unsigned odd = 0;
  for (int i = 0; i < N; ++i) {
    ctxlab_rng copy = g;
    double u = ctxlab_rng_uniform(&g);
    double p = ctxlab_rng_uniform_pos(&copy);
    assert_true(u >= 0.0 && u < 1.0);
    assert_true(p > 0.0 && p <= 1.0);
    assert_true(p == u + 0x1.0p-53); /* same draw, shifted by one ulp of the grid */
    double scaled = u * 0x1.0p53;    /* exact: a power-of-two scaling */
    assert_true(scaled == floor(scaled));
    odd += fmod(scaled, 2.0) == 1.0;
  }
  /* The lowest of the 53 bits varies (about half the draws are odd multiples of
   * 2^-53), so the resolution really is 2^-53. */
  assert_true(odd > N / 2 - N / 16 && odd < N / 2 + N / 16);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pcg32_demo_rounds),
      cmocka_unit_test(test_pcg64_vectors),
      cmocka_unit_test(test_pcg64dxsm_vectors),
      cmocka_unit_test(test_advance_equals_stepping),
      cmocka_unit_test(test_advance_round_trip),
      cmocka_unit_test(test_advance_composes_and_has_full_period),
      cmocka_unit_test(test_interleaved_equals_apart),
      cmocka_unit_test(test_derive_deterministic),
      cmocka_unit_test(test_derive_distinct_streams),
      cmocka_unit_test(test_derive_golden),
      cmocka_unit_test(test_bounded_edges),
      cmocka_unit_test(test_pcg32_bounded_max_bound),
      cmocka_unit_test(test_pcg64_bounded_rejection),
      cmocka_unit_test(test_rng_bounded_lemire_branches),
      cmocka_unit_test(test_bounded_chisq_small_bound),
      cmocka_unit_test(test_bounded_chisq_rejection_matters),
      cmocka_unit_test(test_uniform_extremes),
      cmocka_unit_test(test_uniform_range_and_resolution),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
