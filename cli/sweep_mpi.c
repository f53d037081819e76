/* ctxlab sweep under mpirun: the points spread over MPI ranks.
 *
 * Rank 0 parses the experiment, prepares DIR, reads what results.jsonl
 * already holds, and broadcasts the canonical experiment (so no other rank
 * needs the experiment file or DIR) with the points still to run and their
 * owners: a static assignment, costliest point first to the least-loaded
 * rank (Graham's LPT rule, within 4/3 of the best makespan; Graham 1969).
 * Every rank runs its points; the others send each finished line to rank 0
 * (non-blocking sends, so they never wait for it), and rank 0, which alone
 * appends to results.jsonl, takes them as they come while a thread of its
 * own runs its points.  A point's result does not depend on which rank ran
 * it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/sweep_cli.h"

int cli_sweep_mpi_launched(void) {
  /* set by Open MPI's mpirun, and by PMI / PMIx launchers (srun, MPICH's hydra) */
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_RANK") || getenv("PMIX_RANK");
}

#ifndef CTXLAB_HAVE_MPI

int cli_sweep_mpi(const sweep_args *args) {
  (void)args;
  return cli_usage_error("this ctxlab was built without MPI, so mpirun would run the whole sweep "
                         "in every rank: run it once (--jobs N runs points in parallel)");
}

#else

#include <mpi.h>
#include <pthread.h>

enum { TAG_LINE = 1, TAG_ERROR = 2 };

/* Waiting ranks poll every millisecond instead of blocking in MPI: Open MPI
 * blocks by spinning, which would take a core from the ranks still working
 * wherever ranks share cores. */
static void nap(void) {
  const struct timespec ms = {0, 1000000};
  nanosleep(&ms, NULL);
}

/* Owner rank of each pending point (pending is costliest first). */
static void assign(const ctxlab_sweep *s, const uint64_t *pending, size_t n, int ranks, int *owner,
                   double *load) {
  for (int r = 0; r < ranks; ++r) load[r] = 0;
  for (size_t i = 0; i < n; ++i) {
    int best = 0;
    for (int r = 1; r < ranks; ++r)
      if (load[r] < load[best]) best = r;
    owner[i] = best;
    load[best] += ctxlab_sweep_point_cost(s, (size_t)pending[i]);
  }
}

/* Take a message from another rank if one has come; 1 when one was taken. */
static int receive(sweep_job *job, int *rc) {
  MPI_Status status;
  int flag, count;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
  if (!flag) return 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  char *text = malloc((size_t)count + 1);
  if (!text) {
    fputs("ctxlab: error: out of memory\n", stderr);
    MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAILURE);
  }
  MPI_Recv(text, count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  text[count] = '\0';
  if (status.MPI_TAG == TAG_ERROR)
    cli_sweep_point_failed(job, text);
  else if ((*rc = cli_sweep_record(job, text)))
    MPI_Abort(MPI_COMM_WORLD, *rc); /* results.jsonl cannot be written: stop every rank */
  free(text);
  return 1;
}

/* Rank 0's own points run on a thread of their own, so that the main thread
 * (the only one that calls MPI) takes the other ranks' lines as soon as they
 * come: a line finished anywhere reaches results.jsonl within a millisecond
 * or so, and a kill loses only the points in progress. */
typedef struct own_points {
  ctxlab_sweep *s;
  const uint64_t *pending;
  const int *owner;
  size_t n;
  int threads;
  pthread_mutex_t lock;
  char **lines;  /* finished, in order: a results line, or an error message */
  int *failed;   /* lines[k] is an error message */
  size_t count;  /* lines filled (under lock) */
  int done;      /* the thread has run every point (under lock) */
} own_points;

static void *run_own(void *arg) {
  own_points *o = arg;
  for (size_t i = 0; i < o->n; ++i) {
    if (o->owner[i] != 0) continue;
    ctxlab_error err = {0};
    char *line = NULL;
    int failed = ctxlab_sweep_run_point(o->s, (size_t)o->pending[i], o->threads, &line, NULL, &err);
    if (failed && !(line = strdup(err.message))) {
      fputs("ctxlab: error: out of memory\n", stderr);
      MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAILURE);
    }
    pthread_mutex_lock(&o->lock);
    o->failed[o->count] = failed;
    o->lines[o->count++] = line;
    pthread_mutex_unlock(&o->lock);
  }
  pthread_mutex_lock(&o->lock);
  o->done = 1;
  pthread_mutex_unlock(&o->lock);
  return NULL;
}

/* Record rank 0's lines finished since the last call; 1 when there were any. */
static int record_own(sweep_job *job, own_points *o, size_t *taken, int *done, int *rc) {
  pthread_mutex_lock(&o->lock);
  const size_t count = o->count;
  *done = o->done;
  pthread_mutex_unlock(&o->lock);
  const int any = *taken < count;
  for (; *taken < count; ++*taken) {
    char *line = o->lines[*taken];
    if (o->failed[*taken])
      cli_sweep_point_failed(job, line);
    else if ((*rc = cli_sweep_record(job, line)))
      MPI_Abort(MPI_COMM_WORLD, *rc); /* results.jsonl cannot be written: stop every rank */
    free(line);
  }
  return any;
}

