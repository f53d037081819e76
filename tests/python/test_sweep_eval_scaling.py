"""Experiments whose model entries carry "eval" overrides: a transformer
trained plain and evaluated past its training context with YaRN or EABF
(the way context-extension methods are used), in a sweep.

Expected values come from the commands a point stands for: `ctxlab train`
with the entry's training options (--save a checkpoint), then `ctxlab eval
CHECKPOINT --context EVAL_CONTEXT --rope-scaling ...` on it; a point must
report exactly that command's numbers, bit for bit.  The three entries share
their training keys, so the one checkpoint trained here is the model of all
three points.  Also checked: the canonical experiment and the results lines
carry the full "eval" (every position option, defaults filled), `ctxlab
report` gives the three models distinct labels (kind, then the key or
eval.key values that differ between them, the rule of
notebooks-export/results.c, re-implemented here), and bad "eval" entries are
errors naming their JSON path.
"""
import csv
import json
import os

from ctxlab_testlib import check, main, run, run_json, tempdir
from sweep_testlib import LANGUAGE, SANITIZE, experiment, read_lines, sweep

CONTEXT, EVAL_CONTEXT, D, SEED = 4, 16, 2000, 3
EVAL_TOKENS = 1024 if SANITIZE else 4096
TRAINING = {"model": "transformer", "dim": 8, "heads": 2, "layers": 1, "steps": 30, "batch": 8,
            "lr": 0.01}
EVALS = [None, {"rope_scaling": "yarn", "rope_factor": 4},
         {"logit_scaling": "eabf", "logit_scaling_skip_layers": 0}]
MODELS = [dict(TRAINING, **({"eval": e} if e else {})) for e in EVALS]
POSITION_DEFAULTS = {"rope_base": 10000, "rope_scaling": "none", "rope_factor": 1,
                     "yarn_alpha": 1, "yarn_beta": 32, "logit_scaling": "none",
                     "logit_scaling_skip_layers": 0}   # `ctxlab train --help`, README


def the_experiment():
    e = experiment(MODELS, [CONTEXT], [D], [SEED], EVAL_TOKENS)
    e["eval_context"] = EVAL_CONTEXT
    return e


def eval_options(overrides):
    return [a for k, v in (overrides or {}).items() for a in ("--" + k.replace("_", "-"), str(v))]


def expected_labels(models):
    """kind, then ' key=value' for each key whose value differs from another model's of
    the kind, and ' eval.key=value' for each eval key that does (a model without "eval"
    is evaluated with its own options)."""
    def value(m, key, sub):
        if sub is None:
            return m.get(key)
        return m["eval"].get(sub) if "eval" in m else m.get(sub)

    def text(v):
        return v if isinstance(v, str) else json.dumps(v)

    labels = []
    for i, m in enumerate(models):
        label = m["model"]
        others = [o for j, o in enumerate(models) if j != i and o["model"] == m["model"]]
        for key, v in m.items():
            subs = list(v.items()) if isinstance(v, dict) else [(None, v)]
            for sub, sv in subs:
                if any(value(o, key, sub) != sv for o in others):
                    label += " %s%s=%s" % (key, "." + sub if sub else "", text(sv))
        labels.append(label)
    return labels


