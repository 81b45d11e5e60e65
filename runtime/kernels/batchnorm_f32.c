/*
 * batchnorm_f32.c - inference BatchNormalization as a per-channel affine map.
 *
 * The compiler folds gamma, beta, mean, var and epsilon into one scale and
 * one shift per channel, so at run time this is y = x*scale[c] + shift[c]
 * over X viewed as [outer][channels][inner].  x == y is allowed.
 */
#include "kiln/kernels_f32.h"

void kiln_batchnorm_f32(const kiln_channel_affine_f32_params *p, const float *x,
                        const float *scale, const float *shift, float *y)
{
    const int32_t C = p->channels, S = p->inner;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t c = 0; c < C; c++) {
            const float sc = scale[c], sh = shift[c];
            const int32_t base = (o * C + c) * S;
            for (int32_t i = 0; i < S; i++)
                y[base + i] = x[base + i] * sc + sh;
        }
    }
}
