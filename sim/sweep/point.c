/* One grid point: train, evaluate against the oracle, and write the results
 * line with the theory's prediction beside the measurement.  A point is run
 * exactly as `ctxlab train SPEC --model KIND --context c --train-tokens D
 * --seed S --eval-tokens N` runs it, so its numbers are that command's; a
 * model entry's "eval" overrides are applied to the trained model as
 * `ctxlab eval --rope-scaling ...` applies them to its checkpoint. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "ctxlab/predict.h"
#include "sim/sweep/sweep_impl.h"

int ctxlab_sweep_prepare(ctxlab_sweep *s, int threads, ctxlab_error *err) {
  if (s->prepared) return CTXLAB_OK;
  uint32_t max_context = 1;
  for (size_t i = 0; i < s->n_context; ++i)
    if (s->context[i] > max_context) max_context = s->context[i];
  ctxlab_theory_options o;
  ctxlab_theory_options_init(&o);
  o.max_context = max_context;
  o.curves = 0; /* H(c) only */
  o.threads = threads;
  ctxlab_truth truth;
  int st = ctxlab_theory_compute(s->lang, &o, &truth, err);
  if (st) return ctxlab_error_prefix(err, "the language's H(c) up to c = %u: ", max_context);
  s->bayes = truth.conditional_entropy; /* keep the curve, free the rest */
  memset(&truth.conditional_entropy, 0, sizeof truth.conditional_entropy);
  ctxlab_truth_free(&truth);
  s->prepared = 1;
  return CTXLAB_OK;
}

/* The theory's prediction for point p (SCIENCE.md section 5): the Bayes
 * risk H(c) of the language at the point's context (exact where the family
 * has it) and, for n-gram models, the expected approximation loss of the
 * estimator trained on D tokens (theory/predict/); other models have no
 * approximation-loss prediction (null).  The prediction's own Monte Carlo
 * seed is fixed, so every seed of a grid cell gets the same prediction. */
static int predict(const ctxlab_sweep *s, const ctxlab_sweep_point *p, int threads, json_t **out,
                   ctxlab_error *err) {
  const size_t c = p->context;
  const ctxlab_model_config *cfg = &s->models[p->model].cfg;
  const int monte_carlo_bayes = s->bayes.method == CTXLAB_METHOD_MONTE_CARLO;
  if (strcmp(cfg->model, "ngram") != 0 || p->train_tokens <= c) {
    *out = json_pack("{s:f, s:f, s:n, s:n, s:n, s:s, s:b}", "bayes_bits", s->bayes.bits[c],
                     "bayes_stderr_bits", s->bayes.stderr_bits[c], "approx_bits",
                     "approx_stderr_bits", "loss_bits", "method",
                     ctxlab_method_name(s->bayes.method), "approximate", 0);
    return *out ? CTXLAB_OK : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  }
  const ctxlab_ngram_estimator est = {cfg->smoothing, cfg->beta, cfg->kn_discount};
  ctxlab_predict_options o;
  ctxlab_predict_options_init(&o);
  o.threads = threads;
  ctxlab_ngram_prediction pr;
  int st = ctxlab_predict_ngram_given_bayes(s->lang, &s->bayes, p->context, p->train_tokens, &est,
                                            &o, &pr, err);
  if (st) return st;
  const int monte_carlo = monte_carlo_bayes || pr.method == CTXLAB_METHOD_MONTE_CARLO;
  *out = json_pack("{s:f, s:f, s:f, s:f, s:f, s:s, s:b}", "bayes_bits", pr.bayes_bits,
                   "bayes_stderr_bits", pr.bayes_stderr_bits, "approx_bits", pr.approx_bits,
                   "approx_stderr_bits", pr.approx_stderr_bits, "loss_bits", pr.loss_bits,
                   "method",
                   ctxlab_method_name(monte_carlo ? CTXLAB_METHOD_MONTE_CARLO : CTXLAB_METHOD_EXACT),
                   "approximate", pr.approximate);
  return *out ? CTXLAB_OK : ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
}

/* The prediction of point p's grid cell, computed by the first of its seeds
 * this process runs (a new reference in *out). */
static int point_prediction(ctxlab_sweep *s, const ctxlab_sweep_point *p, int threads,
                            json_t **out, ctxlab_error *err) {
  const size_t cells = s->n_models * s->n_context * s->n_train;
  if (!s->predicted && !(s->predicted = calloc(cells, sizeof *s->predicted)))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  size_t di = 0;
  while (s->train_tokens[di] != p->train_tokens) ++di;
  json_t **cell = &s->predicted[(p->model * s->n_context + ctxlab_sweep_context_index(s, p->context)) *
                                    s->n_train + di];
  if (!*cell) {
    const double t0 = ctxlab_now_s();
    int st = predict(s, p, threads, cell, err);
    s->predict_s += ctxlab_now_s() - t0;
    if (st) return st;
  }
  *out = json_incref(*cell);
  return CTXLAB_OK;
}

