/*
 * test_ab_link.c - the A/B update through the layers `kiln flash update
 * --gdb` stacks on a target: memory written in place (as QEMU's PSRAM is
 * through its gdbstub) given NOR geometry by ram_nor, and a link that can be
 * cut by cut_dev.  Checks each layer against hand-worked bytes, then cuts
 * the link at every operation of an update, and at random byte counts, and
 * requires the runtime (kiln_slots_select, the firmware's code) to pick the
 * old blob, byte for byte, whenever the cut came before the commit record.
 * Also the default region size (ab_region_size_for, ab_default_size) against
 * sizes worked out by hand from docs/ab-update.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flash/ab_update.h"
#include "flash/cut_dev.h"
#include "flash/ram_nor.h"
#include "flash_test_util.h"

#define SIZE (256u * 1024u)

/* RAM written in place: what gdb_dev is for a region the server maps as RAM. */
typedef struct ram {
    flash_dev dev;
    uint8_t *mem;
} ram;

static flash_rc ram_read(flash_dev *d, uint32_t off, void *buf, uint32_t len)
{
    memcpy(buf, ((ram *)d)->mem + off, len);
    return FLASH_OK;
}

static flash_rc ram_prog(flash_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    assert_true(off <= d->size && len <= d->size - off);
    memcpy(((ram *)d)->mem + off, buf, len);
    return FLASH_OK;
}

static void ram_init(ram *r, uint8_t *mem)
{
    memset(r, 0, sizeof *r);
    r->mem = mem;
    r->dev.base = 0x60000000u;
    r->dev.size = SIZE;
    r->dev.read = ram_read;
    r->dev.prog = ram_prog;
}

static board test_board(void)
{
    board b;
    memset(&b, 0, sizeof b);
    b.page_size = 256;
    b.subsector_size = 4096;
    b.sector_size = 16384;
    b.erase_value = 0xFF;
    return b;
}

static void test_ram_nor_erase(void **state)
{
    (void)state;
    uint8_t *mem = calloc(SIZE, 1);
    ram r;
    ram_nor rn;
    board b = test_board();
    ram_init(&r, mem);
    ram_nor_init(&rn, &r.dev, &b);
    assert_int_equal(rn.dev.erase_small, 4096);
    assert_int_equal(rn.dev.erase_large, 16384);
    assert_int_equal(rn.dev.erase(&rn.dev, 8192, 8192), FLASH_OK);
    for (uint32_t i = 0; i < SIZE; i++)
        assert_int_equal(mem[i], i >= 8192 && i < 16384 ? 0xFF : 0x00);
    assert_int_equal(rn.dev.erase(&rn.dev, 100, 4096), FLASH_E_RANGE);     /* not a unit */
    assert_int_equal(rn.dev.erase(&rn.dev, SIZE, 4096), FLASH_E_RANGE);    /* past the end */
    uint8_t x[3] = {1, 2, 3};
    assert_int_equal(rn.dev.prog(&rn.dev, 9000, x, 3), FLASH_OK);
    assert_memory_equal(mem + 9000, x, 3);
    free(mem);
}

static void test_cut_dev_ops_and_bytes(void **state)
{
    (void)state;
    uint8_t *mem = calloc(SIZE, 1);
    uint8_t data[100];
    memset(data, 0xAB, sizeof data);
    ram r;
    cut_dev c;
    ram_init(&r, mem);
    assert_false(cut_dev_init(&c, &r.dev, "ops:x", 1));
    assert_false(cut_dev_init(&c, &r.dev, "when:3", 1));
    /* ops:2: two programs complete, the third sends a prefix, then nothing. */
    assert_true(cut_dev_init(&c, &r.dev, "ops:2", 1));
    assert_int_equal(c.dev.prog(&c.dev, 0, data, 100), FLASH_OK);
    assert_int_equal(c.dev.prog(&c.dev, 100, data, 100), FLASH_OK);
    assert_int_equal(c.dev.prog(&c.dev, 200, data, 100), FLASH_E_POWER);
    uint32_t n = 0;
    while (n < 100 && mem[200 + n] == 0xAB)
        n++;
    assert_true(n < 100);                               /* a prefix, not all of it */
    for (uint32_t i = 200 + n; i < 300; i++)
        assert_int_equal(mem[i], 0);
    assert_int_equal(c.dev.prog(&c.dev, 300, data, 1), FLASH_E_POWER);
    assert_int_equal(mem[300], 0);
    uint8_t back;
    assert_int_equal(c.dev.read(&c.dev, 0, &back, 1), FLASH_E_POWER);  /* the link is gone */
    /* bytes:150: exactly 150 bytes reach the target. */
    memset(mem, 0, SIZE);
    assert_true(cut_dev_init(&c, &r.dev, "bytes:150", 1));
    assert_int_equal(c.dev.prog(&c.dev, 0, data, 100), FLASH_OK);
    assert_int_equal(c.dev.prog(&c.dev, 100, data, 100), FLASH_E_POWER);
    for (uint32_t i = 0; i < 200; i++)
        assert_int_equal(mem[i], i < 150 ? 0xAB : 0);
    free(mem);
}

