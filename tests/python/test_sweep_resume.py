"""`ctxlab sweep` killed mid-run (SIGKILL) and run again gives the result set
of an uninterrupted run.

Expected values: the uninterrupted run of the same experiment in this test
(results must agree exactly, timing fields aside); the lines found before the
rerun must stay byte for byte (finished points are never run again).
"""
import json
import os
import signal
import subprocess
import time

from ctxlab_testlib import BIN, check, main, tempdir
from sweep_testlib import (SANITIZE, experiment, mpi_env, mpirun, points, read_lines, sweep,
                           sweep_once, without_timing)

# ~24 points of 0.05-0.2 s each in a release build: slow enough to be killed
# in the middle, fast enough for the suite
D = [100000, 300000] if SANITIZE else [1000000, 3000000]
EXP = experiment([{"model": "ngram"}], [1, 2, 3, 4], D, [1, 2, 3], 20000)
N = len(points(EXP))

reference = sweep_once(EXP, "whole")


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def start_and_kill(out, at_least, extra=()):
    """Start the sweep, SIGKILL it once `at_least` lines exist; returns the
    pids of its worker processes (when --jobs)."""
    proc = subprocess.Popen([BIN, "sweep", json.dumps(EXP), "--out", out, "-q",
                             "--threads-per-run", "1"] + list(extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    path = os.path.join(out, "results.jsonl")
    deadline = time.time() + 120
    while count_lines(path) < at_least and proc.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    children = None  # unknown where the kernel lacks /proc/PID/task/TID/children
    try:
        with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
            children = [int(p) for p in f.read().split()]
    except OSError:
        pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the sweep ended before it could be killed"
    return children


def alive(pid):
    """A process that exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@check
def killed_then_rerun_equals_uninterrupted():
    ref = reference()
    with tempdir() as d:
        out = os.path.join(d, "killed")
        start_and_kill(out, 3)
        found = read_lines(out)  # complete lines only: a kill never tears a line
        assert 3 <= len(found) < N, len(found)
        assert not os.path.exists(os.path.join(out, "summary.json"))
        path = os.path.join(out, "results.jsonl")
        kept = open(path, "rb").read()
        # a write torn by a crash: half of a line of a point not yet finished
        done = {l["index"] for l in found}
        missing = next(l for l in ref["lines"] if l["index"] not in done)
        torn = json.dumps(missing).encode()
        with open(path, "ab") as f:
            f.write(torn[:len(torn) // 2])
        sweep(EXP, out)
        raw = open(path, "rb").read()
        assert raw.startswith(kept), "a line found finished was changed"
        lines = read_lines(out)
        indices = [l["index"] for l in lines]
        assert len(indices) == len(set(indices)) == N, "duplicate or missing points"
        assert without_timing(lines) == without_timing(ref["lines"])
        assert json.load(open(os.path.join(out, "summary.json"))) == ref["summary"]


@check
def killed_jobs_take_their_workers_and_rerun_completes():
    ref = reference()
    with tempdir() as d:
        out = os.path.join(d, "killed-jobs")
        workers = start_and_kill(out, 2, ["--jobs", "2"])
        if workers is None:
            print("SKIP the workers' end: no /proc/PID/task/TID/children on this kernel")
        else:
            assert len(workers) == 2, workers
            deadline = time.time() + 10
            while any(alive(p) for p in workers) and time.time() < deadline:
                time.sleep(0.01)
            assert not any(alive(p) for p in workers), "workers outlived the killed sweep"
        assert 2 <= len(read_lines(out)) < N
        sweep(EXP, out, "--jobs", "2")
        lines = read_lines(out)
        assert len({l["index"] for l in lines}) == len(lines) == N
        assert without_timing(lines) == without_timing(ref["lines"])


@check
def mpi_rank0_records_other_ranks_lines_while_it_computes():
    """Under mpirun, rank 0 runs points too; lines other ranks finish meanwhile
    must reach results.jsonl at once (not after rank 0's point), so that a
    kill loses only points in progress.  The grid: one big point (rank 0 takes
    it: the costliest goes first to rank 0) and eight tiny ones (rank 1)."""
    cmd, why = mpirun()
    if not cmd:
        print("     (skipped: %s)" % why)
        return
    big = 20000000 if SANITIZE else 100000000
    exp = experiment([{"model": "ngram"}], [1], [1000 + i for i in range(8)] + [big], [1], 1000)
    out = os.path.join(tempdir().name, "mpi")
    proc = subprocess.Popen(cmd + ["-np", "2", BIN, "sweep", json.dumps(exp), "--out", out, "-q",
                                   "--threads-per-run", "1"], env=mpi_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = os.path.join(out, "results.jsonl")
    deadline = time.time() + 120
    while count_lines(path) < 8 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    lines = read_lines(out) if os.path.exists(path) else []
    still_running = proc.poll() is None
    proc.wait()
    assert still_running, "the big point ended before the small lines were recorded"
    assert sorted(l["train_tokens"] for l in lines) == [1000 + i for i in range(8)], \
        [l["train_tokens"] for l in lines]


main()
