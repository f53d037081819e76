/* Helpers shared by the unit tests of the markov theory (tests/unit/
 * test_markov_theory_*.c): random tables and an independent dense solver for
 * the stationary law.  Nothing here calls the code under test. */
#ifndef CTXLAB_TESTS_MARKOV_THEORY_TEST_UTIL_H
#define CTXLAB_TESTS_MARKOV_THEORY_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/rng.h"

static inline uint64_t ipow(uint32_t V, uint32_t e) {
  uint64_t p = 1;
  for (uint32_t i = 0; i < e; i++) p *= V;
  return p;
}

/* n*V table with rows Dirichlet(1) (normalised Exp(1) draws); with
 * `with_zeros` and V >= 3, one token per state has probability 0: token
 * (oldest token + s) mod V after state s (token 0 for order 0).  It varies
 * with the oldest token, so every block keeps predecessors and the chain
 * stays irreducible. */
static inline double *random_table(uint32_t V, uint64_t n, uint64_t seed, int with_zeros) {
  ctxlab_pcg32 rng;
  ctxlab_pcg32_seed(&rng, seed, 7);
  double *P = malloc(n * V * sizeof *P);
  for (uint64_t s = 0; s < n; s++) {
    double sum = 0.0;
    for (uint32_t x = 0; x < V; x++) {
      const double u = ((double)ctxlab_pcg32_next(&rng) + 0.5) / 4294967296.0;
      const uint64_t banned = n >= V ? (s / (n / V) + s) % V : 0;
      P[s * V + x] = with_zeros && V >= 3 && x == banned ? 0.0 : -log(u);
      sum += P[s * V + x];
    }
    for (uint32_t x = 0; x < V; x++) P[s * V + x] /= sum;
  }
  return P;
}

/* Stationary law by a dense linear solve, independent of GTH and of the power
 * iteration: pi (I - Q) = 0 with sum(pi) = 1, where Q is the n x n lifted
 * matrix; the transposed system with its last equation replaced by
 * sum(pi) = 1, Gaussian elimination with partial pivoting in long double. */
static inline void dense_stationary(uint32_t V, uint64_t n, const double *P, double *pi) {
  long double *A = calloc(n * (n + 1), sizeof *A); /* row i: equation i, column n: rhs */
  for (uint64_t s = 0; s < n; s++) {
    A[s * (n + 1) + s] += 1.0L;
    for (uint32_t x = 0; x < V; x++) A[((s * V + x) % n) * (n + 1) + s] -= P[s * V + x];
  }
  for (uint64_t j = 0; j <= n; j++) A[(n - 1) * (n + 1) + j] = 1.0L;
  for (uint64_t c = 0; c < n; c++) {
    uint64_t piv = c;
    for (uint64_t r = c + 1; r < n; r++)
      if (fabsl(A[r * (n + 1) + c]) > fabsl(A[piv * (n + 1) + c])) piv = r;
    for (uint64_t j = 0; j <= n; j++) {
      long double t = A[c * (n + 1) + j];
      A[c * (n + 1) + j] = A[piv * (n + 1) + j];
      A[piv * (n + 1) + j] = t;
    }
    for (uint64_t r = c + 1; r < n; r++) {
      const long double f = A[r * (n + 1) + c] / A[c * (n + 1) + c];
      for (uint64_t j = c; j <= n; j++) A[r * (n + 1) + j] -= f * A[c * (n + 1) + j];
    }
  }
  long double *sol = malloc(n * sizeof *sol);
  for (uint64_t c = n; c-- > 0;) {
    long double v = A[c * (n + 1) + n];
    for (uint64_t j = c + 1; j < n; j++) v -= A[c * (n + 1) + j] * sol[j];
    sol[c] = v / A[c * (n + 1) + c];
  }
  for (uint64_t s = 0; s < n; s++) pi[s] = (double)sol[s];
  free(sol);
  free(A);
}

#endif
