/*
 * test_fuse_qdq.c - the QDQ fusion pass on hand-built graphs shaped the way
 * onnxruntime's quantizer writes them (DequantizeLinear on inputs, int8
 * weights behind DequantizeLinear, QuantizeLinear on the output).  Expected
 * results (which nodes remain, which tensors they read, requantized bias
 * values) are worked out in the comments.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ir/ir.h"
#include "passes/fuse_qdq.h"

static int q_tensor(ir_graph *g, const char *name, ir_dtype dt, int rank, const int64_t *shape, float s, int zp)
{
    int t = ir_add_tensor(g, name, dt, rank, shape);
    int32_t z = zp;
    ir_set_quant(g, t, 1, 0, &s, &z);
    return t;
}

/* DQ(xq) , DQ(wq per-channel), bias -> CONV -> [CLIP] -> Q.  bias_kind:
 * 0 int32 with scale s_x*s_w, 1 float constant, 2 int32 with another scale. */
typedef struct conv_case {
    ir_graph *g;
    int xq, wq, bq, yq, y;
} conv_case;

static conv_case build_conv(int bias_kind, bool clip, bool y_is_output)
{
    conv_case c = {0};
    ir_graph *g = c.g = ir_new("qdq");
    const int64_t xs[4] = {1, 2, 4, 4}, ws[4] = {3, 2, 1, 1}, bs[1] = {3}, ys[4] = {1, 3, 4, 4};
    c.xq = q_tensor(g, "xq", IR_DT_S8, 4, xs, 0.5f, 1);
    ir_mark_input(g, c.xq, 0);
    int x = ir_add_tensor(g, "x", IR_DT_F32, 4, xs);
    int8_t wdata[6] = {1, -2, 3, -4, 5, -6};
    c.wq = ir_add_const(g, "wq", IR_DT_S8, 4, ws, wdata, sizeof wdata);
    const float wscale[3] = {0.1f, 0.2f, 0.3f};
    ir_set_quant(g, c.wq, 3, 0, wscale, NULL);
    int w = ir_add_tensor(g, "w", IR_DT_F32, 4, ws);
    int b;
    if (bias_kind == 1) {
        const float bf[3] = {0.5f, 1.0f, -0.15f};
        b = ir_add_const(g, "bf", IR_DT_F32, 1, bs, bf, sizeof bf);
        c.bq = -1;
    } else {
        const int32_t bi[3] = {10, 10, -1};
        c.bq = ir_add_const(g, "bq", IR_DT_S32, 1, bs, bi, sizeof bi);
        /* kind 0: s_x*s_w = 0.05, 0.1, 0.15; kind 2: twice that. */
        float k = bias_kind == 0 ? 1.0f : 2.0f;
        const float bscale[3] = {0.5f * 0.1f * k, 0.5f * 0.2f * k, 0.5f * 0.3f * k};
        ir_set_quant(g, c.bq, 3, 0, bscale, NULL);
        b = ir_add_tensor(g, "b", IR_DT_F32, 1, bs);
        ir_add_node(g, IR_OP_DEQUANTIZE, "dq_b", "DequantizeLinear", 2, 1, &c.bq, 1, &b);
    }
    ir_add_node(g, IR_OP_DEQUANTIZE, "dq_x", "DequantizeLinear", 0, 1, &c.xq, 1, &x);
    ir_add_node(g, IR_OP_DEQUANTIZE, "dq_w", "DequantizeLinear", 1, 1, &c.wq, 1, &w);
    c.y = ir_add_tensor(g, "y", IR_DT_F32, 4, ys);
    int in[3] = {x, w, b};
    int n = ir_add_node(g, IR_OP_CONV, "conv", "Conv", 3, 3, in, 1, &c.y);
    g->nodes[n].attr.conv.nspatial = 2;
    int yf = c.y;
    if (clip) {
        yf = ir_add_tensor(g, "yc", IR_DT_F32, 4, ys);
        int k = ir_add_node(g, IR_OP_CLIP, "relu6", "Clip", 4, 1, &c.y, 1, &yf);
        g->nodes[k].attr.act.on = true;
        g->nodes[k].attr.act.lo = 0.0f;
        g->nodes[k].attr.act.hi = 6.0f;
    }
    c.yq = q_tensor(g, "yq", IR_DT_S8, 4, ys, 0.25f, -3);
    ir_add_node(g, IR_OP_QUANTIZE, "q_y", "QuantizeLinear", 5, 1, &yf, 1, &c.yq);
    ir_mark_output(g, c.yq);
    if (y_is_output)
        ir_mark_output(g, c.y);
    return c;
}

