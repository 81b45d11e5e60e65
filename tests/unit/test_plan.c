/*
 * test_plan.c - the memory planner on hand-made call lists whose optimal
 * arenas are worked out in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "ir/ir.h"
#include "passes/lower.h"
#include "passes/plan.h"
#include "passes/plan_inplace.h"

static int act(ir_graph *g, const char *name, int64_t bytes)
{
    int64_t shape[1] = {bytes};
    return ir_add_tensor(g, name, IR_DT_U8, 1, shape);
}

static void call(lir_program *p, int in, int out)
{
    lir_call *c = lir_begin(p, 0, "k");
    lir_in(c, in);
    lir_out(c, out);
}

static bool disjoint(const plan *pl, const ir_graph *g, int a, int b)
{
    size_t ea = pl->offset[a] + ir_nbytes(&g->tensors[a]);
    size_t eb = pl->offset[b] + ir_nbytes(&g->tensors[b]);
    return ea <= pl->offset[b] || eb <= pl->offset[a];
}

/* x(96) -> t1(208) -> t2(48) -> y(16).  Live during call 0: x+t1 = 304,
 * call 1: t1+t2 = 256, call 2: t2+y = 64.  Lower bound 304, and 304 is
 * reachable: t1 at 0, x at 208, t2 at 208, y at 0. */
static void chain_reaches_lower_bound(void **state)
{
    (void)state;
    ir_graph *g = ir_new("chain");
    int x = act(g, "x", 96), t1 = act(g, "t1", 208), t2 = act(g, "t2", 48), y = act(g, "y", 16);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    lir_program p = {0};
    call(&p, x, t1);
    call(&p, t1, t2);
    call(&p, t2, y);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[128];
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_int_equal(pl.lower_bound, 304);
    assert_int_equal(pl.arena_bytes, 304);
    assert_true(disjoint(&pl, g, x, t1));
    assert_true(disjoint(&pl, g, t1, t2));
    assert_true(disjoint(&pl, g, t2, y));
    assert_int_equal(p.n_calls, 3); /* no copy needed */
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);
}

/* A residual: a -> b, b -> c, (b, c) -> d.  b lives across c's call, so
 * during call 1 (b, c) and call 2 (b, c, d) all three are live. */
static void residual_keeps_skip_alive(void **state)
{
    (void)state;
    ir_graph *g = ir_new("res");
    int a = act(g, "a", 64), b = act(g, "b", 64), c = act(g, "c", 64), d = act(g, "d", 64);
    ir_mark_input(g, a, 0);
    ir_mark_output(g, d);
    lir_program p = {0};
    call(&p, a, b);
    call(&p, b, c);
    lir_call *k = lir_begin(&p, 0, "add");
    lir_in(k, b);
    lir_in(k, c);
    lir_out(k, d);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[128];
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_int_equal(pl.lower_bound, 192);
    assert_int_equal(pl.arena_bytes, 192);
    assert_true(disjoint(&pl, g, b, c) && disjoint(&pl, g, b, d) && disjoint(&pl, g, c, d));
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);
}

/* A reshape alias shares its source's bytes; an output that would share an
 * input's bytes gets its own buffer and a copy call at the end. */
static void aliases_share_and_outputs_own_bytes(void **state)
{
    (void)state;
    ir_graph *g = ir_new("alias");
    int x = act(g, "x", 32), r = act(g, "r", 32), y = act(g, "y", 32), z = act(g, "z", 32);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, r);   /* r is a reshape of the input */
    ir_mark_output(g, z);
    lir_program p = {0};
    lir_alias(&p, r, x);
    call(&p, x, y);
    lir_alias(&p, z, y);    /* z is a reshape of y */
    lir_alias(&p, g->n_tensors, -1);
    lower_outputs(g, &p);   /* the lowering's last step */
    plan pl;
    char err[128];
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_int_equal(pl.root[z], y);
    assert_int_equal(pl.offset[z], pl.offset[y]);
    assert_int_equal(p.n_calls, 2);                     /* one copy appended */
    assert_string_equal(p.calls[1].kernel, "kiln_copy_bytes");
    int nr = g->outputs[0];
    assert_true(nr != r);                               /* fresh output tensor */
    assert_int_equal(p.calls[1].args[1].tensor, nr);
    assert_true(disjoint(&pl, g, x, nr));
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);
}

