/*
 * eval_int_ops.c - the quantized ops in the integers the IR specifies.
 *
 * Which nodes (ref_int_mode) and, for each op family, the prepare step
 * (multipliers from the tensors' scales, in double or float as TFLite or
 * onnxruntime forms them) and the per-element integer step.  The op files
 * (eval_conv.c, eval_matmul.c, eval_pool.c, eval_elementwise.c,
 * eval_shape.c, eval_quant.c) keep walking the tensors; in integer mode they
 * hand stored integers (or exact integer accumulators) to the functions here
 * instead of real values to ref_store.  docs/kernels-int8.md lists the rules
 * reproduced, with TFLite's and onnxruntime's names for them.
 *
 * Relies on eval_int_math.c; shares nothing with the runtime kernels.
 */
#include <math.h>
#include <string.h>

#include "ref/eval_int.h"

/* ---- tensors ------------------------------------------------------------ */

static float qs(const ir_tensor *t)
{
    return t->q.scale[0];
}

static int32_t qz(const ir_tensor *t)
{
    return t->q.zero_point[0];
}

static bool is8(ir_dtype dt)
{
    return dt == IR_DT_S8 || dt == IR_DT_U8;
}

static bool per_tensor(const ir_tensor *t)
{
    return t && ref_is_quant(t) && t->q.n == 1;
}

static bool onnx(const ref_ctx *c)
{
    return c->nd->attr.qmode == IR_QMODE_ONNX;
}

/* Output 0's clamp range: its type, narrowed by the fused activation. */
static void out_range(const ref_ctx *c, int32_t *lo, int32_t *hi)
{
    const ir_tensor *y = ref_out(c, 0);
    ri_type_range(y->dtype, lo, hi);
    ri_act_range(&c->nd->attr.act, qs(y), qz(y), lo, hi);
}

/* Round half to even of a float, saturated to +-2^20 first (the outputs are
 * 8-bit, so anything beyond saturates the same way). */
static int32_t round_even_f(float v)
{
    if (v > 1048576.0f)
        v = 1048576.0f;
    if (v < -1048576.0f)
        v = -1048576.0f;
    return (int32_t)nearbyintf(v);
}

/* ---- which nodes --------------------------------------------------------- */

static bool accumulating_mode(const ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *w = ref_in(c, 1), *b = ref_in(c, 2), *y = ref_out(c, 0);
    if (!per_tensor(x) || !w || !ref_is_quant(w) || (b && !ref_dtype_is_int(b->dtype)))
        return false;
    if (c->nd->op == IR_OP_MATMUL)       /* QLinearMatMul; TFLite BATCH_MATMUL (int8) */
        return is8(x->dtype) && is8(w->dtype) && is8(y->dtype) && (onnx(c) || per_tensor(w));
    if (is8(x->dtype))
        return is8(w->dtype) && is8(y->dtype);
    return !onnx(c) && x->dtype == IR_DT_S16 && y->dtype == IR_DT_S16 && w->dtype == IR_DT_S8 &&
           c->nd->op != IR_OP_CONV_TRANSPOSE;
}

static bool pool_mode(const ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    const ir_conv_attr *a = &c->nd->attr.conv;
    if (!per_tensor(x) || x->dtype != y->dtype || (c->nd->n_out > 1 && c->nd->out[1] >= 0))
        return false;
    bool max = c->nd->op == IR_OP_MAXPOOL;
    if (onnx(c))
        return is8(x->dtype) && (!max || ir_same_type_quant(x, y));
    for (int i = 0; i < a->nspatial; i++)
        if (a->dilation[i] != 1)
            return false;
    return (x->dtype == IR_DT_S8 || x->dtype == IR_DT_S16) && ir_same_type_quant(x, y) &&
           (max || !a->count_include_pad);
}

