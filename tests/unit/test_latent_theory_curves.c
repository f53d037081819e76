/* Exact curves of the latent family (gen/latent/latent_theory.h): H(c), S(c), I(d).
 *
 * Sources of expected values:
 *   [enum]   brute-force enumeration written here, independent of the library's
 *            formulas: every token window of length <= 7 of the hidden-state
 *            process (2^d joint states, independent flips, emission = pick a
 *            chain, show its bit through the noise), its probability by the
 *            forward algorithm from the stationary law, in long double;
 *   [direct] the closed forms of latent_theory.h / SCIENCE.md 5 evaluated term
 *            by term, O(c^2 d), in long double with h2 (not g) and powl;
 *   [ident]  identities of the closed forms: H(0) - H(c) = S(c)/d for uniform
 *            weights (latent_theory.h), H(0) = H(w) + 1, S(0) = 0;
 *   [threads] the same call with 1, 2, 3 and all threads: results bit-identical. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/latent/latent_theory.h"

#define TOL 1e-12

/* ------------------------------------------------------------------------ */
/* Brute force over the hidden-state process                                 */
/* ------------------------------------------------------------------------ */

enum { MAX_WINDOW = 7, MAX_DIST = 8 };

typedef struct process {
  uint32_t d;
  const double *w, *rho;
  double eps;
} process;

static long double h2l(long double p) {
  if (p <= 0 || p >= 1) return 0;
  return -(p * log2l(p) + (1 - p) * log2l(1 - p));
}

/* P(z' | z): every chain flips independently with probability rho_j. */
static long double transition(const process *p, unsigned from, unsigned to) {
  long double pr = 1;
  for (uint32_t j = 0; j < p->d; j++)
    pr *= (((from ^ to) >> j) & 1u) ? (long double)p->rho[j] : 1 - (long double)p->rho[j];
  return pr;
}

/* P(token y | joint state z): chain j = y/2 picked with w_j, its bit b = y%2
 * shown through Bernoulli(eps) noise. */
static long double emission(const process *p, unsigned z, int y) {
  unsigned j = (unsigned)y / 2, b = (unsigned)y % 2;
  long double keep = ((z >> j) & 1u) == b ? 1 - (long double)p->eps : (long double)p->eps;
  return p->w[j] * keep;
}

typedef struct enum_sums {
  long double block[MAX_WINDOW + 1]; /* H(X_1..X_n) */
  long double chain[MAX_WINDOW + 1]; /* sum_j H(z_j(n+1) | X_1..X_n) */
} enum_sums;

/* pred[z] = P(x_1..x_n, z_{n+1} = z) for the window x_1..x_n reached so far. */
static void enumerate(const process *p, int n, const long double *pred, enum_sums *out) {
  unsigned ns = 1u << p->d;
  long double P = 0;
  for (unsigned z = 0; z < ns; z++) P += pred[z];
  if (P <= 0) return;
  if (n > 0) out->block[n] -= P * log2l(P);
  for (uint32_t j = 0; j < p->d; j++) {
    long double one = 0;
    for (unsigned z = 0; z < ns; z++)
      if ((z >> j) & 1u) one += pred[z];
    out->chain[n] += P * h2l(one / P);
  }
  if (n == MAX_WINDOW) return;
  for (int y = 0; y < 2 * (int)p->d; y++) {
    long double alpha[8], next[8];
    for (unsigned z = 0; z < ns; z++) alpha[z] = pred[z] * emission(p, z, y);
    for (unsigned z2 = 0; z2 < ns; z2++) {
      next[z2] = 0;
      for (unsigned z = 0; z < ns; z++) next[z2] += alpha[z] * transition(p, z, z2);
    }
    enumerate(p, n + 1, next, out);
  }
}

/* H(c) and S(c), c = 0..MAX_WINDOW-1, by enumeration (eps = 0 only for the
 * closed forms, but the enumeration itself works for any eps). */
static void brute_H_S(const process *p, double *H, double *S) {
  enum_sums sums;
  memset(&sums, 0, sizeof sums);
  long double pi[8];
  for (unsigned z = 0; z < (1u << p->d); z++) pi[z] = 1.0L / (1u << p->d);
  enumerate(p, 0, pi, &sums);
  for (int c = 0; c < MAX_WINDOW; c++) {
    H[c] = (double)(sums.block[c + 1] - sums.block[c]);
    S[c] = (double)(p->d - sums.chain[c]);
  }
}