static void test_region_sizes(void **state)
{
    (void)state;
    /* 2 record areas of U, rounded to max(U, 4 KiB), then two slots of the
     * blob rounded to max(U, 4 KiB). */
    assert_int_equal(ab_region_size_for(4096, 100160), 8192 + 2 * 102400);
    assert_int_equal(ab_region_size_for(16384, 40128), 32768 + 2 * 49152);
    assert_int_equal(ab_region_size_for(1024, 5000), 4096 + 2 * 8192);
    assert_int_equal(ab_region_size_for(4096, 4096), 8192 + 2 * 4096);
    assert_int_equal(ab_region_size_for(4096, 0xFFFFFFF0u), 0);          /* past 4 GiB */
}

/* The update through ram_nor + cut_dev over RAM; false when cut. */
static bool update_link(uint8_t *mem, const test_image *x, const char *cut, uint32_t seed,
                        uint64_t *ops, uint64_t *bytes)
{
    ram r;
    ram_nor rn;
    cut_dev c;
    board b = test_board();
    ab_result res;
    char err[256];
    ram_init(&r, mem);
    ram_nor_init(&rn, &r.dev, &b);
    assert_true(cut_dev_init(&c, &rn.dev, cut ? cut : "ops:18446744073709551615", seed));
    bool ok = ab_update(&c.dev, 0, SIZE, x->b, (uint32_t)x->n, false, NULL, NULL, &res, err,
                        sizeof err);
    flash_plan_free(&res.plan);
    if (ops)
        *ops = c.ops;
    if (bytes)
        *bytes = c.bytes;
    return ok;
}

static void test_link_cut_everywhere(void **state)
{
    (void)state;
    test_image v1, v2, v3;
    v1.b = test_blob(1, 60000, TEST_SIG, &v1.n);
    v2.b = test_blob(2, 70000, TEST_SIG, &v2.n);
    v3.b = test_blob(3, 50000, TEST_SIG, &v3.n);
    /* QEMU's RAM reads 0 before anything is written: no record area is free. */
    uint8_t *start = ab_alloc_aligned(SIZE), *mem = ab_alloc_aligned(SIZE);
    memset(start, 0, SIZE);
    assert_true(update_link(start, &v1, NULL, 0, NULL, NULL));
    assert_true(update_link(start, &v2, NULL, 0, NULL, NULL));
    assert_int_equal(test_pick(start, SIZE, &v1, &v2), 1);
    /* v3 into slot A over v1: count a clean run's operations and bytes. */
    uint64_t nops, nbytes;
    memcpy(mem, start, SIZE);
    assert_true(update_link(mem, &v3, NULL, 0, &nops, &nbytes));
    assert_int_equal(test_pick(mem, SIZE, &v2, &v3), 1);
    uint64_t cuts = 0, held = 0;
    char spec[64];
    for (uint64_t k = 0; k < nops + 100; k++) {
        bool by_ops = k < nops;
        uint64_t at = by_ops ? k : ((uint64_t)rand() << 16 ^ (uint64_t)rand()) % nbytes;
        snprintf(spec, sizeof spec, "%s:%llu", by_ops ? "ops" : "bytes", (unsigned long long)at);
        memcpy(mem, start, SIZE);
        assert_false(update_link(mem, &v3, spec, (uint32_t)k, NULL, NULL));
        cuts++;
        /* The record is the last operation and the last 32 bytes. */
        bool before_commit = by_ops ? at < nops - 1 : at < nbytes - KILN_SLOTS_REC_SIZE;
        int p = test_pick(mem, SIZE, &v2, &v3);
        if (p == 0 || (p == 1 && !before_commit))
            held++;
        else
            fail_msg("cut at %s: the runtime picks %s", spec, p < 0 ? "no blob" : "v3 before its commit");
        assert_true(update_link(mem, &v3, NULL, 0, NULL, NULL));    /* link back: it completes */
        assert_int_equal(test_pick(mem, SIZE, &v2, &v3), 1);
    }
    printf("summary: %llu cut points (%llu operations, 100 random bytes), %llu valid\n",
           (unsigned long long)cuts, (unsigned long long)nops, (unsigned long long)held);
    assert_int_equal(held, cuts);
    free(v1.b);
    free(v2.b);
    free(v3.b);
    free(start);
    free(mem);
}

