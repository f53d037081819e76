/* Plot layout and drawing: data ranges, axes with ticks, series, legend. */
#include "notebooks-export/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notebooks-export/font.h"
#include "notebooks-export/png.h"
#include "notebooks-export/ticks.h"

enum {
  WIDTH = 960, HEIGHT = 640,              /* image */
  LEFT = 118, RIGHT = 28, TOP = 52, BOTTOM = 78, /* plot-area margins */
  TEXT = 2,                               /* font scale */
  TICK = 6                                /* tick mark length */
};

static const ctxlab_rgb BLACK = {0, 0, 0}, WHITE = {255, 255, 255}, GRID = {228, 228, 228},
                        FRAME = {120, 120, 120};

ctxlab_rgb ctxlab_plot_colour(size_t i) {
  /* a ten-colour qualitative cycle (the "category10" hues of d3/matplotlib) */
  static const ctxlab_rgb cycle[10] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},
                                       {214, 39, 40},  {148, 103, 189}, {140, 86, 75},
                                       {227, 119, 194}, {127, 127, 127}, {188, 189, 34},
                                       {23, 190, 207}};
  return cycle[i % 10];
}

void ctxlab_plot_init(ctxlab_plot *p, const char *title, const char *xlabel, const char *ylabel,
                      int xlog, int ylog) {
  memset(p, 0, sizeof *p);
  snprintf(p->title, sizeof p->title, "%s", title);
  snprintf(p->xlabel, sizeof p->xlabel, "%s", xlabel);
  snprintf(p->ylabel, sizeof p->ylabel, "%s", ylabel);
  p->xlog = xlog;
  p->ylog = ylog;
}

void ctxlab_plot_free(ctxlab_plot *p) {
  for (size_t i = 0; i < p->n; ++i) {
    free(p->series[i].x);
    free(p->series[i].y);
    free(p->series[i].yerr);
  }
  p->n = 0;
}

static double *copy(const double *v, size_t n) {
  double *c = malloc((n ? n : 1) * sizeof *c);
  if (c && n) memcpy(c, v, n * sizeof *c);
  return c;
}

int ctxlab_plot_add(ctxlab_plot *p, const char *label, const double *x, const double *y,
                    const double *yerr, size_t n, ctxlab_rgb colour, ctxlab_line line,
                    ctxlab_mark mark, ctxlab_error *err) {
  if (p->n == CTXLAB_PLOT_MAX_SERIES) return CTXLAB_OK;
  ctxlab_series *s = &p->series[p->n];
  memset(s, 0, sizeof *s);
  snprintf(s->label, sizeof s->label, "%s", label ? label : "");
  s->x = copy(x, n);
  s->y = copy(y, n);
  s->yerr = yerr ? copy(yerr, n) : NULL;
  if (!s->x || !s->y || (yerr && !s->yerr)) {
    free(s->x);
    free(s->y);
    free(s->yerr);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "plot: out of memory");
  }
  s->n = n;
  s->colour = colour;
  s->line = line;
  s->mark = mark;
  p->n++;
  return CTXLAB_OK;
}

/* ---- mapping data to pixels ---------------------------------------------- */

typedef struct axis {
  int log;
  double lo, hi; /* range in data units */
  double p0, p1; /* pixels of lo and hi */
} axis;

static int usable(const axis *a, double v) { return isfinite(v) && (!a->log || v > 0); }

static double to_pixel(const axis *a, double v) {
  double t = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo))
                    : (v - a->lo) / (a->hi - a->lo);
  return a->p0 + t * (a->p1 - a->p0);
}

static int point_ok(const ctxlab_series *s, size_t i, const axis *ax, const axis *ay) {
  return usable(ax, s->x[i]) && usable(ay, s->y[i]);
}

/* The data range of every drawable point (error bars included), padded by 4%
 * of the span (in log10 units on a log axis).  Returns 0 when there is none. */
