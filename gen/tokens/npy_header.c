/* The .npy header, format 1.0 (numpy/lib/format.py, NEP 1): the magic
 * "\x93NUMPY", version bytes 1 0, a little-endian uint16 header length, then a
 * Python dict literal with keys 'descr', 'fortran_order', 'shape', padded with
 * spaces and ended by '\n' so the data starts at a multiple of 64 bytes. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gen/tokens/tokens_internal.h"

enum { NPY_PREFIX = 10 }; /* magic (6) + version (2) + header length (2) */

static const char *descr_of(uint32_t vocab_size) {
  return ctxlab_token_width(vocab_size) == 2 ? "<u2" : "<u4";
}

/* The shape as Python prints the tuple: "(35,)" or "(5, 7)". */
static void format_shape(char *out, size_t size, size_t ndim, const uint64_t *dims) {
  if (ndim == 1)
    snprintf(out, size, "(%" PRIu64 ",)", dims[0]);
  else
    snprintf(out, size, "(%" PRIu64 ", %" PRIu64 ")", dims[0], dims[1]);
}

static size_t layout_shape(const ctxlab_token_layout *layout, uint64_t dims[2]) {
  if (layout->sequences == 0) {
    dims[0] = layout->tokens;
    return 1;
  }
  dims[0] = layout->sequences;
  dims[1] = layout->length;
  return 2;
}

size_t ctxlab_npy_header_encode(const ctxlab_token_layout *layout,
                                char out[CTXLAB_NPY_HEADER_MAX]) {
  /* numpy 1.24's _write_array_header: keys sorted, each "'key': repr(value), ",
   * then spaces so the first axis could grow to 21 digits in place
   * (GROWTH_AXIS_MAX_DIGITS), then _wrap_header's padding: 1..64 spaces and a
   * '\n' bringing prefix + dict to a multiple of ARRAY_ALIGN = 64. */
  enum { GROWTH_AXIS_MAX_DIGITS = 21, ARRAY_ALIGN = 64 };
  uint64_t dims[2];
  size_t ndim = layout_shape(layout, dims);
  char shape[64], first_axis[24];
  format_shape(shape, sizeof shape, ndim, dims);
  int axis_digits = snprintf(first_axis, sizeof first_axis, "%" PRIu64, dims[0]);
  char *dict = out + NPY_PREFIX;
  int n = snprintf(dict, CTXLAB_NPY_HEADER_MAX - NPY_PREFIX,
                   "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                   descr_of(layout->vocab_size), shape);
  size_t growth = (size_t)(GROWTH_AXIS_MAX_DIGITS - axis_digits); /* digits <= 17: tokens <= 2^56 */
  size_t hlen = (size_t)n + growth + 1;                           /* + the final '\n' */
  size_t padlen = ARRAY_ALIGN - (NPY_PREFIX + hlen) % ARRAY_ALIGN;
  size_t total = NPY_PREFIX + hlen + padlen;
  memcpy(out, "\x93NUMPY\x01\x00", 8);
  out[8] = (char)((hlen + padlen) & 0xff);
  out[9] = (char)((hlen + padlen) >> 8);
  memset(dict + n, ' ', growth + padlen);
  out[total - 1] = '\n';
  return total;
}

/* ---- checking a header dict ------------------------------------------------ */

/* A reader of the Python literal numpy writes: a dict of strings, booleans
 * and a tuple of integers, with arbitrary whitespace. */
typedef struct lexer {
  const char *s;
  size_t len, pos;
  const char *path;
  ctxlab_error *err;
} lexer;

__attribute__((format(printf, 2, 3))) static int fail(lexer *lx, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return ctxlab_error_set(lx->err, CTXLAB_EFORMAT, "%s: byte offset %zu: .npy header: %s", lx->path,
                          NPY_PREFIX + lx->pos, what);
}

static int peek(const lexer *lx) { return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos] : -1; }

static void skip_space(lexer *lx) {
  while (lx->pos < lx->len && lx->s[lx->pos] != '\0' && strchr(" \t\n\r\f\v", lx->s[lx->pos]))
    lx->pos++;
}

static int expect(lexer *lx, char c) {
  skip_space(lx);
  if (peek(lx) != c) return fail(lx, "expected '%c'", c);
  lx->pos++;
  return CTXLAB_OK;
}

/* A quoted string without escapes (all numpy writes for these keys). */
static int read_string(lexer *lx, char *out, size_t size) {
  skip_space(lx);
  int quote = peek(lx);
  if (quote != '\'' && quote != '"') return fail(lx, "expected a quoted string");
  size_t start = ++lx->pos;
  while (lx->pos < lx->len && lx->s[lx->pos] != quote) lx->pos++;
  if (lx->pos == lx->len) {
    lx->pos = start - 1;
    return fail(lx, "unterminated string");
  }
  size_t n = lx->pos - start;
  if (n >= size) {
    lx->pos = start;
    return fail(lx, "string too long");
  }
  memcpy(out, lx->s + start, n);
  out[n] = '\0';
  lx->pos++;
  return CTXLAB_OK;
}

