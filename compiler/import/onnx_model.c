/*
 * onnx_model.c - decodes ONNX protobuf messages into the structs of
 * onnx_model.h, and loads tensor payloads.
 *
 * Relies on protobuf.c for every byte it reads.  Each message is a table of
 * its fields (field_spec: number, kind, struct offsets) read by one helper,
 * decode_fields, which does the wire-type check, the entry limit, the array
 * growth and the nested decode of every repeated field; only fields with
 * their own rules (a oneof, the one graph, If's subgraphs) have a function.
 * Nested messages are decoded to a fixed depth (Model > Graph > Node >
 * Attribute > Tensor, Graph > ValueInfo > Type > Shape > Dimension; If
 * branches at most MAX_GRAPH_DEPTH deep).  Unknown fields are skipped, as
 * protobuf requires; a known field with the wrong wire type is an error.  On
 * any error the partial result is freed.
 */
#define _XOPEN_SOURCE 700
#include "import/onnx_model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
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

/* ---- the field table ---------------------------------------------------- */

/* How one field of a message is decoded.  Each message below is a table of
 * these, read by decode_fields(): every repeated field goes through the
 * same want -> check count -> grow -> decode steps, so a new field is one
 * table row.  Offsets are into the struct being decoded (`obj`). */
typedef enum field_kind {
    FK_BYTES,       /* length-delimited, kept as a view (onnx_str) */
    FK_NAME,        /* FK_BYTES that names a tensor or node: no NUL bytes */
    FK_I64,         /* varint as int64 */
    FK_I32,         /* int32 or enum varint, range-checked */
    FK_F32,         /* fixed32 float */
    FK_SEEN,        /* any wire type: only the flag is set */
    FK_COUNT,       /* any wire type: counted (the int at `off`), not decoded */
    FK_MSG,         /* a sub-message decoded by `sub` into obj + off */
    FK_REP_I64,     /* repeated int64, packed or not: array at off, count at n_off */
    FK_REP_F32,     /* repeated float, packed or not */
    FK_REP_BYTES,   /* repeated length-delimited, views */
    FK_REP_NAME,    /* repeated names (no NUL bytes) */
    FK_REP_MSG,     /* repeated sub-message of `elem` bytes, each decoded by `sub` */
    FK_CUSTOM       /* anything else: `custom` does it all */
} field_kind;

typedef bool (*sub_fn)(dec *d, pb_span s, const char *where, void *obj);
typedef bool (*custom_fn)(dec *d, const char *where, const pb_field *f, void *obj);

typedef struct field_spec {
    uint32_t num;
    field_kind kind;
    const char *name;       /* "TensorProto.dims": in messages */
    size_t off, n_off;      /* the member (value, array pointer); the int count of a repeated field */
    size_t has;             /* offsetof(bool member) + 1 set when seen; 0 none */
    size_t elem;            /* FK_REP_MSG: element size */
    sub_fn sub;             /* FK_MSG, FK_REP_MSG */
    const char *sub_where;  /* where a sub-message's errors point: `name` when NULL */
    bool nest;              /* sub-message where is "<where> -> <sub_where>" */
    custom_fn custom;       /* FK_CUSTOM */
} field_spec;

#define MAX_TABLE 20        /* rows in one message's table */

#define AT(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))

static bool check_count(dec *d, const char *where, const pb_field *f, int n, const char *field)
{
    if (n >= MAX_REPEATED)
        return fail(d, where, f->off, "more than %d entries in %s", MAX_REPEATED, field);
    return true;
}

/* Makes room for entry n of the array of `elem`-byte entries whose pointer
 * is at obj + off (doubling); returns the entry, zeroed. */
