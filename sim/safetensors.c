/* safetensors files (format: sim/safetensors.h). */
#include "sim/safetensors.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic_file.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this build would need byte swapping"
#endif

#define NAME_SIZE 128
/* A header larger than this is not a checkpoint of ours (safetensors itself caps it at 100 MB). */
#define MAX_HEADER ((uint64_t)100 << 20)

static const struct {
  const char *name;
  size_t size;
} DTYPES[] = {{"F32", 4}, {"F64", 8}, {"I64", 8}, {"U64", 8}, {"U32", 4}};

typedef struct entry {
  char name[NAME_SIZE];
  ctxlab_st_dtype dtype;
  int ndim;
  size_t shape[CTXLAB_ST_MAX_DIMS];
  const void *data; /* writer: the caller's; reader: inside the file buffer */
  size_t nbytes;
  void *owned; /* writer: data, when the writer frees it */
} entry;

static size_t element_count(int ndim, const size_t *shape) {
  size_t n = 1;
  for (int i = 0; i < ndim; ++i) n *= shape[i];
  return n;
}

/* ---- writing ------------------------------------------------------------ */

struct ctxlab_st_writer {
  entry *entries;
  size_t n, cap;
  json_t *meta;
};

int ctxlab_st_writer_new(ctxlab_st_writer **out, ctxlab_error *err) {
  ctxlab_st_writer *w = calloc(1, sizeof *w);
  if (w) w->meta = json_object();
  if (!w || !w->meta) {
    free(w);
    return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (checkpoint writer)");
  }
  *out = w;
  return CTXLAB_OK;
}

void ctxlab_st_writer_free(ctxlab_st_writer *w) {
  if (!w) return;
  for (size_t i = 0; i < w->n; ++i) free(w->entries[i].owned);
  free(w->entries);
  json_decref(w->meta);
  free(w);
}

int ctxlab_st_writer_add(ctxlab_st_writer *w, const char *name, ctxlab_st_dtype dtype, int ndim,
                         const size_t *shape, const void *data, ctxlab_error *err) {
  if (strlen(name) >= NAME_SIZE || strcmp(name, "__metadata__") == 0 || ndim < 0 ||
      ndim > CTXLAB_ST_MAX_DIMS)
    return ctxlab_error_set(err, CTXLAB_EINVAL, "tensor '%s': bad name or rank", name);
  for (size_t i = 0; i < w->n; ++i)
    if (strcmp(w->entries[i].name, name) == 0)
      return ctxlab_error_set(err, CTXLAB_EINVAL, "tensor '%s' added twice", name);
  if (w->n == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 32;
    entry *e = realloc(w->entries, cap * sizeof *e);
    if (!e) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory (checkpoint writer)");
    w->entries = e;
    w->cap = cap;
  }
  entry *e = &w->entries[w->n++];
  memset(e, 0, sizeof *e);
  snprintf(e->name, sizeof e->name, "%s", name);
  e->dtype = dtype;
  e->ndim = ndim;
  for (int i = 0; i < ndim; ++i) e->shape[i] = shape[i];
  e->data = data;
  e->nbytes = element_count(ndim, shape) * DTYPES[dtype].size;
  return CTXLAB_OK;
}

int ctxlab_st_writer_add_owned(ctxlab_st_writer *w, const char *name, ctxlab_st_dtype dtype,
                               int ndim, const size_t *shape, void *data, ctxlab_error *err) {
  int st = ctxlab_st_writer_add(w, name, dtype, ndim, shape, data, err);
  if (st) {
    free(data);
    return st;
  }
  w->entries[w->n - 1].owned = data;
  return CTXLAB_OK;
}

int ctxlab_st_writer_set_meta(ctxlab_st_writer *w, const char *key, const char *value,
                              ctxlab_error *err) {
  if (json_object_set_new(w->meta, key, json_string(value)))
    return ctxlab_error_set(err, CTXLAB_EINVAL, "metadata '%s': not valid UTF-8 text", key);
  return CTXLAB_OK;
}

