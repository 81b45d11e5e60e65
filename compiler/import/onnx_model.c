/*
 * onnx_model.c - decodes ONNX protobuf messages into the structs of
 * onnx_model.h, and loads tensor payloads.
 *
 * Relies on protobuf.c for every byte it reads.  Each message has one decode
 * function that loops over its fields; nested messages are decoded by the
 * function of their type, to a fixed depth (Model > Graph > Node > Attribute
 * > Tensor, Graph > ValueInfo > Type > Shape > Dimension), never recursively.
 * Unknown fields are skipped, as protobuf requires; a known field with the
 * wrong wire type is an error.  On any error the partial result is freed.
 */
#define _XOPEN_SOURCE 700
#include "import/onnx_model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/sbuf.h"

#define MAX_REPEATED (1 << 26)  /* entries of any one repeated field */

typedef struct dec {
    char *err;
    size_t errlen;
    int depth;                  /* subgraphs (If branches) being decoded */
} dec;

/* Nested subgraphs deeper than this are refused, so a hostile file cannot
 * exhaust the stack. */
#define MAX_GRAPH_DEPTH 8

struct onnx_graph;
static bool decode_graph_fields(dec *d, pb_span s, struct onnx_graph *g);
static void free_graph(struct onnx_graph *g);

static bool fail(dec *d, const char *where, size_t off, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(d->err, d->errlen, "malformed ONNX: byte %zu (%s): %s", off, where, msg);
    return false;
}

/* pb_next's message already starts with "byte N". */
static bool fail_pb(dec *d, const char *where, const char *pbmsg)
{
    snprintf(d->err, d->errlen, "malformed ONNX: %s (in %s)", pbmsg, where);
    return false;
}

static bool want(dec *d, const char *where, const pb_field *f, pb_wire w, const char *field)
{
    static const char *const names[] = {"varint", "fixed64", "length-delimited", "group", "group",
                                        "fixed32"};
    if (f->wire == w)
        return true;
    return fail(d, where, f->off, "field %s (#%u) has wire type %s, expected %s", field, f->num,
                names[f->wire < 6 ? f->wire : 0], names[w]);
}

/* An int32 or enum field (data_type, data_location, elem_type, attribute
 * type): protobuf sends it as a varint holding the value sign-extended to 64
 * bits, so anything outside the int32 range is a malformed file, not a
 * number to truncate ((1 << 32) + 1 must not read as 1, FLOAT). */
static bool int32_field(dec *d, const char *where, const pb_field *f, const char *field, int32_t *out)
{
    if (!want(d, where, f, PB_WIRE_VARINT, field))
        return false;
    int64_t v = (int64_t)f->u;
    if (v < INT32_MIN || v > INT32_MAX)
        return fail(d, where, f->off, "field %s is %lld, outside the int32 range of its type", field,
                    (long long)v);
    *out = (int32_t)v;
    return true;
}

#define GROW(arr, n, cap)                                                   \
    do {                                                                    \
        if ((n) == (cap)) {                                                 \
            (cap) = (cap) ? 2 * (cap) : 4;                                  \
            (arr) = xrealloc((arr), (size_t)(cap) * sizeof *(arr));         \
        }                                                                   \
    } while (0)

static bool check_count(dec *d, const char *where, const pb_field *f, int n, const char *field)
{
    if (n >= MAX_REPEATED)
        return fail(d, where, f->off, "more than %d entries in %s", MAX_REPEATED, field);
    return true;
}

/* A string that names a tensor or node must not hold NUL bytes: the
 * importer works with C strings and two names must not collide. */
static bool name_str(dec *d, const char *where, const pb_field *f, const char *field, onnx_str *out)
{
    if (!want(d, where, f, PB_WIRE_LEN, field))
        return false;
    if (memchr(f->bytes.p, 0, f->bytes.len))
        return fail(d, where, f->off, "%s contains a NUL byte", field);
    *out = f->bytes;
    return true;
}

/* Appends the int64 values of a repeated int64 field (packed or not). */
static bool push_i64(dec *d, const char *where, const pb_field *f, const char *field, int64_t **arr,
                     int *n, int *cap)
{
    if (f->wire == PB_WIRE_VARINT) {
        if (!check_count(d, where, f, *n, field))
            return false;
        GROW(*arr, *n, *cap);
        (*arr)[(*n)++] = (int64_t)f->u;
        return true;
    }
    if (f->wire != PB_WIRE_LEN)
        return want(d, where, f, PB_WIRE_VARINT, field);
    size_t k;
    if (!pb_packed_count(f->bytes, PB_WIRE_VARINT, &k))
        return fail(d, where, f->off, "packed %s holds a truncated or overlong varint", field);
    if (k >= (size_t)MAX_REPEATED - (size_t)*n)
        return fail(d, where, f->off, "more than %d entries in %s", MAX_REPEATED, field);
    size_t pos = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t v;
        pb_packed_next(f->bytes, PB_WIRE_VARINT, &pos, &v);
        GROW(*arr, *n, *cap);
        (*arr)[(*n)++] = (int64_t)v;
    }
    return true;
}

