/* sim/sweep/syncer.h (internal): fdatasync(2) of a file on a helper thread,
 * so that waiting for the disk overlaps the next point's computation. */
#ifndef CTXLAB_SIM_SWEEP_SYNCER_H
#define CTXLAB_SIM_SWEEP_SYNCER_H

#include "ctxlab/error.h"

typedef struct ctxlab_syncer ctxlab_syncer;

/* A thread that flushes fd whenever asked. */
int ctxlab_syncer_start(int fd, ctxlab_syncer **out, ctxlab_error *err);
/* Ask for a flush of everything written to fd so far (returns at once). */
void ctxlab_syncer_request(ctxlab_syncer *s);
/* Wait until every requested flush is done; CTXLAB_EIO when one failed. */
int ctxlab_syncer_wait(ctxlab_syncer *s, ctxlab_error *err);
/* Wait, stop the thread, free. */
void ctxlab_syncer_stop(ctxlab_syncer *s);

#endif
