/* The model-independent parts of sim/: config fields by name, softmax
 * cross-entropy, AdamW and its schedule, safetensors files.  Expected values
 * come from the closed forms written in each test (Kingma & Ba 2015
 * Algorithm 1 with decoupled decay, Loshchilov & Hutter 2019; the
 * safetensors layout), computed here in double independently of the code. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/adamw.h"
#include "sim/loss.h"
#include "sim/model.h"
#include "sim/model_config.h"
#include "sim/safetensors.h"

/* ---- config ---------------------------------------------------------------- */

static void test_config_fields(void **state) {
  (void)state;
  ctxlab_model_config c;
  ctxlab_error err;
  assert_int_equal(ctxlab_model_config_init(&c, "transformer", &err), CTXLAB_OK);
  assert_int_equal(c.d_model, 64);
  assert_int_equal(ctxlab_model_config_set_string(&c, "rope_scaling", "yarn", "--rope-scaling", &err), 0);
  assert_int_equal(c.rope_scaling, CTXLAB_ROPE_SCALING_YARN);
  assert_int_equal(ctxlab_model_config_set_string(&c, "d_model", "128", "--dim", &err), 0);
  assert_int_equal(c.d_model, 128);
  /* errors name the option */
  assert_int_equal(ctxlab_model_config_set_string(&c, "d_model", "12.5", "--dim", &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "--dim"));
  assert_int_equal(ctxlab_model_config_set_string(&c, "d_model", "0", "--dim", &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "out of range"));
  assert_int_equal(ctxlab_model_config_set_string(&c, "rope_scaling", "linear", "--rope-scaling", &err),
                   CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "ntk-by-parts"));
  assert_int_equal(ctxlab_model_config_set_string(&c, "beta", "0.5", "--beta", &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "does not apply to model transformer"));
  assert_int_equal(ctxlab_model_config_set_string(&c, "colour", "red", "$.colour", &err), CTXLAB_EINVAL);
  assert_int_equal(ctxlab_model_config_init(&c, "lstm", &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "lstm"));
}

/* Every kind's defaults, given a vocabulary, make a model; the default
 * context is the smallest the kind accepts (sim.h): one less is refused. */
static void test_config_defaults_make_models(void **state) {
  (void)state;
  static const char *const kinds[] = {"ngram", "mlp", "transformer", "rnn"};
  static const uint32_t contexts[] = {0, 1, 0, 0};
  for (int i = 0; i < 4; ++i) {
    ctxlab_model_config c;
    ctxlab_error err;
    assert_int_equal(ctxlab_model_config_init(&c, kinds[i], &err), CTXLAB_OK);
    assert_int_equal(c.context, contexts[i]);
    c.vocab_size = 4;
    ctxlab_model *m = NULL;
    assert_int_equal(ctxlab_model_new(&c, 1, &m, &err), CTXLAB_OK);
    ctxlab_model_free(m);
    if (contexts[i] > 0) {
      c.context--;
      assert_int_equal(ctxlab_model_new(&c, 1, &m, &err), CTXLAB_EINVAL);
      assert_non_null(strstr(err.message, "context"));
      assert_null(m);
    }
  }
}

/* Every field survives text and back (checkpoint metadata), doubles exactly. */
static int copy_visit(void *ctx, const char *key, const char *text, json_t *value) {
  (void)value;
  return ctxlab_model_config_set_string(ctx, key, text, key, NULL);
}

