/*
 * test_tflite_shapes.c - TFLite output shapes worked out for --shape /
 * --const (compiler/import/tflite_shapes.c), one operator family per test.
 *
 * Each model is one or two operators whose input has a -1 in its
 * shape_signature; the stored shapes are those of the traced size, and the
 * expected shapes for the size given with --shape are worked out by hand in
 * the comment beside each (TFLite's definitions: SAME = ceil(in / stride),
 * SPLIT_V's -1 takes the rest, GATHER = x[:axis] + idx + x[axis+1:], ...).
 * tests/e2e/tflite_shape.sh checks the numbers the compiled code computes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "import/import.h"
#include "unit/tfl_builder.h"

enum { F32 = 0, I32 = 2, I64 = 4 };

static char err[1024];

/* Imports m with the given --shape / --const texts (NULL: none). */
static ir_graph *import_with(const tb_model *m, const char *shape, const char *cnst)
{
    import_fix fx[2];
    int n = 0;
    if (shape)
        assert_true(import_fix_parse("--shape", shape, &fx[n++], err, sizeof err));
    if (cnst)
        assert_true(import_fix_parse("--const", cnst, &fx[n++], err, sizeof err));
    import_opts o = {0, NULL, n, fx};
    size_t len;
    uint8_t *bytes = tb_build(m, &len);
    err[0] = '\0';
    ir_graph *g = import_tflite_opts_mem(bytes, len, "t.tflite", &o, err, sizeof err);
    free(bytes);
    for (int i = 0; i < n; i++)
        import_fix_free(&fx[i]);
    return g;
}

/* Graph output k has shape want (rank n). */
static void out_is(const ir_graph *g, int k, int n, const int64_t *want)
{
    if (!g) {
        print_error("import failed: %s\n", err);
        fail();
    }
    const ir_tensor *t = &g->tensors[g->outputs[k]];
    assert_int_equal(t->rank, n);
    for (int d = 0; d < n; d++)
        assert_int_equal(t->shape[d], want[d]);
}

#define OUT_IS(g, k, ...) do {                                              \
        const int64_t w_[] = {__VA_ARGS__};                                 \
        out_is(g, k, (int)(sizeof w_ / sizeof w_[0]), w_);                  \
    } while (0)

static tb_tensor dyn(const char *name, int type, int rank, const int32_t *shape, const int32_t *sig)
{
    tb_tensor t = {.name = name, .type = type, .rank = rank, .sig_rank = rank};
    memcpy(t.shape, shape, (size_t)rank * sizeof *shape);
    memcpy(t.sig, sig, (size_t)rank * sizeof *sig);
    return t;
}

/* SPLIT axis 2 into 3: x [1,-1,6] traced [1,4,6]; N = 5 gives [1,5,2] x 3. */
static void test_split(void **state)
{
    (void)state;
    static const int32_t axis[1] = {2};
    tb_tensor t[5] = {dyn("x", F32, 3, (int32_t[]){1, 4, 6}, (int32_t[]){1, -1, 6}),
                      {.name = "axis", .type = I32, .rank = 0, .buffer = 1}};
    for (int i = 0; i < 3; i++)
        t[2 + i] = dyn(i == 0 ? "y0" : i == 1 ? "y1" : "y2", F32, 3, (int32_t[]){1, 4, 2}, (int32_t[]){1, -1, 2});
    tb_op op = {49, 1, 2, {1, 0}, 3, {2, 3, 4}, 35, 1, {{0, 4, 3, 0}}};
    tb_buf b[2] = {{0}, {axis, sizeof axis, false}};
    tb_model m = {5, t, 1, &op, 2, b, 1, {0}, 3, {2, 3, 4}};
    ir_graph *g = import_with(&m, "x=1x5x6", NULL);
    OUT_IS(g, 0, 1, 5, 2);
    OUT_IS(g, 2, 1, 5, 2);
    ir_free(g);
}

/* SPLIT_V sizes {2, -1} on axis 1: x [1,-1] traced [1,8]; N = 10 gives [1,2], [1,8]. */
static void test_split_v(void **state)
{
    (void)state;
    static const int32_t sizes[2] = {2, -1}, axis[1] = {1};
    tb_tensor t[5] = {dyn("x", F32, 2, (int32_t[]){1, 8}, (int32_t[]){1, -1}),
                      {.name = "sizes", .type = I32, .rank = 1, .shape = {2}, .buffer = 1},
                      {.name = "axis", .type = I32, .rank = 0, .buffer = 2},
                      {.name = "a", .type = F32, .rank = 2, .shape = {1, 2}},
                      dyn("b", F32, 2, (int32_t[]){1, 6}, (int32_t[]){1, -1})};
    tb_op op = {102, 1, 3, {0, 1, 2}, 2, {3, 4}, 79, 1, {{0, 4, 2, 0}}};
    tb_buf b[3] = {{0}, {sizes, sizeof sizes, false}, {axis, sizeof axis, false}};
    tb_model m = {5, t, 1, &op, 3, b, 1, {0}, 2, {3, 4}};
    ir_graph *g = import_with(&m, "0=1x10", NULL);
    OUT_IS(g, 0, 1, 2);
    OUT_IS(g, 1, 1, 8);
    ir_free(g);
}

