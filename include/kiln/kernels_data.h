/*
 * kernels_data.h - data-movement kernels, for any element type, and the
 * plain (non-quantized) integer elementwise kernels.
 *
 * Movement kernels know only an element size (1, 2, 4 or 8 bytes), so one
 * kernel serves float, int8, int64, bool and quantized tensors alike; the
 * pointers are void.  Shapes are collapsed by the compiler to the fewest dims
 * that describe the move.  Strides are in elements, may be negative (a SLICE
 * with a negative step) and are signed 32-bit.  Nothing here allocates,
 * prints or keeps state; params are trusted (the compiler built them).
 */
#ifndef KILN_KERNELS_DATA_H
#define KILN_KERNELS_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/fields.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KILN_MAX_DIMS
#define KILN_MAX_DIMS 6
#endif

/* Strided N-D copy (TRANSPOSE, SLICE): Y is contiguous in `shape`;
 * Y[i0..i{r-1}] = X[x_offset + sum_d i_d * x_stride[d]]. */
#define KILN_COPY_PARAMS_FIELDS(F, A, S)                                                           \
    F(int32_t, elem_size, INT)                                                                     \
    F(int32_t, rank, INT)                            /* 1..6 */                                    \
    A(int32_t, shape, KILN_MAX_DIMS, INT)                                                          \
    A(int32_t, x_stride, KILN_MAX_DIMS, INT)                                                       \
    F(int32_t, x_offset, INT)
typedef struct kiln_copy_params {
    KILN_FIELDS(KILN_COPY_PARAMS_FIELDS)
} kiln_copy_params;

void kiln_copy_strided(const kiln_copy_params *p, const void *x, void *y);

/* Per-axis gather (PAD in every mode, nearest RESIZE): Y is contiguous in
 * `shape`; for output index o on axis d the source index is
 * idx[off[d] + o], or -1 for "outside": then Y is *fill.  With no -1 on an
 * output position, Y = X[sum_d idx_d * x_stride[d]].  fill may be NULL when
 * no table holds -1. */
#define KILN_GATHER_PARAMS_FIELDS(F, A, S)                                                         \
    F(int32_t, elem_size, INT)                                                                     \
    F(int32_t, rank, INT)                                                                          \
    A(int32_t, shape, KILN_MAX_DIMS, INT)                                                          \
    A(int32_t, x_stride, KILN_MAX_DIMS, INT)                                                       \
    A(int32_t, off, KILN_MAX_DIMS, INT)
typedef struct kiln_gather_params {
    KILN_FIELDS(KILN_GATHER_PARAMS_FIELDS)
} kiln_gather_params;

void kiln_gather_axes(const kiln_gather_params *p, const void *x, const int32_t *idx,
                      const void *fill, void *y);

/* CONCAT of up to KILN_CONCAT_MAX_INPUTS inputs: X_i viewed as
 * [outer][chunk[i]] elements, Y as [outer][sum chunk].  Unused x pointers are
 * NULL. (The compiler chains calls for more inputs.) */
#define KILN_CONCAT_MAX_INPUTS 8
#define KILN_CONCAT_PARAMS_FIELDS(F, A, S)                                                         \
    F(int32_t, elem_size, INT)                                                                     \
    F(int32_t, n_inputs, INT)                                                                      \
    F(int32_t, outer, INT)                                                                         \
    A(int32_t, chunk, KILN_CONCAT_MAX_INPUTS, INT)
typedef struct kiln_concat_params {
    KILN_FIELDS(KILN_CONCAT_PARAMS_FIELDS)
} kiln_concat_params;

void kiln_concat(const kiln_concat_params *p, void *y, const void *x0, const void *x1,
                 const void *x2, const void *x3, const void *x4, const void *x5,
                 const void *x6, const void *x7);

/* CAST between element types, by kiln_blob_dtype number (1 f32, 2 s8, 3 u8,
 * 4 s16, 5 s32, 6 s64, 7 u16, 8 u32, 9 bool, 10 u64).  Float to integer
 * truncates toward zero and saturates (NaN gives 0); to bool is x != 0;
 * integer to integer wraps as a two's-complement conversion. */
