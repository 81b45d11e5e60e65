/*
 * ab_update.h - power-fail-safe blob update into a two-slot (A/B) region.
 *
 * The region layout and the commit record are defined by the runtime
 * (include/kiln/slots.h, docs/ab-update.md); this is the one writer of them.
 */
#ifndef KILN_FLASH_AB_UPDATE_H
#define KILN_FLASH_AB_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/flash_dev.h"
#include "flash/program.h"
#include "kiln/slots.h"

typedef struct ab_state {
    kiln_slots_layout layout;
    kiln_slots_scan scan;
    kiln_slots_choice choice;   /* what the runtime would pick now (any signature) */
    kiln_status status;         /* of that choice */
} ab_state;

typedef struct ab_result {
    kiln_slots_layout layout;
    kiln_status before;         /* the runtime's choice before the update: status, */
    uint32_t before_slot, before_seq;   /* slot and record */
    bool up_to_date;            /* the active slot already held this blob: nothing written */
    bool had_active;            /* a valid slot existed before */
    uint32_t old_slot;          /* it, when had_active */
    uint32_t slot;              /* slot written */
    uint32_t seq;               /* commit record written */
    bool record_area_erased;    /* the append moved to the other record area */
    flash_plan plan;            /* the slot write (counts for the report) */
    uint32_t record_progs;      /* record programs (1) */
} ab_result;

/* Reads the region [off, off + size) of the device and works out its state.
 * `buf` receives the region (size bytes, aligned to KILN_SLOTS_BLOB_ALIGN). */
bool ab_read_state(flash_dev *d, uint32_t off, uint32_t size, uint8_t *buf, ab_state *st,
                   char *err, size_t errlen);

/*
 * Writes `blob` into the inactive slot of the region, verifies it, then
 * commits it (see the invariant in runtime/slots.c).  A failure at any point
 * (including a power cut of a simulated device) leaves the previously active
 * blob the one kiln_slots_select returns.  `dry_run` plans only.
 */
bool ab_update(flash_dev *d, uint32_t off, uint32_t size, const uint8_t *blob, uint32_t len,
               bool dry_run, flash_progress_fn progress, void *ctx, ab_result *r, char *err,
               size_t errlen);

/* The region size for slots of `blob_len` bytes with erase unit `unit`: the
 * two record areas, then two slots of blob_len rounded up to max(unit,
 * 4 KiB) (0 when that passes 4 GiB). */
uint64_t ab_region_size_for(uint32_t unit, uint32_t blob_len);

/*
 * The region size when the user gives none.  A region that already holds
 * commit records keeps the layout they were written with (the record areas
 * sit at the same offsets whatever the size, so they are read first): of
 * the sizes for each record's blob, oldest first, the one under which the
 * newest record describes its slot and the most records do; when none
 * does, the layout is not one Kiln chose and the caller must give the size.
 * An empty region gets the size for `blob_len` (0: none known, an error).
 * *from_record is the blob size the chosen layout was sized for, or 0.
 */
bool ab_default_size(flash_dev *d, uint32_t off, uint32_t blob_len, uint32_t *size,
                     uint32_t *from_record, char *err, size_t errlen);

/*
 * The first state of an A/B region of `size` bytes with erase unit `unit`
 * holding `blob` in slot A: record area 0 with record #1 naming slot A, both
 * areas otherwise erased, then slot A up to the blob's end (*n bytes from
 * the region start; free() it).  What `kiln flash update` leaves in an
 * erased region, for vendor programmers (STM32CubeProgrammer erases the
 * units a file touches, so the areas come out erased).  NULL with err when
 * the blob does not fit a slot.
 */
uint8_t *ab_first_state(uint32_t unit, uint32_t size, const uint8_t *blob, uint32_t len,
                        uint32_t *n, char *err, size_t errlen);

/* Encodes a commit record (the inverse of kiln_slots_record_valid). */
void ab_record_encode(uint8_t out[KILN_SLOTS_REC_SIZE], const kiln_slots_record *r);

/* A heap buffer of n bytes aligned to KILN_SLOTS_BLOB_ALIGN (free with free()). */
uint8_t *ab_alloc_aligned(size_t n);

#endif