/* EXPAND_DIMS axis -1 then SQUEEZE (no squeeze_dims: every 1 goes):
 * x [1,-1] traced [1,4]; N = 7 gives [1,7,1], then [7]. */
static void test_expand_squeeze(void **state)
{
    (void)state;
    static const int32_t axis[1] = {-1};
    tb_tensor t[4] = {dyn("x", F32, 2, (int32_t[]){1, 4}, (int32_t[]){1, -1}),
                      {.name = "axis", .type = I32, .rank = 1, .shape = {1}, .buffer = 1},
                      dyn("e", F32, 3, (int32_t[]){1, 4, 1}, (int32_t[]){1, -1, 1}),
                      dyn("s", F32, 1, (int32_t[]){4}, (int32_t[]){-1})};
    tb_op ops[2] = {{70, 1, 2, {0, 1}, 1, {2}}, {43, 1, 1, {2}, 1, {3}, 30, 0}};
    tb_buf b[2] = {{0}, {axis, sizeof axis, false}};
    tb_model m = {4, t, 2, ops, 2, b, 1, {0}, 2, {2, 3}};
    ir_graph *g = import_with(&m, "x=1x7", NULL);
    OUT_IS(g, 0, 1, 7, 1);
    OUT_IS(g, 1, 7);
    ir_free(g);
}

/* GATHER indices {2, 0} on axis 2: x [1,-1,3] traced [1,4,3]; N = 5 gives [1,5,2]. */
static void test_gather(void **state)
{
    (void)state;
    static const int32_t idx[2] = {2, 0};
    tb_tensor t[3] = {dyn("x", F32, 3, (int32_t[]){1, 4, 3}, (int32_t[]){1, -1, 3}),
                      {.name = "idx", .type = I32, .rank = 1, .shape = {2}, .buffer = 1},
                      dyn("y", F32, 3, (int32_t[]){1, 4, 2}, (int32_t[]){1, -1, 2})};
    tb_op op = {36, 1, 2, {0, 1}, 1, {2}, 23, 1, {{0, 4, 2, 0}}};
    tb_buf b[2] = {{0}, {idx, sizeof idx, false}};
    tb_model m = {3, t, 1, &op, 2, b, 1, {0}, 1, {2}};
    ir_graph *g = import_with(&m, "x=1x5x3", NULL);
    OUT_IS(g, 0, 1, 5, 2);
    ir_free(g);
}

/* BATCH_MATMUL a [1,-1,3] (traced [1,4,3]) x b [3,2]: N = 6 gives [1,6,2]. */
static void test_batch_matmul(void **state)
{
    (void)state;
    static const float w[6] = {1, 2, 3, 4, 5, 6};
    tb_tensor t[3] = {dyn("a", F32, 3, (int32_t[]){1, 4, 3}, (int32_t[]){1, -1, 3}),
                      {.name = "b", .type = F32, .rank = 2, .shape = {3, 2}, .buffer = 1},
                      dyn("y", F32, 3, (int32_t[]){1, 4, 2}, (int32_t[]){1, -1, 2})};
    tb_op op = {126, 1, 2, {0, 1}, 1, {2}, 101, 0};
    tb_buf b[2] = {{0}, {w, sizeof w, false}};
    tb_model m = {3, t, 1, &op, 2, b, 1, {0}, 1, {2}};
    ir_graph *g = import_with(&m, "a=1x6x3", NULL);
    OUT_IS(g, 0, 1, 6, 2);
    ir_free(g);
}

/* AVERAGE_POOL_2D 3x3 SAME stride 2: x [1,-1,-1,2] traced [1,4,4,2];
 * 7x5 gives ceil(7/2) x ceil(5/2) = 4x3. */
static void test_avg_pool_same(void **state)
{
    (void)state;
    tb_tensor t[2] = {dyn("x", F32, 4, (int32_t[]){1, 4, 4, 2}, (int32_t[]){1, -1, -1, 2}),
                      dyn("y", F32, 4, (int32_t[]){1, 2, 2, 2}, (int32_t[]){1, -1, -1, 2})};
    tb_op op = {1, 1, 1, {0}, 1, {1}, 5, 5, {{0, 1, 0, 0}, {1, 4, 2, 0}, {2, 4, 2, 0}, {3, 4, 3, 0}, {4, 4, 3, 0}}};
    tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
    ir_graph *g = import_with(&m, "x=1x7x5x2", NULL);
    OUT_IS(g, 0, 1, 4, 3, 2);
    ir_free(g);
}

