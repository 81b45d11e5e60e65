/*
 * kernels_s16.h - TFLite's "16x8" integer kernels: int16 activations, int8
 * weights, int64 (or, for CONV_2D, int32) bias, with TFLite-Micro's
 * reference integer arithmetic bit for bit.
 *
 * The quantization scheme is symmetric: input and output zero points are 0
 * and the kernels add no offsets (the compiler refuses anything else), so the
 * in_offset / w_offset / *_xor / rq.out_offset fields of the reused int8
 * params structs must be 0 and rq.mode must be KILN_RQ_TFLITE.
 *
 * Requantization, per TFLM (reference/integer_ops/conv.h, depthwise_conv.h,
 * fully_connected.h and common.h):
 *   - int64 accumulator (int64 bias, or DEPTHWISE / FULLY_CONNECTED without
 *     bias): the int64 MultiplyByQuantizedMultiplier, which rounds the Q31
 *     multiplier to 16 bits first and then does one rounding shift by
 *     15 - shift, ties towards +infinity;
 *   - int32 accumulator (CONV_2D with int32 bias or none, which TFLM runs
 *     as ConvPerChannel<int32_t>): the int32 MultiplyByQuantizedMultiplier
 *     of the int8 kernels (double rounding).
 * The result is clamped to [act_min, act_max] (within int16).
 */
#ifndef KILN_KERNELS_S16_H
#define KILN_KERNELS_S16_H

#include <stdint.h>
#include "kiln/kernels_s8.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y = conv(x, w) + bias with an int64 accumulator.  w: OHWI as kiln_conv_s8;
 * bias: [out_c] int64 or NULL. */
void kiln_conv_s16(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                   const int64_t *bias, const int32_t *mult, const int32_t *shift, int16_t *y);
/* The same with an int32 accumulator and int32 bias (or NULL). */
void kiln_conv_s16_acc32(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                         const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         int16_t *y);
/* Depthwise, int64 accumulator.  w: [k_h][k_w][out_c] as kiln_depthwise_conv_s8. */
void kiln_depthwise_conv_s16(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                             const int64_t *bias, const int32_t *mult, const int32_t *shift,
                             int16_t *y);
/* y[b][n] = sum_k x[b][k] * (w[n][k] + w_offset) + bias[n], int64 accumulator;
 * mult/shift per output feature (a per-tensor layer repeats its values). */
void kiln_fully_connected_s16(const kiln_fc_s8_params *p, const int16_t *x, const int8_t *w,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift,
                              int16_t *y);

/* Pools on raw int16 values, as kiln_avgpool_s8 / kiln_maxpool_s8. */
void kiln_avgpool_s16(const kiln_pool_s8_params *p, const int16_t *x, int16_t *y);
void kiln_maxpool_s16(const kiln_pool_s8_params *p, const int16_t *x, int16_t *y);

/* Broadcasting ADD / SUB / MUL on int16 tensors with the int8 kernels'
 * params and arithmetic (TFLM's general scaling); ADD/SUB use
 * left_shift = 15.  Offsets are 0 for TFLite's int16 tensors. */
void kiln_add_s16(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b, int16_t *y);
void kiln_sub_s16(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b, int16_t *y);
void kiln_mul_s16(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b, int16_t *y);

#ifdef __cplusplus
}
#endif

#endif
