/*
 * onnx_builder.h - writes small ONNX models for tests (header-only).
 *
 * A protobuf encoder (varints, length-delimited fields, fixed32) and the
 * few ONNX messages a test model needs, with the field numbers of
 * onnx/onnx.proto written here independently of the importer's own tables,
 * so a wrong number in either shows up as a failing test.  A test appends
 * inputs, outputs, initializers and nodes to one GraphProto buffer in any
 * order (protobuf repeated fields may interleave) and writes the model.
 * No validation of its own: tests use it to make odd models on purpose.
 */
#ifndef KILN_TEST_ONNX_BUILDER_H
#define KILN_TEST_ONNX_BUILDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TensorProto.DataType */
enum { OB_FLOAT = 1, OB_UINT8 = 2, OB_INT8 = 3, OB_INT32 = 6, OB_INT64 = 7 };

typedef struct ob_buf {
    uint8_t *b;
    size_t n, cap;
} ob_buf;

static inline void ob_put(ob_buf *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->b = realloc(w->b, w->cap);
    }
    if (n)
        memcpy(w->b + w->n, p, n);
    w->n += n;
}

static inline void ob_varint(ob_buf *w, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    do {
        t[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            t[n] |= 0x80;
        n++;
    } while (v);
    ob_put(w, t, n);
}

static inline void ob_tag(ob_buf *w, unsigned field, unsigned wire)
{
    ob_varint(w, (uint64_t)field << 3 | wire);
}

static inline void ob_int(ob_buf *w, unsigned field, int64_t v)
{
    ob_tag(w, field, 0);
    ob_varint(w, (uint64_t)v);
}

static inline void ob_bytes(ob_buf *w, unsigned field, const void *p, size_t n)
{
    ob_tag(w, field, 2);
    ob_varint(w, n);
    ob_put(w, p, n);
}

static inline void ob_str(ob_buf *w, unsigned field, const char *s)
{
    ob_bytes(w, field, s, strlen(s));
}

static inline void ob_f32(ob_buf *w, unsigned field, float f)
{
    uint8_t t[4];
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++)
        t[i] = (uint8_t)(u >> (8 * i));
    ob_tag(w, field, 5);
    ob_put(w, t, 4);
}

/* Appends sub as a length-delimited field and empties it. */
static inline void ob_msg(ob_buf *w, unsigned field, ob_buf *sub)
{
    ob_bytes(w, field, sub->b, sub->n);
    free(sub->b);
    memset(sub, 0, sizeof *sub);
}

/* GraphProto.input (11) / output (12): a ValueInfoProto with a tensor type. */
static inline void ob_value_info(ob_buf *g, unsigned field, const char *name, int dtype, int rank,
                                 const int64_t *dims)
{
    ob_buf shape = {0}, tensor = {0}, type = {0}, vi = {0};
    for (int i = 0; i < rank; i++) {
        ob_buf dim = {0};
        ob_int(&dim, 1, dims[i]);            /* Dimension.dim_value */
        ob_msg(&shape, 1, &dim);             /* TensorShapeProto.dim */
    }
    ob_int(&tensor, 1, dtype);               /* TypeProto.Tensor.elem_type */
    ob_msg(&tensor, 2, &shape);              /* TypeProto.Tensor.shape */
    ob_msg(&type, 1, &tensor);               /* TypeProto.tensor_type */
    ob_str(&vi, 1, name);                    /* ValueInfoProto.name */
    ob_msg(&vi, 2, &type);                   /* ValueInfoProto.type */
    ob_msg(g, field, &vi);
}

static inline void ob_input(ob_buf *g, const char *name, int dtype, int rank, const int64_t *dims)
{
    ob_value_info(g, 11, name, dtype, rank, dims);
}

static inline void ob_output(ob_buf *g, const char *name, int dtype, int rank, const int64_t *dims)
{
    ob_value_info(g, 12, name, dtype, rank, dims);
}

/* GraphProto.initializer (5): a TensorProto with raw little-endian data. */
static inline void ob_init(ob_buf *g, const char *name, int dtype, int rank, const int64_t *dims,
                           const void *raw, size_t len)
{
    ob_buf t = {0};
    for (int i = 0; i < rank; i++)
        ob_int(&t, 1, dims[i]);              /* dims */
    ob_int(&t, 2, dtype);                    /* data_type */
    ob_str(&t, 8, name);                     /* name */
    ob_bytes(&t, 9, raw, len);               /* raw_data */
    ob_msg(g, 5, &t);
}

/* A float scalar initializer (a QDQ scale) and an integer one (a zero point). */
static inline void ob_init_f32(ob_buf *g, const char *name, float v)
{
    ob_init(g, name, OB_FLOAT, 0, NULL, &v, sizeof v);
}

static inline void ob_init_i8(ob_buf *g, const char *name, int dtype, int v)
{
    const int8_t b = (int8_t)v;
    ob_init(g, name, dtype, 0, NULL, &b, 1);
}

/* AttributeProto (in a NodeProto's attribute list `attrs`): an int, or a
 * list of ints. */
static inline void ob_attr_int(ob_buf *attrs, const char *name, int64_t v)
{
    ob_buf a = {0};
    ob_str(&a, 1, name);
    ob_int(&a, 3, v);                        /* i */
    ob_int(&a, 20, 2);                       /* type INT */
    ob_msg(attrs, 5, &a);
}

static inline void ob_attr_ints(ob_buf *attrs, const char *name, int n, const int64_t *v)
{
    ob_buf a = {0};
    ob_str(&a, 1, name);
    for (int i = 0; i < n; i++)
        ob_int(&a, 8, v[i]);                 /* ints */
    ob_int(&a, 20, 7);                       /* type INTS */
    ob_msg(attrs, 5, &a);
}

/* GraphProto.node (1).  attrs: attributes made with ob_attr_* (or NULL);
 * it is consumed. */
static inline void ob_node(ob_buf *g, const char *op, const char *name, int nin,
                           const char *const *in, int nout, const char *const *out, ob_buf *attrs)
{
    ob_buf nd = {0};
    for (int i = 0; i < nin; i++)
        ob_str(&nd, 1, in[i]);
    for (int i = 0; i < nout; i++)
        ob_str(&nd, 2, out[i]);
    ob_str(&nd, 3, name);
    ob_str(&nd, 4, op);
    if (attrs && attrs->n) {
        ob_put(&nd, attrs->b, attrs->n);     /* already tagged as field 5 */
        free(attrs->b);
        memset(attrs, 0, sizeof *attrs);
    }
    ob_msg(g, 1, &nd);
}

/* Wraps graph g (consumed) in a ModelProto of the default domain at
 * `opset` and writes it to path; prints why on failure. */
static inline bool ob_write(ob_buf *g, int opset, const char *path)
{
    ob_buf m = {0}, ops = {0};
    ob_str(g, 2, "test");                    /* GraphProto.name */
    ob_int(&m, 1, 8);                        /* ir_version */
    ob_str(&m, 2, "kiln-tests");             /* producer_name */
    ob_str(&ops, 1, "");                     /* OperatorSetIdProto.domain */
    ob_int(&ops, 2, opset);                  /* .version */
    ob_msg(&m, 8, &ops);                     /* opset_import */
    ob_msg(&m, 7, g);                        /* graph */
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(m.b, 1, m.n, f) == m.n;
    if (f)
        ok = fclose(f) == 0 && ok;
    free(m.b);
    if (!ok)
        fprintf(stderr, "cannot write %s\n", path);
    return ok;
}

#endif