static int read_bool(lexer *lx, int *out) {
  skip_space(lx);
  const char *p = lx->s + lx->pos;
  size_t left = lx->len - lx->pos;
  if (left >= 4 && memcmp(p, "True", 4) == 0) {
    *out = 1;
    lx->pos += 4;
  } else if (left >= 5 && memcmp(p, "False", 5) == 0) {
    *out = 0;
    lx->pos += 5;
  } else {
    return fail(lx, "expected True or False");
  }
  return CTXLAB_OK;
}

/* A tuple of up to 2 non-negative integers: "(n,)", "(a, b)", "()", ... */
static int read_shape(lexer *lx, uint64_t dims[2], size_t *ndim) {
  int status = expect(lx, '(');
  if (status) return status;
  *ndim = 0;
  for (;;) {
    skip_space(lx);
    if (peek(lx) == ')') break;
    if (peek(lx) < '0' || peek(lx) > '9') return fail(lx, "expected a dimension or ')'");
    if (*ndim == 2) return fail(lx, "more than 2 dimensions");
    uint64_t v = 0;
    while (peek(lx) >= '0' && peek(lx) <= '9') {
      unsigned d = (unsigned)(peek(lx) - '0');
      if (v > (UINT64_MAX - d) / 10) return fail(lx, "dimension does not fit 64 bits");
      v = 10 * v + d;
      lx->pos++;
    }
    dims[(*ndim)++] = v;
    skip_space(lx);
    if (peek(lx) == ',') {
      lx->pos++;
    } else if (peek(lx) != ')') {
      return fail(lx, "expected ',' or ')' in the shape");
    }
  }
  lx->pos++;
  return CTXLAB_OK;
}

int ctxlab_npy_dict_check(const char *dict, size_t len, const ctxlab_token_layout *layout,
                          const char *path, ctxlab_error *err) {
  lexer lx = {dict, len, 0, path, err};
  char descr[16] = "", key[32];
  int fortran = 0, status;
  uint64_t dims[2] = {0, 0};
  size_t ndim = 0, descr_pos = 0, fortran_pos = 0, shape_pos = 0;
  unsigned seen = 0; /* bits: descr, fortran_order, shape */

  if ((status = expect(&lx, '{'))) return status;
  for (;;) {
    skip_space(&lx);
    if (peek(&lx) == '}') break;
    size_t key_pos = lx.pos;
    if ((status = read_string(&lx, key, sizeof key))) return status;
    if ((status = expect(&lx, ':'))) return status;
    skip_space(&lx);
    unsigned bit;
    if (strcmp(key, "descr") == 0) {
      bit = 1;
      descr_pos = lx.pos;
      status = read_string(&lx, descr, sizeof descr);
    } else if (strcmp(key, "fortran_order") == 0) {
      bit = 2;
      fortran_pos = lx.pos;
      status = read_bool(&lx, &fortran);
    } else if (strcmp(key, "shape") == 0) {
      bit = 4;
      shape_pos = lx.pos;
      status = read_shape(&lx, dims, &ndim);
    } else {
      lx.pos = key_pos;
      return fail(&lx, "unexpected key '%s' (numpy writes only descr, fortran_order, shape)", key);
    }
    if (status) return status;
    if (seen & bit) {
      lx.pos = key_pos;
      return fail(&lx, "key '%s' appears twice", key);
    }
    seen |= bit;
    skip_space(&lx);
    if (peek(&lx) == ',') {
      lx.pos++;
    } else if (peek(&lx) != '}') {
      return fail(&lx, "expected ',' or '}'");
    }
  }
  lx.pos++;
  skip_space(&lx);
  if (lx.pos != lx.len) return fail(&lx, "unexpected text after the dict");
  if (seen != 7) {
    return fail(&lx, "the dict lacks '%s'",
                !(seen & 1)   ? "descr"
                : !(seen & 2) ? "fortran_order"
                              : "shape");
  }

  const char *want_descr = descr_of(layout->vocab_size);
  if (strcmp(descr, want_descr) != 0) {
    lx.pos = descr_pos;
    return fail(&lx, "descr '%s', but the manifest's \"vocab_size\" %" PRIu32 " needs '%s'", descr,
                layout->vocab_size, want_descr);
  }
  if (fortran) {
    lx.pos = fortran_pos;
    return fail(&lx, "fortran_order is True; token files are in C order");
  }
  uint64_t want[2];
  size_t want_ndim = layout_shape(layout, want);
  if (ndim != want_ndim || dims[0] != want[0] || (ndim == 2 && dims[1] != want[1])) {
    char got_text[64] = "()", want_text[64];
    if (ndim > 0) format_shape(got_text, sizeof got_text, ndim, dims);
    format_shape(want_text, sizeof want_text, want_ndim, want);
    lx.pos = shape_pos;
    return fail(&lx, "shape %s, but the manifest's \"tokens\", \"sequences\", \"length\" make %s",
                got_text, want_text);
  }
  return CTXLAB_OK;
}
