/*
 * pool_f32.c - float32 max and average pooling, 1/2/3-D, NCHW or NHWC.
 *
 * For each output position the window's valid range is computed once per
 * axis (first and last kernel tap inside the input, by a short loop - k is
 * small), so the accumulation loops never test bounds.  Max pooling can also
 * write ONNX's int64 Indices.  Average pooling's divisor follows ir_ops.def:
 * taps inside [-pad, in + pad_end) with count_include_pad, else taps inside
 * the input.  Relies on the compiler's params; never allocates.
 */
#include <math.h>

#include "kiln/kernels_f32.h"
#include "f32_util.h"

/* Taps k in [0, k) with lo <= start + k*dil < hi: returns [*k0, *k1). */
static void tap_range(int32_t start, int32_t k, int32_t dil, int32_t lo, int32_t hi, int32_t *k0,
                      int32_t *k1)
{
    int32_t a = 0, b = k;
    while (a < k && start + a * dil < lo)
        a++;
    while (b > a && start + (b - 1) * dil >= hi)
        b--;
    *k0 = a;
    *k1 = b;
}

typedef struct window {
    int32_t k0[3], k1[3];       /* taps inside the input */
    int32_t start[3];           /* input coordinate of tap 0 */
} window;

static void window_at(const kiln_pool_f32_params *p, int32_t od, int32_t oh, int32_t ow, window *w)
{
    const int32_t o[3] = {od, oh, ow};
    for (int a = 0; a < 3; a++) {
        w->start[a] = o[a] * p->stride[a] - p->pad[a];
        tap_range(w->start[a], p->k[a], p->dil[a], 0, p->in[a], &w->k0[a], &w->k1[a]);
    }
}

void kiln_maxpool_f32(const kiln_pool_f32_params *p, const float *x, float *y, int64_t *indices)
{
    const int32_t in_pix = p->in[0] * p->in[1] * p->in[2];
    const int32_t out_pix = p->out[0] * p->out[1] * p->out[2];
    const kiln_lstride xs = kiln_layout_strides(p->layout, p->channels, in_pix);
    const kiln_lstride ys = kiln_layout_strides(p->layout, p->channels, out_pix);
    /* Index strides of (d, h, w) in the Indices output: row-major or, for
     * storage_order 1, column-major over the spatial dims. */
    int32_t is[3];
    if (p->storage_order) {
        is[0] = 1;
        is[1] = p->in[0];
        is[2] = p->in[0] * p->in[1];
    } else {
        is[2] = 1;
        is[1] = p->in[2];
        is[0] = p->in[1] * p->in[2];
    }
    for (int32_t n = 0; n < p->batch; n++) {
        const float *xn = x + n * p->channels * in_pix;
        float *yn = y + n * p->channels * out_pix;
        for (int32_t od = 0; od < p->out[0]; od++)
        for (int32_t oh = 0; oh < p->out[1]; oh++)
        for (int32_t ow = 0; ow < p->out[2]; ow++) {
            window w;
            window_at(p, od, oh, ow, &w);
            const int32_t opix = (od * p->out[1] + oh) * p->out[2] + ow;
            for (int32_t c = 0; c < p->channels; c++) {
                const float *xc = xn + c * xs.cs;
                float best = -HUGE_VALF;
                int32_t best_at = -1;   /* spatial index of the max, row-major pixel */
                int32_t best_idx = 0;   /* its Indices value within the plane */
                for (int32_t kd = w.k0[0]; kd < w.k1[0]; kd++) {
                    const int32_t id = w.start[0] + kd * p->dil[0];
                    for (int32_t kh = w.k0[1]; kh < w.k1[1]; kh++) {
                        const int32_t ih = w.start[1] + kh * p->dil[1];
                        for (int32_t kw = w.k0[2]; kw < w.k1[2]; kw++) {
                            const int32_t iw = w.start[2] + kw * p->dil[2];
                            const int32_t pix = (id * p->in[1] + ih) * p->in[2] + iw;
                            const float v = xc[pix * xs.ps];
                            if (best_at < 0 || v > best) {
                                best = v;
                                best_at = pix;
                                best_idx = id * is[0] + ih * is[1] + iw * is[2];
                            }
                        }
                    }
                }
                yn[opix * ys.ps + c * ys.cs] = kiln_clampf(best, p->act_lo, p->act_hi);
                if (indices)
                    indices[(int64_t)(n * p->channels + c) * out_pix + opix] =
                        (int64_t)(n * p->channels + c) * in_pix + best_idx;
            }
        }
    }
}

/* Taps of a window inside [lo, hi) along one axis (for the divisor). */
static int32_t count_inside(int32_t start, int32_t k, int32_t dil, int32_t lo, int32_t hi)
{
    int32_t k0, k1;
    tap_range(start, k, dil, lo, hi, &k0, &k1);
    return k1 - k0;
}

void kiln_avgpool_f32(const kiln_pool_f32_params *p, const float *x, float *y)
{
    const int32_t in_pix = p->in[0] * p->in[1] * p->in[2];
    const int32_t out_pix = p->out[0] * p->out[1] * p->out[2];
    const kiln_lstride xs = kiln_layout_strides(p->layout, p->channels, in_pix);
    const kiln_lstride ys = kiln_layout_strides(p->layout, p->channels, out_pix);
    for (int32_t n = 0; n < p->batch; n++) {
        const float *xn = x + n * p->channels * in_pix;
        float *yn = y + n * p->channels * out_pix;
        for (int32_t od = 0; od < p->out[0]; od++)
        for (int32_t oh = 0; oh < p->out[1]; oh++)
        for (int32_t ow = 0; ow < p->out[2]; ow++) {
            window w;
            window_at(p, od, oh, ow, &w);
            int32_t count = 1;
            for (int a = 0; a < 3; a++) {
                if (p->count_include_pad)
                    count *= count_inside(w.start[a], p->k[a], p->dil[a], -p->pad[a],
                                          p->in[a] + p->pad_end[a]);
                else
                    count *= w.k1[a] - w.k0[a];
            }
            const float inv = count > 0 ? 1.0f / (float)count : 0.0f;
            const int32_t opix = (od * p->out[1] + oh) * p->out[2] + ow;
            for (int32_t c = 0; c < p->channels; c++) {
                const float *xc = xn + c * xs.cs;
                float sum = 0.0f;
                for (int32_t kd = w.k0[0]; kd < w.k1[0]; kd++) {
                    const int32_t id = w.start[0] + kd * p->dil[0];
                    for (int32_t kh = w.k0[1]; kh < w.k1[1]; kh++) {
                        const int32_t ih = w.start[1] + kh * p->dil[1];
                        const float *xrow = xc + (id * p->in[1] + ih) * p->in[2] * xs.ps;
                        for (int32_t kw = w.k0[2]; kw < w.k1[2]; kw++)
                            sum += xrow[(w.start[2] + kw * p->dil[2]) * xs.ps];
                    }
                }
                yn[opix * ys.ps + c * ys.cs] = kiln_clampf(sum * inv, p->act_lo, p->act_hi);
            }
        }
    }
}
