/* theory/fit/: exact recovery of generating parameters from noiseless data,
 * standard errors against (J^T W J)^-1 computed here, the linear fit against
 * closed-form least squares, the fits of a language's truth, JSON and error
 * paths.  (tests/python/test_fit_scipy.py compares noisy fits with scipy.) */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctxlab/fit.h"

static void close_rel(const char *what, double actual, double expected, double rel) {
  if (!(fabs(actual - expected) <= rel * fabs(expected)))
    fail_msg("%s: %.17g, expected %.17g (relative error %.3g > %.3g)", what, actual, expected,
             fabs(actual - expected) / fabs(expected), rel);
}

static void ok(int status, const ctxlab_error *err) {
  if (status) fail_msg("status %d: %s", status, err->message);
}

/* Inverse of a symmetric positive definite p x p matrix, p = 2 or 3, by cofactors. */
static void invert(size_t p, double a[3][3], double inv[3][3]) {
  if (p == 2) {
    double det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    inv[0][0] = a[1][1] / det, inv[1][1] = a[0][0] / det;
    inv[0][1] = inv[1][0] = -a[0][1] / det;
    return;
  }
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 3; ++j) {
      size_t r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
      inv[i][j] = a[r0][c0] * a[r1][c1] - a[r0][c1] * a[r1][c0];
    }
  double det = a[0][0] * inv[0][0] + a[0][1] * inv[1][0] + a[0][2] * inv[2][0];
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 3; ++j) inv[i][j] /= det;
}

/* Standard errors sqrt(diag (J^T W J)^-1) of y = [C0 +] C x^-g at the given
 * parameters, W = diag(1/sigma^2): the covariance with absolute sigma. */
static void expected_std_errors(const double *x, const double *sigma, size_t n, int offset,
                                double C, double g, double *se) {
  size_t p = offset ? 3 : 2;
  double a[3][3] = {{0}}, inv[3][3];
  for (size_t i = 0; i < n; ++i) {
    double phi = pow(x[i], -g), col[3], w = 1 / (sigma[i] * sigma[i]);
    size_t k = 0;
    if (offset) col[k++] = 1;
    col[k++] = phi;
    col[k] = -C * log(x[i]) * phi;
    for (size_t r = 0; r < p; ++r)
      for (size_t c = 0; c < p; ++c) a[r][c] += w * col[r] * col[c];
  }
  invert(p, a, inv);
  for (size_t r = 0; r < p; ++r) se[r] = sqrt(inv[r][r]);
}

/* SCIENCE.md section 1: the Llama-3.1-8B Bayes-risk fit over c = 8..768. */
static const double C0_LLAMA = 1.95, C_LLAMA = 6.80, GAMMA_LLAMA = 0.587;

static void test_offset_power_recovers_generating_parameters(void **state) {
  (void)state;
  enum { N = 96 };
  double x[N], y[N], sigma[N], se[3];
  for (size_t i = 0; i < N; ++i) {
    x[i] = 8.0 * (double)(i + 1); /* c = 8, 16, .., 768 */
    y[i] = C0_LLAMA + C_LLAMA * pow(x[i], -GAMMA_LLAMA);
    sigma[i] = 0.01 * (double)(1 + i % 3);
  }
  ctxlab_fit_result fit;
  ctxlab_error err = {0};
  /* Unweighted: exact data, so the residual variance and the errors are ~0. */
  ok(ctxlab_fit_offset_power(x, y, NULL, N, &fit, &err), &err);
  assert_true(fit.converged);
  assert_int_equal(fit.n_params, 3);
  assert_int_equal(fit.n, N);
  assert_int_equal(fit.dof, N - 3);
  assert_string_equal(fit.names[0], "C0");
  assert_string_equal(fit.names[1], "C");
  assert_string_equal(fit.names[2], "gamma");
  assert_string_equal(fit.form, "C0 + C*c^-gamma");
  close_rel("C0", fit.params[0], C0_LLAMA, 1e-9);
  close_rel("C", fit.params[1], C_LLAMA, 1e-9);
  close_rel("gamma", fit.params[2], GAMMA_LLAMA, 1e-9);
  close_rel("r2", fit.r2, 1.0, 1e-12);
  for (size_t i = 0; i < 3; ++i) assert_true(fit.std_error[i] < 1e-9);
  /* Weighted: the same parameters; errors sqrt(diag (J^T W J)^-1) at them. */
  ok(ctxlab_fit_offset_power(x, y, sigma, N, &fit, &err), &err);
  close_rel("C0 (weighted)", fit.params[0], C0_LLAMA, 1e-9);
  close_rel("C (weighted)", fit.params[1], C_LLAMA, 1e-9);
  close_rel("gamma (weighted)", fit.params[2], GAMMA_LLAMA, 1e-9);
  expected_std_errors(x, sigma, N, 1, C_LLAMA, GAMMA_LLAMA, se);
  close_rel("se C0", fit.std_error[0], se[0], 1e-6);
  close_rel("se C", fit.std_error[1], se[1], 1e-6);
  close_rel("se gamma", fit.std_error[2], se[2], 1e-6);
  close_rel("covariance symmetric", fit.covariance[0][2], fit.covariance[2][0], 1e-12);
  assert_true(fit.chi2 < 1e-16);
}

