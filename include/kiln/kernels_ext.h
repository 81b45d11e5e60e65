/*
 * kernels_ext.h - the extended operator set: float32 math functions,
 * comparisons and logic on bool masks, Where, the Reduce family, ArgMax /
 * ArgMin and Gather with run-time indices.
 *
 * Each kernel takes one const params struct built by the compiler
 * (compiler/passes/lower_ext.c) and plain pointers.  Broadcasting kernels
 * see Y as `rank` dims (collapsed by the compiler, 1..6) and each operand
 * through its element strides (0 where it is broadcast).  Bool tensors are
 * one byte per element holding 0 or 1.  Nothing here allocates, prints or
 * keeps state; params are trusted.
 */
#ifndef KILN_KERNELS_EXT_H
#define KILN_KERNELS_EXT_H

#include <stdint.h>

#include "kiln/fields.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KILN_MAX_DIMS
#define KILN_MAX_DIMS 6
#endif

/* ---- float32 math over `size` elements (x == y allowed) ------------------
 * fn picks the function; alpha and beta are its parameters (ir_ops.def
 * gives each definition). */
enum kiln_unary_fn {
    KILN_UN_ABS = 0, KILN_UN_NEG, KILN_UN_EXP, KILN_UN_LOG, KILN_UN_RECIPROCAL, KILN_UN_SIGN,
    KILN_UN_CEIL, KILN_UN_FLOOR, KILN_UN_ROUND, KILN_UN_ERF, KILN_UN_SIN, KILN_UN_COS,
    KILN_UN_SOFTPLUS, KILN_UN_SOFTSIGN, KILN_UN_ELU, KILN_UN_CELU, KILN_UN_SELU, KILN_UN_MISH,
    KILN_UN_GELU, KILN_UN_GELU_TANH, KILN_UN_THRESHOLDED_RELU, KILN_UN_RSQRT, KILN_UN_SQUARE,
    KILN_UN_COUNT
};

#define KILN_UNARY_EXT_PARAMS_FIELDS(F, A, S)                                                      \
    F(int32_t, size, INT)                                                                          \
    F(int32_t, fn, INT)                              /* enum kiln_unary_fn */                      \
    F(float, alpha, F32) F(float, beta, F32)
typedef struct kiln_unary_ext_params {
    KILN_FIELDS(KILN_UNARY_EXT_PARAMS_FIELDS)
} kiln_unary_ext_params;

void kiln_unary_ext_f32(const kiln_unary_ext_params *p, const float *x, float *y);
/* Logical not of `size` bools. */
void kiln_not_bool(const kiln_unary_ext_params *p, const uint8_t *x, uint8_t *y);

/* ---- broadcasting binary and ternary ops --------------------------------- */
enum kiln_cmp_fn { KILN_CMP_EQ = 0, KILN_CMP_GT, KILN_CMP_GE, KILN_CMP_LT, KILN_CMP_LE };
enum kiln_logic_fn { KILN_LOGIC_AND = 0, KILN_LOGIC_OR, KILN_LOGIC_XOR };

#define KILN_BCAST_PARAMS_FIELDS(F, A, S)                                                          \
    F(int32_t, rank, INT)                                                                          \
    A(int32_t, shape, KILN_MAX_DIMS, INT)                                                          \
    A(int32_t, a_stride, KILN_MAX_DIMS, INT)                                                       \
    A(int32_t, b_stride, KILN_MAX_DIMS, INT)                                                       \
    A(int32_t, c_stride, KILN_MAX_DIMS, INT)         /* where: the condition */                    \
    F(int32_t, fn, INT)                              /* kiln_cmp_fn / kiln_logic_fn */
typedef struct kiln_bcast_params {
    KILN_FIELDS(KILN_BCAST_PARAMS_FIELDS)
} kiln_bcast_params;

