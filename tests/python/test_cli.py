"""The ctxlab program as a user drives it: exit codes, messages, output files.

Expected values come from numpy (file layouts), hashlib and the sha256sum
program (checksums), and from the DESIGN.md section 4 contracts (field names).
"""
import hashlib
import json
import os
import signal
import subprocess
import time

import numpy as np

from ctxlab_testlib import BIN, check, main, run, run_json, tempdir


def listing(d):
    return sorted(os.listdir(d))


@check
def help_version_and_unknown_command():
    assert "usage: ctxlab <command>" in run(["--help"]).stdout
    assert run(["--version"]).stdout.startswith("ctxlab ")
    for cmd in ["list", "gen", "theory", "predict", "verify", "demo"]:
        assert "usage: ctxlab " + cmd in run([cmd, "--help"]).stdout, cmd
    p = run(["frobnicate"], expect_rc=2)
    assert "ctxlab: error: unknown command \"frobnicate\"" in p.stderr
    assert run([], expect_rc=2).stderr.startswith("usage:")


@check
def list_shows_families_and_presets():
    text = run(["list"]).stdout
    for word in ["markov", "latent", "santa-fe", "two-facts", "target_entropy_bits", "timescales"]:
        assert word in text, word
    data = run_json(["list", "--json"])
    assert [f["name"] for f in data["families"]] == ["markov", "latent"]
    names = [p["name"] for p in data["presets"]]
    assert "santa-fe" in names and "weather" in names
    # every preset's spec builds
    for p in data["presets"]:
        run(["theory", json.dumps(p["spec"]), "--max-context", "2"])


def gen(args, d, name="x.bin", rc=0):
    path = os.path.join(d, name)
    p = run(["gen"] + args + ["-o", path, "--quiet"], expect_rc=rc)
    return path, p


def tokens_of(path):
    if path.endswith(".npy"):
        return np.load(path).ravel()
    if path.endswith(".txt"):
        with open(path) as f:
            return np.array([int(t) for t in f.read().split()])
    raw = np.fromfile(path, dtype="<i4", count=256)
    dtype = "<u2" if raw[1] == 1 else "<u4"
    return np.fromfile(path, dtype=dtype, offset=1024)


@check
def gen_bin_layout_and_manifest():
    with tempdir() as d:
        path, p = gen(["random-bigram", "--sequences", "12", "--length", "100", "--seed", "5"], d)
        assert "wrote " + path in p.stdout
        header = np.fromfile(path, dtype="<i4", count=256)
        # llm.c layout: magic 20240520, version 1 (uint16), count; ctxlab extras
        assert header[0] == 20240520 and header[1] == 1 and header[2] == 1200
        assert header[3] == 1200 and header[4] == 0 and header[5] == 12 and header[6] == 100
        assert not header[7:].any()
        toks = np.fromfile(path, dtype="<u2", offset=1024)
        assert toks.size == 1200 and toks.max() < 256
        assert os.path.getsize(path) == 1024 + 2 * 1200
        with open(path + ".json") as f:
            m = json.load(f)
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        assert m["sha256"] == sha
        out = subprocess.run(["sha256sum", path], capture_output=True, text=True).stdout
        assert out.split()[0] == sha
        for key in ["ctxlab_version", "spec", "seed", "vocab_size", "tokens", "sequences", "length",
                    "dtype", "format", "bytes", "truth"]:
            assert key in m, key
        assert m["seed"] == 5 and m["sequences"] == 12 and m["length"] == 100
        assert m["dtype"] == "uint16" and m["vocab_size"] == 256 and m["bytes"] == 3424
        assert m["spec"]["family"] == "markov" and m["spec"]["vocab"] == 256
        truth = m["truth"]
        assert truth["entropy_rate_method"] == "exact"
        assert truth["conditional_entropy"]["context"] == list(range(17))
        assert listing(d) == ["x.bin", "x.bin.json"]
        run(["verify", path])


@check
def gen_formats_agree():
    with tempdir() as d:
        args = ["two-facts", "--sequences", "7", "--length", "33", "--seed", "2"]
        a = tokens_of(gen(args, d, "a.bin")[0])
        npy, _ = gen(args, d, "a.npy")
        arr = np.load(npy)
        assert arr.dtype == np.dtype("<u2") and arr.shape == (7, 33)
        b = arr.ravel()
        t, _ = gen(args, d, "a.txt")
        with open(t) as f:
            lines = f.read().split("\n")
        assert lines[-1] == "" and len(lines) == 8  # one line per sequence
        c = np.array([[int(x) for x in line.split(" ")] for line in lines[:-1]]).ravel()
        assert (a == b).all() and (a == c).all()
        stream = np.load(gen(["two-facts", "-n", "50"], d, "s.npy")[0])
        assert stream.shape == (50,)
        # --format wins over the extension
        p, _ = gen(args + ["--format", "npy"], d, "odd.bin")
        assert open(p, "rb").read(6) == b"\x93NUMPY"


