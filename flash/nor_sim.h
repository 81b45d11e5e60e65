/*
 * nor_sim.h - a NOR flash chip in memory, with the rules that bite real
 * programmers, a clock, wear counters and power cuts.
 *
 * Rules kept (as the chips in boards/ document them):
 *   - erased bytes read `erase_value` (0xFF);
 *   - a page program ANDs data into the array: it can clear bits, never set
 *     one back; bytes past the end of the page wrap to the start of the same
 *     page, and when more than a page is sent only the last page's worth of
 *     bytes is programmed;
 *   - erase works on an aligned subsector, an aligned sector, or the chip;
 *   - every operation costs the descriptor's typical and worst-case time (a
 *     page program costs a full page's time whatever its length: the chips'
 *     datasheets give no per-byte figure);
 *   - each smallest erase unit counts how often it was erased.
 *
 * Fault injection cuts the power after N operations or after N bytes: the
 * operation in progress stops part-way, with the byte it stopped on holding
 * a random mix of its old and new bits, and every later call fails with
 * FLASH_E_POWER.  Deterministic for a given seed.
 */
#ifndef KILN_FLASH_NOR_SIM_H
#define KILN_FLASH_NOR_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "flash/board.h"
#include "flash/flash_dev.h"

typedef struct nor_config {
    uint32_t size, page_size, subsector_size, sector_size;
    uint8_t erase_value;
    board_time page_program, subsector_erase, sector_erase, chip_erase;
} nor_config;

typedef struct nor_stats {
    uint64_t ops;               /* prog + erase calls that ran (a cut one included) */
    uint64_t progs, prog_bytes; /* page programs and bytes they carried into the array */
    uint64_t erases_sub, erases_sector, erases_chip;
    uint64_t erase_bytes;
    double typ_ms, max_ms;      /* modelled time */
} nor_stats;

typedef struct nor_sim {
    flash_dev dev;          /* first member: the callbacks get &sim->dev */
    nor_config cfg;
    uint8_t *mem;           /* cfg.size bytes, owned by the caller */
    uint32_t *erase_count;  /* per subsector */
    nor_stats st;
    /* Fault injection. */
    uint64_t cut_ops;       /* UINT64_MAX: never; else ops that complete before the cut */
    uint64_t cut_bytes;     /* UINT64_MAX: never; else bytes that complete before the cut */
    uint64_t bytes_done;    /* bytes programmed + erased so far */
    uint32_t rng;
    bool off;               /* the power was cut */
} nor_sim;

/* The NOR geometry and timing a board descriptor gives. */
void nor_config_from_board(nor_config *c, const board *b);

/* Wraps `mem` (c->size bytes; its content is the chip's, not changed here).
 * `base` is only for messages. */
void nor_sim_init(nor_sim *s, const nor_config *c, uint8_t *mem, uint64_t base);
void nor_sim_free(nor_sim *s);

/* Power fails during the operation after the first `n` ones, at a random
 * byte inside it (n = 0: during the first). */
void nor_sim_cut_after_ops(nor_sim *s, uint64_t n, uint32_t seed);
/* Power fails when exactly `n` bytes (programmed or erased, in order) are
 * done; the next byte is left with a random mix of old and new bits. */
void nor_sim_cut_after_bytes(nor_sim *s, uint64_t n, uint32_t seed);

/* Highest erase count of any subsector. */
uint32_t nor_sim_max_erase_count(const nor_sim *s);

#endif
