/*
 * lower_s8.c - lowering of quantized / integer IR nodes to the int8 kernels
 * (include/kiln/kernels_s8.h).
 *
 * It claims a node when the node needs integer arithmetic on quantized
 * tensors (or makes or consumes them: QUANTIZE, DEQUANTIZE, REQUANTIZE), and
 * a data-movement node only when its quantization changes on the way (a
 * CONCAT is then requantized; anything else is an error).  Pure movement
 * with identical quantization is left to lower_data.c.
 *
 * Everything TFLite computes in floating point when it prepares a kernel
 * (multipliers, shifts, activation ranges, softmax scaling) is computed here
 * with quant_util.c, and per-channel values become constant int32 arrays
 * (ir_add_const).  Weights are repacked into the layout the kernel reads.
 * Existing tensors are never modified.  Relies on lower.c for the LIR
 * builders; never emits a call it has not fully validated.
 */
#include "passes/lower.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/blob.h"
#include "kiln/kernels_s8.h"
#include "passes/lower_svdf.h"
#include "passes/pack_s8.h"
#include "passes/quant_util.h"
#include "util/sbuf.h"

/* Tensor by index; re-fetch after ir_add_const (it may move the array). */
#define TS(i) (&g->tensors[(i)])

typedef struct ctx {
    ir_graph *g;
    int node;
    lir_program *p;
    char *err;
    size_t errlen;
} ctx;

static int fail(ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int fail(ctx *c, const char *fmt, ...)
{
    const ir_node *nd = &c->g->nodes[c->node];
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "node %d '%s' (%s as %s, int8 kernels): %s", c->node, nd->name,
             nd->src_op, ir_op_name(nd->op), msg);
    return -1;
}

/* ---- tensor facts ------------------------------------------------------ */

static bool is_8bit(ir_dtype dt) { return dt == IR_DT_S8 || dt == IR_DT_U8; }

static float qscale(const ir_tensor *t) { return t->q.n ? t->q.scale[0] : 1.0f; }
static int32_t qzp(const ir_tensor *t) { return t->q.n ? t->q.zero_point[0] : 0; }
/* The zero point once uint8 values are read as int8 (u - 128). */
static int32_t szp(const ir_tensor *t) { return qzp(t) - (t->dtype == IR_DT_U8 ? 128 : 0); }
static int32_t xor_of(const ir_tensor *t) { return t->dtype == IR_DT_U8 ? 0x80 : 0; }

static bool type_range(ir_dtype dt, int32_t *lo, int32_t *hi)
{
    switch (dt) {
    case IR_DT_S8: *lo = -128, *hi = 127; return true;
    case IR_DT_U8: *lo = 0, *hi = 255; return true;
    case IR_DT_S16: *lo = -32768, *hi = 32767; return true;
    case IR_DT_U16: *lo = 0, *hi = 65535; return true;
    case IR_DT_S32: *lo = INT32_MIN, *hi = INT32_MAX; return true;
    default: return false;
    }
}

static int qtype_of(ir_dtype dt)
{
    switch (dt) {
    case IR_DT_U8: return KILN_QT_U8;
    case IR_DT_S16: return KILN_QT_S16;
    case IR_DT_U16: return KILN_QT_U16;
    case IR_DT_S32: return KILN_QT_S32;
    default: return KILN_QT_S8;
    }
}

/* Checks a quantized tensor's parameters; `what` names it in the message. */
static int check_quant(ctx *c, const ir_tensor *t, const char *what, bool per_channel_ok)
{
    int32_t lo, hi;
    if (t->q.n == 0)
        return fail(c, "%s '%s' (%s) has no quantization parameters", what, t->name,
                    ir_dtype_name(t->dtype));
    if (t->q.n > 1 && !per_channel_ok)
        return fail(c, "%s '%s' is quantized per channel (%d scales); this op needs one scale",
                    what, t->name, t->q.n);
    bool ranged = type_range(t->dtype, &lo, &hi);
    for (int i = 0; i < t->q.n; i++) {
        float s = t->q.scale[i];
        if (!(s > 0.0f) || isinf(s))
            return fail(c, "%s '%s' scale[%d] = %g: must be positive and finite", what, t->name,
                        i, (double)s);
        if (ranged && (t->q.zero_point[i] < lo || t->q.zero_point[i] > hi))
            return fail(c, "%s '%s' zero_point[%d] = %d is outside the %s range [%d, %d]", what,
                        t->name, i, (int)t->q.zero_point[i], ir_dtype_name(t->dtype), (int)lo,
                        (int)hi);
    }
    return 0;
}

static int64_t prod(const int64_t *d, int from, int to)
{
    int64_t n = 1;
    for (int i = from; i < to; i++)
        n *= d[i];
    return n;
}

static int add_i32(ctx *c, const char *what, int n, const int32_t *v)
{
    const ir_node *nd = &c->g->nodes[c->node];
    char *name = xasprintf("%s.%s", nd->name ? nd->name : "node", what);
    int64_t shape[1] = {n};
    int t = ir_add_const(c->g, name, IR_DT_S32, 1, shape, v, (size_t)n * sizeof(int32_t));
    free(name);
    return t;
}

static int add_f32(ctx *c, const char *what, int n, const float *v)
{
    const ir_node *nd = &c->g->nodes[c->node];
    char *name = xasprintf("%s.%s", nd->name ? nd->name : "node", what);
    int64_t shape[1] = {n};
    int t = ir_add_const(c->g, name, IR_DT_F32, 1, shape, v, (size_t)n * sizeof(float));
    free(name);
    return t;
}

/* ---- multipliers from the model's scales ---------------------------------- */

/* Scales are the model's, finite and positive (check_quant) but possibly
 * extreme: every factor derived from them is checked against what its
 * kernel computes without undefined behaviour, and refused by name
 * otherwise.  `what` says where the factor came from (tensors and scales). */

/* A fixed-point factor for kiln_mbqm (or kiln_mbqm64: max_shift
 * QU_SHIFT_MAX_S64); see QU_SHIFT_MAX in quant_util.h. */
static int fixed_mult(ctx *c, double real, int max_shift, const char *what, int32_t *q, int *shift)
{
    switch (qu_multiplier_fits(real, max_shift, q, shift)) {
    case QU_FITS:
        return 0;
    case QU_NOT_FINITE:
        return fail(c, "%s: the rescale factor is %g (the scales' product overflows); the kernels "
                    "need a finite factor below 2^%d", what, real, max_shift);
    default:
        return fail(c, "%s: the rescale factor %g needs a left shift of %d bits; the kernels take "
                    "factors below 2^%d (shift %d..%d), as TFLite does", what, real, *shift,
                    max_shift, QU_SHIFT_MIN, max_shift);
    }
}

/* A float32 factor the ONNX-flavour kernels multiply by: it must be finite
 * (an infinite one turns 0 * inf into NaN, which no integer conversion can
 * take). */
static int float_mult(ctx *c, float v, const char *what)
{
    if (isfinite(v))
        return 0;
    return fail(c, "%s: the rescale factor overflows float32 (%g); the kernels need a finite one",
                what, (double)v);
}

/* "input 'x' scale s x weights 'w' scale s / output 'y' scale s", with the
 * channel when there are several. */
static void scales_what(char *out, size_t n, int channel, const ir_tensor *x, const ir_tensor *w,
                        float sw, const ir_tensor *y)
{
    char ch[32] = "";
    if (channel >= 0)
        snprintf(ch, sizeof ch, "channel %d: ", channel);
    snprintf(out, n, "%sinput '%s' scale %g x weights '%s' scale %g / output '%s' scale %g", ch,
             x->name, (double)(x->q.n ? x->q.scale[0] : 1.0f), w->name, (double)sw, y->name,
             (double)(y->q.n ? y->q.scale[0] : 1.0f));
}

/* "'a' scale s / 'b' scale s" for a ratio of two tensors' scales. */
static void ratio_what(char *out, size_t n, const ir_tensor *a, const ir_tensor *b)
{
    snprintf(out, n, "'%s' scale %g / '%s' scale %g", a->name,
             (double)(a->q.n ? a->q.scale[0] : 1.0f), b->name,
             (double)(b->q.n ? b->q.scale[0] : 1.0f));
}

/* ---- requantization of accumulating ops -------------------------------- */

enum { RQ_TFLITE = 0, RQ_ONNX = 1, RQ_NONE = 2 }; /* = kiln_rq_mode */

/* How the multiplier of channel m is derived from the float scales, per the
 * TFLM prepare routine of each op. */
typedef enum mult_rule {
    RULE_DOUBLE = 0,     /* double(s_x) * double(s_w) / double(s_y): conv, depthwise,
                            transpose conv, per-channel FC (PopulateConvolution...) */
    RULE_FLOAT_PRODUCT   /* double(float(s_x * s_w)) / double(s_y): per-tensor FC
                            (GetQuantizedConvolutionMultipler) */
} mult_rule;

typedef struct rq_out {
    int mode;
    int mult_t, shift_t;           /* tensors, -1 when absent */
    int32_t out_offset, act_min, act_max, out_xor;
} rq_out;

/* Fills *r for an op with input x, weights w (scales per channel along the
 * output channel, n of them) and output y. */
static int make_rq(ctx *c, int xi, int wi, int yi, int n, mult_rule rule, rq_out *r)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    memset(r, 0, sizeof *r);
    r->mult_t = r->shift_t = -1;
    if (TS(yi)->dtype == IR_DT_S32 && TS(yi)->q.n == 0) {
        r->mode = RQ_NONE;
        return 0;
    }
    if (!is_8bit(TS(yi)->dtype))
        return fail(c, "output '%s' is %s; int8 kernels write int8, uint8 or int32", TS(yi)->name,
                    ir_dtype_name(TS(yi)->dtype));
    if (check_quant(c, TS(yi), "output", false) < 0)
        return -1;
    if (TS(wi)->q.n != 1 && TS(wi)->q.n != n)
        return fail(c, "weights '%s' have %d scales; expected 1 or %d (one per output channel)",
                    TS(wi)->name, TS(wi)->q.n, n);
    r->mode = nd->attr.qmode == IR_QMODE_ONNX ? RQ_ONNX : RQ_TFLITE;
    int32_t lo = -128, hi = 127;
    type_range(TS(yi)->dtype, &lo, &hi);
    qu_activation_range(&nd->attr.act, qscale(TS(yi)), qzp(TS(yi)), lo, hi, &r->act_min,
                        &r->act_max);
    const int32_t shift_dom = TS(yi)->dtype == IR_DT_U8 ? 128 : 0;
    r->act_min -= shift_dom;
    r->act_max -= shift_dom;
    r->out_offset = szp(TS(yi));
    r->out_xor = xor_of(TS(yi));

    int32_t *mult = xcalloc((size_t)n, sizeof(int32_t));
    int32_t *shift = xcalloc((size_t)n, sizeof(int32_t));
    const float sx = qscale(TS(xi)), sy = qscale(TS(yi));
    char what[400];
    for (int m = 0; m < n; m++) {
        const float sw = TS(wi)->q.scale[TS(wi)->q.n == 1 ? 0 : m];
        scales_what(what, sizeof what, TS(wi)->q.n > 1 ? m : -1, TS(xi), TS(wi), sw, TS(yi));
        if (r->mode == RQ_ONNX) {
            /* onnxruntime's float32 output scale. */
            const float v = sx * sw / sy;
            if (float_mult(c, v, what) < 0)
                goto refused;
            mult[m] = qu_float_bits(v);
            continue;
        }
        double real = rule == RULE_FLOAT_PRODUCT ? (double)(sx * sw) / (double)sy
                                                 : (double)sx * (double)sw / (double)sy;
        int sh;
        if (fixed_mult(c, real, QU_SHIFT_MAX, what, &mult[m], &sh) < 0)
            goto refused;
        shift[m] = sh;
    }
    r->mult_t = add_i32(c, "mult", n, mult);
    if (r->mode == RQ_TFLITE)
        r->shift_t = add_i32(c, "shift", n, shift);
    free(mult);
    free(shift);
    return 0;
refused:
    free(mult);
    free(shift);
    return -1;
}

/* The operands of every requantizing op with weights: input, weights, bias,
 * the per-channel multiplier and shift tables, output. */
static int weighted_operands(lir_call *call, int xi, int wi, int bi, const rq_out *r, int yi)
{
    lir_in(call, xi);
    lir_in(call, wi);
    lir_in(call, bi);
    lir_in(call, r->mult_t);
    lir_in(call, r->shift_t);
    lir_out(call, yi);
    return 1;
}

static kiln_requant rq_params(const rq_out *r)
{
    kiln_requant q = {.mode = r->mode, .out_offset = r->out_offset, .act_min = r->act_min,
                      .act_max = r->act_max, .out_xor = r->out_xor};
    return q;
}

/* Checks an 8-bit operand and returns its negated zero point (signed domain). */
static int operand_offset(ctx *c, const ir_tensor *t, const char *what, int32_t *offset)
{
    if (!is_8bit(t->dtype))
        return fail(c, "%s '%s' is %s; expected int8 or uint8", what, t->name,
                    ir_dtype_name(t->dtype));
    if (t->q.n == 0) {
        *offset = t->dtype == IR_DT_U8 ? 128 : 0; /* integer op without zero point */
        return 0;
    }
    if (check_quant(c, t, what, true) < 0)
        return -1;
    for (int i = 1; i < t->q.n; i++)
        if (t->q.zero_point[i] != t->q.zero_point[0])
            return fail(c, "%s '%s' has per-channel zero points (%d vs %d); only one zero point "
                        "is supported", what, t->name, (int)t->q.zero_point[0],
                        (int)t->q.zero_point[i]);
    *offset = -szp(t);
    return 0;
}