static int fit_ranges(const ctxlab_plot *p, axis *ax, axis *ay) {
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (size_t k = 0; k < p->n; ++k) {
    const ctxlab_series *s = &p->series[k];
    for (size_t i = 0; i < s->n; ++i) {
      if (!point_ok(s, i, ax, ay)) continue;
      xlo = fmin(xlo, s->x[i]);
      xhi = fmax(xhi, s->x[i]);
      double e = s->yerr && isfinite(s->yerr[i]) ? fabs(s->yerr[i]) : 0;
      double lo = s->y[i] - e, hi = s->y[i] + e;
      if (usable(ay, lo)) ylo = fmin(ylo, lo);
      ylo = fmin(ylo, s->y[i]);
      yhi = fmax(yhi, hi);
    }
  }
  if (!(xlo <= xhi) || !(ylo <= yhi)) return 0;
  axis *axes[2] = {ax, ay};
  double lo[2] = {xlo, ylo}, hi[2] = {xhi, yhi};
  for (int k = 0; k < 2; ++k) {
    axis *a = axes[k];
    double l = a->log ? log10(lo[k]) : lo[k], h = a->log ? log10(hi[k]) : hi[k];
    double span = h - l;
    if (!(span > 1e-12 * fmax(1, fabs(h)))) span = a->log ? 1 : fmax(1, fabs(h) * 0.2);
    l -= 0.04 * span;
    h += 0.04 * span;
    a->lo = a->log ? pow(10, l) : l;
    a->hi = a->log ? pow(10, h) : h;
  }
  return 1;
}

/* ---- strokes ---------------------------------------------------------------- */

/* A polyline with a dash pattern (on, off in pixels; off = 0: solid).  The
 * pattern continues across vertices. */
static void stroke(ctxlab_canvas *c, const double *px, const double *py, size_t n, double width,
                   double on, double off, ctxlab_rgb colour) {
  double phase = 0; /* distance into the current period */
  for (size_t i = 1; i < n; ++i) {
    double dx = px[i] - px[i - 1], dy = py[i] - py[i - 1], len = hypot(dx, dy);
    if (off <= 0 || len == 0) {
      ctxlab_canvas_line(c, px[i - 1], py[i - 1], px[i], py[i], width, colour);
      continue;
    }
    double t = 0;
    while (t < len) {
      double left = phase < on ? on - phase : on + off - phase, step = fmin(left, len - t);
      if (phase < on)
        ctxlab_canvas_line(c, px[i - 1] + dx * t / len, py[i - 1] + dy * t / len,
                           px[i - 1] + dx * (t + step) / len, py[i - 1] + dy * (t + step) / len,
                           width, colour);
      t += step;
      phase = fmod(phase + step, on + off);
    }
  }
}

static void dash_pattern(ctxlab_line line, double *on, double *off) {
  *on = line == CTXLAB_LINE_DASHED ? 10 : line == CTXLAB_LINE_DOTTED ? 2.5 : 1;
  *off = line == CTXLAB_LINE_DASHED ? 6 : line == CTXLAB_LINE_DOTTED ? 4.5 : 0;
}

static void marker(ctxlab_canvas *c, double x, double y, ctxlab_mark mark, ctxlab_rgb colour) {
  if (mark == CTXLAB_MARK_DISC) ctxlab_canvas_disc(c, x, y, 4.5, colour);
  else if (mark == CTXLAB_MARK_RING) ctxlab_canvas_ring(c, x, y, 5, 1.8, colour);
}

static int draw_series(ctxlab_canvas *c, const ctxlab_series *s, const axis *ax, const axis *ay) {
  double *px = malloc((s->n ? s->n : 1) * sizeof *px), *py = malloc((s->n ? s->n : 1) * sizeof *py);
  if (!px || !py) {
    free(px);
    free(py);
    return CTXLAB_ENOMEM;
  }
  double on, off;
  dash_pattern(s->line, &on, &off);
  size_t run = 0; /* points of the current unbroken piece of line */
  for (size_t i = 0; i <= s->n; ++i) {
    if (i < s->n && point_ok(s, i, ax, ay)) {
      px[run] = to_pixel(ax, s->x[i]);
      py[run] = to_pixel(ay, s->y[i]);
      run++;
      continue;
    }
    if (s->line != CTXLAB_LINE_NONE && run > 1) stroke(c, px, py, run, 2, on, off, s->colour);
    run = 0;
  }
  for (size_t i = 0; i < s->n; ++i) {
    if (!point_ok(s, i, ax, ay)) continue;
    double x = to_pixel(ax, s->x[i]), y = to_pixel(ay, s->y[i]);
    if (s->yerr && isfinite(s->yerr[i]) && s->yerr[i] > 0) {
      double lo = s->y[i] - s->yerr[i], hi = s->y[i] + s->yerr[i];
      double ylo = usable(ay, lo) ? to_pixel(ay, lo) : ay->p0, yhi = to_pixel(ay, hi);
      ctxlab_canvas_line(c, x, ylo, x, yhi, 1.5, s->colour);
      ctxlab_canvas_line(c, x - 4, ylo, x + 4, ylo, 1.5, s->colour);
      ctxlab_canvas_line(c, x - 4, yhi, x + 4, yhi, 1.5, s->colour);
    }
    marker(c, x, y, s->mark, s->colour);
  }
  free(px);
  free(py);
  return CTXLAB_OK;
}

