/*
 * test_board.c - board descriptors: the shipped ones parse to the facts in
 * shared/boards/README.md (values copied here from that table), and broken
 * descriptors are refused with the file and field named.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "flash/board.h"

static void load(const char *name, board *b)
{
    char err[1024];
    if (!board_find(KILN_ROOT "/boards", name, b, err, sizeof err))
        fail_msg("%s", err);
}

static void h747_facts(void **state)
{
    (void)state;
    board b;
    load("stm32h747i-disco", &b);
    assert_string_equal(b.part, "MT25TL01G");
    assert_int_equal(b.base, 0x90000000u);
    assert_int_equal(b.size, 128u << 20);
    assert_int_equal(b.sector_size, 128u << 10);   /* as the ST loader sees it */
    assert_int_equal(b.erase_value, 0xFF);
    assert_true(b.page_program.typ_ms == 0.12 && b.page_program.max_ms == 1.8);
    assert_true(b.sector_erase.typ_ms == 220 && b.sector_erase.max_ms == 2000);
    assert_true(b.chip_erase.typ_ms == 150000 && b.chip_erase.max_ms == 300000);
    assert_true(b.nassumptions >= 1);
    board_free(&b);
}

static void every_board_in_the_readme(void **state)
{
    (void)state;
    static const struct {
        const char *name, *part;
        uint64_t base;
        uint32_t size_mib;
    } want[] = {
        {"stm32h747i-disco", "MT25TL01G", 0x90000000u, 128},
        {"stm32h745i-disco", "MT25TL01G", 0x90000000u, 128},
        {"stm32h7b3i-dk", "MX25LM51245G", 0x90000000u, 64},
        {"stm32f746g-disco", "N25Q128A", 0x90000000u, 16},
        {"stm32f769i-disco", "MX25L51245G", 0x90000000u, 64},
        {"b-u585i-iot02a", "MX25LM51245G", 0x70000000u, 64},
        {"stm32n6570-dk", "MX66UW1G45G", 0x70000000u, 128},
        {"qemu-mps2-an500", NULL, 0x60000000u, 16},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        board b;
        load(want[i].name, &b);
        if (want[i].part)
            assert_string_equal(b.part, want[i].part);
        assert_int_equal(b.base, want[i].base);
        assert_int_equal(b.size, want[i].size_mib << 20);
        board_free(&b);
    }
    board *all;
    char err[1024];
    int n = board_list(KILN_ROOT "/boards", &all, err, sizeof err);
    assert_true(n >= 8);   /* more may be added */
    for (int i = 0; i < n; i++)
        board_free(&all[i]);
    free(all);
}

/* Writes `text` as DIR/NAME.json and tries to load it. */
static bool try_descriptor(const char *name, const char *text, char *err, size_t errlen)
{
    char dir[] = "/tmp/kiln-board-test.XXXXXX";
    if (!mkdtemp(dir))
        fail_msg("mkdtemp");
    char path[256];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    board b;
    bool ok = board_find(dir, name, &b, err, errlen);
    if (ok)
        board_free(&b);
    remove(path);
    rmdir(dir);
    return ok;
}

#define GOOD_FLASH                                                                       \
    "\"flash\": {\"part\": \"X\", \"interface\": \"QSPI\", \"base\": \"0x90000000\", "  \
    "\"size\": \"1 MiB\", \"erase_value\": 255, \"sector_size\": \"64 KiB\", "          \
    "\"subsector_size\": 4096, \"page_size\": 256}"
#define GOOD_TIMING                                                                      \
    "\"timing_ms\": {\"page_program\": {\"typ\": 1, \"max\": 2}, "                        \
    "\"subsector_erase\": {\"typ\": 1, \"max\": 2}, \"sector_erase\": {\"typ\": 1, "      \
    "\"max\": 2}, \"chip_erase\": {\"typ\": 1, \"max\": 2}}"

static void broken_descriptors_name_the_field(void **state)
{
    (void)state;
    char err[1024];
    assert_true(try_descriptor("ok", "{\"name\": \"ok\", \"title\": \"T\", " GOOD_FLASH ", "
                               GOOD_TIMING "}", err, sizeof err));
    assert_false(try_descriptor("nm", "{\"name\": \"other\", \"title\": \"T\", " GOOD_FLASH ", "
                                GOOD_TIMING "}", err, sizeof err));
    assert_non_null(strstr(err, "field 'name' is \"other\" but the file is named nm.json"));
    assert_false(try_descriptor("js", "{\"name\": \"js\",", err, sizeof err));
    assert_non_null(strstr(err, "not valid JSON"));
    assert_false(try_descriptor("nt", "{\"name\": \"nt\", \"title\": \"T\", " GOOD_FLASH "}", err,
                                sizeof err));
    assert_non_null(strstr(err, "'timing_ms' are required"));
    assert_false(try_descriptor("tm", "{\"name\": \"tm\", \"title\": \"T\", " GOOD_FLASH ", "
                                "\"timing_ms\": {\"page_program\": {\"typ\": 3, \"max\": 2}, "
                                "\"subsector_erase\": {\"typ\": 1, \"max\": 2}, "
                                "\"sector_erase\": {\"typ\": 1, \"max\": 2}, "
                                "\"chip_erase\": {\"typ\": 1, \"max\": 2}}}", err, sizeof err));
    assert_non_null(strstr(err, "'timing_ms.page_program' has typ 3 ms and max 2 ms"));
    assert_false(try_descriptor("as", "{\"name\": \"as\", \"title\": \"T\", " GOOD_FLASH ", "
                                GOOD_TIMING ", \"assumptions\": {\"flash.speed\": \"x\"}}", err,
                                sizeof err));
    assert_non_null(strstr(err, "assumptions entry 'flash.speed'"));
    assert_false(try_descriptor("zz", "{\"name\": \"zz\", \"title\": \"T\", " GOOD_TIMING ", "
                                "\"flash\": {\"part\": \"X\", \"interface\": \"Q\", "
                                "\"base\": \"0x90000000\", \"size\": \"1 MiB\", "
                                "\"erase_value\": 255, \"sector_size\": \"64 KiB\", "
                                "\"subsector_size\": \"128 KiB\", \"page_size\": 256}}", err,
                                sizeof err));
    assert_non_null(strstr(err, "subsector_size 131072 is larger than sector_size 65536"));
    assert_false(try_descriptor("sz", "{\"name\": \"sz\", \"title\": \"T\", " GOOD_TIMING ", "
                                "\"flash\": {\"part\": \"X\", \"interface\": \"Q\", "
                                "\"base\": \"0x90000000\", \"size\": \"lots\", "
                                "\"erase_value\": 255, \"sector_size\": \"64 KiB\", "
                                "\"page_size\": 256}}", err, sizeof err));
    assert_non_null(strstr(err, "field 'flash.size' is \"lots\""));
}

static void unknown_board_lists_known_ones(void **state)
{
    (void)state;
    board b;
    char err[1024];
    assert_false(board_find(KILN_ROOT "/boards", "stm32h999", &b, err, sizeof err));
    assert_non_null(strstr(err, "unknown board 'stm32h999'"));
    assert_non_null(strstr(err, "stm32h747i-disco"));
    assert_false(board_find(KILN_ROOT "/boards", "../boards/stm32h747i-disco", &b, err,
                            sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(h747_facts),
        cmocka_unit_test(every_board_in_the_readme),
        cmocka_unit_test(broken_descriptors_name_the_field),
        cmocka_unit_test(unknown_board_lists_known_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
