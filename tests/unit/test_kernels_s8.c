/*
 * test_kernels_s8.c - the int8 kernels and their fixed-point primitives
 * against independent values: cases worked out by hand from TFLite's
 * documented arithmetic (the arithmetic is in the comments), and, for the
 * gemmlowp exp/logistic/tanh/softmax, values from a separate numpy
 * implementation (tests/gen/gen_s8_fixedpoint.py -> s8_expected.h).
 * Also checks what lower_s8 claims and the errors it gives.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiln/kernels_s8.h"
#include "passes/lower.h"
#include "passes/quant_util.h"
#include "runtime/kernels/fixedpoint_s8.h"
#include "unit/s8_expected.h"

#define Q_ONE 1073741824 /* 2^30: with shift 1 the multiplier 1.0, with shift 0 0.5 */

static void rounding_divide_by_pot_ties(void **state)
{
    (void)state;
    assert_int_equal(kiln_rdbpot(5, 1), 3);    /* 2.5 -> 3: ties away from zero */
    assert_int_equal(kiln_rdbpot(-5, 1), -3);  /* -2.5 -> -3 */
    assert_int_equal(kiln_rdbpot(-3, 1), -2);  /* -1.5 -> -2 */
    assert_int_equal(kiln_rdbpot(-2, 2), -1);  /* -0.5 -> -1 */
    assert_int_equal(kiln_rdbpot(2, 2), 1);    /* 0.5 -> 1 */
    assert_int_equal(kiln_rdbpot(-7, 2), -2);  /* -1.75 -> -2 */
    assert_int_equal(kiln_rdbpot(-9, 3), -1);  /* -1.125 -> -1 */
    assert_int_equal(kiln_rdbpot(-6, 0), -6);
    assert_int_equal(kiln_rdbpot(KILN_I32_MIN, 31), -1);
}

static void srdhm_rounding_and_saturation(void **state)
{
    (void)state;
    /* a*b/2^31 with the nudge: +0.5 -> 1, but -0.5 -> 0 and -1.5 -> -1 (VQRDMULH rounds half up). */
    assert_int_equal(kiln_srdhm(1, Q_ONE), 1);
    assert_int_equal(kiln_srdhm(-1, Q_ONE), 0);
    assert_int_equal(kiln_srdhm(-3, Q_ONE), -1);
    assert_int_equal(kiln_srdhm(3, Q_ONE), 2);
    /* -1 * -1 saturates to the largest value. */
    assert_int_equal(kiln_srdhm(KILN_I32_MIN, KILN_I32_MIN), KILN_I32_MAX);
    /* -1 * (1 - 2^-31) = -(2^31 - 1) / 2^31 */
    assert_int_equal(kiln_srdhm(KILN_I32_MIN, KILN_I32_MAX), -2147483647);
}

static void multiply_by_quantized_multiplier(void **state)
{
    (void)state;
    assert_int_equal(kiln_mbqm(3, Q_ONE, 1), 3);       /* x 1.0: left shift 1, then x 0.5 */
    assert_int_equal(kiln_mbqm(100, Q_ONE, 0), 50);    /* x 0.5 */
    /* 0.1 = (1717986918, -3): 1000 * 0.8 = 799.9999998 -> 800, / 8 = 100. */
    assert_int_equal(kiln_mbqm(1000, 1717986918, -3), 100);
    /* -1004: -803.2 -> -803, / 8 = -100.375 -> -100. */
    assert_int_equal(kiln_mbqm(-1004, 1717986918, -3), -100);
    /* Double rounding (TFLM's default): 1 x 0.25 = (2^30, -1): 1 * 0.5 = 0.5 -> 1, then
     * 1 / 2 = 0.5 -> 1.  Single rounding would give round(0.25) = 0. */
    assert_int_equal(kiln_mbqm(1, Q_ONE, -1), 1);
}

static void exp_on_negative_values_matches_numpy(void **state)
{
    (void)state;
    for (int i = 0; i < S8X_EXP_N; i++)
        assert_int_equal(kiln_exp_on_negative_values(s8x_exp_in[i], 5), s8x_exp_out[i]);
    /* and it is close to exp(): Q5.26 -1.0 -> exp(-1) * 2^31 = 790015084.2 */
    assert_true(labs((long)kiln_exp_on_negative_values(-(1 << 26), 5) - 790015084L) < 1000);
}

static kiln_sigmoid_s8_params sigmoid_params(float scale, int32_t zp, int n)
{
    kiln_sigmoid_s8_params p = {0};
    int s;
    p.n = n;
    p.in_zp = zp;
    assert_true(qu_frexp_multiplier((double)scale * 134217728.0, &p.in_mult, &s));
    p.in_shift = s;
    p.range_radius = qu_input_radius(4, s, 31);
    return p;
}

static void logistic_and_tanh_match_numpy(void **state)
{
    (void)state;
    int8_t y[S8X_N];
    for (int c = 0; c < S8X_ACT_CASES; c++) {
        kiln_sigmoid_s8_params p = sigmoid_params(s8x_act_scale[c], s8x_act_zp[c], S8X_N);
        kiln_logistic_s8(&p, s8x_inputs, y);
        assert_memory_equal(y, s8x_logistic[c], S8X_N);
        kiln_tanh_s8(&p, s8x_inputs, y);
        assert_memory_equal(y, s8x_tanh[c], S8X_N);
    }
}

