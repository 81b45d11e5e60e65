/*
 * test_packed_f32.c - the packed float32 kernels (conv NHWC/NCHW with im2col
 * or read in place, depthwise, FULLY_CONNECTED; every epilogue) and the
 * fast max pooling against the plain kernels on thousands of random cases (tests/kernels/f32_cases.c,
 * shared with the Cortex-M7 test firmware), and the packing itself pinned by
 * hand: which panel a layer gets, where each weight lands, the padding.
 * On the host this runs the vectorised C micro-kernels;
 * tests/e2e/packed_f32_qemu.sh runs the same cases on the emulated
 * Cortex-M7 (FPv5 assembly tiles).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kernels/f32_cases.c"

static void report(const char *what, const fc32_result *r)
{
    printf("%s: %u cases (%u NHWC, %u NCHW, %u read in place, %u from a padded copy), %u values, %u failing",
           what, r->cases, r->nhwc, r->nchw, r->direct, r->padded, r->values, r->failures);
    if (r->failures)
        printf(" (first: seed %u case %u value %u: got %.9g, want %.9g, bound %.3g)", r->fail_seed,
               r->fail_index, r->fail_at, (double)r->fail_got, (double)r->fail_want,
               (double)r->fail_bound);
    printf("\n");
}

static void conv_packed_equals_plain(void **state)
{
    (void)state;
    fc32_result r;
    memset(&r, 0, sizeof r);
    fc32_conv(1, 4000, &r);
    report("conv", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.nhwc > 1000 && r.nchw > 1000 && r.direct > 300 && r.padded > 400);
}

static void depthwise_packed_equals_plain(void **state)
{
    (void)state;
    fc32_result r;
    memset(&r, 0, sizeof r);
    fc32_depthwise(2, 3000, &r);
    report("depthwise", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.nhwc > 1000 && r.nchw > 1000);
}

static void fc_packed_equals_plain(void **state)
{
    (void)state;
    fc32_result r;
    memset(&r, 0, sizeof r);
    fc32_fc(3, 3000, &r);
    report("fully connected", &r);
    assert_int_equal(r.failures, 0);
}

static void maxpool_fast_equals_plain(void **state)
{
    (void)state;
    fc32_result r;
    memset(&r, 0, sizeof r);
    fc32_maxpool(4, 3000, &r);
    report("max pooling", &r);
    assert_int_equal(r.failures, 0);
    assert_true(r.nhwc > 1000 && r.nchw > 1000);
}

/* Panels: 8 channels, 4 for four or fewer. */
static void panel_widths(void **state)
{
    (void)state;
    assert_int_equal(pack_f32_panel(256, KILN_LAYOUT_NHWC), 8);
    assert_int_equal(pack_f32_panel(25, KILN_LAYOUT_NHWC), 8);
    assert_int_equal(pack_f32_panel(5, KILN_LAYOUT_NHWC), 8);
    assert_int_equal(pack_f32_panel(4, KILN_LAYOUT_NHWC), 4);
    assert_int_equal(pack_f32_panel(2, KILN_LAYOUT_NHWC), 4);
    assert_int_equal(pack_f32_panel(48, KILN_LAYOUT_NCHW), 8);
    assert_int_equal(pack_f32_panel(3, KILN_LAYOUT_NCHW), 4);
}

/* A 2x2 NHWC conv, C = 2, M = 5 (one panel of 8, 3 lanes of padding):
 * W_ir[m][c][kh][kw] = 1000m + 100c + 10kh + kw.  Packed: k = (kh, kw, c),
 * W[k*8 + m], zeros in lanes 5..7; the bias likewise. */
static void conv_weights_land_in_panels(void **state)
{
    (void)state;
    kiln_conv_f32_params c;
    memset(&c, 0, sizeof c);
    c.layout = KILN_LAYOUT_NHWC;
    c.batch = 1;
    c.in_c = 2;
    c.out_c = 5;
    c.groups = 1;
    for (int i = 0; i < 3; i++)
        c.in[i] = c.out[i] = c.k[i] = c.stride[i] = c.dil[i] = 1;
    c.in[1] = c.in[2] = 3;
    c.out[1] = c.out[2] = 2;
    c.k[1] = c.k[2] = 2;
    c.act_lo = 0.0f;
    c.act_hi = 6.0f;
    float w[5 * 2 * 4], b[5] = {1, 2, 3, 4, 5};
    for (int m = 0; m < 5; m++)
        for (int ci = 0; ci < 2; ci++)
            for (int kh = 0; kh < 2; kh++)
                for (int kw = 0; kw < 2; kw++)
                    w[((m * 2 + ci) * 2 + kh) * 2 + kw] = (float)(1000 * m + 100 * ci + 10 * kh + kw);
    kiln_conv_f32_packed_params p;
    pack_f32_conv_plan(&c, 0, &p);
    assert_int_equal(p.panel, 8);
    assert_int_equal(p.kdim, 8);
    assert_int_equal(p.method, KILN_CONV_F32_IM2COL);
    assert_true(p.block >= 1 && p.block <= 4);
    assert_true(p.epi.act_lo == 0.0f && p.epi.act_hi == 6.0f && !p.epi.leaky);
    assert_int_equal(pack_f32_conv_floats(&p, 0), 64);
    float out[64], bo[8];
    pack_f32_conv(w, &p, 0, out);
    pack_f32_bias(b, &p, 0, bo);
    for (int kh = 0; kh < 2; kh++)
        for (int kw = 0; kw < 2; kw++)
            for (int ci = 0; ci < 2; ci++)
                for (int m = 0; m < 8; m++) {
                    const int k = (kh * 2 + kw) * 2 + ci;
                    const float want = m < 5 ? (float)(1000 * m + 100 * ci + 10 * kh + kw) : 0.0f;
                    assert_true(out[k * 8 + m] == want);
                }
    for (int m = 0; m < 8; m++)
        assert_true(bo[m] == (m < 5 ? (float)(m + 1) : 0.0f));
    /* NCHW with few channels: im2col, k = (c, kh, kw), the IR's own rows. */
    c.layout = KILN_LAYOUT_NCHW;
    pack_f32_conv_plan(&c, 0, &p);
    assert_int_equal(p.panel, 8);
    assert_int_equal(p.method, KILN_CONV_F32_IM2COL);
    assert_int_equal(p.block, 4);       /* at least 32 columns, at most the output */
    pack_f32_conv(w, &p, 0, out);
    for (int k = 0; k < 8; k++)
        for (int m = 0; m < 8; m++)
            assert_true(out[k * 8 + m] == (m < 5 ? w[m * 8 + k] : 0.0f));
}

