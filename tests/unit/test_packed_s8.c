/*
 * test_packed_s8.c - the packed int8 kernels (conv, FC, 3x3 depthwise; int8
 * and int16 weights) against the plain kernels on thousands of random cases,
 * and the short requantization against MultiplyByQuantizedMultiplier at the
 * edges of its range and on the ties of both roundings (the cases are in
 * tests/kernels/packed_cases.c, shared with the Cortex-M test firmware).
 * On the host this runs the portable path; tests/e2e/packed_kernels_qemu.sh
 * runs the same cases on the emulated Cortex-M7 (DSP path) and on M3 code.
 * The table-driven ADD/SUB is held to the plain ADD/SUB the same way.
 * Also pins the compile-time pieces by hand: the lane order of the packed
 * weights, the bias fold, and which requantization mode a layer gets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kernels/packed_cases.c"

static void report(const char *what, const pc_result *r)
{
    printf("%s: %u cases, %u values, modes tflite %u short %u relu %u, %u failing", what, r->cases,
           r->values, r->modes[KILN_RQ_TFLITE], r->modes[KILN_RQ_SHORT], r->modes[KILN_RQ_SHORT_RELU],
           r->failures);
    if (r->failures)
        printf(" (first: seed %u case %u value %u: got %d, want %d)", r->fail_seed, r->fail_index,
               r->fail_at, r->fail_got, r->fail_want);
    printf("\n");
}

static void short_requant_equals_mbqm(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_requant(1, 20000, &r);
    report("requant", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.modes[KILN_RQ_SHORT] > 1000 && r.modes[KILN_RQ_SHORT_RELU] > 1000);
}

static void conv_packed_equals_plain(void **state)
{
    (void)state;
    for (int w16 = 0; w16 <= 1; w16++) {
        pc_result r;
        memset(&r, 0, sizeof r);
        pc_conv(2, 3000, w16, &r);
        report(w16 ? "conv p16" : "conv p8", &r);
        assert_int_equal(r.failures, 0);
        for (int m = KILN_RQ_TFLITE; m <= KILN_RQ_SHORT_RELU; m++)
            if (m == KILN_RQ_TFLITE || m >= KILN_RQ_SHORT)
                assert_true(r.modes[m] > 100);
    }
}

/* Pointwise layers, which the random convs hardly draw: the pair loop that
 * calls the assembly directly on a DSP core (here its portable form). */
static void conv_1x1_equals_plain(void **state)
{
    (void)state;
    for (int w16 = 0; w16 <= 1; w16++) {
        pc_result r;
        memset(&r, 0, sizeof r);
        pc_conv_1x1(40 + (uint32_t)w16, 3000, w16, &r);
        report(w16 ? "conv 1x1 p16" : "conv 1x1 p8", &r);
        assert_int_equal(r.failures, 0);
        assert_true(r.modes[KILN_RQ_SHORT] > 100 && r.modes[KILN_RQ_SHORT_RELU] > 100);
    }
}

/* Accumulators at the short requantization's ties and int32 extremes, through
 * the packed kernels' whole output stage (the assembly epilogues on a DSP
 * core, tests/e2e/packed_kernels_qemu.sh): batch-1 FC and conv. */
static void output_stage_edges_equal_plain(void **state)
{
    (void)state;
    for (int conv = 0; conv <= 1; conv++)
        for (int w16 = 0; w16 <= 1; w16++) {
            pc_result r;
            memset(&r, 0, sizeof r);
            pc_edges(30 + (uint32_t)(2 * conv + w16), 3000, conv, w16, &r);
            report(conv ? "conv edges" : "fc edges", &r);
            assert_int_equal(r.failures, 0);
            assert_true(r.modes[KILN_RQ_SHORT] > 300 && r.modes[KILN_RQ_SHORT_RELU] > 300);
        }
}

static void fc_packed_equals_plain(void **state)
{
    (void)state;
    for (int w16 = 0; w16 <= 1; w16++) {
        pc_result r;
        memset(&r, 0, sizeof r);
        pc_fc(3, 3000, w16, &r);
        report(w16 ? "fc p16" : "fc p8", &r);
        assert_int_equal(r.failures, 0);
    }
}

/* The host FC layout (--cpu host): random layers (batch 1 to 5, odd K, rows
 * up to 1000, partial groups of 8, every requantization mode), then
 * accumulators at the short requantization's ties and int32 extremes. */
static void fc_host_equals_plain(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_fc(40, 4000, PC_FC_HOST, &r);
    report("fc host", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.modes[KILN_RQ_TFLITE] > 100 && r.modes[KILN_RQ_SHORT] > 100 &&
                r.modes[KILN_RQ_SHORT_RELU] > 100);
    memset(&r, 0, sizeof r);
    pc_edges(41, 3000, 0, PC_FC_HOST, &r);
    report("fc host edges", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.modes[KILN_RQ_SHORT] > 300 && r.modes[KILN_RQ_SHORT_RELU] > 300);
}

