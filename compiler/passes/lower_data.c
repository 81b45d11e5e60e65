/*
 * lower_data.c - lowers data movement for every dtype: RESHAPE (an alias),
 * TRANSPOSE and SLICE (kiln_copy_strided), CONCAT (kiln_concat), PAD and
 * nearest RESIZE (kiln_gather_axes with per-axis index tables), CAST
 * (kiln_cast), ADD/SUB/MUL/DIV/MIN/MAX and CLIP on plain integer tensors, and
 * MAXPOOL on int8/uint8 (a max selects: kiln_maxpool_int8/_uint8).
 *
 * Runs after lower_s8 and before lower_f32 (lower.c).  Quantized tensors are
 * moved as their integers only when every input's quantization equals the
 * output's: a move never changes real values then.  Anything that would need
 * requantizing is declined (return 0) for the int8 family.  Shapes are
 * collapsed to the fewest dims so the kernels' inner loops run long.
 */
#include "passes/lower.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/kernels_data.h"
#include "passes/lower_util.h"
#include "passes/resize_tables.h"
#include "util/sbuf.h"

static const ir_tensor *T(const ir_graph *g, int i)
{
    return &g->tensors[i];
}

/* True if every present input and output has the quantization of out[0]. */
static bool all_same_quant(const ir_graph *g, const ir_node *nd)
{
    const ir_tensor *y = T(g, nd->out[0]);
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] >= 0 && !ir_same_quant(T(g, nd->in[k]), y))
            return false;
    return true;
}

static bool same_dtype(const ir_graph *g, const ir_node *nd)
{
    const ir_dtype dt = T(g, nd->out[0])->dtype;
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] >= 0 && T(g, nd->in[k])->dtype != dt)
            return false;
    return true;
}

static bool elem_size_ok(size_t es)
{
    return es == 1 || es == 2 || es == 4 || es == 8;
}

/* ---- strided copy: TRANSPOSE, SLICE ------------------------------------ */

/* Emits kiln_copy_strided for Y[i] = X[off + sum i_d*st[d]] over `shape`,
 * after dropping size-1 dims and merging dims that stay contiguous. */
static int emit_copy(ir_graph *g, int node, lir_program *p, int x, int y, int rank,
                     const int64_t *shape, const int64_t *st, int64_t off, char *err, size_t errlen)
{
    int32_t sh[IR_MAX_DIMS], xs[IR_MAX_DIMS];
    int r = 0;
    for (int d = 0; d < rank; d++) {
        if (shape[d] == 1)
            continue;
        if (r > 0 && (int64_t)xs[r - 1] == st[d] * shape[d]) {
            sh[r - 1] *= (int32_t)shape[d];
            xs[r - 1] = (int32_t)st[d];
            continue;
        }
        if (!lower_fits_i32(st[d]) || !lower_fits_i32(shape[d]))
            return lower_fail(err, errlen, g, node, "tensor too large for the copy kernel");
        sh[r] = (int32_t)shape[d];
        xs[r] = (int32_t)st[d];
        r++;
    }
    if (r == 0) {
        sh[0] = 1;
        xs[0] = 1;
        r = 1;
    }
    for (int d = r; d < IR_MAX_DIMS; d++)
        sh[d] = 1, xs[d] = 0;
    kiln_copy_params cp = {.elem_size = (int32_t)ir_dtype_size(T(g, y)->dtype), .rank = r,
                           .x_offset = (int32_t)off};
    memcpy(cp.shape, sh, sizeof cp.shape);
    memcpy(cp.x_stride, xs, sizeof cp.x_stride);
    lir_call *c = LIR_CALL(p, node, "kiln_copy_strided", kiln_copy_params, &cp);
    lir_in(c, x);
    lir_out(c, y);
    return 1;
}

static int lower_transpose(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    int64_t xst[IR_MAX_DIMS], st[IR_MAX_DIMS];
    lower_strides(x->shape, x->rank, xst);
    for (int d = 0; d < y->rank; d++) {
        const int pd = nd->attr.perm[d];
        if (pd < 0 || pd >= x->rank || x->shape[pd] != y->shape[d])
            return lower_fail(err, errlen, g, node, "perm[%d] = %d does not match the shapes", d, pd);
        st[d] = xst[pd];
    }
    return emit_copy(g, node, p, nd->in[0], nd->out[0], y->rank, y->shape, st, 0, err, errlen);
}

