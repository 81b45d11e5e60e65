/*
 * onnx_ops_quant.c - quantized ONNX into IR: QuantizeLinear,
 * DequantizeLinear, QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger.
 *
 * Relies on onnx_helpers.c and on ox_emit_conv()/ox_matmul_shape().  The IR
 * carries quantization on tensors (ir_quant: real = scale * (q - zp)), so a
 * scale / zero-point operand pair becomes the quantization of the tensor it
 * describes; the operands must be known at compile time.  Per tensor and
 * per axis are supported; blocked quantization (block_size) cannot be a
 * tensor's quantization, so QuantizeLinear / DequantizeLinear with blocks
 * are decomposed into float and integer IR ops with ONNX's arithmetic
 * against constants holding one scale and zero point per element.  The
 * sub-byte and 8-bit float types are refused by name.  Integer ops
 * (ConvInteger, MatMulInteger) give their inputs scale 1 and their zero
 * points, and produce int32 without quantization (see ir_ops.def CONV).
 * All nodes use qmode IR_QMODE_ONNX.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"
#include "util/sbuf.h"

typedef struct qp {
    int n, axis;          /* n == 1: per tensor */
    float *scale;
    int32_t *zp;
    bool has_zp;
    ir_dtype zdt;
} qp;

static void qp_free(qp *q)
{
    free(q->scale);
    free(q->zp);
    memset(q, 0, sizeof *q);
}

static bool q_int_type(ir_dtype d)
{
    return d == IR_DT_S8 || d == IR_DT_U8 || d == IR_DT_S16 || d == IR_DT_U16 || d == IR_DT_S32;
}

static bool zp_range(ir_dtype d, int64_t v)
{
    switch (d) {
    case IR_DT_S8: return v >= -128 && v <= 127;
    case IR_DT_U8: return v >= 0 && v <= 255;
    case IR_DT_S16: return v >= -32768 && v <= 32767;
    case IR_DT_U16: return v >= 0 && v <= 65535;
    default: return v >= INT32_MIN && v <= INT32_MAX;
    }
}

/* Reads a scale (input k_scale; -1: scale 1) and zero point (input k_zp,
 * optional) describing a tensor of the given shape, per tensor or along
 * `axis` (-1: per tensor only). */
static bool read_qp(onnx_ctx *c, int k_scale, int k_zp, int axis, int rank, const int64_t *shape, const char *what,
                    qp *q)
{
    memset(q, 0, sizeof *q);
    double *s = NULL;
    int64_t *z = NULL, ns = 1, nz = 0;
    bool ok = false;
    int ts = -1, tz = -1;
    if (k_scale >= 0) {
        if (!ox_in_const(c, k_scale, &ts))
            goto out;
        ir_dtype sd = ox_t(c, ts)->dtype;
        if (sd != IR_DT_F32 && sd != IR_DT_F16 && sd != IR_DT_F64) {
            ox_err(c, "the scale of %s is %s, a float type expected", what, ir_dtype_name(sd));
            goto out;
        }
        if (ox_t(c, ts)->rank > 1) {
            ox_err(c, "the scale of %s has rank %d (blocked quantization is not supported)", what,
                   ox_t(c, ts)->rank);
            goto out;
        }
        if (!ox_const_f64(c, ts, &s, &ns))
            goto out;
    }
    if (ox_has_in(c, k_zp)) {
        if (!ox_in_const(c, k_zp, &tz))
            goto out;
        q->zdt = ox_t(c, tz)->dtype;
        if (!q_int_type(q->zdt)) {
            ox_unsupported(c, "the zero point of %s has element type %s (8, 16 and 32-bit integers are compiled)",
                           what, ir_dtype_name(q->zdt));
            goto out;
        }
        if (ox_t(c, tz)->rank > 1) {
            ox_err(c, "the zero point of %s has rank %d", what, ox_t(c, tz)->rank);
            goto out;
        }
        if (!ox_const_i64(c, tz, &z, &nz))
            goto out;
        q->has_zp = true;
    }
    int64_t n = ns > 1 ? ns : nz > 1 ? nz : 1;
    if ((ns != 1 && ns != n) || (q->has_zp && nz != 1 && nz != n) || (k_scale >= 0 && ns == 0)) {
        ox_err(c, "the scale (%lld values) and zero point (%lld values) of %s do not match", (long long)ns,
               (long long)nz, what);
        goto out;
    }
    if (n > 1) {
        if (axis < 0 || axis >= rank || shape[axis] != n) {
            ox_err(c, "%s has %lld scales or zero points, which does not match its shape along axis %d", what,
                   (long long)n, axis);
            goto out;
        }
    }
    q->n = (int)n;
    q->axis = n > 1 ? axis : 0;
    q->scale = xmalloc((size_t)n * sizeof *q->scale);
    q->zp = xmalloc((size_t)n * sizeof *q->zp);
    for (int64_t i = 0; i < n; i++) {
        double sv = s ? s[ns > 1 ? i : 0] : 1.0;
        if (!(sv > 0) || !(sv <= FLT_MAX) || (float)sv == 0.0f) {
            ox_err(c, "the scale of %s is %g (scales must be positive)", what, sv);
            goto out;
        }
        q->scale[i] = (float)sv;
        int64_t zv = z ? z[nz > 1 ? i : 0] : 0;
        if (!zp_range(q->has_zp ? q->zdt : IR_DT_S32, zv)) {
            ox_err(c, "the zero point of %s is %lld, outside its type", what, (long long)zv);
            goto out;
        }
        q->zp[i] = (int32_t)zv;
    }
    ok = true;
out:
    free(s);
    free(z);
    if (!ok)
        qp_free(q);
    return ok;
}

