/*
 * eval_int_math.c - TFLite's and gemmlowp's integer arithmetic, written for
 * the reference evaluator (eval_int.h says why it exists).
 *
 * Prepare-time functions use double and float exactly where TFLite does
 * (frexp, std::round, a float division for activation ranges).  Run-time
 * functions work on int64 intermediates and narrow to int32 with an explicit
 * two's-complement wrap, so nothing here relies on signed overflow or on how
 * a compiler shifts negative numbers: divisions by powers of two are exact
 * floor divisions.  Each function names the original it reproduces.
 *
 * Never includes a runtime header and shares nothing with quant_util.c.
 */
#include <math.h>

#include "ref/eval_int.h"

/* ---- prepare ---------------------------------------------------------- */

ri_mult ri_quantize_multiplier(double m)
{
    ri_mult r = {0, 0};
    if (m == 0.0 || !isfinite(m))
        return r;
    int e;
    double f = frexp(m, &e);                    /* m = f * 2^e, |f| in [0.5, 1) */
    long long q = llround(f * 2147483648.0);    /* std::round: ties away from zero */
    if (q == 2147483648LL) {
        q /= 2;
        e++;
    }
    if (e < -31) {
        q = 0;
        e = 0;
    }
    r.q = (int32_t)q;
    r.shift = e;
    return r;
}

ri_mult ri_frexp_multiplier(double m)
{
    int e;
    double f = frexp(m, &e);
    ri_mult r = {ri_wrap32(llround(f * 2147483648.0)), e};
    return r;
}

int32_t ri_input_radius(int integer_bits, int left_shift)
{
    double v = (double)((1 << integer_bits) - 1) * ldexp(1.0, 31 - integer_bits) / ldexp(1.0, left_shift);
    return (int32_t)floor(v);
}

bool ri_type_range(ir_dtype dt, int32_t *lo, int32_t *hi)
{
    switch (dt) {
    case IR_DT_S8: *lo = -128; *hi = 127; return true;
    case IR_DT_U8: *lo = 0; *hi = 255; return true;
    case IR_DT_S16: *lo = -32768; *hi = 32767; return true;
    case IR_DT_U16: *lo = 0; *hi = 65535; return true;
    case IR_DT_S32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    default: return false;
    }
}

/* zp + (int)roundf(f / scale), the division in float; a quotient beyond the
 * int32 range stays beyond it (it can only widen the clamp to the type). */
static double act_bound(float f, float scale, int32_t zp)
{
    float t = roundf(f / scale);
    return (double)zp + (double)t;
}

void ri_act_range(const ir_act *act, float scale, int32_t zp, int32_t *lo, int32_t *hi)
{
    if (!act || !act->on)
        return;
    if (isfinite(act->lo)) {
        double v = act_bound(act->lo, scale, zp);
        if (v > *lo)
            *lo = v > *hi ? *hi : (int32_t)v;
    }
    if (isfinite(act->hi)) {
        double v = act_bound(act->hi, scale, zp);
        if (v < *hi)
            *hi = v < *lo ? *lo : (int32_t)v;
    }
}

/* ---- run time --------------------------------------------------------- */

int32_t ri_wrap32(int64_t v)
{
    uint32_t u = (uint32_t)(uint64_t)v;
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : (int32_t)((int64_t)u - 4294967296LL);
}

int32_t ri_clamp(int64_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

/* floor(x / 2^e) for 0 <= e <= 62, without shifting a negative number. */
static int64_t floor_pot(int64_t x, int e)
{
    int64_t d = (int64_t)1 << e;
    int64_t r = x % d;
    if (r < 0)
        r += d;
    return (x - r) / d;
}

/* gemmlowp SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31 with C's
 * truncating division, nudge +2^30 or 1-2^30 by the product's sign. */
int32_t ri_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1LL << 30) : 1 - (1LL << 30);
    return (int32_t)((ab + nudge) / (1LL << 31));
}

/* gemmlowp RoundingDivideByPOT: the quotient rounded to nearest, ties away
 * from zero. */
int32_t ri_rdbpot(int32_t x, int exponent)
{
    int64_t mask = ((int64_t)1 << exponent) - 1;
    int64_t rem = (int64_t)x - floor_pot(x, exponent) * ((int64_t)1 << exponent);  /* in [0, mask] */
    int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int32_t)(floor_pot(x, exponent) + (rem > threshold ? 1 : 0));
}

int32_t ri_mbqm(int32_t x, ri_mult m)
{
    int left = m.shift > 0 ? m.shift : 0, right = m.shift > 0 ? 0 : -m.shift;
    int32_t shifted = ri_wrap32((int64_t)((uint64_t)(int64_t)x << left));
    return ri_rdbpot(ri_srdhm(shifted, m.q), right);
}

/* TFLite's MultiplyByQuantizedMultiplier(int64_t x, ...). */
int32_t ri_mbqm64(int64_t x, ri_mult m)
{
    int64_t reduced = m.q < 0x7FFF0000 ? ((int64_t)m.q + (1 << 15)) / 65536 : 0x7FFF;
    int total_shift = 15 - m.shift;
    uint64_t t = (uint64_t)x * (uint64_t)reduced + ((uint64_t)1 << (total_shift - 1));
    int64_t ts = t <= (uint64_t)INT64_MAX ? (int64_t)t : -(int64_t)(~t) - 1;
    return ri_wrap32(floor_pot(ts, total_shift));
}

