/* The `markov` family: spec parsing, table construction, derived tables. */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_spec.h"
#include "gen/markov/markov.h"
#include "gen/markov/markov_theory.h"

#define DEFAULT_VOCAB 16
#define DEFAULT_ORDER 1
#define DEFAULT_CONCENTRATION 1.0
#define MAX_VOCAB (1u << 27)
#define MAX_ORDER 64
#define MAX_CONCENTRATION 1e6
/* A transition row must sum to 1 within this (issue 2). */
#define ROW_SUM_TOLERANCE 1e-9

static const char *const markov_keys[] = {"family", "vocab", "order", "transitions",
                                          "concentration", "seed", "target_entropy_bits", NULL};

/* Read `transitions` into P (n_states x V): every row non-negative, summing to
 * 1 within ROW_SUM_TOLERANCE; rows are then normalised. */
static int read_transitions(const json_t *rows, uint32_t V, uint32_t k, uint64_t n_states,
                            double *P, ctxlab_error *err) {
  const char *path = "$.transitions";
  if (!json_is_array(rows))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "%s: expected a list of rows, got %s", path,
                            ctxlab_json_type_phrase(rows));
  if (json_array_size(rows) != n_states)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "%s: expected %llu rows (vocab^order = %u^%u), got %zu", path,
                            (unsigned long long)n_states, V, k, json_array_size(rows));
  char rp[CTXLAB_JSON_PATH_MAX];
  for (uint64_t s = 0; s < n_states; ++s) {
    ctxlab_json_path_index(rp, path, s);
    double *row = P + s * V;
    int st = ctxlab_json_number_list(json_array_get(rows, s), rp, V, -INFINITY, INFINITY, 0, row,
                                     err);
    if (st) return st;
    for (uint32_t x = 0; x < V; ++x)
      if (row[x] < 0)
        return ctxlab_error_set(err, CTXLAB_EINVAL,
                                "%s[%u]: %.17g is negative; probabilities must be >= 0", rp, x,
                                row[x]);
    double sum = 0;
    for (uint32_t x = 0; x < V; ++x) sum += row[x];
    if (fabs(sum - 1.0) > ROW_SUM_TOLERANCE)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "%s: row sums to %.12g; each row must sum to 1 within %g", rp, sum,
                              ROW_SUM_TOLERANCE);
    for (uint32_t x = 0; x < V; ++x) row[x] /= sum;
  }
  return CTXLAB_OK;
}

/* Rows drawn from Dirichlet(alpha, ..., alpha), row after row, from the
 * generator ctxlab_rng_derive(seed, "lang.table", 0) through GSL's sampler.
 * With a target entropy, rows are then tempered: P(x|s) ~ D_s(x)^beta. */
static int random_table(uint32_t V, uint64_t n_states, uint32_t k, double alpha, uint64_t seed,
                        int has_target, double target, double *P, ctxlab_error *err) {
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, seed, "lang.table", 0);
  gsl_rng *g = ctxlab_rng_gsl_new(&rng);
  double *alphas = malloc(sizeof(double) * V);
  double *logD = has_target ? malloc(sizeof(double) * n_states * V) : NULL;
  int st = CTXLAB_OK;
  if (!g || !alphas || (has_target && !logD)) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%llu x %u table)",
                          (unsigned long long)n_states, V);
    goto cleanup;
  }
  for (uint32_t x = 0; x < V; ++x) alphas[x] = alpha;
  for (uint64_t s = 0; s < n_states; ++s) gsl_ran_dirichlet(g, V, alphas, P + s * V);
  if (has_target) {
    for (uint64_t i = 0; i < n_states * V; ++i) logD[i] = log(P[i]);
    double beta;
    st = ctxlab_markov_tune_temperature(V, k, logD, target, P, &beta, err);
    if (st) ctxlab_error_prefix(err, "$.target_entropy_bits: ");
  }
cleanup:
  if (g) gsl_rng_free(g);
  free(alphas);
  free(logD);
  return st;
}

static json_t *canonical_spec(const json_t *spec, uint32_t V, uint32_t k, int has_table,
                              double alpha, uint64_t seed, int has_target, double target) {
  json_t *c = json_object();
  json_object_set_new(c, "family", json_string("markov"));
  json_object_set_new(c, "vocab", json_integer(V));
  json_object_set_new(c, "order", json_integer(k));
  if (has_table) {
    json_object_set_new(c, "transitions", json_deep_copy(json_object_get(spec, "transitions")));
  } else {
    json_object_set_new(c, "concentration", json_real(alpha));
    json_object_set_new(c, "seed", json_integer((json_int_t)seed));
    if (has_target) json_object_set_new(c, "target_entropy_bits", json_real(target));
  }
  return c;
}

