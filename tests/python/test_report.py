"""`ctxlab report DIR`: tables, PNG plots and a notebook from a sweep's directory.

The directory is made by hand here, following the ISSUE 4 contract
(experiment.json, results.jsonl in shuffled order, summary.json), with numbers
computed in this script: H(c) from `ctxlab theory` (whose latent curves are
checked against numpy in test_latent_theory_numpy.py), a synthetic
approximation loss KL = (V-1) V^c / (2 D ln 2) (the large-n add-beta
expectation of SCIENCE.md section 5) scaled per seed, and power-law fits made
with numpy.  Expected CSV values are recomputed from results.jsonl with numpy
(means, standard errors, argmins); PNGs are decoded with zlib (chunk CRCs, the
inflated size, filter bytes, the pixels); the notebook is executed with
nbclient.
"""
import json
import math
import os
import random
import struct
import zlib

import numpy as np

from ctxlab_testlib import TOOLS, assert_close, check, main, run, tempdir

LANGUAGE = "two-facts"  # latent, 4 tokens, exact theory
V = 4
CONTEXTS = [0, 1, 2, 4]
TRAIN_TOKENS = [1000, 10000, 100000]
SEEDS = [1, 2]
NGRAM = {"model": "ngram", "vocab_size": V, "smoothing": "add-beta", "beta": 0.5}
TRANSFORMER = {"model": "transformer", "vocab_size": V, "d_model": 16, "n_layer": 1, "n_head": 2,
               "steps": 50, "lr": 0.01}
SANITIZE = os.environ.get("CTXLAB_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES")

_theory = {}


def theory(L):
    if L not in _theory:
        _theory[L] = json.loads(run(["theory", LANGUAGE, "--max-context", L]).stdout)
    return _theory[L]


def H(c):
    return theory(8)["conditional_entropy"]["bits"][c]


def kl_model(c, D):
    return (V - 1) * V ** c / (2 * D * math.log(2))


def make_points(with_transformer=True, with_predicted=True):
    """The grid, enumerated model, context, D, seed (the canonical order)."""
    pts = []
    models = [NGRAM] + ([TRANSFORMER] if with_transformer else [])
    for model in models:
        for c in CONTEXTS:
            for D in TRAIN_TOKENS:
                for s in SEEDS:
                    idx = len(pts)
                    seq = model["model"] == "transformer"
                    if seq and (c != 4 or D == 1000):
                        continue  # a transformer at a few points only
                    kl = kl_model(c, D) * (1 + 0.15 * (s - 1.5)) * (0.5 if seq else 1)
                    noise = 0.002 * math.sin(7 * idx + s)
                    bayes = H(c) + 0.001 * math.cos(idx)
                    m = dict(model, train_context=c)
                    meas = {"loss_bits": bayes + kl + noise, "stderr_bits": 0.003 + 1e-4 * s,
                            "bayes_bits": bayes, "kl_bits": kl, "mean_loss_bits": bayes + kl,
                            "param_count": 10, "history_state_floats": 4, "tokens_per_s": 1e6}
                    if seq:
                        bb = [H(k) for k in range(1, c + 1)]
                        meas["loss_by_context_bits"] = [b + 0.05 / k + 0.01 * s
                                                        for k, b in enumerate(bb, 1)]
                        meas["bayes_by_context_bits"] = bb
                        meas["kl_by_context_bits"] = [0.05 / k for k in range(1, c + 1)]
                    if with_predicted and not seq:
                        pred = {"bayes_bits": H(c), "bayes_stderr_bits": 0,
                                "approx_bits": kl_model(c, D), "approx_stderr_bits": 0,
                                "loss_bits": H(c) + kl_model(c, D), "method": "exact",
                                "approximate": False}
                    else:
                        pred = {"bayes_bits": H(c), "bayes_stderr_bits": 0, "approx_bits": None,
                                "approx_stderr_bits": None, "loss_bits": None, "method": "exact",
                                "approximate": False}
                    pts.append({"index": idx, "model": m, "context": c, "train_tokens": D,
                                "seed": s, "measured": meas, "predicted": pred,
                                "time_s": 0.01 * (idx + 1)})
    return pts