static bool binary_mode(const ref_ctx *c)
{
    const ir_tensor *a = ref_in(c, 0), *b = ref_in(c, 1), *y = ref_out(c, 0);
    if (!per_tensor(a) || !per_tensor(b))
        return false;
    ir_op op = c->nd->op;
    if (op == IR_OP_ADD && onnx(c))
        return is8(a->dtype) && is8(b->dtype) && is8(y->dtype);
    bool all8 = a->dtype == IR_DT_S8 && b->dtype == IR_DT_S8 && y->dtype == IR_DT_S8;
    bool all16 = a->dtype == IR_DT_S16 && b->dtype == IR_DT_S16 && y->dtype == IR_DT_S16;
    if (op == IR_OP_DIV)
        return false;
    if (op == IR_OP_MIN || op == IR_OP_MAX)
        return all8;
    return all8 || (all16 && !onnx(c));
}

bool ref_int_mode(const ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    int32_t lo, hi;
    if (!x || !y || !ref_is_quant(y) || !ri_type_range(y->dtype, &lo, &hi))
        return false;
    if (c->nd->op != IR_OP_QUANTIZE && y->q.n != 1)
        return false;
    switch (c->nd->op) {
    case IR_OP_CONV: case IR_OP_CONV_TRANSPOSE: case IR_OP_FULLY_CONNECTED: case IR_OP_MATMUL:
        return accumulating_mode(c);
    case IR_OP_AVGPOOL: case IR_OP_MAXPOOL:
        return pool_mode(c);
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_MIN: case IR_OP_MAX:
        return binary_mode(c);
    case IR_OP_CLIP: case IR_OP_REQUANTIZE:
        return per_tensor(x) && ri_type_range(x->dtype, &lo, &hi);
    case IR_OP_SIGMOID: case IR_OP_TANH: case IR_OP_HARD_SWISH: case IR_OP_LEAKY_RELU:
    case IR_OP_REDUCE_MEAN:
        return per_tensor(x) && x->dtype == IR_DT_S8 && y->dtype == IR_DT_S8;
    case IR_OP_SOFTMAX:
        return per_tensor(x) && x->dtype == IR_DT_S8 && (y->dtype == IR_DT_S8 || y->dtype == IR_DT_S16) &&
               !c->nd->attr.log && c->nd->attr.axis_end == x->rank;
    case IR_OP_CONCAT:
        for (int k = 0; k < c->nd->n_in; k++)
            if (!per_tensor(ref_in(c, k)) || ref_in(c, k)->dtype != IR_DT_S8)
                return false;
        return y->dtype == IR_DT_S8;
    case IR_OP_QUANTIZE:
        /* Of given floats only: quantizing a float the graph computed (a QDQ
         * model's DQ -> op -> Q) stands for an integer kernel onnxruntime
         * fuses it into, which rounds its own way. */
        return x->dtype == IR_DT_F32 && (x->is_input || ir_is_const(x));
    case IR_OP_SVDF:            /* eval_svdf.c computes TFLite's integers itself */
        return true;
    case IR_OP_PRELU:           /* eval_ext.c: TFLM's quantized Prelu */
        return per_tensor(x) && x->dtype == IR_DT_S8 && y->dtype == IR_DT_S8 && per_tensor(ref_in(c, 1)) &&
               ref_in(c, 1)->dtype == IR_DT_S8;
    case IR_OP_CUMSUM:          /* eval_ext.c: TFLM's quantized CumSum */
    case IR_OP_ABS:             /* eval_ext.c: TFLM's AbsEvalQuantized */
        return per_tensor(x) && x->dtype == IR_DT_S8 && y->dtype == IR_DT_S8;
    case IR_OP_SQUARED_DIFFERENCE:  /* eval_ext.c: TFLM's SquaredDifference<int8_t> */
        return per_tensor(x) && x->dtype == IR_DT_S8 && y->dtype == IR_DT_S8 && ref_in(c, 1) &&
               per_tensor(ref_in(c, 1)) && ref_in(c, 1)->dtype == IR_DT_S8;
    default:
        return false;
    }
}

