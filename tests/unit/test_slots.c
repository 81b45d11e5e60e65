/*
 * test_slots.c - the runtime's A/B slot choice (runtime/slots.c) on regions
 * built by hand: records are encoded here byte by byte from the layout in
 * docs/ab-update.md, not by the writer under test, and layouts are checked
 * against offsets worked out in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flash_test_util.h"
#include "kiln/sha256.h"
#include "kiln/slots.h"

#define REGION (256u * 1024u)
#define UNIT 4096u
/* Layout for 256 KiB and 4 KiB units: record areas at 0 and 4096, slots
 * from 8192; each slot (262144 - 8192) / 2 = 126976 bytes (31 units), so
 * slot B starts at 8192 + 126976 = 135168. */
#define SLOT_A 8192u
#define SLOT_B 135168u

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A 32-byte commit record, field by field as docs/ab-update.md lays it out. */
static void put_record(uint8_t *region, uint32_t area, uint32_t index, uint32_t seq, uint32_t slot,
                       const uint8_t *blob, uint32_t blob_len)
{
    uint8_t *e = region + area * UNIT + index * 32u;
    memset(e, 0, 32);
    memcpy(e, "KLNC", 4);
    e[4] = 1; e[5] = 0;          /* version 1 */
    e[6] = 32; e[7] = 0;         /* record size */
    put32(e + 8, seq);
    e[12] = (uint8_t)slot;
    put32(e + 16, blob_len);
    memcpy(e + 20, blob + 60, 4);    /* the blob's header CRC */
    put32(e + 28, kiln_crc32(0, e, 28));
}

