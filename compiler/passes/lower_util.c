/*
 * lower_util.c - shared helpers of lower_f32.c and lower_data.c (see
 * lower_util.h).  Pure functions of the IR, plus lower_add_const which
 * appends a constant tensor (the only way a lowering changes the graph).
 */
#include "passes/lower_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lower_fail(char *err, size_t errlen, const ir_graph *g, int node, const char *fmt, ...)
{
    const ir_node *nd = &g->nodes[node];
    int n = snprintf(err, errlen, "node %d '%s' (%s as %s): ", node, nd->name, nd->src_op,
                     ir_op_name(nd->op));
    if (n < 0)
        n = 0;
    if ((size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void lower_strides(const int64_t *shape, int rank, int64_t *strides)
{
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        strides[d] = s;
        s *= shape[d];
    }
}

/* Operand strides aligned to Y's dims (numpy: trailing dims line up). */
static bool aligned_strides(const ir_tensor *y, const ir_tensor *t, int64_t *st)
{
    int64_t own[IR_MAX_DIMS];
    lower_strides(t->shape, t->rank, own);
    if (t->rank > y->rank)
        return false;
    const int lead = y->rank - t->rank;
    for (int d = 0; d < y->rank; d++) {
        if (d < lead) {
            st[d] = 0;
            continue;
        }
        const int64_t td = t->shape[d - lead];
        if (td == y->shape[d] && td != 1)
            st[d] = own[d - lead];
        else if (td == 1)
            st[d] = 0;
        else
            return false;
    }
    return true;
}

int lower_broadcast(const ir_tensor *y, const ir_tensor *a, const ir_tensor *b,
                    int32_t shape[IR_MAX_DIMS], int32_t as[IR_MAX_DIMS], int32_t bs[IR_MAX_DIMS])
{
    int64_t sa[IR_MAX_DIMS], sb[IR_MAX_DIMS];
    if (!aligned_strides(y, a, sa) || !aligned_strides(y, b, sb))
        return -1;
    int r = 0;
    for (int d = 0; d < y->rank; d++) {
        if (y->shape[d] == 1)
            continue;   /* size-1 dims add nothing to the walk */
        if (r > 0 && sa[d] * y->shape[d] == as[r - 1] && sb[d] * y->shape[d] == bs[r - 1]) {
            /* Merges into the previous dim: both operands step through the
             * two dims as through one (contiguous, or both broadcast). */
            shape[r - 1] *= (int32_t)y->shape[d];
            as[r - 1] = (int32_t)sa[d];
            bs[r - 1] = (int32_t)sb[d];
            continue;
        }
        shape[r] = (int32_t)y->shape[d];
        as[r] = (int32_t)sa[d];
        bs[r] = (int32_t)sb[d];
        r++;
    }
    if (r == 0) {
        shape[0] = 1;
        as[0] = bs[0] = 0;
        r = 1;
    }
    for (int d = r; d < IR_MAX_DIMS; d++)
        shape[d] = 1, as[d] = bs[d] = 0;
    return r;
}

int lower_add_const(ir_graph *g, int node, const char *base, const char *what, ir_dtype dt,
                    int rank, const int64_t *shape, const void *data, size_t nbytes)
{
    char *name = xasprintf("%s.%s.n%d", base && *base ? base : "kiln", what, node);
    int t = ir_add_const(g, name, dt, rank, shape, data, nbytes);
    free(name);
    return t;
}

bool lower_fits_i32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}
