/*
 * quant_util.c - TFLite's prepare-time quantization arithmetic, at compile
 * time.  See quant_util.h; every function names the TFLite routine it
 * reproduces.  Host code: doubles and libm are fine here.
 */
#include "passes/quant_util.h"

#include <math.h>
#include <string.h>

void qu_quantize_multiplier(double m, int32_t *q, int *shift)
{
    if (m == 0.0) {
        *q = 0;
        *shift = 0;
        return;
    }
    int e;
    const double frac = frexp(m, &e);
    /* TfLiteRound on a double is std::round: half away from zero. */
    int64_t q_fixed = (int64_t)round(frac * (double)(1LL << 31));
    if (q_fixed == (1LL << 31)) {
        q_fixed /= 2;
        e++;
    }
    if (e < -31) {
        e = 0;
        q_fixed = 0;
    }
    *q = (int32_t)q_fixed;
    *shift = e;
}

qu_fit qu_multiplier_fits(double m, int max_shift, int32_t *q, int *shift)
{
    *q = 0;
    *shift = 0;
    if (!isfinite(m))
        return QU_NOT_FINITE;
    int32_t qm;
    int sh;
    qu_quantize_multiplier(m, &qm, &sh);
    if (sh > max_shift) {
        *shift = sh;
        return QU_TOO_LARGE;
    }
    *q = qm;
    *shift = sh;
    return QU_FITS;
}

bool qu_frexp_multiplier(double m, int32_t *q, int *shift)
{
    int e;
    const double frac = frexp(m, &e);
    const int64_t q_fixed = (int64_t)round(frac * (double)(1LL << 31));
    *shift = e;
    if (q_fixed > INT32_MAX)
        return false;
    *q = (int32_t)q_fixed;
    return true;
}

int32_t qu_input_radius(int input_integer_bits, int input_left_shift, int total_signed_bits)
{
    const double max_input_rescaled = 1.0 * ((1 << input_integer_bits) - 1) *
                                      (double)(1LL << (total_signed_bits - input_integer_bits)) /
                                      (double)(1LL << input_left_shift);
    return (int32_t)floor(max_input_rescaled);
}

void qu_softmax_scaling(double beta, double input_scale, int input_integer_bits, int32_t *q,
                        int *left_shift)
{
    const double max_real_multiplier = (double)((1LL << 31) - 1);
    double m = beta * input_scale * (double)(1 << (31 - input_integer_bits));
    if (m > max_real_multiplier)
        m = max_real_multiplier;
    qu_quantize_multiplier(m, q, left_shift);
}

int16_t qu_downscale_multiplier_i16(int32_t m)
{
    const int32_t rounding = 1 << 15;
    if (m >= INT32_MAX - rounding)
        return INT16_MAX;
    return (int16_t)((m + rounding) >> 16);
}

int64_t qu_quantize_value(float scale, int32_t zp, float f)
{
    const float t = roundf(f / scale);
    const float lim = 4611686018427387904.0f; /* 2^62: any int32 zero point still fits */
    if (isnan(t))
        return zp;
    if (t >= lim || t <= -lim)
        return (int64_t)zp + (t > 0 ? (int64_t)1 << 62 : -((int64_t)1 << 62));
    return (int64_t)zp + (int64_t)t;
}

void qu_activation_range(const ir_act *act, float scale, int32_t zp, int32_t qmin, int32_t qmax,
                         int32_t *act_min, int32_t *act_max)
{
    *act_min = qmin;
    *act_max = qmax;
    if (!act || !act->on)
        return;
    if (isfinite(act->lo)) {
        int64_t v = qu_quantize_value(scale, zp, act->lo);
        if (v > *act_min)
            *act_min = v > qmax ? qmax : (int32_t)v;
    }
    if (isfinite(act->hi)) {
        int64_t v = qu_quantize_value(scale, zp, act->hi);
        if (v < *act_max)
            *act_max = v < qmin ? qmin : (int32_t)v;
    }
}

void qu_mean_multiplier(int32_t mult, int shift, int64_t count, int32_t *out_mult, int *out_shift)
{
    /* shift = floor(log2(count)), capped at 32 and at 31 + shift. */
    int s = 0;
    while (s < 62 && ((int64_t)1 << (s + 1)) <= count)
        s++;
    if (s > 32)
        s = 32;
    if (s > 31 + shift)
        s = 31 + shift;
    *out_mult = (int32_t)(((int64_t)mult * ((int64_t)1 << s)) / count);
    *out_shift = shift - s;
}

int32_t qu_float_bits(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i;
}
