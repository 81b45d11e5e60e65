/*
 * tflite_import.c - TFLite flatbuffer -> Kiln IR: the driver.
 *
 * Opens the model through tflite_schema.c (which verifies every byte it
 * reads), imports subgraph 0: its inputs, then each operator in execution
 * order through the converter registered for its builtin code and version,
 * then its outputs, and hands back a graph that passed ir_verify().  TFLite
 * tensors become IR tensors on first use, so a tensor no operator touches is
 * never decoded; constants are copied out of the file (the IR owns its data).
 * Inputs are bound, and with --shape / --const or an input of another size
 * than the stored one each operator's output shapes worked out before its
 * converter runs, by tflite_shapes.c.
 *
 * What it refuses, with a message naming the operator index, builtin name and
 * version (or the tensor): builtins or versions it does not support, custom
 * and control-flow operators (but IF on a constant condition), hybrid (float activation, int8 weight) ops,
 * sparse tensors, custom quantization, variable (stateful) tensors other
 * than an SVDF's activation state, string / complex / int4 / bfloat16 data,
 * files over 2 GiB.
 *
 * Work is bounded by the file: besides the reader's own limits, the bytes the
 * import may copy out (constants, scales) are capped at a multiple of the
 * file size, so a small file whose tensors all share one large buffer cannot
 * make it run long.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "import/tflite_internal.h"
#include "util/fileio.h"
#include "util/sbuf.h"

/* ---- the operators Kiln imports ---------------------------------------- */

typedef struct tfl_conv_entry {
    int32_t builtin;
    int max_version;
    tfl_convert_fn fn;
} tfl_conv_entry;

/* Highest version of each builtin whose semantics the converter implements
 * (tensorflow/lite/tools/versioning/op_version.cc says what each version
 * added).  Versions that only mean hybrid or int4 weights fall inside these
 * ranges and are refused by the converters from the tensor types. */