/* Constant weights with per-channel zero points (ONNX ConvInteger and
 * QLinearConv allow them): subtract each channel's zero point at compile time.
 * The kernels take one weight offset, so this is exact as long as every
 * w - zw[m] fits in int8; otherwise an error says so.  *wi is replaced by the
 * new constant (signed, zero point 0, same scales). */
static int fold_weight_zero_points(ctx *c, int *wi)
{
    ir_graph *g = c->g;
    const ir_tensor *w = TS(*wi);
    if (w->q.n <= 1 || !ir_is_const(w) || !is_8bit(w->dtype))
        return 0;
    bool differ = false;
    for (int i = 1; i < w->q.n; i++)
        differ |= w->q.zero_point[i] != w->q.zero_point[0];
    if (!differ)
        return 0;
    const int64_t n = ir_numel(w), per = n / w->shape[0];
    if (w->q.axis != 0)
        return fail(c, "weights '%s' have per-channel zero points on axis %d; only axis 0 is supported",
                    w->name, w->q.axis);
    int8_t *d = xmalloc((size_t)n + 1);
    for (int64_t i = 0; i < n; i++) {
        int32_t v = w->dtype == IR_DT_U8 ? ((const uint8_t *)w->data)[i] : ((const int8_t *)w->data)[i];
        v -= w->q.zero_point[i / per];
        if (v < -128 || v > 127) {
            free(d);
            return fail(c, "weights '%s' minus their per-channel zero points do not fit in int8 (element %lld "
                        "gives %d); only one weight zero point is supported otherwise",
                        w->name, (long long)i, (int)v);
        }
        d[i] = (int8_t)v;
    }
    char *name = xasprintf("%s.zp0", w->name);
    int64_t shape[IR_MAX_DIMS];
    memcpy(shape, w->shape, sizeof shape);
    int nt = ir_add_const(g, name, IR_DT_S8, w->rank, shape, d, (size_t)n);
    free(name);
    free(d);
    w = TS(*wi);
    int32_t *zp = xcalloc((size_t)w->q.n, sizeof(int32_t));
    ir_set_quant(g, nt, w->q.n, 0, w->q.scale, zp);
    free(zp);
    *wi = nt;
    return 0;
}

/* ---- CONV, depthwise, CONV_TRANSPOSE ------------------------------------ */

typedef struct conv_geom {
    int64_t batch, in_c, in_h, in_w, out_c, out_h, out_w, k_h, k_w;
    int stride_h, stride_w, dil_h, dil_w, pad_t, pad_l;
} conv_geom;

/* Reads the activation dims of a 1-D or 2-D conv in either layout. */
static int conv_dims(ctx *c, const ir_tensor *t, bool nhwc, int64_t *n, int64_t *ch, int64_t *h,
                     int64_t *w)
{
    if (t->rank == 3) {
        *n = t->shape[0];
        *h = 1;
        *ch = nhwc ? t->shape[2] : t->shape[1];
        *w = nhwc ? t->shape[1] : t->shape[2];
        return 0;
    }
    if (t->rank == 4) {
        *n = t->shape[0];
        *ch = nhwc ? t->shape[3] : t->shape[1];
        *h = nhwc ? t->shape[1] : t->shape[2];
        *w = nhwc ? t->shape[2] : t->shape[3];
        return 0;
    }
    return fail(c, "tensor '%s' has rank %d; int8 convolutions are 1-D or 2-D (rank 3 or 4)",
                t->name, t->rank);
}

static int conv_geometry(ctx *c, int xi, int yi, const ir_tensor *w, conv_geom *k)
{
    ir_graph *g = c->g;
    const ir_conv_attr *a = &g->nodes[c->node].attr.conv;
    const bool nhwc = a->layout == IR_LAYOUT_NHWC;
    if (a->nspatial < 1 || a->nspatial > 2)
        return fail(c, "%d spatial dimensions; int8 convolutions are 1-D or 2-D", a->nspatial);
    int64_t yn;
    if (conv_dims(c, TS(xi), nhwc, &k->batch, &k->in_c, &k->in_h, &k->in_w) < 0 ||
        conv_dims(c, TS(yi), nhwc, &yn, &k->out_c, &k->out_h, &k->out_w) < 0)
        return -1;
    const int s = a->nspatial == 2 ? 1 : 0; /* index of the width entry */
    k->k_h = a->nspatial == 2 ? w->shape[2] : 1;
    k->k_w = w->shape[2 + s];
    k->stride_h = a->nspatial == 2 ? a->stride[0] : 1;
    k->stride_w = a->stride[s];
    k->dil_h = a->nspatial == 2 ? a->dilation[0] : 1;
    k->dil_w = a->dilation[s];
    k->pad_t = a->nspatial == 2 ? a->pad_begin[0] : 0;
    k->pad_l = a->pad_begin[s];
    if (k->stride_h < 1 || k->stride_w < 1 || k->dil_h < 1 || k->dil_w < 1)
        return fail(c, "strides and dilations must be >= 1");
    if (a->group < 1 || k->in_c % a->group || k->out_c % a->group)
        return fail(c, "group %d does not divide input channels %lld and output channels %lld",
                    a->group, (long long)k->in_c, (long long)k->out_c);
    int64_t total = k->batch * k->in_c * k->in_h * k->in_w + k->out_c * k->out_h * k->out_w;
    if (total > INT32_MAX / 2)
        return fail(c, "tensors too large for the int8 kernels' 32-bit indexing");
    return 0;
}

/* The geometry of k as the kernels' params: groups 1, NHWC, input offset
 * in_off, no weight offset, no uint8 operands; callers set what differs. */
static kiln_conv_s8_params conv_params_struct(const conv_geom *k, int32_t in_off)
{
    kiln_conv_s8_params q;
    memset(&q, 0, sizeof q);
    q.batch = (int32_t)k->batch, q.in_c = (int32_t)k->in_c, q.in_h = (int32_t)k->in_h;
    q.in_w = (int32_t)k->in_w, q.out_c = (int32_t)k->out_c, q.out_h = (int32_t)k->out_h;
    q.out_w = (int32_t)k->out_w, q.k_h = (int32_t)k->k_h, q.k_w = (int32_t)k->k_w;
    q.stride_h = k->stride_h, q.stride_w = k->stride_w, q.dil_h = k->dil_h, q.dil_w = k->dil_w;
    q.pad_t = k->pad_t, q.pad_l = k->pad_l, q.groups = 1, q.layout = KILN_LAYOUT_NHWC;
    q.in_offset = in_off;
    return q;
}

static kiln_conv_s8_params conv_params(const conv_geom *k, int groups, bool nhwc, int32_t in_off,
                                       int32_t w_off, int32_t in_xor, int32_t w_xor, const rq_out *r)
{
    kiln_conv_s8_params q = conv_params_struct(k, in_off);
    q.groups = groups, q.layout = nhwc ? KILN_LAYOUT_NHWC : KILN_LAYOUT_NCHW;
    q.w_offset = w_off, q.in_xor = in_xor, q.w_xor = w_xor;
    q.rq = rq_params(r);
    return q;
}

static int check_bias(ctx *c, int bi, int64_t n)
{
    if (bi < 0)
        return 0;
    const ir_tensor *b = &c->g->tensors[bi];
    if (b->dtype != IR_DT_S32 || ir_numel(b) != n)
        return fail(c, "bias '%s' is %s with %lld elements; expected int32 with %lld", b->name,
                    ir_dtype_name(b->dtype), (long long)ir_numel(b), (long long)n);
    return 0;
}

/* A copy of the 8-bit weights wi in the layout the conv kernels read: OHWI,
 * or HWO for depthwise.  Returns the new constant. */
static int repack_conv_weights(ctx *c, int wi, const conv_geom *kp, int group, bool transpose,
                               bool depthwise)
{
    ir_graph *g = c->g;
    const conv_geom k = *kp;
    const ir_tensor *w = TS(wi);
    const int64_t cg = k.in_c / group, mg = k.out_c / group;
    const int64_t kk = k.k_h * k.k_w;
    /* Repack into the kernel's layout. */
    const int8_t *src = w->data;
    int8_t *dst = xmalloc((size_t)ir_numel(w));
    for (int64_t oc = 0; oc < k.out_c; oc++)
        for (int64_t j = 0; j < cg; j++)
            for (int64_t t = 0; t < kk; t++) {
                int64_t from = transpose ? (((oc / mg) * cg + j) * mg + oc % mg) * kk + t
                                         : (oc * cg + j) * kk + t;
                int64_t to = depthwise ? t * k.out_c + oc : (oc * kk + t) * cg + j;
                dst[to] = src[from];
            }
    char *wname = xasprintf("%s.%s", TS(wi)->name, depthwise ? "hwo" : "ohwi");
    int64_t wshape[1] = {ir_numel(TS(wi))};
    const ir_dtype wdt = TS(wi)->dtype;
    int wp = ir_add_const(g, wname, wdt, 1, wshape, dst, (size_t)wshape[0]);
    free(wname);
    free(dst);
    ir_set_quant(g, wp, TS(wi)->q.n, 0, TS(wi)->q.scale, TS(wi)->q.zero_point);
    return wp;
}

/* ---- packed kernels (pack_s8.c) ------------------------------------------- */

/* Whether an int8 conv or FC can run on a packed kernel: TFLite int8 on both
 * sides, symmetric weights, a constant bias (it absorbs the input offset),
 * and the lowering was asked for packed kernels. */
static bool packed_ok(ctx *c, int xi, int yi, int bi, int32_t w_off, int32_t in_xor,
                      int32_t w_xor, const rq_out *r)
{
    ir_graph *g = c->g;
    return c->p->opts.kernels != LOWER_PLAIN && TS(xi)->dtype == IR_DT_S8 &&
           TS(yi)->dtype == IR_DT_S8 && r->mode == RQ_TFLITE && !in_xor && !w_xor &&
           !r->out_xor && w_off == 0 && (bi < 0 || ir_is_const(TS(bi)));
}

/* The output stage of a packed layer of n channels for pack_s8.c; *mode
 * receives the requantization the layer can use. */
static pack_rq packed_rq(ctx *c, int bi, const int64_t *wsum, const int64_t *wabs, int32_t n,
                         int32_t in_off, const rq_out *r, int32_t *mode)
{
    ir_graph *g = c->g;
    pack_rq q;
    q.n = n;
    q.bias = bi >= 0 ? (const int32_t *)TS(bi)->data : NULL;
    q.wsum = wsum;
    q.wabs = wabs;
    q.in_offset = in_off;
    q.mult = (const int32_t *)TS(r->mult_t)->data;
    q.shift = (const int32_t *)TS(r->shift_t)->data;
    q.out_offset = r->out_offset;
    q.act_min = r->act_min;
    q.act_max = r->act_max;
    *mode = pack_rq_mode(&q);
    return q;
}

/* The packed stream of a conv/FC layer (w [n][k] int8 weights, groups of
 * g) or, with g = 0, of a 3x3 depthwise layer (w [3][3][n]; k is then 0
 * for kiln_depthwise_conv_s8_3x3, 1 for the same transposed, 2 for
 * kiln_depthwise_conv_s8_3x3c4, 3 for kiln_depthwise_conv_s8_3x3c4s2); a
 * new constant of bytes.  *mode receives
 * the requantization it was packed for. */
static int packed_stream(ctx *c, const int8_t *w, int bi, int32_t n, int32_t k, int32_t g,
                         bool w16, int32_t in_off, const rq_out *r, int32_t *mode)
{
    int64_t *wsum = xmalloc(2 * (size_t)n * sizeof(int64_t) + 1), *wabs = wsum + n;
    if (g)
        pack_wsum_rows(w, n, k, wsum, wabs);
    else
        pack_wsum_cols(w, n, 9, wsum, wabs);
    const pack_rq q = packed_rq(c, bi, wsum, wabs, n, in_off, r, mode);
    const size_t bytes = g ? pack_gemm_bytes(n, k, g, w16)
                         : k >= 2 ? pack_dw3x3c4_bytes(n) : pack_dw3x3_bytes(n);
    uint8_t *buf = xmalloc(bytes + 1);
    if (g)
        pack_gemm(w, k, g, w16, &q, *mode, buf);
    else if (k >= 2)
        pack_dw3x3c4(w, &q, *mode, k == 3, buf);
    else
        pack_dw3x3(w, k, &q, *mode, buf);
    free(wsum);
    const ir_node *nd = &c->g->nodes[c->node];
    char *name = xasprintf("%s.%s", nd->name ? nd->name : "node",
                           g ? (w16 ? "p16" : "p8") : k == 3 ? "dw3x3c4s2" : k == 2 ? "dw3x3c4" : "dw3x3");
    int64_t shape[1] = {(int64_t)bytes};
    int t = ir_add_const(c->g, name, IR_DT_U8, 1, shape, buf, bytes);
    free(name);
    free(buf);
    lir_set_layout(c->p, t, !g    ? (k == 3 ? KILN_BLOB_LAYOUT_DW3X3_C4S2 : k == 2 ? KILN_BLOB_LAYOUT_DW3X3_C4
                                     : k ? KILN_BLOB_LAYOUT_DW3X3_T : KILN_BLOB_LAYOUT_DW3X3)
                            : g == 2 ? (w16 ? KILN_BLOB_LAYOUT_GEMM16_G2 : KILN_BLOB_LAYOUT_GEMM8_G2)
                                     : (w16 ? KILN_BLOB_LAYOUT_GEMM16_G4 : KILN_BLOB_LAYOUT_GEMM8_G4));
    return t;
}

