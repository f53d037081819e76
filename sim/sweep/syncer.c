/* A flusher thread: requests are numbered; the thread flushes, then marks
 * every request made before that flush began as done.  One fdatasync covers
 * any number of requests that arrived while the previous one ran. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sweep/syncer.h"

struct ctxlab_syncer {
  int fd;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t wake, done_cv;
  uint64_t requested, done; /* request counters */
  int stop, error;          /* error: errno of a failed flush (0: none) */
};

static void *flusher(void *arg) {
  ctxlab_syncer *s = arg;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (s->done == s->requested && !s->stop) pthread_cond_wait(&s->wake, &s->mu);
    if (s->done == s->requested) break; /* stopped, nothing left */
    const uint64_t target = s->requested;
    pthread_mutex_unlock(&s->mu);
    const int e = fdatasync(s->fd) ? errno : 0;
    pthread_mutex_lock(&s->mu);
    if (e && !s->error) s->error = e;
    s->done = target;
    pthread_cond_broadcast(&s->done_cv);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

int ctxlab_syncer_start(int fd, ctxlab_syncer **out, ctxlab_error *err) {
  ctxlab_syncer *s = calloc(1, sizeof *s);
  if (!s) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  s->fd = fd;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->wake, NULL);
  pthread_cond_init(&s->done_cv, NULL);
  const int e = pthread_create(&s->thread, NULL, flusher, s);
  if (e) {
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return ctxlab_error_set(err, CTXLAB_EIO, "cannot start the flusher thread: %s", strerror(e));
  }
  *out = s;
  return CTXLAB_OK;
}

void ctxlab_syncer_request(ctxlab_syncer *s) {
  pthread_mutex_lock(&s->mu);
  s->requested++;
  pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&s->mu);
}

int ctxlab_syncer_wait(ctxlab_syncer *s, ctxlab_error *err) {
  pthread_mutex_lock(&s->mu);
  while (s->done != s->requested) pthread_cond_wait(&s->done_cv, &s->mu);
  const int e = s->error;
  pthread_mutex_unlock(&s->mu);
  return e ? ctxlab_error_set(err, CTXLAB_EIO, "flushing to disk: %s", strerror(e)) : CTXLAB_OK;
}

void ctxlab_syncer_stop(ctxlab_syncer *s) {
  if (!s) return;
  pthread_mutex_lock(&s->mu);
  s->stop = 1;
  pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
  pthread_cond_destroy(&s->done_cv);
  pthread_cond_destroy(&s->wake);
  pthread_mutex_destroy(&s->mu);
  free(s);
}
