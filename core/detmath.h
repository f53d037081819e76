/* core/detmath.h (internal): logarithms computed with IEEE +, -, *, / and bit
 * manipulation only, so that they return the same bits on every machine and
 * build (glibc selects FMA or non-FMA code at run time, which may differ in
 * the last bit).  Samplers whose output must be reproducible use them; theory
 * uses libm. */
#ifndef CTXLAB_CORE_DETMATH_H
#define CTXLAB_CORE_DETMATH_H

#include <stdint.h>
#include <string.h>

/* ln x for finite x > 0, within 2 ulp; -inf for 0; NaN for x < 0 or NaN.
 * Accurate but slow (a 12-term series): for tables and parameters. */
double ctxlab_log_portable(double x);

/* Tables of ctxlab_log_unit; call ctxlab_log_unit_init() once before it
 * (thread-safe, idempotent). */
void ctxlab_log_unit_init(void);
extern double ctxlab_log_unit_ln[128], ctxlab_log_unit_inv[128];

/* ln u for u in [2^-1022, 1] with relative error below 1e-14 (measured against
 * log1pl), fast enough for a sampler's inner loop: u = 2^e m, m in [1, 2);
 * m = m0 (1 + r) with m0 = 1 + j/128 the table point below m and
 * r = (m - m0)/m0 in [0, 2^-7); ln(1 + r) by its series to r^8 (first omitted
 * term below r^9/9 < 2^-63/9 relative to r).  Near 1 the table path would
 * cancel, so for u > 1 - 2^-7 the series of ln(1 - d) in d = 1 - u (exact by
 * Sterbenz's lemma) is used instead.  Estrin's scheme keeps the dependency
 * chains short. */
static inline double ctxlab_log_unit(double u) {
  static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  if (u > 1.0 - 0x1p-7) {
    double d = 1.0 - u, d2 = d * d;
    return -(d + d2 * ((0.5 + d / 3.0) +
                       d2 * ((0.25 + d / 5.0) + d2 * ((1.0 / 6.0 + d / 7.0) + d2 * 0.125))));
  }
  uint64_t bits;
  memcpy(&bits, &u, sizeof bits);
  int e = (int)(bits >> 52) - 1023;
  unsigned j = (unsigned)(bits >> 45) & 127u;
  uint64_t mbits = (bits & ((UINT64_C(1) << 52) - 1)) | UINT64_C(0x3ff0000000000000);
  double m;
  memcpy(&m, &mbits, sizeof m);
  double r = (m - (1.0 + (double)j / 128.0)) * ctxlab_log_unit_inv[j];
  double r2 = r * r;
  double p = r + r2 * ((-0.5 + r / 3.0) +
                       r2 * ((-0.25 + r / 5.0) + r2 * ((-1.0 / 6.0 + r / 7.0) + r2 * -0.125)));
  return ((double)e * ln2_hi + ctxlab_log_unit_ln[j]) + ((double)e * ln2_lo + p);
}

#endif
