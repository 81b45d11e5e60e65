/*
 * lower_ext_s8.c - lowering of the int8 forms of the extended operator set
 * to runtime/kernels/ext_s8.c (include/kiln/kernels_ext_s8.h): comparisons
 * (TFLM's scaled comparison), REDUCE_MAX/MIN and ARG_MAX/MIN (stored values,
 * no arithmetic), ABS, SQUARED_DIFFERENCE, PRELU and CUMSUM (requantized), RSQRT, ELU and
 * GELU (256-entry tables built with TFLite's steps, lut_s8.c).
 *
 * Claims an extended-set node only when one of its operands is quantized
 * int8; everything TFLM's Prepare computes in floating point (the
 * multipliers) is computed here with quant_util.c, exactly as TFLM forms it
 * (float or double where it uses float or double).  What TFLM itself
 * refuses (REDUCE_MAX with a changed quantization, a comparison scale of 1
 * or more) is refused by name; int8 forms of other ops are refused saying
 * Kiln has no bit-exact int8 kernel for them.  Never emits a call it has
 * not validated.
 */
#include <string.h>

#include "kiln/kernels_ext_s8.h"
#include "passes/lower.h"
#include <math.h>

#include "passes/lower_util.h"
#include "passes/lut_s8.h"
#include "passes/quant_util.h"

static const ir_tensor *T(const ir_graph *g, int i)
{
    return &g->tensors[i];
}

static bool is_qs8(const ir_tensor *t)
{
    return t->dtype == IR_DT_S8 && t->q.n == 1;
}

static bool any_s8(const ir_graph *g, const ir_node *nd)
{
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] >= 0 && T(g, nd->in[k])->dtype == IR_DT_S8 && T(g, nd->in[k])->q.n > 0)
            return true;
    return nd->out[0] >= 0 && T(g, nd->out[0])->dtype == IR_DT_S8 && T(g, nd->out[0])->q.n > 0;
}

/* TFLite QuantizeMultiplierSmallerThanOneExp(m): refused unless 0 < m < 1
 * (TFLM asserts it; a shift > 0 would be undefined there). */
static int smaller_than_one(ir_graph *g, int node, const ir_tensor *t, double m, int32_t *mult, int32_t *shift,
                            char *err, size_t errlen)
{
    if (!(m > 0.0 && m < 1.0))
        return lower_fail(err, errlen, g, node, "unsupported: int8 %s on '%s' with scale %g (TFLite-Micro's "
                          "input rescaling needs a multiplier in (0, 1), here %g)", ir_op_name(g->nodes[node].op),
                          t->name, (double)t->q.scale[0], m);
    int sh;
    qu_quantize_multiplier(m, mult, &sh);
    *shift = sh;
    return 1;
}

/* The shared input half of TFLM's scaled comparison and SQUARED_DIFFERENCE:
 * broadcast walk, offsets -zp, left shift, and each input's multiplier
 * (ma, mb: the real values TFLM quantizes). */
static int scaled_inputs(ir_graph *g, int node, int left_shift, double ma, double mb, kiln_cmp_s8_params *cp,
                         char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *a = T(g, nd->in[0]), *b = T(g, nd->in[1]), *y = T(g, nd->out[0]);
    memset(cp, 0, sizeof *cp);
    int32_t sh[IR_MAX_DIMS], as[IR_MAX_DIMS], bs[IR_MAX_DIMS];
    const int r = lower_broadcast(y, a, b, sh, as, bs);
    if (r < 0 || !lower_fits_i32(ir_numel(y)))
        return lower_fail(err, errlen, g, node, "inputs do not broadcast to the output");
    cp->bc.rank = r;
    memcpy(cp->bc.shape, sh, sizeof(int32_t) * (size_t)r);
    memcpy(cp->bc.a_stride, as, sizeof(int32_t) * (size_t)r);
    memcpy(cp->bc.b_stride, bs, sizeof(int32_t) * (size_t)r);
    cp->left_shift = left_shift;
    cp->a_offset = -a->q.zero_point[0];
    cp->b_offset = -b->q.zero_point[0];
    if (smaller_than_one(g, node, a, ma, &cp->a_mult, &cp->a_shift, err, errlen) < 0 ||
        smaller_than_one(g, node, b, mb, &cp->b_mult, &cp->b_shift, err, errlen) < 0)
        return -1;
    return 1;
}

