/*
 * fuse_qdq.c - the QDQ fusion pass (see fuse_qdq.h).
 *
 * Relies only on the IR.  For each candidate op it checks the whole group
 * before changing anything: every quantized operand comes from a
 * DEQUANTIZE of an integer tensor that carries its quantization, the op's
 * float result feeds exactly one QUANTIZE (possibly through one CLIP), and
 * weights are quantized per tensor or along the output-channel axis.  Then
 * it rewires the op to the integer tensors and the QUANTIZE's output and
 * drops the QUANTIZE (and CLIP); the DEQUANTIZEs that nobody reads any more
 * disappear in ir_compact().  A float or differently scaled bias is
 * requantized to int32 with scale s_x * s_w[m], zero point 0, rounding half
 * to even as ONNX does.
 */
#include "passes/fuse_qdq.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

typedef struct fctx {
    ir_graph *g;
    int *uses;          /* readers per tensor; graph outputs count as one */
    char *dead;         /* nodes to drop */
    /* Who reads each tensor, so a reader is found without scanning the
     * graph: per tensor a list (rd_head, then rd_next) of nodes that read it
     * when the pass began or were rewired to read it since.  A superset of
     * the live readers: users check the node still names the tensor. */
    int *rd_head;       /* per tensor: first entry, -1 for none */
    int *rd_next, *rd_node;
    int n_rd, cap_rd;
    int n_t;            /* tensors the per-tensor arrays cover */
    char *err;          /* set (and failed) when a group cannot be compiled at all */
    size_t errlen;
    bool failed;
} fctx;

/* Records that node n reads tensor t. */
static void note_reader(fctx *f, int t, int n)
{
    if (t < 0)
        return;
    if (f->n_rd == f->cap_rd) {
        f->cap_rd = f->cap_rd ? 2 * f->cap_rd : 256;
        f->rd_next = xrealloc(f->rd_next, (size_t)f->cap_rd * sizeof *f->rd_next);
        f->rd_node = xrealloc(f->rd_node, (size_t)f->cap_rd * sizeof *f->rd_node);
    }
    f->rd_node[f->n_rd] = n;
    f->rd_next[f->n_rd] = f->rd_head[t];
    f->rd_head[t] = f->n_rd++;
}

/* Extends the per-tensor arrays to tensors added since (unread so far). */
static void grow_tensors(fctx *f)
{
    const int n = f->g->n_tensors;
    if (n <= f->n_t)
        return;
    f->uses = xrealloc(f->uses, ((size_t)n + 1) * sizeof *f->uses);
    f->rd_head = xrealloc(f->rd_head, ((size_t)n + 1) * sizeof *f->rd_head);
    for (int i = f->n_t; i < n; i++) {
        f->uses[i] = 0;
        f->rd_head[i] = -1;
    }
    f->n_t = n;
}

static bool reads(const ir_node *nd, int t)
{
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] == t)
            return true;
    return false;
}

static bool is_q8(ir_dtype d)
{
    return d == IR_DT_S8 || d == IR_DT_U8;
}

static bool is_qint(ir_dtype d)
{
    return is_q8(d) || d == IR_DT_S16;
}

/* The only node reading tensor t, or -1 (the first live reader in graph
 * order, should the counts ever disagree). */
static int sole_reader(const fctx *f, int t)
{
    if (f->uses[t] != 1 || f->g->tensors[t].is_output)
        return -1;
    int best = -1;
    for (int e = f->rd_head[t]; e >= 0; e = f->rd_next[e]) {
        const int n = f->rd_node[e];
        if (!f->dead[n] && (best < 0 || n < best) && reads(&f->g->nodes[n], t))
            best = n;
    }
    return best;
}

/* The quantized tensor behind t when t = DEQUANTIZE(q), else -1. */
static int dq_source(const fctx *f, int t)
{
    if (t < 0)
        return -1;
    int p = f->g->tensors[t].producer;
    if (p < 0 || f->dead[p] || f->g->nodes[p].op != IR_OP_DEQUANTIZE)
        return -1;
    int q = f->g->nodes[p].in[0];
    if (q < 0 || f->g->tensors[q].q.n == 0)
        return -1;
    return q;
}

