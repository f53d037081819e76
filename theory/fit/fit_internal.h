/* theory/fit/fit_internal.h (internal): what the fits share. */
#ifndef CTXLAB_THEORY_FIT_INTERNAL_H
#define CTXLAB_THEORY_FIT_INTERNAL_H

#include "ctxlab/fit.h"

/* Set *out to an empty result of the named form: NaN parameters, errors and
 * statistics, converged = 0, n = n. */
void ctxlab_fit_result_reset(ctxlab_fit_result *out, const char *form, size_t n_params,
                             const char *const *names, size_t n);

/* EINVAL unless n > n_params, every x, y (and sigma, when given) is finite,
 * every sigma > 0, not every x is equal and, when positive_x, every x > 0.  Messages name the form
 * and the first bad point. */
int ctxlab_fit_check_input(const char *form, const double *x, const double *y,
                           const double *sigma, size_t n, size_t n_params, int positive_x,
                           ctxlab_error *err);

/* chi2 and r2 of out (out->n points) from the fitted values yhat. */
void ctxlab_fit_set_statistics(ctxlab_fit_result *out, const double *y, const double *sigma,
                               const double *yhat);

#endif
