/* The n-gram model (kind "ngram"): the counts of the training streams and a
 * smoothed estimate of the next token from exactly the last c tokens.  This
 * comment is the estimator's definition; theory/ predicts the loss of this
 * estimator and tests/unit/test_ngram_brute.c re-implements it from here.
 *
 * Counts.  fit(tokens, N) adds one stream x_1 .. x_N; every call is a stream
 * of its own (no n-gram spans two calls).  For k = 0 .. c, h a k-gram and w a
 * token, summed over the streams,
 *     n_k(h w) = #{i in k+1 .. N : x_{i-k} .. x_{i-1} = h, x_i = w},
 *     n_k(h)   = sum_w n_k(h w).
 * Only n_c is counted while reading tokens; the lower orders are derived
 * exactly (sim/ngram/ngram_build.c says how).  Counts live in hash tables
 * and sorted arrays of the n-grams that occur, never in V^c arrays.
 *
 * Prediction.  Having seen x_1 .. x_t (logits[b, t-1] in forward's terms), the
 * model scores w with ln Q_k(w | h), h = x_{t-k+1} .. x_t the last
 * k = min(t, c) tokens: a position with fewer than c tokens before it uses
 * the same estimator at the order it has.
 *
 * add-beta (cfg.smoothing = add-beta; a Dirichlet(beta) prior on each row):
 *     Q_k(w | h) = (n_k(h w) + beta) / (n_k(h) + V beta).
 *
 * Interpolated Kneser-Ney (cfg.smoothing = kneser-ney; S. F. Chen and
 * J. Goodman, "An empirical study of smoothing techniques for language
 * modeling", Harvard TR-10-98, 1998: Kneser-Ney in its interpolated form).
 * Q_k = P_k, where for j = k, k-1, .., 0 and h_j the last j tokens of h:
 *     c_j(h_j w) = n_k(h_k w)                             at j = k (raw counts),
 *                = N1+(. h_j w) = #{a : n_{j+1}(a h_j w) > 0}   at j < k
 *                  (continuation counts: distinct tokens seen before h_j w),
 *     c_j(h_j)   = sum_w c_j(h_j w),   N_j(h_j) = #{w : c_j(h_j w) > 0},
 *     P_j(w | h_j) = max(c_j(h_j w) - D_j, 0) / c_j(h_j)
 *                    + D_j N_j(h_j) / c_j(h_j) * P_{j-1}(w | h_{j-1})  if c_j(h_j) > 0,
 *                  = P_{j-1}(w | h_{j-1})                              if c_j(h_j) = 0,
 *     P_{-1}(w)  = 1 / V.
 * D_j is cfg.kn_discount when that is > 0.  Otherwise it is estimated per
 * order and per kind of count: D_j = n1 / (n1 + 2 n2) (Ney, Essen & Kneser
 * 1994, as in Chen & Goodman), n_r the number of distinct (j+1)-grams whose
 * count c_j (raw counts of order j at j = k, continuation counts of order j
 * at j < k) is exactly r, and n1 taken as max(n1, 1) so that an order
 * without singletons keeps D > 0 (D = 0 would give unseen tokens probability
 * 0).  There are no boundary symbols: a stream's first (j+1)-gram has no
 * token before it and adds nothing to continuation counts.
 *
 * Arithmetic: Q in double (add-beta as the quotient above; Kneser-Ney as
 * P = 1/V, then for j = 0 .. k: P(w) = lambda P(w) + max(c_j(h_j w) - D_j, 0)
 * / c_j(h_j), lambda = D_j N_j(h_j) / c_j(h_j)); logits are (float) ln Q.
 * Counts are exact integers, so Q does not depend on the order the data came
 * in, on how the tables are laid out, or on threads. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sim/ngram/ngram.h"

unsigned ctxlab_ngram_token_bits(uint32_t vocab_size) {
  unsigned b = 1;
  while (b < 32 && (UINT64_C(1) << b) < vocab_size) b++;
  return b;
}

static int create(ctxlab_model *m, ctxlab_error *err) {
  const ctxlab_model_config *cfg = &m->cfg;
  if (cfg->smoothing != CTXLAB_SMOOTHING_ADD_BETA && cfg->smoothing != CTXLAB_SMOOTHING_KNESER_NEY)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "ngram: unknown smoothing %d", (int)cfg->smoothing);
  if (!(cfg->beta > 0 && isfinite(cfg->beta)))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "ngram: beta must be positive and finite (got %g)",
                            cfg->beta);
  if (!(cfg->kn_discount >= 0 && cfg->kn_discount < 1))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "ngram: kn_discount must be in [0, 1), 0 meaning estimated (got %g)",
                            cfg->kn_discount);
  const unsigned b = ctxlab_ngram_token_bits(cfg->vocab_size);
  if ((uint64_t)(cfg->context + 1) * b > 64)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "ngram: context %u over vocab_size %u needs (context + 1) * %u = %llu "
                            "bits per packed n-gram, more than the 64 of a key: the largest "
                            "context for this vocabulary is %u",
                            cfg->context, cfg->vocab_size, b,
                            (unsigned long long)(cfg->context + 1) * b, 64 / b - 1);
  ctxlab_ngram *g = calloc(1, sizeof *g);
  if (!g) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (ngram)");
  g->order = cfg->context;
  g->bits = b;
  g->vocab = cfg->vocab_size;
  g->fixed_discount = cfg->kn_discount;
  g->continuation = cfg->smoothing == CTXLAB_SMOOTHING_KNESER_NEY;
  g->table_slots = CTXLAB_NGRAM_TABLE_SLOTS;
  g->key_bytes = (g->order + 1) * b <= 32 ? 4 : 8;
  g->heads = calloc(g->order ? g->order : 1, sizeof *g->heads);
  m->impl = g;
  if (!g->heads) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (ngram)");
  return CTXLAB_OK;
}

static void destroy(ctxlab_model *m) {
  ctxlab_ngram *g = m->impl;
  if (!g) return;
  ctxlab_ngram_orders_free(g);
  ctxlab_ngram_table_free(&g->top);
  free(g->spill);
  if (g->heads)
    for (unsigned k = 0; k < g->order; ++k) ctxlab_ngram_list_free(&g->heads[k]);
  free(g->heads);
  free(g);
  m->impl = NULL;
}

/* Room in g->spill for `more` keys. */
static int spill_reserve(ctxlab_ngram *g, size_t more, ctxlab_error *err) {
  if (g->spill_cap - g->spill_n >= more) return CTXLAB_OK;
  size_t cap = 2 * g->spill_cap;
  if (cap < g->spill_n + more) cap = g->spill_n + more;
  void *keys = ctxlab_ngram_keys_alloc(cap, g->key_bytes);
  if (!keys) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (%zu n-grams)", cap);
  if (g->spill_n) memcpy(keys, g->spill, g->spill_n * g->key_bytes);
  free(g->spill);
  g->spill = keys;
  g->spill_cap = cap;
  return CTXLAB_OK;
}

