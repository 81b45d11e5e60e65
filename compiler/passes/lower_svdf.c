/*
 * lower_svdf.c - lowers an SVDF node (ir_ops.def) to kiln_svdf_f32,
 * kiln_svdf_s8 or kiln_svdf_s8_s16.
 *
 * It checks every shape and type the kernels rely on, and for the integer
 * kernels computes at compile time what TFLite-Micro's PrepareSvdf computes:
 * the two effective scales, formed in float as TFLM does (s_a * s_b / s_c in
 * float, then widened) and turned into fixed-point multipliers with
 * quant_util, the zero points, and TFLM's bias-scale check.  The state tensor
 * is passed as a written operand, so the generated code holds a non-const
 * pointer into the arena where the planner keeps it for the whole program.
 * It adds no constants and never changes existing tensors.
 */
#include "passes/lower_svdf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "passes/lower_util.h"
#include "passes/quant_util.h"

/* The node's operands and sizes, checked. */
typedef struct svdf_shape {
    int x, wf, wt, b, s, y;
    int64_t batch, input, filters, units, rank, memory;
} svdf_shape;

static const ir_tensor *T(const ir_graph *g, int i) { return &g->tensors[i]; }

static int check_shapes(const ir_graph *g, int node, svdf_shape *k, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    if (nd->n_in != 5 || nd->n_out != 1)
        return lower_fail(err, errlen, g, node, "has %d inputs and %d outputs; SVDF takes X, "
                          "W_feature, W_time, bias (or none), state and gives one output",
                          nd->n_in, nd->n_out);
    k->x = nd->in[0], k->wf = nd->in[1], k->wt = nd->in[2], k->b = nd->in[3], k->s = nd->in[4];
    k->y = nd->out[0];
    if (k->x < 0 || k->wf < 0 || k->wt < 0 || k->s < 0 || k->y < 0)
        return lower_fail(err, errlen, g, node, "an operand other than the bias is absent");
    const ir_tensor *x = T(g, k->x), *wf = T(g, k->wf), *wt = T(g, k->wt), *s = T(g, k->s);
    const ir_tensor *y = T(g, k->y);
    if (!s->is_state || ir_is_const(s))
        return lower_fail(err, errlen, g, node, "input 4 '%s' must be a state tensor", s->name);
    if (x->rank != 2 || wf->rank != 2 || wt->rank != 2)
        return lower_fail(err, errlen, g, node, "X, W_feature and W_time must be rank 2 (are %d, %d, %d)",
                          x->rank, wf->rank, wt->rank);
    k->batch = x->shape[0], k->input = x->shape[1];
    k->filters = wf->shape[0], k->memory = wt->shape[1];
    k->rank = nd->attr.svdf_rank;
    if (k->rank < 1 || k->filters % k->rank)
        return lower_fail(err, errlen, g, node, "rank %lld does not divide the %lld filters",
                          (long long)k->rank, (long long)k->filters);
    k->units = k->filters / k->rank;
    if (wf->shape[1] != k->input || wt->shape[0] != k->filters)
        return lower_fail(err, errlen, g, node, "W_feature is [%lld, %lld] and W_time [%lld, %lld]; "
                          "expected [filters, %lld] and [%lld, memory]", (long long)wf->shape[0],
                          (long long)wf->shape[1], (long long)wt->shape[0], (long long)wt->shape[1],
                          (long long)k->input, (long long)k->filters);
    if (k->b >= 0 && ir_numel(T(g, k->b)) != k->units)
        return lower_fail(err, errlen, g, node, "bias '%s' has %lld elements; expected %lld (units)",
                          T(g, k->b)->name, (long long)ir_numel(T(g, k->b)), (long long)k->units);
    if (ir_numel(s) != k->batch * k->filters * k->memory || ir_numel(y) != k->batch * k->units)
        return lower_fail(err, errlen, g, node, "state '%s' has %lld elements and output %lld; "
                          "expected %lld (batch x filters x memory) and %lld (batch x units)",
                          s->name, (long long)ir_numel(s), (long long)ir_numel(y),
                          (long long)(k->batch * k->filters * k->memory),
                          (long long)(k->batch * k->units));
    if (k->memory < 1 || !lower_fits_i32(ir_numel(s)) || !lower_fits_i32(ir_numel(x)) ||
        !lower_fits_i32(ir_numel(wf)))
        return lower_fail(err, errlen, g, node, "memory %lld, or a tensor too large for 32-bit indexing",
                          (long long)k->memory);
    return 0;
}

