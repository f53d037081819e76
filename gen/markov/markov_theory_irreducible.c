/* Irreducibility of the lifted chain: one state reaches all and is reached by
 * all, found by two breadth-first searches from block 0 (forward over the
 * successors, backward over the predecessors); both graphs are implicit in the
 * de Bruijn structure, so the check is O(V^(k+1)) time with no recursion. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/markov/markov_theory.h"

/* Marks seen[s] for every state reachable from state 0 (forward) or from which
 * state 0 is reachable (backward), through transitions of positive
 * probability.  queue has room for n states. */
static void search(uint32_t V, uint64_t n, const double *P, int backward, uint8_t *seen,
                   uint32_t *queue) {
  const uint64_t m = n / V; /* V^(k-1) */
  memset(seen, 0, n);
  uint64_t head = 0, tail = 0;
  seen[0] = 1;
  queue[tail++] = 0;
  while (head < tail) {
    const uint64_t s = queue[head++];
    for (uint32_t a = 0; a < V; a++) {
      /* forward: s -> (s*V + a) mod n, emitting a;
       * backward: a*m + s/V -> s, emitting s mod V, probability P[a*n + s] */
      const uint64_t t = backward ? a * m + s / V : (s * V + a) % n;
      const double p = backward ? P[a * n + s] : P[s * V + a];
      if (p > 0.0 && !seen[t]) {
        seen[t] = 1;
        queue[tail++] = (uint32_t)t;
      }
    }
  }
}

static uint64_t first_unseen(const uint8_t *seen, uint64_t n) {
  for (uint64_t s = 0; s < n; s++)
    if (!seen[s]) return s;
  return n;
}

/* "[t1 t2 ... tk]", tokens of state s oldest first (k <= 24 within the
 * limits of ctxlab_markov_state_count when V >= 2). */
static void format_block(char *buf, size_t size, uint64_t s, uint32_t V, uint32_t k) {
  uint32_t tokens[64];
  for (uint32_t i = k; i-- > 0;) {
    tokens[i] = (uint32_t)(s % V);
    s /= V;
  }
  size_t used = (size_t)snprintf(buf, size, "[");
  for (uint32_t i = 0; i < k && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, i ? " %" PRIu32 : "%" PRIu32, tokens[i]);
  if (used < size) snprintf(buf + used, size - used, "]");
}

int ctxlab_markov_check_irreducible(uint32_t V, uint32_t k, const double *P, ctxlab_error *err) {
  uint64_t n;
  int rc = ctxlab_markov_state_count(V, k, &n, err);
  if (rc) return rc;
  if (n == 1) return CTXLAB_OK; /* one state: irreducible whatever its row */
  uint8_t *seen = malloc(n);
  uint32_t *queue = malloc(n * sizeof *queue);
  if (!seen || !queue) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "irreducibility check: cannot allocate %" PRIu64
                          " states of work space", n);
    goto cleanup;
  }
  uint64_t from = 0, to = 0;
  search(V, n, P, 0, seen, queue);
  to = first_unseen(seen, n); /* block 0 cannot reach `to` */
  if (to == n) {
    search(V, n, P, 1, seen, queue);
    from = first_unseen(seen, n); /* `from` cannot reach block 0 */
    to = 0;
    if (from == n) goto cleanup; /* irreducible */
  }
  char a[320], b[320];
  format_block(a, sizeof a, from, V, k);
  format_block(b, sizeof b, to, V, k);
  rc = ctxlab_error_set(err, CTXLAB_EINVAL,
                        "the chain is not irreducible on its %" PRIu32 "-blocks: block %s "
                        "cannot reach block %s (tokens oldest first) through transitions of "
                        "positive probability; every block must reach every other one "
                        "(otherwise some blocks are transient or unreachable and never occur "
                        "in a stationary sample, or there are several closed classes and no "
                        "unique stationary law)",
                        k, a, b);
cleanup:
  free(seen);
  free(queue);
  return rc;
}
