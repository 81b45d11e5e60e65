/*
 * onnx_ops_ctrl.c - ONNX control flow, If and Loop, as straight-line IR.
 *
 * Kiln compiles one straight-line program, so a subgraph is imported into
 * the main graph (ox_import_subgraph, onnx_import.c) where it runs:
 *   If    a condition known at compile time inlines the branch it takes; a
 *         condition computed at run time compiles both branches and selects
 *         each output with WHERE, which needs the branches' outputs to agree
 *         in type and shape (else the If is refused, naming the output);
 *   Loop  a trip count and condition known at compile time (constants, or
 *         computed from inputs given values) unroll the body once per
 *         iteration; its scan outputs are concatenated.  A Loop whose count
 *         or condition is computed from run-time data is refused: its output
 *         shapes would depend on the data.
 * Relies on the importer's folding: a body whose values are all known folds
 * to constants as it is imported.  Never evaluates anything itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"
#include "util/sbuf.h"

/* More iterations than this are refused rather than unrolled. */
#define LOOP_MAX_ITERATIONS 4096
/* Outputs of one If or Loop (ONNX sets no limit; a bound keeps arrays small). */
#define CTRL_MAX_OUTPUTS 64

static const onnx_graph *graph_attr(onnx_ctx *c, const char *name)
{
    const onnx_attr *a = ox_attr(c, name);
    if (!a || !a->g) {
        ox_err(c, "attribute '%s' (a graph) is missing", name);
        return NULL;
    }
    return a->g;
}

/* ---- If -------------------------------------------------------------------- */

static void shape_str(const ir_tensor *t, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (int d = 0; d < t->rank && len + 24 < n; d++)
        len += (size_t)snprintf(buf + len, n - len, "%s%lld", d ? "x" : "", (long long)t->shape[d]);
    snprintf(buf + len, n - len, "%s", t->rank ? "" : "scalar");
}

/* Output k of the If = cond ? t : e, elementwise over identical shapes. */
static bool select_out(onnx_ctx *c, int k, int cond, int cond0, int t, int e)
{
    const ir_tensor *tt = ox_t(c, t), *te = ox_t(c, e);
    bool same = tt->dtype == te->dtype && tt->rank == te->rank;
    for (int d = 0; same && d < tt->rank; d++)
        same = tt->shape[d] == te->shape[d];
    if (!same) {
        char a[160], b[160];
        shape_str(tt, a, sizeof a);
        shape_str(te, b, sizeof b);
        const ir_tensor *ct = ox_t(c, cond);
        return ox_unsupported(c, "If whose condition '%s' is computed at run time and whose branches give output "
                              "%d different types or shapes (then %s %s, else %s %s): Kiln compiles both branches "
                              "and selects, which needs them to agree%s%s%s", ct->name, k, ir_dtype_name(tt->dtype),
                              a, ir_dtype_name(te->dtype), b, ct->producer < 0 ? "; freeze it with --const " : "",
                              ct->producer < 0 ? ct->name : "", ct->producer < 0 ? "=1|0" : "");
    }
    const ir_dtype dt = tt->dtype;
    const int rank = tt->rank;
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, tt->shape, sizeof shape);
    int y;
    if (!ox_out(c, k, dt, rank, shape, &y))
        return false;
    const int in[3] = {cond0, t, e};
    ox_node(c, IR_OP_WHERE, 3, in, 1, &y);
    return true;
}

/* Both branches, then one WHERE per output on the scalar condition. */
static bool if_select(onnx_ctx *c, int cond, const onnx_graph *then_g, const onnx_graph *else_g, int n_out)
{
    const ir_tensor *ct = ox_t(c, cond);
    if (ct->dtype != IR_DT_BOOL || ir_numel(ct) != 1)
        return ox_err(c, "the condition '%s' is %s with %lld elements, not one bool", ct->name,
                      ir_dtype_name(ct->dtype), (long long)ir_numel(ct));
    int then_out[CTRL_MAX_OUTPUTS], else_out[CTRL_MAX_OUTPUTS], cond0;
    if (!ox_import_subgraph(c, then_g, 0, NULL, then_out) || !ox_import_subgraph(c, else_g, 0, NULL, else_out))
        return false;
    /* A rank-0 condition broadcasts against outputs of any rank. */
    const int64_t none[1] = {1};
    if (!ox_reshape_to(c, -1, cond, 0, none, &cond0))
        return false;
    for (int k = 0; k < n_out; k++)
        if (!select_out(c, k, cond, cond0, then_out[k], else_out[k]))
            return false;
    return true;
}

