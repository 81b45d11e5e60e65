/*
 * onnx_ops_ext.c - ONNX handlers for the extended operator set: float math
 * functions, Pow, comparisons and logic, Where, variadic Max/Min/Sum/Mean,
 * the Reduce family, ArgMax/ArgMin, Gather, PRelu, Shape/Size/CastLike,
 * Range, Expand, Tile, Depth/SpaceToDepth and the normalizations
 * (LayerNormalization, InstanceNormalization, GroupNormalization).
 *
 * Ops with a kernel become one IR node (ir_ops.def says what each means).
 * The rest are decomposed here into IR ops that have kernels (PRelu into
 * Less/Mul/Where; the normalizations into ReduceMean/Sub/Mul/Add/Sqrt/Div;
 * Depth/SpaceToDepth into Reshape/Transpose; Tile into Concat), and the
 * shape-only ops (Shape, Size, Range) become constants, since shapes are
 * static after import.  Like every handler, these never touch model bytes
 * and fail through ox_err / ox_unsupported naming the node.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"
#include "util/sbuf.h"

static bool need_f32(onnx_ctx *c, int t)
{
    if (ox_t(c, t)->dtype == IR_DT_F32)
        return true;
    return ox_unsupported(c, "%s on input '%s' of type %s (float32 only)", c->op_name, ox_t(c, t)->name,
                          ir_dtype_name(ox_t(c, t)->dtype));
}

static bool scalar_f32(onnx_ctx *c, const char *suffix, float v, int *t)
{
    const int64_t one[1] = {1};
    return ox_const(c, suffix, IR_DT_F32, 0, one, &v, sizeof v, t);
}

/* A node on temporaries: out = op(in...), out a new tensor of the given shape. */
static bool tmp_node(onnx_ctx *c, ir_op op, const char *suffix, ir_dtype dt, int rank, const int64_t *shape,
                     int n_in, const int *in, int *out, int *node)
{
    if (!ox_tmp(c, suffix, dt, rank, shape, out))
        return false;
    int n = ox_node(c, op, n_in, in, 1, out);
    if (node)
        *node = n;
    return true;
}

/* Y (output k, or a temporary when k < 0) = op(a, b) with broadcasting. */
static bool bin(onnx_ctx *c, ir_op op, int k, int a, int b, ir_dtype dt, int *y)
{
    int rank;
    int64_t shape[IR_MAX_DIMS];
    if (!ox_broadcast(c, a, b, &rank, shape))
        return false;
    const int in[2] = {a, b};
    if (k >= 0) {
        if (!ox_out(c, k, dt, rank, shape, y))
            return false;
        ox_node(c, op, 2, in, 1, y);
        return true;
    }
    return tmp_node(c, op, ir_op_name(op), dt, rank, shape, 2, in, y, NULL);
}

/* ---- unary math ----------------------------------------------------------- */

/* Float32 at run time; on a constant of another numeric type (shape
 * arithmetic: Neg of an int64 axis) it folds through the reference. */
static bool unary_f32(onnx_ctx *c, ir_op op, float alpha, float beta)
{
    int x, y;
    if (!ox_in(c, 0, &x))
        return false;
    const ir_dtype dt = ox_t(c, x)->dtype;
    if (!(ir_is_const(ox_t(c, x)) && dt != IR_DT_BOOL && dt != IR_DT_F16) && !need_f32(c, x))
        return false;
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, ox_t(c, x)->shape, sizeof shape);
    if (!ox_out(c, 0, dt, ox_t(c, x)->rank, shape, &y))
        return false;
    int n = ox_node(c, op, 1, &x, 1, &y);
    c->g->nodes[n].attr.alpha = alpha;
    c->g->nodes[n].attr.beta = beta;
    return true;
}

bool ox_abs(onnx_ctx *c) { return unary_f32(c, IR_OP_ABS, 0, 0); }
bool ox_neg(onnx_ctx *c) { return unary_f32(c, IR_OP_NEG, 0, 0); }
bool ox_exp(onnx_ctx *c) { return unary_f32(c, IR_OP_EXP, 0, 0); }
bool ox_log(onnx_ctx *c) { return unary_f32(c, IR_OP_LOG, 0, 0); }
bool ox_reciprocal(onnx_ctx *c) { return unary_f32(c, IR_OP_RECIPROCAL, 0, 0); }
bool ox_sign(onnx_ctx *c) { return unary_f32(c, IR_OP_SIGN, 0, 0); }
bool ox_ceil(onnx_ctx *c) { return unary_f32(c, IR_OP_CEIL, 0, 0); }
bool ox_floor(onnx_ctx *c) { return unary_f32(c, IR_OP_FLOOR, 0, 0); }
bool ox_round(onnx_ctx *c) { return unary_f32(c, IR_OP_ROUND, 0, 0); }
bool ox_erf(onnx_ctx *c) { return unary_f32(c, IR_OP_ERF, 0, 0); }
bool ox_sin(onnx_ctx *c) { return unary_f32(c, IR_OP_SIN, 0, 0); }
bool ox_cos(onnx_ctx *c) { return unary_f32(c, IR_OP_COS, 0, 0); }
bool ox_softplus(onnx_ctx *c) { return unary_f32(c, IR_OP_SOFTPLUS, 0, 0); }
bool ox_softsign(onnx_ctx *c) { return unary_f32(c, IR_OP_SOFTSIGN, 0, 0); }
bool ox_mish(onnx_ctx *c) { return unary_f32(c, IR_OP_MISH, 0, 0); }

static bool unary_alpha(onnx_ctx *c, ir_op op, float def)
{
    float a;
    return ox_attr_float(c, "alpha", def, &a) && unary_f32(c, op, a, 0);
}

