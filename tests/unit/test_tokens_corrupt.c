/* Token files, damaged: every way a data file or its manifest can be wrong is
 * CTXLAB_EFORMAT, with a message naming the file and the byte offset (data)
 * or the field (manifest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctxlab/tokens.h"
#include "tests/unit/test_tokens_util.h"

/* A good file in a scratch directory, and its bytes to restore between cases. */
typedef struct fixture {
  char *dir, *path, *mpath;
  unsigned char *data, *manifest;
  size_t data_len, manifest_len;
} fixture;

static fixture make(ctxlab_format format, const ctxlab_token_layout *shape, const uint32_t *t) {
  fixture fx;
  ctxlab_error err;
  ctxlab_token_layout layout = *shape;
  layout.format = format;
  fx.dir = scratch_dir();
  char name[16];
  snprintf(name, sizeof name, "t.%s", ctxlab_format_name(format));
  fx.path = path_in(fx.dir, name);
  if (asprintf(&fx.mpath, "%s.json", fx.path) < 0) abort();
  if (write_tokens(fx.path, &layout, t, &err)) fail_msg("%s", err.message);
  fx.data = read_all(fx.path, &fx.data_len);
  fx.manifest = read_all(fx.mpath, &fx.manifest_len);
  return fx;
}

static void restore(const fixture *fx) {
  write_all(fx->path, fx->data, fx->data_len);
  write_all(fx->mpath, fx->manifest, fx->manifest_len);
}

static void destroy(fixture *fx) {
  free(fx->data);
  free(fx->manifest);
  free(fx->path);
  free(fx->mpath);
  remove_dir(fx->dir);
}

/* Replace (value non-NULL) or delete a field of the manifest as it is now. */
static void edit_manifest(const fixture *fx, const char *key, json_t *value) {
  json_t *m = json_load_file(fx->mpath, 0, NULL);
  assert_non_null(m);
  if (value)
    json_object_set_new(m, key, value);
  else
    json_object_del(m, key);
  assert_int_equal(json_dump_file(m, fx->mpath, JSON_INDENT(2)), 0);
  json_decref(m);
}

/* Overwrite the data file's bytes [offset, offset+len). */
static void patch(const fixture *fx, size_t offset, const void *bytes, size_t len) {
  unsigned char *copy = malloc(fx->data_len);
  memcpy(copy, fx->data, fx->data_len);
  memcpy(copy + offset, bytes, len);
  write_all(fx->path, copy, fx->data_len);
  free(copy);
}

/* Opening fails with EFORMAT naming the file and `where`. */
static void expect_bad(const fixture *fx, int verify, const char *where) {
  ctxlab_token_file *f = NULL;
  ctxlab_error err;
  int status = ctxlab_token_file_open(fx->path, verify, &f, &err);
  if (status != CTXLAB_EFORMAT)
    fail_msg("%s: status %d, expected EFORMAT (%s)", where, status, err.message);
  assert_null(f);
  if (!strstr(err.message, fx->path) || !strstr(err.message, where))
    fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err.message, fx->path, where);
}

/* Opening without verification works; reading everything fails. */
static void expect_bad_read(const fixture *fx, const char *where) {
  ctxlab_token_file *f = NULL;
  ctxlab_error err;
  if (ctxlab_token_file_open(fx->path, 0, &f, &err)) fail_msg("%s", err.message);
  uint32_t out[64];
  assert_true(ctxlab_token_file_layout(f)->tokens <= 64);
  int status = ctxlab_token_file_read(f, 0, ctxlab_token_file_layout(f)->tokens, out, &err);
  ctxlab_token_file_close(f);
  if (status != CTXLAB_EFORMAT) fail_msg("%s: status %d, expected EFORMAT", where, status);
  if (!strstr(err.message, fx->path) || !strstr(err.message, where))
    fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err.message, fx->path, where);
}

static const uint32_t TOKENS[12] = {1, 22, 333, 44, 5, 66, 7, 88, 99, 100, 11, 499};
static const ctxlab_token_layout SET = {CTXLAB_FORMAT_BIN, 500, 3, 4, 12}; /* format set per case */

