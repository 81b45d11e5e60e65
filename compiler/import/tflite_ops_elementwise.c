/*
 * tflite_ops_elementwise.c - TFLite's elementwise operators as IR nodes:
 * ADD, SUB, MUL, MINIMUM, MAXIMUM (numpy broadcasting, fused activation),
 * LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH,
 * SOFTMAX, QUANTIZE and DEQUANTIZE.
 *
 * The IR ops compute the same real-valued function as TFLite and requantize
 * with qmode TFLITE, so these converters only map names and attributes and
 * check shapes and types: RELU family -> CLIP with a real-valued clamp,
 * LOGISTIC -> SIGMOID, SOFTMAX -> the last axis with the file's beta,
 * QUANTIZE float->int -> QUANTIZE and int->int -> REQUANTIZE.  A DEQUANTIZE
 * of a constant (float16 or int8 weights stored compressed) is folded into a
 * float32 constant at import; no node remains.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/tflite_internal.h"
#include "util/sbuf.h"

static bool is_quant_type(ir_dtype dt)
{
    return dt == IR_DT_S8 || dt == IR_DT_U8 || dt == IR_DT_S16;
}

static bool need_quant(tfl_ctx *c, int t, const char *role)
{
    const ir_tensor *x = tfl_t(c, t);
    if (is_quant_type(x->dtype) && x->q.n != 1)
        return tfl_op_fail(c, "%s '%s' is %s but has %s quantization parameters", role, x->name,
                           ir_dtype_name(x->dtype), x->q.n ? "per-channel" : "no");
    return true;
}

static const char *shape_str(const ir_tensor *t, char *buf, size_t len)
{
    size_t at = 0;
    at += (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < t->rank && at < len; d++)
        at += (size_t)snprintf(buf + at, len - at, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
    return buf;
}

bool tfl_binary(tfl_ctx *c)
{
    if (!tfl_check_arity(c, 2, 2, 1))
        return false;
    int a = tfl_in(c, 0), b = a >= 0 ? tfl_in(c, 1) : -1;
    int y = b >= 0 ? tfl_out(c, 0) : -1;
    if (y < 0)
        return false;
    const ir_tensor *at = tfl_t(c, a), *bt = tfl_t(c, b), *yt = tfl_t(c, y);
    if (at->dtype != bt->dtype || at->dtype != yt->dtype)
        return tfl_op_fail(c, "input types %s, %s and output type %s differ",
                           ir_dtype_name(at->dtype), ir_dtype_name(bt->dtype),
                           ir_dtype_name(yt->dtype));
    if (!need_quant(c, a, "input") || !need_quant(c, b, "input") || !need_quant(c, y, "output"))
        return false;
    /* numpy broadcasting: align trailing dims; each pair equal or one is 1. */
    int rank = at->rank > bt->rank ? at->rank : bt->rank;
    bool ok = yt->rank == rank;
    for (int i = 0; ok && i < rank; i++) {
        int da = i - (rank - at->rank), db = i - (rank - bt->rank);
        int64_t sa = da >= 0 ? at->shape[da] : 1, sb = db >= 0 ? bt->shape[db] : 1;
        int64_t s = sa == 1 ? sb : sa;
        ok = (sa == sb || sa == 1 || sb == 1) && yt->shape[i] == s;
    }
    if (!ok) {
        char s1[96], s2[96], s3[96];
        return tfl_op_fail(c, "shapes %s and %s do not broadcast to the output shape %s",
                           shape_str(at, s1, sizeof s1), shape_str(bt, s2, sizeof s2),
                           shape_str(yt, s3, sizeof s3));
    }
    ir_op op;
    bool has_act = true;
    switch (c->builtin) {
    case TFL_OP_ADD: op = IR_OP_ADD; break;
    case TFL_OP_SUB: op = IR_OP_SUB; break;
    case TFL_OP_MUL: op = IR_OP_MUL; break;
    case TFL_OP_MINIMUM: op = IR_OP_MIN; has_act = false; break;
    default: op = IR_OP_MAX; has_act = false; break;
    }
    /* TFLite's power-of-two int16 path (Add/Sub version < 3) rounds
     * differently from the general scaling Kiln implements. */
    if (yt->dtype == IR_DT_S16 && (op == IR_OP_ADD || op == IR_OP_SUB) && c->o.pot_scale_int16)
        return tfl_op_fail(c, "int16 %s with pot_scale_int16 = true (TFLite's power-of-two "
                           "scaling path) is not supported; Kiln implements the general "
                           "scaling of pot_scale_int16 = false", op == IR_OP_ADD ? "ADD" : "SUB");
    ir_act act = {false, -INFINITY, INFINITY};
    if (has_act && !tfl_fused_act(c, c->o.act, &act))
        return false;
    int in[2] = {a, b};
    int nd = tfl_node(c, op, 2, in, 1, &y);
    c->g->nodes[nd].attr.act = act;
    return true;
}

