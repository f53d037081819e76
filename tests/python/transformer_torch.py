"""ctxlab's transformer in PyTorch, written from its specification
(sim/transformer/transformer.h, positions.c's formulas), not from the C code.

Used by make_transformer_fixture.py (golden values in float64) and by
bench/bench_transformer.py (the speed comparison).  Needs torch (Debian
python3-torch 1.13), which CI does not have: nothing in CTest imports this.

The parameter names of Transformer.state_dict() are the checkpoint names:
wte.weight, blocks.{i}.ln1.weight, blocks.{i}.attn.qkv.weight, ..., head.weight.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

ROPE_SCALINGS = ("none", "pi", "ntk", "ntk-by-parts", "yarn")
LOGIT_SCALINGS = ("none", "eabf", "log-n")


def rope_theta(hd, base=10000.0, scaling="none", s=1.0, context=0, alpha=1.0, beta=32.0):
    """Angular frequency of each of the hd/2 pairs (float64 numpy)."""
    j = np.arange(hd // 2, dtype=np.float64)
    if scaling == "ntk":  # NTK-aware: base * s^(hd/(hd-2))
        base = base * s ** (hd / (hd - 2))
    theta = base ** (-2.0 * j / hd)
    if scaling == "pi":  # positions divided by s
        theta = theta / s
    elif scaling in ("ntk-by-parts", "yarn"):  # YaRN paper eqs. 17-18, ramp in r
        r = context * theta / (2 * math.pi)
        gamma = np.clip((r - alpha) / (beta - alpha), 0.0, 1.0)
        theta = theta * ((1 - gamma) / s + gamma)
    return theta


def logit_multipliers(T, layer, rope_scaling="none", s=1.0, logit_scaling="none", skip=0,
                      context=0):
    """Multiplier of q.k/sqrt(hd) for query positions 0..T-1 (float64 numpy)."""
    t = np.ones(T)
    if rope_scaling == "yarn" and s > 1:
        t *= (0.1 * math.log(s) + 1) ** 2
    if logit_scaling != "none" and layer >= skip:
        lam = np.log(np.arange(1, T + 1, dtype=np.float64)) / math.log(context)
        if logit_scaling == "eabf":
            lam = np.maximum(lam, 1.0)
        t *= lam
    return t


class Attention(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.qkv = torch.nn.Linear(d, 3 * d, bias=False)
        self.proj = torch.nn.Linear(d, d, bias=False)


class MLP(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = torch.nn.Linear(d, 4 * d, bias=False)
        self.proj = torch.nn.Linear(4 * d, d, bias=False)


class Block(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(d, eps=1e-5)
        self.attn = Attention(d)
        self.ln2 = torch.nn.LayerNorm(d, eps=1e-5)
        self.mlp = MLP(d)


class Transformer(torch.nn.Module):
    """cfg: dict with vocab_size, d_model, n_layer, n_head, context and the
    position options (rope_base, rope_scaling, rope_factor, yarn_alpha,
    yarn_beta, logit_scaling, logit_scaling_skip_layers)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        V, d = cfg["vocab_size"], cfg["d_model"]
        self.wte = torch.nn.Embedding(V, d)
        self.blocks = torch.nn.ModuleList([Block(d) for _ in range(cfg["n_layer"])])
        self.lnf = torch.nn.LayerNorm(d, eps=1e-5)
        self.head = torch.nn.Linear(d, V, bias=False)
        self.attention = None  # filled by forward(keep_attention=True)

    def position_tables(self, T, dtype):
        c = self.cfg
        hd = c["d_model"] // c["n_head"]
        theta = rope_theta(hd, c.get("rope_base", 10000.0), c.get("rope_scaling", "none"),
                           c.get("rope_factor", 1.0), c["train_context"], c.get("yarn_alpha", 1.0),
                           c.get("yarn_beta", 32.0))
        angle = np.arange(T, dtype=np.float64)[:, None] * theta[None, :]
        cos = torch.tensor(np.cos(angle), dtype=dtype)
        sin = torch.tensor(np.sin(angle), dtype=dtype)
        scales = [torch.tensor(logit_multipliers(T, l, c.get("rope_scaling", "none"),
                                                 c.get("rope_factor", 1.0),
                                                 c.get("logit_scaling", "none"),
                                                 c.get("logit_scaling_skip_layers", 0),
                                                 c["train_context"]) / math.sqrt(hd), dtype=dtype)
                  for l in range(c["n_layer"])]
        return cos, sin, scales

    @staticmethod
    def rope(x, cos, sin):
        """Rotate-half RoPE: pair (j, j + hd/2) by angle (T, hd/2)."""
        h2 = x.shape[-1] // 2
        a, b = x[..., :h2], x[..., h2:]
        return torch.cat((a * cos - b * sin, b * cos + a * sin), dim=-1)

    def forward(self, tokens, keep_attention=False):
        B, T = tokens.shape
        d, H = self.cfg["d_model"], self.cfg["n_head"]
        hd = d // H
        dtype = self.wte.weight.dtype
        cos, sin, scales = self.position_tables(T, dtype)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        self.attention = [] if keep_attention else None
        x = self.wte(tokens)
        for l, blk in enumerate(self.blocks):
            q, k, v = blk.attn.qkv(blk.ln1(x)).split(d, dim=-1)
            q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
            q, k = self.rope(q, cos, sin), self.rope(k, cos, sin)
            logits = (q @ k.transpose(-1, -2)) * scales[l][:, None]
            att = logits.masked_fill(~mask, float("-inf")).softmax(dim=-1)
            if keep_attention:
                self.attention.append(att.detach())
            y = (att @ v).transpose(1, 2).reshape(B, T, d)
            x = x + blk.attn.proj(y)
            x = x + blk.mlp.proj(F.gelu(blk.mlp.fc(blk.ln2(x)), approximate="tanh"))
        return self.head(self.lnf(x))
