/* Exact curves against closed forms: i.i.d. tokens, the two-state chain (also
 * written as an order-2 and order-3 table), a deterministic cycle, and V = 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "gen/markov/markov_theory.h"
#include "markov_theory_test_util.h"

#define L 40

static void curves(uint32_t V, uint32_t k, const double *P, double *pi, double *H, double *I) {
  ctxlab_error err;
  if (ctxlab_markov_stationary(V, k, P, pi, &err)) fail_msg("%s", err.message);
  if (ctxlab_markov_exact_curves(V, k, P, pi, L, 0, H, I, &err)) fail_msg("%s", err.message);
}

static double h2(double p) { return -p * log2(p) - (1.0 - p) * log2(1.0 - p); }

/* k = 0: tokens are i.i.d. with law r, so H(c) = H(r) for every c and I(d) = 0. */
static void test_iid(void **state) {
  (void)state;
  const double r[4] = {0.5, 0.25, 0.125, 0.125};
  double pi[1], H[L + 1], I[L];
  curves(4, 0, r, pi, H, I);
  assert_true(pi[0] == 1.0);
  /* H(r) = 0.5*1 + 0.25*2 + 2*0.125*3 = 1.75 bits exactly */
  for (size_t c = 0; c <= L; c++) assert_true(fabs(H[c] - 1.75) <= 1e-15);
  for (size_t d = 0; d < L; d++) assert_true(I[d] == 0.0);
  assert_true(fabs(ctxlab_markov_entropy_rate(4, 0, r, pi) - 1.75) <= 1e-15);
}

/* Two-state chain, P(0 -> 1) = a, P(1 -> 0) = b.  Closed forms:
 *   pi = (b, a) / (a + b)                     (balance: pi_0 a = pi_1 b)
 *   h  = (b h2(a) + a h2(b)) / (a + b),  H(0) = h2(a / (a + b)),  H(c >= 1) = h
 *   P = 1 pi + lambda (I - 1 pi), lambda = 1 - a - b: both terms are
 *   projections (1 pi onto the stationary direction, I - 1 pi onto its
 *   complement, an eigenvector of P with eigenvalue 1 - a - b = trace - 1), so
 *   P^d = 1 pi + lambda^d (I - 1 pi) and the joint law of (X_t, X_{t+d}) is
 *   J(i, j) = pi_i pi_j (1 + u_ij),  u_ij = lambda^d (delta_ij - pi_j) / pi_j.
 *   I(d) = sum_ij J(i, j) log2(1 + u_ij), evaluated here in long double with
 *   log1pl (absolute error ~1e-19 |u|, far below what is tested). */
static double two_state_mi(double a, double b, unsigned d) {
  const long double pi[2] = {(long double)b / (a + b), (long double)a / (a + b)};
  const long double lambda_d = powl(1.0L - a - b, d);
  long double mi = 0.0L;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) {
      const long double u = lambda_d * ((i == j) - pi[j]) / pi[j];
      mi += pi[i] * pi[j] * (1.0L + u) * log1pl(u);
    }
  return (double)(mi / logl(2.0L));
}

/* The table of the two-state chain as an order-k table (the older k - 1
 * tokens are ignored). */
static double *two_state_table(double a, double b, uint32_t k) {
  const uint64_t n = ipow(2, k);
  double *P = malloc(n * 2 * sizeof *P);
  for (uint64_t s = 0; s < n; s++) {
    const double flip = s % 2 ? b : a;
    P[s * 2 + s % 2] = 1.0 - flip;
    P[s * 2 + 1 - s % 2] = flip;
  }
  return P;
}

static void check_two_state(double a, double b) {
  const double h = (b * h2(a) + a * h2(b)) / (a + b);
  for (uint32_t k = 1; k <= 3; k++) {
    double *P = two_state_table(a, b, k), *pi = malloc(ipow(2, k) * sizeof *pi);
    double H[L + 1], I[L];
    curves(2, k, P, pi, H, I);
    if (k == 1) {
      assert_true(fabs(pi[0] - b / (a + b)) <= 1e-15);
      assert_true(fabs(pi[1] - a / (a + b)) <= 1e-15);
    }
    if (fabs(H[0] - h2(a / (a + b))) > 1e-14) fail_msg("k=%u H(0) = %.17g", k, H[0]);
    for (size_t c = 1; c <= L; c++)
      if (fabs(H[c] - h) > 1e-14) fail_msg("k=%u H(%zu) = %.17g, closed form %.17g", k, c, H[c], h);
    for (unsigned d = 1; d <= L; d++) {
      const double expected = two_state_mi(a, b, d);
      /* 1e-15 absolute at all d, and relative accuracy while I(d) is above
       * ~1e-24 (the propagated deviation lambda^d is then >= ~1e-12, known
       * to ~1e-15 absolute, so I ~ lambda^(2d) to ~1e-3 relative or better) */
      const double tol = expected > 1e-24 ? 1e-15 + 1e-3 * expected : 1e-15;
      if (!(I[d - 1] >= 0.0) || fabs(I[d - 1] - expected) > tol)
        fail_msg("a=%g b=%g k=%u: I(%u) = %.17g, closed form %.17g", a, b, k, d, I[d - 1],
                 expected);
    }
    free(P);
    free(pi);
  }
}

