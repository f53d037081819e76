/* Files written under a temporary name in their final directory and renamed
 * into place when complete (rename(2) within one directory is atomic), so no
 * reader ever sees a partial file under the final name. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "ctxlab/tokens.h"

/* Candidate names differ in 6 characters drawn from a splitmix64 hash of the
 * time, the process id and a counter; O_EXCL makes a collision a retry, not a
 * clash.  (mkstemp is not used: it creates files with mode 0600, and output
 * files should get the usual 0666 less the umask.) */
static uint64_t name_bits(void) {
  static atomic_uint_fast64_t counter;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t z = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 42) ^
               (atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u; /* splitmix64 finaliser (Steele et al. 2014) */
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* A path the user gave that cannot be written (no such directory, no
 * permission, a directory in the way) is bad input; anything else is a
 * run-time failure. */
static ctxlab_status path_status(int e) {
  switch (e) {
    case ENOENT:
    case ENOTDIR:
    case EACCES:
    case EPERM:
    case EROFS:
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG: return CTXLAB_EINVAL;
    default: return CTXLAB_EIO;
  }
}

/* The directory part of path ("" when there is none), as a new string. */
static char *dir_part(const char *path) {
  const char *slash = strrchr(path, '/');
  size_t n = slash ? (size_t)(slash - path) + 1 : 0;
  char *dir = malloc(n + 1);
  if (dir) {
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  return dir;
}

int ctxlab_atomic_check_target(const char *path, ctxlab_error *err) {
  struct stat st;
  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "%s: exists and is not a regular file (%s); ctxlab writes only new "
                            "files or replaces regular ones",
                            path,
                            S_ISDIR(st.st_mode)   ? "a directory"
                            : S_ISLNK(st.st_mode) ? "a symbolic link"
                                                  : "a device, pipe or socket");
  return CTXLAB_OK;
}

int ctxlab_atomic_file_create(ctxlab_atomic_file *f, const char *path, ctxlab_error *err) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  enum { ATTEMPTS = 100 };
  f->fd = -1;
  f->tmp_path = NULL;
  f->path = NULL;
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: not a file name", path);
  int status = ctxlab_atomic_check_target(path, err);
  if (status) return status;
  size_t dir_len = (size_t)(base - path);
  size_t tmp_size = dir_len + 1 + strlen(base) + strlen(".tmp.XXXXXX") + 1;
  f->path = strdup(path);
  f->tmp_path = malloc(tmp_size);
  if (!f->path || !f->tmp_path) {
    ctxlab_atomic_file_discard(f);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
  }
  int saved_errno = 0;
  for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
    uint64_t bits = name_bits();
    char suffix[7];
    for (int i = 0; i < 6; i++, bits /= 62) suffix[i] = alphabet[bits % 62];
    suffix[6] = '\0';
    snprintf(f->tmp_path, tmp_size, "%.*s.%s.tmp.%s", (int)dir_len, path, base, suffix);
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (f->fd >= 0) return CTXLAB_OK;
    saved_errno = errno;
    if (errno != EEXIST) break;
  }
  /* nothing was created: free without unlinking */
  free(f->path);
  free(f->tmp_path);
  f->path = f->tmp_path = NULL;
  char *dir = dir_part(path);
  status = ctxlab_error_set(err, path_status(saved_errno),
                                "%s: cannot create a temporary file in directory %s: %s", path,
                                dir && *dir ? dir : ".", strerror(saved_errno));
  free(dir);
  return status;
}

int ctxlab_atomic_file_write(ctxlab_atomic_file *f, const void *data, size_t len,
                             ctxlab_error *err) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(f->fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ctxlab_error_set(err, CTXLAB_EIO, "%s: writing %s: %s", f->path, f->tmp_path,
                              strerror(errno));
    }
    p += n;
    len -= (size_t)n;
  }
  return CTXLAB_OK;
}

int ctxlab_atomic_file_sync(ctxlab_atomic_file *f, ctxlab_error *err) {
  int status = CTXLAB_OK;
  if (fsync(f->fd) != 0)
    status = ctxlab_error_set(err, CTXLAB_EIO, "%s: fsync of %s: %s", f->path, f->tmp_path,
                              strerror(errno));
  if (close(f->fd) != 0 && status == CTXLAB_OK)
    status = ctxlab_error_set(err, CTXLAB_EIO, "%s: closing %s: %s", f->path, f->tmp_path,
                              strerror(errno));
  f->fd = -1;
  return status;
}

/* Make the rename itself durable.  Some file systems refuse fsync on a
 * directory (EINVAL); the rename has happened by then, so that is no error. */
static int sync_directory(const char *path, ctxlab_error *err) {
  char *dir = dir_part(path);
  if (!dir) return ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
  int status = CTXLAB_OK;
  int fd = open(*dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL))
    status = ctxlab_error_set(err, CTXLAB_EIO, "%s: fsync of directory %s: %s", path,
                              *dir ? dir : ".", strerror(errno));
  if (fd >= 0) close(fd);
  free(dir);
  return status;
}

int ctxlab_atomic_file_commit(ctxlab_atomic_file *f, ctxlab_error *err) {
  if (rename(f->tmp_path, f->path) != 0)
    return ctxlab_error_set(err, path_status(errno), "%s: renaming %s into place: %s", f->path,
                            f->tmp_path, strerror(errno));
  free(f->tmp_path);
  f->tmp_path = NULL; /* renamed: nothing left to remove */
  return sync_directory(f->path, err);
}

void ctxlab_atomic_file_discard(ctxlab_atomic_file *f) {
  if (f->fd >= 0) close(f->fd);
  if (f->tmp_path) unlink(f->tmp_path);
  free(f->tmp_path);
  free(f->path);
  f->fd = -1;
  f->tmp_path = f->path = NULL;
}

int ctxlab_write_file_atomic(const char *path, const char *text, size_t len, ctxlab_error *err) {
  ctxlab_atomic_file f;
  int status = ctxlab_atomic_file_create(&f, path, err);
  if (status) return status;
  status = ctxlab_atomic_file_write(&f, text, len, err);
  if (!status) status = ctxlab_atomic_file_sync(&f, err);
  if (!status) status = ctxlab_atomic_file_commit(&f, err);
  ctxlab_atomic_file_discard(&f); /* frees what a failed step left */
  return status;
}

int ctxlab_write_json_atomic(const char *path, const json_t *j, ctxlab_error *err) {
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
  size_t n = text ? strlen(text) : 0;
  char *line = text ? realloc(text, n + 2) : NULL;
  if (!line) {
    free(text);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (JSON for %s)", path);
  }
  memcpy(line + n, "\n", 2);
  int status = ctxlab_write_file_atomic(path, line, n + 1, err);
  free(line);
  return status;
}

char *ctxlab_path_join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", dir, name);
  return p;
}
