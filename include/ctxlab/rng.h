/* ctxlab/rng.h: PCG random number generators, stream derivation, GSL adapter.
 *
 * Three members of O'Neill's PCG family (https://www.pcg-random.org, pcg-c):
 *   ctxlab_pcg32      PCG-XSH-RR 64/32: 64-bit LCG state, 32-bit output taken
 *                     from the state before the step.
 *   ctxlab_pcg64      PCG-XSL-RR 128/64: 128-bit LCG state, 64-bit output taken
 *                     from the state after the step.
 *   ctxlab_pcg64dxsm  PCG64-DXSM (numpy's PCG64DXSM): 128-bit LCG with the
 *                     "cheap" 64-bit multiplier 0xda942042e4dd58b5, DXSM output
 *                     taken from the state before the step.
 * ctxlab_rng is PCG64-DXSM, the generator everything in ctxlab draws from.
 *
 * Seeding follows pcg-c's srandom_r(initstate, initseq): state = 0,
 * inc = 2*initseq + 1, step, state += initstate, step.  The increment is
 * always odd, so every initseq selects a distinct full-period stream.
 *
 * There is no global state anywhere: each consumer owns its generator,
 * derived from (seed, purpose, index) by ctxlab_rng_derive(). */
#ifndef CTXLAB_RNG_H
#define CTXLAB_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#if !defined(__SIZEOF_INT128__)
#error "ctxlab needs a compiler with unsigned __int128 (GCC or Clang on a 64-bit target)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned __int128 ctxlab_u128;

#define CTXLAB_U128(hi, lo) (((ctxlab_u128)(uint64_t)(hi) << 64) | (ctxlab_u128)(uint64_t)(lo))

/* LCG multipliers (pcg-c pcg_variants.h). */
#define CTXLAB_PCG32_MULT 6364136223846793005ULL
#define CTXLAB_PCG64_MULT CTXLAB_U128(2549297995355413924ULL, 4865540595714422341ULL)
#define CTXLAB_PCG_CHEAP_MULT 0xda942042e4dd58b5ULL

/* ------------------------------------------------------------------------ */
/* pcg32: PCG-XSH-RR 64/32                                                  */
/* ------------------------------------------------------------------------ */

typedef struct ctxlab_pcg32 {
  uint64_t state;
  uint64_t inc; /* always odd */
} ctxlab_pcg32;

void ctxlab_pcg32_seed(ctxlab_pcg32 *rng, uint64_t initstate, uint64_t initseq);

