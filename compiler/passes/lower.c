/*
 * lower.c - turns the IR into the kernel-call list (LIR) and counts MACs.
 *
 * Dispatch order matters: the int8 family sees a node first (it claims only
 * nodes on quantized or integer tensors that need arithmetic), then the
 * dtype-agnostic data-movement family, then float.  A node nobody claims is
 * an error naming it - the generated code never silently skips a layer.
 */
#include "passes/lower.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

lir_call *lir_begin(lir_program *p, int node, const char *kernel)
{
    if (p->n_calls == p->cap_calls) {
        p->cap_calls = p->cap_calls ? 2 * p->cap_calls : 64;
        p->calls = xrealloc(p->calls, (size_t)p->cap_calls * sizeof *p->calls);
    }
    lir_call *c = &p->calls[p->n_calls++];
    memset(c, 0, sizeof *c);
    c->node = node;
    c->kernel = xstrdup(kernel);
    return c;
}

lir_call *lir_begin_params(lir_program *p, int node, const char *kernel, const lir_struct *t,
                           const void *v)
{
    lir_call *c = lir_begin(p, node, kernel);
    c->ptype = t;
    c->params = xmalloc(t->size);
    memcpy(c->params, v, t->size);
    return c;
}

static lir_arg *next_arg(lir_call *c)
{
    if (c->n_args >= LIR_MAX_ARGS) {
        fprintf(stderr, "kiln: internal error: kernel %s given more than %d arguments\n", c->kernel,
                LIR_MAX_ARGS);
        abort();
    }
    lir_arg *a = &c->args[c->n_args++];
    memset(a, 0, sizeof *a);
    return a;
}

void lir_in(lir_call *c, int tensor)
{
    lir_arg *a = next_arg(c);
    if (tensor < 0) {
        a->kind = LIR_ARG_NULL;
        return;
    }
    a->kind = LIR_ARG_TENSOR;
    a->tensor = tensor;
}

void lir_out(lir_call *c, int tensor)
{
    lir_arg *a = next_arg(c);
    if (tensor < 0) {
        a->kind = LIR_ARG_NULL;
        return;
    }
    a->kind = LIR_ARG_TENSOR;
    a->tensor = tensor;
    a->is_output = true;
}

void lir_int(lir_call *c, int64_t v)
{
    lir_arg *a = next_arg(c);
    a->kind = LIR_ARG_INT;
    a->value = v;
}

void lir_null(lir_call *c)
{
    next_arg(c)->kind = LIR_ARG_NULL;
}

void lir_alias(lir_program *p, int t, int src)
{
    if (t >= p->n_alias) {
        int n = t + 64;
        p->alias = xrealloc(p->alias, (size_t)n * sizeof(int));
        for (int i = p->n_alias; i < n; i++)
            p->alias[i] = -1;
        p->n_alias = n;
    }
    p->alias[t] = src;
}

/* The root of every tensor's alias chain (a tensor without alias is its own
 * root), each chain walked once.  A chain that loops (never made by the
 * lowerings) ends at the tensor where the loop was found. */
int *lir_alias_roots(const lir_program *p, int nt)
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

void lir_set_layout(lir_program *p, int t, int layout)
{
    if (t >= p->n_layout) {
        int n = t + 64;
        p->layout = xrealloc(p->layout, (size_t)n * sizeof *p->layout);
        memset(p->layout + p->n_layout, 0, (size_t)(n - p->n_layout) * sizeof *p->layout);
        p->n_layout = n;
    }
    p->layout[t] = layout;
}

int lir_layout_of(const lir_program *p, int t)
{
    return t >= 0 && t < p->n_layout ? p->layout[t] : 0;
}

const char *lir_f32(float v)
{
    static char bufs[8][48];
    static int next;
    char *b = bufs[next++ & 7];
    if (isinf(v))
        snprintf(b, 48, "%sHUGE_VALF", v < 0 ? "-" : "");
    else if (isnan(v))
        snprintf(b, 48, "(0.0f/0.0f)");
    else {
        snprintf(b, 48, "%.9g", (double)v);
        /* Make it a float literal: add ".0" when %g printed an integer. */
        if (!strpbrk(b, ".eEn"))
            strcat(b, ".0");
        strcat(b, "f");
    }
    return b;
}

static const lower_fn families[] = {lower_s8, lower_data, lower_f32, lower_ext_s8, lower_ext};

bool lower_graph(ir_graph *g, lir_program *p, char *err, size_t errlen)
{
    const lower_opts plain = {LOWER_PLAIN};
    return lower_graph_opts(g, &plain, p, err, errlen);
}

