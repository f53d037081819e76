/* notebooks-export/plot.h (internal): a 2-D plot (series of points on linear
 * or log axes, with error bars, ticks, labels and a legend) drawn into a PNG. */
#ifndef CTXLAB_NOTEBOOKS_PLOT_H
#define CTXLAB_NOTEBOOKS_PLOT_H

#include <stddef.h>

#include "ctxlab/error.h"
#include "notebooks-export/canvas.h"

enum { CTXLAB_PLOT_MAX_SERIES = 48 };

typedef enum { CTXLAB_LINE_NONE, CTXLAB_LINE_SOLID, CTXLAB_LINE_DASHED, CTXLAB_LINE_DOTTED } ctxlab_line;
typedef enum { CTXLAB_MARK_NONE, CTXLAB_MARK_DISC, CTXLAB_MARK_RING } ctxlab_mark;

typedef struct ctxlab_series {
  char label[96];          /* "" : not in the legend */
  double *x, *y, *yerr;    /* owned copies; yerr may be NULL */
  size_t n;
  ctxlab_rgb colour;
  ctxlab_line line;
  ctxlab_mark mark;
} ctxlab_series;

typedef struct ctxlab_plot {
  char title[160], xlabel[96], ylabel[96];
  int xlog, ylog;
  int xinteger, yinteger; /* the values are whole numbers: no ticks between them */
  size_t n;
  ctxlab_series series[CTXLAB_PLOT_MAX_SERIES];
} ctxlab_plot;

void ctxlab_plot_init(ctxlab_plot *p, const char *title, const char *xlabel, const char *ylabel,
                      int xlog, int ylog);
void ctxlab_plot_free(ctxlab_plot *p);

/* Add a series (the arrays are copied; yerr may be NULL).  Points with a
 * non-finite coordinate, or one <= 0 on a log axis, are not drawn (a line
 * breaks there).  Series beyond CTXLAB_PLOT_MAX_SERIES are dropped. */
int ctxlab_plot_add(ctxlab_plot *p, const char *label, const double *x, const double *y,
                    const double *yerr, size_t n, ctxlab_rgb colour, ctxlab_line line,
                    ctxlab_mark mark, ctxlab_error *err);

/* The colour cycle (10 colours, then repeating). */
ctxlab_rgb ctxlab_plot_colour(size_t i);

/* Draw the plot and write it to path as a PNG (atomically).  When no series
 * has a point that can be drawn nothing is written and *written is 0. */
int ctxlab_plot_write_png(const ctxlab_plot *p, const char *path, int *written,
                          ctxlab_error *err);

#endif
