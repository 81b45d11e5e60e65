/*
 * test_kernels_f32.c - the float32 and data-movement kernels called directly
 * on cases small enough to work out by hand; each expected value has its
 * arithmetic in a comment next to it.  (Wide coverage against torch, numpy
 * and ONNX conformance data is in test_lower_exec_f32.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "kiln/kernels.h"

#define NOACT -HUGE_VALF, HUGE_VALF

static void assert_floats(const float *got, const float *want, int n, double tol)
{
    for (int i = 0; i < n; i++) {
        if (fabs((double)got[i] - (double)want[i]) > tol) {
            print_error("element %d: got %.9g, want %.9g\n", i, (double)got[i], (double)want[i]);
            fail();
        }
    }
}

/* 1-D conv, one channel, k=2, stride 1, pad 1 both sides, bias 0.5:
 * x = [1 2 3], w = [10 1], padded x = [0 1 2 3 0]
 * y0 = 0*10 + 1*1 + .5 = 1.5; y1 = 1*10 + 2 + .5 = 12.5;
 * y2 = 2*10 + 3 + .5 = 23.5; y3 = 3*10 + 0 + .5 = 30.5 */
static void conv1d_pads_and_bias(void **state)
{
    (void)state;
    const kiln_conv_f32_params p = {.layout = KILN_LAYOUT_NCHW, .batch = 1, .in_c = 1, .out_c = 1,
                                    .groups = 1, .in = {1, 1, 3}, .out = {1, 1, 4}, .k = {1, 1, 2},
                                    .stride = {1, 1, 1}, .dil = {1, 1, 1}, .pad = {0, 0, 1},
                                    .act_lo = -HUGE_VALF, .act_hi = HUGE_VALF};
    const float x[3] = {1, 2, 3}, w[2] = {10, 1}, b[1] = {0.5f};
    float y[4];
    kiln_conv_f32(&p, x, w, b, y);
    const float want[4] = {1.5f, 12.5f, 23.5f, 30.5f};
    assert_floats(y, want, 4, 0);
}

/* 2 input channels NHWC, 1x1 kernel, 2 outputs, clamp [0, 4]:
 * pixel (x0, x1) = (1, 2): m0 = 1*1 + 2*1 = 3; m1 = 1*2 + 2*(-3) = -4 -> 0
 * pixel (3, 1):            m0 = 3 + 1 = 4;     m1 = 6 - 3 = 3
 * weights packed [M][kvol][C]: m0 = {1, 1}, m1 = {2, -3}. */
static void conv_nhwc_1x1_clamped(void **state)
{
    (void)state;
    const kiln_conv_f32_params p = {.layout = KILN_LAYOUT_NHWC, .batch = 1, .in_c = 2, .out_c = 2,
                                    .groups = 1, .in = {1, 1, 2}, .out = {1, 1, 2}, .k = {1, 1, 1},
                                    .stride = {1, 1, 1}, .dil = {1, 1, 1}, .pad = {0, 0, 0},
                                    .act_lo = 0.0f, .act_hi = 4.0f};
    const float x[4] = {1, 2, 3, 1}, w[4] = {1, 1, 2, -3};
    float y[4];
    kiln_conv_f32(&p, x, w, NULL, y);
    const float want[4] = {3, 0, 4, 3};
    assert_floats(y, want, 4, 0);
}

/* Depthwise, 1 input channel, multiplier 2, 1-D k=3 dilation 2, no pad:
 * x = [1 2 3 4 5], taps at i, i+2, i+4 -> only i = 0: (1, 3, 5)
 * m0 weights (1, 1, 1): 9; m1 weights (1, 0, -1): 1 - 5 = -4.
 * Packed [kvol][M]: {1, 1, 1, 0, 1, -1}. */
static void depthwise_multiplier_dilation(void **state)
{
    (void)state;
    kiln_conv_f32_params p = {.layout = KILN_LAYOUT_NCHW, .batch = 1, .in_c = 1, .out_c = 2,
                              .groups = 1, .in = {1, 1, 5}, .out = {1, 1, 1}, .k = {1, 1, 3},
                              .stride = {1, 1, 1}, .dil = {1, 1, 2}, .pad = {0, 0, 0},
                              .act_lo = -HUGE_VALF, .act_hi = HUGE_VALF};
    const float x[5] = {1, 2, 3, 4, 5}, w[6] = {1, 1, 1, 0, 1, -1};
    float y[2];
    kiln_depthwise_conv_f32(&p, x, w, NULL, y);
    const float want[2] = {9, -4};
    assert_floats(y, want, 2, 0);
    p.layout = KILN_LAYOUT_NHWC;   /* one channel: same memory order */
    kiln_depthwise_conv_f32(&p, x, w, NULL, y);
    assert_floats(y, want, 2, 0);
}

