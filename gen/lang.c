/* The language object: spec resolution, dispatch to families, the generic
 * sequence sampler and the oracle's argument checks. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json_spec.h"
#include "ctxlab/lang.h"
#include "gen/family.h"

struct ctxlab_lang {
  const ctxlab_family_ops *ops;
  void *impl;
  uint32_t vocab_size;
};

static const ctxlab_family_ops *const families[] = {&ctxlab_markov_family, &ctxlab_latent_family,
                                                    NULL};

const ctxlab_family_ops *const *ctxlab_family_ops_list(void) { return families; }

const ctxlab_family_info *ctxlab_family_list(void) {
  static ctxlab_family_info infos[sizeof families / sizeof families[0]];
  for (size_t i = 0; families[i]; ++i) infos[i] = *families[i]->info;
  return infos; /* the trailing entry stays zeroed: name == NULL */
}

int ctxlab_lang_from_json(const json_t *spec, const char *where, ctxlab_lang **out,
                          ctxlab_error *err) {
  ctxlab_init();
  *out = NULL;
  if (!where) where = "spec";
  if (!json_is_object(spec))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: $: expected an object, got %s", where,
                            ctxlab_json_type_phrase(spec));
  const json_t *family = json_object_get(spec, "family");
  if (!family)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: $.family: missing (required; one of: markov, "
                            "latent)", where);
  if (!json_is_string(family))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: $.family: expected a string, got %s", where,
                            ctxlab_json_type_phrase(family));
  const ctxlab_family_ops *ops = NULL;
  for (size_t i = 0; families[i]; ++i)
    if (strcmp(families[i]->info->name, json_string_value(family)) == 0) ops = families[i];
  if (!ops)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "%s: $.family: unknown family \"%s\" (known: markov, latent)", where,
                            json_string_value(family));
  ctxlab_lang *lang = calloc(1, sizeof *lang);
  if (!lang) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  lang->ops = ops;
  int st = ops->build(spec, &lang->impl, err);
  if (st) {
    free(lang);
    return ctxlab_error_prefix(err, "%s: ", where);
  }
  lang->vocab_size = ops->vocab_size(lang->impl);
  *out = lang;
  return CTXLAB_OK;
}

static int starts_with_brace(const char *s) {
  while (isspace((unsigned char)*s)) ++s;
  return *s == '{';
}

int ctxlab_lang_new(const char *spec_arg, ctxlab_lang **out, ctxlab_error *err) {
  *out = NULL;
  json_t *spec = NULL;
  char where[CTXLAB_JSON_PATH_MAX];
  int st;
  const ctxlab_preset *preset;
  if (starts_with_brace(spec_arg)) {
    snprintf(where, sizeof where, "inline spec");
    st = ctxlab_json_parse(spec_arg, where, &spec, err);
  } else if ((preset = ctxlab_preset_find(spec_arg)) != NULL) {
    snprintf(where, sizeof where, "preset %s", preset->name);
    st = ctxlab_json_parse(preset->spec, where, &spec, err);
  } else if (access(spec_arg, F_OK) != 0 && !strchr(spec_arg, '/') && !strchr(spec_arg, '.')) {
    st = ctxlab_error_set(err, CTXLAB_EINVAL,
                          "\"%s\" is neither a preset (see `ctxlab list`), a file, nor a JSON "
                          "object", spec_arg);
  } else {
    snprintf(where, sizeof where, "%s", spec_arg);
    st = ctxlab_json_load_file(spec_arg, &spec, err);
  }
  if (st) return st;
  st = ctxlab_lang_from_json(spec, where, out, err);
  json_decref(spec);
  return st;
}

void ctxlab_lang_free(ctxlab_lang *lang) {
  if (!lang) return;
  lang->ops->destroy(lang->impl);
  free(lang);
}

const char *ctxlab_lang_family(const ctxlab_lang *lang) { return lang->ops->info->name; }
uint32_t ctxlab_lang_vocab_size(const ctxlab_lang *lang) { return lang->vocab_size; }
json_t *ctxlab_lang_canonical_spec(const ctxlab_lang *lang) {
  return lang->ops->canonical(lang->impl);
}
int64_t ctxlab_lang_intrinsic_dimension(const ctxlab_lang *lang) {
  return lang->ops->intrinsic_dimension(lang->impl);
}
const ctxlab_family_ops *ctxlab_lang_ops(const ctxlab_lang *lang) { return lang->ops; }
const void *ctxlab_lang_impl(const ctxlab_lang *lang) { return lang->impl; }

/* ---- sampling ----------------------------------------------------------- */

int ctxlab_sampler_new(const ctxlab_lang *lang, const ctxlab_rng *rng, ctxlab_sampler **out,
                       ctxlab_error *err) {
  return lang->ops->sampler_new(lang->impl, rng, out, err);
}

void ctxlab_sampler_fill(ctxlab_sampler *sampler, uint32_t *tokens, size_t n) {
  sampler->fill(sampler, tokens, n);
}

void ctxlab_sampler_restart(ctxlab_sampler *sampler, const ctxlab_rng *rng) {
  sampler->restart(sampler, rng);
}

void ctxlab_sampler_free(ctxlab_sampler *sampler) {
  if (sampler) sampler->destroy(sampler);
}

int ctxlab_lang_sample_sequences(const ctxlab_lang *lang, uint64_t seed, uint64_t first,
                                 size_t count, size_t length, uint32_t *out, ctxlab_error *err) {
  if (lang->ops->sample_sequences)
    return lang->ops->sample_sequences(lang->impl, seed, first, count, length, out, err);
  for (size_t i = 0; i < count; ++i) {
    ctxlab_rng rng;
    ctxlab_rng_derive(&rng, seed, "gen.sequence", first + i);
    ctxlab_sampler *s;
    int st = ctxlab_sampler_new(lang, &rng, &s, err);
    if (st) return st;
    ctxlab_sampler_fill(s, out + i * length, length);
    ctxlab_sampler_free(s);
  }
  return CTXLAB_OK;
}

/* ---- the oracle --------------------------------------------------------- */

int ctxlab_lang_predict(const ctxlab_lang *lang, const uint32_t *window, size_t c, double *probs,
                        ctxlab_error *err) {
  for (size_t i = 0; i < c; ++i)
    if (window[i] >= lang->vocab_size)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "window[%zu] = %u is not a token (vocabulary size %u)", i, window[i],
                              lang->vocab_size);
  return lang->ops->predict(lang->impl, window, c, probs, err);
}
