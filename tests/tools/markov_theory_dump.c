/* markov_theory_dump: exact theory of one order-k chain, for the numpy
 * cross-checks (tests/python/test_markov_theory_numpy.py) and for timing.
 *
 * stdin: a JSON object
 *   {"V": 2, "k": 1, "P": [V^(k+1) numbers], "L": 16, "threads": 0,
 *    "method": "auto" | "gth" | "power"}
 * or, for temperature tuning, "logD": [V^(k+1) numbers, null for -inf] and
 * "target_bits" in place of "P".
 * stdout: {"n_states", "pi", "residual", "entropy_rate_bits", "H", "I"} plus
 * "beta" and "P" when tuning.  Options: --summary leaves out pi and P,
 * --time prints the time of each stage to stderr.
 * Exit status: 0, or 2 on invalid input, 1 on other failures (message on
 * stderr). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen/markov/markov_theory.h"
#include "gen/markov/markov_theory_internal.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int timing;
static double stage_start;

static void stage(const char *name) {
  const double t = now();
  if (timing && name) fprintf(stderr, "%-12s %.3f s\n", name, t - stage_start);
  stage_start = t;
}

/* Reads key (an array of `count` numbers, null meaning -inf) into a new array. */
static double *read_array(const json_t *root, const char *key, uint64_t count, ctxlab_error *err) {
  const json_t *a = json_object_get(root, key);
  if (!json_is_array(a) || json_array_size(a) != count) {
    ctxlab_error_set(err, CTXLAB_EINVAL, "$.%s must be an array of %llu numbers", key,
                     (unsigned long long)count);
    return NULL;
  }
  double *v = malloc(count * sizeof *v);
  if (!v) {
    ctxlab_error_set(err, CTXLAB_ENOMEM, "cannot allocate $.%s", key);
    return NULL;
  }
  for (uint64_t i = 0; i < count; i++) {
    const json_t *e = json_array_get(a, i);
    if (json_is_null(e)) {
      v[i] = -INFINITY;
    } else if (json_is_number(e)) {
      v[i] = json_number_value(e);
    } else {
      ctxlab_error_set(err, CTXLAB_EINVAL, "$.%s[%llu] is not a number", key,
                       (unsigned long long)i);
      free(v);
      return NULL;
    }
  }
  return v;
}

static json_t *array_of(const double *v, uint64_t count) {
  json_t *a = json_array();
  for (uint64_t i = 0; i < count; i++) json_array_append_new(a, json_real(v[i]));
  return a;
}