/* Transposed 1-D conv, stride 2, k=2, pad_begin 1, out 4, bias 1:
 * x = [1 2], w = [3 4]; full outputs o = 2i + k: o0 = 1*3, o1 = 1*4,
 * o2 = 2*3, o3 = 2*4 -> [3 4 6 8]; crop 1 at the start -> [4 6 8], then
 * position 3 (output_padding) gets nothing: [4 6 8 0] + 1 = [5 7 9 1]. */
static void conv_transpose_stride_crop(void **state)
{
    (void)state;
    const kiln_conv_f32_params p = {.layout = KILN_LAYOUT_NCHW, .batch = 1, .in_c = 1, .out_c = 1,
                                    .groups = 1, .in = {1, 1, 2}, .out = {1, 1, 4}, .k = {1, 1, 2},
                                    .stride = {1, 1, 2}, .dil = {1, 1, 1}, .pad = {0, 0, 1},
                                    .act_lo = -HUGE_VALF, .act_hi = HUGE_VALF};
    const float x[2] = {1, 2}, w[2] = {3, 4}, b[1] = {1};
    float y[4];
    kiln_conv_transpose_f32(&p, x, w, b, y);
    const float want[4] = {5, 7, 9, 1};
    assert_floats(y, want, 4, 0);
}

/* FC: x = [1 2], W = [[1 0] [2 3]] -> [1, 2 + 6] = [1 8]; bias [0.5 -1]
 * -> [1.5 7]; clamp [0, 6] -> [1.5 6]. */
static void fully_connected_bias_clamp(void **state)
{
    (void)state;
    const kiln_fc_f32_params p = {.batch = 1, .in_features = 2, .out_features = 2, .act_lo = 0.0f,
                                  .act_hi = 6.0f};
    const float x[2] = {1, 2}, w[4] = {1, 0, 2, 3}, b[2] = {0.5f, -1};
    float y[2];
    kiln_fully_connected_f32(&p, x, w, b, y);
    const float want[2] = {1.5f, 6};
    assert_floats(y, want, 2, 0);
}

/* MatMul with B broadcast over A's batch of 2: A_0 = [1 2], A_1 = [3 4]
 * (each [1x2]), B = [[1] [10]] -> Y = [21, 43]. */
static void matmul_broadcast_b(void **state)
{
    (void)state;
    const kiln_matmul_f32_params p = {.m = 1, .k = 2, .n = 1, .nbatch = 1, .y_batch = {2},
                                      .a_bstride = {2}, .b_bstride = {0}, .act_lo = -HUGE_VALF,
                                      .act_hi = HUGE_VALF};
    const float a[4] = {1, 2, 3, 4}, b[2] = {1, 10};
    float y[2];
    kiln_matmul_f32(&p, a, b, y);
    const float want[2] = {21, 43};
    assert_floats(y, want, 2, 0);
}

/* [2x3] - [3] (B broadcast along rows): [[1 2 3] [4 5 6]] - [1 1 2]
 * = [[0 1 1] [3 4 4]]. */
static void sub_broadcast_row(void **state)
{
    (void)state;
    const kiln_binary_f32_params p = {.rank = 2, .shape = {2, 3}, .a_stride = {3, 1},
                                      .b_stride = {0, 1}, .act_lo = -HUGE_VALF, .act_hi = HUGE_VALF};
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {1, 1, 2};
    float y[6];
    kiln_sub_f32(&p, a, b, y);
    const float want[6] = {0, 1, 1, 3, 4, 4};
    assert_floats(y, want, 6, 0);
}

/* Softmax of [0, ln 3] = [1, 3]/4 = [0.25 0.75]; log-softmax of the same:
 * ln 0.25 = -1.3862944, ln 0.75 = -0.2876821. */