static void test_default_size_from_records(void **state)
{
    (void)state;
    test_image v1, v3;
    v1.b = test_blob(1, 60000, TEST_SIG, &v1.n);     /* 60128 bytes: slots of 61440 */
    v3.b = test_blob(3, 50000, TEST_SIG, &v3.n);     /* 50128 bytes: slots of 53248 */
    uint8_t *mem = ab_alloc_aligned(SIZE);
    memset(mem, 0xFF, SIZE);
    ram r;
    ram_nor rn;
    board b = test_board();
    ram_init(&r, mem);
    ram_nor_init(&rn, &r.dev, &b);
    uint32_t size, from;
    char err[512];
    /* Empty: sized for the blob; no blob, no records: an error. */
    assert_true(ab_default_size(&rn.dev, 0, (uint32_t)v1.n, &size, &from, err, sizeof err));
    assert_int_equal(size, 8192 + 2 * 61440);
    assert_int_equal(from, 0);
    assert_false(ab_default_size(&rn.dev, 0, 0, &size, &from, err, sizeof err));
    assert_non_null(strstr(err, "give --size"));
    /* v1 then v3 in the v1-sized region: the layout stays v1's. */
    ab_result res;
    uint32_t r1 = 8192 + 2 * 61440;
    assert_true(ab_update(&rn.dev, 0, r1, v1.b, (uint32_t)v1.n, false, NULL, NULL, &res, err,
                          sizeof err));
    flash_plan_free(&res.plan);
    assert_true(ab_update(&rn.dev, 0, r1, v3.b, (uint32_t)v3.n, false, NULL, NULL, &res, err,
                          sizeof err));
    flash_plan_free(&res.plan);
    assert_true(ab_default_size(&rn.dev, 0, 12345, &size, &from, err, sizeof err));
    assert_int_equal(size, r1);
    assert_int_equal(from, v1.n);
    /* Records written with a whole-chip region match no blob-sized layout. */
    memset(mem, 0xFF, SIZE);
    assert_true(ab_update(&rn.dev, 0, SIZE, v1.b, (uint32_t)v1.n, false, NULL, NULL, &res, err,
                          sizeof err));
    flash_plan_free(&res.plan);
    assert_true(ab_update(&rn.dev, 0, SIZE, v3.b, (uint32_t)v3.n, false, NULL, NULL, &res, err,
                          sizeof err));
    flash_plan_free(&res.plan);
    assert_false(ab_default_size(&rn.dev, 0, (uint32_t)v1.n, &size, &from, err, sizeof err));
    assert_non_null(strstr(err, "give --size"));
    free(v1.b);
    free(v3.b);
    free(mem);
}

int main(void)
{
    srand(13);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ram_nor_erase),
        cmocka_unit_test(test_cut_dev_ops_and_bytes),
        cmocka_unit_test(test_region_sizes),
        cmocka_unit_test(test_link_cut_everywhere),
        cmocka_unit_test(test_default_size_from_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
