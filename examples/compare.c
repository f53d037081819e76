/* compare: the library API end to end.  Make a language, compute its exact
 * Bayes risk H(c), predict the loss of an add-beta n-gram of order c trained
 * on D tokens, train that n-gram, evaluate it against the oracle, and print
 * the measured loss beside the prediction:
 *   loss(c) = H(c) + KL(P_c || Q_c)      (SCIENCE.md section 1)
 *
 * Built by CMake as build/examples/compare; against an installed ctxlab:
 *   cc compare.c $(pkg-config --cflags --libs ctxlab) -o compare
 * Usage: compare [SPEC [D]]   (default: santa-fe-small 100000) */
#include <stdio.h>
#include <stdlib.h>

#include <ctxlab/predict.h>
#include <ctxlab/sim.h>
#include <ctxlab/theory.h>

#define MAX_ORDER 5

static int fail(const ctxlab_error *err) {
  fprintf(stderr, "compare: %s\n", err->message);
  return ctxlab_status_is_input_error(err->status) ? 2 : 1;
}

/* Train an order-c add-beta n-gram on D tokens (seed 1) and evaluate it on
 * fresh windows; the loss at full context c is the eval's last position. */
static int measure(const ctxlab_lang *lang, uint32_t c, uint64_t D, double *loss, double *kl,
                   ctxlab_error *err) {
  ctxlab_model_config cfg;
  ctxlab_model *m = NULL;
  json_t *report = NULL, *eval = NULL;
  int st = ctxlab_model_config_init(&cfg, "ngram", err);
  if (st) return st;
  cfg.vocab_size = ctxlab_lang_vocab_size(lang);
  cfg.context = c;
  ctxlab_train_options topt;
  ctxlab_train_options_init(&topt);
  topt.train_tokens = D;
  ctxlab_eval_options eopt = {.context = c > 0 ? c : 1, .eval_tokens = 65536,
                              .seed = ctxlab_eval_seed(topt.seed), .batch = 256, .threads = 0};
  if ((st = ctxlab_model_new(&cfg, topt.seed, &m, err)) ||
      (st = ctxlab_train(lang, m, &topt, NULL, &report, err)) ||
      (st = ctxlab_eval_lang(m, lang, &eopt, &eval, err)))
    goto cleanup;
  json_t *kls = json_object_get(eval, "kl_by_context_bits");
  *loss = json_real_value(json_object_get(eval, "last_loss_bits"));
  *kl = json_real_value(json_array_get(kls, json_array_size(kls) - 1));
cleanup:
  json_decref(eval);
  json_decref(report);
  ctxlab_model_free(m);
  return st;
}

int main(int argc, char **argv) {
  const char *spec = argc > 1 ? argv[1] : "santa-fe-small";
  const uint64_t D = argc > 2 ? strtoull(argv[2], NULL, 10) : 100000;
  ctxlab_init();
  ctxlab_lang *lang = NULL;
  ctxlab_error err;
  if (ctxlab_lang_new(spec, &lang, &err)) return fail(&err);

  ctxlab_ngram_estimator est = {.smoothing = CTXLAB_SMOOTHING_ADD_BETA, .beta = 0.5};
  ctxlab_predict_options popt;
  ctxlab_predict_options_init(&popt);
  printf("%s, add-beta (beta = 0.5) n-grams trained on D = %llu tokens\n", spec,
         (unsigned long long)D);
  printf("%5s %10s %12s %12s %12s %12s\n", "order", "H(c)", "pred. KL", "meas. KL",
         "pred. loss", "meas. loss");
  int status = 0;
  for (uint32_t c = 0; c <= MAX_ORDER && !status; ++c) {
    ctxlab_ngram_prediction p;
    double loss = 0, kl = 0;
    if (ctxlab_predict_ngram(lang, c, D, &est, &popt, &p, &err) ||
        measure(lang, c, D, &loss, &kl, &err)) {
      status = fail(&err);
      break;
    }
    printf("%5u %10.4f %12.4f %12.4f %12.4f %12.4f\n", c, p.bayes_bits, p.approx_bits, kl,
           p.loss_bits, loss);
  }
  ctxlab_lang_free(lang);
  return status;
}