static bool push_f32(dec *d, const char *where, const pb_field *f, const char *field, float **arr,
                     int *n, int *cap)
{
    if (f->wire == PB_WIRE_I32) {
        if (!check_count(d, where, f, *n, field))
            return false;
        GROW(*arr, *n, *cap);
        pb_as_float(f, &(*arr)[(*n)++]);
        return true;
    }
    if (f->wire != PB_WIRE_LEN)
        return want(d, where, f, PB_WIRE_I32, field);
    size_t k;
    if (!pb_packed_count(f->bytes, PB_WIRE_I32, &k))
        return fail(d, where, f->off, "packed %s has a length (%zu) that is not a multiple of 4",
                    field, f->bytes.len);
    if (k >= (size_t)MAX_REPEATED - (size_t)*n)
        return fail(d, where, f->off, "more than %d entries in %s", MAX_REPEATED, field);
    size_t pos = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t v;
        pb_packed_next(f->bytes, PB_WIRE_I32, &pos, &v);
        uint32_t b = (uint32_t)v;
        GROW(*arr, *n, *cap);
        memcpy(&(*arr)[(*n)++], &b, 4);
    }
    return true;
}

/* ---- StringStringEntryProto ------------------------------------------- */

static bool decode_entry(dec *d, pb_span s, const char *where, onnx_entry *e)
{
    memset(e, 0, sizeof *e);
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        if (f.num == 1) {
            if (!want(d, where, &f, PB_WIRE_LEN, "key"))
                return false;
            e->key = f.bytes;
        } else if (f.num == 2) {
            if (!want(d, where, &f, PB_WIRE_LEN, "value"))
                return false;
            e->value = f.bytes;
        }
    }
    return st == PB_END || fail_pb(d, where, msg);
}

/* ---- TensorProto ------------------------------------------------------- */

void onnx_tensor_free(onnx_tensor *t)
{
    if (!t)
        return;
    free(t->dims);
    free(t->external);
    memset(t, 0, sizeof *t);
}

static bool decode_tensor(dec *d, pb_span s, const char *where, onnx_tensor *t)
{
    memset(t, 0, sizeof *t);
    t->msg = s;
    int cap_dims = 0, cap_ext = 0;
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        bool ok = true;
        switch (f.num) {
        case 1:
            ok = push_i64(d, where, &f, "TensorProto.dims", &t->dims, &t->n_dims, &cap_dims);
            break;
        case 2:
            ok = int32_field(d, where, &f, "TensorProto.data_type", &t->data_type);
            break;
        case 3:
            t->has_segment = true;
            break;
        case 8:
            ok = name_str(d, where, &f, "TensorProto.name", &t->name);
            break;
        case 9:
            ok = want(d, where, &f, PB_WIRE_LEN, "TensorProto.raw_data");
            t->has_raw = true;
            t->raw = f.bytes;
            break;
        case 13: {
            if (!want(d, where, &f, PB_WIRE_LEN, "TensorProto.external_data") ||
                !check_count(d, where, &f, t->n_external, "TensorProto.external_data")) {
                ok = false;
                break;
            }
            GROW(t->external, t->n_external, cap_ext);
            ok = decode_entry(d, f.bytes, "TensorProto.external_data", &t->external[t->n_external]);
            t->n_external++;
            break;
        }
        case 14:
            ok = int32_field(d, where, &f, "TensorProto.data_location", &t->data_location);
            break;
        case 4: case 10:    /* float_data, double_data: fixed width */
            if (f.wire != PB_WIRE_LEN && f.wire != (f.num == 4 ? PB_WIRE_I32 : PB_WIRE_I64))
                ok = want(d, where, &f, f.num == 4 ? PB_WIRE_I32 : PB_WIRE_I64,
                          f.num == 4 ? "TensorProto.float_data" : "TensorProto.double_data");
            break;
        case 5: case 7: case 11:   /* int32_data, int64_data, uint64_data: varints */
            if (f.wire != PB_WIRE_LEN && f.wire != PB_WIRE_VARINT)
                ok = want(d, where, &f, PB_WIRE_VARINT, "TensorProto typed data");
            break;
        default:
            break;
        }
        if (!ok) {
            onnx_tensor_free(t);
            return false;
        }
    }
    if (st == PB_ERROR) {
        onnx_tensor_free(t);
        return fail_pb(d, where, msg);
    }
    t->msg = s;
    return true;
}

bool onnx_tensor_decode(pb_span s, onnx_tensor *t, char *err, size_t errlen)
{
    dec d = {err, errlen, 0};
    return decode_tensor(&d, s, "TensorProto", t);
}

/* ---- ValueInfoProto / TypeProto / TensorShapeProto ---------------------- */

