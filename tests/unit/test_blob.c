/*
 * test_blob.c - the blob format: CRC-32 against zlib's values, the writer's
 * layout, and every refusal of kiln_blob_check and kiln_blob_check_model
 * (one property per test).  Hostile blobs are made the attacker's way: edit
 * a field or a weight, then recompute both CRCs (reseal), so only the checks
 * against what the code was built for can catch them.
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
#include "kiln/model.h"
#include "kiln/sha256.h"

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


/* ---- checks against what the code was built for ---------------------------- */

/* The fixture's layout, worked out by hand from docs/blob-format.md: header
 * 64, directory 2 x 16 = 96, names "conv.weight\0conv.bias\0" (22 bytes) to
 * 118, data at 128: tensor 0 (20 bytes) at 128, tensor 1 (3 bytes) at 160,
 * padded to 176. */
#define FIX_TOTAL 176u
#define FIX_DATA 128u

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* What an attacker does after an edit: both CRCs made right again. */
static void reseal(uint8_t *b)
{
    uint32_t payload = kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_SIZE);
    wr32(b + KILN_BLOB_OFF_PAYLOAD_CRC, kiln_crc32(0, b + KILN_BLOB_HEADER_SIZE, payload));
    wr32(b + KILN_BLOB_OFF_HEADER_CRC, kiln_crc32(0, b, KILN_BLOB_OFF_HEADER_CRC));
}

static kiln_blob_expect fixture_expect(const fixture *f, kiln_integrity mode)
{
    kiln_blob_expect e;
    memset(&e, 0, sizeof e);
    e.signature = SIG;
    e.total_size = FIX_TOTAL;
    e.flags = KILN_BLOB_F_DIRECTORY;
    e.align = 16;
    e.tensor_count = 2;
    e.dir_offset = 64;
    e.data_offset = FIX_DATA;
    e.payload_crc = kiln_crc32(0, f->blob + KILN_BLOB_HEADER_SIZE, FIX_TOTAL - KILN_BLOB_HEADER_SIZE);
    e.integrity = mode;
    if (mode == KILN_INTEGRITY_SHA256)
        kiln_sha256(f->blob + KILN_BLOB_HEADER_SIZE, FIX_TOTAL - KILN_BLOB_HEADER_SIZE, e.sha256);
    return e;
}

static void layout_is_as_documented(void **state)
{
    fixture *f = *state;
    assert_int_equal(f->len, FIX_TOTAL);
    assert_int_equal(kiln_rd_u32(f->blob + KILN_BLOB_OFF_DATA), FIX_DATA);
    assert_int_equal(kiln_rd_u32(f->blob + KILN_BLOB_OFF_DIR), 64);
}

static void model_check_passes_the_blob_it_was_built_for(void **state)
{
    fixture *f = *state;
    kiln_blob_expect crc = fixture_expect(f, KILN_INTEGRITY_CRC32), sha = fixture_expect(f, KILN_INTEGRITY_SHA256);
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &crc, 0, NULL), KILN_OK);
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &sha, 0, NULL), KILN_OK);
    /* More memory readable than the blob is fine (a flash region). */
    assert_int_equal(kiln_blob_check_model(f->blob, 8192, &sha, 0, NULL), KILN_OK);
}

/* Sets a header field, reseals, and expects the model check to name it. */
static void expect_mismatch(fixture *f, uint32_t off, uint32_t value, uint32_t field, uint32_t found,
                            uint32_t expected)
{
    kiln_blob_expect e = fixture_expect(f, KILN_INTEGRITY_SHA256);
    uint8_t *copy = aligned_alloc(4096, 8192);
    memset(copy, 0, 8192);
    memcpy(copy, f->blob, f->len);
    wr32(copy + off, value);
    reseal(copy);
    kiln_blob_report r;
    assert_int_equal(kiln_blob_check_model(copy, 8192, &e, 0, &r), KILN_E_BLOB_MISMATCH);
    assert_int_equal(r.field, field);
    assert_int_equal(r.found, found);
    assert_int_equal(r.expected, expected);
    free(copy);
}

static void crafted_payload_size_is_refused(void **state)
{
    fixture *f = *state;
    const uint32_t payload = FIX_TOTAL - KILN_BLOB_HEADER_SIZE;
    expect_mismatch(f, KILN_BLOB_OFF_PAYLOAD_SIZE, payload / 2, KILN_BLOB_FIELD_PAYLOAD_SIZE, payload / 2, payload);
    expect_mismatch(f, KILN_BLOB_OFF_PAYLOAD_SIZE, 0, KILN_BLOB_FIELD_PAYLOAD_SIZE, 0, payload);
    expect_mismatch(f, KILN_BLOB_OFF_PAYLOAD_SIZE, payload + 4096, KILN_BLOB_FIELD_PAYLOAD_SIZE, payload + 4096,
                    payload);
}

