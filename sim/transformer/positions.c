/* Position handling of the transformer: RoPE frequencies under the
 * context-extension scalings, and the multipliers of the attention logits.
 *
 * Notation: hd = head size, pair j in [0, hd/2), base b, s = rope_factor
 * (target window / training window), L = cfg.context (the training length).
 * Unscaled RoPE (Su et al. 2021, RoFormer, arXiv 2104.09864) rotates pair j of
 * a query or key at position p by p * theta_j, theta_j = b^(-2j/hd). */
#include <math.h>

#include "sim/transformer/transformer.h"

static const char *const ROPE_NAMES[] = {"none", "pi", "ntk", "ntk-by-parts", "yarn"};

int ctxlab_transformer_check_config(const ctxlab_model_config *c, ctxlab_error *err) {
  if (c->d_model < 1 || c->n_head < 1)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "d_model (%u) and n_head (%u) must be at least 1",
                            c->d_model, c->n_head);
  if (c->d_model % c->n_head)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "n_head %u does not divide d_model %u", c->n_head,
                            c->d_model);
  uint32_t hd = c->d_model / c->n_head;
  if (hd % 2)
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "head size d_model / n_head = %u / %u = %u must be even (RoPE rotates "
                            "pairs of coordinates)",
                            c->d_model, c->n_head, hd);
  if (!(c->rope_base > 1 && isfinite(c->rope_base)))
    return ctxlab_error_set(err, CTXLAB_EINVAL,
                            "rope_base must be a finite number above 1 (got %g)", c->rope_base);
  if ((unsigned)c->rope_scaling > CTXLAB_ROPE_SCALING_YARN)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "rope_scaling: unknown value %d",
                            (int)c->rope_scaling);
  if ((unsigned)c->logit_scaling > CTXLAB_LOGIT_SCALING_LOGN)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "logit_scaling: unknown value %d",
                            (int)c->logit_scaling);
  if (c->rope_scaling != CTXLAB_ROPE_SCALING_NONE) {
    const char *name = ROPE_NAMES[c->rope_scaling];
    if (!(c->rope_factor >= 1 && isfinite(c->rope_factor)))
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "rope_factor must be a finite number >= 1 for rope_scaling %s "
                              "(got %g)",
                              name, c->rope_factor);
    if (c->rope_scaling == CTXLAB_ROPE_SCALING_NTK && hd < 4)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "rope_scaling ntk needs a head size of at least 4 (got %u): the base "
                              "is multiplied by s^(hd/(hd-2))",
                              hd);
    if (c->rope_scaling >= CTXLAB_ROPE_SCALING_NTK_BY_PARTS) {
      if (c->context < 1)
        return ctxlab_error_set(err, CTXLAB_EINVAL,
                                "rope_scaling %s needs context (the training length) of at least 1",
                                name);
      if (!(c->yarn_alpha >= 0 && c->yarn_beta > c->yarn_alpha && isfinite(c->yarn_beta)))
        return ctxlab_error_set(err, CTXLAB_EINVAL,
                                "rope_scaling %s needs 0 <= yarn_alpha < yarn_beta (got %g, %g)",
                                name, c->yarn_alpha, c->yarn_beta);
    }
  }
  if (c->logit_scaling != CTXLAB_LOGIT_SCALING_NONE) {
    if (c->context < 2)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "logit_scaling %s needs context (the training length) of at least 2 "
                              "(got %u): lambda divides by ln context",
                              c->logit_scaling == CTXLAB_LOGIT_SCALING_EABF ? "eabf" : "log-n",
                              c->context);
    if (c->logit_scaling_skip_layers > c->n_layer)
      return ctxlab_error_set(err, CTXLAB_EINVAL,
                              "logit_scaling_skip_layers %u exceeds n_layer %u",
                              c->logit_scaling_skip_layers, c->n_layer);
  }
  return CTXLAB_OK;
}

/* NTK-by-parts ramp (Peng, Quesnelle, Fan, Shippole 2023, "YaRN", arXiv
 * 2309.00071, eqs. 17-18): r = L / wavelength = L theta / 2 pi rotations in the
 * training window; gamma(r) = 0 below alpha, 1 above beta, linear between.
 * (The YaRN code ramps linearly in the pair index between rounded bounds
 * instead; the paper's form is used here.) */
static double ramp(double r, double alpha, double beta) {
  if (r < alpha) return 0;
  if (r > beta) return 1;
  return (r - alpha) / (beta - alpha);
}

void ctxlab_transformer_rope_theta(const ctxlab_model_config *c, double *theta) {
  uint32_t hd = c->d_model / c->n_head;
  double s = c->rope_factor, base = c->rope_base;
  /* NTK-aware (bloc97 2023; YaRN paper eq. 16): b' = b s^(hd / (hd - 2)),
   * which leaves theta_0 = 1 and divides the slowest pair's frequency by s. */
  if (c->rope_scaling == CTXLAB_ROPE_SCALING_NTK) base *= pow(s, (double)hd / (double)(hd - 2));
  for (uint32_t j = 0; j < hd / 2; ++j) {
    double th = pow(base, -2.0 * (double)j / (double)hd);
    switch (c->rope_scaling) {
    case CTXLAB_ROPE_SCALING_PI:
      /* Position interpolation (Chen, Wong, Chen, Tian 2023, arXiv 2306.15595):
       * position p becomes p / s, the same as theta / s. */
      th /= s;
      break;
    case CTXLAB_ROPE_SCALING_NTK_BY_PARTS:
    case CTXLAB_ROPE_SCALING_YARN: {
      /* YaRN eq. 18: theta' = ((1 - gamma) / s + gamma) theta. */
      double g = ramp((double)c->context * th / (2 * M_PI), c->yarn_alpha, c->yarn_beta);
      th *= (1 - g) / s + g;
      break;
    }
    default:
      break;
    }
    theta[j] = th;
  }
}

double ctxlab_transformer_logit_multiplier(const ctxlab_model_config *c, uint32_t layer,
                                           size_t n_keys) {
  double t = 1;
  if (c->rope_scaling == CTXLAB_ROPE_SCALING_YARN && c->rope_factor > 1) {
    /* YaRN eq. 22: sqrt(1/t) = 0.1 ln s + 1.  The reference code multiplies
     * both cos and sin caches (so q and k) by mscale = 0.1 ln s + 1, hence the
     * logits by mscale^2 (reference notes seeds-abf-geometry.md §1.2). */
    double mscale = 0.1 * log(c->rope_factor) + 1;
    t = mscale * mscale;
  }
  if (layer < c->logit_scaling_skip_layers || c->logit_scaling == CTXLAB_LOGIT_SCALING_NONE)
    return t;
  double logn = log((double)n_keys) / log((double)c->context);
  if (c->logit_scaling == CTXLAB_LOGIT_SCALING_EABF)
    /* Entropy-aware ABF (Zhang, Li, Liu 2024, arXiv 2401.07004, §3 and
     * patch/EABF.py): lambda = max(1, ln n / ln L) for a query seeing n keys. */
    return t * (logn > 1 ? logn : 1);
  /* log-n scaling (Chiang & Cholak 2022, arXiv 2202.12172; Su 2021,
   * kexue.fm/archives/8823) relative to the training length: lambda = log_L n
   * for every n, below 1 inside the training window. */
  return t * logn;
}
