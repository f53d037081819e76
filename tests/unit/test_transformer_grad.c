/* Backward of every transformer layer, and of the whole model, against
 * central finite differences in double.
 *
 * The layers are the library's own code (sim/transformer/tf_kernels.inc and
 * tf_model.inc), compiled here for double with libm's exp and tanh.  Each
 * check takes a loss L = Σ r ⊙ output (r random) or the cross-entropy,
 * computes dL/d(input) with the backward, and compares it, for every input
 * element, with the fourth-order central difference
 *   (-L(x+2h) + 8 L(x+h) - 8 L(x-h) + L(x-2h)) / 12h,  h = 2e-4,
 * exact to O(h^4) = 2e-15 times the fifth derivative (large where a
 * LayerNorm's input has a small variance) plus rounding of about
 * 1e-16 |L| / h = 5e-13 |L| (measured worst over all checks 4.3e-8); the
 * bound is the 1e-6.  Relative error of an element:
 * |fd - an| / max(|an|, 1e-3 max |an|) (tiny elements are compared on the
 * array's scale). */
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/model.h"
#include "sim/transformer/transformer.h"

#define REAL double
#define TF(name) tf64_##name
#define TF_EXP(x) exp(x)
#define TF_TANH(x) tanh(x)
#define TF_SQRT(x) sqrt(x)
#include "sim/transformer/tf_kernels.inc"
#include "sim/transformer/tf_model.inc"

#define STEP 2e-4
#define TOL 1e-6

/* Sanitizer builds (about 10x slower) run the same checks on smaller sizes. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static uint64_t rng_state = 0x853c49e6748fea9bULL;

/* Uniform in [lo, hi) (xorshift64*; any fixed stream will do). */
static double uniform(double lo, double hi) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  uint64_t x = rng_state * 0x2545F4914F6CDD1DULL;
  return lo + (hi - lo) * (double)(x >> 11) * 0x1.0p-53;
}

static double *random_array(size_t n, double lo, double hi) {
  double *x = malloc((n ? n : 1) * sizeof *x);
  assert_non_null(x);
  for (size_t i = 0; i < n; ++i) x[i] = uniform(lo, hi);
  return x;
}

/* Losses for the finite differences run on one thread (thousands of calls;
 * results do not depend on threads), the backward on two. */
typedef double (*loss_fn)(void *ctx);

/* Largest relative error of the analytic gradient `an` of f with respect to
 * x[0..n) (x is restored). */
static double fd_error(loss_fn f, void *ctx, double *x, size_t n, const double *an) {
  double scale = 0, worst = 0;
  for (size_t i = 0; i < n; ++i) scale = fmax(scale, fabs(an[i]));
  assert_true(scale > 0); /* a check of all-zero gradients would prove nothing */
  for (size_t i = 0; i < n; ++i) {
    double save = x[i], l[4];
    const double at[4] = {2 * STEP, STEP, -STEP, -2 * STEP};
    for (int k = 0; k < 4; ++k) {
      x[i] = save + at[k];
      l[k] = f(ctx);
    }
    x[i] = save;
    double fd = (-l[0] + 8 * l[1] - 8 * l[2] + l[3]) / (12 * STEP);
    worst = fmax(worst, fabs(fd - an[i]) / fmax(fabs(an[i]), 1e-3 * scale));
  }
  return worst;
}

static void expect_fd(loss_fn f, void *ctx, double *x, size_t n, const double *an,
                      const char *what) {
  double e = fd_error(f, ctx, x, n, an);
  if (!(e < TOL)) fail_msg("%s: finite differences off by %.3g (relative)", what, e);
}

/* ------------------------------------------------------------------------ */
/* Matrix products against the plain triple loop                            */
/* ------------------------------------------------------------------------ */

/* An epilogue that counts the rows it is given and sums their indices. */
static void count_rows(void *ctx, size_t i0, size_t i1) {
  size_t *seen = ctx;
  assert_true(i0 % TF_EPI_ROWS == 0 && i1 > i0);
#pragma omp critical
  for (size_t i = i0; i < i1; ++i) {
    seen[0]++;
    seen[1] += i;
  }
}

