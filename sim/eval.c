/* Evaluation against the Bayes oracle, position by position.
 *
 * A window of T+1 tokens gives T predictions: position t (t = 0..T-1) has
 * c = t+1 tokens before it and predicts token t+1.  For each, with Q the
 * model's softmax and P the oracle's distribution given exactly the tokens
 * the model sees (ctxlab_lang_predict): all c for the transformer and rnn,
 * the last min(c, order/window) for the n-gram and mlp, so that an order-k
 * model is compared with P_k and its KL is KL(P_k || Q_k):
 *   loss  = -log2 Q(x),  bayes = -log2 P(x),
 *   KL    = sum_x P(x) log2(P(x) / Q(x))  (from the distributions, so it has
 *           no sampling noise of its own beyond the choice of windows).
 * Curves are means over windows, index c-1 for context c; sums run over
 * windows in order, so the result does not depend on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/tokens.h"
#include "sim/loss.h"
#include "sim/model.h"
#include "sim/sim_data.h"
#include "sim/transformer/transformer.h"

uint64_t ctxlab_eval_seed(uint64_t train_seed) {
  ctxlab_rng r;
  ctxlab_rng_derive(&r, train_seed, "sim.eval", 0);
  return ctxlab_rng_next64(&r);
}

typedef struct sums {
  size_t T;
  uint64_t windows;
  double *loss, *loss_sq, *bayes, *kl; /* T each */
  int oracle;
  size_t layers, heads;
  double *attention; /* transformer: (layers, heads, T) entropy sums in nats, else NULL */
} sums;

static int sums_init(sums *s, size_t T, int oracle) {
  memset(s, 0, sizeof *s);
  s->T = T;
  s->oracle = oracle;
  s->loss = calloc(4 * T, sizeof(double));
  if (!s->loss) return CTXLAB_ENOMEM;
  s->loss_sq = s->loss + T;
  s->bayes = s->loss + 2 * T;
  s->kl = s->loss + 3 * T;
  return CTXLAB_OK;
}

/* Attention entropies are recorded for transformers. */
static int sums_attention(sums *s, const ctxlab_model *m) {
  if (strcmp(m->cfg.model, "transformer") != 0) return CTXLAB_OK;
  s->layers = m->cfg.n_layer;
  s->heads = m->cfg.n_head;
  s->attention = calloc(s->layers * s->heads * s->T, sizeof(double));
  return s->attention ? CTXLAB_OK : CTXLAB_ENOMEM;
}

/* Score a batch of n windows (n, T+1): per-window values in `scratch`
 * (n, 3, T) in parallel, then folded into s in window order. */
static int score_batch(ctxlab_model *m, const ctxlab_lang *lang, const uint32_t *windows, size_t n,
                       sums *s, uint32_t *inputs, uint32_t *targets, float *logits,
                       double *scratch, ctxlab_error *err) {
  const size_t T = s->T;
  const uint32_t V = m->cfg.vocab_size;
  ctxlab_split_windows(windows, n, T, inputs, targets);
  int st = m->ops->forward(m, inputs, n, T, logits, err);
  if (!st && s->attention && ctxlab_transformer_attention_entropy(m, s->attention))
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (attention entropies)");
  if (st) return st;
  int failed = 0;
  ctxlab_error first_err;
#pragma omp parallel num_threads(m->threads)
  {
    double *logq = malloc(2 * V * sizeof(double));
    double *p = logq ? logq + V : NULL;
#pragma omp for schedule(dynamic, 1)
    for (size_t b = 0; b < n; ++b) {
      double *out = scratch + b * 3 * T;
      for (size_t t = 0; t < T && logq; ++t) {
        const uint32_t x = targets[b * T + t];
        ctxlab_log_softmax(logits + (b * T + t) * V, V, logq);
        out[t] = -logq[x] / M_LN2;
        if (!lang) continue;
        ctxlab_error e;
        const size_t seen = ctxlab_model_tokens_seen(m, t + 1);
        if (ctxlab_lang_predict(lang, windows + b * (T + 1) + t + 1 - seen, seen, p, &e)) {
#pragma omp critical
          if (!failed) {
            failed = 1;
            first_err = e;
          }
          break;
        }
        double kl = 0;
        for (uint32_t y = 0; y < V; ++y)
          if (p[y] > 0) kl += p[y] * (log(p[y]) - logq[y]);
        out[T + t] = -log2(p[x]);
        out[2 * T + t] = kl / M_LN2;
      }
      if (!logq) failed = 2;
    }
    free(logq);
  }
  if (failed == 2) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  if (failed) {
    if (err) *err = first_err;
    return first_err.status;
  }
  for (size_t b = 0; b < n; ++b) {
    const double *v = scratch + b * 3 * T;
    for (size_t t = 0; t < T; ++t) {
      s->loss[t] += v[t];
      s->loss_sq[t] += v[t] * v[t];
      if (lang) {
        s->bayes[t] += v[T + t];
        s->kl[t] += v[2 * T + t];
      }
    }
  }
  s->windows += n;
  return CTXLAB_OK;
}

