/*
 * mean_s8.c - int8 MEAN over any set of axes, as TFLM computes it: when
 * input and output quantization are identical, the integer sum of the raw
 * values divided by the count (C division, truncating); otherwise the sum
 * minus zp*count, rescaled by a multiplier that already holds 1/count
 * (reference QuantizedMeanOrSum), plus the output zero point.
 *
 * Sums each output directly (no scratch): integer sums do not depend on the
 * order.  Integer arithmetic only.
 */
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

void kiln_mean_s8(const kiln_mean_s8_params *p, const int8_t *x, int8_t *y)
{
    int32_t stride[KILN_S8_MAX_DIMS];
    int32_t s = 1;
    for (int d = KILN_S8_MAX_DIMS - 1; d >= 0; d--) {
        stride[d] = s;
        s *= p->shape[d];
    }
    /* Output odometer over kept dims; inner odometer over reduced dims. */
    int32_t oi[KILN_S8_MAX_DIMS] = {0};
    int32_t n_out = 1;
    for (int d = 0; d < KILN_S8_MAX_DIMS; d++)
        if (!p->reduce[d])
            n_out *= p->shape[d];
    for (int32_t o = 0; o < n_out; o++) {
        int32_t base = 0;
        for (int d = 0; d < KILN_S8_MAX_DIMS; d++)
            base += oi[d] * stride[d];
        int32_t ri[KILN_S8_MAX_DIMS] = {0};
        int32_t sum = 0;
        for (int32_t r = 0; r < p->count; r++) {
            int32_t off = base;
            for (int d = 0; d < KILN_S8_MAX_DIMS; d++)
                off += ri[d] * stride[d];
            sum += x[off];
            for (int d = KILN_S8_MAX_DIMS - 1; d >= 0; d--) {
                if (!p->reduce[d])
                    continue;
                if (++ri[d] < p->shape[d])
                    break;
                ri[d] = 0;
            }
        }
        int32_t v;
        if (p->same_quant)
            v = sum / p->count;
        else
            v = kiln_mbqm(sum - p->in_zp * p->count, p->mult, p->shift) + p->out_zp;
        y[o] = (int8_t)kiln_clamp32(v, -128, 127);
        for (int d = KILN_S8_MAX_DIMS - 1; d >= 0; d--) {
            if (p->reduce[d])
                continue;
            if (++oi[d] < p->shape[d])
                break;
            oi[d] = 0;
        }
    }
}
