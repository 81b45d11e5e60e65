/*
 * eval_elementwise.c - binary ops with numpy broadcasting, the unary
 * activations, SOFTMAX and BATCHNORM.
 *
 * Float and quantized tensors compute on real values in double.  Binary ops
 * whose inputs and output are plain integers (no quantization) compute in
 * exact 64-bit integer arithmetic: ADD/SUB/MUL wrap like two's complement
 * (ref_store then wraps to the output's width), DIV truncates toward zero.
 *
 * Quantized ops in integer mode (eval_int.h) hand stored integers to
 * eval_int_ops.c instead.
 *
 * Relies on eval.c for values and on eval_quant.c for storing the result
 * (which also applies the fused clamp, so CLIP itself is the identity here).
 */
#include <math.h>

#include "ref/eval_int.h"
#include "ref/eval_ops.h"

/* ---- broadcasting ------------------------------------------------------- */

/* Strides to read `in` at each index of `out` under numpy broadcasting:
 * dims are right-aligned, a dim of 1 repeats (stride 0). */
static bool bcast_strides(ref_ctx *c, const ir_tensor *in, const ir_tensor *out, int64_t *st)
{
    int64_t ist[IR_MAX_DIMS];
    ref_strides(in, ist);
    if (in->rank > out->rank)
        return ref_fail(c, "input '%s' has rank %d, more than output '%s' (%d)", in->name, in->rank,
                        out->name, out->rank);
    for (int d = 0; d < out->rank; d++) {
        int di = d - (out->rank - in->rank);
        int64_t e = di >= 0 ? in->shape[di] : 1;
        if (e != 1 && e != out->shape[d])
            return ref_fail(c, "input '%s' dim %d is %lld, which does not broadcast to output '%s' dim %d = %lld",
                            in->name, di, (long long)e, out->name, d, (long long)out->shape[d]);
        st[d] = e == 1 ? 0 : ist[di];
    }
    return true;
}

static int64_t offset_of(int64_t i, const ir_tensor *out, const int64_t *st)
{
    int64_t off = 0;
    for (int d = out->rank - 1; d >= 0; d--) {
        int64_t e = out->shape[d];
        off += (i % e) * st[d];
        i /= e;
    }
    return off;
}

/* A stored integer as the 64-bit pattern two's complement arithmetic uses. */
static uint64_t as_bits(double v)
{
    return v >= 9223372036854775808.0 ? (uint64_t)v : (uint64_t)(int64_t)v;
}

static bool int_binary(ref_ctx *c, ir_op op, bool is_unsigned64, double da, double db, double *r)
{
    uint64_t a = as_bits(da), b = as_bits(db), v;
    int64_t sa = (int64_t)a, sb = (int64_t)b;
    switch (op) {
    case IR_OP_ADD: v = a + b; break;
    case IR_OP_SUB: v = a - b; break;
    case IR_OP_MUL: v = a * b; break;
    case IR_OP_DIV:
        if (b == 0)
            return ref_fail(c, "integer division by zero");
        if (is_unsigned64)
            v = a / b;
        else if (sa == INT64_MIN && sb == -1)
            v = a;      /* wraps, as two's complement does */
        else
            v = (uint64_t)(sa / sb);   /* C truncates toward zero */
        break;
    case IR_OP_MIN: v = is_unsigned64 ? (a < b ? a : b) : (uint64_t)(sa < sb ? sa : sb); break;
    case IR_OP_MAX: v = is_unsigned64 ? (a > b ? a : b) : (uint64_t)(sa > sb ? sa : sb); break;
    default: return ref_fail(c, "not a binary op");
    }
    *r = is_unsigned64 ? (double)v : (double)(int64_t)v;
    return true;
}

static double real_binary(ir_op op, double a, double b)
{
    switch (op) {
    case IR_OP_ADD: return a + b;
    case IR_OP_SUB: return a - b;
    case IR_OP_MUL: return a * b;
    case IR_OP_DIV: return a / b;
    case IR_OP_MIN: return b < a ? b : a;
    case IR_OP_MAX: return b > a ? b : a;
    default: return NAN;
    }
}

