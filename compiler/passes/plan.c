/*
 * plan.c - the memory planner: lifetimes from the call list, in-place links,
 * then a greedy placement that tries several orders and keeps the smallest
 * arena.
 *
 * Relies on the LIR (lower.h) for who touches what and when, and on
 * plan_inplace.c for which kernels may write over their input.  The lower
 * bound it reports is the largest sum of buffers live during one call, a
 * call's in-place pair counted by the bytes its rule lets them share; the
 * arena can never be smaller, and `kiln analyze` prints both so the gap is
 * visible (with the bound without in-place execution beside them).
 *
 * plan_memory runs its phases one function each: find every buffer's
 * lifetime and size (refusing one that a 32-bit field of the generated code
 * could not describe), link the in-place pairs, sum the lower bound, place
 * the buffers in several orders keeping the smallest arena, record where
 * each tensor went, and check the result (plan_check.c).  Graph outputs
 * already own their bytes: the lowering gave them copies (lower_outputs.c).
 * Every phase is O(n log n) in the number of tensors and calls, except that
 * placing a buffer also visits the buffers live at the same time (the greedy
 * needs them in offset order), and small programs get up to 96 more
 * shuffled placement orders.
 */
#include "passes/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes/plan_inplace.h"
#include "util/sbuf.h"

static size_t align_up(size_t v)
{
    return (v + PLAN_ALIGN - 1) & ~(size_t)(PLAN_ALIGN - 1);
}

