/* fit_tool: one fit of include/ctxlab/fit.h on points read from stdin, for the
 * scipy cross-check (tests/python/test_fit_scipy.py).
 *
 *   fit_tool FORM < points
 *
 * FORM: offset-power (C0 + C x^-gamma), power (A x^-alpha), power-offset
 * (C0 + A x^-alpha) or linear (k x + b).  points: one "x y" or "x y sigma" per
 * line (every line alike; sigma makes the fit weighted).  Prints
 * ctxlab_fit_to_json's object plus "chi2", "dof" and "iterations", numbers with
 * 17 significant digits.  Exit status 2 for invalid input, 1 for a failed fit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/fit.h"

static int usage(void) {
  fprintf(stderr, "usage: fit_tool offset-power|power|power-offset|linear < points\n");
  return 2;
}

/* Reads the points; returns their count, with *columns = 2 or 3.  Exits on error. */
static size_t read_points(double **x, double **y, double **sigma, int *columns) {
  size_t n = 0, cap = 0;
  char line[512];
  *x = *y = *sigma = NULL;
  *columns = 0;
  while (fgets(line, sizeof line, stdin)) {
    double v[3];
    char extra;
    int k = sscanf(line, "%lf %lf %lf %c", &v[0], &v[1], &v[2], &extra);
    if (k == EOF) continue; /* blank line */
    if (k < 2 || k > 3 || (*columns && k != *columns)) {
      fprintf(stderr, "fit_tool: stdin line %zu: expected \"x y\" or \"x y sigma\" like the "
                      "first line\n", n + 1);
      exit(2);
    }
    *columns = k;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      double *nx = realloc(*x, cap * sizeof *nx);
      if (nx) *x = nx;
      double *ny = realloc(*y, cap * sizeof *ny);
      if (ny) *y = ny;
      double *ns = realloc(*sigma, cap * sizeof *ns);
      if (ns) *sigma = ns;
      if (!nx || !ny || !ns) {
        fprintf(stderr, "fit_tool: out of memory\n");
        exit(1);
      }
    }
    (*x)[n] = v[0], (*y)[n] = v[1], (*sigma)[n] = k == 3 ? v[2] : 0;
    ++n;
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc != 2) return usage();
  const char *form = argv[1];
  double *x, *y, *sigma;
  int columns;
  size_t n = read_points(&x, &y, &sigma, &columns);
  const double *s = columns == 3 ? sigma : NULL;
  ctxlab_fit_result fit;
  ctxlab_error err = {0};
  int st;
  if (strcmp(form, "offset-power") == 0)
    st = ctxlab_fit_offset_power(x, y, s, n, &fit, &err);
  else if (strcmp(form, "power") == 0)
    st = ctxlab_fit_power(x, y, s, n, 0, &fit, &err);
  else if (strcmp(form, "power-offset") == 0)
    st = ctxlab_fit_power(x, y, s, n, 1, &fit, &err);
  else if (strcmp(form, "linear") == 0)
    st = ctxlab_fit_linear(x, y, s, n, &fit, &err);
  else
    return usage();
  free(x), free(y), free(sigma);
  if (st) {
    fprintf(stderr, "fit_tool: %s\n", err.message);
    return ctxlab_status_is_input_error((ctxlab_status)st) ? 2 : 1;
  }
  json_t *obj = ctxlab_fit_to_json(&fit, NULL);
  char *text = NULL;
  if (obj) {
    json_object_set_new(obj, "chi2", json_real(fit.chi2));
    json_object_set_new(obj, "dof", json_integer((json_int_t)fit.dof));
    json_object_set_new(obj, "iterations", json_integer((json_int_t)fit.iterations));
    text = json_dumps(obj, JSON_REAL_PRECISION(17) | JSON_SORT_KEYS);
  }
  if (!text) {
    fprintf(stderr, "fit_tool: out of memory\n");
    return 1;
  }
  printf("%s\n", text);
  free(text);
  json_decref(obj);
  return 0;
}