/* TFLM ComparisonsPrepare: left shift 8, each multiplier the input's own
 * scale. */
static int lower_compare_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *a = T(g, nd->in[0]), *b = T(g, nd->in[1]), *y = T(g, nd->out[0]);
    if (!is_qs8(a) || !is_qs8(b) || y->dtype != IR_DT_BOOL)
        return lower_fail(err, errlen, g, node, "unsupported: %s on %s and %s (int8 comparisons need two "
                          "per-tensor quantized int8 inputs and a bool output)", ir_op_name(nd->op),
                          ir_dtype_name(a->dtype), ir_dtype_name(b->dtype));
    kiln_cmp_s8_params cp;
    if (scaled_inputs(g, node, 8, (double)a->q.scale[0], (double)b->q.scale[0], &cp, err, errlen) < 0)
        return -1;
    cp.bc.fn = nd->op == IR_OP_EQUAL ? KILN_CMP_EQ : nd->op == IR_OP_GREATER ? KILN_CMP_GT
             : nd->op == IR_OP_GREATER_EQUAL ? KILN_CMP_GE : nd->op == IR_OP_LESS ? KILN_CMP_LT : KILN_CMP_LE;
    lir_call *c = LIR_CALL(p, node, "kiln_compare_s8_scaled", kiln_cmp_s8_params, &cp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* TFLM SquaredDifferencePrepare for int8: left shift 7; inputs by
 * s / (2 max(s_a, s_b)), the square by (2 max)^2 / (2^14 s_y), in double. */
static int lower_sqdiff_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *a = T(g, nd->in[0]), *b = T(g, nd->in[1]), *y = T(g, nd->out[0]);
    if (!is_qs8(a) || !is_qs8(b) || !is_qs8(y) || nd->attr.act.on)
        return lower_fail(err, errlen, g, node, "unsupported: int8 SquaredDifference needs per-tensor quantized "
                          "int8 inputs and output");
    const double twice_max = 2.0 * (double)(a->q.scale[0] > b->q.scale[0] ? a->q.scale[0] : b->q.scale[0]);
    kiln_sqdiff_s8_params sp;
    if (scaled_inputs(g, node, 7, (double)a->q.scale[0] / twice_max, (double)b->q.scale[0] / twice_max, &sp.in,
                      err, errlen) < 0)
        return -1;
    int sh;
    const double m = twice_max * twice_max / (double)(16384.0f * y->q.scale[0]);
    if (qu_multiplier_fits(m, QU_SHIFT_MAX, &sp.out_mult, &sh) != QU_FITS)
        return lower_fail(err, errlen, g, node, "int8 SquaredDifference: output multiplier %g needs a shift "
                          "beyond %d", m, QU_SHIFT_MAX);
    sp.out_shift = sh;
    sp.out_zp = y->q.zero_point[0];
    lir_call *c = LIR_CALL(p, node, "kiln_squared_difference_s8", kiln_sqdiff_s8_params, &sp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_out(c, nd->out[0]);
    return 1;
}

static int lower_reduce_minmax_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    if (!is_qs8(x) || !is_qs8(y) || !ir_same_quant(x, y) || nd->attr.act.on)
        return lower_fail(err, errlen, g, node, "unsupported: int8 %s needs X and Y quantized alike (TFLite-Micro "
                          "requires equal scales and zero points)", ir_op_name(nd->op));
    if (!lower_fits_i32(ir_numel(x)))
        return lower_fail(err, errlen, g, node, "tensor of more than 2^31 elements");
    kiln_reduce_ext_params rp;
    memset(&rp, 0, sizeof rp);
    int64_t kept = 1, s = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        const bool red = (nd->attr.axes_mask >> d) & 1u;
        rp.in_shape[d] = (int32_t)x->shape[d];
        rp.y_stride[d] = red ? 0 : (int32_t)s;
        if (!red) {
            s *= x->shape[d];
            kept *= x->shape[d];
        }
    }
    if (kept != ir_numel(y) || ir_numel(x) == 0)
        return lower_fail(err, errlen, g, node, "output has %lld elements, the kept axes give %lld",
                          (long long)ir_numel(y), (long long)kept);
    rp.rank = x->rank;
    if (rp.rank == 0) {
        rp.rank = 1;
        rp.in_shape[0] = 1;
    }
    rp.out_size = (int32_t)kept;
    rp.fn = nd->op == IR_OP_REDUCE_MAX ? KILN_RED_MAX : KILN_RED_MIN;
    lir_call *c = LIR_CALL(p, node, "kiln_reduce_minmax_s8", kiln_reduce_ext_params, &rp);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    return 1;
}

