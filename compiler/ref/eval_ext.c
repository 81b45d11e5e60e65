/*
 * eval_ext.c - the reference for the extended operator set (ir_ops.def,
 * "issue 11" block): float math functions, Pow, comparisons, logic, Where,
 * the Reduce family, ArgMax/ArgMin and Gather.
 *
 * Written plainly in double, index by index, sharing nothing with
 * runtime/kernels/..._ext.c: every output element finds its input elements by
 * dividing its flat index into coordinates.  Math functions use the double
 * <math.h> versions; the result is rounded to the output's dtype by
 * ref_store.  Bool and integer outputs (comparisons, logic, arg, gather,
 * where) are stored values (ref_store_plain).  The int8 forms TFLite-Micro
 * computes in integers are computed in its integers here too (ABS, CUMSUM, PRELU,
 * comparisons of quantized int8: eval_int.h's fixed point).
 */
#include <math.h>

#include "ref/eval_ext.h"
#include "ref/eval_int.h"
#include "ref/eval_ops.h"

/* Offset into `in` of output element i under numpy broadcasting. */
static int64_t bcast_offset(int64_t i, const ir_tensor *in, const ir_tensor *out)
{
    int64_t off = 0, stride = 1;
    for (int d = out->rank - 1; d >= 0; d--) {
        const int64_t co = out->shape[d] ? i % out->shape[d] : 0;
        i = out->shape[d] ? i / out->shape[d] : 0;
        const int di = d - (out->rank - in->rank);
        if (di < 0)
            continue;
        if (in->shape[di] != 1)
            off += co * stride;
        stride *= in->shape[di];
    }
    return off;
}

static bool broadcasts(ref_ctx *c, const ir_tensor *in, const ir_tensor *out)
{
    if (in->rank > out->rank)
        return ref_fail(c, "input '%s' has a higher rank than output '%s'", in->name, out->name);
    for (int d = 0; d < in->rank; d++) {
        const int64_t e = in->shape[d], o = out->shape[d + out->rank - in->rank];
        if (e != 1 && e != o)
            return ref_fail(c, "input '%s' dim %d (%lld) does not broadcast to output '%s'", in->name, d,
                            (long long)e, out->name);
    }
    return true;
}

static double softplus(double v)
{
    return v > 30 ? v : log1p(exp(v));
}

static double unary_fn(ir_op op, double v, double a, double b)
{
    switch (op) {
    case IR_OP_ABS: return fabs(v);
    case IR_OP_NEG: return -v;
    case IR_OP_EXP: return exp(v);
    case IR_OP_LOG: return log(v);
    case IR_OP_RECIPROCAL: return 1.0 / v;
    case IR_OP_SIGN: return v > 0 ? 1.0 : v < 0 ? -1.0 : v;
    case IR_OP_CEIL: return ceil(v);
    case IR_OP_FLOOR: return floor(v);
    case IR_OP_ROUND: return nearbyint(v);
    case IR_OP_ERF: return erf(v);
    case IR_OP_SIN: return sin(v);
    case IR_OP_COS: return cos(v);
    case IR_OP_SOFTPLUS: return softplus(v);
    case IR_OP_SOFTSIGN: return v / (1.0 + fabs(v));
    case IR_OP_ELU: return v < 0 ? a * (exp(v) - 1.0) : v;
    case IR_OP_CELU: return fmax(0.0, v) + fmin(0.0, a * (exp(v / a) - 1.0));
    case IR_OP_SELU: return b * (v <= 0 ? a * (exp(v) - 1.0) : v);
    case IR_OP_MISH: return v * tanh(softplus(v));
    case IR_OP_GELU: return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    case IR_OP_GELU_TANH:
        return 0.5 * v * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
    case IR_OP_THRESHOLDED_RELU: return v > a ? v : 0.0;
    case IR_OP_RSQRT: return 1.0 / sqrt(v);
    case IR_OP_SQUARE: return v * v;
    default: return NAN;
    }
}

/* TFLM AbsEvalQuantized: |x - zp_x|, rescaled by the float ratio of the
 * scales when they differ, plus zp_y, clamped to int8. */
