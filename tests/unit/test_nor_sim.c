/*
 * test_nor_sim.c - the NOR simulator keeps the rules of the chips in boards/:
 * AND programming, page wrap, erase granularity, timing sums, wear counters
 * and power cuts.  Expected values are worked out by hand in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flash/nor_sim.h"

#define KIB 1024u

/* A small chip: 256 KiB, 256 B pages, 4 KiB subsectors, 64 KiB sectors,
 * with round timings so the sums are easy to check by hand. */
static nor_config small_chip(void)
{
    nor_config c = {0};
    c.size = 256 * KIB;
    c.page_size = 256;
    c.subsector_size = 4 * KIB;
    c.sector_size = 64 * KIB;
    c.erase_value = 0xFF;
    c.page_program = (board_time){0.5, 5};
    c.subsector_erase = (board_time){250, 800};
    c.sector_erase = (board_time){700, 3000};
    c.chip_erase = (board_time){120000, 240000};
    return c;
}

typedef struct fixture {
    nor_config c;
    uint8_t *mem;
    nor_sim s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->c = small_chip();
    f->mem = malloc(f->c.size);
    memset(f->mem, 0xFF, f->c.size);
    nor_sim_init(&f->s, &f->c, f->mem, 0x90000000u);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    nor_sim_free(&f->s);
    free(f->mem);
    free(f);
    return 0;
}

static void programming_only_clears_bits(void **state)
{
    fixture *f = *state;
    flash_dev *d = &f->s.dev;
    uint8_t a = 0x0F, b = 0xF5, c = 0xFF, out;
    assert_int_equal(d->prog(d, 100, &a, 1), FLASH_OK);
    assert_int_equal(f->mem[100], 0x0F);
    /* 0x0F & 0xF5 = 0x05: the 0xF0 bits asked for cannot come back. */
    assert_int_equal(d->prog(d, 100, &b, 1), FLASH_OK);
    assert_int_equal(f->mem[100], 0x05);
    /* Programming 0xFF changes nothing. */
    assert_int_equal(d->prog(d, 100, &c, 1), FLASH_OK);
    assert_int_equal(d->read(d, 100, &out, 1), FLASH_OK);
    assert_int_equal(out, 0x05);
    /* Neighbours untouched. */
    assert_int_equal(f->mem[99], 0xFF);
    assert_int_equal(f->mem[101], 0xFF);
}

static void page_program_wraps_inside_its_page(void **state)
{
    fixture *f = *state;
    flash_dev *d = &f->s.dev;
    uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* Page 1 is bytes 256..511; start at column 252: 1..4 land at 508..511,
     * 5..8 wrap to 256..259, and page 2 (512...) is not touched. */
    assert_int_equal(d->prog(d, 256 + 252, data, 8), FLASH_OK);
    assert_memory_equal(f->mem + 508, data, 4);
    assert_memory_equal(f->mem + 256, data + 4, 4);
    assert_int_equal(f->mem[512], 0xFF);
    assert_int_equal(f->mem[260], 0xFF);
}

static void more_than_a_page_keeps_the_last_page(void **state)
{
    fixture *f = *state;
    flash_dev *d = &f->s.dev;
    uint8_t data[260];
    for (int i = 0; i < 260; i++)
        data[i] = (uint8_t)(i ^ 0x5A);
    /* 260 bytes at column 0: the first 4 are discarded; data[4..259] go to
     * columns 4..255 then wrap to columns 0..3. */
    assert_int_equal(d->prog(d, 0, data, 260), FLASH_OK);
    assert_memory_equal(f->mem + 4, data + 4, 252);
    assert_memory_equal(f->mem + 0, data + 256, 4);
    assert_int_equal(f->mem[256], 0xFF);
    assert_int_equal(f->s.st.prog_bytes, 256);
}

