/*
 * pool_s16.c - int16 AVERAGE_POOL_2D and MAX_POOL_2D as TFLM's reference
 * integer pooling computes them for int16 (the int8 rules of pool_s8.c:
 * window positions inside the input only, average rounded half away from
 * zero, then the fused activation clamp).  The int32 sum cannot overflow
 * for windows under 2^16 positions, which the compiler checks.
 *
 * Integer arithmetic only; never allocates.
 */
#include "kiln/kernels_s16.h"
#include "fixedpoint_s8.h"
#include "pool_q.h"

/* op 0: average, 1: max. */
static void pool16(const kiln_pool_s8_params *p, const int16_t *x, int16_t *y, int op)
{
    const kiln_pool_idx s = kiln_pool_strides(p);
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const kiln_pool_win w = kiln_pool_window(p, oy, ox);
                for (int32_t c = 0; c < p->c; c++) {
                    int32_t acc = op ? -32768 : 0;
                    for (int32_t iy = w.ys; iy < w.ye; iy++)
                        for (int32_t ix = w.xs; ix < w.xe; ix++) {
                            const int32_t v = x[b * s.xb + c * s.xc + iy * s.xh + ix * s.xw];
                            acc = op ? kiln_max32(acc, v) : acc + v;
                        }
                    if (!op)
                        acc = w.count <= 0 ? 0 : kiln_pool_rounded_div(acc, w.count);
                    y[b * s.yb + c * s.yc + oy * s.yh + ox * s.yw] =
                        (int16_t)kiln_clamp32(acc, p->act_min, p->act_max);
                }
            }
}

void kiln_avgpool_s16(const kiln_pool_s8_params *p, const int16_t *x, int16_t *y)
{
    pool16(p, x, y, 0);
}

void kiln_maxpool_s16(const kiln_pool_s8_params *p, const int16_t *x, int16_t *y)
{
    pool16(p, x, y, 1);
}
