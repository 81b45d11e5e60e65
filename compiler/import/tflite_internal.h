/*
 * tflite_internal.h - what the TFLite importer's files share.
 *
 * tflite_import.c drives the import (model -> subgraph 0 -> tensors ->
 * operators in execution order) and owns the tensor mapping; each
 * tflite_ops_*.c file converts one family of builtin operators into IR nodes
 * through the helpers declared here.  Every helper that can fail writes one
 * message naming the operator (index, builtin name, version) and returns
 * false / -1; the converters never print.
 */
#ifndef KILN_TFLITE_INTERNAL_H
#define KILN_TFLITE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/tflite_schema.h"
#include "ir/ir.h"

struct import_opts;

/* A tensor's shape as worked out by tflite_shapes.c (set: it replaces the
 * file's `shape` when the IR tensor is made). */
typedef struct tfl_dims {
    bool set;
    int rank;
    int64_t d[IR_MAX_DIMS];
} tfl_dims;

typedef struct tfl_ctx {
    tfl_model m;
    tfl_subgraph sg;
    ir_graph *g;
    const char *path;
    char *err;
    size_t errlen;
    int *tmap;                  /* TFLite tensor index -> IR tensor index, -1 until made */
    uint32_t n_tensors;
    uint64_t budget;            /* bytes the import may still copy (see tflite_import.c) */
    bool allow_state;           /* set while an SVDF converter fetches its state input */
    const struct import_opts *opts;  /* --shape / --const / input values, or NULL */
    bool infer;                 /* shapes are worked out per operator (tflite_shapes.c) */
    tfl_dims *dims;             /* per TFLite tensor, when infer */
    int if_depth;               /* IF branches being imported (tflite_ops_if.c) */
    /* the operator being converted */
    int op_index;
    int32_t builtin;
    int32_t version;
    const char *op_name;
    char op_name_buf[32];       /* for a builtin code the schema does not name */
    tfl_operator op;
    tfl_opts o;
} tfl_ctx;

/* A converter: builds the IR for ctx's current operator. */
typedef bool (*tfl_convert_fn)(tfl_ctx *c);

/* Writes "PATH: operator N (NAME vV): message" into c->err; returns false. */
bool tfl_op_fail(tfl_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Charges `bytes` of copying against the import's budget (bounded by the
 * file size); false, with a message, once it is spent. */
bool tfl_spend(tfl_ctx *c, uint64_t bytes, const char *what);

/* Operands of the current operator. */
int tfl_n_in(const tfl_ctx *c);
int tfl_n_out(const tfl_ctx *c);
/* TFLite tensor index of input / output k (-1 for an absent optional input). */
int32_t tfl_in_index(const tfl_ctx *c, int k);
/* IR tensor of input / output k, created on first use; -1 (with the message
 * set) on error or when an optional input is absent and allowed. */
int tfl_in(tfl_ctx *c, int k);
int tfl_in_opt(tfl_ctx *c, int k);     /* absent (-1 or k >= n) is fine: returns -1 */
int tfl_out(tfl_ctx *c, int k);
/* Checks the operand counts; the message names what was found. */
bool tfl_check_arity(tfl_ctx *c, int min_in, int max_in, int n_out);

/* The IR tensor for TFLite tensor `ti` (made on first use). */
int tfl_tensor_ir(tfl_ctx *c, int32_t ti);

static inline ir_tensor *tfl_t(tfl_ctx *c, int irt) { return &c->g->tensors[irt]; }

/* Adds a node for the current operator (name = its first output's name). */
int tfl_node(tfl_ctx *c, ir_op op, int n_in, const int *in, int n_out, const int *out);
/* A fresh intermediate tensor with the dtype and quantization of tensor
 * `like`, named after it plus suffix. */
int tfl_temp(tfl_ctx *c, int like, const char *suffix, int rank, const int64_t *shape);

