/* ctxlab: command-line entry point (subcommands are added in cli/cmd_*.c). */
#include <stdio.h>

#include "ctxlab/version.h"

int main(void) {
  printf("ctxlab %s\n", CTXLAB_VERSION_STRING);
  return 0;
}
