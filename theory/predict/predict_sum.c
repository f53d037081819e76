/* The sum over windows s of c tokens of p(s) f(s): every window of positive
 * probability when there are few enough, else a Monte Carlo mean over
 * windows drawn from the stationary process.
 *
 * Exact: a depth-first search through the oracle, p(s) = prod_i
 * P(s_i | s_1 .. s_(i-1)) (each factor the oracle given exactly the i - 1
 * tokens before), pruning branches of probability 0; it stops as soon as
 * more than max_enumerate windows turn up (then Monte Carlo is used).
 * Monte Carlo: window i is the first c tokens of the sampler on
 * ctxlab_rng_derive(seed, "predict.window", i), p(s) by the same chain rule.
 * Either way f is evaluated in blocks of BLOCK windows, in parallel, and the
 * blocks are folded in index order, so the result does not depend on the
 * number of threads.  A window's count draws (Kneser-Ney) come from
 * ctxlab_rng_derive(seed, "predict.counts", window index). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "theory/predict/predict_internal.h"

#define BLOCK 64

/* ---- enumeration ---------------------------------------------------------- */

typedef struct windows {
  size_t n, cap;
  uint32_t c;
  uint32_t *tokens; /* n * c */
  double *p;        /* n */
} windows;

static void windows_free(windows *w) {
  free(w->tokens);
  free(w->p);
}

static int windows_push(windows *w, const uint32_t *s, double p, ctxlab_error *err) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 64;
    uint32_t *t = realloc(w->tokens, cap * (w->c ? w->c : 1) * sizeof *t);
    if (t) w->tokens = t;
    double *q = t ? realloc(w->p, cap * sizeof *q) : NULL;
    if (q) w->p = q;
    if (!t || !q) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%zu windows)", cap);
    w->cap = cap;
  }
  memcpy(w->tokens + w->n * w->c, s, w->c * sizeof *s);
  w->p[w->n++] = p;
  return CTXLAB_OK;
}

typedef struct search {
  const ctxlab_lang *lang;
  uint32_t V;
  uint64_t max;
  uint32_t *prefix; /* c */
  double *probs;    /* c * V: the oracle at each depth */
  windows *out;
  int too_many;
} search;

static int dfs(search *s, uint32_t depth, double p, ctxlab_error *err) {
  if (depth == s->out->c) {
    if (s->out->n >= s->max) {
      s->too_many = 1;
      return CTXLAB_OK;
    }
    return windows_push(s->out, s->prefix, p, err);
  }
  double *probs = s->probs + (size_t)depth * s->V;
  int st = ctxlab_lang_predict(s->lang, s->prefix, depth, probs, err);
  for (uint32_t x = 0; !st && !s->too_many && x < s->V; ++x) {
    if (!(probs[x] > 0)) continue;
    s->prefix[depth] = x;
    st = dfs(s, depth + 1, p * probs[x], err);
  }
  return st;
}

/* Every window of positive probability into *out, or *too_many when there
 * are more than max. */
static int enumerate(const ctxlab_lang *lang, uint32_t c, uint64_t max, windows *out,
                     int *too_many, ctxlab_error *err) {
  search s = {lang, ctxlab_lang_vocab_size(lang), max, NULL, NULL, out, 0};
  out->c = c;
  s.prefix = malloc((c ? c : 1) * sizeof *s.prefix);
  s.probs = malloc((size_t)(c ? c : 1) * s.V * sizeof *s.probs);
  int st = !s.prefix || !s.probs ? ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (windows)")
                                 : dfs(&s, 0, 1.0, err);
  free(s.prefix);
  free(s.probs);
  *too_many = s.too_many;
  return st;
}

/* ---- evaluation ------------------------------------------------------------ */

/* Per thread. */
typedef struct scratch {
  ctxlab_sampler *sampler;
  uint32_t *window; /* c */
  double *next, *lower, *probs; /* V each */
} scratch;

static void scratch_free(scratch *s) {
  ctxlab_sampler_free(s->sampler);
  free(s->window);
  free(s->next);
  free(s->lower);
  free(s->probs);
}

