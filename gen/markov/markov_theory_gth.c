/* Stationary law by the GTH algorithm: Grassmann, Taksar & Heyman,
 * "Regenerative analysis and steady state distributions for Markov chains",
 * Operations Research 33 (1985) 1107-1116; as stated in W. J. Stewart,
 * "Introduction to the Numerical Solution of Markov Chains" (1994), sec. 2.7.
 *
 * States are eliminated from the last one down: eliminating l folds its
 * transitions into the chain censored on {0..l-1},
 *     p(i,j) += p(i,l) p(l,j) / S_l,   S_l = sum_{j<l} p(l,j),
 * where S_l replaces 1 - p(l,l), so the algorithm never subtracts and every
 * stationary probability comes out with a small relative error, however
 * slowly the chain mixes (O'Cinneide 1993).  Back substitution:
 *     pi(0) = 1, pi(j) = sum_{i<j} pi(i) p(i,j) / S_j, then normalise. */
#include <inttypes.h>
#include <stdlib.h>

#include "gen/markov/markov_theory_internal.h"

int ctxlab_markov_stationary_gth(uint32_t V, uint64_t n, const double *P, double *pi,
                                 ctxlab_error *err) {
  if (n == 1) {
    pi[0] = 1.0;
    return CTXLAB_OK;
  }
  int rc = CTXLAB_OK;
  double *A = calloc(n * n, sizeof *A);
  if (!A)
    return ctxlab_error_set(err, CTXLAB_ENOMEM,
                            "stationary law (GTH): cannot allocate a dense %" PRIu64 " x %" PRIu64
                            " matrix", n, n);
  for (uint64_t s = 0; s < n; s++)
    for (uint32_t x = 0; x < V; x++) A[s * n + (s * V + x) % n] += P[s * V + x];

  for (uint64_t l = n - 1; l >= 1; l--) {
    const double *row_l = A + l * n;
    double S = 0.0;
    for (uint64_t j = 0; j < l; j++) S += row_l[j];
    if (!(S > 0.0)) {
      rc = ctxlab_error_set(err, CTXLAB_EINVAL,
                            "stationary law (GTH): lifted state %" PRIu64 " cannot return to "
                            "states 0..%" PRIu64 ": the chain is not irreducible",
                            l, l - 1);
      goto cleanup;
    }
    uint64_t rows = 0; /* rows to update */
    for (uint64_t i = 0; i < l; i++) rows += A[i * n + l] != 0.0;
    /* Rows are independent: the result does not depend on the thread count. */
#pragma omp parallel for schedule(dynamic, 8) if (rows * l >= CTXLAB_MARKOV_PARALLEL_WORK)
    for (uint64_t i = 0; i < l; i++) {
      double *row_i = A + i * n;
      if (row_i[l] == 0.0) continue;
      const double f = row_i[l] / S;
      row_i[l] = f; /* kept for the back substitution */
      for (uint64_t j = 0; j < l; j++) row_i[j] += f * row_l[j];
    }
  }

  pi[0] = 1.0;
  double total = 1.0;
  for (uint64_t j = 1; j < n; j++) {
    double p = 0.0;
    for (uint64_t i = 0; i < j; i++) p += pi[i] * A[i * n + j];
    pi[j] = p;
    total += p;
  }
  for (uint64_t j = 0; j < n; j++) pi[j] /= total;

cleanup:
  free(A);
  return rc;
}
