/* ctxlab/sim.h: toy language models trained on ctxlab languages.
 *
 * A model maps the tokens it has seen to a distribution over the next one.
 * Four kinds (DESIGN.md, issue 3): "ngram" (counts, add-beta or interpolated
 * Kneser-Ney), "mlp" (a window of c token embeddings -> hidden layers ->
 * softmax), "transformer" (pre-LayerNorm, RoPE, no biases in linear layers;
 * the exact architecture is in the README) and "rnn" (a fixed-size state:
 * diagonal linear recurrence or GRU).  Every model is driven the same way:
 * `forward` gives logits for every position of a batch of token windows, so
 * training and evaluation against the oracle need no per-model code. */
#ifndef CTXLAB_SIM_H
#define CTXLAB_SIM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"
#include "ctxlab/lang.h"
#include "ctxlab/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ctxlab_rope_scaling {
  CTXLAB_ROPE_SCALING_NONE = 0,
  CTXLAB_ROPE_SCALING_PI,           /* position interpolation: pos / s */
  CTXLAB_ROPE_SCALING_NTK,          /* NTK-aware: base * s^(hd / (hd - 2)) */
  CTXLAB_ROPE_SCALING_NTK_BY_PARTS, /* per-dimension ramp between PI and none */
  CTXLAB_ROPE_SCALING_YARN          /* NTK-by-parts + logit multiplier (0.1 ln s + 1)^2 */
} ctxlab_rope_scaling;

typedef enum ctxlab_logit_scaling {
  CTXLAB_LOGIT_SCALING_NONE = 0,
  CTXLAB_LOGIT_SCALING_EABF, /* lambda = max(1, ln n / ln L_train) for a query seeing n keys */
  CTXLAB_LOGIT_SCALING_LOGN  /* lambda = log_{L_train} n for every n */
} ctxlab_logit_scaling;

typedef enum ctxlab_smoothing {
  CTXLAB_SMOOTHING_ADD_BETA = 0,  /* Dirichlet: (n_x + beta) / (n + V beta) */
  CTXLAB_SMOOTHING_KNESER_NEY     /* interpolated Kneser-Ney */
} ctxlab_smoothing;

typedef enum ctxlab_rnn_cell {
  CTXLAB_RNN_LRU = 0, /* diagonal linear recurrence (LRU / S4D style) */
  CTXLAB_RNN_GRU
} ctxlab_rnn_cell;

/* Everything that fixes a model's architecture (not how it is trained).
 * ctxlab_model_config_init fills the defaults of a model kind; with vocab_size
 * set, every kind's defaults make a model.  The default context is the
 * smallest each kind accepts: ngram order 0, mlp window 1, transformer and rnn
 * 0 (no training length: only the length-dependent scalings need one). */
typedef struct ctxlab_model_config {
  char model[16];        /* "ngram", "mlp", "transformer", "rnn" */
  uint32_t vocab_size;   /* V */
  uint32_t context;      /* ngram: order c; mlp: window c; transformer, rnn: training length T */
  uint32_t d_model;      /* embedding width */
  uint32_t n_layer;      /* transformer blocks, recurrent layers, mlp hidden layers */
  uint32_t n_head;       /* transformer heads */
  uint32_t hidden;       /* mlp hidden width */
  uint32_t state_size;   /* rnn: floats of carried state per layer (s) */
  ctxlab_rnn_cell rnn_cell;
  double rope_base;      /* RoPE theta base (10000) */
  ctxlab_rope_scaling rope_scaling;
  double rope_factor;    /* s = L_target / L_train for the rope scalings */
  double yarn_alpha, yarn_beta; /* NTK-by-parts / YaRN ramp bounds (1, 32) */
  ctxlab_logit_scaling logit_scaling;
  uint32_t logit_scaling_skip_layers; /* EABF/log-n: layers 0..skip-1 unscaled (0 or 2) */
  ctxlab_smoothing smoothing;
  double beta;           /* add-beta pseudo-count */
  double kn_discount;    /* Kneser-Ney discount D in (0, 1); 0 = estimated n1 / (n1 + 2 n2) */
} ctxlab_model_config;

