/* y = [C0 +] C x^-gamma by GSL's trust-region nonlinear least squares.
 *
 * Internally x is measured in units of r, the geometric mean of the x's:
 * C x^-gamma = K u^-gamma with u = x/r and K = C r^-gamma.  Over x = 10^3..10^7
 * the columns x^-gamma and C ln(x) x^-gamma of the Jacobian are nearly
 * parallel; in units of r, ln u changes sign across the data and the
 * problem is well conditioned.  The covariance of (C0, K, gamma) maps to that of
 * (C0, C, gamma) through the Jacobian T of the change of variables,
 * cov = T cov_K T^T, which is exact at the optimum because J_K = J_C T. */
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdlib.h>

#include "theory/fit/fit_internal.h"

enum { MAX_ITERATIONS = 1000 };

/* Convergence tolerances of gsl_multifit_nlinear_test: steps below 1e-12 of the
 * parameters' size, or a gradient below 1e-14 of the cost.  At that point the
 * cost is flat to rounding: scipy's Levenberg-Marquardt (MINPACK) lands within
 * 1e-8 relative of the same optimum (tests/python/test_fit_scipy.py). */
static const double XTOL = 1e-12, GTOL = 1e-14, FTOL = 0;

typedef struct power_data {
  const double *log_u; /* ln(x_i / r) */
  const double *y;
  int offset;          /* parameters (C0, K, gamma) when set, else (K, gamma) */
} power_data;

static int power_f(const gsl_vector *p, void *data, gsl_vector *f) {
  const power_data *d = data;
  size_t k = (size_t)d->offset;
  double c0 = d->offset ? gsl_vector_get(p, 0) : 0;
  double K = gsl_vector_get(p, k), g = gsl_vector_get(p, k + 1);
  for (size_t i = 0; i < f->size; ++i)
    gsl_vector_set(f, i, c0 + K * exp(-g * d->log_u[i]) - d->y[i]);
  return GSL_SUCCESS;
}

static int power_df(const gsl_vector *p, void *data, gsl_matrix *J) {
  const power_data *d = data;
  size_t k = (size_t)d->offset;
  double K = gsl_vector_get(p, k), g = gsl_vector_get(p, k + 1);
  for (size_t i = 0; i < J->size1; ++i) {
    double phi = exp(-g * d->log_u[i]);
    if (d->offset) gsl_matrix_set(J, i, 0, 1.0);
    gsl_matrix_set(J, i, k, phi);
    gsl_matrix_set(J, i, k + 1, -K * d->log_u[i] * phi);
  }
  return GSL_SUCCESS;
}

/* Starting values: for a fixed exponent g the model is linear in (C0, K), so
 * solve that weighted linear problem for each g of a grid (|g| from 0.01 to
 * ~15, both signs, ratio 1.2) and keep the g of least chi2.  Returns 0 when no
 * grid point gave a determined linear problem. */
static int grid_start(const power_data *d, const double *w, size_t n, double *p) {
  double best = INFINITY;
  for (int sign = -1; sign <= 1; sign += 2) {
    for (double mag = 0.01; mag < 16; mag *= 1.2) {
      double g = sign * mag, s = 0, sp = 0, spp = 0, sy = 0, spy = 0;
      for (size_t i = 0; i < n; ++i) {
        double phi = exp(-g * d->log_u[i]);
        s += w[i], sp += w[i] * phi, spp += w[i] * phi * phi;
        sy += w[i] * d->y[i], spy += w[i] * phi * d->y[i];
      }
      double c0 = 0, K;
      if (d->offset) {
        double det = s * spp - sp * sp;
        if (!(det > 1e-12 * s * spp)) continue; /* phi nearly constant: C0, K not separable */
        K = (s * spy - sp * sy) / det;
        c0 = (sy - K * sp) / s;
      } else {
        if (!(spp > 0)) continue;
        K = spy / spp;
      }
      double chi2 = 0;
      for (size_t i = 0; i < n; ++i) {
        double r = d->y[i] - c0 - K * exp(-g * d->log_u[i]);
        chi2 += w[i] * r * r;
      }
      if (isfinite(K) && chi2 < best) {
        best = chi2;
        if (d->offset) p[0] = c0;
        p[d->offset] = K;
        p[d->offset + 1] = g;
      }
    }
  }
  return isfinite(best);
}

