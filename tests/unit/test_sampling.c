/* Sampling: the sequence kernels equal the streaming samplers, streams extend,
 * and samples follow their tables (chi-square and binomial tests, fixed
 * seeds, so deterministic; critical values from GSL's chi-square quantile). */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctxlab/lang.h"

static ctxlab_lang *build(const char *spec) {
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new(spec, &lang, &err)) fail_msg("spec %s: %s", spec, err.message);
  return lang;
}

static const char *const specs[] = {
    "{\"family\": \"markov\", \"vocab\": 2, \"order\": 0, \"seed\": 1}",
    "{\"family\": \"markov\", \"vocab\": 3, \"order\": 1, \"seed\": 2}",
    "{\"family\": \"markov\", \"vocab\": 5, \"order\": 2, \"seed\": 3, \"concentration\": 0.3}",
    "{\"family\": \"markov\", \"vocab\": 2, \"order\": 3, \"seed\": 4}",
    "{\"family\": \"markov\", \"vocab\": 256, \"order\": 1, \"seed\": 5}",
    "{\"family\": \"latent\", \"chains\": 7, \"flip\": [0, 0.5, 0.1, 0.01, 0.3, 0.2, 0.001]}",
    "{\"family\": \"latent\", \"chains\": 5, \"noise\": 0.2}",
    "santa-fe",
};

/* Sequence i of a set is the stream of ctxlab_rng_derive(seed, "gen.sequence",
 * i), whatever the count, the first index, or the length (prefixes). */
static void test_sequences_equal_streams(void **state) {
  enum { COUNT = 19, LEN = 37 };
  for (size_t s = 0; s < sizeof specs / sizeof *specs; ++s) {
    ctxlab_lang *lang = build(specs[s]);
    uint32_t *set = malloc(sizeof(uint32_t) * COUNT * LEN);
    uint32_t *part = malloc(sizeof(uint32_t) * COUNT * LEN);
    uint32_t stream[LEN];
    assert_int_equal(ctxlab_lang_sample_sequences(lang, 11, 0, COUNT, LEN, set, NULL), 0);
    for (size_t i = 0; i < COUNT; ++i) {
      ctxlab_rng rng;
      ctxlab_rng_derive(&rng, 11, "gen.sequence", i);
      ctxlab_sampler *sp;
      assert_int_equal(ctxlab_sampler_new(lang, &rng, &sp, NULL), 0);
      /* in uneven pieces: the stream continues across calls */
      ctxlab_sampler_fill(sp, stream, 1);
      ctxlab_sampler_fill(sp, stream + 1, 0);
      ctxlab_sampler_fill(sp, stream + 1, 4);
      ctxlab_sampler_fill(sp, stream + 5, LEN - 5);
      ctxlab_sampler_free(sp);
      if (memcmp(stream, set + i * LEN, sizeof stream))
        fail_msg("%s: sequence %zu differs from its stream", specs[s], i);
    }
    /* a subset, and shorter sequences, are prefixes of the same sequences */
    assert_int_equal(ctxlab_lang_sample_sequences(lang, 11, 5, 9, 13, part, NULL), 0);
    for (size_t i = 0; i < 9; ++i)
      assert_memory_equal(part + i * 13, set + (5 + i) * LEN, 13 * sizeof(uint32_t));
    /* another seed gives another sample */
    assert_int_equal(ctxlab_lang_sample_sequences(lang, 12, 0, COUNT, LEN, part, NULL), 0);
    assert_true(memcmp(part, set, sizeof(uint32_t) * COUNT * LEN) != 0);
    /* every token is in the vocabulary */
    for (size_t i = 0; i < COUNT * LEN; ++i) assert_true(set[i] < ctxlab_lang_vocab_size(lang));
    free(set);
    free(part);
    ctxlab_lang_free(lang);
  }
}

/* ctxlab_sampler_restart equals a new sampler on the same generator. */
static void test_restart_equals_new(void **state) {
  for (size_t s = 0; s < sizeof specs / sizeof *specs; ++s) {
    ctxlab_lang *lang = build(specs[s]);
    ctxlab_rng a, b;
    ctxlab_rng_derive(&a, 3, "test", 0);
    ctxlab_rng_derive(&b, 3, "test", 1);
    ctxlab_sampler *reused, *fresh;
    uint32_t x[500], y[500];
    assert_int_equal(ctxlab_sampler_new(lang, &a, &reused, NULL), 0);
    ctxlab_sampler_fill(reused, x, 333);
    ctxlab_sampler_restart(reused, &b);
    ctxlab_sampler_fill(reused, x, 500);
    assert_int_equal(ctxlab_sampler_new(lang, &b, &fresh, NULL), 0);
    ctxlab_sampler_fill(fresh, y, 500);
    if (memcmp(x, y, sizeof x)) fail_msg("%s: a restarted sampler differs from a new one", specs[s]);
    ctxlab_sampler_free(reused);
    ctxlab_sampler_free(fresh);
    ctxlab_lang_free(lang);
  }
}