bool ref_int_exact_anyway(const ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    if (!x || !y)
        return false;
    switch (c->nd->op) {
    case IR_OP_RESHAPE: case IR_OP_TRANSPOSE: case IR_OP_SLICE: case IR_OP_PAD:
        return ir_same_type_quant(x, y);
    case IR_OP_MAXPOOL:
        return ir_same_type_quant(x, y) && !c->nd->attr.act.on;
    case IR_OP_REDUCE_MAX: case IR_OP_REDUCE_MIN: case IR_OP_GATHER: case IR_OP_GATHER_ELEMENTS:
    case IR_OP_GATHER_ND:
        return ir_same_type_quant(x, y) && !c->nd->attr.act.on;     /* a stored value is picked, never computed */
    case IR_OP_WHERE:
        return ref_in(c, 1) && ref_in(c, 2) && ir_same_type_quant(ref_in(c, 1), y) &&
               ir_same_type_quant(ref_in(c, 2), y);
    case IR_OP_CONCAT: case IR_OP_MIN: case IR_OP_MAX:
        for (int k = 0; k < c->nd->n_in; k++)
            if (!ref_in(c, k) || !ir_same_type_quant(ref_in(c, k), y))
                return false;
        return !c->nd->attr.act.on;
    default:
        return false;
    }
}

/* ---- accumulating ops: conv, transposed conv, fully connected, matmul ---- */

/* TFLite's real multiplier of channel ch: double(s_x)*double(s_w)/double(s_y),
 * except a per-tensor FULLY_CONNECTED, whose s_x*s_w is a float product
 * (GetQuantizedConvolutionMultipler). */
static double tflite_acc_multiplier(const ref_ctx *c, int64_t ch)
{
    const ir_tensor *x = ref_in(c, 0), *w = ref_in(c, 1), *y = ref_out(c, 0);
    float sw = w->q.scale[w->q.n > 1 ? ch : 0];
    if (c->nd->op == IR_OP_FULLY_CONNECTED && w->q.n == 1)
        return (double)(float)(qs(x) * sw) / (double)qs(y);
    return (double)qs(x) * (double)sw / (double)qs(y);
}

/* 16x8: which TFLM kernel, and so which accumulator: int64 for depthwise and
 * fully connected always, for CONV_2D with an int64 bias; else int32. */
static bool acc64(const ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *b = ref_in(c, 2);
    if (x->dtype != IR_DT_S16)
        return false;
    if (c->nd->op == IR_OP_FULLY_CONNECTED || (b && b->dtype == IR_DT_S64))
        return true;
    const ir_conv_attr *a = &c->nd->attr.conv;
    int64_t chans = a->layout == IR_LAYOUT_NHWC ? x->shape[x->rank - 1] : x->shape[1];
    return (c->nd->src_op && !strcmp(c->nd->src_op, "DEPTHWISE_CONV_2D")) ||
           (a->group > 1 && a->group == chans);
}

bool ref_int_store_acc(ref_ctx *c, const double *acc, int64_t chan_stride, int64_t chan_count)
{
    const ir_tensor *x = ref_in(c, 0), *w = ref_in(c, 1), *y = ref_out(c, 0);
    int32_t lo, hi;
    out_range(c, &lo, &hi);
    bool wide = acc64(c);
    int64_t n = ir_numel(y);
    double *dst = c->val[c->nd->out[0]];
    for (int64_t i = 0; i < n; i++) {
        int64_t ch = (i / chan_stride) % chan_count;
        int64_t v;
        if (onnx(c)) {
            /* onnxruntime: (float)acc * (s_x*s_w/s_y in float), half to even. */
            volatile float scale = qs(x) * w->q.scale[w->q.n > 1 ? ch : 0];
            scale = scale / qs(y);
            v = round_even_f((float)ri_wrap32((int64_t)acc[i]) * scale);
        } else {
            ri_mult m = ri_quantize_multiplier(tflite_acc_multiplier(c, ch));
            v = wide ? ri_mbqm64((int64_t)acc[i], m) : ri_mbqm(ri_wrap32((int64_t)acc[i]), m);
        }
        dst[i] = ri_clamp(v + qz(y), lo, hi);
    }
    return true;
}

