/*
 * tflite_schema.c - decoding TFLite schema v3 tables (see tflite_schema.h).
 *
 * Relies on flatbuf.c for every bounds and alignment check; adds the schema's
 * own rules (root table Model, OperatorCode's two builtin fields, Buffer data
 * stored inline or at an offset past the flatbuffer, options union types) and
 * names the table that was damaged.  Never interprets an op.
 */
#include "import/tflite_schema.h"

#include <stdio.h>
#include <string.h>

static const char *const builtin_names[TFL_OP_COUNT] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
    "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR",
    "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL",
    "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER",
    "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2",
    "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
    "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL",
    "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL",
    "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT",
    "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT",
    "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD",
    "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU",
    "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF",
    "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2",
    "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM",
    "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE",
    "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE",
    "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
    "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1",
    "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2",
    "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT", "STABLEHLO_LOGISTIC",
    "STABLEHLO_ADD", "STABLEHLO_DIVIDE", "STABLEHLO_MULTIPLY", "STABLEHLO_MAXIMUM",
    "STABLEHLO_RESHAPE", "STABLEHLO_CLAMP", "STABLEHLO_CONCATENATE", "STABLEHLO_BROADCAST_IN_DIM",
    "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE", "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE",
    "STABLEHLO_ABS", "STABLEHLO_AND", "STABLEHLO_COSINE", "STABLEHLO_EXPONENTIAL",
    "STABLEHLO_FLOOR", "STABLEHLO_LOG", "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE", "STABLEHLO_OR",
    "STABLEHLO_POWER", "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT",
    "STABLEHLO_SUBTRACT", "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE",
    "STABLEHLO_CONVERT", "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE",
    "STABLEHLO_PAD", "STABLEHLO_IOTA", "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW",
    "STABLEHLO_SORT", "STABLEHLO_WHILE", "STABLEHLO_GATHER", "STABLEHLO_TRANSPOSE", "DILATE",
    "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", "STABLEHLO_COMPOSITE", "COMPLEX",
};

const char *tfl_builtin_name(int32_t builtin, char *tmp, size_t tmplen)
{
    if (builtin >= 0 && builtin < TFL_OP_COUNT)
        return builtin_names[builtin];
    snprintf(tmp, tmplen, "builtin#%d", (int)builtin);
    return tmp;
}

const char *tfl_type_name(int type)
{
    static const char *const names[] = {
        "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64",
        "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16",
        "INT4", "BFLOAT16"};
    if (type >= 0 && type < (int)(sizeof names / sizeof names[0]))
        return names[type];
    return "unknown type";
}

/* Field indices, in schema declaration order (a union takes two: type, value). */
enum { MODEL_VERSION = 0, MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4 };
enum { OPC_DEPRECATED_BUILTIN = 0, OPC_CUSTOM = 1, OPC_VERSION = 2, OPC_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3, SG_NAME = 4 };
enum { T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANT = 4, T_IS_VARIABLE = 5,
       T_SPARSITY = 6, T_SHAPE_SIGNATURE = 7 };
enum { Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DETAILS_TYPE = 4, Q_DIM = 6 };
enum { BUF_DATA = 0, BUF_OFFSET = 1, BUF_SIZE = 2 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3, OP_OPTIONS = 4,
       OP_CUSTOM_OPTIONS = 5, OP_INTERMEDIATES = 8, OP_LARGE_CUSTOM_OFFSET = 9,
       OP_OPTIONS2_TYPE = 11 };

/* Re-labels the reader's message with the table it happened in. */
static bool where(tfl_model *m, const char *table, unsigned i)
{
    fb_prefix(&m->r, "%s[%u]: ", table, i);
    return false;
}

bool tfl_open(tfl_model *m, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->file = data;
    m->file_len = len;
    bool ok = fb_init(&m->r, data, len, "TFL3") && fb_root(&m->r, &m->root) &&
              fb_get_u32(&m->r, &m->root, MODEL_VERSION, 0, &m->version) &&
              fb_get_vec(&m->r, &m->root, MODEL_OPCODES, 4, &m->opcodes, NULL) &&
              fb_get_vec(&m->r, &m->root, MODEL_SUBGRAPHS, 4, &m->subgraphs, NULL) &&
              fb_get_vec(&m->r, &m->root, MODEL_BUFFERS, 4, &m->buffers, NULL);
    if (!ok) {
        snprintf(err, errlen, "not a valid TFLite flatbuffer: Model: %s", m->r.err);
        return false;
    }
    if (m->version != 3) {
        snprintf(err, errlen, "TFLite schema version %u; only version 3 is supported", m->version);
        return false;
    }
    if (m->subgraphs.n == 0) {
        snprintf(err, errlen, "the model has no subgraphs");
        return false;
    }
    return true;
}

