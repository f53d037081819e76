"""Generated files that must never change.

tests/golden/gen.sha256 pins the SHA-256 of files written by `ctxlab gen`,
one per line: `<sha256>  <arguments to ctxlab gen>`.  The data files depend on
every step of ctxlab's documented sampling procedure, so any change to the
procedure (and so to every dataset anyone has generated) shows up here.  The
values were recorded from ctxlab 0.1.0 (the latent lines after the latent
sampler's rewrite, see CHANGELOG.md); the order-0 markov lines are also
reproduced independently, from the documentation alone, by
tests/python/test_golden_sample.py.  Changing a line means breaking
reproducibility: say so in the changelog of the release that does it.
"""
import hashlib
import os
import shlex

from ctxlab_testlib import TEST_DATA, check, main, run, tempdir

GOLDEN = os.path.join(TEST_DATA, "golden", "gen.sha256")


def pins():
    with open(GOLDEN) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                digest, args = line.split("  ", 1)
                yield digest, shlex.split(args)


@check
def generated_files_match_their_pins():
    count = 0
    with tempdir() as d:
        for digest, args in pins():
            fmt = args[args.index("--format") + 1] if "--format" in args else "bin"
            path = os.path.join(d, "x." + fmt)
            run(["gen"] + args + ["-o", path, "--quiet"])
            with open(path, "rb") as f:
                got = hashlib.sha256(f.read()).hexdigest()
            assert got == digest, "ctxlab gen %s: sha256 %s, pinned %s" % (" ".join(args), got,
                                                                            digest)
            count += 1
    assert count >= 8, count


if __name__ == "__main__":
    main()
