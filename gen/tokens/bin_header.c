/* The .bin header: 256 little-endian int32 (layout in ctxlab/tokens.h).
 * Fields 0..2 are llm.c's (magic, version, token count); 3..6 are ctxlab's
 * (64-bit count, sequence layout); the rest is zero. */
#include <inttypes.h>
#include <string.h>

#include "gen/tokens/tokens_internal.h"

static void put_le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static int32_t get_le32(const unsigned char *p) {
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  return (int32_t)v; /* two's complement (C23; every compiler we build with) */
}

/* header[2]: the count as llm.c reads it, or -1 when it does not fit an int32 */
static int32_t short_count(uint64_t tokens) { return tokens <= INT32_MAX ? (int32_t)tokens : -1; }

void ctxlab_bin_header_encode(const ctxlab_token_layout *layout,
                              unsigned char out[CTXLAB_BIN_HEADER_BYTES]) {
  memset(out, 0, CTXLAB_BIN_HEADER_BYTES);
  unsigned width = ctxlab_token_width(layout->vocab_size);
  put_le32(out + 0, CTXLAB_BIN_MAGIC);
  put_le32(out + 4, width == 2 ? CTXLAB_BIN_VERSION_U16 : CTXLAB_BIN_VERSION_U32);
  put_le32(out + 8, (uint32_t)short_count(layout->tokens));
  put_le32(out + 12, (uint32_t)layout->tokens);
  put_le32(out + 16, (uint32_t)(layout->tokens >> 32));
  put_le32(out + 20, (uint32_t)layout->sequences); /* < 2^31: ctxlab_token_layout_problem */
  put_le32(out + 24, (uint32_t)layout->length);
}

int ctxlab_bin_header_check(const unsigned char header[CTXLAB_BIN_HEADER_BYTES],
                            const ctxlab_token_layout *layout, const char *path,
                            ctxlab_error *err) {
  int32_t magic = get_le32(header), version = get_le32(header + 4);
  if (magic != CTXLAB_BIN_MAGIC)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: byte offset 0: magic number %" PRId32
                            ", expected %d (not a .bin token file)",
                            path, magic, CTXLAB_BIN_MAGIC);
  if (version != CTXLAB_BIN_VERSION_U16 && version != CTXLAB_BIN_VERSION_U32)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: byte offset 4: unknown version %" PRId32
                            " (1: uint16 tokens, 2: uint32 tokens)",
                            path, version);
  const char *file_dtype = version == CTXLAB_BIN_VERSION_U16 ? "uint16" : "uint32";
  const char *dtype = ctxlab_token_dtype_name(layout->vocab_size);
  if (strcmp(file_dtype, dtype) != 0)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: byte offset 4: version %" PRId32
                            " stores %s tokens, but the manifest's "
                            "\"vocab_size\" %" PRIu32 " needs %s",
                            path, version, file_dtype, layout->vocab_size, dtype);

  uint64_t count =
      (uint64_t)(uint32_t)get_le32(header + 12) | (uint64_t)(uint32_t)get_le32(header + 16) << 32;
  int32_t count32 = get_le32(header + 8);
  if (count32 != short_count(count))
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: byte offset 8: token count %" PRId32
                            " disagrees with the 64-bit count "
                            "%" PRIu64 " at byte offset 12 (expected %" PRId32 ")",
                            path, count32, count, short_count(count));
  if (count != layout->tokens)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: byte offset 12: the header counts %" PRIu64
                            " tokens, the manifest's "
                            "\"tokens\" %" PRIu64,
                            path, count, layout->tokens);

  static const struct {
    const char *field;
    unsigned offset;
  } shape[] = {{"sequences", 20}, {"length", 24}};
  for (unsigned i = 0; i < 2; i++) {
    int32_t v = get_le32(header + shape[i].offset);
    uint64_t expected = i == 0 ? layout->sequences : layout->length;
    if (v < 0 || (uint64_t)v != expected)
      return ctxlab_error_set(err, CTXLAB_EFORMAT,
                              "%s: byte offset %u: the header says %s = %" PRId32
                              ", the manifest's "
                              "\"%s\" %" PRIu64,
                              path, shape[i].offset, shape[i].field, v, shape[i].field, expected);
  }
  for (unsigned i = 7; i < CTXLAB_BIN_HEADER_INTS; i++) {
    int32_t v = get_le32(header + 4 * i);
    if (v != 0)
      return ctxlab_error_set(err, CTXLAB_EFORMAT,
                              "%s: byte offset %u: reserved header[%u] = %" PRId32 ", expected 0",
                              path, 4 * i, i, v);
  }
  return CTXLAB_OK;
}