static void conv_rgb_equals_plain(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_conv_rgb(12, 3000, &r);
    report("conv 3x3 rgb", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.modes[KILN_RQ_TFLITE] > 50 && r.modes[KILN_RQ_SHORT] > 50 &&
                r.modes[KILN_RQ_SHORT_RELU] > 50);
}

static void conv_1x1c8_equals_plain(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_conv_c8(11, 3000, &r);
    report("conv 1x1 c8", &r);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.cases, 3000);
}

static void depthwise_3x3_equals_plain(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_dw3x3(4, 3000, &r);
    report("depthwise 3x3", &r);
    assert_int_equal(r.failures, 0);
}

static void depthwise_3x3c4_equals_plain(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_dw3x3c4(9, 3000, &r);
    report("depthwise 3x3 c4", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.modes[KILN_RQ_TFLITE] > 50 && r.modes[KILN_RQ_SHORT] > 50 &&
                r.modes[KILN_RQ_SHORT_RELU] > 50);
}

static void depthwise_3x3c4s2_equals_plain(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_dw3x3c4s2(10, 3000, &r);
    report("depthwise 3x3 c4 stride 2", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.modes[KILN_RQ_TFLITE] > 50 && r.modes[KILN_RQ_SHORT] > 50 &&
                r.modes[KILN_RQ_SHORT_RELU] > 50);
}

/* Any window: Kx1, 1xK and KhxKw up to 16, strides, dilations, pads,
 * channel counts with a partial last block. */
static void depthwise_any_equals_plain(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_dw_any(27, 4000, &r);
    report("depthwise any window", &r);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.cases, 4000);
    assert_true(r.modes[KILN_RQ_TFLITE] > 50 && r.modes[KILN_RQ_SHORT] > 50 &&
                r.modes[KILN_RQ_SHORT_RELU] > 50);
}

static void add_lut_equals_plain(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_add(5, 2000, &r);
    report("add/sub tables", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.modes[KILN_RQ_TFLITE] > 50 && r.modes[KILN_RQ_SHORT] > 50 &&
                r.modes[KILN_RQ_SHORT_RELU] > 50);
}

static void avgpool_4ch_equals_plain(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_avgpool(6, 2000, &r);
    report("average pool", &r);
    assert_int_equal(r.failures, 0);
}

static void transpose_conv_gather_equals_scatter(void **state)
{
    (void)state;
    pc_result r;
    memset(&r, 0, sizeof r);
    pc_transpose(7, 1000, &r);
    report("transpose conv", &r);
    assert_int_equal(r.failures, 0);
}

/* Weights [2][5]: one slice of 4 plus a zero-padded slice, one group of 2:
 * the accumulators' start (each bias twice: two rows), slices, then each
 * channel's requantization. */
