"""The n-gram loss predicted before training (ctxlab/predict.h, through
tests/tools/ngram_predict) against scipy and against trained models.

Expected values: E[ln(k + a)] from scipy.stats.binom probabilities summed here
over the whole support; measured losses from `ctxlab train --model ngram`
(eval.last_loss_bits, the loss at the model's full context c), averaged over
seeds, with the standard error of that mean from the seed-to-seed spread.
"""
import json
import os

import numpy as np
from scipy import stats

from ctxlab_testlib import check, main, run_json, tool

SANITIZE = os.environ.get("CTXLAB_SANITIZE", "").upper() in ("ON", "1", "TRUE")
SEEDS = range(1, 4 if SANITIZE else 7)


def predict(spec, orders, D, *extra):
    out = tool("ngram_predict", [spec, ",".join(map(str, orders)), D] + list(extra))
    return json.loads(out)


def measure(spec, c, D, kn=False):
    """Mean over seeds of (loss at context c, KL at context c), and their standard errors."""
    loss, kl = [], []
    for s in SEEDS:
        args = ["train", spec, "--model", "ngram", "--context", c, "--train-tokens", D,
                "--seed", s, "--eval-tokens", 65536, "--threads", 1, "-q"]
        if kn:
            args += ["--smoothing", "kneser-ney"]
        e = run_json(args)["eval"]
        loss.append(e["last_loss_bits"])
        kl.append(e["kl_by_context_bits"][-1] if c > 0 else float("nan"))
    loss, kl = np.array(loss), np.array(kl)
    se = lambda v: v.std(ddof=1) / np.sqrt(len(v))
    return loss.mean(), se(loss), kl.mean(), se(kl)


@check
def binomial_log_matches_scipy():
    # cases on both sides of the switch at variance 100 (exact sum below, moment series above)
    for N, q in [(1, 0.3), (40, 0.05), (1000, 0.09), (1000, 0.13), (50000, 0.5), (10**7, 2e-5),
                 (10**6, 0.999)]:
        a = [0.01, 0.5, 3.0]
        got = [float(x) for x in tool("ngram_predict", ["--binomial-log", N, q] + a).split()]
        k = np.arange(N + 1) if N <= 10**6 else np.arange(0, int(N * q + 60 * np.sqrt(N * q)) + 60)
        pmf = stats.binom.pmf(k, N, q)
        for ai, g in zip(a, got):
            want = float(np.sum(pmf * np.log(k + ai)) / np.sum(pmf))
            assert abs(g - want) <= 1e-10 * max(1.0, abs(want)), (N, q, ai, g, want)


def loss_agrees(spec, cases, kn=False, kl_from=None):
    """Predicted loss within 4 standard errors of the measured mean for each (c, D); the
    KL too for c >= kl_from (where the binomial model of dependent windows holds well)."""
    for c, D in cases:
        p = predict(spec, [c], D, *(["--kneser-ney"] if kn else []))["predictions"][0]
        loss, loss_se, kl, kl_se = measure(spec, c, D, kn)
        se = np.hypot(loss_se, np.hypot(p["bayes_stderr_bits"], p["approx_stderr_bits"]))
        assert abs(loss - p["loss_bits"]) <= 4 * se, (spec, c, D, loss, loss_se, p)
        if kl_from is not None and c >= kl_from:
            se = np.hypot(kl_se, p["approx_stderr_bits"])
            assert abs(kl - p["approx_bits"]) <= 4 * se, (spec, c, D, kl, kl_se, p)


@check
def weather_add_beta_loss():
    # markov order 1 over 3 tokens; order 0 compares the loss only (the eval's order-0 oracle)
    loss_agrees("weather", [(0, 3000), (1, 300), (2, 3000), (3, 1000)])


@check
def two_facts_add_beta_loss_and_kl():
    # latent, 2 chains (4 tokens); at orders 1-2 the slow chain makes the window counts
    # overdispersed compared with the binomial model, so the KL is compared from order 3 on
    loss_agrees("two-facts", [(2, 10000), (3, 10000), (4, 10000), (5, 100000)], kl_from=3)


@check
def two_facts_kneser_ney_loss():
    # low orders, where the Kneser-Ney approximation (true lower-order law) is close
    loss_agrees("two-facts", [(0, 3000), (2, 30000), (4, 30000)], kn=True)


def optimal_order_agrees(spec, orders, Ds, kn=False):
    """Predicted c*(D) = argmin of the predicted loss; measured c*(D) = argmin over the
    grid of the mean measured loss; equal within one grid step."""
    for D in Ds:
        pred = predict(spec, orders, D, *(["--kneser-ney"] if kn else []))
        measured = [measure(spec, c, D, kn)[0] for c in orders]
        cm = int(np.argmin(measured))
        cp = orders.index(pred["best_order"])
        assert abs(cm - cp) <= 1, (spec, D, orders[cm], pred["best_order"], measured,
                                   [p["loss_bits"] for p in pred["predictions"]])


@check
def optimal_order_weather():
    optimal_order_agrees("weather", [0, 1, 2, 3, 4], [300, 3000])


@check
def optimal_order_two_facts():
    optimal_order_agrees("two-facts", [1, 2, 3, 4, 5, 6],
                         [1000, 10000] if SANITIZE else [1000, 10000, 100000])


@check
def optimal_order_two_facts_kneser_ney():
    optimal_order_agrees("two-facts", [0, 2, 4, 6], [3000, 30000], kn=True)


@check
def methods_and_determinism():
    a = predict("two-facts", [2, 8], 5000, "--threads", 1)
    b = predict("two-facts", [2, 8], 5000, "--threads", 2)
    assert a == b
    assert [p["method"] for p in a["predictions"]] == ["exact", "monte-carlo"]
    assert a["predictions"][1]["approx_stderr_bits"] > 0


main()