bool ref_binary(ref_ctx *c)
{
    const ir_tensor *at = ref_in(c, 0), *bt = ref_in(c, 1), *yt = ref_out(c, 0);
    if (!at || !bt || !yt)
        return ref_fail(c, "needs inputs A, B and output Y");
    int64_t sa[IR_MAX_DIMS], sb[IR_MAX_DIMS];
    if (!bcast_strides(c, at, yt, sa) || !bcast_strides(c, bt, yt, sb))
        return false;
    for (int d = 0; d < yt->rank; d++) {
        int da = d - (yt->rank - at->rank), db = d - (yt->rank - bt->rank);
        int64_t ea = da >= 0 ? at->shape[da] : 1, eb = db >= 0 ? bt->shape[db] : 1;
        if (yt->shape[d] != (ea == 1 ? eb : ea) || (da < 0 && db < 0))
            return ref_fail(c, "output '%s' dim %d is %lld, not the broadcast of '%s' and '%s'", yt->name,
                            d, (long long)yt->shape[d], at->name, bt->name);
    }
    bool exact = ref_dtype_is_int(yt->dtype) && !ref_is_quant(yt) && ref_dtype_is_int(at->dtype) &&
                 !ref_is_quant(at) && ref_dtype_is_int(bt->dtype) && !ref_is_quant(bt);
    const bool int_mode = ref_int_mode(c);
    ri_binary f;
    if (int_mode)
        ref_int_binary_prepare(c, &f);
    const double *a = int_mode ? ref_stored(c, 0) : ref_real(c, 0);
    const double *b = int_mode ? ref_stored(c, 1) : ref_real(c, 1);
    int64_t n = ir_numel(yt);
    double *y = ref_tmp(c, n);
    for (int64_t i = 0; i < n; i++) {
        double va = a[offset_of(i, yt, sa)], vb = b[offset_of(i, yt, sb)];
        if (int_mode)
            y[i] = ref_int_binary(c, &f, va, vb);
        else if (!exact)
            y[i] = real_binary(c->nd->op, va, vb);
        else if (!int_binary(c, c->nd->op, yt->dtype == IR_DT_U64, va, vb, &y[i]))
            return false;
    }
    if (int_mode)
        ref_store_plain(c, 0, y);
    else
        ref_store(c, 0, y);
    return true;
}

/* ---- unary -------------------------------------------------------------- */

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

bool ref_unary(ref_ctx *c)
{
    const ir_tensor *xt = ref_in(c, 0), *yt = ref_out(c, 0);
    if (!xt || !yt)
        return ref_fail(c, "needs input X and output Y");
    if (ir_numel(xt) != ir_numel(yt))
        return ref_fail(c, "input '%s' has %lld elements but output '%s' has %lld", xt->name,
                        (long long)ir_numel(xt), yt->name, (long long)ir_numel(yt));
    const ir_attr *at = &c->nd->attr;
    int64_t n = ir_numel(yt);
    if (ref_int_mode(c)) {
        ri_unary f;
        ref_int_unary_prepare(c, &f);
        const double *q = ref_stored(c, 0);
        double *y = ref_tmp(c, n);
        for (int64_t i = 0; i < n; i++)
            y[i] = ref_int_unary(c, &f, q[i]);
        ref_store_plain(c, 0, y);
        return true;
    }
    const double *x = ref_real(c, 0);
    double *y = ref_tmp(c, n);
    double alpha = at->alpha, beta = at->beta;
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        switch (c->nd->op) {
        case IR_OP_CLIP: y[i] = v; break;   /* the clamp is attr.act, applied by ref_store */
        case IR_OP_LEAKY_RELU: y[i] = v >= 0 ? v : alpha * v; break;
        case IR_OP_SIGMOID: y[i] = 1.0 / (1.0 + exp(-v)); break;
        case IR_OP_TANH: y[i] = tanh(v); break;
        case IR_OP_HARD_SIGMOID: y[i] = clamp01(alpha * v + beta); break;
        case IR_OP_HARD_SWISH: y[i] = v * clamp01(v / 6.0 + 0.5); break;
        case IR_OP_SQRT: y[i] = sqrt(v); break;   /* NaN below 0, as sqrtf */
        default: return ref_fail(c, "not a unary op");
        }
    }
    ref_store(c, 0, y);
    return true;
}

