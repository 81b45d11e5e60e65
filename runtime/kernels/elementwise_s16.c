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
#include "binary_q.h"

/* Walks the 6-D output in row-major order, following each input's strides. */
static void broadcast_apply(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b,
                            int16_t *y, kiln_binary_fn fn)
{
    int32_t idx[KILN_S8_MAX_DIMS] = {0};
    int32_t ao = 0, bo = 0;
    const int32_t n = kiln_binary_count(p);
    for (int32_t i = 0; i < n; i++) {
        y[i] = (int16_t)kiln_clamp32(fn(p, a[ao], b[bo]), p->act_min, p->act_max);
        kiln_binary_step(p, idx, &ao, &bo);
    }
}

void kiln_add_s16(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b, int16_t *y)
{
    broadcast_apply(p, a, b, y, kiln_binary_add);
}

void kiln_sub_s16(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b, int16_t *y)
{
    broadcast_apply(p, a, b, y, kiln_binary_sub);
}

void kiln_mul_s16(const kiln_binary_s8_params *p, const int16_t *a, const int16_t *b, int16_t *y)
{
    broadcast_apply(p, a, b, y, kiln_binary_mul);
}
