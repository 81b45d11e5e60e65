/*
 * onnx_ops_math.c - ONNX arithmetic into IR: Gemm, MatMul, the broadcasting
 * binary ops, activations, Clip, Softmax and LogSoftmax.
 *
 * Relies on onnx_helpers.c for inputs, attributes and tensors.  What it
 * resolves: Gemm's transposes and alpha/beta (folded into constant weights
 * of a FULLY_CONNECTED when it can, MATMUL + MUL/ADD otherwise), the
 * pre-opset-7 broadcast/axis attributes, Clip's attribute and input forms,
 * and Softmax's axis rules (coerce-to-2D before opset 13).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_ctx.h"
#include "util/sbuf.h"

static bool is_float(ir_dtype t)
{
    return t == IR_DT_F32 || t == IR_DT_F16 || t == IR_DT_F64;
}

static bool need_float(onnx_ctx *c, int t)
{
    if (is_float(ox_t(c, t)->dtype))
        return true;
    return ox_unsupported(c, "input '%s' has element type %s; this op takes floating point tensors",
                          ox_t(c, t)->name, ir_dtype_name(ox_t(c, t)->dtype));
}

static bool same_dtype(onnx_ctx *c, int a, int b)
{
    if (ox_t(c, a)->dtype == ox_t(c, b)->dtype)
        return true;
    return ox_err(c, "inputs '%s' (%s) and '%s' (%s) have different element types", ox_t(c, a)->name,
                  ir_dtype_name(ox_t(c, a)->dtype), ox_t(c, b)->name, ir_dtype_name(ox_t(c, b)->dtype));
}

/* A scalar float constant of the given dtype (float32 only here). */
static bool scalar_const(onnx_ctx *c, const char *suffix, float v, int *t)
{
    int64_t shape[1] = {1};
    return ox_const(c, suffix, IR_DT_F32, 0, shape, &v, sizeof v, t);
}

/* ---- binary elementwise -------------------------------------------------- */

/* Before opset 7, B broadcasts only when broadcast=1, aligned to A at
 * `axis` (default: trailing).  Returns B reshaped for numpy alignment. */
static bool legacy_broadcast(onnx_ctx *c, int a, int *b)
{
    int64_t bc, axis;
    if (!ox_attr_int(c, "broadcast", 0, &bc))
        return false;
    const ir_tensor *ta = ox_t(c, a), *tb = ox_t(c, *b);
    if (!bc) {
        if (ta->rank != tb->rank || memcmp(ta->shape, tb->shape, (size_t)ta->rank * sizeof ta->shape[0]))
            return ox_err(c, "inputs have different shapes and broadcast is 0");
        return true;
    }
    const onnx_attr *ax = ox_attr(c, "axis");
    if (!ax)
        return true;     /* trailing alignment = numpy */
    if (!ox_attr_int(c, "axis", 0, &axis))
        return false;
    int ra = ta->rank, rb = tb->rank, ai;
    if (!ox_axis(c, axis, ra, "axis", &ai))
        return false;
    if (ai + rb > ra)
        return ox_err(c, "B (rank %d) does not fit into A (rank %d) at axis %d", rb, ra, ai);
    int64_t shape[IR_MAX_DIMS];
    int r = ra - ai;
    for (int i = 0; i < r; i++)
        shape[i] = i < rb ? tb->shape[i] : 1;
    return ox_reshape_to(c, -1, *b, r, shape, b);
}

static bool binary(onnx_ctx *c, ir_op op)
{
    int a, b, y, rank;
    int64_t shape[IR_MAX_DIMS];
    if (!ox_in(c, 0, &a) || !ox_in(c, 1, &b) || !same_dtype(c, a, b))
        return false;
    if (c->node_opset < 7 && !legacy_broadcast(c, a, &b))
        return false;
    if (ox_t(c, a)->dtype == IR_DT_BOOL)
        return ox_unsupported(c, "arithmetic on bool tensors");
    if (!ox_broadcast(c, a, b, &rank, shape) || !ox_out(c, 0, ox_t(c, a)->dtype, rank, shape, &y))
        return false;
    int in[2] = {a, b};
    ox_node(c, op, 2, in, 1, &y);
    return true;
}

