/*
 * test_onnx_import.c - what the ONNX importer resolves into IR attributes,
 * on ONNX conformance models (../shared/conformance/onnx-node and
 * onnx-pytorch-converted) with their input values.  The shape test
 * (tests/e2e/onnx_import.sh) cannot see pads, slice starts, resize scales
 * or quantization; these are checked here against values worked out by hand
 * from the ONNX operator definitions (the working is in each comment).
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

#include "import/import.h"
#include "import/tensor_file.h"
#include "ir/ir.h"
#include "passes/fuse_qdq.h"
#include "ref/eval.h"

#define CONF "../shared/conformance"

/* Imports a conformance case with all its test_data_set_0 inputs. */
static ir_graph *load(const char *suite, const char *name)
{
    char path[512], err[1024];
    tensor_value vals[16];
    import_value iv[16];
    const import_value *ptr[16];
    int n = 0;
    for (int k = 0; k < 16; k++) {
        snprintf(path, sizeof path, CONF "/%s/%s/test_data_set_0/input_%d.pb", suite, name, k);
        FILE *f = fopen(path, "rb");
        if (!f)
            break;
        fclose(f);
        if (!tensor_file_read(path, &vals[n], err, sizeof err))
            fail_msg("%s", err);
        iv[n].dtype = vals[n].dtype;
        iv[n].rank = vals[n].rank;
        memcpy(iv[n].shape, vals[n].shape, sizeof iv[n].shape);
        iv[n].data = vals[n].data;
        iv[n].nbytes = vals[n].nbytes;
        ptr[n] = &iv[n];
        n++;
    }
    import_opts opts = {n, ptr};
    snprintf(path, sizeof path, CONF "/%s/%s/model.onnx", suite, name);
    ir_graph *g = import_onnx(path, &opts, err, sizeof err);
    for (int i = 0; i < n; i++)
        tensor_value_free(&vals[i]);
    if (!g)
        fail_msg("%s", err);
    return g;
}

static const ir_node *only(const ir_graph *g, ir_op op)
{
    const ir_node *found = NULL;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == op) {
            assert_null(found);
            found = &g->nodes[i];
        }
    assert_non_null(found);
    return found;
}

static void assert_shape(const ir_tensor *t, int rank, const int64_t *want)
{
    assert_int_equal(t->rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(t->shape[i], want[i]);
}

static void test_conv_same_lower(void **state)
{
    (void)state;
    /* x 5x5, k 3, stride 2, SAME_LOWER: out = ceil(5/2) = 3; total pad =
     * (3-1)*2 + 3 - 5 = 2; lower puts the odd half first: 1 and 1. */
    ir_graph *g = load("onnx-node", "test_conv_with_autopad_same");
    const ir_node *n = only(g, IR_OP_CONV);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(n->attr.conv.pad_begin[i], 1);
        assert_int_equal(n->attr.conv.pad_end[i], 1);
        assert_int_equal(n->attr.conv.stride[i], 2);
        assert_int_equal(n->attr.conv.kernel[i], 3);
    }
    assert_int_equal(n->attr.conv.nspatial, 2);
    assert_int_equal(n->attr.conv.group, 1);
    assert_int_equal(g->n_inputs, 1);   /* W, given a value, is frozen: kernels read weights from flash */
    ir_free(g);
}

