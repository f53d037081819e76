/* RoPE frequencies and attention-logit multipliers of the transformer
 * (sim/transformer/positions.c) against their formulas, restated here from
 * the sources, and against values published in (or derived exactly from) the
 * reference notes /work/shared/reference/seeds-abf-geometry.md §1.2, §1.4,
 * §3.5; plus the config checks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/transformer/transformer.h"

static ctxlab_model_config config(uint32_t d, uint32_t heads, double base, uint32_t context) {
  ctxlab_model_config c;
  assert_int_equal(ctxlab_model_config_init(&c, "transformer", NULL), 0);
  c.vocab_size = 16;
  c.d_model = d;
  c.n_head = heads;
  c.rope_base = base;
  c.context = context;
  return c;
}

static void assert_close(double got, double want, double rel) {
  if (!(fabs(got - want) <= rel * fabs(want)))
    fail_msg("got %.17g, expected %.17g (relative tolerance %g)", got, want, rel);
}

/* Unscaled RoPE (RoFormer): theta_j = b^(-2j/hd), written as exp. */
static void test_theta_plain(void **state) {
  ctxlab_model_config c = config(64, 4, 10000, 128);
  double th[8];
  ctxlab_transformer_rope_theta(&c, th);
  for (int j = 0; j < 8; ++j) assert_close(th[j], exp(-2.0 * j / 16 * log(10000.0)), 1e-14);
  assert_true(th[0] == 1.0);
}

/* PI (Chen et al. 2023): position p -> p / s, i.e. every theta_j / s. */
static void test_theta_pi(void **state) {
  ctxlab_model_config c = config(64, 4, 10000, 128);
  c.rope_scaling = CTXLAB_ROPE_SCALING_PI;
  c.rope_factor = 4;
  double th[8];
  ctxlab_transformer_rope_theta(&c, th);
  for (int j = 0; j < 8; ++j) assert_close(th[j], pow(10000.0, -2.0 * j / 16) / 4, 1e-14);
}

/* NTK-aware (bloc97; YaRN eq. 16): b' = b s^(hd/(hd-2)).  Consequences:
 * theta_0 = 1 unchanged and the slowest pair j = hd/2 - 1 is interpolated
 * exactly: b'^(-(hd-2)/hd) = b^(-(hd-2)/hd) / s. */
static void test_theta_ntk(void **state) {
  ctxlab_model_config c = config(64, 4, 10000, 128);
  c.rope_scaling = CTXLAB_ROPE_SCALING_NTK;
  c.rope_factor = 8;
  double th[8];
  ctxlab_transformer_rope_theta(&c, th);
  double b2 = 10000 * pow(8, 16.0 / 14);
  for (int j = 0; j < 8; ++j) assert_close(th[j], pow(b2, -2.0 * j / 16), 1e-14);
  assert_close(th[0], 1, 1e-15);
  assert_close(th[7], pow(10000.0, -14.0 / 16) / 8, 1e-13);
}

/* NTK-by-parts (YaRN eqs. 17-18): r_j = L theta_j / 2 pi; gamma = 0 below
 * alpha, 1 above beta, (r - alpha) / (beta - alpha) between; theta' =
 * ((1 - gamma) / s + gamma) theta.  L = 1024, hd = 16, b = 10000, s = 8,
 * alpha = 1, beta = 32: r_j = 163, 51.5, 16.3, 5.15, 1.63, 0.515, ... puts
 * pairs in all three regimes. */
static void test_theta_ntk_by_parts(void **state) {
  for (int yarn = 0; yarn < 2; ++yarn) {
    ctxlab_model_config c = config(64, 4, 10000, 1024);
    c.rope_scaling = yarn ? CTXLAB_ROPE_SCALING_YARN : CTXLAB_ROPE_SCALING_NTK_BY_PARTS;
    c.rope_factor = 8;
    double th[8];
    ctxlab_transformer_rope_theta(&c, th);
    int regimes[3] = {0, 0, 0};
    for (int j = 0; j < 8; ++j) {
      double t = pow(10000.0, -2.0 * j / 16), r = 1024 * t / (2 * M_PI);
      if (r > 32) {
        assert_close(th[j], t, 1e-14); /* high frequency: untouched */
        regimes[2]++;
      } else if (r < 1) {
        assert_close(th[j], t / 8, 1e-14); /* low frequency: interpolated */
        regimes[0]++;
      } else {
        double g = (r - 1) / 31;
        assert_close(th[j], ((1 - g) / 8 + g) * t, 1e-14);
        assert_true(th[j] < t && th[j] > t / 8);
        regimes[1]++;
      }
    }
    assert_true(regimes[0] && regimes[1] && regimes[2]);
  }
}

