/*
 * test_fuse_f32.c - the float fusions (passes/fuse_f32.c) on hand-built
 * graphs: what they fold (a zero Pad into the conv's pads; Add, LeakyRelu,
 * Max into a conv's or dense layer's epilogue, a clamp after them becoming
 * the conv's), what they must leave alone (a pad value, a channel pad, a
 * shared tensor, a conv with its own clamp, a residual made after the conv,
 * a depthwise multiplier, weights computed at run time), and that the fused
 * graph computes what the graph computed before: both are run through the
 * reference evaluator on the same random input and compared.  (The kernels'
 * side of the epilogue is held to the plain kernels in test_packed_f32.c,
 * and float_cnn.onnx, with a Pad, an Add and a LeakyRelu fused, to
 * onnxruntime in tests/e2e/float_models.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "passes/fold.h"
#include "passes/fuse_f32.h"
#include "ref/eval.h"

static uint32_t rng = 12345;

static float unit(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 8388608.0f - 1.0f;
}

static int act_tensor(ir_graph *g, const char *name, int64_t c, int64_t h, int64_t w)
{
    const int64_t s[4] = {1, c, h, w};
    return ir_add_tensor(g, name, IR_DT_F32, 4, s);
}

static int weights(ir_graph *g, int64_t m, int64_t cg, int64_t k)
{
    const int64_t s[4] = {m, cg, k, k};
    const size_t n = (size_t)(m * cg * k * k);
    float *v = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        v[i] = unit();
    const int t = ir_add_const(g, "w", IR_DT_F32, 4, s, v, n * sizeof(float));
    free(v);
    return t;
}

static int scalar(ir_graph *g, float v)
{
    const int64_t s[1] = {1};
    return ir_add_const(g, "c", IR_DT_F32, 1, s, &v, sizeof v);
}

/* An NCHW conv node, k x k, stride 1, pads p, group 1. */
static int conv(ir_graph *g, int x, int w, int y, int k, int p, int group)
{
    const int n = ir_add_node(g, IR_OP_CONV, "conv", "Conv", 0, 3, (const int[]){x, w, -1}, 1, &y);
    ir_conv_attr *a = &g->nodes[n].attr.conv;
    a->layout = IR_LAYOUT_NCHW;
    a->nspatial = 2;
    a->group = group;
    for (int i = 0; i < 2; i++) {
        a->kernel[i] = k;
        a->stride[i] = a->dilation[i] = 1;
        a->pad_begin[i] = a->pad_end[i] = p;
    }
    return n;
}

static int binary(ir_graph *g, ir_op op, int a, int b, int y)
{
    return ir_add_node(g, op, "bin", "Bin", 0, 2, (const int[]){a, b}, 1, &y);
}

/* Runs g (one input, one output) on a fixed random input into out. */
static void run_ref(const ir_graph *g, float *out)
{
    const ir_tensor *x = &g->tensors[g->inputs[0]];
    const size_t n = (size_t)ir_numel(x);
    float *in = malloc(n * sizeof(float));
    uint32_t save = rng;
    rng = 777;
    for (size_t i = 0; i < n; i++)
        in[i] = unit();
    rng = save;
    const void *ins[1] = {in};
    void *outs[1] = {out};
    char err[256];
    if (!ref_eval_graph(g, ins, outs, err, sizeof err))
        fail_msg("reference: %s", err);
    free(in);
}

/* Runs the passes as compile.c does (for the packed kernels) and checks the
 * output against the unfused graph's, within float rounding. */
static void fuse_and_compare(ir_graph *g, int *pads, int *epis)
{
    const ir_tensor *y = &g->tensors[g->outputs[0]];
    const size_t n = (size_t)ir_numel(y);
    float *before = malloc(n * sizeof(float)), *after = malloc(n * sizeof(float));
    run_ref(g, before);
    *pads = fuse_pad_conv(g);
    *epis = fuse_conv_epilogue(g);
    fuse_activations(g);
    ir_compact(g);
    char err[256];
    assert_true(ir_verify(g, err, sizeof err));
    run_ref(g, after);
    for (size_t i = 0; i < n; i++)
        assert_true(fabsf(after[i] - before[i]) <= 1e-5f * (1.0f + fabsf(before[i])));
    free(before);
    free(after);
}

static int live_nodes(const ir_graph *g)
{
    int k = 0;
    for (int i = 0; i < g->n_nodes; i++)
        k += g->nodes[i].n_out > 0;
    return k;
}

