/*
 * eval_quant.c - real values <-> stored values, and the conversion ops.
 *
 * The one place that knows how a tensor's stored elements relate to the real
 * numbers ops compute on: dequantization (scale*(q-zp), per tensor or per
 * channel), quantization (round half to even, then saturate), the fused clamp
 * (TFLite's quantized activation range for quantized outputs), float32 and
 * float16 rounding, and integer conversion (truncate toward zero, wrap like
 * two's complement).  QUANTIZE, DEQUANTIZE, REQUANTIZE and CAST are nothing
 * but these conversions, so they live here too.
 *
 * Relies on the value arrays kept by eval.c.  Never touches bytes.
 */
#include <math.h>

#include "ref/eval_int.h"
#include "ref/eval_ops.h"

/* The range of an integer dtype, as doubles (exact for every width). */
static void int_range(ir_dtype dt, double *lo, double *hi)
{
    switch (dt) {
    case IR_DT_S8: *lo = -128; *hi = 127; break;
    case IR_DT_U8: *lo = 0; *hi = 255; break;
    case IR_DT_S16: *lo = -32768; *hi = 32767; break;
    case IR_DT_U16: *lo = 0; *hi = 65535; break;
    case IR_DT_S32: *lo = -2147483648.0; *hi = 2147483647.0; break;
    case IR_DT_U32: *lo = 0; *hi = 4294967295.0; break;
    case IR_DT_S64: *lo = -9223372036854775808.0; *hi = 9223372036854775807.0; break;
    case IR_DT_U64: *lo = 0; *hi = 18446744073709551615.0; break;
    case IR_DT_BOOL: *lo = 0; *hi = 1; break;
    default: *lo = -INFINITY; *hi = INFINITY; break;
    }
}

static int int_bits(ir_dtype dt)
{
    return (int)ir_dtype_size(dt) * 8;
}

static bool int_signed(ir_dtype dt)
{
    return dt == IR_DT_S8 || dt == IR_DT_S16 || dt == IR_DT_S32 || dt == IR_DT_S64;
}

/* x rounded to the nearest float16 value (ties to even), overflow to inf. */
static double round_half(double x)
{
    if (isnan(x) || isinf(x) || x == 0)
        return x;
    double a = fabs(x);
    if (a >= 65520.0)
        return copysign(INFINITY, x);
    int e;
    frexp(a, &e);               /* a in [2^(e-1), 2^e): 11 significant bits */
    int qexp = e - 11;
    if (qexp < -24)             /* subnormals: fixed quantum 2^-24 */
        qexp = -24;
    double quantum = ldexp(1.0, qexp);
    return copysign(rint(a / quantum) * quantum, x);
}

/* Integer conversion of a non-quantized value: truncate toward zero, then
 * wrap modulo 2^bits (what numpy and C's unsigned arithmetic do on overflow). */
static double to_int(ir_dtype dt, double v)
{
    if (dt == IR_DT_BOOL)
        return v != 0;
    if (isnan(v) || isinf(v))
        return 0;
    v = trunc(v);
    double lo, hi;
    int_range(dt, &lo, &hi);
    if (v >= lo && v <= hi)
        return v;
    double m = ldexp(1.0, int_bits(dt));
    v = fmod(v, m);
    if (v < 0)
        v += m;
    if (int_signed(dt) && v >= m / 2)
        v -= m;
    return v;
}

/* Channel of flat element i under t's per-channel quantization (0 per tensor). */
typedef struct chan_map {
    int64_t stride, n;
} chan_map;

static chan_map chan_of(const ir_tensor *t)
{
    chan_map m = { 1, 1 };
    if (t->q.n > 1) {
        int64_t st[IR_MAX_DIMS];
        ref_strides(t, st);
        m.stride = st[t->q.axis];
        m.n = t->shape[t->q.axis];
    }
    return m;
}

static int chan(chan_map m, int64_t i)
{
    return (int)((i / m.stride) % m.n);
}

static const double *in_values(ref_ctx *c, int k, bool use_scale, bool use_zp)
{
    const ir_tensor *t = ref_in(c, k);
    const double *v = c->val[c->nd->in[k]];
    int64_t n = ir_numel(t);
    double *r = ref_tmp(c, n);
    if (!ref_is_quant(t) || (!use_scale && !use_zp)) {
        for (int64_t i = 0; i < n; i++)
            r[i] = v[i];
        return r;
    }
    chan_map m = chan_of(t);
    for (int64_t i = 0; i < n; i++) {
        int ch = chan(m, i);
        double q = v[i] - (use_zp ? t->q.zero_point[ch] : 0);
        r[i] = use_scale ? (double)t->q.scale[ch] * q : q;
    }
    return r;
}

const double *ref_real(ref_ctx *c, int k)
{
    return in_values(c, k, true, true);
}

const double *ref_offset(ref_ctx *c, int k)
{
    return in_values(c, k, false, true);
}

const double *ref_stored(ref_ctx *c, int k)
{
    return in_values(c, k, false, false);
}

