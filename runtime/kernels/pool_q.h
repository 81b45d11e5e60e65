/*
 * pool_q.h - what the quantized pool kernels share whatever their element
 * type (pool_s8.c, pool_s16.c, pool_onnx_q8.c): element strides of
 * kiln_pool_s8_params' input and output in either layout, an output
 * position's window, and TFLite's rounded average.
 * Internal to the runtime.
 */
#ifndef KILN_POOL_Q_H
#define KILN_POOL_Q_H

#include <stdint.h>
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

typedef struct kiln_pool_idx {
    int32_t xb, xc, xh, xw; /* input strides: batch, channel, row, column */
    int32_t yb, yc, yh, yw; /* output strides */
} kiln_pool_idx;

static inline kiln_pool_idx kiln_pool_strides(const kiln_pool_s8_params *p)
{
    kiln_pool_idx s;
    if (p->layout == KILN_LAYOUT_NHWC) {
        s.xc = 1, s.xw = p->c, s.xh = p->in_w * p->c, s.xb = p->in_h * p->in_w * p->c;
        s.yc = 1, s.yw = p->c, s.yh = p->out_w * p->c, s.yb = p->out_h * p->out_w * p->c;
    } else {
        s.xw = 1, s.xh = p->in_w, s.xc = p->in_h * p->in_w, s.xb = p->c * p->in_h * p->in_w;
        s.yw = 1, s.yh = p->out_w, s.yc = p->out_h * p->out_w, s.yb = p->c * p->out_h * p->out_w;
    }
    return s;
}

/* The window of output position (oy, ox): rows [ys, ye) and columns
 * [xs, xe) inside the input, and the divisor of its average (the positions
 * inside the input, or with count_include_pad those inside the padded
 * input too). */
typedef struct kiln_pool_win {
    int32_t ys, ye, xs, xe, count;
} kiln_pool_win;

static inline kiln_pool_win kiln_pool_window(const kiln_pool_s8_params *p, int32_t oy, int32_t ox)
{
    const int32_t y0 = oy * p->stride_h - p->pad_t, x0 = ox * p->stride_w - p->pad_l;
    kiln_pool_win w;
    w.ys = kiln_max32(0, y0), w.ye = kiln_min32(p->in_h, y0 + p->k_h);
    w.xs = kiln_max32(0, x0), w.xe = kiln_min32(p->in_w, x0 + p->k_w);
    if (p->count_include_pad) {
        const int32_t hy = kiln_min32(p->in_h + p->pad_b, y0 + p->k_h) - kiln_max32(-p->pad_t, y0);
        const int32_t hx = kiln_min32(p->in_w + p->pad_r, x0 + p->k_w) - kiln_max32(-p->pad_l, x0);
        w.count = hy * hx;
    } else {
        w.count = (w.ye - w.ys) * (w.xe - w.xs);
    }
    return w;
}

/* TFLite's rounding of an average: half away from zero, in integers. */
static inline int32_t kiln_pool_rounded_div(int32_t sum, int32_t count)
{
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

#endif