/* ---- axes ------------------------------------------------------------------- */

/* A tick label; "10^k" is drawn as 10 with a raised, smaller k.  Returns its
 * width; draws only when draw is set. */
static int tick_label(ctxlab_canvas *c, int x, int y, const char *label, int draw) {
  const char *caret = strstr(label, "^");
  if (!caret) {
    if (draw) ctxlab_canvas_text(c, x, y, label, TEXT, BLACK);
    return ctxlab_canvas_text_width(label, TEXT);
  }
  char base[32];
  snprintf(base, sizeof base, "%.*s", (int)(caret - label), label);
  int w = ctxlab_canvas_text_width(base, TEXT) + 2;
  if (draw) {
    ctxlab_canvas_text(c, x, y, base, TEXT, BLACK);
    ctxlab_canvas_text(c, x + w, y - 5, caret + 1, TEXT - 1, BLACK);
  }
  return w + ctxlab_canvas_text_width(caret + 1, TEXT - 1);
}

static void make_ticks(const axis *a, ctxlab_ticks *t, int target, int integer) {
  if (a->log) ctxlab_ticks_log(a->lo, a->hi, t);
  else ctxlab_ticks_linear(a->lo, a->hi, target, integer ? 1 : 0, t);
}

static void draw_axes(ctxlab_canvas *c, const ctxlab_plot *p, const axis *ax, const axis *ay) {
  int x0 = LEFT, x1 = WIDTH - RIGHT, y0 = TOP, y1 = HEIGHT - BOTTOM;
  ctxlab_ticks tx, ty;
  make_ticks(ax, &tx, 8, p->xinteger);
  make_ticks(ay, &ty, 7, p->yinteger);
  int th = FONT_ASCENT * TEXT;
  for (size_t i = 0; i < tx.n; ++i) {
    double x = to_pixel(ax, tx.value[i]);
    ctxlab_canvas_line(c, x, y0, x, y1, 1, GRID);
    ctxlab_canvas_line(c, x, y1, x, y1 + TICK, 1.5, BLACK);
    int w = tick_label(c, 0, 0, tx.label[i], 0);
    tick_label(c, (int)lround(x) - w / 2, y1 + TICK + 6, tx.label[i], 1);
  }
  for (size_t i = 0; i < ty.n; ++i) {
    double y = to_pixel(ay, ty.value[i]);
    ctxlab_canvas_line(c, x0, y, x1, y, 1, GRID);
    ctxlab_canvas_line(c, x0 - TICK, y, x0, y, 1.5, BLACK);
    int w = tick_label(c, 0, 0, ty.label[i], 0);
    tick_label(c, x0 - TICK - 6 - w, (int)lround(y) - th / 2, ty.label[i], 1);
  }
  ctxlab_canvas_line(c, x0, y0, x1, y0, 1, FRAME);
  ctxlab_canvas_line(c, x1, y0, x1, y1, 1, FRAME);
  ctxlab_canvas_line(c, x0, y1, x1, y1, 1.5, BLACK);
  ctxlab_canvas_line(c, x0, y0, x0, y1, 1.5, BLACK);
  int tw = ctxlab_canvas_text_width(p->title, TEXT);
  ctxlab_canvas_text(c, (WIDTH - tw) / 2, 18, p->title, TEXT, BLACK);
  int xw = ctxlab_canvas_text_width(p->xlabel, TEXT);
  ctxlab_canvas_text(c, (x0 + x1 - xw) / 2, HEIGHT - 28, p->xlabel, TEXT, BLACK);
  int yw = ctxlab_canvas_text_width(p->ylabel, TEXT);
  ctxlab_canvas_text_vertical(c, 14, (y0 + y1 + yw) / 2, p->ylabel, TEXT, BLACK);
}

/* ---- legend ----------------------------------------------------------------- */