static int run(const json_t *root, int summary, ctxlab_error *err) {
  const json_t *jV = json_object_get(root, "V"), *jk = json_object_get(root, "k");
  if (!json_is_integer(jV) || !json_is_integer(jk) || json_integer_value(jV) < 0 ||
      json_integer_value(jk) < 0 || json_integer_value(jV) > UINT32_MAX ||
      json_integer_value(jk) > UINT32_MAX)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "$.V and $.k must be nonnegative integers");
  const uint32_t V = (uint32_t)json_integer_value(jV), k = (uint32_t)json_integer_value(jk);
  const json_t *jL = json_object_get(root, "L"), *jt = json_object_get(root, "threads");
  const size_t L = jL ? (size_t)json_integer_value(jL) : 16;
  const int threads = jt ? (int)json_integer_value(jt) : 0;
  const char *method = json_string_value(json_object_get(root, "method"));
  if (!method) method = "auto";

  uint64_t n;
  int rc = ctxlab_markov_state_count(V, k, &n, err);
  if (rc) return rc;
  double *P = NULL, *logD = NULL, *pi = NULL, *H = NULL, *I = NULL, beta = NAN, residual = NAN;
  json_t *out = NULL;
  const int tuning = json_object_get(root, "logD") != NULL;
  stage(NULL);
  if (tuning) {
    const json_t *target = json_object_get(root, "target_bits");
    if (!json_is_number(target)) {
      rc = ctxlab_error_set(err, CTXLAB_EINVAL, "$.target_bits must be a number");
      goto cleanup;
    }
    if (!(logD = read_array(root, "logD", n * V, err))) {
      rc = err->status;
      goto cleanup;
    }
    if (!(P = malloc(n * V * sizeof *P))) {
      rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "no memory");
      goto cleanup;
    }
    stage("read");
    if ((rc = ctxlab_markov_tune_temperature(V, k, logD, json_number_value(target), P, &beta,
                                             err)))
      goto cleanup;
    stage("tune");
  } else {
    if (!(P = read_array(root, "P", n * V, err))) {
      rc = err->status;
      goto cleanup;
    }
    stage("read");
  }
  pi = malloc(n * sizeof *pi);
  H = malloc((L + 1) * sizeof *H);
  I = malloc((L + 1) * sizeof *I);
  if (!pi || !H || !I) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "no memory");
    goto cleanup;
  }
  if (!strcmp(method, "gth") || !strcmp(method, "power")) {
    if ((rc = ctxlab_markov_check_irreducible(V, k, P, err))) goto cleanup;
    rc = method[0] == 'g' ? ctxlab_markov_stationary_gth(V, n, P, pi, err)
                          : ctxlab_markov_stationary_power(V, n, P, 0, pi, NULL, err);
  } else if (!strcmp(method, "auto")) {
    rc = ctxlab_markov_stationary(V, k, P, pi, err);
  } else {
    rc = ctxlab_error_set(err, CTXLAB_EINVAL, "$.method must be auto, gth or power");
  }
  if (rc) goto cleanup;
  stage("stationary");
  residual = ctxlab_markov_residual(V, n, P, pi);
  const double rate = ctxlab_markov_entropy_rate(V, k, P, pi);
  stage("rate");
  if ((rc = ctxlab_markov_exact_curves(V, k, P, pi, L, threads, H, NULL, err))) goto cleanup;
  stage("H curve");
  if ((rc = ctxlab_markov_exact_curves(V, k, P, pi, L, threads, NULL, I, err))) goto cleanup;
  stage("I curve");

  out = json_object();
  json_object_set_new(out, "n_states", json_integer((json_int_t)n));
  if (!summary) json_object_set_new(out, "pi", array_of(pi, n));
  json_object_set_new(out, "residual", json_real(residual));
  json_object_set_new(out, "entropy_rate_bits", json_real(rate));
  json_object_set_new(out, "H", array_of(H, L + 1));
  json_object_set_new(out, "I", array_of(I, L));
  if (tuning) {
    json_object_set_new(out, "beta", json_real(beta));
    if (!summary) json_object_set_new(out, "P", array_of(P, n * V));
  }
  json_dumpf(out, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17));
  fputc('\n', stdout);

cleanup:
  json_decref(out);
  free(P);
  free(logD);
  free(pi);
  free(H);
  free(I);
  return rc;
}

int main(int argc, char **argv) {
  int summary = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--summary")) {
      summary = 1;
    } else if (!strcmp(argv[i], "--time")) {
      timing = 1;
    } else {
      fprintf(stderr, "usage: markov_theory_dump [--summary] [--time] < chain.json\n");
      return 2;
    }
  }
  json_error_t jerr;
  json_t *root = json_loadf(stdin, 0, &jerr);
  if (!json_is_object(root)) {
    fprintf(stderr, "markov_theory_dump: error: stdin, line %d: %s\n", jerr.line,
            root ? "not an object" : jerr.text);
    json_decref(root);
    return 2;
  }
  ctxlab_error err = {CTXLAB_OK, ""};
  const int rc = run(root, summary, &err);
  json_decref(root);
  if (rc) {
    fprintf(stderr, "markov_theory_dump: error: %s\n", err.message);
    return ctxlab_status_is_input_error((ctxlab_status)rc) ? 2 : 1;
  }
  return 0;
}
