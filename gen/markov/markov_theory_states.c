/* Size of the lifted chain of an order-k Markov chain, and the per-row
 * entropy every other markov theory file uses. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "gen/markov/markov_theory.h"
#include "gen/markov/markov_theory_internal.h"

/* Limits: the lifted state space and the transition table V^(k+1) (8 bytes an
 * entry: 1 GiB at the limit; the exact curves need two more arrays of that
 * size at most). */
#define MAX_STATES (UINT64_C(1) << 24)
#define MAX_ENTRIES (UINT64_C(1) << 27)

/* V^e, or 0 when it exceeds `limit`. */
static uint64_t power_up_to(uint64_t V, uint64_t e, uint64_t limit) {
  uint64_t p = 1;
  for (uint64_t i = 0; i < e; i++) {
    if (p > limit / V) return 0;
    p *= V;
  }
  return p;
}

int ctxlab_markov_state_count(uint32_t V, uint32_t k, uint64_t *n_states, ctxlab_error *err) {
  if (V == 0) return ctxlab_error_set(err, CTXLAB_EINVAL, "vocabulary size V must be at least 1");
  uint64_t n = power_up_to(V, k, MAX_STATES);
  uint64_t entries = n ? power_up_to(V, (uint64_t)k + 1, MAX_ENTRIES) : 0;
  if (n == 0 || entries == 0) {
    /* Say how large the request is, exactly when it fits in 64 bits. */
    char states[48], table[48];
    uint64_t n_exact = power_up_to(V, k, UINT64_MAX);
    uint64_t e_exact = power_up_to(V, (uint64_t)k + 1, UINT64_MAX);
    if (n_exact)
      snprintf(states, sizeof states, "%" PRIu64, n_exact);
    else
      snprintf(states, sizeof states, "about %.4g", pow((double)V, (double)k));
    if (e_exact)
      snprintf(table, sizeof table, "%" PRIu64, e_exact);
    else
      snprintf(table, sizeof table, "about %.4g", pow((double)V, (double)k + 1.0));
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "order k = %" PRIu32 " over V = %" PRIu32
                            " tokens needs V^k = %s lifted states and V^(k+1) = %s "
                            "transition-table entries; the limits are 2^24 = %" PRIu64
                            " states and 2^27 = %" PRIu64 " entries",
                            k, V, states, table, MAX_STATES, MAX_ENTRIES);
  }
  *n_states = n;
  return CTXLAB_OK;
}

double ctxlab_markov_row_entropy_nats(const double *row, uint32_t V) {
  double h = 0.0;
  for (uint32_t x = 0; x < V; x++)
    if (row[x] > 0.0) h -= row[x] * log(row[x]);
  return h;
}
