/*
 * fold.c - constant folding, BatchNorm folding and clamp fusion.
 *
 * Each pass rewires the graph and leaves the node it absorbed without
 * outputs; ir_compact() then drops it.  Nothing here changes a tensor that
 * another node could still read: folded weights are new constants.
 */
#include "passes/fold.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/eval.h"
#include "util/sbuf.h"

/* Detaches a node from the graph: it produces nothing, so ir_compact drops it. */
static void kill_node(ir_graph *g, int n)
{
    g->nodes[n].n_out = 0;
    g->nodes[n].n_in = 0;
}

/* kill_node for the passes that keep reader counts (ir_use_counts): the
 * node's inputs lose a reader each. */
static void kill_counted(ir_graph *g, int n, int *uses)
{
    for (int k = 0; k < g->nodes[n].n_in; k++)
        if (g->nodes[n].in[k] >= 0)
            uses[g->nodes[n].in[k]]--;
    kill_node(g, n);
}

/* Grows a reader-count array to the graph's tensor count (new tensors start
 * unread) after a pass added constants. */
static int *grow_counts(int *uses, int old_n, int new_n)
{
    if (new_n <= old_n)
        return uses;
    uses = xrealloc(uses, ((size_t)new_n + 1) * sizeof *uses);
    for (int i = old_n; i < new_n; i++)
        uses[i] = 0;
    return uses;
}

int fold_constants(ir_graph *g)
{
    int folded = 0;
    for (int n = 0; n < g->n_nodes; n++) {
        ir_node *nd = &g->nodes[n];
        if (nd->n_out == 0)
            continue;
        bool all_const = true, any_out = false;
        for (int k = 0; k < nd->n_in && all_const; k++)
            if (nd->in[k] >= 0 && !ir_is_const(&g->tensors[nd->in[k]]))
                all_const = false;
        for (int k = 0; k < nd->n_out; k++)
            any_out |= nd->out[k] >= 0;
        if (!all_const || !any_out)
            continue;
        /* A dequantize of constant weights is kept: the quantized lowering
         * wants the integer weights, not their float expansion. */
        if (nd->op == IR_OP_DEQUANTIZE)
            continue;
        char err[256];
        if (!ref_eval_node_const(g, n, err, sizeof err))
            continue;
        for (int k = 0; k < g->nodes[n].n_out; k++)
            if (g->nodes[n].out[k] >= 0)
                g->tensors[g->nodes[n].out[k]].producer = -1;
        kill_node(g, n);
        folded++;
    }
    return folded;
}

static bool is_f32_const(const ir_graph *g, int t)
{
    return t >= 0 && ir_is_const(&g->tensors[t]) && g->tensors[t].dtype == IR_DT_F32;
}

