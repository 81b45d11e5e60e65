/*
 * stream_plan.h - stream mode's reads: which blob bytes each kernel call
 * stages, and the staging buffer that holds them (docs/streaming.md).
 */
#ifndef KILN_STREAM_PLAN_H
#define KILN_STREAM_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"

typedef struct stream_stage {
    uint32_t offset;    /* blob offset of the read before this call */
    uint32_t len;       /* bytes; 0: this call reads nothing (none of its own, or an earlier read holds them) */
    uint32_t crc;       /* CRC-32 of those bytes, carried by the code */
    uint32_t base;      /* blob offset of the staging buffer's first byte during this call */
} stream_stage;

/* After the blob is built: one read per call covering its blob constants,
 * merged with the following calls' while they fit in the staging buffer (the
 * largest call's range, and at least the header, directory and names the
 * init check reads at once), which is appended to the arena.  False with
 * a message when the arena would pass PLAN_MAX_BYTES. */
bool stream_plan_build(compiled *c, char *err, size_t errlen);

/* Where a constant's bytes sit in the staging buffer of call i. */
uint32_t stream_stage_rel(const compiled *c, int call, int tensor);

#endif
