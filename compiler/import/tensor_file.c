/*
 * tensor_file.c - TensorProto and .npy tensor files (see tensor_file.h).
 *
 * TensorProto goes through the ONNX decoder (onnx_model.c), which handles
 * raw_data, the typed fields and external data next to the file.  .npy is
 * parsed here: format versions 1-3, the header dictionary's 'descr',
 * 'fortran_order' and 'shape'; big-endian data is swapped to little-endian;
 * Fortran order is refused rather than silently transposed.
 */
#include "import/tensor_file.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_model.h"
#include "util/fileio.h"
#include "util/sbuf.h"

void tensor_value_free(tensor_value *v)
{
    if (!v)
        return;
    free(v->name);
    free(v->data);
    memset(v, 0, sizeof *v);
}

static bool read_pb(const uint8_t *data, size_t len, const char *path, tensor_value *out, char *err,
                    size_t errlen)
{
    onnx_tensor t;
    char msg[512];
    pb_span s = {data, len, 0};
    if (!onnx_tensor_decode(s, &t, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: not a TensorProto or .npy file: %s", path, msg);
        return false;
    }
    bool ok = false;
    if (!onnx_ir_dtype(t.data_type, &out->dtype)) {
        snprintf(err, errlen, "%s: element type %s (%d) is unsupported by Kiln", path, onnx_dtype_name(t.data_type),
                 t.data_type);
        goto done;
    }
    if (t.n_dims > IR_MAX_DIMS) {
        snprintf(err, errlen, "%s: rank %d is unsupported (Kiln supports up to %d)", path, t.n_dims, IR_MAX_DIMS);
        goto done;
    }
    char *dir = path_dir(path);
    ok = onnx_tensor_load(&t, dir, &out->data, &out->nbytes, msg, sizeof msg);
    free(dir);
    if (!ok) {
        snprintf(err, errlen, "%s: %s", path, msg);
        goto done;
    }
    out->rank = t.n_dims;
    for (int i = 0; i < t.n_dims; i++)
        out->shape[i] = t.dims[i];
    out->name = onnx_strdup(t.name);
done:
    onnx_tensor_free(&t);
    return ok;
}

/* ---- .npy ----------------------------------------------------------------- */

/* Finds 'key': in the header dictionary and returns what follows. */
static const char *npy_value(const char *h, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) {
        snprintf(pat, sizeof pat, "\"%s\"", key);
        p = strstr(h, pat);
    }
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static bool npy_descr(const char *v, ir_dtype *dt, bool *swap)
{
    if (*v != '\'' && *v != '"')
        return false;
    char q = *v++;
    char order = *v++;
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return false;
    *swap = order == '>';
    char kind = *v++;
    int size = 0;
    while (isdigit((unsigned char)*v) && size < 100)
        size = size * 10 + (*v++ - '0');
    if (*v != q)
        return false;
    switch (kind) {
    case 'f': *dt = size == 4 ? IR_DT_F32 : size == 8 ? IR_DT_F64 : size == 2 ? IR_DT_F16 : IR_DT_UNDEF; break;
    case 'i': *dt = size == 1 ? IR_DT_S8 : size == 2 ? IR_DT_S16 : size == 4 ? IR_DT_S32 : size == 8 ? IR_DT_S64 : IR_DT_UNDEF; break;
    case 'u': *dt = size == 1 ? IR_DT_U8 : size == 2 ? IR_DT_U16 : size == 4 ? IR_DT_U32 : size == 8 ? IR_DT_U64 : IR_DT_UNDEF; break;
    case 'b': *dt = size == 1 ? IR_DT_BOOL : IR_DT_UNDEF; break;
    default: *dt = IR_DT_UNDEF; break;
    }
    return *dt != IR_DT_UNDEF;
}

static bool npy_shape(const char *v, int *rank, int64_t *shape)
{
    if (*v != '(')
        return false;
    v++;
    int r = 0;
    for (;;) {
        while (*v == ' ' || *v == ',')
            v++;
        if (*v == ')')
            break;
        if (!isdigit((unsigned char)*v) || r >= IR_MAX_DIMS)
            return false;
        int64_t d = 0;
        while (isdigit((unsigned char)*v)) {
            if (d > ((int64_t)1 << 40))
                return false;
            d = d * 10 + (*v++ - '0');
        }
        if (*v == 'L')     /* Python 2 longs */
            v++;
        shape[r++] = d;
    }
    *rank = r;
    return true;
}

static bool read_npy(const uint8_t *data, size_t len, const char *path, tensor_value *out, char *err,
                     size_t errlen)
{
    if (len < 10) {
        snprintf(err, errlen, "%s: truncated .npy header", path);
        return false;
    }
    int major = data[6];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = (size_t)data[8] | (size_t)data[9] << 8;
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) {
            snprintf(err, errlen, "%s: truncated .npy header", path);
            return false;
        }
        hlen = (size_t)data[8] | (size_t)data[9] << 8 | (size_t)data[10] << 16 | (size_t)data[11] << 24;
        hoff = 12;
    } else {
        snprintf(err, errlen, "%s: .npy format version %d is unsupported", path, major);
        return false;
    }
    if (hlen > len - hoff) {
        snprintf(err, errlen, "%s: .npy header length %zu runs past the end of the file", path, hlen);
        return false;
    }
    char *h = xmalloc(hlen + 1);
    memcpy(h, data + hoff, hlen);
    h[hlen] = 0;
    bool ok = false, swap = false;
    const char *d = npy_value(h, "descr"), *f = npy_value(h, "fortran_order"), *s = npy_value(h, "shape");
    if (!d || !npy_descr(d, &out->dtype, &swap)) {
        snprintf(err, errlen, "%s: .npy 'descr' is missing or names an element type Kiln does not hold", path);
        goto out;
    }
    if (!f || strncmp(f, "False", 5) != 0) {
        snprintf(err, errlen, "%s: .npy data in Fortran order is unsupported (save it in C order)", path);
        goto out;
    }
    if (!s || !npy_shape(s, &out->rank, out->shape)) {
        snprintf(err, errlen, "%s: .npy 'shape' is missing, malformed or has rank > %d", path, IR_MAX_DIMS);
        goto out;
    }
    int64_t numel;
    if (!onnx_numel(out->shape, out->rank, &numel)) {
        snprintf(err, errlen, "%s: .npy shape is too large", path);
        goto out;
    }
    size_t es = ir_dtype_size(out->dtype), nb = (size_t)numel * es, off = hoff + hlen;
    if (len - off != nb) {
        snprintf(err, errlen, "%s: .npy holds %zu data bytes, its shape and type need %zu", path, len - off, nb);
        goto out;
    }
    out->data = xmalloc(nb ? nb : 1);
    memcpy(out->data, data + off, nb);
    out->nbytes = nb;
    if (swap && es > 1) {
        uint8_t *p = out->data;
        for (size_t i = 0; i < nb; i += es)
            for (size_t a = 0, b = es - 1; a < b; a++, b--) {
                uint8_t t = p[i + a];
                p[i + a] = p[i + b];
                p[i + b] = t;
            }
    }
    out->name = xstrdup("");
    ok = true;
out:
    free(h);
    return ok;
}

bool tensor_mem_read(const uint8_t *data, size_t len, const char *path, tensor_value *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    bool ok = len >= 6 && memcmp(data, "\x93NUMPY", 6) == 0 ? read_npy(data, len, path, out, err, errlen)
                                                            : read_pb(data, len, path, out, err, errlen);
    if (!ok)
        tensor_value_free(out);
    return ok;
}

bool tensor_file_read(const char *path, tensor_value *out, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    memset(out, 0, sizeof *out);
    if (!read_file(path, &data, &len, err, errlen))
        return false;
    bool ok = tensor_mem_read(data, len, path, out, err, errlen);
    free(data);
    return ok;
}