/* The header JSON, padded with spaces to a multiple of 8 bytes. */
static char *header_text(const ctxlab_st_writer *w, size_t *len) {
  json_t *h = json_object();
  int bad = !h || json_object_set(h, "__metadata__", w->meta);
  size_t offset = 0;
  for (size_t i = 0; i < w->n && !bad; ++i) {
    const entry *e = &w->entries[i];
    json_t *shape = json_array();
    for (int k = 0; k < e->ndim; ++k) json_array_append_new(shape, json_integer((json_int_t)e->shape[k]));
    json_t *t = json_pack("{s:s, s:o, s:[I, I]}", "dtype", DTYPES[e->dtype].name, "shape", shape,
                          "data_offsets", (json_int_t)offset, (json_int_t)(offset + e->nbytes));
    bad = !t || json_object_set_new(h, e->name, t);
    offset += e->nbytes;
  }
  char *text = bad ? NULL : json_dumps(h, JSON_COMPACT);
  json_decref(h);
  if (!text) return NULL;
  size_t n = strlen(text), padded = (n + 7) / 8 * 8;
  char *out = realloc(text, padded + 1);
  if (!out) {
    free(text);
    return NULL;
  }
  memset(out + n, ' ', padded - n);
  out[padded] = '\0';
  *len = padded;
  return out;
}

int ctxlab_st_writer_save(ctxlab_st_writer *w, const char *path, ctxlab_error *err) {
  size_t hlen;
  char *header = header_text(w, &hlen);
  if (!header) return ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory (header)", path);
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
  ctxlab_atomic_file f;
  int st = ctxlab_atomic_file_create(&f, path, err);
  if (st) {
    free(header);
    return st;
  }
  st = ctxlab_atomic_file_write(&f, prefix, 8, err);
  if (!st) st = ctxlab_atomic_file_write(&f, header, hlen, err);
  for (size_t i = 0; i < w->n && !st; ++i)
    st = ctxlab_atomic_file_write(&f, w->entries[i].data, w->entries[i].nbytes, err);
  if (!st) st = ctxlab_atomic_file_sync(&f, err);
  if (!st) st = ctxlab_atomic_file_commit(&f, err);
  ctxlab_atomic_file_discard(&f);
  free(header);
  return st;
}

/* ---- reading ------------------------------------------------------------ */

struct ctxlab_st_file {
  unsigned char *bytes;
  entry *entries;
  size_t n;
  json_t *meta; /* object of strings, possibly empty */
};

void ctxlab_st_free(ctxlab_st_file *f) {
  if (!f) return;
  free(f->bytes);
  free(f->entries);
  json_decref(f->meta);
  free(f);
}