/* ---- pools -------------------------------------------------------------- */

double ref_int_pool(const ref_ctx *c, const double *win, int64_t count, int64_t count_pad)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    int32_t lo, hi;
    out_range(c, &lo, &hi);
    int64_t v;
    if (c->nd->op == IR_OP_MAXPOOL) {
        v = lo;
        for (int64_t i = 0; i < count; i++)
            v = win[i] > v ? (int64_t)win[i] : v;
        return ri_clamp(v, lo, hi);
    }
    if (!onnx(c)) {
        /* TFLite: raw sum, divided by the positions inside the input, ties
         * away from zero. */
        int64_t sum = 0;
        for (int64_t i = 0; i < count; i++)
            sum += (int64_t)win[i];
        if (count == 0)
            return ri_clamp(0, lo, hi);
        v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
        return ri_clamp(v, lo, hi);
    }
    const ir_conv_attr *a = &c->nd->attr.conv;
    bool global = a->nspatial <= 2;
    int64_t in_spatial = 1;
    for (int i = 0; i < a->nspatial; i++) {
        global = global && a->pad_begin[i] == 0 && a->pad_end[i] == 0;
        int ax = a->layout == IR_LAYOUT_NHWC ? 1 + i : 2 + i;
        global = global && a->kernel[i] == x->shape[ax];
        in_spatial *= x->shape[ax];
    }
    if (global && count == in_spatial) {
        /* QLinearGlobalAveragePool: int32 sum minus zp*N, times
         * s_x / (s_y * (float)N) in float, half to even. */
        int64_t acc = -(int64_t)qz(x) * count;
        for (int64_t i = 0; i < count; i++)
            acc += (int64_t)win[i];
        volatile float denom = qs(y) * (float)count;
        volatile float scale = qs(x) / denom;
        return ri_clamp(round_even_f((float)ri_wrap32(acc) * scale) + (int64_t)qz(y), lo, hi);
    }
    /* QLinearAveragePool: float products summed in window order. */
    int64_t div = a->count_include_pad ? count_pad : count;
    if (div == 0)
        return ri_clamp(qz(y), lo, hi);
    volatile float sum = 0.0f;
    for (int64_t i = 0; i < count; i++) {
        volatile float p = qs(x) * (float)((int64_t)win[i] - qz(x));
        sum = sum + p;
    }
    volatile float avg = sum / (float)div;
    volatile float q = avg / qs(y);
    return ri_clamp(round_even_f(q + (float)qz(y)), lo, hi);
}

/* ---- binary ops -------------------------------------------------------- */

void ref_int_binary_prepare(const ref_ctx *c, ri_binary *f)
{
    const ir_tensor *a = ref_in(c, 0), *b = ref_in(c, 1), *y = ref_out(c, 0);
    memset(f, 0, sizeof *f);
    out_range(c, &f->lo, &f->hi);
    f->za = qz(a);
    f->zb = qz(b);
    f->zy = qz(y);
    double sa = qs(a), sb = qs(b), sy = qs(y);
    switch (c->nd->op) {
    case IR_OP_ADD: case IR_OP_SUB:
        if (onnx(c)) {
            /* onnxruntime's x86 QLinearAdd, every step in float. */
            volatile float ra = qs(a) / qs(y), rb = qs(b) / qs(y);
            volatile float pa = ra * (float)f->za, pb = rb * (float)f->zb;
            volatile float s = pa + pb;
            f->fa = ra;
            f->fb = rb;
            f->foffset = (float)f->zy - s;
            break;
        }
        /* TFLite add_common: inputs scaled by s/(2 max s) after a left shift
         * of 20 (int8) or 15 (int16); the sum by 2 max s / (2^shift s_y). */
        f->left_shift = a->dtype == IR_DT_S16 ? 15 : 20;
        double twice = 2 * (sa > sb ? sa : sb);
        f->ma = ri_quantize_multiplier(sa / twice);
        f->mb = ri_quantize_multiplier(sb / twice);
        f->my = ri_quantize_multiplier(twice / (ldexp(1.0, f->left_shift) * sy));
        break;
    case IR_OP_MUL:
        f->my = ri_quantize_multiplier(sa * sb / sy);
        break;
    default:    /* MIN, MAX: each input requantized to the output's scale */
        f->ma = ri_quantize_multiplier(sa / sy);
        f->mb = ri_quantize_multiplier(sb / sy);
        break;
    }
}