bool tfl_get_opcode(tfl_model *m, uint32_t i, tfl_opcode *oc)
{
    fb_table t;
    int8_t dep;
    memset(oc, 0, sizeof *oc);
    if (!fb_vec_table(&m->r, &m->opcodes, i, &t) ||
        !fb_get_i8(&m->r, &t, OPC_DEPRECATED_BUILTIN, 0, &dep) ||
        !fb_get_i32(&m->r, &t, OPC_BUILTIN, 0, &oc->builtin) ||
        !fb_get_i32(&m->r, &t, OPC_VERSION, 1, &oc->version) ||
        !fb_get_str(&m->r, &t, OPC_CUSTOM, &oc->custom_code, NULL))
        return where(m, "operator_codes", i);
    /* The schema: the real code is the larger of the two fields (old files
     * set only the byte, new ones set both or only the int). */
    if (dep > oc->builtin)
        oc->builtin = dep;
    return true;
}

bool tfl_get_subgraph(tfl_model *m, uint32_t i, tfl_subgraph *sg)
{
    fb_table t;
    memset(sg, 0, sizeof *sg);
    if (!fb_vec_table(&m->r, &m->subgraphs, i, &t) ||
        !fb_get_vec(&m->r, &t, SG_TENSORS, 4, &sg->tensors, NULL) ||
        !fb_get_vec(&m->r, &t, SG_INPUTS, 4, &sg->inputs, NULL) ||
        !fb_get_vec(&m->r, &t, SG_OUTPUTS, 4, &sg->outputs, NULL) ||
        !fb_get_vec(&m->r, &t, SG_OPERATORS, 4, &sg->operators, NULL) ||
        !fb_get_str(&m->r, &t, SG_NAME, &sg->name, NULL))
        return where(m, "subgraphs", i);
    return true;
}

bool tfl_get_tensor(tfl_model *m, const tfl_subgraph *sg, uint32_t i, tfl_tensor *tt)
{
    fb_table t, q;
    bool has_q;
    memset(tt, 0, sizeof *tt);
    tt->q_scale.elem_size = 4;
    tt->q_zero_point.elem_size = 8;
    if (!fb_vec_table(&m->r, &sg->tensors, i, &t) ||
        !fb_get_vec(&m->r, &t, T_SHAPE, 4, &tt->shape, NULL) ||
        !fb_get_i8(&m->r, &t, T_TYPE, TFL_FLOAT32, &tt->type) ||
        !fb_get_u32(&m->r, &t, T_BUFFER, 0, &tt->buffer) ||
        !fb_get_str(&m->r, &t, T_NAME, &tt->name, NULL) ||
        !fb_get_table(&m->r, &t, T_QUANT, &q, &has_q) ||
        !fb_get_bool(&m->r, &t, T_IS_VARIABLE, false, &tt->is_variable) ||
        !fb_get_vec(&m->r, &t, T_SHAPE_SIGNATURE, 4, &tt->shape_signature, NULL))
        return where(m, "tensors", i);
    if (!tt->name)
        tt->name = "";
    tt->has_sparsity = fb_has(&m->r, &t, T_SPARSITY);
    if (has_q) {
        tt->has_quant = true;
        if (!fb_get_vec(&m->r, &q, Q_SCALE, 4, &tt->q_scale, NULL) ||
            !fb_get_vec(&m->r, &q, Q_ZERO_POINT, 8, &tt->q_zero_point, NULL) ||
            !fb_get_u8(&m->r, &q, Q_DETAILS_TYPE, 0, &tt->q_details_type) ||
            !fb_get_i32(&m->r, &q, Q_DIM, 0, &tt->q_dim))
            return where(m, "quantization of tensors", i);
    }
    return true;
}

