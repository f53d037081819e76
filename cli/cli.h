/* cli/cli.h: what the subcommands share. */
#ifndef CTXLAB_CLI_H
#define CTXLAB_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "ctxlab/dataset.h"
#include "ctxlab/error.h"
#include "ctxlab/sim.h"

/* Exit codes: 0 success, 1 run-time failure, 2 bad input or usage. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILURE = 1, CLI_EXIT_USAGE = 2 };

int cmd_list(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_theory(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Print "ctxlab: error: <message>" and return the exit code for its status. */
int cli_fail(const ctxlab_error *err);

/* Print "ctxlab: error: <formatted>" and return CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a count: a non-negative integer, optionally with a suffix k, M, G, T
 * (powers of 1000) or written like 1e9.  `what` names the option in errors. */
int cli_parse_count(const char *text, const char *what, uint64_t *out);

/* Parse an integer in [lo, hi]. */
int cli_parse_int(const char *text, const char *what, long lo, long hi, long *out);

/* After option parsing: exactly one positional argument (the SPEC) must
 * remain at argv[optind]; otherwise a usage error naming the command. */
int cli_one_spec(int argc, char **argv);

/* The message getopt would print, as a usage error, for option character c. */
int cli_bad_option(int c, char **argv);

/* Progress on stderr for work that runs longer than a second: a line
 * rewritten in place on a terminal, a line every 10 seconds otherwise. */
typedef struct cli_progress {
  const char *label;
  const char *unit;
  double start;
  double last;
  int quiet;
  int shown;
  char note[64]; /* shown after the rate when not empty (e.g. the current loss) */
} cli_progress;

void cli_progress_start(cli_progress *p, const char *label, const char *unit, int quiet);
/* Shows progress; returns nonzero once SIGINT or SIGTERM has arrived, which
 * asks the work to stop cleanly (cli_fail then exits 130 or 143). */
int cli_progress_update(void *ctx, uint64_t done, uint64_t total);
void cli_progress_finish(cli_progress *p);

/* Catch SIGINT and SIGTERM so that long work can stop and clean up. */
void cli_catch_interrupts(void);

double cli_now(void);

/* Write the dataset o describes to path: the manifest's truth summary gives
 * H(c) for c = 0..truth_context (none when 0), progress goes to stderr (not
 * when quiet), SIGINT/SIGTERM stop it cleanly, and a line saying what was
 * written goes to stdout.  Sets o->progress. */
int cli_write_dataset(const ctxlab_lang *lang, const char *path, ctxlab_dataset_options *o,
                      long truth_context, int quiet, ctxlab_error *err);

/* Model options shared by train and eval: --dim, --layers, ... map to
 * config fields.  Returns 1 (and sets *key) when `name` is one of them. */
int cli_model_option(const char *name, const char **key);

/* Write JSON to path atomically ("-": stdout), with a trailing newline. */
int cli_write_json(const json_t *j, const char *path, ctxlab_error *err);

#endif
