/*
 * fuse_qdq.h - turns ONNX QDQ patterns into quantized IR ops.
 *
 * onnxruntime's quantizer (QDQ format) writes a quantized layer as
 * DequantizeLinear on each input (weights as DequantizeLinear of an int8
 * constant), the float op, and QuantizeLinear on the output.  The importer
 * keeps that as DEQUANTIZE -> op -> QUANTIZE; this pass replaces each such
 * group (op: CONV, FULLY_CONNECTED, MATMUL, ADD, MAXPOOL, AVGPOOL, with an
 * optional CLIP before the QUANTIZE folded into the op's activation) by the
 * op on the integer tensors, carrying their quantization, with qmode
 * IR_QMODE_ONNX.  Then, between equal quantizations, DEQUANTIZE -> CLIP ->
 * QUANTIZE (PyTorch's ReLU6) becomes its producer's activation or an integer
 * clamp, DEQUANTIZE -> RESHAPE/TRANSPOSE/SLICE -> QUANTIZE (Flatten) moves
 * the integers, and an identity RESHAPE between them (PyTorch's Cast to the
 * same type) is skipped.  Groups that do not match exactly are left alone.
 * docs/kernels-int8.md ("Quantized ONNX") lists the patterns.
 */
#ifndef KILN_FUSE_QDQ_H
#define KILN_FUSE_QDQ_H

#include <stdbool.h>
#include <stddef.h>

#include "ir/ir.h"

/* Returns false (with a message) only if the result fails ir_verify. */
bool fuse_qdq(ir_graph *g, char *err, size_t errlen);

#endif
