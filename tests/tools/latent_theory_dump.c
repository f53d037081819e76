/* latent_theory_dump: the latent family's exact theory as text, for the numpy
 * cross-check (tests/python/test_latent_theory_numpy.py).
 *
 *   latent_theory_dump curves L EPS THREADS < chains
 *       lines "H v_0 .. v_L" and "S v_0 .. v_L" (EPS = 0 only), "I v_1 .. v_L"
 *   latent_theory_dump rate < chains      the entropy rate
 *   latent_theory_dump g X...             g(X), one per line
 *
 * chains: the count d, then d pairs "w_j rho_j", whitespace-separated.
 * Numbers are printed with 17 significant digits (they read back exactly). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/latent/latent_theory.h"

static int usage(void) {
  fprintf(stderr,
          "usage: latent_theory_dump curves L EPS THREADS < chains\n"
          "       latent_theory_dump rate < chains\n"
          "       latent_theory_dump g X...\n");
  return 2;
}

static int parse_double(const char *s, double *out) {
  char *end;
  errno = 0;
  *out = strtod(s, &end);
  return errno == 0 && end != s && *end == '\0';
}

/* Reads d and the (w, rho) pairs from stdin; returns d, 0 on failure. */
static uint32_t read_chains(double **w, double **rho) {
  unsigned long d;
  if (scanf("%lu", &d) != 1 || d == 0 || d > UINT32_MAX) {
    fprintf(stderr, "latent_theory_dump: stdin: expected the chain count\n");
    return 0;
  }
  *w = malloc(d * sizeof **w);
  *rho = malloc(d * sizeof **rho);
  if (!*w || !*rho) {
    fprintf(stderr, "latent_theory_dump: out of memory\n");
    return 0;
  }
  for (unsigned long j = 0; j < d; j++)
    if (scanf("%lf %lf", &(*w)[j], &(*rho)[j]) != 2) {
      fprintf(stderr, "latent_theory_dump: stdin: expected w and rho of chain %lu\n", j);
      return 0;
    }
  return (uint32_t)d;
}

static void print_row(const char *name, const double *v, size_t n) {
  printf("%s", name);
  for (size_t i = 0; i < n; i++) printf(" %.17g", v[i]);
  printf("\n");
}

static int run_curves(int argc, char **argv, uint32_t d, const double *w, const double *rho) {
  double L_value, eps, threads;
  if (argc != 5 || !parse_double(argv[2], &L_value) || !parse_double(argv[3], &eps) ||
      !parse_double(argv[4], &threads) || L_value < 0)
    return usage();
  size_t L = (size_t)L_value;
  int with_h = eps == 0;
  double *H = with_h ? malloc((L + 1) * sizeof *H) : NULL;
  double *S = with_h ? malloc((L + 1) * sizeof *S) : NULL;
  double *I = malloc((L + 1) * sizeof *I);
  if (!I || (with_h && (!H || !S))) {
    fprintf(stderr, "latent_theory_dump: out of memory\n");
    return 1;
  }
  ctxlab_error err;
  int status = ctxlab_latent_exact_curves(d, w, rho, eps, L, (int)threads, H, I, S, &err);
  if (status) {
    fprintf(stderr, "latent_theory_dump: %s\n", err.message);
  } else {
    if (with_h) print_row("H", H, L + 1), print_row("S", S, L + 1);
    print_row("I", I, L);
  }
  free(H), free(S), free(I);
  return status ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  if (!strcmp(argv[1], "g")) {
    for (int i = 2; i < argc; i++) {
      double x;
      if (!parse_double(argv[i], &x)) return usage();
      printf("%.17g\n", ctxlab_latent_g(x));
    }
    return 0;
  }
  if (strcmp(argv[1], "curves") && strcmp(argv[1], "rate")) return usage();
  double *w = NULL, *rho = NULL;
  int rc = 1;
  uint32_t d = read_chains(&w, &rho);
  if (d == 0) goto cleanup;
  if (!strcmp(argv[1], "curves")) {
    rc = run_curves(argc, argv, d, w, rho);
  } else {
    double bits;
    ctxlab_error err;
    if (ctxlab_latent_entropy_rate(d, w, rho, &bits, &err)) {
      fprintf(stderr, "latent_theory_dump: %s\n", err.message);
      goto cleanup;
    }
    printf("%.17g\n", bits);
    rc = 0;
  }
cleanup:
  free(w), free(rho);
  return rc;
}
