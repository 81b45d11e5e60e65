/*
 * ref_harness.h - builds one-node IR graphs from rc_tensor descriptions, runs
 * the reference evaluator on them and compares with expected values.
 *
 * Shared by the reference evaluator's unit tests (static functions: each test
 * program includes it once).  Expected values always come from outside the
 * code under test: ONNX conformance data (ref_cases.h) or values worked out by
 * hand in the test's comments.
 *
 * Two paths are checked for every case: ref_eval_graph with every input a
 * graph input, and ref_eval_node_const with every input a constant (the
 * constant-folding entry point), whose result must land in the output
 * tensors' data in their dtype.
 */
#ifndef REF_HARNESS_H
#define REF_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "ref/eval.h"
#include "ref_cases.h"

#define RC_ATOL 1e-5
#define RC_RTOL 1e-4

/* float16 bits <-> value, written out long-hand for the test. */
static double rc_half_value(uint16_t h)
{
    double mant = h & 0x3ff;
    int e = (h >> 10) & 0x1f;
    double v = e == 0 ? mant / 1024.0 * pow(2, -14)
             : e == 31 ? (mant ? NAN : INFINITY)
             : (1.0 + mant / 1024.0) * pow(2, e - 15);
    return (h & 0x8000) ? -v : v;
}

/* Raw little-endian bytes of n values in dtype dt (test-side conversion,
 * independent of the evaluator's). */
static void *rc_bytes(int dt, const double *v, int64_t n)
{
    size_t sz = ir_dtype_size((ir_dtype)dt);
    unsigned char *p = calloc((size_t)(n > 0 ? n : 1), sz ? sz : 1);
    for (int64_t i = 0; i < n; i++) {
        unsigned char *q = p + (size_t)i * sz;
        switch (dt) {
        case IR_DT_F32: { float f = (float)v[i]; memcpy(q, &f, 4); break; }
        case IR_DT_F64: memcpy(q, &v[i], 8); break;
        case IR_DT_S8: { int8_t x = (int8_t)v[i]; memcpy(q, &x, 1); break; }
        case IR_DT_U8: case IR_DT_BOOL: { uint8_t x = (uint8_t)v[i]; memcpy(q, &x, 1); break; }
        case IR_DT_S16: { int16_t x = (int16_t)v[i]; memcpy(q, &x, 2); break; }
        case IR_DT_U16: { uint16_t x = (uint16_t)v[i]; memcpy(q, &x, 2); break; }
        case IR_DT_S32: { int32_t x = (int32_t)v[i]; memcpy(q, &x, 4); break; }
        case IR_DT_U32: { uint32_t x = (uint32_t)v[i]; memcpy(q, &x, 4); break; }
        case IR_DT_S64: { int64_t x = (int64_t)v[i]; memcpy(q, &x, 8); break; }
        case IR_DT_U64: { uint64_t x = (uint64_t)v[i]; memcpy(q, &x, 8); break; }
        default: break;
        }
    }
    return p;
}

static double rc_value(int dt, const void *bytes, int64_t i)
{
    const unsigned char *p = bytes;
    switch (dt) {
    case IR_DT_F32: { float f; memcpy(&f, p + 4 * i, 4); return f; }
    case IR_DT_F64: { double d; memcpy(&d, p + 8 * i, 8); return d; }
    case IR_DT_F16: { uint16_t h; memcpy(&h, p + 2 * i, 2); return rc_half_value(h); }
    case IR_DT_S8: return (int8_t)p[i];
    case IR_DT_U8: case IR_DT_BOOL: return p[i];
    case IR_DT_S16: { int16_t x; memcpy(&x, p + 2 * i, 2); return x; }
    case IR_DT_U16: { uint16_t x; memcpy(&x, p + 2 * i, 2); return x; }
    case IR_DT_S32: { int32_t x; memcpy(&x, p + 4 * i, 4); return x; }
    case IR_DT_U32: { uint32_t x; memcpy(&x, p + 4 * i, 4); return x; }
    case IR_DT_S64: { int64_t x; memcpy(&x, p + 8 * i, 8); return (double)x; }
    case IR_DT_U64: { uint64_t x; memcpy(&x, p + 8 * i, 8); return (double)x; }
    default: return NAN;
    }
}

static int64_t rc_numel(const rc_tensor *t)
{
    int64_t n = 1;
    for (int d = 0; d < t->rank; d++)
        n *= t->shape[d];
    return n;
}

static int rc_add(ir_graph *g, const char *name, const rc_tensor *t, bool as_const)
{
    int ti;
    if (as_const) {
        void *b = rc_bytes(t->dtype, t->data, rc_numel(t));
        ti = ir_add_const(g, name, (ir_dtype)t->dtype, t->rank, t->shape, b,
                          (size_t)rc_numel(t) * ir_dtype_size((ir_dtype)t->dtype));
        free(b);
    } else {
        ti = ir_add_tensor(g, name, (ir_dtype)t->dtype, t->rank, t->shape);
    }
    if (t->qn)
        ir_set_quant(g, ti, t->qn, t->qaxis, t->qscale, t->qzp);
    return ti;
}