static bool same_q(const ir_quant *a, const qp *b)
{
    if (a->n != b->n || (a->n > 1 && a->axis != b->axis))
        return false;
    for (int i = 0; i < a->n; i++)
        if (a->scale[i] != b->scale[i] || a->zero_point[i] != b->zp[i])
            return false;
    return true;
}

/* Gives tensor *t the quantization q.  A constant that already has another
 * quantization is copied; an activation cannot carry two. */
static bool quantize_tensor(onnx_ctx *c, int *t, const qp *q)
{
    ir_tensor *tt = ox_t(c, *t);
    if (tt->q.n == 0) {
        ir_set_quant(c->g, *t, q->n, q->axis, q->scale, q->zp);
        return true;
    }
    if (tt->q.n && same_q(&tt->q, q))
        return true;
    if (!ir_is_const(tt))
        return ox_unsupported(c, "tensor '%s' is read with two different quantizations", tt->name);
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, tt->shape, sizeof shape);
    int nt;
    if (!ox_const(c, "requant", tt->dtype, tt->rank, shape, tt->data, tt->nbytes, &nt))
        return false;
    ir_set_quant(c->g, nt, q->n, q->axis, q->scale, q->zp);
    *t = nt;
    return true;
}

/* ---- blocked quantization (block_size > 0, opset >= 21) -------------------- */

static bool block_size_attr(onnx_ctx *c, int64_t *bs)
{
    if (!ox_attr_int(c, "block_size", 0, bs))
        return false;
    if (*bs < 0 || *bs > ((int64_t)1 << 31))
        return ox_err(c, "block_size %lld (it must be 0 or a positive block length)", (long long)*bs);
    return true;
}

static void shape_str(int rank, const int64_t *shape, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < rank && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", d ? "," : "", (long long)shape[d]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
}

/* The quantization axis of a blocked operation: unlike per-axis parameters,
 * blocks always need a real axis of X. */
static bool block_axis(onnx_ctx *c, int rank, int *axis)
{
    int64_t a;
    return ox_attr_int(c, "axis", 1, &a) && ox_axis(c, a, rank, "axis", axis);
}

/* Input k (a blocked scale or zero point, which must be a constant) expanded
 * to one value per element of X (shape xs): element (i0, .., i_axis, ..) of X
 * reads (i0, .., i_axis / bs, ..) of the parameter, which is how ONNX's
 * reference repeats each value bs times along the axis and drops what
 * passes the end.  So the parameter has X's rank and shape except
 * ceil(D_axis / bs) along the axis; a single value is per tensor, as there. */
