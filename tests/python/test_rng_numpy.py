"""Cross-check of ctxlab's PCG generators against numpy 1.24 and against an
independent Python re-implementation of ctxlab_rng_derive.

- PCG64 (XSL-RR 128/64) and PCG64-DXSM raw outputs from arbitrary raw states
  equal numpy's np.random.PCG64 / np.random.PCG64DXSM bit generators given the
  same state, also after jumps ahead and back (numpy's advance()).
- ctxlab_rng_derive, re-implemented here from the formula in include/ctxlab/rng.h
  (SplitMix64 finaliser, FNV-1a 64, pcg-c seeding), seeds numpy's PCG64DXSM to
  the same stream as the C code; this also confirms every line of the golden file
  tests/golden/rng_derive.out.
- The published pcg-c vectors used in tests/unit/test_rng.c come out of numpy
  when its state is set by pcg-c's seeding procedure.
"""
import os
import random

import numpy as np

from ctxlab_reference import CHEAP_MULT, M64, M128, derive_state, pcgc_seed
from ctxlab_testlib import TEST_DATA, check, main, tool

PCG64_MULT = 0x2360ED051FC65DA44385DF649FCCF645  # pcg-c PCG_DEFAULT_MULTIPLIER_128

NUMPY_CLASS = {"pcg64": np.random.PCG64, "dxsm": np.random.PCG64DXSM}


def numpy_raw(kind, state, inc, count, delta=None):
    """count raw outputs of numpy's bit generator from the raw (state, inc)."""
    bg = NUMPY_CLASS[kind]()
    # numpy 1.24 _pcg64.pyx state setter: state and inc are Python ints split into
    # 64-bit halves and stored as they are (no seeding step).
    bg.state = {"bit_generator": bg.__class__.__name__,
                "state": {"state": state, "inc": inc},
                "has_uint32": 0, "uinteger": 0}
    if delta is not None:
        bg.advance(delta)
    return [int(v) for v in bg.random_raw(count)]


def c_raw(kind, state, inc, count, delta=None):
    args = [kind, "%x" % state, "%x" % inc, count]
    if delta is not None:
        args.append("%x" % (delta % (1 << 128)))  # the C API takes delta mod 2^128
    return [int(line, 16) for line in tool("rng_dump", args).split()]


def assert_equal_streams(got, want, what):
    if got != want:
        i = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        raise AssertionError("%s: differ at draw %d (len %d vs %d): C %s, numpy %s" %
                             (what, i, len(got), len(want),
                              hex(got[i]) if i < len(got) else "-",
                              hex(want[i]) if i < len(want) else "-"))


def random_states(seed, n):
    rnd = random.Random(seed)
    return [(rnd.getrandbits(128), rnd.getrandbits(128) | 1) for _ in range(n)]


@check
def raw_outputs_match_numpy():
    # Include the corner states 0 and 2^128 - 1 besides random ones.
    states = [(0, 1), (M128, M128)] + random_states(20240611, 8)
    for kind in ("pcg64", "dxsm"):
        for state, inc in states:
            assert_equal_streams(c_raw(kind, state, inc, 40), numpy_raw(kind, state, inc, 40),
                                 "%s state %#x inc %#x" % (kind, state, inc))


@check
def advance_matches_numpy():
    rnd = random.Random(7)
    deltas = [0, 1, 5, 1000, rnd.getrandbits(64), rnd.getrandbits(128), M128,
              -1, -6, -1000, -rnd.getrandbits(100), -(1 << 127)]
    for kind in ("pcg64", "dxsm"):
        for (state, inc), delta in zip(random_states(99, len(deltas)), deltas):
            what = "%s state %#x inc %#x advance %d" % (kind, state, inc, delta)
            want = numpy_raw(kind, state, inc, 12, delta)
            # numpy wraps a negative delta modulo 2^128 itself; check that reading.
            if delta < 0:
                assert_equal_streams(numpy_raw(kind, state, inc, 12, delta + (1 << 128)), want,
                                     what + " (numpy, 2^128 + delta)")
            assert_equal_streams(c_raw(kind, state, inc, 12, delta), want, what)