bool tfl_get_buffer(tfl_model *m, uint32_t i, tfl_buffer *b)
{
    fb_table t;
    fb_vec data;
    uint64_t off, size;
    memset(b, 0, sizeof *b);
    if (!fb_vec_table(&m->r, &m->buffers, i, &t) ||
        !fb_get_vec(&m->r, &t, BUF_DATA, 1, &data, NULL) ||
        !fb_get_u64(&m->r, &t, BUF_OFFSET, 0, &off) ||
        !fb_get_u64(&m->r, &t, BUF_SIZE, 0, &size))
        return where(m, "buffers", i);
    if (off > 1) {
        /* Data stored after the flatbuffer (schema 3c, for models > 2 GB):
         * offset is from the start of the file and only meaningful when > 1. */
        if (data.n)
            return fb_fail(&m->r, "buffers[%u]: has both inline data and an external offset", i);
        if (off > m->file_len || size > m->file_len - off)
            return fb_fail(&m->r, "buffers[%u]: external data at offset %llu, %llu bytes, lies past the end of the %zu-byte file",
                           i, (unsigned long long)off, (unsigned long long)size, m->file_len);
        b->data = size ? m->file + off : NULL;
        b->size = (size_t)size;
        return true;
    }
    if (data.n) {
        b->data = fb_vec_bytes(&m->r, &data);
        b->size = data.n;
    }
    return true;
}

bool tfl_get_operator(tfl_model *m, const tfl_subgraph *sg, uint32_t i, tfl_operator *op)
{
    fb_table t;
    uint64_t large_off;
    memset(op, 0, sizeof *op);
    if (!fb_vec_table(&m->r, &sg->operators, i, &t) ||
        !fb_get_u32(&m->r, &t, OP_OPCODE, 0, &op->opcode_index) ||
        !fb_get_vec(&m->r, &t, OP_INPUTS, 4, &op->inputs, NULL) ||
        !fb_get_vec(&m->r, &t, OP_OUTPUTS, 4, &op->outputs, NULL) ||
        !fb_get_u8(&m->r, &t, OP_OPTIONS_TYPE, 0, &op->options_type) ||
        !fb_get_table(&m->r, &t, OP_OPTIONS, &op->options, &op->has_options) ||
        !fb_get_vec(&m->r, &t, OP_INTERMEDIATES, 4, &op->intermediates, NULL) ||
        !fb_get_u64(&m->r, &t, OP_LARGE_CUSTOM_OFFSET, 0, &large_off) ||
        !fb_get_u8(&m->r, &t, OP_OPTIONS2_TYPE, 0, &op->options2_type))
        return where(m, "operators", i);
    op->has_custom_options = fb_has(&m->r, &t, OP_CUSTOM_OPTIONS) || large_off > 1;
    return true;
}

/* BuiltinOptions union member numbers (position in the union, from 1). */
enum {
    OPT_CONV2D = 1, OPT_DEPTHWISE = 2, OPT_POOL2D = 5, OPT_SVDF = 6, OPT_FULLY_CONNECTED = 8, OPT_SOFTMAX = 9,
    OPT_CONCATENATION = 10, OPT_ADD = 11, OPT_RESHAPE = 17, OPT_MUL = 21, OPT_PAD = 22,
    OPT_TRANSPOSE = 26, OPT_REDUCER = 27, OPT_SUB = 28, OPT_SQUEEZE = 30, OPT_STRIDED_SLICE = 32,
    OPT_SPLIT = 35, OPT_DEQUANTIZE = 38, OPT_MAXMIN = 39, OPT_PADV2 = 43,
    OPT_TRANSPOSE_CONV = 49, OPT_LEAKY_RELU = 75, OPT_SPLIT_V = 79, OPT_QUANTIZE = 89,
    OPT_HARD_SWISH = 91, OPT_GATHER = 23, OPT_BATCH_MATMUL = 101, OPT_DIV = 29,
    OPT_SPACE_TO_DEPTH = 19, OPT_DEPTH_TO_SPACE = 94, OPT_CUMSUM = 102, OPT_GELU = 116
};

