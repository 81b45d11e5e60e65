/*
 * tflite_ops_ext.c - TFLite builtins of the extended operator set: float
 * math (ABS, NEG, EXP, LOG, SQRT, RSQRT, SQUARE, SIN, COS, CEIL, FLOOR,
 * ROUND, ELU), POW, DIV, SQUARED_DIFFERENCE, comparisons, LOGICAL_*,
 * SELECT/SELECT_V2, SUM and REDUCE_MAX/MIN/PROD, ARG_MAX/ARG_MIN, GATHER,
 * BATCH_MATMUL, CAST and SHAPE.
 *
 * The output tensors' shapes come from the file and are checked against
 * what the op computes.  int8 (per-tensor quantized) is taken where Kiln
 * reproduces TFLite-Micro's integer kernel bit-exactly (int8_form: ABS, RSQRT, ELU,
 * SQUARED_DIFFERENCE, comparisons, REDUCE_MAX/MIN, ARG_MAX/MIN,
 * SELECT/SELECT_V2, GATHER, BATCH_MATMUL;
 * passes/lower_ext_s8.c); other math on int8/int16 is refused by name.
 * Never prints; fails via tfl_op_fail.
 */
#include <stdio.h>
#include <string.h>

#include "import/tflite_internal.h"
#include "util/sbuf.h"

enum {
    B_FLOOR = 8, B_GATHER = 36, B_DIV = 42, B_EXP = 47, B_CAST = 53, B_ARG_MAX = 56, B_LESS = 58,
    B_NEG = 59, B_GREATER = 61, B_GREATER_EQUAL = 62, B_LESS_EQUAL = 63, B_SELECT = 64, B_SIN = 66,
    B_EQUAL = 71, B_NOT_EQUAL = 72, B_LOG = 73, B_SUM = 74, B_SQRT = 75, B_RSQRT = 76, B_SHAPE = 77,
    B_POW = 78, B_ARG_MIN = 79, B_REDUCE_PROD = 81, B_REDUCE_MAX = 82, B_LOGICAL_OR = 84,
    B_LOGICAL_AND = 86, B_LOGICAL_NOT = 87, B_REDUCE_MIN = 89, B_SQUARE = 92,
    B_SQUARED_DIFFERENCE = 99, B_ABS = 101, B_CEIL = 104, B_COS = 108, B_ELU = 111, B_ROUND = 116,
    B_SELECT_V2 = 123, B_BATCH_MATMUL = 126
};

bool tfl_float_only(tfl_ctx *c, int t)
{
    const ir_tensor *x = tfl_t(c, t);
    if (x->dtype == IR_DT_F32 && x->q.n == 0)
        return true;
    return tfl_op_fail(c, "unsupported: %s on %s%s tensor '%s' (Kiln computes %s in float32 only; it does not "
                       "reproduce TFLite-Micro's integer kernel bit-exactly)", c->op_name,
                       x->q.n ? "quantized " : "", ir_dtype_name(x->dtype), x->name, c->op_name);
}

/* A per-tensor quantized int8 tensor: the form TFLite-Micro's integer
 * kernels of this set take. */
static bool int8_form(tfl_ctx *c, int t)
{
    const ir_tensor *x = tfl_t(c, t);
    return x->dtype == IR_DT_S8 && x->q.n == 1;
}

/* Numpy broadcast of a and b must be y's shape. */
static bool check_bcast(tfl_ctx *c, int a, int b, int y)
{
    const ir_tensor *ta = tfl_t(c, a), *tb = tfl_t(c, b), *ty = tfl_t(c, y);
    const int r = ta->rank > tb->rank ? ta->rank : tb->rank;
    bool ok = ty->rank == r;
    for (int i = 0; ok && i < r; i++) {
        const int ia = i - (r - ta->rank), ib = i - (r - tb->rank);
        const int64_t da = ia >= 0 ? ta->shape[ia] : 1, db = ib >= 0 ? tb->shape[ib] : 1;
        if (da != db && da != 1 && db != 1)
            ok = false;
        else if (ty->shape[i] != (da == 1 ? db : da))
            ok = false;
    }
    return ok || tfl_op_fail(c, "output '%s' is not the broadcast of '%s' and '%s'", ty->name, ta->name, tb->name);
}

static bool same_elems(tfl_ctx *c, int x, int y)
{
    if (ir_numel(tfl_t(c, x)) == ir_numel(tfl_t(c, y)) && tfl_t(c, x)->rank == tfl_t(c, y)->rank)
        return true;
    return tfl_op_fail(c, "output '%s' does not have the input's shape", tfl_t(c, y)->name);
}

