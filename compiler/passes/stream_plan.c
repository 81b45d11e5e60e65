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
#include "kiln/kernels_f32.h"
#include "kiln/kernels_s8.h"
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

/* The kernels whose calls can be tiled: their operands, the params fields
 * holding the channel count a tile sets, the per-channel operands cut with
 * the output.  The int8 streams carry biases and requantization inside each
 * group (lower_s8.c); the float kernels take a bias array (pack_f32.c). */
typedef struct tile_kernel {
    const char *kernel;
    int n_args;
    const char *field[STREAM_TILE_FIELDS];
    int w_arg, b_arg, y_arg;
    int slice[STREAM_TILE_SLICES];
} tile_kernel;

#define DW_S8_FIELDS {"in_c", "out_c", "groups"}
#define DW_F32_FIELDS {"conv.in_c", "conv.out_c", "conv.groups"}
static const tile_kernel tileable[] = {
    {"kiln_conv_s8_p8", 3, {"out_c"}, 1, -1, 2, {-1, -1}},
    {"kiln_conv_s8_p16", 3, {"out_c"}, 1, -1, 2, {-1, -1}},
    {"kiln_fully_connected_s8_p8", 3, {"out_features"}, 1, -1, 2, {-1, -1}},
    {"kiln_fully_connected_s8_p16", 3, {"out_features"}, 1, -1, 2, {-1, -1}},
    {"kiln_fully_connected_s8_host", 3, {"out_features"}, 1, -1, 2, {-1, -1}},
    {"kiln_depthwise_conv_s8_3x3", 3, DW_S8_FIELDS, 1, -1, 2, {0, -1}},
    {"kiln_depthwise_conv_s8_3x3c4", 3, DW_S8_FIELDS, 1, -1, 2, {0, -1}},
    {"kiln_depthwise_conv_s8_3x3c4s2", 3, DW_S8_FIELDS, 1, -1, 2, {0, -1}},
    {"kiln_depthwise_conv_s8_packed", 3, DW_S8_FIELDS, 1, -1, 2, {0, -1}},
    {"kiln_conv_f32_packed", 5, {"conv.out_c"}, 1, 2, 4, {3, -1}},
    {"kiln_depthwise_conv_f32_packed", 5, DW_F32_FIELDS, 1, 2, 4, {0, 3}},
    {"kiln_fully_connected_f32_packed", 5, {"out_features"}, 1, 2, 4, {3, -1}},
};

/* Channels per group of an int8 packed layout; 0: not a channel-group stream. */
static int32_t layout_group(int layout)
{
    switch (layout) {
    case KILN_BLOB_LAYOUT_DW3X3:
    case KILN_BLOB_LAYOUT_DW3X3_T:
        return 1;
    case KILN_BLOB_LAYOUT_GEMM16_G2:
    case KILN_BLOB_LAYOUT_GEMM8_G2:
        return 2;
    case KILN_BLOB_LAYOUT_GEMM16_G4:
    case KILN_BLOB_LAYOUT_GEMM8_G4:
    case KILN_BLOB_LAYOUT_DW3X3_C4:
    case KILN_BLOB_LAYOUT_DW3X3_C4S2:
    case KILN_BLOB_LAYOUT_DW_ANY:
        return 4;
    case KILN_BLOB_LAYOUT_FC8_HOST:
        return KILN_FC_HOST_G;
    default:
        return 0;
    }
}

/* Channels per group of a float packed call: its panel, where the panels
 * are the whole layer's (NHWC, one group; a depthwise of multiplier 1). */
static int32_t f32_group(const lir_call *call)
{
    if (!strcmp(call->kernel, "kiln_fully_connected_f32_packed"))
        return ((const kiln_fc_f32_packed_params *)call->params)->panel;
    const kiln_conv_f32_packed_params *p = call->params;
    const kiln_conv_f32_params *cv = &p->conv;
    if (cv->layout != KILN_LAYOUT_NHWC)
        return 0;
    bool dw = strstr(call->kernel, "depthwise") != NULL;
    if (dw ? (cv->in_c != cv->out_c || cv->groups != cv->in_c) : cv->groups != 1)
        return 0;
    return p->panel;
}