static const tfl_conv_entry converters[] = {
    {TFL_OP_ADD, 3, tfl_binary},              /* 2: int8; 3: int16 general scaling */
    {TFL_OP_AVERAGE_POOL_2D, 3, tfl_pool2d},  /* 3: int16 */
    {TFL_OP_CONCATENATION, 3, tfl_concat},
    {TFL_OP_CONV_2D, 8, tfl_conv2d},          /* 3: int8; 4: int16; 6: grouped; 8: bias type */
    {TFL_OP_DEPTHWISE_CONV_2D, 7, tfl_depthwise_conv2d}, /* 2: dilation; 3: int8; 5: int16 */
    {TFL_OP_DEQUANTIZE, 5, tfl_dequantize},   /* 3: int16, float16; 5: per-channel */
    {TFL_OP_EXPAND_DIMS, 1, tfl_reshape},
    {TFL_OP_FULLY_CONNECTED, 11, tfl_fully_connected}, /* 5: keep_num_dims; 6: no bias;
                                                          7: int16; 11: bias type */
    {TFL_OP_HARD_SWISH, 1, tfl_unary},
    {TFL_OP_IF, 1, tfl_if},                   /* a constant condition only: the branch is inlined */
    {TFL_OP_LEAKY_RELU, 2, tfl_unary},
    {TFL_OP_LOGISTIC, 3, tfl_unary},
    {TFL_OP_MAXIMUM, 4, tfl_binary},
    {TFL_OP_MAX_POOL_2D, 3, tfl_pool2d},
    {TFL_OP_MEAN, 3, tfl_mean},
    {TFL_OP_MINIMUM, 4, tfl_binary},
    {TFL_OP_MUL, 4, tfl_binary},              /* 3: rescale >= 1; 4: int16 */
    {TFL_OP_PAD, 4, tfl_pad},
    {TFL_OP_PADV2, 4, tfl_pad},
    {TFL_OP_QUANTIZE, 3, tfl_quantize},       /* 2: int16; 3: per-channel */
    {TFL_OP_RELU, 3, tfl_unary},
    {TFL_OP_RELU6, 3, tfl_unary},
    {TFL_OP_RELU_N1_TO_1, 1, tfl_unary},
    {TFL_OP_RESHAPE, 1, tfl_reshape},
    {TFL_OP_SOFTMAX, 3, tfl_softmax},
    {TFL_OP_SPLIT, 4, tfl_split},
    {TFL_OP_SPLIT_V, 2, tfl_split},
    {TFL_OP_SQUEEZE, 1, tfl_reshape},
    {TFL_OP_STRIDED_SLICE, 8, tfl_strided_slice}, /* 6 (ellipsis, new axis) refused by content */
    {TFL_OP_SUB, 5, tfl_binary},              /* 2: int8; 4: int64 (refused by type); 5: int16 general scaling */
    {TFL_OP_SVDF, 4, tfl_svdf},               /* 2, 4: hybrid (refused by type); 3: int8 */
    {TFL_OP_TANH, 3, tfl_unary},
    {TFL_OP_TRANSPOSE, 6, tfl_transpose},
    {TFL_OP_TRANSPOSE_CONV, 5, tfl_transpose_conv}, /* 3: bias; 4: fused act; 5: bias type */
    {101, 5, tfl_ext_unary}, /* ABS (extended set; integer versions refused by type) */
    {59, 2, tfl_ext_unary}, /* NEG (extended set; integer versions refused by type) */
    {47, 2, tfl_ext_unary}, /* EXP (extended set; integer versions refused by type) */
    {73, 2, tfl_ext_unary}, /* LOG (extended set; integer versions refused by type) */
    {75, 2, tfl_ext_unary}, /* SQRT (extended set; integer versions refused by type) */
    {76, 3, tfl_ext_unary}, /* RSQRT (extended set; integer versions refused by type) */
    {92, 1, tfl_ext_unary}, /* SQUARE (extended set; integer versions refused by type) */
    {66, 1, tfl_ext_unary}, /* SIN (extended set; integer versions refused by type) */
    {108, 1, tfl_ext_unary}, /* COS (extended set; integer versions refused by type) */
    {104, 1, tfl_ext_unary}, /* CEIL (extended set; integer versions refused by type) */
    {8, 2, tfl_ext_unary}, /* FLOOR (extended set; integer versions refused by type) */
    {116, 1, tfl_ext_unary}, /* ROUND (extended set; integer versions refused by type) */
    {111, 1, tfl_ext_unary}, /* ELU (extended set; integer versions refused by type) */
    {87, 1, tfl_ext_unary}, /* LOGICAL_NOT (extended set; integer versions refused by type) */
    {78, 1, tfl_ext_binary}, /* POW (extended set; integer versions refused by type) */
    {42, 2, tfl_ext_binary}, /* DIV (extended set; integer versions refused by type) */
    {99, 2, tfl_ext_binary}, /* SQUARED_DIFFERENCE (extended set; integer versions refused by type) */
    {58, 3, tfl_ext_binary}, /* LESS (extended set; integer versions refused by type) */
    {61, 3, tfl_ext_binary}, /* GREATER (extended set; integer versions refused by type) */
    {62, 3, tfl_ext_binary}, /* GREATER_EQUAL (extended set; integer versions refused by type) */
    {63, 3, tfl_ext_binary}, /* LESS_EQUAL (extended set; integer versions refused by type) */
    {71, 4, tfl_ext_binary}, /* EQUAL (extended set; integer versions refused by type) */
    {72, 3, tfl_ext_binary}, /* NOT_EQUAL (extended set; integer versions refused by type) */
    {84, 1, tfl_ext_binary}, /* LOGICAL_OR (extended set; integer versions refused by type) */
    {86, 1, tfl_ext_binary}, /* LOGICAL_AND (extended set; integer versions refused by type) */
    {64, 2, tfl_ext_select}, /* SELECT (extended set; integer versions refused by type) */
    {123, 2, tfl_ext_select}, /* SELECT_V2 (extended set; integer versions refused by type) */
    {74, 2, tfl_ext_reduce}, /* SUM (extended set; integer versions refused by type) */
    {82, 3, tfl_ext_reduce}, /* REDUCE_MAX (extended set; integer versions refused by type) */
    {89, 3, tfl_ext_reduce}, /* REDUCE_MIN (extended set; integer versions refused by type) */
    {81, 2, tfl_ext_reduce}, /* REDUCE_PROD (extended set; integer versions refused by type) */
    {56, 3, tfl_ext_arg}, /* ARG_MAX (extended set; integer versions refused by type) */
    {79, 3, tfl_ext_arg}, /* ARG_MIN (extended set; integer versions refused by type) */
    {36, 7, tfl_ext_gather}, /* GATHER (extended set; integer versions refused by type) */
    {126, 4, tfl_ext_batch_matmul}, /* BATCH_MATMUL (extended set; integer versions refused by type) */
    {53, 6, tfl_ext_cast}, /* CAST (extended set; integer versions refused by type) */
    {77, 1, tfl_ext_shape}, /* SHAPE (extended set; integer versions refused by type) */
    {5, 2, tfl_depth_space}, /* DEPTH_TO_SPACE (float32; int8 as an exact copy) */
    {26, 2, tfl_depth_space}, /* SPACE_TO_DEPTH (float32; int8 as an exact copy) */
    {69, 3, tfl_tile}, /* TILE (float32; int8 as an exact copy) */
    {130, 3, tfl_broadcast_to}, /* BROADCAST_TO (float32; int8 as an exact copy) */
    {54, 2, tfl_prelu}, /* PRELU (float32; int8 as TFLM's quantized Prelu) */
    {150, 2, tfl_gelu}, /* GELU (float32; int8 as TFLite's table) */
    {128, 1, tfl_cumsum}, /* CUMSUM (float32; int8 as TFLM's quantized CumSum) */
    {107, 4, tfl_gather_nd}, /* GATHER_ND (constant or int32 run-time indices; float32, int8 as an exact copy) */
};

