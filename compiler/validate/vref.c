/*
 * vref.c - `kiln validate`'s reference outputs: the user's --expected files,
 * or the reference evaluator (compiler/ref/) run on the model as imported,
 * before any pass touched it, so that folding, fusion and lowering are all
 * checked.  The evaluator computes quantized ops in the integers the IR
 * specifies and says which nodes it could only approximate in double
 * (ref/eval.h); that decides validate's default tolerance.
 */
#include <stdio.h>
#include <string.h>

#include "ref/eval.h"
#include "ref/eval_ops.h"
#include "util/sbuf.h"
#include "validate/validate.h"

static int count_quant_nodes(const ir_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *nd = &g->nodes[i];
        if (nd->n_out > 0 && nd->out[0] >= 0 && ref_is_quant(&g->tensors[nd->out[0]]))
            n++;
    }
    return n;
}

/* The nodes the evaluator approximated, as "name (Op), ..." for messages. */
static void describe_approx(const ir_graph *g, const ref_session *rs, vref_info *info)
{
    int nodes[4];
    info->n_approx = ref_session_approximated(rs, nodes, 4);
    size_t l = 0;
    info->approx[0] = 0;
    for (int i = 0; i < info->n_approx && i < 4 && l < sizeof info->approx; i++) {
        const ir_node *nd = &g->nodes[nodes[i]];
        l += (size_t)snprintf(info->approx + l, sizeof info->approx - l, "%s'%.40s' (%s)", i ? ", " : "",
                              nd->name, nd->src_op ? nd->src_op : ir_op_name(nd->op));
    }
    if (info->n_approx > 4 && l < sizeof info->approx)
        snprintf(info->approx + l, sizeof info->approx - l, " and %d more", info->n_approx - 4);
}

static bool run_evaluator(const ir_graph *gref, const ir_graph *g, vbatch *b, vref_info *info, char *err,
                          size_t errlen)
{
    if (gref->n_inputs != g->n_inputs || gref->n_outputs != g->n_outputs) {
        snprintf(err, errlen, "internal: reference graph has %d/%d inputs/outputs, compiled %d/%d",
                 gref->n_inputs, gref->n_outputs, g->n_inputs, g->n_outputs);
        return false;
    }
    const void *ins[VALIDATE_MAX_FILES + 64];
    void *outs[VALIDATE_MAX_FILES + 64];
    if (g->n_inputs > (int)(sizeof ins / sizeof ins[0]) || g->n_outputs > (int)(sizeof outs / sizeof outs[0])) {
        snprintf(err, errlen, "the model has %d inputs and %d outputs; validate takes at most %zu of each",
                 g->n_inputs, g->n_outputs, sizeof ins / sizeof ins[0]);
        return false;
    }
    /* One session for all samples: a stateful model's reference evolves its
     * state sample by sample, as the generated code does. */
    ref_session *rs = ref_session_new(gref);
    bool ok = true;
    for (size_t k = 0; k < b->samples && ok; k++) {
        size_t off = k * b->in_bytes;
        for (int i = 0; i < g->n_inputs; i++) {
            ins[i] = b->in + off;
            off += ir_nbytes(&g->tensors[g->inputs[i]]);
        }
        off = k * b->out_bytes;
        for (int i = 0; i < g->n_outputs; i++) {
            outs[i] = b->ref + off;
            off += ir_nbytes(&g->tensors[g->outputs[i]]);
        }
        ok = ref_session_run(rs, ins, outs, err, errlen);
    }
    if (ok) {
        info->n_quant_nodes = count_quant_nodes(gref);
        describe_approx(gref, rs, info);
    }
    ref_session_free(rs);
    return ok;
}

bool vref_make(const vopts *o, vfileset *fs, const compiled *c, vbatch *b, vref_info *info,
               char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    if (fs->n_exp) {
        info->kind = "expected files";
        return vfiles_expected(fs, c->g, b, err, errlen);
    }
    info->kind = "reference evaluator";
    b->ref = xcalloc(b->out_bytes * b->samples + 1, 1);
    import_opts imp = vfiles_import_opts(fs);
    imp.n_fixes = o->co.imp.n_fixes;       /* --shape / --const */
    imp.fixes = o->co.imp.fixes;
    imp.quiet = true;                      /* the compile's import printed its notes */
    ir_graph *gref = import_model(o->model, &imp, err, errlen);
    if (!gref)
        return false;
    bool ok = run_evaluator(gref, c->g, b, info, err, errlen);
    ir_free(gref);
    return ok;
}
