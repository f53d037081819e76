/* Helpers shared by the subcommands: errors, numbers, progress. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "cli/cli.h"

static volatile sig_atomic_t interrupted_by = 0;

static void on_signal(int sig) { interrupted_by = sig; }

void cli_catch_interrupts(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

int cli_fail(const ctxlab_error *err) {
  fprintf(stderr, "ctxlab: error: %s\n", err->message);
  if (err->status == CTXLAB_ECANCELED) return 128 + (interrupted_by ? interrupted_by : SIGINT);
  return ctxlab_status_is_input_error(err->status) ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
}

int cli_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ctxlab: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return CLI_EXIT_USAGE;
}

int cli_parse_count(const char *text, const char *what, uint64_t *out) {
  char *end;
  errno = 0;
  double scale = 1;
  if (*text == '-' || *text == '\0')
    return cli_usage_error("%s: expected a non-negative count, got \"%s\"", what, text);
  unsigned long long v = strtoull(text, &end, 10);
  if (errno == 0 && *end == '\0') {
    *out = v;
    return 0;
  }
  /* 1e9, 2.5M, 16k */
  errno = 0;
  double d = strtod(text, &end);
  switch (*end) {
    case 'k': scale = 1e3; ++end; break;
    case 'M': scale = 1e6; ++end; break;
    case 'G': scale = 1e9; ++end; break;
    case 'T': scale = 1e12; ++end; break;
    default: break;
  }
  d *= scale;
  if (errno || *end != '\0' || !(d >= 0) || d >= 0x1p64 || d != floor(d))
    return cli_usage_error("%s: expected a non-negative whole count (like 1000000, 1e6 or 1M), "
                           "got \"%s\"", what, text);
  *out = (uint64_t)d;
  return 0;
}

int cli_parse_int(const char *text, const char *what, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || *text == '\0' || *end != '\0')
    return cli_usage_error("%s: expected an integer, got \"%s\"", what, text);
  if (v < lo || v > hi)
    return cli_usage_error("%s: %ld is out of range [%ld, %ld]", what, v, lo, hi);
  *out = v;
  return 0;
}

int cli_bad_option(int c, char **argv) {
  extern int optind, optopt;
  if (c == ':')
    return cli_usage_error("%s needs a value (see `ctxlab %s --help`)", argv[optind - 1], argv[0]);
  if (optopt)
    return cli_usage_error("unknown option -%c (see `ctxlab %s --help`)", optopt, argv[0]);
  return cli_usage_error("unknown option %s (see `ctxlab %s --help`)", argv[optind - 1], argv[0]);
}

int cli_one_spec(int argc, char **argv) {
  extern int optind;
  if (optind >= argc)
    return cli_usage_error("%s needs a SPEC (see `ctxlab %s --help`)", argv[0], argv[0]);
  if (optind < argc - 1)
    return cli_usage_error("%s takes one SPEC; unexpected \"%s\"", argv[0], argv[optind + 1]);
  return 0;
}

double cli_now(void) { return ctxlab_now_s(); }

void cli_progress_start(cli_progress *p, const char *label, const char *unit, int quiet) {
  p->label = label;
  p->unit = unit;
  p->start = p->last = cli_now();
  p->quiet = quiet;
  p->shown = 0;
  p->note[0] = '\0';
}

static void human(double x, char *buf, size_t size) {
  if (x >= 1e9)
    snprintf(buf, size, "%.2fG", x / 1e9);
  else if (x >= 1e6)
    snprintf(buf, size, "%.2fM", x / 1e6);
  else if (x >= 1e3)
    snprintf(buf, size, "%.1fk", x / 1e3);
  else
    snprintf(buf, size, "%.0f", x);
}

int cli_progress_update(void *ctx, uint64_t done, uint64_t total) {
  cli_progress *p = ctx;
  if (interrupted_by) return 1;
  if (p->quiet) return 0;
  double now = cli_now(), elapsed = now - p->start;
  int tty = isatty(STDERR_FILENO);
  if (elapsed < 1.0 || now - p->last < (tty ? 0.2 : 10.0)) return 0;
  p->last = now;
  double rate = (double)done / elapsed;
  double eta = rate > 0 ? (double)(total - done) / rate : 0;
  char d[32], t[32], r[32];
  human((double)done, d, sizeof d);
  human((double)total, t, sizeof t);
  human(rate, r, sizeof r);
  fprintf(stderr, "%s%s: %5.1f%%  %s/%s %s  %s %s/s%s%s  ETA %.0fs%s", tty ? "\r" : "", p->label,
          100.0 * (double)done / (double)(total ? total : 1), d, t, p->unit, r, p->unit,
          p->note[0] ? "  " : "", p->note, eta, tty ? "   " : "\n");
  fflush(stderr);
  p->shown = 1;
  return 0;
}

void cli_progress_finish(cli_progress *p) {
  if (p->shown && isatty(STDERR_FILENO)) fputc('\n', stderr);
}
