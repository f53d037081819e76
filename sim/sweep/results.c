/* results.jsonl: one line per finished point, append-only.
 *
 * Crash safety: a line is appended with a single write(2) on an O_APPEND
 * descriptor, and its '\n' is its last byte.  Once write returns the line is
 * the kernel's, so a process killed at any moment (SIGKILL included) leaves
 * either the whole line or a prefix of it without a '\n'; opening the file
 * truncates such a tail away.  Each append is then fdatasync(2)ed on a helper
 * thread (syncer.h), so that a machine that goes down loses at most the line
 * being flushed, while the next point's computation does not wait for the
 * disk (a flush costs milliseconds: several percent of a sweep of small
 * points).  The file is locked (flock) while a sweep appends, so two sweeps
 * cannot interleave lines in one directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/json_spec.h"
#include "sim/sweep/sweep_impl.h"
#include "sim/sweep/syncer.h"

struct ctxlab_sweep_results {
  const ctxlab_sweep *s;
  char *path;
  int fd;
  off_t size;      /* bytes of complete lines */
  size_t lines;    /* lines in the file */
  size_t finished;
  json_t **by_index; /* n_points, NULL where not finished */
  ctxlab_syncer *syncer;
};

/* Parse one line (text of n bytes, no '\n') and check it: *out, *index. */
static int parse_line(const ctxlab_sweep_results *r, const char *text, size_t n, json_t **out,
                      size_t *index, ctxlab_error *err) {
  char where[CTXLAB_JSON_PATH_MAX + 64];
  snprintf(where, sizeof where, "%s line %zu", r->path, r->lines + 1);
  json_error_t jerr;
  json_t *line = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr);
  if (!line)
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: not JSON (column %d: %s)", where, jerr.column,
                            jerr.text);
  int st = ctxlab_sweep_check_line(r->s, line, where, index, err);
  if (!st && r->by_index[*index])
    st = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: point %zu is already in the file", where,
                          *index);
  if (st) {
    json_decref(line);
    return st;
  }
  *out = line;
  return CTXLAB_OK;
}

static void record(ctxlab_sweep_results *r, json_t *line, size_t index) {
  r->by_index[index] = line;
  r->finished++;
  r->lines++;
}

static int read_all(int fd, const char *path, char **out, off_t *size, ctxlab_error *err) {
  struct stat sb;
  if (fstat(fd, &sb))
    return ctxlab_error_set(err, CTXLAB_EIO, "%s: %s", path, strerror(errno));
  char *buf = malloc((size_t)sb.st_size + 1);
  if (!buf) return ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
  size_t got = 0;
  while (got < (size_t)sb.st_size) {
    ssize_t k = pread(fd, buf + got, (size_t)sb.st_size - got, (off_t)got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      free(buf);
      return ctxlab_error_set(err, CTXLAB_EIO, "%s: read: %s", path,
                              k < 0 ? strerror(errno) : "file shrank");
    }
    got += (size_t)k;
  }
  *out = buf;
  *size = sb.st_size;
  return CTXLAB_OK;
}

/* Read the complete lines; cut a partial last line off the file. */
static int load(ctxlab_sweep_results *r, ctxlab_error *err) {
  char *buf = NULL;
  off_t size = 0;
  int st = read_all(r->fd, r->path, &buf, &size, err);
  if (st) return st;
  size_t start = 0;
  for (size_t i = 0; i < (size_t)size && !st; ++i)
    if (buf[i] == '\n') {
      json_t *line;
      size_t index;
      if (!(st = parse_line(r, buf + start, i - start, &line, &index, err))) record(r, line, index);
      start = i + 1;
    }
  free(buf);
  if (st) return st;
  r->size = (off_t)start;
  if (r->size < size && (ftruncate(r->fd, r->size) || fdatasync(r->fd)))
    return ctxlab_error_set(err, CTXLAB_EIO, "%s: cutting off a partial last line: %s", r->path,
                            strerror(errno));
  return CTXLAB_OK;
}

int ctxlab_sweep_results_open(const ctxlab_sweep *s, const char *path, ctxlab_sweep_results **out,
                              ctxlab_error *err) {
  *out = NULL;
  ctxlab_sweep_results *r = calloc(1, sizeof *r);
  if (!r) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  r->s = s;
  r->fd = -1;
  r->path = strdup(path);
  r->by_index = calloc(s->n_points, sizeof *r->by_index);
  int st = CTXLAB_OK;
  if (!r->path || !r->by_index) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
    goto cleanup;
  }
  r->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (r->fd < 0) {
    st = ctxlab_error_set(err, errno == ENOENT || errno == EACCES ? CTXLAB_EINVAL : CTXLAB_EIO,
                          "%s: cannot open: %s", path, strerror(errno));
    goto cleanup;
  }
  /* Where the file system has no locks (some network mounts) the sweep goes
   * on unlocked; only a lock held by another process stops it. */
  if (flock(r->fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK) {
    st = ctxlab_error_set(err, CTXLAB_EINVAL, "%s: another sweep is writing to this directory",
                          path);
    goto cleanup;
  }
  if (!(st = load(r, err))) st = ctxlab_syncer_start(r->fd, &r->syncer, err);
cleanup:
  if (st)
    ctxlab_sweep_results_close(r);
  else
    *out = r;
  return st;
}

void ctxlab_sweep_results_close(ctxlab_sweep_results *r) {
  if (!r) return;
  ctxlab_syncer_stop(r->syncer);
  if (r->fd >= 0) close(r->fd);
  for (size_t i = 0; r->by_index && i < r->s->n_points; ++i) json_decref(r->by_index[i]);
  free(r->by_index);
  free(r->path);
  free(r);
}

size_t ctxlab_sweep_results_finished(const ctxlab_sweep_results *r) { return r->finished; }

int ctxlab_sweep_results_has(const ctxlab_sweep_results *r, size_t index) {
  return index < r->s->n_points && r->by_index[index] != NULL;
}

const json_t *ctxlab_sweep_results_get(const ctxlab_sweep_results *r, size_t index) {
  return index < r->s->n_points ? r->by_index[index] : NULL;
}

int ctxlab_sweep_results_append(ctxlab_sweep_results *r, const char *text, size_t *index_out,
                                ctxlab_error *err) {
  const size_t n = strlen(text);
  if (n == 0 || text[n - 1] != '\n' || memchr(text, '\n', n - 1))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "a results line must be one line ending in '\\n'");
  json_t *line;
  size_t index;
  int st = parse_line(r, text, n - 1, &line, &index, err);
  if (st) return st;
  ssize_t k;
  do k = write(r->fd, text, n);
  while (k < 0 && errno == EINTR);
  if (k != (ssize_t)n) {
    const int e = k < 0 ? errno : ENOSPC;
    /* leave no partial line behind: the file ends at its last complete line */
    if (ftruncate(r->fd, r->size) == 0) ctxlab_syncer_request(r->syncer);
    json_decref(line);
    return ctxlab_error_set(err, CTXLAB_EIO, "%s: appending point %zu: %s", r->path, index,
                            strerror(e));
  }
  ctxlab_syncer_request(r->syncer);
  record(r, line, index);
  r->size += (off_t)n;
  if (index_out) *index_out = index;
  return CTXLAB_OK;
}

int ctxlab_sweep_results_flush(ctxlab_sweep_results *r, ctxlab_error *err) {
  int st = ctxlab_syncer_wait(r->syncer, err);
  return st ? ctxlab_error_prefix(err, "%s: ", r->path) : CTXLAB_OK;
}
