/*
 * conv_s8.c - the plain int8 convolutions: CONV (grouped or not),
 * DEPTHWISE and TRANSPOSE_CONV, NHWC or NCHW, with TFLite's per-channel
 * requantization (TFLM reference ConvPerChannel, DepthwiseConvPerChannel,
 * TransposeConv) or ONNX's (QLinearConv, ConvInteger).  The reference the
 * packed kernels are tested against, and the path for everything they do
 * not take (NCHW, uint8, ONNX requantization, groups, depthwise multipliers).
 *
 * Relies on conv_window.h for which taps an output reads (padded positions
 * are skipped, which is the same as padding with the input's zero point)
 * and requant_s8.h for the output stage.  Integer arithmetic only; never
 * allocates.
 */
#include "kiln/kernels_s8.h"
#include "conv_window.h"
#include "requant_s8.h"

enum { CONV_PLAIN = 0, CONV_DEPTHWISE = 1, CONV_TRANSPOSED = 2 };

/* sum over the taps of (x + in_offset) * (w + w_offset) for output channel
 * oc at (b, oy, ox); `it` already at the window's start.  Summed modulo 2^32
 * (uint32_t), as TFLite's int32 sums wrap on every machine it runs on: a
 * model's extreme bias or a huge reduction must not be undefined behaviour. */
static int32_t accumulate(const kiln_conv_s8_params *p, int kind, kiln_tap_iter *it,
                          const kiln_act_strides *xs, int32_t b, int32_t oc, const void *x,
                          const void *w)
{
    const int32_t cg = p->in_c / p->groups, mg = p->out_c / p->groups;
    const int32_t kk = p->k_h * p->k_w;
    uint32_t acc = 0;
    while (kiln_tap_next(it)) {
        const int32_t xb = b * xs->b + it->pos;
        if (kind == CONV_DEPTHWISE) {
            const int32_t ic = oc / (p->out_c / p->in_c);
            const int32_t xv = kiln_ld8(x, xb + ic * xs->c, p->in_xor);
            const int32_t wv = kiln_ld8(w, it->tap * p->out_c + oc, p->w_xor);
            acc += (uint32_t)((xv + p->in_offset) * (wv + p->w_offset));
            continue;
        }
        const int32_t x0 = xb + (oc / mg) * cg * xs->c, w0 = (oc * kk + it->tap) * cg;
        for (int32_t ic = 0; ic < cg; ic++) {
            const int32_t xv = kiln_ld8(x, x0 + ic * xs->c, p->in_xor);
            const int32_t wv = kiln_ld8(w, w0 + ic, p->w_xor);
            acc += (uint32_t)((xv + p->in_offset) * (wv + p->w_offset));
        }
    }
    return (int32_t)acc;
}

static void conv_walk(const kiln_conv_s8_params *p, int kind, const void *x, const void *w,
                      const int32_t *bias, const int32_t *mult, const int32_t *shift, void *y)
{
    const kiln_act_strides xs = kiln_act_strides_of(p->layout, p->in_c, p->in_h, p->in_w);
    const kiln_act_strides ys = kiln_act_strides_of(p->layout, p->out_c, p->out_h, p->out_w);
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                kiln_tap_iter start; /* the window, worked out once per position */
                kiln_tap_begin(&start, p, &xs, oy, ox, kind == CONV_TRANSPOSED);
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    kiln_tap_iter it = start;
                    int32_t acc = accumulate(p, kind, &it, &xs, b, oc, x, w);
                    if (bias)
                        acc = (int32_t)((uint32_t)acc + (uint32_t)bias[oc]);
                    kiln_store_acc(&p->rq, acc, mult, shift, oc, y,
                                   b * ys.b + oy * ys.h + ox * ys.w + oc * ys.c);
                }
            }
}

void kiln_conv_s8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                  const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *y)
{
    conv_walk(p, CONV_PLAIN, x, w, bias, mult, shift, y);
}

void kiln_conv_q8(const kiln_conv_s8_params *p, const void *x, const void *w, const int32_t *bias,
                  const int32_t *mult, const int32_t *shift, void *y)
{
    conv_walk(p, CONV_PLAIN, x, w, bias, mult, shift, y);
}

void kiln_depthwise_conv_s8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *y)
{
    conv_walk(p, CONV_DEPTHWISE, x, w, bias, mult, shift, y);
}

void kiln_depthwise_conv_q8(const kiln_conv_s8_params *p, const void *x, const void *w,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            void *y)
{
    conv_walk(p, CONV_DEPTHWISE, x, w, bias, mult, shift, y);
}

/* Output position o receives input i through tap k when o + pad - k*dil ==
 * i*stride; gathering those taps gives exactly the sum TFLite's scatter
 * into an int32 buffer gives (integer addition is exact and commutative),
 * without the buffer. */
void kiln_transpose_conv_s8(const kiln_conv_s8_params *p, const int8_t *x, const int8_t *w,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *y)
{
    conv_walk(p, CONV_TRANSPOSED, x, w, bias, mult, shift, y);
}