static void softmax_matches_numpy(void **state)
{
    (void)state;
    for (int i = 0; i < S8X_SM_N; i++) {
        kiln_softmax_s8_params p = {0};
        int ls;
        qu_softmax_scaling((double)s8x_sm[i].beta, (double)s8x_sm[i].scale, 5, &p.in_mult, &ls);
        p.in_left_shift = ls;
        p.diff_min = -qu_input_radius(5, ls, 31);
        p.outer = 1, p.depth = s8x_sm[i].n, p.inner = 1;
        int8_t y[16];
        kiln_softmax_s8(&p, s8x_sm[i].in, y);
        assert_memory_equal(y, s8x_sm[i].out, (size_t)s8x_sm[i].n);
    }
}

static void softmax_uniform_row_is_a_quarter(void **state)
{
    (void)state;
    /* Four equal inputs: each 0.25 = 64/256 -> 64 - 128 = -64, whatever the scale. */
    const int8_t x[8] = {9, 9, 9, 9, -3, -3, -3, -3};
    int8_t y[8];
    kiln_softmax_s8_params p = {.outer = 2, .depth = 4, .inner = 1};
    int ls;
    qu_softmax_scaling(1.0, 0.1, 5, &p.in_mult, &ls);
    p.in_left_shift = ls;
    p.diff_min = -qu_input_radius(5, ls, 31);
    kiln_softmax_s8(&p, x, y);
    for (int i = 0; i < 8; i++)
        assert_int_equal(y[i], -64);
}

static kiln_requant rq_plain(int32_t zp)
{
    kiln_requant r = {KILN_RQ_TFLITE, zp, -128, 127, 0};
    return r;
}

static void sums_wrap_like_tflite(void **state)
{
    (void)state;
    /* bias INT32_MAX plus a sum of 2 wraps to INT32_MIN + 1 (TFLite's int32 sums wrap on every
     * machine it runs on); a multiplier of 0.5 gives -2^30 -> saturates to -128.  The sum alone
     * without the bias (2 -> 1) gives +1: the wrap, not the bias, decides the sign. */
    const int8_t x[2] = {1, 1}, w[2] = {1, 1};
    const int32_t bias[1] = {INT32_MAX}, nobias[1] = {0}, mult[1] = {Q_ONE}, shift[1] = {0};
    kiln_fc_s8_params f = {.batch = 1, .in_features = 2, .out_features = 1, .rq = rq_plain(0)};
    int8_t y[1];
    kiln_fully_connected_s8(&f, x, w, bias, mult, shift, y);
    assert_int_equal(y[0], -128);
    kiln_fully_connected_s8(&f, x, w, nobias, mult, shift, y);
    assert_int_equal(y[0], 1);
    kiln_conv_s8_params c = {.batch = 1, .in_c = 2, .in_h = 1, .in_w = 1, .out_c = 1, .out_h = 1,
                             .out_w = 1, .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1,
                             .dil_h = 1, .dil_w = 1, .groups = 1, .layout = KILN_LAYOUT_NHWC,
                             .rq = rq_plain(0)};
    kiln_conv_s8(&c, x, w, bias, mult, shift, y);
    assert_int_equal(y[0], -128);
}

static void conv_padding_and_rounding(void **state)
{
    (void)state;
    /* x 2x2x1 = [[1,2],[3,4]], zp 1 -> [[0,1],[2,3]]; w 2x2 ones; bias 10; pad 1 all round,
     * out 3x3; multiplier 0.5; out zp 5.  Each output: (sum of covered x + 10) / 2 + 5:
     *   (0,0): 10 -> 5 -> 10       (0,1): 11 -> 5.5 -> 6 -> 11   (0,2): 11 -> 11
     *   (1,0): 12 -> 6 -> 11       (1,1): 16 -> 8 -> 13          (1,2): 14 -> 7 -> 12
     *   (2,0): 12 -> 11            (2,1): 15 -> 7.5 -> 8 -> 13   (2,2): 13 -> 6.5 -> 7 -> 12 */
    const int8_t x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1};
    const int32_t bias[1] = {10}, mult[1] = {Q_ONE}, shift[1] = {0};
    const int8_t want[9] = {10, 11, 11, 11, 13, 12, 11, 13, 12};
    kiln_conv_s8_params p = {.batch = 1, .in_c = 1, .in_h = 2, .in_w = 2, .out_c = 1, .out_h = 3,
                             .out_w = 3, .k_h = 2, .k_w = 2, .stride_h = 1, .stride_w = 1,
                             .dil_h = 1, .dil_w = 1, .pad_t = 1, .pad_l = 1, .groups = 1,
                             .layout = KILN_LAYOUT_NHWC, .in_offset = -1, .rq = rq_plain(5)};
    int8_t y[9];
    kiln_conv_s8(&p, x, w, bias, mult, shift, y);
    assert_memory_equal(y, want, 9);
    p.layout = KILN_LAYOUT_NCHW; /* one channel: same memory order */
    kiln_conv_s8(&p, x, w, bias, mult, shift, y);
    assert_memory_equal(y, want, 9);
}