@check
def advance_back_and_forth_matches_stepping():
    # numpy alone: advancing by -k after drawing k values replays them, and
    # advance(k) lands where k single draws land; the C side must agree.
    for kind in ("pcg64", "dxsm"):
        state, inc = random_states(5, 1)[0]
        first = numpy_raw(kind, state, inc, 30)
        assert_equal_streams(numpy_raw(kind, state, inc, 10, 20), first[20:], kind + " numpy")
        assert_equal_streams(c_raw(kind, state, inc, 10, 20), first[20:], kind + " C")
        bg = NUMPY_CLASS[kind]()
        bg.state = {"bit_generator": bg.__class__.__name__,
                    "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}
        bg.random_raw(17)
        bg.advance(-17)
        assert_equal_streams([int(v) for v in bg.random_raw(30)], first, kind + " numpy back")


# ---- ctxlab_rng_derive, re-implemented from the formula in rng.h -------------

def python_derive(seed, purpose, index, count):
    state, inc = derive_state(seed, purpose, index)
    return numpy_raw("dxsm", state, inc, count)


def c_derive(seed, purpose, index, count):
    return [int(v, 16) for v in tool("rng_dump", ["derive", seed, purpose, index, count]).split()]


DERIVE_CASES = [
    (0, "gen.sequence", 0), (1, "gen.sequence", 0), (1, "gen.sequence", 1),
    (1, "gen.stream", 0), (42, "lang.table", 3), (42, "theory.monte-carlo", 7),
    (M64, "gsl", M64), (12345678901234567890, "", 1 << 40), (7, "a", 0), (7, "b", 0),
]


@check
def derive_matches_python_reimplementation():
    for seed, purpose, index in DERIVE_CASES:
        assert_equal_streams(c_derive(seed, purpose, index, 16),
                             python_derive(seed, purpose, index, 16),
                             "derive(%d, %r, %d)" % (seed, purpose, index))


@check
def golden_derive_file_confirmed():
    # Every line of the golden file that tests/unit/test_rng.c pins must also come
    # out of the independent re-implementation.
    path = os.path.join(TEST_DATA, "golden", "rng_derive.out")
    rows = 0
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split()
            seed, purpose, index = int(fields[0], 0), fields[1], int(fields[2], 0)
            if purpose == '""':
                purpose = ""
            values = [int(v, 16) for v in fields[3:]]
            assert_equal_streams(values, python_derive(seed, purpose, index, len(values)),
                                 "golden derive(%d, %r, %d)" % (seed, purpose, index))
            rows += 1
    assert rows >= 5, "golden file %s has only %d rows" % (path, rows)


@check
def published_vectors_from_numpy():
    # pcg-c check-pcg64.out (seed 42, stream 54) and the DXSM reference vectors of
    # /work/shared/reference/peers-anchors.md 4.2/4.3, which test_rng.c uses, come
    # out of numpy once its state is set by pcg-c's seeding procedure.
    state, inc = pcgc_seed(42, 54, PCG64_MULT)
    # pcg-c's XSL-RR 128/64 steps before output and numpy's PCG64 does too.
    assert_equal_streams(numpy_raw("pcg64", state, inc, 6),
                         [0x86B1DA1D72062B68, 0x1304AA46C9853D39, 0xA3670E9E0DD50358,
                          0xF9090E529A7DAE00, 0xC85B9FD837996F2C, 0x606121F8E3919196],
                         "pcg64 (42, 54)")
    state, inc = pcgc_seed(42, 54, CHEAP_MULT)
    assert_equal_streams(numpy_raw("dxsm", state, inc, 3),
                         [0xF0847C9518BDDB90, 0x8E7D5F5514BA8AAA, 0x86FBD36F8028F6FD],
                         "pcg64dxsm (42, 54)")


@check
def rng_dump_rejects_bad_arguments():
    for args in (["dxsm", "xyz", "1", "3"], ["pcg64", "1" * 33, "1", "3"],
                 ["derive", "-1", "gsl", "0", "3"], ["nosuch"], []):
        tool("rng_dump", args, expect_rc=2)


main()
