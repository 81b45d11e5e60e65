/*
 * test_term.c - util/term.h: what kiln prints cannot drive the terminal.
 * Expected strings are written by hand from RFC 3629 and the Unicode bidi
 * control list, not produced by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/term.h"

/* the escaped form of in, given in pieces of `step` bytes */
static char *esc(const char *in, size_t n, size_t step)
{
    term_esc e = {0};
    sbuf out = {0};
    for (size_t i = 0; i < n; i += step)
        term_escape(&e, in + i, n - i < step ? n - i : step, &out);
    term_esc_end(&e, &out);
    sb_put(&out, "", 1);
    return sb_take(&out);
}

static void check(const char *in, size_t n, const char *want)
{
    for (size_t step = 1; step <= n + 1; step++) { /* every way a write can cut it */
        char *got = esc(in, n, step);
        assert_string_equal(got, want);
        free(got);
    }
}

static void plain_text_and_layout_pass(void **state)
{
    (void)state;
    check("result: PASS\n\tok", 16, "result: PASS\n\tok");
}

static void control_bytes_are_escaped(void **state)
{
    (void)state;
    check("y\rresult: PASS", 14, "y\\u000dresult: PASS");
    check("\x1b[2J\x1b]0;t\x07", 10, "\\u001b[2J\\u001b]0;t\\u0007");
    check("a\x7f" "b", 3, "a\\u007fb");
    check("a\0b", 3, "a\\u0000b");
}

static void valid_utf8_passes(void **state)
{
    (void)state;
    check("caf\xc3\xa9 \xe5\x90\x8d \xf0\x9f\x98\x80", 14, "caf\xc3\xa9 \xe5\x90\x8d \xf0\x9f\x98\x80");
}

static void c1_and_bidi_controls_are_escaped(void **state)
{
    (void)state;
    check("\xc2\x9b" "31m", 5, "\\u009b31m");                   /* C1 CSI */
    check("a\xe2\x80\xae" "b", 5, "a\\u202eb");                 /* RIGHT-TO-LEFT OVERRIDE */
    check("\xe2\x81\xa6x\xe2\x81\xa9", 7, "\\u2066x\\u2069");    /* isolates */
    check("\xe2\x80\x8f", 3, "\\u200f");                         /* RLM */
}

static void invalid_utf8_becomes_replacement(void **state)
{
    (void)state;
    const char *r = "\xef\xbf\xbd";
    char want[64];
    check("\xff", 1, r);
    check("\xc0\xaf", 2, (snprintf(want, sizeof want, "%s%s", r, r), want));  /* overlong '/' */
    check("\xed\xa0\x80", 3, (snprintf(want, sizeof want, "%s%s%s", r, r, r), want)); /* surrogate */
    check("\xe2\x80" "A", 3, (snprintf(want, sizeof want, "%sA", r), want));  /* cut, then ASCII */
    check("\xe2\x80\r", 3, (snprintf(want, sizeof want, "%s\\u000d", r), want));
    check("x\xf0\x9f", 3, (snprintf(want, sizeof want, "x%s", r), want));     /* cut at the end */
    check("\xf4\x90\x80\x80", 4, (snprintf(want, sizeof want, "%s%s%s%s", r, r, r, r), want)); /* > U+10FFFF */
}

static void names_stay_on_one_line(void **state)
{
    (void)state;
    sbuf b = {0};
    assert_string_equal(term_name(&b, "y\nresult: PASS\r\t"), "y\\nresult: PASS\\r\\t");
    assert_string_equal(term_name(&b, "\xe2\x80\xae" "x\x1b"), "\\u202ex\\u001b");
    assert_string_equal(term_name(&b, "conv1/weights"), "conv1/weights");
    char longname[301];
    memset(longname, 'a', 300);
    longname[300] = '\0';
    const char *got = term_name(&b, longname);
    assert_int_equal(strspn(got, "a"), TERM_NAME_CUT);
    assert_string_equal(got + TERM_NAME_CUT, " ...(300 bytes, cut)");
    sb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_and_layout_pass),
        cmocka_unit_test(control_bytes_are_escaped),
        cmocka_unit_test(valid_utf8_passes),
        cmocka_unit_test(c1_and_bidi_controls_are_escaped),
        cmocka_unit_test(invalid_utf8_becomes_replacement),
        cmocka_unit_test(names_stay_on_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
