/*
 * tflite_ops_more.c - TFLite builtins that the ONNX importer already
 * expresses, imported into the same IR: DEPTH_TO_SPACE and SPACE_TO_DEPTH
 * (Reshape, Transpose, Reshape on NHWC), TILE (a Concat per repeated axis),
 * BROADCAST_TO (a Where on a constant true: the broadcast copy, as ONNX
 * Expand), PRELU (Less, Mul, Where, as ONNX PRelu), GELU (GELU or
 * GELU_TANH by GeluOptions.approximate) and CUMSUM (CUMSUM with
 * exclusive/reverse).
 *
 * The data-movement ops take int8 when input and output carry the same
 * per-tensor quantization (an exact copy, what TFLite-Micro requires);
 * PRELU, GELU and CUMSUM take per-tensor int8 too (TFLite-Micro's integer
 * steps: IR PRelu, Gelu, CumSum, passes/lower_ext_s8.c).  GATHER_ND with constant indices
 * becomes Reshape, Gather (of flat row indices worked out here), Reshape;
 * with int32 indices computed at run time, the IR's GatherND (whose kernel
 * clamps an index out of range).  Never prints; fails via tfl_op_fail.
 */
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "import/tflite_internal.h"
#include "util/sbuf.h"

enum { B_DEPTH_TO_SPACE = 5, B_SPACE_TO_DEPTH = 26 };

/* float32 in and out, or int8 with one equal scale and zero point: a copy. */
static bool copy_form(tfl_ctx *c, int x, int y)
{
    const ir_tensor *a = tfl_t(c, x), *b = tfl_t(c, y);
    if (a->dtype == IR_DT_F32 && b->dtype == IR_DT_F32 && a->q.n == 0 && b->q.n == 0)
        return true;
    if (a->dtype == IR_DT_S8 && b->dtype == IR_DT_S8 && a->q.n == 1 && b->q.n == 1 &&
        a->q.scale[0] == b->q.scale[0] && a->q.zero_point[0] == b->q.zero_point[0])
        return true;
    return tfl_op_fail(c, "unsupported: %s from %s '%s' to %s '%s' (float32, or int8 with the same per-tensor "
                       "scale and zero point on input and output, as TFLite-Micro)", c->op_name,
                       ir_dtype_name(a->dtype), a->name, ir_dtype_name(b->dtype), b->name);
}

/* Per-tensor quantized int8: the form TFLite-Micro's integer kernels take. */
static bool int8_form(tfl_ctx *c, int t)
{
    const ir_tensor *x = tfl_t(c, t);
    return x->dtype == IR_DT_S8 && x->q.n == 1;
}

/* y's shape must be the one the op computes. */
static bool check_out(tfl_ctx *c, int y, int rank, const int64_t *shape)
{
    const ir_tensor *t = tfl_t(c, y);
    bool ok = t->rank == rank;
    for (int d = 0; ok && d < rank; d++)
        ok = t->shape[d] == shape[d];
    return ok || tfl_op_fail(c, "output '%s' does not have the shape the operator computes", t->name);
}

/* A constant tensor named after `like`, with no quantization. */
static int const_tensor(tfl_ctx *c, int like, const char *suffix, ir_dtype dt, int rank, const int64_t *shape,
                        const void *data, size_t nbytes)
{
    char *name = xasprintf("%s%s", c->g->tensors[like].name, suffix);
    int t = ir_add_tensor(c->g, name, dt, rank, shape);
    free(name);
    ir_tensor *ct = tfl_t(c, t);
    ct->data = xmalloc(nbytes);
    memcpy(ct->data, data, nbytes);
    ct->nbytes = nbytes;
    return t;
}

/* NHWC DepthToSpace / SpaceToDepth (TensorFlow's order: the block index
 * (i, j) is the outer part of the channel):  DEPTH_TO_SPACE reshapes to
 * [N,H,W,b,b,C'], SPACE_TO_DEPTH to [N,H/b,b,W/b,b,C]; both swap axes 2 and 3. */
