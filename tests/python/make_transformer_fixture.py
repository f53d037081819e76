#!/usr/bin/python3
"""Writes tests/golden/transformer_fixture.json: the golden values the C test
tests/unit/test_transformer_golden.c checks ctxlab's transformer against.

    /usr/bin/python3 tests/python/make_transformer_fixture.py [output.json]

Needs PyTorch (Debian python3-torch 1.13); CI does not run this script, it
only reads its committed output.  The model is transformer_torch.py (written
from the specification, not from the C code), run in float64 on weights that
are float32 numbers (what the C model holds), so the fixture's values are
exact to about 1e-15 and the C test's tolerances are the C code's float32
error alone.

Format (JSON, one object):
  format      "ctxlab-transformer-golden-1"
  generator   how it was made (script, torch version)
  config      vocab_size, d_model, n_layer, n_head, context, rope_base,
              yarn_alpha, yarn_beta (shared by every case)
  B, T        batch and sequence length
  tokens      B rows of T + 1 tokens: inputs are [:T], targets [1:]
  weights     {tensor name: {"shape": [...], "data": [row-major float32 values]}}
  cases       list of {name, rope_scaling, rope_factor, logit_scaling,
              logit_scaling_skip_layers,
              logits  (B T V, row-major),
              loss    mean cross-entropy over the B T positions (nats),
              entropy (n_layer n_head T): Σ over the batch of -Σ a ln a of
                      query t's attention (nats), index (layer n_head + head) T + t,
              grads   {tensor name: row-major d(loss)/d(tensor)}}
Weights are written with 9 significant digits, which read back (as a double,
then rounded to float) to the same float32; computed values with 10 (relative
rounding 5e-11, far below the float32 tolerances of the test).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transformer_torch import Transformer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "golden", "transformer_fixture.json")

# Small on purpose (the fixture stays well under 1 MB) but with every code
# path: hd = 8 gives 4 RoPE pairs, V = 7 and T = 9 are not multiples of the C
# kernels' tile sizes, and T > context makes the EABF / log-n factors and the
# context-extension scalings matter.  rope_base 100 and yarn_alpha/beta
# 0.05/0.4 put the NTK-by-parts ramp through all three regimes for these
# frequencies (gamma = 1, 0.375, 0.04, 0).
CONFIG = {"vocab_size": 7, "d_model": 16, "n_layer": 2, "n_head": 2, "train_context": 4,
          "rope_base": 100.0, "yarn_alpha": 0.05, "yarn_beta": 0.4}
B, T = 2, 9
CASES = [
    {"name": "plain", "rope_scaling": "none", "rope_factor": 1.0, "logit_scaling": "none",
     "logit_scaling_skip_layers": 0},
    {"name": "yarn-eabf", "rope_scaling": "yarn", "rope_factor": 4.0, "logit_scaling": "eabf",
     "logit_scaling_skip_layers": 1},
    {"name": "pi-logn", "rope_scaling": "pi", "rope_factor": 2.0, "logit_scaling": "log-n",
     "logit_scaling_skip_layers": 0},
    {"name": "ntk", "rope_scaling": "ntk", "rope_factor": 3.0, "logit_scaling": "none",
     "logit_scaling_skip_layers": 0},
    {"name": "ntk-by-parts", "rope_scaling": "ntk-by-parts", "rope_factor": 2.5,
     "logit_scaling": "eabf", "logit_scaling_skip_layers": 0},
]


def make_weights(model, rng):
    """Float32 values, larger than a training init so that attention is far
    from uniform and every gradient is sizeable: matrices N(0, 0.3^2),
    LayerNorm weights 1 + N(0, 0.2^2), biases N(0, 0.1^2)."""
    weights = {}
    for name, p in model.state_dict().items():
        if p.dim() == 2:
            w = rng.normal(0.0, 0.3, size=tuple(p.shape))
        elif name.endswith(".weight"):
            w = 1.0 + rng.normal(0.0, 0.2, size=tuple(p.shape))
        else:
            w = rng.normal(0.0, 0.1, size=tuple(p.shape))
        weights[name] = w.astype(np.float32)
    return weights


def flat(t, digits=10):
    """Row-major list of numbers rounded to `digits` significant digits (json
    writes the shortest text of each rounded double)."""
    return [float("%.*g" % (digits, x)) for x in np.asarray(t, dtype=np.float64).ravel()]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(20240601)
    weights = make_weights(Transformer(dict(CONFIG, **CASES[0])), rng)
    tokens = rng.integers(0, CONFIG["vocab_size"], size=(B, T + 1))
    inputs = torch.tensor(tokens[:, :T])
    targets = torch.tensor(tokens[:, 1:])
    cases = []
    for case in CASES:
        model = Transformer(dict(CONFIG, **{k: v for k, v in case.items() if k != "name"}))
        model.load_state_dict({k: torch.tensor(v.astype(np.float64)) for k, v in weights.items()})
        logits = model(inputs, keep_attention=True)
        loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))
        loss.backward()
        entropy = []
        for att in model.attention:  # (B, H, T, T)
            a = att.numpy()
            h = -np.sum(np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0)), 0.0), axis=-1)
            entropy.append(h.sum(axis=0))  # (H, T): Σ over the batch
        cases.append(dict(case, logits=flat(logits.detach()), loss=float(loss),
                          entropy=flat(np.stack(entropy)),
                          grads={n: flat(p.grad) for n, p in model.named_parameters()}))
    fixture = {
        "format": "ctxlab-transformer-golden-1",
        "generator": "tests/python/make_transformer_fixture.py, PyTorch %s, float64" %
                     torch.__version__,
        "config": CONFIG, "B": B, "T": T, "tokens": tokens.tolist(),
        "weights": {n: {"shape": list(w.shape), "data": flat(w, 9)}
                    for n, w in weights.items()},
        "cases": cases,
    }
    with open(out, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s (%d bytes)" % (out, os.path.getsize(out)))


if __name__ == "__main__":
    main()
