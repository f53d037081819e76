"""`ctxlab sweep`: what results.jsonl and summary.json hold, and that they do
not depend on how the points were spread (--jobs, MPI ranks).

Expected values come from: `ctxlab train` run here with the same options (a
point must report exactly that command's eval numbers, bit for bit), the
exact H(c) of `ctxlab theory` (checked against numpy in
test_markov_theory_numpy.py), the grid order and the argmin of the seed
means recomputed here with numpy from the lines, and runs that must agree
exactly (one process vs --jobs 2 vs 2 MPI ranks).
"""
import json
import os

import numpy as np

from ctxlab_testlib import check, main, run, run_json, tempdir, tool
from sweep_testlib import (SANITIZE, experiment, mpirun, points, read_lines, run_mpi, sweep,
                           sweep_once, without_timing)

MODELS = [{"model": "ngram"},
          {"model": "ngram", "smoothing": "kneser-ney"},
          {"model": "mlp", "dim": 8, "hidden": 16, "steps": 12, "batch": 4, "lr": 0.01}]
EXP = experiment(MODELS, [1, 2, 3], [300, 3000], [1, 2], 1024 if SANITIZE else 4096)

MEASURED = {"loss_bits", "stderr_bits", "bayes_bits", "kl_bits", "mean_loss_bits",
            "loss_by_context_bits", "bayes_by_context_bits", "kl_by_context_bits", "param_count",
            "history_state_floats", "tokens_per_s"}
PREDICTED = {"bayes_bits", "bayes_stderr_bits", "approx_bits", "approx_stderr_bits", "loss_bits",
             "method", "approximate"}

serial_run = sweep_once(EXP, "serial")  # the reference: the experiment in one process


def train_command(point):
    """`ctxlab train` options for a point (model entry keys are the option names)."""
    m = MODELS[point["model"]]
    args = ["train", json.dumps(EXP["language"]), "--model", m["model"], "--context",
            point["context"], "--train-tokens", point["train_tokens"], "--seed", point["seed"],
            "--eval-tokens", EXP["eval_tokens"], "--threads", "1", "--quiet"]
    for key, value in m.items():
        if key != "model":
            args += ["--" + key.replace("_", "-"), value]
    return args


@check
def one_complete_line_per_point():
    lines = serial_run()["lines"]
    grid = points(EXP)
    assert sorted(l["index"] for l in lines) == list(range(len(grid)))
    for line in lines:
        p = grid[line["index"]]
        assert set(line) == {"index", "model", "context", "train_tokens", "seed", "measured",
                             "predicted", "time_s"}, sorted(line)
        assert (line["context"], line["train_tokens"], line["seed"]) == \
            (p["context"], p["train_tokens"], p["seed"]), (line["index"], p)
        assert line["model"]["model"] == MODELS[p["model"]]["model"]
        assert line["model"]["train_context"] == p["context"]
        assert set(line["measured"]) == MEASURED, sorted(line["measured"])
        assert set(line["predicted"]) == PREDICTED, sorted(line["predicted"])
        m = line["measured"]
        assert len(m["loss_by_context_bits"]) == p["context"]
        assert abs(m["loss_bits"] - m["loss_by_context_bits"][-1]) <= 1e-12
        assert line["time_s"] > 0 and m["tokens_per_s"] > 0
        pred = line["predicted"]
        if line["model"]["model"] == "ngram":  # the theory's approximation loss
            assert pred["approx_bits"] >= 0, pred
            assert abs(pred["loss_bits"] - (pred["bayes_bits"] + pred["approx_bits"])) <= 1e-12
        else:  # no prediction for trained neural models
            assert pred["approx_bits"] is None and pred["loss_bits"] is None, pred


