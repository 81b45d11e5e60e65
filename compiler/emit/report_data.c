/*
 * report_data.c - the numbers behind every report (report_data.h), from the
 * compiled model only: the IR after the passes, the kernel calls, the
 * planner's offsets and lifetimes, the laid-out blob.  Decides nothing the
 * passes did not.
 */
#include "emit/report_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/blob.h"
#include "util/sbuf.h"

/* The code-size estimate (Cortex-M7, -O2, unused sections dropped),
 * calibrated on `make bench`'s measurements of the MLPerf Tiny models
 * (bench/results/latest.json: generated code 120-150 B per kernel call, 450-
 * 1,000 B per distinct kernel) and the runtime's objects (SHA-256 about 3 KiB). */
#define CODE_PER_CALL 140
#define CODE_GENERATED_BASE 200
#define CODE_PER_KERNEL 850
#define CODE_RUNTIME 1200
#define CODE_SHA256 2800

static void shape_str(const ir_tensor *t, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < t->rank && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
}

const char *report_op_name(const ir_graph *g, const ir_node *nd)
{
    if (nd->op == IR_OP_CONV && nd->n_in > 0 && nd->in[0] >= 0 && nd->attr.conv.group > 1) {
        const ir_tensor *x = &g->tensors[nd->in[0]];
        int cax = nd->attr.conv.layout == IR_LAYOUT_NHWC ? x->rank - 1 : 1;
        if (x->rank > cax && x->shape[cax] == nd->attr.conv.group)
            return "DepthwiseConv";
    }
    if (nd->src_op && !strcmp(nd->src_op, "DEPTHWISE_CONV_2D"))
        return "DepthwiseConv";
    return ir_op_name(nd->op);
}

/* ---- the arena ------------------------------------------------------------- */

static void collect_buffers(const compiled *c, report_data *d)
{
    const ir_graph *g = c->g;
    const plan *pl = &c->pl;
    d->bufs = xcalloc((size_t)g->n_tensors + (size_t)c->prog.n_calls + 1, sizeof *d->bufs);
    for (int t = 0; t < g->n_tensors && pl->first_call; t++) {
        if (pl->root[t] != t || pl->home[t] != PLAN_ARENA || pl->first_call[t] < 0)
            continue;
        report_buf *b = &d->bufs[d->n_bufs++];
        b->name = g->tensors[t].name;
        b->offset = pl->offset[t];
        b->size = ir_nbytes(&g->tensors[t]);
        b->first = pl->first_call[t];
        b->last = pl->last_call[t];
    }
    for (int i = 0; i < c->prog.n_calls; i++) {
        const lir_call *k = &c->prog.calls[i];
        if (!k->scratch_bytes)
            continue;
        report_buf *b = &d->bufs[d->n_bufs++];
        b->name = k->kernel;
        b->scratch = true;
        b->offset = pl->scratch_offset[i];
        b->size = k->scratch_bytes;
        b->first = b->last = i;
    }
}

static int buf_by_first(const void *x, const void *y)
{
    const report_buf *a = *(const report_buf *const *)x, *b = *(const report_buf *const *)y;
    return (a->first > b->first) - (a->first < b->first);
}

static int buf_by_offset(const void *x, const void *y)
{
    const report_buf *a = *(const report_buf *const *)x, *b = *(const report_buf *const *)y;
    return (a->offset > b->offset) - (a->offset < b->offset);
}

/* Bytes of the arena in use during each call: the union of the live
 * buffers' bytes, so that a kernel running in place (its output over its
 * input) counts the shared bytes once.  A sweep over the calls keeps the
 * live buffers. */
static size_t *live_per_call(const report_data *d, int n_calls)
{
    const report_buf **start = xmalloc(((size_t)d->n_bufs + 1) * sizeof *start);
    const report_buf **active = xmalloc(((size_t)d->n_bufs + 1) * sizeof *active);
    const report_buf **sorted = xmalloc(((size_t)d->n_bufs + 1) * sizeof *sorted);
    int n = 0, next = 0, na = 0;
    for (int b = 0; b < d->n_bufs; b++)
        if (d->bufs[b].first >= 0 && d->bufs[b].last >= d->bufs[b].first)
            start[n++] = &d->bufs[b];
    qsort(start, (size_t)n, sizeof *start, buf_by_first);
    size_t *live = xcalloc((size_t)n_calls + 1, sizeof *live);
    for (int i = 0; i < n_calls; i++) {
        int keep = 0;
        for (int k = 0; k < na; k++)
            if (active[k]->last >= i)
                active[keep++] = active[k];
        na = keep;
        for (; next < n && start[next]->first <= i; next++)
            if (start[next]->last >= i)
                active[na++] = start[next];
        memcpy(sorted, active, (size_t)na * sizeof *sorted);
        qsort(sorted, (size_t)na, sizeof *sorted, buf_by_offset);
        size_t covered = 0, reach = 0; /* bytes counted; end of the bytes counted so far */
        for (int k = 0; k < na; k++) {
            const size_t lo = sorted[k]->offset > reach ? sorted[k]->offset : reach;
            const size_t end = sorted[k]->offset + sorted[k]->size;
            if (end > lo)
                covered += end - lo;
            if (end > reach)
                reach = end;
        }
        live[i] = covered;
    }
    free(start);
    free(active);
    free(sorted);
    return live;
}

