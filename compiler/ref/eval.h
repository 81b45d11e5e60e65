/*
 * eval.h - the reference evaluator: the IR computed plainly, in double.
 *
 * A second, independent implementation of every IR op's meaning
 * (ir_ops.def), used (1) as the reference of `kiln validate` when the user
 * gives no expected outputs, and (2) by constant folding.  It shares no code
 * with the runtime kernels, on purpose: a bug must be made twice, in two
 * different styles, to go unnoticed.  Speed does not matter here; clarity does.
 *
 * Arithmetic: float ops are computed in double and rounded to the output
 * dtype.  Quantized ops compute the real-valued function in double from the
 * dequantized inputs and quantize the result (round half to even), so they
 * may differ from the integer kernels by a least significant bit; integer
 * (non-quantized) ops are exact.
 */
#ifndef KILN_REF_EVAL_H
#define KILN_REF_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include "ir/ir.h"

/* Runs the whole graph.  inputs[i] holds graph input i as raw little-endian
 * elements of its dtype (ir_nbytes bytes); outputs[i] receives graph output i
 * the same way (caller-allocated, ir_nbytes bytes). */
bool ref_eval_graph(const ir_graph *g, const void *const *inputs, void *const *outputs, char *err,
                    size_t errlen);

/* Computes one node whose inputs are all constants and stores the results as
 * constant data on its output tensors (for constant folding). */
bool ref_eval_node_const(ir_graph *g, int node, char *err, size_t errlen);

#endif
