/*
 * hot_weights.c - --internal-budget: keeps the constants read most per byte
 * in internal flash, within the budget, and leaves the rest in the blob.
 *
 * Memory-mapped kernels read a layer's weights once per pass over the
 * outputs: the packed conv kernels walk the whole weight stream for every
 * two output pixels, the depthwise ones (taken as) for every pixel, FC once
 * per batch row.  So reads per byte is estimated from the output's pixel
 * count (elements over channels, channels being the larger of dim 1 and the
 * last dim) summed over the calls that read the constant: an estimate for
 * ranking and for the report, which `make bench` measures.
 * In stream mode each byte is read once, so every byte saved is one less
 * read and the largest constants that fit go first.  Greedy: take the
 * hottest that still fits, skip the ones that do not.  Runs after
 * collect_blob_tensors, before the blob is built; never changes the calls.
 */
#include "passes/hot_weights.h"

#include <stdlib.h>
#include <string.h>

#include "passes/plan.h"
#include "passes/stream_plan.h"
#include "util/fileio.h"
#include "util/sbuf.h"

/* Output pixels of call i: how often a memory-mapped kernel reads its weights. */
static double call_pixels(const compiled *c, const lir_call *call)
{
    for (int a = 0; a < call->n_args; a++) {
        if (call->args[a].kind != LIR_ARG_TENSOR || !call->args[a].is_output)
            continue;
        const ir_tensor *t = &c->g->tensors[call->args[a].tensor];
        if (t->rank < 3)
            return 1.0;
        double n = 1.0;
        for (int d = 0; d < t->rank; d++)
            n *= (double)t->shape[d];
        int64_t ch = t->shape[1] > t->shape[t->rank - 1] ? t->shape[1] : t->shape[t->rank - 1];
        return ch > 0 ? n / (double)ch : 1.0;
    }
    return 1.0;
}

void hot_estimate_reads(compiled *c)
{
    c->reads_per_byte = xcalloc((size_t)c->g->n_tensors + 1, sizeof *c->reads_per_byte);
    for (int i = 0; i < c->prog.n_calls; i++) {
        const lir_call *call = &c->prog.calls[i];
        double px = call_pixels(c, call);
        for (int a = 0; a < call->n_args; a++) {
            if (call->args[a].kind != LIR_ARG_TENSOR || c->pl.home[call->args[a].tensor] != PLAN_BLOB)
                continue;
            int r = c->pl.root[call->args[a].tensor];
            int lay = c->blob_of[r] >= 0 ? (int)c->bt[c->blob_of[r]].layout : 0;
            /* The packed conv kernels compute two pixels per pass over the weights. */
            bool two = lay == KILN_BLOB_LAYOUT_GEMM16_G2 || lay == KILN_BLOB_LAYOUT_GEMM8_G2;
            c->reads_per_byte[r] += two ? (double)(((int64_t)px + 1) / 2) : px;
        }
    }
}

static const compiled *rank_ctx;

/* Root tensor of blob_tensor b (its name pointer is the tensor's). */
static double heat(const compiled *c, int r)
{
    return c->weights == WEIGHTS_STREAM ? 1.0 : c->reads_per_byte[r];
}

static int by_heat(const void *pa, const void *pb)
{
    const compiled *c = rank_ctx;
    int a = *(const int *)pa, b = *(const int *)pb;
    double ha = heat(c, a), hb = heat(c, b);
    if (ha != hb)
        return ha > hb ? -1 : 1;
    size_t na = c->bt[c->blob_of[a]].nbytes, nb = c->bt[c->blob_of[b]].nbytes;
    if (na != nb)
        return na > nb ? -1 : 1;
    return c->blob_of[a] - c->blob_of[b];
}

/* The root tensors of the constants in c->bt, hottest first. */
static int *ranked_roots(const compiled *c, int *n)
{
    int *roots = xmalloc(((size_t)c->n_bt + 1) * sizeof *roots);
    *n = 0;
    for (int t = 0; t < c->g->n_tensors; t++)
        if (c->blob_of[t] >= 0)
            roots[(*n)++] = t;
    rank_ctx = c;
    qsort(roots, (size_t)*n, sizeof *roots, by_heat);
    rank_ctx = NULL;
    return roots;
}

/* Appends constant r to the hot array, aligned as the blob aligns its data. */
static void take_hot(compiled *c, int r)
{
    const blob_tensor *bt = &c->bt[c->blob_of[r]];
    size_t off = (c->hot_len + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
    c->hot_data = xrealloc(c->hot_data, off + bt->nbytes + 1);
    memset(c->hot_data + c->hot_len, 0, off - c->hot_len);
    memcpy(c->hot_data + off, bt->data, bt->nbytes);
    c->hot[c->n_hot] = *bt;
    c->hot[c->n_hot].offset = (uint32_t)off;
    c->hot_of[r] = c->n_hot++;
    c->hot_len = off + bt->nbytes;
}

void hot_select(compiled *c)
{
    int n;
    c->hot_of = xmalloc(((size_t)c->g->n_tensors + 1) * sizeof *c->hot_of);
    for (int t = 0; t < c->g->n_tensors; t++)
        c->hot_of[t] = -1;
    c->hot = xcalloc((size_t)c->n_bt + 1, sizeof *c->hot);
    if (c->internal_budget == 0 || c->weights == WEIGHTS_INLINE)
        return;
    int *roots = ranked_roots(c, &n);
    for (int k = 0; k < n; k++) {
        size_t need = (c->hot_len + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN + c->bt[c->blob_of[roots[k]]].nbytes;
        if (need <= c->internal_budget)
            take_hot(c, roots[k]);
    }
    free(roots);
    /* The blob keeps the others, in their first-use order. */
    int kept = 0, *root_of = xmalloc(((size_t)c->n_bt + 1) * sizeof *root_of);
    for (int t = 0; t < c->g->n_tensors; t++)
        if (c->blob_of[t] >= 0)
            root_of[c->blob_of[t]] = t;
    for (int i = 0; i < c->n_bt; i++) {
        int r = root_of[i];
        if (c->hot_of[r] >= 0) {
            c->blob_of[r] = -1;
            continue;
        }
        c->bt[kept] = c->bt[i];
        c->blob_of[r] = kept++;
    }
    c->n_bt = kept;
    free(root_of);
}

double hot_external_reads(const compiled *c, bool with_budget)
{
    double sum = 0.0;
    for (int t = 0; t < c->g->n_tensors; t++) {
        const blob_tensor *bt = c->blob_of[t] >= 0 ? &c->bt[c->blob_of[t]]
                                : c->hot_of && c->hot_of[t] >= 0 ? &c->hot[c->hot_of[t]] : NULL;
        if (!bt || (with_budget && c->blob_of[t] < 0))
            continue;
        sum += (c->weights == WEIGHTS_STREAM ? 1.0 : c->reads_per_byte[t]) * (double)bt->nbytes;
    }
    return sum;
}