static void crafted_layout_fields_are_refused(void **state)
{
    fixture *f = *state;
    expect_mismatch(f, KILN_BLOB_OFF_TENSOR_COUNT, 1, KILN_BLOB_FIELD_TENSOR_COUNT, 1, 2);
    expect_mismatch(f, KILN_BLOB_OFF_TENSOR_COUNT, 200, KILN_BLOB_FIELD_TENSOR_COUNT, 200, 2);
    expect_mismatch(f, KILN_BLOB_OFF_DIR, 80, KILN_BLOB_FIELD_DIR_OFFSET, 80, 64);
    expect_mismatch(f, KILN_BLOB_OFF_DATA, 144, KILN_BLOB_FIELD_DATA_OFFSET, 144, FIX_DATA);
    expect_mismatch(f, KILN_BLOB_OFF_ALIGN, 32, KILN_BLOB_FIELD_ALIGN, 32, 16);
    expect_mismatch(f, KILN_BLOB_OFF_FLAGS, 0, KILN_BLOB_FIELD_FLAGS, 0, KILN_BLOB_F_DIRECTORY);
}

/* The same crafted headers are refused by the structural check alone. */
static void structural_check_refuses_inconsistent_headers(void **state)
{
    fixture *f = *state;
    static const struct {
        uint32_t off, value;
        kiln_status want;
    } cases[] = {
        {KILN_BLOB_OFF_PAYLOAD_SIZE, 0, KILN_E_BLOB_LAYOUT},          /* 2 entries, no room */
        {KILN_BLOB_OFF_PAYLOAD_SIZE, 56, KILN_E_BLOB_LAYOUT},         /* data_offset past the end */
        {KILN_BLOB_OFF_PAYLOAD_SIZE, FIX_DATA + 16 - 64, KILN_E_BLOB_DIRECTORY}, /* tensor 0 cut */
        {KILN_BLOB_OFF_TENSOR_COUNT, 0, KILN_E_BLOB_LAYOUT},          /* flag says a directory */
        {KILN_BLOB_OFF_TENSOR_COUNT, 7, KILN_E_BLOB_LAYOUT},          /* entries over the names */
        {KILN_BLOB_OFF_DIR, 80, KILN_E_BLOB_LAYOUT},
        {KILN_BLOB_OFF_DATA, 200, KILN_E_BLOB_LAYOUT},
        {KILN_BLOB_OFF_DATA, 136, KILN_E_BLOB_LAYOUT},                /* not aligned */
        {KILN_BLOB_OFF_DATA, 64, KILN_E_BLOB_LAYOUT},                 /* over the directory */
        {KILN_BLOB_OFF_ALIGN, 64, KILN_E_BLOB_LAYOUT},                /* data_offset 128 ok, 160 not */
        {KILN_BLOB_OFF_FLAGS, 0, KILN_E_BLOB_LAYOUT},
    };
    uint8_t *copy = aligned_alloc(4096, 8192);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(copy, 0, 8192);
        memcpy(copy, f->blob, f->len);
        wr32(copy + cases[i].off, cases[i].value);
        reseal(copy);
        kiln_status s = kiln_blob_check(copy, f->len, SIG, 0, NULL);
        if (cases[i].off == KILN_BLOB_OFF_ALIGN && s == KILN_E_BLOB_DIRECTORY)
            s = KILN_E_BLOB_LAYOUT; /* 128 is a multiple of 64: the entry at 160 is what breaks */
        if (s != cases[i].want)
            fail_msg("case %zu (field at %u = %u): %s, want %s", i, cases[i].off, cases[i].value,
                     kiln_status_name(s), kiln_status_name(cases[i].want));
    }
    free(copy);
}

static void nonzero_reserved_bytes_are_refused(void **state)
{
    fixture *f = *state;
    kiln_blob_expect e = fixture_expect(f, KILN_INTEGRITY_CRC32);
    for (uint32_t off = KILN_BLOB_OFF_RESERVED; off < KILN_BLOB_OFF_HEADER_CRC; off++) {
        f->blob[off] = 0x5A;
        reseal(f->blob);
        kiln_blob_report r;
        assert_int_equal(kiln_blob_check(f->blob, f->len, SIG, 0, &r), KILN_E_BLOB_RESERVED);
        assert_int_equal(r.field, KILN_BLOB_FIELD_RESERVED);
        assert_int_equal(r.found, 0x5A);
        assert_int_equal(kiln_blob_check_model(f->blob, f->len, &e, 0, NULL), KILN_E_BLOB_RESERVED);
        f->blob[off] = 0;
    }
    reseal(f->blob);
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &e, 0, NULL), KILN_OK);
}