bool ox_add(onnx_ctx *c) { return binary(c, IR_OP_ADD); }
bool ox_sub(onnx_ctx *c) { return binary(c, IR_OP_SUB); }
bool ox_mul(onnx_ctx *c) { return binary(c, IR_OP_MUL); }
bool ox_div(onnx_ctx *c) { return binary(c, IR_OP_DIV); }

/* ---- unary ---------------------------------------------------------------- */

static bool unary(onnx_ctx *c, ir_op op, bool float_only, int *node)
{
    int x, y;
    if (!ox_in(c, 0, &x) || (float_only && !need_float(c, x)))
        return false;
    const ir_tensor *tx = ox_t(c, x);
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, tx->shape, sizeof shape);
    if (!ox_out(c, 0, tx->dtype, tx->rank, shape, &y))
        return false;
    *node = ox_node(c, op, 1, &x, 1, &y);
    return true;
}

bool ox_relu(onnx_ctx *c)
{
    int n;
    if (!unary(c, IR_OP_CLIP, false, &n))
        return false;
    ir_act *a = &c->g->nodes[n].attr.act;
    a->on = true;
    a->lo = 0.0f;
    a->hi = INFINITY;
    return true;
}

bool ox_leaky_relu(onnx_ctx *c)
{
    float alpha;
    int n;
    if (!ox_attr_float(c, "alpha", 0.01f, &alpha) || !unary(c, IR_OP_LEAKY_RELU, true, &n))
        return false;
    c->g->nodes[n].attr.alpha = alpha;
    return true;
}

bool ox_sigmoid(onnx_ctx *c) { int n; return unary(c, IR_OP_SIGMOID, true, &n); }
bool ox_tanh(onnx_ctx *c) { int n; return unary(c, IR_OP_TANH, true, &n); }
bool ox_hard_swish(onnx_ctx *c) { int n; return unary(c, IR_OP_HARD_SWISH, true, &n); }
bool ox_sqrt(onnx_ctx *c) { int n; return unary(c, IR_OP_SQRT, true, &n); }

bool ox_hard_sigmoid(onnx_ctx *c)
{
    float alpha, beta;
    int n;
    if (!ox_attr_float(c, "alpha", 0.2f, &alpha) || !ox_attr_float(c, "beta", 0.5f, &beta) ||
        !unary(c, IR_OP_HARD_SIGMOID, true, &n))
        return false;
    c->g->nodes[n].attr.alpha = alpha;
    c->g->nodes[n].attr.beta = beta;
    return true;
}

/* Clip's bound from input k (opset >= 11): absent means open. */
static bool clip_bound(onnx_ctx *c, int k, float open, float *v)
{
    *v = open;
    if (!ox_has_in(c, k))
        return true;
    int t;
    double *d;
    int64_t n;
    if (!ox_in_const(c, k, &t) || !ox_const_f64(c, t, &d, &n))
        return false;
    if (n != 1) {
        free(d);
        return ox_err(c, "Clip bound '%s' must be a scalar, it has %lld elements", ox_t(c, t)->name, (long long)n);
    }
    /* A bound beyond float's range is no bound (and converting it is UB). */
    *v = isnan(d[0]) ? NAN : d[0] > FLT_MAX ? INFINITY : d[0] < -FLT_MAX ? -INFINITY : (float)d[0];
    free(d);
    if (isnan(*v))
        return ox_err(c, "Clip bound is NaN");
    return true;
}

