/* Reading token files: the manifest is the specification, and every part of
 * the data file (size, header, checksum, tokens) is checked against it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen/tokens/tokens_internal.h"

int ctxlab_token_file_pread(ctxlab_token_file *f, void *buf, size_t len, uint64_t offset,
                            ctxlab_error *err) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = pread(f->fd, p, len, (off_t)offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return ctxlab_error_set(err, CTXLAB_EIO, "%s: reading at byte offset %" PRIu64 ": %s",
                              f->path, offset, strerror(errno));
    if (n == 0)
      return ctxlab_error_set(err, CTXLAB_EFORMAT,
                              "%s: unexpected end of file at byte offset %" PRIu64
                              " (the file changed after it was opened?)",
                              f->path, offset);
    p += n;
    len -= (size_t)n;
    offset += (uint64_t)n;
  }
  return CTXLAB_OK;
}

/* ---- the manifest ------------------------------------------------------------ */

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
  }
  return "unknown";
}

/* Field `key` of the manifest: present, of the given type. */
static int get_field(const json_t *m, const char *mpath, const char *key, json_type type,
                     const json_t **out, ctxlab_error *err) {
  *out = json_object_get(m, key);
  if (!*out)
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: field \"%s\" is missing", mpath, key);
  if (json_typeof(*out) != type)
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: field \"%s\" must be %s, not %s", mpath, key,
                            type == JSON_STRING ? "a string" : "an integer", type_name(*out));
  return CTXLAB_OK;
}

static int get_count(const json_t *m, const char *mpath, const char *key, uint64_t min,
                     uint64_t max, uint64_t *out, ctxlab_error *err) {
  const json_t *v;
  int status = get_field(m, mpath, key, JSON_INTEGER, &v, err);
  if (status) return status;
  json_int_t x = json_integer_value(v);
  if (x < 0 || (uint64_t)x < min || (uint64_t)x > max)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: field \"%s\" = %" JSON_INTEGER_FORMAT " is out of range [%" PRIu64
                            ", %" PRIu64 "]",
                            mpath, key, x, min, max);
  *out = (uint64_t)x;
  return CTXLAB_OK;
}

static int is_sha256_hex(const char *s) {
  if (strlen(s) != 64) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
  return 1;
}

/* Read and check the manifest; fills f->manifest, f->layout and *bytes, *sha256. */
static int read_manifest(ctxlab_token_file *f, const char *mpath, uint64_t *bytes,
                         const char **sha256, ctxlab_error *err) {
  json_error_t jerr;
  f->manifest = json_load_file(mpath, JSON_REJECT_DUPLICATES, &jerr);
  if (!f->manifest) {
    if (jerr.line < 1)
      return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: cannot read the manifest of %s: %s", mpath,
                              f->path, jerr.text);
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s:%d:%d: invalid JSON: %s", mpath, jerr.line,
                            jerr.column, jerr.text);
  }
  const json_t *m = f->manifest, *v;
  if (!json_is_object(m))
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: the manifest must be a JSON object, not %s",
                            mpath, type_name(m));
  ctxlab_token_layout *l = &f->layout;
  uint64_t vocab;
  int status;
  if ((status = get_field(m, mpath, "file", JSON_STRING, &v, err))) return status;
  if ((status = get_field(m, mpath, "format", JSON_STRING, &v, err))) return status;
  if (ctxlab_format_parse(json_string_value(v), &l->format, NULL))
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: field \"format\" is \"%s\", expected bin, npy or txt", mpath,
                            json_string_value(v));
  if ((status = get_count(m, mpath, "vocab_size", 1, UINT32_MAX, &vocab, err))) return status;
  l->vocab_size = (uint32_t)vocab;
  if ((status = get_field(m, mpath, "dtype", JSON_STRING, &v, err))) return status;
  const char *dtype = ctxlab_token_dtype_name(l->vocab_size);
  if (strcmp(json_string_value(v), dtype) != 0)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: field \"dtype\" is \"%s\", but \"vocab_size\" %" PRIu32
                            " needs \"%s\"",
                            mpath, json_string_value(v), l->vocab_size, dtype);
  if ((status = get_count(m, mpath, "tokens", 0, CTXLAB_TOKENS_MAX, &l->tokens, err)) ||
      (status = get_count(m, mpath, "sequences", 0, CTXLAB_TOKENS_MAX, &l->sequences, err)) ||
      (status = get_count(m, mpath, "length", 0, CTXLAB_TOKENS_MAX, &l->length, err)) ||
      (status = get_count(m, mpath, "bytes", 0, INT64_MAX, bytes, err)))
    return status;
  const char *problem = ctxlab_token_layout_problem(l);
  if (problem)
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: inconsistent fields: %s", mpath, problem);
  if ((status = get_field(m, mpath, "sha256", JSON_STRING, &v, err))) return status;
  *sha256 = json_string_value(v);
  if (!is_sha256_hex(*sha256))
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: field \"sha256\" must be 64 lowercase hex digits", mpath);
  return CTXLAB_OK;
}