static int lower_arg_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    const int axis = nd->attr.axis;
    if (!is_qs8(x) || (y->dtype != IR_DT_S32 && y->dtype != IR_DT_S64) || nd->attr.select_last ||
        axis < 0 || axis >= x->rank || x->shape[axis] < 1 || !lower_fits_i32(ir_numel(x)))
        return lower_fail(err, errlen, g, node, "unsupported: int8 %s needs a non-empty axis, an int32/int64 "
                          "output and the first index on ties", ir_op_name(nd->op));
    kiln_arg_params ap = {.n = (int32_t)x->shape[axis], .is_min = nd->op == IR_OP_ARGMIN};
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= x->shape[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->shape[d];
    ap.outer = (int32_t)outer;
    ap.inner = (int32_t)inner;
    lir_call *c = LIR_CALL(p, node, y->dtype == IR_DT_S32 ? "kiln_arg_s8_i32" : "kiln_arg_s8_i64",
                           kiln_arg_params, &ap);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* TFLM PrepareAbsRsqrt for ABS: rescale when the scales differ, with
 * QuantizeMultiplier((double)(float)(s_in / s_out)). */
static int lower_abs_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    if (!is_qs8(x) || !is_qs8(y) || ir_numel(x) != ir_numel(y) || nd->attr.act.on || !lower_fits_i32(ir_numel(y)))
        return lower_fail(err, errlen, g, node, "unsupported: int8 Abs needs per-tensor quantized int8 X and Y "
                          "of one size");
    kiln_abs_s8_params ap = {.size = (int32_t)ir_numel(y), .in_zp = x->q.zero_point[0],
                             .out_zp = y->q.zero_point[0]};
    const float sx = x->q.scale[0], sy = y->q.scale[0];
    ap.rescale = sx != sy;
    if (ap.rescale) {
        int sh;
        if (qu_multiplier_fits((double)(sx / sy), QU_SHIFT_MAX, &ap.mult, &sh) != QU_FITS)
            return lower_fail(err, errlen, g, node, "int8 Abs: scale ratio %g / %g needs a shift beyond %d",
                              (double)sx, (double)sy, QU_SHIFT_MAX);
        ap.shift = sh;
    }
    lir_call *c = LIR_CALL(p, node, "kiln_abs_s8", kiln_abs_s8_params, &ap);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* kiln_lut_s8 over the node's X with `table` as a new constant. */
static int lut_call(ir_graph *g, int node, lir_program *p, const char *what, const int8_t table[256])
{
    const int xi = g->nodes[node].in[0], yi = g->nodes[node].out[0];
    const kiln_lut_s8_params lp = {.size = (int32_t)ir_numel(T(g, yi))};
    const int64_t n256 = 256;
    /* The tensor array may move once a constant is added: indices only. */
    const int ti = lower_add_const(g, node, g->tensors[xi].name, what, IR_DT_S8, 1, &n256, table, 256);
    lir_call *c = LIR_CALL(p, node, "kiln_lut_s8", kiln_lut_s8_params, &lp);
    lir_in(c, xi);
    lir_in(c, ti);
    lir_out(c, yi);
    return 1;
}

/* TFLM PrepareAbsRsqrt for RSQRT: QuantizeMultiplier(1 / (sqrtf(s_in) *
 * s_out)), the float product widened to double; the kernel is a table of
 * RsqrtEvalQuantized over the 256 inputs (lut_s8.c). */
static int lower_rsqrt_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    if (!is_qs8(x) || !is_qs8(y) || ir_numel(x) != ir_numel(y) || nd->attr.act.on || !lower_fits_i32(ir_numel(y)))
        return lower_fail(err, errlen, g, node, "unsupported: int8 Rsqrt needs per-tensor quantized int8 X and Y "
                          "of one size");
    int32_t mult;
    int shift;
    const double m = 1.0 / (double)(sqrtf(x->q.scale[0]) * y->q.scale[0]);
    if (qu_multiplier_fits(m, QU_SHIFT_MAX, &mult, &shift) != QU_FITS || shift - 20 < -31)
        return lower_fail(err, errlen, g, node, "int8 Rsqrt: multiplier %g is out of TFLite-Micro's range", m);
    int8_t table[256];
    lut_rsqrt_s8(x->q.zero_point[0], mult, shift, y->q.zero_point[0], table);
    return lut_call(g, node, p, "rsqrt_table", table);
}

