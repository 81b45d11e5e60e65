/*
 * program.h - plans and runs writes and erases on a flash_dev: which units to
 * erase, which pages to program, which to leave alone.
 *
 * A plan is made from what the device holds now and what it must hold
 * afterwards, so a re-write of the same blob erases and programs nothing, and
 * a changed blob touches only the erase units that changed.  Bytes that share
 * an erase unit with the target range but lie outside it are preserved (read
 * before the erase, programmed back after).
 */
#ifndef KILN_FLASH_PROGRAM_H
#define KILN_FLASH_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/board.h"
#include "flash/flash_dev.h"

typedef enum flash_op_kind {
    FLASH_OP_ERASE_SMALL,   /* one subsector */
    FLASH_OP_ERASE_LARGE,   /* one sector */
    FLASH_OP_ERASE_CHIP,
    FLASH_OP_PROG           /* one page program (never crosses a page) */
} flash_op_kind;

typedef struct flash_op {
    flash_op_kind kind;
    uint32_t off, len;      /* device offsets; PROG data is want[off - lo] */
} flash_op;

typedef struct flash_plan {
    uint32_t lo, hi;        /* span planned, aligned to erase units: [lo, hi) */
    bool in_place;          /* RAM: written as given, no erase */
    uint8_t *want;          /* hi - lo bytes the span must hold afterwards */
    flash_op *ops;
    int nops, cap;
    /* What the plan does, for the report. */
    uint32_t units;             /* erase units in the span (0 on RAM) */
    uint32_t units_unchanged;   /* already right: skipped */
    uint32_t units_prog_only;   /* only erased pages to fill: no erase needed */
    uint32_t erases_small, erases_large, erases_chip;
    uint32_t progs;
    uint64_t prog_bytes;
    uint64_t work;              /* bytes erased + programmed: the progress bar's 100% */
} flash_plan;

/* Plans writing `len` bytes of `data` at device offset `off`.  Reads the
 * current content of the affected erase units through d->read.  Fails (with
 * `err`) if the range does not fit or the read fails; changes nothing. */
bool flash_plan_write(flash_dev *d, uint32_t off, const uint8_t *data, uint32_t len,
                      flash_plan *p, char *err, size_t errlen);

/* Plans erasing [off, off+len) (aligned to the smallest erase unit), or the
 * whole chip when `chip`; units already erased are skipped. */
bool flash_plan_erase(flash_dev *d, uint32_t off, uint32_t len, bool chip, flash_plan *p,
                      char *err, size_t errlen);

typedef void (*flash_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* Runs the plan in order, then d->sync.  Stops at the first failure (the
 * device's message is in d->err). */
flash_rc flash_plan_run(flash_dev *d, const flash_plan *p, flash_progress_fn progress, void *ctx);

void flash_plan_free(flash_plan *p);

/* The plan's modelled duration on board `b`'s chip. */
void flash_plan_time(const flash_plan *p, const board *b, double *typ_ms, double *max_ms);

/* What writing `len` bytes at device offset `off` over old data costs on
 * board b's chip: every erase unit of the range erased (sectors where whole
 * ones fit), every page programmed.  For targets whose own operations say
 * nothing about the chip (RAM over GDB). */
void flash_time_full_rewrite(const board *b, uint32_t off, uint32_t len, double *typ_ms,
                             double *max_ms);

/* Reads [off, off+len) back and compares it with `data`.  *same tells the
 * result; on a mismatch *first_diff is the offset (from `off`) of the first
 * differing byte and *ndiff the count.  *crc is the CRC-32 of what was read. */
flash_rc flash_compare(flash_dev *d, uint32_t off, const uint8_t *data, uint32_t len, bool *same,
                       uint32_t *first_diff, uint64_t *ndiff, uint32_t *crc, uint8_t *found_byte);

/* Reads [off, off+len) into buf in chunks (with progress). */
flash_rc flash_read_range(flash_dev *d, uint32_t off, uint8_t *buf, uint32_t len,
                          flash_progress_fn progress, void *ctx);

#endif
