/* The oracle: Bayes-optimal next-token distributions checked against
 * brute-force computations written independently here. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctxlab/lang.h"
#include "gen/family.h"

static ctxlab_lang *build(const char *spec) {
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new(spec, &lang, &err)) fail_msg("spec %s: %s", spec, err.message);
  return lang;
}

static void sample_window(const ctxlab_lang *lang, uint64_t seed, uint32_t *w, size_t n) {
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, seed, "test.window", 0);
  ctxlab_sampler *s;
  assert_int_equal(ctxlab_sampler_new(lang, &rng, &s, NULL), 0);
  ctxlab_sampler_fill(s, w, n);
  ctxlab_sampler_free(s);
}

/* Brute force for the latent family: the joint hidden state of d chains as a
 * d-bit integer z; the process is Z_1 ~ uniform, X_t emitted from Z_t
 * (chain j w.p. w_j, bit z_j flipped w.p. eps), Z_{t+1} = Z_t with each bit
 * flipped independently w.p. rho_j.  Forward algorithm over 2^d states. */
static void brute_latent(size_t d, const double *w, const double *rho, double eps,
                         const uint32_t *win, size_t c, double *probs) {
  size_t S = (size_t)1 << d;
  double *alpha = malloc(sizeof(double) * S), *next = malloc(sizeof(double) * S);
  for (size_t z = 0; z < S; ++z) alpha[z] = 1.0 / (double)S;
  for (size_t t = 0; t < c; ++t) {
    uint32_t j = win[t] >> 1, b = win[t] & 1;
    for (size_t z = 0; z < S; ++z) alpha[z] *= w[j] * (((z >> j) & 1) == b ? 1 - eps : eps);
    for (size_t z2 = 0; z2 < S; ++z2) {
      next[z2] = 0;
      for (size_t z = 0; z < S; ++z) {
        double p = 1;
        for (size_t i = 0; i < d; ++i) p *= ((z >> i) & 1) == ((z2 >> i) & 1) ? 1 - rho[i] : rho[i];
        next[z2] += alpha[z] * p;
      }
    }
    double total = 0;
    for (size_t z = 0; z < S; ++z) total += next[z];
    for (size_t z = 0; z < S; ++z) alpha[z] = next[z] / total;
  }
  for (size_t x = 0; x < 2 * d; ++x) {
    probs[x] = 0;
    for (size_t z = 0; z < S; ++z)
      probs[x] += alpha[z] * w[x >> 1] * (((z >> (x >> 1)) & 1) == (x & 1) ? 1 - eps : eps);
  }
  free(alpha);
  free(next);
}

static void check_latent_against_brute_force(const char *spec, size_t d, const double *w,
                                             const double *rho, double eps) {
  ctxlab_lang *lang = build(spec);
  enum { N = 24 };
  uint32_t win[N];
  double probs[16], want[16];
  for (uint64_t seed = 0; seed < 20; ++seed) {
    sample_window(lang, seed, win, N);
    for (size_t c = 0; c <= N; c += (c < 6 ? 1 : 6)) {
      assert_int_equal(ctxlab_lang_predict(lang, win + (N - c), c, probs, NULL), 0);
      brute_latent(d, w, rho, eps, win + (N - c), c, want);
      for (size_t x = 0; x < 2 * d; ++x)
        if (fabs(probs[x] - want[x]) > 1e-12)
          fail_msg("%s: seed %llu, c = %zu, token %zu: %.15g, brute force %.15g", spec,
                   (unsigned long long)seed, c, x, probs[x], want[x]);
    }
  }
  ctxlab_lang_free(lang);
}

static void test_latent_oracle_brute_force(void **state) {
  static const double w[3] = {0.5, 0.3, 0.2}, rho[3] = {0.02, 0.2, 0.5};
  const char *base = "{\"family\": \"latent\", \"chains\": 3, \"flip\": [0.02, 0.2, 0.5], "
                     "\"weights\": [5, 3, 2], \"noise\": ";
  char spec[256];
  snprintf(spec, sizeof spec, "%s0}", base);
  check_latent_against_brute_force(spec, 3, w, rho, 0);
  snprintf(spec, sizeof spec, "%s0.15}", base);
  check_latent_against_brute_force(spec, 3, w, rho, 0.15);
  static const double w2[2] = {0.5, 0.5}, rho2[2] = {0, 0.1};
  check_latent_against_brute_force("{\"family\": \"latent\", \"chains\": 2, \"flip\": [0, 0.1], "
                                   "\"weights\": \"uniform\", \"noise\": 0.3}",
                                   2, w2, rho2, 0.3);
}

/* ops->suffix_entropies equals the entropy of the oracle for every suffix,
 * with one scratch reused for several windows (its slots reset lazily). */
