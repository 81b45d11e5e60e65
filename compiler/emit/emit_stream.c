/*
 * emit_stream.c - prints what stream mode and --internal-budget add to the
 * generated code (docs/streaming.md).
 *
 * Stream mode's invoke never dereferences the blob: before each call that
 * reads constants it stages the call's range of the blob (planned by
 * passes/stream_plan.c) into the arena's staging buffer through
 * kiln_stream_stage, and the call reads them there.  Outputs are computed in
 * the arena and copied to the caller's buffers only after the last call, so
 * a failed read leaves them untouched.  Constants --internal-budget keeps
 * inline are one const array, NET_hot, in NET.c.  Relies on emit_c.c for the
 * expressions of everything else; decides nothing the passes did not.
 */
#include "emit/emit_stream.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emit/c_text.h"
#include "emit/emit_c.h"
#include "passes/plan.h"
#include "passes/stream_plan.h"

void emit_stream_header(const compiled *c, sbuf *o)
{
    const char *n = c->name;
    if (c->weights != WEIGHTS_STREAM)
        return;
    sb_printf(o, "/* Stream mode: the blob is read through a kiln_read_fn, each call's weights staged\n"
                 " * into %s_STAGE_BYTES of the arena; %s_STREAM_BYTES_READ bytes per inference. */\n",
              n, n);
    sb_printf(o, "#define %s_STAGE_BYTES %zuu\n", n, c->stage_bytes);
    sb_printf(o, "#define %s_STREAM_BYTES_READ %" PRIu64 "u\n", n, c->stream_bytes_read);
    if (c->stage_double)
        sb_printf(o, "/* --stage-double: two staging buffers, the next read in flight while a layer computes\n"
                     " * (kiln_net_stream_async's start/wait pair). */\n");
    if (c->tile_out_bytes)
        sb_printf(o, "/* Layers above the staging buffer are read in tiles of output channels, each tile's\n"
                     " * output (and the input channels it reads) staged in %zu bytes of the arena after it. */\n",
                  c->tile_out_bytes);
}

void emit_stream_init(const compiled *c, sbuf *o)
{
    const char *n = c->name;
    if (c->weights != WEIGHTS_STREAM)
        return;
    sb_printf(o,
              "\n/* Stream mode's init (%s_init refuses a stream-mode model): read(ctx, offset, dst, len)\n"
              " * copies blob bytes; capacity: bytes readable (0: the blob size); flags: KILN_BLOB_CHECK_*,\n"
              " * KILN_STREAM_*.  The blob is checked through read, as %s_init checks a mapped one. */\n"
              "static inline kiln_status %s_init_stream(kiln_net *net, kiln_read_fn read, void *ctx,\n"
              "                                         uint32_t capacity, void *arena, size_t arena_bytes,\n"
              "                                         uint32_t flags)\n"
              "{\n    return kiln_net_init_stream(net, &%s_model, read, ctx, capacity, arena, arena_bytes, flags);\n}\n",
              n, n, n, n);
}

void emit_hot_array(const compiled *c, sbuf *o)
{
    if (c->n_hot == 0)
        return;
    sb_printf(o, "/* --internal-budget %" PRIu64 ": %d constants (%zu bytes) kept in internal flash. */\n",
              c->internal_budget, c->n_hot, c->hot_len);
    sb_printf(o, "static const uint8_t %s_hot[%zu] KILN_ALIGNED(%u) = {", c->name, c->hot_len, PLAN_ALIGN);
    for (size_t i = 0; i < c->hot_len; i++)
        sb_printf(o, "%s%u,", i % 24 ? "" : "\n", c->hot_data[i]);
    sb_printf(o, "\n};\n\n");
}

bool emit_hot_expr(const compiled *c, int t, sbuf *o)
{
    int r = c->pl.root[t];
    if (!c->hot_of || c->hot_of[r] < 0)
        return false;
    sb_printf(o, "(const %s *)(%s_hot + %" PRIu32 ")", c_elem_type(c->g->tensors[t].dtype), c->name,
              c->hot[c->hot_of[r]].offset);
    return true;
}

void emit_stream_expr(const compiled *c, int call, int t, const char *weight_name, sbuf *o)
{
    if (c->stage[call].n_tiles) { /* the tile's weights, each at the buffer's start */
        sb_printf(o, "(const %s *)st", c_elem_type(c->g->tensors[t].dtype));
        return;
    }
    const blob_tensor *bt = &c->bt[c->blob_of[c->pl.root[t]]];
    /* The stage plan put it in this call's staging buffer. */
    assert(c->stage[call].base <= bt->offset && bt->offset + bt->nbytes <= c->stage[call].base + c->stage_bytes);
    sb_printf(o, "(const %s *)(st + (%s - %" PRIu32 "u))", c_elem_type(c->g->tensors[t].dtype), weight_name,
              c->stage[call].base);
}

/* --stage-double: starts read k into its buffer (kiln_stream_fetch: the
 * start callback, or a whole read without one). */
