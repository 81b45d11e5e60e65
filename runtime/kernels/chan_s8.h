/*
 * chan_s8.h - the output stage of the packed int8 kernels: an int32
 * accumulator (started at the channel's folded bias) becomes an int8, with
 * the channel's kiln_chan_s8.  Internal to the runtime.
 *
 * KILN_RQ_TFLITE is TFLite's MultiplyByQuantizedMultiplier as the plain
 * kernels compute it (fixedpoint_s8.h).  KILN_RQ_SHORT computes the same
 * double rounding as one 64-bit multiply-add and a shift of its high word
 * (SMLAL, ASR on a DSP core): for a right shift e >= 1,
 *   RDBPOT(SRDHM(acc, m), e) + zp
 *     = (acc*m + 2^30 + 2^(30+e) + zp*2^(31+e) - [acc < 0]*2^31) >> (31 + e)
 * (docs/kernels-int8.md derives it); the compiler stores the constant as
 * rnd_hi:rnd_lo and e - 1 as shift, and uses the mode only when the sum
 * cannot overflow 64 bits.  KILN_RQ_SHORT_RELU drops the [acc < 0] term: it
 * changes only results <= out_offset, which act_min >= out_offset clamps
 * anyway.  The 64-bit sum is formed in uint64_t (wrap-around is defined;
 * the compiler proved there is none).  No floats, no state.
 */
#ifndef KILN_CHAN_S8_H
#define KILN_CHAN_S8_H

#include <stdint.h>
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"
#include "kiln_dsp.h"
#if KILN_HAS_DSP
#include <arm_acle.h>
#endif

/* The requantized value before the clamp (output zero point included). */
static inline int32_t kiln_chan_value(int32_t acc, const kiln_chan_s8 *c, int32_t mode,
                                      int32_t out_offset)
{
    if (mode == KILN_RQ_TFLITE) {
        int32_t v = kiln_clamp32(kiln_mbqm(acc, c->mult, c->shift), -65536, 65536);
        return v + out_offset;
    }
    uint64_t t = ((uint64_t)(uint32_t)c->rnd_hi << 32) | (uint32_t)c->rnd_lo;
    t += (uint64_t)((int64_t)acc * c->mult);
    if (mode == KILN_RQ_SHORT)
        t -= (uint64_t)((uint32_t)acc >> 31) << 31;
    return (int32_t)(uint32_t)(t >> 32) >> c->shift;
}

/* Clamps to [lo, hi] within the int8 range; `full` says [lo, hi] is
 * [-128, 127], which a DSP core does in one SSAT. */
static inline int8_t kiln_chan_clamp(int32_t v, int full, int32_t lo, int32_t hi)
{
#if KILN_HAS_DSP
    if (full)
        return (int8_t)__ssat(v, 8);
#else
    (void)full;
#endif
    return (int8_t)kiln_clamp32(v, lo, hi);
}

/* What a packed kernel keeps of p->rq for its epilogue. */
typedef struct kiln_epi {
    int32_t mode, out_offset, lo, hi, full;
} kiln_epi;

static inline kiln_epi kiln_epi_of(const kiln_requant *rq)
{
    kiln_epi e;
    e.mode = rq->mode;
    e.out_offset = rq->out_offset;
    e.lo = rq->act_min;
    e.hi = rq->act_max;
    e.full = rq->act_min <= -128 && rq->act_max >= 127;
    return e;
}

static inline int8_t kiln_chan_out(int32_t acc, const kiln_chan_s8 *c, const kiln_epi *e)
{
    return kiln_chan_clamp(kiln_chan_value(acc, c, e->mode, e->out_offset), e->full, e->lo, e->hi);
}

#endif