def key_of(model):
    return json.dumps({k: v for k, v in model.items() if k != "train_context"}, sort_keys=True)


def label_of(model):
    return model["model"]  # one model of each kind: the label is the kind


def cells_of(pts):
    """Means over seeds per (model, D, c), as numpy computes them."""
    groups = {}
    for p in pts:
        groups.setdefault((label_of(p["model"]), p["train_tokens"], p["context"]), []).append(p)
    out = {}
    for k, g in groups.items():
        loss = np.array([p["measured"]["loss_bits"] for p in g])
        kl = np.array([p["measured"]["kl_bits"] for p in g])
        pl = [p["predicted"]["loss_bits"] for p in g]
        out[k] = {"loss": loss.mean(),
                  "loss_err": loss.std(ddof=1) / math.sqrt(len(g)) if len(g) > 1
                  else g[0]["measured"]["stderr_bits"],
                  "kl": kl.mean(), "kl_err": kl.std(ddof=1) / math.sqrt(len(g)),
                  "pred_loss": np.mean(pl) if None not in pl else float("nan"),
                  "pred_approx": np.mean([p["predicted"]["approx_bits"] for p in g])
                  if pl[0] is not None else float("nan"), "seeds": len(g)}
    return out


def approx_fits(pts):
    """A D^-alpha fitted (numpy least squares on logs) to the ngram's mean KL per context."""
    cells = cells_of(pts)
    fits = []
    for c in CONTEXTS:
        D = np.array(TRAIN_TOKENS, dtype=float)
        y = np.array([cells[("ngram", d, c)]["kl"] for d in TRAIN_TOKENS])
        slope, icpt = np.polyfit(np.log(D), np.log(y), 1)
        fits.append({"model": NGRAM, "context": c, "form": "A*D^-alpha",
                     "params": {"A": math.exp(icpt), "alpha": -slope},
                     "stderr": {"A": 0.0, "alpha": 0.0}, "r2": 1.0, "points": len(D)})
    return fits


def bayes_fit():
    """C0 + C c^-gamma for c = 1..8 of the exact H(c) (scipy curve_fit)."""
    from scipy.optimize import curve_fit
    c = np.arange(1, 9, dtype=float)
    h = np.array([H(int(k)) for k in c])
    p, cov = curve_fit(lambda x, C0, C, g: C0 + C * x ** -g, c, h, p0=(1.3, 0.3, 1.0), maxfev=20000)
    se = np.sqrt(np.diag(cov))
    return {"form": "C0 + C*c^-gamma", "params": {"C0": p[0], "C": p[1], "gamma": p[2]},
            "stderr": {"C0": se[0], "C": se[1], "gamma": se[2]}, "r2": 0.999, "points": 8}


def optimal_of(pts, model_label):
    cells = cells_of(pts)
    rows = []
    for D in TRAIN_TOKENS:
        cs = sorted(c for (m, d, c) in cells if m == model_label and d == D)
        if not cs:
            continue
        losses = [cells[(model_label, D, c)]["loss"] for c in cs]
        preds = [cells[(model_label, D, c)]["pred_loss"] for c in cs]
        pc = cs[int(np.nanargmin(preds))] if np.isfinite(preds).any() else None
        rows.append((D, cs[int(np.argmin(losses))], min(losses), pc,
                     np.nanmin(preds) if pc is not None else float("nan")))
    return rows


