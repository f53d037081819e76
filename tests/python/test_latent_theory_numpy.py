"""Cross-check of the latent family's exact theory (gen/latent/latent_theory.h)
against numpy, through tests/tools/latent_theory_dump.

Expected values are computed here, at test time, from the formulas of
SCIENCE.md section 5, written independently of the C code:
  H(c) = H(w) + sum_j w_j [ sum_{a<=c} w_j (1-w_j)^(a-1) h2(q_j(a)) + (1-w_j)^c ]
  S(c) = sum_j sum_{a<=c} w_j (1-w_j)^(a-1) [1 - h2(q_j(a))]
  I(d) = sum_j w_j^2 [1 - h2((1 + (1-2 eps)^2 r_j^d)/2)]
  rate = lim H(c), by summing the ages directly until (1-w_j)^a < 1e-18
(vectorised numpy, float64: one array of ages x chains, cumulative sums over
ages), and g against python's decimal module at 50 digits (its series below
1/2, its logarithms above, where nothing cancels).
"""
import math
from decimal import Decimal, localcontext

import numpy as np

from ctxlab_testlib import assert_close, check, main, tool

TOL = 1e-10


def chains_text(w, rho):
    return "%d\n" % len(w) + "".join("%r %r\n" % (float(a), float(b)) for a, b in zip(w, rho))


def dump_curves(w, rho, L, eps, threads=2):
    out = tool("latent_theory_dump", ["curves", L, repr(float(eps)), threads],
               input_text=chains_text(w, rho))
    rows = {}
    for line in out.splitlines():
        name, *values = line.split()
        rows[name] = np.array([float(v) for v in values])
    return rows