static bool ref_abs_s8(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    const double *xv = ref_stored(c, 0);
    const float sx = x->q.scale[0], sy = y->q.scale[0];
    const ri_mult m = ri_quantize_multiplier((double)(sx / sy));
    double *out = ref_tmp(c, ir_numel(y));
    for (int64_t i = 0; i < ir_numel(y); i++) {
        const int32_t v = (int32_t)fabs(xv[i] - x->q.zero_point[0]);
        out[i] = ri_clamp((int64_t)(sx != sy ? ri_mbqm(v, m) : v) + y->q.zero_point[0], -128, 127);
    }
    ref_store_plain(c, 0, out);
    return true;
}

static bool ref_unary_ext(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    if (!x || !y || ir_numel(x) != ir_numel(y))
        return ref_fail(c, "needs X and Y of the same size");
    if (c->nd->op == IR_OP_ABS && ref_int_mode(c))
        return ref_abs_s8(c);
    const double *xv = ref_real(c, 0);
    double *out = ref_tmp(c, ir_numel(y));
    const double a = c->nd->attr.alpha, b = c->nd->attr.beta;
    for (int64_t i = 0; i < ir_numel(y); i++)
        out[i] = unary_fn(c->nd->op, xv[i], a, b);
    ref_store(c, 0, out);
    return true;
}

static double binary_fn(ir_op op, double u, double v)
{
    switch (op) {
    case IR_OP_POW: return pow(u, v);
    case IR_OP_EQUAL: return u == v;
    case IR_OP_GREATER: return u > v;
    case IR_OP_GREATER_EQUAL: return u >= v;
    case IR_OP_LESS: return u < v;
    case IR_OP_LESS_EQUAL: return u <= v;
    case IR_OP_AND: return (u != 0) && (v != 0);
    case IR_OP_OR: return (u != 0) || (v != 0);
    case IR_OP_XOR: return (u != 0) != (v != 0);
    default: return NAN;
    }
}

static bool q_s8(const ir_tensor *t)
{
    return t->dtype == IR_DT_S8 && t->q.n == 1;
}

/* The input step of TFLM's int8 ComparisonWithScaling and
 * SquaredDifference: (q - zp) * 2^left_shift, then
 * MultiplyByQuantizedMultiplierSmallerThanOneExp by real multiplier `real`
 * (the comparison: the tensor's scale; SquaredDifference: s / 2 max). */
static double *scaled_values(ref_ctx *c, int k, double real, int left_shift)
{
    const ir_tensor *t = ref_in(c, k);
    const double *sv = ref_stored(c, k);
    const ri_mult m = ri_quantize_multiplier(real);
    double *v = ref_tmp(c, ir_numel(t));
    for (int64_t i = 0; i < ir_numel(t); i++) {
        const int32_t d = (int32_t)sv[i] - t->q.zero_point[0];
        v[i] = ri_rdbpot(ri_srdhm(d * (1 << left_shift), m.q), m.shift < 0 ? -m.shift : 0);
    }
    return v;
}

/* SQUARED_DIFFERENCE: TFLM's int8 integers (ir_ops.def), else (a - b)^2 in
 * double. */
static bool ref_squared_difference(ref_ctx *c)
{
    const ir_tensor *a = ref_in(c, 0), *b = ref_in(c, 1), *y = ref_out(c, 0);
    if (!a || !b || !y)
        return ref_fail(c, "needs inputs A, B and output Y");
    if (!broadcasts(c, a, y) || !broadcasts(c, b, y))
        return false;
    double *out = ref_tmp(c, ir_numel(y));
    if (!ref_int_mode(c)) {
        const double *av = ref_real(c, 0), *bv = ref_real(c, 1);
        for (int64_t i = 0; i < ir_numel(y); i++) {
            const double d = av[bcast_offset(i, a, y)] - bv[bcast_offset(i, b, y)];
            out[i] = d * d;
        }
        ref_store(c, 0, out);
        return true;
    }
    const double tm = 2.0 * (double)(a->q.scale[0] > b->q.scale[0] ? a->q.scale[0] : b->q.scale[0]);
    const double *av = scaled_values(c, 0, (double)a->q.scale[0] / tm, 7);
    const double *bv = scaled_values(c, 1, (double)b->q.scale[0] / tm, 7);
    const ri_mult om = ri_quantize_multiplier(tm * tm / (double)(16384.0f * y->q.scale[0]));
    for (int64_t i = 0; i < ir_numel(y); i++) {
        const int32_t d = (int32_t)(av[bcast_offset(i, a, y)] - bv[bcast_offset(i, b, y)]);
        out[i] = ri_clamp((int64_t)ri_mbqm(d * d, om) + y->q.zero_point[0], -128, 127);
    }
    ref_store_plain(c, 0, out);
    return true;
}

