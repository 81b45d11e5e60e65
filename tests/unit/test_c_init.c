/*
 * test_c_init.c - a kernel's params initializer as generated C shows it
 * (emit/c_init.h): one field family a line, nested structs indented, enum
 * fields by their constants' names where (and only where) the field holds
 * that enum, and nothing but the layout changed: the text, with the names
 * turned back into the runtime headers' values and the whitespace and
 * trailing commas dropped, is the lowering's initializer again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emit/c_init.h"
#include "kiln/blob.h"
#include "kiln/kernels.h"

static char *pretty(const char *ptype, const char *init)
{
    sbuf o = {0};
    c_init_pretty(&o, ptype, init, 0);
    return sb_take(&o);
}

/* The constants a generated file may name, with the headers' values. */
static const struct {
    const char *name;
    long value;
} consts[] = {
#define E(x) {#x, (long)(x)}
    E(KILN_LAYOUT_NCHW), E(KILN_LAYOUT_NHWC), E(KILN_RQ_TFLITE), E(KILN_RQ_ONNX), E(KILN_RQ_NONE),
    E(KILN_RQ_SHORT), E(KILN_RQ_SHORT_RELU), E(KILN_QT_S8), E(KILN_QT_U8), E(KILN_QT_S16), E(KILN_QT_U16),
    E(KILN_QT_S32),
#undef E
};

/* s without whitespace, without a comma before '}', and with every constant
 * name replaced by its value. */
static char *normal(const char *s)
{
    char *out = calloc(strlen(s) * 2 + 16, 1);
    size_t k = 0;
    for (const char *p = s; *p;) {
        bool matched = false;
        for (size_t i = 0; i < sizeof consts / sizeof *consts && !matched; i++) {
            size_t n = strlen(consts[i].name);
            if (strncmp(p, consts[i].name, n))
                continue;
            char after = p[n]; /* p holds the n bytes of the name, so at most the NUL */
            bool ident = (after >= 'A' && after <= 'Z') || after == '_' || (after >= '0' && after <= '9');
            if (!ident) {
                k += (size_t)sprintf(out + k, "%ld", consts[i].value);
                p += n;
                matched = true;
            }
        }
        if (matched)
            continue;
        if (*p != ' ' && *p != '\n')
            out[k++] = *p;
        p++;
    }
    out[k] = 0;
    for (char *q; (q = strstr(out, ",}"));)
        memmove(q, q + 1, strlen(q + 1) + 1);
    return out;
}