static void test_mm_naive(void **state) {
  /* every tile kind (4x64, 16x16, 8x16, 1x64, 1x16, edges), sums longer
   * than TF_MM_KBLOCK, transposed a, accumulation */
  const size_t shapes[][3] = {{13, 70, 300}, {8, 64, 5},    {16, 16, 3},   {1, 1, 1},
                              {9, 81, 17},   {24, 200, 64}, {3, 130, 513}, {41, 48, 20}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s)
    for (int trans = 0; trans < 2; ++trans)
      for (int add = 0; add < 2; ++add) {
        size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        double *a = random_array(M * K, -1, 1), *b = random_array(K * (N + 3), -1, 1);
        double *c = random_array(M * (N + 2), -1, 1), *c0 = malloc(M * (N + 2) * sizeof *c0);
        double *c2 = malloc(M * (N + 2) * sizeof *c2);
        memcpy(c0, c, M * (N + 2) * sizeof *c);
        memcpy(c2, c, M * (N + 2) * sizeof *c);
        size_t ars = trans ? 1 : K, aks = trans ? M : 1;
        tf64_mm(M, N, K, a, ars, aks, b, N + 3, c, N + 2, add);
        for (size_t i = 0; i < M; ++i) {
          for (size_t j = 0; j < N; ++j) {
            double ref = add ? c0[i * (N + 2) + j] : 0, mag = fabs(ref);
            for (size_t k = 0; k < K; ++k) {
              ref += a[i * ars + k * aks] * b[k * (N + 3) + j];
              mag += fabs(a[i * ars + k * aks] * b[k * (N + 3) + j]);
            }
            double got = c[i * (N + 2) + j];
            if (fabs(got - ref) > 1e-14 * mag)
              fail_msg("mm %zux%zux%zu trans %d add %d: c[%zu][%zu] = %.17g, expected %.17g", M,
                       N, K, trans, add, i, j, got, ref);
          }
          for (size_t j = N; j < N + 2; ++j) /* the stride's gap is not touched */
            assert_true(c[i * (N + 2) + j] == c0[i * (N + 2) + j]);
        }
        /* rows shared between 2 threads, in epilogue blocks or not: the same
         * bits; the epilogue sees every row once */
        tf64_prod p = {.M = M, .N = N, .K = K, .a = a, .ars = ars, .aks = aks, .b = b,
                       .bs = N + 3, .c = c2, .cs = N + 2, .add = add};
        tf64_product(2, &p);
        assert_memory_equal(c, c2, M * (N + 2) * sizeof *c);
        memcpy(c2, c0, M * (N + 2) * sizeof *c2);
        size_t seen[2] = {0, 0};
        p.epilogue = count_rows;
        p.ctx = seen;
        tf64_product(2, &p);
        assert_memory_equal(c, c2, M * (N + 2) * sizeof *c);
        assert_int_equal(seen[0], M);
        assert_int_equal(seen[1], M * (M - 1) / 2);
        free(a);
        free(b);
        free(c);
        free(c0);
        free(c2);
      }
}

/* Weight gradients summed in chunks of TF_WG_ROWS rows (three chunks here),
 * against the plain sum; 1 and 2 threads give the same bits. */
static void test_weight_grad(void **state) {
  size_t K = 2 * TF_WG_ROWS + 7, M = 9, N = 70;
  double *a = random_array(K * (M + 1), -1, 1), *b = random_array(K * N, -1, 1);
  double *c1 = random_array(M * N, -1, 1), *c2 = malloc(M * N * sizeof(double));
  double *c0 = malloc(M * N * sizeof(double));
  double *part = malloc(tf64_weight_grad_scratch(K, M * N) * sizeof(double));
  memcpy(c0, c1, M * N * sizeof(double));
  memcpy(c2, c1, M * N * sizeof(double));
  tf64_weight_grad(1, M, N, K, a, M + 1, b, N, c1, part);
  tf64_weight_grad(2, M, N, K, a, M + 1, b, N, c2, part);
  assert_memory_equal(c1, c2, M * N * sizeof(double));
  for (size_t i = 0; i < M; ++i)
    for (size_t j = 0; j < N; ++j) {
      double ref = c0[i * N + j], mag = fabs(ref);
      for (size_t k = 0; k < K; ++k) {
        ref += a[k * (M + 1) + i] * b[k * N + j];
        mag += fabs(a[k * (M + 1) + i] * b[k * N + j]);
      }
      if (fabs(c1[i * N + j] - ref) > 1e-14 * mag)
        fail_msg("weight_grad [%zu][%zu] = %.17g, expected %.17g", i, j, c1[i * N + j], ref);
    }
  free(a), free(b), free(c0), free(c1), free(c2), free(part);
}

