/*
 * onnx_model.h - an ONNX ModelProto decoded into plain structs.
 *
 * The decoder reads the messages the importer needs (ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto,
 * TensorShapeProto, OperatorSetIdProto, StringStringEntryProto) with the
 * wire reader of protobuf.h.  Strings and tensor payloads stay views into
 * the model bytes, which must outlive the decoded model; only the arrays of
 * repeated fields are heap memory.  A node's subgraph attributes (If's
 * branches) are decoded, to a bounded depth; sparse tensors, lists of
 * graphs, training info and functions are counted, not decoded.  Field
 * numbers follow onnx/onnx.proto (IR version 10).
 *
 * Nothing here knows about Kiln's IR: onnx_tensor_load() returns elements as
 * little-endian bytes in the tensor's own ONNX element type.
 */
#ifndef KILN_ONNX_MODEL_H
#define KILN_ONNX_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/protobuf.h"
#include "ir/ir.h"

/* TensorProto.DataType */
enum {
    ONNX_UNDEFINED = 0, ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_UINT16 = 4,
    ONNX_INT16 = 5, ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_STRING = 8, ONNX_BOOL = 9,
    ONNX_FLOAT16 = 10, ONNX_DOUBLE = 11, ONNX_UINT32 = 12, ONNX_UINT64 = 13,
    ONNX_COMPLEX64 = 14, ONNX_COMPLEX128 = 15, ONNX_BFLOAT16 = 16, ONNX_FLOAT8E4M3FN = 17,
    ONNX_FLOAT8E4M3FNUZ = 18, ONNX_FLOAT8E5M2 = 19, ONNX_FLOAT8E5M2FNUZ = 20, ONNX_UINT4 = 21,
    ONNX_INT4 = 22, ONNX_FLOAT4E2M1 = 23, ONNX_FLOAT8E8M0 = 24, ONNX_UINT2 = 25, ONNX_INT2 = 26
};

/* AttributeProto.AttributeType */
enum {
    ONNX_ATTR_UNDEFINED = 0, ONNX_ATTR_FLOAT = 1, ONNX_ATTR_INT = 2, ONNX_ATTR_STRING = 3,
    ONNX_ATTR_TENSOR = 4, ONNX_ATTR_GRAPH = 5, ONNX_ATTR_FLOATS = 6, ONNX_ATTR_INTS = 7,
    ONNX_ATTR_STRINGS = 8, ONNX_ATTR_TENSORS = 9, ONNX_ATTR_GRAPHS = 10,
    ONNX_ATTR_SPARSE_TENSOR = 11, ONNX_ATTR_SPARSE_TENSORS = 12, ONNX_ATTR_TYPE_PROTO = 13,
    ONNX_ATTR_TYPE_PROTOS = 14
};

typedef pb_span onnx_str;   /* UTF-8 bytes, not NUL-terminated */

typedef struct onnx_entry {  /* StringStringEntryProto */
    onnx_str key, value;
} onnx_entry;

typedef struct onnx_tensor {    /* TensorProto */
    pb_span msg;                /* the whole message, re-read by onnx_tensor_load */
    onnx_str name;
    int32_t data_type;
    int n_dims;
    int64_t *dims;
    bool has_raw;
    pb_span raw;
    int32_t data_location;      /* 0 DEFAULT, 1 EXTERNAL */
    int n_external;
    onnx_entry *external;
    bool has_segment;
} onnx_tensor;

typedef struct onnx_dim {       /* TensorShapeProto.Dimension */
    bool has_value;
    int64_t value;
    onnx_str param;             /* dim_param, len 0 if none */
} onnx_dim;

typedef struct onnx_value_info {   /* ValueInfoProto */
    onnx_str name;
    size_t off;
    bool has_type;
    bool is_tensor;             /* type.tensor_type present (not sequence/map/...) */
    int32_t elem_type;
    bool has_shape;
    int rank;
    onnx_dim *dims;
} onnx_value_info;

