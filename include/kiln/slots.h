/*
 * slots.h - two-slot (A/B) weights storage: which blob to use after an
 * update that may have been cut short by a power loss.
 *
 * The flash region is split into two commit-record areas and two blob slots
 * (docs/ab-update.md has every offset).  An update writes the slot not in
 * use, verifies it, and only then appends a commit record naming it; so at
 * every instant one slot holds a complete blob and a record says so.
 * kiln_slots_select() reads the region as the MCU sees it (memory-mapped,
 * read-only) and returns the newest slot whose blob passes every check of
 * kiln_blob_check(), falling back to the other one.
 *
 * Freestanding C99: no allocation, no globals, nothing written.
 */
#ifndef KILN_SLOTS_H
#define KILN_SLOTS_H

#include <stddef.h>
#include <stdint.h>
#include "kiln/blob.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Commit record: 32 bytes, little-endian, appended in a record area. */
#define KILN_SLOTS_REC_SIZE 32u
#define KILN_SLOTS_REC_MAGIC0 0x4Bu /* 'K' */
#define KILN_SLOTS_REC_MAGIC1 0x4Cu /* 'L' */
#define KILN_SLOTS_REC_MAGIC2 0x4Eu /* 'N' */
#define KILN_SLOTS_REC_MAGIC3 0x43u /* 'C' */
#define KILN_SLOTS_REC_VERSION 1u

#define KILN_SLOTS_REC_OFF_MAGIC 0u        /* u8[4]  "KLNC" */
#define KILN_SLOTS_REC_OFF_VERSION 4u      /* u16    1 */
#define KILN_SLOTS_REC_OFF_SIZE 6u         /* u16    32 */
#define KILN_SLOTS_REC_OFF_SEQ 8u          /* u32    commit number, 1, 2, ... */
#define KILN_SLOTS_REC_OFF_SLOT 12u        /* u8     0 = slot A, 1 = slot B */
#define KILN_SLOTS_REC_OFF_RESERVED0 13u   /* u8[3]  zero */
#define KILN_SLOTS_REC_OFF_BLOB_SIZE 16u   /* u32    header + payload bytes of the blob */
#define KILN_SLOTS_REC_OFF_BLOB_HCRC 20u   /* u32    the blob's header CRC (bytes 60..63) */
#define KILN_SLOTS_REC_OFF_RESERVED1 24u   /* u32    zero */
#define KILN_SLOTS_REC_OFF_CRC 28u         /* u32    CRC-32 of record bytes 0..27 */

/* Blobs are placed at multiples of this inside the region (the largest
 * alignment a blob header may ask for). */
#define KILN_SLOTS_BLOB_ALIGN 4096u

/* Where everything sits, from the region size and its erase unit. */
typedef struct kiln_slots_layout {
    uint32_t unit;              /* bytes per record area: one erase unit */
    uint32_t record_off[2];     /* record areas 0 and 1 */
    uint32_t slot_off[2];       /* slot A, slot B */
    uint32_t slot_size;         /* bytes per slot */
} kiln_slots_layout;

/* erase_unit: the smallest erase unit of the flash (a power of two, 64 bytes
 * to 1 MiB).  KILN_E_ARG when the region is too small for two slots. */
kiln_status kiln_slots_layout_init(kiln_slots_layout *l, uint32_t region_size, uint32_t erase_unit);

/* A decoded commit record. */
typedef struct kiln_slots_record {
    uint32_t seq, slot, blob_size, blob_hcrc;
} kiln_slots_record;

/* Decodes one 32-byte entry into *r; 1 only if magic, record CRC, version,
 * size, reserved bytes, slot number and sequence number are all right. */
int kiln_slots_record_valid(const uint8_t *entry, kiln_slots_record *r);

/* What the record areas hold (used by the host-side writer to append). */
typedef struct kiln_slots_scan {
    uint32_t records;           /* valid records seen */
    uint32_t newest_area;       /* area of the newest valid record (0 if none) */
    kiln_slots_record newest;   /* seq 0 if there is none */
    uint32_t next_free[2];      /* per area: entry after the last one not erased (0xFF) */
} kiln_slots_scan;

void kiln_slots_scan_records(const uint8_t *region, const kiln_slots_layout *l, kiln_slots_scan *s);

/* Flag for kiln_slots_select (combines with KILN_BLOB_CHECK_*): accept each
 * blob's own signature; for host tools that do not know the firmware's. */
#define KILN_SLOTS_ANY_SIGNATURE 0x100u

typedef struct kiln_slots_choice {
    const uint8_t *blob;        /* the blob to use; NULL when none passes */
    uint32_t blob_size;
    uint32_t slot;              /* 0 = A, 1 = B */
    uint32_t seq;               /* the commit record that names it; 0 if none does */
    uint32_t fell_back;         /* 1: a newer record names a slot that failed */
    uint32_t checked[2];        /* 1 where kiln_blob_check ran on that slot */
    kiln_status slot_status[2]; /* its result, where checked */
} kiln_slots_choice;

/*
 * Picks the blob to use.  region: the A/B region as mapped (aligned to
 * KILN_SLOTS_BLOB_ALIGN), region_size and erase_unit as given to the host
 * tool (`kiln flash update` prints them).  Returns KILN_OK with out->blob set,
 * KILN_E_NO_VALID_SLOT when neither slot passes, KILN_E_ARG for a bad layout.
 */
kiln_status kiln_slots_select(const uint8_t *region, uint32_t region_size, uint32_t erase_unit,
                              uint64_t signature, uint32_t flags, kiln_slots_choice *out);

/*
 * The same choice with the check kiln_net_init will run (every header field
 * and the payload's CRC-32 or SHA-256 against what the code was built for):
 * pass &NET_model.blob.  A slot holding a blob crafted to pass the
 * structural check is then skipped in favour of the other, instead of being
 * chosen and refused at init.  KILN_E_MODEL when expect is NULL.
 */
kiln_status kiln_slots_select_model(const uint8_t *region, uint32_t region_size, uint32_t erase_unit,
                                    const kiln_blob_expect *expect, uint32_t flags, kiln_slots_choice *out);

#ifdef __cplusplus
}
#endif
#endif
