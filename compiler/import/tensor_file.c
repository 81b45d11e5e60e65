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

/* The header is a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ending in '\n'.  It is parsed with a cursor that
 * never goes past `end` (the header's length as the file states it), never
 * relies on a terminating NUL, and takes only the grammar NumPy writes:
 * string literals without escapes, True/False and tuples of non-negative
 * integers.  Each of the three keys must appear exactly once. */
typedef struct npy_cur {
    const char *p, *end;
} npy_cur;

static void npy_skip_ws(npy_cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* Consumes `ch` (after whitespace); false when the next character differs. */
static bool npy_eat(npy_cur *c, char ch)
{
    npy_skip_ws(c);
    if (c->p >= c->end || *c->p != ch)
        return false;
    c->p++;
    return true;
}

/* A string literal in single or double quotes; *s and *n view its contents. */
static bool npy_string(npy_cur *c, const char **s, size_t *n)
{
    npy_skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return false;
    char q = *c->p++;
    const char *b = c->p;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || *c->p == '\n' || *c->p == '\0')
            return false;
        c->p++;
    }
    if (c->p >= c->end)
        return false;
    *s = b;
    *n = (size_t)(c->p - b);
    c->p++;
    return true;
}

static bool npy_word(npy_cur *c, const char *w)
{
    size_t n = strlen(w);
    npy_skip_ws(c);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
        return false;
    c->p += n;
    return true;
}

/* '<f4', '|u1', '>i2' ...: byte order, kind, size in bytes, nothing else. */
static bool npy_descr(const char *s, size_t n, ir_dtype *dt, bool *swap)
{
    if (n < 3 || n > 4)
        return false;
    char order = s[0], kind = s[1];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return false;
    int size = 0;
    for (size_t i = 2; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        size = size * 10 + (s[i] - '0');
    }
    *swap = order == '>';
    switch (kind) {
    case 'f': *dt = size == 4 ? IR_DT_F32 : size == 8 ? IR_DT_F64 : size == 2 ? IR_DT_F16 : IR_DT_UNDEF; break;
    case 'i': *dt = size == 1 ? IR_DT_S8 : size == 2 ? IR_DT_S16 : size == 4 ? IR_DT_S32 : size == 8 ? IR_DT_S64 : IR_DT_UNDEF; break;
    case 'u': *dt = size == 1 ? IR_DT_U8 : size == 2 ? IR_DT_U16 : size == 4 ? IR_DT_U32 : size == 8 ? IR_DT_U64 : IR_DT_UNDEF; break;
    case 'b': *dt = size == 1 ? IR_DT_BOOL : IR_DT_UNDEF; break;
    default: *dt = IR_DT_UNDEF; break;
    }
    return *dt != IR_DT_UNDEF;
}

/* (), (5,), (2, 3), (2, 3,) with optional Python 2 'L' suffixes. */
static bool npy_shape(npy_cur *c, int *rank, int64_t *shape)
{
    if (!npy_eat(c, '('))
        return false;
    int r = 0;
    for (;;) {
        npy_skip_ws(c);
        if (c->p < c->end && *c->p == ')') {
            c->p++;
            break;
        }
        if (c->p >= c->end || !isdigit((unsigned char)*c->p) || r >= IR_MAX_DIMS)
            return false;
        int64_t d = 0;
        while (c->p < c->end && isdigit((unsigned char)*c->p)) {
            if (d > ((int64_t)1 << 40))
                return false;
            d = d * 10 + (*c->p++ - '0');
        }
        if (c->p < c->end && *c->p == 'L')
            c->p++;
        shape[r++] = d;
        npy_skip_ws(c);
        if (c->p < c->end && *c->p == ',')
            c->p++;
        else if (c->p >= c->end || *c->p != ')')
            return false;
    }
    *rank = r;
    return true;
}

typedef struct npy_header {
    ir_dtype dtype;
    bool swap, fortran;
    int rank;
    int64_t shape[IR_MAX_DIMS];
} npy_header;

