/*
 * test_quant_limits.c - quantization scales that are finite but extreme
 * (1e10, 3e38, 1e-38) never reach a kernel as a shift it cannot take.
 *
 * 1. qu_multiplier_fits against frexp worked out by hand: what fits the
 *    fixed-point multiply (shift -31..30, or ..14 for the int64 one) and
 *    what is refused; every accepted extreme is then run through the
 *    runtime's own helpers (kiln_mbqm, kiln_mbqm64) with the extreme
 *    accumulators.  Built with SAN=1, a shift out of range there is a
 *    UBSan abort, not a wrong number.
 * 2. Activation ranges of a tiny output scale saturate instead of casting
 *    an infinite float to an integer.
 * 3. The int8/int16 lowerings refuse, naming node, tensors and value, every
 *    factor that does not fit (TFLite and ONNX flavours), and accept the
 *    largest and smallest ones that do, with their shifts in range.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "passes/lower.h"
#include "passes/quant_util.h"
#include "runtime/kernels/fixedpoint_s8.h"
#include "runtime/kernels/requant_s16.h"

/* ---- 1. the multiplier and the runtime's helpers ------------------------ */

static const int32_t extreme_acc[] = {INT32_MIN, INT32_MIN + 1, -65536, -1, 0, 1, 65535, INT32_MAX};

/* Runs the runtime's fixed-point multiply on the extreme accumulators. */
static void run_mbqm(int32_t q, int shift)
{
    for (size_t i = 0; i < sizeof extreme_acc / sizeof extreme_acc[0]; i++)
        (void)kiln_mbqm(extreme_acc[i], q, shift);
}

static void expect_fits(double m, int max_shift, int32_t want_q, int want_shift)
{
    int32_t q;
    int s;
    assert_int_equal(qu_multiplier_fits(m, max_shift, &q, &s), QU_FITS);
    assert_int_equal(q, want_q);
    assert_int_equal(s, want_shift);
    assert_true(s >= QU_SHIFT_MIN && s <= max_shift);
    run_mbqm(q, s);
}

static void expect_refused(double m, int max_shift, qu_fit why, int want_shift)
{
    int32_t q;
    int s;
    assert_int_equal(qu_multiplier_fits(m, max_shift, &q, &s), why);
    assert_int_equal(q, 0);
    assert_int_equal(s, want_shift);
}

static void extreme_factors_are_refused(void **state)
{
    (void)state;
    /* 1e10 = 0.582... * 2^34. */
    expect_refused(1e10, QU_SHIFT_MAX, QU_TOO_LARGE, 34);
    expect_refused(-1e10, QU_SHIFT_MAX, QU_TOO_LARGE, 34);
    /* 1 / 1e-38 = 1e38 = 0.5877... * 2^127. */
    expect_refused(1.0 / (double)1e-38f, QU_SHIFT_MAX, QU_TOO_LARGE, 127);
    /* 3e38 * 3e38 in double: 9e76 = 0.6217... * 2^256. */
    expect_refused((double)3e38f * (double)3e38f, QU_SHIFT_MAX, QU_TOO_LARGE, 256);
    /* The same product in float overflows. */
    expect_refused((double)(3e38f * 3e38f), QU_SHIFT_MAX, QU_NOT_FINITE, 0);
    expect_refused(NAN, QU_SHIFT_MAX, QU_NOT_FINITE, 0);
    /* 2^30 = 0.5 * 2^31: shift 31, one beyond. */
    expect_refused(1073741824.0, QU_SHIFT_MAX, QU_TOO_LARGE, 31);
    /* 2^30 - 2^-22: the mantissa 1 - 2^-52 rounds up to 2^31, which
     * renormalises to 2^30 with shift 31. */
    expect_refused(1073741824.0 - ldexp(1.0, -22), QU_SHIFT_MAX, QU_TOO_LARGE, 31);
    /* The int64 multiply of the 16x8 kernels: 2^14 = 0.5 * 2^15. */
    expect_refused(16384.0, QU_SHIFT_MAX_S64, QU_TOO_LARGE, 15);
}