/* ------------------------------------------------------------------------ */
/* Linear layer with a residual: y = res + x Wᵀ (as the blocks call it)     */
/* ------------------------------------------------------------------------ */

typedef struct linear_ctx {
  size_t N, in, out;
  double *x, *w, *res, *r, *wt, *y;
} linear_ctx;

static void linear_fwd(linear_ctx *c) {
  tf64_transpose(c->out, c->in, c->w, c->wt);
  tf64_prod p = tf64_rows(c->N, c->out, c->in, c->x, c->in, c->wt, c->out, c->y, c->out);
  p.init = c->res;
  tf64_product(1, &p);
}

static double linear_loss(void *ctx) {
  linear_ctx *c = ctx;
  linear_fwd(c);
  return tf64_dot(c->r, c->y, c->N * c->out);
}

static void test_linear_residual(void **state) {
  linear_ctx c = {.N = 19, .in = SANITIZED ? 36 : 70, .out = 33};
  c.x = random_array(c.N * c.in, -1, 1);
  c.w = random_array(c.out * c.in, -0.5, 0.5);
  c.res = random_array(c.N * c.out, -1, 1);
  c.r = random_array(c.N * c.out, -1, 1);
  c.wt = malloc(c.in * c.out * sizeof(double));
  c.y = malloc(c.N * c.out * sizeof(double));
  double *dx = malloc(c.N * c.in * sizeof(double)), *dw = calloc(c.out * c.in, sizeof(double));
  /* backward as in TF(backward): dx = dy W, dW += dyᵀ x, dres = dy */
  tf64_prod p = tf64_rows(c.N, c.in, c.out, c.r, c.out, c.w, c.in, dx, c.in);
  tf64_product(2, &p);
  double *part = malloc(tf64_weight_grad_scratch(c.N, c.out * c.in) * sizeof(double));
  tf64_weight_grad(2, c.out, c.in, c.N, c.r, c.out, c.x, c.in, dw, part);
  free(part);
  expect_fd(linear_loss, &c, c.x, c.N * c.in, dx, "linear: input");
  expect_fd(linear_loss, &c, c.w, c.out * c.in, dw, "linear: weight");
  expect_fd(linear_loss, &c, c.res, c.N * c.out, c.r, "linear: residual");
  free(c.x), free(c.w), free(c.res), free(c.r), free(c.wt), free(c.y), free(dx), free(dw);
}

/* ------------------------------------------------------------------------ */
/* Embedding                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct embed_ctx {
  size_t N, V, d;
  uint32_t *tokens;
  double *wte, *r, *x;
} embed_ctx;

static double embed_loss(void *ctx) {
  embed_ctx *c = ctx;
  tf64_embed_fwd(1, c->N, c->d, c->tokens, c->wte, c->x);
  return tf64_dot(c->r, c->x, c->N * c->d);
}

static void test_embedding(void **state) {
  embed_ctx c = {.N = 23, .V = 5, .d = 37};
  c.tokens = malloc(c.N * sizeof *c.tokens);
  /* tokens repeat, and row 4 of wte is never used */
  for (size_t n = 0; n < c.N; ++n) c.tokens[n] = (uint32_t)((n * 7 + 3) % 4);
  c.wte = random_array(c.V * c.d, -1, 1);
  c.r = random_array(c.N * c.d, -1, 1);
  c.x = malloc(c.N * c.d * sizeof(double));
  double *dwte = calloc(c.V * c.d, sizeof(double));
  tf64_embed_bwd(2, c.N, c.d, c.tokens, c.r, dwte);
  expect_fd(embed_loss, &c, c.wte, c.V * c.d, dwte, "embedding");
  for (size_t j = 0; j < c.d; ++j) assert_true(dwte[4 * c.d + j] == 0);
  free(c.tokens), free(c.wte), free(c.r), free(c.x), free(dwte);
}

