/*
 * pack_f32.h - compile-time packing for the packed float32 kernels
 * (include/kiln/kernels_f32.h, "packed convolution and dense"): which panel
 * width and im2col block a layer gets, and its weights and bias laid out in
 * the panels the micro-kernels read.
 *
 * Pure functions on caller buffers: no IR, no allocation, no I/O, so the
 * lowering (lower_f32.c), the host unit tests and the Cortex-M test firmware
 * all pack with the same code.  The layout does not depend on the CPU the
 * code is built for: the runtime picks its tile shapes (gemm_f32.h) over any
 * panel width, so one blob serves the host and the Cortex-M7 alike.
 */
#ifndef KILN_PACK_F32_H
#define KILN_PACK_F32_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/kernels_f32.h"

/* im2col scratch a layer may use, in bytes (the block is sized to it, but
 * holds at least 8 NHWC rows or 32 NCHW columns: the widest tiles).  Small,
 * so the scratch rarely raises the arena's peak: the tiles need a few rows
 * only. */
#define PACK_F32_SCRATCH_NHWC 8192
#define PACK_F32_SCRATCH_NCHW 4096
/* The padded copy of an NCHW input (method PADDED) is used up to this size;
 * a larger input goes through im2col blocks. */
#define PACK_F32_PADDED_BUDGET (256 * 1024)

/* Output channels per panel for n channels (per group): 8, or 4 for 4 or
 * fewer.  NHWC panels are the vector columns, NCHW panels the broadcast
 * rows.  (The NHWC kernels also take 16-wide panels.) */
int32_t pack_f32_panel(int32_t n, int32_t layout);

/* Fills p for a convolution of geometry c (its act_lo/act_hi become the
 * epilogue's clamp); depthwise: groups == in_c == out_c. */
void pack_f32_conv_plan(const kiln_conv_f32_params *c, int depthwise, kiln_conv_f32_packed_params *p);

/* Floats of the packed weights and bias of a packed conv / depthwise conv. */
size_t pack_f32_conv_floats(const kiln_conv_f32_packed_params *p, int depthwise);
size_t pack_f32_bias_floats(const kiln_conv_f32_packed_params *p, int depthwise);

/* Conv weights as the IR holds them, [M][C/g][kd][kh][kw], into the panels
 * of p (reduction order (kd, kh, kw, c) for NHWC, (c, kd, kh, kw) NCHW);
 * depthwise [M][1][k...] into [group][tap][panel].  out has
 * pack_f32_conv_floats() floats. */
void pack_f32_conv(const float *w, const kiln_conv_f32_packed_params *p, int depthwise, float *out);

/* The bias (NULL: zeros) padded to whole panels per group. */
void pack_f32_bias(const float *b, const kiln_conv_f32_packed_params *p, int depthwise, float *out);

/* FULLY_CONNECTED: W [out][in] into panels (one group, kdim = in). */
size_t pack_f32_fc_floats(int32_t out_features, int32_t in_features, int32_t panel);
void pack_f32_fc(const float *w, int32_t out_features, int32_t in_features, int32_t panel, float *out);
void pack_f32_fc_bias(const float *b, int32_t out_features, int32_t panel, float *out);

#endif
