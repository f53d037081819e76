/* A portable natural logarithm.
 *
 * x = m 2^e with m in [sqrt(1/2), sqrt(2)); ln x = e ln 2 + ln m, and with
 * s = (m - 1)/(m + 1), |s| <= 0.1716, ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5
 * + ...).  s^2 <= 0.02944, so 13 odd terms reach 0.02944^13 < 2e-20 relative.
 * ln 2 is split into a high part with 32 significant bits (exact when
 * multiplied by |e| <= 1075) and the remainder (Cody & Waite reduction). */
#include "core/detmath.h"

#include <math.h>
#include <pthread.h>

static const double ln2_hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
static const double ln2_lo = 1.90821492927058770002e-10; /* ln 2 - ln2_hi */

double ctxlab_log_portable(double x) {
  if (!(x > 0)) return x == 0 ? -INFINITY : NAN;
  if (isinf(x)) return x;
  int e;
  double m = frexp(x, &e); /* x = m 2^e, m in [1/2, 1) */
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    e -= 1;
  }
  double s = (m - 1.0) / (m + 1.0);
  double s2 = s * s;
  /* Horner on the odd series, smallest terms first */
  double poly = 1.0 / 25.0;
  static const double inv_odd[] = {1.0 / 23.0, 1.0 / 21.0, 1.0 / 19.0, 1.0 / 17.0, 1.0 / 15.0,
                                   1.0 / 13.0, 1.0 / 11.0, 1.0 / 9.0,  1.0 / 7.0,  1.0 / 5.0,
                                   1.0 / 3.0};
  for (int i = 0; i < (int)(sizeof inv_odd / sizeof inv_odd[0]); ++i)
    poly = poly * s2 + inv_odd[i];
  double ln_m = 2.0 * s + 2.0 * s * s2 * poly;
  return ((double)e * ln2_hi + ((double)e * ln2_lo + ln_m));
}

double ctxlab_log_unit_ln[128], ctxlab_log_unit_inv[128];
static pthread_once_t unit_once = PTHREAD_ONCE_INIT;

static void unit_tables(void) {
  for (int j = 0; j < 128; ++j) {
    double m0 = 1.0 + (double)j / 128.0;
    ctxlab_log_unit_ln[j] = ctxlab_log_portable(m0);
    ctxlab_log_unit_inv[j] = 1.0 / m0;
  }
}

void ctxlab_log_unit_init(void) { pthread_once(&unit_once, unit_tables); }
