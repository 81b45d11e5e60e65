/*
 * stream_plan.c - plans stream mode's reads (docs/streaming.md).
 *
 * The blob lays constants out in the order calls first use them, so the
 * constants of one call are one contiguous range, and the calls' ranges go
 * up through the blob: one read per call, in address order, each weight byte
 * once per inference; consecutive calls whose ranges fit in the staging
 * buffer together share one read (fewer read commands, each one longer).  (A constant a later call uses again is read again;
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

/* The staging buffer: the largest call's range, and the init check's first piece. */
static size_t stage_size(const compiled *c)
{
    size_t most = kiln_rd_u32(c->blob + KILN_BLOB_OFF_DATA);
    for (int i = 0; i < c->prog.n_calls; i++) {
        uint32_t lo, hi;
        call_range(c, i, &lo, &hi);
        if (hi > 0 && hi - lo > most)
            most = hi - lo;
    }
    return (most + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
}

/* Calls from `first` whose ranges, with first's, go up through the blob and
 * fit in `cap` bytes from first's start: one read serves them all.  Returns
 * the end of that read. */
static uint32_t merge_reads(const compiled *c, int first, size_t cap, int *last)
{
    uint32_t lo, hi, end;
    call_range(c, first, &lo, &end);
    *last = first;
    for (int j = first + 1; j < c->prog.n_calls; j++) {
        call_range(c, j, &lo, &hi);
        if (hi == 0)
            continue;
        if (lo < end || hi - c->stage[first].offset > cap)
            break;
        end = hi;
        *last = j;
    }
    return end;
}

bool stream_plan_build(compiled *c, char *err, size_t errlen)
{
    c->stage = xcalloc((size_t)c->prog.n_calls + 1, sizeof *c->stage);
    c->stage_bytes = stage_size(c);
    c->stream_bytes_read = 0;
    for (int i = 0; i < c->prog.n_calls;) {
        uint32_t lo, hi;
        call_range(c, i, &lo, &hi);
        if (hi == 0) {
            i++;
            continue;
        }
        stream_stage *s = &c->stage[i];
        int last;
        s->offset = lo;
        s->len = merge_reads(c, i, c->stage_bytes, &last) - lo;
        s->crc = kiln_crc32(0, c->blob + lo, s->len);
        c->stream_bytes_read += s->len;
        for (int j = i; j <= last; j++)
            c->stage[j].base = lo;
        i = last + 1;
    }
    c->stage_offset = (c->pl.arena_bytes + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
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
    return bt->offset - c->stage[call].base;
}
