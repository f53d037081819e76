/* Exact curves of an order-k chain: conditional entropy H(c) from block laws,
 * two-point mutual information I(d) by propagating, through the lifted chain,
 * the V measures "stationary, last token = a". */
#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#include "gen/markov/markov_theory.h"
#include "gen/markov/markov_theory_internal.h"

/* Work space for the propagated measures: at most this many doubles per
 * buffer; more measures than fit are propagated in several passes. */
#define MEASURE_BUDGET (UINT64_C(1) << 24)

/* H(X_{c+1} | X_1..X_c) in bits from the law p of (c+1)-blocks (nb = V^c
 * contexts b, p[b*V + x]), as sum p(b,x) ln(p(b)/p(b,x)) with p(b) the
 * marginal of the same table: a sum of nonnegative terms, never a difference
 * of block entropies. */
static double conditional_entropy(uint32_t V, uint64_t nb, const double *p) {
  ctxlab_markov_sum H = {0.0, 0.0};
  for (uint64_t b = 0; b < nb; b++) {
    const double *row = p + b * V;
    double pb = 0.0;
    for (uint32_t x = 0; x < V; x++) pb += row[x];
    for (uint32_t x = 0; x < V; x++)
      if (row[x] > 0.0) ctxlab_markov_sum_add(&H, row[x] * log(pb / row[x]));
  }
  return ctxlab_markov_sum_value(&H) / M_LN2;
}

static int entropy_curve(uint32_t V, uint32_t k, uint64_t n, const double *P, const double *pi,
                         size_t L, double *H, ctxlab_error *err) {
  double *block = NULL;
  if (k > 1 && !(block = malloc(n / V * sizeof *block)))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "conditional entropy: cannot allocate %" PRIu64
                            " block probabilities", n / V);
  uint64_t contexts = 1; /* V^c */
  for (size_t c = 0; c < k && c <= L; c++, contexts *= V) {
    /* law of (c+1)-blocks; for c + 1 = k it is pi itself */
    const double *law = pi;
    if (c + 1 < k) {
      ctxlab_markov_block_law(V, k, pi, (uint32_t)c + 1, block);
      law = block;
    }
    H[c] = conditional_entropy(V, contexts, law);
  }
  const double h = ctxlab_markov_entropy_rate(V, k, P, pi);
  for (size_t c = k; c <= L; c++) H[c] = h;
  free(block);
  return CTXLAB_OK;
}

/* f(u) = (1 + u) ln(1 + u) - u >= 0, accurate to a few ulps also for tiny u:
 * below |u| = 1/8 by its series sum_{m>=2} (-u)^m / (m (m - 1)). */
static double kl_term(double u) {
  if (fabs(u) >= 0.125) return (1.0 + u) * log1p(u) - u;
  double sum = 0.0, power = u * u; /* (-u)^m for m = 2 */
  for (int m = 2; m < 40; m++, power *= -u) {
    const double term = power / ((double)m * (double)(m - 1));
    sum += term;
    if (fabs(term) <= 1e-18 * fabs(sum)) break;
  }
  return sum;
}

/* Kullback-Leibler divergence KL(r || q) in nats of the conditional law r =
 * J/sum(J) from the joint row J against the token law q (both sum to 1):
 * sum_b q(b) f(r(b)/q(b) - 1), which equals sum_b r ln(r/q) because
 * sum_b (r - q) = 0.  Every term is nonnegative and tiny dependence is
 * resolved to ~1e-16 times the deviation instead of being lost to
 * cancellation. */
static double row_divergence(uint32_t V, const double *J, const double *q) {
  ctxlab_markov_sum total = {0.0, 0.0}, kl = {0.0, 0.0};
  for (uint32_t b = 0; b < V; b++) ctxlab_markov_sum_add(&total, J[b]);
  const double mass = ctxlab_markov_sum_value(&total);
  for (uint32_t b = 0; b < V; b++) {
    if (q[b] == 0.0) continue; /* then J(b) = 0 too */
    const double r = J[b] / mass;
    ctxlab_markov_sum_add(&kl, r == 0.0 ? q[b] : q[b] * kl_term((r - q[b]) / q[b]));
  }
  return ctxlab_markov_sum_value(&kl);
}

