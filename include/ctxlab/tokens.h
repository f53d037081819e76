/* ctxlab/tokens.h: token files (.bin, .npy, .txt) and their manifests.
 *
 * .bin  llm.c layout: a header of 256 little-endian int32, then the tokens.
 *         header[0] = 20240520 (magic)
 *         header[1] = 1: tokens are little-endian uint16 (vocab <= 65536)
 *                     2: tokens are little-endian uint32 (larger vocabularies)
 *         header[2] = token count when it is below 2^31, else -1
 *         header[3], header[4] = token count, low and high 32 bits (always)
 *         header[5] = number of sequences (0 for one stream), below 2^31
 *         header[6] = sequence length (0 for one stream), below 2^31
 *         header[7..255] = 0
 *       llm.c-style readers read header[0..2] and the uint16 tokens as they are.
 * .npy  numpy format 1.0, dtype '<u2' (vocab <= 65536) or '<u4', C order,
 *       shape (tokens,) for one stream, (sequences, length) for a set.
 * .txt  token ids in decimal separated by single spaces, one sequence per line
 *       (one line for a stream), each line ending in '\n'.
 *
 * Every data file PATH has a manifest PATH.json written beside it: the
 * canonical spec, sample seed, counts, dtype, vocab size, truth summary, ctxlab
 * version, byte size and the SHA-256 of the data file (what `sha256sum PATH`
 * prints).  Both files are written under temporary names in the same directory
 * and renamed into place only when complete, data first, so an interrupted
 * run never leaves a truncated file under a final name. */
#ifndef CTXLAB_TOKENS_H
#define CTXLAB_TOKENS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ctxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CTXLAB_BIN_MAGIC 20240520
#define CTXLAB_BIN_VERSION_U16 1
#define CTXLAB_BIN_VERSION_U32 2
#define CTXLAB_BIN_HEADER_INTS 256

typedef enum ctxlab_format { CTXLAB_FORMAT_BIN = 0, CTXLAB_FORMAT_NPY, CTXLAB_FORMAT_TXT } ctxlab_format;

/* "bin" / "npy" / "txt" <-> enum.  parse returns EINVAL for anything else. */
const char *ctxlab_format_name(ctxlab_format format);
int ctxlab_format_parse(const char *name, ctxlab_format *out, ctxlab_error *err);

/* The shape of a token file. */
typedef struct ctxlab_token_layout {
  ctxlab_format format;
  uint32_t vocab_size; /* tokens are in [0, vocab_size); >= 1 */
  uint64_t sequences;  /* 0: one stream of `tokens` tokens */
  uint64_t length;     /* tokens per sequence (0 for a stream) */
  uint64_t tokens;     /* total; = sequences * length for a set */
} ctxlab_token_layout;

/* "uint16" for vocab_size <= 65536, else "uint32". */
const char *ctxlab_token_dtype_name(uint32_t vocab_size);

/* ---- writing ------------------------------------------------------------- */

typedef struct ctxlab_token_writer ctxlab_token_writer;

/* Start writing PATH with the given layout: creates a temporary file beside
 * PATH and writes the header.  Nothing appears under PATH until finish. */
int ctxlab_token_writer_open(const char *path, const ctxlab_token_layout *layout,
                             ctxlab_token_writer **out, ctxlab_error *err);

/* Append n tokens (each < vocab_size; checked) in order.  Writing more tokens
 * than the layout declares is an error.  After any failed write the writer
 * can only be aborted (finish fails). */
int ctxlab_token_writer_write(ctxlab_token_writer *w, const uint32_t *tokens, size_t n,
                              ctxlab_error *err);

/* Complete the file: checks the token count, flushes, renames the data file to
 * PATH, then writes the manifest PATH.json (atomically): the object `manifest`
 * with "file", "format", "dtype", "bytes" and "sha256" added by this function.
 * On any failure both temporary files are removed and PATH is untouched.
 * The writer is freed in all cases.  manifest NULL means an empty object;
 * sha256_hex (65 bytes) may be NULL. */
int ctxlab_token_writer_finish(ctxlab_token_writer *w, json_t *manifest, char *sha256_hex,
                               ctxlab_error *err);

/* Abandon the file: remove the temporary file and free the writer. */
void ctxlab_token_writer_abort(ctxlab_token_writer *w);

/* ---- reading ------------------------------------------------------------- */

typedef struct ctxlab_token_file ctxlab_token_file;

/* Open PATH and its manifest PATH.json and check them against each other:
 * manifest syntax and fields, file size, .bin magic/version/counts or .npy
 * header, and (when verify_checksum is nonzero) the SHA-256 of the whole file,
 * in a pass that also range-checks every token and fully parses .txt.
 * Every problem is CTXLAB_EFORMAT with a message naming the file, and the byte
 * offset or manifest field.  A handle must not be read from two threads at
 * once; reading .txt backwards rewinds to the start of the file. */
int ctxlab_token_file_open(const char *path, int verify_checksum, ctxlab_token_file **out,
                           ctxlab_error *err);
void ctxlab_token_file_close(ctxlab_token_file *f);

const ctxlab_token_layout *ctxlab_token_file_layout(const ctxlab_token_file *f);
const json_t *ctxlab_token_file_manifest(const ctxlab_token_file *f); /* borrowed */

/* Read tokens [first, first+n) of the file (counting across sequences) into out.
 * A token >= vocab_size is CTXLAB_EFORMAT naming its index and byte offset. */
int ctxlab_token_file_read(ctxlab_token_file *f, uint64_t first, size_t n, uint32_t *out,
                           ctxlab_error *err);

/* ---- helpers ------------------------------------------------------------- */

/* Write `text` to PATH atomically (temporary file in the same directory, fsync,
 * rename).  Used for manifests and any other output file. */
int ctxlab_write_file_atomic(const char *path, const char *text, size_t len, ctxlab_error *err);

#ifdef __cplusplus
}
#endif

#endif