static void test_suffix_entropies_match_oracle(void **state) {
  const char *specs[] = {"{\"family\": \"latent\", \"chains\": 6, \"noise\": 0}",
                         "{\"family\": \"latent\", \"chains\": 6, \"noise\": 0.1, "
                         "\"timescales\": {\"min\": 1, \"max\": 100}}",
                         "noisy-facts"};
  enum { N = 300 };
  for (size_t s = 0; s < 3; ++s) {
    ctxlab_lang *lang = build(specs[s]);
    const ctxlab_family_ops *ops = ctxlab_lang_ops(lang);
    uint32_t V = ctxlab_lang_vocab_size(lang), win[N];
    double bits[N + 1], *probs = malloc(sizeof(double) * V);
    assert_non_null(ops->suffix_entropies);
    void *scratch = ops->scratch_new(ctxlab_lang_impl(lang));
    assert_non_null(scratch);
    for (uint64_t rep = 0; rep < 3; ++rep) {
    sample_window(lang, 10 * s + rep, win, N);
    assert_int_equal(ops->suffix_entropies(ctxlab_lang_impl(lang), scratch, win, N, bits, NULL), 0);
    for (size_t c = 0; c <= N; ++c) {
      assert_int_equal(ctxlab_lang_predict(lang, win + (N - c), c, probs, NULL), 0);
      double h = 0, total = 0;
      for (uint32_t x = 0; x < V; ++x) {
        total += probs[x];
        if (probs[x] > 0) h -= probs[x] * log2(probs[x]);
      }
      assert_true(fabs(total - 1) < 1e-12);
      if (fabs(h - bits[c]) > 1e-10)
        fail_msg("%s: c = %zu: suffix entropy %.15g, oracle %.15g", specs[s], c, bits[c], h);
    }
    }
    ops->scratch_free(scratch);
    free(probs);
    ctxlab_lang_free(lang);
  }
}

/* eps = 0 closed form: chain j last seen a tokens ago showing b: next bit b
 * with probability (1 + (1 - 2 rho_j)^a)/2 (SCIENCE.md section 5). */
static void test_latent_oracle_closed_form(void **state) {
  ctxlab_lang *lang = build("{\"family\": \"latent\", \"chains\": 2, \"flip\": [0.1, 0.25], "
                            "\"weights\": [3, 1]}");
  /* chain 0 last shows 0 at position 3 (2 steps before the next token), chain 1
   * shows 1 at position 4 (1 step before) */
  uint32_t win[] = {1, 2, 0, 0, 3};
  double p[4];
  assert_int_equal(ctxlab_lang_predict(lang, win, 5, p, NULL), 0);
  double q0 = (1 + pow(0.8, 2)) / 2, q1 = (1 + pow(0.5, 1)) / 2;
  assert_true(fabs(p[0] - 0.75 * q0) < 1e-15);
  assert_true(fabs(p[1] - 0.75 * (1 - q0)) < 1e-15);
  assert_true(fabs(p[3] - 0.25 * q1) < 1e-15);
  assert_true(fabs(p[2] - 0.25 * (1 - q1)) < 1e-15);
  /* nothing seen: uniform bits */
  assert_int_equal(ctxlab_lang_predict(lang, NULL, 0, p, NULL), 0);
  assert_true(p[0] == 0.375 && p[1] == 0.375 && p[2] == 0.125 && p[3] == 0.125);
  /* a token out of range is an error naming it */
  uint32_t bad[] = {1, 4};
  ctxlab_error err = {0};
  assert_int_equal(ctxlab_lang_predict(lang, bad, 2, p, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "window[1] = 4 is not a token"));
  ctxlab_lang_free(lang);
}

/* Markov order 2 over V = 2 with an explicit table: for c >= 2 the oracle is
 * the table row; for c < 2 it is the stationary block law, computed here by
 * power iteration of the 4-state lifted chain (independent of the library). */
static void test_markov_oracle(void **state) {
  static const double P[4][2] = {{0.9, 0.1}, {0.4, 0.6}, {0.3, 0.7}, {0.2, 0.8}};
  ctxlab_lang *lang = build("{\"family\": \"markov\", \"vocab\": 2, \"order\": 2, \"transitions\": "
                            "[[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]]}");
  double pi[4] = {0.25, 0.25, 0.25, 0.25};
  for (int it = 0; it < 5000; ++it) {
    double nx[4] = {0};
    for (int s = 0; s < 4; ++s)
      for (int x = 0; x < 2; ++x) nx[(s * 2 + x) % 4] += pi[s] * P[s][x];
    memcpy(pi, nx, sizeof pi);
  }
  double p[2];
  uint32_t w3[3] = {1, 0, 1};
  assert_int_equal(ctxlab_lang_predict(lang, w3, 3, p, NULL), 0);
  assert_true(p[0] == P[1][0] && p[1] == P[1][1]); /* last two tokens 0 1 -> row 1 */
  /* c = 1: P(x | last token a) = sum_o pi(o a) P(o a -> x) / sum_o pi(o a) */
  for (uint32_t a = 0; a < 2; ++a) {
    assert_int_equal(ctxlab_lang_predict(lang, &a, 1, p, NULL), 0);
    double m = pi[a] + pi[2 + a];
    for (int x = 0; x < 2; ++x) {
      double want = (pi[a] * P[a][x] + pi[2 + a] * P[2 + a][x]) / m;
      assert_true(fabs(p[x] - want) < 1e-13);
    }
  }
  /* c = 0: the stationary token law, P(x) = pi(0 x) + pi(1 x) */
  assert_int_equal(ctxlab_lang_predict(lang, NULL, 0, p, NULL), 0);
  assert_true(fabs(p[0] - (pi[0] + pi[2])) < 1e-13);
  assert_true(fabs(p[1] - (pi[1] + pi[3])) < 1e-13);
  ctxlab_lang_free(lang);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_latent_oracle_brute_force),
      cmocka_unit_test(test_suffix_entropies_match_oracle),
      cmocka_unit_test(test_latent_oracle_closed_form),
      cmocka_unit_test(test_markov_oracle),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
