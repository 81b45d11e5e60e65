/*
 * test_inplace_window.c - the in-place rules of the window kernels
 * (plan_inplace.c: int8 and float pooling, the float packed depthwise, the
 * int8 any-window depthwise)
 * against the kernels themselves: for every output offset d the rule
 * allows, the runtime kernel run with its output at input + d gives the
 * same bytes as with disjoint buffers.  The dmax values are the hand counts
 * in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "kiln/kernels_f32.h"
#include "kiln/kernels_s8.h"
#include "passes/lower.h"
#include "passes/pack_f32.h"
#include "passes/pack_s8.h"
#include "passes/plan_inplace.h"

/* One kernel run on x (in_bytes) into y. */
typedef void (*run_fn)(const void *ctx, const void *x, void *y);

/* Runs the kernel for every d the rule allows that overlaps input and
 * output, each against the disjoint run; returns how many d were tried. */
static int check_overlaps(const plan_inplace_rule *r, run_fn run, const void *ctx, size_t in_bytes,
                          size_t out_bytes)
{
    const size_t pad = 64, total = out_bytes + in_bytes + out_bytes + 2 * pad;
    uint8_t *x0 = malloc(in_bytes), *ref = malloc(out_bytes), *buf = malloc(total);
    assert_non_null(x0);
    assert_non_null(ref);
    assert_non_null(buf);
    for (size_t i = 0; i < in_bytes; i++)
        x0[i] = (uint8_t)(i * 37u + 11u);
    /* Floats: keep them finite and varied. */
    if (in_bytes % 4 == 0)
        for (size_t i = 0; i < in_bytes / 4; i++) {
            float f = (float)((int)(i * 7919u % 201u) - 100) / 8.0f;
            memcpy(x0 + 4 * i, &f, 4);
        }
    run(ctx, x0, ref);
    int tried = 0;
    const int64_t lo = -(int64_t)out_bytes + 1, hi = (int64_t)in_bytes - 1;
    for (int64_t d = lo; d <= hi; d++) {
        if (d % 4 || !plan_inplace_allows(r, d, in_bytes, out_bytes))
            continue;
        uint8_t *x = buf + pad + out_bytes;
        memset(buf, 0xA5, total);
        memcpy(x, x0, in_bytes);
        run(ctx, x, x + d);
        assert_memory_equal(x + d, ref, out_bytes);
        tried++;
    }
    free(x0);
    free(ref);
    free(buf);
    return tried;
}

static ir_graph *graph(ir_dtype dt, int64_t in_n, int64_t out_n, int *x, int *y)
{
    ir_graph *g = ir_new("w");
    *x = ir_add_tensor(g, "x", dt, 1, &in_n);
    *y = ir_add_tensor(g, "y", dt, 1, &out_n);
    return g;
}

/* ---- int8 pooling ---- */

typedef struct pool_s8_case {
    const char *kernel;
    kiln_pool_s8_params p;
} pool_s8_case;

static void run_pool_s8(const void *ctx, const void *x, void *y)
{
    const pool_s8_case *k = ctx;
    if (!strcmp(k->kernel, "kiln_avgpool_s8"))
        kiln_avgpool_s8(&k->p, x, y);
    else
        kiln_maxpool_s8(&k->p, x, y);
}

static kiln_pool_s8_params pool_s8(int c, int h, int w, int k, int s, int pad, int oh, int ow)
{
    kiln_pool_s8_params p;
    memset(&p, 0, sizeof p);
    p.batch = 1, p.c = c, p.in_h = h, p.in_w = w, p.out_h = oh, p.out_w = ow;
    p.k_h = k, p.k_w = k, p.stride_h = s, p.stride_w = s, p.pad_t = pad, p.pad_l = pad;
    p.pad_b = pad, p.pad_r = pad, p.layout = KILN_LAYOUT_NHWC, p.act_min = -128, p.act_max = 127;
    return p;
}

static int64_t pool_s8_dmax(const pool_s8_case *k)
{
    int x, y;
    const kiln_pool_s8_params *p = &k->p;
    const size_t in_bytes = (size_t)p->c * p->in_h * p->in_w, out_bytes = (size_t)p->c * p->out_h * p->out_w;
    ir_graph *g = graph(IR_DT_S8, (int64_t)in_bytes, (int64_t)out_bytes, &x, &y);
    lir_program prog = {0};
    lir_call *c = LIR_CALL(&prog, 0, k->kernel, kiln_pool_s8_params, p);
    lir_in(c, x);
    lir_out(c, y);
    plan_inplace_rule r[2];
    assert_int_equal(plan_inplace_rules(g, c, r), 1);
    assert_int_equal(r[0].in_arg, 0);
    assert_int_equal(r[0].out_arg, 1);
    assert_true(check_overlaps(&r[0], run_pool_s8, k, in_bytes, out_bytes) > 0);
    const int64_t dmax = r[0].dmax;
    lir_free(&prog);
    ir_free(g);
    return dmax;
}