/* t = RESHAPE(DEQUANTIZE(q)) read only here, q per tensor: returns the
 * RESHAPE node (which can move before the DEQUANTIZE), else -1. */
static int reshaped_dq(const fctx *f, int t)
{
    int p = f->g->tensors[t].producer;
    if (p < 0 || f->dead[p] || f->g->nodes[p].op != IR_OP_RESHAPE || f->uses[t] != 1 ||
        f->g->tensors[t].is_output)
        return -1;
    int q = dq_source(f, f->g->nodes[p].in[0]);
    if (q < 0 || f->g->tensors[q].q.n != 1)
        return -1;
    return p;
}

/* Rewrites RESHAPE node r to reshape the quantized tensor itself (same
 * quantization, so the same bytes) and returns the new quantized output. */
static int move_reshape(fctx *f, int r)
{
    ir_graph *g = f->g;
    int q = dq_source(f, g->nodes[r].in[0]);
    int out = g->nodes[r].out[0];
    char *name = xasprintf("%s/q", g->tensors[out].name);
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, g->tensors[out].shape, sizeof shape);
    int nt = ir_add_tensor(g, name, g->tensors[q].dtype, g->tensors[out].rank, shape);
    free(name);
    ir_set_quant(g, nt, 1, 0, g->tensors[q].q.scale, g->tensors[q].q.zero_point);
    grow_tensors(f);
    f->uses[g->nodes[r].in[0]]--;
    f->uses[q]++;
    g->nodes[r].in[0] = q;
    note_reader(f, q, r);
    g->tensors[out].producer = -1;
    g->nodes[r].out[0] = nt;
    g->tensors[nt].producer = r;
    return nt;
}

/* The int8 convolutions and pools are 1-D or 2-D, without dilated pools; a
 * group they cannot run keeps its float form (and float kernels). */
static bool int8_shape_ok(const ir_node *nd)
{
    if (nd->op != IR_OP_CONV && nd->op != IR_OP_MAXPOOL && nd->op != IR_OP_AVGPOOL)
        return true;
    const ir_conv_attr *a = &nd->attr.conv;
    if (a->nspatial < 1 || a->nspatial > 2)
        return false;
    for (int i = 0; i < a->nspatial && nd->op != IR_OP_CONV; i++)
        if (a->dilation[i] != 1)
            return false;
    return true;
}

/* Same dtype and the same per-tensor quantization (the QDQ pairs folded
 * here are per tensor only). */
static bool same_quant(const ir_tensor *a, const ir_tensor *b)
{
    return a->q.n == 1 && ir_same_type_quant(a, b);
}

static bool per_axis_ok(const ir_tensor *t, int axis)
{
    return t->q.n == 1 || t->q.axis == axis;
}

static int32_t round_even_sat(double v)
{
    double r = nearbyint(v);   /* default rounding: half to even */
    if (r > INT32_MAX)
        return INT32_MAX;
    if (r < INT32_MIN)
        return INT32_MIN;
    return (int32_t)r;
}

/* Bias for CONV / FULLY_CONNECTED on quantized x (scale sx) and w: an int32
 * constant with scale sx*sw[m].  *b_out = -1 when it cannot be made (the
 * group stays float), and f->failed with a message when no compilation of
 * it could be right (a bias scale beyond float32). */
