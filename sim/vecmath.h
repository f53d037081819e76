/* sim/vecmath.h (internal): exp and tanh on floats written with
 * + - * / and bit operations only, so that gcc vectorises the loops that call
 * them ("v") and every build (any instruction set) gets the same bits.  Used
 * by the transformer's kernels and the softmax cross-entropy (sim/loss.c).
 *
 * ctxlab_vexpf: Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, with ln2 split
 * in a short high part and a correction; e^r from Cephes expf's degree-7
 * polynomial (S. Moshier, Cephes Math Library, expf.c coefficients); 2^n put
 * into the exponent bits.  Arguments are clamped to [-87, 88] (outputs stay
 * normal floats: exp(-87) = 1.6e-38).  Relative error below 1e-7, 1.4 times
 * 2^-24 (tests/unit/test_transformer_vecmath.c). */
#ifndef CTXLAB_SIM_VECMATH_H
#define CTXLAB_SIM_VECMATH_H

#include <stdint.h>
#include <string.h>

static inline float ctxlab_vexpf(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  /* adding 1.5 * 2^23 rounds x log2(e) to the nearest integer n, which the
   * low mantissa bits of t then hold */
  float t = x * 1.44269504088896341f + 12582912.0f;
  float n = t - 12582912.0f;
  uint32_t tb;
  memcpy(&tb, &t, sizeof tb);
  uint32_t eb = (tb - 0x4B400000u + 127u) << 23; /* n + 127 in the exponent field */
  float scale;
  memcpy(&scale, &eb, sizeof scale);
  float r = x - n * 0.693359375f; /* ln 2 = 0.693359375 - 2.12194440e-4 (+ 5e-12) */
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  return p * scale;
}

/* tanh y = 1 - 2 / (e^{2y} + 1): absolute error below 2.5e-7 (relative error is
 * larger near 0, where this form cancels; the GELU only uses 1 + tanh and
 * 1 - tanh^2, which need the absolute error). */
static inline float ctxlab_vtanhf(float y) { return 1.0f - 2.0f / (ctxlab_vexpf(2.0f * y) + 1.0f); }

#endif
