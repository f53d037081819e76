/* Gradients of the recurrent layers (LayerNorm, the LRU recurrence and its
 * coefficients, the GRU layer) and of the whole "rnn" model (both cells),
 * checked against central finite differences in double: the test compiles
 * the library's layer and model code with REAL = double
 * (test_rnn_util.h explains the check).  Forward values are checked
 * against direct implementations written here (complex arithmetic for the
 * LRU, PyTorch's GRU equations); the float library against the same code in
 * double. */
#include <complex.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define REAL double
#include "sim/rnn/rnn_compute.inc"
#undef REAL

#include "test_rnn_util.h"

/* ---- LayerNorm --------------------------------------------------------- */

typedef struct ln_ctx {
  double *x, *w, *b, *y, *mean, *rstd, *out_w;
  size_t N, C;
} ln_ctx;

static double ln_loss(void *p) {
  ln_ctx *c = p;
  layernorm_forward(c->y, c->mean, c->rstd, c->x, c->w, c->b, c->N, c->C, 1);
  return gc_dot(c->y, c->out_w, c->N * c->C);
}

static void test_layernorm(void **state) {
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 1, "test.layernorm", 0);
  ln_ctx c = {.N = 5, .C = 21}; /* 21: the 16-wide partial sums and a tail */
  c.x = gc_random(c.N * c.C, -2, 3, &rng);
  c.w = gc_random(c.C, 0.5, 1.5, &rng);
  c.b = gc_random(c.C, -1, 1, &rng);
  c.out_w = gc_random(c.N * c.C, -1, 1, &rng);
  c.y = gc_zeros(c.N * c.C);
  c.mean = gc_zeros(c.N);
  c.rstd = gc_zeros(c.N);
  ln_loss(&c);
  for (size_t n = 0; n < c.N; ++n) { /* the definition: biased variance, eps 1e-5 */
    double m = 0, v = 0;
    for (size_t i = 0; i < c.C; ++i) m += c.x[n * c.C + i] / (double)c.C;
    for (size_t i = 0; i < c.C; ++i) v += pow(c.x[n * c.C + i] - m, 2) / (double)c.C;
    for (size_t i = 0; i < c.C; ++i) {
      double want = (c.x[n * c.C + i] - m) / sqrt(v + 1e-5) * c.w[i] + c.b[i];
      assert_true(fabs(c.y[n * c.C + i] - want) < 1e-13);
    }
  }
  double *dx = gc_zeros(c.N * c.C), *dw = gc_zeros(c.C), *db = gc_zeros(c.C);
  double *scratch = gc_zeros(c.N * c.C);
  layernorm_backward(dx, dw, db, scratch, c.out_w, c.x, c.mean, c.rstd, c.w, c.N, c.C, 1);
  gc_check("layernorm dx", c.x, c.N * c.C, dx, ln_loss, &c);
  gc_check("layernorm dw", c.w, c.C, dw, ln_loss, &c);
  gc_check("layernorm db", c.b, c.C, db, ln_loss, &c);
  free(c.x), free(c.w), free(c.b), free(c.y), free(c.mean), free(c.rstd), free(c.out_w);
  free(dx), free(dw), free(db), free(scratch);
}

/* ---- the LRU recurrence ----------------------------------------------- */

typedef struct lru_ctx {
  double *v, *nu, *theta, *glog, *h, *w, *coef;
  size_t B, T, S2;
} lru_ctx;

static double lru_loss(void *p) {
  lru_ctx *c = p;
  size_t S2 = c->S2;
  lru_coefficients(c->coef, c->coef + S2, c->coef + 2 * S2, c->nu, c->theta, c->glog, S2);
  lru_scan_forward(c->h, c->v, c->coef, c->coef + S2, c->coef + 2 * S2, c->B, c->T, S2, 1);
  return gc_dot(c->h, c->w, c->B * c->T * 2 * S2);
}