/* Emits a packed conv or depthwise call: x, packed weights, channels, y, scratch. */
static int packed_conv_call(ctx *c, const char *kernel, const conv_geom *k, int groups,
                            int32_t in_off, rq_out r, int32_t mode, int xi, int wt, int yi,
                            size_t scratch)
{
    r.mode = mode;
    const kiln_conv_s8_params cp = conv_params(k, groups, true, in_off, 0, 0, 0, &r);
    lir_call *call = LIR_CALL(c->p, c->node, kernel, kiln_conv_s8_params, &cp);
    lir_in(call, xi);
    lir_in(call, wt);
    lir_out(call, yi);
    call->scratch_bytes = scratch;
    return 1;
}

/* CONV_2D 1x1 over 8 input channels on kiln_conv_s8_1x1c8 (its own
 * stream, the bias folded into the requantization): where the 2x2 GEMM
 * spends more per output than the 8 MACs (VWW's second pointwise layer:
 * 2.0 -> 1.3 instructions per MAC).  0: the layer does not qualify
 * (another K, a window, or a requantization the fold cannot carry). */
static int lower_conv_c8(ctx *c, int xi, int wp, int bi, int yi, const conv_geom *k,
                         int32_t in_off, const rq_out *r)
{
    const kiln_conv_s8_params kp = conv_params_struct(k, in_off);
    if (c->p->opts.kernels != LOWER_PACKED_W16 || k->in_c != 8 || k->k_h != 1 || k->k_w != 1 ||
        k->stride_h != 1 || k->stride_w != 1 || k->pad_t || k->pad_l || k->in_h != k->out_h ||
        k->in_w != k->out_w)
        return 0;
    const int32_t n = (int32_t)k->out_c;
    const int8_t *w = c->g->tensors[wp].data;
    int64_t *wsum = xmalloc(2 * (size_t)n * sizeof(int64_t) + 1), *wabs = wsum + n;
    pack_wsum_rows(w, n, 8, wsum, wabs);
    int32_t mode;
    const pack_rq q = packed_rq(c, bi, wsum, wabs, n, in_off, r, &mode);
    if (!pack_c8_ok(&q, mode)) {
        free(wsum);
        return 0;
    }
    const size_t bytes = pack_c8_bytes(n);
    uint8_t *buf = xmalloc(bytes + 1);
    pack_c8(w, &q, mode, buf);
    free(wsum);
    const ir_node *nd = &c->g->nodes[c->node];
    char *name = xasprintf("%s.c8", nd->name ? nd->name : "node");
    int64_t shape[1] = {(int64_t)bytes};
    const int wt = ir_add_const(c->g, name, IR_DT_U8, 1, shape, buf, bytes);
    free(name);
    free(buf);
    lir_set_layout(c->p, wt, KILN_BLOB_LAYOUT_C8);
    return packed_conv_call(c, "kiln_conv_s8_1x1c8", k, 1, in_off, *r, mode, xi, wt, yi,
                            kiln_conv_s8_1x1c8_scratch_size(&kp));
}

/* CONV_2D 3x3 on 3 channels (an RGB first layer) on kiln_conv_s8_rgb_p16:
 * K = 27 dense in 7 slices instead of 9 taps widened to 4 (VWW's first
 * layer: 1.63 -> about 1.3 instructions per MAC).  0: not such a layer. */
static int lower_conv_rgb(ctx *c, int xi, int wp, int bi, int yi, const conv_geom *k,
                          int32_t in_off, const rq_out *r)
{
    if (c->p->opts.kernels != LOWER_PACKED_W16 || k->in_c != 3 || k->k_h != 3 || k->k_w != 3 ||
        k->dil_h != 1 || k->dil_w != 1)
        return 0;
    const kiln_conv_s8_params kp = conv_params_struct(k, in_off);
    const int32_t n = (int32_t)k->out_c;
    int8_t *wt_buf = xmalloc((size_t)n * 28 + 1);
    pack_rgb3x3_order(c->g->tensors[wp].data, n, wt_buf);
    int32_t mode;
    const int wt = packed_stream(c, wt_buf, bi, n, 28, 2, true, in_off, r, &mode);
    free(wt_buf);
    lir_set_layout(c->p, wt, KILN_BLOB_LAYOUT_GEMM16_G2_RGB);
    return packed_conv_call(c, "kiln_conv_s8_rgb_p16", k, 1, in_off, *r, mode, xi, wt, yi,
                            kiln_conv_s8_rgb_p16_scratch_size(&kp));
}

/* CONV_2D, groups 1, NHWC: weights wp in OHWI. */
static int lower_conv_packed(ctx *c, int xi, int wp, int bi, int yi, const conv_geom *k,
                             int32_t in_off, const rq_out *r)
{
    if (lower_conv_c8(c, xi, wp, bi, yi, k, in_off, r) ||
        lower_conv_rgb(c, xi, wp, bi, yi, k, in_off, r))
        return 1;
    const bool w16 = c->p->opts.kernels == LOWER_PACKED_W16;
    const kiln_conv_s8_params kp = conv_params_struct(k, in_off);
    /* The kernel's reduction: taps of kiln_conv_s8_tap_elems() elements, the
     * ones past in_c with zero weights. */
    const int32_t n = (int32_t)k->out_c, taps = (int32_t)(k->k_h * k->k_w);
    const int32_t c_in = (int32_t)k->in_c, te = kiln_conv_s8_tap_elems(&kp), kdim = taps * te;
    const int8_t *w = c->g->tensors[wp].data;
    int8_t *wt_buf = xcalloc((size_t)n * (size_t)kdim + 1, 1);
    for (int32_t o = 0; o < n; o++)
        for (int32_t t = 0; t < taps; t++)
            memcpy(wt_buf + ((size_t)o * taps + t) * te, w + ((size_t)o * taps + t) * c_in, (size_t)c_in);
    int32_t mode;
    const int wt = packed_stream(c, wt_buf, bi, n, kdim, 2, w16, in_off, r, &mode);
    free(wt_buf);
    const size_t scratch = w16 ? kiln_conv_s8_p16_scratch_size(&kp) : kiln_conv_s8_p8_scratch_size(&kp);
    return packed_conv_call(c, w16 ? "kiln_conv_s8_p16" : "kiln_conv_s8_p8", k, 1, in_off, *r,
                            mode, xi, wt, yi, scratch);
}

/* Whether a depthwise conv fits kiln_depthwise_conv_s8_3x3. */
static bool dw3x3_ok(const conv_geom *k)
{
    return k->k_h == 3 && k->k_w == 3 && k->out_c == k->in_c && k->dil_h == 1 && k->dil_w == 1 &&
           k->stride_h == k->stride_w && (k->stride_w == 1 || k->stride_w == 2);
}

/* Whether a 3x3 depthwise layer runs on kiln_depthwise_conv_s8_3x3c4
 * rather than the plane kernel: channels by 4, for the fast kernels, where
 * the planes cost more than they save.  Copying a channel into its plane is
 * paid for every input pixel however few outputs read it; the NHWC kernel
 * expands 4 channels of a pixel in about 6 instructions but then spends
 * about 21 per output and channel against the plane kernel's 16 at stride
 * 1.  Measured on VWW's layers (Cortex-M7, instructions per MAC, plane ->
 * NHWC): stride 2 4.06-6.23 -> 3.05-3.28, 6x6 outputs 3.01 -> 2.61, 3x3
 * outputs 4.46 -> 2.78; at 12x12 both give about 2.5, above that planes win
 * (2.37). */
static bool dw3x3c4_better(ctx *c, const conv_geom *k)
{
    return c->p->opts.kernels == LOWER_PACKED_W16 && k->in_c % 4 == 0 &&
           (k->stride_w == 2 || k->out_h * k->out_w <= 64);
}

/* Whether a stride-2 layer that runs on NHWC takes the column-pair kernel
 * kiln_depthwise_conv_s8_3x3c4s2: 13 instead of 18 instructions per kernel
 * row, output and block, but its expansion has a loop per block that tiny
 * outputs do not earn back.  Measured on VWW (instructions per MAC, c4 ->
 * c4s2): 24x24 3.05 -> 2.78, 12x12 3.12 -> 2.86, 6x6 3.15 -> 3.05, 3x3
 * 3.29 -> 3.53. */
static bool dw3x3c4s2_better(const conv_geom *k)
{
    return k->stride_w == 2 && k->out_h * k->out_w > 16;
}

/* DEPTHWISE_CONV_2D 3x3: weights wp in HWO. */
static int lower_dw3x3_packed(ctx *c, int xi, int wp, int bi, int yi, const conv_geom *k,
                              int32_t in_off, const rq_out *r)
{
    const int32_t n = (int32_t)k->out_c;
    int32_t mode;
    const kiln_conv_s8_params kp = conv_params_struct(k, in_off);
    const bool c4 = dw3x3c4_better(c, k), s2 = c4 && dw3x3c4s2_better(k);
    const int wt = packed_stream(c, c->g->tensors[wp].data, bi, n,
                                 s2 ? 3 : c4 ? 2 : kiln_dw3x3_transposed(&kp), 0, true, in_off, r,
                                 &mode);
    if (s2) /* stride 2: column pairs, SMLAD on the first two taps of a row */
        return packed_conv_call(c, "kiln_depthwise_conv_s8_3x3c4s2", k, (int)k->in_c, in_off, *r,
                                mode, xi, wt, yi, kiln_depthwise_conv_s8_3x3c4s2_scratch_size(&kp));
    if (c4)
        return packed_conv_call(c, "kiln_depthwise_conv_s8_3x3c4", k, (int)k->in_c, in_off, *r,
                                mode, xi, wt, yi, kiln_depthwise_conv_s8_3x3c4_scratch_size(&kp));
    return packed_conv_call(c, "kiln_depthwise_conv_s8_3x3", k, (int)k->in_c, in_off, *r, mode,
                            xi, wt, yi, kiln_depthwise_conv_s8_3x3_scratch_size(&kp));
}

/* DEPTHWISE_CONV_2D with any other window (multiplier 1), on
 * kiln_depthwise_conv_s8_packed: weights wp in HWO.  The 3x3 kernels keep
 * the layers they take (dw3x3_ok). */
static int lower_dw_any_packed(ctx *c, int xi, int wp, int bi, int yi, const conv_geom *k,
                               int32_t in_off, const rq_out *r)
{
    const int32_t n = (int32_t)k->out_c, taps = (int32_t)(k->k_h * k->k_w);
    const kiln_conv_s8_params kp = conv_params_struct(k, in_off);
    int64_t *wsum = xmalloc(2 * (size_t)n * sizeof(int64_t) + 1), *wabs = wsum + n;
    const int8_t *w = c->g->tensors[wp].data;
    pack_wsum_cols(w, n, taps, wsum, wabs);
    int32_t mode;
    const pack_rq q = packed_rq(c, bi, wsum, wabs, n, in_off, r, &mode);
    const size_t bytes = pack_dw_any_bytes(n, taps);
    uint8_t *buf = xmalloc(bytes + 1);
    pack_dw_any(w, taps, &q, mode, buf);
    free(wsum);
    const ir_node *nd = &c->g->nodes[c->node];
    char *name = xasprintf("%s.dwany", nd->name ? nd->name : "node");
    int64_t shape[1] = {(int64_t)bytes};
    const int wt = ir_add_const(c->g, name, IR_DT_U8, 1, shape, buf, bytes);
    free(name);
    free(buf);
    lir_set_layout(c->p, wt, KILN_BLOB_LAYOUT_DW_ANY);
    return packed_conv_call(c, "kiln_depthwise_conv_s8_packed", k, (int)k->in_c, in_off, *r, mode,
                            xi, wt, yi, kiln_depthwise_conv_s8_packed_scratch_size(&kp));
}

/* ---- 16x8: int16 activations, int8 weights ------------------------------ */

/* An activation of a 16x8 op: int16, one scale, zero point 0 (TFLite's
 * int16 quantization is symmetric, and its 16x8 kernels add no offsets). */
static int check_s16_act(ctx *c, const ir_tensor *t, const char *what)
{
    if (t->dtype != IR_DT_S16)
        return fail(c, "%s '%s' is %s; a 16x8 op takes and gives int16", what, t->name,
                    ir_dtype_name(t->dtype));
    if (check_quant(c, t, what, false) < 0)
        return -1;
    if (qzp(t) != 0)
        return fail(c, "%s '%s' has zero point %d; int16 activations must have zero point 0 "
                    "(TFLite's 16x8 scheme is symmetric)", what, t->name, (int)qzp(t));
    return 0;
}

/* int8 weights of a 16x8 op.  Only a per-tensor FULLY_CONNECTED applies a
 * weight zero point in TFLite (zp_ok); *w_off receives it negated. */