/* Builds the one-node graph of a case; inputs become graph inputs or constants. */
static ir_graph *rc_build(const rc_case *c, bool as_const, int *in_idx, int *out_idx)
{
    ir_graph *g = ir_new(c->name);
    char name[32];
    int n_graph_in = 0;
    for (int k = 0; k < c->n_in; k++) {
        if (!c->in[k].dtype) {
            in_idx[k] = -1;
            continue;
        }
        snprintf(name, sizeof name, "in%d", k);
        in_idx[k] = rc_add(g, name, &c->in[k], as_const);
        if (!as_const)
            ir_mark_input(g, in_idx[k], n_graph_in++);
    }
    for (int k = 0; k < c->n_out; k++) {
        if (!c->out[k].dtype) {
            out_idx[k] = -1;
            continue;
        }
        snprintf(name, sizeof name, "out%d", k);
        out_idx[k] = rc_add(g, name, &c->out[k], false);
    }
    int n = ir_add_node(g, c->op, "node", NULL, 0, c->n_in, in_idx, c->n_out, out_idx);
    c->attr(&g->nodes[n].attr);
    for (int k = 0; k < c->n_out; k++)
        if (out_idx[k] >= 0)
            ir_mark_output(g, out_idx[k]);
    return g;
}

/* Compares one output; prints the first mismatch.  Returns true if equal
 * within tolerance. */
static bool rc_compare(const rc_case *c, int k, const void *got, const char *path)
{
    const rc_tensor *t = &c->out[k];
    int64_t n = rc_numel(t);
    bool is_float = t->dtype == IR_DT_F32 || t->dtype == IR_DT_F64 || t->dtype == IR_DT_F16;
    double atol = c->atol || c->rtol ? c->atol : RC_ATOL, rtol = c->atol || c->rtol ? c->rtol : RC_RTOL;
    int64_t bad = 0, first = -1;
    for (int64_t i = 0; i < n; i++) {
        double g = rc_value(t->dtype, got, i), e = t->data[i];
        bool ok;
        if (is_float)
            ok = (isnan(e) && isnan(g)) || (isinf(e) && g == e) ||
                 fabs(g - e) <= atol + rtol * fabs(e);
        else
            ok = fabs(g - e) <= (t->qn ? c->qtol : 0);
        if (!ok && bad++ == 0)
            first = i;
    }
    if (bad)
        printf("  MISMATCH %s [%s] output %d: %lld of %lld differ; first at %lld: got %.9g expected %.9g\n",
               c->name, path, k, (long long)bad, (long long)n, (long long)first,
               rc_value(t->dtype, got, first), t->data[first]);
    return bad == 0;
}

/* Runs a case through ref_eval_graph; returns true if every output matches. */
static bool rc_run_graph(const rc_case *c)
{
    int in_idx[16], out_idx[4];
    ir_graph *g = rc_build(c, false, in_idx, out_idx);
    const void *inputs[16];
    void *outputs[4];
    int ni = 0, no = 0;
    for (int k = 0; k < c->n_in; k++)
        if (in_idx[k] >= 0) {
            inputs[ni++] = rc_bytes(c->in[k].dtype, c->in[k].data, rc_numel(&c->in[k]));
        }
    for (int k = 0; k < c->n_out; k++)
        if (out_idx[k] >= 0)
            outputs[no++] = calloc(1, ir_nbytes(&g->tensors[out_idx[k]]) + 1);
    char err[512] = "";
    bool ok = ref_eval_graph(g, inputs, outputs, err, sizeof err);
    if (!ok)
        printf("  ERROR %s [graph]: %s\n", c->name, err);
    for (int k = 0, j = 0; ok && k < c->n_out; k++)
        if (out_idx[k] >= 0)
            ok = rc_compare(c, k, outputs[j++], "graph") && ok;
    for (int i = 0; i < ni; i++)
        free((void *)inputs[i]);
    for (int i = 0; i < no; i++)
        free(outputs[i]);
    ir_free(g);
    return ok;
}

/* Runs a case through ref_eval_node_const (all inputs constant). */
static bool rc_run_const(const rc_case *c)
{
    int in_idx[16], out_idx[4];
    ir_graph *g = rc_build(c, true, in_idx, out_idx);
    char err[512] = "";
    bool ok = ref_eval_node_const(g, 0, err, sizeof err);
    if (!ok)
        printf("  ERROR %s [const]: %s\n", c->name, err);
    for (int k = 0; ok && k < c->n_out; k++) {
        if (out_idx[k] < 0)
            continue;
        const ir_tensor *t = &g->tensors[out_idx[k]];
        if (!t->data || t->nbytes != ir_nbytes(t)) {
            printf("  ERROR %s [const]: output %d has %zu bytes of data, expected %zu\n", c->name, k,
                   t->nbytes, ir_nbytes(t));
            ok = false;
        } else {
            ok = rc_compare(c, k, t->data, "const") && ok;
        }
    }
    ir_free(g);
    return ok;
}

#endif