static bool expand_blocked(onnx_ctx *c, int k, int axis, int64_t bs, int rank, const int64_t *xs,
                           const char *what, int *t, double **out)
{
    *out = NULL;
    if (!ox_has_in(c, k))
        return ox_err(c, "input %d (the %s) is required", k, what);
    if (!ox_in(c, k, t))
        return false;
    if (!ir_is_const(ox_t(c, *t))) {
        char w[64];
        snprintf(w, sizeof w, "the blocked %s", what);
        if (!ox_make_const(c, *t, w))
            return false;
    }
    const ir_tensor *p = ox_t(c, *t);
    const bool single = ir_numel(p) == 1;
    int64_t want[IR_MAX_DIMS];
    for (int d = 0; d < rank; d++)
        want[d] = d == axis ? (xs[d] + bs - 1) / bs : xs[d];
    bool ok = single || p->rank == rank;
    for (int d = 0; ok && !single && d < rank; d++)
        ok = p->shape[d] == want[d];
    if (!ok) {
        char got[128], need[128];
        shape_str(p->rank, p->shape, got, sizeof got);
        shape_str(rank, want, need, sizeof need);
        return ox_err(c, "the %s '%s' is %s; blocks of %lld along axis %d of X need %s", what, p->name, got,
                      (long long)bs, axis, need);
    }
    int64_t pst[IR_MAX_DIMS], s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        pst[d] = single ? 0 : s;
        s *= want[d];
    }
    double *v;
    int64_t nv;
    if (!ox_const_f64(c, *t, &v, &nv))
        return false;
    const int64_t n = ox_numel(rank, xs);
    double *o = xmalloc((size_t)(n ? n : 1) * sizeof *o);
    int64_t idx[IR_MAX_DIMS] = {0};
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int d = 0; d < rank; d++)
            off += (d == axis ? idx[d] / bs : idx[d]) * pst[d];
        o[i] = v[off];
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < xs[d])
                break;
            idx[d] = 0;
        }
    }
    free(v);
    *out = o;
    return true;
}

/* A float32 constant of X's shape from expanded values. */
static bool full_f32(onnx_ctx *c, const char *suffix, int rank, const int64_t *xs, const double *v, int *t)
{
    const int64_t n = ox_numel(rank, xs);
    float *f = xmalloc((size_t)(n ? n : 1) * sizeof *f);
    for (int64_t i = 0; i < n; i++)
        f[i] = (float)v[i];
    bool ok = ox_const(c, suffix, IR_DT_F32, rank, xs, f, (size_t)n * sizeof *f, t);
    free(f);
    return ok;
}

static bool any_nonzero(const double *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (v[i] != 0)
            return true;
    return false;
}

/* Scales must be positive and finite, as for per-tensor parameters. */
static bool check_scales(onnx_ctx *c, int t, const double *v, int64_t n)
{
    if (ox_t(c, t)->dtype != IR_DT_F32)
        return ox_unsupported(c, "blocked quantization with a %s scale (float32 is compiled)",
                              ir_dtype_name(ox_t(c, t)->dtype));
    for (int64_t i = 0; i < n; i++)
        if (!(v[i] > 0) || !(v[i] <= FLT_MAX))
            return ox_err(c, "the scale '%s' holds %g (scales must be positive)", ox_t(c, t)->name, v[i]);
    return true;
}

/* Blocked QuantizeLinear, in IR ops with exactly ONNX's arithmetic
 * (q = saturate(rint(x / scale) + zp), the division in float32, rint
 * rounding half to even, the zero point added to the rounded int32):
 *   DIV(x, scale)  -> QUANTIZE to int32 (scale 1, zero point 0, half to even)
 *   -> CAST to plain int32 -> ADD zp -> CLIP to the output type -> CAST.
 * The zero point is added after rounding because rounding half to even does
 * not commute with adding an odd integer (2.5 + 1: rint gives 3, not 4).
 * The int32 kernel saturates only at 2^32, so with any 8/16-bit zero point
 * the sum saturates where the exact value does. */
