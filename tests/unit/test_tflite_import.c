/*
 * test_tflite_import.c - the TFLite importer, one behaviour per test.
 *
 * Small models are written with tfl_builder.h; every expected value
 * (padding, reordered weight order, slice parameters, ...) is worked out by
 * hand in the comment beside it from TFLite's definitions.  The bundled
 * MLPerf Tiny models are checked against the MAC counts published for them
 * (MLPerf Tiny docs: KWS 2.66 M, VWW 7.49 M, IC 12.5 M, AD 0.264 M).
 * The last test imports damaged copies of a real model in-process, so the
 * sanitizer build also checks every error path for leaks.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "import/import.h"
#include "passes/lower.h"
#include "unit/tfl_builder.h"
#include "util/fileio.h"
#include "util/sbuf.h"

enum { F32 = 0, I32 = 2, I16 = 7, I8 = 9 };
enum { SAME = 0, VALID = 1 };

static uint64_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static char err[1024];

static ir_graph *import_model_struct(const tb_model *m)
{
    size_t len;
    uint8_t *bytes = tb_build(m, &len);
    err[0] = '\0';
    ir_graph *g = import_tflite_mem(bytes, len, "test.tflite", err, sizeof err);
    free(bytes);
    return g;
}

static ir_graph *must_import(const tb_model *m)
{
    ir_graph *g = import_model_struct(m);
    if (!g) {
        print_error("import failed: %s\n", err);
        fail();
    }
    return g;
}

static void must_refuse(const tb_model *m, const char *needle)
{
    ir_graph *g = import_model_struct(m);
    if (g) {
        ir_free(g);
        print_error("import succeeded; expected an error mentioning '%s'\n", needle);
        fail();
    }
    if (!strstr(err, needle)) {
        print_error("message '%s' does not mention '%s'\n", err, needle);
        fail();
    }
}

static const ir_node *find_op(const ir_graph *g, ir_op op, int nth)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == op && nth-- == 0)
            return &g->nodes[i];
    return NULL;
}

static const ir_tensor *in_t(const ir_graph *g, const ir_node *n, int k)
{
    return &g->tensors[n->in[k]];
}

/* ---- convolutions ------------------------------------------------------ */

/* CONV_2D, SAME, stride 2 on a 6x6 input with a 1x2 kernel (kh=1, kw=2), I=2:
 *   out = ceil(6/2) = 3 both ways;
 *   H: total = (3-1)*2 + 1 - 6 = -2 -> 0: pads 0/0;
 *   W: total = (3-1)*2 + 2 - 6 = 0 -> 0/0.
 * A 3x3 kernel gives total = 4 + 3 - 6 = 1: pad 0 before, the odd pixel AFTER.
 * Weights OHWI [1,1,2,2] hold w*2+i at (w,i): (0,0)=0 (0,1)=1 (1,0)=2 (1,1)=3;
 * as OIHW [1,2,1,2] in (i,w) order: 0,2,1,3. */
static void test_conv_same_padding_and_weight_order(void **state)
{
    (void)state;
    float w12[4] = {0, 1, 2, 3}, w33[9 * 2] = {0}, bias[1] = {0.5f};
    tb_buf bufs[4] = {{0}, {w12, sizeof w12}, {bias, sizeof bias}, {w33, sizeof w33}};
    tb_tensor t[6] = {
        {"x", F32, 4, {1, 6, 6, 2}},
        {"w", F32, 4, {1, 1, 2, 2}, 1},
        {"b", F32, 1, {1}, 2},
        {"y", F32, 4, {1, 3, 3, 1}},
        {"w33", F32, 4, {1, 3, 3, 2}, 3},
        {"y2", F32, 4, {1, 3, 3, 1}},
    };
    tb_op ops[2] = {
        {3, 1, 3, {0, 1, 2}, 1, {3}, 1, 4, {{0, 1, SAME}, {1, 4, 2}, {2, 4, 2}, {3, 1, 3}}},
        {3, 1, 3, {0, 4, 2}, 1, {5}, 1, 3, {{0, 1, SAME}, {1, 4, 2}, {2, 4, 2}}},
    };
    tb_model m = {6, t, 2, ops, 4, bufs, 1, {0}, 2, {3, 5}};
    ir_graph *g = must_import(&m);
    const ir_node *c = find_op(g, IR_OP_CONV, 0);
    assert_non_null(c);
    assert_int_equal(c->attr.conv.layout, IR_LAYOUT_NHWC);
    assert_int_equal(c->attr.conv.kernel[0], 1);
    assert_int_equal(c->attr.conv.kernel[1], 2);
    assert_int_equal(c->attr.conv.stride[0], 2);
    assert_int_equal(c->attr.conv.pad_begin[0] + c->attr.conv.pad_end[0], 0);
    assert_int_equal(c->attr.conv.pad_begin[1] + c->attr.conv.pad_end[1], 0);
    assert_int_equal(c->attr.conv.group, 1);
    assert_true(c->attr.act.on);                /* RELU6 */
    assert_true(c->attr.act.lo == 0.0f && c->attr.act.hi == 6.0f);
    assert_int_equal(c->attr.qmode, IR_QMODE_TFLITE);
    const ir_tensor *w = in_t(g, c, 1);
    assert_int_equal(w->rank, 4);
    int64_t ws[4] = {1, 2, 1, 2};
    assert_memory_equal(w->shape, ws, sizeof ws);
    float want[4] = {0, 2, 1, 3};
    assert_memory_equal(w->data, want, sizeof want);
    const ir_node *c2 = find_op(g, IR_OP_CONV, 1);
    assert_int_equal(c2->attr.conv.pad_begin[0], 0);
    assert_int_equal(c2->attr.conv.pad_end[0], 1);
    assert_int_equal(c2->attr.conv.pad_begin[1], 0);
    assert_int_equal(c2->attr.conv.pad_end[1], 1);
    assert_false(c2->attr.act.on);
    ir_free(g);
}