static void test_config_round_trip(void **state) {
  (void)state;
  ctxlab_model_config a, b;
  assert_int_equal(ctxlab_model_config_init(&a, "transformer", NULL), 0);
  a.rope_base = 0.1 + 10000; /* not a short decimal */
  a.rope_factor = 4.0 / 3.0;
  a.logit_scaling = CTXLAB_LOGIT_SCALING_EABF;
  a.logit_scaling_skip_layers = 2;
  a.vocab_size = 77;
  a.context = 128;
  assert_int_equal(ctxlab_model_config_init(&b, "transformer", NULL), 0);
  assert_int_equal(ctxlab_model_config_foreach(&a, copy_visit, &b), 0);
  assert_memory_equal(&a, &b, sizeof a);
  json_t *j = ctxlab_model_config_to_json(&a);
  assert_string_equal(json_string_value(json_object_get(j, "model")), "transformer");
  assert_string_equal(json_string_value(json_object_get(j, "logit_scaling")), "eabf");
  assert_int_equal(json_integer_value(json_object_get(j, "train_context")), 128);
  assert_null(json_object_get(j, "beta")); /* an ngram field */
  json_decref(j);
}

/* ---- cross-entropy --------------------------------------------------------- */

static void test_xent(void **state) {
  (void)state;
  enum { V = 5 };
  const float z[2][V] = {{1, 2, 3, 4, 5}, {1000, 0, -1000, 1, 2}};
  const uint32_t y[2] = {2, 0};
  float g[2][V];
  double nats = ctxlab_xent(&z[0][0], y, 2, V, 0.5f, &g[0][0], 1);
  /* closed form: -ln softmax = logsumexp - z_y */
  double lse0 = log(exp(1) + exp(2) + exp(3) + exp(4) + exp(5));
  double want = (lse0 - 3) + (1000 + log(1 + exp(-1000) + exp(-2000) + exp(-999) + exp(-998)) - 1000);
  assert_true(fabs(nats - want) < 1e-5);
  for (int x = 0; x < V; ++x) {
    double p = exp(z[0][x] - lse0);
    assert_true(fabs(g[0][x] - 0.5 * (p - (x == 2))) < 1e-6);
  }
  assert_true(isfinite(g[1][2]) && g[1][2] >= 0); /* no overflow at +-1000 */
  double lq[V];
  ctxlab_log_softmax(z[0], V, lq);
  assert_true(fabs(lq[4] - (5 - lse0)) < 1e-12);
}

/* Many rows (not a multiple of the 64 blocks, V not a multiple of the 8
 * lanes): against -ln softmax and its gradient computed here in double with
 * libm's exp (the kernel's exp has relative error below 1e-7: loss within
 * 1e-6 relative), the same bits for 1, 2, 3 and 7 threads, the same loss
 * without the gradient, and non-finite logits give a non-finite loss. */
static void test_xent_many_rows(void **state) {
  (void)state;
  enum { N = 1001, V = 37 };
  float *z = malloc(N * V * sizeof *z), *g = malloc(N * V * sizeof *g),
        *g2 = malloc(N * V * sizeof *g2);
  uint32_t *y = malloc(N * sizeof *y);
  assert_non_null(z && g && g2 && y);
  uint64_t r = 12345;
  for (size_t i = 0; i < N * V; ++i) {
    r = r * 6364136223846793005u + 1442695040888963407u;
    z[i] = (float)((double)(r >> 11) * 0x1p-53 * 40 - 20); /* uniform in [-20, 20) */
  }
  for (size_t i = 0; i < N; ++i) y[i] = (uint32_t)(i * 7 % V);
  const float scale = 1.0f / N;
  double nats = ctxlab_xent(z, y, N, V, scale, g, 1);
  double want = 0;
  for (size_t i = 0; i < N; ++i) {
    const float *zi = z + i * V;
    double max = zi[0], sum = 0;
    for (int x = 1; x < V; ++x) max = zi[x] > max ? zi[x] : max;
    for (int x = 0; x < V; ++x) sum += exp(zi[x] - max);
    want += log(sum) - (zi[y[i]] - max);
    for (int x = 0; x < V; ++x) {
      double gx = scale * (exp(zi[x] - max) / sum - (x == (int)y[i]));
      assert_true(fabs(g[i * V + x] - gx) < 1e-6 * scale);
    }
  }
  assert_true(fabs(nats - want) < 1e-6 * want);
  const int threads[] = {2, 3, 7};
  for (int k = 0; k < 3; ++k) {
    double again = ctxlab_xent(z, y, N, V, scale, g2, threads[k]);
    assert_memory_equal(&again, &nats, sizeof nats);
    assert_memory_equal(g2, g, N * V * sizeof *g);
    double no_grad = ctxlab_xent(z, y, N, V, 0, NULL, threads[k]);
    assert_memory_equal(&no_grad, &nats, sizeof nats);
  }
  z[500 * V + 3] = NAN;
  assert_true(isnan(ctxlab_xent(z, y, N, V, 0, NULL, 2)));
  z[500 * V + 3] = INFINITY;
  assert_false(isfinite(ctxlab_xent(z, y, N, V, scale, g, 2)));
  free(z);
  free(g);
  free(g2);
  free(y);
}

