/* ctxlab eval: measure a trained model against the Bayes oracle. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ctxlab/tokens.h"
#include "sim/model_config.h"

static const char help[] =
    "usage: ctxlab eval CHECKPOINT [--spec SPEC] [--eval-tokens N] [--context T] [options]\n"
    "       ctxlab eval CHECKPOINT --tokens FILE [--context T] [options]\n"
    "\n"
    "Evaluate a trained model (a checkpoint of `ctxlab train --save`) on windows of T+1\n"
    "tokens: for every context c = 1..T the mean loss, the oracle's Bayes risk on the\n"
    "same windows and the KL from the oracle's distribution to the model's.\n"
    "\n"
    "  --spec SPEC        fresh samples of this language (default: the checkpoint's)\n"
    "  --eval-tokens N    scored tokens (default 65536)\n"
    "  --seed S           the eval set: sequences of `ctxlab gen --seed S` (default: the\n"
    "                     eval set `ctxlab train` used)\n"
    "  --tokens FILE      windows cut from a token file instead (tail dropped); the\n"
    "                     oracle comes from its manifest's spec\n"
    "  --context T        window length (default: the model's training context); the\n"
    "                     transformer and rnn accept longer contexts than they saw\n"
    "  --threads N        threads (default: all cores)\n"
    "  --out PATH         write the JSON here (default: stdout)\n"
    "\n"
    "Position handling of a transformer, applied at evaluation only (context extension;\n"
    "the weights are unchanged, and the checkpoint's training context stays L_train in\n"
    "the formulas); the JSON's \"model\" is the config evaluated:\n"
    "  --rope-scaling none|pi|ntk|ntk-by-parts|yarn   --rope-factor S   --rope-base B\n"
    "  --yarn-alpha A --yarn-beta B                   (ntk-by-parts and yarn ramp)\n"
    "  --logit-scaling none|eabf|log-n --logit-scaling-skip-layers K\n";

int cmd_eval(int argc, char **argv) {
  enum { OPT_SPEC = 256, OPT_EVAL_TOKENS, OPT_SEED, OPT_TOKENS, OPT_CONTEXT, OPT_THREADS, OPT_OUT,
         OPT_POSITION };
  static const struct option opts[] = {
      {"spec", required_argument, 0, OPT_SPEC},      {"eval-tokens", required_argument, 0, OPT_EVAL_TOKENS},
      {"seed", required_argument, 0, OPT_SEED},      {"tokens", required_argument, 0, OPT_TOKENS},
      {"context", required_argument, 0, OPT_CONTEXT}, {"threads", required_argument, 0, OPT_THREADS},
      {"out", required_argument, 0, OPT_OUT},        {"help", no_argument, 0, 'h'},
      {"rope-base", required_argument, 0, OPT_POSITION},
      {"rope-scaling", required_argument, 0, OPT_POSITION},
      {"rope-factor", required_argument, 0, OPT_POSITION},
      {"yarn-alpha", required_argument, 0, OPT_POSITION},
      {"yarn-beta", required_argument, 0, OPT_POSITION},
      {"logit-scaling", required_argument, 0, OPT_POSITION},
      {"logit-scaling-skip-layers", required_argument, 0, OPT_POSITION},
      /* the other model options of `ctxlab train`, to say why they are refused */
      {"dim", required_argument, 0, OPT_POSITION},
      {"layers", required_argument, 0, OPT_POSITION},
      {"heads", required_argument, 0, OPT_POSITION},
      {"hidden", required_argument, 0, OPT_POSITION},
      {"state-size", required_argument, 0, OPT_POSITION},
      {"cell", required_argument, 0, OPT_POSITION},
      {"smoothing", required_argument, 0, OPT_POSITION},
      {"beta", required_argument, 0, OPT_POSITION},
      {"kn-discount", required_argument, 0, OPT_POSITION},
      {0, 0, 0, 0}};
  enum { MAX_POSITION = 16 };
  const char *position_option[MAX_POSITION], *position_value[MAX_POSITION];
  int n_position = 0, index;
  const char *spec = NULL, *tokens = NULL, *out = "-";
  uint64_t eval_tokens = 65536, seed = 0, context = 0;
  int have_seed = 0, have_eval_tokens = 0, c, rc;
  long threads = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, &index)) != -1) {
    switch (c) {
      case OPT_SPEC: spec = optarg; break;
      case OPT_EVAL_TOKENS:
        if ((rc = cli_parse_count(optarg, "--eval-tokens", &eval_tokens))) return rc;
        if (eval_tokens == 0) return cli_usage_error("--eval-tokens must be at least 1");
        have_eval_tokens = 1;
        break;
      case OPT_SEED:
        if ((rc = cli_parse_count(optarg, "--seed", &seed))) return rc;
        have_seed = 1;
        break;
      case OPT_TOKENS: tokens = optarg; break;
      case OPT_CONTEXT:
        if ((rc = cli_parse_count(optarg, "--context", &context))) return rc;
        if (context == 0 || context > (1u << 20))
          return cli_usage_error("--context: %s is out of range [1, 2^20]", optarg);
        break;
      case OPT_THREADS:
        if ((rc = cli_parse_int(optarg, "--threads", 1, 1024, &threads))) return rc;
        break;
      case OPT_OUT: out = optarg; break;
      case OPT_POSITION:
        if (n_position == MAX_POSITION) return cli_usage_error("too many position options");
        position_option[n_position] = opts[index].name;
        position_value[n_position++] = optarg;
        break;
      case 'h': return fputs(help, stdout), CLI_EXIT_OK;
      default: return cli_bad_option(c, argv);
    }
  }
  if (optind + 1 != argc) return cli_usage_error("eval needs exactly one CHECKPOINT (see `ctxlab eval --help`)");
  if (tokens && (spec || have_seed || have_eval_tokens))
    return cli_usage_error("--tokens FILE evaluates on that file: --spec, --seed and --eval-tokens do not apply");
  ctxlab_error err = {0};
  ctxlab_model *m = NULL;
  ctxlab_lang *lang = NULL;
  json_t *meta = NULL, *result = NULL;
  ctxlab_token_file *tf = NULL;
  rc = CLI_EXIT_OK;
  if (ctxlab_model_load(argv[optind], &m, &meta, &err)) return cli_fail(&err);
  if (n_position) {
    /* the checkpoint's config with the position options of the command line */
    ctxlab_model_config cfg = *ctxlab_model_get_config(m);
    for (int i = 0; i < n_position; ++i) {
      char where[64];
      snprintf(where, sizeof where, "--%s", position_option[i]);
      if (ctxlab_model_config_override_string(&cfg, ctxlab_model_option_field(position_option[i]),
                                              position_value[i], where, &err))
        goto fail;
    }
    if (ctxlab_model_set_positions(m, &cfg, &err)) {
      ctxlab_error_prefix(&err, "%s with the position options given: ", argv[optind]);
      goto fail;
    }
  }
  const char *lang_text = spec;
  if (tokens) {
    /* the oracle of a token file is the language of its manifest */
    if (ctxlab_token_file_open(tokens, 0, &tf, &err)) goto fail;
    json_t *file_spec = json_object_get(ctxlab_token_file_manifest(tf), "spec");
    if (file_spec && ctxlab_lang_from_json(file_spec, tokens, &lang, &err)) goto fail;
  } else {
    if (!lang_text) lang_text = json_string_value(json_object_get(meta, "language"));
    if (!lang_text) {
      ctxlab_error_set(&err, CTXLAB_EINVAL, "%s names no language: give --spec SPEC", argv[optind]);
      goto fail;
    }
    if (ctxlab_lang_new(lang_text, &lang, &err)) goto fail;
    if (!have_seed) {
      const char *text = json_string_value(json_object_get(meta, "train_options"));
      json_t *train = text ? json_loads(text, 0, NULL) : NULL;
      seed = ctxlab_eval_seed((uint64_t)json_integer_value(json_object_get(train, "seed")));
      json_decref(train);
    }
  }
  uint32_t T = context ? (uint32_t)context : ctxlab_model_get_config(m)->context;
  ctxlab_eval_options eo = {T ? T : 1, eval_tokens, seed, 32, (int)threads};
  if (tokens ? ctxlab_eval_token_file(m, tokens, lang, &eo, &result, &err)
             : ctxlab_eval_lang(m, lang, &eo, &result, &err))
    goto fail;
  if (cli_write_json(result, out, &err)) goto fail;
  goto done;
fail:
  rc = cli_fail(&err);
done:
  ctxlab_token_file_close(tf);
  json_decref(result);
  json_decref(meta);
  ctxlab_lang_free(lang);
  ctxlab_model_free(m);
  return rc;
}