static void scratch_lives_only_during_its_call(void **state)
{
    (void)state;
    ir_graph *g = ir_new("scratch");
    int x = act(g, "x", 64), y = act(g, "y", 64), z = act(g, "z", 64);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, z);
    lir_program p = {0};
    lir_call *c = lir_begin(&p, 0, "k");
    lir_in(c, x);
    lir_out(c, y);
    c->scratch_bytes = 128;
    call(&p, y, z);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[128];
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    /* call 0: x + y + scratch = 256; call 1: y + z = 128. */
    assert_int_equal(pl.lower_bound, 256);
    assert_int_equal(pl.arena_bytes, 256);
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);
}

/* Sizes the generated code cannot describe: kiln_model.arena_bytes and every
 * offset are uint32, so an arena of 4 GiB or more must be refused with a
 * message, not truncated (an arena of 2^32 bytes would read as 0 and skip
 * the caller's arena-size check). */

/* x (3 GB) -> y (3 GB): both live during the one call, 6e9 bytes at once. */
static void arena_of_4gib_or_more_is_refused(void **state)
{
    (void)state;
    ir_graph *g = ir_new("big");
    int x = act(g, "x", 3000000000LL), y = act(g, "y", 3000000000LL);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    lir_program p = {0};
    call(&p, x, y);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[512] = "";
    assert_false(plan_memory(g, &p, &pl, err, sizeof err));
    assert_non_null(strstr(err, "arena would need 6000000000 bytes"));
    assert_non_null(strstr(err, "4294967295"));
    lir_free(&p);
    ir_free(g);
}

/* Exactly 2^32 bytes in one tensor (a lowering's constant or activation
 * that ir_verify never saw): refused, named. */
static void buffer_of_4gib_is_refused(void **state)
{
    (void)state;
    ir_graph *g = ir_new("big");
    int x = act(g, "x", 16), y = act(g, "huge_y", 4294967296LL);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    lir_program p = {0};
    call(&p, x, y);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[512] = "";
    assert_false(plan_memory(g, &p, &pl, err, sizeof err));
    assert_non_null(strstr(err, "'huge_y' needs 4294967296 bytes"));
    lir_free(&p);
    ir_free(g);
}

/* A kernel's scratch beyond 4 GiB: refused, naming the call. */
static void scratch_of_4gib_is_refused(void **state)
{
    (void)state;
    ir_graph *g = ir_new("big");
    int x = act(g, "x", 16), y = act(g, "y", 16);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    lir_program p = {0};
    lir_call *c = lir_begin(&p, -1, "kiln_im2col");
    lir_in(c, x);
    lir_out(c, y);
    c->scratch_bytes = (size_t)5000000000ULL;
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[512] = "";
    assert_false(plan_memory(g, &p, &pl, err, sizeof err));
    assert_non_null(strstr(err, "kiln_im2col"));
    assert_non_null(strstr(err, "5000000000 bytes of scratch"));
    lir_free(&p);
    ir_free(g);
}

/* Just under the limit is fine: 2^32 - 16 bytes in all. */
static void arena_just_under_4gib_is_planned(void **state)
{
    (void)state;
    ir_graph *g = ir_new("big");
    int x = act(g, "x", 16), y = act(g, "y", 4294967280LL - 16);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    lir_program p = {0};
    call(&p, x, y);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[512] = "";
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_int_equal(pl.arena_bytes, 4294967280ULL);
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);
}

/* ---- in-place execution ---------------------------------------------------- */

static int act8(ir_graph *g, const char *name, int64_t bytes)
{
    int64_t shape[1] = {bytes};
    return ir_add_tensor(g, name, IR_DT_S8, 1, shape);
}

static lir_call *relu(lir_program *p, int in, int out)
{
    const kiln_requantize_params rp = {.n = 64};
    lir_call *c = LIR_CALL(p, 0, "kiln_requantize_s8", kiln_requantize_params, &rp);
    lir_in(c, in);
    lir_out(c, out);
    return c;
}

/* x(64) -> relu -> y(64) -> relu -> z(64): kiln_requantize_s8 reads x[i]
 * before it writes y[i], so y may sit on x's bytes, and z on y's.  Without
 * in-place execution two buffers are live at each call (128 bytes); with
 * it one 64-byte buffer serves all three. */
