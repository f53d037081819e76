"""Exact theory of order-k Markov chains cross-checked with numpy.

tests/tools/markov_theory_dump computes pi, the entropy rate, H(c) and I(d)
with the library; here numpy recomputes them independently on the dense
lifted matrix Q (Q[s, (s*V + x) mod V^k] = P[s, x]):
  pi    least-squares solve of pi (Q - I) = 0 with sum(pi) = 1, checked against
        the eigenvector of Q^T for the eigenvalue closest to 1
  H(c)  block laws of c + 1 tokens by marginalising pi over its older tokens
        (c + 1 <= k) or extending it with P (c + 1 > k), then
        H(c) = H(block of c + 1) - H(block of c), for c up to k + 2; beyond,
        the entropy rate sum_s pi(s) H(P(.|s))
  I(d)  joint law of (X_t, X_{t+d}) = M^T diag(pi) Q^d M, where M maps a lifted
        state to its last token, with numpy.linalg.matrix_power
and the temperature tuning is checked by the entropy rate of the returned
table (pi by numpy) and by the table being D^beta row-normalised.
"""
import json
import os
import subprocess

import numpy as np

from ctxlab_testlib import TOOLS, assert_close, check, main, tool

TOL = 1e-10  # bits


def dump(V, k, P, L=12, method="auto", threads=0):
    spec = {"V": V, "k": k, "P": np.asarray(P).ravel().tolist(), "L": L, "method": method,
            "threads": threads}
    return json.loads(tool("markov_theory_dump", [], input_text=json.dumps(spec)))


def lifted(V, k, P):
    n = V ** k
    Q = np.zeros((n, n))
    for s in range(n):
        for x in range(V):
            Q[s, (s * V + x) % n] += P[s, x]
    return Q


def numpy_stationary(Q):
    n = Q.shape[0]
    A = np.vstack([Q.T - np.eye(n), np.ones((1, n))])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(A, b, rcond=None)[0]
    w, vecs = np.linalg.eig(Q.T)
    v = np.real(vecs[:, np.argmin(np.abs(w - 1.0))])
    assert_close(pi, v / v.sum(), 1e-12, "least squares vs eigenvector")
    return pi


def entropy_bits(p):
    p = np.asarray(p).ravel()
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def block_law(V, k, P, pi, m):
    """Law of m consecutive tokens, axes oldest first."""
    if m <= k:
        return pi.reshape((V,) * k).sum(axis=tuple(range(k - m))) if k else pi.reshape(())
    law = pi.reshape((V,) * k) if k else pi.reshape(())
    rows = P.reshape((V,) * (k + 1))  # rows[s_1..s_k, x]
    for length in range(k, m):
        # extend by one token: p(w x) = p(w) P(x | last k tokens of w)
        extra = (1,) * (length - k)
        law = law[..., np.newaxis] * rows.reshape(extra + rows.shape)
    return law


def numpy_curves(V, k, P, pi, L):
    """H(c) from explicit block laws while they have at most ~1e5 entries and
    c <= k + 2 (enough to see H(c) = h set in at c = k); beyond, H(c) is the
    entropy rate h (Markov property), itself computed as sum pi(s) H(P(.|s))."""
    rate = float(sum(pi[s] * entropy_bits(P[s]) for s in range(V ** k)))
    explicit = [c for c in range(min(L, k + 2) + 1) if V ** (c + 1) <= 100000]
    block_H = [0.0] + [entropy_bits(block_law(V, k, P, pi, m))
                       for m in range(1, len(explicit) + 1)]
    H = [block_H[c + 1] - block_H[c] for c in explicit]
    H += [rate] * (L + 1 - len(H))
    I = []
    if k == 0:
        return rate, H, [0.0] * L
    Q = lifted(V, k, P)
    n = V ** k
    M = np.zeros((n, V))
    M[np.arange(n), np.arange(n) % V] = 1.0
    for d in range(1, L + 1):
        J = M.T @ (pi[:, None] * np.linalg.matrix_power(Q, d)) @ M
        pa, pb = J.sum(axis=1), J.sum(axis=0)
        mask = J > 0
        I.append(float((J[mask] * np.log2(J[mask] / np.outer(pa, pb)[mask])).sum()))
    return rate, H, I


