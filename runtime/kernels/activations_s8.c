/*
 * activations_s8.c - int8 unary kernels with TFLM's reference integer
 * semantics: requantize / clamp (QUANTIZE int->int, RELU family),
 * LOGISTIC and TANH (gemmlowp fixed point on a Q4.27 input), HARD_SWISH
 * (TFLite's 16-bit "reluish" pipeline) and LEAKY_RELU.
 *
 * Relies on fixedpoint_s8.h.  Integer arithmetic only; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

static int32_t load_q(const void *x, int32_t type, int32_t i)
{
    switch (type) {
    case KILN_QT_U8: return ((const uint8_t *)x)[i];
    case KILN_QT_S16: return ((const int16_t *)x)[i];
    case KILN_QT_U16: return ((const uint16_t *)x)[i];
    case KILN_QT_S32: return ((const int32_t *)x)[i];
    default: return ((const int8_t *)x)[i];
    }
}

static void store_q(void *y, int32_t type, int32_t i, int32_t v)
{
    switch (type) {
    case KILN_QT_U8: ((uint8_t *)y)[i] = (uint8_t)v; break;
    case KILN_QT_S16: ((int16_t *)y)[i] = (int16_t)v; break;
    case KILN_QT_U16: ((uint16_t *)y)[i] = (uint16_t)v; break;
    case KILN_QT_S32: ((int32_t *)y)[i] = v; break;
    default: ((int8_t *)y)[i] = (int8_t)v; break;
    }
}

/* With int32 operands (TFLite QUANTIZE int8/int16 <-> int32) the zero-point
 * subtraction and addition can leave int32; TFLM's int32 arithmetic then
 * wraps, so these do the same in unsigned arithmetic (defined in C). */
void kiln_requantize_q(const kiln_requantize_params *p, const void *x, void *y)
{
    for (int32_t i = 0; i < p->n; i++) {
        int32_t in = (int32_t)((uint32_t)load_q(x, p->in_type, i) - (uint32_t)p->in_zp);
        int32_t v = (int32_t)((uint32_t)kiln_mbqm(in, p->mult, p->shift) + (uint32_t)p->out_zp);
        store_q(y, p->out_type, i, kiln_clamp32(v, p->act_min, p->act_max));
    }
}

void kiln_requantize_s8(const kiln_requantize_params *p, const int8_t *x, int8_t *y)
{
    for (int32_t i = 0; i < p->n; i++) {
        int32_t v = kiln_mbqm(x[i] - p->in_zp, p->mult, p->shift) + p->out_zp;
        y[i] = (int8_t)kiln_clamp32(v, p->act_min, p->act_max);
    }
}

void kiln_clip_s8(const kiln_requantize_params *p, const int8_t *x, int8_t *y)
{
    kiln_requantize_s8(p, x, y);
}

/* TFLM reference_integer_ops::Logistic: inputs beyond the radius saturate;
 * others are rescaled to Q4.27, go through gemmlowp's logistic (Q0.31), and
 * are rounded down to 8 bits with zero point -128 (scale 1/256). */
void kiln_logistic_s8(const kiln_sigmoid_s8_params *p, const int8_t *x, int8_t *y)
{
    for (int32_t i = 0; i < p->n; i++) {
        const int32_t in = x[i] - p->in_zp;
        if (in <= -p->range_radius) {
            y[i] = -128;
        } else if (in >= p->range_radius) {
            y[i] = 127;
        } else {
            const int32_t q4 = kiln_mbqm(in, p->in_mult, p->in_shift);
            const int32_t q0 = kiln_logistic_fp(q4, 4);
            y[i] = (int8_t)kiln_clamp32(kiln_rdbpot(q0, 23) - 128, -128, 127);
        }
    }
}

/* TFLM reference_integer_ops::Tanh: as logistic, output scale 1/128, zero point 0. */
void kiln_tanh_s8(const kiln_sigmoid_s8_params *p, const int8_t *x, int8_t *y)
{
    for (int32_t i = 0; i < p->n; i++) {
        const int32_t in = x[i] - p->in_zp;
        if (in <= -p->range_radius) {
            y[i] = -128;
        } else if (in >= p->range_radius) {
            y[i] = 127;
        } else {
            const int32_t q4 = kiln_mbqm(in, p->in_mult, p->in_shift);
            const int32_t q0 = kiln_tanh_fp(q4, 4);
            y[i] = (int8_t)kiln_clamp32(kiln_rdbpot(q0, 24), -128, 127);
        }
    }
}

/* ---- HARD_SWISH: 16-bit fixed point, as TFLite's reference ------------- */

static int16_t srdhm16(int16_t a, int16_t b)
{
    if (a == b && a == -32768)
        return 32767;
    int32_t ab = (int32_t)a * (int32_t)b;
    int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* Like srdhm16 but truncating toward zero (ARM SQDMULH): TFLite uses it for
 * the last product to cancel the rounding bias of the earlier ones. */
static int16_t sdhm16(int16_t a, int16_t b)
{
    if (a == b && a == -32768)
        return 32767;
    int32_t ab = (int32_t)a * (int32_t)b;
    return (int16_t)(ab / (1 << 15));
}

static int16_t sat_shl16(int16_t v, int amount)
{
    int32_t r = (int32_t)v * ((int32_t)1 << amount);
    return (int16_t)kiln_clamp32(r, -32768, 32767);
}

static int16_t rdbpot16(int16_t x, int e)
{
    int16_t mask = (int16_t)((1 << e) - 1);
    int16_t rem = (int16_t)(x & mask);
    int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> e) + (rem > threshold ? 1 : 0));
}

void kiln_hard_swish_s8(const kiln_hard_swish_s8_params *p, const int8_t *x, int8_t *y)
{
    const int16_t out_mult = (int16_t)p->out_mult16, relu_mult = (int16_t)p->relu_mult16;
    for (int32_t i = 0; i < p->n; i++) {
        const int16_t in = (int16_t)(x[i] - p->in_zp);
        /* |in| <= 255, so in * 128 fits int16: the "hires" input scale. */
        const int16_t hires = (int16_t)(in * 128);
        const int16_t preshift_out = srdhm16(hires, out_mult);
        /* The reluish value: x rescaled so that 3.0 maps to 32768, saturating. */
        int16_t reluish = hires;
        if (p->relu_exp > 0)
            reluish = sat_shl16(reluish, p->relu_exp - 1);
        reluish = srdhm16(reluish, relu_mult);
        if (p->relu_exp > 0)
            reluish = sat_shl16(reluish, 1);
        if (p->relu_exp < 0)
            reluish = rdbpot16(reluish, -p->relu_exp);
        /* [-1, 1] -> [0, 1] */
        reluish = (int16_t)(((int32_t)reluish + (1 << 15)) >> 1);
        const int16_t preshift = sdhm16(reluish, preshift_out);
        int16_t out = rdbpot16(preshift, -p->out_exp);
        out = (int16_t)(out + p->out_zp);
        y[i] = (int8_t)kiln_clamp32(out, -128, 127);
    }
}

/* TFLM reference QuantizeLeakyRelu: identity or alpha multiplier by sign. */
void kiln_leaky_relu_s8(const kiln_leaky_relu_s8_params *p, const int8_t *x, int8_t *y)
{
    for (int32_t i = 0; i < p->n; i++) {
        const int32_t in = x[i] - p->in_zp;
        int32_t v = in >= 0 ? kiln_mbqm(in, p->id_mult, p->id_shift)
                            : kiln_mbqm(in, p->alpha_mult, p->alpha_shift);
        y[i] = (int8_t)kiln_clamp32(p->out_zp + v, -128, 127);
    }
}