/* ------------------------------------------------------------------------ */
/* LayerNorm                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct ln_ctx {
  size_t N, d;
  double *x, *w, *b, *r, *y, *mean, *rstd;
} ln_ctx;

static double ln_loss(void *ctx) {
  ln_ctx *c = ctx;
  tf64_layernorm_fwd(1, c->N, c->d, c->x, c->w, c->b, c->y, c->mean, c->rstd);
  return tf64_dot(c->r, c->y, c->N * c->d);
}

static void test_layernorm(void **state) {
  ln_ctx c = {.N = 70, .d = 20}; /* more rows than one block of TF_EPI_ROWS */
  c.x = random_array(c.N * c.d, -2, 3);
  c.w = random_array(c.d, 0.5, 1.5);
  c.b = random_array(c.d, -0.5, 0.5);
  c.r = random_array(c.N * c.d, -1, 1);
  c.y = malloc(c.N * c.d * sizeof(double));
  c.mean = malloc(c.N * sizeof(double));
  c.rstd = malloc(c.N * sizeof(double));
  double *dx = calloc(c.N * c.d, sizeof(double)), *dw = calloc(c.d, sizeof(double));
  double *db = calloc(c.d, sizeof(double));
  double *scratch = malloc(tf64_layernorm_scratch(c.N, c.d, 1) * sizeof(double));
  ln_loss(&c);
  /* in blocks of TF_EPI_ROWS rows as the products' epilogues call it; dx
   * written by the first pass, added to by a second */
  double *part = scratch, *rows = scratch + tf64_layernorm_scratch(c.N, c.d, 0);
  for (int pass = 0; pass < 2; ++pass)
    for (size_t n0 = 0; n0 < c.N; n0 += TF_EPI_ROWS)
      tf64_layernorm_bwd_rows(n0, n0 + TF_EPI_ROWS < c.N ? n0 + TF_EPI_ROWS : c.N, c.d, c.x, c.w,
                              c.mean, c.rstd, c.r, dx, pass, part, rows);
  for (size_t i = 0; i < c.N * c.d; ++i) dx[i] /= 2;
  tf64_layernorm_bwd_reduce(c.N, c.d, part, dw, db);
  expect_fd(ln_loss, &c, c.x, c.N * c.d, dx, "layernorm: input");
  expect_fd(ln_loss, &c, c.w, c.d, dw, "layernorm: weight");
  expect_fd(ln_loss, &c, c.b, c.d, db, "layernorm: bias");
  free(c.x), free(c.w), free(c.b), free(c.r), free(c.y), free(c.mean), free(c.rstd);
  free(dx), free(dw), free(db), free(scratch);
}

/* ------------------------------------------------------------------------ */
/* GELU (tanh form)                                                          */
/* ------------------------------------------------------------------------ */

typedef struct gelu_ctx {
  size_t n;
  double *u, *t, *g, *r;
} gelu_ctx;

static double gelu_loss(void *ctx) {
  gelu_ctx *c = ctx;
  tf64_gelu_fwd(0, c->n, c->u, c->t, c->g);
  return tf64_dot(c->r, c->g, c->n);
}

static void test_gelu(void **state) {
  gelu_ctx c = {.n = 400};
  c.u = random_array(c.n, -5, 5);
  c.r = random_array(c.n, -1, 1);
  c.t = malloc(c.n * sizeof(double));
  c.g = malloc(c.n * sizeof(double));
  gelu_loss(&c);
  /* the tanh form itself (PyTorch's gelu(approximate='tanh')) at a few points */
  for (size_t i = 0; i < 20; ++i) {
    double x = c.u[i], ref = 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    assert_true(fabs(c.g[i] - ref) <= 1e-15 * (1 + fabs(ref)));
  }
  double *du = malloc(c.n * sizeof(double));
  memcpy(du, c.r, c.n * sizeof(double));
  tf64_gelu_bwd(0, c.n, c.u, c.t, du);
  expect_fd(gelu_loss, &c, c.u, c.n, du, "gelu");
  free(c.u), free(c.r), free(c.t), free(c.g), free(du);
}

/* ------------------------------------------------------------------------ */
/* RoPE                                                                      */
/* ------------------------------------------------------------------------ */

typedef struct rope_ctx {
  size_t B, T, heads, hd, ld;
  double *x, *y, *cs, *sn, *r;
} rope_ctx;

static double rope_loss(void *ctx) {
  rope_ctx *c = ctx;
  memcpy(c->y, c->x, c->B * c->T * c->ld * sizeof(double));
  tf64_rope_rows(0, c->B * c->T, c->T, c->heads, c->hd, c->y, c->ld, c->cs, c->sn, 1);
  return tf64_dot(c->r, c->y, c->B * c->T * c->ld);
}