/* ARG_MAX axis 2 of x [1,-1,5] (traced [1,4,5]): N = 3 gives [1,3]. */
static void test_arg_max(void **state)
{
    (void)state;
    static const int32_t axis[1] = {2};
    tb_tensor t[3] = {dyn("x", F32, 3, (int32_t[]){1, 4, 5}, (int32_t[]){1, -1, 5}),
                      {.name = "axis", .type = I32, .rank = 1, .shape = {1}, .buffer = 1},
                      dyn("y", I64, 2, (int32_t[]){1, 4}, (int32_t[]){1, -1})};
    tb_op op = {56, 1, 2, {0, 1}, 1, {2}};
    tb_buf b[2] = {{0}, {axis, sizeof axis, false}};
    tb_model m = {3, t, 1, &op, 2, b, 1, {0}, 1, {2}};
    ir_graph *g = import_with(&m, "x=1x3x5", NULL);
    OUT_IS(g, 0, 1, 3);
    ir_free(g);
}

/* FULLY_CONNECTED on x [-1,4] (the open batch, traced [1,4]), 2 units:
 * without --shape the stored batch 1; with 3x4, [3,2]. */
static void test_open_batch(void **state)
{
    (void)state;
    static const float w[8] = {0};
    tb_tensor t[3] = {dyn("x", F32, 2, (int32_t[]){1, 4}, (int32_t[]){-1, 4}),
                      {.name = "w", .type = F32, .rank = 2, .shape = {2, 4}, .buffer = 1},
                      dyn("y", F32, 2, (int32_t[]){1, 2}, (int32_t[]){-1, 2})};
    tb_op op = {9, 1, 2, {0, 1}, 1, {2}};
    tb_buf b[2] = {{0}, {w, sizeof w, false}};
    tb_model m = {3, t, 1, &op, 2, b, 1, {0}, 1, {2}};
    ir_graph *g = import_with(&m, NULL, NULL);
    OUT_IS(g, 0, 1, 2);
    ir_free(g);
    g = import_with(&m, "x=3x4", NULL);
    OUT_IS(g, 0, 3, 2);
    ir_free(g);
}

/* --const on a 1-D input with an open length: 3 values make it [3]; SHAPE
 * of it folds into the constant output {3}. */
static void test_const_length_and_shape(void **state)
{
    (void)state;
    tb_tensor t[2] = {dyn("n", I32, 1, (int32_t[]){1}, (int32_t[]){-1}),
                      {.name = "s", .type = I32, .rank = 1, .shape = {1}}};
    tb_op op = {77, 1, 1, {0}, 1, {1}};
    tb_model m = {2, t, 1, &op, 1, NULL, 1, {0}, 1, {1}};
    ir_graph *g = import_with(&m, NULL, "n=4,5,6");
    OUT_IS(g, 0, 1);
    const ir_tensor *s = &g->tensors[g->outputs[0]];
    assert_true(ir_is_const(s));
    int32_t v;
    memcpy(&v, s->data, 4);
    assert_int_equal(v, 3);
    assert_int_equal(g->n_inputs, 0);       /* frozen: no longer an input */
    ir_free(g);
}

/* ADD x [1,-1] + constant [4]: N = 5 does not broadcast with 4; refused naming it. */
static void test_broadcast_refused(void **state)
{
    (void)state;
    static const float k[4] = {1, 2, 3, 4};
    tb_tensor t[3] = {dyn("x", F32, 2, (int32_t[]){1, 4}, (int32_t[]){1, -1}),
                      {.name = "k", .type = F32, .rank = 1, .shape = {4}, .buffer = 1},
                      dyn("y", F32, 2, (int32_t[]){1, 4}, (int32_t[]){1, -1})};
    tb_op op = {0, 1, 2, {0, 1}, 1, {2}};
    tb_buf b[2] = {{0}, {k, sizeof k, false}};
    tb_model m = {3, t, 1, &op, 2, b, 1, {0}, 1, {2}};
    assert_null(import_with(&m, "x=1x5", NULL));
    assert_non_null(strstr(err, "ADD"));
    assert_non_null(strstr(err, "[1,5] and [4] do not broadcast"));
    ir_graph *g = import_with(&m, "x=1x4", NULL);
    OUT_IS(g, 0, 1, 4);
    ir_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_v),
        cmocka_unit_test(test_expand_squeeze),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_batch_matmul),
        cmocka_unit_test(test_avg_pool_same),
        cmocka_unit_test(test_arg_max),
        cmocka_unit_test(test_open_batch),
        cmocka_unit_test(test_const_length_and_shape),
        cmocka_unit_test(test_broadcast_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
