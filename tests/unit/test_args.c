/*
 * test_args.c - the number forms of the command line (compiler/util/args.c,
 * docs/cli.md "Numbers"): addresses and signatures only as 0x-hex, sizes as
 * decimal or 0x-hex with binary suffixes, counts as plain decimal; never
 * octal, a sign, spaces or trailing junk; and single-valued options refused
 * when given twice.  Expected values are written out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/args.h"

typedef bool (*parse_fn)(const char *, uint64_t *);

static void accepts(parse_fn f, const char *s, uint64_t want)
{
    uint64_t v = 0;
    if (!f(s, &v))
        fail_msg("'%s' refused", s);
    if (v != want)
        fail_msg("'%s' read as %llu, expected %llu", s, (unsigned long long)v, (unsigned long long)want);
}

static void refuses(parse_fn f, const char *s)
{
    uint64_t v = 12345;
    if (f(s, &v))
        fail_msg("'%s' accepted as %llu", s, (unsigned long long)v);
    assert_int_equal(v, 12345);     /* untouched */
}

static void test_hex(void **state)
{
    (void)state;
    accepts(parse_hex, "0x90000000", 0x90000000u);
    accepts(parse_hex, "0X9000000a", 0x9000000au);
    accepts(parse_hex, "0x0", 0);
    accepts(parse_hex, "0xffffffffffffffff", UINT64_MAX);
    static const char *const bad[] = {
        "90000000",             /* decimal: 0x055d4a80, not 0x90000000 */
        "022000000000",         /* strtoull base 0 reads octal: 0x90000000 */
        "0", "", "0x", "x90", "0x-1", "-0x1", "+0x1", " 0x1", "0x1 ", "0x1g", "0x10000000000000000",
        "0x90000000K",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refuses(parse_hex, bad[i]);
    refuses(parse_hex, NULL);
}

static void test_size(void **state)
{
    (void)state;
    accepts(parse_size, "4096", 4096);
    accepts(parse_size, "0", 0);
    accepts(parse_size, "0x1000", 4096);
    accepts(parse_size, "64K", 65536);
    accepts(parse_size, "64k", 65536);
    accepts(parse_size, "64KiB", 65536);
    accepts(parse_size, "16M", 16u << 20);
    accepts(parse_size, "16MiB", 16u << 20);
    accepts(parse_size, "4G", 4ull << 30);
    accepts(parse_size, "0x10K", 16384);
    static const char *const bad[] = {
        "010",                  /* octal 8 to strtoull */
        "00", "-1", "+1", " 1", "1 ", "1.5", "K", "64 K", "64KB", "64Ki", "0x", "1e3",
        "18446744073709551616", "17179869184G",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refuses(parse_size, bad[i]);
    /* Board descriptors write a space before the unit. */
    accepts(parse_size_spaced, "64 KiB", 65536);
    accepts(parse_size_spaced, "128 MiB", 128u << 20);
    refuses(parse_size_spaced, "0777");
    refuses(parse_size_spaced, " KiB");
}

static void test_count(void **state)
{
    (void)state;
    accepts(parse_count, "0", 0);
    accepts(parse_count, "7", 7);
    accepts(parse_count, "18446744073709551615", UINT64_MAX);
    static const char *const bad[] = {"07", "0x7", "7K", "-7", "+7", " 7", "7 ", "", "18446744073709551616",
                                      "1.0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refuses(parse_count, bad[i]);
}

static void test_hex_problem_says_what_was_meant(void **state)
{
    (void)state;
    char b[200];
    hex_problem("90000000", b, sizeof b);
    assert_non_null(strstr(b, "0x055d4a80"));
    assert_non_null(strstr(b, "did you mean 0x90000000?"));
    hex_problem("022000000000", b, sizeof b);
    assert_non_null(strstr(b, "neither octal nor hex"));
    hex_problem("0xzz", b, sizeof b);
    assert_non_null(strstr(b, "not a hex number"));
}

static void test_arg_once(void **state)
{
    (void)state;
    arg_seen s = {0};
    assert_true(arg_once(&s, "-o", "a", "test"));
    assert_true(arg_once(&s, "--name", "n", "test"));
    assert_false(arg_once(&s, "-o", "b", "test"));
    assert_false(arg_once(&s, "--name", "n", "test"));  /* even the same value */
    assert_true(arg_once(&s, "--address", "0x0", "test"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_hex_problem_says_what_was_meant),
        cmocka_unit_test(test_arg_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