/* Half decades of data D = 10^3 .. 10^7 (the demo's range, issue 4). */
static void data_sizes(double *x) {
  for (size_t i = 0; i < 9; ++i) x[i] = pow(10.0, 3.0 + 0.5 * (double)i);
}

static void test_power_recovers_generating_parameters(void **state) {
  (void)state;
  /* (A, alpha): a falling approximation loss, and a rising curve (alpha < 0). */
  static const double cases[][2] = {{300.0, 0.5}, {0.01, -0.3}};
  double x[9], y[9], sigma[9], se[2];
  data_sizes(x);
  for (size_t c = 0; c < 2; ++c) {
    double A = cases[c][0], alpha = cases[c][1];
    for (size_t i = 0; i < 9; ++i) {
      y[i] = A * pow(x[i], -alpha);
      sigma[i] = 0.05 * y[i]; /* 5% relative errors */
    }
    ctxlab_fit_result fit;
    ctxlab_error err = {0};
    ok(ctxlab_fit_power(x, y, NULL, 9, 0, &fit, &err), &err);
    assert_string_equal(fit.form, "A*D^-alpha");
    assert_int_equal(fit.n_params, 2);
    assert_string_equal(fit.names[0], "A");
    assert_string_equal(fit.names[1], "alpha");
    close_rel("A", fit.params[0], A, 1e-9);
    close_rel("alpha", fit.params[1], alpha, 1e-9);
    ok(ctxlab_fit_power(x, y, sigma, 9, 0, &fit, &err), &err);
    close_rel("A (weighted)", fit.params[0], A, 1e-9);
    close_rel("alpha (weighted)", fit.params[1], alpha, 1e-9);
    expected_std_errors(x, sigma, 9, 0, A, alpha, se);
    close_rel("se A", fit.std_error[0], se[0], 1e-6);
    close_rel("se alpha", fit.std_error[1], se[1], 1e-6);
  }
}

static void test_power_with_offset_recovers_generating_parameters(void **state) {
  (void)state;
  const double C0 = 0.1, A = 300.0, alpha = 0.5;
  double x[9], y[9], sigma[9], se[3];
  data_sizes(x);
  for (size_t i = 0; i < 9; ++i) {
    y[i] = C0 + A * pow(x[i], -alpha);
    sigma[i] = 0.01;
  }
  ctxlab_fit_result fit;
  ctxlab_error err = {0};
  ok(ctxlab_fit_power(x, y, NULL, 9, 1, &fit, &err), &err);
  assert_string_equal(fit.form, "C0 + A*D^-alpha");
  assert_string_equal(fit.names[0], "C0");
  assert_string_equal(fit.names[1], "A");
  assert_string_equal(fit.names[2], "alpha");
  close_rel("C0", fit.params[0], C0, 1e-9);
  close_rel("A", fit.params[1], A, 1e-9);
  close_rel("alpha", fit.params[2], alpha, 1e-9);
  ok(ctxlab_fit_power(x, y, sigma, 9, 1, &fit, &err), &err);
  expected_std_errors(x, sigma, 9, 1, A, alpha, se);
  for (size_t i = 0; i < 3; ++i) close_rel("se", fit.std_error[i], se[i], 1e-6);
}

/* Closed-form least squares for y = k x + b (weights w; all 1 when
 * unweighted, whose covariance is scaled by s^2 = chi2/(n-2)). */
