/* lower_s8.c - placeholder until this kernel family lands. */
#include "passes/lower.h"

int lower_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    (void)g; (void)node; (void)p; (void)err; (void)errlen;
    return 0;
}
