/*
 * test_c_init.c - a kernel's params as generated C shows them
 * (emit/c_init.h), printed from the struct's value: one field family a
 * line, nested structs indented, enum fields by their constants' names where
 * (and only where) the field holds that enum, every field of the header's
 * list in its order, and the values themselves: the text, with the names
 * turned back into the runtime headers' values and the whitespace and
 * trailing commas dropped, is the hand-written one-line initializer of the
 * same struct.
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
#include <math.h>

#include "emit/c_init.h"
#include "kiln/blob.h"
#include "kiln/kernels.h"

/* *v (a struct of type T) as the generated file shows it. */
#define PRETTY(T, v) pretty(&lir_desc_##T, lir_is_##T(v))
static char *pretty(const lir_struct *t, const void *v)
{
    sbuf o = {0};
    c_init_print(&o, t, v, 0);
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
    E(KILN_QT_S32), E(KILN_CONV_F32_DIRECT), E(KILN_CONV_F32_IM2COL), E(KILN_CONV_F32_PADDED),
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
    const kiln_conv_s8_params cp = {
        .batch = 1, .in_c = 1, .in_h = 49, .in_w = 10, .out_c = 64, .out_h = 25, .out_w = 5, .k_h = 10,
        .k_w = 4, .stride_h = 2, .stride_w = 2, .dil_h = 1, .dil_w = 1, .pad_t = 4, .pad_l = 1,
        .groups = 1, .layout = 1, .in_offset = -83,
        .rq = {.mode = 4, .out_offset = -128, .act_min = -128, .act_max = 127}};
    char *s = PRETTY(kiln_conv_s8_params, &cp);
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
 * value no constant has stays a number; floats are literals that read back
 * to the same float (HUGE_VALF for infinities), or hexadecimal where the
 * header asks for the bits. */
static void enum_names_only_where_the_field_holds_the_enum(void **state)
{
    (void)state;
    const kiln_rnn_f32_params rnn = {.seq_len = 4, .layout = 1, .clip = -INFINITY};
    char *s = PRETTY(kiln_rnn_f32_params, &rnn);
    assert_non_null(strstr(s, ".layout = 1,"));
    assert_null(strstr(s, "KILN_LAYOUT"));
    assert_non_null(strstr(s, ".clip = -HUGE_VALF,"));
    assert_true(c_init_needs_math_h(&lir_desc_kiln_rnn_f32_params, &rnn));
    free(s);

    const kiln_conv_f32_params cf = {.layout = 0, .act_lo = -1.0f, .act_hi = 0.1f};
    s = PRETTY(kiln_conv_f32_params, &cf);
    assert_non_null(strstr(s, ".layout = KILN_LAYOUT_NCHW,"));
    assert_non_null(strstr(s, ".act_lo = -1.0f, .act_hi = 0.100000001f,"));
    assert_false(c_init_needs_math_h(&lir_desc_kiln_conv_f32_params, &cf));
    free(s);

    const kiln_fc_s8_params fc = {.batch = 1, .rq = {.mode = 9}};
    s = PRETTY(kiln_fc_s8_params, &fc);
    assert_non_null(strstr(s, ".mode = 9,"));     /* no kiln_rq_mode is 9 */
    free(s);

    /* a nested struct: its own enum fields; F32_BITS floats in hexadecimal */
    const kiln_pool_q8_params pq = {.pool = {.c = 8, .layout = 0}, .in_scale = 0.5f, .scale = 0.1f};
    s = PRETTY(kiln_pool_q8_params, &pq);
    assert_non_null(strstr(s, "\n        .layout = KILN_LAYOUT_NCHW,"));
    assert_non_null(strstr(s, ".in_scale = 0x1p-1f, .out_scale = 0x0p+0f,"));
    assert_non_null(strstr(s, ".scale = 0x1.99999ap-4f,"));
    free(s);

    /* a nested float struct of a packed conv: its layout named too */
    const kiln_conv_f32_packed_params pp = {.conv = {.layout = 1}, .method = KILN_CONV_F32_IM2COL};
    s = PRETTY(kiln_conv_f32_packed_params, &pp);
    assert_non_null(strstr(s, "\n        .layout = KILN_LAYOUT_NHWC,"));
    assert_non_null(strstr(s, ".method = KILN_CONV_F32_IM2COL,"));
    free(s);

    const kiln_requantize_params rqp = {.n = 3, .in_type = 1, .out_type = 4};
    s = PRETTY(kiln_requantize_params, &rqp);
    assert_non_null(strstr(s, ".in_type = KILN_QT_U8, .out_type = KILN_QT_S32,"));
    assert_same_values("{ .n = 3, .in_type = 1, .out_type = 4, .in_zp = 0, .out_zp = 0, .mult = 0, "
                       ".shift = 0, .act_min = 0, .act_max = 0 }", s);
    free(s);
}

/* Arrays: on one line when short; wrapped at 100 columns when long. */
static void arrays_stay_short_or_wrap(void **state)
{
    (void)state;
    const kiln_copy_params cp = {.rank = 2, .shape = {1, 2, 3, 4, 5, 6}};
    char *s = PRETTY(kiln_copy_params, &cp);
    assert_non_null(strstr(s, ".shape = { 1, 2, 3, 4, 5, 6 },"));
    free(s);

    kiln_concat_s8_params cc = {.n_inputs = 8};
    char init[2048];
    size_t k = (size_t)sprintf(init, "{ .n_inputs = 8, .outer = 0, .inner = 0, .axis_len = { 0, 0, 0, 0, "
                                     "0, 0, 0, 0 }, .in_zp = { 0, 0, 0, 0, 0, 0, 0, 0 }, .mult = { ");
    for (int i = 0; i < 8; i++) {
        cc.mult[i] = -2000000000 + i;
        k += (size_t)sprintf(init + k, "%s%d", i ? ", " : "", -2000000000 + i);
    }
    sprintf(init + k, " }, .shift = { 0, 0, 0, 0, 0, 0, 0, 0 }, .out_zp = 0 }");
    s = PRETTY(kiln_concat_s8_params, &cc);
    assert_non_null(strstr(s, ".mult = {\n"));
    for (char *line = s; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        size_t len = strchr(line, '\n') ? (size_t)(strchr(line, '\n') - line) : strlen(line);
        assert_true(len <= 100);
    }
    assert_same_values(init, s);
    free(s);
}

/* The top-level field names of an initializer printed at indent 0, in order:
 * the ".name = " items that start a line's first item at 4 spaces or follow
 * ", " on such a line. */
static int top_fields(const char *s, char names[][48], int max)
{
    int n = 0;
    for (const char *line = strchr(s, '\n'); line && *line; line = strchr(line + 1, '\n')) {
        const char *p = line + 1;
        if (strncmp(p, "    .", 5))
            continue;               /* deeper, or the closing brace */
        for (p += 4; p && *p == '.' && n < max; ) {
            const char *eq = strstr(p, " = ");
            snprintf(names[n++], 48, "%.*s", (int)(eq - p - 1), p + 1);
            /* the next item on this line, if any (values hold no ", ." ) */
            const char *next = strstr(eq, ", .");
            const char *nl = strchr(eq, '\n');
            p = next && (!nl || next < nl) ? next + 2 : NULL;
        }
    }
    return n;
}

/* Every params struct the compiler can emit: its description lists every
 * field of the struct (the fields' sizes fill sizeof, so none is missing,
 * none is padding), and the printed initializer names every one, once, in
 * the description's order, nested structs included. */
static void every_field_of_every_struct_is_printed(void **state)
{
    (void)state;
    int n;
    const lir_struct *const *all = lir_params_all(&n);
    assert_true(n >= 40);
    for (int i = 0; i < n; i++) {
        const lir_struct *t = all[i];
        size_t sum = 0;
        for (int f = 0; f < t->n_fields; f++)
            sum += t->fields[f].size * (size_t)(t->fields[f].count ? t->fields[f].count : 1);
        if (sum != t->size)
            fail_msg("%s: fields cover %zu of %zu bytes", t->name, sum, t->size);
        unsigned char *v = calloc(1, t->size);
        char *s = pretty(t, v);
        char names[64][48];
        const int k = top_fields(s, names, 64);
        if (k != t->n_fields)
            fail_msg("%s: %d fields printed, %d declared:\n%s", t->name, k, t->n_fields, s);
        for (int f = 0; f < k; f++)
            if (strcmp(names[f], t->fields[f].name))
                fail_msg("%s: field %d printed as .%s, declared .%s", t->name, f, names[f],
                         t->fields[f].name);
        free(s);
        free(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_params_read_like_written_code),
        cmocka_unit_test(enum_names_only_where_the_field_holds_the_enum),
        cmocka_unit_test(arrays_stay_short_or_wrap),
        cmocka_unit_test(every_field_of_every_struct_is_printed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