static int expected_options(int32_t builtin)
{
    switch (builtin) {
    case TFL_OP_CONV_2D: return OPT_CONV2D;
    case TFL_OP_DEPTHWISE_CONV_2D: return OPT_DEPTHWISE;
    case TFL_OP_AVERAGE_POOL_2D:
    case TFL_OP_MAX_POOL_2D: return OPT_POOL2D;
    case TFL_OP_FULLY_CONNECTED: return OPT_FULLY_CONNECTED;
    case TFL_OP_SVDF: return OPT_SVDF;
    case TFL_OP_SOFTMAX: return OPT_SOFTMAX;
    case TFL_OP_CONCATENATION: return OPT_CONCATENATION;
    case TFL_OP_ADD: return OPT_ADD;
    case TFL_OP_RESHAPE: return OPT_RESHAPE;
    case TFL_OP_MUL: return OPT_MUL;
    case TFL_OP_PAD: return OPT_PAD;
    case TFL_OP_TRANSPOSE: return OPT_TRANSPOSE;
    case TFL_OP_MEAN:
    case 74: case 81: case 82: case 89: return OPT_REDUCER;     /* SUM, REDUCE_PROD/MAX/MIN */
    case 36: return OPT_GATHER;
    case 42: return OPT_DIV;
    case 126: return OPT_BATCH_MATMUL;
    case 5: return OPT_DEPTH_TO_SPACE;
    case 26: return OPT_SPACE_TO_DEPTH;
    case 128: return OPT_CUMSUM;
    case 150: return OPT_GELU;
    case TFL_OP_SUB: return OPT_SUB;
    case TFL_OP_SQUEEZE: return OPT_SQUEEZE;
    case TFL_OP_STRIDED_SLICE: return OPT_STRIDED_SLICE;
    case TFL_OP_SPLIT: return OPT_SPLIT;
    case TFL_OP_SPLIT_V: return OPT_SPLIT_V;
    case TFL_OP_DEQUANTIZE: return OPT_DEQUANTIZE;
    case TFL_OP_MAXIMUM:
    case TFL_OP_MINIMUM: return OPT_MAXMIN;
    case TFL_OP_PADV2: return OPT_PADV2;
    case TFL_OP_TRANSPOSE_CONV: return OPT_TRANSPOSE_CONV;
    case TFL_OP_LEAKY_RELU: return OPT_LEAKY_RELU;
    case TFL_OP_QUANTIZE: return OPT_QUANTIZE;
    case TFL_OP_HARD_SWISH: return OPT_HARD_SWISH;
    default: return 0;      /* no options table read */
    }
}

