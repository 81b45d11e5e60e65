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
 * dtype.  Quantized ops compute the integers the IR specifies (TFLite's
 * fixed-point arithmetic, onnxruntime's float32 requantization; eval_int.h)
 * where the evaluator implements them for the node's dtypes, which covers
 * every quantized op of the TFLite and QDQ models Kiln compiles; the others
 * compute the real-valued function in double from the dequantized inputs and
 * quantize the result (round half to even), so they may differ from the
 * integer kernels by a least significant bit, and a session lists them
 * (ref_session_approximated).  Integer (non-quantized) ops are exact.
 */
#ifndef KILN_REF_EVAL_H
#define KILN_REF_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include "ir/ir.h"

/* A run of samples through a graph with state tensors (is_state, e.g.
 * SVDF's history): the session keeps their values from one run to the next,
 * starting from the value ir.h gives them after init, the way the generated
 * code keeps them in its arena.  For a stateless graph every run is
 * independent.  After a failed run the state is unspecified (reset it). */
typedef struct ref_session ref_session;

/* The graph must outlive the session. */
ref_session *ref_session_new(const ir_graph *g);
/* Runs the whole graph once.  inputs[i] holds graph input i as raw
 * little-endian elements of its dtype (ir_nbytes bytes); outputs[i] receives
 * graph output i the same way (caller-allocated, ir_nbytes bytes). */
bool ref_session_run(ref_session *s, const void *const *inputs, void *const *outputs, char *err,
                     size_t errlen);
/* The nodes whose quantized output the runs so far computed in double (an
 * approximation of the IR's integer arithmetic): writes up to `max` node
 * indices, in graph order, and returns how many there are. */
int ref_session_approximated(const ref_session *s, int *nodes, int max);
/* Puts every state back to its value after init (kiln_net_reset's twin). */
void ref_session_reset(ref_session *s);
void ref_session_free(ref_session *s);

/* One run from a fresh state (a session of one sample). */
bool ref_eval_graph(const ir_graph *g, const void *const *inputs, void *const *outputs, char *err,
                    size_t errlen);

/* Computes one node whose inputs are all constants and stores the results as
 * constant data on its output tensors (for constant folding). */
bool ref_eval_node_const(ir_graph *g, int node, char *err, size_t errlen);

#endif
