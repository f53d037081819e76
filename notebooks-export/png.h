/* notebooks-export/png.h (internal): an RGB image as a PNG file.
 *
 * The PNG specification (ISO/IEC 15948, W3C 2003): signature, IHDR (8-bit RGB,
 * colour type 2), one IDAT holding the zlib stream of the rows, each row
 * prefixed by filter byte 0 (none), and IEND; each chunk ends with the CRC-32
 * of its type and data. */
#ifndef CTXLAB_NOTEBOOKS_PNG_H
#define CTXLAB_NOTEBOOKS_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

/* Encode width x height pixels of rgb (3 bytes each, rows top to bottom) into a
 * new buffer *out of *len bytes (free it). */
int ctxlab_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height, uint8_t **out,
                      size_t *len, ctxlab_error *err);

/* Encode and write to path atomically. */
int ctxlab_png_write(const char *path, const uint8_t *rgb, uint32_t width, uint32_t height,
                     ctxlab_error *err);

#endif