/* ---- headers --------------------------------------------------------------- */

static int check_npy_header(ctxlab_token_file *f, ctxlab_error *err) {
  unsigned char prefix[10];
  if (f->size < sizeof prefix)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: %" PRIu64 " bytes, too short for a .npy header", f->path, f->size);
  int status = ctxlab_token_file_pread(f, prefix, sizeof prefix, 0, err);
  if (status) return status;
  if (memcmp(prefix, "\x93NUMPY", 6) != 0)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: byte offset 0: no .npy magic string (\\x93NUMPY)", f->path);
  if (prefix[6] != 1 || prefix[7] != 0)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: byte offset 6: .npy format version %u.%u, expected 1.0", f->path,
                            prefix[6], prefix[7]);
  size_t hlen = (size_t)prefix[8] | (size_t)prefix[9] << 8;
  if (sizeof prefix + hlen > f->size)
    return ctxlab_error_set(
        err, CTXLAB_EFORMAT,
        "%s: byte offset 8: header length %zu runs past the end of the file (%" PRIu64 " bytes)",
        f->path, hlen, f->size);
  if ((status = ctxlab_token_file_pread(f, f->buf, hlen, sizeof prefix, err))) return status;
  f->data_offset = sizeof prefix + hlen;
  return ctxlab_npy_dict_check((const char *)f->buf, hlen, &f->layout, f->path, err);
}

static int check_header(ctxlab_token_file *f, ctxlab_error *err) {
  int status;
  switch (f->layout.format) {
    case CTXLAB_FORMAT_TXT: return ctxlab_txt_check_size(f, err);
    case CTXLAB_FORMAT_BIN:
      if (f->size < CTXLAB_BIN_HEADER_BYTES)
        return ctxlab_error_set(err, CTXLAB_EFORMAT,
                                "%s: %" PRIu64 " bytes, shorter than the %d-byte header", f->path,
                                f->size, CTXLAB_BIN_HEADER_BYTES);
      if ((status = ctxlab_token_file_pread(f, f->buf, CTXLAB_BIN_HEADER_BYTES, 0, err)))
        return status;
      if ((status = ctxlab_bin_header_check(f->buf, &f->layout, f->path, err))) return status;
      f->data_offset = CTXLAB_BIN_HEADER_BYTES;
      break;
    case CTXLAB_FORMAT_NPY:
      if ((status = check_npy_header(f, err))) return status;
      break;
  }
  uint64_t expected = f->data_offset + f->layout.tokens * f->width;
  if (f->size != expected)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: %" PRIu64 " bytes, but a %" PRIu64 "-byte header and %" PRIu64
                            " tokens of %u bytes make %" PRIu64,
                            f->path, f->size, f->data_offset, f->layout.tokens, f->width, expected);
  return CTXLAB_OK;
}

/* ---- tokens ---------------------------------------------------------------- */

/* .bin/.npy tokens [first, first+n) into out, block by block; each raw block
 * is also hashed when hash is non-NULL. */
static int read_binary(ctxlab_token_file *f, uint64_t first, size_t n, uint32_t *out,
                       ctxlab_sha256 *hash, ctxlab_error *err) {
  const size_t per_block = CTXLAB_TOKEN_BLOCK_BYTES / f->width;
  while (n > 0) {
    size_t k = n < per_block ? n : per_block;
    uint64_t offset = f->data_offset + first * f->width;
    int status = ctxlab_token_file_pread(f, f->buf, k * f->width, offset, err);
    if (!status && hash) status = ctxlab_sha256_update(hash, f->buf, k * f->width, err);
    if (status) return status;
    if (f->width == 2) {
      for (size_t i = 0; i < k; i++) {
        uint16_t v;
        memcpy(&v, f->buf + 2 * i, 2);
        out[i] = ctxlab_le16(v);
      }
    } else {
      for (size_t i = 0; i < k; i++) {
        uint32_t v;
        memcpy(&v, f->buf + 4 * i, 4);
        out[i] = ctxlab_le32(v);
      }
    }
    size_t bad = ctxlab_tokens_first_out_of_range(out, k, f->layout.vocab_size);
    if (bad < k)
      return ctxlab_error_set(err, CTXLAB_EFORMAT,
                              "%s: token %" PRIu64 " (value %" PRIu32 ") at byte offset %" PRIu64
                              " is out of range: vocab_size is %" PRIu32,
                              f->path, first + bad, out[bad], offset + bad * f->width,
                              f->layout.vocab_size);
    out += k;
    first += k;
    n -= k;
  }
  return CTXLAB_OK;
}