/* One input, one output of the same shape and type. */
static bool unary_operands(tfl_ctx *c, int *x, int *y)
{
    if (!tfl_check_arity(c, 1, 1, 1))
        return false;
    *x = tfl_in(c, 0);
    *y = *x >= 0 ? tfl_out(c, 0) : -1;
    if (*y < 0)
        return false;
    const ir_tensor *xt = tfl_t(c, *x), *yt = tfl_t(c, *y);
    if (!tfl_same_shape(xt, yt)) {
        char s1[96], s2[96];
        return tfl_op_fail(c, "input shape %s and output shape %s differ",
                           shape_str(xt, s1, sizeof s1), shape_str(yt, s2, sizeof s2));
    }
    return true;
}

bool tfl_unary(tfl_ctx *c)
{
    int x, y;
    if (!unary_operands(c, &x, &y))
        return false;
    const ir_tensor *xt = tfl_t(c, x), *yt = tfl_t(c, y);
    if (xt->dtype != yt->dtype)
        return tfl_op_fail(c, "input type %s and output type %s differ", ir_dtype_name(xt->dtype),
                           ir_dtype_name(yt->dtype));
    if (xt->dtype != IR_DT_F32 && !is_quant_type(xt->dtype))
        return tfl_op_fail(c, "type %s is not supported (float32, int8, uint8 or int16)",
                           ir_dtype_name(xt->dtype));
    if (!need_quant(c, x, "input") || !need_quant(c, y, "output"))
        return false;
    ir_op op;
    ir_act act = {true, -INFINITY, INFINITY};
    switch (c->builtin) {
    case TFL_OP_RELU: op = IR_OP_CLIP; act.lo = 0.0f; break;
    case TFL_OP_RELU6: op = IR_OP_CLIP; act.lo = 0.0f; act.hi = 6.0f; break;
    case TFL_OP_RELU_N1_TO_1: op = IR_OP_CLIP; act.lo = -1.0f; act.hi = 1.0f; break;
    case TFL_OP_LOGISTIC: op = IR_OP_SIGMOID; break;
    case TFL_OP_TANH: op = IR_OP_TANH; break;
    case TFL_OP_LEAKY_RELU: op = IR_OP_LEAKY_RELU; break;
    default: op = IR_OP_HARD_SWISH; break;
    }
    int nd = tfl_node(c, op, 1, &x, 1, &y);
    ir_attr *a = &c->g->nodes[nd].attr;
    if (op == IR_OP_CLIP)
        a->act = act;
    if (op == IR_OP_LEAKY_RELU) {
        if (!isfinite(c->o.alpha))
            return tfl_op_fail(c, "alpha = %g is not finite", (double)c->o.alpha);
        a->alpha = c->o.alpha;
    }
    return true;
}

bool tfl_softmax(tfl_ctx *c)
{
    int x, y;
    if (!unary_operands(c, &x, &y))
        return false;
    const ir_tensor *xt = tfl_t(c, x), *yt = tfl_t(c, y);
    bool types_ok = (xt->dtype == IR_DT_F32 && yt->dtype == IR_DT_F32) ||
                    (xt->dtype == IR_DT_S8 && (yt->dtype == IR_DT_S8 || yt->dtype == IR_DT_S16)) ||
                    (xt->dtype == IR_DT_U8 && yt->dtype == IR_DT_U8) ||
                    (xt->dtype == IR_DT_S16 && yt->dtype == IR_DT_S16);
    if (!types_ok)
        return tfl_op_fail(c, "input type %s with output type %s is not supported",
                           ir_dtype_name(xt->dtype), ir_dtype_name(yt->dtype));
    if (xt->rank < 1)
        return tfl_op_fail(c, "input '%s' is a scalar; softmax needs at least one axis", xt->name);
    if (!need_quant(c, x, "input") || !need_quant(c, y, "output"))
        return false;
    if (!isfinite(c->o.beta))
        return tfl_op_fail(c, "beta = %g is not finite", (double)c->o.beta);
    int rank = xt->rank;
    int nd = tfl_node(c, IR_OP_SOFTMAX, 1, &x, 1, &y);
    ir_attr *a = &c->g->nodes[nd].attr;
    a->axis = rank - 1;
    a->axis_end = rank;
    a->beta = c->o.beta;
    return true;
}