/* I(dist) = I(X_t; X_{t+dist}) from the joint law
 * P(y, y') = sum_{z, z'} pi(z) e(y|z) T^dist(z, z') e(y'|z'), dist = 1..MAX_DIST. */
static void brute_I(const process *p, double *I) {
  unsigned ns = 1u << p->d;
  int V = 2 * (int)p->d;
  long double T[8][8], Tk[8][8], tmp[8][8];
  for (unsigned a = 0; a < ns; a++)
    for (unsigned b = 0; b < ns; b++) Tk[a][b] = T[a][b] = transition(p, a, b);
  for (int dist = 1; dist <= MAX_DIST; dist++) {
    long double mi = 0, marg[6] = {0};
    for (int y = 0; y < V; y++)
      for (unsigned z = 0; z < ns; z++) marg[y] += emission(p, z, y) / ns;
    for (int y = 0; y < V; y++)
      for (int y2 = 0; y2 < V; y2++) {
        long double joint = 0;
        for (unsigned z = 0; z < ns; z++)
          for (unsigned z2 = 0; z2 < ns; z2++)
            joint += emission(p, z, y) / ns * Tk[z][z2] * emission(p, z2, y2);
        if (joint > 0) mi += joint * log2l(joint / (marg[y] * marg[y2]));
      }
    I[dist - 1] = (double)mi;
    for (unsigned a = 0; a < ns; a++)
      for (unsigned b = 0; b < ns; b++) {
        tmp[a][b] = 0;
        for (unsigned k = 0; k < ns; k++) tmp[a][b] += Tk[a][k] * T[k][b];
      }
    memcpy(Tk, tmp, sizeof Tk);
  }
}

typedef struct small_case {
  uint32_t d;
  double w[3], rho[3];
} small_case;

/* d = 1, 2, 3, with the edges rho = 0 (frozen chain), rho = 1/2 (memoryless),
 * w = 1 (d = 1) and w = 0 (a chain never shown). */
static const small_case SMALL[] = {
    {1, {1}, {0.1}},
    {1, {1}, {0}},
    {1, {1}, {0.5}},
    {2, {0.7, 0.3}, {0.05, 0.3}},
    {2, {0.5, 0.5}, {0, 0.5}},
    {3, {0.5, 0.3, 0.2}, {0.01, 0.1, 0.4}},
    {3, {0.6, 0, 0.4}, {0.2, 0.1, 0.001}},
};

static void assert_near(double got, double want, double tol, const char *what, int k, int c) {
  if (!(fabs(got - want) <= tol)) {
    fprintf(stderr, "%s: case %d, point %d: %.17g, expected %.17g (diff %.3g)\n", what, k, c, got,
            want, got - want);
    fail();
  }
}

/* [enum] H(c), S(c) for eps = 0 and I(d) for eps = 0, 0.1, 0.3 */
static void test_brute_force(void **state) {
  (void)state;
  for (int k = 0; k < (int)(sizeof SMALL / sizeof SMALL[0]); k++) {
    const small_case *sc = &SMALL[k];
    process p = {sc->d, sc->w, sc->rho, 0};
    double Hb[MAX_WINDOW], Sb[MAX_WINDOW], Ib[MAX_DIST];
    double H[MAX_DIST + 1], S[MAX_DIST + 1], I[MAX_DIST];
    ctxlab_error err;
    brute_H_S(&p, Hb, Sb);
    assert_int_equal(ctxlab_latent_exact_curves(sc->d, sc->w, sc->rho, 0, MAX_DIST, 2, H, I, S,
                                                &err),
                     0);
    for (int c = 0; c < MAX_WINDOW; c++) {
      assert_near(H[c], Hb[c], TOL, "H", k, c);
      assert_near(S[c], Sb[c], TOL, "S", k, c);
    }
    const double eps[] = {0, 0.1, 0.3};
    for (int e = 0; e < 3; e++) {
      p.eps = eps[e];
      brute_I(&p, Ib);
      assert_int_equal(ctxlab_latent_exact_curves(sc->d, sc->w, sc->rho, eps[e], MAX_DIST, 1, NULL,
                                                  I, NULL, &err),
                       0);
      for (int dist = 1; dist <= MAX_DIST; dist++)
        assert_near(I[dist - 1], Ib[dist - 1], TOL, "I", k, dist);
    }
  }
}

