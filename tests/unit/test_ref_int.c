/*
 * test_ref_int.c - the reference evaluator's integer arithmetic
 * (compiler/ref/eval_int*.c), against values worked out by hand in the
 * comments and, for gemmlowp's exp/logistic/tanh/reciprocal, against libm
 * within the few LSB those approximations are documented to have.
 *
 * The end-to-end evidence that the arithmetic is TFLite's bit for bit is
 * tests/e2e/validate_defaults.sh (the reference equals TFLite-Micro's own
 * outputs); this file pins the rounding rules one by one, including the ties
 * where the real-valued computation and TFLite's integers disagree.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ir/ir.h"
#include "ref/eval.h"
#include "ref/eval_int.h"

static void fixed_point_rounding(void **state)
{
    (void)state;
    /* SRDHM: 0.5 * 0.5 = 0.25; ties round up (0.5 LSB -> 1, -0.5 LSB -> 0). */
    assert_int_equal(ri_srdhm(1 << 30, 1 << 30), 1 << 29);
    assert_int_equal(ri_srdhm(1, 1 << 30), 1);
    assert_int_equal(ri_srdhm(-1, 1 << 30), 0);
    assert_int_equal(ri_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
    /* RoundingDivideByPOT: ties away from zero. */
    assert_int_equal(ri_rdbpot(5, 1), 3);       /* 2.5 */
    assert_int_equal(ri_rdbpot(-5, 1), -3);     /* -2.5 */
    assert_int_equal(ri_rdbpot(-4, 1), -2);
    assert_int_equal(ri_rdbpot(7, 2), 2);       /* 1.75 */
    assert_int_equal(ri_rdbpot(-6, 2), -2);     /* -1.5 */
    assert_int_equal(ri_rdbpot(INT32_MIN, 31), -1);
    /* Double rounding: 1 * 0.25 = 0.25 gives 1 (SRDHM rounds 0.5 up, then
     * RDBPOT rounds 0.5 away), not 0. */
    ri_mult quarter = ri_quantize_multiplier(0.25);
    assert_int_equal(quarter.q, 1 << 30);
    assert_int_equal(quarter.shift, -1);
    assert_int_equal(ri_mbqm(1, quarter), 1);
    assert_int_equal(ri_mbqm(-1, quarter), 0);
    /* The left shift of a positive shift wraps as int32: 2^30 * 4 (shift 2,
     * multiplier 0.5 -> q 2^30, shift 0; here m = 2.0 -> q 2^30, shift 2). */
    ri_mult two = ri_quantize_multiplier(2.0);
    assert_int_equal(two.q, 1 << 30);
    assert_int_equal(two.shift, 2);
    assert_int_equal(ri_mbqm(3, two), 6);
}

static void quantize_multiplier(void **state)
{
    (void)state;
    ri_mult m = ri_quantize_multiplier(0.75);    /* 0.75 * 2^31 = 1610612736 */
    assert_int_equal(m.q, 1610612736);
    assert_int_equal(m.shift, 0);
    /* Just below 1: the mantissa rounds to 2^31 and is renormalised. */
    m = ri_quantize_multiplier(1.0 - ldexp(1.0, -40));
    assert_int_equal(m.q, 1 << 30);
    assert_int_equal(m.shift, 1);
    /* Below 2^-32 it flushes to zero, as TFLite does. */
    m = ri_quantize_multiplier(ldexp(1.0, -40));
    assert_int_equal(m.q, 0);
    assert_int_equal(m.shift, 0);
    /* Activation range: RELU6 on scale 0.1, zp -128: -128 + roundf(60) = -68. */
    ir_act act = {true, 0.0f, 6.0f};
    int32_t lo = -128, hi = 127;
    ri_act_range(&act, 0.1f, -128, &lo, &hi);
    assert_int_equal(lo, -128);
    assert_int_equal(hi, -68);
}

