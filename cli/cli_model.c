/* What train and eval share: model options by name, JSON output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ctxlab/tokens.h"
#include "core/atomic_file.h"
#include "sim/model_config.h"

int cli_model_option(const char *name, const char **key) {
  *key = ctxlab_model_option_field(name);
  return *key != NULL;
}

int cli_write_json(const json_t *j, const char *path, ctxlab_error *err) {
  if (strcmp(path, "-") != 0) return ctxlab_write_json_atomic(path, j, err);
  if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) || fputc('\n', stdout) == EOF)
    return ctxlab_error_set(err, CTXLAB_EIO, "cannot write the JSON to standard output");
  return CTXLAB_OK;
}
