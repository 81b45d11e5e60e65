/*
 * tflite_ops_if.c - TFLite IF whose condition is known at compile time.
 *
 * IF (cond, inputs...) runs subgraph then_subgraph_index or
 * else_subgraph_index of its IfOptions on the inputs.  When cond is a
 * constant - from the file, folded, or an input frozen with --const - the
 * branch taken is imported in place of the IF: its operators go through
 * the same converters, its inputs are the IF's input tensors, and each of
 * the IF's outputs becomes a copy (RESHAPE to the same shape) of the
 * branch's output.  The other branch is never read.  A condition computed
 * at run time is refused, naming it and --const: Kiln compiles one
 * straight-line program.  Branches may nest IFs, up to MAX_DEPTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/tflite_internal.h"
#include "util/sbuf.h"

#define MAX_DEPTH 8
#define OPT_IF 92           /* BuiltinOptions.IfOptions in schema.fbs */

/* The condition's single value, non-zero = then. */
static bool cond_value(tfl_ctx *c, int t, bool *take)
{
    const ir_tensor *x = tfl_t(c, t);
    if (!ir_is_const(x))
        return tfl_op_fail(c, "the condition '%s' is computed at run time; Kiln compiles one branch of an IF: "
                           "make it a constant (freeze the inputs it depends on with --const INPUT=VALUE)",
                           x->name);
    if (ir_numel(x) != 1)
        return tfl_op_fail(c, "the condition '%s' has %lld values, expected one", x->name,
                           (long long)ir_numel(x));
    if (x->dtype == IR_DT_F32) {
        float f;
        memcpy(&f, x->data, 4);
        *take = f != 0.0f;
        return true;
    }
    *take = false;
    for (size_t i = 0; i < ir_dtype_size(x->dtype) && i < x->nbytes; i++)
        *take |= ((const uint8_t *)x->data)[i] != 0;
    return true;
}

/* Imports subgraph bi's operators with its inputs bound to `in`; its
 * outputs' IR tensors into res[]. */
static bool import_branch(tfl_ctx *c, int32_t bi, const int *in, int n_in, int *res, int n_out)
{
    tfl_subgraph b;
    if (!tfl_get_subgraph(&c->m, (uint32_t)bi, &b))
        return tfl_op_fail(c, "damaged model file: %s", c->m.r.err);
    if ((int)b.inputs.n != n_in || (int)b.outputs.n != n_out)
        return tfl_op_fail(c, "subgraph %d has %u inputs and %u outputs; the IF passes %d and takes %d", (int)bi,
                           b.inputs.n, b.outputs.n, n_in, n_out);
    tfl_ctx outer = *c;
    c->sg = b;
    c->n_tensors = b.tensors.n;
    c->tmap = xmalloc(((size_t)b.tensors.n + 1) * sizeof *c->tmap);
    c->dims = c->infer ? xcalloc((size_t)b.tensors.n + 1, sizeof *c->dims) : NULL;
    c->if_depth++;
    for (uint32_t i = 0; i < b.tensors.n; i++)
        c->tmap[i] = -1;
    bool ok = true;
    for (int k = 0; ok && k < n_in; k++) {
        int32_t ti = fb_vec_i32(&c->m.r, &b.inputs, (uint32_t)k);
        ok = ti >= 0 && (uint32_t)ti < b.tensors.n;
        if (!ok)
            tfl_op_fail(c, "subgraph %d input %d names tensor %d of %u", (int)bi, k, (int)ti, b.tensors.n);
        else
            c->tmap[ti] = in[k];
    }
    for (uint32_t i = 0; ok && i < b.operators.n; i++)
        ok = tfl_import_operator(c, i);
    for (int k = 0; ok && k < n_out; k++) {
        res[k] = tfl_tensor_ir(c, fb_vec_i32(&c->m.r, &b.outputs, (uint32_t)k));
        ok = res[k] >= 0;
    }
    free(c->tmap);
    free(c->dims);
    /* Back to the IF: the graph and the copy budget carry what the branch did. */
    ir_graph *g = c->g;
    uint64_t budget = c->budget;
    *c = outer;
    c->g = g;
    c->budget = budget;
    if (!ok) {
        size_t l = strlen(c->err);
        snprintf(c->err + l, c->errlen > l ? c->errlen - l : 0, " (in subgraph %d, the branch IF operator %d takes)",
                 (int)bi, c->op_index);
    }
    return ok;
}

bool tfl_if(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 1, 1 << 16, -1))
        return false;
    const int n_in = tfl_n_in(c) - 1, n_out = tfl_n_out(c);
    if (n_out < 1 || n_out > 256 || n_in > 256)
        return tfl_op_fail(c, "has %d inputs and %d outputs (Kiln inlines 0-256 inputs, 1-256 outputs)", n_in, n_out);
    int cond = tfl_in(c, 0);
    bool take = false;
    if (cond < 0 || !cond_value(c, cond, &take))
        return false;
    if (!c->op.has_options || c->op.options_type != OPT_IF)
        return tfl_op_fail(c, "IfOptions (then/else subgraph indices) are missing");
    int32_t then_i, else_i;
    if (!fb_get_i32(&c->m.r, &c->op.options, 0, 0, &then_i) || !fb_get_i32(&c->m.r, &c->op.options, 1, 0, &else_i))
        return tfl_op_fail(c, "damaged IfOptions: %s", c->m.r.err);
    const int32_t bi = take ? then_i : else_i;
    if (bi <= 0 || (uint32_t)bi >= c->m.subgraphs.n)
        return tfl_op_fail(c, "%s_subgraph_index %d is not a branch subgraph (1..%u)", take ? "then" : "else",
                           (int)bi, c->m.subgraphs.n - 1);
    if (c->if_depth >= MAX_DEPTH)
        return tfl_op_fail(c, "IF nested more than %d deep", MAX_DEPTH);
    int *in = xmalloc((size_t)(n_in + n_out + 1) * sizeof *in), *res = in + n_in;
    bool ok = true;
    for (int k = 0; ok && k < n_in; k++)
        ok = (in[k] = tfl_in(c, k + 1)) >= 0;
    ok = ok && import_branch(c, bi, in, n_in, res, n_out);
    for (int k = 0; ok && k < n_out; k++) {
        const ir_tensor *r = tfl_t(c, res[k]);
        ok = !c->infer || tfl_shape_out(c, k, r->rank, r->shape);
        int y = ok ? tfl_out(c, k) : -1;
        ok = y >= 0;
        if (ok && (!tfl_same_shape(tfl_t(c, y), tfl_t(c, res[k])) || tfl_t(c, y)->dtype != tfl_t(c, res[k])->dtype))
            ok = tfl_op_fail(c, "output %d '%s' (%s) does not match the branch's output '%s' (%s)", k,
                             tfl_t(c, y)->name, ir_dtype_name(tfl_t(c, y)->dtype), tfl_t(c, res[k])->name,
                             ir_dtype_name(tfl_t(c, res[k])->dtype));
        if (ok)
            tfl_node(c, IR_OP_RESHAPE, 1, &res[k], 1, &y);
    }
    free(in);
    return ok;
}