static bool decode_dim(dec *d, pb_span s, const char *where, onnx_dim *dim)
{
    memset(dim, 0, sizeof *dim);
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        if (f.num == 1) {
            if (!want(d, where, &f, PB_WIRE_VARINT, "Dimension.dim_value"))
                return false;
            dim->has_value = true;
            dim->value = (int64_t)f.u;
            dim->param.len = 0;
        } else if (f.num == 2) {
            if (!want(d, where, &f, PB_WIRE_LEN, "Dimension.dim_param"))
                return false;
            dim->param = f.bytes;
            dim->has_value = false;
        }
    }
    return st == PB_END || fail_pb(d, where, msg);
}

static bool decode_shape(dec *d, pb_span s, const char *where, onnx_value_info *vi)
{
    int cap = 0;
    vi->rank = 0;
    free(vi->dims);
    vi->dims = NULL;
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        if (f.num != 1)
            continue;
        if (!want(d, where, &f, PB_WIRE_LEN, "TensorShapeProto.dim") ||
            !check_count(d, where, &f, vi->rank, "TensorShapeProto.dim"))
            return false;
        GROW(vi->dims, vi->rank, cap);
        if (!decode_dim(d, f.bytes, "TensorShapeProto.dim", &vi->dims[vi->rank]))
            return false;
        vi->rank++;
    }
    vi->has_shape = true;
    return st == PB_END || fail_pb(d, where, msg);
}

static bool decode_tensor_type(dec *d, pb_span s, const char *where, onnx_value_info *vi)
{
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    vi->is_tensor = true;
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        if (f.num == 1) {
            if (!int32_field(d, where, &f, "TypeProto.Tensor.elem_type", &vi->elem_type))
                return false;
        } else if (f.num == 2) {
            if (!want(d, where, &f, PB_WIRE_LEN, "TypeProto.Tensor.shape") ||
                !decode_shape(d, f.bytes, "TensorShapeProto", vi))
                return false;
        }
    }
    return st == PB_END || fail_pb(d, where, msg);
}

static bool decode_type(dec *d, pb_span s, const char *where, onnx_value_info *vi)
{
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    vi->has_type = true;
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        if (f.num == 1) {
            if (!want(d, where, &f, PB_WIRE_LEN, "TypeProto.tensor_type") ||
                !decode_tensor_type(d, f.bytes, "TypeProto.Tensor", vi))
                return false;
        }
        /* sequence/map/optional/sparse types stay undecoded: is_tensor false */
    }
    return st == PB_END || fail_pb(d, where, msg);
}

static void free_value_info(onnx_value_info *vi)
{
    free(vi->dims);
}

static bool decode_value_info(dec *d, pb_span s, const char *where, onnx_value_info *vi)
{
    memset(vi, 0, sizeof *vi);
    vi->off = s.off;
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        bool ok = true;
        if (f.num == 1)
            ok = name_str(d, where, &f, "ValueInfoProto.name", &vi->name);
        else if (f.num == 2)
            ok = want(d, where, &f, PB_WIRE_LEN, "ValueInfoProto.type") &&
                 decode_type(d, f.bytes, "TypeProto", vi);
        if (!ok) {
            free_value_info(vi);
            return false;
        }
    }
    if (st == PB_ERROR) {
        free_value_info(vi);
        return fail_pb(d, where, msg);
    }
    return true;
}

/* ---- AttributeProto ----------------------------------------------------- */

static void free_attr(onnx_attr *a)
{
    if (a->g) {
        free_graph(a->g);
        free(a->g);
    }
    if (a->t) {
        onnx_tensor_free(a->t);
        free(a->t);
    }
    free(a->floats);
    free(a->ints);
    free(a->strings);
}