static void test_rope(void **state) {
  rope_ctx c = {.B = 2, .T = 5, .heads = 3, .hd = 6, .ld = 3 * 6 + 4}; /* 4 columns not rotated */
  size_t n = c.B * c.T * c.ld, h2 = c.hd / 2;
  c.x = random_array(n, -1, 1);
  c.r = random_array(n, -1, 1);
  c.y = malloc(n * sizeof(double));
  c.cs = malloc(c.T * h2 * sizeof(double));
  c.sn = malloc(c.T * h2 * sizeof(double));
  for (size_t i = 0; i < c.T * h2; ++i) {
    double angle = uniform(-3, 3);
    c.cs[i] = cos(angle);
    c.sn[i] = sin(angle);
  }
  rope_loss(&c);
  /* forward: pair (j, j + hd/2) of head h at position p rotated by the table's angle */
  for (size_t bt = 0; bt < c.B * c.T; ++bt)
    for (size_t h = 0; h < c.heads; ++h)
      for (size_t j = 0; j < h2; ++j) {
        size_t lo = bt * c.ld + h * c.hd + j, p = bt % c.T;
        double cj = c.cs[p * h2 + j], sj = c.sn[p * h2 + j];
        assert_true(fabs(c.y[lo] - (c.x[lo] * cj - c.x[lo + h2] * sj)) < 1e-15);
        assert_true(fabs(c.y[lo + h2] - (c.x[lo + h2] * cj + c.x[lo] * sj)) < 1e-15);
      }
  double *dx = malloc(n * sizeof(double));
  memcpy(dx, c.r, n * sizeof(double));
  tf64_rope_rows(0, c.B * c.T, c.T, c.heads, c.hd, dx, c.ld, c.cs, c.sn, -1);
  expect_fd(rope_loss, &c, c.x, n, dx, "rope");
  free(c.x), free(c.r), free(c.y), free(c.cs), free(c.sn), free(dx);
}

/* ------------------------------------------------------------------------ */
/* Attention with per-query logit multipliers                                */
/* ------------------------------------------------------------------------ */

typedef struct att_ctx {
  size_t T, hd;
  double *qkv, *scale, *o, *rmax, *rinv, *r, *scratch;
} att_ctx;

static double att_loss(void *ctx) {
  att_ctx *c = ctx;
  size_t ld = 3 * c->hd;
  tf64_attention_fwd(c->T, c->hd, c->qkv, c->qkv + c->hd, c->qkv + 2 * c->hd, ld, c->scale, c->o,
                     c->hd, c->rmax, c->rinv, c->scratch);
  return tf64_dot(c->r, c->o, c->T * c->hd);
}

static void check_attention(size_t T, size_t hd) {
  att_ctx c = {.T = T, .hd = hd};
  size_t ld = 3 * hd;
  c.qkv = random_array(T * ld, -1.5, 1.5);
  c.r = random_array(T * hd, -1, 1);
  c.o = malloc(T * hd * sizeof(double));
  c.rmax = malloc(T * sizeof(double));
  c.rinv = malloc(T * sizeof(double));
  c.scratch = malloc(tf64_att_scratch(T, hd) * sizeof(double));
  /* the multipliers of YaRN (s = 4) with EABF from a training length of 5:
   * they change with the position once past it */
  ctxlab_model_config cfg;
  assert_int_equal(ctxlab_model_config_init(&cfg, "transformer", NULL), 0);
  cfg.context = 5;
  cfg.rope_scaling = CTXLAB_ROPE_SCALING_YARN;
  cfg.rope_factor = 4;
  cfg.logit_scaling = CTXLAB_LOGIT_SCALING_EABF;
  c.scale = malloc(T * sizeof(double));
  for (size_t p = 0; p < T; ++p)
    c.scale[p] = ctxlab_transformer_logit_multiplier(&cfg, 0, p + 1) / sqrt((double)hd);
  att_loss(&c);
  /* forward against softmax written out */
  for (size_t i = 0; i < T; ++i) {
    double mx = -INFINITY, z = 0;
    for (size_t j = 0; j <= i; ++j)
      mx = fmax(mx, c.scale[i] * tf64_dot(c.qkv + i * ld, c.qkv + j * ld + hd, hd));
    for (size_t j = 0; j <= i; ++j)
      z += exp(c.scale[i] * tf64_dot(c.qkv + i * ld, c.qkv + j * ld + hd, hd) - mx);
    for (size_t ch = 0; ch < hd; ++ch) {
      double ref = 0;
      for (size_t j = 0; j <= i; ++j)
        ref += exp(c.scale[i] * tf64_dot(c.qkv + i * ld, c.qkv + j * ld + hd, hd) - mx) / z *
               c.qkv[j * ld + 2 * hd + ch];
      if (fabs(c.o[i * hd + ch] - ref) > 1e-13)
        fail_msg("attention T=%zu hd=%zu: o[%zu][%zu] = %.17g, expected %.17g", T, hd, i, ch,
                 c.o[i * hd + ch], ref);
    }
  }
  double *dqkv = malloc(T * ld * sizeof(double));
  tf64_attention_bwd(T, hd, c.qkv, c.qkv + hd, c.qkv + 2 * hd, ld, c.scale, c.o, c.r, hd, c.rmax,
                     c.rinv, dqkv, dqkv + hd, dqkv + 2 * hd, c.scratch);
  char what[64];
  snprintf(what, sizeof what, "attention T=%zu hd=%zu: q, k, v", T, hd);
  expect_fd(att_loss, &c, c.qkv, T * ld, dqkv, what);
  free(c.qkv), free(c.r), free(c.o), free(c.rmax), free(c.rinv), free(c.scratch), free(c.scale);
  free(dqkv);
}

