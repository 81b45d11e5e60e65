/*
 * pool_onnx_q8.c - ONNX-flavour pooling on int8 or uint8 tensors, as
 * onnxruntime computes the kernels its QDQ fusion picks: MaxPool on the
 * integers (the DequantizeLinear/QuantizeLinear around it are dropped),
 * QLinearGlobalAveragePool (integer sum, one float multiply) and
 * QLinearAveragePool (float arithmetic throughout).
 *
 * The average pools use float on purpose and in onnxruntime's order of
 * operations, because that order decides the rounding of ties: a float
 * product is always rounded before it is added (volatile keeps a compiler
 * from fusing the two), divisions stay divisions, and rounding is half to
 * even with the 1.5*2^23 trick (no libm).  Never allocates.
 */
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"
#include "pool_q.h"


static int32_t ld(const void *base, int32_t i, int32_t is_u8)
{
    return is_u8 ? (int32_t)((const uint8_t *)base)[i] : (int32_t)((const int8_t *)base)[i];
}

static void st(void *base, int32_t i, int32_t v, int32_t is_u8)
{
    if (is_u8)
        ((uint8_t *)base)[i] = (uint8_t)v;
    else
        ((int8_t *)base)[i] = (int8_t)v;
}

/* Round half to even of v, saturated to +-2^20 first (outputs are 8-bit, so
 * anything beyond saturates the same way). */
static int32_t round_even_sat(float v)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    if (v > 1048576.0f)
        v = 1048576.0f;
    if (v < -1048576.0f)
        v = -1048576.0f;
    volatile float t = v + magic;
    return (int32_t)(t - magic);
}

static float mul_rounded(float a, float b)
{
    volatile float p = a * b;
    return p;
}

void kiln_maxpool_q8(const kiln_pool_q8_params *q, const void *x, void *y)
{
    const kiln_pool_s8_params *p = &q->pool;
    const kiln_pool_idx s = kiln_pool_strides(p);
    const int32_t lowest = q->is_u8 ? 0 : -128;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const kiln_pool_win w = kiln_pool_window(p, oy, ox);
                for (int32_t c = 0; c < p->c; c++) {
                    int32_t m = lowest;
                    for (int32_t iy = w.ys; iy < w.ye; iy++)
                        for (int32_t ix = w.xs; ix < w.xe; ix++)
                            m = kiln_max32(m, ld(x, b * s.xb + c * s.xc + iy * s.xh + ix * s.xw, q->is_u8));
                    st(y, b * s.yb + c * s.yc + oy * s.yh + ox * s.yw, kiln_clamp32(m, p->act_min, p->act_max),
                       q->is_u8);
                }
            }
}

static void avg_global(const kiln_pool_q8_params *q, const void *x, void *y)
{
    const kiln_pool_s8_params *p = &q->pool;
    const kiln_pool_idx s = kiln_pool_strides(p);
    const int32_t count = p->in_h * p->in_w;
    union {
        float f;
        int32_t i;
    } u;
    u.f = q->scale;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t c = 0; c < p->c; c++) {
            int32_t acc = -q->in_zp * count;
            for (int32_t iy = 0; iy < p->in_h; iy++)
                for (int32_t ix = 0; ix < p->in_w; ix++)
                    acc += ld(x, b * s.xb + c * s.xc + iy * s.xh + ix * s.xw, q->is_u8);
            const int32_t v = kiln_requant_onnx(acc, u.i) + q->out_zp;
            st(y, b * s.yb + c * s.yc, kiln_clamp32(v, p->act_min, p->act_max), q->is_u8);
        }
}

static void avg_window(const kiln_pool_q8_params *q, const void *x, void *y)
{
    const kiln_pool_s8_params *p = &q->pool;
    const kiln_pool_idx s = kiln_pool_strides(p);
    const float zp_out = (float)q->out_zp;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const kiln_pool_win w = kiln_pool_window(p, oy, ox);
                for (int32_t c = 0; c < p->c; c++) {
                    float sum = 0.0f;
                    for (int32_t iy = w.ys; iy < w.ye; iy++)
                        for (int32_t ix = w.xs; ix < w.xe; ix++) {
                            const int32_t v = ld(x, b * s.xb + c * s.xc + iy * s.xh + ix * s.xw, q->is_u8);
                            sum += mul_rounded(q->in_scale, (float)(v - q->in_zp));
                        }
                    int32_t v = q->out_zp;
                    if (w.count > 0) {
                        const float avg = sum / (float)w.count;
                        v = round_even_sat(avg / q->out_scale + zp_out);
                    }
                    st(y, b * s.yb + c * s.yc + oy * s.yh + ox * s.yw, kiln_clamp32(v, p->act_min, p->act_max),
                       q->is_u8);
                }
            }
}

void kiln_avgpool_onnx_q8(const kiln_pool_q8_params *q, const void *x, void *y)
{
    if (q->global)
        avg_global(q, x, y);
    else
        avg_window(q, x, y);
}