/* Fixed partition of the work (it depends on V, n and the width only, never
 * on the thread count). */
typedef struct partition {
  uint64_t width;       /* measures propagated together */
  uint64_t step_block;  /* targets per block of the propagation step */
  uint64_t step_blocks;
  uint64_t chunk;       /* contexts q = t / V per chunk of the joint's sums */
  uint64_t chunks;
} partition;

static partition make_partition(uint32_t V, uint64_t n, uint64_t max_width) {
  partition p;
  p.width = max_width ? max_width : MEASURE_BUDGET / n;
  if (p.width > V) p.width = V;
  if (p.width < 1) p.width = 1;
  p.step_block = (UINT64_C(1) << 16) / ((uint64_t)V * p.width);
  if (p.step_block < 1) p.step_block = 1;
  p.step_blocks = (n + p.step_block - 1) / p.step_block;
  const uint64_t contexts = n / V;
  uint64_t chunks = (UINT64_C(1) << 20) / ((uint64_t)V * p.width);
  if (chunks > 64) chunks = 64;
  if (chunks > contexts) chunks = contexts;
  if (chunks < 1) chunks = 1;
  p.chunk = (contexts + chunks - 1) / chunks;
  p.chunks = (contexts + p.chunk - 1) / p.chunk;
  return p;
}

typedef struct mi_work {
  partition part;
  double *x, *y;               /* n * width: measures, state-major */
  ctxlab_markov_sum *partial;  /* chunks * V * width: partial joint rows [b][j] */
  double *joint;               /* V: one joint row */
  double *q;                   /* V: token law */
} mi_work;

/* Propagates the measures "stationary, last token = a" for a = a0 ..
 * a0 + w - 1 through d = 1..L steps; after each step the joint row
 * J(a, b) = P(X_t = a, X_{t+d} = b) gives kl[(d-1)*V + a] = KL(J(a,.)/p(a) || q).
 * I(d) = sum_a q(a) kl[(d-1)*V + a]. */
static void propagate(uint32_t V, uint64_t n, const double *P, const double *pi, size_t L,
                      int threads, uint32_t a0, uint64_t w, mi_work *m, double *kl) {
  const partition *part = &m->part;
  const uint64_t row = (uint64_t)V * w, contexts = n / V;
  double *x = m->x, *y = m->y;
  for (uint64_t s = 0; s < n; s++)
    for (uint64_t j = 0; j < w; j++) x[s * w + j] = s % V == a0 + j ? pi[s] : 0.0;
  for (size_t d = 1; d <= L; d++) {
#pragma omp parallel num_threads(threads) if (n * V * w >= CTXLAB_MARKOV_PARALLEL_WORK)
    {
#pragma omp for schedule(static)
      for (uint64_t blk = 0; blk < part->step_blocks; blk++) {
        const uint64_t t0 = blk * part->step_block;
        const uint64_t t1 = t0 + part->step_block < n ? t0 + part->step_block : n;
        ctxlab_markov_step(V, n, P, w, x, y + t0 * w, t0, t1);
      }
      /* joint rows: sums over the targets t = q*V + b, per fixed chunk of q */
#pragma omp for schedule(static)
      for (uint64_t c = 0; c < part->chunks; c++) {
        ctxlab_markov_sum *acc = m->partial + c * row;
        for (uint64_t i = 0; i < row; i++) acc[i] = (ctxlab_markov_sum){0.0, 0.0};
        const uint64_t q1 = (c + 1) * part->chunk < contexts ? (c + 1) * part->chunk : contexts;
        for (uint64_t q = c * part->chunk; q < q1; q++)
          for (uint64_t i = 0; i < row; i++)
            ctxlab_markov_sum_add(&acc[i], y[q * row + i]); /* i = b*w + j */
      }
    }
    for (uint64_t j = 0; j < w; j++) {
      for (uint32_t b = 0; b < V; b++) {
        ctxlab_markov_sum s = {0.0, 0.0};
        for (uint64_t c = 0; c < part->chunks; c++) {
          const ctxlab_markov_sum *acc = m->partial + c * row + b * w + j;
          ctxlab_markov_sum_add(&s, acc->sum);
          ctxlab_markov_sum_add(&s, acc->comp);
        }
        m->joint[b] = ctxlab_markov_sum_value(&s);
      }
      kl[(d - 1) * V + a0 + j] = row_divergence(V, m->joint, m->q);
    }
    double *swap = x;
    x = y;
    y = swap;
  }
}

