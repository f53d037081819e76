"""Samples reproduced from the documentation alone.

ctxlab's sampling procedure is part of its contract (same spec and seed, same
bytes, on every machine).  tests/python/ctxlab_reference.py re-implements the
documented steps in Python: stream derivation, PCG64-DXSM through numpy, the
32-bit unit stream, Vose alias tables with 32-bit thresholds, Lemire draws.
Here they must reproduce `ctxlab gen` token for token.  Order-0 languages are
used because their first-block law is exactly known (one state), so no
stationary solve enters; the equality of set and stream kernels is tested in
tests/unit/test_sampling.c.
"""
import numpy as np

from ctxlab_reference import Stream, alias32, alias32_draw
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


@check
def zero_probability_token_never_appears():
    got = ctxlab_tokens([spec(7), "-n", "20000", "--seed", "1"], (20000,))
    assert (got != 2).all()


if __name__ == "__main__":
    main()
