/* notebooks-export/csv.h (internal): CSV tables built in memory and written
 * atomically.  Numbers are printed with %.17g (they read back to the same
 * double); a missing value (NaN) is an empty field.  Text fields never need
 * quoting: commas, quotes and line breaks in them are replaced by ';', '\''
 * and ' ', so any CSV reader (or a split on ',') reads the table. */
#ifndef CTXLAB_NOTEBOOKS_CSV_H
#define CTXLAB_NOTEBOOKS_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "ctxlab/error.h"

typedef struct ctxlab_csv {
  FILE *f;
  char *text;
  size_t len;
  int fields; /* in the current row */
} ctxlab_csv;

/* Start a table whose first line is `header` (comma-separated column names). */
int ctxlab_csv_open(ctxlab_csv *t, const char *header, ctxlab_error *err);
void ctxlab_csv_text(ctxlab_csv *t, const char *s);
void ctxlab_csv_num(ctxlab_csv *t, double x);
void ctxlab_csv_int(ctxlab_csv *t, int64_t v);
void ctxlab_csv_end_row(ctxlab_csv *t);
/* Write the table to path (atomically) and free it; or discard it. */
int ctxlab_csv_write(ctxlab_csv *t, const char *path, ctxlab_error *err);
void ctxlab_csv_discard(ctxlab_csv *t);

#endif