bool tfl_ext_unary(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 1, 1, 1))
        return false;
    const int x = tfl_in(c, 0), y = x < 0 ? -1 : tfl_out(c, 0);
    if (y < 0)
        return false;
    if (c->builtin == B_LOGICAL_NOT) {
        if (tfl_t(c, x)->dtype != IR_DT_BOOL || tfl_t(c, y)->dtype != IR_DT_BOOL)
            return tfl_op_fail(c, "LOGICAL_NOT takes and gives bool");
        if (!same_elems(c, x, y))
            return false;
        tfl_node(c, IR_OP_NOT, 1, &x, 1, &y);
        return true;
    }
    const bool abs_s8 = (c->builtin == B_ABS || c->builtin == B_RSQRT || c->builtin == B_ELU) && int8_form(c, x) &&
                        int8_form(c, y);
    if ((!abs_s8 && (!tfl_float_only(c, x) || !tfl_float_only(c, y))) || !same_elems(c, x, y))
        return false;
    ir_op op;
    switch (c->builtin) {
    case B_ABS: op = IR_OP_ABS; break;
    case B_NEG: op = IR_OP_NEG; break;
    case B_EXP: op = IR_OP_EXP; break;
    case B_LOG: op = IR_OP_LOG; break;
    case B_SQRT: op = IR_OP_SQRT; break;
    case B_RSQRT: op = IR_OP_RSQRT; break;
    case B_SQUARE: op = IR_OP_SQUARE; break;
    case B_SIN: op = IR_OP_SIN; break;
    case B_COS: op = IR_OP_COS; break;
    case B_CEIL: op = IR_OP_CEIL; break;
    case B_FLOOR: op = IR_OP_FLOOR; break;
    case B_ROUND: op = IR_OP_ROUND; break;
    default: op = IR_OP_ELU; break;
    }
    int n = tfl_node(c, op, 1, &x, 1, &y);
    c->g->nodes[n].attr.alpha = 1.0f;   /* TFLite ELU: alpha 1 */
    return true;
}

bool tfl_ext_binary(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int a = tfl_in(c, 0), b = a < 0 ? -1 : tfl_in(c, 1), y = b < 0 ? -1 : tfl_out(c, 0);
    if (y < 0 || !check_bcast(c, a, b, y))
        return false;
    const ir_tensor *ta = tfl_t(c, a), *tb = tfl_t(c, b), *ty = tfl_t(c, y);
    const int in[2] = {a, b};
    ir_op op = IR_OP_COUNT;
    switch (c->builtin) {
    case B_LESS: op = IR_OP_LESS; break;
    case B_GREATER: op = IR_OP_GREATER; break;
    case B_GREATER_EQUAL: op = IR_OP_GREATER_EQUAL; break;
    case B_LESS_EQUAL: op = IR_OP_LESS_EQUAL; break;
    case B_EQUAL: case B_NOT_EQUAL: op = IR_OP_EQUAL; break;
    case B_LOGICAL_AND: op = IR_OP_AND; break;
    case B_LOGICAL_OR: op = IR_OP_OR; break;
    default: break;
    }
    if (op != IR_OP_COUNT) {    /* a bool result */
        if (ty->dtype != IR_DT_BOOL || ta->dtype != tb->dtype)
            return tfl_op_fail(c, "needs two inputs of one type and a bool output");
        if ((ta->q.n || tb->q.n) && !(int8_form(c, a) && int8_form(c, b)))
            return tfl_op_fail(c, "unsupported: %s on quantized %s inputs (int8 with one scale per tensor "
                               "only, as TFLite-Micro)", c->op_name, ir_dtype_name(ta->dtype));
        if (c->builtin == B_NOT_EQUAL) {
            const int64_t *sh = ty->shape;
            int e = tfl_temp(c, y, "equal", ty->rank, sh);
            tfl_node(c, IR_OP_EQUAL, 2, in, 1, &e);
            tfl_node(c, IR_OP_NOT, 1, &e, 1, &y);
            return true;
        }
        tfl_node(c, op, 2, in, 1, &y);
        return true;
    }
    if (c->builtin == B_SQUARED_DIFFERENCE && int8_form(c, a) && int8_form(c, b) && int8_form(c, y)) {
        tfl_node(c, IR_OP_SQUARED_DIFFERENCE, 2, in, 1, &y);     /* TFLM's integer kernel */
        return true;
    }
    if (!tfl_float_only(c, a) || !tfl_float_only(c, b) || !tfl_float_only(c, y))
        return false;
    if (c->builtin == B_SQUARED_DIFFERENCE) {
        int d = tfl_temp(c, y, "diff", ty->rank, ty->shape);
        tfl_node(c, IR_OP_SUB, 2, in, 1, &d);
        tfl_node(c, IR_OP_SQUARE, 1, &d, 1, &y);
        return true;
    }
    int n = tfl_node(c, c->builtin == B_POW ? IR_OP_POW : IR_OP_DIV, 2, in, 1, &y);
    if (c->builtin == B_DIV && !tfl_fused_act(c, c->o.act, &c->g->nodes[n].attr.act))
        return false;
    return true;
}