/* PRELU (ir_ops.def): TFLM's quantized Prelu on stored int8, else in double. */
static bool ref_prelu(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *a = ref_in(c, 1), *y = ref_out(c, 0);
    if (!x || !a || !y || ir_numel(x) != ir_numel(y))
        return ref_fail(c, "needs inputs X, alpha and output Y of X's size");
    if (!broadcasts(c, a, y))
        return false;
    const bool s8 = ref_int_mode(c);
    const double *xv = s8 ? ref_stored(c, 0) : ref_real(c, 0), *av = s8 ? ref_stored(c, 1) : ref_real(c, 1);
    double *out = ref_tmp(c, ir_numel(y));
    const double sx = x->q.n ? x->q.scale[0] : 1, sa = a->q.n ? a->q.scale[0] : 1, sy = y->q.n ? y->q.scale[0] : 1;
    const ri_mult m1 = ri_quantize_multiplier(sx / sy), m2 = ri_quantize_multiplier(sx * sa / sy);
    for (int64_t i = 0; i < ir_numel(y); i++) {
        const double u = xv[i], al = av[bcast_offset(i, a, y)];
        if (!s8) {
            out[i] = u < 0 ? al * u : u;
            continue;
        }
        const int32_t v = (int32_t)u - x->q.zero_point[0];
        const int32_t r = v >= 0 ? ri_mbqm(v, m1) : ri_mbqm(v * ((int32_t)al - a->q.zero_point[0]), m2);
        out[i] = ri_clamp((int64_t)r + y->q.zero_point[0], -128, 127);
    }
    if (s8)
        ref_store_plain(c, 0, out);
    else
        ref_store(c, 0, out);
    return true;
}

/* Integer Pow (ir_ops.def POW), from its definition: an integer exponent
 * multiplies out a^e modulo 2^64 (left-to-right binary powering), then keeps
 * the output's low `bits` as a signed value; a float exponent truncates the
 * real power and saturates. */
static double pow_int(double a, double e, bool int_exp, int bits)
{
    const double lim = ldexp(1.0, bits - 1);
    if (!int_exp) {
        const double v = trunc(pow(a, e));
        return isnan(v) ? 0 : v >= lim ? lim - 1 : v < -lim ? -lim : v;
    }
    if (e < 0)
        return a == 1 ? 1 : a == -1 ? (fmod(e, 2) != 0 ? -1 : 1) : 0;
    const uint64_t base = (uint64_t)(int64_t)a, ex = (uint64_t)e;
    uint64_t r = 1;
    for (int bit = 63; bit >= 0; bit--) {
        r *= r;
        if ((ex >> bit) & 1)
            r *= base;
    }
    if (bits < 64)
        r &= ((uint64_t)1 << bits) - 1;
    const double u = (double)r;
    return ((r >> (bits - 1)) & 1) ? u - 2 * lim : u;
}