static const tfl_conv_entry *find_converter(int32_t builtin)
{
    for (size_t i = 0; i < sizeof converters / sizeof converters[0]; i++)
        if (converters[i].builtin == builtin)
            return &converters[i];
    return NULL;
}

void tflite_supported_ops(sbuf *out)
{
    sb_printf(out, "TFLite builtin operators (schema v3; versions accepted):\n");
    /* In builtin-name order, for a stable listing. */
    size_t n = sizeof converters / sizeof converters[0];
    int done[sizeof converters / sizeof converters[0]] = {0};
    for (size_t k = 0; k < n; k++) {
        size_t best = n;
        char t1[32], t2[32];
        for (size_t i = 0; i < n; i++)
            if (!done[i] && (best == n ||
                             strcmp(tfl_builtin_name(converters[i].builtin, t1, sizeof t1),
                                    tfl_builtin_name(converters[best].builtin, t2, sizeof t2)) < 0))
                best = i;
        done[best] = 1;
        const char *name = tfl_builtin_name(converters[best].builtin, t1, sizeof t1);
        if (converters[best].max_version == 1)
            sb_printf(out, "  %-20s v1\n", name);
        else
            sb_printf(out, "  %-20s v1-%d\n", name, converters[best].max_version);
    }
    sb_printf(out, "  (float32, int8 and int16x8 quantized; hybrid float/int8 ops are not supported)\n");
}

/* ---- messages ------------------------------------------------------------ */

bool tfl_op_fail(tfl_ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: operator %d (%s v%d): %s", c->path, c->op_index, c->op_name,
             (int)c->version, msg);
    return false;
}

