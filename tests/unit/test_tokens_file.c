/* Token files, whole: write then read back in every format, dtype and layout;
 * the manifest; known checksums; writer errors leave nothing behind. */
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

/* Tokens in [0, vocab) that include 0 and vocab-1 (the dtype's edge when
 * vocab is 65536 or 2^32-1): a 64-bit LCG (Knuth's MMIX constants). */
static void fill_tokens(uint32_t *t, size_t n, uint32_t vocab, uint64_t seed) {
  uint64_t x = seed;
  for (size_t i = 0; i < n; i++) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    t[i] = (uint32_t)((x >> 32) % vocab);
  }
  if (n > 0) t[0] = vocab - 1;
  if (n > 1) t[n - 1] = 0;
  if (n > 2) t[n / 2] = vocab - 1;
}

/* Write in uneven pieces (1, 2, 5, 14, ... tokens: across buffer blocks and
 * lines), then check the directory holds exactly PATH and PATH.json. */
static void write_in_pieces(const char *dir, const char *path, const ctxlab_token_layout *layout,
                            const uint32_t *t, json_t *manifest, char sha[65]) {
  ctxlab_token_writer *w;
  ctxlab_error err;
  assert_int_equal(ctxlab_token_writer_open(path, layout, &w, &err), CTXLAB_OK);
  size_t done = 0;
  for (size_t step = 1; done < layout->tokens; step = 3 * step - 1) {
    size_t k = layout->tokens - done < step ? layout->tokens - done : step;
    assert_int_equal(ctxlab_token_writer_write(w, t + done, k, &err), CTXLAB_OK);
    done += k;
  }
  if (ctxlab_token_writer_finish(w, manifest, sha, &err)) fail_msg("%s", err.message);
  const char *base = path + strlen(dir) + 1; /* path_in(dir, name) */
  char expected[256];
  snprintf(expected, sizeof expected, "%s %s.json", base, base);
  char *list = dir_listing(dir);
  assert_string_equal(list, expected);
  free(list);
}

static void check_read_back(const char *path, const ctxlab_token_layout *layout, const uint32_t *t,
                            const char *sha) {
  ctxlab_token_file *f;
  ctxlab_error err;
  if (ctxlab_token_file_open(path, 1, &f, &err)) fail_msg("%s", err.message);
  const ctxlab_token_layout *got = ctxlab_token_file_layout(f);
  assert_int_equal(got->format, layout->format);
  assert_int_equal(got->vocab_size, layout->vocab_size);
  assert_int_equal(got->tokens, layout->tokens);
  assert_int_equal(got->sequences, layout->sequences);
  assert_int_equal(got->length, layout->length);
  assert_string_equal(json_string_value(json_object_get(ctxlab_token_file_manifest(f), "sha256")),
                      sha);

  size_t n = (size_t)layout->tokens;
  uint32_t *out = malloc((n + 1) * sizeof *out);
  assert_non_null(out);
  assert_int_equal(ctxlab_token_file_read(f, 0, n, out, &err), CTXLAB_OK);
  assert_memory_equal(out, t, n * sizeof *out);
  /* consecutive reads continue where the last stopped */
  for (size_t first = 0; first < n; first += 100) {
    size_t k = n - first < 100 ? n - first : 100;
    assert_int_equal(ctxlab_token_file_read(f, first, k, out, &err), CTXLAB_OK);
    assert_memory_equal(out, t + first, k * sizeof *out);
  }
  /* random access, backwards: the .txt parser must rewind */
  const size_t firsts[] = {n - n / 3, n / 2, n / 3, 1, 0};
  for (size_t i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
    if (firsts[i] >= n) continue;
    size_t k = n - firsts[i] < 3 ? n - firsts[i] : 3;
    assert_int_equal(ctxlab_token_file_read(f, firsts[i], k, out, &err), CTXLAB_OK);
    assert_memory_equal(out, t + firsts[i], k * sizeof *out);
  }
  /* the end, and past it */
  assert_int_equal(ctxlab_token_file_read(f, n, 0, out, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_token_file_read(f, n, 1, out, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, path));
  assert_int_equal(ctxlab_token_file_read(f, UINT64_MAX, 2, out, &err), CTXLAB_EINVAL);
  free(out);
  ctxlab_token_file_close(f);
}

/* Write pseudo-random tokens in a scratch directory and read them back. */
static void round_trip(const ctxlab_token_layout *layout, uint64_t seed) {
  char *dir = scratch_dir();
  char name[32];
  snprintf(name, sizeof name, "t.%s", ctxlab_format_name(layout->format));
  char *path = path_in(dir, name);
  uint32_t *t = malloc((layout->tokens + 1) * sizeof *t);
  fill_tokens(t, (size_t)layout->tokens, layout->vocab_size, seed);
  char sha[65];
  write_in_pieces(dir, path, layout, t, NULL, sha);
  check_read_back(path, layout, t, sha);
  free(t);
  free(path);
  remove_dir(dir);
}

static void test_round_trip(void **state) {
  (void)state;
  /* vocabularies: uint16 inside and at its edge (ids up to 65535), uint32
   * just past it and at its edge (ids up to 2^32 - 2) */
  const uint32_t vocabs[] = {1000, 65536, 65537, UINT32_MAX};
  const struct {
    uint64_t sequences, length, tokens;
  } shapes[] = {{0, 0, 1000}, {7, 13, 91}, {0, 0, 0}, {1, 1, 1}};
  for (int format = 0; format < 3; format++) {
    for (size_t v = 0; v < sizeof vocabs / sizeof vocabs[0]; v++) {
      for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        ctxlab_token_layout layout = {(ctxlab_format)format, vocabs[v], shapes[s].sequences,
                                      shapes[s].length, shapes[s].tokens};
        round_trip(&layout, 1 + v + 10 * s);
      }
    }
  }
}

