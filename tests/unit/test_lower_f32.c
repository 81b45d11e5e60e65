/*
 * test_lower_f32.c - what the float and data lowerings put in the LIR for
 * small hand-built graphs: the kernel chosen, the operands, the params text,
 * repacked weights, aliases, scratch, which family claims or declines a node,
 * and the error messages for graphs they cannot lower.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ir/ir.h"
#include "passes/lower.h"

static int tensor(ir_graph *g, ir_dtype dt, int rank, const int64_t *shape)
{
    return ir_add_tensor(g, "t", dt, rank, shape);
}

/* Conv 2-D NCHW, M=2, C=2, 1x2 kernel: weights W[m][c][0][k] = 10m + 2c + k
 * repack to [M][kvol][C]: element (m, k, c) = W[m][c][k]. */
static void conv_repacks_weights_input_channels_innermost(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int64_t xs[4] = {1, 2, 3, 3}, ws[4] = {2, 2, 1, 2}, ys[4] = {1, 2, 3, 2};
    float w[8];
    for (int m = 0; m < 2; m++)
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 2; k++)
                w[(m * 2 + c) * 2 + k] = (float)(10 * m + 2 * c + k);
    int x = tensor(g, IR_DT_F32, 4, xs);
    ir_mark_input(g, x, 0);
    int wt = ir_add_const(g, "w", IR_DT_F32, 4, ws, w, sizeof w);
    int y = tensor(g, IR_DT_F32, 4, ys);
    ir_mark_output(g, y);
    int n = ir_add_node(g, IR_OP_CONV, "conv0", "Conv", 0, 3, (const int[]){x, wt, -1}, 1, &y);
    g->nodes[n].attr.conv.nspatial = 2;
    g->nodes[n].attr.conv.kernel[0] = 1;
    g->nodes[n].attr.conv.kernel[1] = 2;
    lir_program p;
    char err[256];
    assert_true(lower_graph(g, &p, err, sizeof err));
    assert_int_equal(p.n_calls, 1);
    const lir_call *c = &p.calls[0];
    assert_string_equal(c->kernel, "kiln_conv_f32");
    assert_ptr_equal(c->ptype, &lir_desc_kiln_conv_f32_params);
    const kiln_conv_f32_params *cp = c->params;
    assert_int_equal(cp->in_c, 2);
    assert_int_equal(cp->out_c, 2);
    assert_int_equal(cp->groups, 1);
    assert_int_equal(cp->k[0], 1);
    assert_int_equal(cp->k[1], 1);
    assert_int_equal(cp->k[2], 2);
    assert_int_equal(c->n_args, 4);
    assert_int_equal(c->args[0].tensor, x);
    assert_int_equal(c->args[2].kind, LIR_ARG_NULL);   /* no bias */
    assert_true(c->args[3].is_output);
    const ir_tensor *pw = &g->tensors[c->args[1].tensor];
    assert_true(c->args[1].tensor != wt);
    assert_non_null(pw->data);
    const float *v = pw->data;
    const float want[8] = {0, 2, 1, 3, 10, 12, 11, 13};   /* (m,k,c) order */
    assert_memory_equal(v, want, sizeof want);
    lir_free(&p);
    ir_free(g);
}

