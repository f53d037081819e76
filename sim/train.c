/* Training: counting models fit a stream of D tokens; neural models take
 * AdamW steps on batches of windows of T+1 tokens (inputs 0..T-1, targets
 * 1..T), from a fixed training set of D tokens or fresh samples.
 *
 * The data, reproducible from the seed alone:
 *   - the windows are the sequences of `ctxlab gen SPEC --seed S --sequences
 *     K --length T+1` (ctxlab_lang_sample_sequences(lang, S, i, ...)); a
 *     fixed training set is the first floor(D / (T+1)) of them, fresh
 *     sampling takes sequence s B + b at step s;
 *   - the order over a fixed set: the concatenation of permutations pi_0,
 *     pi_1, ..., pi_e a Fisher-Yates shuffle drawn from
 *     ctxlab_rng_derive(S, "sim.shuffle", e); step s takes entries
 *     s B .. s B + B - 1 of it, so any step's batch is known without the
 *     ones before (which is what resuming needs);
 *   - a counting model's stream: `ctxlab gen SPEC --seed S -n D`;
 *   - held-out windows: the sequences of seed H = first draw of
 *     ctxlab_rng_derive(S, "sim.heldout", 0).
 * Model initialisation draws from ctxlab_rng_derive(S, "sim.init", 0). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "ctxlab/version.h"
#include "sim/adamw.h"
#include "sim/checkpoint.h"
#include "sim/loss.h"
#include "sim/model.h"
#include "sim/sim_data.h"

void ctxlab_train_options_init(ctxlab_train_options *o) {
  memset(o, 0, sizeof *o);
  o->seed = 1;
  o->batch = 32;
  o->lr = 1e-3;
  o->weight_decay = 0.1;
  o->beta1 = 0.9;
  o->beta2 = 0.95;
  o->eps = 1e-8;
  o->clip = 1.0;
  o->final_lr_fraction = 0.1;
  o->warmup = UINT64_MAX;
  o->max_epochs = 50;
  o->patience = 3;
  o->threads = 0;
}

typedef struct trainer {
  const ctxlab_lang *lang;
  ctxlab_model *m;
  ctxlab_train_options o;
  uint32_t T, B;
  uint64_t n_windows; /* fixed training set: windows; 0: fresh samples */
  uint32_t *data;     /* fixed set (n_windows, T+1) */
  uint32_t *window;   /* (B, T+1) scratch */
  uint32_t *inputs, *targets; /* (B, T) */
  float *logits, *dlogits;    /* (B, T, V) */
  uint64_t heldout_seed, n_heldout;
  ctxlab_adamw opt;
  /* state, saved in checkpoints */
  uint64_t step, total;
  double best_heldout;
  uint32_t bad_evals;
  json_t *curve;
  const char *stopped;
  double t0, tokens_done;
} trainer;

/* ---- the data ------------------------------------------------------------ */

