"""summary.json's "fits" of `ctxlab sweep`, recomputed here independently.

Expected values come from: scipy.optimize.curve_fit of C0 + C c^-gamma on
the exact H(c) of `ctxlab theory` and on the seed-mean measured losses; the
curve_fit of A D^-alpha with relative errors (sigma = KL, absolute_sigma=False); and, for the uniform-weight two-facts language, the exact entropy
relation H(0) - H(c) = S(c) / d with d = 2 (SCIENCE.md section 5).
"""
import numpy as np
from scipy.optimize import curve_fit

from ctxlab_testlib import check, main, run_json
from sweep_testlib import SANITIZE, sweep_once

CONTEXTS = [0, 1, 2, 3, 4, 5, 6]
SIZES = [1000, 10000, 100000] if SANITIZE else [1000, 10000, 100000, 1000000]
EXP = {"language": "two-facts",
       "models": [{"model": "ngram", "smoothing": "add-beta", "beta": 0.5}],
       "grid": {"context": CONTEXTS, "train_tokens": SIZES, "seed": [1, 2]},
       "eval_tokens": 4096}

sweep_run = sweep_once(EXP, "sweep")


def offset_power(c, C0, C, gamma):
    return C0 + C * np.power(c, -gamma)


def seed_mean(lines, key, context, size):
    return np.mean([l["measured"][key] for l in lines
                    if l["context"] == context and l["train_tokens"] == size])


def params(fit, names):
    return np.array([fit["params"][n] for n in names])


@check
def bayes_fit_is_curve_fit_on_the_exact_entropy():
    fits = sweep_run()["summary"]["fits"]
    H = run_json(["theory", "two-facts", "--max-context", str(max(CONTEXTS))])
    h = np.array(H["conditional_entropy"]["bits"])
    c = np.arange(1, len(h), dtype=float)
    popt, pcov = curve_fit(offset_power, c, h[1:], p0=(h[-1], h[1] - h[-1], 1.0), maxfev=20000)
    got = fits["bayes_exact"]
    assert got["form"] == "C0 + C*c^-gamma" and got["points"] == len(c)
    np.testing.assert_allclose(params(got, ["C0", "C", "gamma"]), popt, rtol=1e-6)
    np.testing.assert_allclose([got["stderr"][n] for n in ["C0", "C", "gamma"]],
                               np.sqrt(np.diag(pcov)), rtol=1e-4)


@check
def approx_fit_is_curve_fit_with_relative_errors():
    run = sweep_run()
    lines, fits = run["lines"], run["summary"]["fits"]["approx_vs_data"]
    assert {f["context"] for f in fits} == set(CONTEXTS), [f["context"] for f in fits]
    D = np.array(SIZES, dtype=float)
    for f in fits:
        kl = np.array([seed_mean(lines, "kl_bits", f["context"], d) for d in SIZES])
        # the start from the log-log line, so that curve_fit finds the same minimum
        slope, intercept = np.polyfit(np.log(D), np.log(kl), 1)
        popt, pcov = curve_fit(lambda x, A, alpha: A * np.power(x, -alpha), D, kl,
                               p0=(np.exp(intercept), -slope), sigma=kl, absolute_sigma=False,
                               maxfev=20000, xtol=1e-15, ftol=1e-15, gtol=1e-15)
        assert f["form"] == "A*D^-alpha" and f["points"] == len(SIZES)
        np.testing.assert_allclose([f["params"]["A"], f["params"]["alpha"]], popt, rtol=1e-6)
        np.testing.assert_allclose([f["stderr"]["A"], f["stderr"]["alpha"]],
                                   np.sqrt(np.diag(pcov)), rtol=1e-4)


@check
def loss_fit_runs_over_contexts_up_to_the_measured_optimum():
    run = sweep_run()
    lines, fits = run["lines"], run["summary"]["fits"]["loss_vs_context"]
    by_size = {f["train_tokens"]: f for f in fits}
    fitted = 0
    for d in SIZES:
        means = [seed_mean(lines, "loss_bits", c, d) for c in CONTEXTS]
        best = CONTEXTS[int(np.argmin(means))]
        cs = [c for c in CONTEXTS if 1 <= c <= best]
        if len(cs) < 4:  # three parameters need at least four points
            assert d not in by_size, (d, cs)
            continue
        y = np.array([means[CONTEXTS.index(c)] for c in cs])
        popt, _ = curve_fit(offset_power, np.array(cs, float), y,
                            p0=(y[-1], y[0] - y[-1], 1.0), maxfev=20000)
        np.testing.assert_allclose(params(by_size[d], ["C0", "C", "gamma"]), popt, rtol=1e-5)
        fitted += 1
    assert fitted >= 1, "no training-set size reached an optimum of 4 or more"


@check
def entropy_relation_is_exact_for_uniform_weights():
    lin = sweep_run()["summary"]["fits"]["entropy_linear"]
    assert abs(lin["params"]["k"] - 0.5) <= 1e-9 and abs(lin["params"]["b"]) <= 1e-9, lin


if __name__ == "__main__":
    main()
