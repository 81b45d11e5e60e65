/*
 * plan.c - the memory planner: lifetimes from the call list, then a greedy
 * placement that tries a few orders and keeps the smallest arena.
 *
 * Relies on the LIR (lower.h) for who touches what and when.  The lower bound
 * it reports is the largest sum of buffers live during one call; the arena can
 * never be smaller, and `kiln analyze` prints both so the gap is visible.
 *
 * plan_memory runs five phases, one function each: give graph outputs their
 * own bytes, find every buffer's lifetime and size (refusing one that a
 * 32-bit field of the generated code could not describe), sum the lower
 * bound, place the buffers in three orders keeping the smallest arena, and
 * record where each tensor went.  Every phase is O(n log n) in the number of
 * tensors and calls, except that placing a buffer also visits the buffers
 * live at the same time (the greedy needs them in offset order).
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

/* The root of every tensor's alias chain (a tensor without alias is its own
 * root), each chain walked once.  A chain that loops (never made by the
 * lowerings) ends at the tensor where the loop was found. */
static int *resolve_roots(const lir_program *p, int nt)
{
    int *root = xmalloc(((size_t)nt + 1) * sizeof *root);
    char *state = xcalloc((size_t)nt + 1, 1); /* 0 new, 1 on the current walk, 2 done */
    int *walk = xmalloc(((size_t)nt + 1) * sizeof *walk);
    for (int t = 0; t < nt; t++) {
        int n = 0, u = t;
        while (state[u] == 0) {
            state[u] = 1;
            walk[n++] = u;
            const int parent = u < p->n_alias ? p->alias[u] : -1;
            if (parent < 0 || parent >= nt)
                break;
            u = parent;
        }
        const int r = state[u] == 2 ? root[u] : u;
        for (int i = 0; i < n; i++) {
            root[walk[i]] = r;
            state[walk[i]] = 2;
        }
    }
    free(walk);
    free(state);
    return root;
}

/* A fresh tensor like t (shape, type, quantization) that becomes graph
 * output k in t's place, filled by a byte copy after the last layer. */
static int copy_output(ir_graph *g, lir_program *p, int k, int t, int *listings)
{
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
    g->outputs[k] = nt;
    src->is_output = --listings[t] > 0; /* still an output if listed again */
    lir_call *c = lir_begin(p, -1, "kiln_copy_bytes", NULL, NULL);
    lir_in(c, t);
    lir_out(c, nt);
    lir_int(c, (int64_t)ir_nbytes(src));
    return nt;
}

/* Phase 1.  A graph output must own its bytes: the caller may hand in its
 * own buffer, and an output that is a constant, a graph input or another
 * output's bytes would otherwise be written through the wrong pointer.  Such
 * outputs get a fresh tensor (copy_output). */
static void give_outputs_own_bytes(ir_graph *g, lir_program *p)
{
    const int nt = g->n_tensors;
    int *root = resolve_roots(p, nt);
    char *claimed = xcalloc((size_t)nt + 1, 1);   /* roots an earlier output owns */
    int *listings = xcalloc((size_t)nt + 1, sizeof *listings);
    for (int k = 0; k < g->n_outputs; k++)
        listings[g->outputs[k]]++;
    for (int k = 0; k < g->n_outputs; k++) {
        const int t = g->outputs[k], r = root[t];
        if (ir_is_const(&g->tensors[r]) || g->tensors[r].is_input || claimed[r])
            copy_output(g, p, k, t, listings);
        else
            claimed[r] = 1;
    }
    lir_alias(p, g->n_tensors, -1);
    free(listings);
    free(claimed);
    free(root);
}

typedef struct buffer {
    size_t size;
    int first, last;      /* call indices, inclusive */
    size_t offset;
    bool placed;
} buffer;

/* Phase 2.  Buffers 0..nt-1 belong to root tensors, nt + i to call i's
 * scratch.  A buffer lives from the first call that touches it to the last
 * (last < 0: unused); state, graph inputs and graph outputs live longer. */
