/* ctxlab gen: sample a language to a token file with its manifest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ctxlab/dataset.h"

static const char help[] =
    "usage: ctxlab gen SPEC -o PATH (-n TOKENS | --sequences K --length T) [options]\n"
    "\n"
    "Sample the language SPEC and write the tokens to PATH, with a manifest PATH.json\n"
    "(canonical spec, seed, counts, dtype, the truth summary, SHA-256 of PATH).  Both\n"
    "appear only when complete: a failed or interrupted run leaves neither.\n"
    "\n"
    "  -o, --output PATH      the token file to write\n"
    "  -n, --tokens N         one stream of N tokens (accepts 1000000, 1e6, 1M)\n"
    "      --sequences K      K independent sequences ...\n"
    "      --length T         ... of T tokens each, every one started from stationarity\n"
    "      --seed S           sample seed (default 0): which sample, not which language\n"
    "      --format F         bin (llm.c layout), npy or txt (default: from PATH's\n"
    "                         extension, else bin)\n"
    "      --threads N        threads (default: all cores); the file is the same for any N\n"
    "      --truth-context C  the manifest's truth summary gives H(c) for c = 0..C\n"
    "                         (default 16)\n"
    "  -q, --quiet            no progress on stderr\n"
    "\n"
    "A longer run extends a shorter one with the same seed: the first n tokens of a\n"
    "stream, and sequence i of a set, do not depend on how much is generated.\n";

/* The format named by PATH's extension, or bin. */
static ctxlab_format format_from_path(const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot && strcmp(dot, ".npy") == 0) return CTXLAB_FORMAT_NPY;
  if (dot && strcmp(dot, ".txt") == 0) return CTXLAB_FORMAT_TXT;
  return CTXLAB_FORMAT_BIN;
}

int cmd_gen(int argc, char **argv) {
  enum { OPT_SEQUENCES = 256, OPT_LENGTH, OPT_SEED, OPT_FORMAT, OPT_THREADS, OPT_TRUTH };
  static const struct option opts[] = {
      {"output", required_argument, 0, 'o'},          {"tokens", required_argument, 0, 'n'},
      {"sequences", required_argument, 0, OPT_SEQUENCES}, {"length", required_argument, 0, OPT_LENGTH},
      {"seed", required_argument, 0, OPT_SEED},       {"format", required_argument, 0, OPT_FORMAT},
      {"threads", required_argument, 0, OPT_THREADS}, {"truth-context", required_argument, 0, OPT_TRUTH},
      {"quiet", no_argument, 0, 'q'},                 {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *output = NULL, *format_name = NULL;
  uint64_t tokens = 0, sequences = 0, length = 0, seed = 0;
  int have_tokens = 0, have_sequences = 0, have_length = 0, quiet = 0;
  long threads = 0, truth_context = 16;
  int c, rc;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":o:n:qh", opts, NULL)) != -1) {
    switch (c) {
      case 'o': output = optarg; break;
      case 'n':
        if ((rc = cli_parse_count(optarg, "-n/--tokens", &tokens))) return rc;
        have_tokens = 1;
        break;
      case OPT_SEQUENCES:
        if ((rc = cli_parse_count(optarg, "--sequences", &sequences))) return rc;
        have_sequences = 1;
        break;
      case OPT_LENGTH:
        if ((rc = cli_parse_count(optarg, "--length", &length))) return rc;
        have_length = 1;
        break;
      case OPT_SEED:
        if ((rc = cli_parse_count(optarg, "--seed", &seed))) return rc;
        if (seed > (uint64_t)INT64_MAX)
          return cli_usage_error("--seed: %llu is out of range [0, 2^63 - 1]",
                                 (unsigned long long)seed);
        break;
      case OPT_FORMAT: format_name = optarg; break;
      case OPT_THREADS:
        if ((rc = cli_parse_int(optarg, "--threads", 1, 1024, &threads))) return rc;
        break;
      case OPT_TRUTH:
        if ((rc = cli_parse_int(optarg, "--truth-context", 0, 1 << 20, &truth_context))) return rc;
        break;
      case 'q': quiet = 1; break;
      case 'h': return fputs(help, stdout), CLI_EXIT_OK;
      default: return cli_bad_option(c, argv);
    }
  }
  if ((rc = cli_one_spec(argc, argv))) return rc;
  if (!output) return cli_usage_error("gen needs -o PATH (see `ctxlab gen --help`)");
  if (have_tokens == (have_sequences || have_length))
    return cli_usage_error("give either -n TOKENS or --sequences K --length T");
  if (have_sequences != have_length)
    return cli_usage_error("--sequences and --length go together");
  if (have_tokens && tokens == 0) return cli_usage_error("-n: the token count must be at least 1");
  if (have_sequences && (sequences == 0 || length == 0))
    return cli_usage_error("--sequences and --length must be at least 1");

  ctxlab_error err = {0};
  ctxlab_dataset_options o = {format_from_path(output), seed, tokens, sequences, length,
                              (int)threads, NULL, NULL};
  if (format_name && ctxlab_format_parse(format_name, &o.format, &err)) return cli_fail(&err);

  ctxlab_lang *lang = NULL;
  rc = CLI_EXIT_OK;
  if (ctxlab_lang_new(argv[optind], &lang, &err) ||
      cli_write_dataset(lang, output, &o, truth_context, quiet, &err))
    rc = cli_fail(&err);
  ctxlab_lang_free(lang);
  return rc;
}
