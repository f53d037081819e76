"""Samples reproduced from the documentation alone.

ctxlab's sampling procedure is part of its contract (same spec and seed, same
bytes, on every machine).  tests/python/ctxlab_reference.py re-implements the
documented steps in Python: stream derivation, PCG64-DXSM through numpy, the
32-bit unit stream, Vose alias tables with 32-bit thresholds, Lemire draws,
ctxlab's portable logarithms and the latent sampler of gen/latent/latent_sample.c
(a chain's bit is redrawn at its first showing and when its refresh time R_j
has come, the bit and the exponential gap to the next R_j taken from one 64-bit
draw of a second generator, the path's generator advanced by 2^64).  Here they
must reproduce `ctxlab gen` token for token.  Markov languages of order 0
are used because their first-block law is exactly known (one state), so no
stationary solve enters; latent languages are given by `flip` and explicit
weights, so no libm function enters.  The equality of set and stream kernels
is tested in tests/unit/test_sampling.c.
"""
import numpy as np

from ctxlab_reference import LatentReference, Stream, alias32, alias32_draw
from ctxlab_testlib import check, main, run, tempdir

ROWS = {
    3: [0.7, 0.2, 0.1],                       # 2^32 mod 3 = 1: rejection possible
    4: [0.1, 0.2, 0.3, 0.4],                  # power of two: the shift kernel
    7: [0.05, 0.3, 0.0, 0.15, 0.25, 0.2, 0.05],  # a zero-probability token
}


def spec(V):
    return ('{"family": "markov", "vocab": %d, "order": 0, "transitions": [%s]}' %
            (V, str(ROWS[V])))


def reference_path(V, stream, n):
    """The documented path of an order-0 chain: the first block (k = 0 tokens)
    is drawn from the one-state law by ctxlab_alias64_draw, which still takes a
    bounded 64-bit draw and a 53-bit uniform; then one alias draw per token."""
    assert stream.bounded64(1) == 0
    stream.uniform53()
    entries = alias32(ROWS[V])
    return [alias32_draw(stream, entries) for _ in range(n)]


def ctxlab_tokens(args, shape):
    with tempdir() as d:
        path = d + "/x.txt"
        run(["gen"] + args + ["-o", path, "--quiet"])
        with open(path) as f:
            return np.array([[int(t) for t in line.split()] for line in f.read().split("\n")[:-1]]
                            ).reshape(shape)


@check
def sequences_match_the_documented_procedure():
    for V in ROWS:
        got = ctxlab_tokens([spec(V), "--sequences", "4", "--length", "301", "--seed", "7"],
                            (4, 301))
        for i in range(4):
            want = reference_path(V, Stream(7, "gen.sequence", i), 301)
            assert list(got[i]) == want, "V = %d, sequence %d differs" % (V, i)


@check
def streams_match_the_documented_procedure():
    for V in ROWS:
        got = ctxlab_tokens([spec(V), "-n", "777", "--seed", "123"], (777,))
        assert list(got) == reference_path(V, Stream(123, "gen.stream", 0), 777), V


LATENT = [
    # chains not a power of two (Lemire draws), every kind of flip, noise
    ([0.0, 0.5, 0.1, 0.01, 0.3], [1, 2, 3, 4, 5], 0.05),
    # four chains (the shift draw), slow and fast, no noise, a chain never shown
    ([0.2, 0.001, 0.05, 0.4], [3, 0, 1, 0.5], 0.0),
    # a rare slow chain (mean gap between refreshes 5e4 steps): shown again before
    # its refresh time, it keeps its bit; the fast chain refreshes at most showings
    ([0.00001, 0.3], [1000, 1], 0.0),
]


def latent_spec(rho, weights, eps):
    return ('{"family": "latent", "chains": %d, "flip": %s, "weights": %s, "noise": %r}' %
            (len(rho), rho, weights, eps))


@check
def latent_matches_the_documented_procedure():
    for rho, weights, eps in LATENT:
        ref = LatentReference(rho, weights, eps)
        got = ctxlab_tokens([latent_spec(rho, weights, eps), "--sequences", "3", "--length", "2000",
                             "--seed", "11"], (3, 2000))
        for i in range(3):
            want = ref.path(Stream(11, "gen.sequence", i), 2000)
            assert list(got[i]) == want, "latent %s: sequence %d differs" % (rho, i)
        got = ctxlab_tokens([latent_spec(rho, weights, eps), "-n", "5000", "--seed", "4"], (5000,))
        assert list(got) == ref.path(Stream(4, "gen.stream", 0), 5000), rho


@check
def zero_probability_token_never_appears():
    got = ctxlab_tokens([spec(7), "-n", "20000", "--seed", "1"], (20000,))
    assert (got != 2).all()


if __name__ == "__main__":
    main()