/* Pearson chi-square of observed counts against expected probabilities; fails
 * above the 1 - 1e-6 quantile (gsl_cdf_chisq_Qinv). */
static void chi_square(const char *what, const double *count, const double *prob, size_t n) {
  double total = 0, stat = 0;
  size_t cells = 0;
  for (size_t i = 0; i < n; ++i) total += count[i];
  for (size_t i = 0; i < n; ++i) {
    double e = total * prob[i];
    if (e == 0) {
      if (count[i] > 0) fail_msg("%s: cell %zu has probability 0 but %g counts", what, i, count[i]);
      continue;
    }
    stat += (count[i] - e) * (count[i] - e) / e;
    ++cells;
  }
  double critical = gsl_cdf_chisq_Qinv(1e-6, (double)(cells - 1));
  if (!(stat < critical)) fail_msg("%s: chi-square %.2f >= %.2f (%zu cells)", what, stat, critical, cells);
}

/* The weather chain: transition counts against its explicit table, and the
 * token frequencies against its stationary law.  pi solves pi P = pi; for
 * this table (rows 0.7 0.2 0.1 / 0.3 0.4 0.3 / 0.2 0.3 0.5), solved exactly in
 * rationals: pi = (21, 13, 12)/46 (check: (21*0.7 + 13*0.3 + 12*0.2)/46 = 21/46).
 * The other eigenvalues of P are (0.6 +- sqrt(0.12))/2 = 0.473, 0.127 (trace
 * 1.6, determinant 0.06), so the integrated autocorrelation time of a token
 * indicator is at most (1 + 0.473)/(1 - 0.473) < 3. */
static void test_markov_follows_table(void **state) {
  static const double P[3][3] = {{0.7, 0.2, 0.1}, {0.3, 0.4, 0.3}, {0.2, 0.3, 0.5}};
  static const double pi[3] = {21.0 / 46, 13.0 / 46, 12.0 / 46};
  ctxlab_lang *lang = build("weather");
  enum { N = 1000000 };
  uint32_t *x = malloc(sizeof(uint32_t) * N);
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 1, "test", 0);
  ctxlab_sampler *sp;
  assert_int_equal(ctxlab_sampler_new(lang, &rng, &sp, NULL), 0);
  ctxlab_sampler_fill(sp, x, N);
  ctxlab_sampler_free(sp);
  double trans[3][3] = {{0}}, freq[3] = {0};
  for (size_t t = 0; t < N; ++t) {
    freq[x[t]] += 1;
    if (t) trans[x[t - 1]][x[t]] += 1;
  }
  for (int a = 0; a < 3; ++a) chi_square("weather transitions", trans[a], P[a], 3);
  /* consecutive tokens are dependent: allow 6 standard errors of a Markov
   * chain average, variance inflated by the autocorrelation time 3 */
  for (int a = 0; a < 3; ++a) {
    double se = sqrt(3.0 * pi[a] * (1 - pi[a]) / N);
    if (fabs(freq[a] / N - pi[a]) > 6 * se)
      fail_msg("weather: frequency of %d is %.5f, stationary %.5f", a, freq[a] / N, pi[a]);
  }
  free(x);
  ctxlab_lang_free(lang);
}

/* Order 2 over V = 3: transition counts for every 2-block against the rows the
 * oracle reports (the table itself, since c >= k), and the first two tokens of
 * independent sequences against the stationary 2-block law (from the oracle at
 * c = 0 and c = 1, which this checks is consistent with stationarity). */
static void test_markov_order2_follows_table(void **state) {
  ctxlab_lang *lang = build("{\"family\": \"markov\", \"vocab\": 3, \"order\": 2, \"seed\": 8}");
  enum { K = 20000, T = 50 };
  uint32_t *x = malloc(sizeof(uint32_t) * K * T);
  assert_int_equal(ctxlab_lang_sample_sequences(lang, 3, 0, K, T, x, NULL), 0);
  double trans[9][3] = {{0}}, first[9] = {0};
  for (size_t i = 0; i < K; ++i) {
    const uint32_t *s = x + i * T;
    first[s[0] * 3 + s[1]] += 1;
    for (size_t t = 2; t < T; ++t) trans[s[t - 2] * 3 + s[t - 1]][s[t]] += 1;
  }
  double p0[3], p1[3], law2[9];
  assert_int_equal(ctxlab_lang_predict(lang, NULL, 0, p0, NULL), 0);
  for (uint32_t a = 0; a < 3; ++a) {
    assert_int_equal(ctxlab_lang_predict(lang, &a, 1, p1, NULL), 0);
    for (uint32_t b = 0; b < 3; ++b) law2[a * 3 + b] = p0[a] * p1[b];
  }
  chi_square("order-2 first block", first, law2, 9);
  for (uint32_t s = 0; s < 9; ++s) {
    uint32_t w[2] = {s / 3, s % 3};
    double row[3];
    assert_int_equal(ctxlab_lang_predict(lang, w, 2, row, NULL), 0);
    chi_square("order-2 transitions", trans[s], row, 3);
  }
  free(x);
  ctxlab_lang_free(lang);
}

