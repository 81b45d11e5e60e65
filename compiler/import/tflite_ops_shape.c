/*
 * tflite_ops_shape.c - TFLite's data-movement operators as IR nodes:
 * RESHAPE, SQUEEZE, EXPAND_DIMS (-> RESHAPE), PAD and PADV2 (-> PAD), MEAN
 * (-> REDUCE_MEAN), CONCATENATION, TRANSPOSE, STRIDED_SLICE (-> SLICE, plus a
 * RESHAPE for shrink_axis_mask), SPLIT and SPLIT_V (-> one SLICE per output).
 *
 * The index operands these ops take (paddings, axes, perm, begin/end/strides,
 * split sizes) must be constants: they are read here and become attributes,
 * with TFLite's rules applied (negative axes, begin/end masks and clamping as
 * in kernels/internal/strided_slice_logic.h).  Every output shape the file
 * states is checked against the one these rules give.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/tflite_internal.h"

static bool is_quant_type(ir_dtype dt)
{
    return dt == IR_DT_S8 || dt == IR_DT_U8 || dt == IR_DT_S16;
}

static bool same_quant(const ir_tensor *a, const ir_tensor *b)
{
    if (a->q.n != b->q.n)
        return false;
    for (int i = 0; i < a->q.n; i++)
        if (a->q.scale[i] != b->q.scale[i] || a->q.zero_point[i] != b->q.zero_point[i])
            return false;
    return true;
}

/* Input and output have the same type and (for data movement that copies
 * bytes) the same quantization. */
static bool same_type(tfl_ctx *c, int x, int y)
{
    const ir_tensor *xt = tfl_t(c, x), *yt = tfl_t(c, y);
    if (xt->dtype != yt->dtype)
        return tfl_op_fail(c, "input type %s and output type %s differ", ir_dtype_name(xt->dtype),
                           ir_dtype_name(yt->dtype));
    if (is_quant_type(xt->dtype) && !same_quant(xt, yt))
        return tfl_op_fail(c, "input '%s' and output '%s' have different quantization; this "
                              "operator copies values unchanged", xt->name, yt->name);
    return true;
}

static bool shape_is(const ir_tensor *t, int rank, const int64_t *shape)
{
    if (t->rank != rank)
        return false;
    for (int d = 0; d < rank; d++)
        if (t->shape[d] != shape[d])
            return false;
    return true;
}

static bool bad_out_shape(tfl_ctx *c, int y, int rank, const int64_t *want)
{
    char buf[160];
    size_t at = 0;
    for (int d = 0; d < rank && at < sizeof buf; d++)
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%lld", d ? "," : "", (long long)want[d]);
    if (rank == 0)
        buf[0] = '\0';
    return tfl_op_fail(c, "output '%s' does not have the shape [%s] the operator gives",
                       tfl_t(c, y)->name, buf);
}

/* RESHAPE, SQUEEZE, EXPAND_DIMS: the output tensor's shape is the answer;
 * the shape operand (when present) only has to agree in element count. */
bool tfl_reshape(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 1, 2, 1))
        return false;
    int x = tfl_in(c, 0);
    int y = x >= 0 ? tfl_out(c, 0) : -1;
    if (y < 0 || !same_type(c, x, y))
        return false;
    if (ir_numel(tfl_t(c, x)) != ir_numel(tfl_t(c, y)))
        return tfl_op_fail(c, "input '%s' has %lld elements but output '%s' has %lld",
                           tfl_t(c, x)->name, (long long)ir_numel(tfl_t(c, x)), tfl_t(c, y)->name,
                           (long long)ir_numel(tfl_t(c, y)));
    tfl_node(c, IR_OP_RESHAPE, 1, &x, 1, &y);
    return true;
}

