/*
 * test_size_limits.c - sizes the generated code cannot describe are refused
 * before anything is written.  The generated code holds dimensions and
 * element counts in int32 and byte sizes and offsets in uint32
 * (kiln_io_desc, kiln_model.arena_bytes, the blob directory), so a tensor
 * of 2^31 elements or 4 GiB, or a blob of 4 GiB, would be truncated there
 * (an arena of exactly 2^32 bytes reads as 0 and skips the caller's arena
 * check).  The arena itself is checked by the planner (test_plan.c).
 *
 * Each case names its limit and the value it crosses, worked out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "emit/blob_write.h"
#include "ir/ir.h"

/* A graph whose input x of the given type and shape feeds a RELU. */
static ir_graph *one_relu(ir_dtype dt, int rank, const int64_t *shape)
{
    ir_graph *g = ir_new("big");
    int x = ir_add_tensor(g, "x_huge", dt, rank, shape);
    int y = ir_add_tensor(g, "y", dt, rank, shape);
    ir_mark_input(g, x, 0);
    ir_add_node(g, IR_OP_CLIP, "relu", "Relu", 0, 1, &x, 1, &y);
    ir_mark_output(g, y);
    return g;
}

static void verify_refuses(ir_dtype dt, int rank, const int64_t *shape, const char *want)
{
    ir_graph *g = one_relu(dt, rank, shape);
    char err[512] = "";
    assert_false(ir_verify(g, err, sizeof err));
    assert_non_null(strstr(err, "'x_huge'"));
    if (!strstr(err, want))
        fail_msg("message lacks \"%s\": %s", want, err);
    ir_free(g);
}

static void verify_accepts(ir_dtype dt, int rank, const int64_t *shape)
{
    ir_graph *g = one_relu(dt, rank, shape);
    char err[512] = "";
    if (!ir_verify(g, err, sizeof err))
        fail_msg("refused: %s", err);
    ir_free(g);
}

/* [1, 70000, 70000] float: 4.9e9 elements, 19.6e9 bytes. */
static void tensor_of_19_gb_is_refused(void **state)
{
    (void)state;
    const int64_t s[3] = {1, 70000, 70000};
    verify_refuses(IR_DT_F32, 3, s, "4900000000 elements, 19600000000 bytes");
}

/* 2^30 float32 elements: fits int32, but 2^32 bytes does not fit uint32. */
static void four_gib_of_bytes_is_refused(void **state)
{
    (void)state;
    const int64_t s[2] = {1 << 15, 1 << 15};
    verify_refuses(IR_DT_F32, 2, s, "1073741824 elements, 4294967296 bytes");
}

/* 2^31 int8 elements (2 GiB): the bytes fit uint32, the count not int32. */
static void two_to_the_31_elements_are_refused(void **state)
{
    (void)state;
    const int64_t s[2] = {1 << 16, 1 << 15};
    verify_refuses(IR_DT_S8, 2, s, "2147483648 elements");
}

/* 2^62 * 2^62: the product does not even fit in 64 bits (and must not
 * wrap to something small, as a plain int64 product would). */
static void shape_overflowing_64_bits_is_refused(void **state)
{
    (void)state;
    const int64_t s[2] = {(int64_t)1 << 62, (int64_t)1 << 62};
    verify_refuses(IR_DT_S8, 2, s, "more elements than 64 bits can count");
    /* 2^32 * 2^32 wraps to 0 in 64 bits. */
    const int64_t w[2] = {(int64_t)1 << 32, (int64_t)1 << 32};
    verify_refuses(IR_DT_S8, 2, w, "more elements than 64 bits can count");
}

/* One dimension beyond int32 (kiln_io_desc.shape) is refused even when
 * another dimension is 0 and the tensor is empty. */
static void dimension_beyond_int32_is_refused(void **state)
{
    (void)state;
    const int64_t s[2] = {0, (int64_t)1 << 31};
    verify_refuses(IR_DT_F32, 2, s, "[0,2147483648]");
}

/* At the limits: 2^31 - 1 int8 elements, and 2^30 - 1 float32 elements
 * (2^32 - 4 bytes) are accepted. */
static void tensors_at_the_limits_are_accepted(void **state)
{
    (void)state;
    const int64_t a[1] = {2147483647};
    verify_accepts(IR_DT_S8, 1, a);
    const int64_t b[1] = {1073741823};
    verify_accepts(IR_DT_F32, 1, b);
}

/* The checked helpers: exact products, and false on overflow. */
static void checked_sizes(void **state)
{
    (void)state;
    ir_tensor t = {0};
    uint64_t n, b;
    t.dtype = IR_DT_F32;
    t.rank = 3;
    t.shape[0] = 1, t.shape[1] = 70000, t.shape[2] = 70000;
    assert_true(ir_checked_numel(&t, &n));
    assert_true(ir_checked_nbytes(&t, &b));
    assert_true(n == 4900000000ULL && b == 19600000000ULL);
    t.dtype = IR_DT_F64;
    t.rank = 2;
    t.shape[0] = (int64_t)1 << 31, t.shape[1] = (int64_t)1 << 31; /* 2^62 elements, 2^65 bytes */
    assert_true(ir_checked_numel(&t, &n));
    assert_false(ir_checked_nbytes(&t, &b));
    assert_true(b == UINT64_MAX);
    /* ir_numel saturates instead of wrapping. */
    t.shape[0] = (int64_t)1 << 40, t.shape[1] = (int64_t)1 << 40;
    assert_true(ir_numel(&t) == INT64_MAX);
}

/* A blob whose second constant would end past 4 GiB: refused, naming it,
 * before any byte is copied (the data pointers are never read). */
static void blob_of_4_gib_is_refused(void **state)
{
    (void)state;
    blob_tensor t[2] = {{"w_big", NULL, 4294967000u, KILN_BLOB_DT_U8, KILN_BLOB_KIND_WEIGHTS, 0},
                        {"w_next", NULL, 1000, KILN_BLOB_DT_U8, KILN_BLOB_KIND_WEIGHTS, 0}};
    uint8_t *out = NULL;
    size_t len = 0;
    char err[512] = "";
    assert_false(blob_build(t, 2, 16, 0, &out, &len, err, sizeof err));
    assert_null(out);
    if (!strstr(err, "'w_next'"))
        fail_msg("message does not name the constant: %s", err);
    /* The layout alone reports the size and leaves no truncated offset. */
    assert_true(blob_layout(t, 2, 16) > 0xFFFFFFFFu);
    assert_int_equal(t[1].offset, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tensor_of_19_gb_is_refused),
        cmocka_unit_test(four_gib_of_bytes_is_refused),
        cmocka_unit_test(two_to_the_31_elements_are_refused),
        cmocka_unit_test(shape_overflowing_64_bits_is_refused),
        cmocka_unit_test(dimension_beyond_int32_is_refused),
        cmocka_unit_test(tensors_at_the_limits_are_accepted),
        cmocka_unit_test(checked_sizes),
        cmocka_unit_test(blob_of_4_gib_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
