/*
 * report_stream.c - what the report says about external flash traffic
 * (report_stream.h).
 *
 * Stream mode's figure is exact: the sum of the planned reads, which is what
 * the read callback delivers (kiln validate counts it).  Memory-mapped
 * figures are passes/hot_weights.c's estimate (reads per byte from the
 * calls' output pixels); `make bench` measures them with an instrumented
 * build.  Decides nothing: reads what compile.c planned.
 */
#include "emit/report_stream.h"

#include <inttypes.h>
#include <stdio.h>

#include "emit/c_text.h"
#include "passes/hot_weights.h"
#include "passes/plan.h"
#include "passes/stream_plan.h"

/* Root tensor, size and placement of each constant, blob first, then inline. */
typedef struct placed {
    int t;
    const blob_tensor *bt;
    bool inline_;
} placed;

static int placed_next(const compiled *c, int t, placed *p)
{
    for (; t < c->g->n_tensors; t++) {
        if (c->blob_of[t] >= 0) {
            *p = (placed){t, &c->bt[c->blob_of[t]], false};
            return t;
        }
        if (c->hot_of && c->hot_of[t] >= 0) {
            *p = (placed){t, &c->hot[c->hot_of[t]], true};
            return t;
        }
    }
    return -1;
}

static double reads_of(const compiled *c, const placed *p)
{
    return c->weights == WEIGHTS_STREAM ? 1.0 : c->reads_per_byte[p->t];
}

void report_stream_text(const compiled *c, sbuf *o)
{
    if (c->weights == WEIGHTS_INLINE)
        return;
    bool stream = c->weights == WEIGHTS_STREAM;
    if (stream) {
        int reads = 0, tiled = 0;
        for (int i = 0; i < c->prog.n_calls; i++) {
            reads += c->stage[i].len > 0 ? 1 : c->stage[i].n_tiles;
            tiled += c->stage[i].n_tiles > 0;
        }
        sb_printf(o, "weights are read    through a callback (stream mode): %d reads, %" PRIu64 " bytes per "
                  "inference, in address order; staging buffer %zu bytes at arena offset %zu%s%s\n",
                  reads, c->stream_bytes_read, c->stage_bytes, c->stage_offset,
                  c->stage_cap ? " (--stage-bytes)" : "", c->stage_double ? ", and a second one after it (--stage-double)" : "");
        if (tiled)
            sb_printf(o, "                    %d layers read in tiles of output channels (not in place), "
                      "their tile buffers (output, gathered inputs) %zu bytes at arena offset %zu\n",
                      tiled, c->tile_out_bytes, c->tile_out_offset);
    }
    double with = hot_external_reads(c, true), without = hot_external_reads(c, false);
    sb_printf(o, "external bytes read %.0f per inference%s", with, stream ? "" : " (estimated; make bench measures)");
    if (c->internal_budget)
        sb_printf(o, "; %.0f without --internal-budget %" PRIu64 " (%d constants, %zu bytes inline in %s.c)",
                  without, c->internal_budget, c->n_hot, c->hot_len, c->name);
    sb_printf(o, "\n");
    if (!c->internal_budget)
        return;
    sb_printf(o, "  %-40s %10s  %-8s %12s %14s\n", "constant", "bytes", "where", "reads/byte", "ext. bytes/inf");
    placed p;
    for (int t = placed_next(c, 0, &p); t >= 0; t = placed_next(c, t + 1, &p)) {
        c_cut_buf cb;
        double r = reads_of(c, &p);
        sb_printf(o, "  %-40.40s %10zu  %-8s %12.0f %14.0f\n", c_cut(&cb, c->g->tensors[p.t].name), p.bt->nbytes,
                  p.inline_ ? "inline" : "blob", r, p.inline_ ? 0.0 : r * (double)p.bt->nbytes);
    }
}

void report_stream_json(const compiled *c, cJSON *root)
{
    if (c->weights == WEIGHTS_INLINE)
        return;
    cJSON *x = cJSON_AddObjectToObject(root, "external_flash");
    bool stream = c->weights == WEIGHTS_STREAM;
    cJSON_AddBoolToObject(x, "bytes_read_estimated", !stream);
    cJSON_AddNumberToObject(x, "bytes_read_per_inference", hot_external_reads(c, true));
    cJSON_AddNumberToObject(x, "bytes_read_per_inference_without_budget", hot_external_reads(c, false));
    cJSON_AddNumberToObject(x, "internal_budget", (double)c->internal_budget);
    cJSON_AddNumberToObject(x, "inline_bytes", (double)c->hot_len);
    if (stream) {
        cJSON_AddNumberToObject(x, "stage_bytes", (double)c->stage_bytes);
        cJSON_AddNumberToObject(x, "stage_offset", (double)c->stage_offset);
        cJSON_AddNumberToObject(x, "stage_cap", (double)c->stage_cap);
        cJSON_AddBoolToObject(x, "stage_double", c->stage_double);
        cJSON_AddNumberToObject(x, "tile_out_bytes", (double)c->tile_out_bytes);
        int tiled = 0;
        for (int i = 0; i < c->prog.n_calls; i++)
            tiled += c->stage[i].n_tiles > 0;
        cJSON_AddNumberToObject(x, "tiled_layers", tiled);
    }
    cJSON *ts = cJSON_AddArrayToObject(x, "tensors");
    placed p;
    for (int t = placed_next(c, 0, &p); t >= 0; t = placed_next(c, t + 1, &p)) {
        cJSON *e = cJSON_CreateObject();
        double r = reads_of(c, &p);
        cJSON_AddStringToObject(e, "name", c->g->tensors[p.t].name);
        cJSON_AddNumberToObject(e, "bytes", (double)p.bt->nbytes);
        cJSON_AddStringToObject(e, "placement", p.inline_ ? "inline" : "blob");
        cJSON_AddNumberToObject(e, "reads_per_byte", r);
        cJSON_AddNumberToObject(e, "external_bytes_read", p.inline_ ? 0.0 : r * (double)p.bt->nbytes);
        cJSON_AddItemToArray(ts, e);
    }
}