static void operands(lir_call *c, const svdf_shape *k)
{
    lir_in(c, k->x);
    lir_in(c, k->wf);
    lir_in(c, k->wt);
    lir_in(c, k->b);
    lir_out(c, k->s);   /* updated in place */
    lir_out(c, k->y);
}

int lower_svdf_f32(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    svdf_shape k;
    if (check_shapes(g, node, &k, err, errlen) < 0)
        return -1;
    const int all[5] = {k.x, k.wf, k.wt, k.s, k.y};
    for (int i = 0; i < 5; i++)
        if (T(g, all[i])->dtype != IR_DT_F32 || lower_is_quant(T(g, all[i])))
            return lower_fail(err, errlen, g, node, "'%s' is %s%s; float SVDF needs float32 X, "
                              "weights, state and output", T(g, all[i])->name,
                              ir_dtype_name(T(g, all[i])->dtype),
                              lower_is_quant(T(g, all[i])) ? " (quantized)" : "");
    if (k.b >= 0 && T(g, k.b)->dtype != IR_DT_F32)
        return lower_fail(err, errlen, g, node, "bias '%s' is %s; expected float32",
                          T(g, k.b)->name, ir_dtype_name(T(g, k.b)->dtype));
    const ir_act *act = &g->nodes[node].attr.act;
    const kiln_svdf_f32_params sp = {.batch = (int32_t)k.batch, .input_size = (int32_t)k.input,
                                     .filters = (int32_t)k.filters, .units = (int32_t)k.units,
                                     .rank = (int32_t)k.rank, .memory = (int32_t)k.memory,
                                     .act_lo = act->on ? act->lo : -INFINITY,
                                     .act_hi = act->on ? act->hi : INFINITY};
    lir_call *c = LIR_CALL(p, node, "kiln_svdf_f32", kiln_svdf_f32_params, &sp);
    operands(c, &k);
    return 1;
}

/* A per-tensor quantized tensor of dtype dt; `what` names it. */
static int want_quant(const ir_graph *g, int node, int t, ir_dtype dt, bool zero_zp,
                      const char *what, char *err, size_t errlen)
{
    const ir_tensor *x = T(g, t);
    if (x->dtype != dt)
        return lower_fail(err, errlen, g, node, "%s '%s' is %s; the int8 SVDF needs %s", what,
                          x->name, ir_dtype_name(x->dtype), ir_dtype_name(dt));
    if (x->q.n != 1)
        return lower_fail(err, errlen, g, node, "%s '%s' needs one scale and zero point (has %d)",
                          what, x->name, x->q.n);
    if (!(x->q.scale[0] > 0.0f) || isinf(x->q.scale[0]))
        return lower_fail(err, errlen, g, node, "%s '%s' scale %g must be positive and finite",
                          what, x->name, (double)x->q.scale[0]);
    if (zero_zp && x->q.zero_point[0] != 0)
        return lower_fail(err, errlen, g, node, "%s '%s' has zero point %d; TFLite's SVDF "
                          "treats it as 0 (symmetric), so it must be 0", what, x->name,
                          (int)x->q.zero_point[0]);
    return 0;
}

/* Why a rescale factor does not fit the fixed-point multiply. */
static const char *factor_trouble(char *why, size_t n, float e, int shift)
{
    if (!isfinite(e))
        snprintf(why, n, "the rescale factor overflows float32 (the kernels need a finite "
                 "factor below 2^%d)", QU_SHIFT_MAX);
    else
        snprintf(why, n, "the rescale factor needs a left shift of %d bits (the kernels "
                 "take factors below 2^%d, as TFLite does)", shift, QU_SHIFT_MAX);
    return why;
}

