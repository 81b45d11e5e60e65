/*
 * test_flatbuf.c - the checked FlatBuffers reader on hand-built byte strings.
 *
 * Each test builds a small buffer byte by byte (or with fb_builder.h, itself
 * plain byte pushing) whose layout is worked out in the comment, then either
 * reads the values back or breaks one thing and expects the reader to refuse
 * with a message about it.  The last tests read every truncation and every
 * single-bit flip of a valid buffer: under ASan/UBSan they show the reader
 * never reads outside the buffer whatever the bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "import/flatbuf.h"
#include "unit/fb_builder.h"

/* Schema used by these tests (field ids):
 *   table T { a:int (0); s:string (1); v:[short] (2); child:T (3); l:[long] (4); b:byte (5) } */

/* A valid buffer: root T{a = 42, s = "hi", v = [1,-2,3], child = T{a = 7}, l = [-5], b = -3}. */
static size_t build_valid(fbb *b)
{
    fbb_start(b, "TEST");
    fbb_field f[6] = {{0, 4, 42, 0}, {1, FBB_REF, 0, 0}, {2, FBB_REF, 0, 0},
                      {3, FBB_REF, 0, 0}, {4, FBB_REF, 0, 0}, {5, 1, (uint8_t)-3, 0}};
    size_t root = fbb_table(b, 6, f);
    fbb_patch(b, f[1].pos, fbb_str(b, "hi"));
    int16_t v[3] = {1, -2, 3};
    fbb_patch(b, f[2].pos, fbb_vec(b, 2, 3, v));
    fbb_field cf[1] = {{0, 4, 7, 0}};
    fbb_patch(b, f[3].pos, fbb_table(b, 1, cf));
    int64_t l[1] = {-5};
    fbb_patch(b, f[4].pos, fbb_vec(b, 8, 1, l));
    fbb_finish(b, root);
    return root;
}

static void expect_fail(const uint8_t *buf, size_t len, const char *needle)
{
    fb_reader r;
    fb_table t;
    bool ok = fb_init(&r, buf, len, NULL) && fb_root(&r, &t);
    if (ok) {
        int32_t a;
        const char *s;
        fb_vec v;
        fb_table c;
        bool present;
        ok = fb_get_i32(&r, &t, 0, 0, &a) && fb_get_str(&r, &t, 1, &s, NULL) &&
             fb_get_vec(&r, &t, 2, 2, &v, NULL) && fb_get_table(&r, &t, 3, &c, &present) &&
             fb_get_vec(&r, &t, 4, 8, &v, NULL);
    }
    assert_false(ok);
    assert_true(r.failed);
    if (!strstr(r.err, needle)) {
        print_error("message '%s' does not mention '%s'\n", r.err, needle);
        fail();
    }
}

static void test_valid_buffer_reads_back(void **state)
{
    (void)state;
    fbb b;
    build_valid(&b);
    fb_reader r;
    fb_table t, c;
    assert_true(fb_init(&r, b.buf, b.len, "TEST"));
    assert_true(fb_root(&r, &t));
    int32_t a;
    assert_true(fb_get_i32(&r, &t, 0, 0, &a));
    assert_int_equal(a, 42);
    int8_t by;
    assert_true(fb_get_i8(&r, &t, 5, 0, &by));
    assert_int_equal(by, -3);
    const char *s;
    uint32_t sl;
    assert_true(fb_get_str(&r, &t, 1, &s, &sl));
    assert_string_equal(s, "hi");
    assert_int_equal(sl, 2);
    fb_vec v;
    assert_true(fb_get_vec(&r, &t, 2, 2, &v, NULL));
    assert_int_equal(v.n, 3);
    const uint8_t *p = fb_vec_bytes(&r, &v);
    assert_int_equal((int16_t)(p[2] | p[3] << 8), -2);
    bool present;
    assert_true(fb_get_table(&r, &t, 3, &c, &present));
    assert_true(present);
    assert_int_equal(c.depth, 1);
    assert_true(fb_get_i32(&r, &c, 0, 0, &a));
    assert_int_equal(a, 7);
    /* child has no field 3: absent, default, no error */
    fb_table gc;
    assert_true(fb_get_table(&r, &c, 3, &gc, &present));
    assert_false(present);
    assert_true(fb_get_i32(&r, &c, 1, 99, &a));     /* id 1 is beyond its vtable */
    assert_int_equal(a, 99);
    assert_true(fb_get_vec(&r, &t, 4, 8, &v, NULL));
    assert_int_equal(fb_vec_i64(&r, &v, 0), -5);
    assert_false(r.failed);
    free(b.buf);
}