/* ------------------------------------------------------------------------ */
/* The closed forms term by term                                             */
/* ------------------------------------------------------------------------ */

/* h2(q_j(a)) with q = (1 + k r^a)/2, k = (1-2eps)^2; 1 - q by expm1l so that
 * slow chains keep their digits. */
static long double h2_age(double rho, double eps, size_t a) {
  long double lk = 2 * log1pl(-2 * (long double)eps);
  long double one_minus_q = -expm1l((long double)a * log1pl(-2 * (long double)rho) + lk) / 2;
  return h2l(1 - one_minus_q);
}

/* [direct] the header's formulas, each point summed from scratch */
static void direct_curves(uint32_t d, const double *w, const double *rho, double eps, size_t L,
                          double *H, double *I, double *S) {
  long double Hw = 0;
  for (uint32_t j = 0; j < d; j++)
    if (w[j] > 0) Hw -= w[j] * log2l(w[j]);
  for (size_t c = 0; c <= L; c++) {
    long double h = Hw, s = 0;
    for (uint32_t j = 0; j < d; j++) {
      long double inner = 0, sj = 0;
      for (size_t a = 1; a <= c; a++) {
        long double pa = w[j] * powl(1 - (long double)w[j], (long double)(a - 1));
        inner += pa * h2_age(rho[j], 0, a);
        sj += pa * (1 - h2_age(rho[j], 0, a));
      }
      h += w[j] * (inner + powl(1 - (long double)w[j], (long double)c));
      s += sj;
    }
    if (H) H[c] = (double)h;
    if (S) S[c] = (double)s;
  }
  for (size_t dist = 1; dist <= L; dist++) {
    long double v = 0;
    for (uint32_t j = 0; j < d; j++) v += (long double)w[j] * w[j] * (1 - h2_age(rho[j], eps, dist));
    I[dist - 1] = (double)v;
  }
}

typedef struct direct_case {
  uint32_t d;
  size_t L;
  double w[8], rho[8];
} direct_case;

/* Chains with every behaviour: frozen, slow, fast, memoryless, never shown;
 * terms dropped below 2^-1000 before L (rho = 0.45, w = 0.07: I from age 150
 * on; w = 0.9: H and S from age ~302 on; w = 1: from age 2 on); L not a
 * multiple of the 64-age tiles. */
static const direct_case DIRECT[] = {
    {8, 300, {0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.07, 0}, {0, 1e-4, 0.003, 0.02, 0.1, 0.3, 0.45, 0.5}},
    {2, 400, {0.9, 0.1}, {1e-3, 0.2}},
    {1, 100, {1}, {0.01}},
};

static void test_direct_closed_forms(void **state) {
  (void)state;
  enum { LMAX = 400 };
  double H[LMAX + 1], S[LMAX + 1], I[LMAX], Hd[LMAX + 1], Sd[LMAX + 1], Id[LMAX];
  ctxlab_error err;
  for (int k = 0; k < (int)(sizeof DIRECT / sizeof DIRECT[0]); k++) {
    const direct_case *dc = &DIRECT[k];
    size_t L = dc->L;
    direct_curves(dc->d, dc->w, dc->rho, 0, L, Hd, Id, Sd);
    assert_int_equal(ctxlab_latent_exact_curves(dc->d, dc->w, dc->rho, 0, L, 2, H, I, S, &err), 0);
    for (size_t c = 0; c <= L; c++) {
      assert_near(H[c], Hd[c], TOL, "H direct", k, (int)c);
      assert_near(S[c], Sd[c], TOL, "S direct", k, (int)c);
      if (c < L) assert_near(I[c], Id[c], TOL, "I direct", k, (int)c + 1);
    }
    direct_curves(dc->d, dc->w, dc->rho, 0.2, L, NULL, Id, NULL);
    assert_int_equal(ctxlab_latent_exact_curves(dc->d, dc->w, dc->rho, 0.2, L, 2, NULL, I, NULL,
                                                &err),
                     0);
    for (size_t c = 0; c < L; c++) assert_near(I[c], Id[c], TOL, "I direct eps 0.2", k, (int)c + 1);
  }
}

