/* Input checks, the empty result and the goodness-of-fit statistics. */
#include <math.h>

#include "theory/fit/fit_internal.h"

void ctxlab_fit_result_reset(ctxlab_fit_result *out, const char *form, size_t n_params,
                             const char *const *names, size_t n) {
  *out = (ctxlab_fit_result){.form = form, .n_params = n_params, .n = n};
  for (size_t i = 0; i < CTXLAB_FIT_MAX_PARAMS; ++i) {
    out->names[i] = i < n_params ? names[i] : NULL;
    out->params[i] = out->std_error[i] = NAN;
    for (size_t j = 0; j < CTXLAB_FIT_MAX_PARAMS; ++j) out->covariance[i][j] = NAN;
  }
  out->chi2 = out->r2 = NAN;
  out->dof = n > n_params ? n - n_params : 0;
}

int ctxlab_fit_check_input(const char *form, const double *x, const double *y,
                           const double *sigma, size_t n, size_t n_params, int positive_x,
                           ctxlab_error *err) {
  if (n <= n_params)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "fit %s: %zu points for %zu parameters (needs at least %zu)", form, n,
                            n_params, n_params + 1);
  for (size_t i = 0; i < n; ++i) {
    if (!isfinite(x[i]) || !isfinite(y[i]))
      return ctxlab_error_set(err, CTXLAB_EINVAL, "fit %s: point %zu: x = %g, y = %g is not finite",
                              form, i, x[i], y[i]);
    if (positive_x && !(x[i] > 0))
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "fit %s: point %zu: x = %g, a power law needs x > 0", form, i, x[i]);
    if (sigma && !(isfinite(sigma[i]) && sigma[i] > 0))
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "fit %s: point %zu: sigma = %g, must be finite and > 0", form, i,
                              sigma[i]);
  }
  size_t distinct = 1;
  while (distinct < n && x[distinct] == x[0]) ++distinct;
  if (distinct == n)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "fit %s: every x equals %g: the curve's shape is undetermined", form,
                            x[0]);
  return CTXLAB_OK;
}

void ctxlab_fit_set_statistics(ctxlab_fit_result *out, const double *y, const double *sigma,
                               const double *yhat) {
  size_t n = out->n;
  double sw = 0, swy = 0;
  for (size_t i = 0; i < n; ++i) {
    double w = sigma ? 1 / (sigma[i] * sigma[i]) : 1;
    sw += w, swy += w * y[i];
  }
  double ybar = swy / sw, chi2 = 0, total = 0;
  for (size_t i = 0; i < n; ++i) {
    double w = sigma ? 1 / (sigma[i] * sigma[i]) : 1;
    chi2 += w * (y[i] - yhat[i]) * (y[i] - yhat[i]);
    total += w * (y[i] - ybar) * (y[i] - ybar);
  }
  out->chi2 = chi2;
  out->r2 = total > 0 ? 1 - chi2 / total : NAN;
}
