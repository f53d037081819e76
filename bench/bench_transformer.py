#!/usr/bin/python3
"""Transformer training speed: ctxlab against PyTorch, model-FLOPs utilisation
against a measured sgemm peak.

    /usr/bin/python3 bench/bench_transformer.py [--build build] [--threads 2] [--rounds 5]
                                               [--steps 20] [--batch 32] [--seq 128]

The reference toy transformer of issue 3: V = 64, d = 64, 2 layers, 4 heads,
T = 128, batch 32, AdamW (PyTorch defaults), on 2 threads.  PyTorch (Debian
python3-torch 1.13, needed here; CI does not run benchmarks) runs the same
model, tests/python/transformer_torch.py, in float32 with
torch.set_num_threads(threads): a step is forward, mean cross-entropy,
zero_grad, backward, AdamW.step, as in bench_transformer.c.  Each step is
timed on its own; --rounds rounds of --steps steps alternate between ctxlab,
PyTorch and the sgemm peak, and the fastest step of each is reported (noise on
a shared VM only ever adds time), with the median step beside it.

Model FLOPs per step (the same count for both; see bench_transformer.c):
6 B T (n_layer 12 d^2 + V d) + 6 n_layer B d T (T + 1).
sgemm peaks, with the same number of threads: the best of torch.mm and numpy
float32 matmul (OpenBLAS) on square matrices of 1024 and 2048; and ctxlab's own
product (bench_transformer --gemm 1024: mul + add without FMA, as the library
is built), the peak its kernels can reach.  MFU is given against both.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "python"))


def model_flops(B, T, V, d, L):
    return 6.0 * B * T * (L * 12 * d * d + V * d) + 6.0 * L * B * d * T * (T + 1)


def ctxlab_gemm(args):
    cmd = [os.path.join(args.build, "bench", "bench_transformer"), "--gemm", "1024",
           "--threads", str(args.threads)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)["gflops"]


def ctxlab_run(args):
    cmd = [os.path.join(args.build, "bench", "bench_transformer"), "--threads", str(args.threads),
           "--steps", str(args.steps), "--batch", str(args.batch), "--seq", str(args.seq)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


class TorchBench:
    def __init__(self, args):
        import torch
        import torch.nn.functional as F
        from transformer_torch import Transformer
        self.torch, self.F = torch, F
        torch.set_num_threads(args.threads)
        torch.manual_seed(1)
        self.args = args
        cfg = {"vocab_size": 64, "d_model": 64, "n_layer": 2, "n_head": 4, "train_context": args.seq}
        self.model = Transformer(cfg)
        self.opt = torch.optim.AdamW(self.model.parameters())
        g = torch.Generator().manual_seed(1)
        self.tokens = torch.randint(0, 64, (args.batch, args.seq + 1), generator=g)
        for _ in range(3):
            self.step()

    def step(self):
        x, y = self.tokens[:, :-1], self.tokens[:, 1:]
        logits = self.model(x)
        loss = self.F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        self.opt.zero_grad(set_to_none=False)
        loss.backward()
        self.opt.step()
        return float(loss)

    def run(self):
        """Seconds of each of --steps steps."""
        secs = []
        for _ in range(self.args.steps):
            t0 = time.perf_counter()
            self.step()
            secs.append(time.perf_counter() - t0)
        return secs


SGEMM_PEAK = """
import sys, time
import numpy as np
import torch
threads = int(sys.argv[1])
torch.set_num_threads(threads)
best = 0.0
for n in (1024, 2048):
    a, b = torch.randn(n, n), torch.randn(n, n)
    an, bn = a.numpy(), b.numpy()
    for fn in (lambda: torch.mm(a, b), lambda: an @ bn):
        fn()
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            best = max(best, 2.0 * n ** 3 / (time.perf_counter() - t0) / 1e9)
print(best)
"""


def sgemm_peak(threads):
    """Best GFLOP/s of torch.mm and numpy float32 matmul on 1024^2 and 2048^2,
    in a process of its own (OpenBLAS's spinning threads would otherwise
    compete with PyTorch's in this one)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", SGEMM_PEAK, str(threads)], capture_output=True,
                         text=True, check=True, env=env).stdout
    return float(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    args = ap.parse_args()
    load_before = os.getloadavg()
    tb = TorchBench(args)
    c_best, c_medians, t_secs, peak, own_peak = None, [], [], 0.0, 0.0
    for _ in range(args.rounds):
        c = ctxlab_run(args)
        c_medians.append(c["median_step_seconds"])
        if c_best is None or c["step_seconds"] < c_best["step_seconds"]:
            c_best = c
        t_secs += tb.run()
        peak = max(peak, sgemm_peak(args.threads))
        own_peak = max(own_peak, ctxlab_gemm(args))
    B, T = args.batch, args.seq
    flops = model_flops(B, T, 64, 64, 2)
    c_step, t_step = c_best["step_seconds"], min(t_secs)
    c_med, t_med = sorted(c_medians)[len(c_medians) // 2], sorted(t_secs)[len(t_secs) // 2]
    print("transformer V=64 d=64 2 layers 4 heads, batch %d x %d, AdamW, %d threads; fastest of "
          "%d steps (median in brackets)" % (B, T, args.threads, args.rounds * args.steps))
    print("load average (1, 5, 15 min) before %.2f %.2f %.2f, after %.2f %.2f %.2f (the machine "
          "has %d CPUs)" % (load_before + os.getloadavg() + (os.cpu_count(),)))
    print("model FLOPs per step %.3f G; sgemm peak: torch.mm / numpy %.1f GFLOP/s, ctxlab's "
          "product (no FMA) %.1f GFLOP/s" % (flops / 1e9, peak, own_peak))
    print("%-10s %20s %20s %10s %10s %10s" % ("", "step ms", "tokens/s", "GFLOP/s", "MFU blas",
                                           "MFU own"))
    for name, step, med in (("ctxlab", c_step, c_med), ("pytorch", t_step, t_med)):
        print("%-10s %9.2f (%8.2f) %9.0f (%8.0f) %10.1f %9.1f%% %9.1f%%" % (
            name, step * 1e3, med * 1e3, B * T / step, B * T / med, flops / step / 1e9,
            100 * flops / step / 1e9 / peak, 100 * flops / step / 1e9 / own_peak))
    print("ratio ctxlab / pytorch (tokens/s): %.2fx (medians %.2fx)" % (t_step / c_step,
                                                                      t_med / c_med))
    print("ctxlab phases of its fastest step (ms): forward %.2f, xent %.2f, backward %.2f, "
          "adamw %.2f" % tuple(1e3 * c_best[k] for k in ("forward_seconds", "xent_seconds",
                                                        "backward_seconds", "adamw_seconds")))


if __name__ == "__main__":
    main()
