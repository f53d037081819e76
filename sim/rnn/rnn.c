/* The "rnn" model kind: a fixed-size carried state of s = state_size floats
 * per layer however long the context (the contrast to the transformer's
 * growing KV cache; Chen et al. 2025, "L2M: Mutual Information Scaling Law
 * for Long-Context Language Modeling").  V = vocab_size, d = d_model,
 * s = state_size, L = n_layer, t the position in the sequence.
 *
 * Cell "lru" (Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks
 * for Long Sequences"), s even: s/2 complex state channels.
 *     x_0 = wte[token_t]
 *     block l = 0..L-1 (pre-LayerNorm, residual):
 *       a   = LayerNorm(x; norm1)                                   (d)
 *       v   = W_in a,  W_in = in_proj (s, d)                        (s)
 *             v[0:s/2] are real parts, v[s/2:s] imaginary parts
 *       h_t = lambda (.) h_{t-1} + gamma (.) v_t,  h_{-1} = 0       (s/2 complex)
 *             lambda_j = exp(-exp(nu_log_j) + i exp(theta_log_j))
 *             gamma_j  = exp(gamma_log_j)
 *       x  += W_out h_t,  W_out = out_proj (d, s)                   (d)
 *             (= Re(C h) with C = W_out[:, :s/2] - i W_out[:, s/2:])
 *       x  += W_2 GELU(W_1 LayerNorm(x; norm2) + b_1) + b_2         (d)
 *             W_1 = mlp.fc (4d, d), W_2 = mlp.proj (d, 4d)
 *     logits = W_head LayerNorm(x_L; norm_f),  W_head (V, d), no bias
 *   LayerNorm: PyTorch's, eps 1e-5, weight and bias; GELU: the tanh form,
 *   x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2 (PyTorch's
 *   nn.GELU(approximate='tanh')).  Tensors (the checkpoint's names):
 *     wte.weight (V, d)
 *     blocks.{l}.norm1.weight (d), blocks.{l}.norm1.bias (d)
 *     blocks.{l}.lru.in_proj.weight (s, d)
 *     blocks.{l}.lru.nu_log (s/2), blocks.{l}.lru.theta_log (s/2), blocks.{l}.lru.gamma_log (s/2)
 *     blocks.{l}.lru.out_proj.weight (d, s)
 *     blocks.{l}.norm2.weight (d), blocks.{l}.norm2.bias (d)
 *     blocks.{l}.mlp.fc.weight (4d, d), blocks.{l}.mlp.fc.bias (4d)
 *     blocks.{l}.mlp.proj.weight (d, 4d), blocks.{l}.mlp.proj.bias (d)
 *     norm_f.weight (d), norm_f.bias (d)
 *     head.weight (V, d)
 *   Initialisation (the LRU paper's recipe; the ring and phase range are
 *   our choice):
 *     wte ~ N(0, 1); LayerNorm weights 1, biases 0; in_proj ~ N(0, 1/(2d))
 *     (the paper's B_re, B_im ~ N(0, 1/(2H))); out_proj ~ N(0, 2/s) (its
 *     C ~ N(0, 1/N), N = s/2 complex channels); lambda_j uniform (in area) on
 *     the ring 0.9 <= |lambda| <= 0.999: r^2 = 0.9^2 + u (0.999^2 - 0.9^2),
 *     nu_log = ln(-ln(r^2) / 2); phase theta_j = 2 pi u', theta_log = ln theta;
 *     gamma_log = ln sqrt(1 - r^2) (so gamma v_t has the scale of v_t once the
 *     state is stationary); mlp.fc ~ N(0, 1/d), mlp.proj ~ N(0, 1/(4d)),
 *     biases 0; head ~ N(0, 1/d).
 *
 * Cell "gru" (Cho et al. 2014), exactly PyTorch's nn.GRU(d, s, L,
 * batch_first=True) with h_0 = 0 (sim/rnn/gru.inc has the equations):
 *     x_0 = wte[token_t]; layer l: GRU with input width d (l = 0) or s;
 *     logits = W_head h^(L-1)_t + b_head.
 *   Tensors: wte.weight (V, d); gru.{l}.weight_ih (3s, d or s),
 *     gru.{l}.weight_hh (3s, s), gru.{l}.bias_ih (3s), gru.{l}.bias_hh (3s)
 *     (gate rows in the order r, z, n, as nn.GRU's weight_ih_l{l} etc.);
 *     head.weight (V, s), head.bias (V).
 *   Initialisation: wte ~ N(0, 1); every GRU weight and bias uniform in
 *     [-1/sqrt(s), 1/sqrt(s)) (nn.GRU's default); head ~ N(0, 1/s), bias 0.
 *
 * Draws: tensors in the order listed, elements in row-major order, normals by
 * ctxlab_nn_init_normal; for an LRU block, u for channels 0..s/2-1 (giving
 * nu_log and gamma_log), then u' in (0, 1] for channels 0..s/2-1.
 * History state: L s floats after any context. */