static bool decode_attr_fields(dec *d, pb_span s, const char *where, onnx_attr *a)
{
    int cap_f = 0, cap_i = 0, cap_s = 0;
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        switch (f.num) {
        case 1:
            if (!want(d, where, &f, PB_WIRE_LEN, "AttributeProto.name"))
                return false;
            a->name = f.bytes;
            break;
        case 20:
            if (!int32_field(d, where, &f, "AttributeProto.type", &a->type))
                return false;
            break;
        case 2:
            if (!want(d, where, &f, PB_WIRE_I32, "AttributeProto.f"))
                return false;
            pb_as_float(&f, &a->f);
            a->has_f = true;
            break;
        case 3:
            if (!want(d, where, &f, PB_WIRE_VARINT, "AttributeProto.i"))
                return false;
            a->i = (int64_t)f.u;
            a->has_i = true;
            break;
        case 4:
            if (!want(d, where, &f, PB_WIRE_LEN, "AttributeProto.s"))
                return false;
            a->s = f.bytes;
            a->has_s = true;
            break;
        case 5:
            if (!want(d, where, &f, PB_WIRE_LEN, "AttributeProto.t"))
                return false;
            if (a->t) {
                onnx_tensor_free(a->t);
            } else {
                a->t = xcalloc(1, sizeof *a->t);
            }
            if (!decode_tensor(d, f.bytes, "AttributeProto.t -> TensorProto", a->t))
                return false;
            a->has_t = true;
            break;
        case 7:
            if (!push_f32(d, where, &f, "AttributeProto.floats", &a->floats, &a->n_floats, &cap_f))
                return false;
            break;
        case 8:
            if (!push_i64(d, where, &f, "AttributeProto.ints", &a->ints, &a->n_ints, &cap_i))
                return false;
            break;
        case 9:
            if (!want(d, where, &f, PB_WIRE_LEN, "AttributeProto.strings") ||
                !check_count(d, where, &f, a->n_strings, "AttributeProto.strings"))
                return false;
            GROW(a->strings, a->n_strings, cap_s);
            a->strings[a->n_strings++] = f.bytes;
            break;
        case 10:
            a->n_tensors++;
            break;
        case 6:
            /* A subgraph (If's branches): decoded, so the importer can
             * inline the branch a constant condition takes. */
            if (!want(d, where, &f, PB_WIRE_LEN, "AttributeProto.g"))
                return false;
            if (d->depth >= MAX_GRAPH_DEPTH)
                return fail(d, where, f.off, "subgraphs nested deeper than %d", MAX_GRAPH_DEPTH);
            if (a->g) {
                free_graph(a->g);
            } else {
                a->g = xcalloc(1, sizeof *a->g);
            }
            d->depth++;
            if (!decode_graph_fields(d, f.bytes, a->g)) {
                d->depth--;
                return false;
            }
            d->depth--;
            a->n_graphs++;
            break;
        case 11:
            a->n_graphs++;
            break;
        case 21:
            a->has_ref = true;
            break;
        case 22: case 23: case 14: case 15:
            a->n_other++;
            break;
        default:
            break;
        }
        if (a->n_tensors >= MAX_REPEATED || a->n_graphs >= MAX_REPEATED || a->n_other >= MAX_REPEATED)
            return fail(d, where, f.off, "too many entries");
    }
    return st == PB_END || fail_pb(d, where, msg);
}

static bool decode_attr(dec *d, pb_span s, const char *where, onnx_attr *a)
{
    memset(a, 0, sizeof *a);
    a->off = s.off;
    if (!decode_attr_fields(d, s, where, a)) {
        free_attr(a);
        memset(a, 0, sizeof *a);
        return false;
    }
    return true;
}

/* ---- NodeProto ---------------------------------------------------------- */

static void free_node(onnx_node *n)
{
    for (int i = 0; i < n->n_attr; i++)
        free_attr(&n->attr[i]);
    free(n->attr);
    free(n->in);
    free(n->out);
}

static bool decode_node_fields(dec *d, pb_span s, const char *where, onnx_node *n)
{
    int cap_in = 0, cap_out = 0, cap_attr = 0;
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256], sub[160];
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        switch (f.num) {
        case 1:
            if (!check_count(d, where, &f, n->n_in, "NodeProto.input"))
                return false;
            GROW(n->in, n->n_in, cap_in);
            if (!name_str(d, where, &f, "NodeProto.input", &n->in[n->n_in]))
                return false;
            n->n_in++;
            break;
        case 2:
            if (!check_count(d, where, &f, n->n_out, "NodeProto.output"))
                return false;
            GROW(n->out, n->n_out, cap_out);
            if (!name_str(d, where, &f, "NodeProto.output", &n->out[n->n_out]))
                return false;
            n->n_out++;
            break;
        case 3:
            if (!want(d, where, &f, PB_WIRE_LEN, "NodeProto.name"))
                return false;
            n->name = f.bytes;
            break;
        case 4:
            if (!want(d, where, &f, PB_WIRE_LEN, "NodeProto.op_type"))
                return false;
            n->op_type = f.bytes;
            break;
        case 7:
            if (!want(d, where, &f, PB_WIRE_LEN, "NodeProto.domain"))
                return false;
            n->domain = f.bytes;
            break;
        case 5:
            if (!want(d, where, &f, PB_WIRE_LEN, "NodeProto.attribute") ||
                !check_count(d, where, &f, n->n_attr, "NodeProto.attribute"))
                return false;
            GROW(n->attr, n->n_attr, cap_attr);
            snprintf(sub, sizeof sub, "%s -> NodeProto.attribute[%d]", where, n->n_attr);
            if (!decode_attr(d, f.bytes, sub, &n->attr[n->n_attr]))
                return false;
            n->n_attr++;
            break;
        default:
            break;
        }
    }
    return st == PB_END || fail_pb(d, where, msg);
}

static bool decode_node(dec *d, pb_span s, const char *where, onnx_node *n)
{
    memset(n, 0, sizeof *n);
    n->off = s.off;
    if (!decode_node_fields(d, s, where, n)) {
        free_node(n);
        memset(n, 0, sizeof *n);
        return false;
    }
    return true;
}

/* ---- GraphProto --------------------------------------------------------- */

