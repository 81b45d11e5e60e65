/*
 * onnx_ctx.h - what the ONNX importer's files share (internal, not an API).
 *
 * onnx_import.c drives the import: it decodes the model, turns initializers
 * and graph inputs into IR tensors, then hands each node to the handler of
 * its op (onnx_ops_*.c).  A handler reads its attributes and inputs through
 * the helpers below (onnx_helpers.c), works out its output shapes with ONNX
 * semantics, and appends IR nodes.  Handlers never touch the model bytes and
 * never print: they fail through ox_err()/ox_unsupported(), which name the
 * node, its index, op and opset.
 *
 * Tensor pointers (&c->g->tensors[t]) move when a tensor is added; handlers
 * copy what they need (dtype, rank, shape) before adding tensors.
 */
#ifndef KILN_ONNX_CTX_H
#define KILN_ONNX_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/import.h"
#include "import/onnx_model.h"
#include "ir/ir.h"

#define OX_MIN_OPSET 1
#define OX_MAX_OPSET 27

typedef struct ox_decl {        /* a declared graph input (graph.input minus initializers) */
    int tensor;
    int src_pos;
    const import_value *value;  /* NULL when the caller gave none */
    bool frozen;                /* its value became a constant */
} ox_decl;

typedef struct ox_names {       /* ONNX value name -> IR tensor index */
    char **keys;
    int *vals;
    size_t cap, n;
} ox_names;

typedef struct onnx_ctx {
    const char *path;           /* for messages */
    char *dir;                  /* model directory for external data, or NULL */
    const onnx_model *m;
    const onnx_graph *gp;
    const import_opts *opts;
    int opset;                  /* of the default domain */
    ir_graph *g;
    ox_names names;
    int n_decl;
    ox_decl *decl;
    /* the node being imported */
    const onnx_node *node;
    int node_index;
    int node_opset;
    int first_tensor;           /* tensors made for this node start here */
    bool out0_optional;         /* set by handlers whose first output may be absent */
    char *node_name, *op_name, *domain;
    char *err;
    size_t errlen;
} onnx_ctx;

typedef bool (*ox_handler)(onnx_ctx *c);

typedef struct ox_op {
    const char *name;
    int since, until;           /* opset range Kiln accepts for this op */
    ox_handler fn;
    const char *note;           /* limits shown by `kiln supported-ops`, or NULL */
} ox_op;

