"""Shared helpers for the numpy/scipy cross-check tests.

Each test script is run by CTest with CTXLAB_BIN (the ctxlab program),
CTXLAB_TOOLS (directory of the tests/tools helper programs) and
CTXLAB_TEST_DATA (the tests/ source directory) in the environment.  A script
registers checks with @check and ends with `main()`, which runs them all and
prints `N passed, N failed`; the exit status is nonzero when any failed.
"""
import json
import os
import subprocess
import sys
import tempfile
import traceback

BIN = os.environ.get("CTXLAB_BIN", "ctxlab")
TOOLS = os.environ.get("CTXLAB_TOOLS", "")
TEST_DATA = os.environ.get("CTXLAB_TEST_DATA", os.path.dirname(os.path.dirname(__file__)))

_checks = []


def check(fn):
    _checks.append(fn)
    return fn


def run(args, expect_rc=0, input_text=None, cwd=None):
    """Run ctxlab with args; return CompletedProcess.  Fails unless rc matches."""
    proc = subprocess.run([BIN] + [str(a) for a in args], input=input_text, capture_output=True,
                          text=True, cwd=cwd)
    if expect_rc is not None and proc.returncode != expect_rc:
        raise AssertionError("ctxlab %s: exit %d, expected %d\nstdout: %s\nstderr: %s" %
                             (" ".join(map(str, args)), proc.returncode, expect_rc,
                              proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc


def run_json(args):
    return json.loads(run(args).stdout)


def tool(name, args, input_text=None, expect_rc=0):
    """Run a tests/tools helper program; return its stdout."""
    proc = subprocess.run([os.path.join(TOOLS, name)] + [str(a) for a in args], input=input_text,
                          capture_output=True, text=True)
    if expect_rc is not None and proc.returncode != expect_rc:
        raise AssertionError("%s %s: exit %d\nstderr: %s" % (name, args, proc.returncode,
                                                            proc.stderr[-2000:]))
    return proc.stdout


def assert_close(actual, expected, atol, what):
    import numpy as np
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        raise AssertionError("%s: shape %s, expected %s" % (what, actual.shape, expected.shape))
    err = np.max(np.abs(actual - expected)) if actual.size else 0.0
    if not err <= atol:
        i = int(np.argmax(np.abs(actual - expected)))
        raise AssertionError("%s: max abs error %.3g > %.3g (at index %d: %r vs %r)" %
                             (what, err, atol, i, actual.flat[i], expected.flat[i]))


def tempdir():
    return tempfile.TemporaryDirectory(prefix="ctxlab-test-")


def main():
    passed = failed = 0
    for fn in _checks:
        try:
            fn()
            passed += 1
            print("ok   %s" % fn.__name__)
        except Exception:  # report every failure, keep going
            failed += 1
            print("FAIL %s" % fn.__name__)
            traceback.print_exc(file=sys.stdout)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