static void extreme_factors_that_fit_run_cleanly(void **state)
{
    (void)state;
    /* 1.5 * 2^29 = 0.75 * 2^30: q = 0.75 * 2^31, the largest shift. */
    expect_fits(805306368.0, QU_SHIFT_MAX, 1610612736, 30);
    /* Just below 2^30 without rounding up: (1 - 2^-31) * 2^30 = (2^31 - 1) * 2^-1. */
    expect_fits(1073741823.5, QU_SHIFT_MAX, INT32_MAX, 30);
    /* 2^-32 = 0.5 * 2^-31: the smallest shift. */
    expect_fits(ldexp(1.0, -32), QU_SHIFT_MAX, 1073741824, -31);
    /* 2^-33 = 0.5 * 2^-32: flushed to zero, as TFLite does; so is 1e-38. */
    expect_fits(ldexp(1.0, -33), QU_SHIFT_MAX, 0, 0);
    expect_fits((double)1e-38f, QU_SHIFT_MAX, 0, 0);
    /* A negative factor (LEAKY_RELU with a negative alpha). */
    expect_fits(-0.75, QU_SHIFT_MAX, -1610612736, 0);
    /* The 16x8 int64 multiply at its largest shift, 0.75 * 2^14, and its
     * smallest, on accumulators up to TFLite's |x| < 2^47. */
    int32_t q;
    int s;
    assert_int_equal(qu_multiplier_fits(12288.0, QU_SHIFT_MAX_S64, &q, &s), QU_FITS);
    assert_int_equal(s, 14);
    const int64_t acc64[] = {-((int64_t)1 << 47), -1, 0, 1, ((int64_t)1 << 47) - 1};
    for (size_t i = 0; i < 5; i++) {
        (void)kiln_mbqm64(acc64[i], q, s);
        (void)kiln_mbqm64(acc64[i], 1073741824, QU_SHIFT_MIN);
    }
}

/* ---- 2. activation ranges ------------------------------------------------ */

/* RELU6 on an output of scale 1e-38: 6 / 1e-38 overflows float to inf,
 * which is beyond the int8 range: the upper bound stays 127 (converting the
 * inf to an integer is undefined, and on x86 gave INT64_MIN, clamping every
 * output to -128). */
static void activation_range_of_tiny_scale_saturates(void **state)
{
    (void)state;
    int32_t lo, hi;
    ir_act relu6 = {true, 0.0f, 6.0f}, neg = {true, -6.0f, INFINITY};
    qu_activation_range(&relu6, 1e-38f, 0, -128, 127, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 127);
    qu_activation_range(&neg, 1e-38f, 3, -128, 127, &lo, &hi);
    assert_int_equal(lo, -128);
    assert_int_equal(hi, 127);
    /* A NaN bound leaves its side open. */
    ir_act nan_hi = {true, 0.0f, NAN};
    qu_activation_range(&nan_hi, 0.5f, 0, -128, 127, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 127);
    assert_int_equal(qu_quantize_value(1e-38f, 5, 3e38f), ((int64_t)1 << 62) + 5);
    assert_int_equal(qu_quantize_value(1e-38f, 5, -3e38f), 5 - ((int64_t)1 << 62));
}

/* ---- 3. the lowerings ------------------------------------------------------ */

static int q_tensor(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape,
                    float scale, int32_t zp, const void *data, size_t nbytes)
{
    int t = data ? ir_add_const(g, name, dt, rank, shape, data, nbytes)
                 : ir_add_tensor(g, name, dt, rank, shape);
    ir_set_quant(g, t, 1, 0, &scale, &zp);
    return t;
}

static const int64_t S1[4] = {1, 1, 1, 1};
static const int8_t W1[1] = {3};