static int lower_slice(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    if (x->rank != y->rank)
        return lower_fail(err, errlen, g, node, "input rank %d differs from output rank %d", x->rank,
                          y->rank);
    if (ir_numel(y) == 0)
        return 1;   /* nothing to move */
    int64_t xst[IR_MAX_DIMS], st[IR_MAX_DIMS], off = 0;
    lower_strides(x->shape, x->rank, xst);
    for (int d = 0; d < x->rank; d++) {
        const int64_t b = nd->attr.begin[d], s = nd->attr.step[d];
        const int64_t last = b + (y->shape[d] - 1) * s;
        if (s == 0 || b < 0 || b >= x->shape[d] || last < 0 || last >= x->shape[d])
            return lower_fail(err, errlen, g, node,
                              "axis %d: begin %lld step %lld for %lld outputs leaves the input (size %lld)",
                              d, (long long)b, (long long)s, (long long)y->shape[d],
                              (long long)x->shape[d]);
        off += b * xst[d];
        st[d] = s * xst[d];
    }
    return emit_copy(g, node, p, nd->in[0], nd->out[0], y->rank, y->shape, st, off, err, errlen);
}

/* ---- CONCAT ------------------------------------------------------------ */

/* One kiln_concat call for inputs in[0..n) (n <= KILN_CONCAT_MAX_INPUTS). */
static void emit_concat(ir_graph *g, int node, lir_program *p, const int *in, int n, int y,
                        int axis)
{
    const ir_tensor *yt = T(g, y);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= yt->shape[d];
    for (int d = axis + 1; d < yt->rank; d++)
        inner *= yt->shape[d];
    kiln_concat_params cp = {.elem_size = (int32_t)ir_dtype_size(yt->dtype), .n_inputs = n,
                             .outer = (int32_t)outer};
    for (int i = 0; i < n; i++)
        cp.chunk[i] = (int32_t)(T(g, in[i])->shape[axis] * inner);
    lir_call *c = LIR_CALL(p, node, "kiln_concat", kiln_concat_params, &cp);
    lir_out(c, y);
    for (int i = 0; i < KILN_CONCAT_MAX_INPUTS; i++)
        lir_in(c, i < n ? in[i] : -1);
}

static int lower_concat(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const int axis = nd->attr.axis;
    const ir_tensor *y = T(g, nd->out[0]);
    if (axis < 0 || axis >= y->rank)
        return lower_fail(err, errlen, g, node, "axis %d outside rank %d", axis, y->rank);
    int64_t total = 0;
    int n = 0;
    int *in = xmalloc((size_t)(nd->n_in ? nd->n_in : 1) * sizeof(int));
    for (int k = 0; k < nd->n_in; k++) {
        const ir_tensor *x = T(g, nd->in[k]);
        bool ok = x->rank == y->rank;
        for (int d = 0; ok && d < y->rank; d++)
            if (d != axis && x->shape[d] != y->shape[d])
                ok = false;
        if (!ok) {
            free(in);
            return lower_fail(err, errlen, g, node, "input %d ('%s') does not match the output shape",
                              k, x->name);
        }
        total += x->shape[axis];
        if (ir_numel(x) > 0)
            in[n++] = nd->in[k];  /* empty inputs contribute nothing */
    }
    if (total != y->shape[axis]) {
        free(in);
        return lower_fail(err, errlen, g, node, "inputs add up to %lld along axis %d, output has %lld",
                          (long long)total, axis, (long long)y->shape[axis]);
    }
    /* More inputs than one call takes: concatenate groups into intermediate
     * tensors (same dtype and quantization), then those, until one call
     * remains. */
    while (n > KILN_CONCAT_MAX_INPUTS) {
        int m = 0;
        for (int i = 0; i < n; i += KILN_CONCAT_MAX_INPUTS) {
            const int cnt = n - i < KILN_CONCAT_MAX_INPUTS ? n - i : KILN_CONCAT_MAX_INPUTS;
            if (cnt == 1) {
                in[m++] = in[i];
                continue;
            }
            int64_t shape[IR_MAX_DIMS];
            const ir_tensor *yt = T(g, nd->out[0]);
            memcpy(shape, yt->shape, sizeof shape);
            shape[axis] = 0;
            for (int k = 0; k < cnt; k++)
                shape[axis] += T(g, in[i + k])->shape[axis];
            char *name = xasprintf("%s.concat%d.n%d", yt->name, i / KILN_CONCAT_MAX_INPUTS, node);
            const int t = ir_add_tensor(g, name, yt->dtype, yt->rank, shape);
            free(name);
            const ir_tensor *y2 = T(g, nd->out[0]);
            if (y2->q.n)
                ir_set_quant(g, t, y2->q.n, y2->q.axis, y2->q.scale, y2->q.zero_point);
            g->tensors[t].producer = node;
            emit_concat(g, node, p, in + i, cnt, t, axis);
            in[m++] = t;
        }
        n = m;
    }
    if (n == 0) {
        free(in);
        return 1;   /* an empty output */
    }
    emit_concat(g, node, p, in, n, nd->out[0], axis);
    free(in);
    return 1;
}