static void quant_bias(fctx *f, int node, int b, int x, int w, int m, int *b_out)
{
    ir_graph *g = f->g;
    *b_out = -1;
    if (b < 0) {
        *b_out = -2;    /* no bias: fine */
        return;
    }
    const ir_tensor *tx = &g->tensors[x], *tw = &g->tensors[w];
    int nw = tw->q.n;
    double *want = xmalloc((size_t)m * sizeof *want);
    for (int i = 0; i < m; i++) {
        want[i] = (double)tx->q.scale[0] * (double)tw->q.scale[nw > 1 ? i : 0];
        /* The int32 bias carries that scale as a float32 (ONNX's own bias
         * scale is float32 too): a product beyond float is no model. */
        if (!(want[i] <= FLT_MAX)) {
            snprintf(f->err, f->errlen, "node %d '%s' (%s): bias '%s': its scale would be input "
                     "'%s' scale %g x weights '%s' scale %g = %g, beyond float32; refused", node,
                     g->nodes[node].name, g->nodes[node].src_op, g->tensors[b].name, tx->name, (double)tx->q.scale[0], tw->name,
                     (double)tw->q.scale[nw > 1 ? i : 0], want[i]);
            f->failed = true;
            free(want);
            return;
        }
    }
    int src = dq_source(f, b);
    const ir_tensor *tb = src >= 0 ? &g->tensors[src] : &g->tensors[b];
    if (!ir_is_const(tb) || tb->rank != 1 || tb->shape[0] != m ||
        (src >= 0 && tb->dtype != IR_DT_S32) || (src < 0 && tb->dtype != IR_DT_F32)) {
        free(want);
        return;
    }
    /* Already right: zero point 0 and the scales s_x * s_w[m]. */
    if (src >= 0 && tb->q.n == (nw > 1 ? m : 1)) {
        bool same = true;
        for (int i = 0; i < tb->q.n && same; i++)
            same = tb->q.zero_point[i] == 0 && fabs((double)tb->q.scale[i] - want[i]) <= 1e-6 * want[i];
        if (same) {
            *b_out = src;
            free(want);
            return;
        }
    }
    /* Requantize (from the real values) into a new int32 constant. */
    int32_t *v = xmalloc((size_t)m * sizeof *v);
    for (int i = 0; i < m; i++) {
        double real;
        if (src >= 0) {
            int32_t q;
            memcpy(&q, (const int32_t *)tb->data + i, sizeof q);
            int k = tb->q.n > 1 ? i : 0;
            real = (double)tb->q.scale[k] * ((double)q - tb->q.zero_point[k]);
        } else {
            float r;
            memcpy(&r, (const float *)tb->data + i, sizeof r);
            real = r;
        }
        v[i] = round_even_sat(real / want[i]);
    }
    char *name = xasprintf("%s/qbias", tb->name);
    int64_t shape[1] = {m};
    int nb = ir_add_const(g, name, IR_DT_S32, 1, shape, v, (size_t)m * sizeof *v);
    float *sc = xmalloc((size_t)m * sizeof *sc);
    for (int i = 0; i < m; i++)
        sc[i] = (float)want[i];
    int nq = nw > 1 ? m : 1;
    ir_set_quant(g, nb, nq, 0, sc, NULL);
    /* uses[] covers the old tensors only; the new one is read once. */
    free(name);
    free(sc);
    free(v);
    free(want);
    *b_out = nb;
}

