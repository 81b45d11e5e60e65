/*
 * plan_place.c - the planner's placement phase: each buffer at the lowest
 * arena offset where it meets no buffer live at the same time, except the
 * in-place partner its link lets it share bytes with, in several orders,
 * keeping the smallest arena.
 *
 * Relies on plan.c for lifetimes, sizes and links (plan_internal.h) and on
 * plan_inplace.c for what a link allows.  The orders: largest first,
 * earliest first, longest-lived first (without links, then with), then up
 * to 96 shuffles from a fixed seed, so the plan is the same on every run.
 * Never decides what may share bytes; plan_check.c proves the result.
 */
#include "passes/plan_internal.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/sbuf.h"

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

size_t plan_place_best(const buffer *bufs, int nb, const link *links, size_t *best_off,
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
    bool any_link = false;
    for (int i = 0; i < n_used && links; i++)
        any_link = any_link || bufs[order[i]].link_in >= 0;
    /* Without links the orders with them would repeat the first three. */
    const int tries = any_link ? 6 + shuffles_for(n_used) : 3;
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

