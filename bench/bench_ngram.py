#!/usr/bin/env python3
"""n-gram training speed against numpy counting, in one run.

    /usr/bin/python3 bench/bench_ngram.py [--build build] [--tokens 1e7] [--repeat 3]

For each language (sampled once with `ctxlab gen`) and each order c = 1..6, the
same D tokens are counted by
  ctxlab fit    the n-gram model's training, reading the stream: every
                (c+1)-gram into the top-order hash table, or, once most
                windows are new, packed into a plain array for the build to
                sort (bench/bench_ngram.c, one thread);
  ctxlab build  what forward then needs: every order 0..c sorted with its
                counts (and the context index), derived from what fit kept;
  numpy         packing the (c+1)-grams into uint64 keys and
                np.unique(keys, return_counts=True): the top order only.
"+build" (fit and build together: a trained model) is the n-gram training
rate, for the default add-beta model and ("KN") for Kneser-Ney, which also
derives continuation counts; "fit" alone can be far faster when fit leaves
the counting to build.
Rates are tokens per second per core; ratios are ctxlab over numpy (above 1:
ctxlab faster).  Every time is the best of --repeat runs, interleaved between
ctxlab and numpy: noise on a shared machine only ever adds time.  Benchmarks
are not tests: nothing here fails on time.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LANGUAGES = [  # (label, spec, V)
    ("tuned-trigram V=16 (2 bits/token)", "tuned-trigram", 16),
    ("markov order 1 V=16, Dirichlet(1) rows",
     '{"family": "markov", "vocab": 16, "order": 1, "concentration": 1, "seed": 1}', 16),
    ("random-bigram V=256", "random-bigram", 256),
    ("santa-fe-small V=16 (the demo's)", "santa-fe-small", 16),
    ("santa-fe V=2048", "santa-fe", 2048),
]


def numpy_count(tokens, c, bits):
    """Seconds to count the (c+1)-grams of tokens with numpy."""
    t0 = time.perf_counter()
    n = len(tokens) - c
    keys = np.zeros(n, dtype=np.uint64)
    for i in range(c + 1):
        keys <<= np.uint64(bits)
        keys |= tokens[i:i + n]
    uniq, counts = np.unique(keys, return_counts=True)
    secs = time.perf_counter() - t0
    return secs, len(uniq)


def ctxlab_count(build, path, V, c, smoothing):
    out = subprocess.run([os.path.join(build, "bench", "bench_ngram"), path, str(V), str(c),
                          smoothing], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--tokens", type=float, default=1e7, help="D, tokens per language")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    ap.add_argument("--max-order", type=int, default=6)
    args = ap.parse_args()
    D = int(args.tokens)
    print("D = %d tokens, best of %d runs, one core" % (D, args.repeat))
    print("%-40s %2s %10s %10s %10s %10s %10s %8s %8s" % (
        "language", "c", "distinct", "fit Mtok/s", "+build", "+build KN", "numpy", "fit/np",
        "+build/np"))
    with tempfile.TemporaryDirectory(prefix="ctxlab-bench-") as tmp:
        for label, spec, V in LANGUAGES:
            npy = os.path.join(tmp, "tokens.npy")
            subprocess.run([os.path.join(args.build, "ctxlab"), "gen", spec, "-o", npy, "-n",
                            str(D), "--seed", "1", "--quiet", "--truth-context", "0"],
                           check=True, stdout=subprocess.DEVNULL)
            tokens = np.load(npy).astype(np.uint64)
            raw = os.path.join(tmp, "tokens.u32")
            tokens.astype("<u4").tofile(raw)
            bits = max(1, int(V - 1).bit_length())
            for c in range(1, args.max_order + 1):
                if (c + 1) * bits > 64:
                    continue
                fit = build = build_kn = np_secs = float("inf")
                distinct = np_distinct = None
                for _ in range(args.repeat):
                    r = ctxlab_count(args.build, raw, V, c, "add-beta")
                    fit = min(fit, r["fit_s"])
                    build = min(build, r["fit_s"] + r["build_s"])
                    distinct = r["distinct"]
                    r = ctxlab_count(args.build, raw, V, c, "kneser-ney")
                    build_kn = min(build_kn, r["fit_s"] + r["build_s"])
                    s, np_distinct = numpy_count(tokens, c, bits)
                    np_secs = min(np_secs, s)
                if distinct != np_distinct:
                    sys.exit("c=%d: ctxlab counted %d distinct n-grams, numpy %d" %
                             (c, distinct, np_distinct))
                print("%-40s %2d %10d %10.1f %10.1f %10.1f %10.1f %8.2f %8.2f" % (
                    label, c, distinct, D / fit / 1e6, D / build / 1e6, D / build_kn / 1e6,
                    D / np_secs / 1e6, np_secs / fit, np_secs / build))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
