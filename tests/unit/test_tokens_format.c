/* Token files, the pieces: format names, layouts, the .bin and .npy headers
 * byte by byte, the SHA-256 hasher, atomic file writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctxlab/tokens.h"
#include "gen/tokens/tokens_internal.h"
#include "tests/unit/test_tokens_util.h"

static void test_format_names(void **state) {
  (void)state;
  ctxlab_format f;
  ctxlab_error err;
  const char *names[] = {"bin", "npy", "txt"}; /* tokens.h */
  for (int i = 0; i < 3; i++) {
    assert_int_equal(ctxlab_format_parse(names[i], &f, &err), CTXLAB_OK);
    assert_int_equal(f, i);
    assert_string_equal(ctxlab_format_name(f), names[i]);
  }
  assert_int_equal(ctxlab_format_parse("BIN", &f, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, "\"BIN\""));
  assert_int_equal(ctxlab_format_parse("", &f, &err), CTXLAB_EINVAL);
  assert_int_equal(ctxlab_format_parse(NULL, &f, NULL), CTXLAB_EINVAL);
  assert_string_equal(ctxlab_format_name((ctxlab_format)7), "unknown");
}

static void test_dtype_names(void **state) {
  (void)state;
  /* tokens.h: uint16 up to a vocabulary of 65536 (ids 0..65535), else uint32 */
  assert_string_equal(ctxlab_token_dtype_name(1), "uint16");
  assert_string_equal(ctxlab_token_dtype_name(65536), "uint16");
  assert_string_equal(ctxlab_token_dtype_name(65537), "uint32");
  assert_string_equal(ctxlab_token_dtype_name(UINT32_MAX), "uint32");
}