int lower_svdf_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    svdf_shape k;
    if (check_shapes(g, node, &k, err, errlen) < 0)
        return -1;
    const ir_dtype sdt = T(g, k.s)->dtype;
    if (sdt != IR_DT_S8 && sdt != IR_DT_S16)
        return lower_fail(err, errlen, g, node, "state '%s' is %s; the int8 SVDF keeps an int8 or "
                          "int16 state", T(g, k.s)->name, ir_dtype_name(sdt));
    if (want_quant(g, node, k.x, IR_DT_S8, false, "input", err, errlen) < 0 ||
        want_quant(g, node, k.wf, IR_DT_S8, true, "W_feature", err, errlen) < 0 ||
        want_quant(g, node, k.wt, sdt, true, "W_time (same type as the state)", err, errlen) < 0 ||
        want_quant(g, node, k.s, sdt, false, "state", err, errlen) < 0 ||
        want_quant(g, node, k.y, IR_DT_S8, false, "output", err, errlen) < 0)
        return -1;
    const float sx = T(g, k.x)->q.scale[0], swf = T(g, k.wf)->q.scale[0];
    const float swt = T(g, k.wt)->q.scale[0], ss = T(g, k.s)->q.scale[0];
    const float sy = T(g, k.y)->q.scale[0];
    if (k.b >= 0) {
        const ir_tensor *b = T(g, k.b);
        if (b->dtype != IR_DT_S32)
            return lower_fail(err, errlen, g, node, "bias '%s' is %s; expected int32", b->name,
                              ir_dtype_name(b->dtype));
        /* TFLM's PrepareSvdf: |s_B - s_S*s_Wt| < 1e-5 (the product in float). */
        const double sb = b->q.n == 1 ? (double)b->q.scale[0] : 0.0;
        if (b->q.n != 1 || !(fabs(sb - (double)(ss * swt)) < 1e-5))
            return lower_fail(err, errlen, g, node, "bias '%s' scale %g must equal state scale x "
                              "W_time scale = %g (within 1e-5, as TFLite requires)", b->name, sb,
                              (double)(ss * swt));
    }
    /* TFLM forms both ratios in float and widens them to double; each must
     * fit the kernels' fixed-point multiply (QU_SHIFT_MAX). */
    const float e1 = sx * swf / ss, e2 = ss * swt / sy;
    int32_t m1, m2;
    int sh1, sh2;
    char why[160];
    if (qu_multiplier_fits((double)e1, QU_SHIFT_MAX, &m1, &sh1) != QU_FITS)
        return lower_fail(err, errlen, g, node, "input '%s' scale %g x W_feature '%s' scale %g / "
                          "state '%s' scale %g = %g: %s", T(g, k.x)->name, (double)sx,
                          T(g, k.wf)->name, (double)swf, T(g, k.s)->name, (double)ss, (double)e1,
                          factor_trouble(why, sizeof why, e1, sh1));
    if (qu_multiplier_fits((double)e2, QU_SHIFT_MAX, &m2, &sh2) != QU_FITS)
        return lower_fail(err, errlen, g, node, "state '%s' scale %g x W_time '%s' scale %g / "
                          "output '%s' scale %g = %g: %s", T(g, k.s)->name, (double)ss,
                          T(g, k.wt)->name, (double)swt, T(g, k.y)->name, (double)sy, (double)e2,
                          factor_trouble(why, sizeof why, e2, sh2));
    int32_t act_min, act_max;
    qu_activation_range(&g->nodes[node].attr.act, sy, T(g, k.y)->q.zero_point[0], -128, 127,
                        &act_min, &act_max);
    const kiln_svdf_s8_params sp = {
        .batch = (int32_t)k.batch, .input_size = (int32_t)k.input, .filters = (int32_t)k.filters,
        .units = (int32_t)k.units, .rank = (int32_t)k.rank, .memory = (int32_t)k.memory,
        .in_offset = -T(g, k.x)->q.zero_point[0], .state_zp = T(g, k.s)->q.zero_point[0],
        .mult1 = m1, .shift1 = sh1, .mult2 = m2, .shift2 = sh2,
        .out_zp = T(g, k.y)->q.zero_point[0], .act_min = act_min, .act_max = act_max};
    lir_call *c = LIR_CALL(p, node, sdt == IR_DT_S8 ? "kiln_svdf_s8" : "kiln_svdf_s8_s16",
                           kiln_svdf_s8_params, &sp);
    operands(c, &k);
    return 1;
}