static bool quantize_blocked(onnx_ctx *c, int x, int64_t bs)
{
    const ir_tensor *tx = ox_t(c, x);
    if (tx->dtype != IR_DT_F32)
        return ox_unsupported(c, "blocked QuantizeLinear of %s tensors (float32 is compiled)",
                              ir_dtype_name(tx->dtype));
    const int rank = tx->rank;
    int64_t xs[IR_MAX_DIMS];
    memcpy(xs, tx->shape, sizeof xs);
    int axis, ts, tz = -1;
    int64_t odt;
    if (!block_axis(c, rank, &axis) || !ox_attr_int(c, "output_dtype", 0, &odt))
        return false;
    double *sv = NULL, *zv = NULL;
    bool ok = false;
    const int64_t n = ox_numel(rank, xs);
    ir_dtype ydt = IR_DT_U8;
    if (!expand_blocked(c, 1, axis, bs, rank, xs, "scale", &ts, &sv) || !check_scales(c, ts, sv, n))
        goto out;
    if (ox_has_in(c, 2)) {
        if (!expand_blocked(c, 2, axis, bs, rank, xs, "zero point", &tz, &zv))
            goto out;
        ydt = ox_t(c, tz)->dtype;
    } else if (odt && !ox_dtype(c, (int32_t)odt, &ydt, "output_dtype")) {
        goto out;
    }
    if (ydt != IR_DT_S8 && ydt != IR_DT_U8 && ydt != IR_DT_S16 && ydt != IR_DT_U16) {
        ox_unsupported(c, "quantizing to %s", ir_dtype_name(ydt));
        goto out;
    }
    int sc, d, r, ri, cur, y;
    if (!full_f32(c, "block_scale", rank, xs, sv, &sc) || !ox_tmp(c, "divided", IR_DT_F32, rank, xs, &d) ||
        !ox_tmp(c, "rounded", IR_DT_S32, rank, xs, &r) || !ox_tmp(c, "rounded_int", IR_DT_S32, rank, xs, &ri))
        goto out;
    const int in_div[2] = {x, sc};
    ox_node(c, IR_OP_DIV, 2, in_div, 1, &d);
    const float one = 1.0f;
    const int32_t zero = 0;
    ir_set_quant(c->g, r, 1, 0, &one, &zero);
    const int qn = ox_node(c, IR_OP_QUANTIZE, 1, &d, 1, &r);   /* (nodes may move: index first) */
    c->g->nodes[qn].attr.qmode = IR_QMODE_ONNX;
    ox_node(c, IR_OP_CAST, 1, &r, 1, &ri);
    cur = ri;
    if (zv && any_nonzero(zv, n)) {
        int32_t *zi = xmalloc((size_t)(n ? n : 1) * sizeof *zi);
        for (int64_t i = 0; i < n; i++)
            zi[i] = (int32_t)zv[i];
        int zc, sum;
        bool made = ox_const(c, "block_zero_point", IR_DT_S32, rank, xs, zi, (size_t)n * sizeof *zi, &zc) &&
                    ox_tmp(c, "shifted", IR_DT_S32, rank, xs, &sum);
        free(zi);
        if (!made)
            goto out;
        const int in_add[2] = {ri, zc};
        ox_node(c, IR_OP_ADD, 2, in_add, 1, &sum);
        cur = sum;
    }
    int sat;
    if (!ox_tmp(c, "saturated", IR_DT_S32, rank, xs, &sat))
        goto out;
    const int cn = ox_node(c, IR_OP_CLIP, 1, &cur, 1, &sat);
    ir_act *act = &c->g->nodes[cn].attr.act;
    act->on = true;
    act->lo = ydt == IR_DT_S8 ? -128.0f : ydt == IR_DT_S16 ? -32768.0f : 0.0f;
    act->hi = ydt == IR_DT_S8 ? 127.0f : ydt == IR_DT_U8 ? 255.0f : ydt == IR_DT_S16 ? 32767.0f : 65535.0f;
    if (!ox_out(c, 0, ydt, rank, xs, &y))
        goto out;
    if (y >= 0)
        ox_node(c, IR_OP_CAST, 1, &sat, 1, &y);
    ok = true;
out:
    free(sv);
    free(zv);
    return ok;
}