/* VALID: out = (in - k + stride) / stride; a stated output shape that
 * disagrees is an error naming the operator. */
static void test_conv_valid_and_shape_mismatch(void **state)
{
    (void)state;
    float w[9] = {0};
    tb_buf bufs[2] = {{0}, {w, sizeof w}};
    /* 7x7, k=3, stride 2, VALID: (7 - 3 + 2) / 2 = 3 */
    tb_tensor t[3] = {{"x", F32, 4, {1, 7, 7, 1}}, {"w", F32, 4, {1, 3, 3, 1}, 1},
                      {"y", F32, 4, {1, 3, 3, 1}}};
    tb_op op = {3, 1, 2, {0, 1}, 1, {2}, 1, 3, {{0, 1, VALID}, {1, 4, 2}, {2, 4, 2}}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    ir_graph *g = must_import(&m);
    const ir_node *c = find_op(g, IR_OP_CONV, 0);
    assert_int_equal(c->attr.conv.pad_begin[0], 0);
    assert_int_equal(c->attr.conv.pad_end[1], 0);
    assert_int_equal(c->in[2], -1);             /* no bias */
    ir_free(g);
    t[2].shape[1] = 4;
    must_refuse(&m, "operator 0 (CONV_2D v1): output 'y' has shape [1,4,3,1]");
}

/* DEPTHWISE_CONV_2D, C = 2, mult = 2: weights [1,1,2,4] hold w*4+m at (w,m);
 * IR [4,1,1,2] in (m,w) order: 0,4, 1,5, 2,6, 3,7; group = C = 2; the
 * per-channel axis 3 becomes 0. */
static void test_depthwise_reorder_group_and_quant_axis(void **state)
{
    (void)state;
    int8_t w[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int32_t bias[4] = {1, 2, 3, 4};
    tb_buf bufs[3] = {{0}, {w, sizeof w}, {bias, sizeof bias}};
    tb_tensor t[4] = {
        {"x", I8, 4, {1, 3, 3, 2}, 0, 1, {0.5f}, {-1}},
        {"w", I8, 4, {1, 1, 2, 4}, 1, 4, {0.1f, 0.2f, 0.3f, 0.4f}, {0, 0, 0, 0}, 3},
        {"b", I32, 1, {4}, 2, 4, {0.05f, 0.1f, 0.15f, 0.2f}, {0, 0, 0, 0}, 0},
        {"y", I8, 4, {1, 3, 2, 4}, 0, 1, {0.25f}, {3}},
    };
    /* VALID, stride 1: H out = 3 - 1 + 1 = 3, W out = 3 - 2 + 1 = 2 */
    tb_op op = {4, 3, 3, {0, 1, 2}, 1, {3}, 2, 4,
                {{0, 1, VALID}, {1, 4, 1}, {2, 4, 1}, {3, 4, 2}}};
    tb_model m = {4, t, 1, &op, 3, bufs, 1, {0}, 1, {3}};
    ir_graph *g = must_import(&m);
    const ir_node *c = find_op(g, IR_OP_CONV, 0);
    assert_non_null(c);
    assert_int_equal(c->attr.conv.group, 2);
    const ir_tensor *wt = in_t(g, c, 1);
    int64_t ws[4] = {4, 1, 1, 2};
    assert_memory_equal(wt->shape, ws, sizeof ws);
    int8_t want[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    assert_memory_equal(wt->data, want, sizeof want);
    assert_int_equal(wt->q.n, 4);
    assert_int_equal(wt->q.axis, 0);
    assert_true(wt->q.scale[3] == 0.4f);
    const ir_tensor *x = in_t(g, c, 0);
    assert_int_equal(x->q.n, 1);
    assert_int_equal(x->q.zero_point[0], -1);
    ir_free(g);
}

/* TRANSPOSE_CONV: x [1,2,2,1], weights [O=2,1,1,I=3]... two cases.
 * Case A, SAME, stride 2, 3x3, output_shape [1,4,4,1]: TFLite pads as the
 * forward conv from 4 to 2: total = (2-1)*2 + 3 - 4 = 1, pad_before = 0.
 * IR (ONNX) pad_end = stride*(in-1) + k - pb - out = 2 + 3 - 0 - 4 = 1.
 * Case B, weights [2,1,1,3] with values o*3+i -> IR [I=3,O=2,1,1] in (i,o)
 * order: 0,3, 1,4, 2,5; VALID stride 1 out = in. */
static void test_transpose_conv_pads_and_weights(void **state)
{
    (void)state;
    int32_t os_a[4] = {1, 4, 4, 1}, os_b[4] = {1, 2, 2, 2};
    float wa[9] = {0}, wb[6] = {0, 1, 2, 3, 4, 5};
    tb_buf bufs[5] = {{0}, {os_a, sizeof os_a}, {wa, sizeof wa}, {os_b, sizeof os_b},
                      {wb, sizeof wb}};
    tb_tensor t[8] = {
        {"os_a", I32, 1, {4}, 1}, {"wa", F32, 4, {1, 3, 3, 1}, 2}, {"x", F32, 4, {1, 2, 2, 1}},
        {"ya", F32, 4, {1, 4, 4, 1}},
        {"os_b", I32, 1, {4}, 3}, {"wb", F32, 4, {2, 1, 1, 3}, 4}, {"xb", F32, 4, {1, 2, 2, 3}},
        {"yb", F32, 4, {1, 2, 2, 2}},
    };
    tb_op ops[2] = {
        {67, 1, 3, {0, 1, 2}, 1, {3}, 49, 3, {{0, 1, SAME}, {1, 4, 2}, {2, 4, 2}}},
        {67, 1, 3, {4, 5, 6}, 1, {7}, 49, 3, {{0, 1, VALID}, {1, 4, 1}, {2, 4, 1}}},
    };
    tb_model m = {8, t, 2, ops, 5, bufs, 2, {2, 6}, 2, {3, 7}};
    ir_graph *g = must_import(&m);
    const ir_node *a = find_op(g, IR_OP_CONV_TRANSPOSE, 0);
    assert_non_null(a);
    assert_int_equal(a->attr.conv.pad_begin[0], 0);
    assert_int_equal(a->attr.conv.pad_end[0], 1);
    assert_int_equal(a->attr.conv.pad_end[1], 1);
    assert_int_equal(a->attr.conv.output_padding[0], 0);
    assert_int_equal(a->attr.conv.stride[1], 2);
    const ir_node *b = find_op(g, IR_OP_CONV_TRANSPOSE, 1);
    const ir_tensor *w = in_t(g, b, 1);
    int64_t ws[4] = {3, 2, 1, 1};
    assert_memory_equal(w->shape, ws, sizeof ws);
    float want[6] = {0, 3, 1, 4, 2, 5};
    assert_memory_equal(w->data, want, sizeof want);
    assert_int_equal(b->attr.conv.pad_begin[0] + b->attr.conv.pad_end[0], 0);
    ir_free(g);
}

/* FULLY_CONNECTED on a [1,2,2,3] input with weights [5,12]: the IR op wants
 * [batch, K] = [1,12], so a RESHAPE comes first.  keep_num_dims on [2,3,4]
 * with weights [5,4]: reshape to [6,4], FC -> [6,5], reshape to [2,3,5]. */
static void test_fully_connected_reshapes(void **state)
{
    (void)state;
    float w1[60] = {0}, w2[20] = {0};
    tb_buf bufs[3] = {{0}, {w1, sizeof w1}, {w2, sizeof w2}};
    tb_tensor t[6] = {
        {"x", F32, 4, {1, 2, 2, 3}}, {"w1", F32, 2, {5, 12}, 1}, {"y1", F32, 2, {1, 5}},
        {"x2", F32, 3, {2, 3, 4}}, {"w2", F32, 2, {5, 4}, 2}, {"y2", F32, 3, {2, 3, 5}},
    };
    tb_op ops[2] = {
        {9, 1, 3, {0, 1, -1}, 1, {2}, 8, 1, {{0, 1, 1}}},          /* RELU fused */
        {9, 5, 2, {3, 4}, 1, {5}, 8, 1, {{2, 1, 1}}},              /* keep_num_dims */
    };
    tb_model m = {6, t, 2, ops, 3, bufs, 2, {0, 3}, 2, {2, 5}};
    ir_graph *g = must_import(&m);
    const ir_node *fc = find_op(g, IR_OP_FULLY_CONNECTED, 0);
    const ir_tensor *x = in_t(g, fc, 0);
    assert_int_equal(x->rank, 2);
    assert_int_equal(x->shape[0], 1);
    assert_int_equal(x->shape[1], 12);
    assert_int_equal(fc->in[2], -1);
    assert_true(fc->attr.act.on && fc->attr.act.lo == 0.0f && isinf(fc->attr.act.hi));
    const ir_node *fc2 = find_op(g, IR_OP_FULLY_CONNECTED, 1);
    assert_int_equal(in_t(g, fc2, 0)->shape[0], 6);
    assert_int_equal(g->tensors[fc2->out[0]].shape[1], 5);
    assert_non_null(find_op(g, IR_OP_RESHAPE, 2));   /* 3 reshapes in all */
    assert_null(find_op(g, IR_OP_RESHAPE, 3));
    ir_free(g);
}

/* Pools: AVERAGE SAME 3x3 stride 1 on 4x4 -> total 2: 1/1, divisor counts only
 * positions inside the input; MAX VALID 2x2 stride 2 on 4x4 -> 2x2. */
static void test_pools(void **state)
{
    (void)state;
    tb_tensor t[3] = {{"x", F32, 4, {1, 4, 4, 3}}, {"a", F32, 4, {1, 4, 4, 3}},
                      {"m", F32, 4, {1, 2, 2, 3}}};
    tb_op ops[2] = {
        {1, 1, 1, {0}, 1, {1}, 5, 5, {{0, 1, SAME}, {1, 4, 1}, {2, 4, 1}, {3, 4, 3}, {4, 4, 3}}},
        {17, 1, 1, {0}, 1, {2}, 5, 5, {{0, 1, VALID}, {1, 4, 2}, {2, 4, 2}, {3, 4, 2}, {4, 4, 2}}},
    };
    tb_model m = {3, t, 2, ops, 1, NULL, 1, {0}, 2, {1, 2}};
    ir_graph *g = must_import(&m);
    const ir_node *a = find_op(g, IR_OP_AVGPOOL, 0), *mx = find_op(g, IR_OP_MAXPOOL, 0);
    assert_int_equal(a->attr.conv.pad_begin[0], 1);
    assert_int_equal(a->attr.conv.pad_end[1], 1);
    assert_false(a->attr.conv.count_include_pad);
    assert_int_equal(a->attr.conv.kernel[1], 3);
    assert_int_equal(mx->attr.conv.stride[0], 2);
    assert_int_equal(mx->attr.conv.pad_end[0], 0);
    ir_free(g);
}

/* ---- elementwise ------------------------------------------------------- */

static void test_elementwise_mapping(void **state)
{
    (void)state;
    tb_tensor t[9] = {
        {"a", F32, 2, {2, 3}}, {"b", F32, 1, {3}}, {"s", F32, 2, {2, 3}}, {"r6", F32, 2, {2, 3}},
        {"lg", F32, 2, {2, 3}}, {"lr", F32, 2, {2, 3}}, {"sm", F32, 2, {2, 3}},
        {"mx", F32, 2, {2, 3}}, {"hs", F32, 2, {2, 3}},
    };
    tb_op ops[7] = {
        {0, 1, 2, {0, 1}, 1, {2}, 11, 1, {{0, 1, 3}}},             /* ADD + RELU6, broadcast */
        {21, 1, 1, {2}, 1, {3}},                                    /* RELU6 */
        {14, 1, 1, {3}, 1, {4}},                                    /* LOGISTIC */
        {98, 1, 1, {4}, 1, {5}, 75, 1, {{0, 4, 0}}},               /* LEAKY_RELU alpha */
        {25, 1, 1, {5}, 1, {6}, 9, 1, {{0, 4, 0}}},                /* SOFTMAX beta */
        {55, 1, 2, {6, 0}, 1, {7}},                                 /* MAXIMUM */
        {117, 1, 1, {7}, 1, {8}},                                   /* HARD_SWISH */
    };
    ops[3].opt[0].val = f2u(0.2f);
    ops[4].opt[0].val = f2u(0.5f);
    tb_model m = {9, t, 7, ops, 1, NULL, 2, {0, 1}, 1, {8}};
    ir_graph *g = must_import(&m);
    const ir_node *n = find_op(g, IR_OP_ADD, 0);
    assert_true(n->attr.act.on && n->attr.act.hi == 6.0f);
    n = find_op(g, IR_OP_CLIP, 0);
    assert_true(n->attr.act.on && n->attr.act.lo == 0.0f && n->attr.act.hi == 6.0f);
    assert_non_null(find_op(g, IR_OP_SIGMOID, 0));
    assert_true(find_op(g, IR_OP_LEAKY_RELU, 0)->attr.alpha == 0.2f);
    n = find_op(g, IR_OP_SOFTMAX, 0);
    assert_true(n->attr.beta == 0.5f);
    assert_int_equal(n->attr.axis, 1);
    assert_int_equal(n->attr.axis_end, 2);
    assert_non_null(find_op(g, IR_OP_MAX, 0));
    assert_non_null(find_op(g, IR_OP_HARD_SWISH, 0));
    ir_free(g);
    /* shapes that do not broadcast to the output */
    t[1].shape[0] = 2;
    must_refuse(&m, "operator 0 (ADD v1): shapes [2,3] and [2] do not broadcast");
}

/* QUANTIZE float -> int8 is QUANTIZE; int8 -> int16 is REQUANTIZE; DEQUANTIZE
 * of a constant per-channel int8 [2,2] (scales 0.5, 2; zero points 1, -1)
 * folds to float: (3-1)*0.5 = 1, (5-1)*0.5 = 2, (0+1)*2 = 2, (-3+1)*2 = -4. */
static void test_quantize_requantize_and_folded_dequantize(void **state)
{
    (void)state;
    int8_t wq[4] = {3, 5, 0, -3};
    tb_buf bufs[2] = {{0}, {wq, sizeof wq}};
    tb_tensor t[6] = {
        {"x", F32, 2, {2, 2}}, {"q", I8, 2, {2, 2}, 0, 1, {0.1f}, {2}},
        {"q16", I16, 2, {2, 2}, 0, 1, {0.01f}, {0}},
        {"wq", I8, 2, {2, 2}, 1, 2, {0.5f, 2.0f}, {1, -1}, 0}, {"wf", F32, 2, {2, 2}},
        {"sum", F32, 2, {2, 2}},
    };
    tb_op ops[4] = {
        {114, 1, 1, {0}, 1, {1}},
        {114, 2, 1, {1}, 1, {2}},
        {6, 2, 1, {3}, 1, {4}},
        {0, 1, 2, {0, 4}, 1, {5}},
    };
    tb_model m = {6, t, 4, ops, 2, bufs, 1, {0}, 2, {2, 5}};
    ir_graph *g = must_import(&m);
    assert_non_null(find_op(g, IR_OP_QUANTIZE, 0));
    assert_non_null(find_op(g, IR_OP_REQUANTIZE, 0));
    assert_null(find_op(g, IR_OP_DEQUANTIZE, 0));
    const ir_node *add = find_op(g, IR_OP_ADD, 0);
    const ir_tensor *wf = in_t(g, add, 1);
    assert_true(ir_is_const(wf));
    float want[4] = {1, 2, 2, -4};
    assert_memory_equal(wf->data, want, sizeof want);
    ir_free(g);
}

/* ---- shapes ------------------------------------------------------------- */

/* STRIDED_SLICE on [1,5,4]: begin [0,1,-1], end [1,5,0], strides [1,2,-1],
 * end_mask = 4 (axis 2), shrink_axis_mask = 1 (axis 0):
 *   axis 0: shrink -> index 0, removed;
 *   axis 1: 1..5 step 2 -> 1, 3 (2 elements);
 *   axis 2: begin -1+4 = 3, end masked (stride < 0) -> -1: 3,2,1,0 (4 elements).
 * IR: SLICE begin (0,1,3) step (1,2,-1) to [1,2,4], then RESHAPE to [2,4]. */
static void test_strided_slice_masks(void **state)
{
    (void)state;
    int32_t be[3] = {0, 1, -1}, en[3] = {1, 5, 0}, st[3] = {1, 2, -1};
    tb_buf bufs[4] = {{0}, {be, sizeof be}, {en, sizeof en}, {st, sizeof st}};
    tb_tensor t[5] = {{"x", F32, 3, {1, 5, 4}}, {"b", I32, 1, {3}, 1}, {"e", I32, 1, {3}, 2},
                      {"s", I32, 1, {3}, 3}, {"y", F32, 2, {2, 4}}};
    tb_op op = {45, 1, 4, {0, 1, 2, 3}, 1, {4}, 32, 2, {{1, 4, 4}, {4, 4, 1}}};
    tb_model m = {5, t, 1, &op, 4, bufs, 1, {0}, 1, {4}};
    ir_graph *g = must_import(&m);
    const ir_node *s = find_op(g, IR_OP_SLICE, 0);
    assert_non_null(s);
    assert_int_equal(s->attr.begin[0], 0);
    assert_int_equal(s->attr.begin[1], 1);
    assert_int_equal(s->attr.begin[2], 3);
    assert_int_equal(s->attr.step[1], 2);
    assert_int_equal(s->attr.step[2], -1);
    const ir_tensor *ys = &g->tensors[s->out[0]];
    assert_int_equal(ys->rank, 3);
    assert_int_equal(ys->shape[1], 2);
    assert_int_equal(ys->shape[2], 4);
    assert_non_null(find_op(g, IR_OP_RESHAPE, 0));
    ir_free(g);
    op.opt[1].val = 0;
    op.opt[0].id = 3;                           /* new_axis_mask instead */
    must_refuse(&m, "new_axis_mask");
}

/* SPLIT axis 1 of [1,6,2] into 3: SLICEs starting at 0, 2, 4 along axis 1;
 * SPLIT_V sizes [1,-1] of axis 2 (size 2): [1,6,1] twice, starts 0 and 1. */
static void test_split_and_split_v(void **state)
{
    (void)state;
    int32_t axis1 = 1, sizes[2] = {1, -1}, axis2 = -1;
    tb_buf bufs[4] = {{0}, {&axis1, 4}, {sizes, sizeof sizes}, {&axis2, 4}};
    tb_tensor t[9] = {
        {"ax", I32, 0, {0}, 1}, {"x", F32, 3, {1, 6, 2}}, {"y0", F32, 3, {1, 2, 2}},
        {"y1", F32, 3, {1, 2, 2}}, {"y2", F32, 3, {1, 2, 2}}, {"sz", I32, 1, {2}, 2},
        {"ax2", I32, 0, {0}, 3}, {"v0", F32, 3, {1, 6, 1}}, {"v1", F32, 3, {1, 6, 1}},
    };
    tb_op ops[2] = {
        {49, 1, 2, {0, 1}, 3, {2, 3, 4}, 35, 1, {{0, 4, 3}}},
        {102, 1, 3, {1, 5, 6}, 2, {7, 8}, 79, 1, {{0, 4, 2}}},
    };
    tb_model m = {9, t, 2, ops, 4, bufs, 1, {1}, 5, {2, 3, 4, 7, 8}};
    ir_graph *g = must_import(&m);
    for (int i = 0; i < 3; i++) {
        const ir_node *s = find_op(g, IR_OP_SLICE, i);
        assert_int_equal(s->attr.begin[1], 2 * i);
        assert_int_equal(s->attr.step[1], 1);
        assert_int_equal(g->tensors[s->out[0]].shape[1], 2);
    }
    assert_int_equal(find_op(g, IR_OP_SLICE, 3)->attr.begin[2], 0);
    assert_int_equal(find_op(g, IR_OP_SLICE, 4)->attr.begin[2], 1);
    ir_free(g);
}

/* PADV2 on int8 with constant_values 5 and output s = 0.5, zp = -3: TFLite
 * writes 5 raw, whose real value is 0.5 * (5 - (-3)) = 4.0; paddings
 * [[0,0],[1,2],[0,0],[3,0]] grow [1,2,2,1] to [1,5,2,4].  MEAN over axes
 * [1,2] with keep_dims -> mask 0b110, shape [1,1,1,4]. */
static void test_pad_and_mean(void **state)
{
    (void)state;
    int32_t pads[8] = {0, 0, 1, 2, 0, 0, 3, 0}, axes[2] = {1, -2};
    int8_t cv = 5;
    tb_buf bufs[4] = {{0}, {pads, sizeof pads}, {&cv, 1}, {axes, sizeof axes}};
    tb_tensor t[6] = {
        {"x", I8, 4, {1, 2, 2, 1}, 0, 1, {0.5f}, {-3}}, {"p", I32, 2, {4, 2}, 1},
        {"c", I8, 0, {0}, 2, 1, {0.5f}, {-3}}, {"y", I8, 4, {1, 5, 2, 4}, 0, 1, {0.5f}, {-3}},
        {"ax", I32, 1, {2}, 3}, {"mean", I8, 4, {1, 1, 1, 4}, 0, 1, {0.25f}, {0}},
    };
    tb_op ops[2] = {
        {60, 1, 3, {0, 1, 2}, 1, {3}, 43, 0},
        {40, 2, 2, {3, 4}, 1, {5}, 27, 1, {{0, 1, 1}}},
    };
    tb_model m = {6, t, 2, ops, 4, bufs, 1, {0}, 1, {5}};
    ir_graph *g = must_import(&m);
    const ir_node *p = find_op(g, IR_OP_PAD, 0);
    assert_int_equal(p->attr.begin[1], 1);
    assert_int_equal(p->attr.end[1], 2);
    assert_int_equal(p->attr.begin[3], 3);
    assert_true(p->attr.pad_value == 4.0);
    const ir_node *mn = find_op(g, IR_OP_REDUCE_MEAN, 0);
    assert_int_equal(mn->attr.axes_mask, 6);
    ir_free(g);
}

static void test_concat_and_transpose(void **state)
{
    (void)state;
    int32_t perm[3] = {2, 0, 1};
    tb_buf bufs[2] = {{0}, {perm, sizeof perm}};
    tb_tensor t[6] = {{"a", F32, 3, {2, 1, 3}}, {"b", F32, 3, {2, 4, 3}}, {"c", F32, 3, {2, 5, 3}},
                      {"p", I32, 1, {3}, 1}, {"tr", F32, 3, {3, 2, 5}}, {"z", F32, 1, {1}}};
    tb_op ops[2] = {
        {2, 1, 2, {0, 1}, 1, {2}, 10, 1, {{0, 4, (uint32_t)-2}}},  /* axis -2 -> 1 */
        {39, 1, 2, {2, 3}, 1, {4}},
    };
    tb_model m = {5, t, 2, ops, 2, bufs, 2, {0, 1}, 1, {4}};
    ir_graph *g = must_import(&m);
    const ir_node *c = find_op(g, IR_OP_CONCAT, 0);
    assert_int_equal(c->attr.axis, 1);
    assert_int_equal(c->n_in, 2);
    const ir_node *tr = find_op(g, IR_OP_TRANSPOSE, 0);
    assert_int_equal(tr->attr.perm[0], 2);
    assert_int_equal(tr->attr.perm[2], 1);
    ir_free(g);
    t[4].shape[0] = 2;                          /* [2,2,5] is not perm of [2,5,3] */
    must_refuse(&m, "operator 1 (TRANSPOSE v1)");
}

/* ---- refusals ----------------------------------------------------------- */

static void test_refusals_name_op_version_and_index(void **state)
{
    (void)state;
    float w[4] = {0};
    int8_t w8[4] = {0};
    tb_buf bufs[3] = {{0}, {w, sizeof w}, {w8, sizeof w8}};
    tb_tensor t[4] = {{"x", F32, 2, {1, 4}}, {"y", F32, 2, {1, 1}}, {"w", F32, 2, {1, 4}, 1},
                      {"w8", I8, 2, {1, 4}, 2, 1, {0.1f}, {0}}};
    tb_op op = {48, 1, 2, {0, 2}, 1, {1}};            /* TOPK_V2 */
    tb_model m = {4, t, 1, &op, 3, bufs, 1, {0}, 1, {1}};
    must_refuse(&m, "operator 0 (TOPK_V2 v1): this builtin operator is not supported");
    op.builtin = 9;
    op.version = 12;
    must_refuse(&m, "operator 0 (FULLY_CONNECTED v12): version 12 is not supported");
    op.version = 3;
    op.in[1] = 3;                                    /* int8 weights, float activations */
    must_refuse(&m, "operator 0 (FULLY_CONNECTED v3): hybrid operator");
    op.builtin = 32;
    op.custom = "MyOp";
    must_refuse(&m, "custom operator 'MyOp'");
    op.custom = NULL;
    op.builtin = 119;                                /* WHILE */
    must_refuse(&m, "operator 0 (WHILE v3): control flow");
    op.builtin = 150;                                /* GELU: only in builtin_code */
    must_refuse(&m, "operator 0 (GELU v3)");
    op.builtin = 0;                                  /* ADD with a fused TANH */
    op.version = 1;
    op.in[1] = 2;
    t[1].shape[1] = 4;
    op.opt_type = 11;
    op.nopt = 1;
    op.opt[0] = (fbb_field){0, 1, 4, 0};
    must_refuse(&m, "fused activation TANH");
}

static void test_damaged_file_messages(void **state)
{
    (void)state;
    tb_tensor t[2] = {{"x", F32, 2, {1, 4}}, {"y", F32, 2, {1, 4}}};
    tb_op op = {19, 1, 1, {0}, 1, {1}};
    tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
    size_t len;
    uint8_t *bytes = tb_build(&m, &len);
    ir_graph *g = import_tflite_mem(bytes, len, "ok.tflite", err, sizeof err);
    assert_non_null(g);
    ir_free(g);
    assert_null(import_tflite_mem(bytes, 6, "short.tflite", err, sizeof err));
    assert_non_null(strstr(err, "short.tflite"));
    assert_non_null(strstr(err, "too short"));
    bytes[4] = 'X';
    assert_null(import_tflite_mem(bytes, len, "id.tflite", err, sizeof err));
    assert_non_null(strstr(err, "TFL3"));
    free(bytes);
    /* an operator input past the tensor list */
    op.in[0] = 7;
    must_refuse(&m, "operator 0 (RELU v1): tensor index 7 is out of range");
}

/* Buffer data stored after the flatbuffer (Buffer.offset / size, schema 3c)
 * is read from there; an offset past the end of the file is refused. */
static void test_external_buffer(void **state)
{
    (void)state;
    float w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    tb_buf bufs[2] = {{0}, {w, sizeof w, true}};
    tb_tensor t[3] = {{"x", F32, 2, {1, 4}}, {"w", F32, 2, {2, 4}, 1}, {"y", F32, 2, {1, 2}}};
    tb_op op = {9, 1, 2, {0, 1}, 1, {2}};
    tb_model m = {3, t, 1, &op, 2, bufs, 1, {0}, 1, {2}};
    ir_graph *g = must_import(&m);
    const ir_node *fc = find_op(g, IR_OP_FULLY_CONNECTED, 0);
    assert_memory_equal(in_t(g, fc, 1)->data, w, sizeof w);
    ir_free(g);
    size_t len;
    uint8_t *bytes = tb_build(&m, &len);
    assert_null(import_tflite_mem(bytes, len - 4, "cut.tflite", err, sizeof err));
    assert_non_null(strstr(err, "past the end"));
    free(bytes);
}

/* int16 activations with int8 weights and int64 bias (16x8 FULLY_CONNECTED,
 * version 7) import; int16 activations with float weights do not. */
static void test_int16x8_fully_connected(void **state)
{
    (void)state;
    int8_t w[8] = {0};
    int64_t bias[2] = {0};
    float wf[8] = {0};
    tb_buf bufs[4] = {{0}, {w, sizeof w}, {bias, sizeof bias}, {wf, sizeof wf}};
    tb_tensor t[5] = {
        {"x", I16, 2, {1, 4}, 0, 1, {0.001f}, {0}},
        {"w", I8, 2, {2, 4}, 1, 2, {0.01f, 0.02f}, {0, 0}, 0},
        {"b", 4 /* INT64 */, 1, {2}, 2, 2, {1e-5f, 2e-5f}, {0, 0}, 0},
        {"y", I16, 2, {1, 2}, 0, 1, {0.002f}, {0}},
        {"wf", F32, 2, {2, 4}, 3},
    };
    tb_op op = {9, 7, 3, {0, 1, 2}, 1, {3}};
    tb_model m = {5, t, 1, &op, 4, bufs, 1, {0}, 1, {3}};
    ir_graph *g = must_import(&m);
    const ir_node *fc = find_op(g, IR_OP_FULLY_CONNECTED, 0);
    assert_int_equal(in_t(g, fc, 0)->dtype, IR_DT_S16);
    assert_int_equal(in_t(g, fc, 2)->dtype, IR_DT_S64);
    assert_int_equal(in_t(g, fc, 1)->q.n, 2);
    ir_free(g);
    op.in[1] = 4;
    must_refuse(&m, "unsupported type combination: input int16, weights float32");
}

/* ---- the bundled models ------------------------------------------------- */

static uint64_t model_macs(const char *path)
{
    char e[1024];
    ir_graph *g = import_tflite(path, e, sizeof e);
    if (!g) {
        print_error("%s\n", e);
        fail();
    }
    uint64_t m = 0;
    for (int n = 0; n < g->n_nodes; n++)
        m += ir_node_macc(g, n);
    ir_free(g);
    return m;
}

/* Published MACs (3 significant digits) must match within half a unit of the
 * last digit. */
static void expect_macs(const char *model, double published_m)
{
    char *path = xasprintf("%s/../shared/models/mlperf_tiny/%s", KILN_ROOT, model);
    double got = (double)model_macs(path) / 1e6;
    free(path);
    if (fabs(got - published_m) > 0.005 * published_m) {
        print_error("%s: %.4f M MACs, published %.3f M\n", model, got, published_m);
        fail();
    }
}

static void test_mlperf_tiny_macs(void **state)
{
    (void)state;
    expect_macs("kws_ref_model.tflite", 2.66);
    expect_macs("vww_96_int8.tflite", 7.49);
    expect_macs("vww_96_float.tflite", 7.49);
    expect_macs("pretrainedResnet_quant.tflite", 12.5);
    expect_macs("pretrainedResnet.tflite", 12.5);
    expect_macs("ad01_int8.tflite", 0.264);
    expect_macs("ad01_fp32.tflite", 0.264);
}

/* Damaged copies of the KWS model, imported in-process: each returns a graph
 * or NULL with a message; under the sanitizer build, LeakSanitizer checks
 * every error path taken frees what it allocated. */
static void test_damaged_real_model_in_process(void **state)
{
    (void)state;
    char *path = xasprintf("%s/../shared/models/mlperf_tiny/kws_ref_model.tflite", KILN_ROOT);
    uint8_t *data;
    size_t len;
    char e[1024];
    assert_true(read_file(path, &data, &len, e, sizeof e));
    free(path);
    uint32_t s = 7;
    int ok = 0, refused = 0;
    for (int i = 0; i < 600; i++) {
        uint8_t *c = malloc(len);
        memcpy(c, data, len);
        size_t n = len;
        for (int k = 0; k < 1 + i % 3; k++) {
            s = s * 1103515245u + 12345u;
            size_t pos = (s >> 8) % (i % 2 ? 4096 : len);
            c[pos] ^= (uint8_t)(1u << (s >> 28 & 7));
        }
        if (i % 10 == 0)
            n = (s >> 4) % len;
        e[0] = '\0';
        ir_graph *g = import_tflite_mem(c, n, "kws.tflite", e, sizeof e);
        if (g) {
            ok++;
            ir_free(g);
        } else {
            refused++;
            assert_true(strncmp(e, "kws.tflite: ", 12) == 0);
        }
        free(c);
    }
    free(data);
    assert_true(ok > 0 && refused > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_same_padding_and_weight_order),
        cmocka_unit_test(test_conv_valid_and_shape_mismatch),
        cmocka_unit_test(test_depthwise_reorder_group_and_quant_axis),
        cmocka_unit_test(test_transpose_conv_pads_and_weights),
        cmocka_unit_test(test_fully_connected_reshapes),
        cmocka_unit_test(test_pools),
        cmocka_unit_test(test_elementwise_mapping),
        cmocka_unit_test(test_quantize_requantize_and_folded_dequantize),
        cmocka_unit_test(test_strided_slice_masks),
        cmocka_unit_test(test_split_and_split_v),
        cmocka_unit_test(test_pad_and_mean),
        cmocka_unit_test(test_concat_and_transpose),
        cmocka_unit_test(test_refusals_name_op_version_and_index),
        cmocka_unit_test(test_damaged_file_messages),
        cmocka_unit_test(test_external_buffer),
        cmocka_unit_test(test_int16x8_fully_connected),
        cmocka_unit_test(test_mlperf_tiny_macs),
        cmocka_unit_test(test_damaged_real_model_in_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
