/* The sweep library API (include/ctxlab/sweep.h) directly: the canonical
 * point order, and the results file's guards (torn tails cut off, duplicate
 * and malformed appends refused).  Expected orders are the documented
 * enumeration written out by hand; expected file contents are the bytes this
 * test wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctxlab/sweep.h"

static const char EXPERIMENT[] =
    "{\"language\": {\"family\": \"markov\", \"vocab\": 3, \"order\": 1, \"seed\": 2},"
    " \"models\": [{\"model\": \"ngram\"}, {\"model\": \"ngram\", \"beta\": 1}],"
    " \"grid\": {\"context\": [2, 0], \"train_tokens\": [50, 100, 200], \"seed\": [7, 5]},"
    " \"eval_tokens\": 64}";

/* models x context x train_tokens x seed, the last fastest */
static void test_point_order(void **state) {
  ctxlab_sweep *s;
  ctxlab_error err;
  assert_int_equal(ctxlab_sweep_new(EXPERIMENT, &s, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_sweep_point_count(s), 2 * 2 * 3 * 2);
  const uint32_t context[2] = {2, 0};
  const uint64_t tokens[3] = {50, 100, 200}, seed[2] = {7, 5};
  size_t index = 0;
  for (size_t m = 0; m < 2; ++m)
    for (size_t c = 0; c < 2; ++c)
      for (size_t d = 0; d < 3; ++d)
        for (size_t k = 0; k < 2; ++k, ++index) {
          ctxlab_sweep_point p;
          ctxlab_sweep_point_at(s, index, &p);
          assert_int_equal(p.index, index);
          assert_int_equal(p.model, m);
          assert_int_equal(p.context, context[c]);
          assert_int_equal(p.train_tokens, tokens[d]);
          assert_int_equal(p.seed, seed[k]);
        }
  ctxlab_sweep_free(s);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *buf = calloc(1, 1 << 20);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void test_results_file_guards(void **state) {
  char dir[] = "/tmp/ctxlab-sweep-test-XXXXXX", path[256];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/results.jsonl", dir);
  ctxlab_sweep *s;
  ctxlab_sweep_results *r, *other;
  ctxlab_error err;
  assert_int_equal(ctxlab_sweep_new(EXPERIMENT, &s, &err), CTXLAB_OK);
  char *a, *b;
  assert_int_equal(ctxlab_sweep_run_point(s, 3, 1, &a, NULL, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_sweep_run_point(s, 17, 1, &b, NULL, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_sweep_results_open(s, path, &r, &err), CTXLAB_OK);
  /* a second writer is refused while the first holds the file */
  assert_int_equal(ctxlab_sweep_results_open(s, path, &other, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "another sweep is writing"));
  size_t index;
  assert_int_equal(ctxlab_sweep_results_append(r, a, &index, &err), CTXLAB_OK);
  assert_int_equal(index, 3);
  assert_true(ctxlab_sweep_results_has(r, 3) && !ctxlab_sweep_results_has(r, 17));
  /* twice the same point, or a line without its '\n': refused, file unchanged */
  assert_int_equal(ctxlab_sweep_results_append(r, a, NULL, &err), CTXLAB_EFORMAT);
  assert_non_null(strstr(err.message, "point 3 is already in the file"));
  b[strlen(b) - 1] = '\0';
  assert_int_equal(ctxlab_sweep_results_append(r, b, NULL, &err), CTXLAB_EINVAL);
  strcat(b, "\n");
  assert_int_equal(ctxlab_sweep_results_flush(r, &err), CTXLAB_OK);
  ctxlab_sweep_results_close(r);
  char *text = read_file(path);
  assert_string_equal(text, a);
  free(text);
  /* a torn write: part of b without its '\n' is cut off when reopened */
  FILE *f = fopen(path, "ab");
  fwrite(b, 1, strlen(b) / 2, f);
  fclose(f);
  assert_int_equal(ctxlab_sweep_results_open(s, path, &r, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_sweep_results_finished(r), 1);
  text = read_file(path);
  assert_string_equal(text, a);
  free(text);
  assert_int_equal(ctxlab_sweep_results_append(r, b, NULL, &err), CTXLAB_OK);
  ctxlab_sweep_results_close(r);
  text = read_file(path);
  assert_int_equal(strlen(text), strlen(a) + strlen(b));
  assert_memory_equal(text + strlen(a), b, strlen(b));
  free(text);
  free(a);
  free(b);
  ctxlab_sweep_free(s);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_point_order),
      cmocka_unit_test(test_results_file_guards),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
