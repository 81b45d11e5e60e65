/*
 * stream_plan.c - plans stream mode's reads (docs/streaming.md).
 *
 * The blob lays constants out in the order calls first use them, so the
 * constants of one call are one contiguous range, and the calls' ranges go
 * up through the blob: one read per call, in address order, each weight byte
 * once per inference.  (A constant a later call uses again is read again;
 * the report's bytes-read figure counts it.)  The staging buffer is the
 * largest read, placed after everything the memory plan placed, so the plan
 * itself is untouched.  Relies on compile.c having built the blob; never
 * changes the blob or the calls.
 */
#include "passes/stream_plan.h"

#include <stdio.h>
#include <stdlib.h>

#include "kiln/blob.h"
#include "passes/plan.h"
#include "util/fileio.h"
#include "util/sbuf.h"

/* The blob range [lo, hi) of call i's constants; hi == 0 when it has none. */
static void call_range(const compiled *c, int i, uint32_t *lo, uint32_t *hi)
{
    const lir_call *call = &c->prog.calls[i];
    *lo = UINT32_MAX;
    *hi = 0;
    for (int a = 0; a < call->n_args; a++) {
        if (call->args[a].kind != LIR_ARG_TENSOR || c->pl.home[call->args[a].tensor] != PLAN_BLOB)
            continue;
        int r = c->pl.root[call->args[a].tensor];
        if (c->blob_of[r] < 0)
            continue; /* kept inline by --internal-budget */
        const blob_tensor *bt = &c->bt[c->blob_of[r]];
        if (bt->offset < *lo)
            *lo = bt->offset;
        if (bt->offset + bt->nbytes > *hi)
            *hi = (uint32_t)(bt->offset + bt->nbytes);
    }
}

bool stream_plan_build(compiled *c, char *err, size_t errlen)
{
    c->stage = xcalloc((size_t)c->prog.n_calls + 1, sizeof *c->stage);
    /* The init check reads header, directory and names in one piece. */
    size_t most = kiln_rd_u32(c->blob + KILN_BLOB_OFF_DATA);
    c->stream_bytes_read = 0;
    for (int i = 0; i < c->prog.n_calls; i++) {
        uint32_t lo, hi;
        call_range(c, i, &lo, &hi);
        if (hi == 0)
            continue;
        stream_stage *s = &c->stage[i];
        s->offset = lo;
        s->len = hi - lo;
        s->crc = kiln_crc32(0, c->blob + lo, s->len);
        c->stream_bytes_read += s->len;
        if (s->len > most)
            most = s->len;
    }
    c->stage_offset = (c->pl.arena_bytes + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
    c->stage_bytes = (most + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
    if ((unsigned long long)c->stage_offset + c->stage_bytes > PLAN_MAX_BYTES) {
        snprintf(err, errlen, "the arena (%zu bytes) and the stream staging buffer (%zu bytes) pass 4 GiB",
                 c->pl.arena_bytes, c->stage_bytes);
        return false;
    }
    c->pl.arena_bytes = c->stage_offset + c->stage_bytes;
    return true;
}

uint32_t stream_stage_rel(const compiled *c, int call, int tensor)
{
    const blob_tensor *bt = &c->bt[c->blob_of[c->pl.root[tensor]]];
    return bt->offset - c->stage[call].offset;
}
