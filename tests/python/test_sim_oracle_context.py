"""The eval's oracle sees exactly what the model sees.

An n-gram of order c and an mlp of window c see only the last min(t+1, c)
tokens before position t, so their loss is compared with P_c and their KL is
KL(P_c || Q_c) (SCIENCE.md §1: loss(c) = H(c) + KL(P_c || Q_c)).  The
transformer and the rnn see the whole prefix.

Expected values are computed here with numpy from explicit transition tables:
the stationary law of the (lifted) chain, the block laws P_c(x | last c tokens)
and their Bayes risks H(c) = E[-log2 P_c(x)] with the variance of -log2 P_c(x)
(for the 4-standard-error bounds on window means; windows are independent
sequences, each started from stationarity, so position t's token and its
context are drawn from the stationary block law).  The order-0 n-gram's Q_0 is
the add-beta formula of the README applied to counts made here with numpy from
the training stream (`ctxlab gen SPEC --seed S -n D` is that stream).  The
chains are in markov_blocks.py.
"""
import os

import numpy as np

from ctxlab_testlib import check, main, run, run_json, tempdir
from markov_blocks import P1, P2, bayes_risk, block_laws, spec

SANITIZED = os.environ.get("CTXLAB_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES")


@check
def order0_ngram_is_compared_with_P0():
    S = spec(P1, 1)
    joint = block_laws(P1, 1)
    P0 = joint[0]
    H0, sd0 = bayes_risk(joint, 3, 0)
    H1, _ = bayes_risk(joint, 3, 1)
    D, beta = 20000, 0.5
    with tempdir() as d:
        stream = os.path.join(d, "train.npy")
        run(["gen", S, "-n", str(D), "--seed", "4", "-o", stream, "--quiet"])
        counts = np.bincount(np.load(stream), minlength=3)
        r = run_json(["train", S, "--model", "ngram", "--context", "0", "--train-tokens", str(D),
                      "--seed", "4", "--beta", str(beta), "--eval-context", "3",
                      "--eval-tokens", "60000", "--quiet"])
    Q0 = (counts + beta) / (D + 3 * beta)   # README: add-beta at order 0
    kl_exact = float(np.sum(P0 * np.log2(P0 / Q0)))
    ev = r["eval"]
    W = ev["windows"]
    bayes = np.array(ev["bayes_by_context_bits"])
    kl = np.array(ev["kl_by_context_bits"])
    loss = np.array(ev["loss_by_context_bits"])
    se = np.array(ev["stderr_loss_by_context_bits"])
    print("H(0) %.4f H(1) %.4f  bayes %s  KL(P0||Q0) %.3g  kl %s" % (H0, H1, bayes, kl_exact, kl))
    # every position sees 0 tokens: the oracle is P_0 and its mean surprisal H(0)
    # (before the fix: the whole prefix, i.e. H(1), 0.25 bits away: over 100 standard errors)
    assert np.all(np.abs(bayes - H0) < 4 * sd0 / np.sqrt(W)), (bayes, H0, sd0 / np.sqrt(W))
    # Q_0 is the same for every window, so the KL is exactly KL(P_0 || Q_0) (logits are
    # float ln Q: ~1e-7 relative)
    assert np.all(np.abs(kl - kl_exact) < 1e-6), (kl, kl_exact)
    # loss - H(0) estimates the same KL (noise: the loss's standard error)
    assert np.all(np.abs(loss - H0 - kl) < 4 * se), (loss - H0, kl, se)


@check
def window_models_and_whole_prefix_models():
    """On an order-2 chain, evaluated on windows of 4: a window-1 mlp is compared with
    P_1 at every position, the rnn with P_min(c, 2) (its whole prefix).  The models are
    barely trained (1 step): only the oracle's side is checked.  Fewer windows under the
    sanitizers (the rnn's eval is 25x slower there)."""
    S = spec(P2, 2)
    joint = block_laws(P2, 2)
    H = [bayes_risk(joint, 3, c) for c in range(3)]
    T, W = 4, 5000 if SANITIZED else 20000
    # the context each position's oracle is given: c = 1..T capped at what the model sees
    for kind, seen in (("mlp", [1] * T), ("rnn", [1] + [2] * (T - 1))):
        r = run_json(["train", S, "--model", kind, "--context", "1", "--steps", "1", "--batch", "2",
                      "--eval-context", str(T), "--eval-tokens", str(T * W), "--quiet"])
        ev = r["eval"]
        bayes = np.array(ev["bayes_by_context_bits"])
        want = np.array([H[c][0] for c in seen])
        bound = 4 * np.array([H[c][1] for c in seen]) / np.sqrt(ev["windows"])
        print("%s: bayes %s, expected %s" % (kind, bayes, want))
        assert np.all(np.abs(bayes - want) < bound), (kind, bayes, want, bound)
    # the wrong oracle would be caught: H(1) - H(2) exceeds the 4-standard-error bound by
    # another 4 standard errors
    assert H[1][0] - H[2][0] > 8 * H[1][1] / np.sqrt(W), H


if __name__ == "__main__":
    main()
