/*
 * depthwise_f32_packed.c - float32 depthwise convolution (channel
 * multiplier 1) over packed weights (kernels_f32.h, "packed convolution").
 *
 * NHWC: channels are contiguous in X, W (packed [group][tap][panel]) and Y,
 * so an output pixel is `panel`-wide vectors: the accumulators start at the
 * bias and each tap adds x * w lane by lane.  Pixels whose whole window lies
 * inside the input (the interior) run the taps without any bounds check; the
 * border pixels skip the taps that fall in the padding.  Each output is one
 * accumulator summed over the taps in (kd, kh, kw) order, as the plain
 * kernel does.  On Cortex-M cores with VFMA (KF32_VFP_FMA) a 2-D window over
 * channels in whole groups of 8 with a clamp for epilogue runs in assembly,
 * border pixels included: a pixel's taps inside the input form a
 * rectangle, and two neighbours with the same rectangle go as a pair
 * (kiln_f32_fpv5_dw_2x8, else _1x8).  NCHW: one channel plane at a time, an
 * output row at a time: a 3x3 window with its three input rows inside runs
 * the nine taps unrolled across the row (vectorised by the compiler), other
 * rows go tap by tap over the outputs each tap reaches; the epilogue
 * follows.  Here too each output sums its taps in order from the bias.
 * Never allocates.
 */
#include "kiln/kernels_f32.h"
#include "f32_util.h"
#include "gemm_f32.h"

static inline int in_range(int32_t i, int32_t n)
{
    return (uint32_t)i < (uint32_t)n;
}

/* [lo, hi): the outputs along one axis whose window lies inside the input. */
static void interior(int32_t out, int32_t in, int32_t k, int32_t s, int32_t d, int32_t pad,
                     int32_t *lo, int32_t *hi)
{
    const int32_t span = (k - 1) * d;
    int32_t a = pad > 0 ? (pad + s - 1) / s : 0;    /* first o with o*s - pad >= 0 */
    int32_t b = in - span + pad > 0 ? (in - span + pad - 1) / s + 1 : 0;  /* last +1 with o*s-pad+span < in */
    if (b > out)
        b = out;
    if (a > b)
        a = b;
    *lo = a;
    *hi = b;
}

/* ---- NHWC ---------------------------------------------------------------- */

typedef struct dw_nhwc {
    const kiln_conv_f32_packed_params *p;
    const float *xn, *w, *b;
    int32_t kvol, ngroup;
} dw_nhwc;

/* One output pixel, every channel group.  x0: the window origin (id0, ih0,
 * iw0); checked: skip taps outside the input. */
static void dw_pixel(const dw_nhwc *d, int32_t id0, int32_t ih0, int32_t iw0, int checked,
                     float *y, const float *res)
{
    const kiln_conv_f32_params *c = &d->p->conv;
    const int32_t C = c->in_c, P = d->p->panel;
    float acc[16];
    for (int32_t q = 0; q < d->ngroup; q++) {
        const int32_t ch = q * P, nv = C - ch < P ? C - ch : P;
        const float *wq = d->w + (size_t)q * d->kvol * P;
        for (int32_t l = 0; l < P; l++)
            acc[l] = d->b[ch + l];
        int32_t t = 0;
        for (int32_t kd = 0; kd < c->k[0]; kd++) {
            const int32_t id = id0 + kd * c->dil[0];
            for (int32_t kh = 0; kh < c->k[1]; kh++) {
                const int32_t ih = ih0 + kh * c->dil[1];
                const int row_in = !checked || (in_range(id, c->in[0]) && in_range(ih, c->in[1]));
                for (int32_t kw = 0; kw < c->k[2]; kw++, t++) {
                    const int32_t iw = iw0 + kw * c->dil[2];
                    if (!row_in || (checked && !in_range(iw, c->in[2])))
                        continue;
                    const float *xp = d->xn + ((id * c->in[1] + ih) * c->in[2] + iw) * C + ch;
                    const float *wt = wq + t * P;
                    if (nv == P) {
                        for (int32_t l = 0; l < P; l++)
                            acc[l] = KF32_FMA(xp[l], wt[l], acc[l]);
                    } else {
                        for (int32_t l = 0; l < nv; l++)
                            acc[l] = KF32_FMA(xp[l], wt[l], acc[l]);
                    }
                }
            }
        }
        for (int32_t l = 0; l < nv; l++)
            y[ch + l] = kf32_act(res ? acc[l] + res[ch + l] : acc[l], &d->p->epi);
    }
}

