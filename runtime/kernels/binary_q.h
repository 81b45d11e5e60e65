/*
 * binary_q.h - what the quantized binary kernels share whatever their
 * element type (elementwise_s8.c, elementwise_s16.c): the per-element
 * arithmetic of TFLM's ADD, SUB and MUL on int32 values, and the numpy
 * broadcasting walk over kiln_binary_s8_params' 6-D shape and strides.
 * Internal to the runtime.
 */
#ifndef KILN_BINARY_Q_H
#define KILN_BINARY_Q_H

#include <stdint.h>
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

typedef int32_t (*kiln_binary_fn)(const kiln_binary_s8_params *p, int32_t a, int32_t b);

/* Elements in the output. */
static inline int32_t kiln_binary_count(const kiln_binary_s8_params *p)
{
    int32_t n = 1;
    for (int d = 0; d < KILN_S8_MAX_DIMS; d++)
        n *= p->shape[d];
    return n;
}

/* Advances the output index (an odometer, last dimension fastest) and each
 * input's offset by its strides (0 along a broadcast dimension). */
static inline void kiln_binary_step(const kiln_binary_s8_params *p, int32_t *idx, int32_t *ao,
                                    int32_t *bo)
{
    for (int d = KILN_S8_MAX_DIMS - 1; d >= 0; d--) {
        *ao += p->a_stride[d];
        *bo += p->b_stride[d];
        if (++idx[d] < p->shape[d])
            return;
        *ao -= p->a_stride[d] * p->shape[d];
        *bo -= p->b_stride[d] * p->shape[d];
        idx[d] = 0;
    }
}

/* (x + offset) * 2^left_shift rescaled by its multiplier (shift <= 0);
 * left_shift is 20 for int8 and 15 for int16 in TFLM. */
static inline int32_t kiln_binary_scaled_input(int32_t v, int32_t offset, int32_t left_shift,
                                               int32_t mult, int32_t shift)
{
    return kiln_mbqm(kiln_shl_wrap(v + offset, left_shift), mult, shift);
}

static inline int32_t kiln_binary_add(const kiln_binary_s8_params *p, int32_t a, int32_t b)
{
    int32_t sa = kiln_binary_scaled_input(a, p->a_offset, p->left_shift, p->a_mult, p->a_shift);
    int32_t sb = kiln_binary_scaled_input(b, p->b_offset, p->left_shift, p->b_mult, p->b_shift);
    return kiln_mbqm(sa + sb, p->out_mult, p->out_shift) + p->out_offset;
}

static inline int32_t kiln_binary_sub(const kiln_binary_s8_params *p, int32_t a, int32_t b)
{
    int32_t sa = kiln_binary_scaled_input(a, p->a_offset, p->left_shift, p->a_mult, p->a_shift);
    int32_t sb = kiln_binary_scaled_input(b, p->b_offset, p->left_shift, p->b_mult, p->b_shift);
    return kiln_mbqm(sa - sb, p->out_mult, p->out_shift) + p->out_offset;
}

/* The raw product fits int32: |(a + offset) * (b + offset)| <= 256^2 for
 * int8, and int16 has zero offsets, so at most 2^30. */
static inline int32_t kiln_binary_mul(const kiln_binary_s8_params *p, int32_t a, int32_t b)
{
    return kiln_mbqm((a + p->a_offset) * (b + p->b_offset), p->out_mult, p->out_shift) +
           p->out_offset;
}

#endif
