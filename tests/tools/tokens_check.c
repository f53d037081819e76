/* tokens_check: open a token file with its manifest and report.
 *
 *   tokens_check PATH [--no-verify] [--dump FIRST COUNT]
 *
 * Opens PATH (verifying the SHA-256 unless --no-verify) and prints
 * "ok FORMAT DTYPE VOCAB TOKENS SEQUENCES LENGTH", or with --dump the tokens
 * [FIRST, FIRST+COUNT) one per line.  Errors go to stderr as
 * "tokens_check: error: MESSAGE"; exit 2 for a malformed file or bad input,
 * 1 for other failures. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/tokens.h"

static int fail(const ctxlab_error *err) {
  fprintf(stderr, "tokens_check: error: %s\n", err->message);
  return ctxlab_status_is_input_error(err->status) ? 2 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tokens_check PATH [--no-verify] [--dump FIRST COUNT]\n");
    return 2;
  }
  int verify = 1, dump = 0;
  uint64_t first = 0;
  size_t count = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--no-verify") == 0) {
      verify = 0;
    } else if (strcmp(argv[i], "--dump") == 0 && i + 2 < argc) {
      dump = 1;
      first = strtoull(argv[++i], NULL, 10);
      count = strtoull(argv[++i], NULL, 10);
    } else {
      fprintf(stderr, "tokens_check: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  ctxlab_error err = {0};
  ctxlab_token_file *f = NULL;
  if (ctxlab_token_file_open(argv[1], verify, &f, &err)) return fail(&err);
  const ctxlab_token_layout *l = ctxlab_token_file_layout(f);
  int rc = 0;
  if (!dump) {
    printf("ok %s %s %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
           ctxlab_format_name(l->format), ctxlab_token_dtype_name(l->vocab_size), l->vocab_size,
           l->tokens, l->sequences, l->length);
  } else {
    uint32_t *tokens = malloc((count ? count : 1) * sizeof *tokens);
    if (!tokens) {
      fprintf(stderr, "tokens_check: out of memory\n");
      rc = 1;
    } else if (ctxlab_token_file_read(f, first, count, tokens, &err)) {
      rc = fail(&err);
    } else {
      for (size_t i = 0; i < count; i++) printf("%" PRIu32 "\n", tokens[i]);
    }
    free(tokens);
  }
  ctxlab_token_file_close(f);
  return rc;
}