static int check_s16_weights(ctx *c, const ir_tensor *w, bool zp_ok, int32_t *w_off)
{
    if (w->dtype != IR_DT_S8)
        return fail(c, "weights '%s' are %s; 16x8 ops take int8 weights", w->name,
                    ir_dtype_name(w->dtype));
    if (check_quant(c, w, "weights", true) < 0)
        return -1;
    *w_off = 0;
    for (int i = 0; i < w->q.n; i++)
        if (w->q.zero_point[i] != 0 && !(zp_ok && w->q.n == 1))
            return fail(c, "weights '%s' zero_point[%d] = %d; 16x8 weights must be symmetric "
                        "(zero point 0)", w->name, i, (int)w->q.zero_point[i]);
    if (zp_ok && w->q.n == 1)
        *w_off = -w->q.zero_point[0];
    return 0;
}

/* Requantization of a 16x8 op with n output channels.  acc64: the kernel
 * uses the int64 MultiplyByQuantizedMultiplier, whose 15 - shift rounding
 * shift must be at least 1. */
static int make_rq16(ctx *c, int xi, int wi, int yi, int n, mult_rule rule, bool acc64,
                     rq_out *r)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    memset(r, 0, sizeof *r);
    r->mode = RQ_TFLITE;
    if (TS(wi)->q.n != 1 && TS(wi)->q.n != n)
        return fail(c, "weights '%s' have %d scales; expected 1 or %d (one per output channel)",
                    TS(wi)->name, TS(wi)->q.n, n);
    qu_activation_range(&nd->attr.act, qscale(TS(yi)), 0, -32768, 32767, &r->act_min,
                        &r->act_max);
    int32_t *mult = xcalloc((size_t)n, sizeof(int32_t));
    int32_t *shift = xcalloc((size_t)n, sizeof(int32_t));
    const float sx = qscale(TS(xi)), sy = qscale(TS(yi));
    char what[400];
    for (int m = 0; m < n; m++) {
        const float sw = TS(wi)->q.scale[TS(wi)->q.n == 1 ? 0 : m];
        const double real = rule == RULE_FLOAT_PRODUCT ? (double)(sx * sw) / (double)sy
                                                       : (double)sx * (double)sw / (double)sy;
        int sh;
        scales_what(what, sizeof what, TS(wi)->q.n > 1 ? m : -1, TS(xi), TS(wi), sw, TS(yi));
        if (fixed_mult(c, real, acc64 ? QU_SHIFT_MAX_S64 : QU_SHIFT_MAX, what, &mult[m], &sh) < 0) {
            free(mult);
            free(shift);
            return -1;
        }
        shift[m] = sh;
    }
    r->mult_t = add_i32(c, "mult", n, mult);
    r->shift_t = add_i32(c, "shift", n, shift);
    free(mult);
    free(shift);
    return 0;
}

/* The bias of a 16x8 op as its kernel reads it (*bo, -1 for none): int64
 * as given; int32 kept for an int32-accumulator kernel (want64 false), else
 * widened to an int64 constant, which is exact. */
static int s16_bias(ctx *c, int bi, int64_t n, bool want64, int *bo)
{
    ir_graph *g = c->g;
    *bo = bi;
    if (bi < 0)
        return 0;
    const ir_tensor *b = TS(bi);
    if ((b->dtype != IR_DT_S64 && b->dtype != IR_DT_S32) || ir_numel(b) != n)
        return fail(c, "bias '%s' is %s with %lld elements; expected int64 or int32 with %lld",
                    b->name, ir_dtype_name(b->dtype), (long long)ir_numel(b), (long long)n);
    if (b->dtype == IR_DT_S64 || !want64)
        return 0;
    if (!ir_is_const(b))
        return fail(c, "int32 bias '%s' is not a constant; this 16x8 kernel adds an int64 bias, "
                    "and a computed int32 one cannot be widened at compile time", b->name);
    int64_t *v = xmalloc((size_t)n * sizeof(int64_t) + 1);
    for (int64_t i = 0; i < n; i++)
        v[i] = ((const int32_t *)b->data)[i];
    char *name = xasprintf("%s.i64", b->name);
    int64_t shape[1] = {n};
    *bo = ir_add_const(g, name, IR_DT_S64, 1, shape, v, (size_t)n * sizeof(int64_t));
    free(name);
    free(v);
    return 0;
}

/* CONV_2D and DEPTHWISE_CONV_2D on int16.  TFLM runs CONV_2D with an int32
 * accumulator when the bias is int32 or absent (ConvPerChannel<int32_t>,
 * whose int32 MultiplyByQuantizedMultiplier rounds differently) and with
 * an int64 one for an int64 bias; DEPTHWISE_CONV_2D always reads an int64
 * bias and accumulates in int64. */
static int lower_conv_s16(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], wi = nd->in[1], bi = nd->n_in > 2 ? nd->in[2] : -1, yi = nd->out[0];
    const int group = nd->attr.conv.group;
    const bool nhwc = nd->attr.conv.layout == IR_LAYOUT_NHWC;
    if (nd->op == IR_OP_CONV_TRANSPOSE)
        return fail(c, "int16 (16x8) transposed convolution is not supported; 16x8 CONV_2D, "
                    "DEPTHWISE_CONV_2D and FULLY_CONNECTED are");
    if (nd->attr.qmode == IR_QMODE_ONNX)
        return fail(c, "int16 activations are supported for TFLite's 16x8 ops only");
    if (check_s16_act(c, TS(xi), "input") < 0 || check_s16_act(c, TS(yi), "output") < 0)
        return -1;
    if (!ir_is_const(TS(wi)))
        return fail(c, "weights '%s' are not a constant; 16x8 convolutions need constant weights",
                    TS(wi)->name);
    int32_t w_off;
    if (check_s16_weights(c, TS(wi), false, &w_off) < 0)
        return -1;
    conv_geom k;
    if (conv_geometry(c, xi, yi, TS(wi), &k) < 0)
        return -1;
    const int64_t cg = k.in_c / group, kk = k.k_h * k.k_w;
    const ir_tensor *w = TS(wi);
    if (w->shape[0] != k.out_c || w->shape[1] != cg || ir_numel(w) != k.out_c * cg * kk)
        return fail(c, "weights '%s' shape does not match %lld input / %lld output channels, "
                    "group %d", w->name, (long long)k.in_c, (long long)k.out_c, group);
    const bool depthwise = group > 1 && group == k.in_c;
    const bool tfl_depthwise = nd->src_op && !strcmp(nd->src_op, "DEPTHWISE_CONV_2D");
    const bool acc64 = tfl_depthwise || depthwise || (bi >= 0 && TS(bi)->dtype == IR_DT_S64);
    int bo;
    if (s16_bias(c, bi, k.out_c, acc64, &bo) < 0)
        return -1;
    const int wp = repack_conv_weights(c, wi, &k, group, false, depthwise);
    rq_out r;
    if (make_rq16(c, xi, wi, yi, (int)k.out_c, RULE_DOUBLE, acc64, &r) < 0)
        return -1;
    const char *kernel = depthwise ? "kiln_depthwise_conv_s16"
                         : acc64   ? "kiln_conv_s16"
                                   : "kiln_conv_s16_acc32";
    const kiln_conv_s8_params cp = conv_params(&k, group, nhwc, 0, 0, 0, 0, &r);
    lir_call *call = LIR_CALL(c->p, c->node, kernel, kiln_conv_s8_params, &cp);
    return weighted_operands(call, xi, wp, bo, &r, yi);
}

/* FULLY_CONNECTED on int16: int64 accumulator and bias (an int32 bias is
 * widened); a per-tensor layer takes TFLite's float-product multiplier as
 * the int8 one does, a per-channel one the per-channel conv rule. */
static int lower_fc_s16(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], wi = nd->in[1], bi = nd->n_in > 2 ? nd->in[2] : -1, yi = nd->out[0];
    if (nd->attr.qmode == IR_QMODE_ONNX)
        return fail(c, "int16 activations are supported for TFLite's 16x8 ops only");
    if (check_s16_act(c, TS(xi), "input") < 0 || check_s16_act(c, TS(yi), "output") < 0)
        return -1;
    if (TS(wi)->rank != 2 || TS(yi)->rank < 1)
        return fail(c, "weights '%s' must be [N, K]", TS(wi)->name);
    const int64_t n = TS(wi)->shape[0], kdim = TS(wi)->shape[1];
    const int64_t batch = ir_numel(TS(yi)) / (n ? n : 1);
    if (ir_numel(TS(xi)) != batch * kdim || TS(yi)->shape[TS(yi)->rank - 1] != n)
        return fail(c, "input '%s' (%lld elements) and output '%s' do not match weights [%lld, %lld]",
                    TS(xi)->name, (long long)ir_numel(TS(xi)), TS(yi)->name, (long long)n,
                    (long long)kdim);
    if (batch * kdim > INT32_MAX / 2 || batch * n > INT32_MAX / 2)
        return fail(c, "tensors too large for the 16x8 kernels' 32-bit indexing");
    int32_t w_off;
    if (check_s16_weights(c, TS(wi), true, &w_off) < 0)
        return -1;
    int bo;
    if (s16_bias(c, bi, n, true, &bo) < 0)
        return -1;
    rq_out r;
    const mult_rule rule = TS(wi)->q.n > 1 ? RULE_DOUBLE : RULE_FLOAT_PRODUCT;
    if (make_rq16(c, xi, wi, yi, (int)n, rule, true, &r) < 0)
        return -1;
    const kiln_fc_s8_params fp = {.batch = (int32_t)batch, .in_features = (int32_t)kdim,
                                  .out_features = (int32_t)n, .w_offset = w_off, .rq = rq_params(&r)};
    lir_call *call = LIR_CALL(c->p, c->node, "kiln_fully_connected_s16", kiln_fc_s8_params, &fp);
    return weighted_operands(call, xi, wi, bo, &r, yi);
}

static int lower_conv(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const bool transpose = nd->op == IR_OP_CONV_TRANSPOSE;
    const int xi = nd->in[0], bi = nd->n_in > 2 ? nd->in[2] : -1, yi = nd->out[0];
    int wi = nd->in[1];
    const int group = nd->attr.conv.group;
    const bool nhwc = nd->attr.conv.layout == IR_LAYOUT_NHWC;
    if (TS(xi)->dtype == IR_DT_S16)
        return lower_conv_s16(c);
    if (!ir_is_const(TS(wi)))
        return fail(c, "weights '%s' are not a constant; int8 convolutions need constant weights",
                    TS(wi)->name);
    if (fold_weight_zero_points(c, &wi) < 0)
        return -1;
    conv_geom k;
    if (conv_geometry(c, xi, yi, TS(wi), &k) < 0)
        return -1;
    int32_t in_off, w_off;
    if (operand_offset(c, TS(xi), "input", &in_off) < 0 ||
        operand_offset(c, TS(wi), "weights", &w_off) < 0 || check_bias(c, bi, k.out_c) < 0)
        return -1;
    const int32_t in_xor = xor_of(TS(xi)), w_xor = xor_of(TS(wi));
    const bool depthwise = !transpose && group > 1 && group == k.in_c;
    const int64_t cg = k.in_c / group, mg = k.out_c / group;
    const int64_t kk = k.k_h * k.k_w;
    /* Expected weight shapes: conv [M, C/g, k...], transpose [C, M/g, k...]. */
    const ir_tensor *w = TS(wi);
    if (w->shape[0] != (transpose ? k.in_c : k.out_c) || w->shape[1] != (transpose ? mg : cg) ||
        ir_numel(w) != k.out_c * cg * kk)
        return fail(c, "weights '%s' shape does not match %lld input / %lld output channels, "
                    "group %d", w->name, (long long)k.in_c, (long long)k.out_c, group);

    const int wp = repack_conv_weights(c, wi, &k, group, transpose, depthwise);

    rq_out r;
    if (make_rq(c, xi, wi, yi, (int)k.out_c, RULE_DOUBLE, &r) < 0)
        return -1;
    if (transpose && (r.mode != RQ_TFLITE || in_xor || w_xor))
        return fail(c, "int8 transposed convolution supports TFLite int8 only");
    if (!transpose && nhwc && packed_ok(c, xi, yi, bi, w_off, in_xor, w_xor, &r)) {
        if (group == 1)
            return lower_conv_packed(c, xi, wp, bi, yi, &k, in_off, &r);
        if (depthwise && dw3x3_ok(&k))
            return lower_dw3x3_packed(c, xi, wp, bi, yi, &k, in_off, &r);
        if (depthwise && k.out_c == k.in_c)
            return lower_dw_any_packed(c, xi, wp, bi, yi, &k, in_off, &r);
    }
    const bool plain = !in_xor && !w_xor && !r.out_xor && r.mode != RQ_NONE;
    const char *kernel = transpose ? "kiln_transpose_conv_s8"
                         : depthwise ? (plain ? "kiln_depthwise_conv_s8" : "kiln_depthwise_conv_q8")
                                     : (plain ? "kiln_conv_s8" : "kiln_conv_q8");
    const kiln_conv_s8_params cp = conv_params(&k, group, nhwc, in_off, w_off, in_xor, w_xor, &r);
    lir_call *call = LIR_CALL(c->p, c->node, kernel, kiln_conv_s8_params, &cp);
    return weighted_operands(call, xi, wp, bi, &r, yi);
}

/* ---- FULLY_CONNECTED and MATMUL ----------------------------------------- */

/* FULLY_CONNECTED for `--cpu host` (kiln_fully_connected_s8_host): its own
 * stream of int8 rows, groups of 8 channels, whatever the batch. */
