/* core/atomic_file.h (internal): files written under a temporary name in
 * their final directory and renamed into place when complete. */
#ifndef CTXLAB_CORE_ATOMIC_FILE_H
#define CTXLAB_CORE_ATOMIC_FILE_H

#include <stddef.h>

#include <jansson.h>

#include "ctxlab/error.h"

typedef struct ctxlab_atomic_file {
  char *path;     /* the final name */
  char *tmp_path; /* ".NAME.tmp.XXXXXX" in the same directory */
  int fd;         /* -1 once closed */
} ctxlab_atomic_file;

/* EINVAL when path exists and is not a regular file (a directory, device,
 * pipe, socket or symbolic link): renaming over it would replace it. */
int ctxlab_atomic_check_target(const char *path, ctxlab_error *err);

/* Create the temporary file beside path (mode 0666 less the umask, like any
 * new file).  On failure nothing is left behind and *f needs no discard. */
int ctxlab_atomic_file_create(ctxlab_atomic_file *f, const char *path, ctxlab_error *err);
/* Write all len bytes (retrying short writes). */
int ctxlab_atomic_file_write(ctxlab_atomic_file *f, const void *data, size_t len,
                             ctxlab_error *err);
/* fsync and close the temporary file. */
int ctxlab_atomic_file_sync(ctxlab_atomic_file *f, ctxlab_error *err);
/* Rename the (synced) temporary file to its final name.  Either way, finish
 * with discard (which after a successful rename only frees memory). */
int ctxlab_atomic_file_commit(ctxlab_atomic_file *f, ctxlab_error *err);
/* Close and remove the temporary file (if not renamed), free the names. */
void ctxlab_atomic_file_discard(ctxlab_atomic_file *f);

/* j as JSON text (2-space indent, doubles to 17 digits, so they read back
 * exactly) and a newline, written to path atomically (ctxlab_write_file_atomic). */
int ctxlab_write_json_atomic(const char *path, const json_t *j, ctxlab_error *err);

/* "dir/name", malloc'd (NULL when out of memory). */
char *ctxlab_path_join(const char *dir, const char *name);

#endif