/* 3x3, stride 1, pad 1 on 6x5x8: output pixel (1, 0)'s window starts at
 * input pixel 0 and later pixels' windows one row and one pixel behind
 * them: d <= -(5 + 1) * 8 = -48.  2x2 stride 2: every window starts at or
 * after its output pixel, the first at 0: d <= 0.  The global average (one
 * output pixel, the window all of the input): d <= 0. */
static void int8_pooling_windows(void **state)
{
    (void)state;
    const char *kernels[2] = {"kiln_avgpool_s8", "kiln_maxpool_s8"};
    for (int i = 0; i < 2; i++) {
        pool_s8_case k = {kernels[i], pool_s8(8, 6, 5, 3, 1, 1, 6, 5)};
        assert_int_equal(pool_s8_dmax(&k), -48);
        k.p = pool_s8(4, 6, 6, 2, 2, 0, 3, 3);
        assert_int_equal(pool_s8_dmax(&k), 0);
        k.p = pool_s8(12, 4, 4, 4, 1, 0, 1, 1);
        assert_int_equal(pool_s8_dmax(&k), 0);
    }
}

/* ---- float pooling ---- */

typedef struct pool_f32_case {
    const char *kernel;
    kiln_pool_f32_params p;
} pool_f32_case;

static void run_pool_f32(const void *ctx, const void *x, void *y)
{
    const pool_f32_case *k = ctx;
    if (!strcmp(k->kernel, "kiln_avgpool_f32"))
        kiln_avgpool_f32(&k->p, x, y);
    else if (!strcmp(k->kernel, "kiln_maxpool_f32"))
        kiln_maxpool_f32(&k->p, x, y, NULL);
    else
        kiln_maxpool_f32_fast(&k->p, x, y);
}

static kiln_pool_f32_params pool_f32(int c, int h, int w, int k, int s, int pad, int oh, int ow)
{
    kiln_pool_f32_params p;
    memset(&p, 0, sizeof p);
    p.layout = KILN_LAYOUT_NHWC, p.batch = 1, p.channels = c;
    const int32_t in[3] = {1, h, w}, out[3] = {1, oh, ow};
    for (int a = 0; a < 3; a++) {
        p.in[a] = in[a], p.out[a] = out[a], p.k[a] = a ? k : 1, p.stride[a] = a ? s : 1, p.dil[a] = 1;
        p.pad[a] = a ? pad : 0, p.pad_end[a] = a ? pad : 0;
    }
    p.act_lo = -HUGE_VALF, p.act_hi = HUGE_VALF;
    return p;
}

static int64_t pool_f32_dmax(const pool_f32_case *k)
{
    int x, y;
    const kiln_pool_f32_params *p = &k->p;
    const size_t in_bytes = 4u * p->channels * p->in[1] * p->in[2];
    const size_t out_bytes = 4u * p->channels * p->out[1] * p->out[2];
    ir_graph *g = graph(IR_DT_F32, (int64_t)in_bytes / 4, (int64_t)out_bytes / 4, &x, &y);
    lir_program prog = {0};
    lir_call *c = LIR_CALL(&prog, 0, k->kernel, kiln_pool_f32_params, p);
    lir_in(c, x);
    lir_out(c, y);
    if (!strcmp(k->kernel, "kiln_maxpool_f32"))
        lir_null(c); /* no Indices */
    plan_inplace_rule r[2];
    assert_int_equal(plan_inplace_rules(g, c, r), 1);
    assert_true(check_overlaps(&r[0], run_pool_f32, k, in_bytes, out_bytes) > 0);
    const int64_t dmax = r[0].dmax;
    lir_free(&prog);
    ir_free(g);
    return dmax;
}

/* The same windows in floats: -48 * 4 = -192, 0, 0. */
static void float_pooling_windows(void **state)
{
    (void)state;
    const char *kernels[3] = {"kiln_avgpool_f32", "kiln_maxpool_f32", "kiln_maxpool_f32_fast"};
    for (int i = 0; i < 3; i++) {
        pool_f32_case k = {kernels[i], pool_f32(8, 6, 5, 3, 1, 1, 6, 5)};
        assert_int_equal(pool_f32_dmax(&k), -192);
        k.p = pool_f32(4, 6, 6, 2, 2, 0, 3, 3);
        assert_int_equal(pool_f32_dmax(&k), 0);
        k.p = pool_f32(12, 4, 4, 4, 1, 0, 1, 1);
        assert_int_equal(pool_f32_dmax(&k), 0);
    }
}

