/* The add-beta prediction: the marginal formula against brute-force
 * enumeration of the whole count distribution, its n = 0 and large-n limits,
 * and ctxlab_predict_ngram on the `weather` chain against a sum written here
 * from the chain's transition matrix. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctxlab/predict.h"
#include "theory/predict/predict_internal.h"

/* E[KL(P || Q)] in bits, Q = (n_x + beta)/(n + V beta), n ~ Binomial(N, p) and
 * the row Multinomial(n, P), V = 3: every n and every composition of it. */
static double brute_addbeta(const double *P, double p, unsigned N, double beta) {
  double total = 0;
  for (unsigned n = 0; n <= N; ++n) {
    const double pn = exp(lgamma(N + 1.0) - lgamma(n + 1.0) - lgamma(N - n + 1.0)) *
                      pow(p, n) * pow(1 - p, N - n);
    for (unsigned a = 0; a <= n; ++a)
      for (unsigned b = 0; a + b <= n; ++b) {
        const unsigned c = n - a - b, k[3] = {a, b, c};
        double pr = exp(lgamma(n + 1.0) - lgamma(a + 1.0) - lgamma(b + 1.0) - lgamma(c + 1.0));
        double kl = 0;
        for (int x = 0; x < 3; ++x) {
          pr *= pow(P[x], k[x]);
          if (P[x] > 0) kl += P[x] * log2(P[x] * (n + 3 * beta) / (k[x] + beta));
        }
        total += pn * pr * kl;
      }
  }
  return total;
}

static void test_against_enumeration(void **state) {
  (void)state;
  const double rows[][3] = {{0.7, 0.2, 0.1}, {0.5, 0.5, 0}, {1.0 / 3, 1.0 / 3, 1.0 / 3}};
  const double ps[] = {1, 0.37, 0.05};
  const unsigned Ns[] = {0, 1, 5, 14};
  const double betas[] = {0.01, 0.5, 2};
  for (int r = 0; r < 3; ++r)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j)
        for (int b = 0; b < 3; ++b) {
          const double got = ctxlab_predict_addbeta_kl(rows[r], 3, ps[i], Ns[j], betas[b]);
          const double want = brute_addbeta(rows[r], ps[i], Ns[j], betas[b]);
          if (!(fabs(got - want) <= 1e-12 * (1 + fabs(want))))
            fail_msg("row %d p %g N %u beta %g: %.17g, enumeration %.17g", r, ps[i], Ns[j],
                     betas[b], got, want);
        }
}

/* No data: the KL to the prior, which for add-beta is uniform whatever beta. */
static void test_no_data_is_kl_to_uniform(void **state) {
  (void)state;
  const double P[4] = {0.5, 0.25, 0.125, 0.125};
  const double want = 0.5 * log2(2) + 0.25 * log2(1) + 2 * 0.125 * log2(0.5); /* sum P log2(4 P) */
  assert_float_equal(ctxlab_predict_addbeta_kl(P, 4, 0.3, 0, 0.7), want, 1e-15);
  assert_float_equal(ctxlab_predict_addbeta_kl(P, 4, 0, 1000, 0.01), want, 1e-15);
}

/* Many counts: (V - 1) / (2 n ln 2) bits (SCIENCE.md section 5), with a
 * relative correction O(1/n). */
static void test_large_n_asymptote(void **state) {
  (void)state;
  const double P[4] = {0.4, 0.3, 0.2, 0.1};
  const double ns[] = {1e4, 1e6, 1e8};
  for (int i = 0; i < 3; ++i) {
    const double got = ctxlab_predict_addbeta_kl(P, 4, 0.5, (uint64_t)(2 * ns[i]), 0.5);
    const double asym = 3 / (2 * ns[i] * M_LN2);
    if (!(fabs(got / asym - 1) < 30 / ns[i]))
      fail_msg("n %g: %.10g bits, asymptote %.10g", ns[i], got, asym);
  }
}

