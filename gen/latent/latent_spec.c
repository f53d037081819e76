/* The `latent` family: spec parsing and derived tables. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/detmath.h"
#include "core/json_spec.h"
#include "gen/latent/latent.h"

#define DEFAULT_CHAINS 16
#define MAX_CHAINS (1u << 24)
#define DEFAULT_TAU_MIN 10.0
#define DEFAULT_TAU_MAX 10000.0
#define DEFAULT_ZIPF 1.0
#define MAX_ZIPF 100.0

static const char *const latent_keys[] = {"family", "chains", "flip", "timescales", "weights",
                                          "noise", NULL};
static const char *const range_keys[] = {"min", "max", NULL};
static const char *const zipf_keys[] = {"zipf", NULL};

/* rho = (1 - e^(-1/tau))/2: the flip probability whose correlation decays as
 * (1 - 2 rho)^a = e^(-a/tau). */
static double rho_of_timescale(double tau) { return -expm1(-1.0 / tau) / 2.0; }

/* Flip probabilities from `flip` or `timescales`; records the canonical form. */
static int read_flips(const json_t *spec, uint32_t d, double *rho, json_t *canon,
                      ctxlab_error *err) {
  const json_t *flip = json_object_get(spec, "flip");
  const json_t *ts = json_object_get(spec, "timescales");
  int st;
  if (flip && ts)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "$.timescales: give either $.flip or $.timescales, not both");
  if (flip) {
    if ((st = ctxlab_json_number_list(flip, "$.flip", d, 0.0, 0.5, 0, rho, err))) return st;
    json_object_set_new(canon, "flip", json_deep_copy(flip));
    return CTXLAB_OK;
  }
  if (ts && json_is_array(ts)) {
    if ((st = ctxlab_json_number_list(ts, "$.timescales", d, 0x1p-1022, INFINITY, 1, rho, err)))
      return st;
    for (uint32_t j = 0; j < d; ++j) rho[j] = rho_of_timescale(rho[j]);
    json_object_set_new(canon, "timescales", json_deep_copy(ts));
    return CTXLAB_OK;
  }
  double lo = DEFAULT_TAU_MIN, hi = DEFAULT_TAU_MAX;
  if (ts) {
    if (!json_is_object(ts))
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "$.timescales: expected a list of d numbers or {\"min\": .., "
                              "\"max\": ..}, got %s",
                              ctxlab_json_type_phrase(ts));
    if ((st = ctxlab_json_check_object(ts, "$.timescales", range_keys, err)) ||
        (st = ctxlab_json_member_number(ts, "$.timescales", "min", 1, 0, 0x1p-1022, 1e300, 0, &lo,
                                        err)) ||
        (st = ctxlab_json_member_number(ts, "$.timescales", "max", 1, 0, 0x1p-1022, 1e300, 0, &hi,
                                        err)))
      return st;
    if (hi < lo)
      return ctxlab_error_set(err, CTXLAB_EINVAL, "$.timescales.max: %.17g is below min %.17g",
                              hi, lo);
  }
  /* log-spaced: tau_j = min (max/min)^(j/(d-1)) */
  for (uint32_t j = 0; j < d; ++j) {
    double f = d > 1 ? (double)j / (double)(d - 1) : 0.0;
    rho[j] = rho_of_timescale(exp(log(lo) + f * (log(hi) - log(lo))));
  }
  json_t *range = json_object();
  json_object_set_new(range, "min", json_real(lo));
  json_object_set_new(range, "max", json_real(hi));
  json_object_set_new(canon, "timescales", range);
  return CTXLAB_OK;
}

/* Chain weights from `weights`: "uniform", {"zipf": s} (w_j ~ (j+1)^-s), or a
 * list of d non-negative numbers; normalised to sum 1. */
static int read_weights(const json_t *spec, uint32_t d, double *w, json_t *canon,
                        ctxlab_error *err) {
  const json_t *v = json_object_get(spec, "weights");
  int st;
  if (json_is_array(v)) {
    if ((st = ctxlab_json_number_list(v, "$.weights", d, 0.0, INFINITY, 1, w, err))) return st;
    json_object_set_new(canon, "weights", json_deep_copy(v));
  } else if (json_is_string(v)) {
    if (strcmp(json_string_value(v), "uniform") != 0)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "$.weights: unknown weights \"%s\" (use \"uniform\", {\"zipf\": s} "
                              "or a list)",
                              json_string_value(v));
    for (uint32_t j = 0; j < d; ++j) w[j] = 1.0;
    json_object_set_new(canon, "weights", json_string("uniform"));
  } else {
    double s = DEFAULT_ZIPF;
    if (v) {
      if (!json_is_object(v))
        return ctxlab_error_set(err, CTXLAB_EINVAL,
                                "$.weights: expected \"uniform\", {\"zipf\": s} or a list, got %s",
                                ctxlab_json_type_phrase(v));
      if ((st = ctxlab_json_check_object(v, "$.weights", zipf_keys, err)) ||
          (st = ctxlab_json_member_number(v, "$.weights", "zipf", 1, 0, 0, MAX_ZIPF, 0, &s, err)))
        return st;
    }
    for (uint32_t j = 0; j < d; ++j) w[j] = pow((double)(j + 1), -s);
    json_t *z = json_object();
    json_object_set_new(z, "zipf", json_real(s));
    json_object_set_new(canon, "weights", z);
  }
  /* scale by the largest first, so that huge weights cannot overflow the sum */
  double top = 0, total = 0;
  for (uint32_t j = 0; j < d; ++j) top = fmax(top, w[j]);
  if (!(top > 0)) return ctxlab_error_set(err, CTXLAB_EINVAL, "$.weights: the weights sum to 0");
  for (uint32_t j = 0; j < d; ++j) total += w[j] / top;
  for (uint32_t j = 0; j < d; ++j) w[j] = w[j] / top / total;
  return CTXLAB_OK;
}