/* ---- gemmlowp fixed point (raw int32 values) -------------------------- */

/* SaturatingRoundingMultiplyByPOT. */
static int32_t sat_mul_pot(int32_t x, int exponent)
{
    if (exponent == 0)
        return x;
    if (exponent < 0)
        return ri_rdbpot(x, -exponent);
    int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
    if (x > threshold)
        return INT32_MAX;
    if (x < -threshold)
        return INT32_MIN;
    return (int32_t)((int64_t)x * ((int64_t)1 << exponent));
}

int32_t ri_rescale(int32_t x, int from_ibits, int to_ibits)
{
    return sat_mul_pot(x, from_ibits - to_ibits);
}

static int32_t add32(int32_t a, int32_t b)
{
    return ri_wrap32((int64_t)a + b);
}

static int32_t sub32(int32_t a, int32_t b)
{
    return ri_wrap32((int64_t)a - b);
}

/* exp(x) for x in [-1/4, 0), Q0.31 in and out: Taylor around -1/8. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    int32_t x = add32(a, 1 << 28);
    int32_t x2 = ri_srdhm(x, x), x3 = ri_srdhm(x2, x), x4 = ri_srdhm(x2, x2);
    int32_t x4_over_4 = sat_mul_pot(x4, -2);
    int32_t poly = sat_mul_pot(add32(ri_srdhm(add32(x4_over_4, x3), one_third), x2), -1);
    return add32(exp_minus_one_eighth, ri_srdhm(exp_minus_one_eighth, add32(x, poly)));
}

int32_t ri_exp_on_negative_values(int32_t a, int ibits)
{
    const int fbits = 31 - ibits;
    const int32_t quarter = (int32_t)1 << (fbits - 2);
    int32_t low = (int32_t)((uint32_t)a & (uint32_t)(quarter - 1));
    int32_t rest_minus_quarter = low - quarter;
    int32_t result = exp_quarter(ri_rescale(rest_minus_quarter, ibits, 0));
    int32_t remainder = ri_wrap32((int64_t)rest_minus_quarter - a);
    /* exp(-2^k) for k = -2 .. 4, Q0.31: multiplied in for each set bit. */
    static const int32_t factor[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535, 720401, 242};
    for (int k = -2; k <= 4; k++)
        if (ibits > k && ((uint32_t)remainder & ((uint32_t)1 << (fbits + k))))
            result = ri_srdhm(result, factor[k + 2]);
    if (ibits > 5 && (int64_t)a < -((int64_t)1 << (fbits + 5)))
        result = 0;
    if (a == 0)
        result = INT32_MAX;
    return result;
}

/* gemmlowp's Newton-Raphson division shared by one_over_one_plus_x and
 * one_minus_x_over_one_plus_x: d = (1 + a)/2 (RoundingHalfSum, Q0.31), then
 * three steps x += x(1 - d x) from 48/17 - 32/17 d; x ~ 1/d in Q2.29. */
static int32_t newton_reciprocal(int32_t a)
{
    int64_t sum = (int64_t)a + INT32_MAX;
    int32_t hd = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);    /* RoundingHalfSum */
    const int32_t c48_17 = 1515870810, cneg32_17 = -1010580540;
    const int32_t one_q2 = 1 << 29;
    int32_t x = add32(c48_17, ri_srdhm(hd, cneg32_17));
    for (int i = 0; i < 3; i++) {
        int32_t one_minus = sub32(one_q2, ri_srdhm(hd, x));
        x = add32(x, ri_rescale(ri_srdhm(x, one_minus), 4, 2));
    }
    return x;
}

int32_t ri_one_over_one_plus_x(int32_t a)
{
    int32_t x = newton_reciprocal(a);
    return ri_rescale(x, 1, 0);         /* ExactMulByPot<-1>, then Q1 -> Q0 */
}

/* gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1. */
static int32_t one_minus_over_one_plus(int32_t a)
{
    int32_t x = newton_reciprocal(a);
    return ri_rescale(sub32(x, 1 << 29), 2, 0);
}

int32_t ri_logistic(int32_t a, int ibits)
{
    if (a == 0)
        return 1 << 30;
    int32_t abs_a = a > 0 ? a : ri_wrap32(-(int64_t)a);
    int32_t pos = ri_one_over_one_plus_x(ri_exp_on_negative_values(ri_wrap32(-(int64_t)abs_a), ibits));
    return a > 0 ? pos : sub32(INT32_MAX, pos);
}

int32_t ri_tanh(int32_t a, int ibits)
{
    if (a == 0)
        return 0;
    int32_t neg = a < 0 ? a : ri_wrap32(-(int64_t)a);
    int32_t t = one_minus_over_one_plus(ri_exp_on_negative_values(neg, ibits + 1));
    return a < 0 ? ri_wrap32(-(int64_t)t) : t;
}

int32_t ri_reciprocal(int32_t x, int integer_bits, int *num_bits_over_unit)
{
    uint32_t u = (uint32_t)x;
    int headroom_plus_one = 0;
    while (headroom_plus_one < 32 && !(u & (0x80000000u >> headroom_plus_one)))
        headroom_plus_one++;
    *num_bits_over_unit = integer_bits - headroom_plus_one;
    int32_t shifted_minus_one = ri_wrap32((int64_t)(uint32_t)(u << headroom_plus_one) - 2147483648LL);
    return ri_one_over_one_plus_x(shifted_minus_one);
}
