/*
 * test_svdf.c - the stateful SVDF op, one behaviour per test: the kernels
 * (float, int8 state, int16 state) over several invocations in a row, the
 * TFLite importer (the variable becomes a state tensor; misuse is refused),
 * the lowering (TFLite's multipliers, the state as a written operand) and
 * the reference evaluator's sessions (state carried from run to run, reset).
 *
 * Expected values are worked out by hand in the comments, or come from the
 * independent numpy model of TFLite-Micro's SVDF (tests/gen/svdf_ref.py via
 * tests/gen/gen_svdf_cases.py -> svdf_cases.h).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "kiln/kernels_f32.h"
#include "kiln/kernels_s8.h"
#include "passes/lower.h"
#include "ref/eval.h"
#include "unit/svdf_cases.h"
#include "unit/tfl_builder.h"

/* ---- kernels ------------------------------------------------------------- */

/* batch 1, input 2, filters 2, rank 1, memory 2; Wf = [[1, 2], [3, -1]],
 * Wt = [[1, 10], [2, -1]] (oldest first), bias = [0.5, -1], state S = [s00 s01 s10 s11].
 *  run 1, x = [1, 1]:  shift [0 0 0 0]; new s01 = 1+2 = 3, s11 = 3-1 = 2 -> [0 3 0 2]
 *         y0 = 0.5 + 1*0 + 10*3 = 30.5,  y1 = -1 + 2*0 - 1*2 = -3
 *  run 2, x = [2, 0]:  shift the flat array [3 0 2 2]; s01 = 2, s11 = 6 -> [3 2 2 6]
 *         y0 = 0.5 + 3 + 20 = 23.5,  y1 = -1 + 4 - 6 = -3
 *  run 3, x = [0, 1]:  shift [2 2 6 6]; s01 = 2, s11 = -1 -> [2 2 6 -1]
 *         y0 = 0.5 + 2 + 20 = 22.5,  y1 = -1 + 12 + 1 = 12 */
static void svdf_f32_by_hand_three_runs(void **state)
{
    (void)state;
    const kiln_svdf_f32_params p = {1, 2, 2, 2, 1, 2, -HUGE_VALF, HUGE_VALF};
    const float wf[4] = {1, 2, 3, -1}, wt[4] = {1, 10, 2, -1}, b[2] = {0.5f, -1};
    const float x[3][2] = {{1, 1}, {2, 0}, {0, 1}};
    const float want_y[3][2] = {{30.5f, -3}, {23.5f, -3}, {22.5f, 12}};
    const float want_s[3][4] = {{0, 3, 0, 2}, {3, 2, 2, 6}, {2, 2, 6, -1}};
    float s[4] = {0, 0, 0, 0}, y[2];
    for (int k = 0; k < 3; k++) {
        kiln_svdf_f32(&p, x[k], wf, wt, b, s, y);
        for (int i = 0; i < 2; i++)
            assert_true(y[i] == want_y[k][i]);
        for (int i = 0; i < 4; i++)
            assert_true(s[i] == want_s[k][i]);
    }
}

static void run_f32_case(const struct svdf_f32_case *c)
{
    const int units = c->filters / c->rank, ns = c->batch * c->filters * c->memory;
    const kiln_svdf_f32_params p = {c->batch, c->input, c->filters, units, c->rank, c->memory,
                                    c->act_lo, c->act_hi};
    float s[SVDF_MAXN] = {0}, y[SVDF_MAXN];
    for (int k = 0; k < SVDF_STEPS; k++) {
        kiln_svdf_f32(&p, c->x + k * c->batch * c->input, c->wf, c->wt,
                      c->has_bias ? c->bias : NULL, s, y);
        /* Same operations in the same order as TFLM: identical floats. */
        for (int i = 0; i < c->batch * units; i++)
            assert_true(y[i] == c->y[k * c->batch * units + i]);
        for (int i = 0; i < ns; i++)
            assert_true(s[i] == c->state[k * ns + i]);
    }
}

