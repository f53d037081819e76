"""`ctxlab theory` against numpy, computed here from the definitions.

Markov: pi from numpy.linalg.eig of the lifted transition matrix, H(c) from
block laws, I(d) from numpy.linalg.matrix_power.  Latent: the closed forms of
SCIENCE.md section 5 evaluated with numpy directly (O(L^2 d) sums for small
cases).  Bipartite MI from its definition I(X_{1:m}; X_{m+1:2m}) =
sum_{i=1..m} [H(i-1) - H(m+i-1)], and the exponent by numpy.polyfit.
"""
import json
import os

import numpy as np

from ctxlab_testlib import TEST_DATA, assert_close, check, main, run_json


def entropy_bits(p):
    p = np.asarray(p, dtype=float).ravel()
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def lifted(P, V, k):
    """Lifted transition matrix on k-blocks (base-V index, oldest most significant)."""
    n = V ** k
    T = np.zeros((n, n))
    for s in range(n):
        for x in range(V):
            T[s, (s * V + x) % n] += P[s][x]
    return T


def stationary(T):
    w, v = np.linalg.eig(T.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    return pi / pi.sum()


def markov_truth(P, V, k, L):
    P = np.asarray(P, dtype=float)
    n = V ** k
    T = lifted(P, V, k) if k > 0 else np.ones((1, 1))
    pi = stationary(T) if k > 0 else np.ones(1)
    joint = (pi[:, None] * P).reshape(V ** (k + 1))  # law of (k+1)-blocks
    H = []
    for c in range(L + 1):
        if c >= k:
            H.append(float(sum(pi[s] * entropy_bits(P[s]) for s in range(n))))
            continue
        # law of (c+1)-blocks: marginalise the (k+1)-block law onto its last c+1 tokens
        blocks = joint.reshape(V ** (k - c), V ** (c + 1)).sum(axis=0)
        ctx = blocks.reshape(V ** c, V).sum(axis=1)
        H.append(entropy_bits(blocks) - entropy_bits(ctx))
    # I(d): joint of the last token of the state at t and at t + d
    last = np.arange(n) % V
    I = []
    for d in range(1, L + 1):
        Td = np.linalg.matrix_power(T, d) if k > 0 else None
        J = np.zeros((V, V))
        if k == 0:
            J = np.outer(P[0], P[0])
        else:
            for s in range(n):
                for s2 in range(n):
                    J[last[s], last[s2]] += pi[s] * Td[s, s2]
        I.append(entropy_bits(J.sum(1)) + entropy_bits(J.sum(0)) - entropy_bits(J))
    return np.array(H), np.array(I)


def g_bits(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (1 + x) * np.log1p(x)
        b = np.where(x < 1, (1 - x) * np.log1p(-np.minimum(x, 1 - 1e-300)), 0.0)
    return (a + b) / (2 * np.log(2))


def latent_truth(w, rho, eps, L):
    """SCIENCE.md section 5, evaluated term by term."""
    w, r = np.asarray(w, float), 1 - 2 * np.asarray(rho, float)
    Hw = entropy_bits(w)
    a = np.arange(1, L + 1)[:, None]                     # ages 1..L (rows)
    terms = w * (1 - w) ** (a - 1) * g_bits(r ** a)      # (L, d)
    S = np.concatenate([[0.0], np.cumsum(terms.sum(axis=1))])
    cum = np.vstack([np.zeros(len(w)), np.cumsum(terms, axis=0)])
    H = Hw + 1 - (w * cum).sum(axis=1)
    # H(c) = H(w) + sum_j w_j [ sum_a w_j(1-w_j)^(a-1) h2(q) + (1-w_j)^c ]
    #      = H(w) + 1 - sum_j w_j B_j(c)  with B_j(c) = sum_a w_j (1-w_j)^(a-1) g(r^a)
    I = (w ** 2 * g_bits((1 - 2 * eps) ** 2 * r ** a)).sum(axis=1)
    return H, I, S


def bipartite(H, L):
    return np.array([sum(H[i - 1] - H[m + i - 1] for i in range(1, m + 1))
                     for m in range(1, L // 2 + 1)])


def curve(t, name):
    return np.array(t[name]["bits"])


@check
def markov_weather():
    P = [[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.2, 0.3, 0.5]]
    t = run_json(["theory", "weather", "--max-context", "12"])
    H, I = markov_truth(P, 3, 1, 12)
    assert_close(curve(t, "conditional_entropy"), H, 1e-12, "weather H")
    assert_close(curve(t, "mutual_information"), I, 1e-12, "weather I")
    assert_close(curve(t, "bipartite_mutual_information"), bipartite(H, 12), 1e-12, "weather I_BP")
    assert abs(t["entropy_rate_bits"] - H[-1]) < 1e-12


@check
def markov_order2_from_file():
    path = os.path.join(os.path.dirname(TEST_DATA), "examples", "markov-order2.json")
    with open(path) as f:
        spec = json.load(f)
    t = run_json(["theory", path, "--max-context", "8"])
    H, I = markov_truth(spec["transitions"], 2, 2, 8)
    assert_close(curve(t, "conditional_entropy"), H, 1e-12, "order-2 H")
    assert_close(curve(t, "mutual_information"), I, 1e-12, "order-2 I")


@check
def latent_two_facts():
    t = run_json(["theory", "two-facts", "--max-context", "40"])
    rho = [(1 - np.exp(-1 / 4)) / 2, (1 - np.exp(-1 / 64)) / 2]
    H, I, S = latent_truth([0.5, 0.5], rho, 0.0, 40)
    assert_close(curve(t, "conditional_entropy"), H, 1e-12, "two-facts H")
    assert_close(curve(t, "mutual_information"), I, 1e-12, "two-facts I")
    assert_close(curve(t, "intrinsic_entropy"), S, 1e-12, "two-facts S")
    # uniform weights: H(0) - H(c) = S(c)/d exactly
    assert_close(H[0] - curve(t, "conditional_entropy"), curve(t, "intrinsic_entropy") / 2, 1e-13,
                 "linear entropy relation")
    assert t["intrinsic_dimension"] == 2


@check
def latent_noisy_mutual_information():
    spec = {"family": "latent", "chains": 5, "flip": [0.01, 0.05, 0.1, 0.2, 0.4],
            "weights": [5, 4, 3, 2, 1], "noise": 0.15}
    t = run_json(["theory", json.dumps(spec), "--max-context", "30", "--samples", "200"])
    w = np.array(spec["weights"], float) / 15
    _, I, _ = latent_truth(w, spec["flip"], 0.15, 30)
    assert_close(curve(t, "mutual_information"), I, 1e-12, "noisy I")
    # the lower bound on the rate: H(w) + sum_j w_j h2(rho(1-eps) + (1-rho) eps)
    rho = np.array(spec["flip"])
    delta = rho * 0.85 + (1 - rho) * 0.15
    lower = entropy_bits(w) + float((w * [entropy_bits([q, 1 - q]) for q in delta]).sum())
    assert abs(t["entropy_rate_lower_bits"] - lower) < 1e-12


@check
def santa_fe_exponent():
    L = 4096
    t = run_json(["theory", "santa-fe", "--max-context", str(L)])
    d = 1024
    w = np.arange(1, d + 1) ** (-4 / 3)
    w /= w.sum()
    rho = np.full(d, -np.expm1(-1e-6) / 2)
    # H(c) by the O(L d) recurrence, written here with numpy
    r, pw, B, x = 1 - 2 * rho, np.ones(d), np.zeros(d), np.ones(d)
    H = [entropy_bits(w) + 1]
    for c in range(1, L + 1):
        x = x * r
        B += w * pw * g_bits(x)
        pw *= 1 - w
        H.append(entropy_bits(w) + 1 - float((w * B).sum()))
    H = np.array(H)
    assert_close(curve(t, "conditional_entropy"), H, 1e-10, "santa-fe H")
    bip = np.array(curve(t, "bipartite_mutual_information"))
    lengths = np.array(t["bipartite_mutual_information"]["length"])
    pick = np.isin(lengths, [256, 512, 1024, 2048, 4096])
    beta, _ = np.polyfit(np.log2(lengths[pick]), np.log2(bip[pick]), 1)
    fit = t["bipartite_exponent"]
    assert (fit["length_min"], fit["length_max"]) == (256, 4096)
    assert abs(fit["exponent"] - beta) < 1e-9, (fit["exponent"], beta)
    assert abs(beta - 0.7505) < 5e-4  # the value the preset states


if __name__ == "__main__":
    main()
