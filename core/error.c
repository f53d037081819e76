/* Error records and library initialisation. */
#include "ctxlab/error.h"

#include <gsl/gsl_errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ctxlab_error_set(ctxlab_error *err, ctxlab_status status, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->status = status;
  }
  return (int)status;
}

int ctxlab_error_prefix(ctxlab_error *err, const char *fmt, ...) {
  if (!err) return CTXLAB_EINVAL;
  char prefix[CTXLAB_ERROR_MESSAGE_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* prefix + message, truncated to the record's size */
  size_t plen = strlen(prefix), mlen = strlen(err->message);
  if (plen > sizeof err->message - 1) plen = sizeof err->message - 1;
  if (mlen > sizeof err->message - 1 - plen) mlen = sizeof err->message - 1 - plen;
  memmove(err->message + plen, err->message, mlen);
  memcpy(err->message, prefix, plen);
  err->message[plen + mlen] = '\0';
  return (int)err->status;
}

void ctxlab_error_clear(ctxlab_error *err) {
  if (!err) return;
  err->status = CTXLAB_OK;
  err->message[0] = '\0';
}

const char *ctxlab_status_name(ctxlab_status status) {
  switch (status) {
    case CTXLAB_OK: return "success";
    case CTXLAB_EINVAL: return "invalid input";
    case CTXLAB_EFORMAT: return "malformed file";
    case CTXLAB_ENOMEM: return "out of memory";
    case CTXLAB_EIO: return "input/output failure";
    case CTXLAB_ENUMERIC: return "numerical failure";
    case CTXLAB_ECANCELED: return "cancelled";
  }
  return "unknown status";
}

int ctxlab_status_is_input_error(ctxlab_status status) {
  return status == CTXLAB_EINVAL || status == CTXLAB_EFORMAT;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_library(void) { gsl_set_error_handler_off(); }

void ctxlab_init(void) { pthread_once(&init_once, init_library); }