static void svdf_f32_matches_numpy_tflm_model(void **state)
{
    (void)state;
    run_f32_case(&svdf_f32_a);   /* batch 2, rank 2, bias, RELU */
    run_f32_case(&svdf_f32_b);   /* rank 1, no bias, no activation */
}

static void run_int_case(const struct svdf_int_case *c)
{
    const int units = c->filters / c->rank, ns = c->batch * c->filters * c->memory;
    const kiln_svdf_s8_params p = {c->batch, c->input, c->filters, units, c->rank, c->memory,
                                   -c->zp_x, c->zp_state, c->mult1, c->shift1, c->mult2,
                                   c->shift2, c->zp_y, -128, 127};
    int8_t x[SVDF_MAXN], wf[SVDF_MAXN], y[SVDF_MAXN], s8[SVDF_MAXN], wt8[SVDF_MAXN];
    int16_t s16[SVDF_MAXN], wt16[SVDF_MAXN];
    int32_t b[SVDF_MAXN];
    for (int i = 0; i < c->filters * c->input; i++)
        wf[i] = (int8_t)c->wf[i];
    for (int i = 0; i < c->filters * c->memory; i++) {
        wt8[i] = (int8_t)c->wt[i];
        wt16[i] = (int16_t)c->wt[i];
    }
    for (int i = 0; i < units; i++)
        b[i] = c->bias[i];
    /* TFLM's reset value: an int8 state holds its zero point, int16 zeros. */
    for (int i = 0; i < ns; i++) {
        s8[i] = (int8_t)c->zp_state;
        s16[i] = 0;
    }
    for (int k = 0; k < SVDF_STEPS; k++) {
        for (int i = 0; i < c->batch * c->input; i++)
            x[i] = (int8_t)c->x[k * c->batch * c->input + i];
        if (c->bits == 8)
            kiln_svdf_s8(&p, x, wf, wt8, b, s8, y);
        else
            kiln_svdf_s8_s16(&p, x, wf, wt16, b, s16, y);
        for (int i = 0; i < c->batch * units; i++)
            assert_int_equal(y[i], c->y[k * c->batch * units + i]);
        for (int i = 0; i < ns; i++)
            assert_int_equal(c->bits == 8 ? s8[i] : s16[i], c->state[k * ns + i]);
    }
}

static void svdf_s8_matches_numpy_tflm_model(void **state)
{
    (void)state;
    run_int_case(&svdf_s8_a);    /* int8 state, zero point -30, clamps and wraps */
    run_int_case(&svdf_s16_a);   /* int16 state and time weights, rank 3 */
}

/* TFLM clamps the new activation to int8 and then adds the state's zero
 * point, narrowing the sum modulo 256.  Multipliers 2^30 with shift 1 are
 * exactly x1.  x = [60], in_offset 0, Wf = [2]: dot = 120; clamp -> 120;
 * + zp 20 = 140 -> stored as 140 - 256 = -116.  Time (memory 1, Wt = [1]):
 * -116 - 20 = -136; bias 0; x1 + out_zp 0 = -136 -> clamped to -128. */
static void svdf_s8_zero_point_added_after_clamp_wraps(void **state)
{
    (void)state;
    const kiln_svdf_s8_params p = {1, 1, 1, 1, 1, 1, 0, 20, 1 << 30, 1, 1 << 30, 1, 0, -128, 127};
    const int8_t x[1] = {60}, wf[1] = {2}, wt[1] = {1};
    int8_t s[1] = {20}, y[1];
    kiln_svdf_s8(&p, x, wf, wt, NULL, s, y);
    assert_int_equal(s[0], -116);
    assert_int_equal(y[0], -128);
}

/* ---- TFLite import ------------------------------------------------------- */

enum { F32 = 0, I32 = 2, I8 = 9, ADD = 0, SVDF = 27, OPT_SVDF = 6, OPT_ADD = 11 };

static char err[1024];