static void softmax_and_log(void **state)
{
    (void)state;
    kiln_softmax_f32_params p = {.outer = 1, .n = 2, .inner = 1, .beta = 1.0f, .log = 0};
    const float x[2] = {0.0f, 1.0986123f};
    float y[2];
    kiln_softmax_f32(&p, x, y);
    const float want[2] = {0.25f, 0.75f};
    assert_floats(y, want, 2, 1e-6);
    p.log = 1;
    kiln_softmax_f32(&p, x, y);
    const float wlog[2] = {-1.3862944f, -0.2876821f};
    assert_floats(y, wlog, 2, 1e-6);
}

/* 3x3 input, 2x2 max window, stride 2, pad_end 1 (ceil mode): 2x2 output.
 * x = [[1 5 2] [7 3 0] [4 8 6]]; windows: (0,0) {1 5 7 3} -> 7 at flat 3;
 * (0,1) {2 0} -> 2 at 2; (1,0) {4 8} -> 8 at 7; (1,1) {6} -> 6 at 8. */
static void maxpool_clipped_windows_indices(void **state)
{
    (void)state;
    const kiln_pool_f32_params p = {.layout = KILN_LAYOUT_NCHW, .batch = 1, .channels = 1,
                                    .in = {1, 3, 3}, .out = {1, 2, 2}, .k = {1, 2, 2},
                                    .stride = {1, 2, 2}, .dil = {1, 1, 1}, .pad = {0, 0, 0},
                                    .pad_end = {0, 1, 1}, .act_lo = -HUGE_VALF, .act_hi = HUGE_VALF};
    const float x[9] = {1, 5, 2, 7, 3, 0, 4, 8, 6};
    float y[4];
    int64_t idx[4];
    kiln_maxpool_f32(&p, x, y, idx);
    const float want[4] = {7, 2, 8, 6};
    assert_floats(y, want, 4, 0);
    assert_int_equal(idx[0], 3);
    assert_int_equal(idx[1], 2);
    assert_int_equal(idx[2], 7);
    assert_int_equal(idx[3], 8);
}

/* 1-D avg, x = [2 4 6], k=3 stride 1 pad 1 both sides -> 3 outputs.
 * count_include_pad: windows [-1..1], [0..2], [1..3] each 3 taps inside
 * [-1, 4): (0+2+4)/3 = 2, 12/3 = 4, (4+6)/3 = 10/3.
 * without: divisors 2, 3, 2 -> 3, 4, 5. */
static void avgpool_count_include_pad(void **state)
{
    (void)state;
    kiln_pool_f32_params p = {.layout = KILN_LAYOUT_NCHW, .batch = 1, .channels = 1, .in = {1, 1, 3},
                              .out = {1, 1, 3}, .k = {1, 1, 3}, .stride = {1, 1, 1}, .dil = {1, 1, 1},
                              .pad = {0, 0, 1}, .pad_end = {0, 0, 1}, .count_include_pad = 1,
                              .act_lo = -HUGE_VALF, .act_hi = HUGE_VALF};
    const float x[3] = {2, 4, 6};
    float y[3];
    kiln_avgpool_f32(&p, x, y);
    const float w1[3] = {2, 4, 10.0f / 3.0f};
    assert_floats(y, w1, 3, 1e-6);
    p.count_include_pad = 0;
    kiln_avgpool_f32(&p, x, y);
    const float w0[3] = {3, 4, 5};
    assert_floats(y, w0, 3, 1e-6);
}

/* Resize 1-D linear, 2 -> 3 with hand-made taps: o0 = x0, o1 = (x0+x1)/2,
 * o2 = x1; x = [2 6] -> [2 4 6]; o3 outside the crop -> extrapolation 9. */
static void resize_table_gather(void **state)
{
    (void)state;
    const kiln_resize_f32_params p = {.outer = 1, .inner = 1, .naxes = 1, .in_dim = {2},
                                      .out_dim = {4}, .taps = {2}, .off = {0},
                                      .extrapolation_value = 9.0f};
    const int32_t idx[8] = {0, 1, 0, 1, 0, 1, -1, 0};
    const float wt[8] = {1, 0, 0.5f, 0.5f, 0, 1, 0, 0};
    const float x[2] = {2, 6};
    float y[4];
    kiln_resize_f32(&p, x, idx, wt, y);
    const float want[4] = {2, 4, 6, 9};
    assert_floats(y, want, 4, 0);
}

