/* The raster: coverage-blended discs and thick segments, and bitmap text. */
#include "notebooks-export/canvas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "notebooks-export/font.h"

int ctxlab_canvas_init(ctxlab_canvas *c, int width, int height, ctxlab_rgb background,
                       ctxlab_error *err) {
  memset(c, 0, sizeof *c);
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "canvas: size %dx%d out of range", width,
                            height);
  c->rgb = malloc((size_t)width * (size_t)height * 3);
  if (!c->rgb) return ctxlab_error_set(err, CTXLAB_ENOMEM, "canvas: out of memory");
  c->width = width;
  c->height = height;
  for (size_t i = 0; i < (size_t)width * (size_t)height; ++i) {
    c->rgb[3 * i] = background.r;
    c->rgb[3 * i + 1] = background.g;
    c->rgb[3 * i + 2] = background.b;
  }
  ctxlab_canvas_unclip(c);
  return CTXLAB_OK;
}

void ctxlab_canvas_free(ctxlab_canvas *c) {
  free(c->rgb);
  c->rgb = NULL;
}

void ctxlab_canvas_clip(ctxlab_canvas *c, int x0, int y0, int x1, int y1) {
  c->clip_x0 = x0 < 0 ? 0 : x0;
  c->clip_y0 = y0 < 0 ? 0 : y0;
  c->clip_x1 = x1 > c->width ? c->width : x1;
  c->clip_y1 = y1 > c->height ? c->height : y1;
}

void ctxlab_canvas_unclip(ctxlab_canvas *c) { ctxlab_canvas_clip(c, 0, 0, c->width, c->height); }

static uint8_t mix(uint8_t from, uint8_t to, double a) {
  return (uint8_t)lround(from + (to - from) * a);
}

void ctxlab_canvas_blend(ctxlab_canvas *c, int x, int y, ctxlab_rgb colour, double a) {
  if (x < c->clip_x0 || x >= c->clip_x1 || y < c->clip_y0 || y >= c->clip_y1 || !(a > 0)) return;
  if (a > 1) a = 1;
  uint8_t *p = c->rgb + 3 * ((size_t)y * (size_t)c->width + (size_t)x);
  p[0] = mix(p[0], colour.r, a);
  p[1] = mix(p[1], colour.g, a);
  p[2] = mix(p[2], colour.b, a);
}

void ctxlab_canvas_fill_rect(ctxlab_canvas *c, int x0, int y0, int x1, int y1,
                             ctxlab_rgb colour) {
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) ctxlab_canvas_blend(c, x, y, colour, 1);
}

/* Coverage of a pixel whose centre lies at signed distance d outside an edge
 * (d < 0 inside): the usual one-pixel linear ramp. */
static double coverage(double d) { return d <= -0.5 ? 1 : d >= 0.5 ? 0 : 0.5 - d; }

static int clamp_int(double v, int lo, int hi) {
  if (!(v > lo)) return lo;
  if (v > hi) return hi;
  return (int)v;
}

void ctxlab_canvas_line(ctxlab_canvas *c, double x0, double y0, double x1, double y1,
                        double width, ctxlab_rgb colour) {
  double dx = x1 - x0, dy = y1 - y0, len = hypot(dx, dy), h = width / 2;
  if (!isfinite(len)) return;
  double ux = len > 0 ? dx / len : 1, uy = len > 0 ? dy / len : 0;
  int ix0 = clamp_int(floor(fmin(x0, x1) - h - 1), c->clip_x0, c->clip_x1);
  int ix1 = clamp_int(ceil(fmax(x0, x1) + h + 1), c->clip_x0, c->clip_x1);
  int iy0 = clamp_int(floor(fmin(y0, y1) - h - 1), c->clip_y0, c->clip_y1);
  int iy1 = clamp_int(ceil(fmax(y0, y1) + h + 1), c->clip_y0, c->clip_y1);
  for (int y = iy0; y < iy1; ++y)
    for (int x = ix0; x < ix1; ++x) {
      double px = x + 0.5 - x0, py = y + 0.5 - y0;
      double along = px * ux + py * uy, across = fabs(-px * uy + py * ux);
      /* the segment as a rectangle: inside when |across| <= h, 0 <= along <= len */
      double a = coverage(across - h) * coverage(-along) * coverage(along - len);
      if (a > 0) ctxlab_canvas_blend(c, x, y, colour, a);
    }
}

static void annulus(ctxlab_canvas *c, double cx, double cy, double r_out, double r_in,
                    ctxlab_rgb colour) {
  int x0 = clamp_int(floor(cx - r_out - 1), c->clip_x0, c->clip_x1);
  int x1 = clamp_int(ceil(cx + r_out + 1), c->clip_x0, c->clip_x1);
  int y0 = clamp_int(floor(cy - r_out - 1), c->clip_y0, c->clip_y1);
  int y1 = clamp_int(ceil(cy + r_out + 1), c->clip_y0, c->clip_y1);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      double d = hypot(x + 0.5 - cx, y + 0.5 - cy);
      double a = coverage(d - r_out) * (r_in > 0 ? coverage(r_in - d) : 1);
      if (a > 0) ctxlab_canvas_blend(c, x, y, colour, a);
    }
}

void ctxlab_canvas_disc(ctxlab_canvas *c, double cx, double cy, double r, ctxlab_rgb colour) {
  annulus(c, cx, cy, r, 0, colour);
}

void ctxlab_canvas_ring(ctxlab_canvas *c, double cx, double cy, double r, double width,
                        ctxlab_rgb colour) {
  annulus(c, cx, cy, r, r - width, colour);
}

/* One glyph with its pixels mapped through (gx, gy) -> (x + ax*gx + bx*gy,
 * y + ay*gx + by*gy): identity for horizontal text, a rotation for vertical. */
static void glyph(ctxlab_canvas *c, int x, int y, int ch, int scale, int vertical,
                  ctxlab_rgb colour) {
  const uint8_t *rows = ctxlab_font_glyph(ch);
  for (int gy = 0; gy < FONT_HEIGHT; ++gy)
    for (int gx = 0; gx < FONT_WIDTH; ++gx) {
      if (!(rows[gy] & (0x10 >> gx))) continue;
      for (int sy = 0; sy < scale; ++sy)
        for (int sx = 0; sx < scale; ++sx) {
          int u = gx * scale + sx, v = gy * scale + sy;
          if (vertical) ctxlab_canvas_blend(c, x + v, y - 1 - u, colour, 1);
          else ctxlab_canvas_blend(c, x + u, y + v, colour, 1);
        }
    }
}

void ctxlab_canvas_text(ctxlab_canvas *c, int x, int y, const char *text, int scale,
                        ctxlab_rgb colour) {
  for (const char *p = text; *p; ++p, x += FONT_ADVANCE * scale)
    glyph(c, x, y, (unsigned char)*p, scale, 0, colour);
}

void ctxlab_canvas_text_vertical(ctxlab_canvas *c, int x, int y, const char *text, int scale,
                                 ctxlab_rgb colour) {
  for (const char *p = text; *p; ++p, y -= FONT_ADVANCE * scale)
    glyph(c, x, y, (unsigned char)*p, scale, 1, colour);
}

int ctxlab_canvas_text_width(const char *text, int scale) {
  int n = (int)strlen(text);
  return n ? (n * FONT_ADVANCE - (FONT_ADVANCE - FONT_WIDTH)) * scale : 0;
}
