/* ctxlab sweep: run an experiment's grid of points, resumably. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/atomic_file.h"
#include "cli/sweep_cli.h"

static const char help[] =
    "usage: ctxlab sweep EXPERIMENT --out DIR [--threads-per-run N] [--jobs N] [-q]\n"
    "       ctxlab sweep EXPERIMENT --dry-run\n"
    "       mpirun -np N ctxlab sweep EXPERIMENT --out DIR [--threads-per-run N]\n"
    "\n"
    "Train and evaluate every point of an experiment's grid (models x context x\n"
    "train_tokens x seed) and write, into DIR:\n"
    "  experiment.json  the experiment as run, every default filled in\n"
    "  results.jsonl    one line per finished point: the model, context, train_tokens,\n"
    "                   seed, \"measured\" (loss, Bayes risk and KL at the full context\n"
    "                   and per position), \"predicted\" (the theory) and time_s\n"
    "  summary.json     the optimal context per model and D, measured and predicted\n"
    "\n"
    "EXPERIMENT is a file or inline JSON:\n"
    "  {\"language\": \"tuned-trigram\",                 (preset, spec file or spec object)\n"
    "   \"models\": [{\"model\": \"ngram\", \"beta\": 0.5},\n"
    "              {\"model\": \"transformer\", \"layers\": 2, \"dim\": 32, \"steps\": 300}],\n"
    "   \"grid\": {\"context\": [0, 1, 2, 4], \"train_tokens\": [1000, 10000], \"seed\": [1, 2]},\n"
    "   \"eval_tokens\": 65536, \"eval_context\": 0}\n"
    "Model entries take `ctxlab train`'s model and training options with '_' for '-'.\n"
    "eval_context > 0 scores every point at positions 1..max(context, eval_context)\n"
    "(context extension: models trained on context c, evaluated further).\n"
    "\n"
    "Running the same command again skips the finished points: a sweep killed at any\n"
    "moment loses only the points it was running.  Results do not depend on --jobs,\n"
    "the number of MPI ranks or threads.\n"
    "\n"
    "options:\n"
    "  --out DIR               the results directory (created if needed)\n"
    "  --jobs N                run N points at once in worker processes (default 1)\n"
    "  --threads-per-run N     threads of each point (default: the cores / points\n"
    "                          running at once on this machine)\n"
    "  --dry-run               check the experiment, print it with every default filled\n"
    "                          in (stdout) and its number of points (stderr); run nothing\n"
    "  -q, --quiet             no progress on stderr\n"
    "\n"
#ifdef CTXLAB_HAVE_MPI
    "This build has MPI: under mpirun the points are spread over the ranks (see the\n"
    "README for several machines with a hostfile).\n";
#else
    "This build has no MPI (configure with Open MPI installed for mpirun).\n";
#endif

/* ---- progress ------------------------------------------------------------- */

