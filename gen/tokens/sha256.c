/* SHA-256 through OpenSSL's EVP interface (FIPS 180-4; OpenSSL uses the CPU's
 * SHA extensions where present). */
#include <openssl/evp.h>

#include "gen/tokens/tokens_internal.h"

int ctxlab_sha256_init(ctxlab_sha256 *h, ctxlab_error *err) {
  h->ctx = EVP_MD_CTX_new();
  if (!h->ctx) return ctxlab_error_set(err, CTXLAB_ENOMEM, "cannot allocate a SHA-256 context");
  if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
    ctxlab_sha256_free(h);
    return ctxlab_error_set(err, CTXLAB_EIO, "OpenSSL cannot start a SHA-256 digest");
  }
  return CTXLAB_OK;
}

int ctxlab_sha256_update(ctxlab_sha256 *h, const void *data, size_t len, ctxlab_error *err) {
  if (EVP_DigestUpdate(h->ctx, data, len) != 1)
    return ctxlab_error_set(err, CTXLAB_EIO, "OpenSSL SHA-256 update failed");
  return CTXLAB_OK;
}

int ctxlab_sha256_final_hex(ctxlab_sha256 *h, char hex[65], ctxlab_error *err) {
  static const char digits[] = "0123456789abcdef";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(h->ctx, digest, &len) != 1 || len != 32)
    return ctxlab_error_set(err, CTXLAB_EIO, "OpenSSL SHA-256 finalisation failed");
  for (unsigned i = 0; i < 32; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[64] = '\0';
  return CTXLAB_OK;
}

void ctxlab_sha256_free(ctxlab_sha256 *h) {
  EVP_MD_CTX_free(h->ctx);
  h->ctx = NULL;
}
