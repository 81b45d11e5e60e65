/*
 * plan_inplace.h - which kernel calls may write their output over their
 * input, and how far: each kernel's in-place rule, for the memory planner.
 *
 * A rule is stated in the one number the planner places: d, the output's
 * arena offset minus the input's.  A kernel reads its input and writes its
 * output in a fixed order; d is safe when no byte the kernel writes is one
 * of the input bytes it has still to read.  Every rule below is derived from
 * that order in the exact kernel the lowering chose (its name and its
 * params initializer), so a kernel without a rule here is never run in
 * place.  Host-only; pure functions of the call and the graph.
 */
#ifndef KILN_PLAN_INPLACE_H
#define KILN_PLAN_INPLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"
#include "passes/lower.h"

typedef struct plan_inplace_rule {
    int in_arg, out_arg;   /* argument indices of the input and the output */
    int64_t dmax;          /* d <= dmax is safe */
    int64_t modulus;       /* > 0: also any d that is a multiple of it */
} plan_inplace_rule;

/* The rules of call c, one per input that may share bytes with the output
 * (at most 2); returns how many.  0: the kernel never runs in place. */
int plan_inplace_rules(const ir_graph *g, const lir_call *c, plan_inplace_rule rules[2]);

/* Whether output offset - input offset = d is safe under rule r for an
 * input of in_bytes and an output of out_bytes (disjoint bytes always are). */
bool plan_inplace_allows(const plan_inplace_rule *r, int64_t d, size_t in_bytes, size_t out_bytes);

/* The most bytes the output and the input can share under rule r. */
size_t plan_inplace_max_overlap(const plan_inplace_rule *r, size_t in_bytes, size_t out_bytes);

#endif