static int lower_fc_host(ctx *c, int xi, int wi, int bi, int yi, int64_t batch, int64_t kdim,
                         int64_t n, int32_t in_off, const rq_out *r)
{
    const int32_t nc = (int32_t)n, k = (int32_t)kdim;
    const int8_t *w = c->g->tensors[wi].data;
    int64_t *wsum = xmalloc(2 * (size_t)nc * sizeof(int64_t) + 1), *wabs = wsum + nc;
    pack_wsum_rows(w, nc, k, wsum, wabs);
    int32_t mode;
    const pack_rq q = packed_rq(c, bi, wsum, wabs, nc, in_off, r, &mode);
    const size_t bytes = pack_fc_host_bytes(nc, k);
    uint8_t *buf = xmalloc(bytes + 1);
    pack_fc_host(w, k, &q, mode, buf);
    free(wsum);
    const ir_node *nd = &c->g->nodes[c->node];
    char *name = xasprintf("%s.fc8host", nd->name ? nd->name : "node");
    int64_t shape[1] = {(int64_t)bytes};
    const int wt = ir_add_const(c->g, name, IR_DT_U8, 1, shape, buf, bytes);
    free(name);
    free(buf);
    lir_set_layout(c->p, wt, KILN_BLOB_LAYOUT_FC8_HOST);
    rq_out rm = *r;
    rm.mode = mode;
    const kiln_fc_s8_params fp = {.batch = (int32_t)batch, .in_features = k, .out_features = nc,
                                  .in_offset = in_off, .rq = rq_params(&rm)};
    lir_call *call = LIR_CALL(c->p, c->node, "kiln_fully_connected_s8_host", kiln_fc_s8_params, &fp);
    lir_in(call, xi);
    lir_in(call, wt);
    lir_out(call, yi);
    call->scratch_bytes = kiln_fully_connected_s8_host_scratch_size(&fp);
    return 1;
}

/* FULLY_CONNECTED with constant int8 weights [n][kdim]: groups of 4
 * channels for batch 1 (one row at a time), else 2; the host's own layout
 * for `--cpu host`. */
static int lower_fc_packed(ctx *c, int xi, int wi, int bi, int yi, int64_t batch, int64_t kdim,
                           int64_t n, int32_t in_off, const rq_out *r)
{
    if (c->p->opts.host)
        return lower_fc_host(c, xi, wi, bi, yi, batch, kdim, n, in_off, r);
    const bool w16 = c->p->opts.kernels == LOWER_PACKED_W16;
    const int32_t g = batch == 1 ? 4 : 2;
    int32_t mode;
    const int wt = packed_stream(c, c->g->tensors[wi].data, bi, (int32_t)n, (int32_t)kdim, g, w16,
                                 in_off, r, &mode);
    rq_out rm = *r;
    rm.mode = mode;
    const kiln_fc_s8_params fp = {.batch = (int32_t)batch, .in_features = (int32_t)kdim,
                                  .out_features = (int32_t)n, .in_offset = in_off, .rq = rq_params(&rm)};
    lir_call *call = LIR_CALL(c->p, c->node, w16 ? "kiln_fully_connected_s8_p16" : "kiln_fully_connected_s8_p8",
                              kiln_fc_s8_params, &fp);
    lir_in(call, xi);
    lir_in(call, wt);
    lir_out(call, yi);
    call->scratch_bytes = w16 ? kiln_fully_connected_s8_p16_scratch_size(&fp)
                              : kiln_fully_connected_s8_p8_scratch_size(&fp);
    return 1;
}

static int lower_fc(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], wi = nd->in[1], bi = nd->n_in > 2 ? nd->in[2] : -1, yi = nd->out[0];
    if (TS(xi)->dtype == IR_DT_S16)
        return lower_fc_s16(c);
    if (TS(wi)->rank != 2 || TS(yi)->rank < 1)
        return fail(c, "weights '%s' must be [N, K]", TS(wi)->name);
    const int64_t n = TS(wi)->shape[0], kdim = TS(wi)->shape[1];
    const int64_t batch = ir_numel(TS(yi)) / (n ? n : 1);
    if (ir_numel(TS(xi)) != batch * kdim || TS(yi)->shape[TS(yi)->rank - 1] != n)
        return fail(c, "input '%s' (%lld elements) and output '%s' do not match weights [%lld, %lld]",
                    TS(xi)->name, (long long)ir_numel(TS(xi)), TS(yi)->name, (long long)n,
                    (long long)kdim);
    int32_t in_off, w_off;
    if (operand_offset(c, TS(xi), "input", &in_off) < 0 ||
        operand_offset(c, TS(wi), "weights", &w_off) < 0 || check_bias(c, bi, n) < 0)
        return -1;
    const int32_t in_xor = xor_of(TS(xi)), w_xor = xor_of(TS(wi));
    rq_out r;
    /* TFLM: per-tensor FC multiplies the scales in float first. */
    const mult_rule rule = TS(wi)->q.n > 1 ? RULE_DOUBLE : RULE_FLOAT_PRODUCT;
    if (make_rq(c, xi, wi, yi, (int)n, rule, &r) < 0)
        return -1;
    if (packed_ok(c, xi, yi, bi, w_off, in_xor, w_xor, &r) && ir_is_const(TS(wi)) &&
        TS(wi)->dtype == IR_DT_S8)
        return lower_fc_packed(c, xi, wi, bi, yi, batch, kdim, n, in_off, &r);
    const bool plain = !in_xor && !w_xor && !r.out_xor && r.mode != RQ_NONE;
    const kiln_fc_s8_params fp = {.batch = (int32_t)batch, .in_features = (int32_t)kdim,
                                  .out_features = (int32_t)n, .in_offset = in_off, .w_offset = w_off,
                                  .in_xor = in_xor, .w_xor = w_xor, .rq = rq_params(&r)};
    lir_call *call = LIR_CALL(c->p, c->node, plain ? "kiln_fully_connected_s8" : "kiln_fully_connected_q8",
                              kiln_fc_s8_params, &fp);
    return weighted_operands(call, xi, wi, bi, &r, yi);
}

static int lower_matmul(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int ai = nd->in[0], bi = nd->in[1], yi = nd->out[0];
    const ir_tensor *a = TS(ai), *b = TS(bi);
    if (a->rank < 2 || b->rank < 2)
        return fail(c, "int8 MatMul needs operands of rank >= 2 (got %d and %d)", a->rank, b->rank);
    const int64_t m = a->shape[a->rank - 2], k = a->shape[a->rank - 1], n = b->shape[b->rank - 1];
    if (b->shape[b->rank - 2] != k)
        return fail(c, "inner dimensions differ: %lld vs %lld", (long long)k,
                    (long long)b->shape[b->rank - 2]);
    const int64_t mn = m * n, batch = ir_numel(TS(yi)) / (mn > 0 ? mn : 1);
    const int64_t mk = m * k, kn = k * n;
    const int64_t a_batches = ir_numel(a) / (mk > 0 ? mk : 1), b_batches = ir_numel(b) / (kn > 0 ? kn : 1);
    if ((a_batches != batch && a_batches != 1) || (b_batches != batch && b_batches != 1))
        return fail(c, "batch dimensions must be equal or absent (%lld, %lld -> %lld)",
                    (long long)a_batches, (long long)b_batches, (long long)batch);
    int32_t a_off, b_off;
    if (operand_offset(c, a, "A", &a_off) < 0 || operand_offset(c, b, "B", &b_off) < 0)
        return -1;
    const int32_t a_xor = xor_of(a), b_xor = xor_of(b);
    const int64_t a_stride = a_batches == 1 ? 0 : m * k, b_stride = b_batches == 1 ? 0 : k * n;
    if (TS(bi)->q.n > 1 && TS(bi)->q.n != n)
        return fail(c, "B '%s' has %d scales; expected 1 or %lld (one per column)", TS(bi)->name,
                    TS(bi)->q.n, (long long)n);
    rq_out r;
    if (make_rq(c, ai, bi, yi, (int)n, RULE_DOUBLE, &r) < 0)
        return -1;
    const kiln_matmul_s8_params mp = {
        .batch = (int32_t)batch, .m = (int32_t)m, .k = (int32_t)k, .n = (int32_t)n,
        .a_batch_stride = (int32_t)a_stride, .b_batch_stride = (int32_t)b_stride, .a_offset = a_off,
        .b_offset = b_off, .a_xor = a_xor, .b_xor = b_xor, .rq = rq_params(&r)};
    lir_call *call = LIR_CALL(c->p, c->node, "kiln_matmul_q8", kiln_matmul_s8_params, &mp);
    lir_in(call, ai);
    lir_in(call, bi);
    lir_in(call, r.mult_t);
    lir_in(call, r.shift_t);
    lir_out(call, yi);
    return 1;
}

/* ---- pooling -------------------------------------------------------------- */

/* The geometry of a 1-D or 2-D pool as kiln_pool_s8_params in *q; -1
 * (after fail()) when the kernels cannot do it. */
static int pool_geometry(ctx *c, int32_t act_min, int32_t act_max, kiln_pool_s8_params *q)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const ir_conv_attr *a = &nd->attr.conv;
    const int xi = nd->in[0], yi = nd->out[0];
    const bool nhwc = a->layout == IR_LAYOUT_NHWC;
    if (nd->n_out > 1 && nd->out[1] >= 0) {
        fail(c, "MaxPool indices are not supported on int8");
        return -1;
    }
    if (a->nspatial < 1 || a->nspatial > 2) {
        fail(c, "%d spatial dimensions; int8 pooling is 1-D or 2-D", a->nspatial);
        return -1;
    }
    for (int i = 0; i < a->nspatial; i++)
        if (a->dilation[i] != 1) {
            fail(c, "dilated int8 pooling is not supported");
            return -1;
        }
    int64_t n, ch, ih, iw, yn, yc, oh, ow;
    if (conv_dims(c, TS(xi), nhwc, &n, &ch, &ih, &iw) < 0 ||
        conv_dims(c, TS(yi), nhwc, &yn, &yc, &oh, &ow) < 0)
        return -1;
    const int s = a->nspatial == 2 ? 1 : 0;
    const bool two = a->nspatial == 2;
    const kiln_pool_s8_params p = {
        .batch = (int32_t)n, .c = (int32_t)ch, .in_h = (int32_t)ih, .in_w = (int32_t)iw,
        .out_h = (int32_t)oh, .out_w = (int32_t)ow, .k_h = two ? a->kernel[0] : 1, .k_w = a->kernel[s],
        .stride_h = two ? a->stride[0] : 1, .stride_w = a->stride[s],
        .pad_t = two ? a->pad_begin[0] : 0, .pad_l = a->pad_begin[s],
        .pad_b = two ? a->pad_end[0] : 0, .pad_r = a->pad_end[s],
        .layout = nhwc ? KILN_LAYOUT_NHWC : KILN_LAYOUT_NCHW,
        .count_include_pad = a->count_include_pad ? 1 : 0, .act_min = act_min, .act_max = act_max};
    *q = p;
    return 0;
}

/* ONNX flavour (onnxruntime's MaxPool on integers, QLinearAveragePool,
 * QLinearGlobalAveragePool), int8 or uint8. */
static int lower_pool_onnx(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const ir_conv_attr *a = &nd->attr.conv;
    const int xi = nd->in[0], yi = nd->out[0];
    const ir_tensor *x = TS(xi), *y = TS(yi);
    if (!is_8bit(x->dtype) || x->dtype != y->dtype)
        return fail(c, "ONNX int8 pooling needs int8 or uint8 input and output of one type (got %s -> %s)",
                    ir_dtype_name(x->dtype), ir_dtype_name(y->dtype));
    if (check_quant(c, x, "input", false) < 0 || check_quant(c, y, "output", false) < 0)
        return -1;
    const bool avg = nd->op == IR_OP_AVGPOOL;
    if (!avg && !ir_same_type_quant(x, y))
        return fail(c, "input and output quantization differ (scale %g zp %d vs scale %g zp %d); an integer "
                    "MaxPool keeps it", (double)qscale(x), (int)qzp(x), (double)qscale(y), (int)qzp(y));
    int32_t lo = -128, hi = 127, act_min, act_max;
    type_range(y->dtype, &lo, &hi);
    qu_activation_range(&nd->attr.act, qscale(y), qzp(y), lo, hi, &act_min, &act_max);
    kiln_pool_s8_params geom;
    if (pool_geometry(c, act_min, act_max, &geom) < 0)
        return -1;
    /* One window over the whole input without padding: onnxruntime's
     * GlobalAveragePool (the IR keeps no other trace of it). */
    const bool nhwc = a->layout == IR_LAYOUT_NHWC;
    const int64_t ih = x->rank == 4 ? x->shape[nhwc ? 1 : 2] : 1, iw = x->shape[nhwc ? x->rank - 2 : x->rank - 1];
    bool global = avg && a->nspatial <= 2;
    for (int i = 0; i < a->nspatial; i++)
        global = global && a->pad_begin[i] == 0 && a->pad_end[i] == 0;
    global = global && (a->nspatial == 2 ? a->kernel[0] == ih && a->kernel[1] == iw : a->kernel[0] == iw);
    float scale = 0.0f;
    char what[320];
    ratio_what(what, sizeof what, x, y);
    if (global) {
        /* MLAS: ScaleInput / (ScaleOutput * (float)ImageSize), in float. */
        if (ih * iw >= (1 << 24)) {
            return fail(c, "global average over %lld elements; at most 2^24", (long long)(ih * iw));
        }
        const float denom = qscale(y) * (float)(ih * iw);
        scale = qscale(x) / denom;
        if (float_mult(c, scale, what) < 0) {
            return -1;
        }
    } else if (avg) {
        /* The window sums in_scale * (q - zp), |q - zp| <= 255, in float:
         * that sum must stay finite (inf - inf would be NaN). */
        int64_t window = 1;
        for (int i = 0; i < a->nspatial && i < IR_MAX_SPATIAL; i++)
            window *= a->kernel[i];
        if (!((double)qscale(x) * 255.0 * (double)window < (double)FLT_MAX)) {
            return fail(c, "input '%s' scale %g: a window of %lld elements sums to beyond float32 "
                        "(at most %g per element); refused", x->name, (double)qscale(x),
                        (long long)window, (double)FLT_MAX / 255.0 / (double)window);
        }
    }
    const kiln_pool_q8_params qp = {.pool = geom, .is_u8 = y->dtype == IR_DT_U8 ? 1 : 0,
                                    .global = global ? 1 : 0, .in_zp = qzp(x), .out_zp = qzp(y),
                                    .in_scale = qscale(x), .out_scale = qscale(y), .scale = scale};
    lir_call *call = LIR_CALL(c->p, c->node, avg ? "kiln_avgpool_onnx_q8" : "kiln_maxpool_q8",
                              kiln_pool_q8_params, &qp);
    lir_in(call, xi);
    lir_out(call, yi);
    return 1;
}