static void int64_multiply(void **state)
{
    (void)state;
    /* 16x8's MultiplyByQuantizedMultiplier(int64): m = 0.5 -> 16-bit 2^14,
     * one shift by 15 with ties towards +infinity: 2.5 -> 3, -2.5 -> -2. */
    ri_mult half = ri_quantize_multiplier(0.5);
    assert_int_equal(ri_mbqm64(5, half), 3);
    assert_int_equal(ri_mbqm64(-5, half), -2);
    assert_int_equal(ri_mbqm64((int64_t)1 << 20, half), 1 << 19);
    /* The result is narrowed to int32 by dropping high bits: 2^39 -> 0. */
    assert_int_equal(ri_mbqm64((int64_t)1 << 40, half), 0);
}

/* gemmlowp's approximations against libm: a few LSB of Q0.31. */
static void gemmlowp_functions(void **state)
{
    (void)state;
    assert_int_equal(ri_exp_on_negative_values(0, 5), INT32_MAX);
    for (double x = -0.01; x > -12; x *= 1.7) {
        int32_t a = (int32_t)lround(x * ldexp(1.0, 26));            /* Q5.26 */
        double want = exp((double)a / ldexp(1.0, 26)) * ldexp(1.0, 31);
        int32_t got = ri_exp_on_negative_values(a, 5);
        assert_true(fabs(got - want) <= 512);   /* ~2.4e-7 of 1: Taylor terms dropped */
    }
    /* Below -32 (integer bits > 5 only) the result is 0. */
    assert_int_equal(ri_exp_on_negative_values(-(int32_t)(33u << 23), 8), 0);
    assert_int_equal(ri_logistic(0, 4), 1 << 30);
    assert_int_equal(ri_tanh(0, 4), 0);
    for (double x = -7.5; x <= 7.5; x += 0.37) {
        int32_t a = (int32_t)lround(x * ldexp(1.0, 27));            /* Q4.27 */
        double xr = (double)a / ldexp(1.0, 27);
        assert_true(fabs(ri_logistic(a, 4) - ldexp(1.0, 31) / (1 + exp(-xr))) <= 128);
        assert_true(fabs(ri_tanh(a, 4) - ldexp(tanh(xr), 31)) <= 128);
    }
    /* 1 / (1 + x) for x in [0, 1). */
    for (double x = 0; x < 1; x += 0.0625) {
        int32_t a = (int32_t)lround(x * ldexp(1.0, 31));
        assert_true(fabs(ri_one_over_one_plus_x(a) - ldexp(1.0, 31) / (1 + x)) <= 8);
    }
    /* GetReciprocal of 3.0 in Q12.19 (0x180000: 11 leading zeros, so one
     * bit over unit): 3 = 2^1 * (1 + 0.5), scale 1/1.5 = 2/3, and
     * 1/3 = 2/3 * 2^-1. */
    int nbits;
    int32_t r = ri_reciprocal(3 << 19, 12, &nbits);
    assert_int_equal(nbits, 1);
    assert_true(fabs(ldexp(r, -31 - nbits) - 1.0 / 3.0) < 1e-8);
}

/* ---- whole nodes of the TFLite flavour, values by hand -------------------- */

static int q_tensor(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape, float s, int32_t zp)
{
    int t = ir_add_tensor(g, name, dt, rank, shape);
    if (s > 0)
        ir_set_quant(g, t, 1, 0, &s, &zp);
    return t;
}

/* Runs a one-node graph with one or two inputs; returns the stored outputs. */
static void run1(ir_graph *g, const void *const *in, void *out)
{
    char err[512] = "";
    void *outs[1] = {out};
    bool ok = ref_eval_graph(g, in, outs, err, sizeof err);
    if (!ok)
        fprintf(stderr, "%s\n", err);
    assert_true(ok);
}

