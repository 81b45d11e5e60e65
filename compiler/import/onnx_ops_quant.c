/*
 * onnx_ops_quant.c - quantized ONNX into IR: QuantizeLinear,
 * DequantizeLinear, QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger.
 *
 * Relies on onnx_helpers.c and on ox_emit_conv()/ox_matmul_shape().  The IR
 * carries quantization on tensors (ir_quant: real = scale * (q - zp)), so a
 * scale / zero-point operand pair becomes the quantization of the tensor it
 * describes; the operands must be known at compile time.  Per tensor and
 * per axis are supported; blocked quantization (block_size) and the
 * sub-byte and 8-bit float types are refused by name.  Integer ops
 * (ConvInteger, MatMulInteger) give their inputs scale 1 and their zero
 * points, and produce int32 without quantization (see ir_ops.def CONV).
 * All nodes use qmode IR_QMODE_ONNX.
 */
#include <float.h>
#include <math.h>
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

static bool blocked(onnx_ctx *c)
{
    int64_t bs;
    if (!ox_attr_int(c, "block_size", 0, &bs))
        return false;
    if (bs != 0)
        return ox_unsupported(c, "blocked quantization (block_size %lld)", (long long)bs);
    return true;
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
    if (!ox_in(c, 0, &x) || !blocked(c))
        return false;
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
        ox_node(c, IR_OP_QUANTIZE, 1, &x, 1, &y);
    }
    ok = true;
out:
    qp_free(&q);
    return ok;
}

bool ox_dequantize_linear(onnx_ctx *c)
{
    int x, axis, ts;
    if (!ox_in(c, 0, &x) || !blocked(c) || !ox_in(c, 1, &ts))
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
