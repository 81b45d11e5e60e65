/*
 * tflite_schema.h - the TFLite model format (schema v3, file identifier
 * "TFL3") read through the checked FlatBuffers reader.
 *
 * Each accessor decodes one schema table into a small struct whose vectors
 * and strings still point into the file (zero-copy); every read is verified by
 * flatbuf.c, so a damaged file yields an error naming the table, its index
 * and the problem, never a crash.  Field indices follow the declaration order
 * in tensorflow/lite/schema/schema.fbs (schema version 3c).
 *
 * Nothing here knows about the IR: the importer (tflite_import.c and the
 * tflite_ops_*.c files) maps these structs onto it.
 */
#ifndef KILN_TFLITE_SCHEMA_H
#define KILN_TFLITE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/flatbuf.h"

/* TensorType */
enum {
    TFL_FLOAT32 = 0, TFL_FLOAT16 = 1, TFL_INT32 = 2, TFL_UINT8 = 3, TFL_INT64 = 4, TFL_STRING = 5,
    TFL_BOOL = 6, TFL_INT16 = 7, TFL_COMPLEX64 = 8, TFL_INT8 = 9, TFL_FLOAT64 = 10,
    TFL_COMPLEX128 = 11, TFL_UINT64 = 12, TFL_RESOURCE = 13, TFL_VARIANT = 14, TFL_UINT32 = 15,
    TFL_UINT16 = 16, TFL_INT4 = 17, TFL_BFLOAT16 = 18
};

/* BuiltinOperator values the importer refers to by name. */
enum {
    TFL_OP_ADD = 0, TFL_OP_AVERAGE_POOL_2D = 1, TFL_OP_CONCATENATION = 2, TFL_OP_CONV_2D = 3,
    TFL_OP_DEPTHWISE_CONV_2D = 4, TFL_OP_DEQUANTIZE = 6, TFL_OP_FULLY_CONNECTED = 9,
    TFL_OP_LOGISTIC = 14, TFL_OP_LSTM = 16, TFL_OP_MAX_POOL_2D = 17, TFL_OP_MUL = 18, TFL_OP_RELU = 19,
    TFL_OP_RELU_N1_TO_1 = 20, TFL_OP_RELU6 = 21, TFL_OP_RESHAPE = 22, TFL_OP_SOFTMAX = 25,
    TFL_OP_RNN = 24, TFL_OP_SVDF = 27, TFL_OP_TANH = 28, TFL_OP_CALL = 31, TFL_OP_CUSTOM = 32, TFL_OP_PAD = 34,
    TFL_OP_UNIDIRECTIONAL_SEQUENCE_RNN = 35, TFL_OP_TRANSPOSE = 39, TFL_OP_MEAN = 40,
    TFL_OP_SUB = 41, TFL_OP_SQUEEZE = 43, TFL_OP_UNIDIRECTIONAL_SEQUENCE_LSTM = 44,
    TFL_OP_STRIDED_SLICE = 45, TFL_OP_SPLIT = 49, TFL_OP_MAXIMUM = 55, TFL_OP_MINIMUM = 57,
    TFL_OP_PADV2 = 60, TFL_OP_TRANSPOSE_CONV = 67, TFL_OP_EXPAND_DIMS = 70,
    TFL_OP_LEAKY_RELU = 98, TFL_OP_SPLIT_V = 102, TFL_OP_QUANTIZE = 114,
    TFL_OP_HARD_SWISH = 117, TFL_OP_IF = 118, TFL_OP_WHILE = 119, TFL_OP_CALL_ONCE = 129,
    TFL_OP_COUNT = 208           /* one past the last value in the schema */
};

/* ActivationFunctionType and Padding */
enum { TFL_ACT_NONE = 0, TFL_ACT_RELU = 1, TFL_ACT_RELU_N1_TO_1 = 2, TFL_ACT_RELU6 = 3,
       TFL_ACT_TANH = 4, TFL_ACT_SIGN_BIT = 5 };
enum { TFL_PAD_SAME = 0, TFL_PAD_VALID = 1 };

typedef struct tfl_model {
    fb_reader r;
    fb_table root;
    uint32_t version;
    fb_vec opcodes;                 /* [OperatorCode] */
    fb_vec subgraphs;               /* [SubGraph] */
    fb_vec buffers;                 /* [Buffer] */
    const uint8_t *file;            /* the whole file (buffers may live past the flatbuffer) */
    size_t file_len;
} tfl_model;