/* A message about the model outside any operator (or about a tensor). */
static bool fail(tfl_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static bool fail(tfl_ctx *c, const char *fmt, ...)
{
    if (c->op_index >= 0) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return tfl_op_fail(c, "%s", msg);
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
    return false;
}

/* A damaged table: the reader's message says where. */
static bool fail_format(tfl_ctx *c)
{
    return fail(c, "damaged model file: %s", c->m.r.err);
}

bool tfl_spend(tfl_ctx *c, uint64_t bytes, const char *what)
{
    if (bytes > c->budget)
        return fail(c, "%s: the model copies more data than a %zu-byte file can hold "
                       "(tensors sharing buffers too often); refusing", what, c->m.file_len);
    c->budget -= bytes;
    return true;
}

/* ---- tensors ------------------------------------------------------------- */

static ir_dtype map_type(int type)
{
    switch (type) {
    case TFL_FLOAT32: return IR_DT_F32;
    case TFL_FLOAT16: return IR_DT_F16;
    case TFL_FLOAT64: return IR_DT_F64;
    case TFL_INT8: return IR_DT_S8;
    case TFL_UINT8: return IR_DT_U8;
    case TFL_INT16: return IR_DT_S16;
    case TFL_UINT16: return IR_DT_U16;
    case TFL_INT32: return IR_DT_S32;
    case TFL_UINT32: return IR_DT_U32;
    case TFL_INT64: return IR_DT_S64;
    case TFL_UINT64: return IR_DT_U64;
    case TFL_BOOL: return IR_DT_BOOL;
    default: return IR_DT_UNDEF;
    }
}

static bool zp_in_range(ir_dtype dt, int64_t zp)
{
    switch (dt) {
    case IR_DT_S8: return zp >= -128 && zp <= 127;
    case IR_DT_U8: return zp >= 0 && zp <= 255;
    case IR_DT_S16: return zp >= -32768 && zp <= 32767;
    case IR_DT_U16: return zp >= 0 && zp <= 65535;
    default: return zp >= INT32_MIN && zp <= INT32_MAX;
    }
}

static bool is_int_type(ir_dtype dt)
{
    return dt != IR_DT_F32 && dt != IR_DT_F16 && dt != IR_DT_F64 && dt != IR_DT_BOOL;
}

/* Quantization parameters of tensor tt (already mapped to IR tensor irt). */
static bool import_quant(tfl_ctx *c, const tfl_tensor *tt, int irt, int32_t ti)
{
    ir_tensor *t = &c->g->tensors[irt];
    if (!tt->has_quant)
        return true;
    if (tt->q_details_type != 0)
        return fail(c, "tensor %d '%s' uses custom quantization (QuantizationDetails); "
                       "only scale/zero_point quantization is supported", ti, tt->name);
    uint32_t n = tt->q_scale.n;
    /* Float tensors may carry min/max or leftover scales; they are not quantized. */
    if (n == 0 || !is_int_type(t->dtype))
        return true;
    if (tt->q_zero_point.n != 0 && tt->q_zero_point.n != n)
        return fail(c, "tensor %d '%s' has %u scales but %u zero points", ti, tt->name, n,
                    tt->q_zero_point.n);
    int axis = 0;
    if (n > 1) {
        axis = tt->q_dim;
        /* Some converters leave the weights' quantized_dimension on a bias
         * (e.g. 3 on a [C] bias); a vector can only be quantized along 0. */
        if (t->rank == 1 && t->shape[0] == (int64_t)n)
            axis = 0;
        if (axis < 0 || axis >= t->rank || t->shape[axis] != (int64_t)n)
            return fail(c, "tensor %d '%s' has %u per-channel scales along quantized_dimension %d, "
                           "which does not match its shape", ti, tt->name, n, (int)tt->q_dim);
    }
    if (!tfl_spend(c, (uint64_t)n * 12, "quantization parameters"))
        return false;
    float *scale = xmalloc(n * sizeof *scale);
    int32_t *zp = xmalloc(n * sizeof *zp);
    bool all_zero = true;
    for (uint32_t i = 0; i < n; i++) {
        scale[i] = fb_vec_f32(&c->m.r, &tt->q_scale, i);
        int64_t z = tt->q_zero_point.n ? fb_vec_i64(&c->m.r, &tt->q_zero_point, i) : 0;
        if (scale[i] != 0.0f || z != 0)
            all_zero = false;
        if (!zp_in_range(t->dtype, z)) {
            free(scale);
            free(zp);
            return fail(c, "tensor %d '%s': zero point %lld is outside the range of %s", ti,
                        tt->name, (long long)z, ir_dtype_name(t->dtype));
        }
        zp[i] = (int32_t)z;
    }
    bool ok = true;
    if (!all_zero) {
        /* Some converters write scale 0 on int32 index tensors: all-zero
         * parameters mean "not quantized"; anything else must be usable. */
        for (uint32_t i = 0; i < n && ok; i++)
            if (!(isfinite(scale[i]) && scale[i] > 0.0f))
                ok = fail(c, "tensor %d '%s': scale[%u] = %g; scales must be positive and finite", ti,
                          tt->name, i, (double)scale[i]);
        if (ok)
            ir_set_quant(c->g, irt, (int)n, axis, scale, zp);
    }
    free(scale);
    free(zp);
    return ok;
}

int tfl_tensor_ir(tfl_ctx *c, int32_t ti)
{
    if (ti < 0 || (uint32_t)ti >= c->n_tensors) {
        fail(c, "tensor index %d is out of range (the subgraph has %u tensors)", (int)ti,
             c->n_tensors);
        return -1;
    }
    if (c->tmap[ti] >= 0) {
        /* A state belongs to exactly one SVDF: no other operator may read it. */
        if (c->g->tensors[c->tmap[ti]].is_state) {
            fail(c, "tensor %d '%s' is an SVDF's activation state (a variable); %s", (int)ti,
                 c->g->tensors[c->tmap[ti]].name,
                 c->allow_state ? "two SVDF operators cannot share one state"
                                : "no other operator, graph input or output may use it");
            return -1;
        }
        return c->tmap[ti];
    }
    tfl_tensor tt;
    if (!tfl_get_tensor(&c->m, &c->sg, (uint32_t)ti, &tt)) {
        fail_format(c);
        return -1;
    }
    ir_dtype dt = map_type(tt.type);
    if (dt == IR_DT_UNDEF) {
        fail(c, "tensor %d '%s' has type %s, which Kiln does not support", ti, tt.name,
             tfl_type_name(tt.type));
        return -1;
    }
    if (tt.has_sparsity) {
        fail(c, "tensor %d '%s' is sparse (SparsityParameters); densify the model first", ti, tt.name);
        return -1;
    }
    if (tt.is_variable != c->allow_state) {
        if (tt.is_variable)
            fail(c, "tensor %d '%s' is a variable (state kept between invocations); Kiln supports "
                    "variables only as the activation state of SVDF operators", ti, tt.name);
        else
            fail(c, "tensor %d '%s' is the SVDF's activation state but is not marked as a "
                    "variable (is_variable), which TFLite requires", ti, tt.name);
        return -1;
    }
    if (tt.shape.n > IR_MAX_DIMS) {
        fail(c, "tensor %d '%s' has rank %u (at most %d supported)", ti, tt.name, tt.shape.n,
             IR_MAX_DIMS);
        return -1;
    }
    int64_t shape[IR_MAX_DIMS];
    uint64_t numel = 1;
    for (uint32_t d = 0; d < tt.shape.n; d++) {
        int32_t v = fb_vec_i32(&c->m.r, &tt.shape, d);
        if (v < 0) {
            fail(c, "tensor %d '%s' has dimension %u = %d (unknown dimensions are not supported)", ti,
                 tt.name, d, (int)v);
            return -1;
        }
        shape[d] = v;
    }
    if (!tfl_shape_final(c, ti, &tt, shape))
        return -1;
    for (uint32_t d = 0; d < tt.shape.n; d++) {
        numel *= (uint64_t)shape[d];
        if (numel > (1u << 31)) {
            fail(c, "tensor %d '%s' is larger than 2 GiB elements", ti, tt.name);
            return -1;
        }
    }
    uint64_t bytes = numel * ir_dtype_size(dt);
    if (bytes > (1u << 31)) {
        fail(c, "tensor %d '%s' needs %llu bytes; tensors are limited to 2 GiB", ti, tt.name,
             (unsigned long long)bytes);
        return -1;
    }
    tfl_buffer buf = {0};
    if (tt.buffer != 0 || c->m.buffers.n > 0) {
        if (tt.buffer >= c->m.buffers.n) {
            fail(c, "tensor %d '%s' refers to buffer %u but the model has %u buffers", ti, tt.name,
                 tt.buffer, c->m.buffers.n);
            return -1;
        }
        if (!tfl_get_buffer(&c->m, tt.buffer, &buf)) {
            fail_format(c);
            return -1;
        }
    }
    const char *name = tt.name;
    char fallback[32];
    if (!name[0]) {
        snprintf(fallback, sizeof fallback, "tensor%d", (int)ti);
        name = fallback;
    }
    int irt;
    if (tt.is_variable) {
        /* TFLite-Micro allocates a variable in the arena and resets it at
         * init; a buffer the file may carry for it is never read. */
        irt = ir_add_tensor(c->g, name, dt, (int)tt.shape.n, shape);
        c->g->tensors[irt].is_state = true;
    } else if (buf.size > 0) {
        if (buf.size != bytes) {
            fail(c, "constant tensor %d '%s' (%s, %llu elements) needs %llu bytes but its buffer %u holds %zu",
                 ti, tt.name, tfl_type_name(tt.type), (unsigned long long)numel,
                 (unsigned long long)bytes, tt.buffer, buf.size);
            return -1;
        }
        if (!tfl_spend(c, bytes, "constant data"))
            return -1;
        irt = ir_add_const(c->g, name, dt, (int)tt.shape.n, shape, buf.data, buf.size);
    } else {
        irt = ir_add_tensor(c->g, name, dt, (int)tt.shape.n, shape);
    }
    c->tmap[ti] = irt;
    if (!import_quant(c, &tt, irt, ti))
        return -1;
    return irt;
}

/* ---- operands ------------------------------------------------------------ */

int tfl_n_in(const tfl_ctx *c) { return (int)c->op.inputs.n; }
int tfl_n_out(const tfl_ctx *c) { return (int)c->op.outputs.n; }

int32_t tfl_in_index(const tfl_ctx *c, int k)
{
    if (k < 0 || k >= tfl_n_in(c))
        return -1;
    return fb_vec_i32(&c->m.r, &c->op.inputs, (uint32_t)k);
}

int tfl_in(tfl_ctx *c, int k)
{
    int32_t ti = tfl_in_index(c, k);
    if (ti < 0) {
        tfl_op_fail(c, "input %d is required but absent", k);
        return -1;
    }
    return tfl_tensor_ir(c, ti);
}

int tfl_in_opt(tfl_ctx *c, int k)
{
    int32_t ti = tfl_in_index(c, k);
    if (ti < 0)
        return -1;
    return tfl_tensor_ir(c, ti);
}

int tfl_out(tfl_ctx *c, int k)
{
    if (k < 0 || k >= tfl_n_out(c)) {
        tfl_op_fail(c, "output %d is absent", k);
        return -1;
    }
    int32_t ti = fb_vec_i32(&c->m.r, &c->op.outputs, (uint32_t)k);
    int irt = tfl_tensor_ir(c, ti);
    if (irt >= 0 && (ir_is_const(tfl_t(c, irt)) || tfl_t(c, irt)->is_input)) {
        tfl_op_fail(c, "output %d is tensor '%s', which is a constant or a graph input", k,
                    tfl_t(c, irt)->name);
        return -1;
    }
    if (irt >= 0 && tfl_t(c, irt)->producer >= 0) {
        tfl_op_fail(c, "output tensor '%s' is already written by an earlier operator",
                    tfl_t(c, irt)->name);
        return -1;
    }
    return irt;
}

bool tfl_check_arity(tfl_ctx *c, int min_in, int max_in, int n_out)
{
    int ni = tfl_n_in(c), no = tfl_n_out(c);
    if (ni < min_in || ni > max_in) {
        if (min_in == max_in)
            return tfl_op_fail(c, "has %d inputs, expected %d", ni, min_in);
        return tfl_op_fail(c, "has %d inputs, expected %d to %d", ni, min_in, max_in);
    }
    if (n_out >= 0 && no != n_out)
        return tfl_op_fail(c, "has %d outputs, expected %d", no, n_out);
    return true;
}

int tfl_node(tfl_ctx *c, ir_op op, int n_in, const int *in, int n_out, const int *out)
{
    const char *name = n_out > 0 && out[0] >= 0 ? c->g->tensors[out[0]].name : c->op_name;
    char *copy = xstrdup(name);     /* the tensor array may move while adding */
    int n = ir_add_node(c->g, op, copy, c->op_name, c->op_index, n_in, in, n_out, out);
    free(copy);
    c->g->nodes[n].attr.qmode = IR_QMODE_TFLITE;
    return n;
}

int tfl_temp(tfl_ctx *c, int like, const char *suffix, int rank, const int64_t *shape)
{
    char *name = xasprintf("%s%s", c->g->tensors[like].name, suffix);
    int t = ir_add_tensor(c->g, name, c->g->tensors[like].dtype, rank, shape);
    free(name);
    /* Re-read `like` after the add: the tensor array may have moved (the
     * scale and zero-point arrays themselves do not). */
    const ir_quant *q = &c->g->tensors[like].q;
    if (q->n > 0)
        ir_set_quant(c->g, t, q->n, q->axis, q->scale, q->zero_point);
    return t;
}

bool tfl_fused_act(tfl_ctx *c, int8_t act, ir_act *out)
{
    out->on = false;
    out->lo = -INFINITY;
    out->hi = INFINITY;
    switch (act) {
    case TFL_ACT_NONE: return true;
    case TFL_ACT_RELU: out->on = true; out->lo = 0.0f; return true;
    case TFL_ACT_RELU6: out->on = true; out->lo = 0.0f; out->hi = 6.0f; return true;
    case TFL_ACT_RELU_N1_TO_1: out->on = true; out->lo = -1.0f; out->hi = 1.0f; return true;
    case TFL_ACT_TANH: return tfl_op_fail(c, "fused activation TANH is not supported");
    case TFL_ACT_SIGN_BIT: return tfl_op_fail(c, "fused activation SIGN_BIT is not supported");
    default: return tfl_op_fail(c, "fused activation %d is not a valid ActivationFunctionType", act);
    }
}

bool tfl_const_ints(tfl_ctx *c, int k, int64_t *vals, int max, int *n, const char *what)
{
    int t = tfl_in(c, k);
    if (t < 0)
        return false;
    const ir_tensor *x = tfl_t(c, t);
    if (!ir_is_const(x))
        return tfl_op_fail(c, "%s (input %d, '%s') must be a constant", what, k, x->name);
    if (x->dtype != IR_DT_S32 && x->dtype != IR_DT_S64)
        return tfl_op_fail(c, "%s (input %d, '%s') is %s, expected int32 or int64", what, k, x->name,
                           ir_dtype_name(x->dtype));
    int64_t cnt = ir_numel(x);
    if (cnt > max)
        return tfl_op_fail(c, "%s (input %d) has %lld values, at most %d expected", what, k,
                           (long long)cnt, max);
    for (int64_t i = 0; i < cnt; i++) {
        if (x->dtype == IR_DT_S32) {
            int32_t v;
            memcpy(&v, (const uint8_t *)x->data + 4 * i, 4);
            vals[i] = v;
        } else {
            int64_t v;
            memcpy(&v, (const uint8_t *)x->data + 8 * i, 8);
            vals[i] = v;
        }
    }
    *n = (int)cnt;
    return true;
}

bool tfl_same_shape(const ir_tensor *a, const ir_tensor *b)
{
    if (a->rank != b->rank)
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->shape[d] != b->shape[d])
            return false;
    return true;
}

