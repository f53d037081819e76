/* Gradients of the dense layers (sim/mlp/dense.inc) and of the whole "mlp"
 * model, checked against central finite differences in double: the test
 * compiles the library's layer and model code with REAL = double
 * (test_rnn_util.h explains the check).  Forward values are checked
 * against naive loops written here; the float library against the same
 * code in double. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define REAL double
#include "sim/mlp/mlp_compute.inc"
#undef REAL

#include "test_rnn_util.h"

/* ---- linear ---------------------------------------------------------- */

typedef struct lin_ctx {
  double *x, *W, *b, *w, *y, *Wt;
  size_t N, in, out;
} lin_ctx;

static double lin_loss(void *p) {
  lin_ctx *c = p;
  linear_forward(c->y, c->x, c->W, c->b, c->Wt, c->N, c->in, c->out, 1);
  return gc_dot(c->y, c->w, c->N * c->out);
}

/* Sizes that are not multiples of the register tile (4 rows x 8 doubles),
 * so both the tiled and the edge paths of matmul_acc run in all three
 * products (x W^T, dy W, dy^T x). */
static void check_linear(int with_bias) {
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 1, "test.linear", (uint64_t)with_bias);
  lin_ctx c = {.N = 7, .in = 19, .out = 37};
  c.x = gc_random(c.N * c.in, -1, 1, &rng);
  c.W = gc_random(c.out * c.in, -1, 1, &rng);
  c.b = with_bias ? gc_random(c.out, -1, 1, &rng) : NULL;
  c.w = gc_random(c.N * c.out, -1, 1, &rng);
  c.y = gc_zeros(c.N * c.out);
  c.Wt = gc_zeros(c.in * c.out);
  lin_loss(&c);
  /* the naive loop sums in the same order: equal to the last bit */
  for (size_t n = 0; n < c.N; ++n)
    for (size_t o = 0; o < c.out; ++o) {
      double y = c.b ? c.b[o] : 0;
      for (size_t i = 0; i < c.in; ++i) y += c.x[n * c.in + i] * c.W[o * c.in + i];
      assert_true(y == c.y[n * c.out + o]);
    }
  double *dx = gc_zeros(c.N * c.in), *dW = gc_zeros(c.out * c.in), *db = gc_zeros(c.out);
  linear_backward(dx, dW, with_bias ? db : NULL, c.w, c.x, c.W, c.N, c.in, c.out, 1);
  gc_check("linear dx", c.x, c.N * c.in, dx, lin_loss, &c);
  gc_check("linear dW", c.W, c.out * c.in, dW, lin_loss, &c);
  if (with_bias) gc_check("linear db", c.b, c.out, db, lin_loss, &c);
  free(c.x), free(c.W), free(c.b), free(c.w), free(c.y), free(c.Wt);
  free(dx), free(dW), free(db);
}

static void test_linear(void **state) {
  check_linear(1);
  check_linear(0);
}

/* ---- elementwise ------------------------------------------------------ */

typedef struct act_ctx {
  double *x, *y, *sg, *w;
  size_t n;
  int gelu;
} act_ctx;

static double act_loss(void *p) {
  act_ctx *c = p;
  if (c->gelu)
    gelu_forward(c->y, c->sg, c->x, c->n, 1);
  else
    tanh_forward(c->y, c->x, c->n, 1);
  return gc_dot(c->y, c->w, c->n);
}

/* The values against libm's tanh (tanh_real uses exp: within 1e-14
 * relative), on both sides of its switch at |x| = 1/16; GELU against its tanh
 * form in long double (1 + tanh u cancels for u << 0). */
static void test_activations(void **state) {
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 2, "test.activations", 0);
  for (int gelu = 0; gelu < 2; ++gelu) {
    act_ctx c = {.n = 61, .gelu = gelu};
    c.x = gc_random(c.n, -4, 4, &rng);
    for (size_t i = 0; i < 20; ++i) c.x[i] /= 50; /* |x| < 0.08 */
    c.w = gc_random(c.n, -1, 1, &rng);
    c.y = gc_zeros(c.n);
    c.sg = gc_zeros(c.n);
    act_loss(&c);
    for (size_t i = 0; i < c.n; ++i) {
      double x = c.x[i];
      long double u = sqrtl(2 / acosl(-1)) * (x + 0.044715L * x * x * x);
      double want = gelu ? (double)(0.5L * x * (1 + tanhl(u))) : tanh(x);
      if (!(fabs(c.y[i] - want) <= 1e-14 * fabs(want)))
        fail_msg("%s(%.17g) = %.17g, libm %.17g", gelu ? "gelu" : "tanh", x, c.y[i], want);
    }
    double *dx = gc_zeros(c.n);
    if (gelu)
      gelu_backward(dx, c.w, c.x, c.sg, c.n);
    else
      tanh_backward(dx, c.w, c.y, c.n);
    gc_check(gelu ? "gelu" : "tanh", c.x, c.n, dx, act_loss, &c);
    free(c.x), free(c.y), free(c.sg), free(c.w), free(dx);
  }
}