void kiln_pow_f32(const kiln_bcast_params *p, const float *a, const float *b, float *y);
/* Integer base: exponent of the base's type, or float32 (_f32) (ir_ops.def POW). */
void kiln_pow_int32(const kiln_bcast_params *p, const int32_t *a, const int32_t *b, int32_t *y);
void kiln_pow_int32_f32(const kiln_bcast_params *p, const int32_t *a, const float *b, int32_t *y);
void kiln_pow_int64(const kiln_bcast_params *p, const int64_t *a, const int64_t *b, int64_t *y);
void kiln_pow_int64_f32(const kiln_bcast_params *p, const int64_t *a, const float *b, int64_t *y);
void kiln_compare_f32(const kiln_bcast_params *p, const float *a, const float *b, uint8_t *y);
void kiln_compare_int8(const kiln_bcast_params *p, const int8_t *a, const int8_t *b, uint8_t *y);
void kiln_compare_uint8(const kiln_bcast_params *p, const uint8_t *a, const uint8_t *b, uint8_t *y);
void kiln_compare_int16(const kiln_bcast_params *p, const int16_t *a, const int16_t *b, uint8_t *y);
void kiln_compare_int32(const kiln_bcast_params *p, const int32_t *a, const int32_t *b, uint8_t *y);
void kiln_compare_int64(const kiln_bcast_params *p, const int64_t *a, const int64_t *b, uint8_t *y);
void kiln_logic_bool(const kiln_bcast_params *p, const uint8_t *a, const uint8_t *b, uint8_t *y);
/* y = c ? a : b for elements of elem_size bytes (1, 2, 4 or 8), passed as
 * fn. */
void kiln_where(const kiln_bcast_params *p, const uint8_t *c, const void *a, const void *b, void *y);

/* ---- reductions ----------------------------------------------------------
 * X has `rank` dims in_shape (collapsed by the compiler); y_stride[d] is the
 * output element stride of dim d, 0 for a reduced dim.  Y has out_size
 * elements. */
enum kiln_reduce_fn {
    KILN_RED_SUM = 0, KILN_RED_MAX, KILN_RED_MIN, KILN_RED_PROD, KILN_RED_L1, KILN_RED_L2,
    KILN_RED_SUM_SQUARE, KILN_RED_LOG_SUM_EXP
};

#define KILN_REDUCE_EXT_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, rank, INT)                                                                          \
    A(int32_t, in_shape, KILN_MAX_DIMS, INT)                                                       \
    A(int32_t, y_stride, KILN_MAX_DIMS, INT)                                                       \
    F(int32_t, out_size, INT)                                                                      \
    F(int32_t, fn, INT)                              /* enum kiln_reduce_fn */
typedef struct kiln_reduce_ext_params {
    KILN_FIELDS(KILN_REDUCE_EXT_PARAMS_FIELDS)
} kiln_reduce_ext_params;

void kiln_reduce_ext_f32(const kiln_reduce_ext_params *p, const float *x, float *y);

/* ArgMax / ArgMin of X viewed as [outer][n][inner] along n: Y[outer][inner]
 * int64.  Ties: the first index, or the last when `last`; NaN never wins. */
#define KILN_ARG_PARAMS_FIELDS(F, A, S)                                                            \
    F(int32_t, outer, INT) F(int32_t, n, INT) F(int32_t, inner, INT)                               \
    F(int32_t, is_min, INT) F(int32_t, last, INT)
typedef struct kiln_arg_params {
    KILN_FIELDS(KILN_ARG_PARAMS_FIELDS)
} kiln_arg_params;

void kiln_arg_f32(const kiln_arg_params *p, const float *x, int64_t *y);

/* ---- gather --------------------------------------------------------------
 * X viewed as [outer][n][inner_bytes]; Y = [outer][n_idx][inner_bytes] with
 * Y[o][j] = X[o][idx[j]] (negative idx counts from n; out of range clamps). */
#define KILN_GATHER_EXT_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, outer, INT) F(int32_t, n, INT) F(int32_t, inner_bytes, INT) F(int32_t, n_idx, INT)
typedef struct kiln_gather_ext_params {
    KILN_FIELDS(KILN_GATHER_EXT_PARAMS_FIELDS)
} kiln_gather_ext_params;