/* ------------------------------------------------------------------------ */
/* Identities, thread independence, partial requests                         */
/* ------------------------------------------------------------------------ */

/* d chains with rho log-spaced over [1e-5, 1/2] and Zipf (or uniform) weights. */
static void make_chains(uint32_t d, int zipf, double *w, double *rho) {
  double z = 0;
  for (uint32_t j = 0; j < d; j++) z += w[j] = zipf ? 1.0 / (j + 1) : 1.0;
  for (uint32_t j = 0; j < d; j++) {
    w[j] /= z;
    rho[j] = 0.5 * pow(2e-5, (double)j / (d - 1));
  }
}

/* [ident] uniform weights: H(0) - H(c) = S(c)/d; H(0) = log2 d + 1; S(0) = 0.
 * d = 300 chains span two blocks of the parallel sum. */
static void test_uniform_identity(void **state) {
  (void)state;
  enum { D = 300, L = 3000 };
  double w[D], rho[D];
  make_chains(D, 0, w, rho);
  double *H = malloc((L + 1) * sizeof *H), *S = malloc((L + 1) * sizeof *S);
  assert_non_null(H && S);
  ctxlab_error err;
  assert_int_equal(ctxlab_latent_exact_curves(D, w, rho, 0, L, 2, H, NULL, S, &err), 0);
  assert_near(H[0], log2(D) + 1, TOL, "H(0) = log2 d + 1", 0, 0);
  assert_true(S[0] == 0);
  for (int c = 1; c <= L; c++) assert_near(H[0] - H[c], S[c] / D, TOL, "H(0)-H(c) vs S/d", 0, c);
  free(H), free(S);
}

typedef struct curves {
  double *H, *I, *S;
} curves;

static curves run_curves(uint32_t d, const double *w, const double *rho, double eps, size_t L,
                         int threads, int want_h, int want_i, int want_s) {
  curves out = {want_h ? malloc((L + 1) * sizeof(double)) : NULL,
                want_i ? malloc(L * sizeof(double)) : NULL,
                want_s ? malloc((L + 1) * sizeof(double)) : NULL};
  ctxlab_error err;
  int status = ctxlab_latent_exact_curves(d, w, rho, eps, L, threads, out.H, out.I, out.S, &err);
  if (status) fprintf(stderr, "%s\n", err.message);
  assert_int_equal(status, 0);
  return out;
}

static void free_curves(curves *c) { free(c->H), free(c->I), free(c->S); }

/* [threads] 700 chains = 3 blocks of 256: bit-identical for 1, 2, 3 and all
 * threads; and asking for one curve gives the bits of asking for all three. */
static void test_thread_independence(void **state) {
  (void)state;
  enum { D = 700, L = 4000 };
  double w[D], rho[D];
  make_chains(D, 1, w, rho);
  curves ref = run_curves(D, w, rho, 0, L, 1, 1, 1, 1);
  const int threads[] = {2, 3, 0};
  for (int t = 0; t < 3; t++) {
    curves c = run_curves(D, w, rho, 0, L, threads[t], 1, 1, 1);
    assert_memory_equal(c.H, ref.H, (L + 1) * sizeof(double));
    assert_memory_equal(c.S, ref.S, (L + 1) * sizeof(double));
    assert_memory_equal(c.I, ref.I, L * sizeof(double));
    free_curves(&c);
  }
  curves h = run_curves(D, w, rho, 0, L, 2, 1, 0, 0), i = run_curves(D, w, rho, 0, L, 3, 0, 1, 0),
         s = run_curves(D, w, rho, 0, L, 0, 0, 0, 1);
  assert_memory_equal(h.H, ref.H, (L + 1) * sizeof(double));
  assert_memory_equal(i.I, ref.I, L * sizeof(double));
  assert_memory_equal(s.S, ref.S, (L + 1) * sizeof(double));
  free_curves(&h), free_curves(&i), free_curves(&s), free_curves(&ref);

  curves noisy1 = run_curves(D, w, rho, 0.15, L, 1, 0, 1, 0);
  curves noisy3 = run_curves(D, w, rho, 0.15, L, 3, 0, 1, 0);
  assert_memory_equal(noisy1.I, noisy3.I, L * sizeof(double));
  free_curves(&noisy1), free_curves(&noisy3);
}

