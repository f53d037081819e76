/* ctxlab theory: the truth of a language as JSON or CSV. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ctxlab/theory.h"
#include "ctxlab/tokens.h"

static const char help[] =
    "usage: ctxlab theory SPEC [options]\n"
    "\n"
    "The truth of the language SPEC, in bits: entropy rate, conditional entropy H(c)\n"
    "(c = 0..L), two-point mutual information I(d) (d = 1..L), bipartite mutual\n"
    "information of a window of n tokens split in halves (n = 2, 4, .., L; needs L >= 2)\n"
    "with its"
    " fitted power-law exponent, and where defined the intrinsic dimension and the\n"
    "intrinsic entropy S(c).  Curves are exact where the family has closed forms,\n"
    "otherwise Monte Carlo estimates through the Bayes oracle with standard errors.\n"
    "\n"
    "  --max-context L   L (default 64)\n"
    "  --format F        json (default) or csv\n"
    "  --method M        auto (default): exact where possible; monte-carlo: estimate\n"
    "                    H(c) and the bipartite MI through the oracle even where exact\n"
    "                    forms exist (to cross-check them)\n"
    "  --samples N       Monte Carlo windows (default 20000)\n"
    "  --seed S          Monte Carlo seed (default 0)\n"
    "  --threads N       threads (default: all cores); results do not depend on N\n"
    "  -o, --output FILE write to FILE (atomically) instead of stdout\n";

static void csv_curve(FILE *f, const char *name, const char *xkey, const ctxlab_curve *c) {
  if (c->n == 0 || c->method == CTXLAB_METHOD_NONE) return;
  for (size_t i = 0; i < c->n; ++i)
    fprintf(f, "%s,%s,%lld,%.17g,%.17g,%s\n", name, xkey, (long long)c->x[i], c->bits[i],
            c->stderr_bits[i], ctxlab_method_name(c->method));
}

/* One row per point: quantity,x_name,x,bits,stderr_bits,method. */
static char *to_csv(const ctxlab_truth *t, size_t *len) {
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  if (!f) return NULL;
  fprintf(f, "quantity,x_name,x,bits,stderr_bits,method\n");
  if (t->entropy_rate_method == CTXLAB_METHOD_BOUNDS) {
    fprintf(f, "entropy_rate_lower,,,%.17g,0,bounds\n", t->entropy_rate_lower_bits);
    fprintf(f, "entropy_rate_upper,,,%.17g,%.17g,bounds\n", t->entropy_rate_upper_bits,
            t->entropy_rate_upper_stderr_bits);
  } else {
    fprintf(f, "entropy_rate,,,%.17g,0,%s\n", t->entropy_rate_bits,
            ctxlab_method_name(t->entropy_rate_method));
  }
  csv_curve(f, "conditional_entropy", "context", &t->conditional_entropy);
  csv_curve(f, "mutual_information", "distance", &t->mutual_information);
  csv_curve(f, "bipartite_mutual_information", "length", &t->bipartite_mutual_information);
  csv_curve(f, "intrinsic_entropy", "context", &t->intrinsic_entropy);
  fclose(f);
  return text;
}

int cmd_theory(int argc, char **argv) {
  enum { OPT_L = 256, OPT_FORMAT, OPT_METHOD, OPT_SAMPLES, OPT_SEED, OPT_THREADS };
  static const struct option opts[] = {
      {"max-context", required_argument, 0, OPT_L}, {"format", required_argument, 0, OPT_FORMAT},
      {"method", required_argument, 0, OPT_METHOD}, {"samples", required_argument, 0, OPT_SAMPLES},
      {"seed", required_argument, 0, OPT_SEED},     {"threads", required_argument, 0, OPT_THREADS},
      {"output", required_argument, 0, 'o'},        {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  ctxlab_theory_options topt;
  ctxlab_theory_options_init(&topt);
  const char *output = NULL;
  int csv = 0, c, rc;
  long L = (long)topt.max_context, threads = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    switch (c) {
      case OPT_L:
        if ((rc = cli_parse_int(optarg, "--max-context", 1, 1 << 24, &L))) return rc;
        break;
      case OPT_FORMAT:
        if (strcmp(optarg, "json") == 0) csv = 0;
        else if (strcmp(optarg, "csv") == 0) csv = 1;
        else return cli_usage_error("--format: expected json or csv, got \"%s\"", optarg);
        break;
      case OPT_METHOD:
        if (strcmp(optarg, "auto") == 0) topt.mode = CTXLAB_THEORY_AUTO;
        else if (strcmp(optarg, "monte-carlo") == 0) topt.mode = CTXLAB_THEORY_MONTE_CARLO;
        else return cli_usage_error("--method: expected auto or monte-carlo, got \"%s\"", optarg);
        break;
      case OPT_SAMPLES:
        if ((rc = cli_parse_count(optarg, "--samples", &topt.samples))) return rc;
        if (topt.samples < 2) return cli_usage_error("--samples: at least 2 are needed");
        break;
      case OPT_SEED:
        if ((rc = cli_parse_count(optarg, "--seed", &topt.seed))) return rc;
        if (topt.seed > (uint64_t)INT64_MAX)
          return cli_usage_error("--seed: out of range [0, 2^63 - 1]");
        break;
      case OPT_THREADS:
        if ((rc = cli_parse_int(optarg, "--threads", 1, 1024, &threads))) return rc;
        break;
      case 'o': output = optarg; break;
      case 'h': return fputs(help, stdout), CLI_EXIT_OK;
      default: return cli_bad_option(c, argv);
    }
  }
  if ((rc = cli_one_spec(argc, argv))) return rc;
  topt.max_context = (size_t)L;
  topt.threads = (int)threads;

  ctxlab_error err = {0};
  ctxlab_lang *lang = NULL;
  ctxlab_truth truth = {0};
  char *text = NULL;
  size_t len = 0;
  rc = CLI_EXIT_OK;
  if (ctxlab_lang_new(argv[optind], &lang, &err) ||
      ctxlab_theory_compute(lang, &topt, &truth, &err)) {
    rc = cli_fail(&err);
    goto done;
  }
  if (csv) {
    text = to_csv(&truth, &len);
  } else {
    json_t *obj = ctxlab_truth_to_json(lang, &truth);
    text = obj ? json_dumps(obj, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(obj);
    if (text) {
      len = strlen(text) + 1;
      text = realloc(text, len + 1);
      if (text) strcat(text, "\n");
    }
  }
  if (!text) {
    ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory while formatting the result");
    rc = cli_fail(&err);
  } else if (output) {
    if (ctxlab_write_file_atomic(output, text, strlen(text), &err)) rc = cli_fail(&err);
  } else {
    fputs(text, stdout);
  }
done:
  free(text);
  ctxlab_truth_free(&truth);
  ctxlab_lang_free(lang);
  return rc;
}
