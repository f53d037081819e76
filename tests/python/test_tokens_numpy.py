"""Token files cross-checked against numpy, hashlib and sha256sum.

tokens_write (tests/tools) writes files of every format, dtype and layout;
numpy must read the .npy as is (and it must equal what np.save writes), the
.bin header must be what ctxlab/tokens.h specifies with the tokens at offset
1024, the .txt must parse, and the manifest's sha256 must equal hashlib's and
the sha256sum program's.  Files built here by numpy/struct must pass
tokens_check, and files damaged here must fail it (exit 2) naming the file.
"""
import hashlib
import io
import json
import os
import struct
import subprocess

import numpy as np

from ctxlab_testlib import TOOLS, check, main, tempdir, tool

VOCABS = [1000, 65536, 65537, 2**32 - 1]  # uint16, its edge, uint32, its edge
SHAPES = [(0, 0, 1000), (7, 13, 91), (0, 0, 0)]  # (sequences, length, tokens)
FORMATS = ["bin", "npy", "txt"]


def dtype_of(vocab):
    # tokens.h: uint16 for vocab_size <= 65536, else uint32; little-endian
    return np.dtype("<u2") if vocab <= 65536 else np.dtype("<u4")


def sample(vocab, n, seed):
    """Tokens in [0, vocab) with both edges present."""
    t = np.random.default_rng(seed).integers(0, vocab, size=n, dtype=np.uint64)
    if n:
        t[0] = vocab - 1
        t[-1] = 0
    return t


def write(path, fmt, vocab, tokens, sequences=0, length=0):
    if sequences:
        shape = ["--sequences", sequences, "--length", length]
    else:
        shape = ["--tokens", len(tokens)]
    text = " ".join(str(int(x)) for x in tokens)
    return tool("tokens_write", [path, fmt, vocab] + shape, input_text=text).strip()


def sha256sum(path):
    out = subprocess.run(["sha256sum", path], capture_output=True, text=True, check=True).stdout
    return out.split()[0]


def manifest_of(path):
    with open(path + ".json") as fp:
        text = fp.read()
    assert text.endswith("}\n"), "manifest must end with a newline"
    return json.loads(text)


def tokens_check(path, *args):
    return subprocess.run([os.path.join(TOOLS, "tokens_check"), path] + [str(a) for a in args],
                          capture_output=True, text=True)


def check_manifest(path, fmt, vocab, sequences, length, n, printed_sha):
    m = manifest_of(path)
    data = open(path, "rb").read()
    digest = hashlib.sha256(data).hexdigest()
    assert m["sha256"] == digest, "manifest sha256 %s, hashlib %s" % (m["sha256"], digest)
    assert sha256sum(path) == digest, "sha256sum disagrees with hashlib"
    assert printed_sha == digest
    expected = {"generator": "tokens_write", "file": os.path.basename(path), "format": fmt,
                "dtype": dtype_of(vocab).name, "vocab_size": vocab, "tokens": n,
                "sequences": sequences, "length": length, "bytes": len(data), "sha256": digest}
    assert m == expected, "manifest %r, expected %r" % (m, expected)
    assert list(m) == list(expected), "manifest key order %r" % list(m)


def check_dump(path, tokens):
    out = tokens_check(path, "--dump", 0, len(tokens))
    assert out.returncode == 0, out.stderr
    got = np.array(out.stdout.split(), dtype=np.uint64)
    assert np.array_equal(got, tokens), "tokens_check --dump differs from the tokens written"


def written(d, fmt):
    """Each vocabulary x shape written as d/t.FMT, with the directory, the
    manifest and tokens_check's reading checked; yields (path, vocab,
    sequences, length, tokens)."""
    for vocab in VOCABS:
        for i, (sequences, length, n) in enumerate(SHAPES):
            t = sample(vocab, n, seed=vocab + i)
            path = os.path.join(d, "t." + fmt)
            sha = write(path, fmt, vocab, t, sequences, length)
            names = sorted(os.listdir(d))  # no temporary files left
            assert names == ["t." + fmt, "t.%s.json" % fmt], names
            check_manifest(path, fmt, vocab, sequences, length, n, sha)
            check_dump(path, t)
            yield path, vocab, sequences, length, t