/* Blocked DequantizeLinear, in IR ops with ONNX's arithmetic:
 * y = (float32(x) - float32(zp)) * scale, i.e. CAST -> SUB -> MUL against
 * constants of X's shape.  For 8/16-bit x the subtraction is exact in
 * float32, as in numpy.  An int32 x with a non-zero zero point is refused:
 * numpy computes that case in float64. */
static bool dequantize_blocked(onnx_ctx *c, int x, int64_t bs)
{
    const ir_tensor *tx = ox_t(c, x);
    const ir_dtype xdt = tx->dtype;
    if (!q_int_type(xdt))
        return ox_unsupported(c, "DequantizeLinear of %s tensors", ir_dtype_name(xdt));
    if (tx->q.n)
        return ox_unsupported(c, "blocked DequantizeLinear of '%s', which already carries a quantization",
                              tx->name);
    const int rank = tx->rank;
    int64_t xs[IR_MAX_DIMS];
    memcpy(xs, tx->shape, sizeof xs);
    int axis, ts, tz;
    int64_t odt;
    if (!block_axis(c, rank, &axis) || !ox_attr_int(c, "output_dtype", 0, &odt))
        return false;
    if (odt && odt != ONNX_FLOAT) {
        ir_dtype d;
        if (!ox_dtype(c, (int32_t)odt, &d, "output_dtype"))
            return false;
        return ox_unsupported(c, "blocked dequantizing to %s (float32 is compiled)", ir_dtype_name(d));
    }
    double *sv = NULL, *zv = NULL;
    bool ok = false;
    const int64_t n = ox_numel(rank, xs);
    if (!expand_blocked(c, 1, axis, bs, rank, xs, "scale", &ts, &sv) || !check_scales(c, ts, sv, n))
        goto out;
    if (ox_has_in(c, 2)) {
        if (!expand_blocked(c, 2, axis, bs, rank, xs, "zero point", &tz, &zv))
            goto out;
        if (ox_t(c, tz)->dtype != xdt) {
            ox_err(c, "the zero point is %s but the input is %s", ir_dtype_name(ox_t(c, tz)->dtype),
                   ir_dtype_name(xdt));
            goto out;
        }
        if (xdt == IR_DT_S32 && any_nonzero(zv, n)) {
            ox_unsupported(c, "blocked DequantizeLinear of int32 with non-zero zero points");
            goto out;
        }
    }
    int xf, sc, cur, y;
    if (!ox_tmp(c, "as_float", IR_DT_F32, rank, xs, &xf) || !full_f32(c, "block_scale", rank, xs, sv, &sc))
        goto out;
    ox_node(c, IR_OP_CAST, 1, &x, 1, &xf);
    cur = xf;
    if (zv && any_nonzero(zv, n)) {
        int zc, dx;
        if (!full_f32(c, "block_zero_point", rank, xs, zv, &zc) ||
            !ox_tmp(c, "centered", IR_DT_F32, rank, xs, &dx))
            goto out;
        const int in_sub[2] = {xf, zc};
        ox_node(c, IR_OP_SUB, 2, in_sub, 1, &dx);
        cur = dx;
    }
    if (!ox_out(c, 0, IR_DT_F32, rank, xs, &y))
        goto out;
    if (y >= 0) {
        const int in_mul[2] = {cur, sc};
        ox_node(c, IR_OP_MUL, 2, in_mul, 1, &y);
    }
    ok = true;
out:
    free(sv);
    free(zv);
    return ok;
}

/* ---- QuantizeLinear / DequantizeLinear ------------------------------------- */

static bool axis_attr(onnx_ctx *c, int rank, int *axis)
{
    int64_t a;
    if (!ox_attr_int(c, "axis", 1, &a))
        return false;
    if (rank == 0) {
        *axis = -1;
        return true;
    }
    /* Per-tensor parameters leave the axis unused, so an axis past a small
     * rank only matters when the scales are per axis. */
    if (a < -rank || a >= rank) {
        *axis = -1;
        return true;
    }
    *axis = (int)(a < 0 ? a + rank : a);
    return true;
}

