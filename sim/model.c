/* Models: creation from a config, parameter layout, dispatch to the kind. */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/model.h"
#include "sim/model_config.h"

size_t ctxlab_tensor_size(const ctxlab_tensor *t) {
  size_t n = 1;
  for (int i = 0; i < t->ndim; ++i) n *= t->shape[i];
  return n;
}

size_t ctxlab_model_add_tensor(ctxlab_model *m, const char *name, int ndim, const size_t *shape,
                               ctxlab_error *err) {
  if (m->n_tensors == m->tensors_cap) {
    size_t cap = m->tensors_cap ? 2 * m->tensors_cap : 16;
    ctxlab_tensor *t = realloc(m->tensors, cap * sizeof *t);
    if (!t) {
      ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (tensor list)");
      return (size_t)-1;
    }
    m->tensors = t;
    m->tensors_cap = cap;
  }
  ctxlab_tensor *t = &m->tensors[m->n_tensors];
  snprintf(t->name, sizeof t->name, "%s", name);
  t->ndim = ndim;
  t->offset = m->n_params;
  for (int i = 0; i < ndim; ++i) t->shape[i] = shape[i];
  size_t n = ctxlab_tensor_size(t);
  if (n > ((size_t)1 << 40) - m->n_params) {
    ctxlab_error_set(err, CTXLAB_ENOMEM, "tensor %s is too large", name);
    return (size_t)-1;
  }
  m->n_params += n;
  m->n_tensors++;
  return t->offset;
}

const ctxlab_tensor *ctxlab_model_find_tensor(const ctxlab_model *m, const char *name) {
  for (size_t i = 0; i < m->n_tensors; ++i)
    if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
  return NULL;
}

int ctxlab_model_new(const ctxlab_model_config *c, uint64_t init_seed, ctxlab_model **out,
                     ctxlab_error *err) {
  *out = NULL;
  const ctxlab_model_ops *ops = ctxlab_model_kind(c->model);
  if (!ops)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "model '%s' is not available in this build",
                            c->model);
  if (c->vocab_size < 2)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "vocab_size must be at least 2 (got %u)",
                            c->vocab_size);
  ctxlab_model *m = calloc(1, sizeof *m);
  if (!m) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (model)");
  m->ops = ops;
  m->cfg = *c;
  m->threads = omp_get_max_threads();
  int st = ops->create(m, err);
  if (st) goto fail;
  if (m->n_params) {
    m->params = calloc(m->n_params, sizeof(float));
    m->grads = calloc(m->n_params, sizeof(float));
    if (!m->params || !m->grads) {
      st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%zu parameters)", m->n_params);
      goto fail;
    }
  }
  if (ops->init_params) {
    ctxlab_rng rng;
    ctxlab_rng_derive(&rng, init_seed, "sim.init", 0);
    ops->init_params(m, &rng);
  }
  *out = m;
  return CTXLAB_OK;
fail:
  ctxlab_model_free(m);
  return st;
}

void ctxlab_model_free(ctxlab_model *m) {
  if (!m) return;
  if (m->ops->destroy) m->ops->destroy(m);
  free(m->tensors);
  free(m->params);
  free(m->grads);
  free(m);
}

const ctxlab_model_config *ctxlab_model_get_config(const ctxlab_model *m) { return &m->cfg; }

size_t ctxlab_model_param_count(const ctxlab_model *m) { return m->n_params; }

double ctxlab_model_history_state_floats(const ctxlab_model *m, size_t context) {
  return m->ops->history_state_floats(m, context);
}

size_t ctxlab_model_tokens_seen(const ctxlab_model *m, size_t n) {
  return m->ops->whole_prefix || n < m->cfg.context ? n : m->cfg.context;
}

json_t *ctxlab_model_config_json(const ctxlab_model *m) {
  return ctxlab_model_config_to_json(&m->cfg);
}

int ctxlab_model_set_positions(ctxlab_model *m, const ctxlab_model_config *c, ctxlab_error *err) {
  const char *fixed = ctxlab_model_config_fixed_change(&m->cfg, c);
  if (fixed)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "'%s' cannot change after the model is built (its weights depend on "
                            "it); only the position handling can", fixed);
  return m->ops->set_positions ? m->ops->set_positions(m, c, err) : CTXLAB_OK;
}

void ctxlab_model_set_threads(ctxlab_model *m, int threads) {
  m->threads = threads > 0 ? threads : omp_get_max_threads();
}

int ctxlab_model_forward(ctxlab_model *m, const uint32_t *tokens, size_t B, size_t T,
                         float *logits, ctxlab_error *err) {
  if (T && B > SIZE_MAX / T / m->cfg.vocab_size / sizeof(float))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "a batch of %zu x %zu windows is too large", B, T);
  for (size_t i = 0; i < B * T; ++i)
    if (tokens[i] >= m->cfg.vocab_size)
      return ctxlab_error_set(err, CTXLAB_EINVAL, "token %u at position %zu is outside the vocabulary (%u)",
                              tokens[i], i, m->cfg.vocab_size);
  return m->ops->forward(m, tokens, B, T, logits, err);
}
