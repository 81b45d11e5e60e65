/*
 * onnx_ops_einsum.c - ONNX Einsum on one or two operands, lowered to IR ops
 * that have kernels: REDUCE_SUM, TRANSPOSE, RESHAPE and MATMUL.
 *
 * Every index letter of a two-operand equation is one of: a batch index (in
 * both operands and the output), a free index of one operand (in it and the
 * output), a contracted index (in both operands, not the output) or a summed
 * index (in one operand only, not the output).  Summed indices are reduced
 * first; then A is ordered [batch, freeA, contracted] and B [batch,
 * contracted, freeB], each group flattened to one axis, and one batched
 * MATMUL gives [batch, freeA, freeB], which is unflattened and ordered as the
 * output.  So `ij,jk->ik`, `bij,bjk->bik`, `bhqd,bhkd->bhqk`, `i,i->`,
 * `i,j->ij`, `ij->ji` and `ij->i` all take this one path.
 * Refused with the reason: an ellipsis, an index repeated within one operand
 * (a diagonal), more than two operands, and operands that are not float32.
 */
#include <stdio.h>
#include <string.h>

#include "import/onnx_ctx.h"

typedef struct es_term {        /* the index letters of one operand or the output */
    char l[IR_MAX_DIMS + 1];
    int n;
} es_term;

static bool has(const es_term *t, char ch)
{
    return memchr(t->l, ch, (size_t)t->n) != NULL;
}

/* One term of letters, no repeats, at most IR_MAX_DIMS. */
static bool parse_term(onnx_ctx *c, const char *s, size_t len, const char *what, es_term *t)
{
    t->n = 0;
    for (size_t i = 0; i < len; i++) {
        const char ch = s[i];
        if (ch == ' ')
            continue;
        if (ch == '.')
            return ox_unsupported(c, "Einsum with an ellipsis ('...') in the %s", what);
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
            return ox_err(c, "equation: '%c' in the %s is not an index letter", ch, what);
        if (has(t, ch))
            return ox_unsupported(c, "Einsum with index '%c' repeated in the %s (a diagonal or trace)", ch, what);
        if (t->n == IR_MAX_DIMS)
            return ox_unsupported(c, "Einsum with more than %d indices in the %s", IR_MAX_DIMS, what);
        t->l[t->n++] = ch;
    }
    t->l[t->n] = 0;
    return true;
}

/* "lhs->out" or "lhs" (implicit output: the letters used once, sorted). */
static bool parse_equation(onnx_ctx *c, const char *eq, int n_ops, es_term *in, es_term *out)
{
    const char *arrow = strstr(eq, "->");
    const char *end = arrow ? arrow : eq + strlen(eq);
    const char *p = eq;
    int k = 0;
    for (;; k++) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        char what[32];
        snprintf(what, sizeof what, "operand %d", k);
        if (k >= n_ops)
            return ox_err(c, "equation '%s' has more operands than the node's %d inputs", eq, n_ops);
        if (!parse_term(c, p, (size_t)(stop - p), what, &in[k]))
            return false;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (k + 1 != n_ops)
        return ox_err(c, "equation '%s' has %d operands, the node %d inputs", eq, k + 1, n_ops);
    if (arrow) {
        if (!parse_term(c, arrow + 2, strlen(arrow + 2), "output", out))
            return false;
        for (int i = 0; i < out->n; i++)
            if (!has(&in[0], out->l[i]) && !(n_ops > 1 && has(&in[1], out->l[i])))
                return ox_err(c, "equation '%s': output index '%c' is in no operand", eq, out->l[i]);
        return true;
    }
    out->n = 0;
    for (char ch = 'A'; ch <= 'z'; ch++) {
        const int uses = has(&in[0], ch) + (n_ops > 1 && has(&in[1], ch));
        if (uses == 1 && out->n < IR_MAX_DIMS)
            out->l[out->n++] = ch;
    }
    out->l[out->n] = 0;
    return true;
}

/* ---- building blocks: each updates the operand's tensor and term --------- */

typedef struct es_val {
    int t;
    es_term term;
} es_val;

