/*
 * test_c_text.c - outside text in generated C: comment text can neither end
 * the comment nor splice a line nor form a trigraph, whatever the bytes;
 * string literals decode (by the independent decoder below) to exactly the
 * bytes given, up to the documented cut; --name prefixes are refused or
 * derived as docs/cli.md says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compile.h"
#include "emit/c_text.h"

static uint32_t lcg = 99;
static unsigned rnd(unsigned n)
{
    lcg = lcg * 1103515245u + 12345u;
    return (lcg >> 8) % n;
}

/* Random bytes, mostly the dangerous ones. */
static void random_text(char *s, size_t n)
{
    static const char nasty[] = "*/?\\\n\r%\"'=(<!>-) a";
    for (size_t i = 0; i < n; i++) {
        unsigned r = rnd(4);
        s[i] = r ? nasty[rnd(sizeof nasty - 1)] : (char)(1 + rnd(255));
    }
    s[n] = '\0';
}

/* The comment rules of c_text.h, checked on the whole emitted comment. */
static void assert_safe_comment(const char *c)
{
    size_t n = strlen(c);
    assert_true(n >= 6);
    assert_memory_equal(c, "/* ", 3);
    assert_string_equal(c + n - 3, " */");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)c[i];
        assert_true(ch >= 0x20 && ch <= 0x7e && ch != '\\');
    }
    /* the only comment delimiters are ours, and no "??" anywhere */
    assert_ptr_equal(strstr(c + 2, "/*"), NULL);
    assert_ptr_equal(strstr(c, "*/"), c + n - 2);
    assert_ptr_equal(strstr(c, "??"), NULL);
}

static void comments_stay_comments(void **state)
{
    (void)state;
    char s[64];
    for (int k = 0; k < 20000; k++) {
        random_text(s, rnd(sizeof s));
        sbuf b = {0};
        c_comment(&b, "%s", s);
        assert_safe_comment(b.s);
        sb_free(&b);
    }
    /* every string of up to 4 bytes from the dangerous alphabet */
    static const char alpha[] = "*/?\\\n%a\xff";
    enum { A = sizeof alpha - 1 };
    for (int len = 0; len <= 4; len++) {
        int total = 1;
        for (int i = 0; i < len; i++)
            total *= A;
        for (int v = 0; v < total; v++) {
            int x = v;
            for (int i = 0; i < len; i++, x /= A)
                s[i] = alpha[x % A];
            s[len] = '\0';
            sbuf b = {0};
            c_comment(&b, "<%s%s>", s, s);
            assert_safe_comment(b.s);
            sb_free(&b);
        }
    }
}

static void expect_comment(const char *in, const char *want)
{
    sbuf b = {0};
    c_comment(&b, "%s", in);
    assert_string_equal(b.s, want);
    sb_free(&b);
}

static void comment_text_examples(void **state)
{
    (void)state;
    expect_comment("y */ int kiln_injected_symbol = 42; /*", "/* y * / int kiln_injected_symbol = 42; / * */");
    expect_comment("a?\?/b ?\?=", "/* a?%3F/b ?%3F= */");
    expect_comment("x*\\\n/", "/* x*%5C%0A/ */");
    expect_comment("\xc3\xb1 100%", "/* %C3%B1 100%25 */");
    expect_comment("/*/", "/* / * / */");

    char long_name[251];
    memset(long_name, 'a', 250);
    long_name[250] = '\0';
    c_cut_buf cb;
    const char *short_name = "short";
    assert_ptr_equal(c_cut(&cb, short_name), short_name);
    const char *cut = c_cut(&cb, long_name);
    assert_int_equal(strspn(cut, "a"), C_TEXT_CUT);
    assert_string_equal(cut + C_TEXT_CUT, " ...(250 bytes, cut)");
}

/* ---- an independent decoder of C string literals --------------------------- */

static int octal(char ch) { return ch >= '0' && ch <= '7' ? ch - '0' : -1; }

/* Decodes one or more adjacent literals ("a" "b", separated by blanks) into
 * out; returns the decoded length, or -1 on anything it does not expect.
 * *end: where the literals stop. */
static long decode(const char *p, char *out, const char **end)
{
    long n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (*p != '"')
            break;
        for (p++; *p != '"'; p++) {
            unsigned char ch = (unsigned char)*p;
            if (ch < 0x20 || ch > 0x7e)
                return -1;
            if (ch != '\\') {
                out[n++] = (char)ch;
                continue;
            }
            p++;
            if (*p == '"' || *p == '\\' || *p == '?') {
                out[n++] = *p;
            } else if (octal(p[0]) >= 0 && octal(p[1]) >= 0 && octal(p[2]) >= 0) {
                out[n++] = (char)(octal(p[0]) * 64 + octal(p[1]) * 8 + octal(p[2]));
                p += 2;
            } else {
                return -1;
            }
        }
        p++;
    }
    *end = p;
    return n;
}

