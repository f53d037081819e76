/* PLACEHOLDER (branch sim-ngram only; drop it when the lead's
 * sim/safetensors.c lands): every entry point of sim/safetensors.h fails, so
 * that code written against the header links before the implementation
 * exists. */
#include "sim/safetensors.h"

static int missing(ctxlab_error *err) {
  return ctxlab_error_set(err, CTXLAB_EINVAL, "safetensors support is not built in this branch");
}

int ctxlab_st_writer_new(ctxlab_st_writer **out, ctxlab_error *err) {
  *out = NULL;
  return missing(err);
}
void ctxlab_st_writer_free(ctxlab_st_writer *w) { (void)w; }
int ctxlab_st_writer_add(ctxlab_st_writer *w, const char *name, ctxlab_st_dtype dtype, int ndim,
                         const size_t *shape, const void *data, ctxlab_error *err) {
  return missing(err);
}
int ctxlab_st_writer_set_meta(ctxlab_st_writer *w, const char *key, const char *value,
                              ctxlab_error *err) {
  return missing(err);
}
int ctxlab_st_writer_save(ctxlab_st_writer *w, const char *path, ctxlab_error *err) {
  return missing(err);
}
int ctxlab_st_load(const char *path, ctxlab_st_file **out, ctxlab_error *err) {
  *out = NULL;
  return missing(err);
}
void ctxlab_st_free(ctxlab_st_file *f) { (void)f; }
const char *ctxlab_st_meta(const ctxlab_st_file *f, const char *key) { return NULL; }
int ctxlab_st_get(const ctxlab_st_file *f, const char *name, ctxlab_st_dtype dtype, int ndim,
                  const size_t *shape, const void **data, ctxlab_error *err) {
  return missing(err);
}
int ctxlab_st_info(const ctxlab_st_file *f, const char *name, ctxlab_st_dtype *dtype, int *ndim,
                   size_t shape[CTXLAB_ST_MAX_DIMS], ctxlab_error *err) {
  return missing(err);
}