/* Sets bytes of directory entry `entry` and expects KILN_E_BLOB_DIRECTORY naming it. */
static void expect_bad_entry(fixture *f, uint32_t entry, uint32_t off, const uint8_t *bytes, size_t n,
                             uint32_t field)
{
    uint8_t *copy = aligned_alloc(4096, 8192);
    memcpy(copy, f->blob, f->len);
    memcpy(copy + 64 + 16 * entry + off, bytes, n);
    reseal(copy);
    kiln_blob_report r;
    assert_int_equal(kiln_blob_check(copy, f->len, SIG, 0, &r), KILN_E_BLOB_DIRECTORY);
    assert_int_equal(r.field, field);
    assert_int_equal(r.entry, entry);
    free(copy);
}

static void malformed_directory_entries_are_refused(void **state)
{
    fixture *f = *state;
    const uint8_t big[4] = {0xF0, 0xFF, 0xFF, 0xFF}, past[4] = {0xC0, 0, 0, 0} /* 192 > 176 */;
    const uint8_t odd[4] = {0x88, 0, 0, 0} /* 136 */, early[4] = {0x70, 0, 0, 0} /* 112 < data */;
    const uint8_t name_in_data[4] = {0x80, 0, 0, 0} /* 128 */, name_in_dir[4] = {0x40, 0, 0, 0};
    const uint8_t unknown_layout = KILN_BLOB_LAYOUT_COUNT, zero = 0, eleven = 11, three = 3;
    expect_bad_entry(f, 0, KILN_BLOB_DIR_OFF_SIZE, big, 4, KILN_BLOB_FIELD_ENTRY_SIZE);
    expect_bad_entry(f, 1, KILN_BLOB_DIR_OFF_OFFSET, past, 4, KILN_BLOB_FIELD_ENTRY_OFFSET);
    expect_bad_entry(f, 1, KILN_BLOB_DIR_OFF_OFFSET, odd, 4, KILN_BLOB_FIELD_ENTRY_OFFSET);
    expect_bad_entry(f, 0, KILN_BLOB_DIR_OFF_OFFSET, early, 4, KILN_BLOB_FIELD_ENTRY_OFFSET);
    expect_bad_entry(f, 1, KILN_BLOB_DIR_OFF_NAME, name_in_data, 4, KILN_BLOB_FIELD_ENTRY_NAME);
    expect_bad_entry(f, 0, KILN_BLOB_DIR_OFF_NAME, name_in_dir, 4, KILN_BLOB_FIELD_ENTRY_NAME);
    expect_bad_entry(f, 1, KILN_BLOB_DIR_OFF_LAYOUT, &unknown_layout, 1, KILN_BLOB_FIELD_ENTRY_LAYOUT);
    expect_bad_entry(f, 0, KILN_BLOB_DIR_OFF_DTYPE, &zero, 1, KILN_BLOB_FIELD_ENTRY_DTYPE);
    expect_bad_entry(f, 0, KILN_BLOB_DIR_OFF_DTYPE, &eleven, 1, KILN_BLOB_FIELD_ENTRY_DTYPE);
    expect_bad_entry(f, 1, KILN_BLOB_DIR_OFF_KIND, &three, 1, KILN_BLOB_FIELD_ENTRY_KIND);
    /* Tensor 1 moved back over tensor 0's bytes (128 + 20 > 144). */
    const uint8_t overlap[4] = {0x90, 0, 0, 0};
    expect_bad_entry(f, 1, KILN_BLOB_DIR_OFF_OFFSET, overlap, 4, KILN_BLOB_FIELD_ENTRY_OFFSET);
}

/* Weights edited and both CRCs recomputed: no structural check can tell;
 * the payload CRC the code pins can, in either mode. */