static int scratch_init(const ctxlab_lang *lang, uint32_t c, scratch *s, ctxlab_error *err) {
  const uint32_t V = ctxlab_lang_vocab_size(lang);
  memset(s, 0, sizeof *s);
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 0, "predict.window", 0); /* replaced by every restart */
  int st = ctxlab_sampler_new(lang, &rng, &s->sampler, err);
  if (st) return st;
  s->window = malloc((c ? c : 1) * sizeof *s->window);
  s->next = malloc(V * sizeof *s->next);
  s->lower = malloc(V * sizeof *s->lower);
  s->probs = malloc(V * sizeof *s->probs);
  if (!s->window || !s->next || !s->lower || !s->probs)
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (prediction scratch)");
  return CTXLAB_OK;
}

/* Sums of one block: exact mode sum_s p f and sum_s p^2 var; Monte Carlo
 * mode the count, mean and squared deviations of f (Welford). */
typedef struct acc {
  double count, mean[2], m2[2];
} acc;

static void acc_add(acc *a, const double *x, unsigned dim) {
  a->count += 1;
  for (unsigned i = 0; i < dim; ++i) {
    const double delta = x[i] - a->mean[i];
    a->mean[i] += delta / a->count;
    a->m2[i] += delta * (x[i] - a->mean[i]);
  }
}

/* Fold b into a (Chan, Golub & LeVeque 1979). */
static void acc_merge(acc *a, const acc *b, unsigned dim) {
  if (b->count == 0) return;
  const double n = a->count + b->count;
  for (unsigned i = 0; i < dim; ++i) {
    const double delta = b->mean[i] - a->mean[i];
    a->mean[i] += delta * b->count / n;
    a->m2[i] += b->m2[i] + delta * delta * a->count * b->count / n;
  }
  a->count = n;
}

typedef struct job {
  const ctxlab_lang *lang;
  uint32_t c, V;
  const ctxlab_predict_term *term;
  uint64_t seed;
  const windows *list; /* exact mode; NULL for Monte Carlo */
  uint64_t draws;      /* count draws per window */
} job;

/* Window i: tokens, p(s), P(.|s) (and the lower-order law) into s. */
static int load_window(const job *j, uint64_t i, scratch *s, ctxlab_predict_window *w,
                       ctxlab_error *err) {
  int st = CTXLAB_OK;
  if (j->list) {
    w->tokens = j->list->tokens + i * j->c;
    w->p = j->list->p[i];
  } else {
    ctxlab_rng rng;
    ctxlab_rng_derive(&rng, j->seed, "predict.window", i);
    ctxlab_sampler_restart(s->sampler, &rng);
    ctxlab_sampler_fill(s->sampler, s->window, j->c);
    w->tokens = s->window;
    w->p = 1;
    for (uint32_t d = 0; !st && d < j->c; ++d) {
      st = ctxlab_lang_predict(j->lang, s->window, d, s->probs, err);
      w->p *= s->probs[s->window[d]];
    }
  }
  if (!st) st = ctxlab_lang_predict(j->lang, w->tokens, j->c, s->next, err);
  w->next = s->next;
  w->lower = NULL;
  if (!st && j->term->wants_lower && j->c > 0) {
    st = ctxlab_lang_predict(j->lang, w->tokens + 1, j->c - 1, s->lower, err);
    w->lower = s->lower;
  }
  if (!st && !(w->p > 0))
    st = ctxlab_error_set(err, CTXLAB_ENUMERIC, "window %llu has probability %g",
                          (unsigned long long)i, w->p);
  return st;
}