@check
def measured_equals_ctxlab_train():
    lines = {l["index"]: l for l in serial_run()["lines"]}
    grid = points(EXP)
    # every model, both sizes, both seeds, the smallest and largest context
    chosen = [p for p in grid if p["context"] in (1, 3) and (p["seed"] == 2 or p["model"] != 2)]
    if SANITIZE:
        chosen = chosen[::3]
    for p in chosen:
        r = run_json(train_command(p))
        m, ev = lines[p["index"]]["measured"], r["eval"]
        assert m["loss_bits"] == ev["last_loss_bits"], p
        assert m["mean_loss_bits"] == ev["loss_bits"], p
        assert m["stderr_bits"] == ev["stderr_loss_by_context_bits"][-1], p
        assert m["bayes_bits"] == ev["bayes_by_context_bits"][-1], p
        assert m["kl_bits"] == ev["kl_by_context_bits"][-1], p
        for key in ("loss_by_context_bits", "bayes_by_context_bits", "kl_by_context_bits"):
            assert m[key] == ev[key], (p, key)
        assert m["param_count"] == r["param_count"], p
        assert m["history_state_floats"] == r["history_state_floats"], p
        # the line's model: run.json's config plus the training options given
        model = dict(lines[p["index"]]["model"])
        extra = {k: model.pop(k) for k in list(model) if k not in r["model"]}
        assert model == r["model"], (model, r["model"])
        opts = r["train"]["options"]
        if MODELS[p["model"]]["model"] == "ngram":
            assert extra == {}, extra
        else:
            assert extra == {"steps": opts["steps"], "batch": opts["batch"], "lr": opts["lr"],
                             "weight_decay": opts["weight_decay"], "epochs": opts["max_epochs"],
                             "patience": opts["patience"]}, (extra, opts)


@check
def predicted_bayes_is_the_exact_entropy():
    theory = run_json(["theory", json.dumps(EXP["language"]), "--max-context", "3"])
    h = theory["conditional_entropy"]
    assert h["method"] == "exact"
    for line in serial_run()["lines"]:
        pred = line["predicted"]
        assert pred["bayes_bits"] == h["bits"][line["context"]], line["index"]
        assert pred["bayes_stderr_bits"] == 0
        # "method" is the approximation loss's where there is one
        assert pred["method"] in ("exact", "monte-carlo"), pred


@check
def predicted_approx_is_the_theory_prediction():
    """A point's prediction is ctxlab_predict_ngram's for its language, order,
    D and estimator (the tool calls it directly; its accuracy against trained
    models is test_predict_ngram.py's subject)."""
    lines = serial_run()["lines"]
    lang = json.dumps(EXP["language"])
    for mi, m in enumerate(MODELS):
        if m["model"] != "ngram":
            continue
        for d in EXP["grid"]["train_tokens"]:
            args = [lang, ",".join(str(c) for c in EXP["grid"]["context"]), str(d)]
            if m.get("smoothing") == "kneser-ney":
                args += ["--kneser-ney"]
            by_order = {p["order"]: p for p in json.loads(tool("ngram_predict", args))
                        ["predictions"]}
            for line in lines:
                if line["model"]["model"] != "ngram" or line["train_tokens"] != d or \
                        line["model"]["smoothing"] != m.get("smoothing", "add-beta"):
                    continue
                want, got = by_order[line["context"]], line["predicted"]
                assert got["approx_bits"] == want["approx_bits"], (line["index"], got, want)
                assert got["approx_stderr_bits"] == want["approx_stderr_bits"], line["index"]
                assert got["approximate"] == want["approximate"], line["index"]


@check
def summary_optimal_context_is_the_argmin_of_seed_means():
    s = serial_run()
    summary, lines = s["summary"], {l["index"]: l for l in s["lines"]}
    assert summary["points"] == summary["finished"] == len(points(EXP))
    assert summary["experiment"] == json.load(open(os.path.join(s["out"], "experiment.json")))
    g = EXP["grid"]
    grid = points(EXP)
    expected = []
    for mi in range(len(MODELS)):
        for d in g["train_tokens"]:
            means = []
            for c in g["context"]:
                ls = [lines[p["index"]]["measured"]["loss_bits"] for p in grid
                      if (p["model"], p["context"], p["train_tokens"]) == (mi, c, d)]
                assert len(ls) == len(g["seed"])
                means.append(np.mean(ls))
            k = int(np.argmin(means))  # the first of equal minima, as the summary
            expected.append((mi, d, g["context"][k], means[k]))
    got = summary["optimal_context"]
    assert len(got) == len(expected)
    canonical = summary["experiment"]["models"]
    for o, (mi, d, c, x) in zip(got, expected):
        assert o["model"] == canonical[mi] and o["train_tokens"] == d
        assert o["measured"] == c, (o, c)
        assert abs(o["measured_loss_bits"] - x) <= 1e-12 * abs(x), (o, x)
        if MODELS[mi]["model"] != "ngram":  # no predicted loss: no predicted optimum
            assert o["predicted"] is None and o["predicted_loss_bits"] is None
            continue
        pmeans = [np.mean([lines[p["index"]]["predicted"]["loss_bits"] for p in grid
                           if (p["model"], p["context"], p["train_tokens"]) == (mi, c, d)])
                  for c in g["context"]]
        k = int(np.argmin(pmeans))
        assert o["predicted"] == g["context"][k], (o, pmeans)
        assert abs(o["predicted_loss_bits"] - pmeans[k]) <= 1e-12 * pmeans[k]
    # too few contexts (3) and sizes (2) here for any fit; test_sweep_fits.py fits
    assert set(summary["fits"]) == {"bayes_exact", "entropy_linear", "loss_vs_context",
                                    "approx_vs_data"}, summary["fits"]