static int64_t dim_of(onnx_ctx *c, const es_val *v, char ch)
{
    const char *at = memchr(v->term.l, ch, (size_t)v->term.n);
    return at ? ox_t(c, v->t)->shape[at - v->term.l] : 1;
}

/* Sums v over its letters that `keep1` and `keep2` both lack. */
static bool sum_out(onnx_ctx *c, es_val *v, const es_term *keep1, const es_term *keep2)
{
    uint32_t mask = 0;
    es_term left = {{0}, 0};
    int64_t shape[IR_MAX_DIMS];
    for (int i = 0; i < v->term.n; i++) {
        const char ch = v->term.l[i];
        if (has(keep1, ch) || (keep2 && has(keep2, ch))) {
            shape[left.n] = ox_t(c, v->t)->shape[i];
            left.l[left.n++] = ch;
        } else {
            mask |= 1u << i;
        }
    }
    if (!mask)
        return true;
    int y;
    if (!ox_tmp(c, "einsum_sum", ox_t(c, v->t)->dtype, left.n, shape, &y))
        return false;
    const int nd = ox_node(c, IR_OP_REDUCE_SUM, 1, &v->t, 1, &y);   /* may move c->g->nodes */
    c->g->nodes[nd].attr.axes_mask = mask;
    v->t = y;
    v->term = left;
    return true;
}

/* Orders v's axes as `order` (a permutation of its letters). */
static bool permute(onnx_ctx *c, es_val *v, const es_term *order)
{
    int perm[IR_MAX_DIMS];
    int64_t shape[IR_MAX_DIMS];
    bool same = true;
    for (int i = 0; i < order->n; i++) {
        perm[i] = (int)((const char *)memchr(v->term.l, order->l[i], (size_t)v->term.n) - v->term.l);
        shape[i] = ox_t(c, v->t)->shape[perm[i]];
        same &= perm[i] == i;
    }
    v->term = *order;
    if (same)
        return true;
    int y;
    if (!ox_tmp(c, "einsum_perm", ox_t(c, v->t)->dtype, order->n, shape, &y))
        return false;
    const int nd = ox_node(c, IR_OP_TRANSPOSE, 1, &v->t, 1, &y);
    for (int i = 0; i < order->n; i++)
        c->g->nodes[nd].attr.perm[i] = perm[i];
    v->t = y;
    return true;
}

static void append(es_term *dst, const es_term *src)
{
    for (int i = 0; i < src->n; i++)
        dst->l[dst->n++] = src->l[i];
    dst->l[dst->n] = 0;
}

static int64_t prod(onnx_ctx *c, const es_val *v, const es_term *t)
{
    int64_t p = 1;
    for (int i = 0; i < t->n; i++)
        p *= dim_of(c, v, t->l[i]);
    return p;
}

/* ---- the two-operand contraction -------------------------------------------- */

typedef struct es_groups {
    es_term batch, free_a, free_b, contr;
} es_groups;

static void group(const es_term *a, const es_term *b, const es_term *o, es_groups *g)
{
    memset(g, 0, sizeof *g);
    for (int i = 0; i < o->n; i++) {
        const char ch = o->l[i];
        es_term *dst = has(a, ch) && has(b, ch) ? &g->batch : has(a, ch) ? &g->free_a : &g->free_b;
        dst->l[dst->n++] = ch;
    }
    for (int i = 0; i < a->n; i++)
        if (has(b, a->l[i]) && !has(o, a->l[i]))
            g->contr.l[g->contr.n++] = a->l[i];
}

/* [batch..., rows, cols] view of v (already ordered batch, rows, cols). */
static bool as_matrix(onnx_ctx *c, es_val *v, const es_term *batch, int64_t rows, int64_t cols)
{
    int64_t shape[IR_MAX_DIMS];
    for (int i = 0; i < batch->n; i++)
        shape[i] = dim_of(c, v, batch->l[i]);
    shape[batch->n] = rows;
    shape[batch->n + 1] = cols;
    return ox_reshape_to(c, -1, v->t, batch->n + 2, shape, &v->t);
}