/* Entry k of the concatenated permutations. */
static uint64_t order_entry(trainer *tr, uint64_t k, uint64_t *cached_epoch, uint64_t *perm) {
  uint64_t e = k / tr->n_windows;
  if (e != *cached_epoch) {
    ctxlab_rng rng;
    ctxlab_rng_derive(&rng, tr->o.seed, "sim.shuffle", e);
    for (uint64_t i = 0; i < tr->n_windows; ++i) perm[i] = i;
    for (uint64_t i = tr->n_windows - 1; i > 0; --i) {
      uint64_t j = ctxlab_rng_bounded(&rng, i + 1);
      uint64_t t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    *cached_epoch = e;
  }
  return perm[k % tr->n_windows];
}

/* The windows of step s into tr->window, split into inputs and targets. */
static int load_batch(trainer *tr, uint64_t s, uint64_t *cached_epoch, uint64_t *perm,
                      ctxlab_error *err) {
  const size_t W = (size_t)tr->T + 1;
  if (tr->n_windows) {
    for (uint32_t b = 0; b < tr->B; ++b)
      memcpy(tr->window + b * W,
             tr->data + order_entry(tr, s * tr->B + b, cached_epoch, perm) * W,
             W * sizeof(uint32_t));
  } else {
    int st = ctxlab_lang_sample_sequences(tr->lang, tr->o.seed, s * tr->B, tr->B, W, tr->window, err);
    if (st) return st;
  }
  ctxlab_split_windows(tr->window, tr->B, tr->T, tr->inputs, tr->targets);
  return CTXLAB_OK;
}

/* Mean loss in bits over the held-out windows, every position. */
static int heldout_loss(trainer *tr, double *bits, ctxlab_error *err) {
  double nats = 0;
  const size_t W = (size_t)tr->T + 1;
  for (uint64_t first = 0; first < tr->n_heldout; first += tr->B) {
    uint32_t n = (uint32_t)(tr->n_heldout - first < tr->B ? tr->n_heldout - first : tr->B);
    int st = ctxlab_lang_sample_sequences(tr->lang, tr->heldout_seed, first, n, W, tr->window, err);
    if (!st) {
      ctxlab_split_windows(tr->window, n, tr->T, tr->inputs, tr->targets);
      st = tr->m->ops->forward(tr->m, tr->inputs, n, tr->T, tr->logits, err);
    }
    if (st) return st;
    nats += ctxlab_xent(tr->logits, tr->targets, (size_t)n * tr->T, tr->m->cfg.vocab_size, 0, NULL,
                        tr->m->threads);
  }
  *bits = nats / ((double)tr->n_heldout * tr->T) / M_LN2;
  return CTXLAB_OK;
}

/* ---- checkpoints with the optimizer and the run's state ------------------- */

static json_t *options_json(const ctxlab_train_options *o, uint64_t total) {
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I}",
                   "seed", (json_int_t)o->seed, "train_tokens", (json_int_t)o->train_tokens,
                   "steps", (json_int_t)o->steps, "total_steps", (json_int_t)total, "batch",
                   (json_int_t)o->batch, "lr", o->lr, "weight_decay", o->weight_decay, "beta1",
                   o->beta1, "beta2", o->beta2, "eps", o->eps, "clip", o->clip,
                   "final_lr_fraction", o->final_lr_fraction, "warmup", (json_int_t)o->warmup,
                   "max_epochs", (json_int_t)o->max_epochs, "patience", (json_int_t)o->patience,
                   "heldout_tokens", (json_int_t)o->heldout_tokens);
}

