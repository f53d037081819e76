/* sim/model_config.h (internal): model config fields by name. */
#ifndef CTXLAB_SIM_MODEL_CONFIG_H
#define CTXLAB_SIM_MODEL_CONFIG_H

#include <jansson.h>

#include "ctxlab/sim.h"

/* Set field `key` ("d_model", "rope_scaling", ...) from text (CLI options,
 * checkpoint metadata) or JSON (sweeps).  Errors (unknown key, a key of
 * another model kind, bad or out-of-range value) start with `where`. */
int ctxlab_model_config_set_string(ctxlab_model_config *c, const char *key, const char *value,
                                   const char *where, ctxlab_error *err);
int ctxlab_model_config_set_json(ctxlab_model_config *c, const char *key, const json_t *value,
                                 const char *where, ctxlab_error *err);

/* The transformer's position handling (rope_base, rope_scaling, rope_factor,
 * yarn_alpha, yarn_beta, logit_scaling, logit_scaling_skip_layers) may be
 * overridden at evaluation time: the weights do not depend on it (context
 * extension, SCIENCE.md section 3).  Whether `key` is one of those fields. */
int ctxlab_model_field_is_positional(const char *key);

/* Set a position field as ctxlab_model_config_set_string/_json do; any other
 * key, or a model kind without position handling, is an error starting with
 * `where` that says what may be overridden. */
int ctxlab_model_config_override_string(ctxlab_model_config *c, const char *key,
                                        const char *value, const char *where, ctxlab_error *err);
int ctxlab_model_config_override_json(ctxlab_model_config *c, const char *key,
                                      const json_t *value, const char *where, ctxlab_error *err);

/* The first field of a's kind, outside the position handling, whose value
 * differs in b ("model" when the kinds differ); NULL when there is none. */
const char *ctxlab_model_config_fixed_change(const ctxlab_model_config *a,
                                             const ctxlab_model_config *b);

/* Visit every field of c's kind, in a fixed order, with its value as text
 * (the shortest that reads back exactly) and as JSON; stops at a nonzero
 * return and returns it. */
typedef int (*ctxlab_config_visit)(void *ctx, const char *key, const char *text, json_t *value);
int ctxlab_model_config_foreach(const ctxlab_model_config *c, ctxlab_config_visit visit,
                                void *ctx);

/* Model options by their user-facing names (`ctxlab train --state-size`, an
 * experiment's "state_size") and config fields ("d_model" for "dim"): the
 * field of an option (NULL when it is not a model option; '-' and '_' are
 * the same character there), and an option's name, spelled with '_', for a
 * field (NULL when the field has no option). */
const char *ctxlab_model_option_field(const char *option);
const char *ctxlab_model_field_option(const char *field);

/* {"model": ..., every field of the kind}; NULL when out of memory. */
json_t *ctxlab_model_config_to_json(const ctxlab_model_config *c);

#endif
