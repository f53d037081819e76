"""Learning tests (issue 3): a transformer and a recurrent model trained on a
small order-2 Markov language come within 0.05 bits of its Bayes risk.

Expected values: the exact H(c) of `ctxlab theory` (an order-2 chain has
H(c) = H(2) for c >= 2).  The gap is measured two ways: the KL to the
oracle's distribution (computed from distributions, so nearly noise-free) and
the sampled loss minus H(c) (within 4 standard errors).  Under the sanitizers
(10x slower) the runs are shortened and only check that the loss falls far
below the uniform 2 bits.
"""
import json
import os

import numpy as np

from ctxlab_testlib import check, main, run, run_json, tempdir

LANG = '{"family": "markov", "vocab": 4, "order": 2, "concentration": 0.5, "seed": 7}'
SANITIZED = os.environ.get("CTXLAB_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES")
T = 16
MODELS = {
    "transformer": ["--dim", "32", "--layers", "2", "--heads", "2", "--lr", "1e-2"],
    "rnn": ["--dim", "32", "--layers", "2", "--state-size", "32", "--lr", "3e-3"],
}


def learn(kind):
    steps = "60" if SANITIZED else "800"
    r = run_json(["train", LANG, "--model", kind, "--context", str(T), "--steps", steps,
                  "--batch", "32", "--eval-tokens", "32768", "--quiet", "--threads", "2"]
                 + MODELS[kind])
    H = np.array(run_json(["theory", LANG, "--max-context", str(T)])["conditional_entropy"]["bits"])
    ev = r["eval"]
    loss = np.array(ev["loss_by_context_bits"])[1:]        # contexts 2..T
    kl = np.array(ev["kl_by_context_bits"])[1:]
    se = np.array(ev["stderr_loss_by_context_bits"])[1:]
    gap = loss.mean() - H[2:T + 1].mean()
    print("%s: %s steps, %.0f tokens/s, mean KL %.4f bits, loss - H %.4f bits (se %.4f)" %
          (kind, steps, r["tokens_per_s"], kl.mean(), gap, se.mean() / np.sqrt(len(se))))
    if SANITIZED:
        assert loss.mean() < 1.8, loss.mean()
        return
    assert kl.mean() < 0.05, kl.mean()
    assert gap < 0.05 + 4 * se.mean() / np.sqrt(len(se)), gap


@check
def transformer_learns_markov():
    learn("transformer")


@check
def rnn_learns_markov():
    learn("rnn")


if __name__ == "__main__":
    main()