static void activations_run_in_place(void **state)
{
    (void)state;
    ir_graph *g = ir_new("relu");
    int x = act8(g, "x", 64), y = act8(g, "y", 64), z = act8(g, "z", 64);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, z);
    lir_program p = {0};
    relu(&p, x, y);
    relu(&p, y, z);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[256];
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_int_equal(pl.lower_bound_separate, 128);
    assert_int_equal(pl.lower_bound, 64);
    assert_int_equal(pl.arena_bytes, 64);
    assert_int_equal(pl.n_inplace, 2);
    assert_int_equal(pl.inplace_in[0], x);
    assert_int_equal(pl.inplace_in[1], y);
    assert_true(plan_check(g, &p, &pl, err, sizeof err));
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);
}

/* A graph output keeps its bytes to the end: in x -> y (output) -> z
 * (output) the second activation may not write z over y, though its rule
 * would allow it for a dead input. */
static void graph_output_is_never_overwritten(void **state)
{
    (void)state;
    ir_graph *g = ir_new("outs");
    int x = act8(g, "x", 64), y = act8(g, "y", 64), z = act8(g, "z", 64);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    ir_mark_output(g, z);
    lir_program p = {0};
    relu(&p, x, y);
    relu(&p, y, z);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[256];
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_true(disjoint(&pl, g, y, z));
    assert_int_equal(pl.inplace_in[1], -1);
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);
}

/* The params of a packed conv as lower_s8 fills them (the fields the rules
 * read; the rest do not matter to them). */
static lir_call *conv(lir_program *p, const char *kernel, int in_c, int in_hw, int out_c, int out_hw,
                      int k, int stride, int pad, int in, int out)
{
    const kiln_conv_s8_params cp = {
        .batch = 1, .in_c = in_c, .in_h = in_hw, .in_w = in_hw, .out_c = out_c, .out_h = out_hw,
        .out_w = out_hw, .k_h = k, .k_w = k, .stride_h = stride, .stride_w = stride, .dil_h = 1,
        .dil_w = 1, .pad_t = pad, .pad_l = pad, .groups = 1, .layout = KILN_LAYOUT_NHWC,
        .in_offset = 128, .rq = {.mode = KILN_RQ_ONNX}};
    lir_call *c = LIR_CALL(p, 0, kernel, kiln_conv_s8_params, &cp);
    lir_in(c, in);
    lir_null(c);
    lir_out(c, out);
    return c;
}

/* A 1x1 conv 8 -> 16 channels on 4x4 pixels expands pixel pairs: pixels p,
 * p+1 are read, then their outputs written, ending at (p+2)*16 from the
 * output's start, while input pixel p+2 starts (p+2)*8 from the input's.
 * For every pair but the last (p+2 <= 14): d <= (p+2)*(8-16), so d <= -112:
 * the input sits in the last 128..144 bytes of the output's 256. */
static void expanding_pointwise_reads_from_the_end(void **state)
{
    (void)state;
    ir_graph *g = ir_new("pw");
    int x = act8(g, "x", 128), y = act8(g, "y", 256);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    lir_program p = {0};
    lir_call *c = conv(&p, "kiln_conv_s8_p16", 8, 4, 16, 4, 1, 1, 0, x, y);
    plan_inplace_rule r[2];
    assert_int_equal(plan_inplace_rules(g, c, r), 1);
    assert_int_equal(r[0].dmax, -112);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[256];
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_int_equal(pl.arena_bytes, 256);
    assert_true((int64_t)pl.offset[x] - (int64_t)pl.offset[y] >= 112);
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);
}

/* Rows through a ring, VWW's first layer: 3x3 stride 2, 96x96x3 -> 48x48x8,
 * no top padding.  Before output row oy (384 bytes) is written, input rows
 * up to 2*oy+2 (288 bytes each) are in the ring: d <= (2*oy+3)*288 -
 * (oy+1)*384 = 192*oy + 480, least at oy = 0: 480.  The 3x3c4 depthwise
 * kernel at stride 2, 48x48x16 -> 24x24x16: (2*oy+3)*768 - (oy+1)*384 =
 * 1152*oy + 1920, so 1920. */
