/* ctxlab sweep --jobs N: N worker processes on this machine.
 *
 * Each worker is this program run again (`ctxlab sweep DIR/experiment.json
 * --worker`), started with fork + exec so that it begins with a fresh
 * OpenMP runtime (libgomp's thread pool does not survive fork).  The
 * coordinator sends a worker one point index per line on its stdin and gets
 * back the point's results line (or "!message") on its stdout; it alone
 * appends to results.jsonl, so lines never interleave.  Points go out
 * costliest first, each to the next idle worker. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep_cli.h"

typedef struct worker {
  pid_t pid;
  int to, from;     /* its stdin, its stdout; -1 when closed */
  size_t point;     /* the point it runs */
  int busy;
  char *buf;        /* bytes read, not yet a whole line */
  size_t len, cap;
} worker;

static int start_worker(worker *w, const char *experiment, int threads) {
  int in[2], out[2];
  memset(w, 0, sizeof *w);
  w->to = w->from = -1;
  if (pipe2(in, O_CLOEXEC)) return -1;
  if (pipe2(out, O_CLOEXEC)) {
    close(in[0]);
    close(in[1]);
    return -1;
  }
  char threads_text[16];
  snprintf(threads_text, sizeof threads_text, "%d", threads);
  const pid_t parent = getpid();
  w->pid = fork();
  if (w->pid == 0) {
    /* die with the coordinator (a killed sweep must not leave workers running) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0) _exit(127);
    char *argv[] = {"ctxlab", "sweep", (char *)experiment, "--worker", "--threads-per-run",
                    threads_text, NULL};
    execv("/proc/self/exe", argv);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  if (w->pid < 0) {
    close(in[1]);
    close(out[0]);
    return -1;
  }
  w->to = in[1];
  w->from = out[0];
  return 0;
}

static int send_point(worker *w, size_t point) {
  char text[32];
  int n = snprintf(text, sizeof text, "%zu\n", point);
  if (write(w->to, text, (size_t)n) != n) return -1;
  w->point = point;
  w->busy = 1;
  return 0;
}

/* Read what the worker wrote; returns 1 at end of file, -1 on error. */
static int read_worker(worker *w) {
  if (w->cap - w->len < 65536) {
    char *b = realloc(w->buf, w->cap * 2 + 65536);
    if (!b) return -1;
    w->buf = b;
    w->cap = w->cap * 2 + 65536;
  }
  ssize_t k = read(w->from, w->buf + w->len, w->cap - w->len - 1);
  if (k < 0) return errno == EINTR ? 0 : -1;
  if (k == 0) return 1;
  w->len += (size_t)k;
  return 0;
}

/* Hand over the worker's finished lines; give it its next point. */
static int take_lines(sweep_job *job, worker *w, size_t *next, int *rc) {
  char *nl;
  while ((nl = memchr(w->buf, '\n', w->len)) != NULL) {
    const size_t n = (size_t)(nl - w->buf) + 1;
    const char saved = w->buf[n];
    w->buf[n] = '\0';
    if (!w->busy) {
      cli_sweep_point_failed(job, "a sweep worker wrote a line it was not asked for");
    } else if (w->buf[0] == '!') {
      w->buf[n - 1] = '\0';
      cli_sweep_point_failed(job, w->buf + 1);
    } else if ((*rc = cli_sweep_record(job, w->buf))) {
      return -1;
    }
    w->buf[n] = saved;
    memmove(w->buf, w->buf + n, w->len - n);
    w->len -= n;
    w->busy = 0;
    /* after a failure, no new points: the running ones finish */
    if (*next < job->n_pending && !job->failed) {
      if (send_point(w, job->pending[*next])) return -1;
      ++*next;
    }
  }
  return 0;
}

static void stop_worker(worker *w, int kill_it) {
  if (w->to >= 0) close(w->to);
  if (w->from >= 0) close(w->from);
  w->to = w->from = -1;
  if (w->pid > 0) {
    if (kill_it) kill(w->pid, SIGKILL);
    while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  w->pid = 0;
  free(w->buf);
  w->buf = NULL;
}

int cli_sweep_jobs(sweep_job *job) {
  const size_t n = (size_t)job->args->jobs < job->n_pending ? (size_t)job->args->jobs : job->n_pending;
  if (n == 0) return CLI_EXIT_OK;
  job->processes = (int)n;
  worker *w = calloc(n, sizeof *w);
  struct pollfd *fds = calloc(n, sizeof *fds);
  char *experiment = malloc(strlen(job->args->dir) + 32);
  int rc = CLI_EXIT_OK;
  size_t next = 0, started = 0;
  if (!w || !fds || !experiment) {
    fputs("ctxlab: error: out of memory\n", stderr);
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  sprintf(experiment, "%s/experiment.json", job->args->dir);
  signal(SIGPIPE, SIG_IGN); /* a dead worker is seen as EOF, not a signal */
  for (; started < n; ++started)
    if (start_worker(&w[started], experiment, job->args->threads) ||
        send_point(&w[started], job->pending[next++])) {
      fprintf(stderr, "ctxlab: error: cannot start a sweep worker: %s\n", strerror(errno));
      rc = CLI_EXIT_FAILURE;
      ++started;
      goto cleanup;
    }
  for (;;) {
    size_t busy = 0;
    for (size_t i = 0; i < n; ++i) {
      fds[i].fd = w[i].busy ? w[i].from : -1;
      fds[i].events = POLLIN;
      busy += (size_t)w[i].busy;
    }
    if (!busy) break;
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      rc = CLI_EXIT_FAILURE;
      goto cleanup;
    }
    for (size_t i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int eof = read_worker(&w[i]);
      if (eof < 0 || (eof == 0 && take_lines(job, &w[i], &next, &rc))) {
        if (!rc) rc = CLI_EXIT_FAILURE;
        goto cleanup;
      }
      if (eof == 1) {
        char msg[128];
        snprintf(msg, sizeof msg, "a sweep worker exited while running point %zu", w[i].point);
        cli_sweep_point_failed(job, msg);
        stop_worker(&w[i], 0);
        w[i].busy = 0;
      }
    }
  }
cleanup:
  for (size_t i = 0; w && i < started; ++i) stop_worker(&w[i], rc != CLI_EXIT_OK);
  free(w);
  free(fds);
  free(experiment);
  return rc;
}

/* ---- the worker ------------------------------------------------------------ */

int cli_sweep_worker(const char *experiment, int threads) {
  ctxlab_error err = {0};
  ctxlab_sweep *s = NULL;
  int st = ctxlab_sweep_new(experiment, &s, &err);
  if (!st) st = ctxlab_sweep_prepare(s, threads, &err);
  char request[64];
  while (fgets(request, sizeof request, stdin)) {
    char *end;
    const unsigned long long index = strtoull(request, &end, 10);
    char *line = NULL;
    if (!st && (end == request || *end != '\n'))
      ctxlab_error_set(&err, CTXLAB_EINVAL, "sweep worker: bad request \"%s\"", request);
    else if (!st && !ctxlab_sweep_run_point(s, (size_t)index, threads, &line, NULL, &err))
      fputs(line, stdout);
    if (!line) {
      for (char *p = err.message; *p; ++p)
        if (*p == '\n') *p = ' ';
      printf("!%s\n", err.message);
    }
    free(line);
    if (fflush(stdout)) break;
    if (!st) ctxlab_error_clear(&err);
  }
  ctxlab_sweep_free(s);
  return st ? CLI_EXIT_FAILURE : CLI_EXIT_OK; /* the coordinator has shown the message */
}
