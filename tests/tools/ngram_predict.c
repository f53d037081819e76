/* ngram_predict: the predicted n-gram loss (ctxlab/predict.h) as JSON, for
 * tests/python/test_predict_ngram.py.
 *
 *   ngram_predict SPEC ORDERS D [--kneser-ney] [--beta B] [--kn-discount X]
 *                 [--samples N] [--seed S] [--threads T] [--max-enumerate M]
 *       ORDERS a comma-separated list; prints {"train_tokens": D,
 *       "best_order": c, "predictions": [{"order": c, "bayes_bits": ..,
 *       "bayes_stderr_bits": .., "approx_bits": .., "approx_stderr_bits": ..,
 *       "loss_bits": .., "method": .., "approximate": ..}, ...]}
 *   ngram_predict --binomial-log N Q A...
 *       E[ln(k + A)] for k ~ Binomial(N, Q), one per line (nats), from
 *       ctxlab_binomial_log_shift (for the scipy cross-check).
 * Numbers are printed with 17 significant digits. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/predict.h"
#include "theory/predict/binomial_log.h"

static int usage(void) {
  fprintf(stderr,
          "usage: ngram_predict SPEC ORDERS D [--kneser-ney] [--beta B] [--kn-discount X]\n"
          "                     [--samples N] [--seed S] [--threads T] [--max-enumerate M]\n"
          "       ngram_predict --binomial-log N Q A...\n");
  return 2;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  *out = v;
  return errno == 0 && end != s && *end == '\0' && s[0] != '-';
}

static int parse_double(const char *s, double *out) {
  char *end;
  errno = 0;
  *out = strtod(s, &end);
  return errno == 0 && end != s && *end == '\0';
}

static int binomial_log(int argc, char **argv) {
  uint64_t N;
  double q;
  if (argc < 5 || !parse_u64(argv[2], &N) || !parse_double(argv[3], &q)) return usage();
  for (int i = 4; i < argc; ++i) {
    double a;
    if (!parse_double(argv[i], &a)) return usage();
    printf("%.17g\n", log((double)N * q + a) + ctxlab_binomial_log_shift(N, q, a));
  }
  return 0;
}

int main(int argc, char **argv) {
  ctxlab_init();
  if (argc >= 2 && strcmp(argv[1], "--binomial-log") == 0) return binomial_log(argc, argv);
  if (argc < 4) return usage();
  ctxlab_ngram_estimator est = {CTXLAB_SMOOTHING_ADD_BETA, 0.5, 0};
  ctxlab_predict_options o;
  ctxlab_predict_options_init(&o);
  uint64_t D, v;
  if (!parse_u64(argv[3], &D)) return usage();
  for (int i = 4; i < argc; ++i) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--kneser-ney") == 0) {
      est.smoothing = CTXLAB_SMOOTHING_KNESER_NEY;
      continue;
    }
    if (!next) return usage();
    i++;
    if (strcmp(a, "--beta") == 0 && parse_double(next, &est.beta)) continue;
    if (strcmp(a, "--kn-discount") == 0 && parse_double(next, &est.kn_discount)) continue;
    if (strcmp(a, "--samples") == 0 && parse_u64(next, &o.samples)) continue;
    if (strcmp(a, "--seed") == 0 && parse_u64(next, &o.seed)) continue;
    if (strcmp(a, "--max-enumerate") == 0 && parse_u64(next, &o.max_enumerate)) continue;
    if (strcmp(a, "--threads") == 0 && parse_u64(next, &v)) {
      o.threads = (int)v;
      continue;
    }
    return usage();
  }
  uint32_t orders[64];
  size_t n = 0;
  for (char *s = argv[2], *end; *s && n < 64; s = *end ? end + 1 : end) {
    errno = 0;
    unsigned long c = strtoul(s, &end, 10);
    if (errno || end == s || (*end && *end != ',') || c > UINT32_MAX) return usage();
    orders[n++] = (uint32_t)c;
  }
  ctxlab_error err;
  ctxlab_lang *lang = NULL;
  ctxlab_ngram_prediction out[64];
  size_t best;
  int st = ctxlab_lang_new(argv[1], &lang, &err);
  if (!st) st = ctxlab_predict_ngram_orders(lang, orders, n, D, &est, &o, out, &best, &err);
  ctxlab_lang_free(lang);
  if (st) {
    fprintf(stderr, "ngram_predict: %s\n", err.message);
    return 1;
  }
  printf("{\"train_tokens\": %llu, \"best_order\": %u, \"predictions\": [",
         (unsigned long long)D, orders[best]);
  for (size_t i = 0; i < n; ++i) {
    const ctxlab_ngram_prediction *p = &out[i];
    if (p->method == CTXLAB_METHOD_NONE) {
      printf("%s{\"order\": %u, \"method\": \"none\"}", i ? ", " : "", orders[i]);
      continue;
    }
    printf("%s{\"order\": %u, \"bayes_bits\": %.17g, \"bayes_stderr_bits\": %.17g, "
           "\"approx_bits\": %.17g, \"approx_stderr_bits\": %.17g, \"loss_bits\": %.17g, "
           "\"method\": \"%s\", \"approximate\": %s}",
           i ? ", " : "", orders[i], p->bayes_bits, p->bayes_stderr_bits, p->approx_bits,
           p->approx_stderr_bits, p->loss_bits, ctxlab_method_name(p->method),
           p->approximate ? "true" : "false");
  }
  printf("]}\n");
  return 0;
}
