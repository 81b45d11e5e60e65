/*
 * fold.h - graph simplification passes run between import and lowering.
 */
#ifndef KILN_FOLD_H
#define KILN_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include "ir/ir.h"

/* Evaluates every node whose inputs are all constants (with the reference
 * evaluator) and replaces it by its constant outputs.  A node the evaluator
 * cannot fold is left for the runtime.  Returns the number folded. */
int fold_constants(ir_graph *g);

/* Folds BATCHNORM into the CONV / FULLY_CONNECTED before it (float, constant
 * weights, the conv output read by nothing else).  Returns the number folded. */
int fuse_batchnorm(ir_graph *g);

/* Folds a CLIP (RELU, RELU6, Clip) into the op before it as attr.act (float
 * tensors, the producer's output read by nothing else).  Returns the number fused. */
int fuse_activations(ir_graph *g);

#endif
