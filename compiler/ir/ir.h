/*
 * ir.h - Kiln's one graph representation.
 *
 * Both importers (ONNX, TFLite) produce it; every pass, the reference
 * evaluator and the lowering to kernel calls consume it.  It is deliberately
 * plain: arrays of tensors and nodes addressed by index, attributes in one
 * struct per op family, shapes fully static.
 *
 * Contract every importer keeps (checked by ir_verify()):
 *   - nodes are in topological order (a node's inputs are produced earlier,
 *     or are constants / graph inputs);
 *   - every tensor has its dtype and full static shape set, within
 *     IR_MAX_ELEMENTS elements and IR_MAX_BYTES bytes;
 *   - source-format semantics are resolved at import: auto_pad and SAME
 *     padding become explicit pads, negative axes become positive, ONNX
 *     Reshape's 0/-1 become the real shape, Split becomes SLICEs, Gemm's
 *     transposes and alpha/beta are applied to constant weights, and so on.
 *     What stays in an attribute is what the op means, not how a format
 *     spelt it.
 *
 * The precise meaning of every op (inputs, outputs, attributes, edge cases)
 * is in ir_ops.def next to its name; docs/ir.md tells the story.
 */
#ifndef KILN_IR_H
#define KILN_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IR_MAX_DIMS 6      /* = KILN_MAX_DIMS */
#define IR_MAX_SPATIAL 3   /* conv/pool: 1-D, 2-D and 3-D */
#define IR_MAX_INPUTS 8    /* except CONCAT, which uses the variable list */

typedef enum ir_dtype {
    IR_DT_UNDEF = 0,
    IR_DT_F32 = 1, IR_DT_S8 = 2, IR_DT_U8 = 3, IR_DT_S16 = 4, IR_DT_S32 = 5,
    IR_DT_S64 = 6, IR_DT_U16 = 7, IR_DT_U32 = 8, IR_DT_BOOL = 9, IR_DT_U64 = 10,
    IR_DT_F16 = 11, IR_DT_F64 = 12
} ir_dtype;   /* values 1..10 equal kiln_blob_dtype */

/* Quantization of a tensor: real = scale * (q - zero_point).
 * n == 0: not quantized.  n == 1: per tensor.  n > 1: per channel along `axis`
 * (n == shape[axis]).  Scales are kept as float, as TFLite and ONNX store
 * them; code that derives fixed-point multipliers widens them to double. */
typedef struct ir_quant {
    int n;
    int axis;
    float *scale;
    int32_t *zero_point;
} ir_quant;

typedef struct ir_tensor {
    char *name;
    ir_dtype dtype;
    int rank;
    int64_t shape[IR_MAX_DIMS];
    ir_quant q;
    /* Constant data, row-major in `shape`, little-endian, owned by the IR.
     * NULL for activations and graph inputs. */
    void *data;
    size_t nbytes;          /* of data when constant */
    bool is_input;          /* a graph input (not a constant) */
    bool is_output;         /* a graph output */
    /* A variable that keeps its value from one invocation to the next
     * (TFLite variable tensors, e.g. SVDF's activation state).  After init
     * (and kiln_net_reset) it holds what TFLite-Micro resets it to: int8
     * elements equal to its zero point (real 0), other dtypes all-zero
     * bytes.  The node that updates it receives it as an input and writes it
     * in place (its lowering passes it as an output operand); it is never
     * "produced" by a node. */
    bool is_state;
    int producer;           /* node index, -1 for inputs and constants */
} ir_tensor;

/* ---- attributes -------------------------------------------------------- */

typedef enum ir_layout {
    IR_LAYOUT_NCHW = 0,    /* [N, C, spatial...]  ONNX */
    IR_LAYOUT_NHWC = 1     /* [N, spatial..., C]  TFLite */
} ir_layout;

/* A fused clamp activation, applied to the op's real-valued output:
 * y = min(max(y, lo), hi).  NONE means no clamp.  RELU, RELU6, RELU_N1_TO_1
 * and ONNX Clip all become this. */
typedef struct ir_act {
    bool on;
    float lo, hi;           /* -INFINITY / INFINITY for an open side */
} ir_act;

/* How integer results are rescaled to the output's quantization.
 * TFLITE: fixed-point multiplier + shift, rounding exactly as TFLite's
 *         reference kernels (MultiplyByQuantizedMultiplier).
 * ONNX:   float32 multiply by (s_in*s_w/s_out), round half to even, saturate,
 *         as the ONNX reference and onnxruntime compute QLinearConv & co. */
typedef enum ir_qmode { IR_QMODE_TFLITE = 0, IR_QMODE_ONNX = 1 } ir_qmode;

typedef struct ir_conv_attr {       /* CONV, CONV_TRANSPOSE, MAXPOOL, AVGPOOL */
    ir_layout layout;
    int nspatial;                   /* 1..3 */
    int kernel[IR_MAX_SPATIAL];
    int stride[IR_MAX_SPATIAL];
    int dilation[IR_MAX_SPATIAL];
    int pad_begin[IR_MAX_SPATIAL];
    int pad_end[IR_MAX_SPATIAL];
    int output_padding[IR_MAX_SPATIAL]; /* CONV_TRANSPOSE only */
    int group;                      /* CONV, CONV_TRANSPOSE */
    bool count_include_pad;         /* AVGPOOL */
    int storage_order;              /* MAXPOOL indices: 0 row major, 1 column major */
} ir_conv_attr;

