/*
 * plan_check.c - the proof obligation of every memory plan: no call sees
 * two live buffers in the same bytes, except an input its kernel may
 * overwrite in place.
 *
 * Works from the finished plan alone (offsets, lifetimes, scratch) and the
 * kernels' in-place rules (plan_inplace.c), not from the planner's links or
 * placement, so a planner bug that shares bytes it should not is caught
 * here.  Per call, the buffers live during it are sorted by offset and each
 * is compared with the earlier ones that reach past its start.  Never
 * changes the plan; host-only.
 */
#include "passes/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes/plan_inplace.h"
#include "util/sbuf.h"

typedef struct span {
    size_t off, size;
    int first, last;
    int tensor;            /* root tensor; -1: scratch */
    int call;              /* scratch: its call */
} span;

static int collect(const ir_graph *g, const lir_program *p, const plan *pl, span *s)
{
    int n = 0;
    for (int t = 0; t < g->n_tensors; t++) {
        if (pl->root[t] != t || pl->home[t] != PLAN_ARENA || !pl->first_call ||
            pl->first_call[t] < 0)
            continue;
        const size_t bytes = ir_nbytes(&g->tensors[t]);
        s[n++] = (span){pl->offset[t], bytes ? bytes : 1, pl->first_call[t], pl->last_call[t], t, -1};
    }
    for (int i = 0; i < p->n_calls; i++)
        if (p->calls[i].scratch_bytes)
            s[n++] = (span){pl->scratch_offset[i], p->calls[i].scratch_bytes, i, i, -1, i};
    return n;
}

/* Whether call i's kernel may write output buffer `out` over input `in` at
 * these offsets: both are single arguments of call i, `in` dies and `out` is
 * born there, and one of the kernel's rules allows their distance. */
static bool inplace_ok(const ir_graph *g, const lir_program *p, const plan *pl, const span *in,
                       const span *out)
{
    const int i = out->first;
    if (in->tensor < 0 || out->tensor < 0 || in->last != i || i < 0 || i >= p->n_calls)
        return false;
    const lir_call *c = &p->calls[i];
    plan_inplace_rule r[2];
    const int n = plan_inplace_rules(g, c, r);
    for (int k = 0; k < n; k++) {
        const int a = pl->root[c->args[r[k].in_arg].tensor], b = pl->root[c->args[r[k].out_arg].tensor];
        int uses_a = 0, uses_b = 0;
        for (int j = 0; j < c->n_args; j++)
            if (c->args[j].kind == LIR_ARG_TENSOR) {
                uses_a += pl->root[c->args[j].tensor] == a;
                uses_b += pl->root[c->args[j].tensor] == b;
            }
        if (a != in->tensor || b != out->tensor || uses_a != 1 || uses_b != 1)
            continue;
        if (plan_inplace_allows(&r[k], (int64_t)out->off - (int64_t)in->off, in->size, out->size))
            return true;
    }
    return false;
}

static const char *name_of(const ir_graph *g, const span *s, char *buf, size_t n)
{
    if (s->tensor >= 0)
        snprintf(buf, n, "'%s'", g->tensors[s->tensor].name);
    else
        snprintf(buf, n, "scratch of call %d", s->call);
    return buf;
}

static int by_offset(const void *x, const void *y)
{
    const span *a = *(const span *const *)x, *b = *(const span *const *)y;
    return (a->off > b->off) - (a->off < b->off);
}

static int by_first(const void *x, const void *y)
{
    const span *a = *(const span *const *)x, *b = *(const span *const *)y;
    return (a->first > b->first) - (a->first < b->first);
}

/* The nl buffers live during call i, checked pairwise where their bytes
 * meet (sorted by offset here; the caller keeps its own order). */
static bool check_call(const ir_graph *g, const lir_program *p, const plan *pl,
                       const span *const *active, int nl, int i, const span **live, char *why,
                       size_t wn)
{
    memcpy(live, active, (size_t)nl * sizeof *live);
    qsort(live, (size_t)nl, sizeof *live, by_offset);
    for (int k = 1; k < nl; k++)
        for (int j = k - 1; j >= 0; j--) {
            const span *a = live[j], *b = live[k];
            if (a->off + a->size <= b->off)
                continue; /* earlier ones may still reach further: keep looking */
            if (inplace_ok(g, p, pl, a, b) || inplace_ok(g, p, pl, b, a))
                continue; /* the rule's arguments fix which is the input */
            char na[160], nb[160];
            snprintf(why, wn, "during call %d (%s), %s at %zu (%zu bytes) and %s at %zu (%zu "
                     "bytes) share bytes", i, p->calls[i].kernel, name_of(g, a, na, sizeof na),
                     a->off, a->size, name_of(g, b, nb, sizeof nb), b->off, b->size);
            return false;
        }
    return true;
}

bool plan_check(const ir_graph *g, const lir_program *p, const plan *pl, char *why, size_t wn)
{
    const int cap = g->n_tensors + p->n_calls + 1;
    span *s = xmalloc((size_t)cap * sizeof *s);
    const span **live = xmalloc((size_t)cap * sizeof *live);
    const int n = collect(g, p, pl, s);
    bool ok = true;
    for (int k = 0; k < n && ok; k++)
        if (s[k].off + s[k].size > pl->arena_bytes) {
            char nm[160];
            snprintf(why, wn, "%s ends at %zu, past the arena's %zu bytes",
                     name_of(g, &s[k], nm, sizeof nm), s[k].off + s[k].size, pl->arena_bytes);
            ok = false;
        }
    /* Sweep the calls keeping the buffers live during each. */
    const span **start = xmalloc((size_t)cap * sizeof *start), **active = xmalloc((size_t)cap * sizeof *active);
    for (int k = 0; k < n; k++)
        start[k] = &s[k];
    qsort(start, (size_t)n, sizeof *start, by_first);
    int next = 0, na = 0;
    for (int i = 0; i < p->n_calls && ok; i++) {
        int keep = 0;
        for (int k = 0; k < na; k++)
            if (active[k]->last >= i)
                active[keep++] = active[k];
        na = keep;
        for (; next < n && start[next]->first <= i; next++)
            if (start[next]->last >= i)
                active[na++] = start[next];
        ok = check_call(g, p, pl, active, na, i, live, why, wn);
    }
    free(start);
    free(active);
    free(live);
    free(s);
    return ok;
}