def h2_of_small(p):
    """h2(p) for p in [0, 1/2], 0 log 0 = 0."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -(p * np.log2(p) + (1 - p) * np.log1p(-p) / math.log(2))
    return np.where(p > 0, out, 0.0)


def h2_by_age(rho, L, eps):
    """h2(q_j(a)) for a = 1..L (rows) and chains j (columns); 1 - q by expm1."""
    a = np.arange(1, L + 1, dtype=float)[:, None]
    with np.errstate(divide="ignore"):
        log_r = np.log1p(-2 * np.asarray(rho, dtype=float))  # -inf for rho = 1/2
    log_k = 2 * math.log1p(-2 * eps)
    one_minus_q = -np.expm1(a * log_r + log_k) / 2
    return h2_of_small(one_minus_q)


def weight_entropy(w):
    w = w[w > 0]
    return float(-(w * np.log2(w)).sum())


def numpy_curves(w, rho, L, eps):
    w = np.asarray(w, dtype=float)
    a = np.arange(1, L + 1, dtype=float)[:, None]
    out = {}
    if eps == 0:
        h = h2_by_age(rho, L, 0.0)
        p = w * (1 - w) ** (a - 1)  # latest sighting of chain j at age a
        seen = np.cumsum(p * h, axis=0)
        H = weight_entropy(w) + (w * (seen + (1 - w) ** a)).sum(axis=1)
        out["H"] = np.concatenate([[weight_entropy(w) + w.sum()], H])
        out["S"] = np.concatenate([[0.0], np.cumsum(p * (1 - h), axis=0).sum(axis=1)])
    out["I"] = (w ** 2 * (1 - h2_by_age(rho, L, eps))).sum(axis=1)
    return out


def numpy_rate(w, rho):
    w = np.asarray(w, dtype=float)
    rate = [weight_entropy(w)]
    for wj, rj in zip(w, rho):
        if wj == 0:
            continue
        A = int(math.ceil(math.log(1e-18) / math.log1p(-wj))) if wj < 1 else 1
        h = h2_by_age([rj], A, 0.0)[:, 0]
        p = wj * (1 - wj) ** np.arange(A, dtype=float)
        rate.append(wj * (1 - math.fsum(p * (1 - h))))
    return math.fsum(rate)


def random_config(rng, d, w_kind, rho_low):
    if w_kind == "zipf":
        w = (np.arange(d) + 1.0) ** -rng.uniform(0.7, 1.5)
    else:
        w = rng.dirichlet(np.ones(d))
    w = w / w.sum()
    rho = 0.5 * np.exp(rng.uniform(math.log(2 * rho_low), 0, size=d))
    if d >= 4:  # a frozen and a memoryless chain
        rho[1], rho[2] = 0.0, 0.5
    return w, rho


CONFIGS = [  # (seed, d, weights, smallest rho, L)
    (1, 1, "dirichlet", 1e-3, 700),
    (2, 5, "dirichlet", 1e-4, 1000),
    (3, 40, "zipf", 1e-5, 2000),
    (4, 300, "zipf", 1e-4, 1200),  # two blocks of chains in the C code
]


@check
def curves_eps0_match_numpy():
    for seed, d, kind, low, L in CONFIGS:
        w, rho = random_config(np.random.default_rng(seed), d, kind, low)
        got, want = dump_curves(w, rho, L, 0.0), numpy_curves(w, rho, L, 0.0)
        for name in ("H", "S", "I"):
            assert_close(got[name], want[name], TOL, "config %d %s" % (seed, name))


@check
def mutual_information_with_noise_matches_numpy():
    for seed, d, kind, low, L in CONFIGS:
        w, rho = random_config(np.random.default_rng(seed), d, kind, low)
        for eps in (0.05, 0.25):
            got = dump_curves(w, rho, L, eps, threads=3)
            assert set(got) == {"I"}, "only I(d) exists for eps > 0"
            assert_close(got["I"], numpy_curves(w, rho, L, eps)["I"], TOL,
                         "config %d I eps %g" % (seed, eps))


@check
def entropy_rate_matches_direct_age_sum():
    for seed, d, kind, low, _ in CONFIGS[:3]:  # weights >= 1e-3: <= 4e4 ages per chain
        w, rho = random_config(np.random.default_rng(seed), d, kind, low)
        got = float(tool("latent_theory_dump", ["rate"], input_text=chains_text(w, rho)))
        assert_close(got, numpy_rate(w, rho), 1e-12, "config %d rate" % seed)


def g_decimal(x):
    """g(x) = (1/(2 ln 2)) sum t^n/(n(2n-1)) below 1/2, log form above; 50 digits."""
    with localcontext() as ctx:
        ctx.prec = 50
        x = Decimal(x)  # exact value of the double
        two_ln2 = 2 * Decimal(2).ln()
        if x == 1:
            return Decimal(1)
        if x < Decimal("0.5"):
            t, power, total, n = x * x, Decimal(1), Decimal(0), 1
            while True:
                power *= t
                term = power / (n * (2 * n - 1))
                total += term
                if term == 0 or term < total * Decimal("1e-45"):
                    break
                n += 1
            return total / two_ln2
        return ((1 + x) * (1 + x).ln() + (1 - x) * (1 - x).ln()) / two_ln2


@check
def g_matches_decimal():
    xs = [0.0, 1e-300, 1e-200, 1e-100, 1e-30, 1e-10, 2.9802322387695312e-08, 1e-5, 0.003,
          0.011048543456039806, 0.05, 0.1, 0.2, 0.24999999999999997, 0.25, 0.3, 0.49999999999999994,
          0.5, 0.6, 0.75, 0.9, 0.99, 1 - 1e-6, 1 - 1e-10, 1 - 2.0 ** -52, 1 - 2.0 ** -53, 1.0]
    out = tool("latent_theory_dump", ["g"] + [repr(x) for x in xs])
    got = [float(v) for v in out.split()]
    assert len(got) == len(xs)
    for x, g in zip(xs, got):
        want = g_decimal(x)
        if want < Decimal(2.2250738585072014e-308):  # below the normal range: absolute
            assert abs(Decimal(g) - want) <= Decimal(2.2250738585072014e-308), (x, g, want)
            continue
        rel = abs((Decimal(g) - want) / want)
        assert rel <= Decimal(8 * 2.0 ** -53), "g(%r) = %r, decimal %s, rel err %.3g" % (
            x, g, want, float(rel))


if __name__ == "__main__":
    main()