typedef enum ir_pad_mode { IR_PAD_CONSTANT = 0, IR_PAD_REFLECT, IR_PAD_EDGE, IR_PAD_WRAP } ir_pad_mode;

typedef enum ir_resize_mode { IR_RESIZE_NEAREST = 0, IR_RESIZE_LINEAR, IR_RESIZE_CUBIC } ir_resize_mode;
typedef enum ir_coord_mode {
    IR_COORD_HALF_PIXEL = 0, IR_COORD_HALF_PIXEL_SYMMETRIC, IR_COORD_PYTORCH_HALF_PIXEL,
    IR_COORD_ALIGN_CORNERS, IR_COORD_ASYMMETRIC, IR_COORD_TF_CROP_AND_RESIZE,
    IR_COORD_TF_HALF_PIXEL_FOR_NN
} ir_coord_mode;
typedef enum ir_nearest_mode {
    IR_NEAREST_ROUND_PREFER_FLOOR = 0, IR_NEAREST_ROUND_PREFER_CEIL, IR_NEAREST_FLOOR, IR_NEAREST_CEIL
} ir_nearest_mode;

typedef struct ir_resize_attr {
    ir_resize_mode mode;
    ir_coord_mode coord;
    ir_nearest_mode nearest;
    float cubic_a;                  /* -0.75 by default */
    bool exclude_outside;
    bool antialias;
    float extrapolation_value;
    /* Per axis of the input (rank entries): the scale used in the coordinate
     * transform (out/in when given as sizes, as ONNX defines) and the ROI
     * (start, end) for tf_crop_and_resize.  Output size is the tensor shape. */
    double scale[IR_MAX_DIMS];
    double roi_start[IR_MAX_DIMS];
    double roi_end[IR_MAX_DIMS];
} ir_resize_attr;

typedef enum ir_rnn_dir { IR_RNN_FORWARD = 0, IR_RNN_REVERSE, IR_RNN_BIDIRECTIONAL } ir_rnn_dir;

typedef struct ir_rnn_attr {        /* LSTM, GRU: ONNX semantics, default activations only */
    ir_rnn_dir direction;
    int hidden_size;
    float clip;                     /* 0: none */
    bool input_forget;              /* LSTM */
    bool linear_before_reset;       /* GRU */
    int layout;                     /* 0: [seq, batch, ...]; 1: [batch, seq, ...] */
} ir_rnn_attr;

/* A float CONV's or FULLY_CONNECTED's epilogue beyond the clamp, fused from
 * the nodes after it by passes/fuse_f32.c (only for the packed kernels):
 * Y = act(maxc(leaky(conv + R))), see ir_ops.def. */
typedef struct ir_fused {
    bool residual;                  /* in[3] (R, Y's shape) is added after the bias */
    bool leaky;                     /* then v < 0 ? alpha*v : v */
    float alpha;
    bool maxc;                      /* then v > maxc_value ? v : maxc_value */
    float maxc_value;
} ir_fused;

typedef struct ir_attr {
    ir_conv_attr conv;
    ir_act act;                     /* fused clamp on CONV, CONV_TRANSPOSE, FULLY_CONNECTED,
                                       MATMUL, binary ops, pools */
    ir_qmode qmode;                 /* for integer ops */
    /* Generic per-op scalars and lists; ir_ops.def says which op uses which. */
    int axis;                       /* SOFTMAX (first axis), CONCAT */
    int axis_end;                   /* SOFTMAX: normalise over axes [axis, axis_end) */
    bool log;                       /* SOFTMAX: log-softmax */
    float alpha, beta;              /* LEAKY_RELU alpha; HARD_SIGMOID alpha, beta; SOFTMAX beta;
                                       CLIP uses act */
    float epsilon;                  /* BATCHNORM */
    int perm[IR_MAX_DIMS];          /* TRANSPOSE: out dim i = in dim perm[i] */
    int64_t begin[IR_MAX_DIMS];     /* SLICE start (clamped, in range); PAD pads before */
    int64_t end[IR_MAX_DIMS];       /* PAD pads after */
    int64_t step[IR_MAX_DIMS];      /* SLICE step (non-zero, may be negative) */
    uint32_t axes_mask;             /* REDUCE_MEAN: bit i set = reduce axis i */
    ir_pad_mode pad_mode;           /* PAD */
    double pad_value;               /* PAD constant (real value; quantized tensors use the zero point
                                       when it is 0.0 in TFLite's PAD, see ir_ops.def) */
    ir_resize_attr resize;
    ir_rnn_attr rnn;
    int svdf_rank;                  /* SVDF: filters per output unit */
    ir_fused fused;                 /* float CONV, FULLY_CONNECTED */
    bool select_last;               /* ARGMAX/ARGMIN: ties go to the last index */
    bool smallest;                  /* TOPK: the k smallest */
    bool exclusive, reverse;        /* CUMSUM */
} ir_attr;

