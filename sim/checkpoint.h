/* sim/checkpoint.h (internal): the parts of checkpointing that training
 * extends with its optimizer state. */
#ifndef CTXLAB_SIM_CHECKPOINT_H
#define CTXLAB_SIM_CHECKPOINT_H

#include <jansson.h>

#include "sim/model.h"
#include "sim/safetensors.h"

/* Metadata "format" of every ctxlab checkpoint. */
#define CTXLAB_CHECKPOINT_FORMAT "ctxlab-checkpoint-1"

/* A writer holding the model's tensors and metadata (string values of
 * extra_meta added), ready for more tensors and ctxlab_st_writer_save. */
int ctxlab_checkpoint_writer(const ctxlab_model *m, const json_t *extra_meta,
                             ctxlab_st_writer **out, ctxlab_error *err);

/* Build the model of a checkpoint and keep the file open for more tensors. */
int ctxlab_checkpoint_open(const char *path, ctxlab_model **out, ctxlab_st_file **file,
                           ctxlab_error *err);

/* Copy tensors named prefix + (each model tensor's name), shaped like the
 * model's, into dest (laid out like params). */
int ctxlab_checkpoint_load_floats(ctxlab_model *m, const ctxlab_st_file *f, const char *prefix,
                                  float *dest, const char *path, ctxlab_error *err);

#endif
