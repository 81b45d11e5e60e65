/*
 * fuzz_board.c - fuzz target: arbitrary bytes as a board descriptor
 * (flash/board.c, the JSON files in boards/, docs/boards.md).
 *
 * board_load() reads a file, so each input is written to a private temporary
 * directory first, named after the descriptor's "name" when that is a plain
 * file name (the loader insists the two match, and a mismatch would end
 * every run before the success path).  A descriptor that loads must keep the
 * geometry rules docs/boards.md states, which the flash planner relies on;
 * one that does not must say why.
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flash/board.h"
#include "fuzz_util.h"

static char dir[256];

static void remove_tmp_dir(void)
{
    rmdir(dir);
}

static const char *tmp_dir(void)
{
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/kiln-fuzz-board-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_tmp_dir);
    }
    return dir;
}

/* The "name" field when it can be a file stem, else "board". */
static void file_stem(const uint8_t *data, size_t size, char *stem, size_t cap)
{
    snprintf(stem, cap, "board");
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (cJSON_IsString(n) && n->valuestring[0] && strlen(n->valuestring) < 64 &&
        strspn(n->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
            strlen(n->valuestring))
        snprintf(stem, cap, "%s", n->valuestring);
    cJSON_Delete(root);
}

static int pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static void check_board(const board *b)
{
    if (!b->name || !b->title || !b->part || !b->interface || !b->path || !b->part_note ||
        !b->cubeprog_loader || !b->openocd_config || !b->jlink_device || !b->note)
        fuzz_fail("a board that loaded has a NULL string field");
    if (!pow2(b->page_size) || !pow2(b->subsector_size) || !pow2(b->sector_size) ||
        b->page_size < 16 || b->page_size > b->subsector_size || b->subsector_size > b->sector_size)
        fuzz_fail("board geometry page %u subsector %u sector %u breaks the documented rules",
                  b->page_size, b->subsector_size, b->sector_size);
    if (b->size < 2ull * b->sector_size || b->size % b->sector_size || b->base % b->sector_size ||
        b->base + b->size > 0x100000000ull)
        fuzz_fail("board base 0x%llx size %u sector %u breaks the documented rules",
                  (unsigned long long)b->base, b->size, b->sector_size);
    for (int i = 0; i < b->nassumptions; i++)
        if (!b->assumptions[i])
            fuzz_fail("assumption %d is NULL", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char stem[80], path[512], err[1024];
    file_stem(data, size, stem, sizeof stem);
    snprintf(path, sizeof path, "%s/%s.json", tmp_dir(), stem);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f))
        abort();
    board b;
    err[0] = 0;
    if (board_load(path, &b, err, sizeof err)) {
        check_board(&b);
        board_free(&b);
    } else if (!err[0]) {
        fuzz_fail("board_load failed without a message");
    }
    remove(path);
    return 0;
}