static void test_two_state(void **state) {
  (void)state;
  check_two_state(0.3, 0.1);  /* lambda = 0.6 */
  check_two_state(0.7, 0.6);  /* lambda = -0.3: the correlation alternates in sign */
  check_two_state(1e-3, 2e-3); /* slow: I(d) stays large */
}

/* I(d) far below 1e-15 must come out with a small relative error: with
 * lambda = 0.5, lambda^20 ~ 1e-6 and I(20) ~ lambda^40/(2 ln 2) ~ 6e-13
 * (second-order expansion of two_state_mi: sum_ij pi_i pi_j u_ij^2/2 =
 * lambda^(2d)/2 nats for two states). */
static void test_tiny_mutual_information(void **state) {
  (void)state;
  double *P = two_state_table(0.25, 0.25, 1), pi[2], H[L + 1], I[L];
  curves(2, 1, P, pi, H, I);
  const double expected = two_state_mi(0.25, 0.25, 20);
  assert_true(fabs(expected - pow(0.5, 40) / (2.0 * M_LN2)) <= 1e-6 * expected);
  if (fabs(I[19] - expected) > 1e-9 * expected)
    fail_msg("I(20) = %.17g, closed form %.17g", I[19], expected);
  free(P);
}

/* Deterministic cycle 0 -> 1 -> 2 -> 0 (period 3): pi uniform, h = 0,
 * H(0) = log2 3, H(c >= 1) = 0 (the last token fixes the next), and X_{t+d}
 * is a function of X_t, so I(d) = H(X_t) = log2 3. */
static void test_periodic_cycle(void **state) {
  (void)state;
  const double P[9] = {0, 1, 0, 0, 0, 1, 1, 0, 0};
  double pi[3], H[L + 1], I[L];
  curves(3, 1, P, pi, H, I);
  for (int s = 0; s < 3; s++) assert_true(fabs(pi[s] - 1.0 / 3.0) <= 1e-15);
  assert_true(fabs(H[0] - log2(3.0)) <= 1e-15);
  for (size_t c = 1; c <= L; c++) assert_true(H[c] == 0.0);
  for (size_t d = 0; d < L; d++) assert_true(fabs(I[d] - log2(3.0)) <= 1e-14);
}

/* One token: a constant sequence, everything 0. */
static void test_single_token(void **state) {
  (void)state;
  const double P[1] = {1.0};
  double pi[1], H[L + 1], I[L];
  for (uint32_t k = 0; k <= 3; k++) {
    curves(1, k, P, pi, H, I);
    assert_true(pi[0] == 1.0);
    for (size_t c = 0; c <= L; c++) assert_true(H[c] == 0.0);
    for (size_t d = 0; d < L; d++) assert_true(I[d] == 0.0);
  }
}

/* L = 0 and NULL curves are accepted. */
static void test_short_curves(void **state) {
  (void)state;
  double *P = two_state_table(0.3, 0.1, 2), pi[4], H[1];
  ctxlab_error err;
  assert_int_equal(ctxlab_markov_stationary(2, 2, P, pi, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_markov_exact_curves(2, 2, P, pi, 0, 1, H, NULL, &err), CTXLAB_OK);
  assert_true(fabs(H[0] - h2(0.75)) <= 1e-15); /* pi_1 = a/(a+b) = 0.75 */
  assert_int_equal(ctxlab_markov_exact_curves(2, 2, P, pi, 0, 1, NULL, NULL, &err), CTXLAB_OK);
  free(P);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_iid),
      cmocka_unit_test(test_two_state),
      cmocka_unit_test(test_tiny_mutual_information),
      cmocka_unit_test(test_periodic_cycle),
      cmocka_unit_test(test_single_token),
      cmocka_unit_test(test_short_curves),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