static void conv_two_channels_nchw_vs_nhwc(void **state)
{
    (void)state;
    /* 1x1 conv, 2 in channels, 2 pixels, 1 out channel, w = [1, -2], mult 1.0:
     * pixel0 (3, 1) -> 3 - 2 = 1; pixel1 (5, 4) -> 5 - 8 = -3. */
    const int8_t x_nhwc[4] = {3, 1, 5, 4}, x_nchw[4] = {3, 5, 1, 4}, w[2] = {1, -2};
    const int32_t mult[1] = {Q_ONE}, shift[1] = {1};
    kiln_conv_s8_params p = {.batch = 1, .in_c = 2, .in_h = 1, .in_w = 2, .out_c = 1, .out_h = 1,
                             .out_w = 2, .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1,
                             .dil_h = 1, .dil_w = 1, .groups = 1, .layout = KILN_LAYOUT_NHWC,
                             .rq = rq_plain(0)};
    int8_t y[2];
    kiln_conv_s8(&p, x_nhwc, w, NULL, mult, shift, y);
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], -3);
    p.layout = KILN_LAYOUT_NCHW;
    kiln_conv_s8(&p, x_nchw, w, NULL, mult, shift, y);
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], -3);
}

static void conv_uint8_onnx_requant(void **state)
{
    (void)state;
    /* ONNX QLinearConv-like 1x1: x u8 = 130 with zp 128 -> 2; w u8 = 131 with zp 128 -> 3;
     * acc = 6; scale 0.25 -> 1.5 -> round half even 2; y u8 zp 100 -> 102.
     * Second pixel x = 131 -> 3 * 3 = 9 * 0.25 = 2.25 -> 2 -> 102; third 129 -> 0.75 -> 1 -> 101. */
    const uint8_t x[3] = {130, 131, 129}, w[1] = {131};
    const int32_t mult[1] = {qu_float_bits(0.25f)};
    kiln_conv_s8_params p = {.batch = 1, .in_c = 1, .in_h = 1, .in_w = 3, .out_c = 1, .out_h = 1,
                             .out_w = 3, .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1,
                             .dil_h = 1, .dil_w = 1, .groups = 1, .layout = KILN_LAYOUT_NCHW,
                             .in_offset = -(128 - 128), .w_offset = -(128 - 128), .in_xor = 0x80,
                             .w_xor = 0x80,
                             .rq = {KILN_RQ_ONNX, 100 - 128, -128, 127, 0x80}};
    uint8_t y[3];
    kiln_conv_q8(&p, x, w, NULL, mult, NULL, y);
    assert_int_equal(y[0], 102);
    assert_int_equal(y[1], 102);
    assert_int_equal(y[2], 101);
}

static void onnx_requant_rounds_half_even(void **state)
{
    (void)state;
    assert_int_equal(kiln_requant_onnx(5, qu_float_bits(0.5f)), 2);   /* 2.5 -> 2 */
    assert_int_equal(kiln_requant_onnx(7, qu_float_bits(0.5f)), 4);   /* 3.5 -> 4 */
    assert_int_equal(kiln_requant_onnx(-5, qu_float_bits(0.5f)), -2);  /* -2.5 -> -2 */
    assert_int_equal(kiln_requant_onnx(-7, qu_float_bits(0.5f)), -4);  /* -3.5 -> -4 */
    assert_int_equal(kiln_requant_onnx(100000000, qu_float_bits(1.0f)), 1048576); /* saturates */
}

static void depthwise_multiplier_two(void **state)
{
    (void)state;
    /* 2 channels, multiplier 2, 1x1 kernel: out channel o reads channel o/2.
     * x = (10, -20), w = (1, 2, 3, -1) -> (10, 20, -60, 20). */
    const int8_t x[2] = {10, -20}, w[4] = {1, 2, 3, -1};
    const int32_t mult[4] = {Q_ONE, Q_ONE, Q_ONE, Q_ONE}, shift[4] = {1, 1, 1, 1};
    const int8_t want[4] = {10, 20, -60, 20};
    kiln_conv_s8_params p = {.batch = 1, .in_c = 2, .in_h = 1, .in_w = 1, .out_c = 4, .out_h = 1,
                             .out_w = 1, .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1,
                             .dil_h = 1, .dil_w = 1, .groups = 2, .layout = KILN_LAYOUT_NHWC,
                             .rq = rq_plain(0)};
    int8_t y[4];
    kiln_depthwise_conv_s8(&p, x, w, NULL, mult, shift, y);
    assert_memory_equal(y, want, 4);
}

static void fully_connected_offsets_bias_clamp(void **state)
{
    (void)state;
    /* x = (1, 2, 3) zp -1 -> (2, 3, 4); w = [[1, 0, -1], [2, 2, 2], [100, 100, 100]];
     * bias (0, -18, 0): y = (2 - 4, 2*9 - 18, 900) = (-2, 0, 900); x 1.0; zp 3 -> (1, 3, 127 clamped). */
    const int8_t x[3] = {1, 2, 3}, w[9] = {1, 0, -1, 2, 2, 2, 100, 100, 100};
    const int32_t bias[3] = {0, -18, 0}, mult[3] = {Q_ONE, Q_ONE, Q_ONE}, shift[3] = {1, 1, 1};
    kiln_fc_s8_params p = {.batch = 1, .in_features = 3, .out_features = 3, .in_offset = 1,
                           .rq = rq_plain(3)};
    int8_t y[3];
    kiln_fully_connected_s8(&p, x, w, bias, mult, shift, y);
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], 3);
    assert_int_equal(y[2], 127);
}