static void test_layout_rules(void **state) {
  (void)state;
  ctxlab_token_layout ok[] = {
      {CTXLAB_FORMAT_BIN, 10, 0, 0, 0},  /* an empty stream */
      {CTXLAB_FORMAT_BIN, 10, 0, 0, 7},  /* a stream */
      {CTXLAB_FORMAT_NPY, 10, 3, 4, 12}, /* 3 sequences of 4 */
      {CTXLAB_FORMAT_BIN, 1, (uint64_t)INT32_MAX, 1, (uint64_t)INT32_MAX},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    assert_null(ctxlab_token_layout_problem(&ok[i]));
  struct {
    ctxlab_token_layout layout;
    const char *field; /* named in the problem */
  } bad[] = {
      {{CTXLAB_FORMAT_BIN, 0, 0, 0, 5}, "vocab_size"},
      {{CTXLAB_FORMAT_BIN, 10, 0, 3, 5}, "length"},  /* a stream has no length */
      {{CTXLAB_FORMAT_BIN, 10, 3, 0, 0}, "length"},  /* sequences of nothing */
      {{CTXLAB_FORMAT_BIN, 10, 3, 4, 13}, "tokens"}, /* 3 x 4 != 13 */
      {{CTXLAB_FORMAT_BIN, 10, (uint64_t)1 << 40, (uint64_t)1 << 40, 0}, "tokens"}, /* overflow */
      {{CTXLAB_FORMAT_BIN, 10, (uint64_t)1 << 31, 1, (uint64_t)1 << 31}, "sequences"}, /* int32 */
      {{CTXLAB_FORMAT_TXT, 10, 0, 0, ((uint64_t)1 << 56) + 1}, "tokens"},
      {{(ctxlab_format)3, 10, 0, 0, 1}, "format"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *problem = ctxlab_token_layout_problem(&bad[i].layout);
    assert_non_null(problem);
    assert_non_null(strstr(problem, bad[i].field));
  }
  /* 2^31 sequences are fine outside .bin (only its header is int32) */
  ctxlab_token_layout npy = {CTXLAB_FORMAT_NPY, 10, (uint64_t)1 << 31, 1, (uint64_t)1 << 31};
  assert_null(ctxlab_token_layout_problem(&npy));
}

static uint32_t le32_at(const unsigned char *h, int index) {
  const unsigned char *p = h + 4 * index;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_bin_header_bytes(void **state) {
  (void)state;
  unsigned char h[CTXLAB_BIN_HEADER_BYTES];
  ctxlab_token_layout layout = {CTXLAB_FORMAT_BIN, 10, 2, 3, 6};
  ctxlab_bin_header_encode(&layout, h);
  /* tokens.h, written out by hand: 20240520 = 0x0134D888 (Python hex()),
   * little-endian 88 D8 34 01; version 1 (uint16); count 6 (< 2^31) in [2]
   * and again as low/high words in [3], [4]; 2 sequences of 3; zeros after. */
  const unsigned char expected[28] = {
      0x88, 0xD8, 0x34, 0x01, /* [0] magic */
      1,    0,    0,    0,    /* [1] version */
      6,    0,    0,    0,    /* [2] count */
      6,    0,    0,    0,    /* [3] count, low word */
      0,    0,    0,    0,    /* [4] count, high word */
      2,    0,    0,    0,    /* [5] sequences */
      3,    0,    0,    0,    /* [6] length */
  };
  assert_memory_equal(h, expected, sizeof expected);
  for (int i = (int)sizeof expected; i < CTXLAB_BIN_HEADER_BYTES; i++) assert_int_equal(h[i], 0);

  /* a uint32 vocabulary: version 2 */
  layout = (ctxlab_token_layout){CTXLAB_FORMAT_BIN, 65537, 0, 0, 9};
  ctxlab_bin_header_encode(&layout, h);
  assert_int_equal(le32_at(h, 1), 2);
  assert_int_equal(le32_at(h, 5), 0); /* a stream: no sequences, no length */
  assert_int_equal(le32_at(h, 6), 0);

  /* 2^31 tokens: header[2] = -1 (bytes FF FF FF FF), [3] = 0x80000000, [4] = 0 */
  layout = (ctxlab_token_layout){CTXLAB_FORMAT_BIN, 10, 0, 0, (uint64_t)1 << 31};
  ctxlab_bin_header_encode(&layout, h);
  assert_int_equal(le32_at(h, 2), 0xFFFFFFFFu);
  assert_int_equal(le32_at(h, 3), 0x80000000u);
  assert_int_equal(le32_at(h, 4), 0);
  /* 2^31 - 1 tokens still fit header[2] */
  layout.tokens = INT32_MAX;
  ctxlab_bin_header_encode(&layout, h);
  assert_int_equal(le32_at(h, 2), 0x7FFFFFFFu);
  /* 2^32 + 5 tokens: low word 5, high word 1 */
  layout.tokens = ((uint64_t)1 << 32) + 5;
  ctxlab_bin_header_encode(&layout, h);
  assert_int_equal(le32_at(h, 2), 0xFFFFFFFFu);
  assert_int_equal(le32_at(h, 3), 5);
  assert_int_equal(le32_at(h, 4), 1);
  ctxlab_error err;
  assert_int_equal(ctxlab_bin_header_check(h, &layout, "x.bin", &err), CTXLAB_OK);
}

static void test_bin_header_check(void **state) {
  (void)state;
  unsigned char h[CTXLAB_BIN_HEADER_BYTES];
  ctxlab_token_layout layout = {CTXLAB_FORMAT_BIN, 10, 2, 3, 6};
  ctxlab_error err;
  ctxlab_bin_header_encode(&layout, h);
  assert_int_equal(ctxlab_bin_header_check(h, &layout, "x.bin", &err), CTXLAB_OK);
  /* each damaged field is reported at its byte offset (tokens.h layout) */
  struct {
    int byte;
    unsigned char value;
    const char *offset;
  } cases[] = {
      {0, 0x89, "byte offset 0:"}, {4, 2, "byte offset 4:"},   {4, 9, "byte offset 4:"},
      {8, 7, "byte offset 8:"},    {12, 7, "byte offset 8:"}, /* [2] no longer matches [3..4] */
      {20, 1, "byte offset 20:"},  {24, 4, "byte offset 24:"}, {1023, 1, "byte offset 1020:"},
      {28, 1, "byte offset 28:"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unsigned char bad[CTXLAB_BIN_HEADER_BYTES];
    memcpy(bad, h, sizeof bad);
    bad[cases[i].byte] = cases[i].value;
    assert_int_equal(ctxlab_bin_header_check(bad, &layout, "x.bin", &err), CTXLAB_EFORMAT);
    assert_non_null(strstr(err.message, "x.bin"));
    assert_non_null(strstr(err.message, cases[i].offset));
  }
  /* the header agrees with itself but not with the manifest's count */
  ctxlab_token_layout other = layout;
  other.sequences = 3;
  other.tokens = 9;
  assert_int_equal(ctxlab_bin_header_check(h, &other, "x.bin", &err), CTXLAB_EFORMAT);
  assert_non_null(strstr(err.message, "byte offset 12:"));
  /* a uint32 vocabulary needs version 2 */
  other = layout;
  other.vocab_size = 70000;
  assert_int_equal(ctxlab_bin_header_check(h, &other, "x.bin", &err), CTXLAB_EFORMAT);
  assert_non_null(strstr(err.message, "byte offset 4:"));
}

static void test_npy_header_matches_numpy(void **state) {
  (void)state;
  /* numpy 1.24.2, numpy.lib.format.write_array_header_1_0 (what np.save
   * writes), run for these shapes: the dict, N spaces, '\n', 128 bytes in all
   * (header length field 0x0076 = 118). */
  struct {
    ctxlab_token_layout layout;
    const char *dict;
    int spaces;
  } cases[] = {
      {{CTXLAB_FORMAT_NPY, 10, 0, 0, 5},
       "{'descr': '<u2', 'fortran_order': False, 'shape': (5,), }",
       60},
      {{CTXLAB_FORMAT_NPY, 70000, 2, 3, 6},
       "{'descr': '<u4', 'fortran_order': False, 'shape': (2, 3), }",
       58},
      {{CTXLAB_FORMAT_NPY, 10, 0, 0, 0},
       "{'descr': '<u2', 'fortran_order': False, 'shape': (0,), }",
       60},
      {{CTXLAB_FORMAT_NPY, 10, 0, 0, 123456789012345u},
       "{'descr': '<u2', 'fortran_order': False, 'shape': (123456789012345,), }",
       46},
      {{CTXLAB_FORMAT_NPY, 10, (uint64_t)1 << 31, 7, ((uint64_t)1 << 31) * 7},
       "{'descr': '<u2', 'fortran_order': False, 'shape': (2147483648, 7), }",
       49},
      {{CTXLAB_FORMAT_NPY, 10, 0, 0, (uint64_t)1 << 56},
       "{'descr': '<u2', 'fortran_order': False, 'shape': (72057594037927936,), }",
       44},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char h[CTXLAB_NPY_HEADER_MAX], expected[CTXLAB_NPY_HEADER_MAX];
    size_t dict_len = strlen(cases[i].dict);
    memcpy(expected, "\x93NUMPY\x01\x00\x76\x00", 10);
    memcpy(expected + 10, cases[i].dict, dict_len);
    memset(expected + 10 + dict_len, ' ', (size_t)cases[i].spaces);
    expected[127] = '\n';
    assert_int_equal(10 + dict_len + (size_t)cases[i].spaces + 1, 128);
    assert_int_equal(ctxlab_npy_header_encode(&cases[i].layout, h), 128);
    assert_memory_equal(h, expected, 128);
    /* and the checker accepts what the encoder writes */
    ctxlab_error err;
    assert_int_equal(ctxlab_npy_dict_check(h + 10, 118, &cases[i].layout, "x.npy", &err),
                     CTXLAB_OK);
  }
}

static void test_npy_dict_check(void **state) {
  (void)state;
  ctxlab_token_layout stream = {CTXLAB_FORMAT_NPY, 10, 0, 0, 5};
  ctxlab_token_layout set = {CTXLAB_FORMAT_NPY, 10, 2, 3, 6};
  ctxlab_error err;
  /* numpy's reader takes any Python dict literal: other key orders, quotes,
   * spacing and a missing trailing comma are all the same header */
  const char *fine[] = {
      "{'shape': (5,), 'fortran_order': False, 'descr': '<u2'}",
      "{\"descr\":\"<u2\",\"fortran_order\":False,\"shape\":(5,)}\n",
      "{ 'descr' : '<u2' , 'fortran_order' : False , 'shape' : ( 5 , ) , }   \n",
  };
  for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
    assert_int_equal(ctxlab_npy_dict_check(fine[i], strlen(fine[i]), &stream, "x.npy", &err),
                     CTXLAB_OK);
  assert_int_equal(
      ctxlab_npy_dict_check("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3)}", 57, &set,
                            "x.npy", &err),
      CTXLAB_OK);
  /* each fault, and the byte offset reported (10 + its index in the dict) */
  struct {
    const char *dict;
    const char *message;
  } bad[] = {
      {"{'descr': '<i2', 'fortran_order': False, 'shape': (5,)}", "byte offset 20:"},
      {"{'descr': '<u4', 'fortran_order': False, 'shape': (5,)}", "'<u2'"},
      {"{'descr': '<u2', 'fortran_order': True, 'shape': (5,)}", "byte offset 44:"},
      {"{'descr': '<u2', 'fortran_order': False, 'shape': (6,)}", "byte offset 60:"},
      {"{'descr': '<u2', 'fortran_order': False, 'shape': (5, 1)}", "(5, 1)"},
      {"{'descr': '<u2', 'fortran_order': False, 'shape': ()}", "shape ()"},
      {"{'descr': '<u2', 'fortran_order': False}", "lacks 'shape'"},
      {"{'descr': '<u2', 'fortran_order': False, 'shape': (5,), 'x': 1}", "unexpected key 'x'"},
      {"{'descr': '<u2', 'descr': '<u2', 'fortran_order': False, 'shape': (5,)}", "appears twice"},
      {"{'descr': '<u2', 'fortran_order': False, 'shape': (5,)", "expected ',' or '}'"},
      {"{'descr': '<u2', 'fortran_order': Nope, 'shape': (5,)}", "True or False"},
      {"{'descr': '<u2, 'fortran_order': False, 'shape': (5,)}", "byte offset"},
      {"{'descr': '<u2', 'fortran_order': False, 'shape': (99999999999999999999,)}", "64 bits"},
      {"{'descr': '<u2', 'fortran_order': False, 'shape': (5,)} x", "after the dict"},
      {"['descr']", "expected '{'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(
        ctxlab_npy_dict_check(bad[i].dict, strlen(bad[i].dict), &stream, "x.npy", &err),
        CTXLAB_EFORMAT);
    assert_non_null(strstr(err.message, "x.npy: byte offset "));
    if (!strstr(err.message, bad[i].message)) fail_msg("case %zu: %s", i, err.message);
  }
}

static void sha256_of(const void *data, size_t len, char hex[65]) {
  ctxlab_sha256 h;
  assert_int_equal(ctxlab_sha256_init(&h, NULL), CTXLAB_OK);
  assert_int_equal(ctxlab_sha256_update(&h, data, len, NULL), CTXLAB_OK);
  assert_int_equal(ctxlab_sha256_final_hex(&h, hex, NULL), CTXLAB_OK);
  ctxlab_sha256_free(&h);
}

static void test_sha256_vectors(void **state) {
  (void)state;
  char hex[65];
  /* FIPS 180-4 examples (NIST CSRC "SHA256.pdf"): "abc", and the 448-bit
   * message; the empty string's digest is the well-known e3b0c442... */
  sha256_of("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  sha256_of(m448, strlen(m448), hex);
  assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  sha256_of("", 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  /* incremental updates equal one update (a million 'a's, FIPS 180-4's third
   * example: cdc76e5c...) in uneven pieces */
  static char million[1000000];
  memset(million, 'a', sizeof million);
  ctxlab_sha256 h;
  assert_int_equal(ctxlab_sha256_init(&h, NULL), CTXLAB_OK);
  for (size_t at = 0, step = 1; at < sizeof million; at += step, step = step * 3 + 1)
    ctxlab_sha256_update(&h, million + at, at + step <= sizeof million ? step : sizeof million - at,
                         NULL);
  assert_int_equal(ctxlab_sha256_final_hex(&h, hex, NULL), CTXLAB_OK);
  ctxlab_sha256_free(&h);
  assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_write_file_atomic(void **state) {
  (void)state;
  char *dir = scratch_dir();
  char *path = path_in(dir, "out.json");
  ctxlab_error err;
  assert_int_equal(ctxlab_write_file_atomic(path, "first\n", 6, &err), CTXLAB_OK);
  assert_int_equal(ctxlab_write_file_atomic(path, "second\n", 7, &err), CTXLAB_OK); /* replaces */
  size_t len;
  unsigned char *text = read_all(path, &len);
  assert_non_null(text);
  assert_string_equal((char *)text, "second\n");
  free(text);
  char *list = dir_listing(dir);
  assert_string_equal(list, "out.json"); /* no temporary left behind */
  free(list);
  /* a directory that does not exist: bad input naming the path, nothing created */
  char *missing = path_in(dir, "no/such/dir/out.json");
  assert_int_equal(ctxlab_write_file_atomic(missing, "x", 1, &err), CTXLAB_EINVAL);
  assert_non_null(strstr(err.message, missing));
  /* a name that is a directory: the rename fails, the temporary is removed */
  assert_int_equal(ctxlab_write_file_atomic(dir, "x", 1, &err), CTXLAB_EINVAL);
  char *trailing = path_in(dir, "");
  assert_int_equal(ctxlab_write_file_atomic(trailing, "x", 1, &err), CTXLAB_EINVAL);
  list = dir_listing(dir);
  assert_string_equal(list, "out.json");
  free(list);
  free(trailing);
  free(missing);
  free(path);
  remove_dir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_names),      cmocka_unit_test(test_dtype_names),
      cmocka_unit_test(test_layout_rules),      cmocka_unit_test(test_bin_header_bytes),
      cmocka_unit_test(test_bin_header_check),  cmocka_unit_test(test_npy_header_matches_numpy),
      cmocka_unit_test(test_npy_dict_check),    cmocka_unit_test(test_sha256_vectors),
      cmocka_unit_test(test_write_file_atomic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
