/* report_png_pattern PATH W H: write a W x H PNG of a known pattern with the
 * report's encoder (pixel (x, y) = (7x + y, x xor y, 3xy) mod 256), for
 * test_report.py to decode with zlib and compare. */
#include <stdio.h>
#include <stdlib.h>

#include "notebooks-export/png.h"

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: report_png_pattern PATH W H\n");
    return 2;
  }
  long w = strtol(argv[2], NULL, 10), h = strtol(argv[3], NULL, 10);
  if (w < 1 || h < 1 || w > 4096 || h > 4096) return 2;
  uint8_t *rgb = malloc((size_t)(w * h * 3));
  if (!rgb) return 1;
  for (long y = 0; y < h; ++y)
    for (long x = 0; x < w; ++x) {
      uint8_t *p = rgb + 3 * (y * w + x);
      p[0] = (uint8_t)((7 * x + y) % 256);
      p[1] = (uint8_t)((x ^ y) % 256);
      p[2] = (uint8_t)((3 * x * y) % 256);
    }
  ctxlab_error err = {0};
  int rc = ctxlab_png_write(argv[1], rgb, (uint32_t)w, (uint32_t)h, &err);
  free(rgb);
  if (rc) fprintf(stderr, "report_png_pattern: %s\n", err.message);
  return rc ? 1 : 0;
}
