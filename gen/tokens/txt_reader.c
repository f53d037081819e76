/* Parsing .txt token files: decimal ids (no sign, no leading zeros), a single
 * space between the tokens of a line, '\n' after the last.  The parser keeps
 * its place, so consecutive reads continue where the last one stopped. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gen/tokens/tokens_internal.h"

enum { DIGITS_MAX = 10 }; /* of a uint32 */

void ctxlab_txt_rewind(ctxlab_token_file *f, ctxlab_sha256 *hash) {
  ctxlab_txt_cursor *c = &f->txt;
  c->token = 0;
  c->buf_offset = 0;
  c->pos = c->len = 0;
  c->line = 1;
  c->line_start = 0;
  c->on_line = 0;
  c->line_length = ctxlab_token_line_length(&f->layout);
  c->hash = hash;
}

static unsigned decimal_digits(uint32_t v) {
  unsigned d = 1;
  for (; v >= 10; v /= 10) d++;
  return d;
}

int ctxlab_txt_check_size(ctxlab_token_file *f, ctxlab_error *err) {
  /* every token takes 1..D digits and one separator; an empty stream is "\n" */
  const ctxlab_token_layout *l = &f->layout;
  unsigned max_digits = decimal_digits(l->vocab_size - 1);
  uint64_t min = l->tokens == 0 ? 1 : 2 * l->tokens;
  uint64_t max = l->tokens == 0 ? 1 : (max_digits + 1) * l->tokens;
  if (f->size < min || f->size > max)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: %" PRIu64 " bytes, but %" PRIu64
                            " tokens of 1 to %u digits and their "
                            "separators take %" PRIu64 " to %" PRIu64 " bytes",
                            f->path, f->size, l->tokens, max_digits, min, max);
  unsigned char last;
  int status = ctxlab_token_file_pread(f, &last, 1, f->size - 1, err);
  if (status) return status;
  if (last != '\n')
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: byte offset %" PRIu64 ": the file does not end with a newline",
                            f->path, f->size - 1);
  return CTXLAB_OK;
}

/* Make `want` bytes available at buf[pos], or all that is left of the file.
 * Each byte is read (and hashed) once: the few unparsed bytes at the end of
 * the buffer move to its front before the next block is appended. */
static int ensure(ctxlab_token_file *f, size_t want, ctxlab_error *err) {
  ctxlab_txt_cursor *c = &f->txt;
  if (c->len - c->pos >= want) return CTXLAB_OK;
  size_t keep = c->len - c->pos;
  memmove(f->buf, f->buf + c->pos, keep);
  c->buf_offset += c->pos;
  c->pos = 0;
  c->len = keep;
  uint64_t end = c->buf_offset + keep, left = f->size - end;
  size_t k = CTXLAB_TOKEN_BLOCK_BYTES - keep;
  if (left < k) k = (size_t)left;
  if (k == 0) return CTXLAB_OK;
  int status = ctxlab_token_file_pread(f, f->buf + keep, k, end, err);
  if (!status && c->hash) status = ctxlab_sha256_update(c->hash, f->buf + keep, k, err);
  if (!status) c->len += k;
  return status;
}

/* An error at buf[pos + at]: names the file, line, column and byte offset. */
__attribute__((format(printf, 4, 5))) static int fail(ctxlab_token_file *f, size_t at,
                                                      ctxlab_error *err, const char *fmt, ...) {
  const ctxlab_txt_cursor *c = &f->txt;
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  uint64_t offset = c->buf_offset + c->pos + at;
  return ctxlab_error_set(err, CTXLAB_EFORMAT,
                          "%s: line %" PRIu64 ", column %" PRIu64 " (byte offset %" PRIu64 "): %s",
                          f->path, c->line, offset - c->line_start + 1, offset, what);
}

/* What the byte at buf[pos + at] is, for a message. */
static const char *describe(const ctxlab_token_file *f, size_t at, char out[16]) {
  const ctxlab_txt_cursor *c = &f->txt;
  if (c->pos + at >= c->len) return "end of file";
  unsigned char b = f->buf[c->pos + at];
  if (b == '\n') return "end of line";
  if (b == ' ') return "a space";
  if (b > ' ' && b < 127)
    snprintf(out, 16, "'%c'", b);
  else
    snprintf(out, 16, "byte 0x%02x", b);
  return out;
}

/* Parse the next token and its separator. */
static int next_token(ctxlab_token_file *f, uint32_t *value, ctxlab_error *err) {
  ctxlab_txt_cursor *c = &f->txt;
  /* digits, one more to catch an overlong number, and the separator */
  int status = ensure(f, DIGITS_MAX + 2, err);
  if (status) return status;
  const unsigned char *p = f->buf + c->pos, *end = f->buf + c->len;
  size_t n = 0;
  uint64_t v = 0;
  char seen[16];
  while (p + n < end && n <= DIGITS_MAX && p[n] >= '0' && p[n] <= '9') v = 10 * v + (p[n++] - '0');
  if (n == 0) return fail(f, 0, err, "expected a digit, found %s", describe(f, 0, seen));
  if (n > DIGITS_MAX) return fail(f, 0, err, "a number of more than %d digits", DIGITS_MAX);
  if (n > 1 && p[0] == '0') return fail(f, 0, err, "a number with a leading zero");
  if (v >= f->layout.vocab_size)
    return fail(f, 0, err,
                "token %" PRIu64 " (value %" PRIu64 ") is out of range: vocab_size is %" PRIu32,
                c->token, v, f->layout.vocab_size);
  int last_of_line = c->on_line + 1 == c->line_length;
  int want = last_of_line ? '\n' : ' ';
  if (p + n == end || p[n] != want)
    return fail(f, n, err, "expected %s after token %" PRIu64 ", found %s",
                last_of_line ? "the end of the line" : "a space", c->token, describe(f, n, seen));
  c->pos += n + 1;
  c->token++;
  c->on_line++;
  if (last_of_line) {
    c->line++;
    c->line_start = c->buf_offset + c->pos;
    c->on_line = 0;
  }
  *value = (uint32_t)v;
  return CTXLAB_OK;
}

int ctxlab_txt_read(ctxlab_token_file *f, uint64_t first, size_t n, uint32_t *out,
                    ctxlab_error *err) {
  ctxlab_txt_cursor *c = &f->txt;
  uint32_t skipped;
  int status = CTXLAB_OK;
  if (first < c->token) ctxlab_txt_rewind(f, NULL);
  while (!status && c->token < first) status = next_token(f, &skipped, err);
  for (size_t i = 0; !status && i < n; i++) status = next_token(f, out ? &out[i] : &skipped, err);
  if (status) ctxlab_txt_rewind(f, NULL); /* a clean state for the next call */
  return status;
}

int ctxlab_txt_check_end(ctxlab_token_file *f, ctxlab_error *err) {
  ctxlab_txt_cursor *c = &f->txt;
  char seen[16];
  int status = ensure(f, 1, err);
  if (status) return status;
  if (f->layout.tokens == 0) { /* the empty stream: one empty line */
    if (c->pos == c->len || f->buf[c->pos] != '\n')
      return fail(f, 0, err, "expected the end of the (empty) line, found %s",
                  describe(f, 0, seen));
    c->pos++;
    c->line++;
    c->line_start = c->buf_offset + c->pos;
    if ((status = ensure(f, 1, err))) return status;
  }
  if (c->pos < c->len)
    return fail(f, 0, err, "unexpected %s after the last token", describe(f, 0, seen));
  return CTXLAB_OK;
}