static ir_graph *import_struct(const tb_model *m)
{
    size_t len;
    uint8_t *bytes = tb_build(m, &len);
    err[0] = '\0';
    ir_graph *g = import_tflite_mem(bytes, len, "svdf.tflite", err, sizeof err);
    free(bytes);
    return g;
}

static void must_refuse(const tb_model *m, const char *needle)
{
    ir_graph *g = import_struct(m);
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

static const float fw[24] = {0};
static const tb_buf fbufs[4] = {{0}, {fw, 4 * 12, 0}, {fw, 4 * 6, 0}, {fw, 4 * 3, 0}};

/* x [1,2], Wf [6,2] (buffer 1), Wt [6,1]: memory 1 (buffer 2), bias [3], state [1,6], y [1,3]. */
static tb_tensor f_tensors[6] = {
    {"x", F32, 2, {1, 2}, 0},
    {"wf", F32, 2, {6, 2}, 1},
    {"wt", F32, 2, {6, 1}, 2},
    {"b", F32, 1, {3}, 3},
    {"state", F32, 2, {1, 6}, 0, .is_variable = 1},
    {"y", F32, 2, {1, 3}, 0},
};

static tb_op svdf_op(int rank, int act)
{
    tb_op op = {SVDF, 1, 5, {0, 1, 2, 3, 4}, 1, {5}, OPT_SVDF, 2,
                {{0, 4, (uint64_t)rank, 0}, {1, 1, (uint64_t)act, 0}}, NULL};
    return op;
}

static void svdf_state_becomes_a_state_tensor(void **state)
{
    (void)state;
    tb_op op = svdf_op(2, 1 /* RELU */);
    tb_model m = {6, f_tensors, 1, &op, 4, fbufs, 1, {0}, 1, {5}};
    ir_graph *g = import_struct(&m);
    assert_non_null(g);
    assert_int_equal(g->n_nodes, 1);
    const ir_node *nd = &g->nodes[0];
    assert_int_equal(nd->op, IR_OP_SVDF);
    assert_int_equal(nd->attr.svdf_rank, 2);
    assert_true(nd->attr.act.on);                 /* float SVDF keeps RELU */
    assert_true(nd->attr.act.lo == 0.0f);
    const ir_tensor *s = &g->tensors[nd->in[4]];
    assert_true(s->is_state);
    assert_false(s->is_input);
    assert_false(ir_is_const(s));
    assert_int_equal(g->n_inputs, 1);             /* only x */
    ir_free(g);
}

static void svdf_refusals(void **state)
{
    (void)state;
    tb_tensor t[7];
    memcpy(t, f_tensors, sizeof f_tensors);
    tb_op op = svdf_op(2, 0);
    tb_model m = {6, t, 1, &op, 4, fbufs, 1, {0}, 1, {5}};

    t[4].is_variable = 0;                         /* TFLM requires is_variable */
    must_refuse(&m, "not marked as a variable");
    t[4].is_variable = 1;

    op = svdf_op(4, 0);                           /* 6 filters, rank 4 */
    must_refuse(&m, "rank 4 does not divide the 6 filters");

    op = svdf_op(2, 0);
    t[4].shape[1] = 5;                            /* must be memory x filters = 6 */
    must_refuse(&m, "activation state 'state'");
    t[4].shape[1] = 6;

    /* The state read by a second operator (an ADD of state and state). */
    t[6] = (tb_tensor){"z", F32, 2, {1, 6}, 0};
    tb_op ops[2] = {svdf_op(2, 0), {ADD, 1, 2, {4, 4}, 1, {6}, OPT_ADD, 0, {{0}}, NULL}};
    tb_model m2 = {7, t, 2, ops, 4, fbufs, 1, {0}, 2, {5, 6}};
    must_refuse(&m2, "SVDF's activation state");

    /* A variable anywhere but an SVDF's state input. */
    tb_op add = {ADD, 1, 2, {0, 4}, 1, {6}, OPT_ADD, 0, {{0}}, NULL};
    t[4].shape[1] = 2;
    t[6].shape[1] = 2;
    tb_model m3 = {7, t, 1, &add, 1, fbufs, 1, {0}, 1, {6}};
    must_refuse(&m3, "variables only as the activation state of SVDF");
}

/* Integer SVDF: TFLite's kernel ignores the fused activation. */
static void svdf_int8_has_no_activation(void **state)
{
    (void)state;
    static const int8_t w8[12] = {0};
    static const int32_t b32[3] = {0};
    const tb_buf bufs[4] = {{0}, {w8, 12, 0}, {w8, 6, 0}, {b32, 12, 0}};
    const tb_tensor t[6] = {
        {"x", I8, 2, {1, 2}, 0, 1, {0.5f}, {0}},
        {"wf", I8, 2, {6, 2}, 1, 1, {0.25f}, {0}},
        {"wt", I8, 2, {6, 1}, 2, 1, {0.25f}, {0}},
        {"b", I32, 1, {3}, 3, 1, {0.125f}, {0}},
        {"state", I8, 2, {1, 6}, 0, 1, {0.5f}, {-3}, .is_variable = 1},
        {"y", I8, 2, {1, 3}, 0, 1, {1.0f}, {0}},
    };
    tb_op op = svdf_op(2, 3 /* RELU6 */);
    op.version = 3;
    tb_model m = {6, t, 1, &op, 4, bufs, 1, {0}, 1, {5}};
    ir_graph *g = import_struct(&m);
    assert_non_null(g);
    assert_false(g->nodes[0].attr.act.on);
    ir_free(g);
}

/* ---- lowering ------------------------------------------------------------ */

/* One SVDF node from an int case's shapes and quantization. */
static ir_graph *int_graph(const struct svdf_int_case *c, bool state_flag, float bias_scale)
{
    ir_graph *g = ir_new("svdf");
    const int units = c->filters / c->rank;
    const ir_dtype sdt = c->bits == 8 ? IR_DT_S8 : IR_DT_S16;
    const int64_t xs[2] = {c->batch, c->input}, wfs[2] = {c->filters, c->input};
    const int64_t wts[2] = {c->filters, c->memory}, bs[1] = {units};
    const int64_t ss[2] = {c->batch, c->filters * c->memory}, ys[2] = {c->batch, units};
    static int8_t zero[4096];
    int x = ir_add_tensor(g, "x", IR_DT_S8, 2, xs);
    int wf = ir_add_const(g, "wf", IR_DT_S8, 2, wfs, zero, (size_t)(c->filters * c->input));
    int wt = ir_add_const(g, "wt", sdt, 2, wts, zero,
                          (size_t)(c->filters * c->memory) * (c->bits / 8));
    int b = ir_add_const(g, "b", IR_DT_S32, 1, bs, zero, (size_t)units * 4);
    int s = ir_add_tensor(g, "state", sdt, 2, ss);
    int y = ir_add_tensor(g, "y", IR_DT_S8, 2, ys);
    const int32_t zx = c->zp_x, z0 = 0, zs = c->zp_state, zy = c->zp_y;
    ir_set_quant(g, x, 1, 0, &c->scale[0], &zx);
    ir_set_quant(g, wf, 1, 0, &c->scale[1], &z0);
    ir_set_quant(g, wt, 1, 0, &c->scale[2], &z0);
    ir_set_quant(g, b, 1, 0, &bias_scale, &z0);
    ir_set_quant(g, s, 1, 0, &c->scale[3], &zs);
    ir_set_quant(g, y, 1, 0, &c->scale[4], &zy);
    g->tensors[s].is_state = state_flag;
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    int n = ir_add_node(g, IR_OP_SVDF, "svdf", "SVDF", 0, 5, (const int[]){x, wf, wt, b, s}, 1, &y);
    g->nodes[n].attr.svdf_rank = c->rank;
    return g;
}

static void check_lowered(const struct svdf_int_case *c, const char *kernel)
{
    ir_graph *g = int_graph(c, true, c->scale[3] * c->scale[2]);
    lir_program p;
    char msg[512];
    assert_true(lower_graph(g, &p, msg, sizeof msg));
    assert_int_equal(p.n_calls, 1);
    const lir_call *call = &p.calls[0];
    assert_string_equal(call->kernel, kernel);
    assert_ptr_equal(call->ptype, &lir_desc_kiln_svdf_s8_params);
    const kiln_svdf_s8_params *sp = call->params;
    assert_int_equal(sp->mult1, c->mult1);
    assert_int_equal(sp->shift1, c->shift1);
    assert_int_equal(sp->mult2, c->mult2);
    assert_int_equal(sp->shift2, c->shift2);
    assert_int_equal(sp->act_min, -128);
    assert_int_equal(sp->act_max, 127);
    assert_int_equal(call->n_args, 6);
    assert_int_equal(call->args[4].tensor, g->nodes[0].in[4]);
    assert_true(call->args[4].is_output);         /* the state is written */
    assert_true(call->args[5].is_output);
    assert_false(call->args[0].is_output);
    lir_free(&p);
    ir_free(g);
}

static void svdf_lowering_uses_tflite_multipliers(void **state)
{
    (void)state;
    check_lowered(&svdf_s8_a, "kiln_svdf_s8");
    check_lowered(&svdf_s16_a, "kiln_svdf_s8_s16");
}

static void svdf_lowering_refusals(void **state)
{
    (void)state;
    lir_program p;
    char msg[512];
    ir_graph *g = int_graph(&svdf_s8_a, false, svdf_s8_a.scale[3] * svdf_s8_a.scale[2]);
    assert_false(lower_graph(g, &p, msg, sizeof msg));
    assert_non_null(strstr(msg, "must be a state tensor"));
    lir_free(&p);
    ir_free(g);
    /* TFLM's Prepare: |s_bias - s_state * s_W_time| < 1e-5. */
    g = int_graph(&svdf_s8_a, true, 0.5f);
    assert_false(lower_graph(g, &p, msg, sizeof msg));
    assert_non_null(strstr(msg, "must equal state scale x W_time scale"));
    lir_free(&p);
    ir_free(g);
}

/* ---- reference evaluator sessions ---------------------------------------- */

static ir_graph *float_graph(const struct svdf_f32_case *c)
{
    ir_graph *g = ir_new("svdf");
    const int units = c->filters / c->rank;
    const int64_t xs[2] = {c->batch, c->input}, wfs[2] = {c->filters, c->input};
    const int64_t wts[2] = {c->filters, c->memory}, bs[1] = {units};
    const int64_t ss[2] = {c->batch, c->filters * c->memory}, ys[2] = {c->batch, units};
    int x = ir_add_tensor(g, "x", IR_DT_F32, 2, xs);
    int wf = ir_add_const(g, "wf", IR_DT_F32, 2, wfs, c->wf, sizeof(float) * (size_t)(c->filters * c->input));
    int wt = ir_add_const(g, "wt", IR_DT_F32, 2, wts, c->wt, sizeof(float) * (size_t)(c->filters * c->memory));
    int b = c->has_bias ? ir_add_const(g, "b", IR_DT_F32, 1, bs, c->bias, sizeof(float) * (size_t)units) : -1;
    int s = ir_add_tensor(g, "state", IR_DT_F32, 2, ss);
    int y = ir_add_tensor(g, "y", IR_DT_F32, 2, ys);
    g->tensors[s].is_state = true;
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    int n = ir_add_node(g, IR_OP_SVDF, "svdf", "SVDF", 0, 5, (const int[]){x, wf, wt, b, s}, 1, &y);
    g->nodes[n].attr.svdf_rank = c->rank;
    g->nodes[n].attr.act.on = isfinite(c->act_lo) || isfinite(c->act_hi);
    g->nodes[n].attr.act.lo = c->act_lo;
    g->nodes[n].attr.act.hi = c->act_hi;
    return g;
}

static void session_carries_state_and_resets(void **state)
{
    (void)state;
    const struct svdf_f32_case *c = &svdf_f32_a;
    ir_graph *g = float_graph(c);
    const int units = c->filters / c->rank, ny = c->batch * units;
    ref_session *s = ref_session_new(g);
    float y[SVDF_MAXN], first[SVDF_MAXN];
    char msg[512];
    for (int k = 0; k < SVDF_STEPS; k++) {
        const void *in[1] = {c->x + k * c->batch * c->input};
        void *out[1] = {y};
        assert_true(ref_session_run(s, in, out, msg, sizeof msg));
        /* double-precision sums, the state rounded to float32 like the tensor */
        for (int i = 0; i < ny; i++)
            assert_float_equal(y[i], c->y[k * ny + i], 1e-6);
        if (k == 0)
            memcpy(first, y, sizeof(float) * (size_t)ny);
    }
    ref_session_reset(s);
    const void *in[1] = {c->x};
    void *out[1] = {y};
    assert_true(ref_session_run(s, in, out, msg, sizeof msg));
    assert_memory_equal(y, first, sizeof(float) * (size_t)ny);
    ref_session_free(s);
    /* The one-shot evaluation is a fresh session's first run. */
    assert_true(ref_eval_graph(g, in, out, msg, sizeof msg));
    assert_memory_equal(y, first, sizeof(float) * (size_t)ny);
    ir_free(g);
}

/* The quantized evaluator computes real values and rounds them; its state
 * starts at the zero point like TFLM's and stays within 1 LSB of the
 * integer model on this case. */
static void session_int8_state_within_one_lsb(void **state)
{
    (void)state;
    const struct svdf_int_case *c = &svdf_s8_a;
    ir_graph *g = int_graph(c, true, c->scale[3] * c->scale[2]);
    /* int_graph's weights are zeros: give it the case's. */
    ir_tensor *wf = &g->tensors[g->nodes[0].in[1]], *wt = &g->tensors[g->nodes[0].in[2]];
    ir_tensor *b = &g->tensors[g->nodes[0].in[3]];
    for (int i = 0; i < c->filters * c->input; i++)
        ((int8_t *)wf->data)[i] = (int8_t)c->wf[i];
    for (int i = 0; i < c->filters * c->memory; i++)
        ((int8_t *)wt->data)[i] = (int8_t)c->wt[i];
    for (int i = 0; i < c->filters / c->rank; i++)
        ((int32_t *)b->data)[i] = c->bias[i];
    const int ny = c->batch * (c->filters / c->rank);
    ref_session *s = ref_session_new(g);
    int8_t x[SVDF_MAXN], y[SVDF_MAXN];
    char msg[512];
    for (int k = 0; k < SVDF_STEPS; k++) {
        for (int i = 0; i < c->batch * c->input; i++)
            x[i] = (int8_t)c->x[k * c->batch * c->input + i];
        const void *in[1] = {x};
        void *out[1] = {y};
        assert_true(ref_session_run(s, in, out, msg, sizeof msg));
        for (int i = 0; i < ny; i++)
            assert_true(abs(y[i] - c->y[k * ny + i]) <= 1);
    }
    ref_session_free(s);
    ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(svdf_f32_by_hand_three_runs),
        cmocka_unit_test(svdf_f32_matches_numpy_tflm_model),
        cmocka_unit_test(svdf_s8_matches_numpy_tflm_model),
        cmocka_unit_test(svdf_s8_zero_point_added_after_clamp_wraps),
        cmocka_unit_test(svdf_state_becomes_a_state_tensor),
        cmocka_unit_test(svdf_refusals),
        cmocka_unit_test(svdf_int8_has_no_activation),
        cmocka_unit_test(svdf_lowering_uses_tflite_multipliers),
        cmocka_unit_test(svdf_lowering_refusals),
        cmocka_unit_test(session_carries_state_and_resets),
        cmocka_unit_test(session_int8_state_within_one_lsb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