static void avgpool_rounds_half_away_from_zero(void **state)
{
    (void)state;
    /* 2x2 window over 2x2, NHWC, 4 channels; sums -3, 2, -2, 6 over 4 values:
     * -0.75 -> (-3-2)/4 = -1; 0.5 -> (2+2)/4 = 1; -0.5 -> (-2-2)/4 = -1; 1.5 -> (6+2)/4 = 2. */
    const int8_t x[16] = {-1, 1, -1, 3, -2, 1, -1, 3, 0, 0, 0, 0, 0, 0, 0, 0};
    const int8_t want[4] = {-1, 1, -1, 2};
    kiln_pool_s8_params p = {.batch = 1, .c = 4, .in_h = 2, .in_w = 2, .out_h = 1, .out_w = 1,
                             .k_h = 2, .k_w = 2, .stride_h = 1, .stride_w = 1,
                             .layout = KILN_LAYOUT_NHWC, .act_min = -128, .act_max = 127};
    int8_t y[4];
    kiln_avgpool_s8(&p, x, y);
    assert_memory_equal(y, want, 4);
    /* With a pad of 1 before, the 2x2 window at (0,0) sees one pixel: count 1, not 4. */
    kiln_pool_s8_params q = p;
    q.out_h = q.out_w = 2, q.pad_t = q.pad_l = 1, q.c = 1, q.in_h = q.in_w = 2;
    const int8_t x1[4] = {8, 4, 2, 1};
    int8_t y1[4];
    kiln_avgpool_s8(&q, x1, y1);
    assert_int_equal(y1[0], 8);       /* 8 / 1 */
    assert_int_equal(y1[1], 6);       /* (8 + 4) / 2 */
    assert_int_equal(y1[3], 4);       /* (15 + 2) / 4 = 4 (3.75 -> 4) */
}

static void maxpool_with_activation(void **state)
{
    (void)state;
    const int8_t x[4] = {-5, -9, -7, -6};
    kiln_pool_s8_params p = {.batch = 1, .c = 1, .in_h = 2, .in_w = 2, .out_h = 1, .out_w = 1,
                             .k_h = 2, .k_w = 2, .stride_h = 2, .stride_w = 2,
                             .layout = KILN_LAYOUT_NCHW, .act_min = -128, .act_max = 127};
    int8_t y;
    kiln_maxpool_s8(&p, x, &y);
    assert_int_equal(y, -5);
    p.act_min = -2; /* a fused RELU with zero point -2 */
    kiln_maxpool_s8(&p, x, &y);
    assert_int_equal(y, -2);
}

/* ---- ONNX flavour (pool_onnx_q8.c, add_onnx_q8.c) ---- */

static void maxpool_q8_uint8(void **state)
{
    (void)state;
    /* uint8 read as unsigned: 200 > 100 > 3 (a signed read would make 200
     * the smallest); a fused ReLU with zero point 120 clamps 100 up to 120. */
    const uint8_t x[8] = {3, 200, 100, 7, 100, 3, 90, 110};
    kiln_pool_q8_params p = {.pool = {.batch = 1, .c = 2, .in_h = 2, .in_w = 2, .out_h = 1, .out_w = 1,
                                      .k_h = 2, .k_w = 2, .stride_h = 2, .stride_w = 2,
                                      .layout = KILN_LAYOUT_NCHW, .act_min = 0, .act_max = 255},
                             .is_u8 = 1};
    uint8_t y[2];
    kiln_maxpool_q8(&p, x, y);
    assert_int_equal(y[0], 200);
    assert_int_equal(y[1], 110);
    p.pool.act_min = 120;
    kiln_maxpool_q8(&p, x, y);
    assert_int_equal(y[1], 120);
}

static void global_avgpool_onnx_rounds_half_even(void **state)
{
    (void)state;
    /* MLAS QLinearGlobalAveragePool: acc = sum - zp_in*4, then acc * scale with
     * scale = 0.5 / (0.5 * 4) = 0.25, rounded half to even, + zp_out 10.
     * Channel 0: 10+11+12+13 - 40 = 6 -> 1.5 -> 2 -> 12.
     * Channel 1: 10+10+10+12 - 40 = 2 -> 0.5 -> 0 -> 10 (half away: 11).
     * Channel 2: 9+9+9+8 - 40 = -5 -> -1.25 -> -1 -> 9. */
    const uint8_t x[12] = {10, 11, 12, 13, 10, 10, 10, 12, 9, 9, 9, 8};
    kiln_pool_q8_params p = {.pool = {.batch = 1, .c = 3, .in_h = 2, .in_w = 2, .out_h = 1, .out_w = 1,
                                      .k_h = 2, .k_w = 2, .stride_h = 1, .stride_w = 1,
                                      .layout = KILN_LAYOUT_NCHW, .act_min = 0, .act_max = 255},
                             .is_u8 = 1, .global = 1, .in_zp = 10, .out_zp = 10, .scale = 0.25f};
    uint8_t y[3];
    kiln_avgpool_onnx_q8(&p, x, y);
    assert_int_equal(y[0], 12);
    assert_int_equal(y[1], 10);
    assert_int_equal(y[2], 9);
}

