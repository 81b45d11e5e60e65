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
#include "pool_q.h"

void kiln_avgpool_s8(const kiln_pool_s8_params *p, const int8_t *x, int8_t *y)
{
    const kiln_pool_idx s = kiln_pool_strides(p);
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const kiln_pool_win w = kiln_pool_window(p, oy, ox);
                for (int32_t c = 0; c < p->c; c++) {
                    int32_t sum = 0;
                    for (int32_t iy = w.ys; iy < w.ye; iy++)
                        for (int32_t ix = w.xs; ix < w.xe; ix++)
                            sum += x[b * s.xb + c * s.xc + iy * s.xh + ix * s.xw];
                    int32_t v = w.count > 0 ? kiln_pool_rounded_div(sum, w.count) : 0;
                    y[b * s.yb + c * s.yc + oy * s.yh + ox * s.yw] =
                        (int8_t)kiln_clamp32(v, p->act_min, p->act_max);
                }
            }
}

void kiln_maxpool_s8(const kiln_pool_s8_params *p, const int8_t *x, int8_t *y)
{
    const kiln_pool_idx s = kiln_pool_strides(p);
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const kiln_pool_win w = kiln_pool_window(p, oy, ox);
                for (int32_t c = 0; c < p->c; c++) {
                    int32_t m = -128;
                    for (int32_t iy = w.ys; iy < w.ye; iy++)
                        for (int32_t ix = w.xs; ix < w.xe; ix++)
                            m = kiln_max32(m, x[b * s.xb + c * s.xc + iy * s.xh + ix * s.xw]);
                    y[b * s.yb + c * s.yc + oy * s.yh + ox * s.yw] =
                        (int8_t)kiln_clamp32(m, p->act_min, p->act_max);
                }
            }
}
