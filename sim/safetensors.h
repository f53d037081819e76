/* sim/safetensors.h (internal): reading and writing safetensors files.
 *
 * Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON {"name": {"dtype": "F32", "shape": [...],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "string"}},
 * then the tensors' raw little-endian bytes; offsets are relative to the end
 * of the header.  ctxlab pads the header with spaces to a multiple of 8 bytes
 * and writes tensors in the order they were added, back to back. */
#ifndef CTXLAB_SIM_SAFETENSORS_H
#define CTXLAB_SIM_SAFETENSORS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

typedef enum ctxlab_st_dtype {
  CTXLAB_ST_F32 = 0,
  CTXLAB_ST_F64,
  CTXLAB_ST_I64,
  CTXLAB_ST_U64,
  CTXLAB_ST_U32
} ctxlab_st_dtype;

#define CTXLAB_ST_MAX_DIMS 4

/* ---- writing ------------------------------------------------------------ */

typedef struct ctxlab_st_writer ctxlab_st_writer;

int ctxlab_st_writer_new(ctxlab_st_writer **out, ctxlab_error *err);
void ctxlab_st_writer_free(ctxlab_st_writer *w);

/* Add a tensor; `data` is not copied and must stay valid until save. */
int ctxlab_st_writer_add(ctxlab_st_writer *w, const char *name, ctxlab_st_dtype dtype, int ndim,
                         const size_t *shape, const void *data, ctxlab_error *err);

/* The same for data from malloc that the writer frees (with itself; at once
 * on error). */
int ctxlab_st_writer_add_owned(ctxlab_st_writer *w, const char *name, ctxlab_st_dtype dtype,
                               int ndim, const size_t *shape, void *data, ctxlab_error *err);

/* Set a `__metadata__` entry (a string, as the format requires). */
int ctxlab_st_writer_set_meta(ctxlab_st_writer *w, const char *key, const char *value,
                              ctxlab_error *err);

/* Write the file under a temporary name and rename it into place. */
int ctxlab_st_writer_save(ctxlab_st_writer *w, const char *path, ctxlab_error *err);

/* ---- reading ------------------------------------------------------------ */

typedef struct ctxlab_st_file ctxlab_st_file;

/* Read and check a whole file: header JSON, dtypes, shapes against byte
 * ranges, ranges inside the file, no overlaps.  Errors name the file and the
 * tensor or byte offset. */
int ctxlab_st_load(const char *path, ctxlab_st_file **out, ctxlab_error *err);
void ctxlab_st_free(ctxlab_st_file *f);

/* A metadata string, or NULL when absent. */
const char *ctxlab_st_meta(const ctxlab_st_file *f, const char *key);

/* All metadata as a JSON object of strings (owned by f). */
json_t *ctxlab_st_meta_object(const ctxlab_st_file *f);

/* The data of tensor `name`, which must have this dtype and shape (ndim
 * entries); otherwise an error naming the tensor and what differs. */
int ctxlab_st_get(const ctxlab_st_file *f, const char *name, ctxlab_st_dtype dtype, int ndim,
                  const size_t *shape, const void **data, ctxlab_error *err);

/* The tensor's dtype, ndim and shape; CTXLAB_EFORMAT when absent. */
int ctxlab_st_info(const ctxlab_st_file *f, const char *name, ctxlab_st_dtype *dtype, int *ndim,
                   size_t shape[CTXLAB_ST_MAX_DIMS], ctxlab_error *err);

#endif