static void avgpool_onnx_follows_float_order(void **state)
{
    (void)state;
    /* QLinearAveragePool in float32, int8 x = {-5, -2}, one 1x2 window,
     * scales 0.3f (0x1.333334p-2), zero points 0:
     *   0.3f*-5 = -1.5, 0.3f*-2 = -0x1.333334p-1; sum -0x1.0ccccc0p+1;
     *   / 2 = -0x1.0ccccc0p+0; / 0.3f = -0x1.bffffe0p+1 = -3.49999976
     *   -> -3.  The exact average -3.5 would round to -4 (half even) and
     *   to -4 (half away): only the float order gives onnxruntime's -3. */
    const int8_t x[2] = {-5, -2};
    kiln_pool_q8_params p = {.pool = {.batch = 1, .c = 1, .in_h = 1, .in_w = 2, .out_h = 1, .out_w = 1,
                                      .k_h = 1, .k_w = 2, .stride_h = 1, .stride_w = 1,
                                      .layout = KILN_LAYOUT_NCHW, .act_min = -128, .act_max = 127},
                             .in_scale = 0.3f, .out_scale = 0.3f};
    int8_t y;
    kiln_avgpool_onnx_q8(&p, x, &y);
    assert_int_equal(y, -3);
    /* The output zero point is added in float before rounding: with zp 100
     * (uint8 domain) -3.49999976 + 100 = 96.5 exactly in float -> 96 (even). */
    const uint8_t xu[2] = {95, 98};   /* the same values -5, -2 around in_zp 100 */
    kiln_pool_q8_params q = p;
    q.is_u8 = 1, q.in_zp = 100, q.out_zp = 100, q.pool.act_min = 0, q.pool.act_max = 255;
    uint8_t yu;
    kiln_avgpool_onnx_q8(&q, xu, &yu);
    assert_int_equal(yu, 96);
}

static void add_onnx_x86_formula(void **state)
{
    (void)state;
    /* a_ratio 0.5, b_ratio 0.25, offset = 10 - (0.5*4 + 0.25*8) = 6 (zp_a 4,
     * zp_b 8, zp_y 10), all exact in float; y = fma(a, .5, fma(b, .25, 6)).
     * a [2, 2] = {9, 5, 7, 255} plus b = {10, 8} broadcast along the rows:
     *   (0,0) a 9,   b 10: 8.5 + 4.5   = 13
     *   (0,1) a 5,   b 8:  8 + 2.5     = 10.5 -> 10 (half to even)
     *   (1,0) a 7,   b 10: 8.5 + 3.5   = 12
     *   (1,1) a 255, b 8:  8 + 127.5   = 135.5 -> 136 (half to even)
     * then with a fused clamp act_max 130: 136 -> 130. */
    const uint8_t a[4] = {9, 5, 7, 255}, b[2] = {10, 8};
    kiln_add_q8_params p = {.shape = {1, 1, 1, 1, 2, 2}, .a_stride = {0, 0, 0, 0, 2, 1},
                            .b_stride = {0, 0, 0, 0, 0, 1}, .a_u8 = 1, .b_u8 = 1, .y_u8 = 1,
                            .a_ratio = 0.5f, .b_ratio = 0.25f, .offset = 6.0f, .act_min = 0, .act_max = 255};
    uint8_t y[4];
    const uint8_t want[4] = {13, 10, 12, 136};
    kiln_add_onnx_q8(&p, a, b, y);
    assert_memory_equal(y, want, 4);
    p.act_max = 130;
    kiln_add_onnx_q8(&p, a, b, y);
    assert_int_equal(y[3], 130);
}

static void add_with_broadcast(void **state)
{
    (void)state;
    /* All scales 0.5, zero points 0: twice_max = 1, input multipliers 0.5 = (2^30, 0),
     * output 1 / (2^20 * 0.5) = 2^-19 = (2^30, -18).  a + b exactly, e.g. 3 + 4:
     * 3 << 20 = 3145728 -> x 0.5 = 1572864; 4 -> 2097152; sum 3670016 -> x 2^-19 = 7.
     * a [2, 2] + b [2] broadcast along rows. */
    const int8_t a[4] = {3, -10, 100, 1}, b[2] = {4, -1};
    const int8_t want[4] = {7, -11, 104, 0};
    kiln_binary_s8_params p = {.shape = {1, 1, 1, 1, 2, 2}, .a_stride = {0, 0, 0, 0, 2, 1},
                               .b_stride = {0, 0, 0, 0, 0, 1}, .left_shift = 20, .a_mult = Q_ONE,
                               .b_mult = Q_ONE, .out_mult = Q_ONE, .out_shift = -18,
                               .act_min = -128, .act_max = 127};
    int8_t y[4];
    kiln_add_s8(&p, a, b, y);
    assert_memory_equal(y, want, 4);
    /* SUB: 3 - 4 = -1, -10 + 1 = -9, 96, 2 */
    const int8_t want_sub[4] = {-1, -9, 96, 2};
    kiln_sub_s8(&p, a, b, y);
    assert_memory_equal(y, want_sub, 4);
}

static void mul_and_minmax(void **state)
{
    (void)state;
    /* MUL: 10 * -3 = -30, x 0.1 = (1717986918, -3): -24 (from -23.99999) / 8 = -3. */
    const int8_t a[1] = {10}, b[1] = {-3};
    kiln_binary_s8_params p = {.shape = {1, 1, 1, 1, 1, 1}, .out_mult = 1717986918, .out_shift = -3,
                               .act_min = -128, .act_max = 127};
    int8_t y[1];
    kiln_mul_s8(&p, a, b, y);
    assert_int_equal(y[0], -3);
    /* MIN/MAX with equal quantization (zp 5): identity rescale, raw compare. */
    kiln_binary_s8_params m = {.shape = {1, 1, 1, 1, 1, 1}, .a_offset = -5, .b_offset = -5,
                               .out_offset = 5, .a_mult = Q_ONE, .a_shift = 1, .b_mult = Q_ONE,
                               .b_shift = 1, .act_min = -128, .act_max = 127};
    kiln_min_s8(&m, a, b, y);
    assert_int_equal(y[0], -3);
    kiln_max_s8(&m, a, b, y);
    assert_int_equal(y[0], 10);
}