bool ox_quantize_linear(onnx_ctx *c)
{
    int x, axis;
    int64_t bs;
    if (!ox_in(c, 0, &x) || !block_size_attr(c, &bs))
        return false;
    if (bs > 0)
        return quantize_blocked(c, x, bs);
    const ir_tensor *tx = ox_t(c, x);
    if (tx->dtype != IR_DT_F32 && tx->dtype != IR_DT_F16)
        return ox_unsupported(c, "QuantizeLinear of %s tensors", ir_dtype_name(tx->dtype));
    int rank = tx->rank;
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, tx->shape, sizeof shape);
    if (!axis_attr(c, rank, &axis))
        return false;
    int64_t odt;
    if (!ox_attr_int(c, "output_dtype", 0, &odt))
        return false;
    if (odt < 0 || odt > 1000)
        return ox_err(c, "output_dtype %lld", (long long)odt);
    qp q;
    if (!read_qp(c, 1, 2, axis, rank, shape, "the output", &q))
        return false;
    ir_dtype ydt = IR_DT_U8;
    if (q.has_zp)
        ydt = q.zdt;
    else if (odt && !ox_dtype(c, (int32_t)odt, &ydt, "output_dtype")) {
        qp_free(&q);
        return false;
    }
    bool ok = false;
    int y;
    if (!q_int_type(ydt) || ydt == IR_DT_S32) {
        ox_unsupported(c, "quantizing to %s", ir_dtype_name(ydt));
        goto out;
    }
    if (!ox_out(c, 0, ydt, rank, shape, &y))
        goto out;
    if (y >= 0) {
        ir_set_quant(c->g, y, q.n, q.axis, q.scale, q.zp);
        const int nd = ox_node(c, IR_OP_QUANTIZE, 1, &x, 1, &y);
        c->g->nodes[nd].attr.qmode = IR_QMODE_ONNX;   /* rint: half to even */
    }
    ok = true;
out:
    qp_free(&q);
    return ok;
}

bool ox_dequantize_linear(onnx_ctx *c)
{
    int x, axis, ts;
    int64_t bs;
    if (!ox_in(c, 0, &x) || !block_size_attr(c, &bs))
        return false;
    if (bs > 0)
        return dequantize_blocked(c, x, bs);
    if (!ox_in(c, 1, &ts))
        return false;
    const ir_tensor *tx = ox_t(c, x);
    ir_dtype xdt = tx->dtype;
    if (!q_int_type(xdt))
        return ox_unsupported(c, "DequantizeLinear of %s tensors", ir_dtype_name(xdt));
    int rank = tx->rank;
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, tx->shape, sizeof shape);
    ir_dtype ydt = ox_t(c, ts)->dtype;
    int64_t odt;
    if (!axis_attr(c, rank, &axis) || !ox_attr_int(c, "output_dtype", 0, &odt))
        return false;
    if (odt < 0 || odt > 1000)
        return ox_err(c, "output_dtype %lld", (long long)odt);
    if (odt && !ox_dtype(c, (int32_t)odt, &ydt, "output_dtype"))
        return false;
    if (ydt != IR_DT_F32 && ydt != IR_DT_F16)
        return ox_unsupported(c, "dequantizing to %s", ir_dtype_name(ydt));
    qp q;
    if (!read_qp(c, 1, 2, axis, rank, shape, "the input", &q))
        return false;
    bool ok = false;
    int y;
    if (q.has_zp && q.zdt != xdt) {
        ox_err(c, "the zero point is %s but the input is %s", ir_dtype_name(q.zdt), ir_dtype_name(xdt));
        goto out;
    }
    if (!quantize_tensor(c, &x, &q) || !ox_out(c, 0, ydt, rank, shape, &y))
        goto out;
    if (y >= 0)
        ox_node(c, IR_OP_DEQUANTIZE, 1, &x, 1, &y);
    ok = true;
out:
    qp_free(&q);
    return ok;
}

/* ---- QLinearConv / ConvInteger ---------------------------------------------- */

static bool int8_operand(onnx_ctx *c, int t, const char *what)
{
    ir_dtype d = ox_t(c, t)->dtype;
    if (d == IR_DT_S8 || d == IR_DT_U8)
        return true;
    return ox_unsupported(c, "%s of element type %s (int8 and uint8 are compiled)", what, ir_dtype_name(d));
}