/* x -> 1x1 CONV (weights w) -> y, NHWC, one channel. */
static ir_graph *conv_graph(float sx, float sw, float sy, ir_qmode mode)
{
    ir_graph *g = ir_new("t");
    int x = q_tensor(g, "x_in", IR_DT_S8, 4, S1, sx, 0, NULL, 0);
    int w = q_tensor(g, "w_conv", IR_DT_S8, 4, S1, sw, 0, W1, 1);
    int y = q_tensor(g, "y_out", IR_DT_S8, 4, S1, sy, 0, NULL, 0);
    ir_mark_input(g, x, 0);
    int in[2] = {x, w};
    int n = ir_add_node(g, IR_OP_CONV, "conv_node", "CONV_2D", 0, 2, in, 1, &y);
    g->nodes[n].attr.conv.nspatial = 2;
    g->nodes[n].attr.conv.layout = IR_LAYOUT_NHWC;
    g->nodes[n].attr.qmode = mode;
    ir_mark_output(g, y);
    return g;
}

/* FULLY_CONNECTED [1,1] x [1,1], per tensor (TFLite's float product rule). */
static ir_graph *fc_graph(float sx, float sw, float sy)
{
    ir_graph *g = ir_new("t");
    const int64_t s[2] = {1, 1};
    int x = q_tensor(g, "x_in", IR_DT_S8, 2, s, sx, 0, NULL, 0);
    int w = q_tensor(g, "w_fc", IR_DT_S8, 2, s, sw, 0, W1, 1);
    int y = q_tensor(g, "y_out", IR_DT_S8, 2, s, sy, 0, NULL, 0);
    ir_mark_input(g, x, 0);
    int in[2] = {x, w};
    ir_add_node(g, IR_OP_FULLY_CONNECTED, "fc_node", "FULLY_CONNECTED", 0, 2, in, 1, &y);
    ir_mark_output(g, y);
    return g;
}

/* A binary op a (scale sa) op b (scale sb) -> y (scale sy), int8 or int16. */
static ir_graph *binary_graph(ir_op op, float sa, float sb, float sy, ir_dtype dt, ir_qmode mode)
{
    ir_graph *g = ir_new("t");
    const int64_t s[2] = {1, 4};
    int a = q_tensor(g, "a_in", dt, 2, s, sa, 0, NULL, 0);
    int b = q_tensor(g, "b_in", dt, 2, s, sb, 0, NULL, 0);
    int y = q_tensor(g, "y_out", dt, 2, s, sy, 0, NULL, 0);
    ir_mark_input(g, a, 0);
    ir_mark_input(g, b, 1);
    int in[2] = {a, b};
    int n = ir_add_node(g, op, "bin_node", ir_op_name(op), 0, 2, in, 1, &y);
    g->nodes[n].attr.qmode = mode;
    ir_mark_output(g, y);
    return g;
}

/* A unary op x (scale sx) -> y (scale sy) on int8. */
static ir_graph *unary_graph(ir_op op, float sx, float sy, float alpha)
{
    ir_graph *g = ir_new("t");
    const int64_t s[2] = {1, 4};
    int x = q_tensor(g, "x_in", IR_DT_S8, 2, s, sx, 0, NULL, 0);
    int y = q_tensor(g, "y_out", IR_DT_S8, 2, s, sy, 0, NULL, 0);
    ir_mark_input(g, x, 0);
    int n = ir_add_node(g, op, "un_node", ir_op_name(op), 0, 1, &x, 1, &y);
    g->nodes[n].attr.alpha = alpha;
    ir_mark_output(g, y);
    return g;
}

/* Two inputs of scales s1, s2 concatenated along axis 1 into y. */
static ir_graph *concat_graph(float s1, float s2, float sy)
{
    ir_graph *g = ir_new("t");
    const int64_t s[2] = {1, 2}, ys[2] = {1, 4};
    int a = q_tensor(g, "a_in", IR_DT_S8, 2, s, s1, 0, NULL, 0);
    int b = q_tensor(g, "b_in", IR_DT_S8, 2, s, s2, 0, NULL, 0);
    int y = q_tensor(g, "y_out", IR_DT_S8, 2, ys, sy, 0, NULL, 0);
    ir_mark_input(g, a, 0);
    ir_mark_input(g, b, 1);
    int in[2] = {a, b};
    int n = ir_add_node(g, IR_OP_CONCAT, "cat_node", "CONCATENATION", 0, 2, in, 1, &y);
    g->nodes[n].attr.axis = 1;
    ir_mark_output(g, y);
    return g;
}