static void requantize_u8_to_s8_and_clip(void **state)
{
    (void)state;
    /* u8 zp 128 -> s8 zp 0, same scale: x 1.0, y = x - 128. */
    const uint8_t x[3] = {0, 128, 255};
    int8_t y[3];
    kiln_requantize_params p = {.n = 3, .in_type = KILN_QT_U8, .out_type = KILN_QT_S8,
                                .in_zp = 128, .out_zp = 0, .mult = Q_ONE, .shift = 1,
                                .act_min = -128, .act_max = 127};
    kiln_requantize_q(&p, x, y);
    assert_int_equal(y[0], -128);
    assert_int_equal(y[1], 0);
    assert_int_equal(y[2], 127);
    /* RELU6 on s8, scale 0.05 zp -10: clamp to [-10, 110]. */
    const int8_t xs[3] = {-50, 50, 120};
    kiln_requantize_params c = {.n = 3, .in_zp = -10, .out_zp = -10, .mult = Q_ONE, .shift = 1,
                                .act_min = -10, .act_max = 110};
    kiln_clip_s8(&c, xs, y);
    assert_int_equal(y[0], -10);
    assert_int_equal(y[1], 50);
    assert_int_equal(y[2], 110);
}

static void leaky_relu_two_multipliers(void **state)
{
    (void)state;
    /* alpha 0.25 = (2^30, -1), identity (2^30, 1).  -7: srdhm -> -3 (-3.5 rounds up),
     * then -3 / 2 = -1.5 -> -2.  5 -> 5. */
    const int8_t x[2] = {-7, 5};
    int8_t y[2];
    kiln_leaky_relu_s8_params p = {.n = 2, .id_mult = Q_ONE, .id_shift = 1, .alpha_mult = Q_ONE,
                                   .alpha_shift = -1};
    kiln_leaky_relu_s8(&p, x, y);
    assert_int_equal(y[0], -2);
    assert_int_equal(y[1], 5);
}

static void mean_both_paths(void **state)
{
    (void)state;
    /* Same quantization: raw sum / count, truncating: 10/4 = 2, -10/4 = -2. */
    const int8_t x[8] = {1, 2, 3, 4, -1, -2, -3, -4};
    int8_t y[2];
    kiln_mean_s8_params p = {.shape = {1, 1, 1, 1, 2, 4}, .reduce = {0, 0, 0, 0, 0, 1},
                             .count = 4, .same_quant = 1};
    kiln_mean_s8(&p, x, y);
    assert_int_equal(y[0], 2);
    assert_int_equal(y[1], -2);
    /* s_in 0.5 -> s_out 1: 0.5 = (2^30, 0) folded with 1/4 -> (2^30, -2):
     * sum 10 -> 5 -> 5/4 = 1.25 -> 1; -10 -> -5 -> -1.25 -> -1. */
    p.same_quant = 0, p.mult = Q_ONE, p.shift = -2;
    kiln_mean_s8(&p, x, y);
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], -1);
    /* Reducing the first axis instead: columns (1-1, 2-2, ...) / 2 = 0. */
    kiln_mean_s8_params q = {.shape = {1, 1, 1, 1, 2, 4}, .reduce = {0, 0, 0, 0, 1, 0},
                             .count = 2, .same_quant = 1};
    int8_t z[4];
    kiln_mean_s8(&q, x, z);
    for (int i = 0; i < 4; i++)
        assert_int_equal(z[i], 0);
}

static void quantize_roundings_and_saturation(void **state)
{
    (void)state;
    const float x[5] = {2.5f, -2.5f, 3.5f, 300.0f, -0.3f};
    const float one = 1.0f;
    const int32_t zero = 0;
    int8_t y[5];
    kiln_quantize_params p = {.outer = 1, .axis_len = 1, .inner = 5, .round_even = 0};
    kiln_quantize_f32_s8(&p, x, &one, &zero, y); /* TFLite: half away from zero */
    assert_int_equal(y[0], 3);
    assert_int_equal(y[1], -3);
    assert_int_equal(y[2], 4);
    assert_int_equal(y[3], 127);
    assert_int_equal(y[4], 0);
    p.round_even = 1; /* ONNX: half to even */
    kiln_quantize_f32_s8(&p, x, &one, &zero, y);
    assert_int_equal(y[0], 2);
    assert_int_equal(y[1], -2);
    assert_int_equal(y[2], 4);
    /* per axis: 2 channels, scales (0.5, 2), zps (128, 0) into uint8: -1/0.5 + 128 = 126, 3/2 = 1.5 -> 2 */
    const float xa[2] = {-1.0f, 3.0f}, sc[2] = {0.5f, 2.0f};
    const int32_t zp[2] = {128, 0};
    uint8_t ya[2];
    kiln_quantize_params pa = {.outer = 1, .axis_len = 2, .inner = 1, .round_even = 1};
    kiln_quantize_f32_u8(&pa, xa, sc, zp, ya);
    assert_int_equal(ya[0], 126);
    assert_int_equal(ya[1], 2);
    float back[2];
    kiln_dequantize_u8_f32(&pa, ya, sc, zp, back);
    assert_true(back[0] == -1.0f && back[1] == 4.0f);
}