static int find(const ir_graph *g, const char *name)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (!strcmp(g->tensors[i].name, name))
            return i;
    return -1;
}

static void test_conv_relu6_fused(void **state)
{
    (void)state;
    conv_case c = build_conv(0, true, false);
    char err[256];
    assert_true(fuse_qdq(c.g, err, sizeof err));
    /* One CONV left, reading the int8 tensors and the int32 bias directly,
     * writing yq, with the Clip as its activation. */
    assert_int_equal(c.g->n_nodes, 1);
    const ir_node *n = &c.g->nodes[0];
    assert_int_equal(n->op, IR_OP_CONV);
    assert_string_equal(c.g->tensors[n->in[0]].name, "xq");
    assert_string_equal(c.g->tensors[n->in[1]].name, "wq");
    assert_string_equal(c.g->tensors[n->in[2]].name, "bq");
    assert_string_equal(c.g->tensors[n->out[0]].name, "yq");
    assert_true(n->attr.act.on && n->attr.act.lo == 0.0f && n->attr.act.hi == 6.0f);
    assert_int_equal(n->attr.qmode, IR_QMODE_ONNX);
    assert_int_equal(c.g->tensors[n->in[1]].q.n, 3);
    assert_int_equal(find(c.g, "x"), -1);    /* the float tensors are gone */
    ir_free(c.g);
}

static void test_float_bias_requantized(void **state)
{
    (void)state;
    /* bias [0.5, 1.0, -0.15] / (s_x*s_w = 0.05, 0.1, 0.15) = 10, 10, -1. */
    conv_case c = build_conv(1, false, false);
    char err[256];
    assert_true(fuse_qdq(c.g, err, sizeof err));
    assert_int_equal(c.g->n_nodes, 1);
    const ir_node *n = &c.g->nodes[0];
    const ir_tensor *b = &c.g->tensors[n->in[2]];
    assert_int_equal(b->dtype, IR_DT_S32);
    const int32_t *v = b->data;
    assert_int_equal(v[0], 10);
    assert_int_equal(v[1], 10);
    assert_int_equal(v[2], -1);
    assert_int_equal(b->q.n, 3);
    assert_true(fabsf(b->q.scale[2] - 0.15f) < 1e-7f);
    ir_free(c.g);
    /* int32 bias quantized with twice the right scale: real values are
     * 2*(10*0.05, 10*0.1, -1*0.15) = 1.0, 2.0, -0.3 -> 20, 20, -2. */
    c = build_conv(2, false, false);
    assert_true(fuse_qdq(c.g, err, sizeof err));
    n = &c.g->nodes[0];
    v = c.g->tensors[n->in[2]].data;
    assert_int_equal(v[0], 20);
    assert_int_equal(v[1], 20);
    assert_int_equal(v[2], -2);
    ir_free(c.g);
}

static void test_float_result_used_elsewhere_not_fused(void **state)
{
    (void)state;
    /* y is also a graph output: the float result is needed, nothing fuses. */
    conv_case c = build_conv(0, false, true);
    int before = c.g->n_nodes;
    char err[256];
    assert_true(fuse_qdq(c.g, err, sizeof err));
    assert_int_equal(c.g->n_nodes, before);
    for (int i = 0; i < c.g->n_nodes; i++)
        if (c.g->nodes[i].op == IR_OP_CONV)
            assert_int_equal(c.g->tensors[c.g->nodes[i].in[0]].dtype, IR_DT_F32);
    ir_free(c.g);
}

static void test_add_fused(void **state)
{
    (void)state;
    ir_graph *g = ir_new("add");
    const int64_t s[2] = {2, 3};
    int aq = q_tensor(g, "aq", IR_DT_U8, 2, s, 0.1f, 128), bq = q_tensor(g, "bq", IR_DT_U8, 2, s, 0.2f, 100);
    ir_mark_input(g, aq, 0);
    ir_mark_input(g, bq, 1);
    int a = ir_add_tensor(g, "a", IR_DT_F32, 2, s), b = ir_add_tensor(g, "b", IR_DT_F32, 2, s);
    ir_add_node(g, IR_OP_DEQUANTIZE, "dqa", "DequantizeLinear", 0, 1, &aq, 1, &a);
    ir_add_node(g, IR_OP_DEQUANTIZE, "dqb", "DequantizeLinear", 1, 1, &bq, 1, &b);
    int y = ir_add_tensor(g, "y", IR_DT_F32, 2, s);
    int in[2] = {a, b};
    ir_add_node(g, IR_OP_ADD, "add", "Add", 2, 2, in, 1, &y);
    int yq = q_tensor(g, "yq", IR_DT_U8, 2, s, 0.3f, 90);
    ir_add_node(g, IR_OP_QUANTIZE, "qy", "QuantizeLinear", 3, 1, &y, 1, &yq);
    ir_mark_output(g, yq);
    char err[256];
    assert_true(fuse_qdq(g, err, sizeof err));
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(g->nodes[0].op, IR_OP_ADD);
    assert_string_equal(g->tensors[g->nodes[0].in[0]].name, "aq");
    assert_string_equal(g->tensors[g->nodes[0].in[1]].name, "bq");
    assert_string_equal(g->tensors[g->nodes[0].out[0]].name, "yq");
    ir_free(g);
}

