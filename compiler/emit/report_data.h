/*
 * report_data.h - what the reports show, computed once from a compiled model:
 * per layer (op, shapes, MACC, weight bytes, RAM while it runs, where its
 * weights live), the arena timeline (which buffer holds which bytes at each
 * call, from the planner's offsets and lifetimes), the flash map of the blob,
 * totals with an estimate of the code size, and a board's limits.
 *
 * report.c prints it as text and JSON, report_html.c as a page.  Strings
 * from the model are kept raw here; each printer escapes them its own way.
 */
#ifndef KILN_REPORT_DATA_H
#define KILN_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"

/* A board's limits for the totals (kiln ... --board B). */
typedef struct report_board {
    const char *name, *flash_part, *mcu_part;
    uint64_t ext_base, ext_size;        /* external flash window */
    uint64_t mcu_flash, mcu_ram;        /* 0: unknown */
} report_board;

typedef struct report_layer {
    int node;
    const char *name, *src_op;
    const char *op;                     /* DepthwiseConv, Conv, FullyConnected, ... */
    char in_shape[96], out_shape[96];
    uint64_t params, macc, weight_bytes;
    size_t ram_bytes;                   /* arena bytes live during its calls (the most) */
    int first_call, n_calls;
} report_layer;

/* One arena buffer: a tensor (and its aliases) or a call's scratch. */
typedef struct report_buf {
    const char *name;                   /* tensor name, or the kernel of a scratch */
    bool scratch;
    size_t offset, size;
    int first, last;                    /* calls, inclusive */
} report_buf;

/* One region of the blob, in file order. */
typedef struct report_region {
    const char *what;                   /* "header", "directory", "names", or a tensor name */
    bool tensor;
    size_t offset, size;
} report_region;

typedef struct report_code {
    size_t generated, kernels, runtime, total;
    int distinct_kernels;
} report_code;

typedef struct report_data {
    const compiled *c;
    report_layer *layers;
    int n_layers;
    report_buf *bufs;
    int n_bufs;
    report_region *regions;
    int n_regions;
    uint64_t macc, params, weights;
    report_code code;
    const report_board *board;          /* NULL: none */
} report_data;

void report_data_build(const compiled *c, const report_board *board, report_data *d);
void report_data_free(report_data *d);

/* "DepthwiseConv" for a depthwise CONV, "Conv", "FullyConnected", ...: the
 * name a reader of the model knows the layer by. */
const char *report_op_name(const ir_graph *g, const ir_node *nd);

#endif
