/* Token file formats, dtypes and the consistency rules of a layout. */
#include <stdint.h>
#include <string.h>

#include "gen/tokens/tokens_internal.h"

static const char *const format_names[] = {"bin", "npy", "txt"};

const char *ctxlab_format_name(ctxlab_format format) {
  if ((unsigned)format < sizeof format_names / sizeof format_names[0]) return format_names[format];
  return "unknown";
}

int ctxlab_format_parse(const char *name, ctxlab_format *out, ctxlab_error *err) {
  for (unsigned i = 0; name && i < sizeof format_names / sizeof format_names[0]; i++) {
    if (strcmp(name, format_names[i]) == 0) {
      *out = (ctxlab_format)i;
      return CTXLAB_OK;
    }
  }
  return ctxlab_error_set(err, CTXLAB_EINVAL,
                          "unknown token file format \"%s\" (expected bin, npy or txt)",
                          name ? name : "(null)");
}

const char *ctxlab_token_dtype_name(uint32_t vocab_size) {
  return ctxlab_token_width(vocab_size) == 2 ? "uint16" : "uint32";
}

unsigned ctxlab_token_width(uint32_t vocab_size) { return vocab_size <= 65536u ? 2u : 4u; }

uint64_t ctxlab_token_line_length(const ctxlab_token_layout *layout) {
  return layout->sequences ? layout->length : layout->tokens;
}

const char *ctxlab_token_layout_problem(const ctxlab_token_layout *layout) {
  if ((unsigned)layout->format > CTXLAB_FORMAT_TXT) return "\"format\" is not bin, npy or txt";
  if (layout->vocab_size < 1) return "\"vocab_size\" must be at least 1";
  if (layout->tokens > CTXLAB_TOKENS_MAX) return "\"tokens\" exceeds 2^56";
  if (layout->sequences == 0) {
    if (layout->length != 0) return "\"length\" must be 0 for a stream (\"sequences\" = 0)";
    return NULL;
  }
  if (layout->length == 0) return "\"length\" must be at least 1 when \"sequences\" is nonzero";
  if (layout->sequences > CTXLAB_TOKENS_MAX / layout->length ||
      layout->sequences * layout->length != layout->tokens)
    return "\"tokens\" must equal \"sequences\" x \"length\"";
  /* the .bin header holds these two counts in int32 fields */
  if (layout->format == CTXLAB_FORMAT_BIN &&
      (layout->sequences > INT32_MAX || layout->length > INT32_MAX))
    return "\"sequences\" and \"length\" must be below 2^31 in a .bin file";
  return NULL;
}

size_t ctxlab_tokens_first_out_of_range(const uint32_t *t, size_t n, uint32_t vocab_size) {
  /* a branch-free maximum first (vectorised), the search only on failure */
  uint32_t max = 0;
  for (size_t i = 0; i < n; i++) max = t[i] > max ? t[i] : max;
  if (max < vocab_size) return n;
  size_t i = 0;
  while (t[i] < vocab_size) i++;
  return i;
}
