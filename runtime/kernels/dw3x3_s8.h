/*
 * dw3x3_s8.h - what depthwise_s8_3x3.c hands the assembly channel loops of
 * depthwise_s8_3x3_dsp.c.  Internal to the runtime.
 */
#ifndef KILN_DW3X3_S8_H
#define KILN_DW3X3_S8_H

#include <stdint.h>
#include "kiln_dsp.h"

#if KILN_HAS_DSP
/* One channel: its plane, where its outputs go, its record of the stream. */
typedef struct kiln_dw_args {
    const int16_t *plane;   /* +0  plane row 0 of output row 0 */
    int32_t prow;           /* +4  bytes from one output row's plane row 0 to the next */
    int32_t pw2;            /* +8  bytes of one plane row */
    int32_t out_h;          /* +12 output rows (>= 1) */
    int32_t n;              /* +16 stride 1: output pairs per row; stride 2: outputs */
    int32_t odd;            /* +20 stride 1: one more output at the end of each row */
    const void *chan;       /* +24 {bias, 6 weight words, mult, shift, rnd_lo, rnd_hi} */
    int8_t *y;              /* +28 first output */
    int32_t ystep;          /* +32 bytes between outputs of a row */
    int32_t yrow;           /* +36 bytes between output rows */
} kiln_dw_args;

void kiln_dw3x3_s1_relu_dsp(const kiln_dw_args *a);
void kiln_dw3x3_s1_short_dsp(const kiln_dw_args *a);
void kiln_dw3x3_s2_relu_dsp(const kiln_dw_args *a);
void kiln_dw3x3_s2_short_dsp(const kiln_dw_args *a);
#endif

#endif