/* L = 0: only H(0) = H(w) + 1 (here H(w) = 1.5 bits) and S(0) = 0. */
static void test_empty_context(void **state) {
  (void)state;
  const double w[3] = {0.5, 0.25, 0.25}, rho[3] = {0.1, 0.2, 0.3};
  double H[1] = {-1}, S[1] = {-1};
  ctxlab_error err;
  assert_int_equal(ctxlab_latent_exact_curves(3, w, rho, 0, 0, 0, H, NULL, S, &err), 0);
  assert_true(H[0] == 2.5);
  assert_true(S[0] == 0);
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

static void expect_einval(int status, const ctxlab_error *err, const char *needle) {
  assert_int_equal(status, CTXLAB_EINVAL);
  assert_int_equal(err->status, CTXLAB_EINVAL);
  if (!strstr(err->message, needle)) {
    fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err->message, needle);
    fail();
  }
}

static void test_errors(void **state) {
  (void)state;
  const double w[2] = {0.6, 0.4}, rho[2] = {0.1, 0.2};
  double H[11], I[10], S[11];
  ctxlab_error err;
  /* H and S have no closed form for eps > 0 */
  expect_einval(ctxlab_latent_exact_curves(2, w, rho, 0.1, 10, 1, H, NULL, NULL, &err), &err,
                "eps");
  expect_einval(ctxlab_latent_exact_curves(2, w, rho, 0.1, 10, 1, NULL, I, S, &err), &err, "eps");
  expect_einval(ctxlab_latent_exact_curves(2, w, rho, 0.5, 10, 1, NULL, I, NULL, &err), &err,
                "eps = 0.5");
  expect_einval(ctxlab_latent_exact_curves(2, w, rho, -0.1, 10, 1, NULL, I, NULL, &err), &err,
                "eps");
  expect_einval(ctxlab_latent_exact_curves(2, w, rho, NAN, 10, 1, NULL, I, NULL, &err), &err,
                "eps");
  expect_einval(ctxlab_latent_exact_curves(0, w, rho, 0, 10, 1, H, I, S, &err), &err, "d = 0");
  expect_einval(ctxlab_latent_exact_curves(2, NULL, rho, 0, 10, 1, H, I, S, &err), &err,
                "w is NULL");
  expect_einval(ctxlab_latent_exact_curves(2, w, NULL, 0, 10, 1, H, I, S, &err), &err,
                "rho is NULL");
  const double bad_w[2] = {1.2, -0.2}, short_w[2] = {0.6, 0.3}, nan_w[2] = {NAN, 1};
  expect_einval(ctxlab_latent_exact_curves(2, bad_w, rho, 0, 10, 1, H, I, S, &err), &err, "w[0]");
  expect_einval(ctxlab_latent_exact_curves(2, nan_w, rho, 0, 10, 1, H, I, S, &err), &err,
                "w[0]");
  expect_einval(ctxlab_latent_exact_curves(2, short_w, rho, 0, 10, 1, H, I, S, &err), &err,
                "sum to 0.8999");
  const double bad_rho[2] = {0.1, 0.6}, neg_rho[2] = {-1e-9, 0.1};
  expect_einval(ctxlab_latent_exact_curves(2, w, bad_rho, 0, 10, 1, H, I, S, &err), &err,
                "rho[1]");
  expect_einval(ctxlab_latent_exact_curves(2, w, neg_rho, 0, 10, 1, H, I, S, &err), &err,
                "rho[0]");
  /* a length no memory can hold */
  assert_int_equal(ctxlab_latent_exact_curves(2, w, rho, 0, SIZE_MAX / 4, 1, NULL, I, NULL, &err),
                   CTXLAB_ENOMEM);
  assert_int_equal(err.status, CTXLAB_ENOMEM);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_brute_force),         cmocka_unit_test(test_direct_closed_forms),
      cmocka_unit_test(test_uniform_identity),    cmocka_unit_test(test_thread_independence),
      cmocka_unit_test(test_empty_context),       cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