/* Derived tables: stationary law (which also checks that the lifted chain is
 * irreducible), block laws, alias tables. */
static int derive_tables(ctxlab_markov *m, ctxlab_error *err) {
  int st;
  m->pi = malloc(sizeof(double) * m->n_states);
  m->block = calloc(m->k + 1, sizeof(double *));
  m->table = malloc(sizeof(uint64_t) * m->n_states * m->V);
  if (!m->pi || !m->block || !m->table)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (markov tables)");
  st = ctxlab_markov_stationary(m->V, m->k, m->P, m->pi, err);
  if (st) return st;
  uint64_t size = 1;
  for (uint32_t j = 0; j < m->k; ++j, size *= m->V) {
    m->block[j] = malloc(sizeof(double) * size);
    if (!m->block[j]) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (block laws)");
    ctxlab_markov_block_law(m->V, m->k, m->pi, j, m->block[j]);
  }
  m->block[m->k] = m->pi;

  ctxlab_alias_work work;
  st = ctxlab_alias_work_init(&work, m->V, err);
  if (st) return st;
  for (uint64_t s = 0; s < m->n_states; ++s)
    ctxlab_alias_build(m->P + s * m->V, m->V, m->table + s * m->V, &work);
  ctxlab_alias_work_free(&work);
  m->reject_below = ctxlab_alias_reject_below(m->V);
  return ctxlab_alias64_build(m->pi, m->n_states, &m->init, err);
}

int ctxlab_markov_build(const json_t *spec, void **impl, ctxlab_error *err) {
  *impl = NULL;
  int st = ctxlab_json_check_object(spec, "$", markov_keys, err);
  if (st) return st;
  uint64_t V, k, seed;
  double alpha, target = 0;
  if ((st = ctxlab_json_member_uint(spec, "$", "vocab", 0, DEFAULT_VOCAB, 2, MAX_VOCAB, &V, err)) ||
      (st = ctxlab_json_member_uint(spec, "$", "order", 0, DEFAULT_ORDER, 0, MAX_ORDER, &k, err)))
    return st;
  const json_t *rows = json_object_get(spec, "transitions");
  int has_target = json_object_get(spec, "target_entropy_bits") != NULL;
  if (rows) {
    const char *clash = json_object_get(spec, "concentration") ? "concentration"
                        : json_object_get(spec, "seed")        ? "seed"
                        : has_target                           ? "target_entropy_bits"
                                                               : NULL;
    if (clash)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "$.%s: not allowed with $.transitions (give either an explicit table "
                              "or a random one: concentration, seed, target_entropy_bits)",
                              clash);
  }
  if ((st = ctxlab_json_member_number(spec, "$", "concentration", 0, DEFAULT_CONCENTRATION,
                                      0x1p-1022, MAX_CONCENTRATION, 0, &alpha, err)) ||
      (st = ctxlab_json_member_uint(spec, "$", "seed", 0, 0, 0, CTXLAB_JSON_UINT_MAX, &seed, err)) ||
      (st = ctxlab_json_member_number(spec, "$", "target_entropy_bits", 0, 0, 0, log2((double)V),
                                      0, &target, err)))
    return st;

  uint64_t n_states;
  if ((st = ctxlab_markov_state_count((uint32_t)V, (uint32_t)k, &n_states, err)))
    return ctxlab_error_prefix(err, "$.order: ");

  ctxlab_markov *m = calloc(1, sizeof *m);
  if (!m) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  m->V = (uint32_t)V;
  m->k = (uint32_t)k;
  m->n_states = n_states;
  m->top_weight = n_states / m->V;
  m->P = malloc(sizeof(double) * n_states * m->V);
  if (!m->P) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%llu x %u transition table)",
                          (unsigned long long)n_states, m->V);
    goto fail;
  }
  st = rows ? read_transitions(rows, m->V, m->k, n_states, m->P, err)
            : random_table(m->V, n_states, m->k, alpha, seed, has_target, target, m->P, err);
  if (st) goto fail;
  if ((st = derive_tables(m, err))) goto fail;
  m->canonical = canonical_spec(spec, m->V, m->k, rows != NULL, alpha, seed, has_target, target);
  if (!m->canonical) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
    goto fail;
  }
  *impl = m;
  return CTXLAB_OK;
fail:
  ctxlab_markov_destroy(m);
  return st;
}

void ctxlab_markov_destroy(void *impl) {
  ctxlab_markov *m = impl;
  if (!m) return;
  if (m->block)
    for (uint32_t j = 0; j < m->k; ++j) free(m->block[j]);
  free(m->block);
  free(m->pi);
  free(m->P);
  free(m->table);
  ctxlab_alias64_free(&m->init);
  json_decref(m->canonical);
  free(m);
}