static void *grow_entry(void *obj, size_t off, int n, int *cap, size_t elem)
{
    void *arr;
    memcpy(&arr, (char *)obj + off, sizeof arr);
    if (n == *cap) {
        *cap = *cap ? 2 * *cap : 4;
        arr = xrealloc(arr, (size_t)*cap * elem);
        memcpy((char *)obj + off, &arr, sizeof arr);
    }
    void *e = (char *)arr + (size_t)n * elem;
    memset(e, 0, elem);
    return e;
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

/* Appends the values of a repeated int64 or float field, packed (one
 * length-delimited field) or not (one field per value). */
static bool push_scalars(dec *d, const char *where, const pb_field *f, const field_spec *fs, void *obj,
                         int *cap)
{
    const bool is_f32 = fs->kind == FK_REP_F32;
    const pb_wire w = is_f32 ? PB_WIRE_I32 : PB_WIRE_VARINT;
    int *n = AT(obj, fs->n_off, int);
    size_t k = 1;
    if (f->wire == PB_WIRE_LEN) {
        if (!pb_packed_count(f->bytes, w, &k))
            return is_f32 ? fail(d, where, f->off, "packed %s has a length (%zu) that is not a multiple of 4",
                                 fs->name, f->bytes.len)
                          : fail(d, where, f->off, "packed %s holds a truncated or overlong varint", fs->name);
    } else if (f->wire != w) {
        return want(d, where, f, w, fs->name);
    }
    if (k >= (size_t)MAX_REPEATED - (size_t)*n)
        return fail(d, where, f->off, "more than %d entries in %s", MAX_REPEATED, fs->name);
    size_t pos = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t v = f->u;
        if (f->wire == PB_WIRE_LEN)
            pb_packed_next(f->bytes, w, &pos, &v);
        void *e = grow_entry(obj, fs->off, *n, cap, is_f32 ? sizeof(float) : sizeof(int64_t));
        if (is_f32) {
            uint32_t b = (uint32_t)v;
            memcpy(e, &b, 4);
        } else {
            int64_t x = (int64_t)v;
            memcpy(e, &x, 8);
        }
        (*n)++;
    }
    return true;
}

/* The where of a sub-message: "GraphProto.node[3]", or nested under the
 * parent's ("GraphProto.node[3] -> NodeProto.attribute[1]"). */
static void sub_where(char *buf, size_t n, const char *where, const field_spec *fs, int index)
{
    const char *w = fs->sub_where ? fs->sub_where : fs->name;
    int l = fs->nest ? snprintf(buf, n, "%s -> %s", where, w) : snprintf(buf, n, "%s", w);
    if (index >= 0 && l >= 0 && (size_t)l < n)
        snprintf(buf + l, n - (size_t)l, "[%d]", index);
}

static bool decode_field(dec *d, const char *where, const pb_field *f, const field_spec *fs, void *obj,
                         int *cap)
{
    char sub[192];
    bool ok = true;
    switch (fs->kind) {
    case FK_BYTES:
        if ((ok = want(d, where, f, PB_WIRE_LEN, fs->name)))
            *AT(obj, fs->off, onnx_str) = f->bytes;
        break;
    case FK_NAME:
        ok = name_str(d, where, f, fs->name, AT(obj, fs->off, onnx_str));
        break;
    case FK_I64:
        if ((ok = want(d, where, f, PB_WIRE_VARINT, fs->name)))
            *AT(obj, fs->off, int64_t) = (int64_t)f->u;
        break;
    case FK_I32:
        ok = int32_field(d, where, f, fs->name, AT(obj, fs->off, int32_t));
        break;
    case FK_F32:
        if ((ok = want(d, where, f, PB_WIRE_I32, fs->name)))
            pb_as_float(f, AT(obj, fs->off, float));
        break;
    case FK_SEEN:
        break;
    case FK_COUNT:
        if ((ok = check_count(d, where, f, *AT(obj, fs->off, int), fs->name)))
            (*AT(obj, fs->off, int))++;
        break;
    case FK_MSG:
        sub_where(sub, sizeof sub, where, fs, -1);
        ok = want(d, where, f, PB_WIRE_LEN, fs->name) && fs->sub(d, f->bytes, sub, (char *)obj + fs->off);
        break;
    case FK_REP_I64: case FK_REP_F32:
        ok = push_scalars(d, where, f, fs, obj, cap);
        break;
    case FK_REP_BYTES: case FK_REP_NAME: case FK_REP_MSG: {
        int *n = AT(obj, fs->n_off, int);
        if (fs->kind != FK_REP_NAME && !want(d, where, f, PB_WIRE_LEN, fs->name))
            return false;
        if (!check_count(d, where, f, *n, fs->name))
            return false;
        void *e = grow_entry(obj, fs->off, *n, cap, fs->kind == FK_REP_MSG ? fs->elem : sizeof(onnx_str));
        if (fs->kind == FK_REP_BYTES) {
            *(onnx_str *)e = f->bytes;
        } else if (fs->kind == FK_REP_NAME) {
            ok = name_str(d, where, f, fs->name, e);
        } else {
            sub_where(sub, sizeof sub, where, fs, *n);
            ok = fs->sub(d, f->bytes, sub, e);   /* frees its own partial entry on failure */
        }
        if (ok)
            (*n)++;
        break;
    }
    case FK_CUSTOM:
        ok = fs->custom(d, where, f, obj);
        break;
    }
    if (ok && fs->has)
        *AT(obj, fs->has - 1, bool) = true;
    return ok;
}

