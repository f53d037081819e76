/* report.ipynb: nbformat 4 JSON (https://nbformat.readthedocs.io), built
 * with jansson.  Markdown cells explain each result with this run's numbers;
 * code cells (numpy + matplotlib only) load the CSV tables beside the
 * notebook and redraw the figures. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/tokens.h"
#include "notebooks-export/report_internal.h"

typedef struct notebook {
  json_t *cells;
  int failed; /* out of memory somewhere */
  FILE *f;    /* the text of the cell being written */
  char *text;
  size_t len;
} notebook;

static void begin(notebook *nb) {
  nb->text = NULL;
  nb->f = open_memstream(&nb->text, &nb->len);
  if (!nb->f) nb->failed = 1;
}

static void say(notebook *nb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(notebook *nb, const char *fmt, ...) {
  if (!nb->f) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(nb->f, fmt, ap);
  va_end(ap);
}

/* End the cell begun with begin(): markdown or code. */
static void end(notebook *nb, const char *type) {
  if (!nb->f) return;
  if (ferror(nb->f)) nb->failed = 1;
  fclose(nb->f);
  nb->f = NULL;
  char id[32];
  snprintf(id, sizeof id, "cell-%02zu", json_array_size(nb->cells) + 1);
  json_t *cell = json_pack("{s:s, s:s, s:{}, s:s}", "cell_type", type, "id", id, "metadata",
                           "source", nb->text ? nb->text : "");
  if (cell && strcmp(type, "code") == 0 &&
      (json_object_set_new(cell, "execution_count", json_null()) ||
       json_object_set_new(cell, "outputs", json_array())))
    nb->failed = 1;
  if (!cell || json_array_append_new(nb->cells, cell)) nb->failed = 1;
  free(nb->text);
  nb->text = NULL;
}

static void code(notebook *nb, const char *source) {
  begin(nb);
  say(nb, "%s", source);
  end(nb, "code");
}

/* ---- the text ---------------------------------------------------------------- */

static void grid_values(notebook *nb, const ctxlab_report *r, const char *key) {
  const json_t *list = json_object_get(json_object_get(r->data.experiment, "grid"), key), *v;
  size_t i;
  if (!json_is_array(list)) {
    say(nb, "(not given)");
    return;
  }
  json_array_foreach(list, i, v) {
    char count[32] = "?";
    if (json_is_integer(v)) ctxlab_report_count_text(json_integer_value(v), count, sizeof count);
    say(nb, "%s%s", i ? ", " : "", count);
  }
}

static void introduction(notebook *nb, const ctxlab_report *r) {
  const ctxlab_truth *t = &r->truth;
  begin(nb);
  say(nb, "# ctxlab report: %s\n\n", r->language);
  say(nb,
      "This notebook reads the tables that `ctxlab report` wrote beside it and explains what "
      "they show. The language is synthetic, so its **Bayes risk** H(c) (the smallest loss any "
      "model that sees c tokens can reach) is known exactly, and every measured loss can be "
      "split into that floor and what the model still lacks.\n\n");
  say(nb, "- points: %zu finished (model x context x training tokens x seed)\n", r->data.n_points);
  say(nb, "- models:");
  for (size_t m = 0; m < r->data.n_models; ++m)
    say(nb, "%s `%s`", m ? "," : "", r->data.models[m].label);
  say(nb, "\n- contexts c: ");
  grid_values(nb, r, "context");
  say(nb, "\n- training tokens D: ");
  grid_values(nb, r, "train_tokens");
  say(nb, "\n- seeds: ");
  grid_values(nb, r, "seed");
  if (t->entropy_rate_method == CTXLAB_METHOD_BOUNDS)
    say(nb, "\n- entropy rate of the language: between %.6f and %.6f bits/token\n",
        t->entropy_rate_lower_bits, t->entropy_rate_upper_bits);
  else
    say(nb, "\n- entropy rate of the language: %.6f bits/token (%s)\n", t->entropy_rate_bits,
        ctxlab_method_name(t->entropy_rate_method));
  say(nb, "\nAll information is in **bits**. The same figures, drawn by ctxlab itself, are the "
          "PNG files in this directory; the code cells below redraw them with matplotlib.\n");
  end(nb, "markdown");
}

static const char SETUP[] =
    "import csv\n"
    "import numpy as np\n"
    "import matplotlib.pyplot as plt\n"
    "\n"
    "def load(name):\n"
    "    \"\"\"The rows of a CSV table written by `ctxlab report` (dicts of strings).\"\"\"\n"
    "    with open(name, newline=\"\") as f:\n"
    "        return list(csv.DictReader(f))\n"
    "\n"
    "def col(rows, key, kind=float):\n"
    "    \"\"\"One column as an array; empty fields (missing values) become NaN.\"\"\"\n"
    "    if kind is float:\n"
    "        return np.array([float(r[key]) if r[key] != \"\" else np.nan for r in rows])\n"
    "    return np.array([kind(r[key]) for r in rows])\n"
    "\n"
    "def where(rows, **eq):\n"
    "    return [r for r in rows if all(r[k] == str(v) for k, v in eq.items())]\n"
    "\n"
    "points = load(\"points.csv\")\n"
    "cells = load(\"loss_vs_context.csv\")\n"
    "models = list(dict.fromkeys(r[\"model\"] for r in cells))\n"
    "theory_H = load(\"theory_conditional_entropy.csv\")\n"
    "print(len(points), \"points,\", len(cells), \"(model, D, c) cells, models:\", models)\n";

/* A cell of the largest D and its best context, to show the decomposition with numbers. */
static const ctxlab_report_cell *example_cell(const ctxlab_report *r) {
  const ctxlab_report_cell *best = NULL;
  for (size_t i = 0; i < r->n_optima; ++i) {
    const ctxlab_report_optimum *o = &r->optima[i];
    for (size_t k = 0; k < r->n_cells; ++k) {
      const ctxlab_report_cell *c = &r->cells[k];
      if (c->model == o->model && c->train_tokens == o->train_tokens &&
          c->context == o->measured_context && (!best || c->train_tokens > best->train_tokens))
        best = c;
    }
  }
  return best;
}

static void decomposition(notebook *nb, const ctxlab_report *r) {
  begin(nb);
  say(nb, "## 1. Loss = Bayes risk + approximation loss\n\n");
  say(nb,
      "Let P be the true law of the next token given the whole past, P_c the Bayes-optimal "
      "law given only the last c tokens, and Q_c a trained model that sees c tokens. Its "
      "cross-entropy splits exactly (Shi et al., arXiv 2502.01481):\n\n"
      "$$\\mathrm{loss}(c) = \\underbrace{H(c)}_{\\text{Bayes risk}} + "
      "\\underbrace{\\mathrm{KL}(P_c \\,\\|\\, Q_c)}_{\\text{approximation loss}}.$$\n\n"
      "H(c) falls as c grows (more context never hurts the ideal model) and flattens at the "
      "entropy rate. The approximation loss is what finite data costs: it **grows with c** "
      "(a longer context means more distinct situations to learn, each seen less often) and "
      "**falls with D**. Their sum therefore has a minimum over c, which section 4 follows.\n\n");
  const ctxlab_report_cell *c = example_cell(r);
  if (c) {
    char count[32];
    ctxlab_report_count_text(c->train_tokens, count, sizeof count);
    say(nb,
        "In this run, `%s` trained on D = %s tokens with c = %lld measured a loss of %.4f "
        "bits/token; the oracle on the same windows scored %.4f (the exact H(%lld) is %.4f) and "
        "the KL from the two distributions is %.4f, so bayes + KL = %.4f. (The loss is scored "
        "on sampled tokens and the KL from distributions, so the two sides agree up to the "
        "loss's standard error.)\n\n",
        r->data.models[c->model].label, count, (long long)c->context, c->loss_bits,
        c->bayes_bits, (long long)c->context, c->context < (int64_t)r->truth.conditional_entropy.n
                                                  ? r->truth.conditional_entropy.bits[c->context]
                                                  : NAN,
        c->kl_bits, c->bayes_bits + c->kl_bits);
  }
  say(nb, "The figure shows, for each model, the measured loss (mean over seeds, error bars: "
          "standard error over seeds, or the evaluation's standard error for one seed) for each "
          "D, the predicted loss H(c) + E[KL] computed before any training (dashed, where the "
          "model has a prediction), and the exact H(c) in black.");
  end(nb, "markdown");
  code(nb,
       "for m in models:\n"
       "    rows = where(cells, model=m)\n"
       "    fig, ax = plt.subplots(figsize=(7, 4.5))\n"
       "    for i, D in enumerate(sorted({int(r[\"train_tokens\"]) for r in rows})):\n"
       "        sub = where(rows, train_tokens=D)\n"
       "        c = col(sub, \"context_tokens\")\n"
       "        ax.errorbar(c, col(sub, \"loss_bits\"), yerr=np.nan_to_num(col(sub, \"loss_err_bits\")),\n"
       "                    fmt=\"o-\", color=\"C%d\" % (i % 10), capsize=3, label=\"D=%d\" % D)\n"
       "        pred = col(sub, \"predicted_loss_bits\")\n"
       "        if np.isfinite(pred).any():\n"
       "            ax.plot(c, pred, \"--\", color=\"C%d\" % (i % 10))\n"
       "    c_all = col(rows, \"context_tokens\")\n"
       "    ct, Ht = col(theory_H, \"context_tokens\"), col(theory_H, \"bits\")\n"
       "    keep = (ct >= c_all.min()) & (ct <= c_all.max())\n"
       "    ax.plot(ct[keep], Ht[keep], \"k-\", label=\"Bayes H(c)\")\n"
       "    ax.set(title=\"Loss vs context: \" + m, xlabel=\"context c (tokens)\",\n"
       "           ylabel=\"loss (bits/token)\")\n"
       "    ax.legend(fontsize=8)\n"
       "    plt.show()\n");
}

static void bayes_risk(notebook *nb, const ctxlab_report *r) {
  const ctxlab_curve *H = &r->truth.conditional_entropy;
  begin(nb);
  say(nb, "## 2. The Bayes risk H(c)\n\n");
  say(nb, "H(c) = H(X_t | X_{t-c}..X_{t-1}) is computed from the language itself (%s). ",
      ctxlab_method_name(H->method));
  if (H->n)
    say(nb, "Here H(0) = %.6f bits (the entropy of one token alone) and H(%lld) = %.6f bits. ",
        H->bits[0], (long long)H->x[H->n - 1], H->bits[H->n - 1]);
  say(nb,
      "On natural text the Bayes risk is well described by a power law approaching a floor, "
      "$H(c) \\approx C_0 + C\\,c^{-\\gamma}$ (Shi et al. report C0 = 1.95, C = 6.80, "
      "gamma = 0.587 nats for Llama-3.1-8B). ");
  const json_t *fit = ctxlab_report_fit(r, "bayes_exact");
  if (fit) {
    say(nb,
        "Fitted to this language's exact curve (c >= 1, GSL nonlinear least squares): "
        "C0 = %.4g +- %.2g, C = %.4g +- %.2g, gamma = %.4g +- %.2g bits (R^2 = %.5f). The fit "
        "is the dashed curve.\n",
        ctxlab_report_fit_value(fit, "params", "C0"), ctxlab_report_fit_value(fit, "stderr", "C0"),
        ctxlab_report_fit_value(fit, "params", "C"), ctxlab_report_fit_value(fit, "stderr", "C"),
        ctxlab_report_fit_value(fit, "params", "gamma"),
        ctxlab_report_fit_value(fit, "stderr", "gamma"), ctxlab_report_fit_value(fit, NULL, "r2"));
  } else {
    say(nb, "(summary.json has no fit of it for this run.)\n");
  }
  end(nb, "markdown");
  code(nb,
       "c, H, se = col(theory_H, \"context_tokens\"), col(theory_H, \"bits\"), col(theory_H, \"stderr_bits\")\n"
       "fit = col(theory_H, \"fitted_bits\")\n"
       "fig, ax = plt.subplots(figsize=(7, 4.5))\n"
       "ax.errorbar(c[c >= 1], H[c >= 1], yerr=se[c >= 1], fmt=\"-\", label=\"H(c)\")\n"
       "if np.isfinite(fit).any():\n"
       "    ax.plot(c[c >= 1], fit[c >= 1], \"--\", color=\"C3\", label=\"fit C0 + C c^-gamma\")\n"
       "ax.set_xscale(\"log\")\n"
       "ax.set(title=\"Bayes risk H(c)\", xlabel=\"context c (tokens)\", ylabel=\"H(c) (bits/token)\")\n"
       "ax.legend()\n"
       "plt.show()\n");
}

static void approximation(notebook *nb, const ctxlab_report *r) {
  begin(nb);
  say(nb, "## 3. Approximation loss falls with data, rises with context\n\n");
  say(nb,
      "An n-gram model of order c estimates one next-token distribution per context: with V "
      "tokens there are up to V^c of them, and a context of stationary probability p(s) is "
      "seen about n = D p(s) times in D training tokens. An add-beta estimate from n "
      "observations costs about (V - 1) / (2 n ln 2) bits of KL for large n (and the KL to the "
      "prior when n = 0). Summing over contexts gives the expected approximation loss "
      "E[KL] before any training: more context means more, rarer contexts, so the loss grows "
      "with c; more data means larger n, so it falls with D, roughly as a power law "
      "$L_\\mathrm{approx} \\approx A(c)\\,D^{-\\alpha(c)}$.\n\n");
  const json_t *list = ctxlab_report_fit_list(r, "approx_vs_data"), *fit;
  size_t i;
  int header = 0;
  json_array_foreach(list, i, fit) {
    if (!json_is_object(fit)) continue;
    long m = ctxlab_report_find_model(&r->data, json_object_get(fit, "model"));
    if (!header) {
      say(nb, "Fitted power laws (measured KL, summary.json):\n\n| model | c | A | alpha | R^2 |\n"
              "|---|---|---|---|---|\n");
      header = 1;
    }
    say(nb, "| %s | %lld | %.4g +- %.2g | %.4f +- %.2g | %.4f |\n",
        m >= 0 ? r->data.models[m].label : "?",
        (long long)json_integer_value(json_object_get(fit, "context")),
        ctxlab_report_fit_value(fit, "params", "A"), ctxlab_report_fit_value(fit, "stderr", "A"),
        ctxlab_report_fit_value(fit, "params", "alpha"),
        ctxlab_report_fit_value(fit, "stderr", "alpha"), ctxlab_report_fit_value(fit, NULL, "r2"));
  }
  say(nb, "%sOn log-log axes below: measured KL (points), predicted E[KL] (dashed), fit "
          "(dotted).",
      header ? "\n" : "");
  end(nb, "markdown");
  code(nb,
       "approx = load(\"approx_vs_data.csv\")\n"
       "for m in models:\n"
       "    rows = where(approx, model=m)\n"
       "    fig, ax = plt.subplots(figsize=(7, 4.5))\n"
       "    for i, c in enumerate(sorted({int(r[\"context_tokens\"]) for r in rows})):\n"
       "        sub = where(rows, context_tokens=c)\n"
       "        D, kl = col(sub, \"train_tokens\"), col(sub, \"kl_bits\")\n"
       "        ok = kl > 0\n"
       "        ax.plot(D[ok], kl[ok], \"o\", color=\"C%d\" % (i % 10), label=\"c=%d\" % c)\n"
       "        for key, style in ((\"predicted_approx_bits\", \"--\"), (\"fitted_approx_bits\", \":\")):\n"
       "            y = col(sub, key)\n"
       "            ok = y > 0\n"
       "            if ok.any():\n"
       "                ax.plot(D[ok], y[ok], style, color=\"C%d\" % (i % 10))\n"
       "    ax.set_xscale(\"log\")\n"
       "    ax.set_yscale(\"log\")\n"
       "    ax.set(title=\"Approximation loss vs data: \" + m, xlabel=\"training tokens D\",\n"
       "           ylabel=\"KL(P_c || Q_c) (bits/token)\")\n"
       "    ax.legend(fontsize=8)\n"
       "    plt.show()\n");
}

static void optimal(notebook *nb, const ctxlab_report *r) {
  begin(nb);
  say(nb, "## 4. The optimal context c*(D)\n\n");
  say(nb,
      "For a fixed amount of data the loss H(c) + KL is a falling curve plus a rising one, so "
      "it is smallest at some context c*(D). More data lowers the rising part, so the minimum "
      "moves to longer contexts: **c* grows with D**, as Shi et al. observed on OpenWebText. "
      "Measured c* is the grid context with the least mean loss over seeds; predicted c* is "
      "the argmin of H(c) + E[KL], known before any training.\n\n"
      "| model | D | measured c* | loss (bits) | predicted c* | predicted loss (bits) |\n"
      "|---|---|---|---|---|---|\n");
  size_t with_prediction = 0, agree = 0;
  for (size_t i = 0; i < r->n_optima; ++i) {
    const ctxlab_report_optimum *o = &r->optima[i];
    char count[32], pc[32] = "-", pl[32] = "-";
    ctxlab_report_count_text(o->train_tokens, count, sizeof count);
    if (o->predicted_context >= 0) {
      snprintf(pc, sizeof pc, "%lld", (long long)o->predicted_context);
      snprintf(pl, sizeof pl, "%.4f", o->predicted_loss_bits);
      with_prediction++;
      agree += o->predicted_context == o->measured_context;
    }
    say(nb, "| %s | %s | %lld | %.4f | %s | %s |\n", r->data.models[o->model].label, count,
        (long long)o->measured_context, o->measured_loss_bits, pc, pl);
  }
  if (with_prediction)
    say(nb, "\nThe prediction picks the measured c* exactly for %zu of %zu dataset sizes.\n",
        agree, with_prediction);
  end(nb, "markdown");
  code(nb,
       "opt = load(\"optimal_context.csv\")\n"
       "fig, ax = plt.subplots(figsize=(7, 4.5))\n"
       "for i, m in enumerate(models):\n"
       "    sub = where(opt, model=m)\n"
       "    D = col(sub, \"train_tokens\")\n"
       "    ax.plot(D, col(sub, \"measured_context_tokens\"), \"o-\", color=\"C%d\" % i, label=m + \" measured\")\n"
       "    pred = col(sub, \"predicted_context_tokens\")\n"
       "    if np.isfinite(pred).any():\n"
       "        ax.plot(D, pred, \"s--\", mfc=\"none\", color=\"C%d\" % i, label=m + \" predicted\")\n"
       "ax.set_xscale(\"log\")\n"
       "ax.set(title=\"Optimal context c*(D)\", xlabel=\"training tokens D\", ylabel=\"c* (tokens)\")\n"
       "ax.legend(fontsize=8)\n"
       "plt.show()\n");
}

static int has_sequence_points(const ctxlab_report *r) {
  for (size_t i = 0; i < r->data.n_points; ++i)
    if (r->data.points[i].positions &&
        ctxlab_report_is_sequence_model(r->data.models[r->data.points[i].model].kind))
      return 1;
  return 0;
}

static void excess(notebook *nb, const ctxlab_report *r) {
  if (!has_sequence_points(r)) return;
  begin(nb);
  say(nb, "## 5. Excess loss by position (sequence models)\n\n"
          "A transformer or RNN trained on windows of T tokens predicts every position of the "
          "window: at position c it has seen c tokens, so its loss there is H(c) + KL at c. "
          "The excess loss - H(c) shows where in the window the model falls short of the "
          "Bayes-optimal predictor: a model that uses its context fully keeps it flat and small "
          "as c grows.");
  end(nb, "markdown");
  code(nb,
       "ex = load(\"excess_by_position.csv\")\n"
       "fig, ax = plt.subplots(figsize=(7, 4.5))\n"
       "keys = list(dict.fromkeys((r[\"model\"], r[\"train_tokens\"], r[\"context_tokens\"]) for r in ex))\n"
       "for i, (m, D, T) in enumerate(keys):\n"
       "    sub = where(ex, model=m, train_tokens=D, context_tokens=T)\n"
       "    pos, e = col(sub, \"position_tokens\"), col(sub, \"excess_bits\")\n"
       "    xs = np.unique(pos)\n"
       "    ax.plot(xs, [e[pos == x].mean() for x in xs], \"-\", color=\"C%d\" % (i % 10),\n"
       "            label=\"%s D=%s T=%s\" % (m, D, T))\n"
       "ax.set(title=\"Excess loss by position\", xlabel=\"position c (tokens seen)\",\n"
       "       ylabel=\"loss - H(c) (bits/token)\")\n"
       "ax.legend(fontsize=8)\n"
       "plt.show()\n");
}

static void information(notebook *nb, const ctxlab_report *r) {
  begin(nb);
  say(nb, "## %d. Mutual information: two-point and bipartite\n\n",
      has_sequence_points(r) ? 6 : 5);
  say(nb,
      "The two-point mutual information I(d) = I(X_t; X_{t+d}) says how much one token tells "
      "about another d steps away. It can mislead: a process whose tokens are all equal has "
      "I(d) = log V at every distance but carries only log V bits in total. The **bipartite** "
      "mutual information I_BP(n) = I(first n/2 tokens; last n/2 tokens) counts everything "
      "the past of a window says about its future; for a stationary process it follows from "
      "H(c): $I_{BP}(n) = \\sum_{i=1}^{n/2} [H(i-1) - H(n/2+i-1)]$. When it grows like a "
      "power law n^beta (Hilberg's law; Chen et al., arXiv 2503.04725, measured beta ~ 0.76 on "
      "PG19), a model must carry a history state that grows at least like L^beta to model "
      "context length L: a transformer's KV cache does, a fixed-size recurrent state cannot.\n\n");
  if (r->have_bipartite_fit)
    say(nb,
        "For this language the fitted power law is I_BP(n) = %.4g n^%.4f bits over n = %lld.."
        "%lld, so **beta = %.4f**.\n",
        r->bipartite_prefactor_bits, r->bipartite_exponent, (long long)r->bipartite_length_min,
        (long long)r->bipartite_length_max, r->bipartite_exponent);
  const json_t *lin = ctxlab_report_fit(r, "entropy_linear");
  if (lin)
    say(nb,
        "\nThe language also defines an intrinsic entropy S(c) (the information the Bayes "
        "model's state holds about its hidden variables). Shi et al. posit "
        "H(0) - H(c) = k S(c) + b; fitted here: k = %.6g +- %.2g, b = %.3g +- %.2g (for a "
        "`latent` language with uniform weights, k = 1/d exactly).\n",
        ctxlab_report_fit_value(lin, "params", "k"), ctxlab_report_fit_value(lin, "stderr", "k"),
        ctxlab_report_fit_value(lin, "params", "b"), ctxlab_report_fit_value(lin, "stderr", "b"));
  end(nb, "markdown");
  code(nb,
       "import os\n"
       "fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))\n"
       "for ax, name, xkey, title in ((axes[0], \"theory_mutual_information.csv\", \"distance_tokens\", \"I(d)\"),\n"
       "                              (axes[1], \"theory_bipartite.csv\", \"length_tokens\", \"I_BP(n)\")):\n"
       "    if not os.path.exists(name):\n"
       "        ax.set_title(title + \": not available\")\n"
       "        continue\n"
       "    rows = load(name)\n"
       "    x, y = col(rows, xkey), col(rows, \"bits\")\n"
       "    ok = y > 0\n"
       "    ax.loglog(x[ok], y[ok], \"-\", label=title)\n"
       "    if \"fitted_bits\" in rows[0]:\n"
       "        f = col(rows, \"fitted_bits\")\n"
       "        ok = f > 0\n"
       "        ax.loglog(x[ok], f[ok], \"--\", color=\"C3\", label=\"fit A n^beta\")\n"
       "    ax.set(title=title, xlabel=xkey.replace(\"_tokens\", \" (tokens)\"), ylabel=\"bits\")\n"
       "    ax.legend()\n"
       "plt.show()\n");
}

static void files(notebook *nb) {
  begin(nb);
  say(nb,
      "## Files\n\n"
      "| file | what it holds |\n|---|---|\n"
      "| points.csv | one row per finished point: measured and predicted values |\n"
      "| loss_vs_context.csv | means over seeds per (model, D, c), with the exact H(c) |\n"
      "| approx_vs_data.csv | KL per (model, c, D): measured, predicted, fitted |\n"
      "| optimal_context.csv | c*(D) measured and predicted |\n"
      "| excess_by_position.csv | sequence models: loss - H(c) at each position |\n"
      "| fits.csv | every fitted parameter with its standard error |\n"
      "| theory_*.csv | the language's exact (or Monte Carlo) curves |\n"
      "| *.png | the same figures, drawn by ctxlab |\n");
  end(nb, "markdown");
}

int ctxlab_report_write_notebook(ctxlab_report *r, ctxlab_error *err) {
  notebook nb = {0};
  nb.cells = json_array();
  if (!nb.cells) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  introduction(&nb, r);
  code(&nb, SETUP);
  decomposition(&nb, r);
  bayes_risk(&nb, r);
  approximation(&nb, r);
  optimal(&nb, r);
  excess(&nb, r);
  information(&nb, r);
  files(&nb);
  json_t *doc = json_pack("{s:o, s:{s:{s:s, s:s, s:s}, s:{s:s}}, s:i, s:i}", "cells", nb.cells,
                          "metadata", "kernelspec", "display_name", "Python 3", "language",
                          "python", "name", "python3", "language_info", "name", "python",
                          "nbformat", 4, "nbformat_minor", 5);
  char *text = doc && !nb.failed ? json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) : NULL;
  json_decref(doc);
  char *path = ctxlab_report_path(r, "report.ipynb");
  int rc;
  if (!text || !path) rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  else rc = ctxlab_write_file_atomic(path, text, strlen(text), err);
  if (!rc) ctxlab_report_announce(r, path);
  free(text);
  free(path);
  return rc;
}