bool ox_elu(onnx_ctx *c) { return unary_alpha(c, IR_OP_ELU, 1.0f); }
bool ox_celu(onnx_ctx *c) { return unary_alpha(c, IR_OP_CELU, 1.0f); }
bool ox_thresholded_relu(onnx_ctx *c) { return unary_alpha(c, IR_OP_THRESHOLDED_RELU, 1.0f); }

bool ox_selu(onnx_ctx *c)
{
    float a, g;
    return ox_attr_float(c, "alpha", 1.67326319217681884765625f, &a) &&
           ox_attr_float(c, "gamma", 1.05070102214813232421875f, &g) && unary_f32(c, IR_OP_SELU, a, g);
}

bool ox_gelu(onnx_ctx *c)
{
    char mode[16];
    if (!ox_attr_str(c, "approximate", "none", mode, sizeof mode))
        return false;
    if (!strcmp(mode, "none"))
        return unary_f32(c, IR_OP_GELU, 0, 0);
    if (!strcmp(mode, "tanh"))
        return unary_f32(c, IR_OP_GELU_TANH, 0, 0);
    return ox_err(c, "approximate = '%s' (none or tanh)", mode);
}

/* ---- binary ------------------------------------------------------------- */

/* Pow with an int32/int64 base: the output has the base's type (ONNX); an
 * integer exponent of another type is cast to the base's, a float32 one
 * stays (ir_ops.def POW says what each computes). */
static bool pow_int(onnx_ctx *c, int a, int b)
{
    const ir_dtype dt = ox_t(c, a)->dtype, et = ox_t(c, b)->dtype;
    int y;
    if (et == IR_DT_F32 || et == dt)
        return bin(c, IR_OP_POW, 0, a, b, dt, &y);
    if (et == IR_DT_F64 || et == IR_DT_F16 || et == IR_DT_BOOL)
        return ox_unsupported(c, "Pow of an %s base with a %s exponent (integer or float32 exponents)",
                              ir_dtype_name(dt), ir_dtype_name(et));
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, ox_t(c, b)->shape, sizeof shape);
    int bc;
    if (!tmp_node(c, IR_OP_CAST, "exponent", dt, ox_t(c, b)->rank, shape, 1, &b, &bc, NULL))
        return false;
    return bin(c, IR_OP_POW, 0, a, bc, dt, &y);
}

bool ox_pow(onnx_ctx *c)
{
    int a, b, y;
    if (!ox_in(c, 0, &a) || !ox_in(c, 1, &b))
        return false;
    const ir_tensor *at = ox_t(c, a);
    if ((at->dtype == IR_DT_S32 || at->dtype == IR_DT_S64) && !at->q.n)
        return pow_int(c, a, b);
    if (!need_f32(c, a))
        return false;
    if (ox_t(c, b)->dtype != IR_DT_F32) {
        /* An integer exponent: converted to float, exactly (|e| < 2^24 in practice). */
        int64_t shape[IR_MAX_DIMS];
        memcpy(shape, ox_t(c, b)->shape, sizeof shape);
        int bf;
        if (!tmp_node(c, IR_OP_CAST, "exponent", IR_DT_F32, ox_t(c, b)->rank, shape, 1, &b, &bf, NULL))
            return false;
        b = bf;
    }
    return bin(c, IR_OP_POW, 0, a, b, IR_DT_F32, &y);
}

static bool compare(onnx_ctx *c, ir_op op)
{
    int a, b, y;
    if (!ox_in(c, 0, &a) || !ox_in(c, 1, &b))
        return false;
    if (ox_t(c, a)->dtype != ox_t(c, b)->dtype)
        return ox_err(c, "inputs have different element types (%s, %s)", ir_dtype_name(ox_t(c, a)->dtype),
                      ir_dtype_name(ox_t(c, b)->dtype));
    if (ox_t(c, a)->dtype == IR_DT_BOOL && op == IR_OP_EQUAL)
        op = IR_OP_XOR;     /* a == b on bools is not (a xor b): handled below */
    if (op == IR_OP_XOR) {
        int x;
        if (!bin(c, IR_OP_XOR, -1, a, b, IR_DT_BOOL, &x))
            return false;
        int64_t shape[IR_MAX_DIMS];
        memcpy(shape, ox_t(c, x)->shape, sizeof shape);
        if (!ox_out(c, 0, IR_DT_BOOL, ox_t(c, x)->rank, shape, &y))
            return false;
        ox_node(c, IR_OP_NOT, 1, &x, 1, &y);
        return true;
    }
    return bin(c, op, 0, a, b, IR_DT_BOOL, &y);
}

bool ox_equal(onnx_ctx *c) { return compare(c, IR_OP_EQUAL); }
bool ox_greater(onnx_ctx *c) { return compare(c, IR_OP_GREATER); }
bool ox_greater_equal(onnx_ctx *c) { return compare(c, IR_OP_GREATER_EQUAL); }
bool ox_less(onnx_ctx *c) { return compare(c, IR_OP_LESS); }
bool ox_less_equal(onnx_ctx *c) { return compare(c, IR_OP_LESS_EQUAL); }

static bool logic(onnx_ctx *c, ir_op op)
{
    int a, b, y;
    if (!ox_in(c, 0, &a) || !ox_in(c, 1, &b))
        return false;
    if (ox_t(c, a)->dtype != IR_DT_BOOL || ox_t(c, b)->dtype != IR_DT_BOOL)
        return ox_err(c, "inputs must be bool (got %s, %s)", ir_dtype_name(ox_t(c, a)->dtype),
                      ir_dtype_name(ox_t(c, b)->dtype));
    return bin(c, op, 0, a, b, IR_DT_BOOL, &y);
}

bool ox_and(onnx_ctx *c) { return logic(c, IR_OP_AND); }
bool ox_or(onnx_ctx *c) { return logic(c, IR_OP_OR); }
bool ox_xor(onnx_ctx *c) { return logic(c, IR_OP_XOR); }

