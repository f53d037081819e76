/* CSV tables (see csv.h). */
#include "notebooks-export/csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctxlab/tokens.h"

int ctxlab_csv_open(ctxlab_csv *t, const char *header, ctxlab_error *err) {
  memset(t, 0, sizeof *t);
  t->f = open_memstream(&t->text, &t->len);
  if (!t->f) return ctxlab_error_set(err, CTXLAB_ENOMEM, "csv: out of memory");
  fprintf(t->f, "%s\n", header);
  return CTXLAB_OK;
}

static void separator(ctxlab_csv *t) {
  if (t->fields++) fputc(',', t->f);
}

void ctxlab_csv_text(ctxlab_csv *t, const char *s) {
  separator(t);
  for (; *s; ++s)
    fputc(*s == ',' ? ';' : *s == '"' ? '\'' : (*s == '\n' || *s == '\r') ? ' ' : *s, t->f);
}

void ctxlab_csv_num(ctxlab_csv *t, double x) {
  separator(t);
  if (isfinite(x)) fprintf(t->f, "%.17g", x);
}

void ctxlab_csv_int(ctxlab_csv *t, int64_t v) {
  separator(t);
  fprintf(t->f, "%lld", (long long)v);
}

void ctxlab_csv_end_row(ctxlab_csv *t) {
  fputc('\n', t->f);
  t->fields = 0;
}

int ctxlab_csv_write(ctxlab_csv *t, const char *path, ctxlab_error *err) {
  int bad = ferror(t->f) != 0;
  fclose(t->f);
  t->f = NULL;
  int rc = bad ? ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path)
               : ctxlab_write_file_atomic(path, t->text, t->len, err);
  free(t->text);
  t->text = NULL;
  return rc;
}

void ctxlab_csv_discard(ctxlab_csv *t) {
  if (t->f) fclose(t->f);
  free(t->text);
  memset(t, 0, sizeof *t);
}