static inline uint32_t ctxlab_pcg32_next(ctxlab_pcg32 *rng) {
  uint64_t old = rng->state;
  rng->state = old * CTXLAB_PCG32_MULT + rng->inc;
  uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t)(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* Jump ahead by delta steps in O(log delta) (Brown, "Random number generation
 * with arbitrary strides", 1994).  delta is taken modulo the period 2^64, so a
 * negative jump of k steps is delta = (uint64_t)-k. */
void ctxlab_pcg32_advance(ctxlab_pcg32 *rng, uint64_t delta);

/* Uniform integer in [0, bound), without bias; bound must be >= 1 (as for every
 * bounded draw here; 0 is undefined).  pcg-c's
 * pcg32_boundedrand_r (reject draws below 2^32 mod bound, then reduce).  Kept
 * bit-for-bit equal to pcg-c so the published coin/die/card outputs hold. */
uint32_t ctxlab_pcg32_bounded(ctxlab_pcg32 *rng, uint32_t bound);

/* ------------------------------------------------------------------------ */
/* pcg64: PCG-XSL-RR 128/64                                                 */
/* ------------------------------------------------------------------------ */

typedef struct ctxlab_pcg64 {
  ctxlab_u128 state;
  ctxlab_u128 inc; /* always odd */
} ctxlab_pcg64;

void ctxlab_pcg64_seed(ctxlab_pcg64 *rng, ctxlab_u128 initstate, ctxlab_u128 initseq);

static inline uint64_t ctxlab_pcg64_next(ctxlab_pcg64 *rng) {
  rng->state = rng->state * CTXLAB_PCG64_MULT + rng->inc;
  uint64_t hi = (uint64_t)(rng->state >> 64), lo = (uint64_t)rng->state;
  uint64_t x = hi ^ lo;
  unsigned rot = (unsigned)(hi >> 58u);
  return (x >> rot) | (x << ((-rot) & 63u));
}

void ctxlab_pcg64_advance(ctxlab_pcg64 *rng, ctxlab_u128 delta);
uint64_t ctxlab_pcg64_bounded(ctxlab_pcg64 *rng, uint64_t bound); /* pcg-c method */

/* ------------------------------------------------------------------------ */
/* pcg64dxsm: PCG64-DXSM, the default generator                              */
/* ------------------------------------------------------------------------ */

typedef struct ctxlab_pcg64dxsm {
  ctxlab_u128 state;
  ctxlab_u128 inc; /* always odd */
} ctxlab_pcg64dxsm;

void ctxlab_pcg64dxsm_seed(ctxlab_pcg64dxsm *rng, ctxlab_u128 initstate, ctxlab_u128 initseq);

static inline uint64_t ctxlab_pcg64dxsm_next(ctxlab_pcg64dxsm *rng) {
  ctxlab_u128 old = rng->state;
  rng->state = old * CTXLAB_PCG_CHEAP_MULT + rng->inc;
  uint64_t hi = (uint64_t)(old >> 64);
  uint64_t lo = (uint64_t)old | 1u;
  hi ^= hi >> 32;
  hi *= CTXLAB_PCG_CHEAP_MULT;
  hi ^= hi >> 48;
  hi *= lo;
  return hi;
}

void ctxlab_pcg64dxsm_advance(ctxlab_pcg64dxsm *rng, ctxlab_u128 delta);

/* ------------------------------------------------------------------------ */
/* ctxlab_rng: the generator the rest of ctxlab uses                        */
/* ------------------------------------------------------------------------ */

typedef ctxlab_pcg64dxsm ctxlab_rng;

/* Derive an independent generator from (seed, purpose, index).
 *
 *   mix(x)    = SplitMix64 finaliser of x + 0x9e3779b97f4a7c15
 *               (Steele, Lea & Flood 2014; constants of Stafford's Mix13)
 *   p         = FNV-1a 64 of the bytes of purpose (no terminating NUL)
 *   k         = mix(mix(mix(seed) ^ p) ^ index)
 *   initstate = mix(k ^ 1) * 2^64 + mix(k ^ 2)
 *   initseq   = mix(k ^ 3) * 2^64 + mix(k ^ 4)
 *   rng       = pcg64dxsm seeded with (initstate, initseq)
 *
 * Different triples give different increments, hence different LCG streams,
 * unless the 64-bit keys k collide (probability 2^-64 per pair).  Output thus
 * depends only on the triple, never on threads, shards or call order.
 * Purposes used by ctxlab are listed in the README ("gen.sequence",
 * "gen.stream", "lang.table", "theory.monte-carlo", ...). */
void ctxlab_rng_derive(ctxlab_rng *rng, uint64_t seed, const char *purpose /* not NULL */,
                       uint64_t index);

static inline uint64_t ctxlab_rng_next64(ctxlab_rng *rng) { return ctxlab_pcg64dxsm_next(rng); }

/* Uniform integer in [0, bound), bound >= 1, without bias (Lemire, "Fast random
 * integer generation in an interval", ACM TOMACS 2019: multiply-shift with
 * rejection of the 2^64 mod bound low products that would bias). */
uint64_t ctxlab_rng_bounded(ctxlab_rng *rng, uint64_t bound);

/* Uniform double in [0, 1) with 53 random bits: (x >> 11) * 2^-53. */
static inline double ctxlab_rng_uniform(ctxlab_rng *rng) {
  return (double)(ctxlab_rng_next64(rng) >> 11) * 0x1.0p-53;
}

/* Uniform double in (0, 1] with 53 random bits: ((x >> 11) + 1) * 2^-53. */
static inline double ctxlab_rng_uniform_pos(ctxlab_rng *rng) {
  return (double)((ctxlab_rng_next64(rng) >> 11) + 1) * 0x1.0p-53;
}

/* ------------------------------------------------------------------------ */
/* GSL adapter: gsl_ran_* samplers drawing from PCG                          */
/* ------------------------------------------------------------------------ */

/* gsl_rng_type "ctxlab-pcg32": gsl_rng_set(r, s) seeds (initstate = s, initseq = 54),
 * the pcg-c demo stream, so gsl_rng_set(r, 42) reproduces the published demo
 * output 0xa15c02b7 0x7b47f409 0xba1d3330.  get returns 32 bits; get_double
 * is get * 2^-32 (GSL's convention for 32-bit generators). */
extern const gsl_rng_type *ctxlab_gsl_rng_pcg32;

/* gsl_rng_type "ctxlab-pcg64dxsm": gsl_rng_set(r, s) is ctxlab_rng_derive(s, "gsl", 0);
 * get returns the high 32 bits of one 64-bit draw; get_double is get * 2^-32. */
extern const gsl_rng_type *ctxlab_gsl_rng_pcg64dxsm;

/* A new GSL generator of type ctxlab_gsl_rng_pcg64dxsm that continues the stream
 * of rng (its state is copied; rng itself is not advanced).  Free it with
 * gsl_rng_free().  Returns NULL when out of memory. */
gsl_rng *ctxlab_rng_gsl_new(const ctxlab_rng *rng);

#ifdef __cplusplus
}
#endif

#endif