/* Every window of c + 1 tokens of tokens[0..n-1] (n > c), packed, appended
 * to g->spill. */
static int spill_windows(ctxlab_ngram *g, const uint32_t *tokens, size_t n, ctxlab_error *err) {
  const size_t windows = n - g->order;
  int st = spill_reserve(g, windows, err);
  if (st) return st;
  char *at = (char *)g->spill + g->spill_n * g->key_bytes;
  ctxlab_ngram_prefault(at, windows * g->key_bytes);
  ctxlab_ngram_pack_windows(g, tokens, n, at);
  g->spill_n += windows;
  return CTXLAB_OK;
}

/* Whether the table's windows join g->spill when counting switches to
 * spilling: when they are mostly single (at most 2 windows a key on
 * average), as they are when counting switched for lack of repeats.  The
 * build then sorts every window the fast way (as a bare key rather than a
 * 16-byte entry with a count): at D = 1e6, V = 256, the table's 2e5
 * windows were a fifth of the data.  A table of repeated keys (a
 * checkpoint's counts, say) stays as it is.  Returns the windows to move
 * (0: none). */
static uint64_t table_windows_to_spill(const ctxlab_ngram *g) {
  uint64_t windows = 0;
  for (size_t i = 0; g->top.slots && i <= g->top.mask; ++i) windows += g->top.slots[i].value;
  return windows <= 2 * (uint64_t)g->top.size ? windows : 0;
}

/* Appends the table's windows to g->spill (room reserved), each key as many
 * times as it was counted, and empties the table. */
static void spill_table(ctxlab_ngram *g) {
  for (size_t i = 0; g->top.slots && i <= g->top.mask; ++i)
    for (uint64_t k = 0; k < g->top.slots[i].value; ++k, ++g->spill_n)
      if (g->key_bytes == 4)
        ((uint32_t *)g->spill)[g->spill_n] = (uint32_t)g->top.slots[i].key;
      else
        ((uint64_t *)g->spill)[g->spill_n] = g->top.slots[i].key;
  ctxlab_ngram_table_free(&g->top);
}