/* weather (markov order 1 over 3 tokens): order 1 trained on D tokens counts
 * N = D - 1 windows; p(s) is the stationary law of the transition matrix
 * (solved here by power iteration), P(.|s) its row. */
static void test_weather_order1(void **state) {
  (void)state;
  const double T[3][3] = {{0.7, 0.2, 0.1}, {0.3, 0.4, 0.3}, {0.2, 0.3, 0.5}};
  double pi[3] = {1, 0, 0};
  for (int it = 0; it < 2000; ++it) {
    double nxt[3] = {0, 0, 0};
    for (int s = 0; s < 3; ++s)
      for (int x = 0; x < 3; ++x) nxt[x] += pi[s] * T[s][x];
    for (int x = 0; x < 3; ++x) pi[x] = nxt[x];
  }
  const unsigned D = 12;
  double approx = 0, H1 = 0;
  for (int s = 0; s < 3; ++s) {
    approx += pi[s] * brute_addbeta(T[s], pi[s], D - 1, 0.5);
    for (int x = 0; x < 3; ++x) H1 -= pi[s] * T[s][x] * log2(T[s][x]);
  }
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new("weather", &lang, &err)) fail_msg("%s", err.message);
  ctxlab_predict_options o;
  ctxlab_predict_options_init(&o);
  ctxlab_ngram_estimator est = {CTXLAB_SMOOTHING_ADD_BETA, 0.5, 0};
  ctxlab_ngram_prediction out;
  if (ctxlab_predict_ngram(lang, 1, D, &est, &o, &out, &err)) fail_msg("%s", err.message);
  assert_int_equal(out.method, CTXLAB_METHOD_EXACT);
  assert_int_equal(out.approximate, 0);
  assert_float_equal(out.approx_bits, approx, 1e-12);
  assert_true(out.approx_stderr_bits == 0);
  assert_float_equal(out.bayes_bits, H1, 1e-12);
  assert_float_equal(out.loss_bits, H1 + approx, 1e-12);
  /* order 0: one window (the empty context) of probability 1, N = D */
  if (ctxlab_predict_ngram(lang, 0, D, &est, &o, &out, &err)) fail_msg("%s", err.message);
  assert_float_equal(out.approx_bits, brute_addbeta(pi, 1, D, 0.5), 1e-12);
  /* with H(c) given (as a sweep holds it): the same numbers, H(1) from the
   * curve; a curve that stops before the order is refused */
  ctxlab_theory_options t;
  ctxlab_theory_options_init(&t);
  t.max_context = 1;
  t.curves = 0;
  ctxlab_truth truth;
  if (ctxlab_theory_compute(lang, &t, &truth, &err)) fail_msg("%s", err.message);
  ctxlab_ngram_prediction given;
  if (ctxlab_predict_ngram_given_bayes(lang, &truth.conditional_entropy, 1, D, &est, &o, &given,
                                       &err))
    fail_msg("%s", err.message);
  assert_float_equal(given.approx_bits, approx, 1e-12);
  assert_float_equal(given.bayes_bits, H1, 1e-12);
  assert_float_equal(given.loss_bits, H1 + approx, 1e-12);
  assert_int_equal(ctxlab_predict_ngram_given_bayes(lang, &truth.conditional_entropy, 2, D, &est,
                                                    &o, &given, &err),
                   CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "stops before c = 2"));
  ctxlab_truth_free(&truth);
  ctxlab_lang_free(lang);
}

/* Monte Carlo over windows (enumeration refused) agrees with the exact sum,
 * and does not depend on the thread count. */
