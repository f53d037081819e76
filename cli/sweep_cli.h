/* cli/sweep_cli.h: what `ctxlab sweep`'s files share (cmd_sweep.c: options,
 * one process; sweep_jobs.c: --jobs worker processes; sweep_mpi.c: MPI ranks). */
#ifndef CTXLAB_CLI_SWEEP_CLI_H
#define CTXLAB_CLI_SWEEP_CLI_H

#include <stddef.h>

#include "ctxlab/sweep.h"

typedef struct sweep_args {
  const char *experiment; /* file or inline JSON */
  const char *dir;        /* --out */
  int threads;            /* --threads-per-run (0: not given) */
  int jobs;               /* --jobs */
  int quiet;
} sweep_args;

/* A sweep being run by a coordinator (the process that owns results.jsonl):
 * the points still to run, and progress. */
typedef struct sweep_job {
  const sweep_args *args;
  ctxlab_sweep *s;
  ctxlab_sweep_results *r;
  size_t *pending; /* points to run, costliest first */
  size_t n_pending;
  ctxlab_sweep_progress_info info;
  double start, last_shown;
  int processes;   /* running points at once (for the closing line) */
  int failed;      /* a point failed: its message has been printed */
} sweep_job;

/* A sweep in this process, or in args->jobs worker processes (exit code;
 * errors printed).  `ctxlab demo` runs its experiments through it. */
int cli_sweep_run(const sweep_args *args);

/* Parse the experiment, compute its theory, prepare DIR, open the results
 * and list the points to run.  Returns an exit code (errors printed). */
int cli_sweep_setup(sweep_job *job, const sweep_args *args, int threads);
/* Append a finished point's line and show progress (exit code). */
int cli_sweep_record(sweep_job *job, const char *line);
/* A point failed in a worker: print its message; the sweep goes on. */
void cli_sweep_point_failed(sweep_job *job, const char *message);
/* Write summary.json, print the closing line, free the job (exit code). */
int cli_sweep_finish(sweep_job *job, int rc);

/* Threads per point when the user gave none: the cores shared by the points
 * that run at once on this machine. */
int cli_sweep_default_threads(int concurrent);

/* --jobs N: N worker processes fed point by point. */
int cli_sweep_jobs(sweep_job *job);
/* The hidden `--worker` mode of a --jobs child: point indices on stdin,
 * results lines (or "!message") on stdout. */
int cli_sweep_worker(const char *experiment, int threads);

/* Launched by mpirun (and built with MPI)? */
int cli_sweep_mpi_launched(void);
/* The sweep over MPI ranks (rank 0 coordinates and runs points too). */
int cli_sweep_mpi(const sweep_args *args);

#endif
