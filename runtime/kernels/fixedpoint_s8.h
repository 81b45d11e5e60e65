/*
 * fixedpoint_s8.h - the fixed-point primitives of TFLite's integer kernels,
 * written from their documented definitions (gemmlowp's fixedpoint.h and
 * TFLite's common.h), for the *_s8.c kernels.  Internal to the runtime.
 *
 * Relies on: two's-complement int32 with arithmetic right shift of negative
 * values (implementation-defined in C99; true of gcc/clang on every target
 * Kiln supports).  Left shifts are done on unsigned values so a negative
 * operand is never undefined behaviour.  No floats, no state.
 *
 * Notation: a "Qm" value is an int32 raw value with m integer bits and 31-m
 * fractional bits, gemmlowp's FixedPoint<int32_t, m>.
 */
#ifndef KILN_FIXEDPOINT_S8_H
#define KILN_FIXEDPOINT_S8_H

#include <stdint.h>

#define KILN_I32_MIN (-2147483647 - 1)
#define KILN_I32_MAX 2147483647

/* a * 2^s for s >= 0 with two's-complement wrap-around (what TFLite's
 * `x * (1 << s)` does on every compiler it runs on), without UB. */
static inline int32_t kiln_shl_wrap(int32_t x, int s)
{
    return (int32_t)((uint32_t)x << s);
}

/* gemmlowp SaturatingRoundingDoublingHighMul (ARM VQRDMULH):
 * round(a*b / 2^31), ties away from zero, with -1 * -1 saturated to max. */
