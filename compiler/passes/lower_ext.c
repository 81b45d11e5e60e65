/*
 * lower_ext.c - lowering of the extended operator set (ir_ops.def, the block
 * from ABS to GATHER) to runtime/kernels/{unary_ext_f32,broadcast_ext,
 * reduce_ext_f32,gather_ext}.c (include/kiln/kernels_ext.h).
 *
 * Float math, Pow (but for an int32/int64 base), the Reduce family and
 * ArgMax/ArgMin take float32 only:
 * a quantized or integer operand is refused here, naming the op and the
 * dtype (the int8 forms TFLite-Micro has kernels for were claimed before, by
 * lower_ext_s8.c; none is guessed).
 * Comparisons take float32 and plain integers; logic and Not take bool;
 * Where, Gather, GatherElements and GatherND move elements of any size.
 * Claims nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "kiln/kernels_ext.h"
#include "passes/lower.h"
#include "passes/lower_util.h"
#include "util/sbuf.h"

static const ir_tensor *T(const ir_graph *g, int i)
{
    return &g->tensors[i];
}

static bool plain_f32(const ir_tensor *t)
{
    return t->dtype == IR_DT_F32 && t->q.n == 0;
}

static int need_f32(ir_graph *g, int node, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] >= 0 && !plain_f32(T(g, nd->in[k])))
            return lower_fail(err, errlen, g, node,
                              "unsupported: %s on %s%s input '%s' (Kiln computes it in float32 only)",
                              ir_op_name(nd->op), T(g, nd->in[k])->q.n ? "quantized " : "",
                              ir_dtype_name(T(g, nd->in[k])->dtype), T(g, nd->in[k])->name);
    if (!lower_fits_i32(ir_numel(T(g, nd->in[0]))) || !lower_fits_i32(ir_numel(T(g, nd->out[0]))))
        return lower_fail(err, errlen, g, node, "tensor of more than 2^31 elements");
    return 1;
}

/* ---- unary ------------------------------------------------------------- */

static int lower_unary_ext(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    if (need_f32(g, node, err, errlen) < 0)
        return -1;
    if (!plain_f32(T(g, nd->out[0])) || ir_numel(T(g, nd->in[0])) != ir_numel(T(g, nd->out[0])))
        return lower_fail(err, errlen, g, node, "output must be float32 of the input's size");
    /* The kernel's enum follows ir_ops.def's order from ABS to SQUARE. */
    const int fn = (int)(nd->op - IR_OP_ABS);
    const int32_t n = (int32_t)ir_numel(T(g, nd->out[0]));
    const kiln_unary_ext_params up = {.size = n, .fn = fn, .alpha = nd->attr.alpha, .beta = nd->attr.beta};
    lir_call *c = LIR_CALL(p, node, "kiln_unary_ext_f32", kiln_unary_ext_params, &up);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    if (nd->attr.act.on) {
        const kiln_unary_f32_params cp = {.size = n, .lo = nd->attr.act.lo, .hi = nd->attr.act.hi};
        lir_call *k = LIR_CALL(p, node, "kiln_clip_f32", kiln_unary_f32_params, &cp);
        lir_in(k, nd->out[0]);
        lir_out(k, nd->out[0]);
    }
    return 1;
}

