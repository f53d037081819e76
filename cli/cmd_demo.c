/* ctxlab demo: the main job.  Generate a language, write a dataset with its
 * manifest, and print the language's truth. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "ctxlab/dataset.h"
#include "ctxlab/theory.h"
#include "ctxlab/tokens.h"

static const char help[] =
    "usage: ctxlab demo [SPEC] [options]\n"
    "\n"
    "Generate the language SPEC (default: the preset santa-fe), write a dataset and\n"
    "its manifest into DIR, write the full truth to DIR/truth.json, and print the\n"
    "entropy rate, a table of H(c) and the bipartite mutual information with its\n"
    "fitted power-law exponent.\n"
    "\n"
    "  --out DIR          output directory (default ctxlab-demo; created if missing)\n"
    "  -n, --tokens N     tokens in the dataset, one stream (default 16M)\n"
    "  --max-context L    truth up to context L (default 4096)\n"
    "  --seed S           sample seed (default 0)\n"
    "  --threads N        threads (default: all cores)\n"
    "  -q, --quiet        no progress on stderr\n";

static int is_power_of_two(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

static void print_truth(const ctxlab_truth *t) {
  const ctxlab_curve *H = &t->conditional_entropy, *B = &t->bipartite_mutual_information;
  const char *method = ctxlab_method_name(H->method);
  if (t->entropy_rate_method == CTXLAB_METHOD_BOUNDS)
    printf("  entropy rate       in [%.6f, %.6f] bits/token (bounds)\n",
           t->entropy_rate_lower_bits, t->entropy_rate_upper_bits);
  else
    printf("  entropy rate       %.6f bits/token (%s)\n", t->entropy_rate_bits,
           ctxlab_method_name(t->entropy_rate_method));
  if (t->intrinsic_dimension >= 0)
    printf("  intrinsic dim.     %lld\n", (long long)t->intrinsic_dimension);
  printf("\n  conditional entropy H(c) = H(X_t | c previous tokens), %s\n", method);
  printf("  %8s  %12s  %14s\n", "c", "H(c) bits", "H(0)-H(c) bits");
  for (size_t i = 0; i < H->n; ++i)
    if (H->x[i] == 0 || is_power_of_two(H->x[i]))
      printf("  %8lld  %12.6f  %14.6f\n", (long long)H->x[i], H->bits[i],
             H->bits[0] - H->bits[i]);
  printf("\n  bipartite mutual information I(first n/2 tokens; last n/2), %s\n", method);
  printf("  %8s  %12s\n", "n", "bits");
  for (size_t i = 0; i < B->n; ++i)
    if (is_power_of_two(B->x[i])) printf("  %8lld  %12.6f\n", (long long)B->x[i], B->bits[i]);
  double beta, prefactor;
  int64_t lo, hi;
  if (ctxlab_truth_bipartite_exponent(t, &beta, &prefactor, &lo, &hi, NULL) == CTXLAB_OK)
    printf("\n  bipartite-MI exponent: I_BP(n) ~ %.4f n^%.4f bits, fitted on n = %lld..%lld\n",
           prefactor, beta, (long long)lo, (long long)hi);
}

/* DIR/NAME for the data file: the preset's name, else "language". */
static void data_path(char *buf, size_t size, const char *dir, const char *spec) {
  const char *name = ctxlab_preset_find(spec) ? spec : "language";
  snprintf(buf, size, "%s/%s.bin", dir, name);
}

int cmd_demo(int argc, char **argv) {
  enum { OPT_OUT = 256, OPT_L, OPT_SEED, OPT_THREADS };
  static const struct option opts[] = {
      {"out", required_argument, 0, OPT_OUT},         {"tokens", required_argument, 0, 'n'},
      {"max-context", required_argument, 0, OPT_L},   {"seed", required_argument, 0, OPT_SEED},
      {"threads", required_argument, 0, OPT_THREADS}, {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},                  {0, 0, 0, 0}};
  const char *dir = "ctxlab-demo";
  uint64_t tokens = 1u << 24, seed = 0;
  long L = 4096, threads = 0;
  int quiet = 0, c, rc;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":n:qh", opts, NULL)) != -1) {
    switch (c) {
      case OPT_OUT: dir = optarg; break;
      case 'n':
        if ((rc = cli_parse_count(optarg, "-n/--tokens", &tokens))) return rc;
        if (tokens == 0) return cli_usage_error("-n: the token count must be at least 1");
        break;
      case OPT_L:
        if ((rc = cli_parse_int(optarg, "--max-context", 2, 1 << 24, &L))) return rc;
        break;
      case OPT_SEED:
        if ((rc = cli_parse_count(optarg, "--seed", &seed))) return rc;
        if (seed > (uint64_t)INT64_MAX) return cli_usage_error("--seed: out of range [0, 2^63 - 1]");
        break;
      case OPT_THREADS:
        if ((rc = cli_parse_int(optarg, "--threads", 1, 1024, &threads))) return rc;
        break;
      case 'q': quiet = 1; break;
      case 'h': return fputs(help, stdout), CLI_EXIT_OK;
      default: return cli_bad_option(c, argv);
    }
  }
  if (optind < argc - 1) return cli_usage_error("demo takes at most one SPEC");
  const char *spec = optind < argc ? argv[optind] : "santa-fe";

  ctxlab_error err = {0};
  ctxlab_lang *lang = NULL;
  ctxlab_truth truth = {0};
  json_t *full = NULL;
  char *text = NULL;
  rc = CLI_EXIT_OK;
  if (ctxlab_lang_new(spec, &lang, &err)) goto fail;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    ctxlab_error_set(&err, CTXLAB_EINVAL, "%s: cannot create the output directory: %s", dir,
                     strerror(errno));
    goto fail;
  }
  json_t *canonical = ctxlab_lang_canonical_spec(lang);
  char *spec_text = json_dumps(canonical, JSON_COMPACT | JSON_REAL_PRECISION(17));
  printf("ctxlab demo: %s, a %s language over %u tokens\n  spec: %s\n\n", spec,
         ctxlab_lang_family(lang), ctxlab_lang_vocab_size(lang), spec_text ? spec_text : "?");
  free(spec_text);
  json_decref(canonical);

  char path[4096];
  data_path(path, sizeof path, dir, spec);
  ctxlab_dataset_options o = {CTXLAB_FORMAT_BIN, seed, tokens, 0, 0, (int)threads, NULL, NULL};
  if (cli_write_dataset(lang, path, &o, 16, quiet, &err)) goto fail;
  putchar('\n');

  ctxlab_theory_options topt;
  ctxlab_theory_options_init(&topt);
  topt.threads = (int)threads;
  topt.max_context = (size_t)L;
  double t0 = cli_now();
  if (ctxlab_theory_compute(lang, &topt, &truth, &err)) goto fail;
  printf("truth up to context %ld (computed in %.2f s):\n", L, cli_now() - t0);
  print_truth(&truth);

  char truth_path[4200];
  snprintf(truth_path, sizeof truth_path, "%s/truth.json", dir);
  full = ctxlab_truth_to_json(lang, &truth);
  text = full ? json_dumps(full, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
  if (!text) {
    ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory");
    goto fail;
  }
  if (ctxlab_write_file_atomic(truth_path, text, strlen(text), &err)) goto fail;
  printf("\nall curves: %s (see `ctxlab theory --help`)\n", truth_path);
  goto done;
fail:
  rc = cli_fail(&err);
done:
  free(text);
  json_decref(full);
  ctxlab_truth_free(&truth);
  ctxlab_lang_free(lang);
  return rc;
}
