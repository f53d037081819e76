/* Writing token files: tokens are range-checked and converted block by block
 * into one reusable buffer, and each block is hashed and written as it fills,
 * so memory stays bounded and the SHA-256 covers every byte of the file. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen/tokens/tokens_internal.h"

enum { TXT_TOKEN_MAX = 11 }; /* 10 decimal digits of a uint32 and a separator */

typedef char decimal_text[8]; /* up to 7 digits, their count in the last byte */

struct ctxlab_token_writer {
  ctxlab_atomic_file file;
  ctxlab_token_layout layout;
  unsigned width;          /* bytes per token (.bin, .npy) */
  uint64_t line_length;    /* .txt: tokens per line */
  uint64_t column;         /* .txt: tokens written on the current line */
  decimal_text *decimal;   /* .txt, small vocabularies: see decimal_table */
  uint64_t written;        /* tokens appended so far */
  uint64_t bytes;          /* bytes handed to the file so far */
  uint64_t writeback_from; /* bytes before this offset are being written out */
  ctxlab_sha256 hash;
  unsigned char *buf; /* CTXLAB_TOKEN_BLOCK_BYTES */
  size_t fill;        /* bytes pending in buf */
  int failed;         /* a write failed: the file is incomplete */
};

/* Ask the kernel to start writing out what has been written so far, every
 * WRITEBACK_BYTES: the disk then works while tokens are still produced, the
 * final fsync has little left to do (it took ~40% of the time of a 200 MB
 * write without this), and dirty pages do not pile up.  A hint: errors show
 * up at fsync. */
static void start_writeback(ctxlab_token_writer *w) {
#ifdef SYNC_FILE_RANGE_WRITE
  enum { WRITEBACK_BYTES = 1 << 23 };
  if (w->bytes - w->writeback_from >= WRITEBACK_BYTES) {
    (void)sync_file_range(w->file.fd, (off_t)w->writeback_from,
                          (off_t)(w->bytes - w->writeback_from), SYNC_FILE_RANGE_WRITE);
    w->writeback_from = w->bytes;
  }
#else
  (void)w;
#endif
}

static int flush(ctxlab_token_writer *w, ctxlab_error *err) {
  int status = ctxlab_sha256_update(&w->hash, w->buf, w->fill, err);
  if (!status) status = ctxlab_atomic_file_write(&w->file, w->buf, w->fill, err);
  w->bytes += w->fill;
  w->fill = 0;
  if (!status) start_writeback(w);
  return status;
}

static void free_writer(ctxlab_token_writer *w) {
  ctxlab_atomic_file_discard(&w->file);
  ctxlab_sha256_free(&w->hash);
  free(w->buf);
  free(w->decimal);
  free(w);
}