/* ---- errors (always return false) --------------------------------------- */
bool ox_err(onnx_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool ox_unsupported(onnx_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- names -------------------------------------------------------------- */
int ox_lookup(const onnx_ctx *c, const char *name);        /* -1 if unknown */
void ox_bind(onnx_ctx *c, const char *name, int t);
void ox_names_free(ox_names *m);

/* ---- attributes --------------------------------------------------------- */
const onnx_attr *ox_attr(const onnx_ctx *c, const char *name);
bool ox_attr_int(onnx_ctx *c, const char *name, int64_t def, int64_t *v);
bool ox_attr_float(onnx_ctx *c, const char *name, float def, float *v);
/* Copies the string into buf (NUL-terminated); an over-long value is an error. */
bool ox_attr_str(onnx_ctx *c, const char *name, const char *def, char *buf, size_t n);
/* *n = -1 when absent; more than max entries is an error. */
bool ox_attr_ints(onnx_ctx *c, const char *name, int64_t *buf, int max, int *n);
bool ox_attr_floats(onnx_ctx *c, const char *name, float *buf, int max, int *n);

/* ---- inputs ------------------------------------------------------------- */
bool ox_has_in(const onnx_ctx *c, int k);          /* present and non-empty */
bool ox_in(onnx_ctx *c, int k, int *t);            /* required input */
bool ox_in_opt(onnx_ctx *c, int k, int *t);        /* -1 when absent */
/* A (present) input whose value must be known now: a constant, or a graph
 * input the caller gave a value for, which is then frozen into a constant. */
bool ox_in_const(onnx_ctx *c, int k, int *t);
bool ox_make_const(onnx_ctx *c, int t, const char *what);
/* A weight operand (Conv/ConvTranspose weights and bias, BatchNorm
 * statistics, ...): the kernels read weights from flash, so it must be a
 * constant; a graph input given a value is frozen.  A weight computed by an
 * earlier node (QDQ's DequantizeLinear) is accepted as it is.  optional: an
 * absent input gives *t = -1. */
bool ox_in_weights(onnx_ctx *c, int k, bool optional, int *t);
/* The elements of a constant tensor (any integer type / any numeric type),
 * as a heap array of *n values. */
bool ox_const_i64(onnx_ctx *c, int t, int64_t **v, int64_t *n);
bool ox_const_f64(onnx_ctx *c, int t, double **v, int64_t *n);
/* Input k as constant integers; *present false (and *v NULL) when absent. */
bool ox_in_ints(onnx_ctx *c, int k, bool *present, int64_t **v, int64_t *n);

/* A value that must be known at compile time (a Loop's trip count): a
 * constant, a graph input given a value (frozen), or computed from such
 * (they are frozen and the graph folded again).  false: still computed at
 * run time (no message), or an error already set. */
bool ox_known(onnx_ctx *c, int t, const char *what);

/* ---- subgraphs (onnx_import.c) ------------------------------------------- */
/* Imports subgraph g (an If branch, one Loop iteration) into the graph:
 * binds its n_in declared inputs to the tensors in[], imports its
 * initializers and nodes (folding as usual; outer values are visible by
 * name), and gives the tensors of its outputs in out[g->n_outputs].  The
 * names it defined are unbound again, so it can be imported once more. */
bool ox_import_subgraph(onnx_ctx *c, const onnx_graph *g, int n_in, const int *in, int *out);

/* ---- tensors and nodes --------------------------------------------------- */
static inline ir_tensor *ox_t(onnx_ctx *c, int t) { return &c->g->tensors[t]; }
bool ox_dtype(onnx_ctx *c, int32_t onnx_dt, ir_dtype *dt, const char *what);
bool ox_check_shape(onnx_ctx *c, const char *what, int rank, const int64_t *shape);
/* Output k of the node: an IR tensor named after it (*t = -1 when the
 * output is absent). */
bool ox_out(onnx_ctx *c, int k, ir_dtype dt, int rank, const int64_t *shape, int *t);
/* An intermediate tensor, named after the node's first output. */
bool ox_tmp(onnx_ctx *c, const char *suffix, ir_dtype dt, int rank, const int64_t *shape, int *t);
bool ox_const(onnx_ctx *c, const char *suffix, ir_dtype dt, int rank, const int64_t *shape,
              const void *data, size_t nbytes, int *t);
int ox_node(onnx_ctx *c, ir_op op, int n_in, const int *in, int n_out, const int *out);
/* Output k is the same value as tensor src (Identity-like): a RESHAPE node. */
bool ox_alias_out(onnx_ctx *c, int k, int src);
/* A RESHAPE of src to a new shape into output k, or into *t (k < 0). */
bool ox_reshape_to(onnx_ctx *c, int k, int src, int rank, const int64_t *shape, int *t);

/* ---- shapes ------------------------------------------------------------- */
bool ox_broadcast(onnx_ctx *c, int a, int b, int *rank, int64_t *shape);
/* axis in [-rank, rank) -> [0, rank) */
bool ox_axis(onnx_ctx *c, int64_t axis, int rank, const char *what, int *out);
int64_t ox_numel(int rank, const int64_t *shape);

/* ---- op handlers (onnx_ops_*.c) ----------------------------------------- */
bool ox_conv(onnx_ctx *c);
bool ox_conv_transpose(onnx_ctx *c);
bool ox_maxpool(onnx_ctx *c);
bool ox_avgpool(onnx_ctx *c);
bool ox_global_avgpool(onnx_ctx *c);
bool ox_global_maxpool(onnx_ctx *c);
bool ox_batchnorm(onnx_ctx *c);

bool ox_gemm(onnx_ctx *c);
bool ox_matmul(onnx_ctx *c);
bool ox_add(onnx_ctx *c);
bool ox_sub(onnx_ctx *c);
bool ox_mul(onnx_ctx *c);
bool ox_div(onnx_ctx *c);
bool ox_relu(onnx_ctx *c);
bool ox_leaky_relu(onnx_ctx *c);
bool ox_clip(onnx_ctx *c);
bool ox_sigmoid(onnx_ctx *c);
bool ox_tanh(onnx_ctx *c);
bool ox_hard_sigmoid(onnx_ctx *c);
bool ox_hard_swish(onnx_ctx *c);
bool ox_sqrt(onnx_ctx *c);
bool ox_softmax(onnx_ctx *c);
bool ox_log_softmax(onnx_ctx *c);

bool ox_flatten(onnx_ctx *c);
bool ox_reshape(onnx_ctx *c);
bool ox_transpose(onnx_ctx *c);
bool ox_concat(onnx_ctx *c);
bool ox_squeeze(onnx_ctx *c);
bool ox_unsqueeze(onnx_ctx *c);
bool ox_identity(onnx_ctx *c);
bool ox_dropout(onnx_ctx *c);
bool ox_constant(onnx_ctx *c);
bool ox_constant_of_shape(onnx_ctx *c);
bool ox_cast(onnx_ctx *c);
bool ox_slice(onnx_ctx *c);
bool ox_split(onnx_ctx *c);
bool ox_pad(onnx_ctx *c);
bool ox_reduce_mean(onnx_ctx *c);
/* Any Reduce op: axes an attribute before opset `since`, input 1 from it. */
bool ox_reduce(onnx_ctx *c, ir_op op, int since);

/* onnx_ops_ext.c: the extended operator set */
bool ox_abs(onnx_ctx *c);
bool ox_neg(onnx_ctx *c);
bool ox_exp(onnx_ctx *c);
bool ox_log(onnx_ctx *c);
bool ox_reciprocal(onnx_ctx *c);
bool ox_sign(onnx_ctx *c);
bool ox_ceil(onnx_ctx *c);
bool ox_floor(onnx_ctx *c);
bool ox_round(onnx_ctx *c);
bool ox_erf(onnx_ctx *c);
bool ox_sin(onnx_ctx *c);
bool ox_cos(onnx_ctx *c);
bool ox_softplus(onnx_ctx *c);
bool ox_softsign(onnx_ctx *c);
bool ox_mish(onnx_ctx *c);
bool ox_elu(onnx_ctx *c);
bool ox_celu(onnx_ctx *c);
bool ox_thresholded_relu(onnx_ctx *c);
bool ox_selu(onnx_ctx *c);
bool ox_gelu(onnx_ctx *c);
bool ox_pow(onnx_ctx *c);
bool ox_equal(onnx_ctx *c);
bool ox_greater(onnx_ctx *c);
bool ox_greater_equal(onnx_ctx *c);
bool ox_less(onnx_ctx *c);
bool ox_less_equal(onnx_ctx *c);
bool ox_and(onnx_ctx *c);
bool ox_or(onnx_ctx *c);
bool ox_xor(onnx_ctx *c);
bool ox_not(onnx_ctx *c);
bool ox_where(onnx_ctx *c);
bool ox_max(onnx_ctx *c);
bool ox_min(onnx_ctx *c);
bool ox_sum(onnx_ctx *c);
bool ox_mean(onnx_ctx *c);
bool ox_prelu(onnx_ctx *c);
bool ox_reduce_sum(onnx_ctx *c);
bool ox_reduce_max(onnx_ctx *c);
bool ox_reduce_min(onnx_ctx *c);
bool ox_reduce_prod(onnx_ctx *c);
bool ox_reduce_l1(onnx_ctx *c);
bool ox_reduce_l2(onnx_ctx *c);
bool ox_reduce_sum_square(onnx_ctx *c);
bool ox_reduce_log_sum_exp(onnx_ctx *c);
bool ox_argmax(onnx_ctx *c);
bool ox_argmin(onnx_ctx *c);
bool ox_gather(onnx_ctx *c);
bool ox_shape(onnx_ctx *c);
bool ox_size(onnx_ctx *c);
bool ox_cast_like(onnx_ctx *c);
bool ox_range(onnx_ctx *c);
bool ox_expand(onnx_ctx *c);
bool ox_tile(onnx_ctx *c);
bool ox_depth_to_space(onnx_ctx *c);
bool ox_space_to_depth(onnx_ctx *c);
bool ox_layer_norm(onnx_ctx *c);
bool ox_instance_norm(onnx_ctx *c);
bool ox_group_norm(onnx_ctx *c);
bool ox_topk(onnx_ctx *c);
bool ox_cumsum(onnx_ctx *c);
bool ox_gather_elements(onnx_ctx *c);
bool ox_lrn(onnx_ctx *c);

/* onnx_ops_ctrl.c: control flow */
bool ox_if(onnx_ctx *c);
bool ox_loop(onnx_ctx *c);
/* onnx_ops_einsum.c */
bool ox_einsum(onnx_ctx *c);

bool ox_resize(onnx_ctx *c);
bool ox_upsample(onnx_ctx *c);

bool ox_lstm(onnx_ctx *c);
bool ox_gru(onnx_ctx *c);

bool ox_quantize_linear(onnx_ctx *c);
bool ox_dequantize_linear(onnx_ctx *c);
bool ox_qlinear_conv(onnx_ctx *c);
bool ox_qlinear_matmul(onnx_ctx *c);
bool ox_conv_integer(onnx_ctx *c);
bool ox_matmul_integer(onnx_ctx *c);

/* Shared by Conv, ConvTranspose, pools and QLinearConv / ConvInteger
 * (onnx_ops_conv.c): reads kernel/strides/dilations/pads/auto_pad for
 * nspatial spatial dims and resolves them against the input shape. */
typedef struct ox_window {
    bool ceil;                  /* in: pools' ceil_mode */
    int n;
    int64_t in[IR_MAX_SPATIAL], k[IR_MAX_SPATIAL], s[IR_MAX_SPATIAL], d[IR_MAX_SPATIAL];
    int64_t pb[IR_MAX_SPATIAL], pe[IR_MAX_SPATIAL], out[IR_MAX_SPATIAL];
} ox_window;
bool ox_conv_window(onnx_ctx *c, int x_rank, const int64_t *x_shape, int w_rank,
                    const int64_t *w_shape, ox_window *win);
/* Builds a CONV node (float, quantized or integer) from X [N,C,...] and W [M,C/g,k...]. */
bool ox_emit_conv(onnx_ctx *c, int x, int w, int b, ir_dtype out_dt, int *y_out);

/* numpy.matmul's output shape (onnx_ops_math.c), for MatMul and its
 * quantized forms. */
bool ox_matmul_shape(onnx_ctx *c, int a, int b, int *rank, int64_t *shape);

#endif