bool tfl_depth_space(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 1, 1, 1))
        return false;
    const int x = tfl_in(c, 0), y = x < 0 ? -1 : tfl_out(c, 0);
    if (y < 0 || !copy_form(c, x, y))
        return false;
    const ir_tensor *t = tfl_t(c, x);
    const int64_t b = c->o.block_size;
    if (t->rank != 4 || b < 1)
        return tfl_op_fail(c, "needs a 4-D NHWC input and block_size >= 1 (got rank %d, block_size %lld)", t->rank,
                           (long long)b);
    const int64_t N = t->shape[0], H = t->shape[1], W = t->shape[2], C = t->shape[3];
    int64_t s1[6], s2[6], out[4];
    if (c->builtin == B_DEPTH_TO_SPACE) {
        if (C % (b * b))
            return tfl_op_fail(c, "channels %lld are not a multiple of block_size^2 = %lld", (long long)C,
                               (long long)(b * b));
        const int64_t a[6] = {N, H, W, b, b, C / (b * b)}, o[4] = {N, H * b, W * b, C / (b * b)};
        memcpy(s1, a, sizeof a);
        memcpy(out, o, sizeof o);
    } else {
        if (H % b || W % b)
            return tfl_op_fail(c, "height %lld and width %lld are not multiples of block_size %lld", (long long)H,
                               (long long)W, (long long)b);
        const int64_t a[6] = {N, H / b, b, W / b, b, C}, o[4] = {N, H / b, W / b, C * b * b};
        memcpy(s1, a, sizeof a);
        memcpy(out, o, sizeof o);
    }
    static const int perm[6] = {0, 1, 3, 2, 4, 5};
    for (int d = 0; d < 6; d++)
        s2[d] = s1[perm[d]];
    if (!check_out(c, y, 4, out))
        return false;
    const int r1 = tfl_temp(c, x, "_blocks", 6, s1), r2 = tfl_temp(c, x, "_moved", 6, s2);
    tfl_node(c, IR_OP_RESHAPE, 1, &x, 1, &r1);
    const int n = tfl_node(c, IR_OP_TRANSPOSE, 1, &r1, 1, &r2);
    memcpy(c->g->nodes[n].attr.perm, perm, sizeof perm);
    tfl_node(c, IR_OP_RESHAPE, 1, &r2, 1, &y);
    return true;
}

/* TILE: per axis with multiples > 1, a Concat of that many copies. */
bool tfl_tile(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int x = tfl_in(c, 0);
    int64_t rep[IR_MAX_DIMS];
    int nr;
    if (x < 0 || !tfl_const_ints(c, 1, rep, IR_MAX_DIMS, &nr, "multiples"))
        return false;
    const int y = tfl_out(c, 0);
    if (y < 0 || !copy_form(c, x, y))
        return false;
    const int r = tfl_t(c, x)->rank;
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, tfl_t(c, x)->shape, sizeof shape);
    if (nr != r)
        return tfl_op_fail(c, "multiples has %d entries for an input of rank %d", nr, r);
    int last = -1;
    for (int d = 0; d < r; d++) {
        if (rep[d] < 1 || rep[d] > 4096)
            return tfl_op_fail(c, "unsupported: multiples[%d] = %lld (1 to 4096)", d, (long long)rep[d]);
        if (rep[d] != 1)
            last = d;
    }
    int64_t full[IR_MAX_DIMS] = {0};
    for (int d = 0; d < r; d++)
        full[d] = shape[d] * rep[d];
    if (!check_out(c, y, r, full))
        return false;
    if (last < 0) {
        tfl_node(c, IR_OP_RESHAPE, 1, &x, 1, &y);   /* all 1s: a copy */
        return true;
    }
    int cur = x;
    for (int d = 0; d <= last; d++) {
        if (rep[d] == 1)
            continue;
        shape[d] *= rep[d];
        const int t = d == last ? y : tfl_temp(c, x, "_tiled", r, shape);
        int *in = xmalloc((size_t)rep[d] * sizeof *in);
        for (int64_t k = 0; k < rep[d]; k++)
            in[k] = cur;
        const int n = tfl_node(c, IR_OP_CONCAT, (int)rep[d], in, 1, &t);
        free(in);
        c->g->nodes[n].attr.axis = d;
        cur = t;
    }
    return true;
}

/* Numpy broadcast of two shapes into out; false when they do not broadcast. */
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

/* BROADCAST_TO: Y = Where(true, X, X) with the true of the target's rank,
 * the select kernel being the broadcast copy (as ONNX Expand). */
bool tfl_broadcast_to(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int x = tfl_in(c, 0);
    int64_t shape[IR_MAX_DIMS];
    int n;
    if (x < 0 || !tfl_const_ints(c, 1, shape, IR_MAX_DIMS, &n, "shape"))
        return false;
    const int y = tfl_out(c, 0);
    if (y < 0 || !copy_form(c, x, y))
        return false;
    const ir_tensor *t = tfl_t(c, x);
    int r;
    int64_t out[IR_MAX_DIMS];
    if (!bshape(t->rank, t->shape, n, shape, &r, out) || r != n)
        return tfl_op_fail(c, "input '%s' does not broadcast to the shape given", t->name);
    for (int d = 0; d < n; d++)
        if (out[d] != shape[d])
            return tfl_op_fail(c, "input '%s' does not broadcast to the shape given", t->name);
    if (!check_out(c, y, n, shape))
        return false;
    int64_t ones[IR_MAX_DIMS];
    for (int d = 0; d < IR_MAX_DIMS; d++)
        ones[d] = 1;
    const uint8_t one = 1;
    const int tr = const_tensor(c, y, "_true", IR_DT_BOOL, n, ones, &one, 1);
    const int in[3] = {tr, x, x};
    tfl_node(c, IR_OP_WHERE, 3, in, 1, &y);
    return true;
}