/* Defaults for kind `model`: CTXLAB_EINVAL for an unknown kind. */
int ctxlab_model_config_init(ctxlab_model_config *c, const char *model, ctxlab_error *err);

typedef struct ctxlab_model ctxlab_model;

/* A model with parameters initialised from `init_seed` (counting models start
 * empty).  Checks the config; errors name the option. */
int ctxlab_model_new(const ctxlab_model_config *c, uint64_t init_seed, ctxlab_model **out,
                     ctxlab_error *err);
void ctxlab_model_free(ctxlab_model *m);

const ctxlab_model_config *ctxlab_model_get_config(const ctxlab_model *m);
/* Trainable parameters (counting models: 0). */
size_t ctxlab_model_param_count(const ctxlab_model *m);
/* Floats of history state the model carries after `context` tokens: the KV
 * cache 2 n_layer d per token for the transformer, the fixed state for rnn,
 * the window for mlp and ngram. */
double ctxlab_model_history_state_floats(const ctxlab_model *m, size_t context);
/* The config as JSON (every field of the kind, names as in the CLI). */
json_t *ctxlab_model_config_json(const ctxlab_model *m);

/* Change a built or loaded model's position handling, e.g. to evaluate a
 * transformer trained without a context-extension method with one (PI, NTK,
 * YaRN, EABF; SCIENCE.md section 3), as they are used in practice.  c is the
 * model's config (ctxlab_model_get_config) with any of the transformer's
 * rope_base, rope_scaling, rope_factor, yarn_alpha, yarn_beta, logit_scaling,
 * logit_scaling_skip_layers changed; the weights stay, and so does the
 * training length (c->context, L_train in the formulas).  CTXLAB_EINVAL, m
 * unchanged, when another field differs or c fails the checks of
 * ctxlab_model_new; errors name the field. */
int ctxlab_model_set_positions(ctxlab_model *m, const ctxlab_model_config *c, ctxlab_error *err);

/* Threads for forward/backward (results do not depend on it). */
void ctxlab_model_set_threads(ctxlab_model *m, int threads);

/* logits (B, T, V) for tokens (B, T): logits[b, t] is the model's score of
 * the token after tokens[b, 0..t] (t + 1 tokens seen). */
int ctxlab_model_forward(ctxlab_model *m, const uint32_t *tokens, size_t B, size_t T,
                         float *logits, ctxlab_error *err);


/* ---- checkpoints ---------------------------------------------------------- */

/* Save the model (its tensors as F32, or a counting model's statistics) and
 * its config (as `__metadata__` strings) to a safetensors file, written under
 * a temporary name and renamed into place.  extra_meta (may be NULL) adds
 * string entries, e.g. "language" (the canonical spec as JSON text). */
int ctxlab_model_save(const ctxlab_model *m, const char *path, const json_t *extra_meta,
                      ctxlab_error *err);

/* Rebuild a model from a checkpoint.  *meta_out (may be NULL) receives all
 * `__metadata__` entries as a JSON object of strings. */
int ctxlab_model_load(const char *path, ctxlab_model **out, json_t **meta_out, ctxlab_error *err);

/* ---- training ------------------------------------------------------------- */

typedef struct ctxlab_train_progress_info {
  uint64_t step, total_steps; /* updates done / planned */
  uint64_t epoch;             /* fixed training set: passes started */
  double loss_bits;           /* mean loss of the last step */
  double tokens_per_s;        /* training tokens per second so far */
  double elapsed_s;
} ctxlab_train_progress_info;

/* Called after every step (and after fitting a counting model); a nonzero
 * return stops training: the run ends with CTXLAB_ECANCELED after saving the
 * checkpoint (when one is asked for), from which it can be resumed. */
typedef int (*ctxlab_train_progress)(void *ctx, const ctxlab_train_progress_info *info);

