/*
 * test_blob.c - the blob format: CRC-32 against zlib's values, the writer's
 * layout, and every refusal of kiln_blob_check (one property per test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emit/blob_write.h"
#include "kiln/blob.h"

#define SIG 0x0123456789abcdefull

/* Reference values from Python's zlib.crc32 (an independent implementation). */
static void crc32_matches_zlib(void **state)
{
    (void)state;
    uint8_t seq[256];
    for (int i = 0; i < 256; i++)
        seq[i] = (uint8_t)i;
    assert_int_equal(kiln_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(kiln_crc32(0, "", 0), 0u);
    assert_int_equal(kiln_crc32(0, "a", 1), 0xe8b7be43u);
    assert_int_equal(kiln_crc32(0, "KLNB", 4), 0xe2f936b3u);
    assert_int_equal(kiln_crc32(0, seq, 256), 0x29058c73u);
    /* Chaining equals one pass. */
    assert_int_equal(kiln_crc32(kiln_crc32(0, seq, 100), seq + 100, 156), 0x29058c73u);
}

typedef struct fixture {
    uint8_t *blob;     /* 4096-aligned copy */
    size_t len;
} fixture;

static int make_blob(void **state)
{
    static const float w[5] = {1, 2, 3, 4, 5};
    static const int8_t b[3] = {-1, 0, 1};
    blob_tensor t[2] = {{"conv.weight", w, sizeof w, KILN_BLOB_DT_F32, KILN_BLOB_KIND_WEIGHTS, 0},
                        {"conv.bias", b, sizeof b, KILN_BLOB_DT_S8, KILN_BLOB_KIND_DERIVED, 0}};
    uint8_t *raw;
    size_t len;
    char err[128];
    assert_true(blob_build(t, 2, 16, SIG, &raw, &len, err, sizeof err));
    fixture *f = malloc(sizeof *f);
    f->blob = aligned_alloc(4096, 8192);
    memcpy(f->blob, raw, len);
    f->len = len;
    free(raw);
    /* Layout: data offsets aligned, data in place. */
    assert_int_equal(t[0].offset % 16, 0);
    assert_int_equal(t[1].offset % 16, 0);
    assert_memory_equal(f->blob + t[0].offset, w, sizeof w);
    assert_memory_equal(f->blob + t[1].offset, b, sizeof b);
    assert_int_equal(len % 16, 0);
    *state = f;
    return 0;
}

static int free_blob(void **state)
{
    fixture *f = *state;
    free(f->blob);
    free(f);
    return 0;
}

static void valid_blob_passes(void **state)
{
    fixture *f = *state;
    kiln_blob_report r;
    assert_int_equal(kiln_blob_check(f->blob, f->len, SIG, 0, &r), KILN_OK);
    assert_int_equal(r.total_size, f->len);
    assert_int_equal(r.tensor_count, 2);
    assert_true(kiln_blob_check(f->blob, f->len, SIG, 0, NULL) == KILN_OK);
}

static void every_single_bit_flip_is_caught(void **state)
{
    fixture *f = *state;
    for (size_t byte = 0; byte < f->len; byte++)
        for (int bit = 0; bit < 8; bit++) {
            f->blob[byte] ^= (uint8_t)(1u << bit);
            kiln_status s = kiln_blob_check(f->blob, f->len, SIG, 0, NULL);
            f->blob[byte] ^= (uint8_t)(1u << bit);
            if (s == KILN_OK)
                fail_msg("flip of bit %d in byte %zu not caught", bit, byte);
        }
}

static void erased_flash_is_named(void **state)
{
    (void)state;
    uint8_t *m = aligned_alloc(16, 256);
    memset(m, 0xFF, 256);
    assert_int_equal(kiln_blob_check(m, 256, SIG, 0, NULL), KILN_E_BLOB_ERASED);
    free(m);
}

static void zero_memory_is_named(void **state)
{
    (void)state;
    uint8_t *m = calloc(1, 256);
    assert_int_equal(kiln_blob_check(m, 256, SIG, 0, NULL), KILN_E_BLOB_ZERO);
    free(m);
}

static void other_data_is_bad_magic(void **state)
{
    fixture *f = *state;
    f->blob[0] = 'X';
    assert_int_equal(kiln_blob_check(f->blob, f->len, SIG, 0, NULL), KILN_E_BLOB_MAGIC);
    f->blob[0] = KILN_BLOB_MAGIC0;
}

static void truncated_blob_is_named(void **state)
{
    fixture *f = *state;
    kiln_blob_report r;
    assert_int_equal(kiln_blob_check(f->blob, f->len - 1, SIG, 0, &r), KILN_E_BLOB_TRUNCATED);
    assert_int_equal(r.total_size, f->len);
    assert_int_equal(kiln_blob_check(f->blob, 10, SIG, 0, NULL), KILN_E_BLOB_TRUNCATED);
}

static void other_model_is_signature_mismatch(void **state)
{
    fixture *f = *state;
    kiln_blob_report r;
    assert_int_equal(kiln_blob_check(f->blob, f->len, SIG + 1, 0, &r), KILN_E_BLOB_SIGNATURE);
    assert_true(r.signature == SIG);
}

static void payload_corruption_is_crc_mismatch(void **state)
{
    fixture *f = *state;
    f->blob[f->len - 1] ^= 0x10;
    kiln_blob_report r;
    assert_int_equal(kiln_blob_check(f->blob, f->len, SIG, 0, &r), KILN_E_BLOB_PAYLOAD_CRC);
    assert_true(r.crc_expected != r.crc_found);
    /* The boot-time flag skips exactly this check. */
    assert_int_equal(kiln_blob_check(f->blob, f->len, SIG, KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC, NULL), KILN_OK);
    f->blob[f->len - 1] ^= 0x10;
}

static void future_version_is_refused(void **state)
{
    fixture *f = *state;
    uint8_t *copy = aligned_alloc(4096, 8192);
    memcpy(copy, f->blob, f->len);
    copy[KILN_BLOB_OFF_VERSION] = KILN_BLOB_VERSION + 1;
    assert_int_equal(kiln_blob_check(copy, f->len, SIG, 0, NULL), KILN_E_BLOB_VERSION);
    /* and an older one: version 1 blobs held unpacked int8 weights */
    copy[KILN_BLOB_OFF_VERSION] = 1;
    assert_int_equal(kiln_blob_check(copy, f->len, SIG, 0, NULL), KILN_E_BLOB_VERSION);
    free(copy);
}

static void misaligned_base_is_refused(void **state)
{
    fixture *f = *state;
    uint8_t *copy = aligned_alloc(4096, 8192);
    memcpy(copy + 4, f->blob, f->len);
    assert_int_equal(kiln_blob_check(copy + 4, f->len, SIG, 0, NULL), KILN_E_BLOB_ALIGNMENT);
    free(copy);
}

static void null_is_refused(void **state)
{
    (void)state;
    assert_int_equal(kiln_blob_check(NULL, 100, SIG, 0, NULL), KILN_E_BLOB_NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32_matches_zlib),
        cmocka_unit_test_setup_teardown(valid_blob_passes, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(every_single_bit_flip_is_caught, make_blob, free_blob),
        cmocka_unit_test(erased_flash_is_named),
        cmocka_unit_test(zero_memory_is_named),
        cmocka_unit_test_setup_teardown(other_data_is_bad_magic, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(truncated_blob_is_named, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(other_model_is_signature_mismatch, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(payload_corruption_is_crc_mismatch, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(future_version_is_refused, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(misaligned_base_is_refused, make_blob, free_blob),
        cmocka_unit_test(null_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
