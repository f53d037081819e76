/* ctxlab/dataset.h: writing samples of a language to a token file with its
 * manifest (the `ctxlab gen` command). */
#ifndef CTXLAB_DATASET_H
#define CTXLAB_DATASET_H

#include <jansson.h>
#include <stdint.h>

#include "ctxlab/error.h"
#include "ctxlab/lang.h"
#include "ctxlab/tokens.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ctxlab_dataset_options {
  ctxlab_format format;
  uint64_t seed;      /* sample seed */
  uint64_t tokens;    /* one stream of this many tokens, when sequences == 0 */
  uint64_t sequences; /* else this many independent sequences ... */
  uint64_t length;    /* ... of this many tokens each */
  int threads;        /* <= 0: all available; the file does not depend on it */
  /* Called after each block is written, from the writing thread (may be NULL).
   * A nonzero return cancels: the temporary file is removed and
   * ctxlab_dataset_write returns CTXLAB_ECANCELED. */
  int (*progress)(void *ctx, uint64_t done, uint64_t total);
  void *progress_ctx;
} ctxlab_dataset_options;

/* Write the sample to PATH and its manifest to PATH.json (ctxlab/tokens.h).
 * The stream is the path of ctxlab_rng_derive(seed, "gen.stream", 0); sequence
 * i is the path of ctxlab_rng_derive(seed, "gen.sequence", i)
 * (ctxlab_lang_sample_sequences).  So a longer run extends a shorter one: the
 * first n tokens of a stream, and sequence i of a set, never depend on how many
 * are generated, nor on threads.  The manifest holds ctxlab_version, family,
 * the canonical spec, seed, `truth` (a reference to truth_summary is added
 * when it is not NULL) and the file fields of ctxlab_token_writer_finish.
 * Memory stays bounded (a few MiB of buffers) whatever the size. */
int ctxlab_dataset_write(const ctxlab_lang *lang, const char *path,
                         const ctxlab_dataset_options *opts, json_t *truth_summary,
                         char *sha256_hex, ctxlab_error *err);

#ifdef __cplusplus
}
#endif

#endif