static void test_round_trip_across_blocks(void **state) {
  (void)state;
  /* 300001 tokens: more than one 256 KiB block in every format (2, 4 or up
   * to 6 bytes a token), an odd count so no block ends evenly */
  for (int format = 0; format < 3; format++) {
    ctxlab_token_layout layout = {(ctxlab_format)format, format == 1 ? 100000 : 50000, 0, 0,
                                  300001};
    if (format == 2) { /* a set, to cross blocks mid-line too */
      layout.sequences = 1111;
      layout.length = 271;
      layout.tokens = 1111 * 271;
    }
    round_trip(&layout, 42);
  }
}

static void test_known_files(void **state) {
  (void)state;
  /* tokens 3 1 4 1 5, vocab 10, one stream; digests computed outside ctxlab:
   * .bin: Python hashlib.sha256 of struct.pack('<256i', 20240520, 1, 5, 5, 0, ...)
   *       + struct.pack('<5H', 3, 1, 4, 1, 5)  (1034 bytes)
   * .npy: hashlib.sha256 of what numpy 1.24.2 np.save writes for
   *       np.array([3, 1, 4, 1, 5], dtype='<u2')  (138 bytes)
   * .txt: printf '3 1 4 1 5\n' | sha256sum  (10 bytes) */
  const struct {
    const char *name;
    size_t bytes;
    const char *sha256;
  } files[] = {
      {"k.bin", 1034, "541723440f2826abf0bf90a304dd071870840794d85215a15649243096276b99"},
      {"k.npy", 138, "a0fd826b6c885a4fc1adb98aa0d111acc19a3f7f2817c9b9f1901369bd795583"},
      {"k.txt", 10, "76543a6ea416a899adbc8808cff652f77e617cb078625beaba2ab5c763ac95c7"},
  };
  const uint32_t t[5] = {3, 1, 4, 1, 5};
  for (int format = 0; format < 3; format++) {
    char *dir = scratch_dir();
    char *path = path_in(dir, files[format].name);
    ctxlab_token_layout layout = {(ctxlab_format)format, 10, 0, 0, 5};
    json_t *manifest = json_pack("{s:s, s:i}", "spec", "test", "seed", 7);
    char sha[65];
    write_in_pieces(dir, path, &layout, t, manifest, sha);
    assert_string_equal(sha, files[format].sha256);
    size_t len;
    unsigned char *data = read_all(path, &len);
    assert_int_equal(len, files[format].bytes);
    if (format == CTXLAB_FORMAT_TXT) assert_string_equal((char *)data, "3 1 4 1 5\n");
    free(data);
    /* the manifest: the caller's keys first, then the writer's in a fixed
     * order, 2-space indent, a final newline (the brief's format) */
    char *mpath = NULL;
    if (asprintf(&mpath, "%s.json", path) < 0) abort();
    unsigned char *text = read_all(mpath, &len);
    char expected[1024];
    snprintf(
        expected, sizeof expected,
        "{\n  \"spec\": \"test\",\n  \"seed\": 7,\n  \"file\": \"%s\",\n  \"format\": \"%s\",\n"
        "  \"dtype\": \"uint16\",\n  \"vocab_size\": 10,\n  \"tokens\": 5,\n  \"sequences\": 0,\n"
        "  \"length\": 0,\n  \"bytes\": %zu,\n  \"sha256\": \"%s\"\n}\n",
        files[format].name, ctxlab_format_name(layout.format), files[format].bytes,
        files[format].sha256);
    assert_string_equal((char *)text, expected);
    /* the caller's object received the fields too */
    assert_string_equal(json_string_value(json_object_get(manifest, "sha256")),
                        files[format].sha256);
    free(text);
    free(mpath);
    json_decref(manifest);
    free(path);
    remove_dir(dir);
  }
}

