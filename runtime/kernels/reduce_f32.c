/*
 * reduce_f32.c - float32 mean over any set of axes.
 *
 * Y starts at zero; every X element is added to the output it reduces into
 * (output offset kept in step by an odometer with per-dim output strides,
 * 0 for reduced dims), then each output is divided by the element count.
 * X is read once, in order.  Y must not overlap X.
 */
#include "kiln/kernels_f32.h"

void kiln_reduce_mean_f32(const kiln_reduce_f32_params *p, const float *x, float *y)
{
    const int32_t r = p->rank;
    const int32_t n = p->in_shape[r - 1], ys = p->y_stride[r - 1];
    int32_t rows = 1;
    for (int32_t d = 0; d < r - 1; d++)
        rows *= p->in_shape[d];
    for (int32_t i = 0; i < p->out_size; i++)
        y[i] = 0.0f;

    int32_t idx[KILN_MAX_DIMS] = {0};
    int32_t yoff = 0;
    for (int32_t row = 0; row < rows; row++) {
        const float *xr = x + row * n;
        if (ys == 0) {
            float s = 0.0f;
            for (int32_t i = 0; i < n; i++)
                s += xr[i];
            y[yoff] += s;
        } else {
            for (int32_t i = 0; i < n; i++)
                y[yoff + i * ys] += xr[i];
        }
        for (int32_t d = r - 2; d >= 0; d--) {
            yoff += p->y_stride[d];
            if (++idx[d] < p->in_shape[d])
                break;
            yoff -= p->y_stride[d] * p->in_shape[d];
            idx[d] = 0;
        }
    }
    /* One true division per output (not a reciprocal multiply): the mean
     * then rounds exactly as sum/count does in the references. */
    const float cnt = (float)p->count;
    for (int32_t i = 0; i < p->out_size; i++)
        y[i] = y[i] / cnt;
}