bool tfl_refuse_hybrid(tfl_ctx *c, int x, int w)
{
    const ir_tensor *xt = tfl_t(c, x), *wt = tfl_t(c, w);
    if (xt->dtype == IR_DT_F32 && (wt->dtype == IR_DT_S8 || wt->dtype == IR_DT_U8))
        return tfl_op_fail(c,
            "hybrid operator: float32 activations with %s weights ('%s'), i.e. a dynamic-range "
            "quantized model, which TFLite Micro does not run either. Convert it with full integer "
            "quantization (a representative dataset; int8 activations and weights) or keep "
            "float32 weights", ir_dtype_name(wt->dtype), wt->name);
    return true;
}

/* ---- the import ---------------------------------------------------------- */

bool tfl_import_operator(tfl_ctx *c, uint32_t i)
{
    c->op_index = (int)i;
    c->op_name = "?";
    c->version = 0;
    if (!tfl_get_operator(&c->m, &c->sg, i, &c->op)) {
        fail(c, "damaged model file: %s", c->m.r.err);
        return false;
    }
    if (c->op.opcode_index >= c->m.opcodes.n)
        return fail(c, "opcode_index %u is out of range (the model has %u operator codes)",
                    c->op.opcode_index, c->m.opcodes.n);
    tfl_opcode oc;
    if (!tfl_get_opcode(&c->m, c->op.opcode_index, &oc))
        return fail_format(c);
    c->builtin = oc.builtin;
    c->version = oc.version;
    c->op_name = tfl_builtin_name(oc.builtin, c->op_name_buf, sizeof c->op_name_buf);
    if (oc.builtin == TFL_OP_CUSTOM)
        return tfl_op_fail(c, "custom operator '%s' is not supported",
                           oc.custom_code ? oc.custom_code : "");
    if (oc.builtin == TFL_OP_WHILE || oc.builtin == TFL_OP_CALL ||
        oc.builtin == TFL_OP_CALL_ONCE)
        return tfl_op_fail(c, "control flow (calls into other subgraphs) is not supported; "
                              "Kiln imports subgraph 0 as straight-line code");
    if (oc.builtin == TFL_OP_UNIDIRECTIONAL_SEQUENCE_LSTM || oc.builtin == TFL_OP_LSTM || oc.builtin == TFL_OP_RNN ||
        oc.builtin == TFL_OP_UNIDIRECTIONAL_SEQUENCE_RNN)
        return tfl_op_fail(c, "this operator keeps state between invocations (variable tensors); "
                              "of the stateful operators Kiln compiles only SVDF");
    const tfl_conv_entry *e = find_converter(oc.builtin);
    if (!e)
        return tfl_op_fail(c, "this builtin operator is not supported (see `kiln supported-ops`)");
    if (oc.version < 1 || oc.version > e->max_version)
        return tfl_op_fail(c, "version %d is not supported (Kiln handles %s versions 1 to %d)",
                           (int)oc.version, c->op_name, e->max_version);
    if (!tfl_get_options(&c->m, &c->op, oc.builtin, &c->o))
        return tfl_op_fail(c, "damaged options: %s", c->m.r.err);
    if (c->infer && !tfl_infer_op(c))
        return false;
    const int first = c->g->n_nodes;
    if (!e->fn(c))
        return false;
    if (c->infer)
        tfl_fold_from(c, first);
    return true;
}