/* PRELU: y = x < 0 ? alpha*x : x, alpha broadcast to x (as ONNX PRelu);
 * int8 is TFLM's quantized Prelu (IR PRelu, passes/lower_ext_s8.c). */
bool tfl_prelu(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int x = tfl_in(c, 0), a = x < 0 ? -1 : tfl_in(c, 1), y = a < 0 ? -1 : tfl_out(c, 0);
    const bool s8 = y >= 0 && int8_form(c, x) && int8_form(c, a) && int8_form(c, y);
    if (y >= 0 && !s8 && int8_form(c, x) && tfl_t(c, a)->dtype == IR_DT_S8 && tfl_t(c, a)->q.n > 1)
        return tfl_op_fail(c, "unsupported: int8 PRELU with alpha '%s' quantized per channel (%d scales; "
                           "TFLite-Micro's kernel takes one alpha scale)", tfl_t(c, a)->name, tfl_t(c, a)->q.n);
    if (y < 0 || (!s8 && (!tfl_float_only(c, x) || !tfl_float_only(c, a) || !tfl_float_only(c, y))))
        return false;
    int r;
    int64_t shape[IR_MAX_DIMS], xs[IR_MAX_DIMS];
    const int xr = tfl_t(c, x)->rank;
    memcpy(xs, tfl_t(c, x)->shape, sizeof xs);
    if (!bshape(xr, xs, tfl_t(c, a)->rank, tfl_t(c, a)->shape, &r, shape) || r != xr ||
        memcmp(shape, xs, (size_t)r * sizeof *xs) || !check_out(c, y, r, shape))
        return tfl_op_fail(c, "alpha does not broadcast to the input's shape, or the output is not that shape");
    if (s8) {
        const int in[2] = {x, a};
        tfl_node(c, IR_OP_PRELU, 2, in, 1, &y);
        return true;
    }
    const int64_t one[1] = {1};
    const float zero = 0.0f;
    const int z = const_tensor(c, y, "_zero", IR_DT_F32, 1, one, &zero, sizeof zero);
    char *name = xasprintf("%s_neg", tfl_t(c, y)->name);
    const int neg = ir_add_tensor(c->g, name, IR_DT_BOOL, r, shape);
    free(name);
    const int scaled = tfl_temp(c, y, "_scaled", r, shape);
    const int lt[2] = {x, z}, mul[2] = {x, a}, sel[3] = {neg, scaled, x};
    tfl_node(c, IR_OP_LESS, 2, lt, 1, &neg);
    tfl_node(c, IR_OP_MUL, 2, mul, 1, &scaled);
    tfl_node(c, IR_OP_WHERE, 3, sel, 1, &y);
    return true;
}

bool tfl_gelu(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 1, 1, 1))
        return false;
    const int x = tfl_in(c, 0), y = x < 0 ? -1 : tfl_out(c, 0);
    /* int8: TFLite's table of the float function (passes/lower_ext_s8.c) */
    if (y < 0 || (!(int8_form(c, x) && int8_form(c, y)) && (!tfl_float_only(c, x) || !tfl_float_only(c, y))) ||
        !check_out(c, y, tfl_t(c, x)->rank, tfl_t(c, x)->shape))
        return false;
    tfl_node(c, c->o.approximate ? IR_OP_GELU_TANH : IR_OP_GELU, 1, &x, 1, &y);
    return true;
}

bool tfl_cumsum(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int x = tfl_in(c, 0);
    int64_t axis;
    int na;
    if (x < 0 || !tfl_const_ints(c, 1, &axis, 1, &na, "axis"))
        return false;
    const int y = tfl_out(c, 0);
    /* int8: TFLM's quantized CumSum (passes/lower_ext_s8.c) */
    if (y < 0 || (!(int8_form(c, x) && int8_form(c, y)) && (!tfl_float_only(c, x) || !tfl_float_only(c, y))) ||
        !check_out(c, y, tfl_t(c, x)->rank, tfl_t(c, x)->shape))
        return false;
    const int r = tfl_t(c, x)->rank;
    const int n = tfl_node(c, IR_OP_CUMSUM, 1, &x, 1, &y);
    if (na != 1 || !import_cumsum_attrs(&c->g->nodes[n], axis, r, c->o.exclusive, c->o.reverse))
        return tfl_op_fail(c, "axis must be one value in [%d, %d)", -r, r);
    return true;
}

