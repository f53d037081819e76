/* ctxlab/theory.h: the ground truth of a language.
 *
 *   conditional entropy  H(c) = H(X_t | X_{t-c} .. X_{t-1}),        c = 0..L
 *   two-point MI         I(d) = I(X_t ; X_{t+d}),                     d = 1..L
 *   bipartite MI         I_BP(n) = I(X_{1:n/2} ; X_{n/2+1:n}),        n = 2,4,..,L
 *                                = sum_{i=1..n/2} [H(i-1) - H(n/2+i-1)]
 *   intrinsic entropy    S(c), where the family defines one           c = 0..L
 * all in bits.  Curves come from the family's closed forms where it has them
 * ("exact") and otherwise by Monte Carlo through the oracle ("monte-carlo"),
 * each point with its standard error (0 for exact points). */
#ifndef CTXLAB_THEORY_H
#define CTXLAB_THEORY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"
#include "ctxlab/lang.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ctxlab_method {
  CTXLAB_METHOD_NONE = 0,    /* not available */
  CTXLAB_METHOD_EXACT,       /* closed form, to rounding */
  CTXLAB_METHOD_MONTE_CARLO, /* estimate with standard errors */
  CTXLAB_METHOD_BOUNDS       /* only lower/upper bounds are known (entropy rate) */
} ctxlab_method;

const char *ctxlab_method_name(ctxlab_method method); /* "exact", "monte-carlo", ... */

typedef struct ctxlab_curve {
  size_t n;             /* number of points; 0 when the curve is not available */
  int64_t *x;           /* context, distance or length */
  double *bits;         /* value */
  double *stderr_bits;  /* standard error; 0 for exact points */
  ctxlab_method method;
} ctxlab_curve;

typedef struct ctxlab_truth {
  size_t max_context; /* L */
  double entropy_rate_bits;         /* exact rate, or the best estimate (see method) */
  double entropy_rate_lower_bits;   /* for CTXLAB_METHOD_BOUNDS */
  double entropy_rate_upper_bits;   /* for CTXLAB_METHOD_BOUNDS */
  double entropy_rate_upper_stderr_bits; /* when the upper bound is a Monte Carlo estimate */
  ctxlab_method entropy_rate_method;
  ctxlab_curve conditional_entropy;          /* x = context 0..L */
  ctxlab_curve mutual_information;           /* x = distance 1..L */
  ctxlab_curve bipartite_mutual_information; /* x = length 2,4,..,L (halves) */
  int64_t intrinsic_dimension;               /* -1 where undefined */
  ctxlab_curve intrinsic_entropy;            /* x = context 0..L; n = 0 where undefined */
  uint64_t mc_samples;                       /* when any curve is Monte Carlo: windows used */
  uint64_t mc_seed;                          /* ... and their seed */
} ctxlab_truth;

typedef enum ctxlab_theory_mode {
  CTXLAB_THEORY_AUTO = 0,   /* exact where the family has closed forms, else Monte Carlo */
  CTXLAB_THEORY_MONTE_CARLO /* Monte Carlo through the oracle even where exact exists */
} ctxlab_theory_mode;

/* Curves ctxlab_theory_compute may skip (H(c) and the entropy rate are
 * always computed). */
enum {
  CTXLAB_CURVE_MUTUAL_INFORMATION = 1 << 0,
  CTXLAB_CURVE_BIPARTITE = 1 << 1,
  CTXLAB_CURVE_INTRINSIC_ENTROPY = 1 << 2,
  CTXLAB_CURVE_ALL = 7
};

typedef struct ctxlab_theory_options {
  size_t max_context;       /* L >= 1 */
  unsigned curves;          /* CTXLAB_CURVE_* wanted besides H(c) (default all) */
  ctxlab_theory_mode mode;
  uint64_t samples;         /* Monte Carlo sample windows (default 20000) */
  uint64_t seed;            /* Monte Carlo seed (default 0) */
  int threads;              /* <= 0: all available; results do not depend on it */
} ctxlab_theory_options;

/* Fill opts with the defaults (L = 64, all curves, AUTO, 20000 samples, seed 0,
 * all threads). */
void ctxlab_theory_options_init(ctxlab_theory_options *opts);

/* Compute the truth of lang.  On success *out owns its curves; free them with
 * ctxlab_truth_free. */
int ctxlab_theory_compute(const ctxlab_lang *lang, const ctxlab_theory_options *opts,
                          ctxlab_truth *out, ctxlab_error *err);
void ctxlab_truth_free(ctxlab_truth *truth);

/* Allocate a curve of n points (x, bits and stderr_bits zeroed). */
int ctxlab_curve_alloc(ctxlab_curve *curve, size_t n, ctxlab_error *err);
void ctxlab_curve_free(ctxlab_curve *curve);

/* Bipartite MI from a conditional-entropy curve H(0..L-1) (DESIGN.md section 1):
 * I_BP(n) = sum_{i=1..n/2} [H(i-1) - H(n/2+i-1)] for n = 2,4,..,L. */
int ctxlab_theory_bipartite_from_entropy(const ctxlab_curve *conditional_entropy,
                                         ctxlab_curve *bipartite, ctxlab_error *err);

/* Least-squares fit of log2 y = log2 A + beta log2 x over n points (x > 0,
 * y > 0).  EINVAL when fewer than two points or all x equal. */
int ctxlab_theory_fit_power_law(const int64_t *x, const double *y, size_t n, double *beta,
                                double *prefactor, ctxlab_error *err);

/* The exponent of the bipartite MI: the power law fitted to the points of
 * truth->bipartite_mutual_information whose length is a power of two in
 * [L/16, L] (evenly spread on log axes; at least the two largest powers of
 * two <= L).  Writes the range used to *length_min, *length_max. */
int ctxlab_truth_bipartite_exponent(const ctxlab_truth *truth, double *beta, double *prefactor,
                                    int64_t *length_min, int64_t *length_max, ctxlab_error *err);

/* The truth as the JSON object of DESIGN.md section 4.1 (family, spec, vocab_size,
 * entropy rate, the curves).  Returns a new reference, or NULL when out of memory. */
json_t *ctxlab_truth_to_json(const ctxlab_lang *lang, const ctxlab_truth *truth);

/* The summary a dataset manifest carries: max_context, the entropy rate (with
 * its method and bounds) and the conditional-entropy curve. */
json_t *ctxlab_truth_summary_to_json(const ctxlab_truth *truth);

/* A curve as {"<xkey>": [...], "bits": [...], "stderr_bits": [...], "method": "..."}. */
json_t *ctxlab_curve_to_json(const ctxlab_curve *curve, const char *xkey);

#ifdef __cplusplus
}
#endif

#endif