/* ONNX-flavour 2x2 average pool of a [1,1,2,2] input. */
static ir_graph *avgpool_graph(float sx, float sy)
{
    ir_graph *g = ir_new("t");
    const int64_t xs[4] = {1, 1, 2, 2}, ys[4] = {1, 1, 1, 1};
    int x = q_tensor(g, "x_in", IR_DT_S8, 4, xs, sx, 0, NULL, 0);
    int y = q_tensor(g, "y_out", IR_DT_S8, 4, ys, sy, 0, NULL, 0);
    ir_mark_input(g, x, 0);
    int n = ir_add_node(g, IR_OP_AVGPOOL, "pool_node", "AveragePool", 0, 1, &x, 1, &y);
    ir_conv_attr *a = &g->nodes[n].attr.conv;
    a->nspatial = 2;
    a->kernel[0] = a->kernel[1] = 2;
    a->pad_end[0] = 1; /* not the global form */
    g->nodes[n].attr.qmode = IR_QMODE_ONNX;
    ir_mark_output(g, y);
    return g;
}

/* Lowering g must fail with a message holding every one of the strings. */
static void expect_lowering_refuses(ir_graph *g, const char *const *want, int n_want)
{
    lir_program p;
    memset(&p, 0, sizeof p);
    char err[1024] = "";
    bool ok = lower_graph(g, &p, err, sizeof err);
    if (ok)
        fail_msg("lowered; expected a refusal mentioning '%s'", want[0]);
    for (int i = 0; i < n_want; i++)
        if (!strstr(err, want[i]))
            fail_msg("message lacks \"%s\": %s", want[i], err);
    lir_free(&p);
    ir_free(g);
}

#define REFUSES(g, ...)                                                          \
    do {                                                                         \
        const char *const w_[] = {__VA_ARGS__};                                  \
        expect_lowering_refuses((g), w_, (int)(sizeof w_ / sizeof w_[0]));       \
    } while (0)

static void tflite_lowerings_refuse_extreme_factors(void **state)
{
    (void)state;
    /* CONV: 1e10 * 1 / 1 needs shift 34. */
    REFUSES(conv_graph(1e10f, 1.0f, 1.0f, IR_QMODE_TFLITE), "'conv_node'", "'x_in'", "'w_conv'",
            "'y_out'", "1e+10", "left shift of 34 bits");
    /* Per-tensor FC multiplies the scales in float first: 3e38 * 3e38 = inf. */
    REFUSES(fc_graph(3e38f, 3e38f, 1.0f), "'fc_node'", "'x_in'", "'w_fc'", "'y_out'", "inf");
    /* MUL: 1 * 1 / 1e-38 needs shift 127. */
    REFUSES(binary_graph(IR_OP_MUL, 1.0f, 1.0f, 1e-38f, IR_DT_S8, IR_QMODE_TFLITE), "'bin_node'",
            "'a_in'", "'b_in'", "'y_out'", "1e-38", "left shift of 127 bits");
    /* ADD: 2 * 1 / 2^20 / 1e-38 = 1.9e32 needs shift 108 (TFLite: must be < 1). */
    REFUSES(binary_graph(IR_OP_ADD, 1.0f, 1.0f, 1e-38f, IR_DT_S8, IR_QMODE_TFLITE), "'bin_node'",
            "'y_out'", "left shift of 108 bits");
    /* int16 MUL the same way. */
    REFUSES(binary_graph(IR_OP_MUL, 1.0f, 1.0f, 1e-38f, IR_DT_S16, IR_QMODE_TFLITE),
            "'bin_node'", "left shift of 127 bits");
    /* MAXIMUM: 1e10 / 1 for input a. */
    REFUSES(binary_graph(IR_OP_MAX, 1e10f, 1.0f, 1.0f, IR_DT_S8, IR_QMODE_TFLITE), "'a_in'",
            "left shift of 34 bits");
    /* REQUANTIZE (TFLite QUANTIZE int8 -> int8): 1e10 / 1. */
    REFUSES(unary_graph(IR_OP_REQUANTIZE, 1e10f, 1.0f, 0.0f), "'un_node'", "'x_in'", "'y_out'",
            "left shift of 34 bits");
    /* LEAKY_RELU with an infinite alpha. */
    REFUSES(unary_graph(IR_OP_LEAKY_RELU, 1.0f, 1.0f, INFINITY), "'un_node'", "alpha inf",
            "'x_in'");
    /* HARD_SWISH: 3e38 / 128 / 1e-38 overflows float; with input and output
     * scale 1e6 the output factor is 1/128, but the reluish one, 1e6 / 128 /
     * (3 / 32768) = 8.5e7 = 0.64 * 2^27, needs a shift of 27 (the kernel's
     * int16 path takes 17). */
    REFUSES(unary_graph(IR_OP_HARD_SWISH, 3e38f, 1e-38f, 0.0f), "'un_node'", "'x_in'", "'y_out'",
            "inf");
    REFUSES(unary_graph(IR_OP_HARD_SWISH, 1e6f, 1e6f, 0.0f), "'x_in'", "left shift of 27 bits");
    /* CONCAT requantizing an input of scale 1e10 into scale 1. */
    REFUSES(concat_graph(1e10f, 1.0f, 1.0f), "'cat_node'", "'a_in'", "'y_out'",
            "left shift of 34 bits");
}

