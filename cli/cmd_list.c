/* ctxlab list: the families, their parameters and the presets. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ctxlab/lang.h"

static const char help[] =
    "usage: ctxlab list [--json]\n"
    "\n"
    "The language families with their parameters (and defaults), and the presets:\n"
    "named specs usable wherever a SPEC is expected.\n"
    "\n"
    "  --json    print the same as JSON\n";

static void print_text(void) {
  printf("families\n");
  for (const ctxlab_family_info *f = ctxlab_family_list(); f->name; ++f) {
    printf("\n  %s: %s\n", f->name, f->summary);
    for (const ctxlab_family_param *p = f->params; p->key; ++p)
      printf("    %-20s %s (default: %s)\n      %s\n", p->key, p->type,
             p->default_value ? p->default_value : "none", p->doc);
  }
  printf("\npresets\n");
  for (const ctxlab_preset *p = ctxlab_preset_list(); p->name; ++p)
    printf("\n  %s: %s\n    %s\n", p->name, p->summary, p->spec);
}

static void print_json(void) {
  json_t *root = json_object(), *fams = json_array(), *pres = json_array();
  for (const ctxlab_family_info *f = ctxlab_family_list(); f->name; ++f) {
    json_t *params = json_array();
    for (const ctxlab_family_param *p = f->params; p->key; ++p)
      json_array_append_new(params, json_pack("{s:s, s:s, s:s?, s:s}", "key", p->key, "type",
                                              p->type, "default", p->default_value, "doc",
                                              p->doc));
    json_array_append_new(fams, json_pack("{s:s, s:s, s:o}", "name", f->name, "summary",
                                          f->summary, "params", params));
  }
  for (const ctxlab_preset *p = ctxlab_preset_list(); p->name; ++p)
    json_array_append_new(pres, json_pack("{s:s, s:s, s:o}", "name", p->name, "summary",
                                          p->summary, "spec", json_loads(p->spec, 0, NULL)));
  json_object_set_new(root, "families", fams);
  json_object_set_new(root, "presets", pres);
  json_dumpf(root, stdout, JSON_INDENT(2));
  putchar('\n');
  json_decref(root);
}

int cmd_list(int argc, char **argv) {
  static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int as_json = 0, c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'j') as_json = 1;
    else if (c == 'h') return fputs(help, stdout), CLI_EXIT_OK;
    else return cli_bad_option(c, argv);
  }
  if (optind < argc) return cli_usage_error("list takes no arguments (got \"%s\")", argv[optind]);
  if (as_json)
    print_json();
  else
    print_text();
  return CLI_EXIT_OK;
}