/* SELECT (same shapes) and SELECT_V2 (numpy broadcasting of all three). */
bool tfl_ext_select(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 3, 3, 1))
        return false;
    int in[3];
    for (int k = 0; k < 3; k++)
        if ((in[k] = tfl_in(c, k)) < 0)
            return false;
    const int y = tfl_out(c, 0);
    if (y < 0)
        return false;
    const ir_tensor *tc = tfl_t(c, in[0]), *ta = tfl_t(c, in[1]), *tb = tfl_t(c, in[2]), *ty = tfl_t(c, y);
    if (tc->dtype != IR_DT_BOOL || ta->dtype != ty->dtype || tb->dtype != ty->dtype)
        return tfl_op_fail(c, "needs a bool condition and two inputs of the output's type");
    if (c->builtin == B_SELECT && (!tfl_same_shape(tc, ty) || !tfl_same_shape(ta, ty) || !tfl_same_shape(tb, ty)))
        return tfl_op_fail(c, "unsupported: SELECT with operands of different shapes (its row-select form); "
                           "SELECT_V2 broadcasts");
    if (!check_bcast(c, in[1], in[2], y) || !check_bcast(c, in[0], y, y))
        return false;
    tfl_node(c, IR_OP_WHERE, 3, in, 1, &y);
    return true;
}

bool tfl_ext_reduce(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int x = tfl_in(c, 0);
    int64_t axes[IR_MAX_DIMS * 2];
    int na;
    if (x < 0 || !tfl_const_ints(c, 1, axes, IR_MAX_DIMS * 2, &na, "axes"))
        return false;
    const int y = tfl_out(c, 0);
    if (y < 0)
        return false;
    const bool minmax_s8 = (c->builtin == B_REDUCE_MAX || c->builtin == B_REDUCE_MIN) && int8_form(c, x) &&
                           int8_form(c, y);
    if (!minmax_s8 && (!tfl_float_only(c, x) || !tfl_float_only(c, y)))
        return false;
    const ir_tensor *xt = tfl_t(c, x), *yt = tfl_t(c, y);
    uint32_t mask = 0;
    for (int i = 0; i < na; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + xt->rank : axes[i];
        if (a < 0 || a >= xt->rank)
            return tfl_op_fail(c, "axis %lld is out of range for rank %d", (long long)axes[i], xt->rank);
        mask |= 1u << a;
    }
    int64_t kept = 1;
    for (int d = 0; d < xt->rank; d++)
        if (!(mask >> d & 1))
            kept *= xt->shape[d];
    if (ir_numel(yt) != kept)
        return tfl_op_fail(c, "output '%s' does not have the reduced shape", yt->name);
    const ir_op op = c->builtin == B_SUM ? IR_OP_REDUCE_SUM : c->builtin == B_REDUCE_MAX ? IR_OP_REDUCE_MAX
                   : c->builtin == B_REDUCE_MIN ? IR_OP_REDUCE_MIN : IR_OP_REDUCE_PROD;
    int n = tfl_node(c, op, 1, &x, 1, &y);
    c->g->nodes[n].attr.axes_mask = mask;
    return true;
}

bool tfl_ext_arg(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int x = tfl_in(c, 0);
    int64_t axis;
    int na;
    if (x < 0 || !tfl_const_ints(c, 1, &axis, 1, &na, "axis"))
        return false;
    const int y = tfl_out(c, 0);
    if (y < 0)
        return false;
    const bool arg_s8 = int8_form(c, x);
    if (!arg_s8 && !tfl_float_only(c, x))
        return false;
    const ir_tensor *xt = tfl_t(c, x), *yt = tfl_t(c, y);
    if (na != 1 || (axis < 0 ? axis + xt->rank : axis) < 0 || (axis < 0 ? axis + xt->rank : axis) >= xt->rank)
        return tfl_op_fail(c, "axis must be one value in range");
    if (axis < 0)
        axis += xt->rank;
    if (yt->dtype != IR_DT_S64 && !(arg_s8 && yt->dtype == IR_DT_S32))
        return tfl_op_fail(c, "unsupported: %s with a %s output (int64; int32 for an int8 input)", c->op_name,
                           ir_dtype_name(yt->dtype));
    if (ir_numel(yt) * xt->shape[axis] != ir_numel(xt))
        return tfl_op_fail(c, "output '%s' does not have the input's shape without the axis", yt->name);
    int n = tfl_node(c, c->builtin == B_ARG_MAX ? IR_OP_ARGMAX : IR_OP_ARGMIN, 1, &x, 1, &y);
    c->g->nodes[n].attr.axis = (int)axis;
    return true;
}