static void edited_weights_with_recomputed_crcs(void **state)
{
    fixture *f = *state;
    kiln_blob_expect crc = fixture_expect(f, KILN_INTEGRITY_CRC32), sha = fixture_expect(f, KILN_INTEGRITY_SHA256);
    kiln_blob_report r;
    f->blob[FIX_DATA + 3] ^= 0x40; /* the sign of w[0] */
    reseal(f->blob);
    assert_int_equal(kiln_blob_check(f->blob, f->len, SIG, 0, NULL), KILN_OK);
    for (int mode = 0; mode < 2; mode++) {
        const kiln_blob_expect *e = mode ? &sha : &crc;
        assert_int_equal(kiln_blob_check_model(f->blob, f->len, e, 0, &r), KILN_E_BLOB_MISMATCH);
        assert_int_equal(r.field, KILN_BLOB_FIELD_PAYLOAD_CRC);
        assert_int_equal(r.expected, crc.payload_crc);
        /* A header field: checked even when the CRC computation is skipped. */
        assert_int_equal(kiln_blob_check_model(f->blob, f->len, e, KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC, NULL),
                         KILN_E_BLOB_MISMATCH);
    }
}

/* Changes p[at..at+4) so that the CRC-32 of p[0..n) becomes `want`: CRC-32
 * is affine over GF(2), so the 32 bits solve a linear system (the textbook
 * forgery; anyone can do it, which is why CRC only catches accidents). */
static void forge_crc(uint8_t *p, size_t n, size_t at, uint32_t want)
{
    uint32_t col[32], comb[32], x = 0, t;
    uint8_t *z = calloc(n, 1);
    const uint32_t c0 = kiln_crc32(0, z, n);
    for (int j = 0; j < 32; j++) {
        z[at + j / 8] = (uint8_t)(1u << (j % 8));
        col[j] = kiln_crc32(0, z, n) ^ c0;
        z[at + j / 8] = 0;
        comb[j] = 1u << j;
    }
    free(z);
    for (int b = 31, rank = 0; b >= 0; b--) {
        int piv = -1;
        for (int r = rank; r < 32 && piv < 0; r++)
            if ((col[r] >> b) & 1u)
                piv = r;
        if (piv < 0)
            continue;
        uint32_t tc = col[rank], tm = comb[rank];
        col[rank] = col[piv], comb[rank] = comb[piv], col[piv] = tc, comb[piv] = tm;
        for (int r = 0; r < 32; r++)
            if (r != rank && ((col[r] >> b) & 1u))
                col[r] ^= col[rank], comb[r] ^= comb[rank];
        rank++;
    }
    /* Fully reduced: each row's leading bit is in no other row. */
    t = kiln_crc32(0, p, n) ^ want;
    for (int r = 0; r < 32; r++)
        if (col[r] && ((t >> (31 - __builtin_clz(col[r]))) & 1u))
            t ^= col[r], x ^= comb[r];
    assert_int_equal(t, 0);
    for (int j = 0; j < 32; j++)
        if ((x >> j) & 1u)
            p[at + j / 8] ^= (uint8_t)(1u << (j % 8));
    assert_int_equal(kiln_crc32(0, p, n), want);
}

/* A weight edited and 4 more bytes chosen so the payload CRC is unchanged:
 * the header is untouched, so only a digest can tell.  crc32 mode accepts
 * it (the documented limit: docs/security.md); sha256 mode never does. */
static void crc_preserving_edit_needs_sha256(void **state)
{
    fixture *f = *state;
    kiln_blob_expect crc = fixture_expect(f, KILN_INTEGRITY_CRC32), sha = fixture_expect(f, KILN_INTEGRITY_SHA256);
    const size_t payload = FIX_TOTAL - KILN_BLOB_HEADER_SIZE;
    f->blob[FIX_DATA + 3] ^= 0x40;
    forge_crc(f->blob + KILN_BLOB_HEADER_SIZE, payload, FIX_DATA + 4 - KILN_BLOB_HEADER_SIZE, crc.payload_crc);
    kiln_blob_report r;
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &crc, 0, NULL), KILN_OK);
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &sha, 0, &r), KILN_E_BLOB_DIGEST);
    assert_int_equal(r.field, KILN_BLOB_FIELD_PAYLOAD_SHA256);
    assert_int_equal(r.expected, ((uint32_t)sha.sha256[0] << 24) | ((uint32_t)sha.sha256[1] << 16) |
                                     ((uint32_t)sha.sha256[2] << 8) | sha.sha256[3]);
    /* Never skipped. */
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &sha, KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC, NULL),
                     KILN_E_BLOB_DIGEST);
}

/* crc32 mode without resealing: an accident, caught by the CRC unless the
 * caller skipped it (the documented boot-time trade). */
