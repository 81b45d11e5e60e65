/*
 * plan_internal.h - what the planner's files share: a buffer with its
 * lifetime and in-place links, a link, and placement (plan_place.c).
 * Internal to compiler/passes/plan*.c.
 */
#ifndef KILN_PLAN_INTERNAL_H
#define KILN_PLAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "passes/plan.h"
#include "passes/plan_inplace.h"

static inline size_t align_up(size_t v)
{
    return (v + PLAN_ALIGN - 1) & ~(size_t)(PLAN_ALIGN - 1);
}

typedef struct buffer {
    size_t size;
    int first, last;      /* call indices, inclusive */
    size_t offset;
    bool placed;
    /* In-place links (phase 2): the call whose output may overlap this
     * buffer as its input (link_out) and the call whose input this buffer,
     * as its output, may overlap (link_in); -1: none. */
    int link_out, link_in;
} buffer;

/* Call i's output may share bytes with its input a under rule r. */
typedef struct link {
    int a, b;               /* buffers: the input and the output; -1: no link */
    plan_inplace_rule r;
} link;

/* Phase 4 (plan_place.c).  Greedy placement in three orders without
 * in-place sharing, then, when some call has a link, the same three with
 * it and shuffled orders with it; the smallest arena wins (the first of
 * equals, so a program placed as small without sharing shares nothing).  best_off receives each used
 * buffer's offset; *linked whether the winner used the links. */
size_t plan_place_best(const buffer *bufs, int nb, const link *links, size_t *best_off, bool *linked);

#endif
