/* ctxlab verify: check a token file against its manifest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "ctxlab/tokens.h"

static const char help[] =
    "usage: ctxlab verify PATH [--no-checksum]\n"
    "\n"
    "Check the token file PATH against its manifest PATH.json: manifest fields, file\n"
    "size, header (llm.c .bin header or .npy header), the SHA-256 of the whole file,\n"
    "and that every token is below the vocabulary size.  Exit status 2 and a message\n"
    "naming the file and the place on any mismatch.\n"
    "\n"
    "  --no-checksum   skip the SHA-256 (sizes, header and tokens are still checked)\n";

#define BLOCK (1u << 20)

int cmd_verify(int argc, char **argv) {
  static const struct option opts[] = {
      {"no-checksum", no_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int checksum = 1, c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'c') checksum = 0;
    else if (c == 'h') return fputs(help, stdout), CLI_EXIT_OK;
    else return cli_bad_option(c, argv);
  }
  if (optind != argc - 1) return cli_usage_error("verify needs exactly one PATH");
  const char *path = argv[optind];
  ctxlab_error err = {0};
  ctxlab_token_file *f = NULL;
  uint32_t *buf = malloc(sizeof(uint32_t) * BLOCK);
  int rc = CLI_EXIT_OK;
  if (!buf) {
    ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory");
    goto fail;
  }
  if (ctxlab_token_file_open(path, checksum, &f, &err)) goto fail;
  const ctxlab_token_layout *lay = ctxlab_token_file_layout(f);
  for (uint64_t at = 0; at < lay->tokens; at += BLOCK) {
    size_t n = lay->tokens - at < BLOCK ? (size_t)(lay->tokens - at) : BLOCK;
    if (ctxlab_token_file_read(f, at, n, buf, &err)) goto fail;
  }
  const json_t *sha = json_object_get(ctxlab_token_file_manifest(f), "sha256");
  printf("%s: ok (%s, %s, %llu tokens", path, ctxlab_format_name(lay->format),
         ctxlab_token_dtype_name(lay->vocab_size), (unsigned long long)lay->tokens);
  if (lay->sequences)
    printf(" in %llu sequences of %llu", (unsigned long long)lay->sequences,
           (unsigned long long)lay->length);
  printf(", vocabulary %u, sha256 %s%s)\n", lay->vocab_size, json_string_value(sha),
         checksum ? " verified" : " not checked");
  goto done;
fail:
  rc = cli_fail(&err);
done:
  free(buf);
  ctxlab_token_file_close(f);
  return rc;
}
