/*
 * fuse_f32.c - Pad into a convolution's window, and Add / LeakyRelu / Max
 * into a float convolution's or dense layer's epilogue (fuse_f32.h).
 *
 * Like fold.c, each fusion rewires the graph and leaves the absorbed node
 * without outputs for ir_compact() to drop; folded constants are new.  A
 * fusion happens only when the result is the same function: the order of
 * the epilogue is fixed (residual, leaky, max, clamp), so a node is fused
 * only while everything the conv already does comes before it.  Each pass
 * is one walk over the nodes with reader counts and a reader per tensor
 * kept current as it rewires (no scan per node).
 */
#include "passes/fuse_f32.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

static bool is_f32(const ir_graph *g, int t)
{
    return t >= 0 && g->tensors[t].dtype == IR_DT_F32 && g->tensors[t].q.n == 0;
}

static bool f32_const(const ir_graph *g, int t)
{
    return is_f32(g, t) && ir_is_const(&g->tensors[t]);
}

/* Who reads each tensor: uses[t] readers (ir_use_counts: node inputs and
 * graph outputs), reader[t] one node that reads it. */
typedef struct readers {
    int *uses, *reader;
} readers;

static readers readers_of(const ir_graph *g)
{
    readers r;
    r.uses = ir_use_counts(g);
    r.reader = xmalloc(((size_t)g->n_tensors + 1) * sizeof(int));
    for (int t = 0; t <= g->n_tensors; t++)
        r.reader[t] = -1;
    for (int n = 0; n < g->n_nodes; n++)
        for (int k = 0; k < g->nodes[n].n_in; k++)
            if (g->nodes[n].in[k] >= 0)
                r.reader[g->nodes[n].in[k]] = n;
    return r;
}

static void readers_free(readers *r)
{
    free(r->uses);
    free(r->reader);
}

/* The single node reading tensor t, or -1 (none, several, or a graph output). */
static int only_reader(const readers *r, int t)
{
    return r->uses[t] == 1 ? r->reader[t] : -1;
}

/* Detaches node n: it produces nothing (ir_compact drops it) and its
 * inputs lose a reader each. */
static void kill_node(ir_graph *g, int n, readers *r)
{
    for (int k = 0; k < g->nodes[n].n_in; k++)
        if (g->nodes[n].in[k] >= 0)
            r->uses[g->nodes[n].in[k]]--;
    g->nodes[n].n_out = 0;
    g->nodes[n].n_in = 0;
}

/* ---- Pad into the window ---------------------------------------------------- */

int fuse_pad_conv(ir_graph *g)
{
    int fused = 0;
    readers rd = readers_of(g);
    for (int n = 0; n < g->n_nodes; n++) {
        ir_node *pd = &g->nodes[n];
        if (pd->op != IR_OP_PAD || pd->n_out < 1 || pd->n_in < 1 || pd->attr.pad_mode != IR_PAD_CONSTANT ||
            pd->attr.pad_value != 0.0 || !is_f32(g, pd->in[0]) || !is_f32(g, pd->out[0]))
            continue;
        const int cv_i = only_reader(&rd, pd->out[0]);
        if (cv_i < 0 || g->nodes[cv_i].op != IR_OP_CONV || g->nodes[cv_i].in[0] != pd->out[0])
            continue;
        ir_node *cv = &g->nodes[cv_i];
        const ir_conv_attr *a = &cv->attr.conv;
        const int rank = g->tensors[pd->in[0]].rank;
        if (rank != a->nspatial + 2)
            continue;
        /* Only the spatial axes may be padded, and only outwards. */
        const int first = a->layout == IR_LAYOUT_NHWC ? 1 : 2;
        bool ok = true;
        for (int d = 0; d < rank && ok; d++) {
            const bool spatial = d >= first && d < first + a->nspatial;
            if (pd->attr.begin[d] < 0 || pd->attr.end[d] < 0 || (!spatial && (pd->attr.begin[d] || pd->attr.end[d])))
                ok = false;
            if (spatial && (a->pad_begin[d - first] + pd->attr.begin[d] > INT32_MAX / 2 ||
                            a->pad_end[d - first] + pd->attr.end[d] > INT32_MAX / 2))
                ok = false;
        }
        if (!ok)
            continue;
        for (int i = 0; i < a->nspatial; i++) {
            cv->attr.conv.pad_begin[i] += (int)pd->attr.begin[first + i];
            cv->attr.conv.pad_end[i] += (int)pd->attr.end[first + i];
        }
        const int x = pd->in[0];
        kill_node(g, n, &rd);
        cv->in[0] = x;
        rd.uses[x]++;
        rd.reader[x] = cv_i;
        fused++;
    }
    readers_free(&rd);
    return fused;
}

/* ---- the epilogue ----------------------------------------------------------- */

