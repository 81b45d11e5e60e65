/*
 * eval_shape.c - ops that move elements: RESHAPE, TRANSPOSE, CONCAT, PAD,
 * SLICE, and REDUCE_MEAN (which gathers them).
 *
 * Each maps an output index to the input element(s) it takes, by plain index
 * arithmetic over row-major coordinates.  Values travel as real numbers and
 * are stored with the output's quantization, so a CONCAT of differently
 * quantized inputs requantizes (TFLite semantics) and a quantized PAD's
 * constant is quantized with the output's parameters.
 *
 * PAD with negative pads crops first, then pads what is left, so reflect,
 * edge and wrap see the cropped edges (onnxruntime's reading of ONNX Pad).
 *
 * Relies on eval.c for values and on eval_quant.c for storing the result.
 */
#include <math.h>

#include "ref/eval_int.h"
#include "ref/eval_ops.h"

/* Row-major coordinates of flat index i in t. */
static void coords_of(int64_t i, const ir_tensor *t, int64_t *co)
{
    for (int d = t->rank - 1; d >= 0; d--) {
        co[d] = t->shape[d] ? i % t->shape[d] : 0;
        i = t->shape[d] ? i / t->shape[d] : 0;
    }
}

static bool need_io(ref_ctx *c, const ir_tensor **x, const ir_tensor **y)
{
    *x = ref_in(c, 0);
    *y = ref_out(c, 0);
    if (!*x || !*y)
        return ref_fail(c, "needs input X and output Y");
    return true;
}

bool ref_reshape(ref_ctx *c)
{
    const ir_tensor *xt, *yt;
    if (!need_io(c, &xt, &yt))
        return false;
    if (ir_numel(xt) != ir_numel(yt))
        return ref_fail(c, "input '%s' has %lld elements but output '%s' has %lld", xt->name,
                        (long long)ir_numel(xt), yt->name, (long long)ir_numel(yt));
    ref_store(c, 0, ref_real(c, 0));
    return true;
}

bool ref_transpose(ref_ctx *c)
{
    const ir_tensor *xt, *yt;
    if (!need_io(c, &xt, &yt))
        return false;
    const int *perm = c->nd->attr.perm;
    int seen = 0;
    if (xt->rank != yt->rank)
        return ref_fail(c, "input '%s' rank %d differs from output '%s' rank %d", xt->name, xt->rank,
                        yt->name, yt->rank);
    for (int d = 0; d < yt->rank; d++) {
        if (perm[d] < 0 || perm[d] >= xt->rank || (seen >> perm[d]) & 1)
            return ref_fail(c, "perm[%d] = %d is not part of a permutation of %d axes", d, perm[d], xt->rank);
        seen |= 1 << perm[d];
        if (yt->shape[d] != xt->shape[perm[d]])
            return ref_fail(c, "output '%s' dim %d is %lld, expected input dim %d = %lld", yt->name, d,
                            (long long)yt->shape[d], perm[d], (long long)xt->shape[perm[d]]);
    }
    int64_t xs[IR_MAX_DIMS], co[IR_MAX_DIMS];
    ref_strides(xt, xs);
    const double *x = ref_real(c, 0);
    int64_t n = ir_numel(yt);
    double *y = ref_tmp(c, n);
    for (int64_t i = 0; i < n; i++) {
        coords_of(i, yt, co);
        int64_t off = 0;
        for (int d = 0; d < yt->rank; d++)
            off += co[d] * xs[perm[d]];
        y[i] = x[off];
    }
    ref_store(c, 0, y);
    return true;
}

