/* Error records (include/ctxlab/error.h): messages, prefixes, truncation,
 * status names and the CLI's exit-code classification.  Expected strings are
 * the documented formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ctxlab/error.h"

static void test_set_prefix_clear(void **state) {
  ctxlab_error err;
  assert_int_equal(ctxlab_error_set(&err, CTXLAB_EINVAL, "$.vocab: %d is out of range", 1),
                   CTXLAB_EINVAL);
  assert_string_equal(err.message, "$.vocab: 1 is out of range");
  assert_int_equal(ctxlab_error_prefix(&err, "%s: ", "spec.json"), CTXLAB_EINVAL);
  assert_string_equal(err.message, "spec.json: $.vocab: 1 is out of range");
  ctxlab_error_clear(&err);
  assert_int_equal(err.status, CTXLAB_OK);
  assert_string_equal(err.message, "");
  /* a NULL record is allowed and the status still returned */
  assert_int_equal(ctxlab_error_set(NULL, CTXLAB_EIO, "x"), CTXLAB_EIO);
}

/* A prefix that would overflow the record truncates, keeping a terminated string. */
static void test_prefix_truncates(void **state) {
  ctxlab_error err;
  char long_text[CTXLAB_ERROR_MESSAGE_SIZE + 100];
  memset(long_text, 'a', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  ctxlab_error_set(&err, CTXLAB_EFORMAT, "tail");
  ctxlab_error_prefix(&err, "%s", long_text);
  assert_int_equal(strlen(err.message), CTXLAB_ERROR_MESSAGE_SIZE - 1);
  assert_int_equal(err.message[0], 'a');
  ctxlab_error_set(&err, CTXLAB_EFORMAT, "%s", long_text);
  assert_int_equal(strlen(err.message), CTXLAB_ERROR_MESSAGE_SIZE - 1);
}

/* DESIGN.md section 3: bad input exits 2, run-time failures 1. */
static void test_status_classes(void **state) {
  assert_string_equal(ctxlab_status_name(CTXLAB_OK), "success");
  assert_string_equal(ctxlab_status_name(CTXLAB_EFORMAT), "malformed file");
  assert_string_equal(ctxlab_status_name(CTXLAB_ECANCELED), "cancelled");
  assert_true(ctxlab_status_is_input_error(CTXLAB_EINVAL));
  assert_true(ctxlab_status_is_input_error(CTXLAB_EFORMAT));
  assert_false(ctxlab_status_is_input_error(CTXLAB_EIO));
  assert_false(ctxlab_status_is_input_error(CTXLAB_ENOMEM));
  assert_false(ctxlab_status_is_input_error(CTXLAB_ENUMERIC));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_set_prefix_clear),
      cmocka_unit_test(test_prefix_truncates),
      cmocka_unit_test(test_status_classes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