@check
def points_equal_train_then_eval_with_the_options():
    with tempdir() as d:
        out = os.path.join(d, "sweep")
        sweep(the_experiment(), out)
        lines = sorted(read_lines(out), key=lambda l: l["index"])
        canonical = json.load(open(os.path.join(out, "experiment.json")))

        ck = os.path.join(d, "model.safetensors")
        train = ["train", json.dumps(LANGUAGE), "--model", "transformer", "--context", CONTEXT,
                 "--train-tokens", D, "--seed", SEED, "--eval-tokens", 0, "--threads", 1,
                 "--quiet", "--save", ck]
        for key, v in TRAINING.items():
            if key != "model":
                train += ["--" + key.replace("_", "-"), v]
        run(train)
        assert len(lines) == len(EVALS)
        curves = []
        for line, entry, overrides in zip(lines, canonical["models"], EVALS):
            want = dict(POSITION_DEFAULTS, **overrides) if overrides else None
            assert entry.get("eval") == want, (entry.get("eval"), want)
            assert line["model"].get("eval") == want, (line["model"].get("eval"), want)
            assert line["model"]["rope_scaling"] == "none"   # trained plain
            ev = run_json(["eval", ck, "--context", EVAL_CONTEXT, "--eval-tokens", EVAL_TOKENS,
                           "--threads", 1] + eval_options(overrides))
            for key, v in (want or {}).items():
                assert ev["model"][key] == v, (key, ev["model"][key], v)
            m = line["measured"]
            assert len(m["loss_by_context_bits"]) == EVAL_CONTEXT
            for key in ("loss_by_context_bits", "bayes_by_context_bits", "kl_by_context_bits"):
                assert m[key] == ev[key], (overrides, key, m[key], ev[key])
            assert m["loss_bits"] == ev["last_loss_bits"] and m["mean_loss_bits"] == ev["loss_bits"]
            curves.append(m["loss_by_context_bits"])
        # the overrides change the eval beyond the training context ...
        assert curves[0][CONTEXT:] != curves[1][CONTEXT:]
        assert curves[0][CONTEXT:] != curves[2][CONTEXT:]
        # ... and EABF's lambda(n) = max(1, ln n / ln T) is 1 up to T: same first T positions
        assert curves[2][:CONTEXT] == curves[0][:CONTEXT]

        run(["report", out])
        with open(os.path.join(out, "points.csv")) as f:
            rows = sorted(csv.DictReader(f), key=lambda r: int(r["index"]))
        labels = [r["model"] for r in rows]
        assert labels == expected_labels(canonical["models"]), labels
        assert len(set(labels)) == len(EVALS), labels
        print("report labels: %s" % labels)


@check
def bad_eval_entries_name_their_path():
    cases = [({"eval": {"rope_scaling": "bogus"}}, "$.models[0].eval.rope_scaling: unknown value"),
             ({"eval": {"rope_factor": 0.5}}, "$.models[0].eval.rope_factor: 0.5 is out of range"),
             ({"eval": {"rope_factor": "4"}}, "$.models[0].eval.rope_factor: expected a number"),
             ({"eval": {"temperature": 2}}, "$.models[0].eval.temperature: unknown evaluation"),
             ({"eval": {"dim": 16}}, "$.models[0].eval.dim: 'd_model' cannot change"),
             ({"eval": ["yarn"]}, "$.models[0].eval: expected an object"),
             ({"eval": {"rope_scaling": "yarn", "yarn_alpha": 64}},
              "$.models[0].eval at context 4: rope_scaling yarn needs 0 <= yarn_alpha < yarn_beta")]
    for extra, message in cases:
        e = experiment([dict(TRAINING, **extra)], [CONTEXT], [D], [SEED], EVAL_TOKENS)
        p = run(["sweep", json.dumps(e), "--dry-run"], expect_rc=2)
        assert message in p.stderr, (extra, p.stderr)
    e = experiment([{"model": "rnn", "eval": {"rope_scaling": "pi"}}], [CONTEXT], [D], [SEED], 64)
    p = run(["sweep", json.dumps(e), "--dry-run"], expect_rc=2)
    assert "$.models[0].eval: model rnn has no position handling" in p.stderr, p.stderr
    # eabf divides by ln T: a grid context of 1 is refused for that entry, at parse time
    e = experiment([dict(TRAINING, eval={"logit_scaling": "eabf"})], [1], [D], [SEED], 64)
    p = run(["sweep", json.dumps(e), "--dry-run"], expect_rc=2)
    assert "$.models[0].eval at context 1: logit_scaling eabf needs" in p.stderr, p.stderr


if __name__ == "__main__":
    main()