static void stream_layout(void **state)
{
    (void)state;
    const int8_t w[10] = {1, 2, 3, 4, 5, /* channel 0 */ -1, -2, -3, -4, -5};
    const int32_t b[2] = {7, -7}, m[2] = {1 << 30, 3 << 29}, s[2] = {-2, -3};
    const int64_t ws[2] = {15, -15};
    pack_rq q = {2, b, ws, NULL, 0, m, s, 0, -128, 127};
    uint8_t p8[16 + 16 + 32], p16[16 + 32 + 32];
    assert_int_equal(pack_gemm_bytes(2, 5, 2, 0), sizeof p8);
    assert_int_equal(pack_gemm_bytes(2, 5, 2, 1), sizeof p16);
    pack_gemm(w, 5, 2, 0, &q, KILN_RQ_TFLITE, p8);
    pack_gemm(w, 5, 2, 1, &q, KILN_RQ_TFLITE, p16);
    const int32_t want_acc[4] = {7, 7, -7, -7};
    assert_memory_equal(p8, want_acc, sizeof want_acc);
    assert_memory_equal(p16, want_acc, sizeof want_acc);
    /* int8: per slice, each channel's 4 elements in natural order. */
    const int8_t want8[16] = {1, 2, 3, 4, -1, -2, -3, -4, 5, 0, 0, 0, -5, 0, 0, 0};
    assert_memory_equal(p8 + 16, want8, sizeof want8);
    /* int16: lanes [e0 e2 e1 e3], what SXTB16 / SXTB16 ROR #8 make of the int8 word. */
    const int16_t want16[16] = {1, 3, 2, 4, -1, -3, -2, -4, 5, 0, 0, 0, -5, 0, 0, 0};
    assert_memory_equal(p16 + 16, want16, sizeof want16);
    /* then {mult, shift, 0, 0} per channel (the exact mode) */
    const int32_t wantq[8] = {1 << 30, -2, 0, 0, 3 << 29, -3, 0, 0};
    assert_memory_equal(p8 + 32, wantq, sizeof wantq);
    assert_memory_equal(p16 + 48, wantq, sizeof wantq);
    /* Depthwise: bias, per kernel row [w0 w1] [w1 w2], requantization; HWO [3][3][1]. */
    const int8_t dw[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint8_t pdw[KILN_DW3X3_CHAN_BYTES];
    pack_rq q1 = {1, b, ws, NULL, 0, m, s, 0, -128, 127};
    pack_dw3x3(dw, 0, &q1, KILN_RQ_TFLITE, pdw);
    const int16_t wantdw[12] = {1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9};
    assert_memory_equal(pdw + 4, wantdw, sizeof wantdw);
    assert_memory_equal(pdw + 28, wantq, 16);
    pack_dw3x3(dw, 1, &q1, KILN_RQ_TFLITE, pdw); /* transposed: kernel columns as rows */
    const int16_t wantdwt[12] = {1, 4, 4, 7, 2, 5, 5, 8, 3, 6, 6, 9};
    assert_memory_equal(pdw + 4, wantdwt, sizeof wantdwt);
}

/* bias' = bias + in_offset * sum(w), wrapped like TFLite's int32 sum; the
 * mode follows the multipliers and the clamp. */
static void bias_fold_and_mode(void **state)
{
    (void)state;
    const int32_t b[2] = {100, 2147483000};
    const int64_t ws[2] = {-7, 1000};
    const int32_t m[2] = {1 << 30, 1 << 30}, s1[2] = {-3, -5}, s0[2] = {-3, 0};
    pack_rq q = {2, b, ws, NULL, 128, m, s1, -128, -128, 127};
    int32_t bias, ch[4];
    assert_int_equal(pack_rq_mode(&q), KILN_RQ_SHORT_RELU); /* act_min >= zp */
    pack_chan(&q, KILN_RQ_SHORT_RELU, 0, &bias, ch);
    assert_int_equal(bias, 100 - 7 * 128);
    /* shift -3 (e = 3): stored e - 1 = 2; rnd = 2^30 + 2^33 + (-128) * 2^34 */
    assert_int_equal(ch[0], 1 << 30);
    assert_int_equal(ch[1], 2);
    const int64_t rnd = ((int64_t)1 << 30) + ((int64_t)1 << 33) - ((int64_t)128 << 34);
    assert_int_equal((uint32_t)ch[2], (uint32_t)rnd);
    assert_int_equal(ch[3], (int32_t)(rnd >> 32));
    pack_chan(&q, KILN_RQ_SHORT_RELU, 1, &bias, ch);
    assert_int_equal(bias, (int32_t)(2147483000u + 128000u)); /* wraps like int32 */
    pack_chan(&q, KILN_RQ_SHORT_RELU, 2, &bias, ch); /* padding channel */
    assert_int_equal(bias, 0);
    assert_int_equal(ch[0], 0);
    q.out_offset = 5; /* act_min -128 < zp: negative results are not all clamped */
    assert_int_equal(pack_rq_mode(&q), KILN_RQ_SHORT);
    q.shift = s0; /* shift 0: no right shift, so the exact path */
    assert_int_equal(pack_rq_mode(&q), KILN_RQ_TFLITE);
    /* |1 + 2 zp| < 2^(31 - e): e = 24 allows zp up to 63, not 64 */
    assert_true(pack_short_ok(1 << 30, -24, 63));
    assert_false(pack_short_ok(1 << 30, -24, 64));
    assert_true(pack_short_ok(0, 5, 127)); /* a zero multiplier is a constant */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stream_layout),
        cmocka_unit_test(bias_fold_and_mode),
        cmocka_unit_test(short_requant_equals_mbqm),
        cmocka_unit_test(conv_packed_equals_plain),
        cmocka_unit_test(conv_1x1_equals_plain),
        cmocka_unit_test(fc_packed_equals_plain),
        cmocka_unit_test(fc_host_equals_plain),
        cmocka_unit_test(conv_1x1c8_equals_plain),
        cmocka_unit_test(conv_rgb_equals_plain),
        cmocka_unit_test(output_stage_edges_equal_plain),
        cmocka_unit_test(depthwise_3x3_equals_plain),
        cmocka_unit_test(depthwise_3x3c4_equals_plain),
        cmocka_unit_test(depthwise_3x3c4s2_equals_plain),
        cmocka_unit_test(depthwise_any_equals_plain),
        cmocka_unit_test(add_lut_equals_plain),
        cmocka_unit_test(avgpool_4ch_equals_plain),
        cmocka_unit_test(transpose_conv_gather_equals_scatter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
