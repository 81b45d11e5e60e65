/*
 * plan.c - the memory planner: lifetimes from the call list, then a greedy
 * placement that tries a few orders and keeps the smallest arena.
 *
 * Relies on the LIR (lower.h) for who touches what and when.  The lower bound
 * it reports is the largest sum of buffers live during one call; the arena can
 * never be smaller, and `kiln analyze` prints both so the gap is visible.
 */
#include "passes/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

static size_t align_up(size_t v)
{
    return (v + PLAN_ALIGN - 1) & ~(size_t)(PLAN_ALIGN - 1);
}

static int alias_parent(const lir_program *p, int t)
{
    return (t < p->n_alias) ? p->alias[t] : -1;
}

static int find_root(const lir_program *p, int t)
{
    int guard = 0;
    while (alias_parent(p, t) >= 0 && guard++ < 1 << 20)
        t = alias_parent(p, t);
    return t;
}

/* A graph output must own its bytes: the caller may hand in its own buffer,
 * and an output that is a constant, a graph input or another output's bytes
 * would otherwise be written through the wrong pointer.  Such outputs get a
 * fresh tensor filled by a byte copy after the last layer. */
static void give_outputs_own_bytes(ir_graph *g, lir_program *p)
{
    for (int k = 0; k < g->n_outputs; k++) {
        int t = g->outputs[k];
        int r = find_root(p, t);
        bool shared = ir_is_const(&g->tensors[r]) || g->tensors[r].is_input;
        for (int j = 0; j < k && !shared; j++)
            shared = find_root(p, g->outputs[j]) == r;
        if (!shared)
            continue;
        ir_tensor *src = &g->tensors[t];
        char *name = xasprintf("%s:out", src->name);
        int64_t shape[IR_MAX_DIMS];
        memcpy(shape, src->shape, sizeof shape);
        int nt = ir_add_tensor(g, name, src->dtype, src->rank, shape);
        free(name);
        src = &g->tensors[t]; /* ir_add_tensor may have moved the array */
        if (src->q.n)
            ir_set_quant(g, nt, src->q.n, src->q.axis, src->q.scale, src->q.zero_point);
        g->tensors[nt].is_output = true;
        src->is_output = false;
        for (int j = 0; j < g->n_outputs; j++)
            if (j != k && g->outputs[j] == t)
                src->is_output = true;
        g->outputs[k] = nt;
        lir_call *c = lir_begin(p, -1, "kiln_copy_bytes", NULL, NULL);
        lir_in(c, t);
        lir_out(c, nt);
        lir_int(c, (int64_t)ir_nbytes(src));
    }
    lir_alias(p, g->n_tensors, -1);
}

typedef struct buffer {
    size_t size;
    int first, last;      /* call indices, inclusive */
    size_t offset;
    bool placed;
} buffer;

static bool overlap_time(const buffer *a, const buffer *b)
{
    return a->first <= b->last && b->first <= a->last;
}

static int cmp_offset(const void *x, const void *y)
{
    const buffer *a = *(const buffer *const *)x, *b = *(const buffer *const *)y;
    return (a->offset > b->offset) - (a->offset < b->offset);
}

/* Places buffers in the given order at the lowest offset that conflicts with
 * no time-overlapping buffer placed before; returns the arena size. */
static size_t place(buffer *bufs, int n, const int *order)
{
    buffer **live = xmalloc((size_t)(n + 1) * sizeof *live);
    size_t top = 0;
    for (int i = 0; i < n; i++)
        bufs[i].placed = false;
    for (int oi = 0; oi < n; oi++) {
        buffer *b = &bufs[order[oi]];
        int nl = 0;
        for (int j = 0; j < n; j++)
            if (bufs[j].placed && overlap_time(&bufs[j], b))
                live[nl++] = &bufs[j];
        qsort(live, (size_t)nl, sizeof *live, cmp_offset);
        size_t off = 0;
        for (int j = 0; j < nl; j++) {
            if (live[j]->offset >= off + b->size)
                break;
            size_t end = align_up(live[j]->offset + live[j]->size);
            if (end > off)
                off = end;
        }
        b->offset = off;
        b->placed = true;
        if (off + b->size > top)
            top = off + b->size;
    }
    free(live);
    return align_up(top);
}

static const buffer *sort_bufs;
static int sort_key;
static int cmp_order(const void *x, const void *y)
{
    const buffer *a = &sort_bufs[*(const int *)x], *b = &sort_bufs[*(const int *)y];
    int c = 0;
    switch (sort_key) {
    case 0: /* largest first, then earliest */
        c = (a->size < b->size) - (a->size > b->size);
        if (!c)
            c = (a->first > b->first) - (a->first < b->first);
        break;
    case 1: /* earliest first, then largest */
        c = (a->first > b->first) - (a->first < b->first);
        if (!c)
            c = (a->size < b->size) - (a->size > b->size);
        break;
    default: /* longest-lived first, then largest */
        c = ((a->last - a->first) < (b->last - b->first)) - ((a->last - a->first) > (b->last - b->first));
        if (!c)
            c = (a->size < b->size) - (a->size > b->size);
        break;
    }
    if (!c)
        c = (*(const int *)x > *(const int *)y) - (*(const int *)x < *(const int *)y);
    return c;
}