static void onnx_lowerings_refuse_float_overflow(void **state)
{
    (void)state;
    /* QLinearConv: the float factor 3e38 * 3e38 / 1 is inf. */
    REFUSES(conv_graph(3e38f, 3e38f, 1.0f, IR_QMODE_ONNX), "'conv_node'", "'x_in'", "'w_conv'",
            "overflows float32");
    /* QLinearAdd: 3e38 / 1e-3 is inf. */
    REFUSES(binary_graph(IR_OP_ADD, 3e38f, 1.0f, 1e-3f, IR_DT_S8, IR_QMODE_ONNX), "'bin_node'",
            "'a_in'", "'y_out'", "overflows float32");
    /* QLinearAveragePool: 3e38 * 255 * 4 is beyond float. */
    REFUSES(avgpool_graph(3e38f, 1.0f), "'pool_node'", "'x_in'", "beyond float32");
}

/* x [1,2] -> PAD (one element after, constant v) -> y [1,3], dtype dt,
 * quantized (scale 0.5, zero point 7) when q; returns the fill element's
 * bytes the lowering made. */
static void pad_fill(ir_dtype dt, bool q, double v, void *out, size_t n)
{
    ir_graph *g = ir_new("t");
    const int64_t sx[2] = {1, 2}, sy[2] = {1, 3};
    int x = q ? q_tensor(g, "x_in", dt, 2, sx, 0.5f, 7, NULL, 0) : ir_add_tensor(g, "x_in", dt, 2, sx);
    int y = q ? q_tensor(g, "y_out", dt, 2, sy, 0.5f, 7, NULL, 0) : ir_add_tensor(g, "y_out", dt, 2, sy);
    ir_mark_input(g, x, 0);
    int nd = ir_add_node(g, IR_OP_PAD, "pad_node", "Pad", 0, 1, &x, 1, &y);
    g->nodes[nd].attr.end[1] = 1;
    g->nodes[nd].attr.pad_mode = IR_PAD_CONSTANT;
    g->nodes[nd].attr.pad_value = v;
    ir_mark_output(g, y);
    lir_program p;
    memset(&p, 0, sizeof p);
    char err[512] = "";
    if (!lower_graph(g, &p, err, sizeof err))
        fail_msg("refused: %s", err);
    int fill = -1;
    for (int t = 0; t < g->n_tensors; t++)
        if (strstr(g->tensors[t].name, "pad_value") && g->tensors[t].data)
            fill = t;
    assert_true(fill >= 0);
    memcpy(out, g->tensors[fill].data, n);
    lir_free(&p);
    ir_free(g);
}

/* A NaN or out-of-range pad value for an integer tensor (a float pad value
 * a hostile model carries) is never converted with undefined behaviour: NaN
 * is 0 (the zero point when quantized), the rest saturates.  Under SAN=1 the
 * old conversion was a UBSan abort. */
