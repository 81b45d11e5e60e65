/*
 * pool_s8.c - int8 AVERAGE_POOL and MAX_POOL as TFLM's reference integer
 * pooling computes them: over the window positions inside the input, on raw
 * values (input and output share their quantization), average rounded half
 * away from zero, then the fused activation clamp.  NHWC averages with a
 * channel count divisible by 4 sum 4 channels per pass (two SXTAB16 per
 * word on a DSP core), the same integers.
 *
 * Integer arithmetic only; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"
#include "kiln_dsp.h"
#include "pool_q.h"



/* The average of one window over 4 NHWC channels at once: sums kept as
 * int16 pairs (SXTAB16 adds the even and the odd bytes of a word), exact
 * while the window has at most 255 positions (|sum| <= 255 * 128). */
static void avg4_nhwc(const kiln_pool_s8_params *p, const kiln_pool_win *w, const int8_t *xc,
                      int8_t *yc)
{
#if KILN_HAS_DSP
    int32_t even = 0, odd = 0; /* [c0 c2], [c1 c3] */
    const int32_t cols = w->xe - w->xs;
    for (int32_t iy = w->ys; iy < w->ye && cols > 0; iy++) {
        const int8_t *q = xc + (iy * p->in_w + w->xs) * p->c;
        int32_t n = cols;
        uint32_t v;
        __asm__("1: ldr %[v], [%[q]]\n\t"
                "add %[q], %[q], %[c]\n\t"
                "sxtab16 %[e], %[e], %[v]\n\t"
                "sxtab16 %[o], %[o], %[v], ror #8\n\t"
                "subs %[n], %[n], #1\n\t"
                "bne 1b"
                : [v] "=&r"(v), [q] "+r"(q), [e] "+r"(even), [o] "+r"(odd), [n] "+r"(n)
                : [c] "r"(p->c), "m"(*(const int8_t(*)[1])xc)
                : "cc", "memory");
    }
    const int32_t sum[4] = {(int16_t)even, (int16_t)odd, even >> 16, odd >> 16};
#else
    int32_t sum[4] = {0, 0, 0, 0};
    for (int32_t iy = w->ys; iy < w->ye; iy++) {
        const int8_t *q = xc + (iy * p->in_w + w->xs) * p->c;
        for (int32_t ix = w->xs; ix < w->xe; ix++, q += p->c)
            for (int32_t i = 0; i < 4; i++)
                sum[i] += q[i];
    }
#endif
    for (int32_t i = 0; i < 4; i++)
        yc[i] = (int8_t)kiln_clamp32(w->count > 0 ? kiln_pool_rounded_div(sum[i], w->count) : 0,
                                     p->act_min, p->act_max);
}

/* NHWC with a channel count that is a multiple of 4 and windows of at most
 * 255 positions: 4 channels per pass over a window. */
static int avg4_ok(const kiln_pool_s8_params *p)
{
    return p->layout == KILN_LAYOUT_NHWC && p->c % 4 == 0 && p->k_h * p->k_w <= 255 &&
           !p->count_include_pad;
}

void kiln_avgpool_s8(const kiln_pool_s8_params *p, const int8_t *x, int8_t *y)
{
    const kiln_pool_idx s = kiln_pool_strides(p);
    if (avg4_ok(p)) {
        for (int32_t b = 0; b < p->batch; b++)
            for (int32_t oy = 0; oy < p->out_h; oy++)
                for (int32_t ox = 0; ox < p->out_w; ox++) {
                    const kiln_pool_win w = kiln_pool_window(p, oy, ox);
                    int8_t *yo = y + b * s.yb + oy * s.yh + ox * s.yw;
                    for (int32_t c = 0; c < p->c; c += 4)
                        avg4_nhwc(p, &w, x + b * s.xb + c, yo + c);
                }
        return;
    }
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