static void depthwise_is_chosen_for_group_equal_channels(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int64_t xs[4] = {1, 1, 4, 3}, ws[4] = {3, 1, 1, 1}, ys[4] = {1, 1, 4, 3};
    const float w[3] = {1, 2, 3};
    int x = tensor(g, IR_DT_F32, 4, xs);   /* NHWC: C = 3 */
    ir_mark_input(g, x, 0);
    int wt = ir_add_const(g, "w", IR_DT_F32, 4, ws, w, sizeof w);
    int y = tensor(g, IR_DT_F32, 4, ys);
    ir_mark_output(g, y);
    int n = ir_add_node(g, IR_OP_CONV, "dw", "DEPTHWISE_CONV_2D", 0, 2, (const int[]){x, wt}, 1, &y);
    g->nodes[n].attr.conv.nspatial = 2;
    g->nodes[n].attr.conv.layout = IR_LAYOUT_NHWC;
    g->nodes[n].attr.conv.group = 3;
    g->nodes[n].attr.act.on = true;
    g->nodes[n].attr.act.lo = 0.0f;
    g->nodes[n].attr.act.hi = 6.0f;
    lir_program p;
    char err[256];
    assert_true(lower_graph(g, &p, err, sizeof err));
    assert_string_equal(p.calls[0].kernel, "kiln_depthwise_conv_f32");
    assert_ptr_equal(p.calls[0].ptype, &lir_desc_kiln_conv_f32_params);
    const kiln_conv_f32_params *cp = p.calls[0].params;
    assert_int_equal(cp->layout, KILN_LAYOUT_NHWC);
    assert_true(cp->act_lo == 0.0f && cp->act_hi == 6.0f);
    assert_int_equal(p.calls[0].args[2].kind, LIR_ARG_NULL);   /* absent bias (2 inputs) */
    lir_free(&p);
    ir_free(g);
}

static void reshape_is_an_alias_not_a_copy(void **state)
{
    (void)state;
    /* x -> Tanh -> t -> Reshape -> y: the reshape is t's bytes under another
     * shape.  (A graph input reshaped straight to a graph output gets a copy:
     * outputs own their bytes, passes/lower_outputs.c.) */
    ir_graph *g = ir_new("t");
    const int64_t xs[2] = {2, 6}, ys[3] = {3, 2, 2};
    int x = tensor(g, IR_DT_F32, 2, xs);
    ir_mark_input(g, x, 0);
    int t = tensor(g, IR_DT_F32, 2, xs);
    int y = tensor(g, IR_DT_F32, 3, ys);
    ir_mark_output(g, y);
    ir_add_node(g, IR_OP_TANH, "a", "Tanh", 0, 1, &x, 1, &t);
    ir_add_node(g, IR_OP_RESHAPE, "r", "Reshape", 0, 1, &t, 1, &y);
    lir_program p;
    char err[256];
    assert_true(lower_graph(g, &p, err, sizeof err));
    assert_int_equal(p.n_calls, 1);
    assert_true(y < p.n_alias);
    assert_int_equal(p.alias[y], t);
    lir_free(&p);
    ir_free(g);
}

/* Float ADD is not data movement; quantized CONCAT with differing scales is
 * left to the int8 family; float32 lowering never takes quantized tensors. */
static void families_claim_only_their_nodes(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int64_t s[1] = {4}, s2[1] = {8};
    int a = tensor(g, IR_DT_F32, 1, s), b = tensor(g, IR_DT_F32, 1, s), y = tensor(g, IR_DT_F32, 1, s);
    ir_mark_input(g, a, 0);
    ir_mark_input(g, b, 1);
    int n_add = ir_add_node(g, IR_OP_ADD, "add", "Add", 0, 2, (const int[]){a, b}, 1, &y);
    int qa = tensor(g, IR_DT_S8, 1, s), qb = tensor(g, IR_DT_S8, 1, s), qy = tensor(g, IR_DT_S8, 1, s2);
    const float sa = 0.5f, sb = 0.25f;
    ir_set_quant(g, qa, 1, 0, &sa, NULL);
    ir_set_quant(g, qb, 1, 0, &sb, NULL);
    ir_set_quant(g, qy, 1, 0, &sa, NULL);
    int n_cat = ir_add_node(g, IR_OP_CONCAT, "cat", "Concat", 1, 2, (const int[]){qa, qb}, 1, &qy);
    lir_program p;
    memset(&p, 0, sizeof p);
    char err[256];
    assert_int_equal(lower_data(g, n_add, &p, err, sizeof err), 0);
    assert_int_equal(lower_f32(g, n_add, &p, err, sizeof err), 1);
    assert_string_equal(p.calls[0].kernel, "kiln_add_f32");
    assert_int_equal(lower_data(g, n_cat, &p, err, sizeof err), 0);
    assert_int_equal(lower_f32(g, n_cat, &p, err, sizeof err), 0);
    /* Same quantization everywhere: a plain byte move. */
    ir_set_quant(g, qb, 1, 0, &sa, NULL);
    assert_int_equal(lower_data(g, n_cat, &p, err, sizeof err), 1);
    assert_string_equal(p.calls[1].kernel, "kiln_concat");
    lir_free(&p);
    ir_free(g);
}

