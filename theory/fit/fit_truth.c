/* The fits summary.json makes to a language's truth. */
#include <stdlib.h>

#include "theory/fit/fit_internal.h"

int ctxlab_fit_truth_bayes_risk(const ctxlab_truth *truth, ctxlab_fit_result *out,
                                ctxlab_error *err) {
  const ctxlab_curve *H = &truth->conditional_entropy;
  if (H->n < 2)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "fit of H(c): the curve has no point with c >= 1");
  size_t n = H->n - 1; /* c = 1..L: x^-gamma is infinite at c = 0 */
  /* Monte Carlo points are weighted by their standard errors (all of them
   * positive, else none: a zero would be an infinite weight). */
  int weighted = H->method == CTXLAB_METHOD_MONTE_CARLO;
  for (size_t i = 1; i < H->n; ++i) weighted &= H->stderr_bits[i] > 0;
  double *x = malloc(n * sizeof *x), *sigma = weighted ? malloc(n * sizeof *sigma) : NULL;
  int st = CTXLAB_OK;
  if (!x || (weighted && !sigma)) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "fit of H(c): out of memory");
    goto cleanup;
  }
  for (size_t i = 0; i < n; ++i) {
    x[i] = (double)H->x[i + 1];
    if (weighted) sigma[i] = H->stderr_bits[i + 1];
  }
  st = ctxlab_fit_offset_power(x, H->bits + 1, sigma, n, out, err);
  if (st) ctxlab_error_prefix(err, "fit of H(c): ");

cleanup:
  free(x);
  free(sigma);
  return st;
}

int ctxlab_fit_truth_entropy_relation(const ctxlab_truth *truth, ctxlab_fit_result *out,
                                      ctxlab_error *err) {
  const ctxlab_curve *H = &truth->conditional_entropy, *S = &truth->intrinsic_entropy;
  if (S->n == 0 || S->method == CTXLAB_METHOD_NONE)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "entropy relation: the language defines no intrinsic entropy S(c)");
  if (S->n != H->n)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "entropy relation: S(c) has %zu points but H(c) has %zu", S->n, H->n);
  double *drop = malloc(H->n * sizeof *drop);
  if (!drop) return ctxlab_error_set(err, CTXLAB_ENOMEM, "entropy relation: out of memory");
  for (size_t i = 0; i < H->n; ++i) drop[i] = H->bits[0] - H->bits[i];
  int st = ctxlab_fit_linear(S->bits, drop, NULL, H->n, out, err);
  if (st)
    ctxlab_error_prefix(err, "entropy relation: ");
  else
    out->form = "H(0)-H(c) = k*S(c) + b";
  free(drop);
  return st;
}