bool ref_concat(ref_ctx *c)
{
    const ir_tensor *yt = ref_out(c, 0);
    int axis = c->nd->attr.axis;
    if (!yt || c->nd->n_in < 1)
        return ref_fail(c, "needs at least one input and an output");
    if (axis < 0 || axis >= yt->rank)
        return ref_fail(c, "axis %d is outside output '%s' (rank %d)", axis, yt->name, yt->rank);
    int64_t outer = 1, inner = 1, total = 0;
    for (int d = 0; d < axis; d++)
        outer *= yt->shape[d];
    for (int d = axis + 1; d < yt->rank; d++)
        inner *= yt->shape[d];
    for (int k = 0; k < c->nd->n_in; k++) {
        const ir_tensor *xt = ref_in(c, k);
        if (!xt)
            return ref_fail(c, "input %d is absent", k);
        bool ok = xt->rank == yt->rank;
        for (int d = 0; ok && d < yt->rank; d++)
            ok = d == axis || xt->shape[d] == yt->shape[d];
        if (!ok)
            return ref_fail(c, "input %d ('%s') differs from output '%s' outside axis %d", k, xt->name,
                            yt->name, axis);
        total += xt->shape[axis];
    }
    if (total != yt->shape[axis])
        return ref_fail(c, "inputs add up to %lld along axis %d, output '%s' has %lld", (long long)total,
                        axis, yt->name, (long long)yt->shape[axis]);
    double *y = ref_tmp(c, ir_numel(yt));
    const bool int_mode = ref_int_mode(c);  /* each input requantized as TFLite does */
    int64_t at = 0;   /* position of the current input along the axis */
    for (int k = 0; k < c->nd->n_in; k++) {
        const ir_tensor *xt = ref_in(c, k);
        const double *x = int_mode ? ref_stored(c, k) : ref_real(c, k);
        int64_t len = xt->shape[axis];
        for (int64_t o = 0; o < outer; o++)
            for (int64_t a = 0; a < len; a++)
                for (int64_t i = 0; i < inner; i++) {
                    double v = x[(o * len + a) * inner + i];
                    y[(o * yt->shape[axis] + at + a) * inner + i] = int_mode ? ref_int_concat(c, k, v) : v;
                }
        at += len;
    }
    if (int_mode)
        ref_store_plain(c, 0, y);
    else
        ref_store(c, 0, y);
    return true;
}

/* Maps position s (may be outside [0, n)) into [0, n) for a PAD mode;
 * returns -1 for the constant. */
static int64_t pad_source(ir_pad_mode mode, int64_t s, int64_t n)
{
    if (s >= 0 && s < n)
        return s;
    switch (mode) {
    case IR_PAD_EDGE:
        return s < 0 ? 0 : n - 1;
    case IR_PAD_WRAP:
        return ((s % n) + n) % n;
    case IR_PAD_REFLECT: {
        if (n == 1)
            return 0;
        /* Mirror without repeating the edge: period 2(n-1), as numpy's
         * reflect behaves for pads of any width. */
        int64_t period = 2 * (n - 1), m = ((s % period) + period) % period;
        return m < n ? m : period - m;
    }
    default:
        return -1;
    }
}

bool ref_pad(ref_ctx *c)
{
    const ir_tensor *xt, *yt;
    if (!need_io(c, &xt, &yt))
        return false;
    const ir_attr *at = &c->nd->attr;
    int64_t crop[IR_MAX_DIMS], eff[IR_MAX_DIMS], before[IR_MAX_DIMS];
    if (xt->rank != yt->rank)
        return ref_fail(c, "input '%s' rank %d differs from output '%s' rank %d", xt->name, xt->rank,
                        yt->name, yt->rank);
    for (int d = 0; d < xt->rank; d++) {
        crop[d] = at->begin[d] < 0 ? -at->begin[d] : 0;
        before[d] = at->begin[d] > 0 ? at->begin[d] : 0;
        eff[d] = xt->shape[d] - crop[d] - (at->end[d] < 0 ? -at->end[d] : 0);
        if (xt->shape[d] + at->begin[d] + at->end[d] != yt->shape[d])
            return ref_fail(c, "axis %d: input %lld + pads %lld/%lld != output '%s' %lld", d,
                            (long long)xt->shape[d], (long long)at->begin[d], (long long)at->end[d],
                            yt->name, (long long)yt->shape[d]);
        if (eff[d] < 0 || (eff[d] == 0 && yt->shape[d] > 0 && at->pad_mode != IR_PAD_CONSTANT))
            return ref_fail(c, "axis %d: pads %lld/%lld leave nothing of input '%s' to %s from",
                            d, (long long)at->begin[d], (long long)at->end[d], xt->name,
                            at->pad_mode == IR_PAD_CONSTANT ? "crop" : "pad");
    }
    int64_t xs[IR_MAX_DIMS], co[IR_MAX_DIMS];
    ref_strides(xt, xs);
    const double *x = ref_real(c, 0);
    int64_t n = ir_numel(yt);
    double *y = ref_tmp(c, n);
    for (int64_t i = 0; i < n; i++) {
        coords_of(i, yt, co);
        int64_t off = 0;
        bool constant = false;
        for (int d = 0; d < yt->rank && !constant; d++) {
            int64_t s = eff[d] ? pad_source(at->pad_mode, co[d] - before[d], eff[d]) : -1;
            if (s < 0)
                constant = true;
            else
                off += (s + crop[d]) * xs[d];
        }
        y[i] = constant ? at->pad_value : x[off];
    }
    ref_store(c, 0, y);
    return true;
}