static void test_lru(void **state) {
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 2, "test.lru", 0);
  lru_ctx c = {.B = 3, .T = 7, .S2 = 5};
  size_t S2 = c.S2, s = 2 * S2, N = c.B * c.T;
  c.v = gc_random(N * s, -1, 1, &rng);
  c.nu = gc_random(S2, -3, 0, &rng); /* |lambda| from exp(-1) to 0.95 */
  c.theta = gc_random(S2, -2, 1, &rng);
  c.glog = gc_random(S2, -1, 0, &rng);
  c.w = gc_random(N * s, -1, 1, &rng);
  c.h = gc_zeros(N * s);
  c.coef = gc_zeros(3 * S2);
  lru_loss(&c);
  for (size_t b = 0; b < c.B; ++b) /* the recurrence in complex arithmetic */
    for (size_t j = 0; j < S2; ++j) {
      double complex lambda = cexp(-exp(c.nu[j]) + I * exp(c.theta[j])), h = 0;
      for (size_t t = 0; t < c.T; ++t) {
        const double *vt = c.v + (b * c.T + t) * s, *ht = c.h + (b * c.T + t) * s;
        h = lambda * h + exp(c.glog[j]) * (vt[j] + I * vt[S2 + j]);
        assert_true(cabs(h - (ht[j] + I * ht[S2 + j])) < 1e-14);
      }
    }
  double *dv = gc_zeros(N * s), *part = gc_zeros(c.B * 3 * S2), *dh = gc_zeros(N * s);
  double *dnu = gc_zeros(S2), *dtheta = gc_zeros(S2), *dglog = gc_zeros(S2);
  memcpy(dh, c.w, N * s * sizeof(double));
  lru_scan_backward(dv, part, dh, c.h, c.v, c.coef, c.coef + S2, c.coef + 2 * S2, c.B, c.T, S2, 1);
  lru_coefficients_backward(dnu, dtheta, dglog, part, c.nu, c.theta, c.coef, c.coef + S2,
                            c.coef + 2 * S2, c.B, S2);
  gc_check("lru dv", c.v, N * s, dv, lru_loss, &c);
  gc_check("lru dnu_log", c.nu, S2, dnu, lru_loss, &c);
  gc_check("lru dtheta_log", c.theta, S2, dtheta, lru_loss, &c);
  gc_check("lru dgamma_log", c.glog, S2, dglog, lru_loss, &c);
  free(c.v), free(c.nu), free(c.theta), free(c.glog), free(c.h), free(c.w), free(c.coef);
  free(dv), free(part), free(dh), free(dnu), free(dtheta), free(dglog);
}

/* ---- the GRU layer ----------------------------------------------------- */

typedef struct gru_ctx {
  double *x, *W_ih, *W_hh, *b_ih, *b_hh, *w, *Wt;
  gru_trace tr;
  size_t B, T, in, s;
} gru_ctx;

static double gru_loss(void *p) {
  gru_ctx *c = p;
  gru_forward(&c->tr, c->x, c->W_ih, c->W_hh, c->b_ih, c->b_hh, c->Wt, c->B, c->T, c->in, c->s, 1);
  return gc_dot(c->tr.h, c->w, c->B * c->T * c->s);
}

static double logistic(double x) { return 1 / (1 + exp(-x)); }

static void test_gru(void **state) {
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 3, "test.gru", 0);
  gru_ctx c = {.B = 5, .T = 4, .in = 5, .s = 17}; /* groups of 4 sequences and 1; tiles of 16 */
  size_t N = c.B * c.T, s = c.s, s3 = 3 * s, in = c.in;
  c.x = gc_random(N * in, -1, 1, &rng);
  c.W_ih = gc_random(s3 * in, -0.6, 0.6, &rng);
  c.W_hh = gc_random(s3 * s, -0.6, 0.6, &rng);
  c.b_ih = gc_random(s3, -0.5, 0.5, &rng);
  c.b_hh = gc_random(s3, -0.5, 0.5, &rng);
  c.w = gc_random(N * s, -1, 1, &rng);
  c.Wt = gc_zeros(s3 * (in > s ? in : s));
  c.tr = (gru_trace){gc_zeros(N * s3), gc_zeros(N * s3), gc_zeros(N * s3), gc_zeros(N * s),
                     gc_zeros(N * s)};
  gru_loss(&c);
  for (size_t b = 0; b < c.B; ++b) { /* PyTorch's nn.GRU equations, step by step */
    double h[17] = {0}, next[17];
    for (size_t t = 0; t < c.T; ++t) {
      const double *x = c.x + (b * c.T + t) * in;
      for (size_t i = 0; i < s; ++i) {
        double gi[3], gh[3];
        for (int g = 0; g < 3; ++g) {
          size_t row = (size_t)g * s + i;
          gi[g] = c.b_ih[row];
          gh[g] = c.b_hh[row];
          for (size_t k = 0; k < in; ++k) gi[g] += c.W_ih[row * in + k] * x[k];
          for (size_t k = 0; k < s; ++k) gh[g] += c.W_hh[row * s + k] * h[k];
        }
        double r = logistic(gi[0] + gh[0]), z = logistic(gi[1] + gh[1]);
        double n = tanh(gi[2] + r * gh[2]);
        next[i] = (1 - z) * n + z * h[i];
      }
      memcpy(h, next, sizeof h);
      for (size_t i = 0; i < s; ++i)
        assert_true(fabs(h[i] - c.tr.h[(b * c.T + t) * s + i]) < 1e-14);
    }
  }
  double *dx = gc_zeros(N * in), *dW_ih = gc_zeros(s3 * in), *dW_hh = gc_zeros(s3 * s);
  double *db_ih = gc_zeros(s3), *db_hh = gc_zeros(s3), *dgi = gc_zeros(N * s3);
  double *dgh = gc_zeros(N * s3), *dh = gc_zeros(N * s);
  memcpy(dh, c.w, N * s * sizeof(double));
  gru_backward(dx, dW_ih, dW_hh, db_ih, db_hh, dgi, dgh, dh, &c.tr, c.x, c.W_ih, c.W_hh, c.B, c.T,
               in, s, 1);
  gc_check("gru dx", c.x, N * in, dx, gru_loss, &c);
  gc_check("gru dW_ih", c.W_ih, s3 * in, dW_ih, gru_loss, &c);
  gc_check("gru dW_hh", c.W_hh, s3 * s, dW_hh, gru_loss, &c);
  gc_check("gru db_ih", c.b_ih, s3, db_ih, gru_loss, &c);
  gc_check("gru db_hh", c.b_hh, s3, db_hh, gru_loss, &c);
  free(c.x), free(c.W_ih), free(c.W_hh), free(c.b_ih), free(c.b_hh), free(c.w), free(c.Wt);
  free(c.tr.gi), free(c.tr.gh), free(c.tr.gates), free(c.tr.hprev), free(c.tr.h);
  free(dx), free(dW_ih), free(dW_hh), free(db_ih), free(db_hh), free(dgi), free(dgh), free(dh);
}