/* int32 output: the whole int32 range, worked out by hand.  2.5 -> 2 (even)
 * or 3 (away); -0.5 -> -0 / -1; 2^30 + 128 (a float) stays exact, where the
 * 8/16-bit path would stop at 2^30; 3e9 saturates; 3e9 - 2^31 stays in range
 * only through the zero point: -2^31 + 3e9 would not fit, 2^32 and more
 * saturates whatever the zero point; -2147483648 is reachable exactly. */
static void quantize_s32_full_range(void **state)
{
    (void)state;
    const float x[7] = {2.5f, -0.5f, 1073741952.0f, 3.0e9f, 2147483648.0f, 5.0e9f, -2147483648.0f};
    const float one = 1.0f;
    const int32_t zp0 = 0, zpneg = -2000000000;
    int32_t y[7];
    kiln_quantize_params p = {.outer = 1, .axis_len = 1, .inner = 7, .round_even = 1};
    kiln_quantize_f32_s32(&p, x, &one, &zp0, y);
    assert_int_equal(y[0], 2);
    assert_int_equal(y[1], 0);
    assert_int_equal(y[2], 1073741952);
    assert_int_equal(y[3], INT32_MAX);
    assert_int_equal(y[4], INT32_MAX);
    assert_int_equal(y[5], INT32_MAX);
    assert_int_equal(y[6], INT32_MIN);
    kiln_quantize_f32_s32(&p, x, &one, &zpneg, y);
    assert_int_equal(y[3], 1000000000);          /* 3e9 - 2e9 */
    assert_int_equal(y[4], 147483648);           /* 2^31 - 2e9 */
    assert_int_equal(y[5], INT32_MAX);           /* 5e9 - 2e9 > 2^31 - 1 */
    assert_int_equal(y[6], INT32_MIN);
    p.round_even = 0;
    kiln_quantize_f32_s32(&p, x, &one, &zp0, y);
    assert_int_equal(y[0], 3);
    assert_int_equal(y[1], -1);
}

/* NaN quantizes to the zero point (a Cortex-M's VCVT of NaN is 0), the
 * infinities to the rails; a zero point at the int32 rail (a forged blob)
 * saturates instead of overflowing (UBSan checks that in the SAN build). */
static void quantize_nan_inf_and_rail_zero_point(void **state)
{
    (void)state;
    const float x[4] = {NAN, INFINITY, -INFINITY, 1000.0f};
    const float one = 1.0f;
    const int32_t zp = 5, zp_rail = INT32_MAX;
    int8_t y[4];
    int32_t y32[4];
    kiln_quantize_params p = {.outer = 1, .axis_len = 1, .inner = 4, .round_even = 0};
    kiln_quantize_f32_s8(&p, x, &one, &zp, y);
    assert_int_equal(y[0], 5);
    assert_int_equal(y[1], 127);
    assert_int_equal(y[2], -128);
    assert_int_equal(y[3], 127);
    kiln_quantize_f32_s8(&p, x, &one, &zp_rail, y);
    assert_int_equal(y[3], 127);
    assert_int_equal(y[2], 127); /* -2^30 + (2^31 - 1) > 127: saturates high */
    kiln_quantize_f32_s32(&p, x, &one, &zp, y32);
    assert_int_equal(y32[0], 5);
    assert_int_equal(y32[1], INT32_MAX);
    assert_int_equal(y32[2], INT32_MIN);
    assert_int_equal(kiln_requant_onnx(1000, qu_float_bits(NAN)), 0);
}

/* ---- lowering ------------------------------------------------------------- */

static int add_q(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape,
                 float scale, int32_t zp, const void *data, size_t nbytes)
{
    int t = data ? ir_add_const(g, name, dt, rank, shape, data, nbytes)
                 : ir_add_tensor(g, name, dt, rank, shape);
    ir_set_quant(g, t, 1, 0, &scale, &zp);
    return t;
}

static void lowering_fc_multiplier_from_float_product(void **state)
{
    (void)state;
    /* s_x 0.5, s_w 0.25, s_y 0.125: per-tensor FC -> float(0.5 * 0.25) / 0.125 = 1.0 = (2^30, 1). */
    ir_graph *g = ir_new("t");
    const int64_t xs[2] = {1, 2}, ws[2] = {3, 2}, ys[2] = {1, 3};
    const int8_t w[6] = {1, 2, 3, 4, 5, 6};
    int x = add_q(g, "x", IR_DT_S8, 2, xs, 0.5f, 0, NULL, 0);
    int wt = add_q(g, "w", IR_DT_S8, 2, ws, 0.25f, 0, w, sizeof w);
    int y = add_q(g, "y", IR_DT_S8, 2, ys, 0.125f, -3, NULL, 0);
    int in[2] = {x, wt};
    int n = ir_add_node(g, IR_OP_FULLY_CONNECTED, "fc", "FULLY_CONNECTED", 0, 2, in, 1, &y);
    ir_attr_init(&g->nodes[n].attr);
    lir_program p;
    memset(&p, 0, sizeof p);
    char err[256];
    assert_int_equal(lower_s8(g, n, &p, err, sizeof err), 1);
    assert_int_equal(p.n_calls, 1);
    assert_string_equal(p.calls[0].kernel, "kiln_fully_connected_s8");
    assert_ptr_equal(p.calls[0].ptype, &lir_desc_kiln_fc_s8_params);
    assert_int_equal(((const kiln_fc_s8_params *)p.calls[0].params)->rq.out_offset, -3);
    const int32_t *mult = g->tensors[p.calls[0].args[3].tensor].data;
    const int32_t *shift = g->tensors[p.calls[0].args[4].tensor].data;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mult[i], Q_ONE);
        assert_int_equal(shift[i], 1);
    }
    lir_free(&p);
    ir_free(g);
}

