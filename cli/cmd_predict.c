/* ctxlab predict: the oracle's next-token distribution after a window. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "ctxlab/lang.h"

static const char help[] =
    "usage: ctxlab predict SPEC [TOKEN ...]\n"
    "\n"
    "The Bayes-optimal distribution of the next token given exactly the tokens\n"
    "listed (oldest first) and nothing before them, the process started from\n"
    "stationarity before the window.  Prints JSON: the window, the probabilities\n"
    "of tokens 0..V-1, and their entropy in bits.\n";

int cmd_predict(int argc, char **argv) {
  static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    if (c == 'h') return fputs(help, stdout), CLI_EXIT_OK;
    return cli_bad_option(c, argv);
  }
  if (optind >= argc) return cli_usage_error("predict needs a SPEC (see `ctxlab predict --help`)");
  const char *spec = argv[optind++];
  size_t n = (size_t)(argc - optind);
  uint32_t *window = malloc(sizeof(uint32_t) * (n ? n : 1));
  if (!window) return cli_usage_error("out of memory");
  for (size_t i = 0; i < n; ++i) {
    long v;
    char what[64];
    snprintf(what, sizeof what, "token %zu", i);
    int rc = cli_parse_int(argv[optind + i], what, 0, UINT32_MAX, &v);
    if (rc) {
      free(window);
      return rc;
    }
    window[i] = (uint32_t)v;
  }
  ctxlab_error err = {0};
  ctxlab_lang *lang = NULL;
  double *probs = NULL;
  int rc = CLI_EXIT_OK;
  if (ctxlab_lang_new(spec, &lang, &err)) goto fail;
  uint32_t V = ctxlab_lang_vocab_size(lang);
  probs = malloc(sizeof(double) * V);
  if (!probs) {
    ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory");
    goto fail;
  }
  if (ctxlab_lang_predict(lang, window, n, probs, &err)) goto fail;
  json_t *obj = json_object(), *w = json_array(), *p = json_array();
  double h = 0;
  for (size_t i = 0; i < n; ++i) json_array_append_new(w, json_integer(window[i]));
  for (uint32_t x = 0; x < V; ++x) {
    json_array_append_new(p, json_real(probs[x]));
    if (probs[x] > 0) h -= probs[x] * log2(probs[x]);
  }
  json_object_set_new(obj, "family", json_string(ctxlab_lang_family(lang)));
  json_object_set_new(obj, "context", json_integer((json_int_t)n));
  json_object_set_new(obj, "window", w);
  json_object_set_new(obj, "probs", p);
  json_object_set_new(obj, "entropy_bits", json_real(h));
  json_dumpf(obj, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17));
  putchar('\n');
  json_decref(obj);
  goto done;
fail:
  rc = cli_fail(&err);
done:
  free(window);
  free(probs);
  ctxlab_lang_free(lang);
  return rc;
}