bool tfl_ext_gather(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int x = tfl_in(c, 0), ix = x < 0 ? -1 : tfl_in(c, 1), y = ix < 0 ? -1 : tfl_out(c, 0);
    if (y < 0)
        return false;
    const ir_tensor *xt = tfl_t(c, x), *it = tfl_t(c, ix), *yt = tfl_t(c, y);
    if (c->o.batch_dims != 0)
        return tfl_op_fail(c, "unsupported: GATHER with batch_dims = %d", (int)c->o.batch_dims);
    int axis = c->o.axis < 0 ? c->o.axis + xt->rank : c->o.axis;
    if (axis < 0 || axis >= xt->rank || (it->dtype != IR_DT_S32 && it->dtype != IR_DT_S64) ||
        xt->dtype != yt->dtype)
        return tfl_op_fail(c, "needs an axis in range, int32/int64 indices and X, Y of one type");
    if (ir_numel(yt) != ir_numel(xt) / xt->shape[axis] * ir_numel(it))
        return tfl_op_fail(c, "output '%s' does not have the gathered shape", yt->name);
    const int in[2] = {x, ix};
    int n = tfl_node(c, IR_OP_GATHER, 2, in, 1, &y);
    c->g->nodes[n].attr.axis = axis;
    return true;
}

bool tfl_ext_batch_matmul(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int a = tfl_in(c, 0), b = a < 0 ? -1 : tfl_in(c, 1), y = b < 0 ? -1 : tfl_out(c, 0);
    if (y < 0)
        return false;
    /* int8: TFLM's BatchMatMul<int8_t, int32_t> is lower_s8's TFLite MATMUL
     * (int32 sums of offset products, MultiplyByQuantizedMultiplier by
     * double(s_a) * double(s_b) / double(s_y)). */
    const bool s8 = int8_form(c, a) && int8_form(c, b) && int8_form(c, y);
    if (!s8 && (!tfl_float_only(c, a) || !tfl_float_only(c, b) || !tfl_float_only(c, y)))
        return false;
    if (c->o.adj_x || c->o.adj_y)
        return tfl_op_fail(c, "unsupported: BATCH_MATMUL with adj_x/adj_y (transposed operands)");
    const ir_tensor *ta = tfl_t(c, a), *tb = tfl_t(c, b), *ty = tfl_t(c, y);
    if (ta->rank < 2 || tb->rank < 2 || ta->shape[ta->rank - 1] != tb->shape[tb->rank - 2] ||
        ty->shape[ty->rank - 1] != tb->shape[tb->rank - 1] || ty->shape[ty->rank - 2] != ta->shape[ta->rank - 2])
        return tfl_op_fail(c, "operand shapes do not multiply into the output's");
    const int in[2] = {a, b};
    tfl_node(c, IR_OP_MATMUL, 2, in, 1, &y);
    return true;
}

bool tfl_ext_cast(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 1, 1, 1))
        return false;
    const int x = tfl_in(c, 0), y = x < 0 ? -1 : tfl_out(c, 0);
    if (y < 0 || !same_elems(c, x, y))
        return false;
    if (tfl_t(c, x)->q.n || tfl_t(c, y)->q.n)
        return tfl_op_fail(c, "unsupported: CAST of a quantized tensor");
    tfl_node(c, IR_OP_CAST, 1, &x, 1, &y);
    return true;
}

/* SHAPE: shapes are static, so the output is a constant. */
bool tfl_ext_shape(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 1, 1, 1))
        return false;
    const int x = tfl_in(c, 0), y = x < 0 ? -1 : tfl_out(c, 0);
    if (y < 0)
        return false;
    ir_tensor *yt = tfl_t(c, y);
    const ir_tensor *xt = tfl_t(c, x);
    if ((yt->dtype != IR_DT_S32 && yt->dtype != IR_DT_S64) || ir_numel(yt) != xt->rank)
        return tfl_op_fail(c, "output '%s' must be int32/int64 with one element per input dim", yt->name);
    const size_t es = ir_dtype_size(yt->dtype);
    uint8_t *buf = xcalloc((size_t)xt->rank + 1, es);
    for (int d = 0; d < xt->rank; d++) {
        const int64_t v = xt->shape[d];
        for (size_t k = 0; k < es; k++)
            buf[(size_t)d * es + k] = (uint8_t)((uint64_t)v >> (8 * k));
    }
    yt->data = buf;
    yt->nbytes = (size_t)xt->rank * es;
    return true;
}
