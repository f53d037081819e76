/* gen/markov/markov_theory.h (internal): exact truth of an order-k Markov chain.
 *
 * The chain is handled through its lift to k-blocks.  A lifted state s in
 * [0, V^k) is the last k tokens read as a base-V number, oldest token most
 * significant; the token emitted last is s mod V.  P is the V^k x V row-major
 * transition table: P[s*V + x] = P(next token = x | last k tokens = s).  After
 * token x the state becomes (s*V + x) mod V^k.  Order k = 0 is the i.i.d. case:
 * one state, one row.
 *
 * Formulas (SCIENCE.md section 5):
 *   pi             stationary law of the lifted chain (pi P = pi, sum 1)
 *   h              = sum_s pi(s) H(P(.|s))                      (entropy rate)
 *   p_j            law of j-blocks: marginal of pi on its last j tokens, j <= k;
 *                  p_{k+1}(s x) = pi(s) P(x|s)
 *   H(c)           = H(X_{c+1} | X_1..X_c) from p_c and p_{c+1}, c < k; = h for c >= k
 *   I(d)           = I(X_t ; X_{t+d}) from the joint law of the last token of the
 *                    lifted state at t and t+d (d steps of the lifted chain).
 * All values in bits. */
#ifndef CTXLAB_GEN_MARKOV_THEORY_H
#define CTXLAB_GEN_MARKOV_THEORY_H

#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

/* n = V^k lifted states (V >= 1), checked against limits: at most 2^24 states
 * and 2^27 table entries V^(k+1) (EINVAL when too large). */
int ctxlab_markov_state_count(uint32_t V, uint32_t k, uint64_t *n_states, ctxlab_error *err);

/* CTXLAB_OK when the lifted chain is irreducible (every k-block reaches every
 * other one through transitions of positive probability).  Otherwise EINVAL
 * with a message naming a k-block that cannot reach another (tokens written
 * oldest first, e.g. "block [1 0] cannot reach block [0 0]") and saying that
 * the chain then has no unique stationary law over all k-blocks. */
int ctxlab_markov_check_irreducible(uint32_t V, uint32_t k, const double *P, ctxlab_error *err);

/* Stationary law pi (V^k values, sum 1) of an irreducible lifted chain: GTH
 * up to 2048 states, power iteration on the lazy chain beyond.  The table is
 * checked (entries in [0, 1], rows summing to 1 within 1e-9, irreducible:
 * EINVAL otherwise).  ENUMERIC when the solver does not converge (the message
 * says how far it got). */
int ctxlab_markov_stationary(uint32_t V, uint32_t k, const double *P, double *pi,
                             ctxlab_error *err);

/* Entropy rate h = sum_s pi(s) H(P(.|s)), bits. */
double ctxlab_markov_entropy_rate(uint32_t V, uint32_t k, const double *P, const double *pi);

/* Law of the last j tokens (j <= k) under pi: out has V^j entries indexed like
 * lifted states of order j. */
void ctxlab_markov_block_law(uint32_t V, uint32_t k, const double *pi, uint32_t j, double *out);

/* Exact curves to L: H[c] for c = 0..L and I[d-1] for d = 1..L (either may be
 * NULL).  threads <= 0: all available; the result does not depend on it. */
int ctxlab_markov_exact_curves(uint32_t V, uint32_t k, const double *P, const double *pi,
                               size_t L, int threads, double *H, double *I, ctxlab_error *err);

/* Temperature tuning for the `target_entropy_bits` spec key.  Given
 * logD[s*V + x] = ln D_s(x) of Dirichlet draws (-inf allowed for zeros), rows
 * P_beta(x|s) proportional to D_s(x)^beta.  Finds beta >= 0 with entropy
 * rate h(P_beta) = target to within 1e-9 bits (GSL root bracketing), writes
 * P_beta to P and beta to *beta.  EINVAL with the reachable range when the
 * target cannot be reached.  (When the target is exactly the beta -> 0+ limit
 * of a D with zeros, beta = DBL_MIN.) */
int ctxlab_markov_tune_temperature(uint32_t V, uint32_t k, const double *logD, double target_bits,
                                   double *P, double *beta, ctxlab_error *err);

#endif