/* ---- gather tables: PAD, nearest RESIZE --------------------------------- */

/* Emits kiln_gather_axes with the per-axis source tables tab[d] (out
 * lengths = Y's shape, -1 = fill) and fill constant `fill` (-1: none). */
static int emit_gather(ir_graph *g, int node, lir_program *p, int x, int y, int32_t **tab,
                       int fill, char *err, size_t errlen)
{
    const ir_tensor *xt = T(g, x), *yt = T(g, y);
    const int rank = yt->rank;
    int64_t xst[IR_MAX_DIMS];
    lower_strides(xt->shape, xt->rank, xst);
    int32_t sh[IR_MAX_DIMS], xs[IR_MAX_DIMS], off[IR_MAX_DIMS];
    int64_t total = 0;
    for (int d = 0; d < IR_MAX_DIMS; d++) {
        sh[d] = d < rank ? (int32_t)yt->shape[d] : 1;
        xs[d] = d < rank ? (int32_t)xst[d] : 0;
        off[d] = (int32_t)total;
        if (d < rank)
            total += yt->shape[d];
    }
    if (!lower_fits_i32(total) || !lower_fits_i32(ir_numel(xt)))
        return lower_fail(err, errlen, g, node, "tensor too large for the gather kernel");
    int32_t *all = xmalloc((size_t)(total ? total : 1) * sizeof(int32_t));
    for (int d = 0; d < rank; d++)
        memcpy(all + off[d], tab[d], (size_t)yt->shape[d] * sizeof(int32_t));
    if (rank == 0) {
        /* A scalar: one axis of size 1 reading element 0. */
        all[0] = 0;
        total = 1;
        sh[0] = 1;
        xs[0] = 1;
    }
    const int64_t tshape[1] = {total};
    const int ti = lower_add_const(g, node, T(g, y)->name, "gather_idx", IR_DT_S32, 1, tshape, all,
                                   (size_t)total * sizeof(int32_t));
    free(all);
    kiln_gather_params gp = {.elem_size = (int32_t)ir_dtype_size(T(g, y)->dtype), .rank = rank ? rank : 1};
    memcpy(gp.shape, sh, sizeof gp.shape);
    memcpy(gp.x_stride, xs, sizeof gp.x_stride);
    memcpy(gp.off, off, sizeof gp.off);
    lir_call *c = LIR_CALL(p, node, "kiln_gather_axes", kiln_gather_params, &gp);
    lir_in(c, x);
    lir_in(c, ti);
    lir_in(c, fill);
    lir_out(c, y);
    return 1;
}

/* Source index of output position o on an axis of size n padded by `before`
 * (negative = crop), or -1 for the constant. */