#if defined(KF32_VFP_FMA)
/* Whether the assembly tiles apply to this layer. */
static int dw_asm_ok(const kiln_conv_f32_packed_params *p, const float *res)
{
    const kiln_conv_f32_params *c = &p->conv;
    return c->k[0] == 1 && c->in_c % 8 == 0 && p->panel % 8 == 0 && !res && !p->epi.leaky &&
           !p->epi.maxc;
}

/* [a, b): the taps t of an axis with o*s - pad + t*d inside [0, n). */
static void tap_range(int32_t o, int32_t n, int32_t k, int32_t s, int32_t d, int32_t pad, int32_t *a,
                      int32_t *b)
{
    const int32_t i0 = o * s - pad;
    int32_t lo = i0 < 0 ? (-i0 + d - 1) / d : 0;
    int32_t hi = n - i0 > 0 ? (n - i0 - 1) / d + 1 : 0;
    if (hi > k)
        hi = k;
    if (lo > hi)
        lo = hi;
    *a = lo;
    *b = hi;
}

/* One output row (od, oh; a 2-D window) through the assembly: each pixel's
 * taps inside the input are a rectangle [ha, hb) x [wa, wb); two adjacent
 * pixels with the same rectangle go as a pair, every 8 channels.  A pixel
 * with no tap inside goes through the C path. */
static void dw_row_asm(const dw_nhwc *d, kf32_dw_pair *a, int32_t od, int32_t oh, float *y)
{
    const kiln_conv_f32_params *c = &d->p->conv;
    const int32_t C = c->in_c, P = d->p->panel, OW = c->out[2];
    const int32_t id = od * c->stride[0] - c->pad[0], ih0 = oh * c->stride[1] - c->pad[1];
    const float *plane = d->xn + (in_range(id, c->in[0]) ? id : 0) * c->in[1] * c->in[2] * C;
    int32_t ha, hb;
    tap_range(oh, c->in[1], c->k[1], c->stride[1], c->dil[1], c->pad[1], &ha, &hb);
    if (!in_range(id, c->in[0]))
        hb = ha;
    for (int32_t ow = 0; ow < OW;) {
        const int32_t iw0 = ow * c->stride[2] - c->pad[2];
        int32_t wa, wb, na, nb;
        tap_range(ow, c->in[2], c->k[2], c->stride[2], c->dil[2], c->pad[2], &wa, &wb);
        if (ha == hb || wa == wb) {
            dw_pixel(d, id, ih0, iw0, 1, y + ow * C, NULL);
            ow++;
            continue;
        }
        int pair = 0;
        if (ow + 1 < OW) {
            tap_range(ow + 1, c->in[2], c->k[2], c->stride[2], c->dil[2], c->pad[2], &na, &nb);
            pair = na == wa && nb == wb;
        }
        a->kh = hb - ha;
        a->kw = wb - wa;
        a->w_row_skip = (c->k[2] - a->kw) * P * (int32_t)sizeof(float);
        const float *x0 = plane + ((ih0 + ha * c->dil[1]) * c->in[2] + iw0 + wa * c->dil[2]) * C;
        const int32_t t0 = ha * c->k[2] + wa;
        for (int32_t ch = 0; ch < C; ch += 8) {
            a->bias = d->b + ch;
            a->y0 = y + ow * C + ch;
            a->y1 = a->y0 + C;
            const float *w = d->w + ((size_t)(ch / P) * d->kvol + t0) * P + ch % P;
            if (pair)
                kiln_f32_fpv5_dw_2x8(a, x0 + ch, w);
            else
                kiln_f32_fpv5_dw_1x8(a, x0 + ch, w);
        }
        ow += pair ? 2 : 1;
    }
}
#endif

