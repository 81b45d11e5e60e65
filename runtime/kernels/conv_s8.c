/*
 * conv_s8.c - int8 convolution, grouped or not, NHWC or NCHW, with TFLite's
 * per-channel requantization (TFLM reference ConvPerChannel) or ONNX's
 * (QLinearConv, ConvInteger).
 *
 * Relies on requant_s8.h for the output stage.  Padded positions are skipped,
 * which is the same as padding with the input's zero point.  Integer
 * arithmetic only; never allocates.
 */
#include "kiln/kernels_s8.h"
#include "requant_s8.h"

/* Element strides of an activation tensor in either layout. */
typedef struct act_strides {
    int32_t b, c, h, w;
} act_strides;

static act_strides strides_of(int32_t layout, int32_t c, int32_t h, int32_t w)
{
    act_strides s;
    if (layout == KILN_LAYOUT_NHWC) {
        s.c = 1;
        s.w = c;
        s.h = w * c;
        s.b = h * w * c;
    } else {
        s.w = 1;
        s.h = w;
        s.c = h * w;
        s.b = c * h * w;
    }
    return s;
}

static void conv_core(const kiln_conv_s8_params *p, const void *x, const void *w,
                      const int32_t *bias, const int32_t *mult, const int32_t *shift, void *y)
{
    const act_strides xs = strides_of(p->layout, p->in_c, p->in_h, p->in_w);
    const act_strides ys = strides_of(p->layout, p->out_c, p->out_h, p->out_w);
    const int32_t cg = p->in_c / p->groups;       /* input channels per group */
    const int32_t mg = p->out_c / p->groups;      /* output channels per group */
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++)
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    const int32_t g = oc / mg;
                    int32_t acc = 0;
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
                                const int32_t xv = kiln_ld8(x, xb + ic * xs.c, p->in_xor);
                                const int32_t wv = kiln_ld8(w, wb + ic, p->w_xor);
                                acc += (xv + p->in_offset) * (wv + p->w_offset);
                            }
                        }
                    }
                    if (bias)
                        acc += bias[oc];
                    kiln_store_acc(&p->rq, acc, mult, shift, oc, y,
                                   b * ys.b + oy * ys.h + ox * ys.w + oc * ys.c);
                }
}

void kiln_conv_s8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                  const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *y)
{
    conv_core(p, x, w, bias, mult, shift, y);
}

void kiln_conv_q8(const kiln_conv_s8_params *p, const void *x, const void *w, const int32_t *bias,
                  const int32_t *mult, const int32_t *shift, void *y)
{
    conv_core(p, x, w, bias, mult, shift, y);
}

static void depthwise_core(const kiln_conv_s8_params *p, const void *x, const void *w,
                           const int32_t *bias, const int32_t *mult, const int32_t *shift,
                           void *y)
{
    const act_strides xs = strides_of(p->layout, p->in_c, p->in_h, p->in_w);
    const act_strides ys = strides_of(p->layout, p->out_c, p->out_h, p->out_w);
    const int32_t ch_mult = p->out_c / p->in_c;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++)
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    const int32_t ic = oc / ch_mult;
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < p->k_h; ky++) {
                        const int32_t iy = oy * p->stride_h - p->pad_t + ky * p->dil_h;
                        if (iy < 0 || iy >= p->in_h)
                            continue;
                        for (int32_t kx = 0; kx < p->k_w; kx++) {
                            const int32_t ix = ox * p->stride_w - p->pad_l + kx * p->dil_w;
                            if (ix < 0 || ix >= p->in_w)
                                continue;
                            const int32_t xv =
                                kiln_ld8(x, b * xs.b + iy * xs.h + ix * xs.w + ic * xs.c, p->in_xor);
                            const int32_t wv =
                                kiln_ld8(w, (ky * p->k_w + kx) * p->out_c + oc, p->w_xor);
                            acc += (xv + p->in_offset) * (wv + p->w_offset);
                        }
                    }
                    if (bias)
                        acc += bias[oc];
                    kiln_store_acc(&p->rq, acc, mult, shift, oc, y,
                                   b * ys.b + oy * ys.h + ox * ys.w + oc * ys.c);
                }
}

void kiln_depthwise_conv_s8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *y)
{
    depthwise_core(p, x, w, bias, mult, shift, y);
}

void kiln_depthwise_conv_q8(const kiln_conv_s8_params *p, const void *x, const void *w,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            void *y)
{
    depthwise_core(p, x, w, bias, mult, shift, y);
}

/* Output position o receives input i through tap k when o + pad - k*dil ==
 * i*stride; gathering those taps gives exactly the sum TFLite's scatter
 * into an int32 buffer gives (integer addition is exact and commutative),
 * without the buffer. */
void kiln_transpose_conv_s8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *y)
{
    const act_strides xs = strides_of(p->layout, p->in_c, p->in_h, p->in_w);
    const act_strides ys = strides_of(p->layout, p->out_c, p->out_h, p->out_w);
    const int32_t cg = p->in_c / p->groups;
    const int32_t mg = p->out_c / p->groups;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++)
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    const int32_t g = oc / mg;
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < p->k_h; ky++) {
                        const int32_t ty = oy + p->pad_t - ky * p->dil_h;
                        if (ty < 0 || ty % p->stride_h != 0 || ty / p->stride_h >= p->in_h)
                            continue;
                        const int32_t iy = ty / p->stride_h;
                        for (int32_t kx = 0; kx < p->k_w; kx++) {
                            const int32_t tx = ox + p->pad_l - kx * p->dil_w;
                            if (tx < 0 || tx % p->stride_w != 0 || tx / p->stride_w >= p->in_w)
                                continue;
                            const int32_t ix = tx / p->stride_w;
                            const int32_t xb = b * xs.b + iy * xs.h + ix * xs.w + g * cg * xs.c;
                            const int32_t wb = ((oc * p->k_h + ky) * p->k_w + kx) * cg;
                            for (int32_t ic = 0; ic < cg; ic++) {
                                const int32_t xv = kiln_ld8(x, xb + ic * xs.c, p->in_xor);
                                const int32_t wv = kiln_ld8(w, wb + ic, p->w_xor);
                                acc += (xv + p->in_offset) * (wv + p->w_offset);
                            }
                        }
                    }
                    if (bias)
                        acc += bias[oc];
                    kiln_store_acc(&p->rq, acc, mult, shift, oc, y,
                                   b * ys.b + oy * ys.h + ox * ys.w + oc * ys.c);
                }
}
