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

typedef struct kiln_unary_ext_params {
    int32_t size;
    int32_t fn;                 /* enum kiln_unary_fn */
    float alpha, beta;
} kiln_unary_ext_params;

void kiln_unary_ext_f32(const kiln_unary_ext_params *p, const float *x, float *y);
/* Logical not of `size` bools. */
void kiln_not_bool(const kiln_unary_ext_params *p, const uint8_t *x, uint8_t *y);

/* ---- broadcasting binary and ternary ops --------------------------------- */
enum kiln_cmp_fn { KILN_CMP_EQ = 0, KILN_CMP_GT, KILN_CMP_GE, KILN_CMP_LT, KILN_CMP_LE };
enum kiln_logic_fn { KILN_LOGIC_AND = 0, KILN_LOGIC_OR, KILN_LOGIC_XOR };

typedef struct kiln_bcast_params {
    int32_t rank;
    int32_t shape[KILN_MAX_DIMS];
    int32_t a_stride[KILN_MAX_DIMS];
    int32_t b_stride[KILN_MAX_DIMS];
    int32_t c_stride[KILN_MAX_DIMS];    /* where: the condition */
    int32_t fn;                         /* kiln_cmp_fn / kiln_logic_fn */
} kiln_bcast_params;

void kiln_pow_f32(const kiln_bcast_params *p, const float *a, const float *b, float *y);
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

typedef struct kiln_reduce_ext_params {
    int32_t rank;
    int32_t in_shape[KILN_MAX_DIMS];
    int32_t y_stride[KILN_MAX_DIMS];
    int32_t out_size;
    int32_t fn;                         /* enum kiln_reduce_fn */
} kiln_reduce_ext_params;

void kiln_reduce_ext_f32(const kiln_reduce_ext_params *p, const float *x, float *y);

/* ArgMax / ArgMin of X viewed as [outer][n][inner] along n: Y[outer][inner]
 * int64.  Ties: the first index, or the last when `last`; NaN never wins. */
typedef struct kiln_arg_params {
    int32_t outer, n, inner;
    int32_t is_min, last;
} kiln_arg_params;

void kiln_arg_f32(const kiln_arg_params *p, const float *x, int64_t *y);

/* ---- gather --------------------------------------------------------------
 * X viewed as [outer][n][inner_bytes]; Y = [outer][n_idx][inner_bytes] with
 * Y[o][j] = X[o][idx[j]] (negative idx counts from n; out of range clamps). */
typedef struct kiln_gather_ext_params {
    int32_t outer, n, inner_bytes, n_idx;
} kiln_gather_ext_params;

void kiln_gather_i64(const kiln_gather_ext_params *p, const void *x, const int64_t *idx, void *y);
void kiln_gather_i32(const kiln_gather_ext_params *p, const void *x, const int32_t *idx, void *y);

/* ---- TopK, CumSum --------------------------------------------------------
 * X viewed as [outer][n][inner].  TopK: V, I = [outer][k][inner], the k
 * largest (smallest when `smallest`) of each line, best first, equal values
 * in index order; I holds their indices.  CumSum: Y has X's shape, running
 * sums along n (exclusive: without the element itself; reverse: from the
 * end). */
typedef struct kiln_topk_params {
    int32_t outer, n, inner, k;
    int32_t smallest;
} kiln_topk_params;

void kiln_topk_f32(const kiln_topk_params *p, const float *x, float *v, int64_t *idx);
void kiln_topk_int64(const kiln_topk_params *p, const int64_t *x, int64_t *v, int64_t *idx);

typedef struct kiln_cumsum_params {
    int32_t outer, n, inner;
    int32_t exclusive, reverse;
} kiln_cumsum_params;

void kiln_cumsum_f32(const kiln_cumsum_params *p, const float *x, float *y);
void kiln_cumsum_int32(const kiln_cumsum_params *p, const int32_t *x, int32_t *y);
void kiln_cumsum_int64(const kiln_cumsum_params *p, const int64_t *x, int64_t *y);

/* GatherElements: Y (shape, `rank` dims, contiguous) takes X's element at
 * Y's coordinates with the `axis` coordinate replaced by idx (negative from
 * n; out of range clamped); x_stride in elements, elem_size bytes each. */
typedef struct kiln_gather_elements_params {
    int32_t rank, axis, n, elem_size;
    int32_t shape[KILN_MAX_DIMS];
    int32_t x_stride[KILN_MAX_DIMS];
} kiln_gather_elements_params;

void kiln_gather_elements_i64(const kiln_gather_elements_params *p, const void *x, const int64_t *idx, void *y);
void kiln_gather_elements_i32(const kiln_gather_elements_params *p, const void *x, const int32_t *idx, void *y);

#ifdef __cplusplus
}
#endif

#endif