/* ---- the window of embeddings ---------------------------------------- */

typedef struct win_ctx {
  double *wte, *e, *w;
  const uint32_t *tokens;
  size_t B, T, c, d, V;
} win_ctx;

static double win_loss(void *p) {
  win_ctx *c = p;
  window_forward(c->e, c->wte, c->tokens, c->B, c->T, c->c, c->d, c->V);
  return gc_dot(c->e, c->w, c->B * c->T * c->c * c->d);
}

static void test_window(void **state) {
  static const uint32_t tokens[2 * 5] = {0, 3, 3, 1, 2, 2, 2, 0, 1, 3};
  ctxlab_rng rng;
  ctxlab_rng_derive(&rng, 3, "test.window", 0);
  win_ctx c = {.tokens = tokens, .B = 2, .T = 5, .c = 3, .d = 2, .V = 4};
  size_t ne = c.B * c.T * c.c * c.d;
  c.wte = gc_random((c.V + 1) * c.d, -1, 1, &rng);
  c.w = gc_random(ne, -1, 1, &rng);
  c.e = gc_zeros(ne);
  win_loss(&c);
  /* slot j of position t holds token t - 2 + j, or the padding row V = 4 */
  for (size_t b = 0; b < c.B; ++b)
    for (size_t t = 0; t < c.T; ++t)
      for (size_t j = 0; j < c.c; ++j) {
        long pos = (long)t - 2 + (long)j;
        uint32_t x = pos < 0 ? 4 : tokens[b * c.T + (size_t)pos];
        assert_memory_equal(c.e + ((b * c.T + t) * c.c + j) * c.d, c.wte + x * c.d,
                            c.d * sizeof(double));
      }
  double *dwte = gc_zeros((c.V + 1) * c.d);
  window_backward(dwte, c.w, tokens, c.B, c.T, c.c, c.d, c.V);
  gc_check("window dwte", c.wte, (c.V + 1) * c.d, dwte, win_loss, &c);
  free(c.wte), free(c.e), free(c.w), free(dwte);
}

/* ---- the whole model --------------------------------------------------- */

/* The double twin of the float library's code (gc_twin, test_rnn_util.h). */
static void twin_forward(const void *ly, const double *P, void *acts, const uint32_t *tokens,
                         size_t B, size_t T, double *logits) {
  mlp_forward(ly, P, acts, tokens, B, T, logits, 1);
}

static void twin_backward(const void *ly, const double *P, double *G, void *acts,
                          const double *dlogits) {
  mlp_backward(ly, P, G, acts, dlogits, 1);
}

/* gc_check_model or gc_check_float_matches_double on m's twin */
static void with_twin(ctxlab_model *m, size_t B, size_t T, int float_check, uint64_t index) {
  mlp_acts acts = {0};
  const gc_twin tw = {ctxlab_mlp_layout_of(m), &acts, twin_forward, twin_backward};
  assert_int_equal(mlp_acts_reserve(&acts, tw.layout, B * T), 0);
  if (float_check)
    gc_check_float_matches_double(m, &tw, B, T);
  else
    gc_check_model(m, &tw, B, T, m->cfg.vocab_size, 10 + index, "test.mlp.params", index);
  mlp_acts_free(&acts);
}

static ctxlab_model *new_mlp(uint32_t V, uint32_t c, uint32_t d, uint32_t H, uint32_t L) {
  ctxlab_model_config cfg;
  ctxlab_error err;
  assert_int_equal(ctxlab_model_config_init(&cfg, "mlp", &err), 0);
  cfg.vocab_size = V;
  cfg.context = c;
  cfg.d_model = d;
  cfg.hidden = H;
  cfg.n_layer = L;
  return test_model_new(&cfg);
}

/* d(mean cross-entropy)/d(every parameter) of a small model, the parameters
 * moved off their initial values (zero biases would hide terms). */
static void check_model(uint32_t L) {
  ctxlab_model *m = new_mlp(5, 3, 3, 6, L);
  with_twin(m, 2, 5, 0, L);
  ctxlab_model_free(m);
}

static void test_model_gradient(void **state) {
  check_model(2);
  check_model(0); /* log-linear: the head reads the window */
}

/* The float library (ctxlab_model_forward, ops->backward) computes what the
 * same code computes in double, to float accuracy.  Widths 20 and 37 use
 * both the full register tiles (16 floats) and their edges. */
static void test_float_matches_double(void **state) {
  ctxlab_model *m = new_mlp(19, 4, 5, 37, 2);
  with_twin(m, 3, 9, 1, 0);
  ctxlab_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_linear),
      cmocka_unit_test(test_activations),
      cmocka_unit_test(test_window),
      cmocka_unit_test(test_model_gradient),
      cmocka_unit_test(test_float_matches_double),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