static void erase_granularity(void **state)
{
    fixture *f = *state;
    flash_dev *d = &f->s.dev;
    memset(f->mem, 0x00, f->c.size);
    /* Misaligned or odd-sized erases are refused and change nothing. */
    assert_int_equal(d->erase(d, 0x800, 4 * KIB), FLASH_E_RANGE);
    assert_int_equal(d->erase(d, 0, 8 * KIB), FLASH_E_RANGE);
    assert_int_equal(d->erase(d, 4 * KIB, 64 * KIB), FLASH_E_RANGE);
    assert_int_equal(d->erase(d, 256 * KIB, 4 * KIB), FLASH_E_RANGE);
    assert_int_equal(f->mem[0x800], 0x00);
    /* A subsector: exactly bytes 0x1000..0x1FFF. */
    assert_int_equal(d->erase(d, 0x1000, 4 * KIB), FLASH_OK);
    assert_int_equal(f->mem[0x0FFF], 0x00);
    assert_int_equal(f->mem[0x1000], 0xFF);
    assert_int_equal(f->mem[0x1FFF], 0xFF);
    assert_int_equal(f->mem[0x2000], 0x00);
    /* A sector: 0x10000..0x1FFFF. */
    assert_int_equal(d->erase(d, 0x10000, 64 * KIB), FLASH_OK);
    assert_int_equal(f->mem[0xFFFF], 0x00);
    assert_int_equal(f->mem[0x10000], 0xFF);
    assert_int_equal(f->mem[0x1FFFF], 0xFF);
    assert_int_equal(f->mem[0x20000], 0x00);
    /* The chip. */
    assert_int_equal(d->erase(d, 0, 256 * KIB), FLASH_OK);
    for (uint32_t i = 0; i < f->c.size; i++)
        if (f->mem[i] != 0xFF)
            fail_msg("byte 0x%x not erased by chip erase", i);
    assert_int_equal(f->s.st.erases_sub, 1);
    assert_int_equal(f->s.st.erases_sector, 1);
    assert_int_equal(f->s.st.erases_chip, 1);
}

static void timing_sums(void **state)
{
    fixture *f = *state;
    flash_dev *d = &f->s.dev;
    uint8_t x = 0;
    /* 3 page programs, 2 subsector erases, 1 sector erase:
     * typ = 3*0.5 + 2*250 + 700 = 1201.5 ms
     * max = 3*5   + 2*800 + 3000 = 4615 ms */
    for (int i = 0; i < 3; i++)
        assert_int_equal(d->prog(d, (uint32_t)i * 256, &x, 1), FLASH_OK);
    assert_int_equal(d->erase(d, 0, 4 * KIB), FLASH_OK);
    assert_int_equal(d->erase(d, 4 * KIB, 4 * KIB), FLASH_OK);
    assert_int_equal(d->erase(d, 64 * KIB, 64 * KIB), FLASH_OK);
    assert_true(f->s.st.typ_ms > 1201.5 - 1e-9 && f->s.st.typ_ms < 1201.5 + 1e-9);
    assert_true(f->s.st.max_ms > 4615 - 1e-9 && f->s.st.max_ms < 4615 + 1e-9);
    /* A chip erase adds 120 s typical, 240 s worst. */
    assert_int_equal(d->erase(d, 0, f->c.size), FLASH_OK);
    assert_true(f->s.st.typ_ms > 121201.5 - 1e-6 && f->s.st.typ_ms < 121201.5 + 1e-6);
    assert_true(f->s.st.max_ms > 244615 - 1e-6 && f->s.st.max_ms < 244615 + 1e-6);
    assert_int_equal(f->s.st.ops, 7);
}

static void erase_counters_per_subsector(void **state)
{
    fixture *f = *state;
    flash_dev *d = &f->s.dev;
    /* Subsector 0 erased twice, then sector 0 (subsectors 0..15) once:
     * subsector 0 -> 3, subsector 1 -> 1, subsector 16 -> 0. */
    d->erase(d, 0, 4 * KIB);
    d->erase(d, 0, 4 * KIB);
    d->erase(d, 0, 64 * KIB);
    assert_int_equal(f->s.erase_count[0], 3);
    assert_int_equal(f->s.erase_count[1], 1);
    assert_int_equal(f->s.erase_count[15], 1);
    assert_int_equal(f->s.erase_count[16], 0);
    assert_int_equal(nor_sim_max_erase_count(&f->s), 3);
}