/* ---- float depthwise ---- */

typedef struct dw_case {
    kiln_conv_f32_packed_params p;
    float *w, *b;
} dw_case;

static void run_dw(const void *ctx, const void *x, void *y)
{
    const dw_case *k = ctx;
    kiln_depthwise_conv_f32_packed(&k->p, x, k->w, k->b, NULL, y);
}

static int64_t dw_dmax(int c, int h, int w, int s, int oh, int ow)
{
    kiln_conv_f32_params cv = {.layout = KILN_LAYOUT_NHWC, .batch = 1, .in_c = c, .out_c = c, .groups = c,
                               .in = {1, h, w}, .out = {1, oh, ow}, .k = {1, 3, 3}, .stride = {1, s, s},
                               .dil = {1, 1, 1}, .pad = {0, 1, 1}, .act_lo = -HUGE_VALF, .act_hi = HUGE_VALF};
    dw_case k;
    pack_f32_conv_plan(&cv, 1, &k.p);
    k.p.epi.act_lo = -HUGE_VALF, k.p.epi.act_hi = HUGE_VALF;
    float *w0 = malloc(9u * c * sizeof(float)), *b0 = malloc((size_t)c * sizeof(float));
    for (int i = 0; i < 9 * c; i++)
        w0[i] = (float)(i % 7 - 3) / 4.0f;
    for (int i = 0; i < c; i++)
        b0[i] = (float)i / 2.0f;
    k.w = malloc(pack_f32_conv_floats(&k.p, 1) * sizeof(float));
    k.b = malloc(pack_f32_bias_floats(&k.p, 1) * sizeof(float));
    pack_f32_conv(w0, &k.p, 1, k.w);
    pack_f32_bias(b0, &k.p, 1, k.b);
    int x, y;
    const size_t in_bytes = 4u * c * h * w, out_bytes = 4u * c * oh * ow;
    ir_graph *g = graph(IR_DT_F32, (int64_t)in_bytes / 4, (int64_t)out_bytes / 4, &x, &y);
    lir_program prog = {0};
    lir_call *call = LIR_CALL(&prog, 0, "kiln_depthwise_conv_f32_packed", kiln_conv_f32_packed_params, &k.p);
    lir_in(call, x);
    lir_null(call);
    lir_null(call);
    lir_in(call, -1); /* no residual */
    lir_out(call, y);
    plan_inplace_rule r[2];
    assert_int_equal(plan_inplace_rules(g, call, r), 1);
    assert_int_equal(r[0].out_arg, 4);
    assert_true(check_overlaps(&r[0], run_dw, &k, in_bytes, out_bytes) > 0);
    const int64_t dmax = r[0].dmax;
    /* A fused residual is read while outputs are written: no rule. */
    lir_call *res = LIR_CALL(&prog, 0, "kiln_depthwise_conv_f32_packed", kiln_conv_f32_packed_params, &k.p);
    lir_in(res, x);
    lir_null(res);
    lir_null(res);
    lir_in(res, y);
    lir_out(res, y);
    assert_int_equal(plan_inplace_rules(g, res, r), 0);
    lir_free(&prog);
    ir_free(g);
    free(w0);
    free(b0);
    free(k.w);
    free(k.b);
    return dmax;
}

/* 3x3, pad 1, stride 1 on 6x5x8 floats: one row and one pixel behind, plus
 * the pixel the assembly writes with each pair: -(5 + 2) * 8 * 4 = -224:
 * about a row of line buffer.  Stride 2 on 8x8x16 -> 4x4: output pixel
 * (1, 0)'s window starts at input pixel (1, 0) = 8, less its own index 4
 * and the pair's 1: 3 pixels, but pixel (0, 1) starts at 1: 1 - 1 - 1 = -1
 * pixel, -64 bytes. */
static void float_depthwise_window(void **state)
{
    (void)state;
    assert_int_equal(dw_dmax(8, 6, 5, 1, 6, 5), -224);
    assert_int_equal(dw_dmax(16, 8, 8, 2, 4, 4), -64);
}

/* ---- int8 depthwise, any window (kiln_depthwise_conv_s8_packed) ---- */

typedef struct dws8_case {
    kiln_conv_s8_params p;
    uint8_t *w;
} dws8_case;

static void run_dws8(const void *ctx, const void *x, void *y)
{
    const dws8_case *k = ctx;
    uint32_t scratch[1];
    kiln_depthwise_conv_s8_packed(&k->p, x, k->w, y, scratch);
}