/* T = 70 (40 sanitized): several groups of 16 queries and a partial last
 * one; hd = 16 is the vector tile, hd = 6 the edge path. */
static void test_attention(void **state) {
  check_attention(SANITIZED ? 40 : 70, 16);
  check_attention(9, 6);
  check_attention(1, 2);
}

/* ------------------------------------------------------------------------ */
/* Whole model (and the head: final LayerNorm + linear + cross-entropy)      */
/* ------------------------------------------------------------------------ */

typedef struct model_ctx {
  const ctxlab_model_config *cfg;
  tf64_weights w, g;
  tf64_state s;
  size_t B, T;
  uint32_t *in, *target;
  double *logits, *dlogits;
} model_ctx;

/* Mean cross-entropy over the B T positions (double, written out); fills
 * dlogits = (softmax - onehot) / (B T). */
static double xent(const double *logits, const uint32_t *target, size_t n, size_t V,
                   double *dlogits) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    const double *z = logits + i * V;
    double mx = z[0], sum = 0;
    for (size_t x = 1; x < V; ++x) mx = fmax(mx, z[x]);
    for (size_t x = 0; x < V; ++x) sum += exp(z[x] - mx);
    total += log(sum) + mx - z[target[i]];
    if (dlogits)
      for (size_t x = 0; x < V; ++x)
        dlogits[i * V + x] = (exp(z[x] - mx) / sum - (x == target[i])) / (double)n;
  }
  return total / (double)n;
}

static double model_loss(void *ctx) {
  model_ctx *c = ctx;
  tf64_forward(c->cfg, &c->w, &c->s, c->in, c->B, c->T, c->logits, 1);
  return xent(c->logits, c->target, c->B * c->T, c->cfg->vocab_size, NULL);
}

