/* tokens_write: write a token file and its manifest, for the cross-check
 * scripts.
 *
 *   tokens_write PATH FORMAT VOCAB (--tokens N | --sequences K --length T)
 *                [--formula A B] [--chunk C]
 *
 * Tokens are read from stdin (decimal, whitespace separated) or, with
 * --formula, token i is (A*i + B) mod VOCAB.  They are handed to the writer C
 * at a time (default 4096, to exercise block boundaries).  The manifest gets
 * {"generator": "tokens_write"} before the writer's fields.  Prints the
 * SHA-256; exit 2 on bad input, 1 on other failures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/tokens.h"

static int usage(void) {
  fprintf(stderr,
          "usage: tokens_write PATH FORMAT VOCAB (--tokens N | --sequences K --length T) "
          "[--formula A B] [--chunk C]\n");
  return 2;
}

static int fail(const ctxlab_error *err) {
  fprintf(stderr, "tokens_write: error: %s\n", err->message);
  return ctxlab_status_is_input_error(err->status) ? 2 : 1;
}

int main(int argc, char **argv) {
  if (argc < 4) return usage();
  ctxlab_error err = {0};
  ctxlab_token_layout layout = {0};
  unsigned long long a = 0, b = 0;
  int formula = 0;
  size_t chunk = 4096;
  if (ctxlab_format_parse(argv[2], &layout.format, &err)) return fail(&err);
  layout.vocab_size = (uint32_t)strtoul(argv[3], NULL, 10);
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "--tokens") == 0 && i + 1 < argc) {
      layout.tokens = strtoull(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--sequences") == 0 && i + 1 < argc) {
      layout.sequences = strtoull(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--length") == 0 && i + 1 < argc) {
      layout.length = strtoull(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--formula") == 0 && i + 2 < argc) {
      formula = 1;
      a = strtoull(argv[++i], NULL, 10);
      b = strtoull(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) {
      chunk = strtoull(argv[++i], NULL, 10);
    } else {
      return usage();
    }
  }
  if (layout.sequences) layout.tokens = layout.sequences * layout.length;
  if (chunk == 0) return usage();

  ctxlab_token_writer *w = NULL;
  uint32_t *buf = malloc(chunk * sizeof *buf);
  json_t *manifest = json_pack("{s:s}", "generator", "tokens_write");
  char sha[65];
  int rc = 0;
  if (!buf || !manifest) {
    fprintf(stderr, "tokens_write: out of memory\n");
    return 1;
  }
  if (ctxlab_token_writer_open(argv[1], &layout, &w, &err)) {
    rc = fail(&err);
    goto done;
  }
  for (uint64_t i = 0;;) {
    size_t k = 0;
    if (formula) {
      for (; k < chunk && i + k < layout.tokens; k++)
        buf[k] = (uint32_t)(((unsigned __int128)a * (i + k) + b) % layout.vocab_size);
    } else {
      unsigned long long v;
      while (k < chunk && scanf("%llu", &v) == 1) buf[k++] = (uint32_t)v;
    }
    if (k == 0) break;
    if (ctxlab_token_writer_write(w, buf, k, &err)) {
      ctxlab_token_writer_abort(w);
      rc = fail(&err);
      goto done;
    }
    i += k;
  }
  if (ctxlab_token_writer_finish(w, manifest, sha, &err)) {
    rc = fail(&err);
    goto done;
  }
  printf("%s\n", sha);
done:
  json_decref(manifest);
  free(buf);
  return rc;
}