static void format_seconds(double s, char *buf, size_t size) {
  if (s < 100)
    snprintf(buf, size, "%.1fs", s);
  else if (s < 6000)
    snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else
    snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

/* "sweep: 12/40 points (3 done before)  elapsed 30.1s  ETA 1m10s": rewritten
 * in place on a terminal, a line every 10 seconds otherwise. */
static void show_progress(sweep_job *job) {
  const ctxlab_sweep_progress_info *i = &job->info;
  if (job->args->quiet || i->done == 0) return;
  const int tty = isatty(STDERR_FILENO);
  const double now = cli_now(), elapsed = now - job->start;
  if (i->done < i->total && now - job->last_shown < (tty ? 0.2 : 10.0)) return;
  job->last_shown = now;
  char e[32], eta[32] = "";
  format_seconds(elapsed, e, sizeof e);
  if (i->done < i->total) {
    strcpy(eta, "  ETA ");
    format_seconds(elapsed / (double)i->done * (double)(i->total - i->done), eta + 6,
                   sizeof eta - 6);
  }
  char before[48] = "";
  if (i->finished_before) snprintf(before, sizeof before, " (%zu done before)", i->finished_before);
  fprintf(stderr, "%ssweep: %zu/%zu points%s  elapsed %s%s%s", tty ? "\r" : "", i->done, i->total,
          before, e, eta, tty ? (i->done < i->total ? "   " : "   \n") : "\n");
  fflush(stderr);
}

/* The closing line: wall time against the time spent training and
 * evaluating and (in one process) predicting; in one process the rest is the
 * sweep's own overhead. */
static void show_closing(const sweep_job *job) {
  if (job->args->quiet || job->info.done == 0) return;
  const double elapsed = cli_now() - job->start, work = job->info.work_s;
  if (job->processes <= 1) {
    const double predict = ctxlab_sweep_prediction_seconds(job->s);
    fprintf(stderr, "sweep: %zu points in %.2fs; training and evaluation %.2fs, predictions %.2fs "
                    "(%.1f%%), sweep overhead %.2f%%\n", job->info.done, elapsed, work, predict,
            100 * predict / elapsed, 100 * (elapsed - work - predict) / elapsed);
  } else {
    fprintf(stderr, "sweep: %zu points in %.2fs by %d processes; training and evaluation %.2fs "
                    "(%.1f%% of their time)\n", job->info.done, elapsed, job->processes, work,
            100 * work / (elapsed * job->processes));
  }
}

/* ---- the coordinator's steps ------------------------------------------------ */

static int cost_desc(const void *a, const void *b, void *ctx) {
  const ctxlab_sweep *s = ctx;
  const size_t i = *(const size_t *)a, j = *(const size_t *)b;
  const double ci = ctxlab_sweep_point_cost(s, i), cj = ctxlab_sweep_point_cost(s, j);
  return ci > cj ? -1 : ci < cj ? 1 : (i > j) - (i < j);
}

int cli_sweep_default_threads(int concurrent) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  long t = cores > 0 ? cores / (concurrent > 0 ? concurrent : 1) : 1;
  return t > 0 ? (int)t : 1;
}

int cli_sweep_setup(sweep_job *job, const sweep_args *args, int threads) {
  memset(job, 0, sizeof *job);
  job->args = args;
  job->start = cli_now();
  job->processes = 1;
  ctxlab_error err = {0};
  char *path = ctxlab_path_join(args->dir, "results.jsonl");
  if (!path) return ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory"), cli_fail(&err);
  int st;
  if ((st = ctxlab_sweep_new(args->experiment, &job->s, &err)) ||
      (st = ctxlab_sweep_prepare(job->s, threads, &err)) ||
      (st = ctxlab_sweep_prepare_dir(job->s, args->dir, &err)) ||
      (st = ctxlab_sweep_results_open(job->s, path, &job->r, &err))) {
    free(path);
    ctxlab_sweep_free(job->s);
    job->s = NULL;
    return cli_fail(&err);
  }
  free(path);
  const size_t n = ctxlab_sweep_point_count(job->s);
  job->pending = malloc(n * sizeof *job->pending);
  if (!job->pending) {
    ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory");
    return cli_sweep_finish(job, cli_fail(&err));
  }
  for (size_t i = 0; i < n; ++i)
    if (!ctxlab_sweep_results_has(job->r, i)) job->pending[job->n_pending++] = i;
  qsort_r(job->pending, job->n_pending, sizeof *job->pending, cost_desc, job->s);
  job->info.total = job->n_pending;
  job->info.finished_before = n - job->n_pending;
  return CLI_EXIT_OK;
}

int cli_sweep_record(sweep_job *job, const char *line) {
  ctxlab_error err = {0};
  size_t index;
  if (ctxlab_sweep_results_append(job->r, line, &index, &err)) return cli_fail(&err);
  job->info.done++;
  job->info.work_s += json_real_value(json_object_get(ctxlab_sweep_results_get(job->r, index), "time_s"));
  show_progress(job);
  return CLI_EXIT_OK;
}

void cli_sweep_point_failed(sweep_job *job, const char *message) {
  fprintf(stderr, "%sctxlab: error: %s\n", isatty(STDERR_FILENO) ? "\n" : "", message);
  job->failed = 1;
}

int cli_sweep_finish(sweep_job *job, int rc) {
  if (job->r) {
    ctxlab_error err = {0};
    char *path = ctxlab_path_join(job->args->dir, "summary.json");
    if (!path) ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory");
    if ((!path || ctxlab_sweep_results_flush(job->r, &err) ||
         ctxlab_sweep_write_summary(job->s, job->r, path, &err)) && !rc)
      rc = cli_fail(&err);
    free(path);
    show_closing(job);
  }
  if (!rc && job->failed) rc = CLI_EXIT_FAILURE;
  ctxlab_sweep_results_close(job->r);
  ctxlab_sweep_free(job->s);
  free(job->pending);
  memset(job, 0, sizeof *job);
  return rc;
}