bool ox_not(onnx_ctx *c)
{
    int x, y;
    if (!ox_in(c, 0, &x))
        return false;
    if (ox_t(c, x)->dtype != IR_DT_BOOL)
        return ox_err(c, "input must be bool (got %s)", ir_dtype_name(ox_t(c, x)->dtype));
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, ox_t(c, x)->shape, sizeof shape);
    if (!ox_out(c, 0, IR_DT_BOOL, ox_t(c, x)->rank, shape, &y))
        return false;
    ox_node(c, IR_OP_NOT, 1, &x, 1, &y);
    return true;
}

/* Numpy broadcast of two shapes; false when they do not broadcast. */
static bool bshape(int ra, const int64_t *a, int rb, const int64_t *b, int *r, int64_t *out)
{
    *r = ra > rb ? ra : rb;
    for (int i = 0; i < *r; i++) {
        const int ia = i - (*r - ra), ib = i - (*r - rb);
        const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        out[i] = da == 1 ? db : da;
    }
    return true;
}

/* Y = C ? A : B broadcast over all three; k < 0: into a temporary. */
static bool where3(onnx_ctx *c, int k, int cond, int a, int b, int *y)
{
    int r1, r2;
    int64_t s1[IR_MAX_DIMS], s2[IR_MAX_DIMS];
    const ir_tensor *tc = ox_t(c, cond), *ta = ox_t(c, a), *tb = ox_t(c, b);
    if (!bshape(ta->rank, ta->shape, tb->rank, tb->shape, &r1, s1) ||
        !bshape(tc->rank, tc->shape, r1, s1, &r2, s2))
        return ox_err(c, "the condition and the two inputs do not broadcast together");
    const int in[3] = {cond, a, b};
    const ir_dtype dt = ta->dtype;
    if (k >= 0) {
        if (!ox_out(c, k, dt, r2, s2, y))
            return false;
        ox_node(c, IR_OP_WHERE, 3, in, 1, y);
        return true;
    }
    return tmp_node(c, IR_OP_WHERE, "where", dt, r2, s2, 3, in, y, NULL);
}

bool ox_where(onnx_ctx *c)
{
    int cond, a, b, y;
    if (!ox_in(c, 0, &cond) || !ox_in(c, 1, &a) || !ox_in(c, 2, &b))
        return false;
    if (ox_t(c, cond)->dtype != IR_DT_BOOL)
        return ox_err(c, "condition must be bool (got %s)", ir_dtype_name(ox_t(c, cond)->dtype));
    if (ox_t(c, a)->dtype != ox_t(c, b)->dtype)
        return ox_err(c, "X and Y have different element types");
    return where3(c, 0, cond, a, b, &y);
}

/* Max, Min, Sum: a chain of binary nodes over every input; Mean divides. */
static bool variadic(onnx_ctx *c, ir_op op, bool mean)
{
    const int n = c->node->n_in;
    int acc;
    if (n < 1 || !ox_in(c, 0, &acc))
        return ox_err(c, "needs at least one input");
    if (n == 1 && !mean)
        return ox_alias_out(c, 0, acc);
    const ir_dtype dt = ox_t(c, acc)->dtype;
    if (dt == IR_DT_BOOL || (mean && dt != IR_DT_F32))
        return ox_unsupported(c, "%s on %s tensors", c->op_name, ir_dtype_name(dt));
    for (int k = 1; k < n; k++) {
        int b, y;
        if (!ox_in(c, k, &b))
            return false;
        if (ox_t(c, b)->dtype != dt)
            return ox_err(c, "input %d has type %s, input 0 %s", k, ir_dtype_name(ox_t(c, b)->dtype),
                          ir_dtype_name(dt));
        if (!bin(c, op, (k == n - 1 && !mean) ? 0 : -1, acc, b, dt, &y))
            return false;
        acc = y;
    }
    if (!mean)
        return true;
    int d, y;
    return scalar_f32(c, "count", (float)n, &d) && bin(c, IR_OP_DIV, 0, acc, d, IR_DT_F32, &y);
}

bool ox_max(onnx_ctx *c) { return variadic(c, IR_OP_MAX, false); }
bool ox_min(onnx_ctx *c) { return variadic(c, IR_OP_MIN, false); }
bool ox_sum(onnx_ctx *c) { return variadic(c, IR_OP_ADD, false); }
bool ox_mean(onnx_ctx *c) { return variadic(c, IR_OP_ADD, true); }

bool ox_prelu(onnx_ctx *c)
{
    int x, s, zero, neg, scaled, y;
    if (!ox_in(c, 0, &x) || !ox_in(c, 1, &s) || !need_f32(c, x) || !need_f32(c, s))
        return false;
    /* y = x < 0 ? slope*x : x, with the slope broadcast to x (unidirectional). */
    return scalar_f32(c, "zero", 0.0f, &zero) && bin(c, IR_OP_LESS, -1, x, zero, IR_DT_BOOL, &neg) &&
           bin(c, IR_OP_MUL, -1, x, s, IR_DT_F32, &scaled) && where3(c, 0, neg, scaled, x, &y);
}

/* ---- reductions, arg ------------------------------------------------------ */

bool ox_reduce_sum(onnx_ctx *c) { return ox_reduce(c, IR_OP_REDUCE_SUM, 13); }
bool ox_reduce_max(onnx_ctx *c) { return ox_reduce(c, IR_OP_REDUCE_MAX, 18); }
bool ox_reduce_min(onnx_ctx *c) { return ox_reduce(c, IR_OP_REDUCE_MIN, 18); }
bool ox_reduce_prod(onnx_ctx *c) { return ox_reduce(c, IR_OP_REDUCE_PROD, 18); }
bool ox_reduce_l1(onnx_ctx *c) { return ox_reduce(c, IR_OP_REDUCE_L1, 18); }
bool ox_reduce_l2(onnx_ctx *c) { return ox_reduce(c, IR_OP_REDUCE_L2, 18); }
bool ox_reduce_sum_square(onnx_ctx *c) { return ox_reduce(c, IR_OP_REDUCE_SUM_SQUARE, 18); }
bool ox_reduce_log_sum_exp(onnx_ctx *c) { return ox_reduce(c, IR_OP_REDUCE_LOG_SUM_EXP, 18); }