static int64_t pad_source(ir_pad_mode mode, int64_t o, int64_t before, int64_t n)
{
    int64_t i = o - before;
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case IR_PAD_EDGE:
        return i < 0 ? 0 : n - 1;
    case IR_PAD_WRAP:
        return ((i % n) + n) % n;
    case IR_PAD_REFLECT:
        if (n == 1)
            return 0;
        /* Reflect without repeating the edge: period 2(n-1). */
        {
            const int64_t per = 2 * (n - 1);
            int64_t m = ((i % per) + per) % per;
            return m < n ? m : per - m;
        }
    case IR_PAD_CONSTANT:
    default:
        return -1;
    }
}

/* The pad value as one element of Y's dtype (quantized with Y's scale and
 * zero point when Y is quantized).  Integers saturate; a NaN (a hostile
 * model's float pad value for an integer or quantized tensor) is taken as 0,
 * the zero point, as QuantizeLinear takes it: converting it would be
 * undefined behaviour. */
static void pad_value_bytes(const ir_tensor *y, double v, unsigned char out[8])
{
    memset(out, 0, 8);
    if (isnan(v) && y->dtype != IR_DT_F32 && y->dtype != IR_DT_F64)
        v = 0.0;
    if (y->q.n > 0) {
        v = nearbyint(v / (double)y->q.scale[0]) + y->q.zero_point[0];
    }
    switch (y->dtype) {
    case IR_DT_F32: { float f = (float)v; memcpy(out, &f, 4); break; }
    case IR_DT_F64: memcpy(out, &v, 8); break;
#define SAT_INT(DT, CT, LO, HI)                                                                  \
    case DT: {                                                                                   \
        double r = nearbyint(v);                                                                 \
        CT t = (CT)(r < (double)(LO) ? (LO) : r > (double)(HI) ? (HI) : r);                      \
        memcpy(out, &t, sizeof t);                                                               \
        break;                                                                                   \
    }
    SAT_INT(IR_DT_S8, int8_t, INT8_MIN, INT8_MAX)
    SAT_INT(IR_DT_U8, uint8_t, 0, UINT8_MAX)
    SAT_INT(IR_DT_S16, int16_t, INT16_MIN, INT16_MAX)
    SAT_INT(IR_DT_U16, uint16_t, 0, UINT16_MAX)
    SAT_INT(IR_DT_S32, int32_t, INT32_MIN, INT32_MAX)
    SAT_INT(IR_DT_U32, uint32_t, 0, UINT32_MAX)
#undef SAT_INT
    case IR_DT_S64: { /* 2^63 is exact in a double; anything at or past it saturates */
        int64_t t = v >= 9223372036854775808.0 ? INT64_MAX : v < -9223372036854775808.0 ? INT64_MIN : (int64_t)v;
        memcpy(out, &t, 8);
        break;
    }
    case IR_DT_U64: {
        uint64_t t = !(v > 0) ? 0 : v >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)v;
        memcpy(out, &t, 8);
        break;
    }
    case IR_DT_BOOL: out[0] = v != 0.0; break;
    default: break;
    }
}

static int lower_pad(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    if (x->rank != y->rank)
        return lower_fail(err, errlen, g, node, "input rank %d differs from output rank %d", x->rank,
                          y->rank);
    if (ir_numel(y) == 0)
        return 1;
    int32_t *tab[IR_MAX_DIMS] = {0};
    bool need_fill = false;
    int rc = 1;
    for (int d = 0; d < y->rank; d++) {
        const int64_t before = nd->attr.begin[d], after = nd->attr.end[d];
        if (x->shape[d] + before + after != y->shape[d]) {
            rc = lower_fail(err, errlen, g, node,
                            "axis %d: input %lld + pads %lld, %lld does not give output %lld", d,
                            (long long)x->shape[d], (long long)before, (long long)after,
                            (long long)y->shape[d]);
            goto out;
        }
        if (x->shape[d] == 0 && nd->attr.pad_mode != IR_PAD_CONSTANT) {
            rc = lower_fail(err, errlen, g, node, "axis %d: cannot pad an empty axis in this mode", d);
            goto out;
        }
        tab[d] = xmalloc((size_t)y->shape[d] * sizeof(int32_t));
        for (int64_t o = 0; o < y->shape[d]; o++) {
            tab[d][o] = (int32_t)pad_source(nd->attr.pad_mode, o, before, x->shape[d]);
            if (tab[d][o] < 0)
                need_fill = true;
        }
    }
    int fill = -1;
    if (need_fill) {
        unsigned char v[8];
        const ir_tensor *yt = T(g, nd->out[0]);
        pad_value_bytes(yt, nd->attr.pad_value, v);
        const int64_t one[1] = {1};
        fill = lower_add_const(g, node, yt->name, "pad_value", yt->dtype, 1, one, v,
                               ir_dtype_size(yt->dtype));
    }
    rc = emit_gather(g, node, p, nd->in[0], nd->out[0], tab, fill, err, errlen);
out:
    for (int d = 0; d < IR_MAX_DIMS; d++)
        free(tab[d]);
    return rc;
}

