/* Writing samples to token files, generation overlapped with hashing/writing. */
#include "ctxlab/dataset.h"

#include <omp.h>
#include <stdlib.h>

#include "ctxlab/version.h"

/* Tokens per buffer: two buffers are alive at a time (8 MiB). */
#define CHUNK_TOKENS (1u << 20)
/* Sequences per task: the markov kernel interleaves 8 at a time. */
#define TASK_SEQUENCES 8

typedef struct job {
  const ctxlab_lang *lang;
  const ctxlab_dataset_options *opts;
  ctxlab_token_writer *writer;
  uint64_t done, total;
} job;

static int write_block(job *jb, const uint32_t *tokens, size_t n, ctxlab_error *err) {
  int st = ctxlab_token_writer_write(jb->writer, tokens, n, err);
  if (st) return st;
  jb->done += n;
  if (jb->opts->progress && jb->opts->progress(jb->opts->progress_ctx, jb->done, jb->total))
    return ctxlab_error_set(err, CTXLAB_ECANCELED, "interrupted after %llu of %llu tokens",
                            (unsigned long long)jb->done, (unsigned long long)jb->total);
  return CTXLAB_OK;
}

/* One path of `count` tokens, in blocks: the sampler fills block b+1 while
 * the writer hashes and writes block b (two threads), or one after the other. */
static int write_path(job *jb, const ctxlab_rng *rng, uint64_t count, int threads,
                      uint32_t *buf[2], ctxlab_error *err) {
  ctxlab_sampler *sampler;
  int st = ctxlab_sampler_new(jb->lang, rng, &sampler, err);
  if (st) return st;
  uint64_t filled = count < CHUNK_TOKENS ? count : CHUNK_TOKENS;
  ctxlab_sampler_fill(sampler, buf[0], filled);
  for (uint64_t start = 0, r = 0; start < count && !st; ++r) {
    uint64_t n = filled;
    uint64_t next_start = start + n;
    uint64_t next = count - next_start < CHUNK_TOKENS ? count - next_start : CHUNK_TOKENS;
#pragma omp parallel sections num_threads(threads >= 2 ? 2 : 1)
    {
#pragma omp section
      st = write_block(jb, buf[r % 2], n, err);
#pragma omp section
      if (next) ctxlab_sampler_fill(sampler, buf[(r + 1) % 2], next);
    }
    start = next_start;
    filled = next;
  }
  ctxlab_sampler_free(sampler);
  return st;
}

/* Sequences in round r of `per_round` (0 past the last round). */
static uint64_t round_count(uint64_t sequences, uint64_t per_round, uint64_t r) {
  uint64_t first = r * per_round;
  return first >= sequences ? 0 : sequences - first < per_round ? sequences - first : per_round;
}

/* Short sequences in rounds of whole sequences: threads generate round r+1
 * (tasks of TASK_SEQUENCES) while one of them writes round r. */
static int write_sequences(job *jb, int threads, uint32_t *buf[2], ctxlab_error *err) {
  const ctxlab_dataset_options *o = jb->opts;
  const uint64_t T = o->length;
  uint64_t per_round = CHUNK_TOKENS / T / TASK_SEQUENCES * TASK_SEQUENCES;
  if (per_round == 0) per_round = 1;
  const uint64_t rounds = (o->sequences + per_round - 1) / per_round;
  int write_status = CTXLAB_OK, gen_status = CTXLAB_OK;
  ctxlab_error gen_err;
  for (uint64_t r = 0; r <= rounds && !write_status && !gen_status; ++r) {
    uint64_t first = r * per_round;
    uint64_t count = round_count(o->sequences, per_round, r);
    uint64_t prev = r > 0 ? round_count(o->sequences, per_round, r - 1) : 0;
    uint64_t tasks = (count + TASK_SEQUENCES - 1) / TASK_SEQUENCES;
#pragma omp parallel num_threads(threads)
    {
#pragma omp single nowait
      if (prev) write_status = write_block(jb, buf[(r - 1) % 2], prev * T, err);
#pragma omp for schedule(dynamic, 1)
      for (uint64_t t = 0; t < tasks; ++t) {
        uint64_t a = t * TASK_SEQUENCES, n = count - a < TASK_SEQUENCES ? count - a : TASK_SEQUENCES;
        ctxlab_error e;
        int st = ctxlab_lang_sample_sequences(jb->lang, o->seed, first + a, n, T,
                                              buf[r % 2] + a * T, &e);
        if (st) {
#pragma omp critical
          if (!gen_status) {
            gen_status = st;
            gen_err = e;
          }
        }
      }
    }
  }
  if (gen_status && err) *err = gen_err;
  return write_status ? write_status : gen_status;
}