enum { GATHER_ND_MAX_INDICES = 4096 };

/* The flat row index of each index tuple of GATHER_ND's constant indices
 * (k values each) into x's first k dims; refuses an out-of-range one. */
static bool flat_rows(tfl_ctx *c, const int64_t *iv, int64_t m, int k, const int64_t *xs, int32_t *rows)
{
    for (int64_t j = 0; j < m; j++) {
        int64_t r = 0;
        for (int d = 0; d < k; d++) {
            const int64_t v = iv[j * k + d];
            if (v < 0 || v >= xs[d])
                return tfl_op_fail(c, "index %lld of tuple %lld is out of range [0, %lld) for dim %d",
                                   (long long)v, (long long)j, (long long)xs[d], d);
            r = r * xs[d] + v;
        }
        rows[j] = (int32_t)r;
    }
    return true;
}

/* GATHER_ND: y[j..., rest] = x[indices[j...], rest]; with constant indices
 * (checked here) that is a Gather along axis 0 of x reshaped to [rows,
 * rest], with indices computed at run time the IR's GatherND. */
bool tfl_gather_nd(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    const int x = tfl_in(c, 0), ix = x < 0 ? -1 : tfl_in(c, 1), y = ix < 0 ? -1 : tfl_out(c, 0);
    if (y < 0 || !copy_form(c, x, y))
        return false;
    const ir_tensor *it = tfl_t(c, ix);
    if (!ir_is_const(it) && it->dtype != IR_DT_S32)
        return tfl_op_fail(c, "unsupported: GATHER_ND with %s indices '%s' computed at run time (int32, as "
                           "TFLite-Micro)", ir_dtype_name(it->dtype), it->name);
    const int xr = tfl_t(c, x)->rank, ir = it->rank;
    int64_t xs[IR_MAX_DIMS];
    memcpy(xs, tfl_t(c, x)->shape, sizeof xs);
    const int k = ir > 0 ? (int)it->shape[ir - 1] : 0;
    if (ir < 1 || k < 1 || k > xr)
        return tfl_op_fail(c, "indices need rank >= 1 and a last dim in [1, %d] (the input's rank)", xr);
    int64_t out[IR_MAX_DIMS], m = 1, rows = 1;
    int orank = 0;
    for (int d = 0; d < ir - 1; d++)
        m *= out[orank++] = it->shape[d];
    for (int d = k; d < xr; d++)
        out[orank++] = xs[d];
    if (m < 1)
        return tfl_op_fail(c, "indices '%s' hold no index tuple", it->name);
    if (orank > IR_MAX_DIMS || !check_out(c, y, orank, out))
        return orank > IR_MAX_DIMS ? tfl_op_fail(c, "the output would have rank %d", orank) : false;
    if (!ir_is_const(it)) {     /* indices computed at run time: the GatherND kernel */
        const int in[2] = {x, ix};
        tfl_node(c, IR_OP_GATHER_ND, 2, in, 1, &y);
        return true;
    }
    int64_t *iv = xmalloc(GATHER_ND_MAX_INDICES * sizeof *iv);
    int nv;
    int32_t *flat = xmalloc((size_t)(m > 0 ? m : 1) * sizeof *flat);
    bool ok = tfl_const_ints(c, 1, iv, GATHER_ND_MAX_INDICES, &nv, "indices") && flat_rows(c, iv, m, k, xs, flat);
    free(iv);
    if (!ok) {
        free(flat);
        return false;
    }
    for (int d = 0; d < k; d++)
        rows *= xs[d];
    int64_t s1[IR_MAX_DIMS], s2[IR_MAX_DIMS];
    s1[0] = rows;
    s2[0] = m;
    for (int d = k; d < xr; d++)
        s1[1 + d - k] = s2[1 + d - k] = xs[d];
    const int r1 = 1 + xr - k;
    const int xf = tfl_temp(c, x, "_rows", r1, s1), g = tfl_temp(c, y, "_gathered", r1, s2);
    const int fi = const_tensor(c, y, "_flat_indices", IR_DT_S32, 1, &m, flat, (size_t)m * sizeof *flat);
    free(flat);
    const int in[2] = {xf, fi};
    tfl_node(c, IR_OP_RESHAPE, 1, &x, 1, &xf);
    const int n = tfl_node(c, IR_OP_GATHER, 2, in, 1, &g);
    c->g->nodes[n].attr.axis = 0;
    tfl_node(c, IR_OP_RESHAPE, 1, &g, 1, &y);
    return true;
}
