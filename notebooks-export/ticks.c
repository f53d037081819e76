/* Nice ticks (see ticks.h). */
#include "notebooks-export/ticks.h"

#include <math.h>
#include <stdio.h>

double ctxlab_ticks_nice_step(double span, int target) {
  double raw = span / (target > 1 ? target - 1 : 1);
  double mag = pow(10, floor(log10(raw)));
  double f = raw / mag;
  /* Heckbert's rounding of the fraction to 1, 2, 5 or 10 */
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/* k * step, formatted with the decimals the step needs (so 0.1 + 0.2 prints
 * as 0.3, and no tick prints as -0). */
static void add_tick(ctxlab_ticks *t, double value, double step) {
  if (t->n == CTXLAB_TICKS_MAX) return;
  int decimals = (int)-floor(log10(step) + 1e-9);
  if (decimals < 0) decimals = 0;
  if (value == 0) value = 0; /* -0 -> 0 */
  if (fabs(value) >= 1e6 || decimals > 6)
    snprintf(t->label[t->n], sizeof t->label[0], "%g", value);
  else
    snprintf(t->label[t->n], sizeof t->label[0], "%.*f", decimals, value);
  t->value[t->n++] = value;
}

void ctxlab_ticks_linear(double lo, double hi, int target, double min_step, ctxlab_ticks *t) {
  t->n = 0;
  double step = fmax(ctxlab_ticks_nice_step(hi - lo, target), min_step);
  double eps = 1e-9 * step; /* a tick at the very end of the range counts */
  double k0 = ceil((lo - eps) / step), k1 = floor((hi + eps) / step);
  for (double k = k0; k <= k1; ++k) add_tick(t, k * step, step);
}

void ctxlab_ticks_log(double lo, double hi, ctxlab_ticks *t) {
  t->n = 0;
  const double eps = 1e-9;
  int e0 = (int)ceil(log10(lo) - eps), e1 = (int)floor(log10(hi) + eps);
  if (e1 - e0 >= 2) {
    int stride = (e1 - e0) / 8 + 1;
    for (int e = e0; e <= e1; e += stride) {
      if (t->n == CTXLAB_TICKS_MAX) break;
      t->value[t->n] = pow(10, e);
      snprintf(t->label[t->n++], sizeof t->label[0], "10^%d", e);
    }
    return;
  }
  /* under three powers of ten inside: 1, 2 and 5 times them */
  for (int e = e0 - 1; e <= e1; ++e)
    for (int m = 1; m <= 5; m += (m == 1 ? 1 : 3)) {
      double v = m * pow(10, e);
      if (v < lo * (1 - eps) || v > hi * (1 + eps)) continue;
      add_tick(t, v, pow(10, e));
    }
  if (t->n < 2) ctxlab_ticks_linear(lo, hi, 5, 0, t);
}
