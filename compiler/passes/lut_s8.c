/*
 * lut_s8.c - the per-value integer steps of TFLite-Micro's table-able int8
 * kernels (lut_s8.h), written from TFLite's common.h and gemmlowp's
 * fixedpoint.h definitions with the runtime's primitives.
 *
 * Relies on runtime/kernels/fixedpoint_s8.h (pure static inline integer
 * functions); never allocates.
 */
#include "passes/lut_s8.h"

#include <math.h>

#include "runtime/kernels/fixedpoint_s8.h"

/* gemmlowp FixedPoint product: raw SRDHM, integer bits add up. */
static int32_t fp_mul(int32_t a, int32_t b)
{
    return kiln_srdhm(a, b);
}

void lut_inv_sqrt_multiplier(int32_t input, int32_t *inv_sqrt, int *shift)
{
    if (input <= 1) {           /* TFLite: 0 and 1 both give the largest multiplier */
        *inv_sqrt = KILN_I32_MAX;
        *shift = 0;
        return;
    }
    int sh = 11;
    while (input >= (1 << 29)) {
        input /= 4;
        ++sh;
    }
    const int pairs = (kiln_clz32((uint32_t)input) - 1) / 2 - 1;
    sh -= pairs;
    input = kiln_shl_wrap(input, 2 * pairs);
    /* Newton-Raphson for 1/sqrt in Q3 (F3), five steps from x = 1. */
    const int32_t half_input = kiln_rdbpot(input >> 1, 1);
    const int32_t half_three = (1 << 28) + (1 << 27);
    int32_t x = 1 << 28;
    for (int i = 0; i < 5; i++) {
        const int32_t x3 = kiln_sat_shl(fp_mul(fp_mul(x, x), x), 6);          /* F9 -> F3 */
        x = kiln_sat_shl(fp_mul(half_three, x) - fp_mul(half_input, x3), 3);   /* F6 -> F3 */
    }
    x = fp_mul(x, 1518500250);  /* times sqrt(2)/2 in Q0 */
    if (sh < 0) {
        x = kiln_shl_wrap(x, -sh);
        sh = 0;
    }
    *inv_sqrt = x;
    *shift = -sh;               /* reverse_shift -1: a right shift becomes a left shift */
}

void lut_rsqrt_s8(int32_t in_zp, int32_t mult, int shift, int32_t out_zp, int8_t table[256])
{
    for (int q = -128; q < 128; q++) {
        const int32_t v = q - in_zp;
        int32_t r = 127;
        if (v > 0) {
            int32_t m;
            int s;
            lut_inv_sqrt_multiplier(v, &m, &s);
            const int32_t data = kiln_mbqm(1, m, s + 20);
            r = kiln_clamp32(kiln_mbqm(data, mult, shift - 20) + out_zp, -128, 127);
        }
        table[q + 128] = (int8_t)r;
    }
}

float lut_fn_elu(float v)
{
    return v < 0.0f ? expf(v) - 1.0f : v;
}

float lut_fn_gelu(float v)
{
    return 0.5f * v * erfcf(v * (float)-0.70710678118654752440);
}

float lut_fn_gelu_tanh(float v)
{
    const float sqrt_2_over_pi = (float)(1.12837916709551257390 * 0.70710678118654752440);  /* M_2_SQRTPI * M_SQRT1_2 */
    return 0.5f * v * (1.0f + tanhf(sqrt_2_over_pi * (v + 0.044715f * v * v * v)));
}

void lut_float_s8(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp, float (*fn)(float),
                  int8_t table[256])
{
    const float inverse_scale = 1.0f / out_scale;
    for (int32_t q = -128; q < 128; q++) {
        const float e = fn(in_scale * (float)(q - in_zp));
        int32_t r = -128;
        if (isfinite(e)) {
            /* TFLite converts to int32 and then clamps; clamping the float
             * first gives the same value without an out-of-range conversion. */
            const float v = roundf(e * inverse_scale) + (float)out_zp;
            r = v > 127.0f ? 127 : v < -128.0f ? -128 : (int32_t)v;
        }
        table[q + 128] = (int8_t)r;
    }
}
