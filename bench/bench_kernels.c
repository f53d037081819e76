/* Timings of ctxlab's hot paths in isolation, one line of JSON each:
 *   bench_kernels sample SPEC SEQUENCES LENGTH THREADS   tokens into memory
 *   bench_kernels theory SPEC L THREADS                  exact curves to L
 * (language construction is not timed). */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctxlab/theory.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int die(const ctxlab_error *err) {
  fprintf(stderr, "bench_kernels: %s\n", err->message);
  return 1;
}

/* Sequences in tasks of 64, as the gen command does, into one buffer per
 * thread (the buffer is reused: this measures the sampler, not memory). */
static int bench_sample(const ctxlab_lang *lang, size_t count, size_t length, int threads) {
  enum { TASK = 64 };
  size_t tasks = (count + TASK - 1) / TASK;
  int failed = 0;
  double t0 = now();
#pragma omp parallel num_threads(threads)
  {
    uint32_t *buf = malloc(sizeof(uint32_t) * TASK * length);
    uint64_t sink = 0;
#pragma omp for schedule(dynamic, 1)
    for (size_t t = 0; t < tasks; ++t) {
      size_t n = count - t * TASK < TASK ? count - t * TASK : TASK;
      if (!buf || ctxlab_lang_sample_sequences(lang, 1, t * TASK, n, length, buf, NULL))
        failed = 1;
      else
        sink += buf[n * length - 1];
    }
    if (sink == 42) fputc(' ', stderr); /* keep the work observable */
    free(buf);
  }
  double secs = now() - t0;
  if (failed) return fprintf(stderr, "bench_kernels: sampling failed\n"), 1;
  printf("{\"what\": \"sample\", \"tokens\": %zu, \"threads\": %d, \"seconds\": %.6f, "
         "\"ns_per_token\": %.4f}\n",
         count * length, threads, secs, secs * 1e9 / (double)(count * length));
  return 0;
}

static int bench_theory(const ctxlab_lang *lang, size_t L, int threads) {
  ctxlab_theory_options o;
  ctxlab_theory_options_init(&o);
  o.max_context = L;
  o.threads = threads;
  ctxlab_truth t;
  ctxlab_error err;
  double t0 = now();
  if (ctxlab_theory_compute(lang, &o, &t, &err)) return die(&err);
  double secs = now() - t0;
  printf("{\"what\": \"theory\", \"max_context\": %zu, \"threads\": %d, \"seconds\": %.6f}\n", L,
         threads, secs);
  ctxlab_truth_free(&t);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_kernels sample SPEC SEQUENCES LENGTH THREADS\n"
                    "       bench_kernels theory SPEC L THREADS\n");
    return 2;
  }
  ctxlab_lang *lang;
  ctxlab_error err;
  if (ctxlab_lang_new(argv[2], &lang, &err)) return die(&err);
  int rc = 2;
  if (strcmp(argv[1], "sample") == 0 && argc == 6)
    rc = bench_sample(lang, strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10), atoi(argv[5]));
  else if (strcmp(argv[1], "theory") == 0 && argc == 5)
    rc = bench_theory(lang, strtoull(argv[3], NULL, 10), atoi(argv[4]));
  else
    fprintf(stderr, "bench_kernels: bad arguments\n");
  ctxlab_lang_free(lang);
  return rc;
}
