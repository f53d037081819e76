/* GSL adapter (include/ctxlab/rng.h, core/rng/gsl_adapter.c): the two gsl_rng_type
 * objects and ctxlab_rng_gsl_new, checked with a port of the checks of GSL's own
 * rng/test.c battery (float ratio, state copy, clone, parallel state, fwrite/fread,
 * max/min coverage) and a chi-square test of a GSL sampler drawing through PCG.
 *
 * Sources of expected values:
 *   [pcg-c] pcg-c test-high/expected/check-pcg32.out (initstate 42, initseq 54), as
 *           quoted in /work/shared/reference/peers-anchors.md 4.1; the adapter's
 *           gsl_rng_set(r, s) is documented to seed (s, 54);
 *   otherwise the definitions in rng.h and GSL's documented behaviour. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "ctxlab/rng.h"

/* [pcg-c] the first raw values of rounds 1 and 2 of the demo.  Round 2 starts at
 * draw 155: round 1 is 6 raw draws (then advance(-6) and the same 6 again), 65
 * coins, 33 rolls and 51 shuffle draws, none rejected (test_rng.c checks the
 * rounds in full, which pins that count). */
static const uint32_t DEMO_ROUND1[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                        0x83d2f293, 0xbfa4784b, 0xcbed606e};
static const uint32_t DEMO_ROUND2_FIRST = 0x74ab93ad;
enum { DEMO_ROUND_DRAWS = 155 };

#define NTYPES 2
static const gsl_rng_type *types(int i) {
  return i == 0 ? ctxlab_gsl_rng_pcg32 : ctxlab_gsl_rng_pcg64dxsm;
}

static gsl_rng *alloc_seeded(const gsl_rng_type *t, unsigned long seed) {
  gsl_rng *r = gsl_rng_alloc(t);
  assert_non_null(r);
  gsl_rng_set(r, seed);
  return r;
}

/* Must run first: nothing before it in this process may call ctxlab_init(). */
static void test_gsl_new_turns_abort_handler_off(void **unused) {
  /* gsl_set_error_handler returns the previous handler; NULL is GSL's default
   * (print and abort). */
  gsl_error_handler_t *before = gsl_set_error_handler(NULL);
  assert_null(before);
  ctxlab_rng src;
  ctxlab_rng_derive(&src, 1, "test.gsl", 0);
  gsl_rng *r = ctxlab_rng_gsl_new(&src);
  assert_non_null(r);
  gsl_error_handler_t *after = gsl_set_error_handler(NULL);
  assert_non_null(after);
  gsl_set_error_handler(after);
  /* An invalid request now returns a status instead of aborting: GSL documents
   * gsl_rng_uniform_int(r, n) for 0 < n <= max - min + 1 only. */
  assert_int_equal(gsl_rng_uniform_int(r, 0), 0);
  gsl_rng_free(r);
}

static void test_pcg32_demo_through_gsl(void **unused) {
  gsl_rng *r = alloc_seeded(ctxlab_gsl_rng_pcg32, 42);
  for (int i = 0; i < 6; ++i) assert_int_equal(gsl_rng_get(r), DEMO_ROUND1[i]);
  /* GSL's rng_test(T, seed, n, expected): the value after a fixed number of draws. */
  for (int i = 6; i < DEMO_ROUND_DRAWS; ++i) (void)gsl_rng_get(r);
  assert_int_equal(gsl_rng_get(r), DEMO_ROUND2_FIRST);
  gsl_rng_free(r);
}

static void test_names_and_range(void **unused) {
  assert_string_equal(ctxlab_gsl_rng_pcg32->name, "ctxlab-pcg32");
  assert_string_equal(ctxlab_gsl_rng_pcg64dxsm->name, "ctxlab-pcg64dxsm");
  for (int t = 0; t < NTYPES; ++t) {
    gsl_rng *r = gsl_rng_alloc(types(t));
    assert_non_null(r);
    assert_string_equal(gsl_rng_name(r), types(t)->name);
    assert_int_equal(gsl_rng_min(r), 0);
    assert_int_equal(gsl_rng_max(r), 0xffffffffUL);
    /* The state is the PCG struct itself, aligned as C requires. */
    assert_int_equal(gsl_rng_size(r), t == 0 ? sizeof(ctxlab_pcg32) : sizeof(ctxlab_pcg64dxsm));
    assert_int_equal((uintptr_t)gsl_rng_state(r) % _Alignof(ctxlab_pcg64dxsm), 0);
    gsl_rng_free(r);
  }
}

/* The dxsm type: gsl_rng_set(r, s) is ctxlab_rng_derive(s, "gsl", 0) and get is
 * the high half of one 64-bit draw (rng.h). */
static void test_dxsm_set_and_get(void **unused) {
  static const unsigned long seeds[] = {0, 1, 42, 0xffffffffUL};
  for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; ++s) {
    gsl_rng *r = alloc_seeded(ctxlab_gsl_rng_pcg64dxsm, seeds[s]);
    ctxlab_rng ref;
    ctxlab_rng_derive(&ref, seeds[s], "gsl", 0);
    for (int i = 0; i < 100; ++i) assert_int_equal(gsl_rng_get(r), ctxlab_rng_next64(&ref) >> 32);
    gsl_rng_free(r);
  }
}