static void dw_nhwc_run(const kiln_conv_f32_packed_params *p, const float *x, const float *w,
                        const float *b, const float *res, float *y)
{
    const kiln_conv_f32_params *c = &p->conv;
    const int32_t C = c->in_c;
    const int32_t in_pix = c->in[0] * c->in[1] * c->in[2];
    const int32_t out_pix = c->out[0] * c->out[1] * c->out[2];
    int32_t lo[3], hi[3];
    for (int i = 0; i < 3; i++)
        interior(c->out[i], c->in[i], c->k[i], c->stride[i], c->dil[i], c->pad[i], &lo[i], &hi[i]);
    dw_nhwc d;
    d.p = p;
    d.w = w;
    d.b = b;
    d.kvol = c->k[0] * c->k[1] * c->k[2];
    d.ngroup = (C + p->panel - 1) / p->panel;
#if defined(KF32_VFP_FMA)
    const int use_asm = dw_asm_ok(p, res);
    const float ep[2] = {p->epi.act_lo, p->epi.act_hi};
    kf32_dw_pair a;
    a.tap_w = c->dil[2] * C * (int32_t)sizeof(float);
    a.tap_h = c->dil[1] * c->in[2] * C * (int32_t)sizeof(float);
    a.kw = c->k[2];
    a.kh = c->k[1];
    a.px = c->stride[2] * C * (int32_t)sizeof(float);
    a.w_skip = (p->panel - 8) * (int32_t)sizeof(float);
    a.ep = ep;
    a.mode = kf32_clamp_mode(&p->epi);
#endif
    for (int32_t n = 0; n < c->batch; n++) {
        d.xn = x + n * in_pix * C;
        float *yp = y + n * out_pix * C;
        const float *rp = res ? res + n * out_pix * C : NULL;
        for (int32_t od = 0; od < c->out[0]; od++)
        for (int32_t oh = 0; oh < c->out[1]; oh++) {
#if defined(KF32_VFP_FMA)
            if (use_asm) {
                dw_row_asm(&d, &a, od, oh, yp);
                yp += c->out[2] * C;
                continue;
            }
#endif
            const int row_inside = od >= lo[0] && od < hi[0] && oh >= lo[1] && oh < hi[1];
            for (int32_t ow = 0; ow < c->out[2]; ow++, yp += C, rp = rp ? rp + C : NULL) {
                const int checked = !(row_inside && ow >= lo[2] && ow < hi[2]);
                dw_pixel(&d, od * c->stride[0] - c->pad[0], oh * c->stride[1] - c->pad[1],
                         ow * c->stride[2] - c->pad[2], checked, yp, rp);
            }
        }
    }
}

/* ---- NCHW ---------------------------------------------------------------- */

/* First and last+1 output column whose tap kw reads inside the row. */
static void tap_cols(const kiln_conv_f32_params *c, int32_t kw, int32_t *a, int32_t *b)
{
    const int32_t off = kw * c->dil[2] - c->pad[2], s = c->stride[2];
    int32_t lo = off < 0 ? (-off + s - 1) / s : 0;
    int32_t hi = c->in[2] - off > 0 ? (c->in[2] - off - 1) / s + 1 : 0;
    if (hi > c->out[2])
        hi = c->out[2];
    if (lo > hi)
        lo = hi;
    *a = lo;
    *b = hi;
}

/* One output row of a 3x3 window (2-D) whose three input rows r0..r2 are
 * inside: the outputs [lo, hi) have every tap inside too, so the nine taps
 * are unrolled and the compiler vectorises across the row; the others skip
 * their outside taps. */
static inline void dw3x3_run(const float *restrict r0, const float *restrict r1,
                             const float *restrict r2, const float *restrict w, float bias, int32_t s,
                             int32_t d, float *restrict yr, int32_t n)
{
    for (int32_t ow = 0; ow < n; ow++) {
        const int32_t i = ow * s;
        float acc = bias;
        acc = KF32_FMA(r0[i], w[0], acc);
        acc = KF32_FMA(r0[i + d], w[1], acc);
        acc = KF32_FMA(r0[i + 2 * d], w[2], acc);
        acc = KF32_FMA(r1[i], w[3], acc);
        acc = KF32_FMA(r1[i + d], w[4], acc);
        acc = KF32_FMA(r1[i + 2 * d], w[5], acc);
        acc = KF32_FMA(r2[i], w[6], acc);
        acc = KF32_FMA(r2[i + d], w[7], acc);
        acc = KF32_FMA(r2[i + 2 * d], w[8], acc);
        yr[ow] = acc;
    }
}

static void dw3x3_row(const kiln_conv_f32_params *c, const float *const r[3], const float *w,
                      float bias, float *yr, int32_t lo, int32_t hi)
{
    const int32_t s = c->stride[2], d = c->dil[2], off = -c->pad[2];
    const int32_t i0 = lo * s + off;    /* the first interior output's first tap, >= 0 */
    /* Unit stride and dilation get their own copy: contiguous loads. */
    if (lo < hi && s == 1 && d == 1)
        dw3x3_run(r[0] + i0, r[1] + i0, r[2] + i0, w, bias, 1, 1, yr + lo, hi - lo);
    else if (lo < hi)
        dw3x3_run(r[0] + i0, r[1] + i0, r[2] + i0, w, bias, s, d, yr + lo, hi - lo);
    for (int32_t ow = 0; ow < c->out[2]; ow++) {
        if (ow == lo && lo < hi)
            ow = hi;
        if (ow >= c->out[2])
            break;
        float acc = bias;
        for (int32_t kh = 0; kh < 3; kh++)
            for (int32_t kw = 0; kw < 3; kw++) {
                const int32_t iw = ow * s + kw * d + off;
                if (in_range(iw, c->in[2]))
                    acc = KF32_FMA(r[kh][iw], w[kh * 3 + kw], acc);
            }
        yr[ow] = acc;
    }
}