bool ox_clip(onnx_ctx *c)
{
    float lo, hi;
    if (c->node_opset < 11) {
        if (!ox_attr_float(c, "min", -INFINITY, &lo) || !ox_attr_float(c, "max", INFINITY, &hi))
            return false;
    } else if (!clip_bound(c, 1, -INFINITY, &lo) || !clip_bound(c, 2, INFINITY, &hi)) {
        return false;
    }
    int n;
    if (!unary(c, IR_OP_CLIP, false, &n))
        return false;
    ir_act *a = &c->g->nodes[n].attr.act;
    a->on = true;
    a->lo = lo;
    a->hi = hi;
    return true;
}

/* ---- Softmax / LogSoftmax ------------------------------------------------- */

static bool softmax(onnx_ctx *c, bool log)
{
    int x, n;
    if (!ox_in(c, 0, &x) || !need_float(c, x))
        return false;
    int rank = ox_t(c, x)->rank;
    if (rank == 0)
        return ox_err(c, "input is a scalar");
    bool old = c->node_opset < 13;
    int64_t axis;
    int ax;
    if (!ox_attr_int(c, "axis", old ? 1 : -1, &axis) || !ox_axis(c, axis, rank, "axis", &ax))
        return false;
    if (!unary(c, IR_OP_SOFTMAX, true, &n))
        return false;
    ir_attr *a = &c->g->nodes[n].attr;
    a->axis = ax;
    /* Before opset 13 the input is coerced to 2-D [prod(0..axis), prod(axis..)]
     * and normalised over the second; from 13 over the one axis. */
    a->axis_end = old ? rank : ax + 1;
    a->log = log;
    a->beta = 1.0f;
    return true;
}

bool ox_softmax(onnx_ctx *c) { return softmax(c, false); }
bool ox_log_softmax(onnx_ctx *c) { return softmax(c, true); }

/* ---- MatMul ------------------------------------------------------------------ */

/* numpy.matmul shape rules. */
bool ox_matmul_shape(onnx_ctx *c, int a, int b, int *rank, int64_t *shape)
{
    const ir_tensor *ta = ox_t(c, a), *tb = ox_t(c, b);
    int ra = ta->rank, rb = tb->rank;
    if (ra == 0 || rb == 0)
        return ox_err(c, "MatMul operands must have rank >= 1");
    int64_t as[IR_MAX_DIMS + 1], bs[IR_MAX_DIMS + 1];
    int pa = ra == 1 ? 2 : ra, pb = rb == 1 ? 2 : rb;
    if (ra == 1) {
        as[0] = 1;
        as[1] = ta->shape[0];
    } else {
        memcpy(as, ta->shape, (size_t)ra * sizeof as[0]);
    }
    if (rb == 1) {
        bs[0] = tb->shape[0];
        bs[1] = 1;
    } else {
        memcpy(bs, tb->shape, (size_t)rb * sizeof bs[0]);
    }
    int64_t m = as[pa - 2], k = as[pa - 1], k2 = bs[pb - 2], n = bs[pb - 1];
    if (k != k2)
        return ox_err(c, "MatMul inner dimensions differ: '%s' has %lld, '%s' has %lld", ta->name, (long long)k,
                      tb->name, (long long)k2);
    int ba = pa - 2, bb = pb - 2, br = ba > bb ? ba : bb, r = 0;
    for (int i = 0; i < br; i++) {
        int ia = i - (br - ba), ib = i - (br - bb);
        int64_t da = ia >= 0 ? as[ia] : 1, db = ib >= 0 ? bs[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return ox_err(c, "MatMul batch dimensions do not broadcast (%lld vs %lld)", (long long)da, (long long)db);
        shape[r++] = da == 1 ? db : da;
    }
    if (ra != 1)
        shape[r++] = m;
    if (rb != 1)
        shape[r++] = n;
    *rank = r;
    return true;
}

bool ox_matmul(onnx_ctx *c)
{
    int a, b, y, rank;
    int64_t shape[IR_MAX_DIMS + 2];
    if (!ox_in(c, 0, &a) || !ox_in(c, 1, &b) || !same_dtype(c, a, b) || !ox_matmul_shape(c, a, b, &rank, shape))
        return false;
    if (ox_t(c, a)->dtype == IR_DT_BOOL)
        return ox_unsupported(c, "MatMul on bool tensors");
    if (!ox_out(c, 0, ox_t(c, a)->dtype, rank, shape, &y))
        return false;
    int in[2] = {a, b};
    ox_node(c, IR_OP_MATMUL, 2, in, 1, &y);
    return true;
}

/* ---- Gemm ----------------------------------------------------------------- */

static bool transpose2d(onnx_ctx *c, int x, int *y)
{
    const ir_tensor *t = ox_t(c, x);
    int64_t shape[2] = {t->shape[1], t->shape[0]};
    ir_dtype dt = t->dtype;
    if (!ox_tmp(c, "transposed", dt, 2, shape, y))
        return false;
    int n = ox_node(c, IR_OP_TRANSPOSE, 1, &x, 1, y);
    c->g->nodes[n].attr.perm[0] = 1;
    c->g->nodes[n].attr.perm[1] = 0;
    return true;
}

/* W [N,K] = alpha * (transB ? B : B^T) from a float32 constant B. */
static bool gemm_const_weight(onnx_ctx *c, int b, bool trans_b, float alpha, int64_t n, int64_t k, int *w)
{
    const ir_tensor *tb = ox_t(c, b);
    const float *src = (const float *)tb->data;
    float *dst = xmalloc((size_t)(n * k + 1) * sizeof *dst);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < k; j++) {
            float v;
            memcpy(&v, trans_b ? &src[i * k + j] : &src[j * n + i], sizeof v);
            dst[i * k + j] = alpha * v;
        }
    int64_t shape[2] = {n, k};
    bool ok = ox_const(c, "weights", IR_DT_F32, 2, shape, dst, (size_t)(n * k) * sizeof *dst, w);
    free(dst);
    return ok;
}