static void conv_with_runtime_weights_is_an_error_naming_the_node(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int64_t xs[3] = {1, 1, 4}, ws[3] = {1, 1, 2}, ys[3] = {1, 1, 3};
    int x = tensor(g, IR_DT_F32, 3, xs);
    int w = tensor(g, IR_DT_F32, 3, ws);
    ir_mark_input(g, x, 0);
    ir_mark_input(g, w, 1);
    int y = tensor(g, IR_DT_F32, 3, ys);
    int n = ir_add_node(g, IR_OP_CONV, "convA", "Conv", 7, 2, (const int[]){x, w}, 1, &y);
    g->nodes[n].attr.conv.nspatial = 1;
    g->nodes[n].attr.conv.kernel[0] = 2;
    lir_program p;
    char err[256];
    assert_false(lower_graph(g, &p, err, sizeof err));
    assert_non_null(strstr(err, "convA"));
    assert_non_null(strstr(err, "must be a float32 constant"));
    lir_free(&p);
    ir_free(g);
}

static void mismatched_broadcast_is_an_error(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int64_t sa[2] = {2, 3}, sb[1] = {2};
    int a = tensor(g, IR_DT_F32, 2, sa), b = tensor(g, IR_DT_F32, 1, sb), y = tensor(g, IR_DT_F32, 2, sa);
    ir_mark_input(g, a, 0);
    ir_mark_input(g, b, 1);
    ir_add_node(g, IR_OP_MUL, "mul", "Mul", 0, 2, (const int[]){a, b}, 1, &y);
    lir_program p;
    char err[256];
    assert_false(lower_graph(g, &p, err, sizeof err));
    assert_non_null(strstr(err, "do not broadcast"));
    lir_free(&p);
    ir_free(g);
}

static void lstm_asks_for_scratch(void **state)
{
    (void)state;
    ir_graph *g = ir_new("t");
    const int64_t xs[3] = {5, 2, 3}, ws[3] = {1, 16, 3}, rs[3] = {1, 16, 4}, hs[3] = {1, 2, 4};
    float wz[48] = {0}, rz[64] = {0};
    int x = tensor(g, IR_DT_F32, 3, xs);
    ir_mark_input(g, x, 0);
    int w = ir_add_const(g, "W", IR_DT_F32, 3, ws, wz, sizeof wz);
    int r = ir_add_const(g, "R", IR_DT_F32, 3, rs, rz, sizeof rz);
    int yh = tensor(g, IR_DT_F32, 3, hs);
    ir_mark_output(g, yh);
    int n = ir_add_node(g, IR_OP_LSTM, "lstm", "LSTM", 0, 3, (const int[]){x, w, r}, 3,
                        (const int[]){-1, yh, -1});
    g->nodes[n].attr.rnn.hidden_size = 4;
    lir_program p;
    char err[256];
    assert_true(lower_graph(g, &p, err, sizeof err));
    assert_string_equal(p.calls[0].kernel, "kiln_lstm_f32");
    /* h and c per batch item (2*2*4) plus the 4 gates (16): 32 floats. */
    assert_int_equal(p.calls[0].scratch_bytes, 32 * sizeof(float));
    assert_int_equal(p.calls[0].n_args, 11);
    assert_int_equal(p.calls[0].args[8].kind, LIR_ARG_NULL);   /* Y absent */
    assert_true(p.calls[0].args[9].is_output);
    lir_free(&p);
    ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_repacks_weights_input_channels_innermost),
        cmocka_unit_test(depthwise_is_chosen_for_group_equal_channels),
        cmocka_unit_test(reshape_is_an_alias_not_a_copy),
        cmocka_unit_test(families_claim_only_their_nodes),
        cmocka_unit_test(conv_with_runtime_weights_is_an_error_naming_the_node),
        cmocka_unit_test(mismatched_broadcast_is_an_error),
        cmocka_unit_test(lstm_asks_for_scratch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
