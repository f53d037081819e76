"""The fits of include/ctxlab/fit.h against scipy.optimize.curve_fit.

Noisy points are generated here (numpy, fixed seeds) from the forms of
SCIENCE.md section 1; tests/tools/fit_tool fits them, and curve_fit fits the
same model with the same sigma convention (absolute_sigma=True with sigma;
residual-variance scaling without) and analytic Jacobians, with tolerances
tight enough that both solvers reach the same optimum.  Parameters and
standard errors must agree to 1e-6 relative.  Then the fits of exact curves
from `ctxlab theory`: the santa-fe preset's H(c) by C0 + C c^-gamma (R^2 > 0.99,
and again scipy's optimum), and the entropy relation of a uniform-weight latent
language (k = 1/d, b = 0: SCIENCE.md section 5).
"""
import json
import os
import subprocess

import numpy as np
from scipy.optimize import curve_fit

from ctxlab_testlib import TOOLS, check, main, run_json

REL = 1e-6


def offset_power(x, c0, c, g):
    return c0 + c * x ** -g


def offset_power_jac(x, c0, c, g):
    phi = x ** -g
    return np.stack([np.ones_like(x), phi, -c * np.log(x) * phi], axis=1)


def power(x, a, alpha):
    return a * x ** -alpha


def power_jac(x, a, alpha):
    phi = x ** -alpha
    return np.stack([phi, -a * np.log(x) * phi], axis=1)


def linear(x, k, b):
    return k * x + b


def linear_jac(x, k, b):
    return np.stack([x, np.ones_like(x)], axis=1)


# form name of fit_tool -> (model, Jacobian, parameter names in fit.h's order)
FORMS = {
    "offset-power": (offset_power, offset_power_jac, ["C0", "C", "gamma"]),
    "power": (power, power_jac, ["A", "alpha"]),
    "power-offset": (offset_power, offset_power_jac, ["C0", "A", "alpha"]),
    "linear": (linear, linear_jac, ["k", "b"]),
}


def fit_tool(form, x, y, sigma=None, expect_rc=0):
    cols = [x, y] if sigma is None else [x, y, sigma]
    text = "".join(" ".join(repr(float(v)) for v in row) + "\n" for row in zip(*cols))
    proc = subprocess.run([os.path.join(TOOLS, "fit_tool"), form], input=text,
                          capture_output=True, text=True)
    if proc.returncode != expect_rc:
        raise AssertionError("fit_tool %s: exit %d, expected %d: %s" %
                             (form, proc.returncode, expect_rc, proc.stderr))
    return json.loads(proc.stdout) if expect_rc == 0 else proc.stderr


def scipy_fit(form, x, y, sigma, p0):
    model, jac, _ = FORMS[form]
    p, cov = curve_fit(model, x, y, p0=p0, sigma=sigma, absolute_sigma=sigma is not None,
                       jac=jac, method="lm", ftol=1e-15, xtol=1e-15, gtol=1e-15, maxfev=100000)
    return p, np.sqrt(np.diag(cov)), cov


def rel_close(actual, expected, what, rel=REL):
    if not abs(actual - expected) <= rel * abs(expected):
        raise AssertionError("%s: %.17g vs scipy %.17g (relative %.3g > %.3g)" %
                             (what, actual, expected, abs(actual - expected) / abs(expected), rel))


def compare(form, x, y, sigma, p0):
    """fit_tool and curve_fit on the same points: parameters, errors, chi2, r2."""
    ours = fit_tool(form, x, y, sigma)
    names = FORMS[form][2]
    p, se, _ = scipy_fit(form, x, y, sigma, p0)
    for name, value, err in zip(names, p, se):
        rel_close(ours["params"][name], value, "%s %s" % (form, name))
        rel_close(ours["stderr"][name], err, "%s stderr %s" % (form, name))
    model = FORMS[form][0]
    w = np.ones_like(y) if sigma is None else 1 / np.asarray(sigma) ** 2
    r = y - model(x, *p)
    chi2 = float(np.sum(w * r * r))
    ybar = np.sum(w * y) / np.sum(w)
    rel_close(ours["chi2"], chi2, form + " chi2")
    rel_close(ours["r2"], 1 - chi2 / float(np.sum(w * (y - ybar) ** 2)), form + " r2", 1e-9)
    assert ours["points"] == len(x) and ours["dof"] == len(x) - len(names)
    return ours