static void quantize_ties_by_flavour(void **state)
{
    (void)state;
    /* x / 0.5 = 0.5, -0.5, 1.5: TFLite (std::round) gives 1, -1, 2; ONNX
     * (half to even) 0, 0, 2. */
    const float x[3] = {0.25f, -0.25f, 0.75f};
    const int8_t want[2][3] = {{1, -1, 2}, {0, 0, 2}};
    for (int flavour = 0; flavour < 2; flavour++) {
        ir_graph *g = ir_new("q");
        int64_t shape[1] = {3};
        int xi = q_tensor(g, "x", IR_DT_F32, 1, shape, 0, 0);
        int yi = q_tensor(g, "y", IR_DT_S8, 1, shape, 0.5f, 0);
        int n = ir_add_node(g, IR_OP_QUANTIZE, "q", "QUANTIZE", 0, 1, &xi, 1, &yi);
        g->nodes[n].attr.qmode = flavour ? IR_QMODE_ONNX : IR_QMODE_TFLITE;
        ir_mark_input(g, xi, 0);
        ir_mark_output(g, yi);
        int8_t y[3];
        const void *in[1] = {x};
        run1(g, in, y);
        assert_memory_equal(y, want[flavour], 3);
        ir_free(g);
    }
}

static void avgpool_ties_away(void **state)
{
    (void)state;
    /* NHWC [1,2,2,1], a 2x1 window: (2 + 3)/2 = 2.5 -> 3 and (-2 - 3)/2 =
     * -2.5 -> -3 (TFLite rounds ties away from zero; the real mean rounded
     * half to even would give 2 and -2). */
    ir_graph *g = ir_new("p");
    int64_t xs[4] = {1, 2, 2, 1}, ys[4] = {1, 1, 2, 1};
    int xi = q_tensor(g, "x", IR_DT_S8, 4, xs, 0.1f, 0);
    int yi = q_tensor(g, "y", IR_DT_S8, 4, ys, 0.1f, 0);
    int n = ir_add_node(g, IR_OP_AVGPOOL, "p", "AVERAGE_POOL_2D", 0, 1, &xi, 1, &yi);
    ir_attr *a = &g->nodes[n].attr;
    ir_attr_init(a);
    a->conv.layout = IR_LAYOUT_NHWC;
    a->conv.nspatial = 2;
    a->conv.kernel[0] = 2;
    a->conv.kernel[1] = 1;
    ir_mark_input(g, xi, 0);
    ir_mark_output(g, yi);
    const int8_t x[4] = {2, -2, 3, -3};         /* [h][w]: (0,0)=2 (0,1)=-2 (1,0)=3 (1,1)=-3 */
    int8_t y[2];
    const void *in[1] = {x};
    run1(g, in, y);
    assert_int_equal(y[0], 3);
    assert_int_equal(y[1], -3);
    ir_free(g);
}

static void add_left_shift_path(void **state)
{
    (void)state;
    /* 10 and 7 at scale 0.5 into scale 1.0: 5 + 3.5 = 8.5.  TFLite: inputs
     * times 2^20 times 0.5 (= s/(2 max s)), sum 8.5 * 2^20, times 2^-20 ->
     * 4456448 = 8.5 * 2^19 after SRDHM, RDBPOT by 19 rounds 8.5 away: 9. */
    ir_graph *g = ir_new("a");
    int64_t shape[1] = {1};
    int ai = q_tensor(g, "a", IR_DT_S8, 1, shape, 0.5f, 0);
    int bi = q_tensor(g, "b", IR_DT_S8, 1, shape, 0.5f, 0);
    int yi = q_tensor(g, "y", IR_DT_S8, 1, shape, 1.0f, 0);
    int ins[2] = {ai, bi};
    ir_add_node(g, IR_OP_ADD, "add", "ADD", 0, 2, ins, 1, &yi);
    ir_mark_input(g, ai, 0);
    ir_mark_input(g, bi, 1);
    ir_mark_output(g, yi);
    const int8_t a = 10, b = 7;
    int8_t y;
    const void *in[2] = {&a, &b};
    run1(g, in, &y);
    assert_int_equal(y, 9);
    ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_point_rounding), cmocka_unit_test(quantize_multiplier),
        cmocka_unit_test(int64_multiply),       cmocka_unit_test(gemmlowp_functions),
        cmocka_unit_test(quantize_ties_by_flavour), cmocka_unit_test(avgpool_ties_away),
        cmocka_unit_test(add_left_shift_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