bool lower_graph_opts(ir_graph *g, const lower_opts *o, lir_program *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->opts = *o;
    for (int n = 0; n < g->n_nodes; n++) {
        int done = 0;
        for (size_t f = 0; f < sizeof families / sizeof families[0] && !done; f++) {
            done = families[f](g, n, p, err, errlen);
            if (done < 0)
                return false;
        }
        if (!done) {
            const ir_node *nd = &g->nodes[n];
            const ir_tensor *t0 = nd->n_in > 0 && nd->in[0] >= 0 ? &g->tensors[nd->in[0]] : NULL;
            snprintf(err, errlen, "node %d '%s' (%s as %s on %s): no kernel implements it", n,
                     nd->name, nd->src_op, ir_op_name(nd->op),
                     t0 ? ir_dtype_name(t0->dtype) : "no input");
            return false;
        }
    }
    /* Size the alias table to the final tensor count (lowerings add constants). */
    lir_alias(p, g->n_tensors, -1);
    lower_outputs(g, p);
    return true;
}

void lir_free(lir_program *p)
{
    for (int i = 0; i < p->n_calls; i++) {
        free(p->calls[i].kernel);
        free(p->calls[i].params);
    }
    free(p->calls);
    free(p->alias);
    free(p->layout);
    memset(p, 0, sizeof *p);
}

static int64_t dim_or_1(const ir_tensor *t, int d)
{
    return (d >= 0 && d < t->rank) ? t->shape[d] : 1;
}

uint64_t ir_node_macc(const ir_graph *g, int node)
{
    const ir_node *nd = &g->nodes[node];
    switch (nd->op) {
    case IR_OP_CONV: {
        /* Each output element: (C/group) * prod(kernel) MACs. */
        const ir_tensor *w = &g->tensors[nd->in[1]];
        const ir_tensor *y = &g->tensors[nd->out[0]];
        uint64_t per = 1;
        for (int d = 1; d < w->rank; d++)
            per *= (uint64_t)w->shape[d];
        return per * (uint64_t)ir_numel(y);
    }
    case IR_OP_CONV_TRANSPOSE: {
        /* Each input element scatters into (M/group) * prod(kernel) outputs. */
        const ir_tensor *x = &g->tensors[nd->in[0]];
        const ir_tensor *w = &g->tensors[nd->in[1]];
        uint64_t per = 1;
        for (int d = 1; d < w->rank; d++)
            per *= (uint64_t)w->shape[d];
        return per * (uint64_t)ir_numel(x);
    }
    case IR_OP_FULLY_CONNECTED: {
        const ir_tensor *w = &g->tensors[nd->in[1]];
        const ir_tensor *y = &g->tensors[nd->out[0]];
        return (uint64_t)ir_numel(y) * (uint64_t)dim_or_1(w, 1);
    }
    case IR_OP_MATMUL: {
        const ir_tensor *a = &g->tensors[nd->in[0]];
        const ir_tensor *y = &g->tensors[nd->out[0]];
        return (uint64_t)ir_numel(y) * (uint64_t)dim_or_1(a, a->rank - 1);
    }
    case IR_OP_SVDF: {
        /* Per batch row: the feature matmul (filters x input) and the time
         * weights (filters x memory). */
        const ir_tensor *x = &g->tensors[nd->in[0]];
        const ir_tensor *wf = &g->tensors[nd->in[1]];
        const ir_tensor *wt = &g->tensors[nd->in[2]];
        return (uint64_t)dim_or_1(x, 0) * (uint64_t)(ir_numel(wf) + ir_numel(wt));
    }
    case IR_OP_LSTM:
    case IR_OP_GRU: {
        /* Per step and direction: gates * hidden * (input + hidden). */
        const ir_tensor *x = &g->tensors[nd->in[0]];
        const ir_tensor *w = &g->tensors[nd->in[1]];
        const ir_tensor *r = &g->tensors[nd->in[2]];
        int64_t seq = nd->attr.rnn.layout ? x->shape[1] : x->shape[0];
        int64_t batch = nd->attr.rnn.layout ? x->shape[0] : x->shape[1];
        uint64_t per = (uint64_t)(ir_numel(w) + ir_numel(r));
        return per * (uint64_t)(seq * batch);
    }
    default:
        return 0;
    }
}

uint64_t ir_node_params(const ir_graph *g, int node)
{
    const ir_node *nd = &g->nodes[node];
    uint64_t n = 0;
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] >= 0 && ir_is_const(&g->tensors[nd->in[k]]))
            n += (uint64_t)ir_numel(&g->tensors[nd->in[k]]);
    return n;
}
