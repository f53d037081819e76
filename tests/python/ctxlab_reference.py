"""Independent Python re-implementations of procedures ctxlab documents, used to
check that the documentation is complete enough to reproduce ctxlab's output
bit for bit.  Written from the documentation (include/ctxlab/rng.h,
gen/alias.h, gen/markov/markov_sample.c, gen/latent/latent_sample.c), not
from the C code.
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


# ---- portable logarithms (core/detmath.h, core/detmath.c) ----------------------
# Python floats are IEEE doubles and these use only +, -, *, / and frexp, in the
# documented order, so they return the same bits as ctxlab's.

import math
import struct

LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10


def log_portable(x):
    """ln x: x = m 2^e, m in [sqrt(1/2), sqrt(2)), s = (m-1)/(m+1),
    ln m = 2 (s + s^3/3 + ... + s^25/25) by Horner from the smallest term."""
    m, e = math.frexp(x)
    if m < 0.70710678118654752440:
        m *= 2.0
        e -= 1
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    poly = 1.0 / 25.0
    for k in (23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3):
        poly = poly * s2 + 1.0 / k
    ln_m = 2.0 * s + 2.0 * s * s2 * poly
    return e * LN2_HI + (e * LN2_LO + ln_m)


LN_TABLE = [log_portable(1.0 + j / 128.0) for j in range(128)]
INV_TABLE = [1.0 / (1.0 + j / 128.0) for j in range(128)]


def log_unit(u):
    """ln u for u in (0, 1]: series in 1 - u near 1, else table point m0 =
    1 + j/128 below the mantissa and the series of ln(1 + r) to r^8."""
    if u > 1.0 - 2.0 ** -7:
        d = 1.0 - u
        d2 = d * d
        return -(d + d2 * ((0.5 + d / 3.0) +
                           d2 * ((0.25 + d / 5.0) + d2 * ((1.0 / 6.0 + d / 7.0) + d2 * 0.125))))
    bits = struct.unpack("<Q", struct.pack("<d", u))[0]
    e = (bits >> 52) - 1023
    j = (bits >> 45) & 127
    m = struct.unpack("<d", struct.pack("<Q", (bits & ((1 << 52) - 1)) | 0x3FF0000000000000))[0]
    r = (m - (1.0 + j / 128.0)) * INV_TABLE[j]
    r2 = r * r
    p = r + r2 * ((-0.5 + r / 3.0) +
                  r2 * ((-0.25 + r / 5.0) + r2 * ((-1.0 / 6.0 + r / 7.0) + r2 * -0.125)))
    return (e * LN2_HI + LN_TABLE[j]) + (e * LN2_LO + p)


# ---- the latent sampler (gen/latent/latent_sample.c) ---------------------------

LN2_HI_HEX, LN2_LO_HEX = "0x1.62e42feep-1", "0x1.a39ef35793c76p-33"
assert float.fromhex(LN2_HI_HEX) == LN2_HI and float.fromhex(LN2_LO_HEX) == LN2_LO


def log1p_by_log(y):
    """ln(1 + y) as ln(s) y / (s - 1), s = 1 + y (y when s = 1)."""
    s = 1.0 + y
    return y if s == 1.0 else log_portable(s) * y / (s - 1.0)


def exponential(x):
    """E = -ln u, u = ((x >> 12) + 1/2) 2^-52, by the documented operations."""
    u = (float(x >> 12) + 0.5) * 2.0 ** -52
    bits = struct.unpack("<Q", struct.pack("<d", u))[0]
    e = (bits >> 52) - 1023
    k = (bits >> 45) & 127
    m = struct.unpack("<d", struct.pack("<Q", (bits & ((1 << 52) - 1)) | 0x3FF0000000000000))[0]
    r = (m - (1.0 + k / 128.0)) * INV_TABLE[k]
    r2 = r * r
    p = r + r2 * ((-0.5 + r * (1.0 / 3.0)) +
                  r2 * ((-0.25 + r * (1.0 / 5.0)) + r2 * ((-(1.0 / 6.0) + r * (1.0 / 7.0)) +
                                                          r2 * -0.125)))
    return -((e * LN2_HI + LN_TABLE[k]) + (e * LN2_LO + p))


def events_generator(stream):
    """Generator B of a path: a copy of the path's generator A (not yet drawn
    from) advanced by 2^64 steps, by numpy's own jump-ahead."""
    assert stream.half is None
    bg = np.random.PCG64DXSM()
    bg.state = stream.bg.state
    bg.advance(2 ** 64)
    return bg


class LatentReference:
    """The documented sampling procedure of a latent language given by `flip`
    (rho_j), explicit `weights` and `noise`."""

    def __init__(self, rho, weights, eps):
        top = max(weights)
        total = 0.0
        for x in weights:
            total += x / top
        self.w = [x / top / total for x in weights]
        self.rho, self.eps = list(rho), eps
        self.table = alias32(self.w)
        self.c = [math.inf if r == 0 else 0.0 if r == 0.5 else -1.0 / log1p_by_log(-2.0 * r)
                  for r in self.rho]
        self.noise = math.floor(eps * 2.0 ** 32 + 0.5)

    def path(self, stream, n):
        events = events_generator(stream)
        refresh, bit = {}, {}  # R_j and the bit of the chains shown so far
        out = []
        for t in range(n):
            j = alias32_draw(stream, self.table)
            if j not in refresh or t >= refresh[j]:
                x = int(events.random_raw())
                bit[j] = x & 1
                refresh[j] = t + 1 + math.floor(min(exponential(x) * self.c[j], 2.0 ** 62))
            b = bit[j]
            if self.eps > 0 and stream.unit() < self.noise:
                b ^= 1
            out.append(2 * j + b)
        return out