static inline int32_t kiln_srdhm(int32_t a, int32_t b)
{
    if (a == b && a == KILN_I32_MIN)
        return KILN_I32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    /* C division truncates toward zero, as the definition requires. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from
 * zero (a rounding arithmetic right shift), 0 <= e <= 31. */
static inline int32_t kiln_rdbpot(int32_t x, int e)
{
    int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
    int32_t rem = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier, double-rounding variant (TFLM's
 * default build, TFLITE_SINGLE_ROUNDING unset): a left shift (positive
 * shift), the high multiply, then a rounding right shift (negative shift). */
static inline int32_t kiln_mbqm(int32_t x, int32_t mult, int32_t shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    return kiln_rdbpot(kiln_srdhm(kiln_shl_wrap(x, left), mult), right);
}

/* gemmlowp saturating multiply by 2^e, e > 0 (SaturatingRoundingMultiplyByPOT
 * with a positive exponent). */
static inline int32_t kiln_sat_shl(int32_t x, int e)
{
    int32_t threshold = (int32_t)(((int64_t)1 << (31 - e)) - 1);
    if (x > threshold)
        return KILN_I32_MAX;
    if (x < -threshold)
        return KILN_I32_MIN;
    return kiln_shl_wrap(x, e);
}

/* gemmlowp Rescale<dst>(Q<src> x): changes the number of integer bits. */
static inline int32_t kiln_rescale(int32_t x, int src_bits, int dst_bits)
{
    int e = src_bits - dst_bits;
    if (e > 0)
        return kiln_sat_shl(x, e);
    if (e < 0)
        return kiln_rdbpot(x, -e);
    return x;
}

/* gemmlowp RoundingHalfSum: (a + b) / 2 rounded half away from zero. */
static inline int32_t kiln_rounding_half_sum(int32_t a, int32_t b)
{
    int64_t sum = (int64_t)a + (int64_t)b;
    int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/* Count of leading zero bits of a 32-bit value (32 for 0). */
static inline int kiln_clz32(uint32_t x)
{
    int n = 0;
    if (x == 0)
        return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* exp(a) for a in [-1/4, 0), a and result Q0 (Taylor series around -1/8). */
static inline int32_t kiln_exp_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0 */
    const int32_t one_third = 715827883;             /* 1/3 in Q0 */
    int32_t x = a + (1 << 28);                       /* a + 1/8 */
    int32_t x2 = kiln_srdhm(x, x);
    int32_t x3 = kiln_srdhm(x2, x);
    int32_t x4 = kiln_srdhm(x2, x2);
    int32_t x4_over_4 = kiln_rdbpot(x4, 2);
    int32_t poly = kiln_rdbpot(kiln_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + kiln_srdhm(exp_minus_one_eighth, x + poly);
}

/* exp(a) for a <= 0, a in Q<ibits> (ibits <= 5 here), result Q0.  The
 * argument is split into a multiple of 1/4 and a remainder in [-1/4, 0);
 * each set bit of the multiple multiplies by a tabulated exp(-2^k). */
static inline int32_t kiln_exp_on_negative_values(int32_t a, int ibits)
{
    /* exp(-2^k) in Q0 for k = -2 .. 4. */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535,   720401,     242};
    const int fbits = 31 - ibits;
    const int32_t one_quarter = (int32_t)1 << (fbits - 2);
    const int32_t mask = one_quarter - 1;
    int32_t a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
    int32_t result = kiln_exp_quarter(kiln_rescale(a_mod_quarter_minus_quarter, ibits, 0));
    int32_t remainder = a_mod_quarter_minus_quarter - a;
    for (int k = -2; k <= 4; k++) {
        if (ibits > k) {
            int shift_amount = fbits + k;
            if (remainder & ((int32_t)1 << shift_amount))
                result = kiln_srdhm(result, barrel[k + 2]);
        }
    }
    /* ibits > 5 would also need gemmlowp's clamp below -32; not used here. */
    if (a == 0)
        result = KILN_I32_MAX;
    return result;
}

/* Newton-Raphson reciprocal shared by the two functions below: returns x
 * in Q2 with x ~= 1 / half_denominator (half_denominator in Q0). */
static inline int32_t kiln_nr_reciprocal_q2(int32_t half_denominator)
{
    const int32_t c48_over_17 = 1515870810;      /* 48/17 in Q2 */
    const int32_t neg_32_over_17 = -1010580540;  /* -32/17 in Q2 */
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t x = c48_over_17 + kiln_srdhm(half_denominator, neg_32_over_17);
    for (int i = 0; i < 3; i++) {
        int32_t hdx = kiln_srdhm(half_denominator, x);          /* Q2 */
        int32_t one_minus = one_q2 - hdx;                        /* Q2 */
        x = x + kiln_rescale(kiln_srdhm(x, one_minus), 4, 2);    /* Q4 -> Q2 */
    }
    return x;
}

/* 1 / (1 + a) for a in [0, 1), Q0 in and out. */
static inline int32_t kiln_one_over_one_plus_x(int32_t a)
{
    int32_t half_denominator = kiln_rounding_half_sum(a, KILN_I32_MAX);
    int32_t x = kiln_nr_reciprocal_q2(half_denominator);
    return kiln_rescale(x, 1, 0); /* x/2: the same raw value read as Q1 */
}

/* (1 - a) / (1 + a) for a in [0, 1), Q0 in and out. */
static inline int32_t kiln_one_minus_x_over_one_plus_x(int32_t a)
{
    int32_t half_denominator = kiln_rounding_half_sum(a, KILN_I32_MAX);
    int32_t x = kiln_nr_reciprocal_q2(half_denominator);
    return kiln_rescale(x - ((int32_t)1 << 29), 2, 0);
}

/* gemmlowp logistic: 1 / (1 + exp(-a)), a in Q<ibits>, result Q0. */
static inline int32_t kiln_logistic_fp(int32_t a, int ibits)
{
    if (a == 0)
        return (int32_t)1 << 30;
    int32_t abs_a = a > 0 ? a : -a;
    int32_t pos = kiln_one_over_one_plus_x(kiln_exp_on_negative_values(-abs_a, ibits));
    return a > 0 ? pos : KILN_I32_MAX - pos;
}

/* gemmlowp tanh, a in Q<ibits>, result Q0.  exp(-2|a|) is taken with one
 * more integer bit (gemmlowp's ExactMulByPot<1>). */
static inline int32_t kiln_tanh_fp(int32_t a, int ibits)
{
    if (a == 0)
        return 0;
    int32_t n = a < 0 ? a : -a;
    int32_t t = kiln_one_minus_x_over_one_plus_x(kiln_exp_on_negative_values(n, ibits + 1));
    return a < 0 ? -t : t;
}

/* TFLite GetReciprocal: 1/x for x in Q<x_integer_digits>, returned as a Q0
 * value with the power of two it was scaled by in *num_bits_over_unit. */
static inline int32_t kiln_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit)
{
    int headroom_plus_one = kiln_clz32((uint32_t)x);
    *num_bits_over_unit = x_integer_digits - headroom_plus_one;
    int32_t shifted_minus_one =
        (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
    return kiln_one_over_one_plus_x(shifted_minus_one);
}

static inline int32_t kiln_clamp32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static inline int32_t kiln_max32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t kiln_min32(int32_t a, int32_t b) { return a < b ? a : b; }

#endif