/* Decodes message s into obj by its table; unknown fields are skipped. */
static bool decode_fields(dec *d, pb_span s, const char *where, const field_spec *tab, size_t n_tab, void *obj)
{
    int cap[MAX_TABLE] = {0};
    pb_reader r = pb_reader_of(s);
    pb_field f;
    pb_status st;
    char msg[256];
    while ((st = pb_next(&r, &f, msg, sizeof msg)) == PB_OK) {
        for (size_t i = 0; i < n_tab && i < MAX_TABLE; i++)
            if (tab[i].num == f.num) {
                if (!decode_field(d, where, &f, &tab[i], obj, &cap[i]))
                    return false;
                break;
            }
    }
    return st == PB_END || fail_pb(d, where, msg);
}

#define N_OF(tab) (sizeof(tab) / sizeof((tab)[0]))
#define HAS(type, member) (offsetof(type, member) + 1)

/* ---- StringStringEntryProto ------------------------------------------- */

static bool decode_entry(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_BYTES, "key", offsetof(onnx_entry, key)},
        {2, FK_BYTES, "value", offsetof(onnx_entry, value)},
    };
    return decode_fields(d, s, where, tab, N_OF(tab), obj);
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

/* float_data (4), double_data (10): fixed width, packed or not; their values
 * are read by onnx_tensor_load. */
static bool tensor_fixed_data(dec *d, const char *where, const pb_field *f, void *obj)
{
    (void)obj;
    pb_wire w = f->num == 4 ? PB_WIRE_I32 : PB_WIRE_I64;
    if (f->wire != PB_WIRE_LEN && f->wire != w)
        return want(d, where, f, w, f->num == 4 ? "TensorProto.float_data" : "TensorProto.double_data");
    return true;
}

/* int32_data (5), int64_data (7), uint64_data (11): varints, packed or not. */
static bool tensor_varint_data(dec *d, const char *where, const pb_field *f, void *obj)
{
    (void)obj;
    if (f->wire != PB_WIRE_LEN && f->wire != PB_WIRE_VARINT)
        return want(d, where, f, PB_WIRE_VARINT, "TensorProto typed data");
    return true;
}

static bool decode_tensor(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_REP_I64, "TensorProto.dims", offsetof(onnx_tensor, dims), offsetof(onnx_tensor, n_dims)},
        {2, FK_I32, "TensorProto.data_type", offsetof(onnx_tensor, data_type)},
        {3, FK_SEEN, "TensorProto.segment", 0, 0, HAS(onnx_tensor, has_segment)},
        {8, FK_NAME, "TensorProto.name", offsetof(onnx_tensor, name)},
        {9, FK_BYTES, "TensorProto.raw_data", offsetof(onnx_tensor, raw), 0, HAS(onnx_tensor, has_raw)},
        {13, FK_REP_MSG, "TensorProto.external_data", offsetof(onnx_tensor, external),
         offsetof(onnx_tensor, n_external), 0, sizeof(onnx_entry), decode_entry},
        {14, FK_I32, "TensorProto.data_location", offsetof(onnx_tensor, data_location)},
        {4, FK_CUSTOM, "TensorProto.float_data", .custom = tensor_fixed_data},
        {10, FK_CUSTOM, "TensorProto.double_data", .custom = tensor_fixed_data},
        {5, FK_CUSTOM, "TensorProto.int32_data", .custom = tensor_varint_data},
        {7, FK_CUSTOM, "TensorProto.int64_data", .custom = tensor_varint_data},
        {11, FK_CUSTOM, "TensorProto.uint64_data", .custom = tensor_varint_data},
    };
    onnx_tensor *t = obj;
    memset(t, 0, sizeof *t);
    if (!decode_fields(d, s, where, tab, N_OF(tab), t)) {
        onnx_tensor_free(t);
        return false;
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

/* dim_value and dim_param are a oneof: the last one seen wins. */
static bool dim_oneof(dec *d, const char *where, const pb_field *f, void *obj)
{
    onnx_dim *dim = obj;
    if (f->num == 1) {
        if (!want(d, where, f, PB_WIRE_VARINT, "Dimension.dim_value"))
            return false;
        dim->has_value = true;
        dim->value = (int64_t)f->u;
        dim->param.len = 0;
        return true;
    }
    if (!want(d, where, f, PB_WIRE_LEN, "Dimension.dim_param"))
        return false;
    dim->param = f->bytes;
    dim->has_value = false;
    return true;
}

static bool decode_dim(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_CUSTOM, "Dimension.dim_value", .custom = dim_oneof},
        {2, FK_CUSTOM, "Dimension.dim_param", .custom = dim_oneof},
    };
    memset(obj, 0, sizeof(onnx_dim));
    return decode_fields(d, s, where, tab, N_OF(tab), obj);
}

