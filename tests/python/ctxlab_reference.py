"""Independent Python re-implementations of procedures ctxlab documents, used to
check that the documentation is complete enough to reproduce ctxlab's output
bit for bit.  Written from the documentation (include/ctxlab/rng.h,
gen/alias.h, gen/markov/markov_sample.c), not from the C code.
"""
import numpy as np

M64 = (1 << 64) - 1
M128 = (1 << 128) - 1
CHEAP_MULT = 0xDA942042E4DD58B5  # numpy/pcg-c cheap multiplier


# ---- ctxlab_rng_derive (include/ctxlab/rng.h) --------------------------------

def splitmix64_mix(x):
    """SplitMix64 finaliser of x + golden gamma (Steele, Lea & Flood 2014)."""
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def pcgc_seed(initstate, initseq, mult):
    """pcg-c srandom_r: state = 0, inc = 2*initseq + 1, step, state += initstate, step."""
    inc = ((initseq << 1) | 1) & M128
    state = inc                                  # 0 * mult + inc
    state = (state + initstate) & M128
    state = (state * mult + inc) & M128
    return state, inc


def derive_state(seed, purpose, index):
    k = splitmix64_mix(splitmix64_mix(splitmix64_mix(seed) ^ fnv1a64(purpose.encode())) ^ index)
    initstate = (splitmix64_mix(k ^ 1) << 64) | splitmix64_mix(k ^ 2)
    initseq = (splitmix64_mix(k ^ 3) << 64) | splitmix64_mix(k ^ 4)
    return pcgc_seed(initstate, initseq, CHEAP_MULT)


def dxsm_generator(state, inc):
    """numpy's PCG64DXSM bit generator set to the raw (state, inc)."""
    bg = np.random.PCG64DXSM()
    bg.state = {"bit_generator": "PCG64DXSM", "state": {"state": state, "inc": inc},
                "has_uint32": 0, "uinteger": 0}
    return bg


class Stream:
    """A derived generator: 64-bit draws, and 32-bit units (low half first)."""

    def __init__(self, seed, purpose, index):
        self.bg = dxsm_generator(*derive_state(seed, purpose, index))
        self.half = None

    def next64(self):
        return int(self.bg.random_raw())

    def unit(self):
        if self.half is not None:
            u, self.half = self.half, None
            return u
        x = self.next64()
        self.half = x >> 32
        return x & 0xFFFFFFFF

    def bounded64(self, n):
        """ctxlab_rng_bounded: Lemire's multiply-shift with rejection."""
        m = self.next64() * n
        if (m & M64) < n:
            threshold = ((1 << 64) - n) % n
            while (m & M64) < threshold:
                m = self.next64() * n
        return m >> 64

    def uniform53(self):
        return (self.next64() >> 11) * 2.0 ** -53


# ---- alias tables (gen/alias.h, Vose 1991) -------------------------------------

def vose(p):
    """prob[i], alias[i] by Vose's algorithm in the documented order: q = p n /
    sum; columns below 1 on a stack `small`, the rest on `large`; pop a small
    one, pair it with the top large one, which loses 1 - q_small."""
    n = len(p)
    total = 0.0
    for x in p:
        total += x
    prob = [x * float(n) / total for x in p]
    alias = list(range(n))
    small = [i for i in range(n) if prob[i] < 1.0]
    large = [i for i in range(n) if prob[i] >= 1.0]
    while small and large:
        s = small.pop()
        l = large[-1]
        alias[s] = l
        prob[l] = (prob[l] + prob[s]) - 1.0
        if prob[l] < 1.0:
            large.pop()
            small.append(l)
    for i in large + small:
        prob[i] = 1.0
    return prob, alias


def alias32(p):
    """Packed 32-bit entries: (threshold, alias) with threshold = round(prob 2^32)
    (2^32 - 1 and alias = itself for a full column)."""
    prob, alias = vose(p)
    entries = []
    for i, q in enumerate(prob):
        t = q * 2.0 ** 32
        thr = 0xFFFFFFFF if t >= 4294967295.0 else int(t + 0.5)
        entries.append((thr, i if q >= 1.0 else alias[i]))
    return entries


def alias32_draw(stream, entries):
    """ctxlab_alias_draw: Lemire column from a unit, coin from the low product."""
    n = len(entries)
    reject_below = (1 << 32) % n
    m = stream.unit() * n
    while (m & 0xFFFFFFFF) < reject_below:
        m = stream.unit() * n
    col, coin = m >> 32, m & 0xFFFFFFFF
    thr, alias = entries[col]
    return col if coin < thr else alias