static int save_checkpoint(trainer *tr, ctxlab_error *err) {
  json_t *meta = json_object(), *opts = options_json(&tr->o, tr->total);
  json_t *state = json_pack("{s:I, s:f, s:i, s:O, s:s?, s:I}", "step", (json_int_t)tr->step,
                            "best_heldout_bits", tr->best_heldout, "bad_evals", (int)tr->bad_evals,
                            "curve", tr->curve, "stopped", tr->stopped, "eval_every",
                            (json_int_t)tr->o.eval_every);
  json_t *canonical = ctxlab_lang_canonical_spec(tr->lang);
  char *spec = canonical ? json_dumps(canonical, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(canonical);
  char *opts_text = opts ? json_dumps(opts, JSON_COMPACT) : NULL;
  char *state_text = state ? json_dumps(state, JSON_COMPACT) : NULL;
  int st = CTXLAB_OK;
  if (!meta || !spec || !opts_text || !state_text ||
      json_object_set_new(meta, "language", json_string(spec)) ||
      json_object_set_new(meta, "train_options", json_string(opts_text)) ||
      json_object_set_new(meta, "train_state", json_string(state_text)) ||
      json_object_set_new(meta, "ctxlab_version", json_string(CTXLAB_VERSION_STRING)))
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (checkpoint)");
  ctxlab_st_writer *w = NULL;
  if (!st) st = ctxlab_checkpoint_writer(tr->m, meta, &w, err);
  for (size_t i = 0; i < tr->m->n_tensors && !st && tr->m->grads; ++i) {
    const ctxlab_tensor *t = &tr->m->tensors[i];
    char name[2][CTXLAB_TENSOR_NAME_SIZE + 16];
    snprintf(name[0], sizeof name[0], "optim.m.%s", t->name);
    snprintf(name[1], sizeof name[1], "optim.v.%s", t->name);
    st = ctxlab_st_writer_add(w, name[0], CTXLAB_ST_F32, t->ndim, t->shape, tr->opt.m + t->offset, err);
    if (!st)
      st = ctxlab_st_writer_add(w, name[1], CTXLAB_ST_F32, t->ndim, t->shape, tr->opt.v + t->offset, err);
  }
  if (!st) st = ctxlab_st_writer_save(w, tr->o.checkpoint, err);
  ctxlab_st_writer_free(w);
  free(spec);
  free(opts_text);
  free(state_text);
  json_decref(meta);
  json_decref(opts);
  json_decref(state);
  return st;
}

/* The finished states a checkpoint may record ("interrupted" means: go on). */
static const char *finished_state(const char *name) {
  static const char *const FINISHED[] = {"steps", "early_stopping", "counted"};
  for (size_t i = 0; name && i < sizeof FINISHED / sizeof FINISHED[0]; ++i)
    if (strcmp(name, FINISHED[i]) == 0) return FINISHED[i];
  return NULL;
}

/* Options and state of the run that wrote checkpoint f (read from `path`);
 * threads, checkpoint and progress stay as the caller set them. */
static int resume_from(trainer *tr, const ctxlab_st_file *f, const char *path, ctxlab_error *err) {
  int st = CTXLAB_OK;
  json_error_t jerr;
  const char *opts_text = ctxlab_st_meta(f, "train_options");
  const char *state_text = ctxlab_st_meta(f, "train_state");
  json_t *opts = opts_text ? json_loads(opts_text, 0, &jerr) : NULL;
  json_t *state = state_text ? json_loads(state_text, 0, &jerr) : NULL;
  json_int_t seed, D, steps, total, batch, warmup, epochs, patience, heldout, step, bad, every;
  json_t *curve;
  const char *stopped = NULL;
  ctxlab_train_options *o = &tr->o;
  if (!opts || !state ||
      json_unpack(opts, "{s:I, s:I, s:I, s:I, s:I, s:F, s:F, s:F, s:F, s:F, s:F, s:F, s:I, s:I, s:I, s:I}",
                  "seed", &seed, "train_tokens", &D, "steps", &steps, "total_steps", &total,
                  "batch", &batch, "lr", &o->lr, "weight_decay", &o->weight_decay, "beta1",
                  &o->beta1, "beta2", &o->beta2, "eps", &o->eps, "clip", &o->clip,
                  "final_lr_fraction", &o->final_lr_fraction, "warmup", &warmup, "max_epochs",
                  &epochs, "patience", &patience, "heldout_tokens", &heldout) ||
      json_unpack(state, "{s:I, s:F, s:I, s:o, s?s, s:I}", "step", &step, "best_heldout_bits",
                  &tr->best_heldout, "bad_evals", &bad, "curve", &curve, "stopped", &stopped,
                  "eval_every", &every) ||
      !json_is_array(curve) || step < 0 || step > total) {
    st = ctxlab_error_set(err, CTXLAB_EFORMAT,
                          "%s: no training state to resume from (metadata train_options and "
                          "train_state missing or malformed)", path);
    goto done;
  }
  o->seed = (uint64_t)seed;
  o->train_tokens = (uint64_t)D;
  o->steps = (uint64_t)steps;
  o->batch = (uint32_t)batch;
  o->warmup = (uint64_t)warmup;
  o->max_epochs = (uint32_t)epochs;
  o->patience = (uint32_t)patience;
  o->heldout_tokens = (uint64_t)heldout;
  o->eval_every = (uint64_t)every;
  tr->step = (uint64_t)step;
  tr->total = (uint64_t)total;
  tr->bad_evals = (uint32_t)bad;
  tr->stopped = finished_state(stopped);
  json_decref(tr->curve);
  tr->curve = json_deep_copy(curve);
done:
  json_decref(opts);
  json_decref(state);
  return st;
}

/* The AdamW moments of a checkpoint, once the optimizer exists. */
static int resume_moments(trainer *tr, const ctxlab_st_file *f, const char *path,
                          ctxlab_error *err) {
  if (!tr->opt.m) return CTXLAB_OK;
  tr->opt.step = tr->step;
  int st = ctxlab_checkpoint_load_floats(tr->m, f, "optim.m.", tr->opt.m, path, err);
  return st ? st : ctxlab_checkpoint_load_floats(tr->m, f, "optim.v.", tr->opt.v, path, err);
}

static int curve_add(trainer *tr, json_t *point) {
  return json_array_append_new(tr->curve, point) ? CTXLAB_ENOMEM : CTXLAB_OK;
}

static int report_progress(trainer *tr, double loss_bits) {
  if (!tr->o.progress) return 0;
  ctxlab_train_progress_info info = {tr->step, tr->total,
                                     tr->n_windows ? tr->step * tr->B / tr->n_windows : 0,
                                     loss_bits, 0, ctxlab_now_s() - tr->t0};
  info.tokens_per_s = info.elapsed_s > 0 ? tr->tokens_done / info.elapsed_s : 0;
  return tr->o.progress(tr->o.progress_ctx, &info);
}

/* Held-out evaluation after step tr->step; sets tr->stopped on early stopping. */
static int evaluate(trainer *tr, ctxlab_error *err) {
  double bits;
  int st = heldout_loss(tr, &bits, err);
  if (st) return st;
  if (!isfinite(bits))
    return ctxlab_error_set(err, CTXLAB_ENUMERIC, "held-out loss is %g after step %llu", bits,
                            (unsigned long long)tr->step);
  if (curve_add(tr, json_pack("{s:I, s:f}", "step", (json_int_t)tr->step, "heldout_loss_bits", bits)))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  if (bits < tr->best_heldout) {
    tr->best_heldout = bits;
    tr->bad_evals = 0;
  } else if (tr->n_windows && tr->o.patience && ++tr->bad_evals >= tr->o.patience) {
    /* early stopping guards a fixed training set against overfitting; fresh
     * samples cannot be overfitted, so their runs go to the end */
    tr->stopped = "early_stopping";
  }
  return CTXLAB_OK;
}

static int gradient_steps(trainer *tr, ctxlab_error *err) {
  ctxlab_model *m = tr->m;
  const uint32_t V = m->cfg.vocab_size;
  const size_t N = (size_t)tr->B * tr->T;
  uint64_t cached_epoch = UINT64_MAX;
  uint64_t *perm = tr->n_windows ? malloc(tr->n_windows * sizeof *perm) : NULL;
  if (tr->n_windows && !perm) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  uint64_t log_every = tr->total / 200 ? tr->total / 200 : 1;
  int st = CTXLAB_OK;
  while (!st && !tr->stopped && tr->step < tr->total) {
    if ((st = load_batch(tr, tr->step, &cached_epoch, perm, err))) break;
    memset(m->grads, 0, m->n_params * sizeof(float));
    if ((st = m->ops->forward(m, tr->inputs, tr->B, tr->T, tr->logits, err))) break;
    double nats = ctxlab_xent(tr->logits, tr->targets, N, V, 1.0f / (float)N, tr->dlogits, m->threads);
    double bits = nats / (double)N / M_LN2;
    if (!isfinite(bits)) {
      st = ctxlab_error_set(err, CTXLAB_ENUMERIC,
                            "training loss is %g at step %llu: stopping (try a smaller --lr)", bits,
                            (unsigned long long)tr->step + 1);
      break;
    }
    if ((st = m->ops->backward(m, tr->dlogits, err))) break;
    double lr = ctxlab_lr_schedule(tr->o.lr, tr->step, tr->o.warmup, tr->total, tr->o.final_lr_fraction);
    double gnorm = ctxlab_adamw_update(&tr->opt, m, lr);
    if (!isfinite(gnorm)) {
      st = ctxlab_error_set(err, CTXLAB_ENUMERIC, "gradient norm is %g at step %llu: stopping",
                            gnorm, (unsigned long long)tr->step + 1);
      break;
    }
    tr->step++;
    tr->tokens_done += (double)N;
    if ((tr->step % log_every == 0 || tr->step == tr->total) &&
        curve_add(tr, json_pack("{s:I, s:f, s:f, s:f}", "step", (json_int_t)tr->step, "loss_bits",
                                bits, "lr", lr, "grad_norm", gnorm))) {
      st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
      break;
    }
    if (tr->step % tr->o.eval_every == 0 || tr->step == tr->total) st = evaluate(tr, err);
    if (!st && report_progress(tr, bits)) {
      st = ctxlab_error_set(err, CTXLAB_ECANCELED, "interrupted at step %llu of %llu",
                            (unsigned long long)tr->step, (unsigned long long)tr->total);
    }
  }
  if (!st && !tr->stopped) tr->stopped = "steps";
  free(perm);
  return st;
}

/* Counting models: one stream of D tokens. */
static int fit_counts(trainer *tr, ctxlab_error *err) {
  if (tr->o.train_tokens == 0)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "the %s model needs a training set (--train-tokens D)",
                            tr->m->cfg.model);
  if (tr->o.train_tokens > CTXLAB_NGRAM_MAX_TRAIN_TOKENS)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "--train-tokens %llu: at most 2^32 for counting models",
                            (unsigned long long)tr->o.train_tokens);
  uint32_t *tokens = malloc(tr->o.train_tokens * sizeof *tokens);
  if (!tokens) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%llu training tokens)",
                                       (unsigned long long)tr->o.train_tokens);
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, tr->o.seed, "gen.stream", 0);
  ctxlab_sampler *s;
  int st = ctxlab_sampler_new(tr->lang, &rng, &s, err);
  if (!st) {
    ctxlab_sampler_fill(s, tokens, tr->o.train_tokens);
    ctxlab_sampler_free(s);
    st = tr->m->ops->fit(tr->m, tokens, tr->o.train_tokens, err);
  }
  free(tokens);
  if (st) return st;
  tr->tokens_done = (double)tr->o.train_tokens;
  tr->stopped = "counted";
  if (tr->n_heldout) st = evaluate(tr, err);
  if (!st && report_progress(tr, tr->best_heldout))
    st = ctxlab_error_set(err, CTXLAB_ECANCELED, "interrupted");
  return st;
}

