#!/usr/bin/env python3
"""ctxlab's hot paths against the peer a user would otherwise use, in one run.

    /usr/bin/python3 bench/run_all.py [--build build] [--quick] [--big]

Prints one table: each measurement, its peer in the same run, and the ratio.
Every time is the best of several runs (--repeat, interleaved between ctxlab
and its peer): on a shared 2-core VM single runs vary by up to 2x, and noise
only ever adds time.  Benchmarks are not tests: nothing here fails on time.

  generation  order-1 markov, V = 256, Dirichlet(1) rows (preset random-bigram),
              4096 sequences x 4096 tokens, against a batched numpy alias-method
              sampler (all sequences advance one step per numpy call, one
              uniform for the column and one for the coin, flat table lookups).
              Measured twice: tokens into memory (the sampler alone), and
              written to a .bin file with its SHA-256 (ctxlab gen vs numpy +
              ndarray.tofile + hashlib), the full job.
  latent      d = 4096 Zipf chains, the same job, against ctxlab's markov.
  threads     the sampler and ctxlab gen on 2 threads against 1 thread, bytes
              compared.
  theory      exact latent curves, L = 65,536, d = 4096.
  memory      (--big) peak RSS of a 10^9-token stream written to a file.

Then the model benchmarks, each printing its own table: bench/bench_ngram.py
(n-gram counting against numpy) and bench/bench_transformer.py (the reference
transformer against PyTorch; only when `import torch` works under the Python
running this script, else a note says how to get it).  --quick runs all of it
small: 1024 sequences, 1 run per measurement, 10^6 n-gram tokens up to order
3, one round of 5 transformer steps.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LATENT_4096 = json.dumps({"family": "latent", "chains": 4096,
                          "timescales": {"min": 1e6, "max": 1e6},
                          "weights": {"zipf": 1.3333333333333333}})
LATENT_4096_FAST = json.dumps({"family": "latent", "chains": 4096,
                               "timescales": {"min": 10, "max": 1e4}, "weights": {"zipf": 1}})


def numpy_alias_tables(P):
    """Vose alias tables for every row of P (setup, not timed)."""
    V = P.shape[1]
    prob = np.zeros(P.shape)
    alias = np.zeros(P.shape, dtype=np.intp)
    for s in range(P.shape[0]):
        q = P[s] * V
        small = [i for i in range(V) if q[i] < 1]
        large = [i for i in range(V) if q[i] >= 1]
        while small and large:
            a, b = small.pop(), large.pop()
            prob[s, a], alias[s, a] = q[a], b
            q[b] -= 1 - q[a]
            (small if q[b] < 1 else large).append(b)
        for i in small + large:
            prob[s, i], alias[s, i] = 1.0, i
    return prob.ravel(), alias.ravel()


def numpy_markov(K, T, V=256, seed=1, path=None):
    """Batched alias sampling of K order-1 chains for T steps; optionally write
    a .bin (llm.c header + uint16) and hash it.  Returns seconds."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(V), size=V)
    prob, alias = numpy_alias_tables(P)
    # steps fill contiguous rows of a (T, K) array; one transpose at the end
    # gives the sequence-major layout ctxlab writes
    steps = np.empty((T, K), dtype=np.uint16)
    if path and os.path.exists(path):  # a new file, as for ctxlab
        os.unlink(path)
    t0 = time.perf_counter()
    state = rng.integers(V, size=K)
    u = np.empty(K)
    col = np.empty(K, dtype=np.intp)
    idx = np.empty(K, dtype=np.intp)
    for t in range(T):
        rng.random(out=u)
        u *= V
        np.floor(u, out=u)
        col[:] = u
        np.multiply(state, V, out=idx)
        idx += col
        coin = rng.random(K)
        state = np.where(coin < prob[idx], col, alias[idx])
        steps[t] = state
    out = np.ascontiguousarray(steps.T)
    if path:
        header = np.zeros(256, dtype="<i4")
        header[:3] = (20240520, 1, K * T)
        h = hashlib.sha256()
        with open(path, "wb") as f:
            for block in (header.tobytes(), out.tobytes()):
                h.update(block)
                f.write(block)
            f.flush()
            os.fsync(f.fileno())
        h.hexdigest()
    return time.perf_counter() - t0


