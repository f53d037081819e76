/* The Kneser-Ney prediction: at order 0 (where it is exact up to Monte Carlo
 * error) against the expectation over every count vector, with a fixed and an
 * estimated discount; at order 1 against the same enumeration of the
 * approximation it documents (lower order = the true unigram law, plug-in
 * discount); determinism across threads. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ctxlab/predict.h"

/* The weather chain (markov order 1 over 3 tokens) and its stationary law. */
static const double T[3][3] = {{0.7, 0.2, 0.1}, {0.3, 0.4, 0.3}, {0.2, 0.3, 0.5}};

static void stationary(double *pi) {
  pi[0] = 1;
  pi[1] = pi[2] = 0;
  for (int it = 0; it < 2000; ++it) {
    double nxt[3] = {0, 0, 0};
    for (int s = 0; s < 3; ++s)
      for (int x = 0; x < 3; ++x) nxt[x] += pi[s] * T[s][x];
    for (int x = 0; x < 3; ++x) pi[x] = nxt[x];
  }
}

static double binom(unsigned N, unsigned n, double p) {
  return exp(lgamma(N + 1.0) - lgamma(n + 1.0) - lgamma(N - n + 1.0)) * pow(p, n) *
         pow(1 - p, N - n);
}

/* E[KL(P || Q)] (bits) over n ~ Binomial(N, p), row ~ Multinomial(n, P),
 * Q(x) = max(k_x - D, 0)/n + D types/n L(x) (L(x) when n = 0), V = 3; D the
 * given discount, or (D <= 0) max(n1, 1) / (max(n1, 1) + 2 n2) of the row. */
static double brute_kn(const double *P, double p, unsigned N, double D, const double *L) {
  double total = 0;
  for (unsigned n = 0; n <= N; ++n) {
    const double pn = binom(N, n, p);
    for (unsigned a = 0; a <= n; ++a)
      for (unsigned b = 0; a + b <= n; ++b) {
        const unsigned k[3] = {a, b, n - a - b};
        double pr = exp(lgamma(n + 1.0) - lgamma(a + 1.0) - lgamma(b + 1.0) -
                        lgamma(n - a - b + 1.0));
        unsigned types = 0, n1 = 0, n2 = 0;
        for (int x = 0; x < 3; ++x) {
          pr *= pow(P[x], k[x]);
          types += k[x] > 0;
          n1 += k[x] == 1;
          n2 += k[x] == 2;
        }
        const double d = D > 0 ? D : (n1 ? n1 : 1.0) / ((n1 ? n1 : 1.0) + 2.0 * n2);
        double kl = 0;
        for (int x = 0; x < 3; ++x) {
          double q = n ? d * types / n * L[x] + (k[x] > d ? (k[x] - d) / n : 0) : L[x];
          kl += P[x] * log2(P[x] / q);
        }
        total += pn * pr * kl;
      }
  }
  return total;
}

static void predict(const char *spec, uint32_t order, uint64_t D, double discount, int threads,
                    uint64_t max_enumerate, ctxlab_ngram_prediction *out) {
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new(spec, &lang, &err)) fail_msg("%s", err.message);
  ctxlab_predict_options o;
  ctxlab_predict_options_init(&o);
  o.samples = 20000;
  o.threads = threads;
  o.max_enumerate = max_enumerate;
  o.seed = 5;
  ctxlab_ngram_estimator est = {CTXLAB_SMOOTHING_KNESER_NEY, 0.5, discount};
  if (ctxlab_predict_ngram(lang, order, D, &est, &o, out, &err)) fail_msg("%s", err.message);
  ctxlab_lang_free(lang);
}

static void within_4_se(const char *what, const ctxlab_ngram_prediction *p, double want) {
  if (!(fabs(p->approx_bits - want) <= 4 * p->approx_stderr_bits))
    fail_msg("%s: predicted %.6f +- %.6f, enumeration %.6f", what, p->approx_bits,
             p->approx_stderr_bits, want);
}

static void test_order0_exact_in_distribution(void **state) {
  (void)state;
  double pi[3];
  stationary(pi);
  const double uniform[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
  ctxlab_ngram_prediction p;
  predict("weather", 0, 10, 0.75, 1, 4096, &p);
  assert_int_equal(p.approximate, 0);
  assert_int_equal(p.method, CTXLAB_METHOD_MONTE_CARLO);
  within_4_se("order 0, D = 0.75", &p, brute_kn(pi, 1, 10, 0.75, uniform));
  predict("weather", 0, 10, 0, 1, 4096, &p);
  within_4_se("order 0, estimated D", &p, brute_kn(pi, 1, 10, 0, uniform));
}

/* Order 1 on weather with N = 11 windows: sum over the 3 contexts, lower
 * order the stationary law, discount fixed or the plug-in from the expected
 * numbers of (s, x) bigrams seen once and twice. */
static void test_order1_approximation(void **state) {
  (void)state;
  double pi[3];
  stationary(pi);
  const unsigned N = 11;
  double en1 = 0, en2 = 0;
  for (int s = 0; s < 3; ++s)
    for (int x = 0; x < 3; ++x) {
      en1 += binom(N, 1, pi[s] * T[s][x]);
      en2 += binom(N, 2, pi[s] * T[s][x]);
    }
  const double plug = (en1 > 1 ? en1 : 1) / ((en1 > 1 ? en1 : 1) + 2 * en2);
  const double discounts[2] = {0.6, 0}, used[2] = {0.6, plug};
  for (int i = 0; i < 2; ++i) {
    double want = 0;
    for (int s = 0; s < 3; ++s) want += pi[s] * brute_kn(T[s], pi[s], N, used[i], pi);
    ctxlab_ngram_prediction p;
    predict("weather", 1, N + 1, discounts[i], 2, 4096, &p);
    assert_int_equal(p.approximate, 1);
    within_4_se(i ? "order 1, plug-in D" : "order 1, D = 0.6", &p, want);
  }
}

static void test_threads_do_not_matter(void **state) {
  (void)state;
  ctxlab_ngram_prediction a, b;
  predict("two-facts", 6, 3000, 0, 1, 16, &a);
  predict("two-facts", 6, 3000, 0, 2, 16, &b);
  assert_int_equal(a.method, CTXLAB_METHOD_MONTE_CARLO);
  assert_true(a.approx_bits == b.approx_bits && a.approx_stderr_bits == b.approx_stderr_bits);
}

int main(void) {
  ctxlab_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order0_exact_in_distribution),
      cmocka_unit_test(test_order1_approximation),
      cmocka_unit_test(test_threads_do_not_matter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
