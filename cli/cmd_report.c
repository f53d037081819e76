/* ctxlab report: tables, plots and a notebook from a sweep's directory. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "ctxlab/report.h"

static const char help[] =
    "usage: ctxlab report DIR [options]\n"
    "\n"
    "Read the output of `ctxlab sweep` in DIR (experiment.json, results.jsonl,\n"
    "summary.json) and write into DIR:\n"
    "  *.csv          tables of everything plotted (units in the column names)\n"
    "  *.png          the plots, drawn by ctxlab: loss vs context with the Bayes risk,\n"
    "                 approximation loss vs data, c*(D) measured vs predicted, excess\n"
    "                 loss by position, H(c), I(d) and the bipartite MI with its exponent\n"
    "  report.ipynb   a notebook that explains the results and redraws the plots from\n"
    "                 the CSVs with numpy and matplotlib\n"
    "A plot without data (no predictions, no sequence models) is left out.  See\n"
    "notebooks-export/README.md for the files and their columns.\n"
    "\n"
    "  --max-context L   theory curves up to context L (default: 1024 where they are\n"
    "                    exact, 64 where Monte Carlo; at least the sweep's contexts)\n"
    "  --threads N       threads for the theory (default: all cores)\n"
    "  -q, --quiet       do not list the files written\n";

static void print_file(void *ctx, const char *path) {
  (void)ctx;
  printf("wrote %s\n", path);
}

static void print_warning(void *ctx, const char *message) {
  (void)ctx;
  fprintf(stderr, "ctxlab: warning: %s\n", message);
}

int cmd_report(int argc, char **argv) {
  enum { OPT_L = 256, OPT_THREADS };
  static const struct option opts[] = {{"max-context", required_argument, 0, OPT_L},
                                       {"threads", required_argument, 0, OPT_THREADS},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  ctxlab_report_options ro;
  ctxlab_report_options_init(&ro);
  ro.on_file = print_file;
  ro.on_warning = print_warning;
  long L = 0, threads = 0;
  int c, rc;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
    switch (c) {
      case OPT_L:
        if ((rc = cli_parse_int(optarg, "--max-context", 2, 1 << 24, &L))) return rc;
        break;
      case OPT_THREADS:
        if ((rc = cli_parse_int(optarg, "--threads", 1, 1024, &threads))) return rc;
        break;
      case 'q': ro.on_file = NULL; break;
      case 'h': return fputs(help, stdout), CLI_EXIT_OK;
      default: return cli_bad_option(c, argv);
    }
  }
  if (optind != argc - 1) return cli_usage_error("report takes one DIR (see `ctxlab report --help`)");
  ro.max_context = (size_t)L;
  ro.threads = (int)threads;
  ctxlab_error err = {0};
  if (ctxlab_report_write(argv[optind], &ro, &err)) return cli_fail(&err);
  return CLI_EXIT_OK;
}