static void test_pool_pads(void **state)
{
    (void)state;
    /* 32x32, k 2, stride 1, SAME_LOWER: total = 31 + 2 - 32 = 1 -> begin 1, end 0. */
    ir_graph *g = load("onnx-node", "test_averagepool_2d_same_lower");
    const ir_node *n = only(g, IR_OP_AVGPOOL);
    assert_int_equal(n->attr.conv.pad_begin[0], 1);
    assert_int_equal(n->attr.conv.pad_end[0], 0);
    assert_int_equal(n->attr.conv.pad_begin[1], 1);
    assert_int_equal(n->attr.conv.pad_end[1], 0);
    assert_false(n->attr.conv.count_include_pad);
    ir_free(g);
    /* in 2, k 3, stride 3, pads 1/1, ceil: ceil((2+2-3)/3)+1 = 2 windows, but
     * the second would start at 3 >= 2 + 1 (in the end padding): 1 remains. */
    g = load("onnx-node", "test_averagepool_2d_ceil_last_window_starts_on_pad");
    n = only(g, IR_OP_AVGPOOL);
    assert_true(n->attr.conv.count_include_pad);
    const int64_t want[4] = {1, 3, 1, 1};
    assert_shape(&g->tensors[n->out[0]], 4, want);
    ir_free(g);
}

static void test_conv_transpose_pads(void **state)
{
    (void)state;
    /* in 3, k 3, strides [3, 2], output_shape [10, 8].  Full sizes: 3*2+3 = 9
     * and 2*2+3 = 7; total padding 9-10 = 7-8 = -1; not SAME_UPPER: end gets
     * floor(-1/2) = -1, begin the rest, 0. */
    ir_graph *g = load("onnx-node", "test_convtranspose_output_shape");
    const ir_node *n = only(g, IR_OP_CONV_TRANSPOSE);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(n->attr.conv.pad_begin[i], 0);
        assert_int_equal(n->attr.conv.pad_end[i], -1);
    }
    const int64_t want[4] = {1, 2, 10, 8};
    assert_shape(&g->tensors[n->out[0]], 4, want);
    ir_free(g);
    /* SAME_UPPER, stride 2: target 3*2 = 6, full 2*2+3 = 7, total 1 -> 0, 1. */
    g = load("onnx-node", "test_convtranspose_autopad_same");
    n = only(g, IR_OP_CONV_TRANSPOSE);
    assert_int_equal(n->attr.conv.pad_begin[0], 0);
    assert_int_equal(n->attr.conv.pad_end[0], 1);
    ir_free(g);
}

static void test_slice_negative_steps(void **state)
{
    (void)state;
    /* x [20,10,5], starts [20,10,4], ends [0,0,1], steps [-1,-3,-2]:
     * axis 0: start clamps to 19, 19..1 -> 19 elements;
     * axis 1: start 9, 9,6,3 -> 3; axis 2: start 4, 4,2 -> 2. */
    ir_graph *g = load("onnx-node", "test_slice_neg_steps");
    const ir_node *n = only(g, IR_OP_SLICE);
    const int64_t begin[3] = {19, 9, 4}, step[3] = {-1, -3, -2}, want[3] = {19, 3, 2};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(n->attr.begin[i], begin[i]);
        assert_int_equal(n->attr.step[i], step[i]);
    }
    assert_shape(&g->tensors[n->out[0]], 3, want);
    /* starts/ends/axes/steps were frozen: only x is still an input. */
    assert_int_equal(g->n_inputs, 1);
    assert_int_equal(g->input_src[0], 0);
    ir_free(g);
}