static void test_txt_layout(void **state) {
  (void)state;
  /* tokens.h: ids separated by single spaces, one sequence per line */
  char *dir = scratch_dir();
  char *path = path_in(dir, "s.txt");
  const uint32_t t[6] = {0, 10, 200, 3000, 40000, 65535};
  ctxlab_token_layout layout = {CTXLAB_FORMAT_TXT, 65536, 2, 3, 6};
  ctxlab_error err;
  assert_int_equal(write_tokens(path, &layout, t, &err), CTXLAB_OK);
  size_t len;
  unsigned char *text = read_all(path, &len);
  assert_string_equal((char *)text, "0 10 200\n3000 40000 65535\n");
  free(text);
  /* the empty stream is one empty line */
  layout = (ctxlab_token_layout){CTXLAB_FORMAT_TXT, 10, 0, 0, 0};
  assert_int_equal(write_tokens(path, &layout, t, &err), CTXLAB_OK);
  text = read_all(path, &len);
  assert_string_equal((char *)text, "\n");
  free(text);
  /* large ids use every digit: 4294967294 = 2^32 - 2 */
  const uint32_t big[2] = {4294967294u, 1234567890u};
  layout = (ctxlab_token_layout){CTXLAB_FORMAT_TXT, UINT32_MAX, 0, 0, 2};
  assert_int_equal(write_tokens(path, &layout, big, &err), CTXLAB_OK);
  text = read_all(path, &len);
  assert_string_equal((char *)text, "4294967294 1234567890\n");
  free(text);
  free(path);
  remove_dir(dir);
}

/* ---- writer errors --------------------------------------------------------- */

static void assert_dir_is(const char *dir, const char *expected) {
  char *list = dir_listing(dir);
  assert_string_equal(list, expected);
  free(list);
}

