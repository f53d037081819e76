/* Curves: allocation, bipartite MI from the conditional-entropy curve, power-law fits. */
#include <math.h>
#include <stdlib.h>

#include "ctxlab/theory.h"

const char *ctxlab_method_name(ctxlab_method method) {
  switch (method) {
    case CTXLAB_METHOD_EXACT: return "exact";
    case CTXLAB_METHOD_MONTE_CARLO: return "monte-carlo";
    case CTXLAB_METHOD_BOUNDS: return "bounds";
    case CTXLAB_METHOD_NONE: break;
  }
  return "none";
}

int ctxlab_curve_alloc(ctxlab_curve *curve, size_t n, ctxlab_error *err) {
  curve->n = n;
  curve->method = CTXLAB_METHOD_NONE;
  curve->x = calloc(n ? n : 1, sizeof(int64_t));
  curve->bits = calloc(n ? n : 1, sizeof(double));
  curve->stderr_bits = calloc(n ? n : 1, sizeof(double));
  if (!curve->x || !curve->bits || !curve->stderr_bits) {
    ctxlab_curve_free(curve);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (curve of %zu points)", n);
  }
  return CTXLAB_OK;
}

void ctxlab_curve_free(ctxlab_curve *curve) {
  free(curve->x);
  free(curve->bits);
  free(curve->stderr_bits);
  curve->x = NULL;
  curve->bits = NULL;
  curve->stderr_bits = NULL;
  curve->n = 0;
}

/* I_BP(n) = sum_{i=1..n/2} [H(i-1) - H(n/2+i-1)] = 2 P(n/2) - P(n), with the
 * prefix sums P(m) = sum_{c<m} H(c) carried as (sum, compensation) pairs
 * (Neumaier's summation): the terms cancel for large n, and plain doubles (not
 * long double, whose width depends on the machine) keep the result the same
 * everywhere. */
int ctxlab_theory_bipartite_from_entropy(const ctxlab_curve *H, ctxlab_curve *bipartite,
                                         ctxlab_error *err) {
  size_t L = H->n - 1; /* H holds c = 0..L */
  int st = ctxlab_curve_alloc(bipartite, L / 2, err);
  if (st) return st;
  double *sum = malloc(sizeof(double) * (L + 1)), *comp = malloc(sizeof(double) * (L + 1));
  if (!sum || !comp) {
    free(sum);
    free(comp);
    ctxlab_curve_free(bipartite);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  }
  sum[0] = comp[0] = 0;
  for (size_t c = 0; c < L; ++c) {
    double s = sum[c], x = H->bits[c], t = s + x;
    comp[c + 1] = comp[c] + (fabs(s) >= fabs(x) ? (s - t) + x : (x - t) + s);
    sum[c + 1] = t;
  }
  for (size_t i = 0; i < L / 2; ++i) {
    size_t n = 2 * (i + 1), m = n / 2;
    bipartite->x[i] = (int64_t)n;
    bipartite->bits[i] = (2 * sum[m] - sum[n]) + (2 * comp[m] - comp[n]);
  }
  bipartite->method = H->method;
  free(sum);
  free(comp);
  return CTXLAB_OK;
}

int ctxlab_theory_fit_power_law(const int64_t *x, const double *y, size_t n, double *beta,
                                double *prefactor, ctxlab_error *err) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  size_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    if (x[i] <= 0 || !(y[i] > 0)) continue;
    double lx = log2((double)x[i]), ly = log2(y[i]);
    sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
    ++m;
  }
  double det = (double)m * sxx - sx * sx;
  if (m < 2 || !(det > 0))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "a power-law fit needs at least two points with distinct x > 0 and "
                            "y > 0 (got %zu)", m);
  *beta = ((double)m * sxy - sx * sy) / det;
  *prefactor = exp2((sy - *beta * sx) / (double)m);
  return CTXLAB_OK;
}

int ctxlab_truth_bipartite_exponent(const ctxlab_truth *truth, double *beta, double *prefactor,
                                    int64_t *length_min, int64_t *length_max, ctxlab_error *err) {
  const ctxlab_curve *b = &truth->bipartite_mutual_information;
  int64_t top = 2;
  while (top * 2 <= (int64_t)truth->max_context) top *= 2;
  int64_t lo = top / 16 > 2 ? top / 16 : 2;
  if (top / 2 < lo) lo = top / 2 >= 2 ? top / 2 : 2;
  int64_t xs[64];
  double ys[64];
  size_t n = 0;
  for (size_t i = 0; i < b->n; ++i) {
    int64_t len = b->x[i];
    if (len >= lo && len <= top && (len & (len - 1)) == 0) {
      xs[n] = len;
      ys[n++] = b->bits[i];
    }
  }
  *length_min = lo;
  *length_max = top;
  return ctxlab_theory_fit_power_law(xs, ys, n, beta, prefactor, err);
}