static void pad_values_out_of_range_saturate(void **state)
{
    (void)state;
    int8_t s8;
    pad_fill(IR_DT_S8, true, NAN, &s8, 1);
    assert_int_equal(s8, 7);
    pad_fill(IR_DT_S8, true, 1e300, &s8, 1);
    assert_int_equal(s8, 127);
    int32_t s32;
    pad_fill(IR_DT_S32, false, NAN, &s32, 4);
    assert_int_equal(s32, 0);
    int64_t s64;
    pad_fill(IR_DT_S64, false, 1e30, &s64, 8);
    assert_true(s64 == INT64_MAX);
    pad_fill(IR_DT_S64, false, -1e30, &s64, 8);
    assert_true(s64 == INT64_MIN);
    pad_fill(IR_DT_S64, false, NAN, &s64, 8);
    assert_true(s64 == 0);
    uint64_t u64;
    pad_fill(IR_DT_U64, false, 1e30, &u64, 8);
    assert_true(u64 == UINT64_MAX);
}

/* The shift tensor of a lowered CONV/FC (its fifth operand). */
static int32_t lowered_shift(ir_graph *g, lir_program *p, int32_t *mult)
{
    char err[512] = "";
    if (!lower_graph(g, p, err, sizeof err))
        fail_msg("refused: %s", err);
    assert_int_equal(p->n_calls, 1);
    *mult = ((const int32_t *)g->tensors[p->calls[0].args[3].tensor].data)[0];
    return ((const int32_t *)g->tensors[p->calls[0].args[4].tensor].data)[0];
}

static void lowerings_accept_the_extremes_that_fit(void **state)
{
    (void)state;
    lir_program p;
    int32_t m;
    /* 1.5 * 2^29 * 1 / 1: shift 30, q = 0.75 * 2^31. */
    memset(&p, 0, sizeof p);
    ir_graph *g = conv_graph(805306368.0f, 1.0f, 1.0f, IR_QMODE_TFLITE);
    assert_int_equal(lowered_shift(g, &p, &m), 30);
    assert_int_equal(m, 1610612736);
    run_mbqm(m, 30);
    lir_free(&p);
    ir_free(g);
    /* 1e-38 * 1 / 1: flushed to a zero multiplier, shift 0. */
    memset(&p, 0, sizeof p);
    g = conv_graph(1e-38f, 1.0f, 1.0f, IR_QMODE_TFLITE);
    assert_int_equal(lowered_shift(g, &p, &m), 0);
    assert_int_equal(m, 0);
    lir_free(&p);
    ir_free(g);
    /* 2^-16 * 2^-16 / 1 = 2^-32: shift -31. */
    memset(&p, 0, sizeof p);
    g = fc_graph(ldexpf(1.0f, -16), ldexpf(1.0f, -16), 1.0f);
    assert_int_equal(lowered_shift(g, &p, &m), -31);
    assert_int_equal(m, 1073741824);
    run_mbqm(m, -31);
    lir_free(&p);
    ir_free(g);
    /* MUL: 1.5 * 2^29 * 1 / 1 = 0.75 * 2^30: shift 30. */
    memset(&p, 0, sizeof p);
    g = binary_graph(IR_OP_MUL, 805306368.0f, 1.0f, 1.0f, IR_DT_S8, IR_QMODE_TFLITE);
    char err[512] = "";
    if (!lower_graph(g, &p, err, sizeof err))
        fail_msg("refused: %s", err);
    assert_ptr_equal(p.calls[0].ptype, &lir_desc_kiln_binary_s8_params);
    assert_int_equal(((const kiln_binary_s8_params *)p.calls[0].params)->out_mult, 1610612736);
    assert_int_equal(((const kiln_binary_s8_params *)p.calls[0].params)->out_shift, 30);
    lir_free(&p);
    ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(extreme_factors_are_refused),
        cmocka_unit_test(extreme_factors_that_fit_run_cleanly),
        cmocka_unit_test(activation_range_of_tiny_scale_saturates),
        cmocka_unit_test(tflite_lowerings_refuse_extreme_factors),
        cmocka_unit_test(onnx_lowerings_refuse_float_overflow),
        cmocka_unit_test(lowerings_accept_the_extremes_that_fit),
        cmocka_unit_test(pad_values_out_of_range_saturate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
