/*
 * test_ref_eval_graph.c - the reference evaluator's graph walk and its errors.
 *
 * Per-op arithmetic is pinned by test_ref_eval.c against conformance data;
 * this file pins what happens around it: values flowing through several
 * nodes (an intermediate read twice, an intermediate and a graph input that
 * are also graph outputs), constant folding storing bytes in the output
 * dtype, and bad graphs giving an error that names the node and the problem
 * instead of a crash.  Expected values are worked out by hand in comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ir/ir.h"
#include "ref/eval.h"

static const int64_t S1133[4] = { 1, 1, 3, 3 }, S1122[4] = { 1, 1, 2, 2 }, S4[1] = { 4 };

static void conv_2x2(ir_attr *a)
{
    a->conv.nspatial = 2;
    a->conv.kernel[0] = a->conv.kernel[1] = 2;
}

/* x (3x3, 0..8) -> CONV with a 2x2 kernel of ones -> c = [8, 12, 20, 24]
 * c + (-15)      -> s = [-7, -3, 5, 9]     (graph output, also read by MUL)
 * CLIP [0, 6] s  -> r = [0, 0, 5, 6] -> RESHAPE [4] (graph output)
 * s * 2          -> m = [-14, -6, 10, 18]  (graph output)
 * x itself is a graph output too. */
static void chain_of_nodes(void **state)
{
    (void)state;
    ir_graph *g = ir_new("chain");
    int x = ir_add_tensor(g, "x", IR_DT_F32, 4, S1133);
    float ones[4] = { 1, 1, 1, 1 }, minus15 = -15, two = 2;
    int w = ir_add_const(g, "w", IR_DT_F32, 4, S1122, ones, sizeof ones);
    int b = ir_add_const(g, "b", IR_DT_F32, 0, NULL, &minus15, sizeof minus15);
    int k2 = ir_add_const(g, "two", IR_DT_F32, 0, NULL, &two, sizeof two);
    int c = ir_add_tensor(g, "c", IR_DT_F32, 4, S1122);
    int s = ir_add_tensor(g, "s", IR_DT_F32, 4, S1122);
    int r = ir_add_tensor(g, "r", IR_DT_F32, 4, S1122);
    int f = ir_add_tensor(g, "f", IR_DT_F32, 1, S4);
    int m = ir_add_tensor(g, "m", IR_DT_F32, 4, S1122);
    ir_mark_input(g, x, 0);
    int n = ir_add_node(g, IR_OP_CONV, "conv", NULL, 0, 2, (int[]){ x, w }, 1, &c);
    conv_2x2(&g->nodes[n].attr);
    ir_add_node(g, IR_OP_ADD, "add", NULL, 1, 2, (int[]){ c, b }, 1, &s);
    n = ir_add_node(g, IR_OP_CLIP, "relu6", NULL, 2, 1, &s, 1, &r);
    g->nodes[n].attr.act = (ir_act){ true, 0.0f, 6.0f };
    ir_add_node(g, IR_OP_RESHAPE, "flat", NULL, 3, 1, &r, 1, &f);
    ir_add_node(g, IR_OP_MUL, "twice", NULL, 4, 2, (int[]){ s, k2 }, 1, &m);
    ir_mark_output(g, f);
    ir_mark_output(g, s);
    ir_mark_output(g, m);
    ir_mark_output(g, x);
    char err[256];
    assert_true(ir_verify(g, err, sizeof err));

    float xin[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 }, fo[4], so[4], mo[4], xo[9];
    const void *in[1] = { xin };
    void *out[4] = { fo, so, mo, xo };
    assert_true(ref_eval_graph(g, in, out, err, sizeof err));
    const float fw[4] = { 0, 0, 5, 6 }, sw[4] = { -7, -3, 5, 9 }, mw[4] = { -14, -6, 10, 18 };
    assert_memory_equal(fo, fw, sizeof fw);
    assert_memory_equal(so, sw, sizeof sw);
    assert_memory_equal(mo, mw, sizeof mw);
    assert_memory_equal(xo, xin, sizeof xin);
    ir_free(g);
}

/* Folding TRANSPOSE of a constant int8 [2, 3] = [[1, 2, 3], [4, 5, 6]] gives
 * the [3, 2] constant [[1, 4], [2, 5], [3, 6]] as int8 bytes. */
static void fold_stores_bytes_in_output_dtype(void **state)
{
    (void)state;
    ir_graph *g = ir_new("fold");
    int8_t v[6] = { 1, 2, 3, 4, 5, -6 };
    int a = ir_add_const(g, "a", IR_DT_S8, 2, (int64_t[]){ 2, 3 }, v, sizeof v);
    int t = ir_add_tensor(g, "t", IR_DT_S8, 2, (int64_t[]){ 3, 2 });
    int n = ir_add_node(g, IR_OP_TRANSPOSE, "tr", NULL, 0, 1, &a, 1, &t);
    g->nodes[n].attr.perm[0] = 1;
    g->nodes[n].attr.perm[1] = 0;
    char err[256];
    assert_true(ref_eval_node_const(g, n, err, sizeof err));
    const int8_t want[6] = { 1, 4, 2, 5, 3, -6 };
    assert_int_equal(g->tensors[t].nbytes, 6);
    assert_memory_equal(g->tensors[t].data, want, 6);
    ir_free(g);
}