#define KILN_CAST_PARAMS_FIELDS(F, A, S)                                                           \
    F(int32_t, size, INT)                                                                          \
    F(int32_t, from, INT) F(int32_t, to, INT)
typedef struct kiln_cast_params {
    KILN_FIELDS(KILN_CAST_PARAMS_FIELDS)
} kiln_cast_params;

void kiln_cast(const kiln_cast_params *p, const void *x, void *y);

/* Integer elementwise ADD/SUB/MUL/DIV/MIN/MAX with numpy broadcasting, on
 * non-quantized tensors: strides as kiln_binary_f32_params.  Arithmetic wraps
 * (two's complement, like numpy); DIV truncates toward zero, x/0 gives 0 and
 * INT_MIN/-1 gives INT_MIN. */
#define KILN_BINARY_INT_PARAMS_FIELDS(F, A, S)                                                     \
    F(int32_t, rank, INT)                                                                          \
    A(int32_t, shape, KILN_MAX_DIMS, INT)                                                          \
    A(int32_t, a_stride, KILN_MAX_DIMS, INT)                                                       \
    A(int32_t, b_stride, KILN_MAX_DIMS, INT)
typedef struct kiln_binary_int_params {
    KILN_FIELDS(KILN_BINARY_INT_PARAMS_FIELDS)
} kiln_binary_int_params;

/* Declares kiln_{add,sub,mul,div,min,max}_<sfx>, e.g. kiln_add_int32, kiln_div_uint8. */
#define KILN_DECLARE_INT_BINARY(T, sfx)                                                         \
    void kiln_add_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y);         \
    void kiln_sub_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y);         \
    void kiln_mul_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y);         \
    void kiln_div_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y);         \
    void kiln_min_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y);         \
    void kiln_max_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y);

KILN_DECLARE_INT_BINARY(int8_t, int8)
KILN_DECLARE_INT_BINARY(uint8_t, uint8)
KILN_DECLARE_INT_BINARY(int16_t, int16)
KILN_DECLARE_INT_BINARY(uint16_t, uint16)
KILN_DECLARE_INT_BINARY(int32_t, int32)
KILN_DECLARE_INT_BINARY(uint32_t, uint32)
KILN_DECLARE_INT_BINARY(int64_t, int64)
KILN_DECLARE_INT_BINARY(uint64_t, uint64)

/* MAXPOOL on plain (or unchanged-quantization) int8 / uint8 tensors: ONNX
 * MaxPool on integer inputs.  Geometry as kiln_pool_f32_params: spatial dims
 * right-aligned into (d, h, w), unused ones 1; layout 0 NCHW, 1 NHWC.
 * Windows are clipped to the input (padded positions never win); the first
 * of equal maxima wins.  indices (may be NULL, NCHW only): ONNX's Indices,
 * the flat index of the max in X including the batch and channel offset,
 * spatial part row-major (storage_order 0) or column-major (1). */
#define KILN_MAXPOOL_INT_PARAMS_FIELDS(F, A, S)                                                    \
    F(int32_t, layout, LAYOUT)                                                                     \
    F(int32_t, batch, INT) F(int32_t, channels, INT)                                               \
    A(int32_t, in, 3, INT) A(int32_t, out, 3, INT)                                                 \
    A(int32_t, k, 3, INT) A(int32_t, stride, 3, INT) A(int32_t, dil, 3, INT)                       \
    A(int32_t, pad, 3, INT)                                                                        \
    F(int32_t, storage_order, INT)
typedef struct kiln_maxpool_int_params {
    KILN_FIELDS(KILN_MAXPOOL_INT_PARAMS_FIELDS)
} kiln_maxpool_int_params;

void kiln_maxpool_int8(const kiln_maxpool_int_params *p, const int8_t *x, int8_t *y, int64_t *indices);
void kiln_maxpool_uint8(const kiln_maxpool_int_params *p, const uint8_t *x, uint8_t *y,
                        int64_t *indices);

#ifdef __cplusplus
}
#endif
#endif