static void free_graph(onnx_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++)
        free_node(&g->nodes[i]);
    for (int i = 0; i < g->n_init; i++)
        onnx_tensor_free(&g->init[i]);
    for (int i = 0; i < g->n_inputs; i++)
        free_value_info(&g->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++)
        free_value_info(&g->outputs[i]);
    for (int i = 0; i < g->n_value_info; i++)
        free_value_info(&g->value_info[i]);
    free(g->nodes);
    free(g->init);
    free(g->inputs);
    free(g->outputs);
    free(g->value_info);
    memset(g, 0, sizeof *g);
}

static bool decode_vi_list(dec *d, const pb_field *f, const char *field, onnx_value_info **arr,
                           int *n, int *cap)
{
    char sub[96];
    snprintf(sub, sizeof sub, "GraphProto.%s[%d]", field, *n);
    if (!want(d, "GraphProto", f, PB_WIRE_LEN, field) || !check_count(d, "GraphProto", f, *n, field))
        return false;
    GROW(*arr, *n, *cap);
    if (!decode_value_info(d, f->bytes, sub, &(*arr)[*n]))
        return false;
    (*n)++;
    return true;
}

static bool decode_graph_fields(dec *d, pb_span s, onnx_graph *g)
{
    int cap_nodes = 0, cap_init = 0, cap_in = 0, cap_out = 0, cap_vi = 0;
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256], sub[96];
    const char *where = "GraphProto";
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        switch (f.num) {
        case 1:
            if (!want(d, where, &f, PB_WIRE_LEN, "node") ||
                !check_count(d, where, &f, g->n_nodes, "GraphProto.node"))
                return false;
            GROW(g->nodes, g->n_nodes, cap_nodes);
            snprintf(sub, sizeof sub, "GraphProto.node[%d]", g->n_nodes);
            if (!decode_node(d, f.bytes, sub, &g->nodes[g->n_nodes]))
                return false;
            g->n_nodes++;
            break;
        case 2:
            if (!want(d, where, &f, PB_WIRE_LEN, "name"))
                return false;
            g->name = f.bytes;
            break;
        case 5:
            if (!want(d, where, &f, PB_WIRE_LEN, "initializer") ||
                !check_count(d, where, &f, g->n_init, "GraphProto.initializer"))
                return false;
            GROW(g->init, g->n_init, cap_init);
            snprintf(sub, sizeof sub, "GraphProto.initializer[%d]", g->n_init);
            if (!decode_tensor(d, f.bytes, sub, &g->init[g->n_init]))
                return false;
            g->n_init++;
            break;
        case 11:
            if (!decode_vi_list(d, &f, "input", &g->inputs, &g->n_inputs, &cap_in))
                return false;
            break;
        case 12:
            if (!decode_vi_list(d, &f, "output", &g->outputs, &g->n_outputs, &cap_out))
                return false;
            break;
        case 13:
            if (!decode_vi_list(d, &f, "value_info", &g->value_info, &g->n_value_info, &cap_vi))
                return false;
            break;
        case 15:
            if (!check_count(d, where, &f, g->n_sparse_init, "GraphProto.sparse_initializer"))
                return false;
            g->n_sparse_init++;
            break;
        default:
            break;
        }
    }
    return st == PB_END || fail_pb(d, where, msg);
}

/* ---- ModelProto --------------------------------------------------------- */

static bool decode_opset(dec *d, pb_span s, onnx_opset *o)
{
    memset(o, 0, sizeof *o);
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    const char *where = "ModelProto.opset_import";
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        if (f.num == 1) {
            if (!want(d, where, &f, PB_WIRE_LEN, "OperatorSetIdProto.domain"))
                return false;
            o->domain = f.bytes;
        } else if (f.num == 2) {
            if (!want(d, where, &f, PB_WIRE_VARINT, "OperatorSetIdProto.version"))
                return false;
            o->version = (int64_t)f.u;
        }
    }
    return st == PB_END || fail_pb(d, where, msg);
}

void onnx_model_free(onnx_model *m)
{
    free_graph(&m->graph);
    free(m->opsets);
    free(m->meta);
    memset(m, 0, sizeof *m);
}