/* A one-input node whose output shape is given; used by the error tests. */
static ir_graph *one_node(ir_op op, int64_t out_n, int *node)
{
    ir_graph *g = ir_new("bad");
    int x = ir_add_tensor(g, "x", IR_DT_F32, 4, S1133);
    int y = ir_add_tensor(g, "y", IR_DT_F32, 4, (int64_t[]){ 1, 1, out_n, out_n });
    ir_mark_input(g, x, 0);
    *node = ir_add_node(g, op, "the_node", NULL, 7, 1, &x, 1, &y);
    ir_mark_output(g, y);
    return g;
}

static bool run_expecting_error(ir_graph *g, char *err, size_t errlen)
{
    float xin[9] = { 0 }, yout[64];
    const void *in[1] = { xin };
    void *out[1] = { yout };
    err[0] = 0;
    return ref_eval_graph(g, in, out, err, errlen);
}

/* A 2x2 kernel on 3x3 without pads gives 2x2; a 3x3 output is an error. */
static void error_names_node_and_shape_mismatch(void **state)
{
    (void)state;
    char err[512];
    ir_graph *g = ir_new("bad_conv");
    int x = ir_add_tensor(g, "x", IR_DT_F32, 4, S1133);
    float ones[4] = { 1, 1, 1, 1 };
    int w = ir_add_const(g, "w", IR_DT_F32, 4, S1122, ones, sizeof ones);
    int y = ir_add_tensor(g, "y", IR_DT_F32, 4, S1133);
    ir_mark_input(g, x, 0);
    int n = ir_add_node(g, IR_OP_CONV, "conv_7", NULL, 7, 2, (int[]){ x, w }, 1, &y);
    conv_2x2(&g->nodes[n].attr);
    ir_mark_output(g, y);
    assert_false(run_expecting_error(g, err, sizeof err));
    assert_non_null(strstr(err, "conv_7"));
    assert_non_null(strstr(err, "spatial dim 0 is 3, the attributes give 2"));
    ir_free(g);
}

static void error_softmax_axes(void **state)
{
    (void)state;
    int n;
    ir_graph *g = one_node(IR_OP_SOFTMAX, 3, &n);
    g->nodes[n].attr.axis = 2;
    g->nodes[n].attr.axis_end = 2;    /* empty range */
    char err[512];
    assert_false(run_expecting_error(g, err, sizeof err));
    assert_non_null(strstr(err, "the_node"));
    assert_non_null(strstr(err, "axes [2, 2)"));
    ir_free(g);
}

static void error_missing_input_data(void **state)
{
    (void)state;
    int n;
    ir_graph *g = one_node(IR_OP_SIGMOID, 3, &n);
    float yout[9];
    void *out[1] = { yout };
    char err[512];
    assert_false(ref_eval_graph(g, NULL, out, err, sizeof err));
    assert_non_null(strstr(err, "graph input 0 ('x')"));
    ir_free(g);
}

static void error_fold_needs_constants(void **state)
{
    (void)state;
    int n;
    ir_graph *g = one_node(IR_OP_SIGMOID, 3, &n);
    char err[512];
    assert_false(ref_eval_node_const(g, n, err, sizeof err));
    assert_non_null(strstr(err, "input 0 ('x') is not a constant"));
    assert_null(g->tensors[g->nodes[n].out[0]].data);
    assert_false(ref_eval_node_const(g, 5, err, sizeof err));
    assert_non_null(strstr(err, "no node 5"));
    ir_free(g);
}

/* 7 / 0 in int32 has no value: an error, not a crash or garbage. */
static void error_integer_division_by_zero(void **state)
{
    (void)state;
    ir_graph *g = ir_new("div0");
    int32_t a = 7, z = 0;
    int ta = ir_add_const(g, "a", IR_DT_S32, 0, NULL, &a, 4);
    int tz = ir_add_const(g, "z", IR_DT_S32, 0, NULL, &z, 4);
    int y = ir_add_tensor(g, "y", IR_DT_S32, 0, NULL);
    int n = ir_add_node(g, IR_OP_DIV, "div", NULL, 0, 2, (int[]){ ta, tz }, 1, &y);
    char err[512];
    assert_false(ref_eval_node_const(g, n, err, sizeof err));
    assert_non_null(strstr(err, "division by zero"));
    ir_free(g);
}

static void error_bad_quantized_conversion(void **state)
{
    (void)state;
    ir_graph *g = ir_new("q");
    float v[2] = { 1, 2 };
    int x = ir_add_const(g, "x", IR_DT_F32, 1, (int64_t[]){ 2 }, v, sizeof v);
    int y = ir_add_tensor(g, "y", IR_DT_S8, 1, (int64_t[]){ 2 });   /* no quantization */
    int n = ir_add_node(g, IR_OP_QUANTIZE, "quant", NULL, 0, 1, &x, 1, &y);
    char err[512];
    assert_false(ref_eval_node_const(g, n, err, sizeof err));
    assert_non_null(strstr(err, "without quantization"));
    ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_of_nodes),
        cmocka_unit_test(fold_stores_bytes_in_output_dtype),
        cmocka_unit_test(error_names_node_and_shape_mismatch),
        cmocka_unit_test(error_softmax_axes),
        cmocka_unit_test(error_missing_input_data),
        cmocka_unit_test(error_fold_needs_constants),
        cmocka_unit_test(error_integer_division_by_zero),
        cmocka_unit_test(error_bad_quantized_conversion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