static int lower_resize_nearest(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    const ir_attr *a = &nd->attr;
    int32_t *tab[IR_MAX_DIMS] = {0};
    bool outside = false;
    int rc = 1;
    for (int d = 0; d < y->rank; d++) {
        resize_axis ax;
        char msg[200];
        if (!resize_axis_build(&a->resize, d, x->shape[d], y->shape[d], &ax, msg, sizeof msg)) {
            rc = lower_fail(err, errlen, g, node, "%s", msg);
            goto out;
        }
        tab[d] = ax.idx;   /* taps == 1 for nearest: one index per output */
        ax.idx = NULL;
        outside |= ax.any_outside;
        resize_axis_free(&ax);
    }
    int fill = -1;
    if (outside) {
        const ir_tensor *yt = T(g, nd->out[0]);
        if (yt->dtype != IR_DT_F32) {
            rc = lower_fail(err, errlen, g, node,
                            "tf_crop_and_resize extrapolation on %s tensors is not supported",
                            ir_dtype_name(yt->dtype));
            goto out;
        }
        const int64_t one[1] = {1};
        const float v = a->resize.extrapolation_value;
        fill = lower_add_const(g, node, yt->name, "extrapolation", IR_DT_F32, 1, one, &v, 4);
    }
    rc = emit_gather(g, node, p, nd->in[0], nd->out[0], tab, fill, err, errlen);
out:
    for (int d = 0; d < IR_MAX_DIMS; d++)
        free(tab[d]);
    return rc;
}

/* ---- CAST --------------------------------------------------------------- */

static int lower_cast(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *x = T(g, nd->in[0]), *y = T(g, nd->out[0]);
    if (x->dtype == y->dtype) {
        lir_alias(p, nd->out[0], nd->in[0]);
        return 1;
    }
    const ir_dtype ok[] = {IR_DT_F32, IR_DT_S8, IR_DT_U8, IR_DT_S16, IR_DT_S32,
                           IR_DT_S64, IR_DT_U16, IR_DT_U32, IR_DT_BOOL, IR_DT_U64};
    bool xin = false, yin = false;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        xin |= x->dtype == ok[i];
        yin |= y->dtype == ok[i];
    }
    if (!xin || !yin)
        return lower_fail(err, errlen, g, node, "cast from %s to %s is not supported",
                          ir_dtype_name(x->dtype), ir_dtype_name(y->dtype));
    if (!lower_fits_i32(ir_numel(y)))
        return lower_fail(err, errlen, g, node, "tensor too large");
    const kiln_cast_params cp = {.size = (int32_t)ir_numel(y), .from = (int32_t)x->dtype,
                                 .to = (int32_t)y->dtype};
    lir_call *c = LIR_CALL(p, node, "kiln_cast", kiln_cast_params, &cp);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* ---- integer elementwise ------------------------------------------------ */

static const char *int_suffix(ir_dtype dt)
{
    switch (dt) {
    case IR_DT_S8: return "int8";
    case IR_DT_U8: return "uint8";
    case IR_DT_S16: return "int16";
    case IR_DT_U16: return "uint16";
    case IR_DT_S32: return "int32";
    case IR_DT_U32: return "uint32";
    case IR_DT_S64: return "int64";
    case IR_DT_U64: return "uint64";
    default: return NULL;
    }
}