double ref_int_binary(const ref_ctx *c, const ri_binary *f, double va, double vb)
{
    int32_t a = (int32_t)va - f->za, b = (int32_t)vb - f->zb;
    int64_t v;
    switch (c->nd->op) {
    case IR_OP_ADD: case IR_OP_SUB:
        if (onnx(c)) {
            float inner = fmaf((float)vb, f->fb, f->foffset);
            return ri_clamp(round_even_f(fmaf((float)va, f->fa, inner)), f->lo, f->hi);
        } else {
            int32_t ra = ri_mbqm(ri_wrap32((int64_t)a * (1 << f->left_shift)), f->ma);
            int32_t rb = ri_mbqm(ri_wrap32((int64_t)b * (1 << f->left_shift)), f->mb);
            int32_t raw = ri_wrap32(c->nd->op == IR_OP_ADD ? (int64_t)ra + rb : (int64_t)ra - rb);
            v = (int64_t)ri_mbqm(raw, f->my) + f->zy;
        }
        break;
    case IR_OP_MUL:
        v = (int64_t)ri_mbqm(ri_wrap32((int64_t)a * b), f->my) + f->zy;
        break;
    case IR_OP_MIN: case IR_OP_MAX: {
        int32_t ra = ri_mbqm(a, f->ma), rb = ri_mbqm(b, f->mb);
        v = (int64_t)(c->nd->op == IR_OP_MIN ? (ra < rb ? ra : rb) : (ra > rb ? ra : rb)) + f->zy;
        break;
    }
    default:
        v = 0;
    }
    return ri_clamp(v, f->lo, f->hi);
}

/* ---- unary ops ---------------------------------------------------------- */

void ref_int_unary_prepare(const ref_ctx *c, ri_unary *f)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    memset(f, 0, sizeof *f);
    f->zx = qz(x);
    f->zy = qz(y);
    ri_type_range(y->dtype, &f->lo, &f->hi);
    switch (c->nd->op) {
    case IR_OP_CLIP:            /* requantizes like REQUANTIZE, then clamps */
    case IR_OP_REQUANTIZE:
        if (c->nd->op == IR_OP_CLIP)
            ri_act_range(&c->nd->attr.act, qs(y), qz(y), &f->lo, &f->hi);
        f->m1 = ri_quantize_multiplier((double)qs(x) / (double)qs(y));
        break;
    case IR_OP_SIGMOID: case IR_OP_TANH:
        /* TFLM logistic/tanh prepare: input in Q4.27, frexp of s_x * 2^27. */
        f->m1 = ri_frexp_multiplier((double)qs(x) * ldexp(1.0, 27));
        f->radius = ri_input_radius(4, f->m1.shift);
        break;
    case IR_OP_LEAKY_RELU: {
        /* Both factors are float quotients in TFLite's prepare. */
        float alpha = c->nd->attr.alpha;
        f->m1 = ri_quantize_multiplier((double)(float)(qs(x) / qs(y)));
        f->m2 = ri_quantize_multiplier((double)(float)(qs(x) * alpha / qs(y)));
        break;
    }
    case IR_OP_HARD_SWISH: {
        /* TFLite's 16-bit pipeline: input on the scale s_x/128, output and
         * "reluish" (3.0 = 32768) multipliers rounded to 16 bits. */
        float hires = (1.0f / 128.0f) * qs(x);
        ri_mult om = ri_quantize_multiplier((double)(hires / qs(y)));
        ri_mult rm = ri_quantize_multiplier((double)(hires / (3.0f / 32768.0f)));
        f->m1.q = om.q >= INT32_MAX - (1 << 15) ? INT16_MAX : (om.q + (1 << 15)) / 65536;
        f->m1.shift = om.shift;
        f->m2.q = rm.q >= INT32_MAX - (1 << 15) ? INT16_MAX : (rm.q + (1 << 15)) / 65536;
        f->m2.shift = rm.shift;
        break;
    }
    default:
        break;
    }
}

