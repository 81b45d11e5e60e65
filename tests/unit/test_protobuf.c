/*
 * test_protobuf.c - the protobuf wire reader and the ONNX message decoder on
 * hand-built byte strings: edge cases of varints, lengths, nesting, unknown
 * fields, typed tensor payloads and external data paths.  Every expected
 * value is worked out from the protobuf encoding rules in the comments.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "import/onnx_model.h"
#include "import/protobuf.h"

/* ---- a tiny writer for building test messages --------------------------- */

typedef struct buf {
    uint8_t b[4096];
    size_t n;
} buf;

static void put(buf *w, const void *p, size_t n)
{
    assert_true(w->n + n <= sizeof w->b);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void varint(buf *w, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        if (v)
            c |= 0x80;
        put(w, &c, 1);
    } while (v);
}

static void tag(buf *w, unsigned num, unsigned wire) { varint(w, (uint64_t)num << 3 | wire); }
static void f_varint(buf *w, unsigned num, uint64_t v) { tag(w, num, 0); varint(w, v); }
static void f_bytes(buf *w, unsigned num, const void *p, size_t n) { tag(w, num, 2); varint(w, n); put(w, p, n); }
static void f_str(buf *w, unsigned num, const char *s) { f_bytes(w, num, s, strlen(s)); }
static void f_msg(buf *w, unsigned num, const buf *m) { f_bytes(w, num, m->b, m->n); }

static pb_span span(const buf *w) { return (pb_span){w->b, w->n, 0}; }

/* ---- varints ------------------------------------------------------------- */