/* PAD (x, paddings) and PADV2 (x, paddings, constant_values). */
bool tfl_pad(tfl_ctx *c)
{
    bool v2 = c->builtin == TFL_OP_PADV2;
    if (!tfl_check_arity(c, 2, v2 ? 3 : 2, 1))
        return false;
    int x = tfl_in(c, 0);
    if (x < 0)
        return false;
    int64_t pads[2 * IR_MAX_DIMS];
    int np;
    if (!tfl_const_ints(c, 1, pads, 2 * IR_MAX_DIMS, &np, "paddings"))
        return false;
    int y = tfl_out(c, 0);
    if (y < 0 || !same_type(c, x, y))
        return false;
    const ir_tensor *xt = tfl_t(c, x);
    int rank = xt->rank;
    if (np != 2 * rank)
        return tfl_op_fail(c, "paddings has %d values; expected [%d, 2]", np, rank);
    int64_t want[IR_MAX_DIMS];
    for (int d = 0; d < rank; d++) {
        if (pads[2 * d] < 0 || pads[2 * d + 1] < 0 || pads[2 * d] > (1 << 30) ||
            pads[2 * d + 1] > (1 << 30))
            return tfl_op_fail(c, "paddings for axis %d (%lld, %lld) must be in [0, 2^30]", d,
                               (long long)pads[2 * d], (long long)pads[2 * d + 1]);
        want[d] = xt->shape[d] + pads[2 * d] + pads[2 * d + 1];
    }
    if (!shape_is(tfl_t(c, y), rank, want))
        return bad_out_shape(c, y, rank, want);
    double value = 0.0;
    if (v2 && tfl_in_index(c, 2) >= 0) {
        int k = tfl_in(c, 2);
        if (k < 0)
            return false;
        const ir_tensor *kt = tfl_t(c, k), *yt = tfl_t(c, y);
        if (!ir_is_const(kt) || ir_numel(kt) != 1 || kt->dtype != yt->dtype)
            return tfl_op_fail(c, "constant_values must be a one-element %s constant",
                               ir_dtype_name(yt->dtype));
        switch (kt->dtype) {
        case IR_DT_F32: { float f; memcpy(&f, kt->data, 4); value = f; break; }
        case IR_DT_S8: case IR_DT_U8: case IR_DT_S16: {
            int64_t q = kt->dtype == IR_DT_S8 ? ((const int8_t *)kt->data)[0]
                        : kt->dtype == IR_DT_U8 ? ((const uint8_t *)kt->data)[0]
                        : (int64_t)((const int16_t *)kt->data)[0];
            if (yt->q.n != 1)
                return tfl_op_fail(c, "quantized output '%s' needs per-tensor parameters", yt->name);
            /* TFLite writes the raw value into the output: its real value is
             * read with the output's parameters. */
            value = (double)yt->q.scale[0] * (double)(q - yt->q.zero_point[0]);
            break;
        }
        default:
            return tfl_op_fail(c, "constant_values of type %s is not supported",
                               ir_dtype_name(kt->dtype));
        }
        if (!isfinite(value))
            return tfl_op_fail(c, "constant_values is not finite");
    }
    int nd = tfl_node(c, IR_OP_PAD, 1, &x, 1, &y);
    ir_attr *a = &c->g->nodes[nd].attr;
    a->pad_mode = IR_PAD_CONSTANT;
    a->pad_value = value;
    for (int d = 0; d < rank; d++) {
        a->begin[d] = pads[2 * d];
        a->end[d] = pads[2 * d + 1];
    }
    return true;
}

/* Normalises a possibly negative axis; false when out of range. */
static bool norm_axis(int64_t *axis, int rank)
{
    if (*axis < 0)
        *axis += rank;
    return *axis >= 0 && *axis < rank;
}