static void assert_literal_lines_short(const char *s)
{
    for (const char *line = s; line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        assert_true(len < 4095);
        line = nl ? nl + 1 : NULL;
    }
}

static void string_literals_round_trip(void **state)
{
    (void)state;
    static char s[1200], dec[1200];
    for (int k = 0; k < 3000; k++) {
        size_t n = rnd(k % 10 ? 80 : sizeof s - 1);
        random_text(s, n);
        n = strlen(s);      /* random_text never writes NUL, but stay exact */
        sbuf b = {0};
        assert_true(c_string(&b, s));
        const char *end;
        long got = decode(b.s, dec, &end);
        assert_int_equal(got, (long)n);
        assert_memory_equal(dec, s, n);
        assert_int_equal(*end, '\0');
        assert_ptr_equal(strstr(b.s, "??"), NULL);
        assert_literal_lines_short(b.s);
        sb_free(&b);
    }
}

static void long_literals_are_cut_with_a_note(void **state)
{
    (void)state;
    enum { N = 10240 };
    static char s[N + 1], dec[N];
    for (int i = 0; i < N; i++)
        s[i] = "ab?\\\"\n"[i % 6];
    s[N] = '\0';
    sbuf b = {0};
    assert_false(c_string(&b, s));
    const char *end;
    long got = decode(b.s, dec, &end);
    assert_int_equal(got, C_STRING_MAX);
    assert_true(C_STRING_MAX < 4096);
    assert_memory_equal(dec, s, C_STRING_MAX);
    /* what follows is one comment naming the full length */
    assert_true(strstr(end, "/* the first 4000 of 10240 bytes") != NULL);
    assert_literal_lines_short(b.s);
    sb_free(&b);
}

static void composed_code_is_plain(void **state)
{
    (void)state;
    assert_true(c_code_is_plain("{ .m = 1, .k = 4, .act_lo = -1.5e-3f / 2, .act_hi = HUGE_VALF }"));
    static const char *const bad[] = {"{ /* x */ }", "a */ b", "a // b", "\"s\"", "'c'", "a\\", "?\?=",
                                      "a\nb", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(c_code_is_plain(bad[i]));
}

/* ---- --name ------------------------------------------------------------------ */

static void name_check(void **state)
{
    (void)state;
    char err[512];
    static const char *const good[] = {"net", "small_cnn", "Kilnet", "kilnx", "a1", "N",
                                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(c_name_check(good[i], err, sizeof err));
    static const char *const bad[] = {"", "kiln", "KILN", "Kiln_x", "kiln_net", "KILN_MODEL", "int",
                                      "while", "bool", "_x", "__x", "1a", "my-net", "a b", "\xc3\xa9t",
                                      "a*/x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_false(c_name_check(bad[i], err, sizeof err));
        assert_true(strstr(err, "--name") != NULL);
        assert_ptr_equal(strstr(err, "*/"), NULL);   /* the shown name is sanitised too */
    }
}

static void expect_ident(const char *in, const char *want)
{
    char *id = c_identifier(in);
    assert_string_equal(id, want);
    free(id);
}

static void derived_names(void **state)
{
    (void)state;
    expect_ident("kws-ref.model", "kws_ref_model");
    expect_ident("1x", "n1x");
    expect_ident("", "n");
    expect_ident("_m", "n_m");
    expect_ident("*m", "n_m");
    expect_ident("kiln", "n_kiln");
    expect_ident("KILN_model", "n_KILN_model");
    expect_ident("int", "n_int");
    expect_ident("\xc3\xa9t\xc3\xa9", "n__t__");
    char s[64], err[512];
    for (int k = 0; k < 5000; k++) {
        random_text(s, rnd(sizeof s));
        if (k % 3 == 0)
            memcpy(s, "kiln", 4 < strlen(s) ? 4 : strlen(s));
        char *id = c_identifier(s);
        assert_true(c_name_check(id, err, sizeof err));
        free(id);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(comments_stay_comments),
        cmocka_unit_test(comment_text_examples),
        cmocka_unit_test(string_literals_round_trip),
        cmocka_unit_test(long_literals_are_cut_with_a_note),
        cmocka_unit_test(composed_code_is_plain),
        cmocka_unit_test(name_check),
        cmocka_unit_test(derived_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
