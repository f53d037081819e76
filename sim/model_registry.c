/* The model kinds of this build. */
#include <string.h>

#include "sim/model.h"

extern const ctxlab_model_ops ctxlab_ngram_ops;

static const ctxlab_model_ops *const KINDS[] = {
    &ctxlab_ngram_ops,
    NULL /* each kind adds its ops here */
};

const ctxlab_model_ops *ctxlab_model_kind(const char *name) {
  for (size_t i = 0; KINDS[i]; ++i)
    if (strcmp(KINDS[i]->name, name) == 0) return KINDS[i];
  return NULL;
}