/* ---- one process ---------------------------------------------------------- */

static int on_point(void *ctx, const ctxlab_sweep_progress_info *info) {
  sweep_job *job = ctx;
  job->info = *info;
  show_progress(job);
  return 0;
}

/* In this process: the library's ctxlab_sweep_run. */
static int run_here(const sweep_args *args) {
  sweep_job job = {.args = args, .start = cli_now(), .processes = 1};
  ctxlab_error err = {0};
  ctxlab_sweep *s;
  if (ctxlab_sweep_new(args->experiment, &s, &err)) return cli_fail(&err);
  job.s = s; /* for the closing line */
  int rc = CLI_EXIT_OK;
  if (ctxlab_sweep_run(s, args->dir, args->threads, on_point, &job, &err)) rc = cli_fail(&err);
  if (!rc) show_closing(&job);
  ctxlab_sweep_free(s);
  return rc;
}

enum { OPT_OUT = 256, OPT_THREADS, OPT_JOBS, OPT_WORKER, OPT_DRY_RUN };

/* --dry-run: parse, print the canonical experiment and the point count. */
static int dry_run(const char *experiment) {
  ctxlab_error err = {0};
  ctxlab_sweep *s;
  if (ctxlab_sweep_new(experiment, &s, &err)) return cli_fail(&err);
  json_t *canonical = ctxlab_sweep_canonical(s);
  char *text = canonical ? json_dumps(canonical, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
  int rc = CLI_EXIT_OK;
  if (text) {
    printf("%s\n", text);
    fprintf(stderr, "sweep: %zu points\n", ctxlab_sweep_point_count(s));
  } else {
    ctxlab_error_set(&err, CTXLAB_ENOMEM, "out of memory");
    rc = cli_fail(&err);
  }
  free(text);
  json_decref(canonical);
  ctxlab_sweep_free(s);
  return rc;
}

int cmd_sweep(int argc, char **argv) {
  static const struct option opts[] = {{"out", required_argument, 0, OPT_OUT},
                                       {"threads-per-run", required_argument, 0, OPT_THREADS},
                                       {"jobs", required_argument, 0, OPT_JOBS},
                                       {"worker", no_argument, 0, OPT_WORKER},
                                       {"dry-run", no_argument, 0, OPT_DRY_RUN},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  sweep_args args = {NULL, NULL, 0, 1, 0};
  int worker = 0, dry = 0, c, rc;
  long l;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
    switch (c) {
      case OPT_OUT: args.dir = optarg; break;
      case OPT_THREADS:
        if ((rc = cli_parse_int(optarg, "--threads-per-run", 1, 1024, &l))) return rc;
        args.threads = (int)l;
        break;
      case OPT_JOBS:
        if ((rc = cli_parse_int(optarg, "--jobs", 1, 1024, &l))) return rc;
        args.jobs = (int)l;
        break;
      case OPT_WORKER: worker = 1; break;
      case OPT_DRY_RUN: dry = 1; break;
      case 'q': args.quiet = 1; break;
      case 'h': return fputs(help, stdout), CLI_EXIT_OK;
      default: return cli_bad_option(c, argv);
    }
  }
  if (optind >= argc) return cli_usage_error("sweep needs an EXPERIMENT (see `ctxlab sweep --help`)");
  if (optind < argc - 1) return cli_usage_error("sweep takes one EXPERIMENT; unexpected \"%s\"",
                                                argv[optind + 1]);
  args.experiment = argv[optind];
  if (worker) return cli_sweep_worker(args.experiment, args.threads ? args.threads : 1);
  if (dry) return dry_run(args.experiment);
  if (!args.dir || !*args.dir) return cli_usage_error("sweep needs --out DIR");
  if (cli_sweep_mpi_launched()) {
    if (args.jobs > 1) return cli_usage_error("--jobs does not combine with mpirun: use more ranks");
    return cli_sweep_mpi(&args);
  }
  return cli_sweep_run(&args);
}

int cli_sweep_run(const sweep_args *args) {
  if (args->jobs > 1) {
    sweep_args a = *args;
    sweep_job job;
    if (!a.threads) a.threads = cli_sweep_default_threads(a.jobs);
    int rc = cli_sweep_setup(&job, &a, a.threads);
    return rc ? rc : cli_sweep_finish(&job, cli_sweep_jobs(&job));
  }
  return run_here(args);
}
