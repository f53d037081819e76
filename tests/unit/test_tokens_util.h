/* Helpers shared by the token-file unit tests: scratch directories and whole
 * files.  (Header-only: each tests/unit/test_*.c is its own program.) */
#ifndef CTXLAB_TEST_TOKENS_UTIL_H
#define CTXLAB_TEST_TOKENS_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctxlab/tokens.h"

/* A fresh scratch directory under TMPDIR (or /tmp); abort()s on failure. */
static inline char *scratch_dir(void) {
  const char *tmp = getenv("TMPDIR");
  char *dir = NULL;
  if (asprintf(&dir, "%s/ctxlab-tokens-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 || !mkdtemp(dir))
    abort();
  return dir;
}

/* "DIR/NAME" as a new string. */
static inline char *path_in(const char *dir, const char *name) {
  char *p = NULL;
  if (asprintf(&p, "%s/%s", dir, name) < 0) abort();
  return p;
}

/* The entries of dir (not . and ..), sorted, joined by single spaces. */
static inline char *dir_listing(const char *dir) {
  struct dirent **names;
  int n = scandir(dir, &names, NULL, alphasort);
  if (n < 0) abort();
  size_t size = 1;
  for (int i = 0; i < n; i++) size += strlen(names[i]->d_name) + 1;
  char *out = calloc(size, 1);
  if (!out) abort();
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
      if (*out) strcat(out, " ");
      strcat(out, names[i]->d_name);
    }
    free(names[i]);
  }
  free(names);
  return out;
}

/* Remove every entry of dir, then dir (no subdirectories are made). */
static inline void remove_dir(char *dir) {
  char *list = dir_listing(dir);
  for (char *name = strtok(list, " "); name; name = strtok(NULL, " ")) {
    char *p = path_in(dir, name);
    unlink(p);
    free(p);
  }
  free(list);
  rmdir(dir);
  free(dir);
}

/* The whole file (malloc'd, plus a '\0'); *len its size.  NULL if unreadable. */
static inline unsigned char *read_all(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  long size = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  unsigned char *data = malloc((size_t)size + 1);
  if (data && fread(data, 1, (size_t)size, fp) != (size_t)size) {
    free(data);
    data = NULL;
  }
  fclose(fp);
  if (data) data[size] = '\0';
  *len = (size_t)size;
  return data;
}

static inline void write_all(const char *path, const void *data, size_t len) {
  FILE *fp = fopen(path, "wb");
  if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp) != 0) abort();
}

/* Write tokens[0..layout->tokens) to path in one call, with an empty
 * manifest; returns the status. */
static inline int write_tokens(const char *path, const ctxlab_token_layout *layout,
                               const uint32_t *tokens, ctxlab_error *err) {
  ctxlab_token_writer *w;
  int status = ctxlab_token_writer_open(path, layout, &w, err);
  if (status) return status;
  status = ctxlab_token_writer_write(w, tokens, (size_t)layout->tokens, err);
  if (status) {
    ctxlab_token_writer_abort(w);
    return status;
  }
  return ctxlab_token_writer_finish(w, NULL, NULL, err);
}

#endif
