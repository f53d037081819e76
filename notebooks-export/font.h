/* notebooks-export/font.h (internal): a bitmap font for plot text.
 *
 * Glyphs for ASCII 32..126, drawn for ctxlab: 5 columns x 9 rows (rows 0-6
 * the body, 7-8 the descenders of g j p q y), in a cell FONT_ADVANCE wide and
 * FONT_LINE tall. */
#ifndef CTXLAB_NOTEBOOKS_FONT_H
#define CTXLAB_NOTEBOOKS_FONT_H

#include <stdint.h>

enum { FONT_WIDTH = 5, FONT_HEIGHT = 9, FONT_ADVANCE = 6, FONT_LINE = 11, FONT_ASCENT = 7 };

/* The rows of character ch (bit 4 = leftmost column), FONT_HEIGHT of them;
 * characters outside 32..126 are drawn as '?'. */
const uint8_t *ctxlab_font_glyph(int ch);

#endif
