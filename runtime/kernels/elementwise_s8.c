/*
 * elementwise_s8.c - int8 ADD, SUB, MUL, MINIMUM, MAXIMUM with numpy
 * broadcasting, as TFLM's reference integer kernels compute them: ADD/SUB
 * shift both inputs left by 20 bits, rescale each by its own multiplier,
 * add, and rescale the sum; MUL rescales the product once.
 *
 * Integer arithmetic only; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "binary_q.h"

/* Walks the 6-D output in row-major order, following each input's strides. */
static void broadcast_apply(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b,
                            int8_t *y, kiln_binary_fn fn)
{
    int32_t idx[KILN_S8_MAX_DIMS] = {0};
    int32_t ao = 0, bo = 0;
    const int32_t n = kiln_binary_count(p);
    for (int32_t i = 0; i < n; i++) {
        y[i] = (int8_t)kiln_clamp32(fn(p, a[ao], b[bo]), p->act_min, p->act_max);
        kiln_binary_step(p, idx, &ao, &bo);
    }
}

static int32_t min_fn(const kiln_binary_s8_params *p, int32_t a, int32_t b)
{
    int32_t ra = kiln_mbqm(a + p->a_offset, p->a_mult, p->a_shift);
    int32_t rb = kiln_mbqm(b + p->b_offset, p->b_mult, p->b_shift);
    return (ra < rb ? ra : rb) + p->out_offset;
}

static int32_t max_fn(const kiln_binary_s8_params *p, int32_t a, int32_t b)
{
    int32_t ra = kiln_mbqm(a + p->a_offset, p->a_mult, p->a_shift);
    int32_t rb = kiln_mbqm(b + p->b_offset, p->b_mult, p->b_shift);
    return (ra > rb ? ra : rb) + p->out_offset;
}

void kiln_add_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    broadcast_apply(p, a, b, y, kiln_binary_add);
}

void kiln_sub_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    broadcast_apply(p, a, b, y, kiln_binary_sub);
}

void kiln_mul_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    broadcast_apply(p, a, b, y, kiln_binary_mul);
}

void kiln_min_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    broadcast_apply(p, a, b, y, min_fn);
}

void kiln_max_s8(const kiln_binary_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    broadcast_apply(p, a, b, y, max_fn);
}
