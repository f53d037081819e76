/* The sweep directory, and a whole sweep run in this process. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/atomic_file.h"
#include "core/json_spec.h"
#include "ctxlab/tokens.h"
#include "sim/sweep/sweep_impl.h"

/* mkdir -p */
static int make_dirs(const char *dir, ctxlab_error *err) {
  if (!*dir) return ctxlab_error_set(err, CTXLAB_EINVAL, "the output directory name is empty");
  char *p = strdup(dir);
  if (!p) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  int st = CTXLAB_OK;
  for (char *q = p + 1;; ++q) {
    const char c = *q;
    if (c != '/' && c != '\0') continue;
    *q = '\0';
    struct stat sb;
    if (mkdir(p, 0777) && errno != EEXIST) {
      st = ctxlab_error_set(err, errno == EACCES || errno == ENOTDIR ? CTXLAB_EINVAL : CTXLAB_EIO,
                            "%s: cannot create the directory: %s", p, strerror(errno));
      break;
    }
    if (stat(p, &sb) || !S_ISDIR(sb.st_mode)) {
      st = ctxlab_error_set(err, CTXLAB_EINVAL, "%s: not a directory", p);
      break;
    }
    *q = c;
    if (c == '\0') break;
  }
  free(p);
  return st;
}

int ctxlab_sweep_prepare_dir(const ctxlab_sweep *s, const char *dir, ctxlab_error *err) {
  char *path = ctxlab_path_join(dir, "experiment.json");
  if (!path) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  json_t *there = NULL;
  int st;
  struct stat sb;
  if (stat(path, &sb) == 0) {
    if ((st = ctxlab_json_load_file(path, &there, err))) goto cleanup;
    if (!json_equal(there, s->canonical))
      st = ctxlab_error_set(err, CTXLAB_EINVAL, "%s holds the results of another experiment (%s "
                            "differs from this one): give another --out directory", dir, path);
    goto cleanup;
  }
  if ((st = make_dirs(dir, err))) goto cleanup;
  st = ctxlab_write_json_atomic(path, s->canonical, err);
cleanup:
  json_decref(there);
  free(path);
  return st;
}

int ctxlab_sweep_run(ctxlab_sweep *s, const char *dir, int threads, ctxlab_sweep_progress progress,
                     void *progress_ctx, ctxlab_error *err) {
  const double t0 = ctxlab_now_s();
  char *results_path = ctxlab_path_join(dir, "results.jsonl"), *summary_path = ctxlab_path_join(dir, "summary.json");
  ctxlab_sweep_results *r = NULL;
  int st;
  if (!results_path || !summary_path) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
    goto cleanup;
  }
  /* the theory first: an experiment that cannot run leaves no files */
  if ((st = ctxlab_sweep_prepare(s, threads, err)) || (st = ctxlab_sweep_prepare_dir(s, dir, err)) ||
      (st = ctxlab_sweep_results_open(s, results_path, &r, err)))
    goto cleanup;
  ctxlab_sweep_progress_info info = {0, s->n_points - ctxlab_sweep_results_finished(r),
                                     ctxlab_sweep_results_finished(r), 0, 0};
  for (size_t i = 0; i < s->n_points; ++i) {
    if (ctxlab_sweep_results_has(r, i)) continue;
    char *line;
    double work;
    st = ctxlab_sweep_run_point(s, i, threads, &line, &work, err);
    if (!st) st = ctxlab_sweep_results_append(r, line, NULL, err);
    free(line);
    if (st) goto cleanup;
    info.done++;
    info.work_s += work;
    info.elapsed_s = ctxlab_now_s() - t0;
    if (progress && progress(progress_ctx, &info)) {
      st = ctxlab_error_set(err, CTXLAB_ECANCELED, "sweep stopped after %zu of %zu points",
                            info.done, info.total);
      goto cleanup;
    }
  }
  if (!(st = ctxlab_sweep_results_flush(r, err)))
    st = ctxlab_sweep_write_summary(s, r, summary_path, err);
cleanup:
  ctxlab_sweep_results_close(r);
  free(results_path);
  free(summary_path);
  return st;
}