#include "sim/rnn/rnn.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/detmath.h"
#include "sim/mlp/nn_init.h"

#define REAL float
#include "sim/rnn/rnn_compute.inc"
#undef REAL

/* The initial ring of |lambda| and range of phases (see the top of the file). */
#define LRU_R_MIN 0.9
#define LRU_R_MAX 0.999
#define LRU_MAX_PHASE 6.283185307179586

typedef struct rnn_impl {
  ctxlab_rnn_layout ly;
  rnn_acts acts;
  int have_forward; /* a forward ran since the last change of shape */
} rnn_impl;

const ctxlab_rnn_layout *ctxlab_rnn_layout_of(const ctxlab_model *m) {
  return &((const rnn_impl *)m->impl)->ly;
}

/* Appends tensor `name` with 1 or 2 dimensions (d1 = 0: one) at *off. */
static int add(ctxlab_model *m, size_t *off, const char *name, size_t d0, size_t d1,
               ctxlab_error *err) {
  size_t shape[2] = {d0, d1};
  *off = ctxlab_model_add_tensor(m, name, d1 ? 2 : 1, shape, err);
  return *off == (size_t)-1 ? CTXLAB_ENOMEM : CTXLAB_OK;
}

static int layout_lru(ctxlab_model *m, ctxlab_rnn_layout *ly, ctxlab_error *err) {
  size_t d = ly->d, s = ly->s;
  char name[CTXLAB_TENSOR_NAME_SIZE];
  int st = add(m, &ly->wte, "wte.weight", ly->V, d, err);
  for (size_t l = 0; l < ly->L && !st; ++l) {
    ctxlab_lru_block *k = &ly->lru[l];
    struct {
      size_t *off;
      const char *what;
      size_t d0, d1;
    } t[] = {
        {&k->norm1_w, "norm1.weight", d, 0},         {&k->norm1_b, "norm1.bias", d, 0},
        {&k->in_proj, "lru.in_proj.weight", s, d},   {&k->nu_log, "lru.nu_log", s / 2, 0},
        {&k->theta_log, "lru.theta_log", s / 2, 0},  {&k->gamma_log, "lru.gamma_log", s / 2, 0},
        {&k->out_proj, "lru.out_proj.weight", d, s}, {&k->norm2_w, "norm2.weight", d, 0},
        {&k->norm2_b, "norm2.bias", d, 0},           {&k->fc_w, "mlp.fc.weight", 4 * d, d},
        {&k->fc_b, "mlp.fc.bias", 4 * d, 0},         {&k->proj_w, "mlp.proj.weight", d, 4 * d},
        {&k->proj_b, "mlp.proj.bias", d, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0] && !st; ++i) {
      snprintf(name, sizeof name, "blocks.%zu.%s", l, t[i].what);
      st = add(m, t[i].off, name, t[i].d0, t[i].d1, err);
    }
  }
  if (!st) st = add(m, &ly->norm_f_w, "norm_f.weight", d, 0, err);
  if (!st) st = add(m, &ly->norm_f_b, "norm_f.bias", d, 0, err);
  if (!st) st = add(m, &ly->head_w, "head.weight", ly->V, d, err);
  return st;
}

