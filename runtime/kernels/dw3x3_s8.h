/*
 * dw3x3_s8.h - what depthwise_s8_3x3.c hands the assembly channel loops of
 * depthwise_s8_3x3_dsp.c.  Internal to the runtime.
 */
#ifndef KILN_DW3X3_S8_H
#define KILN_DW3X3_S8_H

#include <stdint.h>
#include "kiln_dsp.h"

#if KILN_HAS_DSP
/* One channel: its plane, where its outputs go, its record of the stream.
 * The C side works out where each row's pointers move on to, so that the
 * assembly's row loop is a few adds. */
typedef struct kiln_dw_args {
    const int16_t *plane;   /* +0  plane row 0 of output row 0 */
    int32_t pw2;            /* +4  bytes of one plane row */
    int32_t rowadv;         /* +8  bytes from a row's plane pointers at its end to the next row's */
    int32_t yadv;           /* +12 bytes from a row's output pointer at its end to the next row's */
    int32_t n;              /* +16 output pairs per row (stride 1; stride 2: 0) */
    int32_t odd;            /* +20 single outputs after them (stride 1: 0 or 1; stride 2: all) */
    const void *chan;       /* +24 {bias, 6 weight words, mult, shift, rnd_lo, rnd_hi} */
    int8_t *y;              /* +28 first output */
    int32_t ystep;          /* +32 bytes between outputs of a row */
    const int8_t *yend;     /* +36 y + out_h x the bytes between output rows */
} kiln_dw_args;

void kiln_dw3x3_relu_dsp(const kiln_dw_args *a);
void kiln_dw3x3_short_dsp(const kiln_dw_args *a);
#endif

#endif