static bool decode_model_fields(dec *d, pb_span s, onnx_model *m)
{
    int cap_op = 0, cap_meta = 0;
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    const char *where = "ModelProto";
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        switch (f.num) {
        case 1:
            if (!want(d, where, &f, PB_WIRE_VARINT, "ir_version"))
                return false;
            m->ir_version = (int64_t)f.u;
            break;
        case 2: case 3: case 4:
            if (!want(d, where, &f, PB_WIRE_LEN, "producer_name/producer_version/domain"))
                return false;
            if (f.num == 2)
                m->producer_name = f.bytes;
            else if (f.num == 3)
                m->producer_version = f.bytes;
            else
                m->domain = f.bytes;
            break;
        case 5:
            if (!want(d, where, &f, PB_WIRE_VARINT, "model_version"))
                return false;
            m->model_version = (int64_t)f.u;
            break;
        case 7:
            if (!want(d, where, &f, PB_WIRE_LEN, "graph"))
                return false;
            if (m->has_graph)   /* protobuf merges repeated sub-messages; ONNX writers never do this */
                return fail(d, where, f.off, "more than one graph field");
            m->has_graph = true;
            if (!decode_graph_fields(d, f.bytes, &m->graph))
                return false;
            break;
        case 8:
            if (!want(d, where, &f, PB_WIRE_LEN, "opset_import") ||
                !check_count(d, where, &f, m->n_opsets, "ModelProto.opset_import"))
                return false;
            GROW(m->opsets, m->n_opsets, cap_op);
            if (!decode_opset(d, f.bytes, &m->opsets[m->n_opsets]))
                return false;
            m->n_opsets++;
            break;
        case 14:
            if (!want(d, where, &f, PB_WIRE_LEN, "metadata_props") ||
                !check_count(d, where, &f, m->n_meta, "ModelProto.metadata_props"))
                return false;
            GROW(m->meta, m->n_meta, cap_meta);
            if (!decode_entry(d, f.bytes, "ModelProto.metadata_props", &m->meta[m->n_meta]))
                return false;
            m->n_meta++;
            break;
        case 25:
            if (!check_count(d, where, &f, m->n_functions, "ModelProto.functions"))
                return false;
            m->n_functions++;
            break;
        default:
            break;
        }
    }
    return st == PB_END || fail_pb(d, where, msg);
}

bool onnx_model_decode(const uint8_t *data, size_t len, onnx_model *m, char *err, size_t errlen)
{
    dec d = {err, errlen, 0};
    memset(m, 0, sizeof *m);
    pb_span s = {data, len, 0};
    if (!decode_model_fields(&d, s, m)) {
        onnx_model_free(m);
        return false;
    }
    return true;
}

/* ---- strings ------------------------------------------------------------ */

char *onnx_strdup(onnx_str s)
{
    char *p = xmalloc(s.len + 1);
    if (s.len)
        memcpy(p, s.p, s.len);
    p[s.len] = 0;
    return p;
}

bool onnx_str_eq(onnx_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

/* ---- element types ------------------------------------------------------ */

size_t onnx_elem_size(int32_t dt)
{
    switch (dt) {
    case ONNX_UINT8: case ONNX_INT8: case ONNX_BOOL: return 1;
    case ONNX_UINT16: case ONNX_INT16: case ONNX_FLOAT16: case ONNX_BFLOAT16: return 2;
    case ONNX_FLOAT: case ONNX_INT32: case ONNX_UINT32: return 4;
    case ONNX_INT64: case ONNX_UINT64: case ONNX_DOUBLE: return 8;
    default: return 0;
    }
}

const char *onnx_dtype_name(int32_t dt)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
        "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
        "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
        "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2"};
    if (dt >= 0 && dt < (int32_t)(sizeof names / sizeof names[0]))
        return names[dt];
    return "unknown element type";
}

bool onnx_numel(const int64_t *dims, int n, int64_t *numel)
{
    int64_t k = 1;
    for (int i = 0; i < n; i++) {
        if (dims[i] < 0)
            return false;
        if (dims[i] == 0) {
            k = 0;
            continue;
        }
        if (k > ((int64_t)1 << 48) / dims[i])
            return false;
        k *= dims[i];
    }
    /* A zero dim anywhere makes the product 0, but later dims must still be sane. */
    for (int i = 0; i < n; i++)
        if (dims[i] > ((int64_t)1 << 48))
            return false;
    *numel = k;
    return true;
}

/* ---- payloads ----------------------------------------------------------- */

static bool terr(char *err, size_t errlen, const onnx_tensor *t, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *name = onnx_strdup(t->name);
    snprintf(err, errlen, "tensor '%s' (byte %zu): %s", name, t->msg.off, msg);
    free(name);
    return false;
}

/* Which typed field holds this element type, and its element wire type. */
static int typed_field(int32_t dt, pb_wire *w)
{
    switch (dt) {
    case ONNX_FLOAT: *w = PB_WIRE_I32; return 4;
    case ONNX_DOUBLE: *w = PB_WIRE_I64; return 10;
    case ONNX_INT64: *w = PB_WIRE_VARINT; return 7;
    case ONNX_UINT32: case ONNX_UINT64: *w = PB_WIRE_VARINT; return 11;
    case ONNX_INT32: case ONNX_INT16: case ONNX_INT8: case ONNX_UINT16: case ONNX_UINT8:
    case ONNX_BOOL: case ONNX_FLOAT16: case ONNX_BFLOAT16:
        *w = PB_WIRE_VARINT; return 5;
    default: return 0;
    }
}

static const char *typed_field_name(int num)
{
    switch (num) {
    case 4: return "float_data";
    case 5: return "int32_data";
    case 7: return "int64_data";
    case 10: return "double_data";
    case 11: return "uint64_data";
    default: return "?";
    }
}

/* Whether a value of a typed field fits the tensor's element type.  Varints
 * of int32_data arrive sign-extended to 64 bits; float16/bfloat16 travel as
 * their 16-bit patterns, bool as 0 or 1; float and double (fixed-width
 * fields) always fit. */