/* MEAN (x, axes) with keep_dims. */
bool tfl_mean(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    int x = tfl_in(c, 0);
    if (x < 0)
        return false;
    int64_t axes[IR_MAX_DIMS * 2];
    int na;
    if (!tfl_const_ints(c, 1, axes, IR_MAX_DIMS * 2, &na, "axes"))
        return false;
    int y = tfl_out(c, 0);
    if (y < 0)
        return false;
    const ir_tensor *xt = tfl_t(c, x), *yt = tfl_t(c, y);
    if (xt->dtype != yt->dtype)
        return tfl_op_fail(c, "input type %s and output type %s differ", ir_dtype_name(xt->dtype),
                           ir_dtype_name(yt->dtype));
    if (is_quant_type(xt->dtype) && (xt->q.n != 1 || yt->q.n != 1))
        return tfl_op_fail(c, "quantized MEAN needs per-tensor parameters on input and output");
    uint32_t mask = 0;
    for (int i = 0; i < na; i++) {
        if (!norm_axis(&axes[i], xt->rank))
            return tfl_op_fail(c, "axis %lld is out of range for rank %d", (long long)axes[i],
                               xt->rank);
        mask |= 1u << axes[i];
    }
    int64_t want[IR_MAX_DIMS];
    int wr = 0;
    for (int d = 0; d < xt->rank; d++) {
        if (!(mask >> d & 1))
            want[wr++] = xt->shape[d];
        else if (c->o.keep_dims)
            want[wr++] = 1;
    }
    if (!shape_is(yt, wr, want))
        return bad_out_shape(c, y, wr, want);
    int nd = tfl_node(c, IR_OP_REDUCE_MEAN, 1, &x, 1, &y);
    c->g->nodes[nd].attr.axes_mask = mask;
    return true;
}

bool tfl_concat(tfl_ctx *c)
{
    int n = tfl_n_in(c);
    if (!tfl_check_arity(c, 1, 1 << 16, 1))
        return false;
    if (c->o.act != TFL_ACT_NONE)
        return tfl_op_fail(c, "a fused activation on CONCATENATION is not supported");
    int y = tfl_out(c, 0);
    if (y < 0)
        return false;
    int rank = tfl_t(c, y)->rank;
    int64_t axis = c->o.axis;
    if (!norm_axis(&axis, rank))
        return tfl_op_fail(c, "axis %d is out of range for rank %d", (int)c->o.axis, rank);
    int *in = malloc((size_t)n * sizeof *in);
    if (!in)
        return tfl_op_fail(c, "out of memory");
    int64_t sum = 0;
    for (int k = 0; k < n; k++) {
        in[k] = tfl_in(c, k);
        if (in[k] < 0) {
            free(in);
            return false;
        }
        const ir_tensor *xt = tfl_t(c, in[k]), *yt = tfl_t(c, y);
        bool ok = xt->dtype == yt->dtype && xt->rank == rank;
        for (int d = 0; ok && d < rank; d++)
            ok = d == axis || xt->shape[d] == yt->shape[d];
        if (ok && is_quant_type(xt->dtype))
            ok = xt->q.n == 1 && yt->q.n == 1;
        if (!ok) {
            free(in);
            return tfl_op_fail(c, "input %d '%s' does not match the output '%s' in type, rank, "
                                  "quantization or the dimensions off the axis", k, xt->name,
                               yt->name);
        }
        sum += xt->shape[axis];
    }
    if (sum != tfl_t(c, y)->shape[axis]) {
        free(in);
        return tfl_op_fail(c, "inputs add up to %lld along axis %lld but the output has %lld",
                           (long long)sum, (long long)axis, (long long)tfl_t(c, y)->shape[axis]);
    }
    int nd = tfl_node(c, IR_OP_CONCAT, n, in, 1, &y);
    free(in);
    c->g->nodes[nd].attr.axis = (int)axis;
    return true;
}