bool ox_qlinear_conv(onnx_ctx *c)
{
    int x, w, b;
    if (!ox_in(c, 0, &x) || !ox_in_weights(c, 3, false, &w) || !ox_in_weights(c, 8, true, &b) ||
        !int8_operand(c, x, "input") ||
        !int8_operand(c, w, "weights"))
        return false;
    const ir_tensor *tx = ox_t(c, x), *tw = ox_t(c, w);
    int64_t xs[IR_MAX_DIMS], ws[IR_MAX_DIMS];
    memcpy(xs, tx->shape, sizeof xs);
    memcpy(ws, tw->shape, sizeof ws);
    int xr = tx->rank, wr = tw->rank;
    qp qx = {0}, qw = {0}, qy = {0};
    bool ok = false;
    if (!read_qp(c, 1, 2, -1, xr, xs, "the input", &qx) || !read_qp(c, 4, 5, 0, wr, ws, "the weights", &qw) ||
        !read_qp(c, 6, 7, -1, 0, NULL, "the output", &qy))
        goto out;
    ir_dtype ydt = qy.has_zp ? qy.zdt : ox_t(c, x)->dtype;
    if (ydt != IR_DT_S8 && ydt != IR_DT_U8) {
        ox_unsupported(c, "output of element type %s", ir_dtype_name(ydt));
        goto out;
    }
    if (!quantize_tensor(c, &x, &qx) || !quantize_tensor(c, &w, &qw))
        goto out;
    if (b >= 0) {
        /* The int32 bias has scale s_x * s_w[m] and zero point 0. */
        if (ox_t(c, b)->dtype != IR_DT_S32) {
            ox_err(c, "bias '%s' is %s, int32 expected", ox_t(c, b)->name, ir_dtype_name(ox_t(c, b)->dtype));
            goto out;
        }
        if (ox_t(c, b)->rank != 1 || (qw.n > 1 && ox_t(c, b)->shape[0] != qw.n)) {
            ox_err(c, "bias must be 1-D with one value per output channel");
            goto out;
        }
        qp qb = {0};
        qb.n = qw.n;
        qb.axis = 0;
        qb.scale = xmalloc((size_t)qw.n * sizeof *qb.scale);
        qb.zp = xcalloc((size_t)qw.n, sizeof *qb.zp);
        for (int i = 0; i < qw.n; i++)
            qb.scale[i] = qx.scale[0] * qw.scale[i];
        bool bok = quantize_tensor(c, &b, &qb);
        qp_free(&qb);
        if (!bok)
            goto out;
    }
    int y;
    if (!ox_emit_conv(c, x, w, b, ydt, &y))
        goto out;
    if (y >= 0)
        ir_set_quant(c->g, y, 1, 0, qy.scale, qy.zp);
    ok = true;
out:
    qp_free(&qx);
    qp_free(&qw);
    qp_free(&qy);
    return ok;
}

bool ox_conv_integer(onnx_ctx *c)
{
    int x, w;
    if (!ox_in(c, 0, &x) || !ox_in_weights(c, 1, false, &w) || !int8_operand(c, x, "input") ||
        !int8_operand(c, w, "weights"))
        return false;
    const ir_tensor *tx = ox_t(c, x), *tw = ox_t(c, w);
    int64_t xs[IR_MAX_DIMS], ws[IR_MAX_DIMS];
    memcpy(xs, tx->shape, sizeof xs);
    memcpy(ws, tw->shape, sizeof ws);
    int xr = tx->rank, wr = tw->rank;
    qp qx = {0}, qw = {0};
    bool ok = false;
    if (!read_qp(c, -1, 2, -1, xr, xs, "the input", &qx) || !read_qp(c, -1, 3, 0, wr, ws, "the weights", &qw))
        goto out;
    if ((qx.has_zp && qx.zdt != ox_t(c, x)->dtype) || (qw.has_zp && qw.zdt != ox_t(c, w)->dtype)) {
        ox_err(c, "zero points must have the element type of their operand");
        goto out;
    }
    /* Scale 1: the "real" value is q - zp, and Y = sum((x - zx)(w - zw)) in int32. */
    ok = quantize_tensor(c, &x, &qx) && quantize_tensor(c, &w, &qw) && ox_emit_conv(c, x, w, -1, IR_DT_S32, NULL);
out:
    qp_free(&qx);
    qp_free(&qw);
    return ok;
}