/* Decimal digits of v at p; returns the end.  Two digits per division. */
static char *put_decimal(char *p, uint32_t v) {
  static const char pairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char tmp[10];
  char *q = tmp + sizeof tmp;
  while (v >= 100) {
    q -= 2;
    memcpy(q, pairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    q -= 2;
    memcpy(q, pairs + 2 * v, 2);
  } else {
    *--q = (char)('0' + v);
  }
  size_t n = (size_t)(tmp + sizeof tmp - q);
  memcpy(p, q, n);
  return p + n;
}

/* The decimal text of every token id of a vocabulary of at most 65536 (5
 * digits): 8 bytes per id, the digits first and their count in the last byte,
 * so writing a token is one 8-byte copy.  NULL for larger vocabularies. */
static decimal_text *decimal_table(uint32_t vocab_size) {
  if (vocab_size > 65536) return NULL;
  decimal_text *table = malloc((size_t)vocab_size * sizeof *table);
  for (uint32_t v = 0; table && v < vocab_size; v++)
    table[v][7] = (char)(put_decimal(table[v], v) - table[v]);
  return table;
}

int ctxlab_token_writer_open(const char *path, const ctxlab_token_layout *layout,
                             ctxlab_token_writer **out, ctxlab_error *err) {
  *out = NULL;
  const char *problem = ctxlab_token_layout_problem(layout);
  if (problem) return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: token layout: %s", path, problem);
  ctxlab_token_writer *w = calloc(1, sizeof *w);
  if (!w) return ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
  w->file.fd = -1;
  w->layout = *layout;
  w->width = ctxlab_token_width(layout->vocab_size);
  w->line_length = ctxlab_token_line_length(layout);
  int status = CTXLAB_OK;
  w->buf = malloc(CTXLAB_TOKEN_BLOCK_BYTES);
  if (!w->buf) {
    status = ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
    goto cleanup;
  }
  if (layout->format == CTXLAB_FORMAT_TXT && layout->vocab_size <= 65536 &&
      !(w->decimal = decimal_table(layout->vocab_size))) {
    status = ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
    goto cleanup;
  }
  if ((status = ctxlab_sha256_init(&w->hash, err))) goto cleanup;
  /* the manifest's name must be usable too, before any work is done */
  char *meta_path = NULL;
  if (asprintf(&meta_path, "%s.json", path) < 0) {
    status = ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
    goto cleanup;
  }
  status = ctxlab_atomic_check_target(meta_path, err);
  free(meta_path);
  if (status) goto cleanup;
  if ((status = ctxlab_atomic_file_create(&w->file, path, err))) goto cleanup;
  if (layout->format == CTXLAB_FORMAT_BIN) {
    ctxlab_bin_header_encode(layout, w->buf);
    w->fill = CTXLAB_BIN_HEADER_BYTES;
  } else if (layout->format == CTXLAB_FORMAT_NPY) {
    w->fill = ctxlab_npy_header_encode(layout, (char *)w->buf);
  }
  *out = w;
  return CTXLAB_OK;
cleanup:
  free_writer(w);
  return status;
}

/* Convert n tokens to little-endian `width`-byte integers at out and return
 * their maximum (one pass over the input: the range check is free).  The
 * memcpy stores compile to plain vector stores. */
static uint32_t encode_binary(const uint32_t *t, size_t n, unsigned width, unsigned char *out) {
  uint32_t max = 0;
  if (width == 2) {
    for (size_t i = 0; i < n; i++) {
      uint16_t v = ctxlab_le16((uint16_t)t[i]);
      memcpy(out + 2 * i, &v, 2);
      max = t[i] > max ? t[i] : max;
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      uint32_t v = ctxlab_le32(t[i]);
      memcpy(out + 4 * i, &v, 4);
      max = t[i] > max ? t[i] : max;
    }
  }
  return max;
}

static int out_of_range(ctxlab_token_writer *w, uint64_t index, uint32_t value, ctxlab_error *err) {
  return ctxlab_error_set(err, CTXLAB_EINVAL,
                          "%s: token %" PRIu64 " (value %" PRIu32
                          ") is out of range: vocab_size is %" PRIu32,
                          w->file.path, index, value, w->layout.vocab_size);
}

static int write_binary(ctxlab_token_writer *w, const uint32_t *tokens, size_t n,
                        ctxlab_error *err) {
  while (n > 0) {
    size_t room = (CTXLAB_TOKEN_BLOCK_BYTES - w->fill) / w->width;
    if (room == 0) {
      int status = flush(w, err);
      if (status) return status;
      continue;
    }
    size_t k = n < room ? n : room;
    if (encode_binary(tokens, k, w->width, w->buf + w->fill) >= w->layout.vocab_size) {
      size_t bad = ctxlab_tokens_first_out_of_range(tokens, k, w->layout.vocab_size);
      return out_of_range(w, w->written + bad, tokens[bad], err);
    }
    w->fill += k * w->width;
    w->written += k;
    tokens += k;
    n -= k;
  }
  return CTXLAB_OK;
}

/* "3 1 4\n": a space after each token but the last of its line. */
static int write_text(ctxlab_token_writer *w, const uint32_t *tokens, size_t n, ctxlab_error *err) {
  for (size_t i = 0; i < n; i++) {
    if (CTXLAB_TOKEN_BLOCK_BYTES - w->fill < TXT_TOKEN_MAX) {
      int status = flush(w, err);
      if (status) return status;
    }
    if (tokens[i] >= w->layout.vocab_size) return out_of_range(w, w->written, tokens[i], err);
    char *p = (char *)w->buf + w->fill;
    if (w->decimal) {
      memcpy(p, w->decimal[tokens[i]], 8);
      p += w->decimal[tokens[i]][7];
    } else {
      p = put_decimal(p, tokens[i]);
    }
    w->written++;
    if (++w->column == w->line_length) {
      *p++ = '\n';
      w->column = 0;
    } else {
      *p++ = ' ';
    }
    w->fill = (size_t)(p - (char *)w->buf);
  }
  return CTXLAB_OK;
}

int ctxlab_token_writer_write(ctxlab_token_writer *w, const uint32_t *tokens, size_t n,
                              ctxlab_error *err) {
  if (w->failed)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: an earlier write failed; abort the file",
                            w->file.path);
  int status;
  if (n > w->layout.tokens - w->written) {
    status = ctxlab_error_set(err, CTXLAB_EINVAL,
                              "%s: writing %zu more tokens would exceed the %" PRIu64
                              " the layout declares (%" PRIu64 " written)",
                              w->file.path, n, w->layout.tokens, w->written);
  } else if (w->layout.format == CTXLAB_FORMAT_TXT) {
    status = write_text(w, tokens, n, err);
  } else {
    status = write_binary(w, tokens, n, err);
  }
  if (status) w->failed = 1;
  return status;
}

