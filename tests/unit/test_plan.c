/*
 * test_plan.c - the memory planner on hand-made call lists whose optimal
 * arenas are worked out in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ir/ir.h"
#include "passes/lower.h"
#include "passes/plan.h"

static int act(ir_graph *g, const char *name, int64_t bytes)
{
    int64_t shape[1] = {bytes};
    return ir_add_tensor(g, name, IR_DT_U8, 1, shape);
}

static void call(lir_program *p, int in, int out)
{
    lir_call *c = lir_begin(p, 0, "k", NULL, NULL);
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
    lir_call *k = lir_begin(&p, 0, "add", NULL, NULL);
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
    lir_call *c = lir_begin(&p, 0, "k", NULL, NULL);
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
    lir_call *c = lir_begin(&p, -1, "kiln_im2col", NULL, NULL);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
