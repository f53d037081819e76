/* gsl_rng_type adapters: let every gsl_ran_* sampler draw from PCG.
 *
 * GSL allocates `size` bytes of state with malloc and copies them with memcpy
 * (gsl_rng_memcpy, gsl_rng_clone) and fwrite/fread, so the state is the PCG
 * struct itself, plain data without pointers.  set() seeds only the state it is
 * given: there is no global generator.  get_double is get * 2^-32, GSL's
 * convention for 32-bit generators: at most (2^32 - 1) / 2^32, never 1.0. */
#include <stddef.h>
#include <string.h>

#include "ctxlab/error.h"
#include "ctxlab/rng.h"

/* The DXSM state holds unsigned __int128 fields.  gsl_rng_alloc gets the state
 * from malloc, which returns memory aligned for any type of fundamental
 * alignment (C11 7.22.3), i.e. for max_align_t. */
_Static_assert(_Alignof(ctxlab_pcg64dxsm) <= _Alignof(max_align_t),
               "malloc'd GSL state would be misaligned for ctxlab_pcg64dxsm");

/* The stream pcg-c's demo uses (initseq 54), so that gsl_rng_set(r, 42) gives
 * the published demo output. */
#define PCG32_GSL_STREAM 54u

static void pcg32_set(void *state, unsigned long seed) {
  ctxlab_pcg32_seed(state, (uint64_t)seed, PCG32_GSL_STREAM);
}

static unsigned long pcg32_get(void *state) { return ctxlab_pcg32_next(state); }

static double pcg32_get_double(void *state) { return ctxlab_pcg32_next(state) * 0x1.0p-32; }

static const gsl_rng_type pcg32_type = {
    .name = "ctxlab-pcg32",
    .max = 0xffffffffUL,
    .min = 0,
    .size = sizeof(ctxlab_pcg32),
    .set = pcg32_set,
    .get = pcg32_get,
    .get_double = pcg32_get_double,
};

const gsl_rng_type *ctxlab_gsl_rng_pcg32 = &pcg32_type;

static void dxsm_set(void *state, unsigned long seed) {
  ctxlab_rng_derive(state, (uint64_t)seed, "gsl", 0);
}

/* The high half: the better-mixed bits of a DXSM output. */
static uint32_t dxsm_get32(void *state) { return (uint32_t)(ctxlab_pcg64dxsm_next(state) >> 32); }

static unsigned long dxsm_get(void *state) { return dxsm_get32(state); }

static double dxsm_get_double(void *state) { return dxsm_get32(state) * 0x1.0p-32; }

static const gsl_rng_type dxsm_type = {
    .name = "ctxlab-pcg64dxsm",
    .max = 0xffffffffUL,
    .min = 0,
    .size = sizeof(ctxlab_pcg64dxsm),
    .set = dxsm_set,
    .get = dxsm_get,
    .get_double = dxsm_get_double,
};

const gsl_rng_type *ctxlab_gsl_rng_pcg64dxsm = &dxsm_type;

gsl_rng *ctxlab_rng_gsl_new(const ctxlab_rng *rng) {
  ctxlab_init(); /* GSL's abort handler off: gsl_rng_alloc reports OOM as NULL */
  gsl_rng *r = gsl_rng_alloc(ctxlab_gsl_rng_pcg64dxsm);
  if (!r) return NULL;
  memcpy(gsl_rng_state(r), rng, sizeof *rng);
  return r;
}