static void ring_rules_match_the_hand_count(void **state)
{
    (void)state;
    ir_graph *g = ir_new("ring");
    int x = act8(g, "x", 27648), y = act8(g, "y", 18432), u = act8(g, "u", 36864),
        v = act8(g, "v", 9216);
    lir_program p = {0};
    plan_inplace_rule r[2];
    assert_int_equal(plan_inplace_rules(g, conv(&p, "kiln_conv_s8_p8", 3, 96, 8, 48, 3, 2, 0, x, y), r), 1);
    assert_int_equal(r[0].dmax, 480);
    assert_int_equal(plan_inplace_rules(g, conv(&p, "kiln_depthwise_conv_s8_3x3c4", 16, 48, 16, 24, 3, 2, 0, u, v), r), 1);
    assert_int_equal(r[0].dmax, 1920);
    /* The plain kernels have no rule: they are never run in place. */
    assert_int_equal(plan_inplace_rules(g, conv(&p, "kiln_conv_s8", 3, 96, 8, 48, 3, 2, 0, x, y), r), 0);
    lir_free(&p);
    ir_free(g);
}

/* The plane depthwise kernel copies two channels of every pixel before it
 * writes those two channels: an output moved by whole pixels (a multiple of
 * the 64 channels) only overwrites copied bytes; moved by 16 it would
 * overwrite channel 16 of a pixel before that channel is copied. */
static void plane_depthwise_moves_by_whole_pixels(void **state)
{
    (void)state;
    ir_graph *g = ir_new("dw");
    int x = act8(g, "x", 8000), y = act8(g, "y", 8000);
    lir_program p = {0};
    plan_inplace_rule r[2];
    assert_int_equal(plan_inplace_rules(g, conv(&p, "kiln_depthwise_conv_s8_3x3", 64, 10, 64, 10, 3, 1, 1, x, y), r), 1);
    assert_true(plan_inplace_allows(&r[0], 0, 8000, 8000));
    assert_true(plan_inplace_allows(&r[0], -640, 8000, 8000));
    assert_false(plan_inplace_allows(&r[0], 16, 8000, 8000));
    assert_false(plan_inplace_allows(&r[0], -16, 8000, 8000));
    assert_true(plan_inplace_allows(&r[0], 8000, 8000, 8000)); /* disjoint */
    lir_free(&p);
    ir_free(g);
}

/* The packed int8 FC expands its input row into scratch before it writes
 * any output, so with batch 1 the output may sit anywhere on the input:
 * x(64) -> FC -> y(16) fits in 64 bytes (80 apart).  Batched, rows go two
 * at a time: rows 0, 1 of y end 2*16 bytes from y's start while x's row 2
 * starts 2*8 from x's, so d <= 16 - 32 = -16 (batch 4, 8 -> 16). */
static lir_call *fc(lir_program *p, int batch, int k, int n, int in, int out)
{
    const kiln_fc_s8_params fp = {.batch = batch, .in_features = k, .out_features = n, .in_offset = 1};
    lir_call *c = LIR_CALL(p, 0, "kiln_fully_connected_s8_p16", kiln_fc_s8_params, &fp);
    lir_in(c, in);
    lir_null(c);
    lir_out(c, out);
    return c;
}

static void fc_reads_its_row_from_scratch(void **state)
{
    (void)state;
    ir_graph *g = ir_new("fc");
    int x = act8(g, "x", 64), y = act8(g, "y", 16), u = act8(g, "u", 32), v = act8(g, "v", 64);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    lir_program p = {0};
    plan_inplace_rule r[2];
    assert_int_equal(plan_inplace_rules(g, fc(&p, 1, 64, 16, x, y), r), 1);
    assert_true(plan_inplace_allows(&r[0], 0, 64, 16));
    assert_true(plan_inplace_allows(&r[0], 48, 64, 16));
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[256];
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_int_equal(pl.lower_bound_separate, 80);
    assert_int_equal(pl.arena_bytes, 64);
    assert_int_equal(pl.inplace_in[0], x);
    assert_true(plan_check(g, &p, &pl, err, sizeof err));
    plan_free(&pl);
    lir_program q = {0};
    assert_int_equal(plan_inplace_rules(g, fc(&q, 4, 8, 16, u, v), r), 1);
    assert_int_equal(r[0].dmax, -16);
    lir_free(&q);
    lir_free(&p);
    ir_free(g);
}