static void test_resize(void **state)
{
    (void)state;
    /* X [1,1,2,4], sizes [1,3] on axes 2,3, not_larger: scale = min(1/2, 3/4)
     * = 0.5 for both axes; outputs round(2*0.5) = 1, round(4*0.5) = 2. */
    ir_graph *g = load("onnx-node", "test_resize_downsample_sizes_nearest_not_larger");
    const ir_node *n = only(g, IR_OP_RESIZE);
    const int64_t want[4] = {1, 1, 1, 2};
    assert_shape(&g->tensors[n->out[0]], 4, want);
    assert_true(n->attr.resize.scale[0] == 1.0 && n->attr.resize.scale[1] == 1.0);
    assert_true(n->attr.resize.scale[2] == 0.5 && n->attr.resize.scale[3] == 0.5);
    assert_int_equal(n->attr.resize.mode, IR_RESIZE_NEAREST);
    assert_int_equal(n->attr.resize.coord, IR_COORD_HALF_PIXEL);
    assert_int_equal(n->attr.resize.nearest, IR_NEAREST_ROUND_PREFER_FLOOR);
    ir_free(g);
    /* axes [3,2], roi [0.6,0.4, 0.8,0.6]: axis 3 gets (0.6, 0.8), axis 2
     * (0.4, 0.6); sizes 3 of 4 -> scale 0.75. */
    g = load("onnx-node", "test_resize_tf_crop_and_resize_axes_3_2");
    n = only(g, IR_OP_RESIZE);
    assert_int_equal(n->attr.resize.coord, IR_COORD_TF_CROP_AND_RESIZE);
    assert_int_equal(n->attr.resize.mode, IR_RESIZE_LINEAR);
    assert_true(fabs(n->attr.resize.roi_start[3] - 0.6) < 1e-6 && fabs(n->attr.resize.roi_end[3] - 0.8) < 1e-6);
    assert_true(fabs(n->attr.resize.roi_start[2] - 0.4) < 1e-6 && fabs(n->attr.resize.roi_end[2] - 0.6) < 1e-6);
    assert_true(n->attr.resize.roi_start[1] == 0.0 && n->attr.resize.roi_end[1] == 1.0);
    assert_true(n->attr.resize.scale[2] == 0.75 && n->attr.resize.scale[3] == 0.75);
    ir_free(g);
}

static void test_pad_axes(void **state)
{
    (void)state;
    /* axes [1,3], pads [0,3, 0,4]: axis 1 nothing, axis 3 3 before, 4 after. */
    ir_graph *g = load("onnx-node", "test_constant_pad_axes");
    const ir_node *n = only(g, IR_OP_PAD);
    const int64_t b[4] = {0, 0, 0, 3}, e[4] = {0, 0, 0, 4}, want[4] = {1, 3, 4, 12};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(n->attr.begin[i], b[i]);
        assert_int_equal(n->attr.end[i], e[i]);
    }
    assert_int_equal(n->attr.pad_mode, IR_PAD_CONSTANT);
    assert_true(n->attr.pad_value == (double)1.2f);
    assert_shape(&g->tensors[n->out[0]], 4, want);
    ir_free(g);
    /* Opset 6 attribute form: pads [0,0,3,1, 0,0,4,2] on [2,3,4,4]. */
    g = load("onnx-pytorch-converted", "test_ConstantPad2d");
    n = only(g, IR_OP_PAD);
    assert_int_equal(n->attr.begin[2], 3);
    assert_int_equal(n->attr.begin[3], 1);
    assert_int_equal(n->attr.end[2], 4);
    assert_int_equal(n->attr.end[3], 2);
    ir_free(g);
}

static void test_split_uneven(void **state)
{
    (void)state;
    /* [2,8] into 3 along axis 1 (opset 18 num_outputs): ceil(8/3) = 3 ->
     * sizes 3, 3, 2 starting at 0, 3, 6. */
    ir_graph *g = load("onnx-node", "test_split_2d_uneven_split_opset18");
    assert_int_equal(g->n_nodes, 3);
    const int64_t begin[3] = {0, 3, 6}, size[3] = {3, 3, 2};
    for (int i = 0; i < 3; i++) {
        const ir_node *n = &g->nodes[i];
        assert_int_equal(n->op, IR_OP_SLICE);
        assert_int_equal(n->attr.begin[1], begin[i]);
        assert_int_equal(n->attr.step[1], 1);
        assert_int_equal(g->tensors[n->out[0]].shape[1], size[i]);
    }
    ir_free(g);
}