static int lower_int_binary(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *a = T(g, nd->in[0]), *b = T(g, nd->in[1]), *y = T(g, nd->out[0]);
    const char *sfx = int_suffix(y->dtype);
    const char *op = nd->op == IR_OP_ADD ? "add" : nd->op == IR_OP_SUB ? "sub"
                   : nd->op == IR_OP_MUL ? "mul" : nd->op == IR_OP_DIV ? "div"
                   : nd->op == IR_OP_MIN ? "min" : "max";
    if (nd->attr.act.on)
        return 0;   /* a clamp on integers is not plain integer arithmetic */
    kiln_binary_int_params bp;
    memset(&bp, 0, sizeof bp);
    bp.rank = lower_broadcast(y, a, b, bp.shape, bp.a_stride, bp.b_stride);
    if (bp.rank < 0)
        return lower_fail(err, errlen, g, node, "inputs '%s' and '%s' do not broadcast to the output",
                          a->name, b->name);
    char kernel[32];
    snprintf(kernel, sizeof kernel, "kiln_%s_%s", op, sfx);
    lir_call *c = LIR_CALL(p, node, kernel, kiln_binary_int_params, &bp);
    lir_in(c, nd->in[0]);
    lir_in(c, nd->in[1]);
    lir_out(c, nd->out[0]);
    return 1;
}

/* CLIP on a plain integer tensor: max with the lower bound, then min with
 * the upper one in place (the integer binary kernels allow y == a), each
 * bound a one-element constant; an open side costs no call. */
static int lower_int_clip(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_tensor *y = T(g, nd->out[0]);
    const ir_dtype dt = y->dtype;
    const char *sfx = int_suffix(dt);
    const size_t es = ir_dtype_size(dt);
    const bool is_signed = dt == IR_DT_S8 || dt == IR_DT_S16 || dt == IR_DT_S32 || dt == IR_DT_S64;
    const double tmin = is_signed ? -ldexp(1.0, (int)(8 * es) - 1) : 0.0;
    const double tmax = is_signed ? ldexp(1.0, (int)(8 * es) - 1) - 1.0 : ldexp(1.0, (int)(8 * es)) - 1.0;
    const double lo = nd->attr.act.on ? ceil((double)nd->attr.act.lo) : -INFINITY;
    const double hi = nd->attr.act.on ? floor((double)nd->attr.act.hi) : INFINITY;
    if (ir_numel(T(g, nd->in[0])) != ir_numel(y))
        return lower_fail(err, errlen, g, node, "input and output sizes differ");
    if (!lower_fits_i32(ir_numel(y)))
        return lower_fail(err, errlen, g, node, "tensor of more than 2^31 elements");
    int src = nd->in[0];
    const int32_t n = (int32_t)ir_numel(y);
    for (int side = 0; side < 2; side++) {
        const double bound = side == 0 ? lo : hi;
        const bool open = side == 0 ? bound <= tmin : bound >= tmax;
        if (open && !(side == 1 && src == nd->in[0]))
            continue;   /* (an all-open clip still needs one call to copy) */
        /* The bound in the type's range; the extremes by bit pattern, since
         * 2^63 - 1 and 2^64 - 1 are not doubles. */
        unsigned char bytes[8];
        memset(bytes, 0, sizeof bytes);
        if (bound >= tmax) {
            const uint64_t all = is_signed ? (UINT64_MAX >> (65 - 8 * es)) : (UINT64_MAX >> (64 - 8 * es));
            memcpy(bytes, &all, es);   /* little-endian: the low bytes */
        } else if (bound <= tmin) {
            const int64_t mn = is_signed ? -(int64_t)(UINT64_MAX >> (65 - 8 * es)) - 1 : 0;
            memcpy(bytes, &mn, es);
        } else if (is_signed) {
            const int64_t iv = (int64_t)bound;
            memcpy(bytes, &iv, es);
        } else {
            const uint64_t uv = (uint64_t)bound;
            memcpy(bytes, &uv, es);
        }
        const int64_t one[1] = {1};
        const int bt = lower_add_const(g, node, T(g, nd->out[0])->name, side ? "clip_hi" : "clip_lo",
                                       dt, 1, one, bytes, es);
        char kernel[32];
        snprintf(kernel, sizeof kernel, "kiln_%s_%s", side ? "min" : "max", sfx);
        /* y = op(x, bound): x walked element by element, the bound broadcast */
        const kiln_binary_int_params bp = {.rank = 1, .shape = {(int32_t)n, 1, 1, 1, 1, 1},
                                           .a_stride = {1}};
        lir_call *c = LIR_CALL(p, node, kernel, kiln_binary_int_params, &bp);
        lir_in(c, src);
        lir_in(c, bt);
        lir_out(c, nd->out[0]);
        src = nd->out[0];
    }
    return 1;
}

