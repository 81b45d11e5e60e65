/*
 * fully_connected_s8.c - int8 FULLY_CONNECTED (TFLM reference FullyConnected
 * and FullyConnectedPerChannel) and the ONNX integer matrix products
 * (QLinearMatMul, MatMulInteger).
 *
 * Relies on requant_s8.h for the output stage.  Integer arithmetic only.
 */
#include "kiln/kernels_s8.h"
#include "requant_s8.h"

static void fc_core(const kiln_fc_s8_params *p, const void *x, const void *w, const int32_t *bias,
                    const int32_t *mult, const int32_t *shift, void *y)
{
    const int32_t k = p->in_features, n = p->out_features;
    for (int32_t b = 0; b < p->batch; b++)
        for (int32_t o = 0; o < n; o++) {
            uint32_t acc = 0; /* wraps modulo 2^32 like TFLite's int32 sums */
            for (int32_t d = 0; d < k; d++) {
                const int32_t xv = kiln_ld8(x, b * k + d, p->in_xor);
                const int32_t wv = kiln_ld8(w, o * k + d, p->w_xor);
                acc += (uint32_t)((wv + p->w_offset) * (xv + p->in_offset));
            }
            if (bias)
                acc += (uint32_t)bias[o];
            kiln_store_acc(&p->rq, (int32_t)acc, mult, shift, o, y, b * n + o);
        }
}

void kiln_fully_connected_s8(const kiln_fc_s8_params *p, const int8_t *x, const int8_t *w,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift,
                             int8_t *y)
{
    fc_core(p, x, w, bias, mult, shift, y);
}

void kiln_fully_connected_q8(const kiln_fc_s8_params *p, const void *x, const void *w,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift,
                             void *y)
{
    fc_core(p, x, w, bias, mult, shift, y);
}

void kiln_matmul_q8(const kiln_matmul_s8_params *p, const void *a, const void *b,
                    const int32_t *mult, const int32_t *shift, void *y)
{
    for (int32_t bt = 0; bt < p->batch; bt++) {
        const int32_t ab = bt * p->a_batch_stride, bb = bt * p->b_batch_stride;
        const int32_t yb = bt * p->m * p->n;
        for (int32_t i = 0; i < p->m; i++)
            for (int32_t j = 0; j < p->n; j++) {
                int32_t acc = 0;
                for (int32_t d = 0; d < p->k; d++) {
                    const int32_t av = kiln_ld8(a, ab + i * p->k + d, p->a_xor);
                    const int32_t bv = kiln_ld8(b, bb + d * p->n + j, p->b_xor);
                    acc += (av + p->a_offset) * (bv + p->b_offset);
                }
                kiln_store_acc(&p->rq, acc, mult, shift, j, y, yb + i * p->n + j);
            }
    }
}