typedef struct fx {
    uint8_t *region;
    uint8_t *b1, *b2;
    size_t n1, n2;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->region = aligned_alloc(4096, REGION);
    memset(f->region, 0xFF, REGION);
    f->b1 = test_blob(1, 5000, TEST_SIG, &f->n1);
    f->b2 = test_blob(2, 7000, TEST_SIG, &f->n2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    free(f->region);
    free(f->b1);
    free(f->b2);
    free(f);
    return 0;
}

static kiln_status pick(fx *f, kiln_slots_choice *c)
{
    return kiln_slots_select(f->region, REGION, UNIT, TEST_SIG, 0, c);
}

static void layout_offsets(void **state)
{
    (void)state;
    kiln_slots_layout l;
    assert_int_equal(kiln_slots_layout_init(&l, REGION, UNIT), KILN_OK);
    assert_int_equal(l.record_off[0], 0);
    assert_int_equal(l.record_off[1], 4096);
    assert_int_equal(l.slot_off[0], SLOT_A);
    assert_int_equal(l.slot_off[1], SLOT_B);
    assert_int_equal(l.slot_size, 126976);
    /* 64 KiB units in 1 MiB: slots from 128 KiB, each (1048576 - 131072) / 2
     * = 458752 bytes = 7 units. */
    assert_int_equal(kiln_slots_layout_init(&l, 1u << 20, 65536), KILN_OK);
    assert_int_equal(l.slot_off[0], 131072);
    assert_int_equal(l.slot_size, 458752);
    assert_int_equal(l.slot_off[1], 131072 + 458752);
    /* 1 KiB units: slots still start on 4 KiB (the largest blob alignment),
     * so slot A at 4096, and each slot is (65536 - 4096) / 2 = 30720 rounded
     * down to 4 KiB = 28672, so that slot B starts aligned too. */
    assert_int_equal(kiln_slots_layout_init(&l, 64u * 1024u, 1024), KILN_OK);
    assert_int_equal(l.slot_off[0], 4096);
    assert_int_equal(l.slot_size, 28672);
    assert_int_equal(l.slot_off[1], 4096 + 28672);
    /* Too small, not a power of two. */
    assert_int_equal(kiln_slots_layout_init(&l, 8192, 4096), KILN_E_ARG);
    assert_int_equal(kiln_slots_layout_init(&l, REGION, 3000), KILN_E_ARG);
}

static void erased_region_has_no_slot(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    assert_int_equal(pick(f, &c), KILN_E_NO_VALID_SLOT);
    assert_null(c.blob);
    assert_int_equal(c.slot_status[0], KILN_E_BLOB_ERASED);
    assert_int_equal(c.slot_status[1], KILN_E_BLOB_ERASED);
}

static void blob_without_record_is_used(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    memcpy(f->region + SLOT_A, f->b1, f->n1);
    assert_int_equal(pick(f, &c), KILN_OK);
    assert_ptr_equal(c.blob, f->region + SLOT_A);
    assert_int_equal(c.slot, 0);
    assert_int_equal(c.seq, 0);
    assert_int_equal(c.blob_size, f->n1);
}

static void newest_record_wins(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    memcpy(f->region + SLOT_A, f->b1, f->n1);
    memcpy(f->region + SLOT_B, f->b2, f->n2);
    put_record(f->region, 0, 0, 1, 0, f->b1, (uint32_t)f->n1);
    put_record(f->region, 0, 1, 2, 1, f->b2, (uint32_t)f->n2);
    assert_int_equal(pick(f, &c), KILN_OK);
    assert_int_equal(c.slot, 1);
    assert_int_equal(c.seq, 2);
    assert_int_equal(c.fell_back, 0);
    /* The newest may sit in the other area, before older ones. */
    put_record(f->region, 1, 0, 3, 0, f->b1, (uint32_t)f->n1);
    assert_int_equal(pick(f, &c), KILN_OK);
    assert_int_equal(c.slot, 0);
    assert_int_equal(c.seq, 3);
}

static void corrupt_newest_slot_falls_back(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    memcpy(f->region + SLOT_A, f->b1, f->n1);
    memcpy(f->region + SLOT_B, f->b2, f->n2);
    put_record(f->region, 0, 0, 1, 0, f->b1, (uint32_t)f->n1);
    put_record(f->region, 0, 1, 2, 1, f->b2, (uint32_t)f->n2);
    f->region[SLOT_B + 3000] ^= 0x10;   /* one bit of B's payload */
    assert_int_equal(pick(f, &c), KILN_OK);
    assert_int_equal(c.slot, 0);
    assert_int_equal(c.seq, 1);
    assert_int_equal(c.fell_back, 1);
    assert_int_equal(c.checked[1], 1);
    assert_int_equal(c.slot_status[1], KILN_E_BLOB_PAYLOAD_CRC);
}

static void torn_record_is_ignored(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    memcpy(f->region + SLOT_A, f->b1, f->n1);
    memcpy(f->region + SLOT_B, f->b2, f->n2);
    put_record(f->region, 0, 0, 1, 0, f->b1, (uint32_t)f->n1);
    put_record(f->region, 0, 1, 2, 1, f->b2, (uint32_t)f->n2);
    /* Record 2 programmed only up to byte 20: bytes 20..31 still 0xFF. */
    memset(f->region + 32 + 20, 0xFF, 12);
    assert_int_equal(pick(f, &c), KILN_OK);
    assert_int_equal(c.slot, 0);
    assert_int_equal(c.seq, 1);
    assert_int_equal(c.fell_back, 0);
}

static void record_for_other_bytes_does_not_vouch(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    /* Record 2 says B holds b2, but B holds b1: B is still a good blob, yet
     * A's matching record 1 ranks it first. */
    memcpy(f->region + SLOT_A, f->b1, f->n1);
    memcpy(f->region + SLOT_B, f->b1, f->n1);
    put_record(f->region, 0, 0, 1, 0, f->b1, (uint32_t)f->n1);
    put_record(f->region, 0, 1, 2, 1, f->b2, (uint32_t)f->n2);
    assert_int_equal(pick(f, &c), KILN_OK);
    assert_int_equal(c.slot, 0);
    assert_int_equal(c.seq, 1);
    assert_int_equal(c.fell_back, 1);
}

static void uncommitted_slot_waits_for_its_record(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    /* B holds a complete blob, but only A has a record: A until B commits. */
    memcpy(f->region + SLOT_B, f->b1, f->n1);
    memcpy(f->region + SLOT_A, f->b2, f->n2);
    put_record(f->region, 0, 0, 1, 0, f->b2, (uint32_t)f->n2);
    assert_int_equal(pick(f, &c), KILN_OK);
    assert_int_equal(c.slot, 0);
    put_record(f->region, 0, 1, 2, 1, f->b1, (uint32_t)f->n1);
    assert_int_equal(pick(f, &c), KILN_OK);
    assert_int_equal(c.slot, 1);
}

static void signature_is_checked(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    memcpy(f->region + SLOT_A, f->b1, f->n1);
    put_record(f->region, 0, 0, 1, 0, f->b1, (uint32_t)f->n1);
    assert_int_equal(kiln_slots_select(f->region, REGION, UNIT, TEST_SIG + 1, 0, &c),
                     KILN_E_NO_VALID_SLOT);
    assert_int_equal(c.slot_status[0], KILN_E_BLOB_SIGNATURE);
    assert_int_equal(kiln_slots_select(f->region, REGION, UNIT, TEST_SIG + 1,
                                       KILN_SLOTS_ANY_SIGNATURE, &c), KILN_OK);
    assert_int_equal(c.slot, 0);
}

/* What a generated descriptor would carry for blob b (read from its header;
 * the layout itself is test_blob.c's subject). */
static kiln_blob_expect expect_of(const uint8_t *b, size_t n)
{
    kiln_blob_expect e;
    memset(&e, 0, sizeof e);
    e.signature = kiln_rd_u64(b + KILN_BLOB_OFF_SIGNATURE);
    e.total_size = (uint32_t)n;
    e.flags = kiln_rd_u32(b + KILN_BLOB_OFF_FLAGS);
    e.align = kiln_rd_u32(b + KILN_BLOB_OFF_ALIGN);
    e.tensor_count = kiln_rd_u32(b + KILN_BLOB_OFF_TENSOR_COUNT);
    e.dir_offset = kiln_rd_u32(b + KILN_BLOB_OFF_DIR);
    e.data_offset = kiln_rd_u32(b + KILN_BLOB_OFF_DATA);
    e.payload_crc = kiln_rd_u32(b + KILN_BLOB_OFF_PAYLOAD_CRC);
    e.integrity = KILN_INTEGRITY_SHA256;
    kiln_sha256(b + KILN_BLOB_HEADER_SIZE, n - KILN_BLOB_HEADER_SIZE, e.sha256);
    return e;
}

/* The newest slot holds b1 with a weight edited and both CRCs recomputed:
 * the structural check picks it (and init would then refuse it); the
 * model's check skips it and falls back to the other slot. */
static void model_check_skips_a_crafted_slot(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    kiln_blob_expect e = expect_of(f->b1, f->n1);
    uint8_t *b = f->region + SLOT_B;
    memcpy(f->region + SLOT_A, f->b1, f->n1);
    memcpy(b, f->b1, f->n1);
    b[f->n1 - 100] ^= 0x01;
    put32(b + KILN_BLOB_OFF_PAYLOAD_CRC, kiln_crc32(0, b + KILN_BLOB_HEADER_SIZE, (uint32_t)f->n1 - KILN_BLOB_HEADER_SIZE));
    put32(b + KILN_BLOB_OFF_HEADER_CRC, kiln_crc32(0, b, KILN_BLOB_OFF_HEADER_CRC));
    put_record(f->region, 0, 0, 1, 0, f->b1, (uint32_t)f->n1);
    put_record(f->region, 0, 1, 2, 1, b, (uint32_t)f->n1);
    assert_int_equal(pick(f, &c), KILN_OK);
    assert_int_equal(c.slot, 1);
    assert_int_equal(kiln_slots_select_model(f->region, REGION, UNIT, &e, 0, &c), KILN_OK);
    assert_int_equal(c.slot, 0);
    assert_int_equal(c.fell_back, 1);
    assert_int_equal(c.slot_status[1], KILN_E_BLOB_MISMATCH);
    assert_int_equal(kiln_slots_select_model(f->region, REGION, UNIT, NULL, 0, &c), KILN_E_MODEL);
    assert_null(c.blob);
}

static void bad_arguments(void **state)
{
    fx *f = *state;
    kiln_slots_choice c;
    assert_int_equal(kiln_slots_select(NULL, REGION, UNIT, TEST_SIG, 0, &c), KILN_E_ARG);
    assert_int_equal(kiln_slots_select(f->region, REGION, 100, TEST_SIG, 0, &c), KILN_E_ARG);
    assert_int_equal(kiln_slots_select(f->region, REGION, UNIT, TEST_SIG, 0, NULL), KILN_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_offsets),
        cmocka_unit_test_setup_teardown(erased_region_has_no_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(blob_without_record_is_used, setup, teardown),
        cmocka_unit_test_setup_teardown(newest_record_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_newest_slot_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_record_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(record_for_other_bytes_does_not_vouch, setup, teardown),
        cmocka_unit_test_setup_teardown(uncommitted_slot_waits_for_its_record, setup, teardown),
        cmocka_unit_test_setup_teardown(signature_is_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(model_check_skips_a_crafted_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