/* The manifest text: the caller's object (or an empty one) with the file's
 * description added (new keys go last, in this order), pretty-printed with a
 * trailing newline.  *text is malloc'd. */
static int manifest_text(ctxlab_token_writer *w, json_t *manifest, const char *sha256_hex,
                         char **text, ctxlab_error *err) {
  const char *slash = strrchr(w->file.path, '/');
  const ctxlab_token_layout *l = &w->layout;
  json_t *m = manifest ? json_incref(manifest) : json_object();
  struct {
    const char *key;
    json_t *value;
  } fields[] = {
      {"file", json_string(slash ? slash + 1 : w->file.path)},
      {"format", json_string(ctxlab_format_name(l->format))},
      {"dtype", json_string(ctxlab_token_dtype_name(l->vocab_size))},
      {"vocab_size", json_integer(l->vocab_size)},
      {"tokens", json_integer((json_int_t)l->tokens)},
      {"sequences", json_integer((json_int_t)l->sequences)},
      {"length", json_integer((json_int_t)l->length)},
      {"bytes", json_integer((json_int_t)w->bytes)},
      {"sha256", json_string(sha256_hex)},
  };
  /* json_object_set_new consumes its value (or fails on NULL) in every case */
  int failed = !m;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    failed |= json_object_set_new(m, fields[i].key, fields[i].value) != 0;
  char *dump = failed ? NULL : json_dumps(m, JSON_INDENT(2));
  json_decref(m);
  size_t len = dump ? strlen(dump) : 0;
  *text = dump ? realloc(dump, len + 2) : NULL;
  if (!*text) {
    free(dump);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory writing the manifest",
                            w->file.path);
  }
  memcpy(*text + len, "\n", 2);
  return CTXLAB_OK;
}

int ctxlab_token_writer_finish(ctxlab_token_writer *w, json_t *manifest, char *sha256_hex,
                               ctxlab_error *err) {
  ctxlab_atomic_file meta = {NULL, NULL, -1};
  char *meta_path = NULL, *text = NULL;
  char hex[65];
  int status = CTXLAB_OK;
  if (w->failed) {
    status = ctxlab_error_set(err, CTXLAB_EINVAL, "%s: an earlier write failed; nothing written",
                              w->file.path);
    goto cleanup;
  }
  if (w->written != w->layout.tokens) {
    status = ctxlab_error_set(err, CTXLAB_EINVAL,
                              "%s: %" PRIu64 " tokens written, but the layout declares %" PRIu64,
                              w->file.path, w->written, w->layout.tokens);
    goto cleanup;
  }
  if (manifest && !json_is_object(manifest)) {
    status = ctxlab_error_set(err, CTXLAB_EINVAL, "%s: the manifest must be a JSON object",
                              w->file.path);
    goto cleanup;
  }
  /* an empty stream is still one (empty) line */
  if (w->layout.format == CTXLAB_FORMAT_TXT && w->layout.tokens == 0) w->buf[w->fill++] = '\n';
  if ((status = flush(w, err))) goto cleanup;
  if ((status = ctxlab_sha256_final_hex(&w->hash, hex, err))) goto cleanup;
  if ((status = ctxlab_atomic_file_sync(&w->file, err))) goto cleanup;

  /* The manifest is complete on disk before either rename, so only a failing
   * rename(2) can separate the two files. */
  if ((status = manifest_text(w, manifest, hex, &text, err))) goto cleanup;
  if (asprintf(&meta_path, "%s.json", w->file.path) < 0) {
    meta_path = NULL;
    status = ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", w->file.path);
    goto cleanup;
  }
  if ((status = ctxlab_atomic_file_create(&meta, meta_path, err))) goto cleanup;
  if ((status = ctxlab_atomic_file_write(&meta, text, strlen(text), err))) goto cleanup;
  if ((status = ctxlab_atomic_file_sync(&meta, err))) goto cleanup;
  if ((status = ctxlab_atomic_file_commit(&w->file, err))) goto cleanup;
  if ((status = ctxlab_atomic_file_commit(&meta, err))) {
    unlink(w->file.path); /* a data file without its manifest would be unverifiable */
    goto cleanup;
  }
  if (sha256_hex) memcpy(sha256_hex, hex, sizeof hex);
cleanup:
  ctxlab_atomic_file_discard(&meta);
  free(meta_path);
  free(text);
  free_writer(w);
  return status;
}

void ctxlab_token_writer_abort(ctxlab_token_writer *w) {
  if (w) free_writer(w);
}