bool ox_if(onnx_ctx *c)
{
    int cond;
    if (!ox_in(c, 0, &cond))
        return false;
    const onnx_graph *then_g = graph_attr(c, "then_branch"), *else_g = then_g ? graph_attr(c, "else_branch") : NULL;
    if (!else_g)
        return false;
    const int n_out = c->node->n_out;
    if (then_g->n_outputs != n_out || else_g->n_outputs != n_out)
        return ox_err(c, "the branches have %d and %d outputs, the node %d", then_g->n_outputs, else_g->n_outputs,
                      n_out);
    if (n_out > CTRL_MAX_OUTPUTS)
        return ox_unsupported(c, "an If with more than %d outputs", CTRL_MAX_OUTPUTS);
    if (!ir_is_const(ox_t(c, cond)))
        return if_select(c, cond, then_g, else_g, n_out);
    int64_t *v, n;
    if (!ox_const_i64(c, cond, &v, &n))
        return false;
    const bool taken = n > 0 && v[0] != 0;
    free(v);
    if (n != 1)
        return ox_err(c, "the condition has %lld elements, not 1", (long long)n);
    int outs[CTRL_MAX_OUTPUTS];
    if (!ox_import_subgraph(c, taken ? then_g : else_g, 0, NULL, outs))
        return false;
    for (int k = 0; k < n_out; k++)
        if (!ox_alias_out(c, k, outs[k]))
            return false;
    return true;
}

/* ---- Loop ------------------------------------------------------------------ */

typedef struct loop_plan {
    const onnx_graph *body;
    int n_carried, n_scan;
    int64_t trips;              /* the trip count, or LOOP_MAX_ITERATIONS + 1 when absent */
    bool cond;                  /* the condition before the first iteration */
} loop_plan;

/* A scalar input (trip count, condition) that must be known now. */
static bool loop_scalar(onnx_ctx *c, int k, const char *what, int64_t *v)
{
    int t;
    if (!ox_in(c, k, &t))
        return false;
    if (!ox_known(c, t, what))
        return c->err[0] ? false : ox_unsupported(c, "Loop whose %s '%s' is computed at run time (Kiln unrolls "
                                                  "a Loop whose trip count and condition are known at compile "
                                                  "time; its output shapes would depend on the data)", what,
                                                  ox_t(c, t)->name);
    int64_t *vals, n;
    if (!ox_const_i64(c, t, &vals, &n))
        return false;
    *v = n > 0 ? vals[0] : 0;
    free(vals);
    return n == 1 ? true : ox_err(c, "the %s has %lld elements, not 1", what, (long long)n);
}

static bool loop_plan_make(onnx_ctx *c, loop_plan *lp)
{
    lp->body = graph_attr(c, "body");
    if (!lp->body)
        return false;
    const int n_in = c->node->n_in;
    lp->n_carried = n_in - 2;
    lp->n_scan = c->node->n_out - lp->n_carried;
    if (n_in < 2 || lp->n_scan < 0 || lp->body->n_inputs != 2 + lp->n_carried ||
        lp->body->n_outputs != 1 + lp->n_carried + lp->n_scan)
        return ox_err(c, "%d inputs, %d outputs and a body of %d inputs and %d outputs do not fit together "
                      "(M, cond, N carried values in; N carried and K scan outputs)", n_in, c->node->n_out,
                      lp->body->n_inputs, lp->body->n_outputs);
    if (c->node->n_out > CTRL_MAX_OUTPUTS)
        return ox_unsupported(c, "a Loop with more than %d outputs", CTRL_MAX_OUTPUTS);
    c->err[0] = 0;
    int64_t m = LOOP_MAX_ITERATIONS + 1, cv = 1;
    if (ox_has_in(c, 0) && !loop_scalar(c, 0, "trip count", &m))
        return false;
    if (ox_has_in(c, 1) && !loop_scalar(c, 1, "condition", &cv))
        return false;
    if (!ox_has_in(c, 0) && !ox_has_in(c, 1))
        return ox_unsupported(c, "Loop with neither a trip count nor a condition (it never ends by itself)");
    if (ox_has_in(c, 0) && m > LOOP_MAX_ITERATIONS)
        return ox_unsupported(c, "Loop of %lld iterations (Kiln unrolls at most %d)", (long long)m,
                              LOOP_MAX_ITERATIONS);
    lp->trips = m < 0 ? 0 : m;
    lp->cond = cv != 0;
    return true;
}

/* Scan output k of zero iterations: empty, shaped [0, ...] as the body
 * declares its per-iteration value. */
static bool scan_empty(onnx_ctx *c, const loop_plan *lp, int k)
{
    const onnx_value_info *vi = &lp->body->outputs[1 + lp->n_carried + k];
    ir_dtype dt;
    bool known = vi->has_type && vi->is_tensor && vi->has_shape && vi->rank < IR_MAX_DIMS &&
                 ox_dtype(c, vi->elem_type, &dt, "scan output");
    int64_t shape[IR_MAX_DIMS] = {0};
    for (int d = 0; known && d < vi->rank; d++) {
        known = vi->dims[d].has_value;
        shape[d + 1] = vi->dims[d].value;
    }
    if (!known)
        return c->err[0] ? false : ox_unsupported(c, "Loop of zero iterations whose body does not declare the type "
                                                  "and shape of scan output %d", k);
    int y;
    if (!ox_check_shape(c, "scan output", vi->rank + 1, shape) || !ox_out(c, lp->n_carried + k, dt, vi->rank + 1,
                                                                         shape, &y))
        return false;
    ox_t(c, y)->data = xmalloc(1);
    return true;
}