static int layout_gru(ctxlab_model *m, ctxlab_rnn_layout *ly, ctxlab_error *err) {
  size_t d = ly->d, s = ly->s;
  char name[CTXLAB_TENSOR_NAME_SIZE];
  int st = add(m, &ly->wte, "wte.weight", ly->V, d, err);
  for (size_t l = 0; l < ly->L && !st; ++l) {
    ctxlab_gru_layer *k = &ly->gru[l];
    snprintf(name, sizeof name, "gru.%zu.weight_ih", l);
    st = add(m, &k->w_ih, name, 3 * s, l ? s : d, err);
    snprintf(name, sizeof name, "gru.%zu.weight_hh", l);
    if (!st) st = add(m, &k->w_hh, name, 3 * s, s, err);
    snprintf(name, sizeof name, "gru.%zu.bias_ih", l);
    if (!st) st = add(m, &k->b_ih, name, 3 * s, 0, err);
    snprintf(name, sizeof name, "gru.%zu.bias_hh", l);
    if (!st) st = add(m, &k->b_hh, name, 3 * s, 0, err);
  }
  if (!st) st = add(m, &ly->head_w, "head.weight", ly->V, s, err);
  if (!st) st = add(m, &ly->head_b, "head.bias", ly->V, 0, err);
  return st;
}

static void rnn_destroy(ctxlab_model *m) {
  rnn_impl *r = m->impl;
  if (!r) return;
  rnn_acts_free(&r->acts);
  free(r->ly.lru);
  free(r->ly.gru);
  free(r);
  m->impl = NULL;
}

static int rnn_create(ctxlab_model *m, ctxlab_error *err) {
  const ctxlab_model_config *c = &m->cfg;
  if (c->rnn_cell != CTXLAB_RNN_LRU && c->rnn_cell != CTXLAB_RNN_GRU)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "rnn: unknown rnn_cell %d (expected lru or gru)",
                            (int)c->rnn_cell);
  if (c->n_layer < 1)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "rnn: n_layer must be at least 1 (got %u)",
                            c->n_layer);
  if (c->d_model < 1)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "rnn: d_model must be at least 1 (got %u)",
                            c->d_model);
  if (c->state_size < 1)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "rnn: state_size must be at least 1 (got %u)",
                            c->state_size);
  if (c->rnn_cell == CTXLAB_RNN_LRU && c->state_size % 2)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "rnn: state_size %u must be even for rnn_cell lru (the state is "
                            "state_size/2 complex numbers)",
                            c->state_size);
  rnn_impl *r = calloc(1, sizeof *r);
  if (!r) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (rnn)");
  m->impl = r;
  ctxlab_rnn_layout *ly = &r->ly;
  *ly = (ctxlab_rnn_layout){.cell = c->rnn_cell,
                            .V = c->vocab_size,
                            .d = c->d_model,
                            .s = c->state_size,
                            .L = c->n_layer};
  if (ly->cell == CTXLAB_RNN_LRU) {
    ly->lru = calloc(ly->L, sizeof *ly->lru);
    if (!ly->lru) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (rnn)");
    return layout_lru(m, ly, err);
  }
  ly->gru = calloc(ly->L, sizeof *ly->gru);
  if (!ly->gru) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (rnn)");
  return layout_gru(m, ly, err);
}

static void init_lru_coefficients(float *nu_log, float *theta_log, float *gamma_log, size_t S2,
                                  ctxlab_rng *rng) {
  for (size_t j = 0; j < S2; ++j) {
    double r2 = LRU_R_MIN * LRU_R_MIN +
                ctxlab_rng_uniform(rng) * (LRU_R_MAX * LRU_R_MAX - LRU_R_MIN * LRU_R_MIN);
    nu_log[j] = (float)ctxlab_log_portable(-0.5 * ctxlab_log_portable(r2));
    gamma_log[j] = (float)(0.5 * ctxlab_log_portable(1 - r2));
  }
  for (size_t j = 0; j < S2; ++j)
    theta_log[j] = (float)ctxlab_log_portable(LRU_MAX_PHASE * ctxlab_rng_uniform_pos(rng));
}