def random_table(rng, V, k, alpha=1.0):
    return rng.dirichlet(np.full(V, alpha), size=V ** k)


CASES = [(2, 0), (3, 0), (2, 1), (5, 1), (2, 2), (3, 2), (4, 2), (2, 3), (3, 3), (2, 5)]


@check
def random_chains_match_numpy():
    rng = np.random.default_rng(20240501)
    for V, k in CASES:
        for alpha in (1.0, 0.3):
            P = random_table(rng, V, k, alpha)
            out = dump(V, k, P)
            pi = numpy_stationary(lifted(V, k, P))
            what = "V=%d k=%d alpha=%g" % (V, k, alpha)
            assert_close(out["pi"], pi, 1e-12, what + " pi")
            rate, H, I = numpy_curves(V, k, P, pi, 12)
            assert_close(out["entropy_rate_bits"], rate, TOL, what + " entropy rate")
            assert_close(out["H"], H, TOL, what + " H(c)")
            assert_close(out["I"], I, TOL, what + " I(d)")


@check
def gth_and_power_match_numpy():
    """Both stationary solvers on one mid-size chain (256 states)."""
    rng = np.random.default_rng(7)
    V, k = 2, 8
    P = random_table(rng, V, k)
    pi = numpy_stationary(lifted(V, k, P))
    for method in ("gth", "power"):
        out = dump(V, k, P, L=4, method=method)
        assert_close(out["pi"], pi, 1e-12, method + " pi")
        assert out["residual"] <= 1e-14, out["residual"]


@check
def thread_counts_agree():
    rng = np.random.default_rng(8)
    P = random_table(rng, 3, 3)
    outs = [dump(3, 3, P, L=20, threads=t) for t in (1, 2, 4)]
    for out in outs[1:]:
        assert out["H"] == outs[0]["H"] and out["I"] == outs[0]["I"]


@check
def reducible_chain_is_refused():
    # order 2 over {0, 1}: [0 0] and [1 1] absorb
    P = np.array([[1.0, 0.0], [0.5, 0.5], [0.5, 0.5], [0.0, 1.0]])
    spec = {"V": 2, "k": 2, "P": P.ravel().tolist()}
    proc = subprocess.run([os.path.join(TOOLS, "markov_theory_dump")], input=json.dumps(spec),
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.returncode
    assert "block [0 0] cannot reach block [0 1]" in proc.stderr, proc.stderr


def tune(V, k, logD, target):
    spec = {"V": V, "k": k, "L": 2, "target_bits": target,
            "logD": [None if np.isneginf(v) else float(v) for v in np.asarray(logD).ravel()]}
    return json.loads(tool("markov_theory_dump", [], input_text=json.dumps(spec)))


@check
def temperature_tuning_hits_target():
    rng = np.random.default_rng(9)
    for V, k in [(2, 3), (3, 2), (4, 1), (6, 0)]:
        logD = np.log(random_table(rng, V, k, 0.5))
        if V == 3:
            logD[0, 1] = -np.inf  # one zero entry
        for frac in (0.15, 0.5, 0.85):
            target = frac * np.log2(V)
            out = tune(V, k, logD, target)
            P = np.asarray(out["P"]).reshape(V ** k, V)
            beta = out["beta"]
            expected = np.exp(beta * (logD - logD.max(axis=1, keepdims=True)))
            expected /= expected.sum(axis=1, keepdims=True)
            assert_close(P, expected, 1e-12, "V=%d k=%d: P = D^beta normalised" % (V, k))
            pi = numpy_stationary(lifted(V, k, P))
            rate = float(sum(pi[s] * entropy_bits(P[s]) for s in range(V ** k)))
            assert abs(rate - target) <= 1e-9, (V, k, target, rate, beta)


@check
def temperature_beta_zero_is_uniform():
    rng = np.random.default_rng(10)
    logD = np.log(random_table(rng, 3, 2))
    out = tune(3, 2, logD, float(np.log2(3)))
    assert out["beta"] == 0.0
    assert_close(out["P"], np.full(27, 1.0 / 3.0), 0.0, "uniform rows")


if __name__ == "__main__":
    main()
