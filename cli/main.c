/* ctxlab: the command-line program.  One file per subcommand (cli/cmd_*.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ctxlab/version.h"

static const char usage[] =
    "usage: ctxlab <command> [options]\n"
    "\n"
    "Synthetic languages whose information content is known exactly.\n"
    "\n"
    "commands:\n"
    "  list      the language families, their parameters and the presets\n"
    "  gen       sample a language to a token file (.bin, .npy, .txt) with a manifest\n"
    "  theory    the exact truth of a language: entropy rate, H(c), I(d), bipartite MI\n"
    "  predict   the Bayes-optimal next-token distribution after a window of tokens\n"
    "  verify    check a token file against its manifest (sizes, header, SHA-256)\n"
    "  demo      the main job: n-grams over context x data against the theory, a report\n"
    "  train     train a toy model (ngram, mlp, transformer, rnn) on a language\n"
    "  eval      measure a trained model against the Bayes oracle, context by context\n"
    "  sweep     run an experiment: a grid of models x context x data x seed, resumable\n"
    "  report    CSV tables, PNG plots and a notebook from a sweep's directory\n"
    "\n"
    "SPEC (for gen, theory, predict, train, demo) is a preset name (see `ctxlab list`), an\n"
    "inline JSON object such as '{\"family\": \"markov\", \"vocab\": 4}', or a path to a\n"
    "JSON file.\n"
    "\n"
    "`ctxlab <command> --help` describes a command.  Exit status: 0 success, 1 failure\n"
    "at run time, 2 bad input.\n";

static const struct {
  const char *name;
  int (*run)(int, char **);
} commands[] = {{"list", cmd_list},       {"gen", cmd_gen},       {"theory", cmd_theory},
                {"predict", cmd_predict}, {"verify", cmd_verify}, {"demo", cmd_demo},
                {"train", cmd_train},     {"eval", cmd_eval},     {"sweep", cmd_sweep},
                {"report", cmd_report}};

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
    printf("ctxlab %s\n", CTXLAB_VERSION_STRING);
    return CLI_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
    if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  return cli_usage_error("unknown command \"%s\" (see `ctxlab --help`)", argv[1]);
}
