/*
 * quant_util.h - what TFLite computes once in floating point when it
 * prepares an integer kernel, computed here at compile time so the runtime
 * never needs a float: fixed-point multipliers and shifts, activation
 * ranges, softmax and logistic/tanh input scaling.
 *
 * Each function reproduces the TFLite / TFLM routine named in its comment,
 * operation for operation (double where TFLite uses double, float where it
 * uses float), because a multiplier one LSB off is an output one LSB off.
 */
#ifndef KILN_QUANT_UTIL_H
#define KILN_QUANT_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include "ir/ir.h"

/* TFLite QuantizeMultiplier: m = q * 2^shift with q in [2^30, 2^31) as a
 * Q0.31 integer (frexp, then round half away from zero; q == 2^31 becomes
 * 2^30 with shift + 1; shift < -31 flushes to 0).  m may be negative. */
void qu_quantize_multiplier(double m, int32_t *q, int *shift);

/* The logistic/tanh int8 prepare in TFLM: frexp(s_in * 2^27) with the
 * mantissa rounded to Q0.31 and no renormalisation (TFLM does not apply
 * QuantizeMultiplier's q == 2^31 fix-up there).  Returns false when the
 * mantissa rounds to 2^31 (would overflow int32 in TFLM too). */
bool qu_frexp_multiplier(double m, int32_t *q, int *shift);

/* TFLite CalculateInputRadius(input_integer_bits, input_left_shift, total_signed_bits). */
int32_t qu_input_radius(int input_integer_bits, int input_left_shift, int total_signed_bits);

/* TFLite PreprocessSoftmaxScaling(beta, input_scale, input_integer_bits)
 * (double rounding build). */
void qu_softmax_scaling(double beta, double input_scale, int input_integer_bits, int32_t *q,
                        int *left_shift);

/* TFLite DownScaleInt32ToInt16Multiplier. */
int16_t qu_downscale_multiplier_i16(int32_t m);

/* TFLite's Quantize(scale, zp, f): zp + (int)roundf(f / scale), float division. */
int64_t qu_quantize_value(float scale, int32_t zp, float f);

/* CalculateActivationRangeQuantized for a clamp [lo, hi] (either side may be
 * infinite) on an output with (scale, zp) and type range [qmin, qmax]. */
void qu_activation_range(const ir_act *act, float scale, int32_t zp, int32_t qmin, int32_t qmax,
                         int32_t *act_min, int32_t *act_max);

/* Folds 1/count into (mult, shift) as TFLite's QuantizedMeanOrSum does. */
void qu_mean_multiplier(int32_t mult, int shift, int64_t count, int32_t *out_mult, int *out_shift);

/* The int32 bit pattern of a float (ONNX requantization scales travel in
 * the int32 multiplier array). */
int32_t qu_float_bits(float f);

#endif