typedef struct buffer {
    size_t size;
    int first, last;      /* call indices, inclusive */
    size_t offset;
    bool placed;
    /* In-place links (phase 3): the call whose output may overlap this
     * buffer as its input (link_out) and the call whose input this buffer,
     * as its output, may overlap (link_in); -1: none. */
    int link_out, link_in;
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
        bufs[i].link_out = bufs[i].link_in = -1;
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

/* ---- phase 3: in-place links ---------------------------------------------- */

/* Call i's output may share bytes with its input a under rule r. */
typedef struct link {
    int a, b;               /* buffers: the input and the output; -1: no link */
    plan_inplace_rule r;
} link;

/* How many tensor arguments of c live in buffer r. */
static int uses_of(const lir_call *c, const int *root, int r)
{
    int n = 0;
    for (int a = 0; a < c->n_args; a++)
        n += c->args[a].kind == LIR_ARG_TENSOR && root[c->args[a].tensor] == r;
    return n;
}

/* Whether rule r of call i may link its input buffer A to its output B: A
 * dies at i and B is born there, each is a single argument, and neither is
 * state, a constant or a graph output (those must keep their bytes). */
static bool may_link(const ir_graph *g, const lir_call *c, int i, const int *root,
                     const char *out_root, const buffer *bufs, const plan_inplace_rule *r)
{
    const int A = root[c->args[r->in_arg].tensor], B = root[c->args[r->out_arg].tensor];
    const ir_tensor *ta = &g->tensors[A], *tb = &g->tensors[B];
    if (A == B || ir_is_const(ta) || ta->is_state || tb->is_state || out_root[A])
        return false;
    if (bufs[A].last != i || bufs[B].first != i || bufs[A].link_out >= 0 || bufs[B].link_in >= 0)
        return false;
    return uses_of(c, root, A) == 1 && uses_of(c, root, B) == 1 &&
           plan_inplace_max_overlap(r, bufs[A].size, bufs[B].size) >= PLAN_ALIGN;
}

/* Phase 3.  For each call, the first of its kernel's in-place rules
 * (plan_inplace.c) that may link an input to its output.  A link only
 * allows overlap; placement decides whether to use it. */
static link *link_inplace(const ir_graph *g, const lir_program *p, const int *root, buffer *bufs)
{
    const int nc = p->n_calls;
    link *links = xmalloc(((size_t)nc + 1) * sizeof *links);
    char *out_root = xcalloc((size_t)g->n_tensors + 1, 1);
    for (int k = 0; k < g->n_outputs; k++)
        out_root[root[g->outputs[k]]] = 1;
    for (int i = 0; i < nc; i++) {
        const lir_call *c = &p->calls[i];
        plan_inplace_rule rules[2];
        const int n = plan_inplace_rules(g, c, rules);
        links[i].a = links[i].b = -1;
        for (int k = 0; k < n && links[i].a < 0; k++) {
            if (!may_link(g, c, i, root, out_root, bufs, &rules[k]))
                continue;
            links[i].a = root[c->args[rules[k].in_arg].tensor];
            links[i].b = root[c->args[rules[k].out_arg].tensor];
            links[i].r = rules[k];
            bufs[links[i].a].link_out = bufs[links[i].b].link_in = i;
        }
    }
    free(out_root);
    return links;
}

/* Per call, the bytes its linked pair may share (for the lower bound). */
static size_t *link_credit(const link *links, const buffer *bufs, int nc)
{
    size_t *credit = xcalloc((size_t)nc + 1, sizeof *credit);
    for (int i = 0; i < nc; i++)
        if (links[i].a >= 0)
            credit[i] = plan_inplace_max_overlap(&links[i].r, bufs[links[i].a].size,
                                                 bufs[links[i].b].size);
    return credit;
}

/* Phase 4.  The most bytes live during any one call: a sweep that adds each
 * buffer's size at its first call and removes it after its last, less
 * credit[i] (the most bytes call i's in-place pair may share; NULL: none).
 * *peak receives that call's index. */
static size_t lower_bound(const buffer *bufs, int nb, int nc, const size_t *credit, int *peak)
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
        const size_t shared = credit && i < nc ? credit[i] : 0;
        if (live - shared > best) {
            best = live - shared;
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

/* ---- phase 5: placement --------------------------------------------------- */

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

/* The rule under which placed buffer x and buffer b may share bytes: the
 * link of the call where one is the input and the other the output; NULL:
 * they may not (links NULL: placement without in-place). */
static const link *link_between(const buffer *b, const buffer *x, const link *links)
{
    if (!links)
        return NULL;
    if (b->link_in >= 0 && x->link_out == b->link_in)
        return &links[b->link_in];
    if (b->link_out >= 0 && x->link_in == b->link_out)
        return &links[b->link_out];
    return NULL;
}

/* The lowest offset above `base` (aligned) whose distance from `from` is a
 * multiple of m, if one lies below `limit`; else limit. */
static size_t next_multiple(size_t base, size_t from, int64_t m, size_t limit)
{
    for (size_t c = align_up(base + 1); c < limit; c += PLAN_ALIGN)
        if (((int64_t)c - (int64_t)from) % m == 0)
            return c;
    return limit;
}

/* The lowest offset >= base at which b may sit beside placed buffer x,
 * sharing bytes with it only where their link's rule allows. */
static size_t allowed_from(const buffer *b, const buffer *x, const link *lk, size_t base)
{
    const size_t xend = align_up(x->offset + x->size);
    if (base + b->size <= x->offset || base >= xend)
        return base;
    if (!lk)
        return xend;
    const bool b_out = b->link_in >= 0 && x->link_out == b->link_in;
    const int64_t d = b_out ? (int64_t)base - (int64_t)x->offset : (int64_t)x->offset - (int64_t)base;
    if (b_out ? plan_inplace_allows(&lk->r, d, x->size, b->size)
              : plan_inplace_allows(&lk->r, d, b->size, x->size))
        return base;
    size_t next = xend;
    /* b the input: d falls as b rises, to dmax at x's offset - dmax. */
    if (!b_out && lk->r.dmax > -(int64_t)PLAN_MAX_BYTES) {
        const int64_t at = (int64_t)x->offset - lk->r.dmax;
        if (at > (int64_t)base && align_up((size_t)at) < next)
            next = align_up((size_t)at);
    }
    if (lk->r.modulus > 0)
        next = next_multiple(base, x->offset, lk->r.modulus, next);
    return next;
}

/* First fit for a buffer with in-place links: raise the offset past every
 * placed buffer that refuses it until none does.  Each step moves to the
 * lowest offset the refusing buffer allows, so the result is the lowest
 * offset all of them allow. */
static size_t fit_linked(const buffer *b, buffer **live, int nl, const link *links)
{
    size_t base = 0;
    for (bool moved = true; moved;) {
        moved = false;
        for (int j = 0; j < nl; j++) {
            const size_t next = allowed_from(b, live[j], link_between(b, live[j], links), base);
            if (next != base) {
                base = next;
                moved = true;
            }
        }
    }
    return base;
}

/* Places buffers in the given order at the lowest offset that conflicts with
 * no time-overlapping buffer placed before (links: the in-place pairs that
 * may share bytes, NULL for none); returns the arena size. */
static size_t place(buffer *bufs, int n, const int *order, const link *links)
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
        const bool linked = links && (b->link_in >= 0 || b->link_out >= 0);
        b->offset = linked ? fit_linked(b, live, nl, links) : first_fit(live, nl, b->size);
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

/* A deterministic generator for the shuffled orders (xorshift64). */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static const double *jitter_key;
static int cmp_jitter(const void *x, const void *y)
{
    const double a = jitter_key[*(const int *)x], b = jitter_key[*(const int *)y];
    return (a < b) - (a > b);
}

/* A shuffled order (k-th try): every other one uniform, the others roughly
 * largest first (each size scaled by a random factor between 1/3 and 3). */
static void shuffled_order(const buffer *bufs, int *order, int n, int k, uint64_t *rng)
{
    if (k & 1) {
        for (int i = n - 1; i > 0; i--) {
            const int j = (int)(next_rand(rng) % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return;
    }
    int nb = 0;
    for (int i = 0; i < n; i++)
        nb = order[i] + 1 > nb ? order[i] + 1 : nb;
    double *key = xcalloc((size_t)nb + 1, sizeof *key);
    for (int i = 0; i < n; i++)
        key[order[i]] = (double)bufs[order[i]].size * (1.0 / 3 + (double)(next_rand(rng) % 1000) * 8.0 / 3000);
    jitter_key = key;
    qsort(order, (size_t)n, sizeof *order, cmp_jitter);
    free(key);
}

/* How many shuffled orders to try: more for small programs, none past a
 * few thousand buffers (each try costs a placement). */
static int shuffles_for(int n_used)
{
    const int budget = 200000 / (n_used + 1);
    return budget > 96 ? 96 : budget;
}

/* Phase 5.  Greedy placement in three orders without in-place sharing,
 * the same three with it, then shuffled orders with it; the smallest arena
 * wins (the first of equals, so a program placed as small without sharing
 * shares nothing).  best_off receives each used buffer's offset;
 * *linked whether the winner used the links. */
static size_t place_best(const buffer *bufs, int nb, const link *links, size_t *best_off,
                         bool *linked)
{
    int n_used = 0;
    int *order = xmalloc((size_t)(nb + 1) * sizeof *order);
    for (int b = 0; b < nb; b++)
        if (bufs[b].last >= 0 && bufs[b].size > 0)
            order[n_used++] = b;
    size_t best = (size_t)-1;
    buffer *used = xmalloc((size_t)(n_used + 1) * sizeof *used);
    int *idx = xmalloc((size_t)(n_used + 1) * sizeof *idx);
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    const int tries = 6 + shuffles_for(n_used);
    *linked = false;
    for (int k = 0; k < tries; k++) {
        if (k < 6) {
            sort_bufs = bufs;
            sort_key = k % 3;
            qsort(order, (size_t)n_used, sizeof *order, cmp_order);
        } else {
            shuffled_order(bufs, order, n_used, k, &rng);
        }
        const link *lk = k < 3 ? NULL : links;
        /* place() works on a compact array of the used buffers. */
        for (int i = 0; i < n_used; i++) {
            used[i] = bufs[order[i]];
            idx[i] = i;
        }
        size_t size = place(used, n_used, idx, lk);
        if (size < best) {
            best = size;
            *linked = lk != NULL;
            for (int i = 0; i < n_used; i++)
                best_off[order[i]] = used[i].offset;
        }
    }
    free(used);
    free(idx);
    free(order);
    return n_used ? best : 0;
}

/* Phase 6.  Constants live in the blob; every other tensor a call touches
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

/* Which calls run in place: the input whose bytes the output overlaps in
 * the chosen placement. */
static void record_inplace(const link *links, const size_t *best_off, const buffer *bufs,
                           bool linked, plan *pl)
{
    pl->inplace_in = xmalloc(((size_t)pl->n_calls + 1) * sizeof *pl->inplace_in);
    for (int i = 0; i < pl->n_calls; i++) {
        const link *l = &links[i];
        pl->inplace_in[i] = -1;
        if (!linked || l->a < 0)
            continue;
        const size_t a = best_off[l->a], b = best_off[l->b];
        if (a < b + bufs[l->b].size && b < a + bufs[l->a].size) {
            pl->inplace_in[i] = l->a;
            pl->n_inplace++;
        }
    }
}

static void fail_too_large(const ir_graph *g, const buffer *bufs, int nb, const plan *pl, int peak,
                           char *err, size_t errlen)
{
    char live[320];
    describe_peak(g, bufs, nb, peak, live, sizeof live);
    snprintf(err, errlen, "the arena would need %zu bytes (at least %zu live at once during "
             "call %d: %s); the generated code describes the arena in 32 bits (at most %llu "
             "bytes)", pl->arena_bytes, pl->lower_bound, peak, live,
             (unsigned long long)PLAN_MAX_BYTES);
}

bool plan_memory(ir_graph *g, lir_program *p, plan *pl, char *err, size_t errlen)
{
    memset(pl, 0, sizeof *pl);
    const int nt = g->n_tensors, nc = p->n_calls, nb = nt + nc;
    pl->n_tensors = nt;
    pl->n_calls = nc;
    pl->home = xcalloc((size_t)nt + 1, sizeof *pl->home);
    pl->offset = xcalloc((size_t)nt + 1, sizeof *pl->offset);
    pl->root = lir_alias_roots(p, nt);
    pl->scratch_offset = xcalloc((size_t)nc + 1, sizeof *pl->scratch_offset);

    buffer *bufs = collect_lifetimes(g, p, pl->root);
    if (!size_buffers(g, p, pl->root, bufs, err, errlen)) {
        free(bufs);
        plan_free(pl);
        return false;
    }
    link *links = link_inplace(g, p, pl->root, bufs);
    size_t *credit = link_credit(links, bufs, nc);
    int peak, peak_separate;
    pl->lower_bound = lower_bound(bufs, nb, nc, credit, &peak);
    pl->lower_bound_separate = lower_bound(bufs, nb, nc, NULL, &peak_separate);
    size_t *best_off = xcalloc((size_t)nb + 1, sizeof *best_off);
    bool linked;
    pl->arena_bytes = place_best(bufs, nb, links, best_off, &linked);
    bool ok = pl->arena_bytes <= PLAN_MAX_BYTES;
    if (ok) {
        record_homes(g, p, bufs, best_off, pl);
        record_lifetimes(g, bufs, pl);
        record_inplace(links, best_off, bufs, linked, pl);
        pl->peak_call = peak;
        /* The invariant everything downstream relies on, checked on the
         * final plan with the kernels' rules alone (plan_check.c). */
        char why[400];
        if (!plan_check(g, p, pl, why, sizeof why)) {
            snprintf(err, errlen, "internal error: the memory plan is unsafe: %s", why);
            ok = false;
        }
    } else {
        fail_too_large(g, bufs, nb, pl, peak, err, errlen);
    }
    free(best_off);
    free(credit);
    free(links);
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
    free(pl->inplace_in);
    memset(pl, 0, sizeof *pl);
}