static bool ref_binary_ext(ref_ctx *c)
{
    const ir_tensor *a = ref_in(c, 0), *b = ref_in(c, 1), *y = ref_out(c, 0);
    if (!a || !b || !y)
        return ref_fail(c, "needs inputs A, B and output Y");
    if (!broadcasts(c, a, y) || !broadcasts(c, b, y))
        return false;
    const bool scaled = c->nd->op >= IR_OP_EQUAL && c->nd->op <= IR_OP_LESS_EQUAL && q_s8(a) && q_s8(b);
    const double *av = scaled ? scaled_values(c, 0, (double)a->q.scale[0], 8) : ref_real(c, 0);
    const double *bv = scaled ? scaled_values(c, 1, (double)b->q.scale[0], 8) : ref_real(c, 1);
    double *out = ref_tmp(c, ir_numel(y));
    const bool int_pow = c->nd->op == IR_OP_POW && (y->dtype == IR_DT_S32 || y->dtype == IR_DT_S64);
    const bool int_exp = b->dtype != IR_DT_F32 && b->dtype != IR_DT_F64;
    for (int64_t i = 0; i < ir_numel(y); i++) {
        const double u = av[bcast_offset(i, a, y)], v = bv[bcast_offset(i, b, y)];
        out[i] = int_pow ? pow_int(u, v, int_exp, (int)ir_dtype_size(y->dtype) * 8) : binary_fn(c->nd->op, u, v);
    }
    if (c->nd->op == IR_OP_POW && !int_pow)
        ref_store(c, 0, out);
    else
        ref_store_plain(c, 0, out);
    return true;
}

static bool ref_not(ref_ctx *c)
{
    const ir_tensor *y = ref_out(c, 0);
    const double *xv = ref_stored(c, 0);
    double *out = ref_tmp(c, ir_numel(y));
    for (int64_t i = 0; i < ir_numel(y); i++)
        out[i] = xv[i] == 0;
    ref_store_plain(c, 0, out);
    return true;
}

static bool ref_where(ref_ctx *c)
{
    const ir_tensor *ct = ref_in(c, 0), *a = ref_in(c, 1), *b = ref_in(c, 2), *y = ref_out(c, 0);
    if (!ct || !a || !b || !y)
        return ref_fail(c, "needs inputs C, A, B and output Y");
    if (!broadcasts(c, ct, y) || !broadcasts(c, a, y) || !broadcasts(c, b, y))
        return false;
    const double *cv = ref_stored(c, 0), *av = ref_stored(c, 1), *bv = ref_stored(c, 2);
    double *out = ref_tmp(c, ir_numel(y));
    for (int64_t i = 0; i < ir_numel(y); i++)
        out[i] = cv[bcast_offset(i, ct, y)] != 0 ? av[bcast_offset(i, a, y)] : bv[bcast_offset(i, b, y)];
    ref_store_plain(c, 0, out);
    return true;
}

/* Flat index of x element i among the kept axes (row-major over them). */
static int64_t kept_index(int64_t i, const ir_tensor *x, uint32_t mask)
{
    int64_t co[IR_MAX_DIMS], o = 0;
    for (int d = x->rank - 1; d >= 0; d--) {
        co[d] = x->shape[d] ? i % x->shape[d] : 0;
        i = x->shape[d] ? i / x->shape[d] : 0;
    }
    for (int d = 0; d < x->rank; d++)
        if (!(mask >> d & 1))
            o = o * x->shape[d] + co[d];
    return o;
}

static bool ref_reduce_ext(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    if (!x || !y)
        return ref_fail(c, "needs X and Y");
    const uint32_t mask = c->nd->attr.axes_mask;
    int64_t kept = 1;
    for (int d = 0; d < x->rank; d++)
        if (!(mask >> d & 1))
            kept *= x->shape[d];
    if (kept != ir_numel(y))
        return ref_fail(c, "output '%s' has %lld elements, the kept axes %lld", y->name,
                        (long long)ir_numel(y), (long long)kept);
    const ir_op op = c->nd->op;
    const double init = op == IR_OP_REDUCE_MAX ? -INFINITY : op == IR_OP_REDUCE_MIN ? INFINITY
                      : op == IR_OP_REDUCE_PROD ? 1.0 : 0.0;
    const double *xv = ref_real(c, 0);
    double *out = ref_tmp(c, kept > 0 ? kept : 1);
    for (int64_t i = 0; i < kept; i++)
        out[i] = init;
    for (int64_t i = 0; i < ir_numel(x); i++) {
        double *o = &out[kept_index(i, x, mask)];
        const double v = xv[i];
        switch (op) {
        case IR_OP_REDUCE_MAX: *o = (v > *o || isnan(v)) ? v : *o; break;
        case IR_OP_REDUCE_MIN: *o = (v < *o || isnan(v)) ? v : *o; break;
        case IR_OP_REDUCE_PROD: *o *= v; break;
        case IR_OP_REDUCE_L1: *o += fabs(v); break;
        case IR_OP_REDUCE_L2: case IR_OP_REDUCE_SUM_SQUARE: *o += v * v; break;
        case IR_OP_REDUCE_LOG_SUM_EXP: *o += exp(v); break;
        default: *o += v; break;
        }
    }
    for (int64_t i = 0; i < kept; i++) {
        if (op == IR_OP_REDUCE_L2)
            out[i] = sqrt(out[i]);
        else if (op == IR_OP_REDUCE_LOG_SUM_EXP)
            out[i] = log(out[i]);
    }
    ref_store(c, 0, out);
    return true;
}