/* A shape (of a value info; a later shape field replaces an earlier one). */
static bool decode_shape(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_REP_MSG, "TensorShapeProto.dim", offsetof(onnx_value_info, dims), offsetof(onnx_value_info, rank),
         0, sizeof(onnx_dim), decode_dim},
    };
    onnx_value_info *vi = obj;
    free(vi->dims);
    vi->dims = NULL;
    vi->rank = 0;
    vi->has_shape = true;
    return decode_fields(d, s, where, tab, N_OF(tab), vi);
}

static bool decode_tensor_type(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_I32, "TypeProto.Tensor.elem_type", offsetof(onnx_value_info, elem_type)},
        {2, FK_MSG, "TypeProto.Tensor.shape", 0, 0, 0, 0, decode_shape, "TensorShapeProto"},
    };
    ((onnx_value_info *)obj)->is_tensor = true;
    return decode_fields(d, s, where, tab, N_OF(tab), obj);
}

/* Only tensor types are decoded: sequence/map/optional/sparse types leave
 * is_tensor false. */
static bool decode_type(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_MSG, "TypeProto.tensor_type", 0, 0, 0, 0, decode_tensor_type, "TypeProto.Tensor"},
    };
    ((onnx_value_info *)obj)->has_type = true;
    return decode_fields(d, s, where, tab, N_OF(tab), obj);
}

static void free_value_info(onnx_value_info *vi)
{
    free(vi->dims);
}

