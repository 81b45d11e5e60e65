/*
 * test_kernels_s16.c - the 16x8 kernels (kernels_s16.h) and the int64
 * MultiplyByQuantizedMultiplier on cases worked out by hand from TFLite's
 * documented arithmetic (the arithmetic is in the comments): rounding ties
 * of both signs, left and right shifts per channel, saturation at the int16
 * limits, int64 biases far beyond int32, and the int32-accumulator CONV_2D
 * variant, whose double rounding differs on ties; int16 ADD/SUB/MUL (the
 * int8 binary arithmetic with left shift 15).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kiln/kernels.h"
#include "runtime/kernels/requant_s16.h"

#define Q_ONE 1073741824 /* 2^30: with shift 1 the multiplier 1.0, with shift 0 0.5 */
#define P46 ((int64_t)1 << 46)

static void reduced_multiplier(void **state)
{
    (void)state;
    assert_int_equal(kiln_reduce_mult16(Q_ONE), 16384);
    assert_int_equal(kiln_reduce_mult16(Q_ONE + 32768), 16385);     /* half rounds up */
    assert_int_equal(kiln_reduce_mult16(Q_ONE + 32767), 16384);
    assert_int_equal(kiln_reduce_mult16(0x7FFEFFFF), 0x7FFF);
    assert_int_equal(kiln_reduce_mult16(0x7FFF0000), 0x7FFF);       /* saturated, not 0x8000 */
    assert_int_equal(kiln_reduce_mult16(2147483647), 0x7FFF);
}

static void mbqm64_rounding(void **state)
{
    (void)state;
    /* x 0.5: (x * 2^14 + 2^14) >> 15 = floor((x + 1) / 2): ties towards +inf. */
    assert_int_equal(kiln_mbqm64(5, Q_ONE, 0), 3);    /* 2.5 -> 3 */
    assert_int_equal(kiln_mbqm64(-5, Q_ONE, 0), -2);  /* -2.5 -> -2 (int32 path: -3) */
    assert_int_equal(kiln_mbqm64(-3, Q_ONE, 0), -1);  /* -1.5 -> -1 */
    assert_int_equal(kiln_mbqm64(-1, Q_ONE, 0), 0);   /* -0.5 -> 0 */
    assert_int_equal(kiln_mbqm64(-4, Q_ONE, 0), -2);
    /* Left shift 2 (x 2.0): total shift 13. */
    assert_int_equal(kiln_mbqm64(3, Q_ONE, 2), 6);
    assert_int_equal(kiln_mbqm64(-7, Q_ONE, 2), -14);
    /* Right shift 3 (x 1/16): total 18; 6.25 -> 6, -1.5 -> -1, -2.5 -> -2. */
    assert_int_equal(kiln_mbqm64(100, Q_ONE, -3), 6);
    assert_int_equal(kiln_mbqm64(-24, Q_ONE, -3), -1);
    assert_int_equal(kiln_mbqm64(-40, Q_ONE, -3), -2);
    /* x = 2^46, x 2^-21: 2^25, past int16 but inside int32. */
    assert_int_equal(kiln_mbqm64(P46, Q_ONE, -20), 33554432);
    /* x 2^-32 (shift -31, total 46): 2^46 -> 16384; ties of both signs. */
    assert_int_equal(kiln_mbqm64(P46, Q_ONE, -31), 16384);
    assert_int_equal(kiln_mbqm64(P46 + ((int64_t)1 << 31), Q_ONE, -31), 16385);
    assert_int_equal(kiln_mbqm64(-P46 - ((int64_t)1 << 31), Q_ONE, -31), -16384);
    assert_int_equal(kiln_mbqm64(-P46 - P46 / 2, Q_ONE, -31), -24576);
}