/* ---- AdamW ------------------------------------------------------------------ */

static int no_create(ctxlab_model *m, ctxlab_error *err) {
  (void)m;
  (void)err;
  return 0;
}

static void test_adamw_two_steps(void **state) {
  (void)state;
  static const ctxlab_model_ops ops = {.name = "test", .create = no_create};
  ctxlab_model m = {0};
  m.ops = &ops;
  m.threads = 1;
  size_t mat[2] = {1, 2}, vec[1] = {1};
  assert_int_not_equal(ctxlab_model_add_tensor(&m, "w", 2, mat, NULL), (size_t)-1);
  assert_int_not_equal(ctxlab_model_add_tensor(&m, "b", 1, vec, NULL), (size_t)-1);
  float params[3] = {0.5f, -1.0f, 2.0f}, grads[3];
  m.params = params;
  m.grads = grads;
  m.n_params = 3;
  ctxlab_adamw o;
  assert_int_equal(ctxlab_adamw_init(&o, 3, NULL), 0);
  o.beta1 = 0.9;
  o.beta2 = 0.99;
  o.eps = 1e-8;
  o.weight_decay = 0.1;
  o.clip = 0;
  /* reference in double: Kingma & Ba Algorithm 1 plus decoupled decay
   * p -= lr (mhat / (sqrt(vhat) + eps) + wd p), decay on the matrix only */
  double p[3] = {0.5, -1.0, 2.0}, mm[3] = {0}, vv[3] = {0};
  const double g_seq[2][3] = {{0.1, -0.2, 0.3}, {-0.05, 0.4, 0.0}}, lr[2] = {0.01, 0.02};
  for (int s = 0; s < 2; ++s) {
    for (int i = 0; i < 3; ++i) grads[i] = (float)g_seq[s][i];
    ctxlab_adamw_update(&o, &m, lr[s]);
    for (int i = 0; i < 3; ++i) {
      mm[i] = 0.9 * mm[i] + 0.1 * g_seq[s][i];
      vv[i] = 0.99 * vv[i] + 0.01 * g_seq[s][i] * g_seq[s][i];
      double mh = mm[i] / (1 - pow(0.9, s + 1)), vh = vv[i] / (1 - pow(0.99, s + 1));
      p[i] -= lr[s] * (mh / (sqrt(vh) + 1e-8) + (i < 2 ? 0.1 : 0) * p[i]);
    }
  }
  for (int i = 0; i < 3; ++i) assert_true(fabs(params[i] - p[i]) < 1e-6);
  ctxlab_adamw_free(&o);
  free(m.tensors);
}

static void test_adamw_clip(void **state) {
  (void)state;
  static const ctxlab_model_ops ops = {.name = "test", .create = no_create};
  ctxlab_model m = {0};
  m.ops = &ops;
  m.threads = 1;
  size_t vec[1] = {2};
  ctxlab_model_add_tensor(&m, "b", 1, vec, NULL);
  float params[2] = {0, 0}, grads[2] = {3, 4};
  m.params = params;
  m.grads = grads;
  m.n_params = 2;
  ctxlab_adamw o;
  assert_int_equal(ctxlab_adamw_init(&o, 2, NULL), 0);
  o.beta1 = 0.9;
  o.beta2 = 0.999;
  o.eps = 0;
  o.weight_decay = 0;
  o.clip = 1;
  double norm = ctxlab_adamw_update(&o, &m, 1.0);
  assert_true(fabs(norm - 5) < 1e-12);
  /* clipped to (0.6, 0.8): after the bias corrections step 1 moves each
   * coordinate by exactly lr * sign(g) */
  assert_true(fabs(o.m[0] - 0.1 * 0.6) < 1e-7 && fabs(o.m[1] - 0.1 * 0.8) < 1e-7);
  if (!(fabs(params[0] + 1) < 1e-6 && fabs(params[1] + 1) < 1e-6)) fail_msg("%.9g %.9g", params[0], params[1]);
  ctxlab_adamw_free(&o);
  free(m.tensors);
}

