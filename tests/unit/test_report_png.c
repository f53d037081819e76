/* The PNG encoder (notebooks-export/png.h) against the PNG specification:
 * signature, chunk layout, CRC-32 of each chunk recomputed here with zlib's
 * crc32, IHDR fields, and the IDAT stream inflated with zlib's uncompress to
 * the exact rows (filter byte 0, then the pixels given). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "notebooks-export/png.h"

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void round_trip(uint32_t w, uint32_t h) {
  uint8_t *rgb = malloc((size_t)w * h * 3);
  assert_non_null(rgb);
  for (size_t i = 0; i < (size_t)w * h * 3; ++i) rgb[i] = (uint8_t)(i * 2654435761u >> 13);
  uint8_t *png;
  size_t len;
  ctxlab_error err = {0};
  assert_int_equal(ctxlab_png_encode(rgb, w, h, &png, &len, &err), CTXLAB_OK);
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  assert_memory_equal(png, sig, 8);
  size_t pos = 8, idat_len = 0, nchunks = 0;
  uint8_t *idat = malloc(len);
  assert_non_null(idat);
  const char *order[] = {"IHDR", "IDAT", "IEND"};
  while (pos < len) {
    uint32_t n = be32(png + pos);
    assert_true(pos + 12 + n <= len);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), png + pos + 4, 4 + n);
    assert_int_equal(be32(png + pos + 8 + n), (uint32_t)crc);
    assert_true(nchunks < 3);
    assert_memory_equal(png + pos + 4, order[nchunks], 4);
    if (nchunks == 0) {
      assert_int_equal(n, 13);
      assert_int_equal(be32(png + pos + 8), w);
      assert_int_equal(be32(png + pos + 12), h);
      static const uint8_t rest[5] = {8, 2, 0, 0, 0}; /* 8-bit RGB, deflate, no interlace */
      assert_memory_equal(png + pos + 16, rest, 5);
    } else if (nchunks == 1) {
      memcpy(idat + idat_len, png + pos + 8, n);
      idat_len += n;
    } else {
      assert_int_equal(n, 0);
    }
    nchunks++;
    pos += 12 + n;
  }
  assert_int_equal(pos, len);
  assert_int_equal(nchunks, 3);
  uLongf raw_len = (uLongf)h * (1 + 3 * w) + 16;
  uint8_t *raw = malloc(raw_len);
  assert_non_null(raw);
  assert_int_equal(uncompress(raw, &raw_len, idat, idat_len), Z_OK);
  assert_int_equal(raw_len, (uLongf)h * (1 + 3 * w));
  for (uint32_t y = 0; y < h; ++y) {
    assert_int_equal(raw[y * (1 + 3 * w)], 0);
    assert_memory_equal(raw + y * (1 + 3 * w) + 1, rgb + (size_t)y * 3 * w, 3 * w);
  }
  free(raw);
  free(idat);
  free(png);
  free(rgb);
}

static void test_round_trips(void **state) {
  (void)state;
  round_trip(1, 1);
  round_trip(3, 2);
  round_trip(960, 640);
  round_trip(257, 3);
}

static void test_bad_sizes(void **state) {
  (void)state;
  uint8_t px[3] = {0};
  uint8_t *png = (uint8_t *)1;
  size_t len = 1;
  ctxlab_error err = {0};
  assert_int_equal(ctxlab_png_encode(px, 0, 1, &png, &len, &err), CTXLAB_EINVAL);
  assert_null(png);
  assert_int_equal(len, 0);
  assert_non_null(strstr(err.message, "0x1"));
  assert_int_equal(ctxlab_png_encode(px, 1, 0, &png, &len, &err), CTXLAB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trips),
                                     cmocka_unit_test(test_bad_sizes)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