static void test_identifier_and_size(void **state)
{
    (void)state;
    fbb b;
    build_valid(&b);
    fb_reader r;
    assert_false(fb_init(&r, b.buf, b.len, "TFL3"));
    assert_non_null(strstr(r.err, "identifier"));
    assert_false(fb_init(&r, b.buf, 7, NULL));
    assert_non_null(strstr(r.err, "too short"));
    assert_false(fb_init(&r, NULL, 0, NULL));
    free(b.buf);
}

static void test_root_offset_out_of_range(void **state)
{
    (void)state;
    uint8_t buf[16] = {0xf0, 0xff, 0, 0};     /* root at byte 65520 of a 16-byte buffer */
    expect_fail(buf, sizeof buf, "outside");
}

static void test_root_misaligned(void **state)
{
    (void)state;
    fbb b;
    build_valid(&b);
    fbb_set32(&b, 0, 6);                        /* 6 is not a multiple of 4 */
    expect_fail(b.buf, b.len, "aligned");
    free(b.buf);
}

static void test_vtable_past_end(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    /* soffset = -1000: vtable at root + 1000, beyond the buffer */
    fbb_set32(&b, root, (uint32_t)-1000);
    expect_fail(b.buf, b.len, "vtable");
    free(b.buf);
}

static void test_vtable_size_invalid(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    size_t vt = root - 4 - 2 * 6;               /* 6 fields: vtable is 16 bytes before */
    b.buf[vt] = 3;                              /* odd, < 4 */
    b.buf[vt + 1] = 0;
    expect_fail(b.buf, b.len, "vtable size");
    /* a vtable claiming 0xfffe bytes runs past the end */
    b.buf[vt] = 0xfe;
    b.buf[vt + 1] = 0xff;
    expect_fail(b.buf, b.len, "runs past the end");
    free(b.buf);
}

static void test_table_body_past_end(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    size_t vt = root - 16;
    b.buf[vt + 2] = 0xff;                       /* table size 0xfff0 */
    b.buf[vt + 3] = 0xff;
    expect_fail(b.buf, b.len, "body");
    free(b.buf);
}

static void test_field_outside_table(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    size_t vt = root - 16;
    uint16_t tsize = (uint16_t)(b.buf[vt + 2] | b.buf[vt + 3] << 8);
    /* field 0 (an int) placed at the last byte of the table */
    b.buf[vt + 4] = (uint8_t)(tsize - 1);
    b.buf[vt + 5] = 0;
    expect_fail(b.buf, b.len, "outside the table");
    free(b.buf);
}

static void test_field_misaligned(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    size_t vt = root - 16;
    b.buf[vt + 4] = 5;                          /* int field at table + 5 */
    b.buf[vt + 5] = 0;
    expect_fail(b.buf, b.len, "aligned");
    free(b.buf);
}

/* Finds the absolute position a present field's offset points to. */
static size_t field_target(fbb *b, size_t root, int id)
{
    size_t vt = root - 16;
    size_t fo = b->buf[vt + 4 + 2 * id] | b->buf[vt + 5 + 2 * id] << 8;
    size_t p = root + fo;
    return p + (b->buf[p] | b->buf[p + 1] << 8 | (size_t)b->buf[p + 2] << 16 |
                (size_t)b->buf[p + 3] << 24);
}

static void test_vector_length_overflow(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    size_t v = field_target(&b, root, 2);
    /* 0x80000001 shorts: 4 GiB + 2 bytes, wraps a 32-bit size */
    fbb_set32(&b, v, 0x80000001u);
    expect_fail(b.buf, b.len, "elements");
    fbb_set32(&b, v, 0xffffffffu);
    expect_fail(b.buf, b.len, "elements");
    free(b.buf);
}

