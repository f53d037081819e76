/* The "transformer" model kind: tensors, initialisation and the float
 * instantiation of the layers (tf_kernels.inc, tf_model.inc). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/transformer/transformer.h"
#include "sim/vecmath.h"

#define REAL float
#define TF(name) tf32_##name
#define TF_EXP(x) ctxlab_vexpf(x)
#define TF_TANH(x) ctxlab_vtanhf(x)
#define TF_SQRT(x) sqrtf(x)
#include "sim/transformer/tf_kernels.inc"
#include "sim/transformer/tf_model.inc"

typedef struct impl {
  tf32_weights w, g; /* pointers into params and grads */
  tf32_state s;
} impl;

static int create(ctxlab_model *m, ctxlab_error *err) {
  const ctxlab_model_config *c = &m->cfg;
  int st = ctxlab_transformer_check_config(c, err);
  if (st) return st;
  size_t d = c->d_model, V = c->vocab_size;
  /* a block's tensors: shape (rows d) for vectors, (rows d, cols d) for matrices */
  static const struct {
    const char *name;
    int ndim;
    size_t rows, cols;
  } BLOCK[] = {{"ln1.weight", 1, 1, 0},       {"ln1.bias", 1, 1, 0},   {"attn.qkv.weight", 2, 3, 1},
               {"attn.proj.weight", 2, 1, 1}, {"ln2.weight", 1, 1, 0}, {"ln2.bias", 1, 1, 0},
               {"mlp.fc.weight", 2, 4, 1},    {"mlp.proj.weight", 2, 1, 4}};
  size_t vd[2] = {V, d}, vec[1] = {d};
  if (ctxlab_model_add_tensor(m, "wte.weight", 2, vd, err) == (size_t)-1) return CTXLAB_ENOMEM;
  for (uint32_t l = 0; l < c->n_layer; ++l)
    for (size_t i = 0; i < sizeof BLOCK / sizeof BLOCK[0]; ++i) {
      char name[CTXLAB_TENSOR_NAME_SIZE];
      snprintf(name, sizeof name, "blocks.%u.%s", l, BLOCK[i].name);
      size_t dims[2] = {BLOCK[i].rows * d, BLOCK[i].cols * d};
      if (ctxlab_model_add_tensor(m, name, BLOCK[i].ndim, dims, err) == (size_t)-1)
        return CTXLAB_ENOMEM;
    }
  if (ctxlab_model_add_tensor(m, "lnf.weight", 1, vec, err) == (size_t)-1 ||
      ctxlab_model_add_tensor(m, "lnf.bias", 1, vec, err) == (size_t)-1 ||
      ctxlab_model_add_tensor(m, "head.weight", 2, vd, err) == (size_t)-1)
    return CTXLAB_ENOMEM;
  impl *im = calloc(1, sizeof *im);
  if (!im) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (transformer)");
  m->impl = im;
  size_t nb = c->n_layer ? c->n_layer : 1;
  im->w.blocks = calloc(nb, sizeof *im->w.blocks);
  im->g.blocks = calloc(nb, sizeof *im->g.blocks);
  if (!im->w.blocks || !im->g.blocks || tf32_state_init(c, &im->s))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (transformer)");
  return CTXLAB_OK;
}

/* GPT-2 initialisation (Radford et al. 2019; the GPT-2 code's init): every
 * matrix N(0, 0.02^2) except the residual projections attn.proj and mlp.proj,
 * N(0, (0.02 / sqrt(2 n_layer))^2); LayerNorm weights 1, biases 0.  The
 * normals are one stream from `rng` over the matrices in tensor order (wte,
 * blocks in order, head), elements row-major, made in pairs by Box-Muller:
 * u1 = ctxlab_rng_uniform_pos (in (0, 1]), u2 = ctxlab_rng_uniform,
 * r = sqrt(-2 ln u1), then r cos(2 pi u2) and r sin(2 pi u2). */
