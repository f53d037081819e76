"""`ctxlab train` and `ctxlab eval` as a user drives them.

Expected values come from: the exact H(c) of `ctxlab theory` (itself checked
against numpy elsewhere), the identity E[loss - bayes] = KL (the KL is computed
from the oracle's distribution, the difference from sampled tokens, so the two
agree only in expectation: within 4 standard errors), the safetensors layout
(read here with json + numpy), and runs that must agree bit for bit (eval of a
checkpoint vs the eval in run.json, a token file vs the same windows sampled,
a resumed run vs an uninterrupted one, 1 vs 2 threads).
"""
import json
import os

import numpy as np

from ctxlab_testlib import check, main, run, run_json, tempdir

MARKOV = '{"family": "markov", "vocab": 4, "order": 1, "concentration": 1, "seed": 3}'


def available(kind):
    p = run(["train", MARKOV, "--model", kind, "--context", "4", "--steps", "1",
             "--train-tokens", "100", "--eval-tokens", "0", "--quiet", "--out", "-"],
            expect_rc=None)
    return "not available in this build" not in p.stderr


NEURAL = [k for k in ("rnn", "transformer", "mlp") if available(k)]


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    dt = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "U64": "<u8", "U32": "<u4"}
    tensors = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        tensors[name] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=dt[t["dtype"]]).reshape(t["shape"])
    return meta, tensors


@check
def ngram_run_json_and_oracle_consistency():
    with tempdir() as d:
        out = os.path.join(d, "run.json")
        run(["train", MARKOV, "--model", "ngram", "--context", "1", "--train-tokens", "200k",
             "--eval-tokens", "40000", "--eval-context", "4", "--quiet", "--out", out])
        r = json.load(open(out))
        for key in ["model", "param_count", "history_state_floats", "train", "eval", "tokens_per_s",
                    "language"]:
            assert key in r, key
        assert r["model"]["model"] == "ngram" and r["model"]["train_context"] == 1
        ev = r["eval"]
        T = ev["context"]
        assert T == 4 and len(ev["loss_by_context_bits"]) == T
        for key in ["loss_bits", "last_loss_bits", "bayes_by_context_bits", "kl_by_context_bits",
                    "stderr_loss_by_context_bits"]:
            assert key in ev, key
        truth = run_json(["theory", MARKOV, "--max-context", "4"])
        H = truth["conditional_entropy"]["bits"]
        loss = np.array(ev["loss_by_context_bits"])
        bayes = np.array(ev["bayes_by_context_bits"])
        kl = np.array(ev["kl_by_context_bits"])
        se = np.array(ev["stderr_loss_by_context_bits"])
        assert np.all(kl >= 0)
        # an order-1 chain: H(c) = H(1) for c >= 1, and the order-1 n-gram at 200k tokens is
        # within 0.01 bits of it (V = 4: 12 free parameters)
        assert np.all(np.abs(bayes - H[1]) < 4 * se + 1e-3), (bayes, H[1])
        assert np.all(kl < 0.01), kl
        assert np.all(np.abs((loss - bayes) - kl) < 4 * se + 1e-4), (loss - bayes, kl, se)