static void test_string_without_nul(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    size_t s = field_target(&b, root, 1);
    b.buf[s + 4 + 2] = 'x';                     /* overwrite the NUL after "hi" */
    expect_fail(b.buf, b.len, "NUL");
    /* a string running exactly to the end of the buffer has no room for it */
    fbb_set32(&b, s, (uint32_t)(b.len - s - 4));
    expect_fail(b.buf, b.len, "NUL");
    free(b.buf);
}

static void test_offsets_zero_and_outside(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    size_t vt = root - 16;
    size_t fpos = root + (b.buf[vt + 6] | b.buf[vt + 7] << 8);   /* the string field */
    fbb_set32(&b, fpos, 0);
    expect_fail(b.buf, b.len, "invalid value 0");
    fbb_set32(&b, fpos, 0x7ffffff0u);
    expect_fail(b.buf, b.len, "past the end");
    fbb_set32(&b, fpos, 0xfffffffcu);           /* negative as the Verifier reads it */
    expect_fail(b.buf, b.len, "invalid value");
    free(b.buf);
}

static void test_misaligned_long_vector(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    size_t v = field_target(&b, root, 4);
    /* move the [long] vector 4 bytes back: length at v-4, elements 4-aligned only */
    memmove(b.buf + v - 4, b.buf + v, 12);
    size_t vt = root - 16;
    size_t fpos = root + (b.buf[vt + 12] | b.buf[vt + 13] << 8);
    fbb_set32(&b, fpos, (uint32_t)(v - 4 - fpos));
    expect_fail(b.buf, b.len, "8-byte aligned");
    free(b.buf);
}

/* A chain of tables each pointing to the next through field 3. */
static void build_chain(fbb *b, int n)
{
    fbb_start(b, NULL);
    size_t prev_field = 0, root = 0;
    for (int i = 0; i < n; i++) {
        fbb_field f[2] = {{0, 4, (uint64_t)i, 0}, {3, FBB_REF, 0, 0}};
        size_t t = fbb_table(b, i + 1 < n ? 2 : 1, f);
        if (i == 0)
            root = t;
        else
            fbb_patch(b, prev_field, t);
        prev_field = f[1].pos;
    }
    fbb_finish(b, root);
}

static void test_nested_depth_limit(void **state)
{
    (void)state;
    fbb b;
    build_chain(&b, 6);
    fb_reader r;
    fb_table t;
    assert_true(fb_init(&r, b.buf, b.len, NULL));
    r.max_depth = 3;
    assert_true(fb_root(&r, &t));
    bool present = true;
    int depth = 0;
    while (present && fb_get_table(&r, &t, 3, &t, &present))
        depth++;
    assert_true(r.failed);
    assert_int_equal(depth, 3);
    assert_non_null(strstr(r.err, "deeper"));
    /* with the default limit the whole chain reads, ending at the last table */
    assert_true(fb_init(&r, b.buf, b.len, NULL));
    assert_true(fb_root(&r, &t));
    int32_t a = -1;
    present = true;
    while (present && fb_get_table(&r, &t, 3, &t, &present))
        ;
    assert_false(r.failed);
    assert_true(fb_get_i32(&r, &t, 0, 0, &a));
    assert_int_equal(a, 5);
    free(b.buf);
}

static void test_table_count_limit(void **state)
{
    (void)state;
    fbb b;
    build_chain(&b, 4);
    fb_reader r;
    fb_table t;
    assert_true(fb_init(&r, b.buf, b.len, NULL));
    r.max_tables = 2;
    assert_true(fb_root(&r, &t));
    bool present;
    assert_true(fb_get_table(&r, &t, 3, &t, &present));
    assert_false(fb_get_table(&r, &t, 3, &t, &present));
    assert_non_null(strstr(r.err, "tables visited"));
    free(b.buf);
}

static void test_failure_is_sticky(void **state)
{
    (void)state;
    fbb b;
    size_t root = build_valid(&b);
    size_t v = field_target(&b, root, 2);
    fbb_set32(&b, v, 0xffffffffu);
    fb_reader r;
    fb_table t;
    fb_vec vec;
    assert_true(fb_init(&r, b.buf, b.len, NULL));
    assert_true(fb_root(&r, &t));
    assert_false(fb_get_vec(&r, &t, 2, 2, &vec, NULL));
    char first[sizeof r.err];
    strcpy(first, r.err);
    int32_t a;
    assert_false(fb_get_i32(&r, &t, 0, 0, &a));   /* a good field, but the reader has failed */
    assert_string_equal(r.err, first);            /* the first message is kept */
    free(b.buf);
}