/* Fused activation of the options -> act; refuses TANH and SIGN_BIT. */
bool tfl_fused_act(tfl_ctx *c, int8_t act, ir_act *out);
/* Integer values of a constant 1-D (or scalar) int32/int64 input (n <= max). */
bool tfl_const_ints(tfl_ctx *c, int k, int64_t *vals, int max, int *n, const char *what);
/* Same rank and dimensions. */
bool tfl_same_shape(const ir_tensor *a, const ir_tensor *b);
/* Refuses float activations with integer weights (dynamic-range "hybrid" ops). */
bool tfl_refuse_hybrid(tfl_ctx *c, int x, int w);

/* Families (tflite_ops_conv.c, tflite_ops_elementwise.c, tflite_ops_shape.c). */
bool tfl_conv2d(tfl_ctx *c);
bool tfl_depthwise_conv2d(tfl_ctx *c);
bool tfl_transpose_conv(tfl_ctx *c);
bool tfl_fully_connected(tfl_ctx *c);
bool tfl_pool2d(tfl_ctx *c);

bool tfl_binary(tfl_ctx *c);
bool tfl_unary(tfl_ctx *c);
bool tfl_softmax(tfl_ctx *c);
bool tfl_quantize(tfl_ctx *c);
bool tfl_dequantize(tfl_ctx *c);

bool tfl_reshape(tfl_ctx *c);
bool tfl_pad(tfl_ctx *c);
bool tfl_mean(tfl_ctx *c);
bool tfl_concat(tfl_ctx *c);
bool tfl_transpose(tfl_ctx *c);
bool tfl_strided_slice(tfl_ctx *c);
bool tfl_split(tfl_ctx *c);

bool tfl_svdf(tfl_ctx *c);          /* tflite_ops_svdf.c */
bool tfl_if(tfl_ctx *c);            /* tflite_ops_if.c: a constant condition's branch inlined */

/* Converts operator i of c->sg (tflite_import.c; IF branches call it too). */
bool tfl_import_operator(tfl_ctx *c, uint32_t i);

/* tflite_shapes.c: shapes fixed on the command line and worked out per operator. */
/* Checks the file's shape against its shape_signature and applies the
 * worked-out shape of tensor ti, if any, to shape[] (rank tt->shape.n). */
bool tfl_shape_final(tfl_ctx *c, int32_t ti, const tfl_tensor *tt, int64_t *shape);
/* Makes and marks subgraph 0's inputs: -1 dimensions fixed by --shape, input
 * values or the stored batch size; --const inputs frozen into constants. */
bool tfl_bind_inputs(tfl_ctx *c);
/* Before the current operator's converter (when c->infer): its outputs' shapes. */
bool tfl_infer_op(tfl_ctx *c);
/* Output k of the current operator gets this worked-out shape (checked
 * against the file's signature), for converters that find it themselves. */
bool tfl_shape_out(tfl_ctx *c, int k, int rank, const int64_t *d);
/* After it: folds the nodes from `first` on whose inputs are all constants. */
void tfl_fold_from(tfl_ctx *c, int first);

/* tflite_ops_ext.c: the extended operator set */
bool tfl_ext_unary(tfl_ctx *c);
bool tfl_ext_binary(tfl_ctx *c);
bool tfl_ext_select(tfl_ctx *c);
bool tfl_ext_reduce(tfl_ctx *c);
bool tfl_ext_arg(tfl_ctx *c);
bool tfl_ext_gather(tfl_ctx *c);
bool tfl_ext_batch_matmul(tfl_ctx *c);
bool tfl_ext_cast(tfl_ctx *c);
bool tfl_ext_shape(tfl_ctx *c);
/* float32 without quantization, else refused naming the op (no bit-exact integer kernel). */
bool tfl_float_only(tfl_ctx *c, int t);

/* tflite_ops_more.c: builtins imported into the IR of their ONNX counterparts */
bool tfl_depth_space(tfl_ctx *c);
bool tfl_tile(tfl_ctx *c);
bool tfl_broadcast_to(tfl_ctx *c);
bool tfl_prelu(tfl_ctx *c);
bool tfl_gelu(tfl_ctx *c);
bool tfl_cumsum(tfl_ctx *c);
bool tfl_gather_nd(tfl_ctx *c);

#endif
