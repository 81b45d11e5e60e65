/*
 * eval.c - the reference evaluator's graph walk and tensor storage.
 *
 * Every tensor's value lives here as an array of double, one per element,
 * holding exactly what the dtype stores (eval_ops.h says why).  This file
 * turns bytes into those arrays and back (all dtypes, float16 included),
 * runs the nodes in the IR's topological order, frees each value after its
 * last reader, and dispatches every op to its family's file.  The arithmetic
 * itself is in eval_*.c; the real <-> stored conversions in eval_quant.c.
 *
 * It never calls the runtime kernels and includes no runtime header: the
 * evaluator is the independent second implementation `kiln validate`
 * compares the generated code against.
 */
#include "ref/eval.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/eval_int.h"
#include "ref/eval_ops.h"
#include "ref/eval_ext.h"
#include "util/sbuf.h"

/* ---- errors and scratch ----------------------------------------------- */

bool ref_fail(ref_ctx *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "reference evaluator: node '%s' (%s, %s): %s", c->nd->name,
             c->nd->src_op, ir_op_name(c->nd->op), msg);
    return false;
}

void *ref_tmp_bytes(ref_ctx *c, size_t n)
{
    if (c->n_tmp == c->cap_tmp) {
        c->cap_tmp = c->cap_tmp ? 2 * c->cap_tmp : 16;
        c->tmp = xrealloc(c->tmp, (size_t)c->cap_tmp * sizeof *c->tmp);
    }
    void *p = xcalloc(n ? n : 1, 1);
    c->tmp[c->n_tmp++] = p;
    return p;
}

double *ref_tmp(ref_ctx *c, int64_t n)
{
    return ref_tmp_bytes(c, (size_t)(n > 0 ? n : 1) * sizeof(double));
}

const ir_tensor *ref_in(const ref_ctx *c, int k)
{
    if (k < 0 || k >= c->nd->n_in || c->nd->in[k] < 0)
        return NULL;
    return &c->g->tensors[c->nd->in[k]];
}

const ir_tensor *ref_out(const ref_ctx *c, int k)
{
    if (k < 0 || k >= c->nd->n_out || c->nd->out[k] < 0)
        return NULL;
    return &c->g->tensors[c->nd->out[k]];
}

bool ref_dtype_is_int(ir_dtype dt)
{
    return dt != IR_DT_F32 && dt != IR_DT_F16 && dt != IR_DT_F64 && dt != IR_DT_UNDEF;
}

bool ref_is_quant(const ir_tensor *t)
{
    return t->q.n > 0 && ref_dtype_is_int(t->dtype);
}

void ref_strides(const ir_tensor *t, int64_t *stride)
{
    int64_t s = 1;
    for (int d = t->rank - 1; d >= 0; d--) {
        stride[d] = s;
        s *= t->shape[d];
    }
}

bool ref_geom(ref_ctx *c, const ir_tensor *t, const char *what, ref_geom_t *gm)
{
    const ir_conv_attr *a = &c->nd->attr.conv;
    if (a->nspatial < 1 || a->nspatial > IR_MAX_SPATIAL)
        return ref_fail(c, "attr.conv.nspatial is %d (expected 1..%d)", a->nspatial, IR_MAX_SPATIAL);
    if (t->rank != a->nspatial + 2)
        return ref_fail(c, "%s '%s' has rank %d; a %d-D op needs rank %d", what, t->name, t->rank,
                        a->nspatial, a->nspatial + 2);
    int64_t st[IR_MAX_DIMS];
    ref_strides(t, st);
    bool nhwc = a->layout == IR_LAYOUT_NHWC;
    int cax = nhwc ? t->rank - 1 : 1;
    gm->n = t->shape[0];
    gm->sn = st[0];
    gm->c = t->shape[cax];
    gm->sc = st[cax];
    for (int i = 0; i < IR_MAX_SPATIAL; i++) {
        int ax = nhwc ? 1 + i : 2 + i;
        if (i < a->nspatial) {
            gm->sp[i] = t->shape[ax];
            gm->ssp[i] = st[ax];
        } else {
            gm->sp[i] = 1;
            gm->ssp[i] = 0;
        }
    }
    return true;
}

/* ---- dtype <-> double ------------------------------------------------- */

