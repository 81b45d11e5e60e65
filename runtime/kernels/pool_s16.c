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

static int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }

typedef struct pool16_idx {
    int32_t xb, xc, xh, xw;
    int32_t yb, yc, yh, yw;
} pool16_idx;

static pool16_idx pool16_strides(const kiln_pool_s8_params *p)
{
    pool16_idx s;
    if (p->layout == KILN_LAYOUT_NHWC) {
        s.xc = 1, s.xw = p->c, s.xh = p->in_w * p->c, s.xb = p->in_h * p->in_w * p->c;
        s.yc = 1, s.yw = p->c, s.yh = p->out_w * p->c, s.yb = p->out_h * p->out_w * p->c;
    } else {
        s.xw = 1, s.xh = p->in_w, s.xc = p->in_h * p->in_w, s.xb = p->c * p->in_h * p->in_w;
        s.yw = 1, s.yh = p->out_w, s.yc = p->out_h * p->out_w, s.yb = p->c * p->out_h * p->out_w;
    }
    return s;
}

/* op 0: average, 1: max. */
static void pool16(const kiln_pool_s8_params *p, const int16_t *x, int16_t *y, int op)
{
    const pool16_idx s = pool16_strides(p);
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                const int32_t y0 = oy * p->stride_h - p->pad_t, x0 = ox * p->stride_w - p->pad_l;
                const int32_t ys = max32(0, y0), ye = min32(p->in_h, y0 + p->k_h);
                const int32_t xs = max32(0, x0), xe = min32(p->in_w, x0 + p->k_w);
                const int32_t count = (ye - ys) * (xe - xs);
                for (int32_t c = 0; c < p->c; c++) {
                    int32_t acc = op ? -32768 : 0;
                    for (int32_t iy = ys; iy < ye; iy++)
                        for (int32_t ix = xs; ix < xe; ix++) {
                            const int32_t v = x[b * s.xb + c * s.xc + iy * s.xh + ix * s.xw];
                            acc = op ? max32(acc, v) : acc + v;
                        }
                    if (!op)
                        acc = count <= 0 ? 0
                              : acc > 0  ? (acc + count / 2) / count
                                         : (acc - count / 2) / count;
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
