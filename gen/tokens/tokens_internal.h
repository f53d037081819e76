/* gen/tokens/tokens_internal.h (internal): the pieces of the token-file code
 * that more than one file (or a unit test) needs: the on-disk headers, the
 * SHA-256 hasher, temporary files renamed into place, and the reader's state. */
#ifndef CTXLAB_GEN_TOKENS_INTERNAL_H
#define CTXLAB_GEN_TOKENS_INTERNAL_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "core/atomic_file.h"
#include "ctxlab/error.h"
#include "ctxlab/tokens.h"

/* Files are converted, hashed and written (or read) in blocks of this many
 * bytes: large enough that system calls cost nothing per token, small enough
 * to stay in L2 between conversion and hashing. */
#define CTXLAB_TOKEN_BLOCK_BYTES ((size_t)1 << 18)

/* Bytes of the .bin header (256 int32). */
#define CTXLAB_BIN_HEADER_BYTES (4 * CTXLAB_BIN_HEADER_INTS)

/* Largest token count a file may declare (keeps every byte count far below
 * 2^63, the range of JSON integers in jansson). */
#define CTXLAB_TOKENS_MAX ((uint64_t)1 << 56)

/* Room for the .npy header this code writes (128 bytes even for two
 * 17-digit dimensions).  The reader accepts any 1.0 header (up to 65545). */
#define CTXLAB_NPY_HEADER_MAX 256

/* ---- layout ---------------------------------------------------------------- */

/* Bytes per token on disk for .bin and .npy: 2 (uint16) or 4 (uint32). */
unsigned ctxlab_token_width(uint32_t vocab_size);

/* NULL when the layout is consistent, else a sentence naming the fields at
 * fault (in the manifest's words: "vocab_size", "tokens", ...). */
const char *ctxlab_token_layout_problem(const ctxlab_token_layout *layout);

/* Tokens per line of a .txt file: the sequence length, or the whole stream. */
uint64_t ctxlab_token_line_length(const ctxlab_token_layout *layout);

/* Index of the first token >= vocab_size in t[0..n), or n when all are in range. */
size_t ctxlab_tokens_first_out_of_range(const uint32_t *t, size_t n, uint32_t vocab_size);

/* Host <-> little-endian (the on-disk byte order); the identity on x86/ARM. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
static inline uint16_t ctxlab_le16(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t ctxlab_le32(uint32_t v) { return __builtin_bswap32(v); }
#else
static inline uint16_t ctxlab_le16(uint16_t v) { return v; }
static inline uint32_t ctxlab_le32(uint32_t v) { return v; }
#endif

/* ---- headers ----------------------------------------------------------------- */

/* The 1024-byte .bin header of a (consistent) layout, as specified in tokens.h. */
void ctxlab_bin_header_encode(const ctxlab_token_layout *layout,
                              unsigned char out[CTXLAB_BIN_HEADER_BYTES]);

/* Check a .bin header against the layout the manifest declares.  Problems are
 * CTXLAB_EFORMAT naming `path` and the byte offset of the field. */
int ctxlab_bin_header_check(const unsigned char header[CTXLAB_BIN_HEADER_BYTES],
                            const ctxlab_token_layout *layout, const char *path, ctxlab_error *err);

/* The .npy 1.0 header numpy 1.24 writes for this layout (magic, version,
 * length, dict, padding, '\n'); returns its length, a multiple of 64. */
size_t ctxlab_npy_header_encode(const ctxlab_token_layout *layout, char out[CTXLAB_NPY_HEADER_MAX]);

/* Check the dict of a .npy header (the `len` bytes after the 10-byte prefix)
 * against the layout; problems are CTXLAB_EFORMAT naming path and offset. */
int ctxlab_npy_dict_check(const char *dict, size_t len, const ctxlab_token_layout *layout,
                          const char *path, ctxlab_error *err);

/* ---- SHA-256 (OpenSSL EVP) ------------------------------------------------- */

typedef struct ctxlab_sha256 {
  EVP_MD_CTX *ctx;
} ctxlab_sha256;

int ctxlab_sha256_init(ctxlab_sha256 *h, ctxlab_error *err);
int ctxlab_sha256_update(ctxlab_sha256 *h, const void *data, size_t len, ctxlab_error *err);
/* Finish and write the digest as 64 lowercase hex digits and a '\0'. */
int ctxlab_sha256_final_hex(ctxlab_sha256 *h, char hex[65], ctxlab_error *err);
void ctxlab_sha256_free(ctxlab_sha256 *h);

/* ---- the reader ---------------------------------------------------------------- */

/* Where the sequential .txt parser stands. */
typedef struct ctxlab_txt_cursor {
  uint64_t token;       /* index of the next token */
  uint64_t buf_offset;  /* file offset of buf[0] */
  size_t pos, len;      /* the next byte is buf[pos]; buf[0..len) is valid */
  uint64_t line;        /* 1-based line of the next byte */
  uint64_t line_start;  /* file offset where that line starts */
  uint64_t on_line;     /* tokens already parsed on that line */
  uint64_t line_length; /* tokens per line */
  ctxlab_sha256 *hash;  /* when set, every block read is hashed (verification) */
} ctxlab_txt_cursor;

struct ctxlab_token_file {
  char *path;
  int fd;
  json_t *manifest;
  ctxlab_token_layout layout;
  uint64_t size;        /* bytes */
  uint64_t data_offset; /* where the tokens start (.bin, .npy) */
  unsigned width;       /* bytes per token (.bin, .npy) */
  unsigned char *buf;   /* CTXLAB_TOKEN_BLOCK_BYTES */
  ctxlab_txt_cursor txt;
};

/* Read exactly len bytes at offset; a short read is CTXLAB_EFORMAT (the file
 * is shorter than its header and manifest say). */
int ctxlab_token_file_pread(ctxlab_token_file *f, void *buf, size_t len, uint64_t offset,
                            ctxlab_error *err);

/* .txt: check what can be checked without parsing (size bounds, final '\n'). */
int ctxlab_txt_check_size(ctxlab_token_file *f, ctxlab_error *err);
/* .txt: move the cursor to the top of the file; hash, when non-NULL, then
 * receives every byte the parser reads (verification). */
void ctxlab_txt_rewind(ctxlab_token_file *f, ctxlab_sha256 *hash);
/* .txt: tokens [first, first+n) into out (NULL: parse and check only), parsed
 * from the cursor, which is rewound first when first lies behind it. */
int ctxlab_txt_read(ctxlab_token_file *f, uint64_t first, size_t n, uint32_t *out,
                    ctxlab_error *err);
/* .txt: after the last token, check that nothing follows (hashing what is read). */
int ctxlab_txt_check_end(ctxlab_token_file *f, ctxlab_error *err);

#endif