static void try_fuse(fctx *f, int n)
{
    ir_graph *g = f->g;
    ir_node *nd = &g->nodes[n];
    ir_op op = nd->op;
    if (op != IR_OP_CONV && op != IR_OP_FULLY_CONNECTED && op != IR_OP_MATMUL && op != IR_OP_ADD &&
        op != IR_OP_MAXPOOL && op != IR_OP_AVGPOOL)
        return;
    if (nd->n_out < 1 || nd->out[0] < 0 || g->tensors[nd->out[0]].dtype != IR_DT_F32)
        return;
    if (op == IR_OP_MAXPOOL && nd->n_out > 1 && nd->out[1] >= 0)
        return;
    if (!int8_shape_ok(nd))
        return;
    /* The float result must reach exactly one QUANTIZE, maybe through a CLIP. */
    int y = nd->out[0], clip = -1;
    int r = sole_reader(f, y);
    if (r < 0)
        return;
    if (g->nodes[r].op == IR_OP_CLIP && g->nodes[r].in[0] == y && op != IR_OP_MAXPOOL && op != IR_OP_AVGPOOL &&
        !nd->attr.act.on) {
        clip = r;
        r = sole_reader(f, g->nodes[clip].out[0]);
        if (r < 0)
            return;
    }
    const ir_node *qn = &g->nodes[r];
    if (qn->op != IR_OP_QUANTIZE)
        return;
    int yq = qn->out[0];
    const ir_tensor *tyq = &g->tensors[yq];
    if (tyq->q.n != 1 || !is_qint(tyq->dtype))
        return;

    /* Which inputs must come from DEQUANTIZE, and their quantized sources. */
    int nin = nd->n_in, src[IR_MAX_INPUTS];
    int want = (op == IR_OP_CONV || op == IR_OP_FULLY_CONNECTED || op == IR_OP_MATMUL || op == IR_OP_ADD) ? 2 : 1;
    if (nin < want || nin > IR_MAX_INPUTS)
        return;
    int reshape0 = -1;   /* input 0 = RESHAPE(DEQUANTIZE(q)): move the reshape */
    for (int k = 0; k < want; k++) {
        src[k] = dq_source(f, nd->in[k]);
        if (src[k] < 0 && k == 0 && (reshape0 = reshaped_dq(f, nd->in[0])) >= 0)
            src[k] = dq_source(f, g->nodes[reshape0].in[0]);
        if (src[k] < 0)
            return;
        const ir_tensor *t = &g->tensors[src[k]];
        if ((op == IR_OP_ADD || op == IR_OP_MAXPOOL || op == IR_OP_AVGPOOL) ? !is_qint(t->dtype) : !is_q8(t->dtype))
            return;
        if (k == 0 && t->q.n != 1 && op != IR_OP_MATMUL)
            return;
    }
    if (op == IR_OP_ADD && g->tensors[src[1]].q.n != 1)
        return;
    /* Pools and Add run on 8-bit tensors only (the pools on one type). */
    if ((op == IR_OP_ADD || op == IR_OP_MAXPOOL || op == IR_OP_AVGPOOL) &&
        (!is_q8(tyq->dtype) || !is_q8(g->tensors[src[0]].dtype) ||
         (op == IR_OP_ADD && !is_q8(g->tensors[src[1]].dtype)) ||
         (op != IR_OP_ADD && g->tensors[src[0]].dtype != tyq->dtype)))
        return;
    /* MaxPool commutes with the (monotonic) dequantization: on integers it
     * is exact when input and output share dtype and quantization, which is
     * also the only case onnxruntime runs on integers. */
    if (op == IR_OP_MAXPOOL && !same_quant(&g->tensors[src[0]], tyq))
        return;
    if (op == IR_OP_MATMUL) {
        const ir_tensor *a = &g->tensors[src[0]], *b = &g->tensors[src[1]];
        if (a->q.n != 1 || (b->q.n > 1 && b->q.axis != b->rank - 1))
            return;
    }
    int bias = -2;
    if (op == IR_OP_CONV || op == IR_OP_FULLY_CONNECTED) {
        const ir_tensor *w = &g->tensors[src[1]];
        if (!per_axis_ok(w, 0) || !is_q8(tyq->dtype))
            return;
        int m = (int)w->shape[0];
        quant_bias(f, n, nin > 2 ? nd->in[2] : -1, src[0], src[1], m, &bias);
        grow_tensors(f);
        nd = &g->nodes[n];
        if (bias == -1)
            return;
    }

    /* Commit. */
    if (reshape0 >= 0) {
        src[0] = move_reshape(f, reshape0);
        nd = &g->nodes[n];
    }
    for (int k = 0; k < want; k++) {
        f->uses[nd->in[k]]--;
        nd->in[k] = src[k];
        f->uses[src[k]]++;
        note_reader(f, src[k], n);
    }
    if (bias != -2) {
        f->uses[nd->in[2]]--;
        nd->in[2] = bias;
        f->uses[bias]++;
        note_reader(f, bias, n);
    }
    if (clip >= 0) {
        nd->attr.act = g->nodes[clip].attr.act;
        f->dead[clip] = 1;
    }
    f->dead[r] = 1;
    f->uses[y]--;
    nd->out[0] = yq;
    g->tensors[yq].producer = n;
    nd->attr.qmode = IR_QMODE_ONNX;
}