bool ref_slice(ref_ctx *c)
{
    const ir_tensor *xt, *yt;
    if (!need_io(c, &xt, &yt))
        return false;
    const ir_attr *at = &c->nd->attr;
    if (xt->rank != yt->rank)
        return ref_fail(c, "input '%s' rank %d differs from output '%s' rank %d", xt->name, xt->rank,
                        yt->name, yt->rank);
    for (int d = 0; d < xt->rank; d++) {
        if (at->step[d] == 0)
            return ref_fail(c, "axis %d: step is 0", d);
        if (yt->shape[d] == 0)
            continue;
        int64_t first = at->begin[d], last = at->begin[d] + (yt->shape[d] - 1) * at->step[d];
        if (first < 0 || first >= xt->shape[d] || last < 0 || last >= xt->shape[d])
            return ref_fail(c, "axis %d: begin %lld, step %lld, %lld steps run outside input '%s' (size %lld)",
                            d, (long long)first, (long long)at->step[d], (long long)yt->shape[d],
                            xt->name, (long long)xt->shape[d]);
    }
    int64_t xs[IR_MAX_DIMS], co[IR_MAX_DIMS];
    ref_strides(xt, xs);
    const double *x = ref_real(c, 0);
    int64_t n = ir_numel(yt);
    double *y = ref_tmp(c, n);
    for (int64_t i = 0; i < n; i++) {
        coords_of(i, yt, co);
        int64_t off = 0;
        for (int d = 0; d < yt->rank; d++)
            off += (at->begin[d] + co[d] * at->step[d]) * xs[d];
        y[i] = x[off];
    }
    ref_store(c, 0, y);
    return true;
}

bool ref_reduce_mean(ref_ctx *c)
{
    const ir_tensor *xt, *yt;
    if (!need_io(c, &xt, &yt))
        return false;
    uint32_t mask = c->nd->attr.axes_mask;
    int64_t kept = 1, count = 1;
    for (int d = 0; d < xt->rank; d++)
        if (mask >> d & 1)
            count *= xt->shape[d];
        else
            kept *= xt->shape[d];
    if (mask >> xt->rank)
        return ref_fail(c, "axes_mask 0x%x names axes beyond input '%s' (rank %d)", (unsigned)mask,
                        xt->name, xt->rank);
    if (ir_numel(yt) != kept)
        return ref_fail(c, "output '%s' has %lld elements, the kept axes of '%s' have %lld", yt->name,
                        (long long)ir_numel(yt), xt->name, (long long)kept);
    const bool int_mode = ref_int_mode(c);  /* raw sums, then TFLite's MEAN */
    const double *x = int_mode ? ref_stored(c, 0) : ref_real(c, 0);
    double *y = ref_tmp(c, kept);
    int64_t co[IR_MAX_DIMS], n = ir_numel(xt);
    for (int64_t i = 0; i < n; i++) {
        coords_of(i, xt, co);
        int64_t o = 0;   /* row-major index over the kept axes, in order */
        for (int d = 0; d < xt->rank; d++)
            if (!(mask >> d & 1))
                o = o * xt->shape[d] + co[d];
        y[o] += x[i];
    }
    if (int_mode) {
        for (int64_t i = 0; i < kept; i++)
            y[i] = ref_int_mean(c, (int64_t)y[i], count);
        ref_store_plain(c, 0, y);
        return true;
    }
    for (int64_t i = 0; i < kept; i++)
        y[i] = count ? y[i] / (double)count : NAN;
    ref_store(c, 0, y);
    return true;
}