/* Latent: chains are shown with probability w_j, and two observations of the
 * same chain a steps apart agree with probability (1 + (1 - 2 eps)^2 r^a)/2
 * (r = 1 - 2 rho; SCIENCE.md section 5), checked by a z-test. */
static void check_latent_statistics(const char *spec, const double *w, const double *rho,
                                    double eps, size_t d) {
  ctxlab_lang *lang = build(spec);
  enum { N = 2000000, AMAX = 6 };
  uint32_t *x = malloc(sizeof(uint32_t) * N);
  assert_int_equal(ctxlab_lang_sample_sequences(lang, 5, 0, 1, N, x, NULL), 0);
  double *count = calloc(d, sizeof(double));
  double *last_t = malloc(sizeof(double) * d);
  uint32_t *last_bit = malloc(sizeof(uint32_t) * d);
  double agree[8][AMAX + 1] = {{0}}, pairs[8][AMAX + 1] = {{0}};
  for (size_t j = 0; j < d; ++j) last_t[j] = -1;
  for (size_t t = 0; t < N; ++t) {
    uint32_t j = x[t] >> 1, b = x[t] & 1;
    count[j] += 1;
    if (last_t[j] >= 0) {
      size_t a = (size_t)((double)t - last_t[j]);
      if (a <= AMAX) {
        pairs[j][a] += 1;
        agree[j][a] += b == last_bit[j];
      }
    }
    last_t[j] = (double)t;
    last_bit[j] = b;
  }
  chi_square(spec, count, w, d);
  for (size_t j = 0; j < d; ++j)
    for (size_t a = 1; a <= AMAX; ++a) {
      if (pairs[j][a] < 1000) continue;
      double p = (1 + (1 - 2 * eps) * (1 - 2 * eps) * pow(1 - 2 * rho[j], (double)a)) / 2;
      double z = (agree[j][a] - pairs[j][a] * p) / sqrt(pairs[j][a] * p * (1 - p) + 1e-300);
      if (fabs(z) > 5.5)
        fail_msg("%s: chain %zu, gap %zu: agreement %.5f, expected %.5f (z = %.2f)", spec, j, a,
                 agree[j][a] / pairs[j][a], p, z);
    }
  free(x);
  free(count);
  free(last_t);
  free(last_bit);
  ctxlab_lang_free(lang);
}

static void test_latent_statistics(void **state) {
  static const double w3[3] = {0.5, 0.3, 0.2}, rho3[3] = {0.05, 0.2, 0.5};
  check_latent_statistics("{\"family\": \"latent\", \"chains\": 3, \"flip\": [0.05, 0.2, 0.5], "
                          "\"weights\": [5, 3, 2]}",
                          w3, rho3, 0, 3);
  check_latent_statistics("{\"family\": \"latent\", \"chains\": 3, \"flip\": [0.05, 0.2, 0.5], "
                          "\"weights\": [5, 3, 2], \"noise\": 0.1}",
                          w3, rho3, 0.1, 3);
  /* rho = 0 never flips: with eps = 0 every later observation agrees */
  static const double w2[2] = {0.5, 0.5}, rho2[2] = {0, 0.01};
  check_latent_statistics("{\"family\": \"latent\", \"chains\": 2, \"flip\": [0, 0.01], "
                          "\"weights\": \"uniform\"}",
                          w2, rho2, 0, 2);
}

/* The stationary start: a chain's first shown bit is uniform. */
static void test_latent_first_bits_uniform(void **state) {
  ctxlab_lang *lang = build("{\"family\": \"latent\", \"chains\": 1, \"flip\": [0]}");
  enum { K = 40000 };
  uint32_t *x = malloc(sizeof(uint32_t) * K * 3);
  assert_int_equal(ctxlab_lang_sample_sequences(lang, 2, 0, K, 3, x, NULL), 0);
  double ones[2] = {0};
  for (size_t i = 0; i < K; ++i) {
    ones[x[3 * i]] += 1;
    /* rho = 0 and no noise: the bit never changes within a sequence */
    assert_int_equal(x[3 * i], x[3 * i + 2]);
  }
  static const double half[2] = {0.5, 0.5};
  chi_square("first bit", ones, half, 2);
  free(x);
  ctxlab_lang_free(lang);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sequences_equal_streams),
      cmocka_unit_test(test_restart_equals_new),
      cmocka_unit_test(test_markov_follows_table),
      cmocka_unit_test(test_markov_order2_follows_table),
      cmocka_unit_test(test_latent_statistics),
      cmocka_unit_test(test_latent_first_bits_uniform),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