static kiln_conv_s8_params conv_1x1(int32_t in_c, int32_t out_c, int32_t act_min, int32_t act_max)
{
    kiln_conv_s8_params p;
    memset(&p, 0, sizeof p);
    p.batch = 1, p.in_c = in_c, p.in_h = 1, p.in_w = 1, p.out_c = out_c, p.out_h = 1, p.out_w = 1;
    p.k_h = 1, p.k_w = 1, p.stride_h = 1, p.stride_w = 1, p.dil_h = 1, p.dil_w = 1;
    p.groups = 1, p.layout = KILN_LAYOUT_NHWC;
    p.rq.act_min = act_min, p.rq.act_max = act_max;
    return p;
}

/* x = {1000, -3}; w = {{3, 5}, {-2, 7}}.
 * ch 0: 3000 - 15 + 7 = 2992, x 1.0 (shift +1: a left shift) -> 2992;
 * ch 1: -2000 - 21 + 3 = -2018, x 0.25 (shift -1) = -504.5 -> -504 (tie up). */
static void conv_s16_per_channel_shifts(void **state)
{
    (void)state;
    const kiln_conv_s8_params p = conv_1x1(2, 2, -32768, 32767);
    const int16_t x[2] = {1000, -3};
    const int8_t w[4] = {3, 5, -2, 7};
    const int64_t bias[2] = {7, 3};
    const int32_t mult[2] = {Q_ONE, Q_ONE}, shift[2] = {1, -1};
    int16_t y[2];
    kiln_conv_s16(&p, x, w, bias, mult, shift, y);
    assert_int_equal(y[0], 2992);
    assert_int_equal(y[1], -504);
    /* Without bias: -2021 x 0.25 = -505.25 -> -505. */
    kiln_conv_s16(&p, x, w, NULL, mult, shift, y);
    assert_int_equal(y[0], 2985);
    assert_int_equal(y[1], -505);
}

/* The int32 variant (TFLM's ConvPerChannel<int32_t>, int32 bias): double
 * rounding, ties away from zero: -504.5 -> -505. */
static void conv_s16_acc32_rounds_away(void **state)
{
    (void)state;
    const kiln_conv_s8_params p = conv_1x1(2, 2, -32768, 32767);
    const int16_t x[2] = {1000, -3};
    const int8_t w[4] = {3, 5, -2, 7};
    const int32_t bias[2] = {7, 3};
    const int32_t mult[2] = {Q_ONE, Q_ONE}, shift[2] = {1, -1};
    int16_t y[2];
    kiln_conv_s16_acc32(&p, x, w, bias, mult, shift, y);
    assert_int_equal(y[0], 2992);
    assert_int_equal(y[1], -505);
}

/* 32767 * 127 * 2 = 8322818 x 1.0 saturates at 32767; with -128 weights at
 * -32768; a RELU range clamps a negative value to 0. */
static void conv_s16_saturates(void **state)
{
    (void)state;
    kiln_conv_s8_params p = conv_1x1(2, 2, -32768, 32767);
    const int16_t x[2] = {32767, 32767};
    const int8_t w[4] = {127, 127, -128, -128};
    const int32_t mult[2] = {Q_ONE, Q_ONE}, shift[2] = {1, 1};
    int16_t y[2];
    kiln_conv_s16(&p, x, w, NULL, mult, shift, y);
    assert_int_equal(y[0], 32767);
    assert_int_equal(y[1], -32768);
    p.rq.act_min = 0, p.rq.act_max = 100;
    kiln_conv_s16(&p, x, w, NULL, mult, shift, y);
    assert_int_equal(y[0], 100);
    assert_int_equal(y[1], 0);
}

/* Biases beyond int32 with x 2^-32 (shift -31): 2^46 -> 16384,
 * 2^46 + 2^31 -> 16384.5 -> 16385, -(2^46 + 2^31) -> -16384.5 -> -16384. */
