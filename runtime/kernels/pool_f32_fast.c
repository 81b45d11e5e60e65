/*
 * pool_f32_fast.c - float32 max pooling without Indices, computed a row of
 * outputs (NCHW) or a pixel's channels (NHWC) at a time so the compiler can
 * vectorise it; the same params and the same result as kiln_maxpool_f32.
 *
 * Same rule as the plain kernel: the window's first tap inside the input,
 * in (kd, kh, kw) order, starts the maximum and a later tap replaces it only
 * when greater (so a NaN wins only as the first tap); an empty window gives
 * -HUGE_VALF; then the fused clamp.  NCHW: for a run of outputs of one row
 * whose windows all have every kw tap inside, each tap is one pass over the
 * run (a contiguous or strided read); the other outputs take the checked
 * path.  NHWC: every output pixel, tap by tap over its contiguous channels.
 * Relies on the compiler's params; never allocates.
 */
#include <math.h>

#include "kiln/kernels_f32.h"
#include "f32_util.h"

/* [k0, k1): the taps t with start + t*dil inside [0, n). */
static void taps_inside(int32_t start, int32_t k, int32_t dil, int32_t n, int32_t *k0, int32_t *k1)
{
    int32_t a = start < 0 ? (-start + dil - 1) / dil : 0;
    int32_t b = n - start > 0 ? (n - start - 1) / dil + 1 : 0;
    if (b > k)
        b = k;
    if (a > b)
        a = b;
    *k0 = a;
    *k1 = b;
}

/* [lo, hi): the outputs along w whose every tap is inside the input. */
static void full_cols(const kiln_pool_f32_params *p, int32_t *lo, int32_t *hi)
{
    const int32_t s = p->stride[2], pad = p->pad[2], span = (p->k[2] - 1) * p->dil[2];
    int32_t a = pad > 0 ? (pad + s - 1) / s : 0;
    int32_t b = p->in[2] - span + pad > 0 ? (p->in[2] - span + pad - 1) / s + 1 : 0;
    if (b > p->out[2])
        b = p->out[2];
    if (a > b)
        a = b;
    *lo = a;
    *hi = b;
}

/* One NCHW output row: plane xc, output row yr at (od, oh). */
static void max_row_nchw(const kiln_pool_f32_params *p, const float *xc, float *yr, int32_t od,
                         int32_t oh, int32_t lo, int32_t hi)
{
    const int32_t sd = od * p->stride[0] - p->pad[0], sh = oh * p->stride[1] - p->pad[1];
    const int32_t s2 = p->stride[2], d2 = p->dil[2];
    int32_t d0, d1, h0, h1;
    taps_inside(sd, p->k[0], p->dil[0], p->in[0], &d0, &d1);
    taps_inside(sh, p->k[1], p->dil[1], p->in[1], &h0, &h1);
    const int rows = d0 < d1 && h0 < h1;
    /* The run [lo, hi): every kw tap inside, so all start at the same tap. */
    if (rows) {
        int first = 1;
        for (int32_t kd = d0; kd < d1; kd++)
        for (int32_t kh = h0; kh < h1; kh++) {
            const float *xr = xc + ((sd + kd * p->dil[0]) * p->in[1] + sh + kh * p->dil[1]) * p->in[2];
            for (int32_t kw = 0; kw < p->k[2]; kw++, first = 0) {
                const int32_t off = kw * d2 - p->pad[2];
                if (first) {
                    for (int32_t ow = lo; ow < hi; ow++)
                        yr[ow] = xr[ow * s2 + off];
                } else {
                    for (int32_t ow = lo; ow < hi; ow++) {
                        const float v = xr[ow * s2 + off];
                        yr[ow] = v > yr[ow] ? v : yr[ow];
                    }
                }
            }
        }
    }
    /* The rest, each with its own kw range. */
    for (int32_t ow = 0; ow < p->out[2]; ow++) {
        if (rows && ow >= lo && ow < hi) {
            ow = hi - 1;
            continue;
        }
        const int32_t sw = ow * s2 - p->pad[2];
        int32_t w0, w1;
        taps_inside(sw, p->k[2], d2, p->in[2], &w0, &w1);
        float best = -HUGE_VALF;
        int first = 1;
        for (int32_t kd = d0; kd < d1; kd++)
        for (int32_t kh = h0; kh < h1; kh++) {
            const float *xr = xc + ((sd + kd * p->dil[0]) * p->in[1] + sh + kh * p->dil[1]) * p->in[2];
            for (int32_t kw = w0; kw < w1; kw++, first = 0) {
                const float v = xr[sw + kw * d2];
                if (first || v > best)
                    best = v;
            }
        }
        yr[ow] = best;
    }
    for (int32_t ow = 0; ow < p->out[2]; ow++)
        yr[ow] = kiln_clampf(yr[ow], p->act_lo, p->act_hi);
}