static void trainer_free(trainer *tr) {
  free(tr->data);
  free(tr->window);
  free(tr->inputs);
  free(tr->targets);
  free(tr->logits);
  free(tr->dlogits);
  ctxlab_adamw_free(&tr->opt);
  json_decref(tr->curve);
}

/* Sizes and buffers once the options are final. */
static int prepare(trainer *tr, int resuming, ctxlab_error *err) {
  ctxlab_train_options *o = &tr->o;
  tr->T = tr->m->cfg.context;
  tr->B = o->batch;
  const uint32_t V = tr->m->cfg.vocab_size;
  if (ctxlab_lang_vocab_size(tr->lang) != V)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "the model has %u tokens, the language %u", V,
                            ctxlab_lang_vocab_size(tr->lang));
  int neural = tr->m->ops->fit == NULL;
  if (neural && tr->T == 0)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "--context must be at least 1 for the %s model",
                            tr->m->cfg.model);
  if (tr->B == 0) return ctxlab_error_set(err, CTXLAB_EINVAL, "--batch must be at least 1");
  if (!(o->lr > 0) || !(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) ||
      !(o->eps > 0) || !(o->weight_decay >= 0) || !(o->clip >= 0))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "optimizer options out of range (need lr > 0, 0 <= beta < 1, eps > 0, "
                            "weight decay >= 0, clip >= 0)");
  const size_t W = (size_t)tr->T + 1;
  if (neural && o->train_tokens) {
    tr->n_windows = o->train_tokens / W;
    if (tr->n_windows == 0)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "--train-tokens %llu is less than one window of T+1 = %zu tokens",
                              (unsigned long long)o->train_tokens, W);
  }
  if (neural && !o->train_tokens && !o->steps)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "give --steps N (fresh samples) or --train-tokens D");
  if (!resuming) {
    uint64_t per_epoch = tr->n_windows ? (tr->n_windows + tr->B - 1) / tr->B : 0;
    tr->total = o->steps ? o->steps : per_epoch * o->max_epochs;
    if (o->warmup == UINT64_MAX) o->warmup = tr->total / 20;
    if (o->eval_every == 0)
      o->eval_every = per_epoch ? per_epoch : (tr->total / 10 ? tr->total / 10 : 1);
    tr->best_heldout = INFINITY;
  }
  /* automatic held-out size: a tenth of D (at most 65536 tokens), or for
   * fresh samples 1% of the training tokens, so that its evaluations (one
   * per epoch, or ten) cost a small part of training */
  uint64_t budget = o->train_tokens ? o->train_tokens / 10 : tr->total * tr->B * (uint64_t)tr->T / 100;
  uint64_t heldout = o->heldout_tokens ? o->heldout_tokens : budget < 65536 ? budget : 65536;
  tr->n_heldout = (heldout + W - 1) / W;
  if (tr->n_heldout < 1) tr->n_heldout = 1;
  ctxlab_rng r;
  ctxlab_rng_derive(&r, o->seed, "sim.heldout", 0);
  tr->heldout_seed = ctxlab_rng_next64(&r);
  if (!neural) {
    if (tr->T == 0) tr->n_heldout = 0; /* windows of one token score nothing */
    tr->T = tr->T ? tr->T : 1;
  }
  size_t B = tr->B;
  tr->window = malloc(B * W * sizeof(uint32_t));
  tr->inputs = malloc(B * tr->T * sizeof(uint32_t));
  tr->targets = malloc(B * tr->T * sizeof(uint32_t));
  tr->logits = malloc(B * tr->T * V * sizeof(float));
  tr->dlogits = neural ? malloc(B * tr->T * V * sizeof(float)) : NULL;
  if (!tr->window || !tr->inputs || !tr->targets || !tr->logits || (neural && !tr->dlogits))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (batch of %zu x %u)", B, tr->T);
  if (neural) {
    int st = ctxlab_adamw_init(&tr->opt, tr->m->n_params, err);
    if (st) return st;
    tr->opt.beta1 = o->beta1;
    tr->opt.beta2 = o->beta2;
    tr->opt.eps = o->eps;
    tr->opt.weight_decay = o->weight_decay;
    tr->opt.clip = o->clip;
  }
  if (tr->n_windows) {
    tr->data = malloc(tr->n_windows * W * sizeof(uint32_t));
    if (!tr->data)
      return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (training set of %llu tokens)",
                              (unsigned long long)(tr->n_windows * W));
    return ctxlab_lang_sample_sequences(tr->lang, o->seed, 0, tr->n_windows, W, tr->data, err);
  }
  return CTXLAB_OK;
}