static void test_schedule(void **state) {
  (void)state;
  /* warmup: linear from lr/warmup; then cosine from lr to 0.1 lr */
  assert_true(fabs(ctxlab_lr_schedule(1.0, 0, 10, 110, 0.1) - 0.1) < 1e-15);
  assert_true(fabs(ctxlab_lr_schedule(1.0, 9, 10, 110, 0.1) - 1.0) < 1e-15);
  assert_true(fabs(ctxlab_lr_schedule(1.0, 10, 10, 110, 0.1) - 1.0) < 1e-15);
  assert_true(fabs(ctxlab_lr_schedule(1.0, 60, 10, 110, 0.1) - 0.55) < 1e-12); /* half-way */
  assert_true(fabs(ctxlab_lr_schedule(1.0, 110, 10, 110, 0.1) - 0.1) < 1e-12);
  assert_true(fabs(ctxlab_lr_schedule(2.0, 5, 0, 0, 0.1) - 2.0) < 1e-15);
}

/* ---- safetensors ------------------------------------------------------------ */

static char *temp_path(const char *name) {
  static char buf[4][256];
  static int k;
  char *p = buf[k++ % 4];
  snprintf(p, 256, "%s/ctxlab_test_%d_%s", P_tmpdir, (int)getpid(), name);
  return p;
}

static void write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
}