static const tile_kernel *tile_kernel_of(const lir_call *call)
{
    for (size_t k = 0; k < sizeof tileable / sizeof tileable[0]; k++)
        if (!strcmp(call->kernel, tileable[k].kernel))
            return &tileable[k];
    return NULL;
}

/* Rows of out_c values of operand a (innermost channels), 0 when it is not. */
static uint32_t rows_of(const ir_tensor *x, int32_t out_c)
{
    if (x->rank < 1 || x->shape[x->rank - 1] != out_c || ir_numel(x) <= 0)
        return 0;
    return (uint32_t)(ir_numel(x) / out_c);
}

/* The operands: tensors where the rule names them (a bias or slice may be
 * absent, NULL; NULL after them: a scratch not needed), the output the only
 * one written, every constant named. */
static bool tile_operands(const compiled *c, const lir_call *call, const tile_kernel *k, stream_tiling *t)
{
    t->b_arg = -1;
    for (int a = 0; a < call->n_args; a++) {
        const lir_arg *g = &call->args[a];
        bool named = a == k->w_arg || a == k->y_arg;
        if (g->kind == LIR_ARG_NULL && (a == k->b_arg || a == k->slice[0] || a == k->slice[1] || a >= k->n_args))
            continue;
        if (a >= k->n_args)
            return false; /* an operand the tiles would not cut */
        if (g->kind != LIR_ARG_TENSOR || g->is_output != (a == k->y_arg))
            return false;
        if (a == k->b_arg)
            t->b_arg = a;
        else if (!named && ir_is_const(&c->g->tensors[g->tensor]))
            return false; /* a constant the tiles would not cut */
    }
    return true;
}

bool stream_tile_rule(const compiled *c, int i, stream_tiling *t)
{
    const lir_call *call = &c->prog.calls[i];
    const tile_kernel *k = tile_kernel_of(call);
    memset(t, 0, sizeof *t);
    if (!k || !call->ptype || call->n_args < k->n_args || !tile_operands(c, call, k, t))
        return false;
    memcpy(t->field, k->field, sizeof t->field);
    t->w_arg = k->w_arg;
    t->y_arg = k->y_arg;
    const ir_tensor *w = &c->g->tensors[call->args[k->w_arg].tensor];
    const ir_tensor *y = &c->g->tensors[call->args[k->y_arg].tensor];
    t->group = k->b_arg >= 0 ? f32_group(call) : layout_group(lir_layout_of(&c->prog, call->args[k->w_arg].tensor));
    if (t->group <= 0 || y->rank < 1 || y->shape[y->rank - 1] <= 0 || ir_numel(y) <= 0)
        return false;
    /* Every kernel here writes channels innermost (NHWC, [batch][features]). */
    t->out_c = (int32_t)y->shape[y->rank - 1];
    t->rows = rows_of(y, t->out_c);
    t->elem = (uint32_t)(ir_nbytes(y) / (size_t)ir_numel(y));
    size_t groups = ((size_t)t->out_c + (size_t)t->group - 1) / (size_t)t->group;
    if (ir_nbytes(w) % groups)
        return false;
    if (t->b_arg >= 0 && ir_nbytes(&c->g->tensors[call->args[t->b_arg].tensor]) % groups)
        return false;
    t->unit = ir_nbytes(w) / groups;
    for (int s = 0; s < STREAM_TILE_SLICES; s++) {
        int a = k->slice[s];
        t->slice[s] = a >= 0 && call->args[a].kind == LIR_ARG_TENSOR ? a : -1;
        if (t->slice[s] < 0)
            continue;
        const ir_tensor *x = &c->g->tensors[call->args[a].tensor];
        if (!(t->slice_rows[s] = rows_of(x, t->out_c)))
            return false;
        t->slice_elem[s] = (uint32_t)(ir_nbytes(x) / (size_t)ir_numel(x));
    }
    return true;
}

/* Before the blob exists: the bytes the call's constants will take, each
 * aligned (at least its range; a call tiled is one whose range passes). */