/* One NHWC output pixel at (od, oh, ow): C contiguous channels. */
static void max_pixel_nhwc(const kiln_pool_f32_params *p, const float *xn, float *y, int32_t od,
                           int32_t oh, int32_t ow)
{
    const int32_t C = p->channels;
    const int32_t s[3] = {od * p->stride[0] - p->pad[0], oh * p->stride[1] - p->pad[1],
                          ow * p->stride[2] - p->pad[2]};
    int32_t k0[3], k1[3];
    for (int a = 0; a < 3; a++)
        taps_inside(s[a], p->k[a], p->dil[a], p->in[a], &k0[a], &k1[a]);
    int first = 1;
    for (int32_t kd = k0[0]; kd < k1[0]; kd++)
    for (int32_t kh = k0[1]; kh < k1[1]; kh++)
    for (int32_t kw = k0[2]; kw < k1[2]; kw++) {
        const int32_t pix = ((s[0] + kd * p->dil[0]) * p->in[1] + s[1] + kh * p->dil[1]) * p->in[2] +
                            s[2] + kw * p->dil[2];
        const float *xp = xn + pix * C;
        if (first) {
            for (int32_t c = 0; c < C; c++)
                y[c] = xp[c];
            first = 0;
        } else {
            for (int32_t c = 0; c < C; c++)
                y[c] = xp[c] > y[c] ? xp[c] : y[c];
        }
    }
    if (first)
        for (int32_t c = 0; c < C; c++)
            y[c] = -HUGE_VALF;
    for (int32_t c = 0; c < C; c++)
        y[c] = kiln_clampf(y[c], p->act_lo, p->act_hi);
}

void kiln_maxpool_f32_fast(const kiln_pool_f32_params *p, const float *x, float *y)
{
    const int32_t in_pix = p->in[0] * p->in[1] * p->in[2];
    const int32_t out_pix = p->out[0] * p->out[1] * p->out[2];
    int32_t lo, hi;
    full_cols(p, &lo, &hi);
    for (int32_t n = 0; n < p->batch; n++) {
        const float *xn = x + n * p->channels * in_pix;
        float *yn = y + n * p->channels * out_pix;
        if (p->layout == KILN_LAYOUT_NHWC) {
            for (int32_t od = 0; od < p->out[0]; od++)
            for (int32_t oh = 0; oh < p->out[1]; oh++)
            for (int32_t ow = 0; ow < p->out[2]; ow++, yn += p->channels)
                max_pixel_nhwc(p, xn, yn, od, oh, ow);
            continue;
        }
        for (int32_t c = 0; c < p->channels; c++)
            for (int32_t od = 0; od < p->out[0]; od++)
            for (int32_t oh = 0; oh < p->out[1]; oh++)
                max_row_nchw(p, xn + c * in_pix, yn + (c * out_pix + (od * p->out[1] + oh) * p->out[2]),
                             od, oh, lo, hi);
    }
}
