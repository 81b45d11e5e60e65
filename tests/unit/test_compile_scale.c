/*
 * test_compile_scale.c - the whole compiler (passes, lowering, planning,
 * blob layout, signature) takes a 200,000-node graph: the chain of
 * tests/unit/chain_model.h built directly as IR (the importers have their
 * own tests), x -> ADD(c0) -> CLIP[0,inf) -> ADD(c2) -> CLIP -> ... -> y,
 * every tensor [1,8] float32.
 *
 * A pass that scans the graph per node makes this take minutes (the ratio
 * of times for 10k to 200k nodes is in bench/compile_scale.sh); the test
 * itself asserts no time, only what the compiled program must be, worked
 * out by hand:
 *   - each CLIP fuses into the ADD before it: 100,000 kernel calls, one
 *     per ADD, and 100,000 blob tensors of 8 floats (32 bytes);
 *   - each call reads one 32-byte activation and writes the next, so two
 *     buffers are live at any call: lower bound and arena 64 bytes;
 *   - each ADD node accounts for its own 32 bytes of weights.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "compile.h"

enum { N_NODES = 200000, WIDTH = 8 };

static ir_graph *chain_graph(int n)
{
    ir_graph *g = ir_new("chain");
    const int64_t shape[2] = {1, WIDTH}, cshape[1] = {WIDTH};
    char name[32];
    int x = ir_add_tensor(g, "a0", IR_DT_F32, 2, shape);
    ir_mark_input(g, x, 0);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "a%d", i + 1);
        int y = ir_add_tensor(g, name, IR_DT_F32, 2, shape);
        snprintf(name, sizeof name, "n%d", i);
        if (i % 2 == 0) {
            float v[WIDTH];
            for (int j = 0; j < WIDTH; j++)
                v[j] = (float)((i + j) % 7) * 0.125f - 0.375f;
            char cname[32];
            snprintf(cname, sizeof cname, "c%d", i);
            int c = ir_add_const(g, cname, IR_DT_F32, 1, cshape, v, sizeof v);
            int in[2] = {x, c};
            ir_add_node(g, IR_OP_ADD, name, "Add", i, 2, in, 1, &y);
        } else {
            int k = ir_add_node(g, IR_OP_CLIP, name, "Relu", i, 1, &x, 1, &y);
            g->nodes[k].attr.act.on = true;
            g->nodes[k].attr.act.lo = 0.0f;
            g->nodes[k].attr.act.hi = INFINITY;
        }
        x = y;
    }
    ir_mark_output(g, x);
    return g;
}

static void chain_of_200k_nodes_compiles(void **state)
{
    (void)state;
    compile_opts o = {0};
    o.name = "chain";
    compiled c;
    char err[512] = "";
    bool ok = compile_graph(chain_graph(N_NODES), &o, &c, err, sizeof err);
    if (!ok)
        fprintf(stderr, "compile_graph: %s\n", err);
    assert_true(ok);
    assert_int_equal(c.stats.act_fused, N_NODES / 2);
    assert_int_equal(c.prog.n_calls, N_NODES / 2);
    assert_int_equal(c.n_bt, N_NODES / 2);
    /* Each float Add reads element i before writing it: in place, one 32-byte buffer. */
    assert_int_equal(c.pl.lower_bound, 32);
    assert_int_equal(c.pl.arena_bytes, 32);
    assert_int_equal(c.g->n_nodes, N_NODES / 2);
    size_t weights = 0;
    for (int n = 0; n < c.g->n_nodes; n++) {
        assert_int_equal(compiled_node_weight_bytes(&c, n), WIDTH * sizeof(float));
        weights += compiled_node_weight_bytes(&c, n);
    }
    assert_int_equal(weights, (size_t)N_NODES / 2 * WIDTH * sizeof(float));
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_of_200k_nodes_compiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