static void conv_s16_int64_bias(void **state)
{
    (void)state;
    const kiln_conv_s8_params p = conv_1x1(1, 3, -32768, 32767);
    const int16_t x[1] = {0};
    const int8_t w[3] = {1, 1, 1};
    const int64_t bias[3] = {P46, P46 + ((int64_t)1 << 31), -P46 - ((int64_t)1 << 31)};
    const int32_t mult[3] = {Q_ONE, Q_ONE, Q_ONE}, shift[3] = {-31, -31, -31};
    int16_t y[3];
    kiln_conv_s16(&p, x, w, bias, mult, shift, y);
    assert_int_equal(y[0], 16384);
    assert_int_equal(y[1], 16385);
    assert_int_equal(y[2], -16384);
}

/* 3x3 input, 2x2 kernel, stride 1, pad 1 before: output (0,0) sees only
 * x(0,0) * w(1,1); output (1,1) sees x(0..1, 0..1). */
static void conv_s16_padding(void **state)
{
    (void)state;
    kiln_conv_s8_params p = conv_1x1(1, 1, -32768, 32767);
    p.in_h = p.in_w = 3, p.out_h = p.out_w = 3, p.k_h = p.k_w = 2, p.pad_t = p.pad_l = 1;
    const int16_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const int8_t w[4] = {1, 10, 100, -1};
    const int32_t mult[1] = {Q_ONE}, shift[1] = {1};
    int16_t y[9];
    kiln_conv_s16(&p, x, w, NULL, mult, shift, y);
    assert_int_equal(y[0], -1);                           /* x00 * w11 */
    assert_int_equal(y[4], 1 + 2 * 10 + 4 * 100 - 5);     /* 416 */
    assert_int_equal(y[8], 5 + 6 * 10 + 8 * 100 - 9);     /* 856 */
}

/* in_c 2, multiplier 2, a 1x2 kernel over a 1x2 input (valid):
 * oc0 = 10*1 + 30*-1 = -20; oc1 = 20 + 0 = 20 (+1 = 21); oc2 = -60 + 200 = 140
 * (+2 = 142); oc3 = -80 - 80 = -160 (+3 = -157); x 0.5, ties up:
 * -10, 10.5 -> 11, 71, -78.5 -> -78. */
static void depthwise_s16(void **state)
{
    (void)state;
    kiln_conv_s8_params p = conv_1x1(2, 4, -32768, 32767);
    p.in_w = 2, p.k_w = 2, p.groups = 2;
    const int16_t x[4] = {10, -20, 30, 40};
    const int8_t w[8] = {1, 2, 3, 4, -1, 0, 5, -2};
    const int64_t bias[4] = {0, 1, 2, 3};
    const int32_t mult[4] = {Q_ONE, Q_ONE, Q_ONE, Q_ONE}, shift[4] = {0, 0, 0, 0};
    int16_t y[4];
    kiln_depthwise_conv_s16(&p, x, w, bias, mult, shift, y);
    assert_int_equal(y[0], -10);
    assert_int_equal(y[1], 11);
    assert_int_equal(y[2], 71);
    assert_int_equal(y[3], -78);
}

/* Batch 2.  out0 (x 0.5): 100 - 400 + 900 - 1000 = -400 -> -200;
 * -6 - 1000 = -1006 -> -503.  out1 (x 2^-26): 2^40 - 3200 -> 16384 (the
 * -3200 is 0.00005); 2^40 + 5 -> 16384. */
static void fully_connected_s16(void **state)
{
    (void)state;
    kiln_fc_s8_params p;
    memset(&p, 0, sizeof p);
    p.batch = 2, p.in_features = 3, p.out_features = 2;
    p.rq.act_min = -32768, p.rq.act_max = 32767;
    const int16_t x[6] = {100, -200, 300, -1, -1, -1};
    const int8_t w[6] = {1, 2, 3, -4, 5, -6};
    const int64_t bias[2] = {-1000, (int64_t)1 << 40};
    const int32_t mult[2] = {Q_ONE, Q_ONE}, shift[2] = {0, -25};
    int16_t y[4];
    kiln_fully_connected_s16(&p, x, w, bias, mult, shift, y);
    assert_int_equal(y[0], -200);
    assert_int_equal(y[1], 16384);
    assert_int_equal(y[2], -503);
    assert_int_equal(y[3], 16384);
    /* A weight offset of +1 (weight zero point -1), no bias; out1 x 2^13
     * (shift +14, total shift 1).  b0: out0 = 100*2 - 200*3 + 300*4 = 800
     * -> 400; out1 = 100*-3 - 200*6 + 300*-5 = -3000 -> -24576000, saturated
     * to -32768.  b1: out1 = -(-3 + 6 - 5) = 2 -> 16384. */
    p.w_offset = 1;
    const int32_t shift2[2] = {0, 14};
    kiln_fully_connected_s16(&p, x, w, NULL, mult, shift2, y);
    assert_int_equal(y[0], 400);
    assert_int_equal(y[1], -32768);
    assert_int_equal(y[3], 16384);
}