static void test_manifest_faults(void **state) {
  (void)state;
  for (int format = 0; format < 3; format++) {
    fixture fx = make((ctxlab_format)format, &SET, TOKENS);
    ctxlab_token_file *f;
    ctxlab_error err;
    assert_int_equal(ctxlab_token_file_open(fx.path, 1, &f, &err), CTXLAB_OK);
    ctxlab_token_file_close(f);

    /* every field missing, then of the wrong type */
    const char *fields[] = {"file",      "format", "dtype", "vocab_size", "tokens",
                            "sequences", "length", "bytes", "sha256"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
      char where[64];
      snprintf(where, sizeof where, "field \"%s\" is missing", fields[i]);
      edit_manifest(&fx, fields[i], NULL);
      expect_bad(&fx, 0, where);
      int is_text = i < 3 || i == 8;
      edit_manifest(&fx, fields[i], is_text ? json_integer(3) : json_string("3"));
      snprintf(where, sizeof where, "field \"%s\" must be %s", fields[i],
               is_text ? "a string" : "an integer");
      expect_bad(&fx, 0, where);
      edit_manifest(&fx, fields[i], json_real(3.0));
      expect_bad(&fx, 0, "not a real number");
      restore(&fx);
    }
    /* values out of range or inconsistent */
    struct {
      const char *key;
      json_t *value;
      const char *where;
    } cases[] = {
        {"vocab_size", json_integer(0), "field \"vocab_size\" = 0 is out of range"},
        {"vocab_size", json_integer(4294967296),
         "field \"vocab_size\" = 4294967296 is out of range"},
        {"tokens", json_integer(-1), "field \"tokens\" = -1"},
        {"format", json_string("csv"), "field \"format\" is \"csv\""},
        {"dtype", json_string("uint32"), "field \"dtype\" is \"uint32\""},
        {"sequences", json_integer(5), "\"tokens\" must equal \"sequences\" x \"length\""},
        {"length", json_integer(0), "\"length\" must be at least 1"}, /* sequences of nothing */
        {"sha256", json_string("ABCD"), "field \"sha256\" must be 64 lowercase hex digits"},
        {"bytes", json_integer((json_int_t)fx.data_len + 1), "field \"bytes\""},
        {"vocab_size", json_integer(70000), "field \"dtype\""}, /* uint32 needed */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      edit_manifest(&fx, cases[i].key, cases[i].value);
      expect_bad(&fx, 0, cases[i].where);
      restore(&fx);
    }
    /* missing, not JSON, not an object: the manifest's own name in the message */
    unlink(fx.mpath);
    expect_bad(&fx, 0, ".json: cannot read the manifest");
    /* the error is on line 3 (jansson reports line:column) */
    const char *broken = "{\n  \"file\": \"t\",\n  \"format\" \"bin\"\n}\n";
    write_all(fx.mpath, broken, strlen(broken));
    expect_bad(&fx, 0, ".json:3:");
    write_all(fx.mpath, "[1, 2]\n", 7);
    expect_bad(&fx, 0, "must be a JSON object");
    write_all(fx.mpath, "", 0);
    expect_bad(&fx, 0, ".json");
    /* duplicate keys are refused too (JSON_REJECT_DUPLICATES) */
    char *dup = NULL;
    if (asprintf(&dup, "{\"tokens\": 1,%s", (const char *)fx.manifest + 1) < 0) abort();
    write_all(fx.mpath, dup, strlen(dup));
    expect_bad(&fx, 0, "duplicate");
    free(dup);
    restore(&fx);
    /* a token count the data does not have: bin header, npy shape, txt lines */
    edit_manifest(&fx, "sequences", json_integer(2));
    edit_manifest(&fx, "length", json_integer(6));
    const char *where[] = {"byte offset 20:", "byte offset 60: .npy header: shape (3, 4)",
                           "line 1, column 12 (byte offset 11): expected a space after token 3"};
    expect_bad(&fx, 1, where[format]);
    restore(&fx);
    edit_manifest(&fx, "sequences", json_integer(0));
    edit_manifest(&fx, "length", json_integer(0));
    const char *where_stream[] = {
        "byte offset 20:", "byte offset 60:", "line 1, column 12 (byte offset 11)"};
    expect_bad(&fx, 1, where_stream[format]);
    restore(&fx);
    /* the data file missing, or a directory */
    unlink(fx.path);
    expect_bad(&fx, 0, "cannot open the data file");
    assert_int_equal(mkdir(fx.path, 0700), 0);
    expect_bad(&fx, 0, "not a regular file");
    rmdir(fx.path);
    restore(&fx);
    destroy(&fx);
  }
}