@check
def npy_loads_as_is_and_equals_np_save():
    with tempdir() as d:
        for path, vocab, sequences, length, t in written(d, "npy"):
            a = np.load(path)
            shape = (sequences, length) if sequences else (len(t),)
            assert a.dtype == dtype_of(vocab), "dtype %s" % a.dtype
            assert a.shape == shape, "shape %s, expected %s" % (a.shape, shape)
            assert np.array_equal(a.ravel().astype(np.uint64), t)
            assert a.flags["C_CONTIGUOUS"]
            # byte for byte what numpy itself writes for the same array
            buf = io.BytesIO()
            np.save(buf, t.astype(dtype_of(vocab)).reshape(shape))
            assert open(path, "rb").read() == buf.getvalue(), "file differs from np.save's"


@check
def bin_header_and_tokens_follow_the_spec():
    with tempdir() as d:
        for path, vocab, sequences, length, t in written(d, "bin"):
            header = np.fromfile(path, dtype="<i4", count=256)
            n = len(t)
            expected = np.zeros(256, dtype="<i4")
            # tokens.h: magic, version (1: uint16, 2: uint32), count, count
            # low/high, sequences, length, zeros
            expected[:7] = [20240520, 1 if vocab <= 65536 else 2, n, n & 0xFFFFFFFF, n >> 32,
                            sequences, length]
            assert np.array_equal(header, expected), "header %s" % header[:8]
            data = np.fromfile(path, dtype=dtype_of(vocab), offset=1024)
            assert np.array_equal(data.astype(np.uint64), t), "tokens after the header differ"
            assert os.path.getsize(path) == 1024 + n * dtype_of(vocab).itemsize


@check
def txt_parses():
    with tempdir() as d:
        for path, vocab, sequences, length, t in written(d, "txt"):
            text = open(path, "rb").read().decode("ascii")
            assert text.endswith("\n")
            lines = text[:-1].split("\n")
            rows = t.reshape(sequences, length) if sequences else [t]
            assert len(lines) == len(rows), "%d lines, expected %d" % (len(lines), len(rows))
            for line, row in zip(lines, rows):
                assert line == " ".join(str(int(x)) for x in row)


@check
def formula_stream_across_many_blocks():
    # 10^6 tokens (several 256 KiB write blocks): token i = (A*i + B) mod V,
    # computed here with numpy
    n, a, b, vocab = 10**6, 2654435761, 12345, 50257
    i = np.arange(n, dtype=np.uint64)
    expected = (a * i + b) % vocab  # fits: a*i < 2^64
    with tempdir() as d:
        for fmt in FORMATS:
            path = os.path.join(d, "f." + fmt)
            sha = tool("tokens_write", [path, fmt, vocab, "--tokens", n, "--formula", a, b,
                                        "--chunk", 100003]).strip()
            if fmt == "npy":
                got = np.load(path)
            elif fmt == "bin":
                got = np.fromfile(path, dtype="<u2", offset=1024)
            else:
                got = np.array(open(path).read().split(), dtype=np.uint64)
            assert np.array_equal(got.astype(np.uint64), expected), fmt
            assert hashlib.sha256(open(path, "rb").read()).hexdigest() == sha == sha256sum(path)
            assert tokens_check(path).returncode == 0