static bool contract(onnx_ctx *c, es_val *a, es_val *b, const es_term *out, es_val *y)
{
    es_groups g;
    group(&a->term, &b->term, out, &g);
    for (int i = 0; i < g.batch.n + g.contr.n; i++) {
        const char ch = i < g.batch.n ? g.batch.l[i] : g.contr.l[i - g.batch.n];
        if (dim_of(c, a, ch) != dim_of(c, b, ch))
            return ox_err(c, "index '%c' has size %lld in operand 0 and %lld in operand 1", ch,
                          (long long)dim_of(c, a, ch), (long long)dim_of(c, b, ch));
    }
    if (g.batch.n + 2 > IR_MAX_DIMS)
        return ox_unsupported(c, "Einsum with %d batch indices (at most %d)", g.batch.n, IR_MAX_DIMS - 2);
    es_term ord_a = g.batch, ord_b = g.batch, ord_y = g.batch;
    append(&ord_a, &g.free_a);
    append(&ord_a, &g.contr);
    append(&ord_b, &g.contr);
    append(&ord_b, &g.free_b);
    append(&ord_y, &g.free_a);
    append(&ord_y, &g.free_b);
    const int64_t fa = prod(c, a, &g.free_a), fb = prod(c, b, &g.free_b), k = prod(c, a, &g.contr);
    int64_t yshape[IR_MAX_DIMS];
    for (int i = 0; i < ord_y.n; i++)
        yshape[i] = dim_of(c, has(&a->term, ord_y.l[i]) ? a : b, ord_y.l[i]);
    es_val ma = *a, mb = *b;
    if (!permute(c, &ma, &ord_a) || !permute(c, &mb, &ord_b) || !as_matrix(c, &ma, &g.batch, fa, k) ||
        !as_matrix(c, &mb, &g.batch, k, fb))
        return false;
    int64_t mshape[IR_MAX_DIMS];
    memcpy(mshape, ox_t(c, ma.t)->shape, sizeof mshape);
    mshape[g.batch.n + 1] = fb;
    int m;
    if (!ox_tmp(c, "einsum_matmul", ox_t(c, a->t)->dtype, g.batch.n + 2, mshape, &m))
        return false;
    const int in[2] = {ma.t, mb.t};
    ox_node(c, IR_OP_MATMUL, 2, in, 1, &m);
    y->term = ord_y;
    return ox_reshape_to(c, -1, m, ord_y.n, yshape, &y->t);
}

bool ox_einsum(onnx_ctx *c)
{
    char eq[256];
    if (!ox_attr_str(c, "equation", "", eq, sizeof eq))
        return false;
    if (!eq[0])
        return ox_err(c, "attribute 'equation' is required");
    const int n_ops = c->node->n_in;
    if (n_ops < 1 || n_ops > 2)
        return ox_unsupported(c, "Einsum of %d operands (Kiln lowers one or two)", n_ops);
    es_term terms[2], out;
    if (!parse_equation(c, eq, n_ops, terms, &out))
        return false;
    es_val v[2];
    for (int k = 0; k < n_ops; k++) {
        if (!ox_in(c, k, &v[k].t))
            return false;
        const ir_tensor *t = ox_t(c, v[k].t);
        if (t->dtype != IR_DT_F32 || t->q.n)
            return ox_unsupported(c, "Einsum on %s%s input '%s' (float32 only)", t->q.n ? "quantized " : "",
                                  ir_dtype_name(t->dtype), t->name);
        if (t->rank != terms[k].n)
            return ox_err(c, "operand %d '%s' has rank %d, the equation gives it %d indices", k, t->name, t->rank,
                          terms[k].n);
        v[k].term = terms[k];
    }
    es_val y;
    if (n_ops == 1) {
        if (!sum_out(c, &v[0], &out, NULL) || !permute(c, &v[0], &out))
            return false;
        return ox_alias_out(c, 0, v[0].t);
    }
    if (!sum_out(c, &v[0], &out, &terms[1]) || !sum_out(c, &v[1], &out, &terms[0]) ||
        !contract(c, &v[0], &v[1], &out, &y) || !permute(c, &y, &out))
        return false;
    return ox_alias_out(c, 0, y.t);
}
