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

/* One read of a run, in run order: blob bytes [offset, offset + len) into
 * the staging buffer (the second one, with --stage-double, for odd reads)
 * at `at`.  defer: the next read may start only after the call that uses
 * this one has run (the last tile of a layer whose biases stay in the
 * buffer the next read would take). */
typedef struct stream_read {
    uint32_t offset, len, crc, at;
    bool defer;
} stream_read;

/* One read of a tiled call: the packed weights of output channels [c0, c0 +
 * n), into the staging buffer at `at` (the first tile's read also brings the
 * layer's biases, which stay at the buffer's start for every tile: at 0). */
typedef struct stream_tile {
    uint32_t offset, len, crc, at;
    int32_t c0, n;
    int read;           /* its index in c->reads */
} stream_tile;

/* How a kernel's call is cut by output channels: its packed weights are
 * groups of `group` channels, each group's bytes contiguous and
 * self-contained, so a tile of whole groups is the packed stream of the same
 * call with fewer channels (the params fields in `field`).  A float kernel's
 * bias (b_arg) is a second per-channel constant, read whole with the first
 * tile.  Operands with one value per output channel and pixel (a depthwise
 * input, a residual: slice[]) are cut too: a row of them is offset by the
 * tile's first channel, several rows are copied per tile (gathered).  False:
 * the call is staged whole.  unit: the weight bytes of one group (the least
 * a tile reads). */
#define STREAM_TILE_FIELDS 3
#define STREAM_TILE_SLICES 2
typedef struct stream_tiling {
    const char *field[STREAM_TILE_FIELDS]; /* NULL-terminated when fewer */
    int w_arg, b_arg, y_arg;               /* b_arg -1: no bias operand */
    int slice[STREAM_TILE_SLICES];         /* -1: none */
    uint32_t slice_rows[STREAM_TILE_SLICES], slice_elem[STREAM_TILE_SLICES];
    int32_t group, out_c;
    uint32_t rows, elem;                   /* the output's rows of out_c elements, bytes per element */
    size_t unit;
} stream_tiling;

typedef struct stream_stage {
    uint32_t offset;    /* blob offset of the read before this call */
    uint32_t len;       /* bytes; 0: this call reads nothing (none of its own, or an earlier read holds them) */
    uint32_t crc;       /* CRC-32 of those bytes, carried by the code */
    uint32_t base;      /* blob offset of the staging buffer's first byte during this call */
    int read;           /* len > 0: its index in c->reads */
    /* A call whose weights pass the staging buffer (n_tiles > 0; len is then
     * 0): the kernel runs once per tile of output channels, each tile's
     * packed weights one read (stream_tile_rule says which kernels can). */
    int n_tiles;
    stream_tile *tiles;
    stream_tiling rule;
    int32_t out_c;      /* the call's output channels */
    uint32_t w_at;      /* the weight tile's place in the staging buffer (after the biases) */
    bool b_staged;      /* the biases are in the staging buffer (not kept inline) */
    /* Offsets in the tile buffers (tile_out_offset): the output tile and
     * each gathered slice operand's copy; SIZE_MAX: not copied. */
    size_t y_at, slice_at[STREAM_TILE_SLICES];
} stream_stage;

bool stream_tile_rule(const compiled *c, int call, stream_tiling *t);

/* Before planning, with --stage-bytes: marks the calls whose weights pass
 * the staging buffer (they are tiled, so they never run in place: a tile's
 * output would overwrite input the next tile reads). */
void stream_mark_tiled(compiled *c, size_t cap);

/* After the blob is built: one read per call covering its blob constants,
 * merged with the following calls' while they fit in the staging buffer,
 * which is appended to the arena.  Its size: without --stage-bytes the
 * largest call's range, and at least the header, directory and names the
 * init check reads at once; with it (c->stage_cap) at most that many bytes,
 * a larger call cut into tiles (their outputs staged in tile_out, after the
 * staging buffer).  False with a message naming the layer when a call
 * cannot be cut that fine, or when the arena would pass PLAN_MAX_BYTES. */
bool stream_plan_build(compiled *c, char *err, size_t errlen);

/* The arena offset of the staging buffer read k goes to (--stage-double:
 * the two buffers alternate). */
size_t stream_buffer_of(const compiled *c, int k);

/* Where a constant's bytes sit in the staging buffer of call i. */
uint32_t stream_stage_rel(const compiled *c, int call, int tensor);

#endif
