/*
 * test_program.c - the erase/program planner (flash/program.c) on the NOR
 * simulator: the device ends up holding exactly the expected image (built
 * here with memcpy), and only the units that needed it were erased.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flash/program.h"
#include "flash_test_util.h"

#define SIZE (512u * 1024u)

typedef struct fx {
    nor_config c;
    uint8_t *mem, *expect;
    nor_sim s;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->c = test_chip(SIZE);
    f->mem = malloc(SIZE);
    f->expect = malloc(SIZE);
    memset(f->mem, 0xFF, SIZE);
    memset(f->expect, 0xFF, SIZE);
    nor_sim_init(&f->s, &f->c, f->mem, 0x90000000u);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    nor_sim_free(&f->s);
    free(f->mem);
    free(f->expect);
    free(f);
    return 0;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131u + seed * 7u) ^ (i >> 8));
}

/* Plans and runs a write; the device must then equal f->expect. */
static flash_plan write_and_check(fx *f, uint32_t off, const uint8_t *data, uint32_t len)
{
    flash_plan p;
    char err[256];
    assert_true(flash_plan_write(&f->s.dev, off, data, len, &p, err, sizeof err));
    assert_int_equal(flash_plan_run(&f->s.dev, &p, NULL, NULL), FLASH_OK);
    memcpy(f->expect + off, data, len);
    assert_memory_equal(f->mem, f->expect, SIZE);
    return p;
}

static void write_to_erased_chip_needs_no_erase(void **state)
{
    fx *f = *state;
    uint8_t *d = malloc(10000);
    fill(d, 10000, 1);
    flash_plan p = write_and_check(f, 0x2000, d, 10000);
    /* 10000 bytes from 0x2000 span units 2..4 (0x2000..0x4710): 3 units, all
     * erased, so programmed without erase: ceil(10000 / 256) = 40 pages. */
    assert_int_equal(p.units, 3);
    assert_int_equal(p.units_prog_only, 3);
    assert_int_equal(p.erases_small + p.erases_large + p.erases_chip, 0);
    assert_int_equal(p.progs, 40);
    assert_int_equal(p.prog_bytes, 10000);
    assert_int_equal(f->s.st.erases_sub + f->s.st.erases_sector, 0);
    flash_plan_free(&p);
    free(d);
}

static void rewrite_of_same_bytes_does_nothing(void **state)
{
    fx *f = *state;
    uint8_t *d = malloc(100000);
    fill(d, 100000, 2);
    flash_plan p = write_and_check(f, 0, d, 100000);
    flash_plan_free(&p);
    uint64_t ops = f->s.st.ops;
    p = write_and_check(f, 0, d, 100000);
    /* ceil(100000 / 4096) = 25 units, all unchanged: no operation at all. */
    assert_int_equal(p.units, 25);
    assert_int_equal(p.units_unchanged, 25);
    assert_int_equal(p.nops, 0);
    assert_int_equal(f->s.st.ops, ops);
    flash_plan_free(&p);
    free(d);
}

static void one_changed_byte_erases_one_subsector(void **state)
{
    fx *f = *state;
    uint8_t *d = malloc(100000);
    fill(d, 100000, 3);
    flash_plan p = write_and_check(f, 0, d, 100000);
    flash_plan_free(&p);
    d[50000] ^= 0x81;   /* unit 12 (0xC000..0xCFFF) */
    p = write_and_check(f, 0, d, 100000);
    /* One subsector erased and its 16 pages programmed back; 24 skipped. */
    assert_int_equal(p.units_unchanged, 24);
    assert_int_equal(p.erases_small, 1);
    assert_int_equal(p.erases_large, 0);
    assert_int_equal(p.ops[0].kind, FLASH_OP_ERASE_SMALL);
    assert_int_equal(p.ops[0].off, 0xC000);
    assert_int_equal(p.progs, 16);
    flash_plan_free(&p);
    free(d);
}

static void whole_sector_change_uses_sector_erase(void **state)
{
    fx *f = *state;
    uint32_t len = 3 * 65536;
    uint8_t *d = malloc(len);
    fill(d, len, 4);
    flash_plan p = write_and_check(f, 0x8000, d, len);
    flash_plan_free(&p);
    fill(d, len, 5);   /* every byte changes */
    p = write_and_check(f, 0x8000, d, len);
    /* 0x8000..0x38000: subsectors 8..15 of sector 0 (8 small erases), sectors
     * 1 and 2 whole (2 large erases), subsectors 0..7 of sector 3 (8 small). */
    assert_int_equal(p.erases_large, 2);
    assert_int_equal(p.erases_small, 16);
    double typ, max;
    board b;
    memset(&b, 0, sizeof b);
    b.page_program = f->c.page_program;
    b.subsector_erase = f->c.subsector_erase;
    b.sector_erase = f->c.sector_erase;
    b.chip_erase = f->c.chip_erase;
    flash_plan_time(&p, &b, &typ, &max);
    /* 768 pages * 0.5 + 16 * 250 + 2 * 700 = 384 + 4000 + 1400 = 5784 ms. */
    assert_int_equal(p.progs, 768);
    assert_true(typ > 5784 - 1e-6 && typ < 5784 + 1e-6);
    flash_plan_free(&p);
    free(d);
}