bool tfl_transpose(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    int x = tfl_in(c, 0);
    if (x < 0)
        return false;
    int64_t perm[IR_MAX_DIMS];
    int np;
    if (!tfl_const_ints(c, 1, perm, IR_MAX_DIMS, &np, "perm"))
        return false;
    int y = tfl_out(c, 0);
    if (y < 0 || !same_type(c, x, y))
        return false;
    const ir_tensor *xt = tfl_t(c, x);
    int rank = xt->rank;
    if (np != rank)
        return tfl_op_fail(c, "perm has %d entries for a rank-%d input", np, rank);
    uint32_t seen = 0;
    int64_t want[IR_MAX_DIMS];
    for (int i = 0; i < rank; i++) {
        if (perm[i] < 0 || perm[i] >= rank || (seen >> perm[i] & 1))
            return tfl_op_fail(c, "perm is not a permutation of 0..%d", rank - 1);
        seen |= 1u << perm[i];
        want[i] = xt->shape[perm[i]];
    }
    if (!shape_is(tfl_t(c, y), rank, want))
        return bad_out_shape(c, y, rank, want);
    int nd = tfl_node(c, IR_OP_TRANSPOSE, 1, &x, 1, &y);
    for (int i = 0; i < rank; i++)
        c->g->nodes[nd].attr.perm[i] = (int)perm[i];
    return true;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* STRIDED_SLICE (x, begin, end, strides). */
bool tfl_strided_slice(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 4, 4, 1))
        return false;
    int x = tfl_in(c, 0);
    if (x < 0)
        return false;
    int64_t begin[IR_MAX_DIMS], end[IR_MAX_DIMS], strides[IR_MAX_DIMS];
    int nb, ne, ns;
    if (!tfl_const_ints(c, 1, begin, IR_MAX_DIMS, &nb, "begin") ||
        !tfl_const_ints(c, 2, end, IR_MAX_DIMS, &ne, "end") ||
        !tfl_const_ints(c, 3, strides, IR_MAX_DIMS, &ns, "strides"))
        return false;
    int y = tfl_out(c, 0);
    if (y < 0 || !same_type(c, x, y))
        return false;
    if (c->o.ellipsis_mask || c->o.new_axis_mask)
        return tfl_op_fail(c, "ellipsis_mask (%d) and new_axis_mask (%d) are not supported",
                           (int)c->o.ellipsis_mask, (int)c->o.new_axis_mask);
    const ir_tensor *xt = tfl_t(c, x);
    int rank = xt->rank;
    if (nb != rank || ne != rank || ns != rank)
        return tfl_op_fail(c, "begin/end/strides have %d/%d/%d values for a rank-%d input", nb, ne,
                           ns, rank);
    const int64_t lim = (int64_t)1 << 40;   /* keeps the index arithmetic below in range */
    for (int d = 0; d < rank; d++)
        if (begin[d] < -lim || begin[d] > lim || end[d] < -lim || end[d] > lim ||
            strides[d] < -lim || strides[d] > lim)
            return tfl_op_fail(c, "begin/end/strides for axis %d are out of range", d);
    int64_t start[IR_MAX_DIMS], count[IR_MAX_DIMS], kept[IR_MAX_DIMS];
    int nkept = 0;
    for (int d = 0; d < rank; d++) {
        int64_t dim = xt->shape[d], s = strides[d];
        if (s == 0)
            return tfl_op_fail(c, "strides[%d] is 0", d);
        bool shrink = c->o.shrink_axis_mask >> d & 1;
        /* StartForAxis: mask, negative index, clamp to [0, dim] or [-1, dim-1]. */
        int64_t b = begin[d];
        if (c->o.begin_mask >> d & 1)
            b = s > 0 ? 0 : dim - 1;
        else if (b < 0)
            b += dim;
        b = s > 0 ? clamp64(b, 0, dim) : clamp64(b, -1, dim - 1);
        /* StopForAxis: shrink takes one element; else mask / negative / clamp. */
        int64_t e;
        if (shrink) {
            e = b + 1;
        } else {
            e = end[d];
            if (c->o.offset)
                e += b;
            if (c->o.end_mask >> d & 1)
                e = s > 0 ? dim : -1;
            else if (e < 0)
                e += dim;
            e = s > 0 ? clamp64(e, 0, dim) : clamp64(e, -1, dim - 1);
        }
        int64_t n = s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s);
        if (n < 0)
            n = 0;
        if (shrink && n != 1)
            return tfl_op_fail(c, "shrink_axis_mask selects index %lld of axis %d, outside its "
                                  "size %lld", (long long)begin[d], d, (long long)dim);
        count[d] = n;
        start[d] = n > 0 ? b : 0;     /* the IR wants begin in range; unused when empty */
        strides[d] = s;
        if (!shrink)
            kept[nkept++] = n;
    }
    if (!shape_is(tfl_t(c, y), nkept, kept))
        return bad_out_shape(c, y, nkept, kept);
    bool reshape = nkept != rank;
    int ys = reshape ? tfl_temp(c, y, "/slice", rank, count) : y;
    int nd = tfl_node(c, IR_OP_SLICE, 1, &x, 1, &ys);
    ir_attr *a = &c->g->nodes[nd].attr;
    for (int d = 0; d < rank; d++) {
        a->begin[d] = start[d];
        a->step[d] = strides[d];
        a->end[d] = start[d] + count[d] * strides[d];
    }
    if (reshape)
        tfl_node(c, IR_OP_RESHAPE, 1, &ys, 1, &y);
    return true;
}

