/* Writing a dataset from the command line (gen and demo). */
#include <stdio.h>

#include "cli/cli.h"
#include "ctxlab/theory.h"

int cli_write_dataset(const ctxlab_lang *lang, const char *path, ctxlab_dataset_options *o,
                      long truth_context, int quiet, ctxlab_error *err) {
  ctxlab_truth truth = {0};
  json_t *summary = NULL;
  if (truth_context > 0) {
    ctxlab_theory_options topt;
    ctxlab_theory_options_init(&topt);
    topt.max_context = (size_t)truth_context;
    topt.curves = 0; /* the manifest holds the entropy rate and H(c) only */
    topt.threads = o->threads;
    int st = ctxlab_theory_compute(lang, &topt, &truth, err);
    if (st) return st;
    summary = ctxlab_truth_summary_to_json(&truth);
    ctxlab_truth_free(&truth);
  }
  cli_progress progress;
  cli_catch_interrupts();
  cli_progress_start(&progress, "gen", "tokens", quiet);
  o->progress = cli_progress_update;
  o->progress_ctx = &progress;
  char sha[65];
  double t0 = cli_now();
  int st = ctxlab_dataset_write(lang, path, o, summary, sha, err);
  cli_progress_finish(&progress);
  json_decref(summary);
  if (st) return st;
  double elapsed = cli_now() - t0;
  uint64_t total = o->sequences ? o->sequences * o->length : o->tokens;
  printf("wrote %s (%llu tokens, %s, sha256 %s) and its manifest %s.json in %.2f s "
         "(%.1f Mtokens/s)\n",
         path, (unsigned long long)total, ctxlab_format_name(o->format), sha, path, elapsed,
         (double)total / elapsed / 1e6);
  return CTXLAB_OK;
}
