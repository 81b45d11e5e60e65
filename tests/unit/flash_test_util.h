/*
 * flash_test_util.h - helpers shared by the flash unit tests: a small NOR
 * chip with round timings and blobs made by the one blob writer (blob_build).
 * Header-only so each test stays one file plus this.
 */
#ifndef KILN_FLASH_TEST_UTIL_H
#define KILN_FLASH_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/blob_write.h"
#include "flash/nor_sim.h"
#include "kiln/slots.h"

#define TEST_SIG 0x0123456789ABCDEFull

static inline nor_config test_chip(uint32_t size)
{
    nor_config c;
    memset(&c, 0, sizeof c);
    c.size = size;
    c.page_size = 256;
    c.subsector_size = 4096;
    c.sector_size = 65536;
    c.erase_value = 0xFF;
    c.page_program = (board_time){0.5, 5};
    c.subsector_erase = (board_time){250, 800};
    c.sector_erase = (board_time){700, 3000};
    c.chip_erase = (board_time){120000, 240000};
    return c;
}

/* A one-tensor blob of `nbytes` pseudo-random bytes (distinct per seed). */
static inline uint8_t *test_blob(uint32_t seed, size_t nbytes, uint64_t sig, size_t *len)
{
    uint8_t *data = malloc(nbytes ? nbytes : 1), *out = NULL;
    uint32_t x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < nbytes; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (uint8_t)x;
    }
    blob_tensor t = {"weights", data, nbytes, KILN_BLOB_DT_S8, KILN_BLOB_KIND_WEIGHTS, 0};
    char err[256];
    if (!blob_build(&t, 1, 64, sig, &out, len, err, sizeof err)) {
        fprintf(stderr, "blob_build: %s\n", err);
        abort();
    }
    free(data);
    return out;
}

/* A blob image and its length, as the A/B update tests pass them around. */
typedef struct test_image {
    uint8_t *b;
    size_t n;
} test_image;

/* Which blob the runtime (kiln_slots_select, the firmware's code) runs from a
 * region of `size` bytes: 0 old, 1 new, -1 neither (or no valid slot). */
static inline int test_pick(const uint8_t *mem, uint32_t size, const test_image *old,
                            const test_image *new)
{
    kiln_slots_choice ch;
    if (kiln_slots_select(mem, size, 4096, TEST_SIG, 0, &ch) != KILN_OK)
        return -1;
    if (ch.blob_size == old->n && !memcmp(ch.blob, old->b, old->n))
        return 0;
    if (ch.blob_size == new->n && !memcmp(ch.blob, new->b, new->n))
        return 1;
    return -1;
}

#endif
