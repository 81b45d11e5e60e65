/*
 * conv_s16.c - 16x8 CONV_2D and DEPTHWISE_CONV_2D (int16 activations, int8
 * weights), what TFLM's reference ConvPerChannel / DepthwiseConvPerChannel
 * compute for int16 input.
 *
 * Zero points are 0 by the 16x8 scheme, so padded positions are skipped
 * (conv_window.h walks the taps inside the input) and no offsets are
 * added.  The accumulator is summed with wrap-around so
 * that even a pathological model is never undefined behaviour (TFLM's
 * int32 accumulator would overflow there too).  Integer arithmetic only;
 * never allocates.
 */
#include "kiln/kernels_s16.h"
#include "conv_window.h"
#include "requant_s16.h"

static int16_t store16(const kiln_requant *rq, int32_t v)
{
    return (int16_t)kiln_clamp32(v, rq->act_min, rq->act_max);
}

/* The products x * w of one output: over the window's taps (conv_window.h)
 * and the group's input channels, or the one channel (depthwise).  Summed
 * with wrap-around in int64 or int32 as the kernel's accumulator is. */
typedef struct s16_acc {
    int64_t a64;
    int32_t a32;
} s16_acc;

static s16_acc accumulate16(const kiln_conv_s8_params *p, int depthwise, int acc64,
                            const kiln_act_strides *xs, int32_t b, kiln_tap_iter it, int32_t oc,
                            const int16_t *x, const int8_t *w)
{
    const int32_t cg = p->in_c / p->groups, mg = p->out_c / p->groups, kk = p->k_h * p->k_w;
    s16_acc a = {0, 0};
    while (kiln_tap_next(&it)) {
        const int32_t xb = b * xs->b + it.pos;
        const int32_t n = depthwise ? 1 : cg;
        const int32_t x0 = xb + (depthwise ? oc / (p->out_c / p->in_c) : (oc / mg) * cg) * xs->c;
        for (int32_t ic = 0; ic < n; ic++) {
            const int32_t wv = depthwise ? w[it.tap * p->out_c + oc] : w[(oc * kk + it.tap) * cg + ic];
            const int32_t prod = (int32_t)x[x0 + ic * xs->c] * wv;
            if (acc64)
                a.a64 = kiln_add64_wrap(a.a64, prod);
            else
                a.a32 = kiln_add32_wrap(a.a32, prod);
        }
    }
    return a;
}

/* acc64: int64 accumulator and int64 bias; otherwise int32 and int32 bias. */
static void conv16_walk(const kiln_conv_s8_params *p, int depthwise, const int16_t *x,
                        const int8_t *w, const void *bias, int acc64, const int32_t *mult,
                        const int32_t *shift, int16_t *y)
{
    const kiln_act_strides xs = kiln_act_strides_of(p->layout, p->in_c, p->in_h, p->in_w);
    const kiln_act_strides ys = kiln_act_strides_of(p->layout, p->out_c, p->out_h, p->out_w);
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                kiln_tap_iter start; /* the window, worked out once per position */
                kiln_tap_begin(&start, p, &xs, oy, ox, 0);
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    s16_acc a = accumulate16(p, depthwise, acc64, &xs, b, start, oc, x, w);
                    int32_t v;
                    if (acc64) {
                        if (bias)
                            a.a64 = kiln_add64_wrap(a.a64, ((const int64_t *)bias)[oc]);
                        v = kiln_mbqm64(a.a64, mult[oc], shift[oc]);
                    } else {
                        if (bias)
                            a.a32 = kiln_add32_wrap(a.a32, ((const int32_t *)bias)[oc]);
                        v = kiln_mbqm(a.a32, mult[oc], shift[oc]);
                    }
                    y[b * ys.b + oy * ys.h + ox * ys.w + oc * ys.c] = store16(&p->rq, v);
                }
            }
}

void kiln_conv_s16(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                   const int64_t *bias, const int32_t *mult, const int32_t *shift, int16_t *y)
{
    conv16_walk(p, 0, x, w, bias, 1, mult, shift, y);
}

void kiln_conv_s16_acc32(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                         const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         int16_t *y)
{
    conv16_walk(p, 0, x, w, bias, 0, mult, shift, y);
}

void kiln_depthwise_conv_s16(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                             const int64_t *bias, const int32_t *mult, const int32_t *shift,
                             int16_t *y)
{
    conv16_walk(p, 1, x, w, bias, 1, mult, shift, y);
}
