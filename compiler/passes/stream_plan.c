/*
 * stream_plan.c - plans stream mode's reads (docs/streaming.md).
 *
 * The blob lays constants out in the order calls first use them, so the
 * constants of one call are one contiguous range, and the calls' ranges go
 * up through the blob: one read per call, in address order, each weight byte
 * once per inference; consecutive calls whose ranges fit in the staging
 * buffer together share one read (fewer read commands, each one longer).
 * (A constant a later call uses again is read again; the report's
 * bytes-read figure counts it.)  The staging buffer is the largest read,
 * placed after everything the memory plan placed, so the plan itself is
 * untouched.  With --stage-bytes the buffer is capped, and a packed conv or
 * FC whose weights pass the cap runs once per tile of output channels: the
 * packed stream is groups of channels each self-contained and contiguous,
 * so the tiles are consecutive reads of whole groups, as many as the cap
 * holds, still each byte once and in address order.  Relies on compile.c
 * having built the blob; never changes the blob; marks tiled calls
 * no_inplace before the plan (stream_mark_tiled).
 */
#include "passes/stream_plan.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/report_data.h"
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

/* The kernels whose calls can be tiled, and the params field holding their
 * output channels: a packed stream of channel groups (lower_s8.c). */
static const struct {
    const char *kernel, *field;
} tileable[] = {
    {"kiln_conv_s8_p8", "out_c"},
    {"kiln_conv_s8_p16", "out_c"},
    {"kiln_fully_connected_s8_p8", "out_features"},
    {"kiln_fully_connected_s8_p16", "out_features"},
};

/* Channels per group of a packed layout; 0: not a channel-group stream. */
static int32_t layout_group(int layout)
{
    switch (layout) {
    case KILN_BLOB_LAYOUT_GEMM16_G2:
    case KILN_BLOB_LAYOUT_GEMM8_G2:
        return 2;
    case KILN_BLOB_LAYOUT_GEMM16_G4:
    case KILN_BLOB_LAYOUT_GEMM8_G4:
        return 4;
    default:
        return 0;
    }
}

bool stream_tile_rule(const compiled *c, int i, stream_tiling *t)
{
    const lir_call *call = &c->prog.calls[i];
    memset(t, 0, sizeof *t);
    for (size_t k = 0; k < sizeof tileable / sizeof tileable[0]; k++)
        if (!strcmp(call->kernel, tileable[k].kernel))
            t->field = tileable[k].field;
    /* (x, packed weights, y): an epilogue operand would need tiling too. */
    if (!t->field || !call->ptype || call->n_args != 3)
        return false;
    for (int a = 0; a < 3; a++)
        if (call->args[a].kind != LIR_ARG_TENSOR || call->args[a].is_output != (a == 2))
            return false;
    const ir_tensor *w = &c->g->tensors[call->args[1].tensor], *y = &c->g->tensors[call->args[2].tensor];
    t->group = layout_group(lir_layout_of(&c->prog, call->args[1].tensor));
    if (!t->group || y->rank < 1 || y->shape[y->rank - 1] <= 0 || ir_numel(y) <= 0)
        return false;
    /* Both kernels write channels innermost (NHWC, [batch][features]). */
    t->out_c = (int32_t)y->shape[y->rank - 1];
    t->rows = (uint32_t)(ir_numel(y) / t->out_c);
    t->elem = (uint32_t)(ir_nbytes(y) / (size_t)ir_numel(y));
    size_t groups = ((size_t)t->out_c + (size_t)t->group - 1) / (size_t)t->group;
    if (ir_nbytes(w) % groups)
        return false;
    t->unit = ir_nbytes(w) / groups;
    t->w_arg = 1;
    t->y_arg = 2;
    return true;
}