/* ---- QLinearMatMul / MatMulInteger ------------------------------------------ */

static bool matmul_q(onnx_ctx *c, int a, int b, const qp *qa, const qp *qb, const qp *qy, ir_dtype ydt)
{
    int rank;
    int64_t shape[IR_MAX_DIMS + 2];
    if (!ox_matmul_shape(c, a, b, &rank, shape))
        return false;
    if (!quantize_tensor(c, &a, qa) || !quantize_tensor(c, &b, qb))
        return false;
    int y;
    if (!ox_out(c, 0, ydt, rank, shape, &y))
        return false;
    if (y < 0)
        return true;
    if (qy)
        ir_set_quant(c->g, y, 1, 0, qy->scale, qy->zp);
    int in[2] = {a, b};
    int nd = ox_node(c, IR_OP_MATMUL, 2, in, 1, &y);
    c->g->nodes[nd].attr.qmode = IR_QMODE_ONNX;
    return true;
}

/* Per-row quantization of A lies along its second-last axis, per-column of
 * B along its last. */
static int row_axis(onnx_ctx *c, int t) { return ox_t(c, t)->rank >= 2 ? ox_t(c, t)->rank - 2 : -1; }
static int col_axis(onnx_ctx *c, int t) { return ox_t(c, t)->rank >= 2 ? ox_t(c, t)->rank - 1 : -1; }

bool ox_qlinear_matmul(onnx_ctx *c)
{
    int a, b;
    if (!ox_in(c, 0, &a) || !ox_in(c, 3, &b) || !int8_operand(c, a, "input A") || !int8_operand(c, b, "input B"))
        return false;
    int64_t as[IR_MAX_DIMS], bs[IR_MAX_DIMS];
    memcpy(as, ox_t(c, a)->shape, sizeof as);
    memcpy(bs, ox_t(c, b)->shape, sizeof bs);
    int ar = ox_t(c, a)->rank, br = ox_t(c, b)->rank;
    qp qa = {0}, qb = {0}, qy = {0};
    bool ok = false;
    if (!read_qp(c, 1, 2, row_axis(c, a), ar, as, "input A", &qa) ||
        !read_qp(c, 4, 5, col_axis(c, b), br, bs, "input B", &qb) ||
        !read_qp(c, 6, 7, -1, 0, NULL, "the output", &qy))
        goto out;
    ir_dtype ydt = qy.has_zp ? qy.zdt : ox_t(c, a)->dtype;
    if (ydt != IR_DT_S8 && ydt != IR_DT_U8) {
        ox_unsupported(c, "output of element type %s", ir_dtype_name(ydt));
        goto out;
    }
    ok = matmul_q(c, a, b, &qa, &qb, &qy, ydt);
out:
    qp_free(&qa);
    qp_free(&qb);
    qp_free(&qy);
    return ok;
}

bool ox_matmul_integer(onnx_ctx *c)
{
    int a, b;
    if (!ox_in(c, 0, &a) || !ox_in(c, 1, &b) || !int8_operand(c, a, "input A") || !int8_operand(c, b, "input B"))
        return false;
    int64_t as[IR_MAX_DIMS], bs[IR_MAX_DIMS];
    memcpy(as, ox_t(c, a)->shape, sizeof as);
    memcpy(bs, ox_t(c, b)->shape, sizeof bs);
    int ar = ox_t(c, a)->rank, br = ox_t(c, b)->rank;
    qp qa = {0}, qb = {0};
    bool ok = read_qp(c, -1, 2, row_axis(c, a), ar, as, "input A", &qa) &&
              read_qp(c, -1, 3, col_axis(c, b), br, bs, "input B", &qb) &&
              matmul_q(c, a, b, &qa, &qb, NULL, IR_DT_S32);
    qp_free(&qa);
    qp_free(&qb);
    return ok;
}
