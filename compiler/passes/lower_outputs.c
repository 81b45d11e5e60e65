/*
 * lower_outputs.c - the last step of lowering: every graph output gets bytes
 * of its own.
 *
 * The caller may hand in its own buffer for an output, so an output that is
 * a constant, a graph input or another output's bytes (through RESHAPE
 * aliases) would be written through the wrong pointer.  Such an output gets
 * a fresh tensor, filled by a kiln_copy_bytes call after the last layer.
 * Relies on the alias table (lir_alias_roots); never places anything (the
 * planner, plan.c, does that with the calls as they are here).
 */
#include "passes/lower.h"

#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

/* A fresh tensor like t (shape, type, quantization) that becomes graph
 * output k in t's place, filled by a byte copy after the last layer. */
static int copy_output(ir_graph *g, lir_program *p, int k, int t, int *listings)
{
    ir_tensor *src = &g->tensors[t];
    char *name = xasprintf("%s:out", src->name);
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, src->shape, sizeof shape);
    int nt = ir_add_tensor(g, name, src->dtype, src->rank, shape);
    free(name);
    src = &g->tensors[t]; /* ir_add_tensor may have moved the array */
    if (src->q.n)
        ir_set_quant(g, nt, src->q.n, src->q.axis, src->q.scale, src->q.zero_point);
    g->tensors[nt].is_output = true;
    g->outputs[k] = nt;
    src->is_output = --listings[t] > 0; /* still an output if listed again */
    lir_call *c = lir_begin(p, -1, "kiln_copy_bytes");
    lir_in(c, t);
    lir_out(c, nt);
    lir_int(c, (int64_t)ir_nbytes(src));
    return nt;
}

void lower_outputs(ir_graph *g, lir_program *p)
{
    const int nt = g->n_tensors;
    int *root = lir_alias_roots(p, nt);
    char *claimed = xcalloc((size_t)nt + 1, 1);   /* roots an earlier output owns */
    int *listings = xcalloc((size_t)nt + 1, sizeof *listings);
    for (int k = 0; k < g->n_outputs; k++)
        listings[g->outputs[k]]++;
    for (int k = 0; k < g->n_outputs; k++) {
        const int t = g->outputs[k], r = root[t];
        if (ir_is_const(&g->tensors[r]) || g->tensors[r].is_input || claimed[r])
            copy_output(g, p, k, t, listings);
        else
            claimed[r] = 1;
    }
    lir_alias(p, g->n_tensors, -1);
    free(listings);
    free(claimed);
    free(root);
}