static void test_size_faults(void **state) {
  (void)state;
  for (int format = 0; format < 3; format++) {
    fixture fx = make((ctxlab_format)format, &SET, TOKENS);
    /* truncated by one byte: the size disagrees with "bytes" */
    write_all(fx.path, fx.data, fx.data_len - 1);
    expect_bad(&fx, 0, "field \"bytes\"");
    /* ... and with the manifest "fixed", with the header and token count */
    edit_manifest(&fx, "bytes", json_integer((json_int_t)fx.data_len - 1));
    const char *where[] = {"1024-byte header and 12 tokens of 2 bytes make 1048",
                           "128-byte header and 12 tokens of 2 bytes make 152",
                           "byte offset 34: the file does not end with a newline"};
    expect_bad(&fx, 0, where[format]);
    restore(&fx);
    /* one byte too many */
    unsigned char *longer = malloc(fx.data_len + 1);
    memcpy(longer, fx.data, fx.data_len);
    longer[fx.data_len] = '\n';
    write_all(fx.path, longer, fx.data_len + 1);
    free(longer);
    edit_manifest(&fx, "bytes", json_integer((json_int_t)fx.data_len + 1));
    const char *where_long[] = {
        "make 1048", "make 152",
        "line 4, column 1 (byte offset 36): unexpected end of line after the last token"};
    expect_bad(&fx, 1, where_long[format]);
    restore(&fx);
    /* shorter than any header */
    write_all(fx.path, "\n", 1);
    edit_manifest(&fx, "bytes", json_integer(1));
    const char *where_short[] = {"shorter than the 1024-byte header", "too short for a .npy header",
                                 "1 bytes, but 12 tokens"};
    expect_bad(&fx, 0, where_short[format]);
    restore(&fx);
    destroy(&fx);
  }
}

static void test_header_faults(void **state) {
  (void)state;
  fixture bin = make(CTXLAB_FORMAT_BIN, &SET, TOKENS);
  /* magic, version, count, shape, reserved: each at its offset (tokens.h) */
  const struct {
    size_t offset;
    unsigned char value;
    const char *where;
  } bin_cases[] = {
      {0, 0, "byte offset 0: magic number"},
      {3, 2, "byte offset 0:"},
      {4, 2, "byte offset 4: version 2"},
      {4, 0, "byte offset 4: unknown version 0"},
      {8, 13, "byte offset 8:"},
      {11, 0x80, "byte offset 8:"},
      {16, 1, "byte offset 8:"}, /* high word: [2] no longer agrees */
      {20, 4, "byte offset 20:"},
      {24, 3, "byte offset 24:"},
      {28, 1, "byte offset 28: reserved header[7]"},
      {1023, 1, "byte offset 1020:"},
  };
  for (size_t i = 0; i < sizeof bin_cases / sizeof bin_cases[0]; i++) {
    patch(&bin, bin_cases[i].offset, &bin_cases[i].value, 1);
    expect_bad(&bin, 0, bin_cases[i].where);
    expect_bad(&bin, 1, bin_cases[i].where);
  }
  restore(&bin);
  destroy(&bin);

  fixture npy = make(CTXLAB_FORMAT_NPY, &SET, TOKENS);
  const struct {
    size_t offset;
    const char *bytes;
    const char *where;
  } npy_cases[] = {
      {0, "\x92", "byte offset 0: no .npy magic"},
      {5, "y", "byte offset 0: no .npy magic"},
      {6, "\x02", "byte offset 6: .npy format version 2.0"},
      {7, "\x01", "byte offset 6: .npy format version 1.1"},
      {8, "\xff\xff", "byte offset 8: header length 65535 runs past the end"},
      /* one byte more: the dict runs into token 0's first byte (0x01) */
      {8, "\x77", "byte offset 128: .npy header: unexpected text after the dict"},
      {21, "<i2", "byte offset 20: .npy header: descr '<i2'"}, /* 20: the opening quote */
      {21, "<u4", "needs '<u2'"},
      {44, "True ", "byte offset 44: .npy header: fortran_order is True"},
      {61, "4", "byte offset 60: .npy header: shape (4, 4)"},
      {10, "[", "byte offset 10: .npy header: expected '{'"},
      {11, "\"", "byte offset 11: .npy header: unterminated string"},
      {16, "X", "byte offset 11: .npy header: unexpected key 'descX'"},
  };
  for (size_t i = 0; i < sizeof npy_cases / sizeof npy_cases[0]; i++) {
    patch(&npy, npy_cases[i].offset, npy_cases[i].bytes, strlen(npy_cases[i].bytes));
    expect_bad(&npy, 0, npy_cases[i].where);
  }
  restore(&npy);
  destroy(&npy);
}

