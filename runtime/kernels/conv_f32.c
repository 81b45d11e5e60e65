/*
 * conv_f32.c - float32 convolution: general (grouped, dilated, 1/2/3-D, NCHW
 * or NHWC) and depthwise.
 *
 * Relies on the compiler to have repacked the weights (general:
 * [M][kd][kh][kw][C/g]; depthwise: [kd][kh][kw][M]) and to have set every
 * field of kiln_conv_f32_params consistently.  Plain reference code: index
 * arithmetic is hoisted out of the inner loops and there are no divisions
 * there, but no SIMD; an optimized variant would live in conv_f32_opt.c with
 * the same params and be tested against these.  Never allocates.
 */
#include "kiln/kernels_f32.h"
#include "f32_util.h"

/* True when `i` lies in [0, n): one unsigned compare does both bounds. */
static inline int in_range(int32_t i, int32_t n)
{
    return (uint32_t)i < (uint32_t)n;
}

void kiln_conv_f32(const kiln_conv_f32_params *p, const float *x, const float *w, const float *b,
                   float *y)
{
    const int32_t in_pix = p->in[0] * p->in[1] * p->in[2];
    const int32_t out_pix = p->out[0] * p->out[1] * p->out[2];
    const int32_t cg = p->in_c / p->groups;     /* input channels per group */
    const int32_t mg = p->out_c / p->groups;    /* output channels per group */
    const int32_t kvol = p->k[0] * p->k[1] * p->k[2];
    const kiln_lstride xs = kiln_layout_strides(p->layout, p->in_c, in_pix);
    const kiln_lstride ys = kiln_layout_strides(p->layout, p->out_c, out_pix);

    for (int32_t n = 0; n < p->batch; n++) {
        const float *xn = x + n * p->in_c * in_pix;
        float *yn = y + n * p->out_c * out_pix;
        for (int32_t od = 0; od < p->out[0]; od++) {
            const int32_t id0 = od * p->stride[0] - p->pad[0];
            for (int32_t oh = 0; oh < p->out[1]; oh++) {
                const int32_t ih0 = oh * p->stride[1] - p->pad[1];
                for (int32_t ow = 0; ow < p->out[2]; ow++) {
                    const int32_t iw0 = ow * p->stride[2] - p->pad[2];
                    float *ypix = yn + ((od * p->out[1] + oh) * p->out[2] + ow) * ys.ps;
                    for (int32_t g = 0; g < p->groups; g++) {
                        const float *xg = xn + g * cg * xs.cs;
                        for (int32_t mm = 0; mm < mg; mm++) {
                            const int32_t m = g * mg + mm;
                            const float *wm = w + m * kvol * cg;
                            float acc = b ? b[m] : 0.0f;
                            for (int32_t kd = 0; kd < p->k[0]; kd++) {
                                const int32_t id = id0 + kd * p->dil[0];
                                if (!in_range(id, p->in[0]))
                                    continue;
                                for (int32_t kh = 0; kh < p->k[1]; kh++) {
                                    const int32_t ih = ih0 + kh * p->dil[1];
                                    if (!in_range(ih, p->in[1]))
                                        continue;
                                    const float *xrow = xg + (id * p->in[1] + ih) * p->in[2] * xs.ps;
                                    const float *wrow = wm + (kd * p->k[1] + kh) * p->k[2] * cg;
                                    for (int32_t kw = 0; kw < p->k[2]; kw++) {
                                        const int32_t iw = iw0 + kw * p->dil[2];
                                        if (!in_range(iw, p->in[2]))
                                            continue;
                                        const float *xp = xrow + iw * xs.ps;
                                        const float *wp = wrow + kw * cg;
                                        for (int32_t c = 0; c < cg; c++)
                                            acc += xp[c * xs.cs] * wp[c];
                                    }
                                }
                            }
                            ypix[m * ys.cs] = kiln_clampf(acc, p->act_lo, p->act_hi);
                        }
                    }
                }
            }
        }
    }
}