/* A RESHAPE that changes nothing (same shape, dtype and quantization) on a
 * quantized tensor: PyTorch writes QuantizeLinear -> Cast -> DequantizeLinear
 * with a Cast to the type it already has, which imports as this.  Its
 * readers read the input instead, so the QDQ patterns around it match. */
static void bypass_identity(fctx *f, int n)
{
    ir_graph *g = f->g;
    const ir_node *nd = &g->nodes[n];
    if (nd->op != IR_OP_RESHAPE || nd->n_in < 1 || nd->n_out < 1 || nd->in[0] < 0 || nd->out[0] < 0)
        return;
    int x = nd->in[0], y = nd->out[0];
    const ir_tensor *tx = &g->tensors[x], *ty = &g->tensors[y];
    if (ty->is_output || !same_quant(tx, ty) || tx->rank != ty->rank ||
        memcmp(tx->shape, ty->shape, (size_t)tx->rank * sizeof tx->shape[0]))
        return;
    for (int e = f->rd_head[y]; e >= 0; e = f->rd_next[e]) {
        ir_node *m = &g->nodes[f->rd_node[e]];
        for (int k = 0; k < m->n_in; k++)
            if (m->in[k] == y) {
                m->in[k] = x;
                note_reader(f, x, f->rd_node[e]);
            }
    }
    f->dead[n] = 1;
}

/* The QUANTIZE reading t, its only reader, or -1. */
static int sole_quantize(const fctx *f, int t)
{
    int r = sole_reader(f, t);
    return r >= 0 && f->g->nodes[r].op == IR_OP_QUANTIZE ? r : -1;
}

/* DEQUANTIZE(q1) -> CLIP -> QUANTIZE(q2) with q1 and q2 quantized alike (how
 * PyTorch writes a quantized ReLU6, and ReLU on its own): a clamp of the
 * integers.  When q1 comes from a fused op that nobody else reads, the clamp
 * becomes that op's activation (clamping after requantization is the same
 * as clamping the requantized integers); otherwise the CLIP itself reads q1
 * and writes q2 (lower_s8 makes it an integer clamp). */
static void try_fuse_clip(fctx *f, int n)
{
    ir_graph *g = f->g;
    ir_node *cn = &g->nodes[n];
    if (cn->op != IR_OP_CLIP || !cn->attr.act.on || cn->in[0] < 0)
        return;
    int x = cn->in[0], q1 = dq_source(f, x);
    if (q1 < 0 || f->uses[x] != 1 || g->tensors[x].is_output)
        return;
    int r = sole_quantize(f, cn->out[0]);
    if (r < 0)
        return;
    int q2 = g->nodes[r].out[0];
    if (!same_quant(&g->tensors[q1], &g->tensors[q2]) || !is_q8(g->tensors[q1].dtype))
        return;
    int p = g->tensors[q1].producer;
    ir_node *pn = p >= 0 && !f->dead[p] ? &g->nodes[p] : NULL;
    bool into_producer = pn && pn->attr.qmode == IR_QMODE_ONNX && pn->out[0] == q1 && f->uses[q1] == 1 &&
                         !g->tensors[q1].is_output &&
                         (pn->op == IR_OP_CONV || pn->op == IR_OP_FULLY_CONNECTED || pn->op == IR_OP_MATMUL ||
                          pn->op == IR_OP_ADD || pn->op == IR_OP_AVGPOOL || pn->op == IR_OP_MAXPOOL);
    f->dead[r] = 1;
    if (into_producer) {
        ir_act *a = &pn->attr.act;
        const ir_act *c = &cn->attr.act;
        if (a->on) {
            a->lo = a->lo > c->lo ? a->lo : c->lo;
            a->hi = a->hi < c->hi ? a->hi : c->hi;
        } else {
            *a = *c;
        }
        pn->out[0] = q2;
        g->tensors[q2].producer = p;
        f->dead[n] = 1;
        f->dead[g->tensors[x].producer] = 1;
        return;
    }
    f->uses[x]--;
    f->uses[q1]++;
    cn->in[0] = q1;
    note_reader(f, q1, n);
    cn->out[0] = q2;
    g->tensors[q2].producer = n;
    cn->attr.qmode = IR_QMODE_ONNX;
}

