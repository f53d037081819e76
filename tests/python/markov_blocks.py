"""Block laws of Markov chains given by explicit transition tables, in numpy
(for the tests that need H(c) and the spread of -log2 P_c(x) of a small chain).

A chain of order k over V tokens has a table P of V^k rows (the k previous
tokens as a base-V number, oldest most significant, as in a `transitions`
spec) by V columns.
"""
import json

import numpy as np

# order 1 over V = 3 and order 2 over V = 3; every entry positive, so both
# chains are irreducible
P1 = np.array([[0.7, 0.2, 0.1],
               [0.1, 0.6, 0.3],
               [0.3, 0.3, 0.4]])
P2 = np.array([[0.80, 0.10, 0.10], [0.10, 0.80, 0.10], [0.10, 0.10, 0.80],
               [0.50, 0.25, 0.25], [0.20, 0.60, 0.20], [0.05, 0.05, 0.90],
               [0.60, 0.30, 0.10], [0.30, 0.30, 0.40], [0.15, 0.70, 0.15]])


def spec(P, order):
    return json.dumps({"family": "markov", "vocab": P.shape[1], "order": order,
                       "transitions": P.tolist()})


def stationary(M):
    """Left Perron vector of a row-stochastic matrix, normalised."""
    w, v = np.linalg.eig(M.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    return pi / pi.sum()


def block_laws(P, k):
    """joint[c] (V^(c+1),), c = 0..k: the stationary law of c+1 consecutive
    tokens, oldest token most significant in the index."""
    V = P.shape[1]
    S = V ** k
    M = np.zeros((S, S))            # the lifted chain on the last k tokens
    for s in range(S):
        for x in range(V):
            M[s, (s * V + x) % S] += P[s, x]
    joint = {k: (stationary(M)[:, None] * P).reshape(-1)}
    for c in range(k - 1, -1, -1):  # marginalise the oldest token away
        joint[c] = joint[c + 1].reshape(V, -1).sum(axis=0)
    return joint


def bayes_risk(joint, V, c):
    """(H(c), sd of -log2 P_c(x)) from the law of c+1 tokens (c <= k)."""
    j = joint[c].reshape(-1, V)     # (history, next)
    surprisal = -np.log2(j / j.sum(axis=1, keepdims=True))
    H = float((j * surprisal).sum())
    return H, float(np.sqrt((j * (surprisal - H) ** 2).sum()))
