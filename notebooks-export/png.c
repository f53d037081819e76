/* PNG encoding on zlib (compress2 for the image data, crc32 for the chunks). */
#include "notebooks-export/png.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ctxlab/tokens.h"

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Length, type, data, CRC-32 over type and data; returns the bytes written. */
static size_t put_chunk(uint8_t *p, const char type[4], const uint8_t *data, uint32_t n) {
  put_u32(p, n);
  memcpy(p + 4, type, 4);
  if (n) memcpy(p + 8, data, n);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, p + 4, 4 + n);
  put_u32(p + 8 + n, (uint32_t)crc);
  return 12 + (size_t)n;
}

int ctxlab_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height, uint8_t **out,
                      size_t *len, ctxlab_error *err) {
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  *out = NULL;
  *len = 0;
  if (width == 0 || height == 0 || width > (1u << 16) || height > (1u << 16))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "png: image size %ux%u out of range",
                            width, height);
  size_t stride = 1 + 3 * (size_t)width, raw_len = stride * height;
  uLongf z_len = compressBound((uLong)raw_len);
  uint8_t *raw = malloc(raw_len), *z = malloc(z_len), *png = NULL;
  int rc = CTXLAB_OK;
  if (!raw || !z) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "png: out of memory for a %ux%u image", width,
                          height);
    goto cleanup;
  }
  for (uint32_t y = 0; y < height; ++y) {
    raw[y * stride] = 0; /* filter type 0: the row as is */
    memcpy(raw + y * stride + 1, rgb + (size_t)y * 3 * width, 3 * (size_t)width);
  }
  if (compress2(z, &z_len, raw, (uLong)raw_len, 6) != Z_OK) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "png: zlib compression failed");
    goto cleanup;
  }
  if (z_len > UINT32_MAX - 64) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "png: compressed image too large");
    goto cleanup;
  }
  png = malloc(8 + 25 + 12 + z_len + 12);
  if (!png) {
    rc = ctxlab_error_set(err, CTXLAB_ENOMEM, "png: out of memory");
    goto cleanup;
  }
  uint8_t ihdr[13];
  put_u32(ihdr, width);
  put_u32(ihdr + 4, height);
  ihdr[8] = 8;  /* bits per sample */
  ihdr[9] = 2;  /* colour type: RGB */
  ihdr[10] = 0; /* deflate */
  ihdr[11] = 0; /* adaptive filtering (each row names its filter) */
  ihdr[12] = 0; /* not interlaced */
  size_t n = 0;
  memcpy(png, signature, 8);
  n = 8;
  n += put_chunk(png + n, "IHDR", ihdr, 13);
  n += put_chunk(png + n, "IDAT", z, (uint32_t)z_len);
  n += put_chunk(png + n, "IEND", NULL, 0);
  *out = png;
  *len = n;
  png = NULL;
cleanup:
  free(raw);
  free(z);
  free(png);
  return rc;
}

int ctxlab_png_write(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height,
                     ctxlab_error *err) {
  uint8_t *png;
  size_t len;
  int rc = ctxlab_png_encode(rgb, width, height, &png, &len, err);
  if (rc) return rc;
  rc = ctxlab_write_file_atomic(path, (const char *)png, len, err);
  free(png);
  return rc;
}
