/* The model kinds of this build. */
#include <string.h>

#include "sim/model.h"

extern const ctxlab_model_ops ctxlab_mlp_ops;
extern const ctxlab_model_ops ctxlab_ngram_ops;
extern const ctxlab_model_ops ctxlab_rnn_ops;
extern const ctxlab_model_ops ctxlab_transformer_ops;

static const ctxlab_model_ops *const KINDS[] = {
    &ctxlab_ngram_ops,
    &ctxlab_mlp_ops,
    &ctxlab_transformer_ops,
    &ctxlab_rnn_ops,
    NULL,
};

const ctxlab_model_ops *ctxlab_model_kind(const char *name) {
  for (size_t i = 0; KINDS[i]; ++i)
    if (strcmp(KINDS[i]->name, name) == 0) return KINDS[i];
  return NULL;
}