/* X as [outer][n][inner] around attr.axis. */
static void split_axis(const ir_tensor *x, int axis, int64_t *outer, int64_t *n, int64_t *inner)
{
    *outer = *inner = 1;
    *n = x->shape[axis];
    for (int d = 0; d < axis; d++)
        *outer *= x->shape[d];
    for (int d = axis + 1; d < x->rank; d++)
        *inner *= x->shape[d];
}

static bool ref_arg(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    const int axis = c->nd->attr.axis;
    if (!x || !y || axis < 0 || axis >= x->rank)
        return ref_fail(c, "needs X, Y and an axis of X");
    int64_t outer, n, inner;
    split_axis(x, axis, &outer, &n, &inner);
    if (ir_numel(y) != outer * inner || n < 1)
        return ref_fail(c, "output '%s' does not have X's shape without the axis", y->name);
    const bool mn = c->nd->op == IR_OP_ARGMIN, last = c->nd->attr.select_last;
    const double *xv = ref_real(c, 0);
    double *out = ref_tmp(c, outer * inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t best = -1;
            double bv = 0;
            for (int64_t k = 0; k < n; k++) {
                const double v = xv[(o * n + k) * inner + in];
                if (isnan(v))
                    continue;
                if (best < 0 || (mn ? v < bv : v > bv) || (last && v == bv)) {
                    best = k;
                    bv = v;
                }
            }
            out[o * inner + in] = best < 0 ? 0 : (double)best;
        }
    ref_store_plain(c, 0, out);
    return true;
}

static bool ref_gather(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *it = ref_in(c, 1), *y = ref_out(c, 0);
    const int axis = c->nd->attr.axis;
    if (!x || !it || !y || axis < 0 || axis >= x->rank)
        return ref_fail(c, "needs X, indices, Y and an axis of X");
    int64_t outer, n, inner;
    split_axis(x, axis, &outer, &n, &inner);
    const int64_t ni = ir_numel(it);
    if (ir_numel(y) != outer * ni * inner)
        return ref_fail(c, "output '%s' has %lld elements, expected %lld", y->name, (long long)ir_numel(y),
                        (long long)(outer * ni * inner));
    const double *xv = ref_stored(c, 0), *iv = ref_stored(c, 1);
    double *out = ref_tmp(c, ir_numel(y) > 0 ? ir_numel(y) : 1);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ni; j++) {
            int64_t k = (int64_t)iv[j];
            if (k < 0)
                k += n;
            if (k < 0 || k >= n)
                return ref_fail(c, "index %lld is outside [-%lld, %lld)", (long long)iv[j], (long long)n,
                                (long long)n);
            for (int64_t in = 0; in < inner; in++)
                out[(o * ni + j) * inner + in] = xv[(o * n + k) * inner + in];
        }
    ref_store_plain(c, 0, out);
    return true;
}

/* (value, index) order of TopK: a comes first when better, ties by index. */
static bool topk_before(double va, int64_t ia, double vb, int64_t ib, bool smallest)
{
    if (va != vb)
        return smallest ? va < vb : va > vb;
    return ia < ib;
}