/* A layer of c channels, window kh x kw, on h x w with stride s and
 * dilation dil on both axes, pads pt/pl before and pb/pr after; the short
 * requantization, so that the DSP path's assembly runs too. */
static int64_t dws8_dmax(int c, int h, int w, int kh, int kw, int s, int dil, int pt, int pl,
                         int pb, int pr)
{
    dws8_case k;
    kiln_conv_s8_params *p = &k.p;
    memset(p, 0, sizeof *p);
    p->batch = 1, p->in_c = p->out_c = p->groups = c, p->in_h = h, p->in_w = w;
    p->k_h = kh, p->k_w = kw, p->stride_h = p->stride_w = s, p->dil_h = p->dil_w = dil;
    p->pad_t = pt, p->pad_l = pl, p->layout = KILN_LAYOUT_NHWC, p->in_offset = 3;
    p->out_h = (h + pt + pb - (kh - 1) * dil - 1) / s + 1;
    p->out_w = (w + pl + pr - (kw - 1) * dil - 1) / s + 1;
    p->rq.out_offset = -5, p->rq.act_min = -128, p->rq.act_max = 127;
    const int taps = kh * kw;
    int8_t *w0 = malloc((size_t)taps * c);
    int32_t *bias = malloc((size_t)c * 4), *mult = malloc((size_t)c * 4), *shift = malloc((size_t)c * 4);
    int64_t *wsum = malloc((size_t)c * 8), *wabs = malloc((size_t)c * 8);
    for (int i = 0; i < taps * c; i++)
        w0[i] = (int8_t)(i * 29 % 255 - 127);
    for (int i = 0; i < c; i++)
        bias[i] = i * 100 - 300, mult[i] = 1518500250, shift[i] = -6;
    pack_wsum_cols(w0, c, taps, wsum, wabs);
    const pack_rq q = {c, bias, wsum, wabs, p->in_offset, mult, shift, -5, -128, 127};
    p->rq.mode = pack_rq_mode(&q);
    assert_int_equal(p->rq.mode, KILN_RQ_SHORT);
    k.w = malloc(pack_dw_any_bytes(c, taps));
    pack_dw_any(w0, taps, &q, p->rq.mode, k.w);
    int x, y;
    const size_t in_bytes = (size_t)c * h * w, out_bytes = (size_t)c * p->out_h * p->out_w;
    ir_graph *g = graph(IR_DT_S8, (int64_t)in_bytes, (int64_t)out_bytes, &x, &y);
    lir_program prog = {0};
    lir_call *call = LIR_CALL(&prog, 0, "kiln_depthwise_conv_s8_packed", kiln_conv_s8_params, p);
    lir_in(call, x);
    lir_in(call, -1); /* the stream (a constant in a real plan) */
    lir_out(call, y);
    plan_inplace_rule r[2];
    assert_int_equal(plan_inplace_rules(g, call, r), 1);
    assert_int_equal(r[0].in_arg, 0);
    assert_int_equal(r[0].out_arg, 2);
    assert_true(check_overlaps(&r[0], run_dws8, &k, in_bytes, out_bytes) > 0);
    const int64_t dmax = r[0].dmax;
    lir_free(&prog);
    ir_free(g);
    free(w0), free(bias), free(mult), free(shift), free(wsum), free(wabs), free(k.w);
    return dmax;
}

/* 5x1 valid on 8x1x8 (str_ww's shape): window p starts at input pixel p:
 * d <= 0, the output right on its input.  3x3 pad 1 on 6x5x8: one row and
 * one pixel behind, -(5 + 1) * 8 = -48 (the pooling count).  1x4,
 * dilation 2, stride 2, pad left 3 on 3x9x6 -> 3x3: every window of row oy
 * starts at input (oy, 1), so pixel (0, 2) is one pixel ahead of it:
 * -6.  Channel counts that leave a partial block (6, 10) run the C tail. */
static void int8_depthwise_any_window(void **state)
{
    (void)state;
    assert_int_equal(dws8_dmax(8, 8, 1, 5, 1, 1, 1, 0, 0, 0, 0), 0);
    assert_int_equal(dws8_dmax(8, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1), -48);
    assert_int_equal(dws8_dmax(6, 3, 9, 1, 4, 2, 2, 0, 3, 0, 0), -6);
    assert_int_equal(dws8_dmax(10, 12, 1, 3, 1, 1, 1, 1, 0, 1, 0), -10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(int8_pooling_windows),
        cmocka_unit_test(float_pooling_windows),
        cmocka_unit_test(float_depthwise_window),
        cmocka_unit_test(int8_depthwise_any_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
