/* The "mlp" model kind: a window model in the style of Bengio et al. 2003
 * ("A Neural Probabilistic Language Model"), without the paper's direct
 * embedding-to-output connections.  V = vocab_size, c = context (the
 * window), d = d_model, H = hidden, L = n_layer (0 allowed: a log-linear
 * model of the window).  For position t of a sequence w_0 w_1 ...:
 *     e_t     = [wte[w_{t-c+1}], ..., wte[w_t]]      (c d; oldest token first,
 *               w_k = V, the learned padding row, for k < 0)
 *     h^0     = e_t
 *     h^{i+1} = tanh(W_i h^i + b_i),  i = 0..L-1     (H; tanh as in the paper)
 *     logits  = W_head h^L + b_head                  (V)
 * so the logits at t depend on the last min(t + 1, c) tokens only.
 * Tensors (the checkpoint's names):
 *     wte.weight (V + 1, d)                 row V: the padding embedding
 *     hidden.{i}.weight (H, c d if i = 0 else H), hidden.{i}.bias (H)
 *     head.weight (V, H, or c d when L = 0), head.bias (V)
 * Initialisation: wte ~ N(0, 1); every weight W (out, in) ~ N(0, 1/in)
 * (LeCun et al. 1998, "Efficient BackProp": unit-variance pre-activations for
 * tanh); biases 0.  Draws: tensors in the order listed, elements in row-major
 * order, by ctxlab_nn_init_normal.  History state: min(context, c) d floats
 * (the window of embeddings). */
#include "sim/mlp/mlp.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim/mlp/nn_init.h"

#define REAL float
#include "sim/mlp/mlp_compute.inc"
#undef REAL

typedef struct mlp_impl {
  ctxlab_mlp_layout ly;
  mlp_acts acts;
  int have_forward;
} mlp_impl;

const ctxlab_mlp_layout *ctxlab_mlp_layout_of(const ctxlab_model *m) {
  return &((const mlp_impl *)m->impl)->ly;
}

static int add(ctxlab_model *m, size_t *off, const char *name, size_t d0, size_t d1,
               ctxlab_error *err) {
  size_t shape[2] = {d0, d1};
  *off = ctxlab_model_add_tensor(m, name, d1 ? 2 : 1, shape, err);
  return *off == (size_t)-1 ? CTXLAB_ENOMEM : CTXLAB_OK;
}

static void mlp_destroy(ctxlab_model *m) {
  mlp_impl *p = m->impl;
  if (!p) return;
  mlp_acts_free(&p->acts);
  free(p->ly.hidden_w);
  free(p->ly.hidden_b);
  free(p);
  m->impl = NULL;
}

static int mlp_create(ctxlab_model *m, ctxlab_error *err) {
  const ctxlab_model_config *c = &m->cfg;
  if (c->context < 1)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "mlp: context (the window of tokens) must be at least 1 (got %u)",
                            c->context);
  if (c->d_model < 1)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "mlp: d_model must be at least 1 (got %u)",
                            c->d_model);
  if (c->n_layer > 0 && c->hidden < 1)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "mlp: hidden must be at least 1 with n_layer %u (got %u)", c->n_layer,
                            c->hidden);
  mlp_impl *p = calloc(1, sizeof *p);
  if (!p) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (mlp)");
  m->impl = p;
  ctxlab_mlp_layout *ly = &p->ly;
  *ly = (ctxlab_mlp_layout){
      .V = c->vocab_size, .c = c->context, .d = c->d_model, .H = c->hidden, .L = c->n_layer};
  ly->hidden_w = calloc(ly->L + 1, sizeof(size_t));
  ly->hidden_b = calloc(ly->L + 1, sizeof(size_t));
  if (!ly->hidden_w || !ly->hidden_b)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (mlp)");
  int st = add(m, &ly->wte, "wte.weight", ly->V + 1, ly->d, err);
  char name[CTXLAB_TENSOR_NAME_SIZE];
  for (size_t i = 0; i < ly->L && !st; ++i) {
    snprintf(name, sizeof name, "hidden.%zu.weight", i);
    st = add(m, &ly->hidden_w[i], name, ly->H, ctxlab_mlp_in(ly, i), err);
    snprintf(name, sizeof name, "hidden.%zu.bias", i);
    if (!st) st = add(m, &ly->hidden_b[i], name, ly->H, 0, err);
  }
  if (!st) st = add(m, &ly->head_w, "head.weight", ly->V, ctxlab_mlp_in(ly, ly->L), err);
  if (!st) st = add(m, &ly->head_b, "head.bias", ly->V, 0, err);
  return st;
}

static void mlp_init_params(ctxlab_model *m, ctxlab_rng *rng) {
  const ctxlab_mlp_layout *ly = &((mlp_impl *)m->impl)->ly;
  float *P = m->params;
  ctxlab_nn_init_normal(P + ly->wte, (ly->V + 1) * ly->d, 1, rng);
  for (size_t i = 0; i < ly->L; ++i) {
    size_t in = ctxlab_mlp_in(ly, i);
    ctxlab_nn_init_normal(P + ly->hidden_w[i], ly->H * in, sqrt(1.0 / (double)in), rng);
    ctxlab_nn_init_constant(P + ly->hidden_b[i], ly->H, 0);
  }
  size_t in = ctxlab_mlp_in(ly, ly->L);
  ctxlab_nn_init_normal(P + ly->head_w, ly->V * in, sqrt(1.0 / (double)in), rng);
  ctxlab_nn_init_constant(P + ly->head_b, ly->V, 0);
}

static int mlp_forward_op(ctxlab_model *m, const uint32_t *tokens, size_t B, size_t T,
                          float *logits, ctxlab_error *err) {
  mlp_impl *p = m->impl;
  p->have_forward = 0;
  if (T && B > SIZE_MAX / T / p->ly.V / 16)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "mlp: a batch of %zu x %zu tokens is too large", B,
                            T);
  if (B == 0 || T == 0) { /* nothing to compute; backward then adds nothing */
    p->acts.B = B;
    p->acts.T = T;
    p->have_forward = 1;
    return CTXLAB_OK;
  }
  if (mlp_acts_reserve(&p->acts, &p->ly, B * T))
    return ctxlab_error_set(err, CTXLAB_ENOMEM,
                            "out of memory (mlp activations for %zu x %zu tokens)", B, T);
  mlp_forward(&p->ly, m->params, &p->acts, tokens, B, T, logits, m->threads);
  p->have_forward = 1;
  return CTXLAB_OK;
}

static int mlp_backward_op(ctxlab_model *m, const float *dlogits, ctxlab_error *err) {
  mlp_impl *p = m->impl;
  if (!p->have_forward)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "mlp: backward needs a forward first");
  if (p->acts.B && p->acts.T)
    mlp_backward(&p->ly, m->params, m->grads, &p->acts, dlogits, m->threads);
  return CTXLAB_OK;
}

static double mlp_history_state_floats(const ctxlab_model *m, size_t context) {
  size_t c = m->cfg.context;
  return (double)(context < c ? context : c) * (double)m->cfg.d_model;
}

const ctxlab_model_ops ctxlab_mlp_ops = {
    .name = "mlp",
    .create = mlp_create,
    .init_params = mlp_init_params,
    .forward = mlp_forward_op,
    .backward = mlp_backward_op,
    .history_state_floats = mlp_history_state_floats,
    .destroy = mlp_destroy,
};
