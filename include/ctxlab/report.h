/* ctxlab/report.h: the report of a sweep, written into its directory.
 *
 * ctxlab_report_write reads DIR/experiment.json, DIR/results.jsonl and
 * DIR/summary.json (the layout `ctxlab sweep` writes) and writes into DIR,
 * each file atomically: CSV tables of everything plotted, PNG plots drawn by
 * ctxlab itself, and report.ipynb, a notebook (nbformat 4) that explains the
 * results and redraws the plots from the CSVs with numpy and matplotlib.
 * notebooks-export/README.md lists the files and their columns. */
#ifndef CTXLAB_REPORT_H
#define CTXLAB_REPORT_H

#include <stddef.h>

#include "ctxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ctxlab_report_options {
  /* Theory curves up to this context; 0: automatic (1024 where the language's
   * curves are exact, 64 where they are Monte Carlo, and at least the largest
   * context of the sweep). */
  size_t max_context;
  int threads; /* for the theory; <= 0: all cores */
  /* Called with the path of each file written, and with each warning (such as
   * an incomplete last line of results.jsonl); either may be NULL. */
  void (*on_file)(void *ctx, const char *path);
  void (*on_warning)(void *ctx, const char *message);
  void *ctx;
} ctxlab_report_options;

void ctxlab_report_options_init(ctxlab_report_options *opts);

/* Write the report of DIR.  Missing or malformed inputs are CTXLAB_EINVAL or
 * CTXLAB_EFORMAT with a message naming the file (and line); a plot without
 * data (no predictions, no sequence models) is skipped, never an error. */
int ctxlab_report_write(const char *dir, const ctxlab_report_options *opts, ctxlab_error *err);

#ifdef __cplusplus
}
#endif

#endif
