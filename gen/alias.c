/* Alias tables (Walker 1977; Vose, "A linear algorithm for generating random
 * numbers with a given distribution", IEEE TSE 1991). */
#include "gen/alias.h"

#include <math.h>
#include <stdlib.h>

/* Vose's algorithm on scaled probabilities q_i = n p_i / sum p: columns with
 * q < 1 are topped up by an alias column with q >= 1.  Writes prob[i] in
 * [0, 1] and alias[i]; small and large hold n indices each. */
static void vose(const double *p, uint64_t n, double *prob, uint64_t *alias, uint64_t *small,
                 uint64_t *large) {
  double total = 0;
  for (uint64_t i = 0; i < n; ++i) total += p[i];
  uint64_t ns = 0, nl = 0;
  for (uint64_t i = 0; i < n; ++i) {
    prob[i] = p[i] * (double)n / total;
    alias[i] = i;
    if (prob[i] < 1.0)
      small[ns++] = i;
    else
      large[nl++] = i;
  }
  while (ns > 0 && nl > 0) {
    uint64_t s = small[--ns], l = large[nl - 1];
    alias[s] = l;
    prob[l] = (prob[l] + prob[s]) - 1.0;
    if (prob[l] < 1.0) {
      --nl;
      small[ns++] = l;
    }
  }
  /* What remains is 1 up to rounding: always the column itself. */
  while (nl > 0) prob[large[--nl]] = 1.0;
  while (ns > 0) prob[small[--ns]] = 1.0;
}

int ctxlab_alias_work_init(ctxlab_alias_work *w, uint64_t cap, ctxlab_error *err) {
  w->cap = cap;
  w->prob = malloc(sizeof(double) * cap);
  w->index = malloc(sizeof(uint64_t) * 3 * cap);
  if (!w->prob || !w->index) {
    ctxlab_alias_work_free(w);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (alias table of %llu entries)",
                            (unsigned long long)cap);
  }
  return CTXLAB_OK;
}

void ctxlab_alias_work_free(ctxlab_alias_work *w) {
  free(w->prob);
  free(w->index);
  w->prob = NULL;
  w->index = NULL;
}

void ctxlab_alias_build(const double *p, uint32_t n, uint64_t *table, ctxlab_alias_work *w) {
  uint64_t *alias = w->index;
  vose(p, n, w->prob, alias, alias + n, alias + 2 * (uint64_t)n);
  for (uint32_t i = 0; i < n; ++i) {
    /* threshold = round(prob 2^32); a full column keeps 2^32 - 1 and aliases
     * itself, so it always yields i */
    double t = ldexp(w->prob[i], 32);
    uint64_t thr = t >= 4294967295.0 ? 0xffffffffu : (uint64_t)(t + 0.5);
    uint64_t a = w->prob[i] >= 1.0 ? i : alias[i];
    table[i] = (a << 32) | thr;
  }
}

int ctxlab_alias64_build(const double *p, uint64_t n, ctxlab_alias64 *out, ctxlab_error *err) {
  out->n = n;
  out->prob = malloc(sizeof(double) * n);
  out->alias = malloc(sizeof(uint64_t) * n);
  uint64_t *work = malloc(sizeof(uint64_t) * 2 * n);
  if (!out->prob || !out->alias || !work) {
    free(work);
    ctxlab_alias64_free(out);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (alias table of %llu entries)",
                            (unsigned long long)n);
  }
  vose(p, n, out->prob, out->alias, work, work + n);
  free(work);
  return CTXLAB_OK;
}

void ctxlab_alias64_free(ctxlab_alias64 *a) {
  free(a->prob);
  free(a->alias);
  a->prob = NULL;
  a->alias = NULL;
}

uint64_t ctxlab_alias64_draw(const ctxlab_alias64 *a, ctxlab_rng *rng) {
  uint64_t col = ctxlab_rng_bounded(rng, a->n);
  return ctxlab_rng_uniform(rng) < a->prob[col] ? col : a->alias[col];
}
