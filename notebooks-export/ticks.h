/* notebooks-export/ticks.h (internal): tick positions and labels for axes.
 *
 * Linear axes: Heckbert's "nice numbers" (Graphics Gems, 1990): the step is
 * 1, 2 or 5 times a power of ten, chosen so that about `target` ticks fall in
 * the range, and the ticks are the step's multiples inside it.  Log axes:
 * the powers of ten inside the range (every k-th when there are many),
 * labelled "10^k"; when fewer than three fall inside, 1, 2 and 5 times the
 * powers of ten, and when still fewer than two ticks, the linear ticks. */
#ifndef CTXLAB_NOTEBOOKS_TICKS_H
#define CTXLAB_NOTEBOOKS_TICKS_H

#include <stddef.h>

enum { CTXLAB_TICKS_MAX = 40 };

typedef struct ctxlab_ticks {
  size_t n;
  double value[CTXLAB_TICKS_MAX];
  char label[CTXLAB_TICKS_MAX][32]; /* "10^k" means 10 with superscript k */
} ctxlab_ticks;

/* The 1-2-5 step for a range of `span` cut into about `target` intervals. */
double ctxlab_ticks_nice_step(double span, int target);
/* Ticks for lo < hi (finite); for log, 0 < lo.  A linear step is at least
 * min_step (1 on an axis of whole numbers, 0 for none). */
void ctxlab_ticks_linear(double lo, double hi, int target, double min_step, ctxlab_ticks *t);
void ctxlab_ticks_log(double lo, double hi, ctxlab_ticks *t);

#endif
