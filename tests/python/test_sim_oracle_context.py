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
the training stream (`ctxlab gen SPEC --seed S -n D` is that stream).
"""
import json
import os

import numpy as np

from ctxlab_testlib import check, main, run, run_json, tempdir

# order 1 over V = 3, and order 2 over V = 3 (rows: previous tokens as a base-3
# number, oldest most significant); all entries positive, so both are irreducible
P1 = np.array([[0.7, 0.2, 0.1],
               [0.1, 0.6, 0.3],
               [0.3, 0.3, 0.4]])
P2 = np.array([[0.80, 0.10, 0.10], [0.10, 0.80, 0.10], [0.10, 0.10, 0.80],
               [0.50, 0.25, 0.25], [0.20, 0.60, 0.20], [0.05, 0.05, 0.90],
               [0.60, 0.30, 0.10], [0.30, 0.30, 0.40], [0.15, 0.70, 0.15]])


def spec(P, order):
    return json.dumps({"family": "markov", "vocab": 3, "order": order,
                       "transitions": P.tolist()})


def stationary(M):
    """Left Perron vector of a row-stochastic matrix, normalised."""
    w, v = np.linalg.eig(M.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    return pi / pi.sum()


def block_laws(P, V, k):
    """joint[c] (V^(c+1),): the stationary law of c+1 consecutive tokens, c = 0..k,
    oldest token most significant in the index."""
    # the lifted chain on V^k states (the last k tokens)
    S = V ** k
    M = np.zeros((S, S))
    for s in range(S):
        for x in range(V):
            M[s, (s * V + x) % S] += P[s, x]
    pi_k = stationary(M)
    top = (pi_k[:, None] * P).reshape(-1)   # law of k+1 tokens
    joint = {k: top}
    for c in range(k - 1, -1, -1):          # marginalise the oldest token away
        joint[c] = joint[c + 1].reshape(V, -1).sum(axis=0)
    return joint


def bayes_risk(joint, V, c):
    """(H(c), sd of -log2 P_c(x)) from the law of c+1 tokens."""
    j = joint[c].reshape(-1, V)             # (history, next)
    cond = j / j.sum(axis=1, keepdims=True)
    surprisal = -np.log2(cond)
    H = float((j * surprisal).sum())
    return H, float(np.sqrt((j * (surprisal - H) ** 2).sum()))


@check
def order0_ngram_is_compared_with_P0():
    S = spec(P1, 1)
    joint = block_laws(P1, 3, 1)
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
    barely trained (1 step): only the oracle's side is checked."""
    S = spec(P2, 2)
    joint = block_laws(P2, 3, 2)
    H = [bayes_risk(joint, 3, c) for c in range(3)]
    T = 4
    # the context each position's oracle is given: c = 1..T capped at what the model sees
    for kind, seen in (("mlp", [1] * T), ("rnn", [1] + [2] * (T - 1))):
        r = run_json(["train", S, "--model", kind, "--context", "1", "--steps", "1", "--batch", "2",
                      "--eval-context", str(T), "--eval-tokens", str(T * 20000), "--quiet"])
        ev = r["eval"]
        bayes = np.array(ev["bayes_by_context_bits"])
        want = np.array([H[c][0] for c in seen])
        bound = 4 * np.array([H[c][1] for c in seen]) / np.sqrt(ev["windows"])
        print("%s: bayes %s, expected %s" % (kind, bayes, want))
        assert np.all(np.abs(bayes - want) < bound), (kind, bayes, want, bound)
    # the two bounds separate: H(1) - H(2) is many standard errors
    assert H[1][0] - H[2][0] > 10 * H[1][1] / np.sqrt(20000), H


if __name__ == "__main__":
    main()