static int16_t sat16(int64_t v)
{
    return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
}

/* gemmlowp's int16 SaturatingRoundingDoublingHighMul. */
static int16_t srdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN)
        return INT16_MAX;
    int32_t ab = (int32_t)a * b;
    int32_t nudge = ab >= 0 ? (1 << 14) : 1 - (1 << 14);
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* TFLite's SaturatingDoublingHighMul (truncating, no rounding). */
static int16_t sdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN)
        return INT16_MAX;
    return (int16_t)(((int32_t)a * b) / (1 << 15));
}

static int32_t hard_swish(const ri_unary *f, int32_t x)
{
    int16_t hires = (int16_t)(x * 128);
    int16_t preshift = srdhm16(hires, (int16_t)f->m1.q);
    int16_t reluish = hires;
    if (f->m2.shift > 0)
        reluish = sat16((int64_t)reluish * ((int64_t)1 << (f->m2.shift - 1)));
    reluish = srdhm16(reluish, (int16_t)f->m2.q);
    if (f->m2.shift > 0)
        reluish = sat16((int64_t)reluish * 2);
    if (f->m2.shift < 0)
        reluish = (int16_t)ri_rdbpot(reluish, -f->m2.shift);
    reluish = (int16_t)((reluish + (1 << 15)) / 2);     /* [-1, 1] -> [0, 1] */
    int16_t out = sdhm16(reluish, preshift);
    return ri_rdbpot(out, -f->m1.shift) + f->zy;
}

double ref_int_unary(const ref_ctx *c, const ri_unary *f, double stored)
{
    int32_t x = (int32_t)stored - f->zx;
    int64_t v;
    switch (c->nd->op) {
    case IR_OP_CLIP: case IR_OP_REQUANTIZE:
        v = (int64_t)ri_mbqm(x, f->m1) + f->zy;
        break;
    case IR_OP_SIGMOID: case IR_OP_TANH: {
        bool sig = c->nd->op == IR_OP_SIGMOID;
        if (x <= -f->radius)
            v = -128;
        else if (x >= f->radius)
            v = 127;
        else {
            int32_t q4 = ri_mbqm(x, f->m1);
            v = sig ? (int64_t)ri_rdbpot(ri_logistic(q4, 4), 23) - 128
                    : (int64_t)ri_rdbpot(ri_tanh(q4, 4), 24);
        }
        break;
    }
    case IR_OP_LEAKY_RELU:
        v = (int64_t)ri_mbqm(x, x >= 0 ? f->m1 : f->m2) + f->zy;
        break;
    case IR_OP_HARD_SWISH:
        v = hard_swish(f, x);
        break;
    default:
        v = 0;
    }
    return ri_clamp(v, f->lo, f->hi);
}

/* ---- SOFTMAX ------------------------------------------------------------ */

/* TFLite's int8 softmax over the trailing axes [axis, rank): differences to
 * the row maximum in Q5.26, gemmlowp exp, the sum in Q12.19, its
 * reciprocal, each output rounded into the output type offset by its min. */