static bool arg(onnx_ctx *c, ir_op op)
{
    int x, y, axis;
    int64_t a, keep, last;
    if (!ox_in(c, 0, &x) || !need_f32(c, x) || !ox_attr_int(c, "axis", 0, &a) ||
        !ox_attr_int(c, "keepdims", 1, &keep) || !ox_attr_int(c, "select_last_index", 0, &last))
        return false;
    const ir_tensor *t = ox_t(c, x);
    if (!ox_axis(c, a, t->rank, "axis", &axis))
        return false;
    if (t->shape[axis] < 1)
        return ox_err(c, "axis %d of '%s' is empty", axis, t->name);
    int64_t shape[IR_MAX_DIMS];
    int r = 0;
    for (int d = 0; d < t->rank; d++)
        if (d != axis)
            shape[r++] = t->shape[d];
        else if (keep)
            shape[r++] = 1;
    if (!ox_out(c, 0, IR_DT_S64, r, shape, &y))
        return false;
    int n = ox_node(c, op, 1, &x, 1, &y);
    c->g->nodes[n].attr.axis = axis;
    c->g->nodes[n].attr.select_last = last != 0;
    return true;
}

bool ox_argmax(onnx_ctx *c) { return arg(c, IR_OP_ARGMAX); }
bool ox_argmin(onnx_ctx *c) { return arg(c, IR_OP_ARGMIN); }

bool ox_gather(onnx_ctx *c)
{
    int x, ix, y, axis;
    int64_t a;
    if (!ox_in(c, 0, &x) || !ox_in(c, 1, &ix) || !ox_attr_int(c, "axis", 0, &a))
        return false;
    const ir_tensor *t = ox_t(c, x), *ti = ox_t(c, ix);
    if (ti->dtype != IR_DT_S64 && ti->dtype != IR_DT_S32)
        return ox_err(c, "indices must be int32 or int64 (got %s)", ir_dtype_name(ti->dtype));
    if (!ox_axis(c, a, t->rank, "axis", &axis))
        return false;
    if (t->rank + ti->rank - 1 > IR_MAX_DIMS)
        return ox_unsupported(c, "an output of rank %d (Kiln supports up to %d)", t->rank + ti->rank - 1,
                              IR_MAX_DIMS);
    int64_t shape[IR_MAX_DIMS];
    int r = 0;
    for (int d = 0; d < axis; d++)
        shape[r++] = t->shape[d];
    for (int d = 0; d < ti->rank; d++)
        shape[r++] = ti->shape[d];
    for (int d = axis + 1; d < t->rank; d++)
        shape[r++] = t->shape[d];
    if (ir_is_const(ti)) {   /* indices known now: check them here, not at run time */
        int64_t *v, n;
        if (!ox_const_i64(c, ix, &v, &n))
            return false;
        for (int64_t i = 0; i < n; i++)
            if (v[i] < -t->shape[axis] || v[i] >= t->shape[axis]) {
                long long bad = (long long)v[i];
                free(v);
                return ox_err(c, "index %lld is outside [-%lld, %lld)", bad, (long long)t->shape[axis],
                              (long long)t->shape[axis]);
            }
        free(v);
    }
    const ir_dtype dt = t->dtype;
    if (!ox_out(c, 0, dt, r, shape, &y))
        return false;
    const int in[2] = {x, ix};
    int n = ox_node(c, IR_OP_GATHER, 2, in, 1, &y);
    c->g->nodes[n].attr.axis = axis;
    const ir_tensor *tx = ox_t(c, x);
    if (tx->q.n == 1)
        ir_set_quant(c->g, y, 1, 0, tx->q.scale, tx->q.zero_point);
    return true;
}

/* ---- shapes as constants ---------------------------------------------------- */

static bool i64_out(onnx_ctx *c, int rank, const int64_t *shape, const int64_t *v, int64_t n)
{
    int y;
    if (!ox_out(c, 0, IR_DT_S64, rank, shape, &y))
        return false;
    ir_tensor *t = ox_t(c, y);
    t->data = xmalloc(n > 0 ? (size_t)n * 8 : 1);
    if (n > 0)
        memcpy(t->data, v, (size_t)n * 8);
    t->nbytes = (size_t)n * 8;
    return true;
}

bool ox_shape(onnx_ctx *c)
{
    int x;
    int64_t start, end;
    if (!ox_in(c, 0, &x) || !ox_attr_int(c, "start", 0, &start) || !ox_attr_int(c, "end", INT64_MAX, &end))
        return false;
    const ir_tensor *t = ox_t(c, x);
    const int64_t r = t->rank;
    if (start < 0)
        start += r;
    if (end < 0)
        end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    int64_t n = end > start ? end - start : 0, v[IR_MAX_DIMS];
    for (int64_t i = 0; i < n; i++)
        v[i] = t->shape[start + i];
    return i64_out(c, 1, &n, v, n);
}

bool ox_size(onnx_ctx *c)
{
    int x;
    if (!ox_in(c, 0, &x))
        return false;
    const int64_t n = ir_numel(ox_t(c, x)), one = 1;
    return i64_out(c, 0, &one, &n, 1);
}

