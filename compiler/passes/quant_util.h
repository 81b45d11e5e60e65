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
 * 2^30 with shift + 1; shift < -31 flushes to 0).  m may be negative; it
 * must be finite (see qu_multiplier_fits for untrusted scales). */
void qu_quantize_multiplier(double m, int32_t *q, int *shift);

/* The shifts the runtime's fixed-point multiply takes (fixedpoint_s8.h
 * kiln_mbqm, used by every TFLite-flavour int8/int16 kernel): a left shift
 * of the accumulator by max(shift, 0), then a rounding right shift by
 * max(-shift, 0).  QU_SHIFT_MIN: QuantizeMultiplier flushes anything
 * smaller to a zero multiplier.  QU_SHIFT_MAX: TFLite's single-rounding
 * MultiplyByQuantizedMultiplier asserts shift <= 30, and its double-rounding
 * one (TFLM's default) computes x * (1 << shift), undefined from 31 on; so
 * no model TFLM runs needs more, and Kiln refuses the rest by name.  The
 * accumulator's left shift wraps in two's complement as TFLM's does.
 * QU_SHIFT_MAX_S64: the int64 variant (requant_s16.h kiln_mbqm64) rounds
 * by 15 - shift bits, which must stay >= 1 (TFLM itself asserts shift < 8). */
#define QU_SHIFT_MIN (-31)
#define QU_SHIFT_MAX 30
#define QU_SHIFT_MAX_S64 14

typedef enum qu_fit {
    QU_FITS = 0,
    QU_NOT_FINITE,      /* the real multiplier is infinite or NaN (a scale product overflowed) */
    QU_TOO_LARGE        /* |m| >= 2^max_shift: it needs a shift beyond max_shift */
} qu_fit;

/* qu_quantize_multiplier for a kernel that takes shifts up to max_shift
 * (<= QU_SHIFT_MAX): QU_FITS with *q and *shift set (shift within
 * [QU_SHIFT_MIN, max_shift]); otherwise *q = 0 and *shift receives the
 * shift m would need (0 when not finite). */
qu_fit qu_multiplier_fits(double m, int max_shift, int32_t *q, int *shift);

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

/* TFLite's Quantize(scale, zp, f): zp + (int)roundf(f / scale), float
 * division.  A quotient beyond +-2^62 (a huge f or a tiny scale; TFLite's
 * cast is undefined there) saturates to +-2^62 plus the zero point; NaN
 * gives the zero point. */
int64_t qu_quantize_value(float scale, int32_t zp, float f);

/* CalculateActivationRangeQuantized for a clamp [lo, hi] (either side may be
 * infinite, which leaves that side open; so does NaN) on an output with
 * (scale, zp) and type range [qmin, qmax]. */
void qu_activation_range(const ir_act *act, float scale, int32_t zp, int32_t qmin, int32_t qmax,
                         int32_t *act_min, int32_t *act_max);

/* Folds 1/count into (mult, shift) as TFLite's QuantizedMeanOrSum does. */
void qu_mean_multiplier(int32_t mult, int shift, int64_t count, int32_t *out_mult, int *out_shift);

/* The int32 bit pattern of a float (ONNX requantization scales travel in
 * the int32 multiplier array). */
int32_t qu_float_bits(float f);

#endif
