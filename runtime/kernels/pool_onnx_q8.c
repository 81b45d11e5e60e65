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

static int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }

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

typedef struct strides {
    int32_t xb, xc, xh, xw, yb, yc, yh, yw;
} strides;

static strides strides_of(const kiln_pool_s8_params *p)
{
    strides s;
    if (p->layout == KILN_LAYOUT_NHWC) {
        s.xc = 1, s.xw = p->c, s.xh = p->in_w * p->c, s.xb = p->in_h * p->in_w * p->c;
        s.yc = 1, s.yw = p->c, s.yh = p->out_w * p->c, s.yb = p->out_h * p->out_w * p->c;
    } else {
        s.xw = 1, s.xh = p->in_w, s.xc = p->in_h * p->in_w, s.xb = p->c * p->in_h * p->in_w;
        s.yw = 1, s.yh = p->out_w, s.yc = p->out_h * p->out_w, s.yb = p->c * p->out_h * p->out_w;
    }
    return s;
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
    const strides s = strides_of(p);
    const int32_t lowest = q->is_u8 ? 0 : -128;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t y0 = oy * p->stride_h - p->pad_t, x0 = ox * p->stride_w - p->pad_l;
                const int32_t ys = max32(0, y0), ye = min32(p->in_h, y0 + p->k_h);
                const int32_t xs = max32(0, x0), xe = min32(p->in_w, x0 + p->k_w);
                for (int32_t c = 0; c < p->c; c++) {
                    int32_t m = lowest;
                    for (int32_t iy = ys; iy < ye; iy++)
                        for (int32_t ix = xs; ix < xe; ix++)
                            m = max32(m, ld(x, b * s.xb + c * s.xc + iy * s.xh + ix * s.xw, q->is_u8));
                    st(y, b * s.yb + c * s.yc + oy * s.yh + ox * s.yw, kiln_clamp32(m, p->act_min, p->act_max),
                       q->is_u8);
                }
            }
}

static void avg_global(const kiln_pool_q8_params *q, const void *x, void *y)
{
    const kiln_pool_s8_params *p = &q->pool;
    const strides s = strides_of(p);
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
    const strides s = strides_of(p);
    const float zp_out = (float)q->out_zp;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t y0 = oy * p->stride_h - p->pad_t, x0 = ox * p->stride_w - p->pad_l;
                const int32_t ys = max32(0, y0), ye = min32(p->in_h, y0 + p->k_h);
                const int32_t xs = max32(0, x0), xe = min32(p->in_w, x0 + p->k_w);
                int32_t count;
                if (p->count_include_pad) {
                    const int32_t hy = min32(p->in_h + p->pad_b, y0 + p->k_h) - max32(-p->pad_t, y0);
                    const int32_t hx = min32(p->in_w + p->pad_r, x0 + p->k_w) - max32(-p->pad_l, x0);
                    count = hy * hx;
                } else {
                    count = (ye - ys) * (xe - xs);
                }
                for (int32_t c = 0; c < p->c; c++) {
                    float sum = 0.0f;
                    for (int32_t iy = ys; iy < ye; iy++)
                        for (int32_t ix = xs; ix < xe; ix++) {
                            const int32_t v = ld(x, b * s.xb + c * s.xc + iy * s.xh + ix * s.xw, q->is_u8);
                            sum += mul_rounded(q->in_scale, (float)(v - q->in_zp));
                        }
                    int32_t v = q->out_zp;
                    if (count > 0) {
                        const float avg = sum / (float)count;
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
