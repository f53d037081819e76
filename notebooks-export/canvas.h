/* notebooks-export/canvas.h (internal): an RGB raster and anti-aliased shapes.
 *
 * Coordinates are pixels, x to the right and y down; pixel (i, j) covers
 * [i, i+1) x [j, j+1), so its centre is (i + 0.5, j + 0.5).  Shapes are
 * anti-aliased by coverage: a pixel is blended toward the colour by how much
 * of it (estimated from the distance of its centre to the shape's edge) the
 * shape covers.  Drawing is clipped to the clip rectangle. */
#ifndef CTXLAB_NOTEBOOKS_CANVAS_H
#define CTXLAB_NOTEBOOKS_CANVAS_H

#include <stdint.h>

#include "ctxlab/error.h"

typedef struct ctxlab_rgb {
  uint8_t r, g, b;
} ctxlab_rgb;

typedef struct ctxlab_canvas {
  int width, height;
  uint8_t *rgb;                     /* width * height * 3 bytes, rows top to bottom */
  int clip_x0, clip_y0, clip_x1, clip_y1; /* drawable pixels: [x0, x1) x [y0, y1) */
} ctxlab_canvas;

/* A canvas filled with `background`, clip = the whole canvas. */
int ctxlab_canvas_init(ctxlab_canvas *c, int width, int height, ctxlab_rgb background,
                       ctxlab_error *err);
void ctxlab_canvas_free(ctxlab_canvas *c);
void ctxlab_canvas_clip(ctxlab_canvas *c, int x0, int y0, int x1, int y1);
void ctxlab_canvas_unclip(ctxlab_canvas *c);

/* Blend pixel (x, y) toward colour by coverage a in [0, 1]. */
void ctxlab_canvas_blend(ctxlab_canvas *c, int x, int y, ctxlab_rgb colour, double a);
/* An axis-aligned rectangle [x0, x1) x [y0, y1), filled. */
void ctxlab_canvas_fill_rect(ctxlab_canvas *c, int x0, int y0, int x1, int y1, ctxlab_rgb colour);
/* A segment of the given width with butt ends (pixels within width/2 of it). */
void ctxlab_canvas_line(ctxlab_canvas *c, double x0, double y0, double x1, double y1,
                        double width, ctxlab_rgb colour);
/* A disc of radius r, or (hollow) a ring of that outer radius and width. */
void ctxlab_canvas_disc(ctxlab_canvas *c, double cx, double cy, double r, ctxlab_rgb colour);
void ctxlab_canvas_ring(ctxlab_canvas *c, double cx, double cy, double r, double width,
                        ctxlab_rgb colour);

/* Text in the bitmap font, each font pixel drawn as scale x scale pixels.
 * (x, y) is the top left of the first cell; vertical text runs bottom to
 * top (rotated 90 degrees anticlockwise) from (x, y), its top left corner
 * after rotation being (x, y - width). */
void ctxlab_canvas_text(ctxlab_canvas *c, int x, int y, const char *text, int scale,
                        ctxlab_rgb colour);
void ctxlab_canvas_text_vertical(ctxlab_canvas *c, int x, int y, const char *text, int scale,
                                 ctxlab_rgb colour);
/* Width in pixels of text at scale. */
int ctxlab_canvas_text_width(const char *text, int scale);

#endif