/* xq (uint8, graph input) -> DQ -> [op] -> Q(yq) -> output, yq quantized
 * with (s_y, zp_y); op is a CLIP [0, 6] or a RESHAPE [1,2,2,2] -> [1,8]. */
static ir_graph *build_unary(ir_op op, float s_y, int zp_y, int *xq_out, int *yq_out)
{
    ir_graph *g = ir_new("unary");
    const int64_t xs[4] = {1, 2, 2, 2}, fs[2] = {1, 8};
    int xq = q_tensor(g, "xq", IR_DT_U8, 4, xs, 0.05f, 133);
    ir_mark_input(g, xq, 0);
    int x = ir_add_tensor(g, "x", IR_DT_F32, 4, xs);
    ir_add_node(g, IR_OP_DEQUANTIZE, "dq", "DequantizeLinear", 0, 1, &xq, 1, &x);
    bool flat = op == IR_OP_RESHAPE;
    int y = ir_add_tensor(g, "y", IR_DT_F32, flat ? 2 : 4, flat ? fs : xs);
    int n = ir_add_node(g, op, "op", flat ? "Flatten" : "Clip", 1, 1, &x, 1, &y);
    if (!flat) {
        g->nodes[n].attr.act.on = true;
        g->nodes[n].attr.act.lo = 0.0f;
        g->nodes[n].attr.act.hi = 6.0f;
    }
    int yq = q_tensor(g, "yq", IR_DT_U8, flat ? 2 : 4, flat ? fs : xs, s_y, zp_y);
    ir_add_node(g, IR_OP_QUANTIZE, "q", "QuantizeLinear", 2, 1, &y, 1, &yq);
    ir_mark_output(g, yq);
    *xq_out = xq;
    *yq_out = yq;
    return g;
}

static void test_clip_between_equal_quant_is_integer_clamp(void **state)
{
    (void)state;
    /* No fused producer (xq is a graph input): the CLIP itself moves to the
     * integers, reading xq and writing yq, in ONNX mode. */
    int xq, yq;
    ir_graph *g = build_unary(IR_OP_CLIP, 0.05f, 133, &xq, &yq);
    char err[256];
    assert_true(fuse_qdq(g, err, sizeof err));
    assert_int_equal(g->n_nodes, 1);
    const ir_node *n = &g->nodes[0];
    assert_int_equal(n->op, IR_OP_CLIP);
    assert_string_equal(g->tensors[n->in[0]].name, "xq");
    assert_string_equal(g->tensors[n->out[0]].name, "yq");
    assert_int_equal(n->attr.qmode, IR_QMODE_ONNX);
    assert_true(n->attr.act.on && n->attr.act.lo == 0.0f && n->attr.act.hi == 6.0f);
    ir_free(g);
    /* Another output scale would need a float requantization: left alone. */
    g = build_unary(IR_OP_CLIP, 0.1f, 133, &xq, &yq);
    assert_true(fuse_qdq(g, err, sizeof err));
    assert_int_equal(g->n_nodes, 3);
    ir_free(g);
}

static void test_flatten_between_equal_quant_moves_integers(void **state)
{
    (void)state;
    int xq, yq;
    ir_graph *g = build_unary(IR_OP_RESHAPE, 0.05f, 133, &xq, &yq);
    char err[256];
    assert_true(fuse_qdq(g, err, sizeof err));
    assert_int_equal(g->n_nodes, 1);
    const ir_node *n = &g->nodes[0];
    assert_int_equal(n->op, IR_OP_RESHAPE);
    assert_string_equal(g->tensors[n->in[0]].name, "xq");
    assert_string_equal(g->tensors[n->out[0]].name, "yq");
    ir_free(g);
    g = build_unary(IR_OP_RESHAPE, 0.05f, 132, &xq, &yq);   /* another zero point: stays */
    assert_true(fuse_qdq(g, err, sizeof err));
    assert_int_equal(g->n_nodes, 3);
    ir_free(g);
}