static void test_linear_matches_closed_form(void **state) {
  (void)state;
  enum { N = 20 };
  double x[N], y[N], sigma[N];
  for (size_t i = 0; i < N; ++i) {
    x[i] = 0.5 * (double)i - 3;
    y[i] = 2.5 * x[i] + 1 + sin(3.0 * (double)i); /* deterministic "noise" */
    sigma[i] = 0.5 + 0.1 * (double)(i % 4);
  }
  for (int weighted = 0; weighted <= 1; ++weighted) {
    double sw = 0, sx = 0, sy = 0;
    for (size_t i = 0; i < N; ++i) {
      double w = weighted ? 1 / (sigma[i] * sigma[i]) : 1;
      sw += w, sx += w * x[i], sy += w * y[i];
    }
    double xbar = sx / sw, ybar = sy / sw, sxx = 0, sxy = 0;
    for (size_t i = 0; i < N; ++i) {
      double w = weighted ? 1 / (sigma[i] * sigma[i]) : 1;
      sxx += w * (x[i] - xbar) * (x[i] - xbar), sxy += w * (x[i] - xbar) * (y[i] - ybar);
    }
    double k = sxy / sxx, b = ybar - k * xbar, chi2 = 0, total = 0;
    for (size_t i = 0; i < N; ++i) {
      double w = weighted ? 1 / (sigma[i] * sigma[i]) : 1, r = y[i] - k * x[i] - b;
      chi2 += w * r * r, total += w * (y[i] - ybar) * (y[i] - ybar);
    }
    double s2 = weighted ? 1 : chi2 / (N - 2);
    double se_k = sqrt(s2 / sxx), se_b = sqrt(s2 * (1 / sw + xbar * xbar / sxx));

    ctxlab_fit_result fit;
    ctxlab_error err = {0};
    ok(ctxlab_fit_linear(x, y, weighted ? sigma : NULL, N, &fit, &err), &err);
    assert_string_equal(fit.form, "k*x + b");
    assert_string_equal(fit.names[0], "k");
    assert_string_equal(fit.names[1], "b");
    close_rel("k", fit.params[0], k, 1e-12);
    close_rel("b", fit.params[1], b, 1e-12);
    close_rel("se k", fit.std_error[0], se_k, 1e-10);
    close_rel("se b", fit.std_error[1], se_b, 1e-10);
    close_rel("chi2", fit.chi2, chi2, 1e-10);
    close_rel("r2", fit.r2, 1 - chi2 / total, 1e-12);
    assert_int_equal(fit.dof, N - 2);
    assert_true(fit.converged);
  }
}

static ctxlab_lang *build(const char *spec) {
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new(spec, &lang, &err)) fail_msg("spec %s: %s", spec, err.message);
  return lang;
}

static void truth_of(const char *spec, size_t L, ctxlab_theory_mode mode, ctxlab_truth *t) {
  ctxlab_lang *lang = build(spec);
  ctxlab_theory_options o;
  ctxlab_theory_options_init(&o);
  o.max_context = L;
  o.mode = mode;
  o.samples = 2000;
  o.curves = CTXLAB_CURVE_INTRINSIC_ENTROPY;
  ctxlab_error err = {0};
  if (ctxlab_theory_compute(lang, &o, t, &err)) fail_msg("theory %s: %s", spec, err.message);
  ctxlab_lang_free(lang);
}

/* SCIENCE.md section 5: with uniform weights H(0) - H(c) = S(c)/d exactly, so
 * the fit has k = 1/d and b = 0 (to rounding). */
static void test_entropy_relation_of_uniform_latent(void **state) {
  (void)state;
  ctxlab_truth t;
  truth_of("{\"family\": \"latent\", \"chains\": 4, \"timescales\": {\"min\": 2, \"max\": 50},"
           " \"weights\": \"uniform\", \"noise\": 0}",
           64, CTXLAB_THEORY_AUTO, &t);
  ctxlab_fit_result fit;
  ctxlab_error err = {0};
  ok(ctxlab_fit_truth_entropy_relation(&t, &fit, &err), &err);
  assert_string_equal(fit.form, "H(0)-H(c) = k*S(c) + b");
  assert_int_equal(fit.n, 65);
  if (!(fabs(fit.params[0] - 0.25) < 1e-9)) fail_msg("k = %.17g, expected 1/4", fit.params[0]);
  if (!(fabs(fit.params[1]) < 1e-9)) fail_msg("b = %.17g, expected 0", fit.params[1]);
  close_rel("r2", fit.r2, 1.0, 1e-12);
  ctxlab_truth_free(&t);
}

