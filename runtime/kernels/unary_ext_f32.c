/*
 * unary_ext_f32.c - float32 math functions of the extended operator set
 * (Abs ... Square: kernels_ext.h lists them) and logical not.
 *
 * One flat loop per function: the switch picks the loop once, never per
 * element.  Computes in float with C99 <math.h>; x == y allowed.  Never
 * allocates.
 */
#include <math.h>

#include "kiln/kernels_ext.h"

#define LOOP(EXPR)                         \
    for (int32_t i = 0; i < n; i++) {      \
        const float v = x[i];              \
        y[i] = (EXPR);                     \
    }                                      \
    break;

static float softplusf(float v)
{
    /* log(1 + e^v) without overflowing e^v: for v > 20 it equals v in float. */
    return v > 20.0f ? v : log1pf(expf(v));
}

static float signf(float v)
{
    return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v;   /* 0, -0 and NaN stay */
}

static float gelu_tanhf(float v)
{
    const float k = 0.7978845608028654f;   /* sqrt(2/pi) */
    return 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
}

void kiln_unary_ext_f32(const kiln_unary_ext_params *p, const float *x, float *y)
{
    const int32_t n = p->size;
    const float a = p->alpha, b = p->beta;
    switch (p->fn) {
    case KILN_UN_ABS: LOOP(fabsf(v))
    case KILN_UN_NEG: LOOP(-v)
    case KILN_UN_EXP: LOOP(expf(v))
    case KILN_UN_LOG: LOOP(logf(v))
    case KILN_UN_RECIPROCAL: LOOP(1.0f / v)
    case KILN_UN_SIGN: LOOP(signf(v))
    case KILN_UN_CEIL: LOOP(ceilf(v))
    case KILN_UN_FLOOR: LOOP(floorf(v))
    case KILN_UN_ROUND: LOOP(rintf(v))       /* default rounding mode: half to even */
    case KILN_UN_ERF: LOOP(erff(v))
    case KILN_UN_SIN: LOOP(sinf(v))
    case KILN_UN_COS: LOOP(cosf(v))
    case KILN_UN_SOFTPLUS: LOOP(softplusf(v))
    case KILN_UN_SOFTSIGN: LOOP(v / (1.0f + fabsf(v)))
    case KILN_UN_ELU: LOOP(v < 0.0f ? a * (expf(v) - 1.0f) : v)
    case KILN_UN_CELU: LOOP((v > 0.0f ? v : 0.0f) + fminf(0.0f, a * (expf(v / a) - 1.0f)))
    case KILN_UN_SELU: LOOP(b * (v <= 0.0f ? a * (expf(v) - 1.0f) : v))
    case KILN_UN_MISH: LOOP(v * tanhf(softplusf(v)))
    case KILN_UN_GELU: LOOP(0.5f * v * (1.0f + erff(v * 0.70710678118654752f)))
    case KILN_UN_GELU_TANH: LOOP(gelu_tanhf(v))
    case KILN_UN_THRESHOLDED_RELU: LOOP(v > a ? v : 0.0f)
    case KILN_UN_RSQRT: LOOP(1.0f / sqrtf(v))
    case KILN_UN_SQUARE: LOOP(v * v)
    default: break;
    }
}

void kiln_not_bool(const kiln_unary_ext_params *p, const uint8_t *x, uint8_t *y)
{
    for (int32_t i = 0; i < p->size; i++)
        y[i] = (uint8_t)(x[i] == 0);
}
