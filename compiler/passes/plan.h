/*
 * plan.h - static memory planning: one arena offset per activation buffer.
 *
 * Works on the lowered program: a buffer is a group of tensors that share
 * bytes (a tensor and its RESHAPE aliases) or one call's scratch.  A buffer
 * is live from the first call that touches it to the last (graph inputs from
 * the start, graph outputs to the end).  Two buffers may overlap in the arena
 * only if their lifetimes are disjoint, or if one is a call's input that
 * dies there and the other that call's output, and the kernel's in-place
 * rule (plan_inplace.h) allows their offsets: the kernel then runs in
 * place.  plan_check() proves this of every plan before it is returned.
 */
#ifndef KILN_PLAN_H
#define KILN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ir/ir.h"
#include "passes/lower.h"

#define PLAN_ALIGN 16u
/* The largest arena (and buffer in it): the generated code holds the arena
 * size and every offset in uint32 fields (kiln_model, kiln_io_desc). */
#define PLAN_MAX_BYTES 4294967295ULL

typedef enum plan_home {
    PLAN_NONE = 0,   /* not used by the program */
    PLAN_ARENA,      /* activation: offset into the arena */
    PLAN_BLOB        /* constant: offset into the weights blob (set by the emitter) */
} plan_home;

typedef struct plan {
    /* Per tensor of the graph. */
    plan_home *home;
    size_t *offset;            /* arena offset (PLAN_ARENA) */
    int *root;                 /* the tensor whose buffer it shares (itself if none) */
    /* Per tensor: the calls (inclusive) its buffer is live in, for reports
     * (the arena timeline); the root's values hold for its aliases, -1 for
     * a tensor not in the arena. */
    int *first_call, *last_call;
    /* Per call: arena offset of its scratch (when scratch_bytes > 0). */
    size_t *scratch_offset;
    /* Per call: the tensor (a buffer's root) whose bytes its output
     * overlaps, the kernel running in place; -1: none. */
    int *inplace_in;
    int n_inplace;             /* calls that run in place */
    size_t arena_bytes;        /* highest end offset, rounded to PLAN_ALIGN */
    /* Max over calls of the bytes live at once, counting the bytes a call's
     * in-place pair may share (its kernel's rule) once: no placement can go
     * below it. */
    size_t lower_bound;
    /* The same with every buffer in its own bytes (no kernel in place): the
     * bound of a planner without in-place execution. */
    size_t lower_bound_separate;
    int peak_call;             /* a call where lower_bound bytes are live */
    int n_tensors, n_calls;
} plan;

/* Resolves aliases, computes lifetimes, links the in-place pairs and
 * places every buffer.  Expects graph outputs to own their bytes (the
 * lowering's output copies, lower_outputs()).  Fails, with a message naming
 * the tensor or call, when a buffer or the arena would exceed
 * PLAN_MAX_BYTES. */
bool plan_memory(ir_graph *g, lir_program *p, plan *out, char *err, size_t errlen);
void plan_free(plan *pl);

/* Checks a finished plan (plan_check.c): every two arena buffers that are
 * live during one call occupy disjoint bytes, except a call's input and
 * output whose offsets that call's kernel rule allows (plan_inplace.h); a
 * call's scratch and every buffer lie inside the arena.  False, with the
 * first violation in why, otherwise. */
bool plan_check(const ir_graph *g, const lir_program *p, const plan *pl, char *why, size_t n);

#endif
