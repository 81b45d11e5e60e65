/*
 * requant_s16.h - the output stage of the 16x8 kernels (kernels_s16.h):
 * TFLite's MultiplyByQuantizedMultiplier for an int64 accumulator.
 * Internal to the runtime.
 *
 * Relies on two's-complement int64 with arithmetic right shift (as
 * fixedpoint_s8.h does for int32).  The multiply and add are done on
 * unsigned values: TFLite only promises |x| < 2^47, and outside that range
 * this wraps as TFLite's code does on every compiler it runs on, instead of
 * being undefined behaviour.
 */
#ifndef KILN_REQUANT_S16_H
#define KILN_REQUANT_S16_H

#include <stdint.h>
#include "kiln/kernels_s16.h"
#include "fixedpoint_s8.h"

/* The Q31 multiplier rounded to Q15 (half up), saturated at 0x7FFF: the
 * int64 path keeps the product x * m inside 64 bits that way. */
static inline int32_t kiln_reduce_mult16(int32_t m)
{
    return m < 0x7FFF0000 ? (m + (1 << 15)) >> 16 : 0x7FFF;
}

/* x * m * 2^(shift - 31) rounded to nearest, ties towards +infinity (one
 * rounding, unlike the int32 version); shift <= 14, checked by the
 * compiler.  The low 32 bits of the result, as TFLite's cast gives. */
static inline int32_t kiln_mbqm64(int64_t x, int32_t mult, int32_t shift)
{
    const int total = 15 - shift;
    const uint64_t prod = (uint64_t)x * (uint64_t)(int64_t)kiln_reduce_mult16(mult);
    const int64_t v = (int64_t)(prod + ((uint64_t)1 << (total - 1)));
    return (int32_t)(uint32_t)(uint64_t)(v >> total);
}

/* a + b with two's-complement wrap-around (an int64 bias near its limits). */
static inline int64_t kiln_add64_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static inline int32_t kiln_add32_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

#endif