/* B = DequantizeLinear(constant integer tensor): W [N,K] as a new
 * DequantizeLinear of the transposed constant, so fuse_qdq sees the
 * quantized weight of a FULLY_CONNECTED.  *w = -1 when B is not that. */
static bool gemm_dq_weight(onnx_ctx *c, int b, bool trans_b, int64_t n, int64_t k, int *w)
{
    const ir_tensor *tb = ox_t(c, b);
    *w = -1;
    if (tb->producer < 0 || c->g->nodes[tb->producer].op != IR_OP_DEQUANTIZE)
        return true;
    int q = c->g->nodes[tb->producer].in[0];
    const ir_tensor *tq = ox_t(c, q);
    if (!ir_is_const(tq) || tq->rank != 2)
        return true;
    if (trans_b) {
        *w = b;
        return true;
    }
    /* Transposed copy of the integer constant, quantization axis 1 -> 0. */
    size_t es = ir_dtype_size(tq->dtype);
    uint8_t *dst = xmalloc((size_t)(n * k) * es + 1);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < k; j++)
            memcpy(dst + (size_t)(i * k + j) * es, (const uint8_t *)tq->data + (size_t)(j * n + i) * es, es);
    int64_t shape[2] = {n, k};
    ir_dtype qdt = tq->dtype;
    int qn = tq->q.n, qaxis = tq->q.axis;
    float *scale = qn ? xmalloc((size_t)qn * sizeof *scale) : NULL;
    int32_t *zp = qn ? xmalloc((size_t)qn * sizeof *zp) : NULL;
    if (qn) {
        memcpy(scale, tq->q.scale, (size_t)qn * sizeof *scale);
        memcpy(zp, tq->q.zero_point, (size_t)qn * sizeof *zp);
    }
    int wq, wf;
    bool ok = ox_const(c, "weights_q", qdt, 2, shape, dst, (size_t)(n * k) * es, &wq) &&
              ox_tmp(c, "weights", IR_DT_F32, 2, shape, &wf);
    free(dst);
    if (ok) {
        if (qn)
            ir_set_quant(c->g, wq, qn, qn > 1 ? 1 - qaxis : 0, scale, zp);
        ox_node(c, IR_OP_DEQUANTIZE, 1, &wq, 1, &wf);
        *w = wf;
    }
    free(scale);
    free(zp);
    return ok;
}