int ctxlab_train(const ctxlab_lang *lang, ctxlab_model *m, const ctxlab_train_options *o,
                 const char *resume, json_t **report, ctxlab_error *err) {
  *report = NULL;
  trainer tr = {0};
  tr.lang = lang;
  tr.m = m;
  tr.o = *o;
  tr.curve = json_array();
  if (!tr.curve) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  ctxlab_model_set_threads(m, o->threads);
  int st = CTXLAB_OK;
  ctxlab_st_file *checkpoint = NULL;
  if (resume && ((st = ctxlab_st_load(resume, &checkpoint, err)) ||
                 (st = resume_from(&tr, checkpoint, resume, err))))
    goto done;
  if ((st = prepare(&tr, resume != NULL, err))) goto done;
  if (checkpoint && (st = resume_moments(&tr, checkpoint, resume, err))) goto done;
  tr.t0 = ctxlab_now_s();
  /* a checkpoint of a finished run (or a counting model's) has nothing left to do */
  if (!tr.stopped) st = m->ops->fit ? fit_counts(&tr, err) : gradient_steps(&tr, err);
  if (st == CTXLAB_ECANCELED) tr.stopped = "interrupted";
  if ((!st || st == CTXLAB_ECANCELED) && tr.o.checkpoint) {
    ctxlab_error save_err;
    int sst = save_checkpoint(&tr, &save_err);
    if (sst) {
      if (err) *err = save_err;
      st = sst;
    }
  }
  if (st) goto done;
  double secs = ctxlab_now_s() - tr.t0;
  json_t *opts = options_json(&tr.o, tr.total);
  *report = json_pack("{s:o, s:O, s:I, s:f, s:f, s:f, s:s, s:f}", "options", opts, "curve",
                      tr.curve, "steps", (json_int_t)tr.step, "tokens", tr.tokens_done, "time_s",
                      secs, "tokens_per_s", secs > 0 ? tr.tokens_done / secs : 0.0, "stopped",
                      tr.stopped, "best_heldout_loss_bits",
                      isfinite(tr.best_heldout) ? tr.best_heldout : -1.0);
  if (!*report) st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
done:
  ctxlab_st_free(checkpoint);
  trainer_free(&tr);
  return st;
}
