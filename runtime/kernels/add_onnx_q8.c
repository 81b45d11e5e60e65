/*
 * add_onnx_q8.c - ONNX-flavour quantized Add on int8 or uint8 tensors, as
 * onnxruntime's QLinearAdd computes it on x86 (MLAS's AVX2 kernel, which is
 * what its QDQ fusion runs there): the raw integers converted to float and
 * combined with two fused multiply-adds,
 *     y = sat(round_half_even(fma(a, a_ratio, fma(b, b_ratio, offset)))).
 * The float arithmetic is the definition here, not an approximation of an
 * integer one, so it lives in its own file like requant_onnx_s8.c.  Uses
 * fmaf from <math.h> (one VFMA instruction on a Cortex-M7 FPU); rounding uses
 * the 1.5*2^23 trick.  Never allocates.
 */
#include <math.h>

#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

static int32_t ld(const void *base, int32_t i, int32_t is_u8)
{
    return is_u8 ? (int32_t)((const uint8_t *)base)[i] : (int32_t)((const int8_t *)base)[i];
}

static int32_t round_even_sat(float v)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    if (v > 1048576.0f)
        v = 1048576.0f;
    if (v < -1048576.0f)
        v = -1048576.0f;
    volatile float t = v + magic;
    return (int32_t)(t - magic);
}

void kiln_add_onnx_q8(const kiln_add_q8_params *p, const void *a, const void *b, void *y)
{
    const int32_t *n = p->shape;
    int32_t i = 0;
    for (int32_t d0 = 0; d0 < n[0]; d0++)
        for (int32_t d1 = 0; d1 < n[1]; d1++)
            for (int32_t d2 = 0; d2 < n[2]; d2++)
                for (int32_t d3 = 0; d3 < n[3]; d3++)
                    for (int32_t d4 = 0; d4 < n[4]; d4++)
                        for (int32_t d5 = 0; d5 < n[5]; d5++, i++) {
                            const int32_t ia = d0 * p->a_stride[0] + d1 * p->a_stride[1] + d2 * p->a_stride[2] +
                                               d3 * p->a_stride[3] + d4 * p->a_stride[4] + d5 * p->a_stride[5];
                            const int32_t ib = d0 * p->b_stride[0] + d1 * p->b_stride[1] + d2 * p->b_stride[2] +
                                               d3 * p->b_stride[3] + d4 * p->b_stride[4] + d5 * p->b_stride[5];
                            const float fa = (float)ld(a, ia, p->a_u8), fb = (float)ld(b, ib, p->b_u8);
                            const float v = fmaf(fa, p->a_ratio, fmaf(fb, p->b_ratio, p->offset));
                            const int32_t r = kiln_clamp32(round_even_sat(v), p->act_min, p->act_max);
                            if (p->y_u8)
                                ((uint8_t *)y)[i] = (uint8_t)r;
                            else
                                ((int8_t *)y)[i] = (int8_t)r;
                        }
}
