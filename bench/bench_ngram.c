/* Timing of the n-gram model's training, one line of JSON per run:
 *   bench_ngram TOKENS.u32 V ORDER [SMOOTHING]
 * TOKENS.u32 holds raw little-endian uint32 tokens (bench/bench_ngram.py
 * writes it).  Times fit (reading the stream: every (ORDER+1)-gram into the
 * top-order hash table, or into a plain array once most are new) and build
 * (every order sorted with its counts, continuation counts and context
 * index, as forward and checkpoints use them), each on one thread; reading
 * the file and creating the model are not timed. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/model_config.h"
#include "sim/ngram/ngram.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of this process (user + system: page faults are part of the
 * work), less sensitive than wall time to other jobs on a shared machine. */
static double cpu(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: bench_ngram TOKENS.u32 V ORDER [add-beta|kneser-ney]\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) return perror(argv[1]), 1;
  fseek(f, 0, SEEK_END);
  const size_t n = (size_t)ftell(f) / sizeof(uint32_t);
  fseek(f, 0, SEEK_SET);
  uint32_t *tokens = malloc(n * sizeof *tokens);
  if (!tokens || fread(tokens, sizeof *tokens, n, f) != n)
    return fprintf(stderr, "read failed\n"), 1;
  fclose(f);

  ctxlab_model_config cfg;
  ctxlab_error err = {0};
  ctxlab_model *m = NULL;
  ctxlab_model_config_init(&cfg, "ngram", NULL);
  cfg.vocab_size = (uint32_t)strtoul(argv[2], NULL, 10);
  cfg.context = (uint32_t)strtoul(argv[3], NULL, 10);
  if (argc == 5 &&
      ctxlab_model_config_set_string(&cfg, "smoothing", argv[4], "bench_ngram", &err))
    return fprintf(stderr, "%s\n", err.message), 2;
  if (ctxlab_model_new(&cfg, 0, &m, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  ctxlab_model_set_threads(m, 1);
  const double t0 = now(), c0 = cpu();
  if (m->ops->fit(m, tokens, n, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  const double t1 = now(), c1 = cpu();
  if (ctxlab_ngram_build(m->impl, &err)) return fprintf(stderr, "%s\n", err.message), 1;
  const double t2 = now(), c2 = cpu();
  const ctxlab_ngram *g = m->impl;
  printf(
      "{\"tokens\": %zu, \"vocab\": %u, \"order\": %u, \"distinct\": %zu, "
      "\"fit_s\": %.6f, \"build_s\": %.6f, \"fit_cpu_s\": %.6f, \"build_cpu_s\": %.6f}\n",
      n, cfg.vocab_size, cfg.context, g->orders[g->order].n, t1 - t0, t2 - t1, c1 - c0, c2 - c1);
  ctxlab_model_free(m);
  free(tokens);
  return 0;
}