static bool decode_value_info(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_NAME, "ValueInfoProto.name", offsetof(onnx_value_info, name)},
        {2, FK_MSG, "ValueInfoProto.type", 0, 0, 0, 0, decode_type, "TypeProto"},
    };
    onnx_value_info *vi = obj;
    memset(vi, 0, sizeof *vi);
    vi->off = s.off;
    if (!decode_fields(d, s, where, tab, N_OF(tab), vi)) {
        free_value_info(vi);
        return false;
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

/* AttributeProto.t: one tensor, on the heap (a repeated field replaces it). */
static bool attr_tensor(dec *d, const char *where, const pb_field *f, void *obj)
{
    onnx_attr *a = obj;
    if (!want(d, where, f, PB_WIRE_LEN, "AttributeProto.t"))
        return false;
    if (a->t)
        onnx_tensor_free(a->t);
    else
        a->t = xcalloc(1, sizeof *a->t);
    return decode_tensor(d, f->bytes, "AttributeProto.t -> TensorProto", a->t);
}

/* AttributeProto.g: a subgraph (If's branches), decoded so the importer can
 * inline the branch a constant condition takes; nesting is bounded. */
static bool attr_graph(dec *d, const char *where, const pb_field *f, void *obj)
{
    onnx_attr *a = obj;
    if (!want(d, where, f, PB_WIRE_LEN, "AttributeProto.g"))
        return false;
    if (d->depth >= MAX_GRAPH_DEPTH)
        return fail(d, where, f->off, "subgraphs nested deeper than %d", MAX_GRAPH_DEPTH);
    if (a->g)
        free_graph(a->g);
    else
        a->g = xcalloc(1, sizeof *a->g);
    d->depth++;
    bool ok = decode_graph_fields(d, f->bytes, a->g);
    d->depth--;
    if (ok && !check_count(d, where, f, a->n_graphs, "AttributeProto.graphs"))
        return false;
    a->n_graphs += ok;
    return ok;
}

static bool decode_attr(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_BYTES, "AttributeProto.name", offsetof(onnx_attr, name)},
        {20, FK_I32, "AttributeProto.type", offsetof(onnx_attr, type)},
        {2, FK_F32, "AttributeProto.f", offsetof(onnx_attr, f), 0, HAS(onnx_attr, has_f)},
        {3, FK_I64, "AttributeProto.i", offsetof(onnx_attr, i), 0, HAS(onnx_attr, has_i)},
        {4, FK_BYTES, "AttributeProto.s", offsetof(onnx_attr, s), 0, HAS(onnx_attr, has_s)},
        {5, FK_CUSTOM, "AttributeProto.t", 0, 0, HAS(onnx_attr, has_t), .custom = attr_tensor},
        {7, FK_REP_F32, "AttributeProto.floats", offsetof(onnx_attr, floats), offsetof(onnx_attr, n_floats)},
        {8, FK_REP_I64, "AttributeProto.ints", offsetof(onnx_attr, ints), offsetof(onnx_attr, n_ints)},
        {9, FK_REP_BYTES, "AttributeProto.strings", offsetof(onnx_attr, strings), offsetof(onnx_attr, n_strings)},
        {10, FK_COUNT, "AttributeProto.tensors", offsetof(onnx_attr, n_tensors)},
        {6, FK_CUSTOM, "AttributeProto.g", .custom = attr_graph},
        {11, FK_COUNT, "AttributeProto.graphs", offsetof(onnx_attr, n_graphs)},
        {21, FK_SEEN, "AttributeProto.ref_attr_name", 0, 0, HAS(onnx_attr, has_ref)},
        {22, FK_COUNT, "AttributeProto.sparse_tensor", offsetof(onnx_attr, n_other)},
        {23, FK_COUNT, "AttributeProto.sparse_tensors", offsetof(onnx_attr, n_other)},
        {14, FK_COUNT, "AttributeProto.tp", offsetof(onnx_attr, n_other)},
        {15, FK_COUNT, "AttributeProto.type_protos", offsetof(onnx_attr, n_other)},
    };
    onnx_attr *a = obj;
    memset(a, 0, sizeof *a);
    a->off = s.off;
    if (!decode_fields(d, s, where, tab, N_OF(tab), a)) {
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

static bool decode_node(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_REP_NAME, "NodeProto.input", offsetof(onnx_node, in), offsetof(onnx_node, n_in)},
        {2, FK_REP_NAME, "NodeProto.output", offsetof(onnx_node, out), offsetof(onnx_node, n_out)},
        {3, FK_BYTES, "NodeProto.name", offsetof(onnx_node, name)},
        {4, FK_BYTES, "NodeProto.op_type", offsetof(onnx_node, op_type)},
        {7, FK_BYTES, "NodeProto.domain", offsetof(onnx_node, domain)},
        {5, FK_REP_MSG, "NodeProto.attribute", offsetof(onnx_node, attr), offsetof(onnx_node, n_attr), 0,
         sizeof(onnx_attr), decode_attr, NULL, true},
    };
    onnx_node *n = obj;
    memset(n, 0, sizeof *n);
    n->off = s.off;
    if (!decode_fields(d, s, where, tab, N_OF(tab), n)) {
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

static bool decode_graph_fields(dec *d, pb_span s, onnx_graph *g)
{
    static const field_spec tab[] = {
        {1, FK_REP_MSG, "GraphProto.node", offsetof(onnx_graph, nodes), offsetof(onnx_graph, n_nodes), 0,
         sizeof(onnx_node), decode_node},
        {2, FK_BYTES, "GraphProto.name", offsetof(onnx_graph, name)},
        {5, FK_REP_MSG, "GraphProto.initializer", offsetof(onnx_graph, init), offsetof(onnx_graph, n_init), 0,
         sizeof(onnx_tensor), decode_tensor},
        {11, FK_REP_MSG, "GraphProto.input", offsetof(onnx_graph, inputs), offsetof(onnx_graph, n_inputs), 0,
         sizeof(onnx_value_info), decode_value_info},
        {12, FK_REP_MSG, "GraphProto.output", offsetof(onnx_graph, outputs), offsetof(onnx_graph, n_outputs), 0,
         sizeof(onnx_value_info), decode_value_info},
        {13, FK_REP_MSG, "GraphProto.value_info", offsetof(onnx_graph, value_info),
         offsetof(onnx_graph, n_value_info), 0, sizeof(onnx_value_info), decode_value_info},
        {15, FK_COUNT, "GraphProto.sparse_initializer", offsetof(onnx_graph, n_sparse_init)},
    };
    return decode_fields(d, s, "GraphProto", tab, N_OF(tab), g);
}

/* ---- ModelProto --------------------------------------------------------- */

static bool decode_opset(dec *d, pb_span s, const char *where, void *obj)
{
    static const field_spec tab[] = {
        {1, FK_BYTES, "OperatorSetIdProto.domain", offsetof(onnx_opset, domain)},
        {2, FK_I64, "OperatorSetIdProto.version", offsetof(onnx_opset, version)},
    };
    memset(obj, 0, sizeof(onnx_opset));
    return decode_fields(d, s, where, tab, N_OF(tab), obj);
}

void onnx_model_free(onnx_model *m)
{
    free_graph(&m->graph);
    free(m->opsets);
    free(m->meta);
    memset(m, 0, sizeof *m);
}

/* ModelProto.graph: exactly one (protobuf would merge repeated sub-messages;
 * ONNX writers never send two). */
static bool model_graph(dec *d, const char *where, const pb_field *f, void *obj)
{
    onnx_model *m = obj;
    if (!want(d, where, f, PB_WIRE_LEN, "ModelProto.graph"))
        return false;
    if (m->has_graph)
        return fail(d, where, f->off, "more than one graph field");
    m->has_graph = true;
    return decode_graph_fields(d, f->bytes, &m->graph);
}

static bool decode_model_fields(dec *d, pb_span s, onnx_model *m)
{
    static const field_spec tab[] = {
        {1, FK_I64, "ModelProto.ir_version", offsetof(onnx_model, ir_version)},
        {2, FK_BYTES, "ModelProto.producer_name", offsetof(onnx_model, producer_name)},
        {3, FK_BYTES, "ModelProto.producer_version", offsetof(onnx_model, producer_version)},
        {4, FK_BYTES, "ModelProto.domain", offsetof(onnx_model, domain)},
        {5, FK_I64, "ModelProto.model_version", offsetof(onnx_model, model_version)},
        {7, FK_CUSTOM, "ModelProto.graph", .custom = model_graph},
        {8, FK_REP_MSG, "ModelProto.opset_import", offsetof(onnx_model, opsets), offsetof(onnx_model, n_opsets), 0,
         sizeof(onnx_opset), decode_opset, "ModelProto.opset_import"},
        {14, FK_REP_MSG, "ModelProto.metadata_props", offsetof(onnx_model, meta), offsetof(onnx_model, n_meta), 0,
         sizeof(onnx_entry), decode_entry},
        {25, FK_COUNT, "ModelProto.functions", offsetof(onnx_model, n_functions)},
    };
    return decode_fields(d, s, "ModelProto", tab, N_OF(tab), m);
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
    if (!path_within(rfull, rdir) || strcmp(rfull, rdir) == 0) {
        terr(err, errlen, t, "external data file '%s' resolves outside the model's directory", rel);
        goto out;
    }
    /* The resolved path is opened without following a link in its last
     * component and checked on the descriptor: a FIFO or a device is refused,
     * never waited on.  A directory component swapped for a link after
     * realpath would still be followed, so where the kernel can say which
     * file was opened, that file is checked again. */
    uint64_t fsize;
    fd = open_regular(rfull, O_NOFOLLOW, &fsize, msg, sizeof msg);
    if (fd < 0) {
        terr(err, errlen, t, "external data: %s", msg);
        goto out;
    }
    char *opened = fd_path(fd);
    bool inside = !opened || path_within(opened, rdir);
    free(opened);
    if (!inside) {
        terr(err, errlen, t, "external data file '%s' resolves outside the model's directory", rel);
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