static int read_all(const char *path, unsigned char **bytes, size_t *size, ctxlab_error *err) {
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return ctxlab_error_set(err, errno == ENOENT || errno == EACCES ? CTXLAB_EINVAL : CTXLAB_EIO,
                            "%s: %s", path, strerror(errno));
  unsigned char *buf = NULL;
  size_t n = 0, cap = 0;
  int st = CTXLAB_OK;
  for (;;) {
    if (n == cap) {
      cap = cap ? 2 * cap : 1 << 16;
      unsigned char *b = realloc(buf, cap);
      if (!b) {
        st = ctxlab_error_set(err, CTXLAB_ENOMEM, "%s: out of memory", path);
        break;
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n, fp);
    n += got;
    if (got == 0) {
      if (ferror(fp)) st = ctxlab_error_set(err, CTXLAB_EIO, "%s: read error", path);
      break;
    }
  }
  fclose(fp);
  if (st) {
    free(buf);
    return st;
  }
  *bytes = buf;
  *size = n;
  return CTXLAB_OK;
}

static int parse_entry(const char *path, const char *name, json_t *v, entry *e, size_t data_size,
                       ctxlab_error *err) {
  const char *dtype;
  json_t *shape, *offsets;
  if (json_unpack(v, "{s:s, s:o, s:o !}", "dtype", &dtype, "shape", &shape, "data_offsets",
                  &offsets) ||
      !json_is_array(shape) || !json_is_array(offsets) || json_array_size(offsets) != 2)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: tensor '%s': expected {\"dtype\", \"shape\", \"data_offsets\"}",
                            path, name);
  if (strlen(name) >= NAME_SIZE)
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: tensor name '%.40s...' is too long", path, name);
  snprintf(e->name, sizeof e->name, "%s", name);
  size_t k = 0;
  for (; k < sizeof DTYPES / sizeof DTYPES[0]; ++k)
    if (strcmp(DTYPES[k].name, dtype) == 0) break;
  if (k == sizeof DTYPES / sizeof DTYPES[0])
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: tensor '%s': unsupported dtype %s", path,
                            name, dtype);
  e->dtype = (ctxlab_st_dtype)k;
  if (json_array_size(shape) > CTXLAB_ST_MAX_DIMS)
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: tensor '%s': more than %d dimensions", path,
                            name, CTXLAB_ST_MAX_DIMS);
  e->ndim = (int)json_array_size(shape);
  unsigned __int128 count = 1;
  for (int i = 0; i < e->ndim; ++i) {
    json_t *s = json_array_get(shape, (size_t)i);
    if (!json_is_integer(s) || json_integer_value(s) < 0)
      return ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: tensor '%s': bad shape", path, name);
    e->shape[i] = (size_t)json_integer_value(s);
    count *= e->shape[i];
    if (count > data_size) break; /* too large either way; checked below */
  }
  json_t *b = json_array_get(offsets, 0), *en = json_array_get(offsets, 1);
  if (!json_is_integer(b) || !json_is_integer(en) || json_integer_value(b) < 0 ||
      json_integer_value(en) < json_integer_value(b) ||
      (uint64_t)json_integer_value(en) > data_size)
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: tensor '%s': data_offsets outside the %zu data bytes", path, name,
                            data_size);
  size_t begin = (size_t)json_integer_value(b), end = (size_t)json_integer_value(en);
  if (count * DTYPES[k].size != (unsigned __int128)(end - begin))
    return ctxlab_error_set(err, CTXLAB_EFORMAT,
                            "%s: tensor '%s': %zu bytes for a shape that needs another size", path,
                            name, end - begin);
  e->data = (const void *)(uintptr_t)begin; /* rebased onto the buffer by the caller */
  e->nbytes = end - begin;
  return CTXLAB_OK;
}

static int compare_begin(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const entry *)a)->data, y = (uintptr_t)((const entry *)b)->data;
  return x < y ? -1 : x > y;
}