bool ox_cast_like(onnx_ctx *c)
{
    int x, like, y;
    if (!ox_in(c, 0, &x) || !ox_in(c, 1, &like))
        return false;
    const ir_dtype dt = ox_t(c, like)->dtype;
    if (ox_t(c, x)->dtype == dt)
        return ox_alias_out(c, 0, x);
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, ox_t(c, x)->shape, sizeof shape);
    if (!ox_out(c, 0, dt, ox_t(c, x)->rank, shape, &y))
        return false;
    ox_node(c, IR_OP_CAST, 1, &x, 1, &y);
    return true;
}

/* Range(start, limit, delta): its length depends on the values, so they
 * must be known (constants, or inputs given a value, which are frozen). */
bool ox_range(onnx_ctx *c)
{
    int ts, tl, td;
    if (!ox_in_const(c, 0, &ts) || !ox_in_const(c, 1, &tl) || !ox_in_const(c, 2, &td))
        return false;
    double *s, *l, *d;
    int64_t n1, n2, n3;
    if (!ox_const_f64(c, ts, &s, &n1))
        return false;
    if (!ox_const_f64(c, tl, &l, &n2)) {
        free(s);
        return false;
    }
    if (!ox_const_f64(c, td, &d, &n3)) {
        free(s);
        free(l);
        return false;
    }
    const double st = s[0], li = l[0], de = d[0];
    free(s);
    free(l);
    free(d);
    if (n1 != 1 || n2 != 1 || n3 != 1 || de == 0 || !isfinite(st) || !isfinite(li) || !isfinite(de))
        return ox_err(c, "start, limit and delta must be finite scalars, delta non-zero");
    const ir_dtype dt = ox_t(c, ts)->dtype;
    double cnt = ceil((li - st) / de);
    if (cnt < 0)
        cnt = 0;
    if (cnt > 1e8)
        return ox_unsupported(c, "a Range of %.0f elements", cnt);
    const int64_t n = (int64_t)cnt;
    int y;
    if (!ox_out(c, 0, dt, 1, &n, &y))
        return false;
    ir_tensor *t = ox_t(c, y);
    const size_t es = ir_dtype_size(dt);
    uint8_t *buf = xcalloc(n > 0 ? (size_t)n : 1, es);
    for (int64_t i = 0; i < n; i++) {
        const double v = st + (double)i * de;
        uint8_t *q = buf + (size_t)i * es;
        if (fabs(v) > (dt == IR_DT_F32 ? 3.4e38 : dt == IR_DT_F64 ? 1.7e308 : dt == IR_DT_S16 ? 32767.0
                       : dt == IR_DT_S32 ? 2147483647.0 : 9.2e18)) {
            free(buf);
            return ox_err(c, "Range element %lld (%g) is beyond %s's range", (long long)i, v, ir_dtype_name(dt));
        }
        switch (dt) {
        case IR_DT_F32: { float f = (float)v; memcpy(q, &f, 4); break; }
        case IR_DT_F64: memcpy(q, &v, 8); break;
        case IR_DT_S32: { int32_t k = (int32_t)v; memcpy(q, &k, 4); break; }
        case IR_DT_S64: { int64_t k = (int64_t)v; memcpy(q, &k, 8); break; }
        case IR_DT_S16: { int16_t k = (int16_t)v; memcpy(q, &k, 2); break; }
        default:
            free(buf);
            return ox_unsupported(c, "Range on %s", ir_dtype_name(dt));
        }
    }
    t->data = buf;
    t->nbytes = (size_t)n * es;
    return true;
}

/* Expand: X broadcast to shape (numpy, bidirectional), as a Where whose
 * condition is a constant true: the select kernel is the broadcast copy. */
bool ox_expand(onnx_ctx *c)
{
    int x, y;
    bool present;
    int64_t *dims, n;
    if (!ox_in(c, 0, &x) || !ox_in_ints(c, 1, &present, &dims, &n))
        return false;
    if (!present || n > IR_MAX_DIMS) {
        free(dims);
        return ox_err(c, "shape must be given, with at most %d dims", IR_MAX_DIMS);
    }
    int64_t shape[IR_MAX_DIMS] = {0};
    for (int64_t i = 0; i < n; i++)
        shape[i] = dims[i];
    free(dims);
    /* The condition: one true of the target's rank, shape all 1s. */
    const uint8_t one = 1;
    int64_t ones[IR_MAX_DIMS];
    for (int i = 0; i < IR_MAX_DIMS; i++)
        ones[i] = 1;
    int tr, r;
    int64_t out[IR_MAX_DIMS];
    const ir_tensor *tx = ox_t(c, x);
    if (!bshape(tx->rank, tx->shape, (int)n, shape, &r, out))
        return ox_err(c, "input '%s' does not broadcast to the shape given", tx->name);
    if (!ox_const(c, "true", IR_DT_BOOL, (int)n, ones, &one, 1, &tr))
        return false;
    const int in[3] = {tr, x, x};
    if (!ox_out(c, 0, ox_t(c, x)->dtype, r, out, &y))
        return false;
    ox_node(c, IR_OP_WHERE, 3, in, 1, &y);
    return true;
}

/* Tile: per axis with repeats > 1, a Concat of that many copies. */
bool ox_tile(onnx_ctx *c)
{
    int x;
    bool present;
    int64_t *rep, n;
    if (!ox_in(c, 0, &x) || !ox_in_ints(c, 1, &present, &rep, &n))
        return false;
    const int r = ox_t(c, x)->rank;
    if (!present || n != r) {
        free(rep);
        return ox_err(c, "repeats must have one entry per input dim (%d)", r);
    }
    int cur = x, last = -1;
    for (int d = 0; d < r; d++)
        if (rep[d] != 1)
            last = d;
    bool ok = true;
    for (int d = 0; d < r && ok; d++) {
        if (rep[d] == 1)
            continue;
        if (rep[d] < 1 || rep[d] > 4096) {
            ok = ox_unsupported(c, "repeats[%d] = %lld", d, (long long)rep[d]);
            break;
        }
        int64_t shape[IR_MAX_DIMS];
        memcpy(shape, ox_t(c, cur)->shape, sizeof shape);
        shape[d] *= rep[d];
        int *in = xmalloc((size_t)rep[d] * sizeof *in), y;
        for (int64_t k = 0; k < rep[d]; k++)
            in[k] = cur;
        if (d == last)
            ok = ox_out(c, 0, ox_t(c, x)->dtype, r, shape, &y);
        else
            ok = ox_tmp(c, "tiled", ox_t(c, x)->dtype, r, shape, &y);
        if (ok) {
            int nd = ox_node(c, IR_OP_CONCAT, (int)rep[d], in, 1, &y);
            c->g->nodes[nd].attr.axis = d;
            cur = y;
        }
        free(in);
    }
    free(rep);
    if (ok && last < 0)
        return ox_alias_out(c, 0, x);
    return ok;
}

