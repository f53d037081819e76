/* Model checkpoints: tensors plus the config as safetensors metadata. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/checkpoint.h"
#include "sim/model.h"
#include "sim/model_config.h"

static int meta_visit(void *ctx, const char *key, const char *text, json_t *value) {
  (void)value;
  return ctxlab_st_writer_set_meta(ctx, key, text, NULL);
}

int ctxlab_checkpoint_writer(const ctxlab_model *m, const json_t *extra_meta,
                             ctxlab_st_writer **out, ctxlab_error *err) {
  ctxlab_st_writer *w;
  int st = ctxlab_st_writer_new(&w, err);
  if (st) return st;
  st = ctxlab_st_writer_set_meta(w, "format", CTXLAB_CHECKPOINT_FORMAT, err);
  if (!st) st = ctxlab_st_writer_set_meta(w, "model", m->cfg.model, err);
  if (!st && ctxlab_model_config_foreach(&m->cfg, meta_visit, w))
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (checkpoint metadata)");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)extra_meta, key, v) {
    if (st) break;
    st = ctxlab_st_writer_set_meta(w, key, json_string_value(v), err);
  }
  for (size_t i = 0; i < m->n_tensors && !st; ++i) {
    const ctxlab_tensor *t = &m->tensors[i];
    st = ctxlab_st_writer_add(w, t->name, CTXLAB_ST_F32, t->ndim, t->shape, m->params + t->offset,
                              err);
  }
  if (!st && m->ops->save_extra) st = m->ops->save_extra(m, w, err);
  if (st) {
    ctxlab_st_writer_free(w);
    return st;
  }
  *out = w;
  return CTXLAB_OK;
}

int ctxlab_model_save(const ctxlab_model *m, const char *path, const json_t *extra_meta,
                      ctxlab_error *err) {
  ctxlab_st_writer *w;
  int st = ctxlab_checkpoint_writer(m, extra_meta, &w, err);
  if (st) return st;
  st = ctxlab_st_writer_save(w, path, err);
  ctxlab_st_writer_free(w);
  return st;
}

typedef struct meta_ctx {
  const ctxlab_st_file *f;
  ctxlab_model_config *c;
  const char *path;
  ctxlab_error *err;
} meta_ctx;

static int read_field(void *p, const char *key, const char *text, json_t *value) {
  (void)text;
  (void)value;
  meta_ctx *x = p;
  const char *s = ctxlab_st_meta(x->f, key);
  if (!s)
    return ctxlab_error_set(x->err, CTXLAB_EFORMAT, "%s: metadata has no '%s'", x->path, key);
  char where[64];
  snprintf(where, sizeof where, "metadata '%s'", key);
  if (ctxlab_model_config_set_string(x->c, key, s, where, x->err))
    return ctxlab_error_prefix(x->err, "%s: ", x->path), CTXLAB_EFORMAT;
  return CTXLAB_OK;
}

/* The config of a checkpoint from its metadata: every field of the kind must
 * be there. */
static int config_from_meta(const ctxlab_st_file *f, const char *path, ctxlab_model_config *c,
                            ctxlab_error *err) {
  const char *format = ctxlab_st_meta(f, "format");
  if (!format || strcmp(format, CTXLAB_CHECKPOINT_FORMAT) != 0)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: not a ctxlab checkpoint (metadata 'format' is %s, expected %s)",
                            path, format ? format : "missing", CTXLAB_CHECKPOINT_FORMAT);
  const char *model = ctxlab_st_meta(f, "model");
  if (!model) return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: metadata has no 'model'", path);
  if (ctxlab_model_config_init(c, model, err))
    return ctxlab_error_prefix(err, "%s: ", path), CTXLAB_EFORMAT;
  meta_ctx x = {f, c, path, err};
  ctxlab_model_config defaults = *c; /* the visit reads keys from it, values from the file */
  return ctxlab_model_config_foreach(&defaults, read_field, &x);
}

/* Copy every F32 tensor of the model from the file (shapes must match). */
int ctxlab_checkpoint_load_floats(ctxlab_model *m, const ctxlab_st_file *f, const char *prefix,
                                  float *dest, const char *path, ctxlab_error *err) {
  for (size_t i = 0; i < m->n_tensors; ++i) {
    const ctxlab_tensor *t = &m->tensors[i];
    char name[CTXLAB_TENSOR_NAME_SIZE + 16];
    snprintf(name, sizeof name, "%s%s", prefix, t->name);
    const void *data;
    if (ctxlab_st_get(f, name, CTXLAB_ST_F32, t->ndim, t->shape, &data, err))
      return ctxlab_error_prefix(err, "%s: ", path);
    memcpy(dest + t->offset, data, ctxlab_tensor_size(t) * sizeof(float));
  }
  return CTXLAB_OK;
}

int ctxlab_checkpoint_open(const char *path, ctxlab_model **out, ctxlab_st_file **file,
                           ctxlab_error *err) {
  *out = NULL;
  ctxlab_st_file *f;
  int st = ctxlab_st_load(path, &f, err);
  if (st) return st;
  ctxlab_model_config c;
  ctxlab_model *m = NULL;
  if ((st = config_from_meta(f, path, &c, err))) goto fail;
  if ((st = ctxlab_model_new(&c, 0, &m, err))) {
    ctxlab_error_prefix(err, "%s: ", path);
    st = CTXLAB_EFORMAT;
    goto fail;
  }
  if ((st = ctxlab_checkpoint_load_floats(m, f, "", m->params, path, err))) goto fail;
  if (m->ops->load_extra && (st = m->ops->load_extra(m, f, err))) {
    ctxlab_error_prefix(err, "%s: ", path);
    goto fail;
  }
  *out = m;
  *file = f;
  return CTXLAB_OK;
fail:
  ctxlab_model_free(m);
  ctxlab_st_free(f);
  return st;
}

int ctxlab_model_load(const char *path, ctxlab_model **out, json_t **meta_out, ctxlab_error *err) {
  ctxlab_st_file *f;
  int st = ctxlab_checkpoint_open(path, out, &f, err);
  if (st) return st;
  if (meta_out) *meta_out = json_deep_copy(ctxlab_st_meta_object(f));
  ctxlab_st_free(f);
  return CTXLAB_OK;
}