/* One "'key': value" entry of the dictionary; *seen has a bit per key. */
static bool npy_entry(npy_cur *c, npy_header *h, unsigned *seen, const char *path, char *err,
                      size_t errlen)
{
    const char *k, *v;
    size_t kn, vn;
    if (!npy_string(c, &k, &kn) || !npy_eat(c, ':')) {
        snprintf(err, errlen, "%s: .npy header is not a dictionary of 'key': value entries", path);
        return false;
    }
    static const char *const keys[] = {"descr", "fortran_order", "shape"};
    unsigned which = 3;
    for (unsigned i = 0; i < 3; i++)
        if (kn == strlen(keys[i]) && !memcmp(k, keys[i], kn))
            which = i;
    if (which == 3) {
        snprintf(err, errlen, "%s: .npy header has the key '%.*s' (expected descr, fortran_order, shape)",
                 path, (int)(kn > 40 ? 40 : kn), k);
        return false;
    }
    if (*seen & (1u << which)) {
        snprintf(err, errlen, "%s: .npy header gives '%s' twice", path, keys[which]);
        return false;
    }
    *seen |= 1u << which;
    bool ok;
    if (which == 0) {
        ok = npy_string(c, &v, &vn) && npy_descr(v, vn, &h->dtype, &h->swap);
        if (!ok)
            snprintf(err, errlen, "%s: .npy 'descr' is malformed or names an element type Kiln does not hold",
                     path);
    } else if (which == 1) {
        h->fortran = npy_word(c, "True");
        ok = h->fortran || npy_word(c, "False");
        if (!ok)
            snprintf(err, errlen, "%s: .npy 'fortran_order' is neither True nor False", path);
    } else {
        ok = npy_shape(c, &h->rank, h->shape);
        if (!ok)
            snprintf(err, errlen, "%s: .npy 'shape' is malformed or has rank > %d", path, IR_MAX_DIMS);
    }
    return ok;
}

static bool npy_parse_header(const char *text, size_t len, npy_header *h, const char *path, char *err,
                             size_t errlen)
{
    npy_cur c = {text, text + len};
    unsigned seen = 0;
    memset(h, 0, sizeof *h);
    if (!npy_eat(&c, '{')) {
        snprintf(err, errlen, "%s: .npy header does not start with '{'", path);
        return false;
    }
    /* Entries separated by ',', a trailing ',' allowed, then '}'. */
    while (!npy_eat(&c, '}')) {
        if (!npy_entry(&c, h, &seen, path, err, errlen))
            return false;
        if (npy_eat(&c, ','))
            continue;
        if (npy_eat(&c, '}'))
            break;
        snprintf(err, errlen, "%s: .npy header dictionary is malformed or not closed", path);
        return false;
    }
    npy_skip_ws(&c);
    if (c.p != c.end) {
        snprintf(err, errlen, "%s: .npy header has bytes after its dictionary", path);
        return false;
    }
    if (seen != 7) {
        snprintf(err, errlen, "%s: .npy header lacks '%s'", path,
                 !(seen & 1) ? "descr" : !(seen & 2) ? "fortran_order" : "shape");
        return false;
    }
    if (h->fortran) {
        snprintf(err, errlen, "%s: .npy data in Fortran order is unsupported (save it in C order)", path);
        return false;
    }
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
    npy_header h;
    if (!npy_parse_header((const char *)data + hoff, hlen, &h, path, err, errlen))
        return false;
    int64_t numel;
    if (!onnx_numel(h.shape, h.rank, &numel)) {
        snprintf(err, errlen, "%s: .npy shape is too large", path);
        return false;
    }
    size_t es = ir_dtype_size(h.dtype), nb = (size_t)numel * es, off = hoff + hlen;
    if (len - off != nb) {
        snprintf(err, errlen, "%s: .npy holds %zu data bytes, its shape and type need %zu", path, len - off, nb);
        return false;
    }
    out->dtype = h.dtype;
    out->rank = h.rank;
    memcpy(out->shape, h.shape, sizeof h.shape);
    out->data = xmalloc(nb ? nb : 1);
    memcpy(out->data, data + off, nb);
    out->nbytes = nb;
    if (h.swap && es > 1) {
        uint8_t *p = out->data;
        for (size_t i = 0; i < nb; i += es)
            for (size_t a = 0, b = es - 1; a < b; a++, b--) {
                uint8_t t = p[i + a];
                p[i + a] = p[i + b];
                p[i + b] = t;
            }
    }
    out->name = xstrdup("");
    return true;
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
