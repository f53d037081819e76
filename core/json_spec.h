/* core/json_spec.h (internal): reading JSON specs with errors that name the place.
 *
 * Paths are written the JSONPath way: $ is the spec, $.key a member,
 * $.key[3][1] an element.  Every getter checks type and range and returns
 * CTXLAB_EINVAL with a message such as
 *   $.transitions[3][1]: expected a number, got a string
 *   $.noise: 0.7 is out of range [0, 0.5)
 * Integers may be written as JSON integers or as integral reals (1e6). */
#ifndef CTXLAB_CORE_JSON_SPEC_H
#define CTXLAB_CORE_JSON_SPEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

#define CTXLAB_JSON_PATH_MAX 256

/* Parse JSON text; syntax errors name `where`, line and column. */
int ctxlab_json_parse(const char *text, const char *where, json_t **out, ctxlab_error *err);

/* Read and parse a JSON file; errors name the file, line and column. */
int ctxlab_json_load_file(const char *path, json_t **out, ctxlab_error *err);

/* "$.key" from "$" and "key"; "$.key[i]" from "$.key" and i. */
void ctxlab_json_path_key(char *buf, const char *parent, const char *key);
void ctxlab_json_path_index(char *buf, const char *parent, size_t index);

/* The JSON type of v as a word ("a string", "an object", ...) for messages. */
const char *ctxlab_json_type_phrase(const json_t *v);

/* v must be an object; every key must be in `allowed` (NULL-terminated). */
int ctxlab_json_check_object(const json_t *v, const char *path, const char *const *allowed,
                             ctxlab_error *err);

/* A number (integer or real), finite, in [lo, hi] (or [lo, hi) when
 * hi_open), written to *out.  path names v. */
int ctxlab_json_number(const json_t *v, const char *path, double lo, double hi, int hi_open,
                       double *out, ctxlab_error *err);

/* An integer in [lo, hi]: a JSON integer, or a real with an integral value. */
int ctxlab_json_uint(const json_t *v, const char *path, uint64_t lo, uint64_t hi, uint64_t *out,
                     ctxlab_error *err);

/* Member `key` of object obj (path names obj): when absent, *out = def (or an
 * error when required). */
int ctxlab_json_member_number(const json_t *obj, const char *path, const char *key, int required,
                              double def, double lo, double hi, int hi_open, double *out,
                              ctxlab_error *err);
int ctxlab_json_member_uint(const json_t *obj, const char *path, const char *key, int required,
                            uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out,
                            ctxlab_error *err);

/* A list of exactly n numbers in [lo, hi] (hi_open as above) into out[n]. */
int ctxlab_json_number_list(const json_t *v, const char *path, size_t n, double lo, double hi,
                            int hi_open, double *out, ctxlab_error *err);

/* Largest integer a JSON spec may hold (jansson integers are signed 64-bit). */
#define CTXLAB_JSON_UINT_MAX ((uint64_t)INT64_MAX)

#endif