/* Scan output k: the per-iteration values v[0..n), each given a leading
 * axis of 1, concatenated along it. */
static bool scan_concat(onnx_ctx *c, int out_k, const int *v, int n)
{
    const ir_tensor *t0 = ox_t(c, v[0]);
    const ir_dtype dt = t0->dtype;
    const int r = t0->rank;
    int64_t shape[IR_MAX_DIMS];
    if (r + 1 > IR_MAX_DIMS)
        return ox_unsupported(c, "a scan output of rank %d (Kiln supports up to %d)", r + 1, IR_MAX_DIMS);
    shape[0] = 1;
    memcpy(shape + 1, t0->shape, (size_t)r * sizeof *shape);
    int *parts = xcalloc((size_t)n, sizeof *parts);
    bool ok = true;
    for (int i = 0; ok && i < n; i++) {
        const ir_tensor *t = ox_t(c, v[i]);
        ok = t->dtype == dt && t->rank == r && !memcmp(t->shape, t0->shape, (size_t)r * sizeof *shape);
        if (!ok)
            ox_err(c, "scan output %d changes type or shape in iteration %d", out_k, i);
        else
            ok = ox_reshape_to(c, -1, v[i], r + 1, shape, &parts[i]);
    }
    shape[0] = n;
    int y;
    if (ok && (ok = ox_out(c, out_k, dt, r + 1, shape, &y))) {
        const int nd = ox_node(c, IR_OP_CONCAT, n, parts, 1, &y);   /* may move c->g->nodes */
        c->g->nodes[nd].attr.axis = 0;
    }
    free(parts);
    return ok;
}

/* One iteration: binds (i, cond, carried...), imports the body, takes the
 * new carried values and this iteration's scan values. */
static bool loop_step(onnx_ctx *c, const loop_plan *lp, int64_t i, bool *cond, int *carried, int *scan_now)
{
    int in[CTRL_MAX_OUTPUTS + 2], out[CTRL_MAX_OUTPUTS + 1];
    const uint8_t cb = 1;
    const int64_t none[1] = {1};
    if (!ox_const(c, "iteration", IR_DT_S64, 0, none, &i, sizeof i, &in[0]) ||
        !ox_const(c, "cond", IR_DT_BOOL, 0, none, &cb, 1, &in[1]))
        return false;
    memcpy(in + 2, carried, (size_t)lp->n_carried * sizeof *in);
    if (!ox_import_subgraph(c, lp->body, 2 + lp->n_carried, in, out))
        return false;
    const ir_tensor *ct = ox_t(c, out[0]);
    if (!ir_is_const(ct))
        return ox_unsupported(c, "Loop whose body computes its condition '%s' from run-time data (Kiln unrolls a "
                              "Loop whose iterations are known at compile time)", ct->name);
    int64_t *v, n;
    if (!ox_const_i64(c, out[0], &v, &n))
        return false;
    *cond = n == 1 && v[0] != 0;
    free(v);
    if (n != 1)
        return ox_err(c, "the body's condition has %lld elements, not 1", (long long)n);
    memcpy(carried, out + 1, (size_t)lp->n_carried * sizeof *carried);
    memcpy(scan_now, out + 1 + lp->n_carried, (size_t)lp->n_scan * sizeof *scan_now);
    return true;
}

static bool loop_outputs(onnx_ctx *c, const loop_plan *lp, const int *carried, int **scan, int iters)
{
    for (int k = 0; k < lp->n_carried; k++)
        if (!ox_alias_out(c, k, carried[k]))
            return false;
    for (int k = 0; k < lp->n_scan; k++)
        if (!(iters ? scan_concat(c, lp->n_carried + k, scan[k], iters) : scan_empty(c, lp, k)))
            return false;
    return true;
}

bool ox_loop(onnx_ctx *c)
{
    loop_plan lp = {0};
    if (!loop_plan_make(c, &lp))
        return false;
    int carried[CTRL_MAX_OUTPUTS], scan_now[CTRL_MAX_OUTPUTS];
    for (int k = 0; k < lp.n_carried; k++)
        if (!ox_in(c, 2 + k, &carried[k]))
            return false;
    int **scan = xcalloc((size_t)lp.n_scan + 1, sizeof *scan);
    for (int k = 0; k < lp.n_scan; k++)
        scan[k] = xcalloc(LOOP_MAX_ITERATIONS, sizeof **scan);
    bool ok = true, cond = lp.cond;
    int iters = 0;
    for (int64_t i = 0; ok && cond && i < lp.trips; i++) {
        if (i == LOOP_MAX_ITERATIONS) {
            ok = ox_unsupported(c, "Loop that runs more than %d iterations (Kiln unrolls at most that many)",
                                LOOP_MAX_ITERATIONS);
            break;
        }
        ok = loop_step(c, &lp, i, &cond, carried, scan_now);
        for (int k = 0; ok && k < lp.n_scan; k++)
            scan[k][iters] = scan_now[k];
        iters += ok;
    }
    ok = ok && loop_outputs(c, &lp, carried, scan, iters);
    for (int k = 0; k < lp.n_scan; k++)
        free(scan[k]);
    free(scan);
    return ok;
}