@check
def gen_is_independent_of_threads():
    with tempdir() as d:
        for args in (["random-bigram", "--sequences", "300", "--length", "4096"],
                     ["santa-fe", "--sequences", "50", "--length", "3000"],
                     ["noisy-facts", "-n", "3000000"],
                     ["weather", "--sequences", "3", "--length", "2500000"]):
            a, _ = gen(args + ["--threads", "1"], d, "t1.bin")
            b, _ = gen(args + ["--threads", "2"], d, "t2.bin")
            c, _ = gen(args + ["--threads", "3"], d, "t3.bin")
            da, db, dc = (open(x, "rb").read() for x in (a, b, c))
            assert da == db == dc, args


@check
def longer_runs_extend_shorter_ones():
    with tempdir() as d:
        short = tokens_of(gen(["santa-fe", "-n", "1000", "--seed", "9"], d, "a.bin")[0])
        long = tokens_of(gen(["santa-fe", "-n", "1500000", "--seed", "9"], d, "b.bin")[0])
        assert (long[:1000] == short).all()
        s = np.load(gen(["tuned-trigram", "--sequences", "5", "--length", "40"], d, "c.npy")[0])
        l = np.load(gen(["tuned-trigram", "--sequences", "9", "--length", "70"], d, "e.npy")[0])
        assert (l[:5, :40] == s).all()
        other = tokens_of(gen(["santa-fe", "-n", "1000", "--seed", "10"], d, "f.bin")[0])
        assert (other != short).any()


@check
def gen_bad_input_exits_2_and_leaves_nothing():
    with tempdir() as d:
        cases = [
            (["{\"family\": \"markov\", \"vocab\": 2, \"order\": 1, \"transitions\": "
              "[[0.5, 0.5], [0.2, 0.7]]}", "-n", "10"], "$.transitions[1]: row sums to 0.9"),
            (["{\"family\": \"latent\", \"noise\": 0.5}", "-n", "10"], "$.noise"),
            (["{\"family\": \"markov\",}", "-n", "10"], "inline spec:1:"),
            (["no-such-language", "-n", "10"], "neither a preset"),
            (["weather"], "give either -n TOKENS or --sequences K --length T"),
            (["weather", "-n", "10", "--sequences", "2", "--length", "3"], "either -n"),
            (["weather", "--sequences", "2"], "go together"),
            (["weather", "-n", "0"], "at least 1"),
            (["weather", "-n", "ten"], "-n/--tokens: expected a non-negative whole count"),
            (["weather", "-n", "10", "--format", "csv"], "csv"),
            (["weather", "-n", "10", "--threads", "0"], "--threads: 0 is out of range"),
            (["weather", "-n", "10", "--bogus"], "unknown option --bogus"),
            (["{\"family\": \"markov\", \"vocab\": 4, \"target_entropy_bits\": 9}", "-n", "5"],
             "$.target_entropy_bits"),
        ]
        for args, fragment in cases:
            _, p = gen(args, d, rc=2)
            assert "ctxlab: error: " in p.stderr and fragment in p.stderr, (args, p.stderr)
            assert listing(d) == [], (args, listing(d))
        # an output directory that does not exist
        p = run(["gen", "weather", "-n", "10", "-o", os.path.join(d, "no", "x.bin")], expect_rc=2)
        assert "x.bin" in p.stderr
        assert listing(d) == []
        # a name taken by something that is not a regular file is left alone
        # (a fifo stands for a device such as /dev/null)
        os.mkfifo(os.path.join(d, "pipe.bin"))
        os.symlink(os.path.join(d, "elsewhere"), os.path.join(d, "link.bin"))
        os.mkdir(os.path.join(d, "busy.bin.json"))
        for name, what in [("pipe.bin", "a device, pipe or socket"),
                           ("link.bin", "a symbolic link"), ("busy.bin", "a directory")]:
            p = run(["gen", "weather", "-n", "10", "-o", os.path.join(d, name)], expect_rc=2)
            assert "is not a regular file (%s)" % what in p.stderr, p.stderr
        p = run(["theory", "weather", "-o", os.path.join(d, "pipe.bin")], expect_rc=2)
        assert "not a regular file" in p.stderr
        assert listing(d) == ["busy.bin.json", "link.bin", "pipe.bin"]
        assert os.path.islink(os.path.join(d, "link.bin"))