static json_t *curve(const double *sum, size_t T, double scale) {
  json_t *a = json_array();
  for (size_t t = 0; t < T && a; ++t) json_array_append_new(a, json_real(sum[t] * scale));
  return a;
}

static json_t *summary(const sums *s) {
  const size_t T = s->T;
  const double w = (double)s->windows;
  double total = 0;
  json_t *stderr_bits = json_array();
  for (size_t t = 0; t < T; ++t) {
    total += s->loss[t];
    double mean = s->loss[t] / w, var = s->windows > 1 ? (s->loss_sq[t] / w - mean * mean) * w / (w - 1) : 0;
    json_array_append_new(stderr_bits, json_real(var > 0 ? sqrt(var / w) : 0));
  }
  json_t *o = json_pack("{s:I, s:I, s:I, s:f, s:f, s:o, s:o}", "context", (json_int_t)T, "windows",
                        (json_int_t)s->windows, "tokens", (json_int_t)(s->windows * T),
                        "loss_bits", total / (w * (double)T), "last_loss_bits", s->loss[T - 1] / w,
                        "loss_by_context_bits", curve(s->loss, T, 1 / w),
                        "stderr_loss_by_context_bits", stderr_bits);
  if (o && s->oracle) {
    double bayes = 0, kl = 0;
    for (size_t t = 0; t < T; ++t) {
      bayes += s->bayes[t];
      kl += s->kl[t];
    }
    json_object_set_new(o, "bayes_bits", json_real(bayes / (w * (double)T)));
    json_object_set_new(o, "kl_bits", json_real(kl / (w * (double)T)));
    json_object_set_new(o, "bayes_by_context_bits", curve(s->bayes, T, 1 / w));
    json_object_set_new(o, "kl_by_context_bits", curve(s->kl, T, 1 / w));
  }
  if (o && s->attention) {
    /* [layer][head][c-1]: mean over windows of each query's -sum a ln a */
    json_t *layers = json_array();
    for (size_t l = 0; l < s->layers; ++l) {
      json_t *heads = json_array();
      for (size_t h = 0; h < s->heads; ++h)
        json_array_append_new(heads, curve(s->attention + (l * s->heads + h) * T, T, 1 / w));
      json_array_append_new(layers, heads);
    }
    json_object_set_new(o, "attention_entropy_nats", layers);
  }
  return o;
}

/* Buffers for batches of B windows of T+1 tokens. */
typedef struct buffers {
  uint32_t *windows, *inputs, *targets;
  float *logits;
  double *scratch;
} buffers;

static int buffers_init(buffers *b, size_t B, size_t T, uint32_t V) {
  b->windows = malloc(B * (T + 1) * sizeof(uint32_t));
  b->inputs = malloc(B * T * sizeof(uint32_t));
  b->targets = malloc(B * T * sizeof(uint32_t));
  b->logits = malloc(B * T * V * sizeof(float));
  b->scratch = malloc(B * 3 * T * sizeof(double));
  return b->windows && b->inputs && b->targets && b->logits && b->scratch ? CTXLAB_OK : CTXLAB_ENOMEM;
}

static void buffers_free(buffers *b) {
  free(b->windows);
  free(b->inputs);
  free(b->targets);
  free(b->logits);
  free(b->scratch);
}

static int check_options(const ctxlab_model *m, const ctxlab_lang *lang, const ctxlab_eval_options *o,
                         ctxlab_error *err) {
  if (o->context == 0) return ctxlab_error_set(err, CTXLAB_EINVAL, "--context must be at least 1");
  if (o->batch == 0) return ctxlab_error_set(err, CTXLAB_EINVAL, "the eval batch must be at least 1");
  if (lang && ctxlab_lang_vocab_size(lang) != m->cfg.vocab_size)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "the model has %u tokens, the language %u",
                            m->cfg.vocab_size, ctxlab_lang_vocab_size(lang));
  return CTXLAB_OK;
}

