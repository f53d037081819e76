/* y = k x + b by gsl_fit_wlinear (weights 1/sigma^2, absolute covariance) or
 * gsl_fit_linear (covariance scaled by chi2/(n-2)). */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdlib.h>

#include "theory/fit/fit_internal.h"

static const char *const linear_names[] = {"k", "b"};

int ctxlab_fit_linear(const double *x, const double *y, const double *sigma, size_t n,
                      ctxlab_fit_result *out, ctxlab_error *err) {
  static const char form[] = "k*x + b";
  ctxlab_init();
  ctxlab_fit_result_reset(out, form, 2, linear_names, n);
  int st = ctxlab_fit_check_input(form, x, y, sigma, n, 2, 0, err);
  if (st) return st;

  double *w = NULL, *yhat = malloc(n * sizeof *yhat);
  if (sigma) w = malloc(n * sizeof *w);
  if (!yhat || (sigma && !w)) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "fit %s: out of memory (%zu points)", form, n);
    goto cleanup;
  }
  double b, k, cov_bb, cov_bk, cov_kk, chi2;
  int gst;
  if (sigma) {
    for (size_t i = 0; i < n; ++i) w[i] = 1 / (sigma[i] * sigma[i]);
    gst = gsl_fit_wlinear(x, 1, w, 1, y, 1, n, &b, &k, &cov_bb, &cov_bk, &cov_kk, &chi2);
  } else {
    gst = gsl_fit_linear(x, 1, y, 1, n, &b, &k, &cov_bb, &cov_bk, &cov_kk, &chi2);
  }
  if (gst || !isfinite(k) || !isfinite(b) || !isfinite(cov_kk) || !isfinite(cov_bb)) {
    st = ctxlab_error_set(err, CTXLAB_ENUMERIC, "fit %s: GSL failed (%s)", form,
                          gst ? gsl_strerror(gst) : "non-finite result");
    goto cleanup;
  }
  out->params[0] = k, out->params[1] = b;
  out->covariance[0][0] = cov_kk, out->covariance[1][1] = cov_bb;
  out->covariance[0][1] = out->covariance[1][0] = cov_bk;
  out->std_error[0] = sqrt(cov_kk), out->std_error[1] = sqrt(cov_bb);
  for (size_t i = 0; i < n; ++i) yhat[i] = k * x[i] + b;
  ctxlab_fit_set_statistics(out, y, sigma, yhat);
  out->converged = 1;

cleanup:
  free(w);
  free(yhat);
  return st;
}