static bool ref_topk(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *v = ref_out(c, 0), *ix = ref_out(c, 1);
    const int axis = c->nd->attr.axis;
    if (!x || !v || axis < 0 || axis >= x->rank || v->rank != x->rank)
        return ref_fail(c, "needs X, V and an axis");
    int64_t outer, n, inner;
    split_axis(x, axis, &outer, &n, &inner);
    const int64_t k = v->shape[axis];
    if (k > n)
        return ref_fail(c, "k = %lld is more than the axis' %lld elements", (long long)k, (long long)n);
    const bool sm = c->nd->attr.smallest;
    const double *xv = ref_stored(c, 0);
    double *ov = ref_tmp(c, outer * k * inner + 1), *oi = ref_tmp(c, outer * k * inner + 1);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++)
            for (int64_t j = 0; j < k; j++) {
                /* the j-th element: the one with exactly j elements before it */
                for (int64_t a = 0; a < n; a++) {
                    const double va = xv[(o * n + a) * inner + in];
                    int64_t before = 0;
                    for (int64_t b = 0; b < n; b++)
                        if (b != a && topk_before(xv[(o * n + b) * inner + in], b, va, a, sm))
                            before++;
                    if (before == j) {
                        ov[(o * k + j) * inner + in] = va;
                        oi[(o * k + j) * inner + in] = (double)a;
                        break;
                    }
                }
            }
    ref_store_plain(c, 0, ov);
    if (ix)
        ref_store_plain(c, 1, oi);
    return true;
}

/* TFLM's quantized CumSum step for one stored int8 value q: (q - zp) << 20,
 * then MultiplyByQuantizedMultiplierSmallerThanOneExp by m. */
static int64_t cumsum_scaled(double q, int32_t zp, ri_mult m)
{
    return ri_rdbpot(ri_srdhm(((int32_t)q - zp) * (1 << 20), m.q), m.shift < 0 ? -m.shift : 0);
}

/* int8 CUMSUM (ir_ops.def): each sum of scaled values (plus TFLM's start
 * value, the scaling of -zp_x) wrapped to int32, then requantized by
 * 2 s_x / (2^20 s_y). */
static void cumsum_s8_finish(ref_ctx *c, double *sums)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    const ri_mult mo = ri_quantize_multiplier(2.0 * (double)x->q.scale[0] / ((double)(1 << 20) * (double)y->q.scale[0]));
    const ri_mult mi = ri_quantize_multiplier(0.5);
    const int64_t start = cumsum_scaled(0, x->q.zero_point[0], mi);
    for (int64_t i = 0; i < ir_numel(y); i++) {
        const int32_t acc = ri_wrap32((int64_t)sums[i] + start);
        const int32_t r = ri_rdbpot(ri_srdhm(acc, mo.q), mo.shift < 0 ? -mo.shift : 0);
        sums[i] = ri_clamp((int64_t)r + y->q.zero_point[0], -128, 127);
    }
}

static bool ref_cumsum(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *y = ref_out(c, 0);
    const int axis = c->nd->attr.axis;
    if (!x || !y || axis < 0 || axis >= x->rank || ir_numel(x) != ir_numel(y))
        return ref_fail(c, "needs X, Y of one shape and an axis");
    int64_t outer, n, inner;
    split_axis(x, axis, &outer, &n, &inner);
    const bool s8 = ref_int_mode(c);
    const ri_mult half = ri_quantize_multiplier(0.5);
    const double *xv = ref_stored(c, 0);
    double *out = ref_tmp(c, ir_numel(y) + 1);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++)
            for (int64_t j = 0; j < n; j++) {
                double sum = 0;
                for (int64_t m = 0; m < n; m++) {
                    const bool take = c->nd->attr.reverse ? (c->nd->attr.exclusive ? m > j : m >= j)
                                                          : (c->nd->attr.exclusive ? m < j : m <= j);
                    if (take)
                        sum += s8 ? (double)cumsum_scaled(xv[(o * n + m) * inner + in], x->q.zero_point[0], half)
                                  : xv[(o * n + m) * inner + in];
                }
                out[(o * n + j) * inner + in] = sum;
            }
    if (s8)
        cumsum_s8_finish(c, out);
    ref_store_plain(c, 0, out);
    return true;
}