int fuse_batchnorm(ir_graph *g)
{
    int fused = 0;
    int *uses = ir_use_counts(g);
    for (int n = 0; n < g->n_nodes; n++) {
        ir_node *bn = &g->nodes[n];
        if (bn->op != IR_OP_BATCHNORM || bn->n_out < 1 || bn->n_in < 5)
            continue;
        int x = bn->in[0];
        int p = g->tensors[x].producer;
        if (p < 0 || uses[x] != 1)
            continue;
        ir_node *cv = &g->nodes[p];
        bool conv = cv->op == IR_OP_CONV, fc = cv->op == IR_OP_FULLY_CONNECTED;
        if (!(conv || fc) || cv->attr.act.on || g->tensors[x].dtype != IR_DT_F32)
            continue;
        if (conv && cv->attr.conv.layout != bn->attr.conv.layout)
            continue;
        if (!is_f32_const(g, cv->in[1]) || (cv->n_in > 2 && cv->in[2] >= 0 && !is_f32_const(g, cv->in[2])))
            continue;
        bool ok = true;
        for (int k = 1; k < 5; k++)
            ok &= is_f32_const(g, bn->in[k]);
        if (!ok)
            continue;
        const ir_tensor *w = &g->tensors[cv->in[1]];
        int64_t m = w->shape[0];
        if (ir_numel(&g->tensors[bn->in[1]]) != m)
            continue;
        int64_t per = ir_numel(w) / (m ? m : 1);
        const float *gam = g->tensors[bn->in[1]].data, *bet = g->tensors[bn->in[2]].data;
        const float *mean = g->tensors[bn->in[3]].data, *var = g->tensors[bn->in[4]].data;
        const float *b0 = (cv->n_in > 2 && cv->in[2] >= 0) ? g->tensors[cv->in[2]].data : NULL;
        float *nw = xmalloc((size_t)ir_numel(w) * sizeof(float));
        float *nb = xmalloc((size_t)m * sizeof(float));
        const float *w0 = w->data;
        for (int64_t o = 0; o < m; o++) {
            /* In double, so the folded weights are the closest floats to the exact product. */
            double s = (double)gam[o] / sqrt((double)var[o] + (double)bn->attr.epsilon);
            for (int64_t i = 0; i < per; i++)
                nw[o * per + i] = (float)((double)w0[o * per + i] * s);
            nb[o] = (float)(((b0 ? (double)b0[o] : 0.0) - (double)mean[o]) * s + (double)bet[o]);
        }
        char *wn = xasprintf("%s.bnfold", w->name);
        char *bname = xasprintf("%s.bnfold_bias", bn->name);
        int64_t wshape[IR_MAX_DIMS], bshape[1] = {m};
        memcpy(wshape, w->shape, sizeof wshape);
        int rank = w->rank;
        const int old_n = g->n_tensors;
        int tw = ir_add_const(g, wn, IR_DT_F32, rank, wshape, nw, (size_t)(per * m) * sizeof(float));
        int tb = ir_add_const(g, bname, IR_DT_F32, 1, bshape, nb, (size_t)m * sizeof(float));
        uses = grow_counts(uses, old_n, g->n_tensors);
        free(wn);
        free(bname);
        free(nw);
        free(nb);
        cv = &g->nodes[p];
        bn = &g->nodes[n];
        if (cv->n_in < 3) {
            cv->in = xrealloc(cv->in, 3 * sizeof(int));
            cv->in[2] = -1;
            cv->n_in = 3;
        }
        for (int k = 1; k < 3; k++)
            if (cv->in[k] >= 0)
                uses[cv->in[k]]--;
        cv->in[1] = tw;
        cv->in[2] = tb;
        uses[tw]++;
        uses[tb]++;
        cv->out[0] = bn->out[0];
        g->tensors[bn->out[0]].producer = p;
        kill_counted(g, n, uses);
        fused++;
    }
    free(uses);
    return fused;
}

static bool takes_act(ir_op op)
{
    switch (op) {
    case IR_OP_CONV: case IR_OP_CONV_TRANSPOSE: case IR_OP_FULLY_CONNECTED: case IR_OP_MATMUL:
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV:
    case IR_OP_MAXPOOL: case IR_OP_AVGPOOL:
        return true;
    default:
        return false;
    }
}

int fuse_activations(ir_graph *g)
{
    int fused = 0;
    int *uses = ir_use_counts(g);
    for (int n = 0; n < g->n_nodes; n++) {
        ir_node *cl = &g->nodes[n];
        if (cl->op != IR_OP_CLIP || cl->n_out != 1 || cl->n_in < 1)
            continue;
        int x = cl->in[0];
        int p = g->tensors[x].producer;
        if (p < 0 || uses[x] != 1 || g->tensors[x].dtype != IR_DT_F32 ||
            g->tensors[cl->out[0]].dtype != IR_DT_F32)
            continue;
        ir_node *pr = &g->nodes[p];
        if (!takes_act(pr->op) || pr->n_out < 1 || pr->out[0] != x)
            continue;
        /* MaxPool with an Indices output keeps its own output untouched. */
        if (pr->op == IR_OP_MAXPOOL && pr->n_out > 1 && pr->out[1] >= 0)
            continue;
        float lo = cl->attr.act.lo, hi = cl->attr.act.hi;
        if (pr->attr.act.on) {
            lo = fmaxf(lo, pr->attr.act.lo);
            hi = fminf(hi, pr->attr.act.hi);
        }
        pr->attr.act.on = true;
        pr->attr.act.lo = lo;
        pr->attr.act.hi = hi;
        pr->out[0] = cl->out[0];
        g->tensors[cl->out[0]].producer = p;
        kill_counted(g, n, uses);
        fused++;
    }
    free(uses);
    return fused;
}