@check
def eval_of_checkpoint_matches_train_eval():
    with tempdir() as d:
        out, ck = os.path.join(d, "run.json"), os.path.join(d, "m.safetensors")
        run(["train", MARKOV, "--model", "ngram", "--context", "2", "--smoothing", "kneser-ney",
             "--train-tokens", "50k", "--eval-tokens", "6000", "--quiet", "--out", out, "--save", ck])
        ev = run_json(["eval", ck, "--eval-tokens", "6000"])
        assert ev == json.load(open(out))["eval"]
        # resuming a finished run changes nothing (counts are not added again)
        again = run_json(["train", "--resume", ck, "--eval-tokens", "6000"])
        assert again["eval"] == ev and again["train"]["stopped"] == "counted"
        # a token file holding the same windows gives the same numbers
        meta, _ = read_safetensors(ck)
        assert meta["model"] == "ngram" and meta["smoothing"] == "kneser-ney"
        assert json.loads(meta["language"])["family"] == "markov"
        # a token file holding the same windows gives the same numbers
        data = os.path.join(d, "eval.bin")
        ev2 = run_json(["eval", ck, "--seed", "12345", "--eval-tokens", "6000"])
        run(["gen", MARKOV, "--sequences", str(6000 // 2), "--length", "3", "--seed", "12345",
             "-o", data, "--quiet"])
        ev3 = run_json(["eval", ck, "--tokens", data])
        assert ev3 == ev2, (ev3["loss_bits"], ev2["loss_bits"])


@check
def neural_checkpoint_layout_resume_and_threads():
    if not NEURAL:
        raise AssertionError("no neural model in this build")
    for kind in NEURAL:
        with tempdir() as d:
            a, b = os.path.join(d, "a.safetensors"), os.path.join(d, "b.safetensors")
            common = [MARKOV, "--model", kind, "--context", "8", "--steps", "30", "--batch", "4",
                      "--eval-tokens", "256", "--quiet", "--seed", "5"]
            whole = run_json(["train"] + common + ["--save", a, "--threads", "1"])
            # paused after 12 steps, then resumed on 2 threads: the same run
            p = run(["train"] + common + ["--save", b, "--pause-after", "12"])
            assert "paused after step 12" in p.stderr
            meta, tensors = read_safetensors(b)
            assert json.loads(meta["train_state"])["step"] == 12
            c = os.path.join(d, "c.safetensors")
            resumed = run_json(["train", "--resume", b, "--threads", "2", "--eval-tokens", "256",
                                "--save", c])
            assert resumed["eval"] == whole["eval"], kind
            assert resumed["train"]["curve"] == whole["train"]["curve"], kind
            ma, ta = read_safetensors(a)
            mb, tb = read_safetensors(c)
            assert sorted(ta) == sorted(tb)
            for name in ta:
                assert np.array_equal(ta[name], tb[name]), (kind, name)
            # the checkpoint holds the parameters (F32) plus the optimizer moments
            n_params = sum(t.size for n, t in ta.items() if not n.startswith("optim."))
            assert n_params == whole["param_count"], (n_params, whole["param_count"])
            assert all(t.dtype == np.float32 for t in ta.values())
            assert ma["model"] == kind and ma["vocab_size"] == "4" and ma["train_context"] == "8"
            if kind == "transformer":
                # attention entropy [layer][head][c-1]: a query seeing c keys has
                # 0 <= entropy <= ln c (closed-form bounds), exactly 0 at c = 1
                a = np.array(whole["eval"]["attention_entropy_nats"])
                assert a.shape == (2, 4, 8), a.shape
                assert np.all(a[:, :, 0] == 0)
                assert np.all(a >= 0) and np.all(a <= np.log(np.arange(1, 9)) + 1e-9)
                assert np.any(a[:, :, 1:] > 0.01)


@check
def bad_input_is_exit_2_with_a_message():
    with tempdir() as d:
        cases = [
            (["train", MARKOV, "--model", "lstm", "--context", "2", "--steps", "1"], "lstm"),
            (["train", MARKOV, "--model", "ngram", "--train-tokens", "10"], "--context"),
            (["train", MARKOV, "--context", "2"], "--model"),
            (["train", MARKOV, "--model", "ngram", "--context", "2", "--dim", "8",
              "--train-tokens", "100"], "does not apply to model ngram"),
            (["train", MARKOV, "--model", "ngram", "--context", "2", "--beta", "-1",
              "--train-tokens", "100"], "--beta"),
            (["train", MARKOV, "--model", "ngram", "--context", "2"], "--train-tokens"),
            (["train", MARKOV, "--model", "ngram", "--context", "2", "--train-tokens", "100",
              "--pause-after", "3"], "--save"),
            (["train", "--resume", os.path.join(d, "none.safetensors")], "none.safetensors"),
            (["eval", os.path.join(d, "none.safetensors")], "none.safetensors"),
        ]
        for args, fragment in cases:
            p = run(args, expect_rc=2)
            assert "ctxlab: error:" in p.stderr and fragment in p.stderr, (args, p.stderr)
        # a damaged checkpoint
        ck = os.path.join(d, "m.safetensors")
        run(["train", MARKOV, "--model", "ngram", "--context", "1", "--train-tokens", "1000",
             "--eval-tokens", "0", "--quiet", "--save", ck, "--out", "-"])
        raw = open(ck, "rb").read()
        open(ck, "wb").write(raw[:len(raw) // 2])
        p = run(["eval", ck], expect_rc=2)
        assert ck in p.stderr and "ctxlab: error:" in p.stderr
        open(ck, "wb").write(b"\x10" + b"\x00" * 7 + b"{not json}      ")
        p = run(["eval", ck], expect_rc=2)
        assert "header" in p.stderr


if __name__ == "__main__":
    main()
