/* ctxlab/lang.h: a language is a stationary stochastic process over tokens,
 * built from a JSON spec, that can be sampled and that knows its own
 * Bayes-optimal next-token distribution (the oracle).
 *
 * Spec arguments (ctxlab_lang_new) are one of:
 *   - an inline JSON object:  {"family": "markov", "vocab": 4, "order": 1, ...}
 *   - a preset name:          santa-fe        (ctxlab_preset_list)
 *   - a path to a JSON file:  examples/markov-order2.json
 * A text that starts with '{' is inline JSON; one that names a preset is that
 * preset; anything else is read as a file.
 *
 * Tokens are integers in [0, vocab_size).  Sampling starts from stationarity,
 * so every window of a sample is distributed as the stationary process. */
#ifndef CTXLAB_LANG_H
#define CTXLAB_LANG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"
#include "ctxlab/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ctxlab_lang ctxlab_lang;
typedef struct ctxlab_sampler ctxlab_sampler;

/* Build a language from a spec argument (inline JSON, preset name or path). */
int ctxlab_lang_new(const char *spec_arg, ctxlab_lang **out, ctxlab_error *err);

/* Build a language from a parsed JSON object.  `where` names its origin in error
 * messages ("spec.json", "preset santa-fe", "inline spec"); it may be NULL. */
int ctxlab_lang_from_json(const json_t *spec, const char *where, ctxlab_lang **out,
                          ctxlab_error *err);

void ctxlab_lang_free(ctxlab_lang *lang);

const char *ctxlab_lang_family(const ctxlab_lang *lang);
uint32_t ctxlab_lang_vocab_size(const ctxlab_lang *lang);

/* The canonical spec: every key with its default filled in, keys in a fixed
 * order.  Feeding it back to ctxlab_lang_from_json builds the same language.
 * Returns a new reference (json_decref it). */
json_t *ctxlab_lang_canonical_spec(const ctxlab_lang *lang);

/* The intrinsic dimension (number of independent latent facts the Bayes model
 * tracks), or -1 where the family defines none. */
int64_t ctxlab_lang_intrinsic_dimension(const ctxlab_lang *lang);

/* ---- sampling --------------------------------------------------------- */

/* A streaming sampler: consecutive ctxlab_sampler_fill calls continue one
 * sample path, started from stationarity.  The sampler draws only from its
 * own copy of rng, so its output is a function of (language, rng state). */
int ctxlab_sampler_new(const ctxlab_lang *lang, const ctxlab_rng *rng, ctxlab_sampler **out,
                       ctxlab_error *err);
void ctxlab_sampler_fill(ctxlab_sampler *sampler, uint32_t *tokens, size_t n);
/* Begin a new path on generator rng, reusing the sampler's memory: the same as
 * freeing it and calling ctxlab_sampler_new with rng, but O(1). */
void ctxlab_sampler_restart(ctxlab_sampler *sampler, const ctxlab_rng *rng);
void ctxlab_sampler_free(ctxlab_sampler *sampler);

/* Independent sequences first .. first+count-1 of the sample set with this
 * seed, each `length` tokens, written row after row into out (count*length).
 * Sequence i draws from ctxlab_rng_derive(seed, "gen.sequence", i) and is the
 * first `length` tokens of the streaming sampler on that generator, so it does
 * not depend on count, length of other calls, or threads. */
int ctxlab_lang_sample_sequences(const ctxlab_lang *lang, uint64_t seed, uint64_t first,
                                 size_t count, size_t length, uint32_t *out, ctxlab_error *err);

/* ---- the oracle --------------------------------------------------------- */

/* The Bayes-optimal distribution of the next token given exactly the c tokens
 * window[0..c-1] (oldest first) and nothing before them: the process is started
 * from stationarity before the window.  probs receives vocab_size values that
 * sum to 1.  Tokens out of range are an error (CTXLAB_EINVAL).  For a window of
 * probability zero the result is the family's documented fallback. */
int ctxlab_lang_predict(const ctxlab_lang *lang, const uint32_t *window, size_t c, double *probs,
                        ctxlab_error *err);

/* ---- presets ------------------------------------------------------------- */

typedef struct ctxlab_preset {
  const char *name;
  const char *summary; /* one line for `ctxlab list` */
  const char *spec;    /* the spec, as JSON text */
} ctxlab_preset;

/* The presets, terminated by an entry whose name is NULL. */
const ctxlab_preset *ctxlab_preset_list(void);
const ctxlab_preset *ctxlab_preset_find(const char *name);

/* ---- families ------------------------------------------------------------ */

typedef struct ctxlab_family_param {
  const char *key;
  const char *type;          /* "integer", "number", "list", ... as shown to users */
  const char *default_value; /* JSON text, or NULL when required */
  const char *doc;
} ctxlab_family_param;

typedef struct ctxlab_family_info {
  const char *name;
  const char *summary;
  const ctxlab_family_param *params; /* terminated by key == NULL */
} ctxlab_family_info;

/* The families, terminated by an entry whose name is NULL. */
const ctxlab_family_info *ctxlab_family_list(void);

#ifdef __cplusplus
}
#endif

#endif