/* Where windows come from: n windows of T+1 tokens, starting with window
 * `first`, into out. */
typedef int (*window_source)(void *ctx, uint64_t first, size_t n, uint32_t *out, ctxlab_error *err);

/* Score `windows` windows of T = o->context predictions each, in batches. */
static int evaluate(ctxlab_model *m, const ctxlab_lang *lang, const ctxlab_eval_options *o,
                    uint64_t windows, window_source source, void *ctx, json_t **out,
                    ctxlab_error *err) {
  const size_t T = o->context;
  ctxlab_model_set_threads(m, o->threads);
  sums s = {0};
  buffers b = {0};
  int st = CTXLAB_OK;
  if (sums_init(&s, T, lang != NULL) || sums_attention(&s, m) ||
      buffers_init(&b, o->batch, T, m->cfg.vocab_size))
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (eval batch)");
  for (uint64_t first = 0; first < windows && !st; first += o->batch) {
    size_t n = windows - first < o->batch ? (size_t)(windows - first) : o->batch;
    st = source(ctx, first, n, b.windows, err);
    if (!st) st = score_batch(m, lang, b.windows, n, &s, b.inputs, b.targets, b.logits, b.scratch, err);
  }
  /* "model": the config evaluated, which may differ from the trained one in
   * its position handling (ctxlab_model_set_positions) */
  if (!st && (!(*out = summary(&s)) ||
              json_object_set_new(*out, "model", ctxlab_model_config_json(m)))) {
    json_decref(*out);
    *out = NULL;
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  }
  free(s.loss);
  free(s.attention);
  buffers_free(&b);
  return st;
}

typedef struct lang_source {
  const ctxlab_lang *lang;
  uint64_t seed;
  size_t W;
} lang_source;

static int sample_windows(void *ctx, uint64_t first, size_t n, uint32_t *out, ctxlab_error *err) {
  const lang_source *ls = ctx;
  return ctxlab_lang_sample_sequences(ls->lang, ls->seed, first, n, ls->W, out, err);
}

int ctxlab_eval_lang(ctxlab_model *m, const ctxlab_lang *lang, const ctxlab_eval_options *o,
                     json_t **out, ctxlab_error *err) {
  *out = NULL;
  int st = check_options(m, lang, o, err);
  if (st) return st;
  if (o->eval_tokens == 0) return ctxlab_error_set(err, CTXLAB_EINVAL, "--eval-tokens must be at least 1");
  lang_source ls = {lang, o->seed, (size_t)o->context + 1};
  return evaluate(m, lang, o, (o->eval_tokens + o->context - 1) / o->context, sample_windows, &ls,
                  out, err);
}

typedef struct file_source {
  ctxlab_token_file *f;
  size_t W;
} file_source;

static int read_windows(void *ctx, uint64_t first, size_t n, uint32_t *out, ctxlab_error *err) {
  const file_source *fs = ctx;
  return ctxlab_token_file_read(fs->f, first * fs->W, n * fs->W, out, err);
}

int ctxlab_eval_token_file(ctxlab_model *m, const char *path, const ctxlab_lang *lang,
                           const ctxlab_eval_options *o, json_t **out, ctxlab_error *err) {
  *out = NULL;
  int st = check_options(m, lang, o, err);
  if (st) return st;
  file_source fs = {NULL, (size_t)o->context + 1};
  if ((st = ctxlab_token_file_open(path, 1, &fs.f, err))) return st;
  const ctxlab_token_layout *layout = ctxlab_token_file_layout(fs.f);
  const uint64_t windows = layout->tokens / fs.W;
  if (windows == 0)
    st = ctxlab_error_set(err, CTXLAB_EINVAL, "%s: %llu tokens, fewer than one window of T+1 = %zu",
                          path, (unsigned long long)layout->tokens, fs.W);
  else if (layout->vocab_size > m->cfg.vocab_size)
    st = ctxlab_error_set(err, CTXLAB_EINVAL, "%s: vocabulary of %u tokens, the model has %u", path,
                          layout->vocab_size, m->cfg.vocab_size);
  else
    st = evaluate(m, lang, o, windows, read_windows, &fs, out, err);
  ctxlab_token_file_close(fs.f);
  return st;
}
