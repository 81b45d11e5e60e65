/*
 * fuse_f32.h - fusions that remove whole passes over float activations:
 * a zero Pad into the window of the convolution that reads it, and the
 * elementwise Add / LeakyRelu / Max after a float CONV or FULLY_CONNECTED
 * into its epilogue (attr.fused, ir_ops.def).
 */
#ifndef KILN_FUSE_F32_H
#define KILN_FUSE_F32_H

#include "ir/ir.h"

/* Folds a constant-zero PAD of the spatial axes into the float CONV that
 * is its only reader (the conv's own pads grow).  Valid for every float
 * conv kernel.  Returns the number folded. */
int fuse_pad_conv(ir_graph *g);

/* Fuses, into a float CONV / FULLY_CONNECTED the packed kernels will run
 * (constant float weights and bias; depthwise only with multiplier 1) whose
 * output nothing else reads: an ADD of a tensor shaped like its output
 * (attr.fused.residual, in[3]; only when produced before the conv), a
 * LEAKY_RELU, a MAX with a one-value constant - each only while what it
 * follows is still representable (residual, then leaky, then max, then the
 * clamp, never after an earlier clamp).  Run before fuse_activations, so a
 * clamp after them becomes the conv's.  Returns the number fused. */
int fuse_conv_epilogue(ir_graph *g);

#endif
