/* core/detmath.h (internal): a natural logarithm computed with IEEE +, -, *, /
 * and frexp only, so that it returns the same bits on every machine and build
 * (glibc selects FMA or non-FMA code at run time, which may differ in the last
 * bit).  Samplers whose output must be reproducible use it; theory uses libm. */
#ifndef CTXLAB_CORE_DETMATH_H
#define CTXLAB_CORE_DETMATH_H

/* ln x for finite x > 0, within 2 ulp; -inf for 0; NaN for x < 0 or NaN. */
double ctxlab_log_portable(double x);

#endif
