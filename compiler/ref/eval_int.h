/*
 * eval_int.h - the reference evaluator's integer arithmetic (internal).
 *
 * ir_ops.def defines quantized ops of the TFLite flavour as TFLite's
 * reference kernels compute them, bit for bit, and the ONNX flavour's
 * requantization as onnxruntime's float32 steps.  The double-precision
 * evaluator only approximates those (its results can differ by a rounding
 * step that later layers amplify: 39 LSB on MLPerf Tiny's ResNet), so for
 * these ops the reference computes the integers the IR specifies instead, and
 * `kiln validate` can then ask for 0 LSB.
 *
 * Written from TFLite's and gemmlowp's definitions (prepare in double/float
 * as they do it, then integer-only evaluation), in this file's own style:
 * 64-bit arithmetic with explicit wrap-around where TFLite's int32 wraps.  It
 * shares no code with the runtime kernels (runtime/kernels/) or with the
 * compiler's prepare (passes/quant_util.c): both are what it checks.
 */
#ifndef KILN_REF_EVAL_INT_H
#define KILN_REF_EVAL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ref/eval_ops.h"

/* ---- eval_int_math.c: prepare-time arithmetic --------------------------- */

/* A real multiplier as TFLite holds it: m = q * 2^shift / 2^31. */
typedef struct ri_mult {
    int32_t q;
    int shift;
} ri_mult;

/* TFLite QuantizeMultiplier: frexp, mantissa * 2^31 rounded half away from
 * zero, 2^31 renormalised, shifts below -31 flushed to zero. */
ri_mult ri_quantize_multiplier(double m);
/* The logistic/tanh prepare: frexp, mantissa rounded, no renormalisation. */
ri_mult ri_frexp_multiplier(double m);
/* CalculateInputRadius(integer_bits, left_shift, 31). */
int32_t ri_input_radius(int integer_bits, int left_shift);
/* CalculateActivationRangeQuantized for the node's fused clamp on an output
 * with (scale, zp) and type range [lo, hi]. */
void ri_act_range(const ir_act *act, float scale, int32_t zp, int32_t *lo, int32_t *hi);
/* The integer range of a dtype (8, 16 or 32 bits, signed or not). */
bool ri_type_range(ir_dtype dt, int32_t *lo, int32_t *hi);

/* ---- eval_int_math.c: run-time fixed point (gemmlowp, TFLite) ----------- */

int32_t ri_wrap32(int64_t v);                          /* two's-complement narrowing */
int32_t ri_srdhm(int32_t a, int32_t b);                 /* SaturatingRoundingDoublingHighMul */
int32_t ri_rdbpot(int32_t x, int exponent);             /* RoundingDivideByPOT, 0..31 */
/* MultiplyByQuantizedMultiplier, TFLM's default double rounding: the left
 * shift wraps as int32, then SRDHM, then the rounding right shift. */
int32_t ri_mbqm(int32_t x, ri_mult m);
/* The int64 variant of the 16x8 kernels: multiplier rounded to 16 bits, one
 * shift by 15 - shift rounding ties up, result narrowed to int32. */
int32_t ri_mbqm64(int64_t x, ri_mult m);
int32_t ri_clamp(int64_t v, int32_t lo, int32_t hi);

/* gemmlowp's fixed-point functions on raw int32 values.  `ibits` is the
 * argument's number of integer bits; results are Q0.31. */
int32_t ri_exp_on_negative_values(int32_t a, int ibits);
int32_t ri_one_over_one_plus_x(int32_t a);              /* a in [0, 1), Q0.31 */
int32_t ri_logistic(int32_t a, int ibits);
int32_t ri_tanh(int32_t a, int ibits);
/* TFLite's GetReciprocal(x, integer_bits, &num_bits_over_unit). */
int32_t ri_reciprocal(int32_t x, int integer_bits, int *num_bits_over_unit);
/* gemmlowp Rescale: SaturatingRoundingMultiplyByPOT by (from - to) bits. */
int32_t ri_rescale(int32_t x, int from_ibits, int to_ibits);

/* ---- eval_int_ops.c: which nodes, and the ops' integer steps ----------- */

/* True when the node's output is quantized with arithmetic the IR pins down
 * to the integer (ir_ops.def) and this evaluator implements it for the
 * node's dtypes: the op files then compute on stored integers and call the
 * functions below instead of ref_store. */
bool ref_int_mode(const ref_ctx *c);

/* True when the node's double-precision result is exact anyway (it moves or
 * selects stored integers without changing their quantization). */
bool ref_int_exact_anyway(const ref_ctx *c);

/* The output stage of the accumulating ops (conv, transposed conv, fully
 * connected, matmul): acc[i] holds the exact integer sum
 * sum((x - zx)(w - zw)) + bias of output element i, whose weight channel is
 * (i / chan_stride) % chan_count; requantizes it into output 0 as the node's
 * flavour specifies (TFLite fixed point with the op's multiplier rule, or
 * onnxruntime's float32 multiply) and applies the clamp. */
bool ref_int_store_acc(ref_ctx *c, const double *acc, int64_t chan_stride, int64_t chan_count);

/* One pooling window's stored values in visiting order (rows, then
 * columns), the count of positions inside the input and inside the pads. */
double ref_int_pool(const ref_ctx *c, const double *win, int64_t count, int64_t count_pad);

/* ADD, SUB, MUL, MIN, MAX on stored integers, factors prepared once. */
typedef struct ri_binary {
    ri_mult ma, mb, my;
    int left_shift;
    int32_t za, zb, zy, lo, hi;
    float fa, fb, foffset;      /* ONNX Add */
} ri_binary;
void ref_int_binary_prepare(const ref_ctx *c, ri_binary *f);
double ref_int_binary(const ref_ctx *c, const ri_binary *f, double a, double b);

/* CLIP, REQUANTIZE, SIGMOID, TANH, LEAKY_RELU, HARD_SWISH on stored integers. */
typedef struct ri_unary {
    ri_mult m1, m2;
    int32_t zx, zy, lo, hi, radius;
} ri_unary;
void ref_int_unary_prepare(const ref_ctx *c, ri_unary *f);
double ref_int_unary(const ref_ctx *c, const ri_unary *f, double stored);

/* The whole SOFTMAX node. */
bool ref_int_softmax(ref_ctx *c);
/* MEAN of one output from the raw sum of its `count` stored inputs. */
double ref_int_mean(const ref_ctx *c, int64_t raw_sum, int64_t count);
/* CONCAT: stored element of input k requantized to the output. */
double ref_int_concat(const ref_ctx *c, int k, double stored);
/* QUANTIZE: float x into channel ch of the output, rounded as the flavour does. */
double ref_int_quantize(const ref_ctx *c, double x, int ch);

#endif