/* DEQUANTIZE(q1) -> RESHAPE / TRANSPOSE / SLICE -> QUANTIZE(q2), q1 and q2
 * quantized alike (PyTorch's Flatten): the same data movement on the
 * integers. */
static void try_fuse_move(fctx *f, int n)
{
    ir_graph *g = f->g;
    ir_node *nd = &g->nodes[n];
    if ((nd->op != IR_OP_RESHAPE && nd->op != IR_OP_TRANSPOSE && nd->op != IR_OP_SLICE) || nd->n_in < 1 ||
        nd->n_out != 1 || nd->in[0] < 0 || nd->out[0] < 0)
        return;
    int x = nd->in[0], q1 = dq_source(f, x);
    if (q1 < 0 || f->uses[x] != 1 || g->tensors[x].is_output)
        return;
    int r = sole_quantize(f, nd->out[0]);
    if (r < 0 || !same_quant(&g->tensors[q1], &g->tensors[g->nodes[r].out[0]]))
        return;
    int q2 = g->nodes[r].out[0];
    f->dead[r] = 1;
    f->uses[x]--;
    f->uses[q1]++;
    nd->in[0] = q1;
    note_reader(f, q1, n);
    nd->out[0] = q2;
    g->tensors[q2].producer = n;
}

bool fuse_qdq(ir_graph *g, char *err, size_t errlen)
{
    fctx f = {g, xcalloc((size_t)g->n_tensors + 1, sizeof(int)), xcalloc((size_t)g->n_nodes + 1, 1)};
    f.n_t = g->n_tensors;
    f.err = err;
    f.errlen = errlen;
    f.rd_head = xmalloc(((size_t)g->n_tensors + 1) * sizeof *f.rd_head);
    for (int i = 0; i < g->n_tensors; i++)
        f.rd_head[i] = -1;
    for (int n = 0; n < g->n_nodes; n++)
        for (int k = 0; k < g->nodes[n].n_in; k++)
            note_reader(&f, g->nodes[n].in[k], n);
    for (int n = 0; n < g->n_nodes; n++)
        bypass_identity(&f, n);
    for (int n = 0; n < g->n_nodes; n++)
        for (int k = 0; k < g->nodes[n].n_in; k++)
            if (g->nodes[n].in[k] >= 0 && !f.dead[n])
                f.uses[g->nodes[n].in[k]]++;
    for (int i = 0; i < g->n_outputs; i++)
        f.uses[g->outputs[i]]++;
    for (int n = 0; n < g->n_nodes && !f.failed; n++)
        if (!f.dead[n])
            try_fuse(&f, n);
    /* Clamps and moves between integer tensors, once their producers are fused. */
    for (int n = 0; n < g->n_nodes; n++)
        if (!f.dead[n])
            try_fuse_clip(&f, n);
    for (int n = 0; n < g->n_nodes; n++)
        if (!f.dead[n])
            try_fuse_move(&f, n);
    int k = 0;
    for (int n = 0; n < g->n_nodes; n++) {
        if (f.dead[n]) {
            free(g->nodes[n].name);
            free(g->nodes[n].src_op);
            free(g->nodes[n].in);
            free(g->nodes[n].out);
            continue;
        }
        g->nodes[k++] = g->nodes[n];
    }
    g->n_nodes = k;
    free(f.uses);
    free(f.dead);
    free(f.rd_head);
    free(f.rd_next);
    free(f.rd_node);
    if (f.failed)
        return false;   /* the graph is whole; the caller drops it with the message */
    ir_compact(g);   /* drops the DEQUANTIZEs nobody reads and recomputes producers */
    return ir_verify(g, err, errlen);
}
