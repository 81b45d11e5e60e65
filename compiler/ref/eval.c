/* eval.c - placeholder until the reference evaluator lands. */
#include <stdio.h>
#include "ref/eval.h"

bool ref_eval_graph(const ir_graph *g, const void *const *inputs, void *const *outputs, char *err,
                    size_t errlen)
{
    (void)g; (void)inputs; (void)outputs;
    snprintf(err, errlen, "reference evaluator not available in this build yet");
    return false;
}

bool ref_eval_node_const(ir_graph *g, int node, char *err, size_t errlen)
{
    (void)g; (void)node;
    snprintf(err, errlen, "reference evaluator not available in this build yet");
    return false;
}
