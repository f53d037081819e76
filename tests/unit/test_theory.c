/* theory/: Monte Carlo against exact curves and brute-force enumeration,
 * thread independence, bipartite MI, power-law fits, entropy-rate bounds. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctxlab/theory.h"

static ctxlab_lang *build(const char *spec) {
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new(spec, &lang, &err)) fail_msg("spec %s: %s", spec, err.message);
  return lang;
}

static void truth_of(const ctxlab_lang *lang, size_t L, ctxlab_theory_mode mode, int threads,
                     uint64_t samples, ctxlab_truth *t) {
  ctxlab_theory_options o;
  ctxlab_theory_options_init(&o);
  o.max_context = L;
  o.mode = mode;
  o.threads = threads;
  o.samples = samples;
  o.seed = 3;
  ctxlab_error err = {0};
  if (ctxlab_theory_compute(lang, &o, t, &err)) fail_msg("theory: %s", err.message);
}

/* |estimate - exact| <= 4 standard errors at every point (exact to 1e-12
 * where the estimator has no variance, e.g. H(0) of a Markov chain). */
static void within_4_se(const char *what, const ctxlab_curve *mc, const double *exact) {
  for (size_t i = 0; i < mc->n; ++i) {
    double diff = fabs(mc->bits[i] - exact[i]), se = mc->stderr_bits[i];
    if (!(diff <= 4 * se || diff < 1e-12))
      fail_msg("%s: point %lld: Monte Carlo %.6f +- %.6f, exact %.6f (%.1f standard errors)", what,
               (long long)mc->x[i], mc->bits[i], se, exact[i], diff / se);
  }
}

static void test_monte_carlo_agrees_with_exact(void **state) {
  const char *specs[] = {"weather", "{\"family\": \"markov\", \"vocab\": 3, \"order\": 2}",
                         "two-facts", "{\"family\": \"latent\", \"chains\": 6}"};
  for (size_t s = 0; s < 4; ++s) {
    ctxlab_lang *lang = build(specs[s]);
    ctxlab_truth exact, mc;
    truth_of(lang, 24, CTXLAB_THEORY_AUTO, 0, 0, &exact);
    truth_of(lang, 24, CTXLAB_THEORY_MONTE_CARLO, 0, 20000, &mc);
    assert_int_equal(exact.conditional_entropy.method, CTXLAB_METHOD_EXACT);
    assert_int_equal(mc.conditional_entropy.method, CTXLAB_METHOD_MONTE_CARLO);
    assert_int_equal(mc.mc_samples, 20000);
    within_4_se(specs[s], &mc.conditional_entropy, exact.conditional_entropy.bits);
    within_4_se(specs[s], &mc.bipartite_mutual_information,
                exact.bipartite_mutual_information.bits);
    ctxlab_truth_free(&exact);
    ctxlab_truth_free(&mc);
    ctxlab_lang_free(lang);
  }
}

/* Exact H(c) of a noisy latent language with 2 chains by enumeration: every
 * window w of c tokens with its probability (forward algorithm over the 4
 * joint hidden states), H(c) = sum_w P(w) H(next | w). */
static double brute_noisy_H(const double *w, const double *rho, double eps, size_t c) {
  const size_t V = 4, S = 4;
  size_t windows = 1;
  for (size_t i = 0; i < c; ++i) windows *= V;
  double H = 0;
  for (size_t code = 0; code < windows; ++code) {
    double alpha[4] = {0.25, 0.25, 0.25, 0.25};
    size_t rest = code;
    for (size_t t = 0; t < c; ++t, rest /= V) {
      size_t x = rest % V, j = x >> 1, b = x & 1;
      double next[4] = {0};
      for (size_t z = 0; z < S; ++z) alpha[z] *= w[j] * (((z >> j) & 1) == b ? 1 - eps : eps);
      for (size_t z = 0; z < S; ++z)
        for (size_t z2 = 0; z2 < S; ++z2) {
          double p = 1;
          for (size_t i = 0; i < 2; ++i)
            p *= ((z >> i) & 1) == ((z2 >> i) & 1) ? 1 - rho[i] : rho[i];
          next[z2] += alpha[z] * p;
        }
      memcpy(alpha, next, sizeof alpha);
    }
    double pw = alpha[0] + alpha[1] + alpha[2] + alpha[3], h = 0;
    for (size_t x = 0; x < V; ++x) {
      double px = 0;
      for (size_t z = 0; z < S; ++z)
        px += alpha[z] * w[x >> 1] * (((z >> (x >> 1)) & 1) == (x & 1) ? 1 - eps : eps);
      px /= pw;
      if (px > 0) h -= px * log2(px);
    }
    H += pw * h;
  }
  return H;
}

static void test_noisy_latent_monte_carlo_vs_enumeration(void **state) {
  static const double w[2] = {0.7, 0.3}, rho[2] = {0.05, 0.2};
  ctxlab_lang *lang = build("{\"family\": \"latent\", \"chains\": 2, \"flip\": [0.05, 0.2], "
                            "\"weights\": [7, 3], \"noise\": 0.1}");
  ctxlab_truth t;
  truth_of(lang, 6, CTXLAB_THEORY_AUTO, 0, 40000, &t);
  assert_int_equal(t.conditional_entropy.method, CTXLAB_METHOD_MONTE_CARLO);
  assert_int_equal(t.mutual_information.method, CTXLAB_METHOD_EXACT);
  assert_int_equal(t.intrinsic_entropy.n, 0); /* not defined for eps > 0 */
  double exact[7];
  for (size_t c = 0; c <= 6; ++c) exact[c] = brute_noisy_H(w, rho, 0.1, c);
  within_4_se("noisy latent H(c)", &t.conditional_entropy, exact);
  /* the entropy rate is bounded: lower bound (closed form) <= H(c) for all c */
  assert_int_equal(t.entropy_rate_method, CTXLAB_METHOD_BOUNDS);
  for (size_t c = 0; c <= 6; ++c) assert_true(t.entropy_rate_lower_bits <= exact[c]);
  assert_true(t.entropy_rate_upper_bits == t.conditional_entropy.bits[6]);
  ctxlab_truth_free(&t);
  ctxlab_lang_free(lang);
}