/* float16 bits -> value. */
static double half_to_double(uint16_t h)
{
    int sign = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v;
    if (e == 0)
        v = ldexp(m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp(m + 1024, e - 25);
    return sign ? -v : v;
}

/* A value already representable in float16 (see ref_round_half) -> bits. */
static uint16_t half_bits(double v)
{
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    double a = fabs(v);
    if (isnan(v))
        return 0x7e00;
    if (isinf(a))
        return sign | 0x7c00;
    if (a < ldexp(1.0, -14))
        return sign | (uint16_t)(a * ldexp(1.0, 24));
    int e;
    frexp(a, &e);   /* a = f * 2^e, f in [0.5, 1) */
    uint16_t mant = (uint16_t)((a / ldexp(1.0, e - 1) - 1.0) * 1024.0);
    return sign | (uint16_t)((e - 1 + 15) << 10) | mant;
}

static double load_elem(ir_dtype dt, const uint8_t *p, int64_t i)
{
    switch (dt) {
    case IR_DT_F32: { float f; memcpy(&f, p + 4 * i, 4); return f; }
    case IR_DT_F64: { double d; memcpy(&d, p + 8 * i, 8); return d; }
    case IR_DT_F16: { uint16_t h; memcpy(&h, p + 2 * i, 2); return half_to_double(h); }
    case IR_DT_S8: return (int8_t)p[i];
    case IR_DT_U8: return p[i];
    case IR_DT_BOOL: return p[i] != 0;
    case IR_DT_S16: { int16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case IR_DT_U16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case IR_DT_S32: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case IR_DT_U32: { uint32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case IR_DT_S64: { int64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
    case IR_DT_U64: { uint64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
    default: return 0;
    }
}

/* v is already a value of dt (ref_store made it so), so every case is exact
 * except 64-bit integers beyond 2^53, which double cannot hold anyway. */
static void save_elem(ir_dtype dt, uint8_t *p, int64_t i, double v)
{
    switch (dt) {
    case IR_DT_F32: { float f = (float)v; memcpy(p + 4 * i, &f, 4); break; }
    case IR_DT_F64: memcpy(p + 8 * i, &v, 8); break;
    case IR_DT_F16: { uint16_t h = half_bits(v); memcpy(p + 2 * i, &h, 2); break; }
    case IR_DT_S8: p[i] = (uint8_t)(int8_t)v; break;
    case IR_DT_U8: p[i] = (uint8_t)v; break;
    case IR_DT_BOOL: p[i] = v != 0; break;
    case IR_DT_S16: { int16_t x = (int16_t)v; memcpy(p + 2 * i, &x, 2); break; }
    case IR_DT_U16: { uint16_t x = (uint16_t)v; memcpy(p + 2 * i, &x, 2); break; }
    case IR_DT_S32: { int32_t x = (int32_t)v; memcpy(p + 4 * i, &x, 4); break; }
    case IR_DT_U32: { uint32_t x = (uint32_t)v; memcpy(p + 4 * i, &x, 4); break; }
    case IR_DT_S64: {
        int64_t x = v >= 9223372036854775807.0 ? INT64_MAX : (int64_t)v;
        memcpy(p + 8 * i, &x, 8);
        break;
    }
    case IR_DT_U64: {
        uint64_t x = v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
        memcpy(p + 8 * i, &x, 8);
        break;
    }
    default: break;
    }
}

static double *load_tensor(const ir_tensor *t, const void *bytes)
{
    int64_t n = ir_numel(t);
    double *v = xmalloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        v[i] = load_elem(t->dtype, bytes, i);
    return v;
}

static void save_tensor(const ir_tensor *t, const double *v, void *bytes)
{
    int64_t n = ir_numel(t);
    for (int64_t i = 0; i < n; i++)
        save_elem(t->dtype, bytes, i, v[i]);
}

/* ---- one node ---------------------------------------------------------- */

static bool dispatch(ref_ctx *c)
{
    switch (c->nd->op) {
    case IR_OP_CONV: return ref_conv(c);
    case IR_OP_CONV_TRANSPOSE: return ref_conv_transpose(c);
    case IR_OP_FULLY_CONNECTED: return ref_fully_connected(c);
    case IR_OP_MATMUL: return ref_matmul(c);
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV: case IR_OP_MIN: case IR_OP_MAX:
        return ref_binary(c);
    case IR_OP_CLIP: case IR_OP_LEAKY_RELU: case IR_OP_SIGMOID: case IR_OP_TANH:
    case IR_OP_HARD_SIGMOID: case IR_OP_HARD_SWISH: case IR_OP_SQRT:
        return ref_unary(c);
    case IR_OP_SOFTMAX: return ref_softmax(c);
    case IR_OP_MAXPOOL: case IR_OP_AVGPOOL: return ref_pool(c);
    case IR_OP_BATCHNORM: return ref_batchnorm(c);
    case IR_OP_RESHAPE: return ref_reshape(c);
    case IR_OP_TRANSPOSE: return ref_transpose(c);
    case IR_OP_CONCAT: return ref_concat(c);
    case IR_OP_PAD: return ref_pad(c);
    case IR_OP_SLICE: return ref_slice(c);
    case IR_OP_REDUCE_MEAN: return ref_reduce_mean(c);
    case IR_OP_RESIZE: return ref_resize(c);
    case IR_OP_LSTM: return ref_lstm(c);
    case IR_OP_GRU: return ref_gru(c);
    case IR_OP_QUANTIZE: case IR_OP_DEQUANTIZE: case IR_OP_REQUANTIZE: case IR_OP_CAST:
        return ref_convert(c);
    case IR_OP_SVDF: return ref_svdf(c);
    default:
        if (ref_ext_claims(c->nd->op))
            return ref_ext(c);
        return ref_fail(c, "op %d has no reference implementation", (int)c->nd->op);
    }
}

/* Runs node n: its inputs must have values in val[]; allocates its outputs.
 * *approx (when given) says whether a quantized output was computed in
 * double where the IR specifies integer arithmetic (eval.h). */
static bool run_node(const ir_graph *g, int n, double **val, bool *approx, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[n];
    ref_ctx c = { .g = g, .nd = nd, .val = val, .err = err, .errlen = errlen };
    for (int k = 0; k < nd->n_in; k++) {
        int ti = nd->in[k];
        if (ti < -1 || ti >= g->n_tensors)
            return ref_fail(&c, "input %d refers to no tensor", k);
        if (ti >= 0 && !val[ti])
            return ref_fail(&c, "input %d ('%s') has no value yet", k, g->tensors[ti].name);
    }
    for (int k = 0; k < nd->n_out; k++) {
        int ti = nd->out[k];
        if (ti < -1 || ti >= g->n_tensors)
            return ref_fail(&c, "output %d refers to no tensor", k);
        if (ti < 0)
            continue;
        const ir_tensor *t = &g->tensors[ti];
        if (ir_dtype_size(t->dtype) == 0)
            return ref_fail(&c, "output '%s' has no element type", t->name);
        if (t->q.n > 1 && (t->q.axis < 0 || t->q.axis >= t->rank || t->shape[t->q.axis] != t->q.n))
            return ref_fail(&c, "output '%s' has %d per-channel scales on axis %d that do not match its shape",
                            t->name, t->q.n, t->q.axis);
        free(val[ti]);
        int64_t ne = ir_numel(t);
        val[ti] = xcalloc((size_t)(ne > 0 ? ne : 1), sizeof(double));
    }
    if (approx) {
        const ir_tensor *y = ref_out(&c, 0);
        *approx = y && ref_is_quant(y) && !ref_int_mode(&c) && !ref_int_exact_anyway(&c);
    }
    bool ok = dispatch(&c);
    for (int i = 0; i < c.n_tmp; i++)
        free(c.tmp[i]);
    free(c.tmp);
    return ok;
}

/* ---- sessions and the API ----------------------------------------------- */

struct ref_session {
    const ir_graph *g;
    double **state;         /* per tensor index: a state's stored values, else NULL */
    bool *approx;           /* per node: its quantized output was approximated */
};

/* The stored value of every element of a state after init (ir.h): an int8
 * state's zero point (real 0), 0 for any other dtype (all-zero bytes). */
static void state_init(const ir_tensor *t, double *v)
{
    const double fill = t->dtype == IR_DT_S8 && t->q.n > 0 ? t->q.zero_point[0] : 0.0;
    for (int64_t i = 0; i < ir_numel(t); i++)
        v[i] = fill;
}

ref_session *ref_session_new(const ir_graph *g)
{
    ref_session *s = xcalloc(1, sizeof *s);
    s->g = g;
    s->state = xcalloc((size_t)g->n_tensors + 1, sizeof *s->state);
    s->approx = xcalloc((size_t)g->n_nodes + 1, sizeof *s->approx);
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].is_state) {
            int64_t n = ir_numel(&g->tensors[i]);
            s->state[i] = xcalloc((size_t)(n > 0 ? n : 1), sizeof(double));
        }
    ref_session_reset(s);
    return s;
}

void ref_session_reset(ref_session *s)
{
    for (int i = 0; i < s->g->n_tensors; i++)
        if (s->state[i])
            state_init(&s->g->tensors[i], s->state[i]);
}

void ref_session_free(ref_session *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->g->n_tensors; i++)
        free(s->state[i]);
    free(s->state);
    free(s->approx);
    free(s);
}

bool ref_session_run(ref_session *s, const void *const *inputs, void *const *outputs, char *err,
                     size_t errlen)
{
    const ir_graph *g = s->g;
    double **val = xcalloc((size_t)g->n_tensors + 1, sizeof *val);
    /* last_use[t]: the last node reading t; graph outputs are never freed
     * early, states never (the session owns them). */
    int *last_use = xmalloc(((size_t)g->n_tensors + 1) * sizeof(int));
    bool ok = false;
    for (int i = 0; i < g->n_tensors; i++)
        last_use[i] = g->tensors[i].is_output ? g->n_nodes : -1;
    for (int n = 0; n < g->n_nodes; n++)
        for (int k = 0; k < g->nodes[n].n_in; k++) {
            int ti = g->nodes[n].in[k];
            if (ti >= 0 && ti < g->n_tensors && last_use[ti] < n)
                last_use[ti] = n;
        }
    for (int i = 0; i < g->n_outputs; i++)
        last_use[g->outputs[i]] = g->n_nodes;
    for (int i = 0; i < g->n_tensors; i++)
        if (s->state[i]) {
            val[i] = s->state[i];
            last_use[i] = g->n_nodes;
        }

    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (!t->data)
            continue;
        if (t->nbytes != ir_nbytes(t)) {
            snprintf(err, errlen, "reference evaluator: constant '%s' holds %zu bytes, its shape needs %zu",
                     t->name, t->nbytes, ir_nbytes(t));
            goto out;
        }
        val[i] = load_tensor(t, t->data);
    }
    for (int i = 0; i < g->n_inputs; i++) {
        int ti = g->inputs[i];
        if (!inputs || !inputs[i]) {
            snprintf(err, errlen, "reference evaluator: no data for graph input %d ('%s')", i,
                     g->tensors[ti].name);
            goto out;
        }
        free(val[ti]);
        val[ti] = load_tensor(&g->tensors[ti], inputs[i]);
    }
    for (int n = 0; n < g->n_nodes; n++) {
        if (!run_node(g, n, val, &s->approx[n], err, errlen))
            goto out;
        for (int k = 0; k < g->nodes[n].n_in; k++) {
            int ti = g->nodes[n].in[k];
            if (ti >= 0 && last_use[ti] == n) {
                free(val[ti]);
                val[ti] = NULL;
            }
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int ti = g->outputs[i];
        if (!val[ti]) {
            snprintf(err, errlen, "reference evaluator: graph output '%s' is never produced",
                     g->tensors[ti].name);
            goto out;
        }
        save_tensor(&g->tensors[ti], val[ti], outputs[i]);
    }
    ok = true;
out:
    for (int i = 0; i < g->n_tensors; i++)
        if (!s->state[i])
            free(val[i]);
    free(val);
    free(last_use);
    return ok;
}

int ref_session_approximated(const ref_session *s, int *nodes, int max)
{
    int n = 0;
    for (int i = 0; i < s->g->n_nodes; i++)
        if (s->approx[i]) {
            if (n < max)
                nodes[n] = i;
            n++;
        }
    return n;
}

bool ref_eval_graph(const ir_graph *g, const void *const *inputs, void *const *outputs, char *err,
                    size_t errlen)
{
    ref_session *s = ref_session_new(g);
    bool ok = ref_session_run(s, inputs, outputs, err, errlen);
    ref_session_free(s);
    return ok;
}

bool ref_eval_node_const(ir_graph *g, int node, char *err, size_t errlen)
{
    if (node < 0 || node >= g->n_nodes) {
        snprintf(err, errlen, "reference evaluator: no node %d (graph has %d)", node, g->n_nodes);
        return false;
    }
    const ir_node *nd = &g->nodes[node];
    double **val = xcalloc((size_t)g->n_tensors + 1, sizeof *val);
    bool ok = false;
    for (int k = 0; k < nd->n_in; k++) {
        int ti = nd->in[k];
        if (ti < 0 || ti >= g->n_tensors || val[ti])
            continue;
        const ir_tensor *t = &g->tensors[ti];
        if (!t->data) {
            snprintf(err, errlen, "reference evaluator: node '%s' (%s): input %d ('%s') is not a constant",
                     nd->name, nd->src_op, k, t->name);
            goto out;
        }
        if (t->nbytes != ir_nbytes(t)) {
            snprintf(err, errlen,
                     "reference evaluator: node '%s' (%s): constant input %d ('%s') holds %zu bytes, its shape needs %zu",
                     nd->name, nd->src_op, k, t->name, t->nbytes, ir_nbytes(t));
            goto out;
        }
        val[ti] = load_tensor(t, t->data);
    }
    if (!run_node(g, node, val, NULL, err, errlen))
        goto out;
    for (int k = 0; k < nd->n_out; k++) {
        int ti = nd->out[k];
        if (ti < 0)
            continue;
        ir_tensor *t = &g->tensors[ti];
        size_t nb = ir_nbytes(t);
        void *data = xcalloc(nb ? nb : 1, 1);
        save_tensor(t, val[ti], data);
        free(t->data);
        t->data = data;
        t->nbytes = nb;
    }
    ok = true;
out:
    for (int i = 0; i < g->n_tensors; i++)
        free(val[i]);
    free(val);
    return ok;
}
