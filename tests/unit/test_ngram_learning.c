/* The n-gram model learns a Markov language: trained on D tokens of an
 * order-2 chain over 4 tokens, the order-c model's cross-entropy on fresh
 * samples, at positions with at least c tokens before them, is within 0.01
 * bits of the exact conditional entropy H(c) (issue 3).
 *
 * Expected values: H(c) from ctxlab_theory_compute, the closed form for
 * Markov chains (itself checked against brute-force enumeration in
 * test_markov_theory_brute.c).  Why 0.01 bits is a fair bound: the loss is
 * H(c) + KL(P_c || Q) + sampling noise; with V^c contexts and D tokens the KL
 * is about V^c (V - 1) / (2 D ln 2) bits (SCIENCE.md, n-gram approximation
 * loss) -- below 1e-4 here -- and the noise of the mean over ~10^6 positions
 * is about 1e-3 bits. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ctxlab/lang.h"
#include "ctxlab/theory.h"
#include "test_ngram_util.h"

#if defined(__SANITIZE_ADDRESS__)
enum { TRAIN = 1000000, EVAL_SEQ = 4096 }; /* ~10x slower build: fewer tokens */
#else
enum { TRAIN = 10000000, EVAL_SEQ = 16384 };
#endif
enum { EVAL_LEN = 64, V = 4 };

static const char *SPEC =
    "{\"family\":\"markov\",\"vocab\":4,\"order\":2,\"concentration\":1,\"seed\":3}";

static void learn(uint32_t c, const char *smoothing, const uint32_t *train, const uint32_t *eval,
                  const double *H) {
  ctxlab_model *m = ngram_new(V, c, smoothing, 0.5, 0);
  ngram_fit(m, train, TRAIN);
  float *logits = malloc(sizeof(float) * EVAL_SEQ * EVAL_LEN * V);
  ctxlab_error err = {0};
  if (ctxlab_model_forward(m, eval, EVAL_SEQ, EVAL_LEN, logits, &err)) fail_msg("%s", err.message);
  double bits = 0;
  size_t count = 0;
  for (size_t b = 0; b < EVAL_SEQ; ++b)
    for (size_t t = 0; t + 1 < EVAL_LEN; ++t) { /* logits[b, t] scores eval[b, t + 1] */
      if (t + 1 < c) continue;                  /* fewer than c tokens seen */
      bits -= logits[(b * EVAL_LEN + t) * V + eval[b * EVAL_LEN + t + 1]] / log(2.0);
      count++;
    }
  bits /= (double)count;
  printf("# %s c=%u: cross-entropy %.5f bits, H(c) = %.5f bits\n", smoothing, c, bits, H[c]);
  if (!(fabs(bits - H[c]) <= 0.01))
    fail_msg("%s c=%u: cross-entropy %.5f bits, H(c) = %.5f", smoothing, c, bits, H[c]);
  free(logits);
  ctxlab_model_free(m);
}

static void test_learns_markov_chain(void **state) {
  (void)state;
  ctxlab_lang *lang = NULL;
  ctxlab_error err = {0};
  if (ctxlab_lang_new(SPEC, &lang, &err)) fail_msg("%s", err.message);
  ctxlab_theory_options o;
  ctxlab_theory_options_init(&o);
  o.max_context = 4;
  o.curves = 0;
  ctxlab_truth truth;
  if (ctxlab_theory_compute(lang, &o, &truth, &err)) fail_msg("%s", err.message);
  assert_int_equal(truth.conditional_entropy.method, CTXLAB_METHOD_EXACT);
  /* one training stream, fresh evaluation sequences (another seed) */
  uint32_t *train = malloc(sizeof(uint32_t) * TRAIN);
  uint32_t *eval = malloc(sizeof(uint32_t) * EVAL_SEQ * EVAL_LEN);
  if (ctxlab_lang_sample_sequences(lang, 1, 0, 1, TRAIN, train, &err) ||
      ctxlab_lang_sample_sequences(lang, 2, 0, EVAL_SEQ, EVAL_LEN, eval, &err))
    fail_msg("%s", err.message);
  const double *H = truth.conditional_entropy.bits; /* H[c], c = 0..4 */
  for (uint32_t c = 0; c <= 3; ++c) learn(c, "add-beta", train, eval, H);
  for (uint32_t c = 1; c <= 3; c += 2) learn(c, "kneser-ney", train, eval, H);
  free(train);
  free(eval);
  ctxlab_truth_free(&truth);
  ctxlab_lang_free(lang);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_learns_markov_chain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
