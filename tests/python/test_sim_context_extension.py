"""Evaluating past the training context (`ctxlab eval --context 32` of models
trained at T = 8 on an order-2 Markov language over 3 tokens, markov_blocks.P2).

What is asserted, and why it must hold:
- causality: positions 1..T of a 32-token eval equal an 8-token eval of the
  same windows (sequence i of a sample set does not depend on its length,
  README "Reproducibility"; a causal model's score at position t reads tokens
  0..t only), for the rnn, and for the transformer with no scaling and with
  EABF (lambda(n) = 1 for n <= T);
- the oracle side beyond T: bayes_by_context_bits[c-1] is H(min(c, 2)) within
  4 standard errors (H(c) and the spread of -log2 P_c(x) computed with numpy
  from the transition table; an order-2 chain has H(c) = H(2) for c >= 2), and
  loss - bayes agrees with the KL within 4 standard errors of the loss
  (E[loss - bayes] = KL, SCIENCE.md §1);
- the transformer's layer-0 attention entropies at every n = 1..32 under
  rope scaling none / pi / yarn and logit scaling eabf, applied at eval time to
  the same weights (`ctxlab eval --rope-scaling ... --logit-scaling ...`; the
  eval JSON's "model" is that config), equal a numpy
  re-computation of layer 0 from the checkpoint's tensors and the eval windows
  (`ctxlab gen --sequences --length 33 --seed S` are those windows), with the
  formulas written here from their papers: PI theta/s (Chen et al. 2023), YaRN
  theta ((1-g)/s + g), g the ramp of L theta / 2 pi between alpha and beta, and
  logits times (0.1 ln s + 1)^2 (Peng et al. 2023, eqs. 17-18, 22), EABF
  lambda = max(1, ln n / ln T) (Zhang et al. 2024).  Tolerance 1e-4 nats: C
  computes in float32, numpy in float64;
- EABF sharpens layer-0 attention: with the same weights, layer 0's logits are
  those of the unscaled model times lambda(n) >= 1, and the entropy of
  softmax(lambda z) does not increase with lambda (dH/dlambda = -lambda Var(z)
  <= 0), so every head's mean entropy at n > T is at most the unscaled one, and
  equal at n <= T.  Deeper layers see different inputs: nothing is claimed;
- `ctxlab eval --rope-scaling yarn --rope-factor 4` gives exactly (bit for
  bit, the same float computation) the eval of a copy of the checkpoint whose
  metadata says yarn with factor 4 (the config a checkpoint is loaded with,
  an independent route to the same model);
- bad position options are exit 2 with a message naming the option: unknown
  values, out-of-range factors, YaRN ramp bounds in the wrong order, an
  architecture option (--dim), and any position option on an rnn checkpoint.

Not a theorem, printed but asserted only loosely: how the loss of the models
behaves beyond T.  The rnn's loss beyond T is held below H(0), the unigram
entropy, as a sanity bound (a state that blows up past the training length
would break it).
"""
import json
import os

import numpy as np

from ctxlab_testlib import assert_close, check, main, run, run_json, tempdir
from markov_blocks import P2, bayes_risk, block_laws, spec

LANG = spec(P2, 2)
JOINT = block_laws(P2, 2)
SANITIZED = os.environ.get("CTXLAB_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES")
T, LONG, SEED = 8, 32, 99
WINDOWS = 512 if SANITIZED else 1024       # the bounds below scale with it
STEPS = "60" if SANITIZED else "300"


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    tensors = {}
    for name, t in header.items():
        if name != "__metadata__" and t["dtype"] == "F32":
            b, e = t["data_offsets"]
            tensors[name] = np.frombuffer(raw[8 + n + b:8 + n + e], "<f4").reshape(t["shape"])
    return header, raw[8 + n:], tensors


def with_metadata(src, dst, **changes):
    """A copy of checkpoint src whose config strings are changed (same tensors)."""
    header, data, _ = read_safetensors(src)
    header["__metadata__"].update({k: str(v) for k, v in changes.items()})
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(dst, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + data)


def train(kind, d, extra):
    ck = os.path.join(d, kind + ".safetensors")
    run(["train", LANG, "--model", kind, "--context", str(T), "--steps", STEPS, "--batch", "32",
         "--dim", "32", "--layers", "2", "--eval-tokens", "0", "--quiet", "--save", ck] + extra)
    return ck


_evals = {}


def evaluate(ck, context, options=()):
    """`ctxlab eval` of the checkpoint (a file is evaluated once per context and options)."""
    args = ["eval", ck, "--context", str(context), "--seed", str(SEED),
            "--eval-tokens", str(WINDOWS * context)] + list(options)
    if tuple(args) not in _evals:
        _evals[tuple(args)] = run_json(args)
    return _evals[tuple(args)]