static json_t *base_manifest(const ctxlab_lang *lang, const ctxlab_dataset_options *o,
                             json_t *truth) {
  json_t *m = json_object();
  json_object_set_new(m, "ctxlab_version", json_string(CTXLAB_VERSION_STRING));
  json_object_set_new(m, "family", json_string(ctxlab_lang_family(lang)));
  json_object_set_new(m, "spec", ctxlab_lang_canonical_spec(lang));
  json_object_set_new(m, "seed", json_integer((json_int_t)o->seed));
  json_object_set_new(m, "stream_derivation",
                      json_string(o->sequences ? "sequence i: ctxlab_rng_derive(seed, "
                                                 "\"gen.sequence\", i)"
                                               : "ctxlab_rng_derive(seed, \"gen.stream\", 0)"));
  if (truth) json_object_set(m, "truth", truth);
  return m;
}

int ctxlab_dataset_write(const ctxlab_lang *lang, const char *path,
                         const ctxlab_dataset_options *o, json_t *truth_summary,
                         char *sha256_hex, ctxlab_error *err) {
  if (o->sequences == 0 && o->tokens == 0)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "nothing to generate: the token count is 0");
  if (o->sequences > 0 && o->length == 0)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "sequence length must be at least 1");
  if (o->sequences > 0 && o->length > UINT64_MAX / o->sequences)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%llu sequences of %llu tokens is too many tokens",
                            (unsigned long long)o->sequences, (unsigned long long)o->length);
  ctxlab_token_layout layout = {o->format, ctxlab_lang_vocab_size(lang), o->sequences,
                                o->sequences ? o->length : 0,
                                o->sequences ? o->sequences * o->length : o->tokens};
  int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
  uint32_t *buf[2] = {malloc(sizeof(uint32_t) * CHUNK_TOKENS),
                      malloc(sizeof(uint32_t) * CHUNK_TOKENS)};
  job jb = {lang, o, NULL, 0, layout.tokens};
  json_t *manifest = NULL;
  int st;
  if (!buf[0] || !buf[1]) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (generation buffers)");
    goto cleanup;
  }
  if ((st = ctxlab_token_writer_open(path, &layout, &jb.writer, err))) goto cleanup;
  if (o->sequences == 0) {
    ctxlab_rng rng;
    ctxlab_rng_derive(&rng, o->seed, "gen.stream", 0);
    st = write_path(&jb, &rng, o->tokens, threads, buf, err);
  } else if (o->length > CHUNK_TOKENS) {
    for (uint64_t i = 0; i < o->sequences && !st; ++i) {
      ctxlab_rng rng;
      ctxlab_rng_derive(&rng, o->seed, "gen.sequence", i);
      st = write_path(&jb, &rng, o->length, threads, buf, err);
    }
  } else {
    st = write_sequences(&jb, threads, buf, err);
  }
  if (st) goto cleanup;
  manifest = base_manifest(lang, o, truth_summary);
  if (!manifest) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
    goto cleanup;
  }
  st = ctxlab_token_writer_finish(jb.writer, manifest, sha256_hex, err);
  jb.writer = NULL; /* finish frees it, success or not */
cleanup:
  if (jb.writer) ctxlab_token_writer_abort(jb.writer);
  json_decref(manifest);
  free(buf[0]);
  free(buf[1]);
  return st;
}