static void test_vector_of_tables_bounds(void **state)
{
    (void)state;
    fbb b;
    fbb_start(&b, NULL);
    fbb_field f[1] = {{3, FBB_REF, 0, 0}};      /* reuse id 3 as [T] here */
    size_t root = fbb_table(&b, 1, f);
    size_t vec = fbb_refvec(&b, 2);
    fbb_patch(&b, f[0].pos, vec);
    fbb_field e[1] = {{0, 4, 11, 0}};
    fbb_patch_elem(&b, vec, 0, fbb_table(&b, 1, e));
    fbb_patch_elem(&b, vec, 1, fbb_table(&b, 1, e));
    fbb_finish(&b, root);
    fb_reader r;
    fb_table t, x;
    fb_vec v;
    assert_true(fb_init(&r, b.buf, b.len, NULL));
    assert_true(fb_root(&r, &t));
    assert_true(fb_get_vec(&r, &t, 3, 4, &v, NULL));
    assert_int_equal(v.n, 2);
    assert_true(fb_vec_table(&r, &v, 1, &x));
    assert_false(fb_vec_table(&r, &v, 2, &x));    /* one past the end */
    assert_non_null(strstr(r.err, "does not exist"));
    free(b.buf);
}

/* Reads everything the schema has, ignoring the results: must never fault. */
static void read_all(const uint8_t *buf, size_t len)
{
    fb_reader r;
    fb_table t, c;
    if (!fb_init(&r, buf, len, NULL) || !fb_root(&r, &t))
        return;
    for (int depth = 0; depth < 8; depth++) {
        int32_t a;
        int8_t by;
        const char *s;
        uint32_t sl;
        fb_vec v;
        bool present;
        fb_get_i32(&r, &t, 0, 0, &a);
        fb_get_i8(&r, &t, 5, 0, &by);
        if (fb_get_str(&r, &t, 1, &s, &sl) && s)
            assert_int_equal(s[sl], '\0');        /* the promised terminator is there */
        if (fb_get_vec(&r, &t, 2, 2, &v, NULL))
            for (uint32_t i = 0; i < v.n; i++)
                (void)fb_vec_bytes(&r, &v)[2 * i + 1];
        if (fb_get_vec(&r, &t, 4, 8, &v, NULL))
            for (uint32_t i = 0; i < v.n; i++)
                (void)fb_vec_i64(&r, &v, i);
        if (!fb_get_table(&r, &t, 3, &c, &present) || !present)
            break;
        t = c;
    }
}

static void test_every_truncation_and_bit_flip(void **state)
{
    (void)state;
    fbb b;
    build_valid(&b);
    for (size_t n = 0; n <= b.len; n++) {
        /* a fresh heap copy of exactly n bytes, so ASan sees any overread */
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, b.buf, n);
        read_all(cut, n);
        free(cut);
    }
    uint8_t *copy = malloc(b.len);
    for (size_t bit = 0; bit < 8 * b.len; bit++) {
        memcpy(copy, b.buf, b.len);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        read_all(copy, b.len);
    }
    free(copy);
    free(b.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_buffer_reads_back),
        cmocka_unit_test(test_identifier_and_size),
        cmocka_unit_test(test_root_offset_out_of_range),
        cmocka_unit_test(test_root_misaligned),
        cmocka_unit_test(test_vtable_past_end),
        cmocka_unit_test(test_vtable_size_invalid),
        cmocka_unit_test(test_table_body_past_end),
        cmocka_unit_test(test_field_outside_table),
        cmocka_unit_test(test_field_misaligned),
        cmocka_unit_test(test_vector_length_overflow),
        cmocka_unit_test(test_string_without_nul),
        cmocka_unit_test(test_offsets_zero_and_outside),
        cmocka_unit_test(test_misaligned_long_vector),
        cmocka_unit_test(test_nested_depth_limit),
        cmocka_unit_test(test_table_count_limit),
        cmocka_unit_test(test_failure_is_sticky),
        cmocka_unit_test(test_vector_of_tables_bounds),
        cmocka_unit_test(test_every_truncation_and_bit_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
