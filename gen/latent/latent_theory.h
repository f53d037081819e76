/* gen/latent/latent_theory.h (internal): exact truth of the latent family, the
 * mixing Santa Fe process (SCIENCE.md section 5).
 *
 * d hidden bits (chains); chain j flips with probability rho_j per step
 * (rho_j in [0, 1/2]); each token picks chain j with probability w_j
 * (sum w = 1), independently of everything else, and shows token 2j + b, with
 * b its current bit xor Bernoulli(eps) noise, eps in [0, 1/2).
 *
 * With r_j = 1 - 2 rho_j, q_j(a) = (1 + r_j^a)/2, h2 the binary entropy and
 * g(x) = 1 - h2((1 + x)/2) (all bits):
 *   H(c) = H(w) + sum_j w_j [ sum_{a=1..c} w_j (1-w_j)^(a-1) h2(q_j(a)) + (1-w_j)^c ]   (eps = 0)
 *   S(c) = sum_j sum_{a=1..c} w_j (1-w_j)^(a-1) g(r_j^a)                               (eps = 0)
 *   I(d) = sum_j w_j^2 g((1 - 2 eps)^2 r_j^d)                                          (any eps)
 *   entropy rate = lim_{c -> inf} H(c)                                                 (eps = 0)
 * For uniform weights, H(0) - H(c) = S(c)/d exactly. */
#ifndef CTXLAB_GEN_LATENT_THEORY_H
#define CTXLAB_GEN_LATENT_THEORY_H

#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

/* Exact curves to L: H[c] and S[c] for c = 0..L (eps must be 0 when either is
 * wanted), I[dist-1] for dist = 1..L (any eps).  Each array may be NULL.
 * O(L d) time by recurrences in c; threads <= 0 means all available, and the
 * result is bit-identical for every thread count. */
int ctxlab_latent_exact_curves(uint32_t d, const double *w, const double *rho, double eps,
                               size_t L, int threads, double *H, double *I, double *S,
                               ctxlab_error *err);

/* The exact entropy rate (eps = 0), bits. */
int ctxlab_latent_entropy_rate(uint32_t d, const double *w, const double *rho, double *bits,
                               ctxlab_error *err);

/* g(x) = 1 - h2((1 + x)/2) in bits, for x in [0, 1], accurate near 0 and 1. */
double ctxlab_latent_g(double x);

#endif