static void check_model(const ctxlab_model_config *cfg, size_t B, size_t T) {
  ctxlab_model *m;
  ctxlab_error err;
  if (ctxlab_model_new(cfg, 7, &m, &err)) fail_msg("%s", err.message);
  model_ctx c = {.cfg = &m->cfg, .B = B, .T = T};
  size_t N = B * T, V = cfg->vocab_size, P = m->n_params;
  double *params = malloc(P * sizeof(double)), *grads = calloc(P, sizeof(double));
  /* matrices U(-0.5, 0.5), LayerNorm weights U(0.7, 1.3), biases U(-0.2, 0.2):
   * sizeable activations and gradients everywhere */
  for (size_t i = 0; i < m->n_tensors; ++i) {
    const ctxlab_tensor *t = &m->tensors[i];
    int bias = strstr(t->name, ".bias") != NULL, ln = t->ndim == 1 && !bias;
    for (size_t k = 0; k < ctxlab_tensor_size(t); ++k)
      params[t->offset + k] = ln     ? uniform(0.7, 1.3)
                              : bias ? uniform(-0.2, 0.2)
                                     : uniform(-0.5, 0.5);
  }
  c.w.blocks = calloc(cfg->n_layer + 1, sizeof(tf64_block_w));
  c.g.blocks = calloc(cfg->n_layer + 1, sizeof(tf64_block_w));
  assert_int_equal(tf64_bind(m, params, &c.w), 0);
  assert_int_equal(tf64_bind(m, grads, &c.g), 0);
  assert_int_equal(tf64_state_init(&m->cfg, &c.s), 0);
  assert_int_equal(tf64_reserve(&m->cfg, &c.s, B, T, 2, NULL), 0);
  c.in = malloc(N * sizeof *c.in);
  c.target = malloc(N * sizeof *c.target);
  for (size_t n = 0; n < N; ++n) {
    c.in[n] = (uint32_t)uniform(0, (double)V);
    c.target[n] = (uint32_t)uniform(0, (double)V);
  }
  c.logits = malloc(N * V * sizeof(double));
  c.dlogits = malloc(N * V * sizeof(double));
  tf64_forward(c.cfg, &c.w, &c.s, c.in, B, T, c.logits, 2);
  xent(c.logits, c.target, N, V, c.dlogits);
  tf64_backward(c.cfg, &c.w, &c.g, &c.s, c.dlogits, 2);
  for (size_t i = 0; i < m->n_tensors; ++i) {
    const ctxlab_tensor *t = &m->tensors[i];
    char what[128];
    snprintf(what, sizeof what, "model (%s, rope %d, logit %d): %s", cfg->model,
             (int)cfg->rope_scaling, (int)cfg->logit_scaling, t->name);
    expect_fd(model_loss, &c, params + t->offset, ctxlab_tensor_size(t), grads + t->offset, what);
  }
  /* backward adds to the gradients (to rounding: sums are added in parts,
   * so compared on the scale of the largest gradient) */
  double *once = malloc(P * sizeof(double));
  memcpy(once, grads, P * sizeof(double));
  model_loss(&c);
  tf64_backward(c.cfg, &c.w, &c.g, &c.s, c.dlogits, 2);
  double top = 0;
  for (size_t i = 0; i < P; ++i) top = fmax(top, fabs(once[i]));
  for (size_t i = 0; i < P; ++i) assert_true(fabs(grads[i] - 2 * once[i]) <= 1e-13 * top);
  tf64_state_free(&c.s);
  free(c.w.blocks), free(c.g.blocks), free(params), free(grads), free(once);
  free(c.in), free(c.target), free(c.logits), free(c.dlogits);
  ctxlab_model_free(m);
}

static void test_model(void **state) {
  ctxlab_model_config c;
  assert_int_equal(ctxlab_model_config_init(&c, "transformer", NULL), 0);
  c.vocab_size = 5;
  c.d_model = 8;
  c.n_layer = 2;
  c.n_head = 2;
  c.context = 4;
  c.rope_scaling = CTXLAB_ROPE_SCALING_YARN;
  c.rope_factor = 3;
  c.yarn_alpha = 0.01;
  c.yarn_beta = 0.5;
  c.logit_scaling = CTXLAB_LOGIT_SCALING_EABF;
  c.logit_scaling_skip_layers = 1;
  check_model(&c, 2, SANITIZED ? 6 : 10);
  /* plain RoPE, log-n, one layer, 3 heads of 4; 9 sequences, so that the
   * attention runs in the products' epilogues (2 threads) */
  c.d_model = 12;
  c.n_head = 3;
  c.n_layer = 1;
  c.rope_scaling = CTXLAB_ROPE_SCALING_NONE;
  c.logit_scaling = CTXLAB_LOGIT_SCALING_LOGN;
  c.logit_scaling_skip_layers = 0;
  check_model(&c, 9, SANITIZED ? 4 : 7);
}

/* The head alone: logits = LayerNorm(x) headᵀ with the cross-entropy, in a
 * model of no blocks (wte -> lnf -> head). */
static void test_head(void **state) {
  ctxlab_model_config c;
  assert_int_equal(ctxlab_model_config_init(&c, "transformer", NULL), 0);
  c.vocab_size = 6;
  c.d_model = 10;
  c.n_layer = 0;
  c.n_head = 1;
  check_model(&c, 2, 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mm_naive),   cmocka_unit_test(test_weight_grad),
      cmocka_unit_test(test_linear_residual),
      cmocka_unit_test(test_embedding),  cmocka_unit_test(test_layernorm),
      cmocka_unit_test(test_gelu),       cmocka_unit_test(test_rope),
      cmocka_unit_test(test_attention),  cmocka_unit_test(test_head),
      cmocka_unit_test(test_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
