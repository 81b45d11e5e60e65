/*
 * quantize_s8.c - the float boundary of the integer kernels: QUANTIZE
 * (float -> int8/uint8/int16/uint16/int32) and DEQUANTIZE (back to float),
 * per tensor or per axis.
 *
 * Float by nature: this file and requant_onnx_s8.c are the only integer-
 * family objects with float instructions.  QUANTIZE divides in float as
 * both TFLite (TfLiteRound(x / scale): half away from zero) and ONNX
 * (rint(x / scale): half to even) do, then saturates.  DEQUANTIZE multiplies
 * once: scale * (q - zp) is the exact product of a float and an integer
 * below 2^17 rounded once to float, which is also what TFLite's double
 * product cast to float gives.  No libm: rounding is done with integer
 * conversion and the float format.
 */
#include "kiln/kernels_s8.h"

/* Both roundings for |v| < 2^30 (values beyond saturate either way).  NaN
 * gives 0, so it quantizes to the zero point: what a Cortex-M's VCVT makes
 * of it (TFLite's static_cast of NaN is undefined in C++; on x86 it lands on
 * the negative rail, on Arm on 0), and never undefined behaviour here. */
static int32_t round_to_int(float v, int32_t even)
{
    if (v != v)
        return 0;
    if (v >= 1073741824.0f)
        return 1073741824;
    if (v <= -1073741824.0f)
        return -1073741824;
    int32_t t = (int32_t)v; /* truncates toward zero */
    float frac = v - (float)t; /* exact: t and v share their high bits */
    if (frac > 0.5f || (frac == 0.5f && (!even || (t & 1))))
        t++;
    else if (frac < -0.5f || (frac == -0.5f && (!even || (t & 1))))
        t--;
    return t;
}

static int32_t sat(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Both roundings for the int32 output, on the magnitude (both are symmetric
 * about 0), as an int64 so that the zero point adds without overflow.
 * Magnitudes of 2^32 and more give 2^32: with any int32 zero point that
 * still saturates on the same side as the exact value; NaN gives 0, the
 * zero point, as in round_to_int.  Below
 * 2^32 the float -> uint32 conversion is defined, and m - t is exact. */
static int64_t round_wide(float v, int32_t even)
{
    if (v != v)
        return 0;
    const int neg = v < 0.0f;
    const float m = neg ? -v : v;
    if (!(m < 4294967296.0f))
        return neg ? -(int64_t)4294967296 : (int64_t)4294967296;
    uint32_t t = (uint32_t)m;
    const float frac = m - (float)t;
    if (frac > 0.5f || (frac == 0.5f && (!even || (t & 1u))))
        t++;   /* a fraction means m < 2^23: no wrap */
    return neg ? -(int64_t)t : (int64_t)t;
}

/* Calls body(i, a) for every element i with its axis index a. */
#define FOR_EACH_AXIS(p, body)                                                  \
    for (int32_t o_ = 0; o_ < (p)->outer; o_++)                                 \
        for (int32_t a = 0; a < (p)->axis_len; a++)                             \
            for (int32_t in_ = 0; in_ < (p)->inner; in_++) {                    \
                const int32_t i = (o_ * (p)->axis_len + a) * (p)->inner + in_;  \
                body;                                                           \
            }

/* |rounded| <= 2^30, so the sum is formed in 64 bits and saturated: a zero
 * point near the int32 rails (only a forged blob holds one) cannot overflow. */
static int32_t quantize_one(const kiln_quantize_params *p, float x, float scale, int32_t zp)
{
    const int64_t v = (int64_t)round_to_int(x / scale, p->round_even) + zp;
    return v > 2147483647 ? 2147483647 : v < -2147483647 - 1 ? -2147483647 - 1 : (int32_t)v;
}

void kiln_quantize_f32_s8(const kiln_quantize_params *p, const float *x, const float *scale,
                          const int32_t *zp, int8_t *y)
{
    FOR_EACH_AXIS(p, y[i] = (int8_t)sat(quantize_one(p, x[i], scale[a], zp[a]), -128, 127))
}

void kiln_quantize_f32_u8(const kiln_quantize_params *p, const float *x, const float *scale,
                          const int32_t *zp, uint8_t *y)
{
    FOR_EACH_AXIS(p, y[i] = (uint8_t)sat(quantize_one(p, x[i], scale[a], zp[a]), 0, 255))
}

void kiln_quantize_f32_s16(const kiln_quantize_params *p, const float *x, const float *scale,
                           const int32_t *zp, int16_t *y)
{
    FOR_EACH_AXIS(p, y[i] = (int16_t)sat(quantize_one(p, x[i], scale[a], zp[a]), -32768, 32767))
}

void kiln_quantize_f32_u16(const kiln_quantize_params *p, const float *x, const float *scale,
                           const int32_t *zp, uint16_t *y)
{
    FOR_EACH_AXIS(p, y[i] = (uint16_t)sat(quantize_one(p, x[i], scale[a], zp[a]), 0, 65535))
}

void kiln_quantize_f32_s32(const kiln_quantize_params *p, const float *x, const float *scale,
                           const int32_t *zp, int32_t *y)
{
    FOR_EACH_AXIS(p, {
        const int64_t q = round_wide(x[i] / scale[a], p->round_even) + zp[a];
        y[i] = q < INT32_MIN ? INT32_MIN : q > INT32_MAX ? INT32_MAX : (int32_t)q;
    })
}

void kiln_dequantize_s8_f32(const kiln_quantize_params *p, const int8_t *x, const float *scale,
                            const int32_t *zp, float *y)
{
    FOR_EACH_AXIS(p, y[i] = scale[a] * (float)(x[i] - zp[a]))
}

void kiln_dequantize_u8_f32(const kiln_quantize_params *p, const uint8_t *x, const float *scale,
                            const int32_t *zp, float *y)
{
    FOR_EACH_AXIS(p, y[i] = scale[a] * (float)(x[i] - zp[a]))
}

void kiln_dequantize_s16_f32(const kiln_quantize_params *p, const int16_t *x, const float *scale,
                             const int32_t *zp, float *y)
{
    FOR_EACH_AXIS(p, y[i] = scale[a] * (float)(x[i] - zp[a]))
}

void kiln_dequantize_u16_f32(const kiln_quantize_params *p, const uint16_t *x,
                             const float *scale, const int32_t *zp, float *y)
{
    FOR_EACH_AXIS(p, y[i] = scale[a] * (float)(x[i] - zp[a]))
}

/* int32 values can exceed 2^24: here the product is rounded from double so
 * it stays a single rounding of the exact value (as ONNX's reference). */
void kiln_dequantize_s32_f32(const kiln_quantize_params *p, const int32_t *x, const float *scale,
                             const int32_t *zp, float *y)
{
    FOR_EACH_AXIS(p, y[i] = (float)((double)scale[a] * ((double)x[i] - (double)zp[a])))
}