static void emit_fetch(const compiled *c, int k, int ind, sbuf *o)
{
    const stream_read *r = &c->reads[k];
    sb_printf(o, "%*sif ((s = kiln_stream_fetch(src, arena + %zu, %" PRIu32 "u, %" PRIu32 "u)) != KILN_OK) /* read %d */\n"
                 "%*sreturn s;\n", ind, "", stream_buffer_of(c, k) + r->at, r->offset, r->len, k, ind + 4, "");
}

/* Before the call(s) read k serves: without --stage-double one whole read
 * into st; with it, waits for read k and checks it, starts read k + 1 into
 * the other buffer (while this call runs; after it, for a deferred one) and
 * makes k's buffer st. */
static void emit_read(const compiled *c, int k, int ind, sbuf *o)
{
    const stream_read *r = &c->reads[k];
    if (!c->stage_double) {
        sb_printf(o, "%*sif ((s = kiln_stream_stage(src, st + %" PRIu32 "u, %" PRIu32 "u, %" PRIu32 "u, 0x%08" PRIx32
                     "u)) != KILN_OK)\n%*sreturn s;\n", ind, "", r->at, r->offset, r->len, r->crc, ind + 4, "");
        return;
    }
    sb_printf(o, "%*sif ((s = kiln_stream_ready(src, arena + %zu, %" PRIu32 "u, 0x%08" PRIx32 "u)) != KILN_OK)\n"
                 "%*sreturn s;\n", ind, "", stream_buffer_of(c, k) + r->at, r->len, r->crc, ind + 4, "");
    if (k + 1 < c->n_reads && !r->defer)
        emit_fetch(c, k + 1, ind, o);
    sb_printf(o, "%*sst = arena + %zu;\n", ind, "", stream_buffer_of(c, k));
}

void emit_stream_prologue(const compiled *c, sbuf *o)
{
    const ir_graph *g = c->g;
    sb_printf(o, "static kiln_status %s_invoke_stream(const kiln_stream_src *src, uint8_t *arena,\n"
                 "                                  const void *const *in, void *const *out)\n{\n", c->name);
    if (c->stage_double)
        sb_printf(o, "    uint8_t *st = arena + %zu; /* the staging buffer in use: two of %zu bytes, reads alternate */\n"
                     "    kiln_status s;\n", c->stage_offset, c->stage_bytes);
    else
        sb_printf(o, "    uint8_t *const st = arena + %zu; /* the staging buffer, %zu bytes */\n    kiln_status s;\n",
                  c->stage_offset, c->stage_bytes);
    for (int k = 0; k < g->n_inputs; k++)
        sb_printf(o, "    const uint8_t *x%d = (in && in[%d]) ? (const uint8_t *)in[%d] : arena + %zu;\n", k,
                  k, k, c->pl.offset[g->inputs[k]]);
    /* Outputs in the arena until every read succeeded. */
    for (int k = 0; k < g->n_outputs; k++)
        sb_printf(o, "    uint8_t *y%d = arena + %zu;\n", k, c->pl.offset[g->outputs[k]]);
    sb_printf(o, "    (void)src;\n    (void)st;\n    (void)s;\n    (void)in;\n    (void)out;\n");
    if (c->stage_double && c->n_reads > 0)
        emit_fetch(c, 0, 4, o); /* the first read starts before anything runs */
    for (int k = 0; k < g->n_inputs; k++)
        sb_printf(o, "    (void)x%d;\n", k);
}

void emit_stream_stage(const compiled *c, int i, sbuf *o)
{
    const stream_stage *s = &c->stage[i];
    if (s->len)
        emit_read(c, s->read, 4, o);
}

/* The C element type of call i's operand a. */
static const char *arg_type(const compiled *c, int i, int a)
{
    return c_elem_type(c->g->tensors[c->prog.calls[i].args[a].tensor].dtype);
}

/* A slice operand's pointer for the tile (into a[], args[0] being &params):
 * its rows copied into the tile buffers (several rows) or offset by the
 * first channel (one row). */
static void emit_slice(const compiled *c, int i, int k, const stream_tile *tl, const sbuf *args, sbuf *a, sbuf *o)
{
    const stream_stage *s = &c->stage[i];
    const stream_tiling *t = &s->rule;
    const int arg = t->slice[k] + 1;
    a[arg].len = 0;
    if (s->slice_at[k] == SIZE_MAX) {
        sb_printf(&a[arg], "(%.*s) + %d", (int)args[arg].len, args[arg].s, (int)tl->c0);
        return;
    }
    sb_printf(o, "        kiln_stream_gather(arena + %zu, (const uint8_t *)(%.*s) + %uu, %" PRIu32 "u, %uu, %uu);\n",
              c->tile_out_offset + s->slice_at[k], (int)args[arg].len, args[arg].s,
              (unsigned)tl->c0 * t->slice_elem[k], t->slice_rows[k], (unsigned)tl->n * t->slice_elem[k],
              (unsigned)t->out_c * t->slice_elem[k]);
    sb_printf(&a[arg], "(const %s *)(arena + %zu)", arg_type(c, i, t->slice[k]), c->tile_out_offset + s->slice_at[k]);
}