static double clamp(double v, double lo, double hi)
{
    /* Comparisons, not fmin/fmax: a NaN stays NaN, and lo > hi gives hi as
     * ONNX Clip does. */
    if (v < lo)
        v = lo;
    if (v > hi)
        v = hi;
    return v;
}

static double round_plain(ir_dtype dt, double v)
{
    switch (dt) {
    case IR_DT_F32: return (double)(float)v;
    case IR_DT_F16: return round_half(v);
    case IR_DT_F64: return v;
    default: return to_int(dt, v);
    }
}

void ref_store(ref_ctx *c, int k, const double *real)
{
    const ir_tensor *t = ref_out(c, k);
    double *dst = c->val[c->nd->out[k]];
    int64_t n = ir_numel(t);
    const ir_act *act = (k == 0 && c->nd->attr.act.on) ? &c->nd->attr.act : NULL;
    const ir_fused *fu = &c->nd->attr.fused;
    const double *res = k == 0 && fu->residual ? ref_real(c, 3) : NULL;
    if (!ref_is_quant(t)) {
        for (int64_t i = 0; i < n; i++) {
            double v = res ? real[i] + res[i] : real[i];
            if (k == 0 && fu->leaky && v < 0)
                v *= fu->alpha;
            if (k == 0 && fu->maxc)
                v = v > fu->maxc_value ? v : fu->maxc_value;
            dst[i] = round_plain(t->dtype, act ? clamp(v, act->lo, act->hi) : v);
        }
        return;
    }
    double dlo, dhi;
    int_range(t->dtype, &dlo, &dhi);
    chan_map m = chan_of(t);
    for (int64_t i = 0; i < n; i++) {
        int ch = chan(m, i);
        double s = t->q.scale[ch], zp = t->q.zero_point[ch];
        double lo = dlo, hi = dhi;
        if (act) {
            /* The clamp's bounds in the quantized domain, rounded half away
             * from zero as TFLite's CalculateActivationRangeQuantized does. */
            lo = fmax(lo, zp + round(act->lo / s));
            hi = fmin(hi, zp + round(act->hi / s));
        }
        double q = isnan(real[i]) ? zp : rint(real[i] / s) + zp;   /* rint: ties to even */
        dst[i] = clamp(q, lo, hi);
    }
}

void ref_store_plain(ref_ctx *c, int k, const double *v)
{
    const ir_tensor *t = ref_out(c, k);
    double *dst = c->val[c->nd->out[k]];
    int64_t n = ir_numel(t);
    for (int64_t i = 0; i < n; i++)
        dst[i] = round_plain(t->dtype, v[i]);
}

/* QUANTIZE, DEQUANTIZE, REQUANTIZE: the same real value in a new form.
 * CAST: the stored value converted, quantization ignored on both sides. */
bool ref_convert(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    if (!x || !y)
        return ref_fail(c, "needs one input and one output");
    if (ir_numel(x) != ir_numel(y))
        return ref_fail(c, "input '%s' has %lld elements but output '%s' has %lld", x->name,
                        (long long)ir_numel(x), y->name, (long long)ir_numel(y));
    switch (c->nd->op) {
    case IR_OP_QUANTIZE:
        if (ref_dtype_is_int(x->dtype) || !ref_is_quant(y))
            return ref_fail(c, "expects a float input and a quantized integer output (got %s '%s' -> %s '%s'%s)",
                            ir_dtype_name(x->dtype), x->name, ir_dtype_name(y->dtype), y->name,
                            ref_is_quant(y) ? "" : " without quantization");
        break;
    case IR_OP_DEQUANTIZE:
        if (!ref_is_quant(x) || ref_dtype_is_int(y->dtype))
            return ref_fail(c, "expects a quantized integer input and a float output (got %s '%s' -> %s '%s')",
                            ir_dtype_name(x->dtype), x->name, ir_dtype_name(y->dtype), y->name);
        break;
    case IR_OP_REQUANTIZE:
        if (!ref_is_quant(x) || !ref_is_quant(y))
            return ref_fail(c, "expects quantized input and output ('%s' -> '%s')", x->name, y->name);
        break;
    case IR_OP_CAST:
        ref_store_plain(c, 0, ref_stored(c, 0));
        return true;
    default:
        return ref_fail(c, "not a conversion op");
    }
    if (ref_int_mode(c) && c->nd->op == IR_OP_QUANTIZE) {
        /* The float division and rounding of the flavour's QUANTIZE. */
        const double *xv = ref_stored(c, 0);
        double *dst = c->val[c->nd->out[0]];
        chan_map m = chan_of(y);
        for (int64_t i = 0; i < ir_numel(y); i++)
            dst[i] = ref_int_quantize(c, xv[i], chan(m, i));
        return true;
    }
    if (ref_int_mode(c)) {      /* REQUANTIZE: TFLite's fixed point */
        ri_unary f;
        ref_int_unary_prepare(c, &f);
        const double *q = ref_stored(c, 0);
        double *dst = c->val[c->nd->out[0]];
        for (int64_t i = 0; i < ir_numel(y); i++)
            dst[i] = ref_int_unary(c, &f, q[i]);
        return true;
    }
    ref_store(c, 0, ref_real(c, 0));
    return true;
}
