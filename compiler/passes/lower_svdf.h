/*
 * lower_svdf.h - lowering of the stateful SVDF op (lower_svdf.c), called by
 * the float family (lower_f32.c) and the int8 family (lower_s8.c) for the
 * SVDF nodes they claim.  Same contract as the family functions in lower.h:
 * 1 lowered, -1 error (message in err naming the node).
 */
#ifndef KILN_LOWER_SVDF_H
#define KILN_LOWER_SVDF_H

#include <stddef.h>
#include "passes/lower.h"

int lower_svdf_f32(ir_graph *g, int node, lir_program *p, char *err, size_t errlen);
int lower_svdf_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen);

#endif