/* avg: (sum +- count/2) / count truncated, i.e. half away from zero. */
static void pools_s16(void **state)
{
    (void)state;
    kiln_pool_s8_params p;
    memset(&p, 0, sizeof p);
    p.batch = 1, p.c = 1, p.in_h = 1, p.in_w = 4, p.out_h = 1, p.out_w = 2;
    p.k_h = 1, p.k_w = 2, p.stride_h = 1, p.stride_w = 2, p.layout = KILN_LAYOUT_NHWC;
    p.act_min = -32768, p.act_max = 32767;
    int16_t y[2];
    const int16_t a[4] = {1, 2, -1, -2};
    kiln_avgpool_s16(&p, a, y);
    assert_int_equal(y[0], 2);   /* 1.5 -> 2 */
    assert_int_equal(y[1], -2);  /* -1.5 -> -2 */
    const int16_t b[4] = {32767, 32766, -32768, -32767};
    kiln_avgpool_s16(&p, b, y);
    assert_int_equal(y[0], 32767);  /* 32766.5 -> 32767 */
    assert_int_equal(y[1], -32768); /* -32767.5 -> -32768 */
    kiln_maxpool_s16(&p, b, y);
    assert_int_equal(y[0], 32767);
    assert_int_equal(y[1], -32767);
    const int16_t c[4] = {-32768, -32768, 5, 900};
    p.act_min = -1000, p.act_max = 600;
    kiln_maxpool_s16(&p, c, y);
    assert_int_equal(y[0], -1000);
    assert_int_equal(y[1], 600);
}

/* A [1,n] op: no broadcasting, TFLM's int16 offsets (0). */
static kiln_binary_s8_params binary_1d(int32_t n, int32_t act_min, int32_t act_max)
{
    kiln_binary_s8_params p;
    memset(&p, 0, sizeof p);
    for (int d = 0; d < KILN_S8_MAX_DIMS; d++)
        p.shape[d] = 1;
    p.shape[5] = n, p.a_stride[5] = 1, p.b_stride[5] = 1;
    p.left_shift = 15;
    p.act_min = act_min, p.act_max = act_max;
    return p;
}

/* s_a = 1/1024, s_b = 1/2048, s_y = 1/512: twice_max = 1/512, so the
 * input multipliers are 0.5 (2^30, shift 0) and 0.25 (2^30, shift -1) and
 * the output one 2^-15 (2^30, shift -14).  a = 100, b = -3:
 * sa = (100 << 15) * 0.5 = 1638400, sb = (-3 << 15) * 0.25 = -24576;
 * ADD: 1613824 * 2^-15 = 49.25 -> 49; SUB: 1662976 * 2^-15 = 50.75 -> 51.
 * a = +-1, b = 0: +-16384 * 2^-15 = +-0.5 -> +-1 (ties away from zero). */