static int fit(ctxlab_model *m, const uint32_t *tokens, size_t n, ctxlab_error *err) {
  ctxlab_ngram *g = m->impl;
  uint32_t largest = 0;
  for (size_t i = 0; i < n; ++i) largest = tokens[i] > largest ? tokens[i] : largest;
  if (n && largest >= g->vocab)
    for (size_t i = 0; i < n; ++i)
      if (tokens[i] >= g->vocab)
        return ctxlab_error_set(err, CTXLAB_EINVAL,
                                "ngram fit: token %u at position %zu is outside the vocabulary "
                                "(vocab_size %u)",
                                tokens[i], i, g->vocab);
  ctxlab_ngram_orders_free(g); /* stale now; rebuilt on demand */
  const unsigned len = g->order + 1;
  size_t counted = 0;
  int st = g->spill_n ? CTXLAB_OK
                      : ctxlab_ngram_table_count_windows(&g->top, tokens, n, len, g->bits,
                                                         g->table_slots, &counted, err);
  if (!st && n >= len && counted < n - (len - 1)) {
    const uint64_t moved = g->spill_n ? 0 : table_windows_to_spill(g); /* switching now */
    st = spill_reserve(g, (size_t)moved + (n - counted - g->order), err);
    if (!st && moved) spill_table(g);
    if (!st) st = spill_windows(g, tokens + counted, n - counted, err);
  }
  for (unsigned k = 0; !st && k < g->order && k + 1 <= n; ++k)
    st = ctxlab_ngram_list_append(&g->heads[k], ctxlab_ngram_pack(tokens, k + 1, g->bits), 1, err);
  return st;
}

/* Q_k(. | ctx) into q, or, when logits is not NULL, ln Q_k into logits (one
 * logarithm for all the unseen tokens, which share a value). */
static void add_beta(const ctxlab_ngram *g, double beta, uint64_t ctx, unsigned k, double *q,
                     float *logits) {
  const ctxlab_ngram_order *o = &g->orders[k];
  const uint64_t wmask = (UINT64_C(1) << g->bits) - 1;
  size_t begin, end;
  ctxlab_ngram_find_row(o, ctx, g->bits, &begin, &end);
  const size_t big = ctxlab_ngram_counts_at(&o->raw, begin);
  size_t at = big;
  uint64_t total = 0;
  for (size_t e = begin; e < end; ++e) total += ctxlab_ngram_counts_next(&o->raw, e, &at);
  const double denom = (double)total + (double)g->vocab * beta;
  at = big;
  if (logits) {
    const float unseen = (float)log(beta / denom);
    for (uint32_t w = 0; w < g->vocab; ++w) logits[w] = unseen;
    for (size_t e = begin; e < end; ++e) {
      const double n = ctxlab_ngram_counts_next(&o->raw, e, &at);
      logits[ctxlab_ngram_key(o, e) & wmask] = (float)log((n + beta) / denom);
    }
  } else {
    for (uint32_t w = 0; w < g->vocab; ++w) q[w] = beta / denom;
    for (size_t e = begin; e < end; ++e) {
      const double n = ctxlab_ngram_counts_next(&o->raw, e, &at);
      q[ctxlab_ngram_key(o, e) & wmask] = (n + beta) / denom;
    }
  }
}

static void kneser_ney(const ctxlab_ngram *g, uint64_t ctx, unsigned k, double *p) {
  const uint64_t wmask = (UINT64_C(1) << g->bits) - 1;
  for (uint32_t w = 0; w < g->vocab; ++w) p[w] = 1.0 / g->vocab;
  for (unsigned j = 0; j <= k; ++j) {
    const ctxlab_ngram_order *o = &g->orders[j];
    const ctxlab_ngram_counts *c = j == k ? &o->raw : &o->cont;
    const double D = j == k ? o->discount_raw : o->discount_cont;
    size_t begin, end;
    const uint64_t ctx_j = j ? ctx & (~UINT64_C(0) >> (64 - j * g->bits)) : 0;
    if (!ctxlab_ngram_find_row(o, ctx_j, g->bits, &begin, &end)) continue;
    const size_t big = ctxlab_ngram_counts_at(c, begin);
    size_t at = big;
    uint64_t total = 0, types = 0;
    for (size_t e = begin; e < end; ++e) {
      const uint32_t n = ctxlab_ngram_counts_next(c, e, &at);
      total += n;
      types += n > 0;
    }
    if (total == 0) continue;
    const double lambda = D * (double)types / (double)total;
    for (uint32_t w = 0; w < g->vocab; ++w) p[w] *= lambda;
    at = big;
    for (size_t e = begin; e < end; ++e) {
      const double n = ctxlab_ngram_counts_next(c, e, &at);
      if (n > D) p[ctxlab_ngram_key(o, e) & wmask] += (n - D) / (double)total;
    }
  }
}