/* ---- layers ----------------------------------------------------------------- */

static void collect_layers(const compiled *c, report_data *d)
{
    const ir_graph *g = c->g;
    d->layers = xcalloc((size_t)g->n_nodes + 1, sizeof *d->layers);
    d->n_layers = g->n_nodes;
    for (int n = 0; n < g->n_nodes; n++) {
        const ir_node *nd = &g->nodes[n];
        report_layer *l = &d->layers[n];
        l->node = n;
        l->name = nd->name;
        l->src_op = nd->src_op ? nd->src_op : "";
        l->op = report_op_name(g, nd);
        snprintf(l->in_shape, sizeof l->in_shape, "-");
        snprintf(l->out_shape, sizeof l->out_shape, "-");
        if (nd->n_in > 0 && nd->in[0] >= 0)
            shape_str(&g->tensors[nd->in[0]], l->in_shape, sizeof l->in_shape);
        if (nd->n_out > 0 && nd->out[0] >= 0)
            shape_str(&g->tensors[nd->out[0]], l->out_shape, sizeof l->out_shape);
        l->params = ir_node_params(g, n);
        l->macc = ir_node_macc(g, n);
        l->weight_bytes = compiled_node_weight_bytes(c, n);
        l->first_call = -1;
        d->macc += l->macc;
        d->params += l->params;
        d->weights += l->weight_bytes;
    }
    size_t *live = live_per_call(d, c->prog.n_calls);
    for (int i = 0; i < c->prog.n_calls; i++) {
        int n = c->prog.calls[i].node;
        if (n < 0 || n >= g->n_nodes)
            continue;
        report_layer *l = &d->layers[n];
        if (l->first_call < 0)
            l->first_call = i;
        l->n_calls++;
        l->ram_bytes = live[i] > l->ram_bytes ? live[i] : l->ram_bytes;
    }
    free(live);
}

/* ---- the blob --------------------------------------------------------------- */

static void collect_regions(const compiled *c, report_data *d)
{
    d->regions = xcalloc((size_t)c->n_bt + 4, sizeof *d->regions);
    if (c->blob_len < KILN_BLOB_HEADER_SIZE)
        return;
    uint32_t dir = kiln_rd_u32(c->blob + KILN_BLOB_OFF_DIR), data = kiln_rd_u32(c->blob + KILN_BLOB_OFF_DATA);
    uint32_t count = kiln_rd_u32(c->blob + KILN_BLOB_OFF_TENSOR_COUNT);
    size_t dir_end = (size_t)dir + (size_t)count * KILN_BLOB_DIR_ENTRY_SIZE;
    d->regions[d->n_regions++] = (report_region){"header", false, 0, KILN_BLOB_HEADER_SIZE};
    d->regions[d->n_regions++] = (report_region){"directory", false, dir, dir_end - dir};
    if (data > dir_end)
        d->regions[d->n_regions++] = (report_region){"names", false, dir_end, data - dir_end};
    for (int i = 0; i < c->n_bt; i++)
        d->regions[d->n_regions++] = (report_region){c->bt[i].name, true, c->bt[i].offset, c->bt[i].nbytes};
}

static void estimate_code(const compiled *c, report_data *d)
{
    const char **seen = xcalloc((size_t)c->prog.n_calls + 1, sizeof *seen);
    int n = 0;
    for (int i = 0; i < c->prog.n_calls; i++) {
        const char *k = c->prog.calls[i].kernel;
        bool dup = false;
        for (int j = 0; j < n && !dup; j++)
            dup = !strcmp(seen[j], k);
        if (!dup)
            seen[n++] = k;
    }
    free(seen);
    d->code.distinct_kernels = n;
    d->code.generated = CODE_GENERATED_BASE + (size_t)CODE_PER_CALL * (size_t)c->prog.n_calls;
    d->code.kernels = (size_t)CODE_PER_KERNEL * (size_t)n;
    d->code.runtime = CODE_RUNTIME + (c->expect.integrity == KILN_INTEGRITY_SHA256 ? CODE_SHA256 : 0);
    d->code.total = d->code.generated + d->code.kernels + d->code.runtime;
}

void report_data_build(const compiled *c, const report_board *board, report_data *d)
{
    memset(d, 0, sizeof *d);
    d->c = c;
    d->board = board;
    collect_buffers(c, d);
    collect_layers(c, d);
    collect_regions(c, d);
    estimate_code(c, d);
}

void report_data_free(report_data *d)
{
    free(d->layers);
    free(d->bufs);
    free(d->regions);
    memset(d, 0, sizeof *d);
}