def write_manifest(path, fmt, vocab, sequences, length, n):
    data = open(path, "rb").read()
    m = {"file": os.path.basename(path), "format": fmt, "dtype": dtype_of(vocab).name,
         "vocab_size": vocab, "tokens": n, "sequences": sequences, "length": length,
         "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    with open(path + ".json", "w") as fp:
        json.dump(m, fp)


@check
def reader_accepts_files_made_by_numpy():
    # files not written by ctxlab: np.save, struct-packed .bin, Python text
    t = sample(65537, 91, seed=3).reshape(7, 13)
    with tempdir() as d:
        npy = os.path.join(d, "n.npy")
        np.save(npy, t.astype("<u4"))
        write_manifest(npy, "npy", 65537, 7, 13, 91)
        binary = os.path.join(d, "b.bin")
        header = struct.pack("<256i", *([20240520, 2, 91, 91, 0, 7, 13] + [0] * 249))
        open(binary, "wb").write(header + t.astype("<u4").tobytes())
        write_manifest(binary, "bin", 65537, 7, 13, 91)
        txt = os.path.join(d, "t.txt")
        open(txt, "w").write("".join(" ".join(map(str, row)) + "\n" for row in t))
        write_manifest(txt, "txt", 65537, 7, 13, 91)
        for path in (npy, binary, txt):
            out = tokens_check(path)
            assert out.returncode == 0, out.stderr
            expected = ["ok", path[-3:], "uint32", "65537", "91", "7", "13"]
            assert out.stdout.split() == expected, out.stdout
            check_dump(path, t.ravel())


def expect_rejected(path, *fragments):
    out = tokens_check(path)
    assert out.returncode == 2, "exit %d: %s%s" % (out.returncode, out.stdout, out.stderr)
    assert out.stderr.startswith("tokens_check: error: ")
    for fragment in (os.path.basename(path),) + fragments:
        assert fragment in out.stderr, "%r not in %r" % (fragment, out.stderr)


@check
def damaged_files_are_rejected():
    t = sample(1000, 50, seed=9)
    with tempdir() as d:
        for fmt in FORMATS:
            path = os.path.join(d, "c." + fmt)
            write(path, fmt, 1000, t)
            good = open(path, "rb").read()
            good_manifest = open(path + ".json").read()

            open(path, "wb").write(good[:-1])  # truncated by one byte
            expect_rejected(path, '"bytes"')

            flipped = bytearray(good)  # a changed byte in the last token
            flipped[-2] ^= 0x01
            open(path, "wb").write(bytes(flipped))
            expect_rejected(path, "SHA-256 mismatch", hashlib.sha256(good).hexdigest())

            flipped = bytearray(good)  # a changed byte at the start
            flipped[0] ^= 0x40
            open(path, "wb").write(bytes(flipped))
            expect_rejected(path, "byte offset 0" if fmt != "txt" else "line 1, column 1")
            open(path, "wb").write(good)

            open(path + ".json", "w").write(good_manifest.replace('"tokens": 50', '"tokens": "50"'))
            expect_rejected(path, 'field "tokens" must be an integer')
            open(path + ".json", "w").write(good_manifest[:40])
            expect_rejected(path, "c.%s.json:" % fmt, "invalid JSON")
            os.remove(path + ".json")
            expect_rejected(path, "c.%s.json" % fmt)
            open(path + ".json", "w").write(good_manifest)
            assert tokens_check(path).returncode == 0


@check
def writer_errors_leave_nothing():
    with tempdir() as d:
        path = os.path.join(d, "e.bin")
        write_tool = os.path.join(TOOLS, "tokens_write")
        out = subprocess.run([write_tool, path, "bin", "10", "--tokens", "3"], input="1 2 10",
                             capture_output=True, text=True)
        assert out.returncode == 2 and "token 2 (value 10)" in out.stderr, out.stderr
        out = subprocess.run([write_tool, path, "npy", "10", "--tokens", "3"], input="1 2",
                             capture_output=True, text=True)
        assert out.returncode == 2 and "2 tokens written" in out.stderr, out.stderr
        missing = os.path.join(d, "no", "e.txt")  # an output directory that does not exist
        out = subprocess.run([write_tool, missing, "txt", "10", "--tokens", "1"], input="1",
                             capture_output=True, text=True)
        assert out.returncode == 2 and missing in out.stderr, out.stderr
        assert os.listdir(d) == [], os.listdir(d)


main()
