/* ctxlab demo: the main job.  On a language with a power-law Bayes risk,
 * sweep add-beta n-grams over context x data (and a small transformer at a
 * few points), set every measured loss beside the exact Bayes risk and the
 * theory's prediction, print the optimal context c*(D) measured and
 * predicted with the fitted scaling exponents, and write the report. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep_cli.h"
#include "core/json_spec.h"
#include "ctxlab/report.h"
#include "ctxlab/sim.h"

static const char help[] =
    "usage: ctxlab demo [SPEC] [options]\n"
    "\n"
    "The main job.  On the language SPEC (default: the preset santa-fe-small, a Santa\n"
    "Fe-style latent language with a power-law Bayes risk), train add-beta n-grams\n"
    "(beta = 0.5) of every order 0..C on 10^3..D tokens, and a small transformer at a\n"
    "few points; compare each measured loss with the exact Bayes risk H(c) and with\n"
    "the loss the theory predicts before training; print the optimal order c*(D),\n"
    "measured and predicted, and the fitted scaling exponents; and write the report\n"
    "(report.ipynb, PNG plots, CSV tables) into DIR (the transformer's into\n"
    "DIR/transformer).  Interrupted, it resumes where it stopped when run again.\n"
    "\n"
    "  --out DIR            output directory (default ctxlab-demo)\n"
    "  --experiment FILE    run this experiment (see `ctxlab sweep --help`) instead of\n"
    "                       the built-in grid; SPEC and the grid options then do not apply\n"
    "  --max-context C      n-gram orders 0..C (default 8)\n"
    "  --max-tokens D       training sets of 10^3, 10^4, ... tokens up to D (default 10^7)\n"
    "  --seeds K            training seeds per point, 1..K (default 2)\n"
    "  --no-transformer     skip the transformer points\n"
    "  --jobs N             points run in N processes at once (default: the cores)\n"
    "  -q, --quiet          no progress on stderr\n";

typedef struct demo_args {
  const char *spec, *dir, *experiment;
  long max_context, seeds, jobs;
  uint64_t max_tokens;
  int transformer, quiet;
} demo_args;

/* The built-in experiments, as JSON text (free()): the n-gram grid, and the
 * transformer at contexts 2, 4, 8 and 10^4..10^6 tokens (within the grid). */