typedef struct ctxlab_train_options {
  uint64_t seed;          /* data (the sequences of `ctxlab gen --seed seed`), init, order */
  uint64_t train_tokens;  /* D > 0: a fixed training set of D tokens; 0: fresh samples */
  uint64_t steps;         /* updates; 0 with D: max_epochs passes or early stopping */
  uint32_t batch;         /* windows of T+1 tokens per update */
  double lr, weight_decay, beta1, beta2, eps, clip, final_lr_fraction;
  uint64_t warmup;        /* steps of linear warmup (UINT64_MAX: 5% of the steps) */
  uint32_t max_epochs;    /* with D and no steps */
  uint32_t patience;      /* held-out evaluations without improvement before stopping (0: never) */
  uint64_t heldout_tokens; /* held-out set for early stopping and the curve (0: D/10 up to
                            * 65536, or 1% of the tokens of fresh-sample training) */
  uint64_t eval_every;    /* steps between held-out evaluations (0: once per epoch / 10 times) */
  int threads;
  const char *checkpoint; /* save here at the end and when stopped (NULL: nowhere) */
  ctxlab_train_progress progress;
  void *progress_ctx;
} ctxlab_train_options;

void ctxlab_train_options_init(ctxlab_train_options *o);

/* Counting models (ngram) are fitted to one stream of at most this many
 * tokens (their counts and the stream's positions are 32-bit). */
#define CTXLAB_NGRAM_MAX_TRAIN_TOKENS ((uint64_t)1 << 32)

/* Train m on samples of lang (the model's context T is its train_context).
 * *report receives {"options", "curve", "steps", "tokens", "tokens_per_s",
 * "stopped"}.  resume (may be NULL) is a checkpoint this function wrote, from
 * which m was loaded (ctxlab_model_load): training goes on from where it
 * stopped, with the options it was started with (o gives only threads,
 * checkpoint and progress), and ends as the uninterrupted run would have. */
int ctxlab_train(const ctxlab_lang *lang, ctxlab_model *m, const ctxlab_train_options *o,
                 const char *resume, json_t **report, ctxlab_error *err);

/* ---- evaluation ----------------------------------------------------------- */

typedef struct ctxlab_eval_options {
  uint32_t context;      /* T: windows of T+1 tokens, positions 1..T scored */
  uint64_t eval_tokens;  /* scored tokens (rounded up to whole windows) */
  uint64_t seed;         /* the eval set: sequences of `ctxlab gen --seed seed` */
  uint32_t batch;
  int threads;
} ctxlab_eval_options;

/* The seed of the eval set of a run trained with seed S (so that evaluating
 * never reuses training or held-out windows): the first draw of
 * ctxlab_rng_derive(S, "sim.eval", 0). */
uint64_t ctxlab_eval_seed(uint64_t train_seed);

/* Evaluate on fresh sequences of lang: {"model": the config evaluated (as
 * ctxlab_model_config_json), "context": T, "windows", "tokens",
 * "loss_bits", "last_loss_bits", "loss_by_context_bits", "bayes_by_context_bits",
 * "kl_by_context_bits", "stderr_..."}, index c-1 for context c = 1..T, and for
 * the transformer "attention_entropy_nats" [layer][head][c-1].  The oracle is
 * given exactly the tokens the model sees: all c of them for the transformer
 * and rnn, the last min(c, context) for the ngram and mlp. */
int ctxlab_eval_lang(ctxlab_model *m, const ctxlab_lang *lang, const ctxlab_eval_options *o,
                     json_t **out, ctxlab_error *err);

/* Evaluate on a token file cut into consecutive windows of T+1 tokens (the
 * tail dropped).  lang (may be NULL) is the oracle for bayes and KL. */
int ctxlab_eval_token_file(ctxlab_model *m, const char *path, const ctxlab_lang *lang,
                           const ctxlab_eval_options *o, json_t **out, ctxlab_error *err);

#ifdef __cplusplus
}
#endif

#endif