static size_t const_bytes(const compiled *c, const lir_call *call)
{
    size_t n = 0;
    for (int a = 0; a < call->n_args; a++)
        if (call->args[a].kind == LIR_ARG_TENSOR && ir_is_const(&c->g->tensors[call->args[a].tensor]))
            n += (ir_nbytes(&c->g->tensors[call->args[a].tensor]) + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
    return n;
}

void stream_mark_tiled(compiled *c, size_t cap)
{
    for (int i = 0; i < c->prog.n_calls; i++) {
        stream_tiling t;
        if (stream_tile_rule(c, i, &t) && const_bytes(c, &c->prog.calls[i]) > cap)
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

static size_t align_up(size_t n)
{
    return (n + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
}

/* Where call i's weights are, and whether its biases precede them in one
 * range [lo, hi) (the blob puts a stream-mode call's biases first,
 * compile.c): *w_at is then the weights' place after them.  False when the
 * range is not that shape (a constant shared with another call). */
static bool tile_range(const compiled *c, int i, const stream_tiling *t, uint32_t lo, uint32_t hi,
                       uint32_t *woff, uint32_t *w_at, bool *b_staged)
{
    const lir_call *call = &c->prog.calls[i];
    int wr = c->blob_of[c->pl.root[call->args[t->w_arg].tensor]];
    if (wr < 0)
        return false;
    const blob_tensor *w = &c->bt[wr];
    *woff = w->offset;
    *b_staged = false;
    if (t->b_arg >= 0 && c->pl.home[call->args[t->b_arg].tensor] == PLAN_BLOB) {
        int br = c->blob_of[c->pl.root[call->args[t->b_arg].tensor]];
        if (br >= 0) {
            const blob_tensor *b = &c->bt[br];
            if (b->offset != lo || b->offset + b->nbytes > w->offset)
                return false;
            *b_staged = true;
        }
    }
    *w_at = w->offset - lo;
    return (*b_staged || w->offset == lo) && w->offset + w->nbytes == hi;
}

/* The tile buffers of call i after its output tile: each gathered slice
 * operand's copy (several rows), SIZE_MAX for a one-row slice (offset). */
static size_t tile_buffers(stream_stage *s, int32_t per)
{
    const stream_tiling *t = &s->rule;
    size_t end = t->rows > 1 ? align_up((size_t)t->rows * (size_t)per * t->elem) : 0;
    s->y_at = t->rows > 1 ? 0 : SIZE_MAX;
    for (int k = 0; k < STREAM_TILE_SLICES; k++) {
        s->slice_at[k] = SIZE_MAX;
        if (t->slice[k] < 0 || t->slice_rows[k] <= 1)
            continue;
        s->slice_at[k] = end;
        end += align_up((size_t)t->slice_rows[k] * (size_t)per * t->slice_elem[k]);
    }
    return end;
}

/* The refusal: call i cannot be cut as fine as `cap`; need: the least cap. */
static bool tile_refused(const compiled *c, int i, const stream_tiling *t, const char *why, size_t need,
                         char *err, size_t errlen)
{
    char name[256];
    if (!t)
        snprintf(err, errlen, "%s: its weights (%zu bytes) are staged in one read (%s); a staging buffer of "
                 "%zu bytes (--stage-bytes, in 16-byte units) is too small: give --stage-bytes %zu or more",
                 layer_name(c, i, name, sizeof name), need, why, c->stage_cap, align_up(need));
    else
        snprintf(err, errlen, "%s: its smallest tile (%d output channels) is %zu bytes of weights%s; a staging "
                 "buffer of %zu bytes (--stage-bytes, in 16-byte units) is too small: give --stage-bytes %zu or more",
                 layer_name(c, i, name, sizeof name), (int)t->group, t->unit, why, c->stage_cap, align_up(need));
    return false;
}

/* Appends a read to the run's list; returns its index. */
static int add_read(compiled *c, uint32_t offset, uint32_t len, uint32_t crc, uint32_t at)
{
    c->reads = xrealloc(c->reads, (size_t)(c->n_reads + 1) * sizeof *c->reads);
    stream_read *r = &c->reads[c->n_reads];
    r->offset = offset, r->len = len, r->crc = crc, r->at = at, r->defer = false;
    return c->n_reads++;
}

/* Call i's reads by tiles of output channels, as many whole groups as the
 * cap holds; its weights (and biases before them) [lo, hi).  The first
 * tile's read starts at lo (the biases, kept for every tile), the others
 * follow it: one pass up the range.  False with the least cap that works. */
static bool plan_tiles(compiled *c, int i, uint32_t lo, uint32_t hi, char *err, size_t errlen)
{
    char why[160];
    stream_tiling t;
    uint32_t woff, w_at;
    bool b_staged;
    size_t cap = c->stage_cap;
    if (!stream_tile_rule(c, i, &t)) {
        snprintf(why, sizeof why, "kernel %s cannot be cut by output channels", c->prog.calls[i].kernel);
        return tile_refused(c, i, NULL, why, hi - lo, err, errlen);
    }
    if (!tile_range(c, i, &t, lo, hi, &woff, &w_at, &b_staged))
        return tile_refused(c, i, NULL, "its constants are not one range of weights after biases", hi - lo,
                            err, errlen);
    if (c->pl.inplace_in[i] >= 0) /* stream_mark_tiled counted 16-byte alignment; the blob's was coarser */
        return tile_refused(c, i, NULL, "it runs in place, so it cannot be cut", hi - lo, err, errlen);
    if (w_at + t.unit > cap) {
        why[0] = 0;
        if (w_at)
            snprintf(why, sizeof why, ", after the layer's %u bytes of biases kept for every tile", (unsigned)w_at);
        return tile_refused(c, i, &t, why, w_at + t.unit, err, errlen);
    }
    stream_stage *s = &c->stage[i];
    const int32_t per = (int32_t)((cap - w_at) / t.unit) * t.group; /* channels per tile */
    s->n_tiles = (int)((t.out_c + per - 1) / per);
    s->tiles = xcalloc((size_t)s->n_tiles, sizeof *s->tiles);
    s->rule = t;
    s->out_c = t.out_c;
    s->w_at = w_at;
    s->b_staged = b_staged;
    s->base = lo;
    for (int k = 0; k < s->n_tiles; k++) {
        stream_tile *tl = &s->tiles[k];
        tl->c0 = k * per;
        tl->n = t.out_c - tl->c0 < per ? t.out_c - tl->c0 : per;
        tl->offset = woff + (uint32_t)((size_t)(tl->c0 / t.group) * t.unit);
        tl->len = (uint32_t)(((size_t)tl->n + (size_t)t.group - 1) / (size_t)t.group * t.unit);
        tl->at = w_at;
        if (k == 0) { /* the biases too */
            tl->len += tl->offset - lo;
            tl->offset = lo;
            tl->at = 0;
        }
        tl->crc = kiln_crc32(0, c->blob + tl->offset, tl->len);
        tl->read = add_read(c, tl->offset, tl->len, tl->crc, tl->at);
        c->stream_bytes_read += tl->len;
        if (tl->at + tl->len > c->stage_bytes)
            c->stage_bytes = tl->at + tl->len;
    }
    assert(s->tiles[s->n_tiles - 1].offset + s->tiles[s->n_tiles - 1].len == hi);
    /* The biases stay in the first tile's buffer until the last tile ran. */
    c->reads[s->tiles[s->n_tiles - 1].read].defer = b_staged;
    size_t bufs = tile_buffers(s, per);
    if (bufs > c->tile_out_bytes)
        c->tile_out_bytes = bufs;
    return true;
}

size_t stream_buffer_of(const compiled *c, int k)
{
    return c->stage_offset + (c->stage_double && (k & 1) ? c->stage_bytes : 0);
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
        s->read = add_read(c, lo, s->len, s->crc, 0);
        c->stream_bytes_read += s->len;
        if (s->len > c->stage_bytes)
            c->stage_bytes = s->len;
        for (int j = i; j <= last; j++)
            c->stage[j].base = lo;
        i = last + 1;
    }
    return true;
}

bool stream_plan_build(compiled *c, char *err, size_t errlen)
{
    c->stage = xcalloc((size_t)c->prog.n_calls + 1, sizeof *c->stage);
    c->reads = NULL;
    c->n_reads = 0;
    c->stream_bytes_read = 0;
    c->stage_bytes = 0;
    c->tile_out_bytes = 0;
    size_t cap = c->stage_cap ? c->stage_cap : stage_size(c);
    if (!plan_reads(c, cap, err, errlen))
        return false;
    c->stage_bytes = c->stage_cap ? align_up(c->stage_bytes) : cap;
    c->stage_offset = align_up(c->pl.arena_bytes);
    c->tile_out_offset = c->stage_offset + c->stage_bytes * (c->stage_double ? 2 : 1);
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
