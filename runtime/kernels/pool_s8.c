/*
 * pool_s8.c - int8 AVERAGE_POOL and MAX_POOL as TFLM's reference integer
 * pooling computes them: over the window positions inside the input, on raw
 * values (input and output share their quantization), average rounded half
 * away from zero, then the fused activation clamp.
 *
 * Integer arithmetic only; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

static int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }

typedef struct pool_idx {
    int32_t xb, xc, xh, xw; /* strides */
    int32_t yb, yc, yh, yw;
} pool_idx;

static pool_idx pool_strides(const kiln_pool_s8_params *p)
{
    pool_idx s;
    if (p->layout == KILN_LAYOUT_NHWC) {
        s.xc = 1, s.xw = p->c, s.xh = p->in_w * p->c, s.xb = p->in_h * p->in_w * p->c;
        s.yc = 1, s.yw = p->c, s.yh = p->out_w * p->c, s.yb = p->out_h * p->out_w * p->c;
    } else {
        s.xw = 1, s.xh = p->in_w, s.xc = p->in_h * p->in_w, s.xb = p->c * p->in_h * p->in_w;
        s.yw = 1, s.yh = p->out_w, s.yc = p->out_h * p->out_w, s.yb = p->c * p->out_h * p->out_w;
    }
    return s;
}

/* TFLite's rounding of an average: half away from zero, in integers. */
static int32_t rounded_div(int32_t sum, int32_t count)
{
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

void kiln_avgpool_s8(const kiln_pool_s8_params *p, const int8_t *x, int8_t *y)
{
    const pool_idx s = pool_strides(p);
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
                    int32_t sum = 0;
                    for (int32_t iy = ys; iy < ye; iy++)
                        for (int32_t ix = xs; ix < xe; ix++)
                            sum += x[b * s.xb + c * s.xc + iy * s.xh + ix * s.xw];
                    int32_t v = count > 0 ? rounded_div(sum, count) : 0;
                    y[b * s.yb + c * s.yc + oy * s.yh + ox * s.yw] =
                        (int8_t)kiln_clamp32(v, p->act_min, p->act_max);
                }
            }
}

void kiln_maxpool_s8(const kiln_pool_s8_params *p, const int8_t *x, int8_t *y)
{
    const pool_idx s = pool_strides(p);
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t y0 = oy * p->stride_h - p->pad_t, x0 = ox * p->stride_w - p->pad_l;
                const int32_t ys = max32(0, y0), ye = min32(p->in_h, y0 + p->k_h);
                const int32_t xs = max32(0, x0), xe = min32(p->in_w, x0 + p->k_w);
                for (int32_t c = 0; c < p->c; c++) {
                    int32_t m = -128;
                    for (int32_t iy = ys; iy < ye; iy++)
                        for (int32_t ix = xs; ix < xe; ix++)
                            m = max32(m, x[b * s.xb + c * s.xc + iy * s.xh + ix * s.xw]);
                    y[b * s.yb + c * s.yc + oy * s.yh + ox * s.yw] =
                        (int8_t)kiln_clamp32(m, p->act_min, p->act_max);
                }
            }
}