void stream_mark_tiled(compiled *c, size_t cap)
{
    for (int i = 0; i < c->prog.n_calls; i++) {
        stream_tiling t;
        if (stream_tile_rule(c, i, &t) && ir_nbytes(&c->g->tensors[c->prog.calls[i].args[1].tensor]) > cap)
            c->prog.calls[i].no_inplace = true;
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

/* "layer 7 (Conv 'functional_1/conv2d_3/...')" into buf: TFLite names run long. */
static const char *layer_name(const compiled *c, int i, char *buf, size_t n)
{
    int node = c->prog.calls[i].node;
    if (node < 0) {
        snprintf(buf, n, "the output copy");
        return buf;
    }
    const char *nm = c->g->nodes[node].name ? c->g->nodes[node].name : "";
    snprintf(buf, n, "layer %d (%s '%.48s%s')", node, report_op_name(c->g, &c->g->nodes[node]), nm,
             strlen(nm) > 48 ? "..." : "");
    return buf;
}

/* Call i's reads by tiles of output channels, as many whole groups as the
 * cap holds; its weights [lo, hi).  False with the least cap that works. */
static bool plan_tiles(compiled *c, int i, uint32_t lo, uint32_t hi, char *err, size_t errlen)
{
    char name[256];
    stream_tiling t;
    size_t cap = c->stage_cap;
    if (!stream_tile_rule(c, i, &t)) {
        snprintf(err, errlen, "%s: its weights (%u bytes) are staged in one read (kernel %s cannot be cut "
                 "by output channels); a staging buffer of %zu bytes (--stage-bytes, in 16-byte units) is too "
                 "small: give --stage-bytes %u or more",
                 layer_name(c, i, name, sizeof name), hi - lo, c->prog.calls[i].kernel, cap,
                 (hi - lo + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN);
        return false;
    }
    if (t.unit > cap) {
        snprintf(err, errlen, "%s: its smallest tile (%d output channels) is %zu bytes of weights; a staging "
                 "buffer of %zu bytes (--stage-bytes, in 16-byte units) is too small: give --stage-bytes %zu or more", layer_name(c, i, name, sizeof name), (int)t.group, t.unit,
                 cap, (t.unit + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN);
        return false;
    }
    stream_stage *s = &c->stage[i];
    const int32_t per = (int32_t)(cap / t.unit) * t.group; /* channels per tile */
    s->n_tiles = (int)((t.out_c + per - 1) / per);
    s->tiles = xcalloc((size_t)s->n_tiles, sizeof *s->tiles);
    s->field = t.field;
    s->y_arg = t.y_arg;
    s->out_c = t.out_c;
    s->rows = t.rows;
    s->elem = t.elem;
    s->base = lo;
    for (int k = 0; k < s->n_tiles; k++) {
        stream_tile *tl = &s->tiles[k];
        tl->c0 = k * per;
        tl->n = t.out_c - tl->c0 < per ? t.out_c - tl->c0 : per;
        tl->offset = lo + (uint32_t)((size_t)(tl->c0 / t.group) * t.unit);
        tl->len = (uint32_t)(((size_t)tl->n + (size_t)t.group - 1) / (size_t)t.group * t.unit);
        tl->crc = kiln_crc32(0, c->blob + tl->offset, tl->len);
        c->stream_bytes_read += tl->len;
        if (tl->len > c->stage_bytes)
            c->stage_bytes = tl->len;
    }
    assert(s->tiles[s->n_tiles - 1].offset + s->tiles[s->n_tiles - 1].len == hi);
    /* A tile's output rows are strided: computed into tile_out, then copied. */
    size_t out = t.rows > 1 ? (size_t)t.rows * (size_t)per * t.elem : 0;
    if (out > c->tile_out_bytes)
        c->tile_out_bytes = out;
    return true;
}

/* The reads of every call, in order; the staging buffer grows to the largest. */
static bool plan_reads(compiled *c, size_t cap, char *err, size_t errlen)
{
    for (int i = 0; i < c->prog.n_calls;) {
        uint32_t lo, hi;
        call_range(c, i, &lo, &hi);
        if (hi == 0) {
            i++;
            continue;
        }
        if (hi - lo > cap) {
            if (!plan_tiles(c, i, lo, hi, err, errlen))
                return false;
            i++;
            continue;
        }
        stream_stage *s = &c->stage[i];
        int last;
        s->offset = lo;
        s->len = merge_reads(c, i, cap, &last) - lo;
        s->crc = kiln_crc32(0, c->blob + lo, s->len);
        c->stream_bytes_read += s->len;
        if (s->len > c->stage_bytes)
            c->stage_bytes = s->len;
        for (int j = i; j <= last; j++)
            c->stage[j].base = lo;
        i = last + 1;
    }
    return true;
}

static size_t align_up(size_t n)
{
    return (n + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
}

bool stream_plan_build(compiled *c, char *err, size_t errlen)
{
    c->stage = xcalloc((size_t)c->prog.n_calls + 1, sizeof *c->stage);
    c->stream_bytes_read = 0;
    c->stage_bytes = 0;
    c->tile_out_bytes = 0;
    size_t cap = c->stage_cap ? c->stage_cap : stage_size(c);
    if (!plan_reads(c, cap, err, errlen))
        return false;
    c->stage_bytes = c->stage_cap ? align_up(c->stage_bytes) : cap;
    c->stage_offset = align_up(c->pl.arena_bytes);
    c->tile_out_offset = c->stage_offset + c->stage_bytes;
    unsigned long long end = (unsigned long long)c->tile_out_offset + align_up(c->tile_out_bytes);
    /* The init check reads header, directory and names into the arena at once. */
    unsigned long long first = align_up(kiln_rd_u32(c->blob + KILN_BLOB_OFF_DATA));
    if (end < first)
        end = first;
    if (end > PLAN_MAX_BYTES) {
        snprintf(err, errlen, "the arena (%zu bytes) and the stream staging buffer (%zu bytes) pass 4 GiB",
                 c->pl.arena_bytes, c->stage_bytes);
        return false;
    }
    c->pl.arena_bytes = (size_t)end;
    return true;
}

uint32_t stream_stage_rel(const compiled *c, int call, int tensor)
{
    const blob_tensor *bt = &c->bt[c->blob_of[c->pl.root[tensor]]];
    return bt->offset - c->stage[call].base;
}