typedef struct onnx_attr {      /* AttributeProto */
    onnx_str name;
    size_t off;
    int32_t type;               /* as declared; 0 in very old files */
    bool has_f, has_i, has_s, has_t;
    float f;
    int64_t i;
    onnx_str s;
    onnx_tensor *t;
    int n_floats, n_ints, n_strings;
    float *floats;
    int64_t *ints;
    onnx_str *strings;
    struct onnx_graph *g;       /* AttributeProto.g (If's branches), decoded; NULL when absent */
    int n_tensors, n_graphs, n_other;   /* counted (graphs counts g too; tensors, sparse, type
                                           protos are not decoded) */
    bool has_ref;               /* ref_attr_name (function bodies only) */
} onnx_attr;

typedef struct onnx_node {      /* NodeProto */
    size_t off;
    onnx_str name, op_type, domain;
    int n_in, n_out, n_attr;
    onnx_str *in, *out;
    onnx_attr *attr;
} onnx_node;

typedef struct onnx_graph {     /* GraphProto */
    onnx_str name;
    int n_nodes, n_init, n_inputs, n_outputs, n_value_info, n_sparse_init;
    onnx_node *nodes;
    onnx_tensor *init;
    onnx_value_info *inputs, *outputs, *value_info;
} onnx_graph;

typedef struct onnx_opset {     /* OperatorSetIdProto */
    onnx_str domain;
    int64_t version;
} onnx_opset;

typedef struct onnx_model {     /* ModelProto */
    int64_t ir_version;
    int n_opsets, n_meta, n_functions;
    onnx_opset *opsets;
    onnx_entry *meta;
    onnx_str producer_name, producer_version, domain;
    int64_t model_version;
    bool has_graph;
    onnx_graph graph;
} onnx_model;

/* Decodes a ModelProto.  On failure returns false with a message naming the
 * byte offset and the field (e.g. "byte 812 (GraphProto.node[3] ->
 * NodeProto.attribute[1]): ..."); *m is then empty and needs no free. */
bool onnx_model_decode(const uint8_t *data, size_t len, onnx_model *m, char *err, size_t errlen);
void onnx_model_free(onnx_model *m);

/* Decodes one TensorProto (e.g. a test's input_0.pb). */
bool onnx_tensor_decode(pb_span s, onnx_tensor *t, char *err, size_t errlen);
void onnx_tensor_free(onnx_tensor *t);

/* Bytes per element of an ONNX element type that Kiln can hold as whole
 * bytes, 0 for the rest (string, complex, sub-byte and 8-bit float types). */
size_t onnx_elem_size(int32_t data_type);
const char *onnx_dtype_name(int32_t data_type);
/* The IR dtype of an ONNX TensorProto.DataType; false for the ones Kiln has none for. */
bool onnx_ir_dtype(int32_t data_type, ir_dtype *out);

/* Number of elements the dims describe; false if a dim is negative or the
 * product exceeds 2^48. */
bool onnx_numel(const int64_t *dims, int n, int64_t *numel);

/* The tensor's elements as little-endian bytes of its element type (heap,
 * *nbytes = numel * onnx_elem_size), from raw_data, the typed fields
 * (float_data, int32_data, int64_data, double_data, uint64_data) or external
 * data.  External files are looked up relative to model_dir (NULL: external
 * data refused); absolute paths, paths leaving model_dir and anything but a
 * regular file (a FIFO, a device, a directory: checked on the opened
 * descriptor, never waited on) are refused, and offset/length are checked
 * against the file. */
bool onnx_tensor_load(const onnx_tensor *t, const char *model_dir, void **data, size_t *nbytes,
                      char *err, size_t errlen);

/* NUL-terminated heap copy of a string view. */
char *onnx_strdup(onnx_str s);
bool onnx_str_eq(onnx_str s, const char *lit);

#endif
