/*
 * concat_s8.c - CONCATENATION of int8 tensors whose quantization differs
 * from the output's: each input is requantized on the way
 * (clamp(out_zp + MBQM(x - in_zp, mult, shift))).  Inputs with the output's
 * own quantization get the identity multiplier and are copied exactly.
 *
 * Integer arithmetic only.
 */
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

void kiln_concat_s8(const kiln_concat_s8_params *p, const int8_t *x0, const int8_t *x1,
                    const int8_t *x2, const int8_t *x3, const int8_t *x4, const int8_t *x5,
                    const int8_t *x6, const int8_t *x7, int8_t *y)
{
    const int8_t *const xs[KILN_CONCAT_MAX_INPUTS] = {x0, x1, x2, x3, x4, x5, x6, x7};
    int32_t out_axis = 0;
    for (int32_t k = 0; k < p->n_inputs; k++)
        out_axis += p->axis_len[k];
    int32_t axis_start = 0;
    for (int32_t k = 0; k < p->n_inputs; k++) {
        const int32_t len = p->axis_len[k] * p->inner;
        for (int32_t o = 0; o < p->outer; o++) {
            const int8_t *src = xs[k] + o * len;
            int8_t *dst = y + (o * out_axis + axis_start) * p->inner;
            for (int32_t i = 0; i < len; i++) {
                int32_t v = kiln_mbqm(src[i] - p->in_zp[k], p->mult[k], p->shift[k]) + p->out_zp;
                dst[i] = (int8_t)kiln_clamp32(v, -128, 127);
            }
        }
        axis_start += p->axis_len[k];
    }
}
