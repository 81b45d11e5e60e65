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
#include "passes/plan_internal.h"
#include "util/sbuf.h"


/* Phase 1.  Buffers 0..nt-1 belong to root tensors, nt + i to call i's
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

/* Phase 1, sizes.  Every buffer and the arena are described by uint32
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

/* ---- phase 2: in-place links ---------------------------------------------- */

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

/* Phase 2.  For each call, the first of its kernel's in-place rules
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

/* Phase 3.  The most bytes live during any one call: a sweep that adds each
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
    pl->arena_bytes = plan_place_best(bufs, nb, links, best_off, &linked);
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