static void test_pytorch_relu6_and_cast_fold_into_conv(void **state)
{
    (void)state;
    /* PyTorch's export: conv ... -> Q(yq) -> Cast(same type: an identity
     * RESHAPE) -> DQ -> Clip[0,6] -> Q(y2, same quantization as yq).  The Cast
     * is bypassed and the Clip becomes the conv's activation: one CONV
     * writing y2 with act [0, 6]. */
    conv_case c = build_conv(0, false, false);
    ir_graph *g = c.g;
    g->n_outputs = 0;
    g->tensors[c.yq].is_output = false;
    const int64_t ys[4] = {1, 3, 4, 4};
    int yc = q_tensor(g, "yq_cast", IR_DT_S8, 4, ys, 0.25f, -3);
    ir_add_node(g, IR_OP_RESHAPE, "cast", "Cast", 6, 1, &c.yq, 1, &yc);
    int d = ir_add_tensor(g, "d", IR_DT_F32, 4, ys), r = ir_add_tensor(g, "r", IR_DT_F32, 4, ys);
    ir_add_node(g, IR_OP_DEQUANTIZE, "dq2", "DequantizeLinear", 7, 1, &yc, 1, &d);
    int k = ir_add_node(g, IR_OP_CLIP, "relu6", "Clip", 8, 1, &d, 1, &r);
    g->nodes[k].attr.act.on = true;
    g->nodes[k].attr.act.lo = 0.0f;
    g->nodes[k].attr.act.hi = 6.0f;
    int y2 = q_tensor(g, "y2", IR_DT_S8, 4, ys, 0.25f, -3);
    ir_add_node(g, IR_OP_QUANTIZE, "q2", "QuantizeLinear", 9, 1, &r, 1, &y2);
    ir_mark_output(g, y2);
    char err[256];
    assert_true(fuse_qdq(g, err, sizeof err));
    assert_int_equal(g->n_nodes, 1);
    const ir_node *n = &g->nodes[0];
    assert_int_equal(n->op, IR_OP_CONV);
    assert_string_equal(g->tensors[n->out[0]].name, "y2");
    assert_true(n->attr.act.on && n->attr.act.lo == 0.0f && n->attr.act.hi == 6.0f);
    ir_free(g);
}

static void test_maxpool_requantizing_not_fused(void **state)
{
    (void)state;
    /* DQ -> MaxPool -> Q with another scale: integers cannot be moved as they
     * are, so the float group stays (its float kernels still run it). */
    for (int same = 0; same < 2; same++) {
        ir_graph *g = ir_new("mp");
        const int64_t xs[4] = {1, 1, 2, 2}, ys[4] = {1, 1, 1, 1};
        int xq = q_tensor(g, "xq", IR_DT_S8, 4, xs, 0.5f, 0);
        ir_mark_input(g, xq, 0);
        int x = ir_add_tensor(g, "x", IR_DT_F32, 4, xs), y = ir_add_tensor(g, "y", IR_DT_F32, 4, ys);
        ir_add_node(g, IR_OP_DEQUANTIZE, "dq", "DequantizeLinear", 0, 1, &xq, 1, &x);
        int n = ir_add_node(g, IR_OP_MAXPOOL, "mp", "MaxPool", 1, 1, &x, 1, &y);
        g->nodes[n].attr.conv.nspatial = 2;
        g->nodes[n].attr.conv.kernel[0] = g->nodes[n].attr.conv.kernel[1] = 2;
        int yq = q_tensor(g, "yq", IR_DT_S8, 4, ys, same ? 0.5f : 0.25f, 0);
        ir_add_node(g, IR_OP_QUANTIZE, "q", "QuantizeLinear", 2, 1, &y, 1, &yq);
        ir_mark_output(g, yq);
        char err[256];
        assert_true(fuse_qdq(g, err, sizeof err));
        assert_int_equal(g->n_nodes, same ? 1 : 3);
        ir_free(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_relu6_fused),
        cmocka_unit_test(test_float_bias_requantized),
        cmocka_unit_test(test_float_result_used_elsewhere_not_fused),
        cmocka_unit_test(test_add_fused),
        cmocka_unit_test(test_clip_between_equal_quant_is_integer_clamp),
        cmocka_unit_test(test_flatten_between_equal_quant_moves_integers),
        cmocka_unit_test(test_pytorch_relu6_and_cast_fold_into_conv),
        cmocka_unit_test(test_maxpool_requantizing_not_fused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