bool tfl_quantize(tfl_ctx *c)
{
    int x, y;
    if (!unary_operands(c, &x, &y))
        return false;
    const ir_tensor *xt = tfl_t(c, x), *yt = tfl_t(c, y);
    /* int32 appears only between quantized integers (TFLM requantizes
     * int8/int16 -> int32 and int32 -> int8/int16), never from float. */
    const bool y_i32 = yt->dtype == IR_DT_S32 && xt->dtype != IR_DT_F32;
    if ((!is_quant_type(yt->dtype) && !y_i32) || yt->q.n == 0)
        return tfl_op_fail(c, "output '%s' must be a quantized int8, uint8 or int16 tensor, or "
                           "int32 from an integer input (is %s%s)", yt->name,
                           ir_dtype_name(yt->dtype), yt->q.n ? "" : ", no parameters");
    ir_op op;
    if (xt->dtype == IR_DT_F32) {
        op = IR_OP_QUANTIZE;
    } else if (is_quant_type(xt->dtype) || xt->dtype == IR_DT_S32) {
        if (xt->q.n != 1 || yt->q.n != 1)
            return tfl_op_fail(c, "requantizing needs per-tensor parameters on input and output");
        if (xt->dtype == IR_DT_S32 && yt->dtype != IR_DT_S8 && yt->dtype != IR_DT_S16)
            return tfl_op_fail(c, "an int32 input requantizes to int8 or int16 only (output is %s)",
                               ir_dtype_name(yt->dtype));
        if (y_i32 && xt->dtype != IR_DT_S8 && xt->dtype != IR_DT_S16)
            return tfl_op_fail(c, "an int32 output comes from int8 or int16 only (input is %s)",
                               ir_dtype_name(xt->dtype));
        op = IR_OP_REQUANTIZE;
    } else {
        return tfl_op_fail(c, "input type %s is not supported (float32, int8, uint8, int16, int32)",
                           ir_dtype_name(xt->dtype));
    }
    tfl_node(c, op, 1, &x, 1, &y);
    return true;
}

static float half_to_float(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)man, -24);                 /* subnormal */
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(man | 0x400), exp - 25);
    return sign ? -v : v;
}

/* DEQUANTIZE of a constant: computed now, the output becomes a constant. */
static bool fold_dequantize(tfl_ctx *c, int x)
{
    int32_t yti = fb_vec_i32(&c->m.r, &c->op.outputs, 0);
    int y = tfl_out(c, 0);
    if (y < 0)
        return false;
    const ir_tensor *xt = tfl_t(c, x);
    int64_t n = ir_numel(xt);
    if (!tfl_spend(c, (uint64_t)n * sizeof(float), "dequantized constant"))
        return false;
    float *v = xmalloc((size_t)(n ? n : 1) * sizeof *v);
    /* Per-channel: the channel of flat index i along q.axis. */
    int64_t inner = 1;
    for (int d = xt->q.axis + 1; d < xt->rank; d++)
        inner *= xt->shape[d];
    for (int64_t i = 0; i < n; i++) {
        if (xt->dtype == IR_DT_F16) {
            uint16_t h;
            memcpy(&h, (const uint8_t *)xt->data + 2 * i, 2);
            v[i] = half_to_float(h);
            continue;
        }
        int64_t q;
        switch (xt->dtype) {
        case IR_DT_S8: q = ((const int8_t *)xt->data)[i]; break;
        case IR_DT_U8: q = ((const uint8_t *)xt->data)[i]; break;
        default: { int16_t s; memcpy(&s, (const uint8_t *)xt->data + 2 * i, 2); q = s; break; }
        }
        int ch = xt->q.n > 1 ? (int)((i / inner) % xt->q.n) : 0;
        v[i] = xt->q.scale[ch] * (float)(q - xt->q.zero_point[ch]);
    }
    const ir_tensor *yt = tfl_t(c, y);
    char *name = xstrdup(yt->name);
    int64_t shape[IR_MAX_DIMS];
    int rank = yt->rank;
    memcpy(shape, yt->shape, sizeof shape);
    int k = ir_add_const(c->g, name, IR_DT_F32, rank, shape, v, (size_t)n * sizeof *v);
    free(name);
    free(v);
    c->tmap[yti] = k;        /* later readers of the output get the constant */
    return true;
}

bool tfl_dequantize(tfl_ctx *c)
{
    int x, y;
    if (!unary_operands(c, &x, &y))
        return false;
    const ir_tensor *xt = tfl_t(c, x), *yt = tfl_t(c, y);
    if (yt->dtype != IR_DT_F32)
        return tfl_op_fail(c, "output '%s' is %s, expected float32", yt->name,
                           ir_dtype_name(yt->dtype));
    bool half = xt->dtype == IR_DT_F16;
    if (!half && (!is_quant_type(xt->dtype) || xt->q.n == 0))
        return tfl_op_fail(c, "input '%s' must be a quantized int8, uint8, int16 or a float16 tensor",
                           xt->name);
    if (ir_is_const(xt)) {
        /* The activation tensor unary_operands made for the output stays
         * unused and is compacted away. */
        return fold_dequantize(c, x);
    }
    if (half)
        return tfl_op_fail(c, "float16 activations are not supported");
    if (xt->q.n != 1)
        return tfl_op_fail(c, "per-channel dequantization of activations is not supported");
    tfl_node(c, IR_OP_DEQUANTIZE, 1, &x, 1, &y);
    return true;
}