static bool ref_gather_elements(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *it = ref_in(c, 1), *y = ref_out(c, 0);
    const int axis = c->nd->attr.axis;
    if (!x || !it || !y || axis < 0 || axis >= x->rank || it->rank != x->rank || ir_numel(y) != ir_numel(it))
        return ref_fail(c, "needs X, indices of X's rank, Y of the indices' shape and an axis");
    int64_t xs[IR_MAX_DIMS];
    ref_strides(x, xs);
    const double *xv = ref_stored(c, 0), *iv = ref_stored(c, 1);
    double *out = ref_tmp(c, ir_numel(y) + 1);
    for (int64_t i = 0; i < ir_numel(y); i++) {
        int64_t rem = i, off = 0;
        for (int d = it->rank - 1; d >= 0; d--) {
            const int64_t co = rem % it->shape[d];
            rem /= it->shape[d];
            if (d == axis) {
                int64_t k = (int64_t)iv[i];
                if (k < 0)
                    k += x->shape[axis];
                if (k < 0 || k >= x->shape[axis])
                    return ref_fail(c, "index %lld is out of range", (long long)iv[i]);
                off += k * xs[d];
            } else {
                off += co * xs[d];
            }
        }
        out[i] = xv[off];
    }
    ref_store_plain(c, 0, out);
    return true;
}

/* GatherND (ir_ops.def); an index out of range is an error here, as in
 * TFLite-Micro (the kernel clamps it, so it is never a reference). */
static bool ref_gather_nd(ref_ctx *c)
{
    const ir_tensor *x = ref_in(c, 0), *it = ref_in(c, 1), *y = ref_out(c, 0);
    const int k = it && it->rank >= 1 ? (int)it->shape[it->rank - 1] : 0;
    if (!x || !it || !y || k < 1 || k > x->rank)
        return ref_fail(c, "needs X, indices [..., k] with 1 <= k <= X's rank, and Y");
    int64_t slice = 1;
    for (int d = k; d < x->rank; d++)
        slice *= x->shape[d];
    const int64_t n = ir_numel(it) / k;
    if (ir_numel(y) != n * slice)
        return ref_fail(c, "output '%s' does not hold the %lld gathered slices", y->name, (long long)n);
    const double *xv = ref_stored(c, 0), *iv = ref_stored(c, 1);
    double *out = ref_tmp(c, ir_numel(y) + 1);
    for (int64_t j = 0; j < n; j++) {
        int64_t row = 0;
        for (int d = 0; d < k; d++) {
            const double v = iv[j * k + d];
            if (v < 0 || v >= (double)x->shape[d])
                return ref_fail(c, "index %g of tuple %lld is outside [0, %lld) (TFLite-Micro fails the same way)",
                                v, (long long)j, (long long)x->shape[d]);
            row = row * x->shape[d] + (int64_t)v;
        }
        for (int64_t e = 0; e < slice; e++)
            out[j * slice + e] = xv[row * slice + e];
    }
    ref_store_plain(c, 0, out);
    return true;
}

bool ref_ext_claims(ir_op op)
{
    return op >= IR_OP_ABS && op <= IR_OP_SQUARED_DIFFERENCE;
}

bool ref_ext(ref_ctx *c)
{
    const ir_op op = c->nd->op;
    if (op == IR_OP_SQUARED_DIFFERENCE)
        return ref_squared_difference(c);
    if (op >= IR_OP_ABS && op <= IR_OP_SQUARE)
        return ref_unary_ext(c);
    if (op >= IR_OP_POW && op <= IR_OP_XOR)
        return ref_binary_ext(c);
    if (op == IR_OP_NOT)
        return ref_not(c);
    if (op == IR_OP_WHERE)
        return ref_where(c);
    if (op >= IR_OP_REDUCE_SUM && op <= IR_OP_REDUCE_LOG_SUM_EXP)
        return ref_reduce_ext(c);
    if (op == IR_OP_ARGMAX || op == IR_OP_ARGMIN)
        return ref_arg(c);
    if (op == IR_OP_GATHER)
        return ref_gather(c);
    if (op == IR_OP_TOPK)
        return ref_topk(c);
    if (op == IR_OP_CUMSUM)
        return ref_cumsum(c);
    if (op == IR_OP_GATHER_ELEMENTS)
        return ref_gather_elements(c);
    if (op == IR_OP_PRELU)
        return ref_prelu(c);
    if (op == IR_OP_GATHER_ND)
        return ref_gather_nd(c);
    return ref_fail(c, "op %d is not in the extended set", (int)op);
}