static void lowering_leaves_pure_movement_and_rejects_bad_quant(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int64_t s[2] = {1, 4};
    int x = add_q(g, "x", IR_DT_S8, 2, s, 0.5f, 0, NULL, 0);
    int y = add_q(g, "y", IR_DT_S8, 2, s, 0.5f, 0, NULL, 0);
    int z = add_q(g, "z", IR_DT_S8, 2, s, 0.25f, 0, NULL, 0);
    int r1 = ir_add_node(g, IR_OP_RESHAPE, "same", "RESHAPE", 0, 1, &x, 1, &y);
    int r2 = ir_add_node(g, IR_OP_RESHAPE, "diff", "RESHAPE", 1, 1, &x, 1, &z);
    int sg = ir_add_node(g, IR_OP_SIGMOID, "sig", "LOGISTIC", 2, 1, &x, 1, &z);
    lir_program p;
    memset(&p, 0, sizeof p);
    char err[512];
    assert_int_equal(lower_s8(g, r1, &p, err, sizeof err), 0);  /* data family's */
    assert_int_equal(lower_s8(g, r2, &p, err, sizeof err), -1); /* quantization changes */
    assert_non_null(strstr(err, "'diff'"));
    /* LOGISTIC int8 needs output scale 1/256, zp -128 (TFLite). */
    assert_int_equal(lower_s8(g, sg, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "1/256") ? err : strstr(err, "0.00390625"));
    assert_int_equal(p.n_calls, 0);
    lir_free(&p);
    ir_free(g);
}

/* TFLite QUANTIZE int16 -> int32 (the last op of TFLM's keyword_scrambled
 * models): in zp -32768, scale ratio 0.5 = 2^30 with shift 0.
 * -32768 -> 0; 0 -> 32768 * 0.5 = 16384; 32767 -> 65535 * 0.5 = 32767.5,
 * SRDHM rounds half up -> 32768; 1 -> 32769 * 0.5 = 16384.5 -> 16385.
 * Back int32 -> int8 (zp 3, ratio 2^-10 as 2^30 with shift -9):
 * 1000 -> 0.9765625 -> 1, + 3 = 4;  -300000 -> -292.97 -> -293 + 3 -> clamp -128. */
static void requantize_int16_int32_both_ways(void **state)
{
    (void)state;
    const int16_t x[4] = {-32768, 0, 32767, 1};
    int32_t y[4];
    const kiln_requantize_params p = {4, KILN_QT_S16, KILN_QT_S32, -32768, 0, Q_ONE, 0,
                                      KILN_I32_MIN, KILN_I32_MAX};
    kiln_requantize_q(&p, x, y);
    assert_int_equal(y[0], 0);
    assert_int_equal(y[1], 16384);
    assert_int_equal(y[2], 32768);
    assert_int_equal(y[3], 16385);
    const int32_t a[2] = {1000, -300000};
    int8_t b[2];
    const kiln_requantize_params q = {2, KILN_QT_S32, KILN_QT_S8, 0, 3, Q_ONE, -9, -128, 127};
    kiln_requantize_q(&q, a, b);
    assert_int_equal(b[0], 4);
    assert_int_equal(b[1], -128);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rounding_divide_by_pot_ties),
        cmocka_unit_test(srdhm_rounding_and_saturation),
        cmocka_unit_test(multiply_by_quantized_multiplier),
        cmocka_unit_test(exp_on_negative_values_matches_numpy),
        cmocka_unit_test(logistic_and_tanh_match_numpy),
        cmocka_unit_test(softmax_matches_numpy),
        cmocka_unit_test(softmax_uniform_row_is_a_quarter),
        cmocka_unit_test(sums_wrap_like_tflite),
        cmocka_unit_test(conv_padding_and_rounding),
        cmocka_unit_test(conv_two_channels_nchw_vs_nhwc),
        cmocka_unit_test(conv_uint8_onnx_requant),
        cmocka_unit_test(onnx_requant_rounds_half_even),
        cmocka_unit_test(depthwise_multiplier_two),
        cmocka_unit_test(fully_connected_offsets_bias_clamp),
        cmocka_unit_test(avgpool_rounds_half_away_from_zero),
        cmocka_unit_test(maxpool_with_activation),
        cmocka_unit_test(maxpool_q8_uint8),
        cmocka_unit_test(global_avgpool_onnx_rounds_half_even),
        cmocka_unit_test(avgpool_onnx_follows_float_order),
        cmocka_unit_test(add_onnx_x86_formula),
        cmocka_unit_test(add_with_broadcast),
        cmocka_unit_test(mul_and_minmax),
        cmocka_unit_test(requantize_u8_to_s8_and_clip),
        cmocka_unit_test(requantize_int16_int32_both_ways),
        cmocka_unit_test(leaky_relu_two_multipliers),
        cmocka_unit_test(mean_both_paths),
        cmocka_unit_test(quantize_roundings_and_saturation),
        cmocka_unit_test(quantize_s32_full_range),
        cmocka_unit_test(quantize_nan_inf_and_rail_zero_point),
        cmocka_unit_test(lowering_fc_multiplier_from_float_product),
        cmocka_unit_test(lowering_leaves_pure_movement_and_rejects_bad_quant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
