/*
 * softmax_s8.c - int8 SOFTMAX exactly as TFLM's reference quantized
 * Softmax: differences to the row maximum are rescaled to Q5.26 by the
 * beta/scale multiplier, exponentiated with gemmlowp's
 * exp_on_negative_values, summed in Q12.19, inverted with GetReciprocal and
 * rounded to the output's 8 (or 16) bits.  Differences below diff_min
 * contribute nothing and output the minimum.
 *
 * Integer arithmetic only; no lookup tables, no scratch.
 */
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

enum { SCALED_DIFF_BITS = 5, ACCUM_BITS = 12 };

/* exp(beta * s_in * diff) in Q0 for one input difference (diff <= 0). */
static int32_t exp_of_diff(const kiln_softmax_s8_params *p, int32_t diff)
{
    /* MultiplyByQuantizedMultiplierGreaterThanOne: left shift, high multiply. */
    int32_t rescaled = kiln_srdhm(kiln_shl_wrap(diff, p->in_left_shift), p->in_mult);
    return kiln_exp_on_negative_values(rescaled, SCALED_DIFF_BITS);
}

static void softmax_rows(const kiln_softmax_s8_params *p, const int8_t *x, void *y, int out_bits)
{
    const int32_t out_min = out_bits == 8 ? -128 : -32768;
    const int32_t out_max = out_bits == 8 ? 127 : 32767;
    for (int32_t o = 0; o < p->outer; o++)
        for (int32_t in = 0; in < p->inner; in++) {
            const int32_t base = o * p->depth * p->inner + in;
            int32_t max_in_row = -128;
            for (int32_t c = 0; c < p->depth; c++) {
                int32_t v = x[base + c * p->inner];
                if (v > max_in_row)
                    max_in_row = v;
            }
            int32_t sum_of_exps = 0; /* Q12 */
            for (int32_t c = 0; c < p->depth; c++) {
                int32_t diff = x[base + c * p->inner] - max_in_row;
                if (diff >= p->diff_min)
                    sum_of_exps += kiln_rescale(exp_of_diff(p, diff), 0, ACCUM_BITS);
            }
            int num_bits_over_unit;
            const int32_t shifted_scale =
                kiln_get_reciprocal(sum_of_exps, ACCUM_BITS, &num_bits_over_unit);
            const int exponent = num_bits_over_unit + 31 - out_bits;
            for (int32_t c = 0; c < p->depth; c++) {
                const int32_t i = base + c * p->inner;
                int32_t diff = x[i] - max_in_row;
                int32_t v = out_min;
                if (diff >= p->diff_min) {
                    int32_t prob = kiln_srdhm(shifted_scale, exp_of_diff(p, diff));
                    v = kiln_clamp32(kiln_rdbpot(prob, exponent) + out_min, out_min, out_max);
                }
                if (out_bits == 8)
                    ((int8_t *)y)[i] = (int8_t)v;
                else
                    ((int16_t *)y)[i] = (int16_t)v;
            }
        }
}

void kiln_softmax_s8(const kiln_softmax_s8_params *p, const int8_t *x, int8_t *y)
{
    softmax_rows(p, x, y, 8);
}

void kiln_softmax_s8_s16(const kiln_softmax_s8_params *p, const int8_t *x, int16_t *y)
{
    softmax_rows(p, x, y, 16);
}