static void test_safetensors_round_trip(void **state) {
  (void)state;
  const char *path = temp_path("rt.safetensors");
  float a[6] = {1, 2, 3, 4, 5, -6.5f};
  uint64_t keys[3] = {7, 1ull << 40, 3};
  size_t sa[2] = {2, 3}, sk[1] = {3};
  ctxlab_st_writer *w;
  ctxlab_error err;
  assert_int_equal(ctxlab_st_writer_new(&w, &err), 0);
  assert_int_equal(ctxlab_st_writer_add(w, "a.weight", CTXLAB_ST_F32, 2, sa, a, &err), 0);
  assert_int_equal(ctxlab_st_writer_add(w, "keys", CTXLAB_ST_U64, 1, sk, keys, &err), 0);
  assert_int_equal(ctxlab_st_writer_add(w, "keys", CTXLAB_ST_U64, 1, sk, keys, &err), CTXLAB_EINVAL);
  assert_int_equal(ctxlab_st_writer_set_meta(w, "model", "transformer", &err), 0);
  assert_int_equal(ctxlab_st_writer_save(w, path, &err), 0);
  ctxlab_st_writer_free(w);

  /* the layout, read by hand: u64 header length (a multiple of 8), JSON, data */
  FILE *f = fopen(path, "rb");
  unsigned char head[8];
  assert_int_equal(fread(head, 1, 8, f), 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= (uint64_t)head[i] << (8 * i);
  assert_int_equal(n % 8, 0);
  fseek(f, 0, SEEK_END);
  assert_int_equal((uint64_t)ftell(f), 8 + n + sizeof a + sizeof keys);
  fclose(f);

  ctxlab_st_file *sf;
  assert_int_equal(ctxlab_st_load(path, &sf, &err), 0);
  assert_string_equal(ctxlab_st_meta(sf, "model"), "transformer");
  assert_null(ctxlab_st_meta(sf, "absent"));
  const void *data;
  assert_int_equal(ctxlab_st_get(sf, "a.weight", CTXLAB_ST_F32, 2, sa, &data, &err), 0);
  assert_memory_equal(data, a, sizeof a);
  assert_int_equal(ctxlab_st_get(sf, "keys", CTXLAB_ST_U64, 1, sk, &data, &err), 0);
  assert_memory_equal(data, keys, sizeof keys);
  size_t wrong[2] = {3, 2};
  assert_int_equal(ctxlab_st_get(sf, "a.weight", CTXLAB_ST_F32, 2, wrong, &data, &err), CTXLAB_EFORMAT);
  assert_non_null(strstr(err.message, "shape (2, 3), expected (3, 2)"));
  assert_int_equal(ctxlab_st_get(sf, "a.weight", CTXLAB_ST_F64, 2, sa, &data, &err), CTXLAB_EFORMAT);
  assert_int_equal(ctxlab_st_get(sf, "b", CTXLAB_ST_F32, 2, sa, &data, &err), CTXLAB_EFORMAT);
  assert_non_null(strstr(err.message, "no tensor 'b'"));
  ctxlab_st_free(sf);
  unlink(path);
}

/* A hand-made file: 8-byte length, header, data. */
static void write_st(const char *path, const char *header, size_t data_bytes, uint64_t claimed) {
  size_t h = strlen(header);
  unsigned char *buf = calloc(1, 8 + h + data_bytes);
  for (int i = 0; i < 8; ++i) buf[i] = (unsigned char)(claimed >> (8 * i));
  memcpy(buf + 8, header, h);
  write_bytes(path, buf, 8 + h + data_bytes);
  free(buf);
}

static void expect_bad(const char *path, const char *fragment) {
  ctxlab_st_file *sf;
  ctxlab_error err;
  assert_int_equal(ctxlab_st_load(path, &sf, &err), CTXLAB_EFORMAT);
  if (!strstr(err.message, fragment)) fail_msg("message '%s' lacks '%s'", err.message, fragment);
}

static void test_safetensors_corrupt(void **state) {
  (void)state;
  const char *path = temp_path("bad.safetensors");
  write_bytes(path, "abc", 3);
  expect_bad(path, "too short");
  const char *ok = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  write_st(path, ok, 8, 1000);
  expect_bad(path, "header length 1000");
  write_st(path, ok, 4, strlen(ok)); /* truncated data */
  expect_bad(path, "data_offsets outside");
  write_st(path, "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
           strlen("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}"));
  expect_bad(path, "shape that needs another size");
  const char *bf16 = "{\"t\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}}";
  write_st(path, bf16, 8, strlen(bf16));
  expect_bad(path, "unsupported dtype BF16");
  const char *overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
  write_st(path, overlap, 12, strlen(overlap));
  expect_bad(path, "overlap");
  const char *notjson = "{\"a\": [1, 2";
  write_st(path, notjson, 0, strlen(notjson));
  expect_bad(path, "not a JSON object");
  const char *meta = "{\"__metadata__\":{\"k\":3}}";
  write_st(path, meta, 0, strlen(meta));
  expect_bad(path, "__metadata__");
  const char *dup = "{\"t\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                    "\"t\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]}}";
  write_st(path, dup, 8, strlen(dup));
  expect_bad(path, "not a JSON object");
  unlink(path);
  ctxlab_st_file *sf;
  ctxlab_error err;
  assert_int_equal(ctxlab_st_load(temp_path("missing.safetensors"), &sf, &err), CTXLAB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_fields),      cmocka_unit_test(test_config_round_trip),
      cmocka_unit_test(test_config_defaults_make_models),
      cmocka_unit_test(test_xent),               cmocka_unit_test(test_xent_many_rows),
      cmocka_unit_test(test_adamw_two_steps),
      cmocka_unit_test(test_adamw_clip),         cmocka_unit_test(test_schedule),
      cmocka_unit_test(test_safetensors_round_trip), cmocka_unit_test(test_safetensors_corrupt),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