/* The float packed conv as lower_f32 prints it (NHWC, 2-D). */
static lir_call *conv_f32(lir_program *p, int method, int block, int groups, int in_c, int hw, int out_c,
                          int k, int pad, int in, int res, int out)
{
    const kiln_conv_f32_params cv = {.layout = KILN_LAYOUT_NHWC, .batch = 1, .in_c = in_c, .out_c = out_c,
                                     .groups = groups, .in = {1, hw, hw}, .out = {1, hw, hw}, .k = {1, k, k},
                                     .stride = {1, 1, 1}, .dil = {1, 1, 1}, .pad = {0, pad, pad},
                                     .act_lo = -HUGE_VALF, .act_hi = HUGE_VALF};
    const kiln_conv_f32_packed_params pp = {.conv = cv, .epi = {.act_lo = -HUGE_VALF, .act_hi = HUGE_VALF},
                                            .panel = 8, .kdim = in_c * k * k, .method = method, .block = block};
    lir_call *c = LIR_CALL(p, 0, "kiln_conv_f32_packed", kiln_conv_f32_packed_params, &pp);
    lir_in(c, in);
    lir_null(c);
    lir_null(c);
    lir_in(c, res);
    lir_out(c, out);
    lir_null(c);
    return c;
}

/* kiln_conv_f32_packed works in blocks of pixels.  DIRECT (1x1): every
 * panel reads the block's input in place, so the block's 64 output pixels
 * (64*8 floats, 2,048 bytes) must end at or below its first input pixel:
 * d <= -2048 on 16x16x8 -> 8.  IM2COL (3x3, pad 1, 8x8x4 -> 4, blocks of
 * 16 pixels = two output rows): block b is copied to scratch first, but
 * the next block still reads input row 2b+1 (its window's top), which
 * starts (2b+1)*8*4*4 = (2b+1)*128 bytes in, while block b's outputs end
 * at (b+1)*256: d <= -128 for every b.  A fused residual or a second
 * group gets no rule. */
static void float_conv_blocks_match_the_hand_count(void **state)
{
    (void)state;
    ir_graph *g = ir_new("f32");
    int64_t s1[1] = {2048};
    int x = ir_add_tensor(g, "x", IR_DT_F32, 1, s1), y = ir_add_tensor(g, "y", IR_DT_F32, 1, s1);
    int64_t s2[1] = {256};
    int u = ir_add_tensor(g, "u", IR_DT_F32, 1, s2), v = ir_add_tensor(g, "v", IR_DT_F32, 1, s2);
    lir_program p = {0};
    plan_inplace_rule r[2];
    assert_int_equal(plan_inplace_rules(g, conv_f32(&p, KILN_CONV_F32_DIRECT, 0, 1, 8, 16, 8, 1, 0, x, -1, y), r), 1);
    assert_int_equal(r[0].in_arg, 0);
    assert_int_equal(r[0].out_arg, 4);
    assert_int_equal(r[0].dmax, -2048);
    assert_int_equal(plan_inplace_rules(g, conv_f32(&p, KILN_CONV_F32_IM2COL, 16, 1, 4, 8, 4, 3, 1, u, -1, v), r), 1);
    assert_int_equal(r[0].dmax, -128);
    assert_int_equal(plan_inplace_rules(g, conv_f32(&p, KILN_CONV_F32_DIRECT, 0, 1, 8, 16, 8, 1, 0, x, y, y), r), 0);
    assert_int_equal(plan_inplace_rules(g, conv_f32(&p, KILN_CONV_F32_DIRECT, 0, 2, 8, 16, 8, 1, 0, x, -1, y), r), 0);
    lir_free(&p);
    ir_free(g);
}

/* Float and int16 elementwise kernels read element i before writing it:
 * d = 0 is safe for each input that is not broadcast, d = 4 (a float
 * ahead) is not. */
