/*
 * test_sha256.c - runtime/sha256.c against published SHA-256 values.
 *
 * The five messages of the NIST examples for FIPS 180-4 (csrc.nist.gov,
 * "SHA256.pdf" and "SHA2_Additional.pdf"): "abc", the empty string, the
 * 448-bit and 896-bit messages and one million 'a'.  The lengths around the
 * padding boundary (55, 56, 63, 64, 119 bytes) use values from Python's
 * hashlib (OpenSSL), an independent implementation.  Streaming in pieces of
 * every awkward size must give the one-shot digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiln/sha256.h"

static void hex(const uint8_t d[KILN_SHA256_BYTES], char out[2 * KILN_SHA256_BYTES + 1])
{
    for (unsigned i = 0; i < KILN_SHA256_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void expect_digest(const void *msg, size_t n, const char *want)
{
    uint8_t d[KILN_SHA256_BYTES];
    char got[2 * KILN_SHA256_BYTES + 1];
    kiln_sha256(msg, n, d);
    hex(d, got);
    assert_string_equal(got, want);
}

static const char M448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char M896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void fips_abc(void **state)
{
    (void)state;
    expect_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void fips_empty(void **state)
{
    (void)state;
    expect_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void fips_448_bits(void **state)
{
    (void)state;
    assert_int_equal(strlen(M448) * 8, 448);
    expect_digest(M448, strlen(M448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void fips_896_bits(void **state)
{
    (void)state;
    assert_int_equal(strlen(M896) * 8, 896);
    expect_digest(M896, strlen(M896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static const char MILLION_A[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static void fips_million_a(void **state)
{
    (void)state;
    uint8_t *m = malloc(1000000);
    memset(m, 'a', 1000000);
    expect_digest(m, 1000000, MILLION_A);
    free(m);
}

/* The padding puts the length in the same block (up to 55 bytes) or needs
 * one more (56..63); 64 and 119 end exactly at or just before a boundary. */
static void padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *digest;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
    };
    uint8_t m[128];
    memset(m, 'a', sizeof m);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        expect_digest(m, v[i].n, v[i].digest);
}

/* One million 'a' fed in pieces of 1, 63, 64, 65 and 1000 bytes, cycling,
 * starting from an unaligned address. */
static void streaming_equals_one_shot(void **state)
{
    (void)state;
    static const size_t pieces[] = {1, 63, 64, 65, 1000, 7};
    uint8_t *buf = malloc(1000000 + 1);
    memset(buf, 'a', 1000000 + 1);
    kiln_sha256_ctx c;
    uint8_t d[KILN_SHA256_BYTES];
    char got[2 * KILN_SHA256_BYTES + 1];
    kiln_sha256_init(&c);
    size_t done = 0, k = 0;
    while (done < 1000000) {
        size_t n = pieces[k++ % (sizeof pieces / sizeof pieces[0])];
        if (n > 1000000 - done)
            n = 1000000 - done;
        kiln_sha256_update(&c, buf + 1 + done, n);
        done += n;
    }
    kiln_sha256_update(&c, buf, 0); /* an empty piece changes nothing */
    kiln_sha256_final(&c, d);
    hex(d, got);
    assert_string_equal(got, MILLION_A);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fips_abc),
        cmocka_unit_test(fips_empty),
        cmocka_unit_test(fips_448_bits),
        cmocka_unit_test(fips_896_bits),
        cmocka_unit_test(fips_million_a),
        cmocka_unit_test(padding_boundaries),
        cmocka_unit_test(streaming_equals_one_shot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