/* One tile: its read, its channel count, the slices it takes, the kernel,
 * the copy of its output out of the tile buffers. */
static void emit_tile(const compiled *c, int i, const stream_tile *tl, const sbuf *args, int na, sbuf *o)
{
    const stream_stage *s = &c->stage[i];
    const stream_tiling *t = &s->rule;
    const lir_call *call = &c->prog.calls[i];
    const int y = t->y_arg + 1, w = t->w_arg + 1; /* args[0] is &params */
    sb_printf(o, "        /* channels %d..%d */\n", (int)tl->c0, (int)(tl->c0 + tl->n - 1));
    emit_read(c, tl->read, 8, o);
    for (int f = 0; f < STREAM_TILE_FIELDS && t->field[f]; f++)
        sb_printf(o, "        pt.%s = %d;\n", t->field[f], (int)tl->n);
    sbuf a[LIR_MAX_ARGS + 2];
    memset(a, 0, sizeof a);
    for (int k = 0; k < na; k++)
        sb_put(&a[k], args[k].s ? args[k].s : "", args[k].len);
    a[0].len = 0;
    sb_printf(&a[0], "&pt");
    a[w].len = 0;
    sb_printf(&a[w], "(const %s *)(st + %" PRIu32 "u)", arg_type(c, i, t->w_arg), s->w_at);
    if (t->b_arg >= 0) { /* the biases: at the buffer's start, or inline (--internal-budget) */
        const int b = t->b_arg + 1;
        a[b].len = 0;
        if (s->b_staged) /* in the first tile's buffer */
            sb_printf(&a[b], "(const %s *)(arena + %zu) + %d", arg_type(c, i, t->b_arg),
                      stream_buffer_of(c, s->tiles[0].read), (int)tl->c0);
        else
            sb_printf(&a[b], "(%.*s) + %d", (int)args[b].len, args[b].s, (int)tl->c0);
    }
    for (int k = 0; k < STREAM_TILE_SLICES; k++)
        if (t->slice[k] >= 0)
            emit_slice(c, i, k, tl, args, a, o);
    a[y].len = 0;
    if (s->y_at != SIZE_MAX)
        sb_printf(&a[y], "(%s *)(arena + %zu)", arg_type(c, i, t->y_arg), c->tile_out_offset + s->y_at);
    else
        sb_printf(&a[y], "(%.*s) + %d", (int)args[y].len, args[y].s, (int)tl->c0);
    c_call_print(o, 8, call->kernel, a, na);
    if (s->y_at != SIZE_MAX)
        sb_printf(o, "        kiln_stream_scatter((uint8_t *)(%.*s) + %uu, arena + %zu, %" PRIu32 "u, %uu, %uu);\n",
                  (int)args[y].len, args[y].s, (unsigned)tl->c0 * t->elem, c->tile_out_offset + s->y_at, t->rows,
                  (unsigned)tl->n * t->elem, (unsigned)t->out_c * t->elem);
    for (int k = 0; k < na; k++)
        sb_free(&a[k]);
}

void emit_stream_tiles(const compiled *c, int i, const char *param, const sbuf *args, int na, sbuf *o)
{
    const stream_stage *s = &c->stage[i];
    const lir_call *call = &c->prog.calls[i];
    assert(s->n_tiles > 0 && call->ptype && param && c->pl.inplace_in[i] < 0);
    sb_printf(o, "    { /* %d output channels in %d tiles of at most %d, one read each (--stage-bytes) */\n",
              (int)s->out_c, s->n_tiles, (int)s->tiles[0].n);
    sb_printf(o, "        %s pt = %s;\n", call->ptype->name, param);
    for (int k = 0; k < s->n_tiles; k++)
        emit_tile(c, i, &s->tiles[k], args, na, o);
    const int last = s->tiles[s->n_tiles - 1].read;
    if (c->stage_double && c->reads[last].defer && last + 1 < c->n_reads)
        emit_fetch(c, last + 1, 8, o); /* the biases' buffer is free now */
    sb_printf(o, "    }\n");
}

void emit_stream_epilogue(const compiled *c, sbuf *o)
{
    const ir_graph *g = c->g;
    sb_printf(o, "    KILN_PROFILE_MARK(%d);\n", c->prog.n_calls);
    for (int k = 0; k < g->n_outputs; k++)
        sb_printf(o, "    if (out && out[%d])\n        kiln_stream_copy_out(out[%d], y%d, %zuu);\n", k, k, k,
                  ir_nbytes(&g->tensors[g->outputs[k]]));
    sb_printf(o, "    return KILN_OK;\n}\n\n");
}

void emit_stream_desc(const compiled *c, sbuf *o)
{
    if (c->weights != WEIGHTS_STREAM) {
        sb_printf(o, "    .invoke = %s_invoke,\n", c->name);
        return;
    }
    sb_printf(o, "    .invoke = 0,\n    .invoke_stream = %s_invoke_stream,\n", c->name);
    sb_printf(o, "    .stage_offset = %zuu,\n    .stage_bytes = %s_STAGE_BYTES,\n", c->stage_offset, c->name);
}