/* ---- MAXPOOL on int8 / uint8 ---------------------------------------------- */

/* [N, C, s...] or [N, s..., C] with nsp spatial dims, right-aligned into
 * three entries (unused: 1). */
static bool pool_geom(const ir_tensor *t, bool nhwc, int nsp, int32_t *batch, int32_t *ch, int32_t sp[3])
{
    if (t->rank != nsp + 2 || nsp < 1 || nsp > 3)
        return false;
    for (int d = 0; d < t->rank; d++)
        if (!lower_fits_i32(t->shape[d]))
            return false;
    *batch = (int32_t)t->shape[0];
    *ch = (int32_t)(nhwc ? t->shape[t->rank - 1] : t->shape[1]);
    sp[0] = sp[1] = sp[2] = 1;
    for (int i = 0; i < nsp; i++)
        sp[3 - nsp + i] = (int32_t)t->shape[nhwc ? 1 + i : 2 + i];
    return true;
}

/* Max pooling selects elements, so on integers that keep their
 * quantization it is data movement (kiln_maxpool_int8 / _uint8). */
static int lower_int_maxpool(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    const ir_conv_attr *ca = &nd->attr.conv;
    const bool nhwc = ca->layout == IR_LAYOUT_NHWC;
    const int nsp = ca->nspatial;
    int32_t xb, xc, yb, yc, xsp[3], ysp[3];
    if (!pool_geom(T(g, nd->in[0]), nhwc, nsp, &xb, &xc, xsp) ||
        !pool_geom(T(g, nd->out[0]), nhwc, nsp, &yb, &yc, ysp))
        return lower_fail(err, errlen, g, node, "input/output rank does not fit %d spatial dims", nsp);
    if (xb != yb || xc != yc)
        return lower_fail(err, errlen, g, node, "batch or channels change");
    kiln_maxpool_int_params mp = {.layout = nhwc ? KILN_LAYOUT_NHWC : KILN_LAYOUT_NCHW, .batch = xb,
                                  .channels = xc, .storage_order = ca->storage_order ? 1 : 0};
    memcpy(mp.in, xsp, sizeof mp.in);
    memcpy(mp.out, ysp, sizeof mp.out);
    int32_t *k = mp.k, *st = mp.stride, *dil = mp.dil, *pad = mp.pad;
    for (int i = 0; i < 3; i++)
        k[i] = st[i] = dil[i] = 1, pad[i] = 0;
    for (int i = 0; i < nsp; i++) {
        const int j = 3 - nsp + i;
        k[j] = ca->kernel[i];
        st[j] = ca->stride[i];
        dil[j] = ca->dilation[i];
        pad[j] = ca->pad_begin[i];
        if (k[j] < 1 || st[j] < 1 || dil[j] < 1 || pad[j] < 0 || ca->pad_end[i] < 0)
            return lower_fail(err, errlen, g, node, "kernel, stride, dilation or pads out of range");
    }
    const int idx = nd->n_out > 1 ? nd->out[1] : -1;
    if (idx >= 0) {
        const ir_tensor *it = T(g, idx);
        if (it->dtype != IR_DT_S64 || ir_numel(it) != ir_numel(T(g, nd->out[0])))
            return lower_fail(err, errlen, g, node, "Indices output must be int64 shaped like Y");
        if (nhwc)
            return lower_fail(err, errlen, g, node, "Indices output needs NCHW layout");
    }
    const bool s8 = T(g, nd->out[0])->dtype == IR_DT_S8;
    lir_call *c = LIR_CALL(p, node, s8 ? "kiln_maxpool_int8" : "kiln_maxpool_uint8",
                           kiln_maxpool_int_params, &mp);
    lir_in(c, nd->in[0]);
    lir_out(c, nd->out[0]);
    lir_out(c, idx);
    return 1;
}