static int run_block(const job *j, uint64_t first, uint64_t count, scratch *s, acc *a,
                     ctxlab_error *err) {
  const unsigned dim = j->term->dim;
  for (uint64_t i = first; i < first + count; ++i) {
    ctxlab_predict_window w;
    int st = load_window(j, i, s, &w, err);
    if (st) return st;
    w.rng = NULL;
    if (j->term->wants_rng) {
      ctxlab_rng rng;
      ctxlab_rng_derive(&rng, j->seed, "predict.counts", i);
      if (!(w.rng = ctxlab_rng_gsl_new(&rng)))
        return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (GSL generator)");
    }
    w.draws = j->draws;
    double f[2] = {0, 0}, var[2] = {0, 0};
    st = j->term->eval(j->term->ctx, &w, f, var, err);
    if (w.rng) gsl_rng_free(w.rng);
    if (st) return st;
    if (j->list) {
      a->count += 1;
      for (unsigned d = 0; d < dim; ++d) {
        a->mean[d] += w.p * f[d]; /* exact mode: plain sums */
        a->m2[d] += w.p * w.p * var[d];
      }
    } else {
      acc_add(a, f, dim);
    }
  }
  return CTXLAB_OK;
}

int ctxlab_predict_sum(const ctxlab_lang *lang, uint32_t c, const ctxlab_predict_term *term,
                       const ctxlab_predict_options *o, double *sum, double *stderr_sum,
                       ctxlab_method *method, ctxlab_error *err) {
  const uint32_t V = ctxlab_lang_vocab_size(lang);
  const unsigned dim = term->dim;
  windows list = {0};
  int too_many = 0;
  int st = enumerate(lang, c, o->max_enumerate, &list, &too_many, err);
  if (st) {
    windows_free(&list);
    return st;
  }
  const int exact = !too_many;
  const uint64_t n = exact ? list.n : o->samples;
  /* exact mode: the count draws (Kneser-Ney) spread over the windows, at
   * least 2 per window so each has a variance */
  const uint64_t per = exact && list.n ? (o->samples + list.n - 1) / list.n : 1;
  const job j = {lang, c, V, term, o->seed, exact ? &list : NULL, exact ? (per < 2 ? 2 : per) : 1};
  const uint64_t nblocks = (n + BLOCK - 1) / BLOCK;
  const int nthreads = o->threads > 0 ? o->threads : omp_get_max_threads();
  acc *blocks = calloc(nblocks ? nblocks : 1, sizeof *blocks);
  int *status = calloc(nblocks ? nblocks : 1, sizeof *status);
  ctxlab_error *errors = calloc(nblocks ? nblocks : 1, sizeof *errors);
  scratch *scr = calloc((size_t)nthreads, sizeof *scr);
  if (!blocks || !status || !errors || !scr) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%llu windows)",
                          (unsigned long long)n);
    goto cleanup;
  }
  for (int t = 0; t < nthreads && !st; ++t) st = scratch_init(lang, c, &scr[t], err);
  if (st) goto cleanup;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
  for (uint64_t b = 0; b < nblocks; ++b) {
    const uint64_t first = b * BLOCK, count = n - first < BLOCK ? n - first : BLOCK;
    status[b] = run_block(&j, first, count, &scr[omp_get_thread_num()], &blocks[b], &errors[b]);
  }
  acc total = {0, {0, 0}, {0, 0}};
  for (uint64_t b = 0; b < nblocks; ++b) {
    if (status[b]) {
      if (err) *err = errors[b];
      st = status[b];
      goto cleanup;
    }
    if (exact) {
      for (unsigned d = 0; d < dim; ++d) {
        total.mean[d] += blocks[b].mean[d];
        total.m2[d] += blocks[b].m2[d];
      }
    } else {
      acc_merge(&total, &blocks[b], dim);
    }
  }
  for (unsigned d = 0; d < dim; ++d) {
    sum[d] = total.mean[d];
    stderr_sum[d] = exact ? sqrt(total.m2[d])
                          : n > 1 ? sqrt(total.m2[d] / ((double)n - 1) / (double)n) : INFINITY;
  }
  *method = exact ? CTXLAB_METHOD_EXACT : CTXLAB_METHOD_MONTE_CARLO;
cleanup:
  if (scr)
    for (int t = 0; t < nthreads; ++t) scratch_free(&scr[t]);
  free(scr);
  free(blocks);
  free(status);
  free(errors);
  windows_free(&list);
  return st;
}