static void power_cut_after_ops_tears_the_next_op(void **state)
{
    fixture *f = *state;
    flash_dev *d = &f->s.dev;
    uint8_t zeros[256] = {0};
    nor_sim_cut_after_ops(&f->s, 2, 1234);
    assert_int_equal(d->prog(d, 0, zeros, 256), FLASH_OK);
    assert_int_equal(d->prog(d, 256, zeros, 256), FLASH_OK);
    assert_int_equal(d->prog(d, 512, zeros, 256), FLASH_E_POWER);
    /* The first two pages are fully programmed; the third is a prefix of
     * zeros, then one byte with a mix of bits, then still-erased bytes. */
    for (int i = 0; i < 512; i++)
        assert_int_equal(f->mem[i], 0);
    int k = 0;
    while (k < 256 && f->mem[512 + k] == 0)
        k++;
    assert_true(k < 256);
    for (int i = k + 1; i < 256; i++)
        assert_int_equal(f->mem[512 + i], 0xFF);
    /* Once off, everything fails. */
    assert_int_equal(d->prog(d, 1024, zeros, 1), FLASH_E_POWER);
    assert_int_equal(d->erase(d, 0, 4 * KIB), FLASH_E_POWER);
    assert_int_equal(f->mem[1024], 0xFF);
}

static void power_cut_after_bytes_is_exact(void **state)
{
    fixture *f = *state;
    flash_dev *d = &f->s.dev;
    uint8_t zeros[256] = {0};
    /* Cut after 300 bytes: page 0 (256 bytes) completes, page 1 stops after
     * 44 bytes; byte 300 holds a subset of its bits cleared; 301.. erased. */
    nor_sim_cut_after_bytes(&f->s, 300, 99);
    assert_int_equal(d->prog(d, 0, zeros, 256), FLASH_OK);
    assert_int_equal(d->prog(d, 256, zeros, 256), FLASH_E_POWER);
    for (int i = 0; i < 300; i++)
        assert_int_equal(f->mem[i], 0);
    for (int i = 301; i < 512; i++)
        assert_int_equal(f->mem[i], 0xFF);
    assert_int_equal(f->s.bytes_done, 300);

    /* An erase cut the same way: bytes before the cut read 0xFF, the rest
     * keep their old value. */
    fixture g;
    g.c = small_chip();
    g.mem = malloc(g.c.size);
    memset(g.mem, 0x00, g.c.size);
    nor_sim_init(&g.s, &g.c, g.mem, 0);
    nor_sim_cut_after_bytes(&g.s, 1000, 7);
    assert_int_equal(g.s.dev.erase(&g.s.dev, 0, 4 * KIB), FLASH_E_POWER);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(g.mem[i], 0xFF);
    for (int i = 1001; i < 4096; i++)
        assert_int_equal(g.mem[i], 0x00);
    nor_sim_free(&g.s);
    free(g.mem);
}

static void reads_check_range(void **state)
{
    fixture *f = *state;
    flash_dev *d = &f->s.dev;
    uint8_t buf[16];
    assert_int_equal(d->read(d, f->c.size - 8, buf, 16), FLASH_E_RANGE);
    assert_int_equal(d->read(d, f->c.size - 16, buf, 16), FLASH_OK);
    assert_non_null(strstr(d->err, "runs past"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(programming_only_clears_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(page_program_wraps_inside_its_page, setup, teardown),
        cmocka_unit_test_setup_teardown(more_than_a_page_keeps_the_last_page, setup, teardown),
        cmocka_unit_test_setup_teardown(erase_granularity, setup, teardown),
        cmocka_unit_test_setup_teardown(timing_sums, setup, teardown),
        cmocka_unit_test_setup_teardown(erase_counters_per_subsector, setup, teardown),
        cmocka_unit_test_setup_teardown(power_cut_after_ops_tears_the_next_op, setup, teardown),
        cmocka_unit_test_setup_teardown(power_cut_after_bytes_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_check_range, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