/* NCHW with 8 or more channels per group and stride 1 along w reads a
 * padded copy, its weights taps first (as NHWC's). */
static void padded_nchw_packs_taps_first(void **state)
{
    (void)state;
    kiln_conv_f32_params c;
    memset(&c, 0, sizeof c);
    c.layout = KILN_LAYOUT_NHWC;
    c.batch = 1;
    c.in_c = 8;
    c.out_c = 3;
    c.groups = 1;
    for (int i = 0; i < 3; i++)
        c.in[i] = c.out[i] = c.k[i] = c.stride[i] = c.dil[i] = 1;
    c.in[1] = c.in[2] = 3;
    c.out[1] = c.out[2] = 2;
    c.k[1] = c.k[2] = 2;
    float w[3 * 8 * 4];
    for (int i = 0; i < 3 * 8 * 4; i++)
        w[i] = (float)i;
    kiln_conv_f32_packed_params p;
    float nhwc[4 * 32], nchw[4 * 32];
    pack_f32_conv_plan(&c, 0, &p);
    assert_int_equal(p.panel, 4);
    pack_f32_conv(w, &p, 0, nhwc);
    c.layout = KILN_LAYOUT_NCHW;
    pack_f32_conv_plan(&c, 0, &p);
    assert_int_equal(p.method, KILN_CONV_F32_PADDED);
    /* the copy: 8 channels of 3x3 (2 outputs + 1 tap reach), a row and the slack */
    assert_int_equal(kiln_conv_f32_packed_scratch_size(&p), (8 * 3 * 3 + 3 + KILN_F32_COLS_MAX) * sizeof(float));
    pack_f32_conv(w, &p, 0, nchw);
    assert_memory_equal(nhwc, nchw, sizeof nhwc);
    /* W[m=1][c=5][kh=1][kw=0] is k = (1*2 + 0)*8 + 5 = 21, lane 1 */
    assert_true(nchw[21 * 4 + 1] == w[((1 * 8 + 5) * 2 + 1) * 2 + 0]);
}

/* Read in place: 1x1 without pads (NHWC any stride; NCHW stride 1 only);
 * NCHW with stride 1 along w and 8 channels or more otherwise from a padded
 * copy; else im2col. */
static void input_methods(void **state)
{
    (void)state;
    kiln_conv_f32_params c;
    memset(&c, 0, sizeof c);
    c.layout = KILN_LAYOUT_NHWC;
    c.batch = 1;
    c.in_c = 4;
    c.out_c = 4;
    c.groups = 1;
    for (int i = 0; i < 3; i++)
        c.in[i] = c.out[i] = c.k[i] = c.stride[i] = c.dil[i] = 1;
    c.in[2] = 5;
    c.out[2] = 3;
    c.stride[2] = 2;
    kiln_conv_f32_packed_params p;
    pack_f32_conv_plan(&c, 0, &p);
    assert_int_equal(p.method, KILN_CONV_F32_DIRECT);
    assert_int_equal(kiln_conv_f32_packed_scratch_size(&p), 0);
    c.layout = KILN_LAYOUT_NCHW;
    pack_f32_conv_plan(&c, 0, &p);
    assert_int_equal(p.method, KILN_CONV_F32_IM2COL);
    assert_int_equal(kiln_conv_f32_packed_scratch_size(&p), 3 * 4 * sizeof(float));
    c.stride[2] = 1;
    c.out[2] = 5;
    pack_f32_conv_plan(&c, 0, &p);
    assert_int_equal(p.method, KILN_CONV_F32_DIRECT);
    c.pad[2] = 1;           /* a pad makes outputs that read zeros: im2col for 4 channels */
    c.out[2] = 6;
    pack_f32_conv_plan(&c, 0, &p);
    assert_int_equal(p.method, KILN_CONV_F32_IM2COL);
    c.in_c = 8;             /* a padded copy for 8 */
    pack_f32_conv_plan(&c, 0, &p);
    assert_int_equal(p.method, KILN_CONV_F32_PADDED);
    assert_int_equal(kiln_conv_f32_packed_scratch_size(&p), (8 * 6 + 6 + KILN_F32_COLS_MAX) * sizeof(float));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_packed_equals_plain),
        cmocka_unit_test(depthwise_packed_equals_plain),
        cmocka_unit_test(fc_packed_equals_plain),
        cmocka_unit_test(maxpool_fast_equals_plain),
        cmocka_unit_test(panel_widths),
        cmocka_unit_test(conv_weights_land_in_panels),
        cmocka_unit_test(padded_nchw_packs_taps_first),
        cmocka_unit_test(input_methods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