static void test_softmax_axes(void **state)
{
    (void)state;
    /* Opset 6, axis 1 on [10,20]: coerced to 2-D, normalised over [1, 2). */
    ir_graph *g = load("onnx-pytorch-converted", "test_Softmax");
    const ir_node *n = only(g, IR_OP_SOFTMAX);
    assert_int_equal(n->attr.axis, 1);
    assert_int_equal(n->attr.axis_end, 2);
    assert_false(n->attr.log);
    ir_free(g);
    /* Opset 13, axis 0 on [3,4,5]: that one axis only. */
    g = load("onnx-node", "test_logsoftmax_axis_0");
    n = only(g, IR_OP_SOFTMAX);
    assert_int_equal(n->attr.axis, 0);
    assert_int_equal(n->attr.axis_end, 1);
    assert_true(n->attr.log);
    ir_free(g);
}

static void test_gemm_to_fully_connected(void **state)
{
    (void)state;
    /* Linear: Gemm(x [4,10], W [8,10] initializer, b [8], transB=1) is
     * FULLY_CONNECTED with W as stored (already [N,K]) and bias b. */
    ir_graph *g = load("onnx-pytorch-converted", "test_Linear");
    assert_int_equal(g->n_nodes, 1);
    const ir_node *n = only(g, IR_OP_FULLY_CONNECTED);
    const ir_tensor *w = &g->tensors[n->in[1]], *b = &g->tensors[n->in[2]];
    const int64_t ws[2] = {8, 10}, bs[1] = {8};
    assert_true(ir_is_const(w) && ir_is_const(b));
    assert_shape(w, 2, ws);
    assert_shape(b, 1, bs);
    ir_free(g);
}

static void test_gemm_folds_alpha_beta(void **state)
{
    (void)state;
    /* tests/data/onnx_extra/gemm11_const_b.onnx: Gemm(x [2,3], B = arange(12)
     * as [3,4], C = [1,2,3,4], alpha 0.5, beta 2): W[n][k] = 0.5 * B[k][n] =
     * 0.5 * (4k + n); bias = 2 * C = [2, 4, 6, 8]. */
    char err[1024];
    ir_graph *g = import_onnx("tests/data/onnx_extra/gemm11_const_b.onnx", NULL, err, sizeof err);
    if (!g)
        fail_msg("%s", err);
    const ir_node *n = only(g, IR_OP_FULLY_CONNECTED);
    const float *w = g->tensors[n->in[1]].data, *b = g->tensors[n->in[2]].data;
    for (int i = 0; i < 4; i++) {
        for (int k = 0; k < 3; k++)
            assert_true(w[i * 3 + k] == 0.5f * (float)(4 * k + i));
        assert_true(b[i] == 2.0f * (float)(i + 1));
    }
    ir_free(g);
}

static void test_qoperator_quant_flows(void **state)
{
    (void)state;
    /* onnx_extra/qop_pad_conv_pool: Quantize(0.5, 10) -> Pad(0) -> QLinearConv
     * -> MaxPool -> Dequantize(2.0, 3).  The Pad output carries the input's
     * quantization, and its raw ONNX pad value 0 is the real value
     * 0.5 * (0 - 10) = -5; the MaxPool output carries the conv's (2.0, 3). */
    char err[1024];
    ir_graph *g = import_onnx("tests/data/onnx_extra/qop_pad_conv_pool.onnx", NULL, err, sizeof err);
    if (!g)
        fail_msg("%s", err);
    const ir_node *pad = only(g, IR_OP_PAD), *pool = only(g, IR_OP_MAXPOOL);
    const ir_tensor *po = &g->tensors[pad->out[0]], *mo = &g->tensors[pool->out[0]];
    assert_true(po->q.n == 1 && po->q.scale[0] == 0.5f && po->q.zero_point[0] == 10);
    assert_true(pad->attr.pad_value == -5.0);
    assert_true(mo->q.n == 1 && mo->q.scale[0] == 2.0f && mo->q.zero_point[0] == 3);
    ir_free(g);
}

