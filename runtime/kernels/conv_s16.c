/*
 * conv_s16.c - 16x8 CONV_2D and DEPTHWISE_CONV_2D (int16 activations, int8
 * weights), what TFLM's reference ConvPerChannel / DepthwiseConvPerChannel
 * compute for int16 input.
 *
 * Zero points are 0 by the 16x8 scheme, so padded positions are skipped
 * and no offsets are added.  The accumulator is summed with wrap-around so
 * that even a pathological model is never undefined behaviour (TFLM's
 * int32 accumulator would overflow there too).  Integer arithmetic only;
 * never allocates.
 */
#include "kiln/kernels_s16.h"
#include "requant_s16.h"

typedef struct s16_strides {
    int32_t b, c, h, w;
} s16_strides;

static s16_strides s16_strides_of(int32_t layout, int32_t c, int32_t h, int32_t w)
{
    s16_strides s;
    if (layout == KILN_LAYOUT_NHWC) {
        s.c = 1, s.w = c, s.h = w * c, s.b = h * w * c;
    } else {
        s.w = 1, s.h = w, s.c = h * w, s.b = c * h * w;
    }
    return s;
}

static int16_t store16(const kiln_requant *rq, int32_t v)
{
    return (int16_t)kiln_clamp32(v, rq->act_min, rq->act_max);
}

/* acc64: int64 accumulator and int64 bias; otherwise int32 and int32 bias. */
static void conv16_core(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                        const void *bias, int acc64, const int32_t *mult, const int32_t *shift,
                        int16_t *y)
{
    const s16_strides xs = s16_strides_of(p->layout, p->in_c, p->in_h, p->in_w);
    const s16_strides ys = s16_strides_of(p->layout, p->out_c, p->out_h, p->out_w);
    const int32_t cg = p->in_c / p->groups;
    const int32_t mg = p->out_c / p->groups;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++)
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    const int32_t g = oc / mg;
                    int64_t acc = 0;
                    int32_t acc32 = 0;
                    for (int32_t ky = 0; ky < p->k_h; ky++) {
                        const int32_t iy = oy * p->stride_h - p->pad_t + ky * p->dil_h;
                        if (iy < 0 || iy >= p->in_h)
                            continue;
                        for (int32_t kx = 0; kx < p->k_w; kx++) {
                            const int32_t ix = ox * p->stride_w - p->pad_l + kx * p->dil_w;
                            if (ix < 0 || ix >= p->in_w)
                                continue;
                            const int32_t xb = b * xs.b + iy * xs.h + ix * xs.w + g * cg * xs.c;
                            const int32_t wb = ((oc * p->k_h + ky) * p->k_w + kx) * cg;
                            for (int32_t ic = 0; ic < cg; ic++) {
                                const int32_t prod = (int32_t)x[xb + ic * xs.c] * (int32_t)w[wb + ic];
                                if (acc64)
                                    acc = kiln_add64_wrap(acc, prod);
                                else
                                    acc32 = kiln_add32_wrap(acc32, prod);
                            }
                        }
                    }
                    int32_t v;
                    if (acc64) {
                        if (bias)
                            acc = kiln_add64_wrap(acc, ((const int64_t *)bias)[oc]);
                        v = kiln_mbqm64(acc, mult[oc], shift[oc]);
                    } else {
                        if (bias)
                            acc32 = kiln_add32_wrap(acc32, ((const int32_t *)bias)[oc]);
                        v = kiln_mbqm(acc32, mult[oc], shift[oc]);
                    }
                    y[b * ys.b + oy * ys.h + ox * ys.w + oc * ys.c] = store16(&p->rq, v);
                }
}

void kiln_conv_s16(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                   const int64_t *bias, const int32_t *mult, const int32_t *shift, int16_t *y)
{
    conv16_core(p, x, w, bias, 1, mult, shift, y);
}

void kiln_conv_s16_acc32(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                         const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         int16_t *y)
{
    conv16_core(p, x, w, bias, 0, mult, shift, y);
}

void kiln_depthwise_conv_s16(const kiln_conv_s8_params *p, const int16_t *x, const int8_t *w,
                             const int64_t *bias, const int32_t *mult, const int32_t *shift,
                             int16_t *y)
{
    const s16_strides xs = s16_strides_of(p->layout, p->in_c, p->in_h, p->in_w);
    const s16_strides ys = s16_strides_of(p->layout, p->out_c, p->out_h, p->out_w);
    const int32_t ch_mult = p->out_c / p->in_c;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++)
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    const int32_t ic = oc / ch_mult;
                    int64_t acc = 0;
                    for (int32_t ky = 0; ky < p->k_h; ky++) {
                        const int32_t iy = oy * p->stride_h - p->pad_t + ky * p->dil_h;
                        if (iy < 0 || iy >= p->in_h)
                            continue;
                        for (int32_t kx = 0; kx < p->k_w; kx++) {
                            const int32_t ix = ox * p->stride_w - p->pad_l + kx * p->dil_w;
                            if (ix < 0 || ix >= p->in_w)
                                continue;
                            const int32_t xv = x[b * xs.b + iy * xs.h + ix * xs.w + ic * xs.c];
                            const int32_t wv = w[(ky * p->k_w + kx) * p->out_c + oc];
                            acc = kiln_add64_wrap(acc, xv * wv);
                        }
                    }
                    if (bias)
                        acc = kiln_add64_wrap(acc, bias[oc]);
                    y[b * ys.b + oy * ys.h + ox * ys.w + oc * ys.c] =
                        store16(&p->rq, kiln_mbqm64(acc, mult[oc], shift[oc]));
                }
}