/* One output row, any window: the bias, then tap by tap (in order) over the
 * outputs that tap reaches. */
static void dw_row_taps(const kiln_conv_f32_params *c, const float *xc, const float *wc, float bias,
                        int32_t od, int32_t oh, float *yr)
{
    const int32_t OW = c->out[2], s2 = c->stride[2];
    for (int32_t ow = 0; ow < OW; ow++)
        yr[ow] = bias;
    int32_t t = 0;
    for (int32_t kd = 0; kd < c->k[0]; kd++)
    for (int32_t kh = 0; kh < c->k[1]; kh++) {
        const int32_t id = od * c->stride[0] + kd * c->dil[0] - c->pad[0];
        const int32_t ih = oh * c->stride[1] + kh * c->dil[1] - c->pad[1];
        if (!in_range(id, c->in[0]) || !in_range(ih, c->in[1])) {
            t += c->k[2];
            continue;
        }
        const float *xr = xc + (id * c->in[1] + ih) * c->in[2];
        for (int32_t kw = 0; kw < c->k[2]; kw++, t++) {
            const float wt = wc[t];
            const int32_t off = kw * c->dil[2] - c->pad[2];
            int32_t a, b;
            tap_cols(c, kw, &a, &b);
            if (s2 == 1) {
                for (int32_t ow = a; ow < b; ow++)
                    yr[ow] = KF32_FMA(xr[ow + off], wt, yr[ow]);
            } else {
                for (int32_t ow = a; ow < b; ow++)
                    yr[ow] = KF32_FMA(xr[ow * s2 + off], wt, yr[ow]);
            }
        }
    }
}

static void dw_nchw_plane(const kiln_conv_f32_packed_params *p, const float *xc, const float *wc,
                          float bias, const float *rc, float *yc)
{
    const kiln_conv_f32_params *c = &p->conv;
    const int32_t OW = c->out[2];
    const int32_t out_pix = c->out[0] * c->out[1] * OW;
    const int k3x3 = c->k[0] == 1 && c->k[1] == 3 && c->k[2] == 3;
    int32_t lo = 0, hi = 0;
    if (k3x3)
        interior(OW, c->in[2], 3, c->stride[2], c->dil[2], c->pad[2], &lo, &hi);
    for (int32_t od = 0; od < c->out[0]; od++)
        for (int32_t oh = 0; oh < c->out[1]; oh++) {
            float *yr = yc + (od * c->out[1] + oh) * OW;
            const int32_t id = od * c->stride[0] - c->pad[0], ih = oh * c->stride[1] - c->pad[1];
            if (k3x3 && in_range(id, c->in[0]) && ih >= 0 && ih + 2 * c->dil[1] < c->in[1]) {
                const float *row0 = xc + (id * c->in[1] + ih) * c->in[2];
                const float *r[3] = {row0, row0 + c->dil[1] * c->in[2], row0 + 2 * c->dil[1] * c->in[2]};
                dw3x3_row(c, r, wc, bias, yr, lo, hi);
            } else {
                dw_row_taps(c, xc, wc, bias, od, oh, yr);
            }
        }
    if (rc) {
        for (int32_t i = 0; i < out_pix; i++)
            yc[i] = kf32_act(yc[i] + rc[i], &p->epi);
    } else {
        for (int32_t i = 0; i < out_pix; i++)
            yc[i] = kf32_act(yc[i], &p->epi);
    }
}

static void dw_nchw_run(const kiln_conv_f32_packed_params *p, const float *x, const float *w,
                        const float *b, const float *res, float *y)
{
    const kiln_conv_f32_params *c = &p->conv;
    const int32_t in_pix = c->in[0] * c->in[1] * c->in[2];
    const int32_t out_pix = c->out[0] * c->out[1] * c->out[2];
    const int32_t kvol = c->k[0] * c->k[1] * c->k[2];
    for (int32_t n = 0; n < c->batch; n++)
        for (int32_t m = 0; m < c->out_c; m++) {
            const size_t yo = ((size_t)n * c->out_c + m) * out_pix;
            dw_nchw_plane(p, x + ((size_t)n * c->in_c + m) * in_pix, w + (size_t)m * kvol, b[m],
                          res ? res + yo : NULL, y + yo);
        }
}

void kiln_depthwise_conv_f32_packed(const kiln_conv_f32_packed_params *p, const float *x,
                                    const float *w, const float *b, const float *residual,
                                    float *y)
{
    if (p->conv.layout == KILN_LAYOUT_NHWC)
        dw_nhwc_run(p, x, w, b, residual, y);
    else
        dw_nchw_run(p, x, w, b, residual, y);
}