@check
def killed_gen_leaves_no_final_file():
    with tempdir() as d:
        path = os.path.join(d, "big.bin")
        proc = subprocess.Popen([BIN, "gen", "random-bigram", "-n", "20G", "-o", path, "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not os.path.exists(path) and not os.path.exists(path + ".json")
        # interrupted politely (Ctrl-C, SIGTERM): the temporary file goes too
        for sig in (signal.SIGINT, signal.SIGTERM):
            proc = subprocess.Popen([BIN, "gen", "random-bigram", "-n", "20G", "-o", path,
                                     "--quiet"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(1.0)
            proc.send_signal(sig)
            _, err = proc.communicate()
            assert proc.returncode != 0
            assert not os.path.exists(path)
            assert [f for f in listing(d) if not f.startswith(".big.bin.tmp")] == []
            leftovers = [f for f in listing(d) if f.startswith(".big.bin.tmp")]
            # the SIGKILLed run's temporary file may remain; the polite ones clean up
            assert len(leftovers) <= 1, leftovers


@check
def theory_json_contract():
    t = run_json(["theory", "weather", "--max-context", "8"])
    for key in ["family", "spec", "vocab_size", "entropy_rate_bits", "entropy_rate_method",
                "conditional_entropy", "mutual_information", "bipartite_mutual_information"]:
        assert key in t, key
    assert t["family"] == "markov" and t["vocab_size"] == 3
    h = t["conditional_entropy"]
    assert h["context"] == list(range(9)) and h["method"] == "exact"
    assert len(h["bits"]) == 9 and h["stderr_bits"] == [0.0] * 9
    assert t["mutual_information"]["distance"] == list(range(1, 9))
    assert t["bipartite_mutual_information"]["length"] == [2, 4, 6, 8]
    assert "intrinsic_dimension" not in t  # markov defines none
    lat = run_json(["theory", "two-facts", "--max-context", "8"])
    assert lat["intrinsic_dimension"] == 2
    assert lat["intrinsic_entropy"]["context"] == list(range(9))
    noisy = run_json(["theory", "noisy-facts", "--max-context", "8", "--samples", "2000"])
    assert noisy["entropy_rate_method"] == "bounds"
    assert noisy["entropy_rate_lower_bits"] <= noisy["entropy_rate_upper_bits"]
    assert noisy["conditional_entropy"]["method"] == "monte-carlo"
    assert noisy["monte_carlo"] == {"samples": 2000, "seed": 0}
    assert all(s > 0 for s in noisy["conditional_entropy"]["stderr_bits"][1:])
    # CSV carries the same numbers
    csv = run(["theory", "weather", "--max-context", "8", "--format", "csv"]).stdout.split("\n")
    assert csv[0] == "quantity,x_name,x,bits,stderr_bits,method"
    rows = [r.split(",") for r in csv[1:] if r.startswith("conditional_entropy,")]
    assert [float(r[3]) for r in rows] == h["bits"]


@check
def theory_output_file_and_errors():
    with tempdir() as d:
        out = os.path.join(d, "t.json")
        run(["theory", "two-facts", "-o", out])
        with open(out) as f:
            assert json.load(f)["family"] == "latent"
        for args, fragment in [(["theory", "weather", "--max-context", "0"], "--max-context"),
                               (["theory", "weather", "--method", "guess"], "--method"),
                               (["theory", "weather", "--samples", "1"], "--samples"),
                               (["theory", "noisy-facts", "--samples", "18446744073709551615"],
                                "out of range [2, 2^40]"),
                               (["theory"], "needs a SPEC"),
                               (["theory", "weather", "extra"], "unexpected \"extra\""),
                               (["theory", "{\"family\": \"latent\", \"chains\": \"x\"}"],
                                "$.chains: expected an integer, got a string")]:
            p = run(args, expect_rc=2)
            assert fragment in p.stderr, (args, p.stderr)
    with tempdir() as d:
        p = run(["theory", "weather", "-o", os.path.join(d, "missing", "t.json")], expect_rc=None)
        assert p.returncode in (1, 2) and "t.json" in p.stderr
        assert listing(d) == []


@check
def predict_prints_the_oracle():
    p = run_json(["predict", "weather", "0", "2"])
    assert p["context"] == 2 and p["window"] == [0, 2]
    assert p["probs"] == [0.2, 0.3, 0.5]  # the table's row for token 2
    p = run_json(["predict", "two-facts"])
    assert p["probs"] == [0.25, 0.25, 0.25, 0.25] and p["entropy_bits"] == 2.0
    assert "is not a token" in run(["predict", "weather", "3"], expect_rc=2).stderr
    assert "token 0: expected an integer" in run(["predict", "weather", "x"], expect_rc=2).stderr


@check
def verify_rejects_damaged_files():
    with tempdir() as d:
        path, _ = gen(["random-bigram", "-n", "5000"], d, "v.bin")
        assert ": ok (bin, uint16, 5000 tokens" in run(["verify", path]).stdout
        data = bytearray(open(path, "rb").read())
        damaged = [("flipped data byte", lambda b: b[:3000] + bytes([b[3000] ^ 1]) + b[3001:]),
                   ("truncated", lambda b: b[:-1]),
                   ("bad magic", lambda b: b"\x00" + b[1:])]
        for what, damage in damaged:
            with open(path, "wb") as f:
                f.write(damage(bytes(data)))
            p = run(["verify", path], expect_rc=2)
            assert "v.bin" in p.stderr and "ctxlab: error:" in p.stderr, (what, p.stderr)
        with open(path, "wb") as f:
            f.write(data)
        run(["verify", path])
        os.remove(path + ".json")
        p = run(["verify", path], expect_rc=2)
        assert "v.bin.json" in p.stderr
        p = run(["verify", os.path.join(d, "absent.bin")], expect_rc=2)
        assert "absent.bin" in p.stderr


if __name__ == "__main__":
    main()