static void bytes_sharing_a_unit_are_preserved(void **state)
{
    fx *f = *state;
    uint8_t a[300], b[100];
    fill(a, sizeof a, 6);
    fill(b, sizeof b, 7);
    /* Something else lives at 0x1000..0x112B; our data at 0x1200 shares the
     * subsector.  Overwriting ours (needs an erase) keeps theirs. */
    flash_plan p = write_and_check(f, 0x1000, a, sizeof a);
    flash_plan_free(&p);
    p = write_and_check(f, 0x1200, b, sizeof b);
    flash_plan_free(&p);
    fill(b, sizeof b, 8);
    p = write_and_check(f, 0x1200, b, sizeof b);
    assert_int_equal(p.erases_small, 1);
    flash_plan_free(&p);
}

static void erase_plan_skips_blank_units(void **state)
{
    fx *f = *state;
    uint8_t d[10];
    char err[256];
    flash_plan p;
    fill(d, sizeof d, 9);
    p = write_and_check(f, 0x3000, d, sizeof d);
    flash_plan_free(&p);
    /* Erase 0..0x10000: only unit 3 holds data. */
    assert_true(flash_plan_erase(&f->s.dev, 0, 0x10000, false, &p, err, sizeof err));
    assert_int_equal(p.erases_small, 1);
    assert_int_equal(p.units_unchanged, 15);
    assert_int_equal(flash_plan_run(&f->s.dev, &p, NULL, NULL), FLASH_OK);
    flash_plan_free(&p);
    memset(f->expect + 0x3000, 0xFF, sizeof d);
    assert_memory_equal(f->mem, f->expect, SIZE);
    /* Chip erase of a blank chip: nothing to do. */
    assert_true(flash_plan_erase(&f->s.dev, 0, 0, true, &p, err, sizeof err));
    assert_int_equal(p.nops, 0);
    flash_plan_free(&p);
    /* Misaligned erase range is refused. */
    assert_false(flash_plan_erase(&f->s.dev, 0x100, 0x1000, false, &p, err, sizeof err));
    assert_non_null(strstr(err, "not aligned"));
}

static void out_of_range_is_refused(void **state)
{
    fx *f = *state;
    uint8_t d[16] = {0};
    flash_plan p;
    char err[256];
    assert_false(flash_plan_write(&f->s.dev, SIZE - 8, d, 16, &p, err, sizeof err));
    assert_non_null(strstr(err, "do not fit"));
    assert_int_equal(f->s.st.ops, 0);
}

static void compare_finds_first_difference(void **state)
{
    fx *f = *state;
    uint8_t d[1000];
    fill(d, sizeof d, 10);
    flash_plan p = write_and_check(f, 0, d, sizeof d);
    flash_plan_free(&p);
    bool same;
    uint32_t first, crc;
    uint64_t n;
    uint8_t found;
    assert_int_equal(flash_compare(&f->s.dev, 0, d, sizeof d, &same, &first, &n, &crc, &found),
                     FLASH_OK);
    assert_true(same);
    assert_int_equal(crc, kiln_crc32(0, d, sizeof d));
    f->mem[700] ^= 1;
    f->mem[900] ^= 1;
    assert_int_equal(flash_compare(&f->s.dev, 0, d, sizeof d, &same, &first, &n, &crc, &found),
                     FLASH_OK);
    assert_false(same);
    assert_int_equal(first, 700);
    assert_int_equal(n, 2);
    assert_int_equal(found, d[700] ^ 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(write_to_erased_chip_needs_no_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(rewrite_of_same_bytes_does_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(one_changed_byte_erases_one_subsector, setup, teardown),
        cmocka_unit_test_setup_teardown(whole_sector_change_uses_sector_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(bytes_sharing_a_unit_are_preserved, setup, teardown),
        cmocka_unit_test_setup_teardown(erase_plan_skips_blank_units, setup, teardown),
        cmocka_unit_test_setup_teardown(out_of_range_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(compare_finds_first_difference, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
