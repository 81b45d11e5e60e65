/*
 * resize_f32.c - float32 N-D resize as a separable gather-interpolate.
 *
 * Everything that depends on the ONNX Resize attributes (coordinate
 * transform, nearest rounding, linear/cubic coefficients, antialias,
 * exclude_outside, the crop of tf_crop_and_resize) was turned by the
 * compiler into per-axis tables: for each output index, `taps` source
 * indices and weights.  This kernel only sums, for every output element,
 * the product of the axis weights times X over all tap combinations.  The
 * trailing `inner` dims (NHWC channels) are the innermost, contiguous loop.
 * Never allocates; Y must not overlap X.
 */
#include "kiln/kernels_f32.h"

void kiln_resize_f32(const kiln_resize_f32_params *p, const float *x, const int32_t *idx,
                     const float *wt, float *y)
{
    const int32_t na = p->naxes, inner = p->inner;
    int32_t xstride[KILN_MAX_DIMS];
    int32_t in_vol = 1, out_vol = 1;
    for (int32_t a = na - 1; a >= 0; a--) {
        xstride[a] = in_vol * inner;
        in_vol *= p->in_dim[a];
        out_vol *= p->out_dim[a];
    }
    for (int32_t o = 0; o < p->outer; o++) {
        const float *xo = x + o * in_vol * inner;
        float *yo = y + o * out_vol * inner;
        int32_t oi[KILN_MAX_DIMS] = {0};
        for (int32_t q = 0; q < out_vol; q++) {
            float *yp = yo + q * inner;
            /* First table entry of each axis for this output position. */
            int32_t row[KILN_MAX_DIMS];
            int outside = 0;
            for (int32_t a = 0; a < na; a++) {
                row[a] = p->off[a] + oi[a] * p->taps[a];
                if (idx[row[a]] < 0)
                    outside = 1;
            }
            if (outside) {
                for (int32_t j = 0; j < inner; j++)
                    yp[j] = p->extrapolation_value;
            } else {
                for (int32_t j = 0; j < inner; j++)
                    yp[j] = 0.0f;
                int32_t t[KILN_MAX_DIMS] = {0};
                for (;;) {
                    float wprod = 1.0f;
                    int32_t src = 0;
                    for (int32_t a = 0; a < na; a++) {
                        wprod *= wt[row[a] + t[a]];
                        src += idx[row[a] + t[a]] * xstride[a];
                    }
                    if (wprod != 0.0f) {
                        const float *xp = xo + src;
                        for (int32_t j = 0; j < inner; j++)
                            yp[j] += wprod * xp[j];
                    }
                    int32_t a = na - 1;
                    while (a >= 0 && ++t[a] == p->taps[a])
                        t[a--] = 0;
                    if (a < 0)
                        break;
                }
            }
            for (int32_t a = na - 1; a >= 0; a--) {
                if (++oi[a] < p->out_dim[a])
                    break;
                oi[a] = 0;
            }
        }
    }
}
