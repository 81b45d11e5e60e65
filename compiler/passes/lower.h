/*
 * lower.h - lowering: IR nodes become a flat list of runtime kernel calls.
 *
 * The lowered program (LIR) is what the C emitter prints, one call per line,
 * and what the memory planner and the blob writer lay out.  Each op family
 * has its own lowering file, written by whoever owns that family's kernels,
 * because only they know the kernel's parameter struct and weight packing:
 *   lower_f32.c   float kernels          (runtime/kernels/..._f32.c)
 *   lower_s8.c    int8/int16 kernels     (runtime/kernels/..._s8.c)
 *   lower_data.c  dtype-agnostic movement (runtime/kernels/data_....c)
 *   lower_ext.c   the extended set: math, comparisons, reductions (runtime/kernels/..._ext.c)
 *   lower_ext_s8.c  its int8 forms, TFLite-Micro's integer kernels (runtime/kernels/ext_s8.c)
 * lower.c dispatches a node to the first family that accepts it.
 *
 * A lowering may add constant tensors to the graph (repacked weights,
 * fixed-point multipliers, interpolation tables): the blob writer stores
 * exactly the constants that some call references, so the source weights a
 * lowering replaced cost nothing.  It never changes existing tensors.
 */
#ifndef KILN_LOWER_H
#define KILN_LOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ir/ir.h"
#include "passes/lir_params.h"

#define LIR_MAX_ARGS 16

typedef enum lir_arg_kind {
    LIR_ARG_TENSOR = 0,   /* pointer to a tensor's data, typed by its dtype
                             (const for inputs and constants) */
    LIR_ARG_NULL,         /* NULL (an absent optional operand) */
    LIR_ARG_INT           /* an integer literal */
} lir_arg_kind;

typedef struct lir_arg {
    lir_arg_kind kind;
    int tensor;           /* LIR_ARG_TENSOR */
    bool is_output;       /* written by the call (printed without const) */
    int64_t value;        /* LIR_ARG_INT */
} lir_arg;

typedef struct lir_call {
    int node;             /* IR node lowered, for comments and the report */
    char *kernel;         /* e.g. "kiln_conv_f32" */
    const lir_struct *ptype; /* params struct type (lir_params.h); NULL: none */
    void *params;         /* its value: ptype->size bytes, a copy of the lowering's struct */
    int n_args;
    lir_arg args[LIR_MAX_ARGS];
    size_t scratch_bytes; /* > 0: a pointer to this much arena scratch is passed last */
    bool no_inplace;      /* never run in place (stream mode tiles it: passes/stream_plan.c) */
} lir_call;

/* Which int8 kernels lower_s8 picks for CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED.  Zero (a zeroed lir_program) is the plain kernels. */
typedef enum lower_kernels {
    LOWER_PLAIN = 0,       /* kiln_conv_s8 & co.: reference loops, weights as imported */
    LOWER_PACKED_W16 = 1,  /* packed kernels, conv/FC weights widened to int16 (fastest) */
    LOWER_PACKED_W8 = 2    /* packed kernels, conv/FC weights kept int8 (half the flash) */
} lower_kernels;

typedef struct lower_opts {
    lower_kernels kernels;
    /* `--cpu host`: packed FULLY_CONNECTED layers get the host layout
     * (kiln_fully_connected_s8_host), which the host compiler vectorises;
     * false keeps the Cortex-M streams. */
    bool host;
} lower_opts;

typedef struct lir_program {
    lower_opts opts;      /* set before lowering (lower_graph_opts) */
    int n_calls, cap_calls;
    lir_call *calls;
    /* alias[t] >= 0: tensor t occupies the same bytes as tensor alias[t]
     * (RESHAPE); -1 otherwise.  Sized to the graph's tensor count after
     * lowering. */
    int *alias;
    int n_alias;
    /* layout[t]: the kiln_blob_layout of constant t, recorded by the lowering
     * that packed it (lir_set_layout); absent or 0: plain. */
    int *layout;
    int n_layout;
} lir_program;

/* ---- building calls (lower.c) ---------------------------------------- */

/* Starts a call to a kernel without params. */
lir_call *lir_begin(lir_program *p, int node, const char *kernel);
/* Starts a call whose params are *v, a struct of type t (copied).  Use
 * LIR_CALL(p, node, kernel, T, &value): it takes T's description and lets
 * only a pointer to a T through. */
lir_call *lir_begin_params(lir_program *p, int node, const char *kernel, const lir_struct *t,
                           const void *v);
#define LIR_CALL(p, node, kernel, T, v) \
    lir_begin_params((p), (node), (kernel), &lir_desc_##T, lir_is_##T(v))
void lir_in(lir_call *c, int tensor);      /* read-only tensor operand (-1 becomes NULL) */
void lir_out(lir_call *c, int tensor);     /* written tensor operand */
void lir_int(lir_call *c, int64_t v);
void lir_null(lir_call *c);
/* Declares that tensor `t` is a view of tensor `src` (no call emitted). */
void lir_alias(lir_program *p, int t, int src);
/* Records how constant t's bytes are laid out (a kiln_blob_layout), for the
 * blob's directory; lir_layout_of() reads it back (0 when never set). */
void lir_set_layout(lir_program *p, int t, int layout);
/* Per tensor, the root of its alias chain (itself when it aliases nothing);
 * nt + 1 entries, the caller frees. */
int *lir_alias_roots(const lir_program *p, int nt);
int lir_layout_of(const lir_program *p, int t);

/* Formats a float for a C initializer so that it reads back to the same
 * float ("1.5f", "-HUGE_VALF").  Returns a pointer into one of a few
 * rotating static buffers: use it within one printf call. */
const char *lir_f32(float v);

/* ---- family lowerings ------------------------------------------------ */

/* Each returns 1 if it lowered the node, 0 if the node is not its family's
 * (try the next), -1 on an error, with the message in err. */
typedef int (*lower_fn)(ir_graph *g, int node, lir_program *p, char *err, size_t errlen);
int lower_data(ir_graph *g, int node, lir_program *p, char *err, size_t errlen);
int lower_f32(ir_graph *g, int node, lir_program *p, char *err, size_t errlen);
int lower_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen);
/* The extended operator set, ir_ops.def's ABS..GATHER (lower_ext.c). */
int lower_ext(ir_graph *g, int node, lir_program *p, char *err, size_t errlen);
/* Their int8 forms, TFLite-Micro's integer kernels (lower_ext_s8.c); tried first. */
int lower_ext_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen);

/* Gives every graph output bytes of its own (lower_outputs.c): an output
 * that would share a constant's, a graph input's or another output's bytes
 * becomes a fresh tensor filled by a kiln_copy_bytes call at the end.  The
 * last step of lower_graph_opts; hand-made programs call it themselves. */
void lower_outputs(ir_graph *g, lir_program *p);

/* Lowers the whole graph in node order.  On failure the message names the node.
 * lower_graph uses the plain int8 kernels; lower_graph_opts the ones asked. */
bool lower_graph(ir_graph *g, lir_program *p, char *err, size_t errlen);
bool lower_graph_opts(ir_graph *g, const lower_opts *o, lir_program *p, char *err, size_t errlen);
void lir_free(lir_program *p);

/* MACs of one IR node (conv/fc/matmul count multiply-accumulates; elementwise
 * ops count 0), for `kiln analyze`; the same number in every report. */
uint64_t ir_node_macc(const ir_graph *g, int node);
/* Parameter count of a node's constant inputs. */
uint64_t ir_node_params(const ir_graph *g, int node);

#endif