static void assert_same_values(const char *init, const char *shown)
{
    char *a = normal(init), *b = normal(shown);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static const char conv_init[] =
    "{ .batch = 1, .in_c = 1, .in_h = 49, .in_w = 10, .out_c = 64, .out_h = 25, .out_w = 5, .k_h = 10, "
    ".k_w = 4, .stride_h = 2, .stride_w = 2, .dil_h = 1, .dil_w = 1, .pad_t = 4, .pad_l = 1, .groups = 1, "
    ".layout = 1, .in_offset = -83, .w_offset = 0, .in_xor = 0, .w_xor = 0, .rq = { .mode = 4, "
    ".out_offset = -128, .act_min = -128, .act_max = 127, .out_xor = 0 } }";

static void conv_params_read_like_written_code(void **state)
{
    (void)state;
    char *s = pretty("kiln_conv_s8_params", conv_init);
    assert_string_equal(s, "{\n"
                           "    .batch = 1,\n"
                           "    .in_c = 1, .in_h = 49, .in_w = 10,\n"
                           "    .out_c = 64, .out_h = 25, .out_w = 5,\n"
                           "    .k_h = 10, .k_w = 4,\n"
                           "    .stride_h = 2, .stride_w = 2,\n"
                           "    .dil_h = 1, .dil_w = 1,\n"
                           "    .pad_t = 4, .pad_l = 1,\n"
                           "    .groups = 1,\n"
                           "    .layout = KILN_LAYOUT_NHWC,\n"
                           "    .in_offset = -83, .w_offset = 0,\n"
                           "    .in_xor = 0, .w_xor = 0,\n"
                           "    .rq = {\n"
                           "        .mode = KILN_RQ_SHORT_RELU,\n"
                           "        .out_offset = -128,\n"
                           "        .act_min = -128, .act_max = 127,\n"
                           "        .out_xor = 0,\n"
                           "    },\n"
                           "}");
    assert_same_values(conv_init, s);
    free(s);
}

/* kiln_rnn_f32_params.layout is a sequence order, not a KILN_LAYOUT_*; a
 * value no constant has stays a number; a float or a cast is left alone. */
static void enum_names_only_where_the_field_holds_the_enum(void **state)
{
    (void)state;
    const char *rnn = "{ .seq = 4, .layout = 1, .clip = -HUGE_VALF }";
    char *s = pretty("kiln_rnn_f32_params", rnn);
    assert_non_null(strstr(s, ".layout = 1,"));
    assert_null(strstr(s, "KILN_LAYOUT"));
    assert_non_null(strstr(s, ".clip = -HUGE_VALF,"));
    free(s);

    s = pretty("kiln_conv_f32_params", "{ .layout = 0, .act_min = (float)-1 }");
    assert_non_null(strstr(s, ".layout = KILN_LAYOUT_NCHW,"));
    assert_non_null(strstr(s, ".act_min = (float)-1,"));
    free(s);

    s = pretty("kiln_fc_s8_params", "{ .rq = { .mode = 9 }, .mode = 1 }");
    assert_non_null(strstr(s, ".mode = 9,"));     /* no kiln_rq_mode is 9 */
    assert_non_null(strstr(s, "\n    .mode = 1,")); /* not inside rq */
    free(s);

    /* a struct member of a known struct type: its own enum fields */
    s = pretty("kiln_pool_q8_params", "{ .pool = { .c = 8, .layout = 0 }, .is_u8 = 0 }");
    assert_non_null(strstr(s, "\n        .layout = KILN_LAYOUT_NCHW,"));
    free(s);

    const char *rqp = "{ .n = 3, .in_type = 1, .out_type = 4 }";
    s = pretty("kiln_requantize_params", rqp);
    assert_non_null(strstr(s, ".in_type = KILN_QT_U8, .out_type = KILN_QT_S32,"));
    assert_same_values(rqp, s);
    free(s);
}

/* Arrays: on one line when short; wrapped at 100 columns when long. */
static void arrays_stay_short_or_wrap(void **state)
{
    (void)state;
    char *s = pretty("kiln_copy_params", "{ .rank = 2, .shape = { 1, 2, 3, 4, 5, 6 } }");
    assert_non_null(strstr(s, ".shape = { 1, 2, 3, 4, 5, 6 },"));
    free(s);

    char init[4096];
    size_t k = (size_t)sprintf(init, "{ .n = 200, .table = { ");
    for (int i = 0; i < 200; i++)
        k += (size_t)sprintf(init + k, "%s%d", i ? ", " : "", i * 1000 - 77777);
    sprintf(init + k, " } }");
    s = pretty("kiln_lut_params", init);
    for (char *line = s; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        size_t len = strchr(line, '\n') ? (size_t)(strchr(line, '\n') - line) : strlen(line);
        assert_true(len <= 100);
    }
    assert_same_values(init, s);
    free(s);
}

/* Something that is not a brace group, and an empty one, come out as given. */
static void odd_initializers_pass_through(void **state)
{
    (void)state;
    char *s = pretty("int", "42");
    assert_string_equal(s, "42");
    free(s);
    s = pretty("kiln_x_params", "{ }");
    assert_string_equal(s, "{0}");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_params_read_like_written_code),
        cmocka_unit_test(enum_names_only_where_the_field_holds_the_enum),
        cmocka_unit_test(arrays_stay_short_or_wrap),
        cmocka_unit_test(odd_initializers_pass_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