/* Pad(0) of H by 1/2 and W by 2/0 -> Conv 3x3 pads 1: the conv's pads grow. */
static void zero_pad_folds_into_conv(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int x = act_tensor(g, "x", 2, 5, 5), xp = act_tensor(g, "xp", 2, 8, 7);
    const int y = act_tensor(g, "y", 3, 8, 7);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    const int pn = ir_add_node(g, IR_OP_PAD, "pad", "Pad", 0, 1, &x, 1, &xp);
    g->nodes[pn].attr.begin[2] = 1;
    g->nodes[pn].attr.end[2] = 2;
    g->nodes[pn].attr.begin[3] = 2;
    conv(g, xp, weights(g, 3, 2, 3), y, 3, 1, 1);
    int pads, epis;
    fuse_and_compare(g, &pads, &epis);
    assert_int_equal(pads, 1);
    assert_int_equal(live_nodes(g), 1);
    const ir_conv_attr *a = &g->nodes[0].attr.conv;
    assert_int_equal(g->nodes[0].in[0], g->inputs[0]);
    assert_int_equal(a->pad_begin[0], 2);
    assert_int_equal(a->pad_end[0], 3);
    assert_int_equal(a->pad_begin[1], 3);
    assert_int_equal(a->pad_end[1], 1);
    ir_free(g);
}

/* Pads that change the result if folded, or a padded tensor read twice. */
static void pads_that_must_stay(void **state)
{
    (void)state;
    for (int which = 0; which < 4; which++) {
        ir_graph *g = ir_new("t");
        const int x = act_tensor(g, "x", 2, 5, 5);
        const int xp = which == 1 ? act_tensor(g, "xp", 3, 7, 7) : act_tensor(g, "xp", 2, 7, 7);
        const int y = act_tensor(g, "y", 2, 5, 5);
        ir_mark_input(g, x, 0);
        const int pn = ir_add_node(g, IR_OP_PAD, "pad", "Pad", 0, 1, &x, 1, &xp);
        ir_attr *pa = &g->nodes[pn].attr;
        pa->begin[2] = pa->end[2] = pa->begin[3] = pa->end[3] = 1;
        if (which == 0)
            pa->pad_value = 0.5;                /* not zero */
        if (which == 1)
            pa->end[1] = 1;                     /* a channel pad */
        if (which == 2)
            pa->pad_mode = IR_PAD_EDGE;         /* not constant */
        conv(g, xp, weights(g, 2, which == 1 ? 3 : 2, 3), y, 3, 0, 1);
        if (which == 3) {
            ir_mark_output(g, xp);              /* the padded tensor is read twice */
        }
        ir_mark_output(g, y);
        assert_int_equal(fuse_pad_conv(g), 0);
        ir_free(g);
    }
}

/* conv -> Add(conv, r) -> LeakyRelu -> Max(., -0.05) -> Relu: one node
 * with residual, leaky, maxc and the clamp, same values. */
static void add_leaky_max_join_the_epilogue(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int x = act_tensor(g, "x", 4, 6, 6);
    const int r = act_tensor(g, "r", 4, 6, 6);
    const int c = act_tensor(g, "c", 4, 6, 6), a = act_tensor(g, "a", 4, 6, 6);
    const int l = act_tensor(g, "l", 4, 6, 6), m = act_tensor(g, "m", 4, 6, 6);
    const int y = act_tensor(g, "y", 4, 6, 6);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    /* r: made from x before the conv (a 1x1 conv) */
    conv(g, x, weights(g, 4, 4, 1), r, 1, 0, 1);
    const int cn = conv(g, x, weights(g, 4, 4, 3), c, 3, 1, 1);
    binary(g, IR_OP_ADD, c, r, a);
    const int ln = ir_add_node(g, IR_OP_LEAKY_RELU, "lrelu", "LeakyRelu", 0, 1, &a, 1, &l);
    g->nodes[ln].attr.alpha = 0.1f;
    binary(g, IR_OP_MAX, l, scalar(g, -0.05f), m);
    const int kn = ir_add_node(g, IR_OP_CLIP, "relu", "Relu", 0, 1, &m, 1, &y);
    g->nodes[kn].attr.act.on = true;
    g->nodes[kn].attr.act.lo = 0.0f;
    g->nodes[kn].attr.act.hi = INFINITY;
    int pads, epis;
    fuse_and_compare(g, &pads, &epis);
    assert_int_equal(epis, 3);
    assert_int_equal(live_nodes(g), 2);
    (void)cn;
    const ir_node *cv = &g->nodes[1];
    assert_int_equal(cv->op, IR_OP_CONV);
    assert_int_equal(cv->n_in, 4);
    assert_int_equal(cv->in[2], -1);
    assert_true(cv->attr.fused.residual && cv->attr.fused.leaky && cv->attr.fused.maxc);
    assert_true(cv->attr.fused.alpha == 0.1f && cv->attr.fused.maxc_value == -0.05f);
    assert_true(cv->attr.act.on && cv->attr.act.lo == 0.0f);
    assert_int_equal(cv->out[0], g->outputs[0]);
    ir_free(g);
}