/* GSL rng_float_test: get_double is exactly get * 2^-32 (so it never reaches 1). */
static void test_float_ratio(void **unused) {
  for (int t = 0; t < NTYPES; ++t) {
    gsl_rng *a = alloc_seeded(types(t), 7), *b = alloc_seeded(types(t), 7);
    for (int i = 0; i < 100000; ++i) {
      unsigned long k = gsl_rng_get(a);
      double u = gsl_rng_uniform(b);
      if (u != (double)k * 0x1.0p-32)
        fail_msg("%s draw %d: uniform %.17g, get %lu", types(t)->name, i, u, k);
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
  }
}

/* The largest value: pcg32 state 0x07fffe0000000000 outputs 0xffffffff
 * (derivation in test_rng.c), and get_double gives (2^32 - 1) / 2^32, not 1.0
 * (dividing by UINT32_MAX would give 1.0). */
static void test_get_double_below_one(void **unused) {
  gsl_rng *r = gsl_rng_alloc(ctxlab_gsl_rng_pcg32);
  assert_non_null(r);
  const ctxlab_pcg32 top = {0x07fffe0000000000ULL, 2 * 54 + 1};
  memcpy(gsl_rng_state(r), &top, sizeof top);
  assert_true(gsl_rng_uniform(r) == 1.0 - 0x1.0p-32);
  memcpy(gsl_rng_state(r), &top, sizeof top);
  assert_int_equal(gsl_rng_get(r), 0xffffffffUL);
  gsl_rng_free(r);
}

/* GSL rng_state_test: after gsl_rng_memcpy the copy repeats the source's draws. */
static void test_state_memcpy(void **unused) {
  for (int t = 0; t < NTYPES; ++t) {
    gsl_rng *a = alloc_seeded(types(t), 99), *b = alloc_seeded(types(t), 5);
    for (int i = 0; i < 37; ++i) (void)gsl_rng_get(a);
    assert_int_equal(gsl_rng_memcpy(b, a), GSL_SUCCESS);
    for (int i = 0; i < 1000; ++i) assert_int_equal(gsl_rng_get(a), gsl_rng_get(b));
    gsl_rng_free(a);
    gsl_rng_free(b);
  }
}

static void test_clone_continues(void **unused) {
  for (int t = 0; t < NTYPES; ++t) {
    gsl_rng *a = alloc_seeded(types(t), 123);
    for (int i = 0; i < 11; ++i) (void)gsl_rng_get(a);
    gsl_rng *c = gsl_rng_clone(a);
    assert_non_null(c);
    assert_ptr_not_equal(gsl_rng_state(c), gsl_rng_state(a));
    for (int i = 0; i < 1000; ++i) assert_int_equal(gsl_rng_get(a), gsl_rng_get(c));
    gsl_rng_free(a);
    gsl_rng_free(c);
  }
}

/* GSL rng_parallel_state_test: generators with the same seed, drawn in turn, give
 * equal values; seeding a third one in between touches neither (set() must seed
 * the state it is given, never a global, and must not depend on addresses). */
static void test_parallel_state(void **unused) {
  for (int t = 0; t < NTYPES; ++t) {
    gsl_rng *a = alloc_seeded(types(t), 42), *b = alloc_seeded(types(t), 42);
    gsl_rng *c = gsl_rng_alloc(types(t));
    assert_non_null(c);
    for (int i = 0; i < 1000; ++i) {
      unsigned long x = gsl_rng_get(a);
      gsl_rng_set(c, (unsigned long)i);
      (void)gsl_rng_get(c);
      assert_int_equal(gsl_rng_get(b), x);
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
  }
  /* And pcg32 seeded 42 after other generators were seeded is still the demo. */
  gsl_rng *other = alloc_seeded(ctxlab_gsl_rng_pcg32, 7);
  gsl_rng *r = alloc_seeded(ctxlab_gsl_rng_pcg32, 42);
  gsl_rng_set(other, 8);
  for (int i = 0; i < 6; ++i) assert_int_equal(gsl_rng_get(r), DEMO_ROUND1[i]);
  gsl_rng_free(other);
  gsl_rng_free(r);
}

/* gsl_rng_fwrite / gsl_rng_fread copy the raw state bytes through a file. */
static void test_fwrite_fread(void **unused) {
  for (int t = 0; t < NTYPES; ++t) {
    gsl_rng *r = alloc_seeded(types(t), 2718);
    for (int i = 0; i < 5; ++i) (void)gsl_rng_get(r);
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(gsl_rng_fwrite(f, r), GSL_SUCCESS);
    unsigned long want[100];
    for (int i = 0; i < 100; ++i) want[i] = gsl_rng_get(r);
    rewind(f);
    gsl_rng *back = alloc_seeded(types(t), 1);
    assert_int_equal(gsl_rng_fread(f, back), GSL_SUCCESS);
    fclose(f);
    for (int i = 0; i < 100; ++i) assert_int_equal(gsl_rng_get(back), want[i]);
    gsl_rng_free(r);
    gsl_rng_free(back);
  }
}

/* GSL rng_max_test / rng_min_test: in N draws the largest value comes within
 * 7 (max - min) / N of max (and the smallest within that of min).  The gap is
 * about exponential with mean (max - min) / N, so a correct 32-bit generator fails
 * with probability ~e^-7 per check; N = 200000 as in GSL's test.c. */
static void test_max_min_coverage(void **unused) {
  enum { N = 200000 };
  const double allowed = 7.0 * 0xffffffffUL / N;
  for (int t = 0; t < NTYPES; ++t) {
    gsl_rng *r = alloc_seeded(types(t), 31415);
    unsigned long lo = ~0UL, hi = 0;
    for (int i = 0; i < N; ++i) {
      unsigned long k = gsl_rng_get(r);
      if (k < lo) lo = k;
      if (k > hi) hi = k;
    }
    assert_true(hi <= 0xffffffffUL);
    if ((double)(0xffffffffUL - hi) > allowed || (double)lo > allowed)
      fail_msg("%s: min %lu, max %lu over %d draws", types(t)->name, lo, hi, N);
    gsl_rng_free(r);
  }
}

/* Pearson's chi-square of Poisson(MU) draws made by gsl_ran_poisson through the
 * dxsm adapter, bins 0..TAIL-1 and >= TAIL. */
enum { POISSON_N = 20000, TAIL = 12 };
#define POISSON_MU 4.0

static double poisson_chisq(const unsigned long *counts, double mu) {
  double x2 = 0, below = 0;
  for (int k = 0; k <= TAIL; ++k) {
    /* expected probabilities: gsl_ran_poisson_pdf, and 1 - P(X < TAIL) for the tail */
    double p = k < TAIL ? gsl_ran_poisson_pdf((unsigned)k, mu) : 1.0 - below;
    below += p;
    double e = POISSON_N * p, d = (double)counts[k] - e;
    x2 += d * d / e;
  }
  return x2;
}

static void test_poisson_sampler_chisq(void **unused) {
  ctxlab_rng src;
  ctxlab_rng_derive(&src, 2024, "test.gsl.poisson", 0);
  gsl_rng *r = ctxlab_rng_gsl_new(&src);
  assert_non_null(r);
  unsigned long counts[TAIL + 1] = {0};
  for (int i = 0; i < POISSON_N; ++i) {
    unsigned k = gsl_ran_poisson(r, POISSON_MU);
    ++counts[k < TAIL ? k : TAIL];
  }
  gsl_rng_free(r);
  /* Smallest expected count: N P(X >= 12) = 20000 * 0.00113 = 23, above 5. */
  /* Critical value at alpha = 1e-3 with TAIL degrees of freedom (TAIL + 1 bins):
   * GSL's gsl_cdf_chisq_Qinv, upper-tail inverse of the chi-square CDF. */
  const double critical = gsl_cdf_chisq_Qinv(1e-3, TAIL);
  double x2 = poisson_chisq(counts, POISSON_MU);
  if (!(x2 < critical))
    fail_msg("Poisson(%.1f): chi-square %.2f >= %.2f", POISSON_MU, x2, critical);
  /* Power: the same counts reject a mean 5% off, so N is large enough to matter. */
  double x2_off = poisson_chisq(counts, 1.05 * POISSON_MU);
  if (!(x2_off > critical))
    fail_msg("Poisson(%.1f) vs mean 4.2: chi-square %.2f <= %.2f", POISSON_MU, x2_off, critical);
}

/* ctxlab_rng_gsl_new continues the source stream: its draws are the high halves
 * of the source's next 64-bit draws, and the source is not advanced. */
static void test_gsl_new_continues_stream(void **unused) {
  ctxlab_rng src;
  ctxlab_rng_derive(&src, 77, "test.gsl", 3);
  for (int i = 0; i < 9; ++i) (void)ctxlab_rng_next64(&src);
  const ctxlab_rng saved = src;
  gsl_rng *r = ctxlab_rng_gsl_new(&src);
  assert_non_null(r);
  assert_ptr_equal(gsl_rng_name(r), ctxlab_gsl_rng_pcg64dxsm->name);
  assert_memory_equal(&src, &saved, sizeof src);
  for (int i = 0; i < 1000; ++i) assert_int_equal(gsl_rng_get(r), ctxlab_rng_next64(&src) >> 32);
  gsl_rng_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gsl_new_turns_abort_handler_off), /* keep first */
      cmocka_unit_test(test_pcg32_demo_through_gsl),
      cmocka_unit_test(test_names_and_range),
      cmocka_unit_test(test_dxsm_set_and_get),
      cmocka_unit_test(test_float_ratio),
      cmocka_unit_test(test_get_double_below_one),
      cmocka_unit_test(test_state_memcpy),
      cmocka_unit_test(test_clone_continues),
      cmocka_unit_test(test_parallel_state),
      cmocka_unit_test(test_fwrite_fread),
      cmocka_unit_test(test_max_min_coverage),
      cmocka_unit_test(test_poisson_sampler_chisq),
      cmocka_unit_test(test_gsl_new_continues_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