static void test_data_faults(void **state) {
  (void)state;
  /* .bin/.npy: a token changed to another valid id is only a checksum
   * mismatch; one changed past the vocabulary is named with its offset */
  for (int format = 0; format < 2; format++) {
    fixture fx = make((ctxlab_format)format, &SET, TOKENS);
    size_t data_offset = format == 0 ? 1024 : 128;
    const unsigned char valid[2] = {7, 0}, past[2] = {0xF4, 0x01}; /* 7; 500 = 0x01F4 */
    patch(&fx, data_offset + 2 * 5, valid, 2);
    ctxlab_token_file *f;
    ctxlab_error err;
    assert_int_equal(ctxlab_token_file_open(fx.path, 0, &f, &err), CTXLAB_OK); /* not verified */
    ctxlab_token_file_close(f);
    expect_bad(&fx, 1, "SHA-256 mismatch: the manifest says ");
    /* both digests are in the message */
    ctxlab_token_file_open(fx.path, 1, &f, &err);
    json_t *m = json_loads((const char *)fx.manifest, 0, NULL);
    assert_non_null(strstr(err.message, json_string_value(json_object_get(m, "sha256"))));
    json_decref(m);
    patch(&fx, data_offset + 2 * 5, past, 2);
    char where[96];
    snprintf(where, sizeof where, "token 5 (value 500) at byte offset %zu is out of range",
             data_offset + 10);
    expect_bad(&fx, 1, where);
    expect_bad_read(&fx, where);
    restore(&fx);
    destroy(&fx);
  }

  /* .txt: the writer's text is "1 22 333 44\n5 66 7 88\n99 100 11 499\n" (36
   * bytes); each variant has the same length, so only parsing finds it */
  fixture fx = make(CTXLAB_FORMAT_TXT, &SET, TOKENS);
  assert_string_equal((char *)fx.data, "1 22 333 44\n5 66 7 88\n99 100 11 499\n");
  const struct {
    const char *text;
    const char *where; /* line, column (1-based) and byte offset (0-based) */
  } cases[] = {
      {"1 22 3x3 44\n5 66 7 88\n99 100 11 499\n",
       "line 1, column 7 (byte offset 6): expected a space after token 2, found 'x'"},
      {"1 22 933 44\n5 66 7 88\n99 100 11 499\n",
       "line 1, column 6 (byte offset 5): token 2 (value 933) is out of range"},
      {"1 22 333 44 5 66 7 88\n99 100 11 499\n",
       "line 1, column 12 (byte offset 11): expected the end of the line after token 3, found a "
       "space"},
      {"1 22 333 44\n5 66 7\n88 99 100 11 499\n",
       "line 2, column 7 (byte offset 18): expected a space after token 6, found end of line"},
      {"01 22 33 44\n5 66 7 88\n99 100 11 499\n",
       "line 1, column 1 (byte offset 0): a number with a leading zero"},
      {"1  22 33 44\n5 66 7 88\n99 100 11 499\n",
       "line 1, column 3 (byte offset 2): expected a digit, found a space"},
      {"1 22 333 44\n-5 66 7 8\n99 100 11 499\n",
       "line 2, column 1 (byte offset 12): expected a digit, found '-'"},
      {"1 22 333 44\n5 66 7 88\n99 100 11 49\t\n",
       "line 3, column 13 (byte offset 34): expected the end of the line after token 11, found "
       "byte 0x09"},
      {"1 22 333 44\n5 66 7 88\n9999999999911\n",
       "line 3, column 1 (byte offset 22): a number of more than 10 digits"},
      {"1 22 333 44\n5 66 7 88\n99 100 11 4990",
       "byte offset 35: the file does not end with a newline"},
      {"1 22 333 44\n5 66 7 88\n99 100 11 498\n", "SHA-256 mismatch"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(strlen(cases[i].text), fx.data_len);
    write_all(fx.path, cases[i].text, fx.data_len);
    expect_bad(&fx, 1, cases[i].where);
    /* without verification the same fault is found by read() */
    if (strstr(cases[i].where, "line ")) expect_bad_read(&fx, cases[i].where);
  }
  restore(&fx);
  destroy(&fx);
}

static void test_big_bin_header(void **state) {
  (void)state;
  /* 2^31 tokens (a sparse 4 GiB file, nothing is read): header[2] = -1 and
   * the count in header[3..4] (tokens.h); the header is built here by hand */
  fixture fx = make(CTXLAB_FORMAT_BIN, &SET, TOKENS);
  uint64_t tokens = (uint64_t)1 << 31, bytes = 1024 + 2 * tokens;
  unsigned char header[1024] = {0};
  const uint32_t fields[5] = {20240520, 1, 0xFFFFFFFFu, 0x80000000u, 0};
  for (int i = 0; i < 5; i++)
    for (int b = 0; b < 4; b++) header[4 * i + b] = (unsigned char)(fields[i] >> (8 * b));
  write_all(fx.path, header, sizeof header);
  if (truncate(fx.path, (off_t)bytes) != 0) skip(); /* no sparse files here */
  edit_manifest(&fx, "tokens", json_integer((json_int_t)tokens));
  edit_manifest(&fx, "sequences", json_integer(0));
  edit_manifest(&fx, "length", json_integer(0));
  edit_manifest(&fx, "bytes", json_integer((json_int_t)bytes));
  ctxlab_token_file *f;
  ctxlab_error err;
  if (ctxlab_token_file_open(fx.path, 0, &f, &err)) fail_msg("%s", err.message);
  assert_int_equal(ctxlab_token_file_layout(f)->tokens, tokens);
  uint32_t last[2];
  assert_int_equal(ctxlab_token_file_read(f, tokens - 2, 2, last, &err), CTXLAB_OK);
  assert_int_equal(last[0], 0); /* a hole reads as zeros */
  ctxlab_token_file_close(f);
  /* llm.c's count field holding the count is wrong beyond 2^31 - 1 */
  const unsigned char wrong[4] = {0, 0, 0, 0x80};
  FILE *fp = fopen(fx.path, "r+b");
  fseek(fp, 8, SEEK_SET);
  fwrite(wrong, 1, 4, fp);
  fclose(fp);
  ctxlab_token_file_open(fx.path, 0, &f, &err);
  assert_non_null(strstr(err.message, "byte offset 8: token count -2147483648 disagrees"));
  unlink(fx.path);
  restore(&fx);
  destroy(&fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_manifest_faults), cmocka_unit_test(test_size_faults),
      cmocka_unit_test(test_header_faults),   cmocka_unit_test(test_data_faults),
      cmocka_unit_test(test_big_bin_header),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
