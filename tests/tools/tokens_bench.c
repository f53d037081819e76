/* tokens_bench: time the token writer and reader (not a test).
 *
 *   tokens_bench PATH FORMAT VOCAB N [--no-read]
 *
 * Writes N pseudo-random tokens (a 2^20-token block of a xorshift stream,
 * repeated) to PATH through the writer in 2^20-token calls, then opens PATH
 * with verification and reads it back.  Prints ns/token of each phase (write
 * includes finish: fsync, renames, manifest; the hash of a block is part of
 * write), the CPU time spent in user space and in the kernel during the
 * write, and the process's peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ctxlab/tokens.h"

enum { BLOCK = 1 << 20 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of this process so far, user and system. */
static void cpu_times(double *user, double *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec;
  *sys = (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int fail(const ctxlab_error *err) {
  fprintf(stderr, "tokens_bench: error: %s\n", err->message);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: tokens_bench PATH FORMAT VOCAB N [--no-read]\n");
    return 2;
  }
  ctxlab_error err = {0};
  ctxlab_token_layout layout = {0};
  if (ctxlab_format_parse(argv[2], &layout.format, &err)) return fail(&err);
  layout.vocab_size = (uint32_t)strtoul(argv[3], NULL, 10);
  layout.tokens = strtoull(argv[4], NULL, 10);
  int read_back = !(argc > 5 && strcmp(argv[5], "--no-read") == 0);
  uint32_t *block = malloc(BLOCK * sizeof *block);
  if (!block) return 1;
  uint64_t x = 88172645463325252u; /* xorshift64 (Marsaglia 2003) */
  for (size_t i = 0; i < BLOCK; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    block[i] = (uint32_t)(x % layout.vocab_size);
  }

  double u0, s0, u1, s1;
  cpu_times(&u0, &s0);
  double t0 = now(), t_finish;
  ctxlab_token_writer *w;
  if (ctxlab_token_writer_open(argv[1], &layout, &w, &err)) return fail(&err);
  for (uint64_t done = 0; done < layout.tokens;) {
    size_t k = layout.tokens - done < BLOCK ? (size_t)(layout.tokens - done) : BLOCK;
    if (ctxlab_token_writer_write(w, block, k, &err)) return fail(&err);
    done += k;
  }
  t_finish = now();
  if (ctxlab_token_writer_finish(w, NULL, NULL, &err)) return fail(&err);
  double t1 = now(), n = (double)layout.tokens;
  cpu_times(&u1, &s1);
  printf(
      "write %s vocab %u: %.3f ns/token wall (%.3f in write calls, %.3f s in finish); "
      "CPU %.3f ns/token user, %.3f ns/token kernel\n",
      argv[2], layout.vocab_size, 1e9 * (t1 - t0) / n, 1e9 * (t_finish - t0) / n, t1 - t_finish,
      1e9 * (u1 - u0) / n, 1e9 * (s1 - s0) / n);

  if (read_back) {
    ctxlab_token_file *f;
    double t2 = now();
    if (ctxlab_token_file_open(argv[1], 1, &f, &err)) return fail(&err);
    double t3 = now();
    for (uint64_t done = 0; done < layout.tokens;) {
      size_t k = layout.tokens - done < BLOCK ? (size_t)(layout.tokens - done) : BLOCK;
      if (ctxlab_token_file_read(f, done, k, block, &err)) return fail(&err);
      done += k;
    }
    double t4 = now();
    ctxlab_token_file_close(f);
    printf("open+verify: %.3f ns/token; read: %.3f ns/token\n", 1e9 * (t3 - t2) / n,
           1e9 * (t4 - t3) / n);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("peak RSS: %ld KiB\n", ru.ru_maxrss);
  free(block);
  return 0;
}