static void test_quant_params(void **state)
{
    (void)state;
    /* x [1,3,3,2] uint8, scales [2,4,5], zero points [84,24,196] along axis 1. */
    ir_graph *g = load("onnx-node", "test_dequantizelinear_axis");
    const ir_node *n = only(g, IR_OP_DEQUANTIZE);
    const ir_tensor *x = &g->tensors[n->in[0]];
    assert_int_equal(x->dtype, IR_DT_U8);
    assert_int_equal(x->q.n, 3);
    assert_int_equal(x->q.axis, 1);
    assert_true(x->q.scale[0] == 2.0f && x->q.scale[1] == 4.0f && x->q.scale[2] == 5.0f);
    assert_int_equal(x->q.zero_point[0], 84);
    assert_int_equal(x->q.zero_point[2], 196);
    assert_int_equal(g->tensors[n->out[0]].dtype, IR_DT_F32);
    ir_free(g);
    /* QLinearMatMul int8: a (0.0066, -14), b (0.00705, -13), y (0.0107, -9). */
    g = load("onnx-node", "test_qlinearmatmul_2D_int8_float32");
    n = only(g, IR_OP_MATMUL);
    const ir_tensor *a = &g->tensors[n->in[0]], *bb = &g->tensors[n->in[1]], *y = &g->tensors[n->out[0]];
    assert_true(a->q.n == 1 && a->q.scale[0] == 0.0066f && a->q.zero_point[0] == -14);
    assert_true(bb->q.n == 1 && bb->q.scale[0] == 0.00705f && bb->q.zero_point[0] == -13);
    assert_true(y->q.n == 1 && y->q.scale[0] == 0.0107f && y->q.zero_point[0] == -9);
    assert_int_equal(y->dtype, IR_DT_S8);
    assert_int_equal(n->attr.qmode, IR_QMODE_ONNX);
    ir_free(g);
}

static void test_reshape_and_constants(void **state)
{
    (void)state;
    /* PixelShuffle: Constant -> Reshape [1,1,3,3,4,4] -> Transpose -> Reshape
     * [1,1,12,12]; the shape constants are consumed at import. */
    ir_graph *g = load("onnx-pytorch-converted", "test_PixelShuffle");
    assert_int_equal(g->n_nodes, 3);
    assert_int_equal(g->nodes[0].op, IR_OP_RESHAPE);
    assert_int_equal(g->nodes[1].op, IR_OP_TRANSPOSE);
    const int perm[6] = {0, 1, 4, 2, 5, 3};
    for (int i = 0; i < 6; i++)
        assert_int_equal(g->nodes[1].attr.perm[i], perm[i]);
    const int64_t want[4] = {1, 1, 12, 12};
    assert_shape(&g->tensors[g->nodes[2].out[0]], 4, want);
    ir_free(g);
}

static void test_errors_name_the_node(void **state)
{
    (void)state;
    char err[1024];
    /* Reshape's shape is a graph input without a value. */
    ir_graph *g = import_onnx(CONF "/onnx-node/test_reshape_negative_dim/model.onnx", NULL, err, sizeof err);
    assert_null(g);
    assert_non_null(strstr(err, "node 0"));
    assert_non_null(strstr(err, "Reshape"));
    assert_non_null(strstr(err, "compile time"));
    /* A Loop whose trip count comes from inputs given no value: not unrolled. */
    g = import_onnx(CONF "/onnx-node-more/test_range_float_type_positive_delta_expanded/model.onnx", NULL, err,
                    sizeof err);
    assert_null(g);
    assert_non_null(strstr(err, "unsupported"));
    assert_non_null(strstr(err, "Loop"));
    assert_non_null(strstr(err, "trip count"));
    assert_non_null(strstr(err, "opset 27"));
    assert_non_null(strstr(err, "kiln supported-ops"));
    /* Not a protobuf at all. */
    const uint8_t junk[] = "\xff\xff\xff\xff";
    g = import_onnx_mem(junk, 4, "junk.onnx", NULL, err, sizeof err);
    assert_null(g);
    assert_non_null(strstr(err, "byte 0"));
}