static void crc32_mode_catches_corruption_unless_skipped(void **state)
{
    fixture *f = *state;
    kiln_blob_expect crc = fixture_expect(f, KILN_INTEGRITY_CRC32);
    f->blob[FIX_DATA + 1] ^= 0x01;
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &crc, 0, NULL), KILN_E_BLOB_PAYLOAD_CRC);
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &crc, KILN_BLOB_CHECK_SKIP_PAYLOAD_CRC, NULL), KILN_OK);
    f->blob[FIX_DATA + 1] ^= 0x01;
}

static void unusable_expectation_is_model_error(void **state)
{
    fixture *f = *state;
    kiln_blob_expect e = fixture_expect(f, KILN_INTEGRITY_CRC32);
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, NULL, 0, NULL), KILN_E_MODEL);
    e.integrity = 0;
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &e, 0, NULL), KILN_E_MODEL);
    e.integrity = KILN_INTEGRITY_CRC32;
    e.total_size = 10;
    assert_int_equal(kiln_blob_check_model(f->blob, f->len, &e, 0, NULL), KILN_E_MODEL);
}

static void invoke_nothing(const uint8_t *w, uint8_t *arena, const void *const *in, void *const *out)
{
    (void)w, (void)arena, (void)in, (void)out;
}

/* kiln_net_init checks with the descriptor's expectation, and refuses a
 * descriptor whose copies of the signature or size disagree. */
static void net_init_uses_the_descriptor_expectation(void **state)
{
    fixture *f = *state;
    kiln_model m;
    kiln_net net;
    memset(&m, 0, sizeof m);
    m.name = "t";
    m.signature = SIG;
    m.blob_bytes = FIX_TOTAL;
    m.invoke = invoke_nothing;
    m.blob = fixture_expect(f, KILN_INTEGRITY_SHA256);
    assert_int_equal(kiln_net_init(&net, &m, f->blob, f->len, NULL, 0, 0), KILN_OK);
    m.blob.signature = SIG + 1;
    assert_int_equal(kiln_net_init(&net, &m, f->blob, f->len, NULL, 0, 0), KILN_E_MODEL);
    m.blob.signature = SIG;
    m.blob_bytes = FIX_TOTAL + 16;
    assert_int_equal(kiln_net_init(&net, &m, f->blob, f->len, NULL, 0, 0), KILN_E_MODEL);
    assert_int_equal(kiln_net_run(&net, NULL, NULL), KILN_E_NOT_READY);
}

static void report_says_field_found_expected(void **state)
{
    (void)state;
    kiln_blob_report r;
    char buf[128];
    memset(&r, 0, sizeof r);
    assert_int_equal(kiln_blob_report_str(&r, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    r.field = KILN_BLOB_FIELD_PAYLOAD_SIZE;
    r.found = 7464;
    r.expected = 14928;
    kiln_blob_report_str(&r, buf, sizeof buf);
    assert_string_equal(buf, "header field payload_size: found 7464, expected 14928");
    r.field = KILN_BLOB_FIELD_ENTRY_SIZE;
    r.entry = 3;
    r.found = 6144;
    r.expected = 840;
    r.rel = KILN_BLOB_REL_MAX;
    kiln_blob_report_str(&r, buf, sizeof buf);
    assert_string_equal(buf, "directory entry 3 size: found 6144, expected at most 840");
    r.field = KILN_BLOB_FIELD_PAYLOAD_CRC;
    r.found = 0xdac349c1u;
    r.expected = 0x0000abcdu;
    r.rel = KILN_BLOB_REL_EQ;
    kiln_blob_report_str(&r, buf, sizeof buf);
    assert_string_equal(buf, "header field payload_crc: found 0xdac349c1, expected 0x0000abcd");
    /* Cut to fit, always terminated. */
    assert_int_equal(kiln_blob_report_str(&r, buf, 8), 7);
    assert_string_equal(buf, "header ");
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
        cmocka_unit_test_setup_teardown(layout_is_as_documented, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(model_check_passes_the_blob_it_was_built_for, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(crafted_payload_size_is_refused, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(crafted_layout_fields_are_refused, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(structural_check_refuses_inconsistent_headers, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(nonzero_reserved_bytes_are_refused, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(malformed_directory_entries_are_refused, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(edited_weights_with_recomputed_crcs, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(crc_preserving_edit_needs_sha256, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(crc32_mode_catches_corruption_unless_skipped, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(unusable_expectation_is_model_error, make_blob, free_blob),
        cmocka_unit_test_setup_teardown(net_init_uses_the_descriptor_expectation, make_blob, free_blob),
        cmocka_unit_test(report_says_field_found_expected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