/* LSTM, hidden 1, input 1, one step, all weights 0 except W_c = 1:
 * gates i = o = f = sigmoid(0) = 0.5, c~ = tanh(x) = tanh(1) = 0.7615942,
 * c = 0.5*c0 + 0.5*c~ with c0 = 0 -> 0.3807971, h = 0.5*tanh(c)
 * = 0.5 * 0.3633995 = 0.1816997. */
static void lstm_one_step(void **state)
{
    (void)state;
    const kiln_rnn_f32_params p = {.seq_len = 1, .batch = 1, .input_size = 1, .hidden = 1,
                                   .num_dirs = 1};
    const float x[1] = {1}, w[4] = {0, 0, 0, 1}, r[4] = {0, 0, 0, 0};
    float y[1], yh[1], yc[1];
    float scratch[16];
    assert_true(kiln_lstm_f32_scratch_size(&p) <= sizeof scratch);
    kiln_lstm_f32(&p, x, w, r, NULL, NULL, NULL, NULL, NULL, y, yh, yc, scratch);
    assert_floats(yc, (const float[]){0.3807971f}, 1, 1e-6);
    assert_floats(yh, (const float[]){0.1816997f}, 1, 1e-6);
    assert_floats(y, yh, 1, 0);
}

/* GRU, hidden 1, one step from h0 = 1, all weights 0, bias of z = ln 3:
 * z = sigmoid(ln 3) = 0.75, r = 0.5, h~ = tanh(0) = 0,
 * h = (1-z)*h~ + z*h0 = 0.75. */
static void gru_one_step(void **state)
{
    (void)state;
    const kiln_rnn_f32_params p = {.seq_len = 1, .batch = 1, .input_size = 1, .hidden = 1,
                                   .num_dirs = 1};
    const float x[1] = {2}, w[3] = {0}, r[3] = {0}, b[6] = {1.0986123f, 0, 0, 0, 0, 0};
    const float h0[1] = {1};
    float yh[1];
    float scratch[16];
    assert_true(kiln_gru_f32_scratch_size(&p) <= sizeof scratch);
    kiln_gru_f32(&p, x, w, r, b, NULL, h0, NULL, yh, scratch);
    assert_floats(yh, (const float[]){0.75f}, 1, 1e-6);
}

/* Transpose of [[1 2 3] [4 5 6]] by strides: Y[i][j] = X[j][i]. */
static void copy_strided_transpose_and_reverse(void **state)
{
    (void)state;
    const kiln_copy_params t = {.elem_size = 4, .rank = 2, .shape = {3, 2}, .x_stride = {1, 3}};
    const int32_t x[6] = {1, 2, 3, 4, 5, 6};
    int32_t y[6];
    kiln_copy_strided(&t, x, y);
    const int32_t want[6] = {1, 4, 2, 5, 3, 6};
    assert_memory_equal(y, want, sizeof want);
    /* Reverse the last axis: offset 2, stride -1 -> [[3 2 1] [6 5 4]]. */
    const kiln_copy_params r = {.elem_size = 4, .rank = 2, .shape = {2, 3}, .x_stride = {3, -1},
                                .x_offset = 2};
    kiln_copy_strided(&r, x, y);
    const int32_t wrev[6] = {3, 2, 1, 6, 5, 4};
    assert_memory_equal(y, wrev, sizeof wrev);
}

/* Edge pad of int64 [7 8] by (2, 1) through index tables: sources
 * [0 0 0 1 1] -> [7 7 7 8 8]; a -1 entry takes the fill value 42. */
static void gather_axes_pad(void **state)
{
    (void)state;
    const kiln_gather_params p = {.elem_size = 8, .rank = 1, .shape = {6}, .x_stride = {1},
                                  .off = {0}};
    const int32_t idx[6] = {0, 0, 0, 1, 1, -1};
    const int64_t x[2] = {7, 8}, fill = 42;
    int64_t y[6];
    kiln_gather_axes(&p, x, idx, &fill, y);
    const int64_t want[6] = {7, 7, 7, 8, 8, 42};
    assert_memory_equal(y, want, sizeof want);
}

/* Concat of int8 [2x1] and [2x2] along axis 1: rows [a0 b0 b1], [a1 b2 b3]. */
static void concat_rows(void **state)
{
    (void)state;
    const kiln_concat_params p = {.elem_size = 1, .n_inputs = 2, .outer = 2, .chunk = {1, 2}};
    const int8_t a[2] = {1, 2}, b[4] = {3, 4, 5, 6};
    int8_t y[6];
    kiln_concat(&p, y, a, b, NULL, NULL, NULL, NULL, NULL, NULL);
    const int8_t want[6] = {1, 3, 4, 2, 5, 6};
    assert_memory_equal(y, want, sizeof want);
}