/* ---- dispatch ------------------------------------------------------------ */

int lower_data(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    const ir_node *nd = &g->nodes[node];
    if (nd->n_out < 1 || nd->out[0] < 0 || nd->n_in < 1 || nd->in[0] < 0)
        return 0;
    const ir_tensor *y = T(g, nd->out[0]);
    switch (nd->op) {
    case IR_OP_RESHAPE:
    case IR_OP_TRANSPOSE:
    case IR_OP_SLICE:
    case IR_OP_CONCAT:
    case IR_OP_PAD:
        if (!same_dtype(g, nd) || !all_same_quant(g, nd))
            return 0;
        if (!elem_size_ok(ir_dtype_size(y->dtype)))
            return lower_fail(err, errlen, g, node, "element type %s cannot be moved",
                              ir_dtype_name(y->dtype));
        if (!lower_fits_i32(ir_numel(y)) || !lower_fits_i32(ir_numel(T(g, nd->in[0]))))
            return lower_fail(err, errlen, g, node, "tensor of more than 2^31 elements");
        switch (nd->op) {
        case IR_OP_RESHAPE:
            if (ir_numel(T(g, nd->in[0])) != ir_numel(y))
                return lower_fail(err, errlen, g, node, "reshape changes the element count");
            lir_alias(p, nd->out[0], nd->in[0]);
            return 1;
        case IR_OP_TRANSPOSE: return lower_transpose(g, node, p, err, errlen);
        case IR_OP_SLICE: return lower_slice(g, node, p, err, errlen);
        case IR_OP_CONCAT: return lower_concat(g, node, p, err, errlen);
        default: return lower_pad(g, node, p, err, errlen);
        }
    case IR_OP_RESIZE:
        if (nd->attr.resize.mode != IR_RESIZE_NEAREST || !same_dtype(g, nd) ||
            !ir_same_quant(T(g, nd->in[0]), y) || T(g, nd->in[0])->rank != y->rank ||
            !elem_size_ok(ir_dtype_size(y->dtype)))
            return 0;
        return lower_resize_nearest(g, node, p, err, errlen);
    case IR_OP_MAXPOOL:
        if ((y->dtype != IR_DT_S8 && y->dtype != IR_DT_U8) || !same_dtype(g, nd) ||
            !ir_same_quant(T(g, nd->in[0]), y) || nd->attr.act.on)
            return 0;
        return lower_int_maxpool(g, node, p, err, errlen);
    case IR_OP_CAST:
        /* CAST converts the stored values and ignores quantization on both
         * sides (ref/eval_quant.c defines it so): the ONNX importer's blocked
         * QuantizeLinear casts the int32 it rounded with scale 1 this way. */
        return lower_cast(g, node, p, err, errlen);
    case IR_OP_CLIP:
        if (!same_dtype(g, nd) || !int_suffix(y->dtype) || lower_is_quant(y) ||
            lower_is_quant(T(g, nd->in[0])))
            return 0;
        return lower_int_clip(g, node, p, err, errlen);
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_DIV:
    case IR_OP_MIN:
    case IR_OP_MAX:
        if (nd->n_in < 2 || nd->in[1] < 0 || !same_dtype(g, nd) || !int_suffix(y->dtype) ||
            lower_is_quant(y) || lower_is_quant(T(g, nd->in[0])) || lower_is_quant(T(g, nd->in[1])))
            return 0;
        return lower_int_binary(g, node, p, err, errlen);
    default:
        return 0;
    }
}
