/* ctxlab/fit.h: least-squares fits of the scaling forms of SCIENCE.md section 1,
 * with parameter standard errors.
 *
 *   offset power   y = C0 + C x^-gamma    Bayes risk (or a model's loss) vs context
 *   power          y = A x^-alpha         approximation loss vs data D
 *   power + offset y = C0 + A x^-alpha    the same with a floor C0'
 *   linear         y = k x + b            the entropy relation H(0) - H(c) = k S(c) + b
 *
 * Nonlinear forms use GSL's trust-region least squares (gsl_multifit_nlinear,
 * Levenberg-Marquardt) with analytic Jacobians; the linear form is
 * gsl_fit_wlinear / gsl_fit_linear.
 *
 * Weights: sigma (may be NULL) holds the standard deviation of each y.  With
 * sigma, points are weighted by 1/sigma^2 and the covariance is (J^T W J)^-1,
 * taken as absolute (scipy.optimize.curve_fit with absolute_sigma=True).
 * Without sigma, every weight is 1 and the covariance (J^T J)^-1 is scaled by
 * the residual variance chi2/dof (curve_fit's default, absolute_sigma=False).
 * The standard errors are the square roots of the covariance's diagonal. */
#ifndef CTXLAB_FIT_H
#define CTXLAB_FIT_H

#include <jansson.h>
#include <stddef.h>

#include "ctxlab/error.h"
#include "ctxlab/theory.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CTXLAB_FIT_MAX_PARAMS = 3 };

typedef struct ctxlab_fit_result {
  const char *form;                           /* e.g. "C0 + C*c^-gamma" (static string) */
  size_t n_params;                            /* 2 or 3 */
  const char *names[CTXLAB_FIT_MAX_PARAMS];   /* parameter names, in the order of params */
  double params[CTXLAB_FIT_MAX_PARAMS];
  double std_error[CTXLAB_FIT_MAX_PARAMS];    /* standard errors (see the note on weights) */
  double covariance[CTXLAB_FIT_MAX_PARAMS][CTXLAB_FIT_MAX_PARAMS]; /* n_params x n_params used */
  double chi2;       /* sum of w_i (y_i - f(x_i))^2, w_i = 1/sigma_i^2 or 1 */
  size_t dof;        /* n - n_params */
  double r2;         /* 1 - chi2 / sum w_i (y_i - ybar_w)^2, ybar_w the weighted mean;
                        NaN when every y is equal */
  size_t n;          /* points fitted */
  int converged;     /* 1 on success; 0 when a nonlinear fit did not converge */
  size_t iterations; /* nonlinear iterations (0 for the linear form) */
} ctxlab_fit_result;

/* y = C0 + C x^-gamma over n points, x > 0.  Form "C0 + C*c^-gamma", parameters
 * C0, C, gamma.  gamma is not constrained: a curve rising with x gives gamma < 0.
 * Starting values come from the data (the best gamma on a grid, with C0 and C by
 * weighted linear least squares at each gamma).
 * EINVAL: n <= 3, a non-finite x, y or sigma, x <= 0, sigma <= 0 (each message
 * names the point), or every x equal.  ENUMERIC: no convergence, or parameters
 * the data do not determine (a singular covariance).  On any error *out has
 * converged = 0 and NaN parameters. */
int ctxlab_fit_offset_power(const double *x, const double *y, const double *sigma, size_t n,
                            ctxlab_fit_result *out, ctxlab_error *err);

/* y = A x^-alpha (form "A*D^-alpha", parameters A, alpha) or, when offset is
 * nonzero, y = C0 + A x^-alpha (form "C0 + A*D^-alpha", parameters C0, A, alpha).
 * Errors as for ctxlab_fit_offset_power (EINVAL when n <= the parameter count). */
int ctxlab_fit_power(const double *x, const double *y, const double *sigma, size_t n, int offset,
                     ctxlab_fit_result *out, ctxlab_error *err);

/* y = k x + b (form "k*x + b", parameters k, b).  EINVAL: n <= 2, a non-finite
 * value, sigma <= 0, or all x equal. */
int ctxlab_fit_linear(const double *x, const double *y, const double *sigma, size_t n,
                      ctxlab_fit_result *out, ctxlab_error *err);

/* The Bayes-risk fit of summary.json's "bayes_exact": ctxlab_fit_offset_power
 * on truth->conditional_entropy at c >= 1, weighted by its standard errors when
 * the curve is a Monte Carlo estimate (unweighted when exact). */
int ctxlab_fit_truth_bayes_risk(const ctxlab_truth *truth, ctxlab_fit_result *out,
                                ctxlab_error *err);

/* The entropy relation of summary.json's "entropy_linear": ctxlab_fit_linear of
 * y = H(0) - H(c) on x = S(c), c = 0..L, form "H(0)-H(c) = k*S(c) + b".  For a
 * uniform-weight latent language k = 1/d and b = 0 exactly (SCIENCE.md section 5).
 * EINVAL when the language defines no intrinsic entropy. */
int ctxlab_fit_truth_entropy_relation(const ctxlab_truth *truth, ctxlab_fit_result *out,
                                      ctxlab_error *err);

/* {"form": ..., "params": {name: value}, "stderr": {name: value}, "r2": ...,
 * "points": n}; non-finite numbers (r2 of a constant y) become null.  form, when
 * not NULL, replaces fit->form (a caller naming its variables, e.g.
 * "C0 + A*D^-alpha" vs "C0 + C*c^-gamma").  A new reference, NULL when out of
 * memory. */
json_t *ctxlab_fit_to_json(const ctxlab_fit_result *fit, const char *form);

#ifdef __cplusplus
}
#endif

#endif