/* Hash the whole file and check every token on the way. */
static int verify(ctxlab_token_file *f, const char *expected_sha256, ctxlab_error *err) {
  ctxlab_sha256 hash;
  char actual[65];
  const size_t per_block = CTXLAB_TOKEN_BLOCK_BYTES / 4;
  uint32_t *scratch = NULL;
  int status = ctxlab_sha256_init(&hash, err);
  if (status) return status;
  if (f->layout.format == CTXLAB_FORMAT_TXT) {
    ctxlab_txt_rewind(f, &hash);
    status = ctxlab_txt_read(f, 0, f->layout.tokens, NULL, err);
    if (!status) status = ctxlab_txt_check_end(f, err);
    ctxlab_txt_rewind(f, NULL);
  } else {
    scratch = malloc(per_block * sizeof *scratch);
    if (!scratch) status = ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", f->path);
    /* the header was read once already; it is small */
    if (!status) status = ctxlab_token_file_pread(f, f->buf, f->data_offset, 0, err);
    if (!status) status = ctxlab_sha256_update(&hash, f->buf, f->data_offset, err);
    for (uint64_t first = 0; !status && first < f->layout.tokens; first += per_block) {
      uint64_t left = f->layout.tokens - first;
      status = read_binary(f, first, left < per_block ? left : per_block, scratch, &hash, err);
    }
  }
  if (!status) status = ctxlab_sha256_final_hex(&hash, actual, err);
  if (!status && strcmp(actual, expected_sha256) != 0)
    status = ctxlab_error_set(err, CTXLAB_EFORMAT,
                              "%s: SHA-256 mismatch: the manifest says %s, the file's is %s",
                              f->path, expected_sha256, actual);
  free(scratch);
  ctxlab_sha256_free(&hash);
  return status;
}

/* ---- the public interface ---------------------------------------------------- */

int ctxlab_token_file_open(const char *path, int verify_checksum, ctxlab_token_file **out,
                           ctxlab_error *err) {
  *out = NULL;
  char *mpath = NULL;
  int status = CTXLAB_OK;
  uint64_t bytes = 0;
  const char *sha256 = NULL;
  struct stat st;
  ctxlab_token_file *f = calloc(1, sizeof *f);
  if (!f) return ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
  f->fd = -1;
  f->path = strdup(path);
  f->buf = malloc(CTXLAB_TOKEN_BLOCK_BYTES);
  if (!f->path || !f->buf || asprintf(&mpath, "%s.json", path) < 0) {
    mpath = NULL;
    status = ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
    goto cleanup;
  }
  if ((status = read_manifest(f, mpath, &bytes, &sha256, err))) goto cleanup;
  f->width = ctxlab_token_width(f->layout.vocab_size);
  f->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0) {
    status = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: cannot open the data file: %s", path,
                              strerror(errno));
    goto cleanup;
  }
  if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: not a regular file", path);
    goto cleanup;
  }
  f->size = (uint64_t)st.st_size;
  if (f->size != bytes) {
    status = ctxlab_error_set(err, CTXLAB_EFORMAT,
                              "%s: %" PRIu64 " bytes, but field \"bytes\" of %s says %" PRIu64,
                              path, f->size, mpath, bytes);
    goto cleanup;
  }
  if ((status = check_header(f, err))) goto cleanup;
  ctxlab_txt_rewind(f, NULL);
  if (verify_checksum && (status = verify(f, sha256, err))) goto cleanup;
  *out = f;
cleanup:
  free(mpath);
  if (status) ctxlab_token_file_close(f);
  return status;
}

void ctxlab_token_file_close(ctxlab_token_file *f) {
  if (!f) return;
  if (f->fd >= 0) close(f->fd);
  json_decref(f->manifest);
  free(f->buf);
  free(f->path);
  free(f);
}

const ctxlab_token_layout *ctxlab_token_file_layout(const ctxlab_token_file *f) {
  return &f->layout;
}

const json_t *ctxlab_token_file_manifest(const ctxlab_token_file *f) { return f->manifest; }

int ctxlab_token_file_read(ctxlab_token_file *f, uint64_t first, size_t n, uint32_t *out,
                           ctxlab_error *err) {
  if (first > f->layout.tokens || n > f->layout.tokens - first)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "%s: tokens [%" PRIu64 ", %" PRIu64
                            ") requested, but the file holds %" PRIu64,
                            f->path, first, first + n, f->layout.tokens);
  if (f->layout.format == CTXLAB_FORMAT_TXT) return ctxlab_txt_read(f, first, n, out, err);
  return read_binary(f, first, n, out, NULL, err);
}