/* The bias of a FULLY_CONNECTED from C when C is a row vector: [N] as is
 * (beta 1), [1,N] reshaped, or a constant broadcast to [N] times beta. */
static bool gemm_bias(onnx_ctx *c, int cc, float beta, int64_t n, int *bias)
{
    *bias = -1;
    const ir_tensor *t = ox_t(c, cc);
    int64_t numel = ir_numel(t);
    bool row = (t->rank == 1 && t->shape[0] == n) || (t->rank == 2 && t->shape[0] == 1 && t->shape[1] == n);
    if (t->dtype != IR_DT_F32)
        return true;
    if (ir_is_const(t) && (row || numel == 1 || t->rank == 0)) {
        if (numel != n && numel != 1)
            return true;
        float *v = xmalloc((size_t)(n ? n : 1) * sizeof *v);
        for (int64_t i = 0; i < n; i++) {
            float x;
            memcpy(&x, (const float *)t->data + (numel == 1 ? 0 : i), sizeof x);
            v[i] = beta * x;
        }
        int64_t shape[1] = {n};
        bool ok = ox_const(c, "bias", IR_DT_F32, 1, shape, v, (size_t)n * sizeof *v, bias);
        free(v);
        return ok;
    }
    if (beta != 1.0f || !row)
        return true;
    if (t->rank == 1) {
        *bias = cc;
        return true;
    }
    int64_t shape[1] = {n};
    return ox_reshape_to(c, -1, cc, 1, shape, bias);
}

/* y = t + beta*C, C broadcast to [M,N] (the general Gemm tail). */
static bool gemm_add_c(onnx_ctx *c, int t, int cc, float beta, int y)
{
    if (beta != 1.0f) {
        int s, scaled;
        const ir_tensor *tc = ox_t(c, cc);
        int64_t shape[IR_MAX_DIMS];
        memcpy(shape, tc->shape, sizeof shape);
        if (tc->dtype != IR_DT_F32)
            return ox_unsupported(c, "Gemm with beta != 1 on %s tensors", ir_dtype_name(tc->dtype));
        int rank = tc->rank;
        if (!scalar_const(c, "beta", beta, &s) || !ox_tmp(c, "beta_c", IR_DT_F32, rank, shape, &scaled))
            return false;
        int in[2] = {cc, s};
        ox_node(c, IR_OP_MUL, 2, in, 1, &scaled);
        cc = scaled;
    }
    int in[2] = {t, cc};
    ox_node(c, IR_OP_ADD, 2, in, 1, &y);
    return true;
}