/* A float CONV or FULLY_CONNECTED that lower_f32 gives to the packed kernels. */
static bool packable(const ir_graph *g, const ir_node *nd)
{
    if ((nd->op != IR_OP_CONV && nd->op != IR_OP_FULLY_CONNECTED) || nd->n_in < 2 ||
        nd->n_in > (nd->attr.fused.residual ? 4 : 3) ||
        nd->n_out != 1 || !is_f32(g, nd->in[0]) || !is_f32(g, nd->out[0]) || !f32_const(g, nd->in[1]))
        return false;
    if (nd->n_in > 2 && nd->in[2] >= 0 && !f32_const(g, nd->in[2]))
        return false;
    if (nd->op == IR_OP_CONV) {
        const ir_tensor *x = &g->tensors[nd->in[0]], *y = &g->tensors[nd->out[0]];
        const int cax = nd->attr.conv.layout == IR_LAYOUT_NHWC ? x->rank - 1 : 1;
        const int64_t C = x->shape[cax], M = y->shape[cax], G = nd->attr.conv.group;
        if (G == C && G > 1 && M != G)     /* depthwise with a multiplier: plain kernel */
            return false;
    }
    return true;
}

static bool same_shape(const ir_tensor *a, const ir_tensor *b)
{
    if (a->rank != b->rank)
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->shape[d] != b->shape[d])
            return false;
    return true;
}

/* One float constant value, or false. */
static bool scalar_const(const ir_graph *g, int t, float *v)
{
    if (!f32_const(g, t) || ir_numel(&g->tensors[t]) != 1)
        return false;
    memcpy(v, g->tensors[t].data, sizeof *v);
    return true;
}

/* Whether node e (reading conv c's output y) can join c's epilogue, and
 * how; a residual it brings is counted as read by c. */
static bool absorb(ir_graph *g, int c, int e, readers *rd)
{
    ir_node *cv = &g->nodes[c], *nd = &g->nodes[e];
    ir_fused *f = &cv->attr.fused;
    const int y = cv->out[0];
    if (cv->attr.act.on || nd->n_out != 1 || !is_f32(g, nd->out[0]) ||
        !same_shape(&g->tensors[nd->out[0]], &g->tensors[y]))
        return false;
    switch (nd->op) {
    case IR_OP_ADD: {
        if (f->residual || f->leaky || f->maxc || nd->n_in != 2)
            return false;
        const int r = nd->in[0] == y ? nd->in[1] : nd->in[0];
        if (r == y || !is_f32(g, r) || !same_shape(&g->tensors[r], &g->tensors[y]))
            return false;
        /* R must exist before the conv runs (a constant, an input, or made
         * by an earlier node). */
        const int pr = g->tensors[r].producer;
        if (pr >= c)
            return false;
        cv->in = xrealloc(cv->in, 4 * sizeof(int));
        for (int k = cv->n_in; k < 3; k++)
            cv->in[k] = -1;        /* no bias */
        cv->in[3] = r;
        cv->n_in = 4;
        rd->uses[r]++;                  /* the ADD's read goes when it is killed */
        rd->reader[r] = c;
        f->residual = true;
        cv->attr.act = nd->attr.act;     /* ADD's own clamp comes after the sum */
        return true;
    }
    case IR_OP_LEAKY_RELU:
        if (f->leaky || f->maxc || nd->attr.act.on)
            return false;
        f->leaky = true;
        f->alpha = nd->attr.alpha;
        return true;
    case IR_OP_MAX: {
        float v;
        if (f->maxc || nd->n_in != 2 || nd->attr.act.on)
            return false;
        if (nd->in[0] == y && scalar_const(g, nd->in[1], &v)) {
            f->maxc = true;                 /* y > v ? y : v */
            f->maxc_value = v;
            return true;
        }
        if (nd->in[1] == y && scalar_const(g, nd->in[0], &v)) {
            /* v > y ? v : y is the clamp from below, NaN kept as the clamp keeps it. */
            cv->attr.act.on = true;
            cv->attr.act.lo = v;
            cv->attr.act.hi = INFINITY;
            return true;
        }
        return false;
    }
    default:
        return false;
    }
}

int fuse_conv_epilogue(ir_graph *g)
{
    int fused = 0;
    readers rd = readers_of(g);
    for (int n = 0; n < g->n_nodes; n++) {
        /* Keep absorbing the next reader while it fits. */
        while (g->nodes[n].n_out == 1 && packable(g, &g->nodes[n])) {
            const int y = g->nodes[n].out[0];
            const int e = only_reader(&rd, y);
            if (e < 0 || !absorb(g, n, e, &rd))
                break;
            ir_node *cv = &g->nodes[n];
            cv->out[0] = g->nodes[e].out[0];
            g->tensors[cv->out[0]].producer = n;
            kill_node(g, e, &rd);
            fused++;
        }
    }
    readers_free(&rd);
    return fused;
}