static void test_varint_values(void **state)
{
    (void)state;
    /* 150 = 0b1001_0110 -> 0x96 0x01 (protobuf's documented example). */
    const uint8_t a[] = {0x96, 0x01};
    size_t pos = 0;
    uint64_t v;
    assert_true(pb_varint(a, sizeof a, &pos, &v));
    assert_int_equal(v, 150);
    assert_int_equal(pos, 2);
    /* The largest value: nine 0xff then 0x01 = 2^64 - 1. */
    const uint8_t m[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    pos = 0;
    assert_true(pb_varint(m, sizeof m, &pos, &v));
    assert_true(v == UINT64_MAX);
    /* Redundant continuation bytes are legal as long as 10 bytes suffice:
     * 0x80 0x80 0x00 is 0. */
    const uint8_t z[] = {0x80, 0x80, 0x00};
    pos = 0;
    assert_true(pb_varint(z, sizeof z, &pos, &v));
    assert_int_equal(v, 0);
    assert_int_equal(pos, 3);
}

static void test_varint_overlong(void **state)
{
    (void)state;
    size_t pos = 0;
    uint64_t v;
    /* 11 bytes: still continuing after the 10th. */
    const uint8_t a[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    assert_false(pb_varint(a, sizeof a, &pos, &v));
    /* 10th byte 0x02 would be bit 64: overflow. */
    const uint8_t b[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    pos = 0;
    assert_false(pb_varint(b, sizeof b, &pos, &v));
    /* Truncated: the last byte asks for more. */
    const uint8_t c[] = {0x96};
    pos = 0;
    assert_false(pb_varint(c, sizeof c, &pos, &v));
    assert_int_equal(pos, 0);   /* the cursor does not move on failure */
    /* Nothing at all. */
    assert_false(pb_varint(c, 0, &pos, &v));
}

/* ---- fields -------------------------------------------------------------- */

static void test_fields_in_order(void **state)
{
    (void)state;
    buf w = {0};
    f_varint(&w, 1, 7);                 /* 08 07 */
    tag(&w, 2, 5);                      /* fixed32 1.5f */
    float f = 1.5f;
    put(&w, &f, 4);
    f_str(&w, 3, "abc");
    tag(&w, 4, 1);                      /* fixed64 */
    double d = -2.25;
    put(&w, &d, 8);
    pb_reader r = pb_reader_of(span(&w));
    pb_field fl;
    char err[256];
    assert_int_equal(pb_next(&r, &fl, err, sizeof err), PB_OK);
    assert_int_equal(fl.num, 1);
    assert_int_equal(fl.u, 7);
    assert_int_equal(fl.off, 0);
    assert_int_equal(pb_next(&r, &fl, err, sizeof err), PB_OK);
    float g;
    assert_true(pb_as_float(&fl, &g));
    assert_true(g == 1.5f);
    assert_int_equal(pb_next(&r, &fl, err, sizeof err), PB_OK);
    assert_int_equal(fl.bytes.len, 3);
    assert_memory_equal(fl.bytes.p, "abc", 3);
    assert_int_equal(fl.bytes.off, 2 + 5 + 2);   /* tag+varint, tag+4, tag+len */
    assert_int_equal(pb_next(&r, &fl, err, sizeof err), PB_OK);
    double e;
    assert_true(pb_as_double(&fl, &e));
    assert_true(e == -2.25);
    assert_int_equal(pb_next(&r, &fl, err, sizeof err), PB_END);
}

static void expect_error(const uint8_t *p, size_t n, const char *needle)
{
    pb_reader r = pb_reader_of((pb_span){p, n, 100});
    pb_field f;
    char err[256] = "";
    pb_status st;
    while ((st = pb_next(&r, &f, err, sizeof err)) == PB_OK)
        ;
    assert_int_equal(st, PB_ERROR);
    assert_non_null(strstr(err, needle));
}

static void test_length_past_end(void **state)
{
    (void)state;
    /* field 1, LEN 5, but only 2 bytes follow; the span starts at file
     * offset 100, so the message names byte 100. */
    const uint8_t a[] = {0x0a, 0x05, 'a', 'b'};
    expect_error(a, sizeof a, "byte 100");
    expect_error(a, sizeof a, "runs past the end");
    /* A length varint so large it would wrap a size_t addition. */
    const uint8_t b[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'x'};
    expect_error(b, sizeof b, "runs past the end");
    /* Truncated fixed32 and fixed64. */
    const uint8_t c[] = {0x0d, 1, 2, 3};
    expect_error(c, sizeof c, "fixed32");
    const uint8_t d[] = {0x09, 1, 2, 3, 4, 5, 6, 7};
    expect_error(d, sizeof d, "fixed64");
}

static void test_bad_tags(void **state)
{
    (void)state;
    const uint8_t zero[] = {0x00, 0x01};          /* field number 0 */
    expect_error(zero, sizeof zero, "invalid field number");
    const uint8_t group[] = {0x0b, 0x0c};         /* start/end group */
    expect_error(group, sizeof group, "group");
    const uint8_t w6[] = {0x0e, 0x00};            /* wire type 6 */
    expect_error(w6, sizeof w6, "wire type 6");
    const uint8_t w7[] = {0x0f, 0x00};
    expect_error(w7, sizeof w7, "wire type 7");
    const uint8_t trunc_tag[] = {0x80};
    expect_error(trunc_tag, sizeof trunc_tag, "tag");
    /* Field number 2^29 does not fit the 29 bits protobuf allows. */
    buf w = {0};
    varint(&w, (uint64_t)1 << 32);
    varint(&w, 0);
    expect_error(w.b, w.n, "invalid field number");
}

static void test_packed(void **state)
{
    (void)state;
    size_t n;
    const uint8_t v[] = {0x01, 0x96, 0x01, 0x7f};   /* 1, 150, 127 */
    assert_true(pb_packed_count((pb_span){v, sizeof v, 0}, PB_WIRE_VARINT, &n));
    assert_int_equal(n, 3);
    const uint8_t bad[] = {0x01, 0x96};              /* truncated second varint */
    assert_false(pb_packed_count((pb_span){bad, sizeof bad, 0}, PB_WIRE_VARINT, &n));
    const uint8_t f6[6] = {0};                       /* 6 bytes of fixed32: not whole */
    assert_false(pb_packed_count((pb_span){f6, 6, 0}, PB_WIRE_I32, &n));
    assert_true(pb_packed_count((pb_span){f6, 4, 0}, PB_WIRE_I32, &n));
    assert_int_equal(n, 1);
}

/* ---- ONNX messages -------------------------------------------------------- */

static void test_tensor_unknown_fields_skipped(void **state)
{
    (void)state;
    buf w = {0};
    f_varint(&w, 99, 12345);        /* unknown varint */
    f_str(&w, 100, "ignore me");    /* unknown bytes */
    tag(&w, 101, 5);                /* unknown fixed32 */
    put(&w, "\0\0\0\0", 4);
    f_varint(&w, 1, 2);             /* dims 2 (unpacked) */
    buf dims = {0};
    varint(&dims, 3);
    f_msg(&w, 1, &dims);            /* dims 3 (packed) */
    f_varint(&w, 2, ONNX_INT8);
    f_str(&w, 8, "t");
    /* int32_data: -1, 5 packed; then 7, -128, 127, 0 one by one.  Negative
     * int32 values are 10-byte sign-extended varints. */
    buf packed = {0};
    varint(&packed, (uint64_t)(int64_t)-1);
    varint(&packed, 5);
    f_msg(&w, 5, &packed);
    f_varint(&w, 5, 7);
    f_varint(&w, 5, (uint64_t)(int64_t)-128);
    f_varint(&w, 5, 127);
    f_varint(&w, 5, 0);
    onnx_tensor t;
    char err[256];
    assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
    assert_int_equal(t.n_dims, 2);
    assert_int_equal(t.dims[0], 2);
    assert_int_equal(t.dims[1], 3);
    assert_int_equal(t.data_type, ONNX_INT8);
    void *data;
    size_t nb;
    assert_true(onnx_tensor_load(&t, NULL, &data, &nb, err, sizeof err));
    assert_int_equal(nb, 6);
    const int8_t want[6] = {-1, 5, 7, -128, 127, 0};
    assert_memory_equal(data, want, 6);
    free(data);
    onnx_tensor_free(&t);
}

static void test_tensor_payload_errors(void **state)
{
    (void)state;
    char err[256];
    void *data;
    size_t nb;
    onnx_tensor t;
    /* raw_data of 7 bytes for a [2] float tensor (needs 8). */
    buf w = {0};
    f_varint(&w, 1, 2);
    f_varint(&w, 2, ONNX_FLOAT);
    f_bytes(&w, 9, "1234567", 7);
    assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
    assert_false(onnx_tensor_load(&t, NULL, &data, &nb, err, sizeof err));
    assert_non_null(strstr(err, "raw_data holds 7 bytes"));
    onnx_tensor_free(&t);
    /* float_data with 3 values for dims [2]. */
    buf v = {0};
    f_varint(&v, 1, 2);
    f_varint(&v, 2, ONNX_FLOAT);
    float fs[3] = {1, 2, 3};
    f_bytes(&v, 4, fs, sizeof fs);
    assert_true(onnx_tensor_decode(span(&v), &t, err, sizeof err));
    assert_false(onnx_tensor_load(&t, NULL, &data, &nb, err, sizeof err));
    assert_non_null(strstr(err, "float_data holds 3 values"));
    onnx_tensor_free(&t);
    /* No data at all. */
    buf e = {0};
    f_varint(&e, 1, 4);
    f_varint(&e, 2, ONNX_INT64);
    assert_true(onnx_tensor_decode(span(&e), &t, err, sizeof err));
    assert_false(onnx_tensor_load(&t, NULL, &data, &nb, err, sizeof err));
    assert_non_null(strstr(err, "no data"));
    onnx_tensor_free(&t);
    /* Dims whose product overflows. */
    buf o = {0};
    for (int i = 0; i < 4; i++)
        f_varint(&o, 1, (uint64_t)1 << 20);
    f_varint(&o, 2, ONNX_FLOAT);
    assert_true(onnx_tensor_decode(span(&o), &t, err, sizeof err));
    assert_false(onnx_tensor_load(&t, NULL, &data, &nb, err, sizeof err));
    assert_non_null(strstr(err, "too large"));
    onnx_tensor_free(&t);
    /* Sub-byte type: refused by name. */
    buf s = {0};
    f_varint(&s, 1, 2);
    f_varint(&s, 2, ONNX_INT4);
    f_bytes(&s, 9, "\x12", 1);
    assert_true(onnx_tensor_decode(span(&s), &t, err, sizeof err));
    assert_false(onnx_tensor_load(&t, NULL, &data, &nb, err, sizeof err));
    assert_non_null(strstr(err, "INT4"));
    onnx_tensor_free(&t);
}

static void test_nested_truncation(void **state)
{
    (void)state;
    /* ModelProto.graph (field 7) holding a node (field 1) whose length runs
     * past the end of the graph - but not past the end of the file, so only
     * a reader that bounds nested messages by their parent catches it. */
    buf graph = {0};
    tag(&graph, 1, 2);
    varint(&graph, 50);          /* claims 50 bytes */
    put(&graph, "xx", 2);        /* has 2 */
    buf model = {0};
    f_varint(&model, 1, 8);
    f_msg(&model, 7, &graph);
    f_str(&model, 2, "a producer name long enough to cover fifty bytes of slack after the graph");
    onnx_model m;
    char err[512];
    assert_false(onnx_model_decode(model.b, model.n, &m, err, sizeof err));
    assert_non_null(strstr(err, "GraphProto"));
    assert_non_null(strstr(err, "byte 4"));   /* the node's tag: after 08 08 3a <len> */
    /* A node whose attribute's tensor is truncated inside. */
    buf tensor = {0};
    tag(&tensor, 9, 2);
    varint(&tensor, 9);
    buf attr = {0};
    f_str(&attr, 1, "value");
    f_msg(&attr, 5, &tensor);
    buf node = {0};
    f_str(&node, 4, "Constant");
    f_msg(&node, 5, &attr);
    buf g2 = {0};
    f_msg(&g2, 1, &node);
    buf m2 = {0};
    f_msg(&m2, 7, &g2);
    assert_false(onnx_model_decode(m2.b, m2.n, &m, err, sizeof err));
    assert_non_null(strstr(err, "AttributeProto.t"));
}

static void test_wrong_wire_type(void **state)
{
    (void)state;
    /* NodeProto.op_type (4) sent as a varint. */
    buf node = {0};
    f_varint(&node, 4, 3);
    buf g = {0};
    f_msg(&g, 1, &node);
    buf m = {0};
    f_msg(&m, 7, &g);
    onnx_model om;
    char err[512];
    assert_false(onnx_model_decode(m.b, m.n, &om, err, sizeof err));
    assert_non_null(strstr(err, "NodeProto.op_type"));
    /* The empty message is a valid (empty) model. */
    assert_true(onnx_model_decode(m.b, 0, &om, err, sizeof err));
    assert_false(om.has_graph);
    onnx_model_free(&om);
}

/* The table-driven decoder: repeated scalars packed and unpacked into one
 * array, and a malformed entry of a repeated sub-message named with its
 * index ("TensorShapeProto.dim[1]", not just the field). */
static void test_repeated_fields(void **state)
{
    (void)state;
    buf attr = {0};
    f_str(&attr, 1, "pads");
    f_varint(&attr, 8, 5);                      /* ints: 5, then packed 6 7, then 8 */
    buf packed = {0};
    varint(&packed, 6);
    varint(&packed, 7);
    f_msg(&attr, 8, &packed);
    f_varint(&attr, 8, 8);
    tag(&attr, 7, 5);                           /* floats: 1.5 unpacked, then packed 2.5 */
    put(&attr, "\x00\x00\xc0\x3f", 4);
    f_bytes(&attr, 7, "\x00\x00\x20\x40", 4);
    f_str(&attr, 9, "a");
    f_str(&attr, 9, "bc");
    buf node = {0};
    f_str(&node, 1, "x");
    f_str(&node, 1, "");
    f_str(&node, 2, "y");
    f_str(&node, 4, "Pad");
    f_msg(&node, 5, &attr);
    buf g = {0};
    f_msg(&g, 1, &node);
    buf m = {0};
    f_msg(&m, 7, &g);
    onnx_model om;
    char err[512];
    assert_true(onnx_model_decode(m.b, m.n, &om, err, sizeof err));
    const onnx_node *n = &om.graph.nodes[0];
    assert_int_equal(n->n_in, 2);
    assert_int_equal(n->n_out, 1);
    assert_int_equal(n->in[1].len, 0);
    const onnx_attr *a = &n->attr[0];
    assert_int_equal(a->n_ints, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(a->ints[i], 5 + i);
    assert_int_equal(a->n_floats, 2);
    assert_true(a->floats[0] == 1.5f && a->floats[1] == 2.5f);
    assert_int_equal(a->n_strings, 2);
    assert_int_equal(a->strings[1].len, 2);
    onnx_model_free(&om);

    /* graph input 'x' [3, <dim_value sent length-delimited>] */
    buf d0 = {0}, d1 = {0}, shape = {0}, tt = {0}, type = {0}, vi = {0}, g2 = {0}, m2 = {0};
    f_varint(&d0, 1, 3);
    f_bytes(&d1, 1, "\x04", 1);
    f_msg(&shape, 1, &d0);
    f_msg(&shape, 1, &d1);
    f_varint(&tt, 1, ONNX_FLOAT);
    f_msg(&tt, 2, &shape);
    f_msg(&type, 1, &tt);
    f_str(&vi, 1, "x");
    f_msg(&vi, 2, &type);
    f_msg(&g2, 11, &vi);
    f_msg(&m2, 7, &g2);
    assert_false(onnx_model_decode(m2.b, m2.n, &om, err, sizeof err));
    assert_non_null(strstr(err, "(TensorShapeProto.dim[1])"));
    assert_non_null(strstr(err, "Dimension.dim_value"));
}

static void test_model_fields(void **state)
{
    (void)state;
    buf dim = {0};
    f_str(&dim, 2, "batch");
    buf dim2 = {0};
    f_varint(&dim2, 1, 3);
    buf shape = {0};
    f_msg(&shape, 1, &dim);
    f_msg(&shape, 1, &dim2);
    buf tt = {0};
    f_varint(&tt, 1, ONNX_FLOAT);
    f_msg(&tt, 2, &shape);
    buf type = {0};
    f_msg(&type, 1, &tt);
    buf vi = {0};
    f_str(&vi, 1, "x");
    f_msg(&vi, 2, &type);
    buf attr = {0};
    f_str(&attr, 1, "perm");
    f_varint(&attr, 20, ONNX_ATTR_INTS);
    buf ints = {0};
    varint(&ints, 1);
    varint(&ints, 0);
    f_msg(&attr, 8, &ints);
    buf node = {0};
    f_str(&node, 1, "x");
    f_str(&node, 2, "y");
    f_str(&node, 4, "Transpose");
    f_msg(&node, 5, &attr);
    buf g = {0};
    f_msg(&g, 1, &node);
    f_msg(&g, 11, &vi);
    buf op = {0};
    f_str(&op, 1, "");
    f_varint(&op, 2, 13);
    buf m = {0};
    f_varint(&m, 1, 8);
    f_msg(&m, 7, &g);
    f_msg(&m, 8, &op);
    onnx_model om;
    char err[512];
    assert_true(onnx_model_decode(m.b, m.n, &om, err, sizeof err));
    assert_int_equal(om.ir_version, 8);
    assert_int_equal(om.n_opsets, 1);
    assert_int_equal(om.opsets[0].version, 13);
    assert_int_equal(om.graph.n_nodes, 1);
    const onnx_node *n = &om.graph.nodes[0];
    assert_true(onnx_str_eq(n->op_type, "Transpose"));
    assert_int_equal(n->n_attr, 1);
    assert_int_equal(n->attr[0].n_ints, 2);
    assert_int_equal(n->attr[0].ints[0], 1);
    assert_int_equal(om.graph.n_inputs, 1);
    const onnx_value_info *v = &om.graph.inputs[0];
    assert_true(v->is_tensor && v->has_shape);
    assert_int_equal(v->rank, 2);
    assert_false(v->dims[0].has_value);
    assert_true(onnx_str_eq(v->dims[0].param, "batch"));
    assert_int_equal(v->dims[1].value, 3);
    onnx_model_free(&om);
}

/* int32/enum fields are varints holding a sign-extended int32: a value
 * outside that range is refused naming the field, never truncated
 * ((1 << 32) + 1 used to read as 1, FLOAT). */
static void test_int32_fields_out_of_range(void **state)
{
    (void)state;
    const uint64_t big = ((uint64_t)1 << 32) + 1;
    onnx_tensor t;
    char err[512];
    buf w = {0};
    f_varint(&w, 1, 1);
    f_varint(&w, 2, big);
    f_bytes(&w, 9, "\0\0\0\0", 4);
    assert_false(onnx_tensor_decode(span(&w), &t, err, sizeof err));
    assert_non_null(strstr(err, "TensorProto.data_type is 4294967297"));
    buf l = {0};
    f_varint(&l, 2, ONNX_FLOAT);
    f_varint(&l, 14, big);
    assert_false(onnx_tensor_decode(span(&l), &t, err, sizeof err));
    assert_non_null(strstr(err, "TensorProto.data_location"));
    /* A negative int32 is a 10-byte varint and stays in range. */
    buf n = {0};
    f_varint(&n, 2, (uint64_t)(int64_t)-3);
    assert_true(onnx_tensor_decode(span(&n), &t, err, sizeof err));
    assert_int_equal(t.data_type, -3);
    onnx_tensor_free(&t);
    /* elem_type of a graph input, and an attribute's type, in a model. */
    buf tt = {0};
    f_varint(&tt, 1, big);
    buf type = {0};
    f_msg(&type, 1, &tt);
    buf vi = {0};
    f_str(&vi, 1, "x");
    f_msg(&vi, 2, &type);
    buf g = {0};
    f_msg(&g, 11, &vi);
    buf m = {0};
    f_msg(&m, 7, &g);
    onnx_model om;
    assert_false(onnx_model_decode(m.b, m.n, &om, err, sizeof err));
    assert_non_null(strstr(err, "TypeProto.Tensor.elem_type is 4294967297"));
    buf attr = {0};
    f_str(&attr, 1, "axis");
    f_varint(&attr, 20, big + 1);
    f_varint(&attr, 3, 1);
    buf node = {0};
    f_str(&node, 4, "Softmax");
    f_msg(&node, 5, &attr);
    buf g2 = {0};
    f_msg(&g2, 1, &node);
    buf m2 = {0};
    f_msg(&m2, 7, &g2);
    assert_false(onnx_model_decode(m2.b, m2.n, &om, err, sizeof err));
    assert_non_null(strstr(err, "AttributeProto.type is 4294967298"));
}

/* Typed data fields carry narrower element types: a value the element type
 * cannot hold is refused, not truncated to its low bytes. */
static void test_typed_values_must_fit(void **state)
{
    (void)state;
    static const struct {
        int32_t dt;
        int64_t v;
        bool fits;
    } cases[] = {
        {ONNX_INT8, 127, true}, {ONNX_INT8, -128, true}, {ONNX_INT8, 128, false},
        {ONNX_INT8, -129, false}, {ONNX_UINT8, 255, true}, {ONNX_UINT8, 256, false},
        {ONNX_UINT8, -1, false}, {ONNX_INT16, -32768, true}, {ONNX_INT16, 32768, false},
        {ONNX_UINT16, 65535, true}, {ONNX_UINT16, 65536, false}, {ONNX_BOOL, 1, true},
        {ONNX_BOOL, 2, false}, {ONNX_FLOAT16, 0xFFFF, true}, {ONNX_FLOAT16, 0x10000, false},
        {ONNX_INT32, INT32_MIN, true}, {ONNX_INT32, (int64_t)INT32_MAX + 1, false},
        {ONNX_UINT32, UINT32_MAX, true}, {ONNX_UINT32, (int64_t)UINT32_MAX + 1, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf w = {0};
        f_varint(&w, 1, 1);
        f_varint(&w, 2, (uint64_t)cases[i].dt);
        f_varint(&w, cases[i].dt == ONNX_UINT32 ? 11 : 5, (uint64_t)cases[i].v);
        onnx_tensor t;
        char err[512];
        void *data;
        size_t nb;
        assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
        bool ok = onnx_tensor_load(&t, NULL, &data, &nb, err, sizeof err);
        if (ok != cases[i].fits)
            fail_msg("%s value %lld: %s", onnx_dtype_name(cases[i].dt), (long long)cases[i].v,
                     ok ? "accepted" : err);
        if (ok)
            free(data);
        else
            assert_non_null(strstr(err, "cannot hold"));
        onnx_tensor_free(&t);
    }
}

/* ---- external data ---------------------------------------------------------- */

static void ext_tensor(buf *w, const char *loc, const char *offset, const char *length)
{
    w->n = 0;
    f_varint(w, 1, 2);
    f_varint(w, 2, ONNX_INT16);
    f_str(w, 8, "w");
    buf e = {0};
    f_str(&e, 1, "location");
    f_str(&e, 2, loc);
    f_msg(w, 13, &e);
    if (offset) {
        buf o = {0};
        f_str(&o, 1, "offset");
        f_str(&o, 2, offset);
        f_msg(w, 13, &o);
    }
    if (length) {
        buf l = {0};
        f_str(&l, 1, "length");
        f_str(&l, 2, length);
        f_msg(w, 13, &l);
    }
    f_varint(w, 14, 1);
}

static void test_external_data(void **state)
{
    (void)state;
    char dir[] = "/tmp/kiln_pbtest_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/weights.bin", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("\x01\x02\x03\x04\x05\x06\x07\x08", 1, 8, f);
    fclose(f);
    buf w;
    onnx_tensor t;
    char err[512];
    void *data;
    size_t nb;
    /* [2] int16 at offset 2: bytes 03 04 05 06 -> 0x0403, 0x0605. */
    ext_tensor(&w, "weights.bin", "2", "4");
    assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
    assert_true(onnx_tensor_load(&t, dir, &data, &nb, err, sizeof err));
    assert_int_equal(nb, 4);
    assert_memory_equal(data, "\x03\x04\x05\x06", 4);
    free(data);
    onnx_tensor_free(&t);
    /* Past the end of the file. */
    ext_tensor(&w, "weights.bin", "6", NULL);
    assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
    assert_false(onnx_tensor_load(&t, dir, &data, &nb, err, sizeof err));
    assert_non_null(strstr(err, "runs past its end"));
    onnx_tensor_free(&t);
    /* Length that disagrees with the dims. */
    ext_tensor(&w, "weights.bin", NULL, "6");
    assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
    assert_false(onnx_tensor_load(&t, dir, &data, &nb, err, sizeof err));
    assert_non_null(strstr(err, "length 6"));
    onnx_tensor_free(&t);
    /* Paths that leave the model's directory. */
    const char *bad[] = {"../weights.bin", "/etc/passwd", "a/../../x", "..", "a\\b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ext_tensor(&w, bad[i], NULL, NULL);
        assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
        assert_false(onnx_tensor_load(&t, dir, &data, &nb, err, sizeof err));
        onnx_tensor_free(&t);
    }
    /* A symlink inside the directory pointing outside it. */
    char link[300];
    snprintf(link, sizeof link, "%s/escape", dir);
    char outside[] = "/tmp/kiln_pbtest_out_XXXXXX";
    int fd = mkstemp(outside);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abcd", 4), 4);
    close(fd);
    assert_int_equal(symlink(outside, link), 0);
    ext_tensor(&w, "escape", NULL, NULL);
    assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
    assert_false(onnx_tensor_load(&t, dir, &data, &nb, err, sizeof err));
    assert_non_null(strstr(err, "outside"));
    onnx_tensor_free(&t);
    /* No directory (model from memory): refused. */
    ext_tensor(&w, "weights.bin", NULL, NULL);
    assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
    assert_false(onnx_tensor_load(&t, NULL, &data, &nb, err, sizeof err));
    onnx_tensor_free(&t);
    unlink(link);
    unlink(outside);
    unlink(path);
    rmdir(dir);
}

/* External data that names a FIFO (no writer: opening it for reading would
 * wait forever) or a directory is refused on the opened descriptor, without
 * waiting.  The alarm turns a regression into a failure instead of a hang. */
static void test_external_data_not_a_regular_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/kiln_pbtest_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char fifo[300], sub[300], lnk[300];
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(lnk, sizeof lnk, "%s/to_pipe", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(symlink("pipe", lnk), 0);
    static const struct {
        const char *loc, *why;
    } cases[] = {{"pipe", "FIFO"}, {"to_pipe", "FIFO"}, {"sub", "directory"}};
    alarm(20);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf w;
        onnx_tensor t;
        char err[512];
        void *data;
        size_t nb;
        ext_tensor(&w, cases[i].loc, NULL, NULL);
        assert_true(onnx_tensor_decode(span(&w), &t, err, sizeof err));
        assert_false(onnx_tensor_load(&t, dir, &data, &nb, err, sizeof err));
        if (!strstr(err, cases[i].why) || !strstr(err, "not a regular file"))
            fail_msg("'%s': %s", cases[i].loc, err);
        onnx_tensor_free(&t);
    }
    alarm(0);
    unlink(lnk);
    unlink(fifo);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_values),
        cmocka_unit_test(test_varint_overlong),
        cmocka_unit_test(test_fields_in_order),
        cmocka_unit_test(test_length_past_end),
        cmocka_unit_test(test_bad_tags),
        cmocka_unit_test(test_packed),
        cmocka_unit_test(test_tensor_unknown_fields_skipped),
        cmocka_unit_test(test_tensor_payload_errors),
        cmocka_unit_test(test_nested_truncation),
        cmocka_unit_test(test_wrong_wire_type),
        cmocka_unit_test(test_model_fields),
        cmocka_unit_test(test_repeated_fields),
        cmocka_unit_test(test_int32_fields_out_of_range),
        cmocka_unit_test(test_typed_values_must_fit),
        cmocka_unit_test(test_external_data),
        cmocka_unit_test(test_external_data_not_a_regular_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