bool tfl_get_options(tfl_model *m, const tfl_operator *op, int32_t builtin, tfl_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dilation_w = o->dilation_h = 1;
    o->pot_scale_int16 = true;
    o->beta = 0.0f;
    o->squeeze_dims.elem_size = 4;
    o->new_shape.elem_size = 4;
    int want = expected_options(builtin);
    if (!op->has_options || !want)
        return true;
    if (op->options_type != want)
        return fb_fail(&m->r, "builtin_options has union type %u, expected %d", op->options_type,
                       want);
    fb_reader *r = &m->r;
    const fb_table *t = &op->options;
    bool ok = true;
    switch (want) {
    case OPT_CONV2D:
        ok = fb_get_i8(r, t, 0, 0, &o->padding) && fb_get_i32(r, t, 1, 0, &o->stride_w) &&
             fb_get_i32(r, t, 2, 0, &o->stride_h) && fb_get_i8(r, t, 3, 0, &o->act) &&
             fb_get_i32(r, t, 4, 1, &o->dilation_w) && fb_get_i32(r, t, 5, 1, &o->dilation_h) &&
             fb_get_i8(r, t, 6, 0, &o->quantized_bias_type);
        break;
    case OPT_DEPTHWISE:
        ok = fb_get_i8(r, t, 0, 0, &o->padding) && fb_get_i32(r, t, 1, 0, &o->stride_w) &&
             fb_get_i32(r, t, 2, 0, &o->stride_h) && fb_get_i32(r, t, 3, 0, &o->depth_multiplier) &&
             fb_get_i8(r, t, 4, 0, &o->act) && fb_get_i32(r, t, 5, 1, &o->dilation_w) &&
             fb_get_i32(r, t, 6, 1, &o->dilation_h);
        break;
    case OPT_POOL2D:
        ok = fb_get_i8(r, t, 0, 0, &o->padding) && fb_get_i32(r, t, 1, 0, &o->stride_w) &&
             fb_get_i32(r, t, 2, 0, &o->stride_h) && fb_get_i32(r, t, 3, 0, &o->filter_w) &&
             fb_get_i32(r, t, 4, 0, &o->filter_h) && fb_get_i8(r, t, 5, 0, &o->act);
        break;
    case OPT_FULLY_CONNECTED:
        ok = fb_get_i8(r, t, 0, 0, &o->act) && fb_get_i8(r, t, 1, 0, &o->weights_format) &&
             fb_get_bool(r, t, 2, false, &o->keep_num_dims) &&
             fb_get_bool(r, t, 3, false, &o->asymmetric_quantize_inputs) &&
             fb_get_i8(r, t, 4, 0, &o->quantized_bias_type);
        break;
    case OPT_SVDF:
        ok = fb_get_i32(r, t, 0, 0, &o->rank) && fb_get_i8(r, t, 1, 0, &o->act) &&
             fb_get_bool(r, t, 2, false, &o->asymmetric_quantize_inputs);
        break;
    case OPT_SOFTMAX:
        ok = fb_get_f32(r, t, 0, 0.0f, &o->beta);
        break;
    case OPT_CONCATENATION:
        ok = fb_get_i32(r, t, 0, 0, &o->axis) && fb_get_i8(r, t, 1, 0, &o->act);
        break;
    case OPT_ADD:
    case OPT_SUB:
        ok = fb_get_i8(r, t, 0, 0, &o->act) && fb_get_bool(r, t, 1, true, &o->pot_scale_int16);
        break;
    case OPT_MUL:
        ok = fb_get_i8(r, t, 0, 0, &o->act);
        break;
    case OPT_RESHAPE:
        ok = fb_get_vec(r, t, 0, 4, &o->new_shape, NULL);
        break;
    case OPT_REDUCER:
        ok = fb_get_bool(r, t, 0, false, &o->keep_dims);
        break;
    case OPT_GATHER:
        ok = fb_get_i32(r, t, 0, 0, &o->axis) && fb_get_i32(r, t, 1, 0, &o->batch_dims);
        break;
    case OPT_DIV:
        ok = fb_get_i8(r, t, 0, 0, &o->act);
        break;
    case OPT_BATCH_MATMUL:
        ok = fb_get_bool(r, t, 0, false, &o->adj_x) && fb_get_bool(r, t, 1, false, &o->adj_y);
        break;
    case OPT_DEPTH_TO_SPACE:
    case OPT_SPACE_TO_DEPTH:
        ok = fb_get_i32(r, t, 0, 0, &o->block_size);
        break;
    case OPT_CUMSUM:
        ok = fb_get_bool(r, t, 0, false, &o->exclusive) && fb_get_bool(r, t, 1, false, &o->reverse);
        break;
    case OPT_GELU:
        ok = fb_get_bool(r, t, 0, false, &o->approximate);
        break;
    case OPT_SQUEEZE:
        ok = fb_get_vec(r, t, 0, 4, &o->squeeze_dims, NULL);
        break;
    case OPT_STRIDED_SLICE:
        ok = fb_get_i32(r, t, 0, 0, &o->begin_mask) && fb_get_i32(r, t, 1, 0, &o->end_mask) &&
             fb_get_i32(r, t, 2, 0, &o->ellipsis_mask) && fb_get_i32(r, t, 3, 0, &o->new_axis_mask) &&
             fb_get_i32(r, t, 4, 0, &o->shrink_axis_mask) && fb_get_bool(r, t, 5, false, &o->offset);
        break;
    case OPT_SPLIT:
    case OPT_SPLIT_V:
        ok = fb_get_i32(r, t, 0, 0, &o->num_splits);
        break;
    case OPT_TRANSPOSE_CONV:
        ok = fb_get_i8(r, t, 0, 0, &o->padding) && fb_get_i32(r, t, 1, 0, &o->stride_w) &&
             fb_get_i32(r, t, 2, 0, &o->stride_h) && fb_get_i8(r, t, 3, 0, &o->act) &&
             fb_get_i8(r, t, 4, 0, &o->quantized_bias_type);
        break;
    case OPT_LEAKY_RELU:
        ok = fb_get_f32(r, t, 0, 0.0f, &o->alpha);
        break;
    default:            /* options tables with no fields */
        break;
    }
    if (!ok)
        fb_prefix(r, "builtin_options: ");
    return ok;
}