static bool typed_value_fits(int32_t dt, uint64_t u)
{
    int64_t v = (int64_t)u;
    switch (dt) {
    case ONNX_INT8: return v >= INT8_MIN && v <= INT8_MAX;
    case ONNX_UINT8: return u <= UINT8_MAX;
    case ONNX_INT16: return v >= INT16_MIN && v <= INT16_MAX;
    case ONNX_UINT16: case ONNX_FLOAT16: case ONNX_BFLOAT16: return u <= UINT16_MAX;
    case ONNX_BOOL: return u <= 1;
    case ONNX_INT32: return v >= INT32_MIN && v <= INT32_MAX;
    case ONNX_UINT32: return u <= UINT32_MAX;
    default: return true;   /* INT64, UINT64, FLOAT, DOUBLE: the field's own width */
    }
}

static bool load_typed(const onnx_tensor *t, int64_t numel, size_t esize, void **data,
                       size_t *nbytes, char *err, size_t errlen)
{
    pb_wire w = PB_WIRE_VARINT;
    int num = typed_field(t->data_type, &w);
    char msg[256];
    /* First pass: count the elements present, packed or not. */
    size_t count = 0;
    pb_reader r = pb_reader_of(t->msg);
    pb_field f;
    pb_status st;
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        if ((int)f.num != num)
            continue;
        if (f.wire == PB_WIRE_LEN) {
            size_t k;
            if (!pb_packed_count(f.bytes, w, &k))
                return terr(err, errlen, t, "packed %s at byte %zu is malformed", typed_field_name(num), f.off);
            count += k;
        } else if (f.wire == w) {
            count++;
        } else {
            return terr(err, errlen, t, "%s at byte %zu has the wrong wire type", typed_field_name(num), f.off);
        }
    }
    if (st == PB_ERROR)
        return terr(err, errlen, t, "%s", msg);
    if (count != (uint64_t)numel) {
        if (count == 0)
            return terr(err, errlen, t, "holds no data (no raw_data, no %s) but its dims say %lld elements",
                        typed_field_name(num), (long long)numel);
        return terr(err, errlen, t, "%s holds %zu values but its dims say %lld", typed_field_name(num), count,
                    (long long)numel);
    }
    size_t nb = (size_t)numel * esize;
    uint8_t *out = xmalloc(nb ? nb : 1);
    size_t k = 0;
    r = pb_reader_of(t->msg);
    while (pb_next(&r, &f, msg, sizeof msg) == PB_OK) {
        if ((int)f.num != num)
            continue;
        size_t pos = 0;
        for (;;) {
            uint64_t v;
            if (f.wire == PB_WIRE_LEN) {
                if (pos >= f.bytes.len || !pb_packed_next(f.bytes, w, &pos, &v))
                    break;
            } else {
                if (pos++)
                    break;
                v = f.u;
            }
            if (k >= (size_t)numel)
                break;
            if (!typed_value_fits(t->data_type, v)) {
                free(out);
                return terr(err, errlen, t, "%s[%zu] is %lld, which %s cannot hold", typed_field_name(num), k,
                            (long long)(int64_t)v, onnx_dtype_name(t->data_type));
            }
            /* Little-endian truncation to the element width, of a value
             * checked to fit it: int32_data carries int8/uint8/int16/uint16/
             * bool values and the bit patterns of float16/bfloat16. */
            for (size_t b = 0; b < esize; b++)
                out[k * esize + b] = (uint8_t)(v >> (8 * b));
            k++;
        }
    }
    *data = out;
    *nbytes = nb;
    return true;
}

/* Parses a non-negative decimal integer (external_data offset / length). */
static bool parse_u64(onnx_str s, uint64_t *v)
{
    if (s.len == 0 || s.len > 19)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(s.p[i] - '0');
    }
    *v = x;
    return true;
}