int ctxlab_st_load(const char *path, ctxlab_st_file **out, ctxlab_error *err) {
  *out = NULL;
  ctxlab_st_file *f = calloc(1, sizeof *f);
  if (!f) return ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
  size_t size = 0;
  json_t *h = NULL;
  int st = read_all(path, &f->bytes, &size, err);
  if (st) goto fail;
  if (size < 8) {
    st = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: %zu bytes, too short for a safetensors file",
                          path, size);
    goto fail;
  }
  uint64_t hlen = 0;
  for (int i = 0; i < 8; ++i) hlen |= (uint64_t)f->bytes[i] << (8 * i);
  if (hlen > MAX_HEADER || hlen > size - 8) {
    st = ctxlab_error_set(err, CTXLAB_EFORMAT,
                          "%s: header length %llu does not fit in the file (%zu bytes)", path,
                          (unsigned long long)hlen, size);
    goto fail;
  }
  json_error_t jerr;
  h = json_loadb((const char *)f->bytes + 8, hlen, JSON_REJECT_DUPLICATES, &jerr);
  if (!h || !json_is_object(h)) {
    st = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: header is not a JSON object (%s)", path,
                          h ? "another JSON value" : jerr.text);
    goto fail;
  }
  size_t data_size = size - 8 - hlen;
  f->entries = calloc(json_object_size(h) + 1, sizeof *f->entries);
  if (!f->entries) {
    st = ctxlab_error_set(err, CTXLAB_ENOMEM, "out of memory");
    goto fail;
  }
  const char *key;
  json_t *v;
  json_object_foreach(h, key, v) {
    if (strcmp(key, "__metadata__") == 0) {
      const char *mk;
      json_t *mv;
      int ok = json_is_object(v);
      json_object_foreach(v, mk, mv) ok = ok && json_is_string(mv);
      if (!ok) {
        st = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: __metadata__ must map names to strings",
                              path);
        goto fail;
      }
      f->meta = json_incref(v);
      continue;
    }
    if ((st = parse_entry(path, key, v, &f->entries[f->n], data_size, err))) goto fail;
    f->n++;
  }
  /* Tensors may not overlap (the format also asks them to tile the data). */
  qsort(f->entries, f->n, sizeof *f->entries, compare_begin);
  for (size_t i = 0; i < f->n; ++i) {
    uintptr_t begin = (uintptr_t)f->entries[i].data;
    if (i > 0 && begin < (uintptr_t)f->entries[i - 1].data + f->entries[i - 1].nbytes) {
      st = ctxlab_error_set(err, CTXLAB_EFORMAT, "%s: tensors '%s' and '%s' overlap", path,
                            f->entries[i - 1].name, f->entries[i].name);
      goto fail;
    }
  }
  for (size_t i = 0; i < f->n; ++i)
    f->entries[i].data = f->bytes + 8 + hlen + (uintptr_t)f->entries[i].data;
  if (!f->meta) f->meta = json_object();
  json_decref(h);
  *out = f;
  return CTXLAB_OK;
fail:
  json_decref(h);
  ctxlab_st_free(f);
  return st;
}

const char *ctxlab_st_meta(const ctxlab_st_file *f, const char *key) {
  return json_string_value(json_object_get(f->meta, key));
}

json_t *ctxlab_st_meta_object(const ctxlab_st_file *f) { return f->meta; }

static const entry *lookup(const ctxlab_st_file *f, const char *name) {
  for (size_t i = 0; i < f->n; ++i)
    if (strcmp(f->entries[i].name, name) == 0) return &f->entries[i];
  return NULL;
}

int ctxlab_st_info(const ctxlab_st_file *f, const char *name, ctxlab_st_dtype *dtype, int *ndim,
                   size_t shape[CTXLAB_ST_MAX_DIMS], ctxlab_error *err) {
  const entry *e = lookup(f, name);
  if (!e) return ctxlab_error_set(err, CTXLAB_EFORMAT, "checkpoint has no tensor '%s'", name);
  *dtype = e->dtype;
  *ndim = e->ndim;
  for (int i = 0; i < e->ndim; ++i) shape[i] = e->shape[i];
  return CTXLAB_OK;
}

int ctxlab_st_get(const ctxlab_st_file *f, const char *name, ctxlab_st_dtype dtype, int ndim,
                  const size_t *shape, const void **data, ctxlab_error *err) {
  const entry *e = lookup(f, name);
  if (!e) return ctxlab_error_set(err, CTXLAB_EFORMAT, "checkpoint has no tensor '%s'", name);
  if (e->dtype != dtype)
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "tensor '%s' is %s, expected %s", name,
                            DTYPES[e->dtype].name, DTYPES[dtype].name);
  int same = e->ndim == ndim;
  for (int i = 0; same && i < ndim; ++i) same = e->shape[i] == shape[i];
  if (!same) {
    char want[96] = "", got[96] = "";
    for (int i = 0; i < ndim; ++i)
      snprintf(want + strlen(want), sizeof want - strlen(want), "%s%zu", i ? ", " : "", shape[i]);
    for (int i = 0; i < e->ndim; ++i)
      snprintf(got + strlen(got), sizeof got - strlen(got), "%s%zu", i ? ", " : "", e->shape[i]);
    return ctxlab_error_set(err, CTXLAB_EFORMAT, "tensor '%s' has shape (%s), expected (%s)", name,
                            got, want);
  }
  *data = e->data;
  return CTXLAB_OK;
}