/* Depthwise: output channel m = c*mult + j reads input channel c.  NHWC runs
 * the channels innermost (contiguous in X, W and Y), accumulating into the
 * output pixel; NCHW runs one channel's window at a time. */
void kiln_depthwise_conv_f32(const kiln_conv_f32_params *p, const float *x, const float *w,
                             const float *b, float *y)
{
    const int32_t in_pix = p->in[0] * p->in[1] * p->in[2];
    const int32_t out_pix = p->out[0] * p->out[1] * p->out[2];
    const int32_t mult = p->out_c / p->in_c;
    const int32_t M = p->out_c;
    const kiln_lstride xs = kiln_layout_strides(p->layout, p->in_c, in_pix);
    const kiln_lstride ys = kiln_layout_strides(p->layout, p->out_c, out_pix);

    for (int32_t n = 0; n < p->batch; n++) {
        const float *xn = x + n * p->in_c * in_pix;
        float *yn = y + n * M * out_pix;
        for (int32_t od = 0; od < p->out[0]; od++) {
            const int32_t id0 = od * p->stride[0] - p->pad[0];
            for (int32_t oh = 0; oh < p->out[1]; oh++) {
                const int32_t ih0 = oh * p->stride[1] - p->pad[1];
                for (int32_t ow = 0; ow < p->out[2]; ow++) {
                    const int32_t iw0 = ow * p->stride[2] - p->pad[2];
                    float *ypix = yn + ((od * p->out[1] + oh) * p->out[2] + ow) * ys.ps;
                    if (p->layout == KILN_LAYOUT_NHWC) {
                        for (int32_t m = 0; m < M; m++)
                            ypix[m] = b ? b[m] : 0.0f;
                        for (int32_t kd = 0; kd < p->k[0]; kd++) {
                            const int32_t id = id0 + kd * p->dil[0];
                            if (!in_range(id, p->in[0]))
                                continue;
                            for (int32_t kh = 0; kh < p->k[1]; kh++) {
                                const int32_t ih = ih0 + kh * p->dil[1];
                                if (!in_range(ih, p->in[1]))
                                    continue;
                                for (int32_t kw = 0; kw < p->k[2]; kw++) {
                                    const int32_t iw = iw0 + kw * p->dil[2];
                                    if (!in_range(iw, p->in[2]))
                                        continue;
                                    const float *xp = xn + ((id * p->in[1] + ih) * p->in[2] + iw) * xs.ps;
                                    const float *wk = w + ((kd * p->k[1] + kh) * p->k[2] + kw) * M;
                                    if (mult == 1) {
                                        for (int32_t m = 0; m < M; m++)
                                            ypix[m] += xp[m] * wk[m];
                                    } else {
                                        for (int32_t c = 0, m = 0; c < p->in_c; c++)
                                            for (int32_t j = 0; j < mult; j++, m++)
                                                ypix[m] += xp[c] * wk[m];
                                    }
                                }
                            }
                        }
                        for (int32_t m = 0; m < M; m++)
                            ypix[m] = kiln_clampf(ypix[m], p->act_lo, p->act_hi);
                    } else {
                        for (int32_t c = 0, m = 0; c < p->in_c; c++) {
                            const float *xc = xn + c * xs.cs;
                            for (int32_t j = 0; j < mult; j++, m++) {
                                float acc = b ? b[m] : 0.0f;
                                for (int32_t kd = 0; kd < p->k[0]; kd++) {
                                    const int32_t id = id0 + kd * p->dil[0];
                                    if (!in_range(id, p->in[0]))
                                        continue;
                                    for (int32_t kh = 0; kh < p->k[1]; kh++) {
                                        const int32_t ih = ih0 + kh * p->dil[1];
                                        if (!in_range(ih, p->in[1]))
                                            continue;
                                        const float *xrow = xc + (id * p->in[1] + ih) * p->in[2];
                                        const float *wrow = w + (kd * p->k[1] + kh) * p->k[2] * M + m;
                                        for (int32_t kw = 0; kw < p->k[2]; kw++) {
                                            const int32_t iw = iw0 + kw * p->dil[2];
                                            if (in_range(iw, p->in[2]))
                                                acc += xrow[iw] * wrow[kw * M];
                                        }
                                    }
                                }
                                ypix[m * ys.cs] = kiln_clampf(acc, p->act_lo, p->act_hi);
                            }
                        }
                    }
                }
            }
        }
    }
}

