"""`ctxlab sweep` refuses bad experiments and bad directories: exit status 2,
a message naming the JSON path (or the file and line), and no files left
behind.  Expected messages are the paths of the keys broken here."""
import copy
import json
import os

from ctxlab_testlib import check, main, run, tempdir
from sweep_testlib import experiment, read_lines, sweep

GOOD = experiment([{"model": "ngram"}], [1, 2], [500], [1], 512)


def broken(edit):
    e = copy.deepcopy(GOOD)
    edit(e)
    return e


CASES = [
    # (what, experiment, text the message must contain)
    ("unknown top-level key", broken(lambda e: e.update(modelz=[])), '$: unknown key "modelz"'),
    ("unknown model key", broken(lambda e: e["models"].append({"model": "ngram", "bogus": 1})),
     "$.models[1].bogus: unknown key"),
    ("unknown model kind", broken(lambda e: e["models"].__setitem__(0, {"model": "lstm"})),
     "$.models[0].model: unknown model 'lstm'"),
    ("option of another kind", broken(lambda e: e["models"][0].update(layers=2)),
     "$.models[0].layers: option 'layers' does not apply to model ngram"),
    ("training option of a counting model", broken(lambda e: e["models"][0].update(lr=0.1)),
     "$.models[0].lr: training option 'lr' does not apply to model ngram"),
    ("context in a model entry", broken(lambda e: e["models"][0].update(context=3)),
     "$.models[0].context: context comes from the grid"),
    ("bad type in the grid", broken(lambda e: e["grid"].update(context=[1, "two"])),
     "$.grid.context[1]: expected an integer, got a string"),
    ("grid not a list", broken(lambda e: e["grid"].update(seed=3)),
     "$.grid.seed: expected a list"),
    ("bad type of a model option", broken(lambda e: e["models"][0].update(beta="half")),
     "$.models[0].beta: expected a number"),
    ("out of range: beta", broken(lambda e: e["models"][0].update(beta=-1)),
     "$.models[0].beta: -1 is out of range"),
    ("out of range: train_tokens", broken(lambda e: e["grid"].update(train_tokens=[0])),
     "$.grid.train_tokens[0]: 0 is out of range"),
    ("out of range: eval_tokens", broken(lambda e: e.update(eval_tokens=0)),
     "$.eval_tokens: 0 is out of range"),
    ("duplicate grid value", broken(lambda e: e["grid"].update(context=[1, 2, 1])),
     "$.grid.context[2]: 1 is already $.grid.context[0]"),
    ("duplicate model", broken(lambda e: e["models"].append({"model": "ngram", "beta": 0.5})),
     "$.models[1]: the same model as $.models[0]"),
    ("empty grid", broken(lambda e: e["grid"].update(train_tokens=[])),
     "$.grid.train_tokens: empty list"),
    ("no models", broken(lambda e: e.update(models=[])), "$.models: empty list"),
    ("missing grid", broken(lambda e: e.pop("grid")), "$.grid: missing"),
    ("bad language", broken(lambda e: e["language"].update(vocab=1)),
     "$.language: $.vocab: 1 is out of range"),
    ("unknown preset", broken(lambda e: e.update(language="no-such-preset")),
     '$.language: "no-such-preset" is neither a preset'),
    ("more training tokens than an n-gram takes (2^32)",
     broken(lambda e: e["grid"].update(train_tokens=[1000, 2 ** 32 + 1])),
     "$.grid.train_tokens[1]: 4294967297 tokens, but $.models[0] (ngram) is fitted to at most 2^32"),
    ("eval_context of the wrong type", broken(lambda e: e.update(eval_context="long")),
     "$.eval_context: expected"),
    ("model that cannot be built at a grid context",
     broken(lambda e: e["models"].append({"model": "mlp"}) or e["grid"].update(context=[0, 1])),
     "$.models[1] at context 0: mlp"),
]


@check
def bad_experiments_are_exit_2_naming_the_path_and_leave_no_files():
    with tempdir() as d:
        for what, exp, message in CASES:
            out = os.path.join(d, "never")
            p = sweep(exp, out, expect_rc=2)
            assert message in p.stderr, (what, message, p.stderr)
            assert not os.path.exists(out), (what, "left", os.listdir(out))
        # an experiment file: its name starts the message
        path = os.path.join(d, "exp.json")
        with open(path, "w") as f:
            json.dump(CASES[0][1], f)
        p = run(["sweep", path, "--out", os.path.join(d, "never")], expect_rc=2)
        assert p.stderr.startswith("ctxlab: error: %s: $: unknown key" % path), p.stderr
        with open(path, "w") as f:
            f.write('{"language": "weather",')
        p = run(["sweep", path, "--out", os.path.join(d, "never")], expect_rc=2)
        assert "%s:1:23: JSON syntax error" % path in p.stderr, p.stderr
        assert not os.path.exists(os.path.join(d, "never"))


@check
def usage_errors():
    assert "needs --out DIR" in run(["sweep", json.dumps(GOOD)], expect_rc=2).stderr
    assert "needs --out DIR" in run(["sweep", json.dumps(GOOD), "--out", ""], expect_rc=2).stderr
    assert "needs an EXPERIMENT" in run(["sweep", "--out", "x"], expect_rc=2).stderr
    p = run(["sweep", json.dumps(GOOD), "--out", "x", "--jobs", "0"], expect_rc=2)
    assert "--jobs: 0 is out of range" in p.stderr
    assert "--out DIR" in run(["sweep", "--help"]).stdout
    p = run(["sweep", "/nonexistent/exp.json", "--out", "x"], expect_rc=2)
    assert "/nonexistent/exp.json: cannot open" in p.stderr


def snapshot(out):
    return {name: open(os.path.join(out, name), "rb").read() for name in sorted(os.listdir(out))}


@check
def another_experiment_into_the_same_directory_is_refused():
    with tempdir() as d:
        out = os.path.join(d, "sweep")
        sweep(GOOD, out)
        before = snapshot(out)
        assert sorted(before) == ["experiment.json", "results.jsonl", "summary.json"]
        other = broken(lambda e: e["grid"].update(seed=[1, 2]))
        p = sweep(other, out, expect_rc=2)
        assert "holds the results of another experiment" in p.stderr, p.stderr
        assert snapshot(out) == before


@check
def foreign_or_corrupt_results_are_refused_naming_the_line():
    with tempdir() as d:
        a, b = os.path.join(d, "a"), os.path.join(d, "b")
        sweep(GOOD, a)
        other = broken(lambda e: e["models"][0].update(beta=1.0))
        # b's results file holds a's lines: not points of b's experiment
        os.makedirs(b)
        with open(os.path.join(b, "results.jsonl"), "wb") as f:
            f.write(open(os.path.join(a, "results.jsonl"), "rb").read())
        p = sweep(other, b, expect_rc=2)
        assert "results.jsonl line 1: point 0 is not the point of this experiment" in p.stderr, \
            p.stderr
        # a complete line that is not JSON (not a torn write: it ends in '\n')
        lines = read_lines(a)
        with open(os.path.join(a, "results.jsonl"), "ab") as f:
            f.write(b"{garbage\n")
        p = sweep(GOOD, a, expect_rc=2)
        assert "results.jsonl line %d: not JSON" % (len(lines) + 1) in p.stderr, p.stderr


main()