/* TFLite int16 AVERAGE_POOL_2D / MAX_POOL_2D: on raw values like int8. */
static int lower_pool_s16(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const ir_conv_attr *a = &nd->attr.conv;
    const int xi = nd->in[0], yi = nd->out[0];
    if (check_quant(c, TS(xi), "input", false) < 0 || check_quant(c, TS(yi), "output", false) < 0)
        return -1;
    if (!ir_same_type_quant(TS(xi), TS(yi)))
        return fail(c, "input and output quantization differ (scale %g zp %d vs scale %g zp %d); "
                    "TFLite pooling keeps it", (double)qscale(TS(xi)), (int)qzp(TS(xi)),
                    (double)qscale(TS(yi)), (int)qzp(TS(yi)));
    if (a->count_include_pad)
        return fail(c, "int16 average pooling counting padded positions is not supported");
    int64_t window = 1;
    for (int i = 0; i < a->nspatial && i < IR_MAX_SPATIAL; i++)
        window *= a->kernel[i];
    if (window >= 65536)
        return fail(c, "pooling window of %lld positions; the int16 kernels' int32 sum allows "
                    "fewer than 65536", (long long)window);
    int32_t act_min, act_max;
    qu_activation_range(&nd->attr.act, qscale(TS(yi)), qzp(TS(yi)), -32768, 32767, &act_min,
                        &act_max);
    kiln_pool_s8_params geom;
    if (pool_geometry(c, act_min, act_max, &geom) < 0)
        return -1;
    lir_call *call = LIR_CALL(c->p, c->node,
                              nd->op == IR_OP_AVGPOOL ? "kiln_avgpool_s16" : "kiln_maxpool_s16",
                              kiln_pool_s8_params, &geom);
    lir_in(call, xi);
    lir_out(call, yi);
    return 1;
}

static int lower_pool(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const ir_conv_attr *a = &nd->attr.conv;
    const int xi = nd->in[0], yi = nd->out[0];
    /* A max pool that keeps its quantization and has no clamp only selects
     * integers: what the pool kernels cannot take (3-D, dilation, Indices)
     * goes to lower_data's integer max pool. */
    bool dilated = false;
    for (int i = 0; i < a->nspatial && i < IR_MAX_SPATIAL; i++)
        dilated |= a->dilation[i] != 1;
    if (nd->op == IR_OP_MAXPOOL && !nd->attr.act.on && ir_same_type_quant(TS(xi), TS(yi)) &&
        TS(xi)->dtype == TS(yi)->dtype && (TS(xi)->dtype == IR_DT_S8 || TS(xi)->dtype == IR_DT_U8) &&
        (dilated || a->nspatial > 2 || (nd->n_out > 1 && nd->out[1] >= 0)))
        return 0;
    /* A max is exact in any flavour: uint8 ones (ONNX QOperator models) go to
     * the kernel that reads uint8. */
    if (nd->attr.qmode == IR_QMODE_ONNX || (nd->op == IR_OP_MAXPOOL && TS(xi)->dtype == IR_DT_U8))
        return lower_pool_onnx(c);
    if (TS(xi)->dtype == IR_DT_S16 && TS(yi)->dtype == IR_DT_S16)
        return lower_pool_s16(c);
    if (TS(xi)->dtype != IR_DT_S8 || TS(yi)->dtype != IR_DT_S8)
        return fail(c, "int8 pooling needs int8 input and output (got %s -> %s)",
                    ir_dtype_name(TS(xi)->dtype), ir_dtype_name(TS(yi)->dtype));
    if (!ir_same_type_quant(TS(xi), TS(yi)))
        return fail(c, "input and output quantization differ (scale %g zp %d vs scale %g zp %d); "
                    "TFLite pooling keeps it", (double)qscale(TS(xi)), (int)qzp(TS(xi)),
                    (double)qscale(TS(yi)), (int)qzp(TS(yi)));
    int32_t act_min, act_max;
    qu_activation_range(&nd->attr.act, qscale(TS(yi)), qzp(TS(yi)), -128, 127, &act_min, &act_max);
    kiln_pool_s8_params geom;
    if (pool_geometry(c, act_min, act_max, &geom) < 0)
        return -1;
    lir_call *call = LIR_CALL(c->p, c->node, nd->op == IR_OP_AVGPOOL ? "kiln_avgpool_s8" : "kiln_maxpool_s8",
                              kiln_pool_s8_params, &geom);
    lir_in(call, xi);
    lir_out(call, yi);
    return 1;
}

/* ---- broadcasting binary ops ---------------------------------------------- */

static int broadcast_strides(ctx *c, const ir_tensor *t, const ir_tensor *y, int32_t st[6])
{
    /* Right-aligned, 6-D: stride 0 where t has extent 1 but y does not. */
    int64_t stride = 1;
    for (int d = 5; d >= 0; d--) {
        int ti = t->rank - (6 - d), yd = y->rank - (6 - d);
        int64_t te = ti >= 0 ? t->shape[ti] : 1, ye = yd >= 0 ? y->shape[yd] : 1;
        if (te != ye && te != 1)
            return fail(c, "'%s' does not broadcast to the output shape", t->name);
        st[d] = te == 1 ? 0 : (int32_t)stride;
        stride *= te;
    }
    return 0;
}

/* y's shape right-aligned in 6 dimensions, leading ones 1. */
static void shape6(const ir_tensor *y, int32_t shape[6])
{
    for (int d = 0; d < 6; d++) {
        int yd = y->rank - (6 - d);
        shape[d] = yd >= 0 ? (int32_t)y->shape[yd] : 1;
    }
}

/* QLinearAdd as onnxruntime computes it on x86 (see kiln_add_onnx_q8). */
static int lower_add_onnx(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int ai = nd->in[0], bi = nd->in[1], yi = nd->out[0];
    const ir_tensor *a = TS(ai), *b = TS(bi), *y = TS(yi);
    if (!is_8bit(a->dtype) || !is_8bit(b->dtype) || !is_8bit(y->dtype))
        return fail(c, "ONNX int8 Add needs int8 or uint8 operands and output (got %s, %s -> %s)",
                    ir_dtype_name(a->dtype), ir_dtype_name(b->dtype), ir_dtype_name(y->dtype));
    if (check_quant(c, a, "A", false) < 0 || check_quant(c, b, "B", false) < 0 ||
        check_quant(c, y, "output", false) < 0)
        return -1;
    if (y->rank > 6)
        return fail(c, "rank %d; at most 6", y->rank);
    kiln_add_q8_params ap;
    memset(&ap, 0, sizeof ap);
    if (broadcast_strides(c, a, y, ap.a_stride) < 0 || broadcast_strides(c, b, y, ap.b_stride) < 0)
        return -1;
    shape6(y, ap.shape);
    /* MLAS, in float32, one rounding per operation (volatile: no contraction):
     * ratio = s/s_y; offset = zp_y - (ratio_a*zp_a + ratio_b*zp_b). */
    volatile float ra = qscale(a) / qscale(y), rb = qscale(b) / qscale(y);
    volatile float pa = ra * (float)qzp(a), pb = rb * (float)qzp(b);
    volatile float sum = pa + pb;
    volatile float offset = (float)qzp(y) - sum;
    char what[320];
    ratio_what(what, sizeof what, a, y);
    if (float_mult(c, ra, what) < 0 || float_mult(c, pa, what) < 0)
        return -1;
    ratio_what(what, sizeof what, b, y);
    if (float_mult(c, rb, what) < 0 || float_mult(c, pb, what) < 0 || float_mult(c, offset, what) < 0)
        return -1;
    int32_t lo = -128, hi = 127, act_min, act_max;
    type_range(y->dtype, &lo, &hi);
    qu_activation_range(&nd->attr.act, qscale(y), qzp(y), lo, hi, &act_min, &act_max);
    ap.a_u8 = a->dtype == IR_DT_U8, ap.b_u8 = b->dtype == IR_DT_U8, ap.y_u8 = y->dtype == IR_DT_U8;
    ap.a_ratio = ra, ap.b_ratio = rb, ap.offset = offset, ap.act_min = act_min, ap.act_max = act_max;
    lir_call *call = LIR_CALL(c->p, c->node, "kiln_add_onnx_q8", kiln_add_q8_params, &ap);
    lir_in(call, ai);
    lir_in(call, bi);
    lir_out(call, yi);
    return 1;
}

/* The fixed-point factors of TFLite's int8/int16 ADD, SUB, MUL, MINIMUM and
 * MAXIMUM (TFLM's prepare of each), and the kernel that applies them. */
typedef struct bin_factors {
    int32_t am, bm, om;
    int ash, bsh, osh, left_shift;
    const char *kernel;
} bin_factors;

static int binary_factors(ctx *c, const ir_tensor *a, const ir_tensor *b, const ir_tensor *y,
                          bool s16, bin_factors *f)
{
    const ir_node *nd = &c->g->nodes[c->node];
    const float s1 = qscale(a), s2 = qscale(b), so = qscale(y);
    memset(f, 0, sizeof *f);
    char wa[320], wb[320], wo[400];
    ratio_what(wa, sizeof wa, a, y);
    ratio_what(wb, sizeof wb, b, y);
    switch (nd->op) {
    case IR_OP_ADD:
    case IR_OP_SUB: {
        /* TFLM add_common.cc / sub_common.cc: left shift 20 for int8, 15 for
         * int16 (whose 16-bit inputs leave less headroom in the int32 sum).
         * The input factors are at most 1/2; the output one must be < 1. */
        f->left_shift = s16 ? 15 : 20;
        const double twice_max = 2 * (double)(s1 > s2 ? s1 : s2);
        const double real_out = twice_max / ((double)(1 << f->left_shift) * (double)so);
        snprintf(wo, sizeof wo, "2 x max('%s' scale %g, '%s' scale %g) / 2^%d / output '%s' scale %g",
                 a->name, (double)s1, b->name, (double)s2, f->left_shift, y->name, (double)so);
        if (fixed_mult(c, (double)s1 / twice_max, 0, wa, &f->am, &f->ash) < 0 ||
            fixed_mult(c, (double)s2 / twice_max, 0, wb, &f->bm, &f->bsh) < 0 ||
            fixed_mult(c, real_out, 0, wo, &f->om, &f->osh) < 0)
            return -1;
        f->kernel = nd->op == IR_OP_ADD ? (s16 ? "kiln_add_s16" : "kiln_add_s8")
                                        : (s16 ? "kiln_sub_s16" : "kiln_sub_s8");
        break;
    }
    case IR_OP_MUL:
        snprintf(wo, sizeof wo, "'%s' scale %g x '%s' scale %g / output '%s' scale %g", a->name,
                 (double)s1, b->name, (double)s2, y->name, (double)so);
        if (fixed_mult(c, (double)s1 * (double)s2 / (double)so, QU_SHIFT_MAX, wo, &f->om, &f->osh) < 0)
            return -1;
        f->kernel = s16 ? "kiln_mul_s16" : "kiln_mul_s8";
        break;
    case IR_OP_MIN:
    case IR_OP_MAX:
        if (fixed_mult(c, (double)s1 / (double)so, QU_SHIFT_MAX, wa, &f->am, &f->ash) < 0 ||
            fixed_mult(c, (double)s2 / (double)so, QU_SHIFT_MAX, wb, &f->bm, &f->bsh) < 0)
            return -1;
        f->kernel = nd->op == IR_OP_MIN ? "kiln_min_s8" : "kiln_max_s8";
        break;
    default:
        return fail(c, "no int8 kernel");
    }
    return 0;
}

/* int8 ADD/SUB without broadcasting: the inputs' rescaling as tables
 * (kiln_add_s8_lut).  in: a's offset, mult, shift, b's; out: mult, shift,
 * zero point, act_min, act_max. */
