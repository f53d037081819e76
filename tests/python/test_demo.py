"""`ctxlab demo` (the main job), the example experiments and examples/compare.

Expected values come from: the demo's own results.jsonl and summary.json,
recomputed here (the c*(D) table it prints must be the argmin of the seed
means of measured and predicted loss); the issue's acceptance rule that the
predicted optimal n-gram order equals the measured one within one grid step
(here on santa-fe-small; test_predict_ngram.py does weather and two-facts);
and `ctxlab theory` for H(c).
"""
import json
import os
import re

import numpy as np

from ctxlab_testlib import BIN, check, main, run, run_json, tempdir

SANITIZE = os.environ.get("CTXLAB_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES")
MAX_TOKENS = 100000
SOURCE = os.environ.get("CTXLAB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CTXLAB_BUILD_DIR", os.path.dirname(os.path.dirname(BIN)))

_demo = {}


def demo():
    """A scaled-down demo: orders 0..4, D = 10^3..MAX_TOKENS, 2 seeds."""
    if not _demo:
        d = tempdir()
        out = os.path.join(d.name, "demo")
        p = run(["demo", "--out", out, "--max-context", "4", "--max-tokens", str(MAX_TOKENS),
                 "--jobs", "2", "-q", "--no-transformer"])
        _demo.update(dir=d, out=out, stdout=p.stdout)
    return _demo


def lines_of(path):
    return [json.loads(l) for l in open(os.path.join(path, "results.jsonl"))]


@check
def demo_prints_the_optimal_context_table_of_its_results():
    d = demo()
    lines = lines_of(d["out"])
    sizes = [10 ** k for k in range(3, 7) if 10 ** k <= MAX_TOKENS]
    assert len(lines) == 5 * len(sizes) * 2, len(lines)
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)$", d["stdout"], re.M)
    assert len(rows) == len(sizes), d["stdout"]
    for D, (size, measured, predicted, lm, lp) in zip(sizes, rows):
        assert int(size) == D
        mean = {key: [np.mean([l[key]["loss_bits"] for l in lines
                               if l["train_tokens"] == D and l["context"] == c])
                      for c in range(5)] for key in ("measured", "predicted")}
        assert int(measured) == int(np.argmin(mean["measured"])), (D, mean)
        assert int(predicted) == int(np.argmin(mean["predicted"])), (D, mean)
        assert abs(float(lm) - min(mean["measured"])) < 1e-4
        # the acceptance rule: predicted c*(D) within one grid step of measured
        assert abs(int(measured) - int(predicted)) <= 1, (D, measured, predicted)


@check
def demo_writes_the_report_and_the_fits():
    d = demo()
    names = set(os.listdir(d["out"]))
    for want in ("report.ipynb", "summary.json", "experiment.json", "points.csv",
                 "optimal_context.png", "loss_vs_context_ngram.png", "theory_bipartite.png"):
        assert want in names, (want, sorted(names))
    summary = json.load(open(os.path.join(d["out"], "summary.json")))
    assert summary["finished"] == summary["points"]
    assert summary["fits"]["bayes_exact"]["params"]["gamma"] > 0
    assert "gamma =" in d["stdout"] and "alpha" in d["stdout"]


@check
def demo_notebook_executes_top_to_bottom():
    if SANITIZE:
        print("     (notebook execution skipped under the sanitizers; the release build runs it)")
        return
    import nbclient
    import nbformat
    d = demo()
    nb = nbformat.read(os.path.join(d["out"], "report.ipynb"), as_version=4)
    nbformat.validate(nb)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": d["out"]}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    for c in code:
        assert c.execution_count is not None, c.source[:80]
        assert not [o for o in c.outputs if o.output_type == "error"], c.outputs
    assert sum(1 for c in code for o in c.outputs if "image/png" in o.get("data", {})) >= 5


@check
def demo_transformer_points_compare_with_the_bayes_risk():
    if SANITIZE:
        print("     (skipped under the sanitizers: the transformer points take minutes there)")
        return
    # the grid options bound the transformer's grid too: one point, context 2, 10^4 tokens
    out = os.path.join(tempdir().name, "demo")
    run(["demo", "--out", out, "--max-context", "2", "--max-tokens", "10000", "--seeds", "1",
         "-q"])
    lines = lines_of(os.path.join(out, "transformer"))
    assert [(l["context"], l["train_tokens"]) for l in lines] == [(2, 10000)], lines
    H = run_json(["theory", "santa-fe-small", "--max-context", "2"])["conditional_entropy"]["bits"]
    m = lines[0]["measured"]
    assert lines[0]["predicted"]["bayes_bits"] == H[2]
    assert m["history_state_floats"] == 2 * 2 * 32 * 2  # KV cache: 2 n_layer d per token, T = 2
    assert m["loss_bits"] > H[2] - 4 * m["stderr_bits"]  # no model beats the Bayes risk


@check
def demo_rejects_bad_options():
    for args, words in ((["--max-tokens", "10"], "--max-tokens"),
                        (["--max-tokens", "18446744073709551615"], "2^32"),
                        (["--max-context", "-1"], "--max-context"),
                        (["weather", "--experiment", "x.json"], "not both"),
                        (["no-such-language"], "no-such-language")):
        p = run(["demo", "--out", os.path.join(tempdir().name, "x")] + args, expect_rc=2)
        assert words in p.stderr, (args, p.stderr)


@check
def example_experiments_are_valid():
    examples = os.path.join(SOURCE, "examples")
    found = [f for f in sorted(os.listdir(examples)) if f.endswith(".json")
             and "models" in json.load(open(os.path.join(examples, f)))]
    assert {"optimal-context.json", "context-extension.json", "fixed-state.json"} <= set(found)
    for f in found:
        p = run(["sweep", os.path.join(examples, f), "--dry-run"])
        assert json.loads(p.stdout)["grid"], f
        assert re.search(r"sweep: \d+ points", p.stderr), p.stderr


@check
def compare_example_runs_through_the_library_api():
    exe = os.path.join(BUILD, "examples", "compare")
    import subprocess
    p = subprocess.run([exe, "weather", "20000"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rows = [r.split() for r in p.stdout.splitlines()[2:]]
    H = run_json(["theory", "weather", "--max-context", "5"])["conditional_entropy"]["bits"]
    assert len(rows) == 6
    for c, row in enumerate(rows):
        assert int(row[0]) == c and abs(float(row[1]) - H[c]) < 5e-5, (row, H[c])


if __name__ == "__main__":
    main()
