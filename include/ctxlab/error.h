/* ctxlab/error.h: status codes and the error record every library call fills.
 *
 * Every fallible library function returns a ctxlab_status (0 on success) and,
 * on failure, writes a message into the ctxlab_error it was given (which may be
 * NULL).  Messages name the place: a JSON path such as $.transitions[3][1], or a
 * file and byte offset.  No library function prints or exits. */
#ifndef CTXLAB_ERROR_H
#define CTXLAB_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ctxlab_status {
  CTXLAB_OK = 0,
  CTXLAB_EINVAL = 1,   /* bad input: spec, option, argument, value out of range */
  CTXLAB_EFORMAT = 2,  /* malformed, truncated or corrupt file */
  CTXLAB_ENOMEM = 3,   /* allocation failed, or a table would be too large */
  CTXLAB_EIO = 4,      /* reading or writing a file failed at run time */
  CTXLAB_ENUMERIC = 5, /* a numerical method failed (no convergence, NaN) */
  CTXLAB_ECANCELED = 6 /* the caller asked to stop (a progress callback returned nonzero) */
} ctxlab_status;

#define CTXLAB_ERROR_MESSAGE_SIZE 1024

typedef struct ctxlab_error {
  ctxlab_status status;
  char message[CTXLAB_ERROR_MESSAGE_SIZE];
} ctxlab_error;

/* Record an error (printf-style message) and return status.  err may be NULL. */
int ctxlab_error_set(ctxlab_error *err, ctxlab_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context ("reading data.bin: ") to a message already recorded, and
 * return the recorded status. */
int ctxlab_error_prefix(ctxlab_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset to CTXLAB_OK with an empty message. */
void ctxlab_error_clear(ctxlab_error *err);

/* A short name for a status: "invalid input", "malformed file", ... */
const char *ctxlab_status_name(ctxlab_status status);

/* Nonzero for statuses caused by what the user gave (CLI exit code 2), zero for
 * run-time failures (exit code 1). */
int ctxlab_status_is_input_error(ctxlab_status status);

/* Turn off GSL's abort-on-error handler (GSL statuses are checked instead).
 * Idempotent and thread-safe; every library entry point that may call GSL
 * calls it, so users never need to. */
void ctxlab_init(void);

#ifdef __cplusplus
}
#endif

#endif