static int lower_not(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    if (T(g, nd->in[0])->dtype != IR_DT_BOOL || T(g, nd->out[0])->dtype != IR_DT_BOOL)
        return lower_fail(err, errlen, g, node, "unsupported: Not on %s (bool only)",
                          ir_dtype_name(T(g, nd->in[0])->dtype));
    const kiln_unary_ext_params up = {.size = (int32_t)ir_numel(T(g, nd->out[0]))};
    lir_call *c = LIR_CALL(p, node, "kiln_not_bool", kiln_unary_ext_params, &up);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* ---- broadcasting ------------------------------------------------------ */

/* Element strides of `in` read at Y's dims (0 where broadcast); false when
 * it does not broadcast. */
static bool bstrides(const ir_tensor *y, const ir_tensor *in, int32_t *st)
{
    if (in->rank > y->rank)
        return false;
    int64_t s = 1;
    for (int d = y->rank - 1; d >= 0; d--) {
        const int di = d - (y->rank - in->rank);
        const int64_t e = di >= 0 ? in->shape[di] : 1;
        if (e != 1 && e != y->shape[d])
            return false;
        st[d] = e == 1 ? 0 : (int32_t)s;
        s *= e;
    }
    return true;
}

/* kiln_bcast_params for Y and up to three operands. */
static bool bcast_init(const ir_graph *g, const ir_node *nd, int ia, int ib, int ic, int fn,
                       kiln_bcast_params *bp)
{
    const ir_tensor *y = T(g, nd->out[0]);
    memset(bp, 0, sizeof *bp);
    int32_t *sh = bp->shape, *st[3] = {bp->a_stride, bp->b_stride, bp->c_stride};
    const int ops[3] = {ia, ib, ic};
    for (int k = 0; k < 3; k++)
        if (ops[k] >= 0 && !bstrides(y, T(g, ops[k]), st[k]))
            return false;
    if (!lower_fits_i32(ir_numel(y)))
        return false;
    int r = y->rank;
    for (int d = 0; d < r; d++)
        sh[d] = (int32_t)y->shape[d];
    if (r == 0) {
        sh[0] = 1;
        r = 1;
    }
    bp->rank = r, bp->fn = fn;
    return true;
}

static const char *cmp_kernel(ir_dtype dt)
{
    switch (dt) {
    case IR_DT_F32: return "kiln_compare_f32";
    case IR_DT_S8: return "kiln_compare_int8";
    case IR_DT_U8: return "kiln_compare_uint8";
    case IR_DT_S16: return "kiln_compare_int16";
    case IR_DT_S32: return "kiln_compare_int32";
    case IR_DT_S64: return "kiln_compare_int64";
    default: return NULL;
    }
}

/* Integer Pow: a plain int32/int64 base and output, the exponent of the
 * base's type or float32; NULL for anything else (then float32 only). */
static const char *pow_int_kernel(const ir_graph *g, const ir_node *nd)
{
    const ir_tensor *a = T(g, nd->in[0]), *b = T(g, nd->in[1]), *y = T(g, nd->out[0]);
    if ((a->dtype != IR_DT_S32 && a->dtype != IR_DT_S64) || y->dtype != a->dtype || a->q.n || b->q.n || y->q.n)
        return NULL;
    if (b->dtype == a->dtype)
        return a->dtype == IR_DT_S32 ? "kiln_pow_int32" : "kiln_pow_int64";
    if (b->dtype == IR_DT_F32)
        return a->dtype == IR_DT_S32 ? "kiln_pow_int32_f32" : "kiln_pow_int64_f32";
    return NULL;
}

static int lower_binary_ext(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *a = T(g, nd->in[0]), *b = T(g, nd->in[1]);
    const char *k;
    int fn = 0;
    if (nd->op == IR_OP_POW && pow_int_kernel(g, nd)) {
        k = pow_int_kernel(g, nd);
    } else if (nd->op == IR_OP_POW) {
        if (need_f32(g, node, err, errlen) < 0)
            return -1;
        k = "kiln_pow_f32";
    } else if (nd->op >= IR_OP_AND) {
        if (a->dtype != IR_DT_BOOL || b->dtype != IR_DT_BOOL)
            return lower_fail(err, errlen, g, node, "unsupported: %s on %s and %s (bool only)",
                              ir_op_name(nd->op), ir_dtype_name(a->dtype), ir_dtype_name(b->dtype));
        k = "kiln_logic_bool";
        fn = nd->op == IR_OP_AND ? KILN_LOGIC_AND : nd->op == IR_OP_OR ? KILN_LOGIC_OR : KILN_LOGIC_XOR;
    } else {
        k = cmp_kernel(a->dtype);
        if (!k || a->dtype != b->dtype || a->q.n || b->q.n)
            return lower_fail(err, errlen, g, node, "unsupported: %s on %s%s and %s (float32 or plain "
                              "int8/uint8/int16/int32/int64 of one type)", ir_op_name(nd->op),
                              a->q.n ? "quantized " : "", ir_dtype_name(a->dtype), ir_dtype_name(b->dtype));
        fn = nd->op == IR_OP_EQUAL ? KILN_CMP_EQ : nd->op == IR_OP_GREATER ? KILN_CMP_GT
           : nd->op == IR_OP_GREATER_EQUAL ? KILN_CMP_GE : nd->op == IR_OP_LESS ? KILN_CMP_LT : KILN_CMP_LE;
    }
    kiln_bcast_params bp;
    if (!bcast_init(g, nd, nd->in[0], nd->in[1], -1, fn, &bp))
        return lower_fail(err, errlen, g, node, "inputs do not broadcast to the output");
    lir_call *c = LIR_CALL(p, node, k, kiln_bcast_params, &bp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_out(c, nd->out[0]);
    return 1;
}

static int lower_where(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *y = T(g, nd->out[0]);
    const size_t es = ir_dtype_size(y->dtype);
    if (T(g, nd->in[0])->dtype != IR_DT_BOOL || T(g, nd->in[1])->dtype != y->dtype ||
        T(g, nd->in[2])->dtype != y->dtype || !ir_same_quant(T(g, nd->in[1]), y) ||
        !ir_same_quant(T(g, nd->in[2]), y) || (es != 1 && es != 2 && es != 4 && es != 8))
        return lower_fail(err, errlen, g, node, "unsupported: Where needs a bool condition and two "
                          "inputs of the output's type and quantization");
    kiln_bcast_params bp;
    if (!bcast_init(g, nd, nd->in[1], nd->in[2], nd->in[0], (int)es, &bp))
        return lower_fail(err, errlen, g, node, "inputs do not broadcast to the output");
    lir_call *c = LIR_CALL(p, node, "kiln_where", kiln_bcast_params, &bp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_in(c, nd->in[2]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* ---- reductions -------------------------------------------------------- */

static int lower_reduce_ext(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    if (need_f32(g, node, err, errlen) < 0)
        return -1;
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    int32_t sh[IR_MAX_DIMS], ys[IR_MAX_DIMS] = {0};
    int64_t kept = 1, s = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        const bool red = (nd->attr.axes_mask >> d) & 1u;
        sh[d] = (int32_t)x->shape[d];
        ys[d] = red ? 0 : (int32_t)s;
        if (!red) {
            s *= x->shape[d];
            kept *= x->shape[d];
        }
    }
    if (kept != ir_numel(y))
        return lower_fail(err, errlen, g, node, "output has %lld elements, the kept axes give %lld",
                          (long long)ir_numel(y), (long long)kept);
    int r = x->rank;
    if (r == 0) {
        sh[0] = 1;
        r = 1;
    }
    for (int d = r; d < IR_MAX_DIMS; d++)
        sh[d] = 1;
    static const int fns[] = {KILN_RED_SUM, KILN_RED_MAX, KILN_RED_MIN, KILN_RED_PROD, KILN_RED_L1,
                              KILN_RED_L2, KILN_RED_SUM_SQUARE, KILN_RED_LOG_SUM_EXP};
    kiln_reduce_ext_params rp = {.rank = r, .out_size = (int32_t)kept, .fn = fns[nd->op - IR_OP_REDUCE_SUM]};
    memcpy(rp.in_shape, sh, sizeof rp.in_shape);
    memcpy(rp.y_stride, ys, sizeof rp.y_stride);
    lir_call *c = LIR_CALL(p, node, "kiln_reduce_ext_f32", kiln_reduce_ext_params, &rp);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    return 1;
}

static void axis_split(const ir_tensor *x, int axis, int64_t *outer, int64_t *inner)
{
    *outer = *inner = 1;
    for (int d = 0; d < axis; d++)
        *outer *= x->shape[d];
    for (int d = axis + 1; d < x->rank; d++)
        *inner *= x->shape[d];
}

static int lower_arg(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    if (need_f32(g, node, err, errlen) < 0)
        return -1;
    const ir_tensor *x = T(g, nd->in[0]);
    const int axis = nd->attr.axis;
    if (axis < 0 || axis >= x->rank || x->shape[axis] < 1 || T(g, nd->out[0])->dtype != IR_DT_S64)
        return lower_fail(err, errlen, g, node, "needs a non-empty axis and an int64 output");
    int64_t outer, inner;
    axis_split(x, axis, &outer, &inner);
    const kiln_arg_params ap = {.outer = (int32_t)outer, .n = (int32_t)x->shape[axis],
                                .inner = (int32_t)inner, .is_min = nd->op == IR_OP_ARGMIN,
                                .last = nd->attr.select_last ? 1 : 0};
    lir_call *c = LIR_CALL(p, node, "kiln_arg_f32", kiln_arg_params, &ap);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    return 1;
}

static int lower_gather(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *it = T(g, nd->in[1]), *y = T(g, nd->out[0]);
    const int axis = nd->attr.axis;
    if (it->dtype != IR_DT_S64 && it->dtype != IR_DT_S32)
        return lower_fail(err, errlen, g, node, "unsupported: Gather indices of type %s (int32/int64)",
                          ir_dtype_name(it->dtype));
    if (x->dtype != y->dtype || !ir_same_quant(x, y) || axis < 0 || axis >= x->rank || x->shape[axis] < 1)
        return lower_fail(err, errlen, g, node, "Gather needs X and Y of one type and a non-empty axis");
    int64_t outer, inner;
    axis_split(x, axis, &outer, &inner);
    const int64_t row = inner * (int64_t)ir_dtype_size(x->dtype);
    if (!lower_fits_i32(row) || !lower_fits_i32(ir_numel(y)))
        return lower_fail(err, errlen, g, node, "tensor of more than 2^31 elements");
    const kiln_gather_ext_params gp = {.outer = (int32_t)outer, .n = (int32_t)x->shape[axis],
                                       .inner_bytes = (int32_t)row, .n_idx = (int32_t)ir_numel(it)};
    lir_call *c = LIR_CALL(p, node, it->dtype == IR_DT_S64 ? "kiln_gather_i64" : "kiln_gather_i32",
                           kiln_gather_ext_params, &gp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_out(c, nd->out[0]);
    return 1;
}

static int lower_topk_cumsum(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    const int axis = nd->attr.axis;
    if (axis < 0 || axis >= x->rank || x->q.n || y->dtype != x->dtype || !lower_fits_i32(ir_numel(x)))
        return lower_fail(err, errlen, g, node, "needs an axis of X and an output of X's type");
    int64_t outer, inner;
    axis_split(x, axis, &outer, &inner);
    lir_call *c;
    if (nd->op == IR_OP_TOPK) {
        const char *k = x->dtype == IR_DT_F32 ? "kiln_topk_f32" : x->dtype == IR_DT_S64 ? "kiln_topk_int64" : NULL;
        if (!k)
            return lower_fail(err, errlen, g, node, "unsupported: TopK on %s (float32, int64)", ir_dtype_name(x->dtype));
        const kiln_topk_params tp = {.outer = (int32_t)outer, .n = (int32_t)x->shape[axis],
                                     .inner = (int32_t)inner, .k = (int32_t)y->shape[axis],
                                     .smallest = nd->attr.smallest ? 1 : 0};
        c = LIR_CALL(p, node, k, kiln_topk_params, &tp);
        lir_in(c, nd->in[0]);
        lir_out(c, nd->out[0]);
        lir_out(c, nd->n_out > 1 ? nd->out[1] : -1);
        return 1;
    }
    const char *k = x->dtype == IR_DT_F32 ? "kiln_cumsum_f32" : x->dtype == IR_DT_S32 ? "kiln_cumsum_int32"
                  : x->dtype == IR_DT_S64 ? "kiln_cumsum_int64" : NULL;
    if (!k)
        return lower_fail(err, errlen, g, node, "unsupported: CumSum on %s (float32, int32, int64)",
                          ir_dtype_name(x->dtype));
    const kiln_cumsum_params cp = {.outer = (int32_t)outer, .n = (int32_t)x->shape[axis],
                                   .inner = (int32_t)inner, .exclusive = nd->attr.exclusive ? 1 : 0,
                                   .reverse = nd->attr.reverse ? 1 : 0};
    c = LIR_CALL(p, node, k, kiln_cumsum_params, &cp);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    return 1;
}

static int lower_gather_elements(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *it = T(g, nd->in[1]), *y = T(g, nd->out[0]);
    const int axis = nd->attr.axis;
    if ((it->dtype != IR_DT_S64 && it->dtype != IR_DT_S32) || x->dtype != y->dtype || !ir_same_quant(x, y) ||
        axis < 0 || axis >= x->rank || it->rank != x->rank || x->rank < 1 || !lower_fits_i32(ir_numel(x)))
        return lower_fail(err, errlen, g, node, "GatherElements needs int32/int64 indices of X's rank, X and Y "
                          "of one type");
    kiln_gather_elements_params gp = {.rank = x->rank, .axis = axis, .n = (int32_t)x->shape[axis],
                                      .elem_size = (int32_t)ir_dtype_size(x->dtype)};
    int64_t s = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        gp.x_stride[d] = (int32_t)s;
        s *= x->shape[d];
        gp.shape[d] = (int32_t)it->shape[d];
    }
    lir_call *c = LIR_CALL(p, node, it->dtype == IR_DT_S64 ? "kiln_gather_elements_i64" : "kiln_gather_elements_i32",
                           kiln_gather_elements_params, &gp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* GatherND (ir_ops.def): X as slices of its dims from k on; each index
 * component's stride counts slices. */
static int lower_gather_nd(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *it = nd->n_in > 1 && nd->in[1] >= 0 ? T(g, nd->in[1]) : NULL,
                    *y = T(g, nd->out[0]);
    const int k = it && it->rank >= 1 ? (int)it->shape[it->rank - 1] : 0;
    if (!it || it->dtype != IR_DT_S32 || k < 1 || k > x->rank || x->dtype != y->dtype || !ir_same_quant(x, y) ||
        !lower_fits_i32(ir_nbytes(x)) || !lower_fits_i32(ir_numel(it)))
        return lower_fail(err, errlen, g, node, "GatherND needs int32 indices [..., k] with 1 <= k <= X's rank "
                          "and X, Y of one type");
    kiln_gather_nd_params gp = {.n_slices = (int32_t)(ir_numel(it) / k), .k = k};
    int64_t slice = 1;
    for (int d = k; d < x->rank; d++)
        slice *= x->shape[d];
    if (ir_numel(y) != gp.n_slices * slice)
        return lower_fail(err, errlen, g, node, "output '%s' has %lld elements, the gathered slices %lld", y->name,
                          (long long)ir_numel(y), (long long)(gp.n_slices * slice));
    gp.slice_bytes = (int32_t)(slice * (int64_t)ir_dtype_size(x->dtype));
    int64_t s = 1;
    for (int d = k - 1; d >= 0; d--) {
        gp.dims[d] = (int32_t)x->shape[d];
        gp.stride[d] = (int32_t)s;
        s *= x->shape[d];
    }
    lir_call *c = LIR_CALL(p, node, "kiln_gather_nd_i32", kiln_gather_nd_params, &gp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_out(c, nd->out[0]);
    return 1;
}

int lower_ext(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_op op = nd->op;
    if (op < IR_OP_ABS || op > IR_OP_GATHER_ND)
        return 0;
    if (nd->n_out < 1 || nd->out[0] < 0 || nd->n_in < 1 || nd->in[0] < 0)
        return lower_fail(err, errlen, g, node, "missing input or output");
    if (op <= IR_OP_SQUARE)
        return lower_unary_ext(g, node, p, err, errlen);
    if (op >= IR_OP_POW && op <= IR_OP_XOR)
        return lower_binary_ext(g, node, p, err, errlen);
    if (op == IR_OP_NOT)
        return lower_not(g, node, p, err, errlen);
    if (op == IR_OP_WHERE)
        return lower_where(g, node, p, err, errlen);
    if (op >= IR_OP_REDUCE_SUM && op <= IR_OP_REDUCE_LOG_SUM_EXP)
        return lower_reduce_ext(g, node, p, err, errlen);
    if (op == IR_OP_ARGMAX || op == IR_OP_ARGMIN)
        return lower_arg(g, node, p, err, errlen);
    if (op == IR_OP_GATHER)
        return lower_gather(g, node, p, err, errlen);
    if (op == IR_OP_GATHER_ELEMENTS)
        return lower_gather_elements(g, node, p, err, errlen);
    if (op == IR_OP_GATHER_ND)
        return lower_gather_nd(g, node, p, err, errlen);
    return lower_topk_cumsum(g, node, p, err, errlen);
}
