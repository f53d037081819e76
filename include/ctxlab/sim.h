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
#include "ctxlab/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ctxlab_rope_scaling {
  CTXLAB_ROPE_SCALING_NONE = 0,
  CTXLAB_ROPE_SCALING_PI,           /* position interpolation: pos / s */
  CTXLAB_ROPE_SCALING_NTK,          /* NTK-aware: base * s^(hd / (hd - 2)) */
  CTXLAB_ROPE_SCALING_NTK_BY_PARTS, /* per-dimension ramp between PI and none */
  CTXLAB_ROPE_SCALING_YARN          /* NTK-by-parts + logit multiplier 0.1 ln s + 1 */
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
 * ctxlab_model_config_init fills the defaults of a model kind. */
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

/* Threads for forward/backward (results do not depend on it). */
void ctxlab_model_set_threads(ctxlab_model *m, int threads);

/* logits (B, T, V) for tokens (B, T): logits[b, t] is the model's score of
 * the token after tokens[b, 0..t] (t + 1 tokens seen). */
int ctxlab_model_forward(ctxlab_model *m, const uint32_t *tokens, size_t B, size_t T,
                         float *logits, ctxlab_error *err);

#ifdef __cplusplus
}
#endif

#endif