/* Cast float -> int32 truncates and saturates; -> uint8 saturates at 0/255;
 * int64 -> float rounds once: 2^24 + 1 = 16777217 -> 16777216. */
static void cast_rules(void **state)
{
    (void)state;
    const float x[5] = {-2.7f, 2.7f, 3e9f, -3e9f, NAN};
    int32_t y[5];
    kiln_cast(&(const kiln_cast_params){.size = 5, .from = 1, .to = 5}, x, y);
    const int32_t want[5] = {-2, 2, INT32_MAX, INT32_MIN, 0};
    assert_memory_equal(y, want, sizeof want);
    uint8_t u[5];
    kiln_cast(&(const kiln_cast_params){.size = 5, .from = 1, .to = 3}, x, u);
    const uint8_t wu[5] = {0, 2, 255, 0, 0};
    assert_memory_equal(u, wu, sizeof wu);
    const int64_t big[1] = {16777217};
    float f[1];
    kiln_cast(&(const kiln_cast_params){.size = 1, .from = 6, .to = 1}, big, f);
    assert_true(f[0] == 16777216.0f);
}

/* int32 division truncates toward zero; x/0 = 0; INT32_MIN/-1 = INT32_MIN. */
static void int_div_edge_cases(void **state)
{
    (void)state;
    const kiln_binary_int_params p = {.rank = 1, .shape = {5}, .a_stride = {1}, .b_stride = {1}};
    const int32_t a[5] = {7, -7, 7, 5, INT32_MIN}, b[5] = {2, 2, -2, 0, -1};
    int32_t y[5];
    kiln_div_int32(&p, a, b, y);
    const int32_t want[5] = {3, -3, -3, 0, INT32_MIN};
    assert_memory_equal(y, want, sizeof want);
}

/* Reduce mean of [[1 2 3] [5 6 7]] over axis 1 (y strides {1, 0}): [2 6]. */
static void reduce_mean_rows(void **state)
{
    (void)state;
    const kiln_reduce_f32_params p = {.rank = 2, .in_shape = {2, 3}, .y_stride = {1, 0},
                                      .out_size = 2, .count = 3};
    const float x[6] = {1, 2, 3, 5, 6, 7};
    float y[2];
    kiln_reduce_mean_f32(&p, x, y);
    const float want[2] = {2, 6};
    assert_floats(y, want, 2, 0);
}

/* Hard swish at -4, -1, 0, 1, 4: x*clamp(x/6 + 1/2, 0, 1) = 0, -1/3, 0,
 * 2/3, 4. */
static void hard_swish_points(void **state)
{
    (void)state;
    const kiln_unary_f32_params p = {.size = 5};
    const float x[5] = {-4, -1, 0, 1, 4};
    float y[5];
    kiln_hard_swish_f32(&p, x, y);
    const float want[5] = {0, -1.0f / 3.0f, 0, 2.0f / 3.0f, 4};
    assert_floats(y, want, 5, 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv1d_pads_and_bias),
        cmocka_unit_test(conv_nhwc_1x1_clamped),
        cmocka_unit_test(depthwise_multiplier_dilation),
        cmocka_unit_test(conv_transpose_stride_crop),
        cmocka_unit_test(fully_connected_bias_clamp),
        cmocka_unit_test(matmul_broadcast_b),
        cmocka_unit_test(sub_broadcast_row),
        cmocka_unit_test(softmax_and_log),
        cmocka_unit_test(maxpool_clipped_windows_indices),
        cmocka_unit_test(avgpool_count_include_pad),
        cmocka_unit_test(resize_table_gather),
        cmocka_unit_test(lstm_one_step),
        cmocka_unit_test(gru_one_step),
        cmocka_unit_test(copy_strided_transpose_and_reverse),
        cmocka_unit_test(gather_axes_pad),
        cmocka_unit_test(concat_rows),
        cmocka_unit_test(cast_rules),
        cmocka_unit_test(int_div_edge_cases),
        cmocka_unit_test(reduce_mean_rows),
        cmocka_unit_test(hard_swish_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