/* ELU (TFLM's Prepare, alpha 1) and GELU / GELU_TANH (TFLite's GELU
 * Prepare) on int8: the table their LUTPopulate fills, with TFLite's float
 * function (lut_s8.c), built here at compile time. */
static int lower_float_table_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    const bool elu = nd->op == IR_OP_ELU;
    if (!is_qs8(x) || !is_qs8(y) || ir_numel(x) != ir_numel(y) || nd->attr.act.on ||
        (elu && nd->attr.alpha != 1.0f) || !lower_fits_i32(ir_numel(y)))
        return lower_fail(err, errlen, g, node, "unsupported: int8 %s needs per-tensor quantized int8 X and Y "
                          "of one size%s", ir_op_name(nd->op), elu ? " and alpha 1 (TFLite ELU)" : "");
    float (*fn)(float) = elu ? lut_fn_elu : nd->op == IR_OP_GELU ? lut_fn_gelu : lut_fn_gelu_tanh;
    int8_t table[256];
    lut_float_s8(x->q.scale[0], x->q.zero_point[0], y->q.scale[0], y->q.zero_point[0], fn, table);
    return lut_call(g, node, p, elu ? "elu_table" : "gelu_table", table);
}

/* QuantizeMultiplier(m) within the runtime's shift range, or a refusal
 * naming `what`. */
static int full_multiplier(ir_graph *g, int node, const char *what, double m, int32_t *mult, int32_t *shift,
                           char *err, size_t errlen)
{
    int sh;
    if (qu_multiplier_fits(m, QU_SHIFT_MAX, mult, &sh) != QU_FITS)
        return lower_fail(err, errlen, g, node, "int8 %s: %s multiplier %g needs a shift beyond %d",
                          ir_op_name(g->nodes[node].op), what, m, QU_SHIFT_MAX);
    *shift = sh;
    return 1;
}