/* Subgraph 0 is the model; further subgraphs belong to control flow, which
 * is refused when an operator calls into them. */
static ir_graph *import_subgraph0(tfl_ctx *c)
{
    if (!tfl_get_subgraph(&c->m, 0, &c->sg)) {
        fail_format(c);
        return NULL;
    }
    c->n_tensors = c->sg.tensors.n;
    c->tmap = xmalloc(((size_t)c->n_tensors + 1) * sizeof *c->tmap);
    for (uint32_t i = 0; i < c->n_tensors; i++)
        c->tmap[i] = -1;

    char *base = path_stem(c->path);
    c->g = ir_new(base);
    free(base);
    free(c->g->source);
    c->g->source = xasprintf("tflite %s", c->path);

    if (!tfl_bind_inputs(c))
        return NULL;
    c->g->n_declared_inputs = (int)c->sg.inputs.n;
    for (uint32_t i = 0; i < c->sg.operators.n; i++)
        if (!tfl_import_operator(c, i))
            return NULL;
    c->op_index = -1;
    if (c->sg.outputs.n == 0) {
        fail(c, "subgraph 0 has no outputs");
        return NULL;
    }
    for (uint32_t p = 0; p < c->sg.outputs.n; p++) {
        int32_t ti = fb_vec_i32(&c->m.r, &c->sg.outputs, p);
        int t = tfl_tensor_ir(c, ti);
        if (t < 0)
            return NULL;
        if (tfl_t(c, t)->is_output) {
            fail(c, "subgraph output %u (tensor '%s') is listed twice", p, tfl_t(c, t)->name);
            return NULL;
        }
        ir_mark_output(c->g, t);
    }
    char msg[256];
    if (!ir_verify(c->g, msg, sizeof msg)) {
        fail(c, "%s", msg);
        return NULL;
    }
    ir_compact(c->g);
    ir_graph *g = c->g;
    c->g = NULL;
    return g;
}