/* YaRN's logit multiplier (0.1 ln s + 1)^2, every position and layer; the
 * reference notes (§1.2) list 1.143, 1.297, 1.459, 1.631 for s = 2, 4, 8, 16
 * (rounded; for s = 4 the exact value is 1.29648, the notes' 1.297 squares a
 * rounded 1.139), hence the tolerance of 1e-3. */
static void test_yarn_multiplier(void **state) {
  const double s[] = {2, 4, 8, 16}, published[] = {1.143, 1.297, 1.459, 1.631};
  for (int i = 0; i < 4; ++i) {
    ctxlab_model_config c = config(64, 4, 10000, 4096);
    c.rope_scaling = CTXLAB_ROPE_SCALING_YARN;
    c.rope_factor = s[i];
    double m = 0.1 * log(s[i]) + 1;
    for (size_t n = 1; n < 100000; n *= 7) {
      assert_close(ctxlab_transformer_logit_multiplier(&c, 0, n), m * m, 1e-15);
      assert_close(ctxlab_transformer_logit_multiplier(&c, 3, n), m * m, 1e-15);
    }
    assert_true(fabs(ctxlab_transformer_logit_multiplier(&c, 0, 1) - published[i]) < 1e-3);
    /* NTK-by-parts alone has no multiplier */
    c.rope_scaling = CTXLAB_ROPE_SCALING_NTK_BY_PARTS;
    assert_true(ctxlab_transformer_logit_multiplier(&c, 0, 5000) == 1.0);
  }
  ctxlab_model_config c = config(64, 4, 10000, 4096);
  c.rope_scaling = CTXLAB_ROPE_SCALING_YARN;
  c.rope_factor = 1; /* s = 1: no extension, multiplier 1 */
  assert_true(ctxlab_transformer_logit_multiplier(&c, 0, 9) == 1.0);
}

/* EABF (Zhang et al. 2024): lambda = max(1, ln n / ln L); for L = 4096 = 2^12
 * and n = 2^k that is max(1, k / 12): 1.0833, 1.1667, 1.25, 1.3333 at 8k, 16k,
 * 32k, 64k (reference notes §1.4).  Layers below the skip count are unscaled. */
static void test_eabf(void **state) {
  ctxlab_model_config c = config(64, 4, 500000, 4096);
  c.n_layer = 4;
  c.logit_scaling = CTXLAB_LOGIT_SCALING_EABF;
  c.logit_scaling_skip_layers = 2;
  for (int k = 0; k <= 20; ++k) {
    size_t n = (size_t)1 << k;
    double want = k > 12 ? k / 12.0 : 1.0;
    assert_close(ctxlab_transformer_logit_multiplier(&c, 2, n), want, 1e-14);
    assert_close(ctxlab_transformer_logit_multiplier(&c, 3, n), want, 1e-14);
    assert_true(ctxlab_transformer_logit_multiplier(&c, 0, n) == 1.0);
    assert_true(ctxlab_transformer_logit_multiplier(&c, 1, n) == 1.0);
  }
  assert_close(ctxlab_transformer_logit_multiplier(&c, 2, 8192), 1.0833333333333333, 1e-14);
  assert_true(ctxlab_transformer_logit_multiplier(&c, 2, 4097) > 1.0);
  /* with YaRN the two multiply */
  c.rope_scaling = CTXLAB_ROPE_SCALING_YARN;
  c.rope_factor = 4;
  double m = 0.1 * log(4.0) + 1;
  assert_close(ctxlab_transformer_logit_multiplier(&c, 2, 65536), m * m * 16 / 12, 1e-14);
  assert_close(ctxlab_transformer_logit_multiplier(&c, 1, 65536), m * m, 1e-14);
}