/* ln(1 + y) for y in [-1, 0], accurate near 0 where 1 + y rounds: with
 * s = 1 + y, ln(s) y / (s - 1) corrects the rounding of s (Goldberg, "What
 * every computer scientist should know about floating-point arithmetic", 1991,
 * Theorem 4); y when s = 1. */
static double log1p_portable(double y) {
  double s = 1.0 + y;
  return s == 1.0 ? y : ctxlab_log_portable(s) * y / (s - 1.0);
}

static int derive_tables(ctxlab_latent *L, ctxlab_error *err) {
  const uint32_t d = L->d;
  L->table = malloc(sizeof(uint64_t) * d);
  L->refresh_scale = malloc(sizeof(double) * d);
  if (!L->table || !L->refresh_scale)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%u chains)", d);
  ctxlab_alias_work work;
  int st = ctxlab_alias_work_init(&work, d, err);
  if (st) return st;
  ctxlab_alias_build(L->w, d, L->table, &work);
  ctxlab_alias_work_free(&work);
  L->reject_below = ctxlab_alias_reject_below(d);
  L->entropy_w_bits = 0;
  /* expected events in the first block of a path: new chains (distinct
   * chains among its tokens) and due refreshes (at most the long-run share of
   * showings that find one) */
  double new_chains = 0, due_refreshes = 0;
  for (uint32_t j = 0; j < d; ++j) {
    if (L->w[j] > 0) L->entropy_w_bits -= L->w[j] * log2(L->w[j]);
    /* a chain is refreshed (its bit redrawn uniformly) with probability
     * 2 rho per step, which flips it with probability rho; the gap to the
     * next refresh is geometric, P(gap > n) = (1 - 2 rho)^n = e^(-n / c) */
    double rho = L->rho[j], w = L->w[j], keep = 1.0 - 2.0 * rho;
    L->refresh_scale[j] = rho == 0     ? INFINITY
                          : rho == 0.5 ? 0.0
                                       : -1.0 / log1p_portable(-2.0 * rho);
    /* the gap g between showings of the chain is geometric (w), and the
     * chance of no refresh in it is E keep^g = w keep / (1 - (1 - w) keep) */
    if (w > 0) {
      new_chains -= expm1(CTXLAB_LATENT_BLOCK * log1p(-w));
      due_refreshes += CTXLAB_LATENT_BLOCK * w * (1.0 - w * keep / (1.0 - (1.0 - w) * keep));
    }
  }
  L->many_new_first = CTXLAB_LATENT_MANY_NEW(new_chains, due_refreshes, CTXLAB_LATENT_BLOCK);
  L->noise_threshold = (uint32_t)floor(ldexp(L->eps, 32) + 0.5);
  /* 2^64 steps of the LCG x -> a x + inc are x -> A x + C inc, with
   * A = a^(2^64) and C = sum of a^i for i < 2^64 (mod 2^128), the same for
   * every generator: read off by advancing (state 1, inc 0) and (state 0, inc 1) */
  ctxlab_rng probe = {.state = 1, .inc = 0};
  ctxlab_pcg64dxsm_advance(&probe, (ctxlab_u128)1 << 64);
  L->jump_mult = probe.state;
  probe = (ctxlab_rng){.state = 0, .inc = 1};
  ctxlab_pcg64dxsm_advance(&probe, (ctxlab_u128)1 << 64);
  L->jump_plus = probe.state;
  ctxlab_log_unit_init();
  return CTXLAB_OK;
}

int ctxlab_latent_build(const json_t *spec, void **impl, ctxlab_error *err) {
  *impl = NULL;
  int st = ctxlab_json_check_object(spec, "$", latent_keys, err);
  if (st) return st;
  uint64_t d;
  double eps;
  if ((st = ctxlab_json_member_uint(spec, "$", "chains", 0, DEFAULT_CHAINS, 1, MAX_CHAINS, &d,
                                    err)) ||
      (st = ctxlab_json_member_number(spec, "$", "noise", 0, 0.0, 0.0, 0.5, 1, &eps, err)))
    return st;
  ctxlab_latent *L = calloc(1, sizeof *L);
  json_t *canon = json_object();
  if (!L || !canon) {
    free(L);
    json_decref(canon);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  }
  L->d = (uint32_t)d;
  L->eps = eps;
  L->canonical = canon;
  L->w = malloc(sizeof(double) * d);
  L->rho = malloc(sizeof(double) * d);
  if (!L->w || !L->rho) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%llu chains)", (unsigned long long)d);
    goto fail;
  }
  json_object_set_new(canon, "family", json_string("latent"));
  json_object_set_new(canon, "chains", json_integer((json_int_t)d));
  if ((st = read_flips(spec, L->d, L->rho, canon, err)) ||
      (st = read_weights(spec, L->d, L->w, canon, err)) || (st = derive_tables(L, err)))
    goto fail;
  json_object_set_new(canon, "noise", json_real(eps));
  *impl = L;
  return CTXLAB_OK;
fail:
  ctxlab_latent_destroy(L);
  return st;
}

void ctxlab_latent_destroy(void *impl) {
  ctxlab_latent *L = impl;
  if (!L) return;
  free(L->w);
  free(L->rho);
  free(L->table);
  free(L->refresh_scale);
  json_decref(L->canonical);
  free(L);
}