/* DepthToSpace / SpaceToDepth on NCHW: Reshape, Transpose, Reshape. */
static bool d2s(onnx_ctx *c, bool to_space)
{
    int x;
    int64_t bs;
    char mode[8];
    if (!ox_in(c, 0, &x) || !ox_attr_int(c, "blocksize", 0, &bs) ||
        !ox_attr_str(c, "mode", "DCR", mode, sizeof mode))
        return false;
    const ir_tensor *t = ox_t(c, x);
    if (t->rank != 4 || bs < 1)
        return ox_err(c, "needs a 4-D input and blocksize >= 1");
    const int64_t N = t->shape[0], C = t->shape[1], H = t->shape[2], W = t->shape[3];
    int64_t s1[IR_MAX_DIMS], s2[IR_MAX_DIMS], out[4];
    int perm[6];
    if (to_space) {
        if (C % (bs * bs))
            return ox_err(c, "channels %lld are not a multiple of blocksize^2", (long long)C);
        const int64_t oc = C / (bs * bs);
        const bool crd = !strcmp(mode, "CRD");
        if (!crd && strcmp(mode, "DCR"))
            return ox_err(c, "mode '%s' (DCR or CRD)", mode);
        int64_t a[6] = {N, bs, bs, oc, H, W}, b[6] = {N, oc, bs, bs, H, W};
        int pd[6] = {0, 3, 4, 1, 5, 2}, pc[6] = {0, 1, 4, 2, 5, 3};
        memcpy(s1, crd ? b : a, sizeof a);
        memcpy(perm, crd ? pc : pd, sizeof pd);
        out[0] = N; out[1] = oc; out[2] = H * bs; out[3] = W * bs;
    } else {
        if (H % bs || W % bs)
            return ox_err(c, "spatial dims are not multiples of blocksize");
        int64_t a[6] = {N, C, H / bs, bs, W / bs, bs};
        int p[6] = {0, 3, 5, 1, 2, 4};
        memcpy(s1, a, sizeof a);
        memcpy(perm, p, sizeof p);
        out[0] = N; out[1] = C * bs * bs; out[2] = H / bs; out[3] = W / bs;
    }
    for (int d = 0; d < 6; d++)
        s2[d] = s1[perm[d]];
    int r1, tr;
    if (!ox_reshape_to(c, -1, x, 6, s1, &r1) ||
        !tmp_node(c, IR_OP_TRANSPOSE, "transposed", t->dtype, 6, s2, 1, &r1, &tr, NULL))
        return false;
    memcpy(c->g->nodes[c->g->n_nodes - 1].attr.perm, perm, sizeof perm);
    return ox_reshape_to(c, 0, tr, 4, out, NULL);
}

bool ox_depth_to_space(onnx_ctx *c) { return d2s(c, true); }
bool ox_space_to_depth(onnx_ctx *c) { return d2s(c, false); }

/* ---- normalizations ------------------------------------------------------- */

/* (x - mean) / sqrt(var + eps) over the axes in mask (keepdims), into a
 * temporary; *mean_t and *inv_t (when not NULL) get the mean and 1/stddev. */