def position_options(changes):
    """`ctxlab eval` options for config changes {"rope_factor": 4, ...}."""
    return [a for k, v in changes.items() for a in ("--" + k.replace("_", "-"), str(v))]


_transformer = {}


def trained_transformer():
    """One transformer checkpoint (trained once, shared by the checks) and its directory."""
    if not _transformer:
        d = tempdir()
        _transformer.update(dir=d, ck=train("transformer", d.name, ["--heads", "2", "--lr", "1e-2"]))
    return _transformer["ck"], _transformer["dir"].name


def check_long_eval(ev, short):
    assert ev["windows"] == WINDOWS and short["windows"] == WINDOWS
    for key in ("loss_by_context_bits", "bayes_by_context_bits", "kl_by_context_bits"):
        v = np.array(ev[key])
        assert len(v) == LONG and np.all(np.isfinite(v)), key
        assert np.array_equal(v[:T], short[key]), (key, v[:T], short[key])   # causality
    loss, bayes, kl = (np.array(ev[k]) for k in
                       ("loss_by_context_bits", "bayes_by_context_bits", "kl_by_context_bits"))
    se = np.array(ev["stderr_loss_by_context_bits"])
    H, sd = np.array([bayes_risk(JOINT, 3, min(c, 2)) for c in range(1, LONG + 1)]).T
    assert np.all(np.abs(bayes - H) < 4 * sd / np.sqrt(WINDOWS)), (bayes, H)
    assert np.all(kl >= 0)
    assert np.all(np.abs(loss - bayes - kl) < 4 * se), (loss - bayes, kl, se)
    return loss, kl


@check
def rnn_past_its_training_context():
    with tempdir() as d:
        ck = train("rnn", d, ["--cell", "lru", "--state-size", "32", "--lr", "3e-3"])
        ev, short = evaluate(ck, LONG), evaluate(ck, T)
    loss, kl = check_long_eval(ev, short)
    H0 = bayes_risk(JOINT, 3, 0)[0]
    print("rnn (lru) KL at c = 1..32: %s" % np.round(kl, 3))
    print("rnn (lru) loss beyond T: max %.3f bits, H(0) = %.3f" % (loss[T:].max(), H0))
    assert np.all(loss[T:] < H0), (loss[T:], H0)   # sanity bound, see the docstring