/* ---- SOFTMAX ------------------------------------------------------------ */

bool ref_softmax(ref_ctx *c)
{
    const ir_tensor *xt = ref_in(c, 0), *yt = ref_out(c, 0);
    if (!xt || !yt)
        return ref_fail(c, "needs input X and output Y");
    const ir_attr *at = &c->nd->attr;
    if (at->axis < 0 || at->axis_end <= at->axis || at->axis_end > xt->rank)
        return ref_fail(c, "axes [%d, %d) are not a non-empty range of input '%s' (rank %d)", at->axis,
                        at->axis_end, xt->name, xt->rank);
    if (ir_numel(xt) != ir_numel(yt))
        return ref_fail(c, "output '%s' does not have the input's %lld elements", yt->name,
                        (long long)ir_numel(xt));
    if (ref_int_mode(c))
        return ref_int_softmax(c);
    int64_t outer = 1, mid = 1, inner = 1;
    for (int d = 0; d < xt->rank; d++)
        *(d < at->axis ? &outer : d < at->axis_end ? &mid : &inner) *= xt->shape[d];
    const double *x = ref_real(c, 0);
    double *y = ref_tmp(c, ir_numel(yt));
    double beta = at->beta;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const double *xs = x + o * mid * inner + i;
            double *ys = y + o * mid * inner + i;
            double mx = -INFINITY, sum = 0;
            for (int64_t m = 0; m < mid; m++)
                if (beta * xs[m * inner] > mx)
                    mx = beta * xs[m * inner];
            for (int64_t m = 0; m < mid; m++)
                sum += exp(beta * xs[m * inner] - mx);
            for (int64_t m = 0; m < mid; m++) {
                double z = beta * xs[m * inner] - mx;
                ys[m * inner] = at->log ? z - log(sum) : exp(z) / sum;
            }
        }
    ref_store(c, 0, y);
    return true;
}

/* ---- BATCHNORM ---------------------------------------------------------- */

bool ref_batchnorm(ref_ctx *c)
{
    const ir_tensor *xt = ref_in(c, 0), *yt = ref_out(c, 0);
    if (!xt || !yt || !ref_in(c, 1) || !ref_in(c, 2) || !ref_in(c, 3) || !ref_in(c, 4))
        return ref_fail(c, "needs inputs X, scale, B, mean, var and output Y");
    if (xt->rank < 2 || ir_numel(xt) != ir_numel(yt))
        return ref_fail(c, "input '%s' needs rank >= 2 and the output's element count", xt->name);
    int cax = c->nd->attr.conv.layout == IR_LAYOUT_NHWC ? xt->rank - 1 : 1;
    int64_t C = xt->shape[cax], st[IR_MAX_DIMS];
    for (int k = 1; k <= 4; k++)
        if (ir_numel(ref_in(c, k)) != C)
            return ref_fail(c, "input %d ('%s') has %lld elements, expected one per channel (%lld)", k,
                            ref_in(c, k)->name, (long long)ir_numel(ref_in(c, k)), (long long)C);
    ref_strides(xt, st);
    const double *x = ref_real(c, 0), *scale = ref_real(c, 1), *bias = ref_real(c, 2);
    const double *mean = ref_real(c, 3), *var = ref_real(c, 4);
    double eps = c->nd->attr.epsilon;
    int64_t n = ir_numel(xt);
    double *y = ref_tmp(c, n);
    for (int64_t i = 0; i < n; i++) {
        int64_t ch = (i / st[cax]) % C;
        y[i] = scale[ch] * (x[i] - mean[ch]) / sqrt(var[ch] + eps) + bias[ch];
    }
    ref_store(c, 0, y);
    return true;
}
