/*
 * lower_util.h - helpers the float and data-movement lowerings share:
 * error messages naming the node, quantization equality, numpy broadcast
 * strides with dim collapsing, and fresh constants.
 *
 * Host-only, pure functions of the IR; nothing here emits a call.
 */
#ifndef KILN_LOWER_UTIL_H
#define KILN_LOWER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"
#include "util/sbuf.h"

/* Writes "node N 'name' (SrcOp as Op): <message>" into err and returns -1. */
int lower_fail(char *err, size_t errlen, const ir_graph *g, int node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static inline bool lower_is_quant(const ir_tensor *t) { return t->q.n > 0; }

/* Numpy broadcasting of A and B to Y's shape, collapsed: fills shape and
 * each operand's element strides (0 where broadcast) for the fewest dims
 * that describe the same walk (at least 1) and returns that count.
 * Returns -1 if A or B does not broadcast to Y. */
int lower_broadcast(const ir_tensor *y, const ir_tensor *a, const ir_tensor *b,
                    int32_t shape[IR_MAX_DIMS], int32_t as[IR_MAX_DIMS], int32_t bs[IR_MAX_DIMS]);

/* Row-major element strides of a shape. */
void lower_strides(const int64_t *shape, int rank, int64_t *strides);

/* A fresh constant named "<base>.<what>.n<node>" (names stay unique in the
 * blob directory when one weight feeds several nodes). */
int lower_add_const(ir_graph *g, int node, const char *base, const char *what, ir_dtype dt,
                    int rank, const int64_t *shape, const void *data, size_t nbytes);

/* True when every value fits a kernel's int32 fields. */
bool lower_fits_i32(int64_t v);

#endif
