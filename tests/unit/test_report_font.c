/* The plot font (notebooks-export/font.h) covers printable ASCII: every
 * glyph 33..126 has ink, the space has none, no glyph uses columns beyond
 * FONT_WIDTH, no two glyphs are the same bitmap (so no character was left a
 * copy of another), only g j p q y and _ reach the descender rows, and
 * characters outside 32..126 are drawn as '?'. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "notebooks-export/font.h"

static void test_coverage(void **state) {
  (void)state;
  for (int ch = 32; ch <= 126; ++ch) {
    const uint8_t *g = ctxlab_font_glyph(ch);
    int ink = 0, descends = 0;
    for (int r = 0; r < FONT_HEIGHT; ++r) {
      if (g[r] & ~((1u << FONT_WIDTH) - 1)) fail_msg("'%c': row %d wider than the cell", ch, r);
      ink += g[r] != 0;
      descends |= r >= FONT_ASCENT && g[r];
    }
    if (ch == ' ' ? ink != 0 : ink == 0) fail_msg("'%c': ink %d", ch, ink);
    if (descends != (strchr("gjpqy_", ch) != NULL)) fail_msg("'%c': descender %d", ch, descends);
    for (int other = 32; other < ch; ++other)
      if (memcmp(g, ctxlab_font_glyph(other), FONT_HEIGHT) == 0)
        fail_msg("'%c' and '%c' are the same glyph", ch, other);
  }
}

static void test_out_of_range(void **state) {
  (void)state;
  assert_ptr_equal(ctxlab_font_glyph(0), ctxlab_font_glyph('?'));
  assert_ptr_equal(ctxlab_font_glyph(127), ctxlab_font_glyph('?'));
  assert_ptr_equal(ctxlab_font_glyph(200), ctxlab_font_glyph('?'));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_coverage),
                                     cmocka_unit_test(test_out_of_range)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