@check
def eval_context_evaluates_past_the_training_context():
    """"eval_context": every point is scored at positions 1..max(c, eval_context),
    exactly as `ctxlab train --eval-context` scores it."""
    exp = experiment([{"model": "ngram"}], [1, 2], [300], [1], 1024)
    exp["eval_context"] = 6
    d = tempdir()
    out = os.path.join(d.name, "ext")
    sweep(exp, out)
    for line in read_lines(out):
        m = line["measured"]
        assert len(m["loss_by_context_bits"]) == 6, line["index"]
        r = run_json(["train", json.dumps(exp["language"]), "--model", "ngram", "--context",
                      line["context"], "--train-tokens", 300, "--seed", 1, "--eval-tokens", 1024,
                      "--eval-context", 6, "--threads", "1", "--quiet"])
        assert m["loss_by_context_bits"] == r["eval"]["loss_by_context_bits"], line["index"]
        assert m["loss_bits"] == r["eval"]["last_loss_bits"]
    assert json.load(open(os.path.join(out, "experiment.json")))["eval_context"] == 6


@check
def canonical_experiment_reruns_as_the_same_experiment():
    s = serial_run()
    path = os.path.join(s["out"], "experiment.json")
    canonical = json.load(open(path))
    # every default filled in
    assert canonical["models"][0] == {"model": "ngram", "smoothing": "add-beta", "beta": 0.5,
                                      "kn_discount": 0.0}
    assert canonical["models"][2]["patience"] == 3 and canonical["models"][2]["layers"] == 1
    assert canonical["language"]["concentration"] == 1.0
    before = open(os.path.join(s["out"], "results.jsonl"), "rb").read()
    # the canonical file as the experiment: the same experiment, nothing to run
    p = run(["sweep", path, "--out", s["out"]])
    assert open(os.path.join(s["out"], "results.jsonl"), "rb").read() == before
    assert "points in" not in p.stderr, p.stderr


@check
def jobs_2_equals_one_process():
    with tempdir() as d:
        out = os.path.join(d, "jobs")
        sweep(EXP, out, "--jobs", "2")
        assert without_timing(read_lines(out)) == without_timing(serial_run()["lines"])
        assert json.load(open(os.path.join(out, "summary.json"))) == serial_run()["summary"]


@check
def mpi_2_ranks_equal_one_process():
    cmd, why = mpirun()
    if not cmd:
        print("SKIP mpi_2_ranks_equal_one_process: %s" % why)
        return
    with tempdir() as d:
        out = os.path.join(d, "mpi")
        run_mpi(2, ["sweep", json.dumps(EXP), "--out", out, "-q", "--threads-per-run", "1"])
        assert without_timing(read_lines(out)) == without_timing(serial_run()["lines"])
        assert json.load(open(os.path.join(out, "summary.json"))) == serial_run()["summary"]
        # ranks resume too: nothing left to run
        before = open(os.path.join(out, "results.jsonl"), "rb").read()
        run_mpi(2, ["sweep", json.dumps(EXP), "--out", out, "-q"])
        assert open(os.path.join(out, "results.jsonl"), "rb").read() == before


main()
