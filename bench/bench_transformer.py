#!/usr/bin/python3
"""Transformer training speed: ctxlab against PyTorch, model-FLOPs utilisation
against a measured sgemm peak.

    /usr/bin/python3 bench/bench_transformer.py [--build build] [--threads 2] [--repeat 5]
                                               [--steps 20] [--batch 32] [--seq 128]

The reference toy transformer of issue 3: V = 64, d = 64, 2 layers, 4 heads,
T = 128, batch 32, AdamW (PyTorch defaults), on 2 threads.  PyTorch (Debian
python3-torch 1.13, needed here; CI does not run benchmarks) runs the same
model, tests/python/transformer_torch.py, in float32 with
torch.set_num_threads(threads): a step is forward, mean cross-entropy,
zero_grad, backward, AdamW.step, as in bench_transformer.c.  Runs are
interleaved (ctxlab, PyTorch, sgemm, ...) and the best of --repeat runs of
--steps steps is kept for each (noise on a shared VM only adds time).

Model FLOPs per step (the same count for both; see bench_transformer.c):
6 B T (n_layer 12 d^2 + V d) + 6 n_layer B d T (T + 1).
sgemm peak: the best of torch.mm and numpy float32 matmul (OpenBLAS) on square
matrices of 1024 and 2048, with the same number of threads.
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


def ctxlab_run(args):
    cmd = [os.path.join(args.build, "bench", "bench_transformer"), "--threads", str(args.threads),
           "--steps", str(args.steps), "--repeat", "1", "--batch", str(args.batch),
           "--seq", str(args.seq)]
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
        cfg = {"vocab_size": 64, "d_model": 64, "n_layer": 2, "n_head": 4, "context": args.seq}
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
        t0 = time.perf_counter()
        for _ in range(self.args.steps):
            self.step()
        return (time.perf_counter() - t0) / self.args.steps


def sgemm_peak(threads):
    """Best GFLOP/s of torch.mm and numpy float32 matmul on 1024^2, 2048^2."""
    import numpy as np
    import torch
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
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    args = ap.parse_args()
    # OpenBLAS (numpy) reads its thread count at import
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    tb = TorchBench(args)
    c_best = t_best = None
    peak = 0.0
    for _ in range(args.repeat):
        c = ctxlab_run(args)
        if c_best is None or c["step_seconds"] < c_best["step_seconds"]:
            c_best = c
        t = tb.run()
        t_best = t if t_best is None else min(t_best, t)
        peak = max(peak, sgemm_peak(args.threads))
    B, T = args.batch, args.seq
    flops = model_flops(B, T, 64, 64, 2)
    c_step = c_best["step_seconds"]
    print("transformer V=64 d=64 2 layers 4 heads, batch %d x %d, AdamW, %d threads; best of %d "
          "runs of %d steps" % (B, T, args.threads, args.repeat, args.steps))
    print("model FLOPs per step %.3f G; sgemm peak (best of torch.mm, numpy) %.1f GFLOP/s"
          % (flops / 1e9, peak))
    print("%-10s %12s %12s %10s %8s" % ("", "step ms", "tokens/s", "GFLOP/s", "MFU"))
    for name, step in (("ctxlab", c_step), ("pytorch", t_best)):
        print("%-10s %12.2f %12.0f %10.1f %7.1f%%" % (name, step * 1e3, B * T / step,
                                                     flops / step / 1e9,
                                                     100 * flops / step / 1e9 / peak))
    print("ratio ctxlab / pytorch (tokens/s): %.2fx" % (t_best / c_step))
    print("ctxlab phases (ms): forward %.2f, xent %.2f, backward %.2f, adamw %.2f" % tuple(
        1e3 * c_best[k] for k in ("forward_seconds", "xent_seconds", "backward_seconds",
                                  "adamw_seconds")))


if __name__ == "__main__":
    main()