static int lower_add_lut(ctx *c, const int32_t in[6], const int32_t out[5], int32_t n)
{
    const ir_node *nd = &c->g->nodes[c->node];
    int32_t tables[512];
    pack_add_table(in[0], 20, in[1], in[2], 0, tables);
    pack_add_table(in[3], 20, in[4], in[5], nd->op == IR_OP_SUB, tables + 256);
    const int tt = add_i32(c, "add_tables", 512, tables);
    /* The output multiplier as a packed channel of one. */
    const int64_t zero = 0;
    pack_rq q = {1, NULL, &zero, NULL, 0, &out[0], &out[1], out[2], out[3], out[4]};
    const int32_t mode = pack_rq_mode(&q);
    int32_t bias, ch[4];
    pack_chan(&q, mode, 0, &bias, ch);
    const kiln_add_s8_lut_params lp = {
        .n = n,
        .rq = {.mode = mode, .out_offset = out[2], .act_min = out[3], .act_max = out[4]},
        .out = {.mult = ch[0], .shift = ch[1], .rnd_lo = ch[2], .rnd_hi = ch[3]}};
    lir_call *call = LIR_CALL(c->p, c->node, "kiln_add_s8_lut", kiln_add_s8_lut_params, &lp);
    lir_in(call, nd->in[0]);
    lir_in(call, nd->in[1]);
    lir_in(call, tt);
    lir_out(call, nd->out[0]);
    return 1;
}

static int lower_binary(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int ai = nd->in[0], bi = nd->in[1], yi = nd->out[0];
    const ir_tensor *a = TS(ai), *b = TS(bi), *y = TS(yi);
    if (nd->op == IR_OP_ADD && nd->attr.qmode == IR_QMODE_ONNX)
        return lower_add_onnx(c);
    const bool s16 = a->dtype == IR_DT_S16 && b->dtype == IR_DT_S16 && y->dtype == IR_DT_S16;
    if (s16) {
        /* These kernels compute TFLite's int16 arithmetic; an ONNX graph's
         * int16 ops would be judged against onnxruntime's, never checked. */
        if (nd->attr.qmode == IR_QMODE_ONNX)
            return fail(c, "int16 %s in an ONNX graph is not supported (TFLite's 16x8 models are)",
                        ir_op_name(nd->op));
        if (nd->op != IR_OP_ADD && nd->op != IR_OP_SUB && nd->op != IR_OP_MUL)
            return fail(c, "int16 %s is not supported (int16 ADD, SUB and MUL are)",
                        ir_op_name(nd->op));
        if (check_s16_act(c, a, "A") < 0 || check_s16_act(c, b, "B") < 0 ||
            check_s16_act(c, y, "output") < 0)
            return -1;
    } else if (a->dtype != IR_DT_S8 || b->dtype != IR_DT_S8 || y->dtype != IR_DT_S8) {
        return fail(c, "integer %s needs all-int8 or all-int16 operands and output (got %s, %s -> %s)",
                    ir_op_name(nd->op), ir_dtype_name(a->dtype), ir_dtype_name(b->dtype),
                    ir_dtype_name(y->dtype));
    } else if (check_quant(c, a, "A", false) < 0 || check_quant(c, b, "B", false) < 0 ||
               check_quant(c, y, "output", false) < 0) {
        return -1;
    }
    if (y->rank > 6)
        return fail(c, "rank %d; at most 6", y->rank);
    kiln_binary_s8_params bp;
    memset(&bp, 0, sizeof bp);
    if (broadcast_strides(c, a, y, bp.a_stride) < 0 || broadcast_strides(c, b, y, bp.b_stride) < 0)
        return -1;
    shape6(y, bp.shape);
    const float so = qscale(y);
    bin_factors f;
    if (binary_factors(c, a, b, y, s16, &f) < 0)
        return -1;
    int32_t act_min, act_max;
    qu_activation_range(&nd->attr.act, so, qzp(y), s16 ? -32768 : -128, s16 ? 32767 : 127,
                        &act_min, &act_max);
    if (!s16 && (nd->op == IR_OP_ADD || nd->op == IR_OP_SUB) && c->p->opts.kernels != LOWER_PLAIN &&
        ir_numel(a) == ir_numel(y) && ir_numel(b) == ir_numel(y) && ir_numel(y) <= INT32_MAX) {
        const int32_t in[6] = {-qzp(a), f.am, f.ash, -qzp(b), f.bm, f.bsh};
        const int32_t out[5] = {f.om, f.osh, qzp(y), act_min, act_max};
        return lower_add_lut(c, in, out, (int32_t)ir_numel(y));
    }
    bp.a_offset = -qzp(a), bp.b_offset = -qzp(b), bp.out_offset = qzp(y);
    bp.left_shift = f.left_shift, bp.a_mult = f.am, bp.a_shift = f.ash, bp.b_mult = f.bm;
    bp.b_shift = f.bsh, bp.out_mult = f.om, bp.out_shift = f.osh;
    bp.act_min = act_min, bp.act_max = act_max;
    lir_call *call = LIR_CALL(c->p, c->node, f.kernel, kiln_binary_s8_params, &bp);
    lir_in(call, ai);
    lir_in(call, bi);
    lir_out(call, yi);
    return 1;
}

/* ---- unary ops ----------------------------------------------------------------- */

static int require_s8_io(ctx *c, const ir_tensor *x, const ir_tensor *y)
{
    if (x->dtype != IR_DT_S8 || y->dtype != IR_DT_S8)
        return fail(c, "needs int8 input and output (got %s -> %s)", ir_dtype_name(x->dtype),
                    ir_dtype_name(y->dtype));
    if (check_quant(c, x, "input", false) < 0 || check_quant(c, y, "output", false) < 0)
        return -1;
    if (ir_numel(x) != ir_numel(y) || ir_numel(x) > INT32_MAX)
        return fail(c, "input and output sizes differ");
    return 0;
}

/* CLIP and REQUANTIZE: clamp(out_zp + MBQM(x - in_zp, s_in/s_out)). */
static int lower_requantize(ctx *c, bool clip)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], yi = nd->out[0];
    const ir_tensor *x = TS(xi), *y = TS(yi);
    int32_t lo, hi, ilo, ihi;
    if (!type_range(x->dtype, &ilo, &ihi) || !type_range(y->dtype, &lo, &hi))
        return fail(c, "needs 8-, 16- or 32-bit integer input and output (got %s -> %s)",
                    ir_dtype_name(x->dtype), ir_dtype_name(y->dtype));
    if (check_quant(c, x, "input", false) < 0 || check_quant(c, y, "output", false) < 0)
        return -1;
    if (ir_numel(x) != ir_numel(y))
        return fail(c, "input and output sizes differ");
    int32_t m;
    int sh;
    char what[320];
    ratio_what(what, sizeof what, x, y);
    if (fixed_mult(c, (double)qscale(x) / (double)qscale(y), QU_SHIFT_MAX, what, &m, &sh) < 0)
        return -1;
    int32_t act_min = lo, act_max = hi;
    if (clip)
        qu_activation_range(&nd->attr.act, qscale(y), qzp(y), lo, hi, &act_min, &act_max);
    const bool s8 = x->dtype == IR_DT_S8 && y->dtype == IR_DT_S8;
    const kiln_requantize_params rp = {
        .n = (int32_t)ir_numel(x), .in_type = qtype_of(x->dtype), .out_type = qtype_of(y->dtype),
        .in_zp = qzp(x), .out_zp = qzp(y), .mult = m, .shift = sh, .act_min = act_min,
        .act_max = act_max};
    lir_call *call = LIR_CALL(c->p, c->node,
                              s8 ? (clip ? "kiln_clip_s8" : "kiln_requantize_s8") : "kiln_requantize_q",
                              kiln_requantize_params, &rp);
    lir_in(call, xi);
    lir_out(call, yi);
    return 1;
}

static int lower_sigmoid_tanh(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], yi = nd->out[0];
    if (require_s8_io(c, TS(xi), TS(yi)) < 0)
        return -1;
    const bool sig = nd->op == IR_OP_SIGMOID;
    /* TFLM fixes the output quantization: 1/256, -128 (logistic), 1/128, 0 (tanh). */
    const float want_scale = sig ? 1.0f / 256 : 1.0f / 128;
    const int32_t want_zp = sig ? -128 : 0;
    if (qzp(TS(yi)) != want_zp || qscale(TS(yi)) != want_scale)
        return fail(c, "output quantization must be scale %g zero point %d (TFLite's int8 %s), "
                    "found scale %g zero point %d", (double)want_scale, (int)want_zp,
                    sig ? "LOGISTIC" : "TANH", (double)qscale(TS(yi)), (int)qzp(TS(yi)));
    int32_t m;
    int sh;
    if (!qu_frexp_multiplier((double)qscale(TS(xi)) * (double)(1 << 27), &m, &sh) || sh < 0 ||
        sh > 30)
        return fail(c, "input '%s' scale %g is out of the range TFLite's int8 %s handles (the "
                    "input multiplier's shift must be 0..30)", TS(xi)->name,
                    (double)qscale(TS(xi)), sig ? "LOGISTIC" : "TANH");
    const int32_t radius = qu_input_radius(4, sh, 31);
    const kiln_sigmoid_s8_params sp = {.n = (int32_t)ir_numel(TS(xi)), .in_zp = qzp(TS(xi)),
                                       .range_radius = (int32_t)radius, .in_mult = m, .in_shift = sh};
    lir_call *call = LIR_CALL(c->p, c->node, sig ? "kiln_logistic_s8" : "kiln_tanh_s8",
                              kiln_sigmoid_s8_params, &sp);
    lir_in(call, xi);
    lir_out(call, yi);
    return 1;
}

static int lower_hard_swish(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], yi = nd->out[0];
    if (require_s8_io(c, TS(xi), TS(yi)) < 0)
        return -1;
    /* TFLM hard_swish_common.cc, in float as it does. */
    const float input_scale = qscale(TS(xi));
    const float hires_input_scale = (1.0f / 128.0f) * input_scale;
    const float reluish_scale = 3.0f / 32768.0f;
    const float output_scale = qscale(TS(yi));
    int32_t om, rm;
    int oe, re;
    char wo[320], wr[320];
    snprintf(wo, sizeof wo, "input '%s' scale %g / 128 / output '%s' scale %g", TS(xi)->name,
             (double)input_scale, TS(yi)->name, (double)output_scale);
    snprintf(wr, sizeof wr, "input '%s' scale %g / 128 / (3 / 32768)", TS(xi)->name,
             (double)input_scale);
    /* The kernel's 16-bit shifts: a rounding right shift by up to 30
     * (rdbpot16 computes 1 << e in int), the reluish left shift by
     * relu_exp - 1 <= 16 (a saturating int16 value times 2^16 still fits
     * int32), the output exponent <= 0. */
    if (fixed_mult(c, (double)(hires_input_scale / output_scale), 0, wo, &om, &oe) < 0 ||
        fixed_mult(c, (double)(hires_input_scale / reluish_scale), 17, wr, &rm, &re) < 0)
        return -1;
    if (oe < -30 || re < -30)
        return fail(c, "%s: the rescale factor needs a right shift of %d bits; TFLite's int8 "
                    "HARD_SWISH takes at most 30", oe < -30 ? wo : wr, oe < -30 ? -oe : -re);
    const kiln_hard_swish_s8_params hp = {
        .n = (int32_t)ir_numel(TS(xi)), .in_zp = qzp(TS(xi)), .out_zp = qzp(TS(yi)),
        .relu_mult16 = qu_downscale_multiplier_i16(rm), .relu_exp = re,
        .out_mult16 = qu_downscale_multiplier_i16(om), .out_exp = oe};
    lir_call *call = LIR_CALL(c->p, c->node, "kiln_hard_swish_s8", kiln_hard_swish_s8_params, &hp);
    lir_in(call, xi);
    lir_out(call, yi);
    return 1;
}

static int lower_leaky_relu(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], yi = nd->out[0];
    if (require_s8_io(c, TS(xi), TS(yi)) < 0)
        return -1;
    /* TFLM leaky_relu_common.cc: the ratios in float, then widened. */
    const float si = qscale(TS(xi)), so = qscale(TS(yi)), alpha = nd->attr.alpha;
    int32_t am, im;
    int ash, ish;
    char wa[400], wi[320];
    ratio_what(wi, sizeof wi, TS(xi), TS(yi));
    snprintf(wa, sizeof wa, "alpha %g x %s", (double)alpha, wi);
    if (fixed_mult(c, (double)(si * alpha / so), QU_SHIFT_MAX, wa, &am, &ash) < 0 ||
        fixed_mult(c, (double)(si / so), QU_SHIFT_MAX, wi, &im, &ish) < 0)
        return -1;
    const kiln_leaky_relu_s8_params lp = {
        .n = (int32_t)ir_numel(TS(xi)), .in_zp = qzp(TS(xi)), .out_zp = qzp(TS(yi)), .id_mult = im,
        .id_shift = ish, .alpha_mult = am, .alpha_shift = ash};
    lir_call *call = LIR_CALL(c->p, c->node, "kiln_leaky_relu_s8", kiln_leaky_relu_s8_params, &lp);
    lir_in(call, xi);
    lir_out(call, yi);
    return 1;
}