static bool normalize(onnx_ctx *c, int x, uint32_t mask, float eps, int *y, int *mean_t, int *inv_t)
{
    const ir_tensor *t = ox_t(c, x);
    const int r = t->rank;
    int64_t shape[IR_MAX_DIMS], rs[IR_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    for (int d = 0; d < r; d++)
        rs[d] = (mask >> d & 1) ? 1 : shape[d];
    int mean, diff, sq, var, e, ve, sd, nd;
    if (!tmp_node(c, IR_OP_REDUCE_MEAN, "mean", IR_DT_F32, r, rs, 1, &x, &mean, &nd))
        return false;
    c->g->nodes[nd].attr.axes_mask = mask;
    if (!bin(c, IR_OP_SUB, -1, x, mean, IR_DT_F32, &diff) || !bin(c, IR_OP_MUL, -1, diff, diff, IR_DT_F32, &sq) ||
        !tmp_node(c, IR_OP_REDUCE_MEAN, "var", IR_DT_F32, r, rs, 1, &sq, &var, &nd))
        return false;
    c->g->nodes[nd].attr.axes_mask = mask;
    if (!scalar_f32(c, "epsilon", eps, &e) || !bin(c, IR_OP_ADD, -1, var, e, IR_DT_F32, &ve) ||
        !tmp_node(c, IR_OP_SQRT, "stddev", IR_DT_F32, r, rs, 1, &ve, &sd, NULL) ||
        !bin(c, IR_OP_DIV, -1, diff, sd, IR_DT_F32, y))
        return false;
    if (mean_t)
        *mean_t = mean;
    if (inv_t && !tmp_node(c, IR_OP_RECIPROCAL, "inv_stddev", IR_DT_F32, r, rs, 1, &sd, inv_t, NULL))
        return false;
    return true;
}

bool ox_layer_norm(onnx_ctx *c)
{
    int x, scale, bias = -1, axis;
    int64_t a;
    float eps;
    if (!ox_in(c, 0, &x) || !ox_in(c, 1, &scale) || !ox_in_opt(c, 2, &bias) || !need_f32(c, x) ||
        !ox_attr_int(c, "axis", -1, &a) || !ox_attr_float(c, "epsilon", 1e-5f, &eps))
        return false;
    const int r = ox_t(c, x)->rank;
    if (!ox_axis(c, a, r, "axis", &axis))
        return false;
    uint32_t mask = 0;
    for (int d = axis; d < r; d++)
        mask |= 1u << d;
    int n, m, inv, s, y;
    const bool want_mean = c->node->n_out > 1 && c->node->out[1].len;
    const bool want_inv = c->node->n_out > 2 && c->node->out[2].len;
    if (!normalize(c, x, mask, eps, &n, &m, want_inv ? &inv : NULL))
        return false;
    if (bias >= 0) {
        if (!bin(c, IR_OP_MUL, -1, n, scale, IR_DT_F32, &s) || !bin(c, IR_OP_ADD, 0, s, bias, IR_DT_F32, &y))
            return false;
    } else if (!bin(c, IR_OP_MUL, 0, n, scale, IR_DT_F32, &y)) {
        return false;
    }
    if (want_mean && !ox_alias_out(c, 1, m))
        return false;
    return !want_inv || ox_alias_out(c, 2, inv);
}

/* scale/bias [C] reshaped to [C, 1, ...] for an NCHW tensor of rank r. */
static bool per_channel(onnx_ctx *c, int v, int r, int *out)
{
    int64_t shape[IR_MAX_DIMS];
    shape[0] = ir_numel(ox_t(c, v));
    for (int d = 1; d < r - 1; d++)
        shape[d] = 1;
    return ox_reshape_to(c, -1, v, r - 1, shape, out);
}

bool ox_instance_norm(onnx_ctx *c)
{
    int x, scale, bias;
    float eps;
    if (!ox_in(c, 0, &x) || !ox_in(c, 1, &scale) || !ox_in(c, 2, &bias) || !need_f32(c, x) ||
        !ox_attr_float(c, "epsilon", 1e-5f, &eps))
        return false;
    const int r = ox_t(c, x)->rank;
    if (r < 3)
        return ox_err(c, "input must have rank >= 3");
    uint32_t mask = 0;
    for (int d = 2; d < r; d++)
        mask |= 1u << d;
    int n, sc, bi, s, y;
    return normalize(c, x, mask, eps, &n, NULL, NULL) && per_channel(c, scale, r, &sc) &&
           per_channel(c, bias, r, &bi) && bin(c, IR_OP_MUL, -1, n, sc, IR_DT_F32, &s) &&
           bin(c, IR_OP_ADD, 0, s, bi, IR_DT_F32, &y);
}

bool ox_group_norm(onnx_ctx *c)
{
    int x, scale, bias;
    float eps;
    int64_t groups;
    if (!ox_in(c, 0, &x) || !ox_in(c, 1, &scale) || !ox_in(c, 2, &bias) || !need_f32(c, x) ||
        !ox_attr_float(c, "epsilon", 1e-5f, &eps) || !ox_attr_int(c, "num_groups", 0, &groups))
        return false;
    if (c->node_opset < 21)
        return ox_unsupported(c, "GroupNormalization before opset 21 (per-group scale)");
    const ir_tensor *t = ox_t(c, x);
    const int r = t->rank;
    if (r < 3 || groups < 1 || t->shape[1] % groups)
        return ox_err(c, "needs rank >= 3 and channels divisible by num_groups");
    int64_t gs[3] = {t->shape[0], groups, ir_numel(t) / (t->shape[0] * groups)}, shape[IR_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    int xg, n, nb, sc, bi, s, y;
    return ox_reshape_to(c, -1, x, 3, gs, &xg) && normalize(c, xg, 4u, eps, &n, NULL, NULL) &&
           ox_reshape_to(c, -1, n, r, shape, &nb) && per_channel(c, scale, r, &sc) &&
           per_channel(c, bias, r, &bi) && bin(c, IR_OP_MUL, -1, nb, sc, IR_DT_F32, &s) &&
           bin(c, IR_OP_ADD, 0, s, bi, IR_DT_F32, &y);
}

/* ---- TopK, CumSum ------------------------------------------------------------ */

bool ox_topk(onnx_ctx *c)
{
    int x, axis;
    int64_t a, largest, k;
    if (!ox_in(c, 0, &x) || !ox_attr_int(c, "axis", -1, &a) || !ox_attr_int(c, "largest", 1, &largest))
        return false;
    const ir_tensor *t = ox_t(c, x);
    if (t->dtype != IR_DT_F32 && t->dtype != IR_DT_S64)
        return ox_unsupported(c, "TopK on %s (float32, int64)", ir_dtype_name(t->dtype));
    if (!ox_axis(c, a, t->rank, "axis", &axis))
        return false;
    if (c->node_opset < 10) {
        if (!ox_attr_int(c, "k", -1, &k))
            return false;
    } else {
        bool present;
        int64_t *v, n;
        if (!ox_in_ints(c, 1, &present, &v, &n))
            return false;
        k = present && n == 1 ? v[0] : -1;
        free(v);
    }
    t = ox_t(c, x);
    if (k < 0 || k > t->shape[axis])
        return ox_err(c, "k = %lld must be within [0, %lld]", (long long)k, (long long)t->shape[axis]);
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[axis] = k;
    const int rank = t->rank;
    const ir_dtype dt = t->dtype;
    int out[2];
    if (!ox_out(c, 0, dt, rank, shape, &out[0]) || !ox_out(c, 1, IR_DT_S64, rank, shape, &out[1]))
        return false;
    int n = ox_node(c, IR_OP_TOPK, 1, &x, 2, out);
    c->g->nodes[n].attr.axis = axis;
    c->g->nodes[n].attr.smallest = largest == 0;
    return true;
}

bool ox_cumsum(onnx_ctx *c)
{
    int x, y, axis;
    int64_t ex, rev, *v, n;
    bool present;
    if (!ox_in(c, 0, &x) || !ox_attr_int(c, "exclusive", 0, &ex) || !ox_attr_int(c, "reverse", 0, &rev) ||
        !ox_in_ints(c, 1, &present, &v, &n))
        return false;
    const int64_t a = present && n == 1 ? v[0] : 0;
    free(v);
    if (!present || n != 1)
        return ox_err(c, "axis must be one integer");
    const ir_tensor *t = ox_t(c, x);
    if (!ox_axis(c, a, t->rank, "axis", &axis))
        return false;
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    const int rank = t->rank;
    if (!ox_out(c, 0, t->dtype, rank, shape, &y))
        return false;
    int nd = ox_node(c, IR_OP_CUMSUM, 1, &x, 1, &y);
    if (!import_cumsum_attrs(&c->g->nodes[nd], axis, rank, ex != 0, rev != 0))
        return ox_err(c, "axis %lld is outside the input's rank %d", (long long)a, rank);
    return true;
}

bool ox_gather_elements(onnx_ctx *c)
{
    int x, ix, y, axis;
    int64_t a;
    if (!ox_in(c, 0, &x) || !ox_in(c, 1, &ix) || !ox_attr_int(c, "axis", 0, &a))
        return false;
    const ir_tensor *t = ox_t(c, x), *ti = ox_t(c, ix);
    if (ti->dtype != IR_DT_S64 && ti->dtype != IR_DT_S32)
        return ox_err(c, "indices must be int32 or int64 (got %s)", ir_dtype_name(ti->dtype));
    if (ti->rank != t->rank)
        return ox_err(c, "indices have rank %d, data rank %d", ti->rank, t->rank);
    if (!ox_axis(c, a, t->rank, "axis", &axis))
        return false;
    if (ir_is_const(ti)) {
        int64_t *v, n;
        if (!ox_const_i64(c, ix, &v, &n))
            return false;
        for (int64_t i = 0; i < n; i++)
            if (v[i] < -t->shape[axis] || v[i] >= t->shape[axis]) {
                free(v);
                return ox_err(c, "index %lld is out of range", (long long)v[i]);
            }
        free(v);
    }
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, ox_t(c, ix)->shape, sizeof shape);
    if (!ox_out(c, 0, ox_t(c, x)->dtype, ox_t(c, ix)->rank, shape, &y))
        return false;
    const int in[2] = {x, ix};
    int n = ox_node(c, IR_OP_GATHER_ELEMENTS, 2, in, 1, &y);
    c->g->nodes[n].attr.axis = axis;
    return true;
}

/* LRN: y = x / (bias + alpha/size * s)^beta, s the sum of x^2 over the
 * channel window [c - floor((size-1)/2), c + ceil((size-1)/2)]: the window
 * sum is a 1x1 convolution with a 0/1 band matrix as its weights. */
bool ox_lrn(onnx_ctx *c)
{
    int x;
    float alpha, beta, bias;
    int64_t size;
    if (!ox_in(c, 0, &x) || !need_f32(c, x) || !ox_attr_float(c, "alpha", 1e-4f, &alpha) ||
        !ox_attr_float(c, "beta", 0.75f, &beta) || !ox_attr_float(c, "bias", 1.0f, &bias) ||
        !ox_attr_int(c, "size", 0, &size))
        return false;
    const ir_tensor *t = ox_t(c, x);
    const int r = t->rank;
    const int64_t C = r >= 3 ? t->shape[1] : 0;
    if (r < 3 || r > 2 + IR_MAX_SPATIAL || size < 1)
        return ox_unsupported(c, "LRN on rank %d (3 to %d) or size %lld", r, 2 + IR_MAX_SPATIAL, (long long)size);
    if (C > 4096)
        return ox_unsupported(c, "LRN over %lld channels", (long long)C);
    float *w = xcalloc((size_t)(C * C), sizeof *w);
    const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
    for (int64_t o = 0; o < C; o++)
        for (int64_t i = o - lo; i <= o + hi; i++)
            if (i >= 0 && i < C)
                w[o * C + i] = 1.0f;
    int64_t ws[IR_MAX_DIMS] = {C, C, 1, 1, 1, 1}, shape[IR_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    int wt, sq, sum, ka, kb, scaled, based, pw, den, y, n;
    const int xx[2] = {x, x};
    bool ok = ox_const(c, "band", IR_DT_F32, r, ws, w, (size_t)(C * C) * sizeof *w, &wt);
    free(w);
    if (!ok || !tmp_node(c, IR_OP_MUL, "square", IR_DT_F32, r, shape, 2, xx, &sq, NULL))
        return false;
    const int cin[3] = {sq, wt, -1};
    if (!tmp_node(c, IR_OP_CONV, "window_sum", IR_DT_F32, r, shape, 3, cin, &sum, &n))
        return false;
    ir_conv_attr *ca = &c->g->nodes[n].attr.conv;
    ca->layout = IR_LAYOUT_NCHW;
    ca->nspatial = r - 2;
    return scalar_f32(c, "alpha_over_size", alpha / (float)size, &ka) &&
           bin(c, IR_OP_MUL, -1, sum, ka, IR_DT_F32, &scaled) && scalar_f32(c, "bias", bias, &kb) &&
           bin(c, IR_OP_ADD, -1, scaled, kb, IR_DT_F32, &based) && scalar_f32(c, "beta", beta, &pw) &&
           bin(c, IR_OP_POW, -1, based, pw, IR_DT_F32, &den) && bin(c, IR_OP_DIV, 0, x, den, IR_DT_F32, &y);
}