static void test_qdq_model(void **state)
{
    (void)state;
    /* tests/data/qdq_conv_gemm.onnx (made by make_qdq_model.py): Gemm's
     * B = DQ(g [K=8, N=5] int8, per column, scales 0.02..0.06) becomes a
     * FULLY_CONNECTED whose weights are DQ(g^T [5, 8]) with the same five
     * scales, now along axis 0; g[k][n] = (5k + n) % 7 - 3. */
    char err[1024];
    ir_graph *g = import_onnx("tests/data/qdq_conv_gemm.onnx", NULL, err, sizeof err);
    if (!g)
        fail_msg("%s", err);
    const ir_node *fc = only(g, IR_OP_FULLY_CONNECTED);
    const ir_tensor *wf = &g->tensors[fc->in[1]];
    assert_int_equal(wf->producer >= 0, 1);
    const ir_tensor *wq = &g->tensors[g->nodes[wf->producer].in[0]];
    const int64_t ws[2] = {5, 8};
    assert_shape(wq, 2, ws);
    assert_int_equal(wq->dtype, IR_DT_S8);
    for (int n = 0; n < 5; n++)
        for (int k = 0; k < 8; k++)
            assert_int_equal(((const int8_t *)wq->data)[n * 8 + k], (5 * k + n) % 7 - 3);
    assert_int_equal(wq->q.n, 5);
    assert_int_equal(wq->q.axis, 0);
    assert_true(wq->q.scale[0] == 0.02f && wq->q.scale[4] == 0.06f);
    /* After fusion: Quantize, Conv (int8, Relu folded), AveragePool,
     * Reshape, FullyConnected, Dequantize. */
    assert_true(fuse_qdq(g, err, sizeof err));
    const ir_op want[6] = {IR_OP_QUANTIZE, IR_OP_CONV, IR_OP_AVGPOOL, IR_OP_RESHAPE, IR_OP_FULLY_CONNECTED,
                           IR_OP_DEQUANTIZE};
    assert_int_equal(g->n_nodes, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(g->nodes[i].op, want[i]);
    const ir_node *conv = &g->nodes[1];
    assert_int_equal(g->tensors[conv->in[0]].dtype, IR_DT_S8);
    assert_int_equal(g->tensors[conv->in[2]].dtype, IR_DT_S32);
    assert_int_equal(g->tensors[conv->out[0]].dtype, IR_DT_S8);
    assert_true(conv->attr.act.on && conv->attr.act.lo == 0.0f);
    fc = &g->nodes[4];
    assert_int_equal(g->tensors[fc->in[0]].dtype, IR_DT_S8);
    assert_int_equal(g->tensors[fc->in[1]].dtype, IR_DT_S8);
    assert_int_equal(g->tensors[fc->out[0]].q.n, 1);
    ir_free(g);
}

/* ---- decompositions: checked by running the reference evaluator ---------- */

static ir_graph *load_path(const char *path)
{
    char err[1024];
    ir_graph *g = import_onnx(path, NULL, err, sizeof err);
    if (!g)
        fail_msg("%s", err);
    return g;
}

/* Runs g (one input, one output) on x with the reference evaluator. */
static void eval1(const ir_graph *g, const void *x, void *y)
{
    char err[1024];
    assert_int_equal(g->n_inputs, 1);
    assert_int_equal(g->n_outputs, 1);
    const void *in[1] = {x};
    void *out[1] = {y};
    if (!ref_eval_graph(g, in, out, err, sizeof err))
        fail_msg("%s", err);
}

static void assert_ops(const ir_graph *g, int n, const ir_op *want)
{
    assert_int_equal(g->n_nodes, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(g->nodes[i].op, want[i]);
}

static void test_blocked_quantize_rounds_before_the_zero_point(void **state)
{
    (void)state;
    /* tests/data/blocked_quant (make_blocked_quant.py; working in comments
     * there).  Rounding half to even does not commute with adding an odd
     * zero point: 2.5 -> 2, + 1 = 3, where rint(2.5 + 1) would give 4; so
     * the zero point is added to the rounded int32. */
    ir_graph *g = load_path("tests/data/blocked_quant/quantize_blocked_ties_u8/model.onnx");
    const ir_op want[6] = {IR_OP_DIV, IR_OP_QUANTIZE, IR_OP_CAST, IR_OP_ADD, IR_OP_CLIP, IR_OP_CAST};
    assert_ops(g, 6, want);
    const ir_tensor *r = &g->tensors[g->nodes[1].out[0]];
    assert_int_equal(r->dtype, IR_DT_S32);
    assert_int_equal(r->q.n, 1);
    assert_true(r->q.scale[0] == 1.0f && r->q.zero_point[0] == 0);
    assert_int_equal(g->nodes[1].attr.qmode, IR_QMODE_ONNX);
    assert_true(g->nodes[4].attr.act.on && g->nodes[4].attr.act.lo == 0.0f && g->nodes[4].attr.act.hi == 255.0f);
    const float x[8] = {2.5f, -0.5f, 1.25f, 0.75f, 5.0f, -3.0f, 1020.0f, -1e6f};
    const uint8_t want_y[8] = {3, 1, 5, 5, 2, 0, 255, 0};
    uint8_t y[8];
    eval1(g, x, y);
    assert_memory_equal(y, want_y, sizeof y);
    ir_free(g);
    /* int16: 40000 - 10000 fits only because the rounding is done in int32. */
    g = load_path("tests/data/blocked_quant/quantize_blocked_int16_wide/model.onnx");
    const float x2[4] = {40000.0f, 2.5f, -0.5f, -40000.5f};
    const int16_t want2[4] = {30000, -9998, 6, -32768};
    int16_t y2[4];
    eval1(g, x2, y2);
    assert_memory_equal(y2, want2, sizeof y2);
    ir_free(g);
    /* No zero point, int8 by output_dtype, blocks of 3 rows along axis 0
     * with a one-row remainder: no ADD. */
    g = load_path("tests/data/blocked_quant/quantize_blocked_axis0_remainder_s8/model.onnx");
    const ir_op want3[5] = {IR_OP_DIV, IR_OP_QUANTIZE, IR_OP_CAST, IR_OP_CLIP, IR_OP_CAST};
    assert_ops(g, 5, want3);
    const float x3[8] = {0.25f, 1.5f, -0.75f, 2.5f, 100.0f, -3.5f, 5.0f, -10.0f};
    const int8_t want_y3[8] = {0, 2, -2, 2, 127, -4, 2, -2};
    int8_t y3[8];
    eval1(g, x3, y3);
    assert_memory_equal(y3, want_y3, sizeof y3);
    ir_free(g);
}

static void test_blocked_dequantize(void **state)
{
    (void)state;
    /* x [1, 5] uint8, blocks of 2: (10-10)*0.5, (20-10)*0.5, 30*2, 40*2, (50-2)*0.25. */
    ir_graph *g = load_path("tests/data/blocked_quant/dequantize_blocked_remainder_u8/model.onnx");
    const ir_op want[3] = {IR_OP_CAST, IR_OP_SUB, IR_OP_MUL};
    assert_ops(g, 3, want);
    const uint8_t x[5] = {10, 20, 30, 40, 50};
    const float want_y[5] = {0.0f, 5.0f, 60.0f, 80.0f, 12.0f};
    float y[5];
    eval1(g, x, y);
    assert_memory_equal(y, want_y, sizeof y);
    ir_free(g);
    /* The conformance case gives its scale as a graph input: without a value
     * it cannot be expanded at compile time, and the message says so. */
    char err[1024];
    g = import_onnx(CONF "/onnx-node/test_dequantizelinear_blocked/model.onnx", NULL, err, sizeof err);
    assert_null(g);
    assert_non_null(strstr(err, "blocked scale"));
    assert_non_null(strstr(err, "x_scale"));
    assert_non_null(strstr(err, "compile time"));
}

static void test_batchnorm_training_decomposed(void **state)
{
    (void)state;
    /* training_mode=1: batch statistics (two REDUCE_MEANs), a SQRT, and the
     * running statistics as outputs 1 and 2, all still fed at run time. */
    ir_graph *g = load("onnx-node", "test_batchnorm_example_training_mode");
    int n_mean = 0, n_sqrt = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        n_mean += g->nodes[i].op == IR_OP_REDUCE_MEAN;
        n_sqrt += g->nodes[i].op == IR_OP_SQRT;
        assert_int_not_equal(g->nodes[i].op, IR_OP_BATCHNORM);
        if (g->nodes[i].op == IR_OP_REDUCE_MEAN)
            assert_int_equal(g->nodes[i].attr.axes_mask, 0xdu);   /* axes 0, 2, 3 */
    }
    assert_int_equal(n_mean, 2);
    assert_int_equal(n_sqrt, 1);
    assert_int_equal(g->n_inputs, 5);
    assert_int_equal(g->n_outputs, 3);
    /* The reference evaluator on the case's inputs against the ONNX
     * project's expected outputs (the tolerance of its backend tests). */
    char path[512], err[1024];
    tensor_value in[5], want[3];
    const void *ip[5];
    void *op[3];
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof path, CONF "/onnx-node/test_batchnorm_example_training_mode/test_data_set_0/input_%d.pb", k);
        if (!tensor_file_read(path, &in[k], err, sizeof err))
            fail_msg("%s", err);
    }
    for (int i = 0; i < g->n_inputs; i++)
        ip[i] = in[g->input_src[i]].data;
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, CONF "/onnx-node/test_batchnorm_example_training_mode/test_data_set_0/output_%d.pb", k);
        if (!tensor_file_read(path, &want[k], err, sizeof err))
            fail_msg("%s", err);
        assert_int_equal(want[k].nbytes, ir_nbytes(&g->tensors[g->outputs[k]]));
        op[k] = malloc(want[k].nbytes);
    }
    if (!ref_eval_graph(g, ip, op, err, sizeof err))
        fail_msg("%s", err);
    for (int k = 0; k < 3; k++) {
        const float *got = op[k], *exp = want[k].data;
        for (size_t i = 0; i < want[k].nbytes / 4; i++)
            if (!(fabsf(got[i] - exp[i]) <= 1e-7f + 1e-3f * fabsf(exp[i])))
                fail_msg("output %d [%zu]: %g, expected %g", k, i, (double)got[i], (double)exp[i]);
        free(op[k]);
        tensor_value_free(&want[k]);
    }
    for (int k = 0; k < 5; k++)
        tensor_value_free(&in[k]);
    ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_same_lower),
        cmocka_unit_test(test_pool_pads),
        cmocka_unit_test(test_conv_transpose_pads),
        cmocka_unit_test(test_slice_negative_steps),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_pad_axes),
        cmocka_unit_test(test_split_uneven),
        cmocka_unit_test(test_softmax_axes),
        cmocka_unit_test(test_gemm_to_fully_connected),
        cmocka_unit_test(test_gemm_folds_alpha_beta),
        cmocka_unit_test(test_qoperator_quant_flows),
        cmocka_unit_test(test_quant_params),
        cmocka_unit_test(test_reshape_and_constants),
        cmocka_unit_test(test_errors_name_the_node),
        cmocka_unit_test(test_qdq_model),
        cmocka_unit_test(test_blocked_quantize_rounds_before_the_zero_point),
        cmocka_unit_test(test_blocked_dequantize),
        cmocka_unit_test(test_batchnorm_training_decomposed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