static void test_writer_errors(void **state) {
  (void)state;
  char *dir = scratch_dir();
  char *path = path_in(dir, "e.bin");
  ctxlab_token_layout layout = {CTXLAB_FORMAT_BIN, 10, 0, 0, 4};
  const uint32_t t[5] = {1, 2, 10, 3, 4};
  ctxlab_token_writer *w;
  ctxlab_error err;
  char sha[65];

  /* while writing, only a temporary ".e.bin.tmp.XXXXXX" exists */
  assert_int_equal(ctxlab_token_writer_open(path, &layout, &w, &err), CTXLAB_OK);
  char *list = dir_listing(dir);
  assert_int_equal(strlen(list), strlen(".e.bin.tmp.XXXXXX"));
  assert_memory_equal(list, ".e.bin.tmp.", 11);
  free(list);
  /* token 2 is 10, out of range for vocab 10: EINVAL naming index and value */
  assert_int_equal(ctxlab_token_writer_write(w, t, 4, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "token 2 (value 10)"));
  assert_non_null(strstr(err.message, path));
  assert_int_equal(ctxlab_token_writer_write(w, t, 1, &err), CTXLAB_EINVAL); /* stays failed */
  assert_int_equal(ctxlab_token_writer_finish(w, NULL, sha, &err), CTXLAB_EINVAL);
  assert_dir_is(dir, "");

  /* the same in .txt: the index counts across calls */
  char *txt = path_in(dir, "e.txt");
  layout.format = CTXLAB_FORMAT_TXT;
  assert_int_equal(ctxlab_token_writer_open(txt, &layout, &w, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_token_writer_write(w, t, 2, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_token_writer_write(w, t + 2, 2, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "token 2 (value 10)"));
  ctxlab_token_writer_abort(w);
  assert_dir_is(dir, "");
  layout.format = CTXLAB_FORMAT_BIN;

  /* too many tokens */
  const uint32_t ok[5] = {1, 2, 3, 4, 5};
  assert_int_equal(ctxlab_token_writer_open(path, &layout, &w, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_token_writer_write(w, ok, 5, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "exceed"));
  assert_int_equal(ctxlab_token_writer_finish(w, NULL, sha, &err), CTXLAB_EINVAL);
  assert_dir_is(dir, "");
  /* too few */
  assert_int_equal(ctxlab_token_writer_open(path, &layout, &w, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_token_writer_write(w, ok, 3, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_token_writer_finish(w, NULL, sha, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "3 tokens written, but the layout declares 4"));
  assert_dir_is(dir, "");
  /* a manifest that is not an object */
  json_t *array = json_array();
  assert_int_equal(ctxlab_token_writer_open(path, &layout, &w, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_token_writer_write(w, ok, 4, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_token_writer_finish(w, array, sha, &err), CTXLAB_EINVAL);
  json_decref(array);
  assert_dir_is(dir, "");
  /* an inconsistent layout: refused before anything is created */
  ctxlab_token_layout bad = {CTXLAB_FORMAT_BIN, 10, 2, 3, 7};
  assert_int_equal(ctxlab_token_writer_open(path, &bad, &w, &err), CTXLAB_EINVAL);
  assert_null(w);
  assert_non_null(strstr(err.message, "\"tokens\""));
  assert_dir_is(dir, "");
  /* a directory that does not exist: bad input (EINVAL), like a bad option */
  char *nowhere = path_in(dir, "missing/e.bin");
  assert_int_equal(ctxlab_token_writer_open(nowhere, &layout, &w, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, nowhere));
  free(nowhere);
  /* an unwritable directory (root may write anywhere: then skipped) */
  if (geteuid() != 0) {
    char *ro = path_in(dir, "ro");
    assert_int_equal(mkdir(ro, 0500), 0);
    char *inside = path_in(ro, "e.bin");
    assert_int_equal(ctxlab_token_writer_open(inside, &layout, &w, &err), CTXLAB_EINVAL);
    assert_non_null(strstr(err.message, "Permission denied"));
    assert_dir_is(ro, "");
    rmdir(ro);
    free(inside);
    free(ro);
  }
  assert_dir_is(dir, "");

  /* a failed write leaves an existing file and manifest as they were */
  assert_int_equal(write_tokens(path, &layout, ok, &err), CTXLAB_OK);
  size_t before_len, after_len, mbefore_len, mafter_len;
  unsigned char *before = read_all(path, &before_len);
  char *mpath = NULL;
  if (asprintf(&mpath, "%s.json", path) < 0) abort();
  unsigned char *mbefore = read_all(mpath, &mbefore_len);
  assert_int_equal(ctxlab_token_writer_open(path, &layout, &w, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_token_writer_write(w, t, 3, &err), CTXLAB_EINVAL);
  assert_int_equal(ctxlab_token_writer_finish(w, NULL, sha, &err), CTXLAB_EINVAL);
  unsigned char *after = read_all(path, &after_len), *mafter = read_all(mpath, &mafter_len);
  assert_int_equal(before_len, after_len);
  assert_memory_equal(before, after, before_len);
  assert_int_equal(mbefore_len, mafter_len);
  assert_memory_equal(mbefore, mafter, mbefore_len);
  assert_dir_is(dir, "e.bin e.bin.json");
  free(before);
  free(after);
  free(mbefore);
  free(mafter);

  /* PATH is a directory: refused at open, before any work, nothing created */
  char *sub = path_in(dir, "sub");
  assert_int_equal(mkdir(sub, 0700), 0);
  assert_int_equal(ctxlab_token_writer_open(sub, &layout, &w, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, sub));
  assert_non_null(strstr(err.message, "is not a regular file (a directory)"));
  assert_dir_is(dir, "e.bin e.bin.json sub");
  assert_dir_is(sub, "");
  rmdir(sub);

  free(sub);
  free(mpath);
  free(txt);
  free(path);
  remove_dir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_round_trip_across_blocks),
      cmocka_unit_test(test_known_files),   cmocka_unit_test(test_txt_layout),
      cmocka_unit_test(test_writer_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