bool plan_memory(ir_graph *g, lir_program *p, plan *pl, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    give_outputs_own_bytes(g, p);
    memset(pl, 0, sizeof *pl);
    int nt = g->n_tensors, nc = p->n_calls;
    pl->n_tensors = nt;
    pl->n_calls = nc;
    pl->home = xcalloc((size_t)nt + 1, sizeof *pl->home);
    pl->offset = xcalloc((size_t)nt + 1, sizeof *pl->offset);
    pl->root = xmalloc(((size_t)nt + 1) * sizeof *pl->root);
    pl->scratch_offset = xcalloc((size_t)nc + 1, sizeof *pl->scratch_offset);

    /* Buffers 0..nt-1 belong to root tensors; nt + i to call i's scratch. */
    int nb = nt + nc;
    buffer *bufs = xcalloc((size_t)nb + 1, sizeof *bufs);
    for (int i = 0; i < nb; i++) {
        bufs[i].first = nc;
        bufs[i].last = -1;
    }
    for (int t = 0; t < nt; t++)
        pl->root[t] = find_root(p, t);

    int last_call = nc > 0 ? nc - 1 : 0;
    for (int i = 0; i < nc; i++) {
        const lir_call *c = &p->calls[i];
        for (int a = 0; a < c->n_args; a++) {
            if (c->args[a].kind != LIR_ARG_TENSOR)
                continue;
            int r = pl->root[c->args[a].tensor];
            if (ir_is_const(&g->tensors[r]))
                continue;
            if (i < bufs[r].first)
                bufs[r].first = i;
            if (i > bufs[r].last)
                bufs[r].last = i;
        }
        if (c->scratch_bytes) {
            bufs[nt + i].first = bufs[nt + i].last = i;
            bufs[nt + i].size = c->scratch_bytes;
        }
    }
    /* State keeps its bytes across invocations: live always, shared with nothing. */
    for (int t = 0; t < nt; t++) {
        int r = pl->root[t];
        if (!g->tensors[r].is_state || bufs[r].last < 0)
            continue;
        bufs[r].first = 0;
        bufs[r].last = last_call;
    }
    for (int k = 0; k < g->n_inputs; k++) {
        int r = pl->root[g->inputs[k]];
        bufs[r].first = 0;
        if (bufs[r].last < 0)
            bufs[r].last = 0;
    }
    for (int k = 0; k < g->n_outputs; k++) {
        int r = pl->root[g->outputs[k]];
        if (ir_is_const(&g->tensors[r]))
            continue;
        if (bufs[r].first > last_call)
            bufs[r].first = 0;
        bufs[r].last = last_call;
    }
    for (int t = 0; t < nt; t++) {
        if (pl->root[t] != t || bufs[t].last < 0)
            continue;
        bufs[t].size = ir_nbytes(&g->tensors[t]);
        if (bufs[t].size == 0)
            bufs[t].size = 1; /* an empty tensor still needs a distinct, valid pointer */
    }

    /* Lower bound: the most bytes live during any one call. */
    int steps = nc > 0 ? nc : 1;
    for (int i = 0; i < steps; i++) {
        size_t live = 0;
        for (int b = 0; b < nb; b++)
            if (bufs[b].last >= 0 && bufs[b].first <= i && i <= bufs[b].last)
                live += bufs[b].size;
        if (live > pl->lower_bound)
            pl->lower_bound = live;
    }

    int n_used = 0;
    int *order = xmalloc((size_t)(nb + 1) * sizeof *order);
    for (int b = 0; b < nb; b++)
        if (bufs[b].last >= 0 && bufs[b].size > 0)
            order[n_used++] = b;
    size_t best = (size_t)-1;
    size_t *best_off = xcalloc((size_t)nb + 1, sizeof *best_off);
    for (int key = 0; key < 3; key++) {
        sort_bufs = bufs;
        sort_key = key;
        qsort(order, (size_t)n_used, sizeof *order, cmp_order);
        /* place() works on a compact array of the used buffers. */
        buffer *used = xmalloc((size_t)(n_used + 1) * sizeof *used);
        int *idx = xmalloc((size_t)(n_used + 1) * sizeof *idx);
        for (int i = 0; i < n_used; i++) {
            used[i] = bufs[order[i]];
            idx[i] = i;
        }
        size_t size = place(used, n_used, idx);
        if (size < best) {
            best = size;
            for (int i = 0; i < n_used; i++)
                best_off[order[i]] = used[i].offset;
        }
        free(used);
        free(idx);
    }
    pl->arena_bytes = n_used ? best : 0;

    for (int t = 0; t < nt; t++) {
        int r = pl->root[t];
        if (ir_is_const(&g->tensors[r]))
            pl->home[t] = PLAN_BLOB;
        else if (bufs[r].last >= 0) {
            pl->home[t] = PLAN_ARENA;
            pl->offset[t] = best_off[r];
        }
    }
    for (int i = 0; i < nc; i++)
        if (p->calls[i].scratch_bytes)
            pl->scratch_offset[i] = best_off[nt + i];
    free(order);
    free(best_off);
    free(bufs);
    return true;
}

void plan_free(plan *pl)
{
    free(pl->home);
    free(pl->offset);
    free(pl->root);
    free(pl->scratch_offset);
    memset(pl, 0, sizeof *pl);
}