static void float_and_int16_elementwise_run_in_place(void **state)
{
    (void)state;
    ir_graph *g = ir_new("elem");
    int64_t s[1] = {16};
    int a = ir_add_tensor(g, "a", IR_DT_F32, 1, s), b = ir_add_tensor(g, "b", IR_DT_F32, 1, s),
        y = ir_add_tensor(g, "y", IR_DT_F32, 1, s);
    int c = ir_add_tensor(g, "c", IR_DT_S16, 1, s), d = ir_add_tensor(g, "d", IR_DT_S16, 1, s),
        z = ir_add_tensor(g, "z", IR_DT_S16, 1, s);
    lir_program p = {0};
    plan_inplace_rule r[2];
    const char *bin[] = {"kiln_add_f32", "kiln_mul_s16"};
    int ins[2][3] = {{a, b, y}, {c, d, z}};
    for (int k = 0; k < 2; k++) {
        const kiln_binary_f32_params bp = {.rank = 1};
        lir_call *call = LIR_CALL(&p, 0, bin[k], kiln_binary_f32_params, &bp);
        lir_in(call, ins[k][0]);
        lir_in(call, ins[k][1]);
        lir_out(call, ins[k][2]);
        assert_int_equal(plan_inplace_rules(g, call, r), 2);
        assert_int_equal(r[0].dmax, 0);
        assert_int_equal(r[1].in_arg, 1);
        assert_false(plan_inplace_allows(&r[0], 4, 64, 64));
    }
    const kiln_unary_f32_params up = {.size = 16};
    lir_call *call = LIR_CALL(&p, 0, "kiln_sigmoid_f32", kiln_unary_f32_params, &up);
    lir_in(call, a);
    lir_out(call, y);
    assert_int_equal(plan_inplace_rules(g, call, r), 1);
    assert_true(plan_inplace_allows(&r[0], 0, 64, 64));
    lir_free(&p);
    ir_free(g);
}

/* plan_check refuses a plan that shares bytes no rule allows: a kernel
 * without a rule whose output sits on its input, and an activation whose
 * output starts above its input (d = 16 > 0: y[i] would land on x[i+16]
 * before it is read). */
static void plan_check_refuses_unsafe_sharing(void **state)
{
    (void)state;
    ir_graph *g = ir_new("bad");
    int x = act(g, "x", 64), y = act(g, "y", 64);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    lir_program p = {0};
    call(&p, x, y);
    lir_alias(&p, g->n_tensors, -1);
    plan pl;
    char err[256];
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_true(plan_check(g, &p, &pl, err, sizeof err));
    pl.offset[y] = pl.offset[x];
    assert_false(plan_check(g, &p, &pl, err, sizeof err));
    assert_non_null(strstr(err, "'x'"));
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);

    g = ir_new("bad2");
    x = act8(g, "x", 64), y = act8(g, "y", 64);
    ir_mark_input(g, x, 0);
    ir_mark_output(g, y);
    memset(&p, 0, sizeof p);
    relu(&p, x, y);
    lir_alias(&p, g->n_tensors, -1);
    assert_true(plan_memory(g, &p, &pl, err, sizeof err));
    assert_int_equal(pl.offset[x], pl.offset[y]);
    pl.offset[x] = 0, pl.offset[y] = 16, pl.arena_bytes = 80;
    assert_false(plan_check(g, &p, &pl, err, sizeof err));
    pl.offset[x] = 16, pl.offset[y] = 0; /* d = -16: y[i] lands on x[i-16], already read */
    assert_true(plan_check(g, &p, &pl, err, sizeof err));
    plan_free(&pl);
    lir_free(&p);
    ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_reaches_lower_bound),
        cmocka_unit_test(residual_keeps_skip_alive),
        cmocka_unit_test(aliases_share_and_outputs_own_bytes),
        cmocka_unit_test(scratch_lives_only_during_its_call),
        cmocka_unit_test(arena_of_4gib_or_more_is_refused),
        cmocka_unit_test(buffer_of_4gib_is_refused),
        cmocka_unit_test(scratch_of_4gib_is_refused),
        cmocka_unit_test(arena_just_under_4gib_is_planned),
        cmocka_unit_test(activations_run_in_place),
        cmocka_unit_test(graph_output_is_never_overwritten),
        cmocka_unit_test(expanding_pointwise_reads_from_the_end),
        cmocka_unit_test(ring_rules_match_the_hand_count),
        cmocka_unit_test(plane_depthwise_moves_by_whole_pixels),
        cmocka_unit_test(plan_check_refuses_unsafe_sharing),
        cmocka_unit_test(fc_reads_its_row_from_scratch),
        cmocka_unit_test(float_conv_blocks_match_the_hand_count),
        cmocka_unit_test(float_and_int16_elementwise_run_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
