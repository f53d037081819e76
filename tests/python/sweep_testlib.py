"""What the `ctxlab sweep` tests share: small experiments, reading a sweep
directory, and comparing result sets without the timing fields."""
import itertools
import json
import os
import shutil
import subprocess

from ctxlab_testlib import BIN, run, tempdir

# Under ASan + UBSan everything runs several times slower: smaller grids.
SANITIZE = os.environ.get("CTXLAB_SANITIZE", "").upper() in ("ON", "1", "TRUE", "YES")

LANGUAGE = {"family": "markov", "vocab": 4, "order": 2, "seed": 3}


def experiment(models, context, train_tokens, seed, eval_tokens):
    return {"language": LANGUAGE, "models": models,
            "grid": {"context": context, "train_tokens": train_tokens, "seed": seed},
            "eval_tokens": eval_tokens}


def points(exp):
    """The grid in its canonical order, independently of ctxlab: models x
    context x train_tokens x seed, the last varying fastest."""
    g = exp["grid"]
    return [dict(index=i, model=m, context=c, train_tokens=d, seed=s)
            for i, (m, c, d, s) in enumerate(itertools.product(
                range(len(exp["models"])), g["context"], g["train_tokens"], g.get("seed", [1])))]


def sweep(exp, out, *extra, expect_rc=0):
    """One thread per point: these points are tiny, and OpenMP teams on a
    loaded 2-core machine cost more than they save (results do not depend
    on the thread count)."""
    return run(["sweep", json.dumps(exp), "--out", out, "-q", "--threads-per-run", "1"] +
               list(extra), expect_rc=expect_rc)


def sweep_once(exp, name):
    """A function that sweeps exp into a temporary directory the first time it
    is called, and returns every time the same dict: dir (the directory
    object, which keeps it alive), out (the sweep's --out), lines
    (read_lines) and summary (summary.json)."""
    cache = {}

    def get():
        if not cache:
            d = tempdir()
            out = os.path.join(d.name, name)
            sweep(exp, out)
            cache.update(dir=d, out=out, lines=read_lines(out),
                         summary=json.load(open(os.path.join(out, "summary.json"))))
        return cache
    return get


def read_lines(out):
    """results.jsonl as a list of dicts; every line must be complete JSON."""
    raw = open(os.path.join(out, "results.jsonl"), "rb").read()
    assert raw == b"" or raw.endswith(b"\n"), "results.jsonl ends in a partial line"
    return [json.loads(line) for line in raw.decode().splitlines()]


def without_timing(lines):
    """Lines sorted by index, minus what depends on the machine's speed."""
    out = []
    for line in sorted(lines, key=lambda l: l["index"]):
        line = json.loads(json.dumps(line))
        del line["time_s"]
        del line["measured"]["tokens_per_s"]
        out.append(line)
    return out


def mpirun():
    """The mpirun command line for tests, or None (with the reason) when this
    build or machine has no MPI."""
    if "This build has MPI" not in run(["sweep", "--help"]).stdout:
        return None, "this ctxlab was built without MPI"
    exe = shutil.which("mpirun")
    if not exe:
        return None, "no mpirun on PATH"
    # A container without a network and run as root: shared memory only
    # (pml ob1 also skips probing for UCX devices), no single-copy (ptrace)
    # mechanism, and root and oversubscription allowed.
    return [exe, "--allow-run-as-root", "--oversubscribe", "--mca", "pml", "ob1", "--mca", "btl",
            "self,vader", "--mca", "btl_vader_single_copy_mechanism", "none"], None


def mpi_env():
    env = dict(os.environ)
    if SANITIZE:
        # Open MPI keeps allocations until exit by design; LeakSanitizer would
        # report them as leaks of every rank.  Leaks of ctxlab itself are
        # checked by the other (non-MPI) tests of this build.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return env


def run_mpi(np_, args, expect_rc=0):
    cmd, why = mpirun()
    assert cmd, why
    proc = subprocess.run(cmd + ["-np", str(np_), BIN] + [str(a) for a in args],
                          capture_output=True, text=True, env=mpi_env())
    if expect_rc is not None and proc.returncode != expect_rc:
        raise AssertionError("mpirun ctxlab %s: exit %d\nstdout: %s\nstderr: %s" % (
            " ".join(map(str, args)), proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:]))
    return proc