/* SPLIT (axis, x) and SPLIT_V (x, size_splits, axis). */
bool tfl_split(tfl_ctx *c)
{
    bool v = c->builtin == TFL_OP_SPLIT_V;
    if (!tfl_check_arity(c, v ? 3 : 2, v ? 3 : 2, -1))
        return false;
    int nout = tfl_n_out(c);
    if (nout < 1 || nout > (1 << 16))
        return tfl_op_fail(c, "has %d outputs", nout);
    if (c->o.num_splits != 0 && c->o.num_splits != nout)
        return tfl_op_fail(c, "num_splits = %d but the operator has %d outputs",
                           (int)c->o.num_splits, nout);
    int64_t axis;
    int na;
    if (!tfl_const_ints(c, v ? 2 : 0, &axis, 1, &na, "axis"))
        return false;
    if (na != 1)
        return tfl_op_fail(c, "axis must be a single value");
    int x = tfl_in(c, v ? 0 : 1);
    if (x < 0)
        return false;
    int rank = tfl_t(c, x)->rank;
    if (!norm_axis(&axis, rank))
        return tfl_op_fail(c, "axis %lld is out of range for rank %d", (long long)axis, rank);
    int64_t dim = tfl_t(c, x)->shape[axis];
    int64_t *sizes = malloc((size_t)nout * sizeof *sizes);
    if (!sizes)
        return tfl_op_fail(c, "out of memory");
    bool ok = true;
    if (v) {
        /* size_splits: one entry per output, at most one -1 (the rest). */
        int ns = 0, neg = -1;
        ok = tfl_const_ints(c, 1, sizes, nout, &ns, "size_splits");
        if (ok && ns != nout)
            ok = tfl_op_fail(c, "size_splits has %d entries for %d outputs", ns, nout);
        int64_t total = 0;
        for (int i = 0; ok && i < nout; i++) {
            if (sizes[i] == -1 && neg < 0)
                neg = i;
            else if (sizes[i] < 0 || sizes[i] > dim)
                ok = tfl_op_fail(c, "size_splits[%d] = %lld is invalid", i, (long long)sizes[i]);
            else
                total += sizes[i];
        }
        if (ok && neg >= 0) {
            sizes[neg] = dim - total;
            total = dim;
        }
        if (ok && (total != dim || (neg >= 0 && sizes[neg] < 0)))
            ok = tfl_op_fail(c, "size_splits add up to %lld but axis %lld has %lld", (long long)total,
                             (long long)axis, (long long)dim);
    } else {
        if (dim % nout != 0)
            ok = tfl_op_fail(c, "axis %lld of size %lld does not split into %d equal parts",
                             (long long)axis, (long long)dim, nout);
        for (int i = 0; ok && i < nout; i++)
            sizes[i] = dim / nout;
    }
    int64_t at = 0;
    for (int i = 0; ok && i < nout; i++) {
        int y = tfl_out(c, i);
        ok = y >= 0 && same_type(c, x, y);
        if (!ok)
            break;
        int64_t want[IR_MAX_DIMS];
        memcpy(want, tfl_t(c, x)->shape, sizeof want);
        want[axis] = sizes[i];
        if (!shape_is(tfl_t(c, y), rank, want)) {
            ok = bad_out_shape(c, y, rank, want);
            break;
        }
        int nd = tfl_node(c, IR_OP_SLICE, 1, &x, 1, &y);
        ir_attr *a = &c->g->nodes[nd].attr;
        for (int d = 0; d < rank; d++) {
            a->begin[d] = d == axis ? at : 0;
            a->end[d] = d == axis ? at + sizes[i] : want[d];
            a->step[d] = 1;
        }
        at += sizes[i];
    }
    free(sizes);
    return ok;
}
