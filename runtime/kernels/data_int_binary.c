/*
 * data_int_binary.c - ADD/SUB/MUL/DIV/MIN/MAX on plain (non-quantized)
 * integer tensors, every width, with numpy broadcasting.
 *
 * The same row/odometer walk as the float binary ops.  Arithmetic is done in
 * an unsigned type (uint32_t, or uint64_t for 64-bit), which wraps
 * by definition (signed overflow would be undefined behaviour in C); converting the result back to
 * the signed type is the two's-complement wrap numpy gives on every target
 * Kiln supports.  DIV truncates toward zero as C does, with the two
 * undefined cases defined: x/0 = 0 and MIN/-1 = MIN.  No allocation.
 */
#include "kiln/kernels_data.h"

typedef enum iop { IOP_ADD, IOP_SUB, IOP_MUL, IOP_DIV, IOP_MIN, IOP_MAX } iop;

/* Division with C's truncation and the two undefined cases defined.  For
 * signed T, MIN / -1 is the one overflowing quotient. */
#define INT_DIV(T, SIGNED, TMIN)                                                               \
    static inline T div_##T(T u, T v)                                                          \
    {                                                                                          \
        if (v == 0)                                                                            \
            return 0;                                                                          \
        if (SIGNED && u == TMIN && v == (T)-1)                                                 \
            return u;                                                                          \
        return (T)(u / v);                                                                     \
    }

INT_DIV(int8_t, 1, INT8_MIN)
INT_DIV(int16_t, 1, INT16_MIN)
INT_DIV(int32_t, 1, INT32_MIN)
INT_DIV(int64_t, 1, INT64_MIN)
INT_DIV(uint8_t, 0, 0)
INT_DIV(uint16_t, 0, 0)
INT_DIV(uint32_t, 0, 0)
INT_DIV(uint64_t, 0, 0)

/* One row of op for element type T.  WT is the unsigned type the
 * arithmetic runs in: at least as wide as T and never promoted to a signed
 * int (uint16_t * uint16_t would be, and could overflow). */
#define ROW_LOOP(T, EXPR)                                                                      \
    for (int32_t i = 0; i < n; i++) {                                                          \
        const T u = a[i * sa], v = b[i * sb];                                                  \
        y[i] = (T)(EXPR);                                                                      \
    }                                                                                          \
    break;

#define INT_ROW(T, WT)                                                                         \
    static void row_##T(iop op, const T *a, int32_t sa, const T *b, int32_t sb, T *y, int32_t n) \
    {                                                                                          \
        switch (op) {                                                                          \
        case IOP_ADD: ROW_LOOP(T, (WT)((WT)u + (WT)v))                                         \
        case IOP_SUB: ROW_LOOP(T, (WT)((WT)u - (WT)v))                                         \
        case IOP_MUL: ROW_LOOP(T, (WT)((WT)u * (WT)v))                                         \
        case IOP_DIV: ROW_LOOP(T, div_##T(u, v))                                               \
        case IOP_MIN: ROW_LOOP(T, u < v ? u : v)                                               \
        case IOP_MAX: ROW_LOOP(T, u > v ? u : v)                                               \
        }                                                                                      \
    }

INT_ROW(int8_t, uint32_t)
INT_ROW(uint8_t, uint32_t)
INT_ROW(int16_t, uint32_t)
INT_ROW(uint16_t, uint32_t)
INT_ROW(int32_t, uint32_t)
INT_ROW(uint32_t, uint32_t)
INT_ROW(int64_t, uint64_t)
INT_ROW(uint64_t, uint64_t)

/* Walks Y's rows keeping the A and B offsets (in elements) in step. */
#define INT_WALK(T)                                                                            \
    static void walk_##T(const kiln_binary_int_params *p, const T *a, const T *b, T *y, iop op) \
    {                                                                                          \
        const int32_t r = p->rank, n = p->shape[r - 1];                                        \
        int32_t rows = 1, idx[KILN_MAX_DIMS] = {0}, aoff = 0, boff = 0;                        \
        for (int32_t d = 0; d < r - 1; d++)                                                    \
            rows *= p->shape[d];                                                               \
        for (int32_t row = 0; row < rows; row++) {                                             \
            row_##T(op, a + aoff, p->a_stride[r - 1], b + boff, p->b_stride[r - 1], y + row * n, n); \
            for (int32_t d = r - 2; d >= 0; d--) {                                             \
                aoff += p->a_stride[d];                                                        \
                boff += p->b_stride[d];                                                        \
                if (++idx[d] < p->shape[d])                                                    \
                    break;                                                                     \
                aoff -= p->a_stride[d] * p->shape[d];                                          \
                boff -= p->b_stride[d] * p->shape[d];                                          \
                idx[d] = 0;                                                                    \
            }                                                                                  \
        }                                                                                      \
    }

INT_WALK(int8_t)
INT_WALK(uint8_t)
INT_WALK(int16_t)
INT_WALK(uint16_t)
INT_WALK(int32_t)
INT_WALK(uint32_t)
INT_WALK(int64_t)
INT_WALK(uint64_t)

#define INT_API(T, sfx)                                                                        \
    void kiln_add_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y)         \
    { walk_##T(p, a, b, y, IOP_ADD); }                                                         \
    void kiln_sub_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y)         \
    { walk_##T(p, a, b, y, IOP_SUB); }                                                         \
    void kiln_mul_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y)         \
    { walk_##T(p, a, b, y, IOP_MUL); }                                                         \
    void kiln_div_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y)         \
    { walk_##T(p, a, b, y, IOP_DIV); }                                                         \
    void kiln_min_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y)         \
    { walk_##T(p, a, b, y, IOP_MIN); }                                                         \
    void kiln_max_##sfx(const kiln_binary_int_params *p, const T *a, const T *b, T *y)         \
    { walk_##T(p, a, b, y, IOP_MAX); }

INT_API(int8_t, int8)
INT_API(uint8_t, uint8)
INT_API(int16_t, int16)
INT_API(uint16_t, uint16)
INT_API(int32_t, int32)
INT_API(uint32_t, uint32)
INT_API(int64_t, int64)
INT_API(uint64_t, uint64)