/* ---- the whole model --------------------------------------------------- */

/* The double twin of the float library's code (gc_twin, test_rnn_util.h). */
static void twin_forward(const void *ly, const double *P, void *acts, const uint32_t *tokens,
                         size_t B, size_t T, double *logits) {
  rnn_forward(ly, P, acts, tokens, B, T, logits, 1);
}

static void twin_backward(const void *ly, const double *P, double *G, void *acts,
                          const double *dlogits) {
  rnn_backward(ly, P, G, acts, dlogits, 1);
}

/* gc_check_model or gc_check_float_matches_double on m's twin */
static void with_twin(ctxlab_model *m, size_t B, size_t T, int float_check, uint64_t index) {
  rnn_acts acts = {0};
  const gc_twin tw = {ctxlab_rnn_layout_of(m), &acts, twin_forward, twin_backward};
  assert_int_equal(rnn_acts_reserve(&acts, tw.layout, B * T), 0);
  if (float_check)
    gc_check_float_matches_double(m, &tw, B, T);
  else
    gc_check_model(m, &tw, B, T, m->cfg.vocab_size, 10 + index, "test.rnn.params", index);
  rnn_acts_free(&acts);
}

static ctxlab_model *new_rnn(ctxlab_rnn_cell cell, uint32_t V, uint32_t d, uint32_t s, uint32_t L) {
  ctxlab_model_config cfg;
  ctxlab_error err;
  assert_int_equal(ctxlab_model_config_init(&cfg, "rnn", &err), 0);
  cfg.rnn_cell = cell;
  cfg.vocab_size = V;
  cfg.d_model = d;
  cfg.state_size = s;
  cfg.n_layer = L;
  return test_model_new(&cfg);
}

/* d(mean cross-entropy)/d(every parameter) of a small two-layer model, the
 * parameters moved off their initial values (unit norm weights and zero
 * biases would hide terms). */
static void check_model(ctxlab_rnn_cell cell) {
  ctxlab_model *m = new_rnn(cell, 5, 4, 6, 2);
  with_twin(m, 2, 5, 0, cell);
  ctxlab_model_free(m);
}

static void test_model_gradient_lru(void **state) { check_model(CTXLAB_RNN_LRU); }
static void test_model_gradient_gru(void **state) { check_model(CTXLAB_RNN_GRU); }

/* The float library (ctxlab_model_forward, ops->backward) computes what the
 * same code computes in double, to float accuracy.  Widths 20, 22 and 21 use
 * both the full register tiles (16 floats) and their edges. */
static void check_float_matches_double(ctxlab_rnn_cell cell) {
  ctxlab_model *m = new_rnn(cell, 19, 20, cell == CTXLAB_RNN_LRU ? 22 : 21, 2);
  with_twin(m, 3, 9, 1, 0);
  ctxlab_model_free(m);
}

static void test_float_matches_double(void **state) {
  check_float_matches_double(CTXLAB_RNN_LRU);
  check_float_matches_double(CTXLAB_RNN_GRU);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layernorm),
      cmocka_unit_test(test_lru),
      cmocka_unit_test(test_gru),
      cmocka_unit_test(test_model_gradient_lru),
      cmocka_unit_test(test_model_gradient_gru),
      cmocka_unit_test(test_float_matches_double),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
