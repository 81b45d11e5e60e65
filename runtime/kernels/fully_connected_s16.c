/*
 * fully_connected_s16.c - 16x8 FULLY_CONNECTED, what TFLM's reference
 * FullyConnected / FullyConnectedPerChannel compute for int16 input: int64
 * accumulator, no input or output offset (zero points are 0), the weight
 * offset applied as the per-tensor int16 kernel does.
 *
 * Integer arithmetic only; never allocates.
 */
#include "kiln/kernels_s16.h"
#include "requant_s16.h"

void kiln_fully_connected_s16(const kiln_fc_s8_params *p, const int16_t *x, const int8_t *w,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift,
                              int16_t *y)
{
    const int32_t k = p->in_features, n = p->out_features;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t o = 0; o < n; o++) {
            int64_t acc = 0;
            for (int32_t d = 0; d < k; d++) {
                const int32_t wv = (int32_t)w[o * k + d] + p->w_offset;
                acc = kiln_add64_wrap(acc, (int32_t)x[b * k + d] * wv);
            }
            if (bias)
                acc = kiln_add64_wrap(acc, bias[o]);
            y[b * n + o] = (int16_t)kiln_clamp32(kiln_mbqm64(acc, mult[o], shift[o]),
                                                 p->rq.act_min, p->rq.act_max);
        }
}
