/* PCG generators: seeding, jump-ahead, bounded integers, stream derivation.
 * The algorithms are those of pcg-c (M. E. O'Neill, "PCG: A Family of Simple
 * Fast Space-Efficient Statistically Good Algorithms for Random Number
 * Generation", HMC-CS-2014-0905), written here from the paper's description. */
#include "ctxlab/rng.h"

/* Brown's jump-ahead for x -> mult*x + plus, delta steps (mod 2^bits):
 * square-and-multiply on the affine map (A, C) -> (A^2, (A + 1) C). */
#define DEFINE_LCG_ADVANCE(name, T)                                              \
  static T name(T state, T delta, T mult, T plus) {                             \
    T acc_mult = 1, acc_plus = 0;                                                \
    while (delta > 0) {                                                          \
      if (delta & 1) {                                                           \
        acc_mult *= mult;                                                        \
        acc_plus = acc_plus * mult + plus;                                       \
      }                                                                          \
      plus = (mult + 1) * plus;                                                  \
      mult *= mult;                                                              \
      delta >>= 1;                                                               \
    }                                                                            \
    return acc_mult * state + acc_plus;                                          \
  }

DEFINE_LCG_ADVANCE(lcg64_advance, uint64_t)
DEFINE_LCG_ADVANCE(lcg128_advance, ctxlab_u128)

/* ---- pcg32 -------------------------------------------------------------- */

void ctxlab_pcg32_seed(ctxlab_pcg32 *rng, uint64_t initstate, uint64_t initseq) {
  rng->state = 0u;
  rng->inc = (initseq << 1u) | 1u;
  (void)ctxlab_pcg32_next(rng);
  rng->state += initstate;
  (void)ctxlab_pcg32_next(rng);
}

void ctxlab_pcg32_advance(ctxlab_pcg32 *rng, uint64_t delta) {
  rng->state = lcg64_advance(rng->state, delta, CTXLAB_PCG32_MULT, rng->inc);
}

uint32_t ctxlab_pcg32_bounded(ctxlab_pcg32 *rng, uint32_t bound) {
  uint32_t threshold = (-bound) % bound; /* 2^32 mod bound */
  for (;;) {
    uint32_t r = ctxlab_pcg32_next(rng);
    if (r >= threshold) return r % bound;
  }
}

/* ---- pcg64 (XSL-RR 128/64) ---------------------------------------------- */

void ctxlab_pcg64_seed(ctxlab_pcg64 *rng, ctxlab_u128 initstate, ctxlab_u128 initseq) {
  rng->state = 0u;
  rng->inc = (initseq << 1u) | 1u;
  (void)ctxlab_pcg64_next(rng);
  rng->state += initstate;
  (void)ctxlab_pcg64_next(rng);
}

void ctxlab_pcg64_advance(ctxlab_pcg64 *rng, ctxlab_u128 delta) {
  rng->state = lcg128_advance(rng->state, delta, CTXLAB_PCG64_MULT, rng->inc);
}

uint64_t ctxlab_pcg64_bounded(ctxlab_pcg64 *rng, uint64_t bound) {
  uint64_t threshold = (-bound) % bound; /* 2^64 mod bound */
  for (;;) {
    uint64_t r = ctxlab_pcg64_next(rng);
    if (r >= threshold) return r % bound;
  }
}

/* ---- pcg64dxsm ---------------------------------------------------------- */

void ctxlab_pcg64dxsm_seed(ctxlab_pcg64dxsm *rng, ctxlab_u128 initstate, ctxlab_u128 initseq) {
  rng->state = 0u;
  rng->inc = (initseq << 1u) | 1u;
  (void)ctxlab_pcg64dxsm_next(rng);
  rng->state += initstate;
  (void)ctxlab_pcg64dxsm_next(rng);
}

void ctxlab_pcg64dxsm_advance(ctxlab_pcg64dxsm *rng, ctxlab_u128 delta) {
  rng->state = lcg128_advance(rng->state, delta, (ctxlab_u128)CTXLAB_PCG_CHEAP_MULT, rng->inc);
}

/* ---- ctxlab_rng ----------------------------------------------------------- */

uint64_t ctxlab_rng_bounded(ctxlab_rng *rng, uint64_t bound) {
  ctxlab_u128 m = (ctxlab_u128)ctxlab_rng_next64(rng) * bound;
  uint64_t low = (uint64_t)m;
  if (low < bound) {
    uint64_t threshold = (-bound) % bound; /* 2^64 mod bound */
    while (low < threshold) {
      m = (ctxlab_u128)ctxlab_rng_next64(rng) * bound;
      low = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

static uint64_t splitmix64_mix(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t fnv1a64(const char *s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; ++s) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

void ctxlab_rng_derive(ctxlab_rng *rng, uint64_t seed, const char *purpose, uint64_t index) {
  uint64_t k = splitmix64_mix(splitmix64_mix(splitmix64_mix(seed) ^ fnv1a64(purpose)) ^ index);
  ctxlab_u128 initstate = CTXLAB_U128(splitmix64_mix(k ^ 1u), splitmix64_mix(k ^ 2u));
  ctxlab_u128 initseq = CTXLAB_U128(splitmix64_mix(k ^ 3u), splitmix64_mix(k ^ 4u));
  ctxlab_pcg64dxsm_seed(rng, initstate, initseq);
}
