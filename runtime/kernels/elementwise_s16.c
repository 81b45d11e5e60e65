/*
 * elementwise_s16.c - int16 ADD, SUB and MUL with numpy broadcasting, as
 * TFLite-Micro's reference kernels compute them for int16 tensors (zero
 * points 0).  ADD/SUB take TFLM's general-scaling path, the int8 one with a
 * left shift of 15 instead of 20 (65535 << 15 still fits the int32 sum);
 * MUL rescales the raw int32 product once.  TFLM runs this general path
 * whatever an ADD's pot_scale_int16 says.
 *
 * Integer arithmetic only; never allocates.
 */
#include "kiln/kernels_s16.h"
#include "fixedpoint_s8.h"

typedef int32_t (*binary_fn)(const kiln_binary_s8_params *p, int32_t a, int32_t b);

/* Walks the 6-D output in row-major order, following each input's strides. */
static void broadcast_apply(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b,
                            int16_t *y, binary_fn fn)
{
    int32_t idx[KILN_S8_MAX_DIMS] = {0};
    int32_t n = 1;
    for (int d = 0; d < KILN_S8_MAX_DIMS; d++)
        n *= p->shape[d];
    int32_t ao = 0, bo = 0;
    for (int32_t i = 0; i < n; i++) {
        y[i] = (int16_t)kiln_clamp32(fn(p, a[ao], b[bo]), p->act_min, p->act_max);
        for (int d = KILN_S8_MAX_DIMS - 1; d >= 0; d--) {
            ao += p->a_stride[d];
            bo += p->b_stride[d];
            if (++idx[d] < p->shape[d])
                break;
            ao -= p->a_stride[d] * p->shape[d];
            bo -= p->b_stride[d] * p->shape[d];
            idx[d] = 0;
        }
    }
}

static int32_t scaled_input(int32_t v, int32_t offset, int32_t left_shift, int32_t mult,
                            int32_t shift)
{
    return kiln_mbqm(kiln_shl_wrap(v + offset, left_shift), mult, shift);
}

static int32_t add_fn(const kiln_binary_s8_params *p, int32_t a, int32_t b)
{
    int32_t sa = scaled_input(a, p->a_offset, p->left_shift, p->a_mult, p->a_shift);
    int32_t sb = scaled_input(b, p->b_offset, p->left_shift, p->b_mult, p->b_shift);
    return kiln_mbqm(sa + sb, p->out_mult, p->out_shift) + p->out_offset;
}

static int32_t sub_fn(const kiln_binary_s8_params *p, int32_t a, int32_t b)
{
    int32_t sa = scaled_input(a, p->a_offset, p->left_shift, p->a_mult, p->a_shift);
    int32_t sb = scaled_input(b, p->b_offset, p->left_shift, p->b_mult, p->b_shift);
    return kiln_mbqm(sa - sb, p->out_mult, p->out_shift) + p->out_offset;
}

/* With zero offsets |a * b| <= 2^30: the product cannot overflow. */
static int32_t mul_fn(const kiln_binary_s8_params *p, int32_t a, int32_t b)
{
    return kiln_mbqm((a + p->a_offset) * (b + p->b_offset), p->out_mult, p->out_shift) +
           p->out_offset;
}

void kiln_add_s16(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b, int16_t *y)
{
    broadcast_apply(p, a, b, y, add_fn);
}

void kiln_sub_s16(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b, int16_t *y)
{
    broadcast_apply(p, a, b, y, sub_fn);
}

void kiln_mul_s16(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b, int16_t *y)
{
    broadcast_apply(p, a, b, y, mul_fn);
}