static void test_monte_carlo_windows(void **state) {
  (void)state;
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new("two-facts", &lang, &err)) fail_msg("%s", err.message);
  ctxlab_predict_options o;
  ctxlab_predict_options_init(&o);
  ctxlab_ngram_estimator est = {CTXLAB_SMOOTHING_ADD_BETA, 0.5, 0};
  ctxlab_ngram_prediction exact, mc1, mc2;
  if (ctxlab_predict_ngram(lang, 4, 5000, &est, &o, &exact, &err)) fail_msg("%s", err.message);
  assert_int_equal(exact.method, CTXLAB_METHOD_EXACT);
  o.max_enumerate = 10;
  o.samples = 20000;
  o.threads = 1;
  if (ctxlab_predict_ngram(lang, 4, 5000, &est, &o, &mc1, &err)) fail_msg("%s", err.message);
  o.threads = 2;
  if (ctxlab_predict_ngram(lang, 4, 5000, &est, &o, &mc2, &err)) fail_msg("%s", err.message);
  assert_int_equal(mc1.method, CTXLAB_METHOD_MONTE_CARLO);
  assert_true(mc1.approx_bits == mc2.approx_bits && mc1.approx_stderr_bits == mc2.approx_stderr_bits);
  assert_true(mc1.approx_stderr_bits > 0);
  if (!(fabs(mc1.approx_bits - exact.approx_bits) < 4 * mc1.approx_stderr_bits))
    fail_msg("Monte Carlo %.6f +- %.6f, exact %.6f", mc1.approx_bits, mc1.approx_stderr_bits,
             exact.approx_bits);
  ctxlab_lang_free(lang);
}

static void test_bad_arguments(void **state) {
  (void)state;
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new("weather", &lang, &err)) fail_msg("%s", err.message);
  ctxlab_predict_options o;
  ctxlab_predict_options_init(&o);
  ctxlab_ngram_estimator est = {CTXLAB_SMOOTHING_ADD_BETA, 0, 0};
  ctxlab_ngram_prediction out;
  assert_int_equal(ctxlab_predict_ngram(lang, 1, 100, &est, &o, &out, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "beta"));
  est.beta = 0.5;
  assert_int_equal(ctxlab_predict_ngram(lang, 5, 5, &est, &o, &out, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "training tokens"));
  assert_int_equal(ctxlab_predict_ngram(lang, 40, 500, &est, &o, &out, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "largest is 31"));
  est.smoothing = CTXLAB_SMOOTHING_KNESER_NEY;
  est.kn_discount = 1;
  assert_int_equal(ctxlab_predict_ngram(lang, 1, 100, &est, &o, &out, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "kn_discount"));
  est.kn_discount = 0;
  o.samples = 1;
  assert_int_equal(ctxlab_predict_ngram(lang, 1, 100, &est, &o, &out, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "samples"));
  ctxlab_predict_options_init(&o);
  est.smoothing = (ctxlab_smoothing)7;
  assert_int_equal(ctxlab_predict_ngram(lang, 1, 100, &est, &o, &out, &err), CTXLAB_EINVAL);
  est.smoothing = CTXLAB_SMOOTHING_ADD_BETA;
  const uint32_t orders[] = {3, 1, 2};
  size_t best = 99;
  ctxlab_ngram_prediction many[3];
  /* 1 token holds no window of orders 1..3 */
  assert_int_equal(ctxlab_predict_ngram_orders(lang, orders, 3, 1, &est, &o, many, &best, &err),
                   CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "no order"));
  /* 3 tokens: order 3 is skipped (method none), best is the least loss of the others */
  if (ctxlab_predict_ngram_orders(lang, orders, 3, 3, &est, &o, many, &best, &err))
    fail_msg("%s", err.message);
  assert_int_equal(many[0].method, CTXLAB_METHOD_NONE);
  assert_true(isnan(many[0].loss_bits));
  assert_int_equal(best, many[1].loss_bits <= many[2].loss_bits ? 1 : 2);
  ctxlab_lang_free(lang);
}

int main(void) {
  ctxlab_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_enumeration),  cmocka_unit_test(test_no_data_is_kl_to_uniform),
      cmocka_unit_test(test_large_n_asymptote),    cmocka_unit_test(test_weather_order1),
      cmocka_unit_test(test_monte_carlo_windows),  cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
