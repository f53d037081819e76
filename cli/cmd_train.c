/* ctxlab train: train a toy model on a language and measure it against the oracle. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ctxlab/version.h"
#include "sim/model_config.h"

static const char help[] =
    "usage: ctxlab train SPEC --model KIND --context T (--train-tokens D | --steps N) [options]\n"
    "       ctxlab train --resume CHECKPOINT [--save PATH] [--out run.json]\n"
    "\n"
    "Train a model on samples of the language SPEC, then evaluate it on fresh samples\n"
    "against the Bayes oracle for every context length 1..T.  Writes run.json (config,\n"
    "parameter count, history-state size, training curve, tokens/s, and the eval).\n"
    "\n"
    "model:\n"
    "  --model KIND            ngram, mlp, transformer or rnn\n"
    "  --context T             ngram: order (previous tokens seen); mlp: window;\n"
    "                          transformer, rnn: training length\n"
    "  --dim D --layers L --heads H --hidden W --state-size S --cell lru|gru\n"
    "  --smoothing add-beta|kneser-ney --beta B --kn-discount D     (ngram)\n"
    "  --rope-base B --rope-scaling none|pi|ntk|ntk-by-parts|yarn --rope-factor S\n"
    "  --yarn-alpha A --yarn-beta B --logit-scaling none|eabf|log-n\n"
    "  --logit-scaling-skip-layers K                                  (transformer)\n"
    "training:\n"
    "  --train-tokens D        a fixed training set of D tokens (several epochs, early\n"
    "                          stopping on a held-out set); ngram: counts D tokens\n"
    "  --steps N               updates (fresh samples every step when D is not given)\n"
    "  --batch B               windows of T+1 tokens per update (default 32)\n"
    "  --lr R                  peak learning rate (default 1e-3; warmup 5%, cosine to 10%)\n"
    "  --weight-decay W        AdamW decay of matrices (default 0.1)\n"
    "  --epochs E              at most E passes over D (default 50)\n"
    "  --patience P            held-out evaluations without improvement (default 3; 0 off)\n"
    "  --seed S                data, initialisation and order (default 1)\n"
    "  --threads N             threads (default: all cores)\n"
    "evaluation and output:\n"
    "  --eval-tokens N         scored tokens of fresh samples (default 65536; 0: none)\n"
    "  --eval-context T        window length for the eval (default: --context)\n"
    "  --out PATH              run.json (default: stdout)\n"
    "  --save PATH             checkpoint (safetensors, optimizer state included); also\n"
    "                          written when interrupted, so the run can be resumed\n"
    "  --resume PATH           continue the run of that checkpoint to its end\n"
    "  --pause-after N         stop after N more steps, save the checkpoint (--save) and\n"
    "                          exit 0; --resume continues it (for time-limited jobs)\n"
    "  -q, --quiet             no progress on stderr\n";

typedef struct progress_ctx {
  cli_progress p;
  uint64_t pause_at; /* stop at this step (0: never) */
  int paused;
} progress_ctx;

static int on_progress(void *ctx, const ctxlab_train_progress_info *info) {
  progress_ctx *pc = ctx;
  snprintf(pc->p.note, sizeof pc->p.note, "loss %.4f bits", info->loss_bits);
  if (pc->pause_at && info->step >= pc->pause_at && info->step < info->total_steps) {
    pc->paused = 1;
    return 1;
  }
  return cli_progress_update(&pc->p, info->step, info->total_steps);
}

enum {
  OPT_MODEL = 256, OPT_CONTEXT, OPT_TRAIN_TOKENS, OPT_STEPS, OPT_BATCH, OPT_LR, OPT_WD,
  OPT_EPOCHS, OPT_PATIENCE, OPT_SEED, OPT_THREADS, OPT_EVAL_TOKENS, OPT_EVAL_CONTEXT, OPT_OUT,
  OPT_SAVE, OPT_RESUME, OPT_PAUSE, OPT_MODEL_FIELD
};