CONTEXTS = np.arange(1, 65, dtype=float)   # c = 1..64
DATA = np.logspace(3, 7, 13)              # D = 10^3..10^7 (the demo's range)


@check
def bayes_risk_form_matches_scipy():
    # SCIENCE.md section 1's Llama-3.1 values, noise 0.02 bits, then weighted
    rng = np.random.default_rng(1)
    truth = offset_power(CONTEXTS, 1.95, 6.80, 0.587)
    sigma = 0.01 + 0.03 * rng.random(CONTEXTS.size)
    y = truth + rng.normal(0, 1, CONTEXTS.size) * sigma
    compare("offset-power", CONTEXTS, y, None, [2, 6, 0.5])
    compare("offset-power", CONTEXTS, y, sigma, [2, 6, 0.5])


@check
def rising_loss_vs_context_matches_scipy():
    # a model whose loss rises with context: gamma < 0
    rng = np.random.default_rng(2)
    y = offset_power(CONTEXTS, 1.0, 0.05, -0.5) + rng.normal(0, 0.01, CONTEXTS.size)
    ours = compare("offset-power", CONTEXTS, y, None, [1, 0.05, -0.5])
    assert ours["params"]["gamma"] < 0


@check
def approximation_loss_forms_match_scipy():
    rng = np.random.default_rng(3)
    clean = power(DATA, 300.0, 0.5)
    sigma = 0.05 * clean
    y = clean * (1 + 0.05 * rng.normal(0, 1, DATA.size))
    compare("power", DATA, y, None, [300, 0.5])
    compare("power", DATA, y, sigma, [300, 0.5])
    y = 0.1 + clean * (1 + 0.05 * rng.normal(0, 1, DATA.size))
    compare("power-offset", DATA, y, None, [0.1, 300, 0.5])
    compare("power-offset", DATA, y, 0.05 * (0.1 + clean), [0.1, 300, 0.5])


@check
def linear_matches_scipy():
    rng = np.random.default_rng(4)
    x = rng.random(30) * 5
    sigma = 0.1 + 0.2 * rng.random(30)
    y = 0.7 * x - 0.2 + rng.normal(0, 1, 30) * sigma
    compare("linear", x, y, None, [1, 0])
    compare("linear", x, y, sigma, [1, 0])


@check
def santa_fe_bayes_risk_fit():
    # the exact H(c), c = 1..256, of the santa-fe preset; the curve is not of
    # this form, so the check is the fit's quality, and scipy's optimum again
    truth = run_json(["theory", "santa-fe", "--max-context", 256])
    H = truth["conditional_entropy"]
    assert H["method"] == "exact"
    c, h = np.array(H["context"], float)[1:], np.array(H["bits"])[1:]
    ours = compare("offset-power", c, h, None, [h.min() - 0.1, h[0] - h.min(), 0.5])
    assert ours["r2"] > 0.99, ours
    assert ours["params"]["gamma"] > 0, ours


@check
def entropy_relation_of_uniform_latent():
    # SCIENCE.md section 5: uniform weights give H(0) - H(c) = S(c)/d exactly
    spec = ('{"family": "latent", "chains": 4, "timescales": {"min": 2, "max": 50},'
            ' "weights": "uniform", "noise": 0}')
    truth = run_json(["theory", spec, "--max-context", 64])
    d = truth["intrinsic_dimension"]
    assert d == 4
    h = np.array(truth["conditional_entropy"]["bits"])
    s = np.array(truth["intrinsic_entropy"]["bits"])
    ours = fit_tool("linear", s, h[0] - h)
    assert abs(ours["params"]["k"] - 1 / d) < 1e-9, ours
    assert abs(ours["params"]["b"]) < 1e-9, ours
    assert ours["points"] == 65


@check
def errors_name_the_problem():
    x = np.array([1.0, 2, 3])
    assert "3 points for 3 parameters" in fit_tool("offset-power", x, x, expect_rc=2)
    assert "point 1: x = 0" in fit_tool("power", np.array([1.0, 0, 3]), x, expect_rc=2)
    assert "sigma = -1" in fit_tool("linear", x, x, np.array([1.0, 1, -1]), expect_rc=2)
    c = np.arange(1, 33, dtype=float)
    assert "no convergence" in fit_tool("offset-power", c, np.log(c), expect_rc=1)


if __name__ == "__main__":
    main()