static void test_entropy_relation_needs_intrinsic_entropy(void **state) {
  (void)state;
  ctxlab_truth t;
  truth_of("weather", 8, CTXLAB_THEORY_AUTO, &t); /* Markov: no S(c) */
  ctxlab_fit_result fit;
  ctxlab_error err = {0};
  assert_int_equal(ctxlab_fit_truth_entropy_relation(&t, &fit, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "intrinsic entropy"));
  ctxlab_truth_free(&t);
}

/* The santa-fe preset's exact H(c), c = 1..256: the form fits it well (its
 * curve is not exactly this form, so only R^2 is checked) and gamma > 0. */
static void test_bayes_risk_fit_of_santa_fe(void **state) {
  (void)state;
  ctxlab_truth t;
  truth_of("santa-fe", 256, CTXLAB_THEORY_AUTO, &t);
  ctxlab_fit_result fit;
  ctxlab_error err = {0};
  ok(ctxlab_fit_truth_bayes_risk(&t, &fit, &err), &err);
  assert_int_equal(fit.n, 256);
  assert_true(fit.r2 > 0.99);
  assert_true(fit.params[2] > 0);
  assert_true(fit.std_error[2] > 0);
  ctxlab_truth_free(&t);
}

/* A Monte Carlo H(c) is fitted with its standard errors as sigma. */
static void test_bayes_risk_fit_of_monte_carlo_curve(void **state) {
  (void)state;
  ctxlab_truth t;
  truth_of("two-facts", 16, CTXLAB_THEORY_MONTE_CARLO, &t);
  assert_int_equal(t.conditional_entropy.method, CTXLAB_METHOD_MONTE_CARLO);
  size_t n = t.conditional_entropy.n - 1;
  double x[16], sigma[16];
  for (size_t i = 0; i < n; ++i) {
    x[i] = (double)t.conditional_entropy.x[i + 1];
    sigma[i] = t.conditional_entropy.stderr_bits[i + 1];
  }
  ctxlab_fit_result fit, weighted;
  ctxlab_error err = {0};
  ok(ctxlab_fit_truth_bayes_risk(&t, &fit, &err), &err);
  ok(ctxlab_fit_offset_power(x, t.conditional_entropy.bits + 1, sigma, n, &weighted, &err), &err);
  for (size_t i = 0; i < 3; ++i) {
    close_rel("param", fit.params[i], weighted.params[i], 1e-12);
    close_rel("se", fit.std_error[i], weighted.std_error[i], 1e-12);
  }
  ctxlab_truth_free(&t);
}

static void test_json(void **state) {
  (void)state;
  double x[] = {1, 2, 3, 4}, y[] = {5, 5, 5, 5};
  ctxlab_fit_result fit;
  ctxlab_error err = {0};
  ok(ctxlab_fit_linear(x, y, NULL, 4, &fit, &err), &err); /* k = 0, b = 5, r2 undefined */
  json_t *obj = ctxlab_fit_to_json(&fit, "H(0)-H(c) = k*S(c) + b");
  assert_non_null(obj);
  assert_string_equal(json_string_value(json_object_get(obj, "form")), "H(0)-H(c) = k*S(c) + b");
  assert_true(json_real_value(json_object_get(json_object_get(obj, "params"), "b")) == 5.0);
  assert_true(json_real_value(json_object_get(json_object_get(obj, "params"), "k")) == 0.0);
  assert_true(json_is_real(json_object_get(json_object_get(obj, "stderr"), "k")));
  assert_true(json_is_null(json_object_get(obj, "r2")));
  assert_int_equal(json_integer_value(json_object_get(obj, "points")), 4);
  assert_int_equal(json_object_size(obj), 5);
  json_decref(obj);
  obj = ctxlab_fit_to_json(&fit, NULL);
  assert_string_equal(json_string_value(json_object_get(obj, "form")), "k*x + b");
  json_decref(obj);
}

/* Each bad input gives its status and a message naming the problem. */
static void expect_error(int status, ctxlab_status expected, const ctxlab_error *err,
                         const char *needle) {
  if (status != (int)expected) fail_msg("status %d, expected %d (%s)", status, expected, err->message);
  if (!strstr(err->message, needle))
    fail_msg("message \"%s\" does not mention \"%s\"", err->message, needle);
}