bool ref_int_softmax(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    int64_t depth = 1;
    for (int d = c->nd->attr.axis; d < x->rank; d++)
        depth *= x->shape[d];
    int64_t rows = depth ? ir_numel(x) / depth : 0;
    /* PreprocessSoftmaxScaling(beta, s_x, 5). */
    double real = (double)c->nd->attr.beta * (double)qs(x) * ldexp(1.0, 26);
    if (real > 2147483647.0)
        real = 2147483647.0;
    ri_mult m = ri_quantize_multiplier(real);
    int32_t diff_min = -ri_input_radius(5, m.shift);
    int out_bits = y->dtype == IR_DT_S16 ? 16 : 8;
    int32_t omin = -(1 << (out_bits - 1)), omax = (1 << (out_bits - 1)) - 1;
    const double *xv = c->val[c->nd->in[0]];
    double *yv = c->val[c->nd->out[0]];
    for (int64_t r = 0; r < rows; r++) {
        const double *row = xv + r * depth;
        int32_t mx = -128;
        for (int64_t i = 0; i < depth; i++)
            mx = (int32_t)row[i] > mx ? (int32_t)row[i] : mx;
        int32_t sum = 0;    /* Q12.19 */
        for (int64_t i = 0; i < depth; i++) {
            int32_t diff = (int32_t)row[i] - mx;
            if (diff >= diff_min) {
                int32_t scaled = ri_srdhm(ri_wrap32((int64_t)diff * ((int64_t)1 << m.shift)), m.q);
                sum = ri_wrap32((int64_t)sum + ri_rescale(ri_exp_on_negative_values(scaled, 5), 0, 12));
            }
        }
        int nbits;
        int32_t recip = ri_reciprocal(sum, 12, &nbits);
        for (int64_t i = 0; i < depth; i++) {
            int32_t diff = (int32_t)row[i] - mx;
            int64_t v = omin;
            if (diff >= diff_min) {
                int32_t scaled = ri_srdhm(ri_wrap32((int64_t)diff * ((int64_t)1 << m.shift)), m.q);
                int32_t e = ri_exp_on_negative_values(scaled, 5);
                v = (int64_t)ri_rdbpot(ri_srdhm(recip, e), nbits + 31 - out_bits) + omin;
            }
            yv[r * depth + i] = ri_clamp(v, omin, omax);
        }
    }
    return true;
}

/* ---- MEAN, CONCAT, QUANTIZE --------------------------------------------- */

double ref_int_mean(const ref_ctx *c, int64_t raw_sum, int64_t count)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    int64_t v;
    if (qs(x) == qs(y) && qz(x) == qz(y)) {
        v = count ? ri_wrap32(raw_sum) / count : 0;     /* C division truncates */
    } else {
        /* QuantizedMeanOrSum: 1/count folded into s_x/s_y's multiplier by
         * up to floor(log2 count) bits (at most 32, and 31 + shift). */
        ri_mult m = ri_quantize_multiplier((double)qs(x) / (double)qs(y));
        int s = 0;
        while (s < 62 && ((int64_t)1 << (s + 1)) <= count)
            s++;
        s = s > 32 ? 32 : s;
        s = s > 31 + m.shift ? 31 + m.shift : s;
        ri_mult folded = {(int32_t)(((int64_t)m.q * ((int64_t)1 << s)) / count), m.shift - s};
        v = (int64_t)ri_mbqm(ri_wrap32(raw_sum - (int64_t)qz(x) * count), folded) + qz(y);
    }
    return ri_clamp(v, -128, 127);
}

double ref_int_concat(const ref_ctx *c, int k, double stored)
{
    const ir_tensor *x = ref_in(c, k), *y = ref_out(c, 0);
    ri_mult m = ri_quantize_multiplier((double)qs(x) / (double)qs(y));
    return ri_clamp((int64_t)ri_mbqm((int32_t)stored - qz(x), m) + qz(y), -128, 127);
}

double ref_int_quantize(const ref_ctx *c, double x, int ch)
{
    const ir_tensor *y = ref_out(c, 0);
    int32_t lo, hi;
    ri_type_range(y->dtype, &lo, &hi);
    float q = (float)x / y->q.scale[ch];
    if (isnan(q))
        return ri_clamp(y->q.zero_point[ch], lo, hi);
    /* TFLite: std::round (ties away from zero); ONNX: ties to even. */
    double r = onnx(c) ? (double)nearbyintf(q) : (double)roundf(q);
    r += y->q.zero_point[ch];
    return r < lo ? lo : r > hi ? hi : r;
}