static void add_sub_s16_scales(void **state)
{
    (void)state;
    kiln_binary_s8_params p = binary_1d(3, -32768, 32767);
    p.a_mult = Q_ONE, p.a_shift = 0, p.b_mult = Q_ONE, p.b_shift = -1;
    p.out_mult = Q_ONE, p.out_shift = -14;
    const int16_t a[3] = {100, 1, -1}, b[3] = {-3, 0, 0};
    int16_t y[3];
    kiln_add_s16(&p, a, b, y);
    assert_int_equal(y[0], 49);
    assert_int_equal(y[1], 1);
    assert_int_equal(y[2], -1);
    kiln_sub_s16(&p, a, b, y);
    assert_int_equal(y[0], 51);
    assert_int_equal(y[1], 1);
    assert_int_equal(y[2], -1);
}

/* Equal scales (multipliers 0.5, 0.5 and 2^-14: the sum is exact) at the
 * int16 limits: 32767 + 32767 = 65534 saturates (the int32 sum
 * 2 * 32767 * 2^14 does not overflow); broadcasting b [2] over a [2,2] with
 * a clamp to [-15, 12]. */
static void add_s16_saturates_broadcasts(void **state)
{
    (void)state;
    kiln_binary_s8_params p = binary_1d(2, -32768, 32767);
    p.a_mult = Q_ONE, p.b_mult = Q_ONE, p.out_mult = Q_ONE, p.out_shift = -13;
    const int16_t a[2] = {32767, -32768}, b[2] = {32767, -32768};
    int16_t y[4];
    kiln_add_s16(&p, a, b, y);
    assert_int_equal(y[0], 32767);
    assert_int_equal(y[1], -32768);
    kiln_sub_s16(&p, a, b, y);
    assert_int_equal(y[0], 0);
    assert_int_equal(y[1], 0);

    p.shape[4] = 2, p.a_stride[4] = 2, p.b_stride[4] = 0;
    const int16_t a2[4] = {1, 2, 3, 4}, b2[2] = {10, -20};
    kiln_add_s16(&p, a2, b2, y);
    assert_int_equal(y[0], 11);
    assert_int_equal(y[1], -18);
    assert_int_equal(y[2], 13);
    assert_int_equal(y[3], -16);
    p.act_min = -15, p.act_max = 12;
    kiln_add_s16(&p, a2, b2, y);
    assert_int_equal(y[0], 11);
    assert_int_equal(y[1], -15);
    assert_int_equal(y[2], 12);
    assert_int_equal(y[3], -15);
}

/* s_a * s_b / s_y = 2^-10 * 2^-11 * 2^12 = 2^-9 (2^30, shift -8), on the raw
 * int32 product with the int32 MBQM (ties away from zero):
 * 300 * -7 = -2100 -> -4.10 -> -4; 256 * 3 = 768 -> 1.5 -> 2;
 * -256 * 3 -> -1.5 -> -2; 32767^2 and (-32768)^2 = 2^30 saturate. */
static void mul_s16(void **state)
{
    (void)state;
    kiln_binary_s8_params p = binary_1d(5, -32768, 32767);
    p.left_shift = 0;
    p.out_mult = Q_ONE, p.out_shift = -8;
    const int16_t a[5] = {300, 256, -256, 32767, -32768}, b[5] = {-7, 3, 3, 32767, -32768};
    int16_t y[5];
    kiln_mul_s16(&p, a, b, y);
    assert_int_equal(y[0], -4);
    assert_int_equal(y[1], 2);
    assert_int_equal(y[2], -2);
    assert_int_equal(y[3], 32767);
    assert_int_equal(y[4], 32767);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reduced_multiplier),
        cmocka_unit_test(mbqm64_rounding),
        cmocka_unit_test(conv_s16_per_channel_shifts),
        cmocka_unit_test(conv_s16_acc32_rounds_away),
        cmocka_unit_test(conv_s16_saturates),
        cmocka_unit_test(conv_s16_int64_bias),
        cmocka_unit_test(conv_s16_padding),
        cmocka_unit_test(depthwise_s16),
        cmocka_unit_test(fully_connected_s16),
        cmocka_unit_test(pools_s16),
        cmocka_unit_test(add_sub_s16_scales),
        cmocka_unit_test(add_s16_saturates_broadcasts),
        cmocka_unit_test(mul_s16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