enum { LEGEND_MAX = 14, SAMPLE = 36, ROW = FONT_LINE * TEXT + 4 };

/* The legend box goes in the corner of the plot area that covers the fewest
 * data points. */
static void draw_legend(ctxlab_canvas *c, const ctxlab_plot *p, const axis *ax, const axis *ay) {
  size_t rows = 0, shown[LEGEND_MAX];
  int wmax = 0;
  for (size_t k = 0; k < p->n; ++k) {
    if (!p->series[k].label[0]) continue;
    if (rows == LEGEND_MAX) break;
    shown[rows++] = k;
    int w = ctxlab_canvas_text_width(p->series[k].label, TEXT);
    if (w > wmax) wmax = w;
  }
  if (rows == 0) return;
  int bw = 12 + SAMPLE + 8 + wmax + 10, bh = (int)rows * ROW + 10;
  int x0 = LEFT, x1 = WIDTH - RIGHT, y0 = TOP, y1 = HEIGHT - BOTTOM, best = 0;
  int cx[4] = {x1 - bw - 8, x0 + 8, x1 - bw - 8, x0 + 8}, cy[4] = {y0 + 8, y0 + 8, y1 - bh - 8, y1 - bh - 8};
  size_t best_count = (size_t)-1;
  for (int corner = 0; corner < 4; ++corner) {
    size_t count = 0;
    for (size_t k = 0; k < p->n; ++k)
      for (size_t i = 0; i < p->series[k].n; ++i) {
        if (!point_ok(&p->series[k], i, ax, ay)) continue;
        double x = to_pixel(ax, p->series[k].x[i]), y = to_pixel(ay, p->series[k].y[i]);
        count += x >= cx[corner] && x <= cx[corner] + bw && y >= cy[corner] && y <= cy[corner] + bh;
      }
    if (count < best_count) best_count = count, best = corner;
  }
  int bx = cx[best], by = cy[best];
  ctxlab_canvas_fill_rect(c, bx, by, bx + bw, by + bh, WHITE);
  ctxlab_canvas_line(c, bx, by, bx + bw, by, 1, FRAME);
  ctxlab_canvas_line(c, bx, by + bh, bx + bw, by + bh, 1, FRAME);
  ctxlab_canvas_line(c, bx, by, bx, by + bh, 1, FRAME);
  ctxlab_canvas_line(c, bx + bw, by, bx + bw, by + bh, 1, FRAME);
  for (size_t r = 0; r < rows; ++r) {
    const ctxlab_series *s = &p->series[shown[r]];
    double ymid = by + 5 + (double)r * ROW + ROW / 2.0;
    if (s->line != CTXLAB_LINE_NONE) {
      double on, off, lx[2] = {bx + 12, bx + 12 + SAMPLE}, ly[2] = {ymid, ymid};
      dash_pattern(s->line, &on, &off);
      stroke(c, lx, ly, 2, 2, on, off, s->colour);
    }
    marker(c, bx + 12 + SAMPLE / 2.0, ymid, s->mark, s->colour);
    ctxlab_canvas_text(c, bx + 12 + SAMPLE + 8, (int)lround(ymid) - FONT_ASCENT * TEXT / 2,
                       s->label, TEXT, BLACK);
  }
}

int ctxlab_plot_write_png(const ctxlab_plot *p, const char *path, int *written,
                          ctxlab_error *err) {
  *written = 0;
  axis ax = {p->xlog, 0, 1, LEFT, WIDTH - RIGHT}, ay = {p->ylog, 0, 1, HEIGHT - BOTTOM, TOP};
  if (!fit_ranges(p, &ax, &ay)) return CTXLAB_OK;
  ctxlab_canvas c;
  int rc = ctxlab_canvas_init(&c, WIDTH, HEIGHT, WHITE, err);
  if (rc) return rc;
  draw_axes(&c, p, &ax, &ay);
  ctxlab_canvas_clip(&c, LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM);
  for (size_t k = 0; k < p->n && !rc; ++k) rc = draw_series(&c, &p->series[k], &ax, &ay);
  if (rc) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "plot %s: out of memory", path);
  } else {
    draw_legend(&c, p, &ax, &ay);
    rc = ctxlab_png_write(path, c.rgb, WIDTH, HEIGHT, err);
    if (!rc) *written = 1;
  }
  ctxlab_canvas_free(&c);
  return rc;
}