def kernel(build, *args):
    out = subprocess.run([os.path.join(build, "bench", "bench_kernels")] + [str(a) for a in args],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def peak_rss_kib(pid):
    """VmHWM of a running process: the high-water mark of its own address space
    (getrusage and wait4 would also count the Python process it was forked
    from, whose pages the child held until exec)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def ctxlab_gen(build, spec, out, tokens_args, threads, watch_memory=False):
    """Seconds and (when watch_memory) peak resident memory (KiB) of one ctxlab gen run,
    writing a new file (renaming over an existing one makes ext4 flush it first)."""
    for stale in (out, out + ".json"):
        if os.path.exists(stale):
            os.unlink(stale)
    t0 = time.perf_counter()
    proc = subprocess.Popen([os.path.join(build, "ctxlab"), "gen", spec, "-o", out, "--quiet",
                             "--truth-context", "0", "--threads", str(threads)] + tokens_args,
                            stdout=subprocess.DEVNULL)
    rss = 0
    while watch_memory and proc.poll() is None:
        rss = max(rss, peak_rss_kib(proc.pid))
        time.sleep(0.05)
    if proc.wait() != 0:
        raise RuntimeError("ctxlab gen failed")
    return time.perf_counter() - t0, rss


def best(repeat, fn):
    return min(fn() for _ in range(repeat))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--quick", action="store_true",
                    help="everything small: 1024 sequences, 1 run, short model benchmarks")
    ap.add_argument("--big", action="store_true", help="also the 10^9-token memory check")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (best is kept)")
    args = ap.parse_args()
    if args.quick:
        args.repeat = 1
    K = 1024 if args.quick else 4096
    T = 4096
    n = K * T
    rows = []

    def row(what, ns, peer_what, peer_ns):
        ratio = peer_ns / ns if ns and peer_ns else float("nan")
        rows.append((what, ns, peer_what, peer_ns, ratio))

    R = args.repeat
    with tempfile.TemporaryDirectory(prefix="ctxlab-bench-") as d:
        def gen_secs(spec, target, extra, threads):
            return ctxlab_gen(args.build, spec, os.path.join(d, target), extra, threads)[0]

        seq = ["--sequences", str(K), "--length", str(T)]
        np_mem = np_file = k1 = k2 = g1 = g2 = float("inf")
        for _ in range(R):  # interleaved, so that slow phases of the machine hit both
            np_mem = min(np_mem, numpy_markov(K, T) / n * 1e9)
            k1 = min(k1, kernel(args.build, "sample", "random-bigram", K, T, 1)["ns_per_token"])
            k2 = min(k2, kernel(args.build, "sample", "random-bigram", K, T, 2)["ns_per_token"])
            np_file = min(np_file, numpy_markov(K, T, path=os.path.join(d, "np.bin")) / n * 1e9)
            g1 = min(g1, gen_secs("random-bigram", "a.bin", seq, 1) / n * 1e9)
            g2 = min(g2, gen_secs("random-bigram", "b.bin", seq, 2) / n * 1e9)
        same = open(os.path.join(d, "a.bin"), "rb").read() == open(os.path.join(d, "b.bin"),
                                                                   "rb").read()
        row("markov V=256, sampler into memory, 1 thread", k1, "numpy batched alias", np_mem)
        row("markov V=256, gen to .bin + SHA-256, 1 thread", g1, "numpy + tofile + hashlib",
            np_file)
        row("markov sampler, 2 threads", k2, "ctxlab sampler, 1 thread", k1)
        row("markov gen, 2 threads (bytes identical: %s)" % same, g2, "ctxlab gen, 1 thread", g1)
        for name, spec in (("latent d=4096 Zipf, slow chains", LATENT_4096),
                           ("latent d=4096 Zipf, tau 10..1e4", LATENT_4096_FAST)):
            lk = best(R, lambda: kernel(args.build, "sample", spec, K, T, 1)["ns_per_token"])
            row(name + ", sampler, 1 thread", lk, "ctxlab markov sampler", k1)
            lg = best(R, lambda: gen_secs(spec, "l.bin", seq, 1) / n * 1e9)
            row(name + ", gen to .bin, 1 thread", lg, "ctxlab markov gen", g1)
        for th in (1, 2):
            s = best(R, lambda: kernel(args.build, "theory", LATENT_4096_FAST, 65536, th)["seconds"])
            rows.append(("latent exact curves L=65536 d=4096, %d thread(s): %.3f s" % (th, s),
                         None, "target 2 s", None, None))
        if args.big:
            secs, rss = ctxlab_gen(args.build, "random-bigram", os.path.join(d, "big.bin"),
                                   ["--sequences", "244141", "--length", "4096"], 2,
                                   watch_memory=True)
            rows.append(("10^9 tokens (244141 x 4096), 2 threads: %.1f s, peak RSS %.1f MiB" %
                         (secs, rss / 1024), None, "bound 64 MiB + tables", None, None))

    print("%-62s %10s   %-28s %10s %8s" % ("measurement", "ns/token", "peer (same run)", "ns/token",
                                          "ratio"))
    for what, ns, peer, pns, ratio in rows:
        if ns is None:
            print("%-62s %10s   %-28s" % (what, "", peer))
        else:
            print("%-62s %10.3f   %-28s %10.3f %7.2fx" % (what, ns, peer, pns, ratio))
    sys.stdout.flush()
    model_benchmarks(args)


def model_benchmarks(args):
    """bench_ngram.py, then bench_transformer.py where PyTorch can be imported."""
    quick_ngram = ["--tokens", "1e6", "--repeat", "1", "--max-order", "3"] if args.quick else []
    quick_tf = ["--rounds", "1", "--steps", "5"] if args.quick else []
    print("\n== n-gram counting (bench/bench_ngram.py %s) ==" % " ".join(quick_ngram), flush=True)
    subprocess.run([sys.executable, os.path.join(HERE, "bench_ngram.py"), "--build", args.build]
                   + quick_ngram, check=True)
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    if probe.returncode:
        print("\n== transformer: skipped, `import torch` fails under %s (Debian: apt-get install "
              "python3-torch) ==" % sys.executable)
        return
    print("\n== transformer training (bench/bench_transformer.py %s) ==" % " ".join(quick_tf),
          flush=True)
    subprocess.run([sys.executable, os.path.join(HERE, "bench_transformer.py"), "--build",
                    args.build] + quick_tf, check=True)


if __name__ == "__main__":
    sys.exit(main())