static void init_params(ctxlab_model *m, ctxlab_rng *rng) {
  double spare = 0;
  int have_spare = 0;
  double resid = 0.02 / sqrt(2.0 * (m->cfg.n_layer ? m->cfg.n_layer : 1));
  for (size_t i = 0; i < m->n_tensors; ++i) {
    const ctxlab_tensor *t = &m->tensors[i];
    float *p = m->params + t->offset;
    size_t n = ctxlab_tensor_size(t);
    const char *dot = strrchr(t->name, '.');
    if (t->ndim == 1) { /* LayerNorm */
      float v = strcmp(dot, ".weight") == 0 ? 1.0f : 0.0f;
      for (size_t k = 0; k < n; ++k) p[k] = v;
      continue;
    }
    int is_resid = strstr(t->name, "attn.proj.") || strstr(t->name, "mlp.proj.");
    double std = is_resid ? resid : 0.02;
    for (size_t k = 0; k < n; ++k) {
      double z;
      if (have_spare) {
        z = spare;
        have_spare = 0;
      } else {
        double u1 = ctxlab_rng_uniform_pos(rng), u2 = ctxlab_rng_uniform(rng);
        double r = sqrt(-2 * log(u1));
        z = r * cos(2 * M_PI * u2);
        spare = r * sin(2 * M_PI * u2);
        have_spare = 1;
      }
      p[k] = (float)(std * z);
    }
  }
}

static int forward(ctxlab_model *m, const uint32_t *tokens, size_t B, size_t T, float *logits,
                   ctxlab_error *err) {
  impl *im = m->impl;
  if (B == 0 || T == 0)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "transformer forward: empty batch (%zu x %zu)", B,
                            T);
  int st = tf32_reserve(&m->cfg, &im->s, B, T, m->threads, err);
  if (st) return st;
  tf32_bind(m, m->params, &im->w);
  tf32_forward(&m->cfg, &im->w, &im->s, tokens, B, T, logits, m->threads);
  return CTXLAB_OK;
}

static int backward(ctxlab_model *m, const float *dlogits, ctxlab_error *err) {
  impl *im = m->impl;
  if (!im->s.T)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "transformer backward: no forward to go back through");
  int st = tf32_reserve_scratch(&m->cfg, &im->s, im->s.B * im->s.T, im->s.T, m->threads, err);
  if (st) return st;
  tf32_bind(m, m->params, &im->w);
  tf32_bind(m, m->grads, &im->g);
  tf32_backward(&m->cfg, &im->w, &im->g, &im->s, dlogits, m->threads);
  return CTXLAB_OK;
}

/* The RoPE frequencies are the only thing computed from the position fields
 * outside a forward (which rebuilds its cos/sin tables and logit multipliers
 * from them); the last forward's activations, made under the old config, are
 * dropped, so backward and the attention entropy need a new forward. */
static int set_positions(ctxlab_model *m, const ctxlab_model_config *c, ctxlab_error *err) {
  int st = ctxlab_transformer_check_config(c, err);
  if (st) return st;
  impl *im = m->impl;
  m->cfg = *c;
  ctxlab_transformer_rope_theta(&m->cfg, im->s.theta);
  im->s.T = 0;
  return CTXLAB_OK;
}

/* The KV cache: a key and a value of d floats per layer and token. */
static double history_state_floats(const ctxlab_model *m, size_t context) {
  return 2.0 * m->cfg.n_layer * m->cfg.d_model * (double)context;
}

static void destroy(ctxlab_model *m) {
  impl *im = m->impl;
  if (!im) return;
  tf32_state_free(&im->s);
  free(im->w.blocks);
  free(im->g.blocks);
  free(im);
}

const ctxlab_model_ops ctxlab_transformer_ops = {
    .name = "transformer",
    .whole_prefix = 1,
    .create = create,
    .init_params = init_params,
    .forward = forward,
    .backward = backward,
    .set_positions = set_positions,
    .history_state_floats = history_state_floats,
    .destroy = destroy,
};

int ctxlab_transformer_attention_entropy(const ctxlab_model *m, double *sums) {
  if (!m || m->ops != &ctxlab_transformer_ops) return CTXLAB_EINVAL;
  impl *im = m->impl;
  tf32_state *s = &im->s;
  if (!s->T) return CTXLAB_EINVAL;
  const ctxlab_model_config *c = &m->cfg;
  size_t n = (size_t)c->n_layer * c->n_head * s->B * s->T;
  double *ent = malloc((n ? n : 1) * sizeof *ent);
  if (!ent || tf32_reserve_scratch(c, s, s->B * s->T, s->T, m->threads, NULL)) {
    free(ent);
    return CTXLAB_ENOMEM;
  }
  tf32_attention_entropy(c, s, sums, ent, m->threads);
  free(ent);
  return CTXLAB_OK;
}