static void rnn_init_params(ctxlab_model *m, ctxlab_rng *rng) {
  const ctxlab_rnn_layout *ly = &((rnn_impl *)m->impl)->ly;
  float *P = m->params;
  size_t V = ly->V, d = ly->d, s = ly->s;
  ctxlab_nn_init_normal(P + ly->wte, V * d, 1, rng);
  if (ly->cell == CTXLAB_RNN_LRU) {
    for (size_t l = 0; l < ly->L; ++l) {
      const ctxlab_lru_block *k = &ly->lru[l];
      ctxlab_nn_init_constant(P + k->norm1_w, d, 1);
      ctxlab_nn_init_constant(P + k->norm1_b, d, 0);
      ctxlab_nn_init_normal(P + k->in_proj, s * d, sqrt(1.0 / (2.0 * (double)d)), rng);
      init_lru_coefficients(P + k->nu_log, P + k->theta_log, P + k->gamma_log, s / 2, rng);
      ctxlab_nn_init_normal(P + k->out_proj, d * s, sqrt(2.0 / (double)s), rng);
      ctxlab_nn_init_constant(P + k->norm2_w, d, 1);
      ctxlab_nn_init_constant(P + k->norm2_b, d, 0);
      ctxlab_nn_init_normal(P + k->fc_w, 4 * d * d, sqrt(1.0 / (double)d), rng);
      ctxlab_nn_init_constant(P + k->fc_b, 4 * d, 0);
      ctxlab_nn_init_normal(P + k->proj_w, d * 4 * d, sqrt(1.0 / (4.0 * (double)d)), rng);
      ctxlab_nn_init_constant(P + k->proj_b, d, 0);
    }
    ctxlab_nn_init_constant(P + ly->norm_f_w, d, 1);
    ctxlab_nn_init_constant(P + ly->norm_f_b, d, 0);
    ctxlab_nn_init_normal(P + ly->head_w, V * d, sqrt(1.0 / (double)d), rng);
  } else {
    double bound = sqrt(1.0 / (double)s);
    for (size_t l = 0; l < ly->L; ++l) {
      const ctxlab_gru_layer *k = &ly->gru[l];
      ctxlab_nn_init_uniform(P + k->w_ih, 3 * s * (l ? s : d), -bound, bound, rng);
      ctxlab_nn_init_uniform(P + k->w_hh, 3 * s * s, -bound, bound, rng);
      ctxlab_nn_init_uniform(P + k->b_ih, 3 * s, -bound, bound, rng);
      ctxlab_nn_init_uniform(P + k->b_hh, 3 * s, -bound, bound, rng);
    }
    ctxlab_nn_init_normal(P + ly->head_w, V * s, sqrt(1.0 / (double)s), rng);
    ctxlab_nn_init_constant(P + ly->head_b, V, 0);
  }
}

static int rnn_forward_op(ctxlab_model *m, const uint32_t *tokens, size_t B, size_t T,
                          float *logits, ctxlab_error *err) {
  rnn_impl *r = m->impl;
  r->have_forward = 0;
  if (T && B > SIZE_MAX / T / r->ly.V / 16)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "rnn: a batch of %zu x %zu tokens is too large", B,
                            T);
  if (B == 0 || T == 0) { /* nothing to compute; backward then adds nothing */
    r->acts.B = B;
    r->acts.T = T;
    r->have_forward = 1;
    return CTXLAB_OK;
  }
  if (rnn_acts_reserve(&r->acts, &r->ly, B * T))
    return ctxlab_error_set(err, CTXLAB_ENOMEM,
                            "out of memory (rnn activations for %zu x %zu tokens)", B, T);
  rnn_forward(&r->ly, m->params, &r->acts, tokens, B, T, logits, m->threads);
  r->have_forward = 1;
  return CTXLAB_OK;
}

static int rnn_backward_op(ctxlab_model *m, const float *dlogits, ctxlab_error *err) {
  rnn_impl *r = m->impl;
  if (!r->have_forward)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "rnn: backward needs a forward first");
  if (r->acts.B && r->acts.T)
    rnn_backward(&r->ly, m->params, m->grads, &r->acts, dlogits, m->threads);
  return CTXLAB_OK;
}

static double rnn_history_state_floats(const ctxlab_model *m, size_t context) {
  (void)context; /* the state does not grow */
  return (double)m->cfg.n_layer * (double)m->cfg.state_size;
}

const ctxlab_model_ops ctxlab_rnn_ops = {
    .name = "rnn",
    .whole_prefix = 1,
    .create = rnn_create,
    .init_params = rnn_init_params,
    .forward = rnn_forward_op,
    .backward = rnn_backward_op,
    .history_state_floats = rnn_history_state_floats,
    .destroy = rnn_destroy,
};