/* Max(c, conv) is the clamp from below (NaN kept either way). */
static void max_with_constant_first_is_a_clamp(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int x = act_tensor(g, "x", 2, 4, 4), c = act_tensor(g, "c", 2, 4, 4);
    const int y = act_tensor(g, "y", 2, 4, 4);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    conv(g, x, weights(g, 2, 2, 3), c, 3, 1, 1);
    binary(g, IR_OP_MAX, scalar(g, 0.25f), c, y);
    int pads, epis;
    fuse_and_compare(g, &pads, &epis);
    assert_int_equal(epis, 1);
    assert_false(g->nodes[0].attr.fused.maxc);
    assert_true(g->nodes[0].attr.act.on && g->nodes[0].attr.act.lo == 0.25f && isinf(g->nodes[0].attr.act.hi));
    ir_free(g);
}

/* Add(conv_a, conv_b): the residual must exist before the conv it joins,
 * so it joins conv_b (made second), with conv_a as the residual. */
static void add_of_two_convs_joins_the_later(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int x = act_tensor(g, "x", 3, 5, 5), a = act_tensor(g, "a", 3, 5, 5);
    const int b = act_tensor(g, "b", 3, 5, 5), y = act_tensor(g, "y", 3, 5, 5);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    conv(g, x, weights(g, 3, 3, 3), a, 3, 1, 1);
    conv(g, x, weights(g, 3, 3, 1), b, 1, 0, 1);
    binary(g, IR_OP_ADD, a, b, y);
    int pads, epis;
    fuse_and_compare(g, &pads, &epis);
    assert_int_equal(epis, 1);
    assert_false(g->nodes[0].attr.fused.residual);
    assert_true(g->nodes[1].attr.fused.residual);
    assert_int_equal(g->nodes[1].in[3], a);
    ir_free(g);
}

/* Left alone: a conv with its own clamp before the Add (the clamp would
 * move after it), a depthwise conv with a multiplier (plain kernel), a conv
 * whose weights are computed at run time, a broadcast Add. */
static void epilogues_that_must_stay(void **state)
{
    (void)state;
    for (int which = 0; which < 4; which++) {
        ir_graph *g = ir_new("t");
        const int mult = which == 1 ? 2 : 1;
        const int x = act_tensor(g, "x", 2, 4, 4), c = act_tensor(g, "c", 2 * mult, 4, 4);
        const int y = act_tensor(g, "y", 2 * mult, 4, 4);
        const int r = which == 3 ? act_tensor(g, "r", 1, 4, 4) : act_tensor(g, "r", 2 * mult, 4, 4);
        ir_mark_input(g, x, 0);
        ir_mark_input(g, r, 1);
        int w = which == 1 ? weights(g, 4, 1, 3) : weights(g, 2, 2, 3);
        if (which == 2) {
            const int64_t ws[4] = {2, 2, 3, 3};
            w = ir_add_tensor(g, "w_in", IR_DT_F32, 4, ws);
            ir_mark_input(g, w, 2);
        }
        const int cn = conv(g, x, w, c, 3, 1, which == 1 ? 2 : 1);
        if (which == 0) {
            g->nodes[cn].attr.act.on = true;
            g->nodes[cn].attr.act.lo = 0.0f;
            g->nodes[cn].attr.act.hi = INFINITY;
        }
        binary(g, IR_OP_ADD, c, r, y);
        ir_mark_output(g, y);
        assert_int_equal(fuse_conv_epilogue(g), 0);
        ir_free(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zero_pad_folds_into_conv),
        cmocka_unit_test(pads_that_must_stay),
        cmocka_unit_test(add_leaky_max_join_the_epilogue),
        cmocka_unit_test(max_with_constant_first_is_a_clamp),
        cmocka_unit_test(add_of_two_convs_joins_the_later),
        cmocka_unit_test(epilogues_that_must_stay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