/* log-n (Chiang & Cholak 2022; Su 2021): lambda = log_L n at every n, below 1
 * inside the window: n = 64, L = 4096 gives 6/12; n = 1 gives 0. */
static void test_logn(void **state) {
  ctxlab_model_config c = config(64, 4, 10000, 4096);
  c.n_layer = 2;
  c.logit_scaling = CTXLAB_LOGIT_SCALING_LOGN;
  assert_close(ctxlab_transformer_logit_multiplier(&c, 0, 64), 0.5, 1e-15);
  assert_close(ctxlab_transformer_logit_multiplier(&c, 1, 16384), 14 / 12.0, 1e-14);
  assert_true(ctxlab_transformer_logit_multiplier(&c, 0, 1) == 0.0);
  assert_close(ctxlab_transformer_logit_multiplier(&c, 0, 4096), 1, 1e-15);
}

static void expect_config_error(const ctxlab_model_config *c, const char *text) {
  ctxlab_error err;
  assert_int_equal(ctxlab_transformer_check_config(c, &err), CTXLAB_EINVAL);
  if (!strstr(err.message, text)) fail_msg("message '%s' lacks '%s'", err.message, text);
  ctxlab_model *m = NULL;
  assert_int_equal(ctxlab_model_new(c, 1, &m, &err), CTXLAB_EINVAL);
  assert_null(m);
  if (!strstr(err.message, text)) fail_msg("message '%s' lacks '%s'", err.message, text);
}

static void test_config_errors(void **state) {
  ctxlab_model_config c = config(64, 3, 10000, 128);
  expect_config_error(&c, "n_head 3 does not divide d_model 64");
  c = config(60, 4, 10000, 128);
  expect_config_error(&c, "d_model / n_head = 60 / 4 = 15 must be even");
  c = config(64, 4, 1, 128);
  expect_config_error(&c, "rope_base");
  c = config(8, 4, 10000, 128);
  c.rope_scaling = CTXLAB_ROPE_SCALING_NTK;
  c.rope_factor = 2;
  expect_config_error(&c, "ntk needs a head size of at least 4 (got 2)");
  c = config(64, 4, 10000, 128);
  c.rope_scaling = CTXLAB_ROPE_SCALING_PI;
  c.rope_factor = 0.5;
  expect_config_error(&c, "rope_factor");
  c = config(64, 4, 10000, 0);
  c.rope_scaling = CTXLAB_ROPE_SCALING_YARN;
  expect_config_error(&c, "rope_scaling yarn needs context");
  c = config(64, 4, 10000, 128);
  c.rope_scaling = CTXLAB_ROPE_SCALING_NTK_BY_PARTS;
  c.yarn_alpha = 32;
  c.yarn_beta = 1;
  expect_config_error(&c, "yarn_alpha < yarn_beta");
  c = config(64, 4, 10000, 1);
  c.logit_scaling = CTXLAB_LOGIT_SCALING_EABF;
  expect_config_error(&c, "logit_scaling eabf needs context");
  c = config(64, 4, 10000, 128);
  c.n_layer = 2;
  c.logit_scaling = CTXLAB_LOGIT_SCALING_LOGN;
  c.logit_scaling_skip_layers = 3;
  expect_config_error(&c, "logit_scaling_skip_layers 3 exceeds n_layer 2");
  c = config(64, 0, 10000, 128);
  expect_config_error(&c, "at least 1");
  c = config(64, 4, 10000, 128);
  c.rope_scaling = (ctxlab_rope_scaling)9;
  expect_config_error(&c, "rope_scaling: unknown value 9");
  /* a valid one */
  c = config(64, 4, 10000, 128);
  c.rope_scaling = CTXLAB_ROPE_SCALING_YARN;
  c.rope_factor = 4;
  c.logit_scaling = CTXLAB_LOGIT_SCALING_EABF;
  assert_int_equal(ctxlab_transformer_check_config(&c, NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_theta_plain),     cmocka_unit_test(test_theta_pi),
      cmocka_unit_test(test_theta_ntk),       cmocka_unit_test(test_theta_ntk_by_parts),
      cmocka_unit_test(test_yarn_multiplier), cmocka_unit_test(test_eabf),
      cmocka_unit_test(test_logn),            cmocka_unit_test(test_config_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
