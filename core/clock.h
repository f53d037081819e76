/* core/clock.h (internal): wall-clock seconds for timings and progress. */
#ifndef CTXLAB_CORE_CLOCK_H
#define CTXLAB_CORE_CLOCK_H

/* Seconds on the monotonic clock (differences are elapsed time). */
double ctxlab_now_s(void);

#endif
