/*
 * requant_s8.h - the output stage every accumulating int8 kernel shares:
 * an int32 accumulator becomes an output element (TFLite fixed point, ONNX
 * float, or no requantization at all), and 8-bit operands of either
 * signedness are loaded and stored.  Internal to the runtime.
 *
 * The ONNX path calls kiln_requant_onnx(), kept in its own file so that the
 * only float instructions of the int8 kernels live in requant_onnx_s8.o.
 */
#ifndef KILN_REQUANT_S8_H
#define KILN_REQUANT_S8_H

#include <stdint.h>
#include "kiln/kernels_s8.h"
#include "fixedpoint_s8.h"

/* Reads 8-bit element i as int8: uint8 data is given xor = 0x80 (u - 128). */
static inline int32_t kiln_ld8(const void *base, int32_t i, int32_t xor_mask)
{
    return (int8_t)(uint8_t)(((const uint8_t *)base)[i] ^ (uint8_t)xor_mask);
}

/* Requantizes acc for output channel ch and stores it as element i of y. */
static inline void kiln_store_acc(const kiln_requant *rq, int32_t acc, const int32_t *mult,
                                  const int32_t *shift, int32_t ch, void *y, int32_t i)
{
    int32_t v;
    if (rq->mode == KILN_RQ_NONE) {
        ((int32_t *)y)[i] = acc;
        return;
    }
    if (rq->mode == KILN_RQ_ONNX)
        v = kiln_requant_onnx(acc, mult[ch]);
    else
        v = kiln_mbqm(acc, mult[ch], shift[ch]);
    v = kiln_clamp32(v, -65536, 65536); /* keep the zero-point add in range */
    v = kiln_clamp32(v + rq->out_offset, rq->act_min, rq->act_max);
    ((uint8_t *)y)[i] = (uint8_t)((uint8_t)(int8_t)v ^ (uint8_t)rq->out_xor);
}

#endif