int cmd_train(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, 0, OPT_MODEL},
      {"context", required_argument, 0, OPT_CONTEXT},
      {"train-tokens", required_argument, 0, OPT_TRAIN_TOKENS},
      {"steps", required_argument, 0, OPT_STEPS},
      {"batch", required_argument, 0, OPT_BATCH},
      {"lr", required_argument, 0, OPT_LR},
      {"weight-decay", required_argument, 0, OPT_WD},
      {"epochs", required_argument, 0, OPT_EPOCHS},
      {"patience", required_argument, 0, OPT_PATIENCE},
      {"seed", required_argument, 0, OPT_SEED},
      {"threads", required_argument, 0, OPT_THREADS},
      {"eval-tokens", required_argument, 0, OPT_EVAL_TOKENS},
      {"eval-context", required_argument, 0, OPT_EVAL_CONTEXT},
      {"out", required_argument, 0, OPT_OUT},
      {"save", required_argument, 0, OPT_SAVE},
      {"resume", required_argument, 0, OPT_RESUME},
      {"pause-after", required_argument, 0, OPT_PAUSE},
      {"dim", required_argument, 0, OPT_MODEL_FIELD},
      {"layers", required_argument, 0, OPT_MODEL_FIELD},
      {"heads", required_argument, 0, OPT_MODEL_FIELD},
      {"hidden", required_argument, 0, OPT_MODEL_FIELD},
      {"state-size", required_argument, 0, OPT_MODEL_FIELD},
      {"cell", required_argument, 0, OPT_MODEL_FIELD},
      {"smoothing", required_argument, 0, OPT_MODEL_FIELD},
      {"beta", required_argument, 0, OPT_MODEL_FIELD},
      {"kn-discount", required_argument, 0, OPT_MODEL_FIELD},
      {"rope-base", required_argument, 0, OPT_MODEL_FIELD},
      {"rope-scaling", required_argument, 0, OPT_MODEL_FIELD},
      {"rope-factor", required_argument, 0, OPT_MODEL_FIELD},
      {"yarn-alpha", required_argument, 0, OPT_MODEL_FIELD},
      {"yarn-beta", required_argument, 0, OPT_MODEL_FIELD},
      {"logit-scaling", required_argument, 0, OPT_MODEL_FIELD},
      {"logit-scaling-skip-layers", required_argument, 0, OPT_MODEL_FIELD},
      {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  enum { MAX_FIELDS = 32 };
  const char *field_key[MAX_FIELDS], *field_value[MAX_FIELDS], *field_option[MAX_FIELDS];
  int n_fields = 0;
  const char *model = NULL, *out = "-", *save = NULL, *resume = NULL;
  ctxlab_train_options o;
  ctxlab_train_options_init(&o);
  uint64_t context = 0, eval_tokens = 65536, eval_context = 0, pause_after = 0;
  int have_context = 0, quiet = 0, c, rc, index;
  long l;
  char *end;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":qh", opts, &index)) != -1) {
    switch (c) {
      case OPT_MODEL: model = optarg; break;
      case OPT_CONTEXT:
        if ((rc = cli_parse_count(optarg, "--context", &context))) return rc;
        have_context = 1;
        break;
      case OPT_TRAIN_TOKENS:
        if ((rc = cli_parse_count(optarg, "--train-tokens", &o.train_tokens))) return rc;
        break;
      case OPT_STEPS:
        if ((rc = cli_parse_count(optarg, "--steps", &o.steps))) return rc;
        break;
      case OPT_BATCH:
        if ((rc = cli_parse_int(optarg, "--batch", 1, 1 << 20, &l))) return rc;
        o.batch = (uint32_t)l;
        break;
      case OPT_LR:
      case OPT_WD: {
        double x = strtod(optarg, &end);
        if (end == optarg || *end || !isfinite(x) || x < 0 || (c == OPT_LR && x == 0))
          return cli_usage_error("%s: '%s' is not a %s number", c == OPT_LR ? "--lr" : "--weight-decay",
                                 optarg, c == OPT_LR ? "positive" : "non-negative");
        *(c == OPT_LR ? &o.lr : &o.weight_decay) = x;
        break;
      }
      case OPT_EPOCHS:
        if ((rc = cli_parse_int(optarg, "--epochs", 1, 1 << 30, &l))) return rc;
        o.max_epochs = (uint32_t)l;
        break;
      case OPT_PATIENCE:
        if ((rc = cli_parse_int(optarg, "--patience", 0, 1 << 30, &l))) return rc;
        o.patience = (uint32_t)l;
        break;
      case OPT_SEED:
        if ((rc = cli_parse_count(optarg, "--seed", &o.seed))) return rc;
        break;
      case OPT_THREADS:
        if ((rc = cli_parse_int(optarg, "--threads", 1, 1024, &l))) return rc;
        o.threads = (int)l;
        break;
      case OPT_EVAL_TOKENS:
        if ((rc = cli_parse_count(optarg, "--eval-tokens", &eval_tokens))) return rc;
        break;
      case OPT_EVAL_CONTEXT:
        if ((rc = cli_parse_count(optarg, "--eval-context", &eval_context))) return rc;
        if (eval_context == 0 || eval_context > (1u << 20))
          return cli_usage_error("--eval-context: %s is out of range [1, 2^20]", optarg);
        break;
      case OPT_OUT: out = optarg; break;
      case OPT_SAVE: save = optarg; break;
      case OPT_RESUME: resume = optarg; break;
      case OPT_PAUSE:
        if ((rc = cli_parse_count(optarg, "--pause-after", &pause_after))) return rc;
        if (pause_after == 0) return cli_usage_error("--pause-after must be at least 1");
        break;
      case OPT_MODEL_FIELD:
        if (n_fields == MAX_FIELDS) return cli_usage_error("too many model options");
        if (!cli_model_option(opts[index].name, &field_key[n_fields]))
          return cli_usage_error("--%s: not a model option", opts[index].name);
        field_option[n_fields] = opts[index].name;
        field_value[n_fields++] = optarg;
        break;
      case 'q': quiet = 1; break;
      case 'h': return fputs(help, stdout), CLI_EXIT_OK;
      default: return cli_bad_option(c, argv);
    }
  }
  if (pause_after && !save) return cli_usage_error("--pause-after needs --save PATH for the checkpoint");
  ctxlab_error err = {0};
  ctxlab_lang *lang = NULL;
  ctxlab_model *m = NULL;
  json_t *meta = NULL, *train_report = NULL, *eval = NULL, *run = NULL;
  rc = CLI_EXIT_OK;
  if (resume) {
    if (model || have_context || n_fields || optind < argc)
      return cli_usage_error("--resume takes the language, model and training options from the "
                             "checkpoint: give only --save, --out, --threads, --eval-*, -q");
    if (ctxlab_model_load(resume, &m, &meta, &err)) return cli_fail(&err);
    const char *spec = json_string_value(json_object_get(meta, "language"));
    if (!spec) {
      ctxlab_error_set(&err, CTXLAB_EFORMAT, "%s: the checkpoint names no language", resume);
      rc = cli_fail(&err);
      goto done;
    }
    if (ctxlab_lang_new(spec, &lang, &err)) {
      ctxlab_error_prefix(&err, "%s: language: ", resume);
      rc = cli_fail(&err);
      goto done;
    }
  } else {
    if ((rc = cli_one_spec(argc, argv))) return rc;
    if (!model) return cli_usage_error("train needs --model ngram|mlp|transformer|rnn");
    if (!have_context) return cli_usage_error("train needs --context T");
    if (context > (1u << 20)) return cli_usage_error("--context: at most 2^20");
    ctxlab_model_config cfg;
    if (ctxlab_model_config_init(&cfg, model, &err)) return cli_fail(&err);
    for (int i = 0; i < n_fields; ++i) {
      char where[64];
      snprintf(where, sizeof where, "--%s", field_option[i]);
      if (ctxlab_model_config_set_string(&cfg, field_key[i], field_value[i], where, &err))
        return cli_fail(&err);
    }
    cfg.context = (uint32_t)context;
    if (ctxlab_lang_new(argv[optind], &lang, &err)) return cli_fail(&err);
    cfg.vocab_size = ctxlab_lang_vocab_size(lang);
    if (ctxlab_model_new(&cfg, o.seed, &m, &err)) {
      rc = cli_fail(&err);
      goto done;
    }
  }
  o.checkpoint = save;
  progress_ctx pc = {.pause_at = 0, .paused = 0};
  cli_progress_start(&pc.p, "train", "steps", quiet);
  o.progress = on_progress;
  o.progress_ctx = &pc;
  cli_catch_interrupts();
  if (pause_after) {
    uint64_t done = 0;
    if (resume) {
      const char *state = json_string_value(json_object_get(meta, "train_state"));
      json_t *j = state ? json_loads(state, 0, NULL) : NULL;
      done = (uint64_t)json_integer_value(json_object_get(j, "step"));
      json_decref(j);
    }
    pc.pause_at = done + pause_after;
  }
  int st = ctxlab_train(lang, m, &o, resume, &train_report, &err);
  cli_progress_finish(&pc.p);
  if (st == CTXLAB_ECANCELED && pc.paused) {
    fprintf(stderr, "ctxlab: paused after step %llu; checkpoint saved to %s; continue with "
                    "`ctxlab train --resume %s`\n", (unsigned long long)pc.pause_at, save, save);
    goto done;
  }
  if (st) {
    if (st == CTXLAB_ECANCELED && save)
      fprintf(stderr, "ctxlab: checkpoint saved to %s; continue with `ctxlab train --resume %s`\n",
              save, save);
    rc = cli_fail(&err);
    goto done;
  }
  if (eval_tokens) {
    uint32_t T = ctxlab_model_get_config(m)->context;
    json_int_t seed = json_integer_value(json_object_get(json_object_get(train_report, "options"), "seed"));
    ctxlab_eval_options eo = {eval_context ? (uint32_t)eval_context : T ? T : 1, eval_tokens,
                              ctxlab_eval_seed((uint64_t)seed), 32, o.threads};
    if (ctxlab_eval_lang(m, lang, &eo, &eval, &err)) {
      rc = cli_fail(&err);
      goto done;
    }
  }
  run = json_pack("{s:s, s:o, s:o, s:I, s:f, s:O}", "ctxlab_version", CTXLAB_VERSION_STRING,
                  "language", ctxlab_lang_canonical_spec(lang), "model", ctxlab_model_config_json(m),
                  "param_count", (json_int_t)ctxlab_model_param_count(m),
                  "history_state_floats", ctxlab_model_history_state_floats(m, ctxlab_model_get_config(m)->context),
                  "train", train_report);
  if (run && eval) json_object_set(run, "eval", eval);
  if (run) json_object_set(run, "tokens_per_s", json_object_get(train_report, "tokens_per_s"));
  if (!run || cli_write_json(run, out, &err)) {
    if (!run) ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory");
    rc = cli_fail(&err);
  }
done:
  json_decref(run);
  json_decref(eval);
  json_decref(train_report);
  json_decref(meta);
  ctxlab_model_free(m);
  ctxlab_lang_free(lang);
  return rc;
}
