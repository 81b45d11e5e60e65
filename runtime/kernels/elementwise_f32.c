/*
 * elementwise_f32.c - float32 binary ops with numpy broadcasting, and the
 * unary activations.
 *
 * Binary ops see Y as rows of its last (collapsed) dim: the row loop reads A
 * and B through their strides for that dim (0 = broadcast) and an odometer
 * over the outer dims keeps the row offsets in step, so there is no division
 * anywhere.  The op is chosen once per row, not per element.  Unary ops are
 * one flat loop and allow x == y.  <math.h> gives expf/tanhf/sqrtf; never allocates.
 */
#include <math.h>

#include "kiln/kernels_f32.h"
#include "f32_util.h"

typedef enum binop { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MIN, OP_MAX } binop;

#define ROW_LOOP(EXPR)                                                                         \
    for (int32_t i = 0; i < n; i++) {                                                          \
        const float u = ap[i * sa], v = bp[i * sb];                                            \
        yp[i] = kiln_clampf((EXPR), lo, hi);                                                   \
    }

static void binary_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y,
                       binop op)
{
    const int32_t r = p->rank;
    const int32_t n = p->shape[r - 1], sa = p->a_stride[r - 1], sb = p->b_stride[r - 1];
    const float lo = p->act_lo, hi = p->act_hi;
    int32_t rows = 1;
    for (int32_t d = 0; d < r - 1; d++)
        rows *= p->shape[d];
    int32_t idx[KILN_MAX_DIMS] = {0};
    int32_t aoff = 0, boff = 0;
    for (int32_t row = 0; row < rows; row++) {
        const float *ap = a + aoff, *bp = b + boff;
        float *yp = y + row * n;
        switch (op) {
        case OP_ADD: ROW_LOOP(u + v) break;
        case OP_SUB: ROW_LOOP(u - v) break;
        case OP_MUL: ROW_LOOP(u * v) break;
        case OP_DIV: ROW_LOOP(u / v) break;
        case OP_MIN: ROW_LOOP(u < v ? u : v) break;
        case OP_MAX: ROW_LOOP(u > v ? u : v) break;
        }
        for (int32_t d = r - 2; d >= 0; d--) {
            aoff += p->a_stride[d];
            boff += p->b_stride[d];
            if (++idx[d] < p->shape[d])
                break;
            aoff -= p->a_stride[d] * p->shape[d];
            boff -= p->b_stride[d] * p->shape[d];
            idx[d] = 0;
        }
    }
}

void kiln_add_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y)
{
    binary_f32(p, a, b, y, OP_ADD);
}

void kiln_sub_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y)
{
    binary_f32(p, a, b, y, OP_SUB);
}

void kiln_mul_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y)
{
    binary_f32(p, a, b, y, OP_MUL);
}

void kiln_div_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y)
{
    binary_f32(p, a, b, y, OP_DIV);
}

void kiln_min_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y)
{
    binary_f32(p, a, b, y, OP_MIN);
}

void kiln_max_f32(const kiln_binary_f32_params *p, const float *a, const float *b, float *y)
{
    binary_f32(p, a, b, y, OP_MAX);
}

void kiln_clip_f32(const kiln_unary_f32_params *p, const float *x, float *y)
{
    for (int32_t i = 0; i < p->size; i++)
        y[i] = kiln_clampf(x[i], p->lo, p->hi);
}

void kiln_leaky_relu_f32(const kiln_unary_f32_params *p, const float *x, float *y)
{
    const float alpha = p->alpha;
    for (int32_t i = 0; i < p->size; i++)
        y[i] = x[i] >= 0.0f ? x[i] : alpha * x[i];
}

/* 1/(1+exp(-x)) overflows gracefully: exp(-x) = inf for very negative x
 * gives exactly 0, and for very positive x exp underflows to 0 giving 1. */
void kiln_sigmoid_f32(const kiln_unary_f32_params *p, const float *x, float *y)
{
    for (int32_t i = 0; i < p->size; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void kiln_tanh_f32(const kiln_unary_f32_params *p, const float *x, float *y)
{
    for (int32_t i = 0; i < p->size; i++)
        y[i] = tanhf(x[i]);
}

void kiln_hard_sigmoid_f32(const kiln_unary_f32_params *p, const float *x, float *y)
{
    const float alpha = p->alpha, beta = p->beta;
    for (int32_t i = 0; i < p->size; i++)
        y[i] = kiln_clampf(alpha * x[i] + beta, 0.0f, 1.0f);
}

void kiln_hard_swish_f32(const kiln_unary_f32_params *p, const float *x, float *y)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float v = x[i];
        y[i] = v * kiln_clampf(v * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);
    }
}

/* IEEE 754 requires sqrt to be correctly rounded, so sqrtf gives the same
 * float as numpy's float32 sqrt (one VSQRT.F32 on the Cortex-M7). */
void kiln_sqrt_f32(const kiln_unary_f32_params *p, const float *x, float *y)
{
    for (int32_t i = 0; i < p->size; i++)
        y[i] = sqrtf(x[i]);
}