static buffer *collect_lifetimes(const ir_graph *g, const lir_program *p, const int *root)
{
    const int nt = g->n_tensors, nc = p->n_calls, nb = nt + nc;
    buffer *bufs = xcalloc((size_t)nb + 1, sizeof *bufs);
    for (int i = 0; i < nb; i++) {
        bufs[i].first = nc;
        bufs[i].last = -1;
    }
    const int last_call = nc > 0 ? nc - 1 : 0;
    for (int i = 0; i < nc; i++) {
        const lir_call *c = &p->calls[i];
        for (int a = 0; a < c->n_args; a++) {
            if (c->args[a].kind != LIR_ARG_TENSOR)
                continue;
            int r = root[c->args[a].tensor];
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
        int r = root[t];
        if (!g->tensors[r].is_state || bufs[r].last < 0)
            continue;
        bufs[r].first = 0;
        bufs[r].last = last_call;
    }
    for (int k = 0; k < g->n_inputs; k++) {
        int r = root[g->inputs[k]];
        bufs[r].first = 0;
        if (bufs[r].last < 0)
            bufs[r].last = 0;
    }
    for (int k = 0; k < g->n_outputs; k++) {
        int r = root[g->outputs[k]];
        if (ir_is_const(&g->tensors[r]))
            continue;
        if (bufs[r].first > last_call)
            bufs[r].first = 0;
        bufs[r].last = last_call;
    }
    return bufs;
}

/* Phase 2, sizes.  Every buffer and the arena are described by uint32
 * fields in the generated code (kiln_model.arena_bytes, kiln_io_desc.bytes
 * and .arena_offset, kiln_state_desc), so a buffer of 4 GiB or more is
 * refused here rather than truncated there.  Below that, no sum or offset
 * computed in size_t can wrap (at most 2^31 buffers of under 2^32 bytes). */
static bool size_buffers(const ir_graph *g, const lir_program *p, const int *root, buffer *bufs,
                         char *err, size_t errlen)
{
    const int nt = g->n_tensors;
    for (int t = 0; t < nt; t++) {
        if (root[t] != t || bufs[t].last < 0)
            continue;
        uint64_t bytes;
        if (!ir_checked_nbytes(&g->tensors[t], &bytes) || bytes > PLAN_MAX_BYTES) {
            snprintf(err, errlen, "tensor '%s' needs %llu bytes in the arena; the generated code "
                     "describes sizes and offsets in 32 bits (at most %llu bytes)",
                     g->tensors[t].name, (unsigned long long)bytes,
                     (unsigned long long)PLAN_MAX_BYTES);
            return false;
        }
        /* An empty tensor still needs a distinct, valid pointer. */
        bufs[t].size = bytes ? (size_t)bytes : 1;
    }
    for (int i = 0; i < p->n_calls; i++)
        if ((uint64_t)p->calls[i].scratch_bytes > PLAN_MAX_BYTES) {
            const lir_call *c = &p->calls[i];
            snprintf(err, errlen, "call %d (%s, node %d '%s') needs %zu bytes of scratch; the "
                     "generated code describes the arena in 32 bits (at most %llu bytes)", i,
                     c->kernel, c->node, c->node >= 0 ? g->nodes[c->node].name : "",
                     c->scratch_bytes, (unsigned long long)PLAN_MAX_BYTES);
            return false;
        }
    return true;
}

/* Phase 3.  The most bytes live during any one call: a sweep that adds each
 * buffer's size at its first call and removes it after its last.  *peak
 * receives that call's index. */
static size_t lower_bound(const buffer *bufs, int nb, int nc, int *peak)
{
    const int steps = nc > 0 ? nc : 1;
    size_t *delta = xcalloc((size_t)steps + 1, sizeof *delta);   /* added at step i */
    size_t *gone = xcalloc((size_t)steps + 1, sizeof *gone);     /* removed after step i */
    for (int b = 0; b < nb; b++) {
        if (bufs[b].last < 0 || bufs[b].first > bufs[b].last || bufs[b].first >= steps)
            continue;
        delta[bufs[b].first] += bufs[b].size;
        gone[bufs[b].last < steps ? bufs[b].last : steps - 1] += bufs[b].size;
    }
    size_t live = 0, best = 0;
    *peak = 0;
    for (int i = 0; i < steps; i++) {
        live += delta[i];
        if (live > best) {
            best = live;
            *peak = i;
        }
        live -= gone[i];
    }
    free(delta);
    free(gone);
    return best;
}

/* Why an arena is too large: the three largest buffers live during call
 * `peak`, by name, for the message. */
static void describe_peak(const ir_graph *g, const buffer *bufs, int nb, int peak, char *out,
                          size_t n)
{
    int top[3] = {-1, -1, -1};
    for (int b = 0; b < nb; b++) {
        if (bufs[b].last < 0 || bufs[b].first > peak || bufs[b].last < peak)
            continue;
        for (int k = 0; k < 3; k++)
            if (top[k] < 0 || bufs[b].size > bufs[top[k]].size) {
                for (int j = 2; j > k; j--)
                    top[j] = top[j - 1];
                top[k] = b;
                break;
            }
    }
    size_t at = 0;
    out[0] = '\0';
    for (int k = 0; k < 3 && top[k] >= 0 && at < n; k++) {
        const int b = top[k];
        if (b < g->n_tensors)
            at += (size_t)snprintf(out + at, n - at, "%s'%s' (%zu bytes)", k ? ", " : "",
                                   g->tensors[b].name, bufs[b].size);
        else
            at += (size_t)snprintf(out + at, n - at, "%sscratch of call %d (%zu bytes)",
                                   k ? ", " : "", b - g->n_tensors, bufs[b].size);
    }
}

/* ---- phase 4: placement --------------------------------------------------- */

/* The placed buffers whose lifetime meets a given one, found without a scan
 * of all of them: buffers sorted by first call are the leaves of a tree
 * holding, per subtree, the latest last call of its placed buffers.  Those
 * meeting [first, last] are the placed ones among the buffers starting at or
 * before `last` that end at or after `first`; the search descends only into
 * subtrees that hold one, so it costs O((k + 1) log n) for k found. */
typedef struct live_index {
    int n, size;            /* leaves used; leaves allocated (a power of two) */
    int *by_first;          /* leaf -> buffer */
    int *leaf_of;           /* buffer -> leaf */
    int *max_last;          /* heap-ordered tree of 2 * size nodes, -1: nothing placed */
} live_index;

static const buffer *order_bufs;
static int cmp_first(const void *x, const void *y)
{
    const int a = *(const int *)x, b = *(const int *)y;
    const int fa = order_bufs[a].first, fb = order_bufs[b].first;
    return fa != fb ? (fa > fb) - (fa < fb) : (a > b) - (a < b);
}

static void live_init(live_index *ix, const buffer *bufs, int n)
{
    ix->n = n;
    ix->size = 1;
    while (ix->size < n)
        ix->size *= 2;
    ix->by_first = xmalloc(((size_t)n + 1) * sizeof *ix->by_first);
    ix->leaf_of = xmalloc(((size_t)n + 1) * sizeof *ix->leaf_of);
    ix->max_last = xmalloc(2 * (size_t)ix->size * sizeof *ix->max_last);
    for (int i = 0; i < n; i++)
        ix->by_first[i] = i;
    order_bufs = bufs;
    qsort(ix->by_first, (size_t)n, sizeof *ix->by_first, cmp_first);
    for (int i = 0; i < n; i++)
        ix->leaf_of[ix->by_first[i]] = i;
    for (int i = 0; i < 2 * ix->size; i++)
        ix->max_last[i] = -1;
}

static void live_free(live_index *ix)
{
    free(ix->by_first);
    free(ix->leaf_of);
    free(ix->max_last);
}

static void live_add(live_index *ix, int b, int last)
{
    int node = ix->size + ix->leaf_of[b];
    ix->max_last[node] = last;
    for (node /= 2; node >= 1; node /= 2) {
        const int l = ix->max_last[2 * node], r = ix->max_last[2 * node + 1];
        ix->max_last[node] = l > r ? l : r;
    }
}

/* Leaves of subtree `node` (covering leaves [lo, hi)) below `end` whose
 * placed buffer ends at or after `first` are appended to out. */
static void live_collect(const live_index *ix, int node, int lo, int hi, int end, int first,
                         buffer *bufs, buffer **out, int *n_out)
{
    if (lo >= end || ix->max_last[node] < first)
        return;
    if (hi - lo == 1) {
        out[(*n_out)++] = &bufs[ix->by_first[lo]];
        return;
    }
    const int mid = (lo + hi) / 2;
    live_collect(ix, 2 * node, lo, mid, end, first, bufs, out, n_out);
    live_collect(ix, 2 * node + 1, mid, hi, end, first, bufs, out, n_out);
}

/* Number of leaves whose buffer starts at or before call `last`. */
static int starts_until(const live_index *ix, const buffer *bufs, int last)
{
    int lo = 0, hi = ix->n;
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (bufs[ix->by_first[mid]].first <= last)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int cmp_offset(const void *x, const void *y)
{
    const buffer *a = *(const buffer *const *)x, *b = *(const buffer *const *)y;
    return (a->offset > b->offset) - (a->offset < b->offset);
}

/* The lowest offset where b fits between the buffers live with it (sorted by
 * offset; equal offsets in any order give the same answer, since each of
 * them either ends the search or raises it past all of them). */
static size_t first_fit(buffer **live, int nl, size_t size)
{
    qsort(live, (size_t)nl, sizeof *live, cmp_offset);
    size_t off = 0;
    for (int j = 0; j < nl; j++) {
        if (live[j]->offset >= off + size)
            break;
        size_t end = align_up(live[j]->offset + live[j]->size);
        if (end > off)
            off = end;
    }
    return off;
}

/* Places buffers in the given order at the lowest offset that conflicts with
 * no time-overlapping buffer placed before; returns the arena size. */
static size_t place(buffer *bufs, int n, const int *order)
{
    buffer **live = xmalloc((size_t)(n + 1) * sizeof *live);
    live_index ix;
    live_init(&ix, bufs, n);
    size_t top = 0;
    for (int i = 0; i < n; i++)
        bufs[i].placed = false;
    for (int oi = 0; oi < n; oi++) {
        buffer *b = &bufs[order[oi]];
        int nl = 0;
        live_collect(&ix, 1, 0, ix.size, starts_until(&ix, bufs, b->last), b->first, bufs, live,
                     &nl);
        b->offset = first_fit(live, nl, b->size);
        b->placed = true;
        live_add(&ix, order[oi], b->last);
        if (b->offset + b->size > top)
            top = b->offset + b->size;
    }
    live_free(&ix);
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

/* Phase 4.  Greedy placement in three orders; the smallest arena wins (the
 * first of equals).  best_off receives each used buffer's offset. */
static size_t place_best(const buffer *bufs, int nb, size_t *best_off)
{
    int n_used = 0;
    int *order = xmalloc((size_t)(nb + 1) * sizeof *order);
    for (int b = 0; b < nb; b++)
        if (bufs[b].last >= 0 && bufs[b].size > 0)
            order[n_used++] = b;
    size_t best = (size_t)-1;
    buffer *used = xmalloc((size_t)(n_used + 1) * sizeof *used);
    int *idx = xmalloc((size_t)(n_used + 1) * sizeof *idx);
    for (int key = 0; key < 3; key++) {
        sort_bufs = bufs;
        sort_key = key;
        qsort(order, (size_t)n_used, sizeof *order, cmp_order);
        /* place() works on a compact array of the used buffers. */
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
    }
    free(used);
    free(idx);
    free(order);
    return n_used ? best : 0;
}

/* Phase 5.  Constants live in the blob; every other tensor a call touches
 * lives at its root's offset in the arena. */
static void record_homes(const ir_graph *g, const lir_program *p, const buffer *bufs,
                         const size_t *best_off, plan *pl)
{
    const int nt = g->n_tensors;
    for (int t = 0; t < nt; t++) {
        int r = pl->root[t];
        if (ir_is_const(&g->tensors[r]))
            pl->home[t] = PLAN_BLOB;
        else if (bufs[r].last >= 0) {
            pl->home[t] = PLAN_ARENA;
            pl->offset[t] = best_off[r];
        }
    }
    for (int i = 0; i < p->n_calls; i++)
        if (p->calls[i].scratch_bytes)
            pl->scratch_offset[i] = best_off[nt + i];
}

/* The lifetimes the placement used, kept for reports. */
static void record_lifetimes(const ir_graph *g, const buffer *bufs, plan *pl)
{
    pl->first_call = xcalloc((size_t)g->n_tensors + 1, sizeof *pl->first_call);
    pl->last_call = xcalloc((size_t)g->n_tensors + 1, sizeof *pl->last_call);
    for (int t = 0; t < g->n_tensors; t++) {
        const buffer *b = &bufs[pl->root[t]];
        bool live = pl->home[t] == PLAN_ARENA && b->last >= 0;
        pl->first_call[t] = live ? b->first : -1;
        pl->last_call[t] = live ? b->last : -1;
    }
}

bool plan_memory(ir_graph *g, lir_program *p, plan *pl, char *err, size_t errlen)
{
    give_outputs_own_bytes(g, p);
    memset(pl, 0, sizeof *pl);
    const int nt = g->n_tensors, nc = p->n_calls, nb = nt + nc;
    pl->n_tensors = nt;
    pl->n_calls = nc;
    pl->home = xcalloc((size_t)nt + 1, sizeof *pl->home);
    pl->offset = xcalloc((size_t)nt + 1, sizeof *pl->offset);
    pl->root = resolve_roots(p, nt);
    pl->scratch_offset = xcalloc((size_t)nc + 1, sizeof *pl->scratch_offset);

    buffer *bufs = collect_lifetimes(g, p, pl->root);
    if (!size_buffers(g, p, pl->root, bufs, err, errlen)) {
        free(bufs);
        plan_free(pl);
        return false;
    }
    int peak;
    pl->lower_bound = lower_bound(bufs, nb, nc, &peak);
    size_t *best_off = xcalloc((size_t)nb + 1, sizeof *best_off);
    pl->arena_bytes = place_best(bufs, nb, best_off);
    bool ok = pl->arena_bytes <= PLAN_MAX_BYTES;
    if (ok) {
        record_homes(g, p, bufs, best_off, pl);
        record_lifetimes(g, bufs, pl);
        pl->peak_call = peak;
    } else {
        char live[320];
        describe_peak(g, bufs, nb, peak, live, sizeof live);
        snprintf(err, errlen, "the arena would need %zu bytes (at least %zu live at once during "
                 "call %d: %s); the generated code describes the arena in 32 bits (at most %llu "
                 "bytes)", pl->arena_bytes, pl->lower_bound, peak, live,
                 (unsigned long long)PLAN_MAX_BYTES);
    }
    free(best_off);
    free(bufs);
    if (!ok)
        plan_free(pl);
    return ok;
}

void plan_free(plan *pl)
{
    free(pl->home);
    free(pl->offset);
    free(pl->root);
    free(pl->scratch_offset);
    free(pl->first_call);
    free(pl->last_call);
    memset(pl, 0, sizeof *pl);
}
