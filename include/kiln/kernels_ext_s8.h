/*
 * kernels_ext_s8.h - the int8 forms of the extended operator set, each the
 * integer arithmetic of TFLite-Micro's kernel for that builtin: scaled
 * comparisons, REDUCE_MAX/MIN, ARG_MAX/ARG_MIN, ABS, PRELU, CUMSUM and
 * table lookups.
 *
 * Every multiplier and shift was computed by the compiler
 * (compiler/passes/lower_ext_s8.c) the way TFLM's Prepare computes it; the
 * kernels only add, shift and multiply integers (fixedpoint_s8.h).  Bool
 * outputs are one byte, 0 or 1.  Nothing here allocates, prints, keeps
 * state or touches a float; params are trusted.
 */
#ifndef KILN_KERNELS_EXT_S8_H
#define KILN_KERNELS_EXT_S8_H

#include <stdint.h>

#include "kiln/fields.h"
#include "kiln/kernels_ext.h"

#ifdef __cplusplus
extern "C" {
#endif

/* EQUAL .. LESS_EQUAL on int8 (TFLM ComparisonWithScaling): each operand v
 * becomes MBQM_SmallerThanOne((v + offset) << left_shift, mult, shift) and
 * the two int32 values are compared with bc.fn (kiln_cmp_fn).  shift <= 0. */
#define KILN_CMP_S8_PARAMS_FIELDS(F, A, S)                                                         \
    S(kiln_bcast_params, bc)                                                                       \
    F(int32_t, left_shift, INT)                                                                    \
    F(int32_t, a_offset, INT) F(int32_t, a_mult, INT) F(int32_t, a_shift, INT)                     \
    F(int32_t, b_offset, INT) F(int32_t, b_mult, INT) F(int32_t, b_shift, INT)
typedef struct kiln_cmp_s8_params {
    KILN_FIELDS(KILN_CMP_S8_PARAMS_FIELDS)
} kiln_cmp_s8_params;

void kiln_compare_s8_scaled(const kiln_cmp_s8_params *p, const int8_t *a, const int8_t *b, uint8_t *y);

/* SQUARED_DIFFERENCE on int8 (TFLM's SquaredDifference<int8_t>): the inputs
 * scaled as above (left_shift 7), d = va - vb, then
 * y = clamp(MBQM(d * d, out_mult, out_shift) + out_zp) to int8. */
#define KILN_SQDIFF_S8_PARAMS_FIELDS(F, A, S)                                                      \
    S(kiln_cmp_s8_params, in)                                                                      \
    F(int32_t, out_mult, INT) F(int32_t, out_shift, INT) F(int32_t, out_zp, INT)
typedef struct kiln_sqdiff_s8_params {
    KILN_FIELDS(KILN_SQDIFF_S8_PARAMS_FIELDS)
} kiln_sqdiff_s8_params;

void kiln_squared_difference_s8(const kiln_sqdiff_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y);

/* REDUCE_MAX / REDUCE_MIN of stored int8 values (X and Y share their
 * quantization, as TFLM requires): kiln_reduce_ext_params with fn
 * KILN_RED_MAX or KILN_RED_MIN; Y starts at -128 / 127. */
void kiln_reduce_minmax_s8(const kiln_reduce_ext_params *p, const int8_t *x, int8_t *y);

/* ARG_MAX / ARG_MIN of stored int8 values along n (TFLM ArgMinMax: the
 * first index wins a tie; `last` must be 0).  int32 or int64 indices. */
void kiln_arg_s8_i32(const kiln_arg_params *p, const int8_t *x, int32_t *y);
void kiln_arg_s8_i64(const kiln_arg_params *p, const int8_t *x, int64_t *y);

/* ABS on int8 (TFLM AbsEvalQuantized): v = |x - in_zp|; with rescale
 * y = clamp(MBQM(v, mult, shift) + out_zp), else y = clamp(v + out_zp). */
#define KILN_ABS_S8_PARAMS_FIELDS(F, A, S)                                                         \
    F(int32_t, size, INT)                                                                          \
    F(int32_t, in_zp, INT) F(int32_t, out_zp, INT)                                                 \
    F(int32_t, rescale, INT) F(int32_t, mult, INT) F(int32_t, shift, INT)
typedef struct kiln_abs_s8_params {
    KILN_FIELDS(KILN_ABS_S8_PARAMS_FIELDS)
} kiln_abs_s8_params;

void kiln_abs_s8(const kiln_abs_s8_params *p, const int8_t *x, int8_t *y);

/* PRELU on int8 (TFLM's BroadcastPrelu4DSlow, any rank here): a = X, b =
 * ALPHA in bc's walk; v = x + in_offset; v >= 0 gives MBQM(v, mult1, shift1),
 * else MBQM(v * (alpha + alpha_offset), mult2, shift2); plus out_zp,
 * clamped to int8. */
#define KILN_PRELU_S8_PARAMS_FIELDS(F, A, S)                                                       \
    S(kiln_bcast_params, bc)                                                                       \
    F(int32_t, in_offset, INT) F(int32_t, alpha_offset, INT) F(int32_t, out_zp, INT)               \
    F(int32_t, mult1, INT) F(int32_t, shift1, INT) F(int32_t, mult2, INT) F(int32_t, shift2, INT)
typedef struct kiln_prelu_s8_params {
    KILN_FIELDS(KILN_PRELU_S8_PARAMS_FIELDS)
} kiln_prelu_s8_params;

void kiln_prelu_s8(const kiln_prelu_s8_params *p, const int8_t *x, const int8_t *alpha, int8_t *y);

/* CUMSUM on int8 (TFLM's quantized CumSum): along each line of n values
 * (kiln_cumsum_params: [outer][n][inner], exclusive, reverse), every value
 * becomes MBQM_SmallerThanOne((q + in_offset) << left_shift, in_mult,
 * in_shift) and is added into an int32 accumulator, which wraps as TFLM's
 * int32 does and starts at that same scaling of in_offset alone (TFLM's
 * start value: 0 only when the input zero point is 0); each output is
 * clamp(MBQM_SmallerThanOne(acc, out_mult, out_shift) + out_zp).  Shifts
 * <= 0. */
#define KILN_CUMSUM_S8_PARAMS_FIELDS(F, A, S)                                                      \
    S(kiln_cumsum_params, line)                                                                    \
    F(int32_t, left_shift, INT) F(int32_t, in_offset, INT)                                         \
    F(int32_t, in_mult, INT) F(int32_t, in_shift, INT)                                             \
    F(int32_t, out_mult, INT) F(int32_t, out_shift, INT) F(int32_t, out_zp, INT)
typedef struct kiln_cumsum_s8_params {
    KILN_FIELDS(KILN_CUMSUM_S8_PARAMS_FIELDS)
} kiln_cumsum_s8_params;

void kiln_cumsum_s8(const kiln_cumsum_s8_params *p, const int8_t *x, int8_t *y);

/* A unary int8 op as a table of its 256 results, built by the compiler with
 * the integer steps of TFLM's kernel (RSQRT): y = table[x + 128]. */
#define KILN_LUT_S8_PARAMS_FIELDS(F, A, S) F(int32_t, size, INT)
typedef struct kiln_lut_s8_params {
    KILN_FIELDS(KILN_LUT_S8_PARAMS_FIELDS)
} kiln_lut_s8_params;

void kiln_lut_s8(const kiln_lut_s8_params *p, const int8_t *x, const int8_t *table, int8_t *y);

#ifdef __cplusplus
}
#endif

#endif