def head_entropies_layer0(tensors, cfg, tokens):
    """Mean over windows of each layer-0 head's attention entropy (nats) at n = 1..L,
    in float64, from the architecture of the README."""
    d, nh = cfg["d_model"], cfg["n_head"]
    hd = d // nh
    x = tensors["wte.weight"].astype(np.float64)[tokens]            # (W, L, d)
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    h = (x - mu) / np.sqrt(var + 1e-5) * tensors["blocks.0.ln1.weight"] + tensors["blocks.0.ln1.bias"]
    qkv = h @ tensors["blocks.0.attn.qkv.weight"].astype(np.float64).T
    W, L = tokens.shape
    q = qkv[..., :d].reshape(W, L, nh, hd)
    k = qkv[..., d:2 * d].reshape(W, L, nh, hd)
    theta = cfg["rope_base"] ** (-2.0 * np.arange(hd // 2) / hd)
    s, mult = cfg["rope_factor"], 1.0
    if cfg["rope_scaling"] == "pi":
        theta = theta / s
    elif cfg["rope_scaling"] == "yarn":
        r = cfg["train_context"] * theta / (2 * np.pi)
        g = np.clip((r - cfg["yarn_alpha"]) / (cfg["yarn_beta"] - cfg["yarn_alpha"]), 0, 1)
        theta = theta * ((1 - g) / s + g)
        mult = (0.1 * np.log(s) + 1) ** 2
    ang = np.arange(L)[:, None] * theta                                  # (L, hd/2)
    cos, sin = np.cos(ang)[None, :, None, :], np.sin(ang)[None, :, None, :]

    def rope(v):
        a, b = v[..., :hd // 2], v[..., hd // 2:]
        return np.concatenate([a * cos - b * sin, a * sin + b * cos], -1)

    logits = np.einsum("wqhi,wkhi->whqk", rope(q), rope(k)) / np.sqrt(hd) * mult
    n = np.arange(1, L + 1)
    if cfg["logit_scaling"] == "eabf":
        logits = logits * np.maximum(1, np.log(n) / np.log(cfg["train_context"]))[:, None]
    logits = np.where(np.tril(np.ones((L, L), bool)), logits, -np.inf)
    a = np.exp(logits - logits.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    ent = -np.sum(np.where(a > 0, a * np.log(np.where(a > 0, a, 1)), 0), -1)   # (W, nh, L)
    return ent.mean(0)                                                     # (nh, L)


@check
def transformer_scalings_applied_at_eval_time():
    scalings = {"none": {}, "eabf": {"logit_scaling": "eabf"},
                "pi": {"rope_scaling": "pi", "rope_factor": LONG // T},
                "yarn": {"rope_scaling": "yarn", "rope_factor": LONG // T}}
    ck, d = trained_transformer()
    header, _, tensors = read_safetensors(ck)
    windows = os.path.join(d, "eval.npy")
    run(["gen", LANG, "--sequences", str(WINDOWS), "--length", str(LONG + 1), "--seed",
         str(SEED), "-o", windows, "--quiet"])
    tokens = np.load(windows)[:, :LONG].astype(np.int64)
    ent = {}
    for name, changes in scalings.items():
        options = position_options(changes)
        ev = evaluate(ck, LONG, options)
        if name in ("none", "eabf"):    # lambda = 1 up to T: the first T positions are causal
            check_long_eval(ev, evaluate(ck, T, options))
        meta = dict(header["__metadata__"], **{k: str(v) for k, v in changes.items()})
        cfg = {k: (meta[k] if k.endswith("scaling") else float(meta[k])) for k in
               ("d_model", "n_head", "rope_base", "rope_factor", "rope_scaling", "yarn_alpha",
                "yarn_beta", "logit_scaling", "train_context")}
        cfg["d_model"], cfg["n_head"] = int(cfg["d_model"]), int(cfg["n_head"])
        for key, value in cfg.items():   # the eval JSON records the config evaluated
            assert ev["model"][key] == value, (name, key, ev["model"][key], value)
        got = np.array(ev["attention_entropy_nats"])                   # (layer, head, n)
        assert got.shape == (2, 2, LONG), got.shape
        assert_close(got[0], head_entropies_layer0(tensors, cfg, tokens), 1e-4,
                     "layer-0 attention entropy, " + name)
        ent[name] = got
        print("%-4s layer-0 mean entropy at n = %d: %s nats, KL at n = 32: %.3f bits" %
              (name, LONG, np.round(got[0, :, -1], 3), ev["kl_by_context_bits"][-1]))
    assert np.array_equal(ent["eabf"][0, :, :T], ent["none"][0, :, :T])
    assert np.all(ent["eabf"][0, :, T:] <= ent["none"][0, :, T:] + 1e-6)
    assert np.all(ent["eabf"][0, :, -1] < ent["none"][0, :, -1])   # lambda(32) = 5/3: strictly


@check
def eval_options_equal_a_checkpoint_saying_yarn():
    ck, d = trained_transformer()
    edited = os.path.join(d, "yarn.safetensors")
    with_metadata(ck, edited, rope_scaling="yarn", rope_factor=4)
    by_metadata = evaluate(edited, LONG)
    by_options = evaluate(ck, LONG, ["--rope-scaling", "yarn", "--rope-factor", "4"])
    assert by_options["model"]["rope_scaling"] == "yarn" and by_options["model"]["rope_factor"] == 4
    assert by_options == by_metadata
    plain = evaluate(ck, LONG)                  # and the options do change the eval
    assert plain["model"]["rope_scaling"] == "none"
    assert plain["loss_by_context_bits"] != by_options["loss_by_context_bits"]


@check
def bad_position_options_are_usage_errors():
    ck, d = trained_transformer()
    rnn = os.path.join(d, "rnn.safetensors")
    run(["train", LANG, "--model", "rnn", "--context", str(T), "--steps", "1", "--dim", "8",
         "--state-size", "4", "--eval-tokens", "0", "--quiet", "--save", rnn])
    cases = [(ck, ["--rope-scaling", "linear"], "--rope-scaling: unknown value 'linear'"),
             (ck, ["--logit-scaling", "eabf2"], "--logit-scaling: unknown value 'eabf2'"),
             (ck, ["--rope-factor", "0.5"], "--rope-factor: 0.5 is out of range"),
             (ck, ["--rope-factor", "four"], "--rope-factor: 'four' is not a number"),
             (ck, ["--logit-scaling-skip-layers", "1.5"],
              "--logit-scaling-skip-layers: 1.5 is not a whole number"),
             (ck, ["--rope-scaling", "yarn", "--yarn-alpha", "40"], "yarn_alpha < yarn_beta"),
             (ck, ["--logit-scaling", "eabf", "--logit-scaling-skip-layers", "3"],
              "logit_scaling_skip_layers 3 exceeds n_layer 2"),
             (ck, ["--dim", "64"], "--dim: 'd_model' cannot change after training"),
             (rnn, ["--rope-scaling", "pi"], "--rope-scaling: model rnn has no position handling"),
             (rnn, ["--logit-scaling", "eabf"], "--logit-scaling: model rnn has no position")]
    for path, options, message in cases:
        p = run(["eval", path, "--eval-tokens", "64"] + options, expect_rc=2)
        assert message in p.stderr, (options, p.stderr)
        assert p.stdout == "", (options, p.stdout)


if __name__ == "__main__":
    main()