static void test_monte_carlo_independent_of_threads(void **state) {
  ctxlab_lang *lang = build("noisy-facts");
  ctxlab_truth a, b, c;
  truth_of(lang, 40, CTXLAB_THEORY_AUTO, 1, 3000, &a);
  truth_of(lang, 40, CTXLAB_THEORY_AUTO, 2, 3000, &b);
  truth_of(lang, 40, CTXLAB_THEORY_AUTO, 3, 3000, &c);
  size_t bytes = sizeof(double) * a.conditional_entropy.n;
  assert_memory_equal(a.conditional_entropy.bits, b.conditional_entropy.bits, bytes);
  assert_memory_equal(a.conditional_entropy.bits, c.conditional_entropy.bits, bytes);
  assert_memory_equal(a.conditional_entropy.stderr_bits, c.conditional_entropy.stderr_bits, bytes);
  assert_memory_equal(a.bipartite_mutual_information.bits, c.bipartite_mutual_information.bits,
                      sizeof(double) * a.bipartite_mutual_information.n);
  ctxlab_truth_free(&a);
  ctxlab_truth_free(&b);
  ctxlab_truth_free(&c);
  ctxlab_lang_free(lang);
}

/* DESIGN.md section 1: I(X_{1:n}; X_{n+1:n+m}) = sum_{i=1..m} [H(i-1) - H(n+i-1)]. */
static void test_bipartite_from_entropy(void **state) {
  ctxlab_curve H;
  assert_int_equal(ctxlab_curve_alloc(&H, 11, NULL), 0);
  for (size_t c = 0; c <= 10; ++c) H.bits[c] = 1.0 + 3.0 / (1.0 + (double)(c * c));
  H.method = CTXLAB_METHOD_EXACT;
  ctxlab_curve B;
  assert_int_equal(ctxlab_theory_bipartite_from_entropy(&H, &B, NULL), 0);
  assert_int_equal(B.n, 5);
  for (size_t k = 0; k < B.n; ++k) {
    size_t n = 2 * (k + 1), m = n / 2;
    double want = 0;
    for (size_t i = 1; i <= m; ++i) want += H.bits[i - 1] - H.bits[m + i - 1];
    assert_int_equal(B.x[k], (int64_t)n);
    assert_true(fabs(B.bits[k] - want) < 1e-14);
  }
  ctxlab_curve_free(&H);
  ctxlab_curve_free(&B);
}

static void test_power_law_fit(void **state) {
  int64_t x[5] = {2, 4, 8, 16, 32};
  double y[5];
  for (int i = 0; i < 5; ++i) y[i] = 3.0 * pow((double)x[i], 0.7);
  double beta, a;
  assert_int_equal(ctxlab_theory_fit_power_law(x, y, 5, &beta, &a, NULL), 0);
  assert_true(fabs(beta - 0.7) < 1e-12 && fabs(a - 3.0) < 1e-12);
  ctxlab_error err = {0};
  assert_int_equal(ctxlab_theory_fit_power_law(x, y, 1, &beta, &a, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "at least two points"));
}

/* The santa-fe preset's stated exponent: 0.76 fitted over lengths 64..4096. */
static void test_santa_fe_exponent(void **state) {
  ctxlab_lang *lang = build("santa-fe");
  ctxlab_truth t;
  truth_of(lang, 4096, CTXLAB_THEORY_AUTO, 0, 0, &t);
  double beta, a;
  int64_t lo, hi;
  assert_int_equal(ctxlab_truth_bipartite_exponent(&t, &beta, &a, &lo, &hi, NULL), 0);
  assert_int_equal(lo, 256);
  assert_int_equal(hi, 4096);
  if (fabs(beta - 0.76) > 0.02) fail_msg("santa-fe exponent %.4f, stated 0.76", beta);
  ctxlab_truth_free(&t);
  ctxlab_lang_free(lang);
}

static void test_options_are_checked(void **state) {
  ctxlab_lang *lang = build("weather");
  ctxlab_theory_options o;
  ctxlab_theory_options_init(&o);
  o.max_context = 0;
  ctxlab_truth t;
  ctxlab_error err = {0};
  assert_int_equal(ctxlab_theory_compute(lang, &o, &t, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "max context 0 is out of range"));
  o.max_context = 4;
  o.mode = CTXLAB_THEORY_MONTE_CARLO;
  o.samples = 1;
  assert_int_equal(ctxlab_theory_compute(lang, &o, &t, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "samples: 1 is out of range [2, 2^40]"));
  o.samples = UINT64_MAX; /* the block count would wrap */
  assert_int_equal(ctxlab_theory_compute(lang, &o, &t, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "out of range [2, 2^40]"));
  ctxlab_lang_free(lang);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_monte_carlo_agrees_with_exact),
      cmocka_unit_test(test_noisy_latent_monte_carlo_vs_enumeration),
      cmocka_unit_test(test_monte_carlo_independent_of_threads),
      cmocka_unit_test(test_bipartite_from_entropy),
      cmocka_unit_test(test_power_law_fit),
      cmocka_unit_test(test_santa_fe_exponent),
      cmocka_unit_test(test_options_are_checked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