static void test_invalid_input(void **state) {
  (void)state;
  double x[] = {1, 2, 3, 4, 5}, y[] = {3, 2, 1.5, 1.3, 1.2}, sigma[] = {1, 1, 1, 1, 1};
  ctxlab_fit_result fit;
  ctxlab_error err = {0};
  expect_error(ctxlab_fit_offset_power(x, y, NULL, 3, &fit, &err), CTXLAB_EINVAL, &err,
               "3 points for 3 parameters");
  expect_error(ctxlab_fit_power(x, y, NULL, 2, 0, &fit, &err), CTXLAB_EINVAL, &err,
               "2 points for 2 parameters");
  expect_error(ctxlab_fit_linear(x, y, NULL, 2, &fit, &err), CTXLAB_EINVAL, &err,
               "2 points for 2 parameters");
  y[3] = NAN;
  expect_error(ctxlab_fit_linear(x, y, NULL, 5, &fit, &err), CTXLAB_EINVAL, &err,
               "point 3: x = 4, y = nan is not finite");
  y[3] = 1.3, x[2] = INFINITY;
  expect_error(ctxlab_fit_power(x, y, NULL, 5, 1, &fit, &err), CTXLAB_EINVAL, &err, "point 2");
  x[2] = 0;
  expect_error(ctxlab_fit_offset_power(x, y, NULL, 5, &fit, &err), CTXLAB_EINVAL, &err,
               "point 2: x = 0, a power law needs x > 0");
  x[2] = -1;
  expect_error(ctxlab_fit_power(x, y, NULL, 5, 0, &fit, &err), CTXLAB_EINVAL, &err,
               "needs x > 0");
  ok(ctxlab_fit_linear(x, y, NULL, 5, &fit, &err), &err); /* x < 0 is fine for a line */
  x[2] = 3, sigma[4] = 0;
  expect_error(ctxlab_fit_offset_power(x, y, sigma, 5, &fit, &err), CTXLAB_EINVAL, &err,
               "point 4: sigma = 0");
  sigma[4] = NAN;
  expect_error(ctxlab_fit_linear(x, y, sigma, 5, &fit, &err), CTXLAB_EINVAL, &err,
               "point 4: sigma = nan");
  double same[] = {2, 2, 2, 2, 2};
  expect_error(ctxlab_fit_linear(same, y, NULL, 5, &fit, &err), CTXLAB_EINVAL, &err,
               "every x equals 2");
  expect_error(ctxlab_fit_power(same, y, NULL, 5, 1, &fit, &err), CTXLAB_EINVAL, &err,
               "every x equals 2");
  assert_false(fit.converged);
}

/* Failures of the fit itself are ENUMERIC with NaN parameters, not garbage. */
static void test_numerical_failure(void **state) {
  (void)state;
  enum { N = 32 };
  double x[N], y[N];
  ctxlab_fit_result fit;
  ctxlab_error err = {0};
  /* y = ln x: C0 + C x^-gamma approaches it as gamma -> 0 with C0 = -C = 1/gamma,
   * (1 - x^-gamma)/gamma -> ln x, so the least-squares infimum is not attained. */
  for (size_t i = 0; i < N; ++i) x[i] = (double)(i + 1), y[i] = log(x[i]);
  expect_error(ctxlab_fit_offset_power(x, y, NULL, N, &fit, &err), CTXLAB_ENUMERIC, &err,
               "no convergence");
  assert_false(fit.converged);
  for (size_t i = 0; i < 3; ++i) assert_true(isnan(fit.params[i]));
  /* Constant y: C = 0 and then gamma is not determined. */
  for (size_t i = 0; i < N; ++i) y[i] = 2;
  expect_error(ctxlab_fit_offset_power(x, y, NULL, N, &fit, &err), CTXLAB_ENUMERIC, &err,
               "do not determine");
  assert_false(fit.converged);
  assert_true(isnan(fit.params[2]));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_offset_power_recovers_generating_parameters),
      cmocka_unit_test(test_power_recovers_generating_parameters),
      cmocka_unit_test(test_power_with_offset_recovers_generating_parameters),
      cmocka_unit_test(test_linear_matches_closed_form),
      cmocka_unit_test(test_entropy_relation_of_uniform_latent),
      cmocka_unit_test(test_entropy_relation_needs_intrinsic_entropy),
      cmocka_unit_test(test_bayes_risk_fit_of_santa_fe),
      cmocka_unit_test(test_bayes_risk_fit_of_monte_carlo_curve),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_invalid_input),
      cmocka_unit_test(test_numerical_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