/* A gradient test of the form gsl_multifit_nlinear_test uses: every component
 * of J^T f, scaled by max(|p_i|, 1), is below GTOL max(|f|^2 / 2, 1).  (GSL's
 * own test cannot be asked alone: after a rejected first step its step test
 * holds trivially.) */
static int at_stationary_point(const gsl_multifit_nlinear_workspace *work) {
  const gsl_matrix *J = gsl_multifit_nlinear_jac(work);
  const gsl_vector *f = gsl_multifit_nlinear_residual(work);
  const gsl_vector *p = gsl_multifit_nlinear_position(work);
  double grad[CTXLAB_FIT_MAX_PARAMS], f2 = 0;
  gsl_vector_view g = gsl_vector_view_array(grad, p->size);
  gsl_blas_dgemv(CblasTrans, 1.0, J, f, 0.0, &g.vector);
  gsl_blas_ddot(f, f, &f2);
  double bound = GTOL * fmax(f2 / 2, 1.0);
  for (size_t i = 0; i < p->size; ++i)
    if (!(fabs(grad[i]) * fmax(fabs(gsl_vector_get(p, i)), 1.0) <= bound)) return 0;
  return 1;
}

/* The fit itself, for both forms; names and form come from the caller. */
static int fit_power_form(const double *x, const double *y, const double *sigma, size_t n,
                          int offset, const char *form, const char *const *names,
                          ctxlab_fit_result *out, ctxlab_error *err) {
  size_t np = offset ? 3 : 2, kk = (size_t)offset, kg = kk + 1;
  ctxlab_init();
  ctxlab_fit_result_reset(out, form, np, names, n);
  int st = ctxlab_fit_check_input(form, x, y, sigma, n, np, 1, err);
  if (st) return st;

  gsl_multifit_nlinear_workspace *work = NULL;
  gsl_matrix *cov = gsl_matrix_alloc(np, np);
  double *log_u = malloc(n * sizeof *log_u), *w = malloc(n * sizeof *w);
  double *yhat = malloc(n * sizeof *yhat);
  if (!cov || !log_u || !w || !yhat) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "fit %s: out of memory (%zu points)", form, n);
    goto cleanup;
  }
  double log_r = 0;
  for (size_t i = 0; i < n; ++i) log_r += log(x[i]);
  log_r /= (double)n;
  for (size_t i = 0; i < n; ++i) {
    log_u[i] = log(x[i]) - log_r;
    w[i] = sigma ? 1 / (sigma[i] * sigma[i]) : 1;
  }
  power_data data = {log_u, y, offset};
  double p0[CTXLAB_FIT_MAX_PARAMS];
  if (!grid_start(&data, w, n, p0)) {
    st = ctxlab_error_set(err, CTXLAB_ENUMERIC, "fit %s: no starting values (degenerate data)",
                          form);
    goto cleanup;
  }

  gsl_multifit_nlinear_fdf fdf = {.f = power_f, .df = power_df, .n = n, .p = np, .params = &data};
  gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
  work = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, n, np);
  if (!work) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "fit %s: out of memory (GSL workspace)", form);
    goto cleanup;
  }
  gsl_vector_view start = gsl_vector_view_array(p0, np), weights = gsl_vector_view_array(w, n);
  int gst = gsl_multifit_nlinear_winit(&start.vector, &weights.vector, &fdf, work);
  int info = 0;
  if (!gst) gst = gsl_multifit_nlinear_driver(MAX_ITERATIONS, XTOL, GTOL, FTOL, NULL, NULL, &info,
                                              work);
  /* The driver gives up when its first step cannot lower the cost.  That
   * happens when the start is already the minimum (an exact fit found by the
   * grid): accept the start when the gradient test holds there. */
  if (gst == GSL_EMAXITER && info == GSL_ENOPROG && at_stationary_point(work)) gst = GSL_SUCCESS;
  out->iterations = gsl_multifit_nlinear_niter(work);
  const gsl_vector *p = gsl_multifit_nlinear_position(work);
  if (gst) {
    st = ctxlab_error_set(err, CTXLAB_ENUMERIC,
                          "fit %s: no convergence after %zu iterations (%s; %s = %g)", form,
                          out->iterations, gsl_strerror(gst), names[kg], gsl_vector_get(p, kg));
    goto cleanup;
  }
  gst = gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(work), 0.0, cov);
  for (size_t i = 0; i < np && !gst; ++i)
    if (!(isfinite(gsl_vector_get(p, i)) && gsl_matrix_get(cov, i, i) > 0 &&
          isfinite(gsl_matrix_get(cov, i, i))))
      gst = GSL_ESING;
  if (gst) {
    st = ctxlab_error_set(err, CTXLAB_ENUMERIC,
                          "fit %s: the data do not determine the parameters (%s)", form,
                          gst == GSL_ESING ? "singular covariance" : gsl_strerror(gst));
    goto cleanup;
  }

  /* Back to C = K r^gamma; T = identity but for the row of C. */
  double g = gsl_vector_get(p, kg), K = gsl_vector_get(p, kk), r_g = exp(g * log_r), C = K * r_g;
  double T[CTXLAB_FIT_MAX_PARAMS][CTXLAB_FIT_MAX_PARAMS] = {{0}};
  for (size_t i = 0; i < np; ++i) T[i][i] = 1;
  T[kk][kk] = r_g, T[kk][kg] = C * log_r;
  for (size_t i = 0; i < n; ++i) yhat[i] = (offset ? gsl_vector_get(p, 0) : 0) +
                                            K * exp(-g * log_u[i]);
  if (offset) out->params[0] = gsl_vector_get(p, 0);
  out->params[kk] = C, out->params[kg] = g;
  ctxlab_fit_set_statistics(out, y, sigma, yhat);
  double scale = sigma ? 1 : out->chi2 / (double)out->dof;
  for (size_t i = 0; i < np; ++i)
    for (size_t j = 0; j < np; ++j) {
      double s = 0;
      for (size_t a = 0; a < np; ++a)
        for (size_t b = 0; b < np; ++b) s += T[i][a] * gsl_matrix_get(cov, a, b) * T[j][b];
      out->covariance[i][j] = scale * s;
    }
  for (size_t i = 0; i < np; ++i) out->std_error[i] = sqrt(out->covariance[i][i]);
  out->converged = 1;

cleanup:
  if (work) gsl_multifit_nlinear_free(work);
  if (cov) gsl_matrix_free(cov);
  free(log_u);
  free(w);
  free(yhat);
  return st;
}

int ctxlab_fit_offset_power(const double *x, const double *y, const double *sigma, size_t n,
                            ctxlab_fit_result *out, ctxlab_error *err) {
  static const char *const names[] = {"C0", "C", "gamma"};
  return fit_power_form(x, y, sigma, n, 1, "C0 + C*c^-gamma", names, out, err);
}

int ctxlab_fit_power(const double *x, const double *y, const double *sigma, size_t n, int offset,
                     ctxlab_fit_result *out, ctxlab_error *err) {
  static const char *const names[] = {"A", "alpha"}, *const offset_names[] = {"C0", "A", "alpha"};
  return offset ? fit_power_form(x, y, sigma, n, 1, "C0 + A*D^-alpha", offset_names, out, err)
                : fit_power_form(x, y, sigma, n, 0, "A*D^-alpha", names, out, err);
}