static bool load_external(const onnx_tensor *t, const char *model_dir, size_t nb, void **data,
                          size_t *nbytes, char *err, size_t errlen)
{
    onnx_str loc = {0};
    uint64_t offset = 0, length = 0;
    bool has_len = false, has_loc = false;
    for (int i = 0; i < t->n_external; i++) {
        const onnx_entry *e = &t->external[i];
        if (onnx_str_eq(e->key, "location")) {
            loc = e->value;
            has_loc = true;
        } else if (onnx_str_eq(e->key, "offset")) {
            if (!parse_u64(e->value, &offset))
                return terr(err, errlen, t, "external_data offset is not a decimal number");
        } else if (onnx_str_eq(e->key, "length")) {
            if (!parse_u64(e->value, &length))
                return terr(err, errlen, t, "external_data length is not a decimal number");
            has_len = true;
        }
    }
    if (!has_loc || loc.len == 0)
        return terr(err, errlen, t, "external data without a location");
    if (!model_dir)
        return terr(err, errlen, t, "external data needs the model's directory (load the model from a file)");
    if (memchr(loc.p, 0, loc.len) || memchr(loc.p, '\\', loc.len) || loc.p[0] == '/')
        return terr(err, errlen, t, "external data location must be a relative path without '\\'");
    char *rel = onnx_strdup(loc);
    /* No component may be "..": the file must stay inside the model's directory. */
    for (char *c = rel; *c;) {
        char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            terr(err, errlen, t, "external data location '%s' leaves the model's directory", rel);
            free(rel);
            return false;
        }
        c += n + (slash ? 1 : 0);
    }
    if (has_len && length != nb) {
        terr(err, errlen, t, "external data length %llu does not match its dims (%zu bytes)",
             (unsigned long long)length, nb);
        free(rel);
        return false;
    }
    char *full = xasprintf("%s/%s", model_dir, rel);
    char *rdir = realpath(model_dir, NULL);
    char *rfull = realpath(full, NULL);
    bool ok = false;
    int fd = -1;
    char msg[320];
    if (!rdir || !rfull) {
        terr(err, errlen, t, "cannot find external data file '%s': %s", full, strerror(errno));
        goto out;
    }
    size_t dl = strlen(rdir);
    if (strncmp(rfull, rdir, dl) != 0 || (rfull[dl] != '/' && !(dl == 1 && rdir[0] == '/'))) {
        terr(err, errlen, t, "external data file '%s' resolves outside the model's directory", rel);
        goto out;
    }
    /* The resolved path is opened without following a link in its last
     * component (one swapped in since realpath would be refused) and checked
     * on the descriptor: a FIFO or a device is refused, never waited on. */
    uint64_t fsize;
    fd = open_regular(rfull, O_NOFOLLOW, &fsize, msg, sizeof msg);
    if (fd < 0) {
        terr(err, errlen, t, "external data: %s", msg);
        goto out;
    }
    if (offset > fsize || nb > fsize - offset) {
        terr(err, errlen, t, "external data '%s' holds %llu bytes; offset %llu + %zu bytes runs past its end",
             rel, (unsigned long long)fsize, (unsigned long long)offset, nb);
        goto out;
    }
    uint8_t *buf = xmalloc(nb ? nb : 1);
    for (size_t done = 0; done < nb;) {
        ssize_t k = pread(fd, buf + done, nb - done, (off_t)(offset + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            free(buf);
            terr(err, errlen, t, "cannot read %zu bytes at offset %llu from external data file '%s': %s", nb,
                 (unsigned long long)offset, full, k < 0 ? strerror(errno) : "the file shrank");
            goto out;
        }
        done += (size_t)k;
    }
    *data = buf;
    *nbytes = nb;
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    free(rdir);
    free(rfull);
    free(full);
    free(rel);
    return ok;
}

bool onnx_tensor_load(const onnx_tensor *t, const char *model_dir, void **data, size_t *nbytes,
                      char *err, size_t errlen)
{
    size_t esize = onnx_elem_size(t->data_type);
    if (esize == 0)
        return terr(err, errlen, t, "element type %s (%d) is unsupported by Kiln", onnx_dtype_name(t->data_type),
                    t->data_type);
    if (t->has_segment)
        return terr(err, errlen, t, "segmented tensors are unsupported");
    int64_t numel;
    if (!onnx_numel(t->dims, t->n_dims, &numel))
        return terr(err, errlen, t, "dims are negative or too large");
    size_t nb = (size_t)numel * esize;
    if (t->data_location == 1)
        return load_external(t, model_dir, nb, data, nbytes, err, errlen);
    if (t->data_location != 0)
        return terr(err, errlen, t, "unknown data_location %d", t->data_location);
    if (t->has_raw) {
        if (t->raw.len != nb)
            return terr(err, errlen, t, "raw_data holds %zu bytes but its dims and type need %zu", t->raw.len, nb);
        uint8_t *buf = xmalloc(nb ? nb : 1);
        if (nb)
            memcpy(buf, t->raw.p, nb);
        *data = buf;
        *nbytes = nb;
        return true;
    }
    return load_typed(t, numel, esize, data, nbytes, err, errlen);
}

bool onnx_ir_dtype(int32_t dt, ir_dtype *out)
{
    switch (dt) {
    case ONNX_FLOAT: *out = IR_DT_F32; return true;
    case ONNX_UINT8: *out = IR_DT_U8; return true;
    case ONNX_INT8: *out = IR_DT_S8; return true;
    case ONNX_UINT16: *out = IR_DT_U16; return true;
    case ONNX_INT16: *out = IR_DT_S16; return true;
    case ONNX_INT32: *out = IR_DT_S32; return true;
    case ONNX_INT64: *out = IR_DT_S64; return true;
    case ONNX_BOOL: *out = IR_DT_BOOL; return true;
    case ONNX_FLOAT16: *out = IR_DT_F16; return true;
    case ONNX_DOUBLE: *out = IR_DT_F64; return true;
    case ONNX_UINT32: *out = IR_DT_U32; return true;
    case ONNX_UINT64: *out = IR_DT_U64; return true;
    default: return false;
    }
}
