/* sim/transformer/transformer.h (internal): the "transformer" model kind.
 *
 * Architecture (checkpoints depend on it; issue 3):
 *   x = wte[tokens]                               wte.weight (V, d); no learned positions
 *   per block i:
 *     h = LayerNorm(x)                            blocks.i.ln1.{weight,bias}, eps 1e-5
 *     q, k, v = split(h @ qkvᵀ)                   blocks.i.attn.qkv.weight (3d, d), rows q, k, v
 *     heads: contiguous slices of hd = d / n_head; RoPE on q and k, rotate-half (pair j with
 *     j + hd/2, rotated by pos θ_j, pos 0-based)
 *     a = softmax(λ(layer, pos) · q kᵀ / √hd, causal) v
 *     x = x + a @ projᵀ                           blocks.i.attn.proj.weight (d, d)
 *     x = x + gelu_tanh(LayerNorm(x) @ fcᵀ) @ mprojᵀ
 *                                                 blocks.i.ln2.*, blocks.i.mlp.fc.weight (4d, d),
 *                                                 blocks.i.mlp.proj.weight (d, 4d)
 *   logits = LayerNorm(x) @ headᵀ                 lnf.{weight,bias}, head.weight (V, d), untied
 * No biases in linear layers.  The position handling (RoPE scalings, logit
 * multipliers) is in positions.c with its formulas and sources. */
#ifndef CTXLAB_SIM_TRANSFORMER_H
#define CTXLAB_SIM_TRANSFORMER_H

#include <stddef.h>
#include <stdint.h>

#include "ctxlab/sim.h"
#include "sim/model.h"

/* LayerNorm epsilon (PyTorch's default). */
#define CTXLAB_TRANSFORMER_LN_EPS 1e-5

/* Checks the options of a transformer config (head size, RoPE scaling
 * parameters, training context for the scalings that need it); messages name
 * the option. */
int ctxlab_transformer_check_config(const ctxlab_model_config *c, ctxlab_error *err);

/* The hd/2 RoPE angular frequencies of a head (hd = d_model / n_head) after
 * the config's scaling: pair j of a query or key at position p (0-based) is
 * rotated by p * theta[j]. */
void ctxlab_transformer_rope_theta(const ctxlab_model_config *c, double *theta);

/* The multiplier of the attention logits q·k/√hd in `layer` for a query that
 * sees n_keys keys (itself included): YaRN's temperature times the EABF or
 * log-n factor. */
double ctxlab_transformer_logit_multiplier(const ctxlab_model_config *c, uint32_t layer,
                                           size_t n_keys);

/* For the last forward of m (a transformer), adds over its batch the entropy
 * in nats, -Σ a ln a, of each query's attention into
 * sums[(layer * n_head + head) * T + t] (t = query position, which sees t + 1
 * keys; T of that forward).  CTXLAB_EINVAL when m is not a transformer or has
 * run no forward, CTXLAB_ENOMEM when scratch memory cannot be had. */
int ctxlab_transformer_attention_entropy(const ctxlab_model *m, double *sums);

#endif