def write_dir(d, pts, torn=False, fits=True):
    exp = {"language": LANGUAGE, "models": [NGRAM, TRANSFORMER],
           "grid": {"context": CONTEXTS, "train_tokens": TRAIN_TOKENS, "seed": SEEDS},
           "eval_tokens": 4096}
    with open(os.path.join(d, "experiment.json"), "w") as f:
        json.dump(exp, f)
    lines = [json.dumps(p) for p in pts]
    random.Random(5).shuffle(lines)  # completion order, not index order
    with open(os.path.join(d, "results.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
        if torn:
            f.write(lines[0][: len(lines[0]) // 2])
    summary = {"experiment": exp, "points": len(pts), "finished": len(pts),
               "optimal_context": [{"model": NGRAM, "train_tokens": D, "measured": mc,
                                    "measured_loss_bits": ml, "predicted": pc,
                                    "predicted_loss_bits": None if pc is None else pl}
                                   for D, mc, ml, pc, pl in optimal_of(pts, "ngram")],
               "fits": {"bayes_exact": bayes_fit() if fits else None, "loss_vs_context": [],
                        "approx_vs_data": approx_fits(pts) if fits else [],
                        "entropy_linear": None}}
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(summary, f)


def count_text(v):
    """How the report writes a count: 1000, 1e4, 3e5 (one significant digit from 10^4 on)."""
    m, k = int(str(v).rstrip("0") or "0"), len(str(v)) - len(str(v).rstrip("0"))
    return "%de%d" % (m, k) if v >= 10000 and m < 10 else str(v)


def read_csv(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split(",")
        rows = [dict(zip(header, line.rstrip("\n").split(","))) for line in f]
    for r in rows:
        assert len(r) == len(header), path
    return header, rows


def num(s):
    return float(s) if s != "" else float("nan")


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


# ---- PNG decoding ------------------------------------------------------------------

def decode_png(path):
    """(width, height, pixels as an array h x w x 3) after checking every chunk's CRC."""
    raw = open(path, "rb").read()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", "%s: bad signature" % path
    pos, chunks = 8, []
    while pos < len(raw):
        n, = struct.unpack(">I", raw[pos:pos + 4])
        kind, data = raw[pos + 4:pos + 8], raw[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", raw[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + data) & 0xffffffff == crc, "%s: CRC of %s" % (path, kind)
        chunks.append((kind, data))
        pos += 12 + n
    assert pos == len(raw)
    kinds = [k for k, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds, kinds
    w, h, depth, ctype, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, ctype, comp, filt, interlace) == (8, 2, 0, 0, 0)
    data = zlib.decompress(b"".join(d for k, d in chunks if k == b"IDAT"))
    assert len(data) == h * (1 + 3 * w), "%s: inflated %d bytes" % (path, len(data))
    rows = np.frombuffer(data, dtype=np.uint8).reshape(h, 1 + 3 * w)
    assert (rows[:, 0] == 0).all(), "filter bytes"
    return w, h, rows[:, 1:].reshape(h, w, 3)


# ---- checks ------------------------------------------------------------------------

def report_of(pts, **kw):
    td = tempdir()
    write_dir(td.name, pts, **kw)
    p = run(["report", td.name])
    return td, p


@check
def csv_tables_equal_numbers_computed_from_results():
    pts = make_points()
    td, proc = report_of(pts)
    with td:
        d = td.name
        # points.csv: one row per point, by index, the numbers as written (%.17g round-trips)
        _, rows = read_csv(os.path.join(d, "points.csv"))
        assert [int(r["index"]) for r in rows] == sorted(p["index"] for p in pts)
        byidx = {p["index"]: p for p in pts}
        for r in rows:
            p = byidx[int(r["index"])]
            assert r["model"] == label_of(p["model"])
            assert int(r["context_tokens"]) == p["context"] and int(r["seed"]) == p["seed"]
            for col, v in (("loss_bits", p["measured"]["loss_bits"]),
                           ("kl_bits", p["measured"]["kl_bits"]),
                           ("bayes_bits", p["measured"]["bayes_bits"]),
                           ("stderr_bits", p["measured"]["stderr_bits"]),
                           ("time_s", p["time_s"])):
                assert num(r[col]) == v, (col, r[col], v)
            for col, k in (("predicted_loss_bits", "loss_bits"),
                           ("predicted_approx_bits", "approx_bits")):
                v = p["predicted"][k]
                assert same(num(r[col]), float("nan") if v is None else v), (col, r[col], v)
        # loss_vs_context.csv: means over seeds, standard errors
        cells = cells_of(pts)
        _, rows = read_csv(os.path.join(d, "loss_vs_context.csv"))
        assert len(rows) == len(cells)
        H8 = theory(1024)["conditional_entropy"]["bits"]
        for r in rows:
            c = cells[(r["model"], int(r["train_tokens"]), int(r["context_tokens"]))]
            assert int(r["seeds"]) == c["seeds"]
            assert_close(num(r["loss_bits"]), c["loss"], 1e-15, "loss mean")
            assert_close(num(r["loss_err_bits"]), c["loss_err"], 1e-15, "loss sem")
            assert_close(num(r["kl_bits"]), c["kl"], 1e-15, "kl mean")
            assert same(num(r["predicted_loss_bits"]), c["pred_loss"])
            assert num(r["theory_bayes_bits"]) == H8[int(r["context_tokens"])]
        # approx_vs_data.csv: the same means, ordered by model, context, D, with the fit
        fits = {f["context"]: f["params"] for f in approx_fits(pts)}
        _, rows = read_csv(os.path.join(d, "approx_vs_data.csv"))
        keys = [(r["model"], int(r["context_tokens"]), int(r["train_tokens"])) for r in rows]
        assert keys == sorted(keys, key=lambda k: (k[0] != "ngram", k[1], k[2]))
        for r in rows:
            m, c, D = r["model"], int(r["context_tokens"]), int(r["train_tokens"])
            assert_close(num(r["kl_bits"]), cells[(m, D, c)]["kl"], 1e-15, "kl")
            want = fits[c]["A"] * D ** -fits[c]["alpha"] if m == "ngram" else float("nan")
            if math.isnan(want):
                assert r["fitted_approx_bits"] == ""
            else:
                assert_close(num(r["fitted_approx_bits"]), want, 1e-12 * want, "fit")
        # optimal_context.csv: argmins of the means
        _, rows = read_csv(os.path.join(d, "optimal_context.csv"))
        for label in ("ngram", "transformer"):
            got = [r for r in rows if r["model"] == label]
            want = optimal_of(pts, label)
            assert len(got) == len(want), label
            for r, (D, mc, ml, pc, pl) in zip(got, want):
                assert int(r["train_tokens"]) == D and int(r["measured_context_tokens"]) == mc
                assert_close(num(r["measured_loss_bits"]), ml, 1e-15, "c* loss")
                assert (r["predicted_context_tokens"] == "") == (pc is None)
                if pc is not None:
                    assert int(r["predicted_context_tokens"]) == pc
        # the synthetic KL makes c* grow with D (so the table is not trivially constant)
        cstar = [mc for _, mc, _, _, _ in optimal_of(pts, "ngram")]
        assert cstar == sorted(cstar) and cstar[0] < cstar[-1], cstar
        # excess_by_position.csv: loss - bayes at each position of the sequence model
        _, rows = read_csv(os.path.join(d, "excess_by_position.csv"))
        want = [(p["index"], k + 1, lb - bb) for p in sorted(pts, key=lambda p: p["index"])
                if p["model"]["model"] == "transformer"
                for k, (lb, bb) in enumerate(zip(p["measured"]["loss_by_context_bits"],
                                                 p["measured"]["bayes_by_context_bits"]))]
        assert len(rows) == len(want)
        for r, (i, pos, e) in zip(rows, want):
            assert int(r["index"]) == i and int(r["position_tokens"]) == pos
            assert num(r["excess_bits"]) == e
        # theory tables: `ctxlab theory` at the report's automatic L (1024 for exact curves)
        t = theory(1024)
        for name, key, xkey in (("theory_conditional_entropy.csv", "conditional_entropy", "context"),
                                ("theory_mutual_information.csv", "mutual_information", "distance"),
                                ("theory_bipartite.csv", "bipartite_mutual_information", "length")):
            _, rows = read_csv(os.path.join(d, name))
            assert [int(r[xkey + "_tokens"]) for r in rows] == t[key][xkey], name
            assert [num(r["bits"]) for r in rows] == t[key]["bits"], name
        be = t["bipartite_exponent"]
        _, rows = read_csv(os.path.join(d, "theory_bipartite.csv"))
        n = np.array([num(r["length_tokens"]) for r in rows])
        assert_close([num(r["fitted_bits"]) for r in rows],
                     be["prefactor_bits"] * n ** be["exponent"], 1e-9, "bipartite fit")
        bf = bayes_fit()["params"]
        _, rows = read_csv(os.path.join(d, "theory_conditional_entropy.csv"))
        cs = np.array([num(r["context_tokens"]) for r in rows[1:]])
        assert rows[0]["fitted_bits"] == ""  # no fit at c = 0
        assert_close([num(r["fitted_bits"]) for r in rows[1:]],
                     bf["C0"] + bf["C"] * cs ** -bf["gamma"], 1e-12, "H(c) fit")
        # fits.csv: the summary's parameters and the bipartite exponent
        _, rows = read_csv(os.path.join(d, "fits.csv"))
        got = {(r["fit"], r["context_tokens"], r["param"]): num(r["value"]) for r in rows}
        assert got[("bayes_exact", "", "gamma")] == bf["gamma"]
        for c in CONTEXTS:
            assert got[("approx_vs_data", str(c), "alpha")] == fits[c]["alpha"]
        assert got[("bipartite_mi", "", "beta")] == be["exponent"]
        # every file written is listed on stdout
        listed = sorted(os.path.basename(l.split(" ", 1)[1]) for l in proc.stdout.splitlines())
        assert listed == sorted(f for f in os.listdir(d) if f.endswith((".csv", ".png", ".ipynb"))), listed


EXPECTED_PNGS = ["loss_vs_context_ngram.png", "loss_vs_context_transformer.png",
                 "approx_vs_data_ngram.png", "approx_vs_data_transformer.png",
                 "optimal_context.png", "excess_by_position.png",
                 "theory_conditional_entropy.png", "theory_mutual_information.png",
                 "theory_bipartite.png"]


@check
def png_plots_are_valid_and_drawn():
    td, _ = report_of(make_points())
    with td:
        for name in EXPECTED_PNGS:
            w, h, px = decode_png(os.path.join(td.name, name))
            assert (w, h) == (960, 640), name
            white = (px == 255).all(axis=2)
            # not blank: text, axes and data cover a good share of the image
            assert white.mean() < 0.985, "%s: %.3f white" % (name, white.mean())
            colours = {tuple(c) for c in px.reshape(-1, 3)[::7]}
            assert len(colours) > 20, "%s: %d colours" % (name, len(colours))
            # a series colour of the cycle (category10 blue, fully covered pixels) is drawn
            assert ((px == (31, 119, 180)).all(axis=2)).sum() > 30, name


@check
def png_encoder_pixels_round_trip():
    """The encoder on a known pattern (tests/tools/report_png_pattern), decoded here."""
    with tempdir() as d:
        path = os.path.join(d, "p.png")
        from ctxlab_testlib import tool
        tool("report_png_pattern", [path, 37, 11])
        w, h, px = decode_png(path)
        assert (w, h) == (37, 11)
        y, x = np.mgrid[0:h, 0:w]
        want = np.stack([(x * 7 + y) % 256, (x ^ y) % 256, (x * y * 3) % 256], axis=2)
        assert (px == want).all()


@check
def notebook_executes_top_to_bottom():
    td, _ = report_of(make_points())
    with td:
        path = os.path.join(td.name, "report.ipynb")
        nb_json = json.load(open(path))
        assert nb_json["nbformat"] == 4
        md = "".join(c["source"] for c in nb_json["cells"] if c["cell_type"] == "markdown")
        # the run's numbers are in the text: the c* table and the bipartite exponent
        for D, mc, ml, pc, pl in optimal_of(make_points(), "ngram"):
            assert "| ngram | %s | %d | %.4f | %d |" % (count_text(D), mc, ml, pc) in md, md
        assert "beta = %.4f" % theory(1024)["bipartite_exponent"]["exponent"] in md
        if SANITIZE:
            print("note: notebook execution skipped under CTXLAB_SANITIZE (slow); the release "
                  "build runs it")
            return
        import nbclient
        import nbformat
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": td.name}}).execute()
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert len(code) >= 6
        for c in code:
            assert c.execution_count is not None, c.source[:80]
            assert not [o for o in c.outputs if o.output_type == "error"], c.outputs
        images = sum(1 for c in code for o in c.outputs if "image/png" in o.get("data", {}))
        assert images >= 6, images


@check
def missing_data_skips_plots_never_crashes():
    pts = make_points(with_transformer=False, with_predicted=False)
    td, _ = report_of(pts, fits=False)
    with td:
        files = set(os.listdir(td.name))
        assert "excess_by_position.png" not in files
        assert "loss_vs_context_ngram.png" in files and "optimal_context.png" in files
        _, rows = read_csv(os.path.join(td.name, "optimal_context.csv"))
        assert all(r["predicted_context_tokens"] == "" for r in rows)
        _, rows = read_csv(os.path.join(td.name, "excess_by_position.csv"))
        assert rows == []
        assert "report.ipynb" in files


@check
def torn_last_line_is_ignored_with_a_warning():
    pts = make_points()
    td, proc = report_of(pts, torn=True)
    with td:
        assert "warning" in proc.stderr and "results.jsonl line %d" % (len(pts) + 1) in proc.stderr
        _, rows = read_csv(os.path.join(td.name, "points.csv"))
        assert len(rows) == len(pts)


@check
def bad_directories_are_exit_2_naming_the_file():
    pts = make_points()
    cases = []
    for missing in ("experiment.json", "results.jsonl"):
        cases.append((lambda d, m=missing: os.remove(os.path.join(d, m)), missing))
    # a stopped sweep has no summary yet: the message says how to finish it
    cases.append((lambda d: os.remove(os.path.join(d, "summary.json")),
                  "run the same `ctxlab sweep` command again"))

    def corrupt_middle(d):
        path = os.path.join(d, "results.jsonl")
        lines = open(path).read().splitlines()
        lines[3] = lines[3][:20]
        open(path, "w").write("\n".join(lines) + "\n")
    cases.append((corrupt_middle, "results.jsonl line 4"))

    def duplicate(d):
        path = os.path.join(d, "results.jsonl")
        lines = open(path).read().splitlines()
        open(path, "w").write("\n".join(lines + lines[:1]) + "\n")
    cases.append((duplicate, "appears twice"))

    def missing_field(d):
        p = dict(pts[0], measured={"loss_bits": 1.0})
        with open(os.path.join(d, "results.jsonl"), "a") as f:
            f.write(json.dumps(dict(p, index=999)) + "\n")
    cases.append((missing_field, "$.measured.bayes_bits"))

    def bad_language(d):
        json.dump({"language": {"family": "nope"}}, open(os.path.join(d, "experiment.json"), "w"))
    cases.append((bad_language, "experiment.json: $.language"))

    def bad_json(d):
        open(os.path.join(d, "summary.json"), "w").write("{\"fits\": ")
    cases.append((bad_json, "summary.json: line 1"))
    for spoil, needle in cases:
        with tempdir() as d:
            write_dir(d, pts)
            spoil(d)
            p = run(["report", d], expect_rc=2)
            assert needle in p.stderr and "error" in p.stderr, (needle, p.stderr)
    with tempdir() as d:
        run(["report", os.path.join(d, "absent")], expect_rc=2)
    run(["report"], expect_rc=2)
    run(["report", "a", "b"], expect_rc=2)
    assert "usage: ctxlab report" in run(["report", "--help"]).stdout


if __name__ == "__main__":
    main()
