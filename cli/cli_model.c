/* What train and eval share: model options by name, JSON output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ctxlab/tokens.h"
#include "sim/model_config.h"

int cli_model_option(const char *name, const char **key) {
  *key = ctxlab_model_option_field(name);
  return *key != NULL;
}

int cli_write_json(const json_t *j, const char *path, ctxlab_error *err) {
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
  size_t n = text ? strlen(text) : 0;
  char *line = text ? realloc(text, n + 2) : NULL;
  if (!line) {
    free(text);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (JSON output)");
  }
  memcpy(line + n, "\n", 2);
  int st = CTXLAB_OK;
  if (strcmp(path, "-") == 0)
    fputs(line, stdout);
  else
    st = ctxlab_write_file_atomic(path, line, n + 1, err);
  free(line);
  return st;
}