static char *ngram_experiment(const demo_args *a, const json_t *language) {
  json_t *contexts = json_array(), *sizes = json_array(), *seeds = json_array();
  for (long c = 0; c <= a->max_context; ++c) json_array_append_new(contexts, json_integer(c));
  for (uint64_t D = 1000; D <= a->max_tokens; D *= 10) /* max_tokens <= 2^32: no overflow */
    json_array_append_new(sizes, json_integer((json_int_t)D));
  for (long s = 1; s <= a->seeds; ++s) json_array_append_new(seeds, json_integer(s));
  json_t *e = json_pack("{s:O, s:[{s:s, s:s, s:f}], s:{s:o, s:o, s:o}, s:i}", "language",
                        language, "models", "model", "ngram", "smoothing", "add-beta", "beta", 0.5,
                        "grid", "context", contexts, "train_tokens", sizes, "seed", seeds,
                        "eval_tokens", 65536);
  char *text = e ? json_dumps(e, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
  json_decref(e);
  return text;
}

static char *transformer_experiment(const demo_args *a, const json_t *language) {
  json_t *contexts = json_array(), *sizes = json_array();
  for (long c = 2; c <= 8 && c <= a->max_context; c *= 2)
    json_array_append_new(contexts, json_integer(c));
  for (uint64_t D = 10000; D <= 1000000 && D <= a->max_tokens; D *= 10)
    json_array_append_new(sizes, json_integer((json_int_t)D));
  if (!json_array_size(contexts) || !json_array_size(sizes)) {
    json_decref(contexts);
    json_decref(sizes);
    return NULL;
  }
  json_t *e = json_pack("{s:O, s:[{s:s, s:i, s:i, s:i, s:i, s:i, s:f}], s:{s:o, s:o, s:[i]}, s:i}",
                        "language", language, "models", "model", "transformer", "layers", 2,
                        "heads", 2, "dim", 32, "steps", 4000, "batch", 128, "lr", 0.003, "grid",
                        "context", contexts, "train_tokens", sizes, "seed", 1, "eval_tokens",
                        65536);
  char *text = e ? json_dumps(e, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
  json_decref(e);
  return text;
}

static double number(const json_t *o, const char *group, const char *key) {
  const json_t *v = json_object_get(group ? json_object_get(o, group) : o, key);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

/* "ngram add-beta", "transformer", ... (an experiment's model entry) */
static void model_label(const json_t *m, char *buf, size_t size) {
  const char *kind = json_string_value(json_object_get(m, "model"));
  const char *smoothing = json_string_value(json_object_get(m, "smoothing"));
  snprintf(buf, size, "%s%s%s", kind ? kind : "?", smoothing ? " " : "",
           smoothing ? smoothing : "");
}

/* A context, or "-" where there is none (null: no points, no prediction). */
static void context_text(const json_t *c, char *buf, size_t size) {
  if (json_is_integer(c))
    snprintf(buf, size, "%lld", (long long)json_integer_value(c));
  else
    snprintf(buf, size, "-");
}

static void print_optimal_context(const json_t *summary) {
  const json_t *list = json_object_get(summary, "optimal_context"), *o;
  size_t i;
  const json_t *shown = NULL;
  json_array_foreach(list, i, o) {
    const json_t *model = json_object_get(o, "model");
    if (!shown || !json_equal(shown, model)) {
      char label[128];
      model_label(model, label, sizeof label);
      printf("\n  optimal context c*(D), %s (loss in bits, mean over seeds):\n", label);
      printf("  %10s  %8s  %9s  %12s  %12s\n", "D tokens", "c* meas.", "c* pred.", "loss meas.",
             "loss pred.");
      shown = model;
    }
    char measured[16], predicted[16];
    context_text(json_object_get(o, "measured"), measured, sizeof measured);
    context_text(json_object_get(o, "predicted"), predicted, sizeof predicted);
    printf("  %10lld  %8s  %9s  %12.4f  %12.4f\n",
           (long long)json_integer_value(json_object_get(o, "train_tokens")), measured, predicted,
           number(o, NULL, "measured_loss_bits"), number(o, NULL, "predicted_loss_bits"));
  }
}

static void print_fits(const json_t *summary) {
  const json_t *fits = json_object_get(summary, "fits"), *f;
  const json_t *bayes = json_object_get(fits, "bayes_exact");
  if (json_is_object(bayes))
    printf("\n  Bayes risk H(c) = C0 + C c^-gamma (exact curve, c >= 1): C0 = %.4f, C = %.4f,\n"
           "    gamma = %.4f +- %.4f (R^2 = %.5f)\n",
           number(bayes, "params", "C0"), number(bayes, "params", "C"),
           number(bayes, "params", "gamma"), number(bayes, "stderr", "gamma"),
           number(bayes, NULL, "r2"));
  const json_t *approx = json_object_get(fits, "approx_vs_data");
  size_t i;
  if (json_array_size(approx)) {
    printf("\n  approximation loss KL ~ A D^-alpha, per context (fitted to the measured KL):\n");
    printf("  %7s  %10s  %10s  %8s\n", "context", "alpha", "+-", "R^2");
  }
  json_array_foreach(approx, i, f)
    printf("  %7lld  %10.4f  %10.4f  %8.4f\n",
           (long long)json_integer_value(json_object_get(f, "context")),
           number(f, "params", "alpha"), number(f, "stderr", "alpha"), number(f, NULL, "r2"));
  const json_t *lin = json_object_get(fits, "entropy_linear");
  if (json_is_object(lin))
    printf("\n  entropy relation H(0) - H(c) = k S(c) + b: k = %.4f +- %.4f, b = %.4f +- %.4f\n",
           number(lin, "params", "k"), number(lin, "stderr", "k"), number(lin, "params", "b"),
           number(lin, "stderr", "b"));
}

/* Each point's loss at its full context beside H(c), from results.jsonl. */
static int print_points(const char *dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/results.jsonl", dir);
  FILE *f = fopen(path, "r");
  if (!f) return CLI_EXIT_OK;
  printf("\n  %7s  %10s  %4s  %12s  %10s  %10s  %14s\n", "context", "D tokens", "seed",
         "loss (bits)", "H(c)", "KL", "KV cache floats");
  char *line = NULL;
  size_t cap = 0;
  json_t **rows = NULL;
  size_t n = 0;
  while (getline(&line, &cap, f) > 0) {
    json_t *row = json_loads(line, 0, NULL), **grown = realloc(rows, (n + 1) * sizeof *rows);
    if (!row || !grown) {
      json_decref(row);
      if (grown) rows = grown;
      break;
    }
    rows = grown;
    rows[n++] = row;
  }
  free(line);
  fclose(f);
  for (size_t k = 0; k < n; ++k) /* grid order, whatever the completion order */
    for (size_t i = 0; i < n; ++i) {
      if (number(rows[i], NULL, "index") != (double)k) continue;
      printf("  %7.0f  %10.0f  %4.0f  %12.4f  %10.4f  %10.4f  %14.0f\n",
             number(rows[i], NULL, "context"), number(rows[i], NULL, "train_tokens"),
             number(rows[i], NULL, "seed"), number(rows[i], "measured", "loss_bits"),
             number(rows[i], "predicted", "bayes_bits"), number(rows[i], "measured", "kl_bits"),
             number(rows[i], "measured", "history_state_floats"));
    }
  for (size_t i = 0; i < n; ++i) json_decref(rows[i]);
  free(rows);
  return CLI_EXIT_OK;
}

/* Run an experiment into dir, print its summary (the optimal contexts and
 * fits, or with points set each point), write its report. */
static int run_one(const demo_args *a, const char *experiment, const char *dir, int points) {
  const sweep_args sa = {experiment, dir, 0, (int)a->jobs, a->quiet};
  int rc = cli_sweep_run(&sa);
  if (rc) return rc;
  char path[4200];
  snprintf(path, sizeof path, "%s/summary.json", dir);
  ctxlab_error err = {0};
  json_t *summary = NULL;
  if (ctxlab_json_load_file(path, &summary, &err)) return cli_fail(&err);
  if (points) {
    print_points(dir);
  } else {
    print_optimal_context(summary);
    print_fits(summary);
  }
  json_decref(summary);
  ctxlab_report_options ro = {0};
  if (ctxlab_report_write(dir, &ro, &err)) return cli_fail(&err);
  printf("\n  report: %s/report.ipynb, with its PNG plots and CSV tables\n", dir);
  return CLI_EXIT_OK;
}

static int run_demo(const demo_args *a) {
  if (a->experiment) {
    printf("ctxlab demo: experiment %s -> %s\n", a->experiment, a->dir);
    return run_one(a, a->experiment, a->dir, 0);
  }
  ctxlab_error err = {0};
  ctxlab_lang *lang = NULL;
  if (ctxlab_lang_new(a->spec, &lang, &err)) return cli_fail(&err);
  json_t *language = ctxlab_lang_canonical_spec(lang);
  char *ngram = language ? ngram_experiment(a, language) : NULL;
  char *transformer = language && a->transformer ? transformer_experiment(a, language) : NULL;
  char *spec_text = language ? json_dumps(language, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
  int rc = CLI_EXIT_OK;
  if (!ngram || !spec_text) {
    ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory");
    rc = cli_fail(&err);
    goto cleanup;
  }
  printf("ctxlab demo: %s, a %s language over %u tokens -> %s\n  spec: %s\n", a->spec,
         ctxlab_lang_family(lang), ctxlab_lang_vocab_size(lang), a->dir, spec_text);
  printf("\n  add-beta n-grams of order 0..%ld on 10^3..%llu tokens, %ld seed(s)\n",
         a->max_context, (unsigned long long)a->max_tokens, a->seeds);
  fflush(stdout);
  if ((rc = run_one(a, ngram, a->dir, 0))) goto cleanup;
  if (transformer) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/transformer", a->dir);
    printf("\n  a small transformer (d = 32, 2 layers, 2 heads, 4000 steps of 128 windows) at a few "
           "points:\n  its loss at full context against the Bayes risk, and the KV cache it "
           "carries\n");
    fflush(stdout);
    rc = run_one(a, transformer, dir, 1);
  }
cleanup:
  free(spec_text);
  free(ngram);
  free(transformer);
  json_decref(language);
  ctxlab_lang_free(lang);
  return rc;
}

int cmd_demo(int argc, char **argv) {
  enum { OPT_OUT = 256, OPT_EXPERIMENT, OPT_CONTEXT, OPT_TOKENS, OPT_SEEDS, OPT_NO_TF, OPT_JOBS };
  static const struct option opts[] = {
      {"out", required_argument, 0, OPT_OUT},
      {"experiment", required_argument, 0, OPT_EXPERIMENT},
      {"max-context", required_argument, 0, OPT_CONTEXT},
      {"max-tokens", required_argument, 0, OPT_TOKENS},
      {"seeds", required_argument, 0, OPT_SEEDS},
      {"no-transformer", no_argument, 0, OPT_NO_TF},
      {"jobs", required_argument, 0, OPT_JOBS},
      {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  demo_args a = {"santa-fe-small", "ctxlab-demo", NULL, 8, 2, cores > 0 ? cores : 1, 10000000,
                 1, 0};
  int c, rc;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
    switch (c) {
      case OPT_OUT:
        if (!*optarg) return cli_usage_error("--out: the directory name is empty");
        a.dir = optarg;
        break;
      case OPT_EXPERIMENT: a.experiment = optarg; break;
      case OPT_CONTEXT:
        if ((rc = cli_parse_int(optarg, "--max-context", 0, 64, &a.max_context))) return rc;
        break;
      case OPT_TOKENS:
        if ((rc = cli_parse_count(optarg, "--max-tokens", &a.max_tokens))) return rc;
        if (a.max_tokens < 1000 || a.max_tokens > CTXLAB_NGRAM_MAX_TRAIN_TOKENS)
          return cli_usage_error("--max-tokens: from 1000 to 2^32 (the n-gram's limit)");
        break;
      case OPT_SEEDS:
        if ((rc = cli_parse_int(optarg, "--seeds", 1, 100, &a.seeds))) return rc;
        break;
      case OPT_NO_TF: a.transformer = 0; break;
      case OPT_JOBS:
        if ((rc = cli_parse_int(optarg, "--jobs", 1, 1024, &a.jobs))) return rc;
        break;
      case 'q': a.quiet = 1; break;
      case 'h': return fputs(help, stdout), CLI_EXIT_OK;
      default: return cli_bad_option(c, argv);
    }
  }
  if (optind < argc - 1) return cli_usage_error("demo takes at most one SPEC");
  if (optind < argc) {
    if (a.experiment) return cli_usage_error("give either SPEC or --experiment, not both");
    a.spec = argv[optind];
  }
  return run_demo(&a);
}