void kiln_gather_i64(const kiln_gather_ext_params *p, const void *x, const int64_t *idx, void *y);
void kiln_gather_i32(const kiln_gather_ext_params *p, const void *x, const int32_t *idx, void *y);

/* ---- TopK, CumSum --------------------------------------------------------
 * X viewed as [outer][n][inner].  TopK: V, I = [outer][k][inner], the k
 * largest (smallest when `smallest`) of each line, best first, equal values
 * in index order; I holds their indices.  CumSum: Y has X's shape, running
 * sums along n (exclusive: without the element itself; reverse: from the
 * end). */
#define KILN_TOPK_PARAMS_FIELDS(F, A, S)                                                           \
    F(int32_t, outer, INT) F(int32_t, n, INT) F(int32_t, inner, INT) F(int32_t, k, INT)            \
    F(int32_t, smallest, INT)
typedef struct kiln_topk_params {
    KILN_FIELDS(KILN_TOPK_PARAMS_FIELDS)
} kiln_topk_params;

void kiln_topk_f32(const kiln_topk_params *p, const float *x, float *v, int64_t *idx);
void kiln_topk_int64(const kiln_topk_params *p, const int64_t *x, int64_t *v, int64_t *idx);

#define KILN_CUMSUM_PARAMS_FIELDS(F, A, S)                                                         \
    F(int32_t, outer, INT) F(int32_t, n, INT) F(int32_t, inner, INT)                               \
    F(int32_t, exclusive, INT) F(int32_t, reverse, INT)
typedef struct kiln_cumsum_params {
    KILN_FIELDS(KILN_CUMSUM_PARAMS_FIELDS)
} kiln_cumsum_params;

void kiln_cumsum_f32(const kiln_cumsum_params *p, const float *x, float *y);
void kiln_cumsum_int32(const kiln_cumsum_params *p, const int32_t *x, int32_t *y);
void kiln_cumsum_int64(const kiln_cumsum_params *p, const int64_t *x, int64_t *y);

/* GatherElements: Y (shape, `rank` dims, contiguous) takes X's element at
 * Y's coordinates with the `axis` coordinate replaced by idx (negative from
 * n; out of range clamped); x_stride in elements, elem_size bytes each. */
#define KILN_GATHER_ELEMENTS_PARAMS_FIELDS(F, A, S)                                                \
    F(int32_t, rank, INT) F(int32_t, axis, INT) F(int32_t, n, INT) F(int32_t, elem_size, INT)      \
    A(int32_t, shape, KILN_MAX_DIMS, INT)                                                          \
    A(int32_t, x_stride, KILN_MAX_DIMS, INT)
typedef struct kiln_gather_elements_params {
    KILN_FIELDS(KILN_GATHER_ELEMENTS_PARAMS_FIELDS)
} kiln_gather_elements_params;

void kiln_gather_elements_i64(const kiln_gather_elements_params *p, const void *x, const int64_t *idx, void *y);
void kiln_gather_elements_i32(const kiln_gather_elements_params *p, const void *x, const int32_t *idx, void *y);

/* GatherND: n_slices k-tuples of idx (int32), each picking a slice of
 * slice_bytes bytes at X's slice offset sum(i_d * stride[d]) (strides in
 * slices); each i_d is clamped into [0, dims[d]) so no read leaves X. */
#define KILN_GATHER_ND_PARAMS_FIELDS(F, A, S)                                                      \
    F(int32_t, n_slices, INT) F(int32_t, k, INT) F(int32_t, slice_bytes, INT)                      \
    A(int32_t, dims, KILN_MAX_DIMS, INT)                                                           \
    A(int32_t, stride, KILN_MAX_DIMS, INT)
typedef struct kiln_gather_nd_params {
    KILN_FIELDS(KILN_GATHER_ND_PARAMS_FIELDS)
} kiln_gather_nd_params;

void kiln_gather_nd_i32(const kiln_gather_nd_params *p, const void *x, const int32_t *idx, void *y);

#ifdef __cplusplus
}
#endif

#endif
