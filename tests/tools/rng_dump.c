/* rng_dump: print raw PCG outputs, one 0x-prefixed hex value per line, for the
 * numpy cross-check (tests/python/test_rng_numpy.py).
 *
 *   rng_dump pcg64  <state_hex> <inc_hex> <count> [<delta_hex>]
 *   rng_dump dxsm   <state_hex> <inc_hex> <count> [<delta_hex>]
 *       set the raw 128-bit LCG state and increment (no seeding), jump ahead by
 *       delta (mod 2^128: a backward jump of k is 2^128 - k), print count outputs
 *   rng_dump derive <seed> <purpose> <index> <count>
 *       ctxlab_rng_derive(seed, purpose, index), print count ctxlab_rng_next64 outputs
 *
 * Exit status 2 on a bad argument. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/rng.h"

static void usage(void) {
  fprintf(stderr,
          "usage: rng_dump pcg64|dxsm <state_hex> <inc_hex> <count> [<delta_hex>]\n"
          "       rng_dump derive <seed> <purpose> <index> <count>\n");
}

/* 1 to 32 hex digits, optional 0x prefix. */
static int parse_u128(const char *s, ctxlab_u128 *out) {
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  size_t n = strlen(s);
  if (n == 0 || n > 32) return -1;
  ctxlab_u128 v = 0;
  for (; *s; ++s) {
    unsigned d;
    if (*s >= '0' && *s <= '9') d = (unsigned)(*s - '0');
    else if (*s >= 'a' && *s <= 'f') d = (unsigned)(*s - 'a' + 10);
    else if (*s >= 'A' && *s <= 'F') d = (unsigned)(*s - 'A' + 10);
    else return -1;
    v = (v << 4) | d;
  }
  *out = v;
  return 0;
}

/* Decimal, or hex with 0x; the whole string must be a number. */
static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (s[0] == '-' || s[0] == '\0') return -1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

static int bad(const char *what, const char *arg) {
  fprintf(stderr, "rng_dump: bad %s '%s'\n", what, arg);
  return 2;
}

static int dump_raw(int argc, char **argv) {
  ctxlab_u128 state, inc, delta = 0;
  uint64_t count;
  if (argc != 5 && argc != 6) {
    usage();
    return 2;
  }
  if (parse_u128(argv[2], &state)) return bad("state", argv[2]);
  if (parse_u128(argv[3], &inc)) return bad("increment", argv[3]);
  if (parse_u64(argv[4], &count)) return bad("count", argv[4]);
  if (argc == 6 && parse_u128(argv[5], &delta)) return bad("delta", argv[5]);

  if (strcmp(argv[1], "pcg64") == 0) {
    ctxlab_pcg64 g = {state, inc};
    ctxlab_pcg64_advance(&g, delta);
    for (uint64_t i = 0; i < count; ++i) printf("0x%016" PRIx64 "\n", ctxlab_pcg64_next(&g));
  } else {
    ctxlab_pcg64dxsm g = {state, inc};
    ctxlab_pcg64dxsm_advance(&g, delta);
    for (uint64_t i = 0; i < count; ++i) printf("0x%016" PRIx64 "\n", ctxlab_pcg64dxsm_next(&g));
  }
  return 0;
}

static int dump_derive(int argc, char **argv) {
  uint64_t seed, index, count;
  if (argc != 6) {
    usage();
    return 2;
  }
  if (parse_u64(argv[2], &seed)) return bad("seed", argv[2]);
  if (parse_u64(argv[4], &index)) return bad("index", argv[4]);
  if (parse_u64(argv[5], &count)) return bad("count", argv[5]);
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, seed, argv[3], index);
  for (uint64_t i = 0; i < count; ++i) printf("0x%016" PRIx64 "\n", ctxlab_rng_next64(&rng));
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "pcg64") == 0 || strcmp(argv[1], "dxsm") == 0))
    return dump_raw(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "derive") == 0) return dump_derive(argc, argv);
  usage();
  return 2;
}