/* "measured": the model at its full context T (the last eval position) and
 * the curves over positions 1..T. */
static json_t *measured_json(const ctxlab_model *m, uint32_t context, const json_t *eval,
                             const json_t *train_report) {
  const json_t *loss = json_object_get(eval, "loss_by_context_bits"),
               *bayes = json_object_get(eval, "bayes_by_context_bits"),
               *kl = json_object_get(eval, "kl_by_context_bits"),
               *se = json_object_get(eval, "stderr_loss_by_context_bits");
  const size_t last = json_array_size(loss) - 1;
  return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:I, s:f, s:O}", "loss_bits",
                   json_object_get(eval, "last_loss_bits"), "stderr_bits", json_array_get(se, last),
                   "bayes_bits", json_array_get(bayes, last), "kl_bits", json_array_get(kl, last),
                   "mean_loss_bits", json_object_get(eval, "loss_bits"), "loss_by_context_bits",
                   loss, "bayes_by_context_bits", bayes, "kl_by_context_bits", kl, "param_count",
                   (json_int_t)ctxlab_model_param_count(m), "history_state_floats",
                   ctxlab_model_history_state_floats(m, context), "tokens_per_s",
                   json_object_get(train_report, "tokens_per_s"));
}

int ctxlab_sweep_run_point(ctxlab_sweep *s, size_t index, int threads, char **line,
                           double *work_s, ctxlab_error *err) {
  *line = NULL;
  if (index >= s->n_points)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "point %zu: the grid has %zu points", index,
                            s->n_points);
  int st = ctxlab_sweep_prepare(s, threads, err);
  if (st) return st;
  ctxlab_sweep_point p;
  ctxlab_sweep_point_at(s, index, &p);
  const sweep_model *sm = &s->models[p.model];
  ctxlab_model_config cfg = sm->cfg;
  cfg.context = p.context;
  ctxlab_train_options o;
  ctxlab_train_options_init(&o);
  o.seed = p.seed;
  o.train_tokens = p.train_tokens;
  if (sm->trainable) {
    o.steps = sm->steps;
    o.batch = sm->batch;
    o.lr = sm->lr;
    o.weight_decay = sm->weight_decay;
    o.max_epochs = sm->epochs;
    o.patience = sm->patience;
  }
  o.threads = threads;
  /* `ctxlab train`'s eval: windows of the model's context (1 for order 0), or
   * of the experiment's eval_context when that is longer (context extension) */
  uint64_t eval_context = p.context > s->eval_context ? p.context : s->eval_context;
  ctxlab_eval_options eo = {eval_context ? (uint32_t)eval_context : 1, s->eval_tokens,
                            ctxlab_eval_seed(p.seed), 32, threads};
  ctxlab_model *m = NULL;
  json_t *report = NULL, *eval = NULL, *measured = NULL, *predicted = NULL, *out = NULL;
  const double t0 = ctxlab_now_s();
  if ((st = ctxlab_model_new(&cfg, p.seed, &m, err)) ||
      (st = ctxlab_train(s->lang, m, &o, NULL, &report, err)))
    goto cleanup;
  if (sm->has_eval) {
    ctxlab_model_config eval_cfg = sm->eval_cfg;
    eval_cfg.context = p.context;
    if ((st = ctxlab_model_set_positions(m, &eval_cfg, err))) goto cleanup;
  }
  if ((st = ctxlab_eval_lang(m, s->lang, &eo, &eval, err)))
    goto cleanup;
  const double seconds = ctxlab_now_s() - t0;
  if (work_s) *work_s = seconds;
  measured = measured_json(m, p.context, eval, report);
  if ((st = point_prediction(s, &p, threads, &predicted, err))) goto cleanup;
  out = json_pack("{s:I, s:O, s:i, s:I, s:I, s:O, s:O, s:f}", "index", (json_int_t)index, "model",
                  s->point_models[p.model * s->n_context + ctxlab_sweep_context_index(s, p.context)],
                  "context", (int)p.context, "train_tokens", (json_int_t)p.train_tokens, "seed",
                  (json_int_t)p.seed, "measured", measured, "predicted", predicted,
                  "time_s", seconds);
  char *text = out ? json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
  size_t n = text ? strlen(text) : 0;
  *line = text ? realloc(text, n + 2) : NULL;
  if (!*line) {
    free(text);
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
    goto cleanup;
  }
  memcpy(*line + n, "\n", 2);
cleanup:
  if (st)
    ctxlab_error_prefix(err, "point %zu (%s, context %u, %llu training tokens, seed %llu): ", index,
                        cfg.model, p.context, (unsigned long long)p.train_tokens,
                        (unsigned long long)p.seed);
  json_decref(out);
  json_decref(measured);
  json_decref(predicted);
  json_decref(eval);
  json_decref(report);
  ctxlab_model_free(m);
  return st;
}
