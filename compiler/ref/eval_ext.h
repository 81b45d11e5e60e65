/*
 * eval_ext.h - the reference evaluator's entry for the extended operator set
 * (eval_ext.c): the ops between ABS and GATHER in ir_ops.def.
 */
#ifndef KILN_REF_EVAL_EXT_H
#define KILN_REF_EVAL_EXT_H

#include <stdbool.h>
#include "ir/ir.h"

struct ref_ctx;
bool ref_ext_claims(ir_op op);
bool ref_ext(struct ref_ctx *c);

#endif
