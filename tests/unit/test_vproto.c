/*
 * test_vproto.c - the host's framing of the validation protocol
 * (compiler/target/vproto.c): exact bytes of an encoded frame (CRCs from
 * Python's zlib.crc32, an independent implementation), decoding in any
 * chunking, and that garbled streams are reported, never decoded as data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "target/vproto.h"

/* zlib.crc32(bytes([2, 5, 0, 0, 0, 0])) = 0x34ea8fd8 */
static void quit_frame_bytes(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n = vp_encode(KVP_T_QUIT, 5, NULL, 0, &b);
    static const uint8_t want[] = {0x4B, 0x56, 0x02, 0x05, 0, 0, 0, 0, 0xd8, 0x8f, 0xea, 0x34};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(b, want, sizeof want);
    free(b);
}

/* zlib.crc32(struct.pack('<BBI', 0x82, 7, 5) + b'hello') = 0x1c73321f */
static void output_frame_bytes(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n = vp_encode(KVP_T_OUTPUT, 7, "hello", 5, &b);
    static const uint8_t want[] = {0x4B, 0x56, 0x82, 0x07, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o',
                                   0x1f, 0x32, 0x73, 0x1c};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(b, want, sizeof want);
    free(b);
}

static void decodes_byte_by_byte(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n = vp_encode(KVP_T_OUTPUT, 9, "abcdef", 6, &b);
    vp_decoder d;
    vp_frame f;
    vp_init(&d, 1024);
    for (size_t i = 0; i + 1 < n; i++) {
        vp_feed(&d, b + i, 1);
        assert_int_equal(vp_next(&d, &f), VP_MORE);
    }
    vp_feed(&d, b + n - 1, 1);
    assert_int_equal(vp_next(&d, &f), VP_FRAME);
    assert_int_equal(f.type, KVP_T_OUTPUT);
    assert_int_equal(f.seq, 9);
    assert_int_equal(f.len, 6);
    assert_memory_equal(f.payload, "abcdef", 6);
    assert_int_equal(vp_next(&d, &f), VP_MORE);
    assert_int_equal(d.skipped, 0);
    vp_free(&d);
    free(b);
}

/* Text before a frame (a lone 'K' included) is skipped and kept for messages. */
static void skips_noise_before_sync(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n = vp_encode(KVP_T_HELLO, 0, "x", 1, &b);
    vp_decoder d;
    vp_frame f;
    vp_init(&d, 1024);
    vp_feed(&d, "boot K\n", 7);
    vp_feed(&d, "K", 1);
    vp_feed(&d, b, n);
    assert_int_equal(vp_next(&d, &f), VP_FRAME);
    assert_int_equal(f.type, KVP_T_HELLO);
    assert_int_equal(d.skipped, 8);
    assert_string_equal(d.junk, "boot K.K");
    vp_free(&d);
    free(b);
}

/* Every single-bit flip in the header's type/seq or the payload or the CRC
 * is caught; the next good frame still decodes. */
static void any_flipped_bit_is_refused(void **state)
{
    (void)state;
    uint8_t *b, *good;
    size_t n = vp_encode(KVP_T_OUTPUT, 1, "0123456789", 10, &b);
    size_t gn = vp_encode(KVP_T_OUTPUT, 2, "ok", 2, &good);
    for (size_t byte = KVP_OFF_TYPE; byte < n; byte++) {
        if (byte >= KVP_OFF_LEN && byte < KVP_HEADER_BYTES)
            continue; /* length bits: see the next test */
        for (int bit = 0; bit < 8; bit++) {
            vp_decoder d;
            vp_frame f;
            vp_init(&d, 1024);
            b[byte] ^= (uint8_t)(1u << bit);
            vp_feed(&d, b, n);
            vp_feed(&d, good, gn);
            b[byte] ^= (uint8_t)(1u << bit);
            assert_int_equal(vp_next(&d, &f), VP_BAD_CRC);
            assert_int_equal(vp_next(&d, &f), VP_FRAME);
            assert_int_equal(f.seq, 2);
            assert_memory_equal(f.payload, "ok", 2);
            vp_free(&d);
        }
    }
    free(b);
    free(good);
}

/* A length past the bound is refused at the header, without waiting for
 * (or buffering) the bytes it claims. */
static void huge_length_is_refused_at_once(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n = vp_encode(KVP_T_OUTPUT, 1, "abc", 3, &b);
    b[KVP_OFF_LEN + 3] ^= 0x40; /* 3 -> 0x40000003 */
    vp_decoder d;
    vp_frame f;
    vp_init(&d, 1024);
    vp_feed(&d, b, KVP_HEADER_BYTES);
    assert_int_equal(vp_next(&d, &f), VP_BAD_LENGTH);
    assert_int_equal(f.len, 0x40000003u);
    vp_free(&d);
    free(b);
    (void)n;
}

/* A flipped low length bit within the bound: the frame ends in the wrong
 * place, so its CRC cannot match. */
static void shorter_length_fails_crc(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n = vp_encode(KVP_T_OUTPUT, 1, "abcdefgh", 8, &b);
    b[KVP_OFF_LEN] ^= 0x01; /* 8 -> 9 */
    vp_decoder d;
    vp_frame f;
    vp_init(&d, 1024);
    vp_feed(&d, b, n);
    vp_feed(&d, "\0\0\0\0\0\0", 6);
    assert_int_equal(vp_next(&d, &f), VP_BAD_CRC);
    vp_free(&d);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quit_frame_bytes),
        cmocka_unit_test(output_frame_bytes),
        cmocka_unit_test(decodes_byte_by_byte),
        cmocka_unit_test(skips_noise_before_sync),
        cmocka_unit_test(any_flipped_bit_is_refused),
        cmocka_unit_test(huge_length_is_refused_at_once),
        cmocka_unit_test(shorter_length_fails_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
