/*
 * eval_ops.h - what the reference evaluator's op files share (internal).
 *
 * The graph walk (eval.c) keeps every tensor's value as an array of double,
 * one per element, holding exactly what the tensor's dtype stores: the float
 * value (already rounded to float32 for float32 tensors), or the integer (the
 * quantized integer q for quantized tensors).  An op never sees bytes: it asks
 * for its inputs' real values (ref_real), computes its function in double, and
 * hands the real result to ref_store, which applies the fused clamp and rounds
 * or quantizes into the output's dtype.  So every op file is pure arithmetic
 * on double arrays, and dtype rules live in one place (eval.c).
 *
 * Nothing here knows about the runtime kernels, on purpose.
 */
#ifndef KILN_REF_EVAL_OPS_H
#define KILN_REF_EVAL_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"

/* The state of one node's evaluation. */
typedef struct ref_ctx {
    const ir_graph *g;
    const ir_node *nd;
    double **val;           /* per tensor index: stored element values, NULL if none yet */
    void **tmp;             /* scratch arrays of this node, freed after it runs */
    int n_tmp, cap_tmp;
    char *err;
    size_t errlen;
} ref_ctx;

/* ---- eval.c: access, scratch, layout and errors --------------------------- */

/* Writes "reference evaluator: node 'name' (SrcOp, IROp): <message>" to the
 * error buffer; returns false. */
bool ref_fail(ref_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Zeroed scratch of n doubles (or bytes for ref_tmp_bytes) freed after the node. */
double *ref_tmp(ref_ctx *c, int64_t n);
void *ref_tmp_bytes(ref_ctx *c, size_t n);

/* Input k's / output k's tensor, NULL when absent (index -1 or k out of range). */
const ir_tensor *ref_in(const ref_ctx *c, int k);
const ir_tensor *ref_out(const ref_ctx *c, int k);

/* ---- eval_quant.c: real values <-> stored values ------------------------- */

/* Input k's real values (scale*(q-zp) for quantized tensors, else the stored
 * value), in scratch.  ref_offset gives q - zp without the scale: integer
 * ops with an unquantized integer output (ONNX ConvInteger, MatMulInteger)
 * are defined on those. */
const double *ref_real(ref_ctx *c, int k);
const double *ref_offset(ref_ctx *c, int k);

/* Stores real values into output k: the node's fused clamp (output 0 only),
 * then rounding to the dtype (float32/float16), quantization (round half to
 * even, saturate), or integer conversion (truncate toward zero, wrap modulo
 * 2^bits as two's complement does). */
void ref_store(ref_ctx *c, int k, const double *real);

/* Stored values of input k without dequantization, and storing values into
 * output k as an unquantized tensor of its dtype (CAST converts values, not
 * real numbers). */
const double *ref_stored(ref_ctx *c, int k);
void ref_store_plain(ref_ctx *c, int k, const double *v);

/* ---- eval.c again: dtype and shape helpers -------------------------------- */

bool ref_dtype_is_int(ir_dtype dt);   /* integer or bool */
bool ref_is_quant(const ir_tensor *t);

/* Row-major strides of t (elements). */
void ref_strides(const ir_tensor *t, int64_t *stride);

/* An activation of a conv/pool/batchnorm op seen through attr.conv.layout:
 * batch, channels and up to 3 spatial dims with their element strides.
 * Unused spatial dims have size 1 and stride 0. */
typedef struct ref_geom_t {
    int64_t n, c, sp[IR_MAX_SPATIAL];
    int64_t sn, sc, ssp[IR_MAX_SPATIAL];
} ref_geom_t;

/* Fills gm for tensor t (rank must be nspatial + 2); `what` names it in errors. */
bool ref_geom(ref_ctx *c, const ir_tensor *t, const char *what, ref_geom_t *gm);

/* ---- one function per op family ----------------------------------------- */

bool ref_conv(ref_ctx *c);              /* eval_conv.c */
bool ref_conv_transpose(ref_ctx *c);
bool ref_fully_connected(ref_ctx *c);   /* eval_matmul.c */
bool ref_matmul(ref_ctx *c);
bool ref_binary(ref_ctx *c);            /* eval_elementwise.c */
bool ref_unary(ref_ctx *c);
bool ref_softmax(ref_ctx *c);
bool ref_batchnorm(ref_ctx *c);
bool ref_pool(ref_ctx *c);              /* eval_pool.c */
bool ref_reshape(ref_ctx *c);           /* eval_shape.c */
bool ref_transpose(ref_ctx *c);
bool ref_concat(ref_ctx *c);
bool ref_pad(ref_ctx *c);
bool ref_slice(ref_ctx *c);
bool ref_reduce_mean(ref_ctx *c);
bool ref_resize(ref_ctx *c);            /* eval_resize.c */
bool ref_lstm(ref_ctx *c);              /* eval_rnn.c */
bool ref_gru(ref_ctx *c);
bool ref_convert(ref_ctx *c);           /* eval_quant.c: QUANTIZE, DEQUANTIZE, REQUANTIZE, CAST */
bool ref_svdf(ref_ctx *c);              /* eval_svdf.c: updates its state input in place */

#endif