/* Transposed convolution by scatter: every output starts at its bias, then
 * each input pixel adds its contribution to the outputs its kernel reaches.
 * This needs no division (a gather would have to test stride divisibility)
 * and no scratch; the clamp runs as a last pass. */
void kiln_conv_transpose_f32(const kiln_conv_f32_params *p, const float *x, const float *w,
                             const float *b, float *y)
{
    const int32_t in_pix = p->in[0] * p->in[1] * p->in[2];
    const int32_t out_pix = p->out[0] * p->out[1] * p->out[2];
    const int32_t cg = p->in_c / p->groups;
    const int32_t mg = p->out_c / p->groups;
    const int32_t kvol = p->k[0] * p->k[1] * p->k[2];
    const kiln_lstride xs = kiln_layout_strides(p->layout, p->in_c, in_pix);
    const kiln_lstride ys = kiln_layout_strides(p->layout, p->out_c, out_pix);

    for (int32_t n = 0; n < p->batch; n++) {
        const float *xn = x + n * p->in_c * in_pix;
        float *yn = y + n * p->out_c * out_pix;
        for (int32_t q = 0; q < out_pix; q++)
            for (int32_t m = 0; m < p->out_c; m++)
                yn[q * ys.ps + m * ys.cs] = b ? b[m] : 0.0f;

        for (int32_t g = 0; g < p->groups; g++) {
            const float *xg = xn + g * cg * xs.cs;
            float *yg = yn + g * mg * ys.cs;
            const float *wg = w + g * kvol * mg * cg;
            for (int32_t id = 0; id < p->in[0]; id++)
            for (int32_t ih = 0; ih < p->in[1]; ih++)
            for (int32_t iw = 0; iw < p->in[2]; iw++) {
                const float *xp = xg + ((id * p->in[1] + ih) * p->in[2] + iw) * xs.ps;
                for (int32_t kd = 0; kd < p->k[0]; kd++) {
                    const int32_t od = id * p->stride[0] + kd * p->dil[0] - p->pad[0];
                    if (!in_range(od, p->out[0]))
                        continue;
                    for (int32_t kh = 0; kh < p->k[1]; kh++) {
                        const int32_t oh = ih * p->stride[1] + kh * p->dil[1] - p->pad[1];
                        if (!in_range(oh, p->out[1]))
                            continue;
                        for (int32_t kw = 0; kw < p->k[2]; kw++) {
                            const int32_t ow = iw * p->stride[2] + kw * p->dil[2] - p->pad[2];
                            if (!in_range(ow, p->out[2]))
                                continue;
                            float *yp = yg + ((od * p->out[1] + oh) * p->out[2] + ow) * ys.ps;
                            const float *wk = wg + ((kd * p->k[1] + kh) * p->k[2] + kw) * mg * cg;
                            for (int32_t mm = 0; mm < mg; mm++) {
                                const float *wm = wk + mm * cg;
                                float acc = 0.0f;
                                for (int32_t c = 0; c < cg; c++)
                                    acc += xp[c * xs.cs] * wm[c];
                                yp[mm * ys.cs] += acc;
                            }
                        }
                    }
                }
            }
        }
        for (int32_t i = 0; i < p->out_c * out_pix; i++)
            yn[i] = kiln_clampf(yn[i], p->act_lo, p->act_hi);
    }
}