/* TFLM CalculatePreluParams: s_x / s_y and s_x s_a / s_y, in double. */
static int lower_prelu_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *a = nd->n_in > 1 && nd->in[1] >= 0 ? T(g, nd->in[1]) : NULL,
                    *y = T(g, nd->out[0]);
    if (!a || !is_qs8(x) || !is_qs8(a) || !is_qs8(y) || nd->attr.act.on)
        return lower_fail(err, errlen, g, node, "unsupported: int8 PRelu needs per-tensor quantized int8 X, "
                          "alpha and Y (TFLite-Micro's kernel takes one alpha scale)");
    kiln_prelu_s8_params pp;
    memset(&pp, 0, sizeof pp);
    int32_t sh[IR_MAX_DIMS], xs[IR_MAX_DIMS], as[IR_MAX_DIMS];
    const int r = lower_broadcast(y, x, a, sh, xs, as);
    if (r < 0 || ir_numel(y) != ir_numel(x) || !lower_fits_i32(ir_numel(y)))
        return lower_fail(err, errlen, g, node, "alpha does not broadcast to X's shape");
    pp.bc.rank = r;
    memcpy(pp.bc.shape, sh, sizeof(int32_t) * (size_t)r);
    memcpy(pp.bc.a_stride, xs, sizeof(int32_t) * (size_t)r);
    memcpy(pp.bc.b_stride, as, sizeof(int32_t) * (size_t)r);
    pp.in_offset = -x->q.zero_point[0];
    pp.alpha_offset = -a->q.zero_point[0];
    pp.out_zp = y->q.zero_point[0];
    const double sx = x->q.scale[0], sa = a->q.scale[0], sy = y->q.scale[0];
    if (full_multiplier(g, node, "identity", sx / sy, &pp.mult1, &pp.shift1, err, errlen) < 0 ||
        full_multiplier(g, node, "alpha", sx * sa / sy, &pp.mult2, &pp.shift2, err, errlen) < 0)
        return -1;
    lir_call *c = LIR_CALL(p, node, "kiln_prelu_s8", kiln_prelu_s8_params, &pp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* TFLM's quantized CUMSUM Prepare: left shift 20, inputs by s_x / (2 s_x)
 * and the sums by 2 s_x / (2^20 s_y), both in double and both
 * QuantizeMultiplierSmallerThanOneExp (refused unless in (0, 1)). */
static int lower_cumsum_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    const int axis = nd->attr.axis;
    if (!is_qs8(x) || !is_qs8(y) || ir_numel(x) != ir_numel(y) || x->rank < 1 || axis < 0 || axis >= x->rank ||
        nd->attr.act.on || !lower_fits_i32(ir_numel(x)))
        return lower_fail(err, errlen, g, node, "unsupported: int8 CumSum needs per-tensor quantized int8 X and Y "
                          "of one shape and an axis of X");
    kiln_cumsum_s8_params cp = {.left_shift = 20, .in_offset = -x->q.zero_point[0], .out_zp = y->q.zero_point[0]};
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= x->shape[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->shape[d];
    cp.line = (kiln_cumsum_params){.outer = (int32_t)outer, .n = (int32_t)x->shape[axis], .inner = (int32_t)inner,
                                   .exclusive = nd->attr.exclusive ? 1 : 0, .reverse = nd->attr.reverse ? 1 : 0};
    const double twice_max = 2.0 * (double)x->q.scale[0];
    if (smaller_than_one(g, node, x, (double)x->q.scale[0] / twice_max, &cp.in_mult, &cp.in_shift, err, errlen) < 0 ||
        smaller_than_one(g, node, y, twice_max / ((double)(1 << 20) * (double)y->q.scale[0]), &cp.out_mult,
                         &cp.out_shift, err, errlen) < 0)
        return -1;
    lir_call *c = LIR_CALL(p, node, "kiln_cumsum_s8", kiln_cumsum_s8_params, &cp);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    return 1;
}

int lower_ext_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_op op = nd->op;
    if (op < IR_OP_ABS || op > IR_OP_SQUARED_DIFFERENCE || nd->n_out < 1 || nd->out[0] < 0 || nd->n_in < 1 ||
        nd->in[0] < 0 || !any_s8(g, nd))
        return 0;
    switch (op) {
    case IR_OP_EQUAL: case IR_OP_GREATER: case IR_OP_GREATER_EQUAL: case IR_OP_LESS: case IR_OP_LESS_EQUAL:
        return lower_compare_s8(g, node, p, err, errlen);
    case IR_OP_REDUCE_MAX: case IR_OP_REDUCE_MIN:
        return lower_reduce_minmax_s8(g, node, p, err, errlen);
    case IR_OP_ARGMAX: case IR_OP_ARGMIN:
        return lower_arg_s8(g, node, p, err, errlen);
    case IR_OP_ABS:
        return lower_abs_s8(g, node, p, err, errlen);
    case IR_OP_SQUARED_DIFFERENCE:
        return lower_sqdiff_s8(g, node, p, err, errlen);
    case IR_OP_RSQRT:
        return lower_rsqrt_s8(g, node, p, err, errlen);
    case IR_OP_CUMSUM:
        return lower_cumsum_s8(g, node, p, err, errlen);
    case IR_OP_PRELU:
        return lower_prelu_s8(g, node, p, err, errlen);
    case IR_OP_ELU: case IR_OP_GELU: case IR_OP_GELU_TANH:
        return lower_float_table_s8(g, node, p, err, errlen);
    case IR_OP_WHERE: case IR_OP_GATHER: case IR_OP_GATHER_ELEMENTS: case IR_OP_GATHER_ND:
        return 0;               /* stored values move as they are: lower_ext.c, same quantization */
    default:
        return lower_fail(err, errlen, g, node, "unsupported: %s on quantized int8 (Kiln has no int8 kernel "
                          "bit-exact with TFLite-Micro's for it; it computes %s in float32)",
                          ir_op_name(op), ir_op_name(op));
    }
}