typedef struct tfl_opcode {
    int32_t builtin;                /* max(deprecated_builtin_code, builtin_code) */
    int32_t version;
    const char *custom_code;        /* NULL unless CUSTOM */
} tfl_opcode;

typedef struct tfl_subgraph {
    fb_vec tensors, inputs, outputs, operators;
    const char *name;
} tfl_subgraph;

typedef struct tfl_tensor {
    const char *name;               /* "" when absent */
    int8_t type;
    fb_vec shape;                   /* i32 */
    fb_vec shape_signature;         /* i32, n == 0 when absent */
    uint32_t buffer;
    bool is_variable;
    bool has_sparsity;
    bool has_quant;
    fb_vec q_scale;                 /* f32 */
    fb_vec q_zero_point;            /* i64 */
    int32_t q_dim;                  /* quantized_dimension */
    uint8_t q_details_type;         /* != 0: custom quantization */
} tfl_tensor;

typedef struct tfl_buffer {
    const uint8_t *data;            /* NULL when empty */
    size_t size;
} tfl_buffer;

typedef struct tfl_operator {
    uint32_t opcode_index;
    fb_vec inputs, outputs, intermediates;  /* i32; -1 = absent optional input */
    uint8_t options_type;           /* BuiltinOptions union type, 0 = none */
    bool has_options;
    fb_table options;
    uint8_t options2_type;          /* BuiltinOptions2 (StableHLO ops) */
    bool has_custom_options;
} tfl_operator;

/* The builtin options the importer reads, decoded into one struct with the
 * schema's defaults for absent fields. */
typedef struct tfl_opts {
    int8_t padding;
    int32_t stride_w, stride_h, dilation_w, dilation_h;
    int32_t filter_w, filter_h, depth_multiplier;
    int8_t act;                     /* fused_activation_function */
    int8_t weights_format;          /* FullyConnected */
    bool keep_num_dims, asymmetric_quantize_inputs;
    int8_t quantized_bias_type;
    float beta;                     /* Softmax */
    float alpha;                    /* LeakyRelu */
    int32_t axis;                   /* Concatenation */
    bool pot_scale_int16;           /* Add, Sub */
    bool keep_dims;                 /* Reducer */
    fb_vec squeeze_dims;            /* i32 */
    fb_vec new_shape;               /* Reshape, i32 */
    int32_t begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask;
    bool offset;                    /* StridedSlice */
    int32_t num_splits;             /* Split, SplitV */
    int32_t rank;                   /* SVDF */
    int32_t batch_dims;             /* Gather (axis above) */
    bool adj_x, adj_y;              /* BatchMatMul */
    int32_t block_size;             /* DepthToSpace, SpaceToDepth */
    bool exclusive, reverse;        /* Cumsum */
    bool approximate;               /* Gelu */
} tfl_opts;

/* Opens a model.  On failure err says what is wrong with the file. */
bool tfl_open(tfl_model *m, const uint8_t *data, size_t len, char *err, size_t errlen);

/* Each decoder returns false on a damaged table, with the reason in
 * m->r.err (already prefixed with the table's name and index). */
bool tfl_get_opcode(tfl_model *m, uint32_t i, tfl_opcode *oc);
bool tfl_get_subgraph(tfl_model *m, uint32_t i, tfl_subgraph *sg);
bool tfl_get_tensor(tfl_model *m, const tfl_subgraph *sg, uint32_t i, tfl_tensor *t);
bool tfl_get_buffer(tfl_model *m, uint32_t i, tfl_buffer *b);
bool tfl_get_operator(tfl_model *m, const tfl_subgraph *sg, uint32_t i, tfl_operator *op);
/* Decodes op's builtin options for `builtin`; checks the union type matches. */
bool tfl_get_options(tfl_model *m, const tfl_operator *op, int32_t builtin, tfl_opts *o);

/* Names from the schema's enums, for messages ("op#N" / "type#N" if unknown). */
const char *tfl_builtin_name(int32_t builtin, char *tmp, size_t tmplen);
const char *tfl_type_name(int type);

#endif