/* Q(. | the k tokens packed in ctx) of a built model into q, or ln Q into
 * logits when that is not NULL (q is then scratch). */
static void predict(const ctxlab_model *m, uint64_t ctx, unsigned k, double *q, float *logits) {
  const ctxlab_ngram *g = m->impl;
  if (m->cfg.smoothing == CTXLAB_SMOOTHING_ADD_BETA) {
    add_beta(g, m->cfg.beta, ctx, k, q, logits);
    return;
  }
  kneser_ney(g, ctx, k, q);
  for (uint32_t w = 0; logits && w < g->vocab; ++w) logits[w] = (float)log(q[w]);
}

static int forward(ctxlab_model *m, const uint32_t *tokens, size_t B, size_t T, float *logits,
                   ctxlab_error *err) {
  ctxlab_ngram *g = m->impl;
  int st = ctxlab_ngram_build(g, err);
  if (st) return st;
  const size_t V = g->vocab, c = g->order;
  const int threads = m->threads > 0 ? m->threads : 1;
  double *scratch = malloc((size_t)threads * V * sizeof *scratch);
  if (!scratch) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (ngram forward)");
#pragma omp parallel for num_threads(threads) schedule(static)
  for (size_t r = 0; r < B * T; ++r) {
    double *q = scratch + (size_t)omp_get_thread_num() * V;
    const size_t t = r % T, k = t + 1 < c ? t + 1 : c;
    predict(m, ctxlab_ngram_pack(tokens + r + 1 - k, k, g->bits), (unsigned)k, q, logits + r * V);
  }
  free(scratch);
  return CTXLAB_OK;
}

int ctxlab_ngram_predict(ctxlab_model *m, const uint32_t *context, size_t k, double *probs,
                         ctxlab_error *err) {
  ctxlab_ngram *g = m->impl;
  if (k > g->order)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "ngram: %zu tokens of context, the order is %u", k,
                            g->order);
  for (size_t i = 0; i < k; ++i)
    if (context[i] >= g->vocab)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "ngram: context token %u is outside the vocabulary", context[i]);
  int st = ctxlab_ngram_build(g, err);
  if (st) return st;
  predict(m, ctxlab_ngram_pack(context, k, g->bits), (unsigned)k, probs, NULL);
  return CTXLAB_OK;
}

int ctxlab_ngram_count(ctxlab_model *m, const uint32_t *gram, size_t k, uint64_t *raw,
                       uint64_t *cont, ctxlab_error *err) {
  ctxlab_ngram *g = m->impl;
  if (k > g->order)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "ngram: order %zu, the model's is %u", k, g->order);
  int st = ctxlab_ngram_build(g, err);
  if (st) return st;
  const ctxlab_ngram_order *o = &g->orders[k];
  const uint64_t key = ctxlab_ngram_pack(gram, k + 1, g->bits);
  const uint64_t stored = ctxlab_ngram_key_stored(o, key); /* compares within the row */
  *raw = *cont = 0;
  size_t begin, end;
  if (ctxlab_ngram_find_row(o, key >> g->bits, g->bits, &begin, &end))
    for (size_t e = begin; e < end; ++e)
      if (ctxlab_ngram_key(o, e) == stored) {
        *raw = ctxlab_ngram_count_of(&o->raw, e);
        *cont = o->cont.low ? ctxlab_ngram_count_of(&o->cont, e) : 0;
      }
  return CTXLAB_OK;
}

int ctxlab_ngram_discounts(ctxlab_model *m, size_t k, double *raw, double *cont,
                           ctxlab_error *err) {
  ctxlab_ngram *g = m->impl;
  if (k > g->order)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "ngram: order %zu, the model's is %u", k, g->order);
  int st = ctxlab_ngram_build(g, err);
  if (st) return st;
  *raw = g->orders[k].discount_raw;
  *cont = g->orders[k].discount_cont;
  return CTXLAB_OK;
}

static double history_state_floats(const ctxlab_model *m, size_t context) {
  return (double)(context < m->cfg.context ? context : m->cfg.context);
}

const ctxlab_model_ops ctxlab_ngram_ops = {
    .name = "ngram",
    .create = create,
    .init_params = NULL,
    .forward = forward,
    .backward = NULL,
    .fit = fit,
    .save_extra = ctxlab_ngram_save_extra,
    .load_extra = ctxlab_ngram_load_extra,
    .history_state_floats = history_state_floats,
    .destroy = destroy,
};