/* I(d) = I(X_t; X_{t+d}) = sum_a p(a) KL(P(X_{t+d} | X_t = a) || p). */
int ctxlab_markov_mi_curve(uint32_t V, uint32_t k, const double *P, const double *pi, size_t L,
                           int threads, uint64_t max_width, double *I, ctxlab_error *err) {
  uint64_t n;
  int rc = ctxlab_markov_state_count(V, k, &n, err);
  if (rc) return rc;
  if (k == 0 || V == 1) { /* independent tokens, or a constant one */
    for (size_t d = 0; d < L; d++) I[d] = 0.0;
    return CTXLAB_OK;
  }
  if (L == 0) return CTXLAB_OK;
  if (threads <= 0) threads = omp_get_max_threads();
  mi_work m = {make_partition(V, n, max_width), NULL, NULL, NULL, NULL, NULL};
  const uint64_t width = m.part.width;
  double *kl = NULL;
  if (L > SIZE_MAX / sizeof *kl / V) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "mutual information: L = %zu is too large", L);
    goto cleanup;
  }
  m.x = malloc(n * width * sizeof *m.x);
  m.y = malloc(n * width * sizeof *m.y);
  m.partial = malloc(m.part.chunks * V * width * sizeof *m.partial);
  m.joint = malloc(V * sizeof *m.joint);
  m.q = malloc(V * sizeof *m.q);
  kl = malloc(L * V * sizeof *kl);
  if (!m.x || !m.y || !m.partial || !m.joint || !m.q || !kl) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM,
                          "mutual information: cannot allocate work space for %" PRIu64
                          " measures over %" PRIu64 " states",
                          width, n);
    goto cleanup;
  }
  ctxlab_markov_block_law(V, k, pi, 1, m.q);
  double mass = 0.0;
  for (uint32_t b = 0; b < V; b++) mass += m.q[b];
  for (uint32_t b = 0; b < V; b++) m.q[b] /= mass;
  for (uint32_t a0 = 0; a0 < V; a0 += (uint32_t)width) {
    const uint64_t w = V - a0 < width ? V - a0 : width;
    propagate(V, n, P, pi, L, threads, a0, w, &m, kl);
  }
  for (size_t d = 0; d < L; d++) {
    ctxlab_markov_sum s = {0.0, 0.0};
    for (uint32_t a = 0; a < V; a++) ctxlab_markov_sum_add(&s, m.q[a] * kl[d * V + a]);
    I[d] = ctxlab_markov_sum_value(&s) / M_LN2;
  }

cleanup:
  free(m.x);
  free(m.y);
  free(m.partial);
  free(m.joint);
  free(m.q);
  free(kl);
  return rc;
}

int ctxlab_markov_exact_curves(uint32_t V, uint32_t k, const double *P, const double *pi,
                               size_t L, int threads, double *H, double *I, ctxlab_error *err) {
  uint64_t n;
  int rc = ctxlab_markov_state_count(V, k, &n, err);
  if (rc) return rc;
  if (H) rc = entropy_curve(V, k, n, P, pi, L, H, err);
  if (!rc && I) rc = ctxlab_markov_mi_curve(V, k, P, pi, L, threads, 0, I, err);
  return rc;
}