static int lower_softmax(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], yi = nd->out[0];
    const ir_tensor *x = TS(xi), *y = TS(yi);
    if (nd->attr.log)
        return fail(c, "int8 LogSoftmax is not supported");
    if (x->dtype != IR_DT_S8 || (y->dtype != IR_DT_S8 && y->dtype != IR_DT_S16))
        return fail(c, "int8 softmax needs int8 input and int8/int16 output (got %s -> %s)",
                    ir_dtype_name(x->dtype), ir_dtype_name(y->dtype));
    if (check_quant(c, x, "input", false) < 0 || check_quant(c, y, "output", false) < 0)
        return -1;
    /* TFLM softmax_common.cc fixes the output quantization. */
    if (y->dtype == IR_DT_S8 && (qzp(y) != -128 || qscale(y) != 1.0f / 256))
        return fail(c, "int8 output must be scale 1/256 zero point -128, found scale %g zp %d",
                    (double)qscale(y), (int)qzp(y));
    if (y->dtype == IR_DT_S16 &&
        (qzp(y) != -32768 || fabs((double)qscale(y) - 1.0 / 65536) > 0.001 / 65536))
        return fail(c, "int16 output must be scale 1/65536 zero point -32768, found scale %g zp %d",
                    (double)qscale(y), (int)qzp(y));
    int axis = nd->attr.axis, axis_end = nd->attr.axis_end > 0 ? nd->attr.axis_end : axis + 1;
    if (axis < 0 || axis_end > x->rank || axis >= axis_end)
        return fail(c, "softmax axes [%d, %d) out of range for rank %d", axis, axis_end, x->rank);
    int32_t m;
    int ls;
    if (!isfinite(nd->attr.beta))
        return fail(c, "beta %g; softmax needs a finite beta", (double)nd->attr.beta);
    qu_softmax_scaling((double)nd->attr.beta, (double)qscale(x), 5, &m, &ls);
    if (ls < 0 || ls > 31)
        return fail(c, "input '%s' scale %g x beta %g out of TFLite's int8 softmax range "
                    "(left shift %d, 0..31)", x->name, (double)qscale(x), (double)nd->attr.beta, ls);
    const int32_t diff_min = -qu_input_radius(5, ls, 31);
    const kiln_softmax_s8_params sp = {
        .outer = (int32_t)prod(x->shape, 0, axis), .depth = (int32_t)prod(x->shape, axis, axis_end),
        .inner = (int32_t)prod(x->shape, axis_end, x->rank), .in_mult = m, .in_left_shift = ls,
        .diff_min = (int32_t)diff_min};
    lir_call *call = LIR_CALL(c->p, c->node,
                              y->dtype == IR_DT_S8 ? "kiln_softmax_s8" : "kiln_softmax_s8_s16",
                              kiln_softmax_s8_params, &sp);
    lir_in(call, xi);
    lir_out(call, yi);
    return 1;
}

static int lower_mean(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], yi = nd->out[0];
    const ir_tensor *x = TS(xi), *y = TS(yi);
    if (x->dtype != IR_DT_S8 || y->dtype != IR_DT_S8)
        return fail(c, "needs int8 input and output (got %s -> %s)", ir_dtype_name(x->dtype),
                    ir_dtype_name(y->dtype));
    if (check_quant(c, x, "input", false) < 0 || check_quant(c, y, "output", false) < 0)
        return -1;
    if (x->rank > 6)
        return fail(c, "rank %d; at most 6", x->rank);
    int64_t shape[6], count = 1;
    int red[6];
    for (int d = 0; d < 6; d++) {
        int xd = x->rank - (6 - d);
        shape[d] = xd >= 0 ? x->shape[xd] : 1;
        red[d] = xd >= 0 && (nd->attr.axes_mask >> xd & 1u);
        if (red[d])
            count *= shape[d];
    }
    if (count < 1)
        return fail(c, "mean over an empty set of elements");
    const bool same = qzp(x) == qzp(y) && qscale(x) == qscale(y);
    int32_t m = 0, m2 = 0;
    int sh = 0, sh2 = 0;
    if (!same) {
        char what[320];
        ratio_what(what, sizeof what, x, y);
        if (fixed_mult(c, (double)qscale(x) / (double)qscale(y), QU_SHIFT_MAX, what, &m, &sh) < 0)
            return -1;
        qu_mean_multiplier(m, sh, count, &m2, &sh2);
    }
    kiln_mean_s8_params mp = {.count = (int32_t)count, .same_quant = same ? 1 : 0, .in_zp = qzp(x),
                              .out_zp = qzp(y), .mult = m2, .shift = sh2};
    for (int d = 0; d < 6; d++)
        mp.shape[d] = (int32_t)shape[d], mp.reduce[d] = red[d];
    lir_call *call = LIR_CALL(c->p, c->node, "kiln_mean_s8", kiln_mean_s8_params, &mp);
    lir_in(call, xi);
    lir_out(call, yi);
    return 1;
}

/* QUANTIZE (float -> int) and DEQUANTIZE (int -> float), per tensor or axis. */
static int lower_quant_boundary(ctx *c, bool quantize)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int xi = nd->in[0], yi = nd->out[0];
    const int qi = quantize ? yi : xi;
    const ir_tensor *f = quantize ? TS(xi) : TS(yi);
    if (f->dtype != IR_DT_F32)
        return fail(c, "%s '%s' is %s; expected float32", quantize ? "input" : "output", f->name,
                    ir_dtype_name(f->dtype));
    static const struct { ir_dtype dt; const char *q, *dq; } kinds[] = {
        {IR_DT_S8, "kiln_quantize_f32_s8", "kiln_dequantize_s8_f32"},
        {IR_DT_U8, "kiln_quantize_f32_u8", "kiln_dequantize_u8_f32"},
        {IR_DT_S16, "kiln_quantize_f32_s16", "kiln_dequantize_s16_f32"},
        {IR_DT_U16, "kiln_quantize_f32_u16", "kiln_dequantize_u16_f32"},
        {IR_DT_S32, "kiln_quantize_f32_s32", "kiln_dequantize_s32_f32"},
    };
    const char *kernel = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].dt == TS(qi)->dtype)
            kernel = quantize ? kinds[i].q : kinds[i].dq;
    if (!kernel)
        return fail(c, "'%s' is %s; %s handles int8, uint8, int16, uint16, int32", TS(qi)->name,
                    ir_dtype_name(TS(qi)->dtype), quantize ? "QUANTIZE" : "DEQUANTIZE");
    if (check_quant(c, TS(qi), quantize ? "output" : "input", true) < 0)
        return -1;
    const ir_tensor *q = TS(qi);
    int64_t outer = 1, axis_len = 1, inner = ir_numel(q);
    if (q->q.n > 1) {
        if (q->q.axis < 0 || q->q.axis >= q->rank || q->shape[q->q.axis] != q->q.n)
            return fail(c, "'%s' has %d scales along axis %d, which has %lld elements", q->name,
                        q->q.n, q->q.axis, (long long)(q->q.axis >= 0 && q->q.axis < q->rank
                                                           ? q->shape[q->q.axis] : -1));
        outer = prod(q->shape, 0, q->q.axis);
        axis_len = q->q.n;
        inner = prod(q->shape, q->q.axis + 1, q->rank);
    }
    const int n = q->q.n;
    float *sc = xmalloc((size_t)n * sizeof(float));
    int32_t *zp = xmalloc((size_t)n * sizeof(int32_t));
    memcpy(sc, q->q.scale, (size_t)n * sizeof(float));
    memcpy(zp, q->q.zero_point, (size_t)n * sizeof(int32_t));
    int st = add_f32(c, "scale", n, sc);
    int zt = add_i32(c, "zero_point", n, zp);
    free(sc);
    free(zp);
    const kiln_quantize_params qp = {.outer = (int32_t)outer, .axis_len = (int32_t)axis_len,
                                     .inner = (int32_t)inner,
                                     .round_even = nd->attr.qmode == IR_QMODE_ONNX ? 1 : 0};
    lir_call *call = LIR_CALL(c->p, c->node, kernel, kiln_quantize_params, &qp);
    lir_in(call, xi);
    lir_in(call, st);
    lir_in(call, zt);
    lir_out(call, yi);
    return 1;
}

static int lower_concat(ctx *c)
{
    ir_graph *g = c->g;
    const ir_node *nd = &g->nodes[c->node];
    const int yi = nd->out[0];
    const ir_tensor *y = TS(yi);
    if (nd->n_in > 8)
        return fail(c, "%d inputs with differing quantization; at most 8", nd->n_in);
    if (y->dtype != IR_DT_S8 || check_quant(c, y, "output", false) < 0)
        return fail(c, "requantizing concat needs an int8 output");
    const int axis = nd->attr.axis;
    kiln_concat_s8_params cp;
    memset(&cp, 0, sizeof cp);
    for (int k = 0; k < nd->n_in; k++) {
        const ir_tensor *x = TS(nd->in[k]);
        if (x->dtype != IR_DT_S8 || check_quant(c, x, "input", false) < 0)
            return fail(c, "input '%s' must be quantized int8", x->name);
        cp.axis_len[k] = (int32_t)x->shape[axis];
        cp.in_zp[k] = qzp(x);
        char what[320];
        ratio_what(what, sizeof what, x, y);
        int sh;
        if (fixed_mult(c, (double)qscale(x) / (double)qscale(y), QU_SHIFT_MAX, what, &cp.mult[k], &sh) < 0)
            return -1;
        cp.shift[k] = sh;
    }
    cp.n_inputs = nd->n_in, cp.outer = (int32_t)prod(y->shape, 0, axis);
    cp.inner = (int32_t)prod(y->shape, axis + 1, y->rank), cp.out_zp = qzp(y);
    lir_call *call = LIR_CALL(c->p, c->node, "kiln_concat_s8", kiln_concat_s8_params, &cp);
    for (int k = 0; k < 8; k++)
        lir_in(call, k < nd->n_in ? nd->in[k] : -1);
    lir_out(call, yi);
    return 1;
}

/* ---- dispatch --------------------------------------------------------------- */

static bool any_quantized(const ir_graph *g, const ir_node *nd)
{
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] >= 0 && g->tensors[nd->in[k]].q.n > 0)
            return true;
    for (int k = 0; k < nd->n_out; k++)
        if (nd->out[k] >= 0 && g->tensors[nd->out[k]].q.n > 0)
            return true;
    return false;
}

/* True when some input's quantization differs from the first output's. */
static bool quant_changes(const ir_graph *g, const ir_node *nd)
{
    const ir_tensor *y = &g->tensors[nd->out[0]];
    for (int k = 0; k < nd->n_in; k++)
        if (nd->in[k] >= 0 && !ir_is_const(&g->tensors[nd->in[k]]) &&
            !ir_same_type_quant(&g->tensors[nd->in[k]], y))
            return true;
    return false;
}

int lower_s8(ir_graph *g, int node, lir_program *p, char *err, size_t errlen)
{
    ctx c = {g, node, p, err, errlen};
    const ir_node *nd = &g->nodes[node];
    if (nd->n_out < 1 || nd->out[0] < 0 || !any_quantized(g, nd))
        return 0;
    /* A float activation with quantized weights (a "hybrid" model) is not an
     * integer op: leave it to the float family. */
    if (nd->n_in > 0 && nd->in[0] >= 0 && g->tensors[nd->in[0]].dtype == IR_DT_F32 &&
        g->tensors[nd->out[0]].dtype == IR_DT_F32)
        return 0;
    switch (nd->op) {
    case IR_OP_CONV:
    case IR_OP_CONV_TRANSPOSE: return lower_conv(&c);
    case IR_OP_FULLY_CONNECTED: return lower_fc(&c);
    case IR_OP_MATMUL: return lower_matmul(&c);
    case IR_OP_AVGPOOL:
    case IR_OP_MAXPOOL: return lower_pool(&c);
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_MIN:
    case IR_OP_MAX: return lower_binary(&c);
    case IR_OP_CLIP: return lower_requantize(&c, true);
    case IR_OP_REQUANTIZE: return lower_requantize(&c, false);
    case IR_OP_SIGMOID:
    case IR_OP_TANH: return lower_sigmoid_tanh(&c);
    case IR_OP_HARD_SWISH: return lower_hard_swish(&c);
    case IR_OP_LEAKY_RELU: return lower_leaky_relu(&c);
    case IR_OP_SOFTMAX: return lower_softmax(&c);
    case IR_OP_REDUCE_MEAN: return lower_mean(&c);
    case IR_OP_QUANTIZE: return lower_quant_boundary(&c, true);
    case IR_OP_DEQUANTIZE: return lower_quant_boundary(&c, false);
    case IR_OP_SVDF: return lower_svdf_s8(g, node, p, err, errlen);
    case IR_OP_CONCAT:
        if (!quant_changes(g, nd))
            return 0;
        return lower_concat(&c);
    case IR_OP_RESHAPE:
    case IR_OP_TRANSPOSE:
    case IR_OP_SLICE:
    case IR_OP_PAD:
        if (!quant_changes(g, nd))
            return 0;
        return fail(&c, "quantization changes across a data-movement op (input scale %g zp %d, "
                    "output scale %g zp %d); insert a requantize or keep it equal",
                    (double)qscale(&g->tensors[nd->in[0]]), (int)qzp(&g->tensors[nd->in[0]]),
                    (double)qscale(&g->tensors[nd->out[0]]), (int)qzp(&g->tensors[nd->out[0]]));
    default:
        return 0; /* not arithmetic we own: let the other families decide */
    }
}
