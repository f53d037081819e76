/* What train and eval share: model options by name, JSON output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ctxlab/tokens.h"

/* CLI spelling -> config field (sim/model_config.c) */
static const struct {
  const char *option, *key;
} MODEL_OPTIONS[] = {
    {"dim", "d_model"},           {"layers", "n_layer"},
    {"heads", "n_head"},          {"hidden", "hidden"},
    {"state-size", "state_size"}, {"cell", "rnn_cell"},
    {"smoothing", "smoothing"},   {"beta", "beta"},
    {"kn-discount", "kn_discount"}, {"rope-base", "rope_base"},
    {"rope-scaling", "rope_scaling"}, {"rope-factor", "rope_factor"},
    {"yarn-alpha", "yarn_alpha"}, {"yarn-beta", "yarn_beta"},
    {"logit-scaling", "logit_scaling"}, {"logit-scaling-skip-layers", "logit_scaling_skip_layers"},
};

int cli_model_option(const char *name, const char **key) {
  for (size_t i = 0; i < sizeof MODEL_OPTIONS / sizeof MODEL_OPTIONS[0]; ++i)
    if (strcmp(MODEL_OPTIONS[i].option, name) == 0) {
      *key = MODEL_OPTIONS[i].key;
      return 1;
    }
  return 0;
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