bool ox_gemm(onnx_ctx *c)
{
    int a, b, cc;
    float alpha, beta;
    int64_t ta_, tb_;
    if (!ox_in(c, 0, &a) || !ox_in(c, 1, &b) || !ox_in_opt(c, 2, &cc) || !same_dtype(c, a, b) ||
        !ox_attr_float(c, "alpha", 1.0f, &alpha) || !ox_attr_float(c, "beta", 1.0f, &beta) ||
        !ox_attr_int(c, "transA", 0, &ta_) || !ox_attr_int(c, "transB", 0, &tb_))
        return false;
    const ir_tensor *A = ox_t(c, a), *B = ox_t(c, b);
    if (A->rank != 2 || B->rank != 2)
        return ox_err(c, "Gemm takes 2-D A and B (ranks %d and %d)", A->rank, B->rank);
    if (c->node_opset < 11 && cc < 0)
        return ox_err(c, "input C is required before opset 11");
    bool trans_a = ta_ != 0, trans_b = tb_ != 0;
    int64_t m = trans_a ? A->shape[1] : A->shape[0], k = trans_a ? A->shape[0] : A->shape[1];
    int64_t k2 = trans_b ? B->shape[1] : B->shape[0], n = trans_b ? B->shape[0] : B->shape[1];
    ir_dtype dt = A->dtype;
    if (k != k2)
        return ox_err(c, "Gemm inner dimensions differ (A gives K = %lld, B gives %lld)", (long long)k, (long long)k2);
    if (cc >= 0) {
        const ir_tensor *C = ox_t(c, cc);
        if (C->dtype != dt)
            return same_dtype(c, a, cc);
        /* C broadcasts unidirectionally to [M, N]. */
        int64_t want[2] = {m, n};
        if (C->rank > 2)
            return ox_err(c, "C has rank %d, at most 2 expected", C->rank);
        for (int i = 0; i < C->rank; i++) {
            int64_t d = C->shape[i], w = want[2 - C->rank + i];
            if (d != w && d != 1)
                return ox_err(c, "C (dimension %d = %lld) does not broadcast to [%lld, %lld]", i, (long long)d,
                              (long long)m, (long long)n);
        }
        int64_t bc;
        if (c->node_opset < 7) {
            if (!ox_attr_int(c, "broadcast", 0, &bc))
                return false;
            if (!bc && !(C->rank == 2 && C->shape[0] == m && C->shape[1] == n))
                return ox_err(c, "C must be [%lld, %lld] when broadcast is 0", (long long)m, (long long)n);
        }
    }
    if (!is_float(dt) && (alpha != 1.0f || beta != 1.0f))
        return ox_unsupported(c, "Gemm with alpha or beta != 1 on %s tensors", ir_dtype_name(dt));
    int64_t yshape[2] = {m, n};
    int y;
    if (!ox_out(c, 0, dt, 2, yshape, &y))
        return false;
    if (y < 0)
        return true;
    if (trans_a && !transpose2d(c, a, &a))
        return false;

    int w = -1;
    if (dt == IR_DT_F32 && ir_is_const(ox_t(c, b))) {
        if (!gemm_const_weight(c, b, trans_b, alpha, n, k, &w))
            return false;
    } else if (dt == IR_DT_F32 && alpha == 1.0f && !gemm_dq_weight(c, b, trans_b, n, k, &w)) {
        return false;
    }
    if (w >= 0) {
        int bias = -1;
        if (cc >= 0 && !gemm_bias(c, cc, beta, n, &bias))
            return false;
        bool tail = cc >= 0 && bias < 0;
        int fc_out = y;
        if (tail && !ox_tmp(c, "fc", IR_DT_F32, 2, yshape, &fc_out))
            return false;
        int in[3] = {a, w, bias};
        ox_node(c, IR_OP_FULLY_CONNECTED, 3, in, 1, &fc_out);
        return !tail || gemm_add_c(c, fc_out, cc, beta, y);
    }

    /* General form: MATMUL (+ MUL by alpha) (+ ADD beta*C). */
    if (trans_b && !transpose2d(c, b, &b))
        return false;
    bool scale = alpha != 1.0f;
    int mm = y;
    if ((scale || cc >= 0) && !ox_tmp(c, "matmul", dt, 2, yshape, &mm))
        return false;
    int in[2] = {a, b};
    ox_node(c, IR_OP_MATMUL, 2, in, 1, &mm);
    if (scale) {
        int s, scaled = y;
        if (dt != IR_DT_F32)
            return ox_unsupported(c, "Gemm with alpha != 1 on %s tensors", ir_dtype_name(dt));
        if (!scalar_const(c, "alpha", alpha, &s) || (cc >= 0 && !ox_tmp(c, "alpha_ab", dt, 2, yshape, &scaled)))
            return false;
        int in2[2] = {mm, s};
        ox_node(c, IR_OP_MUL, 2, in2, 1, &scaled);
        mm = scaled;
    }
    return cc < 0 || gemm_add_c(c, mm, cc, beta, y);
}