/* ---- ops --------------------------------------------------------------- */

typedef enum ir_op {
#define IR_OP(name, str) IR_OP_##name,
#include "ir_ops.def"
#undef IR_OP
    IR_OP_COUNT
} ir_op;

typedef struct ir_node {
    char *name;                     /* from the source model, for messages */
    char *src_op;                   /* source op name, e.g. "Conv" or "DEPTHWISE_CONV_2D" */
    int src_index;                  /* source node / operator index */
    ir_op op;
    int n_in, n_out;
    int *in;                        /* tensor indices; -1 for an absent optional input */
    int *out;
    ir_attr attr;
} ir_node;

typedef struct ir_graph {
    char *name;
    char *source;                   /* "onnx" or "tflite", plus file name */
    int n_tensors, cap_tensors;
    ir_tensor *tensors;
    int n_nodes, cap_nodes;
    ir_node *nodes;
    int n_inputs, n_outputs;
    int *inputs;                    /* tensor indices, in the model's order */
    int *input_src;                 /* per input: its position among the source model's
                                       declared inputs (frozen inputs leave gaps) */
    int n_declared_inputs;          /* the source model's declared inputs, frozen ones
                                       included (0: not recorded) */
    int *outputs;
} ir_graph;

/* ---- construction and queries (ir.c) ----------------------------------- */

ir_graph *ir_new(const char *name);
void ir_free(ir_graph *g);

/* Adds a tensor (name copied; data, when non-NULL, copied) and returns its index. */
int ir_add_tensor(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape);
int ir_add_const(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape,
                 const void *data, size_t nbytes);
void ir_set_quant(ir_graph *g, int t, int n, int axis, const float *scale, const int32_t *zp);
/* Same quantization: as many parameters, the same axis when per channel,
 * every scale and zero point equal.  The dtype is not compared;
 * ir_same_type_quant also requires it.  Both unquantized: true. */
bool ir_same_quant(const ir_tensor *a, const ir_tensor *b);
bool ir_same_type_quant(const ir_tensor *a, const ir_tensor *b);
/* Adds a node with copies of the in/out index lists and zeroed attributes. */
int ir_add_node(ir_graph *g, ir_op op, const char *name, const char *src_op, int src_index,
                int n_in, const int *in, int n_out, const int *out);
/* src_pos: the input's position among the source model's declared inputs. */
void ir_mark_input(ir_graph *g, int t, int src_pos);
void ir_mark_output(ir_graph *g, int t);

const char *ir_op_name(ir_op op);
const char *ir_dtype_name(ir_dtype dt);
size_t ir_dtype_size(ir_dtype dt);

/* The largest tensor Kiln compiles.  The generated code and the runtime hold
 * dimensions and element counts in int32 (kiln_io_desc.shape, the kernels'
 * parameters and loop indices) and byte sizes and offsets in uint32
 * (kiln_io_desc.bytes, the arena size, the blob directory); ir_verify
 * refuses a tensor beyond either, so no later pass can truncate one. */
#define IR_MAX_ELEMENTS 2147483647LL    /* INT32_MAX */
#define IR_MAX_BYTES 4294967295ULL      /* UINT32_MAX */

/* Element count and byte size, computed without overflow: false (and
 * UINT64_MAX) when the shape's product does not fit in 64 bits or a
 * dimension is negative. */
bool ir_checked_numel(const ir_tensor *t, uint64_t *n);
bool ir_checked_nbytes(const ir_tensor *t, uint64_t *bytes);
/* The same for tensors known to be in range (after ir_verify); they
 * saturate (INT64_MAX, SIZE_MAX) instead of overflowing on others. */
int64_t ir_numel(const ir_tensor *t);
size_t ir_nbytes(const ir_tensor *t);   /* numel * dtype size */
static inline bool ir_is_const(const ir_tensor *t) { return t->data != NULL; }
/* Readers per tensor, in one pass over the graph: entry t counts the node
 * inputs that name t (a node reading it twice counts twice) plus one per
 * listing of t among the graph outputs.  Heap array of n_tensors + 1 ints;
 * the caller frees it and keeps it current as it rewires. */
int *ir_use_counts(const ir_graph *g);
/* Default attributes: act off, strides/dilations 1, group 1, axis_end 0, ... */
void ir_attr_init(ir_attr *a);

/* Checks the contract above; on failure writes a message naming the node and
 * returns false. */
bool ir_verify(const ir_graph *g, char *err, size_t errlen);
/* Only the size limits (IR_MAX_ELEMENTS, IR_MAX_BYTES) of ir_verify: a
 * model's own property, which importers report as such before the rest of
 * the contract (whose violations are Kiln's bugs). */
bool ir_check_sizes(const ir_graph *g, char *err, size_t errlen);

/* Removes nodes whose outputs nobody reads and tensors nobody references,
 * renumbering indices (graph outputs are always kept). */
void ir_compact(ir_graph *g);

/* Prints a readable dump (one line per node) for `kiln dump` and debugging. */
struct sbuf;
void ir_dump(const ir_graph *g, struct sbuf *out);

#endif