ir_graph *import_tflite_mem(const uint8_t *data, size_t len, const char *path, char *err,
                            size_t errlen)
{
    return import_tflite_opts_mem(data, len, path, NULL, err, errlen);
}

ir_graph *import_tflite_opts_mem(const uint8_t *data, size_t len, const char *path,
                                 const import_opts *opts, char *err, size_t errlen)
{
    tfl_ctx c;
    memset(&c, 0, sizeof c);
    c.opts = opts;
    c.path = path ? path : "model";
    c.err = err;
    c.errlen = errlen;
    c.op_index = -1;
    c.op_name = "?";
    /* Enough for any real model (constants are copied once, plus weights
     * reordered once), small enough that hostile sharing cannot blow up. */
    c.budget = 16 * (uint64_t)len + (64u << 20);
    if (len > FB_MAX_SIZE) {
        snprintf(err, errlen, "%s: the file is %zu bytes; models over 2 GiB are not supported", c.path,
                 len);
        return NULL;
    }
    char msg[400];
    if (!tfl_open(&c.m, data, len, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", c.path, msg);
        return NULL;
    }
    ir_graph *g = import_subgraph0(&c);
    ir_free(c.g);
    free(c.tmap);
    free(c.dims);
    return g;
}

ir_graph *import_tflite(const char *path, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    if (!read_file(path, &data, &len, err, errlen))
        return NULL;
    ir_graph *g = import_tflite_mem(data, len, path, err, errlen);
    free(data);
    return g;
}