/* Rank 0: its own points on a thread, and every line recorded as it comes. */
static int coordinate(sweep_job *job, const uint64_t *pending, const int *owner, int threads) {
  size_t expected = 0, taken = 0;
  int rc = CLI_EXIT_OK, done = 0;
  for (size_t i = 0; i < job->n_pending; ++i) expected += owner[i] != 0;
  own_points o = {job->s, pending, owner, job->n_pending, threads, PTHREAD_MUTEX_INITIALIZER,
                  calloc(job->n_pending + 1, sizeof(char *)), calloc(job->n_pending + 1, sizeof(int)),
                  0, 0};
  pthread_t thread;
  if (!o.lines || !o.failed || pthread_create(&thread, NULL, run_own, &o)) {
    fputs("ctxlab: error: cannot start rank 0's worker thread\n", stderr);
    MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAILURE);
  }
  /* record_own reads `done` with the count under one lock: once it has seen
   * done, every line of rank 0 has been taken */
  while (expected || !done) {
    int progressed = record_own(job, &o, &taken, &done, &rc);
    if (expected && receive(job, &rc)) {
      --expected;
      progressed = 1;
    }
    if (!progressed) nap();
  }
  pthread_join(thread, NULL);
  free(o.lines);
  free(o.failed);
  return rc;
}

/* Ranks > 0: run the points they own, send each line to rank 0. */
static void work(const char *experiment, const uint64_t *pending, const int *owner, size_t n,
                 int rank, int threads) {
  ctxlab_error err = {0};
  json_t *e = json_loads(experiment, 0, NULL);
  ctxlab_sweep *s = NULL;
  int st = e ? ctxlab_sweep_from_json(e, "the experiment from rank 0", &s, &err)
             : ctxlab_error_set(&err, CTXLAB_ENOMEM, "rank %d: the experiment from rank 0 is not "
                                "JSON", rank);
  json_decref(e);
  if (!st) st = ctxlab_sweep_prepare(s, threads, &err);
  size_t mine = 0;
  for (size_t i = 0; i < n; ++i) mine += owner[i] == rank;
  MPI_Request *requests = calloc(mine ? mine : 1, sizeof *requests);
  char **sent = calloc(mine ? mine : 1, sizeof *sent);
  if (!requests || !sent) {
    fprintf(stderr, "ctxlab: error: rank %d: out of memory\n", rank);
    MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAILURE);
  }
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    if (owner[i] != rank) continue;
    char *line = NULL;
    int tag = TAG_LINE;
    if (st || ctxlab_sweep_run_point(s, (size_t)pending[i], threads, &line, NULL, &err)) {
      tag = TAG_ERROR;
      if (!(line = strdup(err.message))) MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAILURE);
    }
    sent[k] = line;
    MPI_Isend(line, (int)strlen(line), MPI_CHAR, 0, tag, MPI_COMM_WORLD, &requests[k]);
    ++k;
    if (!st) ctxlab_error_clear(&err);
  }
  int sent_all = 0;
  while (!sent_all) {
    MPI_Testall((int)k, requests, &sent_all, MPI_STATUSES_IGNORE);
    if (!sent_all) nap();
  }
  for (size_t i = 0; i < k; ++i) free(sent[i]);
  free(sent);
  free(requests);
  ctxlab_sweep_free(s);
}

int cli_sweep_mpi(const sweep_args *args) {
  /* only this thread calls MPI (OpenMP threads and the results flusher do not) */
  int provided;
  MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED) {
    fputs("ctxlab: error: this MPI library cannot be used from a threaded program "
          "(MPI_THREAD_FUNNELED not provided)\n", stderr);
    MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAILURE);
  }
  int rank, ranks, local_ranks;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_ranks);
  MPI_Comm_free(&local);
  const int threads = args->threads ? args->threads : cli_sweep_default_threads(local_ranks);

  /* rank 0 sets up; then {exit code, experiment bytes, pending points} to all */
  sweep_job job;
  long long header[3] = {0, 0, 0};
  char *text = NULL;
  if (rank == 0) {
    header[0] = cli_sweep_setup(&job, args, threads);
    if (!header[0]) {
      json_t *canonical = ctxlab_sweep_canonical(job.s);
      text = canonical ? json_dumps(canonical, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
      json_decref(canonical);
      if (!text) header[0] = cli_sweep_finish(&job, CLI_EXIT_FAILURE);
      header[1] = text ? (long long)strlen(text) + 1 : 0;
      header[2] = (long long)job.n_pending;
    }
  }
  MPI_Bcast(header, 3, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  if (header[0]) {
    MPI_Finalize();
    return (int)header[0];
  }
  const size_t n = (size_t)header[2];
  if (rank != 0) text = malloc((size_t)header[1]);
  uint64_t *pending = malloc((n ? n : 1) * sizeof *pending);
  int *owner = malloc((n ? n : 1) * sizeof *owner);
  double *load = malloc((size_t)ranks * sizeof *load);
  if (!text || !pending || !owner || !load) {
    fprintf(stderr, "ctxlab: error: rank %d: out of memory\n", rank);
    MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_FAILURE);
  }
  if (rank == 0) {
    for (size_t i = 0; i < n; ++i) pending[i] = job.pending[i];
    assign(job.s, pending, n, ranks, owner, load);
    job.processes = ranks;
  }
  MPI_Bcast(text, (int)header[1], MPI_CHAR, 0, MPI_COMM_WORLD);
  MPI_Bcast(pending, (int)n, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  MPI_Bcast(owner, (int)n, MPI_INT, 0, MPI_COMM_WORLD);
  int rc = CLI_EXIT_OK;
  if (rank == 0)
    rc = cli_sweep_finish(&job, coordinate(&job, pending, owner, threads));
  else
    work(text, pending, owner, n, rank, threads);
  free(text);
  free(pending);
  free(owner);
  free(load);
  MPI_Finalize();
  return rc;
}

#endif
